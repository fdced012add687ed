//! `alertform migrate`: every ordered pair of vendors with schedules or escalations, end to end
//! against their emulations: a realistic account is made in the source (through `migrate` from
//! one bundled config, then `apply`), exported, migrated, applied to the target, and compared
//! with `verify` and `verify --live`. No difference may be one the migration did not report.

use std::path::Path;

use crate::support::{TestServer, Vendor, alertform, root, run_against, stderr, stdout};

/// The comparison starts here in every command, so reports are stable and within the window
/// every emulation renders.
const FROM: &str = "2027-01-04T00:00:00Z";

/// The vendors whose seeds have an account owner (Alice).
const OWNED: &[&str] = &["pagerduty", "opsgenie"];

/// The services that render who is on call, which `verify --live` reads (AlertOps holds no
/// schedules).
const RENDERED: &[&str] = &["alertform", "pagerduty", "grafana_oncall", "opsgenie"];

/// Overlapping layers, a weekday restriction, weekly, daily and 12-hour rotations across the
/// clock changes of Sydney and Los Angeles, a policy with repeat that pages schedules, a user and
/// a group, an observer, and an integration.
const ACCOUNT: &[(&str, &str)] = &[
    (
        "users.toml",
        r#"[user.alice]
name = "Alice Ng"
email = "alice@example.com"
role = "owner"
time_zone = "Australia/Sydney"

[user.bob]
name = "Bob Stone"
email = "bob@example.com"

[user.carol]
name = "Carol Diaz"
email = "carol@example.com"

[user.dave]
name = "Dave Obi"
email = "dave@example.com"
role = "observer"
"#,
    ),
    (
        "groups.toml",
        r#"[group.sre]
name = "SRE"
members = ["user.alice", "user.bob"]
"#,
    ),
    (
        "schedules.toml",
        r#"[schedule.sydney]
name = "Sydney primary"
time_zone = "Australia/Sydney"

[[schedule.sydney.layer]]
name = "Weekly"
start = "2026-11-02T09:00:00"
rotation = "1w"
members = ["user.alice", "user.bob", "user.carol"]

[[schedule.sydney.layer]]
name = "Business hours"
start = "2026-11-02T09:00:00"
rotation = "1d"
members = ["user.carol", "user.alice"]
restrict = [{ days = ["mon", "tue", "wed", "thu", "fri"], from = "09:00", to = "17:00" }]

[schedule.la]
name = "LA nights"
time_zone = "America/Los_Angeles"

[[schedule.la.layer]]
name = "Halves"
start = "2026-11-02T08:00:00"
rotation = "12h"
members = ["user.bob", "user.carol"]
"#,
    ),
    (
        "policies.toml",
        r#"[escalation_policy.primary]
name = "Primary"
repeat = 1
steps = [
  { notify = ["schedule.sydney"] },
  { delay_minutes = 10, notify = ["schedule.la", "user.bob"] },
  { delay_minutes = 20, notify = ["group.sre"] },
]
"#,
    ),
    (
        "integrations.toml",
        r#"[integration.alerts]
name = "Alerts"
channel = "api"
template = "custom"
escalation_policy = "primary"
"#,
    ),
];

/// The vendors with schedules or escalations, and how each is served: OnCall's users come
/// from Grafana, so its emulation is seeded with the account's people.
fn vendors() -> Vec<Vendor> {
    vec![
        crate::support::BUNDLED,
        crate::support::PAGERDUTY,
        crate::support::ONCALL,
        crate::support::OPSGENIE,
        crate::support::ALERTOPS,
    ]
}

fn server(vendor: &Vendor, dir: &Path) -> TestServer {
    if vendor.provider == crate::support::ONCALL.provider {
        let seed = dir.join("grafana-oncall-seed.json");
        std::fs::write(
            &seed,
            r#"{"teams": [{"name": "SRE"}], "users": [
  {"email": "alice@example.com", "username": "alice", "role": "admin", "teams": ["SRE"]},
  {"email": "bob@example.com", "username": "bob", "role": "editor", "teams": ["SRE"]},
  {"email": "carol@example.com", "username": "carol", "role": "editor"},
  {"email": "dave@example.com", "username": "dave", "role": "viewer"}]}"#,
        )
        .unwrap();
        return TestServer::start(&["--api", vendor.provider, "--seed", seed.to_str().unwrap()]);
    }
    vendor.server(&[])
}

/// `alertform migrate SOURCE --to TO --out OUT`, then `extra`.
fn run_migrate(source: &Path, to: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "migrate",
        source.to_str().unwrap(),
        "--to",
        to,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    alertform(&args)
}

fn migrate(source: &Path, to: &str, out: &Path) -> (Option<i32>, serde_json::Value) {
    let output = run_migrate(source, to, out, &["--from", FROM, "--force"]);
    assert!(
        matches!(output.status.code(), Some(0 | 2)),
        "migrate {} --to {to}: {}",
        source.display(),
        stderr(&output)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("migration.json")).unwrap())
            .unwrap();
    // What machines read is what the committed schema says.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/migration.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::options().build(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "migration.json against its schema: {errors:?}"
    );
    (output.status.code(), report)
}

/// `apply` must succeed and a second plan find nothing to do.
fn apply_twice(vendor: &Vendor, server: &TestServer, config: &Path, context: &str) {
    let path = config.to_str().unwrap();
    let applied = vendor.run(server, "apply", path, &[]);
    assert!(
        applied.status.success(),
        "{context}: apply: {}{}",
        stdout(&applied),
        stderr(&applied)
    );
    let again = vendor.run(server, "plan", path, &["--detailed-exitcode"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{context}: the second plan: {}{}",
        stdout(&again),
        stderr(&again)
    );
}

fn verify(
    vendor: &Vendor,
    server: &TestServer,
    source: &Path,
    target: &Path,
    live: bool,
) -> serde_json::Value {
    let mut extra = vec![target.to_str().unwrap(), "--from", FROM, "--format", "json"];
    if live {
        extra.push("--live");
        extra.extend_from_slice(vendor.flags);
    }
    let output = if live {
        run_against(
            server,
            vendor.provider,
            "verify",
            source.to_str().unwrap(),
            &extra,
        )
    } else {
        let mut args = vec!["verify", source.to_str().unwrap()];
        args.extend(extra);
        alertform(&args)
    };
    assert!(
        matches!(output.status.code(), Some(0 | 2)),
        "verify{}: {}",
        if live { " --live" } else { "" },
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// Names of the schedules and policies `verify` finds paging differently.
fn differing(report: &serde_json::Value) -> Vec<String> {
    let mut names = Vec::new();
    for s in report["schedules"].as_array().unwrap() {
        if !s["differences"].as_array().unwrap().is_empty() {
            names.push(format!("schedule {}", s["name"].as_str().unwrap()));
        }
    }
    for e in report["escalations"].as_array().unwrap() {
        if e["arrivals_different"].as_u64().unwrap() > 0 || !e["repeat"].is_null() {
            names.push(format!("escalation_policy {}", e["name"].as_str().unwrap()));
        }
    }
    names
}

/// The realistic account made in `vendor`'s emulation (migrated from [`ACCOUNT`], applied
/// twice): the temp dir, the server, and the config it was made from (`DIR/seeded`).
fn account_in(vendor: &Vendor) -> (tempfile::TempDir, TestServer, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    std::fs::create_dir(&base).unwrap();
    for (name, text) in ACCOUNT {
        std::fs::write(base.join(name), text).unwrap();
    }
    let seeded = dir.path().join("seeded");
    migrate(&base, vendor.provider, &seeded);
    let server = server(vendor, dir.path());
    apply_twice(
        vendor,
        &server,
        &seeded,
        &format!("making the {} account", vendor.provider),
    );
    (dir, server, seeded)
}

/// Every source `vendor` to every target: one source account, migrated to each in turn.
fn from_vendor(source: &Vendor) {
    let (dir, source_server, _) = account_in(source);
    let exported = dir.path().join("exported");
    source.export(&source_server, &exported, "toml");

    for target in vendors() {
        if target.provider == source.provider {
            continue;
        }
        let context = format!("{} → {}", source.provider, target.provider);
        let out = dir.path().join(format!("to-{}", target.provider));
        let (code, report) = migrate(&exported, target.provider, &out);
        // Twice: the same files, byte for byte.
        let first: Vec<(String, Vec<u8>)> = files(&out);
        migrate(&exported, target.provider, &out);
        assert_eq!(
            files(&out),
            first,
            "{context}: a second migrate wrote other files"
        );

        let reported: Vec<String> = report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| matches!(o["outcome"].as_str(), Some("changed" | "not_carried")))
            .map(|o| {
                let kind = o["address"].as_str().unwrap().split('.').next().unwrap();
                format!("{kind} {}", o["name"].as_str().unwrap())
            })
            .collect();
        let attention = !reported.is_empty() || !report["reconnect"].as_array().unwrap().is_empty();
        assert_eq!(
            code,
            Some(if attention { 2 } else { 0 }),
            "{context}: exit status"
        );

        // Where the source does not say roles, the report names every user, and the person
        // migrating declares the account owner (whom the target's seed has) by hand.
        let roles_unknown = report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| o["findings"].as_array().unwrap())
            .any(|f| {
                f["text"]
                    .as_str()
                    .unwrap()
                    .contains("does not say its users' roles")
            });
        if roles_unknown && OWNED.contains(&target.provider) {
            crate::support::edit(
                &out.join("users.toml"),
                "email = \"alice@example.com\"\n",
                "email = \"alice@example.com\"\nrole = \"owner\"\n",
            );
        }
        let target_server = server(&target, dir.path());
        apply_twice(&target, &target_server, &out, &context);
        let computed = verify(&target, &target_server, &exported, &out, false);
        if RENDERED.contains(&target.provider) {
            let live = verify(&target, &target_server, &exported, &out, true);
            assert_eq!(
                computed["schedules"], live["schedules"],
                "{context}: verify and verify --live disagree"
            );
            assert_eq!(
                computed["escalations"], live["escalations"],
                "{context}: verify and verify --live disagree on escalations"
            );
        }
        eprintln!(
            "{context}: reported {reported:?}; verify finds {:?} differing",
            differing(&computed)
        );
        for name in differing(&computed) {
            assert!(
                reported.contains(&name),
                "{context}: verify finds {name} paging differently, and migrate did not report it (it reported {reported:?})"
            );
        }
        for unmatched in computed["unmatched"].as_array().unwrap() {
            let text = unmatched.as_str().unwrap();
            assert!(
                reported
                    .iter()
                    .any(|r| text.contains(&format!("`{}`", r.split_once(' ').unwrap().1))),
                "{context}: {text}, and migrate did not report it"
            );
        }
    }
}

/// The config files and reports in `dir`, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn from_the_bundled_service_to_every_vendor() {
    from_vendor(&crate::support::BUNDLED);
}

#[test]
fn from_pagerduty_to_every_vendor() {
    from_vendor(&crate::support::PAGERDUTY);
}

#[test]
fn from_grafana_oncall_to_every_vendor() {
    from_vendor(&crate::support::ONCALL);
}

#[test]
fn from_opsgenie_to_every_vendor() {
    from_vendor(&crate::support::OPSGENIE);
}

#[test]
fn from_alertops_to_every_vendor() {
    from_vendor(&crate::support::ALERTOPS);
}

#[test]
fn migrate_refuses_bad_inputs_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A source that does not validate: located, nothing written.
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("users.toml"), "[user.a]\nname = \"A\"\n").unwrap();
    let output = run_migrate(&bad, "pagerduty", &out, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("users.toml:1"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists());
    // An unknown vendor: the accepted ones named.
    let example = root().join("examples/quickstart");
    let output = run_migrate(&example, "victorops", &out, &[]);
    assert_eq!(output.status.code(), Some(64), "{}", stderr(&output));
    assert!(stderr(&output).contains("pagerduty"), "{}", stderr(&output));
    assert!(!out.exists());
    // A directory with files in it is not overwritten without --force.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let output = run_migrate(&example, "pagerduty", &out, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is not empty"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    // --force with a SOURCE that does not validate removes nothing either.
    std::fs::write(out.join("users.toml"), "# a file a run before wrote\n").unwrap();
    let output = run_migrate(&bad, "pagerduty", &out, &["--force"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(out.join("users.toml").exists());
    // With --force it writes, and leaves what is not its own.
    let output = run_migrate(&example, "pagerduty", &out, &["--force"]);
    assert!(
        matches!(output.status.code(), Some(0 | 2)),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(out.join("MIGRATION.md").exists());
}

/// A window longer than the vendor renders is refused before anything is compared, naming the
/// limit.
#[test]
fn verify_live_refuses_a_window_past_what_oncall_renders() {
    let vendor = crate::support::ONCALL;
    let (_dir, server, oncall) = account_in(&vendor);
    let path = oncall.to_str().unwrap();
    let output = run_against(
        &server,
        vendor.provider,
        "verify",
        path,
        &[path, "--live", "--from", FROM, "--days", "366"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("365 days"), "{}", stderr(&output));
}

/// `--live` reads the account through `export` into `DIR/source/` and migrates that: the same
/// report as exporting first.
#[test]
fn migrate_live_reads_the_account_first() {
    let vendor = crate::support::PAGERDUTY;
    let (dir, server, _) = account_in(&vendor);
    let out = dir.path().join("live");
    let mut args = vec![
        "migrate",
        "--live",
        "--provider",
        "pagerduty",
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--to",
        "grafana_oncall",
        "--out",
        out.to_str().unwrap(),
        "--from",
        FROM,
    ];
    args.extend_from_slice(vendor.flags);
    let output = alertform(&args);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(out.join("source/schedules.toml").exists());
    let again = dir.path().join("again");
    migrate(&out.join("source"), "grafana_oncall", &again);
    assert_eq!(
        std::fs::read(out.join("migration.json")).unwrap(),
        std::fs::read(again.join("migration.json")).unwrap()
    );
    // Neither a SOURCE nor --live: a usage error.
    let output = alertform(&[
        "migrate",
        "--to",
        "pagerduty",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(64), "{}", stderr(&output));
}

/// The issue's story, as the report tells it: a PagerDuty schedule with a weekday cover moved
/// to OnCall. The report names the layer, both forms' hours and who gains and loses hours.
#[test]
fn the_report_of_a_pagerduty_move_to_oncall() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let source = root().join("examples/quickstart-pagerduty");
    let output = run_migrate(&source, "grafana_oncall", &out, &["--from", FROM]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    insta::assert_snapshot!(std::fs::read_to_string(out.join("MIGRATION.md")).unwrap());
    // The written config validates and is what OnCall can hold.
    let validate = alertform(&["validate", out.to_str().unwrap()]);
    assert!(validate.status.success(), "{}", stderr(&validate));
}

/// What guards an object travels with it (`prevent_destroy`), in either format, and the HCL
/// output is the same config as the TOML one.
#[test]
fn a_migrated_config_keeps_its_guards_in_toml_and_hcl() {
    let dir = tempfile::tempdir().unwrap();
    let source = root().join("examples/multi-team-pagerduty/toml");
    let mut models = Vec::new();
    for format in ["toml", "hcl"] {
        let out = dir.path().join(format);
        let output = run_migrate(
            &source,
            "opsgenie",
            &out,
            &["--format", format, "--from", FROM],
        );
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let text = std::fs::read_to_string(out.join(format!("integrations.{format}"))).unwrap();
        assert_eq!(text.matches("prevent_destroy").count(), 2, "{text}");
        let valid = alertform(&["validate", out.to_str().unwrap()]);
        assert!(valid.status.success(), "{}", stderr(&valid));
        models.push(alertform::config::load(&out).expect("valid").1);
    }
    assert_eq!(models[0], models[1]);
}

/// Outbound targets moved to Uptinio, which names them after their settings: each keeps its key,
/// is named as Uptinio names it (said), and the config applies and re-plans to nothing; the
/// SMS number and Slack channel Uptinio's API cannot make are matched from its seed.
#[test]
fn outbound_targets_move_to_uptinio_named_as_it_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("uptinio");
    let secrets = [
        (
            "OPS_WEBHOOK_URL",
            "https://hooks.example.com/services/T0/B0/moved",
        ),
        ("DB_RESTART_PASSWORD", "moved-password"),
    ];
    let source = root().join("examples/outbound");
    let output = crate::support::alertform_with(
        &root(),
        &[
            "migrate",
            source.to_str().unwrap(),
            "--to",
            "uptinio",
            "--out",
            out.to_str().unwrap(),
            "--from",
            FROM,
        ],
        &secrets,
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let report = std::fs::read_to_string(out.join("MIGRATION.md")).unwrap();
    assert!(
        report.contains("named `oncall@example.com` instead of `On-call mailbox`"),
        "{report}"
    );
    let server = crate::support::vendor_server(
        "uptinio",
        "examples/outbound-uptinio/uptinio-seed.json",
        &[],
    );
    let path = out.to_str().unwrap();
    let applied =
        crate::support::run_against_with(&server, "uptinio", "apply", path, &[], &secrets);
    assert!(
        applied.status.success(),
        "{}{}",
        stdout(&applied),
        stderr(&applied)
    );
    let again = crate::support::run_against_with(
        &server,
        "uptinio",
        "plan",
        path,
        &["--detailed-exitcode"],
        &secrets,
    );
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}{}",
        stdout(&again),
        stderr(&again)
    );
}

/// The bundled service renders who a schedule pages (`GET /api/v1/schedules/{id}/oncall`), as
/// `verify --live` reads it; bad windows (422, as the API's other bad values) and unknown
/// schedules are JSON errors.
#[test]
fn the_bundled_service_renders_who_a_schedule_pages() {
    let (_dir, server, _) = account_in(&crate::support::BUNDLED);
    let (status, list) = server.get("/api/v1/schedules?name=Sydney%20primary");
    assert_eq!(status, 200, "{list}");
    let id = list["results"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = server.get(&format!(
        "/api/v1/schedules/{id}/oncall?since=2027-01-04T00:00:00Z&until=2027-01-11T00:00:00Z"
    ));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["since"], "2027-01-04T00:00:00Z");
    let pieces = body["results"].as_array().unwrap();
    // A week of the weekly layer with the weekday cover over it: several pieces, every one a
    // known person's, back to back from the first to the last.
    assert!(pieces.len() > 5, "{body}");
    for piece in pieces {
        assert!(
            ["alice@example.com", "bob@example.com", "carol@example.com"]
                .contains(&piece["email"].as_str().unwrap()),
            "{piece}"
        );
    }
    for pair in pieces.windows(2) {
        assert_eq!(pair[0]["end"], pair[1]["start"], "{body}");
    }
    for (query, status, says) in [
        ("since=yesterday", 422, "`since` must be an RFC 3339 time"),
        (
            "since=2027-01-04T00:00:00Z&until=2028-06-01T00:00:00Z",
            422,
            "longer than 366 days",
        ),
        (
            "since=2027-01-04T00:00:00Z&until=2027-01-01T00:00:00Z",
            422,
            "`until` must be after `since`",
        ),
    ] {
        let (got, body) = server.get(&format!("/api/v1/schedules/{id}/oncall?{query}"));
        assert_eq!(got, status, "{query}: {body}");
        assert!(body.to_string().contains(says), "{query}: {body}");
    }
    let (got, body) = server.get("/api/v1/schedules/sch_nope/oncall");
    assert_eq!(got, 404, "{body}");
    let anonymous = crate::support::send(server.anonymous(
        reqwest::Method::GET,
        &format!("/api/v1/schedules/{id}/oncall"),
    ));
    assert_eq!(anonymous.0, 401, "{}", anonymous.1);
}
