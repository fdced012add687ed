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
