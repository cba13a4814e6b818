//! The conduct rules that apply to every exchange of every case, each with a stable id that
//! appears in findings: the version header (B15), retries and idempotency (see [`super::retry`]),
//! timeouts and poll pacing (see [`super::timing`]), no calls after a terminal state (B10),
//! cleaning up an active payment after 409 `1301` (B7), settling every reservation (B12), and
//! no request the service had to refuse.

use std::collections::BTreeMap;

use crate::catalogue::model::Profile;
use crate::exchange::Exchange;
use crate::pos::{Endpoint, PaymentStatus};
use crate::report::{Finding, Truncation};

use super::{CaseEvidence, finding, pos_exchanges, retry, timing};

/// Rule id: every call carries the version being certified.
pub const VERSION_HEADER: &str = "version-header";
/// Rule id: no call about a payment the client saw in a terminal state.
pub const AFTER_TERMINAL: &str = "no-action-after-terminal-state";
/// Rule id: 409 `1301` is answered by cancelling the active payment and initiating again.
pub const CONFLICT_CLEANUP: &str = "active-payment-cleaned-up";
/// Rule id: no reservation is left open at the end of a case.
pub const RESERVATION_SETTLED: &str = "reservation-settled";
/// Rule id: the service accepted every request (no unexpected 4xx).
pub const REQUEST_ACCEPTED: &str = "request-accepted";
/// Rule id: a case stays within the calls the service records.
pub const CALL_VOLUME: &str = "call-volume-bounded";

/// Every conduct rule id with a one-line description, in the order findings are documented.
pub const RULES: &[(&str, &str)] = &[
    (
        VERSION_HEADER,
        "every PoS call carries X-MobilePay-Client-System-Version equal to the certified version",
    ),
    (
        retry::KEY_PRESENT,
        "creating calls carry X-MobilePay-Idempotency-Key",
    ),
    (
        retry::KEY_REUSED_ON_RETRY,
        "a retry reuses the idempotency key of the attempt it repeats",
    ),
    (
        retry::KEY_UNIQUE,
        "every new logical request gets a new idempotency key",
    ),
    (
        retry::RETRY_BODY,
        "a retry repeats the body of the attempt exactly",
    ),
    (
        retry::RETRY_LIMIT,
        "at most five retries per logical request",
    ),
    (
        timing::HELD_ANSWER,
        "a held answer is abandoned before the hold ends, and retried",
    ),
    (
        timing::TIMEOUT,
        "a held answer is abandoned within the documented timeout (2 s writes, 0.5 s reads)",
    ),
    (
        timing::POLL_DELAY,
        "polls of a resource are at least pollDelayInMs apart",
    ),
    (
        AFTER_TERMINAL,
        "no capture, cancel, ready or poll of a payment seen in a terminal state",
    ),
    (
        CONFLICT_CLEANUP,
        "after 409 1301 the client cancels the active payment and initiates again",
    ),
    (
        RESERVATION_SETTLED,
        "every reserved payment is captured or cancelled before the case ends",
    ),
    (
        REQUEST_ACCEPTED,
        "the service refuses no request with a 4xx the case did not provoke",
    ),
    (
        CALL_VOLUME,
        "a case makes no more calls than the service records (1000 exchanges, 1 MiB)",
    ),
];

/// The profiles that judge a conduct rule: the documented timeouts only `strict` (MobilePay's
/// certification passed a client with 5 s timeouts on every call); every other rule both.
pub fn rule_profiles(rule: &str) -> &'static [Profile] {
    if rule == timing::TIMEOUT {
        &[Profile::Strict]
    } else {
        &Profile::ALL
    }
}

/// Applies every conduct rule of the evidence's profile to a case's exchanges.
pub fn check_all(evidence: &CaseEvidence<'_>) -> Vec<Finding> {
    let exchanges = evidence.exchanges;
    let mut findings = Vec::new();
    findings.extend(check_version_header(exchanges, evidence.declared_version));
    findings.extend(retry::check(exchanges));
    findings.extend(timing::check_held_answers(exchanges));
    if evidence.profile == Profile::Strict {
        findings.extend(timing::check_timeouts(exchanges, evidence.time_scale));
    }
    findings.extend(timing::check_poll_delays(exchanges, evidence.time_scale));
    findings.extend(check_after_terminal(exchanges));
    findings.extend(check_conflict_cleanup(exchanges));
    findings.extend(check_reservations(evidence.open_reservations));
    findings.extend(check_accepted(exchanges));
    findings.extend(check_volume(evidence.truncated));
    findings
}

/// A correct client makes a few dozen calls in a case; one that floods the service cannot be
/// judged in full, so it fails, with what was dropped.
fn check_volume(truncated: Option<&Truncation>) -> Option<Finding> {
    let truncated = truncated?;
    Some(finding(
        CALL_VOLUME,
        None,
        format!(
            "the client made {} calls in this case; the service recorded and judged the first {} and only counted the other {} ({} bytes), so the case cannot pass",
            truncated.kept + truncated.dropped,
            truncated.kept,
            truncated.dropped,
            truncated.dropped_bytes
        ),
    ))
}

/// B15, reported once per case at the first offending call with a count of the others.
fn check_version_header(exchanges: &[Exchange], declared: &str) -> Vec<Finding> {
    let offending: Vec<(&Exchange, String)> = pos_exchanges(exchanges)
        .filter_map(
            |e| match e.header(crate::pos::headers::CLIENT_SYSTEM_VERSION) {
                None => Some((
                    e,
                    "carried no X-MobilePay-Client-System-Version header".to_string(),
                )),
                Some(v) if v != declared => Some((e, format!("declared version `{v}`"))),
                Some(_) => None,
            },
        )
        .collect();
    let Some((first, problem)) = offending.first() else {
        return Vec::new();
    };
    let others = match offending.len() - 1 {
        0 => String::new(),
        n => format!(" (and {n} more calls)"),
    };
    vec![finding(
        VERSION_HEADER,
        Some(first),
        format!(
            "{} {} {problem}; every call must carry the certified version `{declared}`{others}",
            first.method, first.path
        ),
    )]
}

fn payment_status(exchange: &Exchange) -> Option<PaymentStatus> {
    let json = exchange.response_json()?;
    PaymentStatus::parse(json.get("status")?.as_str()?)
}

/// B10: once a poll showed a payment terminal, the client leaves it alone.
fn check_after_terminal(exchanges: &[Exchange]) -> Vec<Finding> {
    let mut seen_terminal: BTreeMap<&str, (u64, PaymentStatus)> = BTreeMap::new();
    let mut findings = Vec::new();
    for exchange in pos_exchanges(exchanges) {
        let Some(endpoint) = exchange.pos_endpoint() else {
            continue;
        };
        let about_payment = matches!(
            endpoint,
            Endpoint::QueryPayment
                | Endpoint::CapturePayment
                | Endpoint::CancelPayment
                | Endpoint::PaymentReady
        );
        let Some(id) = exchange.resource_id.as_deref().filter(|_| about_payment) else {
            continue;
        };
        if let Some((seq, status)) = seen_terminal.get(id) {
            findings.push(finding(
                AFTER_TERMINAL,
                Some(exchange),
                format!(
                    "{} {} after call #{seq} showed the payment {status}, a terminal state",
                    exchange.method, exchange.path
                ),
            ));
            continue;
        }
        if endpoint == Endpoint::QueryPayment {
            if let Some(status) = payment_status(exchange).filter(|s| s.is_terminal()) {
                seen_terminal.insert(id, (exchange.seq, status));
            }
        }
    }
    findings
}

/// B7: a 409 `1301` is followed, in the same step, by a successful cancel and a successful new
/// initiate.
fn check_conflict_cleanup(exchanges: &[Exchange]) -> Vec<Finding> {
    let calls: Vec<&Exchange> = pos_exchanges(exchanges).collect();
    let mut findings = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        let creates = matches!(
            call.pos_endpoint(),
            Some(Endpoint::InitiatePayment | Endpoint::PreparePayment)
        );
        if !creates || call.status != Some(409) || call.error_code().as_deref() != Some("1301") {
            continue;
        }
        let later: Vec<&&Exchange> = calls[index + 1..]
            .iter()
            .filter(|e| e.step == call.step)
            .collect();
        let cancelled = later.iter().position(|e| {
            e.pos_endpoint() == Some(Endpoint::CancelPayment) && e.status == Some(200)
        });
        let retried = cancelled.and_then(|at| {
            later[at + 1..]
                .iter()
                .find(|e| e.pos_endpoint() == call.pos_endpoint() && e.status == Some(200))
        });
        let problem = match (cancelled, retried) {
            (Some(_), Some(_)) => continue,
            (None, _)
                if later
                    .iter()
                    .any(|e| e.pos_endpoint() == call.pos_endpoint()) =>
            {
                "tried again without cancelling the active payment"
            }
            (None, _) => "gave up without cancelling the active payment",
            (Some(_), None) => "cancelled the active payment but never initiated again",
        };
        findings.push(finding(
            CONFLICT_CLEANUP,
            Some(call),
            format!(
                "after 409 1301 on {} the client {problem}; it must list the PoS's payments (GET /payments?posId=…), cancel the active one and initiate again",
                call.path
            ),
        ));
    }
    findings
}

/// B12: every payment reserved during the case is captured or cancelled by its end.
fn check_reservations(open: &[String]) -> Vec<Finding> {
    open.iter()
        .map(|id| {
            finding(
                RESERVATION_SETTLED,
                None,
                format!("payment {id} was left Reserved at the end of the case; every reservation must be captured or cancelled"),
            )
        })
        .collect()
}

/// No 4xx the case did not provoke: 409 `1301` belongs to the cleanup rule and 401 to token
/// expiry; every other refusal means the client sent something it should not have.
fn check_accepted(exchanges: &[Exchange]) -> Vec<Finding> {
    pos_exchanges(exchanges)
        .filter(|e| {
            e.status
                .is_some_and(|s| (400..500).contains(&s) && s != 401)
        })
        .filter(|e| !(e.status == Some(409) && e.error_code().as_deref() == Some("1301")))
        .map(|e| {
            let code = e
                .error_code()
                .map(|c| format!(" code {c}"))
                .unwrap_or_default();
            let message = e
                .response_json()
                .and_then(|j| {
                    j.get("message")
                        .and_then(|m| m.as_str())
                        .map(|m| format!(" ({m})"))
                })
                .unwrap_or_default();
            finding(
                REQUEST_ACCEPTED,
                Some(e),
                format!(
                    "the service refused {} {} with {}{code}{message}",
                    e.method,
                    e.path,
                    e.status.unwrap_or_default()
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
