//! The PoS v10 error model: every documented error code with its HTTP status and message, and
//! the `ErrorResponse` / `ErrorResponseV2` bodies they travel in.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::constants::MAX_BODY_BYTES;

/// A documented PoS v10 error code (the `code` string of an error body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is named after the documented meaning in `message`
pub enum ErrorCode {
    BadRequest,
    // The next five are `1099` with a message that says what was wrong (inferred: MobilePay
    // documents 1099 as the code of any other bad request).
    UnsupportedContentType,
    MalformedJson,
    QueryParameterNotGuid,
    BodyTooLarge,
    CurrencyNotAccepted,
    VatMissing,
    VatDuplicated,
    VatInvalid,
    ClientNameInvalid,
    VersionMissing,
    VersionDuplicated,
    VersionInvalid,
    VatClaimInvalid,
    Internal,
    PosNotFound,
    PaymentNotFound,
    StoreNotFound,
    RefundNotFound,
    InvalidBeaconId,
    InvalidAmount,
    PaymentFilterTooWide,
    RefundFilterTooWide,
    InvalidMerchantPosId,
    InvalidPosName,
    InvalidCallbackAlias,
    InvalidOrderId,
    InvalidRefundOrderId,
    InvalidPaymentLabel,
    InvalidMerchantBrandId,
    InvalidMerchantLocationId,
    PosFilterTooWide,
    StoreFilterTooWide,
    IdempotencyKeyInvalid,
    IdempotencyKeyDuplicated,
    IdempotencyKeyMissing,
    MerchantPosIdTaken,
    BeaconIdTaken,
    StoreNotActivated,
    PaymentNotCancellable,
    PaymentActive,
    PaymentNotPrepared,
    PaymentNotReserved,
    CaptureAboveReserved,
    CapturedWithOtherAmount,
    PartialCaptureImpossible,
    IdempotencyKeyReused,
    RefundNotReserved,
    RefundNotCancellable,
    PaymentNotCaptured,
    RefundCurrencyMismatch,
    PaymentTooOld,
    RefundAmountTooHigh,
    StoreBalanceTooLow,
    PosOfOtherIntegrator,
    PaymentOfOtherIntegrator,
    RefundOfOtherIntegrator,
    StoreOfOtherMerchant,
    ReadyOfOtherMerchant,
    CaptureOfOtherMerchant,
    CancelOfOtherMerchant,
    DeletePosOfOtherMerchant,
    GetPosOfOtherMerchant,
    GetPaymentOfOtherMerchant,
}

impl ErrorCode {
    /// Every documented error code, in declaration order.
    pub const ALL: [ErrorCode; 64] = [
        ErrorCode::BadRequest,
        ErrorCode::UnsupportedContentType,
        ErrorCode::MalformedJson,
        ErrorCode::QueryParameterNotGuid,
        ErrorCode::BodyTooLarge,
        ErrorCode::CurrencyNotAccepted,
        ErrorCode::VatMissing,
        ErrorCode::VatDuplicated,
        ErrorCode::VatInvalid,
        ErrorCode::ClientNameInvalid,
        ErrorCode::VersionMissing,
        ErrorCode::VersionDuplicated,
        ErrorCode::VersionInvalid,
        ErrorCode::VatClaimInvalid,
        ErrorCode::Internal,
        ErrorCode::PosNotFound,
        ErrorCode::PaymentNotFound,
        ErrorCode::StoreNotFound,
        ErrorCode::RefundNotFound,
        ErrorCode::InvalidBeaconId,
        ErrorCode::InvalidAmount,
        ErrorCode::PaymentFilterTooWide,
        ErrorCode::RefundFilterTooWide,
        ErrorCode::InvalidMerchantPosId,
        ErrorCode::InvalidPosName,
        ErrorCode::InvalidCallbackAlias,
        ErrorCode::InvalidOrderId,
        ErrorCode::InvalidRefundOrderId,
        ErrorCode::InvalidPaymentLabel,
        ErrorCode::InvalidMerchantBrandId,
        ErrorCode::InvalidMerchantLocationId,
        ErrorCode::PosFilterTooWide,
        ErrorCode::StoreFilterTooWide,
        ErrorCode::IdempotencyKeyInvalid,
        ErrorCode::IdempotencyKeyDuplicated,
        ErrorCode::IdempotencyKeyMissing,
        ErrorCode::MerchantPosIdTaken,
        ErrorCode::BeaconIdTaken,
        ErrorCode::StoreNotActivated,
        ErrorCode::PaymentNotCancellable,
        ErrorCode::PaymentActive,
        ErrorCode::PaymentNotPrepared,
        ErrorCode::PaymentNotReserved,
        ErrorCode::CaptureAboveReserved,
        ErrorCode::CapturedWithOtherAmount,
        ErrorCode::PartialCaptureImpossible,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::RefundNotReserved,
        ErrorCode::RefundNotCancellable,
        ErrorCode::PaymentNotCaptured,
        ErrorCode::RefundCurrencyMismatch,
        ErrorCode::PaymentTooOld,
        ErrorCode::RefundAmountTooHigh,
        ErrorCode::StoreBalanceTooLow,
        ErrorCode::PosOfOtherIntegrator,
        ErrorCode::PaymentOfOtherIntegrator,
        ErrorCode::RefundOfOtherIntegrator,
        ErrorCode::StoreOfOtherMerchant,
        ErrorCode::ReadyOfOtherMerchant,
        ErrorCode::CaptureOfOtherMerchant,
        ErrorCode::CancelOfOtherMerchant,
        ErrorCode::DeletePosOfOtherMerchant,
        ErrorCode::GetPosOfOtherMerchant,
        ErrorCode::GetPaymentOfOtherMerchant,
    ];

    /// The code string sent on the wire.
    pub fn code(self) -> &'static str {
        self.info().0
    }

    /// The HTTP status this code is sent with.
    pub fn status(self) -> u16 {
        self.info().1
    }

    /// The human message sent with the code.
    pub fn message(self) -> Cow<'static, str> {
        match self {
            // The limit is a named constant, so the message is composed from it.
            ErrorCode::BodyTooLarge => Cow::Owned(format!(
                "The request body is larger than the limit of {MAX_BODY_BYTES} bytes"
            )),
            _ => Cow::Borrowed(self.info().2),
        }
    }

    fn info(self) -> (&'static str, u16, &'static str) {
        use ErrorCode::*;
        match self {
            BadRequest => ("1099", 400, "The request is invalid"),
            UnsupportedContentType => (
                "1099",
                400,
                "The Content-Type must be application/json, application/json-patch+json, text/json or application/*+json",
            ),
            MalformedJson => ("1099", 400, "The request body is not valid JSON"),
            QueryParameterNotGuid => (
                "1099",
                400,
                "A query parameter that must be a GUID (posId, storeId, paymentId) is not one",
            ),
            BodyTooLarge => ("1099", 400, "The request body is too large"),
            CurrencyNotAccepted => (
                "1099",
                400,
                "The currency is not accepted by the store of the point of sale",
            ),
            VatMissing => ("1151", 400, "The merchant VAT number header is missing"),
            VatDuplicated => ("1155", 400, "The merchant VAT number header is duplicated"),
            VatInvalid => ("1159", 400, "The merchant VAT number header is invalid"),
            ClientNameInvalid => ("1160", 400, "The client system name header is invalid"),
            VersionMissing => ("1153", 400, "The client system version header is missing"),
            VersionDuplicated => (
                "1157",
                400,
                "The client system version header is duplicated",
            ),
            VersionInvalid => ("1161", 400, "The client system version header is invalid"),
            VatClaimInvalid => (
                "1182",
                400,
                "The merchant_vat claim of the token is invalid",
            ),
            Internal => ("2000", 500, "Internal server error"),
            PosNotFound => ("1000", 409, "Point of sale not found"),
            PaymentNotFound => ("1001", 409, "Payment not found"),
            StoreNotFound => ("1002", 409, "Store not found"),
            RefundNotFound => ("1004", 404, "Refund not found"),
            InvalidBeaconId => ("1100", 400, "Invalid beaconId"),
            InvalidAmount => ("1102", 400, "Invalid amount"),
            PaymentFilterTooWide => ("1109", 400, "Payment filter is not specific enough"),
            RefundFilterTooWide => ("1110", 400, "Refund filter is not specific enough"),
            InvalidMerchantPosId => ("1111", 400, "Invalid merchantPosId"),
            InvalidPosName => ("1112", 400, "Invalid point of sale name"),
            InvalidCallbackAlias => ("1116", 400, "Invalid callbackAlias"),
            InvalidOrderId => ("1113", 400, "Invalid orderId"),
            InvalidRefundOrderId => ("1114", 400, "Invalid refundOrderId"),
            InvalidPaymentLabel => ("1117", 400, "Invalid merchantPaymentLabel"),
            InvalidMerchantBrandId => ("1119", 400, "Invalid merchantBrandId"),
            InvalidMerchantLocationId => ("1120", 400, "Invalid merchantLocationId"),
            PosFilterTooWide => ("1121", 400, "Point of sale filter is not specific enough"),
            StoreFilterTooWide => ("1122", 400, "Store filter is not specific enough"),
            IdempotencyKeyInvalid => ("1162", 400, "The idempotency key header is invalid"),
            IdempotencyKeyDuplicated => ("1163", 400, "The idempotency key header is duplicated"),
            IdempotencyKeyMissing => ("1164", 400, "The idempotency key header is missing"),
            MerchantPosIdTaken => (
                "1200",
                409,
                "A point of sale with that merchantPosId exists",
            ),
            BeaconIdTaken => ("1202", 409, "A point of sale with that beaconId exists"),
            StoreNotActivated => (
                "1204",
                409,
                "The store of the point of sale is not activated",
            ),
            PaymentNotCancellable => (
                "1300",
                409,
                "The payment cannot be cancelled in its current state",
            ),
            PaymentActive => (
                "1301",
                409,
                "A payment is already active. Cancel it before starting a new one",
            ),
            PaymentNotPrepared => (
                "1303",
                409,
                "The payment must be prepared before it can be readied",
            ),
            PaymentNotReserved => ("1304", 409, "The payment is not reserved"),
            CaptureAboveReserved => (
                "1305",
                409,
                "The capture amount is above the reserved amount",
            ),
            CapturedWithOtherAmount => (
                "1307",
                409,
                "The payment was already captured with another amount",
            ),
            PartialCaptureImpossible => ("1308", 409, "Partial capture is not possible"),
            IdempotencyKeyReused => (
                "1306",
                409,
                "The idempotency key was already used for a different request",
            ),
            RefundNotReserved => ("1351", 409, "The refund is not reserved"),
            RefundNotCancellable => (
                "1352",
                409,
                "The refund cannot be cancelled in its current state",
            ),
            PaymentNotCaptured => ("1354", 409, "The payment is not captured"),
            RefundCurrencyMismatch => (
                "1365",
                409,
                "The refund currency differs from the payment's",
            ),
            PaymentTooOld => ("1366", 409, "The payment is too old to be refunded"),
            RefundAmountTooHigh => ("1367", 409, "The refund amount is too high"),
            StoreBalanceTooLow => ("1368", 409, "The store's balance is too low"),
            // 1400 also answers a payment on another merchant's PoS, 1401 a refund of another
            // merchant's payment and 1402 another merchant's refund, for which no codes of their
            // own are documented (inferred), so the messages name both.
            PosOfOtherIntegrator => (
                "1400",
                403,
                "The point of sale belongs to another integrator or merchant",
            ),
            PaymentOfOtherIntegrator => (
                "1401",
                403,
                "The payment belongs to another integrator or merchant",
            ),
            RefundOfOtherIntegrator => (
                "1402",
                403,
                "The refund belongs to another integrator or merchant",
            ),
            StoreOfOtherMerchant => ("1403", 403, "The store does not belong to the merchant"),
            ReadyOfOtherMerchant => (
                "1406",
                403,
                "The payment was made on behalf of another merchant",
            ),
            CaptureOfOtherMerchant => (
                "1407",
                403,
                "The payment was made on behalf of another merchant",
            ),
            CancelOfOtherMerchant => (
                "1408",
                403,
                "The payment was made on behalf of another merchant",
            ),
            DeletePosOfOtherMerchant => (
                "1409",
                403,
                "The point of sale was made on behalf of another merchant",
            ),
            GetPosOfOtherMerchant => (
                "1410",
                403,
                "The point of sale was made on behalf of another merchant",
            ),
            GetPaymentOfOtherMerchant => (
                "1411",
                403,
                "The payment was made on behalf of another merchant",
            ),
        }
    }
}

/// An error answer of the PoS v10 API: a status with an optional coded body.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400/403/404/409/500 with a coded body.
    Coded(ErrorCode),
    /// 401 without a body.
    Unauthorized,
    /// 404 without a body (a path resource is missing).
    NotFound,
}

impl ApiError {
    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Coded(code) => code.status(),
            ApiError::Unauthorized => 401,
            ApiError::NotFound => 404,
        }
    }

    /// The JSON body of the answer, if it has one; `with_origin` adds `origin: "PoS"` as the
    /// refund endpoints' `ErrorResponseV2` does.
    pub fn body(&self, correlation_id: &str, with_origin: bool) -> Option<ErrorBody> {
        match self {
            ApiError::Coded(code) => Some(ErrorBody {
                code: Some(code.code().to_string()),
                message: Some(code.message().to_string()),
                correlation_id: Some(correlation_id.to_string()),
                origin: with_origin.then(|| "PoS".to_string()),
            }),
            ApiError::Unauthorized | ApiError::NotFound => None,
        }
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::Coded(code)
    }
}

/// `ErrorResponse` (and, with `origin`, `ErrorResponseV2`) of the OpenAPI document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorBody {
    /// The error code, a string such as `"1301"`.
    pub code: Option<String>,
    /// A human message.
    pub message: Option<String>,
    /// Correlation id to quote to support.
    pub correlation_id: Option<String>,
    /// `"PoS"` on refund endpoints.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub origin: Option<String>,
}

#[cfg(test)]
mod tests {

    /// Fails to compile when a variant is added without a place in [`ErrorCode::ALL`].
    fn position(code: ErrorCode) -> usize {
        match code {
            ErrorCode::BadRequest => 0,
            ErrorCode::UnsupportedContentType => 1,
            ErrorCode::MalformedJson => 2,
            ErrorCode::QueryParameterNotGuid => 3,
            ErrorCode::BodyTooLarge => 4,
            ErrorCode::CurrencyNotAccepted => 5,
            ErrorCode::VatMissing => 6,
            ErrorCode::VatDuplicated => 7,
            ErrorCode::VatInvalid => 8,
            ErrorCode::ClientNameInvalid => 9,
            ErrorCode::VersionMissing => 10,
            ErrorCode::VersionDuplicated => 11,
            ErrorCode::VersionInvalid => 12,
            ErrorCode::VatClaimInvalid => 13,
            ErrorCode::Internal => 14,
            ErrorCode::PosNotFound => 15,
            ErrorCode::PaymentNotFound => 16,
            ErrorCode::StoreNotFound => 17,
            ErrorCode::RefundNotFound => 18,
            ErrorCode::InvalidBeaconId => 19,
            ErrorCode::InvalidAmount => 20,
            ErrorCode::PaymentFilterTooWide => 21,
            ErrorCode::RefundFilterTooWide => 22,
            ErrorCode::InvalidMerchantPosId => 23,
            ErrorCode::InvalidPosName => 24,
            ErrorCode::InvalidCallbackAlias => 25,
            ErrorCode::InvalidOrderId => 26,
            ErrorCode::InvalidRefundOrderId => 27,
            ErrorCode::InvalidPaymentLabel => 28,
            ErrorCode::InvalidMerchantBrandId => 29,
            ErrorCode::InvalidMerchantLocationId => 30,
            ErrorCode::PosFilterTooWide => 31,
            ErrorCode::StoreFilterTooWide => 32,
            ErrorCode::IdempotencyKeyInvalid => 33,
            ErrorCode::IdempotencyKeyDuplicated => 34,
            ErrorCode::IdempotencyKeyMissing => 35,
            ErrorCode::MerchantPosIdTaken => 36,
            ErrorCode::BeaconIdTaken => 37,
            ErrorCode::StoreNotActivated => 38,
            ErrorCode::PaymentNotCancellable => 39,
            ErrorCode::PaymentActive => 40,
            ErrorCode::PaymentNotPrepared => 41,
            ErrorCode::PaymentNotReserved => 42,
            ErrorCode::CaptureAboveReserved => 43,
            ErrorCode::CapturedWithOtherAmount => 44,
            ErrorCode::PartialCaptureImpossible => 45,
            ErrorCode::IdempotencyKeyReused => 46,
            ErrorCode::RefundNotReserved => 47,
            ErrorCode::RefundNotCancellable => 48,
            ErrorCode::PaymentNotCaptured => 49,
            ErrorCode::RefundCurrencyMismatch => 50,
            ErrorCode::PaymentTooOld => 51,
            ErrorCode::RefundAmountTooHigh => 52,
            ErrorCode::StoreBalanceTooLow => 53,
            ErrorCode::PosOfOtherIntegrator => 54,
            ErrorCode::PaymentOfOtherIntegrator => 55,
            ErrorCode::RefundOfOtherIntegrator => 56,
            ErrorCode::StoreOfOtherMerchant => 57,
            ErrorCode::ReadyOfOtherMerchant => 58,
            ErrorCode::CaptureOfOtherMerchant => 59,
            ErrorCode::CancelOfOtherMerchant => 60,
            ErrorCode::DeletePosOfOtherMerchant => 61,
            ErrorCode::GetPosOfOtherMerchant => 62,
            ErrorCode::GetPaymentOfOtherMerchant => 63,
        }
    }

    #[test]
    fn all_lists_every_variant_once_in_order() {
        for (index, code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(position(*code), index, "{code:?}");
        }
    }
    use super::*;

    #[test]
    fn active_payment_conflict_is_409_1301() {
        assert_eq!(ErrorCode::PaymentActive.code(), "1301");
        assert_eq!(ErrorCode::PaymentActive.status(), 409);
        assert_eq!(ErrorCode::RefundNotFound.status(), 404);
    }

    #[test]
    fn body_uses_spec_field_names() {
        let body = ApiError::Coded(ErrorCode::IdempotencyKeyReused)
            .body("c0ffee", false)
            .map(|b| serde_json::to_value(b).ok());
        let json = body.flatten().unwrap_or_default();
        assert_eq!(json["code"], "1306");
        assert_eq!(json["correlationId"], "c0ffee");
        assert!(json.get("origin").is_none());
        assert!(ApiError::Unauthorized.body("x", false).is_none());
    }

    #[test]
    fn the_body_limit_message_names_the_limit() {
        let body = ApiError::Coded(ErrorCode::BodyTooLarge).body("c", false);
        let message = body.and_then(|b| b.message).unwrap_or_default();
        assert!(message.contains(&MAX_BODY_BYTES.to_string()), "{message}");
        assert_eq!(ErrorCode::BodyTooLarge.code(), "1099");
        assert_eq!(ErrorCode::BodyTooLarge.status(), 400);
    }
}
