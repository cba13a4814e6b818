//! Refund states of the PoS v10 state machine (domain reference §6.3) and the machine itself as a
//! transition table: which event moves a refund from which state to which, and who may cause it
//! (the client, MobilePay or the clock). Terminal states have no outgoing row.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The `status` of a refund, exactly as the OpenAPI `RefundState` enum spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RefundStatus {
    /// Created; MobilePay has not reserved it yet.
    Initiated,
    /// Reserved; must be captured or cancelled, else it is captured automatically after 24 h.
    Reserved,
    /// Captured by the client: the money is sent; terminal.
    Captured,
    /// Cancelled by the client; terminal.
    CancelledByClient,
    /// Cancelled by MobilePay after an error; terminal.
    CancelledByMobilePay,
    /// Reserved for 24 h untouched and then captured by MobilePay; terminal.
    ExpiredAndCaptured,
}

/// Something that happens to a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundEvent {
    /// MobilePay reserves the refund.
    Reserve,
    /// MobilePay fails to process the refund.
    Fail,
    /// The client calls `POST /refunds/{id}/cancel`.
    Cancel,
    /// The client calls `POST /refunds/{id}/capture`.
    Capture,
    /// 24 h pass while the refund is reserved.
    Expire,
}

/// Who causes a refund event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundActor {
    /// The client under test, through the API.
    Client,
    /// MobilePay's backend.
    MobilePay,
    /// Time passing on the session's clock.
    Clock,
}

impl RefundEvent {
    /// Who causes the event.
    pub fn actor(self) -> RefundActor {
        match self {
            RefundEvent::Reserve | RefundEvent::Fail => RefundActor::MobilePay,
            RefundEvent::Cancel | RefundEvent::Capture => RefundActor::Client,
            RefundEvent::Expire => RefundActor::Clock,
        }
    }
}

/// The refund state machine of §6.3: (from, event, to). A pair without a row is refused.
pub const REFUND_TRANSITIONS: [(RefundStatus, RefundEvent, RefundStatus); 6] = [
    (
        RefundStatus::Initiated,
        RefundEvent::Reserve,
        RefundStatus::Reserved,
    ),
    (
        RefundStatus::Initiated,
        RefundEvent::Fail,
        RefundStatus::CancelledByMobilePay,
    ),
    (
        RefundStatus::Initiated,
        RefundEvent::Cancel,
        RefundStatus::CancelledByClient,
    ),
    (
        RefundStatus::Reserved,
        RefundEvent::Cancel,
        RefundStatus::CancelledByClient,
    ),
    (
        RefundStatus::Reserved,
        RefundEvent::Capture,
        RefundStatus::Captured,
    ),
    (
        RefundStatus::Reserved,
        RefundEvent::Expire,
        RefundStatus::ExpiredAndCaptured,
    ),
];

impl RefundStatus {
    /// Every status, in the order of the OpenAPI enum.
    pub const ALL: [RefundStatus; 6] = [
        RefundStatus::Initiated,
        RefundStatus::Reserved,
        RefundStatus::Captured,
        RefundStatus::CancelledByClient,
        RefundStatus::CancelledByMobilePay,
        RefundStatus::ExpiredAndCaptured,
    ];

    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Initiated => "Initiated",
            RefundStatus::Reserved => "Reserved",
            RefundStatus::Captured => "Captured",
            RefundStatus::CancelledByClient => "CancelledByClient",
            RefundStatus::CancelledByMobilePay => "CancelledByMobilePay",
            RefundStatus::ExpiredAndCaptured => "ExpiredAndCaptured",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<RefundStatus> {
        RefundStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The state `event` moves a refund in this state to, or `None` when the machine has no
    /// such transition.
    pub fn after(self, event: RefundEvent) -> Option<RefundStatus> {
        REFUND_TRANSITIONS
            .iter()
            .find(|(from, on, _)| *from == self && *on == event)
            .map(|(_, _, to)| *to)
    }

    /// Whether no further transition is possible.
    pub fn is_terminal(self) -> bool {
        !REFUND_TRANSITIONS.iter().any(|(from, _, _)| *from == self)
    }

    /// Whether the refund was cancelled, so its amount no longer counts against the payment.
    pub fn is_cancelled(self) -> bool {
        matches!(
            self,
            RefundStatus::CancelledByClient | RefundStatus::CancelledByMobilePay
        )
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::RefundEvent::*;
    use super::RefundStatus::*;
    use super::*;

    const EVENTS: [RefundEvent; 5] = [Reserve, Fail, Cancel, Capture, Expire];

    #[test]
    fn names_round_trip_and_match_the_wire() {
        for status in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse(status.as_str()), Some(status));
            let wire = serde_json::to_value(status).unwrap_or_default();
            assert_eq!(wire, status.as_str());
        }
        assert_eq!(RefundStatus::parse("ExpiredAndCancelled"), None);
    }

    #[test]
    fn terminal_states_never_change() {
        let terminal = [
            Captured,
            CancelledByClient,
            CancelledByMobilePay,
            ExpiredAndCaptured,
        ];
        for status in RefundStatus::ALL {
            assert_eq!(status.is_terminal(), terminal.contains(&status), "{status}");
        }
        for status in terminal {
            for event in EVENTS {
                assert_eq!(status.after(event), None, "{status} on {event:?}");
            }
        }
    }

    #[test]
    fn the_table_is_section_6_3() {
        let moves: Vec<(RefundStatus, RefundEvent, Option<RefundStatus>)> = RefundStatus::ALL
            .into_iter()
            .flat_map(|s| EVENTS.into_iter().map(move |e| (s, e, s.after(e))))
            .filter(|(_, _, to)| to.is_some())
            .collect();
        assert_eq!(
            moves,
            vec![
                (Initiated, Reserve, Some(Reserved)),
                (Initiated, Fail, Some(CancelledByMobilePay)),
                (Initiated, Cancel, Some(CancelledByClient)),
                (Reserved, Cancel, Some(CancelledByClient)),
                (Reserved, Capture, Some(Captured)),
                (Reserved, Expire, Some(ExpiredAndCaptured)),
            ]
        );
    }

    #[test]
    fn capture_needs_a_reservation_and_only_the_client_settles() {
        assert_eq!(Initiated.after(Capture), None);
        assert_eq!(Initiated.after(Expire), None);
        assert_eq!(Reserved.after(Reserve), None);
        assert_eq!(Capture.actor(), RefundActor::Client);
        assert_eq!(Cancel.actor(), RefundActor::Client);
        assert_eq!(Reserve.actor(), RefundActor::MobilePay);
        assert_eq!(Fail.actor(), RefundActor::MobilePay);
        assert_eq!(Expire.actor(), RefundActor::Clock);
    }

    #[test]
    fn only_cancelled_refunds_stop_counting() {
        let cancelled: Vec<RefundStatus> = RefundStatus::ALL
            .into_iter()
            .filter(|s| s.is_cancelled())
            .collect();
        assert_eq!(cancelled, vec![CancelledByClient, CancelledByMobilePay]);
    }
}
