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

/// A UTC offset as RFC 3339 writes it: `+01:00`, `-05:00`, `+05:30`.
pub fn offset_text(offset: jiff::tz::Offset) -> String {
    let seconds = offset.seconds();
    format!(
        "{}{:02}:{:02}",
        if seconds < 0 { '-' } else { '+' },
        seconds.abs() / 3600,
        seconds.abs() % 3600 / 60
    )
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

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A colour per person, the same on every row: a hue from their key.
fn hue(key: &str) -> u32 {
    key.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360
}

/// One self-contained page (no network, no script): per schedule, a row of who is paged and a
/// row per layer over the window, each turn a bar with the person's name; gaps in red, the
/// daylight-saving changes of the schedule's zone and "now" drawn as lines. Every element carries
/// its times and person in `data-` attributes, for tests and for people who read the source.
pub fn html(answers: &[Answer<'_>], from: Timestamp, to: Timestamp, now: Timestamp) -> String {
    let span = to.duration_since(from).as_secs_f64().max(1.0);
    let left =
        |t: Timestamp| (t.duration_since(from).as_secs_f64() / span * 100.0).clamp(0.0, 100.0);
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>alertform: who is on call</title>\n<style>\n\
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1b1b}\n\
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 6px}small{color:#666;font-weight:normal}\n\
.row{display:flex;align-items:center;margin:3px 0}.label{width:180px;flex:none;font-size:12px;color:#444;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\n\
.track{position:relative;flex:1;height:26px;background:#f3f3f3;border-radius:3px;overflow:hidden}\n\
.turn{position:absolute;top:2px;bottom:2px;border-radius:2px;font-size:11px;line-height:22px;padding:0 3px;box-sizing:border-box;overflow:hidden;white-space:nowrap;color:#111;border-left:1px solid #fff}\n\
.gap{position:absolute;top:0;bottom:0;background:repeating-linear-gradient(45deg,#d33,#d33 4px,#f77 4px,#f77 8px)}\n\
.dst{position:absolute;top:0;bottom:0;width:0;border-left:2px dashed #555}.now{position:absolute;top:0;bottom:0;width:0;border-left:2px solid #06c}\n\
.legend span{margin-right:16px;font-size:12px}\n</style></head><body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>Who is on call</h1>\n<p class=\"window\" data-from=\"{}\" data-to=\"{}\">{} to {} (UTC). <span class=\"legend\"><span>red: nobody on call</span><span>dashed: the clocks change</span><span>blue: now</span></span></p>",
        utc(from),
        utc(to),
        utc(from),
        utc(to)
    );
    for answer in answers {
        let schedule = answer.rota.schedule;
        let zone = &answer.rota.zone;
        let _ = writeln!(
            out,
            "<section class=\"schedule\" data-schedule=\"schedule.{}\">\n<h2>{} <small>(schedule.{}, {})</small></h2>",
            html_escape(answer.key),
            html_escape(&schedule.name),
            html_escape(answer.key),
            html_escape(&schedule.time_zone)
        );
        if let Some(rule) = &answer.rule {
            let _ = writeln!(out, "<p class=\"rule\">{}</p>", html_escape(rule));
        }
        // The changes of the zone's offset within the window, hour by hour.
        let mut changes = Vec::new();
        let mut at = from;
        let mut offset = zone.to_offset(at);
        while at < to {
            let next = at + jiff::SignedDuration::from_hours(1);
            let later = zone.to_offset(next);
            if later != offset {
                changes.push((next, offset, later));
                offset = later;
            }
            at = next;
        }
        let mut rows: Vec<(String, &str, Vec<Shift>)> =
            vec![("paged".to_owned(), "paged", answer.shifts.clone())];
        for (index, layer) in schedule.layers.iter().enumerate() {
            rows.push((
                format!("layer: {}", layer.name),
                "layer",
                answer.rota.layer_turns(index, from, to),
            ));
        }
        for (label, kind, shifts) in rows {
            let _ = write!(
                out,
                "<div class=\"row {kind}\" data-row=\"{}\"><span class=\"label\">{}</span><div class=\"track\">",
                html_escape(&label),
                html_escape(&label)
            );
            for shift in &shifts {
                let who = answer
                    .users
                    .get(&shift.user.key)
                    .map_or(shift.user.key.as_str(), |u| u.name.as_str());
                let _ = write!(
                    out,
                    "<div class=\"turn\" data-user=\"{}\" data-layer=\"{}\" data-start=\"{}\" data-end=\"{}\" style=\"left:{:.4}%;width:{:.4}%;background:hsl({},70%,78%)\" title=\"{} ({}): {} → {}\">{}</div>",
                    html_escape(&shift.user.to_string()),
                    html_escape(&schedule.layers[shift.layer].name),
                    utc(shift.start),
                    utc(shift.end),
                    left(shift.start),
                    left(shift.end) - left(shift.start),
                    hue(&shift.user.key),
                    html_escape(who),
                    html_escape(&schedule.layers[shift.layer].name),
                    html_escape(&answer.rota.local_text(shift.start)),
                    html_escape(&answer.rota.local_text(shift.end)),
                    html_escape(who)
                );
            }
            if kind == "paged" {
                let mut cursor = from;
                let mut sorted = shifts.clone();
                sorted.sort_by_key(|s| s.start);
                let mut gaps = Vec::new();
                for shift in &sorted {
                    if shift.start > cursor {
                        gaps.push((cursor, shift.start));
                    }
                    cursor = cursor.max(shift.end);
                }
                if cursor < to {
                    gaps.push((cursor, to));
                }
                for (start, end) in gaps {
                    let _ = write!(
                        out,
                        "<div class=\"gap\" data-start=\"{}\" data-end=\"{}\" style=\"left:{:.4}%;width:{:.4}%\" title=\"nobody on call: {} → {}\"></div>",
                        utc(start),
                        utc(end),
                        left(start),
                        left(end) - left(start),
                        html_escape(&answer.rota.local_text(start)),
                        html_escape(&answer.rota.local_text(end))
                    );
                }
            }
            for (at, before, after) in &changes {
                let _ = write!(
                    out,
                    "<div class=\"dst\" data-at=\"{}\" style=\"left:{:.4}%\" title=\"the clocks change: UTC{before} to UTC{after}\"></div>",
                    utc(*at),
                    left(*at)
                );
            }
            if (from..to).contains(&now) {
                let _ = write!(
                    out,
                    "<div class=\"now\" data-at=\"{}\" style=\"left:{:.4}%\" title=\"now\"></div>",
                    utc(now),
                    left(now)
                );
            }
            out.push_str("</div></div>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    out
}
