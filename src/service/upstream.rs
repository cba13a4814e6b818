//! The remote PoS target a forwarding service sends its calls to: its URLs, the integrator's
//! credentials, and the HTTPS client that reaches it. The client verifies every certificate
//! against the bundled Mozilla roots (`webpki-roots`, so a run trusts the same roots on every CI
//! image) plus the roots of `--ca-cert`; it follows no redirect and has no way to skip
//! verification. Before a run, [`Upstream::check`] asks the target for a token, so an
//! unreachable target, an untrusted certificate or refused credentials stop the run with a clear
//! message before any case starts.

use std::time::Duration;

use crate::config::{RemoteAccess, RemotePos};
use crate::secret::Secret;

use super::tls::{TlsError, read_certificates};

/// How long connecting to the target may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one forwarded call may take in all (no remote case holds an answer on purpose).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The remote target of a forwarding service.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// How reports name it (`sandbox`, `pos:<url>`).
    pub label: String,
    /// Its PoS v10 base URL.
    pub api_base: String,
    /// Its token endpoint.
    pub token_url: String,
    /// The integrator's client id, which replaces the session's in `x-ibm-client-id`.
    pub client_id: Secret,
    /// The integrator's client secret, presented only to the token endpoint.
    pub client_secret: Secret,
    /// The HTTPS client.
    pub http: reqwest::Client,
}

/// The target cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// `--ca-cert` cannot be read.
    #[error(transparent)]
    CaCert(#[from] TlsError),
    /// The HTTPS client cannot be built.
    #[error("cannot set up the HTTPS client for {target}: {reason}")]
    Client {
        /// The target.
        target: String,
        /// Why.
        reason: String,
    },
    /// The target's certificate is not trusted.
    #[error(
        "the TLS certificate of {url} is not trusted ({reason}); mpcert verifies every certificate: trust a private CA with --ca-cert PEM"
    )]
    Untrusted {
        /// The URL called.
        url: String,
        /// The verifier's reason.
        reason: String,
    },
    /// The target cannot be reached.
    #[error("the remote PoS target at {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// Why.
        reason: String,
    },
    /// The token endpoint refused the credentials.
    #[error(
        "the token endpoint {url} refused the credentials from MPCERT_CLIENT_ID/MPCERT_CLIENT_SECRET (or --credentials-file): HTTP {status}"
    )]
    Refused {
        /// The token URL.
        url: String,
        /// Its status.
        status: u16,
    },
}

impl UpstreamError {
    /// Whether the error is the user's to fix in a flag (exit 2) rather than the target's (3).
    pub fn is_usage(&self) -> bool {
        matches!(self, UpstreamError::CaCert(_))
    }
}

impl Upstream {
    /// The upstream of `target`, reached with `access`.
    pub fn new(target: &RemotePos, access: &RemoteAccess) -> Result<Self, UpstreamError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT);
        if let Some(path) = &access.ca_cert {
            for certificate in read_certificates("--ca-cert", path)? {
                let root = reqwest::Certificate::from_der(&certificate).map_err(|e| {
                    UpstreamError::CaCert(TlsError::Pem {
                        flag: "--ca-cert",
                        path: path.clone(),
                        reason: e.to_string(),
                    })
                })?;
                builder = builder.add_root_certificate(root);
            }
        }
        let http = builder.build().map_err(|e| UpstreamError::Client {
            target: target.label.clone(),
            reason: crate::driver::remote::root_cause(&e),
        })?;
        Ok(Upstream {
            label: target.label.clone(),
            api_base: target.api_base.clone(),
            token_url: target.token_url.clone(),
            client_id: access.credentials.client_id.clone(),
            client_secret: access.credentials.client_secret.clone(),
            http,
        })
    }

    /// A token request with the integrator's credentials and the form `form`.
    pub fn token_request(&self, form: Vec<u8>) -> reqwest::RequestBuilder {
        self.http
            .post(&self.token_url)
            .basic_auth(self.client_id.expose(), Some(self.client_secret.expose()))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
    }

    /// Asks the target for a token: proves it is reachable, its certificate trusted and the
    /// credentials accepted.
    pub async fn check(&self) -> Result<(), UpstreamError> {
        let request = self.token_request(b"grant_type=client_credentials".to_vec());
        let response = request
            .send()
            .await
            .map_err(|e| self.unreachable(&self.token_url, &e))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(UpstreamError::Refused {
                url: self.token_url.clone(),
                status,
            })
        }
    }

    /// What a failed call to `url` means: an untrusted certificate, or an unreachable target.
    pub fn unreachable(&self, url: &str, error: &reqwest::Error) -> UpstreamError {
        let reason = crate::driver::remote::root_cause(error);
        if is_certificate_error(error) {
            UpstreamError::Untrusted {
                url: url.to_string(),
                reason,
            }
        } else {
            UpstreamError::Unreachable {
                url: url.to_string(),
                reason,
            }
        }
    }
}

/// Whether a failed call failed on the peer's certificate. rustls's error sits inside
/// `io::Error`s (nested), whose `source` skips what they wrap, so each one is opened instead.
fn is_certificate_error(error: &(dyn std::error::Error + 'static)) -> bool {
    use tokio_rustls::rustls::Error as TlsFailure;
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = link {
        if matches!(
            current.downcast_ref::<TlsFailure>(),
            Some(TlsFailure::InvalidCertificate(_))
        ) {
            return true;
        }
        link = match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    false
}
