//! AlertOps's rules over the emulation's store, apart from the wire: what a user, group, policy
//! or inbound integration must be (every problem listed at once, as AlertOps does), names that
//! must exist, what still names an object that is to go, and the seeded account. Unit-tested
//! without HTTP; the handlers in `mod.rs` translate paths, bodies and errors.

use crate::json::Items;
use rusqlite::Transaction;
use serde_json::{Value, json};

use axum::http::StatusCode;

use super::{
    AlertOpsError, CONTACT_METHODS, GALLERY_TEMPLATE_IDS, GROUP, GROUPS, INTEGRATIONS, KEYS, Kind,
    MEMBER_ROLES, POLICY, ROLES, TYPES, USER, next_id, store, text,
};
use crate::model::validate::is_valid_email;
use crate::server::auth;
use crate::server::error::ApiError;

/// Whether an object of `kind` called `name` exists (names match without case).
pub fn exists(tx: &Transaction, kind: Kind, name: &str) -> Result<bool, ApiError> {
    Ok(kind.collection.count(tx, Some(&name.to_lowercase()))? > 0)
}

/// The first object that names `name` of `kind`, said for an error.
pub fn referrer_of(tx: &Transaction, kind: Kind, name: &str) -> Result<Option<String>, ApiError> {
    let same = |value: &str| value.eq_ignore_ascii_case(name);
    if kind.plural == "users" || kind.plural == "groups" {
        let member_type = if kind.plural == "users" {
            "User"
        } else {
            "Group"
        };
        for group in GROUPS.all(tx, None)? {
            let named = group["members"].items().any(|m| {
                text(m, "member_type").eq_ignore_ascii_case(member_type) && same(text(m, "member"))
            });
            if named {
                return Ok(Some(format!("group {}", text(&group, "group_name"))));
            }
        }
        let field = if kind.plural == "users" {
            "recipient_users"
        } else {
            "recipient_groups"
        };
        for integration in INTEGRATIONS.all(tx, None)? {
            if integration[field].strings().iter().any(|n| same(n)) {
                return Ok(Some(format!(
                    "inbound integration {}",
                    text(&integration, "inbound_integration_name")
                )));
            }
        }
    }
    if kind.plural == "escalation_policies" {
        for integration in INTEGRATIONS.all(tx, None)? {
            if same(text(&integration, "escalation_policy")) {
                return Ok(Some(format!(
                    "inbound integration {}",
                    text(&integration, "inbound_integration_name")
                )));
            }
        }
    }
    Ok(None)
}

/// The stored form of a create (`existing` = None) or a replace, or 400 listing every problem.
pub fn checked(
    tx: &Transaction,
    kind: Kind,
    mut object: Value,
    existing: Option<&Value>,
) -> Result<Result<Value, AlertOpsError>, ApiError> {
    if !object.is_object() {
        return Ok(Err(AlertOpsError::bad(
            "The request body must be an object",
        )));
    }
    let mut errors: Vec<String> = Vec::new();
    let name = text(&object, kind.name_field).trim().to_owned();
    if name.is_empty() {
        errors.push(format!("{} is required", kind.name_field));
    } else if name.chars().count() > 255 {
        errors.push(format!(
            "{} must be at most 255 characters",
            kind.name_field
        ));
    } else {
        let own = existing.map(|e| text(e, "id").to_owned());
        let taken = kind
            .collection
            .all(tx, Some(&name.to_lowercase()))?
            .into_iter()
            .any(|o| Some(text(&o, "id").to_owned()) != own);
        if taken {
            errors.push(format!("{} {name} already exists", kind.noun));
        }
    }
    match kind.plural {
        "users" => check_user(&mut object, &mut errors),
        "groups" => check_group(tx, &mut object, &mut errors)?,
        "escalation_policies" => check_policy(&mut object, &mut errors),
        _ => check_integration(tx, &mut object, &mut errors)?,
    }
    if errors.is_empty() {
        Ok(Ok(object))
    } else {
        Ok(Err(AlertOpsError::new(StatusCode::BAD_REQUEST, &errors)))
    }
}

pub fn check_user(user: &mut Value, errors: &mut Vec<String>) {
    for field in ["first_name", "last_name"] {
        if text(user, field).trim().is_empty() {
            errors.push(format!("{field} is required"));
        }
    }
    let zone = text(user, "time_zone");
    if !zone.is_empty() && zone.parse::<windows_timezones::WindowsTimezone>().is_err() {
        errors.push(format!(
            "time_zone {zone} is not a time zone (AlertOps takes Windows names such as Central Standard Time)"
        ));
    }
    for role in user["roles"].strings() {
        if !ROLES.contains(&role.as_str()) {
            errors.push(format!("role {role} is not one of {}", ROLES.join(", ")));
        }
    }
    for method in user["contact_methods"].items() {
        let name = text(method, "contact_method_name");
        if !CONTACT_METHODS.contains(&name) {
            errors.push(format!(
                "contact_method_name {name} is not a contact method"
            ));
        }
        if name.starts_with("Email") && !is_valid_email(text(&method["email"], "email_address")) {
            errors.push(format!(
                "{name} needs email.email_address, an email address"
            ));
        }
        if name.starts_with("SMS") || name.starts_with("Phone") {
            let sub = if name.starts_with("SMS") {
                "sms"
            } else {
                "phone"
            };
            let digits = |field: &str| {
                let value = text(&method[sub], field);
                !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
            };
            if !digits("country_code") || !digits("phone_number") {
                errors.push(format!(
                    "{name} needs {sub}.country_code and {sub}.phone_number, in digits"
                ));
            }
        }
    }
    for (field, default) in [("locale", "en-US"), ("type", "Standard")] {
        if user.get(field).is_none_or(Value::is_null) {
            user[field] = json!(default);
        }
    }
}

pub fn check_group(
    tx: &Transaction,
    group: &mut Value,
    errors: &mut Vec<String>,
) -> Result<(), ApiError> {
    if group["description"].is_string() {
        let line = group["description"].clone();
        group["description"] = json!([line]);
    }
    if group.get("description").is_none_or(Value::is_null) {
        group["description"] = json!([]);
    }
    if group.get("dynamic").is_none_or(Value::is_null) {
        group["dynamic"] = json!(false);
    }
    let own = text(group, "group_name").to_lowercase();
    for member in group["members"].items() {
        let name = text(member, "member");
        match text(member, "member_type") {
            "User" => {
                if !exists(tx, USER, name)? {
                    errors.push(format!("member {name}: no user has this user_name"));
                }
            }
            "Group" => {
                if name.eq_ignore_ascii_case(&own) {
                    errors.push(format!("member {name}: a group cannot contain itself"));
                } else if !exists(tx, GROUP, name)? {
                    errors.push(format!("member {name}: no group has this group_name"));
                }
            }
            other => errors.push(format!("member_type {other} is not User or Group")),
        }
        for role in member["roles"].strings() {
            if !MEMBER_ROLES.contains(&role.as_str()) {
                errors.push(format!(
                    "member {name}: role {role} is not one of {}",
                    MEMBER_ROLES.join(", ")
                ));
            }
        }
    }
    Ok(())
}

pub fn check_policy(policy: &mut Value, errors: &mut Vec<String>) {
    for field in [
        "enabled",
        "quick_launch",
        "notify_using_centralized_settings",
    ] {
        if !policy[field].is_boolean() {
            errors.push(format!("{field} is required (true or false)"));
        }
    }
    for (index, tier) in policy["member_roles"].items().enumerate() {
        let role = text(tier, "member_role_type");
        if !MEMBER_ROLES.contains(&role) {
            errors.push(format!(
                "member_roles[{index}].member_role_type {role} is not one of {}",
                MEMBER_ROLES.join(", ")
            ));
        }
        let wait = tier["role_wait_time_in_mins"].as_u64();
        if wait.is_none_or(|w| w > 1440) {
            errors.push(format!(
                "member_roles[{index}].role_wait_time_in_mins must be 0 to 1440"
            ));
        }
    }
}

pub fn check_integration(
    tx: &Transaction,
    integration: &mut Value,
    errors: &mut Vec<String>,
) -> Result<(), ApiError> {
    let kind = text(integration, "type").to_owned();
    if !TYPES.contains(&kind.as_str()) {
        errors.push(format!("type {kind} is not one of {}", TYPES.join(", ")));
    }
    let policy = text(integration, "escalation_policy").to_owned();
    if policy.is_empty() {
        errors.push("escalation_policy is required".to_owned());
    } else if !exists(tx, POLICY, &policy)? {
        errors.push(format!(
            "escalation_policy {policy}: no such escalation policy"
        ));
    }
    for name in integration["recipient_users"].strings() {
        if !exists(tx, USER, &name)? {
            errors.push(format!("recipient_users: no user {name}"));
        }
    }
    for name in integration["recipient_groups"].strings() {
        if !exists(tx, GROUP, &name)? {
            errors.push(format!("recipient_groups: no group {name}"));
        }
    }
    match integration["inbound_template_id"].as_u64() {
        Some(id) if GALLERY_TEMPLATE_IDS.contains(&id) => {}
        Some(id) => errors.push(format!("inbound_template_id {id}: no such template")),
        None => errors.push("inbound_template_id is required".to_owned()),
    }
    if kind == "Heartbeat" {
        let interval = integration["heartbeat_settings"]["heartbeat_interval_in_min"].as_u64();
        if interval.is_none_or(|m| !(1..=1440).contains(&m)) {
            errors.push(
                "heartbeat_settings.heartbeat_interval_in_min is required: 1 to 1440".to_owned(),
            );
        }
    }
    if kind == "Email" {
        let mailbox = text(integration, "mail_box").to_owned();
        if mailbox.is_empty() {
            // The saved page shows a generated mailbox.
            integration["mail_box"] =
                json!(format!("{}@alertops.example.com", auth::random_hex(6)));
        } else if !is_valid_email(&mailbox) {
            errors.push(format!("mail_box {mailbox} is not an email address"));
        }
    }
    if integration.get("enabled").is_none_or(Value::is_null) {
        integration["enabled"] = json!(true);
    }
    Ok(())
}

/// The seed of `serve --api alertops`: API keys acting as users (for the entitlement checks);
/// users themselves are made through the API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Account {
    pub users: Vec<SeededUser>,
    pub api_keys: Vec<SeededKey>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeededUser {
    pub user_name: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeededKey {
    pub key: String,
    pub user_name: String,
}

/// Adds the seed's users (those not there yet) and keys.
pub fn open_account(tx: &Transaction, account: &Account) -> Result<usize, ApiError> {
    let mut made = 0;
    for user in &account.users {
        if exists(tx, USER, &user.user_name)? {
            continue;
        }
        let body = json!({
            "user_name": user.user_name, "first_name": user.first_name, "last_name": user.last_name,
            "roles": user.roles, "contact_methods": [{"contact_method_name": "Email-Official", "email": {"email_address": user.user_name}, "enabled": true, "sequence": 1}],
        });
        let mut object =
            checked(tx, USER, body, None)?.map_err(|e| ApiError::invalid(e.body.to_string()))?;
        let id = next_id(tx, USER)?;
        store(tx, USER, &mut object, id)?;
        made += 1;
    }
    for key in &account.api_keys {
        KEYS.put(
            tx,
            &json!({"id": auth::sha256_hex(key.key.as_bytes()), "user_name": key.user_name}),
            "",
            0,
        )?;
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::Store;

    fn account() -> (tempfile::TempDir, Store) {
        let ann = json!({"user_name": "ann@example.com", "first_name": "Ann", "last_name": "Lee", "roles": ["Owner"]});
        Store::seeded(json!({ "users": [ann] }), open_account, 1)
    }

    #[test]
    fn a_user_is_checked_whole_and_every_problem_listed_at_once() {
        let (_dir, store) = account();
        let bo = json!({"user_name": "bo@example.com", "first_name": "", "last_name": "Ek",
                        "time_zone": "Mars/Olympus", "roles": ["Boss"]});
        let refused = store.write(|tx| checked(tx, USER, bo, None)).unwrap();
        let refused = refused.unwrap_err();
        let body = refused.body.to_string();
        for expected in ["first_name is required", "Mars/Olympus", "role Boss"] {
            assert!(body.contains(expected), "{expected} not in {body}");
        }
    }

    #[test]
    fn a_user_named_by_a_group_is_said_to_be_referred_to() {
        let (_dir, store) = account();
        store
            .write(|tx| {
                let mut group = json!({"group_name": "SRE", "members": [
                    {"member": "Ann@Example.com", "member_type": "User", "member_role": "Primary"}]});
                let id = next_id(tx, GROUP)?;
                super::store(tx, GROUP, &mut group, id)?;
                Ok(())
            })
            .unwrap();
        let referrer = store
            .read(|tx| referrer_of(tx, USER, "ann@example.com"))
            .unwrap();
        assert_eq!(referrer.as_deref(), Some("group SRE"));
        assert!(
            store
                .read(|tx| exists(tx, USER, "ANN@example.com"))
                .unwrap()
        );
        assert!(
            store
                .read(|tx| referrer_of(tx, USER, "bo@example.com"))
                .unwrap()
                .is_none()
        );
    }
}
