//! The flags of a remote PoS target: `--target pos:URL` or `--target sandbox`, the token URL
//! (`--token-url`, else derived as MobilePay's environments lay it out: the integrator
//! authentication beside the PoS API on the same host), an extra trust root (`--ca-cert`), and
//! the integrator's credentials — from `MPCERT_CLIENT_ID`/`MPCERT_CLIENT_SECRET` or the file
//! `--credentials-file` names, never from a flag's value.

use std::path::{Path, PathBuf};

use crate::pos::constants::{SANDBOX_API_BASE, SANDBOX_TOKEN_URL};
use crate::secret::Secret;
use crate::service::emulator::auth::TOKEN_PATH;

use super::UsageError;

/// The environment variable holding the integrator's client id for a remote target.
pub const CLIENT_ID_ENV: &str = "MPCERT_CLIENT_ID";
/// The environment variable holding the integrator's client secret for a remote target.
pub const CLIENT_SECRET_ENV: &str = "MPCERT_CLIENT_SECRET";

/// A remote PoS v10 API, reached through mpcert's local recording proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePos {
    /// How reports name it: `sandbox` or `pos:<url>`.
    pub label: String,
    /// Its PoS v10 base URL (`https://…/pos/v10`).
    pub api_base: String,
    /// Its token endpoint (`https://…/integrator-authentication/connect/token`).
    pub token_url: String,
    /// Whether it is MobilePay's sandbox (self-certification API).
    pub sandbox: bool,
}

impl RemotePos {
    /// MobilePay's self-certification API in the sandbox (domain reference §1).
    pub fn sandbox() -> Self {
        RemotePos {
            label: "sandbox".into(),
            api_base: SANDBOX_API_BASE.into(),
            token_url: SANDBOX_TOKEN_URL.into(),
            sandbox: true,
        }
    }

    /// `pos:<url>`: any PoS v10 base URL over https; its token endpoint is on the same origin
    /// at `/integrator-authentication/connect/token`, as in every MobilePay environment.
    pub fn parse(url: &str) -> Result<Self, UsageError> {
        let api_base = url.trim_end_matches('/').to_string();
        let origin = https_origin("--target", &api_base)?;
        Ok(RemotePos {
            label: format!("pos:{api_base}"),
            token_url: format!("{origin}{TOKEN_PATH}"),
            api_base,
            sandbox: false,
        })
    }

    /// Replaces the token URL with the one `--token-url` gives.
    pub fn with_token_url(mut self, token_url: &str) -> Result<Self, UsageError> {
        https_origin("--token-url", token_url)?;
        self.token_url = token_url.to_string();
        Ok(self)
    }
}

/// The `scheme://host[:port]` of an https URL; anything else is refused, naming the flag. A
/// remote target is reached over TLS only.
fn https_origin(flag: &str, text: &str) -> Result<String, UsageError> {
    let url = reqwest::Url::parse(text)
        .map_err(|e| UsageError(format!("{flag}: `{text}` is not a URL: {e}")))?;
    if url.scheme() != "https" || url.host_str().is_none() {
        return Err(UsageError(format!(
            "{flag}: `{text}` is not an https URL; a remote PoS target is only reached over TLS"
        )));
    }
    Ok(url.origin().ascii_serialization())
}

/// The integrator's credentials for a remote target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The client id (`x-ibm-client-id`); not secret, but kept out of output all the same.
    pub client_id: Secret,
    /// The client secret.
    pub client_secret: Secret,
}

/// How mpcert reaches a remote target: the credentials and an extra trust root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAccess {
    /// The integrator's credentials.
    pub credentials: Credentials,
    /// A PEM file of extra root certificates to trust for the target (`--ca-cert`).
    pub ca_cert: Option<PathBuf>,
}

/// Reads the credentials from `--credentials-file` (lines `MPCERT_CLIENT_ID=…` and
/// `MPCERT_CLIENT_SECRET=…`; blank lines and `#` comments allowed), else from the environment
/// variables of the same names, whose values `env` looks up.
pub fn credentials(
    file: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, UsageError> {
    let (id, secret, origin) = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                UsageError(format!(
                    "--credentials-file: cannot read {}: {e}",
                    path.display()
                ))
            })?;
            let value = |name: &str| {
                text.lines()
                    .map(str::trim)
                    .filter(|line| !line.starts_with('#'))
                    .filter_map(|line| line.split_once('='))
                    .find(|(key, _)| key.trim() == name)
                    .map(|(_, v)| v.trim().to_string())
            };
            let origin = format!("--credentials-file {}", path.display());
            (value(CLIENT_ID_ENV), value(CLIENT_SECRET_ENV), origin)
        }
        None => (
            env(CLIENT_ID_ENV),
            env(CLIENT_SECRET_ENV),
            "the environment".to_string(),
        ),
    };
    match (
        id.filter(|v| !v.is_empty()),
        secret.filter(|v| !v.is_empty()),
    ) {
        (Some(id), Some(secret)) => Ok(Credentials {
            client_id: Secret::new(id),
            client_secret: Secret::new(secret),
        }),
        _ => Err(UsageError(format!(
            "--target: a remote PoS target needs the integrator's credentials: set {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV}, or name a file holding both with --credentials-file (none found in {origin})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pos_target_is_https_and_its_token_url_is_on_its_origin() {
        let target = RemotePos::parse("https://pos.example:8443/api/pos/v10/")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(target.api_base, "https://pos.example:8443/api/pos/v10");
        assert_eq!(
            target.token_url,
            "https://pos.example:8443/integrator-authentication/connect/token"
        );
        assert_eq!(target.label, "pos:https://pos.example:8443/api/pos/v10");
        let plain = RemotePos::parse("http://pos.example/pos/v10").err();
        assert!(plain.is_some_and(|e| e.0.starts_with("--target:") && e.0.contains("TLS")));
        let token = target
            .clone()
            .with_token_url("http://auth.example/token")
            .err();
        assert!(token.is_some_and(|e| e.0.starts_with("--token-url:")));
        let other = target.with_token_url("https://auth.example/connect/token");
        assert_eq!(
            other.map(|t| t.token_url).ok().as_deref(),
            Some("https://auth.example/connect/token")
        );
    }

    #[test]
    fn the_sandbox_is_the_self_certification_api() {
        let sandbox = RemotePos::sandbox();
        assert_eq!(
            sandbox.api_base,
            "https://api.sandbox.mobilepay.dk/pos-self-certification-api/pos/v10"
        );
        assert_eq!(
            sandbox.token_url,
            "https://api.sandbox.mobilepay.dk/integrator-authentication/connect/token"
        );
    }

    #[test]
    fn credentials_come_from_a_file_or_the_environment_and_name_where_they_were_sought() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("credentials");
        let text = "# sandbox pair\nMPCERT_CLIENT_ID = id-1\nMPCERT_CLIENT_SECRET=s3cr3t\n";
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
        let nothing = |_: &str| None;
        let read = credentials(Some(&file), nothing).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (read.client_id.expose(), read.client_secret.expose()),
            ("id-1", "s3cr3t")
        );
        let env = |name: &str| Some(format!("{name}-value"));
        let read = credentials(None, env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.client_secret.expose(), "MPCERT_CLIENT_SECRET-value");
        let missing = credentials(None, nothing)
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(missing.contains("MPCERT_CLIENT_SECRET"), "{missing}");
        assert!(
            missing.ends_with("(none found in the environment)"),
            "{missing}"
        );
        let unreadable = credentials(Some(&dir.path().join("nope")), nothing).err();
        assert!(unreadable.is_some_and(|e| e.0.starts_with("--credentials-file: cannot read")));
    }
}
