//! Lowers a TOML file (parsed by `toml_edit`, which keeps spans) into the spanned [`Node`] tree.

use toml_edit::{Document, Item, Value as TomlValue};

use super::diagnostic::Problem;
use super::node::{Entry, Node, Span, Table, Value};
use super::source::FileId;

/// Parses `text` into a table node; a syntax error gives no table and a problem at its place.
pub fn parse(file: FileId, text: &str, problems: &mut Vec<Problem>) -> Option<Table> {
    match Document::parse(text) {
        Ok(doc) => Some(lower_table(doc.as_table(), 0..0)),
        Err(err) => {
            let span = err.span().unwrap_or(0..0);
            let message = err.message().trim().to_owned();
            problems.push(Problem::at(
                format!("invalid TOML: {message}"),
                file,
                span,
                "here",
            ));
            None
        }
    }
}

fn lower_table(table: &toml_edit::Table, _span: Span) -> Table {
    let entries = table
        .iter()
        .map(|(key, item)| {
            let key_span = table
                .key(key)
                .and_then(toml_edit::Key::span)
                .unwrap_or(0..0);
            Entry {
                key: key.to_owned(),
                value: lower_item(item, key_span.clone()),
                key_span,
            }
        })
        .collect();
    Table { entries }
}

fn lower_item(item: &Item, key_span: Span) -> Node {
    match item {
        Item::Value(v) => lower_value(v),
        Item::Table(t) => {
            // Implicit tables (the `user` of `[user.alice]`) have no span; point at the key.
            let span = t.span().unwrap_or_else(|| key_span.clone());
            Node {
                value: Value::Table(lower_table(t, span.clone())),
                span,
            }
        }
        Item::ArrayOfTables(a) => {
            let span = a.span().unwrap_or_else(|| key_span.clone());
            let items = a
                .iter()
                .map(|t| {
                    let span = t.span().unwrap_or_else(|| key_span.clone());
                    Node {
                        value: Value::Table(lower_table(t, span.clone())),
                        span,
                    }
                })
                .collect();
            Node {
                value: Value::Array(items),
                span,
            }
        }
        Item::None => Node {
            value: Value::Unsupported("nothing"),
            span: key_span,
        },
    }
}

fn lower_value(v: &TomlValue) -> Node {
    let span = v.span().unwrap_or(0..0);
    let value = match v {
        TomlValue::String(s) => Value::String(s.value().clone()),
        TomlValue::Integer(i) => Value::Integer(*i.value()),
        TomlValue::Float(f) => Value::Float(*f.value()),
        TomlValue::Boolean(b) => Value::Bool(*b.value()),
        TomlValue::Datetime(_) => Value::Unsupported("a date-time"),
        TomlValue::Array(a) => Value::Array(a.iter().map(lower_value).collect()),
        TomlValue::InlineTable(t) => Value::Table(Table {
            entries: t
                .iter()
                .map(|(key, value)| {
                    let key_span = t.key(key).and_then(toml_edit::Key::span).unwrap_or(0..0);
                    Entry {
                        key: key.to_owned(),
                        key_span,
                        value: lower_value(value),
                    }
                })
                .collect(),
        }),
    };
    Node { value, span }
}
