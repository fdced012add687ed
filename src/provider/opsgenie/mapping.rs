//! alertform's model in Opsgenie's terms and back, pure: roles, rotations and their time
//! restrictions, escalation rules with absolute delays, integration types.

use crate::model::Layer;
use std::collections::BTreeSet;

use jiff::civil::{DateTime, Time};
use serde_json::{Value, json};

use crate::model::{Channel, ChannelSettings, Day, Role, Rotation, Window};
use crate::observed::ObservedLayer;

/// Minutes after the last rule before an escalation repeats (the model has no such field;
/// PagerDuty's last rule waits as long).
pub const REPEAT_WAIT_MINUTES: u64 = 30;
/// Restrictions a rotation holds at most.
pub const MAX_RESTRICTIONS: usize = 15;

/// Opsgenie's role for alertform's (`integrations_admin` has none: capabilities say so).
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin | Role::IntegrationsAdmin => "Admin",
        Role::Responder => "User",
        Role::Observer => "Stakeholder",
    }
}

/// alertform's role for Opsgenie's; a custom role reads as a responder.
pub fn role_of(name: &str) -> Role {
    match name.to_ascii_lowercase().as_str() {
        "owner" => Role::Owner,
        "admin" => Role::Admin,
        "stakeholder" => Role::Observer,
        _ => Role::Responder,
    }
}

/// Integration types alertform maps: (channel, template slug, Opsgenie type).
pub const TYPES: &[(Channel, &str, &str)] = &[
    (Channel::Api, "custom", "API"),
    (Channel::Api, "grafana", "Grafana"),
    (Channel::Api, "prometheus_alertmanager", "Prometheus"),
    (Channel::Email, "custom", "Email"),
];

/// Opsgenie's integration type for a channel and template.
pub fn integration_type(channel: Channel, template: &str) -> Option<&'static str> {
    TYPES
        .iter()
        .find(|(c, slug, _)| *c == channel && *slug == template)
        .map(|(_, _, t)| *t)
}

/// The channel and template of an Opsgenie integration type (an API one named after a type
/// alertform does not map).
pub fn channel_and_template(kind: &str) -> (ChannelSettings, String) {
    match TYPES.iter().find(|(_, _, t)| *t == kind) {
        Some((Channel::Email, slug, _)) => {
            (ChannelSettings::Email { mailbox: None }, (*slug).to_owned())
        }
        Some((_, slug, _)) => (ChannelSettings::Api, (*slug).to_owned()),
        None => (ChannelSettings::Api, format!("(Opsgenie type {kind})")),
    }
}

/// A heartbeat integration's live id: `heartbeat:<name>` (Opsgenie names heartbeats by name).
pub const HEARTBEAT_ID: &str = "heartbeat:";
/// The only template of a heartbeat integration.
pub const HEARTBEAT_TEMPLATE: &str = "custom";

/// The alert tag an expired heartbeat's alert carries, which its alert policy matches.
pub fn heartbeat_tag(name: &str) -> String {
    format!("heartbeat:{name}")
}

/// The name of the alert policy that adds a heartbeat's responders to its alerts.
pub fn heartbeat_policy_name(name: &str) -> String {
    format!("alertform heartbeat {name}")
}

/// A heartbeat's interval in Opsgenie's largest whole unit.
pub fn heartbeat_interval(minutes: u16) -> (u16, &'static str) {
    match minutes {
        m if m % 1440 == 0 => (m / 1440, "days"),
        m if m % 60 == 0 => (m / 60, "hours"),
        m => (m, "minutes"),
    }
}

/// A live heartbeat's interval in minutes.
pub fn interval_minutes(interval: u64, unit: &str) -> Option<u16> {
    let factor = match unit {
        "minutes" => 1,
        "hours" => 60,
        "days" => 1440,
        _ => return None,
    };
    u16::try_from(interval.checked_mul(factor)?).ok()
}

fn day_name(day: Day) -> &'static str {
    match day {
        Day::Mon => "monday",
        Day::Tue => "tuesday",
        Day::Wed => "wednesday",
        Day::Thu => "thursday",
        Day::Fri => "friday",
        Day::Sat => "saturday",
        Day::Sun => "sunday",
    }
}

fn day_of(name: &str) -> Option<Day> {
    Day::ALL.iter().copied().find(|d| day_name(*d) == name)
}

/// The day after `day`.
fn next_day(day: Day) -> Day {
    let index = Day::ALL.iter().position(|d| *d == day).unwrap_or(0);
    Day::ALL[(index + 1) % 7]
}

/// `(type, length)` of a rotation: whole weeks are `weekly`, other days `daily`.
pub fn rotation_type(rotation: Rotation) -> (&'static str, u32) {
    match rotation {
        Rotation::Days(days) if days % 7 == 0 => ("weekly", days / 7),
        Rotation::Days(days) => ("daily", days),
        Rotation::Hours(hours) => ("hourly", hours),
    }
}

/// The instant a layer starts, written as Opsgenie takes it (UTC, `Z`): the start is wall-clock
/// time in the schedule's zone, read past a gap as alertform's rotation maths reads it.
pub fn start_date(start: DateTime, time_zone: &str) -> Result<String, String> {
    let zone = jiff::tz::db().get(time_zone).map_err(|e| e.to_string())?;
    let at = zone
        .to_ambiguous_zoned_datetime(start)
        .compatible()
        .map_err(|e| e.to_string())?;
    Ok(at.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Whether Opsgenie keeps a layer's start as written: its minute in UTC is :00 or :30.
pub fn start_is_exact(start: DateTime, time_zone: &str) -> bool {
    start_date(start, time_zone)
        .ok()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .is_some_and(|at| at.as_second().rem_euclid(1800) == 0)
}

/// Windows as a time restriction: one window every day is `time-of-day`; anything else is
/// `weekday-and-time-of-day`, one restriction per day a window starts on (a window past midnight
/// ends the next day).
pub fn time_restriction(windows: &[Window]) -> Value {
    if windows.is_empty() {
        return Value::Null;
    }
    let hm = |t: Time| (t.hour(), t.minute());
    if let [window] = windows
        && window.days.is_empty()
    {
        let ((sh, sm), (eh, em)) = (hm(window.from), hm(window.to));
        return json!({"type": "time-of-day", "restriction": {"startHour": sh, "startMin": sm, "endHour": eh, "endMin": em}});
    }
    let mut restrictions = Vec::new();
    for window in windows {
        let days: Vec<Day> = if window.days.is_empty() {
            Day::ALL.to_vec()
        } else {
            window.days.iter().copied().collect()
        };
        let ((sh, sm), (eh, em)) = (hm(window.from), hm(window.to));
        for day in days {
            let end = if window.to > window.from {
                day
            } else {
                next_day(day)
            };
            restrictions.push(json!({
                "startDay": day_name(day), "startHour": sh, "startMin": sm,
                "endDay": day_name(end), "endHour": eh, "endMin": em,
            }));
        }
    }
    json!({"type": "weekday-and-time-of-day", "restrictions": restrictions})
}

/// How many restrictions [`time_restriction`] writes for `windows`.
pub fn restriction_count(windows: &[Window]) -> usize {
    match windows {
        [] => 0,
        [window] if window.days.is_empty() => 1,
        _ => windows
            .iter()
            .map(|w| if w.days.is_empty() { 7 } else { w.days.len() })
            .sum(),
    }
}

fn time_of(value: &Value, hour: &str, minute: &str) -> Option<Time> {
    let h = i8::try_from(value[hour].as_u64()?).ok()?;
    let m = i8::try_from(value[minute].as_u64()?).ok()?;
    Time::new(h % 24, m, 0, 0).ok()
}

/// A live time restriction as windows; `None` when a restriction spans more than a day, which
/// a window cannot.
pub fn windows_of(restriction: &Value) -> Option<Vec<Window>> {
    match restriction.get("type").and_then(Value::as_str) {
        None => Some(Vec::new()),
        Some("time-of-day") => {
            let r = &restriction["restriction"];
            Some(vec![Window {
                days: BTreeSet::new(),
                from: time_of(r, "startHour", "startMin")?,
                to: time_of(r, "endHour", "endMin")?,
            }])
        }
        Some("weekday-and-time-of-day") => {
            let mut windows: Vec<Window> = Vec::new();
            for r in restriction["restrictions"].as_array()? {
                let start = day_of(r["startDay"].as_str()?)?;
                let end = day_of(r["endDay"].as_str()?)?;
                let (from, to) = (
                    time_of(r, "startHour", "startMin")?,
                    time_of(r, "endHour", "endMin")?,
                );
                let expected_end = if to > from { start } else { next_day(start) };
                if end != expected_end {
                    return None;
                }
                match windows.iter_mut().find(|w| w.from == from && w.to == to) {
                    Some(window) => {
                        window.days.insert(start);
                    }
                    None => windows.push(Window {
                        days: BTreeSet::from([start]),
                        from,
                        to,
                    }),
                }
            }
            for window in &mut windows {
                if window.days.len() == 7 {
                    window.days.clear();
                }
            }
            Some(windows)
        }
        Some(_) => None,
    }
}

/// A rotation's body for a layer whose members are the user ids `members`.
pub fn rotation_body(layer: &Layer, members: &[String], time_zone: &str) -> Result<Value, String> {
    let (kind, length) = rotation_type(layer.rotation);
    let mut body = json!({
        "name": layer.name,
        "startDate": start_date(layer.start, time_zone)?,
        "type": kind,
        "length": length,
        "participants": members.iter().map(|id| json!({"type": "user", "id": id})).collect::<Vec<_>>(),
    });
    body["timeRestriction"] = time_restriction(&layer.restrict);
    Ok(body)
}

/// A live rotation as a layer of a schedule in `time_zone`; `None` when alertform cannot
/// express it (a participant that is not a user, a restriction longer than a day).
pub fn layer_of(rotation: &Value, time_zone: &str) -> Option<ObservedLayer> {
    let zone = jiff::tz::db().get(time_zone).ok()?;
    let start: jiff::Timestamp = rotation["startDate"].as_str()?.parse().ok()?;
    let length = u32::try_from(rotation["length"].as_u64().unwrap_or(1)).ok()?;
    let rotation_kind = match rotation["type"].as_str()? {
        "hourly" => Rotation::Hours(length),
        "daily" => Rotation::Days(length),
        "weekly" => Rotation::Days(length.checked_mul(7)?),
        _ => return None,
    };
    let mut members = Vec::new();
    for participant in rotation["participants"].as_array()? {
        if participant["type"] != "user" {
            return None;
        }
        members.push(participant["id"].as_str()?.to_owned());
    }
    Some(ObservedLayer {
        name: rotation["name"].as_str().unwrap_or_default().to_owned(),
        start: zone.to_datetime(start),
        rotation: rotation_kind,
        member_user_ids: members,
        restrict: windows_of(rotation.get("timeRestriction").unwrap_or(&Value::Null))?,
    })
}

/// Absolute rule delays (minutes after the alert) from steps' delays after the step before.
pub fn absolute_delays(step_delays: &[u16]) -> Vec<u64> {
    step_delays
        .iter()
        .scan(0u64, |at, delay| {
            *at += u64::from(*delay);
            Some(*at)
        })
        .collect()
}

/// A rule delay in minutes.
pub fn delay_minutes(delay: &Value) -> Option<u64> {
    let amount = delay["timeAmount"].as_u64()?;
    match delay
        .get("timeUnit")
        .and_then(Value::as_str)
        .unwrap_or("minutes")
    {
        "minutes" => Some(amount),
        "hours" => amount.checked_mul(60),
        "days" => amount.checked_mul(1440),
        "seconds" => Some(amount / 60),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_round_trip_through_restrictions() {
        for windows in [
            vec![],
            vec![Window::of(&[], "22:00", "06:00")],
            vec![Window::of(
                &[Day::Mon, Day::Tue, Day::Fri],
                "09:00",
                "17:30",
            )],
            vec![
                Window::of(&[Day::Sat], "20:00", "08:00"),
                Window::of(&[], "12:00", "13:00"),
            ],
        ] {
            let restriction = time_restriction(&windows);
            let back = windows_of(&restriction).unwrap();
            assert_eq!(back, windows, "{restriction}");
            assert!(restriction_count(&windows) <= 8);
        }
    }

    #[test]
    fn a_restriction_over_several_days_is_not_a_window() {
        let five_days = json!({"type": "weekday-and-time-of-day", "restrictions": [
            {"startDay": "monday", "startHour": 0, "startMin": 0, "endDay": "friday", "endHour": 0, "endMin": 0}]});
        assert_eq!(windows_of(&five_days), None);
    }

    #[test]
    fn starts_are_utc_instants_of_wall_clock_times() {
        let start: DateTime = "2027-01-04T09:00:00".parse().unwrap();
        assert_eq!(
            start_date(start, "Europe/London").unwrap(),
            "2027-01-04T09:00:00Z"
        );
        assert_eq!(
            start_date(start, "Asia/Tokyo").unwrap(),
            "2027-01-04T00:00:00Z"
        );
        assert!(start_is_exact(start, "Asia/Kolkata"));
        assert!(!start_is_exact(start, "Asia/Kathmandu"));
        let weekly = Layer {
            name: "Weekly".to_owned(),
            start,
            rotation: Rotation::Days(14),
            members: Vec::new(),
            restrict: Vec::new(),
        };
        let body = rotation_body(&weekly, &["u1".into()], "Asia/Tokyo").unwrap();
        let layer = layer_of(&body, "Asia/Tokyo").unwrap();
        assert_eq!((layer.start, layer.rotation), (start, Rotation::Days(14)));
        assert_eq!(body["type"], "weekly");
        assert_eq!(body["length"], 2);
    }

    #[test]
    fn delays_are_absolute_in_opsgenie() {
        assert_eq!(absolute_delays(&[0, 15, 30]), vec![0, 15, 45]);
        assert_eq!(
            delay_minutes(&json!({"timeAmount": 2, "timeUnit": "hours"})),
            Some(120)
        );
        assert_eq!(delay_minutes(&json!({"timeAmount": 5})), Some(5));
    }

    #[test]
    fn roles_map_both_ways() {
        for role in [Role::Owner, Role::Admin, Role::Responder, Role::Observer] {
            assert_eq!(role_of(role_name(role)), role);
        }
    }
}
