//! Which service a command talks to: `--provider` (or `settings.provider`) says whose API it
//! speaks; `--endpoint` / `ALERTFORM_ENDPOINT` says where. Without an endpoint, the embedded local
//! service is started in process for the command's duration, speaking that provider's API, with
//! its data in `.alertform/local/`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::model::ProviderName;
use crate::plan::render::Target;
use crate::provider::Provider;
use crate::provider::http::{HttpClient, RetryPolicy};
use crate::server::{Faults, RunningServer, ServeOptions};

/// Where the embedded service keeps its data, relative to the working directory.
pub const EMBEDDED_DATA: &str = ".alertform/local";

#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// The service's base URL. Without it, an embedded local service is started with its data in
    /// `.alertform/local/`.
    #[arg(long, env = "ALERTFORM_ENDPOINT", value_parser = endpoint_url)]
    pub endpoint: Option<String>,
    /// API token for the service.
    #[arg(long, env = "ALERTFORM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Whose API the service speaks: `alertform` (the bundled service) or a vendor's. Overrides
    /// `settings.provider`.
    #[arg(long, env = "ALERTFORM_PROVIDER", value_parser = provider_name())]
    pub provider: Option<ProviderName>,
    /// PagerDuty: the email of a user on the account, sent as `From` when creating users.
    /// The embedded emulation defaults to its account owner.
    #[arg(long, env = "ALERTFORM_PAGERDUTY_FROM", hide_env_values = true)]
    pub from_email: Option<String>,
    /// Requests per minute to send at most, retries included (a second's worth may go at once).
    /// Default: the vendor's where alertform assumes one (Opsgenie: 600; not for the embedded
    /// emulation), else none, and the service's rate-limit answers pace the client.
    #[arg(long, env = "ALERTFORM_RATE_BUDGET", value_name = "PER_MINUTE", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_budget: Option<u32>,
}

/// `--endpoint` / `ALERTFORM_ENDPOINT`: an http(s) URL with a host, checked before any request
/// (a value that can never work is not retried for seconds).
fn endpoint_url(text: &str) -> Result<String, String> {
    const EXAMPLE: &str =
        "the service's base URL, such as `https://oncall.example.com` or `http://127.0.0.1:8765`";
    if text.trim().is_empty() {
        return Err(format!(
            "the endpoint (`--endpoint` or ALERTFORM_ENDPOINT) is empty: give {EXAMPLE}, or leave it out for the embedded local service"
        ));
    }
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(text.to_owned())
        }
        Ok(url) => Err(format!(
            "the endpoint `{text}` is not an http or https URL (its scheme is `{}`): give {EXAMPLE}",
            url.scheme()
        )),
        Err(err) => Err(format!(
            "the endpoint `{text}` is not a URL ({err}): give {EXAMPLE}"
        )),
    }
}

/// The `--provider`/`--api` values: every registered vendor's name, which clap lists in `--help`
/// and in its error for another value (so no help text names the vendors by hand).
pub(super) fn provider_name() -> impl clap::builder::TypedValueParser<Value = ProviderName> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(ProviderName::NAMES)
        .map(|name| ProviderName::parse(&name).expect("a listed provider name"))
}

impl ServiceArgs {
    /// The provider: the flag, else the config's setting, else alertform's own.
    pub fn provider_for(&self, configured: Option<ProviderName>) -> ProviderName {
        self.provider.or(configured).unwrap_or_default()
    }
}

/// A connection to the service, and the embedded server when there is one.
pub struct Connection {
    pub provider: Provider,
    pub target: Target,
    embedded: Option<RunningServer>,
}

impl Connection {
    /// The first line of human output: which provider and which endpoint the command runs
    /// against.
    pub fn header(&self) -> String {
        let name = self.provider.name();
        let vendor = self.provider.descriptor();
        if self.target.embedded {
            let what = if vendor.bundled {
                "the embedded local service".to_owned()
            } else {
                format!("the embedded local {} emulation", vendor.display_name)
            };
            format!(
                "Using {what} (provider {name}, data in {EMBEDDED_DATA}/); set --endpoint or ALERTFORM_ENDPOINT to use another."
            )
        } else {
            let what = if vendor.bundled {
                "the alertform service"
            } else {
                vendor.display_name
            };
            format!(
                "Using {what} at {} (provider {name}).",
                self.target.endpoint
            )
        }
    }

    /// Connects to the service for `provider`. `config` is the config's path: the embedded
    /// emulation is seeded from its dialect's seed file beside it, if there is one.
    pub async fn connect(
        args: &ServiceArgs,
        provider: ProviderName,
        config: Option<&Path>,
    ) -> Result<Connection, String> {
        let (endpoint, token, embedded) = if let Some(endpoint) = &args.endpoint {
            (
                endpoint.trim_end_matches('/').to_owned(),
                args.token.clone(),
                None,
            )
        } else {
            let dialect = crate::registry::emulation(provider);
            let seed_file = dialect.seed_file;
            let seed = seed_file.and_then(|file| {
                config
                    .map(|c| {
                        if c.is_dir() {
                            c.to_owned()
                        } else {
                            c.parent().unwrap_or(Path::new(".")).to_owned()
                        }
                    })
                    .map(|dir| dir.join(file))
                    .filter(|seed| seed.is_file())
            });
            let server = crate::server::start(ServeOptions {
                listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                data_dir: PathBuf::from(EMBEDDED_DATA),
                owner_token: None,
                faults: Faults::default(),
                dialect,
                seed,
                record: None,
            })
            .await
            .map_err(|e| format!("cannot start the embedded local service: {e}"))?;
            let token = server.owner_token.clone().ok_or_else(|| {
                format!("the embedded service has no owner token: {EMBEDDED_DATA}/owner.token is missing; delete {EMBEDDED_DATA} to start afresh")
            })?;
            (server.url.clone(), Some(token), Some(server))
        };
        // The embedded emulation's acting user (PagerDuty's account owner) may create users.
        let acting_user = match (&args.from_email, &embedded) {
            (Some(from), _) => Some(from.clone()),
            (None, Some(server)) => server.acting_user.clone(),
            (None, None) => None,
        };
        let has_token = token.is_some();
        let mut http =
            HttpClient::new(&endpoint, token, RetryPolicy::default()).map_err(|e| e.to_string())?;
        // The vendor's assumed budget is for its real service; the embedded emulation has none.
        let vendor_budget = crate::registry::vendor(provider)
            .rate_budget
            .filter(|_| embedded.is_none());
        if let Some(per_minute) = args.rate_budget.or(vendor_budget) {
            tracing::info!(per_minute, "keeping to a rate budget");
            http = http.with_rate_budget(per_minute);
        }
        Ok(Connection {
            provider: Provider::new(
                crate::registry::vendor(provider),
                crate::provider::Connect {
                    http,
                    has_token,
                    acting_user,
                },
            ),
            target: Target {
                provider: provider.as_str().to_owned(),
                endpoint,
                embedded: embedded.is_some(),
            },
            embedded,
        })
    }

    /// Stops the embedded service, if this connection started one.
    pub async fn close(self) {
        if let Some(server) = self.embedded {
            let _ = server.stop().await;
        }
    }
}

/// Runs `command` with a connection to the service for `provider` (embedded or not) on a fresh
/// async runtime, and stops the embedded service afterwards, whatever `command` returns.
pub fn with_service(
    service: &ServiceArgs,
    provider: ProviderName,
    config: Option<&Path>,
    printer: &crate::printer::Printer,
    command: impl AsyncFnOnce(&Connection) -> crate::exit::ExitStatus,
) -> crate::exit::ExitStatus {
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    runtime.block_on(async {
        let connection = match Connection::connect(service, provider, config).await {
            Ok(connection) => connection,
            Err(message) => {
                printer.note(format!("error: {message}"));
                return crate::exit::ExitStatus::Failure;
            }
        };
        let status = command(&connection).await;
        connection.close().await;
        status
    })
}
