//! Capture and refund rules (B11, domain reference §6.4), judged from what the client knew when it
//! made each call: a payment is captured only once a poll showed it `Reserved`, for more than 0
//! and at most the reserved amount, exactly the reserved amount when the poll said
//! `partialCapturePossible: false`, and with the same amount as any earlier capture; a refund is
//! made only of a payment the client captured, in its currency, and all refunds of a payment
//! stay within the captured amount. Where the recording cannot show the client's knowledge, the
//! service's own refusal code (`1304`, `1305`, `1307`, `1308`, `1102`, `1354`, `1365`, `1367`)
//! proves the fault.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::exchange::Exchange;
use crate::pos::{Endpoint, ErrorCode, PaymentStatus};
use crate::report::Finding;

use super::seen::{answer, body_amount, body_text, polled_status, received};
use super::{finding, pos_exchanges, retry};

/// Rule id: a payment is captured only after the client saw it `Reserved`.
pub const CAPTURE_WHEN_RESERVED: &str = "capture-when-reserved";
/// Rule id: a capture's amount is one the reservation allows.
pub const CAPTURE_AMOUNT: &str = "capture-amount-allowed";
/// Rule id: a refund's amount and currency are ones the captured payment allows.
pub const REFUND_AMOUNT: &str = "refund-amount-allowed";

/// Half a cent: amounts carry two decimals.
const EPSILON: f64 = 0.005;

/// What the client knew of one payment at a point of the case.
#[derive(Debug, Default)]
struct PaymentView {
    /// The status its latest poll showed.
    status: Option<String>,
    /// The amount its latest poll showed.
    amount: Option<f64>,
    /// `partialCapturePossible` of its latest `Reserved` poll.
    partial: Option<bool>,
    /// Its currency, from a poll or the body that created or readied it.
    currency: Option<String>,
    /// The amount of a capture the client saw succeed.
    captured: Option<f64>,
    /// The refunds created of it that the client saw succeed: (idempotency key, refund id,
    /// amount).
    refunds: Vec<(Option<String>, String, f64)>,
}

/// Whether the service refused the exchange with one of `codes`; the first such code.
fn refused_with(exchange: &Exchange, codes: &[ErrorCode]) -> Option<ErrorCode> {
    let code = exchange.error_code()?;
    codes
        .iter()
        .copied()
        .find(|c| c.code() == code && exchange.status == Some(c.status()))
}

fn id_of(exchange: &Exchange) -> String {
    exchange
        .resource_id
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Applies every amount rule.
pub fn check(exchanges: &[Exchange]) -> Vec<Finding> {
    let calls: Vec<&Exchange> = pos_exchanges(exchanges).collect();
    let mut payments: BTreeMap<String, PaymentView> = BTreeMap::new();
    let mut cancelled_refunds: Vec<String> = Vec::new();
    let mut findings = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        match call.pos_endpoint() {
            Some(Endpoint::CapturePayment) => {
                let view = payments.entry(id_of(call)).or_default();
                findings.extend(check_capture(&calls[..index], call, view));
                if received(call) {
                    view.captured = body_amount(call);
                }
            }
            Some(Endpoint::CreateRefund) => {
                let payment_id = body_text(call, "paymentId")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let view = payments.entry(payment_id).or_default();
                findings.extend(check_refund(call, view, &cancelled_refunds));
                let created =
                    answer(call).and_then(|a| Some(a.get("refundId")?.as_str()?.to_string()));
                if let (Some(refund_id), Some(amount)) = (created, body_amount(call)) {
                    let key = call.header(retry::KEY_HEADER).map(str::to_string);
                    view.refunds.push((key, refund_id, amount));
                }
            }
            Some(Endpoint::CancelRefund) if received(call) => cancelled_refunds.push(id_of(call)),
            Some(Endpoint::GetRefund) => {
                let cancelled = polled_status(call)
                    .and_then(|s| crate::pos::RefundStatus::parse(&s))
                    .is_some_and(crate::pos::RefundStatus::is_cancelled);
                if cancelled {
                    cancelled_refunds.push(id_of(call));
                }
            }
            Some(Endpoint::QueryPayment) => {
                if let Some(body) = answer(call) {
                    let view = payments.entry(id_of(call)).or_default();
                    view.status = body
                        .get("status")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    view.amount = body.get("amount").and_then(Value::as_f64).or(view.amount);
                    view.partial = body.get("partialCapturePossible").and_then(Value::as_bool);
                    if let Some(currency) = body.get("currencyCode").and_then(Value::as_str) {
                        view.currency = Some(currency.to_string());
                    }
                }
            }
            Some(Endpoint::InitiatePayment) => {
                let created = answer(call)
                    .and_then(|a| Some(a.get("paymentId")?.as_str()?.to_ascii_lowercase()));
                if let (Some(id), Some(currency)) = (created, body_text(call, "currencyCode")) {
                    payments.entry(id).or_default().currency = Some(currency);
                }
            }
            Some(Endpoint::PaymentReady) => {
                if let Some(currency) = body_text(call, "currencyCode") {
                    payments.entry(id_of(call)).or_default().currency = Some(currency);
                }
            }
            _ => {}
        }
    }
    findings
}

/// `capture-when-reserved` and `capture-amount-allowed` for one capture; at most one finding.
fn check_capture(earlier: &[&Exchange], call: &Exchange, view: &PaymentView) -> Option<Finding> {
    let what = format!("{} {}", call.method, call.path);
    let status = view.status.as_deref();
    let terminal = status
        .and_then(PaymentStatus::parse)
        .is_some_and(PaymentStatus::is_terminal);
    let not_reserved = refused_with(call, &[ErrorCode::PaymentNotReserved]).is_some()
        || (status != Some(PaymentStatus::Reserved.as_str()) && !terminal);
    if not_reserved {
        let seen = status.map_or("never polled it".to_string(), |s| {
            format!("last saw it {s}")
        });
        return Some(finding(
            CAPTURE_WHEN_RESERVED,
            Some(call),
            format!(
                "{what} captured a payment the client {seen}; a payment is captured only once a poll shows it Reserved (the customer has accepted and the amount is reserved)"
            ),
        ));
    }
    let amount = body_amount(call);
    let reserved = view.amount;
    let earlier_capture = earlier
        .iter()
        .filter(|e| {
            e.pos_endpoint() == Some(Endpoint::CapturePayment) && e.resource_id == call.resource_id
        })
        .filter(|e| received(e) || e.status.is_none())
        .find_map(|e| body_amount(e));
    let is_retry = retry::retried_attempt(earlier, call).is_some();
    let problem = match (amount, reserved) {
        (None, _) => "sent no amount".to_string(),
        (Some(a), _) if a <= 0.0 => format!("asked for {a}; a capture is above 0"),
        (Some(a), Some(r)) if a > r + EPSILON => format!("asked for {a}, above the reserved {r}"),
        (Some(a), Some(r)) if view.partial == Some(false) && (a - r).abs() > EPSILON => format!(
            "asked for {a} of the reserved {r}, but the poll said partialCapturePossible false: capture all of it or cancel"
        ),
        (Some(a), _) if !is_retry && earlier_capture.is_some_and(|c| (c - a).abs() > EPSILON) => {
            format!(
                "asked for {a} after an earlier capture of {}; every capture of a payment asks for the same amount",
                earlier_capture.unwrap_or_default()
            )
        }
        _ => {
            let code = refused_with(
                call,
                &[
                    ErrorCode::InvalidAmount,
                    ErrorCode::CaptureAboveReserved,
                    ErrorCode::CapturedWithOtherAmount,
                    ErrorCode::PartialCaptureImpossible,
                ],
            )?;
            format!("was refused with {} ({})", code.code(), code.message())
        }
    };
    Some(finding(
        CAPTURE_AMOUNT,
        Some(call),
        format!(
            "{what} {problem}; a capture is above 0, at most the reserved amount, equal to it unless partial capture is possible, and the same on every attempt"
        ),
    ))
}

/// `refund-amount-allowed` for one refund creation; at most one finding.
fn check_refund(call: &Exchange, view: &PaymentView, cancelled: &[String]) -> Option<Finding> {
    let what = format!("{} {}", call.method, call.path);
    let amount = body_amount(call);
    let currency = body_text(call, "currencyCode");
    let key = call.header(retry::KEY_HEADER);
    let refunded: f64 = view
        .refunds
        .iter()
        .filter(|(k, id, _)| k.as_deref() != key && !cancelled.contains(&id.to_ascii_lowercase()))
        .map(|(_, _, a)| a)
        .sum();
    let uncaptured = view.captured.is_none()
        && view
            .status
            .as_deref()
            .is_some_and(|s| s != PaymentStatus::Captured.as_str());
    let problem = match amount {
        None => "sent no amount".to_string(),
        Some(a) if a <= 0.0 => format!("asked for {a}; a refund is above 0"),
        Some(_) if uncaptured => format!(
            "refunds a payment the client last saw {}; only a Captured payment can be refunded",
            view.status.as_deref().unwrap_or_default()
        ),
        Some(_) if view.currency.is_some() && currency.is_some() && view.currency != currency => {
            format!(
                "refunds in {} a payment made in {}; a refund is in the payment's currency",
                currency.as_deref().unwrap_or_default(),
                view.currency.as_deref().unwrap_or_default()
            )
        }
        Some(a) if view.captured.is_some_and(|c| refunded + a > c + EPSILON) => format!(
            "asked for {a} with {refunded} already refunded of the {} captured; all refunds of a payment stay within the captured amount",
            view.captured.unwrap_or_default()
        ),
        _ => {
            let code = refused_with(
                call,
                &[
                    ErrorCode::InvalidAmount,
                    ErrorCode::PaymentNotCaptured,
                    ErrorCode::RefundCurrencyMismatch,
                    ErrorCode::RefundAmountTooHigh,
                ],
            )?;
            format!("was refused with {} ({})", code.code(), code.message())
        }
    };
    Some(finding(
        REFUND_AMOUNT,
        Some(call),
        format!("{what} {problem}"),
    ))
}

#[cfg(test)]
mod tests;
