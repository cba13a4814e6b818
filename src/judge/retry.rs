//! Retry and idempotency rules (B2, B3, B5): a call that follows a failed attempt (a 5xx or a
//! call the client abandoned) on the same endpoint and resource within the same step is a retry
//! of it. A retry reuses the idempotency key and the body of the attempt it repeats; a chain
//! has at most six attempts; and a new logical request never reuses a key already bound to an
//! earlier successful request.

use crate::exchange::Exchange;
use crate::pos::Endpoint;
use crate::pos::constants::MAX_RETRIES;
use crate::report::Finding;

use super::{finding, pos_exchanges};

/// Rule id: the idempotency key header is present where required.
pub const KEY_PRESENT: &str = "idempotency-key-present";
/// Rule id: a retry reuses the idempotency key of the attempt it repeats.
pub const KEY_REUSED_ON_RETRY: &str = "idempotency-key-reused-on-retry";
/// Rule id: a new logical request gets a new idempotency key.
pub const KEY_UNIQUE: &str = "idempotency-key-unique";
/// Rule id: a retry sends the same body as the attempt it repeats.
pub const RETRY_BODY: &str = "retry-body-identical";
/// Rule id: at most five retries per logical request.
pub const RETRY_LIMIT: &str = "retry-limit";

const KEY_HEADER: &str = "x-mobilepay-idempotency-key";

fn takes_key(exchange: &Exchange) -> bool {
    exchange
        .endpoint
        .as_deref()
        .and_then(Endpoint::parse)
        .is_some_and(Endpoint::requires_idempotency_key)
}

/// The attempt `exchange` retries, if it is a retry.
fn retried_attempt<'a>(earlier: &[&'a Exchange], exchange: &Exchange) -> Option<&'a Exchange> {
    let previous = earlier.iter().rev().find(|p| {
        p.endpoint == exchange.endpoint
            && p.resource_id == exchange.resource_id
            && p.step == exchange.step
    })?;
    previous.is_retryable_failure().then_some(*previous)
}

/// Applies every retry and idempotency rule.
pub fn check(exchanges: &[Exchange]) -> Vec<Finding> {
    let calls: Vec<&Exchange> = pos_exchanges(exchanges)
        .filter(|e| e.method != "GET")
        .collect();
    let mut findings = Vec::new();
    let mut chain_length = vec![1usize; calls.len()];
    for (index, call) in calls.iter().enumerate() {
        let earlier = &calls[..index];
        let key = call.header(KEY_HEADER);
        if takes_key(call) && key.is_none() {
            findings.push(finding(
                KEY_PRESENT,
                Some(call),
                format!(
                    "{} {} carried no X-MobilePay-Idempotency-Key header",
                    call.method, call.path
                ),
            ));
        }
        match retried_attempt(earlier, call) {
            Some(attempt) => {
                let attempt_index = earlier
                    .iter()
                    .position(|e| e.seq == attempt.seq)
                    .unwrap_or(index);
                chain_length[index] = chain_length[attempt_index] + 1;
                check_retry(call, attempt, chain_length[index], &mut findings);
            }
            None if takes_key(call) => {
                let reused = key.and_then(|key| {
                    earlier.iter().find(|e| {
                        e.header(KEY_HEADER) == Some(key)
                            && e.status.is_some_and(|s| (200..300).contains(&s))
                    })
                });
                if let Some(bound) = reused {
                    findings.push(finding(
                        KEY_UNIQUE,
                        Some(call),
                        format!(
                            "a new {} reused the idempotency key of call #{}, which already succeeded; every new request needs a new key",
                            call.path, bound.seq
                        ),
                    ));
                }
            }
            None => {}
        }
    }
    findings
}

fn check_retry(call: &Exchange, attempt: &Exchange, attempts: usize, findings: &mut Vec<Finding>) {
    let what = format!("{} {}", call.method, call.path);
    let failure = if attempt.is_retryable_failure() && attempt.status.is_none() {
        "was abandoned".to_string()
    } else {
        format!("failed with {}", attempt.status.unwrap_or_default())
    };
    if takes_key(call) && call.header(KEY_HEADER) != attempt.header(KEY_HEADER) {
        findings.push(finding(
            KEY_REUSED_ON_RETRY,
            Some(call),
            format!(
                "the retry of {what} used a different idempotency key than call #{} (which {failure}); a retry must reuse the key",
                attempt.seq
            ),
        ));
    }
    if call.request_json() != attempt.request_json() {
        findings.push(finding(
            RETRY_BODY,
            Some(call),
            format!(
                "the retry of {what} sent a different body than call #{} (which {failure}); a retry must repeat the request exactly",
                attempt.seq
            ),
        ));
    }
    if attempts == MAX_RETRIES as usize + 2 {
        findings.push(finding(
            RETRY_LIMIT,
            Some(call),
            format!(
                "{what} was attempted {attempts} times; at most {} retries are allowed",
                MAX_RETRIES
            ),
        ));
    }
}
