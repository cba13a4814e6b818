//! Tests of the 2020-certified style against the scripted stub: the merchant VAT travels only
//! as the token's claim, idempotency keys are numbers that change per logical request and stay
//! put across retries, retries back off linearly up to five attempts, and after 409 `1301` the
//! listed payments are cancelled without being read. Timing assertions are lower bounds only.

use std::error::Error;
use std::time::Duration;

use serde_json::json;

use super::Conduct;
use super::stub::{FAST_SCALE, Reply, Seen, Stub, params, payment};
use crate::catalogue::Operation;
use crate::client::protocol::Fields;

type TestResult = Result<(), Box<dyn Error>>;

fn pay_params() -> Fields {
    params(json!({"posId": "pos-1", "orderId": "12", "amount": 100.0, "currencyCode": "DKK"}))
}

fn key(seen: &Seen) -> String {
    seen.header("x-mobilepay-idempotency-key")
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn vat_in_the_claim_numeric_keys_and_a_linear_backoff() -> TestResult {
    let stub = Stub::start(|seen, n| match (seen.route().as_str(), n) {
        ("POST /payments", 0..4) => Reply::error(500, Some("2000")),
        ("POST /payments", _) => Reply::ok(json!({"paymentId": "p1"})),
        ("GET /payments/p1", _) => Reply::ok(payment("p1", "Reserved", 10)),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.fast_client(Conduct::certified_2020())?;
    client.perform(Operation::Pay, &pay_params()).await??;

    assert_eq!(
        stub.token_bodies(),
        ["grant_type=client_credentials&merchant_vat=DK90000028"]
    );
    assert_eq!(stub.calls_with("x-mobilepay-merchant-vat-number"), 0);
    assert_eq!(stub.calls_with("x-ibm-client-id"), stub.calls().len());

    let posts = stub.on("POST /payments");
    assert_eq!(posts.len(), 5, "five attempts");
    assert!(key(&posts[0]).parse::<u128>().is_ok(), "{}", key(&posts[0]));
    assert!(posts.iter().all(|p| key(p) == key(&posts[0])));
    for (n, pair) in posts.windows(2).enumerate() {
        let pause = pair[1].at.duration_since(pair[0].at);
        let backoff = Duration::from_secs_f64((n + 1) as f64 * FAST_SCALE);
        assert!(pause >= backoff, "retry {} after {pause:?}", n + 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_1301_cancels_the_listed_payments_without_reading_them() -> TestResult {
    let stub = Stub::start(|seen, n| match (seen.route().as_str(), n) {
        ("POST /payments", 0) => Reply::error(409, Some("1301")),
        ("POST /payments", _) => Reply::ok(json!({"paymentId": "new"})),
        ("GET /payments", _) => Reply::ok(json!({"paymentIds": ["old"]})),
        ("GET /payments/new", _) => Reply::ok(payment("new", "Initiated", 10)),
        ("POST /payments/old/cancel", _) => Reply::empty(),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.client(Conduct::certified_2020())?;
    let mut given = pay_params();
    given.insert("waitForCustomer".into(), json!(false));
    client.perform(Operation::Pay, &given).await??;
    let routes: Vec<String> = stub.calls().iter().map(Seen::route).collect();
    assert_eq!(
        routes,
        [
            "POST /payments",
            "GET /payments",
            "POST /payments/old/cancel",
            "POST /payments",
            "GET /payments/new"
        ]
    );
    let posts = stub.on("POST /payments");
    assert_ne!(key(&posts[0]), key(&posts[1]), "a new logical request");
    assert!(key(&posts[1]).parse::<u128>().is_ok());
    Ok(())
}
