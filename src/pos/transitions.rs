//! The payment state machines of PoS v10 as one transition table (domain reference §6.1, the
//! initiated flow, and §6.2, the prepared flow): every (state, event) pair that moves a payment,
//! the state it moves to, and who causes the event — the client, the customer in the app,
//! MobilePay, or the clock. A payment starts `Initiated` or `Prepared`; a customer already checked
//! in at the PoS is the `CheckIn` event applied at once. Terminal states have no way out, by
//! construction of the table. The emulator's handlers and the simulated customer move payments
//! only through [`next`], so no handler can invent a transition the documentation does not draw.

use std::collections::{BTreeSet, VecDeque};

use super::PaymentStatus;
use super::PaymentStatus::*;

/// Who causes an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The integrator's client, through the PoS API.
    Client,
    /// The customer, in the MobilePay app.
    Customer,
    /// MobilePay's backend.
    MobilePay,
    /// Time passing without anyone acting.
    Clock,
}

/// Something that happens to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PaymentEvent {
    /// The client marks a prepared payment ready with its amount (`POST /payments/{id}/ready`).
    Ready,
    /// The client cancels (`POST /payments/{id}/cancel`).
    ClientCancel,
    /// The client captures the reservation (`POST /payments/{id}/capture`).
    Capture,
    /// A customer checks in at the PoS, or was checked in when the payment was created.
    CheckIn,
    /// The customer accepts and MobilePay reserves the amount.
    Accept,
    /// The customer cancels in the app.
    UserCancel,
    /// MobilePay gives up: the reservation on the card or account failed.
    MobilePayCancel,
    /// Nobody acted on an active payment for too long.
    Inactivity,
    /// A reservation was neither captured nor cancelled within seven days.
    ReservationExpiry,
}

impl PaymentEvent {
    /// Who causes the event.
    pub fn actor(self) -> Actor {
        match self {
            PaymentEvent::Ready | PaymentEvent::ClientCancel | PaymentEvent::Capture => {
                Actor::Client
            }
            PaymentEvent::CheckIn | PaymentEvent::Accept | PaymentEvent::UserCancel => {
                Actor::Customer
            }
            PaymentEvent::MobilePayCancel => Actor::MobilePay,
            PaymentEvent::Inactivity | PaymentEvent::ReservationExpiry => Actor::Clock,
        }
    }
}

/// How a payment comes into being.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStart {
    /// `POST /payments`: with an amount, ready for the customer.
    Initiate,
    /// `POST /payments/prepare`: without an amount, waiting for `ready`.
    Prepare,
}

impl PaymentStart {
    /// The state a new payment is in before anything else happens to it.
    pub fn status(self) -> PaymentStatus {
        match self {
            PaymentStart::Initiate => Initiated,
            PaymentStart::Prepare => Prepared,
        }
    }
}

/// One arrow of the state diagrams: in `from`, `event` moves a payment to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: PaymentStatus,
    /// What happens.
    pub event: PaymentEvent,
    /// The state after.
    pub to: PaymentStatus,
}

const fn arrow(from: PaymentStatus, event: PaymentEvent, to: PaymentStatus) -> Transition {
    Transition { from, event, to }
}

/// Every transition of §6.1 and §6.2. The order is the documents' and decides nothing.
pub const TRANSITIONS: &[Transition] = &[
    // §6.2, the prepared flow.
    arrow(Prepared, PaymentEvent::CheckIn, Paired),
    arrow(Prepared, PaymentEvent::Ready, Initiated),
    arrow(Prepared, PaymentEvent::ClientCancel, CancelledByClient),
    arrow(
        Prepared,
        PaymentEvent::MobilePayCancel,
        CancelledByMobilePay,
    ),
    arrow(Prepared, PaymentEvent::Inactivity, CancelledByMobilePay),
    arrow(Paired, PaymentEvent::Ready, IssuedToUser),
    arrow(Paired, PaymentEvent::UserCancel, CancelledByUser),
    arrow(Paired, PaymentEvent::ClientCancel, CancelledByClient),
    arrow(Paired, PaymentEvent::MobilePayCancel, CancelledByMobilePay),
    // Not drawn in the diagram; inferred like the other active states' timeouts.
    arrow(Paired, PaymentEvent::Inactivity, CancelledByMobilePay),
    // §6.1, the initiated flow.
    arrow(Initiated, PaymentEvent::CheckIn, IssuedToUser),
    arrow(Initiated, PaymentEvent::ClientCancel, CancelledByClient),
    arrow(
        Initiated,
        PaymentEvent::MobilePayCancel,
        CancelledByMobilePay,
    ),
    arrow(Initiated, PaymentEvent::Inactivity, CancelledByMobilePay),
    arrow(IssuedToUser, PaymentEvent::Accept, Reserved),
    arrow(IssuedToUser, PaymentEvent::UserCancel, CancelledByUser),
    arrow(IssuedToUser, PaymentEvent::ClientCancel, CancelledByClient),
    arrow(
        IssuedToUser,
        PaymentEvent::MobilePayCancel,
        CancelledByMobilePay,
    ),
    arrow(IssuedToUser, PaymentEvent::Inactivity, CancelledByMobilePay),
    arrow(Reserved, PaymentEvent::Capture, Captured),
    arrow(Reserved, PaymentEvent::ClientCancel, CancelledByClient),
    arrow(
        Reserved,
        PaymentEvent::ReservationExpiry,
        ExpiredAndCancelled,
    ),
];

/// The state `event` moves a payment in `from` to, or `None` when the event cannot happen there.
pub fn next(from: PaymentStatus, event: PaymentEvent) -> Option<PaymentStatus> {
    TRANSITIONS
        .iter()
        .find(|t| t.from == from && t.event == event)
        .map(|t| t.to)
}

/// The first arrow of a shortest way from `from` to `target` over the arrows `usable` allows,
/// or `None` when `target` is `from` or cannot be reached that way.
fn first_step_towards(
    from: PaymentStatus,
    target: PaymentStatus,
    usable: impl Fn(&Transition) -> bool,
) -> Option<Transition> {
    let mut seen = BTreeSet::from([from]);
    let mut queue: VecDeque<(PaymentStatus, Transition)> = TRANSITIONS
        .iter()
        .filter(|t| t.from == from && usable(t))
        .map(|t| (t.to, *t))
        .collect();
    while let Some((at, first)) = queue.pop_front() {
        if at == target {
            return Some(first);
        }
        if !seen.insert(at) {
            continue;
        }
        queue.extend(
            TRANSITIONS
                .iter()
                .filter(|t| t.from == at && usable(t))
                .map(|t| (t.to, first)),
        );
    }
    None
}

/// The next arrow on a shortest way from `from` to `target` that nobody but the customer,
/// MobilePay or the clock has to take (how a scripted customer walks a payment), or `None` when
/// `target` is `from` or needs the client somewhere on the way.
pub fn step_without_client(from: PaymentStatus, target: PaymentStatus) -> Option<Transition> {
    first_step_towards(from, target, |t| t.event.actor() != Actor::Client)
}

/// Whether `target` can still be reached from `from` by anyone's events.
pub fn reachable(from: PaymentStatus, target: PaymentStatus) -> bool {
    from == target || first_step_towards(from, target, |_| true).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_never_change() {
        for status in PaymentStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            assert!(
                TRANSITIONS.iter().all(|t| t.from != status),
                "{status} has a way out"
            );
        }
    }

    #[test]
    fn every_non_terminal_state_has_a_way_out_and_each_pair_one_arrow() {
        for status in PaymentStatus::ALL.into_iter().filter(|s| !s.is_terminal()) {
            assert!(TRANSITIONS.iter().any(|t| t.from == status), "{status}");
        }
        for (i, a) in TRANSITIONS.iter().enumerate() {
            for b in &TRANSITIONS[i + 1..] {
                assert!(
                    (a.from, a.event) != (b.from, b.event),
                    "{a:?} and {b:?} disagree"
                );
            }
        }
    }

    #[test]
    fn a_payment_starts_in_the_flow_its_call_names() {
        assert_eq!(PaymentStart::Initiate.status(), Initiated);
        assert_eq!(PaymentStart::Prepare.status(), Prepared);
    }

    #[test]
    fn the_prepared_flow_is_the_documented_one() {
        use PaymentEvent::*;
        assert_eq!(next(Prepared, CheckIn), Some(Paired));
        assert_eq!(next(Paired, Ready), Some(IssuedToUser));
        assert_eq!(next(Prepared, Ready), Some(Initiated));
        assert_eq!(next(Paired, UserCancel), Some(CancelledByUser));
        assert_eq!(next(Paired, ClientCancel), Some(CancelledByClient));
        assert_eq!(next(Prepared, MobilePayCancel), Some(CancelledByMobilePay));
        assert_eq!(next(Prepared, UserCancel), None, "nobody is checked in");
        assert_eq!(next(Paired, Accept), None, "there is no amount yet");
        for status in [Initiated, IssuedToUser, Reserved, Captured, CancelledByUser] {
            assert_eq!(next(status, Ready), None, "ready in {status}");
        }
    }

    #[test]
    fn the_initiated_flow_is_the_documented_one() {
        use PaymentEvent::*;
        assert_eq!(next(Initiated, CheckIn), Some(IssuedToUser));
        assert_eq!(next(IssuedToUser, Accept), Some(Reserved));
        assert_eq!(next(IssuedToUser, UserCancel), Some(CancelledByUser));
        assert_eq!(next(Initiated, UserCancel), None, "the user never saw it");
        assert_eq!(next(Reserved, Capture), Some(Captured));
        assert_eq!(next(Reserved, ClientCancel), Some(CancelledByClient));
        assert_eq!(next(Reserved, ReservationExpiry), Some(ExpiredAndCancelled));
        assert_eq!(next(Reserved, UserCancel), None, "the customer may leave");
        assert_eq!(next(Initiated, Inactivity), Some(CancelledByMobilePay));
        for status in PaymentStatus::ALL.into_iter().filter(|s| *s != Reserved) {
            assert_eq!(next(status, Capture), None, "capture in {status}");
        }
    }

    #[test]
    fn the_client_cancels_every_active_payment_and_a_reservation() {
        for status in PaymentStatus::ALL {
            let cancellable = status.is_active() || status == Reserved;
            assert_eq!(
                next(status, PaymentEvent::ClientCancel).is_some(),
                cancellable,
                "{status}"
            );
        }
    }

    #[test]
    fn each_event_has_the_documented_actor() {
        use PaymentEvent::*;
        for (event, actor) in [
            (Ready, Actor::Client),
            (ClientCancel, Actor::Client),
            (Capture, Actor::Client),
            (CheckIn, Actor::Customer),
            (Accept, Actor::Customer),
            (UserCancel, Actor::Customer),
            (MobilePayCancel, Actor::MobilePay),
            (Inactivity, Actor::Clock),
            (ReservationExpiry, Actor::Clock),
        ] {
            assert_eq!(event.actor(), actor, "{event:?}");
        }
    }

    #[test]
    fn the_customer_walks_initiated_to_reserved_through_issued() {
        let step = |from, to| step_without_client(from, to).map(|t| t.to);
        assert_eq!(step(Initiated, Reserved), Some(IssuedToUser));
        assert_eq!(step(IssuedToUser, Reserved), Some(Reserved));
        assert_eq!(step(Reserved, Reserved), None);
        assert_eq!(step(CancelledByClient, Reserved), None);
        assert_eq!(
            step(Initiated, CancelledByMobilePay),
            Some(CancelledByMobilePay)
        );
        assert_eq!(
            step(Reserved, ExpiredAndCancelled),
            Some(ExpiredAndCancelled)
        );
    }

    #[test]
    fn the_customer_pairs_a_prepared_payment_but_never_readies_it() {
        let step = |from, to| step_without_client(from, to).map(|t| (t.event, t.to));
        assert_eq!(
            step(Prepared, Paired),
            Some((PaymentEvent::CheckIn, Paired))
        );
        assert_eq!(
            step(Prepared, CancelledByUser),
            Some((PaymentEvent::CheckIn, Paired))
        );
        assert_eq!(step(Paired, IssuedToUser), None, "ready is the client's");
        assert_eq!(step(Prepared, Initiated), None);
        assert_eq!(step(Paired, Reserved), None);
    }

    #[test]
    fn reachability_counts_everyone_and_never_leaves_a_terminal_state() {
        assert!(reachable(Paired, Reserved));
        assert!(reachable(Prepared, Initiated));
        assert!(reachable(Reserved, Reserved));
        assert!(!reachable(IssuedToUser, Initiated));
        assert!(!reachable(Reserved, IssuedToUser));
        assert!(!reachable(CancelledByClient, Reserved));
    }
}
