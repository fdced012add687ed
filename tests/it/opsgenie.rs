//! Opsgenie: the provider against `serve --api opsgenie`, both real, over HTTP. The quickstart
//! applies and re-plans to nothing, exports round-trip in both formats, an integration's API key
//! never reaches output, what Opsgenie cannot hold is a located plan-time error, and the
//! emulation speaks Opsgenie's dialect (auth, envelopes, errors, paging, a team's own
//! resources, 428 for a user still in a team).

use serde_json::{Value, json};

use crate::support::{TestServer, copy_example, edit, send, stderr, stdout};

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
