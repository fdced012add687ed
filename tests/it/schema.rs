//! The committed JSON Schema is exactly what the code generates.

use crate::support::{alertform, root, stdout};

#[test]
fn committed_config_schema_is_fresh() {
    let committed = std::fs::read_to_string(root().join("schema/alertform.schema.json"))
        .expect("schema/alertform.schema.json is committed");
    let generated = alertform::config::schema::config_schema();
    assert!(
        committed == generated,
        "schema/alertform.schema.json is stale: run `cargo run -- schema > schema/alertform.schema.json`"
    );
}

#[test]
fn schema_command_prints_draft_07() {
    let output = alertform(&["schema"]);
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    for kind in [
        "user",
        "group",
        "escalation_policy",
        "integration",
        "settings",
    ] {
        assert!(schema["properties"][kind].is_object(), "{kind} missing");
    }
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn toml_examples_point_at_the_schema() {
    for dir in ["examples/quickstart", "examples/multi-team/toml"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("#:schema "),
                "{} has no #:schema line",
                path.display()
            );
            let target = text
                .lines()
                .next()
                .unwrap()
                .trim_start_matches("#:schema ")
                .trim();
            assert!(
                path.parent().unwrap().join(target).exists(),
                "{} points at a missing schema",
                path.display()
            );
        }
    }
}

#[test]
fn committed_plan_schema_is_fresh() {
    let committed = std::fs::read_to_string(root().join("schema/plan.schema.json"))
        .expect("schema/plan.schema.json is committed");
    assert!(
        committed == alertform::plan::render::plan_schema(),
        "schema/plan.schema.json is stale: run `cargo run -- schema --plan > schema/plan.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    for field in ["format_version", "target", "summary", "changes"] {
        assert!(
            schema["properties"][field].is_object(),
            "{field} undocumented"
        );
    }
}

#[test]
fn committed_migration_schema_is_fresh() {
    let committed = std::fs::read_to_string(root().join("schema/migration.schema.json"))
        .expect("schema/migration.schema.json is committed");
    assert!(
        committed == alertform::migrate::schema(),
        "schema/migration.schema.json is stale: run `cargo run -- schema --migration > schema/migration.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    for field in ["objects", "must_exist", "reconnect", "compared"] {
        assert!(
            schema["properties"][field].is_object(),
            "{field} undocumented"
        );
    }
}
