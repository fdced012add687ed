//! What Grafana OnCall's public API can hold of an alertform config, and what it cannot.

use super::mapping::{ONCALL_REPEATS, TYPES, oncall_type};
use crate::model::{ChannelSettings, Kind, Model};
use crate::provider::capabilities::managed::{escalation_policies, integrations, schedules};
use crate::provider::capabilities::{Capabilities, Findings, KindSupport, UnsupportedField};

pub const CAPABILITIES: Capabilities = Capabilities {
    kinds: &[
        KindSupport::read_only(Kind::User, "email, case-insensitively; `name` must be the Grafana login (`username`)", "OnCall takes its users from Grafana, and its API cannot create or change them: invite the person to the Grafana org (they appear in OnCall once they sign in, or after the next user sync), and set `name` to their Grafana login").unsupported(&[
                UnsupportedField {
                    field: "phone",
                    why: "OnCall's API neither reads nor writes phone numbers",
                    hint: "remove `phone`: each person verifies their number in the OnCall app",
                },
                UnsupportedField {
                    field: "role",
                    why: "OnCall roles come from the user's Grafana role",
                    hint: "remove `role` and set the role in Grafana's user administration",
                },
                UnsupportedField {
                    field: "time_zone",
                    why: "OnCall's API cannot set a user's time zone",
                    hint: "remove `time_zone`: each person sets it in their Grafana profile",
                },
            ]),
        KindSupport::read_only(Kind::Group, "team name", "groups are OnCall teams, which come from Grafana teams: create the team in Grafana and add its members there (OnCall syncs them); alertform matches teams by name").unsupported(&[UnsupportedField {
                field: "description",
                why: "OnCall teams have no description",
                hint: "remove `description` (keep it as a comment)",
            }]),
        schedules("web schedule name"),
        escalation_policies("escalation chain name").unsupported(&[UnsupportedField {
                field: "description",
                why: "OnCall escalation chains have no description",
                hint: "remove `description` (keep it as a comment)",
            }]),
        integrations("name").create_only(&["channel", "template"]).unsupported(&[UnsupportedField {
                field: "mailbox",
                why: "OnCall generates the address of an inbound email integration",
                hint: "remove `mailbox`; after apply, `alertform show` prints where to send (with --reveal)",
            }]),
    ],
    check_values,
    user_name_is_login: Some("their Grafana login"),
    no_layer_windows: Some((
        "an OnCall rolling shift rotates at each of its occurrences, so a layer restricted to windows cannot keep alertform's turn-by-calendar rotation",
        "`alertform migrate --to grafana_oncall` writes the nearest form and reports the hours of on-call it changes; leaving `restrict` out makes the layer cover every hour, which changes who is paged (`alertform verify` shows whom and when). Or put the windowed cover in OnCall's UI and ignore that schedule here (`settings.ignore`)",
    )),
    no_nested_groups: Some(("OnCall teams do not nest", ", and add them to the Grafana team")),
    ..Capabilities::DEFAULT
};

fn check_values(model: &Model, found: &mut Findings) {
    for (key, policy) in &model.escalation_policies {
        if policy.repeat != 0 && policy.repeat != ONCALL_REPEATS {
            found.add(
                Kind::EscalationPolicy,
                key,
                "repeat",
                format!(
                    "OnCall's repeat step runs a chain again exactly {ONCALL_REPEATS} times, not {}",
                    policy.repeat
                ),
                format!(
                    "set `repeat = {ONCALL_REPEATS}` (or 0 for no repeat); either pages a different number of times than {}, so say so to the people on call",
                    policy.repeat
                ),
            );
        }
        for (index, step) in policy.steps.iter().enumerate().skip(1) {
            let has_users = step.notify.iter().any(|a| a.kind == Kind::User);
            if step.delay_minutes == 0 && !has_users {
                found.add(
                    Kind::EscalationPolicy,
                    key,
                    format!("steps[{index}]"),
                    format!(
                        "step {} notifies only groups, with no delay: in OnCall it would merge into step {index}",
                        index + 1
                    ),
                    format!(
                        "move its groups into step {index}, or give it `delay_minutes` of 1 or more"
                    ),
                );
            }
        }
    }

    for (key, integration) in &model.integrations {
        let channel = integration.channel.channel().as_str();
        match &integration.channel {
            ChannelSettings::Chat { .. } => found.add(
                Kind::Integration,
                key,
                "channel",
                "OnCall has no chat intake: its Slack and Telegram integrations post alerts out, they do not take them in",
                "use `channel = \"api\"` and `template = \"custom\"`, and point the chat tool's outgoing webhook at the integration",
            ),
            ChannelSettings::Heartbeat { .. } => found.add(
                Kind::Integration,
                key,
                "channel",
                "OnCall's public API has no heartbeat integration (heartbeats are set up in OnCall's UI)",
                "use `channel = \"api\"` and have the job post an alert when it fails, or set the heartbeat up in OnCall's UI and ignore it here (`settings.ignore`)",
            ),
            ChannelSettings::Api | ChannelSettings::Email { .. } => {
                if oncall_type(channel, &integration.template).is_none() {
                    let accepted: Vec<&str> = TYPES
                        .iter()
                        .filter(|(c, _, _)| *c == channel)
                        .map(|(_, t, _)| *t)
                        .collect();
                    found.add(
                        Kind::Integration,
                        key,
                        "template",
                        format!(
                            "OnCall has no {channel} integration type for template `{}`",
                            integration.template
                        ),
                        format!(
                            "use `template = \"custom\"` (OnCall's generic webhook) or one of: {}",
                            accepted.join(", ")
                        ),
                    );
                }
            }
        }
        if !integration.recipients.is_empty() {
            found.add(
                Kind::Integration,
                key,
                "recipients",
                "OnCall integrations have no recipients beside their escalation chain",
                format!(
                    "add them to a step of escalation policy `{}` instead",
                    integration.escalation_policy
                ),
            );
        }
        if !integration.enabled {
            found.add(
                Kind::Integration,
                key,
                "enabled",
                "OnCall integrations cannot be disabled through the API",
                "delete the integration instead, or use OnCall's time-boxed maintenance mode in its UI",
            );
        }
    }
}
