//! Command-line definitions (clap), and nothing else: parsing into a validated configuration
//! happens in [`crate::config`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::pos::constants::CERT_MERCHANT_VAT_DK;

/// Runs the MobilePay PoS API v10 self-certification headlessly, for CI.
#[derive(Debug, Parser)]
#[command(
    name = "mpcert",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = "Examples:\n  \
        mpcert run --junit mpcert-junit.xml                  certify the reference client in real time\n  \
        mpcert run --time-scale 0.01 --junit out.xml         the same, a hundred times faster (CI)\n  \
        mpcert run --category payments --client-version 2.1.0\n  \
        mpcert run --merchant-vat FI90000040                 certify as the Finnish merchant (EUR)\n  \
        mpcert run --client exec:'./my-client' --client-name 'My Till' --client-version 2.1.0\n  \
        mpcert validate --cases ./cases                      check a catalogue\n  \
        mpcert serve --listen 127.0.0.1:8080                 develop a client against the service\n  \
        mpcert run --client exec:'./my-client' --client-name 'My Till' --client-version 2.4.0 --record ledger.jsonl\n  \
        mpcert gate --ledger ledger.jsonl --version-from Cargo.toml --requires payments\n\n\
        Exit codes: 0 passed, 1 a case failed, 2 usage or catalogue error, 3 no trustworthy verdict,\n\
        4 (gate) the version needs certification."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Certify a client: run the selected cases and report verdicts (exit 0 passed, 1 failed,
    /// 2 usage or catalogue error, 3 no trustworthy verdict).
    Run(Box<RunArgs>),
    /// List the catalogue's categories, cases and steps.
    List(ListArgs),
    /// Check a catalogue and report every problem at once (exit 2 when invalid).
    Validate(CatalogueArgs),
    /// Serve the certification service alone, for developing a client against it.
    Serve(ServeArgs),
    /// Write an ed25519 key pair for signing certificates: the private key (PKCS#8 PEM, mode
    /// 0600) for `--signing-key`, the public key (SubjectPublicKeyInfo PEM) for whoever checks
    /// the certificates. Existing files are never overwritten.
    Keygen(KeygenArgs),
    /// Release gate: may this version ship? Exit 0 when the ledger holds a certificate of its
    /// Major.Minor that meets every requirement, 4 when it needs certification (the message says
    /// what is missing), 2 for a malformed ledger, version or manifest.
    #[command(disable_version_flag = true)]
    Gate(GateArgs),
}

/// Where the catalogue comes from.
#[derive(Debug, Args)]
pub struct CatalogueArgs {
    /// Read the catalogue from this directory of YAML files instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
}

/// `mpcert run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The catalogue to use.
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
    /// Run this category (repeatable); mandatory categories always run.
    #[arg(long = "category", id = "category", value_name = "ID")]
    pub categories: Vec<String>,
    /// Run this case, as category/case (repeatable).
    #[arg(long = "case", id = "case", value_name = "CAT/ID")]
    pub case_ids: Vec<String>,
    /// The client under test: `reference` (mpcert's own), `exec:'<command line>'` (your client
    /// as a command speaking the driver protocol on stdin/stdout) or `http:<url>` (the driver
    /// protocol, one POST per operation); see docs/driver-protocol.md.
    #[arg(long, value_name = "SPEC", default_value = "reference")]
    pub client: String,
    /// The version being certified (Major.Minor.Build); required for an exec or http client (the
    /// reference client's is mpcert's own version).
    #[arg(long, value_name = "X.Y.Z", env = "MPCERT_CLIENT_VERSION")]
    pub client_version: Option<String>,
    /// The client system's name, as typed into the certification website; required for an
    /// exec or http client (the reference client is always `mpcert reference client`).
    #[arg(long, value_name = "NAME", env = "MPCERT_CLIENT_NAME")]
    pub client_name: Option<String>,
    /// How long the client may take for one operation before its case is an error (and an exec
    /// client is stopped and started afresh); default 120 s times the time scale, at least 10 s.
    #[arg(long, value_name = "SECS")]
    pub operation_timeout: Option<f64>,
    /// The certification merchant to certify as: `DK90000028` (Danish, amounts in DKK) or
    /// `FI90000040` (Finnish, amounts in EUR).
    #[arg(long, value_name = "VAT", default_value = CERT_MERCHANT_VAT_DK)]
    pub merchant_vat: String,
    /// The certification service: `embedded`, the URL of an `mpcert serve`, or a remote PoS
    /// v10 API reached through a local recording proxy: `pos:https://…/pos/v10` or `sandbox`
    /// (MobilePay's self-certification API; credentials from MPCERT_CLIENT_ID and
    /// MPCERT_CLIENT_SECRET or --credentials-file).
    #[arg(long, value_name = "TARGET", default_value = "embedded")]
    pub target: String,
    /// The token endpoint of a `pos:` target (default: `/integrator-authentication/connect/token`
    /// on the target's origin, as in MobilePay's environments).
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Trust the root certificates of this PEM file too when verifying a remote target's TLS
    /// certificate (for a private CA); the built-in roots stay trusted.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Read a remote target's credentials from this file (lines MPCERT_CLIENT_ID=… and
    /// MPCERT_CLIENT_SECRET=…) instead of the environment variables of those names.
    #[arg(long, value_name = "PATH")]
    pub credentials_file: Option<PathBuf>,
    /// Read the operator token of a standalone `mpcert serve` from this file (default: the
    /// MPCERT_SERVICE_TOKEN environment variable).
    #[arg(long, value_name = "PATH")]
    pub service_token_file: Option<PathBuf>,
    /// Compress every mandated delay by this factor (1 = real time) on the embedded service; a
    /// standalone service runs at the scale it was started with.
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub time_scale: f64,
    /// The profile to judge in: `mobilepay` holds what MobilePay's certification evidently
    /// judged, `strict` adds the documented best practice (its cases and the 2 s / 0.5 s timeouts).
    #[arg(long, value_enum, default_value = "mobilepay")]
    pub profile: ProfileArg,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write the JSON RunReport here.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// When the run earns a certificate, append it to this ledger (JSON Lines, one certificate
    /// a line; created when missing, locked with PATH.lock while written, never rewritten).
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,
    /// The integrator's MobilePay client id, sandbox or production (repeatable; public, not a
    /// secret), recorded in the certificate; default: MPCERT_INTEGRATOR_CLIENT_IDS, comma-separated.
    #[arg(
        long = "integrator-client-id",
        value_name = "GUID",
        env = "MPCERT_INTEGRATOR_CLIENT_IDS",
        value_delimiter = ','
    )]
    pub integrator_client_ids: Vec<String>,
    /// Stop after the first case that does not pass (the rest are reported skipped).
    #[arg(long)]
    pub fail_fast: bool,
    /// Sign the certificate with this ed25519 private key (PKCS#8 PEM, as `mpcert keygen`
    /// writes it); embedded service only: a standalone `mpcert serve` signs with its own.
    #[arg(long, value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// More output: the exchanges of every case.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Less output: only cases that did not pass, and the totals.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The certification profiles, as `--profile` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// What MobilePay's certification evidently judged (the default).
    Mobilepay,
    /// The documented best practice as well.
    Strict,
}

/// Output formats of `mpcert list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
    /// One Markdown table of every case (the one `cases/README.md` carries).
    Markdown,
}

/// `mpcert list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The catalogue to use.
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// `mpcert gate`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("version_source").required(true).args(["version", "version_from"])))]
pub struct GateArgs {
    /// The ledger `mpcert run --record` writes (JSON Lines, one certificate a line).
    #[arg(long, value_name = "PATH")]
    pub ledger: PathBuf,
    /// The version that is to ship (Major.Minor.Build; a leading `v` is allowed).
    #[arg(long, value_name = "X.Y.Z")]
    pub version: Option<String>,
    /// Read the version that is to ship from this manifest: Cargo.toml, package.json,
    /// pyproject.toml, *.csproj, pom.xml, build.gradle(.kts) or a plain VERSION file.
    #[arg(long, value_name = "FILE")]
    pub version_from: Option<PathBuf>,
    /// A category the certificate must certify (repeatable, or comma-separated); the mandatory
    /// onboarding is always required.
    #[arg(long = "requires", value_name = "CATEGORY", num_args = 1.., value_delimiter = ',')]
    pub requires: Vec<String>,
    /// The profile the certificate must have been earned in: `strict` accepts only strict
    /// certificates; `mobilepay` (the default) accepts both.
    #[arg(long, value_enum, default_value = "mobilepay")]
    pub profile: ProfileArg,
    /// Accept only certificates earned in real time (time scale 1), not compressed runs.
    #[arg(long)]
    pub require_real_time: bool,
    /// Accept certificates earned with a custom catalogue (--cases DIR); refused by default.
    #[arg(long)]
    pub allow_custom_catalogue: bool,
    /// Accept only certificates that name this MobilePay (production) client id.
    #[arg(long, value_name = "GUID")]
    pub client_id: Option<String>,
    /// Accept only certificates signed by this public key (SubjectPublicKeyInfo PEM, as
    /// `mpcert keygen` writes it): certificates a trusted certification service issued.
    #[arg(long, value_name = "FILE")]
    pub trust_key: Option<PathBuf>,
}

/// `mpcert serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Compress every mandated delay by this factor (1 = real time).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub time_scale: f64,
    /// Require this operator token (read from the file) to create sessions (default: the
    /// MPCERT_SERVICE_TOKEN environment variable; with neither, anyone who reaches the service
    /// may create one).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Forget a session, its tokens and its recording after this many seconds without a call.
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    pub session_idle_timeout: u64,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key), e.g. to stand in for a
    /// remote PoS target (`mpcert run --target pos:https://…`).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Sign every certificate issued with this ed25519 private key (PKCS#8 PEM, as `mpcert
    /// keygen` writes it), so that gates trusting its public key accept them.
    #[arg(long, value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
}

/// `mpcert keygen`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("destination").required(true).args(["out", "private"])))]
pub struct KeygenArgs {
    /// Write the private key to PREFIX.key and the public key to PREFIX.pub.
    #[arg(long, value_name = "PREFIX", conflicts_with_all = ["private", "public"])]
    pub out: Option<PathBuf>,
    /// Write the private key to this file (with --public).
    #[arg(long, value_name = "FILE", requires = "public")]
    pub private: Option<PathBuf>,
    /// Write the public key to this file (with --private).
    #[arg(long, value_name = "FILE", requires = "private")]
    pub public: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
