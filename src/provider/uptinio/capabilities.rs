//! What Uptinio's integrations API can hold of an alertform config: outbound targets only, named
//! by the service after their settings, with no update call (every change is a replace).

use crate::provider::capabilities::managed::outbound;
use crate::provider::capabilities::{Capabilities, UnsupportedField};

pub const CAPABILITIES: Capabilities = Capabilities {
    kinds: &[outbound("type and settings (Uptinio names an integration after them: the address, `ip (username)`, `SMS +number`, `Workspace #channel`, the webhook URL)").create_only(&[
            "type", "url", "address", "host", "port", "username", "password", "phone", "channel",
        ]).unsupported(&[UnsupportedField {
            field: "name",
            why: "Uptinio names an integration after its settings (its address, host, number or URL); its API takes no name",
            hint: "remove `name`: plans show Uptinio targets by their key and settings",
        }])],
    steps_page_groups: false,
    outbound_named_by_settings: true,
    ..Capabilities::DEFAULT
};
