//! Who may write what, and where secrets must never show up.

use reqwest::Method;
use serde_json::{Value, json};

use crate::server::token;
use crate::support::{OWNER_TOKEN, TestServer, alertform, assert_error, send, stderr, stdout};

/// One object of each kind, created by the owner (`server::seed`): `(collection, id, body for a
/// PUT)`.
fn seed(server: &TestServer) -> Vec<(&'static str, String, Value)> {
    let crate::server::Org {
        user,
        group,
        policy,
        integration,
    } = crate::server::seed(server);
    vec![
        (
            "users",
            user,
            json!({"name": "Alice B", "email": "alice@example.com"}),
        ),
        ("groups", group, json!({"name": "SRE 2"})),
        (
            "escalation_policies",
            policy.clone(),
            json!({"name": "Renamed", "steps": [{"notify_user_ids": []}]}),
        ),
        (
            "integrations",
            integration,
            json!({"name": "Grafana 2", "channel": "api", "template": "grafana", "escalation_policy_id": policy}),
        ),
    ]
}

#[test]
fn every_write_endpoint_refuses_callers_without_the_right() {
    let server = TestServer::start(&[]);
    let objects = seed(&server);
    let observer = token(&server, "reader", "observer");
    let integrations_admin = token(&server, "integrations-bot", "integrations_admin");
    let _victim = token(&server, "victim", "observer");

    // (method, path, body, whether integrations_admin may do it)
    let mut endpoints: Vec<(Method, String, Value, bool)> = Vec::new();
    for (collection, id, put) in &objects {
        let allowed = *collection == "integrations";
        let mut create = put.clone();
        create["name"] = json!(format!("New {collection}"));
        if *collection == "users" {
            create["email"] = json!("new@example.com");
        }
        endpoints.push((
            Method::POST,
            format!("/api/v1/{collection}"),
            create,
            allowed,
        ));
        endpoints.push((
            Method::PUT,
            format!("/api/v1/{collection}/{id}"),
            put.clone(),
            allowed,
        ));
        endpoints.push((
            Method::DELETE,
            format!("/api/v1/{collection}/{id}"),
            Value::Null,
            allowed,
        ));
    }
    endpoints.push((
        Method::POST,
        "/api/v1/tokens".into(),
        json!({"name": "sneaky", "role": "owner"}),
        false,
    ));
    endpoints.push((
        Method::DELETE,
        "/api/v1/tokens/victim".into(),
        Value::Null,
        false,
    ));
    endpoints.push((
        Method::POST,
        "/api/v1/admin/reset".into(),
        Value::Null,
        false,
    ));

    let request = |method: &Method, path: &str, body: &Value, token: Option<&str>| {
        let mut request = server.anonymous(method.clone(), path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if !body.is_null() {
            request = request.json(body);
        }
        send(request)
    };
    let mut checked = 0;
    for (method, path, body, integrations_admin_may) in &endpoints {
        let what = format!("{method} {path}");
        let none = request(method, path, body, None);
        assert_error(&none, 401, "unauthorized");
        let wrong = request(method, path, body, Some("af_wrong_token_0000000000000000"));
        assert_error(&wrong, 401, "unauthorized");
        let read_only = request(method, path, body, Some(&observer));
        assert_error(&read_only, 403, "forbidden");
        if !integrations_admin_may {
            let ia = request(method, path, body, Some(&integrations_admin));
            assert_error(&ia, 403, "forbidden");
            checked += 1;
        }
        checked += 3;
        eprintln!(
            "{what}: 401 / 401 / 403{}",
            if *integrations_admin_may {
                ""
            } else {
                " / 403"
            }
        );
    }
    assert_eq!(endpoints.len(), 15);
    assert_eq!(checked, 15 * 3 + 12);

    // Nothing was changed by any of them.
    for (collection, id, _) in &objects {
        let (status, page) = server.get(&format!("/api/v1/{collection}"));
        assert_eq!(status, 200);
        assert_eq!(page["count"], 1, "{collection}: {page}");
        let (_, object) = server.get(&format!("/api/v1/{collection}/{id}"));
        assert_eq!(
            object["version"], 1,
            "{collection} was not modified: {object}"
        );
    }
    let (_, tokens) = server.get("/api/v1/tokens");
    let names: Vec<&str> = tokens["results"]
        .as_array()
        .or(tokens.as_array())
        .expect("a token list")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names.contains(&"victim") && !names.contains(&"sneaky"),
        "{names:?}"
    );

    // A revoked token stops working on the very next request, for reads and writes.
    let (first, id, put) = &objects[3];
    let write = || {
        send(
            server
                .anonymous(Method::PUT, &format!("/api/v1/{first}/{id}"))
                .bearer_auth(&integrations_admin)
                .json(put),
        )
        .0
    };
    assert_eq!(write(), 200);
    assert_eq!(server.delete("/api/v1/tokens/integrations-bot").0, 204);
    assert_eq!(write(), 401);
    assert_eq!(
        send(
            server
                .anonymous(Method::GET, "/api/v1/users")
                .bearer_auth(&integrations_admin)
        )
        .0,
        401
    );
}

/// Every secret (tokens, integration keys, endpoint URLs) is looked for in everything alertform
/// writes: client logs at -vv, server logs at -vv, plan text/JSON/Markdown, saved plans, exports,
/// `show` without `--reveal`, error messages after a refused token, and the `SQLite` files.
#[test]
fn no_secret_in_logs_plans_plan_files_exports_or_the_database() {
    let server = TestServer::start(&["-vv"]);
    let observer = token(&server, "reader", "observer");
    let work = tempfile::tempdir().unwrap();
    let service = ["--endpoint", server.url.as_str(), "--token", OWNER_TOKEN];
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut run = |name: &str, args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend_from_slice(&service);
        all.push("-vv");
        let output = alertform(&all);
        outputs.push((format!("{name} stdout"), stdout(&output)));
        outputs.push((format!("{name} stderr"), stderr(&output)));
        output
    };
    assert!(
        run("apply", &["apply", "examples/quickstart", "--auto-approve"])
            .status
            .success()
    );

    // The secrets, read back as the owner.
    let keys = || {
        let (_, page) = server.get("/api/v1/integrations");
        let mut keys = Vec::new();
        for integration in page["results"].as_array().unwrap() {
            keys.push(integration["integration_key"].as_str().unwrap().to_owned());
            keys.push(integration["endpoint_url"].as_str().unwrap().to_owned());
        }
        keys
    };
    let mut secrets = vec![OWNER_TOKEN.to_owned(), observer.clone()];
    secrets.extend(keys());
    assert!(secrets.len() >= 2 + 2 * 2, "{secrets:?}");
    // Alerts arrive on URLs that hold the key: the server must not log those paths.
    for url in secrets.iter().filter(|s| s.starts_with("http")) {
        let sent = crate::support::http_client()
            .post(url)
            .json(&json!({"title": "disk full", "status": "firing"}))
            .send()
            .unwrap();
        assert!(sent.status().is_success(), "{url}: {}", sent.status());
    }

    // Change something, so plans show integrations being updated.
    let changed = work.path().join("changed");
    std::fs::create_dir(&changed).unwrap();
    for file in ["people.toml", "routing.toml"] {
        let text = std::fs::read_to_string(
            crate::support::root()
                .join("examples/quickstart")
                .join(file),
        )
        .unwrap()
        .replace("name = \"", "name = \"Renamed ");
        std::fs::write(changed.join(file), text).unwrap();
    }
    let changed = changed.to_str().unwrap();
    let plan_file = work.path().join("plan.json");
    let plan_file_arg = plan_file.to_str().unwrap();
    run("plan text", &["plan", changed]);
    run("plan json", &["plan", changed, "--format", "json"]);
    run("plan markdown", &["plan", changed, "--format", "markdown"]);
    run("plan --out", &["plan", changed, "--out", plan_file_arg]);
    let export_dir = work.path().join("export");
    run("export", &["export", "--out", export_dir.to_str().unwrap()]);
    run("export hcl", &["export", "--format", "hcl"]);
    let show = run(
        "show",
        &[
            "show",
            "integration.grafana_prod",
            "--config",
            "examples/quickstart",
        ],
    );
    assert!(show.status.success(), "{}", stderr(&show));
    run("apply plan file", &["apply", plan_file_arg]);

    // The renamed integrations were replaced (matched by name, no `renamed_from`): new keys.
    for key in keys() {
        if !secrets.contains(&key) {
            secrets.push(key);
        }
    }
    assert!(secrets.len() >= 2 + 4 * 2, "{secrets:?}");

    // A refused token must not be echoed back.
    let refused = alertform(&[
        "plan",
        "examples/quickstart",
        "--endpoint",
        &server.url,
        "--token",
        "af_refused_secret_token_123456",
        "-vv",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    secrets.push("af_refused_secret_token_123456".into());
    outputs.push(("refused token stderr".into(), stderr(&refused)));

    outputs.push((
        "plan file".into(),
        std::fs::read_to_string(&plan_file).unwrap(),
    ));
    for entry in std::fs::read_dir(&export_dir).unwrap() {
        let path = entry.unwrap().path();
        outputs.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    outputs.push(("server log at -vv".into(), server.log()));
    outputs.extend(server.data_files());

    // The grep is meaningful: the outputs are not empty, and `--reveal` does print a key.
    assert!(server.log().lines().count() > 10, "{}", server.log());
    let plan_json = &outputs
        .iter()
        .find(|(n, _)| n == "plan json stdout")
        .unwrap()
        .1;
    assert!(
        plan_json.contains("integration.grafana_prod"),
        "{plan_json}"
    );
    let revealed = alertform(&[
        "show",
        "integration.grafana_prod",
        "--config",
        changed,
        "--reveal",
        "--endpoint",
        &server.url,
        "--token",
        OWNER_TOKEN,
    ]);
    assert!(
        secrets[2..]
            .iter()
            .any(|s| stdout(&revealed).contains(s.as_str())),
        "{}{}",
        stdout(&revealed),
        stderr(&revealed)
    );

    for (name, text) in &outputs {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name} contains a secret:\n{text}"
            );
        }
    }
    eprintln!(
        "{} outputs checked for {} secrets",
        outputs.len(),
        secrets.len()
    );
}

#[test]
fn hostile_request_bodies_get_clear_4xx_and_strings_are_stored_literally() {
    let server = TestServer::start(&[]);
    let mut statuses = Vec::new();

    // Over 1 MiB.
    let huge = json!({"name": "x".repeat(2 << 20), "email": "big@example.com"});
    let answer = server.post("/api/v1/users", &huge);
    assert_error(&answer, 413, "payload_too_large");
    statuses.push(answer.0);

    // 10,000 ids in one list.
    let ids: Vec<String> = (0..10_000).map(|i| format!("usr_{i:020}")).collect();
    let answer = server.post(
        "/api/v1/groups",
        &json!({"name": "Many", "member_user_ids": ids}),
    );
    assert_error(&answer, 422, "invalid_request");
    statuses.push(answer.0);

    // A string over its limit, in each kind.
    let long = "y".repeat(300);
    for (collection, body) in [
        ("users", json!({"name": long, "email": "long@example.com"})),
        ("groups", json!({"name": long})),
        (
            "escalation_policies",
            json!({"name": long, "steps": [{"notify_user_ids": []}]}),
        ),
    ] {
        let answer = server.post(&format!("/api/v1/{collection}"), &body);
        assert_error(&answer, 422, "invalid_request");
        statuses.push(answer.0);
    }

    // SQL meta-characters, quotes, escapes and unicode in every string field: stored literally.
    let nasty = "Robert'); DROP TABLE users;-- \"q\" \\ % _ 🚨 ünïcödé 日本語 \u{202e}rtl";
    let user = server.create(
        "users",
        &json!({"name": nasty, "email": "o'brien+sre@example.com", "time_zone": "Europe/Berlin"}),
    );
    let group = server.create(
        "groups",
        &json!({"name": nasty, "description": nasty, "member_user_ids": [user]}),
    );
    let policy = server.create(
        "escalation_policies",
        &json!({"name": nasty, "description": nasty, "steps": [{"notify_group_ids": [group]}]}),
    );
    let integration = server.create(
        "integrations",
        &json!({"name": nasty, "channel": "email", "mailbox": "alerts'--@example.com", "template": "custom",
                "escalation_policy_id": policy,
                "templates": {"title": nasty, "message": nasty, "grouping_key": nasty}}),
    );
    for (collection, id, fields) in [
        ("users", &user, &["name"][..]),
        ("groups", &group, &["name", "description"][..]),
        ("escalation_policies", &policy, &["name", "description"][..]),
        ("integrations", &integration, &["name"][..]),
    ] {
        let (status, object) = server.get(&format!("/api/v1/{collection}/{id}"));
        assert_eq!(status, 200);
        for field in fields {
            assert_eq!(object[field], nasty, "{collection}.{field}");
        }
    }
    let (_, stored) = server.get(&format!("/api/v1/users/{user}"));
    assert_eq!(stored["email"], "o'brien+sre@example.com");
    let (_, stored) = server.get(&format!("/api/v1/integrations/{integration}"));
    assert_eq!(stored["templates"]["title"], nasty, "{stored}");
    // The users table is still there, with its one user.
    assert_eq!(server.get("/api/v1/users").1["count"], 1);

    // A page far past the end is an empty page, not an overflow (schemathesis found a 500 here).
    for path in [
        "/api/v1/groups?page=999999999999999&per_page=159",
        "/api/v1/users?page=9007199254740991&per_page=1000",
    ] {
        let (status, body) = server.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["results"], json!([]), "{path}");
    }

    // A body that is not JSON is a 400 even with a stale If-Match (schemathesis: it was a 412).
    let answer = send(
        server
            .request(Method::PUT, &format!("/api/v1/groups/{group}"))
            .header("if-match", "0")
            .header("content-type", "application/json")
            .body(vec![0u8]),
    );
    assert_error(&answer, 400, "invalid_request");
    statuses.push(answer.0);

    // Hostile query strings and paths.
    for path in [
        "/api/v1/users?page=-1",
        "/api/v1/users?page=9007199254740992",
        "/api/v1/groups?page=999999999999999999&per_page=159",
        "/api/v1/users?per_page=100000000000000000000",
        "/api/v1/users/'%20OR%201=1--",
        "/api/v1/users/%00",
        "/api/v1/nothing",
    ] {
        let (status, body) = server.get(path);
        assert!((400..500).contains(&status), "{path}: {status} {body}");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
        statuses.push(status);
    }
    assert!(
        statuses.iter().all(|s| (400..500).contains(s)),
        "{statuses:?}"
    );
}
