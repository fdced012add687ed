//! Who PagerDuty pages: a schedule's layers and overrides rendered into on-call entries, as
//! `GET /schedules/{id}?since=…&until=…` answers them (`rendered_schedule_entries` per layer,
//! `overrides_subschedule`, `final_schedule`). Pure, and written from PagerDuty's documented
//! rules apart from `crate::schedule`, so that the two can be compared:
//!
//! - a layer's turn `k` starts `k` turn lengths after its `rotation_virtual_start` and goes to
//!   `users[k mod n]`; a turn of whole days steps in calendar days of the schedule's zone (the
//!   handoff keeps its wall-clock time across a DST change), any other turn in elapsed seconds;
//! - a layer pages only between its `start` and its `end`, and, when it has restrictions, only
//!   inside them (a daily restriction every day, a weekly one from its day; each may last up to
//!   a week, measured in wall-clock time of the schedule's zone);
//! - of the layers with someone on call, the last in the list (the highest layer) wins;
//! - an override pages its user from its start to its end above every layer, the one created
//!   last winning where overrides overlap.

use crate::json::Items;
use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan};
use serde_json::Value;

/// One stretch of one user on call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub start: Timestamp,
    pub end: Timestamp,
    pub user: String,
}

const DAY: i64 = 86_400;

fn instant(value: &Value, field: &str) -> Option<Timestamp> {
    value[field].as_str()?.parse().ok()
}

/// The turns of `layer` that touch `[since, until)`, before its span and restrictions apply.
fn turns(layer: &Value, zone: &TimeZone, since: Timestamp, until: Timestamp) -> Vec<Entry> {
    let (Some(virtual_start), Some(length)) = (
        instant(layer, "rotation_virtual_start"),
        layer["rotation_turn_length_seconds"].as_i64(),
    ) else {
        return Vec::new();
    };
    let users: Vec<String> = layer["users"]
        .items()
        .filter_map(|u| u["user"]["id"].as_str().map(str::to_owned))
        .collect();
    if users.is_empty() || length <= 0 {
        return Vec::new();
    }
    let origin = zone.to_datetime(virtual_start);
    let step: Box<dyn Fn(i64) -> Option<Timestamp>> = if length % DAY == 0 {
        let (days, zone) = (length / DAY, zone.clone());
        Box::new(move |k| {
            origin
                .checked_add((k * days).days())
                .ok()
                .and_then(|dt| zone_instant(&zone, dt))
        })
    } else {
        Box::new(move |k| {
            virtual_start
                .checked_add(Span::new().seconds(k * length))
                .ok()
        })
    };
    // The first turn to look at: an estimate in elapsed time, walked back until it starts
    // no later than `since`.
    let mut k = (since.as_second() - virtual_start.as_second()).div_euclid(length) - 1;
    while step(k).is_some_and(|t| t > since) {
        k -= 1;
    }
    let n = i64::try_from(users.len()).unwrap_or(1);
    let mut out = Vec::new();
    while let (Some(start), Some(end)) = (step(k), step(k + 1)) {
        if start >= until {
            break;
        }
        if end > since {
            let who = usize::try_from(k.rem_euclid(n)).unwrap_or(0);
            out.push(Entry {
                start,
                end,
                user: users[who].clone(),
            });
        }
        k += 1;
    }
    out
}

/// A wall-clock time in `zone` as an instant: one the clocks skip moves past the gap, one they
/// repeat is its first reading.
fn zone_instant(zone: &TimeZone, at: DateTime) -> Option<Timestamp> {
    zone.to_ambiguous_timestamp(at).compatible().ok()
}

/// The stretches `[since, until)` in which `layer`'s restrictions let it page (all of it
/// without restrictions).
fn allowed(
    layer: &Value,
    zone: &TimeZone,
    since: Timestamp,
    until: Timestamp,
) -> Vec<(Timestamp, Timestamp)> {
    let restrictions = layer["restrictions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if restrictions.is_empty() {
        return vec![(since, until)];
    }
    let mut out = Vec::new();
    // Every restriction's occurrences from a week before `since` (one may last a week).
    let first_day = zone
        .to_datetime(since)
        .date()
        .checked_sub(8.days())
        .unwrap_or_default();
    let last_day = zone.to_datetime(until).date();
    for restriction in &restrictions {
        let (Some(from), Some(duration)) = (
            restriction["start_time_of_day"]
                .as_str()
                .and_then(|t| Time::strptime("%H:%M:%S", t).ok()),
            restriction["duration_seconds"].as_i64(),
        ) else {
            continue;
        };
        let weekday = restriction["start_day_of_week"].as_i64();
        let weekly = restriction["type"] == "weekly_restriction";
        let mut day = first_day;
        while day <= last_day {
            let on = !weekly || weekday == Some(i64::from(day.weekday().to_monday_one_offset()));
            if on {
                let begin = day.to_datetime(from);
                let end = begin.checked_add(duration.seconds()).ok();
                if let (Some(a), Some(b)) = (
                    zone_instant(zone, begin),
                    end.and_then(|e| zone_instant(zone, e)),
                ) {
                    out.push((a, b));
                }
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
    }
    crate::schedule::merge_spans(out, (since, until))
}

/// Who `layer` pages in `[since, until)`, in the schedule's `zone`.
pub fn layer_entries(
    layer: &Value,
    zone: &TimeZone,
    since: Timestamp,
    until: Timestamp,
) -> Vec<Entry> {
    let since = instant(layer, "start").map_or(since, |start| since.max(start));
    let until = instant(layer, "end").map_or(until, |end| until.min(end));
    if since >= until {
        return Vec::new();
    }
    let spans = allowed(layer, zone, since, until);
    let mut out = Vec::new();
    for turn in turns(layer, zone, since, until) {
        for &(a, b) in &spans {
            let (start, end) = (turn.start.max(a).max(since), turn.end.min(b).min(until));
            if start < end {
                out.push(Entry {
                    start,
                    end,
                    user: turn.user.clone(),
                });
            }
        }
    }
    out.sort_by_key(|e| e.start);
    joined(out)
}

/// Entries side by side with the same user made one.
fn joined(entries: Vec<Entry>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for entry in entries {
        match out.last_mut() {
            Some(last) if last.end == entry.start && last.user == entry.user => {
                last.end = entry.end;
            }
            _ => out.push(entry),
        }
    }
    out
}

/// Entries stacked in order, each above the ones before it: at every instant, the last list
/// with someone on call wins.
fn stacked(levels: &[Vec<Entry>], since: Timestamp, until: Timestamp) -> Vec<Entry> {
    let mut cuts: Vec<Timestamp> = vec![since, until];
    for entry in levels.iter().flatten() {
        cuts.push(entry.start.max(since).min(until));
        cuts.push(entry.end.max(since).min(until));
    }
    cuts.sort();
    cuts.dedup();
    let mut out = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let who = levels
            .iter()
            .rev()
            .find_map(|level| level.iter().find(|e| e.start <= a && a < e.end));
        if let Some(entry) = who {
            out.push(Entry {
                start: a,
                end: b,
                user: entry.user.clone(),
            });
        }
    }
    joined(out)
}

/// The overrides of `[since, until)` as entries, the one created last (last in `overrides`)
/// above the others.
pub fn override_entries(overrides: &[Value], since: Timestamp, until: Timestamp) -> Vec<Entry> {
    let levels: Vec<Vec<Entry>> = overrides
        .iter()
        .filter_map(|o| {
            Some(vec![Entry {
                start: instant(o, "start")?,
                end: instant(o, "end")?,
                user: o["user"]["id"].as_str()?.to_owned(),
            }])
        })
        .collect();
    stacked(&levels, since, until)
}

/// Who the schedule pages in `[since, until)`: its layers by PagerDuty's rule, overrides above.
pub fn final_entries(
    schedule: &Value,
    overrides: &[Value],
    since: Timestamp,
    until: Timestamp,
) -> Vec<Entry> {
    let zone = schedule["time_zone"]
        .as_str()
        .and_then(|z| jiff::tz::db().get(z).ok())
        .unwrap_or(TimeZone::UTC);
    let mut levels: Vec<Vec<Entry>> = schedule["schedule_layers"]
        .items()
        .map(|layer| layer_entries(layer, &zone, since, until))
        .collect();
    levels.push(override_entries(overrides, since, until));
    stacked(&levels, since, until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn who(entries: &[Entry], t: &str) -> Option<String> {
        let t = at(t);
        entries
            .iter()
            .find(|e| e.start <= t && t < e.end)
            .map(|e| e.user.clone())
    }

    fn layer(start: &str, turn: i64, users: &[&str], restrictions: &Value) -> Value {
        json!({
            "start": start, "rotation_virtual_start": start, "rotation_turn_length_seconds": turn,
            "users": users.iter().map(|u| json!({"user": {"id": u}})).collect::<Vec<_>>(),
            "restrictions": restrictions.clone(),
        })
    }

    #[test]
    fn a_weekday_restriction_of_five_days_pages_monday_to_friday_only() {
        let schedule = json!({"time_zone": "Europe/London", "schedule_layers": [
            layer("2026-11-30T00:00:00Z", 86_400, &["A", "B"], &json!([
                {"type": "weekly_restriction", "start_day_of_week": 1, "start_time_of_day": "00:00:00", "duration_seconds": 432_000}
            ])),
        ]});
        let e = final_entries(
            &schedule,
            &[],
            at("2026-11-30T00:00:00Z"),
            at("2026-12-14T00:00:00Z"),
        );
        let expected = [
            ("2026-11-30T12:00:00Z", Some("A"), "Monday: turn 0"),
            ("2026-12-01T12:00:00Z", Some("B"), "Tuesday: turn 1"),
            ("2026-12-04T23:59:00Z", Some("A"), "Friday: turn 4"),
            ("2026-12-05T12:00:00Z", None, "Saturday"),
            ("2026-12-06T12:00:00Z", None, "Sunday"),
            ("2026-12-07T12:00:00Z", Some("B"), "Monday after: turn 7"),
        ];
        for (at, paged, when) in expected {
            assert_eq!(who(&e, at).as_deref(), paged, "{when}");
        }
    }

    #[test]
    fn the_highest_layer_with_someone_on_call_wins_and_overrides_win_over_all() {
        let schedule = json!({"time_zone": "UTC", "schedule_layers": [
            layer("2026-11-30T00:00:00Z", 604_800, &["W"], &json!([])),
            layer("2026-11-30T00:00:00Z", 86_400, &["D"], &json!([
                {"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 28_800}
            ])),
        ]});
        let overrides = [
            json!({"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z", "user": {"id": "O"}}),
        ];
        let e = final_entries(
            &schedule,
            &overrides,
            at("2026-11-30T00:00:00Z"),
            at("2026-12-07T00:00:00Z"),
        );
        assert_eq!(who(&e, "2026-12-01T08:00:00Z").as_deref(), Some("W"));
        assert_eq!(who(&e, "2026-12-01T09:30:00Z").as_deref(), Some("D"));
        assert_eq!(who(&e, "2026-12-01T10:30:00Z").as_deref(), Some("O"));
        assert_eq!(who(&e, "2026-12-01T17:30:00Z").as_deref(), Some("W"));
    }

    #[test]
    fn daily_turns_keep_their_wall_clock_across_dst_and_hour_turns_do_not() {
        let zone = jiff::tz::db().get("Europe/London").unwrap();
        let daily = layer("2027-03-26T09:00:00Z", 86_400, &["A", "B"], &json!([]));
        let week = |layer| {
            layer_entries(
                layer,
                &zone,
                at("2027-03-26T00:00:00Z"),
                at("2027-04-02T00:00:00Z"),
            )
        };
        let e = week(&daily);
        // 09:00 GMT before the change, 09:00 BST (08:00 UTC) after.
        assert!(
            e.iter().any(|x| x.start == at("2027-03-29T08:00:00Z")),
            "{e:?}"
        );
        let hourly = layer("2027-03-26T09:00:00Z", 8 * 3_600, &["A", "B"], &json!([]));
        let e = week(&hourly);
        assert!(
            e.iter().all(
                |x| (x.start.as_second() - at("2027-03-26T09:00:00Z").as_second()) % (8 * 3_600)
                    == 0
                    || x.start == at("2027-03-26T00:00:00Z")
            ),
            "{e:?}"
        );
    }

    #[test]
    fn a_layer_pages_only_inside_its_start_and_end() {
        let mut l = layer("2026-11-30T00:00:00Z", 86_400, &["A"], &json!([]));
        l["start"] = json!("2026-12-02T00:00:00Z");
        l["end"] = json!("2026-12-04T00:00:00Z");
        let zone = TimeZone::UTC;
        let e = layer_entries(
            &l,
            &zone,
            at("2026-11-30T00:00:00Z"),
            at("2026-12-07T00:00:00Z"),
        );
        assert_eq!(
            e,
            [Entry {
                start: at("2026-12-02T00:00:00Z"),
                end: at("2026-12-04T00:00:00Z"),
                user: "A".into()
            }]
        );
    }
}
