//! Lookup rules: when the client does not know something it needs, it asks the documented
//! listing instead of guessing. After 409 `1301` it finds the active payment with
//! `GET /payments?posId=…`, cancels one the listing served and initiates again (B7); and when no
//! attempt of a creating call brought an answer back, it recovers the id with the documented
//! lookup before it acts on the resource or creates another one for the same order (B8).

use crate::exchange::Exchange;
use crate::pos::{Endpoint, ErrorCode};
use crate::report::Finding;

use super::seen::{body_text, listed_ids, received, was_served};
use super::{finding, pos_exchanges, retry};

/// Rule id: 409 `1301` is answered by listing, cancelling the listed active payment and
/// initiating again.
pub const CONFLICT_CLEANUP: &str = "active-payment-cleaned-up";
/// Rule id: an id whose creating call never answered is recovered with the documented lookup.
pub const LOST_ID_RECOVERED: &str = "lost-id-recovered";

/// Whether `listing` is a received `GET /payments?posId=…` for `pos_id` (any PoS when the
/// refused call named none), whatever `orderId` it adds.
fn lists_pos(listing: &Exchange, pos_id: Option<&str>) -> bool {
    listing.pos_endpoint() == Some(Endpoint::QueryPaymentIds)
        && received(listing)
        && listing
            .query_param("posId")
            .is_some_and(|listed| pos_id.is_none_or(|p| p.eq_ignore_ascii_case(&listed)))
}

/// B7: a 409 `1301` is followed, in the same step, by a listing of the PoS's payments, a
/// successful cancel of a payment that listing served, and a successful new initiate.
pub fn check_conflict_cleanup(exchanges: &[Exchange]) -> Vec<Finding> {
    let calls: Vec<&Exchange> = pos_exchanges(exchanges).collect();
    let mut findings = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        let creates = matches!(
            call.pos_endpoint(),
            Some(Endpoint::InitiatePayment | Endpoint::PreparePayment)
        );
        let active = ErrorCode::PaymentActive;
        if !creates
            || call.status != Some(active.status())
            || call.error_code().as_deref() != Some(active.code())
        {
            continue;
        }
        let pos_id = body_text(call, "posId");
        let later: Vec<&Exchange> = calls[index + 1..]
            .iter()
            .filter(|e| e.step == call.step)
            .copied()
            .collect();
        let mut listed: Vec<String> = Vec::new();
        let mut cleaned = None;
        let mut guessed = None;
        for (at, e) in later.iter().enumerate() {
            if lists_pos(e, pos_id.as_deref()) {
                listed.extend(listed_ids(e, "paymentIds"));
            } else if e.pos_endpoint() == Some(Endpoint::CancelPayment) && received(e) {
                let id = e.resource_id.as_deref().unwrap_or_default();
                if listed.iter().any(|l| l.eq_ignore_ascii_case(id)) {
                    cleaned = Some(at);
                    break;
                }
                guessed = guessed.or(Some((*e, !listed.is_empty())));
            }
        }
        let retried = cleaned.and_then(|at| {
            later[at + 1..]
                .iter()
                .find(|e| e.pos_endpoint() == call.pos_endpoint() && received(e))
        });
        let problem = match (cleaned, retried, guessed) {
            (Some(_), Some(_), _) => continue,
            (Some(_), None, _) => {
                "cancelled the active payment but never initiated again".to_string()
            }
            (None, _, Some((cancel, listing_first))) => format!(
                "cancelled payment {} (call #{}) {}",
                cancel.resource_id.as_deref().unwrap_or_default(),
                cancel.seq,
                if listing_first {
                    "which the listing did not serve"
                } else {
                    "without finding it first"
                }
            ),
            (None, _, None)
                if later
                    .iter()
                    .any(|e| e.pos_endpoint() == call.pos_endpoint()) =>
            {
                "tried again without cancelling the active payment".to_string()
            }
            (None, _, None) => "gave up without cancelling the active payment".to_string(),
        };
        findings.push(finding(
            CONFLICT_CLEANUP,
            Some(call),
            format!(
                "after 409 1301 on {} the client {problem}; it must list the PoS's payments (GET /payments?posId=…), cancel the active one the listing serves (never a guessed id) and initiate again",
                call.path
            ),
        ));
    }
    findings
}

/// A creating call whose id can be lost, with what identifies its order and how to look it up.
struct Creation {
    /// The resource created: `payment` or `refund`.
    noun: &'static str,
    /// The body field that names the order (`orderId`, `refundOrderId`).
    order_field: &'static str,
}

fn creation(endpoint: Endpoint) -> Option<Creation> {
    match endpoint {
        Endpoint::InitiatePayment | Endpoint::PreparePayment => Some(Creation {
            noun: "payment",
            order_field: "orderId",
        }),
        Endpoint::CreateRefund => Some(Creation {
            noun: "refund",
            order_field: "refundOrderId",
        }),
        _ => None,
    }
}

/// Whether the call acts on an existing resource of the kind `noun` (named in its path).
fn acts_on(exchange: &Exchange, noun: &str) -> bool {
    let endpoint = exchange.pos_endpoint();
    let kind = match endpoint {
        Some(
            Endpoint::QueryPayment
            | Endpoint::PaymentReady
            | Endpoint::CapturePayment
            | Endpoint::CancelPayment,
        ) => "payment",
        Some(Endpoint::GetRefund | Endpoint::CaptureRefund | Endpoint::CancelRefund) => "refund",
        _ => return false,
    };
    kind == noun && exchange.resource_id.is_some()
}

/// Whether `lookup` is the documented, received lookup that recovers the id `lost` created:
/// `GET /payments?posId=…[&orderId=…]` for a payment, `GET /refunds?paymentId=…` for a refund.
fn recovers(lookup: &Exchange, lost: &Exchange) -> bool {
    let matches = |param: &str, field: &str, required: bool| match (
        lookup.query_param(param),
        body_text(lost, field),
    ) {
        (Some(asked), Some(sent)) => asked.eq_ignore_ascii_case(&sent),
        (None, _) => !required,
        (Some(_), None) => true,
    };
    received(lookup)
        && match lookup.pos_endpoint() {
            Some(Endpoint::QueryPaymentIds) => {
                lost.pos_endpoint() != Some(Endpoint::CreateRefund)
                    && lookup.query_param("posId").is_some()
                    && matches("posId", "posId", true)
                    && matches("orderId", "orderId", false)
            }
            Some(Endpoint::QueryRefundIds) => {
                lost.pos_endpoint() == Some(Endpoint::CreateRefund)
                    && lookup.query_param("paymentId").is_some()
                    && matches("paymentId", "paymentId", true)
            }
            _ => false,
        }
}

/// The documented lookup for what `lost` created, for messages.
fn lookup_for(lost: &Exchange) -> &'static str {
    if lost.pos_endpoint() == Some(Endpoint::CreateRefund) {
        "GET /refunds?paymentId=…"
    } else {
        "GET /payments?posId=…&orderId=…"
    }
}

/// The creating calls grouped into logical requests, as indices into `calls`: a call carrying
/// the idempotency key of an earlier one on the same endpoint continues it (a new key is a new
/// request, whatever the retry rules say of it); a call without a key continues the attempt it
/// retries.
fn logical_requests(calls: &[&Exchange]) -> Vec<Vec<usize>> {
    let mut requests: Vec<Vec<usize>> = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        let Some(endpoint) = call.pos_endpoint().filter(|e| creation(*e).is_some()) else {
            continue;
        };
        let continued = match call.header(retry::KEY_HEADER) {
            Some(key) => requests.iter().position(|r| {
                let first = calls[r[0]];
                first.pos_endpoint() == Some(endpoint)
                    && first.header(retry::KEY_HEADER) == Some(key)
            }),
            None => retry::retried_attempt(&calls[..index], call).and_then(|attempt| {
                requests
                    .iter()
                    .position(|r| r.iter().any(|&i| calls[i].seq == attempt.seq))
            }),
        };
        match continued {
            Some(request) => requests[request].push(index),
            None => requests.push(vec![index]),
        }
    }
    requests
}

/// B8: when no attempt of a creating call brought an answer back (each was abandoned or failed
/// with a 5xx), the resource may exist without the client knowing its id. Before it acts on such
/// a resource or creates another one for the same order, the client must recover the id with
/// the documented lookup; a case that ends without it fails too.
pub fn check_lost_ids(exchanges: &[Exchange]) -> Vec<Finding> {
    let calls: Vec<&Exchange> = pos_exchanges(exchanges).collect();
    let mut findings = Vec::new();
    for request in logical_requests(&calls) {
        let attempts: Vec<&Exchange> = request.iter().map(|&i| calls[i]).collect();
        if !attempts.iter().all(|a| a.is_retryable_failure()) {
            continue;
        }
        let (Some(&first), Some(&last)) = (request.first(), request.last()) else {
            continue;
        };
        let lost = calls[last];
        let Some(kind) = lost.pos_endpoint().and_then(creation) else {
            continue;
        };
        let order = body_text(lost, kind.order_field);
        let known_before = &calls[..first];
        let violation = calls[last + 1..]
            .iter()
            .take_while(|e| !recovers(e, lost))
            .find_map(|e| {
                let same_kind = e.pos_endpoint().and_then(creation).map(|c| c.noun) == Some(kind.noun);
                let new_key = e.header(retry::KEY_HEADER) != lost.header(retry::KEY_HEADER);
                if same_kind && new_key && order.is_some() && body_text(e, kind.order_field) == order {
                    return Some((*e, format!(
                        "created another {} for {} {} with a new idempotency key, a duplicate if the first one exists",
                        kind.noun,
                        kind.order_field,
                        order.as_deref().unwrap_or_default()
                    )));
                }
                let id = e.resource_id.as_deref().unwrap_or_default();
                (acts_on(e, kind.noun) && !was_served(known_before.iter().copied(), id)).then(|| {
                    (*e, format!("acted on {} {id}, an id it had not looked up", kind.noun))
                })
            });
        let recovered = calls[last + 1..].iter().any(|e| recovers(e, lost));
        let (at, problem) = match violation {
            Some((at, problem)) => (at, problem),
            None if recovered => continue,
            None => (lost, "ended the case without looking it up".to_string()),
        };
        findings.push(finding(
            LOST_ID_RECOVERED,
            Some(at),
            format!(
                "no answer to {} {} reached the client (last attempt call #{}), so the {} may exist unknown to it; the client {problem}, but it must first recover the id with {}",
                lost.method,
                lost.path,
                lost.seq,
                kind.noun,
                lookup_for(lost)
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests;
