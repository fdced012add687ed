//! `alertform lint`: the lint corpus (one case per code, snapshotted), the formats, and turning
//! codes off.

use alertform::lint::{CHECKS, Severity};
use serde_json::Value;

use crate::support::{alertform, relative, root, stderr, stdout};

#[test]
fn every_code_has_a_case_that_finds_it() {
    for check in CHECKS {
        let fixture = format!("tests/fixtures/lint/{}.toml", check.code);
        assert!(
            root().join(&fixture).is_file(),
            "no lint case for {}",
            check.code
        );
        let output = alertform(&["lint", &fixture, "--format", "json"]);
        let findings: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
        assert!(
            findings.iter().any(|f| f["code"] == check.code),
            "{fixture}: {findings:#?}"
        );
        let errors = findings.iter().any(|f| f["severity"] == "error");
        assert_eq!(output.status.code(), Some(i32::from(errors)), "{fixture}");
        for finding in &findings {
            assert_eq!(finding["file"], fixture, "{finding}");
            assert!(finding["line"].as_u64().is_some_and(|l| l > 0));
            assert!(!finding["help"].as_str().unwrap().is_empty());
        }
    }
    assert!(CHECKS.iter().any(|c| c.severity == Severity::Error));
}

#[test]
fn lint_corpus_snapshots() {
    insta::glob!("../fixtures/lint", "*.toml", |path| {
        let arg = relative(path);
        let output = alertform(&["lint", &arg]);
        insta::assert_snapshot!(format!("{}{}", stderr(&output), stdout(&output)));
    });
}

#[test]
fn github_format_annotates_the_line() {
    let output = alertform(&[
        "lint",
        "tests/fixtures/lint/L007.toml",
        "--format",
        "github",
    ]);
    assert_eq!(output.status.code(), Some(1), "errors fail the job");
    let out = stdout(&output);
    assert!(
        out.lines().any(|l| l.starts_with(
            "::error file=tests/fixtures/lint/L007.toml,line=15,col=1,title=alertform lint L007::"
        )),
        "{out}"
    );
}

#[test]
fn codes_can_be_turned_off_for_the_config_or_a_resource() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/fixtures/lint/L005.toml")).unwrap();
    let write = |extra: &str, body: &str| {
        let path = dir.path().join("c.toml");
        std::fs::write(&path, format!("{body}{extra}")).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let path = write("", &text);
    assert!(stdout(&alertform(&["lint", &path])).contains("1 warning"));
    let path = write("\n[settings]\nlint = { disable = [\"L005\"] }\n", &text);
    assert_eq!(
        stdout(&alertform(&["lint", &path])).trim(),
        "lint: no findings"
    );
    let path = write(
        "",
        &text.replace(
            "email = \"bob@example.com\"",
            "email = \"bob@example.com\"\nlint_ignore = [\"L005\"]",
        ),
    );
    assert_eq!(
        stdout(&alertform(&["lint", &path])).trim(),
        "lint: no findings"
    );
    let path = write(
        "",
        &text.replace(
            "email = \"bob@example.com\"",
            "email = \"bob@example.com\"\nlint_ignore = [\"l05\"]",
        ),
    );
    let invalid = alertform(&["validate", &path]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(
        stderr(&invalid).contains("unknown lint code `l05`"),
        "{}",
        stderr(&invalid)
    );
    assert!(
        stderr(&invalid).contains("did you mean `L005`?"),
        "{}",
        stderr(&invalid)
    );
}

#[test]
fn every_example_is_lint_clean() {
    for example in [
        "examples/quickstart",
        "examples/quickstart-hcl",
        "examples/multi-team/toml",
        "examples/multi-team/hcl",
        "examples/quickstart-oncall",
        "examples/quickstart-oncall-hcl",
        "examples/multi-team-oncall/toml",
        "examples/multi-team-oncall/hcl",
        "examples/quickstart-alertops",
        "examples/quickstart-alertops-hcl",
        "examples/multi-team-alertops/toml",
    ] {
        let output = alertform(&["lint", example, "--deny-warnings"]);
        assert!(output.status.success(), "{example}: {}", stderr(&output));
    }
    // The outbound examples read secrets from the environment.
    for example in [
        "examples/outbound",
        "examples/outbound-hcl",
        "examples/outbound-uptinio",
    ] {
        let output = crate::support::alertform_with(
            &root(),
            &["lint", example, "--deny-warnings"],
            &[
                ("OPS_WEBHOOK_URL", "https://hooks.example.com/x"),
                ("DB_RESTART_PASSWORD", "x"),
            ],
        );
        assert!(output.status.success(), "{example}: {}", stderr(&output));
    }
}
