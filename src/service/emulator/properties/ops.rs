//! The operations a generated sequence is made of, and the strategies that generate them. An
//! operation names the PoS, payment, refund or earlier creating call it acts on by a small index
//! into what the sequence has created so far — 0 is the newest, and the index is taken modulo the
//! pool's size; an empty pool gives an unknown id — so a shrunk failure reads as a short story.
//! A sequence is built of pieces: mostly single operations, sometimes a whole checkout, refund or
//! faulted call and its retry, so that random sequences often get as far as refunds.

use proptest::prelude::*;

use crate::catalogue::model::FaultReply;
use crate::pos::{Endpoint, PaymentStatus};

/// An amount of its own, for a new payment or a ready.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Amount {
    /// Whole cents: valid.
    Cents(u32),
    /// 10^17: valid, and beyond what an `i64` of cents holds.
    Huge,
    /// 10.005: three decimals, invalid.
    ThreeDecimals,
    /// 0: invalid.
    Zero,
}

/// An amount relative to what the payment holds: its reservation for a capture, its captured
/// amount for a refund.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Share {
    /// All of it.
    All,
    /// This percentage of it (rounded to a cent, at least one).
    Percent(u8),
    /// One cent more than it.
    Over,
    /// Whole cents, whatever it is.
    Cents(u32),
    /// 10^17.
    Huge,
    /// 1.005: three decimals, invalid.
    ThreeDecimals,
}

/// How much virtual time passes at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Span {
    /// Minutes (a check-in lapses after 5).
    Minutes(u16),
    /// Hours (a reserved refund is captured after 24).
    Hours(u8),
    /// Days (a reservation expires after 7; a payment is refundable for 90).
    Days(u8),
}

impl Span {
    /// The span in virtual milliseconds.
    pub(super) fn ms(self) -> f64 {
        const MINUTE: f64 = 60_000.0;
        match self {
            Span::Minutes(n) => f64::from(n) * MINUTE,
            Span::Hours(n) => f64::from(n) * 60.0 * MINUTE,
            Span::Days(n) => f64::from(n) * 24.0 * 60.0 * MINUTE,
        }
    }
}

/// One step of a sequence. `pos`, `payment`, `refund` and `call` index the pools of PoSes,
/// payments, refunds and creating calls the sequence has made so far, newest first; `user`
/// indexes the sandbox's test users.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Op {
    /// `POST /pointofsales` with merchantPosId `till-{till}`.
    CreatePos { till: u8, pay_first: bool },
    /// `DELETE /pointofsales/{pos}`.
    DeletePos { pos: u8 },
    /// `GET /pointofsales/{pos}/checkin` (the scripted customer's turn).
    GetCheckIn { pos: u8 },
    /// `POST /payments` with orderId `order-{order}`.
    Initiate { pos: u8, order: u8, amount: Amount },
    /// `POST /payments/prepare`.
    Prepare { pos: u8, order: u8 },
    /// `POST /payments/{payment}/ready`.
    Ready { payment: u8, amount: Amount },
    /// `GET /payments/{payment}` (the scripted customer's turn).
    Query { payment: u8 },
    /// `GET /payments?posId=`.
    List { pos: u8 },
    /// `POST /payments/{payment}/capture`.
    Capture { payment: u8, amount: Share },
    /// `POST /payments/{payment}/cancel`.
    Cancel { payment: u8 },
    /// `POST /refunds`.
    Refund { payment: u8, amount: Share },
    /// `GET /refunds/{refund}` (MobilePay's turn).
    GetRefund { refund: u8 },
    /// `POST /refunds/{refund}/capture`.
    CaptureRefund { refund: u8 },
    /// `POST /refunds/{refund}/cancel`.
    CancelRefund { refund: u8 },
    /// The user simulation's check-in at the PoS's beacon.
    CheckIn { pos: u8, user: u8 },
    /// The user simulation's acceptance of the PoS's payment.
    Accept { pos: u8, user: u8 },
    /// The user simulation's check-in and then acceptance: a customer paying at the PoS.
    Pay { pos: u8, user: u8 },
    /// The user simulation's cancel of the PoS's payment.
    UserCancel { pos: u8 },
    /// An earlier creating call again: the same key and body.
    Replay { call: u8 },
    /// An earlier creating call's key with another body: the donor call's endpoint and body, or
    /// (with none) the call's own body with its order id changed.
    ReuseKey { call: u8, donor: Option<u8> },
    /// An earlier creating call's body under a new key.
    NewKey { call: u8 },
    /// The next call of `on` gets `reply`, as a case's fault script would give it.
    Fault { on: Endpoint, reply: FaultReply },
    /// Virtual time passes.
    Advance(Span),
}

/// A generated run: the armed case's scripted customer, if any, and the steps.
#[derive(Debug, Clone)]
pub(super) struct Scenario {
    /// The statuses the scripted customer walks each new payment through, and whether a
    /// reservation allows partial capture.
    pub(super) customer: Option<(Vec<PaymentStatus>, bool)>,
    /// The steps.
    pub(super) ops: Vec<Op>,
}

/// A sandbox test user, as an index into `TEST_USERS`: 0 pays by credit card, 1 by debit card,
/// 4 by a credit card that allows partial capture.
fn user() -> impl Strategy<Value = u8> {
    prop_oneof![2 => Just(0u8), 1 => Just(1u8), 2 => Just(4u8)]
}

/// An index into a pool: mostly the newest.
fn index() -> impl Strategy<Value = u8> {
    prop_oneof![3 => Just(0u8), 1 => 0..6u8]
}

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        6 => (1..=2_000_000u32).prop_map(Amount::Cents),
        1 => Just(Amount::Huge),
        1 => Just(Amount::ThreeDecimals),
        1 => Just(Amount::Zero),
    ]
}

fn share() -> impl Strategy<Value = Share> {
    prop_oneof![
        4 => Just(Share::All),
        3 => (1..=99u8).prop_map(Share::Percent),
        1 => Just(Share::Over),
        1 => (1..=200_000u32).prop_map(Share::Cents),
        2 => Just(Share::Huge),
        1 => Just(Share::ThreeDecimals),
    ]
}

fn span() -> impl Strategy<Value = Span> {
    prop_oneof![
        (1..=30u16).prop_map(Span::Minutes),
        (1..=30u8).prop_map(Span::Hours),
        (1..=8u8).prop_map(Span::Days),
    ]
}

fn fault() -> impl Strategy<Value = Op> {
    let on = prop_oneof![
        Just(Endpoint::CreatePos),
        Just(Endpoint::InitiatePayment),
        Just(Endpoint::PreparePayment),
        Just(Endpoint::PaymentReady),
        Just(Endpoint::CapturePayment),
        Just(Endpoint::CancelPayment),
        Just(Endpoint::CreateRefund),
        Just(Endpoint::CaptureRefund),
        Just(Endpoint::CancelRefund),
    ];
    let reply = prop_oneof![Just(FaultReply::Err500), Just(FaultReply::Hold200)];
    (on, reply).prop_map(|(on, reply)| Op::Fault { on, reply })
}

/// One operation, weighted so payments get far enough to be captured and refunded.
pub(super) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..3u8, any::<bool>()).prop_map(|(till, pay_first)| Op::CreatePos { till, pay_first }),
        1 => index().prop_map(|pos| Op::DeletePos { pos }),
        2 => index().prop_map(|pos| Op::GetCheckIn { pos }),
        4 => (index(), 0..3u8, amount())
            .prop_map(|(pos, order, amount)| Op::Initiate { pos, order, amount }),
        2 => (index(), 0..3u8).prop_map(|(pos, order)| Op::Prepare { pos, order }),
        2 => (index(), amount()).prop_map(|(payment, amount)| Op::Ready { payment, amount }),
        6 => index().prop_map(|payment| Op::Query { payment }),
        1 => index().prop_map(|pos| Op::List { pos }),
        5 => (index(), share()).prop_map(|(payment, amount)| Op::Capture { payment, amount }),
        2 => index().prop_map(|payment| Op::Cancel { payment }),
        4 => (index(), share()).prop_map(|(payment, amount)| Op::Refund { payment, amount }),
        3 => index().prop_map(|refund| Op::GetRefund { refund }),
        2 => index().prop_map(|refund| Op::CaptureRefund { refund }),
        1 => index().prop_map(|refund| Op::CancelRefund { refund }),
        2 => (index(), user()).prop_map(|(pos, user)| Op::CheckIn { pos, user }),
        2 => (index(), user()).prop_map(|(pos, user)| Op::Accept { pos, user }),
        3 => (index(), user()).prop_map(|(pos, user)| Op::Pay { pos, user }),
        1 => index().prop_map(|pos| Op::UserCancel { pos }),
        3 => index().prop_map(|call| Op::Replay { call }),
        2 => (index(), proptest::option::of(index()))
            .prop_map(|(call, donor)| Op::ReuseKey { call, donor }),
        1 => index().prop_map(|call| Op::NewKey { call }),
        2 => fault(),
        3 => span().prop_map(Op::Advance),
    ]
}

fn script_status() -> impl Strategy<Value = PaymentStatus> {
    prop_oneof![
        Just(PaymentStatus::Prepared),
        Just(PaymentStatus::Paired),
        Just(PaymentStatus::Initiated),
        Just(PaymentStatus::IssuedToUser),
        Just(PaymentStatus::Reserved),
        Just(PaymentStatus::CancelledByUser),
        Just(PaymentStatus::CancelledByMobilePay),
        Just(PaymentStatus::ExpiredAndCancelled),
    ]
}

/// A customer script: mostly one that pays, sometimes any walk.
fn script() -> impl Strategy<Value = Vec<PaymentStatus>> {
    use PaymentStatus::*;
    prop_oneof![
        3 => Just(vec![Reserved]),
        1 => Just(vec![Initiated, IssuedToUser, Reserved]),
        1 => Just(vec![Prepared, Paired, IssuedToUser, Reserved]),
        2 => proptest::collection::vec(script_status(), 1..4),
    ]
}

/// A customer buying at the newest PoS: the payment, the customer's check-in and acceptance,
/// and the capture.
fn checkout() -> impl Strategy<Value = Vec<Op>> {
    (0..3u8, amount(), user(), share()).prop_map(|(order, amount, user, share)| {
        vec![
            Op::Initiate {
                pos: 0,
                order,
                amount,
            },
            Op::Pay { pos: 0, user },
            Op::Capture {
                payment: 0,
                amount: share,
            },
        ]
    })
}

/// A customer buying at the newest PoS in the prepared flow: the payment opened before the
/// amount is known, the customer's check-in, the ready, the acceptance and the capture.
fn prepared_checkout() -> impl Strategy<Value = Vec<Op>> {
    (0..3u8, amount(), user(), share()).prop_map(|(order, amount, user, share)| {
        vec![
            Op::Prepare { pos: 0, order },
            Op::CheckIn { pos: 0, user },
            Op::Ready { payment: 0, amount },
            Op::Accept { pos: 0, user },
            Op::Capture {
                payment: 0,
                amount: share,
            },
        ]
    })
}

/// A refund of a payment, polled until MobilePay reserves it, and captured or left to the
/// clock.
fn refund() -> impl Strategy<Value = Vec<Op>> {
    (index(), share(), any::<bool>()).prop_map(|(payment, amount, capture)| {
        let mut ops = vec![Op::Refund { payment, amount }];
        ops.extend([Op::GetRefund { refund: 0 }; 3]);
        if capture {
            ops.push(Op::CaptureRefund { refund: 0 });
        }
        ops
    })
}

/// A creating call that meets a fault, and the client's retry with the same key and body: after
/// an `err500` it is a first call, after a `hold200` (whose answer the client lost) a replay.
fn retried() -> impl Strategy<Value = Vec<Op>> {
    let create = prop_oneof![
        (0..3u8, any::<bool>()).prop_map(|(till, pay_first)| Op::CreatePos { till, pay_first }),
        (0..3u8, amount()).prop_map(|(order, amount)| Op::Initiate {
            pos: 0,
            order,
            amount
        }),
        (0..3u8).prop_map(|order| Op::Prepare { pos: 0, order }),
        (index(), share()).prop_map(|(payment, amount)| Op::Refund { payment, amount }),
    ];
    let reply = prop_oneof![Just(FaultReply::Err500), Just(FaultReply::Hold200)];
    (create, reply).prop_map(|(create, reply)| {
        let on = match create {
            Op::CreatePos { .. } => Endpoint::CreatePos,
            Op::Initiate { .. } => Endpoint::InitiatePayment,
            Op::Prepare { .. } => Endpoint::PreparePayment,
            _ => Endpoint::CreateRefund,
        };
        vec![Op::Fault { on, reply }, create, Op::Replay { call: 0 }]
    })
}

/// A piece of a sequence: mostly one operation, sometimes a whole checkout, refund or retried
/// call, so that sequences often reach captured payments, their refunds and lost answers.
fn chunk() -> impl Strategy<Value = Vec<Op>> {
    prop_oneof![
        8 => op().prop_map(|op| vec![op]),
        2 => checkout(),
        1 => prepared_checkout(),
        2 => refund(),
        1 => retried(),
    ]
}

/// A scenario of up to `max_steps` steps, the first of which creates a PoS (as onboarding
/// does).
pub(super) fn scenario(max_steps: usize) -> impl Strategy<Value = Scenario> {
    let customer = proptest::option::weighted(0.7, (script(), any::<bool>()));
    let first =
        (0..3u8, any::<bool>()).prop_map(|(till, pay_first)| Op::CreatePos { till, pay_first });
    let rest = proptest::collection::vec(chunk(), 4..max_steps * 2 / 3);
    (customer, first, rest).prop_map(move |(customer, first, rest)| Scenario {
        customer,
        ops: std::iter::once(first)
            .chain(rest.into_iter().flatten())
            .take(max_steps)
            .collect(),
    })
}
