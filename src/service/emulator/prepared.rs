//! Prepared payments (domain reference §3.3, §6.2): `POST /payments/prepare` opens a payment on a
//! free PoS before the amount is known — `Prepared`, or `Paired` at once when a customer is
//! already checked in there (inferred) — and `POST /payments/{paymentid}/ready` gives it its
//! amount, currency, restrictions, label and planned capture delay, which moves it on through
//! the transition table (`Prepared` → `Initiated`, `Paired` → `IssuedToUser`). Ready anywhere else
//! is 409 `1303`, except an identical repeat of the ready that succeeded, which is answered 200
//! again (inferred): a client retrying a ready whose answer it lost must not be told it failed.

use serde_json::json;

use crate::pos::constants::{CURRENCY_MISMATCH, PAYMENT_ON_OTHER_MERCHANTS_POS};
use crate::pos::dto::{PaymentReadyRequest, PreparePaymentRequest};
use crate::pos::transitions::{PaymentEvent, PaymentStart, next};
use crate::pos::validate;
use crate::pos::{ApiError, ErrorCode};
use crate::service::merchants;
use crate::service::session::Session;
use crate::service::world::Payment;

use super::scope::{self, Caller};
use super::{ApiAnswer, ApiRequest, checkin, parse_body, payments};

fn check_prepare(body: &PreparePaymentRequest) -> Result<(), ErrorCode> {
    if !validate::is_guid(&body.pos_id) {
        return Err(ErrorCode::BadRequest);
    }
    if !validate::is_valid_text(&body.order_id, 1, 36) {
        return Err(ErrorCode::InvalidOrderId);
    }
    Ok(())
}

/// `POST /payments/prepare`.
pub fn prepare(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: PreparePaymentRequest = parse_body(request.body)?;
    check_prepare(&body)?;
    let pos_id = body.pos_id.to_ascii_lowercase();
    match session.world().points_of_sale.get(&pos_id) {
        Some(pos) if !pos.deleted && pos.merchant_vat != caller.vat => {
            return Err(PAYMENT_ON_OTHER_MERCHANTS_POS.into());
        }
        Some(pos) if !pos.deleted => {}
        _ => return Err(ErrorCode::PosNotFound.into()),
    }
    if session.world().active_payment_on(&pos_id).is_some() {
        return Err(ErrorCode::PaymentActive.into());
    }
    let (customer, partial_capture_possible, case) = session.armed_customer();
    let id = uuid::Uuid::new_v4().to_string();
    let now = session.clock().virtual_ms();
    let world = session.world_mut();
    let created_seq = world.next_created_seq();
    let payment = Payment {
        id: id.clone(),
        pos_id,
        order_id: body.order_id,
        amount: None,
        currency_code: None,
        restrictions: None,
        merchant_payment_label: None,
        planned_capture_delay: None,
        status: PaymentStart::Prepare.status(),
        captured_amount: None,
        partial_capture_possible,
        customer,
        polls: 0,
        created_in_case: case,
        created_virtual_ms: now,
        created_seq,
    };
    world.payments.insert(id.clone(), payment);
    world.readied.insert(id.clone(), None);
    checkin::pair_waiting_customer(world, &id, now);
    Ok(Some(json!({ "paymentId": id })))
}

/// `POST /payments/{paymentid}/ready`.
pub fn ready(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: PaymentReadyRequest = parse_body(request.body)?;
    payments::check_amount_and_label(body.amount, body.merchant_payment_label.as_deref())?;
    let id = scope::payment_mut(
        session.world_mut(),
        caller,
        request.resource_id,
        ErrorCode::ReadyOfOtherMerchant,
    )?
    .id
    .clone();
    if !merchants::accepts(caller.vat, body.currency_code) {
        return Err(CURRENCY_MISMATCH.into());
    }
    let world = session.world_mut();
    let payment = world.payments.get_mut(&id).ok_or(ApiError::NotFound)?;
    if world.readied.get(&id) == Some(&Some(body.clone())) {
        return Ok(None);
    }
    let readied = next(payment.status, PaymentEvent::Ready).ok_or(ErrorCode::PaymentNotPrepared)?;
    payment.status = readied;
    payment.amount = Some(body.amount);
    payment.currency_code = Some(body.currency_code);
    payment.restrictions = body.restrictions;
    payment.merchant_payment_label = body.merchant_payment_label.clone();
    payment.planned_capture_delay = Some(body.planned_capture_delay);
    world.readied.insert(id, Some(body));
    Ok(None)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ready;
