//! The conduct rules that apply to every exchange of every case, each with a stable id that
//! appears in findings: the version header (B15) here, the merchant and client-id headers (B16,
//! [`super::headers`]), retries and idempotency ([`super::retry`]), no blind repeat of a refused
//! request ([`super::refusals`], B6), timeouts and poll pacing ([`super::timing`]), lookups after
//! a conflict or a lost answer ([`super::lookups`], B7, B8), the state machines
//! ([`super::lifecycle`], B10, B12, B14), capture and refund amounts ([`super::amounts`], B11),
//! card restrictions ([`super::restrictions`]), and — for any refusal no specific rule explains —
//! no request the service had to refuse.

use std::collections::BTreeSet;

use crate::catalogue::model::Profile;
use crate::exchange::Exchange;
use crate::pos::ErrorCode;
use crate::report::{Finding, Truncation};

use super::{
    CaseEvidence, amounts, customer, finding, headers, lifecycle, lookups, pos_exchanges, refusals,
    restrictions, retry, timing,
};

/// Rule id: every call carries the version being certified.
pub const VERSION_HEADER: &str = "version-header";
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
        headers::MERCHANT_VAT_SENT,
        "every PoS call names its merchant, by the token's merchant_vat claim or the X-MobilePay-Merchant-VAT-Number header",
    ),
    (
        headers::CLIENT_ID_HEADER,
        "every PoS call carries x-ibm-client-id",
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
        refusals::NO_BLIND_RETRY,
        "a request refused with a 4xx is not sent again identically unless a state-changing call (or, after 401, a new token) came in between; after a 409, a lookup too",
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
        lifecycle::AFTER_TERMINAL,
        "no capture, cancel, ready or poll of a payment or refund seen in a terminal state",
    ),
    (
        lookups::CONFLICT_CLEANUP,
        "after 409 1301 the client lists the PoS's payments (GET /payments?posId=…), cancels the active one the listing served and initiates again",
    ),
    (
        lookups::LOST_ID_RECOVERED,
        "when no attempt of a create answered, the id is recovered with the documented lookup before acting on it or creating again for the same order",
    ),
    (
        lifecycle::READY_AFTER_PAIRED,
        "a prepared payment is readied only after a poll showed it Paired, unless the case readies it before check-in",
    ),
    (
        restrictions::RESTRICTIONS_SENT,
        "the restrictions a pay or ready step asks for are on every initiate or ready attempt, never on a prepare",
    ),
    (
        amounts::CAPTURE_WHEN_RESERVED,
        "a payment is captured only after a poll showed it Reserved",
    ),
    (
        amounts::CAPTURE_AMOUNT,
        "a capture is above 0, at most the reserved amount, the full amount unless partial capture is possible, and the same on every attempt",
    ),
    (
        amounts::REFUND_AMOUNT,
        "a refund is of a captured payment, in its currency, and all its refunds stay within the captured amount",
    ),
    (
        lifecycle::RESERVATION_SETTLED,
        "every reserved payment is captured or cancelled before the case ends",
    ),
    (
        lifecycle::REFUND_FOLLOWED_UP,
        "every refund created in the case is captured or cancelled before the case ends",
    ),
    (
        customer::CUSTOMER_NOT_SIMULATED,
        "the client never acts as the customer through the sandbox's user simulation",
    ),
    (
        REQUEST_ACCEPTED,
        "the service refuses no request with a 4xx the case did not provoke (unless a rule above names the refusal)",
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
    findings.extend(headers::check_merchant_vat(exchanges));
    findings.extend(headers::check_client_id(exchanges));
    findings.extend(retry::check(exchanges));
    findings.extend(refusals::check(exchanges));
    findings.extend(customer::check(exchanges));
    findings.extend(timing::check_held_answers(exchanges));
    if evidence.profile == Profile::Strict {
        findings.extend(timing::check_timeouts(exchanges, evidence.time_scale));
    }
    findings.extend(timing::check_poll_delays(exchanges, evidence.time_scale));
    findings.extend(lifecycle::check_after_terminal(
        exchanges,
        evidence.time_scale,
    ));
    findings.extend(lookups::check_conflict_cleanup(exchanges));
    findings.extend(lookups::check_lost_ids(exchanges));
    findings.extend(lifecycle::check_ready_after_paired(evidence));
    findings.extend(restrictions::check(evidence));
    findings.extend(amounts::check(exchanges));
    findings.extend(lifecycle::check_reservations(evidence.open_reservations));
    findings.extend(lifecycle::check_refunds(evidence.open_refunds));
    // A refusal another rule explains is named once, by that rule.
    let explained: BTreeSet<u64> = findings.iter().filter_map(|f| f.exchange).collect();
    findings.extend(
        check_accepted(exchanges)
            .into_iter()
            .filter(|f| f.exchange.is_none_or(|seq| !explained.contains(&seq))),
    );
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

/// No 4xx the case did not provoke: 409 `1301` belongs to the cleanup rule and 401 to token
/// expiry; every other refusal means the client sent something it should not have.
fn check_accepted(exchanges: &[Exchange]) -> Vec<Finding> {
    let active = ErrorCode::PaymentActive;
    pos_exchanges(exchanges)
        .filter(|e| {
            e.status
                .is_some_and(|s| (400..500).contains(&s) && s != 401)
        })
        .filter(|e| {
            !(e.status == Some(active.status()) && e.error_code().as_deref() == Some(active.code()))
        })
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
