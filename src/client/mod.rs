//! Adapters that operate a client under test through the driver protocol
//! (`docs/driver-protocol.md`): the reference adapter is mpcert's own PoS v10 client, written to
//! every conduct rule, the executable reference of correct behaviour and the self-test of
//! catalogue and service; the exec and http adapters operate an integrator's client, started as a
//! command or reached at a URL.

pub mod exec;
pub mod http;
pub mod protocol;
pub mod reference;

use sha2::{Digest, Sha256};

use crate::catalogue::Operation;
use crate::report::{AdapterInfo, AdapterKind};
use crate::secret::Secret;

use exec::ExecClient;
use http::HttpClient;
use protocol::{AdapterError, Answer, Fields};
use reference::{Conduct, ReferenceClient, ReferenceConfig};

/// Which client to certify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientSpec {
    /// mpcert's reference client, with the given conduct (correct unless a test says otherwise).
    Reference(Conduct),
    /// An integrator's client started with this command line (`exec:`).
    Exec(String),
    /// An integrator's client reached at this URL (`http:`).
    Http(reqwest::Url),
}

/// `--client` names no known adapter, or a malformed one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--client: {0}")]
pub struct UnknownClient(pub String);

impl ClientSpec {
    /// Parses a `--client` value: `reference`, `exec:<command line>` or `http:<url>`.
    pub fn parse(text: &str) -> Result<Self, UnknownClient> {
        if text == "reference" {
            return Ok(ClientSpec::Reference(Conduct::default()));
        }
        if let Some(command) = text.strip_prefix("exec:") {
            return match command.trim() {
                "" => Err(UnknownClient(
                    "`exec:` needs the command line that starts your client, e.g. exec:'python3 client.py'".into(),
                )),
                command => Ok(ClientSpec::Exec(command.to_string())),
            };
        }
        // `http://host/path` is taken as the URL itself, as it is hardly meant otherwise.
        let url = match text.strip_prefix("http:") {
            Some(rest) if rest.starts_with("//") => text,
            Some(rest) => rest,
            None => {
                return Err(UnknownClient(format!(
                    "unknown client `{text}`; use reference, exec:<command line> or http:<url>"
                )));
            }
        };
        match reqwest::Url::parse(url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
                Ok(ClientSpec::Http(url))
            }
            _ => Err(UnknownClient(format!(
                "`{url}` is not an http(s) URL; use http:<url>, e.g. http:http://127.0.0.1:8080/driver"
            ))),
        }
    }

    /// How the client is operated, as a session declares it: the kind, and for an
    /// integrator's client the SHA-256 of its command line or URL.
    pub fn adapter_info(&self) -> AdapterInfo {
        let (kind, command_digest) = match self {
            ClientSpec::Reference(_) => (AdapterKind::Reference, None),
            ClientSpec::Exec(command) => (AdapterKind::Exec, Some(sha256_hex(command))),
            ClientSpec::Http(url) => (AdapterKind::Http, Some(sha256_hex(url.as_str()))),
        };
        AdapterInfo {
            kind,
            command_digest,
        }
    }

    /// How the client is named in reports: the adapter, and for an integrator's client the
    /// start of its digest (the command line or URL itself may carry what is nobody's business).
    pub fn describe(&self) -> String {
        match self {
            ClientSpec::Reference(conduct) if *conduct == Conduct::default() => "reference".into(),
            ClientSpec::Reference(conduct) => format!("reference ({})", conduct.describe()),
            ClientSpec::Exec(_) | ClientSpec::Http(_) => {
                let info = self.adapter_info();
                let digest = info.command_digest.unwrap_or_default();
                format!("{} (sha256 {})", info.kind.as_str(), &digest[..12])
            }
        }
    }
}

/// The SHA-256 of `text`, lowercase hex.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Where and as whom the client connects, from the session.
#[derive(Debug, Clone)]
pub struct Connection {
    /// PoS v10 base URL.
    pub api_base_url: String,
    /// Integrator-authentication base URL.
    pub auth_url: String,
    /// Session client id.
    pub client_id: String,
    /// Session client secret.
    pub client_secret: Secret,
    /// Merchant VAT number.
    pub merchant_vat: String,
    /// The version being certified.
    pub client_version: String,
    /// The service's time scale.
    pub time_scale: f64,
}

impl Connection {
    /// What an integrator's client is told about its connection, by name: the environment of an
    /// exec client, the headers of every request to an http client (`_` written `-`).
    pub fn announced(&self) -> Vec<(&'static str, String)> {
        vec![
            ("MPCERT_PROTOCOL", protocol::PROTOCOL_VERSION.to_string()),
            ("MPCERT_API_BASE_URL", self.api_base_url.clone()),
            ("MPCERT_AUTH_URL", self.auth_url.clone()),
            ("MPCERT_CLIENT_ID", self.client_id.clone()),
            (CLIENT_SECRET_NAME, self.client_secret.expose().to_string()),
            ("MPCERT_MERCHANT_VAT", self.merchant_vat.clone()),
            ("MPCERT_TIME_SCALE", self.time_scale.to_string()),
        ]
    }
}

/// The name under which the client secret is announced.
pub const CLIENT_SECRET_NAME: &str = "MPCERT_CLIENT_SECRET";

/// A connected client under test.
pub enum Adapter {
    /// The reference client.
    Reference(Box<ReferenceClient>),
    /// An integrator's client started as a command.
    Exec(Box<ExecClient>),
    /// An integrator's client reached over HTTP.
    Http(HttpClient),
}

impl Adapter {
    /// Connects the client described by `spec`.
    pub fn connect(spec: &ClientSpec, connection: Connection) -> Result<Self, AdapterError> {
        match spec {
            ClientSpec::Reference(conduct) => {
                let config = ReferenceConfig {
                    connection,
                    conduct: *conduct,
                };
                Ok(Adapter::Reference(Box::new(ReferenceClient::new(config)?)))
            }
            ClientSpec::Exec(command) => Ok(Adapter::Exec(Box::new(ExecClient::new(
                command, connection,
            )))),
            ClientSpec::Http(url) => Ok(Adapter::Http(HttpClient::new(url.clone(), connection)?)),
        }
    }

    /// Performs one operation.
    pub async fn perform(
        &mut self,
        op: Operation,
        params: &Fields,
    ) -> Result<Answer, AdapterError> {
        match self {
            Adapter::Reference(client) => client.perform(op, params).await.map(Answer::from),
            Adapter::Exec(client) => client.perform(op, params).await,
            Adapter::Http(client) => client.perform(op, params).await,
        }
    }

    /// Gives up on the operation under way (it timed out, or the run was interrupted): an exec
    /// client is stopped with its whole process group, to be started afresh when needed.
    pub async fn abandon(&mut self) {
        if let Adapter::Exec(client) = self {
            client.abandon().await;
        }
    }

    /// The client's own log since the last call (an exec client's stderr), if it wrote any.
    pub fn take_log(&mut self) -> Option<String> {
        match self {
            Adapter::Exec(client) => client.take_log(),
            Adapter::Reference(_) | Adapter::Http(_) => None,
        }
    }

    /// Ends the run for the client: an exec client's stdin is closed, which asks it to exit.
    pub async fn shutdown(&mut self) {
        if let Adapter::Exec(client) = self {
            client.shutdown().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_specs_name_their_adapter_and_digest() {
        let exec = ClientSpec::parse("exec: ./till --driver ");
        assert_eq!(exec, Ok(ClientSpec::Exec("./till --driver".into())));
        let info = exec.map(|spec| spec.adapter_info()).ok();
        let digest = info.as_ref().and_then(|i| i.command_digest.clone());
        assert_eq!(info.map(|i| i.kind), Some(AdapterKind::Exec));
        assert_eq!(digest, Some(sha256_hex("./till --driver")));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        for text in [
            "http:http://127.0.0.1:8080/driver",
            "http://127.0.0.1:8080/driver",
        ] {
            let spec = ClientSpec::parse(text).map_err(|e| e.to_string());
            let described = spec.as_ref().map(ClientSpec::describe).unwrap_or_default();
            assert!(
                described.starts_with("http (sha256 "),
                "{text}: {described}"
            );
            assert!(matches!(spec, Ok(ClientSpec::Http(_))));
        }
        for bad in ["exec:", "http:/driver", "http:ftp://x/y", "lua"] {
            assert!(ClientSpec::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ClientSpec::parse("reference").map(|s| s.describe()),
            Ok("reference".into())
        );
    }
}
