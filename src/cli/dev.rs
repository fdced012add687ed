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
    /// Compute every schedule's shifts over a window, and say how many and how long it took
    /// (the rotation maths alone: no output of the shifts).
    Shifts(ShiftsArgs),
    /// Print the provider feature matrix of the README and docs/providers/README.md, from the
    /// vendors' declared capabilities.
    FeatureMatrix,
}

#[derive(Debug, clap::Args)]
pub struct ShiftsArgs {
    path: PathBuf,
    /// Start of the window (RFC 3339).
    #[arg(long, default_value = "2027-01-01T00:00:00Z")]
    from: String,
    #[arg(long, default_value_t = 365)]
    days: i64,
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
    /// The physical limit: the same list pages `plan` reads (1000 per page), each collection's
    /// first page at once, then all further pages at once; bodies read as generic JSON, no planning.
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
    /// Also this many schedules (three layers each) over the org's users.
    #[arg(long, default_value_t = 0)]
    schedules: usize,
    /// Generate an org this provider can hold (`grafana_oncall` adds the Grafana seed file).
    #[arg(long, value_parser = super::service::provider_name(), default_value = "alertform")]
    provider: crate::model::ProviderName,
}

pub fn run(command: &DevCommand, printer: &Printer) -> ExitStatus {
    match command {
        DevCommand::FeatureMatrix => {
            printer.out(crate::registry::feature_matrix().trim_end());
            ExitStatus::Success
        }
        DevCommand::Shifts(args) => shifts(args, printer),
        DevCommand::Baseline(args) => super::service::with_service(
            &args.service,
            args.service.provider_for(None),
            None,
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
            let vendor = crate::registry::vendor(args.provider);
            let profile = match vendor.generate {
                Ok(profile) => profile,
                Err(why) => {
                    printer.note(format!(
                        "error: dev generate has no {} org: {why}",
                        vendor.display_name
                    ));
                    return ExitStatus::Failure;
                }
            };
            let mut schedules = args.schedules;
            if let (true, crate::generate::Layers::None(why)) = (schedules > 0, profile.schedules) {
                printer.note(format!(
                    "note: --schedules left out: {why}, so the org holds only what {} can",
                    vendor.display_name
                ));
                schedules = 0;
            }
            let mut org = (profile.org)(args.objects);
            if schedules > 0 {
                crate::generate::page_schedules(&mut org.model, schedules);
                crate::generate::add_schedules(
                    &mut org.model,
                    args.objects,
                    schedules,
                    profile.schedules,
                );
            }
            let files = org.files(format);
            for (name, text) in files {
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

fn shifts(args: &ShiftsArgs, printer: &Printer) -> ExitStatus {
    let (_, model) = match crate::config::load(&args.path) {
        Ok(loaded) => loaded,
        Err(invalid) => return super::report_invalid(&invalid, printer),
    };
    let Ok(from) = args.from.parse::<jiff::Timestamp>() else {
        printer.note(format!("error: `{}` is not an RFC 3339 time", args.from));
        return ExitStatus::Failure;
    };
    let to = from
        .saturating_add(jiff::SignedDuration::from_hours(24 * args.days))
        .unwrap_or(from);
    let started = std::time::Instant::now();
    let mut count = 0;
    let mut layers = 0;
    for schedule in model.schedules.values() {
        layers += schedule.layers.len();
        if let Some(rota) = crate::schedule::Rota::new(schedule) {
            count += rota.shifts(from, to).len();
        }
    }
    printer.out(format!(
        "shifts: {count} over {} days for {} schedules ({layers} layers) in {:.3} s",
        args.days,
        model.schedules.len(),
        started.elapsed().as_secs_f64()
    ));
    ExitStatus::Success
}

/// Runs one baseline read and describes it: requests, concurrency, seconds.
async fn baseline(
    connection: &super::service::Connection,
    args: &BaselineArgs,
) -> Result<String, String> {
    let http = connection.provider.http().clone();
    let started = std::time::Instant::now();
    let (mode, requests, concurrency) = match args.mode {
        BaselineMode::Raw => {
            if !connection.provider.descriptor().bundled {
                return Err("--mode raw reads alertform's own API only".to_owned());
            }
            let requests = raw_read(&http).await?;
            ("raw", requests, requests)
        }
        BaselineMode::Terraform => {
            // Terraform knows the ids from its state file: listing them is not timed.
            let vendor = connection.provider.descriptor();
            let paths = vendor.terraform_paths.map_err(|why| {
                format!(
                    "--mode terraform has no {} pattern: {why}",
                    vendor.display_name
                )
            })?;
            let ids = paths(&http).await.map_err(|e| e.to_string())?;
            let requests = ids.len();
            let concurrency = args.concurrency.max(1);
            let started_reads = std::time::Instant::now();
            get_all(&http, ids, concurrency).await?;
            return Ok(format!(
                "baseline terraform: {requests} requests, {concurrency} in flight, {:.3} s",
                started_reads.elapsed().as_secs_f64()
            ));
        }
    };
    Ok(format!(
        "baseline {mode}: {requests} requests, {concurrency} in flight, {:.3} s",
        started.elapsed().as_secs_f64()
    ))
}

fn page_path(collection: &str, page: u64) -> String {
    format!("/api/v1/{collection}?page={page}&per_page=1000")
}

/// The physical limit of reading live state without knowing it beforehand: the first page of
/// every collection at once, then every further page at once as soon as its count is known (the
/// same requests `plan` makes), bodies read as generic JSON and dropped. Returns the request count.
async fn raw_read(http: &crate::provider::http::HttpClient) -> Result<usize, String> {
    use tokio::task::JoinSet;

    let mut kinds = JoinSet::new();
    for &kind in crate::model::Kind::ALL {
        let http = http.clone();
        kinds.spawn(async move {
            let collection = crate::api::collection(kind);
            let first = http
                .get(&page_path(collection, 1))
                .await
                .map_err(|e| e.to_string())?;
            let total_pages = first.body["total_pages"].as_u64().unwrap_or(1).max(1);
            let rest = (2..=total_pages)
                .map(|p| page_path(collection, p))
                .collect::<Vec<_>>();
            let more = rest.len();
            get_all(&http, rest, more.max(1)).await?;
            Ok::<usize, String>(1 + more)
        });
    }
    let mut requests = 0;
    while let Some(joined) = kinds.join_next().await {
        requests += joined.map_err(|e| e.to_string())??;
    }
    Ok(requests)
}

/// GETs every path with at most `concurrency` in flight, reading each body as generic JSON.
async fn get_all(
    http: &crate::provider::http::HttpClient,
    paths: Vec<String>,
    concurrency: usize,
) -> Result<(), String> {
    use std::sync::Arc;

    use tokio::sync::Semaphore;
    use tokio::task::JoinSet;

    let limit = Arc::new(Semaphore::new(concurrency));
    let mut running = JoinSet::new();
    for path in paths {
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
    Ok(())
}
