//! `alertform apply` against a real `alertform serve`: convergence, faults, partial failure,
//! safety rails, saved plans, and `show`.

use std::fmt::Write as _;

use serde_json::json;

use crate::support::{TestServer, alertform, stderr, stdout};

fn apply(server: &TestServer, path: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "apply",
        path,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
    ];
    args.extend_from_slice(extra);
    alertform(&args)
}

pub fn plan_exit(server: &TestServer, path: &str) -> Option<i32> {
    alertform(&[
        "plan",
        path,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--detailed-exitcode",
    ])
    .status
    .code()
}

/// Every object of a collection, all pages. Transient answers (a server started with fault knobs
/// injects them into the test's own reads too) are retried.
pub fn all(server: &TestServer, collection: &str) -> Vec<serde_json::Value> {
    let mut objects = Vec::new();
    for page in 1.. {
        let path = format!("/api/v1/{collection}?per_page=1000&page={page}");
        let (mut status, mut body) = server.get(&path);
        for _ in 0..50 {
            if status != 503 && status != 429 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            (status, body) = server.get(&path);
        }
        assert_eq!(status, 200, "{body}");
        objects.extend(body["results"].as_array().unwrap().iter().cloned());
        if body["next"].is_null() {
            break;
        }
    }
    objects
}

fn config(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn every_example_applies_then_plans_no_changes() {
    for example in [
        "examples/quickstart",
        "examples/quickstart-hcl",
        "examples/multi-team/toml",
        "examples/multi-team/hcl",
    ] {
        let server = TestServer::start(&[]);
        assert_eq!(
            plan_exit(&server, example),
            Some(2),
            "{example}: changes before"
        );
        let output = apply(&server, example, &["--auto-approve"]);
        assert!(
            output.status.success(),
            "{example}: {}{}",
            stdout(&output),
            stderr(&output)
        );
        assert!(
            stdout(&output).contains("Apply complete"),
            "{}",
            stdout(&output)
        );
        assert_eq!(
            plan_exit(&server, example),
            Some(0),
            "{example}: no changes after"
        );
        // A second apply does nothing.
        let again = apply(&server, example, &["--auto-approve"]);
        assert!(stdout(&again).contains("No changes"), "{}", stdout(&again));
    }
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let server = TestServer::start(&[]);
    let output = apply(&server, "examples/quickstart", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--auto-approve"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        server.get("/api/v1/users").1["count"],
        0,
        "nothing was applied"
    );
}

#[test]
fn faults_converge_without_duplicates() {
    let server = TestServer::start(crate::support::ISSUE_FAULTS);
    let example = "examples/multi-team/toml";
    let output = apply(&server, example, &["--auto-approve", "-v"]);
    let err = stderr(&output);
    assert!(output.status.success(), "{}{err}", stdout(&output));
    let users = all(&server, "users");
    let integrations = all(&server, "integrations");
    assert_eq!(users.len(), 30, "no duplicate or missing user");
    assert_eq!(
        integrations.len(),
        20,
        "no duplicate or missing integration"
    );
    assert_eq!(all(&server, "groups").len(), 7);
    assert_eq!(all(&server, "escalation_policies").len(), 8);
    let names: std::collections::BTreeSet<&str> = integrations
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 20);
    let retries = err
        .lines()
        .find(|l| l.contains("apply finished"))
        .unwrap_or_default()
        .to_owned();
    eprintln!("faults: {retries}");
    assert_eq!(plan_exit(&server, example), Some(0));
}

const BRANCHES: &str = r#"
[user.ok]
name = "Ok"
email = "ok@example.com"

[user.long]
name = "NAME"
email = "long@example.com"

[group.needs_long]
name = "Needs long"
members = ["user.long"]

[escalation_policy.independent]
name = "Independent"
steps = [{ notify = ["user.ok"] }]
"#;

#[test]
fn a_failed_branch_skips_its_dependents_and_reapply_finishes() {
    // The service refuses every write of the name `Rejected` (fault injection).
    let server = TestServer::start(&["--reject-name", "Rejected"]);
    let bad = config(&[("org.toml", &BRANCHES.replace("NAME", "Rejected"))]);
    let output = apply(&server, bad.path().to_str().unwrap(), &["--auto-approve"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("Apply failed: 2 done, 1 failed, 1 skipped"),
        "{out}"
    );
    assert!(out.contains("✗ + user.long"), "{out}");
    assert!(
        out.contains("group.needs_long: skipped, depends on user.long, which failed"),
        "{out}"
    );
    assert_eq!(
        server.get("/api/v1/escalation_policies").1["count"],
        1,
        "the independent branch was applied"
    );

    let fixed = config(&[("org.toml", &BRANCHES.replace("NAME", "Long"))]);
    let output = apply(&server, fixed.path().to_str().unwrap(), &["--auto-approve"]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("Plan: 2 to add, 0 to change"),
        "only what was left: {}",
        stdout(&output)
    );
    assert_eq!(plan_exit(&server, fixed.path().to_str().unwrap()), Some(0));
}

#[test]
fn fail_fast_starts_nothing_new() {
    let server = TestServer::start(&["--reject-name", "Rejected"]);
    let bad = config(&[("org.toml", &BRANCHES.replace("NAME", "Rejected"))]);
    let output = apply(
        &server,
        bad.path().to_str().unwrap(),
        &["--auto-approve", "--fail-fast", "--parallelism", "1"],
    );
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(out.contains("--fail-fast stopped the run"), "{out}");
}

#[test]
fn prevent_destroy_and_the_delete_threshold_refuse() {
    let server = TestServer::start(&[]);
    let mut many = String::new();
    for i in 0..12 {
        let _ = write!(
            many,
            "[user.u{i}]\nname = \"U{i}\"\nemail = \"u{i}@example.com\"\n\n"
        );
    }
    let twelve = config(&[("users.toml", &many)]);
    assert!(
        apply(
            &server,
            twelve.path().to_str().unwrap(),
            &["--auto-approve"]
        )
        .status
        .success()
    );
    let two = config(&[(
        "users.toml",
        "[user.u0]\nname = \"U0\"\nemail = \"u0@example.com\"\n\n[user.u1]\nname = \"U1\"\nemail = \"u1@example.com\"\n",
    )]);
    let refused = apply(&server, two.path().to_str().unwrap(), &["--auto-approve"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    assert!(
        err.contains("deletes or replaces 10 of 12 live users (83%)") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(all(&server, "users").len(), 12, "nothing was deleted");
    let forced = apply(
        &server,
        two.path().to_str().unwrap(),
        &["--auto-approve", "--force"],
    );
    assert!(forced.status.success(), "{}", stdout(&forced));
    assert_eq!(all(&server, "users").len(), 2);

    let quick =
        std::fs::read_to_string(crate::support::root().join("examples/quickstart/routing.toml"))
            .unwrap();
    let people =
        std::fs::read_to_string(crate::support::root().join("examples/quickstart/people.toml"))
            .unwrap();
    let protected = config(&[
        ("people.toml", &people),
        (
            "routing.toml",
            &quick.replace(
                "template = \"grafana\"",
                "template = \"grafana\"\nprevent_destroy = true",
            ),
        ),
    ]);
    assert!(
        apply(
            &server,
            protected.path().to_str().unwrap(),
            &["--auto-approve", "--force"]
        )
        .status
        .success()
    );
    let replaced = config(&[
        ("people.toml", &people),
        (
            "routing.toml",
            &quick.replace(
                "template = \"grafana\"",
                "template = \"datadog\"\nprevent_destroy = true",
            ),
        ),
    ]);
    let output = apply(
        &server,
        replaced.path().to_str().unwrap(),
        &["--auto-approve"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("`integration.grafana_prod` has prevent_destroy = true"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_saved_plan_applies_without_asking_unless_something_drifted() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let file = file.to_str().unwrap();
    let plan = alertform(&[
        "plan",
        "examples/quickstart",
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--out",
        file,
    ]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let applied = apply(&server, file, &[]);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    assert_eq!(plan_exit(&server, "examples/quickstart"), Some(0));

    // A plan saved now goes stale when a live object changes.
    let changed = config(&[
        (
            "people.toml",
            &std::fs::read_to_string(
                crate::support::root().join("examples/quickstart/people.toml"),
            )
            .unwrap(),
        ),
        (
            "routing.toml",
            &std::fs::read_to_string(
                crate::support::root().join("examples/quickstart/routing.toml"),
            )
            .unwrap()
            .replace("repeat = 1", "repeat = 2"),
        ),
    ]);
    let plan = alertform(&[
        "plan",
        changed.path().to_str().unwrap(),
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--out",
        file,
    ]);
    assert!(plan.status.success());
    let user = all(&server, "users")
        .into_iter()
        .find(|u| u["email"] == "bob@example.com")
        .unwrap();
    let id = user["id"].as_str().unwrap();
    server.put(
        &format!("/api/v1/users/{id}"),
        &json!({"name": "Robert", "email": "bob@example.com"}),
    );
    let stale = apply(&server, file, &[]);
    assert_eq!(stale.status.code(), Some(1));
    let err = stderr(&stale);
    assert!(
        err.contains("stale") && err.contains(&format!("`{id}` changed (version 1 → 2)")),
        "{err}"
    );
}

#[test]
fn show_hides_secrets_unless_revealed() {
    let server = TestServer::start(&[]);
    assert!(
        apply(&server, "examples/quickstart", &["--auto-approve"])
            .status
            .success()
    );
    let show = |extra: &[&str]| {
        let mut args = vec![
            "show",
            "integration.grafana_prod",
            "--config",
            "examples/quickstart",
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
        ];
        args.extend_from_slice(extra);
        alertform(&args)
    };
    let hidden: serde_json::Value = serde_json::from_str(&stdout(&show(&[]))).unwrap();
    assert_eq!(hidden["integration_key"], "(sensitive)");
    assert_eq!(hidden["endpoint_url"], "(sensitive)");
    assert_eq!(hidden["name"], "Grafana (prod)");
    let revealed: serde_json::Value = serde_json::from_str(&stdout(&show(&["--reveal"]))).unwrap();
    let key = revealed["integration_key"].as_str().unwrap();
    assert_eq!(key.len(), 32);
    assert!(revealed["endpoint_url"].as_str().unwrap().ends_with(key));
    let missing = alertform(&[
        "show",
        "user.nobody",
        "--config",
        "examples/quickstart",
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
    ]);
    assert_eq!(missing.status.code(), Some(1));
}

fn export_then_plan(server: &TestServer, format: &str) -> (tempfile::TempDir, Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let export = alertform(&[
        "export",
        "--format",
        format,
        "--out",
        out,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
    ]);
    assert!(export.status.success(), "{}", stderr(&export));
    let validate = alertform(&["validate", out]);
    assert!(
        validate.status.success(),
        "exported {format} is invalid: {}",
        stderr(&validate)
    );
    assert!(
        alertform(&["fmt", "--check", out]).status.success(),
        "exported {format} is not formatted"
    );
    let plan = alertform(&[
        "plan",
        out,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--detailed-exitcode",
    ]);
    let code = plan.status.code();
    (dir, code, stdout(&plan))
}

#[test]
fn export_round_trips_the_multi_team_example() {
    let server = TestServer::start(&[]);
    assert!(
        apply(&server, "examples/multi-team/toml", &["--auto-approve"])
            .status
            .success()
    );
    for format in ["toml", "hcl"] {
        let (_dir, code, plan) = export_then_plan(&server, format);
        assert_eq!(code, Some(0), "{format}: {plan}");
    }
}

#[test]
fn export_round_trips_an_account_built_through_the_api() {
    let server = TestServer::start(&[]);
    let a = server.create("users", &json!({"name": "Zoë Ångström", "email": "zoe@example.com", "role": "owner", "phone": "+4930123456"}));
    let b = server.create(
        "users",
        &json!({"name": "zoe angstrom", "email": "zoe2@example.com"}),
    );
    let inner = server.create("groups", &json!({"name": "SRE", "member_user_ids": [a]}));
    let outer = server.create("groups", &json!({"name": "sre!", "description": "quotes \" and \\ backslashes", "member_group_ids": [inner], "member_user_ids": [b]}));
    let policy = server.create(
        "escalation_policies",
        &json!({"name": "Night ${shift}", "repeat": 9, "steps": [{"delay_minutes": 1440, "notify_group_ids": [outer]}, {"notify_user_ids": [a, b]}]}),
    );
    server.create(
        "integrations",
        &json!({"name": "Mail %{in}", "channel": "email", "template": "custom", "escalation_policy_id": policy, "enabled": false}),
    );
    server.create(
        "integrations",
        &json!({"name": "Chat", "channel": "chat", "template": "microsoft_teams", "escalation_policy_id": policy,
                "settings": {"chat_platform": "teams", "chat_channel": "Ops Room"},
                "templates": {"title": "{{ payload.title }} ${not_hcl}", "message": "line one\nline two\n"}}),
    );
    for format in ["toml", "hcl"] {
        let (dir, code, plan) = export_then_plan(&server, format);
        assert_eq!(code, Some(0), "{format}: {plan}");
        let groups = std::fs::read_to_string(dir.path().join(format!("groups.{format}"))).unwrap();
        assert!(
            groups.contains("sre_2"),
            "names that slug alike get unique keys: {groups}"
        );
    }
}

#[test]
fn a_stale_version_stops_the_change_with_a_replan_message() {
    use alertform::model::Kind;
    use alertform::provider::http::{HttpClient, RetryPolicy};
    use alertform::provider::native::NativeProvider;
    let server = TestServer::start(&[]);
    let id = server.create("users", &json!({"name": "A", "email": "a@example.com"}));
    // Someone else changes the user after "our" plan read version 1.
    server.put(
        &format!("/api/v1/users/{id}"),
        &json!({"name": "B", "email": "a@example.com"}),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let provider = NativeProvider::new(
        HttpClient::new(
            &server.url,
            Some(server.token.clone()),
            RetryPolicy::default(),
        )
        .unwrap(),
        true,
    );
    let body = json!({"name": "C", "email": "a@example.com"});
    let error = runtime
        .block_on(provider.update(Kind::User, &id, 1, &body))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("changed since the plan read it") && error.contains("run plan again"),
        "{error}"
    );
    assert_eq!(
        server.get(&format!("/api/v1/users/{id}")).1["name"],
        "B",
        "the other change is not lost"
    );
    let error = runtime
        .block_on(provider.delete(Kind::User, &id, 1))
        .unwrap_err()
        .to_string();
    assert!(error.contains("run plan again"), "{error}");
}

#[test]
fn a_saved_targeted_plan_applies_only_its_targets() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let file = file.to_str().unwrap();
    let plan = alertform(&[
        "plan",
        "examples/quickstart",
        "--target",
        "user.bob",
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--out",
        file,
    ]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let applied = apply(&server, file, &[]);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    let users = all(&server, "users");
    assert_eq!(users.len(), 1, "only the target was applied");
    assert_eq!(users[0]["email"], "bob@example.com");
    assert_eq!(all(&server, "integrations").len(), 0);
}

/// With `--rate-limit`, the service says where a client stands (`ratelimit-remaining`,
/// `ratelimit-reset`), and apply paces itself by it instead of running into 429s.
#[test]
fn apply_keeps_to_the_rate_budget_the_service_announces() {
    let server = TestServer::start(&["--rate-limit", "40"]);
    let response = server
        .request(reqwest::Method::GET, "/api/v1/users")
        .send()
        .unwrap();
    assert_eq!(response.headers()["ratelimit-limit"], "40");
    assert!(response.headers().contains_key("ratelimit-remaining"));
    assert_eq!(response.headers()["ratelimit-reset"], "1");
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    crate::support::generate(&org, 150, &[]);
    let applied = apply(&server, org.to_str().unwrap(), &["--auto-approve"]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let throttled = server.requests_matching(&["status=\"429\""]);
    let total = server.api_requests();
    // Only the first requests in flight, sent before any answer told the budget, can hit it.
    assert!(
        throttled <= 8,
        "{throttled} of {total} requests were throttled"
    );
    assert!(
        total > 150,
        "{total} requests: more than one second's budget"
    );
}
