//! The shipped examples: each validates, is `fmt --check` clean, and every TOML/HCL pair means
//! exactly the same thing.

use alertform::config;
use alertform::model::Model;

use crate::support::{alertform, root, stderr, stdout};

const EXAMPLES: [&str; 17] = [
    "examples/quickstart",
    "examples/quickstart-hcl",
    "examples/multi-team/toml",
    "examples/multi-team/hcl",
    "examples/quickstart-oncall",
    "examples/quickstart-oncall-hcl",
    "examples/multi-team-oncall/toml",
    "examples/multi-team-oncall/hcl",
    "examples/quickstart-pagerduty",
    "examples/quickstart-pagerduty-hcl",
    "examples/multi-team-pagerduty/toml",
    "examples/multi-team-pagerduty/hcl",
    "examples/quickstart-alertops",
    "examples/quickstart-alertops-hcl",
    "examples/multi-team-alertops/toml",
    "examples/quickstart-opsgenie",
    "examples/quickstart-opsgenie-hcl",
];

/// The Opsgenie variants (`settings.provider = "opsgenie"`), seeded with the account's owner.
const OPSGENIE_EXAMPLES: [&str; 2] = [
    "examples/quickstart-opsgenie",
    "examples/quickstart-opsgenie-hcl",
];

/// The AlertOps variants (`settings.provider = "alertops"`): no schedules, `repeat` or templates,
/// at most three steps (AlertOps's member-role tiers), no chat integrations.
const ALERTOPS_EXAMPLES: [&str; 3] = [
    "examples/quickstart-alertops",
    "examples/quickstart-alertops-hcl",
    "examples/multi-team-alertops/toml",
];

/// The PagerDuty variants (`settings.provider = "pagerduty"`).
const PAGERDUTY_EXAMPLES: [&str; 4] = [
    "examples/quickstart-pagerduty",
    "examples/quickstart-pagerduty-hcl",
    "examples/multi-team-pagerduty/toml",
    "examples/multi-team-pagerduty/hcl",
];

/// The Grafana OnCall variants (`settings.provider = "grafana_oncall"`).
const ONCALL_EXAMPLES: [&str; 4] = [
    "examples/quickstart-oncall",
    "examples/quickstart-oncall-hcl",
    "examples/multi-team-oncall/toml",
    "examples/multi-team-oncall/hcl",
];

fn model(path: &str) -> Model {
    match config::load(&root().join(path)) {
        Ok((_, model)) => model,
        Err(invalid) => panic!("{path} is invalid: {:#?}", invalid.problems),
    }
}

#[test]
fn every_example_validates() {
    for example in EXAMPLES {
        let output = alertform(&["validate", example]);
        assert!(output.status.success(), "{example}: {}", stderr(&output));
        assert!(stdout(&output).starts_with("valid"), "{}", stdout(&output));
    }
}

#[test]
fn quickstart_summary() {
    let output = alertform(&["validate", "examples/quickstart"]);
    insta::assert_snapshot!(stdout(&output), @"valid: 3 users, 1 group, 1 escalation policy, 2 integrations (2 files)");
}

#[test]
fn every_example_is_formatted() {
    for example in EXAMPLES {
        let output = alertform(&["fmt", "--check", example]);
        assert!(
            output.status.success(),
            "{example} needs fmt: {}{}",
            stdout(&output),
            stderr(&output)
        );
    }
}

#[test]
fn toml_and_hcl_quickstarts_are_the_same_model() {
    let toml = model("examples/quickstart");
    let hcl = model("examples/quickstart-hcl");
    assert_eq!(toml.count(alertform::model::Kind::User), 3);
    assert_eq!(toml, hcl);
}

#[test]
fn toml_and_hcl_pagerduty_variants_are_the_same_model() {
    assert_eq!(
        model("examples/quickstart-pagerduty"),
        model("examples/quickstart-pagerduty-hcl")
    );
    assert_eq!(
        model("examples/multi-team-pagerduty/toml"),
        model("examples/multi-team-pagerduty/hcl")
    );
}

#[test]
fn toml_and_hcl_oncall_variants_are_the_same_model() {
    assert_eq!(
        model("examples/quickstart-oncall"),
        model("examples/quickstart-oncall-hcl")
    );
    assert_eq!(
        model("examples/multi-team-oncall/toml"),
        model("examples/multi-team-oncall/hcl")
    );
}

/// A fresh machine, one command: `apply` with no endpoint starts the embedded OnCall emulation
/// (seeded from the example's `grafana-oncall-seed.json`), and a second plan finds nothing to do.
#[test]
fn every_oncall_example_applies_on_a_fresh_machine_and_replans_to_no_changes() {
    applies_fresh_and_replans(&ONCALL_EXAMPLES, "Grafana OnCall");
}

/// The same for the PagerDuty variants, on the embedded PagerDuty emulation seeded from each
/// example's `pagerduty-seed.json` (the account's owner).
#[test]
fn every_pagerduty_example_applies_on_a_fresh_machine_and_replans_to_no_changes() {
    applies_fresh_and_replans(&PAGERDUTY_EXAMPLES, "PagerDuty");
}

/// The same for the AlertOps variants, on the embedded AlertOps emulation (users are made
/// through its API, so no seed is needed).
#[test]
fn every_alertops_example_applies_on_a_fresh_machine_and_replans_to_no_changes() {
    applies_fresh_and_replans(&ALERTOPS_EXAMPLES, "AlertOps");
}

/// The same for the Opsgenie variants, on the embedded Opsgenie emulation seeded from each
/// example's `opsgenie-seed.json` (the account's owner).
#[test]
fn every_opsgenie_example_applies_on_a_fresh_machine_and_replans_to_no_changes() {
    applies_fresh_and_replans(&OPSGENIE_EXAMPLES, "Opsgenie");
}

#[test]
fn toml_and_hcl_opsgenie_quickstarts_are_the_same_model() {
    assert_eq!(
        model("examples/quickstart-opsgenie"),
        model("examples/quickstart-opsgenie-hcl")
    );
}

#[test]
fn toml_and_hcl_alertops_quickstarts_are_the_same_model() {
    assert_eq!(
        model("examples/quickstart-alertops"),
        model("examples/quickstart-alertops-hcl")
    );
}

fn applies_fresh_and_replans(examples: &[&str], vendor: &str) {
    for example in examples {
        let dir = tempfile::tempdir().unwrap();
        let config = root().join(example);
        let config = config.to_str().unwrap();
        let applied =
            crate::support::alertform_in(dir.path(), &["apply", config, "--auto-approve"]);
        assert!(
            applied.status.success(),
            "{example}: {}{}",
            stdout(&applied),
            stderr(&applied)
        );
        assert!(
            stdout(&applied).starts_with(&format!("Using the embedded local {vendor} emulation")),
            "{}",
            stdout(&applied)
        );
        let replan =
            crate::support::alertform_in(dir.path(), &["plan", config, "--detailed-exitcode"]);
        assert_eq!(
            replan.status.code(),
            Some(0),
            "{example}: {}{}",
            stdout(&replan),
            stderr(&replan)
        );
    }
}

#[test]
fn toml_and_hcl_multi_team_are_the_same_model() {
    let toml = model("examples/multi-team/toml");
    let hcl = model("examples/multi-team/hcl");
    assert!(toml.users.len() >= 25, "{} users", toml.users.len());
    assert!(
        toml.integrations.len() >= 18,
        "{} integrations",
        toml.integrations.len()
    );
    assert_eq!(toml, hcl);
}

#[test]
fn multi_team_uses_every_channel() {
    let model = model("examples/multi-team/toml");
    let channels: std::collections::BTreeSet<_> = model
        .integrations
        .values()
        .map(|i| i.channel.channel())
        .collect();
    assert_eq!(channels.len(), 4, "{channels:?}");
}

#[test]
fn fmt_rewrites_then_leaves_alone() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("a.toml");
    let hcl = dir.path().join("b.hcl");
    std::fs::write(&toml, "# keep me\n[user.alice]\nname=\"Alice\"   # and me\nemail   =  \"alice@example.com\"\n\n\n\n[user.bob]\nname = \"Bob\"\nemail = \"bob@example.com\"\n").unwrap();
    std::fs::write(&hcl, "# keep me\nuser \"carol\"  {\nname=\"Carol\" // and me\n    email = \"carol@example.com\"\n}\n").unwrap();
    let path = dir.path().to_str().unwrap();

    let check = alertform(&["fmt", "--check", path]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(stdout(&check).lines().count(), 2, "{}", stdout(&check));

    let fmt = alertform(&["fmt", path]);
    assert!(fmt.status.success(), "{}", stderr(&fmt));
    let toml_text = std::fs::read_to_string(&toml).unwrap();
    let hcl_text = std::fs::read_to_string(&hcl).unwrap();
    insta::assert_snapshot!(toml_text, @r#"
    # keep me
    [user.alice]
    name = "Alice" # and me
    email = "alice@example.com"

    [user.bob]
    name = "Bob"
    email = "bob@example.com"
    "#);
    insta::assert_snapshot!(hcl_text, @r#"
    # keep me
    user "carol" {
      name  = "Carol" // and me
      email = "carol@example.com"
    }
    "#);

    let again = alertform(&["fmt", "--check", path]);
    assert!(again.status.success(), "{}", stdout(&again));
    assert!(alertform(&["validate", path]).status.success());
}

#[test]
fn generated_orgs_validate_and_match_across_formats() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["toml", "hcl"] {
        let out = dir.path().join(format);
        let output = alertform(&[
            "dev",
            "generate",
            "--objects",
            "500",
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let toml = config::load(&dir.path().join("toml"))
        .map(|(_, m)| m)
        .expect("generated TOML is valid");
    let hcl = config::load(&dir.path().join("hcl"))
        .map(|(_, m)| m)
        .expect("generated HCL is valid");
    assert_eq!(toml, hcl);
    let total: usize = alertform::model::Kind::ALL
        .iter()
        .map(|k| toml.count(*k))
        .sum();
    assert_eq!(total, 500);
    assert_eq!(toml.users.len(), 100);
    assert_eq!(toml.integrations.len(), 300);
}

/// The outbound examples read their secrets from the environment, so they are checked with them
/// set: each validates and is formatted, and the TOML and HCL variants plan the same changes.
#[test]
fn the_outbound_examples_validate_with_their_secrets_and_mean_the_same() {
    let secrets = [
        (
            "OPS_WEBHOOK_URL",
            "https://hooks.example.com/services/T0/B0/token",
        ),
        ("DB_RESTART_PASSWORD", "example-password"),
    ];
    let server = crate::support::TestServer::start(&[]);
    let mut plans = Vec::new();
    for example in ["examples/outbound", "examples/outbound-hcl"] {
        let output = crate::support::alertform_with(&root(), &["validate", example], &secrets);
        assert!(output.status.success(), "{example}: {}", stderr(&output));
        assert_eq!(
            stdout(&output).trim(),
            "valid: 2 users, 1 group, 1 escalation policy, 1 integration, 5 outbound targets (3 files)"
        );
        let output = alertform(&["fmt", "--check", example]);
        assert!(
            output.status.success(),
            "{example} needs fmt: {}",
            stdout(&output)
        );
        let output = crate::support::alertform_with(
            &root(),
            &[
                "plan",
                example,
                "--format",
                "json",
                "--endpoint",
                &server.url,
                "--token",
                &server.token,
            ],
            &secrets,
        );
        assert!(output.status.success(), "{example}: {}", stderr(&output));
        let plan: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(plan["summary"]["create"], 10, "{plan}");
        plans.push(plan["changes"].clone());
    }
    assert_eq!(plans[0], plans[1]);
}
