//! Desired resources and live objects in one comparable shape, [`Shape`]: borrowed, so comparing
//! an unchanged object allocates next to nothing; only what changes becomes an attribute map for
//! display. References are addresses. Member and recipient lists are sorted (they are sets);
//! steps keep their order.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Value, json};

use super::Attributes;
use crate::model::{
    Address, ChannelSettings, Kind, Lifecycle, LiveSecret, Model, OutboundTarget, Role, Rotation,
    Secret, Templates, Window,
};
use crate::observed::{
    Observed, ObservedGroup, ObservedIntegration, ObservedOutbound, ObservedPolicy,
    ObservedSchedule, ObservedUser,
};

/// A reference as compared: a declared resource (kind and key), or the address shown for
/// anything else (an undeclared live object, or an id nothing live has). The two never spell the
/// same address, so comparing them is comparing their text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref<'a> {
    Declared(Kind, &'a str),
    Other(Cow<'a, str>),
}

impl Ref<'_> {
    /// The same reference, borrowed.
    pub fn borrowed(&self) -> Ref<'_> {
        match self {
            Ref::Declared(kind, key) => Ref::Declared(*kind, key),
            Ref::Other(text) => Ref::Other(Cow::Borrowed(text)),
        }
    }
}

impl fmt::Display for Ref<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ref::Declared(kind, key) => write!(f, "{kind}.{key}"),
            Ref::Other(text) => f.write_str(text),
        }
    }
}

/// A set of references: sorted, without repeats.
fn set<'a>(refs: impl Iterator<Item = Ref<'a>>) -> Vec<Ref<'a>> {
    let mut list: Vec<Ref<'a>> = refs.collect();
    list.sort();
    list.dedup();
    list
}

/// What is compared of a resource, the same for its config and its live object.
#[derive(Debug, PartialEq)]
pub enum Shape<'a> {
    User {
        name: &'a str,
        email: &'a str,
        phone: Option<&'a str>,
        role: Role,
        time_zone: Option<&'a str>,
    },
    Group {
        name: &'a str,
        description: Option<&'a str>,
        members: Vec<Ref<'a>>,
    },
    Schedule {
        name: &'a str,
        time_zone: &'a str,
        layers: Vec<LayerShape<'a>>,
    },
    Policy {
        name: &'a str,
        description: Option<&'a str>,
        repeat: u8,
        /// (delay in minutes, whom to notify)
        steps: Vec<(u16, Vec<Ref<'a>>)>,
    },
    Integration {
        name: &'a str,
        channel: &'a ChannelSettings,
        template: &'a str,
        escalation_policy: Ref<'a>,
        recipients: Vec<Ref<'a>>,
        enabled: bool,
        templates: &'a Templates,
    },
    Outbound {
        name: &'a str,
        target: TargetShape<'a>,
    },
}

/// An outbound target's settings as compared; secrets as [`SecretShape`]s.
#[derive(Debug, PartialEq)]
pub struct TargetShape<'a> {
    pub kind: crate::model::OutboundType,
    pub settings: Vec<(&'static str, Value)>,
    pub secrets: Vec<(&'static str, SecretShape<'a>)>,
}

impl<'a> TargetShape<'a> {
    fn declared(target: &'a OutboundTarget) -> TargetShape<'a> {
        TargetShape {
            kind: target.kind(),
            settings: target.settings(),
            secrets: target
                .secrets()
                .into_iter()
                .map(|(field, secret)| (field, SecretShape::Declared(secret)))
                .collect(),
        }
    }

    fn live(id: &'a str, target: &'a OutboundTarget<LiveSecret>) -> TargetShape<'a> {
        TargetShape {
            kind: target.kind(),
            settings: target.settings(),
            secrets: target
                .secrets()
                .into_iter()
                .map(|(field, secret)| {
                    let shape = match secret {
                        LiveSecret::Digest(digest) => SecretShape::Live { salt: id, digest },
                        LiveSecret::Unknown => SecretShape::Unknown,
                    };
                    (field, shape)
                })
                .collect(),
        }
    }
}

/// A secret as compared: never its value. A declared value equal to the live one (by the
/// service's digest) becomes the live shape, so only a changed secret differs.
#[derive(Debug, PartialEq)]
pub enum SecretShape<'a> {
    Declared(&'a Secret),
    Live {
        salt: &'a str,
        digest: &'a str,
    },
    /// The service shows nothing to compare with: the plan cannot tell whether it changed.
    Unknown,
}

impl SecretShape<'_> {
    /// What plans show and store for it.
    fn shown(&self) -> &'static str {
        match self {
            SecretShape::Declared(_) => SENSITIVE_CHANGED,
            SecretShape::Live { .. } => SENSITIVE,
            SecretShape::Unknown => SENSITIVE_UNKNOWN,
        }
    }
}

/// How a secret is shown: never its value.
pub const SENSITIVE: &str = "(sensitive)";
/// A secret that an update changes (a create shows [`SENSITIVE`]).
pub const SENSITIVE_CHANGED: &str = "(sensitive, changed)";
/// A secret the service shows nothing of, so the plan cannot tell whether it changed.
pub const SENSITIVE_UNKNOWN: &str = "(sensitive, not comparable)";

/// The attributes of a create: its secrets are new, not changed.
pub fn created(mut attributes: Attributes) -> Attributes {
    for value in attributes.values_mut() {
        if value.as_str() == Some(SENSITIVE_CHANGED) {
            *value = json!(SENSITIVE);
        }
    }
    attributes
}

/// A schedule layer as compared: members keep their order (it is the turn order).
#[derive(Debug, PartialEq)]
pub struct LayerShape<'a> {
    pub name: &'a str,
    pub start: jiff::civil::DateTime,
    pub rotation: Rotation,
    pub members: Vec<Ref<'a>>,
    pub restrict: &'a [Window],
}

impl LayerShape<'_> {
    fn value(&self) -> Value {
        let restrict: Vec<Value> = self.restrict.iter().map(Window::to_json).collect();
        json!({
            "name": self.name,
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
            "rotation": self.rotation.to_string(),
            "members": self.members.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "restrict": restrict,
        })
    }
}

impl<'a> Shape<'a> {
    /// The declared resource `kind.key`.
    pub fn desired(model: &'a Model, kind: Kind, key: &str) -> Shape<'a> {
        let declared = |addresses: &'a BTreeSet<Address>| {
            set(addresses.iter().map(|a| Ref::Declared(a.kind, &a.key)))
        };
        match kind {
            Kind::User => {
                let u = &model.users[key];
                Shape::User {
                    name: &u.name,
                    email: &u.email,
                    phone: u.phone.as_deref(),
                    role: u.role,
                    time_zone: u.time_zone.as_deref(),
                }
            }
            Kind::Group => {
                let g = &model.groups[key];
                Shape::Group {
                    name: &g.name,
                    description: g.description.as_deref(),
                    members: declared(&g.members),
                }
            }
            Kind::Schedule => {
                let s = &model.schedules[key];
                Shape::Schedule {
                    name: &s.name,
                    time_zone: &s.time_zone,
                    layers: s
                        .layers
                        .iter()
                        .map(|l| LayerShape {
                            name: &l.name,
                            start: l.start,
                            rotation: l.rotation,
                            members: l
                                .members
                                .iter()
                                .map(|a| Ref::Declared(a.kind, &a.key))
                                .collect(),
                            restrict: &l.restrict,
                        })
                        .collect(),
                }
            }
            Kind::EscalationPolicy => {
                let p = &model.escalation_policies[key];
                Shape::Policy {
                    name: &p.name,
                    description: p.description.as_deref(),
                    repeat: p.repeat,
                    steps: p
                        .steps
                        .iter()
                        .map(|s| (s.delay_minutes, declared(&s.notify)))
                        .collect(),
                }
            }
            Kind::Integration => {
                let i = &model.integrations[key];
                Shape::Integration {
                    name: &i.name,
                    channel: &i.channel,
                    template: &i.template,
                    escalation_policy: Ref::Declared(Kind::EscalationPolicy, &i.escalation_policy),
                    recipients: declared(&i.recipients),
                    enabled: i.enabled,
                    templates: &i.templates,
                }
            }
            Kind::Outbound => {
                let o = &model.outbound[key];
                Shape::Outbound {
                    name: &o.name,
                    target: TargetShape::declared(&o.target),
                }
            }
        }
    }

    /// `self`, desired, with what the service decides filled in from `live`: an email
    /// integration's mailbox is generated when the config leaves it out, and that is no change.
    pub fn computed(mut self, live: &Shape<'a>) -> Self {
        if let (
            Shape::Integration { channel, .. },
            Shape::Integration {
                channel: live_channel,
                ..
            },
        ) = (&mut self, live)
            && matches!(channel, ChannelSettings::Email { mailbox: None })
            && matches!(live_channel, ChannelSettings::Email { .. })
        {
            *channel = live_channel;
        }
        if let (
            Shape::Outbound { target, .. },
            Shape::Outbound {
                target: live_target,
                ..
            },
        ) = (&mut self, live)
        {
            for ((field, secret), (live_field, live_secret)) in
                target.secrets.iter_mut().zip(&live_target.secrets)
            {
                let same = match (&*secret, live_secret) {
                    (SecretShape::Declared(value), SecretShape::Live { salt, digest }) => {
                        value.digest(salt) == *digest
                    }
                    // Nothing to compare with: no change can be seen (the plan says so).
                    (_, SecretShape::Unknown) => true,
                    _ => false,
                };
                if same && field == live_field {
                    *secret = match live_secret {
                        SecretShape::Live { salt, digest } => SecretShape::Live { salt, digest },
                        _ => SecretShape::Unknown,
                    };
                }
            }
        }
        self
    }

    /// `self`, desired, with `fields` the config leaves out taken from `live`: for those, the
    /// provider's service keeps its own value (PagerDuty: a user's time zone and phone).
    pub fn defaulted(mut self, live: &Shape<'a>, fields: &[(Kind, &str)]) -> Self {
        if let (
            Shape::User {
                phone, time_zone, ..
            },
            Shape::User {
                phone: live_phone,
                time_zone: live_zone,
                ..
            },
        ) = (&mut self, live)
        {
            if phone.is_none() && fields.contains(&(Kind::User, "phone")) {
                *phone = *live_phone;
            }
            if time_zone.is_none() && fields.contains(&(Kind::User, "time_zone")) {
                *time_zone = *live_zone;
            }
        }
        self
    }

    /// The attribute map plans show and store.
    pub fn attributes(&self) -> Attributes {
        let mut a = Attributes::new();
        match self {
            Shape::User {
                name,
                email,
                phone,
                role,
                time_zone,
            } => {
                a.insert("name".into(), json!(name));
                a.insert("email".into(), json!(email));
                a.insert("phone".into(), json!(phone));
                a.insert("role".into(), json!(role.as_str()));
                a.insert("time_zone".into(), json!(time_zone));
            }
            Shape::Group {
                name,
                description,
                members,
            } => {
                a.insert("name".into(), json!(name));
                a.insert("description".into(), json!(description));
                a.insert("members".into(), addresses(members));
            }
            Shape::Schedule {
                name,
                time_zone,
                layers,
            } => {
                a.insert("name".into(), json!(name));
                a.insert("time_zone".into(), json!(time_zone));
                let layers: Vec<Value> = layers.iter().map(LayerShape::value).collect();
                a.insert("layers".into(), json!(layers));
            }
            Shape::Policy {
                name,
                description,
                repeat,
                steps,
            } => {
                a.insert("name".into(), json!(name));
                a.insert("description".into(), json!(description));
                a.insert("repeat".into(), json!(repeat));
                let steps: Vec<Value> = steps
                    .iter()
                    .map(|(delay, notify)| {
                        json!({"delay_minutes": delay, "notify": addresses(notify)})
                    })
                    .collect();
                a.insert("steps".into(), json!(steps));
            }
            Shape::Integration {
                name,
                channel,
                template,
                escalation_policy,
                recipients,
                enabled,
                templates: t,
            } => {
                a.insert("name".into(), json!(name));
                channel_settings(&mut a, channel);
                a.insert("template".into(), json!(template));
                a.insert(
                    "escalation_policy".into(),
                    json!(escalation_policy.to_string()),
                );
                a.insert("recipients".into(), addresses(recipients));
                a.insert("enabled".into(), json!(enabled));
                templates(&mut a, t);
            }
            Shape::Outbound { name, target } => {
                a.insert("name".into(), json!(name));
                a.insert("type".into(), json!(target.kind.as_str()));
                for (field, value) in &target.settings {
                    a.insert((*field).to_owned(), value.clone());
                }
                for (field, secret) in &target.secrets {
                    a.insert((*field).to_owned(), json!(secret.shown()));
                }
            }
        }
        a
    }
}

/// References as a sorted list of addresses.
fn addresses(refs: &[Ref<'_>]) -> Value {
    let mut list: Vec<String> = refs.iter().map(ToString::to_string).collect();
    list.sort();
    list.dedup();
    json!(list)
}

/// A live object of any kind.
#[derive(Debug, Clone, Copy)]
pub enum Live<'a> {
    User(&'a ObservedUser),
    Group(&'a ObservedGroup),
    Schedule(&'a ObservedSchedule),
    Policy(&'a ObservedPolicy),
    Integration(&'a ObservedIntegration),
    Outbound(&'a ObservedOutbound),
}

pub fn live_objects(observed: &Observed) -> Vec<Live<'_>> {
    let users = observed.users.iter().map(Live::User);
    let groups = observed.groups.iter().map(Live::Group);
    let schedules = observed.schedules.iter().map(Live::Schedule);
    let policies = observed.escalation_policies.iter().map(Live::Policy);
    let integrations = observed.integrations.iter().map(Live::Integration);
    let outbound = observed.outbound.iter().map(Live::Outbound);
    users
        .chain(groups)
        .chain(schedules)
        .chain(policies)
        .chain(integrations)
        .chain(outbound)
        .collect()
}

fn templates(attributes: &mut Attributes, t: &Templates) {
    for (field, value) in t.set() {
        attributes.insert(format!("templates.{field}"), json!(value));
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

impl<'a> Live<'a> {
    pub fn kind(&self) -> Kind {
        match self {
            Live::User(_) => Kind::User,
            Live::Group(_) => Kind::Group,
            Live::Schedule(_) => Kind::Schedule,
            Live::Policy(_) => Kind::EscalationPolicy,
            Live::Integration(_) => Kind::Integration,
            Live::Outbound(_) => Kind::Outbound,
        }
    }

    pub fn id(&self) -> &'a str {
        match *self {
            Live::User(o) => &o.id,
            Live::Group(o) => &o.id,
            Live::Schedule(o) => &o.id,
            Live::Policy(o) => &o.id,
            Live::Integration(o) => &o.id,
            Live::Outbound(o) => &o.id,
        }
    }

    pub fn version(&self) -> u64 {
        match self {
            Live::User(o) => o.version,
            Live::Group(o) => o.version,
            Live::Schedule(o) => o.version,
            Live::Policy(o) => o.version,
            Live::Integration(o) => o.version,
            Live::Outbound(o) => o.version,
        }
    }

    /// What config is matched by: users' email, everything else's name.
    pub fn identity(&self) -> &'a str {
        match *self {
            Live::User(o) => &o.email,
            _ => self.display_name(),
        }
    }

    pub fn display_name(&self) -> &'a str {
        match *self {
            Live::User(o) => &o.name,
            Live::Group(o) => &o.name,
            Live::Schedule(o) => &o.name,
            Live::Policy(o) => &o.name,
            Live::Integration(o) => &o.name,
            Live::Outbound(o) => &o.name,
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
            Live::Outbound(_) => &["type"],
            _ => &[],
        }
    }

    /// Ids of the objects this one references.
    pub fn references(&self) -> Vec<String> {
        match self {
            Live::User(_) | Live::Outbound(_) => Vec::new(),
            Live::Group(g) => g
                .member_user_ids
                .iter()
                .chain(&g.member_group_ids)
                .cloned()
                .collect(),
            Live::Schedule(s) => s
                .layers
                .iter()
                .flat_map(|l| &l.member_user_ids)
                .cloned()
                .collect(),
            Live::Policy(p) => p
                .steps
                .iter()
                .flat_map(|s| {
                    s.notify_user_ids
                        .iter()
                        .chain(&s.notify_group_ids)
                        .chain(&s.notify_schedule_ids)
                        .chain(&s.notify_outbound_ids)
                })
                .cloned()
                .collect(),
            Live::Integration(i) => std::iter::once(&i.escalation_policy_id)
                .chain(&i.recipient_user_ids)
                .chain(&i.recipient_group_ids)
                .cloned()
                .collect(),
        }
    }

    /// What is compared of this object; `refer` turns an id into a reference.
    pub fn shape<'r>(&self, refer: &dyn Fn(&str) -> Ref<'r>) -> Shape<'r>
    where
        'a: 'r,
    {
        let refs = |ids: &mut dyn Iterator<Item = &'r String>| set(ids.map(|id| refer(id)));
        match *self {
            Live::User(u) => Shape::User {
                name: &u.name,
                email: &u.email,
                phone: u.phone.as_deref(),
                role: u.role,
                time_zone: u.time_zone.as_deref(),
            },
            Live::Group(g) => Shape::Group {
                name: &g.name,
                description: g.description.as_deref(),
                members: refs(&mut g.member_user_ids.iter().chain(&g.member_group_ids)),
            },
            Live::Schedule(s) => Shape::Schedule {
                name: &s.name,
                time_zone: &s.time_zone,
                layers: s
                    .layers
                    .iter()
                    .map(|l| LayerShape {
                        name: &l.name,
                        start: l.start,
                        rotation: l.rotation,
                        members: l.member_user_ids.iter().map(|id| refer(id)).collect(),
                        restrict: &l.restrict,
                    })
                    .collect(),
            },
            Live::Policy(p) => Shape::Policy {
                name: &p.name,
                description: p.description.as_deref(),
                repeat: p.repeat,
                steps: p
                    .steps
                    .iter()
                    .map(|s| {
                        let mut ids = s
                            .notify_user_ids
                            .iter()
                            .chain(&s.notify_group_ids)
                            .chain(&s.notify_schedule_ids)
                            .chain(&s.notify_outbound_ids);
                        (s.delay_minutes, refs(&mut ids))
                    })
                    .collect(),
            },
            Live::Integration(i) => Shape::Integration {
                name: &i.name,
                channel: &i.channel,
                template: &i.template,
                escalation_policy: refer(&i.escalation_policy_id),
                recipients: refs(&mut i.recipient_user_ids.iter().chain(&i.recipient_group_ids)),
                enabled: i.enabled,
                templates: &i.templates,
            },
            Live::Outbound(o) => Shape::Outbound {
                name: &o.name,
                target: TargetShape::live(&o.id, &o.target),
            },
        }
    }
}

/// A declared resource: its kind, key, the text it is matched by, and its lifecycle.
#[derive(Debug, Clone, Copy)]
pub struct DeclaredResource<'a> {
    pub kind: Kind,
    pub key: &'a str,
    pub identity: &'a str,
    pub lifecycle: &'a Lifecycle,
}

impl DeclaredResource<'_> {
    pub fn address(&self) -> Address {
        Address::new(self.kind, self.key)
    }
}

/// Every declared resource, in address order.
pub fn declared_resources<'a>(model: &'a Model) -> Vec<DeclaredResource<'a>> {
    let resource = |kind, key: &'a String, identity: &'a String, lifecycle| DeclaredResource {
        kind,
        key,
        identity,
        lifecycle,
    };
    let users = model
        .users
        .iter()
        .map(|(k, u)| resource(Kind::User, k, &u.email, &u.lifecycle));
    let groups = model
        .groups
        .iter()
        .map(|(k, g)| resource(Kind::Group, k, &g.name, &g.lifecycle));
    let schedules = model
        .schedules
        .iter()
        .map(|(k, s)| resource(Kind::Schedule, k, &s.name, &s.lifecycle));
    let policies = model
        .escalation_policies
        .iter()
        .map(|(k, p)| resource(Kind::EscalationPolicy, k, &p.name, &p.lifecycle));
    let integrations = model
        .integrations
        .iter()
        .map(|(k, i)| resource(Kind::Integration, k, &i.name, &i.lifecycle));
    let outbound = model
        .outbound
        .iter()
        .map(|(k, o)| resource(Kind::Outbound, k, &o.name, &o.lifecycle));
    users
        .chain(groups)
        .chain(schedules)
        .chain(policies)
        .chain(integrations)
        .chain(outbound)
        .collect()
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
            ("steps" | "layers", Value::Array(items)) => {
                for item in items {
                    for field in ["notify", "members"] {
                        if let Some(Value::Array(refs)) = item.get(field) {
                            out.extend(refs.iter().filter_map(Value::as_str).map(str::to_owned));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}
