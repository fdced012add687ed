//! Every exit status alertform returns, in one place.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the command did what was asked; for `plan --detailed-exitcode`, there is nothing to change.
    Success,
    /// 1: an error — invalid config, unreachable service, a failed change, or `fmt --check` found
    /// files to format.
    Failure,
    /// 2: `plan --detailed-exitcode` found changes.
    Changes,
    /// 3: `export` wrote what it could read, and named on stderr the live objects it could not
    /// hold (left to the service through `settings.ignore`).
    Incomplete,
    /// 64 (`EX_USAGE`): the command line could not be read (an unknown flag, a missing or bad
    /// value, an empty `ALERTFORM_*` setting); nothing was done. Never 2, which a pipeline reads
    /// as "changes present".
    Usage,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Changes => ExitCode::from(2),
            ExitStatus::Incomplete => ExitCode::from(3),
            ExitStatus::Usage => ExitCode::from(64),
        }
    }
}
