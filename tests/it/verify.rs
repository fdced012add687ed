//! `alertform verify SOURCE TARGET`: who each config pages, as its vendor pages, compared.

use crate::support::{alertform, stderr, stdout};

const PAGERDUTY: &str = "examples/quickstart-pagerduty";

/// A config and the export of what it made page the same people; the same config read as
/// Opsgenie pages it (every layer with someone on call) does not, and each interval is named
/// with who each side pages; OnCall's engine leaves an hour uncovered where alertform's timeline
/// has none. Exit 0 when nothing differs, 2 when anything does.
#[test]
fn verify_names_every_interval_where_two_configs_page_differently() {
    let vendor = crate::support::PAGERDUTY;
    let server = vendor.server(&[]);
    assert!(
        vendor
            .run(&server, "apply", PAGERDUTY, &[])
            .status
            .success()
    );
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("exported");
    vendor.export(&server, &exported, "toml");
    let same = alertform(&[
        "verify",
        PAGERDUTY,
        exported.to_str().unwrap(),
        "--from",
        "2027-01-01T00:00:00Z",
    ]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );
    assert!(stdout(&same).contains(
        "schedule `SRE rotation` (Europe/London): pages the same people at the same times"
    ));

    let as_opsgenie = alertform(&[
        "verify",
        PAGERDUTY,
        PAGERDUTY,
        "--target-provider",
        "opsgenie",
        "--from",
        "2027-01-01T00:00:00Z",
        "--days",
        "7",
        "--format",
        "json",
    ]);
    assert_eq!(
        as_opsgenie.status.code(),
        Some(2),
        "{}",
        stderr(&as_opsgenie)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&as_opsgenie)).unwrap();
    let differences = report["schedules"][0]["differences"].as_array().unwrap();
    assert_eq!(
        differences[0],
        serde_json::json!({
            "start": "2027-01-01T09:00:00Z", "end": "2027-01-01T17:00:00Z",
            "start_local": "Fri 2027-01-01 09:00", "end_local": "Fri 2027-01-01 17:00",
            "source": ["bob@example.com"], "target": ["alice@example.com", "bob@example.com"],
        })
    );
    // Where the layers overlap on weekdays, and nowhere else in the week.
    assert!(
        differences
            .iter()
            .all(|d| d["target"].as_array().unwrap().len() == 2)
    );

    // The policy that pages the schedule notifies both at once there, at minute 0.
    let policy = report["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "SRE default")
        .unwrap();
    assert_eq!(policy["differences"][0]["minute"], 0);
    assert_eq!(policy["differences"][0]["arrival"], "2027-01-01T09:00:00Z");

    // A step that waits longer in the target: each arrival differs at both minutes.
    let (_copy, later) = crate::support::copy_example(PAGERDUTY);
    crate::support::edit(
        &later.join("routing.toml"),
        "{ delay_minutes = 15, notify = [\"group.sre\"] }",
        "{ delay_minutes = 20, notify = [\"group.sre\"] }",
    );
    let waited = alertform(&[
        "verify",
        PAGERDUTY,
        later.to_str().unwrap(),
        "--from",
        "2027-01-01T00:00:00Z",
        "--days",
        "7",
    ]);
    assert_eq!(waited.status.code(), Some(2));
    let said = stdout(&waited);
    assert!(
        said.contains(
            "escalation policy `SRE default`: notifies differently for 13 of 13 arrivals compared"
        ),
        "{said}"
    );
    assert!(
        said.contains(
            "minute 15: source notifies alice@example.com, bob@example.com; target notifies nobody"
        ),
        "{said}"
    );
    assert!(
        said.contains(
            "minute 20: source notifies nobody; target notifies alice@example.com, bob@example.com"
        ),
        "{said}"
    );
    assert!(
        said.contains("escalation policy `Backups`: notifies the same people"),
        "{said}"
    );

    let config = dir.path().join("oncall.toml");
    std::fs::write(
        &config,
        "[user.alice]\nname = \"alice\"\nemail = \"alice@example.com\"\n\n[user.bob]\nname = \"bob\"\nemail = \"bob@example.com\"\n\n[schedule.engine]\nname = \"Engine\"\ntime_zone = \"Europe/London\"\n\n[[schedule.engine.layer]]\nname = \"L\"\nstart = \"2027-03-22T09:00:00\"\nrotation = \"1w\"\nmembers = [\"user.alice\", \"user.bob\"]\n",
    )
    .unwrap();
    let path = config.to_str().unwrap();
    let engine = alertform(&[
        "verify",
        path,
        path,
        "--source-provider",
        "alertform",
        "--target-provider",
        "grafana_oncall",
        "--from",
        "2027-03-15T00:00:00Z",
        "--days",
        "40",
    ]);
    assert_eq!(engine.status.code(), Some(2));
    assert!(
        stdout(&engine).contains("Mon 2027-04-12 08:00 → Mon 2027-04-12 09:00 (2027-04-12T07:00:00Z → 2027-04-12T08:00:00Z): source pages alice@example.com; target pages nobody"),
        "{}",
        stdout(&engine)
    );
    let markdown = alertform(&[
        "verify",
        path,
        path,
        "--target-provider",
        "grafana_oncall",
        "--from",
        "2027-03-15T00:00:00Z",
        "--days",
        "40",
        "--format",
        "markdown",
    ]);
    assert!(
        stdout(&markdown).starts_with("### alertform verify"),
        "{}",
        stdout(&markdown)
    );
}

/// Bad inputs: a config that does not validate is a located error (exit 1); a bad `--from` is a
/// usage error; a schedule only one side has is said and counts as a difference.
#[test]
fn verify_refuses_bad_inputs_and_names_unmatched_schedules() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[user.x]\nname = \"X\"\nemail = \"not-an-email\"\n",
    )
    .unwrap();
    let output = alertform(&["verify", broken.to_str().unwrap(), PAGERDUTY]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("broken.toml:3:"),
        "{}",
        stderr(&output)
    );
    let output = alertform(&["verify", PAGERDUTY, PAGERDUTY, "--from", "tomorrow"]);
    assert_eq!(output.status.code(), Some(64));
    let lonely = dir.path().join("lonely.toml");
    std::fs::write(
        &lonely,
        "[user.alice]\nname = \"Alice\"\nemail = \"alice@example.com\"\n",
    )
    .unwrap();
    let output = alertform(&["verify", PAGERDUTY, lonely.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stdout(&output)
            .contains("schedule `SRE rotation` of PagerDuty has none of that name in alertform"),
        "{}",
        stdout(&output)
    );
}

/// The move issue #28 starts from: a PagerDuty config moved to Grafana OnCall by following the
/// diagnostics' hints (OnCall cannot restrict a layer, so the weekday business-hours window is
/// removed) validates for OnCall, and pages different people. `verify` says exactly when, and
/// whom each side pages; nothing about the change is silent any more.
#[test]
fn a_move_that_follows_the_hints_is_shown_to_page_differently() {
    let (_dir, moved) = crate::support::copy_example(PAGERDUTY);
    let people = moved.join("people.toml");
    let text = std::fs::read_to_string(&people).unwrap();
    let start = text.find("restrict = [").unwrap();
    let end = start + text[start..].find("]\n").unwrap() + 2;
    let text = format!("{}{}", &text[..start], &text[end..]);
    // The hints for users (OnCall takes them from Grafana) are followed too.
    let text = text
        .replace("phone = \"+14155550100\"\n", "")
        .replace("role = \"owner\"\n", "")
        .replace("role = \"responder\"\n", "")
        .replace("role = \"observer\"\n", "")
        .replace("time_zone = \"America/Los_Angeles\"\n", "")
        .replace("time_zone = \"Europe/Berlin\"\n", "")
        .replace("time_zone = \"Europe/London\"\n\n[user", "\n[user")
        .replace(
            "description = \"Site reliability engineering on-call rotation\"\n",
            "",
        );
    std::fs::write(&people, text).unwrap();
    crate::support::edit(
        &moved.join("settings.toml"),
        "provider = \"pagerduty\"",
        "provider = \"grafana_oncall\"",
    );
    // And for the policy: no description, and OnCall repeats a chain exactly five times.
    let routing = moved.join("routing.toml");
    let text = std::fs::read_to_string(&routing).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("description = "))
        .map(|l| {
            if l == "repeat = 1" {
                "repeat = 5\n".to_owned()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&routing, text).unwrap();
    let path = moved.to_str().unwrap();
    let valid = alertform(&["validate", path]);
    let said = format!("{}{}", stdout(&valid), stderr(&valid));
    assert!(
        valid.status.success(),
        "valid for OnCall once the hints are followed: {said}"
    );
    let verified = alertform(&[
        "verify",
        PAGERDUTY,
        path,
        "--from",
        "2027-01-04T00:00:00Z",
        "--days",
        "7",
    ]);
    assert_eq!(verified.status.code(), Some(2));
    let said = stdout(&verified);
    // The business-hours layer now covers every hour above the weekly rotation.
    assert!(
        said.contains("schedule `SRE rotation` (Europe/London): differs for"),
        "{said}"
    );
    assert!(
        said.contains("repeats 1 times in the source, 5 in the target"),
        "{said}"
    );
    assert!(
        said.contains("Mon 2027-01-04 17:00 → Tue 2027-01-05 09:00 (2027-01-04T17:00:00Z → 2027-01-05T09:00:00Z): source pages bob@example.com; target pages alice@example.com"),
        "{said}"
    );
}

/// `verify --live` takes the target side from the service's own rendered on-call data
/// (PagerDuty's `final_schedule`, which the emulation renders by PagerDuty's rules): after an
/// apply it agrees with the config, across both DST changes; a vendor without a rendered timeline
/// that alertform reads, or a schedule not applied yet, is a clear error.
#[test]
fn verify_live_reads_what_the_service_itself_renders() {
    let vendor = crate::support::PAGERDUTY;
    let server = vendor.server(&[]);
    let live = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            PAGERDUTY,
            PAGERDUTY,
            "--live",
            "--endpoint",
            &server.url,
            "--token",
            &server.token,
            "--provider",
            "pagerduty",
            "--from",
            "2027-03-01T00:00:00Z",
            "--days",
            "60",
        ];
        args.extend_from_slice(extra);
        alertform(&args)
    };
    let before = live(&[]);
    assert_eq!(before.status.code(), Some(1));
    assert!(
        stderr(&before).contains("the service has no schedule `SRE rotation`: apply TARGET first"),
        "{}",
        stderr(&before)
    );
    assert!(
        vendor
            .run(&server, "apply", PAGERDUTY, &[])
            .status
            .success()
    );
    let same = live(&[]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );
    assert!(stdout(&same).contains(
        "schedule `SRE rotation` (Europe/London): pages the same people at the same times"
    ));
    // The source read as Opsgenie pages it differs from what PagerDuty renders.
    let other = live(&["--source-provider", "opsgenie"]);
    assert_eq!(other.status.code(), Some(2), "{}", stdout(&other));

    // OnCall's final_shifts and Opsgenie's timeline the same way, after each example's apply.
    for (vendor, example) in [
        (crate::support::ONCALL, "examples/quickstart-oncall"),
        (crate::support::OPSGENIE, "examples/quickstart-opsgenie"),
    ] {
        let server = vendor.server(&[]);
        assert!(vendor.run(&server, "apply", example, &[]).status.success());
        let output = vendor.run(
            &server,
            "verify",
            example,
            &[
                example,
                "--live",
                "--from",
                "2027-01-04T00:00:00Z",
                "--days",
                "60",
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}{}",
            vendor.provider,
            stdout(&output),
            stderr(&output)
        );
    }
}

/// Against OnCall, `verify --live` shows what its engine really renders where that differs from
/// the config's own timeline: the hour a skewed turn leaves uncovered, read from `final_shifts`.
#[test]
fn verify_live_shows_what_oncalls_engine_renders() {
    let vendor = crate::support::ONCALL;
    let server = vendor.server(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[settings]\nprovider = \"grafana_oncall\"\n\n[user.alice]\nname = \"alice\"\nemail = \"alice@example.com\"\n\n[user.bob]\nname = \"bob\"\nemail = \"bob@example.com\"\n\n[schedule.engine]\nname = \"Engine\"\ntime_zone = \"Europe/London\"\n\n[[schedule.engine.layer]]\nname = \"L\"\nstart = \"2027-03-22T09:00:00\"\nrotation = \"1w\"\nmembers = [\"user.alice\", \"user.bob\"]\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    assert!(vendor.run(&server, "apply", path, &[]).status.success());
    let output = vendor.run(
        &server,
        "verify",
        path,
        &[
            path,
            "--live",
            "--source-provider",
            "alertform",
            "--from",
            "2027-03-15T00:00:00Z",
            "--days",
            "40",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("Mon 2027-04-12 08:00 → Mon 2027-04-12 09:00 (2027-04-12T07:00:00Z → 2027-04-12T08:00:00Z): source pages alice@example.com; target pages nobody"),
        "{}",
        stdout(&output)
    );
}
