//! The `OpenAPI` 3.0 description of the service, generated from the API types (schemars) and the
//! route table below. Served at `/api/v1/openapi.json` and committed as `schema/openapi.json`.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::api::{
    Accepted, Alert, CreatedToken, ErrorBody, EscalationPolicy, EscalationPolicyInput, Group,
    GroupInput, Integration, IntegrationInput, Outbound, OutboundInput, Page, Schedule,
    ScheduleInput, Template, TokenInfo, TokenInput, User, UserInput,
};

/// The `OpenAPI` document, pretty-printed with a trailing newline as committed.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("the document serialises");
    text.push('\n');
    text
}

pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    // Registers each type under components/schemas and gives its `$ref`.
    let mut schema =
        |f: fn(&mut schemars::SchemaGenerator) -> schemars::Schema| f(&mut generator).to_value();
    let error = schema(schemars::SchemaGenerator::subschema_for::<ErrorBody>);
    let kinds = [
        (
            "users",
            "user",
            schema(schemars::SchemaGenerator::subschema_for::<UserInput>),
            schema(schemars::SchemaGenerator::subschema_for::<User>),
            schema(schemars::SchemaGenerator::subschema_for::<Page<User>>),
        ),
        (
            "groups",
            "group",
            schema(schemars::SchemaGenerator::subschema_for::<GroupInput>),
            schema(schemars::SchemaGenerator::subschema_for::<Group>),
            schema(schemars::SchemaGenerator::subschema_for::<Page<Group>>),
        ),
        (
            "schedules",
            "schedule",
            schema(schemars::SchemaGenerator::subschema_for::<ScheduleInput>),
            schema(schemars::SchemaGenerator::subschema_for::<Schedule>),
            schema(schemars::SchemaGenerator::subschema_for::<Page<Schedule>>),
        ),
        (
            "escalation_policies",
            "escalation policy",
            schema(schemars::SchemaGenerator::subschema_for::<EscalationPolicyInput>),
            schema(schemars::SchemaGenerator::subschema_for::<EscalationPolicy>),
            schema(schemars::SchemaGenerator::subschema_for::<Page<EscalationPolicy>>),
        ),
        (
            "integrations",
            "integration",
            schema(schemars::SchemaGenerator::subschema_for::<IntegrationInput>),
            schema(schemars::SchemaGenerator::subschema_for::<Integration>),
            schema(schemars::SchemaGenerator::subschema_for::<Page<Integration>>),
        ),
        (
            "outbound",
            "outbound target",
            schema(schemars::SchemaGenerator::subschema_for::<OutboundInput>),
            schema(schemars::SchemaGenerator::subschema_for::<Outbound>),
            schema(schemars::SchemaGenerator::subschema_for::<Page<Outbound>>),
        ),
    ];
    let templates = schema(schemars::SchemaGenerator::subschema_for::<Page<Template>>);
    let token_input = schema(schemars::SchemaGenerator::subschema_for::<TokenInput>);
    let token_info = schema(schemars::SchemaGenerator::subschema_for::<TokenInfo>);
    let created_token = schema(schemars::SchemaGenerator::subschema_for::<CreatedToken>);
    let alert = schema(schemars::SchemaGenerator::subschema_for::<Alert>);
    let accepted = schema(schemars::SchemaGenerator::subschema_for::<Accepted>);

    let errors = |codes: &[u16]| -> Value {
        let mut map = serde_json::Map::new();
        for code in codes {
            map.insert(
                code.to_string(),
                json!({"description": error_description(*code), "content": {"application/json": {"schema": error}}}),
            );
        }
        Value::Object(map)
    };
    let ok = |status: u16, description: &str, schema: &Value| -> Value {
        json!({ status.to_string(): {"description": description, "content": {"application/json": {"schema": schema}}} })
    };
    let merge = |mut a: Value, b: Value| -> Value {
        if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
            a.extend(b);
        }
        a
    };
    let read_errors = &[400, 401, 403, 404, 422, 429, 503][..];
    let write_errors = &[400, 401, 403, 404, 409, 412, 413, 422, 429, 503][..];
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let if_match = json!({"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"}, "description": "RFC 9110: `*`, or entity-tags such as `\"3\"` (the object's version, as its ETag says; a bare `3` is accepted too). 412 if none names the current version (a weak tag never does); 400 if malformed."});
    let idempotency = json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string"}, "description": "A repeat within 24 hours returns the first response and creates nothing."});
    let replaces = json!({"name": "replaces", "in": "query", "required": false, "schema": {"type": "string"}, "description": "The id of an object of the same kind the new one takes the place of, in one transaction: its name is freed for the new one, every reference to it names the new one (referrers keep their version), and it is deleted. If-Match applies to it; 422 not_deletable if it is marked so."});
    let paging = json!([
        {"name": "page", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": super::resources::MAX_PAGE, "default": 1}},
        {"name": "per_page", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
        {"name": "name", "in": "query", "required": false, "schema": {"type": "string"}},
    ]);

    let mut paths = serde_json::Map::new();
    for (segment, noun, input, object, page) in &kinds {
        let mut list_params = paging.clone();
        if *segment == "users" {
            list_params
                .as_array_mut()
                .expect("an array")
                .push(json!({"name": "email", "in": "query", "required": false, "schema": {"type": "string"}}));
        }
        paths.insert(
            format!("/api/v1/{segment}"),
            json!({
                "get": {"summary": format!("List {segment}"), "operationId": format!("list_{segment}"), "parameters": list_params,
                        "responses": merge(ok(200, "One page", page), errors(read_errors))},
                "post": {"summary": format!("Create a {noun}"), "operationId": format!("create_{segment}"), "parameters": [idempotency, replaces, if_match],
                         "requestBody": {"required": true, "content": {"application/json": {"schema": input}}},
                         "responses": merge(ok(201, "Created", object), errors(write_errors))},
            }),
        );
        paths.insert(
            format!("/api/v1/{segment}/{{id}}"),
            json!({
                "parameters": [id_param],
                "get": {"summary": format!("Get a {noun}"), "operationId": format!("get_{segment}"), "responses": merge(ok(200, "The object", object), errors(read_errors))},
                "put": {"summary": format!("Replace a {noun}"), "operationId": format!("replace_{segment}"), "parameters": [if_match],
                        "requestBody": {"required": true, "content": {"application/json": {"schema": input}}},
                        "responses": merge(ok(200, "Replaced", object), errors(write_errors))},
                "delete": {"summary": format!("Delete a {noun}"), "operationId": format!("delete_{segment}"), "parameters": [if_match],
                           "responses": merge(json!({"204": {"description": "Deleted"}}), errors(write_errors))},
            }),
        );
    }
    paths.insert(
        "/api/v1/integrations/{id}/alerts".to_owned(),
        json!({"get": {"summary": "Latest alerts of an integration, with their routing", "operationId": "list_alerts",
                       "parameters": [id_param, {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}],
                       "responses": merge(ok(200, "Newest first", &json!({"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": alert}}})), errors(read_errors))}}),
    );
    let oncall = schema(schemars::SchemaGenerator::subschema_for::<super::alerts::OnCall>);
    paths.insert(
        "/api/v1/schedules/{id}/oncall".to_owned(),
        json!({"get": {"summary": "Whom the schedule pages over a window, as the service pages it (the last layer with someone on call wins)", "operationId": "schedule_oncall",
                       "parameters": [id_param,
                           {"name": "since", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}, "description": "RFC 3339; default now"},
                           {"name": "until", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}, "description": format!("RFC 3339; default 7 days after `since`; at most {} days after it", super::alerts::MAX_ONCALL_DAYS)}],
                       "responses": merge(ok(200, "Who is on call, piece by piece", &oncall), errors(read_errors))}}),
    );
    paths.insert(
        "/api/v1/templates".to_owned(),
        json!({"get": {"summary": "The template gallery", "operationId": "list_templates", "responses": merge(ok(200, "Every template", &templates), errors(read_errors))}}),
    );
    paths.insert(
        "/api/v1/tokens".to_owned(),
        json!({
            "get": {"summary": "List tokens (names and roles only)", "operationId": "list_tokens",
                    "responses": merge(ok(200, "Tokens", &json!({"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": token_info}}})), errors(read_errors))},
            "post": {"summary": "Create a token; the only time it is shown", "operationId": "create_token",
                     "requestBody": {"required": true, "content": {"application/json": {"schema": token_input}}},
                     "responses": merge(ok(201, "Created", &created_token), errors(write_errors))},
        }),
    );
    paths.insert(
        "/api/v1/tokens/{name}".to_owned(),
        json!({"delete": {"summary": "Revoke a token", "operationId": "revoke_token",
                          "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                          "responses": merge(json!({"204": {"description": "Revoked"}}), errors(write_errors))}}),
    );
    paths.insert(
        "/api/v1/admin/reset".to_owned(),
        json!({"post": {"summary": "Delete every object and alert; tokens stay", "operationId": "reset",
                        "responses": merge(ok(200, "Reset", &json!({"type": "object"})), errors(write_errors))}}),
    );
    for (path, what) in [
        ("/v1/alerts/{key}", "an alert"),
        ("/v1/heartbeat/{key}", "a heartbeat"),
    ] {
        paths.insert(
            path.to_owned(),
            json!({"post": {"summary": format!("Send {what} to the integration with this key"), "operationId": if what == "an alert" { "send_alert" } else { "send_heartbeat" },
                            "security": [],
                            "parameters": [{"name": "key", "in": "path", "required": true, "schema": {"type": "string"}}],
                            "requestBody": {"required": what == "an alert", "content": {"application/json": {"schema": {}}}},
                            "responses": merge(ok(202, "Accepted", &accepted), errors(&[400, 404, 409, 413]))}}),
        );
    }
    paths.insert(
        "/healthz".to_owned(),
        json!({"get": {"summary": "Liveness", "operationId": "healthz", "security": [],
                       "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": {"type": "object"}}}}}}}),
    );
    paths.insert(
        "/metrics".to_owned(),
        json!({"get": {"summary": "Requests and latencies per route and status (Prometheus text)", "operationId": "metrics", "security": [],
                       "responses": {"200": {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}),
    );
    paths.insert(
        "/api/v1/openapi.json".to_owned(),
        json!({"get": {"summary": "This document", "operationId": "openapi", "security": [],
                       "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/json": {"schema": {"type": "object"}}}}}}}),
    );

    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.0.3",
        "info": {"title": "alertform service API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "The bundled backing service of alertform: users, groups, schedules, escalation policies, inbound integrations and outbound targets (webhooks are delivered)."},
        "servers": [{"url": "http://127.0.0.1:8765"}],
        "security": [{"bearer": []}],
        "paths": Value::Object(paths),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": Value::Object(schemas),
        },
    })
}

fn error_description(code: u16) -> &'static str {
    match code {
        400 => "invalid_request: the request cannot be read",
        401 => "unauthorized: missing or unknown token",
        403 => "forbidden: the token's role lacks the permission",
        404 => "not_found",
        409 => "conflict: name taken, or still referenced (see referenced_by)",
        412 => "precondition_failed: If-Match does not match the version",
        413 => "payload_too_large: body over 1 MiB",
        422 => "invalid_request, immutable_field, not_editable or not_deletable",
        429 => "rate_limited: see Retry-After",
        503 => "unavailable: try again",
        _ => "error",
    }
}
