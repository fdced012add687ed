//! `alertform export [--format toml|hcl] [--out DIR]`

use std::path::PathBuf;

use super::FileFormat;
use super::service::{ServiceArgs, with_service};
use crate::config::source::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

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
    let format = Format::from(args.format);
    let provider = args.service.provider_for(None);
    with_service(
        &args.service,
        provider,
        None,
        printer,
        async |connection| match connection.provider.observe().await {
            Ok(observed) => write(&observed, provider, format, args.out.as_deref(), printer),
            Err(err) => {
                printer.note(format!("error: {err}"));
                ExitStatus::Failure
            }
        },
    )
}

fn write(
    observed: &crate::observed::Observed,
    provider: crate::model::ProviderName,
    format: Format,
    out: Option<&std::path::Path>,
    printer: &Printer,
) -> ExitStatus {
    let crate::export::Exported {
        files,
        notes,
        incomplete,
    } = crate::export::export(observed, provider, format);
    // What the provider saw and left alone (ended layers, overrides), then what export did.
    for note in observed.notes.iter().chain(&notes) {
        printer.note(format!("note: {note}"));
    }
    for part in &incomplete {
        printer.note(format!("error: cannot export {part}"));
    }
    match out {
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
    if incomplete.is_empty() {
        printer.note(format!("Exported {} live objects.", observed.len()));
        ExitStatus::Success
    } else {
        printer.note(format!(
            "Exported {} live objects; the export is incomplete: {} part{} alertform cannot read (above) {} left to the service through settings.ignore",
            observed.len(),
            incomplete.len(),
            if incomplete.len() == 1 { "" } else { "s" },
            if incomplete.len() == 1 { "is" } else { "are" },
        ));
        ExitStatus::Incomplete
    }
}
