//! The validated configuration of a run, free of clap types: every flag is checked here, and a
//! bad one becomes a [`UsageError`] that names the flag.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::catalogue::model::Profile;
use crate::cli::{ProfileArg, RunArgs, ServeArgs};
use crate::client::ClientSpec;
use crate::keys::PrivateKey;
use crate::pos::validate;
use crate::report::REFERENCE_CLIENT_NAME;
use crate::secret::Secret;
use crate::service::merchants;

mod remote;
pub mod signing;

pub use remote::{CLIENT_ID_ENV, CLIENT_SECRET_ENV, Credentials, RemoteAccess, RemotePos};

/// The environment variable that holds the certification service's operator token (read by
/// `mpcert serve` to require it, and by `mpcert run --target URL` to present it).
pub const SERVICE_TOKEN_ENV: &str = "MPCERT_SERVICE_TOKEN";

/// The environment variable `--client-name` falls back to.
pub const CLIENT_NAME_ENV: &str = "MPCERT_CLIENT_NAME";
/// The environment variable that names the version being certified when `--client-version` does not.
pub const CLIENT_VERSION_ENV: &str = "MPCERT_CLIENT_VERSION";

/// The environment variable `--integrator-client-id` falls back to: client ids separated by
/// commas.
pub const INTEGRATOR_CLIENT_IDS_ENV: &str = "MPCERT_INTEGRATOR_CLIENT_IDS";

/// A flag has a value mpcert cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Where the catalogue comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueSource {
    /// The catalogue compiled into the binary.
    Builtin,
    /// A directory of YAML files.
    Dir(PathBuf),
}

impl CatalogueSource {
    /// From `--cases`.
    pub fn from_flag(dir: Option<PathBuf>) -> Self {
        dir.map_or(CatalogueSource::Builtin, CatalogueSource::Dir)
    }
}

/// The certification service to run against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An embedded service on an ephemeral loopback port.
    Embedded,
    /// A standalone `mpcert serve` at this base URL.
    Service(String),
    /// A remote PoS v10 API (`pos:URL`, `sandbox`), reached through a local recording proxy.
    Remote(RemotePos),
}

impl Target {
    /// Parses `--target`.
    pub fn parse(text: &str) -> Result<Self, UsageError> {
        if text == "embedded" {
            return Ok(Target::Embedded);
        }
        if text == "sandbox" {
            return Ok(Target::Remote(RemotePos::sandbox()));
        }
        if let Some(url) = text.strip_prefix("pos:") {
            return RemotePos::parse(url).map(Target::Remote);
        }
        if let Some(rest) = text
            .strip_prefix("http://")
            .or_else(|| text.strip_prefix("https://"))
        {
            if !rest.is_empty() {
                return Ok(Target::Service(text.trim_end_matches('/').to_string()));
            }
        }
        Err(UsageError(format!(
            "--target: `{text}` is neither `embedded`, the http(s) URL of an mpcert certification service, `pos:` and the https URL of a PoS v10 API, nor `sandbox`"
        )))
    }

    /// How the target is named in reports.
    pub fn label(&self) -> String {
        match self {
            Target::Embedded => "embedded".into(),
            Target::Service(url) => url.clone(),
            Target::Remote(remote) => remote.label.clone(),
        }
    }
}

/// A validated `mpcert run`.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The catalogue.
    pub catalogue: CatalogueSource,
    /// `--category` values.
    pub categories: Vec<String>,
    /// `--case` values.
    pub cases: Vec<String>,
    /// The client under test.
    pub client: ClientSpec,
    /// The certified version.
    pub client_version: String,
    /// The client's name.
    pub client_name: String,
    /// The certification merchant to certify as (VAT number).
    pub merchant_vat: String,
    /// The integrator's MobilePay client ids (lowercase GUIDs), recorded in the certificate.
    pub integrator_client_ids: Vec<String>,
    /// The service.
    pub target: Target,
    /// The operator token to present to a standalone service.
    pub service_token: Option<Secret>,
    /// How to reach a remote PoS target (set exactly when the target is one).
    pub remote_access: Option<RemoteAccess>,
    /// The time scale.
    pub time_scale: f64,
    /// The profile to judge in.
    pub profile: Profile,
    /// JUnit output.
    pub junit: Option<PathBuf>,
    /// JSON report output.
    pub report: Option<PathBuf>,
    /// The ledger a certificate the run earns is recorded in.
    pub record: Option<PathBuf>,
    /// Stop after the first case that does not pass.
    pub fail_fast: bool,
    /// `--operation-timeout`, when given.
    pub operation_timeout: Option<Duration>,
    /// The key the embedded service signs the certificate with (`--signing-key`).
    pub signing_key: Option<Arc<PrivateKey>>,
}

/// Checks an `--operation-timeout` value, in seconds.
pub fn operation_timeout(value: f64) -> Result<Duration, UsageError> {
    if value.is_finite() && (0.1..=3600.0).contains(&value) {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(UsageError(format!(
            "--operation-timeout: {value} is out of range; give a number of seconds from 0.1 to 3600"
        )))
    }
}

/// Checks a `--time-scale` value.
pub fn time_scale(value: f64) -> Result<f64, UsageError> {
    if value.is_finite() && (0.001..=10.0).contains(&value) {
        Ok(value)
    } else {
        Err(UsageError(format!(
            "--time-scale: {value} is out of range; use a factor from 0.001 (fastest) to 10, 1 being real time"
        )))
    }
}

/// Checks a `--merchant-vat` value: it must name one of the certification merchants, the only
/// merchants the certification service has a store for.
pub fn merchant_vat(value: &str) -> Result<String, UsageError> {
    match merchants::by_vat(value) {
        Some(merchant) => Ok(merchant.vat.to_string()),
        None => {
            let known: Vec<String> = (merchants::CERT_MERCHANTS.iter())
                .map(|m| format!("{} ({})", m.vat, m.currency.as_str()))
                .collect();
            Err(UsageError(format!(
                "--merchant-vat: `{value}` is not a certification merchant; use {}",
                known.join(" or ")
            )))
        }
    }
}

/// Checks `--integrator-client-id` values (or those of [`INTEGRATOR_CLIENT_IDS_ENV`]): each a
/// GUID, kept lowercase, each once.
pub fn integrator_client_ids(values: &[String]) -> Result<Vec<String>, UsageError> {
    let mut ids: Vec<String> = Vec::new();
    for value in values.iter().map(|v| v.trim()) {
        if !validate::is_guid(value) {
            return Err(UsageError(format!(
                "--integrator-client-id: `{value}` is not a MobilePay client id (a GUID, 8-4-4-4-12 hexadecimal digits)"
            )));
        }
        let id = value.to_ascii_lowercase();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Reads a secret token from the file a flag names, else from an environment variable's value;
/// never from a flag's own value, so it stays out of shell histories and process lists.
pub fn token_from(
    flag: &str,
    file: Option<&Path>,
    env_value: Option<String>,
) -> Result<Option<Secret>, UsageError> {
    let (text, origin) = match (file, env_value) {
        (Some(path), _) => match std::fs::read_to_string(path) {
            Ok(text) => (text, format!("{flag}: {}", path.display())),
            Err(e) => {
                return Err(UsageError(format!(
                    "{flag}: cannot read {}: {e}",
                    path.display()
                )));
            }
        },
        (None, Some(value)) => (value, SERVICE_TOKEN_ENV.to_string()),
        (None, None) => return Ok(None),
    };
    let token = text.trim();
    if token.is_empty() {
        return Err(UsageError(format!("{origin}: the token is empty")));
    }
    Ok(Some(Secret::new(token)))
}

fn service_token_env() -> Option<String> {
    std::env::var(SERVICE_TOKEN_ENV)
        .ok()
        .filter(|v| !v.is_empty())
}

/// A validated `mpcert serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The time scale.
    pub time_scale: f64,
    /// The token required to create sessions.
    pub operator_token: Option<Secret>,
    /// How long an idle session is kept.
    pub idle_expiry: Duration,
    /// The PEM certificate chain and key to serve TLS with.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The key every certificate is signed with (`--signing-key`).
    pub signing_key: Option<Arc<PrivateKey>>,
}

impl ServeConfig {
    /// Validates `mpcert serve` flags.
    pub fn from_args(args: ServeArgs) -> Result<Self, UsageError> {
        if args.session_idle_timeout == 0 {
            return Err(UsageError(
                "--session-idle-timeout: give a number of seconds greater than 0".into(),
            ));
        }
        Ok(ServeConfig {
            listen: args.listen,
            time_scale: time_scale(args.time_scale)?,
            operator_token: token_from(
                "--token-file",
                args.token_file.as_deref(),
                service_token_env(),
            )?,
            idle_expiry: Duration::from_secs(args.session_idle_timeout),
            tls: args.tls_cert.zip(args.tls_key),
            signing_key: signing::signing_key(args.signing_key.as_deref())?,
        })
    }
}

impl RunConfig {
    /// Validates `mpcert run` flags.
    pub fn from_args(args: RunArgs) -> Result<Self, UsageError> {
        let client = ClientSpec::parse(&args.client).map_err(|e| UsageError(e.to_string()))?;
        let client_name = match (&client, args.client_name) {
            (ClientSpec::Reference(_), Some(name)) if name != REFERENCE_CLIENT_NAME => {
                return Err(UsageError(format!(
                    "--client-name: `{name}` cannot be certified with --client reference: the reference client is mpcert's own, and a certificate only ever names it `{REFERENCE_CLIENT_NAME}`. A certificate for your client needs your client under test (--client exec:… or http:…)"
                )));
            }
            (_, Some(name)) => name,
            (ClientSpec::Reference(_), None) => REFERENCE_CLIENT_NAME.to_string(),
            (_, None) => {
                return Err(UsageError(format!(
                    "--client-name: name the client system you certify (as its certificate will), with --client-name NAME or {CLIENT_NAME_ENV}"
                )));
            }
        };
        let client_version = match (&client, args.client_version) {
            (_, Some(version)) => version,
            (ClientSpec::Reference(_), None) => env!("CARGO_PKG_VERSION").to_string(),
            (_, None) => {
                return Err(UsageError(format!(
                    "--client-version: name the version you certify (Major.Minor.Build, as your client sends it in X-MobilePay-Client-System-Version), with --client-version X.Y.Z or {CLIENT_VERSION_ENV}"
                )));
            }
        };
        if !validate::is_valid_version(&client_version) {
            return Err(UsageError(format!(
                "--client-version: `{client_version}` is not Major.Minor.Build (e.g. 2.1.0)"
            )));
        }
        if !validate::is_valid_text(&client_name, 1, 36) {
            return Err(UsageError(
                "--client-name: use 1 to 36 characters of the PoS valid character set".into(),
            ));
        }
        let target = Target::parse(&args.target)?;
        let flags = RemoteFlags {
            token_url: args.token_url.is_some(),
            ca_cert: args.ca_cert.clone(),
            credentials_file: args.credentials_file.as_deref(),
        };
        let remote_access = remote_access(&target, &client, flags)?;
        let target = match (target, &args.token_url) {
            (Target::Remote(remote), Some(url)) => Target::Remote(remote.with_token_url(url)?),
            (target, _) => target,
        };
        let time_scale = time_scale(args.time_scale)?;
        if matches!(&target, Target::Remote(remote) if remote.sandbox) && time_scale != 1.0 {
            return Err(UsageError(
                "--time-scale: MobilePay's sandbox runs in real time; run against it at --time-scale 1".into(),
            ));
        }
        if args.signing_key.is_some() && !matches!(target, Target::Embedded) {
            return Err(UsageError(format!(
                "{}: only the embedded service signs in a run; a standalone `mpcert serve` signs with its own --signing-key, and a remote PoS target issues no certificate",
                signing::SIGNING_KEY_FLAG
            )));
        }
        let signing_key = signing::signing_key(args.signing_key.as_deref())?;
        let service_token = token_from(
            "--service-token-file",
            args.service_token_file.as_deref(),
            service_token_env(),
        )?;
        Ok(RunConfig {
            catalogue: CatalogueSource::from_flag(args.catalogue.cases),
            categories: args.categories,
            cases: args.case_ids,
            client,
            client_version,
            client_name,
            merchant_vat: merchant_vat(&args.merchant_vat)?,
            integrator_client_ids: integrator_client_ids(&args.integrator_client_ids)?,
            target,
            service_token,
            remote_access,
            time_scale,
            profile: match args.profile {
                ProfileArg::Mobilepay => Profile::Mobilepay,
                ProfileArg::Strict => Profile::Strict,
            },
            junit: args.junit,
            report: args.report,
            record: args.record,
            fail_fast: args.fail_fast,
            operation_timeout: args.operation_timeout.map(operation_timeout).transpose()?,
            signing_key,
        })
    }
}

/// Checks the flags of a remote target: credentials it needs, `--ca-cert` and `--token-url` that
/// only it takes, and the reference client, which MobilePay's sandbox never certifies.
fn remote_access(
    target: &Target,
    client: &ClientSpec,
    flags: RemoteFlags<'_>,
) -> Result<Option<RemoteAccess>, UsageError> {
    let Target::Remote(remote) = target else {
        let stray = [
            ("--token-url", flags.token_url),
            ("--ca-cert", flags.ca_cert.is_some()),
            ("--credentials-file", flags.credentials_file.is_some()),
        ];
        return match stray.iter().find(|(_, given)| *given) {
            Some((flag, _)) => Err(UsageError(format!(
                "{flag}: only a remote PoS target (--target pos:URL or sandbox) takes it"
            ))),
            None => Ok(None),
        };
    };
    if remote.sandbox && matches!(client, ClientSpec::Reference(_)) {
        return Err(UsageError(
            "--client reference cannot run against --target sandbox: MobilePay's self-certification certifies the integrator's own client, so mpcert never presents its reference client there. Run your client (--client exec:… or http:…), or check the reference client against another PoS v10 API with --target pos:URL".into(),
        ));
    }
    let credentials = remote::credentials(flags.credentials_file, |name| std::env::var(name).ok())?;
    Ok(Some(RemoteAccess {
        credentials,
        ca_cert: flags.ca_cert,
    }))
}

/// The flags only a remote target takes.
struct RemoteFlags<'a> {
    token_url: bool,
    ca_cert: Option<PathBuf>,
    credentials_file: Option<&'a Path>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(Target::parse("embedded"), Ok(Target::Embedded));
        assert_eq!(
            Target::parse("http://127.0.0.1:9/"),
            Ok(Target::Service("http://127.0.0.1:9".into()))
        );
        assert_eq!(
            Target::parse("sandbox"),
            Ok(Target::Remote(RemotePos::sandbox()))
        );
        let error = Target::parse("pos.example")
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(error.starts_with("--target:"), "{error}");
    }

    /// `mpcert run` with `args`, validated.
    fn run_config(args: &[&str]) -> Result<RunConfig, UsageError> {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["mpcert", "run"].iter().chain(args))
            .unwrap_or_else(|e| panic!("{e}"));
        match cli.command {
            crate::cli::Command::Run(args) => RunConfig::from_args(*args),
            _ => panic!("not a run"),
        }
    }

    #[test]
    fn remote_flags_belong_to_a_remote_target_and_the_sandbox_refuses_the_reference_client() {
        for flag in ["--token-url", "--ca-cert", "--credentials-file"] {
            let error = run_config(&[flag, "x"])
                .err()
                .map(|e| e.0)
                .unwrap_or_default();
            assert!(
                error.starts_with(&format!("{flag}: only a remote PoS target")),
                "{error}"
            );
        }
        let reference = run_config(&["--target", "sandbox"]).err().map(|e| e.0);
        assert!(reference.is_some_and(|e| e.starts_with("--client reference cannot run")));
        let pos = [
            "--target",
            "pos:https://127.0.0.1:9/pos/v10",
            "--ca-cert",
            "ca.pem",
        ];
        let config = run_config(&[&pos[..], &["--credentials-file", "/nonexistent"]].concat());
        let error = config.err().map(|e| e.0).unwrap_or_default();
        assert!(
            error.starts_with("--credentials-file: cannot read"),
            "{error}"
        );
    }

    #[test]
    fn tokens_come_from_a_file_or_the_environment_and_never_empty() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("token");
        std::fs::write(&file, "op-token\n").unwrap_or_else(|e| panic!("{e}"));
        let from_file = token_from("--token-file", Some(&file), Some("env".into()));
        assert_eq!(
            from_file.ok().flatten().map(|t| t.expose().to_string()),
            Some("op-token".to_string())
        );
        let from_env = token_from("--token-file", None, Some("env".into()));
        assert_eq!(
            from_env.ok().flatten().map(|t| t.expose().to_string()),
            Some("env".to_string())
        );
        assert_eq!(token_from("--token-file", None, None), Ok(None));
        let missing = token_from("--token-file", Some(&dir.path().join("nope")), None);
        assert!(missing.is_err_and(|e| e.0.starts_with("--token-file: cannot read")));
        std::fs::write(&file, " \n").unwrap_or_else(|e| panic!("{e}"));
        let empty = token_from("--token-file", Some(&file), None);
        assert!(empty.is_err_and(|e| e.0.ends_with("the token is empty")));
    }

    #[test]
    fn only_the_certification_merchants_can_be_certified_as() {
        assert_eq!(merchant_vat("DK90000028"), Ok("DK90000028".to_string()));
        assert_eq!(merchant_vat("FI90000040"), Ok("FI90000040".to_string()));
        let error = merchant_vat("DK12345678").err().map(|e| e.0);
        assert_eq!(
            error.as_deref(),
            Some(
                "--merchant-vat: `DK12345678` is not a certification merchant; use DK90000028 (DKK) or FI90000040 (EUR)"
            )
        );
    }

    #[test]
    fn time_scale_bounds_name_the_flag() {
        assert_eq!(time_scale(0.01), Ok(0.01));
        assert!(time_scale(0.0).is_err());
        assert!(time_scale(f64::NAN).is_err());
        let error = time_scale(100.0).err().map(|e| e.0).unwrap_or_default();
        assert!(error.starts_with("--time-scale:"), "{error}");
    }
}
