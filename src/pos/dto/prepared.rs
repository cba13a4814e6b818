//! The bodies of the prepared flow and of the check-in it waits for, field for field as the
//! OpenAPI document defines them: `PreparePaymentRequest` (a payment without an amount),
//! `PaymentReadyRequest` (the amount and the rest, later), and `GetCheckInResponse` (who is
//! checked in at a PoS). As in the rest of the DTOs, `loyaltyIds` and `customerReceiptToken` are
//! left out rather than sent as `null` when nobody has looked them up.

use serde::{Deserialize, Serialize};

use super::{CurrencyCode, PaymentRestrictions, PlannedCaptureDelay};

/// `PreparePaymentRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreparePaymentRequest {
    /// The PoS to pay at.
    pub pos_id: String,
    /// The merchant's order id.
    pub order_id: String,
}

/// `PaymentReadyRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentReadyRequest {
    /// The currency.
    pub currency_code: CurrencyCode,
    /// The amount.
    pub amount: f64,
    /// Card restrictions, `None` for none.
    #[serde(default)]
    pub restrictions: Option<PaymentRestrictions>,
    /// Label shown in portal reporting.
    #[serde(default)]
    pub merchant_payment_label: Option<String>,
    /// When the merchant expects to capture.
    pub planned_capture_delay: PlannedCaptureDelay,
}

/// `GetCheckInResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetCheckInResponse {
    /// Whether a customer is checked in at the PoS.
    pub is_user_checked_in: bool,
    /// Absent: not looked up yet; empty: the customer has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty_ids: Option<Vec<String>>,
    /// How long to wait before the next poll.
    pub poll_delay_in_ms: u32,
    /// The checked-in customer's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_token: Option<String>,
    /// Absent: not looked up yet; empty: the customer has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_receipt_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_body_needs_amount_currency_and_capture_delay() {
        let full = r#"{"currencyCode":"DKK","amount":89.5,"restrictions":null,"merchantPaymentLabel":null,"plannedCaptureDelay":"LessThan24Hours"}"#;
        assert!(serde_json::from_str::<PaymentReadyRequest>(full).is_ok());
        let minimal = r#"{"currencyCode":"EUR","amount":1,"plannedCaptureDelay":"None"}"#;
        assert!(serde_json::from_str::<PaymentReadyRequest>(minimal).is_ok());
        let no_delay = r#"{"currencyCode":"DKK","amount":1}"#;
        assert!(serde_json::from_str::<PaymentReadyRequest>(no_delay).is_err());
        let with_pos =
            r#"{"posId":"p","currencyCode":"DKK","amount":1,"plannedCaptureDelay":"None"}"#;
        assert!(serde_json::from_str::<PaymentReadyRequest>(with_pos).is_err());
    }

    #[test]
    fn nobody_checked_in_is_two_fields() {
        let answer = GetCheckInResponse {
            is_user_checked_in: false,
            loyalty_ids: None,
            poll_delay_in_ms: 1000,
            customer_token: None,
            customer_receipt_token: None,
        };
        let json = serde_json::to_value(&answer).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"isUserCheckedIn": false, "pollDelayInMs": 1000})
        );
    }
}
