//! Adapters that operate a client under test through the driver protocol (DESIGN §3). The
//! reference adapter is mpcert's own PoS v10 client, written to every conduct rule; it is the
//! executable reference of correct behaviour and the self-test of catalogue and service.

pub mod protocol;
pub mod reference;

use crate::catalogue::Operation;
use crate::report::{AdapterInfo, AdapterKind};
use crate::secret::Secret;

use protocol::{AdapterError, Fields, OperationOutcome};
use reference::{Conduct, ReferenceClient, ReferenceConfig};

/// Which client to certify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientSpec {
    /// mpcert's reference client, with the given conduct (correct unless a test says otherwise).
    Reference(Conduct),
}

/// `--client` names no known adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--client: unknown client `{0}`; supported: reference")]
pub struct UnknownClient(pub String);

impl ClientSpec {
    /// Parses a `--client` value.
    pub fn parse(text: &str) -> Result<Self, UnknownClient> {
        match text {
            "reference" => Ok(ClientSpec::Reference(Conduct::default())),
            other => Err(UnknownClient(other.to_string())),
        }
    }

    /// How the client is operated, as a session declares it.
    pub fn adapter_info(&self) -> AdapterInfo {
        match self {
            ClientSpec::Reference(_) => AdapterInfo {
                kind: AdapterKind::Reference,
                command_digest: None,
            },
        }
    }

    /// How the client is named in reports.
    pub fn describe(&self) -> String {
        match self {
            ClientSpec::Reference(conduct) if *conduct == Conduct::default() => "reference".into(),
            ClientSpec::Reference(conduct) => format!("reference ({})", conduct.describe()),
        }
    }
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

/// A connected client under test.
pub enum Adapter {
    /// The reference client.
    Reference(Box<ReferenceClient>),
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
        }
    }

    /// Performs one operation.
    pub async fn perform(
        &mut self,
        op: Operation,
        params: &Fields,
    ) -> Result<OperationOutcome, AdapterError> {
        match self {
            Adapter::Reference(client) => client.perform(op, params).await,
        }
    }
}
