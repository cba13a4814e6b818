//! The simulated customer of an armed case: each poll of a payment started during the case
//! moves it one scripted step along the real state machine, as a person in the app would, or
//! (for a script entry that is only shown) answers a status the payment is not in.

use crate::catalogue::model::ScriptedStatus;
use crate::pos::PaymentStatus;
use crate::pos::transitions::{PaymentEvent, reachable, step_without_client};

use super::world::Payment;

/// What a poll did to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PollEffect {
    /// The customer checked in.
    pub checked_in: bool,
    /// The answer shows this status instead of the payment's own.
    pub shown: Option<PaymentStatus>,
}

/// Moves a polled payment along its customer script: the n-th poll aims at the n-th scripted
/// status (the last repeats), walking the state machine through the customer's, MobilePay's and
/// the clock's events only. The customer is never ahead of the client: a status that needs the
/// client first (the `ready` of a prepared payment, say) waits for it, and the poll does not use
/// up that scripted status. A status nobody can reach any more (the client cancelled, say) is
/// passed over and leaves the payment where it is. A shown-only entry is used up by the poll
/// that shows it (while the payment is active; a terminal payment shows its own state).
pub fn advance_on_poll(payment: &mut Payment) -> PollEffect {
    let Some(script) = payment.customer.as_ref() else {
        return PollEffect::default();
    };
    let Some(entry) = script.get(payment.polls).or_else(|| script.last()).copied() else {
        return PollEffect::default();
    };
    let target = match entry {
        ScriptedStatus::Reach(target) => target,
        ScriptedStatus::Shown { shown } => {
            payment.polls += 1;
            let shown = payment.status.is_active().then_some(shown);
            return PollEffect {
                checked_in: false,
                shown,
            };
        }
    };
    let mut checked_in = false;
    while let Some(step) = step_without_client(payment.status, target) {
        checked_in |= step.event == PaymentEvent::CheckIn;
        payment.status = step.to;
    }
    let waits_for_client = payment.status != target && reachable(payment.status, target);
    if !waits_for_client {
        payment.polls += 1;
    }
    PollEffect {
        checked_in,
        shown: None,
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
            customer: Some(script.into_iter().map(ScriptedStatus::from).collect()),
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

    #[test]
    fn a_prepared_payment_waits_for_ready_without_using_up_the_script() {
        let mut payment = scripted(vec![Prepared, Paired, IssuedToUser, Reserved]);
        payment.status = Prepared;
        let mut seen = Vec::new();
        for _ in 0..4 {
            advance_on_poll(&mut payment);
            seen.push(payment.status);
        }
        assert_eq!(seen, vec![Prepared, Paired, Paired, Paired]);
        payment.status = IssuedToUser;
        advance_on_poll(&mut payment);
        assert_eq!(payment.status, IssuedToUser);
        advance_on_poll(&mut payment);
        assert_eq!(payment.status, Reserved);
    }

    #[test]
    fn a_payment_readied_before_check_in_shows_initiated_first() {
        let mut payment = scripted(vec![Initiated, IssuedToUser, Reserved]);
        payment.status = Prepared;
        advance_on_poll(&mut payment);
        assert_eq!(payment.status, Prepared, "the customer waits for ready");
        payment.status = Initiated;
        let seen: Vec<PaymentStatus> = (0..3)
            .map(|_| {
                advance_on_poll(&mut payment);
                payment.status
            })
            .collect();
        assert_eq!(seen, vec![Initiated, IssuedToUser, Reserved]);
    }

    #[test]
    fn a_payment_ahead_of_its_script_passes_the_past_over() {
        let mut payment = scripted(vec![Initiated, IssuedToUser, Reserved]);
        payment.status = IssuedToUser;
        let seen: Vec<PaymentStatus> = (0..3)
            .map(|_| {
                advance_on_poll(&mut payment);
                payment.status
            })
            .collect();
        assert_eq!(seen, vec![IssuedToUser, IssuedToUser, Reserved]);
    }

    #[test]
    fn the_poll_says_when_the_customer_checked_in() {
        let mut payment = scripted(vec![Prepared, Paired]);
        payment.status = Prepared;
        assert!(!advance_on_poll(&mut payment).checked_in);
        assert!(advance_on_poll(&mut payment).checked_in);
        assert!(!advance_on_poll(&mut payment).checked_in);
    }

    #[test]
    fn a_shown_status_is_answered_once_without_moving_the_payment() {
        let mut payment = scripted(vec![Initiated, IssuedToUser, Reserved]);
        if let Some(script) = payment.customer.as_mut() {
            script.insert(1, ScriptedStatus::Shown { shown: Paired });
        }
        let answered: Vec<PaymentStatus> = (0..4)
            .map(|_| {
                let effect = advance_on_poll(&mut payment);
                effect.shown.unwrap_or(payment.status)
            })
            .collect();
        assert_eq!(answered, vec![Initiated, Paired, IssuedToUser, Reserved]);
    }

    #[test]
    fn a_terminal_payment_shows_its_own_state() {
        let mut payment = scripted(vec![Initiated]);
        if let Some(script) = payment.customer.as_mut() {
            script.push(ScriptedStatus::Shown { shown: Paired });
        }
        advance_on_poll(&mut payment);
        payment.status = CancelledByClient;
        assert_eq!(advance_on_poll(&mut payment).shown, None);
    }
}
