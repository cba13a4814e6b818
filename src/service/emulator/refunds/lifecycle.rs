//! What happens to a refund without the client: MobilePay reserves a new refund after it has
//! been polled a few times (inferred), and the clock captures a refund left reserved for 24 h
//! (documented). Both go through the refund state machine, so a refund the client has already
//! settled is left alone.

use crate::pos::constants::REFUND_POLLS_WHILE_INITIATED;
use crate::pos::refund_state::RefundEvent;
use crate::service::world::Refund;

/// A reserved refund is captured automatically after 24 h untouched (documented).
pub const RESERVATION_LIFETIME_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// Applies what the clock has done by virtual time `now_ms`: a refund reserved for 24 h has
/// become `ExpiredAndCaptured`.
pub fn catch_up(refund: &mut Refund, now_ms: f64) {
    let expired = refund
        .reserved_virtual_ms
        .is_some_and(|reserved| now_ms - reserved >= RESERVATION_LIFETIME_MS);
    if expired {
        refund.apply(RefundEvent::Expire, now_ms);
    }
}

/// MobilePay's side of a poll at `now_ms`: the first polls of a new refund find it `Initiated`,
/// the next finds it reserved.
pub fn on_poll(refund: &mut Refund, now_ms: f64) {
    refund.polls += 1;
    if refund.polls > REFUND_POLLS_WHILE_INITIATED {
        refund.apply(RefundEvent::Reserve, now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pos::RefundStatus;
    use crate::pos::dto::CurrencyCode;

    fn refund(status: RefundStatus, reserved_virtual_ms: Option<f64>) -> Refund {
        Refund {
            id: "r".into(),
            payment_id: "p".into(),
            refund_order_id: "o".into(),
            amount: 10.0,
            currency_code: CurrencyCode::Dkk,
            status,
            reserved_virtual_ms,
            polls: 0,
            created_in_case: None,
            created_virtual_ms: 0.0,
            created_seq: 1,
        }
    }

    #[test]
    fn polls_find_it_initiated_then_reserved() {
        let mut polled = refund(RefundStatus::Initiated, None);
        let seen: Vec<RefundStatus> = (0..REFUND_POLLS_WHILE_INITIATED + 2)
            .map(|n| {
                on_poll(&mut polled, n as f64);
                polled.status
            })
            .collect();
        let mut expected = vec![RefundStatus::Initiated; REFUND_POLLS_WHILE_INITIATED];
        expected.extend([RefundStatus::Reserved, RefundStatus::Reserved]);
        assert_eq!(seen, expected);
        assert_eq!(
            polled.reserved_virtual_ms,
            Some(REFUND_POLLS_WHILE_INITIATED as f64)
        );
    }

    #[test]
    fn a_poll_never_revives_a_settled_refund() {
        let mut cancelled = refund(RefundStatus::CancelledByClient, None);
        for n in 0..5 {
            on_poll(&mut cancelled, f64::from(n));
        }
        assert_eq!(cancelled.status, RefundStatus::CancelledByClient);
    }

    #[test]
    fn a_reservation_expires_after_exactly_24_hours() {
        let mut reserved = refund(RefundStatus::Reserved, Some(1000.0));
        catch_up(&mut reserved, 1000.0 + RESERVATION_LIFETIME_MS - 1.0);
        assert_eq!(reserved.status, RefundStatus::Reserved);
        catch_up(&mut reserved, 1000.0 + RESERVATION_LIFETIME_MS);
        assert_eq!(reserved.status, RefundStatus::ExpiredAndCaptured);
    }

    #[test]
    fn the_clock_leaves_settled_and_unreserved_refunds_alone() {
        let late = RESERVATION_LIFETIME_MS * 10.0;
        for status in [
            RefundStatus::Captured,
            RefundStatus::CancelledByClient,
            RefundStatus::CancelledByMobilePay,
        ] {
            let mut settled = refund(status, Some(0.0));
            catch_up(&mut settled, late);
            assert_eq!(settled.status, status);
        }
        let mut initiated = refund(RefundStatus::Initiated, None);
        catch_up(&mut initiated, late);
        assert_eq!(initiated.status, RefundStatus::Initiated);
    }
}
