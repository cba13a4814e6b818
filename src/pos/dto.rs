//! Request and response bodies of PoS v10, field for field as the OpenAPI document defines them
//! (`additionalProperties: false` becomes `deny_unknown_fields`). Optional response fields whose
//! *absence* carries meaning (`partialCapturePossible`, `loyaltyIds`, `customerReceiptToken`) are
//! skipped when `None` rather than sent as `null`.

use serde::{Deserialize, Serialize};

use super::PaymentStatus;

mod refunds;
pub use refunds::{
    CreateRefundRequest, CreateRefundResponse, GetRefundResponse, QueryRefundIdsResponse,
};

/// A beacon type a PoS supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BeaconType {
    /// A QR code shown or printed at the till.
    #[serde(rename = "QR")]
    Qr,
    /// An NFC tag.
    #[serde(rename = "NFC")]
    Nfc,
    /// A Bluetooth beacon.
    Bluetooth,
}

/// The currency of a payment or refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CurrencyCode {
    /// Danish kroner.
    #[serde(rename = "DKK")]
    Dkk,
    /// Euro.
    #[serde(rename = "EUR")]
    Eur,
}

impl CurrencyCode {
    /// The ISO 4217 code, as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CurrencyCode::Dkk => "DKK",
            CurrencyCode::Eur => "EUR",
        }
    }
}

/// When the merchant expects to capture a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlannedCaptureDelay {
    /// Captured right away.
    None,
    /// Captured within a day.
    LessThan24Hours,
    /// Captured within two weeks.
    LessThan14Days,
}

/// `PaymentRestrictions`: card types the customer may not pay with. Read from a JSON object only
/// (serde would read a struct from an array too, which the document's schema does not allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    try_from = "serde_json::Map<String, serde_json::Value>"
)]
pub struct PaymentRestrictions {
    /// Debit cards are not allowed.
    pub debit_card_disallowed: Option<bool>,
    /// Credit cards are not allowed.
    pub credit_card_disallowed: Option<bool>,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for PaymentRestrictions {
    type Error = serde_json::Error;

    fn try_from(object: serde_json::Map<String, serde_json::Value>) -> Result<Self, Self::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Fields {
            #[serde(default)]
            debit_card_disallowed: Option<bool>,
            #[serde(default)]
            credit_card_disallowed: Option<bool>,
        }
        let fields: Fields = serde_json::from_value(serde_json::Value::Object(object))?;
        Ok(PaymentRestrictions {
            debit_card_disallowed: fields.debit_card_disallowed,
            credit_card_disallowed: fields.credit_card_disallowed,
        })
    }
}

/// `CreatePosRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePosRequest {
    /// The merchant's own id of the PoS.
    pub merchant_pos_id: String,
    /// The store the PoS belongs to.
    pub store_id: String,
    /// The name shown in the app.
    pub name: String,
    /// The beacon id; `None` lets MobilePay generate one.
    #[serde(default)]
    pub beacon_id: Option<String>,
    /// Key of a whitelisted notification URL.
    #[serde(default)]
    pub callback_alias: Option<String>,
    /// Beacon types the PoS supports.
    pub supported_beacon_types: Vec<BeaconType>,
    /// No check-in until a payment exists on the PoS.
    #[serde(default)]
    pub require_payment_before_checkin: Option<bool>,
}

/// `CreatePosResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePosResponse {
    /// The new PoS.
    pub pos_id: String,
}

/// `PosResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PosResponse {
    /// The PoS id.
    pub pos_id: String,
    /// The merchant's own id of the PoS.
    pub merchant_pos_id: String,
    /// The store the PoS belongs to.
    pub store_id: String,
    /// The name shown in the app.
    pub name: String,
    /// The beacon id.
    pub beacon_id: String,
    /// Key of a whitelisted notification URL.
    pub callback_alias: Option<String>,
    /// Beacon types the PoS supports.
    pub supported_beacon_types: Vec<BeaconType>,
    /// No check-in until a payment exists on the PoS.
    pub require_payment_before_checkin: bool,
}

/// `PosIdsResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PosIdsResponse {
    /// Matching PoS ids.
    pub pos_ids: Vec<String>,
}

/// `StoreResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreResponse {
    /// Store name.
    pub store_name: String,
    /// Store id.
    pub store_id: String,
    /// Street.
    pub store_street: String,
    /// Zip code.
    pub store_zip_code: String,
    /// City.
    pub store_city: String,
    /// Brand name.
    pub brand_name: String,
    /// Merchant brand id.
    pub merchant_brand_id: String,
    /// Merchant location id.
    pub merchant_location_id: String,
}

/// `StoreIdsResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreIdsResponse {
    /// Matching store ids.
    pub store_ids: Vec<String>,
}

/// `InitiatePaymentRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InitiatePaymentRequest {
    /// The PoS to pay at.
    pub pos_id: String,
    /// The merchant's order id.
    pub order_id: String,
    /// The amount.
    pub amount: f64,
    /// The currency.
    pub currency_code: CurrencyCode,
    /// Card restrictions, `None` for none.
    #[serde(default)]
    pub restrictions: Option<PaymentRestrictions>,
    /// Label shown in portal reporting.
    #[serde(default)]
    pub merchant_payment_label: Option<String>,
    /// When the merchant expects to capture.
    pub planned_capture_delay: PlannedCaptureDelay,
}

/// `PaymentInitiatedResponse` (also the answer of prepare).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentInitiatedResponse {
    /// The new payment.
    pub payment_id: String,
}

/// `PaymentCaptureRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentCaptureRequest {
    /// The amount to capture.
    pub amount: f64,
}

/// `QueryPaymentIdsResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryPaymentIdsResponse {
    /// Matching payment ids.
    pub payment_ids: Vec<String>,
}

/// `QueryPaymentResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryPaymentResponse {
    /// The payment.
    pub payment_id: String,
    /// Its PoS.
    pub pos_id: String,
    /// The merchant's order id.
    pub order_id: String,
    /// The amount; `None` until a prepared payment is readied.
    #[serde(default)]
    pub amount: Option<f64>,
    /// The currency.
    #[serde(default)]
    pub currency_code: Option<CurrencyCode>,
    /// Card restrictions.
    #[serde(default)]
    pub restrictions: Option<PaymentRestrictions>,
    /// Label shown in portal reporting.
    #[serde(default)]
    pub merchant_payment_label: Option<String>,
    /// When the merchant expects to capture.
    #[serde(default)]
    pub planned_capture_delay: Option<PlannedCaptureDelay>,
    /// The current state.
    pub status: PaymentStatus,
    /// The customer's token, once checked in.
    #[serde(default)]
    pub customer_token: Option<String>,
    /// Absent: not looked up yet; empty: the customer has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_receipt_token: Option<String>,
    /// Absent: not looked up yet; empty: the customer has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty_ids: Option<Vec<String>>,
    /// When the reservation expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_expires_at: Option<String>,
    /// Present only in `Reserved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_capture_possible: Option<bool>,
    /// How long to wait before the next poll.
    pub poll_delay_in_ms: u32,
}

mod prepared;
pub use prepared::{GetCheckInResponse, PaymentReadyRequest, PreparePaymentRequest};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused() {
        let body = r#"{"amount":1,"calibrationType":3}"#;
        assert!(serde_json::from_str::<PaymentCaptureRequest>(body).is_err());
    }

    #[test]
    fn restrictions_are_an_object_of_two_nullable_flags() {
        let parse = serde_json::from_str::<PaymentRestrictions>;
        let both = parse(r#"{"debitCardDisallowed":true,"creditCardDisallowed":null}"#);
        assert_eq!(
            both.ok(),
            Some(PaymentRestrictions {
                debit_card_disallowed: Some(true),
                credit_card_disallowed: None,
            })
        );
        assert_eq!(parse("{}").ok(), Some(PaymentRestrictions::default()));
        for refused in [
            "[true,false]",
            r#"{"userMinimumAge":18}"#,
            r#"{"debitCardDisallowed":"yes"}"#,
            "true",
        ] {
            assert!(parse(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn partial_capture_flag_is_absent_unless_set() {
        let response = QueryPaymentResponse {
            payment_id: "p".into(),
            pos_id: "s".into(),
            order_id: "o".into(),
            amount: Some(100.0),
            currency_code: Some(CurrencyCode::Dkk),
            restrictions: None,
            merchant_payment_label: None,
            planned_capture_delay: Some(PlannedCaptureDelay::None),
            status: PaymentStatus::Initiated,
            customer_token: None,
            customer_receipt_token: None,
            loyalty_ids: None,
            payment_expires_at: None,
            partial_capture_possible: None,
            poll_delay_in_ms: 1000,
        };
        let json = serde_json::to_value(&response).unwrap_or_default();
        assert!(json.get("partialCapturePossible").is_none());
        assert_eq!(json["pollDelayInMs"], 1000);
        assert_eq!(json["currencyCode"], "DKK");
    }
}
