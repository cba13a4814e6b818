//! Tests of the rules a create or a poll must survive, against the scripted stub: a payment or
//! refund whose create went unanswered is found by the documented lookup and carried on (B8),
//! an unanswered refund settle is followed up (B14), an unexpected active status is polled on
//! (B18), restrictions go on the initiate and the ready only, and the 2020-certified style's
//! habits (token VAT claim, numeric keys, linear backoff, cleanup without reading). Timing
//! assertions are lower bounds only.

use std::error::Error;
use std::time::Duration;

use serde_json::{Value, json};

use super::stub::{Reply, Seen, Stub, nth, params, payment, refund};
use super::{Conduct, Misbehaviour};
use crate::catalogue::Operation;
use crate::client::protocol::Fields;

type TestResult = Result<(), Box<dyn Error>>;

fn pay_params(extra: Value) -> Fields {
    let mut given =
        params(json!({"posId": "pos-1", "orderId": "o-1", "amount": 100.0, "currencyCode": "DKK"}));
    given.extend(params(extra));
    given
}

fn refund_params() -> Fields {
    params(json!({"paymentId": "p1", "amount": 40, "currencyCode": "DKK", "refundOrderId": "rf-1"}))
}

fn routes(calls: &[Seen]) -> Vec<String> {
    calls.iter().map(Seen::route).collect()
}

fn body(seen: &Seen) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(&seen.body)
}

/// The first create answer held past the timeout, every retry a 500: the id is only known to
/// the service.
fn unanswered(n: usize) -> Reply {
    if n == 0 {
        Reply::ok(json!({"paymentId": "lost"})).held(Duration::from_secs(5))
    } else {
        Reply::error(500, Some("2000"))
    }
}

#[tokio::test]
async fn an_unanswered_initiate_is_found_by_pos_and_order_and_polled() -> TestResult {
    let stub = Stub::start(|seen, n| match seen.route().as_str() {
        "POST /payments" => unanswered(n),
        "GET /payments" => Reply::ok(json!({"paymentIds": ["p1"]})),
        "GET /payments/p1" => Reply::ok(payment("p1", nth(&["IssuedToUser", "Reserved"], n), 10)),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.fast_client(Conduct::default())?;
    let paid = client
        .perform(Operation::Pay, &pay_params(json!({})))
        .await??;
    assert_eq!(
        (paid["paymentId"].as_str(), paid["status"].as_str()),
        (Some("p1"), Some("Reserved"))
    );
    assert_eq!(
        routes(&stub.calls()),
        [
            "POST /payments",
            "POST /payments",
            "POST /payments",
            "GET /payments",
            "GET /payments/p1",
            "GET /payments/p1"
        ]
    );
    let lookup = &stub.on("GET /payments")[0];
    assert_eq!(lookup.query.as_deref(), Some("posId=pos-1&orderId=o-1"));
    for header in [
        "x-mobilepay-client-system-version",
        "x-mobilepay-merchant-vat-number",
        "x-ibm-client-id",
    ] {
        assert!(
            lookup.header(header).is_some(),
            "the lookup carries {header}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn an_unanswered_prepare_is_found_the_same_way() -> TestResult {
    let stub = Stub::start(|seen, n| match seen.route().as_str() {
        "POST /payments/prepare" => unanswered(n),
        "GET /payments" => Reply::ok(json!({"paymentIds": ["p1"]})),
        "GET /payments/p1" => Reply::ok(payment("p1", nth(&["Prepared", "Paired"], n), 10)),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.fast_client(Conduct::default())?;
    let given = params(json!({"posId": "pos-1", "orderId": "o-1"}));
    let prepared = client.perform(Operation::Prepare, &given).await??;
    assert_eq!(prepared["paymentId"], "p1");
    assert_eq!(prepared["status"], "Paired");
    assert_eq!(
        stub.on("GET /payments")[0].query.as_deref(),
        Some("posId=pos-1&orderId=o-1")
    );
    Ok(())
}

/// A payment `p1` with refunds `r0` (another refundOrderId) and `r1` (`rf-1`); `POST /refunds`
/// goes unanswered, refund captures answer `capture`, and `r1` walks through `statuses`.
async fn refunded_payment(
    statuses: &'static [&'static str],
    capture: Reply,
) -> std::io::Result<Stub> {
    Stub::start(move |seen, n| match seen.route().as_str() {
        "POST /refunds" => unanswered(n),
        "GET /refunds" => Reply::ok(json!({"refundIds": ["r0", "r1"]})),
        "GET /refunds/r0" => Reply::ok(refund("r0", "rf-0", "Captured")),
        "GET /refunds/r1" => Reply::ok(refund("r1", "rf-1", nth(statuses, n))),
        "POST /refunds/r1/capture" => capture.clone(),
        _ => Reply::error(404, None),
    })
    .await
}

#[tokio::test]
async fn an_unanswered_refund_is_picked_by_its_refund_order_id() -> TestResult {
    let stub = refunded_payment(&["Initiated", "Reserved"], Reply::empty()).await?;
    let mut client = stub.fast_client(Conduct::default())?;
    let refunded = client
        .perform(Operation::Refund, &refund_params())
        .await??;
    assert_eq!(
        (refunded["refundId"].as_str(), refunded["status"].as_str()),
        (Some("r1"), Some("Reserved"))
    );
    assert_eq!(
        stub.on("GET /refunds")[0].query.as_deref(),
        Some("paymentId=p1")
    );
    assert_eq!(
        routes(&stub.calls())[3..],
        [
            "GET /refunds",
            "GET /refunds/r0",
            "GET /refunds/r1",
            "GET /refunds/r1"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_lost_create_the_lookup_cannot_find_is_reported() -> TestResult {
    let stub = Stub::start(|seen, n| match seen.route().as_str() {
        "POST /refunds" => unanswered(n),
        "GET /refunds" => Reply::ok(json!({"refundIds": []})),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.fast_client(Conduct::default())?;
    let failure = client
        .perform(Operation::Refund, &refund_params())
        .await?
        .err()
        .unwrap_or_default();
    assert!(
        failure.contains("POST /refunds failed after 3 attempts"),
        "{failure}"
    );
    assert!(
        failure.contains("GET /refunds?paymentId=p1 (refundOrderId rf-1) found nothing"),
        "{failure}"
    );
    Ok(())
}

#[tokio::test]
async fn an_unanswered_refund_capture_is_followed_up() -> TestResult {
    let failing = Reply::error(500, Some("2000"));
    let stub = refunded_payment(&["Captured"], failing.clone()).await?;
    let mut client = stub.client(Conduct::default())?;
    let settle = params(json!({"refundId": "r1"}));
    let captured = client.perform(Operation::CaptureRefund, &settle).await??;
    assert_eq!(
        captured["status"], "Captured",
        "the capture went through after all"
    );

    let stub = refunded_payment(&["Reserved"], failing).await?;
    let mut client = stub.client(Conduct::default())?;
    let failure = client
        .perform(Operation::CaptureRefund, &settle)
        .await?
        .err()
        .unwrap_or_default();
    assert!(
        failure.contains("the refund is still Reserved"),
        "{failure}"
    );
    assert_eq!(
        routes(&stub.calls()).last().map(String::as_str),
        Some("GET /refunds/r1")
    );
    Ok(())
}

/// A stub where `POST /payments` creates `p1`, whose polls walk through `statuses`.
async fn walking_payment(statuses: &'static [&'static str]) -> std::io::Result<Stub> {
    Stub::start(move |seen, n| match seen.route().as_str() {
        "POST /payments" | "POST /payments/prepare" => Reply::ok(json!({"paymentId": "p1"})),
        "GET /payments/p1" => Reply::ok(payment("p1", nth(statuses, n), 10)),
        "POST /payments/p1/ready" => Reply::empty(),
        _ => Reply::error(404, None),
    })
    .await
}

#[tokio::test]
async fn an_unexpected_paired_is_polled_on_unless_the_client_stops_early() -> TestResult {
    let statuses = &["Initiated", "Paired", "IssuedToUser", "Reserved"];
    let stub = walking_payment(statuses).await?;
    let mut client = stub.client(Conduct::default())?;
    let paid = client
        .perform(Operation::Pay, &pay_params(json!({})))
        .await??;
    assert_eq!(paid["status"], "Reserved");
    assert_eq!(stub.on("GET /payments/p1").len(), 4);

    let stub = walking_payment(statuses).await?;
    let mut client = stub.client(Conduct::misbehaving(Misbehaviour::StopOnUnexpectedStatus))?;
    let paid = client
        .perform(Operation::Pay, &pay_params(json!({})))
        .await??;
    assert_eq!(paid["status"], "Paired");
    assert_eq!(stub.on("GET /payments/p1").len(), 2);
    Ok(())
}

/// The bodies of the prepare and ready of a prepared payment where both steps name restrictions.
async fn prepared_bodies(conduct: Conduct) -> Result<(Value, Value), Box<dyn Error>> {
    let stub = walking_payment(&["Paired", "Reserved"]).await?;
    let mut client = stub.client(conduct)?;
    let restrictions = json!({"debitCardDisallowed": true, "creditCardDisallowed": false});
    let prepare = json!({"posId": "pos-1", "orderId": "o-1", "restrictions": restrictions});
    client
        .perform(Operation::Prepare, &params(prepare))
        .await??;
    let ready = json!({"paymentId": "p1", "amount": 10, "currencyCode": "DKK", "restrictions": restrictions});
    client.perform(Operation::Ready, &params(ready)).await??;
    let prepared = body(&stub.on("POST /payments/prepare")[0])?;
    let readied = body(&stub.on("POST /payments/p1/ready")[0])?;
    Ok((prepared, readied))
}

#[tokio::test]
async fn restrictions_go_on_initiate_and_ready_never_on_prepare() -> TestResult {
    let (prepared, readied) = prepared_bodies(Conduct::default()).await?;
    assert!(prepared.get("restrictions").is_none(), "{prepared}");
    assert_eq!(readied["restrictions"]["debitCardDisallowed"], true);

    let (prepared, readied) =
        prepared_bodies(Conduct::misbehaving(Misbehaviour::RestrictionsOnPrepare)).await?;
    assert_eq!(prepared["restrictions"]["debitCardDisallowed"], true);
    assert_eq!(readied["restrictions"], Value::Null);

    let (_, readied) =
        prepared_bodies(Conduct::misbehaving(Misbehaviour::DropRestrictions)).await?;
    assert_eq!(readied["restrictions"], Value::Null);

    // On an initiate, retried after a 500, the restrictions are sent every time, unchanged.
    let stub = Stub::start(|seen, n| match (seen.route().as_str(), n) {
        ("POST /payments", 0) => Reply::error(500, Some("2000")),
        ("POST /payments", _) => Reply::ok(json!({"paymentId": "p1"})),
        ("GET /payments/p1", _) => Reply::ok(payment("p1", "Reserved", 10)),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.client(Conduct::default())?;
    let restricted = pay_params(json!({"restrictions": {"creditCardDisallowed": true}}));
    client.perform(Operation::Pay, &restricted).await??;
    let posts = stub.on("POST /payments");
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].body, posts[1].body);
    assert_eq!(
        body(&posts[1])?["restrictions"]["creditCardDisallowed"],
        true
    );

    let stub = walking_payment(&["Reserved"]).await?;
    let mut client = stub.client(Conduct::misbehaving(Misbehaviour::DropRestrictions))?;
    client.perform(Operation::Pay, &restricted).await??;
    assert_eq!(
        body(&stub.on("POST /payments")[0])?["restrictions"],
        Value::Null
    );
    Ok(())
}
