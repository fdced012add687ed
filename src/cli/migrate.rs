//! `alertform migrate SOURCE --to VENDOR --out DIR`: SOURCE's config rewritten for VENDOR
//! ([`crate::migrate`]), written with `export`'s writer, and the report beside it.

use std::path::{Path, PathBuf};

use super::FileFormat;
use super::report_invalid;
use crate::config::source::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The config to move (a file or a directory; typically `export`'s output). Without it,
    /// `--live` reads the account itself.
    #[arg(required_unless_present = "live")]
    source: Option<PathBuf>,
    /// Read the account to move from the live service (`--provider`, `--endpoint`, `--token`)
    /// through `export`, into `DIR/source/`, and migrate that.
    #[arg(long, conflicts_with = "source")]
    live: bool,
    /// The vendor to move to.
    #[arg(long, value_parser = super::service::provider_name())]
    to: crate::model::ProviderName,
    /// Where to write the new config, `MIGRATION.md` and `migration.json`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "toml")]
    format: FileFormat,
    /// Whose config SOURCE is (default: its `settings.provider`).
    #[arg(long, value_parser = super::service::provider_name())]
    source_provider: Option<crate::model::ProviderName>,
    /// Compare who is paged from this time (RFC 3339) instead of the start of today (UTC), so
    /// that two runs on one day write the same files.
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Write into a DIR that holds files already (its config files and report are replaced).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    service: super::service::ServiceArgs,
}

/// Where `--live` writes the account it read, inside `--out`.
const SOURCE_DIR: &str = "source";

/// The files `migrate` writes besides the config.
const REPORTS: [&str; 2] = ["MIGRATION.md", "migration.json"];

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    // Who is paged is compared from `--from`, or from the start of today (UTC).
    let today = || {
        let now = jiff::Timestamp::now().as_second();
        jiff::Timestamp::from_second(now - now.rem_euclid(86_400))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    };
    let Some(now) = super::from_flag(args.from.as_deref(), today, printer) else {
        return ExitStatus::Usage;
    };
    let Some(path) = &args.source else {
        if let Err(message) = prepare(&args.out, args.force) {
            printer.note(format!("error: {message}"));
            return ExitStatus::Failure;
        }
        return live(args, now, printer);
    };
    migrate(args, (path, now), printer, false)
}

/// `--live`: the account read through `export` into `DIR/source/`, then migrated from there.
fn live(args: &Args, now: jiff::Timestamp, printer: &Printer) -> ExitStatus {
    let provider = args.service.provider_for(None);
    let dir = args.out.join(SOURCE_DIR);
    let read =
        super::service::with_service(&args.service, provider, None, printer, async |connection| {
            match connection.provider.observe().await {
                Ok(observed) => {
                    let exported =
                        crate::export::export(&observed, provider, Format::from(args.format));
                    for note in observed.notes.iter().chain(&exported.notes) {
                        printer.note(format!("note: {note}"));
                    }
                    for part in &exported.incomplete {
                        printer.note(format!(
                            "error: cannot read {part}: it is left to the service, and not migrated"
                        ));
                    }
                    if let Err(message) = write_files(&dir, exported.files, printer) {
                        printer.note(format!("error: {message}"));
                        return ExitStatus::Failure;
                    }
                    if exported.incomplete.is_empty() {
                        ExitStatus::Success
                    } else {
                        ExitStatus::Incomplete
                    }
                }
                Err(err) => {
                    printer.note(format!("error: {err}"));
                    ExitStatus::Failure
                }
            }
        });
    if read == ExitStatus::Failure {
        return read;
    }
    match migrate(args, (&dir, now), printer, true) {
        // What could not be read is not migrated: never a clean exit.
        ExitStatus::Success if read == ExitStatus::Incomplete => ExitStatus::Changes,
        status => status,
    }
}

/// Writes `files` into `dir` (created if missing), each path printed.
fn write_files(dir: &Path, files: Vec<(String, String)>, printer: &Printer) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create `{}`: {err}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|err| format!("cannot write `{}`: {err}", path.display()))?;
        printer.out(path.display());
    }
    Ok(())
}

/// Migrates the config at `source_path` into `args.out`, comparing who is paged from `now`;
/// `prepared` when `--out` was already checked (and cleared with `--force`). Nothing is written
/// or removed before SOURCE is found good.
fn migrate(
    args: &Args,
    (source_path, now): (&Path, jiff::Timestamp),
    printer: &Printer,
    prepared: bool,
) -> ExitStatus {
    let (sources, source, locations) = match crate::config::load_without_secrets(source_path) {
        Ok((sources, model, locations, _unset)) => (sources, model, locations),
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    if !prepared && let Err(message) = prepare(&args.out, args.force) {
        printer.note(format!("error: {message}"));
        return ExitStatus::Failure;
    }
    let from = crate::registry::vendor(
        args.source_provider
            .or(source.settings.provider)
            .unwrap_or_default(),
    );
    let to = crate::registry::vendor(args.to);
    let base = if source_path.is_dir() {
        source_path.to_path_buf()
    } else {
        source_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let locate = |address: &crate::model::Address| {
        let (file, span) = locations.locate(address, "")?;
        let file = sources.get(file);
        let path = file.path.strip_prefix(&base).unwrap_or(&file.path);
        let (line, _) = file.line_col(span.start);
        Some(format!("{}:{line}", path.display()))
    };
    let migration = crate::migrate::migrate(&crate::migrate::Input {
        source: &source,
        from,
        to,
        locate: &locate,
        now,
    });
    let format = Format::from(args.format);
    // A secret keeps the variable the source read it from; an object keeps its lifecycle.
    let written = crate::export::write_model(&migration.model, format);
    let mut files = written.files;
    files.push((
        REPORTS[0].to_owned(),
        crate::migrate::render(&migration, &written.notes),
    ));
    files.push((
        REPORTS[1].to_owned(),
        format!(
            "{}\n",
            serde_json::to_string_pretty(&migration).expect("serialises")
        ),
    ));
    if let Err(message) = write_files(&args.out, files, printer) {
        printer.note(format!("error: {message}"));
        return ExitStatus::Failure;
    }
    for note in &written.notes {
        printer.note(format!("note: {note}"));
    }
    printer.note(format!(
        "Migrated {} objects from {} to {}: {} carried exactly, {} rewritten to keep behaviour, {} changed, {} not carried; {} integration{} to reconnect. Read {}.",
        migration.objects.len(),
        migration.from,
        migration.to,
        migration.count(crate::migrate::Outcome::Carried),
        migration.count(crate::migrate::Outcome::Rewritten),
        migration.count(crate::migrate::Outcome::Changed),
        migration.count(crate::migrate::Outcome::NotCarried),
        migration.reconnect.len(),
        if migration.reconnect.len() == 1 { "" } else { "s" },
        args.out.join(REPORTS[0]).display(),
    ));
    if migration.attention() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}

/// Refuses an `out` that holds files unless `force`; with it, removes the config files and
/// reports a run before wrote (nothing else), so no stale file is read with the new ones.
fn prepare(out: &Path, force: bool) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    let entries: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    if entries.is_empty() {
        return Ok(());
    }
    if !force {
        return Err(format!(
            "`{}` is not empty: write the migration into a new or empty directory, or pass --force to replace the config files and report in it",
            out.display()
        ));
    }
    let mut entries = entries;
    if let Ok(inner) = std::fs::read_dir(out.join(SOURCE_DIR)) {
        entries.extend(inner.filter_map(|e| Some(e.ok()?.path())));
    }
    for path in entries {
        let ours = Format::of(&path).is_some()
            || path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| REPORTS.contains(&n));
        if ours && path.is_file() {
            std::fs::remove_file(&path)
                .map_err(|err| format!("cannot remove `{}`: {err}", path.display()))?;
        }
    }
    Ok(())
}
