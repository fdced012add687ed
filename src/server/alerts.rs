//! Alerts and heartbeats arriving at an integration's endpoint, stored with the routing they would
//! follow, so a user can see who gets paged before trusting the setup.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{OptionalExtension, Transaction, params};

use super::App;
use super::auth::{Permission, sha256_hex};
use super::error::ApiError;
use super::resources::{all_groups, load, new_id, now};
use crate::api::{Accepted, Alert, EscalationPolicyInput, IntegrationInput, RoutedStep, Routing};
use crate::model::{Channel, Kind};

pub async fn receive_alert(
    State(app): State<App>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let payload: serde_json::Value = if body.is_empty() {
        return Err(ApiError::malformed("send the alert as a JSON body"));
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))?
    };
    receive(app, key, "alert", payload).await
}

pub async fn receive_heartbeat(
    State(app): State<App>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let payload = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))?
    };
    receive(app, key, "heartbeat", payload).await
}

async fn receive(
    app: App,
    key: String,
    kind: &'static str,
    payload: serde_json::Value,
) -> Result<Response, ApiError> {
    let digest = sha256_hex(key.as_bytes());
    let id = app
        .write(move |tx| {
            let integration_id: Option<String> = tx
                .query_row("SELECT id FROM objects WHERE key_digest = ?1", params![digest], |r| r.get(0))
                .optional()
                .map_err(ApiError::from_sqlite)?;
            let integration_id = integration_id.ok_or_else(|| ApiError::not_found("no integration has this key"))?;
            let row = load(tx, Kind::Integration, &integration_id)?;
            let integration: IntegrationInput = serde_json::from_str(&row.body).map_err(|e| ApiError::internal(e.to_string()))?;
            let expected = if kind == "heartbeat" { Channel::Heartbeat } else { Channel::Api };
            if integration.channel != Some(expected) {
                return Err(ApiError::not_found(format!("no {kind} endpoint has this key")));
            }
            if integration.enabled == Some(false) {
                return Err(ApiError::conflict(format!("integration `{integration_id}` is disabled")));
            }
            let routing = route(tx, &integration)?;
            let id = new_id("alr");
            tx.execute(
                "INSERT INTO alerts (id, integration_id, kind, received_at, payload, routing) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    integration_id,
                    kind,
                    now(),
                    payload.to_string(),
                    serde_json::to_string(&routing).expect("routing serialises")
                ],
            )
            .map_err(ApiError::from_sqlite)?;
            Ok(id)
        })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Accepted {
            id,
            status: "accepted".to_owned(),
        }),
    )
        .into_response())
}

/// Who an alert of `integration` reaches now: each policy step and the additive recipients, with
/// groups (nested ones too) expanded to users.
fn route(tx: &Transaction, integration: &IntegrationInput) -> Result<Routing, ApiError> {
    let policy_row = load(
        tx,
        Kind::EscalationPolicy,
        &integration.escalation_policy_id,
    )?;
    let policy: EscalationPolicyInput =
        serde_json::from_str(&policy_row.body).map_err(|e| ApiError::internal(e.to_string()))?;
    let groups = all_groups(tx)?;
    let expand = |user_ids: &[String], group_ids: &[String]| -> Vec<String> {
        let mut users: Vec<String> = Vec::new();
        let mut seen_groups = HashSet::new();
        let mut stack: Vec<&String> = group_ids.iter().collect();
        for u in user_ids {
            if !users.contains(u) {
                users.push(u.clone());
            }
        }
        while let Some(g) = stack.pop() {
            if !seen_groups.insert(g.clone()) {
                continue;
            }
            if let Some(group) = groups.get(g) {
                for u in &group.member_user_ids {
                    if !users.contains(u) {
                        users.push(u.clone());
                    }
                }
                stack.extend(group.member_group_ids.iter());
            }
        }
        users
    };
    let steps: Vec<RoutedStep> = policy
        .steps
        .iter()
        .map(|s| RoutedStep {
            delay_minutes: s.delay_minutes,
            user_ids: expand(&s.notify_user_ids, &s.notify_group_ids),
        })
        .collect();
    let recipient_user_ids = expand(
        &integration.recipient_user_ids,
        &integration.recipient_group_ids,
    );
    let mut notified_user_ids: Vec<String> = Vec::new();
    for u in recipient_user_ids
        .iter()
        .chain(steps.iter().flat_map(|s| s.user_ids.iter()))
    {
        if !notified_user_ids.contains(u) {
            notified_user_ids.push(u.clone());
        }
    }
    Ok(Routing {
        escalation_policy_id: policy_row.id,
        escalation_policy_name: policy.name,
        steps,
        recipient_user_ids,
        notified_user_ids,
    })
}

pub async fn list(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.caller(&headers)?.require(Permission::Read)?;
    let limit: u32 = match query.get("limit") {
        None => 50,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::invalid("`limit` must be between 1 and 1000"))?,
    };
    let alerts = app
        .read(move |tx| {
            load(tx, Kind::Integration, &id)?;
            let mut statement = tx
                .prepare_cached(
                    "SELECT id, kind, received_at, payload, routing FROM alerts WHERE integration_id = ?1 ORDER BY seq DESC LIMIT ?2",
                )
                .map_err(ApiError::from_sqlite)?;
            let rows = statement
                .query_map(params![id, limit], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .map_err(ApiError::from_sqlite)?;
            let mut alerts = Vec::new();
            for row in rows {
                let (id, kind, received_at, payload, routing) = row.map_err(ApiError::from_sqlite)?;
                alerts.push(Alert {
                    id,
                    kind,
                    received_at,
                    payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                    routing: serde_json::from_str(&routing).map_err(|e| ApiError::internal(e.to_string()))?,
                });
            }
            Ok(alerts)
        })
        .await?;
    Ok(axum::Json(serde_json::json!({ "results": alerts })).into_response())
}
