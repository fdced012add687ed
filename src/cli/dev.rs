//! `alertform dev …`: tools for developing and benchmarking alertform, hidden from help.

use std::path::PathBuf;

use super::FileFormat;
use crate::config::source::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

#[derive(Debug, clap::Subcommand)]
pub enum DevCommand {
    /// Write a synthetic org of N objects.
    Generate(GenerateArgs),
    /// Read all live objects the way a baseline client would, and say how long it took.
    Baseline(BaselineArgs),
}

#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    #[arg(long, value_enum)]
    mode: BaselineMode,
    /// Requests in flight (Terraform's default parallelism is 10).
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    #[command(flatten)]
    service: super::service::ServiceArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BaselineMode {
    /// Terraform's refresh: one GET per object by id (ids known beforehand, as from a state file).
    Terraform,
    /// The physical limit: every list page at 1000 per page, all at once, bodies read as generic
    /// JSON (not into typed objects, no planning).
    Raw,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[arg(long)]
    objects: usize,
    #[arg(long, value_enum, default_value = "toml")]
    format: FileFormat,
    #[arg(long)]
    out: PathBuf,
}

pub fn run(command: &DevCommand, printer: &Printer) -> ExitStatus {
    match command {
        DevCommand::Baseline(args) => super::service::with_service(
            &args.service,
            printer,
            async |connection| match baseline(connection, args).await {
                Ok(line) => {
                    printer.out(line);
                    ExitStatus::Success
                }
                Err(message) => {
                    printer.note(format!("error: {message}"));
                    ExitStatus::Failure
                }
            },
        ),
        DevCommand::Generate(args) => {
            let format = Format::from(args.format);
            if let Err(err) = std::fs::create_dir_all(&args.out) {
                printer.note(format!(
                    "error: cannot create `{}`: {err}",
                    args.out.display()
                ));
                return ExitStatus::Failure;
            }
            for (name, text) in crate::generate::org(args.objects, format) {
                let path = args.out.join(name);
                if let Err(err) = std::fs::write(&path, text) {
                    printer.note(format!("error: cannot write `{}`: {err}", path.display()));
                    return ExitStatus::Failure;
                }
            }
            printer.note(format!(
                "wrote an org of about {} objects to {}",
                args.objects,
                args.out.display()
            ));
            ExitStatus::Success
        }
    }
}

/// Runs one baseline read and describes it: objects, requests, seconds.
async fn baseline(
    connection: &super::service::Connection,
    args: &BaselineArgs,
) -> Result<String, String> {
    use std::sync::Arc;

    use tokio::sync::Semaphore;
    use tokio::task::JoinSet;

    let http = connection.provider.http().clone();
    let pages =
        |collection: &str, page: u64| format!("/api/v1/{collection}?page={page}&per_page=1000");
    // What has to be known beforehand: for Terraform the ids (its state file), for the raw read
    // the page counts. Getting them is not timed.
    let mut work: Vec<String> = Vec::new();
    for collection in crate::model::Kind::ALL
        .iter()
        .map(|&kind| crate::api::collection(kind))
    {
        let first = http
            .get(&pages(collection, 1))
            .await
            .map_err(|e| e.to_string())?;
        let total_pages = first.body["total_pages"].as_u64().unwrap_or(0);
        match args.mode {
            BaselineMode::Raw => work.extend((1..=total_pages).map(|p| pages(collection, p))),
            BaselineMode::Terraform => {
                for page in 1..=total_pages {
                    let body = if page == 1 {
                        first.body.clone()
                    } else {
                        http.get(&pages(collection, page))
                            .await
                            .map_err(|e| e.to_string())?
                            .body
                    };
                    for object in body["results"].as_array().into_iter().flatten() {
                        work.push(format!(
                            "/api/v1/{collection}/{}",
                            object["id"].as_str().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    let concurrency = match args.mode {
        BaselineMode::Terraform => args.concurrency.max(1),
        BaselineMode::Raw => work.len().max(1),
    };
    let requests = work.len();
    let started = std::time::Instant::now();
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut running = JoinSet::new();
    for path in work {
        let (http, limit) = (http.clone(), Arc::clone(&limit));
        running.spawn(async move {
            let _permit = limit
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            http.get(&path).await.map(drop).map_err(|e| e.to_string())
        });
    }
    while let Some(joined) = running.join_next().await {
        joined.map_err(|e| e.to_string())??;
    }
    let mode = match args.mode {
        BaselineMode::Terraform => "terraform",
        BaselineMode::Raw => "raw",
    };
    Ok(format!(
        "baseline {mode}: {requests} requests, {concurrency} in flight, {:.3} s",
        started.elapsed().as_secs_f64()
    ))
}
