//! One HTTP exchange as the certification service saw it: when it arrived and ended, what was
//! asked and answered (secrets redacted), which fault was injected, and whether the client hung
//! up first. The service records these, the session API ships them, the judge reads them and the
//! report keeps them; this type is the contract between the four.

use serde::{Deserialize, Serialize};

use crate::catalogue::model::FaultReply;
use crate::pos::Endpoint;

/// A recorded exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// Sequence number in the session, from 1.
    pub seq: u64,
    /// Full case id (`category/case`) active when the call arrived.
    pub case: Option<String>,
    /// Step index (0-based) active when the call arrived.
    pub step: Option<usize>,
    /// Milliseconds since the session started, real time, when the request arrived.
    pub received_ms: f64,
    /// Milliseconds since the session started when the answer was sent or the client hung up.
    pub ended_ms: f64,
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub path: String,
    /// The PoS v10 endpoint (`METHOD /template`), when the path is one.
    pub endpoint: Option<String>,
    /// The id in the path (posId, paymentId, …), if any.
    pub resource_id: Option<String>,
    /// Request headers, names lowercased, secrets redacted.
    pub headers: Vec<(String, String)>,
    /// Request body as text (secrets redacted), if any.
    pub request_body: Option<String>,
    /// Response status; `None` when the client hung up first.
    pub status: Option<u16>,
    /// Response body as text, if any.
    pub response_body: Option<String>,
    /// The fault injected into this call.
    pub fault: Option<FaultReply>,
    /// How the exchange ended.
    pub outcome: ExchangeOutcome,
}

/// How an exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeOutcome {
    /// The service sent its answer.
    Answered,
    /// The client closed the connection before the answer was sent.
    ClientHungUp,
}

impl Exchange {
    /// The PoS v10 endpoint of the call, if it was one.
    pub fn pos_endpoint(&self) -> Option<Endpoint> {
        self.endpoint.as_deref().and_then(Endpoint::parse)
    }

    /// The value of a request header (names compare case-insensitively); the first if repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How many times a request header was sent.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    /// The request body parsed as JSON, if it is JSON.
    pub fn request_json(&self) -> Option<serde_json::Value> {
        self.request_body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
    }

    /// The response body parsed as JSON, if it is JSON.
    pub fn response_json(&self) -> Option<serde_json::Value> {
        self.response_body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
    }

    /// The error code of an error answer, if it has one.
    pub fn error_code(&self) -> Option<String> {
        self.response_json()?
            .get("code")?
            .as_str()
            .map(str::to_string)
    }

    /// Whether the call failed in a way a client should retry: a 5xx or a hang-up.
    pub fn is_retryable_failure(&self) -> bool {
        self.outcome == ExchangeOutcome::ClientHungUp || self.status.is_some_and(|s| s >= 500)
    }

    /// One line for logs: `#7 POST /pos/v10/payments → 409 1301`.
    pub fn summary(&self) -> String {
        let answer = match (self.outcome, self.status) {
            (ExchangeOutcome::ClientHungUp, _) => "client hung up".to_string(),
            (_, Some(status)) => match self.error_code() {
                Some(code) => format!("{status} {code}"),
                None => status.to_string(),
            },
            (_, None) => "no answer".to_string(),
        };
        let fault = match self.fault {
            Some(FaultReply::Hold200) => " [hold200]",
            Some(FaultReply::Err500) => " [err500]",
            None => "",
        };
        format!(
            "#{} +{:.0}ms {} {} → {answer} ({:.0}ms){fault}",
            self.seq,
            self.received_ms,
            self.method,
            self.path,
            self.ended_ms - self.received_ms
        )
    }
}
