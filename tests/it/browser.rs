//! The on-call picture in a real browser: Debian's `chromium`, headless, loads the page
//! `alertform oncall --format html` writes, and the test reads what it rendered.

use std::path::{Path, PathBuf};

use crate::support::{alertform, stderr, stdout};

/// Chromium, or a clear failure: `.ci/run` installs it (`apt-get install chromium`). Set
/// `ALERTFORM_SKIP_BROWSER_TESTS=1` to skip, which is said on stderr, never silent.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .map(|name| Path::new("/usr/bin").join(name))
        .find(|path| path.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("ALERTFORM_SKIP_BROWSER_TESTS").is_some(),
            "Chromium is not installed, so the on-call page cannot be checked in a browser: \
             `apt-get install chromium` (as .ci/run does), or set ALERTFORM_SKIP_BROWSER_TESTS=1 to skip"
        );
        eprintln!("SKIPPED: no Chromium, and ALERTFORM_SKIP_BROWSER_TESTS is set");
    }
    found
}

fn headless(browser: &Path, args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .unwrap()
}

/// The value of `name="…"` in an element's opening tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// Every `class="turn"` element of the rendered page in the row `row`: (user, start, end, text).
fn turns(dom: &str, schedule: &str, row: &str) -> Vec<(String, String, String, String)> {
    let section = dom
        .split("<section ")
        .find(|s| s.contains(&format!("data-schedule=\"{schedule}\"")))
        .unwrap_or_else(|| panic!("no {schedule} in the rendered page"));
    let row = section
        .split("<div class=\"row ")
        .find(|r| r.contains(&format!("data-row=\"{row}\"")))
        .unwrap_or_else(|| panic!("no row {row}"));
    row.split("<div class=\"turn\"")
        .skip(1)
        .map(|element| {
            let tag = &element[..element.find('>').unwrap()];
            let text = &element[element.find('>').unwrap() + 1..element.find("</div>").unwrap()];
            (
                attribute(tag, "data-user").unwrap().to_owned(),
                attribute(tag, "data-start").unwrap().to_owned(),
                attribute(tag, "data-end").unwrap().to_owned(),
                text.to_owned(),
            )
        })
        .collect()
}

/// Headless Chromium draws every turn of the PagerDuty quickstart's schedule over two weeks
/// across the spring change, with the right person and times (as `oncall --format json` says),
/// each layer's own turns, the clock change, and a gap where the config leaves one.
#[test]
fn the_oncall_page_draws_every_turn_in_a_real_browser() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let window = [
        "--from",
        "2027-03-22T00:00:00Z",
        "--to",
        "2027-04-05T00:00:00Z",
    ];
    let example = "examples/quickstart-pagerduty";
    let page = alertform(&[&["oncall", example, "--format", "html"][..], &window].concat());
    assert!(page.status.success(), "{}", stderr(&page));
    let html = dir.path().join("oncall.html");
    std::fs::write(&html, stdout(&page)).unwrap();
    let json = alertform(&[&["oncall", example, "--format", "json"][..], &window].concat());
    let shifts: Vec<serde_json::Value> = serde_json::from_str(&stdout(&json)).unwrap();

    let url = format!("file://{}", html.display());
    let dumped = headless(&browser, &["--dump-dom", &url]);
    let dom = stdout(&dumped);
    assert!(
        dom.contains("Who is on call"),
        "Chromium rendered nothing: {}",
        stderr(&dumped)
    );
    let drawn = turns(&dom, "schedule.sre_rotation", "paged");
    let expected: Vec<(String, String, String, String)> = shifts
        .iter()
        .map(|s| {
            (
                s["user"].as_str().unwrap().to_owned(),
                s["start"].as_str().unwrap().to_owned(),
                s["end"].as_str().unwrap().to_owned(),
                s["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        drawn, expected,
        "every paged turn, with its person and times"
    );
    assert!(drawn.len() > 10);
    let weekly = turns(&dom, "schedule.sre_rotation", "layer: Weekly");
    assert_eq!(
        weekly.iter().map(|t| t.1.as_str()).collect::<Vec<_>>(),
        [
            "2027-03-22T00:00:00Z",
            "2027-03-22T09:00:00Z",
            "2027-03-29T08:00:00Z"
        ],
        "the weekly layer hands off Mondays 09:00 London time, across the change"
    );
    assert!(
        dom.contains("class=\"dst\" data-at=\"2027-03-28T01:00:00Z\""),
        "the clock change is drawn"
    );

    // A picture, not just a DOM: a screenshot of the window's size with something in it.
    let png = dir.path().join("oncall.png");
    let shot = headless(
        &browser,
        &[
            "--window-size=1280,600",
            &format!("--screenshot={}", png.display()),
            &url,
        ],
    );
    let bytes =
        std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot ({e}): {}", stderr(&shot)));
    assert_eq!(&bytes[1..4], b"PNG");
    let size = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (1280, 600), "IHDR width and height");
    assert!(
        bytes.len() > 10_000,
        "a blank page compresses to almost nothing: {} bytes",
        bytes.len()
    );
}

/// A gap in the cover is drawn in red where nobody is on call.
#[test]
fn the_oncall_page_draws_gaps() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = alertform(&[
        "oncall",
        "tests/fixtures/lint/L008.toml",
        "--format",
        "html",
        "--from",
        "2027-01-04T00:00:00Z",
        "--to",
        "2027-01-06T00:00:00Z",
    ]);
    assert!(page.status.success(), "{}", stderr(&page));
    let html = dir.path().join("gaps.html");
    std::fs::write(&html, stdout(&page)).unwrap();
    let dom = stdout(&headless(
        &browser,
        &["--dump-dom", &format!("file://{}", html.display())],
    ));
    for (start, end) in [
        ("2027-01-04T00:00:00Z", "2027-01-04T09:00:00Z"),
        ("2027-01-04T17:00:00Z", "2027-01-05T09:00:00Z"),
        ("2027-01-05T17:00:00Z", "2027-01-06T00:00:00Z"),
    ] {
        assert!(
            dom.contains(&format!(
                "class=\"gap\" data-start=\"{start}\" data-end=\"{end}\""
            )),
            "a gap {start} → {end}"
        );
    }
}

/// `serve` draws the same page at `/ui/` for the schedules it holds, with the alerts it received
/// and whom each one woke; read in headless Chromium from the live service.
#[test]
fn serve_shows_its_schedules_and_who_each_alert_woke_at_ui() {
    let Some(browser) = chromium() else { return };
    let server = crate::support::TestServer::start(&[]);
    let applied = crate::support::run_against(
        &server,
        "alertform",
        "apply",
        "examples/multi-team/toml",
        &[],
    );
    assert!(applied.status.success(), "{}", stderr(&applied));
    let (_, integrations) = server.get("/api/v1/integrations?per_page=1000");
    let integration = integrations["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["channel"] == "api" && i["enabled"] == true)
        .unwrap()
        .clone();
    let sent = crate::support::http_client()
        .post(integration["endpoint_url"].as_str().unwrap())
        .json(&serde_json::json!({"title": "disk full", "status": "firing"}))
        .send()
        .unwrap();
    assert_eq!(sent.status().as_u16(), 202);
    let (_, alerts) = server.get(&format!(
        "/api/v1/integrations/{}/alerts",
        integration["id"].as_str().unwrap()
    ));
    let woke: Vec<String> = alerts["results"][0]["routing"]["notified_user_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            let (_, user) = server.get(&format!("/api/v1/users/{}", id.as_str().unwrap()));
            user["name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(!woke.is_empty());

    let dom = stdout(&headless(
        &browser,
        &["--dump-dom", &format!("{}/ui/", server.url)],
    ));
    assert!(dom.contains("Who is on call"), "{dom}");
    let (_, schedules) = server.get("/api/v1/schedules");
    for schedule in schedules["results"].as_array().unwrap() {
        let id = schedule["id"].as_str().unwrap();
        assert!(
            dom.contains(&format!("data-schedule=\"schedule.{id}\"")),
            "{id} drawn"
        );
        assert!(
            !turns(&dom, &format!("schedule.{id}"), "paged").is_empty(),
            "{id}: its turns"
        );
    }
    let row = dom
        .split("<tr class=\"alert\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no alert row: {dom}"));
    let cell = &row[row.find("class=\"woke\">").unwrap() + 13..row.find("</td></tr>").unwrap()];
    assert_eq!(cell, woke.join(", "), "whom the alert woke, by name");
    assert!(row.contains(integration["name"].as_str().unwrap()));
    assert!(!dom.contains("disk full"), "no alert payload on the page");
}
