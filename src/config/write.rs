//! The one config writer: values, references and resources as canonical TOML or HCL, for
//! `export`, `migrate` and `dev generate` alike.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::source::Format;
use crate::model::key_from_name;

/// Renders values, references and resources as TOML or HCL: the one config writer (`export`,
/// `migrate` and `dev generate` write through it).
pub struct Writer<'a, S> {
    pub format: Format,
    pub keys: &'a HashMap<&'a str, String, S>,
    /// Live references to nothing alertform can name (a step type it cannot express, an object
    /// that is gone): left out of lists, and said.
    pub left_out: std::cell::RefCell<Vec<String>>,
}

impl<S: std::hash::BuildHasher> Writer<'_, S> {
    /// `kind.key` of a live id.
    pub fn key(&self, id: &str) -> String {
        self.keys
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("unknown.{}", key_from_name(id)))
    }

    pub fn string(&self, text: &str) -> String {
        let json = serde_json::to_string(text).expect("strings serialise");
        match self.format {
            Format::Toml => json,
            // HCL would interpolate these; doubling them keeps them literal.
            Format::Hcl => json.replace("${", "$${").replace("%{", "%%{"),
        }
    }

    /// A value read from the environment variable `name`.
    pub fn env(&self, name: &str) -> String {
        match self.format {
            Format::Toml => format!("{{ env = \"{name}\" }}"),
            Format::Hcl => format!("env(\"{name}\")"),
        }
    }

    pub fn reference(&self, id: &str) -> String {
        let address = self.key(id);
        match self.format {
            Format::Toml => format!("\"{address}\""),
            Format::Hcl => address,
        }
    }

    pub fn references<'s>(&self, ids: impl Iterator<Item = &'s String>) -> String {
        let mut list: Vec<String> = ids
            .filter(|id| {
                let known = self.keys.contains_key(id.as_str());
                if !known {
                    self.left_out.borrow_mut().push((*id).clone());
                }
                known
            })
            .map(|id| self.reference(id))
            .collect();
        list.sort();
        format!("[{}]", list.join(", "))
    }

    /// One resource: a `[kind.key]` table or a `kind "key" { }` block, its `fields`, then what
    /// `nested` holds.
    pub fn resource(
        &self,
        address: &str,
        fields: &[(&str, String)],
        nested: &Nested<'_>,
    ) -> String {
        let (kind, key) = address.split_once('.').unwrap_or((address, ""));
        let toml = self.format == Format::Toml;
        let mut out = String::new();
        if toml {
            let _ = writeln!(out, "[{kind}.{key}]");
        } else {
            let _ = writeln!(out, "{kind} \"{key}\" {{");
        }
        let indent = if toml { "" } else { "  " };
        for (k, v) in fields {
            let _ = writeln!(out, "{indent}{k} = {v}");
        }
        // One sub-table: under `header` in TOML, a `name { }` block in HCL.
        let sub = |out: &mut String, header: String, name: &str, items: &[(&str, String)]| {
            if toml {
                let _ = writeln!(out, "\n{header}");
                for (k, v) in items {
                    let _ = writeln!(out, "{k} = {v}");
                }
            } else {
                let _ = writeln!(out, "\n  {name} {{");
                for (k, v) in items {
                    let _ = writeln!(out, "    {k} = {v}");
                }
                out.push_str("  }\n");
            }
        };
        match *nested {
            Nested::None => {}
            Nested::Table(name, items) => {
                if !items.is_empty() {
                    sub(&mut out, format!("[{kind}.{key}.{name}]"), name, items);
                }
            }
            Nested::Blocks(name, list) => {
                for items in list {
                    sub(&mut out, format!("[[{kind}.{key}.{name}]]"), name, items);
                }
            }
            Nested::Inline { field, block, list } => {
                if toml {
                    let _ = writeln!(out, "{field} = [");
                    for items in list {
                        let inner: Vec<String> =
                            items.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                        let _ = writeln!(out, "  {{ {} }},", inner.join(", "));
                    }
                    out.push_str("]\n");
                } else {
                    for items in list {
                        sub(&mut out, String::new(), block, items);
                    }
                }
            }
        }
        if !toml {
            out.push_str("}\n");
        }
        out
    }
}

/// What a resource holds besides its own fields.
pub enum Nested<'a> {
    None,
    /// One sub-table (an integration's `templates`), left out when empty.
    Table(&'static str, &'a [(&'a str, String)]),
    /// Repeated sub-tables: `[[kind.key.NAME]]` in TOML, `NAME { }` blocks in HCL (layers).
    Blocks(&'static str, &'a [Vec<(&'a str, String)>]),
    /// A list of inline tables in TOML (`steps = [ { … }, ]`), `BLOCK { }` blocks in HCL.
    Inline {
        field: &'static str,
        block: &'static str,
        list: &'a [Vec<(&'a str, String)>],
    },
}
