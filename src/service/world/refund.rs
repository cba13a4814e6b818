//! A refund as the emulated world holds it, and the one way its state changes: through the
//! transition table of `pos::refund_state`, noting when it was reserved so the 24 h
//! auto-capture can be applied on the session's virtual clock.

use crate::pos::RefundStatus;
use crate::pos::dto::CurrencyCode;
use crate::pos::refund_state::RefundEvent;

/// A refund of a captured payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    /// Its id.
    pub id: String,
    /// The payment it refunds.
    pub payment_id: String,
    /// The merchant's id of the refund.
    pub refund_order_id: String,
    /// The amount.
    pub amount: f64,
    /// The currency.
    pub currency_code: CurrencyCode,
    /// Current state.
    pub status: RefundStatus,
    /// Virtual milliseconds when MobilePay reserved it, once reserved.
    pub reserved_virtual_ms: Option<f64>,
    /// How many times the client has polled it.
    pub polls: usize,
    /// The case during which the refund was created (`None` outside a case).
    pub created_in_case: Option<String>,
    /// Virtual milliseconds at creation.
    pub created_virtual_ms: f64,
    /// Creation order within the session.
    pub created_seq: u64,
}

impl Refund {
    /// Applies `event` at virtual time `now_ms` if the state machine allows it from the current
    /// state; returns whether the refund moved.
    pub fn apply(&mut self, event: RefundEvent, now_ms: f64) -> bool {
        let Some(next) = self.status.after(event) else {
            return false;
        };
        if next == RefundStatus::Reserved {
            self.reserved_virtual_ms = Some(now_ms);
        }
        self.status = next;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn initiated() -> Refund {
        Refund {
            id: "r".into(),
            payment_id: "p".into(),
            refund_order_id: "o".into(),
            amount: 10.0,
            currency_code: CurrencyCode::Dkk,
            status: RefundStatus::Initiated,
            reserved_virtual_ms: None,
            polls: 0,
            created_in_case: None,
            created_virtual_ms: 0.0,
            created_seq: 1,
        }
    }

    #[test]
    fn a_reservation_notes_its_time() {
        let mut refund = initiated();
        assert!(refund.apply(RefundEvent::Reserve, 42.0));
        assert_eq!(refund.status, RefundStatus::Reserved);
        assert_eq!(refund.reserved_virtual_ms, Some(42.0));
    }

    #[test]
    fn an_event_without_a_transition_changes_nothing() {
        let mut refund = initiated();
        assert!(!refund.apply(RefundEvent::Capture, 1.0));
        assert_eq!(refund, initiated());
        assert!(refund.apply(RefundEvent::Cancel, 2.0));
        assert!(!refund.apply(RefundEvent::Reserve, 3.0));
        assert_eq!(refund.status, RefundStatus::CancelledByClient);
        assert_eq!(refund.reserved_virtual_ms, None);
    }
}
