//! AlertOps: the provider against `serve --api alertops`, both real, over HTTP. Renames of
//! objects that others name apply in one run, a fault run makes no duplicate, export round-trips,
//! fields alertform does not manage survive its updates, and the emulation speaks the dialect the
//! public sources describe.

use serde_json::{Value, json};

use crate::support::{alertform, copy_example, edit, send, stderr, stdout};

const QUICKSTART: &str = "examples/quickstart-alertops";
const VENDOR: crate::support::Vendor = crate::support::ALERTOPS;
const MULTI_TEAM: &str = "examples/multi-team-alertops/toml";

fn find(items: &[Value], field: &str, value: &str) -> Value {
    items
        .iter()
        .find(|i| i[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value} in {items:?}"))
        .clone()
}

#[test]
fn renames_of_a_group_and_a_policy_that_integrations_name_apply_in_one_run() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = copy_example(QUICKSTART);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let group_id = find(
        &crate::support::ALERTOPS.list(&server, "/api/v2/groups", "groups"),
        "group_name",
        "SRE",
    )["group_id"]
        .clone();
    edit(
        &config.join("people.toml"),
        "name = \"SRE\"",
        "name = \"Site Reliability\"\nrenamed_from = [\"SRE\"]",
    );
    edit(
        &config.join("routing.toml"),
        "name = \"SRE default\"",
        "name = \"SRE primary\"\nrenamed_from = [\"SRE default\"]",
    );
    let plan = VENDOR.run(&server, "plan", path, &[]);
    let text = stdout(&plan);
    // The integrations name both by name: written again, after the renames.
    for address in ["integration.grafana_prod", "integration.nightly_backup"] {
        assert!(text.contains(&format!("~ {address}")), "{text}");
    }
    assert!(text.contains("by name, renamed in this apply"), "{text}");
    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {text}"))
    };
    assert!(position("~ group.sre") < position("~ integration.grafana_prod"));
    assert!(position("~ escalation_policy.sre_default") < position("~ integration.nightly_backup"));
    let rejected_before = server.requests_matching(&["status=\"400\""]);
    let applied = VENDOR.run(&server, "apply", path, &[]);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    // AlertOps refuses a call that names an object no longer (or not yet) called so: none was.
    assert_eq!(
        server.requests_matching(&["status=\"400\""]),
        rejected_before
    );
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
    let groups = crate::support::ALERTOPS.list(&server, "/api/v2/groups", "groups");
    assert_eq!(
        find(&groups, "group_name", "Site Reliability")["group_id"],
        group_id
    );
    let integration = find(
        &crate::support::ALERTOPS.list(
            &server,
            "/api/v2/integrations/inbound",
            "inbound_integrations",
        ),
        "inbound_integration_name",
        "Grafana (prod)",
    );
    assert_eq!(integration["escalation_policy"], "SRE primary");
    assert_eq!(
        integration["recipient_groups"],
        json!(["SRE primary (escalation)", "Site Reliability"])
    );
    // The routing group followed its policy, and names the renamed group.
    let routing = find(&groups, "group_name", "SRE primary (escalation)");
    assert_eq!(
        routing["members"],
        json!([
            {"member_type": "Group", "member": "Site Reliability", "sequence": 1, "roles": ["Primary"]},
            {"member_type": "User", "member": "alice@example.com", "sequence": 2, "roles": ["Secondary"]},
        ])
    );
}

#[test]
fn the_policy_is_tiers_of_member_roles_and_its_routing_group_stays_out_of_plans() {
    let server = VENDOR.server(&[]);
    assert!(
        VENDOR
            .run(&server, "apply", QUICKSTART, &[])
            .status
            .success()
    );
    let policy = find(
        &crate::support::ALERTOPS.list(
            &server,
            "/api/v2/escalation_policies",
            "escalation_policies",
        ),
        "escalation_policy_name",
        "SRE default",
    );
    let tiers: Vec<(Value, Value)> = policy["member_roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["member_role_type"].clone(),
                t["role_wait_time_in_mins"].clone(),
            )
        })
        .collect();
    assert_eq!(
        tiers,
        [
            (json!("Primary"), json!(0)),
            (json!("Secondary"), json!(15))
        ]
    );
    // Exported, the routing group is not a group of the config, and the export plans to nothing.
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("export");
    VENDOR.export(&server, &out, "toml");
    let groups = std::fs::read_to_string(out.join("groups.toml")).unwrap();
    assert!(!groups.contains("escalation"), "{groups}");
    assert_eq!(VENDOR.plan_code(&server, out.to_str().unwrap()), Some(0));
    // A routing group dropped from an integration's recipients in AlertOps is put back.
    let integration = find(
        &crate::support::ALERTOPS.list(
            &server,
            "/api/v2/integrations/inbound",
            "inbound_integrations",
        ),
        "inbound_integration_name",
        "Grafana (prod)",
    );
    let mut changed = integration.clone();
    changed["recipient_groups"] = json!(["SRE"]);
    let id = integration["inbound_integration_id"].as_u64().unwrap();
    let (status, body) = send(
        crate::support::ALERTOPS
            .request(
                &server,
                reqwest::Method::PUT,
                &format!("/api/v2/integrations/inbound/{id}"),
            )
            .json(&changed),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(VENDOR.plan_code(&server, QUICKSTART), Some(2));
    assert!(
        VENDOR
            .run(&server, "apply", QUICKSTART, &[])
            .status
            .success()
    );
    assert_eq!(VENDOR.plan_code(&server, QUICKSTART), Some(0));
}

#[test]
fn fields_alertform_does_not_manage_survive_its_updates() {
    let server = VENDOR.server(&[]);
    let (_dir, config) = copy_example(QUICKSTART);
    let path = config.to_str().unwrap();
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    let put = |path: &str, mut object: Value, extra: Value| {
        for (k, v) in extra.as_object().unwrap() {
            object[k] = v.clone();
        }
        let (status, body) = send(
            crate::support::ALERTOPS
                .request(&server, reqwest::Method::PUT, path)
                .json(&object),
        );
        assert_eq!(status, 200, "{body}");
    };
    let alice = find(
        &crate::support::ALERTOPS.list(&server, "/api/v2/users", "users"),
        "user_name",
        "alice@example.com",
    );
    let mut methods = alice["contact_methods"].as_array().unwrap().clone();
    methods.push(json!({"contact_method_name": "Phone-Personal", "phone": {"country_code": "1", "phone_number": "4155550111"}, "enabled": true, "sequence": 3}));
    put(
        &format!("/api/v2/users/{}", alice["user_id"]),
        alice.clone(),
        json!({"locale": "de-DE", "external_id": "emp-17", "contact_methods": methods}),
    );
    let policy = find(
        &crate::support::ALERTOPS.list(
            &server,
            "/api/v2/escalation_policies",
            "escalation_policies",
        ),
        "escalation_policy_name",
        "SRE default",
    );
    let mut tiers = policy["member_roles"].clone();
    tiers[0]["no_of_retries"] = json!(3);
    put(
        &format!(
            "/api/v2/escalation_policies/{}",
            policy["escalation_policy_id"]
        ),
        policy.clone(),
        json!({"priority": "Critical", "member_roles": tiers}),
    );
    let integration = find(
        &crate::support::ALERTOPS.list(
            &server,
            "/api/v2/integrations/inbound",
            "inbound_integrations",
        ),
        "inbound_integration_name",
        "Grafana (prod)",
    );
    put(
        &format!(
            "/api/v2/integrations/inbound/{}",
            integration["inbound_integration_id"]
        ),
        integration.clone(),
        json!({"api_settings": {"is_bidirection": true}}),
    );
    assert_eq!(
        VENDOR.plan_code(&server, path),
        Some(0),
        "what alertform does not manage is no change"
    );

    // Changes to what alertform manages, in each of the three.
    edit(
        &config.join("people.toml"),
        "name = \"Alice Ng\"",
        "name = \"Alice Nguyen\"",
    );
    edit(
        &config.join("routing.toml"),
        "delay_minutes = 15",
        "delay_minutes = 20",
    );
    edit(
        &config.join("routing.toml"),
        "recipients = [\"group.sre\"]",
        "recipients = [\"group.sre\"]\nenabled = false",
    );
    let applied = VENDOR.run(&server, "apply", path, &[]);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    assert_eq!(VENDOR.plan_code(&server, path), Some(0));
    let alice = find(
        &crate::support::ALERTOPS.list(&server, "/api/v2/users", "users"),
        "user_name",
        "alice@example.com",
    );
    assert_eq!(alice["last_name"], "Nguyen");
    assert_eq!(alice["locale"], "de-DE");
    assert_eq!(alice["external_id"], "emp-17");
    assert!(
        alice["contact_methods"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["contact_method_name"] == "Phone-Personal"),
        "{alice}"
    );
    let policy = find(
        &crate::support::ALERTOPS.list(
            &server,
            "/api/v2/escalation_policies",
            "escalation_policies",
        ),
        "escalation_policy_name",
        "SRE default",
    );
    assert_eq!(policy["priority"], "Critical");
    assert_eq!(policy["member_roles"][0]["no_of_retries"], 3);
    assert_eq!(policy["member_roles"][1]["role_wait_time_in_mins"], 20);
    let integration = find(
        &crate::support::ALERTOPS.list(
            &server,
            "/api/v2/integrations/inbound",
            "inbound_integrations",
        ),
        "inbound_integration_name",
        "Grafana (prod)",
    );
    assert_eq!(integration["enabled"], false);
    assert_eq!(integration["api_settings"], json!({"is_bidirection": true}));
}

#[test]
fn a_fault_run_converges_with_no_duplicate_and_export_round_trips() {
    let server = VENDOR.server(&["--fail-rate", "0.1", "--fail-after-commit-rate", "0.05"]);
    let mut converged = false;
    for _ in 0..8 {
        let _ = VENDOR.run(&server, "apply", MULTI_TEAM, &[]);
        if VENDOR.plan_code(&server, MULTI_TEAM) == Some(0) {
            converged = true;
            break;
        }
    }
    assert!(converged, "apply converges through the faults");
    assert!(
        server.requests_matching(&["status=\"503\""]) > 0,
        "faults were injected"
    );
    let unique = |path: &str, key: &str, field: &str| {
        let items = crate::support::ALERTOPS.list(&server, path, key);
        let names: std::collections::BTreeSet<String> = items
            .iter()
            .map(|i| i[field].as_str().unwrap().to_lowercase())
            .collect();
        assert_eq!(names.len(), items.len(), "a duplicate in {key}");
        items.len()
    };
    assert_eq!(unique("/api/v2/users", "users", "user_name"), 30);
    // 7 groups, and a routing group per policy.
    assert_eq!(unique("/api/v2/groups", "groups", "group_name"), 7 + 8);
    assert_eq!(
        unique(
            "/api/v2/escalation_policies",
            "escalation_policies",
            "escalation_policy_name"
        ),
        8
    );
    assert_eq!(
        unique(
            "/api/v2/integrations/inbound",
            "inbound_integrations",
            "inbound_integration_name"
        ),
        20
    );
    for format in ["toml", "hcl"] {
        let work = tempfile::tempdir().unwrap();
        let out = work.path().join("export");
        VENDOR.export(&server, &out, format);
        let mut converged = false;
        for _ in 0..5 {
            match VENDOR.plan_code(&server, out.to_str().unwrap()) {
                Some(0) => {
                    converged = true;
                    break;
                }
                Some(1) => {} // an injected fault on a read
                other => panic!("{format} export plans changes: {other:?}"),
            }
        }
        assert!(converged, "{format} export plans to nothing");
    }
}

#[test]
fn what_alertops_cannot_hold_is_a_located_error() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("org.toml");
    std::fs::write(
        &config,
        r##"[settings]
provider = "alertops"

[user.cher]
name = "Cher"
email = "cher@example.com"
time_zone = "Europe/Amsterdam"

[schedule.rota]
name = "Rota"
time_zone = "UTC"
layer = [{ name = "L", start = "2027-01-01T00:00:00", rotation = "1w", members = ["user.cher"] }]

[escalation_policy.p]
name = "P"
repeat = 2
steps = [
  { notify = ["schedule.rota"] },
  { notify = ["user.cher"] },
  { notify = ["user.cher"] },
  { notify = ["user.cher"] },
]

[integration.chat]
name = "Chat"
channel = "chat"
template = "slack"
escalation_policy = "p"
chat_platform = "slack"
chat_channel = "#ops"

[integration.api]
name = "API"
channel = "api"
template = "opsgenie_relay"
escalation_policy = "p"

[integration.api.templates]
title = "{{ payload.title }}"
"##,
    )
    .unwrap();
    let output = alertform(&["validate", config.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    // Every problem, each with its place.
    let problems: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(
        problems.iter().all(|p| p["line"].as_u64().is_some()),
        "{problems:?}"
    );
    let err = problems
        .iter()
        .map(|p| format!("{} {}", p["file"], p["message"]))
        .collect::<Vec<_>>()
        .join("\n");
    for expected in [
        "AlertOps needs a first and a last name, and `Cher` is one word",
        "`Europe/Amsterdam` is stored as `W. Europe Standard Time`, which reads back as `Europe/Berlin`",
        "AlertOps has no schedules",
        "AlertOps policies do not repeat the whole chain",
        "so a policy has at most 3 steps, not 4",
        "step 1 notifies `schedule.rota`",
        "the API has no platform or channel field",
        "`templates.title` of `integration.api`",
        "has no template `opsgenie_relay`",
    ] {
        assert!(err.contains(expected), "{expected}:\n{err}");
    }
}

#[test]
fn a_key_without_the_role_gets_the_403_explained() {
    let work = tempfile::tempdir().unwrap();
    let seed = work.path().join("alertops-seed.json");
    std::fs::write(
        &seed,
        r#"{"users": [
             {"user_name": "ia@example.com", "first_name": "Ina", "last_name": "Admin", "roles": ["Integrations Admin"]},
             {"user_name": "basic@example.com", "first_name": "Bea", "last_name": "Basic", "roles": ["Basic"]}],
           "api_keys": [{"key": "key-of-an-integrations-admin", "user_name": "ia@example.com"},
                        {"key": "key-of-a-basic-user", "user_name": "basic@example.com"}]}"#,
    )
    .unwrap();
    let server = VENDOR.server(&["--seed", seed.to_str().unwrap()]);
    let as_key = |key: &str, command: &str| {
        alertform(&[
            command,
            QUICKSTART,
            "--endpoint",
            &server.url,
            "--token",
            key,
            "--provider",
            "alertops",
            "--auto-approve",
        ])
    };
    // Users are beyond an Integrations Admin.
    let output = as_key("key-of-an-integrations-admin", "apply");
    assert_eq!(output.status.code(), Some(1));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        text.contains("this key's user needs the App Admin or Owner role"),
        "{text}"
    );
    // The owner sets everything up; then a Basic user's key may not touch integrations.
    let (_dir, config) = copy_example(QUICKSTART);
    let path = config.to_str().unwrap();
    // The seeded users are not in the example: keep them.
    edit(
        &config.join("people.toml"),
        "provider = \"alertops\"",
        "provider = \"alertops\"\nignore = [\"user:ia@*\", \"user:basic@*\"]",
    );
    assert!(VENDOR.run(&server, "apply", path, &[]).status.success());
    edit(
        &config.join("routing.toml"),
        "name = \"Grafana (prod)\"",
        "name = \"Grafana (production)\"\nrenamed_from = [\"Grafana (prod)\"]",
    );
    let output = alertform(&[
        "apply",
        path,
        "--endpoint",
        &server.url,
        "--token",
        "key-of-a-basic-user",
        "--provider",
        "alertops",
        "--auto-approve",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        text.contains("this key's user needs the Integrations Admin, App Admin or Owner role (InboundIntegrations_GlobalAccess)"),
        "{text}"
    );
    assert!(!text.contains("key-of-a-basic-user"), "{text}");
}

#[test]
fn the_emulation_speaks_the_dialect_of_the_public_sources() {
    let server = VENDOR.server(&[]);
    let client = crate::support::http_client();
    // A missing or wrong key: 401 `{"reason": "Invalid API Key"}`.
    let (status, body) = send(client.get(format!("{}/api/v2/users", server.url)));
    assert_eq!((status, body), (401, json!({"reason": "Invalid API Key"})));
    let (status, _) = send(
        client
            .get(format!("{}/api/v2/users", server.url))
            .header("api-key", "nope"),
    );
    assert_eq!(status, 401);
    // v1's way, the `APIKey` query parameter, works too.
    let (status, body) = send(client.get(format!(
        "{}/api/v2/users?APIKey={}",
        server.url, server.token
    )));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"limit": 25, "offset": 0, "users": []}));

    // Create: integer ids; names checked; references by name must exist.
    let (status, created) = send(crate::support::ALERTOPS.request(&server, reqwest::Method::POST, "/api/v2/users").json(&json!({
        "user_name": "a@example.com", "first_name": "A", "last_name": "B", "roles": ["Basic"], "time_zone": "Central Standard Time",
    })));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["user_id"], 1);
    assert_eq!(created["locale"], "en-US");
    let (status, body) = send(
        crate::support::ALERTOPS
            .request(&server, reqwest::Method::POST, "/api/v2/users")
            .json(&json!({
                "user_name": "A@example.com", "first_name": "", "time_zone": "America/Chicago",
            })),
    );
    assert_eq!(status, 400);
    let errors: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("already exists")),
        "{body}"
    );
    assert!(
        errors.iter().any(|e| e.contains("first_name is required")),
        "{body}"
    );
    assert!(errors.iter().any(|e| e.contains("Windows names")), "{body}");
    let (status, body) = send(crate::support::ALERTOPS.request(&server, reqwest::Method::POST, "/api/v2/groups").json(&json!({
        "group_name": "G", "members": [{"member_type": "User", "member": "nobody@example.com", "sequence": 1, "roles": ["Primary"]}],
    })));
    assert_eq!(status, 400, "{body}");
    let (status, group) = send(crate::support::ALERTOPS.request(&server, reqwest::Method::POST, "/api/v2/groups").json(&json!({
        "group_name": "G", "description": "one line", "members": [{"member_type": "User", "member": "a@example.com", "sequence": 1, "roles": ["Primary"]}],
    })));
    assert_eq!(status, 201, "{group}");
    assert_eq!(group["description"], json!(["one line"]));
    let (status, body) = send(crate::support::ALERTOPS.request(&server, reqwest::Method::POST, "/api/v2/integrations/inbound").json(&json!({
        "inbound_integration_name": "I", "type": "API", "escalation_policy": "No such policy", "inbound_template_id": 1,
    })));
    assert_eq!(status, 400, "{body}");
    let (status, policy) = send(crate::support::ALERTOPS.request(&server, reqwest::Method::POST, "/api/v2/escalation_policies").json(&json!({
        "escalation_policy_name": "P", "enabled": true, "quick_launch": false, "notify_using_centralized_settings": false,
        "member_roles": [{"member_role_type": "Primary", "role_wait_time_in_mins": 0}],
    })));
    assert_eq!(status, 201, "{policy}");
    let (status, _) = send(crate::support::ALERTOPS.request(&server, reqwest::Method::POST, "/api/v2/integrations/inbound").json(&json!({
        "inbound_integration_name": "I", "type": "Email", "escalation_policy": "p", "inbound_template_id": 1,
        "recipient_groups": ["G"],
    })));
    assert_eq!(status, 201);
    // Lists: `{limit, offset, <plural>}`, `total` for policies; `limit` at most 100.
    let (_, page) = send(crate::support::ALERTOPS.request(
        &server,
        reqwest::Method::GET,
        "/api/v2/escalation_policies?limit=500",
    ));
    assert_eq!(
        (page["limit"].clone(), page["total"].clone()),
        (json!(100), json!(1))
    );
    let (_, page) = send(crate::support::ALERTOPS.request(
        &server,
        reqwest::Method::GET,
        "/api/v2/integrations/inbound",
    ));
    assert!(
        page["inbound_integrations"][0]["mail_box"]
            .as_str()
            .unwrap()
            .contains('@')
    );
    // A policy an integration names cannot be deleted; unknown ids are 404 with `errors`.
    let (status, body) = send(crate::support::ALERTOPS.request(
        &server,
        reqwest::Method::DELETE,
        "/api/v2/escalation_policies/1",
    ));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains("inbound integration I uses it")
    );
    let (status, body) =
        send(crate::support::ALERTOPS.request(&server, reqwest::Method::GET, "/api/v2/users/99"));
    assert_eq!(status, 404);
    assert!(body["errors"].is_array());
    // Faults come in the same shape.
    let busy = VENDOR.server(&["--fail-rate", "1"]);
    let (status, body) =
        send(crate::support::ALERTOPS.request(&busy, reqwest::Method::GET, "/api/v2/users"));
    assert_eq!(status, 503);
    assert!(body["errors"].is_array(), "{body}");
}

#[test]
fn the_provider_doc_names_every_tier_role() {
    let doc =
        std::fs::read_to_string(crate::support::root().join("docs/providers/alertops.md")).unwrap();
    for tier in alertform::provider::alertops::mapping::TIERS {
        assert!(doc.contains(&format!("`{tier}`")), "{tier}");
    }
}

#[test]
fn the_api_key_never_reaches_output_or_logs() {
    let server = VENDOR.server(&["-vv"]);
    let mut seen = String::new();
    for args in [
        vec!["apply", QUICKSTART, "-vv"],
        vec!["plan", QUICKSTART, "-vv", "--format", "json"],
        vec![
            "show",
            "integration.grafana_prod",
            "--config",
            QUICKSTART,
            "--reveal",
        ],
    ] {
        let mut all = args.clone();
        all.extend_from_slice(&[
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
            "--provider",
            "alertops",
            "--auto-approve",
        ]);
        if args[0] != "apply" {
            all.pop();
        }
        let output = alertform(&all);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        seen.push_str(&stdout(&output));
        seen.push_str(&stderr(&output));
    }
    seen.push_str(&server.log());
    assert!(
        seen.contains("inbound_integration_name"),
        "show printed the object"
    );
    assert!(server.log().lines().count() > 10);
    assert!(!seen.contains(&server.token), "the key leaked");
}
