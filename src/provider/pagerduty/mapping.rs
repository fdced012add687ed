//! Pure conversions between alertform's model and PagerDuty's wire objects: escalation delays,
//! roles, phone numbers, vendors and schedule layers. No I/O, so each is a unit test.

use crate::model::Layer;
use std::collections::BTreeSet;

use jiff::civil::Time;
use serde_json::{Value, json};

use crate::model::{Day, Role, Rotation, Window};
use crate::observed::ObservedLayer;

/// The wait after the last rule (before a loop), which alertform has no field for: the value of
/// PagerDuty's own examples. Not compared on read.
pub const LAST_RULE_DELAY: u16 = 30;
/// PagerDuty refuses a rule delay below one minute.
pub const MIN_RULE_DELAY: u16 = 1;
/// Targets per escalation rule.
pub const MAX_TARGETS: usize = 10;

/// alertform's delays (each step's wait *before* it) as PagerDuty's (each rule's wait *after* it):
/// `rules[i] = steps[i + 1]`, and the last rule waits [`LAST_RULE_DELAY`]. The first step's delay
/// must be 0 and the others at least [`MIN_RULE_DELAY`] (the capability check says so first).
pub fn rule_delays(step_delays: &[u16]) -> Vec<u16> {
    (0..step_delays.len())
        .map(|i| step_delays.get(i + 1).copied().unwrap_or(LAST_RULE_DELAY))
        .collect()
}

/// PagerDuty's rule delays as alertform's step delays: the first step at once, each next one
/// after the previous rule's delay; the last rule's delay has no alertform field.
pub fn step_delays(rule_delays: &[u16]) -> Vec<u16> {
    if rule_delays.is_empty() {
        return Vec::new();
    }
    std::iter::once(0)
        .chain(rule_delays[..rule_delays.len() - 1].iter().copied())
        .collect()
}

/// alertform's role as PagerDuty's. `integrations_admin` is a Manager (`user`), the lowest role
/// that may edit services.
pub fn pd_role(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Admin => "admin",
        Role::IntegrationsAdmin => "user",
        Role::Responder => "limited_user",
        Role::Observer => "observer",
    }
}

/// PagerDuty's role as alertform's, and whether alertform has it exactly: the read-only roles
/// and `restricted_access` read as `observer` (and a note says so).
pub fn alertform_role(role: &str) -> (Role, bool) {
    match role {
        "owner" => (Role::Owner, true),
        "admin" => (Role::Admin, true),
        "user" => (Role::IntegrationsAdmin, true),
        "limited_user" => (Role::Responder, true),
        "observer" => (Role::Observer, true),
        _ => (Role::Observer, false),
    }
}

pub use crate::model::validate::{join_phone, split_phone};

/// alertform template slugs with a PagerDuty vendor, by the vendor's name in `GET /vendors`.
/// `custom` is an Events API v2 integration (no vendor).
pub const VENDORS: &[(&str, &str)] = &[
    ("grafana", "Grafana"),
    ("prometheus_alertmanager", "Prometheus"),
    ("datadog", "Datadog"),
    ("aws_cloudwatch", "Amazon CloudWatch"),
    ("azure_monitor", "Microsoft Azure"),
    ("google_cloud_monitoring", "Google Cloud Monitoring"),
    ("new_relic", "New Relic"),
    ("sentry", "Sentry"),
    ("zabbix", "Zabbix"),
    ("nagios", "Nagios"),
    ("pingdom", "Pingdom"),
    ("uptime_robot", "UptimeRobot"),
    ("elastic", "Elastic Observability"),
    ("jira", "Jira Service Management"),
];

pub const EVENTS_V2: &str = "events_api_v2_inbound_integration";
pub const EMAIL: &str = "generic_email_inbound_integration";

pub fn vendor_name(slug: &str) -> Option<&'static str> {
    VENDORS.iter().find(|(s, _)| *s == slug).map(|(_, n)| *n)
}

/// A live integration's (channel, template): from its type, or its vendor's name.
pub fn channel_and_template(ty: &str, vendor: Option<&str>) -> (&'static str, String) {
    if ty == EMAIL {
        return ("email", "custom".to_owned());
    }
    match vendor {
        Some(name) => VENDORS.iter().find(|(_, n)| *n == name).map_or_else(
            || ("api", format!("(PagerDuty vendor {name})")),
            |(slug, _)| ("api", (*slug).to_owned()),
        ),
        None if ty == EVENTS_V2 => ("api", "custom".to_owned()),
        None => ("api", format!("(PagerDuty type {ty})")),
    }
}

/// A layer's wire form. `start` is a wall-clock time in `time_zone`; members are user ids.
pub fn layer_body(layer: &Layer, members: &[String], time_zone: &str) -> Result<Value, String> {
    let zone = jiff::tz::db().get(time_zone).map_err(|e| e.to_string())?;
    // As alertform's rotation maths reads it: a skipped time moves past the gap.
    let start = zone
        .to_ambiguous_zoned_datetime(layer.start)
        .compatible()
        .map_err(|e| e.to_string())?;
    let start = start.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
    Ok(json!({
        "name": layer.name,
        "start": start,
        "rotation_virtual_start": start,
        "rotation_turn_length_seconds": turn_seconds(layer.rotation),
        "users": members.iter().map(|id| json!({"user": {"id": id, "type": "user_reference"}})).collect::<Vec<_>>(),
        "restrictions": restrictions(&layer.restrict),
    }))
}

fn turn_seconds(rotation: Rotation) -> u64 {
    match rotation {
        Rotation::Days(days) => u64::from(days) * 86_400,
        Rotation::Hours(hours) => u64::from(hours) * 3_600,
    }
}

/// Windows as restrictions: every day → one daily restriction; named days → one weekly
/// restriction per day.
fn restrictions(windows: &[Window]) -> Vec<Value> {
    let mut out = Vec::new();
    for window in windows {
        let start = window.from.strftime("%H:%M:%S").to_string();
        let from = i64::from(window.from.hour()) * 3600 + i64::from(window.from.minute()) * 60;
        let to = i64::from(window.to.hour()) * 3600 + i64::from(window.to.minute()) * 60;
        let duration = if to > from {
            to - from
        } else {
            to + 86_400 - from
        };
        if window.days.is_empty() {
            out.push(json!({"type": "daily_restriction", "start_time_of_day": start, "duration_seconds": duration}));
        } else {
            for day in &window.days {
                out.push(json!({
                    "type": "weekly_restriction", "start_time_of_day": start,
                    "duration_seconds": duration, "start_day_of_week": day_number(*day),
                }));
            }
        }
    }
    out
}

fn day_number(day: Day) -> u8 {
    match day {
        Day::Mon => 1,
        Day::Tue => 2,
        Day::Wed => 3,
        Day::Thu => 4,
        Day::Fri => 5,
        Day::Sat => 6,
        Day::Sun => 7,
    }
}

fn day_of(number: u64) -> Option<Day> {
    Some(match number {
        1 => Day::Mon,
        2 => Day::Tue,
        3 => Day::Wed,
        4 => Day::Thu,
        5 => Day::Fri,
        6 => Day::Sat,
        7 => Day::Sun,
        _ => return None,
    })
}

/// A live layer, its rotation phase (`rotation_virtual_start`) in `time_zone`; why not, when
/// alertform cannot express it (a turn that is not whole hours, a restriction that is not
/// whole minutes).
///
/// Restrictions become windows exactly: a daily one is a window every day; a weekly one of up to
/// a day is a window on its day; a longer one (PagerDuty's "Monday 00:00 for five days") is a
/// whole-day window (`from` = `to`) on each day it covers whole, and a window for the rest on
/// the day after. One that covers the whole week (or a daily one of a whole day) leaves the
/// layer unrestricted.
///
/// A layer pages from its `start` to its `end`; an alertform layer pages from its phase for
/// ever. So a layer that begins after `now` later than its phase, or has an `end` after `now`,
/// cannot be held (one whose `end` has passed is history: the caller leaves it out).
pub fn layer_of(
    layer: &Value,
    time_zone: &str,
    now: jiff::Timestamp,
) -> Result<ObservedLayer, String> {
    let zone = jiff::tz::db()
        .get(time_zone)
        .map_err(|_| format!("time zone `{time_zone}` is not in the IANA database"))?;
    let instant = |field: &str| {
        layer[field]
            .as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    };
    let start =
        instant("rotation_virtual_start").ok_or("its `rotation_virtual_start` is not a time")?;
    if let Some(end) = instant("end").filter(|end| *end > now) {
        return Err(format!(
            "it stops paging at {end} (its `end`), and an alertform layer has no end"
        ));
    }
    if let Some(begins) = instant("start").filter(|begins| *begins > now && *begins > start) {
        return Err(format!(
            "it begins paging at {begins} (its `start`), after its rotation's phase {start} (`rotation_virtual_start`), and an alertform layer begins at its phase"
        ));
    }
    let start = zone.to_datetime(start);
    let seconds = layer["rotation_turn_length_seconds"]
        .as_u64()
        .ok_or("it has no `rotation_turn_length_seconds`")?;
    let rotation = if seconds % 86_400 == 0 {
        u32::try_from(seconds / 86_400).ok().map(Rotation::Days)
    } else if seconds % 3_600 == 0 {
        u32::try_from(seconds / 3_600).ok().map(Rotation::Hours)
    } else {
        None
    }
    .filter(|_| seconds > 0)
    .ok_or_else(|| {
        format!(
            "its turns are {seconds} seconds long, and alertform rotates by whole hours or days"
        )
    })?;
    let members = layer["users"]
        .as_array()
        .ok_or("it has no `users`")?
        .iter()
        .filter_map(|u| u["user"]["id"].as_str().map(str::to_owned))
        .collect();
    let restrict = windows_of(
        layer["restrictions"]
            .as_array()
            .map_or(&[][..], Vec::as_slice),
    )?;
    Ok(ObservedLayer {
        name: layer["name"].as_str().unwrap_or_default().to_owned(),
        start,
        rotation,
        member_user_ids: members,
        restrict,
    })
}

/// A layer's restrictions as windows (see [`layer_of`]); windows of the same hours on several
/// days are one window.
fn windows_of(restrictions: &[Value]) -> Result<Vec<Window>, String> {
    const DAY: u64 = 86_400;
    let mut windows: Vec<Window> = Vec::new();
    let mut add = |days: BTreeSet<Day>, from: Time, to: Time| match windows
        .iter_mut()
        .find(|w| !w.days.is_empty() && !days.is_empty() && w.from == from && w.to == to)
    {
        Some(window) => window.days.extend(days),
        None => windows.push(Window { days, from, to }),
    };
    for restriction in restrictions {
        let from = restriction["start_time_of_day"]
            .as_str()
            .and_then(|t| Time::strptime("%H:%M:%S", t).ok())
            .ok_or("a restriction's `start_time_of_day` is not HH:MM:SS")?;
        let duration = restriction["duration_seconds"].as_u64().unwrap_or(0);
        if duration == 0 || duration % 60 != 0 || from.second() != 0 {
            return Err(format!(
                "a restriction from {from} lasting {duration} seconds is not whole minutes"
            ));
        }
        let after = |seconds: u64| {
            from.wrapping_add(jiff::SignedDuration::from_secs(
                i64::try_from(seconds).unwrap_or(0),
            ))
        };
        match restriction["type"].as_str() {
            Some("daily_restriction") if duration >= DAY => return Ok(Vec::new()),
            Some("daily_restriction") => add(BTreeSet::new(), from, after(duration)),
            Some("weekly_restriction") if duration >= 7 * DAY => return Ok(Vec::new()),
            Some("weekly_restriction") => {
                let first = restriction["start_day_of_week"]
                    .as_u64()
                    .and_then(day_of)
                    .ok_or("a weekly restriction's `start_day_of_week` is not 1–7")?;
                let day =
                    |k: u64| day_of((u64::from(day_number(first)) - 1 + k) % 7 + 1).expect("1–7");
                let whole = duration / DAY;
                for k in 0..whole {
                    add(BTreeSet::from([day(k)]), from, from);
                }
                if duration % DAY != 0 {
                    add(BTreeSet::from([day(whole)]), from, after(duration % DAY));
                }
            }
            other => {
                return Err(format!(
                    "a restriction of type {} is not one PagerDuty documents",
                    other.unwrap_or("(none)")
                ));
            }
        }
    }
    Ok(windows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_convert_both_ways() {
        // Steps wait 0, 15 and 30 minutes before they run; rules wait 15, 30 and the default after.
        assert_eq!(rule_delays(&[0, 15, 30]), vec![15, 30, LAST_RULE_DELAY]);
        assert_eq!(step_delays(&[15, 30, LAST_RULE_DELAY]), vec![0, 15, 30]);
        // The last rule's own delay is not alertform's: any value reads back the same.
        assert_eq!(step_delays(&[15, 30, 5]), vec![0, 15, 30]);
        assert_eq!(rule_delays(&[0]), vec![LAST_RULE_DELAY]);
        assert_eq!(step_delays(&[LAST_RULE_DELAY]), vec![0]);
        assert!(rule_delays(&[]).is_empty() && step_delays(&[]).is_empty());
        // PagerDuty's minimum: the smallest delay alertform can write between steps is 1.
        assert_eq!(rule_delays(&[0, MIN_RULE_DELAY]), vec![1, LAST_RULE_DELAY]);
        for steps in [vec![0u16], vec![0, 1], vec![0, 5, 1, 60], vec![0, 1440, 1]] {
            assert_eq!(step_delays(&rule_delays(&steps)), steps);
        }
        for rules in [vec![1u16, 30], vec![7, 8, 9, LAST_RULE_DELAY]] {
            assert_eq!(rule_delays(&step_delays(&rules)), rules);
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(alertform_role(pd_role(*role)), (*role, true));
        }
        assert_eq!(alertform_role("read_only_user"), (Role::Observer, false));
    }

    #[test]
    fn phones_split_at_the_country_code() {
        assert_eq!(split_phone("+14155550100"), Some((1, "4155550100".into())));
        assert_eq!(
            split_phone("+442079460000"),
            Some((44, "2079460000".into()))
        );
        assert_eq!(
            split_phone("+353861234567"),
            Some((353, "861234567".into()))
        );
        assert_eq!(split_phone("+79161234567"), Some((7, "9161234567".into())));
        assert_eq!(split_phone("4155550100"), None);
        for phone in ["+14155550100", "+4915123456789", "+85291234567"] {
            let (code, rest) = split_phone(phone).unwrap();
            assert_eq!(join_phone(u64::from(code), &rest), phone);
        }
    }

    #[test]
    fn layers_round_trip_with_windows() {
        let start = jiff::civil::date(2026, 11, 30).at(9, 0, 0, 0);
        let windows = vec![
            Window {
                days: [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri].into(),
                from: Time::constant(9, 0, 0, 0),
                to: Time::constant(17, 0, 0, 0),
            },
            Window {
                days: BTreeSet::new(),
                from: Time::constant(22, 0, 0, 0),
                to: Time::constant(6, 0, 0, 0),
            },
        ];
        let members = vec!["PA".to_owned(), "PB".to_owned()];
        let layer = |name: &str, start, rotation, restrict| Layer {
            name: name.to_owned(),
            start,
            rotation,
            members: Vec::new(),
            restrict,
        };
        let weekdays = layer("Weekdays", start, Rotation::Days(7), windows.clone());
        let body = layer_body(&weekdays, &members, "Europe/London").unwrap();
        assert_eq!(body["start"], "2026-11-30T09:00:00+00:00");
        assert_eq!(body["rotation_turn_length_seconds"], 604_800);
        assert_eq!(body["restrictions"].as_array().unwrap().len(), 6);
        assert_eq!(body["restrictions"][5]["duration_seconds"], 8 * 3600);
        let read = layer_of(&body, "Europe/London", jiff::Timestamp::now()).unwrap();
        assert_eq!(
            (read.name.as_str(), read.start, read.rotation),
            ("Weekdays", start, Rotation::Days(7))
        );
        assert_eq!((read.member_user_ids, read.restrict), (members, windows));
        // Summer time: the wall clock, not UTC, is what comes back.
        let summer = jiff::civil::date(2027, 7, 1).at(9, 0, 0, 0);
        let body = layer_body(
            &layer("S", summer, Rotation::Hours(12), Vec::new()),
            &[],
            "Europe/London",
        )
        .unwrap();
        assert_eq!(body["start"], "2027-07-01T09:00:00+01:00");
        let read = layer_of(&body, "Europe/London", jiff::Timestamp::now()).unwrap();
        assert_eq!((read.start, read.rotation), (summer, Rotation::Hours(12)));
    }

    #[test]
    fn integration_types_read_back() {
        assert_eq!(
            channel_and_template(EMAIL, None),
            ("email", "custom".into())
        );
        assert_eq!(
            channel_and_template(EVENTS_V2, None),
            ("api", "custom".into())
        );
        assert_eq!(
            channel_and_template("generic_events_api_inbound_integration", Some("Grafana")),
            ("api", "grafana".into())
        );
        assert!(
            channel_and_template("nagios_inbound_integration", None)
                .1
                .starts_with('(')
        );
    }
}
