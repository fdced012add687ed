//! What the contract tests share: the exchanges `serve --record-exchanges` writes, a vendor's
//! API document with its path templates, and JSON Schema checks of its (OpenAPI 3 or Swagger 2)
//! schemas with draft 7. Each vendor's test says what its document's operations demand.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value, json};

/// A recorded exchange, as `serve --record-exchanges` writes it.
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Value,
    pub body: Option<Value>,
    pub status: u16,
    pub response: Option<Value>,
}

pub fn exchanges(file: &std::path::Path) -> Vec<Exchange> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a recorded exchange");
            Exchange {
                method: v["method"].as_str().unwrap().to_owned(),
                path: v["path"].as_str().unwrap().to_owned(),
                query: v["query"]
                    .as_str()
                    .unwrap_or_default()
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (decode(k), decode(v))
                    })
                    .collect(),
                headers: v["headers"].clone(),
                body: Some(v["body"].clone()).filter(|b| !b.is_null()),
                status: u16::try_from(v["status"].as_u64().unwrap()).unwrap(),
                response: Some(v["response"].clone()).filter(|b| !b.is_null()),
            }
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// OpenAPI 3.0's dialect of JSON Schema as draft 7: `nullable` becomes a `null` type, and the
/// annotations draft 7 does not have go.
pub fn to_draft7(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(to_draft7).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                match key.as_str() {
                    "nullable" | "discriminator" | "example" | "examples" | "xml"
                    | "externalDocs" | "deprecated" => {}
                    "exclusiveMinimum" | "exclusiveMaximum" if item.is_boolean() => {}
                    // Property names and components are not schemas, their values are.
                    _ => {
                        out.insert(key.clone(), to_draft7(item));
                    }
                }
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(ty)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([ty, "null"]));
                } else {
                    return json!({"anyOf": [{"type": "null"}, Value::Object(out)]});
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Everything a schema reaches through local `$ref`s, transitively, at the same places it has
/// in `document` (`{"components": {"schemas": …}}` for OpenAPI 3, `{"definitions": …}` for
/// Swagger 2), converted to draft 7.
fn reachable(document: &Value, schema: &Value) -> Value {
    let mut found: BTreeSet<String> = BTreeSet::new();
    let mut pending = vec![schema.clone()];
    while let Some(node) = pending.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref")
                    && let Some(pointer) = target.strip_prefix('#')
                    && found.insert(pointer.to_owned())
                {
                    pending.push(document.pointer(pointer).cloned().unwrap_or(Value::Null));
                }
                pending.extend(map.into_iter().map(|(_, v)| v));
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    let mut out = json!({});
    for pointer in found {
        let mut node = &mut out;
        // Pointer segments escape `/` as `~1` and `~` as `~0`.
        let parts: Vec<String> = pointer
            .trim_start_matches('/')
            .split('/')
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect();
        for part in &parts[..parts.len() - 1] {
            node = node
                .as_object_mut()
                .expect("a component section is an object")
                .entry(part.clone())
                .or_insert_with(|| json!({}));
        }
        node[&parts[parts.len() - 1]] =
            to_draft7(document.pointer(&pointer).unwrap_or(&Value::Null));
    }
    out
}

pub struct Contract {
    pub document: Value,
    /// (method, template) for each path template with its pattern segments.
    templates: Vec<(String, Vec<String>)>,
    validators: HashMap<String, jsonschema::Validator>,
}

impl Contract {
    pub fn new(document: Value) -> Contract {
        let templates = document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|t| (t.clone(), t.split('/').map(str::to_owned).collect()))
            .collect();
        Contract {
            document,
            templates,
            validators: HashMap::new(),
        }
    }

    /// The document's template for a concrete path: literal segments win over `{params}`.
    pub fn template(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.templates
            .iter()
            .filter(|(_, parts)| {
                parts.len() == segments.len()
                    && parts
                        .iter()
                        .zip(&segments)
                        .all(|(p, s)| p == s || (p.starts_with('{') && p.ends_with('}')))
            })
            .max_by_key(|(_, parts)| parts.iter().filter(|p| !p.starts_with('{')).count())
            .map(|(t, _)| t.clone())
    }

    pub fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(target) => {
                let mut node = &self.document;
                for part in target.trim_start_matches("#/").split('/') {
                    node = &node[part];
                }
                self.resolve(node)
            }
            None => value,
        }
    }

    /// Errors of `instance` against `schema` (an OpenAPI schema of the document).
    pub fn check(&mut self, key: &str, schema: &Value, instance: &Value) -> Vec<String> {
        if !self.validators.contains_key(key) {
            let mut wrapper = reachable(&self.document, schema);
            wrapper["allOf"] = json!([to_draft7(schema)]);
            let validator = jsonschema::draft7::options()
                .should_validate_formats(false)
                .build(&wrapper)
                .unwrap_or_else(|e| panic!("{key}: the document's schema does not compile: {e}"));
            self.validators.insert(key.to_owned(), validator);
        }
        self.validators[key]
            .iter_errors(instance)
            .take(3)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

/// Each operation checked: how many exchanges, with which statuses.
pub type Covered = BTreeMap<String, (usize, BTreeSet<u16>)>;

/// Checks every exchange with `violations`; prints the operations covered and returns them with
/// every violation, sorted and each once.
pub fn checked(
    exchanges: &[Exchange],
    mut violations: impl FnMut(&Exchange) -> (String, Vec<String>),
) -> (Covered, Vec<String>) {
    let mut covered = Covered::new();
    let mut failures = Vec::new();
    for exchange in exchanges {
        let (operation, problems) = violations(exchange);
        let entry = covered.entry(operation.clone()).or_default();
        entry.0 += 1;
        entry.1.insert(exchange.status);
        for problem in problems {
            failures.push(format!("{operation} → {}: {problem}", exchange.status));
        }
    }
    println!(
        "{} exchanges over {} operations:",
        exchanges.len(),
        covered.len()
    );
    for (operation, (count, statuses)) in &covered {
        println!("  {operation}: {count} ({statuses:?})");
    }
    failures.sort();
    failures.dedup();
    (covered, failures)
}

/// The document at `path`, or `None` after saying, past the test harness's capture, that the
/// test `name` checked nothing (vendor data outside this repository; `variable` names another
/// place for it).
pub fn document(name: &str, variable: &str, vendor_file: &str) -> Option<Value> {
    let path = std::env::var_os(variable).map_or_else(
        || {
            crate::support::root()
                .join("../shared/vendor")
                .join(vendor_file)
        },
        std::path::PathBuf::from,
    );
    let Ok(text) = std::fs::read_to_string(&path) else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "{name}: SKIPPED, checked nothing: the vendor's API document is not at {} (vendor data outside this repository; set {variable} to check the contract)",
            path.display()
        );
        return None;
    };
    Some(serde_json::from_str(&text).expect("the document is JSON"))
}
