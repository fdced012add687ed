//! The one place that writes to stdout and stderr: results to stdout, diagnostics and notes to
//! stderr, colour only on a terminal and never under `NO_COLOR`.

use std::fmt::Display;
use std::io::{IsTerminal, Write};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

#[derive(Debug, Clone)]
pub struct Printer {
    /// Colour on stdout (plans).
    color: bool,
    /// Colour on stderr (diagnostics).
    color_err: bool,
    quiet: bool,
}

impl Printer {
    /// A printer for this process: colour on each stream that is a terminal, unless `NO_COLOR` is set.
    pub fn from_env(quiet: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Printer {
            color: !no_color && std::io::stdout().is_terminal(),
            color_err: !no_color && std::io::stderr().is_terminal(),
            quiet,
        }
    }

    /// Whether output may be coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// A result line on stdout.
    pub fn out(&self, text: impl Display) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`alertform schema | head`) is not an error worth a panic.
        let _ = writeln!(stdout, "{text}");
    }

    /// A note on stderr, unless `--quiet`.
    pub fn note(&self, text: impl Display) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
    }

    /// A diagnostic with its source snippet on stderr.
    pub fn diagnostic(&self, diagnostic: &dyn Diagnostic) {
        let theme = if self.color_err {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let mut rendered = String::new();
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        if handler.render_report(&mut rendered, diagnostic).is_err() {
            rendered = format!("error: {diagnostic}");
        }
        let _ = writeln!(std::io::stderr().lock(), "{rendered}");
    }
}
