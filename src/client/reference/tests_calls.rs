//! Tests of the call layer against the scripted stub: headers, idempotency keys and bodies
//! across retries (after a 500 and after a held answer), the retry limit, the deliberate
//! misbehaviours that bend those rules, token handling, and how an unreachable target or a
//! refused token surface. Tests of held answers run at [`FAST_SCALE`], the rest at scale 1;
//! timing assertions are lower bounds only.

use std::error::Error;
use std::time::Duration;

use serde_json::json;

use super::stub::{FAST_SCALE, Reply, SECRET, Stub, TOKEN, config_for, params, payment};
use super::{Conduct, Misbehaviour, ReferenceClient};
use crate::catalogue::Operation;
use crate::client::protocol::{AdapterError, Fields};

type TestResult = Result<(), Box<dyn Error>>;

/// A stub where `POST /payments` answers `first` (by attempt) and then creates `p1`, which
/// polls as Reserved; a lookup finds no payment.
async fn payment_stub(first: Vec<Reply>) -> std::io::Result<Stub> {
    Stub::start(move |seen, n| match seen.route().as_str() {
        "POST /payments" => first
            .get(n)
            .cloned()
            .unwrap_or_else(|| Reply::ok(json!({"paymentId": "p1"}))),
        "GET /payments" => Reply::ok(json!({"paymentIds": []})),
        "GET /payments/p1" => Reply::ok(payment("p1", "Reserved", 10)),
        _ => Reply::error(404, None),
    })
    .await
}

fn pay_params() -> Fields {
    params(json!({"posId": "pos-1", "orderId": "o-1", "amount": 100.00, "currencyCode": "DKK"}))
}

fn pos_params() -> Fields {
    params(json!({
        "merchantBrandId": "MPPOSCERT1", "merchantLocationId": "00001",
        "merchantPosId": "till-1", "name": "Till 1", "supportedBeaconTypes": ["QR"],
    }))
}

fn keys(calls: &[super::stub::Seen]) -> Vec<Option<String>> {
    calls
        .iter()
        .map(|c| c.header("x-mobilepay-idempotency-key").map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_500_is_retried_with_the_same_key_and_body() -> TestResult {
    let stub = payment_stub(vec![Reply::error(500, Some("2000"))]).await?;
    let mut client = stub.client(Conduct::default())?;
    let result = client.perform(Operation::Pay, &pay_params()).await??;
    assert_eq!(result["paymentId"], "p1");
    assert_eq!(result["status"], "Reserved");
    assert_eq!(result["partialCapturePossible"], false);

    let posts = stub.on("POST /payments");
    assert_eq!(posts.len(), 2);
    assert!(keys(&posts)[0].is_some());
    assert_eq!(keys(&posts)[0], keys(&posts)[1]);
    assert_eq!(posts[0].body, posts[1].body);
    let body: serde_json::Value = serde_json::from_slice(&posts[0].body)?;
    assert_eq!(body["amount"], json!(100.0));
    assert_eq!(body["plannedCaptureDelay"], "None");
    Ok(())
}

#[tokio::test]
async fn a_held_answer_is_dropped_and_retried_with_the_same_key_and_body() -> TestResult {
    let stub = Stub::start(|seen, n| match (seen.route().as_str(), n) {
        ("GET /stores", _) => Reply::ok(json!({"storeIds": ["store-1"]})),
        ("POST /pointofsales", 0) => {
            Reply::ok(json!({"posId": "pos-1"})).held(Duration::from_secs(5))
        }
        ("POST /pointofsales", 1) => Reply::error(500, Some("2000")),
        ("POST /pointofsales", _) => Reply::ok(json!({"posId": "pos-1"})),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.fast_client(Conduct::default())?;
    let result = client
        .perform(Operation::CreatePos, &pos_params())
        .await??;
    assert_eq!(result["posId"], "pos-1");

    let posts = stub.on("POST /pointofsales");
    assert_eq!(posts.len(), 3);
    assert!(
        keys(&posts)
            .iter()
            .all(|k| k.is_some() && *k == keys(&posts)[0])
    );
    assert!(posts.iter().all(|p| p.body == posts[0].body));
    // The held call was given up only after the scaled 2 s write timeout.
    let write_timeout = Duration::from_secs_f64(2.0 * FAST_SCALE);
    assert!(posts[1].at.duration_since(posts[0].at) >= write_timeout);
    let body: serde_json::Value = serde_json::from_slice(&posts[0].body)?;
    assert_eq!(body["storeId"], "store-1");
    assert_eq!(body["beaconId"], serde_json::Value::Null);
    assert_eq!(body["requirePaymentBeforeCheckin"], false);
    assert_eq!(
        stub.on("GET /stores")[0].query.as_deref(),
        Some("merchantBrandId=MPPOSCERT1&merchantLocationId=00001")
    );
    Ok(())
}

#[tokio::test]
async fn a_logical_request_makes_at_most_three_calls() -> TestResult {
    let stub = payment_stub(vec![Reply::error(500, Some("2000")); 10]).await?;
    let mut client = stub.client(Conduct::default())?;
    let failure = client
        .perform(Operation::Pay, &pay_params())
        .await?
        .err()
        .unwrap_or_default();
    assert!(
        failure.contains("POST /payments failed after 3 attempts: HTTP 500 code 2000"),
        "{failure}"
    );
    assert!(
        failure.contains("GET /payments?posId=pos-1&orderId=o-1 found nothing"),
        "{failure}"
    );
    assert_eq!(stub.on("POST /payments").len(), 3);
    assert_eq!(
        stub.on("GET /payments").len(),
        1,
        "the lost id is looked up"
    );
    Ok(())
}

#[tokio::test]
async fn fresh_key_on_retry_changes_the_key() -> TestResult {
    let stub = payment_stub(vec![Reply::error(500, Some("2000"))]).await?;
    let conduct = Conduct::misbehaving(Misbehaviour::FreshKeyOnRetry);
    let mut client = stub.client(conduct)?;
    client.perform(Operation::Pay, &pay_params()).await??;
    let posts = stub.on("POST /payments");
    assert_eq!(posts.len(), 2);
    assert_ne!(keys(&posts)[0], keys(&posts)[1]);
    assert_eq!(posts[0].body, posts[1].body);
    Ok(())
}

#[tokio::test]
async fn a_4xx_is_not_retried() -> TestResult {
    let stub = payment_stub(vec![Reply::error(409, Some("1306"))]).await?;
    let mut client = stub.client(Conduct::default())?;
    let failure = client
        .perform(Operation::Pay, &pay_params())
        .await?
        .err()
        .unwrap_or_default();
    assert!(failure.contains("HTTP 409 code 1306"), "{failure}");
    assert_eq!(stub.calls().len(), 1);
    Ok(())
}

#[tokio::test]
async fn waiting_out_held_requests_sends_one_call() -> TestResult {
    let held = Reply::ok(json!({"paymentId": "p1"})).held(Duration::from_millis(300));
    let stub = payment_stub(vec![held]).await?;
    let conduct = Conduct::misbehaving(Misbehaviour::WaitOutHeldRequests);
    let mut client = stub.fast_client(conduct)?;
    client.perform(Operation::Pay, &pay_params()).await??;
    assert_eq!(stub.on("POST /payments").len(), 1);
    Ok(())
}

#[tokio::test]
async fn every_call_carries_the_mandated_headers() -> TestResult {
    let stub = payment_stub(vec![]).await?;
    let mut client = stub.client(Conduct::default())?;
    client.perform(Operation::Pay, &pay_params()).await??;
    let calls = stub.calls();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(
            call.header("x-mobilepay-client-system-version"),
            Some("1.2.3")
        );
        assert_eq!(
            call.header("x-mobilepay-merchant-vat-number"),
            Some("DK90000028")
        );
        assert_eq!(call.header("x-ibm-client-id"), Some("0f5e8a3c-client"));
        assert_eq!(
            call.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    assert_eq!(calls[0].header("content-type"), Some("application/json"));
    assert!(
        calls[1].header("x-mobilepay-idempotency-key").is_none(),
        "no key on GET"
    );
    assert!(
        calls[1].header("content-type").is_none(),
        "no content type without a body"
    );

    let stub = payment_stub(vec![]).await?;
    let mut client = stub.client(Conduct::misbehaving(Misbehaviour::OmitVersionHeader))?;
    client.perform(Operation::Pay, &pay_params()).await??;
    assert!(
        stub.calls()
            .iter()
            .all(|c| c.header("x-mobilepay-client-system-version").is_none())
    );
    Ok(())
}

#[tokio::test]
async fn a_404_on_a_delete_retry_after_a_timeout_means_deleted() -> TestResult {
    let stub = Stub::start(|seen, n| match (seen.route().as_str(), n) {
        ("DELETE /pointofsales/pos-1", 0) => Reply::empty().held(Duration::from_secs(5)),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.fast_client(Conduct::default())?;
    let result = client
        .perform(Operation::DeletePos, &params(json!({"posId": "pos-1"})))
        .await??;
    assert!(result.is_empty());
    assert_eq!(stub.calls().len(), 2);

    // Without an unanswered attempt before it, a 404 is a failure.
    let mut client = stub.client(Conduct::default())?;
    let outcome = client
        .perform(Operation::DeletePos, &params(json!({"posId": "pos-2"})))
        .await?;
    assert!(outcome.err().unwrap_or_default().contains("HTTP 404"));
    Ok(())
}

#[tokio::test]
async fn the_token_is_cached_and_renewed_once_after_a_401() -> TestResult {
    let stub = Stub::start(|seen, n| match (seen.route().as_str(), n) {
        ("GET /payments/p1", 0) => Reply::error(401, None),
        ("GET /payments/p1", _) => Reply::ok(payment("p1", "Initiated", 10)),
        ("POST /payments/p1/cancel", _) => Reply::empty(),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.client(Conduct::default())?;
    let result = client
        .perform(Operation::Cancel, &params(json!({"paymentId": "p1"})))
        .await??;
    assert_eq!(result["status"], "Initiated");
    assert_eq!(
        stub.token_calls(),
        2,
        "one token, one renewal after the 401"
    );
    assert_eq!(stub.on("GET /payments/p1").len(), 2);

    client
        .perform(Operation::Cancel, &params(json!({"paymentId": "p1"})))
        .await??;
    assert_eq!(stub.token_calls(), 2, "the renewed token is reused");
    Ok(())
}

#[tokio::test]
async fn a_refused_connection_is_unreachable() -> TestResult {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let dead = format!("http://{}", listener.local_addr()?);
    drop(listener);

    let mut client = ReferenceClient::new(config_for(&dead, Conduct::default()))?;
    let error = client.perform(Operation::Pay, &pay_params()).await.err();
    assert!(
        matches!(error, Some(AdapterError::Unreachable { .. })),
        "{error:?}"
    );

    // The token endpoint answers, the PoS API does not.
    let stub = Stub::start(|_, _| Reply::empty()).await?;
    let mut config = stub.config(Conduct::default());
    config.connection.api_base_url = format!("{dead}/pos/v10");
    let mut client = ReferenceClient::new(config)?;
    let error = client.perform(Operation::Pay, &pay_params()).await.err();
    assert!(
        matches!(error, Some(AdapterError::Unreachable { .. })),
        "{error:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_refused_token_is_auth_refused_and_secrets_never_show() -> TestResult {
    let stub = Stub::start_with_token_status(401, |_, _| Reply::empty()).await?;
    let mut client = stub.client(Conduct::default())?;
    let error = client.perform(Operation::Pay, &pay_params()).await.err();
    assert!(
        matches!(error, Some(AdapterError::AuthRefused { status: 401, .. })),
        "{error:?}"
    );
    let shown = error.map(|e| format!("{e} {e:?}")).unwrap_or_default();
    assert!(!shown.contains(SECRET), "{shown}");
    assert_eq!(stub.calls().len(), 0);

    // Nor in a business failure after retries, nor in the client's configuration.
    let stub = payment_stub(vec![Reply::error(500, Some("2000")); 3]).await?;
    let config = stub.config(Conduct::default());
    assert!(!format!("{config:?}").contains(SECRET));
    let mut client = ReferenceClient::new(config)?;
    let failure = client
        .perform(Operation::Pay, &pay_params())
        .await?
        .err()
        .unwrap_or_default();
    assert!(!failure.is_empty() && !failure.contains(SECRET) && !failure.contains(TOKEN));
    Ok(())
}

#[tokio::test]
async fn bad_params_are_protocol_errors_naming_the_param() -> TestResult {
    let stub = payment_stub(vec![]).await?;
    let mut client = stub.client(Conduct::default())?;
    let mut given = pay_params();
    given.insert("amount".into(), json!("100"));
    let error = client
        .perform(Operation::Pay, &given)
        .await
        .err()
        .map(|e| e.to_string());
    assert!(error.is_some_and(|e| e.contains("`amount`")));
    given.remove("amount");
    let error = client
        .perform(Operation::Pay, &given)
        .await
        .err()
        .map(|e| e.to_string());
    assert!(error.is_some_and(|e| e.contains("missing required parameter `amount`")));
    assert_eq!(stub.calls().len(), 0);
    Ok(())
}

#[test]
fn operations_can_run_on_a_spawned_task() {
    fn assert_send<T: Send>(_: &T) {}
    let config = config_for("http://127.0.0.1:9", Conduct::default());
    if let Ok(mut client) = ReferenceClient::new(config) {
        let given = pay_params();
        assert_send(&client.perform(Operation::Pay, &given));
    }
}
