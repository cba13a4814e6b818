//! The validated configuration of a run, free of clap types: every flag is checked here, and a
//! bad one becomes a [`UsageError`] that names the flag.

use std::path::PathBuf;

use crate::cli::RunArgs;
use crate::client::ClientSpec;
use crate::pos::validate;

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
}

impl Target {
    /// Parses `--target`.
    pub fn parse(text: &str) -> Result<Self, UsageError> {
        if text == "embedded" {
            return Ok(Target::Embedded);
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
            "--target: `{text}` is neither `embedded` nor the http(s) URL of an mpcert certification service"
        )))
    }

    /// How the target is named in reports.
    pub fn label(&self) -> String {
        match self {
            Target::Embedded => "embedded".into(),
            Target::Service(url) => url.clone(),
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
    /// The service.
    pub target: Target,
    /// The time scale.
    pub time_scale: f64,
    /// JUnit output.
    pub junit: Option<PathBuf>,
    /// JSON report output.
    pub report: Option<PathBuf>,
    /// Stop after the first case that does not pass.
    pub fail_fast: bool,
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

impl RunConfig {
    /// Validates `mpcert run` flags.
    pub fn from_args(args: RunArgs) -> Result<Self, UsageError> {
        let client = ClientSpec::parse(&args.client).map_err(|e| UsageError(e.to_string()))?;
        let client_version = args
            .client_version
            .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string());
        if !validate::is_valid_version(&client_version) {
            return Err(UsageError(format!(
                "--client-version: `{client_version}` is not Major.Minor.Build (e.g. 2.1.0)"
            )));
        }
        if !validate::is_valid_text(&args.client_name, 1, 36) {
            return Err(UsageError(
                "--client-name: use 1 to 36 characters of the PoS valid character set".into(),
            ));
        }
        let target = Target::parse(&args.target)?;
        Ok(RunConfig {
            catalogue: CatalogueSource::from_flag(args.catalogue.cases),
            categories: args.categories,
            cases: args.case_ids,
            client,
            client_version,
            client_name: args.client_name,
            target,
            time_scale: time_scale(args.time_scale)?,
            junit: args.junit,
            report: args.report,
            fail_fast: args.fail_fast,
        })
    }
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
        let error = Target::parse("sandbox")
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(error.starts_with("--target:"), "{error}");
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
