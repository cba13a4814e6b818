//! Test fixtures for the refund handlers: captured payments (captured through the payment
//! handler, so their capture time is noted), refunds in a chosen state, calls of the refund
//! endpoints on behalf of a merchant, and the error answer as the pipeline would render it for a
//! refund endpoint.

use serde_json::{Value, json};

use crate::pos::constants::{CERT_MERCHANT_VAT_FI, CERT_STORE_ID_FI};
use crate::pos::{ApiError, Endpoint, PaymentStatus, RefundStatus};
use crate::service::beacons::Beacons;
use crate::service::emulator::fixtures::{
    Call, VAT, acting_for, caller, json_of, new_pos, payment_body, pos_body, session, set_status,
    text,
};
use crate::service::emulator::{ApiAnswer, payments, pointofsales};
use crate::service::session::Session;

/// A payment of `amount` in `currency` on `pos`, made by the PoS's merchant, reserved and
/// captured in full.
pub(crate) fn captured_on(
    session: &mut Session,
    pos: &str,
    amount: f64,
    currency: &str,
) -> Result<String, String> {
    let vat = session
        .world()
        .points_of_sale
        .get(pos)
        .map(|p| p.merchant_vat.clone())
        .ok_or_else(|| format!("no PoS {pos}"))?;
    let merchant = acting_for(&vat);
    let mut body = payment_body(
        pos,
        &format!("order-{}", session.world().payments.len()),
        json!(amount),
    );
    body["currencyCode"] = json!(currency);
    let call = Call::new(Endpoint::InitiatePayment).body(&body);
    let id = text(
        &json_of(payments::initiate(session, &merchant, &call.request()))?,
        "paymentId",
    )?;
    set_status(session, &id, PaymentStatus::Reserved)?;
    let call = Call::new(Endpoint::CapturePayment)
        .id(&id)
        .body(&json!({ "amount": amount }));
    payments::capture(session, &merchant, &call.request())
        .map_err(|e| format!("capture: {e:?}"))?;
    Ok(id)
}

/// A PoS of the Finnish certification merchant, in its store; returns its id.
pub(crate) fn new_finnish_pos(session: &mut Session) -> Result<String, String> {
    let mut body = pos_body("kassa-1");
    body["storeId"] = json!(CERT_STORE_ID_FI);
    let beacons = Beacons::default();
    let call = Call::new(Endpoint::CreatePos).body(&body);
    let finnish = caller(CERT_MERCHANT_VAT_FI, &beacons);
    let answer = pointofsales::create(session, &finnish, &call.request());
    text(&json_of(answer)?, "posId")
}

/// A fresh session with one PoS and a captured 100 DKK payment on it: (session, PoS, payment).
pub(crate) fn with_captured() -> Result<(Session, String, String), String> {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let payment = captured_on(&mut session, &pos, 100.0, "DKK")?;
    Ok((session, pos, payment))
}

/// A valid `CreateRefundRequest`.
pub(crate) fn refund_body(payment_id: &str, amount: Value, currency: &str) -> Value {
    json!({
        "paymentId": payment_id,
        "refundOrderId": "refund-1",
        "amount": amount,
        "currencyCode": currency,
    })
}

/// `POST /refunds` with `body` on behalf of the Danish certification merchant.
pub(crate) fn create_with(session: &mut Session, body: &Value) -> ApiAnswer {
    create_as(session, VAT, body)
}

/// `POST /refunds` with `body` on behalf of merchant `vat`.
pub(crate) fn create_as(session: &mut Session, vat: &str, body: &Value) -> ApiAnswer {
    let call = Call::new(Endpoint::CreateRefund).body(body);
    super::create(session, &acting_for(vat), &call.request())
}

/// `endpoint` — a read, capture or cancel — of refund `refund_id`, on behalf of merchant `vat`.
pub(crate) fn on_refund(
    session: &mut Session,
    vat: &str,
    endpoint: Endpoint,
    refund_id: &str,
) -> ApiAnswer {
    let call = Call::new(endpoint).id(refund_id);
    let merchant = acting_for(vat);
    match endpoint {
        Endpoint::GetRefund => super::get(session, &merchant, &call.request()),
        Endpoint::CaptureRefund => super::capture(session, &merchant, &call.request()),
        _ => super::cancel(session, &merchant, &call.request()),
    }
}

/// `GET /refunds?{query}` on behalf of merchant `vat`.
pub(crate) fn list_as(session: &Session, vat: &str, query: &str) -> ApiAnswer {
    let call = Call::new(Endpoint::QueryRefundIds).query(query);
    super::list(session, &acting_for(vat), &call.request())
}

/// The refund ids `GET /refunds?{query}` lists on behalf of merchant `vat`.
pub(crate) fn listed_as(session: &Session, vat: &str, query: &str) -> Result<Vec<String>, String> {
    let body = json_of(list_as(session, vat, query))?;
    let ids = body["refundIds"]
        .as_array()
        .ok_or_else(|| format!("no refundIds in {body}"))?;
    Ok(ids
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect())
}

/// Refunds `amount` DKK of `payment_id` and returns the refund id.
pub(crate) fn new_refund(
    session: &mut Session,
    payment_id: &str,
    amount: f64,
) -> Result<String, String> {
    let answer = create_with(session, &refund_body(payment_id, json!(amount), "DKK"));
    text(&json_of(answer)?, "refundId")
}

/// A session with a captured 100 DKK payment and a 100 DKK refund of it in `status`:
/// (session, payment, refund).
pub(crate) fn with_refund(status: RefundStatus) -> Result<(Session, String, String), String> {
    let (mut session, _, payment) = with_captured()?;
    let refund = new_refund(&mut session, &payment, 100.0)?;
    let reserved_at = (status != RefundStatus::Initiated).then(|| session.clock().virtual_ms());
    set_refund(&mut session, &refund, status, reserved_at)?;
    Ok((session, payment, refund))
}

/// Puts a refund in `status`, reserved at virtual time `reserved_at` if given.
pub(crate) fn set_refund(
    session: &mut Session,
    refund_id: &str,
    status: RefundStatus,
    reserved_at: Option<f64>,
) -> Result<(), String> {
    let refund = session
        .world_mut()
        .refunds
        .get_mut(refund_id)
        .ok_or_else(|| format!("no refund {refund_id}"))?;
    refund.status = status;
    refund.reserved_virtual_ms = reserved_at;
    Ok(())
}

/// The state a refund is in.
pub(crate) fn refund_status(session: &Session, refund_id: &str) -> Result<RefundStatus, String> {
    session
        .world()
        .refunds
        .get(refund_id)
        .map(|r| r.status)
        .ok_or_else(|| format!("no refund {refund_id}"))
}

/// The status and body the pipeline answers a refusal of `endpoint` with.
pub(crate) fn rendered(answer: &ApiAnswer, endpoint: Endpoint) -> Result<(u16, Value), String> {
    let error = match answer {
        Err(error) => error,
        Ok(body) => return Err(format!("not refused: {body:?}")),
    };
    let body = error
        .body("c0ffee", endpoint.uses_error_v2())
        .map(|b| serde_json::to_value(b).map_err(|e| e.to_string()))
        .transpose()?
        .unwrap_or(Value::Null);
    Ok((error.status(), body))
}

/// Checks that `answer` refuses `endpoint` with `status` and an `ErrorResponseV2` carrying `code`:
/// exactly `code`, `message`, `correlationId` and `origin: "PoS"`.
pub(crate) fn assert_refused(
    answer: &ApiAnswer,
    endpoint: Endpoint,
    status: u16,
    code: &str,
) -> Result<(), String> {
    let (got_status, body) = rendered(answer, endpoint)?;
    let mut fields: Vec<&str> = body
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    fields.sort_unstable();
    let shape_ok = fields == ["code", "correlationId", "message", "origin"]
        && body["origin"] == "PoS"
        && body["message"].as_str().is_some_and(|m| !m.is_empty());
    if got_status != status || body["code"] != code || !shape_ok {
        return Err(format!(
            "{endpoint}: expected {status} {code} as ErrorResponseV2, got {got_status} {body}"
        ));
    }
    Ok(())
}

/// Checks that `answer` is the bodiless 404 of a missing path resource.
pub(crate) fn assert_bare_404(answer: &ApiAnswer) -> Result<(), String> {
    match answer {
        Err(ApiError::NotFound) => Ok(()),
        other => Err(format!("expected a 404 without body, got {other:?}")),
    }
}
