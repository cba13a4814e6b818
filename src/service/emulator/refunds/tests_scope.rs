//! Tests of refunds scoped to the caller's merchant: another merchant's payment is not refunded
//! (403 `1401`) and another merchant's refund is neither read, captured nor cancelled (403
//! `1402`), each refusal an `ErrorResponseV2` that leaves the refund as it was; a body outside
//! the document and an unknown payment are answered as for anyone, before the 403 (an unknown
//! refund too: `tests_settle`); and a listing shows only the merchant's own refunds.

use serde_json::json;

use super::fixtures::{
    assert_refused, captured_on, create_as, create_with, listed_as, new_finnish_pos, new_refund,
    on_refund, refund_body, refund_status, set_refund, with_captured, with_refund,
};
use super::lifecycle::RESERVATION_LIFETIME_MS;
use crate::pos::constants::CERT_MERCHANT_VAT_FI;
use crate::pos::{Endpoint, PaymentStatus, RefundStatus};
use crate::service::emulator::fixtures::{
    OTHER_VAT, TestResult, VAT, json_of, new_payment, set_status, text,
};

/// Merchants other than the Danish one the fixtures' payments belong to: the other
/// certification merchant, and a merchant that owns nothing in the session.
const OTHER_MERCHANTS: [&str; 2] = [CERT_MERCHANT_VAT_FI, OTHER_VAT];
const UNKNOWN_PAYMENT: &str = "2c7d4f1e-8a9b-4c3d-9e0f-1a2b3c4d5e6f";
const ON_A_REFUND: [Endpoint; 3] = [
    Endpoint::GetRefund,
    Endpoint::CaptureRefund,
    Endpoint::CancelRefund,
];

#[test]
fn another_merchants_payment_is_not_refunded_1401() -> TestResult {
    let (mut session, pos, payment) = with_captured()?;
    let reserved = new_payment(&mut session, &pos, "order-reserved")?;
    set_status(&mut session, &reserved, PaymentStatus::Reserved)?;
    let create = Endpoint::CreateRefund;
    for vat in OTHER_MERCHANTS {
        // Captured or not: whose payment it is is judged before its state.
        for of in [&payment, &reserved] {
            let body = refund_body(of, json!(10), "DKK");
            assert_refused(&create_as(&mut session, vat, &body), create, 403, "1401")
                .map_err(|e| format!("as {vat}: {e}"))?;
        }
        // The body is judged first, then whether the payment exists at all.
        let negative = refund_body(&payment, json!(-1), "DKK");
        assert_refused(
            &create_as(&mut session, vat, &negative),
            create,
            400,
            "1102",
        )?;
        let unknown = refund_body(UNKNOWN_PAYMENT, json!(10), "DKK");
        assert_refused(&create_as(&mut session, vat, &unknown), create, 409, "1001")?;
    }
    assert!(session.world().refunds.is_empty());
    json_of(create_with(
        &mut session,
        &refund_body(&payment, json!(10), "DKK"),
    ))?;
    Ok(())
}

#[test]
fn another_merchants_refund_is_neither_read_captured_nor_cancelled_1402() -> TestResult {
    let (mut session, _, refund) = with_refund(RefundStatus::Reserved)?;
    // Reserved for longer than MobilePay holds a refund: whoever may see it finds it captured.
    let expired = session.clock().virtual_ms() - RESERVATION_LIFETIME_MS - 1.0;
    set_refund(&mut session, &refund, RefundStatus::Reserved, Some(expired))?;
    for vat in OTHER_MERCHANTS {
        for endpoint in ON_A_REFUND {
            let answer = on_refund(&mut session, vat, endpoint, &refund);
            assert_refused(&answer, endpoint, 403, "1402").map_err(|e| format!("as {vat}: {e}"))?;
        }
    }
    let untouched = session.world().refunds.get(&refund).ok_or("refund gone")?;
    assert_eq!(
        (untouched.status, untouched.polls),
        (RefundStatus::Reserved, 0)
    );
    let answer = json_of(on_refund(&mut session, VAT, Endpoint::GetRefund, &refund))?;
    assert_eq!(text(&answer, "status")?, "ExpiredAndCaptured");
    Ok(())
}

#[test]
fn the_owner_captures_and_cancels_after_another_merchant_was_refused() -> TestResult {
    for (endpoint, settled) in [
        (Endpoint::CaptureRefund, RefundStatus::Captured),
        (Endpoint::CancelRefund, RefundStatus::CancelledByClient),
    ] {
        let (mut session, _, refund) = with_refund(RefundStatus::Reserved)?;
        let refused = on_refund(&mut session, CERT_MERCHANT_VAT_FI, endpoint, &refund);
        assert_refused(&refused, endpoint, 403, "1402")?;
        assert_eq!(refund_status(&session, &refund)?, RefundStatus::Reserved);
        let upper = refund.to_ascii_uppercase();
        assert_eq!(on_refund(&mut session, VAT, endpoint, &upper), Ok(None));
        assert_eq!(refund_status(&session, &refund)?, settled);
    }
    Ok(())
}

#[test]
fn a_listing_shows_only_the_merchants_own_refunds() -> TestResult {
    let (mut session, _, danish_payment) = with_captured()?;
    let danish = new_refund(&mut session, &danish_payment, 10.0)?;
    let pos = new_finnish_pos(&mut session)?;
    let finnish_payment = captured_on(&mut session, &pos, 50.0, "EUR")?;
    let body = refund_body(&finnish_payment, json!(20), "EUR");
    let finnish = text(
        &json_of(create_as(&mut session, CERT_MERCHANT_VAT_FI, &body))?,
        "refundId",
    )?;
    for (vat, payment, expected) in [
        (VAT, &danish_payment, vec![danish.clone()]),
        (VAT, &finnish_payment, vec![]),
        (
            CERT_MERCHANT_VAT_FI,
            &finnish_payment,
            vec![finnish.clone()],
        ),
        (CERT_MERCHANT_VAT_FI, &danish_payment, vec![]),
        (OTHER_VAT, &danish_payment, vec![]),
    ] {
        let query = format!("paymentId={payment}");
        assert_eq!(
            listed_as(&session, vat, &query)?,
            expected,
            "{query} as {vat}"
        );
    }
    // Each merchant reads its own refund and is refused the other's.
    let read = |session: &mut _, vat, refund| on_refund(session, vat, Endpoint::GetRefund, refund);
    json_of(read(&mut session, CERT_MERCHANT_VAT_FI, &finnish))?;
    assert_refused(
        &read(&mut session, VAT, &finnish),
        Endpoint::GetRefund,
        403,
        "1402",
    )?;
    json_of(read(&mut session, VAT, &danish))?;
    Ok(())
}
