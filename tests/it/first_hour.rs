//! `docs/first-hour.md` is a transcript: every `$ ` line of its `console` blocks is run again,
//! in order, in a fresh copy of `examples/`, with the binary under test as `alertform`, and what
//! it prints (standard output and error together) must be what the page shows.

use crate::support::root;

/// (command, what it printed) for every command of the page's `console` blocks, in order.
fn transcript(page: &str) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in page.lines() {
        if line == "```console" {
            inside = true;
        } else if inside && line == "```" {
            inside = false;
        } else if inside {
            if let Some(command) = line.strip_prefix("$ ") {
                steps.push((command.to_owned(), String::new()));
            } else if let Some((_, printed)) = steps.last_mut() {
                printed.push_str(line);
                printed.push('\n');
            }
        }
    }
    steps
}

#[test]
fn the_first_hour_transcript_is_what_alertform_prints() {
    let page = std::fs::read_to_string(root().join("docs/first-hour.md")).unwrap();
    let steps = transcript(&page);
    assert!(
        steps.len() >= 12,
        "the transcript has its commands: {}",
        steps.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_alertform"), bin.join("alertform")).unwrap();
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(root().join("examples"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(copied.success());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (command, expected) in steps {
        let mut shell = std::process::Command::new("bash");
        shell
            .args(["-c", &format!("{{ {command} ; }} 2>&1")])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("NO_COLOR", "1");
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| n.starts_with("ALERTFORM_")) {
                shell.env_remove(name);
            }
        }
        let output = shell.output().unwrap();
        let printed = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            printed, expected,
            "docs/first-hour.md is stale at `$ {command}`: paste what it prints now"
        );
    }
}
