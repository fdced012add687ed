//! `alertform graph [PATH]`: the config's dependency graph as DOT, offline.

use std::path::PathBuf;

use super::{default_path, report_invalid};
use crate::config;
use crate::exit::ExitStatus;
use crate::plan::render::dot;
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match config::load(&args.path) {
        Ok((_, model)) => {
            printer.out(dot(&model).trim_end());
            ExitStatus::Success
        }
        Err(invalid) => report_invalid(&invalid, printer),
    }
}
