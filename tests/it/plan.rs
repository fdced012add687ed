//! `alertform plan` against a real `alertform serve`: every action, exit codes, formats, secrets.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::{TestServer, alertform, alertform_in, root, stderr, stdout};

/// Creates the quickstart org through the API, exactly as `examples/quickstart` declares it.
/// Returns ids by name.
fn seed_quickstart(server: &TestServer) -> HashMap<&'static str, String> {
    let mut ids = HashMap::new();
    ids.insert(
        "alice",
        server.create("users", &json!({"name": "Alice Ng", "email": "alice@example.com", "phone": "+14155550100", "role": "admin", "time_zone": "America/Los_Angeles"})),
    );
    ids.insert("bob", server.create("users", &json!({"name": "Bob Okafor", "email": "bob@example.com", "time_zone": "Europe/London"})));
    ids.insert(
        "carol",
        server.create("users", &json!({"name": "Carol Schmidt", "email": "carol@example.com", "role": "observer", "time_zone": "Europe/Berlin"})),
    );
    ids.insert(
        "sre",
        server.create(
            "groups",
            &json!({"name": "SRE", "description": "Site reliability engineering on-call rotation", "member_user_ids": [ids["bob"], ids["alice"]]}),
        ),
    );
    ids.insert(
        "policy",
        server.create(
            "escalation_policies",
            &json!({"name": "SRE default", "description": "Page the SRE group, then Alice after 15 minutes", "repeat": 1,
                    "steps": [{"notify_group_ids": [ids["sre"]]}, {"delay_minutes": 15, "notify_user_ids": [ids["alice"]]}]}),
        ),
    );
    ids.insert(
        "grafana",
        server.create(
            "integrations",
            &json!({"name": "Grafana (prod)", "channel": "api", "template": "grafana", "escalation_policy_id": ids["policy"],
                    "recipient_group_ids": [ids["sre"]],
                    "templates": {"grouping_key": "{{ payload.groupKey }}", "resolve_signal": "{{ payload.status == \"resolved\" }}"}}),
        ),
    );
    ids.insert(
        "backup",
        server.create(
            "integrations",
            &json!({"name": "Nightly backup heartbeat", "channel": "heartbeat", "template": "custom", "escalation_policy_id": ids["policy"],
                    "settings": {"interval_minutes": 1440}, "recipient_user_ids": [ids["carol"]]}),
        ),
    );
    ids
}

/// `alertform plan PATH --endpoint … --token …` plus `extra`.
fn plan(server: &TestServer, path: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "plan",
        path,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
    ];
    args.extend_from_slice(extra);
    alertform(&args)
}

/// A copy of the quickstart with `edit` applied to `routing.toml`, in a temp dir.
fn edited_quickstart(
    edit: impl Fn(String) -> String,
    people: impl Fn(String) -> String,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = root().join("examples/quickstart");
    let routing = std::fs::read_to_string(source.join("routing.toml")).unwrap();
    let people_text = std::fs::read_to_string(source.join("people.toml")).unwrap();
    std::fs::write(dir.path().join("routing.toml"), edit(routing)).unwrap();
    std::fs::write(dir.path().join("people.toml"), people(people_text)).unwrap();
    dir
}

fn json_plan(output: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(output), stderr(output)))
}

#[test]
fn an_empty_service_plans_every_create() {
    let server = TestServer::start(&[]);
    let output = plan(
        &server,
        "examples/quickstart",
        &["--format", "json", "--detailed-exitcode"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let document = json_plan(&output);
    assert_eq!(
        document["summary"],
        json!({"create": 7, "update": 0, "replace": 0, "delete": 0})
    );
    assert_eq!(
        document["target"],
        json!({"provider": "alertform", "endpoint": server.url, "embedded": false})
    );
    assert_eq!(document["format_version"], "1");
    let order: Vec<&str> = document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "user.alice",
            "user.bob",
            "user.carol",
            "group.sre",
            "escalation_policy.sre_default",
            "integration.grafana_prod",
            "integration.nightly_backup"
        ]
    );
}

#[test]
fn a_matching_service_has_no_changes_in_either_format() {
    let server = TestServer::start(&[]);
    seed_quickstart(&server);
    for example in ["examples/quickstart", "examples/quickstart-hcl"] {
        let output = plan(&server, example, &["--detailed-exitcode"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{example}: {}{}",
            stdout(&output),
            stderr(&output)
        );
        assert!(
            stdout(&output).contains("No changes"),
            "{}",
            stdout(&output)
        );
    }
    // Without --detailed-exitcode, changes still exit 0.
    let changed = edited_quickstart(|r| r.replace("repeat = 1", "repeat = 2"), |p| p);
    let output = plan(&server, changed.path().to_str().unwrap(), &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("~ escalation_policy.sre_default"));
}

#[test]
fn renamed_from_is_an_update_that_keeps_the_integration() {
    let server = TestServer::start(&[]);
    let ids = seed_quickstart(&server);
    let renamed = edited_quickstart(
        |r| {
            r.replace(
                "name = \"Grafana (prod)\"",
                "name = \"Grafana (production)\"\nrenamed_from = [\"Grafana (prod)\"]",
            )
        },
        |p| p,
    );
    let output = plan(
        &server,
        renamed.path().to_str().unwrap(),
        &["--format", "json"],
    );
    let document = json_plan(&output);
    assert_eq!(
        document["summary"],
        json!({"create": 0, "update": 1, "replace": 0, "delete": 0})
    );
    let change = &document["changes"][0];
    assert_eq!(change["action"], "update");
    assert_eq!(
        change["id"],
        json!(ids["grafana"]),
        "the same live integration, so key and endpoint survive"
    );
    assert_eq!(change["changed_fields"], json!(["name"]));
}

#[test]
fn every_action_in_text_json_and_markdown() {
    let server = TestServer::start(&[]);
    seed_quickstart(&server);
    // Add Dave (create) to the group (update), move Grafana to Datadog (replace), and drop Carol
    // and her backup recipient role (delete).
    let changed = edited_quickstart(
        |r| {
            r.replace("template = \"grafana\"", "template = \"datadog\"")
                .replace(
                    "recipients = [\"user.carol\"]",
                    "recipients = [\"group.sre\"]",
                )
        },
        |p| {
            p.replace(
                "[user.carol]\nname = \"Carol Schmidt\"\nemail = \"carol@example.com\"\nrole = \"observer\"\ntime_zone = \"Europe/Berlin\"\n",
                "[user.dave]\nname = \"Dave Ito\"\nemail = \"dave@example.com\"\n",
            )
            .replace("members = [\"user.alice\", \"user.bob\"]", "members = [\"user.alice\", \"user.bob\", \"user.dave\"]")
        },
    );
    let path = changed.path().to_str().unwrap();
    let text = plan(&server, path, &["--detailed-exitcode"]);
    assert_eq!(text.status.code(), Some(2), "{}", stderr(&text));
    let text_out = stdout(&text);
    assert!(
        text_out.contains("the integration key and endpoint URL will change"),
        "{text_out}"
    );
    // Ids and the service's port vary from run to run: every id the service issues, by prefix.
    let url = regex_literal(&server.url);
    let filters = vec![
        (url.as_str(), "http://[service]"),
        (r"\b(usr|grp|sch|esc|int|out)_[0-9a-z]{12,}\b", "[id]"),
    ];
    insta::with_settings!({filters => filters.clone()}, {
        insta::assert_snapshot!("plan_text", text_out);
    });

    let json = json_plan(&plan(&server, path, &["--format", "json"]));
    assert_eq!(
        json["summary"],
        json!({"create": 1, "update": 2, "replace": 1, "delete": 1})
    );
    insta::with_settings!({filters => filters.clone()}, {
        insta::assert_snapshot!("plan_json", serde_json::to_string_pretty(&json).unwrap());
    });

    let markdown = stdout(&plan(&server, path, &["--format", "markdown"]));
    assert!(markdown.starts_with("<!-- alertform-plan -->\n"));
    assert!(markdown.len() < 65_000);
    let destructive = markdown.find("Destructive").unwrap();
    assert!(
        destructive < markdown.find("<details>").unwrap(),
        "destructive changes come first"
    );
    insta::with_settings!({filters => filters.clone()}, {
        insta::assert_snapshot!("plan_markdown", markdown);
    });
}

#[test]
fn a_referenced_delete_is_a_plan_error() {
    let server = TestServer::start(&[]);
    let ids = seed_quickstart(&server);
    // An integration outside the config (ignored) uses a policy that the config does not declare.
    let old_policy = server.create(
        "escalation_policies",
        &json!({"name": "Old policy", "steps": [{"notify_user_ids": [ids["bob"]]}]}),
    );
    server.create("integrations", &json!({"name": "legacy-nagios", "channel": "api", "template": "nagios", "escalation_policy_id": old_policy}));
    let config = edited_quickstart(
        |r| format!("{r}\n[settings]\nignore = [\"integration:legacy-*\"]\n"),
        |p| p,
    );
    let output = plan(
        &server,
        config.path().to_str().unwrap(),
        &["--detailed-exitcode"],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("cannot delete `escalation_policy.old_policy`")
            && err.contains("integration.legacy_nagios"),
        "{err}"
    );
}

#[test]
fn secrets_never_appear_in_any_format() {
    let server = TestServer::start(&[]);
    let ids = seed_quickstart(&server);
    let (_, grafana) = server.get(&format!("/api/v1/integrations/{}", ids["grafana"]));
    let key = grafana["integration_key"].as_str().unwrap().to_owned();
    let endpoint = grafana["endpoint_url"].as_str().unwrap().to_owned();
    let changed = edited_quickstart(
        |r| r.replace("template = \"grafana\"", "template = \"datadog\""),
        |p| p,
    );
    for format in ["text", "json", "markdown"] {
        let output = plan(
            &server,
            changed.path().to_str().unwrap(),
            &["--format", format, "-vv"],
        );
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert!(output.status.success(), "{all}");
        for secret in [key.as_str(), endpoint.as_str(), server.token.as_str()] {
            assert!(!all.contains(secret), "{format} output contains a secret");
        }
    }
}

#[test]
fn a_wrong_token_says_which_token_is_needed() {
    let server = TestServer::start(&[]);
    let output = alertform(&[
        "plan",
        "examples/quickstart",
        "--endpoint",
        &server.url,
        "--token",
        "af_wrong",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("refused the token (401)") && err.contains("ALERTFORM_TOKEN"),
        "{err}"
    );
    assert!(!err.contains("af_wrong"), "the token is not echoed");
}

#[test]
fn an_unreachable_service_is_a_clear_error() {
    let output = alertform(&[
        "plan",
        "examples/quickstart",
        "--endpoint",
        "http://127.0.0.1:9",
        "--token",
        "x",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot reach http://127.0.0.1:9"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn without_an_endpoint_plan_uses_the_embedded_service() {
    let dir = tempfile::tempdir().unwrap();
    let config = root().join("examples/quickstart");
    let output = alertform_in(
        dir.path(),
        &["plan", config.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.lines().next().unwrap().starts_with(
            "Using the embedded local service (provider alertform, data in .alertform/local/)"
        ),
        "{out}"
    );
    assert!(Path::new(&dir.path().join(".alertform/local/alertform.db")).exists());
    // A second run reuses the same embedded data (and its owner token).
    let again = alertform_in(
        dir.path(),
        &["plan", config.to_str().unwrap(), "--format", "json"],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(json_plan(&again)["target"]["embedded"], true);
}

#[test]
fn targets_limit_the_plan() {
    let server = TestServer::start(&[]);
    let output = plan(
        &server,
        "examples/quickstart",
        &["--format", "json", "--target", "group.sre"],
    );
    let document = json_plan(&output);
    let order: Vec<&str> = document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["user.alice", "user.bob", "group.sre"]);
    let bad = plan(&server, "examples/quickstart", &["--target", "nonsense"]);
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn out_saves_the_plan_with_digest_and_versions_and_no_secret() {
    let server = TestServer::start(&[]);
    let ids = seed_quickstart(&server);
    let (_, grafana) = server.get(&format!("/api/v1/integrations/{}", ids["grafana"]));
    let key = grafana["integration_key"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let changed = edited_quickstart(|r| r.replace("repeat = 1", "repeat = 3"), |p| p);
    let output = plan(
        &server,
        changed.path().to_str().unwrap(),
        &["--out", file.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&key) && !text.contains(&server.token));
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["summary"]["update"], 1);
    assert_eq!(saved["config_digest"].as_str().unwrap().len(), 64);
    assert_eq!(
        saved["versions"].as_object().unwrap().len(),
        7,
        "every live object read"
    );
    assert_eq!(saved["versions"][&ids["policy"]], 1);
}

#[test]
fn graph_prints_the_dependencies_as_dot() {
    let output = alertform(&["graph", "examples/quickstart"]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

/// `text` as a regular expression that matches only itself.
fn regex_literal(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// A change inside a nested value renders one line per changed leaf with its path, in text and
/// in Markdown's `diff` block: a layer's member (by turn position), start and window, a layer
/// added and one moved, a step's wait, a step's targets (a set) and a step added; unchanged
/// parts are left out.
#[test]
fn nested_changes_render_one_line_per_changed_leaf() {
    let vendor = crate::support::PAGERDUTY;
    let server = vendor.server(&[]);
    let (_dir, config) = crate::support::copy_example("examples/quickstart-pagerduty");
    let path = config.to_str().unwrap();
    assert!(vendor.run(&server, "apply", path, &[]).status.success());
    let people = config.join("people.toml");
    let routing = config.join("routing.toml");
    crate::support::edit(&people, "role = \"observer\"", "role = \"responder\"");
    crate::support::edit(
        &routing,
        "  { delay_minutes = 15, notify = [\"group.sre\"] },\n",
        "  { delay_minutes = 20, notify = [\"group.sre\", \"user.carol\"] },\n  { delay_minutes = 30, notify = [\"user.alice\"] },\n",
    );
    let text = std::fs::read_to_string(&people).unwrap();
    let text = text
        .replace(
            "[[schedule.sre_rotation.layer]]\nname = \"Weekly\"\nstart = \"2026-11-30T09:00:00\"\nrotation = \"1w\"\nmembers = [\"user.alice\", \"user.bob\"]\n",
            "[[schedule.sre_rotation.layer]]\nname = \"Nights\"\nstart = \"2026-11-30T20:00:00\"\nrotation = \"1d\"\nmembers = [\"user.carol\"]\nrestrict = [{ from = \"20:00\", to = \"08:00\" }]\n",
        )
        .replace("members = [\"user.bob\", \"user.alice\"]", "members = [\"user.bob\", \"user.carol\"]")
        .replace("from = \"09:00\", to = \"17:00\"", "from = \"09:00\", to = \"18:00\"")
        + "\n[[schedule.sre_rotation.layer]]\nname = \"Weekly\"\nstart = \"2026-11-30T10:00:00\"\nrotation = \"1w\"\nmembers = [\"user.alice\", \"user.bob\"]\n";
    assert!(text.contains("Nights") && text.contains("18:00"), "{text}");
    std::fs::write(&people, text).unwrap();
    let planned = vendor.run(&server, "plan", path, &[]);
    assert!(planned.status.success(), "{}", stderr(&planned));
    let text = stdout(&planned);
    let schedule: String = text
        .lines()
        .skip_while(|l| !l.contains("~ schedule.sre_rotation"))
        .take_while(|l| !l.starts_with("  ~ escalation") && !l.starts_with("Plan:"))
        .fold(String::new(), |all, l| all + l + "\n");
    let policy: String = text
        .lines()
        .skip_while(|l| !l.contains("~ escalation_policy.sre_default"))
        .take_while(|l| !l.starts_with("Plan:") && !l.is_empty())
        .fold(String::new(), |all, l| all + l + "\n");
    insta::assert_snapshot!("nested_text", format!("{schedule}{policy}"));
    let markdown = stdout(&vendor.run(&server, "plan", path, &["--format", "markdown"]));
    let blocks: String = markdown
        .split("```diff\n")
        .skip(1)
        .filter(|b| b.contains("~ schedule.") || b.contains("~ escalation_policy."))
        .map(|b| b.split("```").next().unwrap().to_owned())
        .collect();
    insta::assert_snapshot!("nested_markdown", blocks);
    assert!(
        !text.lines().any(|l| l.chars().count() > 200),
        "no line holds a whole value: {text}"
    );
}
