//! Orders changes on a dependency graph so the service never refuses one: what is referenced
//! exists first, references are dropped before what they point at is deleted, and a name is freed
//! before it is taken again.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::Value;

use super::attributes::referenced_addresses;
use super::{Action, Attributes, Change, Plan, PlanError, PlanOptions};
use crate::model::Kind;

/// What a change is matched by after (or before) it: users' email, other kinds' name.
fn identity(change: &Change, attributes: Option<&Attributes>) -> Option<(Kind, String)> {
    let kind = change.kind();
    let field = if kind == Kind::User { "email" } else { "name" };
    let value = attributes?.get(field)?.as_str()?;
    Some((kind, super::identity(kind, value).into_owned()))
}

fn members(attributes: Option<&Attributes>) -> Vec<&str> {
    match attributes.and_then(|a| a.get("members")) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// An update that changes what the object is called (its name, a user's email).
fn is_rename(change: &Change) -> bool {
    change.action == Action::Update
        && change
            .changed_fields
            .iter()
            .any(|f| f == "name" || f == "email")
}

/// Ready changes run lowest first: (phase, kind rank, address).
type Priority = (usize, usize, String);

pub fn order(changes: Vec<Change>, options: &PlanOptions) -> Result<Plan, Vec<PlanError>> {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..changes.len()).map(|i| graph.add_node(i)).collect();
    let by_address: HashMap<&str, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.address.as_str(), i))
        .collect();
    let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();

    for (i, change) in changes.iter().enumerate() {
        // What a change will reference must exist first, under its new name if it is renamed
        // (a service that references by name sees the new one only after the rename).
        if let Some(after) = &change.after {
            for target in referenced_addresses(after) {
                if let Some(&j) = by_address.get(target.as_str())
                    && j != i
                    && (matches!(changes[j].action, Action::Create | Action::Replace)
                        || is_rename(&changes[j]))
                {
                    edges.insert((j, i));
                }
            }
        }
        // What a change stops referencing may be deleted only after it.
        if let Some(before) = &change.before {
            for target in referenced_addresses(before) {
                if let Some(&j) = by_address.get(target.as_str())
                    && j != i
                    && changes[j].action == Action::Delete
                {
                    edges.insert((i, j));
                }
            }
        }
    }
    // A name (or email) must be freed before another object takes it.
    let mut freed: HashMap<(Kind, String), usize> = HashMap::new();
    for (i, change) in changes.iter().enumerate() {
        let before = identity(change, change.before.as_ref());
        let after = identity(change, change.after.as_ref());
        if let Some(before) = before
            && (change.action == Action::Delete || after.as_ref() != Some(&before))
        {
            freed.insert(before, i);
        }
    }
    for (i, change) in changes.iter().enumerate() {
        if change.action == Action::Delete {
            continue;
        }
        if let Some(after) = identity(change, change.after.as_ref())
            && let Some(&j) = freed.get(&after)
            && j != i
        {
            edges.insert((j, i));
        }
    }
    // Nesting that swaps: if group X will contain Y while Y still contains X, Y changes first.
    for (i, change) in changes.iter().enumerate() {
        if change.action != Action::Update || change.kind() != Kind::Group {
            continue;
        }
        for member in members(change.after.as_ref()) {
            if let Some(&j) = by_address.get(member)
                && j != i
                && changes[j].action == Action::Update
                && members(changes[j].before.as_ref()).contains(&change.address.as_str())
                && !members(changes[j].after.as_ref()).contains(&change.address.as_str())
            {
                edges.insert((j, i));
            }
        }
    }
    for &(a, b) in &edges {
        graph.add_edge(nodes[a], nodes[b], ());
    }

    // --target: those resources and everything they depend on.
    let keep: Vec<bool> = if options.targets.is_empty() {
        vec![true; changes.len()]
    } else {
        let targets: BTreeSet<String> = options.targets.iter().map(ToString::to_string).collect();
        let mut keep = vec![false; changes.len()];
        let mut stack: Vec<usize> = (0..changes.len())
            .filter(|&i| targets.contains(&changes[i].address))
            .collect();
        while let Some(i) = stack.pop() {
            if !keep[i] {
                keep[i] = true;
                stack.extend(
                    graph
                        .neighbors_directed(nodes[i], petgraph::Direction::Incoming)
                        .map(|n| graph[n]),
                );
            }
        }
        keep
    };

    // Kahn's algorithm; among ready changes, creates and updates by kind before deletes in reverse
    // kind order, then by address, so the same inputs always give the same order.
    let priority = |c: &Change| {
        let kind = Kind::ALL.iter().position(|&k| k == c.kind()).unwrap_or(0);
        if c.action == Action::Delete {
            (1, Kind::ALL.len() - kind, c.address.clone())
        } else {
            (0, kind, c.address.clone())
        }
    };
    let mut indegree: Vec<usize> = vec![0; changes.len()];
    for &(a, b) in &edges {
        if keep[a] && keep[b] {
            indegree[b] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<(Priority, usize)>> = (0..changes.len())
        .filter(|&i| keep[i] && indegree[i] == 0)
        .map(|i| Reverse((priority(&changes[i]), i)))
        .collect();
    let mut sorted = Vec::new();
    while let Some(Reverse((_, i))) = ready.pop() {
        sorted.push(i);
        for &(a, b) in edges.range((i, 0)..=(i, usize::MAX)) {
            debug_assert_eq!(a, i);
            if keep[b] {
                indegree[b] -= 1;
                if indegree[b] == 0 {
                    ready.push(Reverse((priority(&changes[b]), b)));
                }
            }
        }
    }
    let kept = keep.iter().filter(|k| **k).count();
    if sorted.len() != kept {
        let stuck: Vec<String> = (0..changes.len())
            .filter(|&i| keep[i] && indegree[i] > 0)
            .map(|i| changes[i].address.clone())
            .collect();
        return Err(vec![PlanError::Cycle { addresses: stuck }]);
    }
    let position: HashMap<usize, usize> = sorted
        .iter()
        .enumerate()
        .map(|(new, &old)| (old, new))
        .collect();
    let dependencies = edges
        .iter()
        .filter_map(|(a, b)| Some((*position.get(a)?, *position.get(b)?)))
        .collect();
    let mut slots: Vec<Option<Change>> = changes.into_iter().map(Some).collect();
    let changes = sorted
        .iter()
        .map(|&i| slots[i].take().expect("each change once"))
        .collect();
    Ok(Plan {
        changes,
        dependencies,
        live_ids: std::collections::BTreeMap::new(),
        notes: Vec::new(),
    })
}
