//! `alertform show ADDR [--reveal]`: one live object; secrets only when asked.

use std::path::PathBuf;

use super::report_invalid;
use super::service::{Connection, ServiceArgs, with_service};
use crate::config;
use crate::exit::ExitStatus;
use crate::model::Address;
use crate::plan::plan;
use crate::printer::Printer;

/// Fields that hold or embed a secret.
const SENSITIVE: [&str; 9] = [
    "integration_key",
    "endpoint_url",
    "integration_email",
    "link",
    "inbound_email",
    // Uptinio echoes outbound secrets.
    "webhook_url",
    "password",
    "bot_token",
    "user_token",
];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The resource, e.g. `integration.grafana_prod`.
    address: String,
    /// The config the address is declared in.
    #[arg(long, default_value = ".")]
    config: PathBuf,
    /// Show the integration key and endpoint URL.
    #[arg(long)]
    reveal: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let Some(address) = Address::parse(&args.address) else {
        printer.note(format!(
            "error: `{}` is not an address like `integration.grafana_prod`",
            args.address
        ));
        return ExitStatus::Failure;
    };
    let (_, model) = match config::load(&args.config) {
        Ok(loaded) => loaded,
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    let provider = args.service.provider_for(model.settings.provider);
    with_service(
        &args.service,
        provider,
        Some(&args.config),
        printer,
        async |connection| show(connection, &model, &address, args.reveal, printer).await,
    )
}

async fn show(
    connection: &Connection,
    model: &crate::model::Model,
    address: &Address,
    reveal: bool,
    printer: &Printer,
) -> ExitStatus {
    let observed = match connection.provider.observe().await {
        Ok(observed) => observed,
        Err(err) => {
            printer.note(format!("error: {err}"));
            return ExitStatus::Failure;
        }
    };
    let plan = match plan(
        model,
        &observed,
        &connection
            .provider
            .capabilities()
            .plan_options(vec![address.clone()]),
    ) {
        Ok(plan) => plan,
        Err(errors) => {
            for error in errors {
                printer.note(format!("error: {error}"));
            }
            return ExitStatus::Failure;
        }
    };
    let Some(id) = plan.live_ids.get(&address.to_string()) else {
        printer.note(format!("error: `{address}` is declared but does not exist in the service yet; run `alertform apply`"));
        return ExitStatus::Failure;
    };
    let read = match &connection.provider {
        crate::provider::Provider::Alertform(native) => native.get(address.kind, id).await,
        crate::provider::Provider::Pagerduty(pagerduty) => pagerduty.get(address.kind, id).await,
        crate::provider::Provider::GrafanaOncall(oncall) => oncall.get(address.kind, id).await,
        crate::provider::Provider::Uptinio(uptinio) => uptinio.get(address.kind, id).await,
        crate::provider::Provider::Alertops(alertops) => alertops.get(address.kind, id).await,
    };
    let mut object = match read {
        Ok(object) => object,
        Err(err) => {
            printer.note(format!("error: {err}"));
            return ExitStatus::Failure;
        }
    };
    if !reveal {
        hide_secrets(&mut object);
    }
    printer.out(serde_json::to_string_pretty(&object).expect("JSON serialises"));
    ExitStatus::Success
}

/// Replaces every secret field, at any depth (OnCall's `heartbeat.link`), with `(sensitive)`.
fn hide_secrets(value: &mut serde_json::Value) {
    // Uptinio names a webhook integration after its URL.
    if value["type"] == crate::provider::uptinio::mapping::WEBHOOK {
        value["name"] = serde_json::json!("(sensitive)");
    }
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if SENSITIVE.contains(&key.as_str()) && !item.is_null() {
                    *item = serde_json::json!("(sensitive)");
                } else {
                    hide_secrets(item);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(hide_secrets),
        _ => {}
    }
}
