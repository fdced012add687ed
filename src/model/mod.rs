//! The validated desired state: what the config files mean, with every reference resolved.
//!
//! Nothing downstream re-checks raw config; a [`Model`] is only made by `config`, which lowers
//! decoded files into it and reports every problem it finds. It depends on nothing above it.

mod address;
pub mod validate;
mod vocabulary;

use std::collections::{BTreeMap, BTreeSet};

pub use address::{Address, OfKind, is_valid_key, key_from_name};
pub use vocabulary::{Channel, ChatPlatform, Day, Kind, OutboundType, ProviderName, Role};

/// Everything one config declares.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, Group>,
    pub schedules: BTreeMap<String, Schedule>,
    pub escalation_policies: BTreeMap<String, EscalationPolicy>,
    pub integrations: BTreeMap<String, Integration>,
    pub outbound: BTreeMap<String, Outbound>,
    pub settings: Settings,
}

/// `$body` with `$c` bound to `$model`'s collection of `$kind` (`&` or `&mut`): the one place
/// that spells out every kind's collection; each value is [`Declared`].
macro_rules! with_collection {
    ($model:expr, $kind:expr, |$c:ident| $body:expr) => {
        with_collection!(@[] $model, $kind, |$c| $body)
    };
    (mut $model:expr, $kind:expr, |$c:ident| $body:expr) => {
        with_collection!(@[mut] $model, $kind, |$c| $body)
    };
    (@[$($m:tt)?] $model:expr, $kind:expr, |$c:ident| $body:expr) => {
        match $kind {
            Kind::User => {
                let $c = &$($m)? $model.users;
                $body
            }
            Kind::Group => {
                let $c = &$($m)? $model.groups;
                $body
            }
            Kind::Schedule => {
                let $c = &$($m)? $model.schedules;
                $body
            }
            Kind::EscalationPolicy => {
                let $c = &$($m)? $model.escalation_policies;
                $body
            }
            Kind::Integration => {
                let $c = &$($m)? $model.integrations;
                $body
            }
            Kind::Outbound => {
                let $c = &$($m)? $model.outbound;
                $body
            }
        }
    };
}

/// What every declared resource has, whatever its kind.
pub trait Declared {
    fn name(&self) -> &str;
    fn lifecycle(&self) -> &Lifecycle;
    /// A copy, as a resource of any kind.
    fn resource(&self) -> Resource;
}

macro_rules! declared {
    ($($kind:ident),*) => {
        $(impl Declared for $kind {
            fn name(&self) -> &str {
                &self.name
            }

            fn lifecycle(&self) -> &Lifecycle {
                &self.lifecycle
            }

            fn resource(&self) -> Resource {
                Resource::$kind(self.clone())
            }
        })*
    };
}

declared!(
    User,
    Group,
    Schedule,
    EscalationPolicy,
    Integration,
    Outbound
);

impl Model {
    /// The keys of the declared resources of `kind`, in order (counts and addresses follow from
    /// it).
    pub fn keys(&self, kind: Kind) -> Box<dyn Iterator<Item = &String> + '_> {
        with_collection!(self, kind, |c| Box::new(c.keys()))
    }

    /// How many resources of `kind` the model declares.
    pub fn count(&self, kind: Kind) -> usize {
        self.keys(kind).count()
    }

    /// Takes the declared resource `kind.key` out (not what refers to it); whether it was there.
    pub fn remove(&mut self, kind: Kind, key: &str) -> bool {
        with_collection!(mut self, kind, |c| c.remove(key).is_some())
    }

    /// The lifecycle of the declared resource `kind.key`, if there is one.
    pub fn lifecycle(&self, kind: Kind, key: &str) -> Option<&Lifecycle> {
        with_collection!(self, kind, |c| c.get(key).map(Declared::lifecycle))
    }

    /// The name of the declared resource `kind.key`, if there is one (a look-up, not a scan).
    pub fn name(&self, kind: Kind, key: &str) -> Option<&str> {
        with_collection!(self, kind, |c| c.get(key).map(Declared::name))
    }
}

impl Model {
    /// The same model with each outbound target named [`OutboundTarget::identity`], for
    /// services that name them so (Uptinio).
    #[must_use]
    pub fn with_outbound_named_by_settings(&self) -> Model {
        let mut model = self.clone();
        for outbound in model.outbound.values_mut() {
            outbound.name = outbound.target.identity();
        }
        model
    }

    /// Every target of every escalation step, policy by policy, step by step.
    pub fn notified(&self) -> impl Iterator<Item = &Address> {
        self.escalation_policies
            .values()
            .flat_map(|p| &p.steps)
            .flat_map(|s| &s.notify)
    }

    /// The users of group `key`, through nested groups (each group once).
    pub fn group_users(&self, key: &str) -> BTreeSet<Address> {
        let mut users = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut pending = vec![key.to_owned()];
        while let Some(group) = pending.pop() {
            if !seen.insert(group.clone()) {
                continue;
            }
            for member in self.groups.get(&group).into_iter().flat_map(|g| &g.members) {
                match member.kind {
                    Kind::Group => pending.push(member.key.clone()),
                    _ => {
                        users.insert(member.clone());
                    }
                }
            }
        }
        users
    }

    /// Makes every step that pages a group page the group's users instead (`expand_groups`), and
    /// says what it did: per step, the policy's key, the step's index and each group with the
    /// users it became.
    pub fn expand_group_steps(&mut self) -> Vec<ExpandedStep> {
        let expanded: Vec<(String, usize, BTreeSet<Address>)> = self
            .escalation_policies
            .iter()
            .flat_map(|(key, policy)| {
                policy
                    .steps
                    .iter()
                    .enumerate()
                    .filter(|(_, step)| step.notify.iter().any(|a| a.kind == Kind::Group))
                    .map(move |(index, step)| (key.clone(), index, step.notify.clone()))
            })
            .collect();
        let mut done = Vec::new();
        for (key, index, notify) in expanded {
            let mut targets = BTreeSet::new();
            let mut groups = Vec::new();
            for address in notify {
                if address.kind == Kind::Group {
                    let users = self.group_users(&address.key);
                    targets.extend(users.iter().cloned());
                    groups.push((address, users));
                } else {
                    targets.insert(address);
                }
            }
            if let Some(step) = self
                .escalation_policies
                .get_mut(&key)
                .and_then(|p| p.steps.get_mut(index))
            {
                step.notify = targets;
            }
            done.push(ExpandedStep {
                policy: key,
                index,
                groups,
            });
        }
        done
    }

    /// Every declared address, in kind order.
    pub fn addresses(&self) -> Vec<Address> {
        Kind::ALL
            .iter()
            .flat_map(|&kind| self.keys(kind).map(move |key| Address::new(kind, key)))
            .collect()
    }

    /// `(from, to)`: resource `from` references `to`, so `to` must exist first.
    pub fn references(&self) -> Vec<(Address, Address)> {
        let mut edges = Vec::new();
        for (key, group) in &self.groups {
            let from = Address::new(Kind::Group, key);
            edges.extend(group.members.iter().map(|m| (from.clone(), m.clone())));
        }
        for (key, schedule) in &self.schedules {
            let from = Address::new(Kind::Schedule, key);
            let members: std::collections::BTreeSet<&Address> =
                schedule.layers.iter().flat_map(|l| &l.members).collect();
            edges.extend(members.into_iter().map(|m| (from.clone(), m.clone())));
        }
        for (key, policy) in &self.escalation_policies {
            let from = Address::new(Kind::EscalationPolicy, key);
            let targets: std::collections::BTreeSet<&Address> =
                policy.steps.iter().flat_map(|s| &s.notify).collect();
            edges.extend(targets.into_iter().map(|t| (from.clone(), t.clone())));
        }
        for (key, integration) in &self.integrations {
            let from = Address::new(Kind::Integration, key);
            edges.push((
                from.clone(),
                Address::new(Kind::EscalationPolicy, &integration.escalation_policy),
            ));
            edges.extend(
                integration
                    .recipients
                    .iter()
                    .map(|r| (from.clone(), r.clone())),
            );
        }
        edges
    }
}

/// A step whose groups [`Model::expand_group_steps`] replaced by their users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandedStep {
    /// The policy's key.
    pub policy: String,
    pub index: usize,
    /// Each group the step paged, and the users it pages now.
    pub groups: Vec<(Address, BTreeSet<Address>)>,
}

/// One declared resource of any kind, owned: what a planned change writes, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    User(User),
    Group(Group),
    Schedule(Schedule),
    EscalationPolicy(EscalationPolicy),
    Integration(Integration),
    Outbound(Outbound),
}

impl Model {
    /// A copy of the declared resource `kind.key`, if there is one.
    pub fn resource(&self, kind: Kind, key: &str) -> Option<Resource> {
        with_collection!(self, kind, |c| c.get(key).map(Declared::resource))
    }
}

/// How plan and apply treat a resource, beyond its attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lifecycle {
    /// Earlier names of the resource, so plan renames in place instead of replacing.
    pub renamed_from: Vec<String>,
    /// Refuse any plan that deletes or replaces the resource.
    pub prevent_destroy: bool,
    /// Lint codes not to report for this resource.
    pub lint_ignore: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub role: Role,
    pub time_zone: Option<String>,
    pub lifecycle: Lifecycle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub description: Option<String>,
    /// Users and groups; a set, since membership has no order.
    pub members: BTreeSet<Address>,
    pub lifecycle: Lifecycle,
}

/// Who is on call when: layers of rotating members, the last layer with someone on call winning.
/// The rotation maths is in [`crate::schedule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub name: String,
    /// An IANA time zone name; layer starts and restrictions are wall-clock times in it.
    pub time_zone: String,
    /// In order: where several have someone on call, the last wins.
    pub layers: Vec<Layer>,
    pub lifecycle: Lifecycle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub name: String,
    /// Wall-clock time in the schedule's zone when turn 0 starts.
    pub start: jiff::civil::DateTime,
    pub rotation: Rotation,
    /// Users, in turn order (a user may take several turns per cycle).
    pub members: Vec<Address>,
    /// When empty, the layer covers all hours.
    pub restrict: Vec<Window>,
}

/// Who a vendor pages where several layers of a schedule have someone on call at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// The layer listed last wins (alertform's own rule, PagerDuty's, and Grafana OnCall's
    /// highest level, since layers are written as levels in order).
    LastLayerWins,
    /// Every layer with someone on call pages (Opsgenie's rotations).
    EveryLayerPages,
}

/// How long a turn lasts: days and weeks are calendar units in the schedule's zone (a handoff
/// keeps its wall-clock time across daylight-saving changes), hours are elapsed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rotation {
    Days(u32),
    Hours(u32),
}

impl Rotation {
    /// `1w`, `2d`, `12h`.
    pub fn parse(text: &str) -> Option<Rotation> {
        let unit = text.chars().last()?;
        let count: u32 = text[..text.len() - unit.len_utf8()].parse().ok()?;
        if count == 0 {
            return None;
        }
        match unit {
            'h' => Some(Rotation::Hours(count)),
            'd' => Some(Rotation::Days(count)),
            'w' => count.checked_mul(7).map(Rotation::Days),
            _ => None,
        }
    }
}

impl std::fmt::Display for Rotation {
    /// Canonical: whole weeks as `Nw`, other days as `Nd`, hours as `Nh`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rotation::Days(d) if d % 7 == 0 => write!(f, "{}w", d / 7),
            Rotation::Days(d) => write!(f, "{d}d"),
            Rotation::Hours(h) => write!(f, "{h}h"),
        }
    }
}

/// A wall-clock window on some days: from `from` to `to`, past midnight when `to` < `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The days a window starts on; all days when the config leaves them out.
    pub days: BTreeSet<Day>,
    pub from: jiff::civil::Time,
    pub to: jiff::civil::Time,
}

impl Window {
    /// A window from its parts spelled as in config (`"09:00"`), for tests.
    #[cfg(test)]
    pub fn of(days: &[Day], from: &str, to: &str) -> Window {
        Window {
            days: days.iter().copied().collect(),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        }
    }

    /// The window as config and the bundled API spell it: `{"days": […], "from": "HH:MM",
    /// "to": "HH:MM"}`.
    pub fn to_json(&self) -> serde_json::Value {
        let days: Vec<&str> = self.days.iter().map(|d| d.as_str()).collect();
        serde_json::json!({
            "days": days,
            "from": self.from.strftime("%H:%M").to_string(),
            "to": self.to.strftime("%H:%M").to_string(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    pub name: String,
    pub description: Option<String>,
    pub repeat: u8,
    /// In order: the order of steps is the order of escalation.
    pub steps: Vec<Step>,
    pub lifecycle: Lifecycle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub delay_minutes: u16,
    pub notify: BTreeSet<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub name: String,
    pub channel: ChannelSettings,
    /// A slug of the service's template gallery; it can only be set on create.
    pub template: String,
    /// Key of an escalation policy.
    pub escalation_policy: String,
    /// Users and groups notified in addition to the policy.
    pub recipients: BTreeSet<Address>,
    pub enabled: bool,
    pub templates: Templates,
    pub lifecycle: Lifecycle,
}

/// The channel and the settings that only it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelSettings {
    Api,
    Email {
        mailbox: Option<String>,
    },
    Chat {
        platform: ChatPlatform,
        channel: String,
    },
    Heartbeat {
        interval_minutes: u16,
    },
}

impl ChannelSettings {
    pub fn channel(&self) -> Channel {
        match self {
            ChannelSettings::Api => Channel::Api,
            ChannelSettings::Email { .. } => Channel::Email,
            ChannelSettings::Chat { .. } => Channel::Chat,
            ChannelSettings::Heartbeat { .. } => Channel::Heartbeat,
        }
    }
}

/// Where the service sends alerts on their way out: a webhook, a mailbox, a server to restart, a
/// phone, a Slack channel. Escalation steps notify them beside people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub name: String,
    pub target: OutboundTarget,
    pub lifecycle: Lifecycle,
}

/// The type of an outbound target and the settings that only it has. `S` is how a secret is
/// held: its value ([`Secret`], declared) or what the service shows of it ([`LiveSecret`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundTarget<S = Secret> {
    /// Chat and incident webhooks carry their token in the URL, so the URL is a secret.
    Webhook {
        url: S,
    },
    Email {
        address: String,
    },
    SshRestart {
        host: String,
        port: u16,
        username: String,
        password: S,
    },
    Sms {
        phone: String,
    },
    Slack {
        channel: String,
    },
}

impl<S> OutboundTarget<S> {
    /// A target of `kind` from its settings as config and the bundled API hold them:
    /// `[address, host, username, phone, channel]` (an absent one is empty), the port (22 when
    /// absent), and its secrets by field (`url`, `password`).
    pub fn from_settings(
        kind: OutboundType,
        [address, host, username, phone, channel]: [&Option<String>; 5],
        port: Option<u16>,
        secret: impl Fn(&str) -> S,
    ) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match kind {
            OutboundType::Webhook => OutboundTarget::Webhook { url: secret("url") },
            OutboundType::Email => OutboundTarget::Email {
                address: text(address),
            },
            OutboundType::SshRestart => OutboundTarget::SshRestart {
                host: text(host),
                port: port.unwrap_or(22),
                username: text(username),
                password: secret("password"),
            },
            OutboundType::Sms => OutboundTarget::Sms { phone: text(phone) },
            OutboundType::Slack => OutboundTarget::Slack {
                channel: text(channel),
            },
        }
    }

    pub fn kind(&self) -> OutboundType {
        match self {
            OutboundTarget::Webhook { .. } => OutboundType::Webhook,
            OutboundTarget::Email { .. } => OutboundType::Email,
            OutboundTarget::SshRestart { .. } => OutboundType::SshRestart,
            OutboundTarget::Sms { .. } => OutboundType::Sms,
            OutboundTarget::Slack { .. } => OutboundType::Slack,
        }
    }

    /// The secret fields, as (field, secret).
    pub fn secrets(&self) -> Vec<(&'static str, &S)> {
        match self {
            OutboundTarget::Webhook { url } => vec![("url", url)],
            OutboundTarget::SshRestart { password, .. } => vec![("password", password)],
            OutboundTarget::Email { .. }
            | OutboundTarget::Sms { .. }
            | OutboundTarget::Slack { .. } => Vec::new(),
        }
    }

    /// The name of a target that a service names after its settings (Uptinio): what it is, not
    /// what it is called. A webhook's URL is a secret, so it is named by a digest of it.
    pub fn identity(&self) -> String
    where
        S: SecretText,
    {
        match self {
            OutboundTarget::Webhook { url } => format!(
                "webhook {}",
                &crate::digest::sha256_hex(url.text().as_bytes())[..16]
            ),
            OutboundTarget::Email { address } => address.clone(),
            OutboundTarget::SshRestart {
                host,
                port,
                username,
                ..
            } => format!("{host}:{port} ({username})"),
            OutboundTarget::Sms { phone } => format!("SMS {phone}"),
            OutboundTarget::Slack { channel } => format!("Slack {channel}"),
        }
    }

    /// The same target with each secret `f` of what it was (a provider turns echoed values into
    /// digests).
    pub fn map_secrets<T>(self, f: impl Fn(S) -> T) -> OutboundTarget<T> {
        match self {
            OutboundTarget::Webhook { url } => OutboundTarget::Webhook { url: f(url) },
            OutboundTarget::Email { address } => OutboundTarget::Email { address },
            OutboundTarget::SshRestart {
                host,
                port,
                username,
                password,
            } => OutboundTarget::SshRestart {
                host,
                port,
                username,
                password: f(password),
            },
            OutboundTarget::Sms { phone } => OutboundTarget::Sms { phone },
            OutboundTarget::Slack { channel } => OutboundTarget::Slack { channel },
        }
    }

    /// The settings that are not secret, as (field, value), in the order configs write them.
    pub fn settings(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            OutboundTarget::Webhook { .. } => Vec::new(),
            OutboundTarget::Email { address } => vec![("address", address.as_str().into())],
            OutboundTarget::SshRestart {
                host,
                port,
                username,
                ..
            } => vec![
                ("host", host.as_str().into()),
                ("port", (*port).into()),
                ("username", username.as_str().into()),
            ],
            OutboundTarget::Sms { phone } => vec![("phone", phone.as_str().into())],
            OutboundTarget::Slack { channel } => vec![("channel", channel.as_str().into())],
        }
    }
}

/// A secret whose text is at hand: a declared one, or one a vendor returned and the provider
/// has not yet reduced to a digest.
pub trait SecretText {
    fn text(&self) -> &str;
}

impl SecretText for Secret {
    fn text(&self) -> &str {
        self.expose()
    }
}

impl SecretText for String {
    fn text(&self) -> &str {
        self
    }
}

/// The environment variable a secret `field` of outbound target `key` is read from when
/// alertform writes one (`export`) or suggests one (`validate`): `OPS_WEBHOOK_URL`. A key that
/// starts with a digit (an Uptinio target named after its host, `10_0_4_12_22_ops`) gets
/// `OUTBOUND_` first, since a shell variable cannot start with one.
pub fn secret_env_name(key: &str, field: &str) -> String {
    let name = format!("{key}_{field}").to_uppercase().replace('-', "_");
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("OUTBOUND_{name}")
    } else {
        name
    }
}

/// What a live service shows of a secret: a digest to compare a declared value with
/// ([`secret_digest`] salted with the live object's id), or nothing to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveSecret {
    Digest(String),
    /// The service neither returns the value nor a digest of it.
    Unknown,
}

/// A value that must never be printed, logged or saved: a password, a URL with a token in it.
/// Its `Debug` says where it came from, never what it is.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
    /// The environment variable it was read from; `None` when written in a file.
    pub env: Option<String>,
}

impl Secret {
    pub fn new(value: String, env: Option<String>) -> Secret {
        Secret { value, env }
    }

    /// The value itself, for the request that sends it and nothing else.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// What a service that keeps only a digest of the secret compares: SHA-256 over the live
    /// object's id and the value, so equal secrets of two objects differ.
    pub fn digest(&self, salt: &str) -> String {
        secret_digest(salt, &self.value)
    }
}

/// [`Secret::digest`] of a value: `sha256:` and the hex of SHA-256 over the salt and the value
/// (each followed by a NUL).
pub fn secret_digest(salt: &str, value: &str) -> String {
    format!(
        "sha256:{}",
        crate::digest::sha256_parts([salt.as_bytes(), value.as_bytes()])
    )
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.env {
            Some(name) => write!(f, "Secret(from ${name})"),
            None => f.write_str("Secret(literal)"),
        }
    }
}

/// Message templates of an integration, in the service's own template language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Templates {
    pub grouping_key: Option<String>,
    pub resolve_signal: Option<String>,
    pub acknowledge_signal: Option<String>,
    pub source_link: Option<String>,
    pub title: Option<String>,
    pub message: Option<String>,
}

impl Templates {
    /// The templates that are set, as (field, template), in field order.
    pub fn set(&self) -> Vec<(&'static str, &str)> {
        [
            ("grouping_key", &self.grouping_key),
            ("resolve_signal", &self.resolve_signal),
            ("acknowledge_signal", &self.acknowledge_signal),
            ("source_link", &self.source_link),
            ("title", &self.title),
            ("message", &self.message),
        ]
        .into_iter()
        .filter_map(|(field, value)| Some((field, value.as_deref()?)))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Live objects to leave alone.
    pub ignore: Vec<IgnoreRule>,
    /// Apply refuses to delete or replace more than this share of a kind's live objects.
    pub max_delete_percent: u8,
    /// The live service the config targets, when it says (`--provider` overrides it).
    pub provider: Option<ProviderName>,
    /// Lint codes not to report anywhere (`settings.lint.disable`).
    pub lint_disable: Vec<String>,
    /// Steps page each named group's users, for providers whose steps cannot page a group.
    pub expand_groups: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            ignore: Vec::new(),
            max_delete_percent: 30,
            provider: None,
            lint_disable: Vec::new(),
            expand_groups: false,
        }
    }
}

/// `kind:glob`: live objects of `kind` whose name matches `glob` are not alertform's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    pub kind: Kind,
    pub glob: String,
}

impl IgnoreRule {
    /// Whether the rule covers a live object of `kind` called `name`.
    pub fn matches(&self, kind: Kind, name: &str) -> bool {
        kind == self.kind
            && globset::Glob::new(&self.glob).is_ok_and(|g| g.compile_matcher().is_match(name))
    }
}
