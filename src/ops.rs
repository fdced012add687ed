//! The operations the commands share (cargo's `ops`): each does its steps and returns a value,
//! which `cli/` renders and `apply` carries out. No printing here.

use crate::model::Model;
use crate::observed::Observed;
use crate::plan::{Plan, PlanError, PlanOptions};
use crate::provider::{Provider, ProviderError};

/// What planning found: the live state read, the plan or why there is none, and what the
/// provider would refuse before its first call.
#[derive(Debug)]
pub struct Planned {
    pub observed: Observed,
    pub plan: Result<Plan, Vec<PlanError>>,
    /// What apply would refuse before its first call (an Uptinio SMS target to create, a
    /// PagerDuty user with no `From`): a plan never promises what apply cannot do.
    pub refused: Option<ProviderError>,
}

/// Reads live state through `provider`, plans `model` against it, puts `notes` (what loading
/// did to the config for the provider) and the provider's own before the planner's notes, and
/// runs the provider's preflight over the plan. Only reading live state is an error here; the
/// rest is in the answer, for the caller to say in its order.
pub async fn plan(
    provider: &Provider,
    model: &Model,
    notes: &[String],
    options: &PlanOptions,
) -> Result<Planned, ProviderError> {
    let started = std::time::Instant::now();
    let observed = provider.observe().await?;
    tracing::info!(
        objects = observed.len(),
        requests = provider.http().requests(),
        elapsed_ms = started.elapsed().as_millis(),
        provider = provider.name().as_str(),
        "read live state"
    );
    let started = std::time::Instant::now();
    let plan = crate::plan::plan(model, &observed, options).map(|mut plan| {
        // Before the planner's own notes (secrets it cannot compare).
        let said = notes.iter().chain(&observed.notes).cloned();
        plan.notes.splice(0..0, said);
        plan
    });
    let refused = plan
        .as_ref()
        .ok()
        .and_then(|plan| provider.preflight(plan).err());
    tracing::info!(elapsed_ms = started.elapsed().as_millis(), "planned");
    Ok(Planned {
        observed,
        plan,
        refused,
    })
}
