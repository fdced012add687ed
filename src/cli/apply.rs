//! `alertform apply [PATH | PLAN.json]`

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::plan::config_digest;
use super::service::{Connection, ServiceArgs, with_service};
use super::{Checked, default_path, load_checked, report_invalid, report_plan_errors};
use crate::apply::{ApplyOptions, Event, Outcome, apply, delete_threshold_problems};
use crate::exit::ExitStatus;
use crate::model::Kind;
use crate::plan::render::{self, SavedPlan, Style};
use crate::plan::{Action, Plan, PlanOptions};
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file or directory, or a plan saved with `plan --out` (applied without asking,
    /// after checking that nothing changed since).
    #[arg(default_value_os_t = default_path())]
    path: PathBuf,
    /// Apply without asking (required when there is no terminal).
    #[arg(long)]
    auto_approve: bool,
    /// Limit the run to this resource (`KIND.KEY`) and what it depends on; repeatable.
    #[arg(long = "target", value_name = "ADDR")]
    targets: Vec<String>,
    #[command(flatten)]
    service: ServiceArgs,
    /// Calls in flight at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    parallelism: u16,
    /// After a failure, start nothing new (calls in flight finish).
    #[arg(long)]
    fail_fast: bool,
    /// Apply even when deletes and replaces exceed `settings.max_delete_percent`.
    #[arg(long)]
    force: bool,
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let saved = if args.path.extension().is_some_and(|e| e == "json") && args.path.is_file() {
        match read_saved(&args.path) {
            Ok(saved) => Some(saved),
            Err(message) => {
                printer.note(format!("error: {message}"));
                return ExitStatus::Failure;
            }
        }
    } else {
        None
    };
    let config_path = saved
        .as_ref()
        .map_or_else(|| args.path.clone(), |s| PathBuf::from(&s.config));
    let flag = args.service.provider.or_else(|| {
        saved
            .as_ref()
            .and_then(|s| crate::model::ProviderName::parse(&s.plan.target.provider))
    });
    let checked = match load_checked(&config_path, flag) {
        Ok(checked) => checked,
        Err(invalid) => return report_invalid(&invalid, printer),
    };
    let digest = config_digest(&checked.sources);
    let given = saved.as_ref().map_or(&args.targets, |s| &s.targets);
    let Some(options) = super::plan_options(&checked, given, printer) else {
        return ExitStatus::Failure;
    };
    with_service(
        &args.service,
        checked.provider,
        Some(&config_path),
        printer,
        async |connection| {
            let run = Run {
                args,
                printer,
                connection,
                checked: &checked,
                digest: &digest,
                saved: saved.as_ref(),
            };
            run.execute(options).await
        },
    )
}

fn read_saved(path: &Path) -> Result<SavedPlan, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| {
        format!(
            "`{}` is not a plan saved by `plan --out`: {e}",
            path.display()
        )
    })?;
    if saved.plan.format_version != render::FORMAT_VERSION {
        return Err(format!(
            "`{}` has plan format {}, this alertform reads {}",
            path.display(),
            saved.plan.format_version,
            render::FORMAT_VERSION
        ));
    }
    Ok(saved)
}

struct Run<'a> {
    args: &'a Args,
    printer: &'a Printer,
    connection: &'a Connection,
    checked: &'a Checked,
    digest: &'a str,
    saved: Option<&'a SavedPlan>,
}

impl Run<'_> {
    async fn execute(&self, options: PlanOptions) -> ExitStatus {
        let printer = self.printer;
        let planned =
            match super::plan_checked(self.connection, self.checked, &options, printer).await {
                Ok(planned) => planned,
                Err(status) => return status,
            };
        let observed = planned.observed;
        let versions: BTreeMap<String, u64> = observed
            .versions()
            .map(|(_, id, v)| (id.to_owned(), v))
            .collect();
        if let Some(saved) = self.saved {
            let drift = drift(saved, self.digest, &versions);
            if !drift.is_empty() {
                printer.note("error: the saved plan is stale; run `alertform plan --out` again. What changed since:");
                for line in drift {
                    printer.note(format!("  - {line}"));
                }
                return ExitStatus::Failure;
            }
        }
        let plan = match planned.plan {
            Ok(plan) => plan,
            Err(errors) => return report_plan_errors(&errors, self.checked, printer, false),
        };
        if let Some(saved) = self.saved
            && saved.plan.changes != plan.changes
        {
            printer.note("error: planning again gives other changes than the saved plan; run `alertform plan --out` again");
            return ExitStatus::Failure;
        }
        printer.out(
            render::text(
                &plan,
                &self.connection.header(),
                Style {
                    color: printer.color(),
                    diff: false,
                },
            )
            .trim_end(),
        );
        if plan.is_empty() {
            return ExitStatus::Success;
        }
        if let Some(refused) = planned.refused {
            printer.note(format!("error: {refused}; nothing was changed"));
            return ExitStatus::Failure;
        }
        let mut live_counts: BTreeMap<Kind, usize> = BTreeMap::new();
        for (kind, _, _) in observed.versions() {
            *live_counts.entry(kind).or_default() += 1;
        }
        let problems = delete_threshold_problems(
            &plan,
            &live_counts,
            self.checked.model.settings.max_delete_percent,
        );
        if !problems.is_empty() && !self.args.force {
            for problem in problems {
                printer.note(format!("error: {problem}"));
            }
            return ExitStatus::Failure;
        }
        if self.saved.is_none() && !self.args.auto_approve && !confirm(printer) {
            return ExitStatus::Failure;
        }
        // Same config, same live state, same plan: same key, so a retried create is recognised.
        let mut parts: Vec<Vec<u8>> = vec![self.digest.as_bytes().to_vec()];
        parts.extend(
            versions
                .iter()
                .map(|(id, v)| format!("{id}={v}").into_bytes()),
        );
        parts.push(render::json(&plan, self.connection.target.clone()).into_bytes());
        let run_key = crate::digest::sha256_parts(parts.iter().map(Vec::as_slice));
        self.carry_out(&plan, run_key).await
    }

    async fn carry_out(&self, plan: &Plan, run_key: String) -> ExitStatus {
        let printer = self.printer;
        let options = ApplyOptions {
            parallelism: usize::from(self.args.parallelism),
            fail_fast: self.args.fail_fast,
            run_key,
        };
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(plan.changes.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        let in_flight = std::sync::Mutex::new(Vec::<String>::new());
        let progress = |event: Event<'_>| match event {
            Event::Started(change) => {
                let mut flight = in_flight.lock().expect("progress lock");
                flight.push(change.address.clone());
                if let Some(bar) = &bar {
                    bar.set_message(flight.join(", "));
                }
            }
            Event::Finished(change, outcome) => {
                let mut flight = in_flight.lock().expect("progress lock");
                flight.retain(|a| a != &change.address);
                let line = match outcome {
                    Outcome::Done { elapsed, .. } => {
                        format!(
                            "✓ {} {} ({} ms)",
                            change.action.symbol(),
                            change.address,
                            elapsed.as_millis()
                        )
                    }
                    Outcome::Failed { message } => {
                        format!("✗ {} {}: {message}", change.action.symbol(), change.address)
                    }
                    Outcome::Skipped { reason } => format!(
                        "- {} {}: skipped, {reason}",
                        change.action.symbol(),
                        change.address
                    ),
                };
                match &bar {
                    Some(bar) => {
                        bar.inc(1);
                        bar.set_message(flight.join(", "));
                        bar.println(line);
                    }
                    None => printer.out(line),
                }
            }
        };
        printer.out("");
        let report = apply(plan, &self.connection.provider, &options, &progress).await;
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let done = report.count(|o| matches!(o, Outcome::Done { .. }));
        let failed = report.count(|o| matches!(o, Outcome::Failed { .. }));
        let skipped = report.count(|o| matches!(o, Outcome::Skipped { .. }));
        for (change, outcome) in plan.changes.iter().zip(&report.outcomes) {
            if let Outcome::Skipped { reason } = outcome {
                printer.out(format!(
                    "- {} {}: skipped, {reason}",
                    change.action.symbol(),
                    change.address
                ));
            }
        }
        let http = self.connection.provider.http();
        tracing::info!(
            requests = http.requests(),
            retries = http.retries(),
            "apply finished"
        );
        if report.succeeded() {
            printer.out(format!(
                "\nApply complete: {done} change{} made.",
                if done == 1 { "" } else { "s" }
            ));
        } else {
            printer.out(format!("\nApply failed: {done} done, {failed} failed, {skipped} skipped. Run apply again to finish what is left."));
            for (change, outcome) in plan.changes.iter().zip(&report.outcomes) {
                if let Outcome::Failed { message } = outcome {
                    printer.out(format!("  ✗ {}: {message}", change.address));
                }
            }
        }
        self.point_sources(plan, &report.outcomes);
        if report.succeeded() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        }
    }

    /// The `show --reveal` command for `address` that works where apply ran: the config's path
    /// unless it is the working directory, and the endpoint and provider when they were given
    /// as flags (from the environment they are there for `show` too). A token given as a flag
    /// is never printed: the hint then says to give it the same way.
    fn show_command(&self, address: &str) -> String {
        let quoted = |text: &str| {
            if text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-:@".contains(c))
            {
                text.to_owned()
            } else {
                format!("'{}'", text.replace('\'', "'\\''"))
            }
        };
        let mut command = format!("alertform show {address}");
        let config = self
            .saved
            .map_or_else(|| self.args.path.clone(), |s| PathBuf::from(&s.config));
        if config != Path::new(".") {
            let _ = write!(
                command,
                " --config {}",
                quoted(&config.display().to_string())
            );
        }
        let from_env = |name: &str, value: &str| std::env::var(name).is_ok_and(|v| v == value);
        let target = &self.connection.target;
        if !target.embedded && !from_env("ALERTFORM_ENDPOINT", &target.endpoint) {
            let _ = write!(command, " --endpoint {}", quoted(&target.endpoint));
        }
        if let Some(provider) = self.args.service.provider
            && !from_env("ALERTFORM_PROVIDER", provider.as_str())
        {
            let _ = write!(command, " --provider {provider}");
        }
        command.push_str(" --reveal");
        let mut said = format!("`{command}`");
        if self.args.service.token.is_some()
            && !target.embedded
            && std::env::var_os("ALERTFORM_TOKEN").is_none()
        {
            said.push_str(" with the same --token");
        }
        said
    }

    /// Where to point source systems for new integrations. Keys are not printed unasked.
    fn point_sources(&self, plan: &Plan, outcomes: &[Outcome]) {
        let mut lines = Vec::new();
        for (change, outcome) in plan.changes.iter().zip(outcomes) {
            let (Action::Create | Action::Replace, Kind::Integration, Outcome::Done { object, .. }) =
                (change.action, change.kind(), outcome)
            else {
                continue;
            };
            // The vendor's key or link is a secret: alertform shows where to find it, not it.
            let vendor = self.connection.provider.descriptor();
            match vendor.integration_endpoint {
                crate::provider::IntegrationEndpoint::Shown => {}
                crate::provider::IntegrationEndpoint::Secret(where_) => {
                    lines.push(format!("  {}: {where_}", change.address));
                    continue;
                }
                crate::provider::IntegrationEndpoint::OnIntegrationPage => {
                    lines.push(format!(
                        "  {}: its URL or inbound email holds a secret; copy it from the integration's page in {}",
                        change.address, vendor.display_name
                    ));
                    continue;
                }
            }
            match object["channel"].as_str() {
                Some("email") => lines.push(format!(
                    "  {}: send alerts to {}",
                    change.address,
                    object["mailbox"].as_str().unwrap_or("?")
                )),
                Some("api" | "heartbeat") => lines.push(format!(
                    "  {}: the endpoint URL holds a secret key; see it with {}",
                    change.address,
                    self.show_command(&change.address)
                )),
                _ => {}
            }
        }
        if !lines.is_empty() {
            self.printer
                .out("\nPoint the source systems at the new integrations:");
            for line in lines {
                self.printer.out(line);
            }
        }
    }
}

/// What changed since a saved plan was made: the config, or any live object.
fn drift(saved: &SavedPlan, digest: &str, now: &BTreeMap<String, u64>) -> Vec<String> {
    let mut changes = Vec::new();
    if saved.config_digest != digest {
        changes.push(format!("the config at `{}` changed", saved.config));
    }
    for (id, version) in &saved.versions {
        match now.get(id) {
            None => changes.push(format!("`{id}` was deleted")),
            Some(v) if v != version => {
                changes.push(format!("`{id}` changed (version {version} → {v})"));
            }
            Some(_) => {}
        }
    }
    for id in now.keys().filter(|id| !saved.versions.contains_key(*id)) {
        changes.push(format!("`{id}` was created"));
    }
    changes
}

/// Asks on the terminal; only `yes` proceeds. Without a terminal, refuses.
fn confirm(printer: &Printer) -> bool {
    if !std::io::stdin().is_terminal() {
        printer.note("error: refusing to apply without a terminal to confirm on; pass --auto-approve (e.g. in CI), or apply a plan saved with `plan --out`");
        return false;
    }
    print!("\nApply these changes? Only 'yes' proceeds: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == "yes" {
        true
    } else {
        printer.note("Apply cancelled.");
        false
    }
}
