//! Payments (domain reference §3.3, §6.1): initiate on a free PoS in its store's currency, query
//! (which lets the simulated customer move the payment along its script, and shows when a
//! reservation expires), list by PoS, order id and state, capture with the amount rules, and
//! cancel — each only for the merchant the payment's PoS belongs to.

use serde_json::json;

use crate::pos::constants::{CURRENCY_MISMATCH, PAYMENT_ON_OTHER_MERCHANTS_POS};
use crate::pos::dto::{InitiatePaymentRequest, PaymentCaptureRequest, QueryPaymentResponse};
use crate::pos::transitions::{PaymentEvent, PaymentStart, next};
use crate::pos::validate;
use crate::pos::{ApiError, ErrorCode, PaymentStatus};
use crate::service::clock::Clock;
use crate::service::merchants;
use crate::service::session::Session;
use crate::service::world::Payment;

use super::scope::{self, Caller};
use super::{ApiAnswer, ApiRequest, checkin, parse_body, query};

fn check(body: &InitiatePaymentRequest) -> Result<(), ErrorCode> {
    if !validate::is_guid(&body.pos_id) {
        return Err(ErrorCode::BadRequest);
    }
    if !validate::is_valid_text(&body.order_id, 1, 36) {
        return Err(ErrorCode::InvalidOrderId);
    }
    if !validate::is_valid_amount(body.amount) {
        return Err(ErrorCode::InvalidAmount);
    }
    if let Some(label) = &body.merchant_payment_label {
        if !validate::is_valid_text(label, 0, 36) {
            return Err(ErrorCode::InvalidPaymentLabel);
        }
    }
    Ok(())
}

/// `POST /payments`.
pub fn initiate(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: InitiatePaymentRequest = parse_body(request.body)?;
    check(&body)?;
    let pos_id = body.pos_id.to_ascii_lowercase();
    let merchant = match session.world().points_of_sale.get(&pos_id) {
        Some(pos) if !pos.deleted => pos.merchant_vat.clone(),
        _ => return Err(ErrorCode::PosNotFound.into()),
    };
    if merchant != caller.vat {
        return Err(PAYMENT_ON_OTHER_MERCHANTS_POS.into());
    }
    if !merchants::accepts(&merchant, body.currency_code) {
        return Err(CURRENCY_MISMATCH.into());
    }
    if session.world().active_payment_on(&pos_id).is_some() {
        return Err(ErrorCode::PaymentActive.into());
    }
    let (customer, partial_capture_possible, case) = session.armed_customer();
    let id = uuid::Uuid::new_v4().to_string();
    let created_seq = session.world_mut().next_created_seq();
    let payment = Payment {
        id: id.clone(),
        pos_id,
        order_id: body.order_id,
        amount: Some(body.amount),
        currency_code: Some(body.currency_code),
        restrictions: body.restrictions,
        merchant_payment_label: body.merchant_payment_label,
        planned_capture_delay: Some(body.planned_capture_delay),
        status: PaymentStart::Initiate.status(),
        captured_amount: None,
        partial_capture_possible,
        customer,
        polls: 0,
        created_in_case: case,
        created_virtual_ms: session.clock().virtual_ms(),
        created_seq,
    };
    let now = session.clock().virtual_ms();
    session.world_mut().payments.insert(id.clone(), payment);
    checkin::pair_waiting_customer(session.world_mut(), &id, now);
    Ok(Some(json!({ "paymentId": id })))
}

/// `GET /payments/{paymentid}`.
pub fn query(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let clock = session.clock();
    let poll_delay = session.next_poll_delay_ms();
    let id = scope::payment_mut(
        session.world_mut(),
        caller,
        request.resource_id,
        ErrorCode::GetPaymentOfOtherMerchant,
    )?
    .id
    .clone();
    let now = clock.virtual_ms();
    checkin::let_scripted_customer_act(session.world_mut(), &id, now);
    let payment = session
        .world_mut()
        .payments
        .get_mut(&id)
        .ok_or(ApiError::NotFound)?;
    // The customer may just have reserved a payment whose lifetime is already over.
    payment.expire_if_due(now);
    let payment = payment.clone();
    let customer = checkin::customer_of(session.world(), &payment);
    let reserved = payment.status == PaymentStatus::Reserved;
    let response = QueryPaymentResponse {
        payment_id: payment.id.clone(),
        pos_id: payment.pos_id.clone(),
        order_id: payment.order_id.clone(),
        amount: payment.amount,
        currency_code: payment.currency_code,
        restrictions: payment.restrictions,
        merchant_payment_label: payment.merchant_payment_label.clone(),
        planned_capture_delay: payment.planned_capture_delay,
        status: payment.status,
        customer_token: customer.as_ref().map(|c| c.customer_token.clone()),
        customer_receipt_token: customer.as_ref().map(|c| c.customer_receipt_token.clone()),
        loyalty_ids: customer.map(|c| c.loyalty_ids),
        payment_expires_at: reserved.then(|| expires_at(&clock, &payment)).flatten(),
        partial_capture_possible: reserved.then_some(payment.partial_capture_possible),
        poll_delay_in_ms: poll_delay,
    };
    serde_json::to_value(response)
        .map(Some)
        .map_err(|_| ErrorCode::Internal.into())
}

/// When a reservation expires, as the service states instants: the wall-clock moment the
/// client will really see it expire at the current time scale.
fn expires_at(clock: &Clock, payment: &Payment) -> Option<String> {
    clock
        .stated_instant(payment.reservation_expires_virtual_ms())?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// `GET /payments?posId=&orderId=&state=`: the merchant's payments only.
pub fn list(session: &Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let pos_id = query::get(&request.query, "posId").map(str::to_ascii_lowercase);
    let order_id = query::get(&request.query, "orderId");
    let captured_only = match query::get(&request.query, "state") {
        None => false,
        Some("Captured") => true,
        Some(_) => return Err(ErrorCode::BadRequest.into()),
    };
    if pos_id.is_none() && order_id.is_none() {
        return Err(ErrorCode::PaymentFilterTooWide.into());
    }
    let world = session.world();
    let merchants_own = || {
        world
            .payments
            .values()
            .filter(|p| scope::owns_payment(world, caller, p))
    };
    let mut hits: Vec<&Payment> = merchants_own()
        .filter(|p| pos_id.as_deref().is_none_or(|id| p.pos_id == id))
        .filter(|p| {
            if captured_only {
                p.status == PaymentStatus::Captured
            } else {
                p.status.is_active() || p.status == PaymentStatus::Reserved
            }
        })
        .collect();
    if let Some(order_id) = order_id {
        // An order id resolves to the merchant's latest payment with that order id only.
        let latest = merchants_own()
            .filter(|p| p.order_id == order_id)
            .max_by_key(|p| p.created_seq)
            .map(|p| p.id.clone());
        hits.retain(|p| Some(&p.id) == latest.as_ref());
    }
    hits.sort_by_key(|p| p.created_seq);
    let ids: Vec<&str> = hits.iter().map(|p| p.id.as_str()).collect();
    Ok(Some(json!({ "paymentIds": ids })))
}

/// `POST /payments/{paymentid}/capture`.
pub fn capture(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: PaymentCaptureRequest = parse_body(request.body)?;
    if !validate::is_valid_amount(body.amount) {
        return Err(ErrorCode::InvalidAmount.into());
    }
    let now = session.clock().virtual_ms();
    let payment = scope::payment_mut(
        session.world_mut(),
        caller,
        request.resource_id,
        ErrorCode::CaptureOfOtherMerchant,
    )?;
    let reserved = payment.amount.unwrap_or_default();
    let same = |a: f64, b: f64| (a - b).abs() < 0.005;
    match payment.status {
        PaymentStatus::Captured
            if payment
                .captured_amount
                .is_some_and(|c| same(c, body.amount)) =>
        {
            Ok(None)
        }
        PaymentStatus::Captured => Err(ErrorCode::CapturedWithOtherAmount.into()),
        PaymentStatus::Reserved if body.amount > reserved + 0.005 => {
            Err(ErrorCode::CaptureAboveReserved.into())
        }
        PaymentStatus::Reserved
            if !same(body.amount, reserved) && !payment.partial_capture_possible =>
        {
            Err(ErrorCode::PartialCaptureImpossible.into())
        }
        PaymentStatus::Reserved => {
            payment.status =
                next(payment.status, PaymentEvent::Capture).ok_or(ErrorCode::PaymentNotReserved)?;
            payment.captured_amount = Some(body.amount);
            let id = payment.id.clone();
            session.world_mut().captured_virtual_ms.insert(id, now);
            Ok(None)
        }
        _ => Err(ErrorCode::PaymentNotReserved.into()),
    }
}

/// `POST /payments/{paymentid}/cancel`.
pub fn cancel(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let payment = scope::payment_mut(
        session.world_mut(),
        caller,
        request.resource_id,
        ErrorCode::CancelOfOtherMerchant,
    )?;
    match payment.status {
        // A repeated cancel of a payment the client already cancelled succeeds (inferred).
        PaymentStatus::CancelledByClient => Ok(None),
        status => {
            payment.status =
                next(status, PaymentEvent::ClientCancel).ok_or(ErrorCode::PaymentNotCancellable)?;
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
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
}
