//! The AlertOps provider (REST API v2): what it can hold ([`capabilities`]), how it reads live
//! state (one `{limit, offset, <plural>}` list per collection), and how it carries out a change.
//!
//! AlertOps references by **name**: group members by `user_name` and `group_name`, integrations
//! their policy and recipients. The provider keeps every live object's current name by id, and
//! the planner runs renames before whatever names the renamed object.
//!
//! An AlertOps escalation policy is a timed sequence of group member *roles* (Primary, Secondary,
//! Manager), not of people: it pages the members of the alert's recipient groups who hold each
//! role. So an alertform policy is written as the policy (step `i` = tier `i`, its delay the
//! tier's wait) and a **routing group** beside it, `<policy> (escalation)`, marked by an
//! attribute, whose members are the steps' users and groups holding the role of each step that
//! names them; every integration routed to the policy has its routing group among its recipients.
//! The routing groups are the provider's: the planner never sees them. Every AlertOps field
//! alertform does not manage is read back and sent again unchanged (updates are full-body `PUT`s
//! of the object as read, with alertform's fields replaced).

pub mod capabilities;
pub mod mapping;

use crate::json::Items;
use crate::model::ProviderName;
use capabilities::CAPABILITIES;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::http::{HttpClient, HttpError};
use super::{ProviderError, Run, percent_encode, text, version_of};
use crate::model::{
    Address, ChannelSettings, ChatPlatform, EscalationPolicy, Kind, Resource, Templates,
};
use crate::observed::{
    Observed, ObservedGroup, ObservedIntegration, ObservedPolicy, ObservedStep, ObservedUser,
};
use crate::plan::{Action, Change};
use mapping::{ROUTING_ATTRIBUTE, TIERS};

/// The largest page the provider asks for.
const PAGE: u64 = 100;
/// What a reference to nothing live reads as (a name no object has now).
const MISSING: &str = "missing:";

#[derive(Clone)]
pub struct AlertOpsProvider {
    http: HttpClient,
    live: Arc<Mutex<LiveNames>>,
}

/// What the last read saw, kept up to date by every write: AlertOps wants names, the plan
/// speaks in ids.
#[derive(Default)]
struct LiveNames {
    /// Live id (`user:7`, `group:3`, `policy:2`, `integration:5`) → its current name.
    names: HashMap<String, String>,
    /// Policy name → the id of its routing group.
    routing: HashMap<String, u64>,
}

/// A set of addresses in the order of their text (`group.…` before `user.…`), the order
/// AlertOps's sequences follow.
fn in_text_order(addresses: &BTreeSet<Address>) -> Vec<String> {
    let mut list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    list.sort();
    list
}

/// alertform's live ids for AlertOps objects: the kind and the integer id, since AlertOps numbers
/// each collection from 1.
fn live_id(prefix: &str, object: &Value, field: &str) -> String {
    format!("{prefix}:{}", object[field].as_u64().unwrap_or(0))
}

fn number_of(id: &str) -> Result<u64, String> {
    id.rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("`{id}` is not an AlertOps id"))
}

impl AlertOpsProvider {
    pub fn new(http: HttpClient) -> Self {
        AlertOpsProvider {
            http: http.with_auth(super::http::AuthScheme::Header("api-key")),
            live: Arc::default(),
        }
    }

    fn explain(&self, err: HttpError, action: &str) -> ProviderError {
        super::explain_refusal(
            &self.http,
            err,
            action,
            if action.contains("integration") {
                "this key's user needs the Integrations Admin, App Admin or Owner role (InboundIntegrations_GlobalAccess)"
            } else {
                "this key's user needs the App Admin or Owner role"
            },
        )
    }

    /// Every object of a collection, a page of [`PAGE`] at a time until a short page.
    async fn list(&self, path: &str, key: &str) -> Result<Vec<Value>, ProviderError> {
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let url = format!("{path}?limit={PAGE}&offset={offset}");
            let page = self
                .http
                .get_or(&url, |e| self.explain(e, &format!("read {key}")))
                .await?;
            let items =
                page.body[key]
                    .as_array()
                    .cloned()
                    .ok_or_else(|| ProviderError::Unreadable {
                        endpoint: self.http.base().to_owned(),
                        what: format!("a page of {key}"),
                        message: format!("no `{key}` list in the answer"),
                    })?;
            let full = items.len() as u64 >= PAGE;
            offset += items.len() as u64;
            all.extend(items);
            if !full {
                return Ok(all);
            }
        }
    }

    pub async fn observe(&self) -> Result<Observed, ProviderError> {
        let (users, groups, policies, integrations) = tokio::try_join!(
            self.list("/api/v2/users", "users"),
            self.list("/api/v2/groups", "groups"),
            self.list("/api/v2/escalation_policies", "escalation_policies"),
            self.list("/api/v2/integrations/inbound", "inbound_integrations"),
        )?;
        let mut names = LiveNames::default();
        // Names are matched without case, as AlertOps does.
        let mut user_ids: HashMap<String, String> = HashMap::new();
        let mut group_ids: HashMap<String, String> = HashMap::new();
        let mut policy_ids: HashMap<String, String> = HashMap::new();
        for u in &users {
            let id = live_id("user", u, "user_id");
            user_ids.insert(text(u, "user_name").to_lowercase(), id.clone());
            names.names.insert(id, text(u, "user_name"));
        }
        let (routing, plain): (Vec<&Value>, Vec<&Value>) =
            groups.iter().partition(|g| routing_policy(g).is_some());
        for g in &plain {
            let id = live_id("group", g, "group_id");
            group_ids.insert(text(g, "group_name").to_lowercase(), id.clone());
            names.names.insert(id, text(g, "group_name"));
        }
        for p in &policies {
            let id = live_id("policy", p, "escalation_policy_id");
            policy_ids.insert(text(p, "escalation_policy_name").to_lowercase(), id.clone());
            names.names.insert(id, text(p, "escalation_policy_name"));
        }
        let resolve = |ids: &HashMap<String, String>, name: &str| {
            ids.get(&name.to_lowercase())
                .cloned()
                .unwrap_or_else(|| format!("{MISSING}{name}"))
        };
        // Policy name → its routing group's members, as (user ids, group ids) per tier.
        let mut tiers: HashMap<String, Vec<TierMembers>> = HashMap::new();
        let mut routing_names: HashMap<String, String> = HashMap::new();
        for g in routing {
            let policy = routing_policy(g).unwrap_or_default();
            names
                .routing
                .insert(policy.to_lowercase(), g["group_id"].as_u64().unwrap_or(0));
            routing_names.insert(policy.to_lowercase(), text(g, "group_name").to_lowercase());
            let mut by_tier = vec![(BTreeSet::new(), BTreeSet::new()); TIERS.len()];
            for member in g["members"].items() {
                let roles = member["roles"].strings();
                for (tier, slot) in TIERS.iter().zip(by_tier.iter_mut()) {
                    if !roles.iter().any(|r| r == tier) {
                        continue;
                    }
                    let name = text(member, "member");
                    if text(member, "member_type") == "Group" {
                        slot.1.insert(resolve(&group_ids, &name));
                    } else {
                        slot.0.insert(resolve(&user_ids, &name));
                    }
                }
            }
            tiers.insert(policy.to_lowercase(), by_tier);
        }
        let mut observed = Observed::default();
        for u in &users {
            observed.users.push(observe_user(u));
        }
        for g in plain {
            let members = g["members"].as_array().cloned().unwrap_or_default();
            let (mut member_user_ids, mut member_group_ids) = (BTreeSet::new(), BTreeSet::new());
            for m in &members {
                if text(m, "member_type") == "Group" {
                    member_group_ids.insert(resolve(&group_ids, &text(m, "member")));
                } else {
                    member_user_ids.insert(resolve(&user_ids, &text(m, "member")));
                }
            }
            let description = g["description"].strings().join("\n");
            observed.groups.push(ObservedGroup {
                id: live_id("group", g, "group_id"),
                version: version_of(&[g]),
                name: text(g, "group_name"),
                description: (!description.is_empty()).then_some(description),
                member_user_ids,
                member_group_ids,
            });
        }
        for p in &policies {
            let name = text(p, "escalation_policy_name");
            let by_tier = tiers.get(&name.to_lowercase());
            let steps = p["member_roles"]
                .items()
                .map(|tier| {
                    let role = text(tier, "member_role_type");
                    let index = TIERS.iter().position(|t| *t == role);
                    let (users, groups) = index
                        .and_then(|i| by_tier.and_then(|t| t.get(i)).cloned())
                        .unwrap_or_default();
                    ObservedStep {
                        delay_minutes: tier["role_wait_time_in_mins"]
                            .as_u64()
                            .and_then(|m| u16::try_from(m).ok())
                            .unwrap_or(0),
                        notify_user_ids: users,
                        notify_group_ids: groups,
                        notify_schedule_ids: BTreeSet::new(),
                        notify_outbound_ids: BTreeSet::new(),
                    }
                })
                .collect();
            let description = text(p, "description");
            observed.escalation_policies.push(ObservedPolicy {
                id: live_id("policy", p, "escalation_policy_id"),
                version: version_of(&[p, &json!(by_tier.map(|t| format!("{t:?}")))]),
                name,
                description: (!description.is_empty()).then_some(description),
                repeat: 0,
                steps,
            });
        }
        for i in &integrations {
            let policy = text(i, "escalation_policy");
            let routing_group = routing_names.get(&policy.to_lowercase());
            let mut recipient_group_ids: BTreeSet<String> = BTreeSet::new();
            let mut routed = false;
            for name in i["recipient_groups"].strings() {
                if routing_group == Some(&name.to_lowercase()) {
                    routed = true;
                } else {
                    recipient_group_ids.insert(resolve(&group_ids, &name));
                }
            }
            if !routed {
                // Without its policy's routing group, an alert would page nobody by the policy:
                // a difference the plan shows, and the next apply mends.
                recipient_group_ids.insert(format!("{MISSING}the routing group of `{policy}`"));
            }
            observed.integrations.push(ObservedIntegration {
                id: live_id("integration", i, "inbound_integration_id"),
                version: version_of(&[i]),
                name: text(i, "inbound_integration_name"),
                channel: channel(i),
                template: i["inbound_template_id"]
                    .as_u64()
                    .and_then(mapping::template_slug)
                    .map_or_else(
                        || format!("alertops_template_{}", i["inbound_template_id"]),
                        str::to_owned,
                    ),
                escalation_policy_id: resolve(&policy_ids, &policy),
                recipient_user_ids: i["recipient_users"]
                    .strings()
                    .iter()
                    .map(|n| resolve(&user_ids, n))
                    .collect(),
                recipient_group_ids,
                enabled: i["enabled"] != false,
                templates: Templates::default(),
            });
            names.names.insert(
                live_id("integration", i, "inbound_integration_id"),
                text(i, "inbound_integration_name"),
            );
        }
        *self.live.lock().expect("names lock") = names;
        Ok(observed)
    }

    /// One live object as AlertOps shows it, for `show`.
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Value, ProviderError> {
        let number = number_of(id).map_err(ProviderError::Cannot)?;
        let path = match kind {
            Kind::User => format!("/api/v2/users/{number}"),
            Kind::Group => format!("/api/v2/groups/{number}"),
            Kind::EscalationPolicy => format!("/api/v2/escalation_policies/{number}"),
            Kind::Integration => format!("/api/v2/integrations/inbound/{number}"),
            Kind::Schedule | Kind::Outbound => {
                return Err(ProviderError::Cannot(format!(
                    "alertform does not manage AlertOps {}",
                    kind.plural()
                )));
            }
        };
        let read = |e| self.explain(e, &format!("read {}", kind.plural()));
        Ok(self.http.get_or(&path, read).await?.body)
    }

    /// Carries out one change: a create, a full-body update of the object as read with alertform's
    /// fields replaced, or a delete.
    pub async fn execute(&self, change: &Change, run: &Run) -> Result<Value, String> {
        let kind = change.kind();
        let collection = match kind {
            Kind::User => ("users", "user", "user_id", "user_name"),
            Kind::Group => ("groups", "group", "group_id", "group_name"),
            Kind::EscalationPolicy => (
                "escalation_policies",
                "policy",
                "escalation_policy_id",
                "escalation_policy_name",
            ),
            Kind::Integration => (
                "integrations/inbound",
                "integration",
                "inbound_integration_id",
                "inbound_integration_name",
            ),
            Kind::Schedule | Kind::Outbound => {
                return Err(format!(
                    "alertform does not manage AlertOps {}",
                    kind.plural()
                ));
            }
        };
        let (path, prefix, id_field, name_field) = collection;
        let base = format!("/api/v2/{path}");
        let action = format!("write {}", kind.plural());
        if change.action == Action::Delete {
            let id = change.id.as_deref().ok_or("a delete without an id")?;
            let number = number_of(id)?;
            super::delete_once(&self.http, &format!("{base}/{number}"))
                .await
                .map_err(|e| self.explain(e, &action).to_string())?;
            if kind == Kind::EscalationPolicy {
                self.delete_routing_group(change).await?;
            }
            return Ok(Value::Null);
        }
        let desired = change.desired()?;
        if let Resource::EscalationPolicy(policy) = desired {
            self.write_routing_group(change, policy, run).await?;
        }
        let (written, number) =
            if let (Action::Update, Some(id)) = (change.action, change.id.as_deref()) {
                let number = number_of(id)?;
                let current = self
                    .http
                    .get_or(&format!("{base}/{number}"), |e| {
                        self.explain(e, &action).to_string()
                    })
                    .await?
                    .body;
                let body = self.body(desired, current, run)?;
                let written = self
                    .http
                    .send(
                        Method::PUT,
                        &format!("{base}/{number}"),
                        Some(&body),
                        &[],
                        true,
                    )
                    .await
                    .map_err(|e| self.explain(e, &action).to_string())?
                    .body;
                (written, number)
            } else {
                if change.action == Action::Replace {
                    let number = number_of(change.id.as_deref().ok_or("a replace without an id")?)?;
                    super::delete_once(&self.http, &format!("{base}/{number}"))
                        .await
                        .map_err(|e| self.explain(e, &action).to_string())?;
                }
                let body = self.body(desired, json!({}), run)?;
                let name = text(&body, name_field);
                let written = self
                    .create(
                        &base,
                        path.rsplit('/').next().unwrap_or(path),
                        name_field,
                        &name,
                        &body,
                        &action,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let number = written[id_field].as_u64().unwrap_or(0);
                run.record(&change.address.clone(), format!("{prefix}:{number}"));
                (written, number)
            };
        self.live
            .lock()
            .expect("names lock")
            .names
            .insert(format!("{prefix}:{number}"), text(&written, name_field));
        Ok(written)
    }

    /// POSTs `body`; after a lost answer, the list is searched for an object of that name before
    /// the body is sent again (AlertOps takes no idempotency key).
    async fn create(
        &self,
        base: &str,
        plural: &str,
        name_field: &str,
        name: &str,
        body: &Value,
        action: &str,
    ) -> Result<Value, ProviderError> {
        let key = if plural == "inbound" {
            "inbound_integrations"
        } else {
            plural
        };
        super::Recovering {
            http: &self.http,
            headers: &[],
            explain: |e| self.explain(e, action),
            taken: |e| {
                matches!(e, HttpError::Status { status: StatusCode::BAD_REQUEST, message, .. }
                    if message.contains("already exists"))
            },
        }
        .create(base, body, || async {
            let url = format!("{base}?search={}&limit={PAGE}", percent_encode(name));
            let page = self.http.get_or(&url, |e| self.explain(e, action)).await?;
            Ok(page.body[key]
                .items()
                .find(|o| text(o, name_field).eq_ignore_ascii_case(name))
                .cloned())
        })
        .await
        .map(|(object, _)| object)
    }

    /// The current name of what `address` is (created or renamed earlier in this apply, or live).
    fn name_of(&self, address: &str, ids: &BTreeMap<String, String>) -> Result<String, String> {
        let id = ids
            .get(address)
            .ok_or_else(|| format!("`{address}` has no id: it was not created"))?;
        self.live
            .lock()
            .expect("names lock")
            .names
            .get(id)
            .cloned()
            .ok_or_else(|| format!("`{address}` has no name AlertOps knows"))
    }

    /// The body to send: `current` (the object as read, or `{}` for a create) with alertform's
    /// fields replaced; every other field goes back as it came.
    fn body(&self, resource: &Resource, mut current: Value, run: &Run) -> Result<Value, String> {
        let ids = run.ids().clone();
        match resource {
            Resource::User(u) => {
                let (first, last) = mapping::split_name(&u.name)
                    .ok_or_else(|| format!("`{}` is not a first and a last name", u.name))?;
                current["user_name"] = json!(u.email);
                current["first_name"] = json!(first);
                current["last_name"] = json!(last);
                current["roles"] = json!([mapping::role_name(u.role)]);
                if let Some(zone) = &u.time_zone {
                    current["time_zone"] = json!(mapping::windows_zone(zone).unwrap_or_default());
                }
                let mut methods: Vec<Value> = current["contact_methods"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| {
                        let name = text(m, "contact_method_name");
                        name != "Email-Official" && (name != "SMS-Official" || u.phone.is_none())
                    })
                    .collect();
                methods.push(json!({"contact_method_name": "Email-Official", "email": {"email_address": u.email}, "enabled": true, "sequence": 1}));
                if let Some(phone) = &u.phone {
                    let (code, number) = crate::model::validate::split_phone(phone)
                        .ok_or_else(|| format!("`{phone}` is not an E.164 number"))?;
                    methods.push(json!({"contact_method_name": "SMS-Official", "sms": {"country_code": code.to_string(), "phone_number": number}, "enabled": true, "sequence": 2}));
                }
                current["contact_methods"] = json!(methods);
            }
            Resource::Group(g) => {
                current["group_name"] = json!(g.name);
                current["description"] = match &g.description {
                    Some(d) => json!(d.lines().collect::<Vec<_>>()),
                    None => json!([]),
                };
                let mut members = Vec::new();
                for (sequence, address) in in_text_order(&g.members).iter().enumerate() {
                    members.push(member(
                        address,
                        &self.name_of(address, &ids)?,
                        sequence,
                        &["Primary"],
                    ));
                }
                current["members"] = json!(members);
                if current.get("dynamic").is_none_or(Value::is_null) {
                    current["dynamic"] = json!(false);
                }
            }
            Resource::EscalationPolicy(p) => {
                current["escalation_policy_name"] = json!(p.name);
                current["description"] = json!(p.description);
                let live_tiers = current["member_roles"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let tiers: Vec<Value> = p
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, step)| {
                        let role = TIERS.get(i).copied().unwrap_or("Manager");
                        // A tier's other settings (retries, contact methods) stay as AlertOps has them.
                        let mut tier = live_tiers
                            .iter()
                            .find(|t| text(t, "member_role_type") == role)
                            .cloned()
                            .unwrap_or_else(|| json!({"wait_time_between_members_in_mins": 0, "no_of_retries": 0, "retry_interval": 0, "contact_methods": []}));
                        tier["member_role_type"] = json!(role);
                        tier["role_wait_time_in_mins"] = json!(step.delay_minutes);
                        tier
                    })
                    .collect();
                current["member_roles"] = json!(tiers);
                for (field, default) in [
                    ("enabled", true),
                    ("quick_launch", false),
                    ("notify_using_centralized_settings", false),
                ] {
                    if !current[field].is_boolean() {
                        current[field] = json!(default);
                    }
                }
            }
            Resource::Integration(i) => {
                current["inbound_integration_name"] = json!(i.name);
                current["type"] = json!(mapping::integration_type(i.channel.channel()));
                current["inbound_template_id"] = json!(
                    mapping::template_id(&i.template)
                        .ok_or_else(|| format!("AlertOps has no template for `{}`", i.template))?
                );
                let policy = Address::new(Kind::EscalationPolicy, &i.escalation_policy);
                let policy = self.name_of(&policy.to_string(), &ids)?;
                current["escalation_policy"] = json!(policy);
                let mut users = Vec::new();
                let mut groups = vec![mapping::routing_group_name(&policy)];
                for address in in_text_order(&i.recipients) {
                    let name = self.name_of(&address, &ids)?;
                    if address.starts_with("group.") {
                        groups.push(name);
                    } else {
                        users.push(name);
                    }
                }
                current["recipient_users"] = json!(users);
                current["recipient_groups"] = json!(groups);
                current["enabled"] = json!(i.enabled);
                match &i.channel {
                    ChannelSettings::Email {
                        mailbox: Some(mailbox),
                    } => current["mail_box"] = json!(mailbox),
                    ChannelSettings::Heartbeat { interval_minutes } => {
                        current["heartbeat_settings"]["heartbeat_interval_in_min"] =
                            json!(interval_minutes);
                    }
                    _ => {}
                }
            }
            Resource::Schedule(_) | Resource::Outbound(_) => {}
        }
        Ok(current)
    }

    /// A policy's routing group: made, renamed and given the steps' members with the role of each
    /// step that names them, before the policy is written.
    async fn write_routing_group(
        &self,
        change: &Change,
        desired: &EscalationPolicy,
        run: &Run,
    ) -> Result<(), String> {
        let policy = desired.name.clone();
        let before = self.live_name(change);
        let ids_now = run.ids().clone();
        // Member → the tiers that name it, in step order.
        let mut roles: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
        for (index, step) in desired.steps.iter().enumerate() {
            let tier = TIERS.get(index).copied().unwrap_or("Manager");
            for address in in_text_order(&step.notify) {
                roles.entry(address).or_default().push(tier);
            }
        }
        let mut members = Vec::new();
        for (sequence, (address, tiers)) in roles.iter().enumerate() {
            members.push(member(
                address,
                &self.name_of(address, &ids_now)?,
                sequence,
                tiers,
            ));
        }
        let name = mapping::routing_group_name(&policy);
        let existing = {
            let live = self.live.lock().expect("names lock");
            before
                .as_deref()
                .and_then(|b| live.routing.get(&b.to_lowercase()))
                .or_else(|| live.routing.get(&policy.to_lowercase()))
                .copied()
        };
        let action = "write the routing groups of escalation policies";
        let body = |mut group: Value| {
            group["group_name"] = json!(name);
            group["members"] = json!(members);
            group["attributes"] =
                json!([{"attribute_name": ROUTING_ATTRIBUTE, "attribute_value": policy}]);
            group["description"] = json!([format!(
                "Kept by alertform: who escalation policy `{policy}` pages, by member role. Do not edit."
            )]);
            if group.get("dynamic").is_none_or(Value::is_null) {
                group["dynamic"] = json!(false);
            }
            group
        };
        let number = if let Some(number) = existing {
            let path = format!("/api/v2/groups/{number}");
            let current = self
                .http
                .get_or(&path, |e| self.explain(e, action).to_string())
                .await?
                .body;
            self.http
                .send(Method::PUT, &path, Some(&body(current)), &[], true)
                .await
                .map_err(|e| self.explain(e, action).to_string())?;
            number
        } else {
            let created = self
                .create(
                    "/api/v2/groups",
                    "groups",
                    "group_name",
                    &name,
                    &body(json!({})),
                    action,
                )
                .await
                .map_err(|e| e.to_string())?;
            created["group_id"].as_u64().unwrap_or(0)
        };
        let mut live = self.live.lock().expect("names lock");
        if let Some(old) = &before {
            live.routing.remove(&old.to_lowercase());
        }
        live.routing.insert(policy.to_lowercase(), number);
        Ok(())
    }

    /// The name the live object of `change` has now (before the change is written).
    fn live_name(&self, change: &Change) -> Option<String> {
        let id = change.id.as_deref()?;
        self.live.lock().expect("names lock").names.get(id).cloned()
    }

    async fn delete_routing_group(&self, change: &Change) -> Result<(), String> {
        let Some(name) = self.live_name(change).map(|n| n.to_lowercase()) else {
            return Ok(());
        };
        let number = self.live.lock().expect("names lock").routing.remove(&name);
        if let Some(number) = number {
            super::delete_once(&self.http, &format!("/api/v2/groups/{number}"))
                .await
                .map_err(|e| self.explain(e, "delete routing groups").to_string())?;
        }
        Ok(())
    }
}

/// The members of a routing group holding one tier's role: (user ids, group ids).
type TierMembers = (BTreeSet<String>, BTreeSet<String>);

/// A group member: a user (by `user_name`) or a group (by `group_name`) holding `roles`.
fn member(address: &str, name: &str, sequence: usize, roles: &[&str]) -> Value {
    let member_type = if address.starts_with("group.") {
        "Group"
    } else {
        "User"
    };
    json!({"member_type": member_type, "member": name, "sequence": sequence + 1, "roles": roles})
}

/// The policy a routing group belongs to, if it is one.
fn routing_policy(group: &Value) -> Option<String> {
    group["attributes"]
        .as_array()?
        .iter()
        .find(|a| text(a, "attribute_name") == ROUTING_ATTRIBUTE)
        .map(|a| text(a, "attribute_value"))
}

fn observe_user(u: &Value) -> ObservedUser {
    let methods = u["contact_methods"].as_array().cloned().unwrap_or_default();
    let phone = methods
        .iter()
        .find(|m| text(m, "contact_method_name") == "SMS-Official")
        .and_then(|m| {
            let code: u64 = text(&m["sms"], "country_code").parse().ok()?;
            Some(crate::model::validate::join_phone(
                code,
                &text(&m["sms"], "phone_number"),
            ))
        });
    let zone = text(u, "time_zone");
    ObservedUser {
        id: live_id("user", u, "user_id"),
        version: version_of(&[u]),
        name: format!("{} {}", text(u, "first_name"), text(u, "last_name")),
        email: text(u, "user_name"),
        phone,
        role: mapping::role_of(&u["roles"].strings()),
        time_zone: mapping::iana_zone(&zone).map(str::to_owned),
    }
}

fn channel(i: &Value) -> ChannelSettings {
    match mapping::channel_of(&text(i, "type")) {
        Some(crate::model::Channel::Email) => ChannelSettings::Email {
            mailbox: Some(text(i, "mail_box")).filter(|m| !m.is_empty()),
        },
        Some(crate::model::Channel::Heartbeat) => ChannelSettings::Heartbeat {
            interval_minutes: i["heartbeat_settings"]["heartbeat_interval_in_min"]
                .as_u64()
                .and_then(|m| u16::try_from(m).ok())
                .unwrap_or(0),
        },
        Some(crate::model::Channel::Chat) => ChannelSettings::Chat {
            platform: ChatPlatform::Slack,
            channel: String::new(),
        },
        _ => ChannelSettings::Api,
    }
}

/// The path of every live object, for `dev baseline --mode terraform`: what a provider that keeps
/// ids in a state file GETs on refresh (AlertOps's Terraform provider reads each object by id).
pub fn object_paths(http: &HttpClient) -> super::Call<'_, Result<Vec<String>, HttpError>> {
    Box::pin(async move {
        let mut paths = Vec::new();
        for (path, key, id) in [
            ("/api/v2/users", "users", "user_id"),
            ("/api/v2/groups", "groups", "group_id"),
            (
                "/api/v2/escalation_policies",
                "escalation_policies",
                "escalation_policy_id",
            ),
            (
                "/api/v2/integrations/inbound",
                "inbound_integrations",
                "inbound_integration_id",
            ),
        ] {
            let full = |_: &Value, count: usize| count as u64 == PAGE;
            for object in super::offset_pages(http, (path, key), PAGE, full).await? {
                paths.push(format!("{path}/{}", object[id].as_u64().unwrap_or(0)));
            }
        }
        Ok(paths)
    })
}

/// AlertOps, as the registry knows it.
pub static VENDOR: super::Descriptor = super::Descriptor {
    generate: Ok(super::GenerateProfile {
        org: generated_org,
        schedules: crate::generate::Layers::None("alertform maps no schedules to AlertOps"),
    }),
    terraform_paths: Ok(object_paths),
    ..super::Descriptor::vendor(ProviderName::Alertops, "AlertOps", &CAPABILITIES, |c| {
        std::sync::Arc::new(AlertOpsProvider::new(c.http))
    })
};

super::vendor_client!(AlertOpsProvider);

/// `dev generate`'s shape of an AlertOps org.
const ORG: crate::generate::OrgShape = crate::generate::OrgShape {
    provider: crate::model::ProviderName::Alertops,
    seed: 0xA1E7,
    user: |i| {
        crate::generate::numbered(
            i,
            format!("User {i}"),
            crate::generate::ROLES[i % 5],
            true,
            "America/New_York",
        )
    },
    second_target: crate::model::Kind::Group,
    repeat: |_| 0,
    integration_name: "Integration",
    integrations: &[
        ("api", "custom"),
        ("api", "datadog"),
        ("api", "grafana"),
        ("api", "prometheus_alertmanager"),
        ("email", "custom"),
    ],
    seed_file: |_, _| ("alertops-seed.json", serde_json::json!({})),
};

/// An AlertOps org in the same proportions: users with first and last names, roles, a phone and
/// a Windows-mappable zone, groups of users, policies of 1–3 tiers paging a user and a group,
/// and API and email integrations. No seed is needed (AlertOps makes users through its API).
fn generated_org(objects: usize) -> crate::generate::Generated {
    crate::generate::vendor_org(objects, &ORG)
}
