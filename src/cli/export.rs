//! `alertform export [--format toml|hcl] [--out DIR]`

use std::path::PathBuf;

use super::service::{Connection, ServiceArgs};
use crate::config::source::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FileFormat {
    Toml,
    Hcl,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "toml")]
    format: FileFormat,
    /// Write one file per kind into DIR (created if missing); without it, print to stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    service: ServiceArgs,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let format = match args.format {
        FileFormat::Toml => Format::Toml,
        FileFormat::Hcl => Format::Hcl,
    };
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    let observed = runtime.block_on(async {
        let connection = Connection::connect(&args.service).await?;
        let observed = connection
            .provider
            .observe()
            .await
            .map_err(|e| e.to_string());
        connection.close().await;
        observed
    });
    let observed = match observed {
        Ok(observed) => observed,
        Err(message) => {
            printer.note(format!("error: {message}"));
            return ExitStatus::Failure;
        }
    };
    let files = crate::export::export(&observed, format);
    match &args.out {
        None => {
            for (_, text) in files {
                printer.out(text.trim_end());
            }
        }
        Some(dir) => {
            if let Err(err) = std::fs::create_dir_all(dir) {
                printer.note(format!("error: cannot create `{}`: {err}", dir.display()));
                return ExitStatus::Failure;
            }
            for (name, text) in files {
                let path = dir.join(name);
                if let Err(err) = std::fs::write(&path, text) {
                    printer.note(format!("error: cannot write `{}`: {err}", path.display()));
                    return ExitStatus::Failure;
                }
                printer.out(path.display());
            }
        }
    }
    printer.note(format!("Exported {} live objects.", observed.len()));
    ExitStatus::Success
}
