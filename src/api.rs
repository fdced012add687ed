//! The REST contract of the backing service: request and response bodies, shared by the bundled
//! server and the native provider so the two cannot disagree. Plain data, no HTTP.

/// Sizes the service accepts, checked by the server and, so that `validate` finds them, by the
/// config decoder. Lengths are in characters.
pub mod limits {
    pub const MAX_NAME: usize = 255;
    pub const MAX_DESCRIPTION: usize = 4096;
    /// Templates, and every other string field.
    pub const MAX_TEXT: usize = 65_536;
    /// Ids in one list field.
    pub const MAX_IDS: usize = 1000;
    pub const MAX_STEPS: usize = 50;
}

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{Channel, ChatPlatform, Day, Kind, OutboundType};

/// The roles a user or an API token can have.
pub use crate::model::Role;

/// The collection of a kind in URLs: `/api/v1/<collection>`.
pub fn collection(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "users",
        Kind::Group => "groups",
        Kind::Schedule => "schedules",
        Kind::EscalationPolicy => "escalation_policies",
        Kind::Integration => "integrations",
        Kind::Outbound => "outbound",
    }
}

/// The kind whose collection is `name`, if any.
pub fn kind_of_collection(name: &str) -> Option<Kind> {
    Kind::ALL
        .iter()
        .copied()
        .find(|&kind| collection(kind) == name)
}

/// Every error body: `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    /// `invalid_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `precondition_failed`, `payload_too_large`, `immutable_field`, `not_deletable`,
    /// `rate_limited`, `unavailable`, `method_not_allowed`, `internal`.
    pub code: String,
    pub message: String,
    /// Per-field reasons, when the request named fields that are wrong.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// On `conflict` for a delete: ids of the objects that still reference this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_by: Vec<String>,
}

/// One page of a list: the shape of Grafana `OnCall` lists.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PageOf{T}")]
pub struct Page<T> {
    /// Objects in the whole list (after filters).
    pub count: u64,
    /// Absolute URL of the next page, or null on the last.
    pub next: Option<String>,
    /// Absolute URL of the previous page, or null on the first.
    pub previous: Option<String>,
    pub results: Vec<T>,
    pub current_page_number: u64,
    pub page_size: u64,
    pub total_pages: u64,
}

/// Fields every stored object has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Meta {
    /// Opaque, server-generated, with a kind prefix.
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    /// Starts at 1 and grows with every update; also sent as `ETag`, checked by `If-Match`.
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Unique, case-insensitively.
    pub email: String,
    /// E.164.
    #[serde(default)]
    pub phone: Option<String>,
    /// Default `responder`.
    #[serde(default)]
    pub role: Option<Role>,
    /// IANA time zone name.
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct User {
    #[serde(flatten)]
    pub meta: Meta,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub role: Role,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    /// Unique among groups.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub member_user_ids: Vec<String>,
    /// Nested groups; a membership cycle is refused.
    #[serde(default)]
    pub member_group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Group {
    #[serde(flatten)]
    pub meta: Meta,
    pub name: String,
    pub description: Option<String>,
    pub member_user_ids: Vec<String>,
    pub member_group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// 0–1440.
    #[serde(default)]
    pub delay_minutes: u32,
    #[serde(default)]
    pub notify_user_ids: Vec<String>,
    #[serde(default)]
    pub notify_group_ids: Vec<String>,
    /// Whoever is on call in these schedules when the step runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify_schedule_ids: Vec<String>,
    /// Outbound targets the step sends the alert to (webhooks are delivered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify_outbound_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationPolicyInput {
    /// Unique among escalation policies.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// 0–9.
    #[serde(default)]
    pub repeat: u32,
    /// In order; at least one, each notifying at least one user or group.
    pub steps: Vec<StepBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EscalationPolicy {
    #[serde(flatten)]
    pub meta: Meta,
    pub name: String,
    pub description: Option<String>,
    pub repeat: u32,
    pub steps: Vec<StepBody>,
}

/// A wall-clock window a layer is limited to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    /// The days the window starts on; every day when empty.
    #[serde(default)]
    pub days: Vec<Day>,
    /// `HH:MM`.
    pub from: String,
    /// `HH:MM`; before `from` wraps past midnight.
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerBody {
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Wall-clock time in the schedule's zone, no offset: `2026-11-30T09:00:00`.
    pub start: String,
    /// `8h`, `12h`, `1d`, `2d`, `1w`, `2w`: hours elapsed, days and weeks on the calendar.
    pub rotation: String,
    /// Users in turn order; a user may appear more than once.
    pub member_user_ids: Vec<String>,
    #[serde(default)]
    pub restrict: Vec<WindowBody>,
}

impl LayerBody {
    /// The wall-clock start, rotation and windows, parsed; `None` if any is not (the service
    /// stores only values it has checked).
    pub fn timing(
        &self,
    ) -> Option<(
        jiff::civil::DateTime,
        crate::model::Rotation,
        Vec<crate::model::Window>,
    )> {
        use crate::model::validate::{parse_clock, parse_local_datetime};
        let restrict = self
            .restrict
            .iter()
            .map(|w| {
                Some(crate::model::Window {
                    days: w.days.iter().copied().collect(),
                    from: parse_clock(&w.from)?,
                    to: parse_clock(&w.to)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some((
            parse_local_datetime(&self.start)?,
            crate::model::Rotation::parse(&self.rotation)?,
            restrict,
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// Unique among schedules.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// An IANA time zone name.
    pub time_zone: String,
    /// At least one; where several have someone on call, the last wins.
    pub layers: Vec<LayerBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Schedule {
    #[serde(flatten)]
    pub meta: Meta,
    pub name: String,
    pub time_zone: String,
    pub layers: Vec<LayerBody>,
}

/// Channel-specific settings of an integration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSettings {
    /// `heartbeat` only, required there: 1–1440.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_minutes: Option<u32>,
    /// `chat` only, required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_platform: Option<ChatPlatform>,
    /// `chat` only, required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_channel: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatesBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grouping_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge_signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Create or replace an integration. On PUT, `channel` and `template` may be left out; if given
/// they must equal the stored ones (`immutable_field` otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    /// Unique among integrations.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Create only.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// A gallery slug (`GET /api/v1/templates`) that supports the channel. Create only.
    #[serde(default)]
    pub template: Option<String>,
    pub escalation_policy_id: String,
    #[serde(default)]
    pub recipient_user_ids: Vec<String>,
    #[serde(default)]
    pub recipient_group_ids: Vec<String>,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub settings: IntegrationSettings,
    #[serde(default)]
    pub templates: TemplatesBody,
    /// `email` only: the mailbox address; generated when absent.
    #[serde(default)]
    pub mailbox: Option<String>,
    /// Default true; an integration that is not deletable answers DELETE with `not_deletable`.
    #[serde(default)]
    pub deletable: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Integration {
    #[serde(flatten)]
    pub meta: Meta,
    pub name: String,
    pub channel: Channel,
    pub template: String,
    pub escalation_policy_id: String,
    pub recipient_user_ids: Vec<String>,
    pub recipient_group_ids: Vec<String>,
    pub enabled: bool,
    pub settings: IntegrationSettings,
    pub templates: TemplatesBody,
    /// Secret: whoever has it can raise alerts. `api` and `heartbeat` channels only.
    pub integration_key: Option<String>,
    /// Secret (it embeds the key): where the source system sends alerts or pings.
    pub endpoint_url: Option<String>,
    /// `email` channel only.
    pub mailbox: Option<String>,
    pub editable: bool,
    pub deletable: bool,
}

/// The settings of an outbound target: those of its type, the others absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboundSettings {
    /// `webhook` only, required there. Secret: write-only, never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `email` only, required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `ssh_restart` only, required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `ssh_restart` only: default 22.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `ssh_restart` only, required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `ssh_restart` only, required there. Secret: write-only, never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `sms` only, required there: E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `slack` only, required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// Create or replace an outbound target. On PUT, `type` may be left out (if given it must equal
/// the stored one), and a secret setting left out keeps its stored value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboundInput {
    /// Unique among outbound targets.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Create only.
    #[serde(default, rename = "type")]
    pub kind: Option<OutboundType>,
    #[serde(default)]
    pub settings: OutboundSettings,
    /// Default true; a target that is not editable answers PUT with `not_editable`.
    #[serde(default)]
    pub editable: Option<bool>,
    /// Default true; a target that is not deletable answers DELETE with `not_deletable`.
    #[serde(default)]
    pub deletable: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Outbound {
    #[serde(flatten)]
    pub meta: Meta,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: OutboundType,
    /// The settings without secrets.
    pub settings: OutboundSettings,
    /// Per secret setting, `sha256:` and the hex SHA-256 of the object's id, a NUL, the value and
    /// a NUL: a client holding the value can tell whether it changed; the value is never returned.
    pub secret_digests: BTreeMap<String, String>,
    pub editable: bool,
    pub deletable: bool,
}

/// One attempt to deliver an alert to a webhook target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Delivery {
    pub outbound_id: String,
    pub outbound_name: String,
    /// `pending` (not yet delivered, retrying), `delivered`, or `failed` (attempts used up).
    pub status: String,
    pub attempts: u32,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed, without the URL.
    pub last_error: Option<String>,
    pub updated_at: String,
}

/// One entry of the template gallery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Template {
    pub slug: String,
    pub display_name: String,
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// Unique; `[a-z0-9_-]+`.
    pub name: String,
    pub role: TokenRole,
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenRole {
    /// Everything, including tokens and reset.
    Owner,
    /// All resources.
    Admin,
    /// Integrations only (`AlertOps`' `InboundIntegrations_GlobalAccess`).
    IntegrationsAdmin,
    /// Read only.
    Observer,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Owner => "owner",
            TokenRole::Admin => "admin",
            TokenRole::IntegrationsAdmin => "integrations_admin",
            TokenRole::Observer => "observer",
        }
    }

    pub fn parse(text: &str) -> Option<TokenRole> {
        [
            TokenRole::Owner,
            TokenRole::Admin,
            TokenRole::IntegrationsAdmin,
            TokenRole::Observer,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenInfo {
    pub name: String,
    pub role: TokenRole,
    pub created_at: String,
}

/// The answer to creating a token: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreatedToken {
    pub name: String,
    pub role: TokenRole,
    pub created_at: String,
    pub token: String,
}

/// Who an alert reaches: the policy's steps and the integration's own recipients, with groups
/// expanded to users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Routing {
    pub escalation_policy_id: String,
    pub escalation_policy_name: String,
    pub steps: Vec<RoutedStep>,
    /// The integration's additive recipients, expanded.
    pub recipient_user_ids: Vec<String>,
    /// Everyone the alert would notify, in the order they are first reached.
    pub notified_user_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RoutedStep {
    pub delay_minutes: u32,
    /// Users, groups expanded, and whoever was on call in the step's schedules.
    pub user_ids: Vec<String>,
    /// Per schedule the step names: who was on call when the step ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_call: Vec<OnCallAt>,
    /// Outbound targets the step sends the alert to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbound_ids: Vec<String>,
}

/// Who a schedule had on call at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OnCallAt {
    pub schedule_id: String,
    pub schedule_name: String,
    /// When the step runs: the alert's arrival plus the delays before it (RFC 3339, UTC).
    pub at: String,
    /// Nobody when the schedule had a gap then.
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Alert {
    pub id: String,
    /// `alert` or `heartbeat`.
    pub kind: String,
    pub received_at: String,
    /// The body as sent (null for heartbeats without one).
    pub payload: serde_json::Value,
    /// Routing as it was when the alert arrived.
    pub routing: Routing,
    /// Each webhook the routing reaches, with how its delivery went.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

/// Answer to an accepted alert or heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Accepted {
    pub id: String,
    pub status: String,
    /// Whom the alert reaches, schedules resolved to who is on call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
}
