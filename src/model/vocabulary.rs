//! The closed sets of values the domain knows: kinds, roles, channels, chat platforms.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares a closed set of string values once: the enum, its spellings for configs and the API,
/// and the list diagnostics offer when a value is not one of them.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every spelling, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// The kinds of resource alertform manages.
    Kind {
        User = "user", Group = "group", Schedule = "schedule",
        EscalationPolicy = "escalation_policy", Integration = "integration", Outbound = "outbound",
    }
}

vocabulary! {
    /// The live services alertform can plan against: its own bundled service, or a vendor's API.
    ProviderName {
        Alertform = "alertform",
        GrafanaOncall = "grafana_oncall",
        Pagerduty = "pagerduty",
        Uptinio = "uptinio",
        Alertops = "alertops",
        Opsgenie = "opsgenie",
    }
}

/// Without a setting or a flag, alertform plans against its own service: the first listed.
impl Default for ProviderName {
    fn default() -> Self {
        ProviderName::ALL[0]
    }
}

impl Kind {
    /// How a person would say it in a sentence ("escalation policy").
    pub fn noun(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Schedule => "schedule",
            Kind::EscalationPolicy => "escalation policy",
            Kind::Integration => "integration",
            Kind::Outbound => "outbound target",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Group => "groups",
            Kind::Schedule => "schedules",
            Kind::EscalationPolicy => "escalation policies",
            Kind::Integration => "integrations",
            Kind::Outbound => "outbound targets",
        }
    }
}

vocabulary! {
    /// A day of the week, for schedule restrictions.
    Day {
        Mon = "mon", Tue = "tue", Wed = "wed", Thu = "thu", Fri = "fri", Sat = "sat", Sun = "sun",
    }
}

impl Day {
    pub fn weekday(self) -> jiff::civil::Weekday {
        use jiff::civil::Weekday;
        match self {
            Day::Mon => Weekday::Monday,
            Day::Tue => Weekday::Tuesday,
            Day::Wed => Weekday::Wednesday,
            Day::Thu => Weekday::Thursday,
            Day::Fri => Weekday::Friday,
            Day::Sat => Weekday::Saturday,
            Day::Sun => Weekday::Sunday,
        }
    }

    pub fn of(weekday: jiff::civil::Weekday) -> Day {
        use jiff::civil::Weekday;
        match weekday {
            Weekday::Monday => Day::Mon,
            Weekday::Tuesday => Day::Tue,
            Weekday::Wednesday => Day::Wed,
            Weekday::Thursday => Day::Thu,
            Weekday::Friday => Day::Fri,
            Weekday::Saturday => Day::Sat,
            Weekday::Sunday => Day::Sun,
        }
    }
}

vocabulary! {
    /// What a user may do in the service.
    Role {
        Owner = "owner",
        Admin = "admin",
        IntegrationsAdmin = "integrations_admin",
        Responder = "responder",
        Observer = "observer",
    }
}

vocabulary! {
    /// How alerts reach an inbound integration.
    Channel {
        /// Webhook: the source POSTs JSON to a generated endpoint URL.
        Api = "api",
        /// The source sends mail to a mailbox address.
        Email = "email",
        /// A Slack or Microsoft Teams channel.
        Chat = "chat",
        /// A dead man's switch: missed pings raise an alert.
        Heartbeat = "heartbeat",
    }
}

vocabulary! {
    /// The chat service of a `chat` integration.
    ChatPlatform {
        Slack = "slack",
        Teams = "teams",
    }
}

vocabulary! {
    /// What an outbound target is: where the service sends an alert on its way out.
    OutboundType {
        /// An HTTP POST of the alert to a URL.
        Webhook = "webhook",
        /// Mail to an address.
        Email = "email",
        /// Restart a server over SSH (`sudo reboot`).
        SshRestart = "ssh_restart",
        /// A text message to an E.164 phone number.
        Sms = "sms",
        /// A message in a Slack channel.
        Slack = "slack",
    }
}
