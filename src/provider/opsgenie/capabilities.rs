//! What Opsgenie's REST API v2 can hold of an alertform config, and what it cannot.

use super::mapping::{MAX_RESTRICTIONS, integration_type, restriction_count, start_is_exact};
use crate::model::{Channel, ChannelSettings, Kind, Model, Role};
use crate::provider::capabilities::managed::{
    escalation_policies, groups, integrations, schedules, users,
};
use crate::provider::capabilities::{Capabilities, Findings, UnsupportedField};
use crate::schedule::{overlap, week_cover};

const USER_FIELDS: &[UnsupportedField] = &[UnsupportedField {
    field: "phone",
    why: "Opsgenie keeps phone numbers as a user's contact methods, which alertform does not manage yet",
    hint: "remove `phone`, and add the number under the user's contact methods in Opsgenie",
}];

const INTEGRATION_FIELDS: &[UnsupportedField] = &[
    UnsupportedField {
        field: "mailbox",
        why: "Opsgenie makes the address of an email integration itself",
        hint: "remove `mailbox`; after apply, `alertform show --reveal` prints the address",
    },
    UnsupportedField {
        field: "templates.title",
        why: "Opsgenie API integrations take the alert's text from the request, not from templates",
        hint: "remove `templates`, and set `message` and `description` in the alerts the source sends",
    },
    UnsupportedField {
        field: "templates.message",
        why: "Opsgenie API integrations take the alert's text from the request, not from templates",
        hint: "remove `templates`, and set `message` and `description` in the alerts the source sends",
    },
    UnsupportedField {
        field: "templates.grouping_key",
        why: "Opsgenie de-duplicates by the alert's `alias`, which the source sends",
        hint: "remove `templates`, and send an `alias` with each alert",
    },
];

pub const CAPABILITIES: Capabilities = Capabilities {
    kinds: &[
        users("username (the email), case-insensitively")
            .create_only(&["email"])
            .unsupported(USER_FIELDS),
        groups("team name"),
        schedules("schedule name"),
        escalation_policies("escalation name"),
        integrations("integration name")
            .create_only(&["channel", "template"])
            .unsupported(INTEGRATION_FIELDS),
    ],
    check_values,
    service_defaults: &[(Kind::User, "time_zone")],
    overlap: crate::model::Overlap::EveryLayerPages,
    no_nested_groups: Some(("Opsgenie teams hold only users", "")),
    ..Capabilities::DEFAULT
};

fn check_values(model: &Model, found: &mut Findings) {
    for (key, user) in &model.users {
        if user.role == Role::IntegrationsAdmin {
            found.add(
                Kind::User,
                key,
                "role",
                "Opsgenie has no integrations-admin role (its roles are owner, admin, user and stakeholder)",
                "set `role` to \"admin\" or \"responder\"",
            );
        }
    }
    for (key, schedule) in &model.schedules {
        let covers: Vec<Vec<(u32, u32)>> = schedule
            .layers
            .iter()
            .map(|l| week_cover(&l.restrict))
            .collect();
        for (index, layer) in schedule.layers.iter().enumerate() {
            if !start_is_exact(layer.start, &schedule.time_zone) {
                found.add(
                    Kind::Schedule,
                    key,
                    format!("layer[{index}].start"),
                    format!(
                        "Opsgenie starts rotations only on the hour or the half hour in UTC, and `{}` in {} is not; it would move the start",
                        layer.start, schedule.time_zone
                    ),
                    "start the layer on a whole or half hour of UTC",
                );
            }
            if restriction_count(&layer.restrict) > MAX_RESTRICTIONS {
                found.add(
                    Kind::Schedule,
                    key,
                    format!("layer[{index}].restrict"),
                    format!(
                        "these windows make {} weekday restrictions, and an Opsgenie rotation holds at most {MAX_RESTRICTIONS}",
                        restriction_count(&layer.restrict)
                    ),
                    "merge windows with the same hours, or split the layer in two",
                );
            }
            if let Some(earlier) = (0..index).find(|&e| overlap(&covers[e], &covers[index])) {
                found.add(
                    Kind::Schedule,
                    key,
                    format!("layer[{index}]"),
                    format!(
                        "layers {} (`{}`) and {} (`{}`) can both have someone on call at once: alertform gives such an hour to the later layer alone, but Opsgenie pages every rotation with someone on call, so both would be paged",
                        earlier + 1,
                        schedule.layers[earlier].name,
                        index + 1,
                        layer.name
                    ),
                    "restrict the layers to hours that do not overlap (the earlier one's `restrict` outside the later one's), or put them in separate schedules",
                );
            }
        }
    }
    for (key, policy) in &model.escalation_policies {
        for (index, step) in policy.steps.iter().enumerate().skip(1) {
            if step.delay_minutes == 0 {
                found.add(
                    Kind::EscalationPolicy,
                    key,
                    format!("steps[{index}].delay_minutes"),
                    format!(
                        "step {} runs with no wait after step {index}; Opsgenie times rules from the alert, so the two would read back as one step",
                        index + 1
                    ),
                    format!(
                        "merge step {} into step {index}, or give it a `delay_minutes` above 0",
                        index + 1
                    ),
                );
            }
        }
    }
    for (key, integration) in &model.integrations {
        match &integration.channel {
            ChannelSettings::Heartbeat { .. } => {
                let name = &integration.name;
                let valid = !name.is_empty()
                    && name.len() <= 40
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
                if !valid {
                    found.add(
                        Kind::Integration,
                        key,
                        "name",
                        format!("an Opsgenie heartbeat is named by `{name}`, and its name is at most 40 letters, digits, `.`, `_` and `-` (it tags the heartbeat's alerts)"),
                        format!("name it `{}`", name.chars().filter(|c| !c.is_whitespace()).map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).take(40).collect::<String>()),
                    );
                }
                if integration.template != super::mapping::HEARTBEAT_TEMPLATE {
                    found.add(
                        Kind::Integration,
                        key,
                        "template",
                        format!("an Opsgenie heartbeat has no template `{}`", integration.template),
                        "use template \"custom\"",
                    );
                }
            }
            ChannelSettings::Api | ChannelSettings::Email { .. } => {
                let channel = integration.channel.channel();
                if integration_type(channel, &integration.template).is_none() {
                    found.add(
                        Kind::Integration,
                        key,
                        "template",
                        format!("alertform maps no Opsgenie integration type to a `{channel}` integration with template `{}`", integration.template),
                        if channel == Channel::Email {
                            "use template \"custom\" (Opsgenie's Email integration)"
                        } else {
                            "use template \"custom\" (an API integration), \"grafana\" or \"prometheus_alertmanager\""
                        },
                    );
                }
            }
            other @ ChannelSettings::Chat { .. } => found.add(
                Kind::Integration,
                key,
                "channel",
                format!(
                    "alertform maps only API, email and heartbeat integrations to Opsgenie so far, not `{}` ones",
                    other.channel()
                ),
                "use `channel = \"api\"`, `\"email\"` or `\"heartbeat\"`, or create the integration in Opsgenie's UI and leave it out of this config",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Window;

    #[test]
    fn layers_overlap_where_their_weekly_hours_meet() {
        use crate::model::Day::{Mon, Sat, Sun};
        let all = week_cover(&[]);
        let weekdays = week_cover(&[Window::of(&[Mon], "09:00", "17:00")]);
        assert!(overlap(&all, &weekdays));
        let nights = week_cover(&[Window::of(&[Mon], "17:00", "09:00")]);
        assert!(!overlap(&weekdays, &nights));
        // Sunday night runs into Monday morning.
        let sunday_night = week_cover(&[Window::of(&[Sun], "22:00", "02:00")]);
        let monday_early = week_cover(&[Window::of(&[Mon], "01:00", "03:00")]);
        assert!(overlap(&sunday_night, &monday_early));
        assert!(!overlap(
            &sunday_night,
            &week_cover(&[Window::of(&[Sat], "09:00", "10:00")])
        ));
    }
}
