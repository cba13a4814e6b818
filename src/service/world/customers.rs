//! The customers of a session's world: who is checked in at which PoS waiting for a payment, and
//! which customer each payment was paired with or issued to. The emulator's `checkin` module owns
//! the rules that move customers between the two (a payment created at a PoS where someone waits
//! takes that customer; a check-in waits only so long).

use std::collections::BTreeMap;

/// A customer checked in at a PoS: who, and what the check-in tells the client.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    /// The test user's phone number.
    pub phone_number: String,
    /// The token the client may use to recognise the customer.
    pub customer_token: String,
    /// The customer's receipt token (empty: none).
    pub customer_receipt_token: String,
    /// The customer's loyalty ids (empty: not enrolled).
    pub loyalty_ids: Vec<String>,
    /// Virtual milliseconds at check-in.
    pub at_virtual_ms: f64,
}

/// Where the customers of a session are.
#[derive(Debug, Default)]
pub struct Customers {
    /// Check-ins waiting for a payment, by PoS id.
    pub waiting: BTreeMap<String, CheckIn>,
    /// The customer each payment was paired with or issued to, by payment id.
    pub of_payment: BTreeMap<String, CheckIn>,
}
