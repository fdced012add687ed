//! `alertform dev …`: tools for developing and benchmarking alertform, hidden from help.

use std::path::PathBuf;

use crate::config::source::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, clap::Subcommand)]
pub enum DevCommand {
    /// Write a synthetic org of N objects.
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[arg(long)]
    objects: usize,
    #[arg(long, value_enum, default_value = "toml")]
    format: FileFormat,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FileFormat {
    Toml,
    Hcl,
}

pub fn run(command: &DevCommand, printer: &Printer) -> ExitStatus {
    match command {
        DevCommand::Generate(args) => {
            let format = match args.format {
                FileFormat::Toml => Format::Toml,
                FileFormat::Hcl => Format::Hcl,
            };
            if let Err(err) = std::fs::create_dir_all(&args.out) {
                printer.note(format!(
                    "error: cannot create `{}`: {err}",
                    args.out.display()
                ));
                return ExitStatus::Failure;
            }
            for (name, text) in crate::generate::org(args.objects, format) {
                let path = args.out.join(name);
                if let Err(err) = std::fs::write(&path, text) {
                    printer.note(format!("error: cannot write `{}`: {err}", path.display()));
                    return ExitStatus::Failure;
                }
            }
            printer.note(format!(
                "wrote an org of about {} objects to {}",
                args.objects,
                args.out.display()
            ));
            ExitStatus::Success
        }
    }
}
