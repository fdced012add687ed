//! The command line: parses flags into options and calls one operation per command. No logic
//! lives here beyond wiring and printing.

mod apply;
mod completions;
mod dev;
mod export;
mod fmt;
mod github;
mod graph;
mod lint;
mod migrate;
mod oncall;
mod plan;
mod schema;
mod serve;
mod service;
mod show;
mod validate;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Invalid;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Manage on-call alerting setup (integrations, escalation policies, users, groups) as code.
#[derive(Debug, Parser)]
#[command(name = "alertform", version, about)]
struct Cli {
    /// Print only results and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More log output on stderr: -v for info, -vv for debug (secrets are never logged).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a config offline and print what it declares.
    Validate(validate::Args),
    /// Rewrite config files in canonical form (comments are kept).
    Fmt(fmt::Args),
    /// Print the JSON Schema (draft-07) of the TOML config, or the service's `OpenAPI` document.
    Schema(schema::Args),
    /// Show what would change to make the live service match the config.
    Plan(plan::Args),
    /// Make the live service match the config (or a plan saved with `plan --out`).
    Apply(apply::Args),
    /// Print one live object; secrets only with --reveal.
    Show(show::Args),
    /// Write a config for everything live (to adopt an existing account).
    Export(export::Args),
    /// Print the config's dependency graph as Graphviz DOT.
    Graph(graph::Args),
    /// Who is on call when, from the config's schedules alone (text, JSON or iCalendar).
    Oncall(oncall::Args),
    /// Check what a valid config means: policies that reach nobody who can act, empty groups,
    /// double pages, uncovered schedule hours, … (coded, located; errors exit 1).
    Lint(lint::Args),
    /// Whether two configs page the same people at the same times, each as its vendor pages
    /// (exit 2 when anything differs).
    Verify(verify::Args),
    /// Rewrite a config for another vendor, keeping who is paged or saying exactly what
    /// changes (`MIGRATION.md`; exit 2 when anything is changed, not carried or must be
    /// reconnected).
    Migrate(migrate::Args),
    /// Print a shell completion script: `alertform completions bash > /etc/bash_completion.d/alertform`.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff): `alertform man > alertform.1`.
    Man(completions::ManArgs),
    /// Run the bundled backing service (REST API over `SQLite`).
    Serve(serve::Args),
    /// Tools for developing alertform.
    #[command(subcommand, hide = true)]
    Dev(dev::DevCommand),
}

/// How `validate` reports problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`): annotations on the
    /// changed lines of a pull request.
    Github,
}

/// A config file format, as a flag value (`--format toml|hcl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FileFormat {
    Toml,
    Hcl,
}

impl From<FileFormat> for crate::config::source::Format {
    fn from(format: FileFormat) -> Self {
        match format {
            FileFormat::Toml => Self::Toml,
            FileFormat::Hcl => Self::Hcl,
        }
    }
}

/// Where a config is when no path is given.
fn default_path() -> PathBuf {
    PathBuf::from(".")
}

/// Runs the command line of this process.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err).into(),
    };
    let printer = Printer::from_env(cli.quiet);
    init_logging(cli.verbose);
    let status = match cli.command {
        Command::Validate(args) => validate::run(&args, &printer),
        Command::Fmt(args) => fmt::run(&args, &printer),
        Command::Schema(args) => schema::run(&args, &printer),
        Command::Plan(args) => plan::run(&args, &printer),
        Command::Graph(args) => graph::run(&args, &printer),
        Command::Oncall(args) => oncall::run(&args, &printer),
        Command::Lint(args) => lint::run(&args, &printer),
        Command::Verify(args) => verify::run(&args, &printer),
        Command::Migrate(args) => migrate::run(&args, &printer),
        Command::Completions(args) => completions::completions(&args, &printer),
        Command::Man(args) => completions::man(&args, &printer),
        Command::Apply(args) => apply::run(&args, &printer),
        Command::Show(args) => show::run(&args, &printer),
        Command::Export(args) => export::run(&args, &printer),
        Command::Dev(command) => dev::run(&command, &printer),
        Command::Serve(args) => serve::run(&args, &printer),
    };
    status.into()
}

/// A command line that could not be read: clap's message, and a note for each `ALERTFORM_*`
/// setting that is set but empty (a CI secret that was never filled in), since clap names only
/// the flag. Help and version are not errors.
fn usage_error(err: &clap::Error) -> ExitStatus {
    let _ = err.print();
    if !err.use_stderr() {
        return ExitStatus::Success;
    }
    let mut empty: Vec<String> = std::env::vars_os()
        .filter(|(name, value)| {
            name.to_str().is_some_and(|n| n.starts_with("ALERTFORM_")) && value.is_empty()
        })
        .filter_map(|(name, _)| name.into_string().ok())
        .collect();
    empty.sort();
    for name in empty {
        eprintln!(
            "note: `{name}` is set but empty: give it a value, or unset it (`unset {name}`) to use the default"
        );
    }
    ExitStatus::Usage
}

/// At most this many problems are drawn; a generated or hostile config can have 100,000.
const MAX_SHOWN_PROBLEMS: usize = 50;

/// Prints the problems of an invalid config (the first [`MAX_SHOWN_PROBLEMS`]) and says how many
/// there were.
fn report_invalid(invalid: &Invalid, printer: &Printer) -> ExitStatus {
    for problem in invalid.problems.iter().take(MAX_SHOWN_PROBLEMS) {
        printer.diagnostic(&problem.to_diagnostic(&invalid.sources));
    }
    let n = invalid.problems.len();
    if n > MAX_SHOWN_PROBLEMS {
        printer.note(format!(
            "… and {} more problems, not shown (`alertform validate --format json` lists them all)",
            n - MAX_SHOWN_PROBLEMS
        ));
    }
    let warnings = invalid.problems.iter().filter(|p| p.warning).count();
    let errors = n - warnings;
    printer.note(format!(
        "error: the config has {errors} problem{}{}",
        if errors == 1 { "" } else { "s" },
        match warnings {
            0 => String::new(),
            1 => " and 1 warning".to_owned(),
            w => format!(" and {w} warnings"),
        }
    ));
    ExitStatus::Failure
}

/// A config loaded, validated, and checked against the provider it will be planned with.
struct Checked {
    sources: crate::config::source::Sources,
    model: crate::model::Model,
    locations: crate::config::locations::Locations,
    provider: crate::model::ProviderName,
    /// What loading did to the config for the provider, for plan and apply to say (steps whose
    /// groups `expand_groups` turned into users).
    notes: Vec<String>,
}

/// Loads the config at `path` and reports, as located problems, everything in it that the
/// provider (`flag`, else `settings.provider`) cannot express: nothing is silently dropped.
fn load_checked(
    path: &std::path::Path,
    flag: Option<crate::model::ProviderName>,
) -> Result<Checked, Invalid> {
    let (sources, model, locations) = crate::config::load_located(path)?;
    check_loaded(sources, model, locations, flag)
}

/// [`load_checked`] where unset secrets are warnings, for `validate` (see
/// [`crate::config::load_without_secrets`]).
fn load_checked_without_secrets(
    path: &std::path::Path,
    flag: Option<crate::model::ProviderName>,
) -> Result<(Checked, Vec<crate::config::diagnostic::Problem>), Invalid> {
    let (sources, model, locations, unset) = crate::config::load_without_secrets(path)?;
    check_loaded(sources, model, locations, flag).map(|checked| (checked, unset))
}

/// The instant `--from` gives (RFC 3339), or `default` without it; `None` after saying it is not
/// an instant.
fn from_flag(
    given: Option<&str>,
    default: impl FnOnce() -> jiff::Timestamp,
    printer: &Printer,
) -> Option<jiff::Timestamp> {
    match given.map(str::parse::<jiff::Timestamp>) {
        None => Some(default()),
        Some(Ok(at)) => Some(at),
        Some(Err(_)) => {
            printer.note("error: --from must be RFC 3339, e.g. `2027-03-01T00:00:00Z`");
            None
        }
    }
}

/// The planner's options for `checked`'s provider, limited to `targets` (`KIND.KEY` each);
/// `None` after saying which target is not an address.
fn plan_options(
    checked: &Checked,
    targets: &[String],
    printer: &Printer,
) -> Option<crate::plan::PlanOptions> {
    let mut addresses = Vec::new();
    for target in targets {
        let Some(address) = crate::model::Address::parse(target) else {
            printer.note(format!(
                "error: --target `{target}` is not an address like `integration.grafana_prod`"
            ));
            return None;
        };
        addresses.push(address);
    }
    let capabilities = crate::registry::vendor(checked.provider).capabilities;
    Some(capabilities.plan_options(addresses))
}

fn check_loaded(
    sources: crate::config::source::Sources,
    model: crate::model::Model,
    locations: crate::config::locations::Locations,
    flag: Option<crate::model::ProviderName>,
) -> Result<Checked, Invalid> {
    let provider = flag.or(model.settings.provider).unwrap_or_default();
    let capabilities = crate::registry::vendor(provider).capabilities;
    let unsupported = crate::provider::capabilities::check(
        capabilities,
        crate::registry::vendor(provider).display_name,
        &model,
        &|address, field| locations.written(address, field),
    );
    if !unsupported.is_empty() {
        let label = format!(
            "{} cannot express this",
            crate::registry::vendor(provider).display_name
        );
        let problems = unsupported
            .into_iter()
            .map(|u| locations.problem(&u.address, &u.field, u.said(), &label, u.hint))
            .collect();
        return Err(Invalid { sources, problems });
    }
    let mut model = model;
    let mut notes: Vec<String> = if !capabilities.steps_page_groups && model.settings.expand_groups
    {
        model
            .expand_group_steps()
            .into_iter()
            .map(|step| {
                let said: Vec<String> = step
                    .groups
                    .iter()
                    .map(|(group, users)| {
                        let users: Vec<String> = users.iter().map(ToString::to_string).collect();
                        format!("{group} → {}", users.join(", "))
                    })
                    .collect();
                format!(
                    "escalation_policy.{} step {} pages group users by name (expand_groups): {}",
                    step.policy,
                    step.index + 1,
                    said.join("; ")
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    notes.extend(vendor_paging_differs(
        crate::registry::vendor(provider),
        &model,
    ));
    Ok(Checked {
        sources,
        model,
        locations,
        provider,
        notes,
    })
}

/// For a vendor whose engine pages differently from alertform's timeline (Grafana OnCall), a
/// warning for each schedule where, over the next year, it would: the first instant in the
/// schedule's zone and the hours in all. alertform's timeline stays the correct one.
fn vendor_paging_differs(
    vendor: &crate::provider::Descriptor,
    model: &crate::model::Model,
) -> Vec<String> {
    let Some(pages) = vendor.pages else {
        return Vec::new();
    };
    let from = jiff::Timestamp::now();
    let to = from + jiff::SignedDuration::from_hours(24 * 365);
    let mut warnings = Vec::new();
    for (key, schedule) in &model.schedules {
        let Some(rota) = crate::schedule::Rota::new(schedule) else {
            continue;
        };
        let Some(theirs) = pages(schedule, from, to) else {
            continue;
        };
        let ours = rota.shifts(from, to);
        if let Some((first, total)) = crate::schedule::differences(&ours, &theirs, from, to) {
            let local = rota.zone.to_datetime(first).strftime("%a %Y-%m-%d %H:%M");
            warnings.push(format!(
                "warning: schedule `{key}`: {}'s engine will not page exactly what the config says: from {local} ({}) the two differ for {:.1} hours over the next year; `alertform oncall --provider {}` shows whom it will page, and docs/providers/{}.md (\"Where OnCall pages differently\") why",
                vendor.display_name,
                schedule.time_zone,
                total.as_secs_f64() / 3600.0,
                vendor.name.as_str(),
                vendor.name.as_str().replace('_', "-"),
            ));
        }
    }
    warnings
}

/// Plans `checked` against the connection's service (see [`crate::ops::plan`]); a service that
/// cannot be read is said, and is the command's failure.
async fn plan_checked(
    connection: &service::Connection,
    checked: &Checked,
    options: &crate::plan::PlanOptions,
    printer: &Printer,
) -> Result<crate::ops::Planned, ExitStatus> {
    crate::ops::plan(
        &connection.provider,
        &checked.model,
        &checked.notes,
        options,
    )
    .await
    .map_err(|err| {
        printer.note(format!("error: {err}"));
        ExitStatus::Failure
    })
}

/// Prints why there is no plan. A declared object a read-only kind lacks or differs from is a
/// located problem (it is the config that must change); the rest are plain errors.
fn report_plan_errors(
    errors: &[crate::plan::PlanError],
    checked: &Checked,
    printer: &Printer,
    github: bool,
) -> ExitStatus {
    use crate::plan::PlanError;
    let capabilities = crate::registry::vendor(checked.provider).capabilities;
    let mut problems = Vec::new();
    for error in errors {
        match error {
            PlanError::ReadOnlyMissing { address } => {
                let hint = capabilities
                    .read_only_hint(address.kind)
                    .unwrap_or_default();
                problems.push(checked.locations.problem(
                    address,
                    "",
                    format!(
                        "`{address}` does not exist in {}",
                        crate::registry::vendor(checked.provider).display_name
                    ),
                    "not found in the live service",
                    hint.to_owned(),
                ));
            }
            PlanError::ReadOnlyDiffers { address, fields } => {
                let hint = capabilities
                    .read_only_hint(address.kind)
                    .unwrap_or_default();
                for (field, live, declared) in fields {
                    problems.push(checked.locations.problem(
                        address,
                        field,
                        format!(
                            "`{field}` of `{address}` is {declared} here but {live} in {}, which cannot change {}",
                            crate::registry::vendor(checked.provider).display_name,
                            address.kind.plural()
                        ),
                        "differs from the live object",
                        format!("set it to {live} here, or change it at the source: {hint}"),
                    ));
                }
            }
            other => printer.note(format!("error: {other}")),
        }
    }
    if problems.is_empty() {
        return ExitStatus::Failure;
    }
    let invalid = Invalid {
        sources: checked.sources.clone(),
        problems,
    };
    if github {
        annotate(&invalid, "alertform plan", printer)
    } else {
        report_invalid(&invalid, printer)
    }
}

/// Prints an invalid config's problems as GitHub Actions annotations (`::error file=…::…`), so
/// they show on the changed lines of a pull request.
fn annotate(invalid: &Invalid, title: &str, printer: &Printer) -> ExitStatus {
    for problem in &invalid.problems {
        let p = problem.to_json(&invalid.sources);
        let at = match (&p.file, p.line, p.column) {
            (Some(file), Some(line), Some(column)) => Some((file.as_str(), line, column)),
            _ => None,
        };
        printer.out(github::annotation(
            "error",
            at,
            title,
            &p.message,
            p.help.as_deref(),
        ));
    }
    ExitStatus::Failure
}

/// Logs go to stderr; `RUST_LOG` overrides the level chosen by `-v`.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("alertform={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .try_init();
}

/// A multi-threaded async runtime for commands that talk to a service.
fn runtime() -> Result<tokio::runtime::Runtime, ExitStatus> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| {
            eprintln!("error: cannot start the async runtime: {err}");
            ExitStatus::Failure
        })
}
