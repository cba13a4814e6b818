//! The emulated PoS v10 world one session's calls see: its points of sale, payments and bound
//! idempotency keys, with the creation counter that orders them. The emulator's resource
//! handlers own its rules (state machines, one active payment per PoS); sessions never share a
//! world. The customers checked in at its points of sale live in [`Customers`].

use std::collections::{BTreeMap, HashMap};

use crate::judge::PaymentObservation;
use crate::pos::dto::{
    BeaconType, CurrencyCode, PaymentReadyRequest, PaymentRestrictions, PlannedCaptureDelay,
};
use crate::pos::transitions::{PaymentEvent, next};
use crate::pos::{Endpoint, PaymentStatus};

use super::session::ArmedCase;

/// A session's points of sale, payments and idempotency records.
#[derive(Debug, Default)]
pub struct World {
    /// Points of sale by id.
    pub points_of_sale: BTreeMap<String, PointOfSale>,
    /// Payments by id.
    pub payments: BTreeMap<String, Payment>,
    /// Who is checked in where, and which customer each payment went to.
    pub customers: Customers,
    /// Payments created by `prepare`, with the ready body each was readied with (`None` until
    /// then).
    pub readied: BTreeMap<String, Option<PaymentReadyRequest>>,
    /// Bound idempotency keys.
    pub idempotency: HashMap<String, IdempotencyRecord>,
    next_created: u64,
}

impl World {
    /// The next creation order number for a PoS or payment.
    pub fn next_created_seq(&mut self) -> u64 {
        self.next_created += 1;
        self.next_created
    }

    /// The session's PoS: the most recently created one that is not deleted.
    pub fn session_pos(&self) -> Option<&PointOfSale> {
        self.points_of_sale
            .values()
            .filter(|p| !p.deleted)
            .max_by_key(|p| p.created_seq)
    }

    /// The payment on a PoS that blocks a new one there (at most one is ever active).
    pub fn active_payment_on(&self, pos_id: &str) -> Option<&Payment> {
        self.payments
            .values()
            .find(|p| p.pos_id == pos_id && p.status.is_active())
    }

    /// What the world holds for every payment created in the armed case, and for its seeded one.
    pub fn observe_case_payments(&self, armed: &ArmedCase) -> BTreeMap<String, PaymentObservation> {
        self.payments
            .values()
            .filter(|p| {
                p.created_in_case.as_deref() == Some(armed.id.as_str())
                    || armed.seeded_payment.as_deref() == Some(p.id.as_str())
            })
            .map(|p| {
                let observed = PaymentObservation {
                    status: p.status,
                    amount: p.amount,
                    captured_amount: p.captured_amount,
                };
                (p.id.clone(), observed)
            })
            .collect()
    }

    /// Cancels every payment still active, as MobilePay does between cases.
    pub fn cancel_active_payments(&mut self) {
        for payment in self.payments.values_mut() {
            if let Some(cancelled) = next(payment.status, PaymentEvent::MobilePayCancel) {
                payment.status = cancelled;
            }
        }
    }
}

mod customers;
pub use customers::{CheckIn, Customers};

/// A point of sale.
#[derive(Debug, Clone, PartialEq)]
pub struct PointOfSale {
    /// Its id.
    pub id: String,
    /// The merchant's own id.
    pub merchant_pos_id: String,
    /// Its store.
    pub store_id: String,
    /// Its name.
    pub name: String,
    /// Its beacon id.
    pub beacon_id: String,
    /// Its callback alias.
    pub callback_alias: Option<String>,
    /// Supported beacon types.
    pub supported_beacon_types: Vec<BeaconType>,
    /// No check-in before a payment exists.
    pub require_payment_before_checkin: bool,
    /// Deleted PoSes keep their record so a repeated DELETE can be answered.
    pub deleted: bool,
    /// Creation order within the session.
    pub created_seq: u64,
}

/// A payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// Its id.
    pub id: String,
    /// Its PoS.
    pub pos_id: String,
    /// The merchant's order id.
    pub order_id: String,
    /// The amount (`None` until a prepared payment is readied).
    pub amount: Option<f64>,
    /// The currency.
    pub currency_code: Option<CurrencyCode>,
    /// Card restrictions.
    pub restrictions: Option<PaymentRestrictions>,
    /// Portal label.
    pub merchant_payment_label: Option<String>,
    /// Planned capture delay.
    pub planned_capture_delay: Option<PlannedCaptureDelay>,
    /// Current state.
    pub status: PaymentStatus,
    /// The amount captured, once captured.
    pub captured_amount: Option<f64>,
    /// Whether a reservation allows partial capture.
    pub partial_capture_possible: bool,
    /// The simulated customer's script, for payments started during a scripted case.
    pub customer: Option<Vec<PaymentStatus>>,
    /// How many times the client has polled this payment.
    pub polls: usize,
    /// The case during which the payment was created (`None` for seeded payments).
    pub created_in_case: Option<String>,
    /// Virtual milliseconds at creation.
    pub created_virtual_ms: f64,
    /// Creation order within the session.
    pub created_seq: u64,
}

/// A bound idempotency key: the request it was first used for and the answer to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    /// The endpoint it was used on.
    pub endpoint: Endpoint,
    /// The request body, parsed.
    pub body: serde_json::Value,
    /// The answer body to replay.
    pub answer: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use crate::pos::PaymentStatus;
    use crate::service::emulator::fixtures::{
        TestResult, new_payment, new_pos, session, set_status, status_of,
    };

    #[test]
    fn between_cases_mobilepay_cancels_active_payments_and_leaves_the_rest() -> TestResult {
        let mut session = session();
        let mut payments = Vec::new();
        for (n, status) in [
            PaymentStatus::Prepared,
            PaymentStatus::Paired,
            PaymentStatus::Initiated,
            PaymentStatus::IssuedToUser,
            PaymentStatus::Reserved,
            PaymentStatus::Captured,
        ]
        .into_iter()
        .enumerate()
        {
            let pos = new_pos(&mut session, &format!("till-{n}"))?;
            let id = new_payment(&mut session, &pos, "order-1")?;
            set_status(&mut session, &id, status)?;
            assert_eq!(
                session
                    .world()
                    .active_payment_on(&pos)
                    .map(|p| p.id.clone()),
                status.is_active().then(|| id.clone())
            );
            payments.push((id, status));
        }
        session.world_mut().cancel_active_payments();
        for (id, before) in payments {
            let expected = if before.is_active() {
                PaymentStatus::CancelledByMobilePay
            } else {
                before
            };
            assert_eq!(status_of(&session, &id)?, expected, "{before}");
        }
        Ok(())
    }
}
