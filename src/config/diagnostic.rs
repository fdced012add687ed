//! Config problems with their places, rendered as miette diagnostics or as JSON for CI annotations.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use serde::Serialize;

use super::node::Span;
use super::source::{FileId, Sources, line_col};

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
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            labels: Vec::new(),
            help: None,
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
        let (line, column) = line_col(&file.text, label.span.start);
        Some((file, line, column))
    }

    /// The problem as a miette diagnostic. Labels in other files than the primary one become
    /// related diagnostics, so a duplicate across two files shows both places.
    pub fn to_diagnostic(&self, sources: &Sources) -> ConfigDiagnostic {
        let Some(primary) = self.labels.first() else {
            return ConfigDiagnostic {
                message: self.message.clone(),
                source: None,
                labels: Vec::new(),
                help: self.help.clone(),
                related: Vec::new(),
                severity: Severity::Error,
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
                .map(|l| LabeledSpan::new_with_span(l.text.clone(), l.span.clone()))
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
            message: self.message.clone(),
            source: Some(source),
            labels,
            help: self.help.clone(),
            related,
            severity: Severity::Error,
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
        }
    }
}

use super::source::SourceFile;

fn named_source(sources: &Sources, file: FileId) -> NamedSource<Arc<str>> {
    let file = sources.get(file);
    NamedSource::new(file.path.display().to_string(), Arc::clone(&file.text))
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
}

/// A [`Problem`] bound to its source text, ready for miette to render.
#[derive(Debug)]
pub struct ConfigDiagnostic {
    message: String,
    source: Option<NamedSource<Arc<str>>>,
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

/// `help` text suggesting the closest of `candidates` to `given`, if one is close enough.
pub fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(given, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate closest to `given` by Jaro-Winkler similarity, if similar enough to suggest.
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(given, c), c))
        .filter(|(score, _)| *score >= 0.8)
        // Ties go to the alphabetically first candidate, whatever order the candidates came in.
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// "a" or "an", for messages that name a value: "an email integration", "a user".
pub fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
