//! Payment states of the PoS v10 state machine and which of them are active or terminal; the
//! transitions between them are the table in [`super::transitions`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// The `status` of a payment, exactly as the OpenAPI enum spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PaymentStatus {
    /// Prepared without an amount; active.
    Prepared,
    /// Initiated, waiting for a customer; active.
    Initiated,
    /// A customer checked in on a prepared payment; active.
    Paired,
    /// Shown to the customer in the app; active.
    IssuedToUser,
    /// The amount is reserved; must be captured or cancelled.
    Reserved,
    /// The customer cancelled; terminal.
    CancelledByUser,
    /// The client cancelled; terminal.
    CancelledByClient,
    /// MobilePay cancelled (timeout, failed reservation, restriction); terminal.
    CancelledByMobilePay,
    /// Reserved for seven days without capture or cancel; terminal.
    ExpiredAndCancelled,
    /// Captured; terminal and refundable.
    Captured,
}

impl PaymentStatus {
    /// Every status, in the order of the OpenAPI enum.
    pub const ALL: [PaymentStatus; 10] = [
        PaymentStatus::Prepared,
        PaymentStatus::Initiated,
        PaymentStatus::Paired,
        PaymentStatus::IssuedToUser,
        PaymentStatus::Reserved,
        PaymentStatus::CancelledByUser,
        PaymentStatus::CancelledByClient,
        PaymentStatus::CancelledByMobilePay,
        PaymentStatus::ExpiredAndCancelled,
        PaymentStatus::Captured,
    ];

    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Prepared => "Prepared",
            PaymentStatus::Initiated => "Initiated",
            PaymentStatus::Paired => "Paired",
            PaymentStatus::IssuedToUser => "IssuedToUser",
            PaymentStatus::Reserved => "Reserved",
            PaymentStatus::CancelledByUser => "CancelledByUser",
            PaymentStatus::CancelledByClient => "CancelledByClient",
            PaymentStatus::CancelledByMobilePay => "CancelledByMobilePay",
            PaymentStatus::ExpiredAndCancelled => "ExpiredAndCancelled",
            PaymentStatus::Captured => "Captured",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the payment blocks a new payment on its PoS (409 `1301`).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            PaymentStatus::Prepared
                | PaymentStatus::Initiated
                | PaymentStatus::Paired
                | PaymentStatus::IssuedToUser
        )
    }

    /// Whether no further transition is possible.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            PaymentStatus::CancelledByUser
                | PaymentStatus::CancelledByClient
                | PaymentStatus::CancelledByMobilePay
                | PaymentStatus::ExpiredAndCancelled
                | PaymentStatus::Captured
        )
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for status in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(PaymentStatus::parse("CanceledByUser"), None);
    }

    #[test]
    fn active_and_terminal_are_disjoint_and_reserved_is_neither() {
        for status in PaymentStatus::ALL {
            assert!(!(status.is_active() && status.is_terminal()));
        }
        assert!(!PaymentStatus::Reserved.is_active());
        assert!(!PaymentStatus::Reserved.is_terminal());
    }
}
