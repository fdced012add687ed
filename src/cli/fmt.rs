//! `alertform fmt [PATH] [--check]`

use std::path::PathBuf;

use super::{default_path, report_invalid};
use crate::config::{self, Invalid, fmt::format};
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let sources = match config::read_sources(&args.path) {
        Ok(sources) => sources,
        Err(problem) => {
            return report_invalid(
                &Invalid {
                    sources: config::source::Sources::default(),
                    problems: vec![problem],
                },
                printer,
            );
        }
    };
    let problems: Vec<_> = sources
        .iter()
        .flat_map(|(id, _)| config::syntax_problems(&sources, id))
        .collect();
    if !problems.is_empty() {
        return report_invalid(&Invalid { sources, problems }, printer);
    }
    let mut unformatted = 0;
    for (_, file) in sources.iter() {
        let formatted = format(&file.text, file.format);
        if formatted == *file.text {
            continue;
        }
        unformatted += 1;
        printer.out(file.path.display());
        if !args.check
            && let Err(err) = std::fs::write(&file.path, formatted)
        {
            printer.note(format!(
                "error: cannot write `{}`: {err}",
                file.path.display()
            ));
            return ExitStatus::Failure;
        }
    }
    if args.check && unformatted > 0 {
        printer.note(format!(
            "error: {unformatted} file{} not formatted; run `alertform fmt {}`",
            if unformatted == 1 { " is" } else { "s are" },
            args.path.display()
        ));
        return ExitStatus::Failure;
    }
    ExitStatus::Success
}
