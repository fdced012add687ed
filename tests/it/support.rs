//! Running the real binary from the repository root, with deterministic output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root, so paths in diagnostics are the short relative ones a user types.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `alertform ARGS` run in the repository root with colour off.
pub fn alertform(args: &[&str]) -> Output {
    alertform_in(&root(), args)
}

pub fn alertform_in(dir: &Path, args: &[&str]) -> Output {
    alertform_with(dir, args, &[])
}

/// `alertform ARGS` in `dir` with the environment variables `env` set (secrets of a config).
pub fn alertform_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alertform"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("ALERTFORM_ENDPOINT")
        .env_remove("ALERTFORM_TOKEN")
        .envs(env.iter().copied())
        .output()
        .expect("the alertform binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// A path relative to the repository root, with `/` separators, for arguments and snapshots.
pub fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// A real `alertform serve` on 127.0.0.1:0 with a temporary data directory; killed on drop.
pub struct TestServer {
    pub url: String,
    pub token: String,
    pub data: tempfile::TempDir,
    pub child: Option<std::process::Child>,
    client: reqwest::blocking::Client,
    /// Everything the server wrote to stderr.
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

/// The fault mix issue #6 asks apply to converge through: 10 % of requests fail, 5 % fail after
/// their write committed, and at most 50 requests a second.
pub const ISSUE_FAULTS: &[&str] = &[
    "--fail-rate",
    "0.1",
    "--fail-after-commit-rate",
    "0.05",
    "--rate-limit",
    "50",
];

pub const OWNER_TOKEN: &str = "af_test_owner_token_0123456789abcdef";

impl TestServer {
    pub fn start(extra: &[&str]) -> TestServer {
        let data = tempfile::tempdir().expect("a temp dir");
        let mut server = TestServer {
            url: String::new(),
            token: OWNER_TOKEN.to_owned(),
            data,
            child: None,
            client: http_client(),
            log: std::sync::Arc::default(),
        };
        server.spawn(extra);
        server
    }

    /// Starts the binary on the data directory; returns once it listens.
    pub fn spawn(&mut self, extra: &[&str]) {
        self.spawn_on("127.0.0.1:0", extra);
    }

    /// kill -9, then start again on the same data directory and the same port, so clients that
    /// were mid-request reconnect to it.
    pub fn crash_and_restart(&mut self, extra: &[&str]) {
        let listen = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        self.kill();
        self.spawn_on(&listen, extra);
    }

    fn spawn_on(&mut self, listen: &str, extra: &[&str]) {
        use std::io::BufRead;
        let data = self.data.path().to_str().unwrap().to_owned();
        let mut args = vec![
            "serve",
            "--listen",
            listen,
            "--data",
            &data,
            "--owner-token",
            OWNER_TOKEN,
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_alertform"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("alertform serve starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let mut lines = std::io::BufReader::new(stderr).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("serve printed `listening on` before exiting")
                .expect("stderr is text");
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.trim().to_owned();
            }
        };
        // Keep draining stderr (so the server never blocks on a full pipe) into the log.
        let log = std::sync::Arc::clone(&self.log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut log = log
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                log.push_str(&line);
                log.push('\n');
            }
        });
        self.url = url;
        self.child = Some(child);
    }

    /// Every file of the data directory as (path, text, lossily), for secrets greps; the owner
    /// token's file is left out (the one deliberate exception: the owner's way in).
    pub fn data_files(&self) -> Vec<(String, String)> {
        std::fs::read_dir(self.data.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.file_name().unwrap() != "owner.token")
            .map(|path| {
                let bytes = std::fs::read(&path).unwrap();
                (
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                )
            })
            .collect()
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The first log line `find` picks, waiting up to 10 s for it: the log is read from the
    /// server's stderr on another thread, so a line written just before an answer may still be
    /// on its way when the answer arrives.
    pub fn log_line<T>(&self, find: impl Fn(&str) -> Option<T>) -> Option<T> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let found = self.log().lines().find_map(&find);
            if found.is_some() || std::time::Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// kill -9, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::blocking::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
    }

    pub fn anonymous(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::blocking::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.url))
    }

    /// POST a JSON body as the owner; the status and parsed body.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        send(self.request(reqwest::Method::POST, path).json(body))
    }

    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        send(self.request(reqwest::Method::GET, path))
    }

    pub fn put(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        send(self.request(reqwest::Method::PUT, path).json(body))
    }

    pub fn delete(&self, path: &str) -> (u16, serde_json::Value) {
        send(self.request(reqwest::Method::DELETE, path))
    }

    /// Creates an object as the owner and returns its id, failing the test otherwise.
    pub fn create(&self, collection: &str, body: &serde_json::Value) -> String {
        let (status, created) = self.post(&format!("/api/v1/{collection}"), body);
        assert_eq!(status, 201, "creating in {collection}: {created}");
        created["id"].as_str().expect("an id").to_owned()
    }
}

impl TestServer {
    /// A request in Grafana OnCall's dialect: the bare token in `Authorization`.
    pub fn oncall(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        ONCALL.request(self, method, path)
    }

    /// Writes (POST, PUT, DELETE) answered so far on routes containing `route` ("" for all).
    pub fn writes(&self, route: &str) -> u64 {
        ["POST", "PUT", "DELETE"]
            .iter()
            .map(|m| self.requests_matching(&[&format!("method=\"{m}\""), route]))
            .sum()
    }

    /// Requests answered so far whose `/metrics` line contains every one of `parts` (e.g.
    /// `method="PUT"` and a route).
    pub fn requests_matching(&self, parts: &[&str]) -> u64 {
        let text = self
            .anonymous(reqwest::Method::GET, "/metrics")
            .send()
            .expect("the server answers")
            .text()
            .expect("a body");
        text.lines()
            .filter(|l| l.starts_with("alertform_http_requests_total{"))
            .filter(|l| parts.iter().all(|p| l.contains(p)))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// API requests the server has answered so far (from `/metrics`; `/metrics` itself excluded).
    pub fn api_requests(&self) -> u64 {
        let text = self
            .anonymous(reqwest::Method::GET, "/metrics")
            .send()
            .expect("the server answers")
            .text()
            .expect("a body");
        text.lines()
            .filter(|l| l.starts_with("alertform_http_requests_total{") && l.contains("/api/"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends a request; the status and the JSON body (null when empty).
pub fn send(request: reqwest::blocking::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().expect("a body");
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"))
    };
    (status, body)
}

/// Asserts the error shape and code of a response.
pub fn assert_error(response: &(u16, serde_json::Value), status: u16, code: &str) {
    assert_eq!(response.0, status, "{}", response.1);
    assert_eq!(response.1["error"]["code"], code, "{}", response.1);
    assert!(
        response.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "no message: {}",
        response.1
    );
}

/// An HTTP client for tests. reqwest is built without a default TLS crypto provider (the crate
/// installs ring itself), so tests install it too.
pub fn http_client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// A copy of the example directory `example` (relative to the repository) in a temp dir, to edit.
pub fn copy_example(example: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    for entry in std::fs::read_dir(root().join(example)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), config.join(entry.file_name())).unwrap();
    }
    (dir, config)
}

/// `alertform ARGS` from the repository's root against `server` as `provider` (the owner's
/// token; an `apply` without asking), with `env` set: the secrets a config reads.
pub fn run_with_env(
    server: &TestServer,
    provider: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--endpoint", &server.url, "--token", OWNER_TOKEN]);
    all.extend_from_slice(&["--provider", provider]);
    if args[0] == "apply" && !args.contains(&"--auto-approve") {
        all.push("--auto-approve");
    }
    alertform_with(&root(), &all, env)
}

/// `alertform dev generate --objects OBJECTS --out OUT EXTRA…`, which must succeed.
pub fn generate(out: &Path, objects: usize, extra: &[&str]) {
    let objects = objects.to_string();
    let mut args = vec![
        "dev",
        "generate",
        "--objects",
        &objects,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let made = alertform(&args);
    assert!(made.status.success(), "{}", stderr(&made));
}

/// Replaces `from` (which must be there) with `to` in the file at `path`.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "`{from}` not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// How the tests reach one vendor: its emulation's `--api` and seed, and the flags its commands
/// take against it. One harness for every vendor, so a vendor's tests need no helpers of their
/// own.
pub struct Vendor {
    /// `--api` and `--provider`.
    pub provider: &'static str,
    /// The emulation's seed, relative to the repository.
    pub seed: Option<&'static str>,
    /// Flags every command against the emulation takes (PagerDuty's `--from-email`).
    pub flags: &'static [&'static str],
    /// How a request to the emulation carries the token: (header, text before the token).
    pub auth: (&'static str, &'static str),
    /// How the vendor's lists are paged.
    pub paging: Paging,
}

/// How a vendor pages a list.
#[derive(Debug, Clone, Copy)]
pub enum Paging {
    /// `limit=100&offset=N`; whether another page follows, from a page and its item count.
    Offset(fn(&serde_json::Value, usize) -> bool),
    /// `PER_PAGE=100&page=N` (the page-size parameter's name given), until `next` is null (the
    /// bundled service; OnCall's Django REST framework).
    Page(&'static str),
}

pub const BUNDLED: Vendor = Vendor {
    provider: "alertform",
    seed: None,
    flags: &[],
    auth: ("authorization", "Bearer "),
    paging: Paging::Page("per_page"),
};

pub const ONCALL: Vendor = Vendor {
    provider: "grafana_oncall",
    seed: Some("examples/quickstart-oncall/grafana-oncall-seed.json"),
    flags: &[],
    auth: ("authorization", ""),
    paging: Paging::Page("perpage"),
};

/// Seeded with the example's account, which Alice owns; users are made as her.
pub const PAGERDUTY: Vendor = Vendor {
    provider: "pagerduty",
    seed: Some("examples/quickstart-pagerduty/pagerduty-seed.json"),
    flags: &["--from-email", "alice@example.com"],
    auth: ("authorization", "Token token="),
    paging: Paging::Offset(|page, _| page["more"] == true),
};

/// Seeded with the example's account, which Alice owns. The emulation runs without a rate
/// limit, so the client's assumed Opsgenie budget is lifted.
pub const OPSGENIE: Vendor = Vendor {
    provider: "opsgenie",
    seed: Some("examples/quickstart-opsgenie/opsgenie-seed.json"),
    flags: &["--rate-budget", "100000"],
    auth: ("authorization", "GenieKey "),
    paging: Paging::Offset(|page, _| !page["paging"]["next"].is_null()),
};

pub const ALERTOPS: Vendor = Vendor {
    provider: "alertops",
    seed: None,
    flags: &[],
    auth: ("api-key", ""),
    paging: Paging::Offset(|_, items| items == 100),
};

impl Vendor {
    /// Every object of the list at `path` (under `key` in each page), page after page in the
    /// vendor's way, each page read again while the fault knobs answer 429 or 503.
    pub fn list(&self, server: &TestServer, path: &str, key: &str) -> Vec<serde_json::Value> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut all: Vec<serde_json::Value> = Vec::new();
        let mut page = 1;
        loop {
            let url = match self.paging {
                Paging::Offset(_) => format!("{path}{separator}limit=100&offset={}", all.len()),
                Paging::Page(size) => format!("{path}{separator}{size}=100&page={page}"),
            };
            let (status, body) = retrying(50, std::time::Duration::from_millis(100), || {
                self.request(server, reqwest::Method::GET, &url)
            });
            assert_eq!(status, 200, "GET {url}: {body}");
            let items = body[key].as_array().cloned().unwrap_or_default();
            let more = match self.paging {
                Paging::Offset(more) => more(&body, items.len()),
                Paging::Page(_) => !body["next"].is_null(),
            };
            all.extend(items);
            if !more {
                return all;
            }
            page += 1;
        }
    }

    /// A request to `server` in the vendor's dialect: its token where the vendor takes it.
    pub fn request(
        &self,
        server: &TestServer,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::blocking::RequestBuilder {
        let (header, prefix) = self.auth;
        http_client()
            .request(method, format!("{}{path}", server.url))
            .header(header, format!("{prefix}{}", server.token))
    }

    /// The vendor's emulation (the bundled service for [`BUNDLED`]), with `extra` flags.
    pub fn server(&self, extra: &[&str]) -> TestServer {
        let seed = self.seed.map(|seed| root().join(seed));
        let mut args = Vec::new();
        if self.provider != BUNDLED.provider {
            args.extend(["--api", self.provider]);
        }
        if let Some(seed) = &seed {
            args.extend(["--seed", seed.to_str().unwrap()]);
        }
        args.extend_from_slice(extra);
        TestServer::start(&args)
    }

    /// `alertform COMMAND PATH` against `server` (applies auto-approved), then `extra`.
    pub fn run(&self, server: &TestServer, command: &str, path: &str, extra: &[&str]) -> Output {
        let mut args = self.flags.to_vec();
        args.extend_from_slice(extra);
        run_against(server, self.provider, command, path, &args)
    }

    /// `export --out OUT --format FORMAT` from `server`, which must succeed.
    /// [`Vendor::run`], which must succeed.
    pub fn run_ok(&self, server: &TestServer, command: &str, path: &str, extra: &[&str]) {
        let output = self.run(server, command, path, extra);
        assert!(
            output.status.success(),
            "{command} {path}: {}{}",
            stdout(&output),
            stderr(&output)
        );
    }

    pub fn export(&self, server: &TestServer, out: &Path, format: &str) {
        let output = alertform(
            &[
                "export",
                "--out",
                out.to_str().unwrap(),
                "--format",
                format,
                "--endpoint",
                &server.url,
                "--token",
                &server.token,
                "--provider",
                self.provider,
            ]
            .into_iter()
            .chain(self.flags.iter().copied())
            .collect::<Vec<_>>(),
        );
        assert!(output.status.success(), "{}", stderr(&output));
    }

    /// The exit status of `plan --detailed-exitcode`: 0 for no changes, 2 for changes.
    pub fn plan_code(&self, server: &TestServer, path: &str) -> Option<i32> {
        self.run(server, "plan", path, &["--detailed-exitcode"])
            .status
            .code()
    }
}

/// The object of `objects` named `name`.
pub fn by_name<'a>(objects: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    objects
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` among {objects:?}"))
}

/// Sends the request `make` builds until it is answered with neither 429 nor 503 (faults a test
/// injected), at most `attempts` times, `pause` apart; the last answer.
pub fn retrying(
    attempts: usize,
    pause: std::time::Duration,
    make: impl Fn() -> reqwest::blocking::RequestBuilder,
) -> (u16, serde_json::Value) {
    let mut answer = send(make());
    for _ in 1..attempts {
        if !matches!(answer.0, 429 | 503) {
            break;
        }
        std::thread::sleep(pause);
        answer = send(make());
    }
    answer
}

/// A vendor emulation (`serve --api API`) seeded from `seed` (relative to the repository).
pub fn vendor_server(api: &str, seed: &str, extra: &[&str]) -> TestServer {
    let seed = root().join(seed);
    let mut args = vec!["--api", api, "--seed", seed.to_str().unwrap()];
    args.extend_from_slice(extra);
    TestServer::start(&args)
}

/// `alertform COMMAND PATH` against `server` as `provider` (applies auto-approved), then `extra`.
pub fn run_against(
    server: &TestServer,
    provider: &str,
    command: &str,
    path: &str,
    extra: &[&str],
) -> Output {
    run_against_with(server, provider, command, path, extra, &[])
}

/// [`run_against`] with `env` set for the command.
pub fn run_against_with(
    server: &TestServer,
    provider: &str,
    command: &str,
    path: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut args = vec![
        command,
        path,
        "--endpoint",
        &server.url,
        "--token",
        &server.token,
        "--provider",
        provider,
    ];
    if command == "apply" {
        args.push("--auto-approve");
    }
    args.extend_from_slice(extra);
    alertform_with(&root(), &args, env)
}

/// A real HTTP receiver on 127.0.0.1 for webhook deliveries: answers each POST with the next of
/// `statuses` (the last one repeats) and keeps what it received.
pub struct WebhookReceiver {
    pub url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

/// One request a [`WebhookReceiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl WebhookReceiver {
    /// Listens on `listen` (`127.0.0.1:0` for any port) with a secret-looking path.
    pub fn start(listen: &str, statuses: &[u16]) -> WebhookReceiver {
        let listener = std::net::TcpListener::bind(listen).expect("a port for the receiver");
        let url = format!(
            "http://{}/hooks/T0000/B0000/xoxsecretwebhooktoken",
            listener.local_addr().unwrap()
        );
        let received: std::sync::Arc<std::sync::Mutex<Vec<Received>>> = std::sync::Arc::default();
        let statuses = statuses.to_vec();
        let log = std::sync::Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                let mut log = log.lock().unwrap();
                let status = statuses
                    .get(log.len())
                    .or(statuses.last())
                    .copied()
                    .unwrap_or(200);
                log.push(request);
                drop(log);
                let mut stream = stream;
                let _ = std::io::Write::write_all(
                    &mut stream,
                    format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                );
            }
        });
        WebhookReceiver { url, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// One HTTP/1.1 request: request line, headers, a `content-length` body.
fn read_request(stream: &std::net::TcpStream) -> Option<Received> {
    use std::io::{BufRead, Read};
    let mut reader = std::io::BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    })
}
