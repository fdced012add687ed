//! The HTTP layer every provider shares: timeouts, retries with exponential backoff and jitter on
//! connection errors, 5xx and 429 (honouring `Retry-After`), bounded attempts and total time, and
//! errors that name the endpoint, the status and what to do.

use crate::json::Items;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};

/// How hard to try before giving up.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No new attempt starts after this much time since the first.
    pub max_total: Duration,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(120),
            request_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot reach {url}: {message} (after {attempts} attempt{})", if *.attempts == 1 { "" } else { "s" })]
    Unreachable {
        url: String,
        message: String,
        attempts: u32,
    },
    #[error("{method} {url} answered {status}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Status {
        method: Method,
        url: String,
        status: StatusCode,
        code: Option<String>,
        message: String,
        /// The parsed error body, when there was one.
        body: Option<Box<serde_json::Value>>,
        attempts: u32,
    },
    #[error("{url} answered with a body that is not the expected JSON: {message}")]
    Decode { url: String, message: String },
}

impl HttpError {
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A response that was not an error.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

/// A successful answer before its body is parsed, so a caller can parse it straight into its type.
struct RawReply {
    status: StatusCode,
    url: String,
    text: String,
}

/// How a service wants its token: in `Authorization`, or in a header of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthScheme {
    /// `Bearer <token>` (alertform's own API).
    #[default]
    Bearer,
    /// The bare token, no scheme word (Grafana OnCall).
    Raw,
    /// `Token token=<token>` (PagerDuty's REST API keys).
    Token,
    /// The bare token in this header instead of `Authorization` (AlertOps's `api-key`).
    Header(&'static str),
    /// `<word> <token>` in `Authorization` (Opsgenie's `GenieKey`).
    Word(&'static str),
}

/// A client for one service endpoint with one token.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    auth: AuthScheme,
    /// Headers sent with every request (a vendor's versioned `Accept`).
    headers: Arc<Vec<(&'static str, &'static str)>>,
    /// Refusals the vendor makes without doing anything, which may be sent again whatever the
    /// method (PagerDuty's "account could not be locked"), by status and body text.
    transient: Option<fn(StatusCode, &str) -> bool>,
    policy: RetryPolicy,
    requests: Arc<AtomicU64>,
    retries: Arc<AtomicU64>,
    /// After a 429, no request of this client starts before this instant: the whole client backs
    /// off together instead of every request in flight hitting the limit again.
    throttled_until: Arc<std::sync::Mutex<Option<Instant>>>,
    /// What the service last said of this client's rate budget (`ratelimit-remaining` and
    /// `ratelimit-reset`): requests are held back when it is spent, so a large run keeps to the
    /// budget instead of running into 429s.
    budget: Arc<std::sync::Mutex<Option<Budget>>>,
    in_flight: Arc<std::sync::atomic::AtomicI64>,
    /// A budget the client keeps to by itself (requests per minute), for vendors that say
    /// nothing of it until they answer 429 (Opsgenie).
    pace: Option<Arc<Pace>>,
}

/// Requests spaced to at most `per_minute`, a second's worth at once (the generic cell rate
/// algorithm): the next request's theoretical start is kept, and one that would start more than
/// `burst` ahead of now waits.
#[derive(Debug)]
struct Pace {
    interval: Duration,
    burst: Duration,
    next: std::sync::Mutex<Option<Instant>>,
}

impl Pace {
    fn new(per_minute: u32) -> Pace {
        let per_minute = per_minute.max(1);
        let interval = Duration::from_secs(60) / per_minute;
        Pace {
            interval,
            burst: interval * (per_minute / 60).saturating_sub(1),
            next: std::sync::Mutex::new(None),
        }
    }

    /// How long the next request must wait for its turn (and takes it).
    fn take(&self) -> Duration {
        self.take_at(Instant::now())
    }

    fn take_at(&self, now: Instant) -> Duration {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = next.map_or(now, |n| n.max(now));
        *next = Some(start + self.interval);
        start
            .saturating_duration_since(now)
            .saturating_sub(self.burst)
    }
}

/// Requests left until the service's rate window resets.
#[derive(Debug, Clone, Copy)]
struct Budget {
    remaining: i64,
    resets_at: Instant,
}

/// One request as [`HttpClient::send`] takes it.
struct Request<'a> {
    method: Method,
    path: &'a str,
    body: Option<&'a serde_json::Value>,
    headers: &'a [(&'a str, String)],
    retry: bool,
}

impl std::fmt::Debug for HttpClient {
    // The token must never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    pub fn new(base: &str, token: Option<String>, policy: RetryPolicy) -> Result<Self, HttpError> {
        // reqwest is built without a default crypto provider; ring avoids aws-lc's C build.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .pool_max_idle_per_host(64)
            .user_agent(concat!("alertform/", env!("CARGO_PKG_VERSION")));
        if base.starts_with("http://") {
            // Plain HTTP (the local service) needs no certificates: loading the system's root
            // store costs about 5 ms per run.
            builder = builder.tls_certs_only([]);
        }
        let client = builder.build().map_err(|e| HttpError::Unreachable {
            url: base.to_owned(),
            message: format!("cannot build an HTTP client: {e}"),
            attempts: 0,
        })?;
        Ok(HttpClient {
            client,
            base: base.trim_end_matches('/').to_owned(),
            token,
            auth: AuthScheme::Bearer,
            headers: Arc::default(),
            transient: None,
            policy,
            requests: Arc::default(),
            retries: Arc::default(),
            throttled_until: Arc::default(),
            budget: Arc::default(),
            in_flight: Arc::default(),
            pace: None,
        })
    }

    /// The same client, sending at most `per_minute` requests a minute (retries included).
    #[must_use]
    pub fn with_rate_budget(mut self, per_minute: u32) -> Self {
        self.pace = Some(Arc::new(Pace::new(per_minute)));
        self
    }

    /// The same client, sending its token the way `auth` says.
    #[must_use]
    pub fn with_auth(mut self, auth: AuthScheme) -> Self {
        self.auth = auth;
        self
    }

    /// The same client, sending `headers` with every request.
    #[must_use]
    pub fn with_headers(mut self, headers: Vec<(&'static str, &'static str)>) -> Self {
        self.headers = Arc::new(headers);
        self
    }

    /// The same client, retrying the refusals `transient` recognises as not carried out.
    #[must_use]
    pub fn with_transient(mut self, transient: fn(StatusCode, &str) -> bool) -> Self {
        self.transient = Some(transient);
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Of those, how many were retries.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    pub async fn get(&self, path: &str) -> Result<Reply, HttpError> {
        self.send(Method::GET, path, None, &[], true).await
    }

    /// A GET whose failure the caller words (each vendor client's `explain`).
    pub async fn get_or<E>(
        &self,
        path: &str,
        explain: impl FnOnce(HttpError) -> E,
    ) -> Result<Reply, E> {
        self.get(path).await.map_err(explain)
    }

    /// A GET whose JSON answer is parsed straight into `T` (no intermediate `Value`: pages of a
    /// thousand objects are the bulk of a plan's reading).
    pub async fn get_as<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, HttpError> {
        let raw = self
            .send_raw(Request {
                method: Method::GET,
                path,
                body: None,
                headers: &[],
                retry: true,
            })
            .await?;
        serde_json::from_str(&raw.text).map_err(|e| HttpError::Decode {
            url: raw.url,
            message: e.to_string(),
        })
    }

    /// Sends a request. `retry` says whether it is safe to send again after a lost answer: reads,
    /// and writes made idempotent by `Idempotency-Key` or `If-Match`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, String)],
        retry: bool,
    ) -> Result<Reply, HttpError> {
        let raw = self
            .send_raw(Request {
                method,
                path,
                body,
                headers,
                retry,
            })
            .await?;
        let body = if raw.text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&raw.text).map_err(|_| HttpError::Decode {
                url: raw.url,
                message: "not JSON".to_owned(),
            })?
        };
        Ok(Reply {
            status: raw.status,
            body,
        })
    }

    async fn send_raw(&self, request: Request<'_>) -> Result<RawReply, HttpError> {
        let Request {
            method,
            path,
            body,
            headers,
            retry,
        } = request;
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut throttled: u32 = 0;
        loop {
            attempt += 1;
            self.wait_for_budget().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.in_flight.fetch_add(1, Ordering::Relaxed);
            if attempt > 1 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
            let mut request = self.client.request(method.clone(), &url);
            if let Some(token) = &self.token {
                request = match self.auth {
                    AuthScheme::Bearer => request.bearer_auth(token),
                    AuthScheme::Raw
                    | AuthScheme::Token
                    | AuthScheme::Header(_)
                    | AuthScheme::Word(_) => {
                        let text = match self.auth {
                            AuthScheme::Token => format!("Token token={token}"),
                            AuthScheme::Word(word) => format!("{word} {token}"),
                            _ => token.clone(),
                        };
                        let mut value = reqwest::header::HeaderValue::from_str(&text)
                            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static(""));
                        value.set_sensitive(true);
                        match self.auth {
                            AuthScheme::Header(name) => request.header(name, value),
                            _ => request.header(reqwest::header::AUTHORIZATION, value),
                        }
                    }
                };
            }
            for (name, value) in self.headers.iter() {
                request = request.header(*name, *value);
            }
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let outcome = request.send().await;
            self.in_flight.fetch_sub(1, Ordering::Relaxed);
            if let Ok(response) = &outcome {
                self.note_budget(response.headers());
            }
            let retry_after = match outcome {
                Err(err) => {
                    let message = if err.is_timeout() {
                        "timed out".to_owned()
                    } else if err.is_connect() {
                        "connection failed".to_owned()
                    } else {
                        err.to_string()
                    };
                    if !self.may_retry(retry, attempt, started) {
                        return Err(HttpError::Unreachable {
                            url,
                            message,
                            attempts: attempt,
                        });
                    }
                    tracing::debug!(%method, %url, attempt, %message, "retrying after a connection error");
                    None
                }
                Ok(response) => {
                    let status = response.status();
                    // `Retry-After`, or the `RateLimit-Reset` seconds some vendors send instead.
                    let seconds = |name: &str| {
                        response
                            .headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                    };
                    let retry_after = seconds("retry-after")
                        .or_else(|| seconds("ratelimit-reset"))
                        .map(Duration::from_secs);
                    let text = response.text().await.unwrap_or_default();
                    if status.is_success() {
                        return Ok(RawReply { status, url, text });
                    }
                    let parsed: Option<serde_json::Value> = serde_json::from_str(&text).ok();
                    let limited = status == StatusCode::TOO_MANY_REQUESTS;
                    if limited {
                        throttled += 1;
                        self.throttle(retry_after.unwrap_or(Duration::from_secs(1)));
                    }
                    // A throttled request was not carried out: it may always be sent again, and
                    // only the time limit (and a generous count) bounds waiting for the budget.
                    let transient = self.transient.is_some_and(|t| t(status, &text));
                    let again = if limited {
                        started.elapsed() < self.policy.max_total
                            && throttled < self.policy.max_attempts * 4
                    } else if transient {
                        // Refused without being carried out: safe to send again, any method.
                        tracing::debug!(%method, %url, attempt, "refused for now; retrying");
                        self.may_retry(true, attempt - throttled, started)
                    } else {
                        status.is_server_error()
                            && self.may_retry(retry, attempt - throttled, started)
                    };
                    if !again {
                        let (code, message) = error_detail(parsed.as_ref(), &text);
                        return Err(HttpError::Status {
                            method,
                            url,
                            status,
                            code,
                            message,
                            body: parsed.map(Box::new),
                            attempts: attempt,
                        });
                    }
                    tracing::debug!(%method, %url, attempt, status = status.as_u16(), "retrying");
                    retry_after
                }
            };
            tokio::time::sleep(self.backoff(attempt, retry_after)).await;
        }
    }

    /// Waits until the vendor's last 429 asked this client to wait, and while the rate budget the
    /// service reported is spent; then takes one request from the budget.
    async fn wait_for_budget(&self) {
        if let Some(pace) = &self.pace {
            let wait = pace.take();
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        let until = *self
            .throttled_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                tokio::time::sleep(until - now).await;
            }
        }
        loop {
            let wait = {
                let mut budget = self
                    .budget
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let now = Instant::now();
                match budget.as_mut() {
                    Some(b) if now >= b.resets_at => {
                        *budget = None;
                        None
                    }
                    Some(b) if b.remaining <= 0 => Some(b.resets_at - now),
                    Some(b) => {
                        b.remaining -= 1;
                        None
                    }
                    None => None,
                }
            };
            match wait {
                Some(wait) => tokio::time::sleep(wait.min(self.policy.max_delay)).await,
                None => return,
            }
        }
    }

    /// Keeps what the service said of the budget: what is left, less the requests already on
    /// their way, until the window resets.
    fn note_budget(&self, headers: &reqwest::header::HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        let (Some(remaining), Some(reset)) =
            (number("ratelimit-remaining"), number("ratelimit-reset"))
        else {
            return;
        };
        let in_flight = self.in_flight.load(Ordering::Relaxed);
        let resets_at =
            Instant::now() + Duration::from_secs(u64::try_from(reset.max(0)).unwrap_or(0));
        *self
            .budget
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Budget {
            remaining: remaining - in_flight,
            resets_at,
        });
    }

    fn throttle(&self, wait: Duration) {
        let until = Instant::now() + wait.min(self.policy.max_delay);
        let mut slot = self
            .throttled_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none_or(|current| current < until) {
            *slot = Some(until);
        }
    }

    fn may_retry(&self, retry: bool, attempt: u32, started: Instant) -> bool {
        retry && attempt < self.policy.max_attempts && started.elapsed() < self.policy.max_total
    }

    /// Exponential backoff with full jitter, or what the server asked for.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.policy.max_delay);
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let ceiling = self
            .policy
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.policy.max_delay);
        let mut bytes = [0u8; 4];
        let _ = getrandom::fill(&mut bytes);
        let fraction = f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX);
        ceiling.mul_f64(0.5 + fraction / 2.0)
    }
}

/// The code and message of an error body, or the raw text. Understands alertform's shape
/// (`{"error": {"code", "message"}}`) and Django REST framework's (`{"detail": …}`, or lists of
/// messages keyed by field or `non_field_errors`), which Grafana OnCall answers with.
fn error_detail(parsed: Option<&serde_json::Value>, text: &str) -> (Option<String>, String) {
    if let Some(serde_json::Value::Object(map)) = parsed
        && !map.contains_key("error")
    {
        if let Some(detail) = map.get("detail").and_then(|d| d.as_str()) {
            return (None, detail.to_owned());
        }
        let fields: Vec<String> = map
            .iter()
            .map(|(field, messages)| {
                let text = match messages {
                    serde_json::Value::Array(list) => list
                        .iter()
                        .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other.to_string(),
                };
                format!("{field}: {text}")
            })
            .collect();
        if !fields.is_empty() {
            return (None, fields.join("; "));
        }
    }
    let error = parsed.and_then(|v| v.get("error"));
    // Uptinio's: `{"error": CODE or TEXT, "message"?, "errors"?: {field: [why]}}`.
    if let Some(serde_json::Value::String(word)) = error {
        let top = parsed.expect("an error came from a body");
        let mut message = top
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or(word)
            .to_owned();
        if let Some(serde_json::Value::Object(fields)) = top.get("errors") {
            let reasons: Vec<String> = fields
                .iter()
                .map(|(field, why)| {
                    let why: Vec<&str> = why.items().filter_map(|w| w.as_str()).collect();
                    format!("{field} {}", why.join(", "))
                })
                .collect();
            message = format!("{message}: {}", reasons.join("; "));
        }
        let is_code = word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        return (is_code.then(|| word.clone()), message);
    }
    // alertform's codes are words, PagerDuty's numbers.
    let code = error.and_then(|e| e.get("code")).and_then(|c| match c {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let mut message = error
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str())
        .map_or_else(|| text.chars().take(200).collect(), str::to_owned);
    // PagerDuty says what was wrong in `errors`.
    let details: Vec<&str> = error
        .and_then(|e| e.get("errors"))
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str())
        .collect();
    if !details.is_empty() {
        message = format!("{message}: {}", details.join("; "));
    }
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A budget of 600 a minute lets a second's worth (10) go at once, then one every 100 ms:
    /// 100 requests asked for at once wait up to 9 s; a client that rested may burst again.
    #[test]
    fn a_rate_budget_spaces_requests() {
        let pace = Pace::new(600);
        let now = Instant::now();
        let waits: Vec<Duration> = (0..100).map(|_| pace.take_at(now)).collect();
        assert!(waits[..10].iter().all(Duration::is_zero), "{waits:?}");
        assert_eq!(waits[10], Duration::from_millis(100));
        assert_eq!(waits[99], Duration::from_secs(9));
        let rested = now + Duration::from_secs(60);
        assert_eq!(pace.take_at(rested), Duration::ZERO);
        // A budget under a second's worth a second spaces every request.
        let slow = Pace::new(30);
        assert_eq!(slow.take_at(now), Duration::ZERO);
        assert_eq!(slow.take_at(now), Duration::from_secs(2));
    }
}
