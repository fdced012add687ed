//! Uptinio's integrations API (`serve --api uptinio`): outbound integrations of a project, as the
//! vendor's integrations reference describes them — a Bearer project token, a bare JSON array for
//! the list, a create body wrapped in `integration`, `Integrations::…` types, names the service
//! derives from the settings, secrets echoed back, `editable`/`deletable`, 204 on delete and 422
//! for one that cannot be deleted. SMS integrations need a verification code sent to the phone
//! first, Slack ones an OAuth grant in a browser: those are made here the way the product makes
//! them, from the seed file (see `docs/providers/uptinio.md` for every choice where the
//! reference is silent). The project's rules (settings per type, derived names, what cannot be
//! edited or deleted, SMS codes, the seed) are in `rules.rs`; this module is the wire.

use super::json_answer as json_reply;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::error::ApiError;
use super::vendor::Collection;
use super::{App, auth, route};

mod rules;

use crate::model::validate::is_valid_phone;
pub use rules::open_project;
use rules::setting;

const INTEGRATIONS: Collection = Collection {
    api: "uptinio",
    name: "integrations",
    ranked: false,
};
/// Verification codes sent, by phone number (the last one counts).
const CODES: Collection = Collection {
    api: "uptinio",
    name: "sms_codes",
    ranked: false,
};

pub const WEBHOOK: &str = "Integrations::WebhookIntegration";
pub const EMAIL: &str = "Integrations::EmailIntegration";
pub const SSH_RESTART: &str = "Integrations::SshServerRestartIntegration";
pub const SMS: &str = "Integrations::SmsIntegration";
pub const SLACK: &str = "Integrations::SlackIntegration";

/// An error in Uptinio's words: `{"error": CODE, "message": TEXT}` with a code of the reference's
/// table (`integration_not_found`, `invalid_request`, `unauthorized`, `unprocessable_entity`),
/// and per-field reasons under `errors` for a 422.
struct UptinioError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl UptinioError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> UptinioError {
        UptinioError {
            status,
            body: json!({"error": code, "message": message.into()}),
            retry_after: None,
        }
    }

    fn not_found() -> UptinioError {
        UptinioError::new(
            StatusCode::NOT_FOUND,
            "integration_not_found",
            "The specified integration does not exist",
        )
    }

    /// 422 with what is wrong with each setting.
    fn invalid(errors: &[(&str, String)]) -> UptinioError {
        let mut error = UptinioError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "The request parameters are invalid",
        );
        let mut fields = serde_json::Map::new();
        for (field, why) in errors {
            fields
                .entry((*field).to_owned())
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .expect("an array")
                .push(json!(why));
        }
        error.body["errors"] = Value::Object(fields);
        error
    }
}

impl From<ApiError> for UptinioError {
    fn from(err: ApiError) -> UptinioError {
        let code = match err.status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::NOT_FOUND => "integration_not_found",
            StatusCode::TOO_MANY_REQUESTS => "rate_limit_exceeded",
            StatusCode::UNPROCESSABLE_ENTITY => "unprocessable_entity",
            s if s.is_server_error() => "internal_error",
            _ => "invalid_request",
        };
        UptinioError {
            status: err.status,
            body: json!({"error": code, "message": err.message}),
            retry_after: err.retry_after,
        }
    }
}

impl IntoResponse for UptinioError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// The shared layers' errors (faults, rate limits, bodies too large) in Uptinio's shape.
pub fn render_error(err: ApiError) -> Response {
    UptinioError::from(err).into_response()
}

type Reply = Result<Response, UptinioError>;

/// Uptinio's integrations API (the part alertform uses, and the SMS and Slack first steps).
pub fn router(state: App) -> Router {
    let mut api = Router::new();
    api = route(
        api,
        "/api/v1/integrations",
        get(list_integrations).post(create_integration),
    );
    api = route(
        api,
        "/api/v1/integrations/{uuid}",
        get(get_integration)
            .patch(update_integration)
            .put(update_integration)
            .delete(delete_integration),
    );
    api = route(
        api,
        "/api/v1/integrations/sms/send_verification_code",
        post(send_verification_code),
    );
    api = route(
        api,
        "/api/v1/integrations/slack/initiate",
        post(slack_initiate),
    );
    super::vendor_router(
        state,
        api,
        || async { UptinioError::new(StatusCode::NOT_FOUND, "not_found", "No route matches") },
        || async {
            UptinioError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request",
                "Method not allowed",
            )
        },
    )
}

/// `Authorization: Bearer <project token>`; a missing or unknown token is 401.
fn authenticate(app: &App, headers: &HeaderMap) -> Result<(), UptinioError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if app.knows_token(token) {
        Ok(())
    } else {
        Err(UptinioError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Invalid or missing authentication token",
        ))
    }
}

/// A request with a token the project knows (a bearer token); else the 401 Uptinio gives.
struct Authenticated;

impl axum::extract::FromRequestParts<App> for Authenticated {
    type Rejection = UptinioError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &App,
    ) -> Result<Self, UptinioError> {
        authenticate(app, &parts.headers).map(|()| Authenticated)
    }
}

fn now() -> String {
    super::resources::now_seconds()
}

fn parse(body: &[u8]) -> Result<Value, UptinioError> {
    serde_json::from_slice(body).map_err(|e| {
        UptinioError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("the body is not valid JSON: {e}"),
        )
    })
}

async fn list_integrations(_: Authenticated, State(app): State<App>) -> Reply {
    let all = app.read(|tx| INTEGRATIONS.all(tx, None)).await?;
    json_reply(
        StatusCode::OK,
        Value::Array(all.into_iter().map(strip_id).collect()),
    )
}

async fn get_integration(
    _: Authenticated,
    State(app): State<App>,
    Path(uuid): Path<String>,
) -> Reply {
    let found = app.read(move |tx| INTEGRATIONS.get(tx, &uuid)).await?;
    json_reply(
        StatusCode::OK,
        strip_id(found.ok_or_else(UptinioError::not_found)?),
    )
}

/// A string setting, trimmed; empty counts as missing.
async fn create_integration(_: Authenticated, State(app): State<App>, body: Bytes) -> Reply {
    let body = parse(&body)?;
    let Some(integration) = body.get("integration").filter(|i| i.is_object()) else {
        return Err(UptinioError::invalid(&[(
            "integration",
            "is missing".to_owned(),
        )]));
    };
    let kind = integration
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let given = integration.get("settings").cloned().unwrap_or(json!({}));
    let created = app
        .write(move |tx| rules::create(tx, &kind, &given))
        .await??;
    json_reply(StatusCode::CREATED, created)
}

/// The reference documents no update; this is the conventional Rails one (`PATCH` or `PUT`,
/// the create's wrapped body, settings replaced, the name derived again, `type` unchanged).
async fn update_integration(
    _: Authenticated,
    State(app): State<App>,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Reply {
    let body = parse(&body)?;
    let given = body
        .get("integration")
        .and_then(|i| i.get("settings"))
        .cloned()
        .unwrap_or(json!({}));
    let updated = app
        .write(move |tx| rules::update(tx, &uuid, &given))
        .await??;
    json_reply(StatusCode::OK, strip_id(updated))
}

async fn delete_integration(
    _: Authenticated,
    State(app): State<App>,
    Path(uuid): Path<String>,
) -> Reply {
    app.write(move |tx| rules::delete(tx, &uuid)).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Step 1 of an SMS integration. The emulation cannot text anyone: the code it "sends" is
/// written to its log (as a phone would show it), for a person to type in.
async fn send_verification_code(_: Authenticated, State(app): State<App>, body: Bytes) -> Reply {
    let body = parse(&body)?;
    let Some(phone) = setting(&body, "phone_number").map(str::to_owned) else {
        return Err(UptinioError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"success": false, "error": "phone_number_required", "message": "Phone number is required"}),
            retry_after: None,
        });
    };
    if !is_valid_phone(&phone) {
        return Err(UptinioError::invalid(&[(
            "phone_number",
            "must be in E.164 format".to_owned(),
        )]));
    }
    let code = format!(
        "{:06}",
        u64::from_str_radix(&auth::random_hex(4), 16).unwrap_or(0) % 1_000_000
    );
    tracing::warn!(
        "(emulated SMS) the verification code for the phone number ending {} is {code}",
        &phone[phone.len().saturating_sub(4)..]
    );
    app.write(move |tx| CODES.put(tx, &json!({"id": phone, "code": code}), "", 0))
        .await?;
    json_reply(
        StatusCode::OK,
        json!({"success": true, "message": "Verification code sent successfully"}),
    )
}

/// Step 1 of a Slack integration: where a person would authorize the app. The emulation has no
/// Slack to send them to; its seed file stands in for the finished grant.
async fn slack_initiate(_: Authenticated, State(app): State<App>) -> Reply {
    let state = auth::random_hex(16);
    json_reply(
        StatusCode::OK,
        json!({
            "oauth_url": format!("https://slack.com/oauth/v2/authorize?client_id=emulated&state={state}"),
            "state": state,
            "redirect_uri": format!("{}/auth/slack/callback?project_uuid=emulated", app.base_url),
        }),
    )
}

fn strip_id(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.remove("id");
    }
    object
}

/// Uptinio's dialect.
pub(crate) static DIALECT: super::Dialect = super::Dialect {
    rate_window_seconds: 60,
    seed_file: Some("uptinio-seed.json"),
    seed: Some(|app, path| super::load_seed(app, path, open_project)),
    ..super::Dialect::vendor(router, render_error)
};
