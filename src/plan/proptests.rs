//! Property tests of the pure planner: for random desired and live states, carrying out the plan
//! on the live state (in memory, in the plan's order) gives a state the planner finds nothing to
//! change in. The in-memory apply also checks the order: every reference must already exist when
//! a change needs it, and nothing may still reference an object when it is deleted.
//!
//! Users, groups and escalation policies are generated (integrations add channel rules that the
//! example-based tests cover); emails differ in case between config and live state on purpose.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::Value;

use super::{Action, Attributes, Plan, PlanOptions, plan};
use crate::model::{Model, Role};
use crate::observed::{Observed, ObservedGroup, ObservedPolicy, ObservedStep, ObservedUser};

const EMAILS: usize = 8;
const GROUPS: usize = 5;
const POLICIES: usize = 4;
const ROLES: [&str; 5] = [
    "owner",
    "admin",
    "integrations_admin",
    "responder",
    "observer",
];
const NAMES: [&str; 4] = ["Ann", "Ben", "Cy O'Neil", "Dörte 🚨"];

/// A step: delay, users notified, groups notified.
type Step = (u16, BTreeSet<usize>, BTreeSet<usize>);

/// A desired or live org in index form: users by email index, groups and policies by name index.
#[derive(Debug, Clone)]
struct Org {
    users: BTreeMap<usize, (usize, usize, bool)>, // email → (name, role, upper-case email)
    groups: BTreeMap<usize, (BTreeSet<usize>, BTreeSet<usize>)>, // name → (users, lower groups)
    policies: BTreeMap<usize, Vec<Step>>,         // name → steps
}

fn org() -> impl Strategy<Value = Org> {
    let users = proptest::collection::btree_map(
        0..EMAILS,
        (0..NAMES.len(), 0..ROLES.len(), any::<bool>()),
        0..EMAILS,
    );
    users
        .prop_flat_map(|users| {
            let user_ids: Vec<usize> = users.keys().copied().collect();
            let members = proptest::sample::subsequence(user_ids.clone(), 0..=user_ids.len());
            let groups = proptest::collection::btree_map(
                0..GROUPS,
                (members, proptest::collection::btree_set(0..GROUPS, 0..3)),
                0..GROUPS,
            );
            (Just(users), groups, Just(user_ids))
        })
        .prop_flat_map(|(users, mut groups, user_ids)| {
            // Groups contain only groups of a lower index that exist: no cycles.
            let names: BTreeSet<usize> = groups.keys().copied().collect();
            for (name, (_, subgroups)) in &mut groups {
                subgroups.retain(|g| g < name && names.contains(g));
            }
            let group_ids: Vec<usize> = names.into_iter().collect();
            let step = (
                0u16..30,
                proptest::sample::subsequence(user_ids.clone(), 0..=user_ids.len()),
                proptest::sample::subsequence(group_ids.clone(), 0..=group_ids.len()),
            );
            let policies = proptest::collection::btree_map(
                0..POLICIES,
                proptest::collection::vec(step, 1..4),
                0..POLICIES,
            );
            (Just(users), Just(groups), policies)
        })
        .prop_map(|(users, groups, policies)| {
            let set = |v: Vec<usize>| v.into_iter().collect::<BTreeSet<_>>();
            let policies = policies
                .into_iter()
                .map(|(name, steps)| {
                    let steps = steps
                        .into_iter()
                        .map(|(delay, users, groups)| (delay, set(users), set(groups)))
                        // A step must notify someone; drop the empty ones (keep one step at least).
                        .filter(|(_, users, groups)| !users.is_empty() || !groups.is_empty())
                        .collect::<Vec<_>>();
                    (name, steps)
                })
                .filter(|(_, steps)| !steps.is_empty())
                .collect();
            Org {
                users,
                groups: groups
                    .into_iter()
                    .map(|(name, (users, subgroups))| (name, (set(users), subgroups)))
                    .collect(),
                policies,
            }
        })
}

fn email(index: usize, upper: bool) -> String {
    let email = format!("person{index}@example.com");
    if upper { email.to_uppercase() } else { email }
}

fn config(org: &Org) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    for (e, (name, role, upper)) in &org.users {
        let _ = writeln!(
            text,
            "[user.u{e}]\nname = {:?}\nemail = {:?}\nrole = {:?}\n",
            NAMES[*name],
            email(*e, *upper),
            ROLES[*role]
        );
    }
    let refs = |users: &BTreeSet<usize>, groups: &BTreeSet<usize>| {
        users
            .iter()
            .map(|u| format!("\"user.u{u}\""))
            .chain(groups.iter().map(|g| format!("\"group.g{g}\"")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (g, (users, groups)) in &org.groups {
        let _ = writeln!(
            text,
            "[group.g{g}]\nname = \"Group {g}\"\nmembers = [{}]\n",
            refs(users, groups)
        );
    }
    for (p, steps) in &org.policies {
        let steps: Vec<String> = steps
            .iter()
            .map(|(delay, users, groups)| {
                format!(
                    "{{ delay_minutes = {delay}, notify = [{}] }}",
                    refs(users, groups)
                )
            })
            .collect();
        let _ = writeln!(
            text,
            "[escalation_policy.p{p}]\nname = \"Policy {p}\"\nsteps = [{}]\n",
            steps.join(", ")
        );
    }
    text
}

fn model(org: &Org) -> Model {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), config(org)).unwrap();
    match crate::config::load(dir.path()) {
        Ok((_, model)) => model,
        Err(invalid) => panic!(
            "generated an invalid config: {:#?}\n{}",
            invalid.problems,
            config(org)
        ),
    }
}

fn observed(org: &Org) -> Observed {
    let user_id = |e: &usize| format!("usr_{e}");
    let group_id = |g: &usize| format!("grp_{g}");
    Observed {
        users: org
            .users
            .iter()
            .map(|(e, (name, role, upper))| ObservedUser {
                id: user_id(e),
                version: 1,
                name: NAMES[*name].to_owned(),
                // Live emails are stored as given; the config may differ in case.
                email: email(*e, !*upper),
                phone: None,
                role: Role::parse(ROLES[*role]).unwrap(),
                time_zone: None,
            })
            .collect(),
        groups: org
            .groups
            .iter()
            .map(|(g, (users, groups))| ObservedGroup {
                id: group_id(g),
                version: 1,
                name: format!("Group {g}"),
                description: None,
                member_user_ids: users.iter().map(user_id).collect(),
                member_group_ids: groups.iter().map(group_id).collect(),
            })
            .collect(),
        schedules: Vec::new(),
        escalation_policies: org
            .policies
            .iter()
            .map(|(p, steps)| ObservedPolicy {
                id: format!("esc_{p}"),
                version: 1,
                name: format!("Policy {p}"),
                description: None,
                repeat: 0,
                steps: steps
                    .iter()
                    .map(|(delay, users, groups)| ObservedStep {
                        delay_minutes: *delay,
                        notify_user_ids: users.iter().map(user_id).collect(),
                        notify_group_ids: groups.iter().map(group_id).collect(),
                        notify_schedule_ids: BTreeSet::new(),
                        notify_outbound_ids: BTreeSet::new(),
                    })
                    .collect(),
            })
            .collect(),
        integrations: Vec::new(),
        notes: Vec::new(),
        undeletable: std::collections::BTreeMap::new(),
        ..Observed::default()
    }
}

/// The live state, changed as a service would by carrying out `plan` in its order.
struct Service {
    state: Observed,
    ids: BTreeMap<String, String>,
    created: usize,
}

impl Service {
    fn id_of(&self, address: &str) -> String {
        self.ids
            .get(address)
            .unwrap_or_else(|| panic!("{address} is referenced before it exists"))
            .clone()
    }

    fn split(&self, addresses: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut users = BTreeSet::new();
        let mut groups = BTreeSet::new();
        for address in addresses.as_array().unwrap() {
            let address = address.as_str().unwrap();
            let id = self.id_of(address);
            if address.starts_with("user.") {
                users.insert(id);
            } else {
                groups.insert(id);
            }
        }
        (users, groups)
    }

    fn referenced(&self, id: &str) -> bool {
        self.state
            .groups
            .iter()
            .any(|g| g.member_user_ids.contains(id) || g.member_group_ids.contains(id))
            || self.state.escalation_policies.iter().any(|p| {
                p.steps
                    .iter()
                    .any(|s| s.notify_user_ids.contains(id) || s.notify_group_ids.contains(id))
            })
    }

    fn delete(&mut self, id: &str) {
        assert!(
            !self.referenced(id),
            "{id} is deleted while still referenced"
        );
        self.state.users.retain(|o| o.id != id);
        self.state.groups.retain(|o| o.id != id);
        self.state.escalation_policies.retain(|o| o.id != id);
    }

    /// Creates or overwrites the object `address` from its `after` attributes.
    fn write(&mut self, address: &str, id: Option<&str>, after: &Attributes) {
        let id = id.map_or_else(
            || {
                self.created += 1;
                format!("new_{}", self.created)
            },
            str::to_owned,
        );
        let text = |field: &str| after[field].as_str().map(str::to_owned);
        if address.starts_with("user.") {
            let object = ObservedUser {
                id: id.clone(),
                version: 1,
                name: text("name").unwrap(),
                email: text("email").unwrap(),
                phone: text("phone"),
                role: Role::parse(&text("role").unwrap()).unwrap(),
                time_zone: text("time_zone"),
            };
            put(&mut self.state.users, object, |o| &o.id);
        } else if address.starts_with("group.") {
            let (users, groups) = self.split(&after["members"]);
            let object = ObservedGroup {
                id: id.clone(),
                version: 1,
                name: text("name").unwrap(),
                description: text("description"),
                member_user_ids: users,
                member_group_ids: groups,
            };
            put(&mut self.state.groups, object, |o| &o.id);
        } else {
            let steps = after["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|step| {
                    let (users, groups) = self.split(&step["notify"]);
                    ObservedStep {
                        delay_minutes: u16::try_from(step["delay_minutes"].as_u64().unwrap())
                            .unwrap(),
                        notify_user_ids: users,
                        notify_group_ids: groups,
                        notify_schedule_ids: BTreeSet::new(),
                        notify_outbound_ids: BTreeSet::new(),
                    }
                })
                .collect();
            let object = ObservedPolicy {
                id: id.clone(),
                version: 1,
                name: text("name").unwrap(),
                description: text("description"),
                repeat: u8::try_from(after["repeat"].as_u64().unwrap()).unwrap(),
                steps,
            };
            put(&mut self.state.escalation_policies, object, |o| &o.id);
        }
        self.ids.insert(address.to_owned(), id);
    }

    fn carry_out(&mut self, plan: &Plan, order: &[usize]) {
        for change in order.iter().map(|&i| &plan.changes[i]) {
            match change.action {
                Action::Create => self.write(&change.address, None, change.after.as_ref().unwrap()),
                Action::Update => self.write(
                    &change.address,
                    change.id.as_deref(),
                    change.after.as_ref().unwrap(),
                ),
                Action::Replace => {
                    self.delete(change.id.as_deref().unwrap());
                    self.write(&change.address, None, change.after.as_ref().unwrap());
                }
                Action::Delete => self.delete(change.id.as_deref().unwrap()),
            }
        }
    }
}

/// Puts `object` in `list` in place of the one with its id.
fn put<T>(list: &mut Vec<T>, object: T, id: impl Fn(&T) -> &str) {
    let new = id(&object).to_owned();
    list.retain(|o| id(o) != new);
    list.push(object);
}

/// The order furthest from the plan's own that its dependencies allow (always the last ready
/// change first): `apply` runs changes in parallel as dependencies allow, so they must be enough.
fn latest_first(plan: &Plan) -> Vec<usize> {
    let n = plan.changes.len();
    let mut waiting_on = vec![0usize; n];
    for &(_, after) in &plan.dependencies {
        waiting_on[after] += 1;
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting_on[i] == 0).collect();
    let mut order = Vec::new();
    while let Some(next) = ready.pop_last() {
        order.push(next);
        for &(before, after) in &plan.dependencies {
            if before == next {
                waiting_on[after] -= 1;
                if waiting_on[after] == 0 {
                    ready.insert(after);
                }
            }
        }
    }
    assert_eq!(order.len(), n, "the dependencies have a cycle");
    order
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn carrying_out_the_plan_leaves_nothing_to_change(desired in org(), live in org()) {
        let model = model(&desired);
        let observed = observed(&live);
        let options = PlanOptions::default();
        let first = plan(&model, &observed, &options).expect("a plan");
        prop_assert_eq!(&first, &plan(&model, &observed, &options).expect("a plan"), "deterministic");

        let in_order: Vec<usize> = (0..first.changes.len()).collect();
        for order in [in_order, latest_first(&first)] {
            let mut service = Service { state: observed.clone(), ids: first.live_ids.clone(), created: 0 };
            service.carry_out(&first, &order);
            let second = plan(&model, &service.state, &options).expect("a second plan");
            prop_assert!(
                second.changes.is_empty(),
                "after carrying out {:#?}\nthere is still {:#?}",
                order.iter().map(|&i| (&first.changes[i].address, first.changes[i].action)).collect::<Vec<_>>(),
                second.changes
            );
        }
        let mut service = Service { state: observed, ids: first.live_ids.clone(), created: 0 };
        service.carry_out(&first, &latest_first(&first));
        // The count of live objects is exactly the declared count.
        prop_assert_eq!(service.state.users.len(), desired.users.len());
        prop_assert_eq!(service.state.groups.len(), desired.groups.len());
        prop_assert_eq!(service.state.escalation_policies.len(), desired.policies.len());
    }
}
