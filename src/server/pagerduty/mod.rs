//! `serve --api pagerduty`: the part of PagerDuty's REST API v2 that alertform's provider uses, in
//! PagerDuty's own dialect — `Authorization: Token token=…`, bodies wrapped in the type's key,
//! `offset`/`limit` paging with `more` (at most 100 a page, offset + limit ≤ 10,000), error bodies
//! `{"error": {"message", "code", "errors"}}`, the `From` header on user creation, references
//! `{id, type: "<kind>_reference", summary, self, html_url}`, and a per-minute rate limit with the
//! `ratelimit-*` headers. State lives in [`super::vendor`]; the account's rules over it are in
//! `rules.rs` (moving there handler by handler); this module translates. Every
//! assumption where PagerDuty's published sources are silent is in `docs/providers/pagerduty.md`.
//!
//! An account always has exactly one owner, who cannot be made, changed or deleted through the
//! API: the emulation makes one at start (from `serve --seed`, or a default).

mod render;
mod rules;

use crate::json::Items;
use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::vendor::{Collection, query_list};
use super::{App, auth, route};

const API: &str = "pagerduty";
const ACCOUNT: Collection = collection("account");
const USERS: Collection = collection("users");
const CONTACT_METHODS: Collection = collection("contact_methods");
const TEAMS: Collection = collection("teams");
const POLICIES: Collection = collection("escalation_policies");
const SERVICES: Collection = collection("services");
const INTEGRATIONS: Collection = collection("integrations");
const SCHEDULES: Collection = collection("schedules");
/// Schedule overrides, looked up by their schedule's id, in creation order.
const OVERRIDES: Collection = collection("overrides");

const fn collection(name: &'static str) -> Collection {
    Collection {
        api: API,
        name,
        ranked: false,
    }
}

/// Classic paging: 25 by default, at most 100 a page, and offset + limit may not pass 10,000.
const DEFAULT_LIMIT: u64 = 25;
pub const MAX_LIMIT: u64 = 100;
pub const MAX_OFFSET_PLUS_LIMIT: u64 = 10_000;
/// Targets per escalation rule (the published schema's `maxItems`).
const MAX_TARGETS: usize = 10;
/// The owner made when no seed names one.
const DEFAULT_OWNER: (&str, &str) = ("Account Owner", "owner@example.com");
const DEFAULT_SUBDOMAIN: &str = "alertform-local";

const ROLES: &[&str] = &[
    "admin",
    "limited_user",
    "observer",
    "owner",
    "read_only_user",
    "restricted_access",
    "read_only_limited_user",
    "user",
];
const MEMBER_ROLES: &[&str] = &["observer", "responder", "manager"];
const CONTACT_TYPES: &[&str] = &[
    "email_contact_method",
    "phone_contact_method",
    "push_notification_contact_method",
    "sms_contact_method",
    "whatsapp_contact_method",
];
const INTEGRATION_TYPES: &[&str] = &[
    "aws_cloudwatch_inbound_integration",
    "cloudkick_inbound_integration",
    "event_transformer_api_inbound_integration",
    "generic_email_inbound_integration",
    "generic_events_api_inbound_integration",
    "keynote_inbound_integration",
    "nagios_inbound_integration",
    "pingdom_inbound_integration",
    "sql_monitor_inbound_integration",
    "events_api_v2_inbound_integration",
];

/// The vendors `GET /vendors` lists: (id, name). Real ids are opaque and differ; clients find a
/// vendor by name. `PZQ6AUS` is the published document's own example.
pub const VENDORS: &[(&str, &str)] = &[
    ("PZQ6AUS", "Amazon CloudWatch"),
    ("PAM4FGS", "Datadog"),
    ("PGRAF4N", "Grafana"),
    ("PPROM8T", "Prometheus"),
    ("PAZUR3M", "Microsoft Azure"),
    ("PGCPM0N", "Google Cloud Monitoring"),
    ("PNEWR1C", "New Relic"),
    ("PSENT7Y", "Sentry"),
    ("PZABB1X", "Zabbix"),
    ("PNAG10S", "Nagios"),
    ("PPING0M", "Pingdom"),
    ("PUPT1MR", "UptimeRobot"),
    ("PELAST1", "Elastic Observability"),
    ("PJSM0PS", "Jira Service Management"),
    ("PSPLNK1", "Splunk"),
    ("PSTAT0S", "Statuspage"),
    ("PHONEY1", "Honeycomb"),
    ("PZENDSK", "Zendesk"),
    ("PICINGA", "Icinga"),
    ("PCHECKM", "Checkmk"),
];

/// An error in PagerDuty's shape.
#[derive(Debug)]
pub struct PdError {
    status: StatusCode,
    code: u32,
    message: String,
    errors: Vec<String>,
}

impl PdError {
    fn new(status: StatusCode, code: u32, message: &str, errors: Vec<String>) -> PdError {
        PdError {
            status,
            code,
            message: message.to_owned(),
            errors,
        }
    }

    /// 400 `Invalid Input Provided` (2001) with what is wrong.
    fn invalid(error: impl Into<String>) -> PdError {
        PdError::new(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            vec![error.into()],
        )
    }

    fn not_found() -> PdError {
        PdError::new(StatusCode::NOT_FOUND, 2100, "Not Found", Vec::new())
    }

    fn body(&self) -> Value {
        let mut error = json!({"message": self.message, "code": self.code});
        if !self.errors.is_empty() {
            error["errors"] = json!(self.errors);
        }
        json!({ "error": error })
    }
}

impl From<ApiError> for PdError {
    fn from(err: ApiError) -> PdError {
        render(&err)
    }
}

impl IntoResponse for PdError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

/// alertform's shared errors (faults, storage, bad requests caught before a handler) in
/// PagerDuty's shape: the renderer [`super::App::error_response`] uses for this dialect. Without
/// `Retry-After`: PagerDuty says when in `ratelimit-reset`.
pub fn render_error(err: &ApiError) -> Response {
    render(err).into_response()
}

fn render(err: &ApiError) -> PdError {
    let (code, message) = match err.status {
        StatusCode::TOO_MANY_REQUESTS => (2020, "Rate Limit Exceeded"),
        StatusCode::UNAUTHORIZED => (2006, "Authentication failed"),
        StatusCode::NOT_FOUND => (2100, "Not Found"),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            (2001, "Invalid Input Provided")
        }
        s if s.is_server_error() => (2000, "Internal Error"),
        _ => (2002, "Arguments Caused Error"),
    };
    let errors = if err.status == StatusCode::TOO_MANY_REQUESTS {
        Vec::new()
    } else {
        vec![err.message.clone()]
    };
    PdError::new(err.status, code, message, errors)
}

type Reply = Result<Response, PdError>;

fn ok(status: StatusCode, body: Value) -> Reply {
    super::json_answer(status, without_nulls(body))
}

/// Objects without their null fields: PagerDuty's published schemas allow `null` almost
/// nowhere, so an unset description or end is left out rather than sent as `null`.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// PagerDuty's REST API v2 (the part alertform uses).
pub fn router(state: App) -> Router {
    let mut api = Router::new();
    api = route(api, "/users", get(list_users).post(create_user));
    api = route(
        api,
        "/users/{id}",
        get(get_user).put(update_user).delete(delete_user),
    );
    api = route(
        api,
        "/users/{id}/contact_methods",
        get(list_contact_methods).post(create_contact_method),
    );
    api = route(
        api,
        "/users/{id}/contact_methods/{method}",
        get(get_contact_method)
            .put(update_contact_method)
            .delete(delete_contact_method),
    );
    api = route(
        api,
        "/teams",
        get(list_teams).post(create_kind::<TEAM_KIND>),
    );
    api = route(
        api,
        "/teams/{id}",
        get(get_kind::<TEAM_KIND>)
            .put(update_kind::<TEAM_KIND>)
            .delete(delete_team),
    );
    api = route(api, "/teams/{id}/members", get(list_members));
    api = route(
        api,
        "/teams/{id}/users/{user}",
        axum::routing::put(add_member).delete(remove_member),
    );
    api = route(
        api,
        "/escalation_policies",
        get(list_policies).post(create_kind::<POLICY_KIND>),
    );
    api = route(
        api,
        "/escalation_policies/{id}",
        get(get_kind::<POLICY_KIND>)
            .put(update_kind::<POLICY_KIND>)
            .delete(delete_policy),
    );
    api = route(
        api,
        "/services",
        get(list_services).post(create_kind::<SERVICE_KIND>),
    );
    api = route(
        api,
        "/services/{id}",
        get(get_service)
            .put(update_kind::<SERVICE_KIND>)
            .delete(delete_service),
    );
    api = route(
        api,
        "/services/{id}/integrations",
        axum::routing::post(create_integration),
    );
    api = route(
        api,
        "/services/{id}/integrations/{integration}",
        get(get_integration)
            .put(update_integration)
            .delete(delete_integration),
    );
    api = route(
        api,
        "/schedules",
        get(list_schedules).post(create_kind::<SCHEDULE_KIND>),
    );
    api = route(
        api,
        "/schedules/{id}",
        get(get_schedule)
            .put(update_kind::<SCHEDULE_KIND>)
            .delete(delete_schedule),
    );
    api = route(
        api,
        "/schedules/{id}/overrides",
        get(list_overrides).post(create_overrides),
    );
    api = route(
        api,
        "/schedules/{id}/overrides/{override_id}",
        axum::routing::delete(delete_override),
    );
    api = route(api, "/vendors", get(list_vendors));
    api = route(api, "/vendors/{id}", get(get_vendor));
    super::vendor_router(
        state,
        api,
        || async { PdError::not_found() },
        || async {
            PdError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                2002,
                "Arguments Caused Error",
                vec!["Method not allowed".to_owned()],
            )
        },
    )
}

/// `Authorization: Token token=<key>`. A missing or unknown key is 401.
fn authenticate(app: &App, headers: &HeaderMap) -> Result<(), PdError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = value.strip_prefix("Token token=").unwrap_or_default();
    if app.knows_token(token) {
        Ok(())
    } else {
        Err(PdError::new(
            StatusCode::UNAUTHORIZED,
            2006,
            "Authentication failed",
            Vec::new(),
        ))
    }
}

/// A PagerDuty-style id: `P` and six characters of A–Z, 0–9.
fn new_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    let tail: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("P{tail}")
}

fn now_text() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

/// The parsed query: repeated keys (`include[]`) kept.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<&str>) -> Query {
        Query(query_list(raw))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn includes(&self, what: &str) -> bool {
        self.0
            .iter()
            .any(|(k, v)| (k == "include[]" || k == "include") && v == what)
    }

    /// (offset, limit, total wanted); 400 (2002) past the 10,000 window.
    fn paging(&self) -> Result<(u64, u64, bool), PdError> {
        let number = |key: &str, default: u64| -> Result<u64, PdError> {
            match self.get(key) {
                None | Some("") => Ok(default),
                Some(text) => text.parse::<u64>().map_err(|_| {
                    PdError::new(
                        StatusCode::BAD_REQUEST,
                        2001,
                        "Invalid Input Provided",
                        vec![format!("{key} must be a non-negative integer")],
                    )
                }),
            }
        };
        let limit = number("limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT);
        let offset = number("offset", 0)?;
        if offset.saturating_add(limit) > MAX_OFFSET_PLUS_LIMIT {
            return Err(PdError::new(
                StatusCode::BAD_REQUEST,
                2002,
                "Arguments Caused Error",
                vec![format!(
                    "Offset+limit exceeds maximum allowed value of {MAX_OFFSET_PLUS_LIMIT}"
                )],
            ));
        }
        Ok((offset, limit, self.get("total") == Some("true")))
    }
}

/// One page of `objects` under `key`, with PagerDuty's paging fields.
fn page(key: &str, objects: Vec<Value>, query: &Query) -> Reply {
    let (offset, limit, _) = query.paging()?;
    let count = objects.len() as u64;
    let shown: Vec<Value> = objects
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    paged(key, shown, count, query)
}

/// The answer for `shown`, the page `query` asked for out of `count` objects.
fn paged(key: &str, shown: Vec<Value>, count: u64, query: &Query) -> Reply {
    let (offset, limit, total) = query.paging()?;
    let shown: Vec<Value> = shown.into_iter().map(without_nulls).collect();
    // `total` is null unless asked for: the one null PagerDuty's paging sends.
    let body = json!({
        key: shown,
        "limit": limit,
        "offset": offset,
        "more": offset + limit < count,
        "total": if total { json!(count) } else { Value::Null },
    });
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

/// The stored objects of the page `query` asks for, and how many there are in all. Without a
/// filter the store pages (a list of 10,000 reads 100), in creation order or, with `sort`
/// (`Some(descending)`), by name; with a filter, all are read.
fn select(
    tx: &Transaction,
    collection: Collection,
    query: &Query,
    keep: impl Fn(&Value) -> bool,
    filtered: bool,
    sort: Option<bool>,
) -> Result<(Vec<Value>, u64), PdError> {
    let (offset, limit, _) = query.paging()?;
    if !filtered {
        let count = collection.count(tx, None)?;
        let page = match sort {
            // Sorted by name through the lookup index (these collections are looked up by name).
            Some(descending) => collection.page_by_lookup(tx, descending, offset, limit)?,
            None => collection.page(tx, None, offset, limit)?,
        };
        return Ok((page, count));
    }
    let mut all: Vec<Value> = collection
        .all(tx, None)?
        .into_iter()
        .filter(|o| keep(o))
        .collect();
    if let Some(descending) = sort {
        all.sort_by(|a, b| text(a, "name").cmp(text(b, "name")));
        if descending {
            all.reverse();
        }
    }
    let count = all.len() as u64;
    let shown = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok((shown, count))
}

/// Services and escalation policies list by name (the document's default `sort_by`); whether
/// descending (`name:desc`).
fn name_descending(query: &Query) -> bool {
    query.get("sort_by") == Some("name:desc")
}

/// A `query` filter: names (and emails) containing it, case-insensitively.
fn matches_query(wanted: Option<&String>, object: &Value) -> bool {
    wanted.is_none_or(|q| {
        text(object, "name").to_lowercase().contains(q)
            || text(object, "email").to_lowercase().contains(q)
    })
}

/// The account's subdomain, for `html_url`s and integration emails.
fn subdomain(tx: &Transaction) -> Result<String, ApiError> {
    Ok(ACCOUNT
        .get(tx, "account")?
        .and_then(|a| a["subdomain"].as_str().map(str::to_owned))
        .unwrap_or_else(|| DEFAULT_SUBDOMAIN.to_owned()))
}

/// Where links point: the API's own base, and the web app's.
#[derive(Clone)]
struct Links {
    api: String,
    web: String,
}

impl Links {
    fn of(app: &App, tx: &Transaction) -> Result<Links, ApiError> {
        Ok(Links {
            api: app.base_url.to_string(),
            web: format!("https://{}.pagerduty.com", subdomain(tx)?),
        })
    }

    /// A reference to an object of `kind` (`user`, `team`, …) at `path` (`users`, …).
    fn reference(&self, kind: &str, path: &str, id: &str, summary: &str) -> Value {
        json!({
            "id": id,
            "type": format!("{kind}_reference"),
            "summary": summary,
            "self": format!("{}/{path}/{id}", self.api),
            "html_url": format!("{}/{}/{id}", self.web, web_path(path)),
        })
    }

    /// The common fields of a full object.
    fn decorate(&self, object: &mut Value, path: &str, summary_field: &str) {
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        object["summary"] = object[summary_field].clone();
        object["self"] = json!(format!("{}/{path}/{id}", self.api));
        object["html_url"] = json!(format!("{}/{}/{id}", self.web, web_path(path)));
    }
}

fn web_path(api_path: &str) -> &str {
    match api_path {
        "services" => "service-directory",
        other => other,
    }
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_default()
}

/// The object under the type's key of a request body: `{"user": {…}}`.
fn unwrap_body(bytes: &Bytes, key: &str) -> Result<Map<String, Value>, PdError> {
    let parsed: Value = serde_json::from_slice(bytes).map_err(|e| {
        PdError::new(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            vec![format!("Malformed JSON: {e}")],
        )
    })?;
    match parsed.get(key) {
        Some(Value::Object(map)) => Ok(map.clone()),
        _ => Err(PdError::invalid(format!("{} must be provided", title(key)))),
    }
}

/// `escalation_policy` → `Escalation policy`.
fn title(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// A write's frame: authenticated, run in one transaction.
async fn transact<F>(app: &App, headers: &HeaderMap, f: F) -> Result<Value, PdError>
where
    F: FnOnce(&Transaction, &Links) -> Result<Value, PdError> + Send + 'static,
{
    authenticate(app, headers)?;
    let app2 = app.clone();
    app.write(move |tx| {
        let links = Links::of(&app2, tx)?;
        Ok(f(tx, &links))
    })
    .await?
}

/// A read's frame.
async fn read<F>(app: &App, headers: &HeaderMap, f: F) -> Result<Value, PdError>
where
    F: FnOnce(&Transaction, &Links) -> Result<Value, PdError> + Send + 'static,
{
    authenticate(app, headers)?;
    let app2 = app.clone();
    app.read(move |tx| {
        let links = Links::of(&app2, tx)?;
        Ok(f(tx, &links))
    })
    .await?
}

fn string_field(
    body: &Map<String, Value>,
    field: &str,
    required: bool,
    max: usize,
) -> Result<Option<String>, PdError> {
    match body.get(field) {
        None | Some(Value::Null) if required => {
            Err(PdError::invalid(format!("{} can't be blank", title(field))))
        }
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if required && s.trim().is_empty() => {
            Err(PdError::invalid(format!("{} can't be blank", title(field))))
        }
        Some(Value::String(s)) if s.chars().count() > max => Err(PdError::invalid(format!(
            "{} is too long (maximum is {max} characters)",
            title(field)
        ))),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(PdError::invalid(format!(
            "{} must be a string",
            title(field)
        ))),
    }
}

fn check_type(body: &Map<String, Value>, expected: &str) -> Result<(), PdError> {
    match body.get("type").and_then(Value::as_str) {
        Some(t) if t == expected || t == format!("{expected}_reference") => Ok(()),
        Some(other) => Err(PdError::invalid(format!(
            "Type `{other}` is not valid here (expected `{expected}`)"
        ))),
        None => Err(PdError::invalid("Type can't be blank")),
    }
}

fn one_of(
    body: &Map<String, Value>,
    field: &str,
    allowed: &[&str],
) -> Result<Option<String>, PdError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(other) => Err(PdError::invalid(format!(
            "{} {other} is not one of: {}",
            title(field),
            allowed.join(", ")
        ))),
    }
}

/// A referenced object's id, checked to exist in `collection`.
fn reference_to(
    tx: &Transaction,
    value: Option<&Value>,
    kind: &str,
    collection: Collection,
    missing: (StatusCode, u32, &str),
) -> Result<String, PdError> {
    let id = value
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| PdError::invalid(format!("{} can't be blank", title(kind))))?;
    if collection.get(tx, id)?.is_none() {
        return Err(PdError::new(missing.0, missing.1, missing.2, Vec::new()));
    }
    Ok(id.to_owned())
}

// ---- the account ----

/// The seed: the account's subdomain and people (`role = "owner"` for exactly one).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Account {
    pub subdomain: Option<String>,
    pub users: Vec<SeedUser>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub name: String,
    pub email: String,
    #[serde(default = "default_seed_role")]
    pub role: String,
    pub time_zone: Option<String>,
}

fn default_seed_role() -> String {
    "user".to_owned()
}

/// Makes the account what `seed` says (users by email that are missing), and an owner when it
/// has none. Returns the users made.
pub fn open_account(tx: &Transaction, seed: &Account) -> Result<usize, ApiError> {
    if seed.users.iter().filter(|u| u.role == "owner").count() > 1 {
        return Err(ApiError::invalid("a PagerDuty account has one owner"));
    }
    if let Some(subdomain) = &seed.subdomain {
        ACCOUNT.put(
            tx,
            &json!({"id": "account", "subdomain": subdomain}),
            "account",
            0,
        )?;
    }
    let mut made = 0;
    for user in &seed.users {
        if !ROLES.contains(&user.role.as_str()) {
            return Err(ApiError::invalid(format!(
                "role `{}` of {} is not one of {}",
                user.role,
                user.email,
                ROLES.join(", ")
            )));
        }
        let email = user.email.to_lowercase();
        if USERS.count(tx, Some(&email))? > 0 {
            continue;
        }
        let body = new_user_body(
            &user.name,
            &user.email,
            &user.role,
            user.time_zone.as_deref(),
        );
        USERS.put(tx, &body, &email, 0)?;
        made += 1;
    }
    let has_owner = USERS.all(tx, None)?.iter().any(|u| u["role"] == "owner");
    if !has_owner {
        let (name, email) = DEFAULT_OWNER;
        USERS.put(tx, &new_user_body(name, email, "owner", None), email, 0)?;
        made += 1;
    }
    Ok(made)
}

/// The owner's email: who `From` defaults to for the embedded emulation.
pub fn owner_email(tx: &Transaction) -> Result<Option<String>, ApiError> {
    Ok(USERS
        .all(tx, None)?
        .into_iter()
        .find(|u| u["role"] == "owner")
        .and_then(|u| u["email"].as_str().map(str::to_owned)))
}

fn new_user_body(name: &str, email: &str, role: &str, time_zone: Option<&str>) -> Value {
    json!({
        "id": new_id(), "type": "user", "name": name, "email": email,
        "time_zone": time_zone.unwrap_or("Etc/UTC"), "role": role, "color": "green",
        "description": null, "job_title": null, "invitation_sent": false,
        "avatar_url": "https://secure.gravatar.com/avatar/0?d=mm",
    })
}

// ---- users ----

/// Users as shown: their teams (references) and contact methods (references, or whole with
/// `include[]=contact_methods`).
fn render_users(
    tx: &Transaction,
    links: &Links,
    users: Vec<Value>,
    with_methods: bool,
) -> Result<Vec<Value>, ApiError> {
    let mut teams_of: HashMap<String, Vec<Value>> = HashMap::new();
    for team in TEAMS.all(tx, None)? {
        for member in team["members"].items() {
            teams_of
                .entry(text(member, "user_id").to_owned())
                .or_default()
                .push(links.reference("team", "teams", text(&team, "id"), text(&team, "name")));
        }
    }
    let mut shown = Vec::with_capacity(users.len());
    for mut user in users {
        let id = text(&user, "id").to_owned();
        links.decorate(&mut user, "users", "name");
        user["teams"] = json!(teams_of.remove(&id).unwrap_or_default());
        let methods: Vec<Value> = CONTACT_METHODS
            .all(tx, Some(&id))?
            .into_iter()
            .map(|m| {
                if with_methods {
                    render_method(links, m)
                } else {
                    links.reference(
                        text(&m, "type"),
                        &format!("users/{id}/contact_methods"),
                        text(&m, "id"),
                        text(&m, "label"),
                    )
                }
            })
            .collect();
        user["contact_methods"] = json!(methods);
        shown.push(user);
    }
    Ok(shown)
}

fn render_method(links: &Links, mut method: Value) -> Value {
    let user = text(&method, "user_id").to_owned();
    links.decorate(
        &mut method,
        &format!("users/{user}/contact_methods"),
        "label",
    );
    if let Some(map) = method.as_object_mut() {
        map.remove("user_id");
    }
    method
}

async fn list_users(State(app): State<App>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Reply {
    let query = Query::parse(raw.as_deref());
    query.paging()?;
    let with_methods = query.includes("contact_methods");
    let (users, count, query) = read_page(&app, &headers, query, move |tx, links, query| {
        let wanted = query.get("query").map(str::to_lowercase);
        let (users, count) = select(
            tx,
            USERS,
            query,
            |u| matches_query(wanted.as_ref(), u),
            wanted.is_some(),
            None,
        )?;
        Ok((render_users(tx, links, users, with_methods)?, count))
    })
    .await?;
    paged("users", users, count, &query)
}

/// A list's frame: authenticated, `f` picks and renders the page in one read.
async fn read_page<F>(
    app: &App,
    headers: &HeaderMap,
    query: Query,
    f: F,
) -> Result<(Vec<Value>, u64, Query), PdError>
where
    F: FnOnce(&Transaction, &Links, &Query) -> Result<(Vec<Value>, u64), PdError> + Send + 'static,
{
    authenticate(app, headers)?;
    let app2 = app.clone();
    app.read(move |tx| {
        let links = Links::of(&app2, tx)?;
        Ok(f(tx, &links, &query).map(|(shown, count)| (shown, count, query)))
    })
    .await?
}
fn array(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

async fn get_user(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let with_methods = Query::parse(raw.as_deref()).includes("contact_methods");
    let user = read(&app, &headers, move |tx, links| {
        let user = USERS.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        let mut shown = render_users(tx, links, vec![user], with_methods)?;
        Ok(shown.pop().unwrap_or_default())
    })
    .await?;
    ok(StatusCode::OK, json!({ "user": user }))
}

fn valid_time_zone(zone: &str) -> bool {
    jiff::tz::TimeZone::get(zone).is_ok()
}

/// Sets the writable fields of a user from `body`.
fn user_fields(user: &mut Value, body: &Map<String, Value>, creating: bool) -> Result<(), PdError> {
    if let Some(name) = string_field(body, "name", creating, 100)? {
        user["name"] = json!(name);
    }
    if let Some(email) = string_field(body, "email", creating, 100)? {
        let plausible = email.len() >= 6
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !plausible {
            return Err(PdError::invalid("Email is invalid"));
        }
        user["email"] = json!(email);
    }
    if let Some(zone) = string_field(body, "time_zone", false, 100)? {
        if !valid_time_zone(&zone) {
            return Err(PdError::invalid("Time zone is not a valid time zone"));
        }
        user["time_zone"] = json!(zone);
    }
    if let Some(role) = one_of(body, "role", ROLES)? {
        let was_owner = user["role"] == "owner";
        if (role == "owner") != was_owner {
            return Err(PdError::invalid(
                "The account owner can only be changed by the owner, in the web app",
            ));
        }
        user["role"] = json!(role);
    }
    for field in ["description", "job_title", "color"] {
        if let Some(value) = string_field(body, field, false, 1024)? {
            user[field] = json!(value);
        }
    }
    Ok(())
}

fn email_taken(tx: &Transaction, email: &str, except: &str) -> Result<bool, ApiError> {
    Ok(USERS
        .all(tx, Some(&email.to_lowercase()))?
        .iter()
        .any(|u| u["id"] != except))
}

async fn create_user(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Reply {
    let from = headers
        .get("from")
        .and_then(|v| v.to_str().ok())
        .map(str::to_lowercase);
    let body = unwrap_body(&bytes, "user");
    let user = transact(&app, &headers, move |tx, links| {
        let body = body?;
        let from = from.ok_or_else(|| {
            PdError::invalid("The From header is required: the email of a user on this account")
        })?;
        if USERS.count(tx, Some(&from))? == 0 {
            return Err(PdError::invalid(format!(
                "The From header `{from}` is not the email of a user on this account"
            )));
        }
        check_type(&body, "user")?;
        let mut user = new_user_body("", "", "user", None);
        if body.get("role").and_then(Value::as_str) == Some("owner") {
            return Err(PdError::invalid(
                "Users cannot be created as the account owner",
            ));
        }
        user_fields(&mut user, &body, true)?;
        let email = text(&user, "email").to_lowercase();
        if email_taken(tx, &email, "")? {
            return Err(PdError::invalid("Email has already been taken"));
        }
        USERS.put(tx, &user, &email, 0)?;
        // PagerDuty gives a new user a default email contact method at their login address.
        let user_id = text(&user, "id").to_owned();
        let method = json!({
            "id": new_id(), "user_id": user_id, "type": "email_contact_method",
            "label": "Default", "address": text(&user, "email"),
        });
        CONTACT_METHODS.put(tx, &method, &user_id, 0)?;
        let mut shown = render_users(tx, links, vec![user], false)?;
        Ok(shown.pop().unwrap_or_default())
    })
    .await?;
    ok(StatusCode::CREATED, json!({ "user": user }))
}

async fn update_user(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let body = unwrap_body(&bytes, "user");
    let user = transact(&app, &headers, move |tx, links| {
        let body = body?;
        let mut user = USERS.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        user_fields(&mut user, &body, false)?;
        let email = text(&user, "email").to_lowercase();
        if email_taken(tx, &email, &id)? {
            return Err(PdError::invalid("Email has already been taken"));
        }
        USERS.put(tx, &user, &email, 0)?;
        let mut shown = render_users(tx, links, vec![user], false)?;
        Ok(shown.pop().unwrap_or_default())
    })
    .await?;
    ok(StatusCode::OK, json!({ "user": user }))
}

async fn delete_user(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    transact(&app, &headers, move |tx, _| {
        rules::delete_user(tx, &id).map(|()| Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- contact methods ----

fn method_fields(
    method: &mut Value,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(), PdError> {
    if let Some(ty) = one_of(body, "type", CONTACT_TYPES)? {
        if !creating && method["type"] != ty.as_str() {
            return Err(PdError::invalid("Type cannot be changed"));
        }
        method["type"] = json!(ty);
    } else if creating {
        return Err(PdError::invalid("Type can't be blank"));
    }
    if let Some(label) = string_field(body, "label", creating, 100)? {
        method["label"] = json!(label);
    }
    if let Some(address) = string_field(body, "address", creating, 100)? {
        method["address"] = json!(address);
    }
    let phone = matches!(
        method["type"].as_str(),
        Some("phone_contact_method" | "sms_contact_method")
    );
    if phone {
        match body.get("country_code") {
            Some(Value::Number(n)) if n.as_u64().is_some_and(|c| (1..=1999).contains(&c)) => {
                method["country_code"] = json!(n);
            }
            None if !creating => {}
            _ => {
                return Err(PdError::invalid(
                    "Country code must be an integer from 1 to 1999",
                ));
            }
        }
        let digits = text(method, "address");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PdError::invalid("Address must be a phone number of digits"));
        }
        method["enabled"] = json!(true);
        method["blacklisted"] = json!(false);
    }
    Ok(())
}

async fn list_contact_methods(
    State(app): State<App>,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Reply {
    let methods = read(&app, &headers, move |tx, links| {
        USERS.get(tx, &user)?.ok_or_else(PdError::not_found)?;
        Ok(json!(
            CONTACT_METHODS
                .all(tx, Some(&user))?
                .into_iter()
                .map(|m| render_method(links, m))
                .collect::<Vec<_>>()
        ))
    })
    .await?;
    ok(StatusCode::OK, json!({ "contact_methods": methods }))
}

async fn get_contact_method(
    State(app): State<App>,
    headers: HeaderMap,
    Path((user, id)): Path<(String, String)>,
) -> Reply {
    let method = read(&app, &headers, move |tx, links| {
        let method = CONTACT_METHODS
            .get(tx, &id)?
            .filter(|m| m["user_id"] == user.as_str())
            .ok_or_else(PdError::not_found)?;
        Ok(render_method(links, method))
    })
    .await?;
    ok(StatusCode::OK, json!({ "contact_method": method }))
}

async fn create_contact_method(
    State(app): State<App>,
    headers: HeaderMap,
    Path(user): Path<String>,
    bytes: Bytes,
) -> Reply {
    let body = unwrap_body(&bytes, "contact_method");
    let method = transact(&app, &headers, move |tx, links| {
        let body = body?;
        USERS.get(tx, &user)?.ok_or_else(PdError::not_found)?;
        let mut method = json!({"id": new_id(), "user_id": user});
        method_fields(&mut method, &body, true)?;
        let duplicate = CONTACT_METHODS.all(tx, Some(&user))?.iter().any(|m| {
            m["type"] == method["type"]
                && m["address"] == method["address"]
                && m["country_code"] == method["country_code"]
        });
        if duplicate {
            return Err(PdError::invalid("User Contact method must be unique"));
        }
        CONTACT_METHODS.put(tx, &method, &user, 0)?;
        Ok(render_method(links, method))
    })
    .await?;
    ok(StatusCode::CREATED, json!({ "contact_method": method }))
}

async fn update_contact_method(
    State(app): State<App>,
    headers: HeaderMap,
    Path((user, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let body = unwrap_body(&bytes, "contact_method");
    let method = transact(&app, &headers, move |tx, links| {
        let body = body?;
        let mut method = CONTACT_METHODS
            .get(tx, &id)?
            .filter(|m| m["user_id"] == user.as_str())
            .ok_or_else(PdError::not_found)?;
        method_fields(&mut method, &body, false)?;
        CONTACT_METHODS.put(tx, &method, &user, 0)?;
        Ok(render_method(links, method))
    })
    .await?;
    ok(StatusCode::OK, json!({ "contact_method": method }))
}

async fn delete_contact_method(
    State(app): State<App>,
    headers: HeaderMap,
    Path((user, id)): Path<(String, String)>,
) -> Reply {
    transact(&app, &headers, move |tx, _| {
        CONTACT_METHODS
            .get(tx, &id)?
            .filter(|m| m["user_id"] == user.as_str())
            .ok_or_else(PdError::not_found)?;
        CONTACT_METHODS.delete(tx, &id)?;
        Ok(Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- teams and memberships ----

fn render_team(links: &Links, mut team: Value) -> Value {
    links.decorate(&mut team, "teams", "name");
    if let Some(map) = team.as_object_mut() {
        map.remove("members");
    }
    team
}

fn name_taken(
    collection: Collection,
    tx: &Transaction,
    name: &str,
    except: &str,
) -> Result<bool, ApiError> {
    Ok(collection
        .all(tx, Some(name))?
        .iter()
        .any(|o| o["id"] != except))
}

fn team_fields(team: &mut Value, body: &Map<String, Value>, creating: bool) -> Result<(), PdError> {
    if let Some(name) = string_field(body, "name", creating, 100)? {
        team["name"] = json!(name);
    }
    if body.contains_key("description") {
        team["description"] = json!(string_field(body, "description", false, 1024)?);
    }
    if let Some(role) = one_of(body, "default_role", &["manager", "none"])? {
        team["default_role"] = json!(role);
    }
    Ok(())
}

async fn list_teams(State(app): State<App>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Reply {
    let query = Query::parse(raw.as_deref());
    query.paging()?;
    let (teams, count, query) = read_page(&app, &headers, query, |tx, links, query| {
        let wanted = query.get("query").map(str::to_lowercase);
        let (teams, count) = select(
            tx,
            TEAMS,
            query,
            |t| matches_query(wanted.as_ref(), t),
            wanted.is_some(),
            None,
        )?;
        Ok((
            teams.into_iter().map(|t| render_team(links, t)).collect(),
            count,
        ))
    })
    .await?;
    paged("teams", teams, count, &query)
}
async fn delete_team(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    transact(&app, &headers, move |tx, _| {
        TEAMS.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        let used = POLICIES
            .all(tx, None)?
            .iter()
            .any(|p| p["teams"].items().any(|t| t["id"] == id.as_str()));
        if used {
            return Err(PdError::new(
                StatusCode::BAD_REQUEST,
                6006,
                "Team has existing associations",
                vec!["Team has escalation policies".to_owned()],
            ));
        }
        TEAMS.delete(tx, &id)?;
        Ok(Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_members(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let query = Query::parse(raw.as_deref());
    query.paging()?;
    let members = read(&app, &headers, move |tx, links| {
        let team = TEAMS.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        let mut shown = Vec::new();
        for member in team["members"].items() {
            let user_id = text(member, "user_id");
            let name = USERS
                .get(tx, user_id)?
                .map(|u| text(&u, "name").to_owned())
                .unwrap_or_default();
            shown.push(json!({
                "user": links.reference("user", "users", user_id, &name),
                "role": member["role"],
            }));
        }
        Ok(json!(shown))
    })
    .await?;
    page("members", array(members), &query)
}

async fn add_member(
    State(app): State<App>,
    headers: HeaderMap,
    Path((id, user)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let body: Map<String, Value> = if bytes.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => map,
            _ => return Err(PdError::invalid("Malformed JSON")),
        }
    };
    transact(&app, &headers, move |tx, _| {
        let mut team = TEAMS.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        let person = USERS.get(tx, &user)?.ok_or_else(PdError::not_found)?;
        let role = one_of(&body, "role", MEMBER_ROLES)?.unwrap_or_else(|| "manager".to_owned());
        if person["role"] == "read_only_user" && role != "observer" {
            return Err(PdError::invalid(
                "A read-only user can only be an observer of a team",
            ));
        }
        let members = team["members"]
            .as_array_mut()
            .ok_or_else(PdError::not_found)?;
        members.retain(|m| m["user_id"] != user.as_str());
        members.push(json!({"user_id": user, "role": role}));
        let name = text(&team, "name").to_owned();
        TEAMS.put(tx, &team, &name, 0)?;
        Ok(Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove_member(
    State(app): State<App>,
    headers: HeaderMap,
    Path((id, user)): Path<(String, String)>,
) -> Reply {
    transact(&app, &headers, move |tx, _| {
        let mut team = TEAMS.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        USERS.get(tx, &user)?.ok_or_else(PdError::not_found)?;
        if let Some(members) = team["members"].as_array_mut() {
            members.retain(|m| m["user_id"] != user.as_str());
        }
        let name = text(&team, "name").to_owned();
        TEAMS.put(tx, &team, &name, 0)?;
        Ok(Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- escalation policies ----

fn render_policy(
    tx: &Transaction,
    links: &Links,
    mut policy: Value,
    services_of: &HashMap<String, Vec<Value>>,
) -> Result<Value, ApiError> {
    let id = text(&policy, "id").to_owned();
    links.decorate(&mut policy, "escalation_policies", "name");
    let mut names: HashMap<String, String> = HashMap::new();
    for rule in policy["escalation_rules"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        for target in rule["targets"].as_array_mut().into_iter().flatten() {
            let target_id = text(target, "id").to_owned();
            let (kind, path, collection) = if text(target, "type").starts_with("schedule") {
                ("schedule", "schedules", SCHEDULES)
            } else {
                ("user", "users", USERS)
            };
            let name = if let Some(name) = names.get(&target_id) {
                name.clone()
            } else {
                let name = collection
                    .get(tx, &target_id)?
                    .map(|o| text(&o, "name").to_owned())
                    .unwrap_or_default();
                names.insert(target_id.clone(), name.clone());
                name
            };
            *target = links.reference(kind, path, &target_id, &name);
        }
    }
    policy["services"] = json!(services_of.get(&id).cloned().unwrap_or_default());
    Ok(policy)
}

/// Policy id → references to the services that use it (read once per answer).
fn services_by_policy(
    tx: &Transaction,
    links: &Links,
) -> Result<HashMap<String, Vec<Value>>, ApiError> {
    let mut services_of: HashMap<String, Vec<Value>> = HashMap::new();
    for service in SERVICES.all(tx, None)? {
        services_of
            .entry(text(&service["escalation_policy"], "id").to_owned())
            .or_default()
            .push(links.reference(
                "service",
                "services",
                text(&service, "id"),
                text(&service, "name"),
            ));
    }
    Ok(services_of)
}

fn policy_fields(
    tx: &Transaction,
    policy: &mut Value,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(), PdError> {
    if let Some(name) = string_field(body, "name", creating, 255)? {
        policy["name"] = json!(name);
    }
    if body.contains_key("description") {
        policy["description"] = json!(string_field(body, "description", false, 1024)?);
    }
    match body.get("num_loops") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.as_u64().is_some_and(|l| l <= 9) => {
            policy["num_loops"] = json!(n);
        }
        Some(_) => {
            return Err(PdError::invalid("Num loops must be an integer from 0 to 9"));
        }
    }
    if let Some(mode) = one_of(
        body,
        "on_call_handoff_notifications",
        &["if_has_services", "always"],
    )? {
        policy["on_call_handoff_notifications"] = json!(mode);
    }
    if let Some(teams) = body.get("teams") {
        let list = teams.as_array().cloned().unwrap_or_default();
        if list.len() > 1 {
            return Err(PdError::invalid(
                "Only one team may be associated with an escalation policy",
            ));
        }
        let mut refs = Vec::new();
        for team in &list {
            let id = reference_to(
                tx,
                Some(team),
                "team",
                TEAMS,
                (StatusCode::NOT_FOUND, 6001, "Team Not Found"),
            )?;
            refs.push(json!({"id": id, "type": "team_reference"}));
        }
        policy["teams"] = json!(refs);
    }
    match body.get("escalation_rules") {
        None if !creating => {}
        Some(Value::Array(rules)) if !rules.is_empty() => {
            let mut stored = Vec::with_capacity(rules.len());
            for rule in rules {
                stored.push(rule_of(tx, rule)?);
            }
            policy["escalation_rules"] = json!(stored);
        }
        _ => {
            return Err(PdError::invalid(
                "Escalation rules must have at least one rule",
            ));
        }
    }
    Ok(())
}

fn rule_of(tx: &Transaction, rule: &Value) -> Result<Value, PdError> {
    let delay = rule["escalation_delay_in_minutes"]
        .as_u64()
        .ok_or_else(|| PdError::invalid("Escalation delay in minutes can't be blank"))?;
    if delay < 1 {
        return Err(PdError::invalid(
            "Escalation delay in minutes must be greater than or equal to 1",
        ));
    }
    let targets = rule["targets"].as_array().cloned().unwrap_or_default();
    if targets.is_empty() || targets.len() > MAX_TARGETS {
        return Err(PdError::invalid(format!(
            "Escalation rules must have between 1 and {MAX_TARGETS} targets"
        )));
    }
    let mut seen = HashSet::new();
    let mut stored = Vec::with_capacity(targets.len());
    for target in &targets {
        let ty = text(target, "type");
        let (kind, collection) = match ty {
            "user" | "user_reference" => ("user", USERS),
            "schedule" | "schedule_reference" => ("schedule", SCHEDULES),
            _ => {
                return Err(PdError::invalid(format!(
                    "Escalation target type `{ty}` is not one of user_reference, schedule_reference"
                )));
            }
        };
        let id = text(target, "id");
        if collection.get(tx, id)?.is_none() {
            return Err(PdError::invalid(format!(
                "Escalation target {id} is not a {kind} on this account"
            )));
        }
        if seen.insert(id.to_owned()) {
            stored.push(json!({"id": id, "type": format!("{kind}_reference")}));
        }
    }
    Ok(json!({
        "id": new_id(),
        "escalation_delay_in_minutes": delay,
        "targets": stored,
    }))
}

async fn list_policies(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    let query = Query::parse(raw.as_deref());
    query.paging()?;
    let (policies, count, query) = read_page(&app, &headers, query, |tx, links, query| {
        let wanted = query.get("query").map(str::to_lowercase);
        let sort = Some(name_descending(query));
        let (policies, count) = select(
            tx,
            POLICIES,
            query,
            |p| matches_query(wanted.as_ref(), p),
            wanted.is_some(),
            sort,
        )?;
        let services_of = services_by_policy(tx, links)?;
        let mut shown = Vec::with_capacity(policies.len());
        for policy in policies {
            shown.push(render_policy(tx, links, policy, &services_of)?);
        }
        Ok((shown, count))
    })
    .await?;
    paged("escalation_policies", policies, count, &query)
}
async fn delete_policy(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    transact(&app, &headers, move |tx, _| {
        POLICIES.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        let used: Vec<String> = SERVICES
            .all(tx, None)?
            .iter()
            .filter(|s| s["escalation_policy"]["id"] == id.as_str())
            .map(|s| text(s, "name").to_owned())
            .collect();
        if !used.is_empty() {
            return Err(PdError::invalid(format!(
                "Escalation policy is in use by services: {}",
                used.join(", ")
            )));
        }
        POLICIES.delete(tx, &id)?;
        Ok(Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- services and their integrations ----

fn render_service(
    tx: &Transaction,
    links: &Links,
    mut service: Value,
    whole_integrations: bool,
) -> Result<Value, ApiError> {
    let id = text(&service, "id").to_owned();
    links.decorate(&mut service, "services", "name");
    let policy_id = text(&service["escalation_policy"], "id").to_owned();
    let policy_name = POLICIES
        .get(tx, &policy_id)?
        .map(|p| text(&p, "name").to_owned())
        .unwrap_or_default();
    service["escalation_policy"] = links.reference(
        "escalation_policy",
        "escalation_policies",
        &policy_id,
        &policy_name,
    );
    let integrations: Vec<Value> = INTEGRATIONS
        .all(tx, Some(&id))?
        .into_iter()
        .map(|i| {
            if whole_integrations {
                render_integration(links, i, &service)
            } else {
                links.reference(
                    text(&i, "type"),
                    &format!("services/{id}/integrations"),
                    text(&i, "id"),
                    text(&i, "name"),
                )
            }
        })
        .collect();
    service["integrations"] = json!(integrations);
    Ok(service)
}

fn render_integration(links: &Links, mut integration: Value, service: &Value) -> Value {
    let service_id = text(service, "id").to_owned();
    links.decorate(
        &mut integration,
        &format!("services/{service_id}/integrations"),
        "name",
    );
    integration["service"] =
        links.reference("service", "services", &service_id, text(service, "name"));
    if let Some(vendor) = integration["vendor"]["id"].as_str().map(str::to_owned) {
        let name = VENDORS
            .iter()
            .find(|(id, _)| *id == vendor)
            .map_or("", |(_, n)| n);
        integration["vendor"] = links.reference("vendor", "vendors", &vendor, name);
    }
    integration
}

fn service_fields(
    tx: &Transaction,
    service: &mut Value,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(), PdError> {
    if let Some(name) = string_field(body, "name", creating, 255)? {
        service["name"] = json!(name);
    }
    if body.contains_key("description") {
        service["description"] = json!(string_field(body, "description", false, 1024)?);
    }
    if creating || body.contains_key("escalation_policy") {
        let id = reference_to(
            tx,
            body.get("escalation_policy"),
            "escalation_policy",
            POLICIES,
            (StatusCode::NOT_FOUND, 5001, "Escalation Policy Not Found"),
        )?;
        service["escalation_policy"] = json!({"id": id, "type": "escalation_policy_reference"});
    }
    let allowed: &[&str] = if creating {
        &["active"]
    } else {
        &["active", "warning", "critical", "maintenance", "disabled"]
    };
    if let Some(status) = one_of(body, "status", allowed)? {
        service["status"] = json!(status);
    }
    for field in ["auto_resolve_timeout", "acknowledgement_timeout"] {
        match body.get(field) {
            None => {}
            Some(Value::Null) => service[field] = Value::Null,
            Some(Value::Number(n)) if n.as_u64().is_some() => service[field] = json!(n),
            Some(_) => {
                return Err(PdError::invalid(format!(
                    "{} must be a non-negative integer",
                    title(field)
                )));
            }
        }
    }
    if let Some(mode) = one_of(
        body,
        "alert_creation",
        &["create_incidents", "create_alerts_and_incidents"],
    )? {
        service["alert_creation"] = json!(mode);
    }
    Ok(())
}

async fn list_services(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    let query = Query::parse(raw.as_deref());
    query.paging()?;
    let whole = query.includes("integrations");
    let (services, count, query) = read_page(&app, &headers, query, move |tx, links, query| {
        let wanted = query.get("query").map(str::to_lowercase);
        let (services, count) = match query.get("name") {
            // `name` is exact, and the store's lookup.
            Some(name) => {
                let all = SERVICES.all(tx, Some(name))?;
                let count = all.len() as u64;
                (all, count)
            }
            None => select(
                tx,
                SERVICES,
                query,
                |s| matches_query(wanted.as_ref(), s),
                wanted.is_some(),
                Some(name_descending(query)),
            )?,
        };
        let mut shown = Vec::with_capacity(services.len());
        for service in services {
            shown.push(render_service(tx, links, service, whole)?);
        }
        Ok((shown, count))
    })
    .await?;
    paged("services", services, count, &query)
}
async fn get_service(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let whole = Query::parse(raw.as_deref()).includes("integrations");
    let service = read(&app, &headers, move |tx, links| {
        let service = SERVICES.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        Ok(render_service(tx, links, service, whole)?)
    })
    .await?;
    ok(StatusCode::OK, json!({ "service": service }))
}

async fn delete_service(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    transact(&app, &headers, move |tx, _| {
        if !SERVICES.delete(tx, &id)? {
            return Err(PdError::new(
                StatusCode::NOT_FOUND,
                5002,
                "Service Not Found",
                Vec::new(),
            ));
        }
        for integration in INTEGRATIONS.all(tx, Some(&id))? {
            INTEGRATIONS.delete(tx, text(&integration, "id"))?;
        }
        Ok(Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A 32-character integration key.
fn integration_key() -> String {
    auth::random_hex(16)
}

fn integration_fields(
    integration: &mut Value,
    body: &Map<String, Value>,
    domain: &str,
) -> Result<(), PdError> {
    if let Some(name) = string_field(body, "name", false, 255)? {
        integration["name"] = json!(name);
    }
    if let Some(email) = string_field(body, "integration_email", false, 255)? {
        if integration["type"] != "generic_email_inbound_integration" {
            return Err(PdError::invalid(
                "Integration email is only for generic_email_inbound_integration",
            ));
        }
        let (local, host) = email.split_once('@').unwrap_or(("", ""));
        if local.is_empty() || !host.eq_ignore_ascii_case(domain) {
            return Err(PdError::invalid(format!(
                "Integration email must be an address @{domain}"
            )));
        }
        integration["integration_email"] = json!(email.to_lowercase());
    }
    if let Some(mode) = one_of(
        body,
        "email_incident_creation",
        &[
            "on_new_email",
            "on_new_email_subject",
            "only_if_no_open_incidents",
            "use_rules",
        ],
    )? {
        integration["email_incident_creation"] = json!(mode);
    }
    Ok(())
}

async fn create_integration(
    State(app): State<App>,
    headers: HeaderMap,
    Path(service_id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let body = unwrap_body(&bytes, "integration");
    let integration = transact(&app, &headers, move |tx, links| {
        let body = body?;
        let service = SERVICES.get(tx, &service_id)?.ok_or_else(|| {
            PdError::new(StatusCode::NOT_FOUND, 5002, "Service Not Found", Vec::new())
        })?;
        let vendor = match body.get("vendor") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let id = text(v, "id");
                let found = VENDORS.iter().find(|(vid, _)| *vid == id).ok_or_else(|| {
                    PdError::new(StatusCode::NOT_FOUND, 5001, "Vendor Not Found", Vec::new())
                })?;
                Some(*found)
            }
        };
        let ty = match (one_of(&body, "type", INTEGRATION_TYPES)?, vendor) {
            (Some(ty), _) => ty,
            (None, Some(_)) => "generic_events_api_inbound_integration".to_owned(),
            (None, None) => return Err(PdError::invalid("Type can't be blank")),
        };
        let default_name = vendor.map_or_else(
            || title(&ty.replace("_inbound_integration", "")),
            |(_, n)| (*n).to_owned(),
        );
        let mut integration = json!({
            "id": new_id(), "type": ty, "name": default_name, "created_at": now_text(),
            "service_id": service_id,
            "vendor": vendor.map(|(id, _)| json!({"id": id, "type": "vendor_reference"})),
        });
        if ty == "generic_email_inbound_integration" {
            if string_field(&body, "integration_email", false, 255)?.is_none() {
                return Err(PdError::invalid("Integration email can't be blank"));
            }
        } else {
            integration["integration_key"] = json!(integration_key());
        }
        let domain = format!("{}.pagerduty.com", subdomain(tx)?);
        integration_fields(&mut integration, &body, &domain)?;
        if let Some(email) = integration["integration_email"].as_str() {
            let taken = INTEGRATIONS
                .all(tx, None)?
                .iter()
                .any(|i| i["integration_email"].as_str() == Some(email));
            if taken {
                return Err(PdError::invalid("Integration email has already been taken"));
            }
        }
        INTEGRATIONS.put(tx, &integration, &service_id, 0)?;
        Ok(render_integration(
            links,
            stored_view(integration),
            &service,
        ))
    })
    .await?;
    ok(StatusCode::CREATED, json!({ "integration": integration }))
}

/// A stored integration without the emulation's own bookkeeping.
fn stored_view(mut integration: Value) -> Value {
    if let Some(map) = integration.as_object_mut() {
        map.remove("service_id");
    }
    integration
}

fn integration_of(tx: &Transaction, service_id: &str, id: &str) -> Result<(Value, Value), PdError> {
    let service = SERVICES.get(tx, service_id)?.ok_or_else(|| {
        PdError::new(StatusCode::NOT_FOUND, 5002, "Service Not Found", Vec::new())
    })?;
    let integration = INTEGRATIONS
        .get(tx, id)?
        .filter(|i| i["service_id"] == service_id)
        .ok_or_else(PdError::not_found)?;
    Ok((service, integration))
}

async fn get_integration(
    State(app): State<App>,
    headers: HeaderMap,
    Path((service_id, id)): Path<(String, String)>,
) -> Reply {
    let integration = read(&app, &headers, move |tx, links| {
        let (service, integration) = integration_of(tx, &service_id, &id)?;
        Ok(render_integration(
            links,
            stored_view(integration),
            &service,
        ))
    })
    .await?;
    ok(StatusCode::OK, json!({ "integration": integration }))
}

async fn update_integration(
    State(app): State<App>,
    headers: HeaderMap,
    Path((service_id, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let body = unwrap_body(&bytes, "integration");
    let integration = transact(&app, &headers, move |tx, links| {
        let body = body?;
        let (service, mut integration) = integration_of(tx, &service_id, &id)?;
        if body.get("type").is_some_and(|t| *t != integration["type"]) {
            return Err(PdError::invalid(
                "Type cannot be changed: create a new integration",
            ));
        }
        if body
            .get("vendor")
            .is_some_and(|v| v["id"] != integration["vendor"]["id"])
        {
            return Err(PdError::invalid(
                "Vendor cannot be changed: create a new integration",
            ));
        }
        let domain = format!("{}.pagerduty.com", subdomain(tx)?);
        integration_fields(&mut integration, &body, &domain)?;
        INTEGRATIONS.put(tx, &integration, &service_id, 0)?;
        Ok(render_integration(
            links,
            stored_view(integration),
            &service,
        ))
    })
    .await?;
    ok(StatusCode::OK, json!({ "integration": integration }))
}

/// Not in the published document, but used by PagerDuty's own Terraform client.
async fn delete_integration(
    State(app): State<App>,
    headers: HeaderMap,
    Path((service_id, id)): Path<(String, String)>,
) -> Reply {
    transact(&app, &headers, move |tx, _| {
        integration_of(tx, &service_id, &id)?;
        INTEGRATIONS.delete(tx, &id)?;
        Ok(Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- schedules ----

fn render_schedule(
    tx: &Transaction,
    links: &Links,
    mut schedule: Value,
    with_layers: bool,
    policies: &[Value],
) -> Result<Value, ApiError> {
    let id = text(&schedule, "id").to_owned();
    links.decorate(&mut schedule, "schedules", "name");
    let mut user_ids: Vec<String> = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for layer in schedule["schedule_layers"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        for entry in layer["users"].as_array_mut().into_iter().flatten() {
            let user_id = text(&entry["user"], "id").to_owned();
            if !names.contains_key(&user_id) {
                let name = USERS
                    .get(tx, &user_id)?
                    .map(|u| text(&u, "name").to_owned())
                    .unwrap_or_default();
                names.insert(user_id.clone(), name);
                user_ids.push(user_id.clone());
            }
            entry["user"] = links.reference("user", "users", &user_id, &names[&user_id]);
        }
    }
    schedule["users"] = json!(
        user_ids
            .iter()
            .map(|u| links.reference("user", "users", u, &names[u]))
            .collect::<Vec<_>>()
    );
    schedule["escalation_policies"] = json!(
        policies
            .iter()
            .filter(|p| p["escalation_rules"]
                .items()
                .flat_map(|r| r["targets"].items())
                .any(|t| t["id"] == id.as_str()))
            .map(|p| links.reference(
                "escalation_policy",
                "escalation_policies",
                text(p, "id"),
                text(p, "name")
            ))
            .collect::<Vec<_>>()
    );
    if !with_layers && let Some(map) = schedule.as_object_mut() {
        map.remove("schedule_layers");
    }
    Ok(schedule)
}

fn parse_instant(value: &Value, field: &str) -> Result<jiff::Timestamp, PdError> {
    value[field]
        .as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .ok_or_else(|| PdError::invalid(format!("{} must be an ISO 8601 date-time", title(field))))
}

fn layer_of(tx: &Transaction, layer: &Value) -> Result<Value, PdError> {
    let start = parse_instant(layer, "start")?;
    let virtual_start = parse_instant(layer, "rotation_virtual_start")?;
    let turn = layer["rotation_turn_length_seconds"]
        .as_u64()
        .filter(|s| *s >= 3600)
        .ok_or_else(|| {
            PdError::invalid("Rotation turn length seconds must be at least 3600 (one hour)")
        })?;
    let users = layer["users"].as_array().cloned().unwrap_or_default();
    if users.is_empty() {
        return Err(PdError::invalid("Schedule layer users can't be blank"));
    }
    let mut stored_users = Vec::with_capacity(users.len());
    for entry in &users {
        let id = text(&entry["user"], "id");
        if USERS.get(tx, id)?.is_none() {
            return Err(PdError::invalid(format!(
                "User {id} is not on this account"
            )));
        }
        stored_users.push(json!({"user": {"id": id, "type": "user_reference"}}));
    }
    let mut restrictions = Vec::new();
    for restriction in layer["restrictions"].items() {
        let ty = text(restriction, "type");
        let time = text(restriction, "start_time_of_day");
        let valid_time = jiff::civil::Time::strptime("%H:%M:%S", time).is_ok();
        let duration = restriction["duration_seconds"].as_u64().unwrap_or(0);
        let week = ty == "weekly_restriction";
        if !(ty == "daily_restriction" || week)
            || !valid_time
            || duration == 0
            || duration > if week { 604_800 } else { 86_400 }
        {
            return Err(PdError::invalid(
                "Restrictions need a type (daily_restriction or weekly_restriction), a start_time_of_day HH:MM:SS and a duration_seconds within the day or week",
            ));
        }
        let mut stored =
            json!({"type": ty, "start_time_of_day": time, "duration_seconds": duration});
        if week {
            let day = restriction["start_day_of_week"]
                .as_u64()
                .filter(|d| (1..=7).contains(d));
            stored["start_day_of_week"] =
                json!(day.ok_or_else(|| PdError::invalid("Start day of week must be 1 to 7"))?);
        }
        restrictions.push(stored);
    }
    Ok(json!({
        "id": new_id(),
        "name": layer["name"].as_str().unwrap_or("Layer"),
        "start": start.to_string(),
        "end": layer.get("end").filter(|e| !e.is_null()).map(|_| parse_instant(layer, "end").map(|t| t.to_string())).transpose()?,
        "rotation_virtual_start": virtual_start.to_string(),
        "rotation_turn_length_seconds": turn,
        "users": stored_users,
        "restrictions": restrictions,
    }))
}

fn schedule_fields(
    tx: &Transaction,
    schedule: &mut Value,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(), PdError> {
    if let Some(name) = string_field(body, "name", creating, 255)? {
        schedule["name"] = json!(name);
    }
    if body.contains_key("description") {
        schedule["description"] = json!(string_field(body, "description", false, 1024)?);
    }
    if let Some(zone) = string_field(body, "time_zone", creating, 100)? {
        if !valid_time_zone(&zone) {
            return Err(PdError::invalid("Time zone is not a valid time zone"));
        }
        schedule["time_zone"] = json!(zone);
    }
    match body.get("schedule_layers") {
        None if !creating => {}
        Some(Value::Array(layers)) if !layers.is_empty() => {
            let mut stored = Vec::with_capacity(layers.len());
            for layer in layers {
                stored.push(layer_of(tx, layer)?);
            }
            schedule["schedule_layers"] = json!(stored);
        }
        _ => return Err(PdError::invalid("Schedule layers can't be blank")),
    }
    Ok(())
}

async fn list_schedules(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    let query = Query::parse(raw.as_deref());
    query.paging()?;
    let with_layers = query.includes("schedule_layers");
    let (schedules, count, query) = read_page(&app, &headers, query, move |tx, links, query| {
        let wanted = query.get("query").map(str::to_lowercase);
        let (schedules, count) = select(
            tx,
            SCHEDULES,
            query,
            |s| matches_query(wanted.as_ref(), s),
            wanted.is_some(),
            None,
        )?;
        let policies = POLICIES.all(tx, None)?;
        let mut shown = Vec::with_capacity(schedules.len());
        for schedule in schedules {
            shown.push(render_schedule(
                tx,
                links,
                schedule,
                with_layers,
                &policies,
            )?);
        }
        Ok((shown, count))
    })
    .await?;
    paged("schedules", schedules, count, &query)
}
/// The range `since`/`until` ask for: two weeks from the one given, or none without either.
fn range(query: &Query) -> Result<Option<(jiff::Timestamp, jiff::Timestamp)>, PdError> {
    let read = |field: &str| {
        query
            .get(field)
            .map(|t| {
                t.parse::<jiff::Timestamp>().map_err(|_| {
                    PdError::invalid(format!("{} must be an ISO 8601 date-time", title(field)))
                })
            })
            .transpose()
    };
    let two_weeks = jiff::SignedDuration::from_hours(14 * 24);
    Ok(match (read("since")?, read("until")?) {
        (None, None) => None,
        (Some(since), None) => Some((since, since + two_weeks)),
        (None, Some(until)) => Some((until - two_weeks, until)),
        (Some(since), Some(until)) if since < until => Some((since, until)),
        (Some(_), Some(_)) => return Err(PdError::invalid("Since must be before until")),
    })
}

/// Rendered entries as PagerDuty answers them: times in `zone`, users as references.
fn entries_json(
    tx: &Transaction,
    links: &Links,
    entries: &[render::Entry],
    zone: &jiff::tz::TimeZone,
) -> Result<Value, ApiError> {
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let name = USERS
            .get(tx, &entry.user)?
            .map(|u| text(&u, "name").to_owned())
            .unwrap_or_default();
        let time = |t: jiff::Timestamp| {
            let offset = zone.to_offset(t);
            format!(
                "{}{}",
                offset.to_datetime(t).strftime("%Y-%m-%dT%H:%M:%S"),
                crate::schedule::render::offset_text(offset)
            )
        };
        out.push(json!({
            "start": time(entry.start), "end": time(entry.end),
            "user": links.reference("user", "users", &entry.user, &name),
        }));
    }
    Ok(json!(out))
}

/// `GET /schedules/{id}`: with `since` or `until`, each layer's `rendered_schedule_entries`,
/// the `overrides_subschedule` and the `final_schedule` (see [`render`]); entries that pass the
/// range are cut at it unless `overflow=true`.
async fn get_schedule(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let query = Query::parse(raw.as_deref());
    let range = range(&query)?;
    let overflow = query.get("overflow") == Some("true");
    let zone_name = query.get("time_zone").map(str::to_owned);
    let schedule = read(&app, &headers, move |tx, links| {
        let stored = SCHEDULES.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        let overrides = OVERRIDES.all(tx, Some(&id))?;
        let zone_name = zone_name.unwrap_or_else(|| text(&stored, "time_zone").to_owned());
        let zone = jiff::tz::db()
            .get(&zone_name)
            .map_err(|_| PdError::invalid("Time zone is not a valid time zone"))?;
        let policies = POLICIES.all(tx, None)?;
        let mut schedule = render_schedule(tx, links, stored.clone(), true, &policies)?;
        if let Some((since, until)) = range {
            // Turns that pass the range are whole with `overflow`: rendered over a wider range,
            // then kept where they touch the asked one.
            let (wide_since, wide_until) = if overflow {
                let pad = jiff::SignedDuration::from_hours(24 * 35);
                (since - pad, until + pad)
            } else {
                (since, until)
            };
            let touching = |entries: Vec<render::Entry>| -> Vec<render::Entry> {
                entries
                    .into_iter()
                    .filter(|e| e.end > since && e.start < until)
                    .collect()
            };
            let layers = stored["schedule_layers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let schedule_zone = jiff::tz::db()
                .get(text(&stored, "time_zone"))
                .unwrap_or(jiff::tz::TimeZone::UTC);
            for (i, layer) in layers.iter().enumerate() {
                let entries = touching(render::layer_entries(
                    layer,
                    &schedule_zone,
                    wide_since,
                    wide_until,
                ));
                schedule["schedule_layers"][i]["rendered_schedule_entries"] =
                    entries_json(tx, links, &entries, &zone)?;
            }
            let overridden = touching(render::override_entries(&overrides, wide_since, wide_until));
            schedule["overrides_subschedule"] = json!({
                "name": "Overrides",
                "rendered_schedule_entries": entries_json(tx, links, &overridden, &zone)?,
            });
            let final_entries = touching(render::final_entries(
                &stored, &overrides, wide_since, wide_until,
            ));
            schedule["final_schedule"] = json!({
                "name": "Final Schedule",
                "rendered_schedule_entries": entries_json(tx, links, &final_entries, &zone)?,
            });
        }
        Ok(schedule)
    })
    .await?;
    ok(StatusCode::OK, json!({ "schedule": schedule }))
}

/// An override as PagerDuty shows it.
fn render_override(tx: &Transaction, links: &Links, o: &Value) -> Result<Value, ApiError> {
    let user = text(&o["user"], "id").to_owned();
    let name = USERS
        .get(tx, &user)?
        .map(|u| text(&u, "name").to_owned())
        .unwrap_or_default();
    Ok(json!({
        "id": o["id"], "start": o["start"], "end": o["end"],
        "user": links.reference("user", "users", &user, &name),
    }))
}

/// `GET /schedules/{id}/overrides?since&until`: the overrides that touch the range (both are
/// required, as PagerDuty's document says).
async fn list_overrides(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Reply {
    let query = Query::parse(raw.as_deref());
    let (Some(since), Some(until)) = (query.get("since"), query.get("until")) else {
        return Err(PdError::invalid("Since and until must be provided"));
    };
    let (since, until) =
        range(&Query::parse(Some(&format!("since={since}&until={until}"))))?.expect("both given");
    let overrides = read(&app, &headers, move |tx, links| {
        SCHEDULES.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        let mut out = Vec::new();
        for o in OVERRIDES.all(tx, Some(&id))? {
            let (start, end) = (parse_instant(&o, "start")?, parse_instant(&o, "end")?);
            if end > since && start < until {
                out.push(render_override(tx, links, &o)?);
            }
        }
        Ok(json!(out))
    })
    .await?;
    ok(StatusCode::OK, json!({ "overrides": overrides }))
}

/// One override of a create request, checked and stored; its answer.
fn store_override(
    tx: &Transaction,
    links: &Links,
    schedule: &str,
    body: &Value,
) -> Result<Value, PdError> {
    let (start, end) = (parse_instant(body, "start")?, parse_instant(body, "end")?);
    if end <= start {
        return Err(PdError::invalid("End must be after start"));
    }
    let user = reference_to(
        tx,
        body.get("user"),
        "user",
        USERS,
        (StatusCode::BAD_REQUEST, 2001, "User not found"),
    )?;
    let stored = json!({
        "id": new_id(), "start": start.to_string(), "end": end.to_string(),
        "user": {"id": user, "type": "user_reference"},
    });
    OVERRIDES.put(tx, &stored, schedule, 0)?;
    Ok(render_override(tx, links, &stored)?)
}

/// `POST /schedules/{id}/overrides`: `{"overrides": […]}` answers a status per override (201, or
/// 400 with its errors); the deprecated `{"override": {…}}` answers the one override.
async fn create_overrides(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let parsed: Result<Value, PdError> = serde_json::from_slice(&bytes)
        .map_err(|e| PdError::invalid(format!("Malformed JSON: {e}")));
    let answer = transact(&app, &headers, move |tx, links| {
        let parsed = parsed?;
        SCHEDULES.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        if let Some(many) = parsed["overrides"].as_array() {
            let mut out = Vec::with_capacity(many.len());
            for one in many {
                out.push(match store_override(tx, links, &id, one) {
                    Ok(o) => json!({"status": 201, "override": o}),
                    Err(e) => {
                        json!({"status": e.status.as_u16(), "errors": e.errors, "override": one})
                    }
                });
            }
            Ok(json!(out))
        } else if parsed["override"].is_object() {
            Ok(json!({"override": store_override(tx, links, &id, &parsed["override"])?}))
        } else {
            Err(PdError::invalid("Overrides must be provided"))
        }
    })
    .await?;
    ok(StatusCode::CREATED, answer)
}

/// `DELETE /schedules/{id}/overrides/{override_id}`: 204, or 200 when an override under way is
/// cut short at now instead (PagerDuty keeps what already happened).
async fn delete_override(
    State(app): State<App>,
    headers: HeaderMap,
    Path((id, override_id)): Path<(String, String)>,
) -> Reply {
    let truncated = transact(&app, &headers, move |tx, _| {
        let mut o = OVERRIDES
            .get(tx, &override_id)?
            .filter(|o| {
                // Looked up by its own id, it must be of this schedule.
                OVERRIDES
                    .all(tx, Some(&id))
                    .is_ok_and(|all| all.iter().any(|x| x["id"] == o["id"]))
            })
            .ok_or_else(PdError::not_found)?;
        let now = jiff::Timestamp::now();
        if parse_instant(&o, "start")? < now && now < parse_instant(&o, "end")? {
            o["end"] = json!(now.to_string());
            OVERRIDES.put(tx, &o, &id, 0)?;
            return Ok(json!(true));
        }
        OVERRIDES.delete(tx, &override_id)?;
        Ok(json!(false))
    })
    .await?;
    Ok(if truncated == true {
        StatusCode::OK.into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}

async fn delete_schedule(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    transact(&app, &headers, move |tx, _| {
        SCHEDULES.get(tx, &id)?.ok_or_else(PdError::not_found)?;
        let used: Vec<String> = POLICIES
            .all(tx, None)?
            .iter()
            .filter(|p| {
                p["escalation_rules"]
                    .items()
                    .flat_map(|r| r["targets"].items())
                    .any(|t| t["id"] == id.as_str())
            })
            .map(|p| text(p, "name").to_owned())
            .collect();
        if !used.is_empty() {
            return Err(PdError::invalid(format!(
                "Schedule is used by escalation policies: {}",
                used.join(", ")
            )));
        }
        SCHEDULES.delete(tx, &id)?;
        Ok(Value::Null)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- the kinds stored by name (teams, escalation policies, services, schedules) ----

/// Sets an object's writable fields from a request body (`true` when creating).
type Fields = fn(&Transaction, &mut Value, &Map<String, Value>, bool) -> Result<(), PdError>;

/// How one of the kinds stored under its name is written and shown: its body key (also its
/// `type`), a new object's defaults, its writable fields, whether names are unique, and how it
/// is rendered.
struct Named {
    collection: Collection,
    key: &'static str,
    new: fn() -> Value,
    fields: Fields,
    unique: bool,
    render: fn(&Transaction, &Links, Value) -> Result<Value, ApiError>,
}

const TEAM: Named = Named {
    collection: TEAMS,
    key: "team",
    new: || {
        json!({
            "type": "team", "name": "", "default_role": "manager", "members": [],
        })
    },
    fields: |_, team, body, creating| team_fields(team, body, creating),
    unique: true,
    render: |_, links, team| Ok(render_team(links, team)),
};

const POLICY: Named = Named {
    collection: POLICIES,
    key: "escalation_policy",
    new: || {
        json!({
            "type": "escalation_policy", "name": "", "num_loops": 0,
            "on_call_handoff_notifications": "if_has_services", "escalation_rules": [], "teams": [],
        })
    },
    fields: policy_fields,
    unique: true,
    render: |tx, links, policy| {
        let services_of = services_by_policy(tx, links)?;
        render_policy(tx, links, policy, &services_of)
    },
};

const SERVICE: Named = Named {
    collection: SERVICES,
    key: "service",
    new: || {
        json!({
            "type": "service", "name": "", "auto_resolve_timeout": 14400,
            "acknowledgement_timeout": 1800, "status": "active",
            "alert_creation": "create_alerts_and_incidents", "created_at": now_text(),
            "incident_urgency_rule": {"type": "constant", "urgency": "high"}, "teams": [], "addons": [],
        })
    },
    fields: service_fields,
    unique: true,
    render: |tx, links, service| render_service(tx, links, service, false),
};

const SCHEDULE: Named = Named {
    collection: SCHEDULES,
    key: "schedule",
    new: || {
        json!({
            "type": "schedule", "name": "", "time_zone": "Etc/UTC", "schedule_layers": [],
        })
    },
    fields: schedule_fields,
    // PagerDuty does not require unique schedule names.
    unique: false,
    render: |tx, links, schedule| {
        let policies = POLICIES.all(tx, None)?;
        render_schedule(tx, links, schedule, true, &policies)
    },
};

/// `POST` of a named kind: 201 with the object under its key.
async fn create_named(
    app: &App,
    headers: &HeaderMap,
    bytes: &Bytes,
    kind: &'static Named,
) -> Reply {
    let body = unwrap_body(bytes, kind.key);
    let object = transact(app, headers, move |tx, links| {
        let body = body?;
        check_type(&body, kind.key)?;
        let mut object = (kind.new)();
        object["id"] = json!(new_id());
        (kind.fields)(tx, &mut object, &body, true)?;
        store_named(tx, kind, &object, "")?;
        Ok((kind.render)(tx, links, object)?)
    })
    .await?;
    ok(StatusCode::CREATED, json!({ kind.key: object }))
}

/// `PUT` of a named kind: the fields given, the rest as they were.
async fn update_named(
    app: &App,
    headers: &HeaderMap,
    id: String,
    bytes: &Bytes,
    kind: &'static Named,
) -> Reply {
    let body = unwrap_body(bytes, kind.key);
    let object = transact(app, headers, move |tx, links| {
        let body = body?;
        let mut object = kind
            .collection
            .get(tx, &id)?
            .ok_or_else(PdError::not_found)?;
        (kind.fields)(tx, &mut object, &body, false)?;
        store_named(tx, kind, &object, &id)?;
        Ok((kind.render)(tx, links, object)?)
    })
    .await?;
    ok(StatusCode::OK, json!({ kind.key: object }))
}

/// Stores a named object under its name, refusing a name another object `except` has.
fn store_named(
    tx: &Transaction,
    kind: &Named,
    object: &Value,
    except: &str,
) -> Result<(), PdError> {
    let name = text(object, "name").to_owned();
    if kind.unique && name_taken(kind.collection, tx, &name, except)? {
        return Err(PdError::invalid("Name has already been taken"));
    }
    kind.collection.put(tx, object, &name, 0)?;
    Ok(())
}

/// The named kinds, by the index their handlers take.
const NAMED: [&Named; 4] = [&TEAM, &POLICY, &SERVICE, &SCHEDULE];
const TEAM_KIND: usize = 0;
const POLICY_KIND: usize = 1;
const SERVICE_KIND: usize = 2;
const SCHEDULE_KIND: usize = 3;

async fn get_kind<const K: usize>(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let kind = NAMED[K];
    let object = read(&app, &headers, move |tx, links| {
        let object = kind
            .collection
            .get(tx, &id)?
            .ok_or_else(PdError::not_found)?;
        Ok((kind.render)(tx, links, object)?)
    })
    .await?;
    ok(StatusCode::OK, json!({ kind.key: object }))
}

async fn create_kind<const K: usize>(
    State(app): State<App>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Reply {
    create_named(&app, &headers, &bytes, NAMED[K]).await
}

async fn update_kind<const K: usize>(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    update_named(&app, &headers, id, &bytes, NAMED[K]).await
}

// ---- vendors ----

fn render_vendor(links: &Links, (id, name): (&str, &str)) -> Value {
    let mut vendor = json!({
        "id": id, "type": "vendor", "name": name,
        "website_url": null, "logo_url": null, "thumbnail_url": null,
        "description": format!("{name} (emulated vendor entry)"),
        "integration_guide_url": null,
    });
    links.decorate(&mut vendor, "vendors", "name");
    vendor
}

async fn list_vendors(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    let query = Query::parse(raw.as_deref());
    query.paging()?;
    let vendors = read(&app, &headers, |_, links| {
        Ok(json!(
            VENDORS
                .iter()
                .map(|v| render_vendor(links, *v))
                .collect::<Vec<_>>()
        ))
    })
    .await?;
    page("vendors", array(vendors), &query)
}

async fn get_vendor(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    let vendor = read(&app, &headers, move |_, links| {
        VENDORS
            .iter()
            .find(|(vid, _)| *vid == id)
            .map(|v| render_vendor(links, *v))
            .ok_or_else(PdError::not_found)
    })
    .await?;
    ok(StatusCode::OK, json!({ "vendor": vendor }))
}

/// PagerDuty's dialect.
pub(crate) static DIALECT: super::Dialect = super::Dialect {
    rate_window_seconds: 60,
    rate_limit_headers: true,
    lock_refusal: Some("Account could not be locked, please try again"),
    seed_file: Some("pagerduty-seed.json"),
    seed: Some(|app, path| super::load_seed(app, path, open_account)),
    open: Some(open_default_account),
    ..super::Dialect::vendor(router, |err| render_error(&err))
};

/// A PagerDuty account always has its owner: made at start unless a seed made one; the owner
/// is who the API acts as (the embedded `From`).
fn open_default_account(tx: &Transaction) -> Result<Option<String>, ApiError> {
    open_account(tx, &Account::default())?;
    owner_email(tx)
}
