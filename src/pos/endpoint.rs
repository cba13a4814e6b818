//! The PoS v10 endpoints: their method and path template as the OpenAPI document writes them
//! (relative to `/pos/v10`), how a concrete request maps to one, and the properties the conduct
//! rules need (which take an idempotency key, which are polled, which time-out applies).

use std::fmt;

/// One operation of the PoS v10 API, named after its OpenAPI `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)] // the variants are the OpenAPI operationIds
pub enum Endpoint {
    GetStores,
    GetStore,
    GetDetailedStores,
    CreatePos,
    GetPosWithFilter,
    GetPos,
    DeletePos,
    GetCheckIn,
    InitiatePayment,
    PreparePayment,
    PaymentReady,
    QueryPayment,
    QueryPaymentIds,
    CapturePayment,
    CancelPayment,
    CreateRefund,
    GetRefund,
    QueryRefundIds,
    CaptureRefund,
    CancelRefund,
}

impl Endpoint {
    /// Every endpoint, in the order of the domain reference.
    pub const ALL: [Endpoint; 20] = [
        Endpoint::GetStores,
        Endpoint::GetStore,
        Endpoint::GetDetailedStores,
        Endpoint::CreatePos,
        Endpoint::GetPosWithFilter,
        Endpoint::GetPos,
        Endpoint::DeletePos,
        Endpoint::GetCheckIn,
        Endpoint::InitiatePayment,
        Endpoint::PreparePayment,
        Endpoint::PaymentReady,
        Endpoint::QueryPayment,
        Endpoint::QueryPaymentIds,
        Endpoint::CapturePayment,
        Endpoint::CancelPayment,
        Endpoint::CreateRefund,
        Endpoint::GetRefund,
        Endpoint::QueryRefundIds,
        Endpoint::CaptureRefund,
        Endpoint::CancelRefund,
    ];

    /// HTTP method and path template below `/pos/v10`, as in the OpenAPI document.
    pub fn route(self) -> (&'static str, &'static str) {
        use Endpoint::*;
        match self {
            GetStores => ("GET", "/stores"),
            GetStore => ("GET", "/stores/{storeid}"),
            GetDetailedStores => ("GET", "/stores/detailed"),
            CreatePos => ("POST", "/pointofsales"),
            GetPosWithFilter => ("GET", "/pointofsales"),
            GetPos => ("GET", "/pointofsales/{posid}"),
            DeletePos => ("DELETE", "/pointofsales/{posid}"),
            GetCheckIn => ("GET", "/pointofsales/{posid}/checkin"),
            InitiatePayment => ("POST", "/payments"),
            PreparePayment => ("POST", "/payments/prepare"),
            PaymentReady => ("POST", "/payments/{paymentid}/ready"),
            QueryPayment => ("GET", "/payments/{paymentid}"),
            QueryPaymentIds => ("GET", "/payments"),
            CapturePayment => ("POST", "/payments/{paymentid}/capture"),
            CancelPayment => ("POST", "/payments/{paymentid}/cancel"),
            CreateRefund => ("POST", "/refunds"),
            GetRefund => ("GET", "/refunds/{refundid}"),
            QueryRefundIds => ("GET", "/refunds"),
            CaptureRefund => ("POST", "/refunds/{refundid}/capture"),
            CancelRefund => ("POST", "/refunds/{refundid}/cancel"),
        }
    }

    /// The OpenAPI `operationId`.
    pub fn operation_id(self) -> &'static str {
        use Endpoint::*;
        match self {
            GetStores => "GetStores",
            GetStore => "GetStore",
            GetDetailedStores => "GetDetailedStores",
            CreatePos => "CreatePos",
            GetPosWithFilter => "GetPosWithFilter",
            GetPos => "GetPos",
            DeletePos => "DeletePos",
            GetCheckIn => "GetCheckIn",
            InitiatePayment => "InitiatePayment",
            PreparePayment => "PreparePayment",
            PaymentReady => "PaymentReady",
            QueryPayment => "QueryPayment",
            QueryPaymentIds => "QueryPaymentIds",
            CapturePayment => "CapturePayment",
            CancelPayment => "CancelPayment",
            CreateRefund => "CreateRefund",
            GetRefund => "GetRefund",
            QueryRefundIds => "QueryRefundIds",
            CaptureRefund => "CaptureRefund",
            CancelRefund => "CancelRefund",
        }
    }

    /// Parses `"METHOD /template"`, e.g. `"POST /payments/{paymentid}/cancel"`.
    pub fn parse(label: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.to_string() == label)
    }

    /// Maps a concrete request (path below `/pos/v10`, without query) to its endpoint and the
    /// id in the path, if any.
    pub fn classify(method: &str, path: &str) -> Option<(Endpoint, Option<String>)> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        Endpoint::ALL.into_iter().find_map(|endpoint| {
            let (m, template) = endpoint.route();
            if !m.eq_ignore_ascii_case(method) {
                return None;
            }
            let pattern: Vec<&str> = template.split('/').skip(1).collect();
            if pattern.len() != segments.len() {
                return None;
            }
            let mut id = None;
            for (p, s) in pattern.iter().zip(&segments) {
                if p.starts_with('{') {
                    // A literal segment such as `detailed` or `prepare` is never an id.
                    if Endpoint::is_literal_elsewhere(s) {
                        return None;
                    }
                    id = Some((*s).to_string());
                } else if p != s {
                    return None;
                }
            }
            Some((endpoint, id))
        })
    }

    fn is_literal_elsewhere(segment: &str) -> bool {
        matches!(segment, "detailed" | "prepare")
    }

    /// Whether the call must carry `X-MobilePay-Idempotency-Key`.
    pub fn requires_idempotency_key(self) -> bool {
        matches!(
            self,
            Endpoint::CreatePos
                | Endpoint::InitiatePayment
                | Endpoint::PreparePayment
                | Endpoint::CreateRefund
        )
    }

    /// Whether the OpenAPI document gives the operation a JSON request body.
    pub fn takes_body(self) -> bool {
        matches!(
            self,
            Endpoint::CreatePos
                | Endpoint::InitiatePayment
                | Endpoint::PreparePayment
                | Endpoint::PaymentReady
                | Endpoint::CapturePayment
                | Endpoint::CreateRefund
        )
    }

    /// The query parameters the OpenAPI document declares `format: uuid`.
    pub fn guid_query_parameters(self) -> &'static [&'static str] {
        match self {
            Endpoint::QueryPaymentIds => &["posId"],
            Endpoint::GetPosWithFilter => &["storeId"],
            Endpoint::QueryRefundIds => &["paymentId"],
            _ => &[],
        }
    }

    /// Whether the answer carries `pollDelayInMs` that governs the next call.
    pub fn is_polled(self) -> bool {
        matches!(
            self,
            Endpoint::QueryPayment | Endpoint::GetRefund | Endpoint::GetCheckIn
        )
    }

    /// Whether the documented 0.5 s read timeout applies (otherwise the 2 s write timeout).
    pub fn is_read(self) -> bool {
        self.route().0 == "GET"
    }

    /// Whether the answer of an error on this endpoint is an `ErrorResponseV2` (refunds).
    pub fn uses_error_v2(self) -> bool {
        matches!(
            self,
            Endpoint::CreateRefund
                | Endpoint::GetRefund
                | Endpoint::QueryRefundIds
                | Endpoint::CaptureRefund
                | Endpoint::CancelRefund
        )
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (method, template) = self.route();
        write!(f, "{method} {template}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for endpoint in Endpoint::ALL {
            assert_eq!(Endpoint::parse(&endpoint.to_string()), Some(endpoint));
        }
        assert_eq!(Endpoint::parse("POST /payment"), None);
    }

    #[test]
    fn classify_distinguishes_literals_from_ids() {
        assert_eq!(
            Endpoint::classify("POST", "/payments/prepare"),
            Some((Endpoint::PreparePayment, None))
        );
        assert_eq!(
            Endpoint::classify("GET", "/stores/detailed"),
            Some((Endpoint::GetDetailedStores, None))
        );
        assert_eq!(
            Endpoint::classify("POST", "/payments/abc/cancel"),
            Some((Endpoint::CancelPayment, Some("abc".to_string())))
        );
        assert_eq!(
            Endpoint::classify("GET", "/pointofsales/p1/checkin"),
            Some((Endpoint::GetCheckIn, Some("p1".to_string())))
        );
        assert_eq!(Endpoint::classify("PUT", "/payments"), None);
    }
}
