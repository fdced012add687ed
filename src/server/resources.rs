//! The four resource kinds over HTTP: validation, storage and rendering. One set of handlers serves
//! all kinds; what differs per kind is [`prepare`] (checks and the stored form) and [`render`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::App;
use super::auth::{Permission, random_hex};
use super::error::ApiError;
use super::gallery;
use crate::api::{
    EscalationPolicy, EscalationPolicyInput, Group, GroupInput, Integration, IntegrationInput,
    IntegrationSettings, Meta, Outbound, OutboundInput, Page, Schedule, ScheduleInput, User,
    UserInput, collection, kind_of_collection,
};
use crate::model::validate::{is_valid_email, is_valid_phone, is_valid_time_zone};
use crate::model::{Channel, Kind, OutboundType, Role};

use crate::api::limits::{MAX_DESCRIPTION, MAX_IDS, MAX_NAME, MAX_STEPS, MAX_TEXT as MAX_TEMPLATE};
const DEFAULT_PER_PAGE: u64 = 100;
/// The largest integer a JSON number holds exactly (2^53 - 1); the `OpenAPI` document says so.
pub const MAX_PAGE: u64 = 9_007_199_254_740_991;
const MAX_PER_PAGE: u64 = 1000;
/// How long an `Idempotency-Key` is remembered.
const IDEMPOTENCY_SECONDS: i64 = 24 * 60 * 60;

fn kind_of_segment(segment: &str) -> Result<Kind, ApiError> {
    kind_of_collection(segment)
        .ok_or_else(|| ApiError::not_found(format!("no such collection `{segment}`")))
}

fn id_prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "usr",
        Kind::Group => "grp",
        Kind::Schedule => "sch",
        Kind::EscalationPolicy => "esc",
        Kind::Integration => "int",
        Kind::Outbound => "out",
    }
}

/// Opaque ids that sort by creation time: prefix, milliseconds, randomness.
pub fn new_id(prefix: &str) -> String {
    let millis = jiff::Timestamp::now().as_millisecond();
    format!("{prefix}_{millis:012x}{}", random_hex(5))
}

/// Now in RFC 3339, UTC, to the millisecond: `2026-12-03T18:41:31.123Z`.
pub fn now() -> String {
    let now = jiff::Timestamp::now();
    format!(
        "{}.{:03}Z",
        now.strftime("%Y-%m-%dT%H:%M:%S"),
        now.subsec_millisecond()
    )
}

/// Now in RFC 3339, UTC, to the second (truncated): `2026-12-03T18:41:31Z`.
pub fn now_seconds() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A stored object as read from the database.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub kind: Kind,
    pub body: String,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
    pub key_nonce: Option<String>,
}

const ROW_COLUMNS: &str = "id, kind, body, version, created_at, updated_at, key_nonce";

fn row_from(row: &rusqlite::Row) -> rusqlite::Result<Row> {
    let kind: String = row.get(1)?;
    let version: i64 = row.get(3)?;
    Ok(Row {
        id: row.get(0)?,
        kind: Kind::parse(&kind).unwrap_or(Kind::User),
        body: row.get(2)?,
        version: u64::try_from(version).unwrap_or(0),
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
        key_nonce: row.get(6)?,
    })
}

pub fn load(tx: &Transaction, kind: Kind, id: &str) -> Result<Row, ApiError> {
    tx.query_row(
        &format!("SELECT {ROW_COLUMNS} FROM objects WHERE id = ?1 AND kind = ?2"),
        params![id, kind.as_str()],
        row_from,
    )
    .optional()
    .map_err(ApiError::from_sqlite)?
    .ok_or_else(|| ApiError::not_found(format!("no {} with id `{id}`", kind.noun())))
}

/// The JSON a client sees for a stored object.
pub fn render(app: &App, row: &Row) -> Result<serde_json::Value, ApiError> {
    let meta = Meta {
        id: row.id.clone(),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
        version: row.version,
    };
    let corrupt = |e: serde_json::Error| {
        ApiError::internal(format!("stored object `{}` is unreadable: {e}", row.id))
    };
    let value = match row.kind {
        Kind::User => {
            let u: UserInput = serde_json::from_str(&row.body).map_err(corrupt)?;
            serde_json::to_value(User {
                meta,
                name: u.name,
                email: u.email,
                phone: u.phone,
                role: u.role.unwrap_or(Role::Responder),
                time_zone: u.time_zone,
            })
        }
        Kind::Group => {
            let g: GroupInput = serde_json::from_str(&row.body).map_err(corrupt)?;
            serde_json::to_value(Group {
                meta,
                name: g.name,
                description: g.description,
                member_user_ids: g.member_user_ids,
                member_group_ids: g.member_group_ids,
            })
        }
        Kind::Schedule => {
            let s: ScheduleInput = serde_json::from_str(&row.body).map_err(corrupt)?;
            serde_json::to_value(Schedule {
                meta,
                name: s.name,
                time_zone: s.time_zone,
                layers: s.layers,
            })
        }
        Kind::EscalationPolicy => {
            let p: EscalationPolicyInput = serde_json::from_str(&row.body).map_err(corrupt)?;
            serde_json::to_value(EscalationPolicy {
                meta,
                name: p.name,
                description: p.description,
                repeat: p.repeat,
                steps: p.steps,
            })
        }
        Kind::Integration => {
            let i: IntegrationInput = serde_json::from_str(&row.body).map_err(corrupt)?;
            let channel = i.channel.unwrap_or(Channel::Api);
            let key = row
                .key_nonce
                .as_deref()
                .map(|nonce| super::auth::integration_key(&app.secret, nonce));
            let endpoint_url = key.as_ref().map(|key| match channel {
                Channel::Heartbeat => format!("{}/v1/heartbeat/{key}", app.base_url),
                _ => format!("{}/v1/alerts/{key}", app.base_url),
            });
            serde_json::to_value(Integration {
                meta,
                name: i.name,
                channel,
                template: i.template.unwrap_or_default(),
                escalation_policy_id: i.escalation_policy_id,
                recipient_user_ids: i.recipient_user_ids,
                recipient_group_ids: i.recipient_group_ids,
                enabled: i.enabled.unwrap_or(true),
                settings: i.settings,
                templates: i.templates,
                integration_key: key,
                endpoint_url,
                mailbox: i.mailbox,
                editable: true,
                deletable: i.deletable.unwrap_or(true),
            })
        }
        Kind::Outbound => {
            let mut o: OutboundInput = serde_json::from_str(&row.body).map_err(corrupt)?;
            let mut secret_digests = BTreeMap::new();
            for (field, sealed) in [
                ("url", o.settings.url.take()),
                ("password", o.settings.password.take()),
            ] {
                if let Some(sealed) = sealed {
                    let value = super::auth::unseal(&app.secret, &sealed)?;
                    secret_digests.insert(
                        field.to_owned(),
                        crate::model::secret_digest(&row.id, &value),
                    );
                }
            }
            serde_json::to_value(Outbound {
                meta,
                name: o.name,
                kind: o.kind.unwrap_or(OutboundType::Webhook),
                settings: o.settings,
                secret_digests,
                editable: o.editable.unwrap_or(true),
                deletable: o.deletable.unwrap_or(true),
            })
        }
    };
    value.map_err(|e| ApiError::internal(format!("cannot render `{}`: {e}", row.id)))
}

/// Parses a JSON body: unreadable JSON is a 400, a readable body with wrong fields a 422 that
/// names the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                ApiError::invalid_fields(BTreeMap::from([(field, inner.to_string())]))
            }
            _ => ApiError::malformed(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// A reference that must name an existing object of `kind`.
struct Reference {
    field: String,
    kind: Kind,
    id: String,
}

/// What is stored for a create or replace, once checked.
struct Prepared {
    name: String,
    unique_key: String,
    body: String,
    references: Vec<Reference>,
    /// For a new integration with a key: its channel needs one.
    needs_key: bool,
}

/// Collects field problems, reported together.
#[derive(Default)]
struct Problems(BTreeMap<String, String>);

impl Problems {
    fn add(&mut self, field: impl Into<String>, why: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| why.into());
    }

    fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    fn optional_text(&mut self, field: &str, value: Option<&String>, max: usize) {
        if let Some(value) = value
            && value.chars().count() > max
        {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    fn ids(
        &mut self,
        field: &str,
        ids: &mut Vec<String>,
        kind: Kind,
        references: &mut Vec<Reference>,
    ) {
        if ids.len() > MAX_IDS {
            self.add(field, format!("at most {MAX_IDS} ids"));
            return;
        }
        // Membership and recipient lists are sets: stored sorted, without repeats.
        ids.sort();
        ids.dedup();
        for id in ids.iter() {
            references.push(Reference {
                field: field.to_owned(),
                kind,
                id: id.clone(),
            });
        }
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid_fields(self.0))
        }
    }
}

fn to_body(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("API types serialise")
}

/// Checks a create (`existing` = None) or replace body and gives what to store.
fn prepare(
    kind: Kind,
    bytes: &[u8],
    existing: Option<&Row>,
    secret: &[u8],
) -> Result<Prepared, ApiError> {
    let mut problems = Problems::default();
    let mut references = Vec::new();
    let prepared = match kind {
        Kind::User => {
            let mut u: UserInput = parse_json(bytes)?;
            problems.text("name", &u.name, MAX_NAME);
            if !is_valid_email(&u.email) {
                problems.add("email", "not a valid email address");
            }
            if let Some(phone) = &u.phone
                && !is_valid_phone(phone)
            {
                problems.add("phone", "not an E.164 number such as +14155550100");
            }
            if let Some(tz) = &u.time_zone
                && !is_valid_time_zone(tz)
            {
                problems.add("time_zone", "not an IANA time zone name");
            }
            u.role = Some(u.role.unwrap_or(Role::Responder));
            Prepared {
                name: u.name.clone(),
                unique_key: u.email.to_lowercase(),
                body: to_body(&u),
                references: Vec::new(),
                needs_key: false,
            }
        }
        Kind::Group => {
            let mut g: GroupInput = parse_json(bytes)?;
            problems.text("name", &g.name, MAX_NAME);
            problems.optional_text("description", g.description.as_ref(), MAX_DESCRIPTION);
            problems.ids(
                "member_user_ids",
                &mut g.member_user_ids,
                Kind::User,
                &mut references,
            );
            problems.ids(
                "member_group_ids",
                &mut g.member_group_ids,
                Kind::Group,
                &mut references,
            );
            if let Some(row) = existing
                && g.member_group_ids.contains(&row.id)
            {
                problems.add("member_group_ids", "a group cannot contain itself");
            }
            Prepared {
                name: g.name.clone(),
                unique_key: g.name.clone(),
                body: to_body(&g),
                references: Vec::new(),
                needs_key: false,
            }
        }
        Kind::Schedule => {
            let s: ScheduleInput = parse_json(bytes)?;
            problems.text("name", &s.name, MAX_NAME);
            let zone = crate::model::validate::schedule_zone(&s.time_zone);
            if zone.is_none() {
                problems.add("time_zone", "not an IANA time zone name");
            }
            if s.layers.is_empty() {
                problems.add("layers", "at least one layer is required");
            } else if s.layers.len() > MAX_STEPS {
                problems.add("layers", format!("at most {MAX_STEPS} layers"));
            }
            for (i, layer) in s.layers.iter().enumerate() {
                check_layer(&mut problems, i, layer, zone.as_ref(), &mut references);
            }
            Prepared {
                name: s.name.clone(),
                unique_key: s.name.clone(),
                body: to_body(&s),
                references: Vec::new(),
                needs_key: false,
            }
        }
        Kind::EscalationPolicy => {
            let mut p: EscalationPolicyInput = parse_json(bytes)?;
            problems.text("name", &p.name, MAX_NAME);
            problems.optional_text("description", p.description.as_ref(), MAX_DESCRIPTION);
            if p.repeat > 9 {
                problems.add("repeat", "must be between 0 and 9");
            }
            if p.steps.is_empty() {
                problems.add("steps", "at least one step is required");
            } else if p.steps.len() > MAX_STEPS {
                problems.add("steps", format!("at most {MAX_STEPS} steps"));
            }
            for (i, step) in p.steps.iter_mut().enumerate() {
                if step.delay_minutes > 1440 {
                    problems.add(
                        format!("steps[{i}].delay_minutes"),
                        "must be between 0 and 1440",
                    );
                }
                if step.notify_user_ids.is_empty()
                    && step.notify_group_ids.is_empty()
                    && step.notify_schedule_ids.is_empty()
                    && step.notify_outbound_ids.is_empty()
                {
                    problems.add(
                        format!("steps[{i}]"),
                        "must notify at least one user, group, schedule or outbound target",
                    );
                }
                problems.ids(
                    &format!("steps[{i}].notify_outbound_ids"),
                    &mut step.notify_outbound_ids,
                    Kind::Outbound,
                    &mut references,
                );
                problems.ids(
                    &format!("steps[{i}].notify_schedule_ids"),
                    &mut step.notify_schedule_ids,
                    Kind::Schedule,
                    &mut references,
                );
                problems.ids(
                    &format!("steps[{i}].notify_user_ids"),
                    &mut step.notify_user_ids,
                    Kind::User,
                    &mut references,
                );
                problems.ids(
                    &format!("steps[{i}].notify_group_ids"),
                    &mut step.notify_group_ids,
                    Kind::Group,
                    &mut references,
                );
            }
            Prepared {
                name: p.name.clone(),
                unique_key: p.name.clone(),
                body: to_body(&p),
                references: Vec::new(),
                needs_key: false,
            }
        }
        Kind::Integration => {
            let mut i: IntegrationInput = parse_json(bytes)?;
            let stored: Option<IntegrationInput> = existing
                .map(|row| serde_json::from_str(&row.body))
                .transpose()
                .map_err(|e| {
                    ApiError::internal(format!("stored integration is unreadable: {e}"))
                })?;
            if let Some(stored) = &stored {
                // Create-only fields: leaving them out keeps them; changing them is refused.
                for (field, given, kept) in [
                    (
                        "channel",
                        i.channel.map(Channel::as_str).map(str::to_owned),
                        stored.channel.map(Channel::as_str).map(str::to_owned),
                    ),
                    ("template", i.template.clone(), stored.template.clone()),
                ] {
                    if given.is_some() && given != kept {
                        let mut error = ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "immutable_field",
                            format!(
                                "`{field}` can only be set when the integration is created; delete and recreate it to change it"
                            ),
                        );
                        error
                            .fields
                            .insert(field.to_owned(), "immutable".to_owned());
                        return Err(error);
                    }
                }
                i.channel = stored.channel;
                i.template.clone_from(&stored.template);
                if i.mailbox.is_none() {
                    i.mailbox.clone_from(&stored.mailbox);
                }
                if i.deletable.is_none() {
                    i.deletable = stored.deletable;
                }
            }
            problems.text("name", &i.name, MAX_NAME);
            let channel = i.channel;
            match channel {
                None => problems.add("channel", "required: api, email, chat or heartbeat"),
                Some(channel) => check_channel(&mut problems, channel, &mut i),
            }
            match i.template.as_deref() {
                None => problems.add("template", "required: a slug of GET /api/v1/templates"),
                Some(slug) => match gallery::channels_of(slug) {
                    None => problems.add(
                        "template",
                        format!("no template `{slug}` in the gallery (GET /api/v1/templates)"),
                    ),
                    Some(channels) => {
                        if let Some(channel) = channel
                            && !channels.contains(&channel)
                        {
                            problems.add(
                                "template",
                                format!("template `{slug}` does not support the {channel} channel"),
                            );
                        }
                    }
                },
            }
            for (field, value) in [
                ("templates.grouping_key", &i.templates.grouping_key),
                ("templates.resolve_signal", &i.templates.resolve_signal),
                (
                    "templates.acknowledge_signal",
                    &i.templates.acknowledge_signal,
                ),
                ("templates.source_link", &i.templates.source_link),
                ("templates.title", &i.templates.title),
                ("templates.message", &i.templates.message),
            ] {
                problems.optional_text(field, value.as_ref(), MAX_TEMPLATE);
            }
            if i.escalation_policy_id.is_empty() {
                problems.add("escalation_policy_id", "required");
            } else {
                references.push(Reference {
                    field: "escalation_policy_id".to_owned(),
                    kind: Kind::EscalationPolicy,
                    id: i.escalation_policy_id.clone(),
                });
            }
            problems.ids(
                "recipient_user_ids",
                &mut i.recipient_user_ids,
                Kind::User,
                &mut references,
            );
            problems.ids(
                "recipient_group_ids",
                &mut i.recipient_group_ids,
                Kind::Group,
                &mut references,
            );
            i.enabled = Some(i.enabled.unwrap_or(true));
            i.deletable = Some(i.deletable.unwrap_or(true));
            if channel == Some(Channel::Email) && i.mailbox.is_none() {
                i.mailbox = Some(format!("{}@inbound.alertform.local", random_hex(8)));
            }
            Prepared {
                name: i.name.clone(),
                unique_key: i.name.clone(),
                body: to_body(&i),
                references: Vec::new(),
                needs_key: matches!(channel, Some(Channel::Api | Channel::Heartbeat)),
            }
        }
        Kind::Outbound => prepare_outbound(&mut problems, parse_json(bytes)?, existing, secret)?,
    };
    problems.finish()?;
    Ok(Prepared {
        references,
        ..prepared
    })
}

/// The settings each outbound type takes: (field, required).
fn outbound_fields(kind: OutboundType) -> &'static [(&'static str, bool)] {
    match kind {
        OutboundType::Webhook => &[("url", true)],
        OutboundType::Email => &[("address", true)],
        OutboundType::SshRestart => &[
            ("host", true),
            ("port", false),
            ("username", true),
            ("password", true),
        ],
        OutboundType::Sms => &[("phone", true)],
        OutboundType::Slack => &[("channel", true)],
    }
}

/// An outbound target's checks; its secrets are sealed for storage, and on a replace a secret
/// left out keeps the stored one.
fn prepare_outbound(
    problems: &mut Problems,
    mut o: OutboundInput,
    existing: Option<&Row>,
    secret: &[u8],
) -> Result<Prepared, ApiError> {
    let stored: Option<OutboundInput> = existing
        .map(|row| serde_json::from_str(&row.body))
        .transpose()
        .map_err(|e| ApiError::internal(format!("stored outbound target is unreadable: {e}")))?;
    if let Some(stored) = &stored {
        if stored.editable == Some(false) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_editable",
                "this outbound target is marked not editable; delete and recreate it to change it",
            ));
        }
        if o.kind.is_some() && o.kind != stored.kind {
            let mut error = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "immutable_field",
                "`type` can only be set when the outbound target is created; delete and recreate it to change it",
            );
            error
                .fields
                .insert("type".to_owned(), "immutable".to_owned());
            return Err(error);
        }
        o.kind = stored.kind;
        o.editable = o.editable.or(stored.editable);
        o.deletable = o.deletable.or(stored.deletable);
    }
    problems.text("name", &o.name, MAX_NAME);
    let Some(kind) = o.kind else {
        problems.add(
            "type",
            "required: webhook, email, ssh_restart, sms or slack",
        );
        return Ok(Prepared {
            name: o.name.clone(),
            unique_key: o.name,
            body: String::new(),
            references: Vec::new(),
            needs_key: false,
        });
    };
    let settings = &mut o.settings;
    let given: [(&str, bool); 8] = [
        ("url", settings.url.is_some()),
        ("address", settings.address.is_some()),
        ("host", settings.host.is_some()),
        ("port", settings.port.is_some()),
        ("username", settings.username.is_some()),
        ("password", settings.password.is_some()),
        ("phone", settings.phone.is_some()),
        ("channel", settings.channel.is_some()),
    ];
    let own = outbound_fields(kind);
    let stored_settings = stored.as_ref().map(|s| &s.settings);
    for (field, present) in given {
        match own.iter().find(|(f, _)| *f == field) {
            None if present => problems.add(
                format!("settings.{field}"),
                format!("does not apply to {kind} targets"),
            ),
            Some((_, true)) if !present => {
                // A secret left out of a replace keeps the stored one.
                let kept = match field {
                    "url" => stored_settings.and_then(|s| s.url.as_ref()).is_some(),
                    "password" => stored_settings.and_then(|s| s.password.as_ref()).is_some(),
                    _ => false,
                };
                if !kept {
                    problems.add(
                        format!("settings.{field}"),
                        format!("required for {kind} targets"),
                    );
                }
            }
            _ => {}
        }
    }
    if let Some(url) = &settings.url {
        let ok = url::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if !ok {
            problems.add("settings.url", "must be an http or https URL");
        }
        problems.text("settings.url", url, MAX_TEMPLATE);
    }
    if let Some(address) = &settings.address
        && !is_valid_email(address)
    {
        problems.add("settings.address", "not a valid email address");
    }
    if let Some(phone) = &settings.phone
        && !is_valid_phone(phone)
    {
        problems.add("settings.phone", "not an E.164 number such as +14155550100");
    }
    if settings.port == Some(0) {
        problems.add("settings.port", "must be between 1 and 65535");
    }
    for (field, value) in [
        ("settings.host", &settings.host),
        ("settings.username", &settings.username),
        ("settings.password", &settings.password),
        ("settings.channel", &settings.channel),
    ] {
        if let Some(value) = value {
            problems.text(field, value, MAX_NAME);
        }
    }
    if kind == OutboundType::SshRestart && settings.port.is_none() {
        settings.port = Some(22);
    }
    settings.url = match settings.url.take() {
        Some(url) => Some(super::auth::seal(secret, &url)),
        None => stored_settings.and_then(|s| s.url.clone()),
    };
    settings.password = match settings.password.take() {
        Some(password) => Some(super::auth::seal(secret, &password)),
        None => stored_settings.and_then(|s| s.password.clone()),
    };
    o.editable = Some(o.editable.unwrap_or(true));
    o.deletable = Some(o.deletable.unwrap_or(true));
    Ok(Prepared {
        name: o.name.clone(),
        unique_key: o.name.clone(),
        body: to_body(&o),
        references: Vec::new(),
        needs_key: false,
    })
}

/// Channel-specific settings: required where they belong, refused elsewhere.
/// A schedule layer's values: the same rules the config decoder applies, by field path.
fn check_layer(
    problems: &mut Problems,
    i: usize,
    layer: &crate::api::LayerBody,
    zone: Option<&jiff::tz::TimeZone>,
    references: &mut Vec<Reference>,
) {
    use crate::model::validate::{parse_clock, parse_local_datetime, skipped};
    let at = |field: &str| format!("layers[{i}].{field}");
    problems.text(&at("name"), &layer.name, MAX_NAME);
    match parse_local_datetime(&layer.start) {
        None => problems.add(
            at("start"),
            "not a wall-clock date-time such as 2026-11-30T09:00:00",
        ),
        Some(start) => {
            if let Some(zone) = zone
                && skipped(zone, start).is_some()
            {
                problems.add(
                    at("start"),
                    "falls in a daylight-saving gap of the time zone",
                );
            }
        }
    }
    if crate::model::Rotation::parse(&layer.rotation).is_none() {
        problems.add(
            at("rotation"),
            "not a positive rotation such as 8h, 1d or 1w",
        );
    }
    if layer.member_user_ids.is_empty() {
        problems.add(at("member_user_ids"), "at least one member is required");
    } else if layer.member_user_ids.len() > MAX_IDS {
        problems.add(at("member_user_ids"), format!("at most {MAX_IDS} ids"));
    }
    // Members are an ordered list (turn order, repeats allowed): not sorted like sets.
    for id in &layer.member_user_ids {
        references.push(Reference {
            field: at("member_user_ids"),
            kind: Kind::User,
            id: id.clone(),
        });
    }
    for (j, window) in layer.restrict.iter().enumerate() {
        let (from, to) = (parse_clock(&window.from), parse_clock(&window.to));
        if from.is_none() {
            problems.add(format!("layers[{i}].restrict[{j}].from"), "not HH:MM");
        }
        if to.is_none() {
            problems.add(format!("layers[{i}].restrict[{j}].to"), "not HH:MM");
        }
        // `from` = `to` is a whole day on each named day; on every day it would be no window.
        if from.is_some() && from == to && window.days.is_empty() {
            problems.add(
                format!("layers[{i}].restrict[{j}]"),
                "a window of every hour of every day: leave `restrict` out, or name `days`",
            );
        }
    }
}

fn check_channel(problems: &mut Problems, channel: Channel, i: &mut IntegrationInput) {
    let IntegrationSettings {
        interval_minutes,
        chat_platform,
        chat_channel,
    } = &i.settings;
    let only = |field: &str, owner: &str| {
        (
            format!("settings.{field}"),
            format!("only for the {owner} channel"),
        )
    };
    if channel == Channel::Heartbeat {
        match interval_minutes {
            None => problems.add(
                "settings.interval_minutes",
                "required for the heartbeat channel",
            ),
            Some(m) if !(1..=1440).contains(m) => {
                problems.add("settings.interval_minutes", "must be between 1 and 1440");
            }
            Some(_) => {}
        }
    } else if interval_minutes.is_some() {
        let (f, w) = only("interval_minutes", "heartbeat");
        problems.add(f, w);
    }
    if channel == Channel::Chat {
        if chat_platform.is_none() {
            problems.add(
                "settings.chat_platform",
                "required for the chat channel: slack or teams",
            );
        }
        match chat_channel {
            None => problems.add("settings.chat_channel", "required for the chat channel"),
            Some(c) => problems.text("settings.chat_channel", c, MAX_NAME),
        }
    } else {
        if chat_platform.is_some() {
            let (f, w) = only("chat_platform", "chat");
            problems.add(f, w);
        }
        if chat_channel.is_some() {
            let (f, w) = only("chat_channel", "chat");
            problems.add(f, w);
        }
    }
    match (&i.mailbox, channel) {
        (Some(m), Channel::Email) if !is_valid_email(m) => {
            problems.add("mailbox", "not a valid email address");
        }
        (Some(_), c) if c != Channel::Email => {
            problems.add("mailbox", "only for the email channel");
        }
        _ => {}
    }
}

/// References must name existing objects of the right kind.
fn check_references(tx: &Transaction, references: &[Reference]) -> Result<(), ApiError> {
    let mut problems = Problems::default();
    let mut statement = tx
        .prepare_cached("SELECT kind FROM objects WHERE id = ?1")
        .map_err(ApiError::from_sqlite)?;
    for r in references {
        let kind: Option<String> = statement
            .query_row(params![r.id], |row| row.get(0))
            .optional()
            .map_err(ApiError::from_sqlite)?;
        if kind.as_deref() != Some(r.kind.as_str()) {
            problems.add(
                r.field.clone(),
                format!("no {} with id `{}`", r.kind.noun(), r.id),
            );
        }
    }
    problems.finish()
}

/// Every stored group by id, for walking nested membership.
pub fn all_groups(tx: &Transaction) -> Result<HashMap<String, GroupInput>, ApiError> {
    let mut statement = tx
        .prepare_cached("SELECT id, body FROM objects WHERE kind = 'group'")
        .map_err(ApiError::from_sqlite)?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(ApiError::from_sqlite)?;
    let mut groups = HashMap::new();
    for row in rows {
        let (id, body) = row.map_err(ApiError::from_sqlite)?;
        let group: GroupInput =
            serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?;
        groups.insert(id, group);
    }
    Ok(groups)
}

/// Whether making `group_id` contain `members` closes a membership cycle.
fn closes_cycle(tx: &Transaction, group_id: &str, members: &[String]) -> Result<bool, ApiError> {
    let edges: HashMap<String, Vec<String>> = all_groups(tx)?
        .into_iter()
        .map(|(id, group)| (id, group.member_group_ids))
        .collect();
    let mut stack: Vec<&str> = members.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    while let Some(next) = stack.pop() {
        if next == group_id {
            return Ok(true);
        }
        if seen.insert(next) {
            stack.extend(edges.get(next).into_iter().flatten().map(String::as_str));
        }
    }
    Ok(false)
}

fn write_references(
    tx: &Transaction,
    from: &str,
    references: &[Reference],
) -> Result<(), ApiError> {
    tx.execute("DELETE FROM refs WHERE from_id = ?1", params![from])
        .map_err(ApiError::from_sqlite)?;
    let targets: BTreeSet<&str> = references.iter().map(|r| r.id.as_str()).collect();
    let mut insert = tx
        .prepare_cached("INSERT INTO refs (from_id, to_id) VALUES (?1, ?2)")
        .map_err(ApiError::from_sqlite)?;
    for to in targets {
        insert
            .execute(params![from, to])
            .map_err(ApiError::from_sqlite)?;
    }
    Ok(())
}

/// A friendlier 409 than the constraint's, when the unique name or email is taken.
fn check_unique(
    tx: &Transaction,
    kind: Kind,
    unique_key: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let holder: Option<String> = tx
        .query_row(
            "SELECT id FROM objects WHERE kind = ?1 AND unique_key = ?2",
            params![kind.as_str(), unique_key],
            |row| row.get(0),
        )
        .optional()
        .map_err(ApiError::from_sqlite)?;
    match holder {
        Some(id) if Some(id.as_str()) != except => {
            let what = if kind == Kind::User { "email" } else { "name" };
            let mut error =
                ApiError::conflict(format!("{} `{id}` already has this {what}", kind.noun()));
            error
                .fields
                .insert(what.to_owned(), "already taken".to_owned());
            Err(error)
        }
        _ => Ok(()),
    }
}

/// An `If-Match` precondition (RFC 9110 §13.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
enum IfMatch {
    /// `*`: any current object.
    Any,
    /// Entity-tags, as the versions they could match: a weak tag never matches (If-Match uses
    /// the strong comparison), nor does one that names no version.
    Tags(Vec<Option<u64>>),
}

/// Parses `If-Match`: `*`, or a comma-separated list of entity-tags (`"3"`, `W/"3"`). A bare
/// version (`3`) is also taken, as this API always has. Anything else is malformed: 400.
fn if_match(headers: &HeaderMap) -> Result<Option<IfMatch>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let malformed = || {
        ApiError::malformed(
            "If-Match must be `*` or entity-tags such as `\"3\"` (an object's version, as its ETag says)",
        )
    };
    let text = value.to_str().map_err(|_| malformed())?.trim();
    if text == "*" {
        return Ok(Some(IfMatch::Any));
    }
    let mut tags = Vec::new();
    for item in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (weak, rest) = match item.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        let opaque = if let Some(inner) = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            // etagc: visible ASCII but `"`, and obs-text.
            if inner
                .bytes()
                .any(|b| b == b'"' || (b < 0x21 && b != b'\t') || b == 0x7f)
            {
                return Err(malformed());
            }
            inner
        } else if !weak && !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            rest
        } else {
            return Err(malformed());
        };
        tags.push((!weak).then(|| opaque.parse::<u64>().ok()).flatten());
    }
    if tags.is_empty() {
        return Err(malformed());
    }
    Ok(Some(IfMatch::Tags(tags)))
}

fn check_version(row: &Row, expected: Option<&IfMatch>) -> Result<(), ApiError> {
    match expected {
        Some(IfMatch::Tags(tags)) if !tags.contains(&Some(row.version)) => {
            Err(ApiError::precondition_failed(format!(
                "`{}` is at version {} (ETag \"{}\"), which the If-Match precondition does not name: it changed since it was read; read it again",
                row.id, row.version, row.version
            )))
        }
        _ => Ok(()),
    }
}

fn object_response(status: StatusCode, app: &App, row: &Row) -> Result<Response, ApiError> {
    let body = render(app, row)?;
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", row.version)) {
        headers.insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED
        && let Ok(location) =
            HeaderValue::from_str(&format!("/api/v1/{}/{}", collection(row.kind), row.id))
    {
        headers.insert(header::LOCATION, location);
    }
    Ok(response)
}

pub async fn list(
    State(app): State<App>,
    Path(collection): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let kind = kind_of_segment(&collection)?;
    app.caller(&headers)?.require(Permission::Read)?;
    let number = |name: &str, default: u64| -> Result<u64, ApiError> {
        query.get(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                ApiError::malformed(format!("`{name}` must be a positive whole number"))
            })
        })
    };
    let page = number("page", 1)?;
    let per_page = number("per_page", DEFAULT_PER_PAGE)?;
    if page == 0 {
        return Err(ApiError::invalid("`page` starts at 1"));
    }
    if page > MAX_PAGE {
        return Err(ApiError::invalid(format!(
            "`page` must be at most {MAX_PAGE}"
        )));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ApiError::invalid(format!(
            "`per_page` must be between 1 and {MAX_PER_PAGE}"
        )));
    }
    let name = query.get("name").cloned();
    let email = if kind == Kind::User {
        query.get("email").map(|e| e.to_lowercase())
    } else {
        None
    };
    let app2 = app.clone();
    let (count, rows) = app
        .read(move |tx| {
            let mut filter = String::from("kind = ?1");
            let mut args: Vec<String> = vec![kind.as_str().to_owned()];
            if let Some(name) = name {
                args.push(name);
                let _ = write!(filter, " AND name = ?{}", args.len());
            }
            if let Some(email) = email {
                args.push(email);
                let _ = write!(filter, " AND unique_key = ?{}", args.len());
            }
            let count: i64 = tx
                .query_row(&format!("SELECT count(*) FROM objects WHERE {filter}"), rusqlite::params_from_iter(&args), |r| r.get(0))
                .map_err(ApiError::from_sqlite)?;
            // SQLite's OFFSET is an i64: a page far past the end must not overflow it.
            let offset = (page - 1)
                .saturating_mul(per_page)
                .min(u64::try_from(i64::MAX).expect("i64::MAX fits in u64"));
            let sql = format!("SELECT {ROW_COLUMNS} FROM objects WHERE {filter} ORDER BY id LIMIT {per_page} OFFSET {offset}");
            let mut statement = tx.prepare_cached(&sql).map_err(ApiError::from_sqlite)?;
            let rows = statement
                .query_map(rusqlite::params_from_iter(&args), row_from)
                .map_err(ApiError::from_sqlite)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(ApiError::from_sqlite)?;
            Ok((u64::try_from(count).unwrap_or(0), rows))
        })
        .await?;
    let results = rows
        .iter()
        .map(|row| render(&app2, row))
        .collect::<Result<Vec<_>, _>>()?;
    let total_pages = count.div_ceil(per_page);
    let link = |to: u64| {
        let mut url = format!(
            "{}/api/v1/{collection}?page={to}&per_page={per_page}",
            app.base_url
        );
        for key in ["name", "email"] {
            if let Some(value) = query.get(key) {
                let _ = write!(url, "&{key}={}", crate::json::percent_encode(value));
            }
        }
        url
    };
    let page_body = Page {
        count,
        next: (page < total_pages).then(|| link(page + 1)),
        previous: (page > 1).then(|| link((page - 1).min(total_pages.max(1)))),
        results,
        current_page_number: page,
        page_size: per_page,
        total_pages,
    };
    Ok(axum::Json(page_body).into_response())
}

pub async fn create(
    State(app): State<App>,
    Path(collection): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind_of_segment(&collection)?;
    let caller = app.caller(&headers)?;
    caller.require(Permission::to_write(kind))?;
    // `?replaces=ID`: the new object takes the place of `ID` in one transaction (see `take_place`).
    let replaces = query.get("replaces").cloned();
    let expected = if replaces.is_some() {
        if_match(&headers)?
    } else {
        None
    };
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::malformed("Idempotency-Key must be ASCII"))
        })
        .transpose()?;
    let fingerprint = super::auth::sha256_hex(&[collection.as_bytes(), b"\n", &body].concat());
    let prepared = prepare(kind, &body, None, &app.secret)?;
    let secret = app.secret.clone();
    let row = app
        .write(move |tx| {
            let now_secs = jiff::Timestamp::now().as_second();
            if let Some(key) = &idempotency_key {
                let earlier: Option<(String, String, i64)> = tx
                    .query_row(
                        "SELECT fingerprint, object_id, created_at FROM idempotency WHERE token_digest = ?1 AND key = ?2",
                        params![caller.token_digest, key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(ApiError::from_sqlite)?;
                if let Some((earlier_fingerprint, object_id, at)) = earlier
                    && now_secs - at < IDEMPOTENCY_SECONDS
                {
                    if earlier_fingerprint != fingerprint {
                        return Err(ApiError::invalid("this Idempotency-Key was used for a different request"));
                    }
                    return load(tx, kind, &object_id).map_err(|_| {
                        ApiError::conflict(format!("this Idempotency-Key created `{object_id}`, which has been deleted since"))
                    });
                }
            }
            let old = match &replaces {
                Some(old_id) => Some(step_aside(tx, kind, old_id, expected.as_ref())?),
                None => None,
            };
            check_unique(tx, kind, &prepared.unique_key, None)?;
            check_references(tx, &prepared.references)?;
            let id = new_id(id_prefix(kind));
            let created = now();
            let nonce = prepared.needs_key.then(|| random_hex(16));
            let key_digest = nonce
                .as_deref()
                .map(|n| super::auth::sha256_hex(super::auth::integration_key(&secret, n).as_bytes()));
            tx.execute(
                "INSERT INTO objects (id, kind, name, unique_key, body, version, created_at, updated_at, key_nonce, key_digest)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6, ?7, ?8)",
                params![id, kind.as_str(), prepared.name, prepared.unique_key, prepared.body, created, nonce, key_digest],
            )
            .map_err(ApiError::from_sqlite)?;
            write_references(tx, &id, &prepared.references)?;
            if let Some(old) = &old {
                take_place(tx, old, &id)?;
            }
            if let Some(key) = &idempotency_key {
                tx.execute(
                    "INSERT OR REPLACE INTO idempotency (token_digest, key, fingerprint, object_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![caller.token_digest, key, fingerprint, id, now_secs],
                )
                .map_err(ApiError::from_sqlite)?;
            }
            load(tx, kind, &id)
        })
        .await?;
    object_response(StatusCode::CREATED, &app, &row)
}

/// The first half of a create that replaces `old_id`: checks the old object may go (its
/// version, `deletable`) and frees its unique name for the new one.
fn step_aside(
    tx: &Transaction,
    kind: Kind,
    old_id: &str,
    expected: Option<&IfMatch>,
) -> Result<Row, ApiError> {
    let row = load(tx, kind, old_id)?;
    check_version(&row, expected)?;
    refuse_undeletable(&row)?;
    tx.execute(
        "UPDATE objects SET unique_key = unique_key || char(0) || id WHERE id = ?1",
        params![old_id],
    )
    .map_err(ApiError::from_sqlite)?;
    Ok(row)
}

/// The second half: every reference to `old` now names `new` (so no referrer is ever left
/// pointing at nothing, and none has to be changed first), and `old` is deleted. Referrers keep
/// their version: what they reference is the same resource, made again.
fn take_place(tx: &Transaction, old: &Row, new: &str) -> Result<(), ApiError> {
    let referrers: Vec<String> = tx
        .prepare_cached("SELECT from_id FROM refs WHERE to_id = ?1")
        .map_err(ApiError::from_sqlite)?
        .query_map(params![old.id], |r| r.get(0))
        .map_err(ApiError::from_sqlite)?
        .collect::<Result<_, _>>()
        .map_err(ApiError::from_sqlite)?;
    // Ids are unique, prefixed and quoted in stored bodies, so the quoted id names only it.
    let (quoted_old, quoted_new) = (format!("\"{}\"", old.id), format!("\"{new}\""));
    for referrer in referrers {
        let body: String =
            super::store::scalar(tx, "SELECT body FROM objects WHERE id = ?1", [&referrer])?;
        tx.execute(
            "UPDATE objects SET body = ?2 WHERE id = ?1",
            params![referrer, body.replace(&quoted_old, &quoted_new)],
        )
        .map_err(ApiError::from_sqlite)?;
        tx.execute(
            "UPDATE refs SET to_id = ?3 WHERE from_id = ?1 AND to_id = ?2",
            params![referrer, old.id, new],
        )
        .map_err(ApiError::from_sqlite)?;
    }
    tx.execute("DELETE FROM objects WHERE id = ?1", params![old.id])
        .map_err(ApiError::from_sqlite)?;
    Ok(())
}

/// An object marked not deletable answers a delete with 422 `not_deletable`.
fn refuse_undeletable(row: &Row) -> Result<(), ApiError> {
    let unreadable = |e: serde_json::Error| ApiError::internal(e.to_string());
    let deletable = match row.kind {
        Kind::Integration => {
            serde_json::from_str::<IntegrationInput>(&row.body)
                .map_err(unreadable)?
                .deletable
        }
        Kind::Outbound => {
            serde_json::from_str::<OutboundInput>(&row.body)
                .map_err(unreadable)?
                .deletable
        }
        _ => None,
    };
    if deletable == Some(false) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_deletable",
            format!(
                "{} `{}` is marked not deletable; set `deletable` to true first",
                row.kind.noun(),
                row.id
            ),
        ));
    }
    Ok(())
}

pub async fn get_one(
    State(app): State<App>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let kind = kind_of_segment(&collection)?;
    app.caller(&headers)?.require(Permission::Read)?;
    let row = app.read(move |tx| load(tx, kind, &id)).await?;
    object_response(StatusCode::OK, &app, &row)
}

pub async fn replace(
    State(app): State<App>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind_of_segment(&collection)?;
    app.caller(&headers)?.require(Permission::to_write(kind))?;
    let expected = if_match(&headers)?;
    // A body that is not JSON is a 400 whatever the object's version (not a 412).
    parse_json::<serde::de::IgnoredAny>(&body)?;
    let secret = app.secret.clone();
    let row = app
        .write(move |tx| {
            let row = load(tx, kind, &id)?;
            check_version(&row, expected.as_ref())?;
            let prepared = prepare(kind, &body, Some(&row), &secret)?;
            check_unique(tx, kind, &prepared.unique_key, Some(&id))?;
            check_references(tx, &prepared.references)?;
            if kind == Kind::Group {
                let members: Vec<String> = prepared
                    .references
                    .iter()
                    .filter(|r| r.kind == Kind::Group)
                    .map(|r| r.id.clone())
                    .collect();
                if closes_cycle(tx, &id, &members)? {
                    return Err(ApiError::invalid_fields(BTreeMap::from([(
                        "member_group_ids".to_owned(),
                        "would make a group contain itself through nested groups".to_owned(),
                    )])));
                }
            }
            tx.execute(
                "UPDATE objects SET name = ?2, unique_key = ?3, body = ?4, version = version + 1, updated_at = ?5 WHERE id = ?1",
                params![id, prepared.name, prepared.unique_key, prepared.body, now()],
            )
            .map_err(ApiError::from_sqlite)?;
            write_references(tx, &id, &prepared.references)?;
            load(tx, kind, &id)
        })
        .await?;
    object_response(StatusCode::OK, &app, &row)
}

pub async fn delete(
    State(app): State<App>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let kind = kind_of_segment(&collection)?;
    app.caller(&headers)?.require(Permission::to_write(kind))?;
    let expected = if_match(&headers)?;
    app.write(move |tx| {
        let row = load(tx, kind, &id)?;
        check_version(&row, expected.as_ref())?;
        refuse_undeletable(&row)?;
        let mut statement = tx
            .prepare_cached("SELECT from_id FROM refs WHERE to_id = ?1 ORDER BY from_id")
            .map_err(ApiError::from_sqlite)?;
        let referrers = statement
            .query_map(params![id], |r| r.get::<_, String>(0))
            .map_err(ApiError::from_sqlite)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::from_sqlite)?;
        if !referrers.is_empty() {
            let mut error = ApiError::conflict(format!(
                "{} `{id}` is still referenced by {}",
                kind.noun(),
                referrers.join(", ")
            ));
            error.referenced_by = referrers;
            return Err(error);
        }
        tx.execute("DELETE FROM objects WHERE id = ?1", params![id])
            .map_err(ApiError::from_sqlite)?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
