//! The invalid-config corpus: every fixture exits 1 with a located diagnostic, snapshotted.

use std::path::Path;

use alertform::config;
use alertform::config::fmt::format;

use crate::support::{alertform, relative, root, stderr, stdout};

fn fixtures() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(root().join("tests/fixtures/invalid"))
        .expect("the corpus exists")
        .map(|e| e.expect("readable").path())
        .collect();
    paths.sort();
    paths
}

#[test]
fn corpus_is_large_enough_and_covers_both_formats() {
    let paths = fixtures();
    assert!(paths.len() >= 50, "only {} invalid fixtures", paths.len());
    let hcl = paths
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".hcl"))
        .count();
    let toml = paths
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".toml"))
        .count();
    assert!(
        hcl >= 10 && toml >= 10,
        "{hcl} HCL and {toml} TOML fixtures"
    );
}

#[test]
fn every_invalid_config_exits_1_with_a_located_diagnostic() {
    insta::glob!("../fixtures/invalid", "{*.toml,*.hcl,dir_*}", |path| {
        let arg = relative(path);
        let output = alertform(&["validate", &arg]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{arg}: {err}");
        assert!(stdout(&output).is_empty(), "{arg} printed to stdout");
        // miette names the place as `[file:line:col]`.
        let located = err.lines().any(|l| {
            l.contains(&format!("[{arg}")) && {
                let tail = l.rsplit(']').nth(1).unwrap_or_default();
                tail.rsplit(':').take(2).all(|n| n.parse::<usize>().is_ok())
            }
        });
        assert!(located, "{arg}: no file:line:col in\n{err}");
        assert!(!err.contains("panicked"), "{arg} panicked");
        insta::assert_snapshot!(err);
    });
}

#[test]
fn json_diagnostics_name_file_line_and_column() {
    let output = alertform(&[
        "validate",
        "--format",
        "json",
        "tests/fixtures/invalid/hcl_many_errors.hcl",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let problems: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let problems = problems.as_array().expect("a list");
    assert!(
        problems.len() >= 6,
        "all errors, not the first: {problems:#?}"
    );
    for p in problems {
        assert_eq!(p["file"], "tests/fixtures/invalid/hcl_many_errors.hcl");
        assert!(p["line"].as_u64().unwrap() >= 1);
        assert!(p["column"].as_u64().unwrap() >= 1);
        assert!(!p["message"].as_str().unwrap().is_empty());
    }
    insta::assert_json_snapshot!(problems);
}

/// `fmt` must be idempotent on every fixture that parses, and keep it meaning the same.
#[test]
fn fmt_is_idempotent_on_fixtures_that_parse() {
    let mut formatted_files = 0;
    for path in fixtures() {
        let Ok(sources) = config::read_sources(&path) else {
            continue;
        };
        for (id, file) in sources.iter() {
            if !config::syntax_problems(&sources, id).is_empty() {
                continue;
            }
            let once = format(&file.text, file.format);
            let twice = format(&once, file.format);
            assert_eq!(
                once,
                twice,
                "fmt is not idempotent on {}",
                file.path.display()
            );
            formatted_files += 1;
        }
    }
    assert!(
        formatted_files >= 30,
        "only {formatted_files} fixtures parsed"
    );
}

#[test]
fn a_directory_without_config_files_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "not a config").unwrap();
    let output = alertform(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no .toml or .hcl files"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_path_is_an_error() {
    let output = alertform(&["validate", "does/not/exist"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot read `does/not/exist`"));
    assert!(!Path::new("does/not/exist").exists());
}
