//! Server-side recording of exchanges. A guard is opened when a request arrives (tagged with the
//! armed case and step) and closed when the answer is sent; if the client hangs up first the
//! handler's future is dropped, and the guard's `Drop` records the exchange as abandoned at
//! that moment. Secrets (authorization headers, client secrets, access tokens) are redacted
//! before anything is stored.

use axum::http::HeaderMap;

use crate::catalogue::model::FaultReply;
use crate::exchange::{Exchange, ExchangeOutcome};

use super::registry::Shared;
use super::session::Session;

/// The placeholder that replaces every secret.
pub const REDACTED: &str = "<redacted>";

/// An exchange being recorded.
pub struct ExchangeGuard {
    state: Shared,
    session_id: String,
    exchange: Option<Exchange>,
}

/// What arrived, for opening a guard.
pub struct Arrival<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path and query.
    pub path: &'a str,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Request body (already redacted where needed).
    pub body: Option<String>,
    /// The PoS endpoint, if any.
    pub endpoint: Option<String>,
    /// The id in the path, if any.
    pub resource_id: Option<String>,
}

impl ExchangeGuard {
    /// Opens a guard for a request that just arrived; the caller holds the registry lock.
    pub fn open(state: Shared, session: &mut Session, arrival: Arrival<'_>) -> Self {
        let seq = session.next_exchange_seq();
        let received_ms = session.clock.elapsed_ms();
        let (case, step) = match &session.current {
            Some(current) => (Some(current.id.clone()), current.step),
            None => (None, None),
        };
        let exchange = Exchange {
            seq,
            case,
            step,
            received_ms,
            ended_ms: received_ms,
            method: arrival.method.to_string(),
            path: arrival.path.to_string(),
            endpoint: arrival.endpoint,
            resource_id: arrival.resource_id,
            headers: redact_headers(arrival.headers),
            request_body: arrival.body,
            status: None,
            response_body: None,
            fault: None,
            outcome: ExchangeOutcome::ClientHungUp,
        };
        ExchangeGuard {
            state,
            session_id: session.id.clone(),
            exchange: Some(exchange),
        }
    }

    /// Notes the fault injected into this exchange.
    pub fn set_fault(&mut self, fault: Option<FaultReply>) {
        if let Some(exchange) = self.exchange.as_mut() {
            exchange.fault = fault;
        }
    }

    /// Records the answer; the exchange is stored when the guard drops right after.
    pub fn answer(mut self, status: u16, body: Option<String>) {
        if let Some(exchange) = self.exchange.as_mut() {
            exchange.status = Some(status);
            exchange.response_body = body;
            exchange.outcome = ExchangeOutcome::Answered;
        }
    }
}

impl Drop for ExchangeGuard {
    fn drop(&mut self) {
        let Some(mut exchange) = self.exchange.take() else {
            return;
        };
        let mut registry = self.state.lock();
        if let Some(session) = registry.sessions.get_mut(&self.session_id) {
            exchange.ended_ms = session.clock.elapsed_ms();
            session.exchanges.push(exchange);
        }
    }
}

/// Header names lowercased, values kept, authorization redacted to its scheme.
pub fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_ascii_lowercase();
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let value = if name == "authorization" {
                let scheme = value.split_whitespace().next().unwrap_or_default();
                format!("{scheme} {REDACTED}")
            } else {
                value
            };
            (name, value)
        })
        .collect()
}

/// A form body with the value of every secret field (`client_secret`, tokens) redacted.
pub fn redact_form(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.contains("secret") || key.contains("token") => {
                format!("{key}={REDACTED}")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn authorization_keeps_only_its_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert("Authorization", HeaderValue::from_static("Bearer abc.def"));
        headers.insert(
            "X-MobilePay-Client-System-Version",
            HeaderValue::from_static("1.2.3"),
        );
        let redacted = redact_headers(&headers);
        assert!(redacted.contains(&("authorization".into(), "Bearer <redacted>".into())));
        assert!(redacted.contains(&("x-mobilepay-client-system-version".into(), "1.2.3".into())));
    }

    #[test]
    fn form_secrets_are_redacted() {
        assert_eq!(
            redact_form("grant_type=client_credentials&client_secret=s3cr3t"),
            "grant_type=client_credentials&client_secret=<redacted>"
        );
    }
}
