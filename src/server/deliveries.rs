//! Delivering alerts to outbound webhook targets, so the local service is a working alert
//! pipeline end to end: each step that names a webhook POSTs the alert to it when the step runs,
//! with a timeout and bounded, backed-off retries, every attempt recorded on the alert.
//!
//! The only HTTP client in `server/`: delivering is what the service does, not a provider's
//! reading of live state. Deliveries are rows in the store, due at a time; a worker sends the due
//! ones, so a delivery pending when the service stops is sent after it starts again.

use std::time::Duration;

use rusqlite::{Transaction, params};

use super::App;
use super::error::ApiError;
use super::resources::{new_id, now};
use crate::api::{Delivery, OutboundInput, Routing};
use crate::model::OutboundType;

/// Attempts per delivery before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 5;
/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The first retry's wait; each later one doubles it.
const FIRST_BACKOFF_MS: i64 = 500;
/// How often the worker looks for due deliveries.
const POLL: Duration = Duration::from_millis(100);
/// Deliveries sent at once.
const BATCH: i64 = 16;

fn millis_now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Records the deliveries an alert's routing calls for: one per webhook target of each step, due
/// when the step runs (`received` plus the delays before it). Other outbound types are recorded as
/// `not_sent`: the local service sends no mail, texts or SSH commands.
pub fn schedule(
    tx: &Transaction,
    alert_id: &str,
    routing: &Routing,
    received_ms: i64,
) -> Result<(), ApiError> {
    let mut waited: i64 = 0;
    for step in &routing.steps {
        waited += i64::from(step.delay_minutes) * 60_000;
        for outbound_id in &step.outbound_ids {
            let row = super::resources::load(tx, crate::model::Kind::Outbound, outbound_id)?;
            let target: OutboundInput =
                serde_json::from_str(&row.body).map_err(|e| ApiError::internal(e.to_string()))?;
            let kind = target.kind.unwrap_or(OutboundType::Webhook);
            let (status, error) = if kind == OutboundType::Webhook {
                ("pending", None)
            } else {
                (
                    "not_sent",
                    Some(format!(
                        "the local service delivers webhooks only; {} {kind} target is recorded, not sent",
                        crate::words::article(kind.as_str())
                    )),
                )
            };
            tx.execute(
                "INSERT INTO deliveries (id, alert_id, outbound_id, outbound_name, status, attempts, next_attempt_at, last_error, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8)",
                params![
                    new_id("dlv"),
                    alert_id,
                    outbound_id,
                    target.name,
                    status,
                    received_ms + waited,
                    error,
                    now()
                ],
            )
            .map_err(ApiError::from_sqlite)?;
        }
    }
    Ok(())
}

/// The deliveries of an alert, in the order they were recorded.
pub fn of_alert(tx: &Transaction, alert_id: &str) -> Result<Vec<Delivery>, ApiError> {
    let mut statement = tx
        .prepare_cached(
            "SELECT outbound_id, outbound_name, status, attempts, last_status, last_error, updated_at
             FROM deliveries WHERE alert_id = ?1 ORDER BY seq",
        )
        .map_err(ApiError::from_sqlite)?;
    let rows = statement
        .query_map(params![alert_id], |r| {
            Ok(Delivery {
                outbound_id: r.get(0)?,
                outbound_name: r.get(1)?,
                status: r.get(2)?,
                attempts: r.get(3)?,
                last_status: r.get(4)?,
                last_error: r.get(5)?,
                updated_at: r.get(6)?,
            })
        })
        .map_err(ApiError::from_sqlite)?;
    rows.collect::<Result<_, _>>()
        .map_err(ApiError::from_sqlite)
}

/// A due delivery, leased to this worker: what to send where.
struct Due {
    id: String,
    attempts: u32,
    /// `None` when the target is gone or is no longer a webhook.
    url: Option<String>,
    body: serde_json::Value,
}

/// Sends due deliveries until the service stops.
pub async fn run(app: App) {
    // Made at the first delivery: loading the system's certificates costs every start otherwise.
    let mut client: Option<reqwest::Client> = None;
    loop {
        // A read first, so an idle service never takes the write lock from its clients.
        let any_due = app
            .read(|tx| {
                tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1)",
                    params![millis_now()],
                    |r| r.get::<_, bool>(0),
                )
                .map_err(ApiError::from_sqlite)
            })
            .await;
        if matches!(any_due, Ok(false)) {
            tokio::time::sleep(POLL).await;
            continue;
        }
        let leased = {
            let app = app.clone();
            app.clone().write(move |tx| lease(&app, tx)).await
        };
        match leased {
            Ok(due) if !due.is_empty() => {
                let client = match &client {
                    Some(client) => client.clone(),
                    None => match http_client() {
                        Ok(made) => client.insert(made).clone(),
                        Err(err) => {
                            tracing::error!(%err, "webhook deliveries wait: no HTTP client");
                            tokio::time::sleep(POLL * 50).await;
                            continue;
                        }
                    },
                };
                let mut sending = tokio::task::JoinSet::new();
                for delivery in due {
                    let (app, client) = (app.clone(), client.clone());
                    sending.spawn(async move { send(&app, &client, delivery).await });
                }
                while sending.join_next().await.is_some() {}
            }
            Ok(_) => tokio::time::sleep(POLL).await,
            Err(err) => {
                tracing::warn!(error = %err.message, "cannot read due deliveries");
                tokio::time::sleep(POLL * 10).await;
            }
        }
    }
}

/// The client deliveries are sent with: no redirects (a receiver answers itself), a timeout.
fn http_client() -> reqwest::Result<reqwest::Client> {
    // reqwest is built without a default crypto provider; ring avoids aws-lc's C build.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("alertform/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Takes up to [`BATCH`] due deliveries, moving each one's due time past the attempt's timeout,
/// so a worker that dies mid-attempt leaves it to be sent again.
fn lease(app: &App, tx: &Transaction) -> Result<Vec<Due>, ApiError> {
    let now_ms = millis_now();
    let mut statement = tx
        .prepare_cached(
            "SELECT d.id, d.attempts, d.outbound_id, a.id, a.integration_id, a.kind, a.received_at, a.payload
             FROM deliveries d JOIN alerts a ON a.id = d.alert_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 ORDER BY d.next_attempt_at LIMIT ?2",
        )
        .map_err(ApiError::from_sqlite)?;
    // (delivery id, attempts so far, target id, the body to send)
    let rows: Vec<(String, u32, String, serde_json::Value)> = statement
        .query_map(params![now_ms, BATCH], |r| {
            let id: String = r.get(0)?;
            let payload: String = r.get(7)?;
            let body = serde_json::json!({
                "delivery_id": id,
                "alert_id": r.get::<_, String>(3)?,
                "integration_id": r.get::<_, String>(4)?,
                "kind": r.get::<_, String>(5)?,
                "received_at": r.get::<_, String>(6)?,
                "payload": serde_json::from_str::<serde_json::Value>(&payload)
                    .unwrap_or(serde_json::Value::Null),
            });
            Ok((id, r.get(1)?, r.get(2)?, body))
        })
        .map_err(ApiError::from_sqlite)?
        .collect::<Result<_, _>>()
        .map_err(ApiError::from_sqlite)?;
    let lease_until = now_ms + i64::try_from(TIMEOUT.as_millis()).unwrap_or(i64::MAX) + 5_000;
    let mut due = Vec::with_capacity(rows.len());
    for (id, attempts, outbound_id, body) in rows {
        tx.execute(
            "UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1",
            params![id, lease_until],
        )
        .map_err(ApiError::from_sqlite)?;
        let url = webhook_url(app, tx, &outbound_id)?;
        due.push(Due {
            id,
            attempts,
            url,
            body,
        });
    }
    Ok(due)
}

/// The URL of webhook target `id`, unsealed; `None` when it is gone or not a webhook.
fn webhook_url(app: &App, tx: &Transaction, id: &str) -> Result<Option<String>, ApiError> {
    let Ok(row) = super::resources::load(tx, crate::model::Kind::Outbound, id) else {
        return Ok(None);
    };
    let target: OutboundInput =
        serde_json::from_str(&row.body).map_err(|e| ApiError::internal(e.to_string()))?;
    match (target.kind, target.settings.url) {
        (Some(OutboundType::Webhook), Some(sealed)) => {
            super::auth::unseal(&app.secret, &sealed).map(Some)
        }
        _ => Ok(None),
    }
}

/// One attempt, and its outcome recorded: delivered on a 2xx answer; otherwise retried after
/// a doubling wait, or failed once [`MAX_ATTEMPTS`] are used. Errors never quote the URL.
async fn send(app: &App, client: &reqwest::Client, due: Due) {
    let attempts = due.attempts + 1;
    let outcome: Result<u16, (Option<u16>, String)> = match &due.url {
        None => Err((
            None,
            "the outbound target is gone or no longer a webhook".to_owned(),
        )),
        Some(url) => {
            let reply = client
                .post(url)
                .header("x-alertform-delivery", &due.id)
                .header("x-alertform-attempt", attempts.to_string())
                .json(&due.body)
                .send()
                .await;
            match reply {
                Ok(reply) if reply.status().is_success() => Ok(reply.status().as_u16()),
                Ok(reply) => Err((
                    Some(reply.status().as_u16()),
                    format!("the receiver answered {}", reply.status()),
                )),
                Err(err) => Err((None, describe(&err))),
            }
        }
    };
    let gone = due.url.is_none();
    let id = due.id.clone();
    let recorded = app
        .write(move |tx| {
            let (status, last_status, last_error, next) = match outcome {
                Ok(code) => ("delivered", Some(code), None, 0),
                Err((code, why)) => {
                    let failed = gone || attempts >= MAX_ATTEMPTS;
                    let wait = FIRST_BACKOFF_MS << (attempts - 1).min(10);
                    (
                        if failed { "failed" } else { "pending" },
                        code,
                        Some(why),
                        millis_now() + wait,
                    )
                }
            };
            tx.execute(
                "UPDATE deliveries SET status = ?2, attempts = ?3, last_status = ?4, last_error = ?5, next_attempt_at = ?6, updated_at = ?7 WHERE id = ?1",
                params![id, status, attempts, last_status, last_error, next, now()],
            )
            .map_err(ApiError::from_sqlite)?;
            Ok(status)
        })
        .await;
    match recorded {
        Ok(status) => tracing::debug!(delivery = %due.id, attempts, status, "webhook delivery"),
        Err(err) => {
            tracing::warn!(delivery = %due.id, error = %err.message, "cannot record a delivery; it is sent again");
        }
    }
}

/// What went wrong with a request, without its URL (it may carry a token).
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if err.is_connect() {
        "cannot connect to the receiver".to_owned()
    } else {
        "the request failed before an answer".to_owned()
    }
}
