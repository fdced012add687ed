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

/// `{ env = "NAME" }` in TOML and `env("NAME")` in HCL read a field's value from the environment
/// when the config is loaded: both formats give the same plan, with the variables' values.
#[test]
fn values_can_come_from_the_environment_in_toml_and_hcl() {
    let server = crate::support::TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("toml");
    let hcl = dir.path().join("hcl");
    std::fs::create_dir_all(&toml).unwrap();
    std::fs::create_dir_all(&hcl).unwrap();
    std::fs::write(
        toml.join("people.toml"),
        "[user.ops]\nname = \"Ops\"\nemail = { env = \"OPS_EMAIL\" }\nphone = { env = \"OPS_PHONE\" }\n\n[group.oncall]\nname = \"On call\"\ndescription = { env = \"TEAM_NOTE\" }\nmembers = [\"user.ops\"]\n",
    )
    .unwrap();
    std::fs::write(
        hcl.join("people.hcl"),
        "user \"ops\" {\n  name  = \"Ops\"\n  email = env(\"OPS_EMAIL\")\n  phone = env(\"OPS_PHONE\")\n}\n\ngroup \"oncall\" {\n  name        = \"On call\"\n  description = env(\"TEAM_NOTE\")\n  members     = [user.ops]\n}\n",
    )
    .unwrap();
    let run = |config: &std::path::Path, args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_alertform"))
            .args(args)
            .arg(config)
            .args(["--endpoint", &server.url, "--token", &server.token])
            .env("NO_COLOR", "1")
            .env("OPS_EMAIL", "ops@example.com")
            .env("OPS_PHONE", "+14155550123")
            .env("TEAM_NOTE", "Whoever holds the pager")
            .output()
            .unwrap()
    };
    let plans: Vec<serde_json::Value> = [&toml, &hcl]
        .iter()
        .map(|config| {
            let output = run(config, &["plan", "--format", "json"]);
            assert!(output.status.success(), "{}", stderr(&output));
            serde_json::from_str(&stdout(&output)).unwrap()
        })
        .collect();
    assert_eq!(plans[0]["changes"], plans[1]["changes"]);
    let user = &plans[0]["changes"][0]["after"];
    assert_eq!(user["email"], "ops@example.com");
    assert_eq!(user["phone"], "+14155550123");
    assert_eq!(
        plans[0]["changes"][1]["after"]["description"],
        "Whoever holds the pager"
    );
    // Unset, it is a located error and no request is made.
    let unset = alertform(&["validate", toml.to_str().unwrap()]);
    assert_eq!(unset.status.code(), Some(1));
    assert!(
        stderr(&unset).contains("`OPS_EMAIL` is not set"),
        "{}",
        stderr(&unset)
    );
}

/// The committed JSON Schema (what editors check TOML against) accepts every TOML example and a
/// value from the environment.
#[test]
fn the_json_schema_accepts_the_examples_and_env_values() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/alertform.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("the schema compiles");
    let mut checked = 0;
    for example in [
        "examples/quickstart",
        "examples/multi-team/toml",
        "examples/quickstart-oncall",
        "examples/quickstart-pagerduty",
        "examples/multi-team-pagerduty/toml",
        "examples/outbound",
    ] {
        for entry in std::fs::read_dir(root().join(example)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let value: serde_json::Value = toml_to_json(&text);
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} files");
    let with_env = toml_to_json("[user.ops]\nname = \"Ops\"\nemail = { env = \"OPS_EMAIL\" }\n");
    assert!(validator.is_valid(&with_env));
    let bad_env = toml_to_json("[user.ops]\nname = \"Ops\"\nemail = { env = \"1X\", more = 1 }\n");
    assert!(!validator.is_valid(&bad_env));
}

/// A TOML document as JSON, for checking it against the JSON Schema.
fn toml_to_json(text: &str) -> serde_json::Value {
    use toml::de::{DeTable, DeValue};
    fn value(v: DeValue<'_>) -> serde_json::Value {
        match v {
            DeValue::String(s) => serde_json::json!(s),
            DeValue::Integer(i) => serde_json::json!(i.as_str().parse::<i64>().unwrap()),
            DeValue::Float(f) => serde_json::json!(f.as_str().parse::<f64>().unwrap()),
            DeValue::Boolean(b) => serde_json::json!(b),
            DeValue::Datetime(d) => serde_json::json!(d.to_string()),
            DeValue::Array(items) => items.into_iter().map(|i| value(i.into_inner())).collect(),
            DeValue::Table(t) => table(t),
        }
    }
    fn table(t: DeTable<'_>) -> serde_json::Value {
        serde_json::Value::Object(
            t.into_iter()
                .map(|(k, v)| (k.into_inner().into_owned(), value(v.into_inner())))
                .collect(),
        )
    }
    table(DeTable::parse(text).unwrap().into_inner())
}

/// A secret written in a file is valid but warned about, in every format, placed by
/// `file:line:col` and never quoted; the same field from the environment is not warned about.
#[test]
fn a_literal_secret_is_a_warning_that_never_repeats_it() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("hooks.toml");
    std::fs::write(
        &config,
        "[outbound.hook]\nname = \"Hook\"\ntype = \"webhook\"\nurl = \"https://hooks.example.com/T0/B0/literaltoken\"\n\n[outbound.box]\nname = \"Box\"\ntype = \"ssh_restart\"\nhost = \"10.0.0.9\"\nusername = \"ops\"\npassword = { env = \"BOX_PASSWORD\" }\n",
    )
    .unwrap();
    let path = config.to_str().unwrap();
    let env = [("BOX_PASSWORD", "from-the-environment")];
    let text = crate::support::alertform_with(&root(), &["validate", path], &env);
    assert!(text.status.success(), "{}", stderr(&text));
    assert!(
        stdout(&text).contains("(1 file, 1 warning)"),
        "{}",
        stdout(&text)
    );
    let warning = stderr(&text);
    assert!(
        warning
            .contains("hooks.toml:4:1: `url` of `outbound.hook` is a secret written in the file"),
        "{warning}"
    );
    assert!(warning.contains("{ env = \"HOOK_URL\" }"), "{warning}");
    let json =
        crate::support::alertform_with(&root(), &["validate", path, "--format", "json"], &env);
    assert!(json.status.success());
    let problems: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(problems.as_array().unwrap().len(), 1, "{problems}");
    assert_eq!(problems[0]["severity"], "warning");
    assert_eq!(problems[0]["line"], 4);
    let github =
        crate::support::alertform_with(&root(), &["validate", path, "--format", "github"], &env);
    assert!(github.status.success());
    assert!(
        stdout(&github).starts_with("::warning file="),
        "{}",
        stdout(&github)
    );
    for output in [&text, &json, &github] {
        for stream in [stdout(output), stderr(output)] {
            assert!(!stream.contains("literaltoken"), "{stream}");
            assert!(!stream.contains("from-the-environment"), "{stream}");
        }
    }
}

/// A secret's unset environment variable is a fault of where alertform runs, not of the config:
/// `validate` warns of it (once per variable) and succeeds; `validate --secrets` and `plan` fail
/// on it, with one located error per variable, before any request.
#[test]
fn an_unset_secret_is_a_warning_for_validate_and_an_error_for_plan() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("outbound.toml");
    std::fs::write(
        &config,
        "[outbound.a]\ntype = \"webhook\"\nurl = { env = \"AF_TEST_UNSET_HOOK\" }\n\n[outbound.b]\ntype = \"ssh_restart\"\nhost = \"10.0.0.1\"\nport = 22\nusername = \"ops\"\npassword = { env = \"AF_TEST_UNSET_PASSWORD\" }\n\n[outbound.c]\ntype = \"ssh_restart\"\nhost = \"10.0.0.2\"\nport = 22\nusername = \"ops\"\npassword = { env = \"AF_TEST_UNSET_PASSWORD\" }\n",
    )
    .unwrap();
    let path = config.to_str().unwrap();
    let checked = alertform(&["validate", path]);
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
    assert!(
        stdout(&checked).contains("valid: 3 outbound targets (1 file, 2 warnings)"),
        "{}",
        stdout(&checked)
    );
    let json = alertform(&["validate", path, "--format", "json"]);
    let warnings: Vec<serde_json::Value> = serde_json::from_str(&stdout(&json)).unwrap();
    let messages: Vec<(&str, u64, u64)> = warnings
        .iter()
        .map(|w| {
            (
                w["message"].as_str().unwrap(),
                w["line"].as_u64().unwrap(),
                w["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            (
                "`url` of outbound target `a` comes from the environment variable `AF_TEST_UNSET_HOOK`, which is not set: plan and apply will need it",
                3,
                7
            ),
            (
                "`password` of outbound target `b` comes from the environment variable `AF_TEST_UNSET_PASSWORD`, which is not set (and 1 more field): plan and apply will need it",
                10,
                12
            ),
        ]
    );

    for args in [
        &["validate", "--secrets", path][..],
        &[
            "plan",
            path,
            "--endpoint",
            "http://127.0.0.1:9",
            "--token",
            "t",
        ][..],
    ] {
        let refused = alertform(args);
        let said = stderr(&refused);
        assert_eq!(refused.status.code(), Some(1), "{args:?}: {said}");
        assert!(
            said.contains("the config has 2 problems"),
            "{args:?}: {said}"
        );
        assert!(
            said.contains("`AF_TEST_UNSET_PASSWORD`, which is not set (and 1 more field)"),
            "{said}"
        );
        assert!(!said.contains("plan and apply will need it"), "{said}");
    }
}
