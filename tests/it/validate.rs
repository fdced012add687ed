//! `validate` behaviour beyond the corpus: defaults, JSON on success, the help text.

use crate::support::{alertform, alertform_in, root, stderr, stdout};

#[test]
fn validate_defaults_to_the_current_directory() {
    let output = alertform_in(&root().join("examples/quickstart"), &["validate"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("valid: 3 users"));
}

#[test]
fn json_format_on_a_valid_config_is_an_empty_list() {
    let output = alertform(&["validate", "--format", "json", "examples/quickstart-hcl"]);
    assert!(output.status.success());
    assert_eq!(stdout(&output).trim(), "[]");
}

#[test]
fn all_problems_are_reported_in_one_run() {
    let output = alertform(&["validate", "tests/fixtures/invalid/hcl_many_errors.hcl"]);
    let err = stderr(&output);
    assert!(err.contains("the config has 8 problems"), "{err}");
}

#[test]
fn help_never_shows_token_values() {
    for command in ["plan", "apply", "show", "export", "serve"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_alertform"))
            .args([command, "--help"])
            .env("ALERTFORM_TOKEN", "af_secret_from_env")
            .env("ALERTFORM_OWNER_TOKEN", "af_owner_secret_from_env")
            .output()
            .unwrap();
        let help = stdout(&output);
        assert!(output.status.success());
        assert!(help.contains("--help"), "{help}");
        assert!(
            !help.contains("secret_from_env"),
            "`{command} --help` shows a token value:\n{help}"
        );
    }
}
