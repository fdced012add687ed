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
use crate::api::{
    Accepted, Alert, EscalationPolicyInput, IntegrationInput, OnCallAt, RoutedStep, Routing,
    ScheduleInput,
};
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
            let received = jiff::Timestamp::now();
            let routing = route(tx, &integration, received)?;
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
            super::deliveries::schedule(tx, &id, &routing, received.as_millisecond())?;
            Ok((id, routing))
        })
        .await?;
    let (id, routing) = id;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Accepted {
            id,
            status: "accepted".to_owned(),
            routing: Some(routing),
        }),
    )
        .into_response())
}

/// Who `schedule` has on call at `at`: its rotation maths over its stored form (member ids stand
/// in for addresses).
fn on_call(schedule: &ScheduleInput, at: jiff::Timestamp) -> Option<String> {
    crate::schedule::Rota::new(&model_of(schedule)?)?
        .on_call(at)
        .map(|shift| shift.user.key)
}

/// A stored schedule as the model's, its members' ids standing as their keys.
pub(super) fn model_of(schedule: &ScheduleInput) -> Option<crate::model::Schedule> {
    use crate::model::{Address, Kind, Layer, Lifecycle, Schedule};
    Some(Schedule {
        name: schedule.name.clone(),
        time_zone: schedule.time_zone.clone(),
        layers: schedule
            .layers
            .iter()
            .map(|l| {
                let (start, rotation, restrict) = l.timing()?;
                Some(Layer {
                    name: l.name.clone(),
                    start,
                    rotation,
                    members: l
                        .member_user_ids
                        .iter()
                        .map(|id| Address::new(Kind::User, id))
                        .collect(),
                    restrict,
                })
            })
            .collect::<Option<Vec<_>>>()?,
        lifecycle: Lifecycle::default(),
    })
}

/// Who an alert of `integration` that arrives at `now` reaches: each policy step (groups, nested
/// ones too, expanded to users; schedules to whoever is on call when the step runs) and the
/// additive recipients.
fn route(
    tx: &Transaction,
    integration: &IntegrationInput,
    now: jiff::Timestamp,
) -> Result<Routing, ApiError> {
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
    let mut steps: Vec<RoutedStep> = Vec::with_capacity(policy.steps.len());
    let mut waited = 0;
    for s in &policy.steps {
        waited += i64::from(s.delay_minutes);
        let at = now
            .checked_add(jiff::SignedDuration::from_mins(waited))
            .unwrap_or(now);
        let mut user_ids = expand(&s.notify_user_ids, &s.notify_group_ids);
        let mut on_call_at = Vec::new();
        for schedule_id in &s.notify_schedule_ids {
            let row = load(tx, Kind::Schedule, schedule_id)?;
            let schedule: ScheduleInput =
                serde_json::from_str(&row.body).map_err(|e| ApiError::internal(e.to_string()))?;
            let user_id = on_call(&schedule, at);
            if let Some(user) = &user_id
                && !user_ids.contains(user)
            {
                user_ids.push(user.clone());
            }
            on_call_at.push(OnCallAt {
                schedule_id: schedule_id.clone(),
                schedule_name: schedule.name,
                at: at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                user_id,
            });
        }
        steps.push(RoutedStep {
            delay_minutes: s.delay_minutes,
            user_ids,
            on_call: on_call_at,
            outbound_ids: s.notify_outbound_ids.clone(),
        });
    }
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

/// How many of an integration's latest alerts to list (other parameters are ignored).
#[derive(Debug, serde::Deserialize)]
pub struct AlertsPage {
    limit: Option<String>,
}

pub async fn list(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(page): Query<AlertsPage>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.caller(&headers)?.require(Permission::Read)?;
    let limit: u32 = match page.limit {
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
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(ApiError::from_sqlite)?;
            let mut alerts = Vec::new();
            for row in rows {
                let (id, kind, received_at, payload, routing): (String, String, String, String, String) =
                    row.map_err(ApiError::from_sqlite)?;
                alerts.push(Alert {
                    deliveries: super::deliveries::of_alert(tx, &id)?,
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

/// One piece of who a schedule pages: a user from `start` to `end`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct OnCallPiece {
    pub start: String,
    pub end: String,
    pub user_id: String,
    pub email: String,
}

/// `GET /api/v1/schedules/{id}/oncall?since&until`: whom the schedule pages over the window
/// (default: the next 7 days; at most 366), as the service pages it (the last layer with
/// someone on call wins): the service's own rendering, which `verify --live` reads.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct OnCall {
    pub schedule_id: String,
    pub since: String,
    pub until: String,
    pub results: Vec<OnCallPiece>,
}

/// The longest window `GET /api/v1/schedules/{id}/oncall` renders, in days.
pub const MAX_ONCALL_DAYS: i64 = 366;

/// The window `GET /api/v1/schedules/{id}/oncall` renders (other parameters are ignored).
#[derive(Debug, serde::Deserialize)]
pub struct OnCallWindow {
    since: Option<String>,
    until: Option<String>,
}

pub async fn oncall(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(OnCallWindow { since, until }): Query<OnCallWindow>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.caller(&headers)?.require(Permission::Read)?;
    let time = |field: &str, given: &Option<String>| -> Result<Option<jiff::Timestamp>, ApiError> {
        given
            .as_ref()
            .map(|text| {
                text.parse::<jiff::Timestamp>().map_err(|_| {
                    ApiError::invalid(format!(
                        "`{field}` must be an RFC 3339 time such as 2027-03-01T00:00:00Z, not `{text}`"
                    ))
                })
            })
            .transpose()
    };
    let since = time("since", &since)?.unwrap_or_else(jiff::Timestamp::now);
    let until = time("until", &until)?.unwrap_or(since + jiff::SignedDuration::from_hours(24 * 7));
    if until <= since {
        return Err(ApiError::invalid("`until` must be after `since`"));
    }
    if until.duration_since(since) > jiff::SignedDuration::from_hours(24 * MAX_ONCALL_DAYS) {
        return Err(ApiError::invalid(format!(
            "the window is longer than {MAX_ONCALL_DAYS} days: ask for less"
        )));
    }
    let (schedule, emails) = app
        .read(move |tx| {
            let row = load(tx, Kind::Schedule, &id)?;
            let stored: ScheduleInput =
                serde_json::from_str(&row.body).map_err(|e| ApiError::internal(e.to_string()))?;
            let mut emails = HashMap::new();
            let members: HashSet<&String> = stored
                .layers
                .iter()
                .flat_map(|l| &l.member_user_ids)
                .collect();
            // Each member read once, however many layers hold them.
            for user in members {
                if let Ok(row) = load(tx, Kind::User, user) {
                    let body: crate::api::UserInput = serde_json::from_str(&row.body)
                        .map_err(|e| ApiError::internal(e.to_string()))?;
                    emails.insert(user.clone(), body.email.to_lowercase());
                }
            }
            Ok(((row.id, stored), emails))
        })
        .await?;
    let (schedule_id, stored) = schedule;
    let results = model_of(&stored)
        .as_ref()
        .and_then(crate::schedule::Rota::new)
        .map(|rota| rota.paged(since, until, crate::model::Overlap::LastLayerWins))
        .unwrap_or_default()
        .into_iter()
        .map(|shift| OnCallPiece {
            start: shift.start.to_string(),
            end: shift.end.to_string(),
            email: emails.get(&shift.user.key).cloned().unwrap_or_default(),
            user_id: shift.user.key,
        })
        .collect();
    Ok(axum::Json(OnCall {
        schedule_id,
        since: since.to_string(),
        until: until.to_string(),
        results,
    })
    .into_response())
}
