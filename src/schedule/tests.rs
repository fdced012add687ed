use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{DateTime, Time, date};
use jiff::{Timestamp, Unit};
use proptest::prelude::*;

use super::*;
use crate::model::{Day, Kind, Lifecycle, Window};

fn user(key: &str) -> Address {
    Address::new(Kind::User, key)
}

fn layer(start: &str, rotation: &str, members: &[&str], restrict: Vec<Window>) -> Layer {
    Layer {
        name: format!("layer {rotation}"),
        start: start.parse().unwrap(),
        rotation: Rotation::parse(rotation).unwrap(),
        members: members.iter().map(|m| user(m)).collect(),
        restrict,
    }
}

fn schedule(zone: &str, layers: Vec<Layer>) -> Schedule {
    Schedule {
        name: "S".into(),
        time_zone: zone.into(),
        layers,
        lifecycle: Lifecycle::default(),
    }
}

fn at(rota: &Rota, local: &str) -> Timestamp {
    rota.instant(local.parse::<DateTime>().unwrap())
}

fn who(rota: &Rota, local: &str) -> Option<String> {
    rota.on_call(at(rota, local)).map(|s| s.user.key)
}

/// Alice and Bob taking turns of `every` from `start`, London time, all hours.
fn alice_and_bob_in_london(start: &str, every: &str) -> Schedule {
    let layers = vec![layer(start, every, &["alice", "bob"], vec![])];
    schedule("Europe/London", layers)
}

#[test]
fn a_weekly_rotation_keeps_09_00_handoffs_across_both_uk_changes_of_2027() {
    let s = alice_and_bob_in_london("2027-01-04T09:00:00", "1w");
    let rota = Rota::new(&s).unwrap();
    let shifts = rota.shifts(
        at(&rota, "2027-03-01T00:00:00"),
        at(&rota, "2027-11-30T00:00:00"),
    );
    // Every handoff (each shift after the first begins one) at 09:00 local on a Monday.
    for shift in &shifts[1..] {
        let local = rota.local(shift.start);
        assert_eq!(local.time(), Time::constant(9, 0, 0, 0), "{local}");
        assert_eq!(local.weekday(), jiff::civil::Weekday::Monday);
    }
    // The two weeks that hold a change are an hour short and an hour long.
    let lengths: BTreeMap<String, i64> = shifts
        .iter()
        .map(|s| {
            (
                rota.local(s.start).date().to_string(),
                s.end.duration_since(s.start).as_hours(),
            )
        })
        .collect();
    assert_eq!(lengths["2027-03-22"], 167, "clocks go forward on 28 March");
    assert_eq!(lengths["2027-10-25"], 169, "clocks go back on 31 October");
    assert_eq!(lengths["2027-06-07"], 168);
    // Turns alternate.
    let week = |d: &str| who(&rota, &format!("{d}T12:00:00")).unwrap();
    assert_eq!(week("2027-01-05"), "alice");
    assert_eq!(week("2027-01-12"), "bob");
    assert_eq!(week("2027-03-30"), week("2027-01-05"), "12 weeks on");
    assert_ne!(week("2027-03-30"), week("2027-03-23"));
}

#[test]
fn hours_are_elapsed_time_across_a_change() {
    let s = alice_and_bob_in_london("2027-03-27T21:00:00", "12h");
    let rota = Rota::new(&s).unwrap();
    let (from, to) = (
        at(&rota, "2027-03-27T21:00:00"),
        at(&rota, "2027-03-29T00:00:00"),
    );
    let starts: Vec<String> = (rota.shifts(from, to).iter())
        .map(|s| rota.local(s.start).time().to_string())
        .collect();
    // 21:00 GMT, then 12 elapsed hours later it is 10:00 BST.
    assert_eq!(starts, ["21:00:00", "10:00:00", "22:00:00"]);
}

#[test]
fn the_last_layer_wins_and_restrictions_let_the_layers_below_show() {
    let s = schedule(
        "Europe/London",
        vec![
            layer("2026-11-30T09:00:00", "1w", &["alice", "bob"], vec![]),
            layer(
                "2026-11-30T09:00:00",
                "1d",
                &["carol"],
                vec![Window::of(
                    &[Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
                    "09:00",
                    "17:00",
                )],
            ),
        ],
    );
    let rota = Rota::new(&s).unwrap();
    for (local, paged, when) in [
        ("2026-12-02T12:00:00", Some("carol"), "weekday hours"),
        ("2026-12-02T20:00:00", Some("alice"), "evening"),
        ("2026-12-05T12:00:00", Some("alice"), "Saturday"),
        (
            "2026-12-09T16:59:59",
            Some("carol"),
            "the last second of the first week",
        ),
        ("2026-12-09T17:00:00", Some("bob"), "second week"),
        ("2026-11-30T08:59:59", None, "before the start"),
    ] {
        assert_eq!(who(&rota, local).as_deref(), paged, "{when}");
    }
}

#[test]
fn a_window_that_ends_before_it_starts_wraps_past_midnight() {
    let s = schedule(
        "America/New_York",
        vec![layer(
            "2026-01-01T00:00:00",
            "1d",
            &["owl"],
            vec![Window::of(&[Day::Fri], "22:00", "06:00")],
        )],
    );
    let rota = Rota::new(&s).unwrap();
    // 2026-01-02 is a Friday.
    assert_eq!(who(&rota, "2026-01-02T23:00:00").as_deref(), Some("owl"));
    assert_eq!(
        who(&rota, "2026-01-03T05:59:00").as_deref(),
        Some("owl"),
        "Saturday morning"
    );
    assert_eq!(who(&rota, "2026-01-03T06:00:00"), None);
    assert_eq!(
        who(&rota, "2026-01-03T23:00:00"),
        None,
        "Saturday night is not Friday's"
    );
    assert_eq!(who(&rota, "2026-01-02T21:59:00"), None);
}

#[test]
fn a_cycle_and_a_gap_are_found() {
    let s = schedule(
        "Europe/Berlin",
        vec![layer(
            "2026-06-01T08:00:00",
            "1d",
            &["a", "b", "c"],
            vec![Window::of(&[], "08:00", "20:00")],
        )],
    );
    let rota = Rota::new(&s).unwrap();
    let (from, to) = rota.cycle(jiff::SignedDuration::from_hours(24 * 366));
    assert_eq!(
        to.duration_since(from).as_hours(),
        21 * 24,
        "lcm(3 days, a week)"
    );
    let (gap_start, gap_end) = rota.first_gap(from, to).unwrap();
    assert_eq!(rota.local(gap_start).to_string(), "2026-06-01T20:00:00");
    assert_eq!(rota.local(gap_end).to_string(), "2026-06-02T08:00:00");
}

/// Random schedules: a zone with daylight saving, 1–3 layers of 1–4 members, day, week or hour
/// rotations, some restricted.
fn arbitrary_schedule() -> impl Strategy<Value = Schedule> {
    let zone = prop_oneof![
        Just("Europe/London"),
        Just("America/New_York"),
        Just("Australia/Sydney"),
        Just("UTC")
    ];
    let rotation = prop_oneof![
        (1u32..4).prop_map(|d| format!("{d}d")),
        (1u32..3).prop_map(|w| format!("{w}w")),
        prop_oneof![Just(8u32), Just(12), Just(5)].prop_map(|h| format!("{h}h")),
    ];
    let window = (
        0u8..24,
        1u8..23,
        proptest::collection::btree_set(0usize..7, 0..4),
    )
        .prop_map(|(from, len, days)| Window {
            days: days.into_iter().map(|d| Day::ALL[d]).collect(),
            from: Time::constant(i8::try_from(from).unwrap(), 0, 0, 0),
            to: Time::constant(i8::try_from((from + len) % 24).unwrap(), 30, 0, 0),
        });
    let layer = (
        0i64..400,
        0i8..24,
        rotation,
        1usize..5,
        proptest::collection::vec(window, 0..3),
    )
        .prop_map(|(day, hour, rotation, n, restrict)| Layer {
            name: "L".into(),
            start: date(2026, 1, 1)
                .checked_add(day.days())
                .unwrap()
                .to_datetime(Time::constant(hour, 30, 0, 0)),
            rotation: Rotation::parse(&rotation).unwrap(),
            members: (0..n).map(|i| user(&format!("u{i}"))).collect(),
            restrict,
        });
    (zone, proptest::collection::vec(layer, 1..4)).prop_map(|(zone, layers)| schedule(zone, layers))
}

proptest! {
    /// No instant has two people from one schedule, and shifts are in order.
    #[test]
    fn shifts_never_overlap(s in arbitrary_schedule(), offset in 0i64..600) {
        let rota = Rota::new(&s).unwrap();
        let from = at(&rota, "2026-01-01T00:00:00")
            .checked_add(jiff::SignedDuration::from_hours(offset * 24)).unwrap();
        let to = from.checked_add(jiff::SignedDuration::from_hours(24 * 60)).unwrap();
        let shifts = rota.shifts(from, to);
        for pair in shifts.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start, "{:?}", pair);
        }
        for shift in &shifts {
            prop_assert!(shift.start < shift.end && shift.start >= from && shift.end <= to);
            // The winner at each shift's start is that shift's user.
            let now = rota.on_call(shift.start).unwrap();
            prop_assert_eq!(&now.user, &shift.user);
        }
    }

    /// Unrestricted, one layer: over m full cycles each member has exactly m turns, and every
    /// day or week handoff keeps the start's wall-clock time (unless the clocks skip it).
    #[test]
    fn turns_cycle_fairly_and_keep_wall_clock_handoffs(
        s in arbitrary_schedule(), cycles in 1usize..4
    ) {
        let mut s = s;
        s.layers.truncate(1);
        s.layers[0].restrict.clear();
        let rota = Rota::new(&s).unwrap();
        let layer = &s.layers[0];
        let n = layer.members.len();
        let from = rota.instant(layer.start);
        let to = rota.turn_start(layer, i64::try_from(n * cycles).unwrap());
        let turns: Vec<Shift> = rota.shifts(from, to);
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        let mut boundaries = BTreeSet::new();
        for shift in &turns {
            boundaries.insert(shift.start);
        }
        for k in 0..n * cycles {
            let start = rota.turn_start(layer, i64::try_from(k).unwrap());
            let who = rota.on_call(start).unwrap();
            *count.entry(&layer.members[k % n].key).or_default() += 1;
            prop_assert_eq!(&who.user, &layer.members[k % n]);
            if let Rotation::Days(_) = layer.rotation {
                let local = rota.local(start);
                let skipped = crate::model::validate::skipped(
                    &rota.zone, local.date().to_datetime(layer.start.time())
                ).is_some();
                if !skipped {
                    prop_assert_eq!(local.time().round(Unit::Second).unwrap(), layer.start.time());
                }
            }
        }
        for member in &layer.members {
            prop_assert_eq!(count[member.key.as_str()], cycles * layer.members.iter().filter(|m| *m == member).count());
        }
    }
}
