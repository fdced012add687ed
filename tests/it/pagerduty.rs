//! PagerDuty end to end: the real `alertform serve --api pagerduty` on 127.0.0.1:0, driven by the
//! real CLI with `--provider pagerduty`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestServer, alertform, edit, http_client, root, send, stderr, stdout};

const EXAMPLE: &str = "examples/quickstart-pagerduty";
const OWNER_EMAIL: &str = "alice@example.com";
const VENDOR: crate::support::Vendor = crate::support::PAGERDUTY;
use crate::support::by_name;

/// A request in PagerDuty's dialect: `Token token=…` and the versioned `Accept`.
fn pd(server: &TestServer, method: Method, path: &str) -> reqwest::blocking::RequestBuilder {
    crate::support::PAGERDUTY
        .request(server, method, path)
        .header("accept", "application/vnd.pagerduty+json;version=2")
}

fn integration_of(server: &TestServer, service: &str) -> Value {
    let services =
        crate::support::PAGERDUTY.list(server, "/services?include[]=integrations", "services");
    by_name(&services, service)["integrations"][0].clone()
}

#[test]
fn the_example_applies_and_replans_to_no_changes() {
    let server = VENDOR.server(&[]);
    let applied = VENDOR.run(&server, "apply", EXAMPLE, &[]);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    let out = stdout(&applied);
    assert!(out.starts_with("Using PagerDuty at http://"), "{out}");
    // The plan says which steps page a group's users instead of the group, in every format.
    let expanded = "escalation_policy.sre_default step 2 pages group users by name (expand_groups): group.sre → user.alice, user.bob";
    assert!(out.contains(&format!("note: {expanded}")), "{out}");
    let markdown = stdout(&VENDOR.run(&server, "plan", EXAMPLE, &["--format", "markdown"]));
    assert!(
        markdown.contains(&format!("> **Note:** {expanded}")),
        "{markdown}"
    );
    let json: Value = serde_json::from_str(&stdout(&VENDOR.run(
        &server,
        "plan",
        EXAMPLE,
        &["--format", "json"],
    )))
    .unwrap();
    assert_eq!(json["notes"][0], expanded);
    assert_eq!(VENDOR.plan_code(&server, EXAMPLE), Some(0));

    // What PagerDuty now holds, read through its own API.
    let users =
        crate::support::PAGERDUTY.list(&server, "/users?include[]=contact_methods", "users");
    let alice = by_name(&users, "Alice Ng");
    assert_eq!(alice["role"], "owner");
    let phone = alice["contact_methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "phone_contact_method")
        .unwrap();
    assert_eq!(
        (
            phone["type"].as_str(),
            phone["country_code"].as_u64(),
            phone["address"].as_str()
        ),
        (Some("phone_contact_method"), Some(1), Some("4155550100"))
    );
    assert_eq!(by_name(&users, "Bob Okafor")["role"], "limited_user");
    assert_eq!(by_name(&users, "Carol Schmidt")["role"], "observer");
    let teams = crate::support::PAGERDUTY.list(&server, "/teams", "teams");
    assert_eq!(
        by_name(&teams, "SRE")["description"],
        "Site reliability engineering on-call rotation"
    );
    let sre = by_name(&teams, "SRE")["id"].as_str().unwrap().to_owned();
    let members =
        crate::support::PAGERDUTY.list(&server, &format!("/teams/{sre}/members"), "members");
    assert_eq!(members.len(), 2);

    // Delays: step 2 waits 15 minutes before it runs, so rule 1 waits 15 after it; the group
    // step became its users (expand_groups).
    let policies =
        crate::support::PAGERDUTY.list(&server, "/escalation_policies", "escalation_policies");
    let policy = by_name(&policies, "SRE default");
    assert_eq!(policy["num_loops"], 1);
    let rules = policy["escalation_rules"].as_array().unwrap();
    assert_eq!(rules[0]["escalation_delay_in_minutes"], 15);
    assert_eq!(rules[0]["targets"][0]["type"], "schedule_reference");
    assert_eq!(rules[1]["targets"].as_array().unwrap().len(), 2);
    assert!(
        rules[1]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["type"] == "user_reference")
    );

    // One service per integration, each with one integration of the right kind.
    let grafana = integration_of(&server, "Grafana (prod)");
    assert_eq!(grafana["vendor"]["summary"], "Grafana");
    assert_eq!(
        integration_of(&server, "Deploy pipeline")["type"],
        "events_api_v2_inbound_integration"
    );
    let mail = integration_of(&server, "Backup reports");
    assert_eq!(mail["type"], "generic_email_inbound_integration");
    assert_eq!(
        mail["integration_email"],
        "backup-reports@example.pagerduty.com"
    );

    // The schedule: two layers, the second restricted to weekday business hours.
    let schedules = crate::support::PAGERDUTY.list(
        &server,
        "/schedules?include[]=schedule_layers",
        "schedules",
    );
    let layers = by_name(&schedules, "SRE rotation")["schedule_layers"].clone();
    assert_eq!(layers[0]["rotation_turn_length_seconds"], 604_800);
    assert_eq!(layers[0]["start"], "2026-11-30T09:00:00Z");
    assert_eq!(layers[1]["restrictions"].as_array().unwrap().len(), 5);

    // No secret the service returned leaves the provider.
    let key = grafana["integration_key"].as_str().unwrap();
    let plan = VENDOR.run(&server, "plan", EXAMPLE, &["--format", "json", "-vv"]);
    // A saved plan with a change to an integration in it.
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    edit(
        &config.join("routing.toml"),
        "name = \"Backup reports\"",
        "name = \"Backup mail\"",
    );
    let saved = config.join("plan.json");
    let planned = VENDOR.run(
        &server,
        "plan",
        config.to_str().unwrap(),
        &["--out", saved.to_str().unwrap()],
    );
    assert!(planned.status.success(), "{}", stderr(&planned));
    let saved = std::fs::read_to_string(saved).unwrap();
    assert!(
        saved.contains("Backup mail"),
        "the saved plan holds the change"
    );
    for output in [
        saved,
        stdout(&applied),
        stderr(&applied),
        stdout(&plan),
        stderr(&plan),
        server.log(),
    ] {
        assert!(!output.contains(key), "the integration key leaked");
        assert!(
            !output.contains("backup-reports@example.pagerduty.com"),
            "the integration email leaked"
        );
    }
}

#[test]
fn a_no_op_plan_reads_one_page_per_collection() {
    let server = VENDOR.server(&[]);
    assert!(VENDOR.run(&server, "apply", EXAMPLE, &[]).status.success());
    let api_reads = || -> u64 {
        [
            "/users",
            "/teams",
            "/escalation_policies",
            "/services",
            "/schedules",
            "/vendors",
        ]
        .iter()
        .map(|r| server.requests_matching(&["method=\"GET\"", &format!("route=\"{r}\"")]))
        .sum()
    };
    let before = api_reads();
    assert_eq!(VENDOR.plan_code(&server, EXAMPLE), Some(0));
    let reads = api_reads() - before;
    assert_eq!(reads, 5, "one list request per collection");
}

#[test]
fn a_rename_keeps_the_integration_key_and_a_template_change_replaces_with_a_warning() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let before = integration_of(&server, "Grafana (prod)");

    let routing = config.join("routing.toml");
    edit(
        &routing,
        "name = \"Grafana (prod)\"",
        "name = \"Grafana (production)\"\nrenamed_from = [\"Grafana (prod)\"]",
    );
    let planned = VENDOR.run(&server, "plan", path, &[]);
    let text = stdout(&planned);
    assert!(text.contains("~ integration.grafana_prod"), "{text}");
    assert!(text.contains("integration key and endpoint stay"), "{text}");
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let renamed = integration_of(&server, "Grafana (production)");
    assert_eq!(renamed["id"], before["id"]);
    assert_eq!(
        renamed["integration_key"], before["integration_key"],
        "the key survives a rename"
    );
    assert_eq!(renamed["name"], "Grafana (production)");
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));

    edit(&routing, "template = \"grafana\"", "template = \"datadog\"");
    let planned = VENDOR.run(&server, "plan", path, &[]);
    let text = stdout(&planned);
    assert!(text.contains("-/+ integration.grafana_prod"), "{text}");
    assert!(
        text.contains("the integration key and endpoint URL will change"),
        "{text}"
    );
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let replaced = integration_of(&server, "Grafana (production)");
    assert_eq!(replaced["vendor"]["summary"], "Datadog");
    assert_ne!(replaced["integration_key"], before["integration_key"]);
    let services = crate::support::PAGERDUTY.list(&server, "/services", "services");
    assert_eq!(
        services.len(),
        4,
        "the old service went with its integration"
    );
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
}

/// An apply stopped between a service and its integration leaves a service with none. The next
/// plan says so and makes the integration: an update, never a replacement with a warning that a
/// key which never existed will change.
#[test]
fn a_service_left_without_its_integration_is_finished_not_replaced() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    for name in ["Backup reports", "Deploy pipeline"] {
        let service = by_name(
            &crate::support::PAGERDUTY.list(&server, "/services", "services"),
            name,
        )
        .clone();
        let id = service["id"].as_str().unwrap();
        let (status, _) = send(pd(&server, Method::DELETE, &format!("/services/{id}")));
        assert_eq!(status, 204);
        // What the stopped apply left: the service, made, and nothing on it.
        let (status, body) = send(pd(&server, Method::POST, "/services").json(&json!({"service": {
            "type": "service", "name": name,
            "escalation_policy": {"id": service["escalation_policy"]["id"], "type": "escalation_policy_reference"},
        }})));
        assert_eq!(status, 201, "{body}");
    }
    let planned = VENDOR.run(&server, "plan", path, &[]);
    let text = stdout(&planned);
    assert!(
        text.contains("Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy."),
        "{text}"
    );
    for (address, name) in [
        ("backup_mail", "Backup reports"),
        ("custom_events", "Deploy pipeline"),
    ] {
        assert!(text.contains(&format!("~ integration.{address}")), "{text}");
        assert!(
            text.contains(&format!("service `{name}` has no integration yet (an earlier apply stopped before it): it is made now; nothing is replaced")),
            "{text}"
        );
    }
    assert!(!text.contains("will change"), "no key existed: {text}");
    assert!(!text.contains("forces replacement"), "{text}");
    let applied = VENDOR.run(&server, "apply", path, &[]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert_eq!(
        integration_of(&server, "Backup reports")["type"],
        "generic_email_inbound_integration"
    );
    assert_eq!(
        integration_of(&server, "Deploy pipeline")["type"],
        "events_api_v2_inbound_integration"
    );
    assert_eq!(
        crate::support::PAGERDUTY
            .list(&server, "/services", "services")
            .len(),
        4
    );
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
}

#[test]
fn the_account_owner_is_a_plan_error_to_delete_and_cannot_be_made() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    let people = config.join("people.toml");
    // Alice, the owner, left out of the config: the plan would delete her, which PagerDuty
    // refuses, so it is an error before any write.
    let text = std::fs::read_to_string(&people).unwrap();
    let start = text.find("[user.alice]").unwrap();
    let end = text.find("[user.bob]").unwrap();
    std::fs::write(
        &people,
        format!("{}{}", &text[..start], &text[end..])
            .replace(
                "members = [\"user.alice\", \"user.bob\"]",
                "members = [\"user.bob\"]",
            )
            .replace("[\"user.alice\", \"user.bob\"]", "[\"user.bob\"]")
            .replace("[\"user.bob\", \"user.alice\"]", "[\"user.bob\"]"),
    )
    .unwrap();
    let planned = VENDOR.run(&server, "plan", path, &[]);
    assert_eq!(planned.status.code(), Some(1), "{}", stdout(&planned));
    let err = stderr(&planned);
    assert!(
        err.contains("user.alice_ng") && err.contains("account owner"),
        "{err}"
    );
    assert!(err.contains("settings.ignore"), "{err}");
    assert_eq!(server.writes(""), 0);

    // Making Bob the owner: a preflight error, nothing written.
    let (_dir2, config) = crate::support::copy_example(EXAMPLE);
    let path = config.to_str().unwrap();
    edit(
        &config.join("people.toml"),
        "role = \"responder\"",
        "role = \"owner\"",
    );
    let applied = VENDOR.run(&server, "apply", path, &[]);
    assert_eq!(applied.status.code(), Some(1));
    assert!(
        stderr(&applied).contains("cannot make or unmake the account owner"),
        "{}",
        stderr(&applied)
    );
    assert_eq!(server.writes(""), 0);
}

#[test]
fn creating_users_without_a_from_address_is_refused_before_any_call() {
    let server = VENDOR.server(&[]);
    let applied = alertform(&[
        "apply",
        EXAMPLE,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--provider",
        "pagerduty",
        "--auto-approve",
    ]);
    assert_eq!(applied.status.code(), Some(1));
    let err = stderr(&applied);
    assert!(
        err.contains("ALERTFORM_PAGERDUTY_FROM") && err.contains("--from-email"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(server.writes(""), 0);
    // `plan` says so too, rather than promising what apply would refuse.
    let planned = alertform(&[
        "plan",
        EXAMPLE,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--provider",
        "pagerduty",
    ]);
    assert_eq!(planned.status.code(), Some(1));
    assert!(
        stderr(&planned).contains("--from-email"),
        "{}",
        stderr(&planned)
    );
}

#[test]
fn config_pagerduty_cannot_express_fails_validate_and_plan_without_a_request() {
    let server = VENDOR.server(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("org.toml");
    let mut text = std::fs::read_to_string(root().join(EXAMPLE).join("people.toml")).unwrap();
    text.push_str(
        r##"
[settings]
provider = "pagerduty"

[group.everyone]
name = "Everyone"
members = ["group.sre", "user.carol"]

[escalation_policy.bad]
name = "Bad"
steps = [
  { delay_minutes = 5, notify = ["group.sre"] },
  { notify = ["user.carol"] },
]

[integration.chat]
name = "Chat"
channel = "chat"
template = "custom"
escalation_policy = "bad"
chat_platform = "slack"
chat_channel = "#ops"
recipients = ["user.bob"]

[integration.beat]
name = "Beat"
channel = "heartbeat"
template = "custom"
escalation_policy = "bad"
interval_minutes = 10

[integration.hook]
name = "Hook"
channel = "api"
template = "custom"
escalation_policy = "bad"

[integration.hook.templates]
title = "{{ payload.title }}"
"##,
    );
    std::fs::write(&config, text).unwrap();
    let path = config.to_str().unwrap();
    let validated = alertform(&["validate", path]);
    assert_eq!(validated.status.code(), Some(1));
    // miette wraps long messages: compare words, not lines.
    let err = stderr(&validated)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "teams do not nest",
        "first rule as soon as the incident opens",
        "no wait after step 1",
        "cannot target a team",
        "expand_groups = true",
        "no chat intake",
        "no heartbeat integration",
        "no other recipients",
        "no integration templates",
    ] {
        assert!(err.contains(expected), "`{expected}` missing from:\n{err}");
    }
    assert!(err.contains("org.toml:"), "located: {err}");
    assert!(err.contains("PagerDuty cannot express this"), "{err}");
    let planned = VENDOR.run(&server, "plan", path, &[]);
    assert_eq!(planned.status.code(), Some(1));
    assert_eq!(
        server.requests_matching(&["method=\"GET\""]),
        0,
        "plan made no request"
    );
}

#[test]
fn export_writes_a_config_that_replans_to_no_changes() {
    let server = VENDOR.server(&[]);
    assert!(VENDOR.run(&server, "apply", EXAMPLE, &[]).status.success());
    let dir = tempfile::tempdir().unwrap();
    for format in ["toml", "hcl"] {
        let out = dir.path().join(format);
        let exported = alertform(&[
            "export",
            "--provider",
            "pagerduty",
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(exported.status.success(), "{}", stderr(&exported));
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
            "{format}: {}{}",
            stdout(&plan),
            stderr(&plan)
        );
    }
}

#[test]
fn apply_converges_through_failures_and_lost_answers_without_duplicates() {
    // Besides 503s before and after commit, 10 % of writes get PagerDuty's "account could not be
    // locked" 400, which the client retries (nothing was changed).
    let server = converges_without_duplicates(
        &[
            "--fail-rate",
            "0.1",
            "--fail-after-commit-rate",
            "0.05",
            "--lock-rate",
            "0.1",
        ],
        30,
    );
    assert!(
        server.requests_matching(&["status=\"400\""]) > 0,
        "account locks were injected"
    );
}

/// The issue's whole fault mix, 429s included: PagerDuty's limit is per minute, so a client
/// that spends the budget waits up to a minute for the window; slow, so run with `--ignored`.
#[test]
#[ignore = "waits for per-minute rate windows (about a minute)"]
fn apply_converges_through_faults_and_a_per_minute_rate_limit_without_duplicates() {
    converges_without_duplicates(
        &[
            "--fail-rate",
            "0.1",
            "--fail-after-commit-rate",
            "0.05",
            "--rate-limit",
            "200",
        ],
        60,
    );
}

/// A config of `n` users, `n` policies and `n` integrations beside the example's account.
fn services_config(n: usize) -> (tempfile::TempDir, String) {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "[settings]\nprovider = \"pagerduty\"\n\n[user.alice]\nname = \"Alice Ng\"\nemail = \"alice@example.com\"\nrole = \"owner\"\n",
    );
    for i in 0..n {
        let _ = write!(
            text,
            "\n[user.u{i}]\nname = \"User {i}\"\nemail = \"user{i}@example.com\"\nphone = \"+4420794601{i:02}\"\n\n[escalation_policy.p{i}]\nname = \"Policy {i}\"\nrepeat = {}\nsteps = [\n  {{ notify = [\"user.u{i}\"] }},\n  {{ delay_minutes = {}, notify = [\"user.alice\"] }},\n]\n\n[integration.i{i}]\nname = \"Service {i}\"\nchannel = \"{}\"\ntemplate = \"{}\"\nescalation_policy = \"p{i}\"\n",
            i % 3,
            10 + i,
            if i % 4 == 3 { "email" } else { "api" },
            ["custom", "datadog", "grafana", "custom"][i % 4],
        );
    }
    std::fs::write(dir.path().join("org.toml"), text).unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    (dir, path)
}

fn converges_without_duplicates(faults: &[&str], n: usize) -> TestServer {
    let server = VENDOR.server(faults);
    let (_dir, path) = services_config(n);
    let mut converged = false;
    for _ in 0..8 {
        let _ = VENDOR.run(&server, "apply", &path, &[]);
        if VENDOR.plan_code(&server, &path) == Some(0) {
            converged = true;
            break;
        }
    }
    assert!(converged, "apply converges through the faults");
    assert!(
        server.requests_matching(&["status=\"503\""]) > 0,
        "faults were injected"
    );
    let users =
        crate::support::PAGERDUTY.list(&server, "/users?include[]=contact_methods", "users");
    assert_eq!(users.len(), n + 1, "no duplicate user");
    assert!(
        users.iter().all(|u| u["contact_methods"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["type"] == "phone_contact_method")
            .count()
            <= 1),
        "no duplicate phone"
    );
    assert_eq!(
        crate::support::PAGERDUTY
            .list(&server, "/escalation_policies", "escalation_policies")
            .len(),
        n,
        "no duplicate policy"
    );
    let services =
        crate::support::PAGERDUTY.list(&server, "/services?include[]=integrations", "services");
    assert_eq!(services.len(), n, "no duplicate service");
    assert!(
        services
            .iter()
            .all(|s| s["integrations"].as_array().unwrap().len() == 1),
        "no duplicate integration"
    );
    server
}

#[test]
fn the_emulation_speaks_pagerduty_dialect() {
    let server = VENDOR.server(&["--rate-limit", "40"]);
    // A missing or wrong key: 401 in PagerDuty's error shape.
    let (status, body) = send(http_client().get(format!("{}/users", server.url)));
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"error": {"message": "Authentication failed", "code": 2006}})
    );
    let (status, _) = send(
        http_client()
            .get(format!("{}/users", server.url))
            .bearer_auth(&server.token),
    );
    assert_eq!(status, 401, "a Bearer token is not PagerDuty's scheme");

    // Paging: `limit`, `offset`, `more`, `total` only when asked; at most 100 a page.
    let (status, page) = send(pd(&server, Method::GET, "/vendors?limit=5&offset=2"));
    assert_eq!(status, 200);
    assert_eq!(
        (page["limit"].as_u64(), page["offset"].as_u64()),
        (Some(5), Some(2))
    );
    assert_eq!(page["more"], true);
    assert_eq!(page["total"], Value::Null);
    assert_eq!(page["vendors"].as_array().unwrap().len(), 5);
    let (_, page) = send(pd(&server, Method::GET, "/vendors?limit=1000&total=true"));
    assert_eq!(page["limit"], 100);
    assert!(page["total"].as_u64().unwrap() >= 10);
    let (status, body) = send(pd(&server, Method::GET, "/users?offset=9950&limit=100"));
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 2002);

    // Bodies are wrapped in the type's key; the `From` header names a user on the account.
    let user = json!({"user": {"type": "user", "name": "Dee", "email": "dee@example.com"}});
    let (status, body) = send(pd(&server, Method::POST, "/users").json(&user));
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 2001);
    assert!(
        body["error"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("From"),
        "{body}"
    );
    let (status, body) = send(
        pd(&server, Method::POST, "/users")
            .header("from", "nobody@example.com")
            .json(&user),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = send(
        pd(&server, Method::POST, "/users")
            .header("from", OWNER_EMAIL)
            .json(&json!({"type": "user", "name": "Dee", "email": "dee@example.com"})),
    );
    assert_eq!(status, 400, "an unwrapped body: {body}");
    let (status, created) = send(
        pd(&server, Method::POST, "/users")
            .header("from", OWNER_EMAIL)
            .json(&user),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["user"]["id"].as_str().unwrap();
    assert!(id.starts_with('P') && id.len() == 7, "{id}");
    assert_eq!(
        created["user"]["self"],
        format!("{}/users/{id}", server.url)
    );
    assert_eq!(
        created["user"]["html_url"],
        format!("https://example.pagerduty.com/users/{id}")
    );
    let (status, body) = send(
        pd(&server, Method::POST, "/users")
            .header("from", OWNER_EMAIL)
            .json(&user),
    );
    assert_eq!(status, 400);
    assert_eq!(body["error"]["errors"][0], "Email has already been taken");
    let (status, body) = send(pd(&server, Method::GET, "/users/PNOPE00"));
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": {"message": "Not Found", "code": 2100}})
    );

    // A rule must wait at least a minute and target users or schedules.
    let policy = json!({"escalation_policy": {"type": "escalation_policy", "name": "P",
        "escalation_rules": [{"escalation_delay_in_minutes": 0, "targets": [{"id": id, "type": "user_reference"}]}]}});
    let (status, body) = send(pd(&server, Method::POST, "/escalation_policies").json(&policy));
    assert_eq!(status, 400, "{body}");

    // The per-minute limit: ratelimit-* headers on every answer, then 429 code 2020.
    let mut limited = None;
    // Enough for 41 in one window even when the first minute ends part-way through.
    for _ in 0..100 {
        let response = pd(&server, Method::GET, "/teams").send().unwrap();
        assert!(response.headers().contains_key("ratelimit-remaining"));
        assert_eq!(response.headers()["ratelimit-limit"], "40");
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the 41st request in a minute is refused");
    assert!(
        !limited.headers().contains_key("retry-after"),
        "PagerDuty sends no Retry-After"
    );
    let reset: u64 = limited.headers()["ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&reset), "{reset}");
    let body: Value = limited.json().unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "Rate Limit Exceeded", "code": 2020}})
    );
}

#[test]
fn the_provider_doc_names_every_vendor_mapping() {
    let doc = std::fs::read_to_string(root().join("docs/providers/pagerduty.md")).unwrap();
    let capabilities =
        alertform::registry::vendor(alertform::model::ProviderName::Pagerduty).capabilities;
    for (kind, field) in capabilities.service_defaults {
        assert!(doc.contains(&format!("`{kind}.{field}`")), "{kind}.{field}");
    }
    for (slug, vendor) in alertform::provider::pagerduty::mapping::VENDORS {
        assert!(
            doc.contains(&format!("`{slug}` → {vendor}")),
            "{slug} → {vendor}"
        );
    }
}

#[test]
fn show_hides_the_integration_key_unless_revealed() {
    let server = VENDOR.server(&[]);
    assert!(VENDOR.run(&server, "apply", EXAMPLE, &[]).status.success());
    let key = integration_of(&server, "Grafana (prod)")["integration_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let show = |reveal: bool| {
        let mut args = vec![
            "show",
            "integration.grafana_prod",
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
        stdout(&output)
    };
    let hidden = show(false);
    assert!(
        hidden.contains("\"integration_key\": \"(sensitive)\""),
        "{hidden}"
    );
    assert!(!hidden.contains(&key));
    assert!(show(true).contains(&key));
}

/// PagerDuty refuses `offset + limit` past 10,000: an account with more users than that cannot
/// be read whole, and a plan from part of it would delete the rest, so plan stops and says so.
#[test]
fn a_kind_with_more_than_ten_thousand_objects_stops_the_plan_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    let users: Vec<Value> = (0..10_001)
        .map(|i| json!({"name": format!("User {i}"), "email": format!("user{i}@example.com")}))
        .collect();
    std::fs::write(&seed, json!({"users": users}).to_string()).unwrap();
    let server = TestServer::start(&["--api", "pagerduty", "--seed", seed.to_str().unwrap()]);
    let planned = VENDOR.run(&server, "plan", EXAMPLE, &[]);
    assert_eq!(planned.status.code(), Some(1), "{}", stdout(&planned));
    let err = stderr(&planned);
    assert!(
        err.contains("10002 users") && err.contains("at most 10000"),
        "{err}"
    );
    assert!(
        !stdout(&planned).contains("to destroy"),
        "no plan is printed"
    );
}

/// Services (and escalation policies) list sorted by name, so a list longer than PagerDuty's
/// 10,000 window is read from both ends: 10,200 services plan to no changes. Slow (an apply of
/// 17,000 objects), so run with `--ignored`.
#[test]
#[ignore = "applies a 17,000-object org (about a minute in release)"]
fn more_than_ten_thousand_services_are_read_from_both_ends() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("org");
    crate::support::generate(&config, 17_000, &["--provider", "pagerduty"]);
    let seed = config.join("pagerduty-seed.json");
    let server = TestServer::start(&["--api", "pagerduty", "--seed", seed.to_str().unwrap()]);
    let path = config.to_str().unwrap();
    let cli = |command: &str, extra: &[&str]| {
        let mut args = vec![
            command,
            path,
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
            "--from-email",
            "user0@example.com",
        ];
        args.extend_from_slice(extra);
        alertform(&args)
    };
    let applied = cli("apply", &["--auto-approve"]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let (status, first) = send(pd(&server, Method::GET, "/services?limit=1&total=true"));
    assert_eq!((status, first["total"].as_u64()), (200, Some(10_200)));
    let planned = cli("plan", &["--detailed-exitcode"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{}{}",
        stdout(&planned),
        stderr(&planned)
    );
}

/// A PagerDuty layer in PagerDuty's own shape: `start` and `rotation_virtual_start` at `start`,
/// turns of `turn` seconds over `users` (ids), and its restrictions.
fn pd_layer(name: &str, start: &str, turn: u64, users: &[&str], restrictions: Vec<Value>) -> Value {
    json!({
        "name": name, "start": start, "rotation_virtual_start": start,
        "rotation_turn_length_seconds": turn,
        "users": users.iter().map(|u| json!({"user": {"id": u, "type": "user_reference"}})).collect::<Vec<_>>(),
        "restrictions": Value::Array(restrictions),
    })
}

fn weekly(day: u8, at: &str, seconds: u64) -> Value {
    json!({"type": "weekly_restriction", "start_day_of_week": day, "start_time_of_day": at, "duration_seconds": seconds})
}

fn daily(at: &str, seconds: u64) -> Value {
    json!({"type": "daily_restriction", "start_time_of_day": at, "duration_seconds": seconds})
}

/// Schedules of every shape PagerDuty's API documents, made in PagerDuty's own bodies: daily
/// and weekly restrictions of every length up to a week (PagerDuty's weekday shape "Monday
/// 00:00 for five days", a Friday-evening-to-Monday weekend, whole days, one across midnight),
/// several per layer, turns of 7 and 12 hours, 1, 2 and 3 days, 1 and 3 weeks, phases apart from
/// the layers' starts, a layer not yet begun, and layers that have ended. `export` holds each exactly: the export
/// re-plans to no changes, and `alertform oncall` over eight weeks (across both DST changes)
/// names whom the emulation's `final_schedule` names, at every half hour. A layer alertform
/// cannot hold (one that will end) makes the export incomplete: named, never written, exit 3.
#[test]
fn pagerduty_schedules_of_every_shape_export_exactly_and_page_as_pagerduty_does() {
    let server = VENDOR.server(&[]);
    let mut ids = Vec::new();
    for (name, email) in [("Bob", "bob"), ("Carol", "carol"), ("Dan", "dan")] {
        let (status, body) = send(
            pd(&server, Method::POST, "/users")
                .header("from", OWNER_EMAIL)
                .json(&json!({"user": {"type": "user", "name": name, "email": format!("{email}@example.com")}})),
        );
        assert_eq!(status, 201, "{body}");
        ids.push(body["user"]["id"].as_str().unwrap().to_owned());
    }
    let (b, c, d) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    let t0 = "2026-11-30T09:00:00Z";
    let shapes = [
        (
            "Weekdays",
            "America/New_York",
            vec![
                pd_layer(
                    "Weekly",
                    "2026-11-02T14:00:00Z",
                    604_800,
                    &[b, c, d],
                    vec![],
                ),
                pd_layer(
                    "Weekdays",
                    t0,
                    86_400,
                    &[c, d],
                    vec![weekly(1, "00:00:00", 432_000)],
                ),
            ],
        ),
        (
            "Weekend",
            "Europe/London",
            vec![
                pd_layer("Base", t0, 3 * 86_400, &[b, c], vec![]),
                pd_layer(
                    "Weekend",
                    t0,
                    25_200,
                    &[d, b, c],
                    vec![weekly(5, "18:00:00", 237_600)],
                ),
            ],
        ),
        (
            "Nights and days",
            "Australia/Sydney",
            vec![
                pd_layer(
                    "Nights",
                    "2026-11-29T11:00:00Z",
                    43_200,
                    &[b, d],
                    vec![daily("22:00:00", 36_000)],
                ),
                pd_layer(
                    "Office",
                    t0,
                    3 * 604_800,
                    &[c, b],
                    vec![
                        weekly(1, "09:00:00", 28_800),
                        weekly(3, "09:00:00", 28_800),
                        weekly(5, "09:00:00", 28_800),
                    ],
                ),
            ],
        ),
        (
            "Whole days",
            "UTC",
            vec![
                pd_layer(
                    "All week",
                    t0,
                    86_400,
                    &[b, c, d],
                    vec![weekly(2, "06:00:00", 604_800)],
                ),
                pd_layer(
                    "Sat and Sun",
                    t0,
                    604_800,
                    &[d, c],
                    vec![weekly(6, "00:00:00", 86_400), weekly(7, "00:00:00", 86_400)],
                ),
                pd_layer(
                    "Tue to Thu noon",
                    t0,
                    86_400,
                    &[c],
                    vec![weekly(2, "12:00:00", 172_800)],
                ),
            ],
        ),
        (
            "Not yet",
            "America/New_York",
            vec![
                pd_layer("Base", t0, 604_800, &[b, c], vec![]),
                pd_layer(
                    "From mid-March",
                    "2027-03-15T13:00:00Z",
                    2 * 86_400,
                    &[d, b],
                    vec![daily("09:00:00", 28_800)],
                ),
            ],
        ),
        ("History", "Europe/Berlin", {
            let mut ended = pd_layer("Old", "2026-09-01T08:00:00Z", 86_400, &[b], vec![]);
            ended["end"] = json!("2026-11-01T08:00:00Z");
            vec![
                ended,
                pd_layer(
                    "Now",
                    "2026-09-01T08:00:00Z",
                    604_800,
                    &[c, d],
                    vec![daily("08:00:00", 43_200)],
                ),
            ]
        }),
    ];
    let mut schedule_ids = Vec::new();
    for (name, zone, layers) in &shapes {
        let (status, body) = send(pd(&server, Method::POST, "/schedules").json(
            &json!({"schedule": {
                "type": "schedule", "name": name, "time_zone": zone, "schedule_layers": layers,
            }}),
        ));
        assert_eq!(status, 201, "{name}: {body}");
        schedule_ids.push((*name, body["schedule"]["id"].as_str().unwrap().to_owned()));
    }

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    let export_to = |out: &std::path::Path| {
        let mut args = vec![
            "export",
            "--out",
            out.to_str().unwrap(),
            "--endpoint",
            &server.url,
        ];
        args.extend(["--token", &server.token, "--provider", "pagerduty"]);
        alertform(&args)
    };
    let exported = export_to(&out);
    let said = stderr(&exported);
    assert_eq!(exported.status.code(), Some(0), "{said}");
    assert!(
        said.contains("schedule `History`: layer `Old` ended at 2026-11-01"),
        "{said}"
    );
    let text = std::fs::read_to_string(out.join("schedules.toml")).unwrap();
    assert!(!text.contains("cannot express"), "no look-alike: {text}");
    assert!(
        text.contains(
            "days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], from = \"00:00\", to = \"00:00\""
        ),
        "{text}"
    );
    let path = out.to_str().unwrap();
    assert_eq!(
        VENDOR.plan_code(&server, path),
        Some(0),
        "{}",
        stdout(&VENDOR.run(&server, "plan", path, &[]))
    );

    // Who alertform says each schedule pages, against the emulation's final schedule.
    let (_, model) = alertform::config::load(&out).expect("the export is valid");
    let email_of_key: std::collections::HashMap<String, String> = model
        .users
        .iter()
        .map(|(key, u)| (format!("user.{key}"), u.email.clone()))
        .collect();
    let email_of_id: std::collections::HashMap<String, String> = crate::support::PAGERDUTY
        .list(&server, "/users", "users")
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_owned(),
                u["email"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let (from, to) = ("2027-03-01T00:00:00Z", "2027-04-26T00:00:00Z");
    let ours = alertform(&[
        "oncall",
        path,
        "--from",
        from,
        "--to",
        to,
        "--format",
        "json",
        "--provider",
        "pagerduty",
    ]);
    assert!(ours.status.success(), "{}", stderr(&ours));
    let ours: Vec<Value> = serde_json::from_str(&stdout(&ours)).unwrap();
    let ts = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
    for (name, id) in &schedule_ids {
        let key = model
            .schedules
            .iter()
            .find(|(_, s)| s.name == *name)
            .map(|(k, _)| format!("schedule.{k}"))
            .unwrap();
        let (status, body) = send(pd(
            &server,
            Method::GET,
            &format!("/schedules/{id}?since={from}&until={to}"),
        ));
        assert_eq!(status, 200, "{body}");
        let theirs: Vec<(jiff::Timestamp, jiff::Timestamp, String)> =
            body["schedule"]["final_schedule"]["rendered_schedule_entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        ts(e["start"].as_str().unwrap()),
                        ts(e["end"].as_str().unwrap()),
                        email_of_id[e["user"]["id"].as_str().unwrap()].clone(),
                    )
                })
                .collect();
        let (mut instant, mut compared, mut paged) = (ts(from), 0, 0);
        while instant < ts(to) {
            let alertform_pages: Vec<&String> = ours
                .iter()
                .filter(|s| {
                    s["schedule"] == key.as_str()
                        && ts(s["start"].as_str().unwrap()) <= instant
                        && instant < ts(s["end"].as_str().unwrap())
                })
                .map(|s| &email_of_key[s["user"].as_str().unwrap()])
                .collect();
            let pagerduty_pages: Vec<&String> = theirs
                .iter()
                .filter(|(a, b, _)| *a <= instant && instant < *b)
                .map(|(_, _, who)| who)
                .collect();
            assert_eq!(alertform_pages, pagerduty_pages, "{name} at {instant}");
            compared += 1;
            paged += usize::from(!pagerduty_pages.is_empty());
            instant += jiff::SignedDuration::from_mins(30);
        }
        assert_eq!(compared, 56 * 48, "{name}");
        assert!(paged > 0, "{name} pages someone");
    }

    // An override made in PagerDuty is named in the plan and left alone.
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let (status, body) = send(
        pd(&server, Method::POST, &format!("/schedules/{}/overrides", schedule_ids[0].1)).json(
            &json!({"overrides": [{"start": soon.to_string(), "end": (soon + jiff::SignedDuration::from_hours(8)).to_string(),
                "user": {"id": b, "type": "user_reference"}}]}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    let planned = VENDOR.run(&server, "plan", path, &["--detailed-exitcode"]);
    assert_eq!(planned.status.code(), Some(0), "{}", stdout(&planned));
    let said = format!("{}{}", stdout(&planned), stderr(&planned));
    assert!(
        said.contains("schedule `Weekdays` has 1 override made in PagerDuty"),
        "{said}"
    );

    // A layer that will end cannot be held: named, left to the service, exit 3.
    let mut ending = pd_layer("Until spring", t0, 86_400, &[b, c], vec![]);
    ending["end"] = json!("2027-04-01T00:00:00Z");
    let (status, body) = send(pd(&server, Method::POST, "/schedules").json(&json!({"schedule": {
        "type": "schedule", "name": "Temporary", "time_zone": "UTC", "schedule_layers": [ending],
    }})));
    assert_eq!(status, 201, "{body}");
    let again = dir.path().join("again");
    let exported = export_to(&again);
    let said = stderr(&exported);
    assert_eq!(exported.status.code(), Some(3), "{said}");
    assert!(said.contains("error: cannot export schedule `Temporary`: layer `Until spring`: it stops paging at 2027-04-01T00:00:00Z"), "{said}");
    assert!(said.contains("the export is incomplete"), "{said}");
    let text = std::fs::read_to_string(again.join("schedules.toml")).unwrap();
    assert!(!text.contains("Temporary"), "{text}");
    let settings = std::fs::read_to_string(again.join("settings.toml")).unwrap();
    assert!(settings.contains("schedule:Temporary"), "{settings}");
    assert_eq!(VENDOR.plan_code(&server, again.to_str().unwrap()), Some(0));
}

/// A schedule create whose answer is lost is looked for by name, and PagerDuty's `query` matches
/// substrings: with 120 schedules whose names contain "Rota 1" made before it, the lost one is on
/// the second page of the search. It is found there, not made again.
#[test]
fn a_lost_schedule_create_is_found_past_the_first_page_of_the_search() {
    let server = VENDOR.server(&["--fail-after-commit-rate", "1"]);
    let alice = crate::support::PAGERDUTY.list(&server, "/users", "users")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in 0..120 {
        // Every write's answer is lost here; the write itself is made.
        let (status, _) = send(pd(&server, Method::POST, "/schedules").json(&json!({"schedule": {
            "type": "schedule", "name": format!("Rota 1{n}"), "time_zone": "UTC",
            "schedule_layers": [pd_layer("L", "2026-11-30T09:00:00Z", 86_400, &[&alice], vec![])],
        }})));
        assert_eq!(status, 503);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rota.toml"),
        "[settings]\nprovider = \"pagerduty\"\nignore = [\"schedule:Rota 1?*\"]\n\n[user.alice]\nname = \"Alice Ng\"\nemail = \"alice@example.com\"\nrole = \"owner\"\ntime_zone = \"America/Los_Angeles\"\nphone = \"+14155550100\"\n\n[schedule.rota]\nname = \"Rota 1\"\ntime_zone = \"UTC\"\n\n[[schedule.rota.layer]]\nname = \"L\"\nstart = \"2026-11-30T09:00:00\"\nrotation = \"1d\"\nmembers = [\"user.alice\"]\n",
    )
    .unwrap();
    let applied = VENDOR.run(&server, "apply", dir.path().to_str().unwrap(), &[]);
    let made: Vec<Value> = crate::support::PAGERDUTY
        .list(&server, "/schedules", "schedules")
        .into_iter()
        .filter(|s| s["name"] == "Rota 1")
        .collect();
    assert_eq!(
        made.len(),
        1,
        "made once: {}{}",
        stdout(&applied),
        stderr(&applied)
    );
}
