//! Lowers a TOML file into the spanned [`Node`] tree. The `toml` crate's spanned document parser
//! (`DeTable`) is used rather than `toml_edit`'s: it keeps spans but no formatting, and borrows
//! strings from the text, which makes it about twice as fast on large configs (`fmt` still uses
//! `toml_edit`/taplo, which keep comments).

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::Problem;
use super::node::{Entry, Node, Table, Value};
use super::source::FileId;

/// Parses `text` into a table node; a syntax error gives no table and a problem at its place.
pub fn parse(file: FileId, text: &str, problems: &mut Vec<Problem>) -> Option<Table> {
    match DeTable::parse(text) {
        Ok(doc) => Some(lower_table(doc.into_inner())),
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

fn lower_table(table: DeTable<'_>) -> Table {
    Table {
        entries: table
            .into_iter()
            .map(|(key, value)| Entry {
                key_span: key.span(),
                key: key.into_inner().into_owned(),
                value: lower(value),
            })
            .collect(),
    }
}

fn lower(value: Spanned<DeValue<'_>>) -> Node {
    let span = value.span();
    let value = match value.into_inner() {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map_or(Value::Unsupported("an integer too large"), Value::Integer),
        DeValue::Float(f) => f
            .as_str()
            .parse()
            .map_or(Value::Unsupported("a float out of range"), Value::Float),
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(_) => Value::Unsupported("a date-time"),
        DeValue::Array(items) => Value::Array(items.into_iter().map(lower).collect()),
        DeValue::Table(t) => Value::Table(lower_table(t)),
    };
    Node { value, span }
}
