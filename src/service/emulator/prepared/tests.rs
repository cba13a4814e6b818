//! Unit tests of prepare, through the handler and, for the idempotency key, through the whole
//! pipeline; and the helpers the tests of ready share.

use serde_json::{Value, json};

use super::*;
use crate::pos::constants::TEST_USER_LOYALTY_ID;
use crate::pos::{Endpoint, PaymentStatus};
use crate::service::emulator::fixtures::{
    Call, TestResult, VAT, acting_for, code, initiate, json_of, new_payment, new_pos, payment_body,
    pos_headers, session, set_status, text, through_pipeline,
};
use crate::service::emulator::{ApiAnswer, payments};
use crate::service::session::Session;

pub(super) const UNKNOWN_ID: &str = "6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21";

pub(super) fn prepare_body(pos_id: &str, order_id: &str) -> Value {
    json!({ "posId": pos_id, "orderId": order_id })
}

pub(super) fn prepare_with(session: &mut Session, body: &Value) -> ApiAnswer {
    prepare(
        session,
        &acting_for(VAT),
        &Call::new(Endpoint::PreparePayment).body(body).request(),
    )
}

pub(super) fn new_prepared(session: &mut Session, pos_id: &str) -> Result<String, String> {
    text(
        &json_of(prepare_with(session, &prepare_body(pos_id, "order-p")))?,
        "paymentId",
    )
}

pub(super) fn ready_body() -> Value {
    json!({
        "currencyCode": "DKK",
        "amount": 89.5,
        "restrictions": { "debitCardDisallowed": true, "creditCardDisallowed": false },
        "merchantPaymentLabel": "Shift B",
        "plannedCaptureDelay": "LessThan24Hours",
    })
}

pub(super) fn ready_with(session: &mut Session, payment_id: &str, body: &Value) -> ApiAnswer {
    ready(
        session,
        &acting_for(VAT),
        &Call::new(Endpoint::PaymentReady)
            .id(payment_id)
            .body(body)
            .request(),
    )
}

pub(super) fn query(session: &mut Session, payment_id: &str) -> Result<Value, String> {
    let call = Call::new(Endpoint::QueryPayment).id(payment_id);
    json_of(payments::query(session, &acting_for(VAT), &call.request()))
}

/// Checks in test user 04 at the PoS, waiting for a payment.
pub(super) fn customer_waits_at(session: &mut Session, pos_id: &str) -> TestResult {
    crate::service::emulator::fixtures::customer_waits_at(session, pos_id, "+4520031804")
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

/// Runs `call` through the pipeline with idempotency key `key`, if any.
fn run(session: &mut Session, key: Option<&str>, call: &Call) -> ApiAnswer {
    let keys: Vec<&str> = key.into_iter().collect();
    through_pipeline(session, &pos_headers(&keys), call)
}

#[test]
fn prepare_takes_an_idempotency_key_and_replays_its_answer() -> TestResult {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let call = Call::new(Endpoint::PreparePayment).body(&prepare_body(&pos, "order-1"));
    let missing = run(&mut session, None, &call);
    assert_eq!(code(&missing), Some("1164"));
    let first = json_of(run(&mut session, Some("k-1"), &call))?;
    let again = json_of(run(&mut session, Some("k-1"), &call))?;
    assert_eq!(first, again);
    assert_eq!(session.world().payments.len(), 1);
    let other = Call::new(Endpoint::PreparePayment).body(&prepare_body(&pos, "order-2"));
    let reused = run(&mut session, Some("k-1"), &other);
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
    assert_eq!(run(&mut session, None, &call), Ok(None));
    Ok(())
}
