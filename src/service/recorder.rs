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
        session.in_flight += 1;
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
        {
            let mut registry = self.state.lock();
            if let Some(session) = registry.sessions.get_mut(&self.session_id) {
                exchange.ended_ms = session.clock.elapsed_ms();
                session.exchanges.push(exchange);
                session.in_flight = session.in_flight.saturating_sub(1);
            }
        }
        self.state.exchange_recorded.notify_waiters();
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

    use crate::service::emulator::fixtures::session;
    use crate::service::registry::ServiceState;

    fn arrival(headers: &HeaderMap) -> Arrival<'_> {
        Arrival {
            method: "POST",
            path: "/pos/v10/payments",
            headers,
            body: Some("{}".into()),
            endpoint: Some("POST /payments".into()),
            resource_id: None,
        }
    }

    fn open(
        state: &crate::service::registry::Shared,
        id: &str,
        headers: &HeaderMap,
    ) -> ExchangeGuard {
        let mut registry = state.lock();
        let Some(session) = registry.sessions.get_mut(id) else {
            panic!("no session {id}");
        };
        ExchangeGuard::open(state.clone(), session, arrival(headers))
    }

    #[test]
    fn a_dropped_guard_records_a_hang_up_and_an_answered_one_its_answer() {
        let state = ServiceState::new(1.0);
        let session = session();
        let id = session.id.clone();
        state.lock().sessions.insert(id.clone(), session);
        let headers = HeaderMap::new();
        let abandoned = open(&state, &id, &headers);
        let answered = open(&state, &id, &headers);
        assert_eq!(state.lock().sessions.get(&id).map(|s| s.in_flight), Some(2));
        drop(abandoned);
        answered.answer(200, Some("{}".into()));
        let registry = state.lock();
        let Some(session) = registry.sessions.get(&id) else {
            panic!("session vanished");
        };
        assert_eq!(session.in_flight, 0);
        let outcomes: Vec<(u64, ExchangeOutcome, Option<u16>)> = session
            .exchanges
            .iter()
            .map(|e| (e.seq, e.outcome, e.status))
            .collect();
        assert_eq!(
            outcomes,
            vec![
                (1, ExchangeOutcome::ClientHungUp, None),
                (2, ExchangeOutcome::Answered, Some(200))
            ]
        );
    }

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
