//! The Opsgenie provider (REST API v2): users, teams, schedules with their rotations,
//! escalations and API integrations. What it can hold is in [`capabilities`], the conversions
//! in [`mapping`]. A plan reads users a page of 100 at a time, schedules (with their rotations)
//! and escalations in one request each, and teams and integrations as a list plus one GET each
//! (their list entries carry no members and no responders).
//!
//! Opsgenie has no idempotency keys: a create whose answer was lost is looked for by name before
//! it is sent again. An integration's `apiKey` is a secret: it stops here.

pub mod capabilities;
pub mod mapping;

use crate::json::Items;
use crate::model::ProviderName;
use capabilities::CAPABILITIES;
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::http::{AuthScheme, HttpClient, HttpError};
use super::{ProviderError, Run, percent_encode, text, version_of};
use crate::model::{ChannelSettings, Kind, Resource, Templates};
use crate::observed::{
    Observed, ObservedGroup, ObservedIntegration, ObservedPolicy, ObservedSchedule, ObservedStep,
    ObservedUser,
};
use crate::plan::{Action, Change};

/// Users per page (the most Opsgenie serves).
const PAGE: u64 = 100;
/// GETs in flight when reading teams' members and integrations' responders one by one.
const CONCURRENT_GETS: usize = 8;

#[derive(Clone)]
pub struct OpsgenieProvider {
    http: HttpClient,
    /// Schedule id → its rotations' ids, in order, as last read or written.
    rotations: Arc<Mutex<HashMap<String, Vec<String>>>>,
    /// The account owner's user id, as last read.
    owners: Arc<Mutex<BTreeSet<String>>>,
    /// Heartbeat name → the id of the alert policy that gives its alerts their responders.
    heartbeat_policies: Arc<Mutex<HashMap<String, String>>>,
}

/// A schedule or escalation a team was given when it was made (`<team>_schedule`,
/// `<team>_escalation`): Opsgenie's own, left alone like OnCall's direct-paging integrations.
fn team_default(object: &Value, suffix: &str) -> bool {
    let owner = object["ownerTeam"]["name"].as_str().unwrap_or_default();
    !owner.is_empty() && text(object, "name") == format!("{owner}{suffix}")
}

/// One note for the teams' own objects of a kind left alone: how many, and the first few.
fn teams_own_note(kind: &str, names: &[String]) -> Option<String> {
    let (first, more) = names.split_at(names.len().min(3));
    let listed: Vec<String> = first.iter().map(|n| format!("`{n}`")).collect();
    let more = if more.is_empty() {
        String::new()
    } else {
        format!(" and {} more", more.len())
    };
    (!names.is_empty()).then(|| {
        format!(
            "{} {kind} {} teams' own (Opsgenie makes one with each team): left alone",
            listed.join(", ") + &more,
            if names.len() == 1 { "is a" } else { "are" },
        )
    })
}

impl OpsgenieProvider {
    pub fn new(http: HttpClient) -> Self {
        OpsgenieProvider {
            // A user still in a team or a rotation answers 428 to a delete: refused, not carried
            // out, and the change that frees them may still be landing, so it is sent again.
            http: http
                .with_auth(AuthScheme::Word("GenieKey"))
                .with_transient(|status, _| status == reqwest::StatusCode::PRECONDITION_REQUIRED),
            rotations: Arc::default(),
            owners: Arc::default(),
            heartbeat_policies: Arc::default(),
        }
    }

    fn explain(&self, err: HttpError, action: &str) -> ProviderError {
        super::explain_refusal(
            &self.http,
            err,
            action,
            "use an API key of an API integration with configuration access, or an account API key with create and update rights",
        )
    }

    async fn get_data(&self, path: &str, action: &str) -> Result<Value, ProviderError> {
        let reply = self.http.get_or(path, |e| self.explain(e, action)).await?;
        Ok(reply.body["data"].clone())
    }

    /// Every user: the first page for `totalCount`, the rest concurrently.
    async fn users(&self) -> Result<Vec<Value>, ProviderError> {
        let first = self
            .http
            .get_or(&format!("/v2/users?limit={PAGE}&offset=0"), |e| {
                self.explain(e, "read users")
            })
            .await?
            .body;
        let users = first["data"].as_array().cloned().unwrap_or_default();
        let total = first["totalCount"].as_u64().unwrap_or(0);
        let read = (4, "users", self.http.base());
        super::all_pages(users, total.div_ceil(PAGE), read, |page| {
            let provider = self.clone();
            async move {
                let path = format!("/v2/users?limit={PAGE}&offset={}", (page - 1) * PAGE);
                let data = provider.get_data(&path, "read users").await?;
                Ok(data.as_array().cloned().unwrap_or_default())
            }
        })
        .await
    }

    /// The whole objects behind a list's entries, one GET each, a few at a time.
    async fn each(
        &self,
        collection: &'static str,
        entries: Vec<Value>,
    ) -> Result<Vec<Value>, ProviderError> {
        let paths: Arc<Vec<String>> = Arc::new(
            entries
                .iter()
                .map(|e| format!("/v2/{collection}/{}", percent_encode(&text(e, "id"))))
                .collect(),
        );
        let count = u64::try_from(paths.len()).unwrap_or(u64::MAX);
        super::in_order(
            1..=count,
            CONCURRENT_GETS,
            collection,
            self.http.base(),
            |n| {
                let (provider, paths) = (self.clone(), Arc::clone(&paths));
                async move {
                    let path = &paths[usize::try_from(n - 1).expect("indices fit in memory")];
                    let object = provider
                        .get_data(path, &format!("read {collection}"))
                        .await?;
                    Ok(vec![object])
                }
            },
        )
        .await
    }

    /// A note for each schedule with overrides (one-off swaps made in Opsgenie), which plan and
    /// apply leave alone.
    async fn override_notes(
        &self,
        schedules: &[ObservedSchedule],
    ) -> Result<Vec<String>, ProviderError> {
        super::override_notes(
            schedules,
            CONCURRENT_GETS,
            self.http.base(),
            "made in Opsgenie",
            |id| {
                let provider = self.clone();
                async move {
                    let path = format!("/v2/schedules/{}/overrides", percent_encode(&id));
                    let list = provider.get_data(&path, "read schedule overrides").await?;
                    Ok(list.as_array().map_or(0, Vec::len))
                }
            },
        )
        .await
    }

    /// The schedule named `name` as Opsgenie renders it over `[from, to)`: its final timeline
    /// (every rotation with someone on call, overrides applied), recipients by username (an
    /// email), cut to the range.
    pub async fn rendered(&self, name: &str, from: Timestamp, to: Timestamp) -> super::Renders {
        let days = to.duration_since(from).as_hours().div_euclid(24) + 2;
        let path = format!(
            "/v2/schedules/{}/timeline?identifierType=name&date={}&interval={days}&intervalUnit=days",
            percent_encode(name),
            percent_encode(&(from - jiff::SignedDuration::from_hours(24)).to_string())
        );
        let timeline = match self.http.get(&path).await {
            Ok(reply) => reply.body["data"].clone(),
            Err(err) if err.status() == Some(reqwest::StatusCode::NOT_FOUND) => return Ok(None),
            Err(err) => return Err(self.explain(err, "read schedule timelines")),
        };
        let instant = super::instant;
        Ok(Some(
            timeline["finalTimeline"]["rotations"]
                .items()
                .flat_map(|r| r["periods"].as_array().cloned().unwrap_or_default())
                .filter_map(|p| {
                    let (start, end) = (instant(&p["startDate"])?, instant(&p["endDate"])?);
                    let (start, end) = (start.max(from), end.min(to));
                    let who = p["recipient"]["name"].as_str()?.to_lowercase();
                    (start < end).then_some((start, end, who))
                })
                .collect(),
        ))
    }

    /// Reads every live object.
    pub async fn observe(&self) -> Result<Observed, ProviderError> {
        let mut observed = Observed::default();
        let mut owners = BTreeSet::new();
        for user in self.users().await? {
            if user["role"]["name"] == "Owner" {
                owners.insert(text(&user, "id"));
                observed.undeletable.insert(
                    text(&user, "id"),
                    "it is the Opsgenie account owner, whom the API cannot delete: declare it (with `role = \"owner\"`) or leave it alone with `settings.ignore`".to_owned(),
                );
            }
            observed.users.push(ObservedUser {
                id: text(&user, "id"),
                version: version_of(&[&user["fullName"], &user["role"], &user["timeZone"]]),
                name: text(&user, "fullName"),
                email: text(&user, "username"),
                phone: None,
                role: mapping::role_of(user["role"]["name"].as_str().unwrap_or_default()),
                time_zone: user["timeZone"].as_str().map(str::to_owned),
            });
        }
        *self.owners.lock().expect("owners lock") = owners;
        let teams = self.get_data("/v2/teams", "read teams").await?;
        for team in self
            .each("teams", teams.as_array().cloned().unwrap_or_default())
            .await?
        {
            let members: BTreeSet<String> = team["members"]
                .items()
                .filter_map(|m| m["user"]["id"].as_str().map(str::to_owned))
                .collect();
            observed.groups.push(ObservedGroup {
                id: text(&team, "id"),
                version: version_of(&[&team["name"], &team["description"], &team["members"]]),
                name: text(&team, "name"),
                description: Some(text(&team, "description")).filter(|d| !d.is_empty()),
                member_user_ids: members,
                member_group_ids: BTreeSet::new(),
            });
        }
        let mut teams_own = Vec::new();
        let schedules = self
            .get_data("/v2/schedules?expand=rotation", "read schedules")
            .await?;
        let mut rotation_ids = HashMap::new();
        for schedule in schedules.items() {
            let name = text(schedule, "name");
            if team_default(schedule, "_schedule") {
                teams_own.push(name);
                continue;
            }
            let zone = text(schedule, "timezone");
            let rotations = schedule["rotations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut layers = Vec::new();
            for rotation in &rotations {
                match mapping::layer_of(rotation, &zone) {
                    Some(layer) => layers.push(layer),
                    None => observed.notes.push(format!(
                        "schedule `{name}`: rotation `{}` has a participant that is not a user or a restriction longer than a day, which alertform cannot express; a plan that manages this schedule replaces its rotations",
                        text(rotation, "name")
                    )),
                }
            }
            rotation_ids.insert(
                text(schedule, "id"),
                rotations.iter().map(|r| text(r, "id")).collect::<Vec<_>>(),
            );
            observed.schedules.push(ObservedSchedule {
                id: text(schedule, "id"),
                version: version_of(&[
                    &schedule["name"],
                    &schedule["timezone"],
                    &schedule["rotations"],
                ]),
                name,
                time_zone: zone,
                layers,
            });
        }
        *self.rotations.lock().expect("rotations lock") = rotation_ids;
        observed
            .notes
            .extend(self.override_notes(&observed.schedules).await?);
        observed
            .notes
            .extend(teams_own_note("schedules", &std::mem::take(&mut teams_own)));
        let escalations = self.get_data("/v2/escalations", "read escalations").await?;
        for escalation in escalations.items() {
            if team_default(escalation, "_escalation") {
                teams_own.push(text(escalation, "name"));
                continue;
            }
            observed.escalation_policies.push(policy_of(escalation));
        }
        observed
            .notes
            .extend(teams_own_note("escalations", &teams_own));
        let integrations = self
            .get_data("/v2/integrations", "read integrations")
            .await?;
        for integration in self
            .each(
                "integrations",
                integrations.as_array().cloned().unwrap_or_default(),
            )
            .await?
        {
            observed.integrations.push(integration_of(&integration));
        }
        observed.integrations.extend(self.heartbeats().await?);
        Ok(observed)
    }

    /// Every heartbeat as a heartbeat integration: its interval and state from the heartbeat,
    /// its escalation policy and recipients from the alert policy alertform made for it (one
    /// list of heartbeats, one of alert policies, and one GET per heartbeat's policy).
    async fn heartbeats(&self) -> Result<Vec<ObservedIntegration>, ProviderError> {
        let list = self.get_data("/v2/heartbeats", "read heartbeats").await?;
        let heartbeats = list["heartbeats"].as_array().cloned().unwrap_or_default();
        let policies = self
            .get_data("/v2/policies/alert", "read alert policies")
            .await?;
        let ours: Vec<Value> = policies
            .items()
            .filter(|p| {
                heartbeats
                    .iter()
                    .any(|h| text(p, "name") == mapping::heartbeat_policy_name(&text(h, "name")))
            })
            .cloned()
            .collect();
        let ours = self.each("policies", ours).await?;
        let mut by_heartbeat = HashMap::new();
        let mut policy_ids = HashMap::new();
        for heartbeat in &heartbeats {
            let name = text(heartbeat, "name");
            if let Some(policy) = ours
                .iter()
                .find(|p| text(p, "name") == mapping::heartbeat_policy_name(&name))
            {
                policy_ids.insert(name.clone(), text(policy, "id"));
                by_heartbeat.insert(name, policy.clone());
            }
        }
        *self
            .heartbeat_policies
            .lock()
            .expect("heartbeat policies lock") = policy_ids;
        Ok(heartbeats
            .iter()
            .map(|heartbeat| {
                let name = text(heartbeat, "name");
                let policy = by_heartbeat.get(&name).cloned().unwrap_or(Value::Null);
                let mut observed = integration_of(&json!({
                    "id": format!("{}{name}", mapping::HEARTBEAT_ID),
                    "name": name, "enabled": heartbeat["enabled"],
                    "responders": policy["responders"],
                }));
                observed.version = version_of(&[heartbeat, &policy["responders"]]);
                observed.channel = ChannelSettings::Heartbeat {
                    interval_minutes: mapping::interval_minutes(
                        heartbeat["interval"].as_u64().unwrap_or(0),
                        &text(heartbeat, "intervalUnit"),
                    )
                    .unwrap_or(0),
                };
                mapping::HEARTBEAT_TEMPLATE.clone_into(&mut observed.template);
                observed
            })
            .collect())
    }

    /// Creates, changes or deletes a heartbeat integration: the heartbeat (named by the
    /// integration, tagging its alerts) and the alert policy that adds its escalation policy and
    /// recipients as responders to those alerts. `live` is the heartbeat's name now.
    async fn write_heartbeat(
        &self,
        change: &Change,
        live: Option<&str>,
        run: &Run,
    ) -> Result<Value, String> {
        let explain = |e: ProviderError| e.to_string();
        if let Some(name) = live
            && matches!(change.action, Action::Delete | Action::Replace)
        {
            self.delete_heartbeat(name).await.map_err(explain)?;
            if change.action == Action::Delete {
                return Ok(Value::Null);
            }
        }
        let Resource::Integration(desired) = change.desired()? else {
            return Err("a heartbeat is an integration".to_owned());
        };
        let ChannelSettings::Heartbeat { interval_minutes } = desired.channel else {
            return Err("not a heartbeat integration".to_owned());
        };
        let name = desired.name.as_str();
        let (interval, unit) = mapping::heartbeat_interval(interval_minutes);
        let heartbeat = json!({
            "name": name, "interval": interval, "intervalUnit": unit, "enabled": desired.enabled,
            "alertTags": [mapping::heartbeat_tag(name)],
        });
        let responders = responders(&desired.escalation_policy, &desired.recipients, &run.ids())?;
        let policy = json!({
            "type": "alert", "name": mapping::heartbeat_policy_name(name), "enabled": true,
            "continue": true, "responders": responders,
            "policyDescription": format!("Pages whoever alertform's config names for heartbeat {name}"),
            "filter": {"type": "match-all-conditions", "conditions": [
                {"field": "tags", "operation": "contains", "expectedValue": mapping::heartbeat_tag(name)},
            ]},
        });
        match live.filter(|_| change.action == Action::Update) {
            Some(old) if old == name => {
                let path = format!("/v2/heartbeats/{}", percent_encode(name));
                let fields =
                    json!({"interval": interval, "intervalUnit": unit, "enabled": desired.enabled});
                self.http
                    .send(reqwest::Method::PATCH, &path, Some(&fields), &[], true)
                    .await
                    .map_err(|e| self.explain(e, "write heartbeats").to_string())?;
            }
            Some(old) => {
                // A heartbeat's name is its identifier: a renamed one is made anew.
                self.create(Kind::Integration, "heartbeats", &heartbeat)
                    .await
                    .map_err(explain)?;
                self.delete_heartbeat(old).await.map_err(explain)?;
            }
            None => {
                self.create(Kind::Integration, "heartbeats", &heartbeat)
                    .await
                    .map_err(explain)?;
            }
        }
        let known = self
            .heartbeat_policies
            .lock()
            .expect("heartbeat policies lock")
            .get(name)
            .cloned();
        let policy_id = if let Some(id) = known {
            let path = format!("/v2/policies/{}", percent_encode(&id));
            self.http
                .send(reqwest::Method::PUT, &path, Some(&policy), &[], true)
                .await
                .map_err(|e| self.explain(e, "write alert policies").to_string())?;
            id
        } else {
            let made = self
                .create(Kind::Integration, "policies", &policy)
                .await
                .map_err(explain)?;
            text(&made, "id")
        };
        self.heartbeat_policies
            .lock()
            .expect("heartbeat policies lock")
            .insert(name.to_owned(), policy_id);
        let id = format!("{}{name}", mapping::HEARTBEAT_ID);
        if change.action != Action::Update {
            run.record(&change.address, id.clone());
        }
        Ok(json!({"id": id, "name": name}))
    }

    /// Deletes a heartbeat and the alert policy alertform made for it.
    async fn delete_heartbeat(&self, name: &str) -> Result<(), ProviderError> {
        let policy = self
            .heartbeat_policies
            .lock()
            .expect("heartbeat policies lock")
            .remove(name);
        if let Some(id) = policy {
            self.delete("policies", &id).await?;
        }
        self.delete("heartbeats", name).await
    }

    /// Before any call: a plan that would make or unmake the account owner, which only the
    /// owner can do, in Opsgenie's web app.
    pub fn preflight(&self, plan: &crate::plan::Plan) -> Result<(), String> {
        let owners = self.owners.lock().expect("owners lock").clone();
        for change in &plan.changes {
            if change.kind() != Kind::User || change.action == Action::Delete {
                continue;
            }
            let was_owner = change.id.as_ref().is_some_and(|id| owners.contains(id));
            let will_be_owner = matches!(
                change.desired(),
                Ok(Resource::User(u)) if u.role == crate::model::Role::Owner
            );
            if was_owner != will_be_owner {
                return Err(format!(
                    "`{}`: Opsgenie's API cannot make or unmake the account owner (the owner hands the role over in the web app); {}",
                    change.address,
                    if will_be_owner {
                        "declare the account's owner with `role = \"owner\"` and this user with another role"
                    } else {
                        "change `role` back to \"owner\""
                    }
                ));
            }
        }
        Ok(())
    }

    /// One live object, secrets included (`show` conceals the `apiKey`).
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Value, ProviderError> {
        let collection = collection(kind).ok_or_else(|| super::no_outbound("Opsgenie"))?;
        let (collection, id) = match id.strip_prefix(mapping::HEARTBEAT_ID) {
            Some(name) => ("heartbeats", name),
            None => (collection, id),
        };
        self.get_data(&format!("/v2/{collection}/{}", percent_encode(id)), "read")
            .await
    }

    /// Carries out one change: a create (looked for by name after a lost answer, never made
    /// twice), an update (PATCH; integrations PUT, as Opsgenie takes them), or a delete.
    pub async fn execute(&self, change: &Change, run: &Run) -> Result<Value, String> {
        let kind = change.kind();
        let collection =
            collection(kind).ok_or_else(|| format!("Opsgenie has no {}", kind.plural()))?;
        let action = format!("write {collection}");
        if kind == Kind::Integration {
            let live = change
                .id
                .as_deref()
                .and_then(|id| id.strip_prefix(mapping::HEARTBEAT_ID));
            let wanted = matches!(
                change.desired(),
                Ok(Resource::Integration(i)) if matches!(i.channel, ChannelSettings::Heartbeat { .. })
            );
            if live.is_some() || wanted {
                if let (Some(name), false, Action::Replace) = (live, wanted, change.action) {
                    // A heartbeat becomes an API or email integration: the heartbeat goes first.
                    self.delete_heartbeat(name)
                        .await
                        .map_err(|e| e.to_string())?;
                    let body = body(change.desired()?, run)?;
                    let made = self
                        .create(kind, collection, &body)
                        .await
                        .map_err(|e| e.to_string())?;
                    run.record(&change.address, text(&made, "id"));
                    return Ok(made);
                }
                return self.write_heartbeat(change, live, run).await;
            }
        }
        if change.action == Action::Delete {
            let id = change
                .id
                .as_deref()
                .ok_or("the plan has no id for this change")?;
            self.delete(collection, id)
                .await
                .map_err(|e| e.to_string())?;
            return Ok(Value::Null);
        }
        let resource = change.desired()?;
        let body = body(resource, run)?;
        let written = if let (Action::Update, Some(id)) = (change.action, change.id.as_deref()) {
            let path = format!("/v2/{collection}/{}", percent_encode(id));
            let mut fields = body.clone();
            if let Some(map) = fields.as_object_mut() {
                // Rotations are written one by one below; a username never changes.
                map.remove("rotations");
                map.remove("username");
            }
            let method = if kind == Kind::Integration {
                reqwest::Method::PUT
            } else {
                reqwest::Method::PATCH
            };
            self.http
                .send(method, &path, Some(&fields), &[], true)
                .await
                .map_err(|e| self.explain(e, &action).to_string())?;
            if kind == Kind::Schedule {
                self.write_rotations(id, &body["rotations"])
                    .await
                    .map_err(|e| e.to_string())?;
            }
            json!({"id": id, "name": body.get("name").or_else(|| body.get("fullName"))})
        } else {
            if change.action == Action::Replace
                && let Some(id) = change.id.as_deref()
            {
                self.delete(collection, id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let made = self
                .create(kind, collection, &body)
                .await
                .map_err(|e| e.to_string())?;
            run.record(&change.address, text(&made, "id"));
            made
        };
        Ok(written)
    }

    async fn create(
        &self,
        kind: Kind,
        collection: &'static str,
        body: &Value,
    ) -> Result<Value, ProviderError> {
        let name = text(
            body,
            if kind == Kind::User {
                "username"
            } else {
                "name"
            },
        );
        let recovering = super::Recovering {
            http: &self.http,
            headers: &[],
            explain: |e| self.explain(e, &format!("create {collection}")),
            taken: |e| {
                matches!(e, HttpError::Status { status, message, .. }
                    if *status == reqwest::StatusCode::UNPROCESSABLE_ENTITY && message.contains("already exists"))
            },
        };
        let (reply, _found) = recovering
            .create(&format!("/v2/{collection}"), body, || {
                self.find(kind, collection, &name)
            })
            .await?;
        // A write answers `{data: {id, name}}` (and an integration's `apiKey`, which stops here).
        let data = reply.get("data").cloned().unwrap_or(reply);
        Ok(
            json!({"id": data["id"], "name": data.get("name").cloned().unwrap_or_else(|| json!(name))}),
        )
    }

    /// The live object of `kind` named `name`, if there is one.
    async fn find(
        &self,
        kind: Kind,
        collection: &'static str,
        name: &str,
    ) -> Result<Option<Value>, ProviderError> {
        // Integrations and alert policies are listed whole and found by name; users by username,
        // heartbeats by name, the rest with `identifierType=name`.
        let listed = match collection {
            "integrations" => Some("/v2/integrations"),
            "policies" => Some("/v2/policies/alert"),
            _ => None,
        };
        if let Some(list) = listed {
            let all = self.get_data(list, &format!("read {collection}")).await?;
            return Ok(all.items().find(|i| text(i, "name") == name).cloned());
        }
        let path = match (kind, collection) {
            (Kind::User, _) | (_, "heartbeats") => {
                format!("/v2/{collection}/{}", percent_encode(name))
            }
            _ => format!(
                "/v2/{collection}/{}?identifierType=name",
                percent_encode(name)
            ),
        };
        match self.http.get(&path).await {
            Ok(reply) => Ok(Some(reply.body["data"].clone())),
            Err(e) if e.status() == Some(reqwest::StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(self.explain(e, &format!("read {collection}"))),
        }
    }

    /// DELETE, gone after a lost answer counting as done.
    async fn delete(&self, collection: &'static str, id: &str) -> Result<(), ProviderError> {
        let path = format!("/v2/{collection}/{}", percent_encode(id));
        super::delete_once(&self.http, &path)
            .await
            .map_err(|e| self.explain(e, &format!("delete {collection}")))
    }

    /// Makes a schedule's rotations those of `desired`, in order: each existing one patched in
    /// place, the rest created, the surplus deleted.
    async fn write_rotations(&self, schedule: &str, desired: &Value) -> Result<(), ProviderError> {
        let known = self
            .rotations
            .lock()
            .expect("rotations lock")
            .get(schedule)
            .cloned()
            .unwrap_or_default();
        let base = format!("/v2/schedules/{}/rotations", percent_encode(schedule));
        let mut ids = Vec::new();
        let desired = desired.as_array().cloned().unwrap_or_default();
        for (index, rotation) in desired.iter().enumerate() {
            if let Some(id) = known.get(index) {
                let mut body = rotation.clone();
                if body["timeRestriction"].is_null() {
                    // PATCH keeps what a body leaves out; an explicit null clears it.
                    body["timeRestriction"] = Value::Null;
                }
                self.http
                    .send(
                        reqwest::Method::PATCH,
                        &format!("{base}/{}", percent_encode(id)),
                        Some(&body),
                        &[],
                        true,
                    )
                    .await
                    .map_err(|e| self.explain(e, "write rotations"))?;
                ids.push(id.clone());
            } else {
                let reply = self
                    .http
                    .send(reqwest::Method::POST, &base, Some(rotation), &[], false)
                    .await
                    .map_err(|e| self.explain(e, "write rotations"))?;
                ids.push(text(&reply.body["data"], "id"));
            }
        }
        for id in known.iter().skip(desired.len()) {
            super::delete_once(&self.http, &format!("{base}/{}", percent_encode(id)))
                .await
                .map_err(|e| self.explain(e, "delete rotations"))?;
        }
        self.rotations
            .lock()
            .expect("rotations lock")
            .insert(schedule.to_owned(), ids);
        Ok(())
    }
}

/// The API body for the resource a change writes, with references turned into ids.
fn body(resource: &Resource, run: &Run) -> Result<Value, String> {
    Ok(match resource {
        Resource::User(u) => {
            let mut body = json!({
                "username": u.email, "fullName": u.name,
                "role": {"name": mapping::role_name(u.role)},
            });
            if let Some(zone) = &u.time_zone {
                body["timeZone"] = json!(zone);
            }
            body
        }
        Resource::Group(g) => {
            let members: Vec<Value> = super::ids_of(&g.members, Kind::User, &run.ids())?
                .into_iter()
                .map(|id| json!({"user": {"id": id}, "role": "user"}))
                .collect();
            json!({"name": g.name, "description": g.description.clone().unwrap_or_default(), "members": members})
        }
        Resource::Schedule(s) => {
            let mut rotations = Vec::new();
            for layer in &s.layers {
                let members = super::ids_of(&layer.members, Kind::User, &run.ids())?;
                rotations.push(mapping::rotation_body(layer, &members, &s.time_zone)?);
            }
            json!({"name": s.name, "timezone": s.time_zone, "enabled": true, "rotations": rotations})
        }
        Resource::EscalationPolicy(p) => {
            let delays: Vec<u16> = p.steps.iter().map(|s| s.delay_minutes).collect();
            let mut rules = Vec::new();
            for (step, at) in p.steps.iter().zip(mapping::absolute_delays(&delays)) {
                for target in &step.notify {
                    let kind = match target.kind {
                        Kind::User => "user",
                        Kind::Group => "team",
                        Kind::Schedule => "schedule",
                        other => {
                            return Err(format!(
                                "Opsgenie escalations cannot notify {}",
                                other.plural()
                            ));
                        }
                    };
                    rules.push(json!({
                        "condition": "if-not-acked", "notifyType": "default",
                        "delay": {"timeAmount": at, "timeUnit": "minutes"},
                        "recipient": {"type": kind, "id": super::id_of(target, &run.ids())?},
                    }));
                }
            }
            let repeat = if p.repeat == 0 {
                json!({"waitInterval": 0, "count": 0})
            } else {
                json!({"waitInterval": mapping::REPEAT_WAIT_MINUTES, "count": p.repeat, "resetRecipientStates": false, "closeAlertAfterAll": false})
            };
            json!({"name": p.name, "description": p.description.clone().unwrap_or_default(), "rules": rules, "repeat": repeat})
        }
        Resource::Integration(i) => {
            let responders = responders(&i.escalation_policy, &i.recipients, &run.ids())?;
            let kind =
                mapping::integration_type(i.channel.channel(), &i.template).ok_or_else(|| {
                    format!("no Opsgenie integration type for template `{}`", i.template)
                })?;
            json!({"type": kind, "name": i.name, "enabled": i.enabled, "responders": responders})
        }
        Resource::Outbound(_) => return Err("Opsgenie has no outbound targets".into()),
    })
}

/// An alert's responders: the escalation named `policy` first, then each recipient (a group is
/// an Opsgenie team).
fn responders(
    policy: &str,
    recipients: &BTreeSet<crate::model::Address>,
    ids: &BTreeMap<String, String>,
) -> Result<Vec<Value>, String> {
    let policy = crate::model::Address::new(Kind::EscalationPolicy, policy);
    let mut responders = vec![json!({"type": "escalation", "id": super::id_of(&policy, ids)?})];
    for r in recipients {
        let kind = if r.kind == Kind::Group {
            "team"
        } else {
            "user"
        };
        responders.push(json!({"type": kind, "id": super::id_of(r, ids)?}));
    }
    Ok(responders)
}

fn collection(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::User => "users",
        Kind::Group => "teams",
        Kind::Schedule => "schedules",
        Kind::EscalationPolicy => "escalations",
        Kind::Integration => "integrations",
        Kind::Outbound => return None,
    })
}

/// A live escalation as a policy: rules grouped by their delay into steps, in time order.
fn policy_of(escalation: &Value) -> ObservedPolicy {
    let mut by_time: BTreeMap<u64, ObservedStep> = BTreeMap::new();
    for rule in escalation["rules"].items() {
        let at = mapping::delay_minutes(&rule["delay"]).unwrap_or(0);
        let step = by_time.entry(at).or_insert_with(|| ObservedStep {
            delay_minutes: 0,
            notify_user_ids: BTreeSet::new(),
            notify_group_ids: BTreeSet::new(),
            notify_schedule_ids: BTreeSet::new(),
            notify_outbound_ids: BTreeSet::new(),
        });
        let id = text(&rule["recipient"], "id");
        match rule["recipient"]["type"].as_str().unwrap_or_default() {
            "user" => step.notify_user_ids.insert(id),
            "team" => step.notify_group_ids.insert(id),
            "schedule" => step.notify_schedule_ids.insert(id),
            _ => false,
        };
    }
    let mut previous = 0;
    let steps = by_time
        .into_iter()
        .map(|(at, mut step)| {
            step.delay_minutes = u16::try_from(at - previous).unwrap_or(u16::MAX);
            previous = at;
            step
        })
        .collect();
    ObservedPolicy {
        id: text(escalation, "id"),
        version: version_of(&[
            &escalation["name"],
            &escalation["description"],
            &escalation["rules"],
            &escalation["repeat"],
        ]),
        name: text(escalation, "name"),
        description: Some(text(escalation, "description")).filter(|d| !d.is_empty()),
        repeat: u8::try_from(escalation["repeat"]["count"].as_u64().unwrap_or(0))
            .unwrap_or(u8::MAX),
        steps,
    }
}

/// A live integration: its escalation responder is its policy, its users and teams its
/// recipients. The `apiKey` is not read.
fn integration_of(integration: &Value) -> ObservedIntegration {
    let mut policy = String::new();
    let (mut users, mut teams) = (BTreeSet::new(), BTreeSet::new());
    for responder in integration["responders"].items() {
        let id = text(responder, "id");
        match responder["type"].as_str().unwrap_or_default() {
            "escalation" if policy.is_empty() => policy = id,
            "user" => {
                users.insert(id);
            }
            "team" => {
                teams.insert(id);
            }
            _ => {}
        }
    }
    let (channel, template) = mapping::channel_and_template(&text(integration, "type"));
    ObservedIntegration {
        id: text(integration, "id"),
        version: version_of(&[
            &integration["name"],
            &integration["enabled"],
            &integration["responders"],
        ]),
        name: text(integration, "name"),
        channel,
        template,
        escalation_policy_id: policy,
        recipient_user_ids: users,
        recipient_group_ids: teams,
        enabled: integration["enabled"].as_bool().unwrap_or(true),
        templates: Templates::default(),
    }
}

/// `show` conceals an integration's `apiKey` and an email integration's address (and the other
/// vendors' secret fields).
fn conceal(value: &mut Value) {
    for field in ["apiKey", "emailAddress"] {
        if let Some(key) = value.get_mut(field)
            && !key.is_null()
        {
            *key = json!("(sensitive)");
        }
    }
    super::conceal_secret_fields(value);
}

/// The path of every live object, as Terraform's Opsgenie provider reads them: one GET each by id
/// (`dev baseline --mode terraform`).
pub fn object_paths(http: &HttpClient) -> super::Call<'_, Result<Vec<String>, HttpError>> {
    Box::pin(async move {
        let next = |page: &Value, _| !page["paging"]["next"].is_null();
        let users = super::offset_pages(http, ("/v2/users", "data"), PAGE, next).await?;
        let mut paths: Vec<String> = (users.iter())
            .map(|u| format!("/v2/users/{}", text(u, "id")))
            .collect();
        let heartbeats = http.get("/v2/heartbeats").await?.body;
        for heartbeat in heartbeats["data"]["heartbeats"].items() {
            paths.push(format!("/v2/heartbeats/{}", text(heartbeat, "name")));
        }
        for collection in ["teams", "schedules", "escalations", "integrations"] {
            let body = http.get(&format!("/v2/{collection}")).await?.body;
            // Terraform holds only what it manages: not the teams' own schedules and escalations.
            let own = |o: &&Value| team_default(o, "_schedule") || team_default(o, "_escalation");
            for object in body["data"].items().filter(|o| !own(o)) {
                paths.push(format!("/v2/{collection}/{}", text(object, "id")));
            }
        }
        Ok(paths)
    })
}

/// Opsgenie, as the registry knows it.
pub static VENDOR: super::Descriptor = super::Descriptor {
    generate: Ok(super::GenerateProfile {
        org: generated_org,
        // Opsgenie pages every layer with someone on call: layers that never overlap.
        schedules: crate::generate::Layers::DayAndNight,
    }),
    terraform_paths: Ok(object_paths),
    // No public source gives Opsgenie's limits (per account, per minute): an assumption, listed
    // in docs/providers/opsgenie.md; `--rate-budget` sets the account's own.
    rate_budget: Some(600),
    integration_endpoint: super::IntegrationEndpoint::Secret(
        "its API key or email address is on its page in Opsgenie (Settings > Integrations; a heartbeat is pinged by name, at /v2/heartbeats/NAME/ping), and `alertform show --reveal` prints it",
    ),
    conceal,
    ..super::Descriptor::vendor(ProviderName::Opsgenie, "Opsgenie", &CAPABILITIES, |c| {
        std::sync::Arc::new(OpsgenieProvider::new(c.http))
    })
};

super::vendor_client!(OpsgenieProvider, preflight; rendered);

/// `dev generate`'s shape of an Opsgenie org.
const ORG: crate::generate::OrgShape = crate::generate::OrgShape {
    provider: crate::model::ProviderName::Opsgenie,
    seed: 0x0965,
    user: |i| {
        let role = if i == 0 {
            crate::model::Role::Owner
        } else {
            crate::generate::ROLES[i % 4]
        };
        let zone = [
            "Europe/London",
            "America/New_York",
            "Asia/Tokyo",
            "Australia/Sydney",
        ][i % 4];
        crate::generate::numbered(i, format!("User {i}"), role, false, zone)
    },
    second_target: crate::model::Kind::Group,
    repeat: |p| if p % 2 == 0 { 2 } else { 0 },
    integration_name: "Integration",
    integrations: &[
        ("api", "custom"),
        ("api", "grafana"),
        ("api", "prometheus_alertmanager"),
    ],
    seed_file: |_, _| {
        let seed = serde_json::json!({
            "users": [{"username": "user0@example.com", "fullName": "User 0", "role": "Owner", "timeZone": "Europe/London"}],
        });
        ("opsgenie-seed.json", seed)
    },
};

/// An Opsgenie org in the same proportions: users with the roles Opsgenie has (user 0 the owner,
/// from the seed) and zones, teams of users, escalations of 1–3 steps paging a user and a team
/// (each later step 10 minutes after the one before, since Opsgenie times rules from the alert),
/// and API integrations of the types alertform maps. `opsgenie-seed.json` holds the owner.
fn generated_org(objects: usize) -> crate::generate::Generated {
    crate::generate::vendor_org(objects, &ORG)
}
