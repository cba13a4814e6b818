//! Tests of `payments`.

use serde_json::{Value, json};

use super::*;
use crate::pos::constants::{POLL_DELAY_MAX_MS, POLL_DELAY_MIN_MS, RESERVATION_LIFETIME_SECS};
use crate::pos::{ApiError, Endpoint};
use crate::service::emulator::fixtures::{
    Call, TestResult, VAT, acting_for, armed_session, code, initiate, json_of, new_payment,
    new_pos, payment_body, session, set_status, status_of, text,
};

const UNKNOWN_POS: &str = "6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21";

fn query_payment(session: &mut Session, payment_id: &str) -> Result<Value, String> {
    let call = Call::new(Endpoint::QueryPayment).id(payment_id);
    json_of(query(session, &acting_for(VAT), &call.request()))
}

fn list_ids(session: &Session, query_string: &str) -> Result<Vec<String>, String> {
    let call = Call::new(Endpoint::QueryPaymentIds).query(query_string);
    let body = json_of(list(session, &acting_for(VAT), &call.request()))?;
    let ids = body
        .get("paymentIds")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no paymentIds in {body}"))?;
    Ok(ids
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect())
}

fn capture_of(session: &mut Session, payment_id: &str, amount: f64) -> ApiAnswer {
    let call = Call::new(Endpoint::CapturePayment)
        .id(payment_id)
        .body(&json!({ "amount": amount }));
    capture(session, &acting_for(VAT), &call.request())
}

fn cancel_of(session: &mut Session, payment_id: &str) -> ApiAnswer {
    cancel(
        session,
        &acting_for(VAT),
        &Call::new(Endpoint::CancelPayment).id(payment_id).request(),
    )
}

/// A session with a PoS and a 100 DKK payment on it in `status`.
fn with_payment(status: PaymentStatus) -> Result<(Session, String), String> {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let payment = new_payment(&mut session, &pos, "order-1")?;
    set_status(&mut session, &payment, status)?;
    Ok((session, payment))
}

#[test]
fn initiate_creates_an_initiated_payment_on_the_pos() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_payment(&mut session, &pos, "order-1")?;
    let payment = session
        .world()
        .payments
        .get(&id)
        .ok_or("payment not stored")?;
    assert_eq!(payment.status, PaymentStatus::Initiated);
    assert_eq!(payment.pos_id, pos);
    assert_eq!(payment.amount, Some(100.0));
    assert!(validate::is_guid(&id), "paymentId {id} is not a GUID");
    Ok(())
}

#[test]
fn initiate_validates_the_order_id() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    for order in ["", &"x".repeat(37), "emoji 😀"] {
        let answer = initiate(&mut session, &payment_body(&pos, order, json!(10)));
        assert_eq!(code(&answer), Some("1113"), "orderId {order:?}");
    }
    Ok(())
}

#[test]
fn initiate_validates_the_amount() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    for amount in [json!(0), json!(-5.0), json!(10.005)] {
        let answer = initiate(&mut session, &payment_body(&pos, "order-1", amount.clone()));
        assert_eq!(code(&answer), Some("1102"), "amount {amount}");
    }
    assert!(session.world().payments.is_empty());
    Ok(())
}

#[test]
fn initiate_validates_the_payment_label() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let mut body = payment_body(&pos, "order-1", json!(10));
    body["merchantPaymentLabel"] = json!("l".repeat(37));
    assert_eq!(code(&initiate(&mut session, &body)), Some("1117"));
    body["merchantPaymentLabel"] = json!("no\u{A0}nbsp");
    assert_eq!(code(&initiate(&mut session, &body)), Some("1117"));
    body["merchantPaymentLabel"] = json!(null);
    json_of(initiate(&mut session, &body))?;
    Ok(())
}

#[test]
fn initiate_refuses_malformed_bodies_and_pos_ids() -> TestResult {
    let mut session = session();
    let answer = initiate(
        &mut session,
        &payment_body("not-a-guid", "order-1", json!(10)),
    );
    assert_eq!(code(&answer), Some("1099"));
    let mut body = payment_body(UNKNOWN_POS, "order-1", json!(10));
    body["currencyCode"] = json!("SEK");
    assert_eq!(code(&initiate(&mut session, &body)), Some("1099"));
    Ok(())
}

#[test]
fn initiate_on_an_unknown_or_deleted_pos_is_1000() -> TestResult {
    let mut session = session();
    let answer = initiate(
        &mut session,
        &payment_body(UNKNOWN_POS, "order-1", json!(10)),
    );
    assert_eq!(code(&answer), Some("1000"));
    let pos = new_pos(&mut session, "till-1")?;
    if let Some(record) = session.world_mut().points_of_sale.get_mut(&pos) {
        record.deleted = true;
    }
    let answer = initiate(&mut session, &payment_body(&pos, "order-1", json!(10)));
    assert_eq!(code(&answer), Some("1000"));
    Ok(())
}

#[test]
fn initiate_accepts_an_upper_case_pos_id() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let body = payment_body(&pos.to_ascii_uppercase(), "order-1", json!(10));
    let id = text(&json_of(initiate(&mut session, &body))?, "paymentId")?;
    assert_eq!(
        session.world().payments.get(&id).map(|p| p.pos_id.clone()),
        Some(pos)
    );
    Ok(())
}

#[test]
fn only_an_active_payment_blocks_the_pos() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let other_pos = new_pos(&mut session, "till-2")?;
    let first = new_payment(&mut session, &pos, "order-1")?;
    for active in [
        PaymentStatus::Initiated,
        PaymentStatus::IssuedToUser,
        PaymentStatus::Prepared,
        PaymentStatus::Paired,
    ] {
        set_status(&mut session, &first, active)?;
        let answer = initiate(&mut session, &payment_body(&pos, "order-2", json!(10)));
        assert_eq!(code(&answer), Some("1301"), "first payment {active}");
    }
    new_payment(&mut session, &other_pos, "order-3")?;
    set_status(&mut session, &first, PaymentStatus::Reserved)?;
    new_payment(&mut session, &pos, "order-2")?;
    Ok(())
}

#[test]
fn a_payment_started_in_a_case_follows_its_customer() -> TestResult {
    let mut session = armed_session(vec![PaymentStatus::IssuedToUser], true)?;
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_payment(&mut session, &pos, "order-1")?;
    let payment = session
        .world()
        .payments
        .get(&id)
        .ok_or("payment not stored")?;
    assert_eq!(
        payment.created_in_case.as_deref(),
        Some(crate::service::emulator::fixtures::CASE)
    );
    assert!(payment.partial_capture_possible);
    assert_eq!(
        text(&query_payment(&mut session, &id)?, "status")?,
        "IssuedToUser"
    );
    Ok(())
}

#[test]
fn the_partial_capture_flag_is_present_only_when_reserved() -> TestResult {
    let mut session = armed_session(
        vec![
            PaymentStatus::Initiated,
            PaymentStatus::IssuedToUser,
            PaymentStatus::Reserved,
        ],
        true,
    )?;
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_payment(&mut session, &pos, "order-1")?;
    for expected in ["Initiated", "IssuedToUser"] {
        let answer = query_payment(&mut session, &id)?;
        assert_eq!(text(&answer, "status")?, expected);
        assert!(
            answer.get("partialCapturePossible").is_none(),
            "flag present in {expected}: {answer}"
        );
    }
    let reserved = query_payment(&mut session, &id)?;
    assert_eq!(text(&reserved, "status")?, "Reserved");
    assert_eq!(reserved.get("partialCapturePossible"), Some(&json!(true)));
    assert!(reserved.get("paymentExpiresAt").is_some());
    assert_eq!(capture_of(&mut session, &id, 100.0), Ok(None));
    let captured = query_payment(&mut session, &id)?;
    assert_eq!(text(&captured, "status")?, "Captured");
    assert!(
        captured.get("partialCapturePossible").is_none(),
        "{captured}"
    );
    Ok(())
}

#[test]
fn each_poll_announces_the_next_delay_of_the_session_pacer() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::Initiated)?;
    let mut delays = Vec::new();
    for _ in 0..6 {
        let answer = query_payment(&mut session, &id)?;
        let delay = answer.get("pollDelayInMs").and_then(Value::as_u64);
        delays.push(delay.ok_or("no pollDelayInMs")?);
    }
    let (min, max) = (POLL_DELAY_MIN_MS, POLL_DELAY_MAX_MS);
    assert!(delays.iter().all(|d| (min..=max).contains(d)), "{delays:?}");
    assert!(delays.windows(2).any(|w| w[0] != w[1]), "{delays:?}");
    Ok(())
}

#[test]
fn a_reservation_expires_after_its_lifetime_when_read() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::Reserved)?;
    if let Some(payment) = session.world_mut().payments.get_mut(&id) {
        // Created a lifetime ago on the session's virtual clock.
        payment.created_virtual_ms -= RESERVATION_LIFETIME_SECS as f64 * 1000.0;
    }
    let answer = query_payment(&mut session, &id)?;
    assert_eq!(text(&answer, "status")?, "ExpiredAndCancelled");
    assert!(answer.get("paymentExpiresAt").is_none(), "{answer}");
    assert_eq!(code(&capture_of(&mut session, &id, 100.0)), Some("1304"));
    Ok(())
}

#[test]
fn a_reserved_payment_without_partial_capture_says_false() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::Reserved)?;
    let answer = query_payment(&mut session, &id)?;
    assert_eq!(answer.get("partialCapturePossible"), Some(&json!(false)));
    Ok(())
}

#[test]
fn customer_fields_are_absent_until_the_customer_is_seen() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::Initiated)?;
    let initiated = query_payment(&mut session, &id)?;
    assert!(initiated.get("loyaltyIds").is_none(), "{initiated}");
    assert!(
        initiated.get("customerReceiptToken").is_none(),
        "{initiated}"
    );
    set_status(&mut session, &id, PaymentStatus::IssuedToUser)?;
    let issued = query_payment(&mut session, &id)?;
    assert_eq!(issued.get("loyaltyIds"), Some(&json!([])));
    Ok(())
}

#[test]
fn querying_an_unknown_payment_is_404() {
    let mut session = session();
    let call = Call::new(Endpoint::QueryPayment).id(UNKNOWN_POS);
    assert!(matches!(
        query(&mut session, &acting_for(VAT), &call.request()),
        Err(ApiError::NotFound)
    ));
}

#[test]
fn listing_needs_a_pos_or_an_order() -> TestResult {
    let (session, _) = with_payment(PaymentStatus::Initiated)?;
    for query_string in ["", "state=Captured"] {
        let call = Call::new(Endpoint::QueryPaymentIds).query(query_string);
        assert_eq!(
            code(&list(&session, &acting_for(VAT), &call.request())),
            Some("1109"),
            "query {query_string:?}"
        );
    }
    let call = Call::new(Endpoint::QueryPaymentIds).query("orderId=order-1&state=Reserved");
    assert_eq!(
        code(&list(&session, &acting_for(VAT), &call.request())),
        Some("1099")
    );
    Ok(())
}

#[test]
fn listing_by_pos_shows_active_and_reserved_payments_only() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let other_pos = new_pos(&mut session, "till-2")?;
    let mut by_status = Vec::new();
    for (n, status) in [
        PaymentStatus::Captured,
        PaymentStatus::CancelledByUser,
        PaymentStatus::CancelledByClient,
        PaymentStatus::CancelledByMobilePay,
        PaymentStatus::ExpiredAndCancelled,
        PaymentStatus::Reserved,
        PaymentStatus::IssuedToUser,
    ]
    .into_iter()
    .enumerate()
    {
        let id = new_payment(&mut session, &pos, &format!("order-{n}"))?;
        set_status(&mut session, &id, status)?;
        by_status.push(id);
    }
    new_payment(&mut session, &other_pos, "order-x")?;
    let listed = list_ids(&session, &format!("posId={}", pos.to_ascii_uppercase()))?;
    assert_eq!(listed, by_status[5..].to_vec());
    let captured = list_ids(&session, &format!("posId={pos}&state=Captured"))?;
    assert_eq!(captured, vec![by_status[0].clone()]);
    Ok(())
}

#[test]
fn an_order_id_resolves_to_its_latest_payment_only() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let older = new_payment(&mut session, &pos, "order-1")?;
    set_status(&mut session, &older, PaymentStatus::Reserved)?;
    let latest = new_payment(&mut session, &pos, "order-1")?;
    assert_eq!(list_ids(&session, "orderId=order-1")?, vec![latest.clone()]);
    assert_eq!(
        list_ids(&session, &format!("posId={pos}&orderId=order-1"))?,
        vec![latest.clone()]
    );
    set_status(&mut session, &latest, PaymentStatus::Captured)?;
    assert_eq!(list_ids(&session, "orderId=order-1")?, Vec::<String>::new());
    assert_eq!(
        list_ids(&session, "orderId=order-1&state=Captured")?,
        vec![latest]
    );
    assert_eq!(list_ids(&session, "orderId=order-9")?, Vec::<String>::new());
    Ok(())
}

#[test]
fn capture_needs_a_reservation() -> TestResult {
    for status in [
        PaymentStatus::Initiated,
        PaymentStatus::IssuedToUser,
        PaymentStatus::CancelledByClient,
        PaymentStatus::CancelledByUser,
    ] {
        let (mut session, id) = with_payment(status)?;
        assert_eq!(
            code(&capture_of(&mut session, &id, 100.0)),
            Some("1304"),
            "capture in {status}"
        );
        assert_eq!(status_of(&session, &id)?, status);
    }
    Ok(())
}

#[test]
fn capture_refuses_more_than_the_reservation() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::Reserved)?;
    assert_eq!(code(&capture_of(&mut session, &id, 100.01)), Some("1305"));
    assert_eq!(status_of(&session, &id)?, PaymentStatus::Reserved);
    Ok(())
}

#[test]
fn capture_refuses_a_partial_amount_unless_allowed() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::Reserved)?;
    assert_eq!(code(&capture_of(&mut session, &id, 60.0)), Some("1308"));
    assert_eq!(status_of(&session, &id)?, PaymentStatus::Reserved);
    if let Some(payment) = session.world_mut().payments.get_mut(&id) {
        payment.partial_capture_possible = true;
    }
    assert_eq!(capture_of(&mut session, &id, 60.0), Ok(None));
    let payment = session.world().payments.get(&id).ok_or("payment gone")?;
    assert_eq!(payment.status, PaymentStatus::Captured);
    assert_eq!(payment.captured_amount, Some(60.0));
    Ok(())
}

#[test]
fn capture_validates_the_amount_and_the_payment() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::Reserved)?;
    assert_eq!(code(&capture_of(&mut session, &id, 0.0)), Some("1102"));
    assert_eq!(code(&capture_of(&mut session, &id, 99.999)), Some("1102"));
    assert!(matches!(
        capture_of(&mut session, UNKNOWN_POS, 100.0),
        Err(ApiError::NotFound)
    ));
    let call = Call::new(Endpoint::CapturePayment)
        .id(&id)
        .raw_body(r#"{"amount":100,"currency":"DKK"}"#);
    assert_eq!(
        code(&capture(&mut session, &acting_for(VAT), &call.request())),
        Some("1099")
    );
    Ok(())
}

#[test]
fn capturing_again_succeeds_only_with_the_same_amount() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::Reserved)?;
    assert_eq!(capture_of(&mut session, &id, 100.0), Ok(None));
    assert_eq!(capture_of(&mut session, &id, 100.0), Ok(None));
    assert_eq!(code(&capture_of(&mut session, &id, 90.0)), Some("1307"));
    let payment = session.world().payments.get(&id).ok_or("payment gone")?;
    assert_eq!(payment.captured_amount, Some(100.0));
    Ok(())
}

#[test]
fn cancel_ends_active_and_reserved_payments() -> TestResult {
    for status in [
        PaymentStatus::Initiated,
        PaymentStatus::IssuedToUser,
        PaymentStatus::Prepared,
        PaymentStatus::Paired,
        PaymentStatus::Reserved,
    ] {
        let (mut session, id) = with_payment(status)?;
        assert_eq!(cancel_of(&mut session, &id), Ok(None), "cancel in {status}");
        assert_eq!(status_of(&session, &id)?, PaymentStatus::CancelledByClient);
    }
    Ok(())
}

#[test]
fn a_repeated_cancel_succeeds() -> TestResult {
    let (mut session, id) = with_payment(PaymentStatus::IssuedToUser)?;
    assert_eq!(cancel_of(&mut session, &id), Ok(None));
    assert_eq!(cancel_of(&mut session, &id), Ok(None));
    assert_eq!(status_of(&session, &id)?, PaymentStatus::CancelledByClient);
    Ok(())
}

#[test]
fn a_finished_payment_cannot_be_cancelled() -> TestResult {
    for status in [
        PaymentStatus::Captured,
        PaymentStatus::CancelledByUser,
        PaymentStatus::CancelledByMobilePay,
        PaymentStatus::ExpiredAndCancelled,
    ] {
        let (mut session, id) = with_payment(status)?;
        assert_eq!(
            code(&cancel_of(&mut session, &id)),
            Some("1300"),
            "{status}"
        );
        assert_eq!(status_of(&session, &id)?, status);
    }
    let mut session = session();
    assert!(matches!(
        cancel_of(&mut session, UNKNOWN_POS),
        Err(ApiError::NotFound)
    ));
    Ok(())
}
