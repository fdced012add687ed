//! `KIND.KEY`, the name a resource has in config and in plans.

use std::fmt;

use super::vocabulary::Kind;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub kind: Kind,
    pub key: String,
}

impl Address {
    pub fn new(kind: Kind, key: impl Into<String>) -> Self {
        Address {
            kind,
            key: key.into(),
        }
    }

    /// Parses `kind.key`; the key must be a valid key.
    pub fn parse(text: &str) -> Option<Address> {
        let (kind, key) = text.split_once('.')?;
        let kind = Kind::parse(kind)?;
        is_valid_key(key).then(|| Address::new(kind, key))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.key)
    }
}

/// Picking the addresses of one kind out of a list of them.
pub trait OfKind<'a>: Iterator<Item = &'a Address> + Sized {
    /// The addresses of `kind`, in order.
    fn of_kind(self, kind: Kind) -> impl Iterator<Item = &'a Address> {
        self.filter(move |a| a.kind == kind)
    }

    /// Their keys.
    fn keys_of(self, kind: Kind) -> impl Iterator<Item = &'a str> {
        self.of_kind(kind).map(|a| a.key.as_str())
    }

    /// Their addresses as text (`group.sre`).
    fn named(self, kind: Kind) -> Vec<String> {
        self.of_kind(kind).map(ToString::to_string).collect()
    }
}

impl<'a, I: Iterator<Item = &'a Address>> OfKind<'a> for I {}

/// Keys are `[a-z0-9_-]+`, so addresses are safe in file names, URLs and HCL traversals.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A valid key made from a name: lowercase ASCII letters and digits, `_` between words.
pub fn key_from_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "unnamed".to_owned()
    } else {
        out
    }
}
