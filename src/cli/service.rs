//! Which service a command talks to: `--endpoint` / `ALERTFORM_ENDPOINT`, or the embedded local
//! service with its data in `.alertform/local/`, started in process for the command's duration.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::plan::render::Target;
use crate::provider::http::{HttpClient, RetryPolicy};
use crate::provider::native::NativeProvider;
use crate::server::{Faults, RunningServer, ServeOptions};

/// Where the embedded service keeps its data, relative to the working directory.
pub const EMBEDDED_DATA: &str = ".alertform/local";

#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// The service's base URL. Without it, an embedded local service is started with its data in
    /// `.alertform/local/`.
    #[arg(long, env = "ALERTFORM_ENDPOINT")]
    pub endpoint: Option<String>,
    /// API token for the service.
    #[arg(long, env = "ALERTFORM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// A connection to the service, and the embedded server when there is one.
pub struct Connection {
    pub provider: NativeProvider,
    pub target: Target,
    embedded: Option<RunningServer>,
}

impl Connection {
    /// The first line of human output: what the command runs against.
    pub fn header(&self) -> String {
        if self.target.embedded {
            format!(
                "Using the embedded local service (data in {EMBEDDED_DATA}/); set --endpoint or ALERTFORM_ENDPOINT to use another."
            )
        } else {
            format!("Using the service at {}.", self.target.endpoint)
        }
    }

    pub async fn connect(args: &ServiceArgs) -> Result<Connection, String> {
        let (endpoint, token, embedded) = if let Some(endpoint) = &args.endpoint {
            (
                endpoint.trim_end_matches('/').to_owned(),
                args.token.clone(),
                None,
            )
        } else {
            let server = crate::server::start(ServeOptions {
                listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                data_dir: PathBuf::from(EMBEDDED_DATA),
                owner_token: None,
                faults: Faults::default(),
            })
            .await
            .map_err(|e| format!("cannot start the embedded local service: {e}"))?;
            let token = server.owner_token.clone().ok_or_else(|| {
                format!("the embedded service has no owner token: {EMBEDDED_DATA}/owner.token is missing; delete {EMBEDDED_DATA} to start afresh")
            })?;
            (server.url.clone(), Some(token), Some(server))
        };
        let has_token = token.is_some();
        let http =
            HttpClient::new(&endpoint, token, RetryPolicy::default()).map_err(|e| e.to_string())?;
        Ok(Connection {
            provider: NativeProvider::new(http, has_token),
            target: Target {
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

/// Runs `command` with a connection to the service (embedded or not) on a fresh async runtime,
/// and stops the embedded service afterwards, whatever `command` returns.
pub fn with_service(
    service: &ServiceArgs,
    printer: &crate::printer::Printer,
    command: impl AsyncFnOnce(&Connection) -> crate::exit::ExitStatus,
) -> crate::exit::ExitStatus {
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    runtime.block_on(async {
        let connection = match Connection::connect(service).await {
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
