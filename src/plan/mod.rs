//! The pure planner: (desired model, observed state) → ordered changes. No I/O, so every planning
//! case is a fast unit or snapshot test.
//!
//! Live objects match config by name (users by email, case-insensitively), or by a
//! `renamed_from` name. Everything live that is not declared and not ignored is deleted. Changes
//! are ordered on a dependency graph so the service never has to refuse one.

mod attributes;
mod order;
#[cfg(test)]
mod proptests;
pub mod render;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{Address, Kind, Model, key_from_name as slug};
use crate::observed::Observed;

use attributes::{DeclaredResource, Live, Ref, Shape, live_objects};
pub use attributes::{SENSITIVE, SENSITIVE_CHANGED, SENSITIVE_UNKNOWN};

/// Whether an attribute value is a secret's stand-in (`(sensitive)`), not a value.
pub fn is_sensitive(text: &str) -> bool {
    [SENSITIVE, SENSITIVE_CHANGED, SENSITIVE_UNKNOWN].contains(&text)
}

/// A resource's attributes for display and diff: references are addresses, secrets absent.
pub type Attributes = BTreeMap<String, serde_json::Value>;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// Delete and create again: a create-only field changed.
    Replace,
    Delete,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }
}

/// One change to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// `KIND.KEY`; for a live object that is not declared, a key made from its name.
    pub address: String,
    pub action: Action,
    /// The live object's id (update, replace, delete).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The live object's version the plan was made from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Attributes now (null for a create).
    pub before: Option<Attributes>,
    /// Attributes after the change (null for a delete).
    pub after: Option<Attributes>,
    /// Attributes whose value changes (update, replace).
    pub changed_fields: Vec<String>,
    /// Why a replace or a rename happens.
    pub reasons: Vec<String>,
    /// What the change will break or cost, to show prominently.
    pub warnings: Vec<String>,
    /// The secret values the change writes: never shown, stored or compared (see
    /// [`ChangeSecrets`]).
    #[serde(skip)]
    #[schemars(skip)]
    pub secrets: ChangeSecrets,
    /// The declared resource the change writes, typed (see [`Desired`]).
    #[serde(skip)]
    #[schemars(skip)]
    pub desired: Desired,
}

/// The declared resource a create or update writes, as the planner checked it, with what the
/// service keeps filled in from the live object (fields left to the service, a generated
/// mailbox): what a provider writes, typed, rather than re-read from the display attributes. Not
/// stored: applying a saved plan plans again from the config. Not part of what makes two changes
/// the same (a saved change and its replan are equal).
#[derive(Debug, Clone, Default)]
pub struct Desired(pub Option<std::sync::Arc<crate::model::Resource>>);

impl PartialEq for Desired {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The secret values a change writes, by field, taken from the config when planning. A plan
/// file never holds them: applying a saved plan plans again from the config, which reads them
/// from the environment again. So they are not part of what makes two changes the same (a saved
/// change and its replan are equal), and `Debug` names the fields only.
#[derive(Clone, Default)]
pub struct ChangeSecrets(pub BTreeMap<String, crate::model::Secret>);

impl PartialEq for ChangeSecrets {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for ChangeSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Change {
    /// The declared resource this change writes; an error for a delete, which writes none.
    pub fn desired(&self) -> Result<&crate::model::Resource, String> {
        self.desired
            .0
            .as_deref()
            .ok_or_else(|| format!("`{}` has no declared resource to write", self.address))
    }

    pub fn kind(&self) -> Kind {
        self.address
            .split_once('.')
            .and_then(|(k, _)| Kind::parse(k))
            .unwrap_or(Kind::User)
    }
}

/// What plan found to do, in an order that is safe to apply.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// `(a, b)`: change `a` must finish before change `b` starts (indices into `changes`).
    pub dependencies: Vec<(usize, usize)>,
    /// Address → live id of every declared resource that exists, changed or not: what creates
    /// and updates reference.
    pub live_ids: BTreeMap<String, String>,
    /// What the plan should say beside its changes: what loading did to the config for the
    /// provider (steps whose groups `expand_groups` turned into users) and what the provider
    /// saw and leaves alone. Filled by the caller; shown in every rendering.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

#[derive(Debug, Default, Clone)]
pub struct PlanOptions {
    /// Limit the plan to these resources and what they depend on.
    pub targets: Vec<Address>,
    /// Kinds the live service keeps read-only (its provider's capabilities): declared objects
    /// are matched, never created or changed, and undeclared ones are left alone.
    pub read_only: Vec<Kind>,
    /// Fields a config may leave to the service (its provider's capabilities): left out, they
    /// take the live value, so they are no change.
    pub service_defaults: Vec<(Kind, &'static str)>,
    /// Fields the provider can set only on create, beyond those of the kind everywhere
    /// (Uptinio has no update call: every setting of an outbound target).
    pub create_only: Vec<(Kind, &'static str)>,
    /// The service names outbound targets after their settings (Uptinio): they are matched by
    /// [`crate::model::OutboundTarget::identity`], and that is their name.
    pub outbound_named_by_settings: bool,
    /// The service's objects reference each other by name (AlertOps): when one is renamed, every
    /// live object that names it is rewritten in the same apply, after the rename.
    pub references_by_name: bool,
}

/// Why there is no plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A live object that stays (it is ignored) still references one the plan deletes.
    ReferencedDelete { deleted: String, referrer: String },
    /// `prevent_destroy` is set on a resource the plan would delete or replace.
    PreventDestroy { address: String, action: Action },
    /// A target that names no declared resource.
    UnknownTarget { address: String },
    /// The changes depend on each other in a circle.
    Cycle { addresses: Vec<String> },
    /// A declared object of a read-only kind that the live service does not have.
    ReadOnlyMissing { address: Address },
    /// A declared object of a read-only kind that differs from the live one, as
    /// (field, live value, declared value).
    ReadOnlyDiffers {
        address: Address,
        fields: Vec<(String, serde_json::Value, serde_json::Value)>,
    },
    /// An undeclared live object the plan would delete, which the service will not delete.
    Undeletable { address: String, why: String },
    /// A live object the plan would change, which the service will not change.
    Uneditable { address: String, why: String },
    /// A live object the plan would replace (so delete), which the service will not delete.
    UndeletableReplace { address: String, why: String },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::ReferencedDelete { deleted, referrer } => write!(
                f,
                "cannot delete `{deleted}`: `{referrer}` still references it and is not managed by this config (settings.ignore); change `{referrer}` first, or declare `{deleted}`"
            ),
            PlanError::PreventDestroy { address, action } => write!(
                f,
                "`{address}` has prevent_destroy = true, but the plan would {} it",
                if *action == Action::Replace {
                    "replace"
                } else {
                    "delete"
                }
            ),
            PlanError::UnknownTarget { address } => {
                write!(f, "--target `{address}` is not a declared resource")
            }
            PlanError::Cycle { addresses } => write!(
                f,
                "the changes to {} depend on each other in a cycle",
                addresses.join(", ")
            ),
            PlanError::ReadOnlyMissing { address } => write!(
                f,
                "`{address}` does not exist in the live service, and it cannot create {}",
                address.kind.plural()
            ),
            PlanError::ReadOnlyDiffers { address, fields } => write!(
                f,
                "`{address}` differs from the live object ({}), and the live service cannot change {}",
                fields
                    .iter()
                    .map(|(field, live, declared)| format!(
                        "{field}: live {live}, declared {declared}"
                    ))
                    .collect::<Vec<_>>()
                    .join("; "),
                address.kind.plural()
            ),
            PlanError::Undeletable { address, why } => write!(
                f,
                "`{address}` is not in the config, so the plan would delete it, but {why}"
            ),
            PlanError::UndeletableReplace { address, why } => write!(
                f,
                "the plan would replace `{address}` (a field that can only be set on create changes), which deletes it, but {why}"
            ),
            PlanError::Uneditable { address, why } => write!(
                f,
                "the plan would change `{address}`, but {why}: delete it in the service and apply again to recreate it, or make the config match it"
            ),
        }
    }
}

/// Plans the changes that make `observed` match `desired`.
pub fn plan(
    desired: &Model,
    observed: &Observed,
    options: &PlanOptions,
) -> Result<Plan, Vec<PlanError>> {
    let mut errors = Vec::new();
    for target in &options.targets {
        if !declared(desired, target) {
            errors.push(PlanError::UnknownTarget {
                address: target.to_string(),
            });
        }
    }
    // A service that names outbound targets after their settings is matched by that name.
    let named_by_settings;
    let desired = if options.outbound_named_by_settings && !desired.outbound.is_empty() {
        named_by_settings = desired.with_outbound_named_by_settings();
        &named_by_settings
    } else {
        desired
    };
    let live = live_objects(observed);
    let matching = match_all(desired, &live);
    let refer = |id: &str| matching.reference(id);
    let address_of = |id: &str| matching.reference(id).to_string();

    let mut changes: Vec<Change> = Vec::new();
    for (resource, live_index) in &matching.declared {
        let after = Shape::desired(desired, resource.kind, resource.key);
        let read_only = options.read_only.contains(&resource.kind);
        match live_index {
            None if read_only => errors.push(PlanError::ReadOnlyMissing {
                address: resource.address(),
            }),
            None => changes.push(Change {
                address: resource.address().to_string(),
                action: Action::Create,
                id: None,
                version: None,
                before: None,
                after: Some(attributes::created(after.attributes())),
                changed_fields: Vec::new(),
                reasons: Vec::new(),
                warnings: Vec::new(),
                secrets: secrets_of(desired, resource.kind, resource.key),
                desired: desired_of(desired, resource.kind, resource.key, None, options),
            }),
            Some(index) => {
                let object = &live[*index];
                let before = object.shape(&refer);
                let after = after
                    .computed(&before)
                    .defaulted(&before, &options.service_defaults);
                let same = before == after;
                debug_assert_eq!(
                    same,
                    before.attributes() == after.attributes(),
                    "shapes and attribute maps disagree on {}",
                    resource.address()
                );
                let stale = observed.stale.get(object.id());
                if same && stale.is_none() {
                    continue;
                }
                let (before, after) = (before.attributes(), after.attributes());
                let address = resource.address();
                let changed_fields: Vec<String> = before
                    .keys()
                    .chain(after.keys())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .filter(|k| before.get(*k) != after.get(*k))
                    .cloned()
                    .collect();
                if changed_fields.is_empty() && stale.is_none() {
                    continue;
                }
                if read_only {
                    let value = |map: &Attributes, k: &str| {
                        map.get(k).cloned().unwrap_or(serde_json::Value::Null)
                    };
                    errors.push(PlanError::ReadOnlyDiffers {
                        address: resource.address(),
                        fields: changed_fields
                            .iter()
                            .map(|k| (k.clone(), value(&before, k), value(&after, k)))
                            .collect(),
                    });
                    continue;
                }
                let create_only: Vec<&String> = changed_fields
                    .iter()
                    .filter(|f| {
                        object.create_only_fields().contains(&f.as_str())
                            || options.create_only.contains(&(resource.kind, f.as_str()))
                    })
                    .collect();
                let mut reasons: Vec<String> = stale.into_iter().cloned().collect();
                let mut warnings = Vec::new();
                if before.get("name") != after.get("name")
                    && matching.renamed.contains(&(resource.kind, resource.key))
                {
                    reasons.push(format!(
                        "renamed from {} (renamed_from): the id{} stay{}",
                        before
                            .get("name")
                            .map_or_else(String::new, ToString::to_string),
                        if address.kind == Kind::Integration {
                            ", integration key and endpoint"
                        } else {
                            ""
                        },
                        if address.kind == Kind::Integration {
                            ""
                        } else {
                            "s"
                        },
                    ));
                }
                if let Some(why) = observed.uneditable.get(object.id()) {
                    errors.push(PlanError::Uneditable {
                        address: address.to_string(),
                        why: why.clone(),
                    });
                    continue;
                }
                let unfinished = observed.unfinished.get(object.id());
                if let (Some(what), false) = (unfinished, create_only.is_empty()) {
                    reasons.push(format!(
                        "{what} (an earlier apply stopped before it): it is made now; nothing is replaced"
                    ));
                }
                let action = if create_only.is_empty() || unfinished.is_some() {
                    Action::Update
                } else {
                    for field in &create_only {
                        let (old, new) = (
                            before.get(*field).unwrap_or(&serde_json::Value::Null),
                            after.get(*field).unwrap_or(&serde_json::Value::Null),
                        );
                        let what = if old.as_str().is_some_and(is_sensitive) {
                            format!("`{field}` (a secret) changes")
                        } else {
                            format!("`{field}` changes from {old} to {new}")
                        };
                        reasons.push(format!(
                            "{what}, and it can only be set when the {} is created",
                            resource.kind.noun()
                        ));
                    }
                    if resource.kind == Kind::Integration {
                        warnings.push(
                            "the integration key and endpoint URL will change: point the source system at the new ones after apply".to_owned(),
                        );
                    }
                    if resource.lifecycle.prevent_destroy {
                        errors.push(PlanError::PreventDestroy {
                            address: address.to_string(),
                            action: Action::Replace,
                        });
                    }
                    // A replace deletes the live object: one the service keeps cannot be.
                    if let Some(why) = observed.undeletable.get(object.id()) {
                        errors.push(PlanError::UndeletableReplace {
                            address: address.to_string(),
                            why: why.clone(),
                        });
                    }
                    Action::Replace
                };
                changes.push(Change {
                    address: address.to_string(),
                    action,
                    id: Some(object.id().to_owned()),
                    version: Some(object.version()),
                    before: Some(before),
                    after: Some(after),
                    changed_fields,
                    reasons,
                    warnings,
                    secrets: secrets_of(desired, resource.kind, resource.key),
                    desired: desired_of(
                        desired,
                        resource.kind,
                        resource.key,
                        Some(object),
                        options,
                    ),
                });
            }
        }
    }
    let stale_names = if options.references_by_name {
        rewrite_name_referrers(desired, &matching, &live, &mut changes, options)
    } else {
        Vec::new()
    };
    for &index in &matching.deleted {
        let object = &live[index];
        if options.read_only.contains(&object.kind()) {
            continue;
        }
        if let Some(why) = observed.undeletable.get(object.id()) {
            errors.push(PlanError::Undeletable {
                address: address_of(object.id()),
                why: why.clone(),
            });
            continue;
        }
        changes.push(Change {
            address: address_of(object.id()),
            action: Action::Delete,
            id: Some(object.id().to_owned()),
            version: Some(object.version()),
            before: Some(object.shape(&refer).attributes()),
            after: None,
            changed_fields: Vec::new(),
            reasons: Vec::new(),
            warnings: Vec::new(),
            secrets: ChangeSecrets::default(),
            desired: Desired::default(),
        });
    }
    // An ignored object stays as it is, so what it references must stay too.
    let deleted: HashSet<&str> = matching
        .deleted
        .iter()
        .filter(|&&i| !options.read_only.contains(&live[i].kind()))
        .map(|&i| live[i].id())
        .collect();
    for &index in &matching.ignored {
        for reference in live[index].references() {
            if deleted.contains(reference.as_str()) {
                errors.push(PlanError::ReferencedDelete {
                    deleted: address_of(&reference),
                    referrer: address_of(live[index].id()),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut ordered = order::order(changes, options)?;
    ordered.notes = incomparable_secrets(&matching, &live);
    ordered.notes.extend(stale_names);
    ordered.live_ids = matching
        .declared
        .iter()
        .filter_map(|(resource, index)| {
            Some((
                resource.address().to_string(),
                live[(*index)?].id().to_owned(),
            ))
        })
        .collect();
    Ok(ordered)
}

/// Where references are names, a renamed object's live referrers must be written again with the
/// new name: each declared one with no change of its own gets an update (its attributes do not
/// change: what it references is the same resource, now called otherwise). `order` runs it
/// after the rename. A referrer `settings.ignore` leaves alone keeps the old name: said in the
/// returned notes.
fn rewrite_name_referrers(
    desired: &Model,
    matching: &Matching<'_>,
    live: &[Live<'_>],
    changes: &mut Vec<Change>,
    options: &PlanOptions,
) -> Vec<String> {
    let renamed: HashMap<String, String> = changes
        .iter()
        .filter(|c| c.action == Action::Update)
        .filter(|c| c.changed_fields.iter().any(|f| f == "name" || f == "email"))
        .filter_map(|c| Some((c.id.clone()?, c.address.clone())))
        .collect();
    if renamed.is_empty() {
        return Vec::new();
    }
    let changing: HashSet<String> = changes.iter().map(|c| c.address.clone()).collect();
    let refer = |id: &str| matching.reference(id);
    for (resource, index) in &matching.declared {
        let Some(index) = index else { continue };
        let object = &live[*index];
        let address = resource.address().to_string();
        if changing.contains(&address) {
            continue;
        }
        let names: Vec<&String> = object
            .references()
            .iter()
            .filter_map(|id| renamed.get(id.as_str()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if names.is_empty() {
            continue;
        }
        let attributes = object.shape(&refer).attributes();
        changes.push(Change {
            address,
            action: Action::Update,
            id: Some(object.id().to_owned()),
            version: Some(object.version()),
            before: Some(attributes.clone()),
            after: Some(attributes),
            changed_fields: Vec::new(),
            reasons: vec![format!(
                "names {} by name, renamed in this apply: written again with the new name",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
            warnings: Vec::new(),
            secrets: secrets_of(desired, resource.kind, resource.key),
            desired: desired_of(desired, resource.kind, resource.key, Some(object), options),
        });
    }
    let mut notes = Vec::new();
    for &index in &matching.ignored {
        let object = &live[index];
        for id in object.references() {
            if let Some(address) = renamed.get(&id) {
                notes.push(format!(
                    "`{}` is left alone (settings.ignore) and names `{address}` by its old name: after this apply it names nothing until it is changed in the service",
                    matching.reference(object.id())
                ));
            }
        }
    }
    notes
}

/// A note per declared secret whose live object shows nothing of it: the plan cannot tell
/// whether it changed, and says so rather than claiming it did not.
fn incomparable_secrets(matching: &Matching<'_>, live: &[Live<'_>]) -> Vec<String> {
    let mut notes = Vec::new();
    for (resource, index) in &matching.declared {
        let Some(Live::Outbound(object)) = index.map(|i| live[i]) else {
            continue;
        };
        for (field, secret) in object.target.secrets() {
            if *secret == crate::model::LiveSecret::Unknown {
                notes.push(format!(
                    "`{field}` of `{}` is a secret the service does not show, not even as a digest: the plan cannot tell whether it changed",
                    resource.address()
                ));
            }
        }
    }
    notes
}

/// The declared resource `kind.key` as a change writes it: with the fields the config leaves to
/// the service taken from `live` (as [`Shape::defaulted`] does for the display), and an email
/// integration's generated mailbox kept (as [`Shape::computed`] does).
fn desired_of(
    model: &Model,
    kind: Kind,
    key: &str,
    live: Option<&Live<'_>>,
    options: &PlanOptions,
) -> Desired {
    use crate::model::{ChannelSettings, Resource};
    let Some(mut resource) = model.resource(kind, key) else {
        return Desired::default();
    };
    match (&mut resource, live) {
        (Resource::User(user), Some(Live::User(live))) => {
            let left = |field: &str| options.service_defaults.contains(&(Kind::User, field));
            if user.phone.is_none() && left("phone") {
                user.phone.clone_from(&live.phone);
            }
            if user.time_zone.is_none() && left("time_zone") {
                user.time_zone.clone_from(&live.time_zone);
            }
        }
        (Resource::Integration(integration), Some(Live::Integration(live)))
            if matches!(
                integration.channel,
                ChannelSettings::Email { mailbox: None }
            ) && matches!(live.channel, ChannelSettings::Email { .. }) =>
        {
            integration.channel = live.channel.clone();
        }
        _ => {}
    }
    Desired(Some(std::sync::Arc::new(resource)))
}

/// The secrets of the declared resource `kind.key`, for the change that writes it.
fn secrets_of(model: &Model, kind: Kind, key: &str) -> ChangeSecrets {
    let secrets = match (kind, model.outbound.get(key)) {
        (Kind::Outbound, Some(outbound)) => outbound
            .target
            .secrets()
            .into_iter()
            .map(|(field, secret)| (field.to_owned(), secret.clone()))
            .collect(),
        _ => BTreeMap::new(),
    };
    ChangeSecrets(secrets)
}

fn declared(model: &Model, address: &Address) -> bool {
    match address.kind {
        Kind::User => model.users.contains_key(&address.key),
        Kind::Group => model.groups.contains_key(&address.key),
        Kind::Schedule => model.schedules.contains_key(&address.key),
        Kind::EscalationPolicy => model.escalation_policies.contains_key(&address.key),
        Kind::Integration => model.integrations.contains_key(&address.key),
        Kind::Outbound => model.outbound.contains_key(&address.key),
    }
}

/// How declared resources and live objects pair up.
struct Matching<'a> {
    /// Every declared resource, with its live object (index into `live`), if any.
    declared: Vec<(DeclaredResource<'a>, Option<usize>)>,
    /// Declared resources matched through `renamed_from`, as (kind, key).
    renamed: HashSet<(Kind, &'a str)>,
    /// Live objects to delete.
    deleted: Vec<usize>,
    /// Live objects `settings.ignore` leaves alone.
    ignored: Vec<usize>,
    /// Live id → the reference shown for it.
    references: HashMap<&'a str, Ref<'a>>,
}

impl Matching<'_> {
    /// What the live id `id` is shown as: its declared address, the address made for an
    /// undeclared object, or `(unknown ID)`.
    fn reference(&self, id: &str) -> Ref<'_> {
        match self.references.get(id) {
            Some(reference) => reference.borrowed(),
            None => Ref::Other(format!("(unknown {id})").into()),
        }
    }
}

/// The name or email a live object is matched by, normalised: users by email, case-insensitively;
/// everything else by name.
fn identity(kind: Kind, text: &str) -> Cow<'_, str> {
    if kind == Kind::User
        && !text
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

fn match_all<'a>(desired: &'a Model, live: &[Live<'a>]) -> Matching<'a> {
    let mut by_identity: HashMap<(Kind, Cow<'a, str>), usize> = HashMap::with_capacity(live.len());
    for (index, object) in live.iter().enumerate() {
        by_identity
            .entry((object.kind(), identity(object.kind(), object.identity())))
            .or_insert(index);
    }
    let lookup = |kind: Kind, text: &str| by_identity.get(&(kind, identity(kind, text))).copied();
    let mut taken = vec![false; live.len()];
    let mut renamed = HashSet::new();
    let resources = attributes::declared_resources(desired);
    // Exact matches first, so a rename never steals an object another resource matches by name.
    let mut found: Vec<Option<usize>> = resources
        .iter()
        .map(|resource| {
            let found = lookup(resource.kind, resource.identity);
            if let Some(i) = found {
                taken[i] = true;
            }
            found
        })
        .collect();
    for (resource, found) in resources.iter().zip(&mut found) {
        if found.is_none() {
            let old = resource
                .lifecycle
                .renamed_from
                .iter()
                .find_map(|old| lookup(resource.kind, old).filter(|&index| !taken[index]));
            if let Some(index) = old {
                taken[index] = true;
                renamed.insert((resource.kind, resource.key));
                *found = Some(index);
            }
        }
    }
    let mut references = HashMap::with_capacity(live.len());
    for (resource, found) in resources.iter().zip(&found) {
        if let Some(index) = found {
            references.insert(
                live[*index].id(),
                Ref::Declared(resource.kind, resource.key),
            );
        }
    }
    let mut deleted = Vec::new();
    let mut ignored = Vec::new();
    // Undeclared objects get a readable address from their name, unique among all addresses.
    let mut used: Option<HashSet<String>> = None;
    for (index, object) in live.iter().enumerate() {
        if taken[index] {
            continue;
        }
        let used =
            used.get_or_insert_with(|| resources.iter().map(|r| r.address().to_string()).collect());
        let kind = object.kind();
        let is_ignored = desired
            .settings
            .ignore
            .iter()
            .any(|rule| object.names().iter().any(|name| rule.matches(kind, name)));
        let base = format!("{kind}.{}", slug(object.display_name()));
        let mut address = base.clone();
        if used.contains(&address) {
            let id = object.id();
            address = format!("{base}_{}", &id[id.len().saturating_sub(6)..]);
        }
        used.insert(address.clone());
        references.insert(object.id(), Ref::Other(address.into()));
        if is_ignored {
            ignored.push(index);
        } else {
            deleted.push(index);
        }
    }
    Matching {
        declared: resources.into_iter().zip(found).collect(),
        renamed,
        deleted,
        ignored,
        references,
    }
}
