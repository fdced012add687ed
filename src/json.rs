//! Small helpers over JSON values and documents that both sides of the wire use (the
//! providers reading a vendor's answers, the emulations reading requests and their store).
//! A leaf: it imports nothing of the crate.

use serde_json::Value;

/// Reading a JSON value that may hold an array.
pub trait Items {
    /// The elements of an array; nothing for any other value (a missing field is `null`).
    fn items(&self) -> std::slice::Iter<'_, Value>;

    /// The strings of an array, owned; other elements are passed over.
    fn strings(&self) -> Vec<String> {
        self.items()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    }
}

impl Items for Value {
    fn items(&self) -> std::slice::Iter<'_, Value> {
        self.as_array().map_or(&[][..], Vec::as_slice).iter()
    }
}

/// Percent-encodes text for a query string (RFC 3986 unreserved characters pass).
pub fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The draft-07 JSON Schema of `T`, pretty-printed with a final newline (the committed
/// files under `schema/`).
pub fn schema_of<T: schemars::JsonSchema>() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_of_an_array_and_of_anything_else() {
        let v = json!({"a": [1, "x", "y"], "b": "z"});
        assert_eq!(v["a"].items().count(), 3);
        assert_eq!(v["a"].strings(), ["x", "y"]);
        assert_eq!(v["b"].items().count(), 0);
        assert!(v["missing"].strings().is_empty());
    }

    #[test]
    fn percent_encoding_keeps_unreserved_characters() {
        assert_eq!(percent_encode("a b/é-_.~"), "a%20b%2F%C3%A9-_.~");
    }
}
