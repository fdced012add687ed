//! Config problems with their places, rendered as miette diagnostics or as JSON for CI annotations.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use serde::Serialize;

use super::node::Span;
use super::source::{FileId, LineIndex, SourceFile, Sources, Unreadable, floor_char_boundary};

/// A place in a config file, with what to say there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub text: Option<String>,
}

impl Label {
    pub fn new(file: FileId, span: Span, text: impl Into<Option<String>>) -> Self {
        Label {
            file,
            span,
            text: text.into(),
        }
    }
}

/// One thing wrong with a config. The first label is the primary place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// A warning: worth saying, but the config is valid.
    pub warning: bool,
    /// Whether to quote the file around the place: not when the lines hold a secret.
    pub quote: bool,
    /// The environment variable of a secret that is not set: a fault of where alertform runs,
    /// not of the config, so `validate` only warns of it (plan and apply need the value).
    pub unset_secret: Option<String>,
}

impl Problem {
    /// Why file `id` could not be read as text, placed at the first bad byte where there is one.
    pub fn unreadable(id: FileId, file: &SourceFile, why: &Unreadable) -> Self {
        match why {
            Unreadable::NotUtf8 { at } => Problem::at(
                format!("`{}` is not valid UTF-8", file.path.display()),
                id,
                *at..*at + 1,
                "invalid byte here",
            )
            .help("config files must be UTF-8 text"),
            Unreadable::Io(err) => {
                Problem::new(format!("cannot read `{}`: {err}", file.path.display()))
            }
        }
    }

    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            labels: Vec::new(),
            help: None,
            warning: false,
            quote: true,
            unset_secret: None,
        }
    }

    /// The same problem, placed by `file:line:col` only: the lines there hold a secret, which a
    /// quote would copy into terminals and CI logs.
    #[must_use]
    pub fn without_quote(mut self) -> Self {
        self.quote = false;
        self
    }

    /// The same problem, marked (when `secret`) as the unset environment variable `name` of a
    /// secret.
    #[must_use]
    pub fn unset_secret_if(mut self, secret: bool, name: &str) -> Self {
        if secret {
            self.unset_secret = Some(name.to_owned());
        }
        self
    }

    /// The same problem as a warning.
    #[must_use]
    pub fn as_warning(mut self) -> Self {
        self.warning = true;
        self
    }

    fn severity(&self) -> Severity {
        if self.warning {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    /// A problem at one place, labelled with `text`.
    pub fn at(
        message: impl Into<String>,
        file: FileId,
        span: Span,
        text: impl Into<String>,
    ) -> Self {
        Problem::new(message).label(file, span, text)
    }

    #[must_use]
    pub fn label(mut self, file: FileId, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label::new(file, span, Some(text.into())));
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Where the problem is, as `(file, line, column)` of the primary label.
    fn location<'a>(&self, sources: &'a Sources) -> Option<(&'a SourceFile, usize, usize)> {
        let label = self.labels.first()?;
        let file = sources.get(label.file);
        let (line, column) = file.line_col(label.span.start);
        Some((file, line, column))
    }

    /// The problem as a miette diagnostic. Labels in other files than the primary one become
    /// related diagnostics, so a duplicate across two files shows both places.
    pub fn to_diagnostic(&self, sources: &Sources) -> ConfigDiagnostic {
        if !self.quote {
            let place = self
                .location(sources)
                .map_or_else(String::new, |(file, line, column)| {
                    format!("{}:{line}:{column}: ", file.path.display())
                });
            return ConfigDiagnostic {
                message: printable(&format!("{place}{}", self.message)),
                source: None,
                labels: Vec::new(),
                help: self.help.as_deref().map(printable),
                related: Vec::new(),
                severity: self.severity(),
            };
        }
        let Some(primary) = self.labels.first() else {
            return ConfigDiagnostic {
                message: printable(&self.message),
                source: None,
                labels: Vec::new(),
                help: self.help.as_deref().map(printable),
                related: Vec::new(),
                severity: self.severity(),
            };
        };
        let mut files: Vec<FileId> = vec![primary.file];
        for label in &self.labels {
            if !files.contains(&label.file) {
                files.push(label.file);
            }
        }
        let mut parts = files.iter().map(|&file| {
            let labels = self
                .labels
                .iter()
                .filter(|l| l.file == file)
                .map(|l| {
                    let span = clipped(&sources.get(file).text, &l.span);
                    LabeledSpan::new_with_span(l.text.as_deref().map(printable), span)
                })
                .collect();
            (named_source(sources, file), labels)
        });
        let (source, labels) = parts.next().expect("the primary file is listed first");
        let related = parts
            .map(|(source, labels)| ConfigDiagnostic {
                message: "see also".to_owned(),
                source: Some(source),
                labels,
                help: None,
                related: Vec::new(),
                severity: Severity::Advice,
            })
            .collect();
        ConfigDiagnostic {
            message: printable(&self.message),
            source: Some(source),
            labels,
            help: self.help.as_deref().map(printable),
            related,
            severity: self.severity(),
        }
    }

    /// The problem as a flat record for CI annotations.
    pub fn to_json(&self, sources: &Sources) -> JsonProblem {
        let (file, line, column) = match self.location(sources) {
            Some((file, line, column)) => (
                Some(file.path.display().to_string()),
                Some(line),
                Some(column),
            ),
            None => (None, None, None),
        };
        JsonProblem {
            file,
            line,
            column,
            message: self.message.clone(),
            help: self.help.clone(),
            severity: self.warning.then_some("warning"),
        }
    }
}

/// The longest label underline: a label on a 1.5 MB list points at its start.
const MAX_LABEL: usize = 80;
/// Lines (or files) longer than this are quoted as a window around the label.
const MAX_QUOTED_LINE: usize = 240;
const LARGE_FILE: usize = 1 << 20;

fn clipped(text: &str, span: &Span) -> Span {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let mut end = span
        .end
        .clamp(start, start.saturating_add(MAX_LABEL))
        .min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

fn named_source(sources: &Sources, file: FileId) -> NamedSource<Excerpt> {
    let file = sources.get(file);
    let excerpt = Excerpt {
        text: quotable(&file.text),
        lines: (file.text.len() > LARGE_FILE || has_long_line(&file.text))
            .then(|| file.line_index()),
    };
    NamedSource::new(file.path.display().to_string(), excerpt)
}

/// Whether a character would act on a terminal rather than show: C0 and C1 controls other than
/// tab, newline and carriage return, and DEL. A hostile config must not be able to send escape
/// sequences to a CI log through a diagnostic.
fn is_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The text with every control character replaced by as many `?` as it has bytes, so byte
/// offsets (spans) stay valid.
fn quotable(text: &Arc<str>) -> Arc<str> {
    if !text.chars().any(is_control) {
        return Arc::clone(text);
    }
    text.chars()
        .map(|c| {
            if is_control(c) {
                "?".repeat(c.len_utf8())
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// A message with control characters written as escapes (`\u{1b}`).
fn printable(text: &str) -> String {
    if !text.chars().any(is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if is_control(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn has_long_line(text: &str) -> bool {
    text.split('\n').any(|line| line.len() > MAX_QUOTED_LINE)
}

/// A config file as miette quotes it. Ordinary files are quoted as miette does; a large file, or
/// one with very long lines (a minified list, a hostile input), is quoted through its line index,
/// and a long line only as a window around the label, so a diagnostic stays a few lines long and
/// rendering it does not rescan megabytes.
#[derive(Debug)]
pub struct Excerpt {
    text: Arc<str>,
    lines: Option<Arc<LineIndex>>,
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let Some(index) = &self.lines else {
            return self
                .text
                .read_span(span, context_lines_before, context_lines_after);
        };
        let text: &str = &self.text;
        if span.offset() > text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let start = floor_char_boundary(text, span.offset());
        let end = floor_char_boundary(text, (span.offset() + span.len()).min(text.len()));
        let first = index.line_of(start);
        let last = index.line_of(end.saturating_sub(1).max(start));
        if context_lines_before == 0 && context_lines_after == 0 {
            let (line, column) = index.position(text, start);
            // Only where the span starts is used from this (the `[file:line:col]` header).
            return Ok(Box::new(miette::MietteSpanContents::new(
                &text.as_bytes()[start..end],
                (start, end - start).into(),
                line,
                column,
                last + 1,
            )));
        }
        let from_line = first.saturating_sub(context_lines_before);
        let to_line = (last + context_lines_after).min(index.line_of(text.len()));
        let (mut from, _) = index.line_range(from_line, text.len());
        let (_, mut to) = index.line_range(to_line, text.len());
        let (mut shown_line, mut shown_column) = (from_line, 0);
        if to - from > MAX_QUOTED_LINE * (to_line - from_line + 1) {
            // Long lines: quote only the labelled lines, and only around the label.
            let (line_start, _) = index.line_range(first, text.len());
            let (_, line_end) = index.line_range(last, text.len());
            from = floor_char_boundary(
                text,
                start.saturating_sub(MAX_QUOTED_LINE / 3).max(line_start),
            );
            to = floor_char_boundary(text, end.saturating_add(MAX_QUOTED_LINE / 3).min(line_end));
            (shown_line, shown_column) = index.position(text, from);
        }
        Ok(Box::new(miette::MietteSpanContents::new(
            &text.as_bytes()[from..to],
            (from, to - from).into(),
            shown_line,
            shown_column,
            to_line + 1,
        )))
    }
}

/// A problem flattened for `validate --format json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonProblem {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// `warning` for a warning; absent for an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
}

/// A [`Problem`] bound to its source text, ready for miette to render.
#[derive(Debug)]
pub struct ConfigDiagnostic {
    message: String,
    source: Option<NamedSource<Excerpt>>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
    related: Vec<ConfigDiagnostic>,
    severity: Severity,
}

impl fmt::Display for ConfigDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigDiagnostic {}

impl Diagnostic for ConfigDiagnostic {
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
        }
    }
}
