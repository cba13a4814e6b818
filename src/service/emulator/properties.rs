//! Property-based tests of the emulated PoS v10 API. Random sequences of operations (`ops`) —
//! the client's calls on points of sale, payments (initiated and prepared) and refunds, the
//! customer's check-in, acceptance and cancel through the user simulation and the armed case's
//! scripted customer, injected `err500` and `hold200` faults, retries with the same key and
//! body, with the same key and another body and with a new key, and jumps of the virtual clock
//! across the 24 h refund auto-capture and the 7-day reservation expiry — run through the
//! service's synchronous pipeline on one session (`harness`). Each answer is checked as it comes
//! (no 5xx but an injected one, a replay byte-identical to the first answer, another body under a
//! bound key 409 `1306`), and after every step the session's world is checked here: at most one
//! active payment per PoS, captured ≤ reserved, the refunds not cancelled within the captured
//! amount and within the store's refund balance, terminal payments and refunds never changing,
//! and exactly the keys of successful creating calls bound. `PROPTEST_CASES` overrides the
//! number of cases.

mod harness;
mod ops;
mod requests;

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::pos::constants::STORE_REFUND_BALANCE;
use crate::pos::{PaymentStatus, RefundStatus};

use harness::Harness;

/// Cases run by default: enough to reach refunds of captured payments often, few enough that
/// `cargo test` stays quick on two cores.
const DEFAULT_CASES: u32 = 128;
/// The longest sequence generated.
const MAX_STEPS: usize = 40;

fn config() -> ProptestConfig {
    let cases = match std::env::var("PROPTEST_CASES") {
        Ok(_) => ProptestConfig::default().cases,
        Err(_) => DEFAULT_CASES,
    };
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// An amount in whole cents, wide enough for any sum of the amounts the sequences use.
fn cents(amount: f64) -> i128 {
    (amount * 100.0).round() as i128
}

/// What the shadow remembers of a payment or refund once it is terminal.
#[derive(Debug, Clone, PartialEq)]
enum Final {
    Payment(PaymentStatus, Option<f64>),
    Refund(RefundStatus, f64),
}

/// The world's invariants after a step. `finals` is the shadow of every terminal state seen.
fn check_world(
    harness: &Harness,
    finals: &mut BTreeMap<String, Final>,
) -> Result<(), TestCaseError> {
    let world = harness.session.world();
    let mut active: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for payment in world.payments.values() {
        if payment.status.is_active() {
            active.entry(&payment.pos_id).or_default().push(&payment.id);
        }
        if let Some(captured) = payment.captured_amount {
            let reserved = payment.amount.map_or(0, cents);
            prop_assert!(
                cents(captured) <= reserved,
                "payment {} captured {captured} of {:?}",
                payment.id,
                payment.amount
            );
        }
        let now = Final::Payment(payment.status, payment.captured_amount);
        check_final(finals, &payment.id, now, payment.status.is_terminal())?;
    }
    for (pos, payments) in active {
        prop_assert!(payments.len() <= 1, "PoS {pos} has active {payments:?}");
    }
    let mut refunded: BTreeMap<&str, i128> = BTreeMap::new();
    let mut drawn: BTreeMap<(Option<&str>, String), i128> = BTreeMap::new();
    for refund in world.refunds.values() {
        let now = Final::Refund(refund.status, refund.amount);
        check_final(finals, &refund.id, now, refund.status.is_terminal())?;
        if refund.status.is_cancelled() {
            continue;
        }
        let payment = world.payments.get(&refund.payment_id);
        prop_assert!(
            payment.is_some_and(|p| p.status == PaymentStatus::Captured),
            "refund {} of a payment not captured: {payment:?}",
            refund.id
        );
        let store = payment
            .and_then(|p| world.points_of_sale.get(&p.pos_id))
            .map(|pos| pos.store_id.as_str());
        let currency = format!("{:?}", refund.currency_code);
        *refunded.entry(&refund.payment_id).or_default() += cents(refund.amount);
        *drawn.entry((store, currency)).or_default() += cents(refund.amount);
    }
    for (payment_id, sum) in refunded {
        let captured = world
            .payments
            .get(payment_id)
            .and_then(|p| p.captured_amount.or(p.amount))
            .map_or(0, cents);
        prop_assert!(
            sum <= captured,
            "payment {payment_id}: {sum} cents refunded of {captured}"
        );
    }
    for (store, sum) in drawn {
        prop_assert!(
            sum <= cents(STORE_REFUND_BALANCE),
            "store {store:?}: {sum} cents refunded, over the balance"
        );
    }
    let bound: Vec<(&String, String)> = world
        .idempotency
        .iter()
        .map(|(key, record)| (key, record.answer.to_string()))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    let expected: Vec<(&String, String)> = harness
        .bound
        .iter()
        .map(|(key, binding)| (key, binding.answer.clone()))
        .collect();
    prop_assert_eq!(bound, expected, "bound idempotency keys");
    Ok(())
}

/// A resource seen terminal keeps that state (and amount) for good.
fn check_final(
    finals: &mut BTreeMap<String, Final>,
    id: &str,
    now: Final,
    terminal: bool,
) -> Result<(), TestCaseError> {
    match finals.get(id) {
        Some(before) => prop_assert_eq!(before, &now, "{} left its terminal state", id),
        None if terminal => {
            finals.insert(id.to_string(), now);
        }
        None => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_sequences_keep_the_invariants(scenario in ops::scenario(MAX_STEPS)) {
        let mut harness = Harness::new(&scenario)?;
        let mut finals = BTreeMap::new();
        for op in &scenario.ops {
            harness.step(op)?;
            check_world(&harness, &mut finals)?;
        }
    }
}
