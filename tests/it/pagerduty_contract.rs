//! Contract checks against PagerDuty's published OpenAPI document: every request the PagerDuty
//! provider sends (method, path, query, headers, body) and every answer the emulation returns
//! (status, body) in a run of plans, applies, edits, deletes and an export is validated against
//! the document's operation for it. The document is vendor data outside this repository
//! (`../shared/vendor/pagerduty/openapiv3.json`, or `ALERTFORM_PAGERDUTY_OPENAPI`): without it
//! the test says so and checks nothing.

use serde_json::{Value, json};

use crate::contract::{Contract, Exchange, exchanges};
use crate::support::{TestServer, alertform, edit, root, stderr, stdout};

/// Answers the document does not declare for an operation, though PagerDuty's own docs say
/// every endpoint may give them (429: `04-Rate-Limits.md`; 404 for a gone object).
const UNDECLARED_BUT_DOCUMENTED: &[(&str, &str, u16)] = &[
    ("DELETE", "/services/{id}", 404),
    ("DELETE", "/teams/{id}", 404),
];

/// Answers whose status the document gets wrong, checked against the status it declares:
/// listing overrides declares only 201, and a list answers 200 everywhere else.
const DECLARED_AS: &[(&str, &str, u16, &str)] = &[("GET", "/schedules/{id}/overrides", 200, "201")];

const ALICE: &str = "alice@example.com";
const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";

/// Lists whose objects an `include[]` makes whole: (list key, included field, its schema).
const INCLUDED: &[(&str, &str, &str)] = &[
    ("services", "integrations", "Integration"),
    ("users", "contact_methods", "ContactMethod"),
];

/// Every way `exchange` breaks the document's operation for it.
fn violations(contract: &mut Contract, exchange: &Exchange) -> (String, Vec<String>) {
    let Some(template) = contract.template(&exchange.path) else {
        return (
            format!("{} {}", exchange.method, exchange.path),
            vec!["no such path in the document".into()],
        );
    };
    let method = exchange.method.to_lowercase();
    let operation_name = format!("{} {template}", exchange.method);
    let Some(operation) = contract.document["paths"][&template].get(&method).cloned() else {
        return (
            operation_name,
            vec!["no such operation in the document".into()],
        );
    };
    let mut problems = Vec::new();
    let parameters: Vec<Value> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| contract.resolve(p).clone())
        .collect();
    // Headers the operation requires.
    for parameter in parameters.iter().filter(|p| p["in"] == "header") {
        let name = parameter["name"].as_str().unwrap().to_lowercase();
        let sent = exchange.headers.get(&name).and_then(Value::as_str);
        if parameter["required"] == true && sent.is_none() {
            problems.push(format!("required header `{name}` missing"));
        }
        if let (Some(value), Some(allowed)) = (sent, parameter["schema"]["enum"].as_array())
            && !allowed.iter().any(|a| a == value)
        {
            problems.push(format!(
                "header `{name}: {value}` is not one of {allowed:?}"
            ));
        }
    }
    if exchange.headers["authorization"] != "Token …" {
        problems.push(format!(
            "Authorization is not `Token token=…`: {}",
            exchange.headers["authorization"]
        ));
    }
    // Query parameters: each declared, each value of its schema.
    for (key, value) in &exchange.query {
        let Some(parameter) = parameters
            .iter()
            .find(|p| p["in"] == "query" && p["name"] == key.as_str())
        else {
            problems.push(format!("query parameter `{key}` is not declared"));
            continue;
        };
        let schema = &parameter["schema"];
        let item_schema = if schema["type"] == "array" {
            &schema["items"]
        } else {
            schema
        };
        let typed = match item_schema["type"].as_str() {
            Some("integer") => value.parse::<i64>().map_or(json!(value), |n| json!(n)),
            Some("boolean") => value.parse::<bool>().map_or(json!(value), |b| json!(b)),
            _ => json!(value),
        };
        let errors = contract.check(&format!("{operation_name} ?{key}"), item_schema, &typed);
        problems.extend(
            errors
                .into_iter()
                .map(|e| format!("query `{key}={value}`: {e}")),
        );
    }
    // The request body.
    if let Some(body) = &exchange.body {
        match operation["requestBody"]["content"]["application/json"]["schema"].as_object() {
            Some(schema) => {
                let schema = Value::Object(schema.clone());
                let errors = contract.check(&format!("{operation_name} request"), &schema, body);
                problems.extend(errors.into_iter().map(|e| format!("request body: {e}")));
            }
            None => problems.push("a body the operation does not take".into()),
        }
    }
    // The answer: a declared status, and a body of its schema. `include[]` puts whole
    // objects where the document's schema has references (it does not model includes):
    // those are checked against their own schema, then stand as references.
    let mut answer = exchange.response.clone();
    if let Some(body) = answer.as_mut() {
        for (list, field, schema) in INCLUDED {
            let wanted = exchange
                .query
                .iter()
                .any(|(k, v)| k == "include[]" && v == field);
            if !wanted {
                continue;
            }
            let mut included = Vec::new();
            for object in body[*list].as_array_mut().into_iter().flatten() {
                for item in object[*field].as_array_mut().into_iter().flatten() {
                    included.push(item.clone());
                    let ty = format!("{}_reference", item["type"].as_str().unwrap_or_default());
                    *item = json!({
                        "id": item["id"], "type": ty, "summary": item["summary"],
                        "self": item["self"], "html_url": item["html_url"],
                    });
                }
            }
            let schema = json!({"$ref": format!("#/components/schemas/{schema}")});
            for item in included {
                let errors = contract.check(&format!("included {schema}"), &schema, &item);
                problems.extend(errors.into_iter().map(|e| format!("included {field}: {e}")));
            }
        }
    }
    let status = DECLARED_AS
        .iter()
        .find(|(method, path, status, _)| {
            (*method, *path, *status)
                == (exchange.method.as_str(), template.as_str(), exchange.status)
        })
        .map_or_else(
            || exchange.status.to_string(),
            |(.., declared)| (*declared).to_owned(),
        );
    let declared = operation["responses"]
        .get(&status)
        .or(operation["responses"].get("default"));
    match declared {
        None if UNDECLARED_BUT_DOCUMENTED.contains(&(
            exchange.method.as_str(),
            template.as_str(),
            exchange.status,
        )) => {}
        None => problems.push(format!("status {status} is not declared")),
        Some(response) => {
            let response = contract.resolve(response).clone();
            let schema = response["content"]["application/json"]["schema"].clone();
            match (&answer, schema.is_null()) {
                (Some(body), false) => {
                    let errors =
                        contract.check(&format!("{operation_name} {status}"), &schema, body);
                    problems.extend(errors.into_iter().map(|e| format!("answer {status}: {e}")));
                }
                (Some(body), true) if !body.is_null() => {
                    problems.push(format!(
                        "answer {status} has a body the document does not declare"
                    ));
                }
                _ => {}
            }
        }
    }
    (operation_name, problems)
}

/// A PagerDuty emulation of the account in `seed` that records every exchange in `record`.
fn recording(seed: &std::path::Path, record: &str) -> TestServer {
    TestServer::start(&[
        "--api",
        "pagerduty",
        "--seed",
        seed.to_str().unwrap(),
        "--record-exchanges",
        record,
    ])
}

/// Runs `alertform` against `server` as PagerDuty, creating users as `owner`.
fn run_as(server: &TestServer, owner: &str, args: &[&str]) {
    let mut all = args.to_vec();
    all.extend_from_slice(&[
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--provider",
        "pagerduty",
    ]);
    if args[0] != "export" {
        all.extend_from_slice(&["--from-email", owner]);
    }
    if args[0] == "apply" {
        all.push("--auto-approve");
    }
    let output = alertform(&all);
    assert!(
        output.status.success(),
        "{all:?}: {}{}",
        stdout(&output),
        stderr(&output)
    );
}

#[test]
fn every_request_and_answer_validates_against_the_published_document() {
    let Some(document) = crate::contract::document(
        "pagerduty_contract",
        "ALERTFORM_PAGERDUTY_OPENAPI",
        "pagerduty/openapiv3.json",
    ) else {
        return;
    };
    let mut contract = Contract::new(document);
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("exchanges.jsonl");
    let record_arg = record.to_str().unwrap().to_owned();

    // The quickstart, then edits of every kind: renames, a replace, updates and deletes.
    let seed = root().join("examples/quickstart-pagerduty/pagerduty-seed.json");
    let server = recording(&seed, &record_arg);
    let (_copy, config) = crate::support::copy_example("examples/quickstart-pagerduty");
    let quickstart = config.to_str().unwrap();
    run_as(&server, ALICE, &["apply", quickstart]);
    run_as(&server, ALICE, &["plan", quickstart]);
    let people = config.join("people.toml");
    let routing = config.join("routing.toml");
    edit(
        &people,
        "role = \"responder\"",
        "role = \"integrations_admin\"\nphone = \"+442079460000\"",
    );
    edit(
        &people,
        "phone = \"+14155550100\"",
        "phone = \"+14155550199\"",
    );
    edit(
        &people,
        "description = \"Site reliability",
        "description = \"The site reliability",
    );
    edit(
        &people,
        "members = [\"user.alice\", \"user.bob\"]",
        "members = [\"user.bob\"]",
    );
    edit(&people, "rotation = \"1d\"", "rotation = \"12h\"");
    edit(
        &routing,
        "name = \"Grafana (prod)\"",
        "name = \"Grafana (production)\"\nrenamed_from = [\"Grafana (prod)\"]",
    );
    edit(
        &routing,
        "template = \"prometheus_alertmanager\"",
        "template = \"datadog\"",
    );
    edit(
        &routing,
        "name = \"Deploy pipeline\"",
        "name = \"Deploy pipeline\"\nenabled = false",
    );
    edit(&routing, "repeat = 1", "repeat = 2");
    run_as(&server, ALICE, &["apply", quickstart]);
    // Carol, the backups policy and its mail integration go.
    let text = std::fs::read_to_string(&people).unwrap();
    let (start, end) = (
        text.find("[user.carol]").unwrap(),
        text.find("[group.sre]").unwrap(),
    );
    std::fs::write(&people, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let text = std::fs::read_to_string(&routing).unwrap();
    let start = text.find("[escalation_policy.backups]").unwrap();
    let end = text.find("[integration.grafana_prod]").unwrap();
    let text = format!("{}{}", &text[..start], &text[end..]);
    let start = text.find("[integration.backup_mail]").unwrap();
    std::fs::write(&routing, &text[..start]).unwrap();
    run_as(&server, ALICE, &["apply", quickstart]);
    // An override's life, and the rendered schedule, as a person's tools would call them.
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = crate::support::http_client()
            .request(method, format!("{}{path}", server.url))
            .header("authorization", format!("Token token={}", server.token))
            .header("accept", ACCEPT)
            .header("content-type", "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        crate::support::send(request)
    };
    let (_, schedules) = call(reqwest::Method::GET, "/schedules", None);
    let schedule = schedules["schedules"][0]["id"].as_str().unwrap().to_owned();
    let (_, users) = call(reqwest::Method::GET, "/users", None);
    let user = users["users"][0]["id"].as_str().unwrap().to_owned();
    let (status, made) = call(
        reqwest::Method::POST,
        &format!("/schedules/{schedule}/overrides"),
        Some(
            json!({"overrides": [{"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z",
            "user": {"id": user, "type": "user_reference"}, "time_zone": "UTC"}]}),
        ),
    );
    assert_eq!(status, 201, "{made}");
    let range = "since=2029-12-31T00:00:00Z&until=2030-01-07T00:00:00Z";
    let (status, listed) = call(
        reqwest::Method::GET,
        &format!("/schedules/{schedule}/overrides?{range}"),
        None,
    );
    assert_eq!(
        (status, listed["overrides"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let (status, rendered) = call(
        reqwest::Method::GET,
        &format!("/schedules/{schedule}?{range}"),
        None,
    );
    assert_eq!(status, 200, "{rendered}");
    assert_eq!(
        rendered["schedule"]["final_schedule"]["rendered_schedule_entries"][1]["user"]["id"],
        user.as_str(),
        "the override pages on its day: {rendered}"
    );
    let id = made[0]["override"]["id"].as_str().unwrap();
    let (status, _) = call(
        reqwest::Method::DELETE,
        &format!("/schedules/{schedule}/overrides/{id}"),
        None,
    );
    assert_eq!(status, 204);
    // The team and the schedule go too: the policy pages Bob alone.
    let text = std::fs::read_to_string(&people).unwrap();
    std::fs::write(&people, &text[..text.find("[group.sre]").unwrap()]).unwrap();
    edit(
        &routing,
        "{ notify = [\"schedule.sre_rotation\"] }",
        "{ notify = [\"user.bob\"] }",
    );
    edit(
        &routing,
        "notify = [\"group.sre\"]",
        "notify = [\"user.alice\"]",
    );
    run_as(&server, ALICE, &["apply", quickstart]);
    // Answers the provider does not cause, to check their shape: a missing object, the
    // 10,000 window, a rule with no wait.
    for (method, path, body) in [
        (reqwest::Method::GET, "/users/PNOPE00", None),
        (reqwest::Method::GET, "/users?limit=100&offset=9950", None),
        (
            reqwest::Method::POST,
            "/escalation_policies",
            Some(
                json!({"escalation_policy": {"type": "escalation_policy", "name": "Zero",
                "escalation_rules": [{"escalation_delay_in_minutes": 0, "targets": [{"id": "PNOPE00", "type": "user_reference"}]}]}}),
            ),
        ),
    ] {
        let (status, _) = call(method, path, body);
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    let exported = dir.path().join("exported");
    run_as(
        &server,
        ALICE,
        &["export", "--out", exported.to_str().unwrap()],
    );
    drop(server);

    // A larger org (lists of more than one page) and the multi-team example.
    let generated = dir.path().join("generated");
    crate::support::generate(&generated, 520, &["--provider", "pagerduty"]);
    let seed = generated.join("pagerduty-seed.json");
    let server = recording(&seed, &record_arg);
    run_as(
        &server,
        "user0@example.com",
        &["apply", generated.to_str().unwrap()],
    );
    run_as(
        &server,
        "user0@example.com",
        &["plan", generated.to_str().unwrap()],
    );
    drop(server);
    let example = root().join("examples/multi-team-pagerduty/toml");
    let seed = example.join("pagerduty-seed.json");
    let server = recording(&seed, &record_arg);
    run_as(
        &server,
        "amara.okoye@example.com",
        &["apply", example.to_str().unwrap()],
    );
    drop(server);

    // A throttled request.
    let server = TestServer::start(&[
        "--api",
        "pagerduty",
        "--rate-limit",
        "2",
        "--record-exchanges",
        &record_arg,
    ]);
    let throttled = (0..3)
        .map(|_| {
            crate::support::send(
                crate::support::http_client()
                    .get(format!("{}/teams", server.url))
                    .header("authorization", format!("Token token={}", server.token))
                    .header("accept", ACCEPT)
                    .header("content-type", "application/json"),
            )
            .0
        })
        .filter(|s| *s == 429)
        .count();
    assert!(throttled > 0, "the third request in a minute is throttled");
    drop(server);

    let (covered, failures) = crate::contract::checked(&exchanges(&record), |exchange| {
        violations(&mut contract, exchange)
    });
    assert!(
        failures.is_empty(),
        "{} violations of PagerDuty's OpenAPI document:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        covered.len() >= 20,
        "the run covers the provider's operations: {covered:?}"
    );
}
