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
    check_amount_and_label(body.amount, body.merchant_payment_label.as_deref())
}

/// The amount and the optional portal label of an initiate or a ready.
pub(super) fn check_amount_and_label(amount: f64, label: Option<&str>) -> Result<(), ErrorCode> {
    if !validate::is_valid_amount(amount) {
        return Err(ErrorCode::InvalidAmount);
    }
    if label.is_some_and(|label| !validate::is_valid_text(label, 0, 36)) {
        return Err(ErrorCode::InvalidPaymentLabel);
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
    let shown = checkin::let_scripted_customer_act(session.world_mut(), &id, now);
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
        status: shown.unwrap_or(payment.status),
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
mod tests;
