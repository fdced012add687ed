//! What a live service can hold, declared once per provider (octoDNS's `SUPPORTS`, DNSControl's
//! capability table): which kinds it manages, which it only matches, which fields it cannot
//! express and what to do instead. `validate`, `plan` and `docs/providers/` read the same table.

use crate::model::OfKind;
use crate::model::{Address, Kind, Model};
use crate::plan::PlanOptions;

/// How a provider treats one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Created, changed and deleted through the API.
    Managed,
    /// Made elsewhere (the vendor's own product): declared objects are matched by identity and
    /// never written; a missing one is a plan error with `hint`.
    ReadOnly { hint: &'static str },
}

/// A config field a provider cannot express at all, with the nearest thing the vendor can do.
#[derive(Debug, Clone, Copy)]
pub struct UnsupportedField {
    /// A field path as written in config: `phone`, `templates.title`.
    pub field: &'static str,
    pub why: &'static str,
    pub hint: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct KindSupport {
    pub kind: Kind,
    pub access: Access,
    /// How live objects are identified, for the docs and messages.
    pub identity: &'static str,
    /// Fields that can only be set on create: changing one is a replace.
    pub create_only: &'static [&'static str],
    /// Fields that are an error whenever they are written.
    pub unsupported: &'static [UnsupportedField],
}

/// The kinds a vendor manages, by name, for its table: `users("email")` is
/// `users("email")`.
pub mod managed {
    use super::KindSupport;
    use crate::model::Kind;

    macro_rules! managed {
        ($($name:ident: $kind:ident),*) => {$(
            pub const fn $name(identity: &'static str) -> KindSupport {
                KindSupport::managed(Kind::$kind, identity)
            }
        )*};
    }

    managed!(users: User, groups: Group, schedules: Schedule, outbound: Outbound);
    managed!(escalation_policies: EscalationPolicy, integrations: Integration);
}

impl KindSupport {
    /// A kind created, changed and deleted through the API, every field writable.
    pub const fn managed(kind: Kind, identity: &'static str) -> KindSupport {
        KindSupport {
            kind,
            access: Access::Managed,
            identity,
            create_only: &[],
            unsupported: &[],
        }
    }

    /// A kind made in the vendor's own product, matched by identity (see [`Access::ReadOnly`]).
    pub const fn read_only(kind: Kind, identity: &'static str, hint: &'static str) -> KindSupport {
        KindSupport {
            access: Access::ReadOnly { hint },
            ..KindSupport::managed(kind, identity)
        }
    }

    /// With fields that only a create can set.
    #[must_use]
    pub const fn create_only(self, create_only: &'static [&'static str]) -> KindSupport {
        KindSupport {
            create_only,
            ..self
        }
    }

    /// With fields the vendor cannot hold.
    #[must_use]
    pub const fn unsupported(self, unsupported: &'static [UnsupportedField]) -> KindSupport {
        KindSupport {
            unsupported,
            ..self
        }
    }
}

/// Everything a provider declares about itself.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    pub kinds: &'static [KindSupport],
    /// Checks of values (not just presence) the vendor cannot express.
    pub check_values: fn(&Model, &mut Findings),
    /// Fields that, left out of a config, keep the service's value instead of clearing it.
    pub service_defaults: &'static [(Kind, &'static str)],
    /// Whether escalation steps can page a group; when not, `settings.expand_groups` pages its
    /// users instead.
    pub steps_page_groups: bool,
    /// Whether the service names outbound targets after their settings (Uptinio): they are
    /// matched by what they are, and a config cannot name them.
    pub outbound_named_by_settings: bool,
    /// Whether the service's objects reference each other by name (AlertOps), so a rename must
    /// rewrite its referrers in the same apply.
    pub references_by_name: bool,
    /// Who the vendor pages where layers overlap (`oncall --provider` shows it).
    pub overlap: crate::model::Overlap,
    /// Why the vendor cannot restrict a schedule layer to windows, and what to do instead;
    /// `None` when it can. A layer's `restrict` is then a located error.
    pub no_layer_windows: Option<(&'static str, &'static str)>,
    /// Why the vendor's teams cannot hold a group, and what to add to "list the users of the
    /// group instead"; `None` when groups nest. A group member of a group is then a located error.
    pub no_nested_groups: Option<(&'static str, &'static str)>,
    /// What a user's `name` must be when it is a login held elsewhere (OnCall's "Grafana
    /// login"), which `migrate` cannot know: it writes the email's local part and says so.
    pub user_name_is_login: Option<&'static str>,
}

impl Capabilities {
    /// What a vendor has unless it says otherwise: no kinds, no value checks, nothing left to
    /// the service, steps that page groups, targets named by config, references by id, the last
    /// layer with someone on call winning. A vendor writes `..Capabilities::DEFAULT` after what
    /// differs, so a new capability is one line in the vendors that have it.
    pub const DEFAULT: Capabilities = Capabilities {
        kinds: &[],
        check_values: |_, _| {},
        service_defaults: &[],
        steps_page_groups: true,
        outbound_named_by_settings: false,
        references_by_name: false,
        overlap: crate::model::Overlap::LastLayerWins,
        no_layer_windows: None,
        no_nested_groups: None,
        user_name_is_login: None,
    };

    /// The planner's options this provider's capabilities call for, limited to `targets`.
    pub fn plan_options(&self, targets: Vec<Address>) -> PlanOptions {
        PlanOptions {
            targets,
            read_only: self.read_only(),
            service_defaults: self.service_defaults.to_vec(),
            create_only: self
                .kinds
                .iter()
                .flat_map(|k| k.create_only.iter().map(|field| (k.kind, *field)))
                .collect(),
            outbound_named_by_settings: self.outbound_named_by_settings,
            references_by_name: self.references_by_name,
        }
    }

    pub fn kind(&self, kind: Kind) -> Option<&KindSupport> {
        self.kinds.iter().find(|k| k.kind == kind)
    }

    /// Kinds the provider only matches.
    pub fn read_only(&self) -> Vec<Kind> {
        self.kinds
            .iter()
            .filter(|k| matches!(k.access, Access::ReadOnly { .. }))
            .map(|k| k.kind)
            .collect()
    }

    /// The hint for a declared object of a read-only kind that is missing or differs.
    pub fn read_only_hint(&self, kind: Kind) -> Option<&'static str> {
        match self.kind(kind)?.access {
            Access::ReadOnly { hint } => Some(hint),
            Access::Managed => None,
        }
    }
}

/// One thing in a config that a provider cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub address: Address,
    /// Field path, as in [`UnsupportedField::field`]; `steps[1].notify` for a step's field.
    pub field: String,
    pub message: String,
    pub hint: String,
}

/// What a vendor's `check_values` finds, in the order it finds it.
pub struct Findings(Vec<Unsupported>);

impl Findings {
    /// `kind.key`'s `field` cannot be what it is in this vendor: why, and what to do instead.
    pub fn add(
        &mut self,
        kind: Kind,
        key: &str,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let unsupported = Unsupported::at(kind, key, field, message.into(), hint.into());
        self.0.push(unsupported);
    }
}

impl Unsupported {
    /// The message as a diagnostic says it, naming the field and the object first:
    /// "`phone` of `user.alice`: …".
    pub fn said(&self) -> String {
        if self.field.is_empty() {
            self.message.clone()
        } else {
            format!("`{}` of `{}`: {}", self.field, self.address, self.message)
        }
    }

    /// What `kind.key`'s `field` cannot be in this vendor, and what to do instead.
    pub fn at(
        kind: Kind,
        key: &str,
        field: impl Into<String>,
        message: String,
        hint: String,
    ) -> Unsupported {
        Unsupported {
            address: Address::new(kind, key),
            field: field.into(),
            message,
            hint,
        }
    }
}

/// Every part of `model` that `capabilities` cannot express. `written(address, field)` says
/// whether the config file sets a field (a default is not a choice the vendor must honour).
pub fn check(
    capabilities: &Capabilities,
    provider: &str,
    model: &Model,
    written: &dyn Fn(&Address, &str) -> bool,
) -> Vec<Unsupported> {
    let mut found = Vec::new();
    for address in model.addresses() {
        let Some(support) = capabilities.kind(address.kind) else {
            found.push(Unsupported {
                message: format!("{provider} has no {}", address.kind.plural()),
                field: String::new(),
                hint: format!(
                    "remove `{address}`, or plan it against a provider that has {}",
                    address.kind.plural()
                ),
                address,
            });
            continue;
        };
        for field in support.unsupported {
            if written(&address, field.field) {
                found.push(Unsupported {
                    address: address.clone(),
                    field: field.field.to_owned(),
                    message: field.why.to_owned(),
                    hint: field.hint.to_owned(),
                });
            }
        }
    }
    if let Some((why, hint)) = capabilities.no_layer_windows {
        for (key, schedule) in &model.schedules {
            for (index, layer) in schedule.layers.iter().enumerate() {
                if !layer.restrict.is_empty() {
                    found.push(Unsupported {
                        address: Address::new(Kind::Schedule, key),
                        field: format!("layer[{index}].restrict"),
                        message: why.to_owned(),
                        hint: hint.to_owned(),
                    });
                }
            }
        }
    }
    if let Some((why, hint)) = capabilities.no_nested_groups {
        for (key, group) in &model.groups {
            for member in group.members.iter().of_kind(Kind::Group) {
                found.push(Unsupported::at(
                    Kind::Group,
                    key,
                    "members",
                    format!(
                        "group `{key}` has group `{}` as a member, and {why}",
                        member.key
                    ),
                    format!("list the users of `{member}` in `group.{key}` instead{hint}"),
                ));
            }
        }
    }
    let mut values = Findings(Vec::new());
    (capabilities.check_values)(model, &mut values);
    found.extend(values.0);
    found
}

/// The alertform service holds everything alertform can declare.
pub const ALERTFORM: Capabilities = {
    use managed::{escalation_policies, groups, integrations, outbound, schedules, users};
    Capabilities {
        kinds: &[
            users("email, case-insensitively"),
            groups("name"),
            schedules("name"),
            escalation_policies("name"),
            integrations("name").create_only(&["channel", "template"]),
            outbound("name").create_only(&["type"]),
        ],
        ..Capabilities::DEFAULT
    }
};
