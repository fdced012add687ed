//! `alertform validate [PATH]`

use std::path::PathBuf;

use super::{
    Checked, OutputFormat, default_path, load_checked, load_checked_without_secrets, report_invalid,
};
use crate::config::diagnostic::Problem;
use crate::exit::ExitStatus;
use crate::model::{Address, Kind};
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
    #[arg(long, env = "ALERTFORM_PROVIDER", value_parser = super::service::provider_name())]
    provider: Option<crate::model::ProviderName>,
    /// Also require every secret's environment variable to be set, as plan and apply do
    /// (without it, an unset one is a warning).
    #[arg(long)]
    secrets: bool,
}

/// Secret fields written as literal values: valid, but the secret is in the file (and in git).
fn literal_secrets(checked: &Checked) -> Vec<Problem> {
    let mut found = Vec::new();
    for (key, outbound) in &checked.model.outbound {
        for (field, secret) in outbound.target.secrets() {
            if secret.env.is_some() {
                continue;
            }
            let address = Address::new(Kind::Outbound, key);
            let env = crate::model::secret_env_name(key, field);
            found.push(
                checked
                    .locations
                    .problem(
                        &address,
                        field,
                        format!("`{field}` of `{address}` is a secret written in the file"),
                        "a literal secret",
                        format!(
                            "read it from the environment instead: `{field} = {{ env = \"{env}\" }}` (HCL: `env(\"{env}\")`)"
                        ),
                    )
                    .as_warning()
                    .without_quote(),
            );
        }
    }
    found
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let loaded = if args.secrets {
        load_checked(&args.path, args.provider).map(|checked| (checked, Vec::new()))
    } else {
        load_checked_without_secrets(&args.path, args.provider)
    };
    let (loaded, warnings) = match loaded {
        Ok((checked, mut unset)) => {
            unset.extend(literal_secrets(&checked));
            (Ok(checked), unset)
        }
        Err(invalid) => (Err(invalid), Vec::new()),
    };
    match (loaded, args.format) {
        (Ok(checked), OutputFormat::Text) => {
            for warning in &warnings {
                printer.diagnostic(&warning.to_diagnostic(&checked.sources));
            }
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
            let provider = if checked.provider == crate::model::ProviderName::default() {
                String::new()
            } else {
                format!(" for {}", checked.provider)
            };
            let warned = match warnings.len() {
                0 => String::new(),
                1 => ", 1 warning".to_owned(),
                n => format!(", {n} warnings"),
            };
            printer.out(format!(
                "valid{provider}: {counts} ({files} file{}{warned})",
                if files == 1 { "" } else { "s" }
            ));
            ExitStatus::Success
        }
        (Ok(checked), OutputFormat::Json) => {
            let warnings: Vec<_> = warnings
                .iter()
                .map(|p| p.to_json(&checked.sources))
                .collect();
            printer.out(serde_json::to_string_pretty(&warnings).expect("problems serialise"));
            ExitStatus::Success
        }
        (Ok(checked), OutputFormat::Github) => {
            for warning in &warnings {
                let p = warning.to_json(&checked.sources);
                let at = match (&p.file, p.line, p.column) {
                    (Some(file), Some(line), Some(column)) => Some((file.as_str(), line, column)),
                    _ => None,
                };
                printer.out(super::github::annotation(
                    "warning",
                    at,
                    "alertform validate",
                    &p.message,
                    p.help.as_deref(),
                ));
            }
            ExitStatus::Success
        }
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
