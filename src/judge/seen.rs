//! What the client saw: the answers that reached it (answered with a 2xx, never a held answer it
//! hung up on), the statuses those answers showed for a payment or refund, and the ids they
//! carried. Several rules judge a call by what the client knew when it made it; they read that
//! knowledge here, from the recording alone.

use serde_json::Value;

use crate::exchange::{Exchange, ExchangeOutcome};
use crate::pos::Endpoint;
use crate::pos::constants::{MIN_CLIENT_TIMEOUT_REAL_MS, READ_TIMEOUT_MS, WRITE_TIMEOUT_MS};

/// Whether the client received a 2xx answer to the exchange.
pub fn received(exchange: &Exchange) -> bool {
    exchange.outcome == ExchangeOutcome::Answered
        && exchange.status.is_some_and(|s| (200..300).contains(&s))
}

/// The shortest time after which a correct client may give up on the exchange's answer, in real
/// milliseconds: its documented timeout scaled (2 s writes, 0.5 s reads), but never below the
/// shortest timeout a client is expected to use.
pub fn shortest_timeout_ms(exchange: &Exchange, scale: f64) -> f64 {
    let documented = if exchange.pos_endpoint().is_some_and(Endpoint::is_read) {
        READ_TIMEOUT_MS
    } else {
        WRITE_TIMEOUT_MS
    };
    (documented as f64 * scale).max(MIN_CLIENT_TIMEOUT_REAL_MS)
}

/// Whether the client surely received a 2xx answer: it did, and the service sent it before any
/// correct client could have given up on it. A slower answer may have arrived after the client's
/// timeout, so a rule that holds what the client saw against it does not count it.
pub fn surely_received(exchange: &Exchange, scale: f64) -> bool {
    received(exchange)
        && exchange.ended_ms - exchange.received_ms <= shortest_timeout_ms(exchange, scale)
}

/// Whether the service refused the exchange with a 4xx the client received.
pub fn refused(exchange: &Exchange) -> bool {
    exchange.outcome == ExchangeOutcome::Answered
        && exchange.status.is_some_and(|s| (400..500).contains(&s))
}

/// Whether the exchange's path names `id` (ids are GUIDs, compared case-insensitively).
pub fn is_about(exchange: &Exchange, id: &str) -> bool {
    exchange
        .resource_id
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case(id))
}

/// A string field of the request body.
pub fn body_text(exchange: &Exchange, field: &str) -> Option<String> {
    Some(exchange.request_json()?.get(field)?.as_str()?.to_string())
}

/// A number field of the request body (`None` when absent or not a number).
pub fn body_amount(exchange: &Exchange) -> Option<f64> {
    exchange.request_json()?.get("amount")?.as_f64()
}

/// The answer's fields, when the client received it.
pub fn answer(exchange: &Exchange) -> Option<Value> {
    received(exchange)
        .then(|| exchange.response_json())
        .flatten()
}

/// The status a received poll (`GET /payments/{id}` or `GET /refunds/{id}`) showed.
pub fn polled_status(exchange: &Exchange) -> Option<String> {
    let polled = matches!(
        exchange.pos_endpoint(),
        Some(Endpoint::QueryPayment | Endpoint::GetRefund)
    );
    if !polled {
        return None;
    }
    Some(answer(exchange)?.get("status")?.as_str()?.to_string())
}

/// The ids of a received listing's array field (`paymentIds`, `refundIds`).
pub fn listed_ids(exchange: &Exchange, field: &str) -> Vec<String> {
    answer(exchange)
        .and_then(|body| {
            body.get(field)?.as_array().map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// Whether `value` holds the string `wanted` anywhere (case-insensitively).
pub fn contains_string(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(text) => text.eq_ignore_ascii_case(wanted),
        Value::Array(items) => items.iter().any(|v| contains_string(v, wanted)),
        Value::Object(fields) => fields.values().any(|v| contains_string(v, wanted)),
        _ => false,
    }
}

/// Whether a received answer among `exchanges` carried the id `id`.
pub fn was_served<'a>(mut exchanges: impl Iterator<Item = &'a Exchange>, id: &str) -> bool {
    exchanges.any(|e| answer(e).is_some_and(|body| contains_string(&body, id)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::judge::fixtures::{call, poll};

    #[test]
    fn a_held_answer_the_client_hung_up_on_was_never_received() {
        assert!(received(&poll(1, "pay-1", "Reserved").build()));
        let dropped = poll(1, "pay-1", "Reserved").hold200().hung_up().build();
        assert!(!received(&dropped));
        assert_eq!(polled_status(&dropped), None);
        assert!(!refused(&dropped));
    }

    #[test]
    fn a_poll_shows_its_status_and_a_listing_its_ids() {
        assert_eq!(
            polled_status(&poll(1, "pay-1", "Paired").build()).as_deref(),
            Some("Paired")
        );
        let listing = call(2, Endpoint::QueryPaymentIds)
            .query("posId=pos-1")
            .response(json!({ "paymentIds": ["a", "b"] }))
            .build();
        assert_eq!(listed_ids(&listing, "paymentIds"), vec!["a", "b"]);
        assert_eq!(polled_status(&listing), None);
        assert!(was_served([&listing].into_iter(), "B"));
        assert!(!was_served([&listing].into_iter(), "c"));
    }
}
