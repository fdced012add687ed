//! AlertOps's words for alertform's, both ways; pure. AlertOps names users by `user_name` (the
//! email here), keeps first and last names apart, stores Windows time zone names, splits phone
//! numbers into a country code and the rest, and addresses escalation tiers by member role.

use crate::model::{Channel, Role};

/// The member roles of a group, in the order AlertOps escalates through them: an alertform
/// policy's step `i` is tier `i`, which pages the members holding `TIERS[i]`.
pub const TIERS: [&str; 3] = ["Primary", "Secondary", "Manager"];

/// The attribute that marks a group alertform keeps for a policy's routing (see the provider).
pub const ROUTING_ATTRIBUTE: &str = "alertform_escalation_policy";

/// The name of the routing group of the policy called `policy`.
pub fn routing_group_name(policy: &str) -> String {
    format!("{policy} (escalation)")
}

/// Inbound template ids of AlertOps's gallery, by alertform gallery slug. AlertOps's real ids are
/// not public: the emulation's gallery is this table (an assumption the provider doc lists).
pub const TEMPLATES: &[(&str, u32)] = &[
    ("custom", 1),
    ("grafana", 2),
    ("prometheus_alertmanager", 3),
    ("datadog", 4),
    ("aws_cloudwatch", 5),
    ("azure_monitor", 6),
    ("google_cloud_monitoring", 7),
    ("new_relic", 8),
    ("sentry", 9),
    ("zabbix", 10),
    ("nagios", 11),
    ("pingdom", 12),
    ("uptime_robot", 13),
    ("elastic", 14),
    ("jira", 15),
    ("slack", 16),
    ("microsoft_teams", 17),
    ("cron_heartbeat", 18),
];

pub fn template_id(slug: &str) -> Option<u32> {
    TEMPLATES
        .iter()
        .find(|(s, _)| *s == slug)
        .map(|(_, id)| *id)
}

pub fn template_slug(id: u64) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(_, i)| u64::from(*i) == id)
        .map(|(s, _)| *s)
}

/// AlertOps's integration `type` of a channel.
pub fn integration_type(channel: Channel) -> &'static str {
    match channel {
        Channel::Api => "API",
        Channel::Email => "Email",
        Channel::Chat => "Chat",
        Channel::Heartbeat => "Heartbeat",
    }
}

pub fn channel_of(kind: &str) -> Option<Channel> {
    Channel::ALL
        .iter()
        .copied()
        .find(|c| integration_type(*c).eq_ignore_ascii_case(kind))
}

/// The AlertOps role of an alertform role. Owner, App Admin and Integrations Admin hold
/// `InboundIntegrations_GlobalAccess`; `Basic` is AlertOps's plain user.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "App Admin",
        Role::IntegrationsAdmin => "Integrations Admin",
        Role::Responder => "Basic",
        Role::Observer => "Stakeholder",
    }
}

/// The alertform role of a user's AlertOps roles: the strongest one it knows.
pub fn role_of(roles: &[String]) -> Role {
    [
        Role::Owner,
        Role::Admin,
        Role::IntegrationsAdmin,
        Role::Responder,
        Role::Observer,
    ]
    .into_iter()
    .find(|role| roles.iter().any(|r| r == role_name(*role)))
    .unwrap_or(Role::Responder)
}

/// A display name as AlertOps's required first and last names: the last word is the last name.
/// `None` for a one-word name (AlertOps wants both).
pub fn split_name(name: &str) -> Option<(&str, &str)> {
    let name = name.trim();
    let (first, last) = name.rsplit_once(' ')?;
    let first = first.trim_end();
    (!first.is_empty() && !last.is_empty()).then_some((first, last))
}

/// The Windows zone AlertOps stores for an IANA zone.
pub fn windows_zone(iana: &str) -> Option<&'static str> {
    let tz: chrono_tz::Tz = iana.parse().ok()?;
    windows_timezones::WindowsTimezone::try_from(tz)
        .ok()
        .map(windows_timezones::WindowsTimezone::name)
}

/// The IANA zone a Windows zone reads back as: CLDR's world-wide default for it.
pub fn iana_zone(windows: &str) -> Option<&'static str> {
    let zone: windows_timezones::WindowsTimezone = windows.parse().ok()?;
    Some(chrono_tz::Tz::from(zone).name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_the_last_word() {
        assert_eq!(split_name("Alice Ng"), Some(("Alice", "Ng")));
        assert_eq!(
            split_name("Mary Ann van Dyke"),
            Some(("Mary Ann van", "Dyke"))
        );
        assert_eq!(split_name("Cher"), None);
    }

    #[test]
    fn time_zones_go_to_windows_and_back() {
        assert_eq!(
            windows_zone("America/Chicago"),
            Some("Central Standard Time")
        );
        assert_eq!(iana_zone("Central Standard Time"), Some("America/Chicago"));
        assert_eq!(
            iana_zone(windows_zone("Europe/Berlin").unwrap()),
            Some("Europe/Berlin")
        );
        // Amsterdam is stored as Berlin's Windows zone, and reads back as Berlin.
        assert_eq!(
            iana_zone(windows_zone("Europe/Amsterdam").unwrap()),
            Some("Europe/Berlin")
        );
        assert_eq!(windows_zone("Not/AZone"), None);
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role_of(&[role_name(*role).to_owned()]), *role);
        }
    }
}
