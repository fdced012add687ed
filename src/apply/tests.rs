//! The graph walk against an in-memory client: order, the concurrency limit, failures and
//! what they skip, and ids handed from a create to what depends on it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::{ApplyOptions, Outcome, apply};
use crate::observed::Observed;
use crate::plan::{Action, Change, Plan};
use crate::provider::http::{HttpClient, RetryPolicy};
use crate::provider::{Call, Provider, ProviderError, Run, Vendor};

/// A client that writes nothing: it records when each change starts and ends, fails the
/// addresses it is told to, and gives every create an id.
#[derive(Debug)]
struct Fake {
    http: HttpClient,
    fail: Vec<String>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    /// (address, "start" | "end"), in the order they happened.
    events: Mutex<Vec<(String, &'static str)>>,
    /// For each change, the ids it saw when it started.
    seen: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl Fake {
    fn new(fail: &[&str]) -> Arc<Fake> {
        Arc::new(Fake {
            http: HttpClient::new("http://127.0.0.1:9", None, RetryPolicy::default()).unwrap(),
            fail: fail.iter().map(|a| (*a).to_owned()).collect(),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
            events: Mutex::default(),
            seen: Mutex::default(),
        })
    }

    fn position(&self, address: &str, what: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .position(|(a, w)| a == address && *w == what)
            .unwrap_or_else(|| panic!("{address} never had {what}"))
    }
}

impl Vendor for Fake {
    fn http(&self) -> &HttpClient {
        &self.http
    }

    fn observe(&self) -> Call<'_, Result<Observed, ProviderError>> {
        Box::pin(async { Ok(Observed::default()) })
    }

    fn get<'a>(
        &'a self,
        _kind: crate::model::Kind,
        _id: &'a str,
    ) -> Call<'a, Result<Value, ProviderError>> {
        Box::pin(async { Ok(Value::Null) })
    }

    fn execute<'a>(
        &'a self,
        change: &'a Change,
        run: &'a Run,
    ) -> Call<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            let address = change.address.clone();
            self.events.lock().unwrap().push((address.clone(), "start"));
            self.seen
                .lock()
                .unwrap()
                .insert(address.clone(), run.ids().clone());
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.events.lock().unwrap().push((address.clone(), "end"));
            if self.fail.contains(&address) {
                return Err(ProviderError::Cannot(format!("{address} refused")));
            }
            if change.action == Action::Create {
                run.record(&address, format!("id-of-{address}"));
            }
            Ok(json!({"address": address}))
        })
    }
}

fn create(address: &str) -> Change {
    Change {
        address: address.to_owned(),
        action: Action::Create,
        id: None,
        version: None,
        before: None,
        after: Some(BTreeMap::new()),
        changed_fields: Vec::new(),
        reasons: Vec::new(),
        warnings: Vec::new(),
        secrets: crate::plan::ChangeSecrets::default(),
        desired: crate::plan::Desired::default(),
    }
}

fn plan(addresses: &[&str], dependencies: &[(usize, usize)]) -> Plan {
    Plan {
        changes: addresses.iter().map(|a| create(a)).collect(),
        dependencies: dependencies.to_vec(),
        ..Plan::default()
    }
}

fn run(plan: &Plan, fake: &Arc<Fake>, parallelism: usize, fail_fast: bool) -> Vec<Outcome> {
    let provider = Provider::with_client(
        &crate::provider::native::VENDOR,
        Arc::clone(fake) as Arc<dyn Vendor>,
    );
    let options = ApplyOptions {
        parallelism,
        fail_fast,
        run_key: "test".to_owned(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(apply(plan, &provider, &options, &|_| {}))
        .outcomes
}

fn done(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Done { .. })
}

#[test]
fn a_change_starts_after_what_it_depends_on_and_sees_its_id() {
    let plan = plan(
        &["user.a", "group.g", "escalation_policy.p"],
        &[(0, 1), (1, 2)],
    );
    let fake = Fake::new(&[]);
    let outcomes = run(&plan, &fake, 8, false);
    assert!(outcomes.iter().all(done), "{outcomes:?}");
    assert!(fake.position("user.a", "end") < fake.position("group.g", "start"));
    assert!(fake.position("group.g", "end") < fake.position("escalation_policy.p", "start"));
    let seen = fake.seen.lock().unwrap();
    assert_eq!(
        seen["group.g"].get("user.a").map(String::as_str),
        Some("id-of-user.a")
    );
    assert!(
        seen["user.a"].is_empty(),
        "nothing was made before the first change"
    );
}

#[test]
fn no_more_than_parallelism_changes_are_in_flight() {
    let addresses: Vec<String> = (0..8).map(|i| format!("user.u{i}")).collect();
    let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let plan = plan(&addresses, &[]);
    let fake = Fake::new(&[]);
    let outcomes = run(&plan, &fake, 3, false);
    assert!(outcomes.iter().all(done));
    let most = fake.most_in_flight.load(Ordering::SeqCst);
    assert!(
        (2..=3).contains(&most),
        "at most 3 in flight, and more than one: {most}"
    );
    // Independent changes are taken in plan order: the first three started are the plan's
    // first three (which of them records its start first is up to the task scheduler).
    let mut starts: Vec<String> = fake
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, w)| *w == "start")
        .map(|(a, _)| a.clone())
        .collect();
    starts[..3].sort();
    assert_eq!(starts[..3], addresses[..3]);
}

#[test]
fn a_failure_skips_its_dependents_and_lets_other_branches_finish() {
    // user.a ← group.g ← escalation_policy.p, and user.b on its own.
    let plan = plan(
        &["user.a", "group.g", "escalation_policy.p", "user.b"],
        &[(0, 1), (1, 2)],
    );
    let fake = Fake::new(&["group.g"]);
    let outcomes = run(&plan, &fake, 1, false);
    assert!(done(&outcomes[0]));
    assert!(
        matches!(&outcomes[1], Outcome::Failed { message } if message == "group.g refused"),
        "{:?}",
        outcomes[1]
    );
    assert!(
        matches!(&outcomes[2], Outcome::Skipped { reason } if reason.contains("group.g")),
        "{:?}",
        outcomes[2]
    );
    assert!(done(&outcomes[3]), "an independent branch still runs");
    assert!(
        fake.events
            .lock()
            .unwrap()
            .iter()
            .all(|(a, _)| a != "escalation_policy.p"),
        "a skipped change is never sent"
    );
}

#[test]
fn fail_fast_starts_nothing_after_a_failure() {
    let plan = plan(&["user.a", "user.b", "user.c"], &[]);
    let fake = Fake::new(&["user.a"]);
    let outcomes = run(&plan, &fake, 1, true);
    assert!(matches!(outcomes[0], Outcome::Failed { .. }));
    for outcome in &outcomes[1..] {
        assert!(
            matches!(outcome, Outcome::Skipped { reason } if reason.contains("--fail-fast")),
            "{outcome:?}"
        );
    }
    assert_eq!(fake.events.lock().unwrap().len(), 2, "only user.a was sent");
}
