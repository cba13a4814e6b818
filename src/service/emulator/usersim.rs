//! The sandbox's user simulation (domain reference §3.5), so an integrator developing against a
//! standalone `mpcert serve` can play the customer by hand: check a test user in at a PoS by its
//! beacon id (as the app does when it scans the QR code), accept the payment issued to them, or
//! cancel it. The calls carry the session's PoS client id and secret in `x-ibm-client-id` and
//! `x-ibm-client-secret` instead of a bearer token; a missing or wrong pair is 401. They answer
//! 200, 401 or 500 with no body, as the OpenAPI document says; every refusal the document does not
//! describe (an unknown beacon or user, no payment to act on, a card the payment's restrictions
//! refuse, a PoS that requires a payment before check-in) is 500 (inferred). Each call is recorded
//! like every other exchange, with the secret redacted, and belongs to the case armed when it
//! arrives. A call applies even while a case's scripted customer drives the payments, as it would
//! in MobilePay's sandbox: it moves the payment through the same transition table, and the
//! script carries on from wherever the payment then is.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::pos::transitions::{PaymentEvent, next};
use crate::pos::usersim::{
    AcceptPaymentRequest, CLIENT_ID_HEADER, CLIENT_SECRET_HEADER, CancelPaymentByUserRequest,
    TestUser, UserCheckInRequest, UserSimulation,
};
use crate::service::handle::SessionHandle;
use crate::service::recorder::{Arrival, ExchangeGuard};
use crate::service::registry::Shared;
use crate::service::world::World;

use super::checkin;

/// Why a user-simulation call was refused (answered 500 without a body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body is not the operation's request body.
    #[error("the body is not the operation's request body")]
    Malformed,
    /// No live PoS of the session has this beacon id.
    #[error("no point of sale has this beacon id")]
    UnknownBeacon,
    /// The phone number is not one of the documented test users.
    #[error("the phone number is not a sandbox test user")]
    UnknownUser,
    /// The PoS takes no check-in before a payment exists on it.
    #[error("the point of sale requires a payment before check-in")]
    PaymentRequired,
    /// Another customer already holds the PoS's payment.
    #[error("another customer holds the point of sale's payment")]
    OtherCustomer,
    /// The PoS has no active payment.
    #[error("the point of sale has no active payment")]
    NoPayment,
    /// The payment is not waiting for this user's answer.
    #[error("the payment is not issued to this user")]
    NotIssuedToUser,
    /// The payment's restrictions refuse the user's card; it stays with the user.
    #[error("the payment's restrictions refuse the user's card")]
    CardRefused,
    /// The payment is in no state the customer can cancel.
    #[error("the payment is in no state the customer can cancel")]
    NotCancellable,
}

/// Serves `POST /pos/app/usersimulation/{operation}`.
pub async fn handle(
    State(state): State<Shared>,
    Path(operation): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(operation) = UserSimulation::from_segment(&operation) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(session) = header(&headers, CLIENT_ID_HEADER)
        .and_then(|client_id| state.session_by_client_id(client_id))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    session.touch();
    let arrival = Arrival {
        method: "POST",
        path: uri.path(),
        headers: &headers,
        body: (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned()),
        endpoint: None,
        resource_id: None,
    };
    let attribution = session.state().attribution();
    let guard = ExchangeGuard::open(session.clone(), arrival, attribution);
    let status = if is_authentic(&session, &headers) {
        let now = session.clock().virtual_ms();
        match simulate(session.state().world_mut(), operation, &body, now) {
            Ok(()) => StatusCode::OK,
            Err(refusal) => {
                tracing::debug!(operation = operation.segment(), %refusal, "user simulation refused");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    } else {
        StatusCode::UNAUTHORIZED
    };
    guard.answer(status.as_u16(), None);
    status.into_response()
}

/// The one value of a header, if it is sent exactly once.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok(),
        _ => None,
    }
}

/// Whether the call carries the session's client secret (compared in constant time).
fn is_authentic(session: &SessionHandle, headers: &HeaderMap) -> bool {
    header(headers, CLIENT_SECRET_HEADER).is_some_and(|secret| session.is_client_secret(secret))
}

/// Performs one operation on the session's world at virtual time `now`.
pub fn simulate(
    world: &mut World,
    operation: UserSimulation,
    body: &[u8],
    now: f64,
) -> Result<(), Refusal> {
    match operation {
        UserSimulation::Checkin => {
            let body: UserCheckInRequest = parse(body)?;
            check_in(world, &body.beacon_id, &body.phone_number, now)
        }
        UserSimulation::AcceptPayment => {
            let body: AcceptPaymentRequest = parse(body)?;
            accept(world, &body.beacon_id, &body.phone_number)
        }
        UserSimulation::CancelPayment => {
            let body: CancelPaymentByUserRequest = parse(body)?;
            cancel(world, &body.beacon_id)
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|_| Refusal::Malformed)
}

/// The id of the live PoS with this beacon id (GUIDs compare case-insensitively).
fn pos_of_beacon(world: &World, beacon_id: &str) -> Result<String, Refusal> {
    world
        .points_of_sale
        .values()
        .find(|pos| !pos.deleted && pos.beacon_id.eq_ignore_ascii_case(beacon_id))
        .map(|pos| pos.id.clone())
        .ok_or(Refusal::UnknownBeacon)
}

fn test_user(phone_number: &str) -> Result<&'static TestUser, Refusal> {
    TestUser::find(phone_number).ok_or(Refusal::UnknownUser)
}

/// The user checks in: the PoS's active payment goes to them (`Initiated` → `IssuedToUser`,
/// `Prepared` → `Paired`), or, with none, the check-in waits for one. Checking in again where
/// the same user already holds the payment changes nothing; a newer check-in replaces a waiting
/// one, as the last customer to scan the code is the one at the till.
fn check_in(
    world: &mut World,
    beacon_id: &str,
    phone_number: &str,
    now: f64,
) -> Result<(), Refusal> {
    let pos_id = pos_of_beacon(world, beacon_id)?;
    let user = test_user(phone_number)?;
    let Some(payment_id) = world.active_payment_on(&pos_id).map(|p| p.id.clone()) else {
        let requires_payment = world
            .points_of_sale
            .get(&pos_id)
            .is_some_and(|pos| pos.require_payment_before_checkin);
        if requires_payment {
            return Err(Refusal::PaymentRequired);
        }
        let customer = checkin::check_in_of(user, now);
        world.customers.waiting.insert(pos_id, customer);
        return Ok(());
    };
    let holder = world
        .customers
        .of_payment
        .get(&payment_id)
        .map(|holder| holder.phone_number.clone());
    match holder {
        Some(holder) if holder == user.phone_number => Ok(()),
        Some(_) => Err(Refusal::OtherCustomer),
        None if checkin::pair(world, &payment_id, checkin::check_in_of(user, now)) => Ok(()),
        None => Err(Refusal::OtherCustomer),
    }
}

/// The user the payment was issued to accepts it: `IssuedToUser` → `Reserved`, unless the
/// payment's restrictions refuse their card.
fn accept(world: &mut World, beacon_id: &str, phone_number: &str) -> Result<(), Refusal> {
    let pos_id = pos_of_beacon(world, beacon_id)?;
    let user = test_user(phone_number)?;
    let payment_id = world
        .active_payment_on(&pos_id)
        .map(|p| p.id.clone())
        .ok_or(Refusal::NoPayment)?;
    let issued_to_user = world
        .customers
        .of_payment
        .get(&payment_id)
        .is_some_and(|holder| holder.phone_number == user.phone_number);
    let payment = world
        .payments
        .get_mut(&payment_id)
        .ok_or(Refusal::NoPayment)?;
    let reserved = next(payment.status, PaymentEvent::Accept)
        .filter(|_| issued_to_user)
        .ok_or(Refusal::NotIssuedToUser)?;
    if !user.may_pay_under(payment.restrictions.as_ref()) {
        return Err(Refusal::CardRefused);
    }
    payment.status = reserved;
    payment.partial_capture_possible = user.partial_capture_possible;
    Ok(())
}

/// The customer cancels the PoS's payment in the app: `Paired` or `IssuedToUser` →
/// `CancelledByUser`.
fn cancel(world: &mut World, beacon_id: &str) -> Result<(), Refusal> {
    let pos_id = pos_of_beacon(world, beacon_id)?;
    let payment_id = world
        .active_payment_on(&pos_id)
        .map(|p| p.id.clone())
        .ok_or(Refusal::NoPayment)?;
    let payment = world
        .payments
        .get_mut(&payment_id)
        .ok_or(Refusal::NoPayment)?;
    payment.status =
        next(payment.status, PaymentEvent::UserCancel).ok_or(Refusal::NotCancellable)?;
    Ok(())
}

#[cfg(test)]
mod tests;
