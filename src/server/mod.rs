//! The bundled backing service (`alertform serve`): a REST API over `SQLite`, so plan and apply work
//! with no account and no set-up, and tests drive a real service.
//!
//! [`app`] builds the router from an [`App`]; [`start`] binds it to an address and returns its URL
//! and owner token. Only this module knows axum and `SQLite`.

pub(crate) mod alertops;
mod alerts;
mod auth;
mod deliveries;
pub mod dialect;
mod error;
mod gallery;
mod metrics;
pub(crate) mod native;
pub(crate) mod oncall;
pub mod openapi;
pub(crate) mod opsgenie;
pub(crate) mod pagerduty;
mod resources;
mod store;
mod tokens;
mod ui;
pub(crate) mod uptinio;
mod vendor;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use rusqlite::Transaction;
use tokio::sync::oneshot;

pub use auth::Caller;
pub use dialect::Dialect;
pub use error::ApiError;
use store::Store;

use crate::api::TokenRole;

/// Request bodies above this are refused with `payload_too_large`.
pub const MAX_BODY: usize = 1024 * 1024;

/// Faults to inject, for tests and benchmarks of clients.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Requests per second per token (per minute for the PagerDuty dialect); beyond it, 429.
    pub rate_limit: Option<u32>,
    /// Writes whose body has this `name` are refused with 422: a deterministic failure of one
    /// object, for tests of partial applies.
    pub reject_name: Option<String>,
    /// Added to every API request.
    pub latency: Duration,
    /// Fraction of API requests answered 503 before touching data.
    pub fail_rate: f64,
    /// Fraction of writes that commit and are then answered 503.
    pub fail_after_commit_rate: f64,
    /// PagerDuty dialect: fraction of writes refused with the 400 PagerDuty gives when the
    /// account is locked by concurrent changes (nothing is changed; the client may retry).
    pub lock_rate: f64,
}

/// How to run the service.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The owner token to accept; one is generated on first start when absent.
    pub owner_token: Option<String>,
    pub faults: Faults,
    /// Whose API the service speaks.
    pub dialect: &'static Dialect,
    /// A vendor emulation's seed: for Grafana OnCall, the Grafana org's users and teams (JSON),
    /// synced at start; for PagerDuty, the account's subdomain and people.
    pub seed: Option<PathBuf>,
    /// Where to append every API exchange (request and answer) as a JSON line, for contract
    /// tests of a vendor emulation. The `Authorization` value is not written.
    pub record: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot create the data directory `{path}`: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot use `{path}`: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("database error while starting: {0}")]
    Startup(String),
    #[error("cannot seed from `{path}`: {message}")]
    Seed { path: PathBuf, message: String },
}

/// Shared state of a running service.
#[derive(Clone)]
pub struct App {
    store: Arc<Store>,
    /// Integration keys are derived from it; kept in the data directory, outside the database.
    secret: Arc<[u8]>,
    /// `http://host:port`, for absolute URLs in responses.
    base_url: Arc<str>,
    /// Token digest → caller. Loaded at start and after every token change, so a revoked token
    /// stops working with the revoking request.
    tokens: Arc<RwLock<HashMap<String, Caller>>>,
    faults: Arc<Faults>,
    /// Token digest → (second, requests in it).
    rate_windows: Arc<Mutex<HashMap<String, (u64, u32)>>>,
    metrics: Arc<metrics::Metrics>,
    dialect: &'static Dialect,
    /// `ServeOptions::record`, open for appending.
    record: Option<Arc<Mutex<std::fs::File>>>,
}

impl App {
    /// An error the shared layers make (faults, rejections before a handler), in the dialect of
    /// the API this service speaks: alertform's `{"error": {"code", "message"}}`, OnCall's
    /// Django REST framework bodies, PagerDuty's numeric codes.
    fn error_response(&self, err: ApiError) -> Response {
        (self.dialect.render_error)(err)
    }

    /// Whether `token` is one of the service's tokens (a vendor emulation's key, however its
    /// dialect sends it).
    fn knows_token(&self, token: &str) -> bool {
        !token.is_empty()
            && self
                .tokens
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains_key(&auth::sha256_hex(token.as_bytes()))
    }

    /// The caller of a request, from its bearer token.
    pub fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let token = auth::bearer(headers)?;
        let digest = auth::sha256_hex(token.as_bytes());
        self.tokens
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&digest)
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))
    }

    /// Runs `f` in a read transaction off the async threads.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.off_thread(move |store| store.read(f)).await
    }

    /// Runs `f` in a write transaction off the async threads; committed when it returns `Ok`.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.off_thread(move |store| store.write(f)).await
    }

    async fn off_thread<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    fn reload_tokens(&self) -> Result<(), ApiError> {
        let loaded = self.store.read(load_tokens)?;
        *self
            .tokens
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = loaded;
        Ok(())
    }
}

fn load_tokens(tx: &Transaction) -> Result<HashMap<String, Caller>, ApiError> {
    let mut statement = tx
        .prepare("SELECT name, digest, role FROM tokens")
        .map_err(ApiError::from_sqlite)?;
    let rows = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(ApiError::from_sqlite)?;
    let mut tokens = HashMap::new();
    for row in rows {
        let (name, digest, role): (String, String, String) = row.map_err(ApiError::from_sqlite)?;
        let role = TokenRole::parse(&role).unwrap_or(TokenRole::Observer);
        tokens.insert(
            digest.clone(),
            Caller {
                token_name: name,
                token_digest: digest,
                role,
            },
        );
    }
    Ok(tokens)
}

/// Adds `path` and `path/`: a trailing slash is optional everywhere.
pub(super) fn route(
    router: Router<App>,
    path: &str,
    method_router: MethodRouter<App>,
) -> Router<App> {
    router
        .route(path, method_router.clone())
        .route(&format!("{path}/"), method_router)
}

/// A vendor dialect's whole surface: its API routes behind the fault layer, `/healthz` and
/// `/metrics` beside them, its own answers to unknown routes and methods, and the shared layers
/// (errors in its shape, metrics and logs, `--record-exchanges`, the body limit).
fn vendor_router<F, FT, M, MT>(state: App, api: Router<App>, not_found: F, not_allowed: M) -> Router
where
    F: axum::handler::Handler<FT, App>,
    FT: 'static,
    M: axum::handler::Handler<MT, App>,
    MT: 'static,
{
    let api = api.layer(middleware::from_fn_with_state(state.clone(), inject_faults));
    let mut public = Router::new();
    public = route(public, "/healthz", get(healthz));
    public = route(public, "/metrics", get(metrics_text));
    public
        .merge(api)
        .fallback(not_found)
        .method_not_allowed_fallback(not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            normalize_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_exchanges,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// A JSON answer: how every dialect's handlers end, `Ok` beside their `?`s.
#[allow(
    clippy::unnecessary_wraps,
    reason = "handlers end in it beside their `?`s"
)]
pub fn json_answer<E>(status: StatusCode, body: serde_json::Value) -> Result<Response, E> {
    Ok((status, axum::Json(body)).into_response())
}

/// The whole HTTP surface of the service, in the dialect of its API.
pub fn app(state: App) -> Router {
    (state.dialect.router)(state)
}

pub(super) async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// `GET /metrics`: Prometheus text, no token needed (it holds no secret).
pub(super) async fn metrics_text(State(app): State<App>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}

/// The path as it may be logged: alert and heartbeat URLs carry the integration key.
fn loggable_path(path: &str) -> String {
    for prefix in ["/v1/alerts/", "/v1/heartbeat/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}(sensitive)");
        }
    }
    path.to_owned()
}

/// Gives every error response the JSON error shape (axum's own rejections are plain text), and
/// logs and counts each request without secrets.
pub(super) async fn normalize_errors(
    State(app): State<App>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = loggable_path(request.uri().path());
    // The route template, not the path: paths carry ids and integration keys.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(
            || "(unmatched)".to_owned(),
            |m| m.as_str().trim_end_matches('/').to_owned(),
        );
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    app.metrics
        .record(method.as_str(), &route, status.as_u16(), started.elapsed());
    tracing::debug!(%method, %path, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis(), "request");
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        return app.error_response(ApiError::from_status(status));
    }
    response
}

/// With `ServeOptions::record`: appends each API exchange as it reached the client — method,
/// path, query, the headers a contract names (`Authorization` as its scheme only), the JSON
/// request body, the status and the JSON answer — as one JSON line.
async fn record_exchanges(State(app): State<App>, request: Request, next: Next) -> Response {
    let Some(file) = app.record.clone() else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_owned();
    if matches!(path.as_str(), "/metrics" | "/healthz") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(sent) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request bodies are limited to {MAX_BODY} bytes"),
        )
        .into_response();
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let scheme = header("authorization").map(|v| {
        v.split_once(['=', ' '])
            .map_or("(bare)".to_owned(), |(s, _)| format!("{s} …"))
    });
    let headers = serde_json::json!({
        "accept": header("accept"), "content-type": header("content-type"),
        "from": header("from"), "authorization": scheme,
    });
    let method = parts.method.to_string();
    let query = parts.uri.query().map(str::to_owned);
    let request = Request::from_parts(parts, axum::body::Body::from(sent.clone()));
    let response = next.run(request).await;
    let (response_parts, body) = response.into_parts();
    let Ok(answer) = axum::body::to_bytes(body, usize::MAX).await else {
        return app.error_response(ApiError::internal("could not read the answer to record it"));
    };
    let json = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).ok();
    let line = serde_json::json!({
        "method": method, "path": path, "query": query, "headers": headers,
        "body": json(&sent), "status": response_parts.status.as_u16(), "response": json(&answer),
    });
    if let Ok(mut file) = file.lock() {
        use std::io::Write as _;
        let _ = writeln!(file, "{line}");
    }
    Response::from_parts(response_parts, axum::body::Body::from(answer))
}

/// Latency, failures and rate limits on demand, for testing clients against a bad day.
pub(super) async fn inject_faults(
    State(app): State<App>,
    request: Request,
    next: Next,
) -> Response {
    let mut budget = None;
    let mut response = faults_then(&app, request, next, &mut budget).await;
    // alertform's own API says where a client stands against `--rate-limit` (the IETF RateLimit
    // header fields), so a client can pace itself instead of running into 429s. Vendor dialects
    // send what their vendor sends.
    if let (true, Some((limit, remaining, reset))) = (app.dialect.rate_limit_headers, budget) {
        let headers = response.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", u64::from(limit)),
            ("ratelimit-remaining", u64::from(remaining)),
            ("ratelimit-reset", reset),
        ] {
            if let Ok(value) = axum::http::HeaderValue::from_str(&value.to_string()) {
                headers.insert(name, value);
            }
        }
    }
    response
}

/// The faults of `--latency`, `--fail-rate`, `--fail-after-commit-rate`, `--rate-limit` and
/// `--reject-name`; `budget` gets (limit, remaining, seconds to reset) of the caller's rate
/// window: a second for alertform's API, a minute for PagerDuty's (its limit is per minute).
async fn faults_then(
    app: &App,
    request: Request,
    next: Next,
    budget: &mut Option<(u32, u32, u64)>,
) -> Response {
    let faults = &app.faults;
    if let Some(limit) = faults.rate_limit {
        let who = request
            .headers()
            .get(header::AUTHORIZATION)
            .map_or_else(String::new, |v| auth::sha256_hex(v.as_bytes()));
        let window_seconds = app.dialect.rate_window_seconds;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let second = now / window_seconds;
        let reset = window_seconds - now % window_seconds;
        let over = {
            let mut windows = app
                .rate_windows
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let window = windows.entry(who).or_insert((second, 0));
            if window.0 != second {
                *window = (second, 0);
            }
            window.1 += 1;
            *budget = Some((limit, limit.saturating_sub(window.1), reset));
            window.1 > limit
        };
        if over {
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "over {limit} requests per {} for this token",
                    if window_seconds == 1 {
                        "second"
                    } else {
                        "minute"
                    }
                ),
            );
            error.retry_after = Some(reset);
            return app.error_response(error);
        }
    }
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if faults.fail_rate > 0.0 && auth::random_unit() < faults.fail_rate {
        return app.error_response(ApiError::unavailable(
            "injected failure (--fail-rate): nothing was changed",
        ));
    }
    let is_write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if let Some(refusal) = app.dialect.lock_refusal
        && is_write
        && faults.lock_rate > 0.0
        && auth::random_unit() < faults.lock_rate
    {
        return app.error_response(ApiError::malformed(format!(
            "{refusal} (injected: --lock-rate)"
        )));
    }
    let request = match &faults.reject_name {
        Some(name) if is_write => {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
                return app.error_response(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("request bodies are limited to {MAX_BODY} bytes"),
                ));
            };
            let named = serde_json::from_slice::<serde_json::Value>(&bytes)
                .is_ok_and(|body| body["name"].as_str() == Some(name.as_str()));
            if named {
                return app.error_response(ApiError::invalid(format!(
                    "injected failure (--reject-name): writes of `{name}` are refused"
                )));
            }
            Request::from_parts(parts, axum::body::Body::from(bytes))
        }
        _ => request,
    };
    let response = next.run(request).await;
    if is_write
        && response.status().is_success()
        && faults.fail_after_commit_rate > 0.0
        && auth::random_unit() < faults.fail_after_commit_rate
    {
        return app.error_response(ApiError::unavailable(
            "injected failure (--fail-after-commit-rate): the change may have been made",
        ));
    }
    response
}

/// A service listening on a socket.
pub struct RunningServer {
    pub url: String,
    /// The owner token: the one given, the one generated on first start, or the one in
    /// `owner.token` from an earlier start (`None` if that file was removed).
    pub owner_token: Option<String>,
    /// Whether this start generated the owner token (so it should be shown once).
    pub generated_owner_token: bool,
    /// The email of the user the API acts as, where the dialect has one (the PagerDuty
    /// emulation's account owner: the embedded `From`).
    pub acting_user: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Sends due webhook deliveries (the bundled service only).
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish, and returns when the server is down.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // A delivery cut off here is still pending in the store, and sent after a restart.
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Opens the data directory, binds `options.listen` and serves until stopped.
pub async fn start(options: ServeOptions) -> Result<RunningServer, ServerError> {
    let dir = &options.data_dir;
    std::fs::create_dir_all(dir).map_err(|source| ServerError::DataDir {
        path: dir.clone(),
        source,
    })?;
    let secret = load_or_create_secret(dir)?;
    let store = Store::open(dir)?;
    let generated = bootstrap_owner(&store, dir, options.owner_token.as_deref())?;
    let generated_owner_token = generated.is_some();
    let owner_token = options.owner_token.clone().or(generated).or_else(|| {
        std::fs::read_to_string(dir.join("owner.token"))
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    });
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: options.listen,
        source,
    })?;
    let url = format!("http://{addr}");
    let state = App {
        store: Arc::new(store),
        secret: secret.into(),
        base_url: url.clone().into(),
        tokens: Arc::default(),
        faults: Arc::new(options.faults),
        rate_windows: Arc::default(),
        metrics: Arc::default(),
        dialect: options.dialect,
        record: match &options.record {
            Some(path) => Some(Arc::new(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| ServerError::File {
                        path: path.clone(),
                        source,
                    })?,
            ))),
            None => None,
        },
    };
    state
        .reload_tokens()
        .map_err(|e| ServerError::Startup(e.message))?;
    if let Some(path) = &options.seed {
        seed(&state, path)?;
    }
    let acting_user = match state.dialect.open {
        Some(open) => state
            .store
            .write(open)
            .map_err(|e| ServerError::Startup(e.message))?,
        None => None,
    };
    let worker = state
        .dialect
        .delivers
        .then(|| tokio::spawn(deliveries::run(state.clone())));
    let router = app(state);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer {
        url,
        owner_token,
        generated_owner_token,
        acting_user,
        shutdown: Some(tx),
        task,
        worker,
    })
}

/// Loads a vendor emulation's seed file into the store.
fn seed(state: &App, path: &Path) -> Result<(), ServerError> {
    match state.dialect.seed {
        Some(seed) => seed(state, path),
        None => Err(ServerError::Seed {
            path: path.to_owned(),
            message: "only a vendor emulation (--api) takes a seed".to_owned(),
        }),
    }
}

/// Reads the seed file at `path` as a `T` and hands it to `open` in one write transaction.
pub(crate) fn load_seed<T: serde::de::DeserializeOwned, R>(
    state: &App,
    path: &Path,
    open: fn(&rusqlite::Transaction, &T) -> Result<R, ApiError>,
) -> Result<(), ServerError> {
    let failed = |message: String| ServerError::Seed {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
    let seed: T = serde_json::from_str(&text).map_err(|e| failed(e.to_string()))?;
    state
        .store
        .write(|tx| open(tx, &seed))
        .map_err(|e| failed(e.message))?;
    Ok(())
}

/// Writes `contents` to a new file readable only by its owner.
fn write_private(path: &Path, contents: &str) -> Result<(), ServerError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| ServerError::File {
        path: path.to_owned(),
        source,
    })?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| ServerError::File {
            path: path.to_owned(),
            source,
        })
}

fn load_or_create_secret(dir: &Path) -> Result<Vec<u8>, ServerError> {
    let path = dir.join("server.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.trim().as_bytes().to_vec()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = auth::random_hex(32);
            write_private(&path, &secret)?;
            Ok(secret.into_bytes())
        }
        Err(source) => Err(ServerError::File { path, source }),
    }
}

/// Makes sure an owner token exists. A given token replaces the `owner` token; otherwise the
/// first start generates one, writes it to `owner.token` (mode 0600) and returns it to be shown.
fn bootstrap_owner(
    store: &Store,
    dir: &Path,
    given: Option<&str>,
) -> Result<Option<String>, ServerError> {
    let startup = |e: ApiError| ServerError::Startup(e.message);
    if let Some(token) = given {
        let digest = auth::sha256_hex(token.as_bytes());
        store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO tokens (name, digest, role, created_at) VALUES ('owner', ?1, 'owner', ?2)
                     ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, role = 'owner'",
                    rusqlite::params![digest, resources::now()],
                )
                .map_err(ApiError::from_sqlite)
            })
            .map_err(startup)?;
        return Ok(None);
    }
    let existing: i64 = store
        .read(|tx| {
            tx.query_row("SELECT count(*) FROM tokens", [], |r| r.get(0))
                .map_err(ApiError::from_sqlite)
        })
        .map_err(startup)?;
    if existing > 0 {
        return Ok(None);
    }
    let token = auth::new_token();
    let digest = auth::sha256_hex(token.as_bytes());
    store
        .write(|tx| {
            tx.execute(
                "INSERT INTO tokens (name, digest, role, created_at) VALUES ('owner', ?1, 'owner', ?2)",
                rusqlite::params![digest, resources::now()],
            )
            .map_err(ApiError::from_sqlite)
        })
        .map_err(startup)?;
    write_private(&dir.join("owner.token"), &format!("{token}\n"))?;
    Ok(Some(token))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    fn test_app(dir: &Path) -> (Router, String) {
        let store = Store::open(dir).unwrap();
        let token = "af_unit_test_token".to_owned();
        bootstrap_owner(&store, dir, Some(&token)).unwrap();
        let state = App {
            store: Arc::new(store),
            secret: b"unit-test-secret".to_vec().into(),
            base_url: "http://test".into(),
            tokens: Arc::default(),
            faults: Arc::default(),
            rate_windows: Arc::default(),
            metrics: Arc::default(),
            dialect: &native::DIALECT,
            record: None,
        };
        state.reload_tokens().unwrap();
        (app(state), token)
    }

    async fn call(router: &Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A `POST /api/v1/users` of `body` with the owner's token.
    fn post_user(token: &str, body: &'static str) -> Request<Body> {
        Request::post("/api/v1/users")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn malformed_json_gets_the_error_shape() {
        let dir = tempfile::tempdir().unwrap();
        let (router, token) = test_app(dir.path());
        let (status, body) = call(&router, post_user(&token, "{\"name\": ")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_request");
    }

    #[tokio::test]
    async fn create_then_read_in_process() {
        let dir = tempfile::tempdir().unwrap();
        let (router, token) = test_app(dir.path());
        let alice = r#"{"name": "Alice", "email": "alice@example.com"}"#;
        let (status, created) = call(&router, post_user(&token, alice)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap();
        assert!(id.starts_with("usr_"));
        let request = Request::get(format!("/api/v1/users/{id}"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let (status, read) = call(&router, request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read, created);
    }

    #[tokio::test]
    async fn unknown_routes_and_methods_get_the_error_shape() {
        let dir = tempfile::tempdir().unwrap();
        let (router, _) = test_app(dir.path());
        let (status, body) =
            call(&router, Request::get("/nope").body(Body::empty()).unwrap()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let (status, body) = call(
            &router,
            Request::delete("/healthz").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
}
