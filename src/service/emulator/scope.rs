//! Who may see and act on a resource. A call acts for one merchant — its effective VAT number,
//! the token's `merchant_vat` claim, else the header — and a session is one integrator, so every
//! resource in the session's world is the caller's integrator's own. A resource of another
//! merchant is refused with the endpoint's documented 403 code (`1400`–`1403`, `1406`–`1411`);
//! listings show only the caller's merchant's resources. A payment is the merchant's whose PoS
//! it was made on, a refund the merchant's whose payment it refunds. Another session's resources are not in the world at
//! all, so they are simply not found (404, or 409 `1000` for an id in a body).

use crate::pos::{ApiError, ErrorCode};
use crate::service::beacons::Beacons;
use crate::service::world::{Payment, PointOfSale, Refund, World};

/// Who a call acts for, and the service-wide state it may touch.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The merchant the call acts for (the token's claim, else the VAT header).
    pub vat: &'a str,
    /// The session (integrator) the call belongs to.
    pub session_id: &'a str,
    /// The service-wide index of active beacon ids.
    pub beacons: &'a Beacons,
}

/// The point of sale in the path (deleted or not), if the caller's merchant owns it: 404 when
/// there is none, `other_merchant` when another merchant's.
pub fn pos<'w>(
    world: &'w World,
    caller: &Caller<'_>,
    id: Option<&str>,
    other_merchant: ErrorCode,
) -> Result<&'w PointOfSale, ApiError> {
    let pos = id
        .and_then(|id| world.points_of_sale.get(&id.to_ascii_lowercase()))
        .ok_or(ApiError::NotFound)?;
    if pos.merchant_vat != caller.vat {
        return Err(other_merchant.into());
    }
    Ok(pos)
}

/// The payment in the path, to change, if the caller's merchant owns it: 404 when there is none,
/// `other_merchant` when another merchant's.
pub fn payment_mut<'w>(
    world: &'w mut World,
    caller: &Caller<'_>,
    id: Option<&str>,
    other_merchant: ErrorCode,
) -> Result<&'w mut Payment, ApiError> {
    let id = id.map(str::to_ascii_lowercase).ok_or(ApiError::NotFound)?;
    let payment = world.payments.get(&id).ok_or(ApiError::NotFound)?;
    if !owns_payment(world, caller, payment) {
        return Err(other_merchant.into());
    }
    world.payments.get_mut(&id).ok_or(ApiError::NotFound)
}

/// Whether the caller's merchant owns `payment`.
pub fn owns_payment(world: &World, caller: &Caller<'_>, payment: &Payment) -> bool {
    world.merchant_of(payment) == Some(caller.vat)
}

/// The refund in the path, to change, if the caller's merchant owns it: `missing` when there is
/// none (refund capture codes its 404), 403 `1402` when another merchant's — the one 403 code
/// the refund endpoints document.
pub fn refund_mut<'w>(
    world: &'w mut World,
    caller: &Caller<'_>,
    id: Option<&str>,
    missing: ApiError,
) -> Result<&'w mut Refund, ApiError> {
    let id = id.map(str::to_ascii_lowercase).unwrap_or_default();
    if let Some(refund) = world.refunds.get(&id) {
        if !owns_refund(world, caller, refund) {
            return Err(ErrorCode::RefundOfOtherIntegrator.into());
        }
    }
    world.refunds.get_mut(&id).ok_or(missing)
}

/// Whether the caller's merchant owns `refund`: it owns the refunded payment.
pub fn owns_refund(world: &World, caller: &Caller<'_>, refund: &Refund) -> bool {
    world
        .payments
        .get(&refund.payment_id)
        .is_some_and(|payment| owns_payment(world, caller, payment))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::pos::constants::{CERT_MERCHANT_VAT_FI, CERT_STORE_ID, CERT_STORE_ID_FI};
    use crate::pos::{Endpoint, PaymentStatus};
    use crate::service::emulator::fixtures::{
        Call, OTHER_VAT, TestResult, VAT, acting_for, caller, code, json_of, new_payment, new_pos,
        payment_body, pos_body, session, set_status, text,
    };
    use crate::service::emulator::{ApiAnswer, checkin, payments, pointofsales, prepared};
    use crate::service::session::Session;

    /// A Danish PoS with a reserved 100 DKK payment on it.
    fn danish_reservation() -> Result<(Session, String, String), String> {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        let payment = new_payment(&mut session, &pos, "order-1")?;
        set_status(&mut session, &payment, PaymentStatus::Reserved)?;
        Ok((session, pos, payment))
    }

    fn on_payment(session: &mut Session, vat: &str, endpoint: Endpoint, id: &str) -> ApiAnswer {
        let call = Call::new(endpoint).id(id).body(&json!({ "amount": 100.0 }));
        let caller = acting_for(vat);
        match endpoint {
            Endpoint::QueryPayment => payments::query(session, &caller, &call.request()),
            Endpoint::CapturePayment => payments::capture(session, &caller, &call.request()),
            _ => payments::cancel(session, &caller, &call.request()),
        }
    }

    #[test]
    fn another_merchant_gets_the_documented_403_on_a_payment() -> TestResult {
        for vat in [CERT_MERCHANT_VAT_FI, OTHER_VAT] {
            let (mut session, _, payment) = danish_reservation()?;
            for (endpoint, expected) in [
                (Endpoint::QueryPayment, "1411"),
                (Endpoint::CapturePayment, "1407"),
                (Endpoint::CancelPayment, "1408"),
            ] {
                let answer = on_payment(&mut session, vat, endpoint, &payment);
                assert_eq!(code(&answer), Some(expected), "{endpoint} as {vat}");
            }
            let stored = session.world().payments.get(&payment).map(|p| p.status);
            assert_eq!(stored, Some(PaymentStatus::Reserved), "untouched");
            assert_eq!(
                on_payment(&mut session, VAT, Endpoint::CapturePayment, &payment),
                Ok(None)
            );
        }
        Ok(())
    }

    #[test]
    fn another_merchant_gets_the_documented_403_on_a_pos() -> TestResult {
        let (mut session, pos, _) = danish_reservation()?;
        let fi = acting_for(CERT_MERCHANT_VAT_FI);
        let get = Call::new(Endpoint::GetPos).id(&pos);
        assert_eq!(
            code(&pointofsales::get(&session, &fi, &get.request())),
            Some("1410")
        );
        let delete = Call::new(Endpoint::DeletePos).id(&pos);
        assert_eq!(
            code(&pointofsales::delete(&mut session, &fi, &delete.request())),
            Some("1409")
        );
        let initiate =
            Call::new(Endpoint::InitiatePayment).body(&payment_body(&pos, "order-2", json!(10)));
        assert_eq!(
            code(&payments::initiate(&mut session, &fi, &initiate.request())),
            Some("1400")
        );
        assert!(session.world().points_of_sale.values().all(|p| !p.deleted));
        Ok(())
    }

    #[test]
    fn another_merchant_gets_the_documented_403_in_the_prepared_flow() -> TestResult {
        let (mut session, pos, payment) = danish_reservation()?;
        let fi = acting_for(CERT_MERCHANT_VAT_FI);
        let prepare = Call::new(Endpoint::PreparePayment)
            .body(&json!({ "posId": pos, "orderId": "order-3" }));
        assert_eq!(
            code(&prepared::prepare(&mut session, &fi, &prepare.request())),
            Some("1400")
        );
        let checkin = Call::new(Endpoint::GetCheckIn).id(&pos);
        assert_eq!(
            code(&checkin::get(&mut session, &fi, &checkin.request())),
            Some("1400")
        );
        let ready = |currency: &str| {
            Call::new(Endpoint::PaymentReady).id(&payment).body(&json!({
                "amount": 10.0,
                "currencyCode": currency,
                "plannedCaptureDelay": "None",
            }))
        };
        assert_eq!(
            code(&prepared::ready(&mut session, &fi, &ready("EUR").request())),
            Some("1406")
        );
        assert_eq!(
            code(&prepared::ready(
                &mut session,
                &acting_for(VAT),
                &ready("EUR").request()
            )),
            Some("1099"),
            "the Danish store takes no euro"
        );
        Ok(())
    }

    fn ids(answer: ApiAnswer, field: &str) -> Result<Vec<String>, String> {
        let body = json_of(answer)?;
        Ok(body[field]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default())
    }

    #[test]
    fn listings_show_the_merchants_own_resources_only() -> TestResult {
        let (session, pos, payment) = danish_reservation()?;
        for (vat, expected_pos, expected_payments) in [
            (VAT, vec![pos.clone()], vec![payment.clone()]),
            (CERT_MERCHANT_VAT_FI, vec![], vec![]),
        ] {
            let caller = acting_for(vat);
            let call = Call::new(Endpoint::GetPosWithFilter).query("merchantPosId=till-1");
            let listed = ids(
                pointofsales::list(&session, &caller, &call.request()),
                "posIds",
            )?;
            assert_eq!(listed, expected_pos, "PoSes as {vat}");
            for query in [format!("posId={pos}"), "orderId=order-1".to_string()] {
                let call = Call::new(Endpoint::QueryPaymentIds).query(&query);
                let listed = ids(
                    payments::list(&session, &caller, &call.request()),
                    "paymentIds",
                )?;
                assert_eq!(listed, expected_payments, "payments ?{query} as {vat}");
            }
        }
        Ok(())
    }

    #[test]
    fn each_merchant_creates_points_of_sale_in_its_own_store_only() -> TestResult {
        let mut session = session();
        let beacons = Beacons::default();
        let fi = caller(CERT_MERCHANT_VAT_FI, &beacons);
        let mut body = pos_body("till-1");
        let create = |session: &mut Session, caller: &Caller<'_>, body: &Value| {
            let call = Call::new(Endpoint::CreatePos).body(body);
            pointofsales::create(session, caller, &call.request())
        };
        assert_eq!(code(&create(&mut session, &fi, &body)), Some("1403"));
        body["storeId"] = json!(CERT_STORE_ID_FI);
        let dk = caller(VAT, &beacons);
        assert_eq!(code(&create(&mut session, &dk, &body)), Some("1403"));
        let finnish = text(&json_of(create(&mut session, &fi, &body))?, "posId")?;
        // The same merchantPosId is free for the other merchant.
        body["storeId"] = json!(CERT_STORE_ID);
        json_of(create(&mut session, &dk, &body))?;
        let pos = session
            .world()
            .points_of_sale
            .get(&finnish)
            .ok_or("no PoS")?;
        assert_eq!(pos.merchant_vat, CERT_MERCHANT_VAT_FI);
        assert_eq!(pos.store_id, CERT_STORE_ID_FI);
        Ok(())
    }

    #[test]
    fn a_payment_must_be_in_the_currency_of_the_pos_store() -> TestResult {
        let mut session = session();
        let beacons = Beacons::default();
        let fi = caller(CERT_MERCHANT_VAT_FI, &beacons);
        let mut body = pos_body("till-1");
        body["storeId"] = json!(CERT_STORE_ID_FI);
        let call = Call::new(Endpoint::CreatePos).body(&body);
        let pos = text(
            &json_of(pointofsales::create(&mut session, &fi, &call.request()))?,
            "posId",
        )?;
        let dkk =
            Call::new(Endpoint::InitiatePayment).body(&payment_body(&pos, "order-1", json!(10)));
        let answer = payments::initiate(&mut session, &fi, &dkk.request());
        assert_eq!(code(&answer), Some("1099"));
        assert!(session.world().payments.is_empty());
        let mut eur = payment_body(&pos, "order-1", json!(10));
        eur["currencyCode"] = json!("EUR");
        let call = Call::new(Endpoint::InitiatePayment).body(&eur);
        json_of(payments::initiate(&mut session, &fi, &call.request()))?;
        Ok(())
    }
}
