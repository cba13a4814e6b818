//! Customers at the till (domain reference §3.2 check-in, §6.1/§6.2): `GET
//! /pointofsales/{posid}/checkin`, and the rules that tie a checked-in customer to a payment. A
//! customer checks in at a PoS either as the armed case's scripted customer (when a poll lets it
//! act) or as a sandbox test user through the user simulation. A check-in with no payment to take
//! waits at the PoS for [`CHECK_IN_LIFETIME_MS`]; a payment created there meanwhile takes that
//! customer at once (`Initiated` becomes `IssuedToUser`, `Prepared` becomes `Paired`). A customer
//! stays checked in while the payment they took is active.

use crate::pos::constants::{CHECK_IN_LIFETIME_MS, SCRIPTED_CUSTOMER_PHONE};
use crate::pos::dto::GetCheckInResponse;
use crate::pos::transitions::{PaymentEvent, next};
use crate::pos::usersim::TestUser;
use crate::pos::{ApiError, ErrorCode, PaymentStatus};
use crate::service::customer;
use crate::service::session::Session;
use crate::service::world::{CheckIn, Payment, World};

use super::scope::{self, Caller};
use super::{ApiAnswer, ApiRequest};

/// A new check-in of `user` at virtual time `now`, with a fresh customer token.
pub fn check_in_of(user: &TestUser, now: f64) -> CheckIn {
    CheckIn {
        phone_number: user.phone_number.to_string(),
        customer_token: uuid::Uuid::new_v4().simple().to_string(),
        customer_receipt_token: user.receipt_token(),
        loyalty_ids: user.loyalty_ids(),
        at_virtual_ms: now,
    }
}

/// The scripted customer's check-in at virtual time `now`.
fn scripted_check_in(now: f64) -> Option<CheckIn> {
    TestUser::find(SCRIPTED_CUSTOMER_PHONE).map(|user| check_in_of(user, now))
}

/// The id of a PoS that exists and is not deleted, from a path id.
pub fn live_pos_id(world: &World, path_id: Option<&str>) -> Option<String> {
    let id = path_id?.to_ascii_lowercase();
    world
        .points_of_sale
        .get(&id)
        .filter(|pos| !pos.deleted)
        .map(|pos| pos.id.clone())
}

/// The customer checked in at a PoS now: the one its active payment went to, else one waiting
/// there whose check-in has not lapsed.
pub fn checked_in_at<'a>(world: &'a World, pos_id: &str, now: f64) -> Option<&'a CheckIn> {
    let of_payment = world
        .active_payment_on(pos_id)
        .and_then(|payment| world.customers.of_payment.get(&payment.id));
    of_payment.or_else(|| waiting_at(world, pos_id, now))
}

/// The check-in waiting at a PoS for a payment, if it has not lapsed.
fn waiting_at<'a>(world: &'a World, pos_id: &str, now: f64) -> Option<&'a CheckIn> {
    world
        .customers
        .waiting
        .get(pos_id)
        .filter(|c| now - c.at_virtual_ms <= CHECK_IN_LIFETIME_MS)
}

/// Hands a payment to `customer` through the `CheckIn` transition; `false` (and nothing changes)
/// when the payment is in no state a check-in moves.
pub fn pair(world: &mut World, payment_id: &str, customer: CheckIn) -> bool {
    let Some(payment) = world.payments.get_mut(payment_id) else {
        return false;
    };
    let Some(paired) = next(payment.status, PaymentEvent::CheckIn) else {
        return false;
    };
    payment.status = paired;
    world
        .customers
        .of_payment
        .insert(payment_id.to_string(), customer);
    true
}

/// Hands a new payment to the customer waiting at its PoS, if one is.
pub fn pair_waiting_customer(world: &mut World, payment_id: &str, now: f64) {
    let Some(pos_id) = world.payments.get(payment_id).map(|p| p.pos_id.clone()) else {
        return;
    };
    if waiting_at(world, &pos_id, now).is_none() {
        return;
    }
    if let Some(customer) = world.customers.waiting.remove(&pos_id) {
        pair(world, payment_id, customer);
    }
}

/// Lets the armed case's scripted customer act on a poll of a payment (or of its PoS's
/// check-in), and keeps who checked in when it did. Returns the status the poll's answer shows
/// instead of the payment's own, if the script has one for it.
pub fn let_scripted_customer_act(
    world: &mut World,
    payment_id: &str,
    now: f64,
) -> Option<PaymentStatus> {
    let payment = world.payments.get_mut(payment_id)?;
    let effect = customer::advance_on_poll(payment);
    if !effect.checked_in {
        return effect.shown;
    }
    if let Some(customer) = scripted_check_in(now) {
        world
            .customers
            .of_payment
            .entry(payment_id.to_string())
            .or_insert(customer);
    }
    None
}

/// What a payment's answer says about its customer: the one it went to, or, for a payment put
/// past check-in without one (a seeded payment), an anonymous customer with neither loyalty nor
/// receipt; `None` while nobody has checked in.
pub fn customer_of(world: &World, payment: &Payment) -> Option<CheckIn> {
    if matches!(
        payment.status,
        PaymentStatus::Initiated | PaymentStatus::Prepared
    ) {
        return None;
    }
    let known = world.customers.of_payment.get(&payment.id).cloned();
    Some(known.unwrap_or_else(|| CheckIn {
        phone_number: String::new(),
        customer_token: format!("ct-{}", payment.id.get(..8).unwrap_or(&payment.id)),
        customer_receipt_token: String::new(),
        loyalty_ids: Vec::new(),
        at_virtual_ms: payment.created_virtual_ms,
    }))
}

/// `GET /pointofsales/{posid}/checkin`: always 200 for a live PoS, saying whether a customer is
/// checked in. A poll gives the scripted customer of the PoS's active payment a turn, as a poll
/// of the payment itself does.
pub fn get(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let pos_id = live_pos_id(session.world(), request.resource_id).ok_or(ApiError::NotFound)?;
    scope::pos(
        session.world(),
        caller,
        Some(&pos_id),
        ErrorCode::PosOfOtherIntegrator,
    )?;
    let poll_delay = session.next_poll_delay_ms();
    let now = session.clock().virtual_ms();
    let active = session
        .world()
        .active_payment_on(&pos_id)
        .map(|p| p.id.clone());
    if let Some(payment_id) = active {
        // A check-in poll shows nothing of the payment, so a shown-only status goes unseen.
        let _ = let_scripted_customer_act(session.world_mut(), &payment_id, now);
    }
    let customer = checked_in_at(session.world(), &pos_id, now);
    let response = GetCheckInResponse {
        is_user_checked_in: customer.is_some(),
        loyalty_ids: customer.map(|c| c.loyalty_ids.clone()),
        poll_delay_in_ms: poll_delay,
        customer_token: customer.map(|c| c.customer_token.clone()),
        customer_receipt_token: customer.map(|c| c.customer_receipt_token.clone()),
    };
    serde_json::to_value(response)
        .map(Some)
        .map_err(|_| ErrorCode::Internal.into())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::pos::Endpoint;
    use crate::pos::constants::TEST_USER_LOYALTY_ID;
    use crate::service::emulator::fixtures::{
        Call, TestResult, VAT, acting_for, armed_session, customer_waits_at, json_of, new_payment,
        new_pos, session, set_status, status_of,
    };

    const UNKNOWN_POS: &str = "6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21";

    fn checkin(session: &mut Session, pos_id: &str) -> Result<Value, String> {
        json_of(get(
            session,
            &acting_for(VAT),
            &Call::new(Endpoint::GetCheckIn).id(pos_id).request(),
        ))
    }

    fn user(phone: &str) -> Result<&'static TestUser, String> {
        TestUser::find(phone).ok_or_else(|| format!("{phone} is no test user"))
    }

    #[test]
    fn nobody_is_checked_in_at_a_new_pos() -> TestResult {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        let answer = checkin(&mut session, &pos)?;
        assert_eq!(answer["isUserCheckedIn"], json!(false));
        assert!(answer["pollDelayInMs"].as_u64().is_some(), "{answer}");
        let fields: Vec<&String> = answer
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(fields.len(), 2, "{answer}");
        Ok(())
    }

    #[test]
    fn a_waiting_customer_is_shown_with_loyalty_and_tokens() -> TestResult {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        customer_waits_at(&mut session, &pos, "+4520031804")?;
        let answer = checkin(&mut session, &pos.to_ascii_uppercase())?;
        assert_eq!(answer["isUserCheckedIn"], json!(true));
        assert_eq!(answer["loyaltyIds"], json!([TEST_USER_LOYALTY_ID]));
        assert_eq!(answer["customerReceiptToken"], json!(""));
        assert!(
            answer["customerToken"]
                .as_str()
                .is_some_and(|t| t.len() == 32)
        );
        Ok(())
    }

    #[test]
    fn a_check_in_lapses() -> TestResult {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        customer_waits_at(&mut session, &pos, "+4520031801")?;
        if let Some(waiting) = session.world_mut().customers.waiting.get_mut(&pos) {
            waiting.at_virtual_ms -= CHECK_IN_LIFETIME_MS + 1.0;
        }
        assert_eq!(
            checkin(&mut session, &pos)?["isUserCheckedIn"],
            json!(false)
        );
        let payment = new_payment(&mut session, &pos, "order-1")?;
        assert_eq!(status_of(&session, &payment)?, PaymentStatus::Initiated);
        Ok(())
    }

    #[test]
    fn a_payment_takes_the_waiting_customer_at_once() -> TestResult {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        customer_waits_at(&mut session, &pos, "+4520031801")?;
        let payment = new_payment(&mut session, &pos, "order-1")?;
        assert_eq!(status_of(&session, &payment)?, PaymentStatus::IssuedToUser);
        assert!(session.world().customers.waiting.is_empty());
        assert_eq!(checkin(&mut session, &pos)?["isUserCheckedIn"], json!(true));
        set_status(&mut session, &payment, PaymentStatus::Reserved)?;
        assert_eq!(
            checkin(&mut session, &pos)?["isUserCheckedIn"],
            json!(false),
            "the customer leaves once the payment is no longer active"
        );
        Ok(())
    }

    #[test]
    fn checking_in_at_an_unknown_or_deleted_pos_is_404() -> TestResult {
        let mut session = session();
        let call = Call::new(Endpoint::GetCheckIn).id(UNKNOWN_POS);
        assert_eq!(
            get(&mut session, &acting_for(VAT), &call.request()),
            Err(ApiError::NotFound)
        );
        let pos = new_pos(&mut session, "till-1")?;
        if let Some(record) = session.world_mut().points_of_sale.get_mut(&pos) {
            record.deleted = true;
        }
        let call = Call::new(Endpoint::GetCheckIn).id(&pos);
        assert_eq!(
            get(&mut session, &acting_for(VAT), &call.request()),
            Err(ApiError::NotFound)
        );
        Ok(())
    }

    #[test]
    fn polling_the_check_in_lets_the_scripted_customer_check_in() -> TestResult {
        let mut session = armed_session(vec![PaymentStatus::IssuedToUser], false)?;
        let pos = new_pos(&mut session, "till-1")?;
        assert_eq!(
            checkin(&mut session, &pos)?["isUserCheckedIn"],
            json!(false)
        );
        let payment = new_payment(&mut session, &pos, "order-1")?;
        let answer = checkin(&mut session, &pos)?;
        assert_eq!(answer["isUserCheckedIn"], json!(true));
        assert_eq!(answer["loyaltyIds"], json!([TEST_USER_LOYALTY_ID]));
        assert_eq!(status_of(&session, &payment)?, PaymentStatus::IssuedToUser);
        let customer = session.world().customers.of_payment.get(&payment);
        assert_eq!(
            customer.map(|c| c.phone_number.as_str()),
            Some(SCRIPTED_CUSTOMER_PHONE)
        );
        Ok(())
    }

    #[test]
    fn a_payment_past_check_in_without_a_known_customer_has_an_anonymous_one() -> TestResult {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        let id = new_payment(&mut session, &pos, "order-1")?;
        let payment = session
            .world()
            .payments
            .get(&id)
            .cloned()
            .ok_or("no payment")?;
        assert_eq!(customer_of(session.world(), &payment), None);
        set_status(&mut session, &id, PaymentStatus::IssuedToUser)?;
        let payment = session
            .world()
            .payments
            .get(&id)
            .cloned()
            .ok_or("no payment")?;
        let anonymous = customer_of(session.world(), &payment).ok_or("no customer")?;
        assert!(anonymous.loyalty_ids.is_empty());
        assert!(anonymous.customer_token.starts_with("ct-"));
        Ok(())
    }

    #[test]
    fn pairing_follows_the_transition_table() -> TestResult {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        let id = new_payment(&mut session, &pos, "order-1")?;
        set_status(&mut session, &id, PaymentStatus::Reserved)?;
        let customer = check_in_of(user("+4520031801")?, 0.0);
        assert!(!pair(session.world_mut(), &id, customer));
        assert_eq!(status_of(&session, &id)?, PaymentStatus::Reserved);
        assert!(session.world().customers.of_payment.is_empty());
        Ok(())
    }
}
