//! `alertform serve`: the bundled backing service, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::server::{Faults, ServeOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8765")]
    listen: SocketAddr,
    /// Where the database and the server key live.
    #[arg(long, default_value = ".alertform/server")]
    data: PathBuf,
    /// Accept this owner token instead of generating one on first start.
    #[arg(long, env = "ALERTFORM_OWNER_TOKEN", hide_env_values = true)]
    owner_token: Option<String>,
    /// Milliseconds added to every API request.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency: u64,
    /// Fraction (0–1) of API requests answered 503 before touching data.
    #[arg(long, default_value_t = 0.0, value_name = "P", value_parser = probability)]
    fail_rate: f64,
    /// Fraction (0–1) of writes that commit and are then answered 503.
    #[arg(long, default_value_t = 0.0, value_name = "P", value_parser = probability)]
    fail_after_commit_rate: f64,
    /// Requests per second per token (per minute with `--api pagerduty` and `--api uptinio`,
    /// whose limits are per minute: 960 models PagerDuty's, 100 Uptinio's standard plan); beyond
    /// it, 429.
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// With `--api pagerduty`: fraction of writes refused with PagerDuty's 400 for an account
    /// locked by concurrent changes ("could not be locked"; nothing is changed).
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    lock_rate: f64,
    /// Refuse (422) every write of an object with this name: a deterministic fault for tests.
    #[arg(long, value_name = "NAME", hide = true)]
    reject_name: Option<String>,
    /// Whose API to speak: `alertform` (the bundled service), or a local emulation of a
    /// vendor's API.
    #[arg(long, value_name = "PROVIDER", default_value = "alertform", value_parser = super::service::provider_name())]
    api: crate::model::ProviderName,
    /// For `--api grafana_oncall`: a JSON file of the Grafana org's teams and users (what Grafana
    /// syncs into OnCall), loaded at start: `{"teams": [{"name"}], "users": [{"email",
    /// "username", "role", "teams": [NAME]}]}`. For `--api pagerduty`: the account,
    /// `{"subdomain", "users": [{"name", "email", "role", "time_zone"}]}` (one user with role
    /// `owner`; without one, the account's owner is owner@example.com). For `--api uptinio`: the
    /// integrations made in Uptinio's web app, `{"integrations": [{"type": "sms", "phone_number"},
    /// {"type": "slack", "workspace", "channel", "deletable"?}]}`. For `--api alertops`: users and
    /// API keys acting as them, `{"users": [{"user_name", "first_name", "last_name", "roles"}],
    /// "api_keys": [{"key", "user_name"}]}`. For `--api opsgenie`: the account's users,
    /// `{"users": [{"username", "fullName", "role", "timeZone"}]}` (one with role `Owner`), and
    /// optionally `teams`, `schedules`, `escalations` and `integrations` as Opsgenie's create
    /// bodies.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Append every API exchange of a vendor emulation (`--api`) to FILE as JSON lines, for
    /// contract tests; the `Authorization` value is not written.
    #[arg(long, value_name = "FILE", hide = true)]
    record_exchanges: Option<PathBuf>,
}

fn probability(text: &str) -> Result<f64, String> {
    let p: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err("must be between 0 and 1".to_owned())
    }
}

pub fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let options = ServeOptions {
        listen: args.listen,
        data_dir: args.data.clone(),
        owner_token: args.owner_token.clone(),
        faults: Faults {
            latency: Duration::from_millis(args.latency),
            fail_rate: args.fail_rate,
            fail_after_commit_rate: args.fail_after_commit_rate,
            rate_limit: args.rate_limit,
            reject_name: args.reject_name.clone(),
            lock_rate: args.lock_rate,
        },
        dialect: crate::registry::emulation(args.api),
        seed: args.seed.clone(),
        record: args.record_exchanges.clone(),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            printer.note(format!("error: cannot start the async runtime: {err}"));
            return ExitStatus::Failure;
        }
    };
    runtime.block_on(async {
        let server = match crate::server::start(options).await {
            Ok(server) => server,
            Err(err) => {
                printer.note(format!("error: {err}"));
                return ExitStatus::Failure;
            }
        };
        if let (true, Some(token)) = (server.generated_owner_token, &server.owner_token) {
            // Shown once: it is stored only as a digest (and in owner.token, mode 0600).
            printer.note(format!(
                "owner token (shown once, also in {}): {token}",
                args.data.join("owner.token").display()
            ));
        }
        printer.note(format!(
            "speaking the {} API",
            crate::registry::vendor(args.api).display_name
        ));
        printer.note(format!("listening on {}", server.url));
        shutdown_signal().await;
        printer.note("shutting down");
        match server.stop().await {
            Ok(()) => ExitStatus::Success,
            Err(err) => {
                printer.note(format!("error: {err}"));
                ExitStatus::Failure
            }
        }
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
