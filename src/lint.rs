//! Checks of meaning: a config that passes `validate` but leaves alerts unanswered, or pages
//! people in ways nobody meant. Pure (model in, findings out); `alertform lint` prints them.
//!
//! Every check has a stable code. `settings.lint = { disable = ["CODE"] }` turns one off for the
//! whole config, `lint_ignore = ["CODE"]` on a resource for that resource. (L001 is also "only
//! users with no phone and no email": every user has an email, so only observers can leave a
//! policy unheard.)

use crate::model::OfKind;
use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

use crate::model::{Address, Channel, Kind, Model, Role};
use crate::schedule::Rota;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A check: its code, its severity, and what it finds in one line.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

pub const CHECKS: &[Check] = &[
    Check {
        code: "L001",
        severity: Severity::Error,
        summary: "an escalation policy whose steps reach only observers (or nobody)",
    },
    Check {
        code: "L002",
        severity: Severity::Error,
        summary: "a step or integration notifies a group with no members, nested groups expanded",
    },
    Check {
        code: "L003",
        severity: Severity::Warning,
        summary: "the same person is notified twice in one step, directly and through groups",
    },
    Check {
        code: "L004",
        severity: Severity::Warning,
        summary: "a policy repeats with every delay at 0: a notification storm",
    },
    Check {
        code: "L005",
        severity: Severity::Warning,
        summary: "a user (not an observer) no group, schedule, step or integration references: never paged",
    },
    Check {
        code: "L006",
        severity: Severity::Warning,
        summary: "an escalation policy no integration uses",
    },
    Check {
        code: "L007",
        severity: Severity::Error,
        summary: "a heartbeat integration whose policy reaches nobody who can act",
    },
    Check {
        code: "L008",
        severity: Severity::Warning,
        summary: "a schedule leaves hours uncovered (the first gap over one cycle, up to a year)",
    },
    Check {
        code: "L009",
        severity: Severity::Warning,
        summary: "a schedule no escalation step uses",
    },
    Check {
        code: "L010",
        severity: Severity::Warning,
        summary: "an outbound target no escalation step notifies (in a config with escalation policies)",
    },
    Check {
        code: "L011",
        severity: Severity::Error,
        summary: "an observer takes turns in a schedule layer: nobody who can act is on call then",
    },
    Check {
        code: "L012",
        severity: Severity::Warning,
        summary: "a layer hidden behind later layers at every instant of its cycle: it never pages",
    },
];

pub fn check(code: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.code == code)
}

/// One thing found, at a resource (and a field path within it, for the location).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub address: Address,
    pub field: String,
    pub message: String,
    pub hint: String,
}

/// Gaps are looked for over one full cycle of a schedule's layers, at most this long.
const MAX_CYCLE_DAYS: i64 = 366;

/// Who a vendor's engine really pages for a schedule over a range (see
/// `crate::provider::Pages`), with the vendor's name: gaps are then looked for in what it pages.
pub type VendorPages<'a> = (
    &'a str,
    fn(&crate::model::Schedule, Timestamp, Timestamp) -> Option<Vec<crate::schedule::Shift>>,
);

/// Every finding of `model`, less the codes its settings and resources turn off, in address order.
pub fn lint(model: &Model) -> Vec<Finding> {
    lint_as(model, None)
}

/// [`lint`], and where `vendor` pages otherwise than alertform's timeline, the gaps in what it
/// pages over the next year (L008), for schedules whose own timeline has none.
pub fn lint_as(model: &Model, vendor: Option<VendorPages<'_>>) -> Vec<Finding> {
    let mut found = Vec::new();
    let members = expanded_groups(model);
    let mut push =
        |code: &'static str, address: Address, field: &str, message: String, hint: String| {
            let severity = check(code).map_or(Severity::Warning, |c| c.severity);
            found.push(Finding {
                code,
                severity,
                address,
                field: field.to_owned(),
                message,
                hint,
            });
        };
    // Who a reference reaches: users, groups' users, schedules' members.
    let reach = |target: &Address| -> BTreeSet<String> {
        match target.kind {
            Kind::User => BTreeSet::from([target.key.clone()]),
            Kind::Group => members.get(&target.key).cloned().unwrap_or_default(),
            Kind::Schedule => model
                .schedules
                .get(&target.key)
                .map(|s| {
                    s.layers
                        .iter()
                        .flat_map(|l| &l.members)
                        .map(|a| a.key.clone())
                        .collect()
                })
                .unwrap_or_default(),
            _ => BTreeSet::new(),
        }
    };
    let can_act = |user: &String| {
        model
            .users
            .get(user)
            .is_some_and(|u| u.role != Role::Observer)
    };

    for (key, policy) in &model.escalation_policies {
        let address = Address::new(Kind::EscalationPolicy, key);
        let reached: BTreeSet<String> = policy
            .steps
            .iter()
            .flat_map(|s| &s.notify)
            .flat_map(&reach)
            .collect();
        if !reached.iter().any(can_act) {
            push(
                "L001",
                address.clone(),
                "steps",
                if reached.is_empty() {
                    let outbound: Vec<String> = policy
                        .steps
                        .iter()
                        .flat_map(|s| &s.notify)
                        .named(Kind::Outbound);
                    if outbound.is_empty() {
                        format!("`{address}` reaches nobody")
                    } else {
                        format!(
                            "`{address}` notifies only outbound targets ({}): nobody can acknowledge",
                            outbound.join(", ")
                        )
                    }
                } else {
                    format!("`{address}` reaches only observers, who cannot acknowledge")
                },
                "add a responder or admin, or a group or schedule with one, to a step".into(),
            );
        }
        for (index, step) in policy.steps.iter().enumerate() {
            let field = format!("steps[{index}]");
            for target in step.notify.iter().of_kind(Kind::Group) {
                if members.get(&target.key).is_none_or(BTreeSet::is_empty) {
                    push(
                        "L002",
                        address.clone(),
                        &field,
                        format!(
                            "step {} notifies `{target}`, which has no members",
                            index + 1
                        ),
                        format!("add users to `{target}`, or notify someone else"),
                    );
                }
            }
            // A schedule pages one person at a time: only users and groups are counted.
            let mut seen: BTreeMap<String, Vec<&Address>> = BTreeMap::new();
            for target in step.notify.iter().filter(|t| t.kind != Kind::Schedule) {
                for user in reach(target) {
                    seen.entry(user).or_default().push(target);
                }
            }
            for (user, via) in seen.iter().filter(|(_, via)| via.len() > 1) {
                let via: Vec<String> = via.iter().map(ToString::to_string).collect();
                push(
                    "L003",
                    address.clone(),
                    &field,
                    format!(
                        "step {} notifies `user.{user}` {} times, through {}",
                        index + 1,
                        via.len(),
                        via.join(", ")
                    ),
                    "list each person once per step".into(),
                );
            }
        }
        if policy.repeat > 0 && policy.steps.iter().all(|s| s.delay_minutes == 0) {
            push(
                "L004",
                address.clone(),
                "repeat",
                format!(
                    "`{address}` repeats {} times with no delay between its steps: everyone is paged {} times at once",
                    policy.repeat,
                    u16::from(policy.repeat) + 1
                ),
                "give a step a `delay_minutes`, or set `repeat = 0`".into(),
            );
        }
    }
    for (key, integration) in &model.integrations {
        let address = Address::new(Kind::Integration, key);
        for target in integration.recipients.iter().of_kind(Kind::Group) {
            if members.get(&target.key).is_none_or(BTreeSet::is_empty) {
                push(
                    "L002",
                    address.clone(),
                    "recipients",
                    format!("`{address}` notifies `{target}`, which has no members"),
                    format!("add users to `{target}`, or notify someone else"),
                );
            }
        }
        if integration.channel.channel() == Channel::Heartbeat {
            let reached: BTreeSet<String> = model
                .escalation_policies
                .get(&integration.escalation_policy)
                .into_iter()
                .flat_map(|p| &p.steps)
                .flat_map(|s| &s.notify)
                .chain(&integration.recipients)
                .flat_map(&reach)
                .collect();
            if !reached.iter().any(can_act) {
                push(
                    "L007",
                    address.clone(),
                    "escalation_policy",
                    format!(
                        "`{address}` is a heartbeat whose missed pings would reach nobody who can act"
                    ),
                    "route it to a policy that reaches a responder or admin".into(),
                );
            }
        }
    }
    let referenced: BTreeSet<&str> = (model.groups.values().flat_map(|g| &g.members))
        .chain(
            model
                .schedules
                .values()
                .flat_map(|s| &s.layers)
                .flat_map(|l| &l.members),
        )
        .chain(model.notified())
        .chain(model.integrations.values().flat_map(|i| &i.recipients))
        .keys_of(Kind::User)
        .collect();
    // Observers are there to watch, not to be paged.
    for key in model
        .users
        .iter()
        .filter(|(k, u)| u.role != Role::Observer && !referenced.contains(k.as_str()))
        .map(|(k, _)| k)
    {
        push(
            "L005",
            Address::new(Kind::User, key),
            "",
            format!(
                "`user.{key}` is in no group, schedule, step or integration: nobody can page them"
            ),
            "add them where they should be paged, or remove them".into(),
        );
    }
    let used_policies: BTreeSet<&str> = model
        .integrations
        .values()
        .map(|i| i.escalation_policy.as_str())
        .collect();
    for key in model
        .escalation_policies
        .keys()
        .filter(|k| !used_policies.contains(k.as_str()))
    {
        push(
            "L006",
            Address::new(Kind::EscalationPolicy, key),
            "",
            format!("`escalation_policy.{key}` is used by no integration: no alert follows it"),
            "point an integration at it, or remove it".into(),
        );
    }
    let used_schedules: BTreeSet<&str> = model.notified().keys_of(Kind::Schedule).collect();
    for (key, schedule) in &model.schedules {
        let address = Address::new(Kind::Schedule, key);
        if !used_schedules.contains(key.as_str()) {
            push(
                "L009",
                address.clone(),
                "",
                format!(
                    "`{address}` is not used by any escalation step: nobody is paged through it"
                ),
                "name it in a step (`notify = [\"schedule.KEY\"]`), or remove it".into(),
            );
        }
        for (index, layer) in schedule.layers.iter().enumerate() {
            let observers: Vec<&str> = layer
                .members
                .iter()
                .filter(|m| {
                    model
                        .users
                        .get(&m.key)
                        .is_some_and(|u| u.role == Role::Observer)
                })
                .map(|m| m.key.as_str())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if !observers.is_empty() {
                push(
                    "L011",
                    address.clone(),
                    &format!("layer[{index}].members"),
                    format!(
                        "layer `{}` of `{address}` gives turns to {}, who cannot be paged (observer{}): nobody who can act is on call then",
                        layer.name,
                        observers
                            .iter()
                            .map(|o| format!("`user.{o}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if observers.len() == 1 { "" } else { "s" },
                    ),
                    "make them a responder, or take them out of the rotation".into(),
                );
            }
        }
        let Some(rota) = Rota::new(schedule) else {
            continue;
        };
        let (from, to) = rota.cycle(SignedDuration::from_hours(24 * MAX_CYCLE_DAYS));
        let shown: BTreeSet<usize> = rota.shifts(from, to).iter().map(|s| s.layer).collect();
        for (index, layer) in schedule.layers.iter().enumerate() {
            if schedule.layers.len() > 1 && !shown.contains(&index) {
                push(
                    "L012",
                    address.clone(),
                    &format!("layer[{index}]"),
                    format!(
                        "layer `{}` of `{address}` never pages: later layers have someone on call at every instant of its {}-day cycle",
                        layer.name,
                        to.duration_since(from).as_hours() / 24
                    ),
                    "remove the layer, move it after the ones that cover it, or restrict those to the hours they should cover".into(),
                );
            }
        }
        if let Some((start, end)) = rota.first_gap(from, to) {
            let days = to.duration_since(from).as_hours() / 24;
            push(
                "L008",
                address,
                "",
                format!(
                    "`schedule.{key}` leaves hours uncovered: nobody is on call from {} to {} (the first gap in its {days}-day cycle)",
                    rota.local_text(start),
                    rota.local_text(end)
                ),
                "add a layer that covers those hours, or widen a restriction".into(),
            );
        } else if let Some((name, pages)) = vendor {
            let from = Timestamp::now().max(
                schedule
                    .layers
                    .iter()
                    .map(|l| rota.instant(l.start))
                    .min()
                    .unwrap_or_else(Timestamp::now),
            );
            let to = from + SignedDuration::from_hours(24 * MAX_CYCLE_DAYS);
            let mut shifts = pages(schedule, from, to).unwrap_or_default();
            shifts.sort_by_key(|s| s.start);
            let mut cursor = from;
            let mut gap = None;
            for shift in &shifts {
                if shift.start > cursor {
                    gap = Some((cursor, shift.start));
                    break;
                }
                cursor = cursor.max(shift.end);
            }
            if let Some((start, end)) = gap.or((cursor < to).then_some((cursor, to))) {
                push(
                    "L008",
                    address,
                    "",
                    format!(
                        "`schedule.{key}` leaves hours uncovered as {name} pages it: nobody is on call from {} to {} (the first gap in the next year; alertform's own timeline has none)",
                        rota.local_text(start),
                        rota.local_text(end)
                    ),
                    format!(
                        "`alertform oncall --provider` shows whom {name} pages; its provider doc says why it differs"
                    ),
                );
            }
        }
    }
    // Where a config has policies, its outbound targets are there to be notified by their steps
    // (a config of outbound targets alone, as for Uptinio, attaches them elsewhere).
    if !model.escalation_policies.is_empty() {
        let notified: BTreeSet<&str> = model.notified().keys_of(Kind::Outbound).collect();
        for key in model.outbound.keys() {
            if !notified.contains(key.as_str()) {
                push(
                    "L010",
                    Address::new(Kind::Outbound, key),
                    "",
                    format!(
                        "`outbound.{key}` is notified by no escalation step: no alert reaches it"
                    ),
                    "name it in a step (`notify = [\"outbound.KEY\"]`), or remove it".into(),
                );
            }
        }
    }
    let disabled = &model.settings.lint_disable;
    found.retain(|f| {
        !disabled.iter().any(|c| c == f.code)
            && !lifecycle_ignores(model, &f.address)
                .iter()
                .any(|c| c == f.code)
    });
    found.sort_by(|a, b| (&a.address, a.code).cmp(&(&b.address, b.code)));
    found
}

fn lifecycle_ignores<'m>(model: &'m Model, address: &Address) -> &'m [String] {
    let key = &address.key;
    match address.kind {
        Kind::User => model.users.get(key).map(|r| &r.lifecycle),
        Kind::Group => model.groups.get(key).map(|r| &r.lifecycle),
        Kind::Schedule => model.schedules.get(key).map(|r| &r.lifecycle),
        Kind::EscalationPolicy => model.escalation_policies.get(key).map(|r| &r.lifecycle),
        Kind::Integration => model.integrations.get(key).map(|r| &r.lifecycle),
        Kind::Outbound => model.outbound.get(key).map(|r| &r.lifecycle),
    }
    .map_or(&[], |l| l.lint_ignore.as_slice())
}

/// Each group's users, nested groups expanded (cycles are a config error, but stay safe).
fn expanded_groups(model: &Model) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for key in model.groups.keys() {
        let mut users = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![key.as_str()];
        while let Some(group) = stack.pop() {
            if !seen.insert(group) {
                continue;
            }
            for member in model.groups.get(group).into_iter().flat_map(|g| &g.members) {
                match member.kind {
                    Kind::User => {
                        users.insert(member.key.clone());
                    }
                    Kind::Group => stack.push(&member.key),
                    _ => {}
                }
            }
        }
        out.insert(key.clone(), users);
    }
    out
}
