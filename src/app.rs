//! The commands behind the CLI — run, list, validate, serve, keygen — as library functions that return
//! what to print and the exit code, so the whole tool is callable from tests. Every failure that
//! stops a command is a [`CommandError`] carrying its exit code.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use tokio::sync::watch;

use crate::catalogue::{Catalogue, CatalogueError, load};
use crate::config::{CatalogueSource, RunConfig, ServeConfig, Target, UsageError};
use crate::driver::plan::Plan;
use crate::driver::{self, DriveSettings, Progress};
use crate::exit;
use crate::keys::PrivateKey;
use crate::keys::files::{KeyFileError, KeyPairPaths, write_pair};
use crate::ledger::{self, LedgerError};
use crate::output::write_atomically;
use crate::report::{RunReport, json, junit};
use crate::secret::Secret;
use crate::service::upstream::{Upstream, UpstreamError};
use crate::service::{self, ServiceOptions};

/// A command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A flag is wrong.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The catalogue cannot be read or is invalid.
    #[error(transparent)]
    Catalogue(#[from] load::LoadError),
    /// The selection names unknown ids.
    #[error(transparent)]
    Selection(#[from] driver::plan::SelectionError),
    /// The embedded service could not start.
    #[error(transparent)]
    Service(#[from] service::StartError),
    /// The TLS certificate or key of `mpcert serve` cannot be used.
    #[error(transparent)]
    Tls(#[from] service::tls::TlsError),
    /// The ledger `--record` names cannot be read.
    #[error("--record: {0}")]
    Ledger(#[from] LedgerError),
    /// The remote PoS target cannot be used: unreachable, untrusted, or refusing the
    /// credentials (or `--ca-cert` is unreadable).
    #[error(transparent)]
    Remote(#[from] UpstreamError),
    /// A key file cannot be written (`mpcert keygen`).
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
}

impl CommandError {
    /// The exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_)
            | CommandError::Catalogue(_)
            | CommandError::Selection(_)
            | CommandError::Tls(_) => exit::USAGE,
            CommandError::Remote(e) if e.is_usage() => exit::USAGE,
            CommandError::KeyFile(e) if e.is_usage() => exit::USAGE,
            CommandError::KeyFile(_) => exit::INFRASTRUCTURE,
            CommandError::Service(_) | CommandError::Remote(_) | CommandError::Ledger(_) => {
                exit::INFRASTRUCTURE
            }
        }
    }
}

/// Loads the catalogue from its source.
pub fn load_catalogue(source: &CatalogueSource) -> Result<Catalogue, load::LoadError> {
    match source {
        CatalogueSource::Builtin => crate::catalogue::builtin::load()
            .map_err(|e: CatalogueError| load::LoadError::Invalid(e)),
        CatalogueSource::Dir(dir) => load::load_dir(dir),
    }
}

fn check_output_dir(flag: &str, path: Option<&Path>) -> Result<(), UsageError> {
    let Some(path) = path else { return Ok(()) };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.is_dir() {
        Ok(())
    } else {
        Err(UsageError(format!(
            "{flag}: cannot write {}: directory {} does not exist",
            path.display(),
            dir.display()
        )))
    }
}

/// Checks the ledger `--record` names before the run: its directory must exist, and an existing
/// ledger must be well-formed (it is never rewritten, so a malformed one could not be recorded
/// into at the end).
fn check_ledger(path: Option<&Path>) -> Result<(), CommandError> {
    let Some(path) = path else { return Ok(()) };
    check_output_dir("--record", Some(path))?;
    ledger::check(path).map_err(|e| match e {
        LedgerError::Malformed { .. } => CommandError::Usage(UsageError(format!("--record: {e}"))),
        other => CommandError::Ledger(other),
    })
}

/// Records the certificate `report` earned in the ledger at `path`.
fn record(path: &Path, report: &RunReport) -> Result<String, LedgerError> {
    let Some(certificate) = &report.certificate else {
        return Ok(format!(
            "not recorded in {}: the run earned no certificate",
            path.display()
        ));
    };
    let line = ledger::append(path, certificate, ledger::lock::DEFAULT_WAIT)?;
    Ok(format!(
        "recorded the certificate of {} {} in {} (line {line})",
        certificate.client_name,
        certificate.certified_version,
        path.display()
    ))
}

/// The result of `mpcert run`.
pub struct RunOutcome {
    /// The report.
    pub report: RunReport,
    /// Output files that could not be written (the run itself is complete).
    pub write_errors: Vec<String>,
    /// What `--record` did: where the certificate was recorded, or why nothing was.
    pub recorded: Option<String>,
    /// Why the certificate the run earned could not be recorded (`--record`).
    pub record_error: Option<LedgerError>,
}

impl RunOutcome {
    /// The exit code: the report's, or 3 when an output file could not be written.
    pub fn exit_code(&self) -> u8 {
        match &self.record_error {
            Some(e) if e.is_malformed() => exit::USAGE,
            Some(_) => exit::INFRASTRUCTURE,
            None if self.write_errors.is_empty() => self.report.exit_code(),
            None => exit::INFRASTRUCTURE,
        }
    }
}

/// `mpcert run`: loads and selects, starts the embedded service if asked, drives the client,
/// and writes the JUnit and JSON reports (always, also when every case errored).
pub async fn run(
    config: RunConfig,
    interrupt: watch::Receiver<bool>,
    progress: &mut dyn Progress,
) -> Result<RunOutcome, CommandError> {
    let catalogue = load_catalogue(&config.catalogue)?;
    let plan = Plan::select(
        &catalogue,
        &config.categories,
        &config.cases,
        config.profile,
    )?;
    check_output_dir("--junit", config.junit.as_deref())?;
    check_output_dir("--report", config.report.as_deref())?;
    check_ledger(config.record.as_deref())?;
    let upstream = remote_upstream(&config).await?;
    // The embedded service admits only this run: it gets a fresh operator token of its own. For
    // a remote target it is the recording proxy: the same service, forwarding to the target.
    let (embedded, service_token) = match &config.target {
        Target::Embedded | Target::Remote(_) => {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let token = Secret::new(uuid::Uuid::new_v4().simple().to_string());
            let mut options = ServiceOptions::new(config.time_scale);
            options.operator_token = Some(token.clone());
            options.upstream = upstream;
            options.signing_key = config.signing_key.clone();
            (Some(service::start(addr, options).await?), Some(token))
        }
        Target::Service(_) => (None, config.service_token.clone()),
    };
    let service_url = match (&embedded, &config.target) {
        (Some(running), _) => running.url(),
        (None, Target::Service(url)) => url.clone(),
        (None, _) => String::new(),
    };
    let settings = DriveSettings {
        client: config.client.clone(),
        client_name: config.client_name.clone(),
        client_version: config.client_version.clone(),
        merchant_vat: config.merchant_vat.clone(),
        integrator_client_ids: config.integrator_client_ids.clone(),
        service_url,
        service_token,
        custom_catalogue: matches!(config.catalogue, CatalogueSource::Dir(_)),
        target_label: config.target.label(),
        remote: matches!(config.target, Target::Remote(_)),
        time_scale: config.time_scale,
        profile: config.profile,
        fail_fast: config.fail_fast,
        operation_timeout: config.operation_timeout,
        interrupt,
    };
    let report = driver::drive(&catalogue, &plan, settings, progress).await;
    if let Some(running) = embedded {
        running.stop().await;
    }
    let mut write_errors = Vec::new();
    if let Some(path) = &config.junit {
        if let Err(e) = write_atomically(path, &junit::render(&report)) {
            write_errors.push(format!("--junit: {e}: {}", e.source));
        }
    }
    if let Some(path) = &config.report {
        let written = json::to_json(&report)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                write_atomically(path, &bytes).map_err(|e| format!("{e}: {}", e.source))
            });
        if let Err(e) = written {
            write_errors.push(format!("--report: {e}"));
        }
    }
    let (recorded, record_error) = match config.record.as_deref().map(|p| record(p, &report)) {
        None => (None, None),
        Some(Ok(note)) => (Some(note), None),
        Some(Err(e)) => (None, Some(e)),
    };
    Ok(RunOutcome {
        report,
        write_errors,
        recorded,
        record_error,
    })
}

/// The remote target of a run, checked: reachable over verified TLS, and accepting the
/// credentials (a token request proves both before any case starts).
async fn remote_upstream(config: &RunConfig) -> Result<Option<Arc<Upstream>>, CommandError> {
    let (Target::Remote(target), Some(access)) = (&config.target, &config.remote_access) else {
        return Ok(None);
    };
    let upstream = Upstream::new(target, access)?;
    upstream.check().await?;
    Ok(Some(Arc::new(upstream)))
}

/// `mpcert serve`: serves until `shutdown` resolves; `on_ready` receives the base URL it serves
/// at (`https://` with TLS).
pub async fn serve(
    config: ServeConfig,
    on_ready: impl FnOnce(&str),
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), CommandError> {
    let mut options = ServiceOptions::new(config.time_scale);
    options.operator_token = config.operator_token;
    options.idle_expiry = config.idle_expiry;
    options.signing_key = config.signing_key;
    if let Some((cert, key)) = &config.tls {
        options.tls = Some(service::tls::server_config(cert, key)?);
    }
    let running = service::start(config.listen, options).await?;
    on_ready(&running.url());
    shutdown.await;
    running.stop().await;
    Ok(())
}

/// `mpcert keygen`: writes a fresh ed25519 key pair to `paths` (the private key with mode 0600,
/// neither file overwritten) and returns the public key's id.
pub fn keygen(paths: &KeyPairPaths) -> Result<String, CommandError> {
    let key = PrivateKey::generate();
    write_pair(&key, paths)?;
    Ok(key.public_key().key_id())
}
