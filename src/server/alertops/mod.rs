//! AlertOps's REST API v2 (`serve --api alertops`): users, groups (members by name, in sequence),
//! escalation policies (timed tiers of member roles) and inbound integrations (policy, recipients
//! and template by name or id), as AlertOps's own Terraform provider and migration tools use it:
//! the `api-key` header, integer ids, full-body `PUT`s, `{limit, offset, <plural>}` lists, and
//! references by **name**, so renaming an object leaves what named it naming nothing. Every choice
//! where the public sources are silent is listed in `docs/providers/alertops.md`. The account's
//! rules (what each object must be, what names what, the seed) are in `rules.rs`; this module is
//! the wire.

use super::json_answer as reply;
use crate::json::Items;
use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rusqlite::Transaction;
use serde_json::{Value, json};

use super::error::ApiError;
use super::vendor::Collection;
use super::{App, auth, route};

mod rules;

pub use rules::open_account;
use rules::{checked, referrer_of};

/// The emulation's gallery of inbound templates: ids 1 to 18. AlertOps's real ids are not
/// public; the emulation's are an assumption its doc lists, which the provider's table follows.
const GALLERY_TEMPLATE_IDS: std::ops::RangeInclusive<u64> = 1..=18;

const fn collection(name: &'static str) -> Collection {
    Collection {
        api: "alertops",
        name,
        ranked: false,
    }
}
const USERS: Collection = collection("users");
const GROUPS: Collection = collection("groups");
const POLICIES: Collection = collection("escalation_policies");
const INTEGRATIONS: Collection = collection("inbound_integrations");
/// The next integer id of each collection.
const SEQUENCES: Collection = collection("sequences");
/// API keys made by the seed, each acting as one user (with that user's roles).
const KEYS: Collection = collection("api_keys");

/// Roles a user may have, and which of them may do what (AlertOps's entitlements).
const ROLES: [&str; 5] = [
    "Owner",
    "App Admin",
    "Integrations Admin",
    "Basic",
    "Stakeholder",
];
/// `InboundIntegrations_GlobalAccess`.
const INTEGRATION_WRITERS: [&str; 3] = ["Owner", "App Admin", "Integrations Admin"];
/// `Message_Rule_Update` (policies), and users and groups.
const ADMINS: [&str; 2] = ["Owner", "App Admin"];
const CONTACT_METHODS: [&str; 10] = [
    "Email-Official",
    "Phone-Official",
    "SMS-Official",
    "Email-Official-SMS Gateway",
    "Email-Personal",
    "Email-Personal-SMS Gateway",
    "Phone-Official-Mobile",
    "Phone-Personal",
    "Phone-Personal-Mobile",
    "SMS-Personal",
];
const MEMBER_ROLES: [&str; 3] = ["Primary", "Secondary", "Manager"];
const TYPES: [&str; 4] = ["API", "Email", "Chat", "Heartbeat"];

/// The page size when `limit` is absent, and the largest one served.
const DEFAULT_LIMIT: u64 = 25;
const MAX_LIMIT: u64 = 100;

/// An AlertOps error: `{"errors": [TEXT, …]}` (what its migration tool reads), or the 401 body
/// `{"reason": "Invalid API Key"}`.
struct AlertOpsError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl AlertOpsError {
    fn new(status: StatusCode, errors: &[String]) -> AlertOpsError {
        AlertOpsError {
            status,
            body: json!({"errors": errors}),
            retry_after: None,
        }
    }

    fn bad(error: impl Into<String>) -> AlertOpsError {
        AlertOpsError::new(StatusCode::BAD_REQUEST, &[error.into()])
    }

    fn not_found(what: &str, id: &str) -> AlertOpsError {
        AlertOpsError::new(StatusCode::NOT_FOUND, &[format!("{what} {id} not found")])
    }
}

impl From<ApiError> for AlertOpsError {
    fn from(err: ApiError) -> AlertOpsError {
        if err.status == StatusCode::UNAUTHORIZED {
            return AlertOpsError {
                status: err.status,
                body: json!({"reason": "Invalid API Key"}),
                retry_after: None,
            };
        }
        AlertOpsError {
            status: err.status,
            body: json!({"errors": [err.message]}),
            retry_after: err.retry_after,
        }
    }
}

impl IntoResponse for AlertOpsError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

/// The shared layers' errors (faults, rate limits, bodies too large) in AlertOps's shape.
pub fn render_error(err: ApiError) -> Response {
    AlertOpsError::from(err).into_response()
}

type Reply = Result<Response, AlertOpsError>;

/// One kind of object: its collection, its id and name fields, its list key, who may write it.
#[derive(Clone, Copy)]
struct Kind {
    collection: Collection,
    id_field: &'static str,
    name_field: &'static str,
    plural: &'static str,
    noun: &'static str,
    writers: &'static [&'static str],
    /// Whether its list carries `total` (policies, per the Terraform provider's model).
    total: bool,
}

const USER: Kind = Kind {
    collection: USERS,
    id_field: "user_id",
    name_field: "user_name",
    plural: "users",
    noun: "User",
    writers: &ADMINS,
    total: false,
};
const GROUP: Kind = Kind {
    collection: GROUPS,
    id_field: "group_id",
    name_field: "group_name",
    plural: "groups",
    noun: "Group",
    writers: &ADMINS,
    total: false,
};
const POLICY: Kind = Kind {
    collection: POLICIES,
    id_field: "escalation_policy_id",
    name_field: "escalation_policy_name",
    plural: "escalation_policies",
    noun: "Escalation policy",
    writers: &ADMINS,
    total: true,
};
const INTEGRATION: Kind = Kind {
    collection: INTEGRATIONS,
    id_field: "inbound_integration_id",
    name_field: "inbound_integration_name",
    plural: "inbound_integrations",
    noun: "Inbound integration",
    writers: &INTEGRATION_WRITERS,
    total: false,
};

/// AlertOps's REST API v2 (users, groups, escalation policies, inbound integrations).
pub fn router(state: App) -> Router {
    let mut api = Router::new();
    api = route(api, "/api/v2/users", get(list::<0>).post(create::<0>));
    api = route(
        api,
        "/api/v2/users/{id}",
        get(get_one::<0>).put(replace::<0>).delete(remove::<0>),
    );
    api = route(api, "/api/v2/groups", get(list::<1>).post(create::<1>));
    api = route(
        api,
        "/api/v2/groups/{id}",
        get(get_one::<1>).put(replace::<1>).delete(remove::<1>),
    );
    api = route(api, "/api/v2/groups/{id}/members", post(add_members));
    api = route(
        api,
        "/api/v2/escalation_policies",
        get(list::<2>).post(create::<2>),
    );
    api = route(
        api,
        "/api/v2/escalation_policies/{id}",
        get(get_one::<2>).put(replace::<2>).delete(remove::<2>),
    );
    api = route(
        api,
        "/api/v2/integrations/inbound",
        get(list::<3>).post(create::<3>),
    );
    api = route(
        api,
        "/api/v2/integrations/inbound/{id}",
        get(get_one::<3>).put(replace::<3>).delete(remove::<3>),
    );
    super::vendor_router(
        state,
        api,
        || async { AlertOpsError::new(StatusCode::NOT_FOUND, &["Not found".to_owned()]) },
        || async {
            AlertOpsError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                &["Method not allowed".to_owned()],
            )
        },
    )
}

const fn kind(which: u8) -> Kind {
    match which {
        0 => USER,
        1 => GROUP,
        2 => POLICY,
        _ => INTEGRATION,
    }
}

/// The caller's roles: the owner token (and any token of the service) acts as an Owner; a key
/// from the seed acts as its user. The key comes in `api-key` (v2) or the `APIKey` query
/// parameter (v1); a missing or unknown one is 401 `{"reason": "Invalid API Key"}`.
async fn caller_roles(
    app: &App,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Vec<String>, AlertOpsError> {
    let key = headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.get("APIKey").cloned())
        .unwrap_or_default();
    if app.knows_token(&key) {
        return Ok(vec!["Owner".to_owned()]);
    }
    let digest = auth::sha256_hex(key.as_bytes());
    let roles = app
        .read(move |tx| {
            let Some(found) = KEYS.get(tx, &digest)? else {
                return Ok(None);
            };
            let user = USERS
                .all(
                    tx,
                    Some(
                        &found["user_name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_lowercase(),
                    ),
                )?
                .into_iter()
                .next();
            Ok(Some(user.map_or_else(Vec::new, |u| u["roles"].strings())))
        })
        .await?;
    roles.ok_or_else(|| AlertOpsError::from(ApiError::unauthorized("invalid API key")))
}

/// 403 unless one of `roles` may write `kind`.
fn require(kind: Kind, roles: &[String]) -> Result<(), AlertOpsError> {
    if roles.iter().any(|r| kind.writers.contains(&r.as_str())) {
        return Ok(());
    }
    let what = if kind.writers.len() == 3 {
        "InboundIntegrations_GlobalAccess (Owner, App Admin or Integrations Admin)"
    } else {
        "the Owner or App Admin role"
    };
    Err(AlertOpsError::new(
        StatusCode::FORBIDDEN,
        &[format!(
            "You do not have permission to modify {}: this needs {what}",
            kind.plural.replace('_', " ")
        )],
    ))
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// What an object is looked up by: its name, lowercased (AlertOps matches names without case, an
/// assumption).
fn lookup(kind: Kind, object: &Value) -> String {
    text(object, kind.name_field).to_lowercase()
}

fn without_id(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.remove("id");
    }
    object
}

async fn list<const K: u8>(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let kind = kind(K);
    caller_roles(&app, &headers, &query).await?;
    let number = |field: &str, default: u64| -> Result<u64, AlertOpsError> {
        match query.get(field) {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| AlertOpsError::bad(format!("{field} must be a whole number"))),
        }
    };
    let limit = number("limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT);
    let offset = number("offset", 0)?;
    let search = query.get("search").map(|s| s.to_lowercase());
    let (total, items) = app
        .read(move |tx| match &search {
            // `search` matches names containing the text, without case (an assumption).
            Some(text) => {
                let all: Vec<Value> = kind
                    .collection
                    .all(tx, None)?
                    .into_iter()
                    .filter(|o| lookup(kind, o).contains(text.as_str()))
                    .collect();
                let total = all.len() as u64;
                let page = all
                    .into_iter()
                    .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                    .take(usize::try_from(limit).unwrap_or(usize::MAX))
                    .collect();
                Ok((total, page))
            }
            None => Ok((
                kind.collection.count(tx, None)?,
                kind.collection.page(tx, None, offset, limit)?,
            )),
        })
        .await?;
    let mut body = json!({
        "limit": limit,
        "offset": offset,
        kind.plural: items.into_iter().map(without_id).collect::<Vec<_>>(),
    });
    if kind.total {
        body["total"] = json!(total);
    }
    reply(StatusCode::OK, body)
}

fn parse_id(text: &str, kind: Kind) -> Result<u64, AlertOpsError> {
    text.parse()
        .map_err(|_| AlertOpsError::not_found(kind.noun, text))
}

async fn get_one<const K: u8>(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let kind = kind(K);
    caller_roles(&app, &headers, &query).await?;
    let number = parse_id(&id, kind)?;
    let found = app
        .read(move |tx| kind.collection.get(tx, &number.to_string()))
        .await?;
    match found {
        Some(object) => reply(StatusCode::OK, without_id(object)),
        None => Err(AlertOpsError::not_found(kind.noun, &id)),
    }
}

/// Stores `object` as number `id` of `kind` (the vendor store keys it by the id as text).
fn store(tx: &Transaction, kind: Kind, object: &mut Value, id: u64) -> Result<(), ApiError> {
    object[kind.id_field] = json!(id);
    object["id"] = json!(id.to_string());
    kind.collection.put(tx, object, &lookup(kind, object), 0)
}

fn next_id(tx: &Transaction, kind: Kind) -> Result<u64, ApiError> {
    let current = SEQUENCES
        .get(tx, kind.plural)?
        .and_then(|s| s["next"].as_u64())
        .unwrap_or(1);
    SEQUENCES.put(tx, &json!({"id": kind.plural, "next": current + 1}), "", 0)?;
    Ok(current)
}

async fn create<const K: u8>(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let kind = kind(K);
    require(kind, &caller_roles(&app, &headers, &query).await?)?;
    let body = parse(&body)?;
    let made = app
        .write(move |tx| {
            let mut object = match checked(tx, kind, body, None)? {
                Ok(object) => object,
                Err(err) => return Ok(Err(err)),
            };
            let id = next_id(tx, kind)?;
            store(tx, kind, &mut object, id)?;
            Ok(Ok(object))
        })
        .await??;
    reply(StatusCode::CREATED, without_id(made))
}

/// A full-body `PUT`: the object becomes the body (the Terraform provider sends whole objects).
async fn replace<const K: u8>(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let kind = kind(K);
    require(kind, &caller_roles(&app, &headers, &query).await?)?;
    let number = parse_id(&id, kind)?;
    let body = parse(&body)?;
    let replaced = app
        .write(move |tx| {
            let key = number.to_string();
            let Some(existing) = kind.collection.get(tx, &key)? else {
                return Ok(Err(AlertOpsError::not_found(kind.noun, &key)));
            };
            let mut object = match checked(tx, kind, body, Some(&existing))? {
                Ok(object) => object,
                Err(err) => return Ok(Err(err)),
            };
            store(tx, kind, &mut object, number)?;
            Ok(Ok(object))
        })
        .await??;
    reply(StatusCode::OK, without_id(replaced))
}

async fn remove<const K: u8>(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let kind = kind(K);
    require(kind, &caller_roles(&app, &headers, &query).await?)?;
    let number = parse_id(&id, kind)?;
    app.write(move |tx| {
        let key = number.to_string();
        let Some(existing) = kind.collection.get(tx, &key)? else {
            return Ok(Err(AlertOpsError::not_found(kind.noun, &key)));
        };
        let name = text(&existing, kind.name_field).to_owned();
        if let Some(referrer) = referrer_of(tx, kind, &name)? {
            return Ok(Err(AlertOpsError::bad(format!(
                "{} {name} cannot be deleted: {referrer} uses it",
                kind.noun
            ))));
        }
        kind.collection.delete(tx, &key)?;
        Ok(Ok(()))
    })
    .await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v2/groups/{id}/members`: members appended to a group (the migration tool's call).
async fn add_members(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    require(GROUP, &caller_roles(&app, &headers, &query).await?)?;
    let number = parse_id(&id, GROUP)?;
    let added = parse(&body)?;
    if !added.is_array() {
        return Err(AlertOpsError::bad("the body must be an array of members"));
    }
    let group = app
        .write(move |tx| {
            let key = number.to_string();
            let Some(mut group) = GROUPS.get(tx, &key)? else {
                return Ok(Err(AlertOpsError::not_found(GROUP.noun, &key)));
            };
            let existing_group = group.clone();
            let mut members = group["members"].as_array().cloned().unwrap_or_default();
            members.extend(added.as_array().cloned().unwrap_or_default());
            group["members"] = json!(members);
            let mut object = match checked(tx, GROUP, group, Some(&existing_group))? {
                Ok(object) => object,
                Err(err) => return Ok(Err(err)),
            };
            store(tx, GROUP, &mut object, number)?;
            Ok(Ok(object))
        })
        .await??;
    reply(StatusCode::OK, without_id(group))
}

fn parse(body: &[u8]) -> Result<Value, AlertOpsError> {
    serde_json::from_slice(body)
        .map_err(|e| AlertOpsError::bad(format!("The request body is not valid JSON: {e}")))
}

/// AlertOps's dialect.
pub(crate) static DIALECT: super::Dialect = super::Dialect {
    seed_file: Some("alertops-seed.json"),
    seed: Some(|app, path| super::load_seed(app, path, open_account)),
    ..super::Dialect::vendor(router, render_error)
};
