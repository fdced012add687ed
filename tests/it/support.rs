//! Running the real binary from the repository root, with deterministic output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root, so paths in diagnostics are the short relative ones a user types.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `alertform ARGS` run in the repository root with colour off.
pub fn alertform(args: &[&str]) -> Output {
    alertform_in(&root(), args)
}

pub fn alertform_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alertform"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("ALERTFORM_ENDPOINT")
        .env_remove("ALERTFORM_TOKEN")
        .output()
        .expect("the alertform binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// A path relative to the repository root, with `/` separators, for arguments and snapshots.
pub fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
