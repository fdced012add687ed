//! Reads and writes live state: the only client-side code that speaks HTTP.
//!
//! The planner sees [`Observed`]: typed objects with references by id and no secrets. Integration
//! keys and endpoint URLs stop here, so nothing downstream can print them.

pub mod http;
pub mod native;

use std::collections::BTreeSet;

use crate::model::{ChannelSettings, Kind, Role, Templates};

/// Everything live, as the planner needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub users: Vec<ObservedUser>,
    pub groups: Vec<ObservedGroup>,
    pub escalation_policies: Vec<ObservedPolicy>,
    pub integrations: Vec<ObservedIntegration>,
}

impl Observed {
    /// Objects of every kind, as (kind, id, version).
    pub fn versions(&self) -> impl Iterator<Item = (Kind, &str, u64)> {
        let users = self
            .users
            .iter()
            .map(|o| (Kind::User, o.id.as_str(), o.version));
        let groups = self
            .groups
            .iter()
            .map(|o| (Kind::Group, o.id.as_str(), o.version));
        let policies = self
            .escalation_policies
            .iter()
            .map(|o| (Kind::EscalationPolicy, o.id.as_str(), o.version));
        let integrations = self
            .integrations
            .iter()
            .map(|o| (Kind::Integration, o.id.as_str(), o.version));
        users.chain(groups).chain(policies).chain(integrations)
    }

    pub fn len(&self) -> usize {
        self.users.len()
            + self.groups.len()
            + self.escalation_policies.len()
            + self.integrations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedUser {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub role: Role,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedGroup {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub description: Option<String>,
    pub member_user_ids: BTreeSet<String>,
    pub member_group_ids: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedPolicy {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub description: Option<String>,
    pub repeat: u8,
    pub steps: Vec<ObservedStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedStep {
    pub delay_minutes: u16,
    pub notify_user_ids: BTreeSet<String>,
    pub notify_group_ids: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedIntegration {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub channel: ChannelSettings,
    pub template: String,
    pub escalation_policy_id: String,
    pub recipient_user_ids: BTreeSet<String>,
    pub recipient_group_ids: BTreeSet<String>,
    pub enabled: bool,
    pub templates: Templates,
}
