//! Request hygiene before any resource handler runs: the body is read up to a limit
//! ([`MAX_BODY_BYTES`](crate::pos::constants::MAX_BODY_BYTES), inferred), an operation that takes a body gets one of the JSON
//! media types the OpenAPI document lists and syntactically valid JSON, and query parameters the
//! document declares `format: uuid` are GUIDs. Every refusal is the generic 400 `1099` with a
//! message naming what was wrong (inferred: MobilePay documents no codes of their own for these),
//! so bad input never reaches a handler that could answer 5xx, and never answers a status the
//! document does not list (such as 413 or 415).

use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::http::{HeaderMap, header};

use crate::pos::{ApiError, ErrorCode, validate};

use super::{ApiRequest, query};

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BodyFault {
    /// It is larger than the limit.
    TooLarge,
    /// The stream failed before it ended (the client went away, say).
    Unreadable,
}

impl From<BodyFault> for ApiError {
    fn from(fault: BodyFault) -> Self {
        match fault {
            BodyFault::TooLarge => ErrorCode::BodyTooLarge.into(),
            BodyFault::Unreadable => ErrorCode::BadRequest.into(),
        }
    }
}

/// Reads a body of at most `limit` bytes, stopping as soon as it is known to be larger.
pub async fn read_body(mut body: Body, limit: usize) -> Result<Vec<u8>, BodyFault> {
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(data) = frame.map_err(|_| BodyFault::Unreadable)?.into_data() else {
            // Trailers carry no body bytes.
            continue;
        };
        if bytes.len() + data.len() > limit {
            return Err(BodyFault::TooLarge);
        }
        bytes.extend_from_slice(&data);
    }
    Ok(bytes)
}

/// Whether `value` names one of the request media types the OpenAPI document lists:
/// `application/json`, `application/json-patch+json`, `text/json` and `application/*+json`.
fn is_json_media_type(value: &str) -> bool {
    let media = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json"
        || media == "text/json"
        || media
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.len() > "+json".len() && subtype.ends_with("+json"))
}

/// Checks the content type, the JSON syntax and the GUID query parameters of `request`.
pub fn check(headers: &HeaderMap, request: &ApiRequest<'_>) -> Result<(), ErrorCode> {
    if request.endpoint.takes_body() {
        let types: Vec<_> = headers.get_all(header::CONTENT_TYPE).iter().collect();
        match types.as_slice() {
            [value] if value.to_str().is_ok_and(is_json_media_type) => {}
            _ => return Err(ErrorCode::UnsupportedContentType),
        }
        if serde_json::from_slice::<serde::de::IgnoredAny>(request.body).is_err() {
            return Err(ErrorCode::MalformedJson);
        }
    }
    for name in request.endpoint.guid_query_parameters() {
        if query::get(&request.query, name).is_some_and(|v| !validate::is_guid(v)) {
            return Err(ErrorCode::QueryParameterNotGuid);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::pos::Endpoint;
    use crate::service::emulator::fixtures::Call;

    fn with_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers
    }

    #[test]
    fn the_documented_json_media_types_are_accepted() {
        for accepted in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/json-patch+json",
            "text/json",
            "application/vnd.mobilepay+json",
        ] {
            assert!(is_json_media_type(accepted), "{accepted}");
        }
        for refused in [
            "text/plain",
            "application/xml",
            "application/+json",
            "json",
            "",
        ] {
            assert!(!is_json_media_type(refused), "{refused}");
        }
    }

    #[test]
    fn a_body_needs_a_json_content_type_and_json() {
        let call = Call::new(Endpoint::CreatePos).raw_body("{}");
        let request = call.request();
        assert_eq!(check(&with_type("application/json"), &request), Ok(()));
        assert_eq!(
            check(&with_type("text/plain"), &request),
            Err(ErrorCode::UnsupportedContentType)
        );
        assert_eq!(
            check(&HeaderMap::new(), &request),
            Err(ErrorCode::UnsupportedContentType)
        );
        let mut twice = with_type("application/json");
        twice.append(header::CONTENT_TYPE, HeaderValue::from_static("text/json"));
        assert_eq!(
            check(&twice, &request),
            Err(ErrorCode::UnsupportedContentType)
        );
        for broken in ["", "{", "{\"a\":1}}", "not json"] {
            let call = Call::new(Endpoint::CapturePayment).raw_body(broken);
            assert_eq!(
                check(&with_type("application/json"), &call.request()),
                Err(ErrorCode::MalformedJson),
                "{broken:?}"
            );
        }
    }

    #[test]
    fn operations_without_a_body_ignore_the_content_type() {
        let call = Call::new(Endpoint::CancelPayment).raw_body("whatever");
        assert_eq!(check(&with_type("text/plain"), &call.request()), Ok(()));
    }

    #[test]
    fn guid_query_parameters_must_be_guids() {
        let guid = "6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21";
        for (endpoint, good, bad) in [
            (
                Endpoint::QueryPaymentIds,
                format!("posId={guid}"),
                "posId=not-a-guid",
            ),
            (
                Endpoint::GetPosWithFilter,
                format!("storeId={guid}"),
                "storeId=",
            ),
            (
                Endpoint::QueryRefundIds,
                format!("paymentId={guid}"),
                "paymentId=1",
            ),
        ] {
            let call = Call::new(endpoint).query(&good);
            assert_eq!(check(&HeaderMap::new(), &call.request()), Ok(()));
            let call = Call::new(endpoint).query(bad);
            assert_eq!(
                check(&HeaderMap::new(), &call.request()),
                Err(ErrorCode::QueryParameterNotGuid),
                "{endpoint} ?{bad}"
            );
        }
        let call = Call::new(Endpoint::QueryPaymentIds).query("orderId=not-a-guid");
        assert_eq!(check(&HeaderMap::new(), &call.request()), Ok(()));
    }

    #[tokio::test]
    async fn a_body_is_read_up_to_the_limit() {
        assert_eq!(
            read_body(Body::from("12345"), 5).await,
            Ok(b"12345".to_vec())
        );
        assert_eq!(
            read_body(Body::from("123456"), 5).await,
            Err(BodyFault::TooLarge)
        );
        assert_eq!(read_body(Body::empty(), 5).await, Ok(Vec::new()));
    }
}
