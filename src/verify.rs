//! `alertform verify`: whether two configs page the same people at the same times, each as its
//! own vendor pages (its overlap rule, its engine's behaviour), from the configs alone. Pure:
//! the two models, the two vendors' paging, and the windows to compare over go in; every
//! difference comes out, none left unsaid.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::model::{EscalationPolicy, Model, Schedule};
use crate::schedule::Shift;

/// Who a side's vendor pages for one of its schedules over a window.
pub type Paging<'a> =
    &'a dyn Fn(&crate::model::Schedule, Timestamp, Timestamp) -> Option<Vec<Shift>>;

/// One side of the comparison: a config and how its vendor pages.
pub struct Side<'a> {
    pub name: &'a str,
    pub model: &'a Model,
    pub paging: Paging<'a>,
}

/// Everything `verify` found.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Schedules compared, by name.
    pub schedules: Vec<ScheduleReport>,
    /// Schedules of one side with no schedule of the same name on the other.
    pub unmatched: Vec<String>,
    /// The windows compared, UTC.
    pub windows: Vec<(String, String)>,
    /// Escalation policies compared, by name.
    pub escalations: Vec<EscalationReport>,
}

#[derive(Debug, Serialize)]
pub struct EscalationReport {
    pub name: String,
    /// Alert arrivals compared: the windows' starts and every handoff of the schedules the
    /// policy pages, on either side.
    pub arrivals_compared: usize,
    /// How many arrivals are notified differently, and the first of them minute by minute.
    pub arrivals_different: usize,
    pub differences: Vec<StepDifference>,
    /// `repeat` on each side, when it differs.
    pub repeat: Option<(u8, u8)>,
}

/// At one alert arrival, a minute after it at which the two sides notify different people.
#[derive(Debug, Serialize)]
pub struct StepDifference {
    pub arrival: String,
    pub arrival_local: String,
    pub minute: u32,
    #[serde(flatten)]
    pub paged: Paged,
}

/// Whom each side pages (emails, sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paged {
    pub source: Vec<String>,
    pub target: Vec<String>,
}

impl Paged {
    /// `a@x → b@x`.
    pub fn arrow(&self) -> String {
        format!("{} → {}", people(&self.source), people(&self.target))
    }

    /// `source pages a@x; target pages b@x`, with `verb` for "pages".
    fn said(&self, verb: &str) -> String {
        let (source, target) = (people(&self.source), people(&self.target));
        format!("source {verb} {source}; target {verb} {target}")
    }
}

/// At most this many step differences are listed per policy (all are counted).
const LISTED: usize = 20;
/// At most this many arrivals are compared per policy.
const ARRIVALS: usize = 5_000;

/// One step of a policy with its fixed part worked out once: the minute after arrival it
/// notifies at, the people it names (groups expanded, lowercased emails) and the schedules it
/// pages, whose people depend on the moment.
struct Resolved<'m> {
    minute: u32,
    people: Vec<String>,
    schedules: Vec<&'m str>,
}

/// `policy`'s steps as `side` names them.
fn resolve<'m>(side: &Side<'m>, policy: &'m crate::model::EscalationPolicy) -> Vec<Resolved<'m>> {
    let mut minute = 0u32;
    let mut out = Vec::new();
    for step in &policy.steps {
        minute += u32::from(step.delay_minutes);
        let mut people: Vec<String> = Vec::new();
        let mut schedules = Vec::new();
        let mut stack: Vec<&crate::model::Address> = step.notify.iter().collect();
        let mut seen = std::collections::BTreeSet::new();
        while let Some(address) = stack.pop() {
            if !seen.insert(address) {
                continue;
            }
            match address.kind {
                crate::model::Kind::User => people.extend(
                    side.model
                        .users
                        .get(&address.key)
                        .map(|u| u.email.to_lowercase()),
                ),
                crate::model::Kind::Group => {
                    if let Some(group) = side.model.groups.get(&address.key) {
                        stack.extend(group.members.iter());
                    }
                }
                crate::model::Kind::Schedule => schedules.push(address.key.as_str()),
                _ => {}
            }
        }
        out.push(Resolved {
            minute,
            people,
            schedules,
        });
    }
    out
}

/// Who the `steps` notify for an alert arriving at `at`: (minute after arrival, emails), one
/// entry per minute (steps that run at the same minute notify as one); schedules give whom
/// their vendor pages at that minute.
fn notified(
    steps: &[Resolved<'_>],
    timelines: &BTreeMap<&str, (Vec<Shift>, Timeline)>,
    at: Timestamp,
) -> Vec<(u32, Vec<String>)> {
    let mut out: Vec<(u32, Vec<String>)> = Vec::new();
    for step in steps {
        let when = at + SignedDuration::from_mins(i64::from(step.minute));
        let mut who = step.people.clone();
        for key in &step.schedules {
            if let Some((_, timeline)) = timelines.get(key) {
                who.extend(timeline.at(when).iter().cloned());
            }
        }
        match out.last_mut() {
            Some((m, earlier)) if *m == step.minute => earlier.extend(who),
            _ => out.push((step.minute, who)),
        }
    }
    for (_, who) in &mut out {
        who.sort();
        who.dedup();
    }
    out
}

/// Each of `side`'s schedules rendered once over the windows (and a day past each, for steps
/// that wait), sorted, for every arrival and step to look up.
fn timelines<'m>(
    side: &Side<'m>,
    windows: &[(Timestamp, Timestamp)],
) -> BTreeMap<&'m str, (Vec<Shift>, Timeline)> {
    side.model
        .schedules
        .iter()
        .map(|(key, schedule)| {
            let mut shifts: Vec<Shift> = windows
                .iter()
                .flat_map(|&(from, to)| {
                    (side.paging)(schedule, from, to + SignedDuration::from_hours(24))
                        .unwrap_or_default()
                })
                .collect();
            shifts.sort_by_key(|s| s.start);
            let timeline = Timeline::new(side.model, &shifts);
            (key.as_str(), (shifts, timeline))
        })
        .collect()
}

/// Every arrival worth comparing for `policy`: every handoff, within the windows, of the
/// schedules it pages (from their rendered `timelines`).
fn handoffs(
    policy: &crate::model::EscalationPolicy,
    timelines: &BTreeMap<&str, (Vec<Shift>, Timeline)>,
    windows: &[(Timestamp, Timestamp)],
    into: &mut Vec<Timestamp>,
) {
    for address in policy.steps.iter().flat_map(|s| &s.notify) {
        if address.kind != crate::model::Kind::Schedule {
            continue;
        }
        if let Some((shifts, _)) = timelines.get(address.key.as_str()) {
            into.extend(
                shifts
                    .iter()
                    .map(|s| s.start)
                    .filter(|t| windows.iter().any(|(a, b)| a <= t && t < b)),
            );
        }
    }
}

/// Compares every escalation policy of `source` with the one of the same name in `target`: for
/// an alert arriving at each window's start and each handoff, who each step notifies.
fn escalations<'m>(
    source: &Side<'m>,
    target: &Side<'m>,
    windows: &[(Timestamp, Timestamp)],
    report: &mut Report,
) {
    let (left_timelines, right_timelines) =
        (timelines(source, windows), timelines(target, windows));
    let policies = |side: &Side<'m>| -> Vec<(&'m str, &'m EscalationPolicy)> {
        let all = side.model.escalation_policies.values();
        all.map(|p| (p.name.as_str(), p)).collect()
    };
    let unmatched = &mut report.unmatched;
    for (policy, other) in same_names((source, target), policies, "escalation policy", unmatched) {
        let mut arrivals: Vec<Timestamp> = windows.iter().map(|w| w.0).collect();
        handoffs(policy, &left_timelines, windows, &mut arrivals);
        handoffs(other, &right_timelines, windows, &mut arrivals);
        arrivals.sort();
        arrivals.dedup();
        arrivals.truncate(ARRIVALS);
        let zone = policy
            .steps
            .iter()
            .flat_map(|s| &s.notify)
            .filter(|a| a.kind == crate::model::Kind::Schedule)
            .find_map(|a| source.model.schedules.get(&a.key))
            .and_then(|s| jiff::tz::db().get(&s.time_zone).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let mut escalation = EscalationReport {
            name: policy.name.clone(),
            arrivals_compared: arrivals.len(),
            arrivals_different: 0,
            differences: Vec::new(),
            repeat: (policy.repeat != other.repeat).then_some((policy.repeat, other.repeat)),
        };
        let (left_steps, right_steps) = (resolve(source, policy), resolve(target, other));
        for at in arrivals {
            let (left, right) = (
                notified(&left_steps, &left_timelines, at),
                notified(&right_steps, &right_timelines, at),
            );
            if left == right {
                continue;
            }
            escalation.arrivals_different += 1;
            if escalation.differences.len() >= LISTED {
                continue;
            }
            let minutes: std::collections::BTreeSet<u32> =
                left.iter().chain(&right).map(|(m, _)| *m).collect();
            for minute in minutes {
                let at_minute = |steps: &[(u32, Vec<String>)]| -> Vec<String> {
                    steps
                        .iter()
                        .filter(|(m, _)| *m == minute)
                        .flat_map(|(_, w)| w.iter().cloned())
                        .collect()
                };
                let (a, b) = (at_minute(&left), at_minute(&right));
                if a != b {
                    escalation.differences.push(StepDifference {
                        arrival: utc(at),
                        arrival_local: zone
                            .to_datetime(at)
                            .strftime("%a %Y-%m-%d %H:%M")
                            .to_string(),
                        minute,
                        paged: Paged {
                            source: a,
                            target: b,
                        },
                    });
                }
            }
        }
        report.escalations.push(escalation);
    }
}

impl Report {
    /// Whether anything differs or is missing.
    pub fn differs(&self) -> bool {
        !self.unmatched.is_empty()
            || self.schedules.iter().any(|s| !s.differences.is_empty())
            || self
                .escalations
                .iter()
                .any(|e| e.arrivals_different > 0 || e.repeat.is_some())
    }
}

#[derive(Debug, Serialize)]
pub struct ScheduleReport {
    pub name: String,
    pub time_zone: String,
    /// Hours compared, and hours in which the two sides page different people.
    pub hours_compared: f64,
    pub hours_different: f64,
    pub differences: Vec<Difference>,
}

/// An interval in which the two sides page different people (emails, sorted).
#[derive(Debug, Serialize)]
pub struct Difference {
    pub start: String,
    pub end: String,
    pub start_local: String,
    pub end_local: String,
    #[serde(flatten)]
    pub paged: Paged,
}

/// The windows `verify` compares over by default: the next `days` from `now`, and a day either
/// side of every clock change in the next year of each of `zones`, merged.
pub fn default_windows(now: Timestamp, days: i64, zones: &[&str]) -> Vec<(Timestamp, Timestamp)> {
    let mut windows = vec![(now, now + SignedDuration::from_hours(24 * days))];
    let year = now + SignedDuration::from_hours(24 * 366);
    for zone in zones {
        let Ok(tz) = jiff::tz::db().get(zone) else {
            continue;
        };
        let mut at = now;
        let mut offset = tz.to_offset(at);
        while at < year {
            let next = at + SignedDuration::from_hours(1);
            let later = tz.to_offset(next);
            if later != offset {
                windows.push((
                    next - SignedDuration::from_hours(24),
                    next + SignedDuration::from_hours(24),
                ));
                offset = later;
            }
            at = next;
        }
    }
    crate::schedule::merge_spans(windows, (Timestamp::MIN, Timestamp::MAX))
}

/// `a@x, b@x`, or "nobody".
pub fn people(emails: &[String]) -> String {
    if emails.is_empty() {
        "nobody".to_owned()
    } else {
        emails.join(", ")
    }
}

/// Who is on call, piece by piece: from each of `cuts` until the next, `who` (sorted,
/// lowercased emails). Built once per rendering, so each look-up is a binary search rather
/// than a pass over every shift.
struct Timeline {
    cuts: Vec<Timestamp>,
    who: Vec<Vec<String>>,
}

impl Timeline {
    fn new(model: &Model, shifts: &[Shift]) -> Timeline {
        let email = |s: &Shift| {
            model
                .users
                .get(&s.user.key)
                .map_or_else(|| s.user.to_string(), |u| u.email.to_lowercase())
        };
        // (when, +1 or -1, who), ends before starts at the same instant.
        let mut events: Vec<(Timestamp, i32, String)> = Vec::with_capacity(shifts.len() * 2);
        for s in shifts.iter().filter(|s| s.start < s.end) {
            let who = email(s);
            events.push((s.start, 1, who.clone()));
            events.push((s.end, -1, who));
        }
        events.sort_by_key(|e| (e.0, e.1));
        let mut active: BTreeMap<String, i32> = BTreeMap::new();
        let (mut cuts, mut who) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < events.len() {
            let at = events[i].0;
            while i < events.len() && events[i].0 == at {
                let (_, delta, email) = &events[i];
                let count = active.entry(email.clone()).or_default();
                *count += delta;
                if *count <= 0 {
                    active.remove(email);
                }
                i += 1;
            }
            cuts.push(at);
            who.push(active.keys().cloned().collect());
        }
        Timeline { cuts, who }
    }

    /// Who is on call at `at`.
    fn at(&self, at: Timestamp) -> &[String] {
        match self.cuts.partition_point(|c| *c <= at) {
            0 => &[],
            n => &self.who[n - 1],
        }
    }
}

/// `source` as its vendor pages it against `target` paged by `paging` (its vendor's rules, or
/// what the live service renders), under `name`.
pub fn compare(
    (vendor, source): (&crate::provider::Descriptor, &Model),
    (name, target, paging): (&str, &Model, Paging<'_>),
    windows: &[(Timestamp, Timestamp)],
) -> Report {
    let paging_left = |s: &crate::model::Schedule, a, b| crate::registry::paged(vendor, s, a, b);
    verify(
        &Side {
            name: vendor.display_name,
            model: source,
            paging: &paging_left,
        },
        &Side {
            name,
            model: target,
            paging,
        },
        windows,
    )
}

/// Two configs, each as its own vendor pages it.
pub fn by_vendors(
    source: (&crate::provider::Descriptor, &Model),
    (vendor, target): (&crate::provider::Descriptor, &Model),
    windows: &[(Timestamp, Timestamp)],
) -> Report {
    let paging = |s: &crate::model::Schedule, a, b| crate::registry::paged(vendor, s, a, b);
    compare(source, (vendor.display_name, target, &paging), windows)
}

/// Each of the source's objects with the target's of the same name (`objects` lists a side's
/// by name); one the target has none of is said in `unmatched` as a `what`.
fn same_names<'m, T>(
    (source, target): (&Side<'m>, &Side<'m>),
    objects: impl Fn(&Side<'m>) -> Vec<(&'m str, &'m T)>,
    what: &str,
    unmatched: &mut Vec<String>,
) -> Vec<(&'m T, &'m T)> {
    let by_name: BTreeMap<&str, &T> = objects(target).into_iter().collect();
    let mut pairs = Vec::new();
    for (name, object) in objects(source) {
        match by_name.get(name) {
            Some(other) => pairs.push((object, *other)),
            None => unmatched.push(format!(
                "{what} `{name}` of {} has none of that name in {}",
                source.name, target.name
            )),
        }
    }
    pairs
}

/// Compares every schedule of `source` with the schedule of the same name in `target`.
pub fn verify<'m>(
    source: &Side<'m>,
    target: &Side<'m>,
    windows: &[(Timestamp, Timestamp)],
) -> Report {
    let mut report = Report {
        windows: windows.iter().map(|(a, b)| (utc(*a), utc(*b))).collect(),
        ..Report::default()
    };
    let schedules = |side: &Side<'m>| -> Vec<(&'m str, &'m Schedule)> {
        let all = side.model.schedules.values();
        all.map(|s| (s.name.as_str(), s)).collect()
    };
    let unmatched = &mut report.unmatched;
    for (schedule, other) in same_names((source, target), schedules, "schedule", unmatched) {
        let zone = jiff::tz::db()
            .get(&schedule.time_zone)
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let local = |t: Timestamp| {
            zone.to_datetime(t)
                .strftime("%a %Y-%m-%d %H:%M")
                .to_string()
        };
        let mut differences: Vec<Difference> = Vec::new();
        let (mut compared, mut different) = (0.0, 0.0);
        for &(from, to) in windows {
            let mine = (source.paging)(schedule, from, to).unwrap_or_default();
            let theirs = (target.paging)(other, from, to).unwrap_or_default();
            let (left_timeline, right_timeline) = (
                Timeline::new(source.model, &mine),
                Timeline::new(target.model, &theirs),
            );
            let mut cuts = vec![from, to];
            for s in mine.iter().chain(&theirs) {
                cuts.push(s.start.clamp(from, to));
                cuts.push(s.end.clamp(from, to));
            }
            cuts.sort();
            cuts.dedup();
            for pair in cuts.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let hours = b.duration_since(a).as_secs_f64() / 3600.0;
                compared += hours;
                let (left, right) = (left_timeline.at(a).to_vec(), right_timeline.at(a).to_vec());
                if left == right {
                    continue;
                }
                different += hours;
                match differences.last_mut() {
                    Some(last)
                        if last.end == utc(a)
                            && last.paged.source == left
                            && last.paged.target == right =>
                    {
                        last.end = utc(b);
                        last.end_local = local(b);
                    }
                    _ => differences.push(Difference {
                        start: utc(a),
                        end: utc(b),
                        start_local: local(a),
                        end_local: local(b),
                        paged: Paged {
                            source: left,
                            target: right,
                        },
                    }),
                }
            }
        }
        report.schedules.push(ScheduleReport {
            name: schedule.name.clone(),
            time_zone: schedule.time_zone.clone(),
            hours_compared: compared,
            hours_different: different,
            differences,
        });
    }
    escalations(source, target, windows, &mut report);
    let names: std::collections::BTreeSet<&str> = source
        .model
        .schedules
        .values()
        .map(|s| s.name.as_str())
        .collect();
    for schedule in target.model.schedules.values() {
        if !names.contains(schedule.name.as_str()) {
            report.unmatched.push(format!(
                "schedule `{}` of {} has none of that name in {}",
                schedule.name, target.name, source.name
            ));
        }
    }
    report
}

fn utc(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The report for a terminal, or (`markdown`) for a pull-request comment.
pub fn render(report: &Report, markdown: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if markdown {
        out.push_str("### alertform verify\n\n");
    }
    for schedule in &report.schedules {
        let verdict = if schedule.differences.is_empty() {
            "pages the same people at the same times".to_owned()
        } else {
            format!(
                "differs for {:.1} of {:.1} hours compared",
                schedule.hours_different, schedule.hours_compared
            )
        };
        if markdown {
            let _ = writeln!(
                out,
                "- **{}** ({}): {verdict}",
                schedule.name, schedule.time_zone
            );
        } else {
            let _ = writeln!(
                out,
                "schedule `{}` ({}): {verdict}",
                schedule.name, schedule.time_zone
            );
        }
        for d in &schedule.differences {
            let _ = writeln!(
                out,
                "  {} {} → {} ({} → {}): {}",
                if markdown { "-" } else { "" },
                d.start_local,
                d.end_local,
                d.start,
                d.end,
                d.paged.said("pages")
            );
        }
    }
    for escalation in &report.escalations {
        let verdict = if escalation.arrivals_different == 0 && escalation.repeat.is_none() {
            format!(
                "notifies the same people at every step for all {} arrivals compared",
                escalation.arrivals_compared
            )
        } else {
            format!(
                "notifies differently for {} of {} arrivals compared",
                escalation.arrivals_different, escalation.arrivals_compared
            )
        };
        let bullet = if markdown { "- " } else { "" };
        let _ = writeln!(
            out,
            "{bullet}escalation policy `{}`: {verdict}",
            escalation.name
        );
        if let Some((a, b)) = escalation.repeat {
            let _ = writeln!(
                out,
                "  {bullet}repeats {a} times in the source, {b} in the target"
            );
        }
        for d in &escalation.differences {
            let _ = writeln!(
                out,
                "  {bullet}an alert at {} ({}), minute {}: {}",
                d.arrival_local,
                d.arrival,
                d.minute,
                d.paged.said("notifies")
            );
        }
    }
    for unmatched in &report.unmatched {
        let _ = writeln!(out, "{}{unmatched}", if markdown { "- " } else { "" });
    }
    let differing = report
        .schedules
        .iter()
        .filter(|s| !s.differences.is_empty())
        .count();
    let escalating = report
        .escalations
        .iter()
        .filter(|e| e.arrivals_different > 0 || e.repeat.is_some())
        .count();
    let _ = writeln!(
        out,
        "\n{} of {} schedules and {escalating} of {} escalation policies differ{}.",
        differing,
        report.schedules.len(),
        report.escalations.len(),
        if report.unmatched.is_empty() {
            String::new()
        } else {
            format!("; {} unmatched", report.unmatched.len())
        }
    );
    out
}
