//! Carries out a plan through a provider: each change starts as soon as what it depends on is
//! done, at most `parallelism` at a time. A failure skips what depends on it and lets
//! independent branches go on (or, with `fail_fast`, starts nothing new).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::model::Kind;
use crate::plan::{Action, Attributes, Change, Plan};
use crate::provider::native::NativeProvider;

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
    provider: &NativeProvider,
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
    let ids: Arc<Mutex<BTreeMap<String, String>>> = Arc::new(Mutex::new(plan.live_ids.clone()));
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
            let (provider, ids, run_key) =
                (provider.clone(), Arc::clone(&ids), options.run_key.clone());
            running.spawn(async move {
                let started = Instant::now();
                let outcome = match execute(&change, &provider, &ids, &run_key).await {
                    Ok(object) => Outcome::Done {
                        elapsed: started.elapsed(),
                        object,
                    },
                    Err(message) => Outcome::Failed { message },
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

async fn execute(
    change: &Change,
    provider: &NativeProvider,
    ids: &Mutex<BTreeMap<String, String>>,
    run_key: &str,
) -> Result<Value, String> {
    let kind = change.kind();
    let live = || -> Result<(&str, u64), String> {
        Ok((
            change
                .id
                .as_deref()
                .ok_or("the plan has no id for this change")?,
            change
                .version
                .ok_or("the plan has no version for this change")?,
        ))
    };
    match change.action {
        Action::Create | Action::Replace => {
            if change.action == Action::Replace {
                let (id, version) = live()?;
                provider
                    .delete(kind, id, version)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let after = change.after.as_ref().ok_or("a create without attributes")?;
            // Built under the lock, not from a copy: copying every id per change is quadratic.
            let body = body(kind, after, &ids.lock().expect("ids lock"), true)?;
            let key = crate::digest::sha256_parts([run_key.as_bytes(), change.address.as_bytes()]);
            let created = provider
                .create(kind, &body, &key)
                .await
                .map_err(|e| e.to_string())?;
            ids.lock()
                .expect("ids lock")
                .insert(change.address.clone(), created.id.clone());
            Ok(created.object)
        }
        Action::Update => {
            let (id, version) = live()?;
            let after = change
                .after
                .as_ref()
                .ok_or("an update without attributes")?;
            let body = body(kind, after, &ids.lock().expect("ids lock"), false)?;
            let updated = provider
                .update(kind, id, version, &body)
                .await
                .map_err(|e| e.to_string())?;
            Ok(updated.object)
        }
        Action::Delete => {
            let (id, version) = live()?;
            provider
                .delete(kind, id, version)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Value::Null)
        }
    }
}

/// The API body for a change's attributes, with references turned into ids.
fn body(
    kind: Kind,
    a: &Attributes,
    ids: &BTreeMap<String, String>,
    create: bool,
) -> Result<Value, String> {
    let get = |field: &str| a.get(field).cloned().unwrap_or(Value::Null);
    let refs = |field: &str, of: Kind| -> Result<Vec<String>, String> {
        let list = a
            .get(field)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        ids_of(&list, of, ids)
    };
    Ok(match kind {
        Kind::User => json!({
            "name": get("name"), "email": get("email"), "phone": get("phone"),
            "role": get("role"), "time_zone": get("time_zone"),
        }),
        Kind::Group => json!({
            "name": get("name"), "description": get("description"),
            "member_user_ids": refs("members", Kind::User)?,
            "member_group_ids": refs("members", Kind::Group)?,
        }),
        Kind::EscalationPolicy => {
            let mut steps = Vec::new();
            for step in a
                .get("steps")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                let notify = step
                    .get("notify")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                steps.push(json!({
                    "delay_minutes": step.get("delay_minutes").cloned().unwrap_or(json!(0)),
                    "notify_user_ids": ids_of(&notify, Kind::User, ids)?,
                    "notify_group_ids": ids_of(&notify, Kind::Group, ids)?,
                }));
            }
            json!({"name": get("name"), "description": get("description"), "repeat": get("repeat"), "steps": steps})
        }
        Kind::Integration => {
            let policy = get("escalation_policy");
            let policy = policy.as_str().unwrap_or_default();
            let policy_id = ids
                .get(policy)
                .ok_or_else(|| format!("`{policy}` has no id: it was not created"))?;
            let mut settings = serde_json::Map::new();
            for field in ["interval_minutes", "chat_platform", "chat_channel"] {
                if let Some(value) = a.get(field).filter(|v| !v.is_null()) {
                    settings.insert(field.to_owned(), value.clone());
                }
            }
            let mut templates = serde_json::Map::new();
            for (key, value) in a {
                if let Some(field) = key.strip_prefix("templates.") {
                    templates.insert(field.to_owned(), value.clone());
                }
            }
            let mut body = json!({
                "name": get("name"), "escalation_policy_id": policy_id,
                "recipient_user_ids": refs("recipients", Kind::User)?,
                "recipient_group_ids": refs("recipients", Kind::Group)?,
                "enabled": get("enabled"), "settings": settings, "templates": templates,
            });
            if let Some(mailbox) = a.get("mailbox").filter(|v| !v.is_null()) {
                body["mailbox"] = mailbox.clone();
            }
            if create {
                body["channel"] = get("channel");
                body["template"] = get("template");
            }
            body
        }
    })
}

/// Ids of the addresses of `kind` in `list`.
fn ids_of(
    list: &[Value],
    kind: Kind,
    ids: &BTreeMap<String, String>,
) -> Result<Vec<String>, String> {
    let prefix = format!("{kind}.");
    list.iter()
        .filter_map(Value::as_str)
        .filter(|a| a.starts_with(&prefix))
        .map(|a| {
            ids.get(a)
                .cloned()
                .ok_or_else(|| format!("`{a}` has no id: it was not created"))
        })
        .collect()
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
