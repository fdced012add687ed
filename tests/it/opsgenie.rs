//! Opsgenie: the provider against `serve --api opsgenie`, both real, over HTTP. The quickstart
//! applies and re-plans to nothing, exports round-trip in both formats, an integration's API key
//! never reaches output, what Opsgenie cannot hold is a located plan-time error, and the
//! emulation speaks Opsgenie's dialect (auth, envelopes, errors, paging, a team's own
//! resources, 428 for a user still in a team).

use serde_json::{Value, json};

use crate::support::{TestServer, alertform, copy_example, edit, send, stderr, stdout};

const QUICKSTART: &str = "examples/quickstart-opsgenie";
const VENDOR: crate::support::Vendor = crate::support::OPSGENIE;

#[test]
fn the_quickstart_applies_replans_to_nothing_and_exports_round_trip() {
    let server = VENDOR.server(&[]);
    let applied = VENDOR.run(&server, "apply", QUICKSTART, &[]);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    assert_eq!(VENDOR.plan_code(&server, QUICKSTART), Some(0));
    // What was written is what Opsgenie holds: absolute rule delays, rotations in UTC.
    let (status, escalation) = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::GET,
        "/v2/escalations/SRE%20default?identifierType=name",
    ));
    assert_eq!(status, 200, "{escalation}");
    let delays: Vec<u64> = escalation["data"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["delay"]["timeAmount"].as_u64().unwrap())
        .collect();
    assert_eq!(delays, vec![0, 15]);
    assert_eq!(escalation["data"]["repeat"]["count"], 2);
    let (_, schedule) = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::GET,
        "/v2/schedules/SRE%20rotation?identifierType=name",
    ));
    let rotations = schedule["data"]["rotations"].as_array().unwrap();
    assert_eq!(rotations[0]["startDate"], "2027-01-04T09:00:00Z");
    assert_eq!(
        rotations[0]["timeRestriction"]["type"],
        "weekday-and-time-of-day"
    );
    assert_eq!(rotations[1]["type"], "weekly");
    for format in ["toml", "hcl"] {
        let out = tempfile::tempdir().unwrap();
        VENDOR.export(&server, out.path(), format);
        let dir = out.path().to_str().unwrap();
        assert_eq!(
            VENDOR.plan_code(&server, dir),
            Some(0),
            "{format} export re-plans to nothing"
        );
    }
}

#[test]
fn an_integration_api_key_never_reaches_output() {
    let server = VENDOR.server(&[]);
    let applied = VENDOR.run(&server, "apply", QUICKSTART, &["-vv"]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    // Every integration's key, and the email integration's address.
    let mut secrets = Vec::new();
    for entry in live(&server, "integrations") {
        let path = format!("/v2/integrations/{}", entry["id"].as_str().unwrap());
        let (_, integration) =
            send(crate::support::OPSGENIE.request(&server, reqwest::Method::GET, &path));
        for field in ["apiKey", "emailAddress"] {
            if let Some(secret) = integration["data"][field].as_str() {
                secrets.push(secret.to_owned());
            }
        }
    }
    assert_eq!(secrets.len(), 4, "three keys and an address: {secrets:?}");
    let plan = VENDOR.run(&server, "plan", QUICKSTART, &["-vv"]);
    let show = VENDOR.run(
        &server,
        "show",
        "integration.backup_mail",
        &["--config", QUICKSTART],
    );
    assert!(show.status.success(), "{}", stderr(&show));
    assert!(
        stdout(&show).contains("\"emailAddress\": \"(sensitive)\""),
        "{}",
        stdout(&show)
    );
    for output in [&applied, &plan, &show] {
        for secret in &secrets {
            assert!(!stdout(output).contains(secret) && !stderr(output).contains(secret));
        }
    }
}

#[test]
fn what_opsgenie_cannot_hold_is_a_located_plan_error() {
    let (dir, path) = copy_example(QUICKSTART);
    let routing = path.join("routing.toml");
    // The later layer now covers all week, over the business-hours layer.
    edit(
        &routing,
        "  { days = [\"sat\", \"sun\"], from = \"09:00\", to = \"21:00\" },\n",
        "",
    );
    edit(
        &routing,
        "  { days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], from = \"17:00\", to = \"09:00\" },\n",
        "  { from = \"00:00\", to = \"23:00\" },\n",
    );
    edit(
        &routing,
        "start = \"2027-01-04T17:00:00\"",
        "start = \"2027-01-04T17:15:00\"",
    );
    let server = VENDOR.server(&[]);
    let planned = VENDOR.run(&server, "plan", path.to_str().unwrap(), &[]);
    assert_eq!(planned.status.code(), Some(1), "{}", stdout(&planned));
    let err = stderr(&planned);
    assert!(err.contains("routing.toml:20:1"), "located: {err}");
    // Read past miette's line wrapping.
    let err: String = err
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        err.contains("Opsgenie pages every rotation with someone on call"),
        "{err}"
    );
    assert!(err.contains("on the hour or the half hour"), "{err}");
    drop(dir);
}

#[test]
fn the_emulation_speaks_opsgenies_dialect() {
    let server = VENDOR.server(&[]);
    // Auth: a GenieKey the service knows; anything else is 401 in Opsgenie's error shape.
    let (status, body) = send(
        crate::support::http_client()
            .get(format!("{}/v2/users", server.url))
            .header("authorization", format!("Bearer {}", server.token)),
    );
    assert_eq!(status, 401);
    assert_eq!(body["message"], "Could not authenticate");
    assert!(body["requestId"].is_string() && body["took"].is_number());
    // Envelopes and users' paging.
    for i in 0..3 {
        let (status, made) = send(crate::support::OPSGENIE.request(&server, reqwest::Method::POST, "/v2/users").json(&json!({"username": format!("u{i}@example.com"), "fullName": format!("U {i}"), "role": {"name": "user"}})));
        assert_eq!(status, 201, "{made}");
        assert_eq!(made["result"], "Created");
    }
    let (_, page) = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::GET,
        "/v2/users?limit=2&offset=0",
    ));
    assert_eq!(page["totalCount"], 4);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert!(
        page["paging"]["next"]
            .as_str()
            .unwrap()
            .contains("offset=2")
    );
    // 422 with the field in `errors`.
    let (status, bad) = send(
        crate::support::OPSGENIE
            .request(&server, reqwest::Method::POST, "/v2/schedules")
            .json(&json!({"name": "S", "timezone": "Europe/Londn"})),
    );
    assert_eq!(status, 422);
    assert!(bad["errors"]["timezone"].is_string(), "{bad}");
    // A new team comes with a schedule and an escalation of its own.
    let (status, _) = send(
        crate::support::OPSGENIE
            .request(&server, reqwest::Method::POST, "/v2/teams")
            .json(&json!({"name": "Ops", "members": [{"user": {"username": "u0@example.com"}}]})),
    );
    assert_eq!(status, 201);
    let (_, schedules) =
        send(crate::support::OPSGENIE.request(&server, reqwest::Method::GET, "/v2/schedules"));
    assert!(
        schedules["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Ops_schedule")
    );
    // A user still in a team is not deleted: 428.
    let (status, held) = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::DELETE,
        "/v2/users/u0@example.com",
    ));
    assert_eq!(status, 428, "{held}");
    assert!(held["message"].as_str().unwrap().contains("team [Ops]"));
    let (status, _) = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::DELETE,
        "/v2/users/u1@example.com",
    ));
    assert_eq!(status, 200);
    let teams: Vec<Value> = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::GET,
        "/v2/teams",
    ))
    .1["data"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        teams[0].get("members").is_none(),
        "team list entries carry no members"
    );
}

/// Who is paged, interval by interval: alertform's own rotation maths for the quickstart
/// (`oncall`) against the emulation's timeline, computed by Opsgenie's rules (every rotation
/// with someone on call pages), every 30 minutes over three weeks in January and over the
/// spring daylight-saving change in Europe/London. The quickstart's layers never overlap, so the
/// two must name the same person at every instant.
#[test]
fn opsgenie_pages_who_alertform_says_the_quickstart_pages() {
    let server = VENDOR.server(&[]);
    let applied = VENDOR.run(&server, "apply", QUICKSTART, &[]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let (_, schedule) = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::GET,
        "/v2/schedules/SRE%20rotation?identifierType=name",
    ));
    let id = schedule["data"]["id"].as_str().unwrap().to_owned();
    for (from, to) in [
        ("2027-01-04T00:00:00Z", "2027-01-25T00:00:00Z"),
        ("2027-03-15T00:00:00Z", "2027-04-12T00:00:00Z"),
    ] {
        let ours = alertform(&[
            "oncall", QUICKSTART, "--from", from, "--to", to, "--format", "json",
        ]);
        assert!(ours.status.success(), "{}", stderr(&ours));
        let ours: Vec<Value> = serde_json::from_str(&stdout(&ours)).unwrap();
        let days = (ts(to).as_second() - ts(from).as_second()) / 86_400;
        let (status, theirs) = send(crate::support::OPSGENIE.request(
            &server,
            reqwest::Method::GET,
            &format!("/v2/schedules/{id}/timeline?interval={days}&intervalUnit=days&date={from}"),
        ));
        assert_eq!(status, 200, "{theirs}");
        // The timeline's days are the schedule's calendar days: across the spring change its
        // end is an hour before `to` in UTC. Compare within it.
        let end = ts(theirs["data"]["endDate"].as_str().unwrap()).min(ts(to));
        let theirs: Vec<(jiff::Timestamp, jiff::Timestamp, String)> =
            theirs["data"]["finalTimeline"]["rotations"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r["periods"].as_array().unwrap().clone())
                .map(|p| {
                    let at = |f: &str| ts(p[f].as_str().unwrap());
                    (
                        at("startDate"),
                        at("endDate"),
                        p["recipient"]["name"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
        let mut instant = ts(from);
        let (mut compared, mut paged) = (0, 0);
        while instant < end {
            let alertform_pages: Vec<String> = ours
                .iter()
                .filter(|s| {
                    ts(s["start"].as_str().unwrap()) <= instant
                        && instant < ts(s["end"].as_str().unwrap())
                })
                .map(|s| {
                    format!(
                        "{}@example.com",
                        s["user"].as_str().unwrap().trim_start_matches("user.")
                    )
                })
                .collect();
            let mut opsgenie_pages: Vec<String> = theirs
                .iter()
                .filter(|(a, b, _)| *a <= instant && instant < *b)
                .map(|(_, _, who)| who.clone())
                .collect();
            opsgenie_pages.dedup();
            assert_eq!(alertform_pages, opsgenie_pages, "at {instant}");
            compared += 1;
            paged += usize::from(!opsgenie_pages.is_empty());
            instant = instant
                .checked_add(jiff::SignedDuration::from_mins(30))
                .unwrap();
        }
        assert!(compared > 1000, "{compared} instants compared");
        assert!(
            paged * 10 > compared * 9,
            "someone is paged at {paged} of {compared} instants"
        );
    }
}

/// Opsgenie's own rule, through the emulation's `on-calls`: two rotations on call at once both
/// page (where alertform, like PagerDuty, would give the hour to the later one alone).
#[test]
fn every_rotation_on_call_pages_in_opsgenie() {
    let server = VENDOR.server(&[]);
    let (status, _) = send(crate::support::OPSGENIE.request(&server, reqwest::Method::POST, "/v2/users").json(
        &json!({"username": "bob@example.com", "fullName": "Bob", "role": {"name": "user"}}),
    ));
    assert_eq!(status, 201);
    let (status, made) = send(crate::support::OPSGENIE.request(&server, reqwest::Method::POST, "/v2/schedules").json(&json!({
        "name": "Overlap", "timezone": "UTC", "rotations": [
            {"name": "All week", "type": "weekly", "startDate": "2027-01-04T00:00:00Z",
             "participants": [{"type": "user", "username": "alice@example.com"}]},
            {"name": "Business hours", "type": "daily", "startDate": "2027-01-04T00:00:00Z",
             "participants": [{"type": "user", "username": "bob@example.com"}],
             "timeRestriction": {"type": "time-of-day", "restriction": {"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0}}},
        ],
    })));
    assert_eq!(status, 201, "{made}");
    let on_call = |date: &str| {
        let (status, body) = send(crate::support::OPSGENIE.request(
            &server,
            reqwest::Method::GET,
            &format!("/v2/schedules/Overlap/on-calls?identifierType=name&date={date}"),
        ));
        assert_eq!(status, 200, "{body}");
        body["data"]["onCallParticipants"].as_array().unwrap().len()
    };
    assert_eq!(
        on_call("2027-01-05T10:00:00Z"),
        2,
        "both rotations page in business hours"
    );
    assert_eq!(on_call("2027-01-05T20:00:00Z"), 1);
}

fn ts(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

/// A generated org of `objects` objects for Opsgenie, written to a temporary directory.
fn generated_org(objects: usize) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    crate::support::generate(dir.path(), objects, &["--provider", "opsgenie"]);
    let path = dir.path().to_str().unwrap().to_owned();
    (dir, path)
}

/// The emulation seeded with a generated org's account (its owner).
fn seeded(org: &str, extra: &[&str]) -> TestServer {
    let seed = format!("{org}/opsgenie-seed.json");
    let mut args = vec!["--api", "opsgenie", "--seed", &seed];
    args.extend_from_slice(extra);
    TestServer::start(&args)
}

/// Every object of a collection (users through their pages), with the fault knobs' 503s read
/// again.
fn live(server: &TestServer, collection: &str) -> Vec<Value> {
    crate::support::OPSGENIE.list(server, &format!("/v2/{collection}"), "data")
}

/// How many objects of each collection the service holds, after checking that no name (a
/// user's username) is there twice: a create retried after a lost answer made nothing twice.
fn census(server: &TestServer) -> Vec<usize> {
    ["users", "teams", "schedules", "escalations", "integrations"]
        .iter()
        .map(|collection| {
            let objects = live(server, collection);
            let names: std::collections::BTreeSet<String> = objects
                .iter()
                .map(|o| {
                    o.get("username")
                        .or(o.get("name"))
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_lowercase()
                })
                .collect();
            assert_eq!(names.len(), objects.len(), "a duplicate among {collection}");
            objects.len()
        })
        .collect()
}

/// 10 % of requests failing before they touch anything and 5 % losing their answer after the
/// write: Opsgenie has no idempotency keys, so every lost create is found by name before it is
/// sent again. The run converges, and nothing is made twice.
#[test]
fn a_fault_run_converges_with_no_duplicate() {
    let (_dir, org) = generated_org(150);
    let server = seeded(
        &org,
        &["--fail-rate", "0.1", "--fail-after-commit-rate", "0.05"],
    );
    let converged = (0..8).any(|_| {
        let _ = VENDOR.run(&server, "apply", &org, &[]);
        VENDOR.plan_code(&server, &org) == Some(0)
    });
    assert!(converged, "apply converges through the faults");
    assert!(
        server.requests_matching(&["status=\"503\""]) > 0,
        "faults were injected"
    );
    // 30 users (one the seeded owner), 7 teams, 22 escalations, 91 integrations; each team
    // brought its own schedule and escalation.
    assert_eq!(census(&server), vec![30, 7, 7, 22 + 7, 91]);
}

/// `apply` killed with SIGKILL once a seeded number of integrations exist, then applied again:
/// 0 lost, 0 made twice, and the final plan is empty, for three kill points.
#[test]
fn apply_killed_mid_run_converges_on_reapply() {
    let (_dir, org) = generated_org(150);
    let expected = vec![30, 7, 7, 22 + 7, 91];
    let mut interrupted = 0;
    for kill_at in [5, 30, 60] {
        let server = seeded(&org, &["--latency", "2"]);
        let out = tempfile::NamedTempFile::new().unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_alertform"))
            .args([
                "apply",
                &org,
                "--auto-approve",
                "--endpoint",
                &server.url,
                "--token",
                &server.token,
                "--provider",
                "opsgenie",
            ])
            .args(VENDOR.flags)
            .stdout(out.reopen().unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
            if live(&server, "integrations").len() >= kill_at {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let _ = child.kill();
        let killed = !child.wait().unwrap().success();
        interrupted += usize::from(killed && live(&server, "integrations").len() < 91);
        let again = VENDOR.run(&server, "apply", &org, &[]);
        assert!(
            again.status.success(),
            "kill at {kill_at}: {}",
            stdout(&again)
        );
        assert_eq!(
            census(&server),
            expected,
            "kill at {kill_at}: lost or extra objects"
        );
        assert_eq!(
            VENDOR.plan_code(&server, &org),
            Some(0),
            "kill at {kill_at}"
        );
    }
    assert!(
        interrupted >= 2,
        "only {interrupted} of 3 kills landed mid-apply"
    );
}

/// Only the owner hands the owner role over, in the web app: a plan that would make another
/// user the owner (or unmake the owner) stops before its first call, naming the user.
#[test]
fn a_plan_that_moves_the_owner_role_stops_before_apply() {
    let server = VENDOR.server(&[]);
    let (_dir, path) = copy_example(QUICKSTART);
    let people = path.join("people.toml");
    edit(&people, "role = \"responder\"", "role = \"owner\"");
    let planned = VENDOR.run(&server, "plan", path.to_str().unwrap(), &[]);
    assert_eq!(planned.status.code(), Some(1), "{}", stdout(&planned));
    let err = stderr(&planned);
    assert!(
        err.contains("`user.bob`") && err.contains("cannot make or unmake the account owner"),
        "{err}"
    );
    let (_, users) =
        send(crate::support::OPSGENIE.request(&server, reqwest::Method::GET, "/v2/users"));
    assert_eq!(users["totalCount"], 1, "nothing was created");
}

/// An account as Opsgenie holds it, not made by alertform (`tests/fixtures/opsgenie-account.json`:
/// 50 users, 8 teams, 12 schedules across 4 zones with weekly, daily, 2-day and 12-hour
/// rotations, weekday and time-of-day restrictions, 10 escalations with repeats, 15 integrations
/// of three types): `export` writes TOML and HCL that each plan to no changes.
#[test]
fn a_realistic_account_exports_and_replans_to_nothing_in_both_formats() {
    let seed = crate::support::root().join("tests/fixtures/opsgenie-account.json");
    let server = TestServer::start(&["--api", "opsgenie", "--seed", seed.to_str().unwrap()]);
    assert_eq!(census(&server), vec![50, 8, 12 + 8, 10 + 8, 15]);
    for format in ["toml", "hcl"] {
        let out = tempfile::tempdir().unwrap();
        VENDOR.export(&server, out.path(), format);
        let dir = out.path().to_str().unwrap();
        let planned = VENDOR.run(&server, "plan", dir, &["--detailed-exitcode"]);
        assert_eq!(
            planned.status.code(),
            Some(0),
            "{format}: {}{}",
            stdout(&planned),
            stderr(&planned)
        );
        let validated = alertform(&["validate", dir]);
        assert!(validated.status.success(), "{}", stdout(&validated));
        assert!(
            stdout(&validated).contains(
                "50 users, 8 groups, 12 schedules, 10 escalation policies, 15 integrations"
            ),
            "{}",
            stdout(&validated)
        );
    }
}

/// `oncall --provider opsgenie` says who Opsgenie pages where layers overlap, and the
/// emulation's Opsgenie rules agree: the PagerDuty quickstart's schedule (a weekly layer under a
/// weekday business-hours layer) made as the same rotations on the emulation, compared every
/// three hours for two weeks. alertform's own answer (the later layer alone) differs where they
/// overlap.
#[test]
fn oncall_as_opsgenie_pages_matches_the_emulations_on_calls_where_layers_overlap() {
    let pagerduty = "examples/quickstart-pagerduty";
    let server = VENDOR.server(&[]);
    let (status, _) = send(crate::support::OPSGENIE.request(&server, reqwest::Method::POST, "/v2/users").json(
        &json!({"username": "bob@example.com", "fullName": "Bob Okafor", "role": {"name": "user"}}),
    ));
    assert_eq!(status, 201);
    let participants = |who: &[&str]| -> Vec<Value> {
        who.iter()
            .map(|u| json!({"type": "user", "username": format!("{u}@example.com")}))
            .collect()
    };
    let weekdays: Vec<Value> = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .map(|d| json!({"startDay": d, "startHour": 9, "startMin": 0, "endDay": d, "endHour": 17, "endMin": 0}))
        .collect();
    let (status, made) = send(crate::support::OPSGENIE.request(&server, reqwest::Method::POST, "/v2/schedules").json(&json!({
        "name": "SRE rotation", "timezone": "Europe/London", "rotations": [
            {"name": "Weekly", "type": "weekly", "length": 1, "startDate": "2026-11-30T09:00:00Z",
             "participants": participants(&["alice", "bob"])},
            {"name": "Business hours", "type": "daily", "length": 1, "startDate": "2026-11-30T09:00:00Z",
             "participants": participants(&["bob", "alice"]),
             "timeRestriction": {"type": "weekday-and-time-of-day", "restrictions": weekdays}},
        ],
    })));
    assert_eq!(status, 201, "{made}");
    let users = |provider: Option<&str>, at: &str| -> Vec<String> {
        let mut args = vec!["oncall", pagerduty, "--at", at, "--format", "json"];
        if let Some(provider) = provider {
            args.extend(["--provider", provider]);
        }
        let out = alertform(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let shifts: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
        let mut users: Vec<String> = shifts
            .iter()
            .map(|s| {
                format!(
                    "{}@example.com",
                    s["user"].as_str().unwrap().trim_start_matches("user.")
                )
            })
            .collect();
        users.sort();
        users.dedup();
        users
    };
    let (mut instant, mut overlapping) = (ts("2026-11-30T09:00:00Z"), 0);
    while instant < ts("2026-12-14T09:00:00Z") {
        let at = instant.to_string();
        let (status, body) = send(crate::support::OPSGENIE.request(
            &server,
            reqwest::Method::GET,
            &format!("/v2/schedules/SRE%20rotation/on-calls?scheduleIdentifierType=name&date={at}"),
        ));
        assert_eq!(status, 200, "{body}");
        let mut opsgenie: Vec<String> = body["data"]["onCallParticipants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        opsgenie.sort();
        assert_eq!(users(Some("opsgenie"), &at), opsgenie, "at {at}");
        if opsgenie.len() > 1 {
            overlapping += 1;
            assert_eq!(
                users(None, &at).len(),
                1,
                "alertform's own rule pages one at {at}"
            );
        }
        instant = instant
            .checked_add(jiff::SignedDuration::from_hours(3))
            .unwrap();
    }
    assert!(
        overlapping >= 10,
        "{overlapping} instants where Opsgenie pages two people"
    );
}

/// Opsgenie announces no budget before it answers 429, so the client keeps to one by itself:
/// with `--rate-budget 120` (two a second) a plan's requests are spaced half a second apart.
#[test]
fn a_rate_budget_spaces_a_plans_requests() {
    let server = VENDOR.server(&[]);
    let applied = VENDOR.run(&server, "apply", QUICKSTART, &[]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let started = std::time::Instant::now();
    let planned = crate::support::run_against(
        &server,
        "opsgenie",
        "plan",
        QUICKSTART,
        &["--rate-budget", "120", "-v"],
    );
    let elapsed = started.elapsed();
    assert!(planned.status.success(), "{}", stderr(&planned));
    let err = stderr(&planned);
    assert!(err.contains("keeping to a rate budget"), "{err}");
    let requests: u64 = err
        .split("requests=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in {err}"));
    assert!(requests >= 6, "{requests} requests");
    // The first two go at once (a second's worth), each later one half a second after the last.
    let least = std::time::Duration::from_millis(500 * (requests - 2));
    assert!(
        elapsed >= least,
        "{requests} requests in {elapsed:?}, under {least:?}"
    );
}

/// An override made in Opsgenie (a one-off swap) is left alone: a plan names it in its notes and
/// wants nothing, an apply that changes the schedule's rotations keeps it, and the emulation's
/// on-calls page the override's user while it runs, in the rotation it names.
#[test]
fn overrides_are_left_alone_and_named_and_page_while_they_run() {
    let server = VENDOR.server(&[]);
    let (_dir, path) = copy_example(QUICKSTART);
    let config = path.to_str().unwrap();
    let applied = VENDOR.run(&server, "apply", config, &[]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    // Tuesday 5 January 2027: Alice has the business-hours turn; Dan covers 10:00–12:00.
    let swap = json!({"alias": "dentist", "user": {"type": "user", "username": "dan@example.com"},
        "startDate": "2027-01-05T10:00:00Z", "endDate": "2027-01-05T12:00:00Z",
        "rotations": [{"name": "Business hours"}]});
    let overrides = "/v2/schedules/SRE%20rotation/overrides?scheduleIdentifierType=name";
    let (status, made) = send(
        crate::support::OPSGENIE
            .request(&server, reqwest::Method::POST, overrides)
            .json(&swap),
    );
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["data"]["alias"], "dentist");
    let planned = VENDOR.run(&server, "plan", config, &["--detailed-exitcode"]);
    assert_eq!(planned.status.code(), Some(0), "{}", stdout(&planned));
    let said = format!("{}{}", stdout(&planned), stderr(&planned));
    assert!(
        said.contains("schedule `SRE rotation` has 1 override made in Opsgenie"),
        "{said}"
    );
    let on_call = |at: &str| -> Vec<String> {
        let path =
            format!("/v2/schedules/SRE%20rotation/on-calls?scheduleIdentifierType=name&date={at}");
        let (status, body) =
            send(crate::support::OPSGENIE.request(&server, reqwest::Method::GET, &path));
        assert_eq!(status, 200, "{body}");
        body["data"]["onCallRecipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(on_call("2027-01-05T11:00:00Z"), ["dan@example.com"]);
    assert_eq!(on_call("2027-01-05T13:00:00Z"), ["alice@example.com"]);
    // A change to the schedule's rotations keeps the override.
    edit(
        &path.join("routing.toml"),
        "rotation = \"1d\"",
        "rotation = \"2d\"",
    );
    let applied = VENDOR.run(&server, "apply", config, &[]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let (_, list) =
        send(crate::support::OPSGENIE.request(&server, reqwest::Method::GET, overrides));
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["data"][0]["user"]["username"], "dan@example.com");
}

/// A heartbeat integration is an Opsgenie heartbeat whose expiry alert carries a tag, and an
/// alert policy alertform makes that adds the declared escalation and recipients to alerts with
/// that tag (an Opsgenie heartbeat has no responders of its own). A new interval is a PATCH; a
/// new name makes the heartbeat anew (its name is its identifier) and moves the policy along.
#[test]
fn a_heartbeat_pages_its_escalation_through_an_alert_policy() {
    let server = VENDOR.server(&[]);
    let (_dir, path) = copy_example(QUICKSTART);
    let config = path.to_str().unwrap();
    let applied = VENDOR.run(&server, "apply", config, &[]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let heartbeat = |name: &str| {
        send(crate::support::OPSGENIE.request(
            &server,
            reqwest::Method::GET,
            &format!("/v2/heartbeats/{name}"),
        ))
    };
    let (status, made) = heartbeat("nightly-backup");
    assert_eq!(status, 200, "{made}");
    assert_eq!(
        (
            made["data"]["interval"].as_u64(),
            made["data"]["intervalUnit"].as_str()
        ),
        (Some(1), Some("days"))
    );
    assert_eq!(
        made["data"]["alertTags"],
        json!(["heartbeat:nightly-backup"])
    );
    let policy = |name: &str| {
        let (_, list) = send(crate::support::OPSGENIE.request(
            &server,
            reqwest::Method::GET,
            "/v2/policies/alert",
        ));
        let meta = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == format!("alertform heartbeat {name}"))
            .cloned();
        meta.map(|m| {
            send(crate::support::OPSGENIE.request(
                &server,
                reqwest::Method::GET,
                &format!("/v2/policies/{}", m["id"].as_str().unwrap()),
            ))
            .1["data"]
                .clone()
        })
    };
    let rule = policy("nightly-backup").expect("an alert policy for the heartbeat");
    assert_eq!(
        rule["filter"]["conditions"][0]["expectedValue"],
        "heartbeat:nightly-backup"
    );
    let (_, escalation) = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::GET,
        "/v2/escalations/SRE%20default?identifierType=name",
    ));
    let (_, carol) = send(crate::support::OPSGENIE.request(
        &server,
        reqwest::Method::GET,
        "/v2/users/carol@example.com",
    ));
    let responders: Vec<(String, String)> = rule["responders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["type"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        responders,
        vec![
            (
                "escalation".to_owned(),
                escalation["data"]["id"].as_str().unwrap().to_owned()
            ),
            (
                "user".to_owned(),
                carol["data"]["id"].as_str().unwrap().to_owned()
            ),
        ]
    );
    // Every 12 hours, then a new name.
    let routing = path.join("routing.toml");
    edit(
        &routing,
        "interval_minutes = 1440",
        "interval_minutes = 720",
    );
    assert!(VENDOR.run(&server, "apply", config, &[]).status.success());
    assert_eq!(heartbeat("nightly-backup").1["data"]["interval"], 12);
    edit(
        &routing,
        "name = \"nightly-backup\"",
        "name = \"backup-nightly\"\nrenamed_from = [\"nightly-backup\"]",
    );
    let renamed = VENDOR.run(&server, "apply", config, &[]);
    assert!(renamed.status.success(), "{}", stdout(&renamed));
    assert_eq!(heartbeat("nightly-backup").0, 404);
    assert_eq!(
        heartbeat("backup-nightly").1["data"]["alertTags"],
        json!(["heartbeat:backup-nightly"])
    );
    assert!(policy("nightly-backup").is_none(), "the old policy went");
    assert!(policy("backup-nightly").is_some());
    assert_eq!(VENDOR.plan_code(&server, config), Some(0));
}

/// Every diagnostic of what Opsgenie cannot hold, each at its place: a config with one of each
/// plans to a located error for each, and nothing is written.
#[test]
fn every_opsgenie_diagnostic_is_located() {
    use std::fmt::Write as _;
    let (_dir, path) = copy_example(QUICKSTART);
    let people = path.join("people.toml");
    let routing = path.join("routing.toml");
    edit(
        &people,
        "role = \"admin\"",
        "role = \"integrations_admin\"\nphone = \"+442079460000\"",
    );
    edit(
        &people,
        "members = [\"user.dan\", \"user.carol\"]",
        "members = [\"user.dan\", \"group.sre\"]",
    );
    edit(
        &routing,
        "{ delay_minutes = 15, notify = [\"group.sre\"] }",
        "{ notify = [\"group.sre\"] }",
    );
    edit(&routing, "template = \"grafana\"", "template = \"datadog\"");
    edit(
        &routing,
        "channel = \"email\"\ntemplate = \"custom\"",
        "channel = \"email\"\ntemplate = \"custom\"\nmailbox = \"backups@example.com\"",
    );
    edit(
        &routing,
        "name = \"nightly-backup\"",
        "name = \"Nightly backup\"",
    );
    // Sixteen half-hour windows on Saturdays: more restrictions than a rotation holds.
    let mut every_day = String::new();
    for h in 0..16 {
        let _ = writeln!(
            every_day,
            "  {{ days = [\"sat\"], from = \"{h:02}:00\", to = \"{h:02}:30\" }},"
        );
    }
    edit(
        &routing,
        "  { days = [\"sat\", \"sun\"], from = \"09:00\", to = \"21:00\" },\n",
        &every_day,
    );
    let server = VENDOR.server(&[]);
    let planned = VENDOR.run(&server, "plan", path.to_str().unwrap(), &[]);
    assert_eq!(planned.status.code(), Some(1), "{}", stdout(&planned));
    let err: String = stderr(&planned)
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "`phone` of `user.dan`",
        "no integrations-admin role",
        "Opsgenie teams hold only users",
        "weekday restrictions, and an Opsgenie rotation holds at most 15",
        "Opsgenie times rules from the alert",
        "no Opsgenie integration type to a `api` integration with template `datadog`",
        "`mailbox` of `integration.backup_mail`",
        "an Opsgenie heartbeat is named by `Nightly backup`",
    ] {
        assert!(err.contains(expected), "no `{expected}` in {err}");
    }
    assert!(err.matches(".toml:").count() >= 8, "each located: {err}");
    let (_, users) =
        send(crate::support::OPSGENIE.request(&server, reqwest::Method::GET, "/v2/users"));
    assert_eq!(users["totalCount"], 1, "nothing was written");
}

/// A heartbeat made in Opsgenie, without the alert policy alertform makes, pages no escalation
/// policy a config could name: `export` leaves it to the service through `settings.ignore` and
/// says so, and the export plans to no changes.
#[test]
fn export_leaves_a_heartbeat_with_no_policy_to_the_service() {
    let server = VENDOR.server(&[]);
    let beat =
        json!({"name": "cron-x", "interval": 10, "intervalUnit": "minutes", "enabled": true});
    let (status, _) = send(
        crate::support::OPSGENIE
            .request(&server, reqwest::Method::POST, "/v2/heartbeats")
            .json(&beat),
    );
    assert_eq!(status, 201);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let mut args = vec![
        "export",
        "--out",
        dir,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--provider",
        "opsgenie",
    ];
    args.extend_from_slice(VENDOR.flags);
    let exported = alertform(&args);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let said = format!("{}{}", stdout(&exported), stderr(&exported));
    assert!(said.contains("integration:cron-x"), "{said}");
    let settings = std::fs::read_to_string(out.path().join("settings.toml")).unwrap();
    assert!(settings.contains("\"integration:cron-x\""), "{settings}");
    assert_eq!(
        VENDOR.plan_code(&server, out.path().to_str().unwrap()),
        Some(0)
    );
}
