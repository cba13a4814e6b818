//! Request hygiene over HTTP: a body in a media type the OpenAPI document does not list,
//! malformed JSON, a query parameter declared `format: uuid` that is not a GUID, and a body over
//! the limit are each refused with 400 `1099` and an `ErrorResponse` saying why — never with a
//! status the document does not list (413, 415) or a 5xx, whatever the input.

use mpcert::pos::Endpoint;
use mpcert::pos::constants::{CERT_STORE_ID, MAX_BODY_BYTES};
use reqwest::Method;
use serde_json::{Value, json};

use crate::pos_client::{DK, Pos, cases, field, open, service, session_request};

async fn client() -> (mpcert::service::RunningService, Pos) {
    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    let pos = Pos::header(&service, &session, DK).await;
    (service, pos)
}

fn pos_body() -> Value {
    json!({
        "merchantPosId": "till-1",
        "storeId": CERT_STORE_ID,
        "name": "Till",
        "supportedBeaconTypes": ["QR"],
    })
}

/// A creating POST of `body` as `content_type` with a fresh idempotency key.
fn create_pos(
    pos: &Pos,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    pos.request(Method::POST, "/pointofsales")
        .header(
            "X-MobilePay-Idempotency-Key",
            uuid::Uuid::new_v4().to_string(),
        )
        .header("Content-Type", content_type)
        .body(body)
}

fn assert_1099(status: u16, answer: &Value, says: &str) {
    assert_eq!(
        (status, field(answer, "code")),
        (400, "1099".to_string()),
        "{answer}"
    );
    let message = field(answer, "message");
    assert!(
        message.contains(says),
        "`{message}` should mention `{says}`"
    );
    assert!(!field(answer, "correlationId").is_empty());
}

#[tokio::test]
async fn a_body_in_another_media_type_is_1099() {
    let (service, pos) = client().await;
    let text = pos_body().to_string();
    let (status, answer) = pos
        .exchange(
            Endpoint::CreatePos,
            create_pos(&pos, "text/plain", text.clone()),
        )
        .await;
    assert_1099(status, &answer, "Content-Type");
    let no_type = pos
        .request(Method::POST, "/pointofsales")
        .header(
            "X-MobilePay-Idempotency-Key",
            uuid::Uuid::new_v4().to_string(),
        )
        .body(text.clone());
    let (status, answer) = pos.exchange(Endpoint::CreatePos, no_type).await;
    assert_1099(status, &answer, "Content-Type");
    for accepted in [
        "application/json; charset=utf-8",
        "text/json",
        "application/json-patch+json",
    ] {
        let mut body = pos_body();
        body["merchantPosId"] = json!(uuid::Uuid::new_v4().to_string());
        let (status, answer) = pos
            .exchange(
                Endpoint::CreatePos,
                create_pos(&pos, accepted, body.to_string()),
            )
            .await;
        assert_eq!(status, 200, "{accepted}: {answer}");
    }
    service.stop().await;
}

#[tokio::test]
async fn malformed_json_is_1099() {
    let (service, pos) = client().await;
    for broken in ["{", "", "{\"merchantPosId\": \"till-1\",}", "null x"] {
        let (status, answer) = pos
            .exchange(
                Endpoint::CreatePos,
                create_pos(&pos, "application/json", broken),
            )
            .await;
        assert_1099(status, &answer, "not valid JSON");
    }
    service.stop().await;
}

#[tokio::test]
async fn a_query_parameter_declared_uuid_must_be_a_guid() {
    let (service, pos) = client().await;
    for (endpoint, query) in [
        (Endpoint::QueryPaymentIds, "posId=not-a-guid"),
        (Endpoint::QueryPaymentIds, "posId=not-a-guid&orderId=o-1"),
        (Endpoint::GetPosWithFilter, "storeId=MPPOSCERT1"),
    ] {
        let (status, answer) = pos.call(endpoint, None, query, None).await;
        assert_1099(status, &answer, "GUID");
    }
    let (status, answer) = pos
        .call(Endpoint::QueryPaymentIds, None, "orderId=not-a-guid", None)
        .await;
    assert_eq!(status, 200, "orderId is free text: {answer}");
    service.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_1099_naming_the_limit() {
    let (service, pos) = client().await;
    let huge = format!("{{\"merchantPosId\":\"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let (status, answer) = pos
        .exchange(
            Endpoint::CreatePos,
            create_pos(&pos, "application/json", huge),
        )
        .await;
    assert_1099(status, &answer, &MAX_BODY_BYTES.to_string());
    let just_over = "x".repeat(MAX_BODY_BYTES + 1);
    let (status, answer) = pos
        .exchange(
            Endpoint::CreatePos,
            create_pos(&pos, "application/json", just_over),
        )
        .await;
    assert_1099(status, &answer, "limit");
    service.stop().await;
}

/// Whatever arrives, the answer is documented for the endpoint and never a 5xx.
#[tokio::test]
async fn no_bad_input_gets_a_5xx() {
    let (service, pos) = client().await;
    let guid = "6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21";
    let bodies = [
        "[]",
        "{}",
        "\"text\"",
        "{\"amount\": 1e400}",
        "{\"amount\": \"100\"}",
        "{\"posId\": null}",
        "\u{FEFF}{}",
        "{\"merchantPosId\": \"\u{0}\"}",
    ];
    for endpoint in [
        Endpoint::CreatePos,
        Endpoint::InitiatePayment,
        Endpoint::CapturePayment,
    ] {
        for body in bodies {
            let (_, template) = endpoint.route();
            let path = template.replace("{paymentid}", guid);
            let mut request = pos
                .request(Method::POST, &path)
                .header("Content-Type", "application/json")
                .body(body.as_bytes().to_vec());
            if endpoint.requires_idempotency_key() {
                request = request.header(
                    "X-MobilePay-Idempotency-Key",
                    uuid::Uuid::new_v4().to_string(),
                );
            }
            let (status, answer) = pos.exchange(endpoint, request).await;
            assert!(
                (400..500).contains(&status),
                "{endpoint} {body:?}: {status} {answer}"
            );
        }
    }
    for (endpoint, id, query) in [
        (Endpoint::QueryPayment, "%FF%FE", ""),
        (Endpoint::QueryPayment, "not-a-guid", ""),
        (Endpoint::GetPos, &"9".repeat(2000)[..], ""),
        (Endpoint::QueryPaymentIds, "", "posId=%ZZ&state=%FF"),
        (
            Endpoint::GetStores,
            "",
            "merchantBrandId=%00&merchantLocationId=%F0%9F",
        ),
        (Endpoint::GetPosWithFilter, "", "beaconId=&merchantPosId="),
    ] {
        let (_, template) = endpoint.route();
        let path = match (template.find('{'), template.find('}')) {
            (Some(open), Some(close)) => {
                format!("{}{id}{}", &template[..open], &template[close + 1..])
            }
            _ => template.to_string(),
        };
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        let request = pos.request(Method::GET, &format!("{path}{query}"));
        let (status, answer) = pos.exchange(endpoint, request).await;
        assert!(status < 500, "{endpoint} {id} {query}: {status} {answer}");
    }
    service.stop().await;
}
