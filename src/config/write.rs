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

    /// One resource: `[kind.key]` table or `kind "key" { }` block, with an optional `templates`.
    pub fn block(
        &self,
        address: &str,
        fields: &[(&str, String)],
        templates: &[(&str, String)],
    ) -> String {
        let (kind, key) = address.split_once('.').unwrap_or((address, ""));
        let mut out = String::new();
        match self.format {
            Format::Toml => {
                let _ = writeln!(out, "[{kind}.{key}]");
                for (k, v) in fields {
                    let _ = writeln!(out, "{k} = {v}");
                }
                if !templates.is_empty() {
                    let _ = writeln!(out, "\n[{kind}.{key}.templates]");
                    for (k, v) in templates {
                        let _ = writeln!(out, "{k} = {v}");
                    }
                }
            }
            Format::Hcl => {
                let _ = writeln!(out, "{kind} \"{key}\" {{");
                for (k, v) in fields {
                    let _ = writeln!(out, "  {k} = {v}");
                }
                if !templates.is_empty() {
                    out.push_str("\n  templates {\n");
                    for (k, v) in templates {
                        let _ = writeln!(out, "    {k} = {v}");
                    }
                    out.push_str("  }\n");
                }
                out.push_str("}\n");
            }
        }
        out
    }

    /// A schedule: `[[schedule.KEY.layer]]` tables in TOML, `layer { }` blocks in HCL.
    pub fn schedule(
        &self,
        address: &str,
        fields: &[(&str, String)],
        layers: &[Vec<(&str, String)>],
    ) -> String {
        let (kind, key) = address.split_once('.').unwrap_or((address, ""));
        let mut out = String::new();
        match self.format {
            Format::Toml => {
                let _ = writeln!(out, "[{kind}.{key}]");
                for (k, v) in fields {
                    let _ = writeln!(out, "{k} = {v}");
                }
                for layer in layers {
                    let _ = writeln!(out, "\n[[{kind}.{key}.layer]]");
                    for (k, v) in layer {
                        let _ = writeln!(out, "{k} = {v}");
                    }
                }
            }
            Format::Hcl => {
                let _ = writeln!(out, "{kind} \"{key}\" {{");
                for (k, v) in fields {
                    let _ = writeln!(out, "  {k} = {v}");
                }
                for layer in layers {
                    out.push_str("\n  layer {\n");
                    for (k, v) in layer {
                        let _ = writeln!(out, "    {k} = {v}");
                    }
                    out.push_str("  }\n");
                }
                out.push_str("}\n");
            }
        }
        out
    }

    pub fn policy(
        &self,
        address: &str,
        fields: &[(&str, String)],
        steps: &[Vec<(&str, String)>],
    ) -> String {
        let (kind, key) = address.split_once('.').unwrap_or((address, ""));
        let mut out = String::new();
        match self.format {
            Format::Toml => {
                let _ = writeln!(out, "[{kind}.{key}]");
                for (k, v) in fields {
                    let _ = writeln!(out, "{k} = {v}");
                }
                out.push_str("steps = [\n");
                for step in steps {
                    let inner: Vec<String> =
                        step.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                    let _ = writeln!(out, "  {{ {} }},", inner.join(", "));
                }
                out.push_str("]\n");
            }
            Format::Hcl => {
                let _ = writeln!(out, "{kind} \"{key}\" {{");
                for (k, v) in fields {
                    let _ = writeln!(out, "  {k} = {v}");
                }
                for step in steps {
                    out.push_str("\n  step {\n");
                    for (k, v) in step {
                        let _ = writeln!(out, "    {k} = {v}");
                    }
                    out.push_str("  }\n");
                }
                out.push_str("}\n");
            }
        }
        out
    }
}
