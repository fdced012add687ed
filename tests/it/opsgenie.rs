//! Opsgenie: the provider against `serve --api opsgenie`, both real, over HTTP. The quickstart
//! applies and re-plans to nothing, exports round-trip in both formats, an integration's API key
//! never reaches output, what Opsgenie cannot hold is a located plan-time error, and the
//! emulation speaks Opsgenie's dialect (auth, envelopes, errors, paging, a team's own
//! resources, 428 for a user still in a team).

use serde_json::{Value, json};

use crate::support::{TestServer, alertform, copy_example, edit, send, stderr, stdout};

const QUICKSTART: &str = "examples/quickstart-opsgenie";
const VENDOR: crate::support::Vendor = crate::support::OPSGENIE;

fn request(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
) -> reqwest::blocking::RequestBuilder {
    crate::support::http_client()
        .request(method, format!("{}{path}", server.url))
        .header("authorization", format!("GenieKey {}", server.token))
}

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
    let (status, escalation) = send(request(
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
    let (_, schedule) = send(request(
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
    let (_, list) = send(request(&server, reqwest::Method::GET, "/v2/integrations"));
    let id = list["data"][0]["id"].as_str().unwrap().to_owned();
    let (_, integration) = send(request(
        &server,
        reqwest::Method::GET,
        &format!("/v2/integrations/{id}"),
    ));
    let key = integration["data"]["apiKey"].as_str().unwrap().to_owned();
    let plan = VENDOR.run(&server, "plan", QUICKSTART, &["-vv"]);
    for output in [&applied, &plan] {
        assert!(!stdout(output).contains(&key) && !stderr(output).contains(&key));
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
        let (status, made) = send(request(&server, reqwest::Method::POST, "/v2/users").json(&json!({"username": format!("u{i}@example.com"), "fullName": format!("U {i}"), "role": {"name": "user"}})));
        assert_eq!(status, 201, "{made}");
        assert_eq!(made["result"], "Created");
    }
    let (_, page) = send(request(
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
        request(&server, reqwest::Method::POST, "/v2/schedules")
            .json(&json!({"name": "S", "timezone": "Europe/Londn"})),
    );
    assert_eq!(status, 422);
    assert!(bad["errors"]["timezone"].is_string(), "{bad}");
    // A new team comes with a schedule and an escalation of its own.
    let (status, _) = send(
        request(&server, reqwest::Method::POST, "/v2/teams")
            .json(&json!({"name": "Ops", "members": [{"user": {"username": "u0@example.com"}}]})),
    );
    assert_eq!(status, 201);
    let (_, schedules) = send(request(&server, reqwest::Method::GET, "/v2/schedules"));
    assert!(
        schedules["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Ops_schedule")
    );
    // A user still in a team is not deleted: 428.
    let (status, held) = send(request(
        &server,
        reqwest::Method::DELETE,
        "/v2/users/u0@example.com",
    ));
    assert_eq!(status, 428, "{held}");
    assert!(held["message"].as_str().unwrap().contains("team [Ops]"));
    let (status, _) = send(request(
        &server,
        reqwest::Method::DELETE,
        "/v2/users/u1@example.com",
    ));
    assert_eq!(status, 200);
    let teams: Vec<Value> = send(request(&server, reqwest::Method::GET, "/v2/teams")).1["data"]
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
    let (_, schedule) = send(request(
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
        let (status, theirs) = send(request(
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
    let (status, _) = send(request(&server, reqwest::Method::POST, "/v2/users").json(
        &json!({"username": "bob@example.com", "fullName": "Bob", "role": {"name": "user"}}),
    ));
    assert_eq!(status, 201);
    let (status, made) = send(request(&server, reqwest::Method::POST, "/v2/schedules").json(&json!({
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
        let (status, body) = send(request(
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
