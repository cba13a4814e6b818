//! The driver protocol, version 1 (DESIGN §3): the request and response objects mpcert exchanges
//! with a client under test, one JSON object per line, and the typed view of an operation's
//! outcome every adapter returns.

use serde::{Deserialize, Serialize};

use crate::catalogue::Operation;

/// The protocol version announced in `MPCERT_PROTOCOL`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Parameters or result fields of an operation.
pub type Fields = serde_json::Map<String, serde_json::Value>;

/// A request to the client under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Correlates the response.
    pub id: u64,
    /// The operation.
    pub op: Operation,
    /// Its parameters.
    pub params: Fields,
}

/// A response from the client under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// The id of the request it answers.
    pub id: u64,
    /// Whether the operation succeeded.
    pub ok: bool,
    /// The result, when `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Fields>,
    /// The failure, when not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
}

/// A failure reported by the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseError {
    /// What went wrong, in the client's words.
    pub message: String,
}

/// The outcome of one operation: the client's result, or the failure it reported. A broken
/// adapter (crash, garbage, unreachable target) is not an outcome but an [`AdapterError`].
pub type OperationOutcome = Result<Fields, String>;

/// The adapter could not obtain a trustworthy outcome.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// The certification target could not be reached.
    #[error("the certification target {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The token endpoint refused the session's credentials.
    #[error("authentication refused by {url} (HTTP {status})")]
    AuthRefused {
        /// The token URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The client broke the protocol (crashed, hung, wrote garbage).
    #[error("the client broke the driver protocol: {0}")]
    Protocol(String),
}

impl Response {
    /// Converts a protocol response into an outcome.
    pub fn into_outcome(self) -> Result<OperationOutcome, AdapterError> {
        match (self.ok, self.result, self.error) {
            (true, result, None) => Ok(Ok(result.unwrap_or_default())),
            (false, None, Some(error)) => Ok(Err(error.message)),
            _ => Err(AdapterError::Protocol(format!(
                "response {} must carry `result` when ok and `error` otherwise",
                self.id
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_matches_the_design() -> Result<(), serde_json::Error> {
        let mut params = Fields::new();
        params.insert("posId".into(), "p".into());
        let line = serde_json::to_string(&Request {
            id: 7,
            op: Operation::Pay,
            params,
        })?;
        assert_eq!(line, r#"{"id":7,"op":"pay","params":{"posId":"p"}}"#);
        Ok(())
    }

    #[test]
    fn responses_become_outcomes() -> Result<(), Box<dyn std::error::Error>> {
        let ok: Response =
            serde_json::from_str(r#"{"id":7,"ok":true,"result":{"status":"Reserved"}}"#)?;
        assert_eq!(
            ok.into_outcome()?.map(|r| r["status"].clone()),
            Ok("Reserved".into())
        );
        let failed: Response =
            serde_json::from_str(r#"{"id":7,"ok":false,"error":{"message":"no"}}"#)?;
        assert_eq!(failed.into_outcome()?, Err("no".to_string()));
        let garbage: Response =
            serde_json::from_str(r#"{"id":7,"ok":true,"error":{"message":"?"}}"#)?;
        assert!(garbage.into_outcome().is_err());
        Ok(())
    }
}
