//! PagerDuty's rules over the emulation's store, apart from the wire (moto's `models.py` beside
//! `responses.py`): what the account allows, checked and carried out in one transaction, and
//! unit-tested without HTTP. The handlers in `mod.rs` translate paths, bodies and errors.

use crate::json::Items;
use rusqlite::Transaction;

use super::{CONTACT_METHODS, POLICIES, PdError, SCHEDULES, TEAMS, USERS, text};

/// Deletes user `id`, as PagerDuty does: never the account owner, never a user an escalation
/// rule targets or a schedule layer holds (PagerDuty answers 400 and names the object); the
/// user's contact methods and team memberships go with them.
pub fn delete_user(tx: &Transaction, id: &str) -> Result<(), PdError> {
    let user = USERS.get(tx, id)?.ok_or_else(PdError::not_found)?;
    if user["role"] == "owner" {
        return Err(PdError::invalid("The account owner cannot be deleted"));
    }
    let targeted = POLICIES.all(tx, None)?.into_iter().find(|p| {
        p["escalation_rules"]
            .items()
            .flat_map(|r| r["targets"].items())
            .any(|t| t["id"] == id)
    });
    if let Some(policy) = targeted {
        return Err(PdError::invalid(format!(
            "User is a target of escalation policy {}: remove them from it first",
            text(&policy, "name")
        )));
    }
    let layered = SCHEDULES.all(tx, None)?.into_iter().find(|s| {
        s["schedule_layers"]
            .items()
            .flat_map(|l| l["users"].items())
            .any(|u| u["user"]["id"] == id)
    });
    if let Some(schedule) = layered {
        return Err(PdError::invalid(format!(
            "User is on schedule {}: remove them from it first",
            text(&schedule, "name")
        )));
    }
    USERS.delete(tx, id)?;
    for method in CONTACT_METHODS.all(tx, Some(id))? {
        CONTACT_METHODS.delete(tx, text(&method, "id"))?;
    }
    for mut team in TEAMS.all(tx, None)? {
        let before = team["members"].as_array().map_or(0, Vec::len);
        if let Some(members) = team["members"].as_array_mut() {
            members.retain(|m| m["user_id"] != id);
        }
        if team["members"].as_array().map_or(0, Vec::len) != before {
            let name = text(&team, "name").to_owned();
            TEAMS.put(tx, &team, &name, 0)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Account, new_user_body, open_account};
    use super::*;
    use crate::server::store::Store;

    /// A store holding the default account (its owner) and Bob, with `setup` run after.
    fn account(setup: impl FnOnce(&Transaction, &str)) -> (tempfile::TempDir, Store, String) {
        let (dir, store) = Store::temporary();
        let bob = store
            .write(|tx| {
                open_account(tx, &Account::default())?;
                let bob = new_user_body("Bob", "bob@example.com", "user", None);
                USERS.put(tx, &bob, "bob@example.com", 0)?;
                let id = text(&bob, "id").to_owned();
                setup(tx, &id);
                Ok(id)
            })
            .unwrap();
        (dir, store, bob)
    }

    fn refusal(store: &Store, id: &str) -> Option<String> {
        store
            .write(|tx| Ok(delete_user(tx, id).err().map(|e| e.body().to_string())))
            .unwrap()
    }

    #[test]
    fn the_owner_cannot_be_deleted() {
        let (_dir, store, _) = account(|_, _| {});
        let owner = store
            .read(|tx| USERS.all(tx, None))
            .unwrap()
            .into_iter()
            .find(|u| u["role"] == "owner")
            .unwrap();
        let refused = refusal(&store, text(&owner, "id")).unwrap();
        assert!(
            refused.contains("account owner cannot be deleted"),
            "{refused}"
        );
    }

    #[test]
    fn a_user_a_rule_targets_or_a_layer_holds_stays() {
        let (_dir, store, bob) = account(|tx, bob| {
            let policy = json!({"id": "PPOL", "name": "Ops", "escalation_rules": [{"targets": [{"id": bob, "type": "user_reference"}]}]});
            POLICIES.put(tx, &policy, "ops", 0).unwrap();
        });
        let refused = refusal(&store, &bob).unwrap();
        assert!(refused.contains("escalation policy Ops"), "{refused}");

        let (_dir, store, bob) = account(|tx, bob| {
            let schedule = json!({"id": "PSCH", "name": "Primary", "schedule_layers": [{"users": [{"user": {"id": bob}}]}]});
            SCHEDULES.put(tx, &schedule, "primary", 0).unwrap();
        });
        let refused = refusal(&store, &bob).unwrap();
        assert!(refused.contains("schedule Primary"), "{refused}");
        assert!(store.read(|tx| USERS.get(tx, &bob)).unwrap().is_some());
    }

    #[test]
    fn a_deleted_user_leaves_its_teams_and_takes_its_contact_methods() {
        let (_dir, store, bob) = account(|tx, bob| {
            let team = json!({"id": "PTEAM", "name": "SRE", "members": [{"user_id": bob}, {"user_id": "POTHER"}]});
            TEAMS.put(tx, &team, "SRE", 0).unwrap();
            let method = json!({"id": "PCM", "type": "email_contact_method"});
            CONTACT_METHODS.put(tx, &method, bob, 0).unwrap();
        });
        assert_eq!(refusal(&store, &bob), None);
        let (team, methods, user) = store
            .read(|tx| {
                Ok((
                    TEAMS.get(tx, "PTEAM")?.unwrap(),
                    CONTACT_METHODS.all(tx, Some(&bob))?,
                    USERS.get(tx, &bob)?,
                ))
            })
            .unwrap();
        assert_eq!(team["members"], json!([{"user_id": "POTHER"}]));
        assert!(methods.is_empty() && user.is_none());
    }
}
