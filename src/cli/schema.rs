//! `alertform schema [--openapi | --plan | --migration]`

use crate::config::schema::config_schema;
use crate::exit::ExitStatus;
use crate::plan::render::plan_schema;
use crate::printer::Printer;
use crate::server::openapi::document_text;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the `OpenAPI` 3.0 description of the bundled service's REST API instead.
    #[arg(long, conflicts_with_all = ["plan", "migration"])]
    openapi: bool,
    /// Print the JSON Schema of `plan --format json` instead.
    #[arg(long, conflicts_with = "migration")]
    plan: bool,
    /// Print the JSON Schema of `migrate`'s `migration.json` instead.
    #[arg(long)]
    migration: bool,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let text = if args.openapi {
        document_text()
    } else if args.plan {
        plan_schema()
    } else if args.migration {
        crate::migrate::schema()
    } else {
        config_schema()
    };
    printer.out(text.trim_end());
    ExitStatus::Success
}
