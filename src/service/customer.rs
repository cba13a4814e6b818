//! The simulated customer of an armed case: each poll of a payment started during the case
//! moves it one scripted step along the real state machine, as a person in the app would.

use super::world::Payment;

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
    use crate::pos::PaymentStatus;
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
