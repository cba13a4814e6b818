//! Test fixtures for the refund handlers: captured payments (captured through the payment
//! handler, so their capture time is noted), refunds in a chosen state, and the error answer as
//! the pipeline would render it for a refund endpoint.

use serde_json::{Value, json};

use crate::pos::{ApiError, Endpoint, PaymentStatus, RefundStatus};
use crate::service::emulator::fixtures::{
    Call, VAT, acting_for, initiate, json_of, new_pos, payment_body, session, set_status, text,
};
use crate::service::emulator::{ApiAnswer, payments};
use crate::service::session::Session;

/// A payment of `amount` in `currency` on `pos`, reserved and captured in full.
pub(crate) fn captured_on(
    session: &mut Session,
    pos: &str,
    amount: f64,
    currency: &str,
) -> Result<String, String> {
    let mut body = payment_body(
        pos,
        &format!("order-{}", session.world().payments.len()),
        json!(amount),
    );
    body["currencyCode"] = json!(currency);
    let id = text(&json_of(initiate(session, &body))?, "paymentId")?;
    set_status(session, &id, PaymentStatus::Reserved)?;
    let call = Call::new(Endpoint::CapturePayment)
        .id(&id)
        .body(&json!({ "amount": amount }));
    payments::capture(session, &acting_for(VAT), &call.request())
        .map_err(|e| format!("capture: {e:?}"))?;
    Ok(id)
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

/// `POST /refunds` with `body`.
pub(crate) fn create_with(session: &mut Session, body: &Value) -> ApiAnswer {
    super::create(
        session,
        &Call::new(Endpoint::CreateRefund).body(body).request(),
    )
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
