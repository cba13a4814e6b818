//! Unit tests of ready: the transitions it takes (`Paired` → `IssuedToUser`, `Prepared` →
//! `Initiated`), 1303 everywhere else, the identical repeat, the body's rules and restrictions'
//! shape and echo, and the scripted customer around it.

use serde_json::{Value, json};

use super::tests::{UNKNOWN_ID, customer_waits_at, new_prepared, query, ready_body, ready_with};
use super::*;
use crate::pos::PaymentStatus;
use crate::pos::constants::TEST_USER_LOYALTY_ID;
use crate::service::emulator::fixtures::{
    TestResult, armed_session, code, initiate, json_of, new_payment, new_pos, payment_body,
    session, set_status, status_of, text,
};

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
