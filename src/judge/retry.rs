//! Retry and idempotency rules (B2, B3, B5): a call that follows a failed attempt (a 5xx or a
//! call the client abandoned) on the same endpoint and resource within the same step is a retry
//! of it. A retry reuses the idempotency key and the body of the attempt it repeats; a chain
//! has at most six attempts; and a new logical request never reuses a key already bound to an
//! earlier successful request.

use crate::catalogue::model::FaultReply;
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

/// The idempotency key header, as recorded.
pub const KEY_HEADER: &str = crate::pos::headers::IDEMPOTENCY_KEY;

fn takes_key(exchange: &Exchange) -> bool {
    exchange
        .pos_endpoint()
        .is_some_and(Endpoint::requires_idempotency_key)
}

/// The attempt `exchange` retries, if it is a retry: the latest earlier call on the same endpoint
/// and resource within the same step, when that call failed in a way worth retrying.
pub fn retried_attempt<'a>(earlier: &[&'a Exchange], exchange: &Exchange) -> Option<&'a Exchange> {
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
                        // A held call was processed and bound its key even though the
                        // client never saw the answer.
                        e.header(KEY_HEADER) == Some(key)
                            && (e.status.is_some_and(|s| (200..300).contains(&s))
                                || e.fault == Some(FaultReply::Hold200))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::judge::fixtures::{Ex, KEY, build, call, poll, rules_of};
    use crate::pos::ErrorCode;

    fn pay(seq: u64) -> Ex {
        call(seq, Endpoint::InitiatePayment)
            .key("key-1")
            .body(json!({ "posId": "pos-1", "orderId": "order-1", "amount": 100.0 }))
    }

    fn created(seq: u64) -> Ex {
        pay(seq).response(json!({ "paymentId": "pay-1" }))
    }

    fn cancel(seq: u64, payment_id: &str) -> Ex {
        call(seq, Endpoint::CancelPayment).id(payment_id)
    }

    #[test]
    fn a_retry_after_a_hang_up_and_a_500_with_the_same_key_and_body_is_clean() {
        let exchanges = build(vec![
            pay(1).hold200().hung_up(),
            pay(2).err500(),
            created(3),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }

    #[test]
    fn a_retry_with_the_same_body_in_another_key_order_is_clean() {
        let exchanges = build(vec![
            pay(1)
                .raw_body(r#"{"posId":"pos-1","amount":100.0}"#)
                .err500(),
            pay(2).raw_body(r#"{ "amount": 100.0, "posId": "pos-1" }"#),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }

    #[test]
    fn a_retry_with_another_key_names_the_retried_call() {
        let exchanges = build(vec![pay(1).hold200().hung_up(), created(2).key("key-2")]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![KEY_REUSED_ON_RETRY]);
        assert_eq!(findings[0].exchange, Some(2));
        assert_eq!(findings[0].step, Some(0));
        assert!(
            findings[0].message.contains("call #1") && findings[0].message.contains("abandoned"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn a_retry_after_a_500_with_another_key_says_it_failed_with_500() {
        let exchanges = build(vec![pay(1).err500(), created(2).key("key-2")]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![KEY_REUSED_ON_RETRY]);
        assert!(
            findings[0].message.contains("failed with 500"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn a_retry_with_another_body_is_flagged() {
        let exchanges = build(vec![
            pay(1).err500(),
            created(2).body(json!({ "posId": "pos-1", "orderId": "order-1", "amount": 99.0 })),
        ]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![RETRY_BODY]);
        assert_eq!(findings[0].exchange, Some(2));
        assert!(
            findings[0].message.contains("call #1"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn a_capture_retry_with_another_amount_is_flagged_without_a_key_finding() {
        let capture = |seq: u64, amount: f64| {
            call(seq, Endpoint::CapturePayment)
                .id("pay-1")
                .body(json!({ "amount": amount }))
        };
        let exchanges = build(vec![
            capture(1, 100.0).hold200().hung_up(),
            capture(2, 60.0),
        ]);
        assert_eq!(rules_of(&check(&exchanges)), vec![RETRY_BODY]);
    }

    #[test]
    fn a_ready_or_refund_retry_with_another_body_is_flagged() {
        let ready = |seq: u64, amount: f64| {
            call(seq, Endpoint::PaymentReady)
                .id("pay-1")
                .body(json!({ "amount": amount, "currencyCode": "DKK" }))
        };
        let refund = |seq: u64, amount: f64| {
            call(seq, Endpoint::CreateRefund)
                .key("key-9")
                .body(json!({ "paymentId": "pay-1", "refundOrderId": "r-1", "amount": amount }))
        };
        let same = build(vec![
            ready(1, 12.5).hold200().hung_up(),
            ready(2, 12.5).err500(),
            ready(3, 12.5),
            refund(4, 10.0).hold200().hung_up(),
            refund(5, 10.0),
        ]);
        assert_eq!(check(&same), Vec::new());
        let changed = build(vec![
            ready(1, 12.5).hold200().hung_up(),
            ready(2, 12.0),
            refund(3, 10.0).err500(),
            refund(4, 9.0),
        ]);
        let findings = check(&changed);
        assert_eq!(rules_of(&findings), vec![RETRY_BODY, RETRY_BODY]);
        assert_eq!(
            findings.iter().map(|f| f.exchange).collect::<Vec<_>>(),
            vec![Some(2), Some(4)]
        );
    }

    #[test]
    fn six_attempts_are_allowed() {
        let mut attempts: Vec<Ex> = (1..=5).map(|seq| pay(seq).err500()).collect();
        attempts.push(created(6));
        assert_eq!(check(&build(attempts)), Vec::new());
    }

    #[test]
    fn the_seventh_attempt_breaks_the_retry_limit_once() {
        let mut attempts: Vec<Ex> = (1..=7).map(|seq| pay(seq).err500()).collect();
        attempts.push(created(8));
        let findings = check(&build(attempts));
        assert_eq!(rules_of(&findings), vec![RETRY_LIMIT]);
        assert_eq!(findings[0].exchange, Some(7));
        assert!(
            findings[0].message.contains("7 times"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn a_new_request_reusing_the_key_of_a_successful_one_is_flagged() {
        let exchanges = build(vec![
            created(1),
            call(2, Endpoint::CapturePayment)
                .id("pay-1")
                .body(json!({ "amount": 100.0 })),
            created(3).step(1),
        ]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![KEY_UNIQUE]);
        assert_eq!(findings[0].exchange, Some(3));
        assert_eq!(findings[0].step, Some(1));
        assert!(
            findings[0].message.contains("call #1"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn a_key_bound_on_another_endpoint_is_not_reusable_either() {
        let exchanges = build(vec![
            call(1, Endpoint::CreatePos)
                .key("key-1")
                .body(json!({ "merchantPosId": "till-7" }))
                .response(json!({ "posId": "pos-1" })),
            created(2).step(1),
        ]);
        assert_eq!(rules_of(&check(&exchanges)), vec![KEY_UNIQUE]);
    }

    #[test]
    fn a_new_request_with_a_new_key_is_clean() {
        let exchanges = build(vec![created(1), created(2).step(1).key("key-2")]);
        assert_eq!(check(&exchanges), Vec::new());
    }

    #[test]
    fn the_key_of_a_call_refused_with_409_may_be_used_again() {
        let exchanges = build(vec![
            pay(1).refused(ErrorCode::PaymentActive),
            call(2, Endpoint::QueryPaymentIds).query("posId=pos-1"),
            cancel(3, "seeded-1"),
            created(4),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }

    #[test]
    fn a_new_request_reusing_the_key_of_an_abandoned_held_call_is_flagged() {
        // The held call was processed in full (payment created, key bound) although the client
        // never saw its 200; reusing that key for a new payment gets the old one replayed.
        let exchanges = build(vec![
            pay(1).hold200().hung_up(),
            created(2).step(1).at(60_000.0, 60_010.0),
        ]);
        assert_eq!(rules_of(&check(&exchanges)), vec![KEY_UNIQUE]);
    }

    #[test]
    fn a_missing_key_on_a_creating_call_is_flagged() {
        let exchanges = build(vec![
            created(1).without_header(KEY),
            call(2, Endpoint::CreatePos)
                .without_header(KEY)
                .body(json!({ "merchantPosId": "till-7" }))
                .step(1),
        ]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![KEY_PRESENT, KEY_PRESENT]);
        assert_eq!(
            findings.iter().map(|f| f.exchange).collect::<Vec<_>>(),
            vec![Some(1), Some(2)]
        );
        assert!(
            findings[0].message.contains("POST /pos/v10/payments"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn calls_that_take_no_key_are_not_asked_for_one() {
        let exchanges = build(vec![
            cancel(1, "pay-1"),
            call(2, Endpoint::DeletePos).id("pos-1"),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }

    #[test]
    fn gets_are_never_retry_checked() {
        let polls: Vec<Ex> = (1..=8)
            .map(|seq| poll(seq, "pay-1", "Initiated").hold200().hung_up())
            .collect();
        assert_eq!(check(&build(polls)), Vec::new());
    }

    #[test]
    fn calls_in_different_steps_are_not_chained() {
        let later = |step: usize| created(2).step(step).key("key-2");
        let same_step = build(vec![pay(1).err500(), later(0)]);
        assert_eq!(rules_of(&check(&same_step)), vec![KEY_REUSED_ON_RETRY]);
        let next_step = build(vec![pay(1).err500(), later(1)]);
        assert_eq!(check(&next_step), Vec::new());
    }

    #[test]
    fn calls_on_different_resources_are_not_chained() {
        let exchanges = build(vec![
            cancel(1, "pay-1").hold200().hung_up(),
            call(2, Endpoint::CapturePayment)
                .id("pay-1")
                .body(json!({ "amount": 100.0 })),
            call(3, Endpoint::CapturePayment)
                .id("pay-2")
                .body(json!({ "amount": 50.0 })),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }

    #[test]
    fn retry_chains_are_counted_per_resource() {
        let mut exchanges: Vec<Ex> = Vec::new();
        for seq in 1..=6 {
            exchanges.push(cancel(2 * seq - 1, "pay-1").err500());
            exchanges.push(cancel(2 * seq, "pay-2").err500());
        }
        assert_eq!(check(&build(exchanges)), Vec::new());
    }
}
