//! Uptinio: the provider against `serve --api uptinio`, both real, over HTTP. The example applies
//! and re-plans to nothing (on the emulation and on the bundled service), SMS and Slack targets
//! are matched and never created, a fault run makes no duplicate, and the emulation speaks the
//! dialect of Uptinio's integrations reference.

use serde_json::{Value, json};

use crate::support::{
    OWNER_TOKEN, TestServer, alertform_with, root, send, stderr, stdout, vendor_server,
};

const SEED: &str = "examples/outbound-uptinio/uptinio-seed.json";
const EXAMPLE: &str = "examples/outbound-uptinio";
const HOOK: &str = "https://hooks.example.com/services/T0/B0/uptiniotoken";
const PASSWORD: &str = "uptinio-ssh-password";

fn uptinio(extra: &[&str]) -> TestServer {
    vendor_server("uptinio", SEED, extra)
}

/// `alertform ARGS` against `server` as `provider`, with the example's secrets set.
fn run(server: &TestServer, provider: &str, args: &[&str]) -> std::process::Output {
    let secrets = [("OPS_WEBHOOK_URL", HOOK), ("DB_RESTART_PASSWORD", PASSWORD)];
    crate::support::run_with_env(server, provider, args, &secrets)
}

/// The project's integrations, as the API lists them (read again when a fault knob fails it).
fn integrations(server: &TestServer) -> Vec<Value> {
    let (status, body) = (0..20)
        .map(|_| send(server.request(reqwest::Method::GET, "/api/v1/integrations")))
        .find(|(status, _)| *status != 503)
        .expect("the list answers within 20 tries");
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("a bare array").clone()
}

#[test]
fn the_example_applies_and_re_plans_to_nothing_on_the_emulation_and_the_bundled_service() {
    let server = uptinio(&[]);
    assert_eq!(integrations(&server).len(), 2, "the seeded SMS and Slack");
    let output = run(&server, "uptinio", &["apply", EXAMPLE]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(text.contains("3 to add, 0 to change"), "{text}");
    assert!(
        text.contains("note: Uptinio marks integration `Slack #alerts` (slack) not editable"),
        "{text}"
    );
    let output = run(
        &server,
        "uptinio",
        &["plan", EXAMPLE, "--detailed-exitcode"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let live = integrations(&server);
    assert_eq!(live.len(), 5);
    let webhook = live
        .iter()
        .find(|i| i["type"] == "Integrations::WebhookIntegration")
        .unwrap();
    // Uptinio names it after its URL and echoes the URL: what the service holds is the config's.
    assert_eq!(webhook["name"], HOOK);
    assert_eq!(webhook["settings"]["webhook_url"], HOOK);
    let ssh = live
        .iter()
        .find(|i| i["type"] == "Integrations::SshServerRestartIntegration")
        .unwrap();
    assert_eq!(ssh["name"], "10.0.4.12 (ops)");
    assert_eq!(
        ssh["settings"],
        json!({"ip": "10.0.4.12", "username": "ops", "password": PASSWORD, "port": 22})
    );

    // A new password: Uptinio has no update call, so the target is replaced, said without values.
    let mut all = vec!["plan", EXAMPLE];
    all.extend_from_slice(&["--endpoint", &server.url, "--token", OWNER_TOKEN]);
    let output = alertform_with(
        &root(),
        &all,
        &[
            ("OPS_WEBHOOK_URL", HOOK),
            ("DB_RESTART_PASSWORD", "rotated"),
        ],
    );
    let text = stdout(&output);
    assert!(text.contains("-/+ outbound.db_restart"), "{text}");
    assert!(text.contains("`password` (a secret) changes"), "{text}");
    assert!(
        !text.contains("rotated") && !text.contains(PASSWORD),
        "{text}"
    );

    // The same config (names are the keys there) on alertform's own service.
    let bundled = TestServer::start(&[]);
    for command in ["apply", "plan"] {
        let mut args = vec![command, EXAMPLE];
        if command == "plan" {
            args.push("--detailed-exitcode");
        }
        let output = run(&bundled, "alertform", &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}{}",
            stdout(&output),
            stderr(&output)
        );
    }
    assert_eq!(bundled.get("/api/v1/outbound").1["count"], 5);
}

#[test]
fn sms_and_slack_are_matched_never_created_and_refused_at_plan_time() {
    let server = uptinio(&[]);
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("outbound.toml");
    std::fs::write(
        &config,
        "[settings]\nprovider = \"uptinio\"\n\n[outbound.phone]\ntype = \"sms\"\nphone = \"+14155550100\"\n\n[outbound.ops]\ntype = \"slack\"\nchannel = \"#ops\"\n",
    )
    .unwrap();
    let output = run(&server, "uptinio", &["plan", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("Uptinio's API cannot create `outbound.ops`: a Slack integration is made by Slack's OAuth grant")
            && err.contains("`outbound.phone`: an SMS integration needs a code texted to the phone"),
        "{err}"
    );
    let output = run(&server, "uptinio", &["apply", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        server.requests_matching(&["method=\"POST\""]),
        0,
        "nothing was sent"
    );
    // The seeded (verified) ones are matched, and the plan would delete neither without saying.
    assert_eq!(integrations(&server).len(), 2);
}

#[test]
fn other_kinds_and_names_are_located_errors() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("org.toml");
    std::fs::write(
        &config,
        "[settings]\nprovider = \"uptinio\"\n\n[user.alice]\nname = \"Alice\"\nemail = \"alice@example.com\"\n\n[outbound.mail]\nname = \"Mailbox\"\ntype = \"email\"\naddress = \"a@example.com\"\n",
    )
    .unwrap();
    let output = alertform_with(&root(), &["validate", config.to_str().unwrap()], &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("Uptinio has no users"), "{err}");
    assert!(err.contains("org.toml:4:7]"), "{err}");
    assert!(
        err.contains("`name` of `outbound.mail`: Uptinio names an integration after its settings"),
        "{err}"
    );
    assert!(err.contains("org.toml:9:1]"), "{err}");
}

#[test]
fn a_fault_run_converges_with_no_duplicate() {
    use std::fmt::Write as _;
    let server = uptinio(&["--fail-rate", "0.15", "--fail-after-commit-rate", "0.15"]);
    let work = tempfile::tempdir().unwrap();
    let mut text = String::from("[settings]\nprovider = \"uptinio\"\n");
    let n = 30;
    for i in 0..n {
        if i % 2 == 0 {
            let _ = write!(
                text,
                "\n[outbound.mail{i}]\ntype = \"email\"\naddress = \"team{i}@example.com\"\n"
            );
        } else {
            let _ = write!(
                text,
                "\n[outbound.hook{i}]\ntype = \"webhook\"\nurl = \"https://hooks.example.com/{i}\"\n"
            );
        }
    }
    let config = work.path().join("org.toml");
    std::fs::write(&config, text).unwrap();
    let path = config.to_str().unwrap();
    let mut converged = false;
    for _ in 0..8 {
        let _ = run(&server, "uptinio", &["apply", path]);
        let output = run(&server, "uptinio", &["plan", path, "--detailed-exitcode"]);
        if output.status.code() == Some(0) {
            converged = true;
            break;
        }
    }
    assert!(converged, "apply converges through the faults");
    assert!(
        server.requests_matching(&["status=\"503\""]) > 0,
        "faults were injected"
    );
    // The seeded SMS and Slack integrations are not in this config: deleted.
    let live = integrations(&server);
    assert_eq!(live.len(), n, "no duplicate");
    let names: std::collections::BTreeSet<&str> =
        live.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), n, "no duplicate");
}

#[test]
fn the_emulation_speaks_uptinios_dialect() {
    let server = uptinio(&["-v"]);
    let client = crate::support::http_client();
    let url = |path: &str| format!("{}{path}", server.url);

    // No token, or a wrong one: 401 in the reference's words.
    let (status, body) = send(client.get(url("/api/v1/integrations")));
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthorized", "{body}");
    let (status, _) = send(
        client
            .get(url("/api/v1/integrations"))
            .bearer_auth("not-the-token"),
    );
    assert_eq!(status, 401);

    // Create: a wrapped body; the name is Uptinio's; secrets are echoed.
    let (status, created) = send(server.request(reqwest::Method::POST, "/api/v1/integrations").json(
        &json!({"integration": {"type": "Integrations::EmailIntegration", "settings": {"email": "alerts@example.com"}}}),
    ));
    assert_eq!(status, 201, "{created}");
    for field in [
        "uuid",
        "type",
        "name",
        "settings",
        "editable",
        "deletable",
        "created_at",
        "updated_at",
    ] {
        assert!(created.get(field).is_some(), "{field}: {created}");
    }
    assert_eq!(created["name"], "alerts@example.com");
    assert_eq!(created["editable"], true);
    assert!(created.get("id").is_none(), "{created}");

    // Invalid settings: 422 with the field.
    let (status, body) = send(server.request(reqwest::Method::POST, "/api/v1/integrations").json(
        &json!({"integration": {"type": "Integrations::WebhookIntegration", "settings": {"webhook_url": "not a url"}}}),
    ));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "invalid_request");
    assert!(body["errors"]["webhook_url"].is_array(), "{body}");
    let (status, body) = send(
        server
            .request(reqwest::Method::POST, "/api/v1/integrations")
            .json(
                &json!({"integration": {"type": "Integrations::SlackIntegration", "settings": {}}}),
            ),
    );
    assert_eq!(status, 422, "{body}");

    // SMS: a code first (the emulation writes it to its log, as a phone would show it).
    let (status, body) = send(
        server
            .request(
                reqwest::Method::POST,
                "/api/v1/integrations/sms/send_verification_code",
            )
            .json(&json!({})),
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("phone_number_required"))
    );
    let sms = json!({"integration": {"type": "Integrations::SmsIntegration", "settings": {"phone_number": "+14155550177", "verification_code": "000000"}}});
    let (status, _) = send(
        server
            .request(reqwest::Method::POST, "/api/v1/integrations")
            .json(&sms),
    );
    assert_eq!(status, 422, "no code sent yet");
    let (status, body) = send(
        server
            .request(
                reqwest::Method::POST,
                "/api/v1/integrations/sms/send_verification_code",
            )
            .json(&json!({"phone_number": "+14155550177"})),
    );
    assert_eq!((status, body["success"].as_bool()), (200, Some(true)));
    let code = server
        .log_line(|l| {
            l.split("ending 0177 is ")
                .nth(1)
                .map(|c| c.trim().to_owned())
        })
        .expect("the code is in the log");
    let mut with_code = sms.clone();
    with_code["integration"]["settings"]["verification_code"] = json!(code);
    let (status, made) = send(
        server
            .request(reqwest::Method::POST, "/api/v1/integrations")
            .json(&with_code),
    );
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["name"], "SMS +14155550177");
    assert!(made["settings"].get("verification_code").is_none());

    // Delete: 204; again 404; a Slack integration marked not deletable: the reference's 422.
    let path = format!("/api/v1/integrations/{}", created["uuid"].as_str().unwrap());
    let (status, _) = send(server.request(reqwest::Method::DELETE, &path));
    assert_eq!(status, 204);
    let (status, body) = send(server.request(reqwest::Method::DELETE, &path));
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("integration_not_found"))
    );
    let slack = integrations(&server)
        .into_iter()
        .find(|i| i["type"] == "Integrations::SlackIntegration")
        .unwrap();
    assert_eq!(slack["editable"], false);
    assert_eq!(slack["name"], "Example Corp #alerts");
    let (status, body) = send(
        server
            .request(
                reqwest::Method::PATCH,
                &format!("/api/v1/integrations/{}", slack["uuid"].as_str().unwrap()),
            )
            .json(&json!({"integration": {"settings": {}}})),
    );
    assert_eq!(status, 422, "{body}");
    // Faults come in the same shape.
    let busy = uptinio(&["--fail-rate", "1"]);
    let (status, body) = send(busy.request(reqwest::Method::GET, "/api/v1/integrations"));
    assert_eq!(status, 503);
    assert!(body["error"].is_string(), "{body}");
}

#[test]
fn an_undeletable_integration_stops_the_plan_by_name() {
    let work = tempfile::tempdir().unwrap();
    let seed = work.path().join("seed.json");
    std::fs::write(
        &seed,
        r##"{"integrations": [{"type": "slack", "workspace": "Acme", "channel": "#kept", "deletable": false}]}"##,
    )
    .unwrap();
    let mut server = TestServer::start(&["--api", "uptinio", "--seed", seed.to_str().unwrap()]);
    let config = work.path().join("outbound.toml");
    std::fs::write(&config, "[settings]\nprovider = \"uptinio\"\n").unwrap();
    let output = run(&server, "uptinio", &["plan", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("`outbound.slack_kept` is not in the config, so the plan would delete it, but Uptinio marks it not editable or deletable"),
        "{err}"
    );
    // Seeding again on restart does not double it.
    server.crash_and_restart(&["--api", "uptinio", "--seed", seed.to_str().unwrap()]);
    assert_eq!(integrations(&server).len(), 1);
}

#[test]
fn no_uptinio_secret_in_outputs_plan_files_or_logs() {
    let server = uptinio(&["-vv"]);
    let work = tempfile::tempdir().unwrap();
    let plan_file = work.path().join("plan.json");
    let plan_file = plan_file.to_str().unwrap();
    let mut outputs: Vec<(String, String)> = Vec::new();
    for args in [
        vec!["plan", EXAMPLE, "-vv"],
        vec!["plan", EXAMPLE, "--format", "json"],
        vec!["plan", EXAMPLE, "--format", "markdown"],
        vec!["plan", EXAMPLE, "--out", plan_file],
        vec!["apply", plan_file, "-vv"],
        vec!["show", "outbound.ops_webhook", "--config", EXAMPLE],
        vec!["show", "outbound.db_restart", "--config", EXAMPLE],
        vec!["export", "--format", "hcl"],
    ] {
        let output = run(&server, "uptinio", &args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        outputs.push((format!("{args:?} stdout"), stdout(&output)));
        outputs.push((format!("{args:?} stderr"), stderr(&output)));
    }
    outputs.push((
        "plan file".into(),
        std::fs::read_to_string(plan_file).unwrap(),
    ));
    outputs.push(("emulation log at -vv".into(), server.log()));
    // The grep means something: show does print the settings, and --reveal the secrets.
    let shown = &outputs
        .iter()
        .find(|(n, _)| n.contains("db_restart") && n.ends_with("stdout"))
        .unwrap()
        .1;
    assert!(shown.contains("\"password\": \"(sensitive)\""), "{shown}");
    let revealed = run(
        &server,
        "uptinio",
        &[
            "show",
            "outbound.db_restart",
            "--config",
            EXAMPLE,
            "--reveal",
        ],
    );
    assert!(stdout(&revealed).contains(PASSWORD));
    for (name, text) in &outputs {
        for secret in [HOOK, "uptiniotoken", PASSWORD] {
            assert!(!text.contains(secret), "{name} contains a secret:\n{text}");
        }
    }
}

#[test]
fn the_provider_doc_names_every_outbound_type() {
    let doc = std::fs::read_to_string(root().join("docs/providers/uptinio.md")).unwrap();
    for kind in alertform::model::OutboundType::ALL {
        let name = alertform::provider::uptinio::mapping::type_name(*kind);
        assert!(doc.contains(&format!("`{name}`")), "{name}");
        assert!(doc.contains(&format!("`type = \"{kind}\"`")), "{kind}");
    }
}

/// What `export` writes of an Uptinio project validates and plans to nothing: no outbound
/// `name` (Uptinio names targets after their settings, and a written name is an error).
#[test]
fn the_export_of_a_project_validates_and_plans_to_nothing() {
    let server = uptinio(&[]);
    assert!(
        run(&server, "uptinio", &["apply", EXAMPLE])
            .status
            .success()
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("exported");
    let exported = run(
        &server,
        "uptinio",
        &["export", "--out", out.to_str().unwrap()],
    );
    assert!(exported.status.success(), "{}", stderr(&exported));
    let text = std::fs::read_to_string(out.join("outbound.toml")).unwrap();
    assert!(!text.lines().any(|l| l.starts_with("name =")), "{text}");
    // Every secret is read from a variable a shell can set.
    assert!(
        text.contains("env = \"OUTBOUND_10_0_4_12_22_OPS_PASSWORD\""),
        "{text}"
    );
    let plan = alertform_with(
        &root(),
        &[
            "plan",
            out.to_str().unwrap(),
            "--detailed-exitcode",
            "--endpoint",
            &server.url,
            "--token",
            OWNER_TOKEN,
        ],
        &[
            ("OPS_WEBHOOK_URL", HOOK),
            ("DB_RESTART_PASSWORD", PASSWORD),
            ("OUTBOUND_10_0_4_12_22_OPS_PASSWORD", PASSWORD),
            ("WEBHOOK_B83674440D3D4F45_URL", HOOK),
        ],
    );
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        stdout(&plan),
        stderr(&plan)
    );
}
