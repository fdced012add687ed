//! The PagerDuty provider (REST API v2): what it can hold ([`capabilities`]), how it reads live
//! state (one paged list per collection, 100 a page, the rest of a list fetched concurrently once
//! the first page gave its total), and how it carries out a change.
//!
//! PagerDuty's wire names (`escalation_rules`, `num_loops`, `schedule_layers`, services and their
//! integrations, …) appear only in this folder. Integration keys and integration emails stop
//! here: [`Observed`] has neither, and what `execute` returns has neither.

pub mod capabilities;
pub mod mapping;

use crate::json::Items;
use crate::model::ProviderName;
use capabilities::CAPABILITIES;
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::http::{AuthScheme, HttpClient, HttpError};
use super::{ProviderError, Run, percent_encode, text, version_of};
use crate::model::{
    Address, Channel, ChannelSettings, EscalationPolicy, Integration, Kind, Resource, Role,
    Rotation, Schedule, Templates,
};
use crate::observed::{
    Observed, ObservedGroup, ObservedIntegration, ObservedLayer, ObservedPolicy, ObservedSchedule,
    ObservedStep, ObservedUser,
};
use crate::plan::{Action, Change, Plan};

/// PagerDuty's page size cap.
pub const PAGE_SIZE: u64 = 100;
/// offset + limit may not pass this: a list longer than it cannot be read whole.
pub const MAX_LISTED: u64 = 10_000;
/// Page requests in flight per collection.
const CONCURRENT_PAGES: usize = 4;
/// The versioned `Accept` PagerDuty's document requires on every operation.
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";
/// The role alertform gives team members (PagerDuty's API wants one; alertform does not diff it).
const MEMBER_ROLE: &str = "responder";
/// The label of phone contact methods alertform makes.
const PHONE_LABEL: &str = "Work";

#[derive(Clone)]
pub struct PagerDutyProvider {
    http: HttpClient,
    /// The `From` header for user creation: the email of a user on the account.
    from: Option<String>,
    live: Arc<Mutex<LiveDetail>>,
    /// Vendor name → id, read once per run when an integration needs one.
    vendors: Arc<tokio::sync::OnceCell<HashMap<String, String>>>,
    /// User id → email, read once when rendered timelines are asked for (`verify --live`).
    emails: Arc<tokio::sync::OnceCell<HashMap<String, String>>>,
}

/// What the last read saw that a change needs but the plan does not carry.
#[derive(Default)]
struct LiveDetail {
    /// User id → their phone contact method's id.
    phone_methods: HashMap<String, String>,
    /// Team id → member user ids.
    members: HashMap<String, BTreeSet<String>>,
    /// Service id → the id of the integration alertform manages on it.
    integrations: HashMap<String, String>,
    /// The account's subdomain (from any object's `html_url`).
    subdomain: Option<String>,
    /// The account owner's user id (there is one).
    owners: BTreeSet<String>,
}

impl PagerDutyProvider {
    pub fn new(http: HttpClient, from: Option<String>) -> Self {
        PagerDutyProvider {
            http: http
                .with_auth(AuthScheme::Token)
                .with_headers(vec![
                    ("accept", ACCEPT),
                    ("content-type", "application/json"),
                ])
                .with_transient(account_locked),
            from,
            live: Arc::default(),
            vendors: Arc::default(),
            emails: Arc::default(),
        }
    }

    fn explain(&self, err: HttpError, action: &str) -> ProviderError {
        super::explain_refusal(
            &self.http,
            err,
            action,
            "writes need a full-access REST API key, not a read-only one, or a user key of an Admin or Manager",
        )
    }

    /// Before any call: what the plan needs that this provider cannot give.
    pub fn preflight(&self, plan: &Plan) -> Result<(), String> {
        for change in &plan.changes {
            if change.kind() != Kind::User || change.action == Action::Delete {
                continue;
            }
            let was_owner = change.id.as_ref().is_some_and(|id| {
                self.live
                    .lock()
                    .expect("live detail lock")
                    .owners
                    .contains(id)
            });
            let will_be_owner =
                matches!(change.desired(), Ok(Resource::User(u)) if u.role == Role::Owner);
            if was_owner != will_be_owner {
                return Err(format!(
                    "`{}`: PagerDuty's API cannot make or unmake the account owner (the owner does that in the web app); change `role` back",
                    change.address
                ));
            }
            if change.action == Action::Create && self.from.is_none() {
                return Err(format!(
                    "`{}`: PagerDuty creates users only with a `From` header naming a user on the account: set --from-email or ALERTFORM_PAGERDUTY_FROM",
                    change.address
                ));
            }
        }
        Ok(())
    }

    /// Every object of a collection: the first page with its total, the rest concurrently.
    /// PagerDuty serves at most 10,000 objects of a list; a `sortable` one (services and
    /// escalation policies, sorted by name) is read from both ends, up to 20,000.
    async fn list(
        &self,
        path: &'static str,
        key: &'static str,
        sortable: bool,
    ) -> Result<Vec<Value>, ProviderError> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let first = self.page(path, separator, 0, true).await?;
        let mut objects = first[key].as_array().cloned().unwrap_or_default();
        if first["more"] != true {
            return Ok(objects);
        }
        let limit = if sortable { 2 * MAX_LISTED } else { MAX_LISTED };
        let too_many = |count: String| ProviderError::Unreadable {
            endpoint: self.http.base().to_owned(),
            what: format!("{count} {key}"),
            message: format!(
                "PagerDuty lists at most {MAX_LISTED} objects of a kind (offset + limit ≤ {MAX_LISTED}){}, so alertform cannot read them all and will not plan from part of them; split the account, or leave {key} out of this config",
                if sortable {
                    ", and alertform reads a list sorted by name from both ends: 20,000"
                } else {
                    ""
                }
            ),
        };
        let Some(total) = first["total"].as_u64() else {
            // No total after all: page by `more`, one page at a time.
            let mut offset = PAGE_SIZE;
            loop {
                if offset + PAGE_SIZE > MAX_LISTED {
                    return Err(too_many(format!("more than {MAX_LISTED}")));
                }
                let body = self.page(path, separator, offset, false).await?;
                objects.extend(body[key].as_array().cloned().unwrap_or_default());
                if body["more"] != true {
                    return Ok(objects);
                }
                offset += PAGE_SIZE;
            }
        };
        if total > limit {
            return Err(too_many(total.to_string()));
        }
        let pages = |path: String, count: u64| {
            super::in_order(
                2..=count.div_ceil(PAGE_SIZE),
                CONCURRENT_PAGES,
                key,
                self.http.base(),
                move |page| {
                    let provider = self.clone();
                    let path = path.clone();
                    let separator = if path.contains('?') { '&' } else { '?' };
                    async move {
                        let body = provider
                            .page(&path, separator, (page - 1) * PAGE_SIZE, false)
                            .await?;
                        Ok(body[key].as_array().cloned().unwrap_or_default())
                    }
                },
            )
        };
        objects.extend(pages(path.to_owned(), total.min(MAX_LISTED)).await?);
        if total > MAX_LISTED {
            // The rest from the other end of the name order; an object both passes saw (one
            // made or removed between them moves the boundary) is kept once.
            let descending = format!("{path}{separator}sort_by=name:desc");
            let rest = total - MAX_LISTED;
            let mut tail = self.page(&descending, '&', 0, false).await?[key]
                .as_array()
                .cloned()
                .unwrap_or_default();
            tail.extend(pages(descending, rest).await?);
            let seen: std::collections::HashSet<String> =
                objects.iter().map(|o| text(o, "id")).collect();
            objects.extend(
                tail.into_iter()
                    .take(usize::try_from(rest).unwrap_or(usize::MAX))
                    .filter(|o| !seen.contains(&text(o, "id"))),
            );
        }
        Ok(objects)
    }

    async fn page(
        &self,
        path: &str,
        separator: char,
        offset: u64,
        total: bool,
    ) -> Result<Value, ProviderError> {
        let total = if total { "&total=true" } else { "" };
        let url = format!("{path}{separator}limit={PAGE_SIZE}&offset={offset}{total}");
        self.http
            .get(&url)
            .await
            .map(|r| r.body)
            .map_err(|e| self.explain(e, &format!("read {path}")))
    }

    /// Reads every live object alertform can hold, one list per collection.
    pub async fn observe(&self) -> Result<Observed, ProviderError> {
        let (users, teams, policies, services, schedules) = tokio::try_join!(
            self.list("/users?include[]=contact_methods", "users", false),
            self.list("/teams", "teams", false),
            self.list("/escalation_policies", "escalation_policies", true),
            self.list("/services?include[]=integrations", "services", true),
            self.list("/schedules?include[]=schedule_layers", "schedules", false),
        )?;
        let mut detail = LiveDetail::default();
        let mut observed = Observed::default();
        for user in &users {
            let id = text(user, "id");
            if detail.subdomain.is_none() {
                detail.subdomain = subdomain_of(&text(user, "html_url"));
            }
            for team in user["teams"].items() {
                detail
                    .members
                    .entry(text(team, "id"))
                    .or_default()
                    .insert(id.clone());
            }
            let phone = user["contact_methods"]
                .items()
                .find(|m| m["type"] == "phone_contact_method");
            if let Some(method) = phone {
                detail.phone_methods.insert(id.clone(), text(method, "id"));
            }
            let (role, exact) = mapping::alertform_role(&text(user, "role"));
            if !exact {
                observed.notes.push(format!(
                    "user {} has PagerDuty role `{}`, which alertform shows as observer",
                    text(user, "email"),
                    text(user, "role")
                ));
            }
            if user["role"] == "owner" {
                detail.owners.insert(id.clone());
                observed.undeletable.insert(
                    id.clone(),
                    "it is the PagerDuty account owner, whom the API cannot delete: declare it (with `role = \"owner\"`) or leave it alone with `settings.ignore`".to_owned(),
                );
            }
            let shown = json!({
                "name": user["name"], "email": user["email"], "role": user["role"],
                "time_zone": user["time_zone"],
                "phone": phone.map(|m| json!([m["country_code"], m["address"]])),
            });
            observed.users.push(ObservedUser {
                version: version_of(&[&shown]),
                name: text(user, "name"),
                email: text(user, "email"),
                phone: phone.and_then(|m| {
                    Some(mapping::join_phone(
                        m["country_code"].as_u64()?,
                        m["address"].as_str()?,
                    ))
                }),
                role,
                time_zone: user["time_zone"].as_str().map(str::to_owned),
                id,
            });
        }
        for team in &teams {
            let id = text(team, "id");
            let members = detail.members.get(&id).cloned().unwrap_or_default();
            let listed: Vec<&String> = members.iter().collect();
            let shown = json!({"name": team["name"], "description": team["description"], "members": listed});
            observed.groups.push(ObservedGroup {
                version: version_of(&[&shown]),
                name: text(team, "name"),
                description: read_description(team),
                member_user_ids: members,
                member_group_ids: BTreeSet::new(),
                id,
            });
        }
        for policy in &policies {
            observed.escalation_policies.push(observe_policy(policy));
        }
        for service in &services {
            let id = text(service, "id");
            let integrations = service["integrations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let name = text(service, "name");
            // The one alertform made is named after the service; else the first.
            let managed = integrations
                .iter()
                .find(|i| i["name"].as_str() == Some(name.as_str()))
                .or_else(|| integrations.first());
            let (channel, template) = managed.map_or(("api", "(no integration)".to_owned()), |i| {
                mapping::channel_and_template(&text(i, "type"), i["vendor"]["summary"].as_str())
            });
            if let Some(integration) = managed {
                detail
                    .integrations
                    .insert(id.clone(), text(integration, "id"));
            } else {
                observed.unfinished.insert(
                    id.clone(),
                    format!("service `{name}` has no integration yet"),
                );
            }
            if integrations.len() > 1 {
                observed.notes.push(format!(
                    "service `{name}` has {} integrations; alertform manages `{}` and leaves the others alone",
                    integrations.len(),
                    managed.map(|i| text(i, "name")).unwrap_or_default()
                ));
            }
            // The integration key and email stay out of the digest as well as the object.
            let shown = json!({
                "name": service["name"], "status": service["status"],
                "escalation_policy": service["escalation_policy"]["id"],
                "integration": managed.map(|i| json!([i["id"], i["name"], i["type"], i["vendor"]["id"]])),
            });
            observed.integrations.push(ObservedIntegration {
                version: version_of(&[&shown]),
                name,
                channel: if channel == "email" {
                    ChannelSettings::Email { mailbox: None }
                } else {
                    ChannelSettings::Api
                },
                template,
                escalation_policy_id: text(&service["escalation_policy"], "id"),
                recipient_user_ids: BTreeSet::new(),
                recipient_group_ids: BTreeSet::new(),
                enabled: service["status"] != "disabled",
                templates: Templates::default(),
                id,
            });
        }
        for schedule in &schedules {
            observe_schedule(schedule, &mut observed);
        }
        let notes = self.override_notes(&observed.schedules).await?;
        observed.notes.extend(notes);
        *self.live.lock().expect("live detail lock") = detail;
        Ok(observed)
    }
}

/// PagerDuty's 400 when concurrent changes hold the account's lock: nothing was changed, and the
/// same request succeeds later (PagerDuty's own Terraform provider retries it too).
fn account_locked(status: StatusCode, body: &str) -> bool {
    status == StatusCode::BAD_REQUEST && body.contains("could not be locked")
}

/// `https://acme.pagerduty.com/users/P1` → `acme`.
fn subdomain_of(html_url: &str) -> Option<String> {
    let host = html_url.split("://").nth(1)?.split('/').next()?;
    host.strip_suffix(".pagerduty.com").map(str::to_owned)
}

fn observe_policy(policy: &Value) -> ObservedPolicy {
    let rules = policy["escalation_rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let delays: Vec<u16> = rules
        .iter()
        .map(|r| {
            r["escalation_delay_in_minutes"]
                .as_u64()
                .and_then(|d| u16::try_from(d).ok())
                .unwrap_or(0)
        })
        .collect();
    let steps = mapping::step_delays(&delays)
        .into_iter()
        .zip(&rules)
        .map(|(delay_minutes, rule)| {
            let mut step = ObservedStep {
                delay_minutes,
                notify_user_ids: BTreeSet::new(),
                notify_group_ids: BTreeSet::new(),
                notify_schedule_ids: BTreeSet::new(),
                notify_outbound_ids: BTreeSet::new(),
            };
            for target in rule["targets"].items() {
                let id = text(target, "id");
                if text(target, "type").starts_with("schedule") {
                    step.notify_schedule_ids.insert(id);
                } else {
                    step.notify_user_ids.insert(id);
                }
            }
            step
        })
        .collect();
    // The last rule's delay has no alertform field: left out of the digest too.
    let mut stable = policy.clone();
    if let Some(last) = stable["escalation_rules"]
        .as_array_mut()
        .and_then(|rules| rules.last_mut())
    {
        last["escalation_delay_in_minutes"] = Value::Null;
    }
    let shown = json!({
        "name": stable["name"], "description": stable["description"], "num_loops": stable["num_loops"],
        "rules": stable["escalation_rules"],
    });
    ObservedPolicy {
        id: text(policy, "id"),
        version: version_of(&[&shown]),
        name: text(policy, "name"),
        description: read_description(policy),
        repeat: policy["num_loops"]
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .unwrap_or(0),
        steps,
    }
}

/// A schedule's layers that are in force: a layer with an `end` in the past is history, left out
/// and said. A layer alertform cannot read is marked in [`Observed::unreadable`] (so `export`
/// never writes it) and stands in the plan as a layer to rewrite.
fn observe_schedule(schedule: &Value, observed: &mut Observed) {
    let time_zone = schedule["time_zone"].as_str().unwrap_or("UTC").to_owned();
    let now = jiff::Timestamp::now();
    let id = text(schedule, "id");
    let name = text(schedule, "name");
    let (layers, ended): (Vec<&Value>, Vec<&Value>) =
        schedule["schedule_layers"].items().partition(|l| {
            l["end"]
                .as_str()
                .and_then(|e| e.parse::<jiff::Timestamp>().ok())
                .is_none_or(|end| end > now)
        });
    for layer in ended {
        observed.notes.push(format!(
            "schedule `{name}`: layer `{}` ended at {}; it pages no one and is left out",
            text(layer, "name"),
            text(layer, "end")
        ));
    }
    let mut unreadable = Vec::new();
    let observed_layers = layers
        .iter()
        .map(|layer| match mapping::layer_of(layer, &time_zone, now) {
            Ok(layer) => layer,
            Err(why) => {
                unreadable.push(format!("layer `{}`: {why}", text(layer, "name")));
                // Shows as a difference, so the plan rewrites the layer as the config says.
                ObservedLayer {
                    name: format!(
                        "(PagerDuty layer `{}` alertform cannot express)",
                        text(layer, "name")
                    ),
                    start: jiff::civil::DateTime::default(),
                    rotation: Rotation::Hours(1),
                    member_user_ids: Vec::new(),
                    restrict: Vec::new(),
                }
            }
        })
        .collect();
    if !unreadable.is_empty() {
        observed.unreadable.insert(id.clone(), unreadable);
    }
    let shown = json!({
        "name": schedule["name"], "time_zone": schedule["time_zone"],
        "layers": layers.iter().map(|l| json!([l["name"], l["rotation_virtual_start"], l["rotation_turn_length_seconds"], l["users"], l["restrictions"]])).collect::<Vec<_>>(),
    });
    observed.schedules.push(ObservedSchedule {
        id,
        version: version_of(&[&shown]),
        name,
        time_zone,
        layers: observed_layers,
    });
}

/// The path of every object Terraform's PagerDuty provider would refresh one GET at a time
/// (users twice: the user and its contact methods; teams, their members, policies, schedules,
/// services and each service integration), for `dev baseline`. `http` is the provider's.
pub fn object_paths(http: &HttpClient) -> super::Call<'_, Result<Vec<String>, HttpError>> {
    Box::pin(async move {
        let mut paths = Vec::new();
        for (path, key) in [
            ("/users", "users"),
            ("/teams", "teams"),
            ("/escalation_policies", "escalation_policies"),
            ("/schedules", "schedules"),
            ("/services?include[]=integrations", "services"),
        ] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let mut offset = 0;
            loop {
                let body = http
                    .get(&format!(
                        "{path}{separator}limit={PAGE_SIZE}&offset={offset}"
                    ))
                    .await?
                    .body;
                for object in body[key].items() {
                    let id = text(object, "id");
                    match key {
                        "users" => {
                            paths.push(format!("/users/{id}"));
                            paths.push(format!("/users/{id}/contact_methods"));
                        }
                        "teams" => {
                            paths.push(format!("/teams/{id}"));
                            paths.push(format!("/teams/{id}/members?limit={PAGE_SIZE}"));
                        }
                        "services" => {
                            paths.push(format!("/services/{id}"));
                            for integration in object["integrations"].items() {
                                paths.push(format!(
                                    "/services/{id}/integrations/{}",
                                    text(integration, "id")
                                ));
                            }
                        }
                        _ => paths.push(format!("/{key}/{id}")),
                    }
                }
                if body["more"] != true || offset + PAGE_SIZE >= MAX_LISTED {
                    break;
                }
                offset += PAGE_SIZE;
            }
        }
        Ok(paths)
    })
}

impl PagerDutyProvider {
    /// The schedule named `name` as PagerDuty renders it over `[from, to)`: its
    /// `final_schedule` (layers and overrides), each entry's user as an email.
    pub async fn rendered(&self, name: &str, from: Timestamp, to: Timestamp) -> super::Renders {
        let Some(schedule) = self.find("/schedules", "schedules", "name", name).await? else {
            return Ok(None);
        };
        let emails = self
            .emails
            .get_or_try_init(|| async {
                Ok::<_, ProviderError>(
                    self.list("/users", "users", false)
                        .await?
                        .iter()
                        .map(|u| (text(u, "id"), text(u, "email").to_lowercase()))
                        .collect::<HashMap<String, String>>(),
                )
            })
            .await?;
        let path = format!(
            "/schedules/{}?since={}&until={}",
            percent_encode(&text(&schedule, "id")),
            percent_encode(&from.to_string()),
            percent_encode(&to.to_string())
        );
        let reply = self
            .http
            .get_or(&path, |e| self.explain(e, "read schedules"))
            .await?;
        let instant = super::instant;
        Ok(Some(
            reply.body["schedule"]["final_schedule"]["rendered_schedule_entries"]
                .items()
                .filter_map(|e| {
                    let user = text(&e["user"], "id");
                    Some((
                        instant(&e["start"])?,
                        instant(&e["end"])?,
                        emails.get(&user).cloned().unwrap_or(user),
                    ))
                })
                .collect(),
        ))
    }
}

/// How far ahead overrides are looked for: PagerDuty lists them only for a range.
const OVERRIDES_AHEAD_DAYS: i64 = 90;

impl PagerDutyProvider {
    /// A note for each schedule with overrides now or in the next [`OVERRIDES_AHEAD_DAYS`] days
    /// (one-off swaps made in PagerDuty), which plan and apply leave alone.
    async fn override_notes(
        &self,
        schedules: &[ObservedSchedule],
    ) -> Result<Vec<String>, ProviderError> {
        let now = jiff::Timestamp::now();
        let until = now + jiff::SignedDuration::from_hours(24 * OVERRIDES_AHEAD_DAYS);
        let made = format!("made in PagerDuty (now or in the next {OVERRIDES_AHEAD_DAYS} days)");
        super::override_notes(schedules, CONCURRENT_PAGES, self.http.base(), &made, |id| {
            let provider = self.clone();
            async move {
                let path = format!(
                    "/schedules/{}/overrides?since={}&until={}",
                    percent_encode(&id),
                    percent_encode(&now.to_string()),
                    percent_encode(&until.to_string())
                );
                let list = provider
                    .http
                    .get_or(&path, |e| provider.explain(e, "read schedule overrides"))
                    .await?;
                Ok(list.body["overrides"].as_array().map_or(0, Vec::len))
            }
        })
        .await
    }

    /// POSTs `body` with `headers`. PagerDuty has no idempotency keys, so when the answer is
    /// lost `find` looks for the object before trying again, and a retry refused because the
    /// object "has already been taken" is that lost create: found, not failed.
    async fn create<F, Fut>(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, String)],
        action: &str,
        find: F,
    ) -> Result<Value, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<Value>, ProviderError>>,
    {
        super::Recovering {
            http: &self.http,
            headers,
            explain: |e| self.explain(e, action),
            taken: |e| {
                matches!(e, HttpError::Status { status: StatusCode::BAD_REQUEST, message, .. }
                    if message.contains("already been taken"))
            },
        }
        .create(path, body, find)
        .await
        .map(|(object, _)| object)
    }

    /// The object of a list whose `field` is exactly `value`, by the API's `query` filter. The
    /// filter matches substrings ("Schedule 1" matches "Schedule 10" to "Schedule 199"), so every
    /// page of its answer is read until the object is found: a lost create looked for on the
    /// first page alone would be made again.
    async fn find(
        &self,
        path: &str,
        key: &str,
        field: &str,
        value: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let mut offset = 0;
        loop {
            let url = format!(
                "{path}?query={}&limit={PAGE_SIZE}&offset={offset}",
                percent_encode(value)
            );
            let page = self
                .http
                .get_or(&url, |e| self.explain(e, &format!("read {path}")))
                .await?;
            let found = page.body[key].items().find(|o| {
                o[field]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            });
            if let Some(found) = found {
                return Ok(Some(found.clone()));
            }
            if page.body["more"] != true || offset + PAGE_SIZE >= MAX_LISTED {
                return Ok(None);
            }
            offset += PAGE_SIZE;
        }
    }

    async fn put(&self, path: &str, body: &Value, action: &str) -> Result<Value, ProviderError> {
        super::put_json(&self.http, path, body)
            .await
            .map_err(|e| self.explain(e, action))
    }

    /// DELETE; gone after a lost answer counts as done.
    async fn delete(&self, path: &str, action: &str) -> Result<(), ProviderError> {
        super::delete_once(&self.http, path)
            .await
            .map_err(|e| self.explain(e, action))
    }

    /// One live object as PagerDuty shows it, for `show`: an integration is its service with the
    /// managed integration's key and email beside it (the caller hides them unless revealed).
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Value, ProviderError> {
        let (path, key) = match kind {
            Kind::User => (format!("/users/{id}?include[]=contact_methods"), "user"),
            Kind::Group => (format!("/teams/{id}"), "team"),
            Kind::Schedule => (format!("/schedules/{id}"), "schedule"),
            Kind::EscalationPolicy => (format!("/escalation_policies/{id}"), "escalation_policy"),
            Kind::Integration => (format!("/services/{id}?include[]=integrations"), "service"),
            Kind::Outbound => return Err(super::no_outbound("PagerDuty")),
        };
        let reply = self
            .http
            .get_or(&path, |e| {
                self.explain(e, &format!("read {}", kind.plural()))
            })
            .await?;
        let mut object = reply.body[key].clone();
        if kind == Kind::Integration {
            let name = text(&object, "name");
            let integrations = object["integrations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let managed = integrations
                .iter()
                .find(|i| i["name"].as_str() == Some(name.as_str()))
                .or_else(|| integrations.first())
                .cloned()
                .unwrap_or(Value::Null);
            for field in ["integration_key", "integration_email"] {
                if let Some(value) = managed.get(field) {
                    object[field] = value.clone();
                }
            }
            object["integrations"] = json!(
                integrations
                    .iter()
                    .map(|i| json!({"id": i["id"], "type": i["type"], "name": i["name"]}))
                    .collect::<Vec<_>>()
            );
        }
        Ok(object)
    }

    /// Carries out one change.
    pub async fn execute(&self, change: &Change, run: &Run) -> Result<Value, String> {
        let result = match change.kind() {
            Kind::User => self.write_user(change, run).await,
            Kind::Group => self.write_team(change, run).await,
            Kind::Schedule => self.write_schedule(change, run).await,
            Kind::EscalationPolicy => self.write_policy(change, run).await,
            Kind::Integration => self.write_integration(change, run).await,
            Kind::Outbound => Err(super::no_outbound("PagerDuty")),
        };
        result.map_err(|e| e.to_string())
    }

    async fn write_user(&self, change: &Change, run: &Run) -> Result<Value, ProviderError> {
        if change.action == Action::Delete {
            self.delete(&format!("/users/{}", live_id(change)?), "delete users")
                .await?;
            return Ok(Value::Null);
        }
        let Resource::User(desired) = desired(change)? else {
            return Err(not_a(change, "user"));
        };
        let mut fields = json!({
            "name": desired.name, "email": desired.email,
            "role": mapping::pd_role(desired.role),
        });
        if let Some(zone) = &desired.time_zone {
            fields["time_zone"] = json!(zone);
        }
        let (user, id) = if let (Action::Update, Some(id)) = (change.action, &change.id) {
            let changed = change
                .changed_fields
                .iter()
                .any(|f| ["name", "email", "role", "time_zone"].contains(&f.as_str()));
            if changed {
                // The fields alertform manages (the document requires name and email on a PUT
                // too); the rest stays as PagerDuty has it.
                let mut body = fields.clone();
                body["type"] = json!("user");
                self.put(
                    &format!("/users/{id}"),
                    &json!({ "user": body }),
                    "update users",
                )
                .await?;
            }
            (fields, id.clone())
        } else {
            let from = self.from.clone().ok_or_else(|| {
                ProviderError::Cannot(
                    "PagerDuty creates users only with a From header: set --from-email or ALERTFORM_PAGERDUTY_FROM".to_owned(),
                )
            })?;
            fields["type"] = json!("user");
            let email = desired.email.clone();
            let created = self
                .create(
                    "/users",
                    &json!({ "user": fields }),
                    &[("from", from)],
                    "create users",
                    || async {
                        Ok(self
                            .find("/users", "users", "email", &email)
                            .await?
                            .map(|u| json!({ "user": u })))
                    },
                )
                .await?;
            let user = created["user"].clone();
            let id = text(&user, "id");
            (user, id)
        };
        run.record(&change.address.clone(), id.clone());
        let phone_changed =
            change.action == Action::Create || change.changed_fields.iter().any(|f| f == "phone");
        if let (true, Some(phone)) = (phone_changed, &desired.phone) {
            self.write_phone(&id, phone).await?;
        }
        Ok(json!({"id": id, "name": user["name"], "email": user["email"]}))
    }

    /// Sets a user's phone contact method (made if there is none).
    async fn write_phone(&self, user: &str, phone: &str) -> Result<(), ProviderError> {
        let (country_code, address) = mapping::split_phone(phone).ok_or_else(|| {
            ProviderError::Cannot(format!("phone `{phone}` is not an E.164 number"))
        })?;
        let existing = self
            .live
            .lock()
            .expect("live detail lock")
            .phone_methods
            .get(user)
            .cloned();
        let method = json!({
            "type": "phone_contact_method", "label": PHONE_LABEL,
            "address": address, "country_code": country_code,
        });
        if let Some(id) = existing {
            self.put(
                &format!("/users/{user}/contact_methods/{id}"),
                &json!({ "contact_method": method }),
                "update contact methods",
            )
            .await?;
        } else {
            {
                let path = format!("/users/{user}/contact_methods");
                self.create(
                    &path,
                    &json!({ "contact_method": method }),
                    &[],
                    "create contact methods",
                    || async {
                        let listed = self
                            .http
                            .get_or(&path, |e| self.explain(e, "read contact methods"))
                            .await?;
                        Ok(listed.body["contact_methods"]
                            .items()
                            .find(|m| {
                                m["type"] == method["type"] && m["address"] == method["address"]
                            })
                            .map(|m| json!({ "contact_method": m })))
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn write_team(&self, change: &Change, run: &Run) -> Result<Value, ProviderError> {
        if change.action == Action::Delete {
            self.delete(&format!("/teams/{}", live_id(change)?), "delete teams")
                .await?;
            return Ok(Value::Null);
        }
        let Resource::Group(team) = desired(change)? else {
            return Err(not_a(change, "group"));
        };
        let body = json!({"team": {
            "type": "team", "name": team.name,
            "description": description(team.description.as_deref()),
        }});
        let desired: BTreeSet<String> = {
            let ids = run.ids();
            team.members
                .iter()
                .map(|address| resolve(&ids, address))
                .collect::<Result<_, _>>()?
        };
        let (id, live_members) = if let (Action::Update, Some(id)) = (change.action, &change.id) {
            if change
                .changed_fields
                .iter()
                .any(|f| f == "name" || f == "description")
            {
                self.put(&format!("/teams/{id}"), &body, "update teams")
                    .await?;
            }
            let members = self
                .live
                .lock()
                .expect("live detail lock")
                .members
                .get(id)
                .cloned()
                .unwrap_or_default();
            (id.clone(), members)
        } else {
            let name = team.name.clone();
            let team = self
                .create("/teams", &body, &[], "create teams", || async {
                    Ok(self
                        .find("/teams", "teams", "name", &name)
                        .await?
                        .map(|t| json!({ "team": t })))
                })
                .await?;
            (text(&team["team"], "id"), BTreeSet::new())
        };
        run.record(&change.address.clone(), id.clone());
        for user in desired.difference(&live_members) {
            self.put(
                &format!("/teams/{id}/users/{user}"),
                &json!({"role": MEMBER_ROLE}),
                "add team members",
            )
            .await?;
        }
        for user in live_members.difference(&desired) {
            self.delete(&format!("/teams/{id}/users/{user}"), "remove team members")
                .await?;
        }
        Ok(json!({"id": id, "name": team.name}))
    }

    async fn write_policy(&self, change: &Change, run: &Run) -> Result<Value, ProviderError> {
        if change.action == Action::Delete {
            let path = format!("/escalation_policies/{}", live_id(change)?);
            self.delete(&path, "delete escalation policies").await?;
            return Ok(Value::Null);
        }
        let Resource::EscalationPolicy(desired) = desired(change)? else {
            return Err(not_a(change, "escalation policy"));
        };
        let body = {
            let ids = run.ids();
            policy_body(desired, &ids)?
        };
        let policy = if let (Action::Update, Some(id)) = (change.action, &change.id) {
            self.put(
                &format!("/escalation_policies/{id}"),
                &body,
                "update escalation policies",
            )
            .await?
        } else {
            let name = desired.name.clone();
            self.create(
                "/escalation_policies",
                &body,
                &[],
                "create escalation policies",
                || async {
                    Ok(self
                        .find("/escalation_policies", "escalation_policies", "name", &name)
                        .await?
                        .map(|p| json!({ "escalation_policy": p })))
                },
            )
            .await?
        };
        let policy = &policy["escalation_policy"];
        run.record(&change.address.clone(), text(policy, "id"));
        Ok(json!({"id": policy["id"], "name": policy["name"]}))
    }

    async fn write_schedule(&self, change: &Change, run: &Run) -> Result<Value, ProviderError> {
        if change.action == Action::Delete {
            self.delete(
                &format!("/schedules/{}", live_id(change)?),
                "delete schedules",
            )
            .await?;
            return Ok(Value::Null);
        }
        let Resource::Schedule(desired) = desired(change)? else {
            return Err(not_a(change, "schedule"));
        };
        let body = {
            let ids = run.ids();
            schedule_body(desired, &ids)?
        };
        let schedule = if let (Action::Update, Some(id)) = (change.action, &change.id) {
            self.put(&format!("/schedules/{id}"), &body, "update schedules")
                .await?
        } else {
            let name = desired.name.clone();
            self.create("/schedules", &body, &[], "create schedules", || async {
                Ok(self
                    .find("/schedules", "schedules", "name", &name)
                    .await?
                    .map(|s| json!({ "schedule": s })))
            })
            .await?
        };
        let schedule = &schedule["schedule"];
        run.record(&change.address.clone(), text(schedule, "id"));
        Ok(json!({"id": schedule["id"], "name": schedule["name"]}))
    }

    /// An integration is a service and one integration on it. PagerDuty's API cannot delete an
    /// integration, so a delete or replace deletes the service.
    async fn write_integration(&self, change: &Change, run: &Run) -> Result<Value, ProviderError> {
        if matches!(change.action, Action::Delete | Action::Replace) {
            // Service names are unique: on a replace the old one goes first.
            self.delete(
                &format!("/services/{}", live_id(change)?),
                "delete services",
            )
            .await?;
            if change.action == Action::Delete {
                return Ok(Value::Null);
            }
        }
        let Resource::Integration(desired) = desired(change)? else {
            return Err(not_a(change, "integration"));
        };
        let policy = {
            let ids = run.ids();
            let address = Address::new(Kind::EscalationPolicy, &desired.escalation_policy);
            resolve(&ids, &address)?
        };
        let name = desired.name.clone();
        let enabled = desired.enabled;
        let policy_ref = json!({"id": policy, "type": "escalation_policy_reference"});
        let service_id = if let (Action::Update, Some(id)) = (change.action, &change.id) {
            // Name and policy always (the document requires the policy on a PUT); the status
            // only when `enabled` changes, so an incident's `warning` or `critical` stays.
            let mut service =
                json!({"type": "service", "name": name, "escalation_policy": policy_ref});
            if change.changed_fields.iter().any(|f| f == "enabled") {
                service["status"] = json!(if enabled { "active" } else { "disabled" });
            }
            self.put(
                &format!("/services/{id}"),
                &json!({ "service": service }),
                "update services",
            )
            .await?;
            let integration = self
                .live
                .lock()
                .expect("live detail lock")
                .integrations
                .get(id)
                .cloned();
            match integration {
                Some(integration) if change.changed_fields.iter().any(|f| f == "name") => {
                    self.put(
                        &format!("/services/{id}/integrations/{integration}"),
                        &json!({"integration": {"name": name}}),
                        "rename integrations",
                    )
                    .await?;
                }
                Some(_) => {}
                // Made by an apply stopped between the service and its integration.
                None => self.create_integration(id, &name, desired).await?,
            }
            id.clone()
        } else {
            let body = json!({"service": {"type": "service", "name": name, "escalation_policy": policy_ref}});
            let service = self
                .create("/services", &body, &[], "create services", || async {
                    let url = format!("/services?name={}&limit=1", percent_encode(&name));
                    let page = self
                        .http
                        .get_or(&url, |e| self.explain(e, "read services"))
                        .await?;
                    Ok(page.body["services"]
                        .as_array()
                        .and_then(|s| s.first())
                        .map(|s| json!({ "service": s })))
                })
                .await?;
            let service_id = text(&service["service"], "id");
            self.create_integration(&service_id, &name, desired).await?;
            if !enabled {
                self.put(
                    &format!("/services/{service_id}"),
                    &json!({"service": {
                        "type": "service", "name": name, "escalation_policy": policy_ref,
                        "status": "disabled",
                    }}),
                    "disable services",
                )
                .await?;
            }
            service_id
        };
        run.record(&change.address.clone(), service_id.clone());
        // What apply may print: never the integration key or email.
        Ok(json!({"id": service_id, "name": name}))
    }

    async fn create_integration(
        &self,
        service: &str,
        name: &str,
        desired: &Integration,
    ) -> Result<(), ProviderError> {
        let mut integration = json!({"name": name});
        if desired.channel.channel() == Channel::Email {
            let subdomain = self
                .live
                .lock()
                .expect("live detail lock")
                .subdomain
                .clone()
                .unwrap_or_else(|| "alertform-local".to_owned());
            integration["type"] = json!(mapping::EMAIL);
            integration["integration_email"] = json!(format!(
                "{}@{subdomain}.pagerduty.com",
                crate::model::key_from_name(name).replace('_', "-")
            ));
        } else {
            match mapping::vendor_name(&desired.template) {
                Some(vendor) => {
                    let id = self.vendor_id(vendor).await?;
                    integration["vendor"] = json!({"id": id, "type": "vendor_reference"});
                }
                None => integration["type"] = json!(mapping::EVENTS_V2),
            }
        }
        let path = format!("/services/{service}/integrations");
        self.create(
            &path,
            &json!({ "integration": integration }),
            &[],
            "create integrations",
            || async {
                let url = format!("/services/{service}?include[]=integrations");
                let found = self
                    .http
                    .get_or(&url, |e| self.explain(e, "read services"))
                    .await?;
                Ok(found.body["service"]["integrations"]
                    .as_array()
                    .and_then(|i| i.first())
                    .map(|i| json!({ "integration": i })))
            },
        )
        .await?;
        Ok(())
    }

    /// A vendor's id by its name, from `GET /vendors` read once per run.
    async fn vendor_id(&self, name: &str) -> Result<String, ProviderError> {
        let vendors = self
            .vendors
            .get_or_try_init(|| async {
                let listed = self.list("/vendors", "vendors", false).await?;
                Ok::<_, ProviderError>(
                    listed
                        .iter()
                        .map(|v| (text(v, "name"), text(v, "id")))
                        .collect::<HashMap<_, _>>(),
                )
            })
            .await?;
        vendors
            .get(name)
            .cloned()
            .ok_or_else(|| {
                ProviderError::Cannot(format!(
                    "the account's vendor list (GET /vendors) has no vendor named `{name}`: use `template = \"custom\"`"
                ))
            })
    }
}

/// A description to send: PagerDuty's schema has no null description, so none is empty.
fn description(description: Option<&str>) -> Value {
    json!(description.unwrap_or_default())
}

/// A description as read: empty is none.
fn read_description(object: &Value) -> Option<String> {
    object["description"]
        .as_str()
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
}

fn live_id(change: &Change) -> Result<&str, ProviderError> {
    change
        .id
        .as_deref()
        .ok_or_else(|| missing("the plan has no id for this change"))
}

fn desired(change: &Change) -> Result<&Resource, ProviderError> {
    change.desired().map_err(ProviderError::Cannot)
}

fn not_a(change: &Change, what: &str) -> ProviderError {
    missing(&format!("`{}` is not a declared {what}", change.address))
}

fn missing(what: &str) -> ProviderError {
    ProviderError::Cannot(what.to_owned())
}

fn resolve(ids: &BTreeMap<String, String>, address: &Address) -> Result<String, ProviderError> {
    ids.get(&address.to_string()).cloned().ok_or_else(|| {
        missing(&format!(
            "`{address}` has no id in PagerDuty: it was not created"
        ))
    })
}

/// An escalation policy's wire body: rules with the converted delays and targets by id.
fn policy_body(
    policy: &EscalationPolicy,
    ids: &BTreeMap<String, String>,
) -> Result<Value, ProviderError> {
    let delays: Vec<u16> = policy.steps.iter().map(|s| s.delay_minutes).collect();
    let mut rules = Vec::with_capacity(policy.steps.len());
    for (step, delay) in policy.steps.iter().zip(mapping::rule_delays(&delays)) {
        let mut targets = Vec::new();
        // In the order of their text, as PagerDuty has always been sent them.
        let mut notify: Vec<&Address> = step.notify.iter().collect();
        notify.sort_by_key(ToString::to_string);
        for address in notify {
            let kind = match address.kind {
                Kind::Schedule => "schedule_reference",
                Kind::User => "user_reference",
                _ => {
                    return Err(missing(&format!(
                        "`{address}`: a PagerDuty rule cannot target it (set `expand_groups = true`)"
                    )));
                }
            };
            targets.push(json!({"id": resolve(ids, address)?, "type": kind}));
        }
        rules.push(json!({"escalation_delay_in_minutes": delay, "targets": targets}));
    }
    Ok(json!({"escalation_policy": {
        "type": "escalation_policy",
        "name": policy.name,
        "description": description(policy.description.as_deref()),
        "num_loops": policy.repeat,
        "escalation_rules": rules,
    }}))
}

/// A schedule's wire body.
fn schedule_body(
    schedule: &Schedule,
    ids: &BTreeMap<String, String>,
) -> Result<Value, ProviderError> {
    let mut layers = Vec::new();
    for layer in &schedule.layers {
        let members = layer
            .members
            .iter()
            .map(|a| resolve(ids, a))
            .collect::<Result<Vec<_>, _>>()?;
        layers.push(
            mapping::layer_body(layer, &members, &schedule.time_zone)
                .map_err(|e| missing(&format!("a layer with {e}")))?,
        );
    }
    Ok(json!({"schedule": {
        "type": "schedule",
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        "schedule_layers": layers,
    }}))
}

/// PagerDuty, as the registry knows it.
pub static VENDOR: super::Descriptor = super::Descriptor {
    integration_endpoint: super::IntegrationEndpoint::Secret(
        "its integration key (or email address) is a secret; copy it from the service's Integrations tab in PagerDuty",
    ),
    generate: Ok(super::GenerateProfile::unrestricted(generated_org)),
    terraform_paths: Ok(object_paths),
    ..super::Descriptor::vendor(ProviderName::Pagerduty, "PagerDuty", &CAPABILITIES, |c| {
        std::sync::Arc::new(PagerDutyProvider::new(c.http, c.acting_user))
    })
};

super::vendor_client!(PagerDutyProvider, preflight; rendered);

/// `dev generate`'s shape of a PagerDuty org.
const ORG: crate::generate::OrgShape = crate::generate::OrgShape {
    provider: crate::model::ProviderName::Pagerduty,
    seed: 0x0BAD,
    user: |i| {
        let role = if i == 0 {
            crate::model::Role::Owner
        } else {
            crate::generate::ROLES[i % 5]
        };
        crate::generate::numbered(i, format!("User {i}"), role, true, "America/New_York")
    },
    second_target: crate::model::Kind::User,
    repeat: |p| if p % 2 == 0 { 3 } else { 0 },
    integration_name: "Service",
    integrations: &[
        ("api", "custom"),
        ("api", "datadog"),
        ("api", "custom"),
        ("api", "prometheus_alertmanager"),
        ("email", "custom"),
    ],
    seed_file: |_, _| {
        let seed = serde_json::json!({
            "subdomain": "generated",
            "users": [{"name": "User 0", "email": "user0@example.com", "role": "owner", "time_zone": "America/New_York"}],
        });
        ("pagerduty-seed.json", seed)
    },
};

/// A PagerDuty org in the same proportions: users with roles PagerDuty has and a phone each,
/// teams of users, policies of 1–3 rules paging users (the first at once, the next after 10 or
/// 20 minutes), and integrations (one service each: Events API v2, vendors, email). Its seed,
/// `pagerduty-seed.json`, names the account's owner, whom the config declares.
fn generated_org(objects: usize) -> crate::generate::Generated {
    crate::generate::vendor_org(objects, &ORG)
}
