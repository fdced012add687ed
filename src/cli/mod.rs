//! The command line: parses flags into options and calls one operation per command. No logic
//! lives here beyond wiring and printing.

mod fmt;
mod schema;
mod validate;

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a config offline and print what it declares.
    Validate(validate::Args),
    /// Rewrite config files in canonical form (comments are kept).
    Fmt(fmt::Args),
    /// Print the JSON Schema (draft-07) of the TOML config.
    Schema,
}

/// How `validate` reports problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

/// Where a config is when no path is given.
fn default_path() -> PathBuf {
    PathBuf::from(".")
}

/// Runs the command line of this process.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let printer = Printer::from_env(cli.quiet);
    let status = match cli.command {
        Command::Validate(args) => validate::run(&args, &printer),
        Command::Fmt(args) => fmt::run(&args, &printer),
        Command::Schema => schema::run(&printer),
    };
    status.into()
}

/// Prints every problem of an invalid config and says how many there were.
fn report_invalid(invalid: &Invalid, printer: &Printer) -> ExitStatus {
    for problem in &invalid.problems {
        printer.diagnostic(&problem.to_diagnostic(&invalid.sources));
    }
    let n = invalid.problems.len();
    printer.note(format!(
        "error: the config has {n} problem{}",
        if n == 1 { "" } else { "s" }
    ));
    ExitStatus::Failure
}
