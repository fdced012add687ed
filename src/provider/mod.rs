//! Reads and writes live state: the only client-side code that speaks HTTP.
//!
//! The planner sees [`Observed`]: typed objects with references by id and no secrets. Integration
//! keys and endpoint URLs stop here, so nothing downstream can print them.

pub mod alertops;
pub mod capabilities;
pub mod grafana_oncall;
pub mod http;
pub mod native;
pub mod opsgenie;
pub mod pagerduty;
pub mod uptinio;

use jiff::Timestamp;
use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::model::{Address, Kind, ProviderName};
use crate::observed::Observed;
use crate::plan::Change;
pub use capabilities::Capabilities;
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
    #[error("{endpoint} did not answer as the bundled alertform service (GET {path}: {answered}); if it is a vendor's API or its emulation, say whose with --provider or settings.provider: {}", ProviderName::NAMES.iter().filter(|n| **n != ProviderName::default().as_str()).copied().collect::<Vec<_>>().join(", "))]
    NotTheBundledService {
        endpoint: String,
        path: String,
        answered: String,
    },
}

/// A whole collection: the `first` page's objects, then pages `2..=total_pages`, `concurrency`
/// in flight, in page order: how every provider reads the rest of a list once its first page
/// gave the count. `fetch` makes a page's request (owning what it needs, so it can run on its
/// own task).
pub(crate) async fn all_pages<T, Fut>(
    mut first: Vec<T>,
    total_pages: u64,
    (concurrency, what, endpoint): (usize, &str, &str),
    fetch: impl Fn(u64) -> Fut,
) -> Result<Vec<T>, ProviderError>
where
    T: Send + 'static,
    Fut: Future<Output = Result<Vec<T>, ProviderError>> + Send + 'static,
{
    if total_pages > 1 {
        first.extend(in_order(2..=total_pages, concurrency, what, endpoint, fetch).await?);
    }
    Ok(first)
}

/// A note for each schedule with overrides (one-off swaps made in the vendor's product), which
/// plan and apply leave alone: `count(id)` reads how many one schedule has (one request each,
/// `concurrency` in flight, since no vendor's list carries them). `made` says where they were
/// made ("made in PagerDuty (now or in the next 90 days)").
pub(crate) async fn override_notes<F, Fut>(
    schedules: &[crate::observed::ObservedSchedule],
    concurrency: usize,
    endpoint: &str,
    made: &str,
    count: F,
) -> Result<Vec<String>, ProviderError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<usize, ProviderError>> + Send + 'static,
{
    let ids: Vec<String> = schedules.iter().map(|s| s.id.clone()).collect();
    let total = u64::try_from(ids.len()).unwrap_or(u64::MAX);
    let counts = in_order(1..=total, concurrency, "overrides", endpoint, |n| {
        let request = count(ids[usize::try_from(n - 1).expect("indices fit in memory")].clone());
        async move { Ok(vec![request.await?]) }
    })
    .await?;
    Ok(schedules
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(schedule, n)| {
            format!(
                "schedule `{}` has {n} override{} {made}; plan and apply leave {} alone",
                schedule.name,
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            )
        })
        .collect())
}

/// Runs `fetch(i)` for every `i` of `indices`, `concurrency` in flight, and returns what each
/// gave in the order of `indices`: pages of a list, or one GET per object where a list entry
/// lacks fields.
pub(crate) async fn in_order<T, F, Fut>(
    indices: std::ops::RangeInclusive<u64>,
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
    let first = *indices.start();
    let mut pages: Vec<Option<Vec<T>>> = indices.clone().map(|_| None).collect();
    let mut pending = indices;
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
        let index = usize::try_from(page - first).expect("page numbers fit in memory");
        pages[index] = Some(result?);
    }
    Ok(pages.into_iter().flatten().flatten().collect())
}

/// Every object of an offset-paged list (`PATH?limit=…&offset=…`), `limit` a page: each page's
/// objects are at `key`, and `more(page, objects on it)` says whether another page follows.
pub(crate) async fn offset_pages(
    http: &HttpClient,
    (path, key): (&str, &str),
    limit: u64,
    more: impl Fn(&Value, usize) -> bool,
) -> Result<Vec<Value>, http::HttpError> {
    let mut objects = Vec::new();
    loop {
        let offset = objects.len();
        let page = http
            .get(&format!("{path}?limit={limit}&offset={offset}"))
            .await?
            .body;
        let items = page[key].as_array().cloned().unwrap_or_default();
        let count = items.len();
        objects.extend(items);
        if count == 0 || !more(&page, count) {
            return Ok(objects);
        }
    }
}

/// A version for objects a vendor does not version: a digest of what alertform reads of them,
/// so a saved plan still notices a change made since.
pub(crate) fn version_of(parts: &[&Value]) -> u64 {
    let text: Vec<String> = parts.iter().map(ToString::to_string).collect();
    let digest = crate::digest::sha256_parts(text.iter().map(String::as_bytes));
    u64::from_str_radix(&digest[..13], 16).unwrap_or(0)
}

/// A JSON string that is an RFC 3339 instant (a vendor's rendered on-call entry's times).
pub(crate) fn instant(value: &Value) -> Option<jiff::Timestamp> {
    value.as_str()?.parse().ok()
}

/// A string field of a vendor's JSON object, empty when it is missing or not a string.
pub(crate) fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The live id of a declared resource that a change references: known from the plan, or from
/// the change that created it earlier in this apply.
pub(crate) fn id_of(address: &Address, ids: &BTreeMap<String, String>) -> Result<String, String> {
    ids.get(&address.to_string())
        .cloned()
        .ok_or_else(|| format!("`{address}` has no id: it was not created"))
}

/// The live ids of the addresses of `kind` among `addresses`, in their order.
pub(crate) fn ids_of<'a>(
    addresses: impl IntoIterator<Item = &'a Address>,
    kind: Kind,
    ids: &BTreeMap<String, String>,
) -> Result<Vec<String>, String> {
    addresses
        .into_iter()
        .filter(|a| a.kind == kind)
        .map(|a| id_of(a, ids))
        .collect()
}

pub(crate) use crate::json::percent_encode;

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

/// What the changes of one apply share: the live id of every address known so far (from the
/// plan, and from what this apply has created), and the key that identifies the run (idempotency
/// keys derive from it where a service takes them).
#[derive(Debug, Default)]
pub struct Run {
    ids: Mutex<BTreeMap<String, String>>,
    key: String,
}

impl Run {
    pub fn new(ids: BTreeMap<String, String>, key: impl Into<String>) -> Run {
        Run {
            ids: Mutex::new(ids),
            key: key.into(),
        }
    }

    /// The key of this run: a digest of the plan and the live state it was made against.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The ids known now, by address (held until the guard drops: never across an `await`).
    pub fn ids(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live id of `address`: known from the plan, or made earlier in this run.
    pub fn id_of(&self, address: &Address) -> Result<String, String> {
        id_of(address, &self.ids())
    }

    /// Records the id of what a change created (or found made by a lost earlier try).
    pub fn record(&self, address: &str, id: impl Into<String>) {
        self.ids().insert(address.to_owned(), id.into());
    }
}

/// A call to a live service, boxed so that [`Vendor`] is one shape for every client and can be
/// held as `Arc<dyn Vendor>` (a per-call allocation beside an HTTP request is nothing).
pub type Call<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What every vendor's client does: read the whole live state, carry out one change, and check a
/// plan before its first call. The one shape that `apply/` walks a plan through, and that an
/// in-memory fake can take for unit tests.
pub trait Vendor: Send + Sync + std::fmt::Debug {
    /// The client every call goes through.
    fn http(&self) -> &HttpClient;

    /// Reads every live object, one list per collection.
    fn observe(&self) -> Call<'_, Result<Observed, ProviderError>>;

    /// Carries out one change as one or more calls, reading the ids of what it references from
    /// `run` and recording there the id of what it creates. Returns the object as written,
    /// without secrets the vendor would not show again.
    fn execute<'a>(
        &'a self,
        change: &'a Change,
        run: &'a Run,
    ) -> Call<'a, Result<Value, ProviderError>>;

    /// One live object as the vendor answers it, secrets included (`show` conceals them unless
    /// asked).
    fn get<'a>(&'a self, kind: Kind, id: &'a str) -> Call<'a, Result<Value, ProviderError>>;

    /// Checks a plan before its first call, for what only the whole plan shows (PagerDuty: a
    /// user to create with no `From` address).
    fn preflight(&self, _plan: &crate::plan::Plan) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Whom the service itself says the schedule named `schedule` pages over `[from, to)`, from
    /// its own rendered on-call data (PagerDuty's `final_schedule`): (start, end, email) pieces,
    /// or `None` when it has no schedule of that name (`verify --live`).
    fn rendered<'a>(
        &'a self,
        _schedule: &'a str,
        _from: jiff::Timestamp,
        _to: jiff::Timestamp,
    ) -> Call<'a, Renders> {
        Box::pin(async {
            Err(ProviderError::Cannot(
                "alertform reads no rendered on-call timeline of this provider, so `verify --live` cannot check it".to_owned(),
            ))
        })
    }
}

/// One piece of a vendor's own rendered on-call timeline: from, to, whom (an email).
pub type Rendered = (jiff::Timestamp, jiff::Timestamp, String);

/// What [`Vendor::rendered`] answers: the pieces, or `None` when there is no such schedule.
pub type Renders = Result<Option<Vec<Rendered>>, ProviderError>;

/// Implements [`Vendor`] for a client over its inherent methods of the same names (`http`,
/// `observe`, `get`, `execute`, and with `preflight` that one too): every client is written as
/// plain `async fn`s, and boxed here once.
macro_rules! vendor_client {
    ($client:ty $(, $preflight:ident)? $(; $rendered:ident)?) => {
        /// The client's HTTP connection only (it holds the token, which its `Debug` hides).
        impl std::fmt::Debug for $client {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($client))
                    .field("http", &self.http)
                    .finish_non_exhaustive()
            }
        }

        impl $crate::provider::Vendor for $client {
            fn http(&self) -> &$crate::provider::http::HttpClient {
                &self.http
            }

            fn observe(
                &self,
            ) -> $crate::provider::Call<
                '_,
                Result<$crate::observed::Observed, $crate::provider::ProviderError>,
            > {
                Box::pin(<$client>::observe(self))
            }

            fn get<'a>(
                &'a self,
                kind: $crate::model::Kind,
                id: &'a str,
            ) -> $crate::provider::Call<'a, Result<serde_json::Value, $crate::provider::ProviderError>>
            {
                Box::pin(<$client>::get(self, kind, id))
            }

            fn execute<'a>(
                &'a self,
                change: &'a $crate::plan::Change,
                run: &'a $crate::provider::Run,
            ) -> $crate::provider::Call<'a, Result<serde_json::Value, $crate::provider::ProviderError>>
            {
                Box::pin(async move {
                    <$client>::execute(self, change, run)
                        .await
                        .map_err($crate::provider::ProviderError::Cannot)
                })
            }

            $(
                fn $preflight(
                    &self,
                    plan: &$crate::plan::Plan,
                ) -> Result<(), $crate::provider::ProviderError> {
                    <$client>::$preflight(self, plan).map_err($crate::provider::ProviderError::Cannot)
                }
            )?

            $(
                fn $rendered<'a>(
                    &'a self,
                    schedule: &'a str,
                    from: jiff::Timestamp,
                    to: jiff::Timestamp,
                ) -> $crate::provider::Call<
                    'a,
                    $crate::provider::Renders,
                > {
                    Box::pin(<$client>::$rendered(self, schedule, from, to))
                }
            )?
        }
    };
}
pub(crate) use vendor_client;

/// What a client is made from: the HTTP client for its endpoint, and the connection's settings
/// a vendor may need beside it.
#[derive(Debug, Clone)]
pub struct Connect {
    pub http: HttpClient,
    /// Whether a token was given (a 401 then says so).
    pub has_token: bool,
    /// The person the vendor acts as, where its API wants one on writes (PagerDuty's `From`):
    /// `--from-email`, else the embedded emulation's account owner.
    pub acting_user: Option<String>,
}

/// Where to find what a new integration's senders need, when alertform must not print it.
#[derive(Debug, Clone, Copy)]
pub enum IntegrationEndpoint {
    /// The service answers with where to send (the bundled service): shown after apply.
    Shown,
    /// The vendor's key or URL is a secret: the words say where in the vendor's UI to copy it.
    Secret(&'static str),
    /// The vendor's URL or inbound email embeds a token, shown on the integration's page in the
    /// vendor's UI.
    OnIntegrationPage,
}

/// What `dev generate --provider` writes for a vendor: its org of about N objects, and the
/// layers of the schedules `--schedules` adds, as the vendor can hold them.
#[derive(Debug, Clone, Copy)]
pub struct GenerateProfile {
    pub org: fn(usize) -> crate::generate::Generated,
    pub schedules: crate::generate::Layers,
}

/// Lists the path of every live object (`dev baseline --mode terraform`).
pub type ObjectPaths = fn(&HttpClient) -> Call<'_, Result<Vec<String>, HttpError>>;

/// A vendor's client, declared once in its folder: everything shared code asks of a vendor,
/// so that no code outside the folder and the registry names it.
#[derive(Debug)]
pub struct Descriptor {
    /// Who the vendor really pages, where its engine differs from alertform's timeline
    /// (`oncall --provider`, the plan's warnings); `None`: alertform's timeline under
    /// `capabilities.overlap`.
    pub pages: Option<Pages>,
    pub name: ProviderName,
    /// The vendor's product name, for headers and messages.
    pub display_name: &'static str,
    pub capabilities: &'static Capabilities,
    /// Whether this is alertform's own bundled service rather than a vendor's API.
    pub bundled: bool,
    pub connect: fn(Connect) -> std::sync::Arc<dyn Vendor>,
    /// Where a new integration's endpoint is found.
    pub integration_endpoint: IntegrationEndpoint,
    /// Replaces what holds or embeds a secret in an object [`Vendor::get`] returned with
    /// `(sensitive)`.
    pub conceal: fn(&mut Value),
    /// `dev generate`: the org it writes, or why there is none.
    pub generate: Result<GenerateProfile, &'static str>,
    /// `dev baseline --mode terraform`: the path of every object, as a Terraform provider would
    /// read them one by one, or why there is no such pattern.
    pub terraform_paths: Result<ObjectPaths, &'static str>,
    /// Requests per minute the client keeps to by itself unless `--rate-budget` says otherwise,
    /// for a vendor that announces no budget before it answers 429 (none: the vendor's
    /// rate-limit headers or 429s pace the client).
    pub rate_budget: Option<u32>,
}

/// Fields that hold or embed a secret, in any vendor's objects.
pub const SECRET_FIELDS: &[&str] = &[
    "integration_key",
    "endpoint_url",
    "integration_email",
    "link",
    "inbound_email",
    // Uptinio echoes outbound secrets.
    "webhook_url",
    "password",
    "bot_token",
    "user_token",
];

/// Replaces every field of [`SECRET_FIELDS`], at any depth (OnCall's `heartbeat.link`), with
/// `(sensitive)`: what most vendors' [`Descriptor::conceal`] is.
pub fn conceal_secret_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) && !item.is_null() {
                    *item = Value::from("(sensitive)");
                } else {
                    conceal_secret_fields(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(conceal_secret_fields),
        _ => {}
    }
}

impl Descriptor {
    /// A vendor's API as most are: not bundled, [`SECRET_FIELDS`] concealed, integration
    /// endpoints on the integration's page, no `dev generate` org and no Terraform read pattern
    /// until the vendor says otherwise (`..Descriptor::vendor(…)` after what differs).
    pub const fn vendor(
        name: ProviderName,
        display_name: &'static str,
        capabilities: &'static Capabilities,
        connect: fn(Connect) -> std::sync::Arc<dyn Vendor>,
    ) -> Descriptor {
        Descriptor {
            name,
            display_name,
            capabilities,
            bundled: false,
            connect,
            conceal: conceal_secret_fields,
            integration_endpoint: IntegrationEndpoint::OnIntegrationPage,
            generate: Err("no generator is written for it"),
            terraform_paths: Err("no Terraform provider pattern is written for it"),
            rate_budget: None,
            pages: None,
        }
    }
}

/// Who a vendor really pages for a schedule over `[from, to)`, where that is not alertform's
/// own timeline under the vendor's overlap rule (Grafana OnCall's engine): the shifts it would
/// page, each with the layer it comes from; `None` when the schedule cannot be rendered.
pub type Pages = fn(
    &crate::model::Schedule,
    jiff::Timestamp,
    jiff::Timestamp,
) -> Option<Vec<crate::schedule::Shift>>;

impl GenerateProfile {
    /// A vendor org whose `--schedules` layers are never restricted to windows.
    pub const fn unrestricted(org: fn(usize) -> crate::generate::Generated) -> GenerateProfile {
        GenerateProfile {
            org,
            schedules: crate::generate::Layers::Overlapping,
        }
    }
}

/// A live service, through the client of its vendor.
#[derive(Debug, Clone)]
pub struct Provider {
    descriptor: &'static Descriptor,
    client: std::sync::Arc<dyn Vendor>,
}

impl Provider {
    /// A client for `descriptor`'s vendor at the endpoint `connect.http` points at.
    pub fn new(descriptor: &'static Descriptor, connect: Connect) -> Provider {
        Provider {
            descriptor,
            client: (descriptor.connect)(connect),
        }
    }

    /// A provider over any client: an in-memory fake in unit tests of `apply/`.
    pub fn with_client(
        descriptor: &'static Descriptor,
        client: std::sync::Arc<dyn Vendor>,
    ) -> Provider {
        Provider { descriptor, client }
    }

    pub fn descriptor(&self) -> &'static Descriptor {
        self.descriptor
    }

    pub fn name(&self) -> ProviderName {
        self.descriptor.name
    }

    pub fn capabilities(&self) -> &'static Capabilities {
        self.descriptor.capabilities
    }

    pub fn http(&self) -> &HttpClient {
        self.client.http()
    }

    /// Reads every live object, one list per collection.
    pub async fn observe(&self) -> Result<Observed, ProviderError> {
        self.client.observe().await
    }

    /// Carries out one change (see [`Vendor::execute`]).
    pub async fn execute(&self, change: &Change, run: &Run) -> Result<Value, ProviderError> {
        self.client.execute(change, run).await
    }

    /// One live object, secrets included (see [`Vendor::get`]).
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Value, ProviderError> {
        self.client.get(kind, id).await
    }

    /// See [`Vendor::rendered`].
    pub async fn rendered(&self, schedule: &str, from: Timestamp, to: Timestamp) -> Renders {
        self.client.rendered(schedule, from, to).await
    }

    /// Checks a plan before its first call (see [`Vendor::preflight`]).
    pub fn preflight(&self, plan: &crate::plan::Plan) -> Result<(), ProviderError> {
        self.client.preflight(plan)
    }
}
