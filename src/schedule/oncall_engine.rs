//! What the Grafana OnCall engine really pages for a web schedule's `rolling_users` shifts, as
//! its `final_shifts` answers: pure, from the shifts' wire form, so that the emulation renders
//! any shift written to it and `oncall --provider grafana_oncall` renders what alertform would
//! write. alertform's own timeline (`crate::schedule`) stays the correct one; this is the
//! engine's, with the four ways it differs (observed on grafana/oncall 3666186a, with the
//! mechanism in its source; `docs/providers/grafana-oncall.md`, "Where OnCall pages differently"):
//!
//! 1. A member's turns are skewed by that member's *first* turn: when the first turn spans a
//!    UTC-offset change, every later turn ends an hour early (spring) or late (autumn). (Read
//!    as: each turn ends at its wall-clock end plus the first turn's difference from
//!    `duration` in elapsed time; a later turn across a change with a plain first turn ends
//!    right, as the sources saw.)
//! 2. In a daily rotation, each next member's first turn is the first occurrence at or after the
//!    previous member's first start plus `interval` × 24 elapsed hours: after a 23-hour day, that
//!    member and every later one start a day late (two on call on some days, none on others).
//! 3. `rotation_start` is read as a UTC instant (while `start` is wall-clock time written as if
//!    UTC): a member whose first occurrence starts before it takes the next occurrence at or
//!    after it instead, and the members after follow on, so two share a series.
//! 4. `hourly` rotations step in local wall-clock time (RRULE `FREQ=HOURLY` in the zone).
//!
//! Occurrences step in the schedule's wall-clock time (`daily`, `weekly` and `hourly` alike); a
//! wall-clock time the clocks skip moves past the gap. Of overlapping shifts the highest `level`
//! pages; two members of one shift on call at once both page.

use crate::json::Items;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::Value;

/// One piece of `final_shifts`: a user on call from `start` to `end` (back-to-back pieces of
/// one user are not merged, as the engine's are not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub start: Timestamp,
    pub end: Timestamp,
    pub user: String,
    /// The shift's `level`; the shift's index among those given breaks no tie: equal levels
    /// both page.
    pub level: i64,
    /// The shift's `name`.
    pub shift: String,
}

/// A wall-clock time written as in OnCall's API (`2027-03-28T09:00:00`, with or without `Z`).
fn wall(text: &str) -> Option<DateTime> {
    text.get(..19)?.parse().ok()
}

/// `rotation_start` as the engine reads it: a UTC instant (a bare wall-clock time counts as UTC).
fn utc(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>()
        .ok()
        .or_else(|| local(&TimeZone::UTC, wall(text)?))
}

fn local(zone: &TimeZone, at: DateTime) -> Option<Timestamp> {
    zone.to_ambiguous_timestamp(at).compatible().ok()
}

/// The pieces one `rolling_users` shift pages in `[from, to)`, each member position's series
/// by the engine's rules above.
pub fn shift_pieces(shift: &Value, time_zone: &str, from: Timestamp, to: Timestamp) -> Vec<Piece> {
    let zone = shift["time_zone"]
        .as_str()
        .or(Some(time_zone))
        .and_then(|z| jiff::tz::db().get(z).ok())
        .unwrap_or(TimeZone::UTC);
    let (Some(start), Some(interval), Some(duration)) = (
        shift["start"].as_str().and_then(wall),
        shift["interval"].as_i64().filter(|i| *i > 0),
        shift["duration"].as_i64().filter(|d| *d > 0),
    ) else {
        return Vec::new();
    };
    let rotation_start = shift["rotation_start"]
        .as_str()
        .and_then(utc)
        .or_else(|| utc(shift["start"].as_str()?));
    let frequency = shift["frequency"].as_str().unwrap_or_default();
    let groups: Vec<Vec<String>> = shift["rolling_users"]
        .items()
        .map(|g| {
            g.items()
                .filter_map(|u| u.as_str().map(str::to_owned))
                .collect()
        })
        .collect();
    if groups.is_empty() {
        return Vec::new();
    }
    let n = i64::try_from(groups.len()).unwrap_or(1);
    let first_group = shift["start_rotation_from_user_index"]
        .as_i64()
        .unwrap_or(0);
    // Occurrence j: `start` stepped j times in wall-clock time.
    let occurrence_wall = |j: i64| -> Option<DateTime> {
        let span = match frequency {
            "hourly" => (j * interval).hours(),
            "daily" => (j * interval).days(),
            "weekly" => (j * interval * 7).days(),
            _ => return None,
        };
        start.checked_add(span).ok()
    };
    let occurrence = |j: i64| occurrence_wall(j).and_then(|w| local(&zone, w));
    // Each position's first occurrence (rules 2 and 3).
    let mut firsts: Vec<i64> = Vec::new();
    for p in 0..n {
        let mut j = match (p, firsts.last()) {
            (0, _) | (_, None) => 0,
            (_, Some(&previous)) if frequency == "daily" => {
                let Some(after) =
                    occurrence(previous).map(|t| t + SignedDuration::from_hours(24 * interval))
                else {
                    return Vec::new();
                };
                let mut j = previous + 1;
                while occurrence(j).is_some_and(|t| t < after) {
                    j += 1;
                }
                j
            }
            (_, Some(&previous)) => previous + 1,
        };
        if p > 0
            && let Some(rotation_start) = rotation_start
        {
            while occurrence(j).is_some_and(|t| t < rotation_start) {
                j += 1;
            }
        }
        firsts.push(j);
    }
    let level = shift["level"].as_i64().unwrap_or(0);
    let name = shift["name"].as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for (p, &first) in firsts.iter().enumerate() {
        // Rule 1: the first turn's elapsed length, copied to every later turn.
        let (Some(first_start), Some(first_end)) = (
            occurrence(first),
            occurrence_wall(first)
                .and_then(|w| w.checked_add(duration.seconds()).ok())
                .and_then(|w| local(&zone, w)),
        ) else {
            continue;
        };
        // How far the first turn's elapsed length is from `duration`: a DST change inside it.
        let skew = first_end.duration_since(first_start) - SignedDuration::from_secs(duration);
        let end_of = |j: i64| {
            occurrence_wall(j)
                .and_then(|w| w.checked_add(duration.seconds()).ok())
                .and_then(|w| local(&zone, w))
                .map(|e| if j == first { e } else { e + skew })
        };
        let group =
            &groups[usize::try_from((i64::try_from(p).unwrap_or(0) + first_group).rem_euclid(n))
                .unwrap_or(0)];
        // The first of this position's occurrences that can reach `from`.
        let cycle = n;
        let mut k = 0;
        if let Some(t) = occurrence(first) {
            let per_cycle =
                occurrence(first + cycle).map_or(1, |u| u.duration_since(t).as_secs().max(1));
            k = ((from.as_second() - t.as_second() - 2 * duration) / per_cycle).max(0);
            while k > 0 && end_of(first + k * cycle).is_some_and(|e| e > from) {
                k -= 1;
            }
        }
        while let (Some(s), Some(e)) = (occurrence(first + k * cycle), end_of(first + k * cycle)) {
            if s >= to {
                break;
            }
            if e > from {
                for user in group {
                    out.push(Piece {
                        start: s.max(from),
                        end: e.min(to),
                        user: user.clone(),
                        level,
                        shift: name.clone(),
                    });
                }
            }
            k += 1;
        }
    }
    out.sort_by(|a, b| (a.start, &a.user).cmp(&(b.start, &b.user)));
    out
}

/// What the schedule pages in `[from, to)`: every shift's pieces, cut where a shift of a higher
/// level has someone on call.
pub fn final_shifts(
    shifts: &[Value],
    time_zone: &str,
    from: Timestamp,
    to: Timestamp,
) -> Vec<Piece> {
    let all: Vec<Piece> = shifts
        .iter()
        .filter(|s| s["type"] == "rolling_users")
        .flat_map(|s| shift_pieces(s, time_zone, from, to))
        .collect();
    let mut out = Vec::new();
    for piece in &all {
        // The parts of `piece` no higher level covers.
        let mut parts = vec![(piece.start, piece.end)];
        for higher in all.iter().filter(|h| h.level > piece.level) {
            parts = parts
                .into_iter()
                .flat_map(|(a, b)| {
                    if higher.end <= a || b <= higher.start {
                        vec![(a, b)]
                    } else {
                        [(a, higher.start), (higher.end, b)]
                            .into_iter()
                            .filter(|(x, y)| x < y)
                            .collect()
                    }
                })
                .collect();
        }
        out.extend(parts.into_iter().map(|(start, end)| Piece {
            start,
            end,
            ..piece.clone()
        }));
    }
    out.sort_by(|a, b| (a.start, &a.user).cmp(&(b.start, &b.user)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn shift(start: &str, frequency: &str, interval: i64, duration: i64, users: &[&str]) -> Value {
        json!({
            "name": "L", "type": "rolling_users", "level": 1, "start": start, "rotation_start": start,
            "frequency": frequency, "interval": interval, "duration": duration,
            "rolling_users": users.iter().map(|u| json!([u])).collect::<Vec<_>>(),
            "start_rotation_from_user_index": 0,
        })
    }

    fn who(pieces: &[Piece], t: &str) -> Vec<String> {
        let t = at(t);
        let mut users: Vec<String> = pieces
            .iter()
            .filter(|p| p.start <= t && t < p.end)
            .map(|p| p.user.clone())
            .collect();
        users.sort();
        users
    }

    /// Rule 1, the sources' example: a weekly London rotation handing off Mondays 09:00 whose
    /// first turn spans 2027-03-28 ends every later turn at 07:00 UTC instead of 08:00 UTC.
    #[test]
    fn a_first_turn_across_spring_forward_makes_every_later_turn_an_hour_short() {
        let s = shift("2027-03-22T09:00:00", "weekly", 1, 604_800, &["a"]);
        let p = shift_pieces(
            &s,
            "Europe/London",
            at("2027-03-22T00:00:00Z"),
            at("2027-04-20T00:00:00Z"),
        );
        assert_eq!(
            who(&p, "2027-04-05T07:30:00Z"),
            Vec::<String>::new(),
            "{p:?}"
        );
        assert_eq!(who(&p, "2027-04-05T08:30:00Z"), ["a"]);
        assert_eq!(who(&p, "2027-04-05T06:30:00Z"), ["a"]);
    }

    /// Rule 2, the sources' example: a daily New York rotation of two from 2027-03-13 12:00 puts
    /// the second member on 03-15, 03-17, … (the first member's days).
    #[test]
    fn a_daily_rotation_across_spring_forward_puts_later_members_a_day_late() {
        let s = shift("2027-03-13T12:00:00", "daily", 1, 86_400, &["a", "b"]);
        let p = shift_pieces(
            &s,
            "America/New_York",
            at("2027-03-13T00:00:00Z"),
            at("2027-03-20T00:00:00Z"),
        );
        assert_eq!(
            who(&p, "2027-03-14T18:00:00Z"),
            Vec::<String>::new(),
            "Sunday: nobody"
        );
        assert_eq!(who(&p, "2027-03-15T18:00:00Z"), ["a", "b"], "Monday: both");
        assert_eq!(who(&p, "2027-03-16T18:00:00Z"), Vec::<String>::new());
    }

    /// Rule 3: in Tokyo, `rotation_start` left at the wall-clock start read as UTC is nine
    /// hours late, so 6-hour members after the first move onto later occurrences.
    #[test]
    fn rotation_start_read_as_utc_moves_members_in_zones_ahead_of_utc() {
        let s = shift(
            "2027-01-04T00:00:00",
            "hourly",
            6,
            21_600,
            &["a", "b", "c", "d"],
        );
        let p = shift_pieces(
            &s,
            "Asia/Tokyo",
            at("2027-01-03T00:00:00Z"),
            at("2027-01-06T00:00:00Z"),
        );
        // Tokyo 06:00 (21:00Z the day before) should be b's; the engine has nobody there.
        assert_eq!(
            who(&p, "2027-01-03T21:30:00Z"),
            Vec::<String>::new(),
            "{p:?}"
        );
        let mut fixed = s.clone();
        fixed["rotation_start"] = json!("2027-01-03T15:00:00Z");
        let p = shift_pieces(
            &fixed,
            "Asia/Tokyo",
            at("2027-01-03T00:00:00Z"),
            at("2027-01-06T00:00:00Z"),
        );
        assert_eq!(who(&p, "2027-01-03T21:30:00Z"), ["b"]);
        assert_eq!(who(&p, "2027-01-04T03:30:00Z"), ["c"]);
    }

    /// Rule 4: a 12-hour London rotation handing off at 08:00/20:00 keeps doing so after the
    /// spring change (alertform's elapsed hours hand off at 09:00/21:00 BST).
    #[test]
    fn hourly_rotations_step_in_wall_clock_time() {
        let s = shift("2027-03-20T08:00:00", "hourly", 12, 43_200, &["a", "b"]);
        let p = shift_pieces(
            &s,
            "Europe/London",
            at("2027-03-20T00:00:00Z"),
            at("2027-04-03T00:00:00Z"),
        );
        // 08:00 BST = 07:00Z on 2027-03-30: a handoff there.
        assert!(
            p.iter().any(|x| x.start == at("2027-03-30T07:00:00Z")),
            "{p:?}"
        );
    }

    /// Where none of the four applies (first turns clear of DST changes, days and weeks), the
    /// engine pages what alertform's rotation maths says, across both changes of a year.
    #[test]
    fn without_the_four_the_engine_agrees_with_alertforms_timeline() {
        use crate::model::{Address, Kind, Layer, Rotation, Schedule};
        for (zone, rotation, members, frequency, interval, seconds) in [
            ("Europe/London", Rotation::Days(7), 2, "weekly", 1, 604_800),
            ("America/New_York", Rotation::Days(1), 3, "daily", 1, 86_400),
            (
                "Australia/Sydney",
                Rotation::Days(14),
                2,
                "weekly",
                2,
                1_209_600,
            ),
            ("UTC", Rotation::Hours(8), 3, "hourly", 8, 28_800),
        ] {
            let names: Vec<String> = (0..members).map(|m| format!("u{m}")).collect();
            let schedule = Schedule {
                name: "S".into(),
                time_zone: zone.into(),
                layers: vec![Layer {
                    name: "L".into(),
                    start: "2026-11-30T09:00:00".parse().unwrap(),
                    rotation,
                    members: names.iter().map(|n| Address::new(Kind::User, n)).collect(),
                    restrict: Vec::new(),
                }],
                lifecycle: crate::model::Lifecycle::default(),
            };
            let ids: Vec<String> = names.iter().map(|n| format!("user.{n}")).collect();
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let wire = shift("2026-11-30T09:00:00", frequency, interval, seconds, &refs);
            let (from, to) = (at("2027-01-01T00:00:00Z"), at("2027-12-31T00:00:00Z"));
            let engine: Vec<crate::schedule::Shift> = final_shifts(&[wire], zone, from, to)
                .into_iter()
                .map(|p| crate::schedule::Shift {
                    user: Address::parse(&p.user).unwrap(),
                    layer: 0,
                    start: p.start,
                    end: p.end,
                })
                .collect();
            let ours = crate::schedule::Rota::new(&schedule)
                .unwrap()
                .shifts(from, to);
            assert_eq!(
                crate::schedule::differences(&ours, &engine, from, to),
                None,
                "{zone} {rotation}"
            );
        }
    }

    #[test]
    fn a_higher_level_covers_a_lower_one() {
        let mut low = shift("2027-01-04T00:00:00", "weekly", 1, 604_800, &["a"]);
        low["level"] = json!(1);
        let mut high = shift("2027-01-04T09:00:00", "daily", 1, 28_800, &["b"]);
        high["level"] = json!(2);
        let p = final_shifts(
            &[low, high],
            "UTC",
            at("2027-01-04T00:00:00Z"),
            at("2027-01-06T00:00:00Z"),
        );
        assert_eq!(who(&p, "2027-01-04T08:00:00Z"), ["a"]);
        assert_eq!(who(&p, "2027-01-04T10:00:00Z"), ["b"]);
        assert_eq!(who(&p, "2027-01-04T18:00:00Z"), ["a"]);
    }
}
