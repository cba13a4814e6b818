//! One HTTP attempt and how it ended: answered (with status and body), timed out, never
//! connected, or broken mid-exchange. The distinction drives everything above it: only a refused
//! connection means the target is unreachable, while a timeout or a broken connection leaves the
//! outcome unknown, so a retry must be recognisable as the same request.

use std::time::Duration;

use reqwest::RequestBuilder;
use serde_json::Value;

/// How one attempt ended.
#[derive(Debug)]
pub(super) enum Attempt {
    /// The service answered.
    Answered {
        /// HTTP status.
        status: u16,
        /// Raw body.
        body: Vec<u8>,
    },
    /// No complete answer within the timeout; the request may have been processed.
    TimedOut(Duration),
    /// No connection could be established; the request was never sent.
    Connect(String),
    /// The connection failed mid-exchange; the request may have been processed.
    Network(String),
}

impl Attempt {
    /// The answer's status, if there was one.
    pub(super) fn status(&self) -> Option<u16> {
        match self {
            Attempt::Answered { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// One line for failure messages.
    pub(super) fn describe(&self) -> String {
        match self {
            Attempt::Answered { status, body } => describe_status(*status, &parse_body(body)),
            Attempt::TimedOut(limit) => format!("timed out after {} ms", limit.as_millis()),
            Attempt::Connect(reason) => format!("connection failed: {reason}"),
            Attempt::Network(reason) => format!("network error: {reason}"),
        }
    }
}

/// Sends one request, giving up after `limit` (dropping the connection, as a real client does).
pub(super) async fn send_attempt(request: RequestBuilder, limit: Duration) -> Attempt {
    let exchange = async move {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        Ok::<_, reqwest::Error>((status, body.to_vec()))
    };
    match tokio::time::timeout(limit, exchange).await {
        Err(_) => Attempt::TimedOut(limit),
        Ok(Ok((status, body))) => Attempt::Answered { status, body },
        Ok(Err(error)) if error.is_timeout() => Attempt::TimedOut(limit),
        Ok(Err(error)) if error.is_connect() => Attempt::Connect(causes(&error)),
        Ok(Err(error)) => Attempt::Network(causes(&error)),
    }
}

/// The causes of a transport error, innermost last (the top level only repeats the URL).
fn causes(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    }
}

/// A body as JSON, `Null` when empty or not JSON.
pub(super) fn parse_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// `HTTP 409 code 1301`, or `HTTP 404` for an answer without a code.
pub(super) fn describe_status(status: u16, body: &Value) -> String {
    match error_code(body) {
        Some(code) => format!("HTTP {status} code {code}"),
        None => format!("HTTP {status}"),
    }
}

/// The `code` of an error body (a string on the wire; a number is tolerated).
pub(super) fn error_code(body: &Value) -> Option<String> {
    match body.get("code")? {
        Value::String(code) => Some(code.clone()),
        Value::Number(code) => Some(code.to_string()),
        _ => None,
    }
}
