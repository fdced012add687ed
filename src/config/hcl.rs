//! Lowers an HCL file (parsed by hcl-edit, which keeps spans) into the spanned [`Node`] tree.
//!
//! Top-level blocks `KIND "KEY" { ... }` become `KIND.KEY` tables, as `[KIND.KEY]` does in TOML.
//! Inside a resource, repeated `step`, `layer` and `restrict` blocks build lists and any other block
//! without labels is an object-valued field, so both formats decode to the same model.

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::Element;

use super::diagnostic::Problem;
use super::node::{Entry, INTERPOLATED, Node, Span, Table, Value};
use super::source::FileId;

/// Parses `text` into a table node. A syntax error gives no table; structures alertform cannot use
/// (interpolation, extra labels) are added to `problems` and lowered as unsupported values, so
/// decoding still reports everything else in the file.
pub fn parse(file: FileId, text: &str, problems: &mut Vec<Problem>) -> Option<Table> {
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(body) => body,
        Err(err) => {
            let offset = err.location().offset();
            // A block left open is found by the parser only where the file ends; say where it
            // opened, as a compiler would, with the end of the file beside it.
            if let Some(open) = unclosed_brace(text)
                && err.message().contains('}')
            {
                let line_start = text[..open].rfind('\n').map_or(0, |i| i + 1);
                let opener = text[line_start..open].trim();
                let end = text.trim_end().len();
                problems.push(
                    Problem::at(
                        format!("invalid HCL: `{opener} {{` is never closed"),
                        file,
                        open..open + 1,
                        "this `{` has no `}`",
                    )
                    .label(file, end.saturating_sub(1)..end, "the file ends here")
                    .help("add the missing `}` where the block ends"),
                );
                return None;
            }
            problems.push(Problem::at(
                format!("invalid HCL: {}", err.message()),
                file,
                offset..offset,
                "here",
            ));
            return None;
        }
    };
    let mut lowering = Lowering { file, problems };
    Some(lowering.top_level(&body))
}

/// The byte offset of the first `{` that is never closed, reading braces outside strings,
/// comments and heredocs; `None` when every `{` is closed.
fn unclosed_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                // A heredoc: `<<EOT` or `<<-EOT` up to a line that is the marker alone.
                let rest = &text[i + 2..];
                let rest = rest.strip_prefix('-').unwrap_or(rest);
                let marker: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !marker.is_empty() {
                    let body_start = text[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
                    let mut at = body_start;
                    loop {
                        let end = text[at..].find('\n').map_or(bytes.len(), |n| at + n);
                        if text[at..end].trim() == marker || end >= bytes.len() {
                            i = end;
                            break;
                        }
                        at = end + 1;
                    }
                }
            }
            b'{' => open.push(i),
            b'}' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    open.first().copied()
}

struct Lowering<'p> {
    file: FileId,
    problems: &'p mut Vec<Problem>,
}

fn span_of(x: &impl hcl_edit::Span) -> Span {
    x.span().unwrap_or(0..0)
}

impl Lowering<'_> {
    fn top_level(&mut self, body: &Body) -> Table {
        let mut table = Table::default();
        for structure in body {
            match structure {
                Structure::Attribute(attr) => table.entries.push(Self::attribute(attr)),
                Structure::Block(block) => self.top_level_block(&mut table, block),
            }
        }
        table
    }

    /// `key = value`, as an entry.
    fn attribute(attr: &hcl_edit::structure::Attribute) -> Entry {
        Entry {
            key: attr.key.as_str().to_owned(),
            key_span: span_of(&attr.key),
            value: Self::expr(&attr.value),
        }
    }

    fn top_level_block(&mut self, table: &mut Table, block: &Block) {
        let kind = block.ident.as_str();
        let kind_span = span_of(&block.ident);
        let body = self.body(&block.body);
        let body_node = Node {
            span: span_of(block),
            value: Value::Table(body),
        };
        match block.labels.as_slice() {
            [] => table.entries.push(Entry {
                key: kind.to_owned(),
                key_span: kind_span,
                value: body_node,
            }),
            [label] => {
                let entry = Entry {
                    key: label.as_str().to_owned(),
                    key_span: span_of(label),
                    value: body_node,
                };
                // Blocks of one kind gather under one `KIND` table, like TOML's `[KIND.KEY]`.
                let position = table.entries.iter().position(|e| e.key == kind);
                let kind_entry = if let Some(i) = position {
                    &mut table.entries[i]
                } else {
                    table.entries.push(Entry {
                        key: kind.to_owned(),
                        key_span: kind_span.clone(),
                        value: Node {
                            span: kind_span,
                            value: Value::Table(Table::default()),
                        },
                    });
                    table.entries.last_mut().expect("just pushed")
                };
                match &mut kind_entry.value.value {
                    Value::Table(t) => t.entries.push(entry),
                    _ => self.problems.push(Problem::at(
                        format!("`{kind}` is both an attribute and a block"),
                        self.file,
                        span_of(&block.ident),
                        "block here",
                    )),
                }
            }
            [_, extra, ..] => self.problems.push(
                Problem::at(
                    format!("a `{kind}` block takes one label, its key"),
                    self.file,
                    span_of(extra),
                    "unexpected label",
                )
                .help(format!("write `{kind} \"KEY\" {{ ... }}`")),
            ),
        }
    }

    fn body(&mut self, body: &Body) -> Table {
        let mut table = Table::default();
        // Repeated blocks that build a list: (list key, its first block's span, items).
        let mut lists: Vec<(&'static str, Span, Vec<Node>)> = Vec::new();
        for structure in body {
            match structure {
                Structure::Attribute(attr) => table.entries.push(Self::attribute(attr)),
                Structure::Block(block) => {
                    if let Some(label) = block.labels.first() {
                        self.problems.push(Problem::at(
                            format!("a nested `{}` block takes no label", block.ident.as_str()),
                            self.file,
                            span_of(label),
                            "unexpected label",
                        ));
                        continue;
                    }
                    let node = Node {
                        span: span_of(block),
                        value: Value::Table(self.body(&block.body)),
                    };
                    if let Some(key) = list_key(block.ident.as_str()) {
                        match lists.iter_mut().find(|(k, _, _)| *k == key) {
                            Some((_, _, items)) => items.push(node),
                            None => lists.push((key, span_of(&block.ident), vec![node])),
                        }
                    } else {
                        table.entries.push(Entry {
                            key: block.ident.as_str().to_owned(),
                            key_span: span_of(&block.ident),
                            value: node,
                        });
                    }
                }
            }
        }
        for (key, span, items) in lists {
            table.entries.push(Entry {
                key: key.to_owned(),
                key_span: span.clone(),
                value: Node {
                    span,
                    value: Value::Array(items),
                },
            });
        }
        table
    }

    fn expr(expr: &Expression) -> Node {
        let span = span_of(expr);
        let value = match expr {
            Expression::String(s) => Value::String(s.value().clone()),
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => {
                let n = n.value();
                match n.as_i64() {
                    Some(i) if !n.is_f64() => Value::Integer(i),
                    _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
                }
            }
            Expression::Array(a) => Value::Array(a.iter().map(Self::expr).collect()),
            Expression::Object(o) => {
                let entries = o
                    .iter()
                    .map(|(key, value)| {
                        let key_text = match key {
                            ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                            ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                            ObjectKey::Expression(_) => String::new(),
                        };
                        Entry {
                            key: key_text,
                            key_span: span_of(key),
                            value: Self::expr(value.expr()),
                        }
                    })
                    .collect();
                Value::Table(Table { entries })
            }
            Expression::StringTemplate(t) => Self::template_literal(t.iter()),
            Expression::HeredocTemplate(h) => {
                let mut heredoc = (**h).clone();
                heredoc.dedent();
                Self::template_literal(heredoc.template.iter())
            }
            Expression::Traversal(t) => match traversal_path(t) {
                Some(path) => Value::Reference(path),
                None => Value::Unsupported("an expression"),
            },
            Expression::Variable(v) => Value::Reference(v.as_str().to_owned()),
            Expression::Null(_) => Value::Unsupported("null"),
            Expression::Parenthesis(p) => return Self::expr(p.inner()),
            Expression::FuncCall(call) => Self::func_call(call),
            Expression::Conditional(_) => Value::Unsupported("a conditional"),
            Expression::ForExpr(_) => Value::Unsupported("a for expression"),
            Expression::UnaryOp(op) => match (op.operator.value(), op.expr.as_number()) {
                (hcl_edit::expr::UnaryOperator::Neg, Some(n)) => match n.as_i64() {
                    Some(i) if !n.is_f64() => Value::Integer(-i),
                    _ => Value::Float(-n.as_f64().unwrap_or(f64::NAN)),
                },
                _ => Value::Unsupported("an operation"),
            },
            Expression::BinaryOp(_) => Value::Unsupported("an operation"),
        };
        Node { value, span }
    }

    /// `env("NAME")` reads as TOML's `{ env = "NAME" }`, which the decoder resolves; no other
    /// function is accepted.
    fn func_call(call: &hcl_edit::expr::FuncCall) -> Value {
        let args: Vec<&Expression> = call.args.iter().collect();
        match (
            call.name.namespace.is_empty(),
            call.name.name.as_str(),
            args.as_slice(),
        ) {
            (true, "env", [argument]) => {
                let name = Self::expr(argument);
                if !matches!(name.value, Value::String(_)) {
                    return Value::Unsupported("an env() call without a plain string name");
                }
                Value::Table(Table {
                    entries: vec![Entry {
                        key: "env".to_owned(),
                        key_span: name.span.clone(),
                        value: name,
                    }],
                })
            }
            _ => Value::Unsupported("a function call (only `env(\"NAME\")` is accepted)"),
        }
    }

    /// A template is accepted only when it is plain text: alertform configs are data, and the
    /// service's own `{{ }}` templates need no HCL interpolation. The decoder reports the rest.
    fn template_literal<'a>(elements: impl Iterator<Item = &'a Element>) -> Value {
        let mut text = String::new();
        for element in elements {
            match element {
                Element::Literal(s) => text.push_str(s.value()),
                Element::Interpolation(_) | Element::Directive(_) => {
                    return Value::Unsupported(INTERPOLATED);
                }
            }
        }
        Value::String(text)
    }
}

/// `user.alice` as the string "user.alice"; `None` for index or splat traversals.
fn traversal_path(t: &hcl_edit::expr::Traversal) -> Option<String> {
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let mut path = root.as_str().to_owned();
    for op in &t.operators {
        match op.value() {
            TraversalOperator::GetAttr(ident) => {
                path.push('.');
                path.push_str(ident.as_str());
            }
            _ => return None,
        }
    }
    Some(path)
}

/// The list a repeated nested block builds: `step { }` blocks the `steps` of a policy (as TOML
/// writes `steps = [...]`), `layer { }` and `restrict { }` blocks those lists of a schedule (as
/// TOML writes `[[schedule.KEY.layer]]`).
fn list_key(block: &str) -> Option<&'static str> {
    match block {
        "step" => Some("steps"),
        "layer" => Some("layer"),
        "restrict" => Some("restrict"),
        _ => None,
    }
}
