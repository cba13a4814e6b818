//! Tests of `lookups`.

use serde_json::json;

use super::*;
use crate::judge::fixtures::{
    Ex, assert_only, build, call, cancel, initiate, listing, poll, rules_of,
};

#[test]
fn a_conflict_cleaned_up_by_list_cancel_and_initiate_is_clean() {
    let exchanges = build(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        listing(2, "posId=pos-1", &["seeded-1"]),
        poll(3, "seeded-1", "IssuedToUser"),
        cancel(4, "seeded-1"),
        initiate(5, "key-1").response(json!({ "paymentId": "pay-2" })),
    ]);
    assert_eq!(check_conflict_cleanup(&exchanges), Vec::new());
}

#[test]
fn reading_the_listed_payment_is_not_required_and_order_id_is_optional() {
    for query in ["posId=pos-1", "posId=POS-1&orderId=order-1"] {
        let exchanges = build(vec![
            initiate(1, "key-1").refused(ErrorCode::PaymentActive),
            listing(2, query, &["SEEDED-1"]),
            cancel(3, "seeded-1"),
            initiate(4, "key-2").response(json!({ "paymentId": "pay-2" })),
        ]);
        assert_eq!(check_conflict_cleanup(&exchanges), Vec::new(), "{query}");
    }
}

#[test]
fn giving_up_after_a_conflict_is_flagged() {
    let exchanges = build(vec![initiate(1, "key-1").refused(ErrorCode::PaymentActive)]);
    assert_only(
        &check_conflict_cleanup(&exchanges),
        CONFLICT_CLEANUP,
        1,
        "gave up",
    );
}

#[test]
fn initiating_again_without_cancelling_is_flagged() {
    let exchanges = build(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        initiate(2, "key-2").refused(ErrorCode::PaymentActive),
    ]);
    let findings = check_conflict_cleanup(&exchanges);
    assert_eq!(
        rules_of(&findings),
        vec![CONFLICT_CLEANUP, CONFLICT_CLEANUP]
    );
    assert_eq!(findings[0].exchange, Some(1));
    assert!(
        findings[0]
            .message
            .contains("tried again without cancelling"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn cancelling_without_initiating_again_is_flagged() {
    let exchanges = build(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        listing(2, "posId=pos-1", &["seeded-1"]),
        cancel(3, "seeded-1"),
    ]);
    assert_only(
        &check_conflict_cleanup(&exchanges),
        CONFLICT_CLEANUP,
        1,
        "never initiated again",
    );
}

#[test]
fn cancelling_a_payment_without_listing_the_pos_is_flagged() {
    let exchanges = build(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        cancel(2, "seeded-1"),
        initiate(3, "key-1").response(json!({ "paymentId": "pay-2" })),
    ]);
    let findings = check_conflict_cleanup(&exchanges);
    assert_only(
        &findings,
        CONFLICT_CLEANUP,
        1,
        "cancelled payment seeded-1 (call #2) without finding it first",
    );
}

#[test]
fn cancelling_a_payment_the_listing_did_not_serve_is_flagged() {
    let exchanges = build(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        listing(2, "posId=pos-1", &["seeded-1"]),
        cancel(3, "guessed-9"),
        initiate(4, "key-1").response(json!({ "paymentId": "pay-2" })),
    ]);
    let findings = check_conflict_cleanup(&exchanges);
    assert_eq!(rules_of(&findings), vec![CONFLICT_CLEANUP]);
    assert!(
        findings[0]
            .message
            .contains("which the listing did not serve"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn a_listing_of_another_pos_or_a_failed_one_does_not_find_the_payment() {
    for list in [
        listing(2, "posId=pos-2", &["seeded-1"]),
        listing(2, "orderId=order-1", &["seeded-1"]),
        listing(2, "posId=pos-1", &["seeded-1"]).err500(),
    ] {
        let exchanges = build(vec![
            initiate(1, "key-1").refused(ErrorCode::PaymentActive),
            list,
            cancel(3, "seeded-1"),
            initiate(4, "key-1").response(json!({ "paymentId": "pay-2" })),
        ]);
        assert_eq!(
            rules_of(&check_conflict_cleanup(&exchanges)),
            vec![CONFLICT_CLEANUP]
        );
    }
}

#[test]
fn a_cleanup_in_a_later_step_does_not_count() {
    let exchanges = build(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        listing(2, "posId=pos-1", &["seeded-1"]).step(1),
        cancel(3, "seeded-1").step(1),
        initiate(4, "key-2").step(1),
    ]);
    assert_only(
        &check_conflict_cleanup(&exchanges),
        CONFLICT_CLEANUP,
        1,
        "gave up",
    );
}

#[test]
fn a_failed_cancel_is_not_a_cleanup() {
    let exchanges = build(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        listing(2, "posId=pos-1", &["seeded-1"]),
        cancel(3, "seeded-1").refused(ErrorCode::PaymentNotCancellable),
        initiate(4, "key-1"),
    ]);
    assert_only(
        &check_conflict_cleanup(&exchanges),
        CONFLICT_CLEANUP,
        1,
        "tried again without cancelling",
    );
}

fn refund(seq: u64, key: &str) -> Ex {
    call(seq, Endpoint::CreateRefund).key(key).body(json!({
        "paymentId": "pay-1", "refundOrderId": "refund-1", "amount": 10.0, "currencyCode": "DKK"
    }))
}

fn refund_listing(seq: u64, payment_id: &str) -> Ex {
    call(seq, Endpoint::QueryRefundIds)
        .query(&format!("paymentId={payment_id}"))
        .response(json!({ "refundIds": ["ref-1"] }))
}

#[test]
fn a_create_answered_in_the_end_loses_nothing() {
    let exchanges = build(vec![
        initiate(1, "key-1").hold200().hung_up(),
        initiate(2, "key-1").err500(),
        initiate(3, "key-1").response(json!({ "paymentId": "pay-1" })),
        refund(4, "key-2").hold200().hung_up(),
        refund(5, "key-2").response(json!({ "refundId": "ref-1" })),
    ]);
    assert_eq!(check_lost_ids(&exchanges), Vec::new());
}

#[test]
fn a_lost_payment_recovered_with_the_documented_lookup_is_clean() {
    for query in ["posId=pos-1&orderId=order-1", "posId=pos-1"] {
        let exchanges = build(vec![
            initiate(1, "key-1").hold200().hung_up(),
            initiate(2, "key-1").err500(),
            listing(3, query, &["pay-1"]),
            poll(4, "pay-1", "Initiated"),
            initiate(5, "key-2")
                .step(1)
                .body(json!({ "posId": "pos-1", "orderId": "order-1", "amount": 25.0 })),
        ]);
        assert_eq!(check_lost_ids(&exchanges), Vec::new(), "{query}");
    }
}

#[test]
fn a_lost_refund_recovered_with_the_documented_lookup_is_clean() {
    let exchanges = build(vec![
        refund(1, "key-1").hold200().hung_up(),
        refund_listing(2, "pay-1"),
        call(3, Endpoint::CancelRefund).id("ref-1"),
    ]);
    assert_eq!(check_lost_ids(&exchanges), Vec::new());
}

#[test]
fn a_case_ending_without_the_lookup_is_flagged_at_the_last_attempt() {
    let exchanges = build(vec![
        refund(1, "key-1").hold200().hung_up(),
        refund(2, "key-1").err500(),
    ]);
    let findings = check_lost_ids(&exchanges);
    assert_eq!(rules_of(&findings), vec![LOST_ID_RECOVERED]);
    assert_eq!((findings[0].exchange, findings[0].step), (Some(2), Some(0)));
    assert!(
        findings[0]
            .message
            .contains("ended the case without looking it up")
            && findings[0].message.contains("GET /refunds?paymentId=…")
            && findings[0].message.contains("POST /pos/v10/refunds"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn a_new_create_for_the_same_order_before_the_lookup_is_a_duplicate() {
    let exchanges = build(vec![
        initiate(1, "key-1").hold200().hung_up(),
        initiate(2, "key-2").refused(ErrorCode::PaymentActive),
        listing(3, "posId=pos-1", &["pay-1"]),
    ]);
    let findings = check_lost_ids(&exchanges);
    assert_only(
        &findings,
        LOST_ID_RECOVERED,
        2,
        "another payment for orderId order-1",
    );
}

#[test]
fn acting_on_an_id_found_another_way_is_flagged() {
    let exchanges = build(vec![
        refund(1, "key-1").hold200().hung_up(),
        call(2, Endpoint::QueryPaymentIds)
            .query("paymentId=pay-1")
            .response(json!({ "refundIds": ["ref-1"] })),
        call(3, Endpoint::CaptureRefund).id("ref-1"),
    ]);
    let findings = check_lost_ids(&exchanges);
    assert_only(&findings, LOST_ID_RECOVERED, 3, "acted on refund ref-1");
}

#[test]
fn the_wrong_lookup_does_not_recover_the_id() {
    let exchanges = build(vec![
        initiate(1, "key-1").hold200().hung_up(),
        listing(2, "posId=pos-1&orderId=order-2", &[]),
        refund_listing(3, "pay-1"),
        listing(4, "posId=pos-1", &["pay-1"]).err500(),
    ]);
    assert_eq!(
        rules_of(&check_lost_ids(&exchanges)),
        vec![LOST_ID_RECOVERED]
    );
}

#[test]
fn a_refused_create_loses_no_id() {
    let exchanges = build(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        initiate(2, "key-2").refused(ErrorCode::InvalidAmount),
    ]);
    assert_eq!(check_lost_ids(&exchanges), Vec::new());
}
