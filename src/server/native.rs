//! alertform's own API (`serve` without `--api`): the REST contract of [`crate::api`] over the
//! store, alert and heartbeat receivers, tokens, and webhook deliveries.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use super::{
    ApiError, App, Dialect, MAX_BODY, alerts, auth, gallery, healthz, inject_faults, metrics_text,
    normalize_errors, openapi, resources, route, tokens,
};
use crate::api::Page;

/// The bundled service's dialect.
pub(crate) static DIALECT: Dialect = Dialect {
    router,
    render_error: IntoResponse::into_response,
    rate_window_seconds: 1,
    rate_limit_headers: true,
    lock_refusal: None,
    seed_file: None,
    seed: None,
    open: None,
    delivers: true,
};

/// alertform's REST API, its alert and heartbeat receivers and its OpenAPI document.
fn router(state: App) -> Router {
    let mut api = Router::new();
    api = route(api, "/api/v1/templates", get(templates));
    api = route(
        api,
        "/api/v1/tokens",
        get(tokens::list).post(tokens::create),
    );
    api = route(api, "/api/v1/tokens/{name}", delete(tokens::revoke));
    api = route(api, "/api/v1/admin/reset", post(reset));
    api = route(api, "/api/v1/integrations/{id}/alerts", get(alerts::list));
    api = route(api, "/api/v1/schedules/{id}/oncall", get(alerts::oncall));
    api = route(
        api,
        "/api/v1/{collection}",
        get(resources::list).post(resources::create),
    );
    api = route(
        api,
        "/api/v1/{collection}/{id}",
        get(resources::get_one)
            .put(resources::replace)
            .delete(resources::delete),
    );
    let api = api.layer(middleware::from_fn_with_state(state.clone(), inject_faults));

    let mut public = Router::new();
    public = route(public, "/healthz", get(healthz));
    public = route(public, "/metrics", get(metrics_text));
    public = route(public, "/api/v1/openapi.json", get(openapi_document));
    public = route(public, "/ui", get(super::ui::page));
    public = route(public, "/v1/alerts/{key}", post(alerts::receive_alert));
    public = route(
        public,
        "/v1/heartbeat/{key}",
        post(alerts::receive_heartbeat),
    );
    public
        .merge(api)
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            normalize_errors,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn openapi_document() -> impl IntoResponse {
    axum::Json(openapi::document())
}

async fn templates(State(app): State<App>, headers: HeaderMap) -> Result<Response, ApiError> {
    app.caller(&headers)?.require(auth::Permission::Read)?;
    let results = gallery::templates();
    let count = results.len() as u64;
    Ok(axum::Json(Page {
        count,
        next: None,
        previous: None,
        results,
        current_page_number: 1,
        page_size: count,
        total_pages: 1,
    })
    .into_response())
}

/// `POST /api/v1/admin/reset`: empties every collection and the alerts; tokens stay.
async fn reset(State(app): State<App>, headers: HeaderMap) -> Result<Response, ApiError> {
    app.caller(&headers)?.require(auth::Permission::Admin)?;
    app.write(|tx| {
        tx.execute_batch(
            "DELETE FROM deliveries; DELETE FROM alerts; DELETE FROM refs; DELETE FROM idempotency; DELETE FROM objects;",
        )
        .map_err(ApiError::from_sqlite)
    })
    .await?;
    Ok(axum::Json(serde_json::json!({"status": "reset"})).into_response())
}
