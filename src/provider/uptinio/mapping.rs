//! Uptinio's integration JSON and alertform's outbound targets, both ways; pure.

use serde_json::{Value, json};

use crate::model::{OutboundTarget, OutboundType, Secret};

pub const WEBHOOK: &str = "Integrations::WebhookIntegration";
pub const EMAIL: &str = "Integrations::EmailIntegration";
pub const SSH_RESTART: &str = "Integrations::SshServerRestartIntegration";
pub const SMS: &str = "Integrations::SmsIntegration";
pub const SLACK: &str = "Integrations::SlackIntegration";

/// Uptinio's type name of an outbound type.
pub fn type_name(kind: OutboundType) -> &'static str {
    match kind {
        OutboundType::Webhook => WEBHOOK,
        OutboundType::Email => EMAIL,
        OutboundType::SshRestart => SSH_RESTART,
        OutboundType::Sms => SMS,
        OutboundType::Slack => SLACK,
    }
}

fn text(settings: &Value, field: &str) -> String {
    settings
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A live integration as a target, its secrets still as the text Uptinio echoes (the caller
/// reduces them to digests). `None` for a type alertform has no word for.
pub fn target(integration: &Value) -> Option<OutboundTarget<String>> {
    let settings = &integration["settings"];
    Some(match integration["type"].as_str()? {
        WEBHOOK => OutboundTarget::Webhook {
            url: text(settings, "webhook_url"),
        },
        EMAIL => OutboundTarget::Email {
            address: text(settings, "email"),
        },
        SSH_RESTART => OutboundTarget::SshRestart {
            host: text(settings, "ip"),
            port: settings
                .get("port")
                .and_then(|p| p.as_u64().or_else(|| p.as_str()?.parse().ok()))
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(22),
            username: text(settings, "username"),
            password: text(settings, "password"),
        },
        SMS => OutboundTarget::Sms {
            phone: text(settings, "phone_number"),
        },
        // The channel is only in the name Uptinio gives it: "Workspace #channel".
        SLACK => OutboundTarget::Slack {
            channel: integration["name"]
                .as_str()
                .and_then(|name| name.rfind(" #").map(|at| name[at + 1..].to_owned()))
                .unwrap_or_default(),
        },
        _ => return None,
    })
}

/// The create body of a target: `{"integration": {"type", "settings"}}`, secrets included.
/// SMS and Slack are not made through this call (see the provider).
pub fn create_body(target: &OutboundTarget<Secret>) -> Value {
    let settings = match target {
        OutboundTarget::Webhook { url } => json!({"webhook_url": url.expose()}),
        OutboundTarget::Email { address } => json!({"email": address}),
        OutboundTarget::SshRestart {
            host,
            port,
            username,
            password,
        } => json!({"ip": host, "username": username, "password": password.expose(), "port": port}),
        OutboundTarget::Sms { phone } => json!({"phone_number": phone}),
        OutboundTarget::Slack { channel } => json!({"channel": channel}),
    };
    json!({"integration": {"type": type_name(target.kind()), "settings": settings}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_as_written() {
        let targets = [
            OutboundTarget::Webhook {
                url: Secret::new("https://hooks.example.com/a".into(), None),
            },
            OutboundTarget::Email {
                address: "a@example.com".into(),
            },
            OutboundTarget::SshRestart {
                host: "10.0.0.1".into(),
                port: 2222,
                username: "ops".into(),
                password: Secret::new("pw".into(), None),
            },
            OutboundTarget::Sms {
                phone: "+14155550100".into(),
            },
        ];
        for declared in targets {
            let body = create_body(&declared);
            let live = json!({"type": body["integration"]["type"], "settings": body["integration"]["settings"]});
            let read = target(&live).unwrap();
            assert_eq!(read.identity(), declared.identity(), "{body}");
            assert_eq!(read.settings(), declared.settings(), "{body}");
        }
    }

    #[test]
    fn a_slack_channel_comes_from_the_name() {
        let live =
            json!({"type": SLACK, "name": "Acme Corp #alerts", "settings": {"channel_id": "C1"}});
        assert_eq!(
            target(&live),
            Some(OutboundTarget::Slack {
                channel: "#alerts".into()
            })
        );
        assert_eq!(target(&json!({"type": "Integrations::Pager"})), None);
    }
}
