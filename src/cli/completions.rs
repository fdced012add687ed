//! `alertform completions SHELL` and `alertform man`: shell completion scripts and a man page,
//! generated from the same clap definition the commands use, so they cannot drift.

use clap::CommandFactory;

use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// The command line without its hidden subcommands (`dev`): `clap_complete` lists every
/// subcommand, hidden or not, so they are left out of the command it is given.
fn visible() -> clap::Command {
    let full = super::Cli::command();
    let mut command = clap::Command::new("alertform")
        .bin_name("alertform")
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    if let Some(about) = full.get_about() {
        command = command.about(about.clone());
    }
    command
}

pub fn completions(args: &CompletionsArgs, printer: &Printer) -> ExitStatus {
    let mut command = visible();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "alertform", &mut out);
    printer.out(String::from_utf8_lossy(&out).trim_end());
    ExitStatus::Success
}

/// `alertform(1)` in roff: `alertform man > alertform.1`, then `man ./alertform.1`.
pub fn man(_: &ManArgs, printer: &Printer) -> ExitStatus {
    let page = clap_mangen::Man::new(super::Cli::command());
    let mut out = Vec::new();
    if let Err(err) = page.render(&mut out) {
        printer.note(format!("error: cannot render the man page: {err}"));
        return ExitStatus::Failure;
    }
    printer.out(String::from_utf8_lossy(&out).trim_end());
    ExitStatus::Success
}
