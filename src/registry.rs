//! The one list of vendors. A vendor is its client folder (`provider/<vendor>/`, whose
//! [`Descriptor`] says everything shared code may ask of it), its emulation's dialect
//! (`server/<vendor>…`), a spelling in [`ProviderName`], and one line here; nothing else in
//! shared code names it.

use crate::model::ProviderName;
use crate::provider::{self, Descriptor};
use crate::server::{self, Dialect};

/// A vendor: the client that plans and applies against its API, and the emulation that
/// speaks it (`serve --api`).
#[derive(Debug)]
pub struct Vendor {
    pub client: &'static Descriptor,
    pub emulation: &'static Dialect,
}

/// Every vendor, one line each, in [`ProviderName::ALL`]'s order.
#[rustfmt::skip]
pub static VENDORS: &[Vendor] = &[
    Vendor { client: &provider::native::VENDOR, emulation: &server::native::DIALECT },
    Vendor { client: &provider::grafana_oncall::VENDOR, emulation: &server::oncall::DIALECT },
    Vendor { client: &provider::pagerduty::VENDOR, emulation: &server::pagerduty::DIALECT },
    Vendor { client: &provider::uptinio::VENDOR, emulation: &server::uptinio::DIALECT },
    Vendor { client: &provider::alertops::VENDOR, emulation: &server::alertops::DIALECT },
    Vendor { client: &provider::opsgenie::VENDOR, emulation: &server::opsgenie::DIALECT },
];

fn entry(name: ProviderName) -> &'static Vendor {
    VENDORS
        .iter()
        .find(|v| v.client.name == name)
        .expect("every ProviderName is registered (tested)")
}

/// The client descriptor of the vendor `name` names.
pub fn vendor(name: ProviderName) -> &'static Descriptor {
    entry(name).client
}

/// The dialect of the emulation of the vendor `name` names.
pub fn emulation(name: ProviderName) -> &'static Dialect {
    entry(name).emulation
}

/// Who `vendor` pages for `schedule` over `[from, to)`: its engine's timeline where it has one,
/// else alertform's timeline under its overlap rule; `None` when the schedule has an unknown
/// zone. The one answer `oncall --provider`, `lint --provider` and `verify` share.
pub fn paged(
    vendor: &Descriptor,
    schedule: &crate::model::Schedule,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> Option<Vec<crate::schedule::Shift>> {
    match vendor.pages {
        Some(pages) => pages(schedule, from, to),
        None => {
            Some(crate::schedule::Rota::new(schedule)?.paged(from, to, vendor.capabilities.overlap))
        }
    }
}

/// The provider feature matrix, generated from what each vendor declares, so the README and
/// `docs/providers/README.md` cannot drift from the code (`alertform dev feature-matrix` prints
/// it; a test checks both copies are fresh).
pub fn feature_matrix() -> String {
    use crate::model::Kind;
    use crate::provider::capabilities::Access;
    use std::fmt::Write as _;
    let mut out = String::from("| | ");
    let names: Vec<String> = VENDORS
        .iter()
        .map(|v| format!("`{}`", v.client.name.as_str()))
        .collect();
    out.push_str(&names.join(" | "));
    out.push_str(" |\n| --- |");
    out.push_str(&" --- |".repeat(VENDORS.len()));
    out.push('\n');
    for kind in Kind::ALL {
        let cells: Vec<String> = VENDORS
            .iter()
            .map(|v| match v.client.capabilities.kind(*kind) {
                None => "—".to_owned(),
                Some(support) => {
                    let mut cell = match support.access {
                        Access::Managed => "managed".to_owned(),
                        Access::ReadOnly { .. } => "matched, read-only".to_owned(),
                    };
                    if !support.unsupported.is_empty() {
                        // `templates.title`, `templates.message` → `templates.{title, message}`.
                        let mut fields: Vec<(String, Vec<&str>)> = Vec::new();
                        for field in support.unsupported {
                            let (parent, leaf) =
                                field.field.split_once('.').unwrap_or((field.field, ""));
                            match fields.iter_mut().find(|(p, _)| p == parent) {
                                Some((_, leaves)) => leaves.push(leaf),
                                None => fields.push((parent.to_owned(), vec![leaf])),
                            }
                        }
                        let fields: Vec<String> = fields
                            .into_iter()
                            .map(|(parent, leaves)| match leaves.as_slice() {
                                [""] => format!("`{parent}`"),
                                [leaf] => format!("`{parent}.{leaf}`"),
                                _ => format!("`{parent}.{{{}}}`", leaves.join(", ")),
                            })
                            .collect();
                        let _ = write!(cell, "; not {}", fields.join(", "));
                    }
                    cell
                }
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", kind.plural(), cells.join(" | "));
    }
    // A row about `kind`: "—" for a vendor that does not hold it.
    let row = |label: &str, kind: Kind, cell: &dyn Fn(&Descriptor) -> String| {
        let cells: Vec<String> = VENDORS
            .iter()
            .map(|v| {
                if v.client.capabilities.kind(kind).is_some() {
                    cell(v.client)
                } else {
                    "—".to_owned()
                }
            })
            .collect();
        format!("| {label} | {} |\n", cells.join(" | "))
    };
    out.push_str(&row("layers restricted to windows", Kind::Schedule, &|d| {
        if d.capabilities.no_layer_windows.is_some() {
            "no (a located error)".to_owned()
        } else {
            "yes".to_owned()
        }
    }));
    out.push_str(&row(
        "where layers overlap",
        Kind::Schedule,
        &|d| match d.capabilities.overlap {
            crate::model::Overlap::LastLayerWins => "the last layer pages".to_owned(),
            crate::model::Overlap::EveryLayerPages => "every layer pages".to_owned(),
        },
    ));
    out.push_str(&row("who is paged", Kind::Schedule, &|d| {
        if d.pages.is_some() {
            "its engine's timeline, which differs in places (`oncall --provider`)".to_owned()
        } else {
            "alertform's timeline".to_owned()
        }
    }));
    out.push_str(&row("steps page a group", Kind::EscalationPolicy, &|d| {
        if d.capabilities.steps_page_groups {
            "yes".to_owned()
        } else {
            "its users (`expand_groups`)".to_owned()
        }
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_name_is_registered_once_in_order() {
        let names: Vec<ProviderName> = VENDORS.iter().map(|v| v.client.name).collect();
        assert_eq!(names, ProviderName::ALL.to_vec());
        let bundled: Vec<ProviderName> = VENDORS
            .iter()
            .filter(|v| v.client.bundled)
            .map(|v| v.client.name)
            .collect();
        assert_eq!(
            bundled,
            vec![ProviderName::default()],
            "one bundled service, the default"
        );
    }
}
