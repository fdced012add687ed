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
    /// One self-contained page: a row per schedule and per layer over the window.
    Html,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file, or a directory of .toml and .hcl files.
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    /// Schedules to answer for (`sre_primary` or `schedule.sre_primary`); all when none.
    schedules: Vec<String>,
    /// Who is on call at this time: `now`, RFC 3339 (`2027-03-28T09:00:00Z`), or a wall-clock
    /// time or date in the schedules' zone (`2027-03-28 09:00`, `2027-03-28T09:00`, `2027-03-28`).
    #[arg(long, value_name = "TIME", conflicts_with_all = ["from", "to", "for_"])]
    at: Option<String>,
    /// Start of the window to list shifts for (default: now); written as for `--at`.
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// End of the window (default: a week after `--from`; at most a year after it).
    #[arg(long, value_name = "TIME", conflicts_with = "for_")]
    to: Option<String>,
    /// How long the window is, instead of `--to`: `14d`, `2w`, `36h`, `90m`, `1w 3d`.
    #[arg(long = "for", id = "for_", value_name = "DURATION")]
    for_: Option<String>,
    /// `text` (local and UTC times), `json` (`[{schedule, user, name, email, layer, start, end}]`,
    /// UTC), `ics` (iCalendar, one event per shift) or `html` (one self-contained page: a bar
    /// per turn, a row per schedule and per layer, gaps, clock changes and now drawn).
    #[arg(long, value_enum, default_value = "text")]
    format: OnCallFormat,
    /// Answer as this vendor pages where layers overlap (Opsgenie pages every layer with someone
    /// on call; the others, like alertform, the last layer); default: `settings.provider`.
    #[arg(long, value_parser = super::service::provider_name())]
    provider: Option<crate::model::ProviderName>,
}

/// The longest window listed at once.
const MAX_WINDOW_DAYS: i64 = 366;

/// The zone a time without an offset is read in: the one all the schedules asked about share.
type Zone<'a> = Result<(&'a str, jiff::tz::TimeZone), String>;

/// A time as a person types it (see `--at`); with the sentence saying how it was read, when it
/// was read in a zone.
fn time(
    text: &str,
    now: Timestamp,
    zone: &Zone<'_>,
) -> Result<(Timestamp, Option<String>), String> {
    let text = text.trim();
    if text == "now" {
        return Ok((now, None));
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok((at, None));
    }
    let civil = text
        .replacen(' ', "T", 1)
        .parse::<jiff::civil::DateTime>()
        .ok()
        .or_else(|| {
            text.parse::<jiff::civil::Date>()
                .ok()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .ok_or_else(|| {
            format!("`{text}` is not a time: write `now`, `2027-03-28 09:00` (in the schedule's zone), `2027-03-28` (its midnight), or RFC 3339 such as `2027-03-28T09:00:00Z`")
        })?;
    let (name, zone) = zone
        .as_ref()
        .map_err(|why| format!("`{text}` has no UTC offset, and {why}"))?;
    let ambiguous = zone.to_ambiguous_timestamp(civil);
    let shown = |offset: jiff::tz::Offset| {
        format!(
            "{}{}",
            civil.strftime("%Y-%m-%dT%H:%M:%S"),
            render::offset_text(offset)
        )
    };
    match ambiguous.offset() {
        jiff::tz::AmbiguousOffset::Unambiguous { offset } => {
            let at = offset.to_timestamp(civil).map_err(|e| e.to_string())?;
            Ok((
                at,
                Some(format!("`{text}` read as {} ({name})", shown(offset))),
            ))
        }
        jiff::tz::AmbiguousOffset::Gap { before, after } => Err(format!(
            "`{text}` does not exist in {name}: the clocks skip it (UTC{before} to UTC{after}); write `{}` or `{}` for the readings either side",
            shown(before),
            shown(after)
        )),
        jiff::tz::AmbiguousOffset::Fold { before, after } => Err(format!(
            "`{text}` happens twice in {name}, as the clocks go back (UTC{before} to UTC{after}): write `{}` (the first) or `{}` (the second)",
            shown(before),
            shown(after)
        )),
    }
}

/// `--for`: a length in weeks, days, hours and minutes (days of 24 hours).
fn length(text: &str) -> Result<SignedDuration, String> {
    text.parse::<jiff::Span>()
        .ok()
        .and_then(|span| {
            span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                .ok()
        })
        .filter(SignedDuration::is_positive)
        .ok_or_else(|| {
            format!("`{text}` is not a length: write `14d`, `2w`, `36h`, `90m` or `1w 3d`")
        })
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let (_, model) = match config::load(&args.path) {
        Ok(loaded) => loaded,
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    let now = Timestamp::now();
    // Times without an offset are read in the zone of the schedules asked about.
    let mut zones: Vec<&str> = args
        .schedules
        .iter()
        .filter_map(|k| {
            model
                .schedules
                .get(k.strip_prefix("schedule.").unwrap_or(k))
        })
        .chain(
            args.schedules
                .is_empty()
                .then(|| model.schedules.values())
                .into_iter()
                .flatten(),
        )
        .map(|s| s.time_zone.as_str())
        .collect();
    zones.sort_unstable();
    zones.dedup();
    let zone: Zone<'_> = match zones.as_slice() {
        [one] => jiff::tz::db()
            .get(one)
            .map(|tz| (*one, tz))
            .map_err(|e| e.to_string()),
        [] => Err("there is no schedule to take a zone from".to_owned()),
        several => Err(format!(
            "the schedules asked about are in several zones ({}): add an offset (`+01:00`) or `Z`, or name one schedule",
            several.join(", ")
        )),
    };
    let mut read_as = Vec::new();
    let mut read = |text: &str| -> Result<Timestamp, String> {
        let (at, how) = time(text, now, &zone)?;
        read_as.extend(how);
        Ok(at)
    };
    let window = (|| -> Result<(Timestamp, Timestamp, Timestamp), String> {
        let week = SignedDuration::from_hours(24 * 7);
        if let Some(at) = &args.at {
            let at = read(at)?;
            return Ok((at, at, at));
        }
        let from = args.from.as_deref().map_or(Ok(now), &mut read)?;
        let to = match (&args.to, &args.for_) {
            (Some(t), _) => read(t)?,
            (None, Some(span)) => from
                .saturating_add(length(span)?)
                .map_err(|e| e.to_string())?,
            (None, None) => from.saturating_add(week).map_err(|e| e.to_string())?,
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
    for how in read_as {
        printer.note(format!("note: {how}"));
    }
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
    let paged = |rota: &Rota, from, to| {
        crate::registry::paged(vendor, rota.schedule, from, to).unwrap_or_default()
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
            users: &model.users,
        });
    }
    let output = match args.format {
        OnCallFormat::Text => render::text(&answers),
        OnCallFormat::Json => render::json(&answers),
        OnCallFormat::Ics => render::ics(&answers, now),
        OnCallFormat::Html => render::html(&answers, from, to, now),
    };
    printer.out(output.trim_end_matches('\n'));
    ExitStatus::Success
}
