//! `alertform lint [PATH]`: checks of meaning ([`crate::lint`]) for a valid config, as text, JSON
//! or GitHub annotations.

use std::path::PathBuf;

use super::{default_path, report_invalid};
use crate::config;
use crate::exit::ExitStatus;
use crate::lint::{Severity, lint_as};
use crate::printer::Printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    Text,
    Json,
    /// `::warning file=…,line=…,col=…::…` workflow commands: annotations on the pull request.
    Github,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    format: LintFormat,
    /// Exit 1 on warnings too (errors always do).
    #[arg(long)]
    deny_warnings: bool,
    /// Also look for gaps in what this vendor really pages, where its engine differs from
    /// alertform's timeline (Grafana OnCall); default: `settings.provider`.
    #[arg(long, value_parser = super::service::provider_name())]
    provider: Option<crate::model::ProviderName>,
}

/// One finding as JSON: `{code, severity, address, file, line, column, message, help}`.
#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    severity: Severity,
    address: String,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
    help: &'a str,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let (sources, model, locations) = match config::load_located(&args.path) {
        Ok(loaded) => loaded,
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    let vendor = crate::registry::vendor(
        args.provider
            .or(model.settings.provider)
            .unwrap_or_default(),
    );
    let findings = lint_as(
        &model,
        vendor.pages.map(|pages| (vendor.display_name, pages)),
    );
    let located: Vec<JsonFinding<'_>> = findings
        .iter()
        .map(|f| {
            let at = locations.locate(&f.address, &f.field).map(|(file, span)| {
                let file = sources.get(file);
                let (line, column) = file.line_col(span.start);
                (file.path.display().to_string(), line, column)
            });
            JsonFinding {
                code: f.code,
                severity: f.severity,
                address: f.address.to_string(),
                file: at.as_ref().map(|a| a.0.clone()),
                line: at.as_ref().map(|a| a.1),
                column: at.as_ref().map(|a| a.2),
                message: &f.message,
                help: &f.hint,
            }
        })
        .collect();
    match args.format {
        LintFormat::Json => {
            printer.out(serde_json::to_string_pretty(&located).expect("findings serialise"));
        }
        LintFormat::Github => {
            for f in &located {
                let at = match (&f.file, f.line, f.column) {
                    (Some(file), Some(line), Some(column)) => Some((file.as_str(), line, column)),
                    _ => None,
                };
                printer.out(super::github::annotation(
                    f.severity.as_str(),
                    at,
                    &format!("alertform lint {}", f.code),
                    f.message,
                    Some(f.help),
                ));
            }
        }
        LintFormat::Text => {
            for f in &located {
                let level = f.severity.as_str();
                let place = match (&f.file, f.line, f.column) {
                    (Some(file), Some(line), Some(column)) => format!(" {file}:{line}:{column}:"),
                    _ => String::new(),
                };
                printer.note(format!(
                    "{level}[{}]{place} {}\n  help: {}",
                    f.code, f.message, f.help
                ));
            }
            let (errors, warnings) = counts(&located);
            printer.out(if located.is_empty() {
                "lint: no findings".to_owned()
            } else {
                format!(
                    "lint: {errors} error{}, {warnings} warning{}",
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" }
                )
            });
        }
    }
    let (errors, warnings) = counts(&located);
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

fn counts(findings: &[JsonFinding<'_>]) -> (usize, usize) {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    (errors, findings.len() - errors)
}
