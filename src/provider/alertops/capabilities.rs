//! What AlertOps's REST API v2 can hold of an alertform config, and what it cannot.

use super::mapping::{TEMPLATES, TIERS, iana_zone, split_name, template_id, windows_zone};
use crate::model::{Kind, Model};
use crate::provider::capabilities::managed::{escalation_policies, groups, integrations, users};
use crate::provider::capabilities::{Capabilities, Findings, UnsupportedField};

const INTEGRATION_FIELDS: &[UnsupportedField] = &[
    UnsupportedField {
        field: "templates.grouping_key",
        why: "AlertOps maps alert fields by path (`api_settings.url_mapping.source_id`), not with a template language",
        hint: "remove `templates`, and set the URL mapping on the integration's page in AlertOps",
    },
    UnsupportedField {
        field: "templates.resolve_signal",
        why: "AlertOps closes alerts by a field rule (`url_mapping.close_alert_when`), not a template",
        hint: "remove `templates`, and set \"close alert when\" in AlertOps",
    },
    UnsupportedField {
        field: "templates.acknowledge_signal",
        why: "AlertOps's URL mapping has no acknowledge rule",
        hint: "remove `templates`: acknowledge in AlertOps",
    },
    UnsupportedField {
        field: "templates.source_link",
        why: "AlertOps maps the link by path (`url_mapping.source_url`), not with a template",
        hint: "remove `templates`, and map the source URL in AlertOps",
    },
    UnsupportedField {
        field: "templates.title",
        why: "AlertOps maps the subject by path (`url_mapping.subject`), not with a template",
        hint: "remove `templates`, and map the subject in AlertOps",
    },
    UnsupportedField {
        field: "templates.message",
        why: "AlertOps maps the text by path (`url_mapping.long_text`), not with a template",
        hint: "remove `templates`, and map the long text in AlertOps",
    },
    UnsupportedField {
        field: "chat_platform",
        why: "AlertOps's chat integrations are set up by installing its Slack or Teams app; the API has no platform or channel field",
        hint: "use `channel = \"api\"` or `\"email\"`, and connect chat in AlertOps",
    },
    UnsupportedField {
        field: "chat_channel",
        why: "AlertOps's chat integrations are set up by installing its Slack or Teams app; the API has no channel field",
        hint: "use `channel = \"api\"` or `\"email\"`, and connect chat in AlertOps",
    },
];

pub const CAPABILITIES: Capabilities = Capabilities {
    kinds: &[
        users("`user_name` (the email), case-insensitively"),
        groups("`group_name`"),
        escalation_policies("`escalation_policy_name`"),
        integrations("`inbound_integration_name`")
            .create_only(&["channel", "template"])
            .unsupported(INTEGRATION_FIELDS),
    ],
    check_values,
    service_defaults: &[(Kind::User, "time_zone"), (Kind::User, "phone")],
    references_by_name: true,
    ..Capabilities::DEFAULT
};

fn check_values(model: &Model, found: &mut Findings) {
    for (key, user) in &model.users {
        if split_name(&user.name).is_none() {
            found.add(
                Kind::User,
                key,
                "name",
                format!(
                    "AlertOps needs a first and a last name, and `{}` is one word",
                    user.name
                ),
                "write the name as first and last name, e.g. `Alice Ng`",
            );
        }
        if let Some(zone) = &user.time_zone {
            match windows_zone(zone).and_then(iana_zone) {
                Some(back) if back == zone => {}
                Some(back) => found.add(
                    Kind::User,
                    key,
                    "time_zone",
                    format!(
                        "AlertOps stores Windows time zones: `{zone}` is stored as `{}`, which reads back as `{back}`",
                        windows_zone(zone).unwrap_or_default()
                    ),
                    format!("write `time_zone = \"{back}\"` (the same clock)"),
                ),
                None => found.add(
                    Kind::User,
                    key,
                    "time_zone",
                    format!("`{zone}` has no Windows time zone, and AlertOps stores only those"),
                    "use the IANA name of a zone Windows has, such as `America/New_York`",
                ),
            }
        }
    }
    let gallery: Vec<&str> = TEMPLATES.iter().map(|(slug, _)| *slug).collect();
    let unknown = |i: &&crate::model::Integration| template_id(&i.template).is_none();
    for (key, integration) in model.integrations.iter().filter(|(_, i)| unknown(i)) {
        found.add(
            Kind::Integration,
            key,
            "template",
            format!(
                "AlertOps's gallery (as alertform knows its ids) has no template `{}`",
                integration.template
            ),
            format!("use one of: {}", gallery.join(", ")),
        );
    }
    for (key, policy) in &model.escalation_policies {
        if policy.repeat > 0 {
            found.add(
                Kind::EscalationPolicy,
                key,
                "repeat",
                "AlertOps policies do not repeat the whole chain (each tier has its own retries)",
                "remove `repeat`, and set retries on the tiers in AlertOps",
            );
        }
        if policy.steps.len() > TIERS.len() {
            found.add(
                Kind::EscalationPolicy,
                key,
                "steps",
                format!(
                    "AlertOps escalates through {} member roles ({}), so a policy has at most {} steps, not {}",
                    TIERS.len(),
                    TIERS.join(", "),
                    TIERS.len(),
                    policy.steps.len()
                ),
                "merge steps, or split the policy",
            );
        }
        for (index, step) in policy.steps.iter().enumerate() {
            for target in &step.notify {
                if matches!(target.kind, Kind::Schedule | Kind::Outbound) {
                    found.add(
                        Kind::EscalationPolicy,
                        key,
                        format!("steps[{index}].notify"),
                        format!(
                            "step {} notifies `{target}`, and AlertOps tiers page group members, not {}",
                            index + 1,
                            target.kind.plural()
                        ),
                        "notify users or groups in this step; a group pages every member, not whoever is on call, so `alertform verify` will show who is paged differently",
                    );
                }
            }
        }
    }
}
