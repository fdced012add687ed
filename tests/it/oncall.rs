//! Grafana OnCall end to end: the real `alertform serve --api grafana_oncall` on 127.0.0.1:0,
//! driven by the real CLI with `--provider grafana_oncall`.

use std::fmt::Write as _;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ISSUE_FAULTS, TestServer, alertform, edit, root, send, stderr, stdout};

const EXAMPLE: &str = "examples/quickstart-oncall";
const VENDOR: crate::support::Vendor = crate::support::ONCALL;
use crate::support::by_name;

/// Every object of an OnCall collection, through its paged list (retrying the faults a test may
/// have injected: 503s and 429s). Integrations leave out the engine's own `direct_paging` ones.
fn list(server: &TestServer, collection: &str) -> Vec<Value> {
    let all = list_all(server, collection);
    if collection == "integrations" {
        all.into_iter()
            .filter(|i| i["type"] != "direct_paging")
            .collect()
    } else {
        all
    }
}

fn list_all(server: &TestServer, collection: &str) -> Vec<Value> {
    crate::support::ONCALL.list(server, &format!("/api/v1/{collection}/"), "results")
}

#[test]
fn the_example_applies_and_replans_to_no_changes() {
    let server = VENDOR.server(&[]);
    assert_eq!(VENDOR.plan_code(&server, EXAMPLE), Some(2));
    let applied = VENDOR.run(&server, "apply", EXAMPLE, &[]);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    let out = stdout(&applied);
    assert!(
        out.starts_with("Using Grafana OnCall at http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("Apply complete: 6 changes made."), "{out}");
    // The engine's per-team direct-paging integration is there, and nobody planned to touch it.
    let paging: Vec<Value> = list_all(&server, "integrations")
        .into_iter()
        .filter(|i| i["type"] == "direct_paging")
        .collect();
    assert_eq!(paging.len(), 1, "one team, one direct-paging integration");
    assert!(
        !out.contains("direct_paging") && !out.contains("Direct paging"),
        "{out}"
    );
    assert_eq!(
        VENDOR.plan_code(&server, EXAMPLE),
        Some(0),
        "re-plan is empty"
    );

    let chains = list(&server, "escalation_chains");
    let sre = by_name(&chains, "SRE default")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut steps: Vec<Value> = list(&server, "escalation_policies")
        .into_iter()
        .filter(|s| s["escalation_chain_id"] == sre.as_str())
        .collect();
    steps.sort_by_key(|s| s["position"].as_i64());
    let types: Vec<&str> = steps.iter().map(|s| s["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "notify_on_call_from_schedule",
            "wait",
            "notify_persons",
            "notify_team_members",
            "repeat_escalation"
        ]
    );
    assert_eq!(steps[1]["duration"], 900);
    // The schedule: a web schedule whose one shift rotates alice and bob weekly.
    let schedules = list(&server, "schedules");
    let rotation = by_name(&schedules, "SRE rotation");
    assert_eq!(rotation["type"], "web");
    assert_eq!(steps[0]["notify_on_call_from_schedule"], rotation["id"]);
    let shifts = list(&server, "on_call_shifts");
    assert_eq!(shifts.len(), 1);
    let shift = &shifts[0];
    assert_eq!(shift["schedule"], rotation["id"]);
    assert_eq!(
        (
            shift["type"].as_str(),
            shift["frequency"].as_str(),
            shift["interval"].as_i64(),
            shift["duration"].as_i64()
        ),
        (
            Some("rolling_users"),
            Some("weekly"),
            Some(1),
            Some(7 * 86_400)
        )
    );
    assert_eq!(shift["rolling_users"].as_array().unwrap().len(), 2);
    // Nobody before the layer starts (09:00 GMT on 30 November 2026), one person after.
    let started = jiff::Timestamp::now() >= "2026-11-30T09:00:00Z".parse().unwrap();
    assert_eq!(
        rotation["on_call_now"].as_array().unwrap().len(),
        usize::from(started),
        "{rotation}"
    );
    let integrations = list(&server, "integrations");
    let grafana = by_name(&integrations, "Grafana (prod)");
    assert_eq!(grafana["type"], "grafana_alerting");
    assert_eq!(
        grafana["default_route"]["escalation_chain_id"],
        sre.as_str()
    );
    assert_eq!(grafana["templates"]["web"]["title"], "{{ payload.title }}");
    assert_eq!(
        by_name(&integrations, "Backup reports")["type"],
        "inbound_email"
    );
    // The link and inbound email are secrets: never in plan or apply output.
    for secret in [
        grafana["link"].as_str().unwrap(),
        by_name(&integrations, "Backup reports")["inbound_email"]
            .as_str()
            .unwrap(),
    ] {
        let token = secret.trim_end_matches('/').rsplit('/').next().unwrap();
        let token = token.split('@').next().unwrap();
        assert!(!out.contains(token), "a secret was printed: {out}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plan.json");
        let plan = VENDOR.run(
            &server,
            "plan",
            EXAMPLE,
            &["--format", "json", "-vv", "--out", file.to_str().unwrap()],
        );
        assert!(plan.status.success(), "{}", stderr(&plan));
        assert!(!stdout(&plan).contains(token), "not in the JSON plan");
        assert!(!stderr(&plan).contains(token), "not in debug logs");
        assert!(
            !std::fs::read_to_string(&file).unwrap().contains(token),
            "not in a plan file"
        );
        assert!(!server.log().contains(token), "not in the emulation's log");
    }
}

#[test]
fn a_rename_keeps_the_link_and_a_type_change_replaces_with_a_warning() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let link = |name: &str| {
        by_name(&list(&server, "integrations"), name)["link"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = link("Grafana (prod)");

    edit(
        &config.join("routing.toml"),
        "name = \"Grafana (prod)\"",
        "name = \"Grafana production\"\nrenamed_from = [\"Grafana (prod)\"]",
    );
    let plan = VENDOR.run(&server, "plan", path, &[]);
    let text = stdout(&plan);
    assert!(text.contains("~ integration.grafana_prod"), "{text}");
    assert!(
        text.contains("the id, integration key and endpoint stay"),
        "{text}"
    );
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    assert_eq!(
        link("Grafana production"),
        before,
        "a rename keeps the link"
    );

    edit(
        &config.join("routing.toml"),
        "template = \"grafana\"",
        "template = \"custom\"",
    );
    let plan = VENDOR.run(&server, "plan", path, &[]);
    let text = stdout(&plan);
    assert!(text.contains("-/+ integration.grafana_prod"), "{text}");
    assert!(
        text.contains("the integration key and endpoint URL will change"),
        "{text}"
    );
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let replaced = by_name(&list(&server, "integrations"), "Grafana production").clone();
    assert_eq!(replaced["type"], "webhook");
    assert_ne!(
        replaced["link"].as_str().unwrap(),
        before,
        "a new type rotates the link"
    );
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
}

#[test]
fn a_step_reorder_is_one_update_with_the_fewest_calls() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    edit(
        &config.join("routing.toml"),
        "steps = [{ notify = [\"user.carol\"] }]",
        "steps = [\n  { notify = [\"user.carol\"] },\n  { notify = [\"user.bob\"] },\n  { notify = [\"user.alice\"] },\n]",
    );
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    edit(
        &config.join("routing.toml"),
        "  { notify = [\"user.carol\"] },\n  { notify = [\"user.bob\"] },\n  { notify = [\"user.alice\"] },",
        "  { notify = [\"user.alice\"] },\n  { notify = [\"user.carol\"] },\n  { notify = [\"user.bob\"] },",
    );
    let plan = VENDOR.run(&server, "plan", path, &[]);
    let text = stdout(&plan);
    assert!(text.contains("~ escalation_policy.backups"), "{text}");
    assert!(text.contains("Plan: 0 to add, 1 to change"), "{text}");
    let writes_before = server.writes("/api/v1/");
    let puts_before = server.requests_matching(&["method=\"PUT\"", "escalation_policies"]);
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    assert_eq!(
        server.requests_matching(&["method=\"PUT\"", "escalation_policies"]) - puts_before,
        1,
        "moving one step is one call"
    );
    assert_eq!(
        server.writes("/api/v1/") - writes_before,
        1,
        "and nothing else is written"
    );
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
}

#[test]
fn removing_resources_deletes_them_and_leaves_users_and_teams() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let routing = config.join("routing.toml");
    let text = std::fs::read_to_string(&routing).unwrap();
    let cut = text.find("[escalation_policy.backups]").unwrap();
    let end = text.find("[integration.grafana_prod]").unwrap();
    let tail = text[end..].to_owned();
    let keep_mail = tail.find("[integration.backup_mail]").unwrap();
    std::fs::write(&routing, format!("{}{}", &text[..cut], &tail[..keep_mail])).unwrap();
    let plan = VENDOR.run(&server, "plan", path, &[]);
    let out = stdout(&plan);
    assert!(out.contains("- escalation_policy.backups"), "{out}");
    assert!(out.contains("- integration.backup_reports"), "{out}");
    assert!(!out.contains("- user."), "users are never deleted: {out}");
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    assert_eq!(list(&server, "escalation_chains").len(), 1);
    assert_eq!(list(&server, "integrations").len(), 2);
    assert_eq!(list(&server, "users").len(), 3);
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
}

#[test]
fn a_user_missing_in_oncall_is_a_located_plan_error_and_nothing_is_written() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    edit(
        &config.join("people.toml"),
        "[user.carol]",
        "[user.dave]\nname = \"dave\"\nemail = \"dave@example.com\"\n\n[user.carol]",
    );
    edit(
        &config.join("people.toml"),
        "name = \"bob\"",
        "name = \"Bob Okafor\"",
    );
    for command in ["plan", "apply"] {
        let output = VENDOR.run(&server, command, path, &[]);
        assert_eq!(output.status.code(), Some(1));
        let err = stderr(&output);
        assert!(
            err.contains("`user.dave` does not exist in Grafana OnCall"),
            "{err}"
        );
        assert!(err.contains("people.toml:"), "located: {err}");
        assert!(
            err.contains("invite the person to the Grafana org"),
            "{err}"
        );
        assert!(
            err.contains(
                "`name` of `user.bob` is \"Bob Okafor\" here but \"bob\" in Grafana OnCall"
            ),
            "{err}"
        );
    }
    assert_eq!(server.writes("/api/v1/"), 0, "no write");
}

#[test]
fn config_oncall_cannot_express_fails_validate_and_plan_without_a_request() {
    let server = VENDOR.server(&[]);
    let validate = alertform(&[
        "validate",
        "examples/quickstart",
        "--provider",
        "grafana_oncall",
    ]);
    assert_eq!(validate.status.code(), Some(1));
    let err = stderr(&validate);
    for expected in [
        "`recipients` of `integration.grafana_prod`: OnCall integrations have no recipients",
        "examples/quickstart/routing.toml:18:1",
        "`channel` of `integration.nightly_backup`",
        "`repeat` of `escalation_policy.sre_default`",
        "help: set `repeat = 5` (or 0 for no repeat); either pages a different number of times than 1",
        "`phone` of `user.alice`",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in {err}");
    }
    let plan = VENDOR.run(&server, "plan", "examples/quickstart", &[]);
    assert_eq!(plan.status.code(), Some(1));
    assert_eq!(server.api_requests(), 0, "no request at all");
    // The same config is fine for the alertform service.
    assert!(
        alertform(&["validate", "examples/quickstart"])
            .status
            .success()
    );
}

#[test]
fn a_bad_token_is_a_403_with_a_clear_error() {
    let server = VENDOR.server(&[]);
    let output = alertform(&[
        "plan",
        EXAMPLE,
        "--endpoint",
        &server.url,
        "--token",
        "not-the-token",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("(403): Invalid token."), "{err}");
    assert!(err.contains("ALERTFORM_TOKEN"), "{err}");
    let (status, body) = send(
        server
            .anonymous(Method::GET, "/api/v1/users/")
            .bearer_auth(&server.token),
    );
    assert_eq!((status, &body), (403, &json!({"detail": "Invalid token."})));
}

#[test]
fn export_writes_a_config_that_replans_to_no_changes() {
    let server = VENDOR.server(&[]);
    assert!(VENDOR.run(&server, "apply", EXAMPLE, &[]).status.success());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("exported");
    let exported = alertform(&[
        "export",
        "--provider",
        "grafana_oncall",
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let settings = std::fs::read_to_string(out.join("settings.toml")).unwrap();
    assert!(
        settings.contains("provider = \"grafana_oncall\""),
        "{settings}"
    );
    // No --provider: the exported settings say it.
    let plan = alertform(&[
        "plan",
        out.to_str().unwrap(),
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--detailed-exitcode",
    ]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        stdout(&plan),
        stderr(&plan)
    );
}

/// A config of `n` chains (three steps each, the middle one delayed) and `n` integrations, over
/// the example's seeded users and team.
fn chains_config(n: usize) -> (tempfile::TempDir, String) {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(root().join(EXAMPLE).join("people.toml")).unwrap();
    text.push_str("\n[settings]\nprovider = \"grafana_oncall\"\n");
    // Four more schedules of two shifts each, beside the example's one.
    for j in 0..4 {
        let _ = write!(
            text,
            "\n[schedule.extra{j}]\nname = \"Extra {j}\"\ntime_zone = \"America/New_York\"\n\n[[schedule.extra{j}.layer]]\nname = \"Weekly\"\nstart = \"2026-12-0{}T09:00:00\"\nrotation = \"1w\"\nmembers = [\"user.alice\", \"user.bob\"]\n\n[[schedule.extra{j}.layer]]\nname = \"Nights\"\nstart = \"2026-12-01T21:00:00\"\nrotation = \"12h\"\nmembers = [\"user.carol\"]\n",
            j + 1
        );
    }
    for i in 0..n {
        let _ = write!(
            text,
            "\n[escalation_policy.p{i}]\nname = \"Policy {i}\"\nrepeat = {}\nsteps = [\n  {{ notify = [\"group.sre\", \"user.carol\"] }},\n  {{ delay_minutes = {}, notify = [\"user.alice\"] }},\n  {{ delay_minutes = 5, notify = [\"user.bob\"] }},\n]\n",
            if i % 2 == 0 { 5 } else { 0 },
            10 + i
        );
        let _ = write!(
            text,
            "\n[integration.i{i}]\nname = \"Integration {i}\"\nchannel = \"api\"\ntemplate = \"{}\"\nescalation_policy = \"p{i}\"\n",
            ["custom", "grafana", "prometheus_alertmanager", "zabbix"][i % 4]
        );
    }
    std::fs::write(dir.path().join("org.toml"), text).unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    (dir, path)
}

#[test]
fn apply_converges_through_faults_without_duplicates() {
    const N: usize = 40;
    let server = VENDOR.server(ISSUE_FAULTS);
    let (_dir, path) = chains_config(N);
    let mut converged = false;
    for _ in 0..8 {
        let _ = VENDOR.run(&server, "apply", &path, &[]);
        if VENDOR.plan_code(&server, &path) == Some(0) {
            converged = true;
            break;
        }
    }
    assert!(
        converged,
        "apply converges through 503s, lost answers and 429s"
    );
    assert!(
        server.requests_matching(&["status=\"503\""]) > 0,
        "faults were injected"
    );
    let chains = list(&server, "escalation_chains");
    let integrations = list(&server, "integrations");
    assert_eq!(chains.len(), N, "no duplicate chain");
    assert_eq!(integrations.len(), N, "no duplicate integration");
    // Per chain: notify_persons, team, wait, persons, wait, persons, and half repeat.
    let steps = list(&server, "escalation_policies");
    assert_eq!(steps.len(), N * 6 + N / 2, "no duplicate step");
    assert_eq!(list(&server, "schedules").len(), 5, "no duplicate schedule");
    assert_eq!(
        list(&server, "on_call_shifts").len(),
        9,
        "no duplicate shift"
    );
}

#[test]
fn the_emulation_speaks_oncall_dialect() {
    let server = VENDOR.server(&[]);
    let call = |method: Method, path: &str, body: Option<Value>| {
        let request = server.oncall(method, path);
        send(match body {
            Some(body) => request.json(&body),
            None => request,
        })
    };
    // Paging: `perpage` is capped at 100, a page past the end is the last page, `next` is an
    // absolute URL on the host the request used.
    let (_, page) = call(Method::GET, "/api/v1/users/?perpage=1000", None);
    assert_eq!(page["page_size"], 100);
    let (_, page) = call(Method::GET, "/api/v1/users?perpage=1&page=99", None);
    assert_eq!(
        (
            page["current_page_number"].clone(),
            page["total_pages"].clone()
        ),
        (json!(3), json!(3))
    );
    assert!(page["next"].is_null());
    let (_, page) = call(Method::GET, "/api/v1/users/?perpage=1", None);
    assert_eq!(
        page["next"],
        format!("{}/api/v1/users/?perpage=1&page=2", server.url)
    );
    let mut keys: Vec<&str> = page
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "count",
            "current_page_number",
            "next",
            "page_size",
            "previous",
            "results",
            "total_pages"
        ]
    );

    // Validation errors are keyed by field, or `detail`.
    let (status, body) = call(
        Method::POST,
        "/api/v1/integrations/",
        Some(json!({"name": "x"})),
    );
    assert_eq!(
        (status, body),
        (400, json!({"type": ["This field is required."]}))
    );
    let (status, body) = call(
        Method::POST,
        "/api/v1/integrations/",
        Some(json!({"name": "x", "type": "nope"})),
    );
    assert_eq!(
        (status, body),
        (400, json!({"detail": "Invalid integration type"}))
    );

    // The type of an integration never changes: PUT ignores it.
    let (status, integration) = call(
        Method::POST,
        "/api/v1/integrations/",
        Some(json!({"name": "Prom", "type": "alertmanager"})),
    );
    assert_eq!(status, 201, "{integration}");
    let id = integration["id"].as_str().unwrap();
    assert!(id.starts_with('C') && id.len() == 13, "{id}");
    let (status, updated) = call(
        Method::PUT,
        &format!("/api/v1/integrations/{id}/"),
        Some(json!({"type": "webhook", "name": "Prom 2"})),
    );
    assert_eq!(status, 200);
    assert_eq!(
        (updated["type"].as_str(), updated["name"].as_str()),
        (Some("alertmanager"), Some("Prom 2"))
    );
    assert_eq!(updated["link"], integration["link"]);

    // Steps: appended in order, gaps stay after a delete, unknown users dropped silently.
    let (_, chain) = call(
        Method::POST,
        "/api/v1/escalation_chains/",
        Some(json!({"name": "C"})),
    );
    let chain = chain["id"].as_str().unwrap().to_owned();
    let users = list(&server, "users");
    let alice = users[0]["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for body in [
        json!({"type": "notify_persons", "persons_to_notify": [alice, "UNOSUCHUSER1"]}),
        json!({"type": "wait", "duration": 300}),
        json!({"type": "repeat_escalation"}),
    ] {
        let mut body = body;
        body["escalation_chain_id"] = json!(chain);
        let (status, step) = call(Method::POST, "/api/v1/escalation_policies/", Some(body));
        assert_eq!(status, 201, "{step}");
        ids.push(step["id"].as_str().unwrap().to_owned());
    }
    let (_, first) = call(
        Method::GET,
        &format!("/api/v1/escalation_policies/{}", ids[0]),
        None,
    );
    assert_eq!(first["persons_to_notify"], json!([alice]));
    assert!(
        first.get("duration").is_none(),
        "only the type's fields: {first}"
    );
    call(
        Method::DELETE,
        &format!("/api/v1/escalation_policies/{}/", ids[1]),
        None,
    );
    let (_, last) = call(
        Method::GET,
        &format!("/api/v1/escalation_policies/{}/", ids[2]),
        None,
    );
    assert_eq!(last["position"], 2, "positions are not renumbered");
    let (status, body) = call(
        Method::POST,
        "/api/v1/escalation_policies/",
        Some(json!({"escalation_chain_id": chain, "type": "wait", "duration": 30})),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body["duration"].is_array(), "{body}");

    // Deleting a chain an integration routes to: 204, and the route now pages nobody.
    call(
        Method::PUT,
        &format!("/api/v1/integrations/{id}/"),
        Some(json!({"default_route": {"escalation_chain_id": chain}})),
    );
    let (status, _) = call(
        Method::DELETE,
        &format!("/api/v1/escalation_chains/{chain}/"),
        None,
    );
    assert_eq!(status, 204);
    let (_, after) = call(Method::GET, &format!("/api/v1/integrations/{id}/"), None);
    assert!(after["default_route"]["escalation_chain_id"].is_null());
    let (status, body) = call(
        Method::GET,
        &format!("/api/v1/escalation_chains/{chain}/"),
        None,
    );
    assert_eq!((status, body), (404, json!({"detail": "Not found."})));
}

#[test]
fn throttled_requests_get_oncalls_429() {
    let server = VENDOR.server(&["--rate-limit", "1"]);
    let throttled = (0..5)
        .map(|_| {
            server
                .oncall(Method::GET, "/api/v1/teams/")
                .send()
                .expect("the server answers")
        })
        .find(|r| r.status() == 429)
        .expect("the second request in a second is throttled");
    assert_eq!(throttled.headers()["retry-after"], "1");
    assert_eq!(throttled.headers()["ratelimit-reset"], "1");
    let body: Value = throttled.json().unwrap();
    assert_eq!(
        body,
        json!({"detail": "Request was throttled. Expected available in 1 seconds."})
    );
}

/// Read-only kinds are said to be so in the doc (the shared test checks every row).
#[test]
fn the_provider_doc_marks_read_only_kinds() {
    use alertform::provider::capabilities::Access;
    let doc = std::fs::read_to_string(root().join("docs/providers/grafana-oncall.md")).unwrap();
    let vendor = alertform::registry::vendor(alertform::model::ProviderName::GrafanaOncall);
    if vendor
        .capabilities
        .kinds
        .iter()
        .any(|k| matches!(k.access, Access::ReadOnly { .. }))
    {
        assert!(doc.contains("(read-only)"));
    }
}

/// OnCall has no versions: a digest of each object stands in, so a saved plan still refuses to
/// apply over a change made since it was planned.
#[test]
fn a_saved_plan_applies_and_notices_a_change_made_since() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    edit(
        &config.join("routing.toml"),
        "delay_minutes = 15",
        "delay_minutes = 20",
    );
    let file = config.join("plan.json");
    let file = file.to_str().unwrap();
    let plan = VENDOR.run(&server, "plan", path, &["--out", file]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    // Someone renames the chain in OnCall's UI in the meantime.
    let chain = by_name(&list(&server, "escalation_chains"), "Backups")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = send(
        server
            .oncall(Method::PUT, &format!("/api/v1/escalation_chains/{chain}/"))
            .json(&json!({"name": "Backups (UI)"})),
    );
    assert_eq!(status, 200);
    let apply = |file: &str| {
        alertform(&[
            "apply",
            file,
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
        ])
    };
    let stale = apply(file);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        stderr(&stale).contains("the saved plan is stale"),
        "{}",
        stderr(&stale)
    );
    let (status, _) = send(
        server
            .oncall(Method::PUT, &format!("/api/v1/escalation_chains/{chain}/"))
            .json(&json!({"name": "Backups"})),
    );
    assert_eq!(status, 200);
    let plan = VENDOR.run(&server, "plan", path, &["--out", file]);
    assert!(plan.status.success());
    let applied = apply(file);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
}

#[test]
fn a_schedule_edit_rewrites_its_shift_and_a_new_layer_remakes_it_with_steps_repointed() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let shift_id = list(&server, "on_call_shifts")[0]["id"].clone();
    let schedule_id = by_name(&list(&server, "schedules"), "SRE rotation")["id"].clone();

    edit(
        &config.join("people.toml"),
        "rotation = \"1w\"",
        "rotation = \"2w\"",
    );
    let plan = VENDOR.run(&server, "plan", path, &[]);
    assert!(
        stdout(&plan).contains("~ schedule.sre_rotation"),
        "{}",
        stdout(&plan)
    );
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let shifts = list(&server, "on_call_shifts");
    assert_eq!(shifts.len(), 1);
    assert_eq!(shifts[0]["id"], shift_id, "the shift is edited in place");
    assert_eq!(shifts[0]["interval"], 2);
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));

    // OnCall takes a web schedule's shifts only on create: a second layer remakes it.
    let people = config.join("people.toml");
    let text = std::fs::read_to_string(&people).unwrap();
    std::fs::write(
        &people,
        text + "\n[[schedule.sre_rotation.layer]]\nname = \"Holiday cover\"\nstart = \"2026-12-24T00:00:00\"\nrotation = \"1d\"\nmembers = [\"user.carol\"]\n",
    )
    .unwrap();
    let applied = VENDOR.run(&server, "apply", path, &[]);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    let schedules = list(&server, "schedules");
    assert_eq!(schedules.len(), 1);
    let remade = by_name(&schedules, "SRE rotation");
    assert_ne!(remade["id"], schedule_id);
    assert_eq!(remade["shifts"].as_array().unwrap().len(), 2);
    let pointing: Vec<Value> = list(&server, "escalation_policies")
        .into_iter()
        .filter(|s| s["type"] == "notify_on_call_from_schedule")
        .collect();
    assert_eq!(pointing.len(), 1);
    assert_eq!(
        pointing[0]["notify_on_call_from_schedule"], remade["id"],
        "the step follows"
    );
    assert_eq!(
        list(&server, "on_call_shifts").len(),
        2,
        "the old shift went with the old schedule"
    );
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));

    // A restricted layer is something OnCall cannot express: located, before any request.
    let text = std::fs::read_to_string(&people).unwrap();
    std::fs::write(
        &people,
        text + "restrict = [{ from = \"09:00\", to = \"17:00\" }]\n",
    )
    .unwrap();
    let before = server.api_requests();
    let refused = VENDOR.run(&server, "plan", path, &[]);
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    assert!(
        err.contains("`layer[1].restrict` of `schedule.sre_rotation`"),
        "{err}"
    );
    assert!(err.contains("people.toml:"), "{err}");
    assert_eq!(server.api_requests(), before);
}

#[test]
fn a_schedule_override_made_in_oncall_is_left_alone_and_mentioned() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    // Someone swaps a shift in OnCall's UI: an override shift in the schedule. The API cannot
    // add a shift to a web schedule, so the test remakes the schedule with one, as the UI would
    // hold it.
    let schedule = by_name(&list(&server, "schedules"), "SRE rotation").clone();
    let shift = list(&server, "on_call_shifts")[0]["id"].clone();
    let users = list(&server, "users");
    let (status, swap) = send(server.oncall(Method::POST, "/api/v1/on_call_shifts/").json(
        &json!({
            "name": "Swap", "type": "override", "start": "2026-12-24T09:00:00", "duration": 86_400,
            "users": [users[2]["id"]],
        }),
    ));
    assert_eq!(status, 201, "{swap}");
    let chain_steps = list(&server, "escalation_policies");
    send(server.oncall(
        Method::DELETE,
        &format!("/api/v1/schedules/{}/", schedule["id"].as_str().unwrap()),
    ));
    assert!(
        list(&server, "on_call_shifts")
            .iter()
            .all(|s| s["id"] != shift),
        "the old shift went with its schedule"
    );
    let layer = json!({
        "name": "Weekly", "type": "rolling_users", "time_zone": "Europe/London", "level": 1,
        "start": "2026-11-30T09:00:00", "rotation_start": "2026-11-30T09:00:00",
        "duration": 604_800, "frequency": "weekly", "interval": 1, "week_start": "MO",
        "rolling_users": [[by_email(&users, "alice")], [by_email(&users, "bob")]],
        "start_rotation_from_user_index": 0,
    });
    let (_, layer) = send(
        server
            .oncall(Method::POST, "/api/v1/on_call_shifts/")
            .json(&layer),
    );
    let (status, remade) = send(
        server
            .oncall(Method::POST, "/api/v1/schedules/")
            .json(&json!({
                "name": "SRE rotation", "type": "web", "time_zone": "Europe/London",
                "shifts": [layer["id"], swap["id"]],
            })),
    );
    assert_eq!(status, 201, "{remade}");
    for step in chain_steps
        .iter()
        .filter(|s| s["type"] == "notify_on_call_from_schedule")
    {
        send(
            server
                .oncall(
                    Method::PUT,
                    &format!(
                        "/api/v1/escalation_policies/{}/",
                        step["id"].as_str().unwrap()
                    ),
                )
                .json(&json!({"notify_on_call_from_schedule": remade["id"]})),
        );
    }
    let plan = VENDOR.run(&server, "plan", path, &["--detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        stdout(&plan),
        stderr(&plan)
    );
    assert!(
        stdout(&plan).contains("note: schedule `SRE rotation` has 1 override made in Grafana OnCall; plan and apply leave it alone"),
        "{}",
        stdout(&plan)
    );
}

fn by_email(users: &[Value], login: &str) -> Value {
    users
        .iter()
        .find(|u| u["username"] == login)
        .map(|u| u["id"].clone())
        .unwrap()
}

#[test]
fn plan_errors_can_be_github_annotations() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    edit(
        &config.join("people.toml"),
        "[user.carol]",
        "[user.dave]\nname = \"dave\"\nemail = \"dave@example.com\"\n\n[user.carol]",
    );
    let output = VENDOR.run(&server, "plan", path, &["--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(
        out.lines().any(|l| l.starts_with("::error file=")
            && l.contains("people.toml,line=")
            && l.contains("title=alertform plan::`user.dave` does not exist in Grafana OnCall")),
        "{out}"
    );
}

#[test]
fn export_leaves_out_what_it_cannot_name_and_says_so() {
    let server = VENDOR.server(&[]);
    let users = list(&server, "users");
    let (_, chain) = send(
        server
            .oncall(Method::POST, "/api/v1/escalation_chains/")
            .json(&json!({"name": "Made in the UI"})),
    );
    for step in [
        json!({"type": "notify_persons", "persons_to_notify": [users[0]["id"]]}),
        json!({"type": "resolve"}),
    ] {
        let mut step = step;
        step["escalation_chain_id"] = chain["id"].clone();
        let (status, body) = send(
            server
                .oncall(Method::POST, "/api/v1/escalation_policies/")
                .json(&step),
        );
        assert_eq!(status, 201, "{body}");
    }
    // A chain of nothing but a step alertform has no word for, and an integration routed to it.
    let (_, only_ui) = send(
        server
            .oncall(Method::POST, "/api/v1/escalation_chains/")
            .json(&json!({"name": "Resolve only"})),
    );
    let (status, body) = send(
        server
            .oncall(Method::POST, "/api/v1/escalation_policies/")
            .json(&json!({"type": "resolve", "escalation_chain_id": only_ui["id"]})),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = send(
        server
            .oncall(Method::POST, "/api/v1/integrations/")
            .json(&json!({
                "name": "Routed to resolve", "type": "webhook",
                "default_route": {"escalation_chain_id": only_ui["id"]},
            })),
    );
    assert_eq!(status, 201, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("exported");
    let exported = alertform(&[
        "export",
        "--provider",
        "grafana_oncall",
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(
        stderr(&exported).contains("note: left out 2 references to what alertform cannot name"),
        "{}",
        stderr(&exported)
    );
    assert!(
        stderr(&exported).contains("escalation_policy:Resolve only, integration:Routed to resolve"),
        "{}",
        stderr(&exported)
    );
    let valid = alertform(&["validate", out.to_str().unwrap()]);
    assert!(
        valid.status.success(),
        "the export is a valid config: {}",
        stderr(&valid)
    );
    // Planned against the service it came from, the stepless chain and its integration are
    // ignored, not deleted. (The mixed chain loses its `resolve` step: the known cost of an
    // export that cannot name it.)
    let plan = alertform(&[
        "plan",
        out.to_str().unwrap(),
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--format",
        "json",
    ]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let plan: Value = serde_json::from_str(&stdout(&plan)).unwrap();
    let changes = plan["changes"].as_array().unwrap();
    assert!(
        changes.iter().all(|c| c["action"] != "delete"),
        "nothing is deleted: {changes:?}"
    );
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["address"], "escalation_policy.made_in_the_ui");
}

#[test]
fn show_hides_the_link_and_inbound_email_unless_revealed() {
    let server = VENDOR.server(&[]);
    assert!(VENDOR.run(&server, "apply", EXAMPLE, &[]).status.success());
    let show = |address: &str, reveal: bool| {
        let mut args = vec![
            "show",
            address,
            "--config",
            EXAMPLE,
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
        ];
        if reveal {
            args.push("--reveal");
        }
        let output = alertform(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str::<Value>(&stdout(&output)).unwrap()
    };
    let mail = show("integration.backup_mail", false);
    assert_eq!(mail["name"], "Backup reports");
    assert_eq!(mail["inbound_email"], "(sensitive)");
    assert_eq!(
        show("integration.grafana_prod", false)["link"],
        "(sensitive)"
    );
    let revealed = show("integration.backup_mail", true);
    assert!(revealed["inbound_email"].as_str().unwrap().contains('@'));
    let chain = show("escalation_policy.sre_default", false);
    assert_eq!(chain["name"], "SRE default");
    assert!(chain["steps"].as_array().unwrap().len() >= 3, "{chain}");
}

/// One case of the engine's four behaviours: a schedule, and instants at which alertform's
/// timeline and the engine's are hand-checked.
struct EngineCase {
    what: &'static str,
    zone: &'static str,
    start: &'static str,
    rotation: &'static str,
    members: &'static [&'static str],
    /// The window for `oncall` and `final_shifts` (whole UTC days).
    window: (&'static str, &'static str),
    /// (instant, whom alertform's timeline names, whom the engine pages), users sorted.
    checks: &'static [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )],
    /// The start of the plan's warning, or `None` when the engine pages what the config says.
    warning: Option<&'static str>,
    /// Whether what the engine pages leaves an hour with nobody on call (`lint --provider`).
    gap: bool,
}

/// The four ways the real OnCall engine pages otherwise than its documentation (see
/// docs/providers/grafana-oncall.md, "Where OnCall pages differently"), each from a config that
/// triggers it, checked end to end: what the provider writes, the plan's warning, `alertform
/// oncall --provider grafana_oncall` and the emulation's `final_shifts` against timelines worked
/// out by hand, and alertform's own timeline (`--provider alertform`), which stays the correct one.
#[test]
fn the_engines_four_behaviours_are_shown_warned_and_emulated() {
    let cases = [
        EngineCase {
            what: "1: alice's first weekly turn spans the spring change, so each later one ends at 08:00 BST, an hour early",
            zone: "Europe/London",
            start: "2027-03-22T09:00:00",
            rotation: "1w",
            members: &["alice", "bob"],
            window: ("2027-03-22", "2027-04-19"),
            checks: &[
                ("2027-03-29T07:30:00Z", &["alice"], &["alice"]),
                ("2027-04-12T07:30:00Z", &["alice"], &[]),
                ("2027-04-12T08:30:00Z", &["bob"], &["bob"]),
                ("2027-04-06T07:30:00Z", &["alice"], &["alice"]),
            ],
            warning: Some("schedule `engine`: Grafana OnCall's engine will not page exactly"),
            gap: true,
        },
        EngineCase {
            what: "2: after the 23-hour day, bob's days are alice's: nobody on Sunday, both on Monday",
            zone: "America/New_York",
            start: "2027-03-13T12:00:00",
            rotation: "1d",
            members: &["alice", "bob"],
            window: ("2027-03-13", "2027-03-20"),
            checks: &[
                ("2027-03-13T18:00:00Z", &["alice"], &["alice"]),
                ("2027-03-14T18:00:00Z", &["bob"], &[]),
                ("2027-03-15T18:00:00Z", &["alice"], &["alice", "bob"]),
                ("2027-03-16T18:00:00Z", &["bob"], &[]),
            ],
            warning: Some("schedule `engine`: Grafana OnCall's engine will not page exactly"),
            gap: true,
        },
        EngineCase {
            what: "3: six-hour turns in Tokyo: rotation_start written as the true instant, so every member is on call",
            zone: "Asia/Tokyo",
            start: "2027-01-04T00:00:00",
            rotation: "6h",
            members: &["alice", "bob", "carol"],
            window: ("2027-01-03", "2027-01-06"),
            checks: &[
                ("2027-01-03T15:30:00Z", &["alice"], &["alice"]),
                ("2027-01-03T21:30:00Z", &["bob"], &["bob"]),
                ("2027-01-04T03:30:00Z", &["carol"], &["carol"]),
                ("2027-01-04T09:30:00Z", &["alice"], &["alice"]),
            ],
            warning: None,
            gap: false,
        },
        EngineCase {
            what: "4: twelve-hour turns hand off at 08:00 and 20:00 London time in the engine, at 08:00 and 20:00 UTC in alertform",
            zone: "Europe/London",
            start: "2027-03-20T08:00:00",
            rotation: "12h",
            members: &["alice", "bob"],
            window: ("2027-03-20", "2027-04-03"),
            checks: &[
                ("2027-03-27T12:00:00Z", &["alice"], &["alice"]),
                ("2027-03-28T07:30:00Z", &["bob"], &["alice"]),
                ("2027-03-30T07:30:00Z", &["bob"], &["alice"]),
                ("2027-03-30T08:30:00Z", &["alice"], &["alice"]),
            ],
            warning: Some("schedule `engine`: Grafana OnCall's engine will not page exactly"),
            gap: false,
        },
    ];
    let ts = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
    for case in &cases {
        let what = case.what;
        let server = VENDOR.server(&[]);
        let dir = tempfile::tempdir().unwrap();
        let mut config = String::from("[settings]\nprovider = \"grafana_oncall\"\n\n");
        for user in ["alice", "bob", "carol"] {
            let _ = write!(
                config,
                "[user.{user}]\nname = \"{user}\"\nemail = \"{user}@example.com\"\n\n"
            );
        }
        let members: Vec<String> = case
            .members
            .iter()
            .map(|m| format!("\"user.{m}\""))
            .collect();
        let _ = write!(
            config,
            "[schedule.engine]\nname = \"Engine\"\ntime_zone = \"{}\"\n\n[[schedule.engine.layer]]\nname = \"L\"\nstart = \"{}\"\nrotation = \"{}\"\nmembers = [{}]\n",
            case.zone,
            case.start,
            case.rotation,
            members.join(", ")
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        let path = dir.path().to_str().unwrap();

        // (b) the plan's warning, said before anything is written.
        let planned = VENDOR.run(&server, "plan", path, &[]);
        assert!(planned.status.success(), "{what}: {}", stderr(&planned));
        let said = format!("{}{}", stdout(&planned), stderr(&planned));
        match case.warning {
            Some(warning) => assert!(said.contains(warning), "{what}: {said}"),
            None => assert!(!said.contains("will not page exactly"), "{what}: {said}"),
        }
        let linted = alertform(&["lint", path, "--provider", "grafana_oncall"]);
        let said = format!("{}{}", stdout(&linted), stderr(&linted));
        assert_eq!(
            said.contains("leaves hours uncovered as Grafana OnCall pages it"),
            case.gap,
            "{what}: {said}"
        );
        let applied = VENDOR.run(&server, "apply", path, &[]);
        assert!(applied.status.success(), "{what}: {}", stderr(&applied));

        // (a) what the provider wrote: `start` the wall-clock start; `rotation_start` the
        // earlier reading of it (the true UTC instant east of UTC).
        let shifts = list(&server, "on_call_shifts");
        assert_eq!(shifts.len(), 1, "{what}");
        assert_eq!(
            shifts[0]["start"].as_str().unwrap().get(..19),
            Some(case.start),
            "{what}"
        );
        let wall: jiff::civil::DateTime = case.start.parse().unwrap();
        let utc = jiff::tz::db()
            .get(case.zone)
            .unwrap()
            .to_ambiguous_timestamp(wall)
            .compatible()
            .unwrap();
        let expected = jiff::tz::TimeZone::UTC.to_datetime(utc).min(wall);
        assert_eq!(
            shifts[0]["rotation_start"].as_str().unwrap().get(..19),
            Some(expected.strftime("%Y-%m-%dT%H:%M:%S").to_string().as_str()),
            "{what}"
        );

        // (c) oncall as alertform's timeline and as the engine pages; (d) final_shifts.
        let (from, to) = case.window;
        let to_instant = ts(&format!("{to}T00:00:00Z")) + jiff::SignedDuration::from_hours(24);
        let oncall = |provider: &str| -> Vec<(jiff::Timestamp, jiff::Timestamp, String)> {
            let output = alertform(&[
                "oncall",
                path,
                "--from",
                &format!("{from}T00:00:00Z"),
                "--to",
                &to_instant.to_string(),
                "--format",
                "json",
                "--provider",
                provider,
            ]);
            assert!(output.status.success(), "{what}: {}", stderr(&output));
            serde_json::from_str::<Vec<Value>>(&stdout(&output))
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        ts(s["start"].as_str().unwrap()),
                        ts(s["end"].as_str().unwrap()),
                        s["user"]
                            .as_str()
                            .unwrap()
                            .trim_start_matches("user.")
                            .to_owned(),
                    )
                })
                .collect()
        };
        let ours = oncall("alertform");
        let engine = oncall("grafana_oncall");
        let schedule_id = list(&server, "schedules")[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = send(server.oncall(
            Method::GET,
            &format!(
                "/api/v1/schedules/{schedule_id}/final_shifts?start_date={from}&end_date={to}"
            ),
        ));
        assert_eq!(status, 200, "{what}: {body}");
        let emulated: Vec<(jiff::Timestamp, jiff::Timestamp, String)> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    ts(s["shift_start"].as_str().unwrap()),
                    ts(s["shift_end"].as_str().unwrap()),
                    s["user_username"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let at = |shifts: &[(jiff::Timestamp, jiff::Timestamp, String)], t: &str| {
            let t = ts(t);
            let mut users: Vec<String> = shifts
                .iter()
                .filter(|(a, b, _)| *a <= t && t < *b)
                .map(|(_, _, u)| u.clone())
                .collect();
            users.sort();
            users.dedup();
            users
        };
        for (instant, alertform_says, engine_pages) in case.checks {
            assert_eq!(
                at(&ours, instant),
                *alertform_says,
                "{what}: alertform at {instant}"
            );
            assert_eq!(
                at(&engine, instant),
                *engine_pages,
                "{what}: oncall --provider grafana_oncall at {instant}"
            );
            assert_eq!(
                at(&emulated, instant),
                *engine_pages,
                "{what}: final_shifts at {instant}"
            );
        }
        // Beyond the hand-checked instants, the emulation and `oncall` agree at every half hour.
        let mut instant = ts(&format!("{from}T00:00:00Z"));
        while instant < to_instant {
            let t = instant.to_string();
            assert_eq!(at(&engine, &t), at(&emulated, &t), "{what} at {t}");
            instant += jiff::SignedDuration::from_mins(30);
        }
    }
}

/// A shift written before alertform wrote `rotation_start` as the engine reads it (equal to the
/// wall-clock `start`) makes the engine skip a member in Tokyo. The next plan says so and writes
/// it again; then the engine pages every member, and the plan after is empty.
#[test]
fn a_shift_with_an_old_rotation_start_is_written_again() {
    let server = VENDOR.server(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.toml"),
        "[settings]\nprovider = \"grafana_oncall\"\n\n[user.alice]\nname = \"alice\"\nemail = \"alice@example.com\"\n\n[user.bob]\nname = \"bob\"\nemail = \"bob@example.com\"\n\n[user.carol]\nname = \"carol\"\nemail = \"carol@example.com\"\n\n[schedule.tokyo]\nname = \"Tokyo\"\ntime_zone = \"Asia/Tokyo\"\n\n[[schedule.tokyo.layer]]\nname = \"Six hours\"\nstart = \"2027-01-04T00:00:00\"\nrotation = \"6h\"\nmembers = [\"user.alice\", \"user.bob\", \"user.carol\"]\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let shift = list(&server, "on_call_shifts")[0].clone();
    let id = shift["id"].as_str().unwrap();
    let mut old = shift.clone();
    old["rotation_start"] = json!("2027-01-04T00:00:00");
    let (status, body) = send(
        server
            .oncall(Method::PUT, &format!("/api/v1/on_call_shifts/{id}/"))
            .json(&old),
    );
    assert_eq!(status, 200, "{body}");
    let schedule = list(&server, "schedules")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_at_six = |server: &TestServer| {
        let (_, body) = send(server.oncall(
            Method::GET,
            &format!("/api/v1/schedules/{schedule}/final_shifts?start_date=2027-01-03&end_date=2027-01-04"),
        ));
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["user_username"] == "bob" && s["shift_start"] == "2027-01-03T21:00:00Z")
    };
    assert!(!bob_at_six(&server), "the old write skips bob");

    let planned = VENDOR.run(&server, "plan", path, &[]);
    let text = stdout(&planned);
    assert!(text.contains("~ schedule.tokyo"), "{text}");
    assert!(
        text.contains("layer `Six hours` of schedule `Tokyo` has a `rotation_start` that makes OnCall's engine skip members in this zone: written again"),
        "{text}"
    );
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    assert_eq!(
        list(&server, "on_call_shifts")[0]["id"],
        shift["id"],
        "the shift is kept"
    );
    assert_eq!(
        list(&server, "on_call_shifts")[0]["rotation_start"],
        "2027-01-03T15:00:00"
    );
    assert!(bob_at_six(&server), "bob is on call at 06:00 Tokyo time");
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
}

/// An apply stopped between making a schedule's shifts and the schedule leaves shifts attached
/// to nothing, which no plan shows. The next plan says so, and the apply that makes the schedule
/// takes the shift that is exactly its layer instead of making it again.
#[test]
fn a_shift_left_by_a_stopped_apply_is_taken_not_made_again() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let shift = list(&server, "on_call_shifts")[0].clone();
    let schedule = list(&server, "schedules")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) =
        send(server.oncall(Method::DELETE, &format!("/api/v1/schedules/{schedule}/")));
    assert_eq!(status, 204);
    assert!(
        list(&server, "on_call_shifts").is_empty(),
        "the schedule's shifts went with it"
    );
    // What the stopped apply left: the layer's shift, made and never attached.
    let mut body = shift.clone();
    for field in ["id", "schedule"] {
        body.as_object_mut().unwrap().remove(field);
    }
    let (status, loose) = send(
        server
            .oncall(Method::POST, "/api/v1/on_call_shifts/")
            .json(&body),
    );
    assert_eq!(status, 201, "{loose}");

    let planned = VENDOR.run(&server, "plan", path, &[]);
    assert!(
        stderr(&planned).contains("1 rolling on-call shift is attached to no schedule")
            || stdout(&planned).contains("1 rolling on-call shift is attached to no schedule"),
        "{}{}",
        stdout(&planned),
        stderr(&planned)
    );
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let shifts = list(&server, "on_call_shifts");
    assert_eq!(shifts.len(), 1, "taken, not made again: {shifts:?}");
    assert_eq!(shifts[0]["id"], loose["id"]);
    assert!(!shifts[0]["schedule"].is_null(), "now attached");
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
}
