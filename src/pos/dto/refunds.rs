//! The refund bodies of PoS v10, field for field as the OpenAPI document names them:
//! `CreateRefundRequest`, `CreateRefundResponse`, `GetRefundResponse` and
//! `QueryRefundIdsResponse`. Every field is required there, so none is optional here.

use serde::{Deserialize, Serialize};

use super::CurrencyCode;
use crate::pos::RefundStatus;

/// `CreateRefundRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRefundRequest {
    /// The captured payment to refund.
    pub payment_id: String,
    /// The merchant's id of the refund.
    pub refund_order_id: String,
    /// The amount to refund.
    pub amount: f64,
    /// The currency, the payment's own.
    pub currency_code: CurrencyCode,
}

/// `CreateRefundResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRefundResponse {
    /// The new refund.
    pub refund_id: String,
}

/// `GetRefundResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetRefundResponse {
    /// The refund.
    pub refund_id: String,
    /// The payment it refunds.
    pub payment_id: String,
    /// The merchant's id of the refund.
    pub refund_order_id: String,
    /// The amount.
    pub amount: f64,
    /// The currency.
    pub currency_code: CurrencyCode,
    /// The current state.
    pub status: RefundStatus,
    /// How long to wait before the next poll.
    pub poll_delay_in_ms: u32,
}

/// `QueryRefundIdsResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryRefundIdsResponse {
    /// The refunds of the payment asked for.
    pub refund_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_need_every_field_and_nothing_else() {
        let complete =
            r#"{"paymentId":"p","refundOrderId":"r","amount":12.5,"currencyCode":"DKK"}"#;
        assert!(serde_json::from_str::<CreateRefundRequest>(complete).is_ok());
        let missing = r#"{"paymentId":"p","amount":12.5,"currencyCode":"DKK"}"#;
        assert!(serde_json::from_str::<CreateRefundRequest>(missing).is_err());
        let extra =
            r#"{"paymentId":"p","refundOrderId":"r","amount":1,"currencyCode":"DKK","x":1}"#;
        assert!(serde_json::from_str::<CreateRefundRequest>(extra).is_err());
        let currency = r#"{"paymentId":"p","refundOrderId":"r","amount":1,"currencyCode":"SEK"}"#;
        assert!(serde_json::from_str::<CreateRefundRequest>(currency).is_err());
    }

    #[test]
    fn the_refund_answer_uses_the_document_names() {
        let response = GetRefundResponse {
            refund_id: "r".into(),
            payment_id: "p".into(),
            refund_order_id: "o".into(),
            amount: 12.5,
            currency_code: CurrencyCode::Eur,
            status: RefundStatus::ExpiredAndCaptured,
            poll_delay_in_ms: 100,
        };
        let json = serde_json::to_value(&response).unwrap_or_default();
        let mut names: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "amount",
                "currencyCode",
                "paymentId",
                "pollDelayInMs",
                "refundId",
                "refundOrderId",
                "status"
            ]
        );
        assert_eq!(json["status"], "ExpiredAndCaptured");
        assert_eq!(json["currencyCode"], "EUR");
    }
}
