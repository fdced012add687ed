//! Uptinio's rules over the emulation's store, apart from the wire: the settings each type
//! takes and the name the service derives from them, what cannot be edited or deleted, the SMS
//! code a number needs first, and the seeded project. Unit-tested without HTTP; the handlers in
//! `mod.rs` translate paths, bodies and errors.

use axum::http::StatusCode;
use rusqlite::Transaction;
use serde_json::{Value, json};

use super::{CODES, EMAIL, INTEGRATIONS, SLACK, SMS, SSH_RESTART, UptinioError, WEBHOOK, now};
use crate::model::validate::{is_valid_email, is_valid_phone};
use crate::server::auth;
use crate::server::error::ApiError;

/// Makes an integration of `kind` from `given` settings, named as Uptinio names it.
pub fn create(
    tx: &Transaction,
    kind: &str,
    given: &Value,
) -> Result<Result<Value, UptinioError>, ApiError> {
    let (settings, name) = match checked_settings(tx, kind, given) {
        Ok(checked) => checked,
        Err(err) => return Ok(Err(err)),
    };
    if kind == SMS {
        // A code is good for one integration.
        CODES.delete(tx, settings["phone_number"].as_str().unwrap_or_default())?;
    }
    let at = now();
    let object = json!({
        "uuid": crate::server::auth::new_uuid(), "type": kind, "name": name, "settings": settings,
        "editable": true, "deletable": true, "created_at": at, "updated_at": at,
    });
    store(tx, &object)?;
    Ok(Ok(object))
}

/// Replaces the settings of `uuid` (its type stays), naming it again; 422 for one that is not
/// editable.
pub fn update(
    tx: &Transaction,
    uuid: &str,
    given: &Value,
) -> Result<Result<Value, UptinioError>, ApiError> {
    let Some(mut object) = INTEGRATIONS.get(tx, uuid)? else {
        return Ok(Err(UptinioError::not_found()));
    };
    if object["editable"] == false {
        return Ok(Err(UptinioError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_entity",
            "This integration cannot be edited.",
        )));
    }
    let kind = object["type"].as_str().unwrap_or_default().to_owned();
    let (settings, name) = match checked_settings(tx, &kind, given) {
        Ok(checked) => checked,
        Err(err) => return Ok(Err(err)),
    };
    object["settings"] = settings;
    object["name"] = json!(name);
    object["updated_at"] = json!(now());
    store(tx, &object)?;
    Ok(Ok(object))
}

/// Deletes `uuid`; 422 with the reference's exact body for one that is not deletable.
pub fn delete(tx: &Transaction, uuid: &str) -> Result<Result<(), UptinioError>, ApiError> {
    let Some(object) = INTEGRATIONS.get(tx, uuid)? else {
        return Ok(Err(UptinioError::not_found()));
    };
    if object["deletable"] == false {
        return Ok(Err(UptinioError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"error": "This integration cannot be deleted."}),
            retry_after: None,
        }));
    }
    INTEGRATIONS.delete(tx, uuid)?;
    Ok(Ok(()))
}

pub fn setting<'a>(settings: &'a Value, field: &str) -> Option<&'a str> {
    settings
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The settings a type stores, checked, and the name Uptinio derives from them.
pub fn checked_settings(
    tx: &Transaction,
    kind: &str,
    given: &Value,
) -> Result<(Value, String), UptinioError> {
    let mut errors: Vec<(&str, String)> = Vec::new();
    let mut required = |field: &'static str| -> String {
        let value = setting(given, field);
        if value.is_none() {
            errors.push((field, "can't be blank".to_owned()));
        }
        value.unwrap_or_default().to_owned()
    };
    let (settings, name) = match kind {
        WEBHOOK => {
            let url = required("webhook_url");
            if !url.is_empty()
                && !url::Url::parse(&url)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            {
                errors.push(("webhook_url", "is not a valid URL".to_owned()));
            }
            (json!({"webhook_url": url}), url)
        }
        EMAIL => {
            let email = required("email");
            if !email.is_empty() && !is_valid_email(&email) {
                errors.push(("email", "is invalid".to_owned()));
            }
            (json!({"email": email}), email)
        }
        SSH_RESTART => {
            let ip = required("ip");
            let username = required("username");
            let password = required("password");
            let port = match given.get("port") {
                None | Some(Value::Null) => Some(22),
                Some(Value::Number(n)) => n.as_u64().filter(|p| (1..=65_535).contains(p)),
                Some(Value::String(s)) => s.parse().ok().filter(|p| (1..=65_535).contains(p)),
                Some(_) => None,
            };
            if port.is_none() {
                errors.push(("port", "must be between 1 and 65535".to_owned()));
            }
            let name = format!("{ip} ({username})");
            (
                json!({"ip": ip, "username": username, "password": password, "port": port.unwrap_or(22)}),
                name,
            )
        }
        SMS => {
            let phone = required("phone_number");
            if !phone.is_empty() && !is_valid_phone(&phone) {
                errors.push(("phone_number", "must be in E.164 format".to_owned()));
            }
            let code = setting(given, "verification_code");
            let sent = CODES.get(tx, &phone)?;
            let matches = matches!((&sent, code), (Some(sent), Some(code)) if sent["code"] == code);
            if !phone.is_empty() && !matches {
                errors.push((
                    "verification_code",
                    "is invalid or expired: send one with POST /api/v1/integrations/sms/send_verification_code".to_owned(),
                ));
            }
            (json!({"phone_number": phone}), format!("SMS {phone}"))
        }
        SLACK => {
            return Err(UptinioError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable_entity",
                "Slack integrations are created by the OAuth flow: POST /api/v1/integrations/slack/initiate, then authorize in a browser",
            ));
        }
        other => {
            return Err(UptinioError::invalid(&[(
                "type",
                format!("`{other}` is not an integration type"),
            )]));
        }
    };
    if errors.is_empty() {
        Ok((settings, name))
    } else {
        Err(UptinioError::invalid(&errors))
    }
}

pub fn store(tx: &Transaction, object: &Value) -> Result<(), ApiError> {
    // The vendor store keys objects by `id`; Uptinio's is `uuid`, kept as is in the body.
    let mut stored = object.clone();
    stored["id"] = object["uuid"].clone();
    INTEGRATIONS.put(tx, &stored, "", 0)
}

/// The seed of `serve --api uptinio`: integrations made in Uptinio's web app (a verified SMS
/// number, a Slack channel authorized by OAuth), which the API cannot make.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Project {
    pub integrations: Vec<SeededIntegration>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "snake_case")]
pub enum SeededIntegration {
    /// A verified number.
    Sms { phone_number: String },
    /// A channel a person authorized; the tokens are made up.
    Slack {
        workspace: String,
        channel: String,
        #[serde(default)]
        deletable: Option<bool>,
    },
}

/// Adds the seeded integrations that are not there yet (matched by type and name), so a restart
/// on the same data does not double them.
pub fn open_project(tx: &Transaction, project: &Project) -> Result<usize, ApiError> {
    let existing = INTEGRATIONS.all(tx, None)?;
    let mut made = 0;
    for seeded in &project.integrations {
        let (kind, name, settings, editable, deletable) = match seeded {
            SeededIntegration::Sms { phone_number } => {
                if !is_valid_phone(phone_number) {
                    return Err(ApiError::invalid(format!(
                        "`{phone_number}` is not an E.164 number"
                    )));
                }
                (
                    SMS,
                    format!("SMS {phone_number}"),
                    json!({"phone_number": phone_number}),
                    true,
                    true,
                )
            }
            SeededIntegration::Slack {
                workspace,
                channel,
                deletable,
            } => {
                let channel = format!("#{}", channel.trim_start_matches('#'));
                (
                    SLACK,
                    format!("{workspace} #{}", channel.trim_start_matches('#')),
                    json!({
                        "bot_token": format!("xoxb-emulated-{}", auth::random_hex(12)),
                        "user_token": format!("xoxp-emulated-{}", auth::random_hex(12)),
                        "channel_id": format!("C{}", auth::random_hex(5).to_uppercase()),
                        "webhook_url": format!("https://hooks.slack.com/services/T0EMULATED/B0EMULATED/{}", auth::random_hex(12)),
                        "bot_user_id": format!("U{}", auth::random_hex(5).to_uppercase()),
                    }),
                    false,
                    deletable.unwrap_or(true),
                )
            }
        };
        if existing
            .iter()
            .any(|o| o["type"] == kind && o["name"] == name.as_str())
        {
            continue;
        }
        let at = now();
        store(
            tx,
            &json!({
                "uuid": crate::server::auth::new_uuid(), "type": kind, "name": name, "settings": settings,
                "editable": editable, "deletable": deletable, "created_at": at, "updated_at": at,
            }),
        )?;
        made += 1;
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::Store;

    /// A project seeded with a Slack channel that cannot be deleted.
    fn project() -> (tempfile::TempDir, Store) {
        let slack =
            json!({"type": "slack", "workspace": "Acme", "channel": "ops", "deletable": false});
        Store::seeded(json!({ "integrations": [slack] }), open_project, 1)
    }

    #[test]
    fn a_webhook_is_named_by_its_url_and_a_bad_url_is_a_422_by_field() {
        let (_dir, store) = project();
        let made = store
            .write(|tx| {
                create(
                    tx,
                    WEBHOOK,
                    &json!({"webhook_url": "https://example.com/h"}),
                )
            })
            .unwrap()
            .map_err(|e| e.body)
            .unwrap();
        assert_eq!(made["name"], "https://example.com/h");
        let refused = store
            .write(|tx| create(tx, WEBHOOK, &json!({"webhook_url": "ftp:nowhere"})))
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.to_string().contains("is not a valid URL"));
    }

    #[test]
    fn what_the_web_app_made_cannot_be_edited_or_deleted_as_it_says() {
        let (_dir, store) = project();
        let slack = store
            .read(|tx| INTEGRATIONS.all(tx, None))
            .unwrap()
            .remove(0);
        let uuid = slack["uuid"].as_str().unwrap().to_owned();
        let edit = store
            .write(|tx| update(tx, &uuid, &json!({})))
            .unwrap()
            .unwrap_err();
        assert_eq!(edit.status, StatusCode::UNPROCESSABLE_ENTITY);
        let gone = store.write(|tx| delete(tx, &uuid)).unwrap().unwrap_err();
        assert_eq!(
            gone.body,
            json!({"error": "This integration cannot be deleted."})
        );
        assert_eq!(store.read(|tx| INTEGRATIONS.count(tx, None)).unwrap(), 1);
    }

    #[test]
    fn an_sms_integration_needs_the_code_sent_to_its_number_first() {
        let (_dir, store) = project();
        let sms = json!({"phone_number": "+14155550100", "verification_code": "123456"});
        let refused = store
            .write(|tx| create(tx, SMS, &sms))
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        store
            .write(|tx| CODES.put(tx, &json!({"id": "+14155550100", "code": "123456"}), "", 0))
            .unwrap();
        let made = store
            .write(|tx| create(tx, SMS, &sms))
            .unwrap()
            .map_err(|e| e.body)
            .unwrap();
        assert_eq!(made["name"], "SMS +14155550100");
        // A code is good for one integration.
        assert!(
            store
                .read(|tx| CODES.get(tx, "+14155550100"))
                .unwrap()
                .is_none()
        );
    }
}
