//! Lifecycle rules: the client follows a payment or refund through its state machine (domain
//! reference §6). It leaves alone what it saw terminal (B10), readies a prepared payment only
//! once the customer is paired with it (unless the case readies it before check-in), and leaves
//! no reservation and no refund open at the end of a case (B12, B14).

use std::collections::BTreeMap;

use crate::catalogue::Operation;
use crate::exchange::Exchange;
use crate::pos::{Endpoint, PaymentStatus, RefundStatus};
use crate::report::Finding;

use super::seen::{polled_status, surely_received, was_served};
use super::{CaseEvidence, finding, pos_exchanges};

/// Rule id: no call about a payment or refund the client saw in a terminal state.
pub const AFTER_TERMINAL: &str = "no-action-after-terminal-state";
/// Rule id: a prepared payment is readied only after the client saw it `Paired`.
pub const READY_AFTER_PAIRED: &str = "ready-after-paired";
/// Rule id: no reservation is left open at the end of a case.
pub const RESERVATION_SETTLED: &str = "reservation-settled";
/// Rule id: no refund is left open at the end of a case.
pub const REFUND_FOLLOWED_UP: &str = "refund-followed-up";

/// The kind of resource a call acts on, for the calls B10 judges.
fn tracked(endpoint: Endpoint) -> Option<&'static str> {
    match endpoint {
        Endpoint::QueryPayment
        | Endpoint::CapturePayment
        | Endpoint::CancelPayment
        | Endpoint::PaymentReady => Some("payment"),
        Endpoint::GetRefund | Endpoint::CaptureRefund | Endpoint::CancelRefund => Some("refund"),
        _ => None,
    }
}

/// Whether a poll's status is terminal for its kind of resource.
fn is_terminal(kind: &str, status: &str) -> bool {
    if kind == "refund" {
        RefundStatus::parse(status).is_some_and(RefundStatus::is_terminal)
    } else {
        PaymentStatus::parse(status).is_some_and(PaymentStatus::is_terminal)
    }
}

/// B10: once a poll showed a payment or refund terminal, the client leaves it alone. A poll whose
/// answer was slower than a client's timeout may not have shown the client anything (see
/// [`surely_received`]).
pub fn check_after_terminal(exchanges: &[Exchange], scale: f64) -> Vec<Finding> {
    let mut seen_terminal: BTreeMap<(&str, String), (u64, String)> = BTreeMap::new();
    let mut findings = Vec::new();
    for exchange in pos_exchanges(exchanges) {
        let Some(kind) = exchange.pos_endpoint().and_then(tracked) else {
            continue;
        };
        let Some(id) = exchange.resource_id.as_deref() else {
            continue;
        };
        let resource = (kind, id.to_ascii_lowercase());
        if let Some((seq, status)) = seen_terminal.get(&resource) {
            findings.push(finding(
                AFTER_TERMINAL,
                Some(exchange),
                format!(
                    "{} {} after call #{seq} showed the {kind} {status}, a terminal state; nothing can change it any more, so the client must stop polling and acting on it",
                    exchange.method, exchange.path
                ),
            ));
            continue;
        }
        let seen = polled_status(exchange).filter(|_| surely_received(exchange, scale));
        if let Some(status) = seen.filter(|s| is_terminal(kind, s)) {
            seen_terminal.insert(resource, (exchange.seq, status));
        }
    }
    findings
}

/// Whether the catalogue readies `payment_id` before check-in: the step that first served its
/// id is a `prepare` that does not wait for the customer.
fn ready_before_check_in(evidence: &CaseEvidence<'_>, payment_id: &str) -> bool {
    let first_served = pos_exchanges(evidence.exchanges)
        .find(|e| was_served([*e].into_iter(), payment_id))
        .and_then(|e| e.step);
    first_served
        .and_then(|index| evidence.case.steps.get(index))
        .is_some_and(|step| {
            step.op == Operation::Prepare
                && step.params.get("waitForCustomer") == Some(&serde_json::Value::Bool(false))
        })
}

/// A `ready` comes after the client saw the payment `Paired` (§6.2): the customer is known, which
/// is the point of preparing. Readying while `Prepared` is right only when the case readies the
/// payment before check-in.
pub fn check_ready_after_paired(evidence: &CaseEvidence<'_>) -> Vec<Finding> {
    let mut last_seen: BTreeMap<String, String> = BTreeMap::new();
    let mut findings = Vec::new();
    for exchange in pos_exchanges(evidence.exchanges) {
        let Some(id) = exchange.resource_id.as_deref() else {
            continue;
        };
        let id = id.to_ascii_lowercase();
        if let Some(status) = polled_status(exchange) {
            last_seen.insert(id, status);
            continue;
        }
        if exchange.pos_endpoint() != Some(Endpoint::PaymentReady) {
            continue;
        }
        let seen = last_seen.get(&id).map(String::as_str);
        let early = ready_before_check_in(evidence, &id);
        let problem = match seen {
            Some("Paired") => continue,
            Some(status) if is_terminal("payment", status) => continue,
            Some("Prepared") | None if early => continue,
            Some(status) => format!("the client last saw it {status}"),
            None => "the client never polled it".to_string(),
        };
        findings.push(finding(
            READY_AFTER_PAIRED,
            Some(exchange),
            format!(
                "{} {} readied payment {id}, but {problem}; a prepared payment is readied once a poll shows it Paired (the customer has checked in), unless the cashier readies it before check-in",
                exchange.method, exchange.path
            ),
        ));
    }
    findings
}

/// B12 and B14: one finding per payment or refund created in the case and still open at its end.
fn left_open(rule: &str, noun: &str, state: &str, settle: &str, ids: &[String]) -> Vec<Finding> {
    ids.iter()
        .map(|id| {
            finding(
                rule,
                None,
                format!(
                    "{noun} {id} was left {state} at the end of the case; every {noun} must be {settle}"
                ),
            )
        })
        .collect()
}

/// B12: every payment reserved during the case is captured or cancelled by its end.
pub fn check_reservations(open: &[String]) -> Vec<Finding> {
    left_open(
        RESERVATION_SETTLED,
        "payment",
        "Reserved",
        "captured or cancelled once reserved",
        open,
    )
}

/// B14: every refund created during the case is captured or cancelled by its end.
pub fn check_refunds(open: &[String]) -> Vec<Finding> {
    left_open(
        REFUND_FOLLOWED_UP,
        "refund",
        "open (Initiated or Reserved)",
        "followed up until it is captured or cancelled, never abandoned",
        open,
    )
}

#[cfg(test)]
mod tests;
