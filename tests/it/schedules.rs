//! Schedules end to end: `alertform oncall` from the config alone (text, JSON, iCalendar read back
//! by a real parser), and schedules planned, applied and routed to by the real `serve`.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{TestServer, alertform, stderr, stdout};

const ROTA: &str = r#"
[user.alice]
name = "Alice"
email = "alice@example.com"

[user.bob]
name = "Bob"
email = "bob@example.com"

[user.carol]
name = "Carol"
email = "carol@example.com"

[schedule.sre_primary]
name = "SRE primary"
time_zone = "Europe/London"

[[schedule.sre_primary.layer]]
name = "Weekly"
start = "2027-01-04T09:00:00"
rotation = "1w"
members = ["user.alice", "user.bob"]

[[schedule.sre_primary.layer]]
name = "Business-hours cover"
start = "2027-01-04T09:00:00"
rotation = "1d"
members = ["user.carol"]
restrict = [{ days = ["mon", "tue", "wed", "thu", "fri"], from = "09:00", to = "17:00" }]

[schedule.weekly]
name = "Weekly only"
time_zone = "Europe/London"

[[schedule.weekly.layer]]
name = "Weekly"
start = "2027-01-04T09:00:00"
rotation = "1w"
members = ["user.alice", "user.bob"]

[escalation_policy.sre]
name = "SRE"
steps = [
  { notify = ["schedule.sre_primary"] },
  { delay_minutes = 30, notify = ["schedule.weekly", "user.carol"] },
]

[integration.grafana]
name = "Grafana"
channel = "api"
template = "grafana"
escalation_policy = "sre"
"#;

fn config() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rota.toml"), ROTA).unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    (dir, path)
}

fn oncall(path: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["oncall", path];
    args.extend_from_slice(extra);
    alertform(&args)
}

fn json_shifts(output: &std::process::Output) -> Vec<Value> {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_str::<Vec<Value>>(&stdout(output)).unwrap()
}

#[test]
fn a_weekly_rotation_hands_off_at_09_00_local_across_both_uk_changes_of_2027() {
    let (_dir, path) = config();
    let shifts = json_shifts(&oncall(
        &path,
        &[
            "weekly",
            "--from",
            "2027-03-01T00:00:00Z",
            "--to",
            "2027-11-30T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    // A piece before 1 March 09:00, 39 whole weeks, a piece after 29 November 09:00.
    assert_eq!(shifts.len(), 41, "{shifts:#?}");
    for shift in &shifts[1..] {
        let start = shift["start"].as_str().unwrap();
        // 09:00 in London is 09:00Z in winter and 08:00Z in summer time.
        let date = &start[..10];
        let summer = ("2027-03-29".."2027-11-01").contains(&date);
        let expected = if summer { "T08:00:00Z" } else { "T09:00:00Z" };
        assert!(start.ends_with(expected), "{start} (summer: {summer})");
    }
    let users: Vec<&str> = shifts.iter().map(|s| s["user"].as_str().unwrap()).collect();
    for pair in users.windows(2) {
        assert_ne!(pair[0], pair[1], "turns alternate");
    }
    // The text form shows local times with the zone's abbreviation.
    let text = stdout(&oncall(
        &path,
        &[
            "weekly",
            "--from",
            "2027-03-22T00:00:00Z",
            "--to",
            "2027-04-06T00:00:00Z",
        ],
    ));
    assert!(
        text.contains("Mon 2027-03-22 09:00 GMT → Mon 2027-03-29 09:00 BST"),
        "{text}"
    );
    assert!(
        text.contains("(2027-03-22T09:00:00Z → 2027-03-29T08:00:00Z)"),
        "{text}"
    );
}

#[test]
fn layered_and_restricted_schedules_answer_as_specified() {
    let (_dir, path) = config();
    let at = |time: &str| {
        let shifts = json_shifts(&oncall(
            &path,
            &["sre_primary", "--at", time, "--format", "json"],
        ));
        shifts.first().map(|s| {
            (
                s["user"].as_str().unwrap().to_owned(),
                s["layer"].as_str().unwrap().to_owned(),
            )
        })
    };
    // 2027-01-06 is a Wednesday (GMT).
    assert_eq!(
        at("2027-01-06T12:00:00Z"),
        Some(("user.carol".into(), "Business-hours cover".into())),
        "the last layer wins inside its window"
    );
    assert_eq!(
        at("2027-01-06T20:00:00Z"),
        Some(("user.alice".into(), "Weekly".into())),
        "outside it the layer below shows through"
    );
    assert_eq!(
        at("2027-01-09T12:00:00Z").unwrap().0,
        "user.alice",
        "Saturday"
    );
    assert_eq!(
        at("2027-01-13T20:00:00Z").unwrap().0,
        "user.bob",
        "second week"
    );
    assert_eq!(
        at("2027-01-04T08:59:00Z"),
        None,
        "before the start nobody is on call"
    );
    let text = stdout(&oncall(
        &path,
        &["sre_primary", "--at", "2027-01-06T12:00:00Z"],
    ));
    assert!(
        text.contains("on call at Wed 2027-01-06 12:00 GMT: carol (Carol <carol@example.com>) [Business-hours cover] until Wed 2027-01-06 17:00 GMT"),
        "{text}"
    );
}

#[test]
fn the_ics_calendar_reads_back_with_a_real_icalendar_parser() {
    use icalendar::{Calendar, CalendarComponent, Component};
    let (_dir, path) = config();
    let window = [
        "--from",
        "2027-01-04T00:00:00Z",
        "--to",
        "2027-01-18T00:00:00Z",
    ];
    let shifts = json_shifts(&oncall(
        &path,
        &[&window[..], &["--format", "json"]].concat(),
    ));
    let ics = oncall(&path, &[&window[..], &["--format", "ics"]].concat());
    assert!(ics.status.success());
    let text = stdout(&ics);
    assert!(text.contains("\r\n"), "CRLF line ends");
    let calendar: Calendar = text.parse().expect("the calendar parses");
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), shifts.len(), "one event per shift");
    for (event, shift) in events.iter().zip(&shifts) {
        let start = event.property_value("DTSTART").unwrap();
        let expected = shift["start"].as_str().unwrap().replace(['-', ':'], "");
        assert_eq!(start, expected);
        assert!(event.get_summary().unwrap().starts_with("On call: "));
        assert!(event.get_uid().is_some());
    }
}

#[test]
fn oncall_errors_are_clear() {
    let (_dir, path) = config();
    let unknown = oncall(&path, &["sre_primry"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("did you mean `sre_primary`?"),
        "{}",
        stderr(&unknown)
    );
    let bad_time = oncall(&path, &["--at", "tomorrow"]);
    assert_eq!(bad_time.status.code(), Some(1));
    assert!(stderr(&bad_time).contains("is not a time: write `now`, `2027-03-28 09:00`"));
    let backwards = oncall(
        &path,
        &[
            "--from",
            "2027-02-01T00:00:00Z",
            "--to",
            "2027-01-01T00:00:00Z",
        ],
    );
    assert!(stderr(&backwards).contains("--to must be after --from"));
}

fn apply(server: &TestServer, path: &str) -> std::process::Output {
    alertform(&[
        "apply",
        path,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--auto-approve",
    ])
}

#[test]
fn schedules_apply_replan_to_no_changes_and_alerts_reach_who_is_on_call() {
    let server = TestServer::start(&[]);
    let (dir, path) = config();
    let applied = apply(&server, &path);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    assert!(stdout(&applied).contains("+ schedule.sre_primary"));
    assert_eq!(crate::support::BUNDLED.plan_code(&server, &path), Some(0));

    // A change of turn order is an update of the schedule, in place.
    let file = Path::new(dir.path()).join("rota.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen(
            "members = [\"user.alice\", \"user.bob\"]",
            "members = [\"user.bob\", \"user.alice\"]",
            1,
        ),
    )
    .unwrap();
    let plan = alertform(&[
        "plan",
        &path,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
    ]);
    let out = stdout(&plan);
    assert!(out.contains("~ schedule.sre_primary"), "{out}");
    assert!(out.contains("Plan: 0 to add, 1 to change"), "{out}");
    assert!(apply(&server, &path).status.success());
    assert_eq!(crate::support::BUNDLED.plan_code(&server, &path), Some(0));

    // An alert: each schedule step names who was on call when it ran.
    let show = alertform(&[
        "show",
        "integration.grafana",
        "--config",
        &path,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--reveal",
    ]);
    let integration: Value = serde_json::from_str(&stdout(&show)).unwrap();
    let url = integration["endpoint_url"].as_str().unwrap();
    let response = crate::support::http_client()
        .post(url)
        .json(&json!({"title": "disk full"}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let accepted: Value = response.json().unwrap();
    let steps = accepted["routing"]["steps"].as_array().unwrap();
    let users = crate::apply::all(&server, "users");
    let email_of = |id: &str| {
        users.iter().find(|u| u["id"] == id).map(|u| {
            u["email"]
                .as_str()
                .unwrap()
                .split('@')
                .next()
                .unwrap()
                .to_owned()
        })
    };
    for (step, schedule) in steps.iter().zip(["sre_primary", "weekly"]) {
        let on_call = &step["on_call"][0];
        let at = on_call["at"].as_str().unwrap();
        // The same moment asked of the config gives the same person.
        let expected = json_shifts(&oncall(&path, &[schedule, "--at", at, "--format", "json"]));
        let expected_user = expected.first().map(|s| {
            s["user"]
                .as_str()
                .unwrap()
                .trim_start_matches("user.")
                .to_owned()
        });
        let got = on_call["user_id"].as_str().and_then(email_of);
        assert_eq!(got, expected_user, "{schedule} at {at}: {accepted}");
        if let Some(user_id) = on_call["user_id"].as_str() {
            assert!(
                step["user_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|u| u == user_id)
            );
        }
    }
    assert_eq!(steps[1]["delay_minutes"], 30);
}

#[test]
fn lint_warns_of_uncovered_hours_and_unused_schedules() {
    let dir = tempfile::tempdir().unwrap();
    let text = ROTA.to_owned()
        + r#"
[schedule.days_only]
name = "Days only"
time_zone = "Europe/Berlin"

[[schedule.days_only.layer]]
name = "Days"
start = "2026-06-01T08:00:00"
rotation = "1d"
members = ["user.alice", "user.bob", "user.carol"]
restrict = [{ from = "08:00", to = "20:00" }]
"#;
    std::fs::write(dir.path().join("rota.toml"), text).unwrap();
    let path = dir.path().to_str().unwrap();
    let output = alertform(&["lint", path]);
    assert_eq!(output.status.code(), Some(0), "warnings alone do not fail");
    let err = stderr(&output);
    assert!(
        err.contains("`schedule.days_only` leaves hours uncovered: nobody is on call from Mon 2026-06-01 20:00 CEST to Tue 2026-06-02 08:00 CEST (the first gap in its 21-day cycle)"),
        "{err}"
    );
    assert!(err.contains("rota.toml:"), "located: {err}");
    assert!(
        err.contains("`schedule.days_only` is not used by any escalation step"),
        "{err}"
    );
    assert!(
        !err.contains("schedule.sre_primary`"),
        "covered and used: {err}"
    );
    assert_eq!(stdout(&output).trim(), "lint: 0 errors, 2 warnings");
    let strict = alertform(&["lint", path, "--deny-warnings"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn bad_schedules_fail_plan_located_with_no_request() {
    let server = TestServer::start(&[]);
    for fixture in [
        "tests/fixtures/invalid/toml_bad_schedules.toml",
        "tests/fixtures/invalid/hcl_bad_schedules.hcl",
    ] {
        let before = server.api_requests();
        let output = alertform(&[
            "plan",
            fixture,
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
        ]);
        assert_eq!(output.status.code(), Some(1));
        let err = stderr(&output);
        assert!(err.contains(&format!("{fixture}:")), "{err}");
        assert!(err.contains("does not exist in"), "the gap start: {err}");
        assert_eq!(
            server.api_requests(),
            before,
            "{fixture}: a request was made"
        );
    }
}

/// `oncall` takes times as people type them (a wall-clock time or a date in the schedule's zone,
/// said on stderr; `now`; RFC 3339), windows as lengths (`--for 2d`), refuses a time the clocks
/// skip or repeat with both readings, and names people beside their keys.
#[test]
fn oncall_reads_typed_times_and_names_people() {
    let example = "examples/quickstart-pagerduty";
    let run = |args: &[&str]| {
        let mut all = vec!["oncall", example];
        all.extend_from_slice(args);
        crate::support::alertform(&all)
    };
    for typed in ["2027-03-28 09:00", "2027-03-28T09:00"] {
        let output = run(&["--at", typed, "--format", "json"]);
        assert!(
            output.status.success(),
            "{}",
            crate::support::stderr(&output)
        );
        assert!(
            crate::support::stderr(&output).contains(&format!(
                "`{typed}` read as 2027-03-28T09:00:00+01:00 (Europe/London)"
            )),
            "{}",
            crate::support::stderr(&output)
        );
        let shifts: Vec<serde_json::Value> =
            serde_json::from_str(&crate::support::stdout(&output)).unwrap();
        assert_eq!(shifts.len(), 1);
        assert_eq!(shifts[0]["user"], "user.alice");
        assert_eq!(shifts[0]["name"], "Alice Ng");
        assert_eq!(shifts[0]["email"], "alice@example.com");
    }
    let text = run(&["--at", "2027-03-28"]);
    let said = crate::support::stdout(&text);
    assert!(
        said.contains("on call at Sun 2027-03-28 00:00 GMT: alice (Alice Ng <alice@example.com>)"),
        "{said}"
    );
    let windowed = run(&["--from", "2027-03-01", "--for", "2d", "--format", "json"]);
    let explicit = run(&[
        "--from",
        "2027-03-01T00:00:00Z",
        "--to",
        "2027-03-03T00:00:00Z",
        "--format",
        "json",
    ]);
    assert!(
        windowed.status.success(),
        "{}",
        crate::support::stderr(&windowed)
    );
    assert_eq!(
        crate::support::stdout(&windowed),
        crate::support::stdout(&explicit)
    );
    for (typed, said) in [
        (
            "2027-03-28 01:30",
            "does not exist in Europe/London: the clocks skip it (UTC+00 to UTC+01); write `2027-03-28T01:30:00+00:00` or `2027-03-28T01:30:00+01:00`",
        ),
        (
            "2027-10-31 01:30",
            "happens twice in Europe/London, as the clocks go back (UTC+01 to UTC+00): write `2027-10-31T01:30:00+01:00` (the first) or `2027-10-31T01:30:00+00:00` (the second)",
        ),
        ("next tuesday", "is not a time"),
    ] {
        let output = run(&["--at", typed]);
        assert_eq!(output.status.code(), Some(1));
        assert!(
            crate::support::stderr(&output).contains(said),
            "{}",
            crate::support::stderr(&output)
        );
    }
    let output = run(&["--from", "now", "--for", "14x"]);
    assert!(crate::support::stderr(&output).contains("`14x` is not a length"));

    // Schedules in two zones: a time without an offset is ambiguous, and said so.
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(crate::support::root().join(example).join("people.toml"))
        .unwrap()
        .replace("#:schema ../../schema/alertform.schema.json", "");
    let second = "\n[schedule.tokyo]\nname = \"Tokyo\"\ntime_zone = \"Asia/Tokyo\"\n\n[[schedule.tokyo.layer]]\nname = \"L\"\nstart = \"2027-01-04T09:00:00\"\nrotation = \"1w\"\nmembers = [\"user.bob\"]\n";
    std::fs::write(dir.path().join("people.toml"), config + second).unwrap();
    let output = crate::support::alertform(&[
        "oncall",
        dir.path().to_str().unwrap(),
        "--at",
        "2027-03-28 09:00",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        crate::support::stderr(&output).contains("several zones (Asia/Tokyo, Europe/London)"),
        "{}",
        crate::support::stderr(&output)
    );
    let one = crate::support::alertform(&[
        "oncall",
        dir.path().to_str().unwrap(),
        "tokyo",
        "--at",
        "2027-03-28 09:00",
    ]);
    assert!(
        crate::support::stderr(&one).contains("(Asia/Tokyo)"),
        "{}",
        crate::support::stderr(&one)
    );
}
