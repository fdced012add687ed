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
        // Hidden stays hidden: `dev` and its `generate` are nowhere in the script.
        assert!(
            !text.replace("/dev/null", "").contains("dev") && !text.contains("generate"),
            "{shell} completes the hidden `dev`"
        );
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

/// The CI examples' commands (`examples/ci/alertform-ci.sh`, which both workflows run), against a
/// real `serve`: a renamed flag or a changed exit status breaks this test.
#[test]
fn the_ci_examples_plan_comment_and_apply_the_saved_plan() {
    use crate::support::{TestServer, root};
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alerting");
    std::fs::create_dir(&config).unwrap();
    for file in ["people.toml", "routing.toml"] {
        std::fs::copy(
            root().join("examples/quickstart").join(file),
            config.join(file),
        )
        .unwrap();
    }
    let script = root().join("examples/ci/alertform-ci.sh");
    let step = |what: &str| {
        std::process::Command::new("bash")
            .arg(&script)
            .arg(what)
            .current_dir(dir.path())
            .env("ALERTFORM", env!("CARGO_BIN_EXE_alertform"))
            .env("ALERTFORM_ENDPOINT", &server.url)
            .env("ALERTFORM_TOKEN", &server.token)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();

    let check = step("check");
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
    let plan = step("plan");
    assert!(plan.status.success(), "{}", stderr(&plan));
    assert_eq!(read("plan.exitcode").trim(), "2", "changes present");
    assert!(
        read("plan.md").starts_with("<!-- alertform-plan -->"),
        "the marker the comment is found by"
    );
    assert!(!read("plan.json").contains(&server.token));
    let apply = step("apply");
    assert!(
        apply.status.success(),
        "{}{}",
        stdout(&apply),
        stderr(&apply)
    );
    assert!(step("plan").status.success());
    assert_eq!(read("plan.exitcode").trim(), "0", "nothing left to do");

    // A plan made, then the live service changes before the merge: apply refuses.
    let routing = config.join("routing.toml");
    let text = std::fs::read_to_string(&routing).unwrap();
    std::fs::write(
        &routing,
        text.replace("name = \"SRE default\"", "name = \"SRE primary\""),
    )
    .unwrap();
    assert!(step("plan").status.success());
    assert_eq!(read("plan.exitcode").trim(), "2");
    let users = crate::apply::all(&server, "users");
    let bob = users
        .iter()
        .find(|u| u["email"] == "bob@example.com")
        .unwrap();
    let (status, _) = server.put(
        &format!("/api/v1/users/{}", bob["id"].as_str().unwrap()),
        &serde_json::json!({"name": "Robert Okafor", "email": "bob@example.com", "time_zone": "Europe/London"}),
    );
    assert_eq!(status, 200);
    let stale = step("apply");
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        stderr(&stale).contains("the saved plan is stale"),
        "{}",
        stderr(&stale)
    );

    // A broken config fails the check job with annotations.
    std::fs::write(
        config.join("broken.toml"),
        "[user.x]\nname = \"X\"\nemail = \"not-an-email\"\n",
    )
    .unwrap();
    let broken = step("check");
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stdout(&broken).contains("::error file=alerting/broken.toml,line=3"),
        "{}",
        stdout(&broken)
    );
}

/// A command line that cannot be read exits 64, never 2 (which `plan --detailed-exitcode` and
/// pipelines read as "changes present"); a setting that is set but empty is named; a malformed
/// endpoint is refused at once, before any request or retry. The CI script fails the job on it
/// instead of writing an empty plan.
#[test]
fn usage_errors_and_empty_settings_exit_64_at_once_and_fail_the_ci_job() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_alertform"));
        command.args(args).env("NO_COLOR", "1");
        for (name, value) in env {
            command.env(name, value);
        }
        let started = std::time::Instant::now();
        (command.output().unwrap(), started.elapsed())
    };
    let (output, _) = run(&["plan", "--no-such-flag"], &[]);
    assert_eq!(output.status.code(), Some(64), "{}", stderr(&output));
    let (output, _) = run(
        &["plan", "examples/quickstart", "--detailed-exitcode"],
        &[("ALERTFORM_PROVIDER", "")],
    );
    assert_eq!(output.status.code(), Some(64));
    assert!(
        stderr(&output).contains("`ALERTFORM_PROVIDER` is set but empty"),
        "{}",
        stderr(&output)
    );
    for (value, said) in [
        (
            "",
            "the endpoint (`--endpoint` or ALERTFORM_ENDPOINT) is empty",
        ),
        ("localhost:8765", "is not an http or https URL"),
        ("http://", "is not a URL"),
    ] {
        let (output, took) = run(
            &["plan", "examples/quickstart"],
            &[("ALERTFORM_ENDPOINT", value)],
        );
        assert_eq!(
            output.status.code(),
            Some(64),
            "{value:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(said),
            "{value:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("https://oncall.example.com"),
            "an example value"
        );
        assert!(
            took < std::time::Duration::from_secs(3),
            "{value:?}: no retries ({took:?})"
        );
    }
    let (output, _) = run(&["--help"], &[]);
    assert_eq!(output.status.code(), Some(0));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alerting");
    std::fs::create_dir(&config).unwrap();
    std::fs::copy(
        crate::support::root().join("examples/quickstart/people.toml"),
        config.join("people.toml"),
    )
    .unwrap();
    let ci = std::process::Command::new("bash")
        .arg(crate::support::root().join("examples/ci/alertform-ci.sh"))
        .arg("plan")
        .current_dir(dir.path())
        .env("ALERTFORM", env!("CARGO_BIN_EXE_alertform"))
        .env("ALERTFORM_PROVIDER", "")
        .output()
        .unwrap();
    assert_eq!(ci.status.code(), Some(64), "the job fails: {}", stderr(&ci));
    let code = std::fs::read_to_string(dir.path().join("plan.exitcode")).unwrap();
    assert_eq!(code.trim(), "64");
}

/// `fmt` takes several paths, and with `--recursive` every directory of config files below a
/// directory given (hidden ones and `target` left out), like `terraform fmt -recursive`.
#[test]
fn fmt_takes_several_paths_and_recurses() {
    let dir = tempfile::tempdir().unwrap();
    let messy = "[user.a]\nname=\"A\"\nemail   =   \"a@example.com\"\n";
    for sub in ["one", "two", "nested/three", ".hidden", "target"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("people.toml"), messy).unwrap();
    }
    let path = |sub: &str| dir.path().join(sub).to_str().unwrap().to_owned();
    let checked = alertform(&["fmt", "--check", &path("one"), &path("two")]);
    assert_eq!(checked.status.code(), Some(1));
    assert_eq!(stdout(&checked).lines().count(), 2, "{}", stdout(&checked));
    assert!(
        stderr(&checked).contains("2 files are not formatted"),
        "{}",
        stderr(&checked)
    );
    let all = alertform(&["fmt", "--recursive", dir.path().to_str().unwrap()]);
    assert!(all.status.success(), "{}", stderr(&all));
    let out = stdout(&all);
    let written: Vec<&str> = out.lines().map(str::trim).collect();
    assert_eq!(written.len(), 3, "one, two, nested/three: {written:?}");
    for sub in ["one", "two", "nested/three"] {
        let text = std::fs::read_to_string(dir.path().join(sub).join("people.toml")).unwrap();
        assert!(text.contains("email = \"a@example.com\""), "{sub}: {text}");
    }
    for sub in [".hidden", "target"] {
        let text = std::fs::read_to_string(dir.path().join(sub).join("people.toml")).unwrap();
        assert_eq!(text, messy, "{sub} is left alone");
    }
    let again = alertform(&[
        "fmt",
        "--check",
        "--recursive",
        dir.path().to_str().unwrap(),
    ]);
    assert!(again.status.success());
}

/// The `show --reveal` hint apply prints after making an integration is a command that works
/// where it was printed: run from the directory apply ran in, with the config elsewhere, against
/// the embedded service and against an endpoint given as a flag.
#[test]
fn the_show_hint_apply_prints_works_where_it_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alerting");
    std::fs::create_dir(&config).unwrap();
    for file in ["people.toml", "routing.toml"] {
        std::fs::copy(
            crate::support::root()
                .join("examples/quickstart")
                .join(file),
            config.join(file),
        )
        .unwrap();
    }
    let server = crate::support::TestServer::start(&[]);
    for extra in [&[][..], &["--endpoint", server.url.as_str()][..]] {
        let mut apply = std::process::Command::new(env!("CARGO_BIN_EXE_alertform"));
        apply
            .args(["apply", "alerting", "--auto-approve"])
            .args(extra)
            .current_dir(dir.path())
            .env("ALERTFORM_TOKEN", &server.token)
            .env_remove("ALERTFORM_ENDPOINT");
        let output = apply.output().unwrap();
        assert!(output.status.success(), "{extra:?}: {}", stderr(&output));
        let said = stdout(&output);
        let line = said
            .lines()
            .find(|l| l.contains("integration.grafana_prod: the endpoint URL holds a secret key"))
            .unwrap_or_else(|| panic!("{extra:?}: no hint in {said}"));
        let command = line.split('`').nth(1).unwrap();
        let words: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(words[0], "alertform", "{command}");
        assert!(command.contains("--config alerting"), "{command}");
        let shown = std::process::Command::new(env!("CARGO_BIN_EXE_alertform"))
            .args(&words[1..])
            .current_dir(dir.path())
            .env("ALERTFORM_TOKEN", &server.token)
            .env_remove("ALERTFORM_ENDPOINT")
            .output()
            .unwrap();
        assert!(shown.status.success(), "`{command}`: {}", stderr(&shown));
        assert!(
            stdout(&shown).contains("integration_key"),
            "`{command}`: {}",
            stdout(&shown)
        );
    }
}

/// The CI examples install a pinned release: `install-alertform.sh` downloads the archive for the
/// runner, checks it against its published SHA-256 and the pinned one, and refuses a tampered
/// archive or a checksum that does not match the pin. Tried on a release laid out as GitHub
/// serves it (here a `file://` directory holding an archive of the binary under test).
#[test]
fn the_install_script_checks_the_release_checksums() {
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        eprintln!("SKIPPED: the script's Linux x86-64 path is what this machine can run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("releases/v0.1.0");
    std::fs::create_dir_all(&release).unwrap();
    let staging = dir.path().join("staging");
    std::fs::create_dir(&staging).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_alertform"), staging.join("alertform")).unwrap();
    let name = "alertform-v0.1.0-x86_64-unknown-linux-musl.tar.gz";
    let sh = |script: &str| {
        let output = std::process::Command::new("bash")
            .args(["-c", script])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{script}: {}", stderr(&output));
        stdout(&output)
    };
    sh(&format!(
        "tar -czf releases/v0.1.0/{name} -C staging alertform"
    ));
    sh(&format!(
        "cd releases/v0.1.0 && sha256sum {name} > {name}.sha256"
    ));
    let pinned = sh(&format!("sha256sum releases/v0.1.0/{name} | cut -d' ' -f1"));
    let install = |pin: &str| {
        std::process::Command::new("bash")
            .arg(crate::support::root().join("examples/ci/install-alertform.sh"))
            .args(["0.1.0", dir.path().join("bin").to_str().unwrap()])
            .env(
                "ALERTFORM_RELEASES",
                format!("file://{}", dir.path().join("releases").display()),
            )
            .env("ALERTFORM_SHA256", pin)
            .output()
            .unwrap()
    };
    let installed = install(pinned.trim());
    assert!(installed.status.success(), "{}", stderr(&installed));
    assert!(
        stdout(&installed).starts_with("alertform "),
        "{}",
        stdout(&installed)
    );
    assert!(dir.path().join("bin/alertform").is_file());

    let wrong_pin = install(&"0".repeat(64));
    assert!(
        !wrong_pin.status.success(),
        "a checksum other than the pin is refused"
    );
    // An archive changed after its checksum was published is refused.
    sh(&format!("echo tampered >> releases/v0.1.0/{name}"));
    let tampered = install("");
    assert!(!tampered.status.success(), "a tampered archive is refused");
    assert!(
        stderr(&tampered).contains("FAILED"),
        "{}",
        stderr(&tampered)
    );
}
