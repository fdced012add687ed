//! A format-neutral tree of spanned values, so TOML and HCL share one decoder and one set of
//! diagnostics.

use std::ops::Range;

/// Byte range in one source file.
pub type Span = Range<usize>;

/// The type name of an HCL string with `${...}` or `%{...}` in it.
pub const INTERPOLATED: &str = "an interpolated string";

#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Node>),
    Table(Table),
    /// An HCL traversal such as `user.alice`; TOML writes references as strings instead.
    Reference(String),
    /// Something the language allows but a config cannot use (a date, a function call, ...).
    Unsupported(&'static str),
}

impl Value {
    /// How the value is called in a "expected X, found Y" message.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Array(_) => "a list",
            Value::Table(_) => "a table",
            Value::Reference(_) => "a reference",
            Value::Unsupported(what) => what,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}
