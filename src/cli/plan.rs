//! `alertform plan [PATH]`

use std::path::PathBuf;

use super::service::{Connection, ServiceArgs, with_service};
use super::{Checked, default_path, load_checked, report_invalid, report_plan_errors};
use crate::config;
use crate::exit::ExitStatus;
use crate::plan::PlanOptions;
use crate::plan::render::{self, Style};
use crate::printer::Printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
    /// Text, and problems as GitHub Actions annotations on the changed lines.
    Github,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    /// Limit the plan to this resource (`KIND.KEY`) and what it depends on; repeatable.
    #[arg(long = "target", value_name = "ADDR")]
    targets: Vec<String>,
    #[command(flatten)]
    service: ServiceArgs,
    /// `text` for a terminal, `json` for machines (schema/plan.schema.json), `markdown` for a
    /// pull-request comment.
    #[arg(long, value_enum, default_value = "text")]
    format: PlanFormat,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    detailed_exitcode: bool,
    /// Also write the plan to FILE, with a digest of the config and the version of every live
    /// object read, for `alertform apply FILE`.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let started = std::time::Instant::now();
    let checked = match load_checked(&args.path, args.service.provider) {
        Ok(checked) => checked,
        Err(invalid) if args.format == PlanFormat::Github => {
            return super::annotate(&invalid, "alertform plan", printer);
        }
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    let Some(options) = super::plan_options(&checked, &args.targets, printer) else {
        return ExitStatus::Failure;
    };
    let digest = config_digest(&checked.sources);
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "loaded the config"
    );
    with_service(
        &args.service,
        checked.provider,
        Some(&args.path),
        printer,
        async |connection| plan_with(connection, &checked, &options, args, &digest, printer).await,
    )
}

async fn plan_with(
    connection: &Connection,
    checked: &Checked,
    options: &PlanOptions,
    args: &Args,
    digest: &str,
    printer: &Printer,
) -> ExitStatus {
    let started = std::time::Instant::now();
    let planned = match super::plan_checked(connection, checked, options, printer).await {
        Ok(planned) => planned,
        Err(status) => return status,
    };
    let observed = planned.observed;
    let plan = match planned.plan {
        Ok(plan) => plan,
        Err(errors) => {
            return report_plan_errors(
                &errors,
                checked,
                printer,
                args.format == PlanFormat::Github,
            );
        }
    };
    if let Some(refused) = planned.refused {
        printer.note(format!("error: {refused}"));
        return ExitStatus::Failure;
    }
    let output = match args.format {
        PlanFormat::Text | PlanFormat::Github => render::text(
            &plan,
            &connection.header(),
            Style {
                color: printer.color(),
                diff: false,
            },
        ),
        PlanFormat::Json => render::json(&plan, connection.target.clone()),
        PlanFormat::Markdown => render::markdown(&plan, &connection.header()),
    };
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "planned and rendered"
    );
    printer.out(output.trim_end());
    if let Some(file) = &args.out {
        let saved = render::SavedPlan {
            plan: render::PlanDocument::new(&plan, connection.target.clone()),
            config: args.path.display().to_string(),
            targets: args.targets.clone(),
            config_digest: digest.to_owned(),
            versions: observed
                .versions()
                .map(|(_, id, version)| (id.to_owned(), version))
                .collect(),
        };
        let text = serde_json::to_string_pretty(&saved).expect("a plan serialises");
        if let Err(err) = std::fs::write(file, text + "\n") {
            printer.note(format!(
                "error: cannot write the plan to `{}`: {err}",
                file.display()
            ));
            return ExitStatus::Failure;
        }
        printer.note(format!(
            "Saved the plan to {}; apply it with `alertform apply {}`.",
            file.display(),
            file.display()
        ));
    }
    if args.detailed_exitcode && !plan.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}

/// SHA-256 over every config file's path and contents, in load order.
pub fn config_digest(sources: &config::source::Sources) -> String {
    let paths: Vec<String> = sources
        .iter()
        .map(|(_, f)| f.path.to_string_lossy().into_owned())
        .collect();
    crate::digest::sha256_parts(
        sources
            .iter()
            .zip(&paths)
            .flat_map(|((_, file), path)| [path.as_bytes(), file.text.as_bytes()]),
    )
}
