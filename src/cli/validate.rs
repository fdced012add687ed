//! `alertform validate [PATH]`

use std::path::PathBuf;

use super::{OutputFormat, default_path, report_invalid};
use crate::config;
use crate::exit::ExitStatus;
use crate::model::Kind;
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    /// `json` prints problems as a JSON list of {file, line, column, message, help} for CI.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match (config::load(&args.path), args.format) {
        (Ok((sources, model)), OutputFormat::Text) => {
            let counts = Kind::ALL
                .iter()
                .map(|&kind| {
                    let n = model.count(kind);
                    format!("{n} {}", if n == 1 { kind.noun() } else { kind.plural() })
                })
                .collect::<Vec<_>>()
                .join(", ");
            let files = sources.len();
            printer.out(format!(
                "valid: {counts} ({files} file{})",
                if files == 1 { "" } else { "s" }
            ));
            ExitStatus::Success
        }
        (Ok(_), OutputFormat::Json) => {
            printer.out("[]");
            ExitStatus::Success
        }
        (Err(invalid), OutputFormat::Text) => report_invalid(&invalid, printer),
        (Err(invalid), OutputFormat::Json) => {
            let problems: Vec<_> = invalid
                .problems
                .iter()
                .map(|p| p.to_json(&invalid.sources))
                .collect();
            printer.out(serde_json::to_string_pretty(&problems).expect("problems serialise"));
            ExitStatus::Failure
        }
    }
}
