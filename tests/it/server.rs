//! The bundled service over real TCP: every endpoint, every error code, the role matrix, paging
//! edges, integrity rules, idempotency, concurrency, faults, durability and secrets at rest.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{OWNER_TOKEN, TestServer, assert_error, send};

/// A user, a group with them, a policy paging the group, and an API integration.
pub struct Org {
    pub user: String,
    pub group: String,
    pub policy: String,
    pub integration: String,
}

pub fn seed(server: &TestServer) -> Org {
    let user = server.create(
        "users",
        &json!({"name": "Alice", "email": "alice@example.com"}),
    );
    let group = server.create("groups", &json!({"name": "SRE", "member_user_ids": [user]}));
    let policy = server.create(
        "escalation_policies",
        &json!({"name": "SRE default", "steps": [{"notify_group_ids": [group]}, {"delay_minutes": 15, "notify_user_ids": [user]}]}),
    );
    let integration = server.create(
        "integrations",
        &json!({"name": "Grafana", "channel": "api", "template": "grafana", "escalation_policy_id": policy}),
    );
    Org {
        user,
        group,
        policy,
        integration,
    }
}

pub fn token(server: &TestServer, name: &str, role: &str) -> String {
    let (status, body) = server.post("/api/v1/tokens", &json!({"name": name, "role": role}));
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

#[test]
fn health_and_openapi_need_no_token_and_the_committed_openapi_is_fresh() {
    let server = TestServer::start(&[]);
    assert_eq!(
        send(server.anonymous(Method::GET, "/healthz")),
        (200, json!({"status": "ok"}))
    );
    let (status, document) = send(server.anonymous(Method::GET, "/api/v1/openapi.json"));
    assert_eq!(status, 200);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::root().join("schema/openapi.json"))
            .expect("schema/openapi.json is committed"),
    )
    .unwrap();
    assert!(
        document == committed,
        "schema/openapi.json is stale: run `cargo run -- schema --openapi > schema/openapi.json`"
    );
    assert_eq!(
        document,
        serde_json::from_str::<Value>(&alertform::server::openapi::document_text()).unwrap()
    );
    assert_eq!(document["openapi"], "3.0.3");
    for path in [
        "/api/v1/users",
        "/api/v1/integrations/{id}",
        "/api/v1/tokens",
        "/v1/alerts/{key}",
    ] {
        assert!(document["paths"][path].is_object(), "{path} undocumented");
    }
}

#[test]
fn crud_for_every_kind_with_versions_etags_and_trailing_slashes() {
    let server = TestServer::start(&[]);
    let org = seed(&server);
    for (collection, id, change) in [
        (
            "users",
            &org.user,
            json!({"name": "Alice Ng", "email": "alice@example.com", "phone": "+14155550100", "role": "admin", "time_zone": "Europe/Berlin"}),
        ),
        (
            "groups",
            &org.group,
            json!({"name": "SRE team", "description": "on call", "member_user_ids": [org.user]}),
        ),
        (
            "escalation_policies",
            &org.policy,
            json!({"name": "SRE default", "repeat": 2, "steps": [{"delay_minutes": 5, "notify_user_ids": [org.user], "notify_group_ids": []}]}),
        ),
        (
            "integrations",
            &org.integration,
            json!({"name": "Grafana prod", "escalation_policy_id": org.policy, "enabled": false}),
        ),
    ] {
        let response = server
            .request(Method::GET, &format!("/api/v1/{collection}/{id}/"))
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["etag"], "\"1\"");
        let before: Value = response.json().unwrap();
        assert_eq!(before["version"], 1);
        assert!(before["id"].as_str().unwrap().len() > 4);
        let (status, after) = server.put(&format!("/api/v1/{collection}/{id}"), &change);
        assert_eq!(status, 200, "{after}");
        assert_eq!(after["version"], 2);
        assert_eq!(after["created_at"], before["created_at"]);
        for (field, value) in change.as_object().unwrap() {
            assert_eq!(&after[field], value, "{collection}.{field}");
        }
    }
    // The integration kept its key and endpoint through the update.
    let (_, integration) = server.get(&format!("/api/v1/integrations/{}", org.integration));
    assert_eq!(integration["integration_key"].as_str().unwrap().len(), 32);
    assert!(
        integration["integration_key"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(
        integration["endpoint_url"]
            .as_str()
            .unwrap()
            .ends_with(integration["integration_key"].as_str().unwrap())
    );
    // Delete in dependency order, then they are gone.
    for (collection, id) in [
        ("integrations", &org.integration),
        ("escalation_policies", &org.policy),
        ("groups", &org.group),
        ("users", &org.user),
    ] {
        assert_eq!(server.delete(&format!("/api/v1/{collection}/{id}/")).0, 204);
        assert_error(
            &server.get(&format!("/api/v1/{collection}/{id}")),
            404,
            "not_found",
        );
    }
}

#[test]
fn unauthenticated_and_role_matrix() {
    let server = TestServer::start(&[]);
    let org = seed(&server);
    let observer = token(&server, "ci-read", "observer");
    let integrations_admin = token(&server, "integrations-bot", "integrations_admin");
    let admin = token(&server, "platform-admin", "admin");

    assert_error(
        &send(server.anonymous(Method::GET, "/api/v1/users")),
        401,
        "unauthorized",
    );
    assert_error(
        &send(
            server
                .anonymous(Method::GET, "/api/v1/users")
                .bearer_auth("af_wrong"),
        ),
        401,
        "unauthorized",
    );
    assert_error(
        &send(
            server
                .anonymous(Method::GET, "/api/v1/users")
                .header("authorization", "Basic abc"),
        ),
        401,
        "unauthorized",
    );

    let as_ = |token: &str, method: Method, path: &str, body: Option<Value>| {
        let mut request = server.anonymous(method, path).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request)
    };
    let new_user = json!({"name": "Bob", "email": "bob@example.com"});
    let new_integration = json!({"name": "Datadog", "channel": "api", "template": "datadog", "escalation_policy_id": org.policy});
    // Reads: every role.
    for t in [&observer, &integrations_admin, &admin] {
        assert_eq!(as_(t, Method::GET, "/api/v1/integrations", None).0, 200);
        assert_eq!(
            as_(t, Method::GET, &format!("/api/v1/users/{}", org.user), None).0,
            200
        );
    }
    // Observer writes nothing; the 403 names the permission.
    let denied = as_(
        &observer,
        Method::POST,
        "/api/v1/integrations",
        Some(new_integration.clone()),
    );
    assert_error(&denied, 403, "forbidden");
    assert!(
        denied.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("integrations:write"),
        "{}",
        denied.1
    );
    assert_error(
        &as_(
            &observer,
            Method::DELETE,
            &format!("/api/v1/users/{}", org.user),
            None,
        ),
        403,
        "forbidden",
    );
    // integrations_admin: integrations yes, the directory no.
    assert_eq!(
        as_(
            &integrations_admin,
            Method::POST,
            "/api/v1/integrations",
            Some(new_integration)
        )
        .0,
        201
    );
    let denied = as_(
        &integrations_admin,
        Method::POST,
        "/api/v1/users",
        Some(new_user.clone()),
    );
    assert_error(&denied, 403, "forbidden");
    assert!(
        denied.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("directory:write")
    );
    assert_error(
        &as_(
            &integrations_admin,
            Method::PUT,
            &format!("/api/v1/groups/{}", org.group),
            Some(json!({"name": "x"})),
        ),
        403,
        "forbidden",
    );
    // admin: every resource, but not tokens or reset.
    assert_eq!(
        as_(&admin, Method::POST, "/api/v1/users", Some(new_user)).0,
        201
    );
    assert_error(
        &as_(&admin, Method::GET, "/api/v1/tokens", None),
        403,
        "forbidden",
    );
    assert_error(
        &as_(
            &admin,
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "x", "role": "owner"})),
        ),
        403,
        "forbidden",
    );
    assert_error(
        &as_(&admin, Method::POST, "/api/v1/admin/reset", None),
        403,
        "forbidden",
    );
}

#[test]
fn tokens_are_shown_once_listed_without_secrets_and_revoked_at_once() {
    let server = TestServer::start(&[]);
    let observer = token(&server, "reader", "observer");
    assert!(observer.starts_with("af_"));
    let (status, listed) = server.get("/api/v1/tokens");
    assert_eq!(status, 200);
    let text = listed.to_string();
    assert!(text.contains("reader") && text.contains("observer"));
    assert!(
        !text.contains(&observer) && !text.contains(OWNER_TOKEN),
        "{text}"
    );
    assert_error(
        &server.post(
            "/api/v1/tokens",
            &json!({"name": "reader", "role": "admin"}),
        ),
        409,
        "conflict",
    );
    assert_error(
        &server.post(
            "/api/v1/tokens",
            &json!({"name": "Bad Name", "role": "admin"}),
        ),
        422,
        "invalid_request",
    );
    assert_error(
        &server.post("/api/v1/tokens", &json!({"name": "x", "role": "root"})),
        422,
        "invalid_request",
    );

    let read = || {
        send(
            server
                .anonymous(Method::GET, "/api/v1/users")
                .bearer_auth(&observer),
        )
        .0
    };
    assert_eq!(read(), 200);
    assert_eq!(server.delete("/api/v1/tokens/reader").0, 204);
    assert_eq!(read(), 401, "a revoked token stops working at once");
    assert_error(&server.delete("/api/v1/tokens/reader"), 404, "not_found");
    assert_error(&server.delete("/api/v1/tokens/owner"), 409, "conflict");
}

#[test]
fn lists_page_like_grafana_oncall() {
    let server = TestServer::start(&[]);
    let (status, empty) = server.get("/api/v1/users");
    assert_eq!(status, 200);
    assert_eq!(
        empty,
        json!({"count": 0, "next": null, "previous": null, "results": [], "current_page_number": 1, "page_size": 100, "total_pages": 0})
    );

    let mut ids: Vec<String> = (0..6)
        .map(|i| {
            server.create(
                "users",
                &json!({"name": format!("User {i}"), "email": format!("user{i}@example.com")}),
            )
        })
        .collect();
    ids.sort();
    // Exact multiple of per_page: three full pages, stable order by id.
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (status, body) = server.get(&format!("/api/v1/users?page={page}&per_page=2"));
        assert_eq!(status, 200);
        assert_eq!(body["count"], 6);
        assert_eq!(body["total_pages"], 3);
        assert_eq!(body["current_page_number"], page);
        assert_eq!(body["page_size"], 2);
        let next = body["next"].as_str();
        let previous = body["previous"].as_str();
        assert_eq!(next.is_some(), page < 3);
        assert_eq!(previous.is_some(), page > 1);
        if let Some(next) = next {
            assert_eq!(
                next,
                format!("{}/api/v1/users?page={}&per_page=2", server.url, page + 1)
            );
        }
        seen.extend(
            body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(seen, ids);
    // Past the end: an empty page, not an error.
    let (status, past) = server.get("/api/v1/users?page=9&per_page=2");
    assert_eq!(status, 200);
    assert_eq!(past["results"], json!([]));
    assert_eq!(past["next"], Value::Null);
    // Filters.
    let (_, by_email) = server.get("/api/v1/users?email=USER3@EXAMPLE.COM");
    assert_eq!(by_email["count"], 1);
    let (_, by_name) = server.get("/api/v1/users?name=User%204");
    assert_eq!(by_name["count"], 1);
    assert_eq!(by_name["results"][0]["email"], "user4@example.com");
    // Bad paging.
    assert_error(
        &server.get("/api/v1/users?per_page=1001"),
        422,
        "invalid_request",
    );
    assert_error(&server.get("/api/v1/users?page=0"), 422, "invalid_request");
    assert_error(
        &server.get("/api/v1/users?page=two"),
        400,
        "invalid_request",
    );
    let (status, max) = server.get("/api/v1/users?per_page=1000");
    assert_eq!((status, max["page_size"].clone()), (200, json!(1000)));
}

#[test]
fn bad_requests_get_the_error_shape() {
    let server = TestServer::start(&[]);
    let malformed = send(
        server
            .request(Method::POST, "/api/v1/users")
            .header("content-type", "application/json")
            .body("{\"name\": "),
    );
    assert_error(&malformed, 400, "invalid_request");
    let unknown = server.post(
        "/api/v1/users",
        &json!({"name": "A", "email": "a@example.com", "nickname": "x"}),
    );
    assert_error(&unknown, 422, "invalid_request");
    assert!(
        unknown.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nickname")
    );
    let wrong_type = server.post(
        "/api/v1/escalation_policies",
        &json!({"name": "P", "repeat": "two", "steps": []}),
    );
    assert_error(&wrong_type, 422, "invalid_request");
    assert!(
        wrong_type.1["error"]["fields"]["repeat"].is_string(),
        "{}",
        wrong_type.1
    );
    let invalid = server.post(
        "/api/v1/users",
        &json!({"name": " ", "email": "nope", "phone": "555", "time_zone": "Mars/Base"}),
    );
    assert_error(&invalid, 422, "invalid_request");
    for field in ["name", "email", "phone", "time_zone"] {
        assert!(
            invalid.1["error"]["fields"][field].is_string(),
            "{field}: {}",
            invalid.1
        );
    }
    let no_steps = server.post(
        "/api/v1/escalation_policies",
        &json!({"name": "P", "repeat": 10, "steps": []}),
    );
    assert!(
        no_steps.1["error"]["fields"]["steps"].is_string()
            && no_steps.1["error"]["fields"]["repeat"].is_string(),
        "{}",
        no_steps.1
    );
    let too_large = send(
        server
            .request(Method::POST, "/api/v1/users")
            .header("content-type", "application/json")
            .body(vec![b' '; 1024 * 1024 + 1]),
    );
    assert_error(&too_large, 413, "payload_too_large");
    assert_error(&server.get("/api/v1/widgets"), 404, "not_found");
    assert_error(&server.get("/api/v2/users"), 404, "not_found");
    assert_error(
        &send(server.request(Method::PATCH, "/api/v1/users")),
        405,
        "method_not_allowed",
    );
    // None of the refused requests stored anything.
    assert_eq!(server.get("/api/v1/users").1["count"], 0);
}

#[test]
fn names_and_emails_are_unique_and_concurrent_creates_make_one_object() {
    let server = TestServer::start(&[]);
    server.create("users", &json!({"name": "A", "email": "a@example.com"}));
    assert_error(
        &server.post(
            "/api/v1/users",
            &json!({"name": "A2", "email": "A@Example.com"}),
        ),
        409,
        "conflict",
    );
    server.create("groups", &json!({"name": "Ops"}));
    assert_error(
        &server.post("/api/v1/groups", &json!({"name": "Ops"})),
        409,
        "conflict",
    );

    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| server.post("/api/v1/groups", &json!({"name": "Racing"})).0))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(server.get("/api/v1/groups?name=Racing").1["count"], 1);
}

#[test]
fn references_must_exist_and_referenced_objects_cannot_be_deleted() {
    let server = TestServer::start(&[]);
    let org = seed(&server);
    let dangling = server.post(
        "/api/v1/groups",
        &json!({"name": "G", "member_user_ids": ["usr_missing"]}),
    );
    assert_error(&dangling, 422, "invalid_request");
    assert!(
        dangling.1["error"]["fields"]["member_user_ids"]
            .as_str()
            .unwrap()
            .contains("usr_missing")
    );
    // A group id where a user id belongs is refused too.
    assert_error(
        &server.post(
            "/api/v1/groups",
            &json!({"name": "G", "member_user_ids": [org.group]}),
        ),
        422,
        "invalid_request",
    );
    assert_error(
        &server.post("/api/v1/integrations", &json!({"name": "I", "channel": "api", "template": "custom", "escalation_policy_id": "esc_nope"})),
        422,
        "invalid_request",
    );

    let referenced = server.delete(&format!("/api/v1/users/{}", org.user));
    assert_error(&referenced, 409, "conflict");
    let mut referrers: Vec<&str> = referenced.1["error"]["referenced_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    referrers.sort_unstable();
    let mut expected = vec![org.group.as_str(), org.policy.as_str()];
    expected.sort_unstable();
    assert_eq!(referrers, expected);
    assert_error(
        &server.delete(&format!("/api/v1/escalation_policies/{}", org.policy)),
        409,
        "conflict",
    );

    // Nested groups, but no cycles.
    let outer = server.create(
        "groups",
        &json!({"name": "Outer", "member_group_ids": [org.group]}),
    );
    let cycle = server.put(
        &format!("/api/v1/groups/{}", org.group),
        &json!({"name": "SRE", "member_group_ids": [outer]}),
    );
    assert_error(&cycle, 422, "invalid_request");
    assert_error(
        &server.put(
            &format!("/api/v1/groups/{}", org.group),
            &json!({"name": "SRE", "member_group_ids": [org.group]}),
        ),
        422,
        "invalid_request",
    );
}

#[test]
fn channel_and_template_are_immutable_and_undeletable_integrations_stay() {
    let server = TestServer::start(&[]);
    let org = seed(&server);
    let path = format!("/api/v1/integrations/{}", org.integration);
    let changed = server.put(
        &path,
        &json!({"name": "Grafana", "channel": "email", "escalation_policy_id": org.policy}),
    );
    assert_error(&changed, 422, "immutable_field");
    assert!(
        changed.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("channel")
    );
    let changed = server.put(
        &path,
        &json!({"name": "Grafana", "template": "datadog", "escalation_policy_id": org.policy}),
    );
    assert_error(&changed, 422, "immutable_field");
    assert_eq!(changed.1["error"]["fields"]["template"], "immutable");
    let same = server.put(&path, &json!({"name": "Grafana", "channel": "api", "template": "grafana", "escalation_policy_id": org.policy}));
    assert_eq!(same.0, 200, "{}", same.1);

    let kept = server.create(
        "integrations",
        &json!({"name": "System", "channel": "heartbeat", "template": "cron_heartbeat", "escalation_policy_id": org.policy, "settings": {"interval_minutes": 5}, "deletable": false}),
    );
    assert_error(
        &server.delete(&format!("/api/v1/integrations/{kept}")),
        422,
        "not_deletable",
    );
    assert_eq!(
        server.get(&format!("/api/v1/integrations/{kept}")).1["deletable"],
        false
    );
}

#[test]
fn channels_templates_and_settings_are_checked() {
    let server = TestServer::start(&[]);
    let org = seed(&server);
    let (status, gallery) = server.get("/api/v1/templates");
    assert_eq!(status, 200);
    let slugs: Vec<&str> = gallery["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.len() >= 12 && slugs.contains(&"custom"), "{slugs:?}");
    let integration = |extra: Value| {
        let mut body = json!({"name": "I", "escalation_policy_id": org.policy});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        server.post("/api/v1/integrations", &body)
    };
    assert_error(
        &integration(json!({"channel": "api", "template": "nope"})),
        422,
        "invalid_request",
    );
    assert_error(
        &integration(
            json!({"channel": "chat", "template": "prometheus_alertmanager", "settings": {"chat_platform": "slack", "chat_channel": "#a"}}),
        ),
        422,
        "invalid_request",
    );
    assert_error(
        &integration(json!({"channel": "heartbeat", "template": "custom"})),
        422,
        "invalid_request",
    );
    assert_error(
        &integration(
            json!({"channel": "api", "template": "custom", "settings": {"interval_minutes": 5}}),
        ),
        422,
        "invalid_request",
    );
    assert_error(
        &integration(json!({"channel": "api", "template": "custom", "mailbox": "a@example.com"})),
        422,
        "invalid_request",
    );
    assert_error(
        &integration(json!({"channel": "smoke", "template": "custom"})),
        422,
        "invalid_request",
    );
    let (status, email) = integration(json!({"channel": "email", "template": "custom"}));
    assert_eq!(status, 201, "{email}");
    assert!(
        email["mailbox"].as_str().unwrap().contains('@'),
        "generated mailbox: {email}"
    );
    assert_eq!(email["integration_key"], Value::Null);
    let (status, chat) = server.post(
        "/api/v1/integrations",
        &json!({"name": "Chat", "channel": "chat", "template": "slack", "escalation_policy_id": org.policy, "settings": {"chat_platform": "teams", "chat_channel": "Ops"}}),
    );
    assert_eq!(status, 201, "{chat}");
    assert_eq!(
        chat["settings"],
        json!({"chat_platform": "teams", "chat_channel": "Ops"})
    );
}

#[test]
fn if_match_guards_updates_and_deletes() {
    let server = TestServer::start(&[]);
    let user = server.create("users", &json!({"name": "A", "email": "a@example.com"}));
    let path = format!("/api/v1/users/{user}");
    let body = json!({"name": "B", "email": "a@example.com"});
    let stale = send(
        server
            .request(Method::PUT, &path)
            .header("if-match", "\"7\"")
            .json(&body),
    );
    assert_error(&stale, 412, "precondition_failed");
    let fresh = send(
        server
            .request(Method::PUT, &path)
            .header("if-match", "\"1\"")
            .json(&body),
    );
    assert_eq!(fresh.0, 200);
    assert_error(
        &send(
            server
                .request(Method::DELETE, &path)
                .header("if-match", "1"),
        ),
        412,
        "precondition_failed",
    );
    assert_error(
        &send(
            server
                .request(Method::DELETE, &path)
                .header("if-match", "soon"),
        ),
        400,
        "invalid_request",
    );
    assert_eq!(
        send(
            server
                .request(Method::DELETE, &path)
                .header("if-match", "2")
        )
        .0,
        204
    );
}

#[test]
fn idempotent_post_creates_once() {
    let server = TestServer::start(&[]);
    let body = json!({"name": "Bob", "email": "bob@example.com"});
    let first = send(
        server
            .request(Method::POST, "/api/v1/users")
            .header("idempotency-key", "k-1")
            .json(&body),
    );
    let again = send(
        server
            .request(Method::POST, "/api/v1/users")
            .header("idempotency-key", "k-1")
            .json(&body),
    );
    assert_eq!(first.0, 201);
    assert_eq!(again, first, "the repeat returns the first response");
    assert_eq!(server.get("/api/v1/users").1["count"], 1);
    let other = send(
        server
            .request(Method::POST, "/api/v1/users")
            .header("idempotency-key", "k-1")
            .json(&json!({"name": "C", "email": "c@example.com"})),
    );
    assert_error(&other, 422, "invalid_request");
    // Without the key a repeat is a plain conflict.
    assert_error(&server.post("/api/v1/users", &body), 409, "conflict");
}

#[test]
fn alerts_and_heartbeats_are_stored_with_their_routing() {
    let server = TestServer::start(&[]);
    let org = seed(&server);
    let second = server.create("users", &json!({"name": "Bob", "email": "bob@example.com"}));
    let outer = server.create(
        "groups",
        &json!({"name": "Outer", "member_group_ids": [org.group]}),
    );
    let (_, integration) = server.put(
        &format!("/api/v1/integrations/{}", org.integration),
        &json!({"name": "Grafana", "escalation_policy_id": org.policy, "recipient_user_ids": [second], "recipient_group_ids": [outer]}),
    );
    let endpoint = integration["endpoint_url"]
        .as_str()
        .unwrap()
        .strip_prefix(&server.url)
        .unwrap()
        .to_owned();
    let (status, accepted) = send(
        server
            .anonymous(Method::POST, &endpoint)
            .json(&json!({"title": "disk full", "severity": "critical"})),
    );
    assert_eq!(status, 202, "{accepted}");
    let (_, alerts) = server.get(&format!("/api/v1/integrations/{}/alerts", org.integration));
    let alert = &alerts["results"][0];
    assert_eq!(alert["payload"]["title"], "disk full");
    assert_eq!(alert["routing"]["escalation_policy_id"], json!(org.policy));
    assert_eq!(
        alert["routing"]["steps"][0]["user_ids"],
        json!([org.user]),
        "the group is expanded"
    );
    assert_eq!(
        alert["routing"]["recipient_user_ids"],
        json!([second, org.user]),
        "nested groups are expanded"
    );
    assert_eq!(
        alert["routing"]["notified_user_ids"],
        json!([second, org.user])
    );

    assert_error(
        &send(
            server
                .anonymous(Method::POST, "/v1/alerts/0123456789abcdef0123456789abcdef")
                .json(&json!({})),
        ),
        404,
        "not_found",
    );
    assert_error(
        &send(server.anonymous(Method::POST, &endpoint).body("not json")),
        400,
        "invalid_request",
    );
    let huge = format!("{{\"x\": \"{}\"}}", "a".repeat(1024 * 1024));
    assert_error(
        &send(
            server
                .anonymous(Method::POST, &endpoint)
                .header("content-type", "application/json")
                .body(huge),
        ),
        413,
        "payload_too_large",
    );

    let heartbeat = server.create(
        "integrations",
        &json!({"name": "Cron", "channel": "heartbeat", "template": "custom", "escalation_policy_id": org.policy, "settings": {"interval_minutes": 10}, "enabled": false}),
    );
    let (_, hb) = server.get(&format!("/api/v1/integrations/{heartbeat}"));
    let ping = hb["endpoint_url"]
        .as_str()
        .unwrap()
        .strip_prefix(&server.url)
        .unwrap()
        .to_owned();
    assert!(ping.starts_with("/v1/heartbeat/"));
    assert_error(
        &send(server.anonymous(Method::POST, &ping)),
        409,
        "conflict",
    );
    server.put(&format!("/api/v1/integrations/{heartbeat}"), &json!({"name": "Cron", "escalation_policy_id": org.policy, "settings": {"interval_minutes": 10}, "enabled": true}));
    assert_eq!(send(server.anonymous(Method::POST, &ping)).0, 202);
    let (_, pings) = server.get(&format!("/api/v1/integrations/{heartbeat}/alerts"));
    assert_eq!(pings["results"][0]["kind"], "heartbeat");
}

#[test]
fn reset_empties_everything_but_tokens() {
    let server = TestServer::start(&[]);
    seed(&server);
    let observer = token(&server, "reader", "observer");
    assert_eq!(server.post("/api/v1/admin/reset", &json!({})).0, 200);
    for collection in ["users", "groups", "escalation_policies", "integrations"] {
        assert_eq!(
            server.get(&format!("/api/v1/{collection}")).1["count"],
            0,
            "{collection}"
        );
    }
    assert_eq!(
        send(
            server
                .anonymous(Method::GET, "/api/v1/users")
                .bearer_auth(&observer)
        )
        .0,
        200
    );
}

#[test]
fn fault_knobs_fail_limit_and_delay() {
    let failing = TestServer::start(&["--fail-rate", "1"]);
    let response = failing
        .request(Method::GET, "/api/v1/users")
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        send(failing.anonymous(Method::GET, "/healthz")).0,
        200,
        "only the API fails"
    );

    let committing = TestServer::start(&["--fail-after-commit-rate", "1"]);
    assert_error(
        &committing.post(
            "/api/v1/users",
            &json!({"name": "A", "email": "a@example.com"}),
        ),
        503,
        "unavailable",
    );
    assert_eq!(
        committing.get("/api/v1/users").1["count"],
        1,
        "the write committed before the 503"
    );

    let limited = TestServer::start(&["--rate-limit", "3"]);
    let statuses: Vec<reqwest::blocking::Response> = (0..10)
        .map(|_| {
            limited
                .request(Method::GET, "/api/v1/users")
                .send()
                .unwrap()
        })
        .collect();
    let limited_responses: Vec<_> = statuses
        .iter()
        .filter(|r| r.status().as_u16() == 429)
        .collect();
    assert!(
        !limited_responses.is_empty(),
        "10 requests at once exceed 3 per second"
    );
    assert!(
        limited_responses
            .iter()
            .all(|r| r.headers()["retry-after"] == "1")
    );

    let slow = TestServer::start(&["--latency", "300"]);
    let started = std::time::Instant::now();
    assert_eq!(slow.get("/api/v1/users").0, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[test]
fn first_start_generates_an_owner_token_once() {
    use std::io::BufRead;
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let start = || {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_alertform"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data",
                data.path().to_str().unwrap(),
            ])
            .env_remove("ALERTFORM_OWNER_TOKEN")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let mut printed = Vec::new();
        loop {
            let line = lines.next().unwrap().unwrap();
            let done = line.starts_with("listening on ");
            printed.push(line);
            if done {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        printed
    };
    let first = start();
    let file = data.path().join("owner.token");
    let token = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert!(first[0].contains(&token), "{first:?}");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let second = start();
    assert!(
        !second.iter().any(|l| l.contains(&token)),
        "printed again: {second:?}"
    );
}

#[test]
fn no_secret_is_stored_in_clear() {
    let server = TestServer::start(&[]);
    let org = seed(&server);
    let observer = token(&server, "reader", "observer");
    let (_, integration) = server.get(&format!("/api/v1/integrations/{}", org.integration));
    let key = integration["integration_key"].as_str().unwrap().to_owned();
    assert_eq!(server.get("/api/v1/users").0, 200);
    let mut files = 0;
    for entry in std::fs::read_dir(server.data.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "owner.token" {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for secret in [OWNER_TOKEN, observer.as_str(), key.as_str()] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} contains a secret in clear",
                path.display()
            );
        }
        files += 1;
    }
    assert!(files >= 2, "the database files were checked");
}

#[test]
fn durability_every_acknowledged_write_survives_kill_9() {
    let mut server = TestServer::start(&[]);
    let acknowledged = std::sync::Mutex::new(Vec::new());
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let (server, acknowledged, stop) = (&server, &acknowledged, &stop);
            scope.spawn(move || {
                let client = crate::support::http_client();
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let email = format!("w{writer}-{i}@example.com");
                    let sent = client
                        .post(format!("{}/api/v1/users", server.url))
                        .bearer_auth(OWNER_TOKEN)
                        .json(&json!({"name": "Writer", "email": email}))
                        .send();
                    match sent {
                        Ok(r) if r.status().as_u16() == 201 => {
                            acknowledged.lock().unwrap().push(email);
                        }
                        _ => break,
                    }
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(1500));
        // Crash the server mid-stream, then stop the writers.
        let pid = server.child.as_ref().unwrap().id();
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    server.kill();
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() >= 20,
        "only {} writes before the kill",
        acknowledged.len()
    );

    let db = rusqlite::Connection::open(server.data.path().join("alertform.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(db);

    server.spawn(&[]);
    let mut stored = std::collections::HashSet::new();
    for page in 1.. {
        let (status, body) = server.get(&format!("/api/v1/users?per_page=1000&page={page}"));
        assert_eq!(status, 200);
        let results = body["results"].as_array().unwrap();
        stored.extend(
            results
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        if body["next"].is_null() {
            break;
        }
    }
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|e| !stored.contains(e.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
    eprintln!(
        "durability: {} acknowledged writes before kill -9, none lost, integrity_check ok",
        acknowledged.len()
    );
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let mut server = TestServer::start(&[]);
    assert_eq!(server.get("/api/v1/users").0, 200);
    let mut child = server.child.take().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "serve exits 0 on SIGTERM");
}

#[test]
fn metrics_count_requests_by_route_and_status() {
    let server = TestServer::start(&[]);
    seed(&server);
    assert_eq!(send(server.anonymous(Method::GET, "/api/v1/users")).0, 401);
    let plan = crate::support::alertform(&[
        "plan",
        "examples/quickstart",
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
    ]);
    assert!(plan.status.success());
    let response = server.anonymous(Method::GET, "/metrics").send().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().unwrap();
    let count = |needle: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(needle))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    // seed: 1 user, 1 group, 1 policy, 1 integration; plan: one list page per kind (six with
    // schedules and outbound targets).
    assert_eq!(
        count(
            "alertform_http_requests_total{method=\"POST\",route=\"/api/v1/{collection}\",status=\"201\"}"
        ),
        4,
        "{text}"
    );
    assert_eq!(
        count(
            "alertform_http_requests_total{method=\"GET\",route=\"/api/v1/{collection}\",status=\"200\"}"
        ),
        6,
        "{text}"
    );
    assert_eq!(
        count(
            "alertform_http_requests_total{method=\"GET\",route=\"/api/v1/{collection}\",status=\"401\"}"
        ),
        1,
        "{text}"
    );
    assert!(text.contains("alertform_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/{collection}\",le=\"+Inf\"} 7"), "{text}");
    assert!(!text.contains(&server.token));
}

/// RFC 9110 §13.1.1: a well-formed entity-tag that is not the current one fails the
/// precondition (412), a weak tag never matches, `*` matches any existing object, a list matches
/// when one of its tags does, and only a malformed header is a bad request.
#[test]
fn if_match_follows_rfc_9110() {
    let server = TestServer::start(&[]);
    let user = server.create("users", &json!({"name": "A", "email": "a@example.com"}));
    let path = format!("/api/v1/users/{user}");
    let body = json!({"name": "B", "email": "a@example.com"});
    let put = |tag: &str| {
        send(
            server
                .request(Method::PUT, &path)
                .header("if-match", tag)
                .json(&body),
        )
    };
    for made_up in ["\"abc\"", "W/\"1\"", "\"1-old\"", "\"\"", "\"7\", \"8\""] {
        assert_error(&put(made_up), 412, "precondition_failed");
    }
    for malformed in ["soon", "\"1", "1\"", "W/1", ",", "\"a\"b\""] {
        assert_error(&put(malformed), 400, "invalid_request");
    }
    assert_eq!(
        put("\"9\", \"1\"").0,
        200,
        "a list matches when one tag does"
    );
    assert_eq!(put("*").0, 200, "`*` matches the existing object");
    let response = server.request(Method::GET, &path).send().unwrap();
    assert_eq!(response.headers()["etag"], "\"3\"");
}
