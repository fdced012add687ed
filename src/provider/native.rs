//! The provider for alertform's own API (the bundled service): list endpoints only, every kind at
//! once, first page for the page count, then the remaining pages concurrently at 1000 per page.

use crate::json::Items;
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::http::{HttpClient, HttpError};
use super::{ProviderError, Run};

use crate::api::{
    EscalationPolicy, Group, Integration, Outbound, Page, Schedule, User, collection,
};
use crate::model::{
    Address, Channel, ChannelSettings, ChatPlatform, Kind, LiveSecret, OutboundTarget, Resource,
    Rotation, Templates, Window,
};
use crate::observed::{
    Observed, ObservedGroup, ObservedIntegration, ObservedLayer, ObservedOutbound, ObservedPolicy,
    ObservedSchedule, ObservedStep, ObservedUser,
};
use crate::plan::{Action, Change};

/// The largest page the service serves.
pub const PAGE_SIZE: u64 = 1000;
/// Page requests in flight per kind.
const CONCURRENT_PAGES: usize = 8;

#[derive(Clone)]
pub struct NativeProvider {
    http: HttpClient,
    has_token: bool,
}

impl NativeProvider {
    pub fn new(http: HttpClient, has_token: bool) -> Self {
        NativeProvider { http, has_token }
    }

    /// Turns an HTTP error into one that says what to do about it.
    pub fn explain(&self, err: HttpError, action: &str) -> ProviderError {
        match err.status() {
            Some(StatusCode::UNAUTHORIZED) => ProviderError::Unauthorized {
                endpoint: self.http.base().to_owned(),
                had_token: self.has_token,
            },
            Some(StatusCode::FORBIDDEN) => ProviderError::Forbidden {
                endpoint: self.http.base().to_owned(),
                action: action.to_owned(),
                message: match &err {
                    HttpError::Status { message, .. } => message.clone(),
                    _ => err.to_string(),
                },
            },
            _ => ProviderError::Http(err),
        }
    }

    /// Reads every live object of every kind.
    pub async fn observe(&self) -> Result<Observed, ProviderError> {
        let (users, groups, schedules, policies, integrations, outbound) = tokio::try_join!(
            self.list::<User>(Kind::User),
            self.list::<Group>(Kind::Group),
            self.list::<Schedule>(Kind::Schedule),
            self.list::<EscalationPolicy>(Kind::EscalationPolicy),
            self.list::<Integration>(Kind::Integration),
            self.list::<Outbound>(Kind::Outbound),
        )?;
        let mut observed = Observed {
            users: users.into_iter().map(observe_user).collect(),
            groups: groups.into_iter().map(observe_group).collect(),
            schedules: schedules.into_iter().map(observe_schedule).collect(),
            escalation_policies: policies.into_iter().map(observe_policy).collect(),
            integrations: integrations.into_iter().map(observe_integration).collect(),
            ..Observed::default()
        };
        for o in outbound {
            let what = format!("outbound target `{}` is marked not", o.name);
            observed.mark_locked(
                &o.meta.id,
                o.editable,
                o.deletable,
                |locked, refused| {
                    format!("{what} {locked} in the service: alertform will not {refused}")
                },
                |state, _| format!("{what} {state} in the service"),
            );
            observed.outbound.push(observe_outbound(o));
        }
        Ok(observed)
    }

    /// Whether the endpoint is the bundled service: it alone publishes alertform's OpenAPI
    /// document, without a token.
    async fn is_bundled(&self) -> bool {
        self.http
            .get("/api/v1/openapi.json")
            .await
            .is_ok_and(|reply| {
                reply.body["info"]["title"]
                    .as_str()
                    .is_some_and(|t| t.contains("alertform"))
            })
    }

    async fn page<T: DeserializeOwned>(
        &self,
        name: &str,
        page: u64,
    ) -> Result<Page<T>, ProviderError> {
        let path = format!("/api/v1/{name}?page={page}&per_page={PAGE_SIZE}");
        let answer = self.http.get_as(&path).await;
        let answered = match &answer {
            Err(HttpError::Status { status, .. }) if matches!(status.as_u16(), 401 | 403 | 404) => {
                Some(status.to_string())
            }
            Err(HttpError::Decode { .. }) => Some("an answer of another shape".to_owned()),
            _ => None,
        };
        if let Some(answered) = answered
            && !self.is_bundled().await
        {
            return Err(ProviderError::NotTheBundledService {
                endpoint: self.http.base().to_owned(),
                path: format!("/api/v1/{name}"),
                answered,
            });
        }
        answer.map_err(|e| match e {
            HttpError::Decode { message, .. } => ProviderError::Unreadable {
                endpoint: self.http.base().to_owned(),
                what: format!("a page of {name}"),
                message,
            },
            e => self.explain(e, &format!("read {name}")),
        })
    }

    async fn list<T: DeserializeOwned + Send + 'static>(
        &self,
        kind: Kind,
    ) -> Result<Vec<T>, ProviderError> {
        let collection = collection(kind);
        let first = self.page::<T>(collection, 1).await?;
        super::all_pages(
            first.results,
            first.total_pages,
            (CONCURRENT_PAGES, collection, self.http.base()),
            |page| {
                let provider = self.clone();
                async move { Ok(provider.page::<T>(collection, page).await?.results) }
            },
        )
        .await
    }
}

fn observe_user(u: User) -> ObservedUser {
    ObservedUser {
        id: u.meta.id,
        version: u.meta.version,
        name: u.name,
        email: u.email,
        phone: u.phone,
        role: u.role,
        time_zone: u.time_zone,
    }
}

fn observe_group(g: Group) -> ObservedGroup {
    ObservedGroup {
        id: g.meta.id,
        version: g.meta.version,
        name: g.name,
        description: g.description,
        member_user_ids: g.member_user_ids.into_iter().collect(),
        member_group_ids: g.member_group_ids.into_iter().collect(),
    }
}

fn observe_policy(p: EscalationPolicy) -> ObservedPolicy {
    ObservedPolicy {
        id: p.meta.id,
        version: p.meta.version,
        name: p.name,
        description: p.description,
        repeat: u8::try_from(p.repeat).unwrap_or(u8::MAX),
        steps: p
            .steps
            .into_iter()
            .map(|s| ObservedStep {
                delay_minutes: u16::try_from(s.delay_minutes).unwrap_or(u16::MAX),
                notify_user_ids: s.notify_user_ids.into_iter().collect::<BTreeSet<_>>(),
                notify_group_ids: s.notify_group_ids.into_iter().collect(),
                notify_schedule_ids: s.notify_schedule_ids.into_iter().collect(),
                notify_outbound_ids: s.notify_outbound_ids.into_iter().collect(),
            })
            .collect(),
    }
}

/// A stored schedule; values the service validated, so unreadable ones cannot occur (a layer
/// would read as starting at the epoch, `1h`, unrestricted: a difference a plan shows).
fn observe_schedule(s: Schedule) -> ObservedSchedule {
    ObservedSchedule {
        id: s.meta.id,
        version: s.meta.version,
        name: s.name,
        time_zone: s.time_zone,
        layers: s
            .layers
            .into_iter()
            .map(|l| {
                let (start, rotation, restrict) = l.timing().unwrap_or((
                    jiff::civil::DateTime::default(),
                    Rotation::Hours(1),
                    Vec::new(),
                ));
                ObservedLayer {
                    name: l.name,
                    start,
                    rotation,
                    member_user_ids: l.member_user_ids,
                    restrict,
                }
            })
            .collect(),
    }
}

/// The key and endpoint URL are dropped here: the planner never holds a secret.
fn observe_integration(i: Integration) -> ObservedIntegration {
    let channel = match i.channel {
        Channel::Api => ChannelSettings::Api,
        Channel::Email => ChannelSettings::Email { mailbox: i.mailbox },
        Channel::Chat => ChannelSettings::Chat {
            platform: i.settings.chat_platform.unwrap_or(ChatPlatform::Slack),
            channel: i.settings.chat_channel.unwrap_or_default(),
        },
        Channel::Heartbeat => ChannelSettings::Heartbeat {
            interval_minutes: i
                .settings
                .interval_minutes
                .and_then(|m| u16::try_from(m).ok())
                .unwrap_or(0),
        },
    };
    ObservedIntegration {
        id: i.meta.id,
        version: i.meta.version,
        name: i.name,
        channel,
        template: i.template,
        escalation_policy_id: i.escalation_policy_id,
        recipient_user_ids: i.recipient_user_ids.into_iter().collect(),
        recipient_group_ids: i.recipient_group_ids.into_iter().collect(),
        enabled: i.enabled,
        templates: Templates {
            grouping_key: i.templates.grouping_key,
            resolve_signal: i.templates.resolve_signal,
            acknowledge_signal: i.templates.acknowledge_signal,
            source_link: i.templates.source_link,
            title: i.templates.title,
            message: i.templates.message,
        },
    }
}

/// Secrets come back as digests only; one the service has no digest of compares as unknown.
fn observe_outbound(o: Outbound) -> ObservedOutbound {
    let secret = |field: &str| {
        o.secret_digests
            .get(field)
            .map_or(LiveSecret::Unknown, |d| LiveSecret::Digest(d.clone()))
    };
    let s = &o.settings;
    let plain = [&s.address, &s.host, &s.username, &s.phone, &s.channel];
    let target = OutboundTarget::from_settings(o.kind, plain, s.port, secret);
    ObservedOutbound {
        id: o.meta.id,
        version: o.meta.version,
        name: o.name,
        target,
    }
}

/// The answer to a write: the object as the service now has it (null after a delete).
#[derive(Debug, Clone)]
pub struct Written {
    pub id: String,
    pub version: u64,
    pub object: serde_json::Value,
}

fn written(object: serde_json::Value) -> Written {
    Written {
        id: object["id"].as_str().unwrap_or_default().to_owned(),
        version: object["version"].as_u64().unwrap_or(0),
        object,
    }
}

impl NativeProvider {
    /// Creates an object; with `replaces` (a live id and its version), in that object's place,
    /// in one transaction (references to it move to the new one). The idempotency key makes a
    /// retry after a lost answer safe: the service answers it with the first response instead
    /// of creating a second object.
    pub async fn create(
        &self,
        kind: crate::model::Kind,
        body: &serde_json::Value,
        idempotency_key: &str,
        replaces: Option<(&str, u64)>,
    ) -> Result<Written, ProviderError> {
        let mut path = format!("/api/v1/{}", collection(kind));
        let mut headers = vec![("idempotency-key", idempotency_key.to_owned())];
        if let Some((id, version)) = replaces {
            path = format!("{path}?replaces={}", super::percent_encode(id));
            headers.push(("if-match", format!("\"{version}\"")));
        }
        let reply = self
            .http
            .send(reqwest::Method::POST, &path, Some(body), &headers, true)
            .await
            .map_err(|e| self.explain(e, &format!("create {}", kind.plural())))?;
        Ok(written(reply.body))
    }

    /// Replaces an object if it is still at `version`. When the first answer was lost and the
    /// retry finds the version moved on, the object is read back: if it already holds `body`, the
    /// lost attempt succeeded.
    pub async fn update(
        &self,
        kind: crate::model::Kind,
        id: &str,
        version: u64,
        body: &serde_json::Value,
    ) -> Result<Written, ProviderError> {
        let path = format!("/api/v1/{}/{id}", collection(kind));
        let headers = [("if-match", format!("\"{version}\""))];
        match self
            .http
            .send(reqwest::Method::PUT, &path, Some(body), &headers, true)
            .await
        {
            Ok(reply) => Ok(written(reply.body)),
            Err(HttpError::Status {
                status: StatusCode::PRECONDITION_FAILED,
                attempts,
                ..
            }) if attempts > 1 => {
                let current = self
                    .http
                    .get_or(&path, |e| self.explain(e, "read back an update"))
                    .await?;
                if contains(&current.body, body)
                    && current.body["version"].as_u64() == Some(version + 1)
                {
                    Ok(written(current.body))
                } else {
                    Err(ProviderError::Drifted {
                        id: id.to_owned(),
                        expected: version,
                    })
                }
            }
            Err(e) => {
                Err(self.unless_drifted(e, id, version, &format!("update {}", kind.plural())))
            }
        }
    }

    /// A failed write: the object no longer at `version` (412) is drift, anything else is
    /// explained as `action` failing.
    fn unless_drifted(
        &self,
        err: HttpError,
        id: &str,
        version: u64,
        action: &str,
    ) -> ProviderError {
        match err {
            HttpError::Status {
                status: StatusCode::PRECONDITION_FAILED,
                ..
            } => ProviderError::Drifted {
                id: id.to_owned(),
                expected: version,
            },
            e => self.explain(e, action),
        }
    }

    /// Deletes an object if it is still at `version`; gone after a lost answer counts as done.
    pub async fn delete(
        &self,
        kind: crate::model::Kind,
        id: &str,
        version: u64,
    ) -> Result<(), ProviderError> {
        let path = format!("/api/v1/{}/{id}", collection(kind));
        let headers = [("if-match", format!("\"{version}\""))];
        match self
            .http
            .send(reqwest::Method::DELETE, &path, None, &headers, true)
            .await
        {
            Ok(_) => Ok(()),
            Err(HttpError::Status {
                status: StatusCode::NOT_FOUND,
                attempts,
                ..
            }) if attempts > 1 => Ok(()),
            Err(e) => {
                Err(self.unless_drifted(e, id, version, &format!("delete {}", kind.plural())))
            }
        }
    }

    /// The schedule named `name` as the service renders it over `[from, to)`
    /// (`GET /api/v1/schedules/{id}/oncall`), each piece's user as an email.
    pub async fn rendered(&self, name: &str, from: Timestamp, to: Timestamp) -> super::Renders {
        let explain = |e| self.explain(e, "read schedules");
        let encode =
            |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let found = self
            .http
            .get_or(&format!("/api/v1/schedules?name={}", encode(name)), explain)
            .await?;
        let Some(id) = found.body["results"]
            .items()
            .find(|s| s["name"] == name)
            .map(|s| super::text(s, "id"))
        else {
            return Ok(None);
        };
        let reply = self
            .http
            .get_or(
                &format!(
                    "/api/v1/schedules/{}/oncall?since={}&until={}",
                    encode(&id),
                    encode(&from.to_string()),
                    encode(&to.to_string())
                ),
                explain,
            )
            .await?;
        Ok(Some(
            reply.body["results"]
                .items()
                .filter_map(|piece| {
                    Some((
                        super::instant(&piece["start"])?,
                        super::instant(&piece["end"])?,
                        super::text(piece, "email"),
                    ))
                })
                .collect(),
        ))
    }

    /// One object, as the service has it (secrets included: callers decide what to show).
    pub async fn get(
        &self,
        kind: crate::model::Kind,
        id: &str,
    ) -> Result<serde_json::Value, ProviderError> {
        let path = format!("/api/v1/{}/{id}", collection(kind));
        let read = |e| self.explain(e, &format!("read {}", kind.plural()));
        Ok(self.http.get_or(&path, read).await?.body)
    }
}

/// Whether every field of `wanted` has that value in `object` (lists compared as sets of ids).
fn contains(object: &serde_json::Value, wanted: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (object, wanted) {
        (Value::Object(have), Value::Object(want)) => want
            .iter()
            .all(|(k, v)| v.is_null() || have.get(k).is_some_and(|h| contains(h, v))),
        (Value::Array(have), Value::Array(want)) => {
            have.len() == want.len() && want.iter().all(|w| have.iter().any(|h| contains(h, w)))
        }
        (have, want) => have == want,
    }
}

impl NativeProvider {
    /// Carries out one change as one call (two for a replace: delete, then create).
    pub async fn execute(&self, change: &Change, run: &Run) -> Result<Value, String> {
        let provider = self;
        let kind = change.kind();
        let live = || -> Result<(&str, u64), String> {
            Ok((
                change
                    .id
                    .as_deref()
                    .ok_or("the plan has no id for this change")?,
                change
                    .version
                    .ok_or("the plan has no version for this change")?,
            ))
        };
        match change.action {
            Action::Create | Action::Replace => {
                // A replace is one create in the old object's place: nothing that references
                // it is ever left pointing at nothing.
                let replaces = if change.action == Action::Replace {
                    Some(live()?)
                } else {
                    None
                };
                // Built under the lock, not from a copy: copying every id per change is quadratic.
                let mut body = body(change.desired()?, &run.ids(), true)?;
                with_secrets(&mut body, change);
                let key =
                    crate::digest::sha256_parts([run.key().as_bytes(), change.address.as_bytes()]);
                let created = provider
                    .create(kind, &body, &key, replaces)
                    .await
                    .map_err(|e| e.to_string())?;
                run.record(&change.address.clone(), created.id.clone());
                Ok(created.object)
            }
            Action::Update => {
                let (id, version) = live()?;
                let mut body = body(change.desired()?, &run.ids(), false)?;
                with_secrets(&mut body, change);
                let updated = provider
                    .update(kind, id, version, &body)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(updated.object)
            }
            Action::Delete => {
                let (id, version) = live()?;
                provider
                    .delete(kind, id, version)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Value::Null)
            }
        }
    }
}

/// The API body for the resource a change writes, with references turned into ids.
fn body(
    resource: &Resource,
    ids: &BTreeMap<String, String>,
    create: bool,
) -> Result<Value, String> {
    use super::ids_of;
    Ok(match resource {
        Resource::User(u) => json!({
            "name": u.name, "email": u.email, "phone": u.phone,
            "role": u.role.as_str(), "time_zone": u.time_zone,
        }),
        Resource::Group(g) => json!({
            "name": g.name, "description": g.description,
            "member_user_ids": ids_of(&g.members, Kind::User, ids)?,
            "member_group_ids": ids_of(&g.members, Kind::Group, ids)?,
        }),
        Resource::Schedule(s) => {
            let mut layers = Vec::new();
            for layer in &s.layers {
                let restrict: Vec<Value> = layer.restrict.iter().map(Window::to_json).collect();
                layers.push(json!({
                    "name": layer.name,
                    "start": layer.start.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
                    "rotation": layer.rotation.to_string(),
                    "member_user_ids": ids_of(&layer.members, Kind::User, ids)?,
                    "restrict": restrict,
                }));
            }
            json!({"name": s.name, "time_zone": s.time_zone, "layers": layers})
        }
        Resource::EscalationPolicy(p) => {
            let mut steps = Vec::new();
            for step in &p.steps {
                steps.push(json!({
                    "delay_minutes": step.delay_minutes,
                    "notify_user_ids": ids_of(&step.notify, Kind::User, ids)?,
                    "notify_group_ids": ids_of(&step.notify, Kind::Group, ids)?,
                    "notify_schedule_ids": ids_of(&step.notify, Kind::Schedule, ids)?,
                    "notify_outbound_ids": ids_of(&step.notify, Kind::Outbound, ids)?,
                }));
            }
            json!({"name": p.name, "description": p.description, "repeat": p.repeat, "steps": steps})
        }
        Resource::Integration(i) => {
            let policy = Address::new(Kind::EscalationPolicy, &i.escalation_policy);
            let mut settings = serde_json::Map::new();
            let mut mailbox = None;
            match &i.channel {
                ChannelSettings::Api => {}
                ChannelSettings::Email { mailbox: m } => mailbox.clone_from(m),
                ChannelSettings::Chat { platform, channel } => {
                    settings.insert("chat_platform".to_owned(), json!(platform.as_str()));
                    settings.insert("chat_channel".to_owned(), json!(channel));
                }
                ChannelSettings::Heartbeat { interval_minutes } => {
                    settings.insert("interval_minutes".to_owned(), json!(interval_minutes));
                }
            }
            let templates: serde_json::Map<String, Value> = i
                .templates
                .set()
                .into_iter()
                .map(|(field, value)| (field.to_owned(), json!(value)))
                .collect();
            let mut body = json!({
                "name": i.name, "escalation_policy_id": super::id_of(&policy, ids)?,
                "recipient_user_ids": ids_of(&i.recipients, Kind::User, ids)?,
                "recipient_group_ids": ids_of(&i.recipients, Kind::Group, ids)?,
                "enabled": i.enabled, "settings": settings, "templates": templates,
            });
            if let Some(mailbox) = mailbox {
                body["mailbox"] = json!(mailbox);
            }
            if create {
                body["channel"] = json!(i.channel.channel().as_str());
                body["template"] = json!(i.template);
            }
            body
        }
        Resource::Outbound(o) => {
            // Secret fields are not read here: `with_secrets` adds them from the change.
            let settings: serde_json::Map<String, Value> = o
                .target
                .settings()
                .into_iter()
                .map(|(field, value)| (field.to_owned(), value))
                .collect();
            let mut body = json!({"name": o.name, "settings": settings});
            if create {
                body["type"] = json!(o.target.kind().as_str());
            }
            body
        }
    })
}

/// Puts the secret values of `change` into the settings of its body (outbound targets): an
/// update sends them too, so the service holds what the config says.
fn with_secrets(body: &mut Value, change: &Change) {
    for (field, secret) in &change.secrets.0 {
        body["settings"][field] = json!(secret.expose());
    }
}

/// The path of every live object, as Terraform's state file would list them.
pub fn object_paths(http: &HttpClient) -> super::Call<'_, Result<Vec<String>, HttpError>> {
    Box::pin(async move {
        let mut paths = Vec::new();
        for &kind in Kind::ALL {
            let collection = crate::api::collection(kind);
            let mut page = 1;
            loop {
                let body = http
                    .get(&format!(
                        "/api/v1/{collection}?page={page}&per_page={PAGE_SIZE}"
                    ))
                    .await?
                    .body;
                for object in body["results"].items() {
                    paths.push(format!(
                        "/api/v1/{collection}/{}",
                        object["id"].as_str().unwrap_or_default()
                    ));
                }
                if page >= body["total_pages"].as_u64().unwrap_or(0) {
                    break;
                }
                page += 1;
            }
        }
        Ok(paths)
    })
}

/// alertform's own bundled service, as the registry knows it.
pub static VENDOR: super::Descriptor = super::Descriptor {
    name: crate::model::ProviderName::Alertform,
    display_name: "alertform",
    capabilities: &super::capabilities::ALERTFORM,
    bundled: true,
    connect: |connect| std::sync::Arc::new(NativeProvider::new(connect.http, connect.has_token)),
    conceal: super::conceal_secret_fields,
    integration_endpoint: super::IntegrationEndpoint::Shown,
    generate: Ok(super::GenerateProfile {
        org: crate::generate::org,
        schedules: crate::generate::Layers::OverlappingRestricted,
    }),
    terraform_paths: Ok(object_paths),
    rate_budget: None,
    pages: None,
};

super::vendor_client!(NativeProvider; rendered);
