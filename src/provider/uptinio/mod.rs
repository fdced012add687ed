//! The Uptinio provider (its integrations API): outbound targets of one project. What it can
//! hold ([`capabilities`]), how it reads live state (one GET: the list is a bare array, with no
//! paging), and how it carries out a change (create, delete; no update call is documented, so a
//! change is a replace).
//!
//! Uptinio echoes secrets (webhook URLs, SSH passwords, Slack tokens) in every answer: they stop
//! here, as digests salted with the integration's uuid, so a declared value can be compared
//! without being held. SMS integrations need a code texted to the phone and Slack ones an OAuth
//! grant in a browser: the provider matches and deletes those, and explains what it cannot
//! create.

pub mod capabilities;
pub mod mapping;

use crate::model::ProviderName;
use capabilities::CAPABILITIES;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::http::{HttpClient, HttpError};
use super::{ProviderError, Run, delete_once, text, version_of};
use crate::model::Resource;
use crate::model::{Kind, LiveSecret, OutboundTarget, OutboundType, Secret, secret_digest};
use crate::observed::{Observed, ObservedOutbound};
use crate::plan::{Action, Change, Plan};

const INTEGRATIONS: &str = "/api/v1/integrations";
/// The settings in which Uptinio echoes secrets.
const ECHOED_SECRETS: [&str; 4] = ["webhook_url", "password", "bot_token", "user_token"];

#[derive(Clone)]
pub struct UptinioProvider {
    http: HttpClient,
}

impl UptinioProvider {
    pub fn new(http: HttpClient) -> Self {
        UptinioProvider { http }
    }

    fn explain(&self, err: HttpError, action: &str) -> ProviderError {
        super::explain_refusal(
            &self.http,
            err,
            action,
            "use the project's API token from Settings > API Keys, or a user token whose current project is this one",
        )
    }

    async fn list(&self) -> Result<Vec<Value>, ProviderError> {
        let reply = self
            .http
            .get_or(INTEGRATIONS, |e| self.explain(e, "read integrations"))
            .await?;
        match reply.body {
            Value::Array(items) => Ok(items),
            other => Err(ProviderError::Unreadable {
                endpoint: self.http.base().to_owned(),
                what: "the integrations list".to_owned(),
                message: format!("expected a JSON array, got {}", kind_of(&other)),
            }),
        }
    }

    /// Every integration of the project, in one request.
    pub async fn observe(&self) -> Result<Observed, ProviderError> {
        let mut observed = Observed::default();
        for integration in self.list().await? {
            let uuid = text(&integration, "uuid");
            let name = text(&integration, "name");
            let Some(target) = mapping::target(&integration) else {
                observed.notes.push(format!(
                    "Uptinio integration `{name}` is of type `{}`, which alertform does not manage: left alone",
                    text(&integration, "type")
                ));
                continue;
            };
            let (identity, kind) = (target.identity(), target.kind());
            observed.mark_locked(
                &uuid,
                integration["editable"] != false,
                integration["deletable"] != false,
                |locked, refused| {
                    format!(
                        "Uptinio marks integration `{identity}` ({kind}) not {locked}: alertform will not {refused}"
                    )
                },
                |_, combined| format!("Uptinio marks it not {combined}"),
            );
            observed.outbound.push(observe(&uuid, &integration, target));
        }
        Ok(observed)
    }

    /// One live integration as Uptinio shows it, for `show` (the caller hides secrets unless
    /// revealed).
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Value, ProviderError> {
        if kind != Kind::Outbound {
            return Err(ProviderError::Cannot(format!(
                "Uptinio has no {}",
                kind.plural()
            )));
        }
        let reply = self
            .http
            .get_or(
                &format!("{INTEGRATIONS}/{}", super::percent_encode(id)),
                |e| self.explain(e, "read integrations"),
            )
            .await?;
        Ok(reply.body)
    }

    /// Before any call: the targets Uptinio's API cannot create.
    pub fn preflight(&self, plan: &Plan) -> Result<(), String> {
        let refused: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Replace))
            .filter_map(|c| {
                let Ok(Resource::Outbound(outbound)) = c.desired() else {
                    return None;
                };
                cannot_create(outbound.target.kind()).map(|why| format!("`{}`: {why}", c.address))
            })
            .collect();
        if refused.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "Uptinio's API cannot create {}; once it exists, plan again and alertform matches it",
                refused.join("; ")
            ))
        }
    }

    /// Carries out one change: a create (found again after a lost answer, never made twice), a
    /// delete, or a replace (delete, then create: Uptinio documents no update call).
    pub async fn execute(&self, change: &Change, run: &Run) -> Result<Value, String> {
        if change.kind() != Kind::Outbound {
            return Err(format!("Uptinio has no {}", change.kind().plural()));
        }
        let live_id = || {
            change
                .id
                .clone()
                .ok_or("the plan has no id for this change")
        };
        match change.action {
            Action::Delete => {
                self.delete(&live_id()?).await.map_err(|e| e.to_string())?;
                Ok(Value::Null)
            }
            Action::Update => Err(
                "Uptinio documents no update call; alertform replaces integrations instead"
                    .to_owned(),
            ),
            Action::Create | Action::Replace => {
                let Resource::Outbound(outbound) = change.desired()? else {
                    return Err(format!("`{}` is not an outbound target", change.address));
                };
                let target = &outbound.target;
                if let Some(why) = cannot_create(target.kind()) {
                    return Err(why.to_owned());
                }
                if change.action == Action::Replace {
                    self.delete(&live_id()?).await.map_err(|e| e.to_string())?;
                }
                let created = self.create(target).await.map_err(|e| e.to_string())?;
                let uuid = text(&created, "uuid");
                run.record(&change.address.clone(), uuid);
                Ok(without_secrets(created))
            }
        }
    }

    async fn delete(&self, uuid: &str) -> Result<(), ProviderError> {
        let path = format!("{INTEGRATIONS}/{}", super::percent_encode(uuid));
        delete_once(&self.http, &path).await.map_err(|e| match e {
            HttpError::Status {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message,
                ..
            } => ProviderError::Cannot(format!(
                "Uptinio refuses to delete integration `{uuid}`: {message}"
            )),
            e => self.explain(e, "delete integrations"),
        })
    }

    /// POSTs the wrapped create body. Uptinio takes no idempotency key: after a lost answer,
    /// the list is read for an integration that is this one (by type and settings) before the
    /// body is sent again.
    async fn create(&self, target: &OutboundTarget<Secret>) -> Result<Value, ProviderError> {
        let body = mapping::create_body(target);
        let identity = target.identity();
        super::Recovering {
            http: &self.http,
            headers: &[],
            explain: |e| self.explain(e, "create integrations"),
            taken: |_| false,
        }
        .create(INTEGRATIONS, &body, || async {
            Ok(self.list().await?.into_iter().find(|live| {
                mapping::target(live)
                    .is_some_and(|t| t.kind() == target.kind() && t.identity() == identity)
            }))
        })
        .await
        .map(|(object, _)| object)
    }
}

/// Why Uptinio's API cannot create a target of `kind`, if it cannot.
fn cannot_create(kind: OutboundType) -> Option<&'static str> {
    match kind {
        OutboundType::Sms => Some(
            "an SMS integration needs a code texted to the phone (POST /api/v1/integrations/sms/send_verification_code, then the code) and a paid plan; create it in Uptinio's web app",
        ),
        OutboundType::Slack => Some(
            "a Slack integration is made by Slack's OAuth grant in a browser; connect the channel in Uptinio's web app",
        ),
        OutboundType::Webhook | OutboundType::Email | OutboundType::SshRestart => None,
    }
}

/// A live integration with its secrets reduced to digests salted with its uuid.
fn observe(uuid: &str, integration: &Value, target: OutboundTarget<String>) -> ObservedOutbound {
    let name = target.identity();
    // The version covers what alertform reads, but never a secret, not even as a digest.
    let mut shown = integration.clone();
    for field in ECHOED_SECRETS {
        if let Some(settings) = shown["settings"].as_object_mut() {
            settings.remove(field);
        }
    }
    let secrets_changed = json!(secret_fingerprint(uuid, &target));
    ObservedOutbound {
        id: uuid.to_owned(),
        version: version_of(&[&shown, &secrets_changed]),
        name,
        target: target.map_secrets(|value| LiveSecret::Digest(secret_digest(uuid, &value))),
    }
}

/// The digests of a target's secrets (already salted), so a changed secret changes the version.
fn secret_fingerprint(uuid: &str, target: &OutboundTarget<String>) -> Vec<String> {
    target
        .secrets()
        .into_iter()
        .map(|(_, value)| secret_digest(uuid, value))
        .collect()
}

/// An integration as apply reports it: Uptinio echoes secrets, which stop here.
fn without_secrets(mut integration: Value) -> Value {
    if let Some(settings) = integration["settings"].as_object_mut() {
        for field in ECHOED_SECRETS {
            settings.remove(field);
        }
    }
    if integration["type"] == mapping::WEBHOOK {
        // Uptinio names a webhook integration after its URL.
        integration["name"] = json!("(sensitive)");
    }
    integration
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Uptinio names a webhook integration after its URL: the name is a secret too.
fn conceal(object: &mut Value) {
    if object["type"] == mapping::WEBHOOK {
        object["name"] = Value::from("(sensitive)");
    }
    super::conceal_secret_fields(object);
}

/// Uptinio, as the registry knows it.
pub static VENDOR: super::Descriptor = super::Descriptor {
    conceal,
    generate: Ok(super::GenerateProfile {
        org: generated_org,
        schedules: crate::generate::Layers::None("Uptinio holds outbound targets only"),
    }),
    terraform_paths: Err("its list is one request, and there is no Terraform provider for it"),
    ..super::Descriptor::vendor(ProviderName::Uptinio, "Uptinio", &CAPABILITIES, |c| {
        std::sync::Arc::new(UptinioProvider::new(c.http))
    })
};

super::vendor_client!(UptinioProvider, preflight);

/// An Uptinio project's outbound targets: `objects` of them, half email mailboxes and half SSH
/// restarts of distinct hosts. Their password comes from the environment, as a config's
/// secrets should: [`crate::generate::GENERATED_SECRET`].
fn generated_org(objects: usize) -> crate::generate::Generated {
    let mut model = crate::model::Model::default();
    model.settings.provider = Some(crate::model::ProviderName::Uptinio);
    for i in 0..objects.max(1) {
        let target = if i % 2 == 0 {
            crate::model::OutboundTarget::Email {
                address: format!("alerts{i}@example.com"),
            }
        } else {
            crate::model::OutboundTarget::SshRestart {
                host: format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
                port: 22,
                username: "ops".to_owned(),
                password: crate::model::Secret::new(
                    String::new(),
                    Some(crate::generate::GENERATED_SECRET.to_owned()),
                ),
            }
        };
        let name = target.identity();
        model.outbound.insert(
            format!("t{i}"),
            crate::model::Outbound {
                name,
                target,
                lifecycle: crate::model::Lifecycle::default(),
            },
        );
    }
    crate::generate::Generated { model, seed: None }
}
