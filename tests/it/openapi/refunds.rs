//! Conformance of the refund operations, driven over HTTP against a started service: their
//! successes, repeats and every refusal they can give, each validated against the document's
//! schema for that operation and status.

use mpcert::pos::Endpoint;
use reqwest::Method;
use serde_json::{Value, json};

use super::{check_exchange, spec};
use crate::pos_http::{Answer, PosSession};

/// The refund operations, whose errors are all `ErrorResponseV2`.
const REFUND_ENDPOINTS: [Endpoint; 5] = [
    Endpoint::CreateRefund,
    Endpoint::GetRefund,
    Endpoint::QueryRefundIds,
    Endpoint::CaptureRefund,
    Endpoint::CancelRefund,
];

const UNKNOWN: &str = "7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b";

/// Sends PoS calls and keeps each (endpoint, request body, answer) for checking.
struct Recorder {
    session: PosSession,
    exchanges: Vec<(Endpoint, Option<Value>, Answer)>,
}

impl Recorder {
    async fn send(
        &mut self,
        endpoint: Endpoint,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let method = Method::from_bytes(endpoint.route().0.as_bytes()).unwrap_or(Method::GET);
        let answer = self.session.call(method, path, key, body.as_ref()).await;
        self.exchanges.push((endpoint, body, answer.clone()));
        answer
    }

    async fn create(&mut self, key: Option<&str>, body: Value) -> Answer {
        self.send(Endpoint::CreateRefund, "/refunds", key, Some(body))
            .await
    }

    async fn on(&mut self, endpoint: Endpoint, refund_id: &str) -> Answer {
        let path = endpoint.route().1.replace("{refundid}", refund_id);
        self.send(endpoint, &path, None, None).await
    }
}

fn refund(payment_id: &str, amount: f64) -> Value {
    json!({
        "paymentId": payment_id,
        "refundOrderId": "refund-1",
        "amount": amount,
        "currencyCode": "DKK",
    })
}

/// Every refund operation over HTTP — its successes, its repeats and each refusal it can give —
/// validated against the document's schema for that operation and status. Refund errors must
/// be `ErrorResponseV2` bodies with `origin: "PoS"`.
#[tokio::test]
async fn every_refund_operation_conforms_over_http() {
    let spec = spec();
    let session = PosSession::open().await;
    let payment = session.captured_payment(100.0).await;
    let mut calls = Recorder {
        session,
        exchanges: Vec::new(),
    };

    let first = calls
        .create(Some("key-1"), refund(&payment, 40.0))
        .await
        .text("refundId");
    let replayed = calls.create(Some("key-1"), refund(&payment, 40.0)).await;
    assert_eq!(replayed.text("refundId"), first);
    let refusals = [
        (Some("key-2"), refund(&payment, 60.01), 409, "1367"),
        (Some("key-3"), refund(UNKNOWN, 10.0), 409, "1001"),
        (Some("key-1"), refund(&payment, 10.0), 409, "1306"),
        (None, refund(&payment, 10.0), 400, "1164"),
        (Some("key-4"), refund(&payment, 0.001), 400, "1102"),
    ];
    for (key, body, status, code) in refusals {
        let refused = calls.create(key, body).await;
        assert_eq!(
            (refused.status, refused.text("code")),
            (status, code.into())
        );
    }
    let by_payment = format!("/refunds?paymentId={payment}");
    let listed = calls
        .send(Endpoint::QueryRefundIds, &by_payment, None, None)
        .await;
    assert_eq!(listed.body, Some(json!({ "refundIds": [first] })));
    let too_wide = calls
        .send(Endpoint::QueryRefundIds, "/refunds", None, None)
        .await;
    assert_eq!(too_wide.text("code"), "1110");

    let mut status = String::from("Initiated");
    for _ in 0..5 {
        if status != "Initiated" {
            break;
        }
        status = calls.on(Endpoint::GetRefund, &first).await.text("status");
    }
    assert_eq!(status, "Reserved");
    for endpoint in [Endpoint::GetRefund, Endpoint::CancelRefund] {
        let missing = calls.on(endpoint, UNKNOWN).await;
        assert_eq!((missing.status, missing.body), (404, None), "{endpoint}");
    }
    let missing = calls.on(Endpoint::CaptureRefund, UNKNOWN).await;
    assert_eq!((missing.status, missing.text("code")), (404, "1004".into()));
    let captured = calls.on(Endpoint::CaptureRefund, &first).await;
    assert_eq!((captured.status, captured.body), (200, None));
    let late = calls.on(Endpoint::CancelRefund, &first).await;
    assert_eq!(late.text("code"), "1352");

    let second = calls
        .create(Some("key-5"), refund(&payment, 60.0))
        .await
        .text("refundId");
    let early = calls.on(Endpoint::CaptureRefund, &second).await;
    assert_eq!(early.text("code"), "1351");
    let cancelled = calls.on(Endpoint::CancelRefund, &second).await;
    assert_eq!((cancelled.status, cancelled.body), (200, None));
    let read = calls.on(Endpoint::GetRefund, &second).await;
    assert_eq!(read.text("status"), "CancelledByClient");

    for (endpoint, request, answer) in &calls.exchanges {
        let (status, body) = (answer.status, answer.body.as_ref());
        if let Err(e) = check_exchange(&spec, *endpoint, request.as_ref(), status, body) {
            panic!("{e}");
        }
        if let Some(error) = body.filter(|_| status != 200) {
            assert_eq!(error["origin"], "PoS", "{endpoint}: {error}");
        }
    }
    for endpoint in REFUND_ENDPOINTS {
        assert!(endpoint.uses_error_v2(), "{endpoint}");
        let statuses: Vec<u16> = calls
            .exchanges
            .iter()
            .filter(|(e, _, _)| *e == endpoint)
            .map(|(_, _, answer)| answer.status)
            .collect();
        assert!(statuses.contains(&200), "{endpoint} never succeeded");
        assert!(
            statuses.iter().any(|s| *s != 200),
            "{endpoint} never refused"
        );
    }
    calls.session.service.stop().await;
}
