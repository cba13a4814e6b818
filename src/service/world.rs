//! The emulated PoS v10 world one session's calls see: its points of sale, payments, refunds and
//! bound idempotency keys, with the creation counter that orders them. A session is one integrator,
//! so every resource in its world belongs to it; each also belongs to a merchant — a PoS to the
//! merchant it was created for, a payment to its PoS's merchant — which decides who may see and
//! act on it. The emulator's resource handlers own its rules (state machines, one active payment
//! per PoS); sessions never share a world (only beacon ids are global, see `beacons`). The customers checked in at its points of sale
//! live in [`Customers`].

use std::collections::{BTreeMap, HashMap};

use crate::catalogue::model::ScriptedStatus;
use crate::judge::PaymentObservation;
use crate::pos::constants::RESERVATION_LIFETIME_SECS;
use crate::pos::dto::{
    BeaconType, CurrencyCode, PaymentReadyRequest, PaymentRestrictions, PlannedCaptureDelay,
};
use crate::pos::transitions::{PaymentEvent, next};
use crate::pos::{Endpoint, PaymentStatus};

use super::session::ArmedCase;

mod refund;
pub use refund::Refund;

/// A session's points of sale, payments, refunds and idempotency records.
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
    /// Refunds by id.
    pub refunds: BTreeMap<String, Refund>,
    /// Virtual milliseconds at which each captured payment was captured: a payment can be
    /// refunded for 90 days from then.
    pub captured_virtual_ms: BTreeMap<String, f64>,
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

    /// The merchant a payment belongs to: its PoS's.
    pub fn merchant_of(&self, payment: &Payment) -> Option<&str> {
        self.points_of_sale
            .get(&payment.pos_id)
            .map(|p| p.merchant_vat.as_str())
    }

    /// Ends every reservation that has outlived its lifetime at virtual time `now_virtual_ms`.
    pub fn expire_reservations(&mut self, now_virtual_ms: f64) {
        for payment in self.payments.values_mut() {
            payment.expire_if_due(now_virtual_ms);
        }
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
    /// The merchant (VAT number) it was created for: its store's owner.
    pub merchant_vat: String,
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
    pub customer: Option<Vec<ScriptedStatus>>,
    /// How many times the client has polled this payment.
    pub polls: usize,
    /// The case during which the payment was created (`None` for seeded payments).
    pub created_in_case: Option<String>,
    /// Virtual milliseconds at creation.
    pub created_virtual_ms: f64,
    /// Creation order within the session.
    pub created_seq: u64,
}

impl Payment {
    /// Virtual milliseconds at which a reservation of this payment expires. Counted from the
    /// payment's creation (inferred): a payment not reserved within minutes is cancelled long
    /// before, so the documented 7 days from the reservation differ from this by minutes at most.
    pub fn reservation_expires_virtual_ms(&self) -> f64 {
        self.created_virtual_ms + RESERVATION_LIFETIME_SECS as f64 * 1000.0
    }

    /// Ends the reservation as `ExpiredAndCancelled` if it is due at `now_virtual_ms`.
    pub fn expire_if_due(&mut self, now_virtual_ms: f64) {
        if self.status == PaymentStatus::Reserved
            && now_virtual_ms >= self.reservation_expires_virtual_ms()
        {
            self.status = PaymentStatus::ExpiredAndCancelled;
        }
    }
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
    use super::*;

    fn payment(status: PaymentStatus) -> Payment {
        Payment {
            id: "p".into(),
            pos_id: "pos".into(),
            order_id: "o".into(),
            amount: Some(100.0),
            currency_code: None,
            restrictions: None,
            merchant_payment_label: None,
            planned_capture_delay: None,
            status,
            captured_amount: None,
            partial_capture_possible: false,
            customer: None,
            polls: 0,
            created_in_case: None,
            created_virtual_ms: 1000.0,
            created_seq: 1,
        }
    }

    #[test]
    fn only_a_reservation_expires_and_only_once_its_lifetime_is_over() {
        let lifetime_ms = RESERVATION_LIFETIME_SECS as f64 * 1000.0;
        let mut reserved = payment(PaymentStatus::Reserved);
        reserved.expire_if_due(1000.0 + lifetime_ms - 1.0);
        assert_eq!(reserved.status, PaymentStatus::Reserved);
        reserved.expire_if_due(1000.0 + lifetime_ms);
        assert_eq!(reserved.status, PaymentStatus::ExpiredAndCancelled);
        for status in [PaymentStatus::IssuedToUser, PaymentStatus::Captured] {
            let mut other = payment(status);
            other.expire_if_due(f64::MAX);
            assert_eq!(other.status, status);
        }
    }

    #[test]
    fn a_payment_belongs_to_its_points_of_sale_merchant() {
        let mut world = World::default();
        let reserved = payment(PaymentStatus::Reserved);
        assert_eq!(world.merchant_of(&reserved), None);
        world.points_of_sale.insert(
            "pos".into(),
            PointOfSale {
                id: "pos".into(),
                merchant_pos_id: "till".into(),
                store_id: "store".into(),
                merchant_vat: "FI90000040".into(),
                name: "Till".into(),
                beacon_id: "123456789012345".into(),
                callback_alias: None,
                supported_beacon_types: Vec::new(),
                require_payment_before_checkin: false,
                deleted: true,
                created_seq: 1,
            },
        );
        assert_eq!(world.merchant_of(&reserved), Some("FI90000040"));
        world.payments.insert("p".into(), reserved);
        world.expire_reservations(f64::MAX);
        assert_eq!(
            world.payments.get("p").map(|p| p.status),
            Some(PaymentStatus::ExpiredAndCancelled)
        );
    }

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
