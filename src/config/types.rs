//! The config file's shape, as decoded: one struct per kind. The same structs generate the JSON
//! Schema editors use (`alertform schema`), so the schema cannot drift from what is accepted.

use std::collections::BTreeMap;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::node::Span;
use super::source::FileId;
use crate::model::{Channel, ChatPlatform, Day, Kind, OutboundType, ProviderName, Role};

/// A value with the place it was written, for diagnostics that come after decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub file: FileId,
    pub span: Span,
}

impl<T> Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// In the schema a spanned value is just the value.
impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// In the schema, a string field also takes `{ env = "NAME" }`: its value is read from that
/// environment variable when the config is loaded (in HCL, `env("NAME")`).
fn or_env(schema: &mut Schema) {
    let mut inner = schema.clone();
    let description = inner.remove("description");
    let mut either = schemars::json_schema!({
        "anyOf": [
            inner,
            {
                "type": "object",
                "properties": {
                    "env": {
                        "type": "string",
                        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                        "description": "The environment variable to read the value from; unset is an error."
                    }
                },
                "required": ["env"],
                "additionalProperties": false
            }
        ]
    });
    if let Some(description) = description {
        either.insert("description".to_owned(), description);
    }
    *schema = either;
}

/// A reference to another resource: `"user.alice"`, `"group.sre"`, or a bare key where only one
/// kind fits. In HCL, a bare traversal: `user.alice`.
pub type Reference = Spanned<String>;

/// An alertform config file (TOML). Tables are keyed by resource key (`[a-z0-9_-]+`); a resource's
/// address is `KIND.KEY`, e.g. `integration.grafana_prod`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "alertform config")]
pub struct ConfigFile {
    pub settings: Option<SettingsConfig>,
    /// People who can be notified.
    #[schemars(default, extend("propertyNames" = {"pattern": "^[a-z0-9_-]+$"}))]
    pub user: BTreeMap<String, UserConfig>,
    /// Sets of users and other groups.
    #[schemars(default, extend("propertyNames" = {"pattern": "^[a-z0-9_-]+$"}))]
    pub group: BTreeMap<String, GroupConfig>,
    /// Who is on call when: layers of rotating users.
    #[schemars(default, extend("propertyNames" = {"pattern": "^[a-z0-9_-]+$"}))]
    pub schedule: BTreeMap<String, ScheduleConfig>,
    /// Who is notified, in which order, with which delays.
    #[schemars(default, extend("propertyNames" = {"pattern": "^[a-z0-9_-]+$"}))]
    pub escalation_policy: BTreeMap<String, EscalationPolicyConfig>,
    /// Inbound integrations: where alerts come in.
    #[schemars(default, extend("propertyNames" = {"pattern": "^[a-z0-9_-]+$"}))]
    pub integration: BTreeMap<String, IntegrationConfig>,
    /// Outbound targets: webhooks, mailboxes, servers to restart, phones and Slack channels that
    /// escalation steps notify.
    #[schemars(default, extend("propertyNames" = {"pattern": "^[a-z0-9_-]+$"}))]
    pub outbound: BTreeMap<String, OutboundConfig>,
}

/// Fields every resource has.
#[derive(Debug, Clone, Default, JsonSchema)]
pub struct LifecycleConfig {
    /// Earlier names of this resource: plan renames the live object in place (keeping its id and
    /// integration key) instead of replacing it.
    #[schemars(default)]
    pub renamed_from: Vec<String>,
    /// Refuse any plan that would delete or replace this resource.
    #[schemars(default)]
    pub prevent_destroy: bool,
    /// `alertform lint` codes not to report for this resource, e.g. `["L005"]`.
    #[schemars(default)]
    pub lint_ignore: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct UserConfig {
    /// Display name.
    #[schemars(transform = or_env)]
    pub name: Spanned<String>,
    /// Unique, case-insensitively; live users are matched by it.
    #[schemars(email)]
    #[schemars(transform = or_env)]
    pub email: Spanned<String>,
    /// E.164, e.g. `+14155550100`.
    #[schemars(regex(pattern = r"^\+[1-9][0-9]{7,14}$"))]
    #[schemars(transform = or_env)]
    pub phone: Option<String>,
    /// Defaults to `responder`.
    pub role: Option<Role>,
    /// An IANA time zone name, e.g. `Europe/Berlin`.
    #[schemars(transform = or_env)]
    pub time_zone: Option<String>,
    #[schemars(flatten)]
    pub lifecycle: LifecycleConfig,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GroupConfig {
    /// Unique among groups.
    #[schemars(transform = or_env)]
    pub name: Spanned<String>,
    #[schemars(transform = or_env)]
    pub description: Option<String>,
    /// Users and groups (`"user.alice"`, `"group.sre"`); nested groups are allowed, cycles are not.
    #[schemars(default)]
    pub members: Vec<Reference>,
    #[schemars(flatten)]
    pub lifecycle: LifecycleConfig,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Unique among schedules.
    #[schemars(transform = or_env)]
    pub name: Spanned<String>,
    /// An IANA time zone name, e.g. `Europe/London`: layer starts and restrictions are wall-clock
    /// times in it.
    #[schemars(transform = or_env)]
    pub time_zone: Spanned<String>,
    /// In order; where several layers have someone on call, the one listed last wins.
    #[schemars(length(min = 1))]
    pub layer: Vec<LayerConfig>,
    #[schemars(flatten)]
    pub lifecycle: LifecycleConfig,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LayerConfig {
    #[schemars(transform = or_env)]
    pub name: Spanned<String>,
    /// Wall-clock time in the schedule's zone when the first turn starts: `2026-11-30T09:00:00`.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?$"))]
    #[schemars(transform = or_env)]
    pub start: Spanned<String>,
    /// Length of a turn: `1d`, `2d`, `1w`, `2w` (calendar units: handoffs keep their wall-clock
    /// time across daylight-saving changes), `12h`, `8h` (elapsed hours).
    #[schemars(regex(pattern = "^[1-9][0-9]*[hdw]$"))]
    #[schemars(transform = or_env)]
    pub rotation: Spanned<String>,
    /// Users in turn order (`"user.alice"`); member i is on call for turns k ≡ i (mod n).
    #[schemars(length(min = 1))]
    pub members: Vec<Reference>,
    /// Wall-clock windows the layer is limited to; outside them the layers below show through.
    #[schemars(default)]
    pub restrict: Vec<WindowConfig>,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WindowConfig {
    /// The days a window starts on; every day when left out.
    #[schemars(default)]
    pub days: Vec<Day>,
    /// `HH:MM`.
    #[schemars(regex(pattern = "^[0-9]{2}:[0-9]{2}$"))]
    #[schemars(transform = or_env)]
    pub from: Spanned<String>,
    /// `HH:MM`; earlier than `from` wraps past midnight.
    #[schemars(regex(pattern = "^[0-9]{2}:[0-9]{2}$"))]
    #[schemars(transform = or_env)]
    pub to: Spanned<String>,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EscalationPolicyConfig {
    /// Unique among escalation policies.
    #[schemars(transform = or_env)]
    pub name: Spanned<String>,
    #[schemars(transform = or_env)]
    pub description: Option<String>,
    /// How many times the steps repeat when nobody acknowledges (0–9, default 0).
    #[schemars(range(min = 0, max = 9))]
    pub repeat: Option<u8>,
    /// In order; at least one.
    #[schemars(length(min = 1))]
    pub steps: Vec<StepConfig>,
    #[schemars(flatten)]
    pub lifecycle: LifecycleConfig,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StepConfig {
    /// Minutes after the previous step (0–1440, default 0).
    #[schemars(range(min = 0, max = 1440))]
    pub delay_minutes: Option<u16>,
    /// Users, groups, schedules (whoever is on call) and outbound targets to notify; at least one.
    #[schemars(length(min = 1))]
    pub notify: Vec<Reference>,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IntegrationConfig {
    /// Unique among integrations; live integrations are matched by it.
    #[schemars(transform = or_env)]
    pub name: Spanned<String>,
    /// Set on create only: changing it replaces the integration (and its key).
    pub channel: Channel,
    /// A slug of the service's template gallery (`custom`, `grafana`, ...). Set on create only.
    #[schemars(regex(pattern = "^[a-z0-9_]+$"))]
    pub template: String,
    /// The escalation policy alerts follow: `"sre_default"` or `"escalation_policy.sre_default"`.
    pub escalation_policy: Reference,
    /// Users and groups notified in addition to the policy.
    #[schemars(default)]
    pub recipients: Vec<Reference>,
    /// Defaults to true.
    pub enabled: Option<bool>,
    pub templates: Option<TemplatesConfig>,
    /// `email` channel only: the mailbox address; the service generates one when absent.
    #[schemars(email)]
    #[schemars(transform = or_env)]
    pub mailbox: Option<String>,
    /// `heartbeat` channel only, required there: minutes between expected pings (1–1440).
    #[schemars(range(min = 1, max = 1440))]
    pub interval_minutes: Option<u16>,
    /// `chat` channel only, required there.
    pub chat_platform: Option<ChatPlatform>,
    /// `chat` channel only, required there: the channel name or id.
    #[schemars(transform = or_env)]
    pub chat_channel: Option<String>,
    #[schemars(flatten)]
    pub lifecycle: LifecycleConfig,
}

/// A secret field: written as `{ env = "NAME" }` (HCL: `env("NAME")`) so it never lives in git;
/// a literal value works, and `validate` warns about it.
#[derive(Debug, Clone)]
pub struct SecretConfig {
    pub value: Spanned<String>,
    /// The environment variable it came from.
    pub env: Option<String>,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OutboundConfig {
    /// Unique among outbound targets; live ones are matched by it. Defaults to the key. Uptinio
    /// names targets after their settings, so there it is left out.
    #[schemars(transform = or_env)]
    pub name: Option<Spanned<String>>,
    /// Set on create only: changing it replaces the target.
    #[schemars(rename = "type")]
    pub kind: OutboundType,
    /// `webhook` only, required there: where the alert is sent (HTTP POST). A secret (chat webhook URLs
    /// carry a token): write `{ env = "NAME" }`.
    #[schemars(with = "Option<String>", transform = or_env)]
    pub url: Option<SecretConfig>,
    /// `email` only, required there.
    #[schemars(email, transform = or_env)]
    pub address: Option<String>,
    /// `ssh_restart` only, required there: the server's IP address or host name.
    #[schemars(transform = or_env)]
    pub host: Option<String>,
    /// `ssh_restart` only: default 22.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u16>,
    /// `ssh_restart` only, required there.
    #[schemars(transform = or_env)]
    pub username: Option<String>,
    /// `ssh_restart` only, required there. A secret: write `{ env = "NAME" }`.
    #[schemars(with = "Option<String>", transform = or_env)]
    pub password: Option<SecretConfig>,
    /// `sms` only, required there: E.164, e.g. `+14155550100`.
    #[schemars(regex(pattern = r"^\+[1-9][0-9]{7,14}$"), transform = or_env)]
    pub phone: Option<String>,
    /// `slack` only, required there: the channel, e.g. `#alerts`.
    #[schemars(transform = or_env)]
    pub channel: Option<String>,
    #[schemars(flatten)]
    pub lifecycle: LifecycleConfig,
}

/// Message templates in the service's template language.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TemplatesConfig {
    #[schemars(transform = or_env)]
    pub grouping_key: Option<String>,
    #[schemars(transform = or_env)]
    pub resolve_signal: Option<String>,
    #[schemars(transform = or_env)]
    pub acknowledge_signal: Option<String>,
    #[schemars(transform = or_env)]
    pub source_link: Option<String>,
    #[schemars(transform = or_env)]
    pub title: Option<String>,
    #[schemars(transform = or_env)]
    pub message: Option<String>,
}

/// How plan and apply behave for the whole config.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SettingsConfig {
    /// `kind:glob` patterns of live objects (by name) that alertform leaves alone, e.g.
    /// `"integration:legacy-*"`.
    #[schemars(default)]
    pub ignore: Vec<Spanned<String>>,
    /// Apply refuses to delete or replace more than this percentage of a kind's live objects
    /// (kinds with at least 10), unless `--force`. Default 30.
    #[schemars(range(min = 0, max = 100))]
    pub max_delete_percent: Option<u8>,
    /// The live service this config targets: `alertform` (the default, the bundled service),
    /// `grafana_oncall`, `pagerduty`, `alertops` or `uptinio`. `--provider` /
    /// `ALERTFORM_PROVIDER` override it.
    pub provider: Option<ProviderName>,
    /// `alertform lint` for the whole config.
    pub lint: Option<LintConfig>,
    /// For providers whose escalation steps cannot page a group (PagerDuty): page each named
    /// group's users instead, listed in the plan. Default false (such a step is an error).
    pub expand_groups: Option<bool>,
}

#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LintConfig {
    /// Codes not to report anywhere, e.g. `["L005", "L006"]`.
    #[schemars(default)]
    pub disable: Vec<Spanned<String>>,
}

/// One resource as declared, with where.
#[derive(Debug, Clone)]
pub struct Declared {
    pub kind: Kind,
    pub key: Spanned<String>,
    pub config: ResourceConfig,
    /// Every field written in the file, as a path (`phone`, `templates.title`,
    /// `steps[1].delay_minutes`) with the span of its key, so later checks can point at it.
    pub fields: Vec<(String, Span)>,
}

#[derive(Debug, Clone)]
pub enum ResourceConfig {
    User(UserConfig),
    Group(GroupConfig),
    Schedule(ScheduleConfig),
    EscalationPolicy(EscalationPolicyConfig),
    Integration(IntegrationConfig),
    Outbound(OutboundConfig),
}

/// Everything decoded from a config's files, before cross-resource checks.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub resources: Vec<Declared>,
    /// Every `settings` table, with where it starts; more than one is an error.
    pub settings: Vec<(Spanned<()>, SettingsConfig)>,
}
