//! Grafana OnCall's rules over the emulation's store, apart from the wire (moto's `models.py`
//! beside `responses.py`): names unique per team, references that must exist, what a delete takes
//! with it, and what Grafana's user sync writes. Unit-tested without HTTP; the handlers in
//! `mod.rs` translate paths, bodies and Django REST framework's errors.

use crate::json::Items;
use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use rusqlite::Transaction;
use serde_json::{Map, Value, json};

use super::{
    CHAINS, Drf, INTEGRATIONS, SCHEDULES, SHIFTS, STEPS, TEAMS, USERS, empty_templates, public_key,
};
use crate::server::auth;
use crate::server::error::ApiError;
use crate::server::vendor::Collection;

/// Deletes a chain and its steps. Integrations routed to it keep their route, which now pages
/// nobody (`escalation_chain_id` reads `null`): what the real engine does.
pub fn delete_chain(tx: &Transaction, id: &str) -> Result<(), Drf> {
    if !CHAINS.delete(tx, id)? {
        return Err(Drf::not_found());
    }
    for step in STEPS.all(tx, Some(id))? {
        STEPS.delete(tx, step["id"].as_str().unwrap_or_default())?;
    }
    for mut integration in INTEGRATIONS.all(tx, None)? {
        if integration["default_route"]["escalation_chain_id"] == id {
            integration["default_route"]["escalation_chain_id"] = Value::Null;
            let name = integration["name"].as_str().unwrap_or_default().to_owned();
            INTEGRATIONS.put(tx, &integration, &name, 0)?;
        }
    }
    Ok(())
}

/// Deletes a schedule and its shifts; steps that paged it keep their place and page nobody
/// (`notify_on_call_from_schedule` reads `null`).
pub fn delete_schedule(tx: &Transaction, id: &str) -> Result<(), Drf> {
    let schedule = SCHEDULES.get(tx, id)?.ok_or_else(Drf::not_found)?;
    for shift in schedule["shifts"].items() {
        SHIFTS.delete(tx, shift.as_str().unwrap_or_default())?;
    }
    SCHEDULES.delete(tx, id)?;
    for mut step in STEPS.all(tx, None)? {
        if step["notify_on_call_from_schedule"] == id {
            step["notify_on_call_from_schedule"] = Value::Null;
            let chain = step["escalation_chain_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let rank = step["position"].as_i64().unwrap_or(0);
            STEPS.put(tx, &step, &chain, rank)?;
        }
    }
    Ok(())
}

pub fn team_id(tx: &Transaction, body: &Map<String, Value>) -> Result<Value, Drf> {
    match body.get("team_id") {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(id)) if TEAMS.get(tx, id)?.is_some() => Ok(json!(id)),
        Some(_) => Err(Drf::field("team_id", "Object does not exist")),
    }
}

/// Whether another object of `collection` than `except` has `name` in `team` (OnCall's names
/// are unique per team).
fn name_taken(
    collection: &Collection,
    tx: &Transaction,
    (name, team): (&str, &Value),
    except: &str,
) -> Result<bool, Drf> {
    let same = collection.all(tx, Some(name))?;
    Ok(same
        .iter()
        .any(|o| o["team_id"] == *team && o["id"] != except))
}

pub fn unique_chain_name(tx: &Transaction, named: (&str, &Value), except: &str) -> Result<(), Drf> {
    if name_taken(&CHAINS, tx, named, except)? {
        return Err(Drf::field(
            "non_field_errors",
            "The fields name, team_id must make a unique set.",
        ));
    }
    Ok(())
}

pub fn unique_integration_name(
    tx: &Transaction,
    named: (&str, &Value),
    except: &str,
) -> Result<(), Drf> {
    if name_taken(&INTEGRATIONS, tx, named, except)? {
        let why = "An integration with this name already exists for this team";
        return Err(Drf::bad_request(why));
    }
    Ok(())
}

/// Applies a `default_route` body to the stored route (only the chain is emulated).
pub fn merge_route(tx: &Transaction, route: &mut Value, given: &Value) -> Result<(), Drf> {
    let Some(given) = given.as_object() else {
        return Err(Drf::field("default_route", "Invalid data."));
    };
    if let Some(chain) = given.get("escalation_chain_id") {
        match chain {
            Value::Null => route["escalation_chain_id"] = Value::Null,
            Value::String(id) if CHAINS.get(tx, id)?.is_some() => {
                route["escalation_chain_id"] = json!(id);
            }
            _ => {
                return Err(Drf {
                    status: StatusCode::BAD_REQUEST,
                    body: json!({"default_route": {"escalation_chain_id": ["Object does not exist"]}}),
                });
            }
        }
    }
    Ok(())
}

// ---- the Grafana side: users and teams ----

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaTeam {
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaUser {
    pub email: String,
    pub username: String,
    /// `admin`, `editor`, `viewer` or `none`; default `editor`.
    pub role: Option<String>,
    pub timezone: Option<String>,
    /// Team names.
    #[serde(default)]
    pub teams: Vec<String>,
}

/// What Grafana would sync into OnCall: teams by name, users by email (with their login, role and
/// team names). Upserts, like Grafana's sync; nothing is removed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrafanaOrg {
    pub teams: Vec<GrafanaTeam>,
    pub users: Vec<GrafanaUser>,
}

/// Syncs `org` into the store; returns (users, teams) written.
pub fn sync_org(tx: &Transaction, org: &GrafanaOrg) -> Result<(usize, usize), ApiError> {
    let mut team_ids: HashMap<String, String> = HashMap::new();
    for team in TEAMS.all(tx, None)? {
        team_ids.insert(
            team["name"].as_str().unwrap_or_default().to_owned(),
            team["id"].as_str().unwrap_or_default().to_owned(),
        );
    }
    let mut next_grafana_id = TEAMS.count(tx, None)? + 1;
    for team in &org.teams {
        if team_ids.contains_key(&team.name) {
            continue;
        }
        let id = public_key("T");
        let body = json!({
            "id": id, "grafana_id": next_grafana_id, "name": team.name,
            "email": team.email, "avatar_url": format!("/avatar/{next_grafana_id}"),
        });
        next_grafana_id += 1;
        TEAMS.put(tx, &body, &team.name, 0)?;
        // The engine makes one direct-paging integration per team (it cannot be created or
        // deleted through the API), so lists hold integrations nobody declared.
        let paging = json!({
            "id": public_key("C"), "name": format!("Direct paging ({})", team.name),
            "description_short": null, "team_id": id, "type": "direct_paging",
            "default_route": {
                "id": public_key("R"), "escalation_chain_id": null,
                "slack": {"channel_id": null, "enabled": true},
                "telegram": {"id": null, "enabled": false},
            },
            "templates": empty_templates(), "heartbeat": null, "maintenance_mode": null,
            "maintenance_started_at": null, "maintenance_end_at": null,
            "nonce": auth::random_hex(16),
        });
        let paging_name = paging["name"].as_str().unwrap_or_default().to_owned();
        INTEGRATIONS.put(tx, &paging, &paging_name, 0)?;
        team_ids.insert(team.name.clone(), id);
    }
    let mut next_user_id = USERS.count(tx, None)? + 1;
    for user in &org.users {
        let email = user.email.to_lowercase();
        let existing = USERS.all(tx, Some(&email))?.into_iter().next();
        let role = user.role.clone().unwrap_or_else(|| "editor".to_owned());
        if !["admin", "editor", "viewer", "none"].contains(&role.as_str()) {
            return Err(ApiError::invalid(format!(
                "user `{}`: role must be admin, editor, viewer or none",
                user.email
            )));
        }
        let mut teams = BTreeSet::new();
        for name in &user.teams {
            let id = team_ids.get(name).ok_or_else(|| {
                ApiError::invalid(format!("user `{}`: no team `{name}`", user.email))
            })?;
            teams.insert(id.clone());
        }
        let (id, grafana_id) = if let Some(u) = &existing {
            (u["id"].clone(), u["grafana_id"].clone())
        } else {
            next_user_id += 1;
            (json!(public_key("U")), json!(next_user_id - 1))
        };
        let body = json!({
            "id": id, "grafana_id": grafana_id, "email": user.email, "slack": null,
            "username": user.username, "role": role, "is_phone_number_verified": false,
            "timezone": user.timezone, "teams": teams,
        });
        USERS.put(tx, &body, &email, 0)?;
    }
    Ok((org.users.len(), org.teams.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::Store;

    /// A store with one team, a chain with a step paging a schedule, an integration routed to
    /// the chain, and the schedule with one shift.
    fn org() -> (tempfile::TempDir, Store) {
        let (dir, store) = Store::temporary();
        store
            .write(|tx| {
                sync_org(
                    tx,
                    &serde_json::from_value(json!({
                        "teams": [{"name": "SRE"}],
                        "users": [{"email": "a@example.com", "username": "a", "teams": ["SRE"]}],
                    }))
                    .unwrap(),
                )?;
                CHAINS.put(
                    tx,
                    &json!({"id": "F1", "name": "Chain", "team_id": null}),
                    "Chain",
                    0,
                )?;
                STEPS.put(
                    tx,
                    &json!({"id": "E1", "escalation_chain_id": "F1", "position": 0,
                            "type": "notify_on_call_from_schedule",
                            "notify_on_call_from_schedule": "S1"}),
                    "F1",
                    0,
                )?;
                INTEGRATIONS.put(
                    tx,
                    &json!({"id": "C1", "name": "Alerts", "team_id": null,
                            "default_route": {"escalation_chain_id": "F1"}}),
                    "Alerts",
                    0,
                )?;
                SHIFTS.put(tx, &json!({"id": "O1", "name": "Week"}), "Week", 0)?;
                SCHEDULES.put(
                    tx,
                    &json!({"id": "S1", "name": "Rota", "shifts": ["O1"]}),
                    "Rota",
                    0,
                )?;
                Ok(())
            })
            .unwrap();
        (dir, store)
    }

    #[test]
    fn a_deleted_chain_takes_its_steps_and_leaves_routes_paging_nobody() {
        let (_dir, store) = org();
        store
            .write(|tx| Ok(delete_chain(tx, "F1")))
            .unwrap()
            .unwrap();
        store
            .read(|tx| {
                assert!(STEPS.all(tx, Some("F1"))?.is_empty());
                let integration = INTEGRATIONS.get(tx, "C1")?.unwrap();
                assert_eq!(
                    integration["default_route"]["escalation_chain_id"],
                    Value::Null
                );
                Ok(())
            })
            .unwrap();
        let again = store.write(|tx| Ok(delete_chain(tx, "F1"))).unwrap();
        assert_eq!(again.unwrap_err().status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_deleted_schedule_takes_its_shifts_and_leaves_steps_paging_nobody() {
        let (_dir, store) = org();
        let deleted = store.write(|tx| Ok(delete_schedule(tx, "S1")));
        assert!(deleted.unwrap().is_ok());
        store
            .read(|tx| {
                assert!(SHIFTS.get(tx, "O1")?.is_none());
                let step = STEPS.get(tx, "E1")?.unwrap();
                assert_eq!(step["notify_on_call_from_schedule"], Value::Null);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn chain_names_are_unique_per_team() {
        let (_dir, store) = org();
        store
            .read(|tx| {
                let taken = unique_chain_name(tx, ("Chain", &Value::Null), "").unwrap_err();
                assert_eq!(
                    taken.body,
                    json!({"non_field_errors": ["The fields name, team_id must make a unique set."]})
                );
                // The chain itself may keep its name, and another team may use it.
                assert!(unique_chain_name(tx, ("Chain", &Value::Null), "F1").is_ok());
                assert!(unique_chain_name(tx, ("Chain", &json!("T9")), "").is_ok());
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn grafanas_sync_refuses_an_unknown_role_or_team_and_makes_a_direct_paging_integration() {
        let (_dir, store) = org();
        let sync = |org: Value| {
            store.write(|tx| Ok(sync_org(tx, &serde_json::from_value(org.clone()).unwrap())))
        };
        let role = sync(json!({"users": [{"email": "b@x", "username": "b", "role": "boss"}]}));
        assert!(role.unwrap().is_err());
        let team = sync(json!({"users": [{"email": "b@x", "username": "b", "teams": ["Nope"]}]}));
        assert!(team.unwrap().is_err());
        store
            .read(|tx| {
                let paging: Vec<Value> = INTEGRATIONS
                    .all(tx, None)?
                    .into_iter()
                    .filter(|i| i["type"] == "direct_paging")
                    .collect();
                assert_eq!(paging.len(), 1);
                assert_eq!(paging[0]["name"], "Direct paging (SRE)");
                Ok(())
            })
            .unwrap();
    }
}
