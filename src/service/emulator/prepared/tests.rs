//! Unit tests of prepare and ready: every rule, transition and error code, through the handlers
//! and, for the idempotency key, through the whole pipeline.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::*;
use crate::pos::constants::TEST_USER_LOYALTY_ID;
use crate::pos::usersim::TestUser;
use crate::pos::{Endpoint, PaymentStatus};
use crate::service::emulator::fixtures::{
    Call, TestResult, VAT, armed_session, code, initiate, json_of, new_payment, new_pos,
    payment_body, session, set_status, status_of, text,
};
use crate::service::emulator::{payments, process};
use crate::service::registry::TokenGrant;

const UNKNOWN_ID: &str = "6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21";

fn prepare_body(pos_id: &str, order_id: &str) -> Value {
    json!({ "posId": pos_id, "orderId": order_id })
}

fn prepare_with(session: &mut Session, body: &Value) -> ApiAnswer {
    prepare(
        session,
        &Call::new(Endpoint::PreparePayment).body(body).request(),
    )
}

fn new_prepared(session: &mut Session, pos_id: &str) -> Result<String, String> {
    text(
        &json_of(prepare_with(session, &prepare_body(pos_id, "order-p")))?,
        "paymentId",
    )
}

fn ready_body() -> Value {
    json!({
        "currencyCode": "DKK",
        "amount": 89.5,
        "restrictions": { "debitCardDisallowed": true, "creditCardDisallowed": false },
        "merchantPaymentLabel": "Shift B",
        "plannedCaptureDelay": "LessThan24Hours",
    })
}

fn ready_with(session: &mut Session, payment_id: &str, body: &Value) -> ApiAnswer {
    ready(
        session,
        &Call::new(Endpoint::PaymentReady)
            .id(payment_id)
            .body(body)
            .request(),
    )
}

fn query(session: &mut Session, payment_id: &str) -> Result<Value, String> {
    let call = Call::new(Endpoint::QueryPayment).id(payment_id);
    json_of(payments::query(session, &call.request()))
}

/// Checks in test user 04 at the PoS, waiting for a payment.
fn customer_waits_at(session: &mut Session, pos_id: &str) -> TestResult {
    let user = TestUser::find("+4520031804").ok_or("test user 04 is documented")?;
    let customer = checkin::check_in_of(user, session.clock().virtual_ms());
    session
        .world_mut()
        .customers
        .waiting
        .insert(pos_id.to_string(), customer);
    Ok(())
}

#[test]
fn prepare_opens_a_prepared_payment_without_an_amount() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_prepared(&mut session, &pos)?;
    assert!(validate::is_guid(&id));
    let answer = query(&mut session, &id)?;
    assert_eq!(answer["status"], "Prepared");
    assert_eq!(answer["orderId"], "order-p");
    for absent in [
        "amount",
        "currencyCode",
        "plannedCaptureDelay",
        "restrictions",
    ] {
        assert_eq!(answer[absent], Value::Null, "{absent} in {answer}");
    }
    assert!(answer.get("loyaltyIds").is_none(), "{answer}");
    assert_eq!(session.world().readied.get(&id), Some(&None));
    Ok(())
}

#[test]
fn prepare_validates_the_order_id_and_the_pos_id() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    for order in ["", &"x".repeat(37), "tab\there"] {
        let answer = prepare_with(&mut session, &prepare_body(&pos, order));
        assert_eq!(code(&answer), Some("1113"), "orderId {order:?}");
    }
    let answer = prepare_with(&mut session, &prepare_body("till-1", "order-1"));
    assert_eq!(code(&answer), Some("1099"));
    assert!(session.world().payments.is_empty());
    Ok(())
}

#[test]
fn prepare_refuses_bodies_outside_the_document() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    for body in [
        json!({ "posId": pos }),
        json!({ "posId": pos, "orderId": "o", "amount": 10 }),
        json!([pos, "o"]),
    ] {
        assert_eq!(
            code(&prepare_with(&mut session, &body)),
            Some("1099"),
            "{body}"
        );
    }
    Ok(())
}

#[test]
fn prepare_on_an_unknown_or_deleted_pos_is_1000() -> TestResult {
    let mut session = session();
    let answer = prepare_with(&mut session, &prepare_body(UNKNOWN_ID, "order-1"));
    assert_eq!(code(&answer), Some("1000"));
    let pos = new_pos(&mut session, "till-1")?;
    if let Some(record) = session.world_mut().points_of_sale.get_mut(&pos) {
        record.deleted = true;
    }
    let answer = prepare_with(&mut session, &prepare_body(&pos, "order-1"));
    assert_eq!(code(&answer), Some("1000"));
    Ok(())
}

#[test]
fn one_active_payment_per_pos_whichever_flow_opened_it() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let prepared = new_prepared(&mut session, &pos)?;
    let answer = prepare_with(&mut session, &prepare_body(&pos, "order-2"));
    assert_eq!(code(&answer), Some("1301"));
    let answer = initiate(&mut session, &payment_body(&pos, "order-3", json!(10)));
    assert_eq!(
        code(&answer),
        Some("1301"),
        "a prepared payment blocks initiate"
    );
    for active in [PaymentStatus::Paired, PaymentStatus::Initiated] {
        set_status(&mut session, &prepared, active)?;
        let answer = prepare_with(&mut session, &prepare_body(&pos, "order-4"));
        assert_eq!(code(&answer), Some("1301"), "{active}");
    }
    set_status(&mut session, &prepared, PaymentStatus::Reserved)?;
    let initiated = new_payment(&mut session, &pos, "order-5")?;
    let answer = prepare_with(&mut session, &prepare_body(&pos, "order-6"));
    assert_eq!(
        code(&answer),
        Some("1301"),
        "an initiated payment blocks prepare"
    );
    set_status(&mut session, &initiated, PaymentStatus::CancelledByClient)?;
    new_prepared(&mut session, &pos)?;
    let active = session
        .world()
        .payments
        .values()
        .filter(|p| p.status.is_active())
        .count();
    assert_eq!(active, 1);
    Ok(())
}

#[test]
fn prepare_pairs_at_once_with_a_customer_already_checked_in() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    customer_waits_at(&mut session, &pos)?;
    let id = new_prepared(&mut session, &pos)?;
    let answer = query(&mut session, &id)?;
    assert_eq!(answer["status"], "Paired");
    assert_eq!(answer["loyaltyIds"], json!([TEST_USER_LOYALTY_ID]));
    assert!(
        answer["customerToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(answer["customerReceiptToken"], "");
    assert_eq!(answer["amount"], Value::Null);
    Ok(())
}

#[test]
fn ready_on_a_paired_payment_issues_it_with_everything_the_body_says() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    customer_waits_at(&mut session, &pos)?;
    let id = new_prepared(&mut session, &pos)?;
    assert_eq!(
        ready_with(&mut session, &id.to_ascii_uppercase(), &ready_body()),
        Ok(None)
    );
    let answer = query(&mut session, &id)?;
    assert_eq!(answer["status"], "IssuedToUser");
    assert_eq!(answer["amount"], json!(89.5));
    assert_eq!(answer["currencyCode"], "DKK");
    assert_eq!(answer["restrictions"], ready_body()["restrictions"]);
    assert_eq!(answer["merchantPaymentLabel"], "Shift B");
    assert_eq!(answer["plannedCaptureDelay"], "LessThan24Hours");
    assert_eq!(
        answer["loyaltyIds"],
        json!([TEST_USER_LOYALTY_ID]),
        "the customer stays"
    );
    Ok(())
}

#[test]
fn ready_before_any_check_in_initiates_the_payment() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_prepared(&mut session, &pos)?;
    let mut body = ready_body();
    body["restrictions"] = Value::Null;
    body["merchantPaymentLabel"] = Value::Null;
    assert_eq!(ready_with(&mut session, &id, &body), Ok(None));
    let answer = query(&mut session, &id)?;
    assert_eq!(answer["status"], "Initiated");
    assert_eq!(answer["restrictions"], Value::Null);
    assert!(answer.get("loyaltyIds").is_none(), "{answer}");
    Ok(())
}

#[test]
fn ready_validates_amount_label_and_shape() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_prepared(&mut session, &pos)?;
    let with = |field: &str, value: Value| {
        let mut body = ready_body();
        body[field] = value;
        body
    };
    for amount in [json!(0), json!(-1), json!(1.001)] {
        let answer = ready_with(&mut session, &id, &with("amount", amount.clone()));
        assert_eq!(code(&answer), Some("1102"), "amount {amount}");
    }
    for label in [json!("l".repeat(37)), json!("no\u{A0}nbsp")] {
        let answer = ready_with(&mut session, &id, &with("merchantPaymentLabel", label));
        assert_eq!(code(&answer), Some("1117"));
    }
    let mut missing_delay = ready_body();
    if let Some(fields) = missing_delay.as_object_mut() {
        fields.remove("plannedCaptureDelay");
    }
    for body in [
        with("currencyCode", json!("SEK")),
        with("plannedCaptureDelay", json!("Tomorrow")),
        with("orderId", json!("order-1")),
        missing_delay,
    ] {
        assert_eq!(
            code(&ready_with(&mut session, &id, &body)),
            Some("1099"),
            "{body}"
        );
    }
    assert_eq!(status_of(&session, &id)?, PaymentStatus::Prepared);
    Ok(())
}

#[test]
fn restrictions_must_have_the_documented_shape() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_prepared(&mut session, &pos)?;
    for restrictions in [
        json!({ "debitCardDisallowed": "yes" }),
        json!({ "userMinimumAge": 18 }),
        json!([true, false]),
    ] {
        let mut body = ready_body();
        body["restrictions"] = restrictions.clone();
        assert_eq!(
            code(&ready_with(&mut session, &id, &body)),
            Some("1099"),
            "{restrictions}"
        );
        let mut initiated = payment_body(&pos, "order-1", json!(10));
        initiated["restrictions"] = restrictions.clone();
        assert_eq!(
            code(&initiate(&mut session, &initiated)),
            Some("1099"),
            "{restrictions}"
        );
    }
    Ok(())
}

#[test]
fn restrictions_of_initiate_and_ready_are_echoed_as_sent() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let only_credit = json!({ "debitCardDisallowed": null, "creditCardDisallowed": true });
    let mut body = payment_body(&pos, "order-1", json!(10));
    body["restrictions"] = only_credit.clone();
    let initiated = text(&json_of(initiate(&mut session, &body))?, "paymentId")?;
    assert_eq!(
        query(&mut session, &initiated)?["restrictions"],
        only_credit
    );
    set_status(&mut session, &initiated, PaymentStatus::CancelledByClient)?;
    let prepared = new_prepared(&mut session, &pos)?;
    let mut readied = ready_body();
    readied["restrictions"] =
        json!({ "debitCardDisallowed": false, "creditCardDisallowed": false });
    assert_eq!(ready_with(&mut session, &prepared, &readied), Ok(None));
    assert_eq!(
        query(&mut session, &prepared)?["restrictions"],
        readied["restrictions"]
    );
    Ok(())
}

#[test]
fn ready_of_an_unknown_payment_is_404() {
    let mut session = session();
    assert_eq!(
        ready_with(&mut session, UNKNOWN_ID, &ready_body()),
        Err(ApiError::NotFound)
    );
}

#[test]
fn ready_outside_prepared_and_paired_is_1303() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let initiated = new_payment(&mut session, &pos, "order-1")?;
    assert_eq!(
        code(&ready_with(&mut session, &initiated, &ready_body())),
        Some("1303")
    );
    assert_eq!(status_of(&session, &initiated)?, PaymentStatus::Initiated);
    set_status(&mut session, &initiated, PaymentStatus::CancelledByClient)?;
    let prepared = new_prepared(&mut session, &pos)?;
    for status in [
        PaymentStatus::IssuedToUser,
        PaymentStatus::Reserved,
        PaymentStatus::CancelledByUser,
        PaymentStatus::CancelledByClient,
        PaymentStatus::Captured,
    ] {
        set_status(&mut session, &prepared, status)?;
        let answer = ready_with(&mut session, &prepared, &ready_body());
        assert_eq!(code(&answer), Some("1303"), "ready in {status}");
        assert_eq!(status_of(&session, &prepared)?, status);
    }
    Ok(())
}

#[test]
fn an_identical_ready_after_success_is_200_and_another_is_1303() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    customer_waits_at(&mut session, &pos)?;
    let id = new_prepared(&mut session, &pos)?;
    assert_eq!(ready_with(&mut session, &id, &ready_body()), Ok(None));
    assert_eq!(ready_with(&mut session, &id, &ready_body()), Ok(None));
    assert_eq!(status_of(&session, &id)?, PaymentStatus::IssuedToUser);
    let mut other = ready_body();
    other["amount"] = json!(90);
    assert_eq!(code(&ready_with(&mut session, &id, &other)), Some("1303"));
    let payment = session.world().payments.get(&id).ok_or("payment gone")?;
    assert_eq!(payment.amount, Some(89.5));
    Ok(())
}

#[test]
fn the_scripted_customer_pairs_then_waits_for_ready_then_accepts() -> TestResult {
    use PaymentStatus::*;
    let mut session = armed_session(vec![Prepared, Paired, IssuedToUser, Reserved], false)?;
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_prepared(&mut session, &pos)?;
    let mut polled = Vec::new();
    for _ in 0..3 {
        polled.push(text(&query(&mut session, &id)?, "status")?);
    }
    assert_eq!(polled, ["Prepared", "Paired", "Paired"]);
    let paired = query(&mut session, &id)?;
    assert_eq!(paired["loyaltyIds"], json!([TEST_USER_LOYALTY_ID]));
    assert_eq!(ready_with(&mut session, &id, &ready_body()), Ok(None));
    let mut polled = Vec::new();
    for _ in 0..3 {
        polled.push(text(&query(&mut session, &id)?, "status")?);
    }
    assert_eq!(polled, ["IssuedToUser", "Reserved", "Reserved"]);
    Ok(())
}

#[test]
fn a_scripted_payment_readied_at_once_walks_from_initiated() -> TestResult {
    use PaymentStatus::*;
    let mut session = armed_session(vec![Initiated, IssuedToUser, Reserved], false)?;
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_prepared(&mut session, &pos)?;
    assert_eq!(text(&query(&mut session, &id)?, "status")?, "Prepared");
    assert_eq!(ready_with(&mut session, &id, &ready_body()), Ok(None));
    let mut polled = Vec::new();
    for _ in 0..3 {
        polled.push(text(&query(&mut session, &id)?, "status")?);
    }
    assert_eq!(polled, ["Initiated", "IssuedToUser", "Reserved"]);
    Ok(())
}

fn headers(key: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-mobilepay-client-system-version",
        HeaderValue::from_static("1.0.0"),
    );
    headers.insert(
        "x-mobilepay-merchant-vat-number",
        HeaderValue::from_static(VAT),
    );
    if let Some(key) = key.and_then(|k| HeaderValue::from_str(k).ok()) {
        headers.insert("x-mobilepay-idempotency-key", key);
    }
    headers
}

fn grant() -> TokenGrant {
    TokenGrant {
        session_id: "fixture".to_string(),
        expires_virtual_ms: f64::MAX,
        merchant_vat_claim: None,
    }
}

#[test]
fn prepare_takes_an_idempotency_key_and_replays_its_answer() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let call = Call::new(Endpoint::PreparePayment).body(&prepare_body(&pos, "order-1"));
    let missing = process(&mut session, &grant(), &headers(None), &call.request());
    assert_eq!(code(&missing), Some("1164"));
    let first = json_of(process(
        &mut session,
        &grant(),
        &headers(Some("k-1")),
        &call.request(),
    ))?;
    let again = json_of(process(
        &mut session,
        &grant(),
        &headers(Some("k-1")),
        &call.request(),
    ))?;
    assert_eq!(first, again);
    assert_eq!(session.world().payments.len(), 1);
    let other = Call::new(Endpoint::PreparePayment).body(&prepare_body(&pos, "order-2"));
    let reused = process(
        &mut session,
        &grant(),
        &headers(Some("k-1")),
        &other.request(),
    );
    assert_eq!(code(&reused), Some("1306"));
    Ok(())
}

#[test]
fn ready_needs_no_idempotency_key() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let id = new_prepared(&mut session, &pos)?;
    let call = Call::new(Endpoint::PaymentReady)
        .id(&id)
        .body(&ready_body());
    assert_eq!(
        process(&mut session, &grant(), &headers(None), &call.request()),
        Ok(None)
    );
    Ok(())
}
