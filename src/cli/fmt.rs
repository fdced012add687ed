//! `alertform fmt [PATH…] [--check] [--recursive]`

use std::path::PathBuf;

use super::{default_path, report_invalid};
use crate::config::{self, Invalid, fmt::format};
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config files, or directories of .toml and .hcl files.
    #[arg(default_values_os_t = vec![default_path()])]
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    check: bool,
    /// Also every directory below the ones given that holds .toml or .hcl files (hidden
    /// directories and `target` left out), like `terraform fmt -recursive`.
    #[arg(long, short)]
    recursive: bool,
}

/// The config roots to format: each path given, and with `recursive`, every directory below a
/// directory given that holds config files.
fn roots(args: &Args) -> Vec<PathBuf> {
    fn below(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with('.') && n != "target")
            })
            .collect();
        dirs.sort();
        for sub in dirs {
            if holds_config(&sub) {
                out.push(sub.clone());
            }
            below(&sub, out);
        }
    }
    fn holds_config(dir: &std::path::Path) -> bool {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.filter_map(Result::ok).any(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x == "toml" || x == "hcl")
            })
        })
    }
    let mut out = Vec::new();
    for path in &args.paths {
        if args.recursive && path.is_dir() {
            if holds_config(path) {
                out.push(path.clone());
            }
            below(path, &mut out);
        } else {
            out.push(path.clone());
        }
    }
    out
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let mut unformatted = 0;
    for root in roots(args) {
        match format_root(&root, args.check, printer) {
            Ok(n) => unformatted += n,
            Err(status) => return status,
        }
    }
    if args.check && unformatted > 0 {
        let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        printer.note(format!(
            "error: {unformatted} file{} not formatted; run `alertform fmt {}{}`",
            if unformatted == 1 { " is" } else { "s are" },
            if args.recursive { "--recursive " } else { "" },
            paths.join(" ")
        ));
        return ExitStatus::Failure;
    }
    ExitStatus::Success
}

/// Formats (or, with `check`, lists) the files of one config root; how many were not formatted.
fn format_root(
    path: &std::path::Path,
    check: bool,
    printer: &Printer,
) -> Result<usize, ExitStatus> {
    let sources = match config::read_sources(path) {
        Ok(sources) => sources,
        Err(problem) => {
            return Err(report_invalid(
                &Invalid {
                    sources: config::source::Sources::default(),
                    problems: vec![problem],
                },
                printer,
            ));
        }
    };
    let problems: Vec<_> = sources
        .iter()
        .flat_map(|(id, _)| config::syntax_problems(&sources, id))
        .collect();
    if !problems.is_empty() {
        return Err(report_invalid(&Invalid { sources, problems }, printer));
    }
    let mut unformatted = 0;
    for (_, file) in sources.iter() {
        let formatted = format(&file.text, file.format);
        if formatted == *file.text {
            continue;
        }
        unformatted += 1;
        printer.out(file.path.display());
        if !check && let Err(err) = std::fs::write(&file.path, formatted) {
            printer.note(format!(
                "error: cannot write `{}`: {err}",
                file.path.display()
            ));
            return Err(ExitStatus::Failure);
        }
    }
    Ok(unformatted)
}
