//! The files a config was read from, kept whole so every diagnostic can quote them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in [`Sources`].
pub type FileId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Hcl,
}

impl Format {
    /// The format a path's extension names, if any.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "toml" => Some(Format::Toml),
            "hcl" => Some(Format::Hcl),
            _ => None,
        }
    }
}

/// Why a config file could not be read as text: plain facts, which the diagnostics word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Not UTF-8: the first invalid byte's offset (the text keeps the rest, lossily).
    NotUtf8 { at: usize },
    /// The file system's refusal, as it said it.
    Io(String),
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user would recognise it (relative to where they pointed us).
    pub path: PathBuf,
    pub text: Arc<str>,
    pub format: Format,
    /// Why the file could not be read as text, if it could not.
    pub unreadable: Option<Unreadable>,
    /// Where each line starts, built on first use: a 10 MB file with thousands of problems must
    /// not be rescanned for each one.
    pub lines: OnceLock<Arc<LineIndex>>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: Arc<str>, format: Format) -> SourceFile {
        SourceFile {
            path,
            text,
            format,
            unreadable: None,
            lines: OnceLock::new(),
        }
    }

    pub fn line_index(&self) -> Arc<LineIndex> {
        Arc::clone(
            self.lines
                .get_or_init(|| Arc::new(LineIndex::new(&self.text))),
        )
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let (line, column) = self.line_index().position(&self.text, offset);
        (line + 1, column + 1)
    }
}

/// The start of every line of a text, and whether the line is ASCII (so a column is a subtraction).
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    ascii: Vec<bool>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        let mut ascii = Vec::new();
        let mut line_ascii = true;
        for (i, byte) in text.bytes().enumerate() {
            if byte == b'\n' {
                starts.push(i + 1);
                ascii.push(line_ascii);
                line_ascii = true;
            } else if !byte.is_ascii() {
                line_ascii = false;
            }
        }
        ascii.push(line_ascii);
        LineIndex { starts, ascii }
    }

    /// The zero-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// Where a zero-based line starts, and where it ends (after its newline, if any).
    pub fn line_range(&self, line: usize, text_len: usize) -> (usize, usize) {
        let start = self.starts[line];
        let end = self.starts.get(line + 1).copied().unwrap_or(text_len);
        (start, end)
    }

    /// Zero-based line and column (in characters) of a byte offset.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.starts[line];
        let column = if self.ascii[line] {
            offset - start
        } else {
            text[start..offset].chars().count()
        };
        (line, column)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn push(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
