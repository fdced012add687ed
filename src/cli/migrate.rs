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
    /// The config to move (a file or a directory; typically `export`'s output).
    source: PathBuf,
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
}

/// The files `migrate` writes besides the config.
const REPORTS: [&str; 2] = ["MIGRATION.md", "migration.json"];

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let (sources, source, locations) = match crate::config::load_without_secrets(&args.source) {
        Ok((sources, model, locations, _unset)) => (sources, model, locations),
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    let now = match args.from.as_deref().map(str::parse::<jiff::Timestamp>) {
        None => {
            let now = jiff::Timestamp::now().as_second();
            jiff::Timestamp::from_second(now - now.rem_euclid(86_400))
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        }
        Some(Ok(at)) => at,
        Some(Err(_)) => {
            printer.note("error: --from must be RFC 3339, e.g. `2027-03-01T00:00:00Z`");
            return ExitStatus::Usage;
        }
    };
    if let Err(message) = prepare(&args.out, args.force) {
        printer.note(format!("error: {message}"));
        return ExitStatus::Failure;
    }
    let from = crate::registry::vendor(
        args.source_provider
            .or(source.settings.provider)
            .unwrap_or_default(),
    );
    let to = crate::registry::vendor(args.to);
    let base = if args.source.is_dir() {
        args.source.clone()
    } else {
        args.source
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
    let observed = crate::observed::Observed::declared(&migration.model);
    let keys: std::collections::HashMap<&str, String> = observed
        .versions()
        .map(|(_, id, _)| (id, id.to_owned()))
        .collect();
    let written = crate::export::write(&observed, &keys, to.name, format);
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
    if let Err(err) = std::fs::create_dir_all(&args.out) {
        printer.note(format!(
            "error: cannot create `{}`: {err}",
            args.out.display()
        ));
        return ExitStatus::Failure;
    }
    for (name, text) in files {
        let path = args.out.join(name);
        if let Err(err) = std::fs::write(&path, text) {
            printer.note(format!("error: cannot write `{}`: {err}", path.display()));
            return ExitStatus::Failure;
        }
        printer.out(path.display());
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
