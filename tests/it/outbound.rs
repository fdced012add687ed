//! Outbound targets on the bundled service: declared with secrets from the environment, planned
//! and applied, compared without their values, never printed or stored in plain text, and used:
//! an alert routed through a step that names a webhook is delivered to a real receiver.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    OWNER_TOKEN, TestServer, WebhookReceiver, alertform_with, copy_example, edit, root, stderr,
    stdout,
};

const PASSWORD: &str = "correct-horse-battery-staple";

/// `alertform ARGS` against `server` with the example's secrets in the environment.
fn run(server: &TestServer, webhook: &str, password: &str, args: &[&str]) -> std::process::Output {
    let secrets = [
        ("OPS_WEBHOOK_URL", webhook),
        ("DB_RESTART_PASSWORD", password),
    ];
    crate::support::run_with_env(server, "alertform", args, &secrets)
}

fn apply(server: &TestServer, path: &str, webhook: &str, password: &str) {
    let output = run(
        server,
        webhook,
        password,
        &["apply", path, "--auto-approve"],
    );
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
}

fn plan_is_empty(server: &TestServer, path: &str, webhook: &str, password: &str) {
    let output = run(
        server,
        webhook,
        password,
        &["plan", path, "--detailed-exitcode"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
}

/// The live outbound target called `name`.
fn target(server: &TestServer, name: &str) -> Value {
    let (status, page) = server.get("/api/v1/outbound");
    assert_eq!(status, 200, "{page}");
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no outbound target `{name}`: {page}"))
        .clone()
}

#[test]
fn the_example_applies_re_plans_to_nothing_and_a_changed_secret_is_an_update() {
    let server = TestServer::start(&[]);
    let hook = "https://hooks.example.com/services/T0/B0/firsttoken";
    apply(&server, "examples/outbound", hook, PASSWORD);
    plan_is_empty(&server, "examples/outbound", hook, PASSWORD);

    // Every type, its settings, and the secrets only as digests.
    let (_, page) = server.get("/api/v1/outbound");
    let types: std::collections::BTreeSet<&str> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["email", "slack", "sms", "ssh_restart", "webhook"].into()
    );
    let restart = target(&server, "Restart db-replica-2");
    assert_eq!(restart["settings"]["port"], 22);
    assert!(restart["settings"].get("password").is_none(), "{restart}");
    assert!(
        restart["secret_digests"]["password"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"),
        "{restart}"
    );

    // A new password: one update, said without the value.
    let output = run(
        &server,
        hook,
        "a-new-password",
        &["plan", "examples/outbound"],
    );
    let text = stdout(&output);
    assert!(text.contains("~ outbound.db_restart"), "{text}");
    assert!(
        text.contains("password = (sensitive) → (sensitive, changed)"),
        "{text}"
    );
    assert!(text.contains("0 to add, 1 to change"), "{text}");
    assert!(!text.contains("a-new-password") && !text.contains(PASSWORD));
    // The webhook's URL changed too: both in one plan, as JSON with stand-ins only.
    let output = run(
        &server,
        "https://hooks.example.com/services/T0/B0/secondtoken",
        "a-new-password",
        &["plan", "examples/outbound", "--format", "json"],
    );
    let plan: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let changed: Vec<(&str, &Value)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["address"].as_str().unwrap(), &c["changed_fields"]))
        .collect();
    assert_eq!(
        changed,
        [
            ("outbound.db_restart", &json!(["password"])),
            ("outbound.ops_webhook", &json!(["url"]))
        ],
        "{plan}"
    );
    assert!(!stdout(&output).contains("secondtoken"));

    apply(&server, "examples/outbound", hook, "a-new-password");
    plan_is_empty(&server, "examples/outbound", hook, "a-new-password");
}

#[test]
fn a_saved_plan_holds_no_secret_and_apply_reads_them_again() {
    let server = TestServer::start(&[]);
    let work = tempfile::tempdir().unwrap();
    let plan_file = work.path().join("plan.json");
    let hook = "https://hooks.example.com/services/T0/B0/savedplantoken";
    let output = run(
        &server,
        hook,
        PASSWORD,
        &[
            "plan",
            "examples/outbound",
            "--out",
            plan_file.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let saved = std::fs::read_to_string(&plan_file).unwrap();
    assert!(saved.contains("outbound.ops_webhook"), "{saved}");
    assert!(saved.contains("(sensitive)"), "{saved}");
    assert!(!saved.contains("savedplantoken") && !saved.contains(PASSWORD));

    // Without the secrets in the environment, the saved plan cannot be applied: it names what
    // is missing, where.
    let output = alertform_with(
        &root(),
        &[
            "apply",
            plan_file.to_str().unwrap(),
            "--endpoint",
            &server.url,
            "--token",
            OWNER_TOKEN,
        ],
        &[("OPS_WEBHOOK_URL", hook)],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("DB_RESTART_PASSWORD") && err.contains("outbound.toml:"),
        "{err}"
    );
    assert_eq!(server.get("/api/v1/outbound").1["count"], 0);

    // With them, it applies, and what the service holds is what the environment said.
    let output = run(
        &server,
        hook,
        PASSWORD,
        &["apply", plan_file.to_str().unwrap()],
    );
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    plan_is_empty(&server, "examples/outbound", hook, PASSWORD);
    let webhook = target(&server, "Ops incident webhook");
    let expected = alertform::model::secret_digest(webhook["id"].as_str().unwrap(), hook);
    assert_eq!(webhook["secret_digests"]["url"], expected.as_str());
}

#[test]
fn a_type_change_replaces_the_target_and_the_policy_follows() {
    let server = TestServer::start(&[]);
    let (_dir, config) = copy_example("examples/outbound");
    let path = config.to_str().unwrap();
    let hook = "https://hooks.example.com/services/T0/B0/typechange";
    apply(&server, path, hook, PASSWORD);
    let before = target(&server, "On-call mailbox")["id"].clone();
    edit(
        &config.join("outbound.toml"),
        "type = \"email\"\naddress = \"oncall@example.com\"",
        "type = \"slack\"\nchannel = \"#oncall\"",
    );
    let output = run(&server, hook, PASSWORD, &["plan", path]);
    let text = stdout(&output);
    assert!(text.contains("-/+ outbound.oncall_mailbox"), "{text}");
    assert!(
        text.contains("can only be set when the outbound target is created"),
        "{text}"
    );
    apply(&server, path, hook, PASSWORD);
    plan_is_empty(&server, path, hook, PASSWORD);
    let after = target(&server, "On-call mailbox");
    assert_ne!(after["id"], before);
    assert_eq!(after["type"], "slack");
    // The step that notified the old target notifies the new one.
    let (_, policies) = server.get("/api/v1/escalation_policies");
    let steps = &policies["results"][0]["steps"];
    assert!(
        steps[1]["notify_outbound_ids"]
            .as_array()
            .unwrap()
            .contains(&after["id"]),
        "{steps}"
    );
}

#[test]
fn targets_the_service_will_not_change_or_delete_stop_the_plan_by_name() {
    let server = TestServer::start(&[]);
    for (name, address) in [
        ("Locked", "locked@example.com"),
        ("Kept", "kept@example.com"),
    ] {
        server.create(
            "outbound",
            &json!({"name": name, "type": "email", "settings": {"address": address},
                    "editable": false, "deletable": false}),
        );
    }
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("config.toml");
    std::fs::write(
        &config,
        "[outbound.locked]\nname = \"Locked\"\ntype = \"email\"\naddress = \"changed@example.com\"\n",
    )
    .unwrap();
    // Declared as it is, the locked one is no change, and the plan says what it is.
    std::fs::write(
        &config,
        "[outbound.locked]\nname = \"Locked\"\ntype = \"email\"\naddress = \"locked@example.com\"\n\n[settings]\nignore = [\"outbound:Kept\"]\n",
    )
    .unwrap();
    let output = run(
        &server,
        "",
        "",
        &["plan", config.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("note: outbound target `Locked` is marked not editable or deletable in the service: alertform will not change or delete it"),
        "{}",
        stdout(&output)
    );
    std::fs::write(
        &config,
        "[outbound.locked]\nname = \"Locked\"\ntype = \"email\"\naddress = \"changed@example.com\"\n",
    )
    .unwrap();
    let output = run(&server, "", "", &["plan", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("`outbound.locked`") && err.contains("not editable"),
        "{err}"
    );
    assert!(
        err.contains("`outbound.kept`") && err.contains("not deletable"),
        "{err}"
    );
    // The service refuses them too, in its own words.
    let id = target(&server, "Locked")["id"].as_str().unwrap().to_owned();
    let refused = server.put(
        &format!("/api/v1/outbound/{id}"),
        &json!({"name": "Locked", "settings": {"address": "x@example.com"}}),
    );
    crate::support::assert_error(&refused, 422, "not_editable");
    let refused = server.delete(&format!("/api/v1/outbound/{id}"));
    crate::support::assert_error(&refused, 422, "not_deletable");
}

#[test]
fn the_service_checks_outbound_settings_per_type() {
    let server = TestServer::start(&[]);
    let refused = server.post(
        "/api/v1/outbound",
        &json!({"name": "Hook", "type": "webhook", "settings": {"address": "a@example.com"}}),
    );
    crate::support::assert_error(&refused, 422, "invalid_request");
    let fields = &refused.1["error"]["fields"];
    assert!(fields["settings.url"].is_string(), "{fields}");
    assert!(fields["settings.address"].is_string(), "{fields}");
    let refused = server.post(
        "/api/v1/outbound",
        &json!({"name": "Hook", "type": "webhook", "settings": {"url": "ftp://example.com/x"}}),
    );
    crate::support::assert_error(&refused, 422, "invalid_request");
    // A replace may leave a secret out: the stored one stays.
    let id = server.create(
        "outbound",
        &json!({"name": "Hook", "type": "webhook", "settings": {"url": "https://example.com/a"}}),
    );
    let digest = target(&server, "Hook")["secret_digests"]["url"].clone();
    let (status, replaced) = server.put(
        &format!("/api/v1/outbound/{id}"),
        &json!({"name": "Hook 2", "settings": {}}),
    );
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["secret_digests"]["url"], digest);
    let changed = server.put(
        &format!("/api/v1/outbound/{id}"),
        &json!({"name": "Hook 2", "type": "email", "settings": {"address": "a@example.com"}}),
    );
    crate::support::assert_error(&changed, 422, "immutable_field");
}

/// Waits until the alert's deliveries satisfy `done`, and returns them.
fn wait_for_deliveries(
    server: &TestServer,
    integration_id: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let (_, alerts) = server.get(&format!("/api/v1/integrations/{integration_id}/alerts"));
        let deliveries = alerts["results"][0]["deliveries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if done(&deliveries) {
            return deliveries;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "deliveries never settled: {alerts}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Applies the example with its webhook at `receiver`, sends one alert, and returns the
/// integration's id.
fn alert_through_the_example(server: &TestServer, hook: &str) -> String {
    apply(server, "examples/outbound", hook, PASSWORD);
    let (_, integrations) = server.get("/api/v1/integrations");
    let integration = &integrations["results"][0];
    let sent = crate::support::http_client()
        .post(integration["endpoint_url"].as_str().unwrap())
        .json(&json!({"title": "disk full", "status": "firing"}))
        .send()
        .unwrap();
    assert_eq!(sent.status().as_u16(), 202);
    integration["id"].as_str().unwrap().to_owned()
}

fn webhook_delivery(deliveries: &[Value]) -> Option<&Value> {
    deliveries
        .iter()
        .find(|d| d["outbound_name"] == "Ops incident webhook")
}

#[test]
fn an_alert_reaches_a_webhook_receiver_through_failures() {
    let server = TestServer::start(&[]);
    let hooks = WebhookReceiver::start("127.0.0.1:0", &[500, 503, 200]);
    let integration = alert_through_the_example(&server, &hooks.url);
    let deliveries = wait_for_deliveries(&server, &integration, |d| {
        webhook_delivery(d).is_some_and(|w| w["status"] != "pending")
    });
    let webhook = webhook_delivery(&deliveries).unwrap();
    assert_eq!(webhook["status"], "delivered", "{deliveries:?}");
    assert_eq!(webhook["attempts"], 3);
    assert_eq!(webhook["last_status"], 200);
    // The receiver got the same delivery three times, numbered, with the alert in it.
    let received = hooks.received();
    assert_eq!(received.len(), 3, "{received:?}");
    let ids: std::collections::BTreeSet<&str> = received
        .iter()
        .map(|r| r.header("x-alertform-delivery").unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    let attempts: Vec<&str> = received
        .iter()
        .map(|r| r.header("x-alertform-attempt").unwrap())
        .collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    assert_eq!(received[2].body["payload"]["title"], "disk full");
    assert_eq!(received[2].body["integration_id"], integration.as_str());
    assert!(received[2].path.ends_with("xoxsecretwebhooktoken"));
    // The first step also names Slack: recorded, not sent. Later steps are not due yet.
    let slack = deliveries
        .iter()
        .find(|d| d["outbound_name"] == "Slack #alerts")
        .unwrap();
    assert_eq!(slack["status"], "not_sent", "{deliveries:?}");
    let (_, alerts) = server.get(&format!("/api/v1/integrations/{integration}/alerts"));
    assert_eq!(
        alerts["results"][0]["routing"]["steps"][2]["outbound_ids"][0],
        target(&server, "Restart db-replica-2")["id"]
    );
}

#[test]
fn a_receiver_that_keeps_failing_is_retried_then_recorded_as_failed() {
    let server = TestServer::start(&[]);
    let receiver = WebhookReceiver::start("127.0.0.1:0", &[503]);
    let integration = alert_through_the_example(&server, &receiver.url);
    let deliveries = wait_for_deliveries(&server, &integration, |d| {
        webhook_delivery(d).is_some_and(|w| w["status"] != "pending")
    });
    let webhook = webhook_delivery(&deliveries).unwrap();
    assert_eq!(webhook["status"], "failed", "{deliveries:?}");
    assert_eq!(webhook["attempts"], 5);
    assert_eq!(webhook["last_status"], 503);
    assert_eq!(receiver.received().len(), 5);
    let error = webhook["last_error"].as_str().unwrap();
    assert!(!error.contains("xoxsecret"), "{error}");
}

#[test]
fn a_delivery_pending_when_the_service_dies_is_sent_after_it_restarts() {
    let mut server = TestServer::start(&[]);
    // Nothing listens on the receiver's port yet: the first attempt cannot connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let hook = format!("http://{listen}/hooks/T0000/B0000/xoxsecretwebhooktoken");
    let integration = alert_through_the_example(&server, &hook);
    let deliveries = wait_for_deliveries(&server, &integration, |d| {
        webhook_delivery(d).is_some_and(|w| w["attempts"].as_u64() >= Some(1))
    });
    let webhook = webhook_delivery(&deliveries).unwrap();
    assert_eq!(webhook["status"], "pending", "{deliveries:?}");
    assert_eq!(webhook["last_error"], "cannot connect to the receiver");

    server.crash_and_restart(&[]);
    let receiver = WebhookReceiver::start(&listen, &[200]);
    let deliveries = wait_for_deliveries(&server, &integration, |d| {
        webhook_delivery(d).is_some_and(|w| w["status"] != "pending")
    });
    assert_eq!(
        webhook_delivery(&deliveries).unwrap()["status"],
        "delivered",
        "{deliveries:?}"
    );
    assert_eq!(receiver.received().len(), 1);
}

#[test]
fn no_outbound_secret_in_outputs_plan_files_exports_logs_or_the_database() {
    let server = TestServer::start(&["-vv"]);
    let receiver = WebhookReceiver::start("127.0.0.1:0", &[200]);
    let work = tempfile::tempdir().unwrap();
    let hook = receiver.url.clone();
    let secrets = [hook.as_str(), "xoxsecretwebhooktoken", PASSWORD];
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut record = |name: &str, output: &std::process::Output| {
        outputs.push((format!("{name} stdout"), stdout(output)));
        outputs.push((format!("{name} stderr"), stderr(output)));
    };
    let plan_file = work.path().join("plan.json");
    let export = work.path().join("export");
    let steps: [(&str, Vec<&str>); 7] = [
        ("plan text", vec!["plan", "examples/outbound", "-vv"]),
        (
            "plan json",
            vec!["plan", "examples/outbound", "--format", "json"],
        ),
        (
            "plan markdown",
            vec!["plan", "examples/outbound", "--format", "markdown"],
        ),
        (
            "plan --out",
            vec![
                "plan",
                "examples/outbound",
                "--out",
                plan_file.to_str().unwrap(),
            ],
        ),
        (
            "apply plan file",
            vec!["apply", plan_file.to_str().unwrap(), "-vv"],
        ),
        ("export", vec!["export", "--out", export.to_str().unwrap()]),
        (
            "show",
            vec![
                "show",
                "outbound.ops_webhook",
                "--config",
                "examples/outbound",
                "--reveal",
            ],
        ),
    ];
    for (name, args) in &steps {
        let output = run(&server, &hook, PASSWORD, args);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        record(name, &output);
    }
    let output = run(
        &server,
        &hook,
        PASSWORD,
        &["validate", "examples/outbound", "--format", "json"],
    );
    record("validate", &output);
    // The webhook is really used, so its URL really passed through the service.
    let (_, integrations) = server.get("/api/v1/integrations");
    let integration = integrations["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::support::http_client()
        .post(integrations["results"][0]["endpoint_url"].as_str().unwrap())
        .json(&json!({"title": "disk full"}))
        .send()
        .unwrap();
    wait_for_deliveries(&server, &integration, |d| {
        webhook_delivery(d).is_some_and(|w| w["status"] == "delivered")
    });
    assert_eq!(receiver.received().len(), 1);
    let (_, alerts) = server.get(&format!("/api/v1/integrations/{integration}/alerts"));
    outputs.push(("alerts and deliveries".into(), alerts.to_string()));
    let (_, targets) = server.get("/api/v1/outbound");
    outputs.push(("outbound list".into(), targets.to_string()));
    outputs.push((
        "plan file".into(),
        std::fs::read_to_string(&plan_file).unwrap(),
    ));
    for entry in std::fs::read_dir(&export).unwrap() {
        let path = entry.unwrap().path();
        outputs.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    outputs.push(("server log at -vv".into(), server.log()));
    outputs.extend(server.data_files());
    // The grep means something: the outputs talk about the secret fields.
    let plan_text = &outputs
        .iter()
        .find(|(n, _)| n == "plan text stdout")
        .unwrap()
        .1;
    assert!(plan_text.contains("url  = (sensitive)"), "{plan_text}");
    assert!(server.log().lines().count() > 10);
    for (name, text) in &outputs {
        for secret in secrets {
            assert!(!text.contains(secret), "{name} contains a secret:\n{text}");
        }
    }
    eprintln!(
        "{} outputs checked for {} secrets",
        outputs.len(),
        secrets.len()
    );
}

#[test]
fn a_renamed_target_keeps_its_id_and_a_removed_one_is_deleted_after_the_step_drops_it() {
    let server = TestServer::start(&[]);
    let (_dir, config) = copy_example("examples/outbound");
    let path = config.to_str().unwrap();
    let hook = "https://hooks.example.com/services/T0/B0/rename";
    apply(&server, path, hook, PASSWORD);
    let id = target(&server, "Duty phone")["id"].clone();
    edit(
        &config.join("outbound.toml"),
        "name = \"Duty phone\"",
        "name = \"Night phone\"\nrenamed_from = [\"Duty phone\"]",
    );
    // The mailbox leaves the config and the step that notified it.
    edit(
        &config.join("outbound.toml"),
        "[outbound.oncall_mailbox]\nname = \"On-call mailbox\"\ntype = \"email\"\naddress = \"oncall@example.com\"\n",
        "",
    );
    edit(
        &config.join("routing.toml"),
        "\"outbound.duty_phone\", \"outbound.oncall_mailbox\"",
        "\"outbound.duty_phone\"",
    );
    let output = run(&server, hook, PASSWORD, &["plan", path]);
    let text = stdout(&output);
    assert!(text.contains("renamed from \"Duty phone\""), "{text}");
    let policy = text
        .find("~ escalation_policy.sre_default")
        .expect("the policy changes");
    let delete = text
        .find("- outbound.on_call_mailbox")
        .expect("the mailbox goes");
    assert!(
        policy < delete,
        "the step drops it before it is deleted:\n{text}"
    );
    apply(&server, path, hook, PASSWORD);
    plan_is_empty(&server, path, hook, PASSWORD);
    assert_eq!(target(&server, "Night phone")["id"], id);
    assert_eq!(server.get("/api/v1/outbound").1["count"], 4);
}
