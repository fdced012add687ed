//! Where each declared resource and each of its fields was written, so checks made after the
//! model is built (a provider's capabilities, a live object that differs) still point at a
//! `file:line:col`.

use std::collections::HashMap;

use super::diagnostic::Problem;
use super::node::Span;
use super::source::FileId;
use super::types::{Decoded, Spanned};
use crate::model::{Address, Kind};

#[derive(Debug, Clone, Default)]
pub struct Locations {
    resources: HashMap<(Kind, String), Resource>,
    /// The `settings` table's key, and its `provider` value when written.
    settings: Option<(FileId, Span)>,
}

#[derive(Debug, Clone)]
struct Resource {
    file: FileId,
    key: Span,
    fields: Vec<(String, Span)>,
}

impl Locations {
    pub fn of(decoded: &Decoded) -> Locations {
        let resources = decoded
            .resources
            .iter()
            .map(|declared| {
                (
                    (declared.kind, declared.key.value.clone()),
                    Resource {
                        file: declared.key.file,
                        key: declared.key.span.clone(),
                        fields: declared.fields.clone(),
                    },
                )
            })
            .collect();
        let settings = decoded
            .settings
            .first()
            .map(|(at, _): &(Spanned<()>, _)| (at.file, at.span.clone()));
        Locations {
            resources,
            settings,
        }
    }

    /// Whether `field` (a path like `templates.title` or `steps[1].delay_minutes`) is written in
    /// the file for `address`.
    pub fn written(&self, address: &Address, field: &str) -> bool {
        self.resources
            .get(&(address.kind, address.key.clone()))
            .is_some_and(|r| r.fields.iter().any(|(path, _)| path == field))
    }

    /// The place to point at for `field` of `address`: the field, else its nearest written
    /// parent (`steps[1]`, then `steps`), else the resource's key.
    pub fn locate(&self, address: &Address, field: &str) -> Option<(FileId, Span)> {
        let resource = self.resources.get(&(address.kind, address.key.clone()))?;
        let mut path = field;
        loop {
            if let Some((_, span)) = resource.fields.iter().find(|(p, _)| p == path) {
                return Some((resource.file, span.clone()));
            }
            match path.rfind(['.', '[']) {
                Some(cut) if cut > 0 => path = &path[..cut],
                _ => return Some((resource.file, resource.key.clone())),
            }
        }
    }

    /// A problem at `field` of `address` (or unlocated, for a resource not in these files).
    pub fn problem(
        &self,
        address: &Address,
        field: &str,
        message: String,
        label: &str,
        help: String,
    ) -> Problem {
        let problem = match self.locate(address, field) {
            Some((file, span)) => Problem::at(message, file, span, label.to_owned()),
            None => Problem::new(message),
        };
        problem.help(help)
    }

    /// Where `settings` is declared, if it is.
    pub fn settings(&self) -> Option<(FileId, Span)> {
        self.settings.clone()
    }
}
