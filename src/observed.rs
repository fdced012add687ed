//! Live state as the planner reads it: plain data, one floor under `plan/` and over every
//! provider. Typed objects with references by id and no secrets: a provider fills it, the
//! planner diffs against it, and neither imports the other.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    ChannelSettings, Kind, LiveSecret, OutboundTarget, Role, Rotation, Templates, Window,
};

/// Everything live, as the planner needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub users: Vec<ObservedUser>,
    pub groups: Vec<ObservedGroup>,
    pub schedules: Vec<ObservedSchedule>,
    pub escalation_policies: Vec<ObservedPolicy>,
    pub integrations: Vec<ObservedIntegration>,
    pub outbound: Vec<ObservedOutbound>,
    /// What the provider saw and leaves alone, to mention in plan and apply output (a schedule's
    /// one-off overrides made in the vendor's UI).
    pub notes: Vec<String>,
    /// Live ids the service will not delete, and why (PagerDuty's account owner): a plan that
    /// would delete one is an error, not a failed apply.
    pub undeletable: BTreeMap<String, String>,
    /// Live ids the service will not change, and why (an outbound target marked not editable): a
    /// plan that would update one is an error.
    pub uneditable: BTreeMap<String, String>,
    /// Live ids of objects made in parts whose later part is missing, with what is missing ("the
    /// service has no integration yet": PagerDuty's service made by an apply that was stopped
    /// before its integration). The create-only fields live in the missing part, so a change to
    /// them makes the part: an update, not a replacement, and no key that exists changes.
    pub unfinished: BTreeMap<String, String>,
    /// Live ids of objects with parts alertform cannot read, and why, part by part ("layer
    /// `Night`: its turns are 5400 seconds long, …"). A plan rewrites such a part as the config
    /// says; `export` never writes one, and names each.
    pub unreadable: BTreeMap<String, Vec<String>>,
    /// Live ids of objects that read as the config says but are held in a form the vendor pages
    /// wrongly from, and why (an OnCall shift whose `rotation_start` makes the engine skip
    /// members): planned as an update that writes them again.
    pub stale: BTreeMap<String, String>,
}

impl Observed {
    /// Records a live object the service will not change (`editable` false) or delete
    /// (`deletable` false): in [`Observed::uneditable`] and [`Observed::undeletable`], and in a
    /// note every plan shows. `note(state, refused)` words the note ("editable or deletable",
    /// "change or delete it"); `why(state, combined)` the reason a refused plan gives, for the
    /// one `state` refused and the `combined` one.
    pub fn mark_locked(
        &mut self,
        id: &str,
        editable: bool,
        deletable: bool,
        note: impl Fn(&str, &str) -> String,
        why: impl Fn(&str, &str) -> String,
    ) {
        let (combined, refused) = match (editable, deletable) {
            (true, true) => return,
            (false, false) => ("editable or deletable", "change or delete it"),
            (false, true) => ("editable", "change it"),
            (true, false) => ("deletable", "delete it"),
        };
        self.notes.push(note(combined, refused));
        if !editable {
            self.uneditable
                .insert(id.to_owned(), why("editable", combined));
        }
        if !deletable {
            self.undeletable
                .insert(id.to_owned(), why("deletable", combined));
        }
    }

    /// The (id, version) of every live object of `kind`: the one place that names every kind's
    /// collection.
    pub fn of_kind(&self, kind: Kind) -> Vec<(&str, u64)> {
        fn pairs<'a, T>(
            objects: &'a [T],
            f: impl Fn(&'a T) -> (&'a str, u64),
        ) -> Vec<(&'a str, u64)> {
            objects.iter().map(f).collect()
        }
        match kind {
            Kind::User => pairs(&self.users, |o| (&o.id, o.version)),
            Kind::Group => pairs(&self.groups, |o| (&o.id, o.version)),
            Kind::Schedule => pairs(&self.schedules, |o| (&o.id, o.version)),
            Kind::EscalationPolicy => pairs(&self.escalation_policies, |o| (&o.id, o.version)),
            Kind::Integration => pairs(&self.integrations, |o| (&o.id, o.version)),
            Kind::Outbound => pairs(&self.outbound, |o| (&o.id, o.version)),
        }
    }

    /// Objects of every kind, as (kind, id, version).
    pub fn versions(&self) -> impl Iterator<Item = (Kind, &str, u64)> {
        Kind::ALL.iter().flat_map(move |&kind| {
            self.of_kind(kind)
                .into_iter()
                .map(move |(id, version)| (kind, id, version))
        })
    }

    /// `model` as if it were live, each object's id its address (`schedule.night`): what the
    /// config writer takes, so `migrate` writes a model with the writer `export` uses.
    pub fn declared(model: &crate::model::Model) -> Observed {
        use crate::model::Address;
        let ids = |kind: Kind, addresses: &mut dyn Iterator<Item = &Address>| -> BTreeSet<String> {
            addresses
                .filter(|a| a.kind == kind)
                .map(ToString::to_string)
                .collect()
        };
        let id = |kind: Kind, key: &str| Address::new(kind, key).to_string();
        Observed {
            users: model
                .users
                .iter()
                .map(|(key, u)| ObservedUser {
                    id: id(Kind::User, key),
                    version: 0,
                    name: u.name.clone(),
                    email: u.email.clone(),
                    phone: u.phone.clone(),
                    role: u.role,
                    time_zone: u.time_zone.clone(),
                })
                .collect(),
            groups: model
                .groups
                .iter()
                .map(|(key, g)| ObservedGroup {
                    id: id(Kind::Group, key),
                    version: 0,
                    name: g.name.clone(),
                    description: g.description.clone(),
                    member_user_ids: ids(Kind::User, &mut g.members.iter()),
                    member_group_ids: ids(Kind::Group, &mut g.members.iter()),
                })
                .collect(),
            schedules: model
                .schedules
                .iter()
                .map(|(key, s)| ObservedSchedule {
                    id: id(Kind::Schedule, key),
                    version: 0,
                    name: s.name.clone(),
                    time_zone: s.time_zone.clone(),
                    layers: s
                        .layers
                        .iter()
                        .map(|l| ObservedLayer {
                            name: l.name.clone(),
                            start: l.start,
                            rotation: l.rotation,
                            member_user_ids: l.members.iter().map(ToString::to_string).collect(),
                            restrict: l.restrict.clone(),
                        })
                        .collect(),
                })
                .collect(),
            escalation_policies: model
                .escalation_policies
                .iter()
                .map(|(key, p)| ObservedPolicy {
                    id: id(Kind::EscalationPolicy, key),
                    version: 0,
                    name: p.name.clone(),
                    description: p.description.clone(),
                    repeat: p.repeat,
                    steps: p
                        .steps
                        .iter()
                        .map(|s| ObservedStep {
                            delay_minutes: s.delay_minutes,
                            notify_user_ids: ids(Kind::User, &mut s.notify.iter()),
                            notify_group_ids: ids(Kind::Group, &mut s.notify.iter()),
                            notify_schedule_ids: ids(Kind::Schedule, &mut s.notify.iter()),
                            notify_outbound_ids: ids(Kind::Outbound, &mut s.notify.iter()),
                        })
                        .collect(),
                })
                .collect(),
            integrations: model
                .integrations
                .iter()
                .map(|(key, i)| ObservedIntegration {
                    id: id(Kind::Integration, key),
                    version: 0,
                    name: i.name.clone(),
                    channel: i.channel.clone(),
                    template: i.template.clone(),
                    escalation_policy_id: id(Kind::EscalationPolicy, &i.escalation_policy),
                    recipient_user_ids: ids(Kind::User, &mut i.recipients.iter()),
                    recipient_group_ids: ids(Kind::Group, &mut i.recipients.iter()),
                    enabled: i.enabled,
                    templates: i.templates.clone(),
                })
                .collect(),
            outbound: model
                .outbound
                .iter()
                .map(|(key, o)| ObservedOutbound {
                    id: id(Kind::Outbound, key),
                    version: 0,
                    name: o.name.clone(),
                    target: o.target.clone().map_secrets(|_| LiveSecret::Unknown),
                })
                .collect(),
            ..Observed::default()
        }
    }

    pub fn len(&self) -> usize {
        Kind::ALL.iter().map(|&kind| self.of_kind(kind).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedUser {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub role: Role,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedGroup {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub description: Option<String>,
    pub member_user_ids: BTreeSet<String>,
    pub member_group_ids: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedSchedule {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub time_zone: String,
    pub layers: Vec<ObservedLayer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedLayer {
    pub name: String,
    pub start: jiff::civil::DateTime,
    pub rotation: Rotation,
    /// In turn order.
    pub member_user_ids: Vec<String>,
    pub restrict: Vec<Window>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedPolicy {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub description: Option<String>,
    pub repeat: u8,
    pub steps: Vec<ObservedStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedStep {
    pub delay_minutes: u16,
    pub notify_user_ids: BTreeSet<String>,
    pub notify_group_ids: BTreeSet<String>,
    pub notify_schedule_ids: BTreeSet<String>,
    pub notify_outbound_ids: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedIntegration {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub channel: ChannelSettings,
    pub template: String,
    pub escalation_policy_id: String,
    pub recipient_user_ids: BTreeSet<String>,
    pub recipient_group_ids: BTreeSet<String>,
    pub enabled: bool,
    pub templates: Templates,
}

/// A live outbound target: its secrets only as the service shows them (a digest, or nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedOutbound {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub target: OutboundTarget<LiveSecret>,
}
