//! Carries out a plan through a provider: each change starts as soon as what it depends on is
//! done, at most `parallelism` at a time. A failure skips what depends on it and lets
//! independent branches go on (or, with `fail_fast`, starts nothing new).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinSet;

use crate::model::Kind;
use crate::plan::{Action, Change, Plan};
use crate::provider::{Provider, Run};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Calls in flight at most.
    pub parallelism: usize,
    /// After a failure, start nothing new.
    pub fail_fast: bool,
    /// Identifies this plan against this live state; idempotency keys derive from it.
    pub run_key: String,
}

/// How one change ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done {
        elapsed: Duration,
        /// The object as created or updated (null after a delete).
        object: Value,
    },
    Failed {
        message: String,
    },
    Skipped {
        reason: String,
    },
}

/// Progress, as it happens.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    Started(&'a Change),
    Finished(&'a Change, &'a Outcome),
}

/// Every change's outcome, in plan order.
#[derive(Debug, Clone)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(o)).count()
    }

    pub fn succeeded(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Done { .. }))
    }
}

/// Applies `plan`, calling `progress` as changes start and finish.
pub async fn apply(
    plan: &Plan,
    provider: &Provider,
    options: &ApplyOptions,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> Report {
    let n = plan.changes.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting_on: Vec<usize> = vec![0; n];
    for &(before, after) in &plan.dependencies {
        dependents[before].push(after);
        waiting_on[after] += 1;
    }
    let run = Arc::new(Run::new(plan.live_ids.clone(), options.run_key.clone()));
    let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
    // Plan order is a safe order; among ready changes keep to it.
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n)
        .filter(|&i| waiting_on[i] == 0)
        .map(Reverse)
        .collect();
    let mut running: JoinSet<(usize, Outcome)> = JoinSet::new();
    let mut stopped = false;
    loop {
        while !stopped && running.len() < options.parallelism.max(1) {
            let Some(Reverse(i)) = ready.pop() else { break };
            let change = plan.changes[i].clone();
            progress(Event::Started(&plan.changes[i]));
            let (provider, run) = (provider.clone(), Arc::clone(&run));
            running.spawn(async move {
                let started = Instant::now();
                let outcome = match provider.execute(&change, &run).await {
                    Ok(object) => Outcome::Done {
                        elapsed: started.elapsed(),
                        object,
                    },
                    Err(err) => Outcome::Failed {
                        message: err.to_string(),
                    },
                };
                (i, outcome)
            });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (i, outcome) = joined.unwrap_or_else(|e| {
            (
                usize::MAX,
                Outcome::Failed {
                    message: e.to_string(),
                },
            )
        });
        if i == usize::MAX {
            continue;
        }
        progress(Event::Finished(&plan.changes[i], &outcome));
        let failed = matches!(outcome, Outcome::Failed { .. });
        outcomes[i] = Some(outcome);
        if failed {
            stopped |= options.fail_fast;
            // Nothing that depends on a failed change may start.
            let reason = format!("depends on {}, which failed", plan.changes[i].address);
            let mut stack = dependents[i].clone();
            while let Some(d) = stack.pop() {
                if outcomes[d].is_none() {
                    outcomes[d] = Some(Outcome::Skipped {
                        reason: reason.clone(),
                    });
                    stack.extend(dependents[d].iter().copied());
                }
            }
        } else {
            for &d in &dependents[i] {
                waiting_on[d] -= 1;
                if waiting_on[d] == 0 && outcomes[d].is_none() {
                    ready.push(Reverse(d));
                }
            }
        }
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| Outcome::Skipped {
                reason: "not started: --fail-fast stopped the run after a failure".to_owned(),
            })
        })
        .collect();
    Report { outcomes }
}

/// Deletes and replaces above `max_delete_percent` of a kind's live objects (kinds with at least
/// 10) need `--force`. The messages say what and by how much.
pub fn delete_threshold_problems(
    plan: &Plan,
    live_counts: &BTreeMap<Kind, usize>,
    max_delete_percent: u8,
) -> Vec<String> {
    let mut problems = Vec::new();
    for kind in Kind::ALL {
        let live = live_counts.get(kind).copied().unwrap_or(0);
        if live < 10 {
            continue;
        }
        let destroyed = plan
            .changes
            .iter()
            .filter(|c| c.kind() == *kind && matches!(c.action, Action::Delete | Action::Replace))
            .count();
        if destroyed * 100 > live * usize::from(max_delete_percent) {
            problems.push(format!(
                "the plan deletes or replaces {destroyed} of {live} live {} ({}%), more than settings.max_delete_percent ({max_delete_percent}%); check the plan, then pass --force to apply it",
                kind.plural(),
                destroyed * 100 / live
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests;
