//! `alertform validate [PATH]`

use std::path::PathBuf;

use super::{OutputFormat, default_path, load_checked, report_invalid};
use crate::exit::ExitStatus;
use crate::model::Kind;
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    /// `json` prints problems as a JSON list of {file, line, column, message, help} for CI;
    /// `github` as GitHub Actions annotations.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// Also check that this provider can express the config (default: `settings.provider`, else
    /// alertform). Live objects are not read: a user missing in the vendor shows at plan time.
    #[arg(long, env = "ALERTFORM_PROVIDER", value_parser = super::service::provider_name)]
    provider: Option<crate::model::ProviderName>,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match (load_checked(&args.path, args.provider), args.format) {
        (Ok(checked), OutputFormat::Text) => {
            let (sources, model) = (&checked.sources, &checked.model);
            // Kinds the config does not use are left out ("3 users, 1 group, …").
            let counts = Kind::ALL
                .iter()
                .filter(|&&kind| model.count(kind) > 0)
                .map(|&kind| {
                    let n = model.count(kind);
                    format!("{n} {}", if n == 1 { kind.noun() } else { kind.plural() })
                })
                .collect::<Vec<_>>()
                .join(", ");
            let files = sources.len();
            let provider = if checked.provider == crate::model::ProviderName::Alertform {
                String::new()
            } else {
                format!(" for {}", checked.provider)
            };
            printer.out(format!(
                "valid{provider}: {counts} ({files} file{})",
                if files == 1 { "" } else { "s" }
            ));
            ExitStatus::Success
        }
        (Ok(_), OutputFormat::Json) => {
            printer.out("[]");
            ExitStatus::Success
        }
        (Ok(_), OutputFormat::Github) => ExitStatus::Success,
        (Err(invalid), OutputFormat::Github) => {
            super::annotate(&invalid, "alertform validate", printer)
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
