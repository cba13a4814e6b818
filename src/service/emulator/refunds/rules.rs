//! The rules a new refund must meet (domain reference §3.4, §4, §6.4), in the order the answers
//! are given: the body's fields (400), then the payment it refunds: it exists (409 `1001`), is
//! the caller's merchant's (403 `1401`, as `scope` decides), is captured (409 `1354`) in the
//! refund's currency (`1365`) no more than 90 days ago (`1366`), the refunds of the payment that
//! are not cancelled stay within the captured amount (`1367`), and the store's balance covers
//! the refund (`1368`). Amounts are compared in whole cents as `i128`, exact below 10^36 and
//! saturating beyond, so no sum overflows: an amount has no documented upper bound, and one
//! whose cents saturate still exceeds the store's balance.

use crate::pos::constants::STORE_REFUND_BALANCE;
use crate::pos::dto::CreateRefundRequest;
use crate::pos::{ErrorCode, PaymentStatus, validate};
use crate::service::emulator::scope::{self, Caller};
use crate::service::world::{Payment, World};

/// A captured payment can be refunded for 90 days (documented; older docs said 30).
pub const REFUND_WINDOW_MS: f64 = 90.0 * 24.0 * 3600.0 * 1000.0;

/// An amount in whole cents (amounts have at most two decimals once validated), saturating at
/// `i128::MAX`.
fn cents(amount: f64) -> i128 {
    (amount * 100.0).round() as i128
}

/// Checks `body`, sent by `caller`, against the world at virtual time `now_ms`; returns the
/// refunded payment's id as the world keys it.
pub fn check_create(
    world: &World,
    caller: &Caller<'_>,
    body: &CreateRefundRequest,
    now_ms: f64,
) -> Result<String, ErrorCode> {
    if !validate::is_guid(&body.payment_id) {
        return Err(ErrorCode::BadRequest);
    }
    // A refundOrderId follows the orderId rule (inferred).
    if !validate::is_valid_text(&body.refund_order_id, 1, 36) {
        return Err(ErrorCode::InvalidRefundOrderId);
    }
    if !validate::is_valid_amount(body.amount) {
        return Err(ErrorCode::InvalidAmount);
    }
    let payment_id = body.payment_id.to_ascii_lowercase();
    let payment = world
        .payments
        .get(&payment_id)
        .ok_or(ErrorCode::PaymentNotFound)?;
    if !scope::owns_payment(world, caller, payment) {
        return Err(ErrorCode::PaymentOfOtherIntegrator);
    }
    if payment.status != PaymentStatus::Captured {
        return Err(ErrorCode::PaymentNotCaptured);
    }
    if payment.currency_code != Some(body.currency_code) {
        return Err(ErrorCode::RefundCurrencyMismatch);
    }
    // A payment that became Captured without a capture call (a seeded one) counts from its
    // creation, the earliest it can have been captured.
    let captured_at = world
        .captured_virtual_ms
        .get(&payment_id)
        .copied()
        .unwrap_or(payment.created_virtual_ms);
    if now_ms - captured_at > REFUND_WINDOW_MS {
        return Err(ErrorCode::PaymentTooOld);
    }
    let amount = cents(body.amount);
    let captured = cents(
        payment
            .captured_amount
            .or(payment.amount)
            .unwrap_or_default(),
    );
    if refunded(world, |p| p.id == payment_id).saturating_add(amount) > captured {
        return Err(ErrorCode::RefundAmountTooHigh);
    }
    // The store's balance is held per currency; every refund not cancelled draws on it.
    let store = store_of(world, payment);
    let in_balance =
        |p: &Payment| p.currency_code == Some(body.currency_code) && store_of(world, p) == store;
    if refunded(world, in_balance).saturating_add(amount) > cents(STORE_REFUND_BALANCE) {
        return Err(ErrorCode::StoreBalanceTooLow);
    }
    Ok(payment_id)
}

/// The store a payment was made in.
fn store_of<'a>(world: &'a World, payment: &Payment) -> Option<&'a str> {
    world
        .points_of_sale
        .get(&payment.pos_id)
        .map(|pos| pos.store_id.as_str())
}

/// Cents of every refund that is not cancelled, of the payments `of` picks.
fn refunded(world: &World, of: impl Fn(&Payment) -> bool) -> i128 {
    world
        .refunds
        .values()
        .filter(|r| !r.status.is_cancelled())
        .filter(|r| world.payments.get(&r.payment_id).is_some_and(&of))
        .map(|r| cents(r.amount))
        .fold(0, i128::saturating_add)
}
