//! `alertform verify SOURCE TARGET`: whether two configs page the same people at the same times,
//! each as its vendor pages ([`crate::verify`]).

use std::path::PathBuf;

use jiff::Timestamp;

use super::report_invalid;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    Text,
    Json,
    /// A pull-request comment.
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The config moved from (a file or a directory).
    source: PathBuf,
    /// The config moved to.
    target: PathBuf,
    /// Whose paging rules the source follows (default: its `settings.provider`).
    #[arg(long, value_parser = super::service::provider_name())]
    source_provider: Option<crate::model::ProviderName>,
    /// Whose paging rules the target follows (default: its `settings.provider`).
    #[arg(long, value_parser = super::service::provider_name())]
    target_provider: Option<crate::model::ProviderName>,
    /// Compare from this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// How many days from `--from` to compare, besides a day either side of every clock change
    /// of the schedules' zones in the next year.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=366))]
    days: i64,
    #[arg(long, value_enum, default_value = "text")]
    format: VerifyFormat,
    /// Take the target side from the live service's own rendered on-call data (PagerDuty's
    /// `final_schedule`) for each schedule of TARGET, instead of computing it.
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    service: super::service::ServiceArgs,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let load = |path: &PathBuf| crate::config::load(path);
    let (source, target) = match (load(&args.source), load(&args.target)) {
        (Ok((_, s)), Ok((_, t))) => (s, t),
        (Err(invalid), _) | (_, Err(invalid)) => return report_invalid(&invalid, printer),
    };
    let Some(now) = super::from_flag(args.from.as_deref(), Timestamp::now, printer) else {
        return ExitStatus::Usage;
    };
    let vendor = |flag: Option<crate::model::ProviderName>, model: &crate::model::Model| {
        crate::registry::vendor(flag.or(model.settings.provider).unwrap_or_default())
    };
    let (left, right) = (
        vendor(args.source_provider, &source),
        vendor(args.target_provider, &target),
    );
    let zones: Vec<&str> = source
        .schedules
        .values()
        .chain(target.schedules.values())
        .map(|s| s.time_zone.as_str())
        .collect();
    let windows = crate::verify::default_windows(now, args.days, &zones);
    if args.live {
        let provider = args.service.provider_for(target.settings.provider);
        return super::service::with_service(
            &args.service,
            provider,
            Some(&args.target),
            printer,
            async |connection| {
                // Every schedule of TARGET as the service renders it, window by window.
                let mut live: std::collections::BTreeMap<
                    (String, usize),
                    Vec<crate::schedule::Shift>,
                > = std::collections::BTreeMap::new();
                let users: std::collections::BTreeMap<String, String> = target
                    .users
                    .iter()
                    .map(|(key, u)| (u.email.to_lowercase(), key.clone()))
                    .collect();
                for schedule in target.schedules.values() {
                    for (index, &(from, to)) in windows.iter().enumerate() {
                        // A day past the window too: escalation steps wait past its end.
                        let past = to + jiff::SignedDuration::from_hours(24);
                        let rendered = match connection
                            .provider
                            .rendered(&schedule.name, from, past)
                            .await
                        {
                            Ok(Some(rendered)) => rendered,
                            Ok(None) => {
                                printer.note(format!(
                                    "error: the service has no schedule `{}`: apply TARGET first",
                                    schedule.name
                                ));
                                return ExitStatus::Failure;
                            }
                            Err(err) => {
                                printer.note(format!("error: {err}"));
                                return ExitStatus::Failure;
                            }
                        };
                        let shifts = rendered
                            .into_iter()
                            .map(|(start, end, email)| crate::schedule::Shift {
                                user: crate::model::Address::new(
                                    crate::model::Kind::User,
                                    users.get(&email).map_or(email.as_str(), String::as_str),
                                ),
                                layer: 0,
                                start,
                                end,
                            })
                            .collect();
                        live.insert((schedule.name.clone(), index), shifts);
                    }
                }
                let windows_ref = &windows;
                let paging_live = |s: &crate::model::Schedule, a: Timestamp, _b: Timestamp| {
                    let index = windows_ref.iter().position(|w| w.0 == a)?;
                    live.get(&(s.name.clone(), index)).cloned()
                };
                let report = crate::verify::compare(
                    (left, &source),
                    ("the live service", &target, &paging_live),
                    &windows,
                );
                print_report(&report, args.format, printer)
            },
        );
    }
    let report = crate::verify::by_vendors((left, &source), (right, &target), &windows);
    print_report(&report, args.format, printer)
}

/// Prints the report as asked; its exit status.
fn print_report(
    report: &crate::verify::Report,
    format: VerifyFormat,
    printer: &Printer,
) -> ExitStatus {
    match format {
        VerifyFormat::Json => {
            printer.out(serde_json::to_string_pretty(report).expect("serialises"));
        }
        VerifyFormat::Text => printer.out(crate::verify::render(report, false).trim_end()),
        VerifyFormat::Markdown => printer.out(crate::verify::render(report, true).trim_end()),
    }
    if report.differs() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}
