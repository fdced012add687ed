//! `alertform migrate`: a config for one vendor rewritten for another, and the account of what
//! that did to every object. Pure: a model, the two vendors' descriptors and where each object
//! was written go in; the target's model and the report come out.
//!
//! The target's own capability check drives the rewrite: while it finds something the target
//! cannot hold, the nearest form that keeps who is paged is written (a group step as the
//! group's users, a zero-wait step merged into the one before, an earlier layer limited to the
//! hours a later one leaves it), else the nearest form that does not (and that is "changed"),
//! else the object is left out (and that is "not carried", with what a person must do). Then
//! [`crate::verify`] compares who each side's vendor pages, and every difference it finds is
//! reported on the object it is in: no change of who is paged goes unsaid.

use crate::model::OfKind;
use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{Address, Kind, Model, Role};
use crate::provider::Descriptor;
use crate::provider::capabilities::{Access, Unsupported, check};

/// What became of an object, worst last: an object whose paging changed is listed as changed
/// even when a part of it (a description) is also not carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// In the target as it was.
    Carried,
    /// Written differently, paging the same people at the same times.
    Rewritten,
    /// Not in the target, or a part of it is not: why, and what a person must do.
    NotCarried,
    /// The nearest form the target holds, which pages differently (the effect is said).
    Changed,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Carried => "carried exactly",
            Outcome::Rewritten => "rewritten to keep behaviour",
            Outcome::Changed => "changed",
            Outcome::NotCarried => "not carried",
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Finding {
    pub outcome: Outcome,
    pub text: String,
}

/// One object of the source and what became of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Entry {
    /// Its address in the source (`schedule.night`).
    pub address: String,
    pub name: String,
    /// Where the source declares it (`schedules.toml:12`).
    pub source: Option<String>,
    /// Its address in the target, when it is there (the key is kept).
    pub target: Option<String>,
    /// The worst of its findings, or carried.
    pub outcome: Outcome,
    pub findings: Vec<Finding>,
}

/// An object the target's API cannot create: it must exist in the target before apply.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MustExist {
    pub address: String,
    pub name: String,
    /// A user's email.
    pub email: Option<String>,
    pub how: String,
}

/// An integration whose inbound endpoint or key changes: its senders must be pointed at the new
/// one.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Reconnect {
    pub address: String,
    pub name: String,
    pub channel: String,
    /// Where the new endpoint is shown after apply (never the secret itself).
    pub new_endpoint: String,
    /// Who sends to it, when the source says.
    pub senders: String,
}

/// What `verify` compared to find every change of who is paged.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Compared {
    /// The windows, UTC.
    pub windows: Vec<(String, String)>,
    pub schedules: usize,
    pub escalation_policies: usize,
    pub schedule_hours_different: f64,
    pub arrivals_different: usize,
}

/// The target config and everything said about it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Migration {
    pub from: &'static str,
    pub to: &'static str,
    pub from_provider: &'static str,
    pub to_provider: &'static str,
    pub objects: Vec<Entry>,
    pub must_exist: Vec<MustExist>,
    pub reconnect: Vec<Reconnect>,
    pub compared: Compared,
    /// The target's config, to write.
    #[serde(skip)]
    #[schemars(skip)]
    pub model: Model,
}

impl Migration {
    /// Whether anything is changed, not carried, or must be reconnected (exit 2).
    pub fn attention(&self) -> bool {
        !self.reconnect.is_empty()
            || self
                .objects
                .iter()
                .any(|e| e.outcome >= Outcome::NotCarried)
    }

    /// How many objects ended in `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.objects.iter().filter(|e| e.outcome == outcome).count()
    }
}

/// The JSON Schema (draft-07) of `migration.json`, committed as `schema/migration.schema.json`.
pub fn schema() -> String {
    crate::json::schema_of::<Migration>()
}

/// What `migrate` needs besides the model.
pub struct Input<'a> {
    pub source: &'a Model,
    pub from: &'static Descriptor,
    pub to: &'static Descriptor,
    /// Where the source declares an object (`file:line`).
    pub locate: &'a dyn Fn(&Address) -> Option<String>,
    /// Where `verify` starts comparing.
    pub now: Timestamp,
}

/// At most this many rounds of rewriting; what the target still refuses after them is left out.
const ROUNDS: usize = 64;

/// Rewrites `input.source` for `input.to`, and says what became of every object.
pub fn migrate(input: &Input<'_>) -> Migration {
    let mut work = Work {
        model: input.source.clone(),
        findings: BTreeMap::new(),
        tried: BTreeSet::new(),
        touched: BTreeSet::new(),
        source_schedules: input.source.schedules.clone(),
        vendors: (input.from, input.to),
        windows: crate::verify::default_windows(
            input.now,
            90,
            &input
                .source
                .schedules
                .values()
                .map(|s| s.time_zone.as_str())
                .collect::<Vec<_>>(),
        ),
    };
    let (from, to) = (input.from, input.to);
    work.model.settings.provider = Some(to.name);
    work.model.settings.expand_groups = false;
    if !input.source.settings.ignore.is_empty() {
        work.settings_note(format!(
            "`settings.ignore` is not carried: its patterns name objects of the {} account",
            from.display_name
        ));
    }
    if !to.capabilities.steps_page_groups || input.source.settings.expand_groups {
        work.expand_group_steps(to);
    }
    roles_unknown(&mut work, from, to);
    if to.capabilities.outbound_named_by_settings {
        // The target names a target after its settings, and takes no name from a config.
        let renamed: Vec<(String, String, String)> = (work.model.outbound.iter_mut())
            .filter_map(|(key, outbound)| {
                let named = outbound.target.identity();
                let old = std::mem::replace(&mut outbound.name, named.clone());
                (old != named).then(|| (key.clone(), old, named))
            })
            .collect();
        let why = |key: &str| {
            let vendor = to.display_name;
            format!("{vendor} names a target after its settings (the key `{key}` stays)")
        };
        for (key, old, named) in renamed {
            let address = Address::new(Kind::Outbound, &key);
            work.rewritten(&address, &format!("named `{named}`"), &old, &why(&key));
        }
    }
    if let Some(login) = to.capabilities.user_name_is_login
        && from.capabilities.user_name_is_login.is_none()
    {
        let mut renamed = Vec::new();
        for (key, user) in &mut work.model.users {
            let local = user.email.split('@').next().unwrap_or_default().to_owned();
            if local != user.name {
                renamed.push((
                    key.clone(),
                    std::mem::replace(&mut user.name, local.clone()),
                    local,
                ));
            }
        }
        let why = format!(
            "{} names a user by {login}, which the source does not say; if it differs, `plan` names this user, and you write it",
            to.display_name
        );
        for (key, old, local) in renamed {
            let written = format!("`name` is written as `{local}` (the email's local part)");
            work.rewritten(&Address::new(Kind::User, &key), &written, &old, &why);
        }
    }
    for round in 0..=ROUNDS {
        let found = check(
            to.capabilities,
            to.display_name,
            &work.model,
            &|address, field| written(&work.model, address, field),
        );
        if found.is_empty() {
            break;
        }
        // One change per object per round: a fix may renumber its steps or layers, and what a
        // removal cascades into was checked before it.
        work.touched.clear();
        for unsupported in found {
            if !work.touched.insert(unsupported.address.clone()) {
                continue;
            }
            if round == ROUNDS {
                let why = format!("{}; {}", unsupported.said(), unsupported.hint);
                work.remove(&unsupported.address, why);
            } else {
                work.fix(&unsupported, to, from);
            }
        }
    }
    let compared = work.compare(input);
    let must_exist = must_exist(&work.model, to);
    let reconnect = if from.name == to.name {
        Vec::new()
    } else {
        work.model
            .integrations
            .iter()
            .map(|(key, i)| Reconnect {
                address: Address::new(Kind::Integration, key).to_string(),
                name: i.name.clone(),
                channel: i.channel.channel().as_str().to_owned(),
                new_endpoint: format!(
                    "after apply: `alertform show integration.{key} --reveal` against {}",
                    to.display_name
                ),
                senders: "the source config does not say; every sender of its old endpoint"
                    .to_owned(),
            })
            .collect()
    };
    let settings: Vec<Address> = work
        .findings
        .keys()
        .filter(|a| a.key.is_empty())
        .cloned()
        .collect();
    let objects = input
        .source
        .addresses()
        .into_iter()
        .chain(settings)
        .map(|address| {
            let findings = work.findings.remove(&address).unwrap_or_default();
            let outcome = findings
                .iter()
                .map(|f| f.outcome)
                .max()
                .unwrap_or(Outcome::Carried);
            let present = exists(&work.model, &address);
            Entry {
                name: name_of(input.source, &address),
                source: (input.locate)(&address),
                target: present.then(|| address.to_string()),
                address: if address.key.is_empty() {
                    "settings".to_owned()
                } else {
                    address.to_string()
                },
                outcome,
                findings,
            }
        })
        .collect();
    Migration {
        from: from.display_name,
        to: to.display_name,
        from_provider: from.name.as_str(),
        to_provider: to.name.as_str(),
        objects,
        must_exist,
        reconnect,
        compared,
        model: work.model,
    }
}

struct Work {
    model: Model,
    findings: BTreeMap<Address, Vec<Finding>>,
    /// Fixes tried, by object and field: a field refused again after its fix is not fixed twice.
    tried: BTreeSet<(Address, String)>,
    /// Objects changed in this round of fixes.
    touched: BTreeSet<Address>,
    /// The source's schedules, both vendors and the windows compared: what a candidate form
    /// is measured against.
    source_schedules: BTreeMap<String, crate::model::Schedule>,
    vendors: (&'static Descriptor, &'static Descriptor),
    windows: Vec<(Timestamp, Timestamp)>,
}

impl Work {
    /// Says that `address` is `written` a new way instead of `old`, and why.
    fn rewritten(&mut self, address: &Address, written: &str, old: &str, why: &str) {
        let text = format!("{written} instead of `{old}`: {why}");
        self.say(address, Outcome::Rewritten, text);
    }

    fn say(&mut self, address: &Address, outcome: Outcome, text: impl Into<String>) {
        self.touched.insert(address.clone());
        self.findings
            .entry(address.clone())
            .or_default()
            .push(Finding {
                outcome,
                text: text.into(),
            });
    }

    fn settings_note(&mut self, text: String) {
        self.say(&Address::new(Kind::User, ""), Outcome::NotCarried, text);
    }

    /// Steps that page a group page its users instead, by name ([`Model::expand_group_steps`]).
    fn expand_group_steps(&mut self, to: &Descriptor) {
        for step in self.model.expand_group_steps() {
            let address = Address::new(Kind::EscalationPolicy, &step.policy);
            for (group, users) in &step.groups {
                self.say(
                    &address,
                    Outcome::Rewritten,
                    format!(
                        "step {} pages the users of `{group}` by name ({}): {} steps cannot page a group; a later change of the group's members does not reach this step",
                        step.index + 1,
                        list(users.iter()),
                        to.display_name
                    ),
                );
            }
        }
    }

    /// The nearest form of what `unsupported` names that the target holds.
    #[allow(clippy::too_many_lines)]
    fn fix(&mut self, unsupported: &Unsupported, to: &Descriptor, from: &Descriptor) {
        let address = unsupported.address.clone();
        let field = unsupported.field.as_str();
        let why = short(unsupported);
        let indexed = field.contains('[');
        if !indexed && !self.tried.insert((address.clone(), field.to_owned())) {
            self.remove(&address, why);
            return;
        }
        let key = address.key.clone();
        match (address.kind, field) {
            (_, "") => self.remove(&address, why),
            (Kind::User, "phone" | "time_zone" | "role") => {
                if let Some(user) = self.model.users.get_mut(&key) {
                    match field {
                        "phone" => user.phone = None,
                        "time_zone" => user.time_zone = None,
                        _ => user.role = Role::Responder,
                    }
                }
                self.say(&address, Outcome::NotCarried, why);
            }
            (Kind::Group, "description") => {
                if let Some(g) = self.model.groups.get_mut(&key) {
                    g.description = None;
                }
                self.say(&address, Outcome::NotCarried, why);
            }
            (Kind::EscalationPolicy, "description") => {
                if let Some(p) = self.model.escalation_policies.get_mut(&key) {
                    p.description = None;
                }
                self.say(&address, Outcome::NotCarried, why);
            }
            (Kind::Group, "members") => {
                let users = self.model.group_users(&key);
                if let Some(group) = self.model.groups.get_mut(&key) {
                    let nested: Vec<String> = group.members.iter().named(Kind::Group);
                    group.members = users;
                    self.say(
                        &address,
                        Outcome::Rewritten,
                        format!(
                            "the users of {} are members by name ({} groups do not nest); a later change of those groups does not reach this one",
                            nested.join(", "),
                            to.display_name
                        ),
                    );
                }
            }
            (Kind::Integration, "mailbox" | "recipients") => {
                if let Some(i) = self.model.integrations.get_mut(&key) {
                    if field == "mailbox" {
                        if let crate::model::ChannelSettings::Email { mailbox } = &mut i.channel {
                            *mailbox = None;
                        }
                    } else {
                        i.recipients.clear();
                    }
                }
                let outcome = if field == "mailbox" {
                    Outcome::NotCarried
                } else {
                    Outcome::Changed
                };
                self.say(&address, outcome, why);
            }
            (Kind::Integration, "template") => {
                let old = self
                    .model
                    .integrations
                    .get(&key)
                    .map(|i| i.template.clone())
                    .unwrap_or_default();
                if let Some(i) = self.model.integrations.get_mut(&key) {
                    "custom".clone_into(&mut i.template);
                }
                self.say(
                    &address,
                    Outcome::Changed,
                    format!(
                        "template `{old}` → `custom`: {} (alerts are read as its generic form; check their fields after the cut-over)",
                        unsupported.message
                    ),
                );
            }
            (Kind::Integration, f) if f.starts_with("templates.") => {
                let leaf = &f["templates.".len()..];
                if let Some(i) = self.model.integrations.get_mut(&key) {
                    let t = &mut i.templates;
                    for (name, slot) in [
                        ("grouping_key", &mut t.grouping_key),
                        ("resolve_signal", &mut t.resolve_signal),
                        ("acknowledge_signal", &mut t.acknowledge_signal),
                        ("source_link", &mut t.source_link),
                        ("title", &mut t.title),
                        ("message", &mut t.message),
                    ] {
                        if name == leaf {
                            *slot = None;
                        }
                    }
                }
                self.say(&address, Outcome::NotCarried, why);
            }
            (Kind::EscalationPolicy, "repeat") => {
                let Some(old) = self.model.escalation_policies.get(&key).map(|p| p.repeat) else {
                    return;
                };
                // The nearest repeat the target holds, more rather than fewer: a page too many
                // is safer than one missed.
                let mut candidates: Vec<u8> = (old..=old.saturating_add(10)).collect();
                candidates.extend((0..old).rev());
                // Checked on the policy alone: the check of `repeat` reads nothing else.
                let Some(mut alone) = self.model.escalation_policies.get(&key).cloned() else {
                    return;
                };
                let mut chosen = 0;
                for r in candidates {
                    alone.repeat = r;
                    let single = Model {
                        escalation_policies: std::iter::once((key.clone(), alone.clone()))
                            .collect(),
                        ..Model::default()
                    };
                    let still = check(to.capabilities, to.display_name, &single, &|a, f| {
                        written(&single, a, f)
                    })
                    .into_iter()
                    .any(|u| u.field == "repeat");
                    if !still {
                        chosen = r;
                        break;
                    }
                }
                if let Some(p) = self.model.escalation_policies.get_mut(&key) {
                    p.repeat = chosen;
                }
                self.say(
                    &address,
                    Outcome::Changed,
                    format!(
                        "repeats {chosen} time{} instead of {old}: {}",
                        if chosen == 1 { "" } else { "s" },
                        unsupported.message
                    ),
                );
            }
            (Kind::EscalationPolicy, "steps") => {
                let popped = self.model.escalation_policies.get_mut(&key).and_then(|p| {
                    let last = p.steps.pop()?;
                    Some((last, p.steps.len() + 1, p.steps.is_empty()))
                });
                if let Some((last, n, empty)) = popped {
                    self.say(
                        &address,
                        Outcome::Changed,
                        format!(
                            "step {n} (notifying {}) is left out: {}",
                            list(last.notify.iter()),
                            unsupported.message
                        ),
                    );
                    if empty {
                        self.remove(&address, why);
                    }
                }
            }
            (Kind::EscalationPolicy, f) if f.starts_with("steps[") => {
                let index = index_of(f);
                let leaf = f.rsplit_once(']').map_or("", |(_, leaf)| leaf);
                self.fix_step(&address, (index, leaf), unsupported, to);
            }
            (Kind::Schedule, f) if f.starts_with("layer[") => {
                let index = index_of(f);
                let leaf = f.rsplit_once(']').map_or("", |(_, leaf)| leaf);
                self.fix_layer(&address, index, leaf, unsupported, (from, to));
            }
            _ => self.remove(&address, why),
        }
    }

    fn fix_step(
        &mut self,
        address: &Address,
        (index, leaf): (usize, &str),
        unsupported: &Unsupported,
        to: &Descriptor,
    ) {
        let why = short(unsupported);
        let Some(policy) = self.model.escalation_policies.get_mut(&address.key) else {
            return;
        };
        let Some(step) = policy.steps.get(index).cloned() else {
            return;
        };
        let n = index + 1;
        match leaf {
            ".delay_minutes" if index == 0 => {
                policy.steps[0].delay_minutes = 0;
                self.say(
                    address,
                    Outcome::Changed,
                    format!(
                        "step 1 notifies as the alert arrives, not {} minutes after: {}",
                        step.delay_minutes, unsupported.message
                    ),
                );
            }
            "" | ".delay_minutes" if index > 0 => {
                let merged = policy.steps.remove(index);
                policy.steps[index - 1].notify.extend(merged.notify);
                // The step after keeps its minute.
                if let Some(next) = policy.steps.get_mut(index) {
                    next.delay_minutes = next.delay_minutes.saturating_add(merged.delay_minutes);
                }
                let outcome = if merged.delay_minutes == 0 {
                    Outcome::Rewritten
                } else {
                    Outcome::Changed
                };
                self.say(
                    address,
                    outcome,
                    format!(
                        "step {n} is merged into step {index}{}: {}",
                        if merged.delay_minutes == 0 {
                            " (it ran with no wait after it, as it does now)".to_owned()
                        } else {
                            format!(", so it notifies {} minutes sooner", merged.delay_minutes)
                        },
                        unsupported.message
                    ),
                );
            }
            ".notify" => {
                let dropped: Vec<Address> = step
                    .notify
                    .iter()
                    .filter(|a| to.capabilities.kind(a.kind).is_none())
                    .cloned()
                    .collect();
                if dropped.is_empty() && step.notify.len() < 2 {
                    self.remove(address, why);
                } else if dropped.is_empty() {
                    // Too many targets: the second half one minute later.
                    let all: Vec<Address> = step.notify.iter().cloned().collect();
                    let (first, second) = all.split_at(all.len() / 2);
                    policy.steps[index].notify = first.iter().cloned().collect();
                    policy.steps.insert(
                        index + 1,
                        crate::model::Step {
                            delay_minutes: 1,
                            notify: second.iter().cloned().collect(),
                        },
                    );
                    if let Some(after) = policy.steps.get_mut(index + 2) {
                        after.delay_minutes = after.delay_minutes.saturating_sub(1).max(1);
                    }
                    self.say(
                        address,
                        Outcome::Changed,
                        format!(
                            "step {n} is split in two: {} are notified one minute later: {}",
                            list(second.iter()),
                            unsupported.message
                        ),
                    );
                } else {
                    for a in &dropped {
                        policy.steps[index].notify.remove(a);
                    }
                    let empty = policy.steps[index].notify.is_empty();
                    self.say(
                        address,
                        Outcome::Changed,
                        format!(
                            "step {n} no longer notifies {}: {}",
                            list(dropped.iter()),
                            why
                        ),
                    );
                    if empty {
                        self.drop_step(address, index);
                    }
                }
            }
            _ => self.remove(address, why),
        }
    }

    /// Removes an empty step, its wait carried into the next, and the policy when it has none.
    fn drop_step(&mut self, address: &Address, index: usize) {
        let Some(policy) = self.model.escalation_policies.get_mut(&address.key) else {
            return;
        };
        let step = policy.steps.remove(index);
        if let Some(next) = policy.steps.get_mut(index) {
            next.delay_minutes = next.delay_minutes.saturating_add(step.delay_minutes);
        }
        let empty = policy.steps.is_empty();
        self.say(
            address,
            Outcome::Changed,
            format!(
                "step {} notifies no one any more and is left out",
                index + 1
            ),
        );
        if empty {
            self.remove(address, "no step of it is left".to_owned());
        }
    }

    fn fix_layer(
        &mut self,
        address: &Address,
        index: usize,
        leaf: &str,
        unsupported: &Unsupported,
        (from, to): (&Descriptor, &Descriptor),
    ) {
        let Some(schedule) = self.model.schedules.get_mut(&address.key) else {
            return;
        };
        let Some(layer) = schedule.layers.get(index).cloned() else {
            return;
        };
        let n = index + 1;
        let why = short(unsupported);
        match leaf {
            ".restrict" => {
                // The nearest form the target holds, measured: the layer left out (its hours go
                // to the layers under it) or covering every hour, whichever pages someone else
                // for fewer hours.
                let current = schedule.clone();
                let mut candidates = Vec::new();
                if current.layers.len() > 1 {
                    let mut without = current.clone();
                    without.layers.remove(index);
                    candidates.push((
                        without,
                        format!(
                            "layer {n} (`{}`) is left out, so the hours it covered go to the layers under it",
                            layer.name
                        ),
                    ));
                }
                let mut every_hour = current;
                every_hour.layers[index].restrict.clear();
                candidates.push((
                    every_hour,
                    format!(
                        "layer {n} (`{}`) covers every hour, not only its windows",
                        layer.name
                    ),
                ));
                let mut measured: Vec<(f64, crate::model::Schedule, String)> = candidates
                    .into_iter()
                    .map(|(candidate, text)| {
                        (self.hours_apart(&address.key, &candidate), candidate, text)
                    })
                    .collect();
                measured.sort_by(|a, b| a.0.total_cmp(&b.0));
                let other = (measured.len() > 1).then(|| measured[1].0);
                let (hours, chosen, text) = measured.swap_remove(0);
                self.model.schedules.insert(address.key.clone(), chosen);
                self.say(
                    address,
                    Outcome::Changed,
                    format!(
                        "{text}, the nearest form {} holds ({hours:.0} hours compared page someone else{}): {}; to do: accept it, or keep this schedule in {}'s UI and leave it out of the config (`settings.ignore`)",
                        to.display_name,
                        other.map_or_else(String::new, |o| format!(
                            "; the other form, {o:.0}"
                        )),
                        unsupported.message,
                        to.display_name,
                    ),
                );
            }
            ".start" => {
                let Ok(zone) = jiff::tz::db().get(&schedule.time_zone) else {
                    self.remove(address, why);
                    return;
                };
                let Ok(at) = zone.to_ambiguous_timestamp(layer.start).compatible() else {
                    self.remove(address, why);
                    return;
                };
                let seconds = at.as_second();
                let floored =
                    Timestamp::from_second(seconds - seconds.rem_euclid(1800)).unwrap_or(at);
                let start = zone.to_datetime(floored);
                schedule.layers[index].start = start;
                self.say(
                    address,
                    Outcome::Changed,
                    format!(
                        "layer {n} (`{}`) starts at {start} instead of {}: {}",
                        layer.name, layer.start, unsupported.message
                    ),
                );
            }
            "" => {
                // Layers that overlap where the target pages every layer: under the source's
                // rule the later layer had those hours alone, so the earlier one keeps only
                // the hours the later one leaves it.
                let shadow = crate::schedule::week_cover(&layer.restrict);
                let Some(earlier) = (0..index).find(|&e| {
                    crate::schedule::overlap(
                        &crate::schedule::week_cover(&schedule.layers[e].restrict),
                        &shadow,
                    )
                }) else {
                    self.remove(address, why);
                    return;
                };
                if from.capabilities.overlap != crate::model::Overlap::LastLayerWins {
                    self.remove(address, why);
                    return;
                }
                let other = schedule.layers[earlier].clone();
                let mut minutes = vec![false; 7 * 1440];
                for (a, b) in crate::schedule::week_cover(&other.restrict) {
                    minutes[a as usize..b as usize].fill(true);
                }
                for (a, b) in shadow {
                    minutes[a as usize..b as usize].fill(false);
                }
                let cover = runs(&minutes);
                if cover.is_empty() {
                    schedule.layers.remove(earlier);
                    self.say(
                        address,
                        Outcome::Rewritten,
                        format!(
                            "layer {} (`{}`) is left out: layer {n} (`{}`) covers all its hours, so {} never paged it",
                            earlier + 1,
                            other.name,
                            layer.name,
                            from.display_name
                        ),
                    );
                } else {
                    let windows = crate::schedule::cover_windows(&cover);
                    let spelled: Vec<String> = windows.iter().map(spell_window).collect();
                    schedule.layers[earlier].restrict = windows;
                    self.say(
                        address,
                        Outcome::Rewritten,
                        format!(
                            "layer {} (`{}`) is limited to the hours layer {n} (`{}`) leaves it ({}), the hours {} paged it in, since {} pages every layer with someone on call",
                            earlier + 1,
                            other.name,
                            layer.name,
                            spelled.join(", "),
                            from.display_name,
                            to.display_name
                        ),
                    );
                }
            }
            _ => self.remove(address, why),
        }
    }

    /// Leaves `address` out of the target, and everything that only it made sense of; says
    /// what that does to whatever referred to it.
    fn remove(&mut self, address: &Address, why: String) {
        let mut pending = vec![(address.clone(), why)];
        while let Some((gone, why)) = pending.pop() {
            if !exists(&self.model, &gone) {
                continue;
            }
            self.say(&gone, Outcome::NotCarried, why);
            let key = gone.key.as_str();
            self.model.remove(gone.kind, key);
            let mut said: Vec<(Address, String)> = Vec::new();
            // Who can refer to what: groups and layers name users (and groups), steps name
            // anything paged, integrations name a policy and users and groups.
            let people = matches!(gone.kind, Kind::User | Kind::Group);
            let groups = if people {
                &mut self.model.groups
            } else {
                &mut BTreeMap::new()
            };
            let schedules = if gone.kind == Kind::User {
                &mut self.model.schedules
            } else {
                &mut BTreeMap::new()
            };
            let policies = if gone.kind == Kind::Integration {
                &mut BTreeMap::new()
            } else {
                &mut self.model.escalation_policies
            };
            let integrations = if people || gone.kind == Kind::EscalationPolicy {
                &mut self.model.integrations
            } else {
                &mut BTreeMap::new()
            };
            for (k, group) in groups.iter_mut() {
                if group.members.remove(&gone) {
                    said.push((
                        Address::new(Kind::Group, k),
                        format!("member `{gone}` is not carried, so the group is without it"),
                    ));
                }
            }
            for (k, schedule) in schedules.iter_mut() {
                let here = Address::new(Kind::Schedule, k);
                for layer in &mut schedule.layers {
                    let before = layer.members.len();
                    layer.members.retain(|m| *m != gone);
                    if layer.members.len() != before {
                        said.push((
                            here.clone(),
                            format!(
                                "layer `{}` rotates without `{gone}` (not carried), so its turns fall differently",
                                layer.name
                            ),
                        ));
                    }
                }
                let emptied: Vec<String> = schedule
                    .layers
                    .iter()
                    .filter(|l| l.members.is_empty())
                    .map(|l| l.name.clone())
                    .collect();
                schedule.layers.retain(|l| !l.members.is_empty());
                for name in emptied {
                    said.push((
                        here.clone(),
                        format!("layer `{name}` has no member left and is left out"),
                    ));
                }
                if schedule.layers.is_empty() {
                    pending.push((here, "no layer of it is left".to_owned()));
                }
            }
            let mut empty_steps: Vec<(Address, usize)> = Vec::new();
            for (k, policy) in policies.iter_mut() {
                let here = Address::new(Kind::EscalationPolicy, k);
                for (index, step) in policy.steps.iter_mut().enumerate() {
                    if step.notify.remove(&gone) {
                        said.push((
                            here.clone(),
                            format!(
                                "step {} no longer notifies `{gone}` (not carried)",
                                index + 1
                            ),
                        ));
                        if step.notify.is_empty() {
                            empty_steps.push((here.clone(), index));
                        }
                    }
                }
            }
            for (k, integration) in integrations.iter_mut() {
                let here = Address::new(Kind::Integration, k);
                if integration.recipients.remove(&gone) {
                    said.push((here.clone(), format!("recipient `{gone}` is not carried")));
                }
                if gone.kind == Kind::EscalationPolicy && integration.escalation_policy == key {
                    pending.push((
                        here,
                        format!("its escalation policy `{gone}` is not carried"),
                    ));
                }
            }
            for (at, text) in said {
                self.say(&at, Outcome::Changed, text);
            }
            // Later steps first, so earlier indices hold.
            empty_steps.sort_by_key(|step| std::cmp::Reverse(step.1));
            for (at, index) in empty_steps {
                self.drop_step(&at, index);
            }
        }
    }

    /// Hours over the compared windows in which `candidate` (under the target's rules) pages
    /// someone other than the source's schedule `key` (under the source's).
    fn hours_apart(&self, key: &str, candidate: &crate::model::Schedule) -> f64 {
        let Some(source) = self.source_schedules.get(key) else {
            return f64::INFINITY;
        };
        let (from, to) = self.vendors;
        let one = |schedule: &crate::model::Schedule| Model {
            schedules: std::iter::once((key.to_owned(), schedule.clone())).collect(),
            ..Model::default()
        };
        crate::verify::by_vendors((from, &one(source)), (to, &one(candidate)), &self.windows)
            .schedules
            .iter()
            .map(|s| s.hours_different)
            .sum()
    }

    /// Who each side's vendor pages, compared; every difference said on its object.
    fn compare(&mut self, input: &Input<'_>) -> Compared {
        use std::fmt::Write as _;
        let report = crate::verify::by_vendors(
            (input.from, input.source),
            (input.to, &self.model),
            &self.windows,
        );
        let names: BTreeMap<(Kind, &str), &String> = [Kind::Schedule, Kind::EscalationPolicy]
            .into_iter()
            .flat_map(|kind| {
                input.source.keys(kind).map(move |key| {
                    let name = input.source.name(kind, key).unwrap_or_default();
                    ((kind, name), key)
                })
            })
            .collect();
        let by_name = |kind: Kind, name: &str| -> Option<Address> {
            names
                .get(&(kind, name))
                .map(|key| Address::new(kind, key.as_str()))
        };
        let mut hours = 0.0;
        for schedule in &report.schedules {
            if schedule.differences.is_empty() {
                continue;
            }
            hours += schedule.hours_different;
            let Some(address) = by_name(Kind::Schedule, &schedule.name) else {
                continue;
            };
            let first = &schedule.differences[0];
            self.say(
                &address,
                Outcome::Changed,
                format!(
                    "{} pages differently from {} for {:.1} of the {:.0} hours compared{}; first {} – {} ({}): {}",
                    input.to.display_name,
                    input.from.display_name,
                    schedule.hours_different,
                    schedule.hours_compared,
                    person_hours(schedule),
                    first.start_local,
                    first.end_local,
                    schedule.time_zone,
                    first.paged.arrow(),
                ),
            );
        }
        let mut arrivals = 0;
        for policy in &report.escalations {
            if policy.arrivals_different == 0 && policy.repeat.is_none() {
                continue;
            }
            arrivals += policy.arrivals_different;
            let Some(address) = by_name(Kind::EscalationPolicy, &policy.name) else {
                continue;
            };
            let mut text = format!(
                "{} of {} alert arrivals compared are notified differently",
                policy.arrivals_different, policy.arrivals_compared
            );
            if let Some(first) = policy.differences.first() {
                let _ = write!(
                    text,
                    "; first, an alert at {}: minute {} notifies {}",
                    first.arrival_local,
                    first.minute,
                    first.paged.arrow()
                );
            }
            if let Some((a, b)) = policy.repeat {
                let _ = write!(text, "; repeats {a} → {b}");
            }
            self.say(&address, Outcome::Changed, text);
        }
        Compared {
            windows: report.windows.clone(),
            schedules: report.schedules.len(),
            escalation_policies: report.escalations.len(),
            schedule_hours_different: hours,
            arrivals_different: arrivals,
        }
    }
}

/// Where the source's vendor does not say its users' roles (they come from elsewhere) and the
/// target's API sets them, every user would be declared a responder: said on each.
fn roles_unknown(work: &mut Work, from: &Descriptor, to: &Descriptor) {
    let says = |d: &Descriptor| {
        d.capabilities
            .kind(Kind::User)
            .is_some_and(|k| !k.unsupported.iter().any(|f| f.field == "role"))
    };
    if says(from) || !says(to) {
        return;
    }
    let keys: Vec<String> = work.model.users.keys().cloned().collect();
    for key in keys {
        work.say(
            &Address::new(Kind::User, &key),
            Outcome::NotCarried,
            format!(
                "`role`: {} does not say its users' roles, so this user is declared a responder in {}; set `role` (\"owner\" for the account owner, \"admin\" for admins) before apply",
                from.display_name, to.display_name
            ),
        );
    }
}

/// Objects of kinds the target's API only matches: they must exist there first.
fn must_exist(model: &Model, to: &Descriptor) -> Vec<MustExist> {
    let mut out = Vec::new();
    for kind in [Kind::User, Kind::Group] {
        let Some(Access::ReadOnly { hint }) = to.capabilities.kind(kind).map(|k| k.access) else {
            continue;
        };
        for key in model.keys(kind) {
            let address = Address::new(kind, key);
            out.push(MustExist {
                address: address.to_string(),
                name: name_of(model, &address),
                email: model
                    .users
                    .get(key)
                    .filter(|_| kind == Kind::User)
                    .map(|u| u.email.clone()),
                how: hint.to_owned(),
            });
        }
    }
    out
}

/// Whether the model sets `field` of `address` (a default is not a choice the target must
/// honour).
fn written(model: &Model, address: &Address, field: &str) -> bool {
    let key = address.key.as_str();
    match (address.kind, field) {
        (Kind::User, "phone") => model.users.get(key).is_some_and(|u| u.phone.is_some()),
        (Kind::User, "time_zone") => model.users.get(key).is_some_and(|u| u.time_zone.is_some()),
        (Kind::User, "role") => model
            .users
            .get(key)
            .is_some_and(|u| u.role != Role::Responder),
        // The writer leaves out a name the target derives from settings.
        (Kind::Outbound, "name") => false,
        (Kind::Group, "description") => model
            .groups
            .get(key)
            .is_some_and(|g| g.description.is_some()),
        (Kind::EscalationPolicy, "description") => model
            .escalation_policies
            .get(key)
            .is_some_and(|p| p.description.is_some()),
        (Kind::Integration, f) => model.integrations.get(key).is_some_and(|i| match f {
            "mailbox" => matches!(
                i.channel,
                crate::model::ChannelSettings::Email { mailbox: Some(_) }
            ),
            "chat_platform" | "chat_channel" => {
                matches!(i.channel, crate::model::ChannelSettings::Chat { .. })
            }
            "recipients" => !i.recipients.is_empty(),
            "enabled" => !i.enabled,
            t if t.starts_with("templates.") => i
                .templates
                .set()
                .iter()
                .any(|(name, _)| *name == &t["templates.".len()..]),
            _ => true,
        }),
        _ => true,
    }
}

fn exists(model: &Model, address: &Address) -> bool {
    model.name(address.kind, &address.key).is_some()
}

fn name_of(model: &Model, address: &Address) -> String {
    if address.key.is_empty() {
        return "settings".to_owned();
    }
    model
        .name(address.kind, &address.key)
        .unwrap_or_default()
        .to_owned()
}

/// What the target refuses and what to do, without the object's address (the report says it
/// in the heading): "`phone`: OnCall's API …; to do: remove `phone` …".
fn short(unsupported: &Unsupported) -> String {
    let field = if unsupported.field.is_empty() {
        String::new()
    } else {
        format!("`{}`: ", unsupported.field)
    };
    format!(
        "{field}{}; to do: {}",
        unsupported.message, unsupported.hint
    )
}

/// `3` of `steps[3].notify`.
fn index_of(field: &str) -> usize {
    field
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0)
}

fn list<'a>(addresses: impl Iterator<Item = &'a Address>) -> String {
    let names: Vec<String> = addresses.map(|a| format!("`{a}`")).collect();
    if names.is_empty() {
        "no one".to_owned()
    } else {
        names.join(", ")
    }
}

/// `Mon–Fri 09:00–17:00`.
fn spell_window(window: &crate::model::Window) -> String {
    let days: Vec<&str> = window.days.iter().map(|d| d.as_str()).collect();
    format!(
        "{}{}–{}",
        if days.is_empty() {
            String::new()
        } else {
            format!("{} ", days.join(","))
        },
        window.from.strftime("%H:%M"),
        window.to.strftime("%H:%M")
    )
}

/// The runs of `true` in a week's minutes, as `[start, end)`.
fn runs(minutes: &[bool]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut start = None;
    for (m, on) in minutes.iter().chain(std::iter::once(&false)).enumerate() {
        let m = u32::try_from(m).unwrap_or(u32::MAX);
        match (on, start) {
            (true, None) => start = Some(m),
            (false, Some(s)) => {
                out.push((s, m));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// `; hours on call: a@x 144 → 0, b@x 24 → 168` over the differing intervals.
fn person_hours(schedule: &crate::verify::ScheduleReport) -> String {
    let mut hours: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for d in &schedule.differences {
        let (Ok(a), Ok(b)) = (d.start.parse::<Timestamp>(), d.end.parse::<Timestamp>()) else {
            continue;
        };
        let h = b.duration_since(a).as_secs_f64() / 3600.0;
        for e in &d.paged.source {
            hours.entry(e).or_default().0 += h;
        }
        for e in &d.paged.target {
            hours.entry(e).or_default().1 += h;
        }
    }
    let moved: Vec<String> = hours
        .into_iter()
        .filter(|(_, (a, b))| (a - b).abs() > f64::EPSILON)
        .map(|(e, (a, b))| format!("{e} {a:.0} h → {b:.0} h"))
        .collect();
    if moved.is_empty() {
        String::new()
    } else {
        format!(" (in those hours, on call: {})", moved.join(", "))
    }
}

/// `MIGRATION.md`: the report for people. `notes` are the writer's (secrets to set).
pub fn render(migration: &Migration, notes: &[String]) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "# Migration from {} to {}\n\n",
        migration.from, migration.to
    );
    let _ = writeln!(
        out,
        "{} objects: **{}** carried exactly, **{}** rewritten to keep behaviour, **{}** changed, **{}** not carried; **{}** integration{} must be reconnected.\n",
        migration.objects.len(),
        migration.count(Outcome::Carried),
        migration.count(Outcome::Rewritten),
        migration.count(Outcome::Changed),
        migration.count(Outcome::NotCarried),
        migration.reconnect.len(),
        if migration.reconnect.len() == 1 {
            ""
        } else {
            "s"
        },
    );
    let c = &migration.compared;
    let _ = writeln!(
        out,
        "Who is paged was compared, each side as its vendor pages, for {} schedule{} and {} escalation polic{} over {} (UTC): {:.1} schedule hours and {} alert arrivals differ; each difference is said under its object below. `alertform verify` re-checks it after you edit, and `alertform verify --live` against {} after apply.\n",
        c.schedules,
        if c.schedules == 1 { "" } else { "s" },
        c.escalation_policies,
        if c.escalation_policies == 1 {
            "y"
        } else {
            "ies"
        },
        c.windows
            .iter()
            .map(|(a, b)| format!("{a} – {b}"))
            .collect::<Vec<_>>()
            .join(", "),
        c.schedule_hours_different,
        c.arrivals_different,
        migration.to,
    );
    for outcome in [Outcome::Changed, Outcome::NotCarried, Outcome::Rewritten] {
        let entries: Vec<&Entry> = migration
            .objects
            .iter()
            .filter(|e| e.outcome == outcome)
            .collect();
        if entries.is_empty() {
            continue;
        }
        let mut title = outcome.label().to_owned();
        title[..1].make_ascii_uppercase();
        let _ = writeln!(out, "## {title} ({})\n", entries.len());
        for entry in entries {
            let _ = writeln!(
                out,
                "### `{}` {}\n\n{} → {}\n",
                entry.address,
                if entry.name.is_empty() || entry.address == "settings" {
                    String::new()
                } else {
                    format!("“{}”", entry.name)
                },
                entry.source.as_deref().unwrap_or("(not located)"),
                entry
                    .target
                    .as_deref()
                    .map_or_else(|| "not in the target".to_owned(), |t| format!("`{t}`")),
            );
            for finding in &entry.findings {
                let _ = writeln!(out, "- *{}*: {}", finding.outcome.label(), finding.text);
            }
            out.push('\n');
        }
    }
    if !migration.reconnect.is_empty() {
        let _ = writeln!(
            out,
            "## Must be reconnected ({})\n\nEach integration gets a new endpoint or key in {}: point its senders at the new one after apply, then retire the old one.\n",
            migration.reconnect.len(),
            migration.to
        );
        table(
            &mut out,
            &["integration", "name", "channel", "new endpoint", "senders"],
            migration.reconnect.iter().map(|r| {
                [
                    format!("`{}`", r.address),
                    r.name.clone(),
                    r.channel.clone(),
                    r.new_endpoint.clone(),
                    r.senders.clone(),
                ]
                .to_vec()
            }),
        );
    }
    if !migration.must_exist.is_empty() {
        let _ = writeln!(
            out,
            "## Must exist in {} before apply ({})\n\n{}'s API cannot create these; alertform matches them.\n",
            migration.to,
            migration.must_exist.len(),
            migration.to
        );
        table(
            &mut out,
            &["object", "name", "email", "how"],
            migration.must_exist.iter().map(|m| {
                [
                    format!("`{}`", m.address),
                    m.name.clone(),
                    m.email.clone().unwrap_or_default(),
                    m.how.clone(),
                ]
                .to_vec()
            }),
        );
    }
    if !notes.is_empty() {
        out.push_str("## Before you plan\n\n");
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
        out.push('\n');
    }
    let carried: Vec<String> = migration
        .objects
        .iter()
        .filter(|e| e.outcome == Outcome::Carried)
        .map(|e| {
            format!(
                "`{}` ({})",
                e.address,
                e.source.as_deref().unwrap_or("not located")
            )
        })
        .collect();
    if !carried.is_empty() {
        let _ = writeln!(
            out,
            "## Carried exactly ({})\n\n{}\n",
            carried.len(),
            carried.join(", ")
        );
    }
    out
}

/// A Markdown table, and a blank line after it.
fn table(out: &mut String, header: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "| {} |\n|{}",
        header.join(" | "),
        " --- |".repeat(header.len())
    );
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests;
