//! The memory benchmark of a standalone `mpcert serve` (run it with `scripts/bench-memory`). It
//! owns the whole measurement: it starts the release binary's service with a short idle expiry,
//! samples the service's resident set size (`VmRSS`, and the kernel's per-phase high-water mark)
//! throughout, and drives phases against it — A: `RUNS` full certification runs of the
//! reference client (`mpcert run --target`, `PARALLEL` at a time), then the wait until their
//! sessions expire; B: a `FLOOD_SECS` hot-polling flood (`GET stores`) of one session's case from
//! `FLOOD_TASKS` concurrent tasks while a second session is probed every 100 ms for its latency,
//! then the flooded case is finished and must say it was truncated; C (only when
//! `TOKEN_FLOOD_SECS` is set): the same flood aimed at the token endpoint. It prints one summary
//! table of RSS start, peak and end per phase against the 64 MB target. A measurement, not a
//! test: it exits 0 however slow the machine or however high the RSS, and non-zero only for a
//! defect — a run that fails other than on timing alone, a service that dies or stops
//! answering, a flooded recording that is not truncated. The service is killed on every exit
//! path (and by the kernel if this process itself is killed).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::{Value, json};

/// The binary under measurement, built by cargo in the bench's own profile (release).
const MPCERT: &str = env!("CARGO_BIN_EXE_mpcert");
/// The operator token the service requires and the runs present.
const OPERATOR_TOKEN: &str = "bench-memory-operator-token";
/// The service's time scale.
const TIME_SCALE: &str = "0.01";
/// The service's idle expiry, in seconds.
const IDLE_SECS: u64 = 2;
/// The RSS every phase's peak should stay under.
const TARGET_BYTES: u64 = 64 * 1000 * 1000;
/// How often the service's RSS is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// How often the second session is probed during the flood.
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// The PoS call the flood and the probe make.
const STORES_QUERY: &str = "/pos/v10/stores?merchantBrandId=MPPOSCERT1&merchantLocationId=00001";
/// The client version the flood's sessions declare (and send as the PoS header).
const CLIENT_VERSION: &str = "2.1.0";

/// The knobs, from the environment.
struct Knobs {
    runs: usize,
    parallel: usize,
    flood_secs: u64,
    flood_tasks: usize,
    token_flood_secs: u64,
}

fn knob<T: std::str::FromStr>(name: &str, default: T) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|e| anyhow!("{name}={text}: {e}")),
        Err(_) => Ok(default),
    }
}

impl Knobs {
    fn from_env() -> Result<Self> {
        let knobs = Knobs {
            runs: knob("RUNS", 500)?,
            parallel: knob("PARALLEL", 2)?,
            flood_secs: knob("FLOOD_SECS", 10)?,
            flood_tasks: knob("FLOOD_TASKS", 16)?,
            token_flood_secs: knob("TOKEN_FLOOD_SECS", 0)?,
        };
        ensure!(knobs.runs >= 1, "RUNS must be at least 1");
        ensure!(knobs.parallel >= 1, "PARALLEL must be at least 1");
        ensure!(knobs.flood_secs >= 1, "FLOOD_SECS must be at least 1");
        ensure!(knobs.flood_tasks >= 1, "FLOOD_TASKS must be at least 1");
        Ok(knobs)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A `/proc/PID/status` field in bytes (`VmRSS`, `VmHWM`).
fn proc_status_bytes(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| {
            let value = line.strip_prefix(field)?.strip_prefix(':')?;
            value.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
        .map(|kb| kb * 1024)
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status (has the service exited?)"))
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

/// What the service has logged so far, counted from its stderr (`MPCERT_LOG=mpcert=info`).
#[derive(Default)]
struct LogCounts {
    created: AtomicU64,
    expired: AtomicU64,
    /// The last lines, to show when the service dies.
    tail: Mutex<Vec<String>>,
}

/// The `mpcert serve` child, killed when dropped.
struct Service {
    child: Child,
    pid: u32,
    url: String,
    log: Arc<LogCounts>,
}

impl Service {
    /// Starts the service on an ephemeral port and waits for the line that names its address.
    fn start() -> Result<Self> {
        let mut command = Command::new(MPCERT);
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--time-scale",
                TIME_SCALE,
            ])
            .args(["--session-idle-timeout", &IDLE_SECS.to_string()])
            .env("MPCERT_SERVICE_TOKEN", OPERATOR_TOKEN)
            .env("MPCERT_LOG", "mpcert=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {MPCERT} serve"))?;
        let pid = child.id();
        let log = Arc::new(LogCounts::default());
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        // From here on `service` owns the child: an early return kills it.
        let mut service = Service {
            child,
            pid,
            url: String::new(),
            log: log.clone(),
        };
        if let Some(stderr) = stderr {
            thread::spawn(move || count_log_lines(stderr, &log));
        }
        let stdout = stdout.ok_or_else(|| anyhow!("the service's stdout is not piped"))?;
        let (ready, address) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut announced = None;
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some((_, url)) = line.split_once("listening on ") {
                    announced = Some(url.trim().to_string());
                    break;
                }
            }
            let _ = ready.send(announced);
            // Keep draining, so the service never blocks on a full pipe.
            for _ in lines {}
        });
        match address.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(url)) => service.url = url,
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                service.check_alive()?;
                bail!("the service closed its stdout without announcing its address");
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                bail!("the service did not announce its address within 30 s")
            }
        }
        Ok(service)
    }

    /// An error if the service has exited (it never should: that is a crash).
    fn check_alive(&mut self) -> Result<()> {
        match self
            .child
            .try_wait()
            .context("cannot wait for the service")?
        {
            None => Ok(()),
            Some(status) => {
                // Give the stderr reader a moment to collect the last words.
                thread::sleep(Duration::from_millis(200));
                let tail = lock(&self.log.tail).join("\n");
                bail!("the service exited ({status}); its last log lines:\n{tail}")
            }
        }
    }

    fn rss(&self) -> Result<u64> {
        proc_status_bytes(self.pid, "VmRSS")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn count_log_lines(stderr: impl Read, log: &LogCounts) {
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if line.contains("session created") {
            log.created.fetch_add(1, Ordering::Relaxed);
        } else if line.contains("idle session expired") {
            log.expired.fetch_add(1, Ordering::Relaxed);
        }
        let mut tail = lock(&log.tail);
        if tail.len() == 20 {
            tail.remove(0);
        }
        tail.push(line);
    }
}

/// Samples the service's RSS in the background until dropped.
struct Sampler {
    samples: Arc<Mutex<Vec<(Instant, u64)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (samples, stop) = (samples.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match proc_status_bytes(pid, "VmRSS") {
                        Ok(rss) => lock(&samples).push((Instant::now(), rss)),
                        Err(_) => return,
                    }
                    thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        Sampler {
            samples,
            stop,
            thread: Some(thread),
        }
    }

    /// The highest sample taken since `since`.
    fn peak_since(&self, since: Instant) -> u64 {
        lock(&self.samples)
            .iter()
            .filter(|(at, _)| *at >= since)
            .map(|(_, rss)| *rss)
            .max()
            .unwrap_or(0)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One phase's RSS: at its start, its peak (the kernel's high-water mark since the start, or the
/// highest sample), at its end, after its sessions expired.
struct PhaseRss {
    /// Whether the kernel's high-water mark was reset at the start.
    exact: bool,
    started: Instant,
    start: u64,
    peak: u64,
    end: u64,
    after_expiry: Option<u64>,
}

impl PhaseRss {
    /// Starts a phase: resets the kernel's peak (`VmHWM`) so the phase's own peak is exact, not
    /// only as fine as the 50 ms samples (where the kernel refuses, the samples remain).
    fn begin(service: &Service) -> Result<Self> {
        let exact = std::fs::write(format!("/proc/{}/clear_refs", service.pid), "5").is_ok();
        let start = service.rss()?;
        Ok(PhaseRss {
            exact,
            started: Instant::now(),
            start,
            peak: start,
            end: start,
            after_expiry: None,
        })
    }

    fn end(&mut self, service: &Service, sampler: &Sampler) -> Result<()> {
        self.end = service.rss()?;
        let kernel_peak = if self.exact {
            proc_status_bytes(service.pid, "VmHWM")?
        } else {
            0
        };
        self.peak = self
            .peak
            .max(self.end)
            .max(sampler.peak_since(self.started))
            .max(kernel_peak);
        Ok(())
    }
}

/// A line of the summary table.
struct Row {
    phase: String,
    work: String,
    rss: PhaseRss,
}

/// Phase A's outcome.
struct Runs {
    /// Session ids of the passed runs, in the order they finished.
    sessions: Vec<String>,
    /// Runs that failed only on timing rules, with what they said.
    timing_only: Vec<String>,
    wall: Duration,
}

/// How one run ended, when it did not reveal a defect.
enum RunEnd {
    /// Every case passed; the session id from the certificate.
    Passed(String),
    /// Cases failed, but only on timing rules: the scheduler of a busy machine was late, which
    /// says nothing about the service's memory. The failing findings.
    TimingOnly(String),
}

/// Runs `mpcert run --target` `knobs.runs` times, `knobs.parallel` at a time. A run that fails
/// other than on timing alone is a defect and stops the phase.
fn certification_runs(service: &Service, knobs: &Knobs) -> Result<Runs> {
    let reports = tempfile::tempdir().context("cannot create a directory for the run reports")?;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let ends: Mutex<Vec<RunEnd>> = Mutex::new(Vec::new());
    let began = Instant::now();
    thread::scope(|scope| {
        for _ in 0..knobs.parallel {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= knobs.runs || lock(&failure).is_some() {
                        break;
                    }
                    let report = reports.path().join(format!("run-{index}.json"));
                    match one_run(&service.url, &report) {
                        Ok(end) => {
                            if let RunEnd::TimingOnly(findings) = &end {
                                eprintln!("  run {index} failed on timing only: {findings}");
                            }
                            lock(&ends).push(end);
                            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                            if finished % 50 == 0 || finished == knobs.runs {
                                let rss = service.rss().map(mb).unwrap_or_else(|_| "?".into());
                                eprintln!(
                                    "  {finished}/{} runs, {:.0} s, service RSS {rss} MB",
                                    knobs.runs,
                                    began.elapsed().as_secs_f64()
                                );
                            }
                        }
                        Err(e) => {
                            lock(&failure).get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = lock(&failure).take() {
        return Err(e);
    }
    let mut runs = Runs {
        sessions: Vec::new(),
        timing_only: Vec::new(),
        wall: began.elapsed(),
    };
    for end in std::mem::take(&mut *lock(&ends)) {
        match end {
            RunEnd::Passed(session) => runs.sessions.push(session),
            RunEnd::TimingOnly(findings) => runs.timing_only.push(findings),
        }
    }
    Ok(runs)
}

/// One certification run, judged by its exit code and its JSON report.
fn one_run(url: &str, report_path: &std::path::Path) -> Result<RunEnd> {
    use mpcert::judge::timing::{POLL_DELAY, TIMEOUT};
    use mpcert::report::{RunReport, Verdict};

    let output = Command::new(MPCERT)
        .args(["run", "--target", url, "-q", "--report"])
        .arg(report_path)
        .env("MPCERT_SERVICE_TOKEN", OPERATOR_TOKEN)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start {MPCERT} run"))?;
    let failed = || {
        anyhow!(
            "a certification run did not pass ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let code = output.status.code();
    let (passed, failed_cases) = (
        Some(i32::from(mpcert::exit::PASSED)),
        Some(i32::from(mpcert::exit::FAILED)),
    );
    if code != passed && code != failed_cases {
        return Err(failed());
    }
    let text = std::fs::read(report_path).with_context(failed)?;
    let _ = std::fs::remove_file(report_path);
    let report: RunReport = serde_json::from_slice(&text)
        .with_context(|| format!("the run's report {} is unreadable", report_path.display()))?;
    if code == passed {
        let certificate = report
            .certificate
            .ok_or_else(|| anyhow!("a run exited 0 without a certificate"))?;
        return Ok(RunEnd::Passed(certificate.session_id));
    }
    let mut timing = Vec::new();
    for case in report.categories.iter().flat_map(|c| c.cases.iter()) {
        match &case.verdict {
            Verdict::Passed => {}
            Verdict::Failed { findings }
                if findings
                    .iter()
                    .all(|f| f.rule == TIMEOUT || f.rule == POLL_DELAY) =>
            {
                timing.extend(
                    findings
                        .iter()
                        .map(|f| format!("{} [{}] {}", case.id, f.rule, f.message)),
                );
            }
            _ => return Err(failed()),
        }
    }
    ensure!(!timing.is_empty(), "{}", failed());
    Ok(RunEnd::TimingOnly(timing.join("; ")))
}

fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client")
}

fn session_url(base: &str, id: &str) -> String {
    format!("{base}/certification/v1/sessions/{id}")
}

/// Whether the session at `url` is gone: it answers 404 (401 while it lives, as this call does
/// not present its token — and so does not keep it alive either).
async fn is_gone(http: &reqwest::Client, url: &str) -> Result<bool> {
    let status = http
        .get(url)
        .bearer_auth("not-the-session-token")
        .send()
        .await
        .context("the session API did not answer")?
        .status()
        .as_u16();
    match status {
        404 => Ok(true),
        401 => Ok(false),
        other => bail!("GET {url} without its token answered {other}, not 401 or 404"),
    }
}

/// Waits (at most idle expiry + 15 s) until the sessions are gone: `last` (the session last
/// used) answers 404, and the service has logged as many expirations as creations. How long
/// it took, or `None` if they were not gone in time.
fn wait_for_expiry(
    service: &mut Service,
    runtime: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    last: &str,
) -> Result<Option<Duration>> {
    let began = Instant::now();
    let limit = Duration::from_secs(IDLE_SECS + 15);
    loop {
        service.check_alive()?;
        let logged_all = service.log.expired.load(Ordering::Relaxed)
            >= service.log.created.load(Ordering::Relaxed);
        if logged_all && runtime.block_on(is_gone(http, last))? {
            return Ok(Some(began.elapsed()));
        }
        if began.elapsed() > limit {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// An open session of phase B.
struct Opened {
    url: String,
    token: String,
    client_id: String,
    client_secret: String,
    merchant_vat: String,
}

async fn send_json(request: reqwest::RequestBuilder, what: &str) -> Result<(u16, Value)> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{what}: no answer"))?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

fn text(value: &Value, key: &str) -> Result<String> {
    value[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no `{key}` in {value}"))
}

/// Opens a session (exec adapter, every case of the built-in catalogue) with the operator token.
async fn open_session(http: &reqwest::Client, base: &str, cases: &[String]) -> Result<Opened> {
    let catalogue = mpcert::catalogue::builtin::load().context("the built-in catalogue")?;
    let request = json!({
        "clientName": "mpcert memory bench",
        "clientVersion": CLIENT_VERSION,
        "adapter": { "kind": "exec", "commandDigest": "ab".repeat(32) },
        "catalogue": { "builtin": { "digest": catalogue.digest } },
        "cases": cases,
    });
    let (status, created) = send_json(
        http.post(format!("{base}/certification/v1/sessions"))
            .bearer_auth(OPERATOR_TOKEN)
            .json(&request),
        "create session",
    )
    .await?;
    ensure!(
        status == 201,
        "creating a session answered {status}: {created}"
    );
    Ok(Opened {
        url: session_url(base, &text(&created, "sessionId")?),
        token: text(&created, "sessionToken")?,
        client_id: text(&created, "clientId")?,
        client_secret: text(&created, "clientSecret")?,
        merchant_vat: text(&created, "merchantVat")?,
    })
}

/// A PoS access token of the session.
async fn pos_token(http: &reqwest::Client, base: &str, session: &Opened) -> Result<String> {
    let (status, body) = send_json(
        http.post(format!("{base}/integrator-authentication/connect/token"))
            .basic_auth(&session.client_id, Some(&session.client_secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("merchant_vat", session.merchant_vat.as_str()),
            ]),
        "token",
    )
    .await?;
    ensure!(
        status == 200,
        "the token endpoint answered {status}: {body}"
    );
    text(&body, "access_token")
}

fn stores(http: &reqwest::Client, base: &str, token: &str) -> reqwest::RequestBuilder {
    http.get(format!("{base}{STORES_QUERY}"))
        .bearer_auth(token)
        .header("X-MobilePay-Client-System-Version", CLIENT_VERSION)
}

/// What the flood's tasks counted.
#[derive(Default)]
struct FloodCounts {
    ok: AtomicU64,
    refreshed: AtomicU64,
    other_status: AtomicU64,
    failed: AtomicU64,
}

/// What a flood hammers.
#[derive(Clone, Copy, PartialEq)]
enum Hammered {
    /// `GET /pos/v10/stores`: a read, as a client polling in a tight loop makes.
    Stores,
    /// The token endpoint: a new access token per call, as a client that never reuses one.
    Tokens,
}

impl Hammered {
    fn call(self) -> &'static str {
        match self {
            Hammered::Stores => "GET stores",
            Hammered::Tokens => "POST token",
        }
    }
}

/// One flooding task: calls as fast as answers come, until `until`; for `GET stores`, a new
/// token when the old one expires (its lifetime is 37 s at time scale 0.01).
async fn flood_task(
    http: reqwest::Client,
    base: Arc<str>,
    session: Arc<Opened>,
    hammered: Hammered,
    until: Instant,
    counts: Arc<FloodCounts>,
) -> Result<()> {
    let mut token = pos_token(&http, &base, &session).await?;
    while Instant::now() < until {
        let request = match hammered {
            Hammered::Stores => stores(&http, &base, &token),
            Hammered::Tokens => http
                .post(format!("{base}/integrator-authentication/connect/token"))
                .basic_auth(&session.client_id, Some(&session.client_secret))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("merchant_vat", session.merchant_vat.as_str()),
                ]),
        };
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let _ = response.bytes().await;
                match status {
                    200 => counts.ok.fetch_add(1, Ordering::Relaxed),
                    401 if hammered == Hammered::Stores => {
                        token = pos_token(&http, &base, &session).await?;
                        counts.refreshed.fetch_add(1, Ordering::Relaxed)
                    }
                    _ => counts.other_status.fetch_add(1, Ordering::Relaxed),
                };
            }
            Err(_) => {
                counts.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

/// Probes the second session every [`PROBE_EVERY`] until `until`, on a runtime of its own (so
/// the flood's tasks do not queue ahead of it in this process); the latency of each answer.
fn probe(base: String, session: Opened, until: Instant) -> Result<Vec<Duration>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the probe's runtime")?;
    runtime.block_on(async move {
        let http = http_client()?;
        let mut token = pos_token(&http, &base, &session).await?;
        let mut latencies = Vec::new();
        let mut ticks = tokio::time::interval(PROBE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while Instant::now() < until {
            ticks.tick().await;
            let sent = Instant::now();
            let response = stores(&http, &base, &token)
                .send()
                .await
                .context("the probed session's call got no answer")?;
            let status = response.status().as_u16();
            let _ = response.bytes().await;
            match status {
                200 => latencies.push(sent.elapsed()),
                401 => token = pos_token(&http, &base, &session).await?,
                other => bail!("the probed session's GET stores answered {other}"),
            }
        }
        Ok(latencies)
    })
}

/// Phase B's outcome.
struct Flood {
    /// The flooded session's URL.
    session: String,
    counts: Arc<FloodCounts>,
    secs: f64,
    latencies: Vec<Duration>,
    case: String,
    record: Value,
}

/// Floods one session's first case and probes a second session; finishes the flooded case.
async fn flood(
    service: &Service,
    (hammered, flood_secs, tasks): (Hammered, u64, usize),
    http: &reqwest::Client,
    rss: &mut Option<PhaseRss>,
) -> Result<Flood> {
    let base = service.url.clone();
    let catalogue = mpcert::catalogue::builtin::load().context("the built-in catalogue")?;
    let cases: Vec<String> = catalogue
        .categories
        .iter()
        .flat_map(|category| {
            category
                .cases
                .iter()
                .map(move |case| format!("{}/{}", category.header.id, case.case.id))
        })
        .collect();
    let case = cases
        .first()
        .cloned()
        .ok_or_else(|| anyhow!("the built-in catalogue has no case"))?;
    let flooded = Arc::new(open_session(http, &base, &cases).await?);
    let probed = open_session(http, &base, &cases).await?;
    let (status, body) = send_json(
        http.post(format!("{}/cases/{case}/start", flooded.url))
            .bearer_auth(&flooded.token),
        "start case",
    )
    .await?;
    ensure!(status == 200, "starting {case} answered {status}: {body}");

    *rss = Some(PhaseRss::begin(service)?);
    let began = Instant::now();
    let until = began + Duration::from_secs(flood_secs);
    let counts = Arc::new(FloodCounts::default());
    let probe_base = base.clone();
    let prober = thread::spawn(move || probe(probe_base, probed, until));
    let base: Arc<str> = base.into();
    let tasks: Vec<_> = (0..tasks)
        .map(|_| {
            tokio::spawn(flood_task(
                http.clone(),
                base.clone(),
                flooded.clone(),
                hammered,
                until,
                counts.clone(),
            ))
        })
        .collect();
    for task in tasks {
        task.await.context("a flood task panicked")??;
    }
    let secs = began.elapsed().as_secs_f64();
    let latencies = prober.join().map_err(|_| anyhow!("the probe panicked"))??;

    let (status, record) = send_json(
        http.post(format!("{}/finish", flooded.url))
            .bearer_auth(&flooded.token)
            .json(&json!({})),
        "finish case",
    )
    .await?;
    ensure!(
        status == 200,
        "finishing {case} answered {status}: {record}"
    );
    Ok(Flood {
        session: flooded.url.clone(),
        counts,
        secs,
        latencies,
        case,
        record,
    })
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "mpcert serve memory (RSS in MB; time scale {TIME_SCALE}, idle expiry {IDLE_SECS} s, \
         MALLOC_ARENA_MAX={})",
        std::env::var("MALLOC_ARENA_MAX").unwrap_or_else(|_| "unset".into())
    );
    println!(
        "{:<24} {:<34} {:>7} {:>7} {:>7} {:>13}  target < 64 MB",
        "phase", "work", "start", "peak", "end", "after expiry"
    );
    for row in rows {
        let verdict = if row.rss.peak < TARGET_BYTES {
            "ok"
        } else {
            "over"
        };
        println!(
            "{:<24} {:<34} {:>7} {:>7} {:>7} {:>13}  {verdict}",
            row.phase,
            row.work,
            mb(row.rss.start),
            mb(row.rss.peak),
            mb(row.rss.end),
            row.rss.after_expiry.map(mb).unwrap_or_else(|| "-".into()),
        );
    }
    let exact = rows.iter().all(|row| row.rss.exact);
    println!(
        "peak: {}",
        if exact {
            "the kernel's high-water mark (VmHWM) since the phase started, exact"
        } else {
            "the highest 50 ms sample (the kernel refused to reset VmHWM)"
        }
    );
}

/// A flood phase: floods one session's first case with `hammered` for `secs` from `tasks`
/// tasks while a second session is probed, finishes the case (its record must say `truncated`
/// when it made more calls than a case keeps), waits for both sessions to expire. Its row of
/// the table, and the lines that detail it.
fn flood_phase(
    service: &mut Service,
    (runtime, http, sampler): (&tokio::runtime::Runtime, &reqwest::Client, &Sampler),
    (phase, hammered, secs): (&str, Hammered, u64),
    tasks: usize,
) -> Result<(Row, Vec<String>)> {
    let call = hammered.call();
    eprintln!(
        "phase {phase}: {secs} s flood of one session's {call} from {tasks} tasks, a second \
         session probed every {} ms",
        PROBE_EVERY.as_millis()
    );
    let mut flood_rss = None;
    let flooded = runtime.block_on(flood(
        service,
        (hammered, secs, tasks),
        http,
        &mut flood_rss,
    ));
    service.check_alive()?;
    let flooded = flooded?;
    let mut rss = flood_rss.ok_or_else(|| anyhow!("the flood never started"))?;
    rss.end(service, sampler)?;
    let gone = wait_for_expiry(service, runtime, http, &flooded.session)?;
    rss.after_expiry = gone.map(|_| service.rss()).transpose()?;

    let counts = &flooded.counts;
    let ok = counts.ok.load(Ordering::Relaxed);
    let answered = ok + counts.other_status.load(Ordering::Relaxed);
    let truncated = &flooded.record["truncated"];
    let dropped = truncated["dropped"].as_u64();
    let limit = mpcert::service::recorder::MAX_CASE_EXCHANGES as u64;
    ensure!(
        answered <= limit || dropped.is_some(),
        "{answered} calls were answered in the flooded case, more than the {limit} a case keeps, \
         yet its record does not say `truncated`"
    );
    let rate = ok as f64 / flooded.secs;
    let mut latencies = flooded.latencies.clone();
    latencies.sort();
    let or_dash = |value: Option<u64>| value.map_or_else(|| "-".into(), |v| v.to_string());
    let lines = vec![
        format!(
            "phase {phase}: {ok} {call} answered 200 in {:.1} s = {rate:.0} requests/s from \
             {tasks} tasks ({} token refreshes, {} other statuses, {} transport errors)",
            flooded.secs,
            counts.refreshed.load(Ordering::Relaxed),
            counts.other_status.load(Ordering::Relaxed),
            counts.failed.load(Ordering::Relaxed),
        ),
        format!(
            "  flooded case {}: verdict {}, truncated: kept {}, dropped {} ({} bytes)",
            flooded.case,
            flooded.record["verdict"]["kind"].as_str().unwrap_or("?"),
            or_dash(truncated["kept"].as_u64()),
            or_dash(dropped),
            or_dash(truncated["droppedBytes"].as_u64()),
        ),
        format!(
            "  second session's GET stores during the flood: {} calls, latency median {}, p90 {}, \
             max {}",
            latencies.len(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.9)),
            ms(latencies.last().copied().unwrap_or_default()),
        ),
    ];
    let what = match hammered {
        Hammered::Stores => "flood",
        Hammered::Tokens => "token flood",
    };
    let row = Row {
        phase: format!("{phase}: {secs} s {what}"),
        work: format!("{ok} requests ({rate:.0}/s)"),
        rss,
    };
    Ok((row, lines))
}

fn bench(knobs: &Knobs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let http = http_client()?;

    let mut service = Service::start()?;
    let sampler = Sampler::start(service.pid);
    eprintln!(
        "service {} (pid {}) ready, RSS {} MB",
        service.url,
        service.pid,
        mb(service.rss()?)
    );
    let mut rows = Vec::new();

    eprintln!(
        "phase A: {} certification runs, {} at a time",
        knobs.runs, knobs.parallel
    );
    let mut rss = PhaseRss::begin(&service)?;
    let runs = certification_runs(&service, knobs);
    service.check_alive()?;
    let mut runs = runs?;
    rss.end(&service, &sampler)?;
    let last = runs
        .sessions
        .last()
        .map(|id| session_url(&service.url, id))
        .ok_or_else(|| anyhow!("no run passed, so no session is known"))?;
    let gone = wait_for_expiry(&mut service, &runtime, &http, &last)?;
    rss.after_expiry = gone.map(|_| service.rss()).transpose()?;
    let first = runs.sessions.first().cloned().unwrap_or_default();
    ensure!(
        gone.is_none() || runtime.block_on(is_gone(&http, &session_url(&service.url, &first)))?,
        "the last session expired but the first ({first}) is still there"
    );
    eprintln!(
        "  sessions: {} created and {} expired by the service's log; {}",
        service.log.created.load(Ordering::Relaxed),
        service.log.expired.load(Ordering::Relaxed),
        gone.map_or_else(
            || format!("NOT all gone within {} s of the last run", IDLE_SECS + 15),
            |after| format!("all gone {:.1} s after the last run", after.as_secs_f64())
        )
    );
    let runs_done = runs.sessions.len() + runs.timing_only.len();
    let timing_only = std::mem::take(&mut runs.timing_only);
    let runs_passed = runs.sessions.len();
    rows.push(Row {
        phase: format!("A: {} runs", knobs.runs),
        work: format!(
            "{runs_done} sessions in {:.0} s ({:.2} runs/s)",
            runs.wall.as_secs_f64(),
            runs_done as f64 / runs.wall.as_secs_f64()
        ),
        rss,
    });

    let mut details = Vec::new();
    let (row, lines) = flood_phase(
        &mut service,
        (&runtime, &http, &sampler),
        ("B", Hammered::Stores, knobs.flood_secs),
        knobs.flood_tasks,
    )?;
    rows.push(row);
    details.extend(lines);
    if knobs.token_flood_secs > 0 {
        let (row, lines) = flood_phase(
            &mut service,
            (&runtime, &http, &sampler),
            ("C", Hammered::Tokens, knobs.token_flood_secs),
            knobs.flood_tasks,
        )?;
        rows.push(row);
        details.extend(lines);
    }

    print_table(&rows);
    println!(
        "runs: {runs_passed} passed, {} failed on timing rules alone (a late scheduler on a busy \
         machine, not a defect){}",
        timing_only.len(),
        if timing_only.is_empty() { "" } else { ":" }
    );
    for findings in &timing_only {
        println!("  {findings}");
    }
    for line in details {
        println!("{line}");
    }
    drop(sampler);
    Ok(())
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and gets no 5-minute run.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("service_memory: a benchmark; run it with `cargo bench --bench service_memory`");
        return ExitCode::SUCCESS;
    }
    let outcome = Knobs::from_env().and_then(|knobs| bench(&knobs));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("service_memory: {e:#}");
            ExitCode::FAILURE
        }
    }
}
