//! Opsgenie's REST API v2 (`serve --api opsgenie`): users, teams, schedules with their
//! rotations, escalations and integrations, in Opsgenie's wire dialect: `Authorization: GenieKey
//! KEY`, bodies enveloped as `{data, took, requestId}` (writes `{result, data, took,
//! requestId}`), errors `{message, took, requestId}` with an `errors` map on 422, only users
//! paged (`limit`/`offset`, `totalCount`, `paging.next`), `identifierType=name` on teams,
//! schedules and escalations, and 429s with the `X-RateLimit-*` headers. The rules an account
//! keeps are in [`rules`]; every choice where the public sources are silent is listed in
//! `docs/providers/opsgenie.md`.

pub mod rules;
pub mod timeline;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rusqlite::Transaction;
use serde_json::{Value, json};

use super::error::ApiError;
use super::vendor::{Collection, query_pairs};
use super::{App, route};
use rules::{ESCALATIONS, INTEGRATIONS, OgError, Ruled, SCHEDULES, TEAMS, USERS, ruled};

/// The largest page of users served, and the page size without `limit`.
const MAX_LIMIT: u64 = 100;

impl IntoResponse for OgError {
    fn into_response(self) -> Response {
        let mut body =
            json!({"message": self.message, "took": 0.001, "requestId": rules::new_id()});
        if !self.errors.is_empty() {
            body["errors"] = Value::Object(self.errors);
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let headers = response.headers_mut();
            for (name, value) in [
                ("x-ratelimit-state", "THROTTLED"),
                ("x-ratelimit-reason", "ACCOUNT"),
                ("x-ratelimit-period-in-sec", "60"),
            ] {
                headers.insert(name, HeaderValue::from_static(value));
            }
        }
        response
    }
}

/// The shared layers' errors (faults, rate limits, bodies too large) in Opsgenie's shape.
pub fn render_error(err: ApiError) -> Response {
    let status = err.status;
    let message = match status {
        StatusCode::TOO_MANY_REQUESTS => "TooManyRequests".to_owned(),
        StatusCode::UNAUTHORIZED => "Could not authenticate".to_owned(),
        _ => err.message,
    };
    let mut response = OgError::new(status.as_u16(), message).into_response();
    if let Some(seconds) = err
        .retry_after
        .filter(|_| status != StatusCode::TOO_MANY_REQUESTS)
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

type Reply = Result<Response, OgError>;

fn envelope(status: StatusCode, mut body: Value) -> Response {
    body["took"] = json!(0.001);
    body["requestId"] = json!(rules::new_id());
    (status, axum::Json(body)).into_response()
}

/// `{data, took, requestId}`.
#[allow(
    clippy::unnecessary_wraps,
    reason = "handlers end in `data(..)` beside their `?`s"
)]
fn data(data: Value) -> Reply {
    let mut body = json!({});
    body["data"] = data;
    Ok(envelope(StatusCode::OK, body))
}

/// A write's answer: `{result, data: {id, name}, took, requestId}`.
#[allow(
    clippy::unnecessary_wraps,
    reason = "handlers end in `written(..)` beside their `?`s"
)]
fn written(status: StatusCode, result: &str, object: &Value) -> Reply {
    let mut shown =
        json!({"id": object["id"], "name": object.get("name").or_else(|| object.get("username"))});
    if let Some(key) = object.get("apiKey") {
        shown["apiKey"] = key.clone();
    }
    Ok(envelope(status, json!({"result": result, "data": shown})))
}

/// Opsgenie's auth: `Authorization: GenieKey KEY` with a key of the service's.
fn authenticate(app: &App, headers: &HeaderMap) -> Result<(), OgError> {
    let key = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("GenieKey "))
        .unwrap_or_default();
    if app.knows_token(key.trim()) {
        Ok(())
    } else {
        Err(OgError::new(401, "Could not authenticate"))
    }
}

fn parse(body: &[u8]) -> Result<Value, OgError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.is_object() => Ok(value),
        Ok(_) => Err(OgError::new(400, "The request body must be a JSON object")),
        Err(e) => Err(OgError::new(
            400,
            format!("Could not parse the request body: {e}"),
        )),
    }
}

/// One kind of object: where it is stored, what it is called, the rule that checks a body,
/// and what its list entries leave out.
#[derive(Clone, Copy)]
struct Kind {
    collection: Collection,
    noun: &'static str,
    rule: fn(&Transaction, &Value, Option<&Value>) -> Ruled<Value>,
    /// Fields a list entry has (all when empty).
    listed: &'static [&'static str],
    /// Whether a path names an object by name with `identifierType=name`.
    by_name: bool,
}

const KINDS: [Kind; 7] = [
    Kind {
        collection: USERS,
        noun: "User",
        rule: rules::user,
        listed: &[],
        by_name: false,
    },
    Kind {
        collection: TEAMS,
        noun: "Team",
        rule: rules::team,
        listed: &["id", "name", "description"],
        by_name: true,
    },
    Kind {
        collection: SCHEDULES,
        noun: "Schedule",
        rule: rules::schedule,
        listed: &[
            "id",
            "name",
            "description",
            "timezone",
            "enabled",
            "ownerTeam",
        ],
        by_name: true,
    },
    Kind {
        collection: ESCALATIONS,
        noun: "Escalation",
        rule: rules::escalation,
        listed: &[],
        by_name: true,
    },
    Kind {
        collection: INTEGRATIONS,
        noun: "Integration",
        rule: rules::integration,
        listed: &["id", "name", "enabled", "type", "ownerTeam"],
        by_name: false,
    },
    Kind {
        collection: rules::HEARTBEATS,
        noun: "Heartbeat",
        rule: rules::heartbeat,
        listed: &[
            "name",
            "description",
            "interval",
            "enabled",
            "intervalUnit",
            "expired",
        ],
        by_name: false,
    },
    Kind {
        collection: rules::POLICIES,
        noun: "Policy",
        rule: rules::policy,
        listed: &["id", "name", "type", "enabled"],
        by_name: false,
    },
];
const USER: u8 = 0;
const TEAM: u8 = 1;
const SCHEDULE: u8 = 2;
const ESCALATION: u8 = 3;
const INTEGRATION: u8 = 4;
const HEARTBEAT: u8 = 5;
const POLICY: u8 = 6;

/// A kind's collection and object routes: list and create, then get, update and delete by id
/// (integrations take a full-body `PUT`, the rest `PATCH`).
fn kind_routes<const K: u8>(api: Router<App>, path: &str) -> Router<App> {
    let api = route(api, path, get(list::<K>).post(create::<K>));
    let object = get(one::<K>).delete(delete::<K>);
    let object = if K == INTEGRATION {
        object.put(update::<K>)
    } else {
        object.patch(update::<K>)
    };
    route(api, &format!("{path}/{{id}}"), object)
}

/// Opsgenie's REST API v2, the part alertform uses.
pub fn router(state: App) -> Router {
    let mut api = Router::new();
    api = route(api, "/v2/users", get(list_users).post(create::<USER>));
    api = route(
        api,
        "/v2/users/{id}",
        get(one::<USER>).patch(update::<USER>).delete(delete_user),
    );
    api = kind_routes::<TEAM>(api, "/v2/teams");
    api = kind_routes::<SCHEDULE>(api, "/v2/schedules");
    api = kind_routes::<ESCALATION>(api, "/v2/escalations");
    api = kind_routes::<INTEGRATION>(api, "/v2/integrations");
    api = kind_routes::<HEARTBEAT>(api, "/v2/heartbeats");
    api = route(api, "/v2/policies", axum::routing::post(create::<POLICY>));
    api = route(api, "/v2/policies/alert", get(list::<POLICY>));
    api = route(
        api,
        "/v2/policies/{id}",
        get(one::<POLICY>)
            .put(update::<POLICY>)
            .delete(delete::<POLICY>),
    );
    api = route(api, "/v2/schedules/{id}/timeline", get(schedule_timeline));
    api = route(api, "/v2/schedules/{id}/on-calls", get(schedule_on_calls));
    api = route(
        api,
        "/v2/schedules/{id}/rotations",
        get(list_parts::<ROTATIONS>).post(create_part::<ROTATIONS>),
    );
    api = route(
        api,
        "/v2/schedules/{id}/rotations/{part}",
        get(one_part::<ROTATIONS>)
            .patch(update_part::<ROTATIONS>)
            .delete(delete_part::<ROTATIONS>),
    );
    api = route(
        api,
        "/v2/schedules/{id}/overrides",
        get(list_parts::<OVERRIDES>).post(create_part::<OVERRIDES>),
    );
    api = route(
        api,
        "/v2/schedules/{id}/overrides/{part}",
        get(one_part::<OVERRIDES>)
            .put(update_part::<OVERRIDES>)
            .delete(delete_part::<OVERRIDES>),
    );
    super::vendor_router(
        state,
        api,
        || async { OgError::new(404, "Could not find the requested resource") },
        || async { OgError::new(405, "Method not allowed") },
    )
}

fn strip_internal(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.retain(|k, _| !k.starts_with('_'));
    }
    object
}

/// The list entry of `object`: the fields `kind` lists.
fn listed(kind: Kind, object: Value) -> Value {
    if kind.listed.is_empty() {
        return strip_internal(object);
    }
    let mut entry = serde_json::Map::new();
    for field in kind.listed {
        if let Some(value) = object.get(*field) {
            entry.insert((*field).to_owned(), value.clone());
        }
    }
    Value::Object(entry)
}

async fn list<const K: u8>(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let kind = KINDS[usize::from(K)];
    let query = query_pairs(raw.as_deref());
    // `GET /v2/schedules?expand=rotation` lists schedules with their rotations.
    let whole = K == SCHEDULE
        && query
            .get("expand")
            .is_some_and(|e| e.split(',').any(|e| e == "rotation"));
    let objects = app.read(move |tx| kind.collection.all(tx, None)).await?;
    let entries: Vec<Value> = objects
        .into_iter()
        .map(|o| {
            if whole {
                strip_internal(o)
            } else {
                listed(kind, o)
            }
        })
        .collect();
    let mut body = json!({"data": entries});
    if K == HEARTBEAT {
        body = json!({"data": {"heartbeats": body["data"].take()}});
    }
    if K == SCHEDULE || K == TEAM {
        body["expandable"] = json!(if K == SCHEDULE {
            vec!["rotation"]
        } else {
            vec!["member"]
        });
    }
    Ok(envelope(StatusCode::OK, body))
}

/// `GET /v2/users`: pages of at most 100 by `limit` and `offset`, with `totalCount` and
/// `paging` links (`next` while more remain).
async fn list_users(State(app): State<App>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Reply {
    authenticate(&app, &headers)?;
    let query = query_pairs(raw.as_deref());
    let number = |field: &str, default: u64| -> Result<u64, OgError> {
        query.get(field).map_or(Ok(default), |text| {
            text.parse()
                .map_err(|_| OgError::field(field, format!("{field} must be a whole number")))
        })
    };
    let limit = number("limit", MAX_LIMIT)?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(OgError::field("limit", "Limit must be between 1 and 100"));
    }
    let offset = number("offset", 0)?;
    let (total, page) = app
        .read(move |tx| Ok((USERS.count(tx, None)?, USERS.page(tx, None, offset, limit)?)))
        .await?;
    let base = format!("{}/v2/users", app.base_url);
    let link =
        |offset: u64| format!("{base}?limit={limit}&offset={offset}&order=asc&sort=username");
    let mut paging =
        json!({"first": link(0), "last": link(total.saturating_sub(1) / limit * limit)});
    if offset + limit < total {
        paging["next"] = json!(link(offset + limit));
    }
    if offset > 0 {
        paging["prev"] = json!(link(offset.saturating_sub(limit)));
    }
    let users: Vec<Value> = page.into_iter().map(strip_internal).collect();
    Ok(envelope(
        StatusCode::OK,
        json!({"data": users, "totalCount": total, "paging": paging}),
    ))
}

/// The object a path names: by id, or by name with `identifierType=name` where the kind takes
/// it (users take an id or a username).
fn named(
    tx: &Transaction,
    kind: Kind,
    identifier: &str,
    query: &std::collections::HashMap<String, String>,
) -> Result<Result<Value, OgError>, ApiError> {
    let by_name = match query.get("identifierType").map(String::as_str) {
        None | Some("id") => false,
        Some("name") if kind.by_name => true,
        Some(other) => {
            return Ok(Err(OgError::field(
                "identifierType",
                format!("Identifier type [{other}] is not valid"),
            )));
        }
    };
    let found = if kind.collection.name == USERS.name {
        rules::find_user(tx, identifier)?
    } else {
        rules::find(tx, kind.collection, identifier, by_name)?
    };
    Ok(found.ok_or_else(|| OgError::not_found(kind.noun)))
}

async fn one<const K: u8>(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let kind = KINDS[usize::from(K)];
    let query = query_pairs(raw.as_deref());
    let object = app.read(move |tx| named(tx, kind, &id, &query)).await??;
    data(strip_internal(object))
}

async fn create<const K: u8>(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Reply {
    authenticate(&app, &headers)?;
    let kind = KINDS[usize::from(K)];
    let body = parse(&body)?;
    let made = app
        .write(move |tx| {
            let mut object = ruled!((kind.rule)(tx, &body, None));
            // A heartbeat's name is its id; everything else gets a fresh one.
            if K != HEARTBEAT {
                object["id"] = json!(rules::new_id());
            }
            kind.collection
                .put(tx, &object, &rules::lookup(&object), 0)?;
            if K == TEAM {
                rules::team_defaults(tx, &object)?;
            }
            Ok(Ok(object))
        })
        .await??;
    written(StatusCode::CREATED, "Created", &made)
}

async fn update<const K: u8>(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Reply {
    authenticate(&app, &headers)?;
    let kind = KINDS[usize::from(K)];
    let body = parse(&body)?;
    let query = query_pairs(raw.as_deref());
    let updated = app
        .write(move |tx| {
            let existing = ruled!(named(tx, kind, &id, &query));
            let object = ruled!((kind.rule)(tx, &body, Some(&existing)));
            kind.collection
                .put(tx, &object, &rules::lookup(&object), 0)?;
            Ok(Ok(object))
        })
        .await??;
    written(StatusCode::OK, "Updated", &updated)
}

async fn delete<const K: u8>(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let kind = KINDS[usize::from(K)];
    let query = query_pairs(raw.as_deref());
    app.write(move |tx| {
        let existing = ruled!(named(tx, kind, &id, &query));
        let id = existing["id"].as_str().unwrap_or_default().to_owned();
        let what = kind.noun.to_lowercase();
        if let Some(why) = rules::referenced(tx, &what, &id)? {
            return Ok(Err(OgError::new(
                422,
                format!("{} can not be deleted: {why}", kind.noun),
            )));
        }
        kind.collection.delete(tx, &id)?;
        Ok(Ok(()))
    })
    .await??;
    Ok(envelope(StatusCode::OK, json!({"result": "Deleted"})))
}

/// A user still in a team or a rotation is not deleted: 428, as Terraform's provider expects.
async fn delete_user(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Reply {
    authenticate(&app, &headers)?;
    app.write(move |tx| {
        let Some(user) = rules::find_user(tx, &id)? else {
            return Ok(Err(OgError::not_found("User")));
        };
        let id = user["id"].as_str().unwrap_or_default().to_owned();
        if user["role"]["name"] == "Owner" {
            return Ok(Err(OgError::new(
                403,
                "The account owner can not be deleted",
            )));
        }
        if let Some(why) = rules::user_held(tx, &id)? {
            return Ok(Err(OgError::new(428, why)));
        }
        if let Some(why) = rules::referenced(tx, "user", &id)? {
            return Ok(Err(OgError::new(
                428,
                format!("User can not be deleted: {why}"),
            )));
        }
        USERS.delete(tx, &id)?;
        Ok(Ok(()))
    })
    .await??;
    Ok(envelope(StatusCode::OK, json!({"result": "Deleted"})))
}

/// The schedule a rotation path names, and `f`'s change to its rotations, stored.
async fn with_schedule<T: Send + 'static>(
    app: &App,
    id: String,
    raw: Option<String>,
    f: impl FnOnce(&Transaction, &mut Value) -> Ruled<T> + Send + 'static,
) -> Result<T, OgError> {
    let query = query_pairs(raw.as_deref());
    let scheduled = KINDS[usize::from(SCHEDULE)];
    let by_name = query.get("scheduleIdentifierType").map(String::as_str) == Some("name");
    app.write(move |tx| {
        let Some(mut schedule) = rules::find(tx, scheduled.collection, &id, by_name)? else {
            return Ok(Err(OgError::not_found("Schedule")));
        };
        let value = ruled!(f(tx, &mut schedule));
        SCHEDULES.put(tx, &schedule, &rules::lookup(&schedule), 0)?;
        Ok(Ok(value))
    })
    .await?
}

/// What a schedule holds inside it and answers as a collection of its own: its rotations (by
/// `id`) and its overrides (by `alias`, under a key no schedule answer shows).
#[derive(Clone, Copy)]
struct Part {
    field: &'static str,
    key: &'static str,
    noun: &'static str,
    /// Checks a create or update body against the schedule: the part to store.
    rule: fn(&Transaction, &Value, &Value, Option<&Value>) -> Ruled<Value>,
    /// The part as a read answers it.
    shown: fn(&Value, &Value) -> Value,
    /// The `data` of a write's answer.
    written: fn(&Value) -> Value,
}

const PARTS: [Part; 2] = [
    Part {
        field: "rotations",
        key: "id",
        noun: "Rotation",
        rule: |tx, _, body, existing| rules::rotation(tx, body, existing, ""),
        shown: |_, rotation| rotation.clone(),
        written: |rotation| json!({"id": rotation["id"], "name": rotation["name"]}),
    },
    Part {
        field: rules::OVERRIDES,
        key: "alias",
        noun: "Override",
        rule: rules::schedule_override,
        shown: |schedule, made| {
            let mut shown = made.clone();
            shown["_parent"] = parent(schedule);
            shown
        },
        written: |made| json!({"alias": made["alias"]}),
    },
];
const ROTATIONS: u8 = 0;
const OVERRIDES: u8 = 1;

fn parts(schedule: &Value, part: Part) -> Vec<Value> {
    schedule[part.field].as_array().cloned().unwrap_or_default()
}

async fn list_parts<const P: u8>(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let part = PARTS[usize::from(P)];
    let list = with_schedule(&app, id, raw, move |_, schedule| {
        let shown = parts(schedule, part)
            .iter()
            .map(|p| (part.shown)(schedule, p))
            .collect::<Vec<_>>();
        Ok(Ok(shown))
    })
    .await?;
    data(Value::Array(list))
}

async fn create_part<const P: u8>(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Reply {
    authenticate(&app, &headers)?;
    let part = PARTS[usize::from(P)];
    let body = parse(&body)?;
    let made = with_schedule(&app, id, raw, move |tx, schedule| {
        let made = ruled!((part.rule)(tx, schedule, &body, None));
        let mut list = parts(schedule, part);
        list.push(made.clone());
        schedule[part.field] = Value::Array(list);
        Ok(Ok(made))
    })
    .await?;
    Ok(envelope(
        StatusCode::CREATED,
        json!({"result": "Created", "data": (part.written)(&made)}),
    ))
}

/// The part `key` of a schedule, and `f`'s change to that kind of part, stored.
async fn with_part<T: Send + 'static>(
    app: &App,
    part: Part,
    (id, key): (String, String),
    raw: Option<String>,
    f: impl FnOnce(&Transaction, &Value, &mut Vec<Value>, usize) -> Ruled<T> + Send + 'static,
) -> Result<T, OgError> {
    with_schedule(app, id, raw, move |tx, schedule| {
        let mut list = parts(schedule, part);
        let Some(index) = list.iter().position(|p| p[part.key] == key.as_str()) else {
            return Ok(Err(OgError::not_found(part.noun)));
        };
        let value = ruled!(f(tx, schedule, &mut list, index));
        schedule[part.field] = Value::Array(list);
        Ok(Ok(value))
    })
    .await
}

async fn one_part<const P: u8>(
    State(app): State<App>,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let part = PARTS[usize::from(P)];
    let shown = with_part(&app, part, path, raw, move |_, schedule, list, index| {
        Ok(Ok((part.shown)(schedule, &list[index])))
    })
    .await?;
    data(shown)
}

async fn update_part<const P: u8>(
    State(app): State<App>,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Reply {
    authenticate(&app, &headers)?;
    let part = PARTS[usize::from(P)];
    let body = parse(&body)?;
    let updated = with_part(&app, part, path, raw, move |tx, schedule, list, index| {
        let made = ruled!((part.rule)(tx, schedule, &body, Some(&list[index])));
        list[index] = made.clone();
        Ok(Ok(made))
    })
    .await?;
    Ok(envelope(
        StatusCode::OK,
        json!({"result": "Updated", "data": (part.written)(&updated)}),
    ))
}

async fn delete_part<const P: u8>(
    State(app): State<App>,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    with_part(
        &app,
        PARTS[usize::from(P)],
        path,
        raw,
        |_, _, list, index| {
            list.remove(index);
            Ok(Ok(()))
        },
    )
    .await?;
    Ok(envelope(StatusCode::OK, json!({"result": "Deleted"})))
}

/// The schedule a path names (by id, or by name with `identifierType=name`, which `on-calls`
/// spells `scheduleIdentifierType`) and the query.
async fn schedule_of(
    app: &App,
    id: String,
    raw: Option<&str>,
) -> Result<(Value, std::collections::HashMap<String, String>), OgError> {
    let query = query_pairs(raw);
    let mut lookup = query.clone();
    if let Some(kind) = query.get("scheduleIdentifierType") {
        lookup.insert("identifierType".to_owned(), kind.clone());
    }
    let schedule = app
        .read(move |tx| named(tx, KINDS[usize::from(SCHEDULE)], &id, &lookup))
        .await??;
    Ok((schedule, query))
}

/// `date` (default now) as an instant.
fn date_of(query: &std::collections::HashMap<String, String>) -> Result<jiff::Timestamp, OgError> {
    query.get("date").map_or(Ok(jiff::Timestamp::now()), |d| {
        d.parse()
            .map_err(|_| OgError::field("date", format!("Date [{d}] is not a date-time")))
    })
}

fn parent(schedule: &Value) -> Value {
    json!({"id": schedule["id"], "name": schedule["name"], "enabled": schedule["enabled"]})
}

/// `GET /v2/schedules/{id}/timeline`: from `date` for `interval` × `intervalUnit` (days, weeks
/// or months, in the schedule's zone), every rotation's periods by Opsgenie's rules
/// ([`timeline`]): the base timeline without the schedule's overrides, the final one with them.
async fn schedule_timeline(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let (schedule, query) = schedule_of(&app, id, raw.as_deref()).await?;
    let from = date_of(&query)?;
    let interval: i64 = query.get("interval").map_or(Ok(1), |i| {
        i.parse()
            .ok()
            .filter(|i| *i >= 1)
            .ok_or_else(|| OgError::field("interval", "Interval must be a positive number"))
    })?;
    let span = match query.get("intervalUnit").map_or("weeks", String::as_str) {
        "days" => jiff::Span::new().days(interval),
        "weeks" => jiff::Span::new().weeks(interval),
        "months" => jiff::Span::new().months(interval),
        other => {
            return Err(OgError::field(
                "intervalUnit",
                format!("Interval unit [{other}] is not valid: use days, weeks or months"),
            ));
        }
    };
    let zone = schedule["timezone"]
        .as_str()
        .and_then(|z| jiff::tz::db().get(z).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let to = from
        .to_zoned_datetime(zone)
        .checked_add(span)
        .map_err(|e| OgError::field("interval", e.to_string()))?
        .timestamp();
    let lines = |rotations: Vec<(Value, Vec<timeline::Period>)>| {
        let rotations: Vec<Value> = rotations
            .into_iter()
            .enumerate()
            .map(|(order, (rotation, periods))| {
                json!({
                    "id": rotation["id"], "name": rotation["name"], "order": order,
                    "periods": periods.iter().map(timeline::period_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"rotations": rotations})
    };
    let mut body = json!({"expandable": ["base", "forwarding", "override"]});
    body["data"] = json!({
        "_parent": parent(&schedule),
        "startDate": from.to_string(), "endDate": to.to_string(),
        "finalTimeline": lines(timeline::with_overrides(&schedule, from, to)),
        "baseTimeline": lines(timeline::rotations(&schedule, from, to)),
        "overrideTimeline": {"rotations": []}, "forwardingTimeline": {"rotations": []},
    });
    Ok(envelope(StatusCode::OK, body))
}

/// `GET /v2/schedules/{id}/on-calls`: who is on call at `date` (default now), every rotation's.
async fn schedule_on_calls(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Reply {
    authenticate(&app, &headers)?;
    let (schedule, query) = schedule_of(&app, id, raw.as_deref()).await?;
    let participants: Vec<Value> = timeline::on_call(&schedule, date_of(&query)?)
        .iter()
        .map(|p| json!({"id": p["id"], "name": p["username"], "type": p["type"]}))
        .collect();
    let recipients: Vec<Value> = participants.iter().map(|p| p["name"].clone()).collect();
    data(json!({
        "_parent": parent(&schedule),
        "onCallParticipants": participants,
        "onCallRecipients": recipients,
    }))
}

/// The seed: the account's people (one of them its owner), and optionally the rest of an
/// account as Opsgenie's create bodies take them (references by name or username), made in order
/// through the same rules as the API: teams (each with its own schedule and escalation),
/// schedules with their rotations, escalations, integrations.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Account {
    users: Vec<SeedUser>,
    teams: Vec<Value>,
    schedules: Vec<Value>,
    escalations: Vec<Value>,
    integrations: Vec<Value>,
}

#[derive(Debug, serde::Deserialize)]
struct SeedUser {
    username: String,
    #[serde(rename = "fullName")]
    full_name: String,
    #[serde(default = "default_role")]
    role: String,
    #[serde(rename = "timeZone", default)]
    time_zone: Option<String>,
}

fn default_role() -> String {
    "User".to_owned()
}

/// Makes the users `account` names that are missing (the owner too, which no API call can
/// make).
pub fn open_account(tx: &Transaction, account: &Account) -> Result<usize, ApiError> {
    let mut made = 0;
    for user in &account.users {
        if rules::find_user(tx, &user.username)?.is_some() {
            continue;
        }
        let owner = user.role.eq_ignore_ascii_case("owner");
        let body = json!({
            "username": user.username, "fullName": user.full_name,
            "role": {"name": if owner { "User" } else { user.role.as_str() }}, "timeZone": user.time_zone,
        });
        let mut object = rules::user(tx, &body, None)?.map_err(|e| {
            ApiError::invalid(format!("seed user `{}`: {}", user.username, e.message))
        })?;
        if owner {
            object["role"] = json!({"id": "owner", "name": "Owner"});
        }
        object["id"] = json!(rules::new_id());
        USERS.put(tx, &object, &rules::lookup(&object), 0)?;
        made += 1;
    }
    let kinds = [
        (TEAM, &account.teams),
        (SCHEDULE, &account.schedules),
        (ESCALATION, &account.escalations),
        (INTEGRATION, &account.integrations),
    ];
    for (k, bodies) in kinds {
        let kind = KINDS[usize::from(k)];
        for body in bodies {
            let mut object = (kind.rule)(tx, body, None)?.map_err(|e| {
                ApiError::invalid(format!(
                    "seed {} `{}`: {}",
                    kind.noun,
                    rules::lookup(body),
                    e.message
                ))
            })?;
            object["id"] = json!(rules::new_id());
            kind.collection
                .put(tx, &object, &rules::lookup(&object), 0)?;
            if k == TEAM {
                rules::team_defaults(tx, &object)?;
            }
            made += 1;
        }
    }
    Ok(made)
}

/// Opsgenie's dialect: limits per minute, per account.
pub(crate) static DIALECT: super::Dialect = super::Dialect {
    rate_window_seconds: 60,
    seed_file: Some("opsgenie-seed.json"),
    seed: Some(|app, path| super::load_seed(app, path, open_account)),
    ..super::Dialect::vendor(router, render_error)
};
