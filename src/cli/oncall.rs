//! `alertform oncall [PATH] [SCHEDULE…] [--at TIME | --from TIME --to TIME]`: who is on call,
//! from the config alone.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

use super::{default_path, report_invalid};
use crate::config;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::schedule::Rota;
use crate::schedule::render::{self, Answer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnCallFormat {
    Text,
    Json,
    Ics,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    /// Schedules to answer for (`sre_primary` or `schedule.sre_primary`); all when none.
    schedules: Vec<String>,
    /// Who is on call at this time (RFC 3339, or `now`).
    #[arg(long, value_name = "TIME", conflicts_with_all = ["from", "to"])]
    at: Option<String>,
    /// Start of the window to list shifts for (default: now).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// End of the window (default: a week after `--from`; at most a year after it).
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// `text` (local and UTC times), `json` (`[{schedule, user, layer, start, end}]`, UTC) or
    /// `ics` (iCalendar, one event per shift).
    #[arg(long, value_enum, default_value = "text")]
    format: OnCallFormat,
    /// Answer as this vendor pages where layers overlap (Opsgenie pages every layer with someone
    /// on call; the others, like alertform, the last layer); default: `settings.provider`.
    #[arg(long, value_parser = super::service::provider_name())]
    provider: Option<crate::model::ProviderName>,
}

/// The longest window listed at once.
const MAX_WINDOW_DAYS: i64 = 366;

fn time(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    if text == "now" {
        return Ok(now);
    }
    text.parse::<Timestamp>().map_err(|_| {
        format!("`{text}` is not a time: use RFC 3339, e.g. `2027-03-28T09:00:00Z` or `2027-03-28T10:00:00+01:00`, or `now`")
    })
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let (_, model) = match config::load(&args.path) {
        Ok(loaded) => loaded,
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    let now = Timestamp::now();
    let window = (|| -> Result<(Timestamp, Timestamp, Timestamp), String> {
        let week = SignedDuration::from_hours(24 * 7);
        if let Some(at) = &args.at {
            let at = time(at, now)?;
            return Ok((at, at, at));
        }
        let from = args.from.as_deref().map_or(Ok(now), |t| time(t, now))?;
        let to = match &args.to {
            Some(t) => time(t, now)?,
            None => from.saturating_add(week).map_err(|e| e.to_string())?,
        };
        if to <= from {
            return Err("--to must be after --from".to_owned());
        }
        if to.duration_since(from) > SignedDuration::from_hours(24 * MAX_WINDOW_DAYS) {
            return Err(format!(
                "the window is longer than {MAX_WINDOW_DAYS} days; ask for less at a time"
            ));
        }
        Ok((from, to, if (from..to).contains(&now) { now } else { from }))
    })();
    let (from, to, at) = match window {
        Ok(window) => window,
        Err(message) => {
            printer.note(format!("error: {message}"));
            return ExitStatus::Failure;
        }
    };
    let mut keys: Vec<&str> = Vec::new();
    for wanted in &args.schedules {
        let key = wanted.strip_prefix("schedule.").unwrap_or(wanted);
        if !model.schedules.contains_key(key) {
            let hint = crate::words::did_you_mean(key, model.schedules.keys().map(String::as_str))
                .unwrap_or_else(|| {
                    format!(
                        "the schedules are: {}",
                        model
                            .schedules
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
            printer.note(format!("error: no schedule `{key}` in the config; {hint}"));
            return ExitStatus::Failure;
        }
        keys.push(key);
    }
    if keys.is_empty() {
        keys = model.schedules.keys().map(String::as_str).collect();
    }
    if keys.is_empty() {
        printer.note("error: the config declares no schedule");
        return ExitStatus::Failure;
    }
    let vendor = crate::registry::vendor(
        args.provider
            .or(model.settings.provider)
            .unwrap_or_default(),
    );
    let overlap = vendor.capabilities.overlap;
    let rule = if vendor.pages.is_some() {
        Some(format!(
            "as {}'s engine pages, which differs from alertform's rotation in places (see docs/providers)",
            vendor.display_name
        ))
    } else {
        (overlap == crate::model::Overlap::EveryLayerPages).then(|| {
            format!(
                "as {} pages: every layer with someone on call, where layers overlap too",
                vendor.display_name
            )
        })
    };
    // Who the vendor pages over a range: its engine where it has one, else alertform's
    // timeline under its overlap rule.
    let paged = |rota: &Rota, from, to| match vendor.pages {
        Some(pages) => pages(rota.schedule, from, to).unwrap_or_default(),
        None => rota.paged(from, to, overlap),
    };
    let mut answers = Vec::with_capacity(keys.len());
    for key in keys {
        let schedule = &model.schedules[key];
        let Some(rota) = Rota::new(schedule) else {
            printer.note(format!("error: unknown time zone `{}`", schedule.time_zone));
            return ExitStatus::Failure;
        };
        // The whole shift around `at`, not just its instant.
        let around = SignedDuration::from_hours(24 * 62);
        let current: Vec<_> = paged(
            &rota,
            at.saturating_sub(around).unwrap_or(at),
            at.saturating_add(around).unwrap_or(at),
        )
        .into_iter()
        .filter(|s| s.start <= at && at < s.end)
        .collect();
        let shifts = if args.at.is_some() {
            current.clone()
        } else {
            paged(&rota, from, to)
        };
        answers.push(Answer {
            key,
            rota,
            shifts,
            current,
            at,
            rule: rule.clone(),
        });
    }
    let output = match args.format {
        OnCallFormat::Text => render::text(&answers),
        OnCallFormat::Json => render::json(&answers),
        OnCallFormat::Ics => render::ics(&answers, now),
    };
    printer.out(output.trim_end_matches('\n'));
    ExitStatus::Success
}
