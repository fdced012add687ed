//! The Grafana OnCall provider (public API v1): what it can hold ([`capabilities`]), how it
//! reads live state (one paged list per collection, pages fetched concurrently), and how it
//! carries out a change (calls in an order that leaves a valid chain after each).
//!
//! OnCall's wire names (`escalation_chains`, `persons_to_notify`, `default_route`, …) appear
//! only in this folder.

pub mod capabilities;
pub mod mapping;

use crate::json::Items;
use crate::model::ProviderName;
use capabilities::CAPABILITIES;
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::http::{HttpClient, HttpError};
use super::{ProviderError, Run, no_outbound, percent_encode, text, version_of};
use crate::model::{
    Address, ChannelSettings, EscalationPolicy, Kind, Layer, Resource, Role, Templates,
};
use crate::observed::{
    Observed, ObservedGroup, ObservedIntegration, ObservedLayer, ObservedPolicy, ObservedSchedule,
    ObservedStep, ObservedUser,
};
use crate::plan::{Action, Change};
use mapping::{LiveStep, Step, StepCall, StepSpec};

/// OnCall caps `perpage` at 100.
pub const PAGE_SIZE: u64 = 100;
/// Page requests in flight per collection.
const CONCURRENT_PAGES: usize = 4;

#[derive(Clone)]
pub struct OnCallProvider {
    http: HttpClient,
    /// What the last read saw that a change needs but the plan does not carry: each chain's
    /// steps (ids and raw positions) and each integration's default route.
    live: Arc<Mutex<LiveDetail>>,
    /// Held while a schedule's shifts are made and attached: a shift whose answer was lost is
    /// recognised by its contents among shifts in no schedule, which must then be this run's.
    making_schedule: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
struct LiveDetail {
    steps: HashMap<String, Vec<LiveStep>>,
    default_routes: HashMap<String, String>,
    /// Web schedule id → its shifts' ids, by level (its layers in order).
    schedule_shifts: HashMap<String, Vec<String>>,
    /// Web schedule id → its layers as read, by level: what an update compares each layer with.
    schedule_layers: HashMap<String, Vec<ObservedLayer>>,
    /// Schedule id → ids of the steps that notify it.
    schedule_steps: HashMap<String, Vec<String>>,
    /// Ids of shifts whose `rotation_start` makes the engine skip members: rewritten on update.
    stale_shifts: std::collections::HashSet<String>,
    /// `rolling_users` shifts attached to no schedule: what an apply stopped between making a
    /// schedule's shifts and the schedule leaves. A new schedule takes one that is exactly its
    /// layer instead of making it again.
    loose_shifts: Vec<Value>,
}

fn optional_text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

impl OnCallProvider {
    pub fn new(http: HttpClient) -> Self {
        OnCallProvider {
            http: http.with_auth(super::http::AuthScheme::Raw),
            live: Arc::default(),
            making_schedule: Arc::default(),
        }
    }

    fn explain(&self, err: HttpError, action: &str) -> ProviderError {
        match err.status() {
            // OnCall answers a bad or missing token with 403, not 401.
            Some(StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) => ProviderError::Forbidden {
                endpoint: self.http.base().to_owned(),
                action: action.to_owned(),
                message: match &err {
                    HttpError::Status { message, .. } => format!(
                        "{message} (an OnCall API token goes in --token or ALERTFORM_TOKEN; writes need an Admin's token)"
                    ),
                    _ => err.to_string(),
                },
            },
            _ => ProviderError::Http(err),
        }
    }

    /// Every object of one collection: the first page for the count, the rest concurrently.
    async fn list(&self, collection: &'static str) -> Result<Vec<Value>, ProviderError> {
        let first = self.page(collection, 1).await?;
        let total_pages = first
            .get("total_pages")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        super::all_pages(
            results_of(&first),
            total_pages,
            (CONCURRENT_PAGES, collection, self.http.base()),
            |page| {
                let provider = self.clone();
                async move { Ok(results_of(&provider.page(collection, page).await?)) }
            },
        )
        .await
    }

    async fn page(&self, collection: &str, page: u64) -> Result<Value, ProviderError> {
        let path = format!("/api/v1/{collection}/?page={page}&perpage={PAGE_SIZE}");
        self.http
            .get(&path)
            .await
            .map(|reply| reply.body)
            .map_err(|e| self.explain(e, &format!("read {collection}")))
    }

    /// Reads every live object alertform can hold, one list per collection.
    pub async fn observe(&self) -> Result<Observed, ProviderError> {
        let (users, teams, chains, steps, integrations, schedules, shifts) = tokio::try_join!(
            self.list("users"),
            self.list("teams"),
            self.list("escalation_chains"),
            self.list("escalation_policies"),
            self.list("integrations"),
            self.list("schedules"),
            self.list("on_call_shifts"),
        )?;
        let mut members: HashMap<String, BTreeSet<String>> = HashMap::new();
        let observed_users = users
            .iter()
            .map(|u| {
                let id = text(u, "id");
                for team in u
                    .get("teams")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(team) = team.as_str() {
                        members
                            .entry(team.to_owned())
                            .or_default()
                            .insert(id.clone());
                    }
                }
                // Only what alertform can compare: the rest is Grafana's (capabilities).
                ObservedUser {
                    version: version_of(&[u]),
                    name: text(u, "username"),
                    email: text(u, "email"),
                    phone: None,
                    role: Role::Responder,
                    time_zone: None,
                    id,
                }
            })
            .collect();
        let groups = teams
            .iter()
            .map(|t| {
                let id = text(t, "id");
                let member_user_ids = members.remove(&id).unwrap_or_default();
                let ids: Vec<Value> = member_user_ids.iter().map(|m| json!(m)).collect();
                ObservedGroup {
                    version: version_of(&[t, &Value::Array(ids)]),
                    name: text(t, "name"),
                    description: None,
                    member_user_ids,
                    member_group_ids: BTreeSet::new(),
                    id,
                }
            })
            .collect();
        let mut by_chain: HashMap<String, Vec<(LiveStep, &Value)>> = HashMap::new();
        let mut detail = LiveDetail::default();
        for step in &steps {
            let Some(spec) = StepSpec::from_live(step) else {
                continue;
            };
            if let StepSpec::NotifySchedule(schedule) = &spec {
                detail
                    .schedule_steps
                    .entry(schedule.clone())
                    .or_default()
                    .push(text(step, "id"));
            }
            by_chain
                .entry(text(step, "escalation_chain_id"))
                .or_default()
                .push((
                    LiveStep {
                        id: text(step, "id"),
                        position: step.get("position").and_then(Value::as_i64).unwrap_or(0),
                        spec,
                    },
                    step,
                ));
        }
        let (observed_schedules, mut notes, stale) =
            observe_schedules(&schedules, &shifts, &mut detail);
        detail.loose_shifts = shifts
            .iter()
            .filter(|s| s["schedule"].is_null() && s["type"] == "rolling_users")
            .cloned()
            .collect();
        if !detail.loose_shifts.is_empty() {
            let n = detail.loose_shifts.len();
            notes.push(format!(
                "{n} rolling on-call shift{} attached to no schedule (left by an apply that stopped, or made through the API); a new schedule reuses one that is exactly its layer, and the rest are left alone",
                if n == 1 { " is" } else { "s are" }
            ));
        }
        let mut policies = Vec::with_capacity(chains.len());
        for chain in &chains {
            let id = text(chain, "id");
            let mut live = by_chain.remove(&id).unwrap_or_default();
            live.sort_by_key(|(s, _)| s.position);
            let specs: Vec<StepSpec> = live.iter().map(|(s, _)| s.spec.clone()).collect();
            let mut parts = vec![chain];
            parts.extend(live.iter().map(|(_, raw)| *raw));
            let version = version_of(&parts);
            let (alertform_steps, repeat) = mapping::from_oncall(&specs);
            policies.push(ObservedPolicy {
                id: id.clone(),
                version,
                name: text(chain, "name"),
                description: None,
                repeat,
                steps: alertform_steps
                    .into_iter()
                    .map(|s| ObservedStep {
                        delay_minutes: s.delay_minutes,
                        notify_user_ids: s.user_ids,
                        // A team that is gone still shows, as an unknown id.
                        notify_group_ids: s.team_ids,
                        notify_schedule_ids: s.schedule_ids,
                        notify_outbound_ids: BTreeSet::new(),
                    })
                    .collect(),
            });
            detail
                .steps
                .insert(id, live.into_iter().map(|(s, _)| s).collect());
        }
        let mut observed_integrations = Vec::with_capacity(integrations.len());
        for i in &integrations {
            let ty = text(i, "type");
            if mapping::UNMANAGED_TYPES.contains(&ty.as_str()) {
                continue;
            }
            let id = text(i, "id");
            let route = i.get("default_route").cloned().unwrap_or(Value::Null);
            detail.default_routes.insert(id.clone(), text(&route, "id"));
            let (channel, template) = mapping::channel_and_template(&ty);
            let t = i.get("templates").cloned().unwrap_or(Value::Null);
            let web = t.get("web").cloned().unwrap_or(Value::Null);
            // The link and inbound email embed the integration's token: they stop here, and
            // the version digest leaves them out.
            let shown = json!({
                "name": i.get("name"), "type": ty, "default_route": route, "templates": t,
            });
            observed_integrations.push(ObservedIntegration {
                version: version_of(&[&shown]),
                name: text(i, "name"),
                channel: if channel == "email" {
                    ChannelSettings::Email { mailbox: None }
                } else {
                    ChannelSettings::Api
                },
                template,
                escalation_policy_id: text(&route, "escalation_chain_id"),
                recipient_user_ids: BTreeSet::new(),
                recipient_group_ids: BTreeSet::new(),
                enabled: true,
                templates: Templates {
                    grouping_key: optional_text(&t, "grouping_key"),
                    resolve_signal: optional_text(&t, "resolve_signal"),
                    acknowledge_signal: optional_text(&t, "acknowledge_signal"),
                    source_link: optional_text(&t, "source_link"),
                    title: optional_text(&web, "title"),
                    message: optional_text(&web, "message"),
                },
                id,
            });
        }
        *self.live.lock().expect("live detail lock") = detail;
        Ok(Observed {
            users: observed_users,
            groups,
            schedules: observed_schedules,
            escalation_policies: policies,
            integrations: observed_integrations,
            notes,
            undeletable: BTreeMap::new(),
            stale: stale.into_iter().collect(),
            ..Observed::default()
        })
    }
}

/// The path of every object Terraform's OnCall provider would refresh one GET at a time (users
/// and teams as data sources, chains, each step, integrations), for `dev baseline`.
pub fn object_paths(http: &HttpClient) -> super::Call<'_, Result<Vec<String>, HttpError>> {
    Box::pin(async move {
        let mut paths = Vec::new();
        for collection in [
            "users",
            "teams",
            "escalation_chains",
            "escalation_policies",
            "integrations",
        ] {
            let mut page = 1;
            loop {
                let body = http
                    .get(&format!(
                        "/api/v1/{collection}/?page={page}&perpage={PAGE_SIZE}"
                    ))
                    .await?
                    .body;
                for object in results_of(&body) {
                    paths.push(format!("/api/v1/{collection}/{}/", text(&object, "id")));
                }
                if body["next"].is_null() {
                    break;
                }
                page += 1;
            }
        }
        Ok(paths)
    })
}

/// Web schedules as alertform schedules, their shifts (by level) as layers. Calendar and iCal
/// schedules are made in OnCall's UI or from a calendar: alertform leaves them alone (not read).
/// Override shifts (one-off swaps made in OnCall's UI) are not layers: they are left alone and
/// come back as notes.
fn observe_schedules(
    schedules: &[Value],
    shifts: &[Value],
    detail: &mut LiveDetail,
) -> (Vec<ObservedSchedule>, Vec<String>, Vec<(String, String)>) {
    let by_id: HashMap<String, &Value> = shifts.iter().map(|s| (text(s, "id"), s)).collect();
    let mut observed = Vec::new();
    let mut notes = Vec::new();
    let mut stale_schedules = Vec::new();
    for schedule in schedules.iter().filter(|s| s["type"] == "web") {
        let id = text(schedule, "id");
        let time_zone = schedule["time_zone"].as_str().unwrap_or("UTC").to_owned();
        let mut own: Vec<&Value> = schedule["shifts"]
            .items()
            .filter_map(|shift| by_id.get(shift.as_str()?).copied())
            .collect();
        own.sort_by_key(|s| s["level"].as_i64().unwrap_or(0));
        let overrides = own.iter().filter(|s| s["type"] == "override").count();
        if overrides > 0 {
            notes.push(format!(
                "schedule `{}` has {overrides} override{} made in Grafana OnCall; plan and apply leave {} alone",
                text(schedule, "name"),
                if overrides == 1 { "" } else { "s" },
                if overrides == 1 { "it" } else { "them" },
            ));
        }
        own.retain(|s| s["type"] != "override");
        // Shifts written before alertform wrote `rotation_start` as the engine reads it: their
        // layers are stale, and written again.
        let skipping: Vec<String> = own
            .iter()
            .filter(|shift| {
                let (start, rotation_start) = (
                    shift["start"].as_str().and_then(|s| s.get(..19)),
                    shift["rotation_start"].as_str().and_then(|s| s.get(..19)),
                );
                start.zip(rotation_start).is_some_and(|(start, written)| {
                    mapping::rotation_start(start, &time_zone) != written
                })
            })
            .map(|shift| {
                detail.stale_shifts.insert(text(shift, "id"));
                text(shift, "name")
            })
            .collect();
        if !skipping.is_empty() {
            stale_schedules.push((
                id.clone(),
                format!(
                    "layer{} {} of schedule `{}` {} a `rotation_start` that makes OnCall's engine skip members in this zone: written again",
                    if skipping.len() == 1 { "" } else { "s" },
                    skipping.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                    text(schedule, "name"),
                    if skipping.len() == 1 { "has" } else { "have" },
                ),
            ));
        }
        let layers: Vec<ObservedLayer> = own
            .iter()
            .map(|shift| match mapping::layer_of(shift, &time_zone) {
                Some((name, start, rotation, members)) => ObservedLayer {
                    name,
                    start,
                    rotation,
                    member_user_ids: members,
                    restrict: Vec::new(),
                },
                // Shows as a difference, so the plan rewrites the shift as the config says.
                None => ObservedLayer {
                    name: format!(
                        "(OnCall shift `{}` alertform cannot express)",
                        text(shift, "name")
                    ),
                    start: jiff::civil::DateTime::default(),
                    rotation: crate::model::Rotation::Hours(1),
                    member_user_ids: Vec::new(),
                    restrict: Vec::new(),
                },
            })
            .collect();
        // `on_call_now` changes by itself: not part of the version.
        let mut stable = schedule.clone();
        if let Some(map) = stable.as_object_mut() {
            map.remove("on_call_now");
        }
        let mut parts = vec![&stable];
        parts.extend(own.iter().copied());
        detail.schedule_layers.insert(id.clone(), layers.clone());
        observed.push(ObservedSchedule {
            version: version_of(&parts),
            name: text(schedule, "name"),
            time_zone,
            layers,
            id: id.clone(),
        });
        detail
            .schedule_shifts
            .insert(id, own.iter().map(|s| text(s, "id")).collect());
    }
    (observed, notes, stale_schedules)
}

fn results_of(page: &Value) -> Vec<Value> {
    page.get("results")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

impl OnCallProvider {
    /// POSTs `body`. OnCall has no idempotency keys, so when the answer is lost the collection
    /// is read for the object (`find`) before trying again: a retry never makes a duplicate.
    /// Returns the object, and whether it was found rather than made by this call.
    async fn create_recovering<Fut>(
        &self,
        path: &str,
        body: &Value,
        action: &str,
        find: impl Fn() -> Fut,
    ) -> Result<(Value, bool), ProviderError>
    where
        Fut: Future<Output = Result<Option<Value>, ProviderError>>,
    {
        super::Recovering {
            http: &self.http,
            headers: &[],
            explain: |e| self.explain(e, action),
            taken: |_| false,
        }
        .create(path, body, find)
        .await
    }

    /// Every object of `collection` whose `field` is `value`, by the API's filter (one page).
    async fn find_all_by(
        &self,
        collection: &str,
        field: &str,
        value: &str,
    ) -> Result<Vec<Value>, ProviderError> {
        let path = format!(
            "/api/v1/{collection}/?{field}={}&perpage={PAGE_SIZE}",
            percent_encode(value)
        );
        let page = self
            .http
            .get_or(&path, |e| self.explain(e, &format!("read {collection}")))
            .await?;
        Ok(results_of(&page.body)
            .into_iter()
            .filter(|o| o.get(field).and_then(Value::as_str) == Some(value))
            .collect())
    }

    /// The first object of `collection` whose `field` is `value`, by the API's filter.
    async fn find_by(
        &self,
        collection: &str,
        field: &str,
        value: &str,
    ) -> Result<Option<Value>, ProviderError> {
        Ok(self
            .find_all_by(collection, field, value)
            .await?
            .into_iter()
            .next())
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

    /// The live steps of a chain, from the last read, or read now.
    async fn chain_steps(&self, chain: &str) -> Result<Vec<LiveStep>, ProviderError> {
        if let Some(steps) = self.live.lock().expect("live detail lock").steps.get(chain) {
            return Ok(steps.clone());
        }
        self.read_chain_steps(chain).await
    }

    async fn read_chain_steps(&self, chain: &str) -> Result<Vec<LiveStep>, ProviderError> {
        let path =
            format!("/api/v1/escalation_policies/?escalation_chain_id={chain}&perpage={PAGE_SIZE}");
        let page = self
            .http
            .get_or(&path, |e| self.explain(e, "read escalation steps"))
            .await?;
        let mut steps: Vec<LiveStep> = results_of(&page.body)
            .iter()
            .filter_map(|s| {
                Some(LiveStep {
                    id: text(s, "id"),
                    position: s.get("position")?.as_i64()?,
                    spec: StepSpec::from_live(s)?,
                })
            })
            .collect();
        steps.sort_by_key(|s| s.position);
        Ok(steps)
    }

    /// One live object as OnCall shows it, for `show`: a user, team, escalation chain (with its
    /// steps), web schedule or integration. The caller hides an integration's `link` and
    /// `inbound_email` unless revealed.
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Value, ProviderError> {
        let collection = match kind {
            Kind::User => "users",
            Kind::Group => "teams",
            Kind::Schedule => "schedules",
            Kind::EscalationPolicy => "escalation_chains",
            Kind::Integration => "integrations",
            Kind::Outbound => return Err(no_outbound("Grafana OnCall")),
        };
        let mut object = self
            .http
            .get_or(&format!("/api/v1/{collection}/{id}/"), |e| {
                self.explain(e, &format!("read {collection}"))
            })
            .await?
            .body;
        if kind == Kind::EscalationPolicy {
            let path = format!(
                "/api/v1/escalation_policies/?escalation_chain_id={id}&perpage={PAGE_SIZE}"
            );
            let steps = self
                .http
                .get_or(&path, |e| self.explain(e, "read escalation steps"))
                .await?
                .body;
            object["steps"] = json!(results_of(&steps));
        }
        Ok(object)
    }

    /// Carries out one change. Users and groups are read-only here; the plan never changes
    /// them (capabilities), so a change to one is refused.
    pub async fn execute(&self, change: &Change, run: &Run) -> Result<Value, String> {
        match change.kind() {
            Kind::Schedule => self.write_schedule(change, run).await,
            kind @ (Kind::User | Kind::Group) => Err(format!(
                "Grafana OnCall cannot change {}: they come from Grafana",
                kind.plural()
            )),
            Kind::EscalationPolicy => self.write_policy(change, run).await,
            Kind::Integration => self.write_integration(change, run).await,
            Kind::Outbound => Err(no_outbound("Grafana OnCall").to_string()),
        }
    }

    /// A chain: created (then its steps appended), renamed and its steps edited, or deleted
    /// with its steps.
    async fn write_policy(&self, change: &Change, run: &Run) -> Result<Value, String> {
        let failed = |e: ProviderError| e.to_string();
        if change.action == Action::Delete {
            let id = change
                .id
                .as_deref()
                .ok_or("the plan has no id for this change")?;
            let path = format!("/api/v1/escalation_chains/{id}/");
            self.delete(&path, "delete escalation chains")
                .await
                .map_err(failed)?;
            return Ok(Value::Null);
        }
        let Resource::EscalationPolicy(policy) = change.desired()? else {
            return Err(format!("`{}` is not an escalation policy", change.address));
        };
        let desired = desired_steps(policy, &run.ids())?;
        let name = policy.name.as_str();
        let chain = if let (Action::Update, Some(id)) = (change.action, &change.id) {
            if change.changed_fields.iter().any(|f| f == "name") {
                let path = format!("/api/v1/escalation_chains/{id}/");
                self.put(&path, &json!({"name": name}), "rename escalation chains")
                    .await
                    .map_err(failed)?;
            }
            json!({"id": id, "name": name})
        } else {
            self.create_chain(name).await.map_err(failed)?
        };
        let chain_id = text(&chain, "id");
        run.record(&change.address.clone(), chain_id.clone());
        self.sync_steps(&chain_id, &desired).await.map_err(failed)?;
        Ok(chain)
    }

    /// A web schedule and its shifts. Shifts are made first and attached on create (the only
    /// time OnCall takes them); an update edits each shift in place; a change in the number of
    /// layers makes the schedule anew and points the steps that notified the old one at it.
    async fn write_schedule(&self, change: &Change, run: &Run) -> Result<Value, String> {
        let failed = |e: ProviderError| e.to_string();
        let live_shifts = |id: &str| {
            self.live
                .lock()
                .expect("live detail lock")
                .schedule_shifts
                .get(id)
                .cloned()
                .unwrap_or_default()
        };
        if change.action == Action::Delete {
            let id = change
                .id
                .as_deref()
                .ok_or("the plan has no id for this change")?;
            let shifts = live_shifts(id);
            self.delete(&format!("/api/v1/schedules/{id}/"), "delete schedules")
                .await
                .map_err(failed)?;
            for shift in shifts {
                // The engine may keep a deleted schedule's shifts; they page nobody, but go.
                let path = format!("/api/v1/on_call_shifts/{shift}/");
                match self.http.send(Method::DELETE, &path, None, &[], true).await {
                    Ok(_) => {}
                    Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {}
                    Err(e) => return Err(self.explain(e, "delete on-call shifts").to_string()),
                }
            }
            return Ok(Value::Null);
        }
        let Resource::Schedule(schedule) = change.desired()? else {
            return Err(format!("`{}` is not a schedule", change.address));
        };
        let (name, time_zone) = (schedule.name.as_str(), schedule.time_zone.as_str());
        let (bodies, layers) = {
            let ids = run.ids();
            (
                shift_bodies(&schedule.layers, time_zone, &ids)?,
                observed_layers(&schedule.layers, &ids)?,
            )
        };
        if let (Action::Update, Some(id)) = (change.action, &change.id) {
            let shifts = live_shifts(id);
            if shifts.len() == bodies.len() {
                let field_changed = |field: &str| change.changed_fields.iter().any(|f| f == field);
                if field_changed("name") || field_changed("time_zone") {
                    let body = json!({"name": name, "time_zone": time_zone});
                    self.put(
                        &format!("/api/v1/schedules/{id}/"),
                        &body,
                        "update schedules",
                    )
                    .await
                    .map_err(failed)?;
                }
                let live_layers = self
                    .live
                    .lock()
                    .expect("live detail lock")
                    .schedule_layers
                    .get(id)
                    .cloned()
                    .unwrap_or_default();
                let stale = self
                    .live
                    .lock()
                    .expect("live detail lock")
                    .stale_shifts
                    .clone();
                for (index, (shift, body)) in shifts.iter().zip(&bodies).enumerate() {
                    let same = !field_changed("time_zone")
                        && !stale.contains(shift)
                        && live_layers.get(index) == layers.get(index);
                    if !same {
                        self.put(
                            &format!("/api/v1/on_call_shifts/{shift}/"),
                            body,
                            "update on-call shifts",
                        )
                        .await
                        .map_err(failed)?;
                    }
                }
                return Ok(json!({"id": id, "name": name}));
            }
        }
        let _one_at_a_time = self.making_schedule.lock().await;
        let mut shift_ids: Vec<String> = Vec::with_capacity(bodies.len());
        for body in &bodies {
            // A shift an interrupted apply made for this very layer is taken, not made again.
            if let Some(loose) = self.take_loose_shift(body, &shift_ids) {
                shift_ids.push(loose);
                continue;
            }
            let (shift, _) = self
                .create_recovering(
                    "/api/v1/on_call_shifts/",
                    body,
                    "create on-call shifts",
                    || self.find_loose_shift(body, &shift_ids),
                )
                .await
                .map_err(failed)?;
            shift_ids.push(text(&shift, "id"));
        }
        let old = change
            .id
            .clone()
            .filter(|_| change.action == Action::Update);
        let repoint = old
            .as_ref()
            .and_then(|id| {
                self.live
                    .lock()
                    .expect("live detail lock")
                    .schedule_steps
                    .get(id)
                    .cloned()
            })
            .unwrap_or_default();
        if let Some(old) = &old {
            self.delete(&format!("/api/v1/schedules/{old}/"), "delete schedules")
                .await
                .map_err(failed)?;
        }
        let body =
            json!({"name": name, "type": "web", "time_zone": time_zone, "shifts": shift_ids});
        let (schedule, _) = self
            .create_recovering("/api/v1/schedules/", &body, "create schedules", || {
                self.find_by("schedules", "name", name)
            })
            .await
            .map_err(failed)?;
        let schedule_id = text(&schedule, "id");
        for step in repoint {
            self.put(
                &format!("/api/v1/escalation_policies/{step}/"),
                &json!({"notify_on_call_from_schedule": schedule_id}),
                "point steps at the new schedule",
            )
            .await
            .map_err(failed)?;
        }
        run.record(&change.address.clone(), schedule_id);
        Ok(schedule)
    }

    /// A shift this run made whose answer was lost: the same name, start and members, in no
    /// schedule yet, and not one this schedule already took (two layers may look alike).
    /// A loose shift (read by the plan's observe) that is exactly `body` in everything alertform
    /// writes, and not yet taken by this schedule: its id, removed from the pool.
    fn take_loose_shift(&self, body: &Value, taken: &[String]) -> Option<String> {
        let same = |shift: &Value| {
            [
                "name",
                "start",
                "rotation_start",
                "rolling_users",
                "level",
                "duration",
                "frequency",
                "interval",
                "start_rotation_from_user_index",
            ]
            .iter()
            .all(|field| {
                let (live, written) = (&shift[*field], &body[*field]);
                match (live.as_str(), written.as_str()) {
                    // Times may come back with a zone suffix.
                    (Some(a), Some(b)) => a.get(..19) == b.get(..19),
                    _ => live == written,
                }
            })
        };
        let mut live = self.live.lock().expect("live detail lock");
        let index = live
            .loose_shifts
            .iter()
            .position(|s| same(s) && !taken.contains(&text(s, "id")))?;
        Some(text(&live.loose_shifts.remove(index), "id"))
    }

    async fn find_loose_shift(
        &self,
        body: &Value,
        taken: &[String],
    ) -> Result<Option<Value>, ProviderError> {
        let name = body["name"].as_str().unwrap_or_default();
        let found = self.find_all_by("on_call_shifts", "name", name).await?;
        Ok(found.into_iter().find(|s| {
            s["schedule"].is_null()
                && s["start"] == body["start"]
                && s["rolling_users"] == body["rolling_users"]
                && !taken.contains(&text(s, "id"))
        }))
    }

    async fn create_chain(&self, name: &str) -> Result<Value, ProviderError> {
        let (created, found) = self
            .create_recovering(
                "/api/v1/escalation_chains/",
                &json!({"name": name}),
                "create escalation chains",
                || self.find_by("escalation_chains", "name", name),
            )
            .await?;
        // A new chain has no steps; one found after a lost answer is read.
        let mut live = self.live.lock().expect("live detail lock");
        if found {
            live.steps.remove(&text(&created, "id"));
        } else {
            live.steps.insert(text(&created, "id"), Vec::new());
        }
        Ok(created)
    }

    /// An integration: created with its type, route and templates; updated in place (its type
    /// never changes); replaced by a delete and a create; or deleted.
    async fn write_integration(&self, change: &Change, run: &Run) -> Result<Value, String> {
        let failed = |e: ProviderError| e.to_string();
        let live_id = || {
            change
                .id
                .clone()
                .ok_or("the plan has no id for this change")
        };
        if matches!(change.action, Action::Delete | Action::Replace) {
            // Names are unique: on a replace the old one goes first.
            let path = format!("/api/v1/integrations/{}/", live_id()?);
            self.delete(&path, "delete integrations")
                .await
                .map_err(failed)?;
            if change.action == Action::Delete {
                return Ok(Value::Null);
            }
        }
        let Resource::Integration(integration) = change.desired()? else {
            return Err(format!("`{}` is not an integration", change.address));
        };
        let policy = format!(
            "{}.{}",
            Kind::EscalationPolicy,
            integration.escalation_policy
        );
        let policy = policy.as_str();
        let chain_id = run
            .ids()
            .get(policy)
            .cloned()
            .ok_or_else(|| format!("`{policy}` has no id: it was not created"))?;
        let name = integration.name.as_str();
        let templates = templates_body(&integration.templates);
        let object = if change.action == Action::Update {
            let id = live_id()?;
            let route = self
                .live
                .lock()
                .expect("live detail lock")
                .default_routes
                .get(&id)
                .cloned();
            let mut default_route = json!({"escalation_chain_id": chain_id});
            if let Some(route) = route.filter(|r| !r.is_empty()) {
                default_route["id"] = json!(route);
            }
            let body =
                json!({"name": name, "default_route": default_route, "templates": templates});
            self.put(
                &format!("/api/v1/integrations/{id}/"),
                &body,
                "update integrations",
            )
            .await
            .map_err(failed)?
        } else {
            let channel = integration.channel.channel().as_str();
            let template = integration.template.as_str();
            let ty = mapping::oncall_type(channel, template).ok_or_else(|| {
                format!("OnCall has no integration type for {channel} template `{template}`")
            })?;
            let body = json!({
                "name": name, "type": ty,
                "default_route": {"escalation_chain_id": chain_id},
                "templates": templates,
            });
            self.create_recovering(
                "/api/v1/integrations/",
                &body,
                "create integrations",
                || self.find_by("integrations", "name", name),
            )
            .await
            .map_err(failed)?
            .0
        };
        run.record(&change.address.clone(), text(&object, "id"));
        Ok(secretless(object))
    }

    /// Makes the chain's steps `desired` with the fewest calls, one at a time (OnCall orders
    /// concurrent appends arbitrarily).
    async fn sync_steps(&self, chain: &str, desired: &[StepSpec]) -> Result<(), ProviderError> {
        let live = self.chain_steps(chain).await?;
        let calls = mapping::step_calls(&live, desired);
        tracing::debug!(chain, calls = calls.len(), "escalation step calls");
        let mut count = live.len();
        for call in calls {
            match call {
                StepCall::Rewrite { id, spec } => {
                    self.put(
                        &format!("/api/v1/escalation_policies/{id}/"),
                        &spec.body(),
                        "update escalation steps",
                    )
                    .await?;
                }
                StepCall::Move { id, position } => {
                    self.put(
                        &format!("/api/v1/escalation_policies/{id}/"),
                        &json!({"position": position}),
                        "move escalation steps",
                    )
                    .await?;
                }
                StepCall::Remove { id } => {
                    self.delete(
                        &format!("/api/v1/escalation_policies/{id}/"),
                        "delete escalation steps",
                    )
                    .await?;
                    count -= 1;
                }
                StepCall::Append(spec) => {
                    let mut body = spec.body();
                    body["escalation_chain_id"] = json!(chain);
                    let before = count;
                    self.create_recovering(
                        "/api/v1/escalation_policies/",
                        &body,
                        "create escalation steps",
                        || async {
                            // Calls per chain are sequential: one more step than before, the
                            // same as this one, at the end, is this one.
                            let now = self.read_chain_steps(chain).await?;
                            Ok(
                                (now.len() > before && now.last().is_some_and(|s| s.spec == spec))
                                    .then(|| json!({"id": now.last().map(|s| s.id.clone())})),
                            )
                        },
                    )
                    .await?;
                    count += 1;
                }
            }
        }
        self.live
            .lock()
            .expect("live detail lock")
            .steps
            .remove(chain);
        Ok(())
    }
}

/// An integration as apply may print it: without its link and inbound email.
fn secretless(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        for field in ["link", "inbound_email", "heartbeat"] {
            map.remove(field);
        }
    }
    object
}

/// The desired OnCall steps of a policy's attributes, with references turned into ids.
fn desired_steps(
    policy: &EscalationPolicy,
    ids: &BTreeMap<String, String>,
) -> Result<Vec<StepSpec>, String> {
    let id = |address: &Address| {
        ids.get(&address.to_string())
            .cloned()
            .ok_or_else(|| format!("`{address}` has no id in Grafana OnCall"))
    };
    let mut steps = Vec::new();
    for step in &policy.steps {
        let mut converted = Step {
            delay_minutes: step.delay_minutes,
            ..Step::default()
        };
        for address in &step.notify {
            match address.kind {
                Kind::User => {
                    converted.user_ids.insert(id(address)?);
                }
                Kind::Group => {
                    converted.team_ids.insert(id(address)?);
                }
                Kind::Schedule => {
                    converted.schedule_ids.insert(id(address)?);
                }
                _ => {}
            }
        }
        steps.push(converted);
    }
    Ok(mapping::to_oncall(&steps, policy.repeat))
}

/// The members of `layer` as OnCall user ids, in turn order.
fn member_ids(layer: &Layer, ids: &BTreeMap<String, String>) -> Result<Vec<String>, String> {
    layer
        .members
        .iter()
        .map(|address| {
            ids.get(&address.to_string())
                .cloned()
                .ok_or_else(|| format!("`{address}` has no id in Grafana OnCall"))
        })
        .collect()
}

/// A schedule's layers as they will read once written: what an update compares with the live
/// layers to write only the shifts that change.
fn observed_layers(
    layers: &[Layer],
    ids: &BTreeMap<String, String>,
) -> Result<Vec<ObservedLayer>, String> {
    layers
        .iter()
        .map(|layer| {
            Ok(ObservedLayer {
                name: layer.name.clone(),
                start: layer.start,
                rotation: layer.rotation,
                member_user_ids: member_ids(layer, ids)?,
                restrict: layer.restrict.clone(),
            })
        })
        .collect()
}

/// The shift bodies of a schedule's layers, members turned into user ids.
fn shift_bodies(
    layers: &[Layer],
    time_zone: &str,
    ids: &BTreeMap<String, String>,
) -> Result<Vec<Value>, String> {
    layers
        .iter()
        .enumerate()
        .map(|(index, layer)| {
            Ok(mapping::shift_body(
                &layer.name,
                &layer.start.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
                layer.rotation,
                &member_ids(layer, ids)?,
                index + 1,
                time_zone,
            ))
        })
        .collect()
}

/// Every template alertform manages, `null` where the config leaves one out (OnCall resets it
/// to the type's default; leaving the key out would keep the old value).
fn templates_body(templates: &Templates) -> Value {
    let get = |field: &str| {
        templates
            .set()
            .into_iter()
            .find(|(f, _)| *f == field)
            .map_or(Value::Null, |(_, value)| json!(value))
    };
    json!({
        "grouping_key": get("grouping_key"),
        "resolve_signal": get("resolve_signal"),
        "acknowledge_signal": get("acknowledge_signal"),
        "source_link": get("source_link"),
        "web": {"title": get("title"), "message": get("message")},
    })
}

/// Grafana OnCall, as the registry knows it.
impl OnCallProvider {
    /// The schedule named `name` as OnCall renders it over `[from, to)`: its `final_shifts`
    /// (asked for the whole UTC days around the range, then cut to it), users by email.
    pub async fn rendered(&self, name: &str, from: Timestamp, to: Timestamp) -> super::Renders {
        let Some(schedule) = self.find_by("schedules", "name", name).await? else {
            return Ok(None);
        };
        let day = |t: jiff::Timestamp| jiff::tz::TimeZone::UTC.to_datetime(t).date();
        let path = format!(
            "/api/v1/schedules/{}/final_shifts?start_date={}&end_date={}",
            percent_encode(&text(&schedule, "id")),
            day(from),
            day(to)
        );
        let page = self
            .http
            .get_or(&path, |e| self.explain(e, "read final shifts"))
            .await?;
        let instant = super::instant;
        Ok(Some(
            results_of(&page.body)
                .iter()
                .filter_map(|s| {
                    let (start, end) = (instant(&s["shift_start"])?, instant(&s["shift_end"])?);
                    let (start, end) = (start.max(from), end.min(to));
                    (start < end).then(|| (start, end, text(s, "user_email").to_lowercase()))
                })
                .collect(),
        ))
    }
}

/// Who OnCall's engine pages for `schedule`: its layers as the shifts this provider writes
/// (members standing as their addresses), rendered by the engine's rules.
fn pages(
    schedule: &crate::model::Schedule,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> Option<Vec<crate::schedule::Shift>> {
    let shifts: Vec<Value> = schedule
        .layers
        .iter()
        .enumerate()
        .map(|(index, layer)| {
            let members: Vec<String> = layer.members.iter().map(ToString::to_string).collect();
            mapping::shift_body(
                &layer.name,
                &layer.start.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
                layer.rotation,
                &members,
                index + 1,
                &schedule.time_zone,
            )
        })
        .collect();
    jiff::tz::db().get(&schedule.time_zone).ok()?;
    crate::schedule::oncall_engine::final_shifts(&shifts, &schedule.time_zone, from, to)
        .into_iter()
        .map(|piece| {
            Some(crate::schedule::Shift {
                user: crate::model::Address::parse(&piece.user)?,
                layer: usize::try_from(piece.level - 1).ok()?,
                start: piece.start,
                end: piece.end,
            })
        })
        .collect()
}

pub static VENDOR: super::Descriptor = super::Descriptor {
    pages: Some(pages),
    generate: Ok(super::GenerateProfile::unrestricted(generated_org)),
    terraform_paths: Ok(object_paths),
    ..super::Descriptor::vendor(
        ProviderName::GrafanaOncall,
        "Grafana OnCall",
        &CAPABILITIES,
        |c| std::sync::Arc::new(OnCallProvider::new(c.http)),
    )
};

super::vendor_client!(OnCallProvider; rendered);

/// `dev generate`'s shape of a Grafana OnCall org.
const ORG: crate::generate::OrgShape = crate::generate::OrgShape {
    provider: crate::model::ProviderName::GrafanaOncall,
    seed: 0x0CA1,
    user: |i| crate::model::User {
        time_zone: None,
        ..crate::generate::numbered(
            i,
            format!("user{i}"),
            crate::model::Role::Responder,
            false,
            "UTC",
        )
    },
    second_target: crate::model::Kind::Group,
    repeat: |p| if p % 2 == 0 { 5 } else { 0 },
    integration_name: "Integration",
    integrations: &[
        ("api", "grafana"),
        ("api", "prometheus_alertmanager"),
        ("api", "custom"),
        ("api", "zabbix"),
        ("email", "custom"),
    ],
    seed_file: |groups, teams_of| {
        let seed = serde_json::json!({
            "teams": (0..groups).map(|g| serde_json::json!({"name": format!("Team {g}")})).collect::<Vec<_>>(),
            "users": teams_of.iter().enumerate().map(|(i, teams)| serde_json::json!({
                "email": format!("user{i}@example.com"),
                "username": format!("user{i}"),
                "teams": teams.iter().map(|g| format!("Team {g}")).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        ("grafana-oncall-seed.json", seed)
    },
};

/// An org Grafana OnCall can hold, and the Grafana side it needs: about 20 % users, 5 % teams
/// (flat), 15 % escalation policies of 1–3 steps (later steps delayed, `repeat` 0 or 5) and 60 %
/// integrations of the types OnCall has. Its seed, `grafana-oncall-seed.json`, holds the users
/// and teams for `serve --api grafana_oncall --seed`.
fn generated_org(objects: usize) -> crate::generate::Generated {
    crate::generate::vendor_org(objects, &ORG)
}
