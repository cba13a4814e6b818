//! Unit tests of the user simulation: each operation's transitions and refusals on a session's
//! world, and the HTTP handler's authentication, answers and recording.

use std::sync::Arc;

use axum::http::HeaderValue;
use serde_json::{Value, json};

use super::*;
use crate::pos::PaymentStatus;
use crate::pos::constants::SCRIPTED_CUSTOMER_PHONE;
use crate::pos::usersim::USER_SIMULATION_PREFIX;
use crate::service::emulator::fixtures::{
    TestResult, armed_session, create_pos, handle as session_handle, json_of, new_payment, new_pos,
    pos_body, session, set_status, status_of, text,
};
use crate::service::recorder::REDACTED;
use crate::service::registry::{ServiceOptions, ServiceState};
use crate::service::session::Session;

const DEBIT_USER: &str = "+4520031802";
const CREDIT_USER: &str = "+4520031801";
const PARTIAL_USER: &str = "+4520031805";

fn beacon_of(session: &Session, pos_id: &str) -> Result<String, String> {
    session
        .world()
        .points_of_sale
        .get(pos_id)
        .map(|p| p.beacon_id.clone())
        .ok_or_else(|| format!("no PoS {pos_id}"))
}

fn run(session: &mut Session, operation: UserSimulation, body: &Value) -> Result<(), Refusal> {
    let now = session.clock().virtual_ms();
    simulate(
        session.world_mut(),
        operation,
        body.to_string().as_bytes(),
        now,
    )
}

fn check_in_as(session: &mut Session, beacon: &str, phone: &str) -> Result<(), Refusal> {
    let body = json!({ "beaconId": beacon, "phoneNumber": phone });
    run(session, UserSimulation::Checkin, &body)
}

fn accept_as(session: &mut Session, beacon: &str, phone: &str) -> Result<(), Refusal> {
    let body = json!({ "beaconId": beacon, "phoneNumber": phone });
    run(session, UserSimulation::AcceptPayment, &body)
}

fn cancel_at(session: &mut Session, beacon: &str) -> Result<(), Refusal> {
    run(
        session,
        UserSimulation::CancelPayment,
        &json!({ "beaconId": beacon }),
    )
}

/// A session with a PoS: (session, posId, beaconId).
fn till() -> Result<(Session, String, String), String> {
    let mut session = session();
    let pos = new_pos(&mut session, "till-1")?;
    let beacon = beacon_of(&session, &pos)?;
    Ok((session, pos, beacon))
}

#[test]
fn a_check_in_issues_an_initiated_payment_and_acceptance_reserves_it() -> TestResult {
    let (mut session, pos, beacon) = till()?;
    let payment = new_payment(&mut session, &pos, "order-1")?;
    check_in_as(&mut session, &beacon.to_ascii_uppercase(), CREDIT_USER)?;
    assert_eq!(status_of(&session, &payment)?, PaymentStatus::IssuedToUser);
    accept_as(&mut session, &beacon, CREDIT_USER)?;
    assert_eq!(status_of(&session, &payment)?, PaymentStatus::Reserved);
    let reserved = session
        .world()
        .payments
        .get(&payment)
        .ok_or("payment gone")?;
    assert!(!reserved.partial_capture_possible);
    Ok(())
}

#[test]
fn a_check_in_without_a_payment_waits_and_the_next_payment_takes_it() -> TestResult {
    let (mut session, pos, beacon) = till()?;
    check_in_as(&mut session, &beacon, CREDIT_USER)?;
    let waiting = session
        .world()
        .customers
        .waiting
        .get(&pos)
        .map(|c| c.phone_number.clone());
    assert_eq!(waiting.as_deref(), Some(CREDIT_USER));
    let payment = new_payment(&mut session, &pos, "order-1")?;
    assert_eq!(status_of(&session, &payment)?, PaymentStatus::IssuedToUser);
    Ok(())
}

#[test]
fn a_check_in_pairs_a_prepared_payment() -> TestResult {
    let (mut session, pos, beacon) = till()?;
    let payment = new_payment(&mut session, &pos, "order-1")?;
    set_status(&mut session, &payment, PaymentStatus::Prepared)?;
    check_in_as(&mut session, &beacon, CREDIT_USER)?;
    assert_eq!(status_of(&session, &payment)?, PaymentStatus::Paired);
    assert_eq!(
        accept_as(&mut session, &beacon, CREDIT_USER),
        Err(Refusal::NotIssuedToUser)
    );
    cancel_at(&mut session, &beacon)?;
    assert_eq!(
        status_of(&session, &payment)?,
        PaymentStatus::CancelledByUser
    );
    Ok(())
}

#[test]
fn checking_in_again_is_harmless_but_another_user_is_refused() -> TestResult {
    let (mut session, pos, beacon) = till()?;
    let payment = new_payment(&mut session, &pos, "order-1")?;
    check_in_as(&mut session, &beacon, CREDIT_USER)?;
    check_in_as(&mut session, &beacon, CREDIT_USER)?;
    assert_eq!(status_of(&session, &payment)?, PaymentStatus::IssuedToUser);
    assert_eq!(
        check_in_as(&mut session, &beacon, DEBIT_USER),
        Err(Refusal::OtherCustomer)
    );
    assert_eq!(
        accept_as(&mut session, &beacon, DEBIT_USER),
        Err(Refusal::NotIssuedToUser)
    );
    Ok(())
}

#[test]
fn unknown_beacons_users_and_bodies_are_refused() -> TestResult {
    let (mut session, pos, beacon) = till()?;
    assert_eq!(
        check_in_as(&mut session, "123456789012345", CREDIT_USER),
        Err(Refusal::UnknownBeacon)
    );
    assert_eq!(
        check_in_as(&mut session, &beacon, "+4512345678"),
        Err(Refusal::UnknownUser)
    );
    let body = json!({ "beaconId": beacon });
    assert_eq!(
        run(&mut session, UserSimulation::Checkin, &body),
        Err(Refusal::Malformed)
    );
    let body = json!({ "beaconId": beacon, "phoneNumber": CREDIT_USER, "extra": 1 });
    assert_eq!(
        run(&mut session, UserSimulation::AcceptPayment, &body),
        Err(Refusal::Malformed)
    );
    if let Some(record) = session.world_mut().points_of_sale.get_mut(&pos) {
        record.deleted = true;
    }
    assert_eq!(
        check_in_as(&mut session, &beacon, CREDIT_USER),
        Err(Refusal::UnknownBeacon)
    );
    Ok(())
}

#[test]
fn a_pos_requiring_a_payment_refuses_an_early_check_in() -> TestResult {
    let mut session = session();
    let mut body = pos_body("till-1");
    body["requirePaymentBeforeCheckin"] = json!(true);
    let pos = text(&json_of(create_pos(&mut session, &body))?, "posId")?;
    let beacon = beacon_of(&session, &pos)?;
    assert_eq!(
        check_in_as(&mut session, &beacon, CREDIT_USER),
        Err(Refusal::PaymentRequired)
    );
    let payment = new_payment(&mut session, &pos, "order-1")?;
    check_in_as(&mut session, &beacon, CREDIT_USER)?;
    assert_eq!(status_of(&session, &payment)?, PaymentStatus::IssuedToUser);
    Ok(())
}

#[test]
fn nothing_to_accept_or_cancel_is_refused() -> TestResult {
    let (mut session, pos, beacon) = till()?;
    assert_eq!(
        accept_as(&mut session, &beacon, CREDIT_USER),
        Err(Refusal::NoPayment)
    );
    assert_eq!(cancel_at(&mut session, &beacon), Err(Refusal::NoPayment));
    let payment = new_payment(&mut session, &pos, "order-1")?;
    assert_eq!(
        accept_as(&mut session, &beacon, CREDIT_USER),
        Err(Refusal::NotIssuedToUser)
    );
    assert_eq!(
        cancel_at(&mut session, &beacon),
        Err(Refusal::NotCancellable),
        "the user never saw an Initiated payment"
    );
    assert_eq!(status_of(&session, &payment)?, PaymentStatus::Initiated);
    Ok(())
}

#[test]
fn a_refused_card_leaves_the_payment_with_the_user() -> TestResult {
    let (mut session, pos, beacon) = till()?;
    let mut body = crate::service::emulator::fixtures::payment_body(&pos, "order-1", json!(10));
    body["restrictions"] = json!({ "debitCardDisallowed": true, "creditCardDisallowed": false });
    let payment = text(
        &json_of(crate::service::emulator::fixtures::initiate(
            &mut session,
            &body,
        ))?,
        "paymentId",
    )?;
    check_in_as(&mut session, &beacon, DEBIT_USER)?;
    assert_eq!(
        accept_as(&mut session, &beacon, DEBIT_USER),
        Err(Refusal::CardRefused)
    );
    assert_eq!(status_of(&session, &payment)?, PaymentStatus::IssuedToUser);
    cancel_at(&mut session, &beacon)?;
    assert_eq!(
        status_of(&session, &payment)?,
        PaymentStatus::CancelledByUser
    );
    Ok(())
}

#[test]
fn test_user_05_allows_partial_capture() -> TestResult {
    let (mut session, pos, beacon) = till()?;
    let payment = new_payment(&mut session, &pos, "order-1")?;
    check_in_as(&mut session, &beacon, PARTIAL_USER)?;
    accept_as(&mut session, &beacon, PARTIAL_USER)?;
    let reserved = session
        .world()
        .payments
        .get(&payment)
        .ok_or("payment gone")?;
    assert!(reserved.partial_capture_possible);
    Ok(())
}

#[test]
fn a_simulated_user_still_acts_while_a_scripted_customer_drives() -> TestResult {
    let mut session = armed_session(vec![PaymentStatus::Initiated], false)?;
    let pos = new_pos(&mut session, "till-1")?;
    let beacon = beacon_of(&session, &pos)?;
    let payment = new_payment(&mut session, &pos, "order-1")?;
    check_in_as(&mut session, &beacon, CREDIT_USER)?;
    cancel_at(&mut session, &beacon)?;
    assert_eq!(
        status_of(&session, &payment)?,
        PaymentStatus::CancelledByUser
    );
    let mut scripted = armed_session(vec![PaymentStatus::IssuedToUser], false)?;
    let pos = new_pos(&mut scripted, "till-1")?;
    let beacon = beacon_of(&scripted, &pos)?;
    let payment = new_payment(&mut scripted, &pos, "order-1")?;
    let now = scripted.clock().virtual_ms();
    let _ = checkin::let_scripted_customer_act(scripted.world_mut(), &payment, now);
    assert_eq!(
        accept_as(&mut scripted, &beacon, CREDIT_USER),
        Err(Refusal::NotIssuedToUser)
    );
    accept_as(&mut scripted, &beacon, SCRIPTED_CUSTOMER_PHONE)?;
    assert_eq!(status_of(&scripted, &payment)?, PaymentStatus::Reserved);
    Ok(())
}

/// A service holding one session with a PoS.
struct Served {
    state: Shared,
    session: Arc<SessionHandle>,
    client_id: String,
    secret: String,
    beacon: String,
}

fn service() -> Result<Served, Box<dyn std::error::Error>> {
    let state = ServiceState::new(ServiceOptions::new(1.0))?;
    let session = session_handle();
    let pos = new_pos(&mut session.state(), "till-1")?;
    let beacon = beacon_of(&session.state(), &pos)?;
    let client_id = session.client_id().to_string();
    let secret = session.client_secret().expose().to_string();
    state.insert(session.clone());
    Ok(Served {
        state,
        session,
        client_id,
        secret,
        beacon,
    })
}

fn credentials(id: &str, secret: &str) -> Result<HeaderMap, Box<dyn std::error::Error>> {
    let mut headers = HeaderMap::new();
    headers.insert(CLIENT_ID_HEADER, HeaderValue::from_str(id)?);
    headers.insert(CLIENT_SECRET_HEADER, HeaderValue::from_str(secret)?);
    Ok(headers)
}

async fn call(
    state: &Shared,
    operation: &str,
    headers: HeaderMap,
    body: &Value,
) -> Result<(StatusCode, Bytes), Box<dyn std::error::Error>> {
    let uri: Uri = format!("{USER_SIMULATION_PREFIX}/{operation}").parse()?;
    let response = handle(
        State(state.clone()),
        Path(operation.to_string()),
        uri,
        headers,
        Bytes::from(body.to_string()),
    )
    .await;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1024).await?;
    Ok((status, body))
}

#[tokio::test]
async fn the_handler_answers_200_401_and_500_without_bodies() -> TestResult {
    let Served {
        state,
        client_id: id,
        secret,
        beacon,
        ..
    } = service()?;
    let body = json!({ "beaconId": beacon, "phoneNumber": CREDIT_USER });
    let (status, answer) = call(&state, "checkin", credentials(&id, &secret)?, &body).await?;
    assert_eq!((status, answer.len()), (StatusCode::OK, 0));
    let (status, answer) = call(&state, "acceptpayment", credentials(&id, &secret)?, &body).await?;
    assert_eq!(
        (status, answer.len()),
        (StatusCode::INTERNAL_SERVER_ERROR, 0)
    );
    for headers in [
        credentials(&id, "wrong")?,
        credentials("nobody", &secret)?,
        HeaderMap::new(),
    ] {
        let (status, answer) = call(&state, "checkin", headers, &body).await?;
        assert_eq!((status, answer.len()), (StatusCode::UNAUTHORIZED, 0));
    }
    let mut twice = credentials(&id, &secret)?;
    twice.append(CLIENT_SECRET_HEADER, HeaderValue::from_str(&secret)?);
    let (status, _) = call(&state, "checkin", twice, &body).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&state, "acceptPayment", credentials(&id, &secret)?, &body).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn each_call_is_recorded_with_its_secret_redacted() -> TestResult {
    let Served {
        state,
        session,
        client_id: id,
        secret,
        beacon,
    } = service()?;
    let body = json!({ "beaconId": beacon });
    call(
        &state,
        "cancelpaymentbyuser",
        credentials(&id, &secret)?,
        &body,
    )
    .await?;
    call(
        &state,
        "cancelpaymentbyuser",
        credentials(&id, "wrong")?,
        &body,
    )
    .await?;
    let recorded = session.recording().all();
    let statuses: Vec<Option<u16>> = recorded.iter().map(|e| e.status).collect();
    assert_eq!(statuses, vec![Some(500), Some(401)]);
    for exchange in &recorded {
        assert_eq!(exchange.path, "/pos/app/usersimulation/cancelpaymentbyuser");
        assert_eq!(exchange.endpoint, None, "not a PoS v10 endpoint");
        assert_eq!(exchange.header(CLIENT_SECRET_HEADER), Some(REDACTED));
        assert_eq!(exchange.header(CLIENT_ID_HEADER), Some(id.as_str()));
        assert_eq!(exchange.response_body, None);
        assert!(!format!("{exchange:?}").contains(&secret));
    }
    Ok(())
}
