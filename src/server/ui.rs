//! `GET /ui/`: who is on call, as a page, for the schedules the bundled service holds (the page
//! `alertform oncall --format html` draws, over the coming two weeks), and the last alerts it
//! received with whom each one woke. Read-only and without a token, like `/metrics`: it holds
//! names, never a secret or an alert's payload (bind `serve` to a private address).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::App;
use super::error::ApiError;
use crate::api::{Routing, ScheduleInput, UserInput};
use crate::schedule::Rota;
use crate::schedule::render::Answer;

/// How many of the latest alerts the page lists.
const ALERTS: u32 = 50;

/// Every stored object of `kind`: (id, body).
fn all(tx: &rusqlite::Transaction, kind: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut statement = tx
        .prepare_cached("SELECT id, body FROM objects WHERE kind = ?1 ORDER BY id")
        .map_err(ApiError::from_sqlite)?;
    let rows = statement
        .query_map([kind], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(ApiError::from_sqlite)?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::from_sqlite)
}

pub async fn page(State(app): State<App>) -> Result<Response, ApiError> {
    let (schedules, users, integrations, alerts) = app
        .read(|tx| {
            let mut alerts = Vec::new();
            let mut statement = tx
                .prepare_cached(
                    "SELECT integration_id, received_at, routing FROM alerts ORDER BY seq DESC LIMIT ?1",
                )
                .map_err(ApiError::from_sqlite)?;
            let rows = statement
                .query_map([ALERTS], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })
                .map_err(ApiError::from_sqlite)?;
            for row in rows {
                alerts.push(row.map_err(ApiError::from_sqlite)?);
            }
            Ok((
                all(tx, "schedule")?,
                all(tx, "user")?,
                all(tx, "integration")?,
                alerts,
            ))
        })
        .await?;
    // Users by id, as the model's (the page names people).
    let people: BTreeMap<String, crate::model::User> = users
        .iter()
        .filter_map(|(id, body)| {
            let user: UserInput = serde_json::from_str(body).ok()?;
            Some((
                id.clone(),
                crate::model::User {
                    name: user.name,
                    email: user.email,
                    phone: None,
                    role: crate::model::Role::Responder,
                    time_zone: None,
                    lifecycle: crate::model::Lifecycle::default(),
                },
            ))
        })
        .collect();
    let models: Vec<(String, crate::model::Schedule)> = schedules
        .iter()
        .filter_map(|(id, body)| {
            let stored: ScheduleInput = serde_json::from_str(body).ok()?;
            Some((id.clone(), super::alerts::model_of(&stored)?))
        })
        .collect();
    let now = jiff::Timestamp::now();
    let (from, to) = (now, now + jiff::SignedDuration::from_hours(24 * 14));
    let answers: Vec<Answer<'_>> = models
        .iter()
        .filter_map(|(id, schedule)| {
            let rota = Rota::new(schedule)?;
            let shifts = rota.shifts(from, to);
            let current = shifts
                .iter()
                .filter(|s| s.start <= now && now < s.end)
                .cloned()
                .collect();
            Some(Answer {
                key: id,
                rota,
                shifts,
                current,
                at: now,
                rule: None,
                users: &people,
            })
        })
        .collect();
    let mut html = crate::schedule::render::html(&answers, from, to, now);
    if answers.is_empty() {
        html = html.replace(
            "</body>",
            "<p class=\"empty\">The service holds no schedule yet.</p>\n</body>",
        );
    }
    let names: BTreeMap<&str, String> = integrations
        .iter()
        .filter_map(|(id, body)| {
            let value: serde_json::Value = serde_json::from_str(body).ok()?;
            Some((id.as_str(), value["name"].as_str()?.to_owned()))
        })
        .collect();
    let who = |id: &str| {
        people
            .get(id)
            .map_or_else(|| id.to_owned(), |u| u.name.clone())
    };
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut section = String::from("<section class=\"alerts\">\n<h2>Latest alerts</h2>\n");
    if alerts.is_empty() {
        section.push_str("<p>No alert has arrived yet.</p>\n");
    } else {
        section.push_str("<table><tr><th>received</th><th>integration</th><th>woke</th></tr>\n");
        for (integration, received, routing) in &alerts {
            let woke = serde_json::from_str::<Routing>(routing)
                .map(|r| {
                    r.notified_user_ids
                        .iter()
                        .map(|u| who(u))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let _ = writeln!(
                section,
                "<tr class=\"alert\" data-integration=\"{}\" data-received=\"{}\"><td>{}</td><td>{}</td><td class=\"woke\">{}</td></tr>",
                escape(integration),
                escape(received),
                escape(received),
                escape(
                    names
                        .get(integration.as_str())
                        .map_or(integration.as_str(), String::as_str)
                ),
                escape(if woke.is_empty() { "nobody" } else { &woke })
            );
        }
        section.push_str("</table>\n");
    }
    section.push_str("</section>\n</body>");
    Ok(Html(html.replace("</body>", &section)).into_response())
}
