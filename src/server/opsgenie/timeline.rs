//! Who Opsgenie has on call, computed by Opsgenie's rules from a schedule as the emulation
//! stores it: the oracle behind `GET /v2/schedules/{id}/timeline` and `/on-calls`. Written apart
//! from alertform's own rotation maths (`crate::schedule`) on purpose, so that a test comparing
//! the two compares two readings, not one.
//!
//! The rules: a rotation's turns start at `startDate` and last `length` days (`daily`), weeks
//! (`weekly`, in the schedule's zone, so a handoff keeps its wall-clock time across a
//! daylight-saving change) or elapsed hours (`hourly`); participant `k mod n` takes turn `k`; a
//! time restriction masks the turn without stopping the rotation; a rotation ends at its
//! `endDate`. **Every rotation with someone on call pages**: the final timeline is every
//! rotation's periods, none hiding another (PagerDuty and alertform give an hour to the later
//! layer alone).

use crate::json::Items;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan};
use serde_json::{Value, json};

/// One stretch of one participant on call in one rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The participant as stored (`{type, id, username}`).
    pub recipient: Value,
}

/// Every rotation of `schedule` (in order) with its periods inside `[from, to)`.
pub fn rotations(schedule: &Value, from: Timestamp, to: Timestamp) -> Vec<(Value, Vec<Period>)> {
    let zone = schedule["timezone"]
        .as_str()
        .and_then(|z| jiff::tz::db().get(z).ok())
        .unwrap_or(TimeZone::UTC);
    schedule["rotations"]
        .items()
        .map(|rotation| (rotation.clone(), periods(rotation, &zone, from, to)))
        .collect()
}

/// [`rotations`] with the schedule's overrides applied, in the order they were made: while an
/// override runs, each rotation it names (all when it names none) has its user on call instead
/// of whoever the rotation has (nobody, for a `none` override), where the rotation has someone.
pub fn with_overrides(
    schedule: &Value,
    from: Timestamp,
    to: Timestamp,
) -> Vec<(Value, Vec<Period>)> {
    let mut lines = rotations(schedule, from, to);
    for o in schedule[super::rules::OVERRIDES].items() {
        let (Some(start), Some(end)) = (instant(&o["startDate"]), instant(&o["endDate"])) else {
            continue;
        };
        let named: Vec<&Value> = o["rotations"].items().collect();
        for (rotation, periods) in &mut lines {
            if !named.is_empty() && !named.iter().any(|n| n["id"] == rotation["id"]) {
                continue;
            }
            let mut next = Vec::with_capacity(periods.len());
            for period in periods.drain(..) {
                let (a, b) = (period.start.max(start), period.end.min(end));
                if a >= b {
                    next.push(period);
                    continue;
                }
                if period.start < a {
                    next.push(Period {
                        end: a,
                        ..period.clone()
                    });
                }
                if o["user"]["type"] == "user" {
                    next.push(Period {
                        start: a,
                        end: b,
                        recipient: o["user"].clone(),
                    });
                }
                if b < period.end {
                    next.push(Period { start: b, ..period });
                }
            }
            *periods = next;
        }
    }
    lines
}

/// The participants on call at `at`, in rotation order, each once, overrides applied.
pub fn on_call(schedule: &Value, at: Timestamp) -> Vec<Value> {
    let mut found: Vec<Value> = Vec::new();
    let end = at.checked_add(1.second()).unwrap_or(at);
    for (_, periods) in with_overrides(schedule, at, end) {
        for period in periods {
            if !found.contains(&period.recipient) {
                found.push(period.recipient);
            }
        }
    }
    found
}

fn instant(value: &Value) -> Option<Timestamp> {
    value.as_str()?.parse().ok()
}

/// Where turn `k` of a rotation starts.
fn turn_start(
    start: Timestamp,
    zone: &TimeZone,
    kind: &str,
    length: i64,
    k: i64,
) -> Option<Timestamp> {
    match kind {
        "hourly" => start.checked_add((k * length).hours()).ok(),
        "daily" | "weekly" => {
            let days = if kind == "weekly" { 7 * length } else { length };
            let zoned = start.to_zoned_datetime(zone.clone());
            zoned
                .checked_add(Span::new().days(k * days))
                .ok()
                .map(|z| z.timestamp())
        }
        _ => None,
    }
}

fn periods(rotation: &Value, zone: &TimeZone, from: Timestamp, to: Timestamp) -> Vec<Period> {
    let mut out = Vec::new();
    let participants: Vec<&Value> = rotation["participants"].items().collect();
    let (Some(start), Some(kind)) = (instant(&rotation["startDate"]), rotation["type"].as_str())
    else {
        return out;
    };
    if participants.is_empty() {
        return out;
    }
    let length = rotation["length"].as_i64().unwrap_or(1).max(1);
    let from = from.max(start);
    let to = instant(&rotation["endDate"]).map_or(to, |end| to.min(end));
    if from >= to {
        return out;
    }
    // The turn holding `from`: estimate by the turn's length in seconds, then step to it.
    let nominal = match kind {
        "hourly" => length * 3600,
        "weekly" => length * 7 * 86_400,
        _ => length * 86_400,
    };
    let mut k = ((from.as_second() - start.as_second()) / nominal - 1).max(0);
    while let Some(next) = turn_start(start, zone, kind, length, k + 1) {
        if next > from {
            break;
        }
        k += 1;
    }
    let n = i64::try_from(participants.len()).unwrap_or(1);
    while let (Some(turn_from), Some(turn_to)) = (
        turn_start(start, zone, kind, length, k),
        turn_start(start, zone, kind, length, k + 1),
    ) {
        if turn_from >= to {
            break;
        }
        let participant = participants[usize::try_from(k.rem_euclid(n)).unwrap_or(0)];
        let (span_from, span_to) = (turn_from.max(from), turn_to.min(to));
        if participant["type"] != "none" && span_from < span_to {
            for (a, b) in allowed(rotation.get("timeRestriction"), zone, span_from, span_to) {
                out.push(Period {
                    start: a,
                    end: b,
                    recipient: participant.clone(),
                });
            }
        }
        k += 1;
    }
    out
}

fn day_index(name: &str) -> Option<i8> {
    super::rules::DAYS
        .iter()
        .position(|d| *d == name)
        .and_then(|i| i8::try_from(i).ok())
}

fn time_of(value: &Value, hour: &str, minute: &str) -> Option<Time> {
    let h = i8::try_from(value[hour].as_i64()?).ok()?;
    let m = i8::try_from(value[minute].as_i64()?).ok()?;
    Time::new(h, m, 0, 0).ok()
}

fn at(zone: &TimeZone, date: Date, time: Time) -> Option<Timestamp> {
    zone.to_ambiguous_timestamp(date.to_datetime(time))
        .compatible()
        .ok()
}

/// The parts of `[from, to)` a time restriction allows (all of it without one).
fn allowed(
    restriction: Option<&Value>,
    zone: &TimeZone,
    from: Timestamp,
    to: Timestamp,
) -> Vec<(Timestamp, Timestamp)> {
    let Some(restriction) = restriction.filter(|r| !r.is_null()) else {
        return vec![(from, to)];
    };
    // Restriction intervals that may meet [from, to): starting from a week before.
    let first = zone
        .to_datetime(from)
        .date()
        .checked_sub(8.days())
        .unwrap_or(Date::MIN);
    let last = zone.to_datetime(to).date();
    let mut windows: Vec<(Timestamp, Timestamp)> = Vec::new();
    let mut date = first;
    while date <= last {
        match restriction["type"].as_str() {
            Some("time-of-day") => {
                let r = &restriction["restriction"];
                if let (Some(s), Some(e)) = (
                    time_of(r, "startHour", "startMin"),
                    time_of(r, "endHour", "endMin"),
                ) {
                    let end_date = if e > s {
                        date
                    } else {
                        date.tomorrow().unwrap_or(date)
                    };
                    windows.extend(at(zone, date, s).zip(at(zone, end_date, e)));
                }
            }
            Some("weekday-and-time-of-day") => {
                let today = date.weekday().to_monday_zero_offset();
                for r in restriction["restrictions"].items() {
                    let (Some(start_day), Some(end_day), Some(s), Some(e)) = (
                        r["startDay"].as_str().and_then(day_index),
                        r["endDay"].as_str().and_then(day_index),
                        time_of(r, "startHour", "startMin"),
                        time_of(r, "endHour", "endMin"),
                    ) else {
                        continue;
                    };
                    if start_day != today {
                        continue;
                    }
                    let mut ahead = i64::from((end_day - start_day).rem_euclid(7));
                    if ahead == 0 && e <= s {
                        ahead = 7;
                    }
                    let end_date = date.checked_add(ahead.days()).unwrap_or(date);
                    windows.extend(at(zone, date, s).zip(at(zone, end_date, e)));
                }
            }
            _ => return vec![(from, to)],
        }
        let Ok(next) = date.tomorrow() else { break };
        date = next;
    }
    windows.sort();
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (a, b) in windows {
        let (a, b) = (a.max(from), b.min(to));
        if a >= b {
            continue;
        }
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// A period as the timeline answers it.
pub fn period_json(period: &Period) -> Value {
    let recipient = &period.recipient;
    json!({
        "startDate": period.start.to_string(),
        "endDate": period.end.to_string(),
        "type": "default",
        "recipient": {"id": recipient["id"], "name": recipient["username"], "type": recipient["type"]},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn user(id: &str) -> Value {
        json!({"type": "user", "id": id, "username": format!("{id}@x.io")})
    }

    #[test]
    fn weekly_turns_keep_their_wall_clock_time_across_a_dst_change() {
        let schedule = json!({"timezone": "Europe/London", "rotations": [{
            "type": "weekly", "length": 1, "startDate": "2027-03-22T09:00:00Z",
            "participants": [user("a"), user("b")],
        }]});
        let (_, periods) = rotations(
            &schedule,
            ts("2027-03-22T00:00:00Z"),
            ts("2027-04-12T00:00:00Z"),
        )
        .remove(0);
        let handoffs: Vec<String> = periods.iter().map(|p| p.start.to_string()).collect();
        // 09:00 GMT, then 09:00 BST (08:00 UTC) after the clocks go forward on 28 March.
        assert_eq!(
            handoffs,
            [
                "2027-03-22T09:00:00Z",
                "2027-03-29T08:00:00Z",
                "2027-04-05T08:00:00Z"
            ]
        );
        assert_eq!(periods[1].recipient["id"], "b");
    }

    /// At each instant, `schedule` pages exactly these users, in this order.
    fn pages(schedule: &Value, expected: &[(&str, &[&str])]) {
        for (at, users) in expected {
            let expected: Vec<Value> = users.iter().map(|u| user(u)).collect();
            assert_eq!(on_call(schedule, ts(at)), expected, "at {at}");
        }
    }

    #[test]
    fn restrictions_mask_turns_and_every_rotation_pages() {
        let business = json!({"type": "weekday-and-time-of-day", "restrictions": [
            {"startDay": "monday", "startHour": 9, "startMin": 0, "endDay": "monday", "endHour": 17, "endMin": 0}]});
        let schedule = json!({"timezone": "UTC", "rotations": [
            {"type": "daily", "length": 1, "startDate": "2027-01-04T00:00:00Z", "participants": [user("a")]},
            {"type": "daily", "length": 1, "startDate": "2027-01-04T00:00:00Z", "participants": [user("b")], "timeRestriction": business},
        ]});
        pages(
            &schedule,
            &[
                ("2027-01-04T10:00:00Z", &["a", "b"]),
                ("2027-01-04T18:00:00Z", &["a"]),
                ("2027-01-05T10:00:00Z", &["a"]),
            ],
        );
    }

    #[test]
    fn an_override_replaces_whoever_its_rotations_have_while_it_runs() {
        let mut schedule = json!({"timezone": "UTC", "rotations": [
            {"id": "r1", "type": "daily", "length": 1, "startDate": "2027-01-04T00:00:00Z", "participants": [user("a")]},
            {"id": "r2", "type": "daily", "length": 1, "startDate": "2027-01-04T00:00:00Z", "participants": [user("b")]},
        ]});
        schedule[super::super::rules::OVERRIDES] = json!([
            {"user": user("c"), "startDate": "2027-01-04T10:00:00Z", "endDate": "2027-01-04T12:00:00Z", "rotations": [{"id": "r1"}]},
            {"user": {"type": "none"}, "startDate": "2027-01-04T20:00:00Z", "endDate": "2027-01-04T21:00:00Z", "rotations": []},
        ]);
        pages(
            &schedule,
            &[
                ("2027-01-04T11:00:00Z", &["c", "b"]),
                ("2027-01-04T12:00:00Z", &["a", "b"]),
                ("2027-01-04T20:30:00Z", &[]),
            ],
        );
        let base: usize = rotations(
            &schedule,
            ts("2027-01-04T00:00:00Z"),
            ts("2027-01-05T00:00:00Z"),
        )
        .iter()
        .map(|(_, p)| p.len())
        .sum();
        assert_eq!(base, 2, "the base timeline has no override");
    }

    #[test]
    fn a_night_window_runs_past_midnight() {
        let nights = json!({"type": "time-of-day", "restriction": {"startHour": 22, "startMin": 0, "endHour": 6, "endMin": 0}});
        let schedule = json!({"timezone": "UTC", "rotations": [
            {"type": "hourly", "length": 12, "startDate": "2027-01-04T00:00:00Z", "participants": [user("a"), user("b")], "timeRestriction": nights},
        ]});
        pages(
            &schedule,
            &[
                ("2027-01-04T23:00:00Z", &["b"]),
                ("2027-01-05T03:00:00Z", &["a"]),
                ("2027-01-05T12:00:00Z", &[]),
            ],
        );
    }
}
