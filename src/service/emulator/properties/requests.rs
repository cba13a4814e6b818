//! How the harness's requests are made and its answers read: the headers every call carries,
//! the pools' ids picked by index, the amounts an operation names, another body for a reused
//! key, and an answer rendered as the pipeline renders it for the client.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::ops::{Amount, Share};
use crate::pos::Endpoint;
use crate::service::emulator::ApiAnswer;
use crate::service::emulator::fixtures::VAT;

/// The id used when a pool is still empty: nothing has it.
pub(super) const UNKNOWN_ID: &str = "6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21";
/// A beacon id no PoS has.
pub(super) const UNKNOWN_BEACON: &str = "000000000000000";

/// An answer as the client receives it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Answer {
    /// The HTTP status.
    pub(super) status: u16,
    /// The body exactly as sent, if any.
    pub(super) body: Option<String>,
    /// Whether an injected `err500` answered instead of the pipeline.
    pub(super) injected: bool,
}

/// The answer as the pipeline's `respond` renders it (with a fixed correlation id).
pub(super) fn render(answer: &ApiAnswer, endpoint: Endpoint) -> Answer {
    let (status, body) = match answer {
        Ok(body) => (200, body.as_ref().map(Value::to_string)),
        Err(error) => (
            error.status(),
            error
                .body("c0ffee", endpoint.uses_error_v2())
                .and_then(|b| serde_json::to_string(&b).ok()),
        ),
    };
    Answer {
        status,
        body,
        injected: false,
    }
}

pub(super) fn headers(key: Option<&str>, with_body: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-mobilepay-client-system-version",
        HeaderValue::from_static("1.0.0"),
    );
    headers.insert(
        "x-mobilepay-merchant-vat-number",
        HeaderValue::from_static(VAT),
    );
    if with_body {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
    }
    if let Some(Ok(key)) = key.map(HeaderValue::from_str) {
        headers.insert("x-mobilepay-idempotency-key", key);
    }
    headers
}

/// The pool's `index`-th id counting from the newest, modulo its size; an unknown id while it is
/// empty.
pub(super) fn pick(pool: &[String], index: u8) -> String {
    match pool.len() {
        0 => UNKNOWN_ID.to_string(),
        len => pool[len - 1 - usize::from(index) % len].clone(),
    }
}

pub(super) fn remember(pool: &mut Vec<String>, id: String) {
    if !pool.contains(&id) {
        pool.push(id);
    }
}

pub(super) fn amount_of(amount: Amount) -> f64 {
    match amount {
        Amount::Cents(cents) => f64::from(cents) / 100.0,
        Amount::Huge => 1e17,
        Amount::ThreeDecimals => 10.005,
        Amount::Zero => 0.0,
    }
}

pub(super) fn share_of(share: Share, base: f64) -> f64 {
    let base_cents = (base * 100.0).round();
    match share {
        Share::All => base,
        Share::Percent(p) => (base_cents * f64::from(p) / 100.0).round().max(1.0) / 100.0,
        Share::Over => (base_cents + 1.0) / 100.0,
        Share::Cents(cents) => f64::from(cents) / 100.0,
        Share::Huge => 1e17,
        Share::ThreeDecimals => 1.005,
    }
}

/// The body with its order id (or merchantPosId, or refundOrderId) replaced by `other`.
pub(super) fn with_other_order(body: &Value, other: &str) -> Value {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        for field in ["orderId", "merchantPosId", "refundOrderId"] {
            if let Some(value) = object.get_mut(field) {
                *value = json!(other);
            }
        }
    }
    body
}
