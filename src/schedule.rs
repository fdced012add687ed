//! Who is on call when: the rotation maths of a [`Schedule`], pure and deterministic.
//!
//! - Member i of a layer with n members is on call for turns k ≡ i (mod n); turn k starts at
//!   `start + k × rotation`. Days and weeks are calendar units in the schedule's zone (a handoff
//!   keeps its wall-clock time across daylight-saving changes); hours are elapsed time. A wall-clock
//!   time the clocks skip resolves to the same time after the jump, one they repeat to the first.
//! - `restrict` windows are wall-clock times in the zone; `to` before `from` wraps past midnight.
//!   Outside its windows a layer has nobody on call.
//! - Where several layers have someone on call, the layer listed last wins; before its `start` a
//!   layer has nobody.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::model::{Address, Layer, Overlap, Rotation, Schedule};

pub mod oncall_engine;

/// Where two accounts of who is on call disagree, within `[from, to)`: the first instant at which
/// they name different people, and how long they differ in all; `None` when they never do.
pub fn differences(
    ours: &[Shift],
    theirs: &[Shift],
    from: Timestamp,
    to: Timestamp,
) -> Option<(Timestamp, jiff::SignedDuration)> {
    fn on_call(shifts: &[Shift], at: Timestamp) -> Vec<&Address> {
        let mut users: Vec<&Address> = shifts
            .iter()
            .filter(|s| s.start <= at && at < s.end)
            .map(|s| &s.user)
            .collect();
        users.sort();
        users.dedup();
        users
    }
    let mut cuts: Vec<Timestamp> = vec![from, to];
    for shift in ours.iter().chain(theirs) {
        cuts.push(shift.start.clamp(from, to));
        cuts.push(shift.end.clamp(from, to));
    }
    cuts.sort();
    cuts.dedup();
    let mut first = None;
    let mut total = jiff::SignedDuration::ZERO;
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if on_call(ours, a) != on_call(theirs, a) {
            first.get_or_insert(a);
            total += b.duration_since(a);
        }
    }
    first.map(|at| (at, total))
}
/// A week's minutes a layer covers, as `[start, end)` intervals from Monday 00:00.
pub fn week_cover(windows: &[crate::model::Window]) -> Vec<(u32, u32)> {
    const WEEK: u32 = 7 * 1440;
    if windows.is_empty() {
        return vec![(0, WEEK)];
    }
    let mut cover = Vec::new();
    for window in windows {
        let minutes = |t: jiff::civil::Time| {
            u32::from(t.hour().unsigned_abs()) * 60 + u32::from(t.minute().unsigned_abs())
        };
        let (from, to) = (minutes(window.from), minutes(window.to));
        let length = if to > from {
            to - from
        } else {
            to + 1440 - from
        };
        for (index, day) in crate::model::Day::ALL.iter().enumerate() {
            if !window.days.is_empty() && !window.days.contains(day) {
                continue;
            }
            let start = u32::try_from(index).unwrap_or(0) * 1440 + from;
            let end = start + length;
            if end > WEEK {
                cover.push((start, WEEK));
                cover.push((0, end - WEEK));
            } else {
                cover.push((start, end));
            }
        }
    }
    cover
}

/// Whether two [`week_cover`]s share a minute.
pub fn overlap(a: &[(u32, u32)], b: &[(u32, u32)]) -> bool {
    a.iter()
        .any(|(a0, a1)| b.iter().any(|(b0, b1)| a0 < b1 && b0 < a1))
}

/// The windows that cover exactly `cover` (minutes from Monday 00:00, as [`week_cover`] gives),
/// merged and cut at midnight: a whole day is `from` = `to` on that day; days with the same
/// hours share one window. Empty when `cover` is.
pub fn cover_windows(cover: &[(u32, u32)]) -> Vec<crate::model::Window> {
    use crate::model::{Day, Window};
    const WEEK: u32 = 7 * 1440;
    let mut minutes = vec![false; WEEK as usize];
    for &(a, b) in cover {
        for m in a..b.min(WEEK) {
            minutes[m as usize] = true;
        }
    }
    if minutes.iter().all(|m| *m) {
        return Vec::new();
    }
    let time = |m: u32| {
        jiff::civil::Time::new(
            i8::try_from(m / 60).unwrap_or(0),
            i8::try_from(m % 60).unwrap_or(0),
            0,
            0,
        )
        .unwrap_or_default()
    };
    // (from, to) minutes of the day → the days with that piece.
    let mut pieces: std::collections::BTreeMap<(u32, u32), std::collections::BTreeSet<Day>> =
        std::collections::BTreeMap::new();
    for (index, day) in Day::ALL.iter().enumerate() {
        let base = u32::try_from(index).unwrap_or(0) * 1440;
        let mut m = 0;
        while m < 1440 {
            if !minutes[(base + m) as usize] {
                m += 1;
                continue;
            }
            let start = m;
            while m < 1440 && minutes[(base + m) as usize] {
                m += 1;
            }
            pieces.entry((start, m % 1440)).or_default().insert(*day);
        }
    }
    pieces
        .into_iter()
        .map(|((from, to), days)| Window {
            days: if days.len() == 7 {
                std::collections::BTreeSet::new()
            } else {
                days
            },
            from: time(from),
            to: time(to),
        })
        .collect()
}

pub mod render;

/// A stretch of time one user is on call for one schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub user: Address,
    /// Index into the schedule's layers.
    pub layer: usize,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A schedule with its zone looked up, ready to answer.
pub struct Rota<'a> {
    pub schedule: &'a Schedule,
    pub zone: TimeZone,
}

/// One layer's coverage piece: (start, end, member index).
type Piece = (Timestamp, Timestamp, usize);

impl<'a> Rota<'a> {
    /// `None` when the zone is unknown (the config decoder rejects such schedules).
    pub fn new(schedule: &'a Schedule) -> Option<Rota<'a>> {
        let zone = jiff::tz::db().get(&schedule.time_zone).ok()?;
        Some(Rota { schedule, zone })
    }

    pub fn instant(&self, local: DateTime) -> Timestamp {
        // Compatible: a skipped time moves past the gap, a repeated one takes the first.
        self.zone
            .to_ambiguous_timestamp(local)
            .compatible()
            .unwrap_or(Timestamp::MAX)
    }

    fn local(&self, at: Timestamp) -> DateTime {
        self.zone.to_datetime(at)
    }

    /// `at` as people read it in the schedule's zone: `Mon 2027-03-29 09:00 BST`.
    pub fn local_text(&self, at: Timestamp) -> String {
        at.to_zoned_datetime(self.zone.clone())
            .strftime("%a %Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// The start of turn `k` of `layer`.
    fn turn_start(&self, layer: &Layer, k: i64) -> Timestamp {
        match layer.rotation {
            Rotation::Days(days) => layer
                .start
                .checked_add((k * i64::from(days)).days())
                .map_or(Timestamp::MAX, |local| self.instant(local)),
            Rotation::Hours(hours) => self
                .instant(layer.start)
                .checked_add(SignedDuration::from_hours(k * i64::from(hours)))
                .unwrap_or(Timestamp::MAX),
        }
    }

    /// The turn whose start is at or before `at` (0 if `at` is before the layer starts).
    fn turn_at(&self, layer: &Layer, at: Timestamp) -> i64 {
        let start = self.instant(layer.start);
        if at <= start {
            return 0;
        }
        let mut k = match layer.rotation {
            Rotation::Hours(hours) => {
                (at.duration_since(start).as_secs() / (3600 * i64::from(hours))).max(0)
            }
            Rotation::Days(days) => {
                let elapsed = self
                    .local(at)
                    .date()
                    .since(layer.start.date())
                    .map_or(0, |span| i64::from(span.get_days()));
                (elapsed / i64::from(days) - 1).max(0)
            }
        };
        // The estimate is within a turn; settle it exactly.
        while k > 0 && self.turn_start(layer, k) > at {
            k -= 1;
        }
        while self.turn_start(layer, k + 1) <= at {
            k += 1;
        }
        k
    }

    /// The turns of layer `index` within [from, to), whether or not a later layer covers them.
    pub fn layer_turns(&self, index: usize, from: Timestamp, to: Timestamp) -> Vec<Shift> {
        let Some(layer) = self.schedule.layers.get(index) else {
            return Vec::new();
        };
        self.layer_pieces(layer, from, to)
            .into_iter()
            .map(|(start, end, member)| Shift {
                user: layer.members[member].clone(),
                layer: index,
                start,
                end,
            })
            .collect()
    }

    /// When `layer` has someone on call within [from, to), in order, disjoint.
    fn layer_pieces(&self, layer: &Layer, from: Timestamp, to: Timestamp) -> Vec<Piece> {
        let n = layer.members.len();
        if n == 0 || from >= to {
            return Vec::new();
        }
        let mut turns: Vec<Piece> = Vec::new();
        let mut k = self.turn_at(layer, from);
        loop {
            let (start, end) = (self.turn_start(layer, k), self.turn_start(layer, k + 1));
            if start >= to || start == Timestamp::MAX {
                break;
            }
            let member = usize::try_from(k.rem_euclid(i64::try_from(n).unwrap_or(1))).unwrap_or(0);
            let (start, end) = (start.max(from), end.min(to));
            if start < end {
                turns.push((start, end, member));
            }
            k += 1;
        }
        if layer.restrict.is_empty() {
            return turns;
        }
        let windows = self.windows(layer, from, to);
        intersect(&turns, &windows)
    }

    /// The occurrences of a layer's restriction windows that touch [from, to), merged.
    fn windows(
        &self,
        layer: &Layer,
        from: Timestamp,
        to: Timestamp,
    ) -> Vec<(Timestamp, Timestamp)> {
        let first: Date = self.local(from).date().yesterday().unwrap_or(Date::MIN);
        let last: Date = self.local(to).date();
        let mut out = Vec::new();
        let mut day = first;
        while day <= last {
            for window in &layer.restrict {
                if !window.days.is_empty()
                    && !window.days.contains(&crate::model::Day::of(day.weekday()))
                {
                    continue;
                }
                let start = self.instant(day.to_datetime(window.from));
                let end_day = if window.to <= window.from {
                    day.tomorrow().unwrap_or(day)
                } else {
                    day
                };
                out.push((start, self.instant(end_day.to_datetime(window.to))));
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        merge_spans(out, (from, to))
    }

    /// Who is on call within [from, to): the last layer with someone wins; pieces where the same
    /// user continues on the same layer are merged.
    pub fn shifts(&self, from: Timestamp, to: Timestamp) -> Vec<Shift> {
        // (start, end, layer, member)
        let mut result: Vec<(Timestamp, Timestamp, usize, usize)> = Vec::new();
        for (index, layer) in self.schedule.layers.iter().enumerate() {
            let top = self.layer_pieces(layer, from, to);
            if top.is_empty() {
                continue;
            }
            let mut next = Vec::with_capacity(result.len() + top.len());
            let mut t = 0;
            for &(start, end, l, m) in &result {
                // What of [start, end) the new layer does not cover stays.
                let mut cursor = start;
                while t < top.len() && top[t].1 <= cursor {
                    t += 1;
                }
                let mut u = t;
                while cursor < end {
                    match top.get(u) {
                        Some(&(ts, te, _)) if ts < end => {
                            if ts > cursor {
                                next.push((cursor, ts, l, m));
                            }
                            cursor = cursor.max(te);
                            if te <= end {
                                u += 1;
                            } else {
                                break;
                            }
                        }
                        _ => {
                            next.push((cursor, end, l, m));
                            cursor = end;
                        }
                    }
                }
            }
            next.extend(top.iter().map(|&(s, e, m)| (s, e, index, m)));
            next.sort_unstable_by_key(|p| p.0);
            result = next;
        }
        let mut shifts: Vec<Shift> = Vec::with_capacity(result.len());
        for (start, end, layer, member) in result {
            let user = &self.schedule.layers[layer].members[member];
            match shifts.last_mut() {
                Some(last) if last.end == start && last.layer == layer && &last.user == user => {
                    last.end = end;
                }
                _ => shifts.push(Shift {
                    user: user.clone(),
                    layer,
                    start,
                    end,
                }),
            }
        }
        shifts
    }

    /// Who is paged within [from, to) under `overlap`: [`Rota::shifts`] when the last layer
    /// wins, every layer's own shifts (overlapping where the layers do) when every layer pages.
    pub fn paged(&self, from: Timestamp, to: Timestamp, overlap: Overlap) -> Vec<Shift> {
        match overlap {
            Overlap::LastLayerWins => self.shifts(from, to),
            Overlap::EveryLayerPages => {
                let mut shifts: Vec<Shift> = Vec::new();
                for (index, layer) in self.schedule.layers.iter().enumerate() {
                    for (start, end, member) in self.layer_pieces(layer, from, to) {
                        let user = &layer.members[member];
                        match shifts.last_mut() {
                            Some(last)
                                if last.layer == index
                                    && last.end == start
                                    && &last.user == user =>
                            {
                                last.end = end;
                            }
                            _ => shifts.push(Shift {
                                user: user.clone(),
                                layer: index,
                                start,
                                end,
                            }),
                        }
                    }
                }
                shifts.sort_by_key(|s| (s.start, s.layer));
                shifts
            }
        }
    }

    /// The shift covering `at`, if anyone is on call then.
    pub fn on_call(&self, at: Timestamp) -> Option<Shift> {
        let end = at.checked_add(SignedDuration::from_secs(1)).ok()?;
        self.shifts(at, end).into_iter().next()
    }

    /// One full cycle of the schedule from its latest layer start: the least common multiple of
    /// the layers' cycles (members × rotation) and of a week when a layer is restricted, at most
    /// `limit`.
    pub fn cycle(&self, limit: SignedDuration) -> (Timestamp, Timestamp) {
        let start = self
            .schedule
            .layers
            .iter()
            .map(|l| self.instant(l.start))
            .max()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut hours: u64 = 1;
        for layer in &self.schedule.layers {
            let per_turn = match layer.rotation {
                Rotation::Days(d) => u64::from(d) * 24,
                Rotation::Hours(h) => u64::from(h),
            };
            let mut cycle = per_turn * layer.members.len().max(1) as u64;
            if !layer.restrict.is_empty() {
                cycle = lcm(cycle, 7 * 24);
            }
            hours = lcm(hours, cycle).min(u64::MAX / 2);
        }
        let limit_hours = u64::try_from(limit.as_hours()).unwrap_or(u64::MAX);
        let span =
            SignedDuration::from_hours(i64::try_from(hours.min(limit_hours)).unwrap_or(i64::MAX));
        (start, start.checked_add(span).unwrap_or(Timestamp::MAX))
    }

    /// The first stretch within [from, to) that nobody covers.
    pub fn first_gap(&self, from: Timestamp, to: Timestamp) -> Option<(Timestamp, Timestamp)> {
        let mut cursor = from;
        for shift in self.shifts(from, to) {
            if shift.start > cursor {
                return Some((cursor, shift.start));
            }
            cursor = cursor.max(shift.end);
        }
        (cursor < to).then_some((cursor, to))
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b).max(1) * b
}

/// The parts of `turns` inside `windows` (both sorted, each disjoint).
fn intersect(turns: &[Piece], windows: &[(Timestamp, Timestamp)]) -> Vec<Piece> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < turns.len() && j < windows.len() {
        let (ts, te, m) = turns[i];
        let (ws, we) = windows[j];
        let (start, end) = (ts.max(ws), te.min(we));
        if start < end {
            out.push((start, end, m));
        }
        if te <= we {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// `spans` cut to `within`, sorted, and merged where they touch or overlap: the instants they
/// cover, as few spans as that takes.
pub fn merge_spans(
    spans: Vec<(Timestamp, Timestamp)>,
    (from, to): (Timestamp, Timestamp),
) -> Vec<(Timestamp, Timestamp)> {
    let mut cut: Vec<(Timestamp, Timestamp)> = spans
        .into_iter()
        .map(|(a, b)| (a.max(from), b.min(to)))
        .filter(|(a, b)| a < b)
        .collect();
    cut.sort_unstable();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(cut.len());
    for (a, b) in cut {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

#[cfg(test)]
mod tests;
