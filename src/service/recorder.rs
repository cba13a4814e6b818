//! Server-side recording of exchanges, bounded. A guard is opened when a request arrives (tagged
//! with the armed case and step) and closed when the answer is sent; if the client hangs up
//! first the handler's future is dropped, and the guard's `Drop` records the exchange as
//! abandoned at that moment. The recording sits behind its own lock, separate from the session
//! state, and is locked only inside its own short methods, so a guard can be dropped anywhere
//! without risking a deadlock. Each case keeps at most [`MAX_CASE_EXCHANGES`] exchanges and
//! [`MAX_CASE_BYTES`] bytes; beyond that the service counts what it drops and the case says so.
//! Secrets (authorization headers, client secrets, access tokens) are redacted before anything is
//! stored.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::HeaderMap;

use crate::catalogue::model::FaultReply;
use crate::exchange::{Exchange, ExchangeOutcome, VatSource};
use crate::report::Truncation;

use super::handle::SessionHandle;

/// The placeholder that replaces every secret.
pub const REDACTED: &str = "<redacted>";
/// The most exchanges one case (or the time outside any case) keeps; a correct client makes a
/// few dozen calls in a case, so this bounds memory without ever cutting a fair recording.
pub const MAX_CASE_EXCHANGES: usize = 1000;
/// The most bytes (paths, headers and bodies) one case keeps.
pub const MAX_CASE_BYTES: u64 = 1024 * 1024;

/// What a session has recorded, per case.
#[derive(Debug, Default)]
pub struct Recording {
    next_seq: u64,
    in_flight: usize,
    tapes: BTreeMap<Option<String>, Tape>,
}

/// The exchanges of one case (or of the time outside any case).
#[derive(Debug, Default)]
struct Tape {
    exchanges: Vec<Exchange>,
    bytes: u64,
    dropped: u64,
    dropped_bytes: u64,
}

impl Tape {
    fn sorted(&self) -> Vec<Exchange> {
        let mut exchanges = self.exchanges.clone();
        exchanges.sort_by_key(|e| e.seq);
        exchanges
    }

    fn truncation(&self) -> Option<Truncation> {
        (self.dropped > 0).then_some(Truncation {
            kept: self.exchanges.len() as u64,
            dropped: self.dropped,
            dropped_bytes: self.dropped_bytes,
        })
    }
}

fn size_of(exchange: &Exchange) -> u64 {
    let headers: usize = exchange
        .headers
        .iter()
        .map(|(name, value)| name.len() + value.len())
        .sum();
    let bodies = exchange.request_body.as_ref().map_or(0, String::len)
        + exchange.response_body.as_ref().map_or(0, String::len);
    (exchange.path.len() + headers + bodies) as u64
}

impl Recording {
    /// Exchanges that arrived and are not recorded yet (answer pending, or the client hung up
    /// and the server has not noticed yet).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    fn open(&mut self) -> u64 {
        self.next_seq += 1;
        self.in_flight += 1;
        self.next_seq
    }

    fn store(&mut self, exchange: Exchange) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let size = size_of(&exchange);
        let tape = self.tapes.entry(exchange.case.clone()).or_default();
        if tape.exchanges.len() < MAX_CASE_EXCHANGES && tape.bytes + size <= MAX_CASE_BYTES {
            tape.bytes += size;
            tape.exchanges.push(exchange);
        } else {
            tape.dropped += 1;
            tape.dropped_bytes += size;
        }
    }

    /// The kept exchanges of a case in arrival order, and what was dropped.
    pub fn case(&self, case_id: &str) -> (Vec<Exchange>, Option<Truncation>) {
        match self.tapes.get(&Some(case_id.to_string())) {
            Some(tape) => (tape.sorted(), tape.truncation()),
            None => (Vec::new(), None),
        }
    }

    /// Every kept exchange in arrival order.
    pub fn all(&self) -> Vec<Exchange> {
        let mut exchanges: Vec<Exchange> = self
            .tapes
            .values()
            .flat_map(|t| t.exchanges.iter().cloned())
            .collect();
        exchanges.sort_by_key(|e| e.seq);
        exchanges
    }
}

/// An exchange being recorded.
pub struct ExchangeGuard {
    session: Arc<SessionHandle>,
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
    /// Opens a guard for a request that just arrived during `case` and `step`.
    pub fn open(
        session: Arc<SessionHandle>,
        arrival: Arrival<'_>,
        (case, step): (Option<String>, Option<usize>),
    ) -> Self {
        let seq = session.recording().open();
        let received_ms = session.clock().elapsed_ms();
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
            merchant_vat_from: None,
        };
        ExchangeGuard {
            session,
            exchange: Some(exchange),
        }
    }

    /// Notes the fault injected into this exchange.
    pub fn set_fault(&mut self, fault: Option<FaultReply>) {
        if let Some(exchange) = self.exchange.as_mut() {
            exchange.fault = fault;
        }
    }

    /// Notes where the merchant the call acts for came from (PoS calls only).
    pub fn set_merchant_vat_from(&mut self, source: VatSource) {
        if let Some(exchange) = self.exchange.as_mut() {
            exchange.merchant_vat_from = Some(source);
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
        exchange.ended_ms = self.session.clock().elapsed_ms();
        self.session.recording().store(exchange);
        self.session.recorded().notify_waiters();
    }
}

/// Header names lowercased, values kept, authorization redacted to its scheme and every header
/// naming a secret redacted whole.
pub fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_ascii_lowercase();
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let value = if name == "authorization" {
                let scheme = value.split_whitespace().next().unwrap_or_default();
                format!("{scheme} {REDACTED}")
            } else if name.contains("secret") {
                // `x-ibm-client-secret`, which the user simulation authenticates with.
                REDACTED.to_string()
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

    use crate::service::emulator::fixtures::handle;

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

    fn open(session: &Arc<SessionHandle>, case: Option<&str>) -> ExchangeGuard {
        let headers = HeaderMap::new();
        ExchangeGuard::open(
            session.clone(),
            arrival(&headers),
            (case.map(str::to_string), None),
        )
    }

    #[test]
    fn a_dropped_guard_records_a_hang_up_and_an_answered_one_its_answer() {
        let session = handle();
        let abandoned = open(&session, None);
        let answered = open(&session, None);
        assert_eq!(session.recording().in_flight(), 2);
        drop(abandoned);
        answered.answer(200, Some("{}".into()));
        assert_eq!(session.recording().in_flight(), 0);
        let outcomes: Vec<(u64, ExchangeOutcome, Option<u16>)> = session
            .recording()
            .all()
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
    fn the_source_of_the_merchant_vat_is_recorded() {
        let session = handle();
        let mut guard = open(&session, None);
        guard.set_merchant_vat_from(VatSource::Claim);
        guard.answer(200, None);
        let sources: Vec<Option<VatSource>> = session
            .recording()
            .all()
            .iter()
            .map(|e| e.merchant_vat_from)
            .collect();
        assert_eq!(sources, vec![Some(VatSource::Claim)]);
    }

    #[test]
    fn a_guard_dropped_while_the_session_state_is_locked_does_not_deadlock() {
        let session = handle();
        let guard = open(&session, None);
        let state = session.state();
        drop(guard);
        drop(state);
        assert_eq!(session.recording().all().len(), 1);
    }

    #[test]
    fn a_case_keeps_a_bounded_recording_and_counts_the_rest() {
        let session = handle();
        for _ in 0..MAX_CASE_EXCHANGES + 5 {
            open(&session, Some("payments/flood")).answer(200, Some("{}".into()));
        }
        open(&session, Some("payments/other")).answer(200, None);
        let recording = session.recording();
        let (kept, truncated) = recording.case("payments/flood");
        assert_eq!(kept.len(), MAX_CASE_EXCHANGES);
        assert_eq!(kept.first().map(|e| e.seq), Some(1));
        let Some(truncated) = truncated else {
            panic!("the flooded case should say it was truncated");
        };
        assert_eq!((truncated.kept, truncated.dropped), (1000, 5));
        assert!(truncated.dropped_bytes > 0);
        let (other, untouched) = recording.case("payments/other");
        assert_eq!((other.len(), untouched), (1, None));
    }

    #[test]
    fn large_bodies_hit_the_byte_bound_first() {
        let session = handle();
        let big = "x".repeat(300 * 1024);
        for _ in 0..5 {
            open(&session, Some("payments/big")).answer(200, Some(big.clone()));
        }
        let (kept, truncated) = session.recording().case("payments/big");
        assert_eq!(kept.len(), 3);
        assert_eq!(truncated.map(|t| t.dropped), Some(2));
    }

    #[test]
    fn authorization_keeps_only_its_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert("Authorization", HeaderValue::from_static("Bearer abc.def"));
        headers.insert(
            "X-MobilePay-Client-System-Version",
            HeaderValue::from_static("1.2.3"),
        );
        headers.insert("X-IBM-Client-Secret", HeaderValue::from_static("s3cr3t"));
        let redacted = redact_headers(&headers);
        assert!(redacted.contains(&("authorization".into(), "Bearer <redacted>".into())));
        assert!(redacted.contains(&("x-ibm-client-secret".into(), REDACTED.into())));
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
