//! Payments (domain reference §3.3, §6.1): initiate on a free PoS, query (which lets the
//! simulated customer move the payment along its script), list by PoS, order id and state,
//! capture with the amount rules, and cancel.

use serde_json::json;

use crate::pos::dto::{InitiatePaymentRequest, PaymentCaptureRequest, QueryPaymentResponse};
use crate::pos::validate;
use crate::pos::{ApiError, ErrorCode, PaymentStatus};
use crate::service::script;
use crate::service::session::{Payment, Session};

use super::{ApiAnswer, ApiRequest, parse_body, query};

/// Reservations expire after seven days (documented).
const RESERVATION_LIFETIME_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;

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
pub fn initiate(session: &mut Session, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: InitiatePaymentRequest = parse_body(request.body)?;
    check(&body)?;
    let pos_id = body.pos_id.to_ascii_lowercase();
    match session.points_of_sale.get(&pos_id) {
        Some(pos) if !pos.deleted => {}
        _ => return Err(ErrorCode::PosNotFound.into()),
    }
    if session
        .payments
        .values()
        .any(|p| p.pos_id == pos_id && p.status.is_active())
    {
        return Err(ErrorCode::PaymentActive.into());
    }
    let (customer, partial_capture_possible, case) = match &session.current {
        Some(current) => (
            current.customer.as_ref().map(|c| c.payment.clone()),
            current
                .customer
                .as_ref()
                .is_some_and(|c| c.partial_capture_possible),
            Some(current.id.clone()),
        ),
        None => (None, false, None),
    };
    let id = uuid::Uuid::new_v4().to_string();
    let created_seq = session.next_created_seq();
    let payment = Payment {
        id: id.clone(),
        pos_id,
        order_id: body.order_id,
        amount: Some(body.amount),
        currency_code: Some(body.currency_code),
        restrictions: body.restrictions,
        merchant_payment_label: body.merchant_payment_label,
        planned_capture_delay: Some(body.planned_capture_delay),
        status: PaymentStatus::Initiated,
        captured_amount: None,
        partial_capture_possible,
        customer,
        polls: 0,
        created_in_case: case,
        created_virtual_ms: session.clock.virtual_ms(),
        created_seq,
    };
    session.payments.insert(id.clone(), payment);
    Ok(Some(json!({ "paymentId": id })))
}

fn find_mut<'a>(
    session: &'a mut Session,
    request: &ApiRequest<'_>,
) -> Result<&'a mut Payment, ApiError> {
    request
        .resource_id
        .and_then(|id| session.payments.get_mut(&id.to_ascii_lowercase()))
        .ok_or(ApiError::NotFound)
}

/// `GET /payments/{paymentid}`.
pub fn query(session: &mut Session, request: &ApiRequest<'_>) -> ApiAnswer {
    let poll_delay = session.clock.poll_delay_ms();
    let payment = find_mut(session, request)?;
    script::advance_on_poll(payment);
    let customer_seen = !matches!(
        payment.status,
        PaymentStatus::Initiated | PaymentStatus::Prepared
    );
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
        customer_token: customer_seen.then(|| format!("ct-{}", &payment.id[..8])),
        customer_receipt_token: customer_seen.then(String::new),
        loyalty_ids: customer_seen.then(Vec::new),
        payment_expires_at: reserved
            .then(|| expires_at(payment.created_virtual_ms + RESERVATION_LIFETIME_MS)),
        partial_capture_possible: reserved.then_some(payment.partial_capture_possible),
        poll_delay_in_ms: poll_delay,
    };
    serde_json::to_value(response)
        .map(Some)
        .map_err(|_| ErrorCode::Internal.into())
}

/// A virtual-clock instant as an RFC 3339 timestamp, counted from the Unix epoch so it is
/// deterministic for a given virtual time.
fn expires_at(virtual_ms: f64) -> String {
    let seconds = (virtual_ms / 1000.0) as i64;
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// `GET /payments?posId=&orderId=&state=`.
pub fn list(session: &Session, request: &ApiRequest<'_>) -> ApiAnswer {
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
    let mut hits: Vec<&Payment> = session
        .payments
        .values()
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
        // An order id resolves to the latest payment with that order id only.
        let latest = session
            .payments
            .values()
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
pub fn capture(session: &mut Session, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: PaymentCaptureRequest = parse_body(request.body)?;
    if !validate::is_valid_amount(body.amount) {
        return Err(ErrorCode::InvalidAmount.into());
    }
    let payment = find_mut(session, request)?;
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
            payment.status = PaymentStatus::Captured;
            payment.captured_amount = Some(body.amount);
            Ok(None)
        }
        _ => Err(ErrorCode::PaymentNotReserved.into()),
    }
}

/// `POST /payments/{paymentid}/cancel`.
pub fn cancel(session: &mut Session, request: &ApiRequest<'_>) -> ApiAnswer {
    let payment = find_mut(session, request)?;
    match payment.status {
        // A repeated cancel of a payment the client already cancelled succeeds [I].
        PaymentStatus::CancelledByClient => Ok(None),
        status if status.is_active() || status == PaymentStatus::Reserved => {
            payment.status = PaymentStatus::CancelledByClient;
            Ok(None)
        }
        _ => Err(ErrorCode::PaymentNotCancellable.into()),
    }
}
