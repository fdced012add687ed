//! `alertform show ADDR [--reveal]`: one live object; secrets only when asked.

use std::path::PathBuf;

use super::report_invalid;
use super::service::{Connection, ServiceArgs, with_service};
use crate::config;
use crate::exit::ExitStatus;
use crate::model::Address;
use crate::printer::Printer;

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
    let options = connection
        .provider
        .capabilities()
        .plan_options(vec![address.clone()]);
    let planned = match crate::ops::plan(&connection.provider, model, &[], &options).await {
        Ok(planned) => planned,
        Err(err) => {
            printer.note(format!("error: {err}"));
            return ExitStatus::Failure;
        }
    };
    // Only the live id matters here: what apply would refuse is not `show`'s to say.
    let plan = match planned.plan {
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
    let read = connection.provider.get(address.kind, id).await;
    let mut object = match read {
        Ok(object) => object,
        Err(err) => {
            printer.note(format!("error: {err}"));
            return ExitStatus::Failure;
        }
    };
    if !reveal {
        (connection.provider.descriptor().conceal)(&mut object);
    }
    printer.out(serde_json::to_string_pretty(&object).expect("JSON serialises"));
    ExitStatus::Success
}
