//! The driver protocol, version 1 (`docs/driver-protocol.md`): the request and response objects
//! mpcert exchanges with a client under test (one JSON object per line for `exec:`, one per POST
//! for `http:`), and the typed view of an operation's outcome every adapter returns. Responses are
//! read forward compatibly: `id`, `ok` and `result` or `error` are required, and any field this
//! version does not define is kept as sent, for the report, rather than refused.

use serde::{Deserialize, Serialize};

use crate::catalogue::Operation;
use crate::secret::Secret;

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

/// Numbers the requests to one client: ids count from 1 over the whole run, across restarts.
#[derive(Debug, Default)]
pub struct RequestIds {
    last: u64,
}

impl RequestIds {
    /// The next request, for `op` with `params`.
    pub fn next(&mut self, op: Operation, params: &Fields) -> Request {
        self.last += 1;
        Request {
            id: self.last,
            op,
            params: params.clone(),
        }
    }
}

/// A response from the client under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Fields this protocol version does not define, kept as sent.
    #[serde(flatten)]
    pub unknown: Fields,
}

/// A failure reported by the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseError {
    /// What went wrong, in the client's words.
    pub message: String,
    /// Fields this protocol version does not define, kept as sent.
    #[serde(flatten)]
    pub unknown: Fields,
}

/// The outcome of one operation: the client's result, or the failure it reported. A broken
/// adapter (crash, garbage, unreachable target) is not an outcome but an [`AdapterError`].
pub type OperationOutcome = Result<Fields, String>;

/// What a client answered to one operation: the outcome, and the fields of its response this
/// protocol version does not define (those of the `error` object under `error`), for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The outcome.
    pub outcome: OperationOutcome,
    /// Undefined response fields, kept as sent.
    pub unknown: Fields,
}

impl Answer {
    /// The answer with `secret` scrubbed from its message and every text of its fields: a
    /// client that echoes its credentials must not put them into a report.
    fn scrub(self, secret: &Secret) -> Answer {
        Answer {
            outcome: match self.outcome {
                Ok(result) => Ok(scrub_fields(result, secret)),
                Err(message) => Err(secret.scrub(&message)),
            },
            unknown: scrub_fields(self.unknown, secret),
        }
    }
}

fn scrub_fields(fields: Fields, secret: &Secret) -> Fields {
    (fields.into_iter())
        .map(|(name, value)| (name, scrub_value(value, secret)))
        .collect()
}

fn scrub_value(value: serde_json::Value, secret: &Secret) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(secret.scrub(&text)),
        Value::Array(items) => Value::Array(
            (items.into_iter())
                .map(|item| scrub_value(item, secret))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(scrub_fields(fields, secret)),
        other => other,
    }
}

impl From<OperationOutcome> for Answer {
    fn from(outcome: OperationOutcome) -> Self {
        Answer {
            outcome,
            unknown: Fields::new(),
        }
    }
}

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
    /// The client under test could not be started or reached.
    #[error("the client is unavailable: {0}")]
    Unavailable(String),
}

/// Longest response mpcert reads, in bytes (a line for `exec:`, a body for `http:`).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Longest excerpt of a malformed response quoted in an error.
const EXCERPT_CHARS: usize = 200;

/// Reads the answer to request `id` from `bytes` (`what` names them in errors: `a line`, `a
/// response body`), with `secret` scrubbed from every text in it; anything but a valid response
/// to that request is a protocol error quoting a short excerpt, scrubbed as well.
pub fn read_answer(
    bytes: &[u8],
    id: u64,
    what: &str,
    secret: &Secret,
) -> Result<Answer, AdapterError> {
    match serde_json::from_slice::<Response>(bytes) {
        Ok(response) if response.id == id => Ok(response.into_answer()?.scrub(secret)),
        Ok(response) => Err(AdapterError::Protocol(format!(
            "the client answered request {} while request {id} was waiting",
            response.id
        ))),
        Err(e) => {
            let text = String::from_utf8_lossy(bytes);
            let mut excerpt: String = text.chars().take(EXCERPT_CHARS).collect();
            if text.chars().nth(EXCERPT_CHARS).is_some() {
                excerpt.push('…');
            }
            Err(AdapterError::Protocol(format!(
                "the client wrote {what} that is not a protocol response ({e}): {}",
                secret.scrub(&excerpt).escape_debug()
            )))
        }
    }
}

impl Response {
    /// Converts a protocol response into the client's answer: `result` is required when `ok`,
    /// `error` otherwise, and not both.
    pub fn into_answer(self) -> Result<Answer, AdapterError> {
        let mut unknown = self.unknown;
        let outcome = match (self.ok, self.result, self.error) {
            (true, Some(result), None) => Ok(result),
            (false, None, Some(error)) => {
                if !error.unknown.is_empty() {
                    unknown.insert("error".into(), error.unknown.into());
                }
                Err(error.message)
            }
            _ => {
                return Err(AdapterError::Protocol(format!(
                    "response {} must carry `result` when `ok` is true and `error` when it is false",
                    self.id
                )));
            }
        };
        Ok(Answer { outcome, unknown })
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

    fn answer(line: &str) -> Result<Answer, Box<dyn std::error::Error>> {
        Ok(serde_json::from_str::<Response>(line)?.into_answer()?)
    }

    #[test]
    fn responses_become_answers() -> Result<(), Box<dyn std::error::Error>> {
        let ok = answer(r#"{"id":7,"ok":true,"result":{"status":"Reserved"}}"#)?;
        assert_eq!(
            ok.outcome.map(|r| r["status"].clone()),
            Ok("Reserved".into())
        );
        let failed = answer(r#"{"id":7,"ok":false,"error":{"message":"no"}}"#)?;
        assert_eq!(failed, Answer::from(Err("no".to_string())));
        for garbage in [
            r#"{"id":7,"ok":true,"error":{"message":"?"}}"#,
            r#"{"id":7,"ok":true}"#,
            r#"{"id":7,"ok":false,"result":{},"error":{"message":"?"}}"#,
        ] {
            assert!(answer(garbage).is_err(), "{garbage}");
        }
        for incomplete in [r#"{"ok":true,"result":{}}"#, r#"{"id":7,"result":{}}"#] {
            assert!(serde_json::from_str::<Response>(incomplete).is_err());
        }
        Ok(())
    }

    #[test]
    fn only_the_awaited_response_is_read() {
        let secret = Secret::new("s3cr3t");
        let line = br#"{"id":8,"ok":true,"result":{}}"#;
        assert!(read_answer(line, 8, "a line", &secret).is_ok());
        let other = read_answer(line, 9, "a line", &secret)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            other.as_deref(),
            Some(
                "the client broke the driver protocol: the client answered request 8 while request 9 was waiting"
            )
        );
        let garbage = read_answer(b"login with s3cr3t\x1b[0m", 1, "a line", &secret)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            garbage.starts_with("the client broke the driver protocol: the client wrote a line that is not a protocol response (expected value at line 1 column 1): login with <redacted>\\u{1b}[0m"),
            "{garbage}"
        );
        let long = read_answer("x".repeat(5000).as_bytes(), 1, "a line", &secret)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            long.ends_with(&format!("{}…", "x".repeat(EXCERPT_CHARS))),
            "{long}"
        );
    }

    #[test]
    fn the_secret_is_scrubbed_from_answers() -> Result<(), AdapterError> {
        let secret = Secret::new("s3cr3t");
        let line = br#"{"id":1,"ok":false,"error":{"message":"bad s3cr3t","x":["s3cr3t"]},"y":{"z":"s3cr3t"}}"#;
        let answer = read_answer(line, 1, "a line", &secret)?;
        assert_eq!(answer.outcome, Err("bad <redacted>".to_string()));
        assert_eq!(
            serde_json::Value::Object(answer.unknown),
            serde_json::json!({"error": {"x": ["<redacted>"]}, "y": {"z": "<redacted>"}})
        );
        Ok(())
    }

    #[test]
    fn unknown_response_fields_are_kept() -> Result<(), Box<dyn std::error::Error>> {
        let ok =
            answer(r#"{"id":7,"ok":true,"result":{"status":"Captured","x":1},"trace":"t-1"}"#)?;
        assert_eq!(ok.outcome.map(|r| r["x"].clone()), Ok(1.into()));
        assert_eq!(ok.unknown.get("trace"), Some(&"t-1".into()));
        let failed =
            answer(r#"{"id":7,"ok":false,"error":{"message":"no","code":"E1"},"took":3}"#)?;
        assert_eq!(failed.outcome, Err("no".to_string()));
        assert_eq!(
            serde_json::Value::Object(failed.unknown),
            serde_json::json!({"took": 3, "error": {"code": "E1"}})
        );
        Ok(())
    }
}
