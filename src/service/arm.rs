//! Arming a case: installing its faults and simulated customer from the session's own copy of
//! the catalogue, and seeding its preconditions (a payment already active on the session's PoS),
//! once the session's lifecycle allows the case to start.

use std::collections::{BTreeMap, VecDeque};

use crate::pos::dto::PlannedCaptureDelay;
use crate::pos::{Endpoint, PaymentStatus};

use super::merchants;
use super::session::{ArmedCase, LifecycleError, Session};
use super::world::Payment;

/// The amount of a seeded payment (inferred: any amount the certification store accepts).
const SEEDED_AMOUNT: f64 = 10.0;

/// Arms `case_id`: installs its faults and customer, and seeds its preconditions.
pub fn arm(session: &mut Session, case_id: &str) -> Result<(), LifecycleError> {
    session.check_can_start(case_id)?;
    let script = session
        .case(case_id)
        .map(|c| c.backend.clone())
        .ok_or_else(|| LifecycleError::NotSelected(case_id.to_string()))?;
    let mut faults = BTreeMap::new();
    for fault in &script.faults {
        let endpoint =
            Endpoint::parse(&fault.on).ok_or_else(|| LifecycleError::UnknownEndpoint {
                case: case_id.to_string(),
                on: fault.on.clone(),
            })?;
        faults.insert(
            endpoint,
            fault.replies.iter().copied().collect::<VecDeque<_>>(),
        );
    }
    let seeded_payment = match &script.seed {
        Some(seed) => Some(seed_payment(session, case_id, seed.active_payment)?),
        None => None,
    };
    session.arm(ArmedCase {
        id: case_id.to_string(),
        step: None,
        step_open: false,
        faults,
        customer: script.customer.clone(),
        seeded_payment,
        steps: Vec::new(),
        observations: Vec::new(),
    })
}

fn seed_payment(
    session: &mut Session,
    case_id: &str,
    status: PaymentStatus,
) -> Result<String, LifecycleError> {
    let clock = session.clock();
    let world = session.world_mut();
    let (pos_id, currency) = world
        .session_pos()
        .map(|p| {
            // The seeded payment is in the currency the PoS's store accepts.
            let currency = merchants::by_vat(&p.merchant_vat).map(|m| m.currency);
            (p.id.clone(), currency)
        })
        .ok_or_else(|| LifecycleError::NoPointOfSale(case_id.to_string()))?;
    let id = uuid::Uuid::new_v4().to_string();
    let created_seq = world.next_created_seq();
    let payment = Payment {
        id: id.clone(),
        pos_id,
        order_id: format!("seeded-{}", &id[..8]),
        amount: Some(SEEDED_AMOUNT),
        currency_code: currency,
        restrictions: None,
        merchant_payment_label: None,
        planned_capture_delay: Some(PlannedCaptureDelay::None),
        status,
        captured_amount: None,
        partial_capture_possible: false,
        customer: None,
        polls: 0,
        created_in_case: None,
        created_virtual_ms: clock.virtual_ms(),
        created_seq,
    };
    world.payments.insert(id.clone(), payment);
    Ok(id)
}
