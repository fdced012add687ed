//! What PagerDuty's REST API can hold of an alertform config, and what it cannot.

use super::mapping::{MAX_TARGETS, MIN_RULE_DELAY, vendor_name};
use crate::model::OfKind;
use crate::model::{ChannelSettings, Kind, Model};
use crate::provider::capabilities::managed::{
    escalation_policies, groups, integrations, schedules, users,
};
use crate::provider::capabilities::{Capabilities, Findings, UnsupportedField};

const TEMPLATE_FIELDS: &[UnsupportedField] = &[
    UnsupportedField {
        field: "mailbox",
        why: "PagerDuty email integration addresses are secrets alertform generates (`<name>@<subdomain>.pagerduty.com`) and keeps out of configs and plans",
        hint: "remove `mailbox`; after apply, `alertform show --reveal` prints where to send",
    },
    UnsupportedField {
        field: "templates.grouping_key",
        why: "PagerDuty's REST API has no integration templates (Event Orchestration rules do this)",
        hint: "remove `templates`, and set up the rule in PagerDuty's Event Orchestration",
    },
    UnsupportedField {
        field: "templates.resolve_signal",
        why: "PagerDuty's REST API has no integration templates (events resolve by `dedup_key`)",
        hint: "remove `templates`: send `event_action: resolve` with the alert's `dedup_key`",
    },
    UnsupportedField {
        field: "templates.acknowledge_signal",
        why: "PagerDuty's REST API has no integration templates (events acknowledge by `dedup_key`)",
        hint: "remove `templates`: send `event_action: acknowledge` with the alert's `dedup_key`",
    },
    UnsupportedField {
        field: "templates.source_link",
        why: "PagerDuty's REST API has no integration templates (Events API v2 takes `links`)",
        hint: "remove `templates` and send the link in the event's `links`",
    },
    UnsupportedField {
        field: "templates.title",
        why: "PagerDuty's REST API has no integration templates (the event's `summary` is the title)",
        hint: "remove `templates` and set the event's `payload.summary`",
    },
    UnsupportedField {
        field: "templates.message",
        why: "PagerDuty's REST API has no integration templates",
        hint: "remove `templates` and send the text in the event's `custom_details`",
    },
];

pub const CAPABILITIES: Capabilities = Capabilities {
    kinds: &[
        users("email, case-insensitively"),
        groups("team name"),
        schedules("schedule name"),
        escalation_policies("escalation policy name"),
        integrations("service name (one service and its integration per alertform integration)")
            .create_only(&["channel", "template"])
            .unsupported(TEMPLATE_FIELDS),
    ],
    check_values,
    service_defaults: SERVICE_DEFAULTS,
    steps_page_groups: false,
    no_nested_groups: Some((
        "PagerDuty teams do not nest (a subteam is not a member)",
        "",
    )),
    ..Capabilities::DEFAULT
};

/// Fields whose absence from a config means "as PagerDuty has it": a user's time zone (null is
/// the account's zone, which the API does not tell apart) and phone (people add and verify
/// their own numbers in PagerDuty).
pub const SERVICE_DEFAULTS: &[(Kind, &str)] = &[(Kind::User, "time_zone"), (Kind::User, "phone")];

fn check_values(model: &Model, found: &mut Findings) {
    for (key, user) in &model.users {
        if let Some(phone) = &user.phone
            && super::mapping::split_phone(phone).is_none()
        {
            found.add(
                Kind::User,
                key,
                "phone",
                format!("`{phone}` cannot be split into a country code and a number"),
                "write the phone in E.164 form, `+` and the country code first",
            );
        }
    }
    for (key, policy) in &model.escalation_policies {
        for (index, step) in policy.steps.iter().enumerate() {
            if index == 0 && step.delay_minutes != 0 {
                found.add(
                    Kind::EscalationPolicy,
                    key,
                    "steps[0].delay_minutes",
                    format!(
                        "PagerDuty notifies a policy's first rule as soon as the incident opens; it cannot wait {} minutes first",
                        step.delay_minutes
                    ),
                    "set the first step's `delay_minutes` to 0 (or leave it out)",
                );
            }
            if index > 0 && step.delay_minutes < MIN_RULE_DELAY {
                found.add(
                    Kind::EscalationPolicy,
                    key,
                    format!("steps[{index}].delay_minutes"),
                    format!(
                        "step {} runs with no wait after step {index}, and PagerDuty escalates after at least {MIN_RULE_DELAY} minute",
                        index + 1
                    ),
                    format!(
                        "merge step {} into step {index}, or give it `delay_minutes` of {MIN_RULE_DELAY} or more",
                        index + 1
                    ),
                );
            }
            let groups: Vec<String> = step.notify.iter().named(Kind::Group);
            if !groups.is_empty() && !model.settings.expand_groups {
                found.add(
                    Kind::EscalationPolicy,
                    key,
                    format!("steps[{index}].notify"),
                    format!(
                        "PagerDuty escalation rules cannot target a team ({})",
                        groups.join(", ")
                    ),
                    "name the users (or a schedule) instead, or set `expand_groups = true` in `settings` to page each group's users (the plan lists them)",
                );
            }
            let targets = expanded_target_count(model, step);
            if targets > MAX_TARGETS {
                found.add(
                    Kind::EscalationPolicy,
                    key,
                    format!("steps[{index}].notify"),
                    format!(
                        "step {} pages {targets} users and schedules, and a PagerDuty rule takes at most {MAX_TARGETS}",
                        index + 1
                    ),
                    "page a schedule, or split the step in two a minute apart",
                );
            }
        }
    }
    for (key, integration) in &model.integrations {
        match &integration.channel {
            ChannelSettings::Chat { .. } => found.add(
                Kind::Integration,
                key,
                "channel",
                "PagerDuty has no chat intake (its Slack and Teams apps send incidents out, and are set up by OAuth in the web app)",
                "use `channel = \"api\"` and `template = \"custom\"` (an Events API v2 integration) and post events from the chat tool",
            ),
            ChannelSettings::Heartbeat { .. } => found.add(
                Kind::Integration,
                key,
                "channel",
                "PagerDuty's REST API has no heartbeat integration",
                "use `channel = \"api\"` and have the job send an event when it fails, or a heartbeat monitor that posts to an Events API v2 integration",
            ),
            ChannelSettings::Email { .. } if integration.template != "custom" => found.add(
                Kind::Integration,
                key,
                "template",
                format!(
                    "alertform makes PagerDuty email integrations as generic email, not `{}`",
                    integration.template
                ),
                "use `template = \"custom\"` for an email integration",
            ),
            ChannelSettings::Api
                if integration.template != "custom"
                    && vendor_name(&integration.template).is_none() =>
            {
                let known: Vec<&str> = super::mapping::VENDORS.iter().map(|(s, _)| *s).collect();
                found.add(
                    Kind::Integration,
                    key,
                    "template",
                    format!(
                        "alertform knows no PagerDuty vendor for template `{}`",
                        integration.template
                    ),
                    format!(
                        "use `template = \"custom\"` (Events API v2) or one of: {}",
                        known.join(", ")
                    ),
                );
            }
            _ => {}
        }
        if !integration.recipients.is_empty() {
            found.add(
                Kind::Integration,
                key,
                "recipients",
                "a PagerDuty service pages only through its escalation policy: it has no other recipients",
                format!(
                    "add them to the first step of escalation policy `{}` instead",
                    integration.escalation_policy
                ),
            );
        }
    }
}

/// The users and schedules a step pages once its groups are expanded.
fn expanded_target_count(model: &Model, step: &crate::model::Step) -> usize {
    let mut targets = std::collections::BTreeSet::new();
    for address in &step.notify {
        if address.kind == Kind::Group {
            targets.extend(model.group_users(&address.key));
        } else {
            targets.insert(address.clone());
        }
    }
    targets.len()
}
