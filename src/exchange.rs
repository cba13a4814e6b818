//! One HTTP exchange as the certification service saw it: when it arrived and ended, what was
//! asked and answered (secrets redacted), which fault was injected, and whether the client hung
//! up first. The service records these, the session API ships them, the judge reads them and the
//! report keeps them; this type is the contract between the four.

use serde::{Deserialize, Serialize};

use crate::catalogue::model::FaultReply;
use crate::pos::Endpoint;

/// A recorded exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// Sequence number in the session, from 1.
    pub seq: u64,
    /// Full case id (`category/case`) active when the call arrived.
    pub case: Option<String>,
    /// Step index (0-based) active when the call arrived.
    pub step: Option<usize>,
    /// Milliseconds since the session started, real time, when the request arrived.
    pub received_ms: f64,
    /// Milliseconds since the session started when the answer was sent or the client hung up.
    pub ended_ms: f64,
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub path: String,
    /// The PoS v10 endpoint (`METHOD /template`), when the path is one.
    pub endpoint: Option<String>,
    /// The id in the path (posId, paymentId, …), if any.
    pub resource_id: Option<String>,
    /// Request headers, names lowercased, secrets redacted.
    pub headers: Vec<(String, String)>,
    /// Request body as text (secrets redacted), if any.
    pub request_body: Option<String>,
    /// Response status; `None` when the client hung up first.
    pub status: Option<u16>,
    /// Response body as text, if any.
    pub response_body: Option<String>,
    /// The fault injected into this call.
    pub fault: Option<FaultReply>,
    /// How the exchange ended.
    pub outcome: ExchangeOutcome,
    /// Where the merchant a PoS call acts for came from (`None` outside the PoS API and in
    /// recordings made before the service noted it). The token itself is never recorded, so
    /// this is how the judge learns whether it claimed a merchant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_vat_from: Option<VatSource>,
}

/// Where the merchant VAT number of a PoS call came from (domain reference §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatSource {
    /// The token's `merchant_vat` claim (a header, if sent too, must agree with it).
    Claim,
    /// The `X-MobilePay-Merchant-VAT-Number` header, the token claiming no merchant.
    Header,
    /// Neither: the call names no merchant.
    #[serde(rename = "none")]
    Missing,
}

impl VatSource {
    /// The source of a call whose token claims a merchant (or not) and which carries the VAT
    /// header (or not): the claim wins, as it does in the service.
    pub fn of(claimed: bool, header: bool) -> VatSource {
        match (claimed, header) {
            (true, _) => VatSource::Claim,
            (false, true) => VatSource::Header,
            (false, false) => VatSource::Missing,
        }
    }
}

/// How an exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeOutcome {
    /// The service sent its answer.
    Answered,
    /// The client closed the connection before the answer was sent.
    ClientHungUp,
}

impl Exchange {
    /// The PoS v10 endpoint of the call, if it was one.
    pub fn pos_endpoint(&self) -> Option<Endpoint> {
        self.endpoint.as_deref().and_then(Endpoint::parse)
    }

    /// The value of a request header (names compare case-insensitively); the first if repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How many times a request header was sent.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    /// The value of a query parameter of the path (percent-decoded; the first if repeated).
    pub fn query_param(&self, name: &str) -> Option<String> {
        let (_, query) = self.path.split_once('?')?;
        let pairs = crate::pos::query::parse(query);
        crate::pos::query::get(&pairs, name).map(str::to_string)
    }

    /// The request body parsed as JSON, if it is JSON.
    pub fn request_json(&self) -> Option<serde_json::Value> {
        self.request_body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
    }

    /// The response body parsed as JSON, if it is JSON.
    pub fn response_json(&self) -> Option<serde_json::Value> {
        self.response_body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
    }

    /// The error code of an error answer, if it has one.
    pub fn error_code(&self) -> Option<String> {
        self.response_json()?
            .get("code")?
            .as_str()
            .map(str::to_string)
    }

    /// Whether the call failed in a way a client should retry: a 5xx or a hang-up.
    pub fn is_retryable_failure(&self) -> bool {
        self.outcome == ExchangeOutcome::ClientHungUp || self.status.is_some_and(|s| s >= 500)
    }

    /// One line for logs: `#7 POST /pos/v10/payments → 409 1301`.
    pub fn summary(&self) -> String {
        let answer = match (self.outcome, self.status) {
            (ExchangeOutcome::ClientHungUp, _) => "client hung up".to_string(),
            (_, Some(status)) => match self.error_code() {
                Some(code) => format!("{status} {code}"),
                None => status.to_string(),
            },
            (_, None) => "no answer".to_string(),
        };
        let fault = match self.fault {
            Some(FaultReply::Hold200) => " [hold200]",
            Some(FaultReply::Err500) => " [err500]",
            None => "",
        };
        format!(
            "#{} +{:.0}ms {} {} → {answer} ({:.0}ms){fault}",
            self.seq,
            self.received_ms,
            self.method,
            self.path,
            self.ended_ms - self.received_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_names_the_merchant_before_the_header() {
        assert_eq!(VatSource::of(true, true), VatSource::Claim);
        assert_eq!(VatSource::of(true, false), VatSource::Claim);
        assert_eq!(VatSource::of(false, true), VatSource::Header);
        assert_eq!(VatSource::of(false, false), VatSource::Missing);
        assert_eq!(
            serde_json::to_string(&VatSource::Missing).ok().as_deref(),
            Some("\"none\"")
        );
    }

    #[test]
    fn query_parameters_are_read_decoded_from_the_path() {
        let exchange: Exchange = match serde_json::from_value(serde_json::json!({
            "seq": 1, "case": null, "step": null, "receivedMs": 0.0, "endedMs": 1.0,
            "method": "GET", "path": "/pos/v10/payments?posId=p-1&orderId=a%20b",
            "endpoint": "GET /payments", "resourceId": null, "headers": [],
            "requestBody": null, "status": 200, "responseBody": null, "fault": null,
            "outcome": "answered"
        })) {
            Ok(exchange) => exchange,
            Err(e) => panic!("a recording without merchantVatFrom still reads: {e}"),
        };
        assert_eq!(exchange.merchant_vat_from, None);
        assert_eq!(exchange.query_param("posId").as_deref(), Some("p-1"));
        assert_eq!(exchange.query_param("orderId").as_deref(), Some("a b"));
        assert_eq!(exchange.query_param("state"), None);
    }
}
