//! Contract checks against Opsgenie's published Swagger 2.0 document: every request the Opsgenie
//! provider sends (method, path, query, auth, body) and every answer the emulation returns
//! (status, body) in a run of applies, edits, deletes, a plan and an export is validated against
//! the document's operation for it. The document is vendor data outside this repository
//! (`../shared/vendor/opsgenie/swagger.json`, or `ALERTFORM_OPSGENIE_SWAGGER`): without it the
//! test says so and checks nothing. Where the document and Opsgenie's SDKs disagree, the choice
//! is in `docs/providers/opsgenie.md`.

use serde_json::{Value, json};

use crate::contract::{Contract, Exchange, exchanges};
use crate::support::{TestServer, copy_example, edit, root, send};

/// A Swagger 2 parameter's own schema (its `type`, `format`, `enum`, bounds and `items`).
fn parameter_schema(parameter: &Value) -> Value {
    let mut schema = serde_json::Map::new();
    for key in ["type", "enum", "minimum", "maximum", "items", "pattern"] {
        if let Some(value) = parameter.get(key) {
            schema.insert(key.to_owned(), value.clone());
        }
    }
    Value::Object(schema)
}

/// Every way `exchange` breaks the document's operation for it.
fn violations(contract: &mut Contract, exchange: &Exchange) -> (String, Vec<String>) {
    let Some(template) = contract.template(&exchange.path) else {
        return (
            format!("{} {}", exchange.method, exchange.path),
            vec!["no such path in the document".into()],
        );
    };
    let operation_name = format!("{} {template}", exchange.method);
    let path_item = contract.document["paths"][&template].clone();
    let Some(operation) = path_item.get(exchange.method.to_lowercase()).cloned() else {
        return (
            operation_name,
            vec!["no such operation in the document".into()],
        );
    };
    let mut problems = Vec::new();
    let parameters: Vec<Value> = path_item["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(operation["parameters"].as_array().into_iter().flatten())
        .map(|p| contract.resolve(p).clone())
        .collect();
    if exchange.headers["authorization"] != "GenieKey …" {
        problems.push(format!(
            "Authorization is not `GenieKey …`: {}",
            exchange.headers["authorization"]
        ));
    }
    for (key, value) in &exchange.query {
        let Some(parameter) = parameters
            .iter()
            .find(|p| p["in"] == "query" && p["name"] == key.as_str())
        else {
            problems.push(format!("query parameter `{key}` is not declared"));
            continue;
        };
        let mut schema = parameter_schema(parameter);
        if schema["type"] == "array" {
            schema = schema["items"].clone();
        }
        let typed = match schema["type"].as_str() {
            Some("integer") => value.parse::<i64>().map_or(json!(value), |n| json!(n)),
            Some("boolean") => value.parse::<bool>().map_or(json!(value), |b| json!(b)),
            _ => json!(value),
        };
        let errors = contract.check(&format!("{operation_name} ?{key}"), &schema, &typed);
        problems.extend(
            errors
                .into_iter()
                .map(|e| format!("query `{key}={value}`: {e}")),
        );
    }
    if let Some(body) = &exchange.body {
        match parameters.iter().find(|p| p["in"] == "body") {
            Some(parameter) => {
                let schema = parameter["schema"].clone();
                let errors = contract.check(&format!("{operation_name} request"), &schema, body);
                problems.extend(errors.into_iter().map(|e| format!("request body: {e}")));
            }
            None => problems.push("a body the operation does not take".into()),
        }
    }
    let status = exchange.status.to_string();
    match operation["responses"]
        .get(&status)
        .or(operation["responses"].get("default"))
    {
        None => problems.push(format!("status {status} is not declared")),
        Some(response) => {
            let schema = contract.resolve(response)["schema"].clone();
            if let (Some(body), false) = (&exchange.response, schema.is_null()) {
                let errors = contract.check(&format!("{operation_name} {status}"), &schema, body);
                problems.extend(errors.into_iter().map(|e| format!("answer {status}: {e}")));
            }
        }
    }
    (operation_name, problems)
}

#[test]
fn every_request_and_answer_validates_against_the_published_document() {
    let Some(document) = crate::contract::document(
        "opsgenie_contract",
        "ALERTFORM_OPSGENIE_SWAGGER",
        "opsgenie/swagger.json",
    ) else {
        return;
    };
    let mut contract = Contract::new(document);
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("exchanges.jsonl");
    let seed = root().join("examples/quickstart-opsgenie/opsgenie-seed.json");
    let server = TestServer::start(&[
        "--api",
        "opsgenie",
        "--seed",
        seed.to_str().unwrap(),
        "--record-exchanges",
        record.to_str().unwrap(),
    ]);
    let (_copy, config) = copy_example("examples/quickstart-opsgenie");
    let quickstart = config.to_str().unwrap();
    crate::support::OPSGENIE.run_ok(&server, "apply", quickstart, &[]);
    crate::support::OPSGENIE.run_ok(&server, "plan", quickstart, &[]);
    // Updates of every kind: a user, a team's members, a rotation, an escalation, an integration.
    let people = config.join("people.toml");
    let routing = config.join("routing.toml");
    edit(
        &people,
        "name = \"Dan Reyes\"",
        "name = \"Dan Reyes-Ortiz\"",
    );
    edit(
        &people,
        "members = [\"user.alice\", \"user.bob\"]",
        "members = [\"user.bob\"]",
    );
    edit(&routing, "rotation = \"1d\"", "rotation = \"12h\"");
    edit(&routing, "repeat = 2", "repeat = 0");
    edit(
        &routing,
        "recipients = [\"group.platform\"]",
        "recipients = [\"user.carol\"]\nenabled = false",
    );
    crate::support::OPSGENIE.run_ok(&server, "apply", quickstart, &[]);
    // Deletes: the deploy integration, the platform team, Carol.
    let text = std::fs::read_to_string(&routing).unwrap();
    std::fs::write(
        &routing,
        &text[..text.find("[integration.deploys]").unwrap()],
    )
    .unwrap();
    let text = std::fs::read_to_string(&people).unwrap();
    let text = text.replace(
        &text[text.find("[user.carol]").unwrap()..text.find("[user.dan]").unwrap()],
        "",
    );
    std::fs::write(&people, &text[..text.find("[group.platform]").unwrap()]).unwrap();
    crate::support::OPSGENIE.run_ok(&server, "apply", quickstart, &[]);
    let exported = dir.path().join("exported");
    crate::support::OPSGENIE.export(&server, &exported, "toml");
    // Answers the provider does not cause, to check their shape: a missing user, a bad body,
    // the on-call oracles.
    let request = |method: reqwest::Method, path: &str| {
        crate::support::http_client()
            .request(method, format!("{}{path}", server.url))
            .header("authorization", format!("GenieKey {}", server.token))
    };
    assert_eq!(
        send(request(
            reqwest::Method::GET,
            "/v2/users/nobody@example.com"
        ))
        .0,
        404
    );
    let bad = json!({"name": "S", "timezone": "Europe/Londn"});
    assert_eq!(
        send(request(reqwest::Method::POST, "/v2/schedules").json(&bad)).0,
        422
    );
    let path = "/v2/schedules/SRE%20rotation/timeline?identifierType=name&interval=1&intervalUnit=weeks&date=2027-01-04T00:00:00Z";
    assert_eq!(send(request(reqwest::Method::GET, path)).0, 200);
    // An override's whole life, as a person makes one in Opsgenie.
    let overrides = "/v2/schedules/SRE%20rotation/overrides";
    let by_name = "scheduleIdentifierType=name";
    let swap = json!({"alias": "swap", "user": {"type": "user", "username": "alice@example.com"},
        "startDate": "2027-01-05T10:00:00Z", "endDate": "2027-01-05T12:00:00Z"});
    let created =
        send(request(reqwest::Method::POST, &format!("{overrides}?{by_name}")).json(&swap));
    assert_eq!(created.0, 201, "{}", created.1);
    assert_eq!(
        send(request(
            reqwest::Method::GET,
            &format!("{overrides}?{by_name}")
        ))
        .0,
        200
    );
    assert_eq!(
        send(request(
            reqwest::Method::GET,
            &format!("{overrides}/swap?{by_name}")
        ))
        .0,
        200
    );
    let moved = json!({"user": {"type": "none"}, "startDate": "2027-01-05T10:00:00Z", "endDate": "2027-01-05T13:00:00Z"});
    assert_eq!(
        send(request(reqwest::Method::PUT, &format!("{overrides}/swap?{by_name}")).json(&moved)).0,
        200
    );
    assert_eq!(
        send(request(
            reqwest::Method::DELETE,
            &format!("{overrides}/swap?{by_name}")
        ))
        .0,
        200
    );
    let path = "/v2/schedules/SRE%20rotation/on-calls?scheduleIdentifierType=name&date=2027-01-04T10:00:00Z";
    let (status, body) = send(request(reqwest::Method::GET, path));
    assert_eq!(status, 200, "{body}");
    drop(server);

    let (covered, failures) = crate::contract::checked(&exchanges(&record), |exchange| {
        violations(&mut contract, exchange)
    });
    assert!(
        failures.is_empty(),
        "{} violations of Opsgenie's Swagger document:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        covered.len() >= 20,
        "the run covers the provider's operations: {covered:?}"
    );
}
