//! `alertform lint [PATH]`: warnings about a valid config — schedule hours nobody covers, a
//! schedule no escalation step uses.

use std::path::PathBuf;

use jiff::SignedDuration;

use super::{default_path, report_invalid};
use crate::config;
use crate::exit::ExitStatus;
use crate::model::{Address, Kind};
use crate::printer::Printer;
use crate::schedule::Rota;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    /// Exit 1 when there is any warning (for CI).
    #[arg(long)]
    deny_warnings: bool,
}

/// Gaps are looked for over one full cycle of a schedule's layers, at most this long.
const MAX_CYCLE_DAYS: i64 = 366;

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let (sources, model, locations) = match config::load_located(&args.path) {
        Ok(loaded) => loaded,
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    let mut warnings = Vec::new();
    let used: std::collections::BTreeSet<&str> = model
        .escalation_policies
        .values()
        .flat_map(|p| &p.steps)
        .flat_map(|s| &s.notify)
        .filter(|a| a.kind == Kind::Schedule)
        .map(|a| a.key.as_str())
        .collect();
    for (key, schedule) in &model.schedules {
        let address = Address::new(Kind::Schedule, key);
        let at = locations
            .locate(&address, "")
            .map(|(file, span)| {
                let file = sources.get(file);
                let (line, column) = file.line_col(span.start);
                format!("{}:{line}:{column}: ", file.path.display())
            })
            .unwrap_or_default();
        if !used.contains(key.as_str()) {
            warnings.push(format!(
                "{at}`{address}` is not used by any escalation step: nobody is paged through it"
            ));
        }
        let Some(rota) = Rota::new(schedule) else {
            continue;
        };
        let (from, to) = rota.cycle(SignedDuration::from_hours(24 * MAX_CYCLE_DAYS));
        if let Some((start, end)) = rota.first_gap(from, to) {
            let local = |t: jiff::Timestamp| {
                t.to_zoned_datetime(rota.zone.clone())
                    .strftime("%a %Y-%m-%d %H:%M %Z")
                    .to_string()
            };
            let days = to.duration_since(from).as_hours() / 24;
            warnings.push(format!(
                "{at}`{address}` leaves hours uncovered: nobody is on call from {} to {} (the first gap in its {days}-day cycle)",
                local(start),
                local(end)
            ));
        }
    }
    for warning in &warnings {
        printer.note(format!("warning: {warning}"));
    }
    if warnings.is_empty() {
        printer.out("lint: no warnings");
        ExitStatus::Success
    } else {
        printer.out(format!(
            "lint: {} warning{}",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        ));
        if args.deny_warnings {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    }
}
