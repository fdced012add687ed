//! Reads and writes live state: the only client-side code that speaks HTTP.
//!
//! The planner sees [`Observed`](crate::observed::Observed): typed objects with references by id and no secrets. Integration
//! keys and endpoint URLs stop here, so nothing downstream can print them.

pub mod alertops;
pub mod capabilities;
pub mod grafana_oncall;
pub mod http;
pub mod native;
pub mod pagerduty;
pub mod uptinio;

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::model::ProviderName;
use crate::observed::Observed;
use crate::plan::Change;
use capabilities::Capabilities;
use http::{HttpClient, HttpError};

/// Why live state could not be read or a change not made, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error("the service at {endpoint} refused the token (401){}: set a valid token with --token or ALERTFORM_TOKEN", if *.had_token { "" } else { ", and none was given" })]
    Unauthorized { endpoint: String, had_token: bool },
    #[error("the token may not {action} at {endpoint} (403): {message}")]
    Forbidden {
        endpoint: String,
        action: String,
        message: String,
    },
    #[error("`{id}` changed since the plan read it (version {expected}); run plan again")]
    Drifted { id: String, expected: u64 },
    #[error("the service at {endpoint} sent {what} that alertform cannot read: {message}")]
    Unreadable {
        endpoint: String,
        what: String,
        message: String,
    },
    /// A change the provider cannot carry out as planned, said in full.
    #[error("{0}")]
    Cannot(String),
}

/// Pages `2..=total_pages` of a collection, `concurrency` in flight, in page order: how every
/// provider reads the rest of a list once its first page gave the count. `fetch` makes a page's
/// request (owning what it needs, so it can run on its own task).
pub(crate) async fn remaining_pages<T, F, Fut>(
    total_pages: u64,
    concurrency: usize,
    what: &str,
    endpoint: &str,
    fetch: F,
) -> Result<Vec<T>, ProviderError>
where
    T: Send + 'static,
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>> + Send + 'static,
{
    let mut pages: Vec<Option<Vec<T>>> = (2..=total_pages).map(|_| None).collect();
    let mut pending = 2..=total_pages;
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < concurrency {
            let Some(page) = pending.next() else { break };
            let request = fetch(page);
            running.spawn(async move { (page, request.await) });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (page, result) = joined.map_err(|e| ProviderError::Unreadable {
            endpoint: endpoint.to_owned(),
            what: format!("pages of {what}"),
            message: e.to_string(),
        })?;
        let index = usize::try_from(page - 2).expect("page numbers fit in memory");
        pages[index] = Some(result?);
    }
    Ok(pages.into_iter().flatten().flatten().collect())
}

/// A version for objects a vendor does not version: a digest of what alertform reads of them,
/// so a saved plan still notices a change made since.
pub(crate) fn version_of(parts: &[&Value]) -> u64 {
    let text: Vec<String> = parts.iter().map(ToString::to_string).collect();
    let digest = crate::digest::sha256_parts(text.iter().map(String::as_bytes));
    u64::from_str_radix(&digest[..13], 16).unwrap_or(0)
}

/// A string field of a vendor's JSON object, empty when it is missing or not a string.
pub(crate) fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Enough of RFC 3986 for a name in a query string.
pub(crate) fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Whether a failed write may or may not have happened: the answer was lost, or the service
/// failed. (429 is retried by the HTTP layer: a throttled request was not carried out.)
pub(crate) fn answer_lost(err: &HttpError) -> bool {
    match err {
        HttpError::Unreachable { .. } => true,
        HttpError::Status { status, .. } => status.is_server_error(),
        HttpError::Decode { .. } => false,
    }
}

/// PUT `body` to `path` (safe to send again after a lost answer); the answer's body.
pub(crate) async fn put_json(
    http: &HttpClient,
    path: &str,
    body: &Value,
) -> Result<Value, HttpError> {
    http.send(reqwest::Method::PUT, path, Some(body), &[], true)
        .await
        .map(|r| r.body)
}

/// DELETE `path`; gone after a lost answer (a 404 on a retry) counts as done.
pub(crate) async fn delete_once(http: &HttpClient, path: &str) -> Result<(), HttpError> {
    match http
        .send(reqwest::Method::DELETE, path, None, &[], true)
        .await
    {
        Ok(_) => Ok(()),
        Err(HttpError::Status {
            status: reqwest::StatusCode::NOT_FOUND,
            attempts,
            ..
        }) if attempts > 1 => Ok(()),
        Err(e) => Err(e),
    }
}

/// How a provider creates an object its vendor offers no idempotency key for.
pub(crate) struct Recovering<'a, E> {
    pub http: &'a HttpClient,
    /// Headers beside the client's own (PagerDuty's `From`).
    pub headers: &'a [(&'a str, String)],
    /// The vendor's words for an error, in the provider's terms.
    pub explain: E,
    /// Whether a refusal of a retry means the lost first try made the object ("already been
    /// taken"), so it is looked for rather than reported.
    pub taken: fn(&HttpError) -> bool,
}

/// Attempts at a create whose answer is lost, each after looking for the object first.
const CREATE_ATTEMPTS: u32 = 8;

impl<E: Fn(HttpError) -> ProviderError> Recovering<'_, E> {
    /// POSTs `body` to `path`. When the answer is lost, `find` looks for the object before the
    /// next try, so a retry never makes a duplicate. Returns the object, and whether it was
    /// found rather than made by this call.
    pub async fn create<F, Fut>(
        &self,
        path: &str,
        body: &Value,
        find: F,
    ) -> Result<(Value, bool), ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<Value>, ProviderError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .http
                .send(reqwest::Method::POST, path, Some(body), self.headers, false)
                .await
            {
                Ok(reply) => return Ok((reply.body, false)),
                Err(err) if answer_lost(&err) && attempt < CREATE_ATTEMPTS => {
                    tracing::debug!(path, attempt, "create answer lost; looking before retrying");
                    if let Some(found) = find().await? {
                        return Ok((found, true));
                    }
                    let wait = std::time::Duration::from_millis(100 << attempt.min(6));
                    tokio::time::sleep(wait).await;
                }
                Err(err) if attempt > 1 && (self.taken)(&err) => {
                    return match find().await? {
                        Some(found) => Ok((found, true)),
                        None => Err((self.explain)(err)),
                    };
                }
                Err(err) => return Err((self.explain)(err)),
            }
        }
    }
}

/// A vendor's answer in the provider's terms: 401 is a token it does not know, 403 a token
/// without the right (`hint` says which token the vendor wants), anything else as it came.
pub(crate) fn explain_refusal(
    http: &HttpClient,
    err: HttpError,
    action: &str,
    hint: &str,
) -> ProviderError {
    match err.status() {
        Some(reqwest::StatusCode::UNAUTHORIZED) => ProviderError::Unauthorized {
            endpoint: http.base().to_owned(),
            had_token: true,
        },
        Some(reqwest::StatusCode::FORBIDDEN) => ProviderError::Forbidden {
            endpoint: http.base().to_owned(),
            action: action.to_owned(),
            message: match &err {
                HttpError::Status { message, .. } => format!("{message} ({hint})"),
                _ => err.to_string(),
            },
        },
        _ => ProviderError::Http(err),
    }
}

/// A vendor without outbound targets is never asked for one (capabilities make declaring one a
/// config error); this is the answer if it is.
pub(crate) fn no_outbound(vendor: &str) -> ProviderError {
    ProviderError::Cannot(format!("{vendor} has no outbound targets"))
}

/// What a provider can hold.
pub fn capabilities(name: ProviderName) -> &'static Capabilities {
    match name {
        ProviderName::Alertform => &capabilities::ALERTFORM,
        ProviderName::GrafanaOncall => &grafana_oncall::capabilities::CAPABILITIES,
        ProviderName::Pagerduty => &pagerduty::capabilities::CAPABILITIES,
        ProviderName::Uptinio => &uptinio::capabilities::CAPABILITIES,
        ProviderName::Alertops => &alertops::capabilities::CAPABILITIES,
    }
}

/// A live service, through the provider that speaks its API. One enum rather than a trait
/// object: async methods stay plain `async fn`, and a new vendor is one more arm.
#[derive(Debug, Clone)]
pub enum Provider {
    Alertform(native::NativeProvider),
    GrafanaOncall(grafana_oncall::OnCallProvider),
    Pagerduty(pagerduty::PagerDutyProvider),
    Uptinio(uptinio::UptinioProvider),
    Alertops(alertops::AlertOpsProvider),
}

impl Provider {
    /// A provider for `name` at the endpoint `http` points at. `from_email` is PagerDuty's `From`
    /// header for creating users.
    pub fn new(
        name: ProviderName,
        http: HttpClient,
        has_token: bool,
        from_email: Option<String>,
    ) -> Provider {
        match name {
            ProviderName::Alertform => {
                Provider::Alertform(native::NativeProvider::new(http, has_token))
            }
            ProviderName::GrafanaOncall => {
                Provider::GrafanaOncall(grafana_oncall::OnCallProvider::new(http))
            }
            ProviderName::Pagerduty => {
                Provider::Pagerduty(pagerduty::PagerDutyProvider::new(http, from_email))
            }
            ProviderName::Uptinio => Provider::Uptinio(uptinio::UptinioProvider::new(http)),
            ProviderName::Alertops => Provider::Alertops(alertops::AlertOpsProvider::new(http)),
        }
    }

    pub fn name(&self) -> ProviderName {
        match self {
            Provider::Alertform(_) => ProviderName::Alertform,
            Provider::GrafanaOncall(_) => ProviderName::GrafanaOncall,
            Provider::Pagerduty(_) => ProviderName::Pagerduty,
            Provider::Uptinio(_) => ProviderName::Uptinio,
            Provider::Alertops(_) => ProviderName::Alertops,
        }
    }

    pub fn capabilities(&self) -> &'static Capabilities {
        capabilities(self.name())
    }

    pub fn http(&self) -> &HttpClient {
        match self {
            Provider::Alertform(p) => p.http(),
            Provider::GrafanaOncall(p) => p.http(),
            Provider::Pagerduty(p) => p.http(),
            Provider::Uptinio(p) => p.http(),
            Provider::Alertops(p) => p.http(),
        }
    }

    /// Reads every live object, one list per collection.
    pub async fn observe(&self) -> Result<Observed, ProviderError> {
        match self {
            Provider::Alertform(p) => p.observe().await,
            Provider::GrafanaOncall(p) => p.observe().await,
            Provider::Pagerduty(p) => p.observe().await,
            Provider::Uptinio(p) => p.observe().await,
            Provider::Alertops(p) => p.observe().await,
        }
    }

    /// Carries out one change as one or more calls; `ids` maps addresses to live ids and gets
    /// the ids of what this change creates. Returns the object as written, without secrets the
    /// vendor would not show again.
    pub async fn execute(
        &self,
        change: &Change,
        ids: &Mutex<BTreeMap<String, String>>,
        run_key: &str,
    ) -> Result<Value, String> {
        match self {
            Provider::Alertform(p) => p.execute(change, ids, run_key).await,
            Provider::GrafanaOncall(p) => p.execute(change, ids).await,
            Provider::Pagerduty(p) => p.execute(change, ids).await,
            Provider::Uptinio(p) => p.execute(change, ids).await,
            Provider::Alertops(p) => p.execute(change, ids).await,
        }
    }

    /// Checks a plan before its first call, for what only the whole plan shows (PagerDuty: a
    /// user to create with no `From` header, an owner to make).
    pub fn preflight(&self, plan: &crate::plan::Plan) -> Result<(), String> {
        match self {
            Provider::Pagerduty(p) => p.preflight(plan),
            Provider::Uptinio(p) => p.preflight(plan),
            Provider::Alertform(_) | Provider::GrafanaOncall(_) | Provider::Alertops(_) => Ok(()),
        }
    }
}
