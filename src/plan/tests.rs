//! Planner cases: matching, renames, replaces, sets vs ordered lists, ignore globs, ordering.

use std::collections::BTreeSet;

use super::plan as make_plan;
use super::*;
use crate::model::{ChannelSettings, Role, Templates};
use crate::observed::{
    ObservedGroup, ObservedIntegration, ObservedOutbound, ObservedPolicy, ObservedStep,
    ObservedUser,
};

use crate::config::from_toml as model;

const ORG: &str = r#"
[user.alice]
name = "Alice"
email = "alice@example.com"

[user.bob]
name = "Bob"
email = "bob@example.com"

[group.sre]
name = "SRE"
members = ["user.alice", "user.bob"]

[escalation_policy.default]
name = "Default"
steps = [{ notify = ["group.sre"] }, { delay_minutes = 10, notify = ["user.alice"] }]

[integration.grafana]
name = "Grafana"
channel = "api"
template = "grafana"
escalation_policy = "default"
"#;

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The live twin of `ORG`.
fn live_org() -> Observed {
    Observed {
        users: vec![
            user("usr_a", "Alice", "alice@example.com"),
            user("usr_b", "Bob", "bob@example.com"),
        ],
        groups: vec![ObservedGroup {
            id: "grp_sre".into(),
            version: 1,
            name: "SRE".into(),
            description: None,
            // Stored in another order than declared: a set, so no diff.
            member_user_ids: ids(&["usr_b", "usr_a"]),
            member_group_ids: BTreeSet::new(),
        }],
        schedules: Vec::new(),
        escalation_policies: vec![ObservedPolicy {
            id: "esc_default".into(),
            version: 1,
            name: "Default".into(),
            description: None,
            repeat: 0,
            steps: vec![
                ObservedStep {
                    delay_minutes: 0,
                    notify_user_ids: BTreeSet::new(),
                    notify_group_ids: ids(&["grp_sre"]),
                    notify_schedule_ids: BTreeSet::new(),
                    notify_outbound_ids: BTreeSet::new(),
                },
                ObservedStep {
                    delay_minutes: 10,
                    notify_user_ids: ids(&["usr_a"]),
                    notify_group_ids: BTreeSet::new(),
                    notify_schedule_ids: BTreeSet::new(),
                    notify_outbound_ids: BTreeSet::new(),
                },
            ],
        }],
        integrations: vec![integration("int_grafana", "Grafana", "grafana")],
        notes: Vec::new(),
        undeletable: std::collections::BTreeMap::new(),
        ..Observed::default()
    }
}

fn user(id: &str, name: &str, email: &str) -> ObservedUser {
    ObservedUser {
        id: id.into(),
        version: 3,
        name: name.into(),
        email: email.into(),
        phone: None,
        role: Role::Responder,
        time_zone: None,
    }
}

fn integration(id: &str, name: &str, template: &str) -> ObservedIntegration {
    ObservedIntegration {
        id: id.into(),
        version: 2,
        name: name.into(),
        channel: ChannelSettings::Api,
        template: template.into(),
        escalation_policy_id: "esc_default".into(),
        recipient_user_ids: BTreeSet::new(),
        recipient_group_ids: BTreeSet::new(),
        enabled: true,
        templates: Templates::default(),
    }
}

fn actions(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{} {}", c.action.symbol(), c.address))
        .collect()
}

fn position(plan: &Plan, address: &str) -> usize {
    plan.changes
        .iter()
        .position(|c| c.address == address)
        .unwrap_or_else(|| panic!("{address} not in plan"))
}

#[test]
fn empty_service_creates_everything_in_dependency_order() {
    let plan = make_plan(&model(ORG), &Observed::default(), &PlanOptions::default()).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "+ user.alice",
            "+ user.bob",
            "+ group.sre",
            "+ escalation_policy.default",
            "+ integration.grafana"
        ]
    );
    assert_eq!(
        plan.summary(),
        Summary {
            create: 5,
            update: 0,
            replace: 0,
            delete: 0
        }
    );
}

#[test]
fn matching_live_state_is_a_no_op() {
    let plan = make_plan(&model(ORG), &live_org(), &PlanOptions::default()).unwrap();
    assert!(plan.is_empty(), "{:#?}", plan.changes);
}

#[test]
fn users_match_by_email_case_insensitively() {
    let mut live = live_org();
    live.users[0].email = "ALICE@Example.com".into();
    let plan = make_plan(&model(ORG), &live, &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["~ user.alice"]);
    assert_eq!(plan.changes[0].changed_fields, ["email"]);
    assert_eq!(plan.changes[0].id.as_deref(), Some("usr_a"));
}

#[test]
fn step_order_is_significant() {
    let mut live = live_org();
    live.escalation_policies[0].steps.reverse();
    let plan = make_plan(&model(ORG), &live, &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["~ escalation_policy.default"]);
    assert_eq!(plan.changes[0].changed_fields, ["steps"]);
}

#[test]
fn renamed_from_renames_in_place() {
    let config = ORG.replace(
        "name = \"Grafana\"",
        "name = \"Grafana (prod)\"\nrenamed_from = [\"Grafana\"]",
    );
    let plan = make_plan(&model(&config), &live_org(), &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["~ integration.grafana"]);
    let change = &plan.changes[0];
    assert_eq!(
        change.id.as_deref(),
        Some("int_grafana"),
        "the live object, key and endpoint survive"
    );
    assert_eq!(change.changed_fields, ["name"]);
    assert!(
        change.reasons[0].contains("renamed from"),
        "{:?}",
        change.reasons
    );
}

#[test]
fn without_renamed_from_a_new_name_is_a_create_and_a_delete() {
    let config = ORG.replace("name = \"Grafana\"", "name = \"Grafana (prod)\"");
    let plan = make_plan(&model(&config), &live_org(), &PlanOptions::default()).unwrap();
    assert_eq!(
        plan.summary(),
        Summary {
            create: 1,
            update: 0,
            replace: 0,
            delete: 1
        }
    );
    assert!(actions(&plan).contains(&"+ integration.grafana".to_owned()));
    assert!(
        actions(&plan)
            .iter()
            .any(|a| a.starts_with("- integration.grafana"))
    );
}

#[test]
fn template_change_is_a_replace_with_a_warning() {
    let config = ORG.replace("template = \"grafana\"", "template = \"datadog\"");
    let plan = make_plan(&model(&config), &live_org(), &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["-/+ integration.grafana"]);
    let change = &plan.changes[0];
    assert!(
        change.reasons[0].contains("`template`"),
        "{:?}",
        change.reasons
    );
    assert!(change.warnings[0].contains("integration key and endpoint URL will change"));
}

#[test]
fn a_create_only_change_on_an_unfinished_object_makes_the_missing_part() {
    let config = ORG.replace("template = \"grafana\"", "template = \"datadog\"");
    let mut live = live_org();
    let id = live.integrations[0].id.clone();
    live.unfinished
        .insert(id, "service `Grafana` has no integration yet".to_owned());
    let plan = make_plan(&model(&config), &live, &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["~ integration.grafana"]);
    let change = &plan.changes[0];
    assert!(
        change.warnings.is_empty(),
        "no live key: {:?}",
        change.warnings
    );
    assert!(
        change
            .reasons
            .iter()
            .any(|r| r.contains("has no integration yet") && r.ends_with("nothing is replaced")),
        "{:?}",
        change.reasons
    );
}

#[test]
fn a_stale_object_that_reads_as_the_config_says_is_written_again_with_the_reason() {
    let mut live = live_org();
    let id = live.integrations[0].id.clone();
    live.stale.insert(
        id,
        "held in a form the vendor pages wrongly from".to_owned(),
    );
    let plan = make_plan(&model(ORG), &live, &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["~ integration.grafana"]);
    assert_eq!(
        plan.changes[0].reasons,
        ["held in a form the vendor pages wrongly from"]
    );
    assert!(plan.changes[0].changed_fields.is_empty());
}

#[test]
fn prevent_destroy_refuses_a_replace() {
    let config = ORG.replace(
        "template = \"grafana\"",
        "template = \"datadog\"\nprevent_destroy = true",
    );
    let errors = make_plan(&model(&config), &live_org(), &PlanOptions::default()).unwrap_err();
    assert_eq!(
        errors,
        [PlanError::PreventDestroy {
            address: "integration.grafana".into(),
            action: Action::Replace
        }]
    );
}

#[test]
fn undeclared_objects_are_deleted_after_what_references_them_changes() {
    // Bob leaves the config: the group drops him, then he is deleted.
    let config = ORG
        .replace(
            "[user.bob]\nname = \"Bob\"\nemail = \"bob@example.com\"\n",
            "",
        )
        .replace(
            "members = [\"user.alice\", \"user.bob\"]",
            "members = [\"user.alice\"]",
        );
    let plan = make_plan(&model(&config), &live_org(), &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["~ group.sre", "- user.bob"]);
    assert!(plan.dependencies.contains(&(0, 1)));
}

#[test]
fn deletes_run_in_reverse_dependency_order() {
    let plan = plan(&Model::default(), &live_org(), &PlanOptions::default()).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "- integration.grafana",
            "- escalation_policy.default",
            "- group.sre",
            "- user.alice",
            "- user.bob"
        ]
    );
}

#[test]
fn ignored_objects_stay_and_pin_what_they_reference() {
    let mut live = live_org();
    live.integrations
        .push(integration("int_legacy", "legacy-nagios", "custom"));
    let config = format!("{ORG}\n[settings]\nignore = [\"integration:legacy-*\"]\n");
    let plan = make_plan(&model(&config), &live, &PlanOptions::default()).unwrap();
    assert!(plan.is_empty(), "{:?}", actions(&plan));

    // Dropping the policy that the ignored integration uses is a plan error naming both.
    let without_policy = format!(
        "{}\n[settings]\nignore = [\"integration:legacy-*\"]\n",
        ORG.split("[escalation_policy.default]").next().unwrap()
    );
    let errors = make_plan(&model(&without_policy), &live, &PlanOptions::default()).unwrap_err();
    assert!(
        errors.contains(&PlanError::ReferencedDelete {
            deleted: "escalation_policy.default".into(),
            referrer: "integration.legacy_nagios".into()
        }),
        "{errors:?}"
    );
}

#[test]
fn an_exact_name_match_wins_over_renamed_from() {
    // Live: "Other" and "Retired". The resource is now called "Other" and was once "Retired":
    // it takes the live "Other" as it is, and "Retired" is deleted.
    let mut live = live_org();
    live.integrations
        .push(integration("int_other", "Other", "grafana"));
    live.integrations[0].name = "Retired".into();
    let config = ORG.replace(
        "name = \"Grafana\"",
        "name = \"Other\"\nrenamed_from = [\"Retired\"]",
    );
    let plan = make_plan(&model(&config), &live, &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["- integration.retired"]);
    assert_eq!(plan.changes[0].id.as_deref(), Some("int_grafana"));
}

#[test]
fn nested_groups_are_created_inner_first() {
    let config = r#"
[user.a]
name = "A"
email = "a@example.com"

[group.outer]
name = "Outer"
members = ["group.inner"]

[group.inner]
name = "Inner"
members = ["user.a"]
"#;
    let plan = make_plan(
        &model(config),
        &Observed::default(),
        &PlanOptions::default(),
    )
    .unwrap();
    assert!(position(&plan, "group.inner") < position(&plan, "group.outer"));
}

#[test]
fn targets_limit_the_plan_to_a_resource_and_its_dependencies() {
    let options = PlanOptions {
        targets: vec![Address::parse("escalation_policy.default").unwrap()],
        ..PlanOptions::default()
    };
    let plan = make_plan(&model(ORG), &Observed::default(), &options).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "+ user.alice",
            "+ user.bob",
            "+ group.sre",
            "+ escalation_policy.default"
        ]
    );
    let unknown = PlanOptions {
        targets: vec![Address::parse("user.nobody").unwrap()],
        ..PlanOptions::default()
    };
    assert_eq!(
        plan_err(&unknown),
        [PlanError::UnknownTarget {
            address: "user.nobody".into()
        }]
    );
}

fn plan_err(options: &PlanOptions) -> Vec<PlanError> {
    make_plan(&model(ORG), &Observed::default(), options).unwrap_err()
}

#[test]
fn generated_mailboxes_are_no_change() {
    let config = format!(
        "{ORG}\n[integration.mail]\nname = \"Mail\"\nchannel = \"email\"\ntemplate = \"custom\"\nescalation_policy = \"default\"\n"
    );
    let mut live = live_org();
    let mut mail = integration("int_mail", "Mail", "custom");
    mail.channel = ChannelSettings::Email {
        mailbox: Some("x1y2@inbound.alertform.local".into()),
    };
    live.integrations.push(mail);
    let plan = make_plan(&model(&config), &live, &PlanOptions::default()).unwrap();
    assert!(plan.is_empty(), "{:?}", actions(&plan));
}

#[test]
fn the_same_inputs_give_the_same_plan() {
    let first = make_plan(&model(ORG), &Observed::default(), &PlanOptions::default()).unwrap();
    for _ in 0..5 {
        assert_eq!(
            make_plan(&model(ORG), &Observed::default(), &PlanOptions::default()).unwrap(),
            first
        );
    }
}

#[test]
fn live_references_to_undeclared_and_unknown_ids_are_shown_and_dropped() {
    // The live group also holds an undeclared user and an id nothing live has: both differ from
    // every declared address, so the group is updated and shows them by their made-up addresses.
    let mut live = live_org();
    live.users
        .push(user("usr_carol", "Carol", "carol@example.com"));
    live.groups[0].member_user_ids = ids(&["usr_a", "usr_b", "usr_carol", "usr_gone"]);
    let plan = make_plan(&model(ORG), &live, &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["~ group.sre", "- user.carol"]);
    let group = &plan.changes[0];
    assert_eq!(group.changed_fields, ["members"]);
    assert_eq!(
        group.before.as_ref().unwrap()["members"],
        serde_json::json!(["(unknown usr_gone)", "user.alice", "user.bob", "user.carol"])
    );
    assert_eq!(
        group.after.as_ref().unwrap()["members"],
        serde_json::json!(["user.alice", "user.bob"])
    );
}

/// Secrets are compared by the service's salted digest, never shown, and a service that shows
/// nothing of one makes it no change (the plan cannot tell, and says so in the attribute).
#[test]
fn secrets_compare_by_digest_and_never_show() {
    use crate::model::{LiveSecret, OutboundTarget, secret_digest};

    let desired = model(
        "[outbound.hook]\nname = \"Hook\"\ntype = \"webhook\"\nurl = \"https://hooks.example.com/secret-a\"\n",
    );
    let live = |url: LiveSecret| Observed {
        outbound: vec![ObservedOutbound {
            id: "out_1".into(),
            version: 1,
            name: "Hook".into(),
            target: OutboundTarget::Webhook { url },
        }],
        ..Observed::default()
    };
    let same = live(LiveSecret::Digest(secret_digest(
        "out_1",
        "https://hooks.example.com/secret-a",
    )));
    assert!(
        make_plan(&desired, &same, &PlanOptions::default())
            .unwrap()
            .is_empty()
    );
    // Another object's digest of the same value differs: the salt is the live id.
    assert_ne!(
        secret_digest("out_1", "https://hooks.example.com/secret-a"),
        secret_digest("out_2", "https://hooks.example.com/secret-a")
    );
    let other = live(LiveSecret::Digest(secret_digest(
        "out_1",
        "https://hooks.example.com/secret-b",
    )));
    let plan = make_plan(&desired, &other, &PlanOptions::default()).unwrap();
    assert_eq!(plan.changes.len(), 1);
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.changed_fields, ["url"]);
    assert_eq!(change.before.as_ref().unwrap()["url"], SENSITIVE);
    assert_eq!(change.after.as_ref().unwrap()["url"], SENSITIVE_CHANGED);
    assert_eq!(
        change.secrets.0["url"].expose(),
        "https://hooks.example.com/secret-a"
    );
    let text = serde_json::to_string(&plan.changes).unwrap();
    assert!(
        !text.contains("secret-a") && !text.contains("secret-b"),
        "{text}"
    );
    assert!(!format!("{plan:?}").contains("secret-a"));
    let unknown = live(LiveSecret::Unknown);
    let plan = make_plan(&desired, &unknown, &PlanOptions::default()).unwrap();
    assert!(plan.is_empty());
    assert_eq!(
        plan.notes,
        [
            "`url` of `outbound.hook` is a secret the service does not show, not even as a digest: the plan cannot tell whether it changed"
        ]
    );
    // A create shows the secret as new, not changed.
    let plan = make_plan(&desired, &Observed::default(), &PlanOptions::default()).unwrap();
    assert_eq!(plan.changes[0].after.as_ref().unwrap()["url"], SENSITIVE);
}

/// A replace deletes the live object, so one the service will not delete stops the plan.
#[test]
fn replacing_an_undeletable_object_is_a_plan_error() {
    use crate::model::OutboundTarget;

    let desired = model("[outbound.box]\nname = \"Box\"\ntype = \"slack\"\nchannel = \"#box\"\n");
    let mut observed = Observed {
        outbound: vec![ObservedOutbound {
            id: "out_1".into(),
            version: 1,
            name: "Box".into(),
            target: OutboundTarget::Email {
                address: "box@example.com".into(),
            },
        }],
        ..Observed::default()
    };
    let plan = make_plan(&desired, &observed, &PlanOptions::default()).unwrap();
    assert_eq!(plan.changes[0].action, Action::Replace);
    observed
        .undeletable
        .insert("out_1".into(), "it is marked not deletable".into());
    let errors = make_plan(&desired, &observed, &PlanOptions::default()).unwrap_err();
    assert_eq!(
        errors,
        [PlanError::UndeletableReplace {
            address: "outbound.box".into(),
            why: "it is marked not deletable".into()
        }]
    );
}

/// Where references are names, a rename rewrites the declared objects that name the renamed one
/// (after the rename), and says which ignored ones will name nothing.
#[test]
fn a_rename_rewrites_referrers_by_name_after_it() {
    let renamed = ORG.replace(
        "name = \"SRE\"",
        "name = \"Site Reliability\"\nrenamed_from = [\"SRE\"]",
    ) + "\n[settings]\nignore = [\"integration:Legacy\"]\n";
    let desired = model(&renamed);
    let mut observed = live_org();
    let mut legacy = integration("int_legacy", "Legacy", "custom");
    legacy.recipient_group_ids = ids(&["grp_sre"]);
    observed.integrations.push(legacy);
    let by_name = PlanOptions {
        references_by_name: true,
        ..PlanOptions::default()
    };
    let plan = make_plan(&desired, &observed, &by_name).unwrap();
    assert_eq!(
        actions(&plan),
        ["~ group.sre", "~ escalation_policy.default"],
        "the policy names the group"
    );
    let rewrite = &plan.changes[1];
    assert!(rewrite.changed_fields.is_empty());
    assert_eq!(rewrite.before, rewrite.after);
    assert!(
        rewrite.reasons[0].contains("`group.sre`"),
        "{:?}",
        rewrite.reasons
    );
    assert!(
        plan.dependencies.contains(&(0, 1)),
        "{:?}",
        plan.dependencies
    );
    assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
    assert!(
        plan.notes[0].contains("`integration.legacy`"),
        "{:?}",
        plan.notes
    );
    // Services that reference by id need none of that.
    let plan = make_plan(&desired, &observed, &PlanOptions::default()).unwrap();
    assert_eq!(actions(&plan), ["~ group.sre"]);
    assert!(plan.notes.is_empty());
}
