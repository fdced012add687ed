//! `serve --api grafana_oncall`: the part of Grafana OnCall's public API v1 that alertform's
//! provider uses, in OnCall's own dialect — the raw token in `Authorization`, 403 for a bad one,
//! Django REST framework's error bodies, page-number paging with absolute `next` links, gappy
//! step positions, an immutable integration type. State lives in [`super::vendor`]; the rules over
//! it (unique names, references, cascades, Grafana's user sync) are in `rules.rs`, and this module
//! translates. Known differences from the real engine are in `docs/providers/grafana-oncall.md`.
//!
//! Users and teams cannot be created through OnCall's API (they come from Grafana): the
//! emulation takes them from a seed file (`serve --seed`) or `POST /emulator/grafana/sync`.

use super::json_answer as ok;
use crate::json::Items;
use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::vendor::{Collection, query_pairs};
use super::{App, auth, route};

mod rules;

pub use rules::{GrafanaOrg, sync_org};
use rules::{merge_route, team_id, unique_chain_name, unique_integration_name};

const API: &str = "grafana_oncall";
const USERS: Collection = collection("users");
const TEAMS: Collection = collection("teams");
const CHAINS: Collection = collection("escalation_chains");
const STEPS: Collection = Collection {
    api: API,
    name: "escalation_policies",
    ranked: true,
};
const INTEGRATIONS: Collection = collection("integrations");
const SCHEDULES: Collection = collection("schedules");
const SHIFTS: Collection = collection("on_call_shifts");

const fn collection(name: &'static str) -> Collection {
    Collection {
        api: API,
        name,
        ranked: false,
    }
}

/// The domain of generated inbound email addresses (the engine's `INBOUND_EMAIL_DOMAIN`).
const INBOUND_EMAIL_DOMAIN: &str = "inbound.oncall.localhost";
/// OnCall ignores a `perpage` above this.
const MAX_PAGE_SIZE: u64 = 100;
/// Integration types the API creates; `direct_paging` exists but cannot be created or deleted.
const INTEGRATION_TYPES: &[&str] = &[
    "alertmanager",
    "grafana_alerting",
    "webhook",
    "formatted_webhook",
    "kapacitor",
    "elastalert",
    "inbound_email",
    "maintenance",
    "manual",
    "zabbix",
    "grafana",
];
const STEP_TYPES: &[&str] = &[
    "wait",
    "notify_persons",
    "notify_person_next_each_time",
    "notify_team_members",
    "notify_on_call_from_schedule",
    "repeat_escalation",
    "resolve",
];
const SLACK_STEP_TYPES: &[&str] = &["notify_whole_channel", "notify_user_group"];

/// An error in Django REST framework's shape: `{"detail": …}` or messages keyed by field.
#[derive(Debug)]
pub struct Drf {
    status: StatusCode,
    body: Value,
}

impl Drf {
    fn detail(status: StatusCode, message: impl Into<String>) -> Drf {
        Drf {
            status,
            body: json!({"detail": message.into()}),
        }
    }

    fn bad_request(message: impl Into<String>) -> Drf {
        Drf::detail(StatusCode::BAD_REQUEST, message)
    }

    fn field(field: &str, message: &str) -> Drf {
        Drf {
            status: StatusCode::BAD_REQUEST,
            body: json!({ field: [message] }),
        }
    }

    fn not_found() -> Drf {
        Drf::detail(StatusCode::NOT_FOUND, "Not found.")
    }
}

impl From<ApiError> for Drf {
    fn from(err: ApiError) -> Drf {
        Drf::detail(err.status, err.message)
    }
}

impl IntoResponse for Drf {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

type Reply = Result<Response, Drf>;

/// OnCall's public API v1 and the emulator's admin endpoint.
pub fn router(state: App) -> Router {
    let mut api = Router::new();
    api = route(api, "/api/v1/users", get(list_users));
    api = route(api, "/api/v1/users/current", get(current_user));
    api = route(api, "/api/v1/users/{id}", get(get_user));
    api = route(api, "/api/v1/teams", get(list_teams));
    api = route(api, "/api/v1/teams/{id}", get(get_team));
    api = route(
        api,
        "/api/v1/escalation_chains",
        get(list_chains).post(create_chain),
    );
    api = route(
        api,
        "/api/v1/escalation_chains/{id}",
        get(get_chain).put(update_chain).delete(delete_chain),
    );
    api = route(
        api,
        "/api/v1/escalation_policies",
        get(list_steps).post(create_step),
    );
    api = route(
        api,
        "/api/v1/escalation_policies/{id}",
        get(get_step).put(update_step).delete(delete_step),
    );
    api = route(
        api,
        "/api/v1/integrations",
        get(list_integrations).post(create_integration),
    );
    api = route(
        api,
        "/api/v1/integrations/{id}",
        get(get_integration)
            .put(update_integration)
            .delete(delete_integration),
    );
    api = route(
        api,
        "/api/v1/schedules",
        get(list_schedules).post(create_schedule),
    );
    api = route(
        api,
        "/api/v1/schedules/{id}",
        get(get_schedule)
            .put(update_schedule)
            .delete(delete_schedule),
    );
    api = route(
        api,
        "/api/v1/schedules/{id}/final_shifts",
        get(final_shifts),
    );
    api = route(
        api,
        "/api/v1/on_call_shifts",
        get(list_shifts).post(create_shift),
    );
    api = route(
        api,
        "/api/v1/on_call_shifts/{id}",
        get(get_shift).put(update_shift).delete(delete_shift),
    );
    api = route(api, "/emulator/grafana/sync", post(sync));
    super::vendor_router(
        state,
        api,
        || async { Drf::not_found() },
        |request: Request| async move {
            Drf::detail(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("Method \"{}\" not allowed.", request.method()),
            )
        },
    )
}

/// alertform's shared errors (faults, rejections caught before a handler) in Django REST
/// framework's shape, as OnCall answers them: the renderer [`super::App::error_response`] uses for
/// this dialect. A 429 says when in DRF's words and in `RateLimit-Reset` beside `Retry-After`.
pub fn render_error(err: ApiError) -> Response {
    let seconds = err.retry_after;
    let message = match (err.status, seconds) {
        (StatusCode::TOO_MANY_REQUESTS, Some(seconds)) => {
            format!("Request was throttled. Expected available in {seconds} seconds.")
        }
        (StatusCode::PAYLOAD_TOO_LARGE, _) => "Request body too large.".to_owned(),
        _ => err.message,
    };
    let mut response = Drf::detail(err.status, message).into_response();
    if let Some(seconds) = seconds {
        let headers = response.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        if err.status == StatusCode::TOO_MANY_REQUESTS {
            headers.insert("ratelimit-reset", HeaderValue::from(seconds));
        }
    }
    response
}

/// OnCall's auth: the bare token. A wrong token, a `Bearer` prefix and a missing header all get
/// 403 `{"detail": "Invalid token."}`.
fn authenticate(app: &App, headers: &HeaderMap) -> Result<(), Drf> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if app.knows_token(token) {
        Ok(())
    } else {
        Err(Drf::detail(StatusCode::FORBIDDEN, "Invalid token."))
    }
}

/// A public primary key: a prefix and 12 characters OnCall draws from (no `O`, no `0`).
fn public_key(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNPQRSTUVWXYZ123456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    let tail: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("{prefix}{tail}")
}

/// A write handler's frame: authenticated, the JSON body parsed, `f` run in one transaction, its
/// DRF error answered as it is.
async fn transact<F>(app: &App, headers: &HeaderMap, bytes: &Bytes, f: F) -> Result<Value, Drf>
where
    F: FnOnce(&Transaction, Map<String, Value>) -> Result<Value, Drf> + Send + 'static,
{
    authenticate(app, headers)?;
    let body = parse_body(bytes)?;
    app.write(move |tx| Ok(f(tx, body))).await?
}

fn parse_body(bytes: &Bytes) -> Result<Map<String, Value>, Drf> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Drf::field(
            "non_field_errors",
            "Invalid data. Expected a dictionary, but got list.",
        )),
        Err(e) => Err(Drf::bad_request(format!("JSON parse error - {e}"))),
    }
}

/// OnCall's page-number paging: `page` and `perpage` (bad values fall back to the defaults, a
/// `perpage` over 100 is 100, a page past the end is the last page). Returns (size, page,
/// total pages).
fn page_of(query: &HashMap<String, String>, default_size: u64, count: u64) -> (u64, u64, u64) {
    let size = query
        .get("perpage")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|&p| p > 0)
        .map_or(default_size, |p| p.min(MAX_PAGE_SIZE));
    let total_pages = count.div_ceil(size).max(1);
    let page = query
        .get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|&p| p > 0)
        .unwrap_or(1)
        .min(total_pages);
    (size, page, total_pages)
}

/// A page body, with absolute `next`/`previous` links on the host the request used.
fn page_body(
    app: &App,
    headers: &HeaderMap,
    path: &str,
    query: &HashMap<String, String>,
    (size, page, total_pages): (u64, u64, u64),
    count: u64,
    results: &[Value],
) -> Reply {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| app.base_url.to_string(), |h| format!("http://{h}"));
    let link = |n: u64| {
        let mut pairs: Vec<String> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.sort();
        pairs.push(format!("page={n}"));
        json!(format!("{host}{path}?{}", pairs.join("&")))
    };
    ok(
        StatusCode::OK,
        json!({
            "count": count,
            "next": if page < total_pages { link(page + 1) } else { Value::Null },
            "previous": if page > 1 { link(page - 1) } else { Value::Null },
            "results": results,
            "page_size": size,
            "current_page_number": page,
            "total_pages": total_pages,
        }),
    )
}

/// Lists `collection`, filtered by one exact `lookup` when given.
async fn list_of(
    app: App,
    headers: HeaderMap,
    query: Option<String>,
    collection: Collection,
    default_size: u64,
    filter: &'static str,
    render: fn(&App, Value) -> Value,
) -> Reply {
    authenticate(&app, &headers)?;
    let pairs = query_pairs(query.as_deref());
    let lookup = pairs.get(filter).cloned().map(|v| {
        if filter == "email" {
            v.to_lowercase()
        } else {
            v
        }
    });
    let path = format!("/api/v1/{}/", collection.name);
    let paging = pairs.clone();
    let (count, window, results) = app
        .read(move |tx| {
            let count = collection.count(tx, lookup.as_deref())?;
            let window = page_of(&paging, default_size, count);
            let (size, page, _) = window;
            let results = collection.page(tx, lookup.as_deref(), (page - 1) * size, size)?;
            Ok((count, window, results))
        })
        .await?;
    let results: Vec<Value> = results.into_iter().map(|o| render(&app, o)).collect();
    page_body(&app, &headers, &path, &pairs, window, count, &results)
}

async fn get_of(
    app: App,
    headers: HeaderMap,
    id: String,
    collection: Collection,
    render: fn(&App, Value) -> Value,
) -> Reply {
    authenticate(&app, &headers)?;
    let found = app.read(move |tx| collection.get(tx, &id)).await?;
    match found {
        Some(object) => ok(StatusCode::OK, render(&app, object)),
        None => Err(Drf::not_found()),
    }
}

fn as_is(_: &App, object: Value) -> Value {
    object
}

async fn list_users(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    let pairs = query_pairs(query.as_deref());
    if let Some(username) = pairs.get("username") {
        // Case-insensitive exact match on the login, which the store does not index.
        authenticate(&app, &headers)?;
        let wanted = username.to_lowercase();
        let all = app.read(|tx| USERS.all(tx, None)).await?;
        let matching: Vec<Value> = all
            .into_iter()
            .filter(|u| u["username"].as_str().map(str::to_lowercase) == Some(wanted.clone()))
            .collect();
        let count = matching.len() as u64;
        let window = page_of(&pairs, 100, count);
        let (size, page, _) = window;
        let results: Vec<Value> = matching
            .into_iter()
            .skip(usize::try_from((page - 1) * size).unwrap_or(usize::MAX))
            .take(usize::try_from(size).unwrap_or(usize::MAX))
            .collect();
        return page_body(
            &app,
            &headers,
            "/api/v1/users/",
            &pairs,
            window,
            count,
            &results,
        );
    }
    list_of(app, headers, query, USERS, 100, "email", as_is).await
}

async fn get_user(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    get_of(app, headers, id, USERS, as_is).await
}

/// The emulation's tokens all belong to the org's first admin.
async fn current_user(State(app): State<App>, headers: HeaderMap) -> Reply {
    authenticate(&app, &headers)?;
    let users = app.read(|tx| USERS.all(tx, None)).await?;
    users
        .into_iter()
        .find(|u| u["role"] == "admin")
        .map_or_else(|| Err(Drf::not_found()), |u| ok(StatusCode::OK, u))
}

async fn list_teams(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    list_of(app, headers, query, TEAMS, 50, "name", as_is).await
}

async fn get_team(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    get_of(app, headers, id, TEAMS, as_is).await
}

// ---- escalation chains ----

async fn list_chains(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    list_of(app, headers, query, CHAINS, 50, "name", as_is).await
}

async fn get_chain(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    get_of(app, headers, id, CHAINS, as_is).await
}

fn chain_name(body: &Map<String, Value>, required: bool) -> Result<Option<String>, Drf> {
    match body.get("name") {
        None if required => Err(Drf::field("name", "This field is required.")),
        None => Ok(None),
        Some(Value::Null) => Err(Drf::field("name", "This field may not be null.")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(Drf::field("name", "This field may not be blank."))
        }
        Some(Value::String(s)) if s.chars().count() > 100 => Err(Drf::field(
            "name",
            "Ensure this field has no more than 100 characters.",
        )),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Drf::field("name", "Not a valid string.")),
    }
}

async fn create_chain(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Reply {
    let chain = transact(&app, &headers, &bytes, move |tx, body| {
        let name = chain_name(&body, true)?.unwrap_or_default();
        let team = team_id(tx, &body)?;
        unique_chain_name(tx, (&name, &team), "")?;
        let chain = json!({"id": public_key("F"), "name": name, "team_id": team});
        CHAINS.put(tx, &chain, &name, 0)?;
        Ok(chain)
    })
    .await?;
    ok(StatusCode::CREATED, chain)
}

async fn update_chain(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let chain = transact(&app, &headers, &bytes, move |tx, body| {
        let mut chain = CHAINS.get(tx, &id)?.ok_or_else(Drf::not_found)?;
        if let Some(name) = chain_name(&body, false)? {
            chain["name"] = json!(name);
        }
        if body.contains_key("team_id") {
            chain["team_id"] = team_id(tx, &body)?;
        }
        let name = chain["name"].as_str().unwrap_or_default().to_owned();
        unique_chain_name(tx, (&name, &chain["team_id"]), &id)?;
        CHAINS.put(tx, &chain, &name, 0)?;
        Ok(chain)
    })
    .await?;
    ok(StatusCode::OK, chain)
}

/// Deletes a chain and its steps. Integrations routed to it keep their route, which now pages
/// nobody (`escalation_chain_id` reads `null`): what the real engine does.
async fn delete_chain(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authenticate(&app, &headers)?;
    app.write(move |tx| Ok(rules::delete_chain(tx, &id)))
        .await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- escalation policies (steps) ----

/// A step as the API shows it: the common fields and only those of its type.
#[allow(
    clippy::needless_pass_by_value,
    reason = "one signature for every collection's renderer"
)]
fn render_step(_: &App, stored: Value) -> Value {
    let ty = stored["type"].as_str().unwrap_or_default();
    let mut shown = json!({
        "id": stored["id"],
        "escalation_chain_id": stored["escalation_chain_id"],
        "position": stored["position"],
        "type": ty,
    });
    let fields: &[&str] = match ty {
        "wait" => &["duration"],
        "notify_persons" => &["persons_to_notify", "important"],
        "notify_person_next_each_time" => &["persons_to_notify_next_each_time", "important"],
        "notify_team_members" => &["team_to_notify", "important"],
        "notify_on_call_from_schedule" => &["notify_on_call_from_schedule", "important"],
        _ => &[],
    };
    for field in fields {
        shown[*field] = stored[*field].clone();
    }
    shown
}

async fn list_steps(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    list_of(
        app,
        headers,
        query,
        STEPS,
        50,
        "escalation_chain_id",
        render_step,
    )
    .await
}

async fn get_step(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    get_of(app, headers, id, STEPS, render_step).await
}

fn position_value(value: &Value) -> Result<i64, Drf> {
    match value.as_i64() {
        Some(p) if p == -1 || (0..=2_147_483_647).contains(&p) => Ok(p),
        _ => Err(Drf::bad_request("Invalid value for position field")),
    }
}

/// Sets the fields of `ty` on `step` from `body`, clearing those of other types.
fn step_fields(
    tx: &Transaction,
    step: &mut Value,
    ty: &str,
    body: &Map<String, Value>,
    type_changed: bool,
) -> Result<(), Drf> {
    if type_changed {
        for field in [
            "duration",
            "persons_to_notify",
            "persons_to_notify_next_each_time",
            "team_to_notify",
            "notify_on_call_from_schedule",
            "important",
        ] {
            if let Some(map) = step.as_object_mut() {
                map.remove(field);
            }
        }
    }
    let important = body
        .get("important")
        .and_then(Value::as_bool)
        .or_else(|| step["important"].as_bool())
        .unwrap_or(false);
    match ty {
        "wait" => {
            let duration = body.get("duration").or_else(|| step.get("duration"));
            match duration.and_then(Value::as_i64) {
                Some(d) if (60..=86_400).contains(&d) => step["duration"] = json!(d),
                Some(_) => {
                    return Err(Drf::field(
                        "duration",
                        "Ensure this value is between 60 and 86400 seconds.",
                    ));
                }
                None => return Err(Drf::field("duration", "This field is required.")),
            }
        }
        "notify_persons" | "notify_person_next_each_time" => {
            let field = if ty == "notify_persons" {
                "persons_to_notify"
            } else {
                "persons_to_notify_next_each_time"
            };
            let ids = body
                .get(field)
                .or_else(|| step.get(field))
                .map_or_else(Vec::new, Items::strings);
            // Unknown user ids are dropped without a word, as the engine does.
            let mut known = Vec::new();
            for id in ids {
                if USERS.get(tx, &id)?.is_some() && !known.contains(&id) {
                    known.push(id);
                }
            }
            step[field] = json!(known);
            step["important"] = json!(important);
        }
        "notify_on_call_from_schedule" => {
            let schedule = body
                .get("notify_on_call_from_schedule")
                .or_else(|| step.get("notify_on_call_from_schedule"));
            match schedule.and_then(Value::as_str) {
                Some(id) if SCHEDULES.get(tx, id)?.is_some() => {
                    step["notify_on_call_from_schedule"] = json!(id);
                }
                _ => {
                    return Err(Drf::field(
                        "notify_on_call_from_schedule",
                        "Object does not exist",
                    ));
                }
            }
            step["important"] = json!(important);
        }
        "notify_team_members" => {
            let team = body
                .get("team_to_notify")
                .or_else(|| step.get("team_to_notify"));
            match team.and_then(Value::as_str) {
                Some(id) if TEAMS.get(tx, id)?.is_some() => step["team_to_notify"] = json!(id),
                _ => return Err(Drf::field("team_to_notify", "Object does not exist")),
            }
            step["important"] = json!(important);
        }
        _ => {}
    }
    Ok(())
}

fn step_type(body: &Map<String, Value>) -> Result<Option<String>, Drf> {
    match body.get("type") {
        None => Ok(None),
        Some(Value::Null) => Err(Drf::field("type", "This field may not be null.")),
        Some(Value::String(ty)) if STEP_TYPES.contains(&ty.as_str()) => Ok(Some(ty.clone())),
        Some(Value::String(ty)) if SLACK_STEP_TYPES.contains(&ty.as_str()) => Err(
            Drf::bad_request("Invalid escalation step type. This step is Slack-specific"),
        ),
        Some(_) => Err(Drf::bad_request("Invalid escalation step type")),
    }
}

/// OnCall's ordered-model `to()`: the step takes `position` and the steps between shift by one.
fn move_step(tx: &Transaction, step: &mut Value, chain: &str, position: i64) -> Result<(), Drf> {
    let id = step["id"].as_str().unwrap_or_default().to_owned();
    let siblings = STEPS.all(tx, Some(chain))?;
    let last = siblings
        .iter()
        .filter(|s| s["id"] != id.as_str())
        .filter_map(|s| s["position"].as_i64())
        .max();
    let old = step["position"].as_i64();
    let new = if position == -1 {
        last.map_or(0, |l| l + 1)
    } else {
        position
    };
    for mut sibling in siblings {
        if sibling["id"] == id.as_str() {
            continue;
        }
        let p = sibling["position"].as_i64().unwrap_or(0);
        let shifted = match old {
            Some(old) if new < old && p >= new && p < old => p + 1,
            Some(old) if new > old && p > old && p <= new => p - 1,
            None if p >= new => p + 1,
            _ => continue,
        };
        sibling["position"] = json!(shifted);
        STEPS.put(tx, &sibling, chain, shifted)?;
    }
    step["position"] = json!(new);
    Ok(())
}

async fn create_step(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Reply {
    let step = transact(&app, &headers, &bytes, move |tx, body| {
        let chain = match body.get("escalation_chain_id") {
            None => {
                return Err(Drf::field("escalation_chain_id", "This field is required."));
            }
            Some(Value::String(id)) if CHAINS.get(tx, id)?.is_some() => id.clone(),
            Some(_) => {
                return Err(Drf::field("escalation_chain_id", "Object does not exist"));
            }
        };
        let ty = step_type(&body)?.ok_or_else(|| Drf::field("type", "This field is required."))?;
        let mut step = json!({"id": public_key("E"), "escalation_chain_id": chain, "type": ty});
        step_fields(tx, &mut step, &ty, &body, false)?;
        let position = match body.get("position") {
            None | Some(Value::Null) => -1,
            Some(p) => position_value(p)?,
        };
        move_step(tx, &mut step, &chain, position)?;
        let rank = step["position"].as_i64().unwrap_or(0);
        STEPS.put(tx, &step, &chain, rank)?;
        Ok(step)
    })
    .await?;
    ok(StatusCode::CREATED, render_step(&app, step))
}

async fn update_step(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let step = transact(&app, &headers, &bytes, move |tx, body| {
        let mut step = STEPS.get(tx, &id)?.ok_or_else(Drf::not_found)?;
        let chain = step["escalation_chain_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let old_type = step["type"].as_str().unwrap_or_default().to_owned();
        let ty = step_type(&body)?.unwrap_or_else(|| old_type.clone());
        step["type"] = json!(ty);
        step_fields(tx, &mut step, &ty, &body, ty != old_type)?;
        if let Some(position) = body.get("position").filter(|p| !p.is_null()) {
            let position = position_value(position)?;
            move_step(tx, &mut step, &chain, position)?;
        }
        let rank = step["position"].as_i64().unwrap_or(0);
        STEPS.put(tx, &step, &chain, rank)?;
        Ok(step)
    })
    .await?;
    ok(StatusCode::OK, render_step(&app, step))
}

/// Positions are not renumbered after a delete: gaps stay, as in the engine.
async fn delete_step(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authenticate(&app, &headers)?;
    let deleted = app.write(move |tx| STEPS.delete(tx, &id)).await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Drf::not_found())
    }
}

// ---- integrations ----

fn empty_templates() -> Value {
    let pair = || json!({"title": null, "message": null, "image_url": null});
    json!({
        "grouping_key": null, "resolve_signal": null, "acknowledge_signal": null,
        "source_link": null, "slack": pair(), "web": pair(), "telegram": pair(),
        "sms": {"title": null}, "phone_call": {"title": null},
        "email": {"title": null, "message": null}, "mobile_app": {"title": null, "message": null},
    })
}

/// Whether a template's Jinja2 delimiters balance (the engine compiles it; an unbalanced one is
/// the error users hit).
fn valid_template(text: &str) -> bool {
    let opens = text.matches("{{").count() + text.matches("{%").count();
    let closes = text.matches("}}").count() + text.matches("%}").count();
    opens == closes
}

/// Merges `given` into `stored` templates: keys left out stay, `null` resets to the default.
fn merge_templates(stored: &mut Value, given: &Value) -> Result<(), Drf> {
    let Some(given) = given.as_object() else {
        return if given.is_null() {
            *stored = empty_templates();
            Ok(())
        } else {
            Err(Drf::bad_request("Invalid template data"))
        };
    };
    let defaults = empty_templates();
    for (key, value) in given {
        let Some(default) = defaults.get(key) else {
            return Err(Drf::bad_request("Invalid template data"));
        };
        match (default, value) {
            (_, Value::Null) => stored[key] = default.clone(),
            (Value::Null, Value::String(text)) if valid_template(text) => stored[key] = json!(text),
            (Value::Object(fields), Value::Object(parts)) => {
                for (field, part) in parts {
                    match part {
                        _ if !fields.contains_key(field) => {
                            return Err(Drf::bad_request("Invalid template data"));
                        }
                        Value::Null => stored[key][field] = Value::Null,
                        Value::String(text) if valid_template(text) => {
                            stored[key][field] = json!(text);
                        }
                        _ => return Err(Drf::bad_request("Invalid template data")),
                    }
                }
            }
            _ => return Err(Drf::bad_request("Invalid template data")),
        }
    }
    Ok(())
}

/// The integration as the API shows it: `link` and `inbound_email` derived from its token,
/// which the store keeps as a nonce only.
fn render_integration(app: &App, mut stored: Value) -> Value {
    let ty = stored["type"].as_str().unwrap_or_default().to_owned();
    let nonce = stored["nonce"].as_str().unwrap_or_default().to_owned();
    let token = auth::integration_key(&app.secret, &nonce);
    if let Some(map) = stored.as_object_mut() {
        map.remove("nonce");
        let link = if matches!(ty.as_str(), "manual" | "inbound_email" | "maintenance") {
            Value::Null
        } else {
            json!(format!("{}/integrations/v1/{ty}/{token}/", app.base_url))
        };
        map.insert("link".into(), link);
        map.insert(
            "inbound_email".into(),
            if ty == "inbound_email" {
                json!(format!("{token}@{INBOUND_EMAIL_DOMAIN}"))
            } else {
                Value::Null
            },
        );
    }
    stored
}

async fn list_integrations(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    list_of(
        app,
        headers,
        query,
        INTEGRATIONS,
        50,
        "name",
        render_integration,
    )
    .await
}

async fn get_integration(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    get_of(app, headers, id, INTEGRATIONS, render_integration).await
}

fn description(body: &Map<String, Value>) -> Result<Option<Value>, Drf> {
    match body.get("description_short") {
        None => Ok(None),
        Some(Value::String(d)) if d.chars().count() > 250 => Err(Drf::field(
            "description_short",
            "Ensure this field has no more than 250 characters.",
        )),
        Some(d @ (Value::String(_) | Value::Null)) => Ok(Some(d.clone())),
        Some(_) => Err(Drf::field("description_short", "Not a valid string.")),
    }
}

async fn create_integration(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Reply {
    let integration = transact(&app, &headers, &bytes, move |tx, body| {
        let ty = match body.get("type") {
            None => return Err(Drf::field("type", "This field is required.")),
            Some(Value::String(t)) if t == "direct_paging" => {
                return Err(Drf::bad_request(
                    "Direct paging integrations can't be created",
                ));
            }
            Some(Value::String(t)) if t.starts_with("legacy_") => {
                return Err(Drf::bad_request("This integration type is deprecated"));
            }
            Some(Value::String(t)) if INTEGRATION_TYPES.contains(&t.as_str()) => t.clone(),
            Some(_) => return Err(Drf::bad_request("Invalid integration type")),
        };
        let name = match body.get("name") {
            Some(Value::String(n)) if !n.trim().is_empty() => n.clone(),
            Some(Value::String(_)) => {
                return Err(Drf::field("name", "This field may not be blank."));
            }
            Some(Value::Null) | None => ty.clone(),
            Some(_) => return Err(Drf::field("name", "Not a valid string.")),
        };
        let team = team_id(tx, &body)?;
        unique_integration_name(tx, (&name, &team), "")?;
        let mut route = json!({
            "id": public_key("R"), "escalation_chain_id": null,
            "slack": {"channel_id": null, "enabled": true},
            "telegram": {"id": null, "enabled": false},
        });
        if let Some(given) = body.get("default_route") {
            merge_route(tx, &mut route, given)?;
        }
        let mut templates = empty_templates();
        if let Some(given) = body.get("templates") {
            merge_templates(&mut templates, given)?;
        }
        let integration = json!({
            "id": public_key("C"), "name": name,
            "description_short": description(&body)?.unwrap_or(Value::Null),
            "team_id": team, "type": ty, "default_route": route, "templates": templates,
            "heartbeat": null, "maintenance_mode": null,
            "maintenance_started_at": null, "maintenance_end_at": null,
            "nonce": auth::random_hex(16),
        });
        INTEGRATIONS.put(tx, &integration, &name, 0)?;
        Ok(integration)
    })
    .await?;
    ok(StatusCode::CREATED, render_integration(&app, integration))
}

/// PUT is partial, and `type` in the body is ignored: an integration's type never changes.
async fn update_integration(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let integration = transact(&app, &headers, &bytes, move |tx, body| {
        let mut integration = INTEGRATIONS.get(tx, &id)?.ok_or_else(Drf::not_found)?;
        match body.get("name") {
            Some(Value::String(n)) if !n.trim().is_empty() => {
                integration["name"] = json!(n);
            }
            Some(Value::String(_)) => {
                return Err(Drf::field("name", "This field may not be blank."));
            }
            None => {}
            Some(_) => return Err(Drf::field("name", "Not a valid string.")),
        }
        if body.contains_key("team_id") {
            integration["team_id"] = team_id(tx, &body)?;
        }
        if let Some(d) = description(&body)? {
            integration["description_short"] = d;
        }
        if let Some(given) = body.get("default_route") {
            let mut route = integration["default_route"].clone();
            merge_route(tx, &mut route, given)?;
            integration["default_route"] = route;
        }
        if let Some(given) = body.get("templates") {
            let mut templates = integration["templates"].clone();
            merge_templates(&mut templates, given)?;
            integration["templates"] = templates;
        }
        let name = integration["name"].as_str().unwrap_or_default().to_owned();
        unique_integration_name(tx, (&name, &integration["team_id"]), &id)?;
        INTEGRATIONS.put(tx, &integration, &name, 0)?;
        Ok(integration)
    })
    .await?;
    ok(StatusCode::OK, render_integration(&app, integration))
}

async fn delete_integration(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    authenticate(&app, &headers)?;
    app.write(move |tx| {
        let run = || -> Result<(), Drf> {
            let integration = INTEGRATIONS.get(tx, &id)?.ok_or_else(Drf::not_found)?;
            if integration["type"] == "direct_paging" {
                return Err(Drf::bad_request(
                    "Direct paging integrations can't be deleted",
                ));
            }
            INTEGRATIONS.delete(tx, &id)?;
            Ok(())
        };
        Ok(run())
    })
    .await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- schedules and on-call shifts ----

const SHIFT_TYPES: &[&str] = &[
    "rolling_users",
    "recurrent_event",
    "single_event",
    "override",
];
const FREQUENCIES: &[&str] = &["daily", "weekly", "monthly", "hourly"];
const WEEKDAYS: &[&str] = &["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

async fn list_shifts(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    list_of(app, headers, query, SHIFTS, 50, "name", as_is).await
}

async fn get_shift(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    get_of(app, headers, id, SHIFTS, as_is).await
}

/// Sets a shift's fields from `body` (all of them on create, those given on update) and checks
/// the whole. A `rolling_users` shift needs `start_rotation_from_user_index`, as the engine does.
fn shift_fields(tx: &Transaction, shift: &mut Value, body: &Map<String, Value>) -> Result<(), Drf> {
    for field in [
        "name",
        "type",
        "time_zone",
        "level",
        "start",
        "rotation_start",
        "duration",
        "frequency",
        "interval",
        "by_day",
        "week_start",
        "rolling_users",
        "users",
        "start_rotation_from_user_index",
        "until",
    ] {
        if let Some(value) = body.get(field) {
            shift[field] = value.clone();
        }
    }
    let required = |shift: &Value, field: &str| -> Result<(), Drf> {
        if shift.get(field).is_none_or(Value::is_null) {
            return Err(Drf::field(field, "This field is required."));
        }
        Ok(())
    };
    for field in ["name", "type", "start", "duration"] {
        required(shift, field)?;
    }
    let ty = shift["type"].as_str().unwrap_or_default().to_owned();
    if !SHIFT_TYPES.contains(&ty.as_str()) {
        return Err(Drf::field(
            "type",
            &format!("\"{ty}\" is not a valid choice."),
        ));
    }
    for field in ["start", "rotation_start", "until"] {
        if let Some(text) = shift.get(field).and_then(Value::as_str)
            && text.parse::<jiff::civil::DateTime>().is_err()
        {
            return Err(Drf::field(
                field,
                "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm:ss.",
            ));
        }
    }
    if shift.get("rotation_start").is_none_or(Value::is_null) {
        shift["rotation_start"] = shift["start"].clone();
    }
    if shift["duration"].as_i64().is_none_or(|d| d <= 0) {
        return Err(Drf::field("duration", "A valid integer is required."));
    }
    if let Some(tz) = shift.get("time_zone").and_then(Value::as_str)
        && crate::model::validate::schedule_zone(tz).is_none()
    {
        return Err(Drf::field("time_zone", "Invalid timezone"));
    }
    if let Some(frequency) = shift.get("frequency").and_then(Value::as_str)
        && !FREQUENCIES.contains(&frequency)
    {
        return Err(Drf::field(
            "frequency",
            &format!("\"{frequency}\" is not a valid choice."),
        ));
    }
    if shift.get("interval").is_none_or(Value::is_null) {
        shift["interval"] = json!(1);
    }
    if shift["interval"].as_i64().is_none_or(|i| i <= 0) {
        return Err(Drf::field(
            "interval",
            "Ensure this value is greater than or equal to 1.",
        ));
    }
    if shift.get("level").is_none_or(Value::is_null) {
        shift["level"] = json!(0);
    }
    if shift.get("week_start").is_none_or(Value::is_null) {
        shift["week_start"] = json!("SU");
    }
    if let Some(days) = shift.get("by_day").and_then(Value::as_array)
        && days
            .iter()
            .any(|d| !d.as_str().is_some_and(|d| WEEKDAYS.contains(&d)))
    {
        return Err(Drf::field("by_day", "Invalid day value."));
    }
    if ty == "rolling_users" {
        required(shift, "frequency")?;
        required(shift, "start_rotation_from_user_index")?;
        let groups = shift["rolling_users"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if groups.is_empty() {
            return Err(Drf::field("rolling_users", "This field is required."));
        }
        for group in &groups {
            for user in group.items() {
                let known = match user.as_str() {
                    Some(id) => USERS.get(tx, id)?.is_some(),
                    None => false,
                };
                if !known {
                    return Err(Drf::field("rolling_users", "Object does not exist"));
                }
            }
        }
    }
    Ok(())
}

async fn create_shift(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Reply {
    let shift = transact(&app, &headers, &bytes, move |tx, body| {
        let mut shift = json!({
            "id": public_key("O"), "team_id": null, "schedule": null, "time_zone": null,
            "by_day": null, "until": null, "users": [], "rolling_users": null,
        });
        shift_fields(tx, &mut shift, &body)?;
        let name = shift["name"].as_str().unwrap_or_default().to_owned();
        SHIFTS.put(tx, &shift, &name, 0)?;
        Ok(shift)
    })
    .await?;
    ok(StatusCode::CREATED, shift)
}

/// Takes effect at once, also for a shift of a web schedule; its `schedule` is read-only.
async fn update_shift(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let shift = transact(&app, &headers, &bytes, move |tx, mut body| {
        let mut shift = SHIFTS.get(tx, &id)?.ok_or_else(Drf::not_found)?;
        body.remove("schedule");
        shift_fields(tx, &mut shift, &body)?;
        let name = shift["name"].as_str().unwrap_or_default().to_owned();
        SHIFTS.put(tx, &shift, &name, 0)?;
        Ok(shift)
    })
    .await?;
    ok(StatusCode::OK, shift)
}

async fn delete_shift(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authenticate(&app, &headers)?;
    let deleted = app.write(move |tx| SHIFTS.delete(tx, &id)).await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Drf::not_found())
    }
}

fn render_schedule(tx: &Transaction, mut schedule: Value) -> Result<Value, ApiError> {
    let ids: Vec<String> = schedule["shifts"]
        .items()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let mut shifts = Vec::new();
    for id in &ids {
        shifts.extend(SHIFTS.get(tx, id)?);
    }
    // Who the engine pages now, by its own rules (as `final_shifts`).
    let instant = jiff::Timestamp::now();
    let mut now: Vec<String> = crate::schedule::oncall_engine::final_shifts(
        &shifts,
        schedule["time_zone"].as_str().unwrap_or("UTC"),
        instant,
        instant + jiff::SignedDuration::from_secs(1),
    )
    .into_iter()
    .map(|piece| piece.user)
    .collect();
    now.dedup();
    schedule["on_call_now"] = json!(now);
    Ok(schedule)
}

async fn list_schedules(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let pairs = query_pairs(query.as_deref());
    let lookup = pairs.get("name").cloned();
    let paging = pairs.clone();
    let (count, window, results) = app
        .read(move |tx| {
            let count = SCHEDULES.count(tx, lookup.as_deref())?;
            let window = page_of(&paging, 50, count);
            let (size, page, _) = window;
            let results = SCHEDULES
                .page(tx, lookup.as_deref(), (page - 1) * size, size)?
                .into_iter()
                .map(|s| render_schedule(tx, s))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((count, window, results))
        })
        .await?;
    page_body(
        &app,
        &headers,
        "/api/v1/schedules/",
        &pairs,
        window,
        count,
        &results,
    )
}

async fn get_schedule(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Reply {
    authenticate(&app, &headers)?;
    let found = app
        .read(move |tx| {
            SCHEDULES
                .get(tx, &id)?
                .map(|s| render_schedule(tx, s))
                .transpose()
        })
        .await?;
    found.map_or_else(|| Err(Drf::not_found()), |s| ok(StatusCode::OK, s))
}

/// `GET /api/v1/schedules/{id}/final_shifts?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD`: who the
/// engine pages, by its own rules (`crate::schedule::oncall_engine`, the four ways it differs from
/// the documented rotation included), in pieces cut to the days (00:00 UTC to the end date's
/// end), at most 365 days; back-to-back pieces of one user are not merged, as the engine's are not.
async fn final_shifts(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let pairs = query_pairs(query.as_deref());
    let date = |field: &str| -> Result<jiff::civil::Date, Drf> {
        pairs
            .get(field)
            .ok_or_else(|| Drf::field(field, "This field is required."))?
            .parse()
            .map_err(|_| {
                Drf::field(
                    field,
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
                )
            })
    };
    let (start, end) = (date("start_date")?, date("end_date")?);
    if end < start {
        return Err(Drf::bad_request("end_date must be on or after start_date"));
    }
    if start.until(end).map_or(true, |span| span.get_days() > 365) {
        return Err(Drf::bad_request(
            "The date range cannot be more than 365 days",
        ));
    }
    let midnight = |d: jiff::civil::Date| {
        jiff::tz::TimeZone::UTC
            .to_ambiguous_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .compatible()
            .map_err(|e| Drf::bad_request(e.to_string()))
    };
    let (from, to) = (
        midnight(start)?,
        midnight(
            end.tomorrow()
                .map_err(|e| Drf::bad_request(e.to_string()))?,
        )?,
    );
    let results = app
        .read(move |tx| {
            let schedule = SCHEDULES.get(tx, &id)?;
            let Some(schedule) = schedule else {
                return Ok(None);
            };
            let mut shifts = Vec::new();
            for shift in schedule["shifts"].items() {
                shifts.extend(SHIFTS.get(tx, shift.as_str().unwrap_or_default())?);
            }
            let zone = schedule["time_zone"].as_str().unwrap_or("UTC");
            let mut results = Vec::new();
            for piece in crate::schedule::oncall_engine::final_shifts(&shifts, zone, from, to) {
                let user = USERS.get(tx, &piece.user)?.unwrap_or(Value::Null);
                results.push(json!({
                    "user_pk": piece.user, "user_email": user["email"], "user_username": user["username"],
                    "shift_start": piece.start.to_string(), "shift_end": piece.end.to_string(),
                }));
            }
            Ok(Some(results))
        })
        .await?
        .ok_or_else(Drf::not_found)?;
    ok(
        StatusCode::OK,
        json!({"count": results.len(), "next": null, "previous": null, "results": results}),
    )
}

/// A web schedule takes its shifts only here, on create.
async fn create_schedule(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Reply {
    let schedule = transact(&app, &headers, &bytes, move |tx, body| {
        let ty = match body.get("type").and_then(Value::as_str) {
            None => return Err(Drf::field("type", "This field is required.")),
            Some(ty @ ("web" | "calendar" | "ical")) => ty.to_owned(),
            Some(ty) => {
                return Err(Drf::field(
                    "type",
                    &format!("\"{ty}\" is not a valid choice."),
                ));
            }
        };
        let name = chain_name(&body, true)?.unwrap_or_default();
        if !SCHEDULES.all(tx, Some(&name))?.is_empty() {
            return Err(Drf::field("name", "Schedule with this name already exists"));
        }
        let time_zone = body
            .get("time_zone")
            .and_then(Value::as_str)
            .unwrap_or("UTC")
            .to_owned();
        if crate::model::validate::schedule_zone(&time_zone).is_none() {
            return Err(Drf::field("time_zone", "Invalid timezone"));
        }
        let id = public_key("S");
        let mut shift_ids = Vec::new();
        for shift_id in body
            .get("shifts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let shift_id = shift_id.as_str().unwrap_or_default();
            let mut shift = SHIFTS
                .get(tx, shift_id)?
                .ok_or_else(|| Drf::field("shifts", "Object does not exist"))?;
            shift["schedule"] = json!(id);
            let shift_name = shift["name"].as_str().unwrap_or_default().to_owned();
            SHIFTS.put(tx, &shift, &shift_name, 0)?;
            shift_ids.push(json!(shift_id));
        }
        let schedule = json!({
            "id": id, "team_id": team_id(tx, &body)?, "name": name, "type": ty,
            "time_zone": time_zone, "shifts": shift_ids,
            "slack": {"channel_id": null, "user_group_id": null},
        });
        SCHEDULES.put(tx, &schedule, &name, 0)?;
        Ok(render_schedule(tx, schedule)?)
    })
    .await?;
    ok(StatusCode::CREATED, schedule)
}

/// `shifts` cannot change on a web schedule through the API (the engine answers 400).
async fn update_schedule(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let schedule = transact(&app, &headers, &bytes, move |tx, body| {
        let mut schedule = SCHEDULES.get(tx, &id)?.ok_or_else(Drf::not_found)?;
        if schedule["type"] == "web" && body.contains_key("shifts") {
            return Err(Drf::bad_request(
                "Web schedule update is not enabled through API",
            ));
        }
        if let Some(name) = chain_name(&body, false)? {
            if SCHEDULES
                .all(tx, Some(&name))?
                .iter()
                .any(|s| s["id"] != id.as_str())
            {
                return Err(Drf::field("name", "Schedule with this name already exists"));
            }
            schedule["name"] = json!(name);
        }
        if let Some(tz) = body.get("time_zone").and_then(Value::as_str) {
            if crate::model::validate::schedule_zone(tz).is_none() {
                return Err(Drf::field("time_zone", "Invalid timezone"));
            }
            schedule["time_zone"] = json!(tz);
        }
        let name = schedule["name"].as_str().unwrap_or_default().to_owned();
        SCHEDULES.put(tx, &schedule, &name, 0)?;
        Ok(render_schedule(tx, schedule)?)
    })
    .await?;
    ok(StatusCode::OK, schedule)
}

/// Deletes a schedule and its shifts. Steps that notify it keep the step, now pointing nowhere
/// (`notify_on_call_from_schedule: null`), as a deleted chain leaves routes.
async fn delete_schedule(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    authenticate(&app, &headers)?;
    app.write(move |tx| Ok(rules::delete_schedule(tx, &id)))
        .await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /emulator/grafana/sync`: what signing in to Grafana (or Grafana's user sync) does for
/// OnCall. Not part of OnCall's API; the emulation's admin door.
async fn sync(State(app): State<App>, headers: HeaderMap, bytes: Bytes) -> Reply {
    authenticate(&app, &headers)?;
    let org: GrafanaOrg = serde_json::from_slice(&bytes)
        .map_err(|e| Drf::bad_request(format!("not a Grafana org: {e}")))?;
    let (users, teams) = app.write(move |tx| sync_org(tx, &org)).await?;
    ok(StatusCode::OK, json!({"users": users, "teams": teams}))
}

/// Grafana OnCall's dialect.
pub(crate) static DIALECT: super::Dialect = super::Dialect {
    seed_file: Some("grafana-oncall-seed.json"),
    seed: Some(|app, path| super::load_seed(app, path, sync_org)),
    ..super::Dialect::vendor(router, render_error)
};
