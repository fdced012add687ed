//! Desired resources and live objects in one comparable shape: attribute maps whose references
//! are addresses. Member and recipient lists are sorted (they are sets); steps keep their order.

use serde_json::{Value, json};

use super::Attributes;
use crate::model::{Address, ChannelSettings, Kind, Lifecycle, Model, Templates};
use crate::provider::{Observed, ObservedGroup, ObservedIntegration, ObservedPolicy, ObservedUser};

/// A live object of any kind.
#[derive(Debug, Clone, Copy)]
pub enum Live<'a> {
    User(&'a ObservedUser),
    Group(&'a ObservedGroup),
    Policy(&'a ObservedPolicy),
    Integration(&'a ObservedIntegration),
}

pub fn live_objects(observed: &Observed) -> Vec<Live<'_>> {
    let users = observed.users.iter().map(Live::User);
    let groups = observed.groups.iter().map(Live::Group);
    let policies = observed.escalation_policies.iter().map(Live::Policy);
    let integrations = observed.integrations.iter().map(Live::Integration);
    users
        .chain(groups)
        .chain(policies)
        .chain(integrations)
        .collect()
}

fn sorted(addresses: impl IntoIterator<Item = String>) -> Value {
    let mut list: Vec<String> = addresses.into_iter().collect();
    list.sort();
    list.dedup();
    json!(list)
}

fn templates(attributes: &mut Attributes, t: &Templates) {
    for (field, value) in [
        ("grouping_key", &t.grouping_key),
        ("resolve_signal", &t.resolve_signal),
        ("acknowledge_signal", &t.acknowledge_signal),
        ("source_link", &t.source_link),
        ("title", &t.title),
        ("message", &t.message),
    ] {
        if let Some(value) = value {
            attributes.insert(format!("templates.{field}"), json!(value));
        }
    }
}

fn channel_settings(attributes: &mut Attributes, channel: &ChannelSettings) {
    attributes.insert("channel".to_owned(), json!(channel.channel().as_str()));
    match channel {
        ChannelSettings::Api => {}
        ChannelSettings::Email { mailbox } => {
            attributes.insert("mailbox".to_owned(), json!(mailbox));
        }
        ChannelSettings::Chat { platform, channel } => {
            attributes.insert("chat_platform".to_owned(), json!(platform.as_str()));
            attributes.insert("chat_channel".to_owned(), json!(channel));
        }
        ChannelSettings::Heartbeat { interval_minutes } => {
            attributes.insert("interval_minutes".to_owned(), json!(interval_minutes));
        }
    }
}

impl Live<'_> {
    pub fn kind(&self) -> Kind {
        match self {
            Live::User(_) => Kind::User,
            Live::Group(_) => Kind::Group,
            Live::Policy(_) => Kind::EscalationPolicy,
            Live::Integration(_) => Kind::Integration,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Live::User(o) => &o.id,
            Live::Group(o) => &o.id,
            Live::Policy(o) => &o.id,
            Live::Integration(o) => &o.id,
        }
    }

    pub fn version(&self) -> u64 {
        match self {
            Live::User(o) => o.version,
            Live::Group(o) => o.version,
            Live::Policy(o) => o.version,
            Live::Integration(o) => o.version,
        }
    }

    /// What config is matched by: users' email, everything else's name.
    pub fn identity(&self) -> &str {
        match self {
            Live::User(o) => &o.email,
            _ => self.display_name(),
        }
    }

    pub fn display_name(&self) -> &str {
        match self {
            Live::User(o) => &o.name,
            Live::Group(o) => &o.name,
            Live::Policy(o) => &o.name,
            Live::Integration(o) => &o.name,
        }
    }

    /// The names `settings.ignore` globs are tried on.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Live::User(o) => vec![o.name.as_str(), o.email.as_str()],
            _ => vec![self.display_name()],
        }
    }

    /// Fields that force a replace when they change.
    pub fn create_only_fields(&self) -> &'static [&'static str] {
        match self {
            Live::Integration(_) => &["channel", "template"],
            _ => &[],
        }
    }

    /// Ids of the objects this one references.
    pub fn references(&self) -> Vec<String> {
        match self {
            Live::User(_) => Vec::new(),
            Live::Group(g) => g
                .member_user_ids
                .iter()
                .chain(&g.member_group_ids)
                .cloned()
                .collect(),
            Live::Policy(p) => p
                .steps
                .iter()
                .flat_map(|s| s.notify_user_ids.iter().chain(&s.notify_group_ids))
                .cloned()
                .collect(),
            Live::Integration(i) => std::iter::once(&i.escalation_policy_id)
                .chain(&i.recipient_user_ids)
                .chain(&i.recipient_group_ids)
                .cloned()
                .collect(),
        }
    }

    pub fn attributes(&self, address_of: &dyn Fn(&str) -> String) -> Attributes {
        let mut a = Attributes::new();
        match self {
            Live::User(u) => {
                a.insert("name".into(), json!(u.name));
                a.insert("email".into(), json!(u.email));
                a.insert("phone".into(), json!(u.phone));
                a.insert("role".into(), json!(u.role.as_str()));
                a.insert("time_zone".into(), json!(u.time_zone));
            }
            Live::Group(g) => {
                a.insert("name".into(), json!(g.name));
                a.insert("description".into(), json!(g.description));
                let members = g
                    .member_user_ids
                    .iter()
                    .chain(&g.member_group_ids)
                    .map(|id| address_of(id));
                a.insert("members".into(), sorted(members));
            }
            Live::Policy(p) => {
                a.insert("name".into(), json!(p.name));
                a.insert("description".into(), json!(p.description));
                a.insert("repeat".into(), json!(p.repeat));
                let steps: Vec<Value> = p
                    .steps
                    .iter()
                    .map(|s| {
                        let notify = s
                            .notify_user_ids
                            .iter()
                            .chain(&s.notify_group_ids)
                            .map(|id| address_of(id));
                        json!({"delay_minutes": s.delay_minutes, "notify": sorted(notify)})
                    })
                    .collect();
                a.insert("steps".into(), json!(steps));
            }
            Live::Integration(i) => {
                a.insert("name".into(), json!(i.name));
                channel_settings(&mut a, &i.channel);
                a.insert("template".into(), json!(i.template));
                a.insert(
                    "escalation_policy".into(),
                    json!(address_of(&i.escalation_policy_id)),
                );
                let recipients = i
                    .recipient_user_ids
                    .iter()
                    .chain(&i.recipient_group_ids)
                    .map(|id| address_of(id));
                a.insert("recipients".into(), sorted(recipients));
                a.insert("enabled".into(), json!(i.enabled));
                templates(&mut a, &i.templates);
            }
        }
        a
    }
}

/// Every declared resource with the text it is matched by and its lifecycle, in address order.
pub fn declared_identities(model: &Model) -> Vec<(Address, String, Lifecycle)> {
    let users = model.users.iter().map(|(k, u)| {
        (
            Address::new(Kind::User, k),
            u.email.clone(),
            u.lifecycle.clone(),
        )
    });
    let groups = model.groups.iter().map(|(k, g)| {
        (
            Address::new(Kind::Group, k),
            g.name.clone(),
            g.lifecycle.clone(),
        )
    });
    let policies = model.escalation_policies.iter().map(|(k, p)| {
        (
            Address::new(Kind::EscalationPolicy, k),
            p.name.clone(),
            p.lifecycle.clone(),
        )
    });
    let integrations = model.integrations.iter().map(|(k, i)| {
        (
            Address::new(Kind::Integration, k),
            i.name.clone(),
            i.lifecycle.clone(),
        )
    });
    users
        .chain(groups)
        .chain(policies)
        .chain(integrations)
        .collect()
}

/// The attributes of a declared resource.
pub fn desired_attributes(model: &Model, address: &Address) -> Attributes {
    let mut a = Attributes::new();
    let addresses =
        |set: &std::collections::BTreeSet<Address>| sorted(set.iter().map(ToString::to_string));
    match address.kind {
        Kind::User => {
            let u = &model.users[&address.key];
            a.insert("name".into(), json!(u.name));
            a.insert("email".into(), json!(u.email));
            a.insert("phone".into(), json!(u.phone));
            a.insert("role".into(), json!(u.role.as_str()));
            a.insert("time_zone".into(), json!(u.time_zone));
        }
        Kind::Group => {
            let g = &model.groups[&address.key];
            a.insert("name".into(), json!(g.name));
            a.insert("description".into(), json!(g.description));
            a.insert("members".into(), addresses(&g.members));
        }
        Kind::EscalationPolicy => {
            let p = &model.escalation_policies[&address.key];
            a.insert("name".into(), json!(p.name));
            a.insert("description".into(), json!(p.description));
            a.insert("repeat".into(), json!(p.repeat));
            let steps: Vec<Value> = p
                .steps
                .iter()
                .map(|s| json!({"delay_minutes": s.delay_minutes, "notify": addresses(&s.notify)}))
                .collect();
            a.insert("steps".into(), json!(steps));
        }
        Kind::Integration => {
            let i = &model.integrations[&address.key];
            a.insert("name".into(), json!(i.name));
            channel_settings(&mut a, &i.channel);
            a.insert("template".into(), json!(i.template));
            a.insert(
                "escalation_policy".into(),
                json!(Address::new(Kind::EscalationPolicy, &i.escalation_policy).to_string()),
            );
            a.insert("recipients".into(), addresses(&i.recipients));
            a.insert("enabled".into(), json!(i.enabled));
            templates(&mut a, &i.templates);
        }
    }
    a
}

/// `after` with what the service decides filled in from `before`: an email integration's mailbox
/// is generated when the config leaves it out, and that is no change.
pub fn computed(mut after: Attributes, before: &Attributes) -> Attributes {
    if after.get("mailbox") == Some(&Value::Null)
        && let Some(live) = before.get("mailbox")
    {
        after.insert("mailbox".to_owned(), live.clone());
    }
    after
}

/// The references of a change's `after` attributes, as addresses.
pub fn referenced_addresses(attributes: &Attributes) -> Vec<String> {
    let mut out = Vec::new();
    for (key, value) in attributes {
        match (key.as_str(), value) {
            ("members" | "recipients", Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            ("escalation_policy", Value::String(s)) => out.push(s.clone()),
            ("steps", Value::Array(steps)) => {
                for step in steps {
                    if let Some(Value::Array(items)) = step.get("notify") {
                        out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                }
            }
            _ => {}
        }
    }
    out
}
