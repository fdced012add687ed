//! Hostile configs, generated at test time (too big to commit): each exits 1 with a diagnostic
//! that names its place, never panics, prints a bounded amount, and makes no API call.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::support::{TestServer, alertform_in, stderr};

/// A hostile input: a path to give `plan`, and how its diagnostic is located: `file:line:col`
/// for problems inside a file, the file's name for files that cannot be read.
struct Case {
    name: &'static str,
    path: PathBuf,
    located: String,
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::write(path, bytes).expect("the temp dir is writable");
}

/// A 10 MB config of users whose role is wrong: ~140,000 problems.
fn huge_invalid(path: &Path) {
    let mut text = String::with_capacity(11 << 20);
    let mut i = 0;
    while text.len() < 10 << 20 {
        writeln!(
            text,
            "[user.u{i}]\nname = \"User {i}\"\nemail = \"u{i}@example.com\"\nrole = \"wizard\"\n"
        )
        .unwrap();
        i += 1;
    }
    write(path, text);
}

/// A 10 MB valid config with one dangling reference in its last line.
fn huge_one_error(path: &Path) -> usize {
    let mut text = String::with_capacity(11 << 20);
    let mut i = 0;
    while text.len() < 10 << 20 {
        writeln!(
            text,
            "[user.u{i}]\nname = \"User {i}\"\nemail = \"u{i}@example.com\"\n"
        )
        .unwrap();
        i += 1;
    }
    text.push_str("[group.all]\nname = \"All\"\nmembers = [\"user.nobody\"]\n");
    let line = text.lines().count();
    write(path, text);
    line
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: &'static str, file: &str, located: String| {
        cases.push(Case {
            name,
            path: dir.join(file),
            located,
        });
    };

    huge_invalid(&dir.join("huge.toml"));
    add("10 MB, 140k problems", "huge.toml", "huge.toml:4:8".into());

    let line = huge_one_error(&dir.join("huge_one.toml"));
    add(
        "10 MB, one error at the end",
        "huge_one.toml",
        format!("huge_one.toml:{line}:12"),
    );

    let members: Vec<String> = (0..100_000).map(|i| format!("\"user.u{i}\"")).collect();
    write(
        &dir.join("list.toml"),
        format!(
            "[group.g]\nname = \"G\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    );
    add(
        "100k-element list on one line",
        "list.toml",
        "list.toml:3:12".into(),
    );

    let members: Vec<String> = (0..100_000).map(|i| format!("    user.u{i},\n")).collect();
    write(
        &dir.join("list.hcl"),
        format!(
            "group \"g\" {{\n  name = \"G\"\n  members = [\n{}  ]\n}}\n",
            members.concat()
        ),
    );
    add("100k-element HCL list", "list.hcl", "list.hcl:4:5".into());

    write(
        &dir.join("deep.toml"),
        format!(
            "[user.a]\nx = {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    add(
        "100k nested TOML arrays",
        "deep.toml",
        "deep.toml:2:".into(),
    );

    write(
        &dir.join("deep_inline.toml"),
        format!(
            "[user.a]\nx = {}1{}\n",
            "{a = ".repeat(50_000),
            "}".repeat(50_000)
        ),
    );
    add(
        "50k nested inline tables",
        "deep_inline.toml",
        "deep_inline.toml:2:".into(),
    );

    write(
        &dir.join("deep.hcl"),
        format!(
            "user \"a\" {{\n  x = {}{}\n}}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    add("100k nested HCL lists", "deep.hcl", "deep.hcl:2:".into());

    write(
        &dir.join("deep_blocks.hcl"),
        format!("{}{}", "b {\n".repeat(50_000), "}\n".repeat(50_000)),
    );
    add(
        "50k nested HCL blocks",
        "deep_blocks.hcl",
        "deep_blocks.hcl:65:".into(),
    );

    write(
        &dir.join("nul.hcl"),
        b"user \"a\" {\n  name = \"A\"\0\0\0\n  email = \"a@example.com\"\n}\n",
    );
    add("NUL bytes in HCL", "nul.hcl", "nul.hcl:2:".into());

    // Deterministic binary noise, with a NUL every 7 bytes.
    let mut state: u32 = 0x9e37_79b9;
    let noise: Vec<u8> = (0..1 << 20)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if i % 7 == 0 {
                0
            } else {
                state.to_le_bytes()[0]
            }
        })
        .collect();
    write(&dir.join("noise.toml"), noise);
    add("1 MB of binary noise", "noise.toml", "noise.toml:".into());

    let mut utf8 = b"[user.a]\nname = \"A\"\n".to_vec();
    utf8.extend_from_slice(b"email = \"\xff\xfe@example.com\"\n");
    write(&dir.join("utf8.toml"), utf8);
    add("invalid UTF-8", "utf8.toml", "utf8.toml:3:10".into());

    let long_name = "x".repeat(1 << 20);
    write(
        &dir.join("long_name.toml"),
        format!("[user.a]\nname = \"{long_name}\"\nemail = \"a@example.com\"\n"),
    );
    add(
        "a 1 MiB name",
        "long_name.toml",
        "long_name.toml:2:8".into(),
    );

    #[cfg(unix)]
    {
        let loop_dir = dir.join("loop");
        std::fs::create_dir(&loop_dir).unwrap();
        std::os::unix::fs::symlink("b.toml", loop_dir.join("a.toml")).unwrap();
        std::os::unix::fs::symlink("a.toml", loop_dir.join("b.toml")).unwrap();
        std::os::unix::fs::symlink(".", loop_dir.join("self.toml")).unwrap();
        add(
            "symlink loop in the config dir",
            "loop",
            "loop/a.toml".into(),
        );

        let device = dir.join("device");
        std::fs::create_dir(&device).unwrap();
        std::os::unix::fs::symlink("/dev/zero", device.join("zero.toml")).unwrap();
        add(
            "a symlink to /dev/zero",
            "device",
            "device/zero.toml".into(),
        );

        let fifo = dir.join("fifo");
        std::fs::create_dir(&fifo).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(fifo.join("pipe.toml"))
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        add("a FIFO named .toml", "fifo", "fifo/pipe.toml".into());
    }

    let dir_named_toml = dir.join("dirs");
    std::fs::create_dir_all(dir_named_toml.join("x.toml")).unwrap();
    add("a directory named x.toml", "dirs", "dirs/x.toml".into());

    cases
}

#[test]
fn hostile_configs_fail_cleanly_and_make_no_api_call() {
    let server = TestServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cases = cases(dir.path());
    assert!(cases.len() >= 12, "{} cases", cases.len());
    for case in &cases {
        let before = server.api_requests();
        let path = case.path.file_name().unwrap().to_str().unwrap();
        let output = alertform_in(
            dir.path(),
            &[
                "plan",
                path,
                "--endpoint",
                &server.url,
                "--token",
                &server.token,
            ],
        );
        let err = stderr(&output);
        let shown = &err[..err.len().min(2000)];
        assert_eq!(output.status.code(), Some(1), "{}: {shown}", case.name);
        assert!(!err.contains("panicked"), "{}: {shown}", case.name);
        assert!(
            err.contains(&case.located),
            "{}: no `{}` in {shown}",
            case.name,
            case.located
        );
        // Bounded output: 50 diagnostics at most, long lines quoted as a window.
        assert!(
            err.len() < 64 * 1024,
            "{}: {} bytes of diagnostics",
            case.name,
            err.len()
        );
        assert!(
            !err.contains('\0') && !err.contains('\u{1b}'),
            "{}: control characters reach the terminal",
            case.name
        );
        assert_eq!(
            server.api_requests(),
            before,
            "{}: an API call was made",
            case.name
        );
    }
}
