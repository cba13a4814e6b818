//! Case scripts at run time: arming a case (its faults, simulated customer and seeded
//! preconditions), moving payments along the customer's script as the client polls, and
//! finishing a case (collecting its exchanges, reporting open reservations, and cancelling
//! leftover active payments as MobilePay would).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::exchange::Exchange;
use crate::judge::{self, CaseEvidence, StepObservation};
use crate::pos::{Endpoint, PaymentStatus};
use crate::report::{StepReport, Verdict};

use super::session::{ActiveCase, Payment, Session};

/// A case could not be armed or finished.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScriptError {
    /// The case was not selected when the session was created.
    #[error("case {0} was not selected for this session")]
    UnknownCase(String),
    /// A fault names an endpoint the service does not know.
    #[error("case {case}: unknown endpoint `{on}` in a fault")]
    UnknownEndpoint {
        /// The case.
        case: String,
        /// The endpoint as written.
        on: String,
    },
    /// A seed needs a PoS and the session has none.
    #[error(
        "case {0} seeds a payment but the session has no point of sale (onboarding must run first)"
    )]
    NoPointOfSale(String),
    /// No case is armed.
    #[error("no case is in progress")]
    NoCase,
}

/// What the service observed during a case, returned when the case finishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRecord {
    /// The case's exchanges in arrival order.
    pub exchanges: Vec<Exchange>,
    /// Payments created during the case and still `Reserved` at its end.
    pub open_reservations: Vec<String>,
    /// The case's verdict.
    pub verdict: Verdict,
}

/// Arms `case_id`: installs its faults and customer, and seeds its preconditions.
pub fn arm(session: &mut Session, case_id: &str) -> Result<(), ScriptError> {
    let script = session
        .case(case_id)
        .map(|c| c.backend.clone())
        .ok_or_else(|| ScriptError::UnknownCase(case_id.to_string()))?;
    let mut faults = BTreeMap::new();
    for fault in &script.faults {
        let endpoint = Endpoint::parse(&fault.on).ok_or_else(|| ScriptError::UnknownEndpoint {
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
    session.current = Some(ActiveCase {
        id: case_id.to_string(),
        step: None,
        faults,
        customer: script.customer.clone(),
        seeded_payment,
        steps: Vec::new(),
        observations: Vec::new(),
    });
    Ok(())
}

fn seed_payment(
    session: &mut Session,
    case_id: &str,
    status: PaymentStatus,
) -> Result<String, ScriptError> {
    let pos_id = session
        .session_pos()
        .map(|p| p.id.clone())
        .ok_or_else(|| ScriptError::NoPointOfSale(case_id.to_string()))?;
    let id = uuid::Uuid::new_v4().to_string();
    let created_seq = session.next_created_seq();
    let payment = Payment {
        id: id.clone(),
        pos_id,
        order_id: format!("seeded-{}", &id[..8]),
        amount: Some(10.0),
        currency_code: Some(crate::pos::dto::CurrencyCode::Dkk),
        restrictions: None,
        merchant_payment_label: None,
        planned_capture_delay: Some(crate::pos::dto::PlannedCaptureDelay::None),
        status,
        captured_amount: None,
        partial_capture_possible: false,
        customer: None,
        polls: 0,
        created_in_case: None,
        created_virtual_ms: session.clock.virtual_ms(),
        created_seq,
    };
    session.payments.insert(id.clone(), payment);
    Ok(id)
}

/// Marks the start of a step of the armed case.
pub fn begin_step(session: &mut Session, step: usize) -> Result<(), ScriptError> {
    let current = session.current.as_mut().ok_or(ScriptError::NoCase)?;
    current.step = Some(step);
    Ok(())
}

/// Ends the step in progress: keeps what the driver reported of it and returns what the
/// service observes now.
pub fn end_step(session: &mut Session, report: StepReport) -> Result<StepObservation, ScriptError> {
    let seeded = session
        .current
        .as_ref()
        .ok_or(ScriptError::NoCase)?
        .seeded_payment
        .clone();
    let observation = StepObservation {
        seeded_payment: seeded
            .and_then(|id| session.payments.get(&id))
            .map(|p| p.status),
        payments: case_payments(session),
    };
    let current = session.current.as_mut().ok_or(ScriptError::NoCase)?;
    current.steps.push(report);
    current.observations.push(observation.clone());
    Ok(observation)
}

/// What the service holds for every payment created in the armed case, and for its seeded one.
fn case_payments(session: &Session) -> BTreeMap<String, judge::PaymentObservation> {
    let Some(current) = session.current.as_ref() else {
        return BTreeMap::new();
    };
    let of_case = |p: &&Payment| {
        p.created_in_case.as_deref() == Some(current.id.as_str())
            || current.seeded_payment.as_deref() == Some(p.id.as_str())
    };
    session
        .payments
        .values()
        .filter(of_case)
        .map(|p| {
            let observed = judge::PaymentObservation {
                status: p.status,
                amount: p.amount,
                captured_amount: p.captured_amount,
            };
            (p.id.clone(), observed)
        })
        .collect()
}

/// Finishes the armed case: collects its exchanges, judges it (unless the driver could not run it
/// to the end, in which case its `Error` or `Skipped` verdict stands), keeps the verdict for the
/// certificate, then cancels every payment still active on the session's PoSes as
/// `CancelledByMobilePay`, so the next case starts on a free PoS.
pub fn finish(session: &mut Session, unjudged: Option<Verdict>) -> Result<CaseRecord, ScriptError> {
    let current = session.current.take().ok_or(ScriptError::NoCase)?;
    let open_reservations: Vec<String> = session
        .payments
        .values()
        .filter(|p| {
            p.created_in_case.as_deref() == Some(current.id.as_str())
                && p.status == PaymentStatus::Reserved
        })
        .map(|p| p.id.clone())
        .collect();
    let exchanges = session.exchanges_of(&current.id);
    let verdict = match (unjudged, session.case(&current.id)) {
        (Some(verdict), _) => verdict,
        (None, None) => return Err(ScriptError::UnknownCase(current.id)),
        (None, Some(case)) => judge::judge(&CaseEvidence {
            case,
            steps: &current.steps,
            observations: &current.observations,
            exchanges: &exchanges,
            open_reservations: &open_reservations,
            declared_version: &session.request.client_version,
            time_scale: session.clock.scale(),
        }),
    };
    session.verdicts.push((current.id.clone(), verdict.clone()));
    for payment in session.payments.values_mut() {
        if payment.status.is_active() {
            payment.status = PaymentStatus::CancelledByMobilePay;
        }
    }
    Ok(CaseRecord {
        exchanges,
        open_reservations,
        verdict,
    })
}

/// Moves a polled payment along its customer script: the n-th poll aims at the n-th scripted
/// status (the last repeats), walking the real state machine one customer event at a time. A
/// status the customer cannot reach (the client cancelled, say) leaves the payment where it is.
pub fn advance_on_poll(payment: &mut Payment) {
    let Some(script) = payment.customer.as_ref() else {
        return;
    };
    let Some(target) = script.get(payment.polls).or_else(|| script.last()).copied() else {
        return;
    };
    payment.polls += 1;
    while let Some(next) = payment.status.customer_step_towards(target) {
        payment.status = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pos::PaymentStatus::*;

    fn scripted(script: Vec<PaymentStatus>) -> Payment {
        Payment {
            id: "p".into(),
            pos_id: "s".into(),
            order_id: "o".into(),
            amount: Some(100.0),
            currency_code: None,
            restrictions: None,
            merchant_payment_label: None,
            planned_capture_delay: None,
            status: Initiated,
            captured_amount: None,
            partial_capture_possible: false,
            customer: Some(script),
            polls: 0,
            created_in_case: None,
            created_virtual_ms: 0.0,
            created_seq: 1,
        }
    }

    #[test]
    fn polls_follow_the_script_and_the_last_status_repeats() {
        let mut payment = scripted(vec![Initiated, IssuedToUser, Reserved]);
        let seen: Vec<PaymentStatus> = (0..5)
            .map(|_| {
                advance_on_poll(&mut payment);
                payment.status
            })
            .collect();
        assert_eq!(
            seen,
            vec![Initiated, IssuedToUser, Reserved, Reserved, Reserved]
        );
    }

    #[test]
    fn a_client_cancel_takes_precedence_over_the_script() {
        let mut payment = scripted(vec![Initiated, IssuedToUser, Reserved]);
        advance_on_poll(&mut payment);
        payment.status = CancelledByClient;
        advance_on_poll(&mut payment);
        assert_eq!(payment.status, CancelledByClient);
    }

    #[test]
    fn skipped_statuses_are_walked_through() {
        let mut payment = scripted(vec![Reserved]);
        advance_on_poll(&mut payment);
        assert_eq!(payment.status, Reserved);
    }
}
