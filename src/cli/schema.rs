//! `alertform schema [--openapi]`

use crate::config::schema::config_schema;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::server::openapi::document_text;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the `OpenAPI` 3.0 description of the bundled service's REST API instead.
    #[arg(long)]
    openapi: bool,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let text = if args.openapi {
        document_text()
    } else {
        config_schema()
    };
    printer.out(text.trim_end());
    ExitStatus::Success
}
