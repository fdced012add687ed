//! Shifts for people and programs: text with local and UTC times, JSON, and iCalendar.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use super::{Rota, Shift};

/// One schedule's shifts within a window, for rendering.
pub struct Answer<'a> {
    pub key: &'a str,
    pub rota: Rota<'a>,
    pub shifts: Vec<Shift>,
    /// The shifts covering the time asked about ("now" or `--at`): one at most where the last
    /// layer wins, one per layer where every layer pages.
    pub current: Vec<Shift>,
    pub at: Timestamp,
    /// Whose paging rule the shifts follow, when it is not alertform's own (the last layer
    /// wins): said under the schedule's name.
    pub rule: Option<String>,
    /// The config's users, to name the people beside their keys.
    pub users: &'a std::collections::BTreeMap<String, crate::model::User>,
}

impl Answer<'_> {
    /// `alice (Alice Ng <alice@example.com>)`: the key a config uses, and who that is.
    fn person(&self, user: &crate::model::Address) -> String {
        match self.users.get(&user.key) {
            Some(u) => format!("{} ({} <{}>)", user.key, u.name, u.email),
            None => user.key.clone(),
        }
    }
}

/// `[{schedule, user, layer, start, end}]` with UTC RFC 3339 times.
#[derive(Debug, Serialize)]
pub struct JsonShift<'a> {
    pub schedule: String,
    pub user: String,
    /// The user's `name` and `email` as the config declares them.
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub layer: &'a str,
    pub start: String,
    pub end: String,
}

fn utc(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn json(answers: &[Answer<'_>]) -> String {
    let shifts: Vec<JsonShift<'_>> = answers
        .iter()
        .flat_map(|a| {
            a.shifts.iter().map(move |s| JsonShift {
                schedule: format!("schedule.{}", a.key),
                user: s.user.to_string(),
                name: a.users.get(&s.user.key).map(|u| u.name.as_str()),
                email: a.users.get(&s.user.key).map(|u| u.email.as_str()),
                layer: &a.rota.schedule.layers[s.layer].name,
                start: utc(s.start),
                end: utc(s.end),
            })
        })
        .collect();
    serde_json::to_string_pretty(&shifts).expect("shifts serialise")
}

/// One block per schedule: a line per shift in local time (with its UTC times), then who is on
/// call at the time asked about.
pub fn text(answers: &[Answer<'_>]) -> String {
    let mut out = String::new();
    for (i, answer) in answers.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let schedule = answer.rota.schedule;
        let local = |at: Timestamp| answer.rota.local_text(at);
        let _ = writeln!(
            out,
            "{} (schedule.{}, {})",
            schedule.name, answer.key, schedule.time_zone
        );
        if let Some(rule) = &answer.rule {
            let _ = writeln!(out, "  {rule}");
        }
        if answer.shifts.is_empty() {
            let _ = writeln!(out, "  nobody is on call in this window");
        }
        for shift in &answer.shifts {
            let _ = writeln!(
                out,
                "  {} → {}  {}  [{}]  ({} → {})",
                local(shift.start),
                local(shift.end),
                answer.person(&shift.user),
                schedule.layers[shift.layer].name,
                utc(shift.start),
                utc(shift.end),
            );
        }
        let paged: Vec<String> = answer
            .current
            .iter()
            .map(|shift| {
                format!(
                    "{} [{}] until {}",
                    answer.person(&shift.user),
                    schedule.layers[shift.layer].name,
                    local(shift.end)
                )
            })
            .collect();
        let paged = if paged.is_empty() {
            "nobody".to_owned()
        } else {
            paged.join("; ")
        };
        let _ = writeln!(out, "  on call at {}: {paged}", local(answer.at));
    }
    out
}

/// RFC 5545: one event per shift, times in UTC, lines folded at 75 octets.
pub fn ics(answers: &[Answer<'_>], stamp: Timestamp) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//alertform//oncall//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
    ];
    let ical = |at: Timestamp| at.strftime("%Y%m%dT%H%M%SZ").to_string();
    for answer in answers {
        let schedule = answer.rota.schedule;
        for shift in &answer.shifts {
            let layer = &schedule.layers[shift.layer].name;
            lines.push("BEGIN:VEVENT".to_owned());
            lines.push(format!(
                "UID:{}-{}-{}@alertform",
                answer.key,
                shift.start.as_second(),
                shift.user.key
            ));
            lines.push(format!("DTSTAMP:{}", ical(stamp)));
            lines.push(format!("DTSTART:{}", ical(shift.start)));
            lines.push(format!("DTEND:{}", ical(shift.end)));
            lines.push(format!(
                "SUMMARY:{}",
                escape(&format!(
                    "On call: {} ({} / {layer})",
                    answer.person(&shift.user),
                    schedule.name
                ))
            ));
            lines.push(format!(
                "DESCRIPTION:{}",
                escape(&format!(
                    "{} is on call for schedule.{} ({}), layer {layer}.",
                    shift.user, answer.key, schedule.time_zone
                ))
            ));
            lines.push("END:VEVENT".to_owned());
        }
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        out.push_str(&fold(&line));
        out.push_str("\r\n");
    }
    out
}

/// TEXT escaping of RFC 5545 §3.3.11.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out
}
