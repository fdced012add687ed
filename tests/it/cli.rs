//! The command line around the core: completions, the man page, annotations for CI.

use crate::support::{alertform, stderr, stdout};

#[test]
fn completions_and_man_page_cover_every_command_and_no_secret() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_alertform"))
            .args(["completions", shell])
            .env("ALERTFORM_TOKEN", "af_secret_token_in_env")
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let text = stdout(&output);
        for command in ["plan", "apply", "oncall", "lint", "serve", "export"] {
            assert!(text.contains(command), "{shell} completes no `{command}`");
        }
        assert!(!text.contains("af_secret_token_in_env"));
    }
    let man = alertform(&["man"]);
    assert!(man.status.success());
    let page = stdout(&man);
    assert!(
        page.starts_with(".ie") && page.contains(".TH alertform 1"),
        "{page}"
    );
    assert!(page.contains("oncall") && page.contains("completions"));
}

#[test]
fn validate_annotates_problems_for_github() {
    let output = alertform(&[
        "validate",
        "tests/fixtures/invalid/toml_bad_email.toml",
        "--format",
        "github",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    let line = out.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("::error file=tests/fixtures/invalid/toml_bad_email.toml,line="),
        "{out}"
    );
    assert!(
        line.contains(",title=alertform validate::invalid email address"),
        "{out}"
    );
}
