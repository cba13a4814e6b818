//! Tests of the operations against the scripted stub: poll pacing within and across operations
//! (and ignoring it or polling at a fixed interval on purpose), reporting a status without
//! polling (on purpose), the 409 `1301` clean-up sequence (and skipping it on purpose), settling
//! only non-terminal payments, cancelling instead of an impossible partial capture, reconciling
//! a taken merchantPosId, and the refund flow. Timing assertions are lower bounds; the only upper
//! bound is a generous guard against hanging.

use std::error::Error;
use std::time::Duration;

use serde_json::json;

use super::stub::{Reply, Seen, Stub, nth, params, payment};
use super::{Conduct, Misbehaviour};
use crate::catalogue::Operation;
use crate::client::protocol::Fields;
use crate::pos::PaymentStatus;

type TestResult = Result<(), Box<dyn Error>>;

/// A stub where `POST /payments` creates `p1`, whose polls walk through `statuses` with
/// `delay_ms`; capture and cancel succeed.
async fn walking_payment(
    statuses: &'static [&'static str],
    delay_ms: u64,
) -> std::io::Result<Stub> {
    Stub::start(move |seen, n| match seen.route().as_str() {
        "POST /payments" => Reply::ok(json!({"paymentId": "p1"})),
        "GET /payments/p1" => Reply::ok(payment("p1", nth(statuses, n), delay_ms)),
        "POST /payments/p1/capture" | "POST /payments/p1/cancel" => Reply::empty(),
        _ => Reply::error(404, None),
    })
    .await
}

fn pay_params(extra: serde_json::Value) -> Fields {
    let mut given =
        params(json!({"posId": "pos-1", "orderId": "o-1", "amount": 100.0, "currencyCode": "DKK"}));
    given.extend(params(extra));
    given
}

fn routes(calls: &[Seen]) -> Vec<String> {
    calls.iter().map(Seen::route).collect()
}

#[tokio::test]
async fn polls_wait_for_poll_delay_even_across_operations() -> TestResult {
    let stub = walking_payment(&["Initiated", "IssuedToUser", "Reserved", "Captured"], 120).await?;
    let mut client = stub.client(Conduct::default())?;
    let paid = client
        .perform(Operation::Pay, &pay_params(json!({})))
        .await??;
    assert_eq!(paid["status"], "Reserved");
    let captured = client
        .perform(
            Operation::Capture,
            &params(json!({"paymentId": "p1", "amount": 100.0})),
        )
        .await??;
    assert_eq!(captured["status"], "Captured");

    let polls = stub.on("GET /payments/p1");
    assert_eq!(polls.len(), 4);
    for pair in polls.windows(2) {
        let interval = pair[1].at.duration_since(pair[0].at);
        assert!(
            interval >= Duration::from_millis(120),
            "polled after {interval:?}"
        );
    }
    assert_eq!(
        routes(&stub.calls()),
        [
            "POST /payments",
            "GET /payments/p1",
            "GET /payments/p1",
            "GET /payments/p1",
            "POST /payments/p1/capture",
            "GET /payments/p1"
        ]
    );
    Ok(())
}

#[tokio::test]
async fn ignoring_poll_delay_polls_at_once() -> TestResult {
    // Ten minutes between polls: a client that honoured it would trip the hang guard.
    let stub = walking_payment(&["Initiated", "IssuedToUser", "Reserved"], 600_000).await?;
    let mut client = stub.client(Conduct::misbehaving(Misbehaviour::IgnorePollDelay))?;
    let paid = tokio::time::timeout(
        Duration::from_secs(60),
        client.perform(Operation::Pay, &pay_params(json!({}))),
    )
    .await???;
    assert_eq!(paid["status"], "Reserved");
    assert_eq!(stub.on("GET /payments/p1").len(), 3);
    Ok(())
}

#[tokio::test]
async fn a_fixed_poll_interval_ignores_the_announced_delay() -> TestResult {
    // Ten minutes between polls: a client that honoured it would trip the hang guard. At scale 1
    // the fixed interval is the documented 1 s default.
    let stub = walking_payment(&["Initiated", "Reserved"], 600_000).await?;
    let mut client = stub.client(Conduct::misbehaving(Misbehaviour::FixedPollInterval))?;
    let paid = tokio::time::timeout(
        Duration::from_secs(60),
        client.perform(Operation::Pay, &pay_params(json!({}))),
    )
    .await???;
    assert_eq!(paid["status"], "Reserved");
    let polls = stub.on("GET /payments/p1");
    assert_eq!(polls.len(), 2);
    let interval = polls[1].at.duration_since(polls[0].at);
    assert!(
        interval >= Duration::from_secs(1),
        "polled after {interval:?}"
    );
    Ok(())
}

#[tokio::test]
async fn not_waiting_for_the_customer_polls_once() -> TestResult {
    let stub = walking_payment(&["Initiated", "Reserved"], 10).await?;
    let mut client = stub.client(Conduct::default())?;
    let paid = client
        .perform(
            Operation::Pay,
            &pay_params(json!({"waitForCustomer": false})),
        )
        .await??;
    assert_eq!(paid["status"], "Initiated");
    assert!(paid.get("partialCapturePossible").is_none());
    assert_eq!(stub.on("GET /payments/p1").len(), 1);
    Ok(())
}

#[tokio::test]
async fn reporting_without_polling_claims_a_status_it_never_saw() -> TestResult {
    let stub = walking_payment(&["Initiated", "IssuedToUser", "CancelledByUser"], 10).await?;
    let mut client = stub.client(Conduct {
        report_without_polling: Some(PaymentStatus::Reserved),
        ..Conduct::default()
    })?;
    let paid = client
        .perform(Operation::Pay, &pay_params(json!({})))
        .await??;
    assert_eq!(paid["paymentId"], "p1");
    assert_eq!(paid["status"], "Reserved");
    assert_eq!(routes(&stub.calls()), ["POST /payments"]);
    Ok(())
}

/// A PoS holding `old-a` (IssuedToUser) and `old-b` (Reserved); the first initiate conflicts.
async fn occupied_pos() -> std::io::Result<Stub> {
    Stub::start(|seen, n| match (seen.route().as_str(), n) {
        ("POST /payments", 0) => Reply::error(409, Some("1301")),
        ("POST /payments", _) => Reply::ok(json!({"paymentId": "new"})),
        ("GET /payments", _) => Reply::ok(json!({"paymentIds": ["old-a", "old-b"]})),
        ("GET /payments/old-a", _) => Reply::ok(payment("old-a", "IssuedToUser", 10)),
        ("GET /payments/old-b", _) => Reply::ok(payment("old-b", "Reserved", 10)),
        ("GET /payments/new", _) => Reply::ok(payment("new", "Initiated", 10)),
        ("POST /payments/old-a/cancel", _) => Reply::empty(),
        _ => Reply::error(404, None),
    })
    .await
}

#[tokio::test]
async fn a_1301_conflict_cancels_only_active_payments_then_initiates_anew() -> TestResult {
    let stub = occupied_pos().await?;
    let mut client = stub.client(Conduct::default())?;
    let paid = client
        .perform(
            Operation::Pay,
            &pay_params(json!({"waitForCustomer": false})),
        )
        .await??;
    assert_eq!(paid["paymentId"], "new");
    assert_eq!(paid["status"], "Initiated");

    let calls = stub.calls();
    assert_eq!(
        routes(&calls),
        [
            "POST /payments",
            "GET /payments",
            "GET /payments/old-a",
            "POST /payments/old-a/cancel",
            "GET /payments/old-b",
            "POST /payments",
            "GET /payments/new",
        ]
    );
    assert_eq!(calls[1].query.as_deref(), Some("posId=pos-1"));
    let posts = stub.on("POST /payments");
    let key = |seen: &Seen| {
        seen.header("x-mobilepay-idempotency-key")
            .map(str::to_string)
    };
    assert!(key(&posts[0]).is_some() && key(&posts[1]).is_some());
    assert_ne!(
        key(&posts[0]),
        key(&posts[1]),
        "the new initiate is a new logical request"
    );
    assert!(
        calls[3].header("x-mobilepay-idempotency-key").is_none(),
        "no key on cancel"
    );
    Ok(())
}

#[tokio::test]
async fn skipping_conflict_cleanup_reports_1301() -> TestResult {
    let stub = occupied_pos().await?;
    let mut client = stub.client(Conduct::misbehaving(Misbehaviour::SkipConflictCleanup))?;
    let outcome = client
        .perform(Operation::Pay, &pay_params(json!({})))
        .await?;
    assert!(
        outcome
            .err()
            .is_some_and(|message| message.contains("1301"))
    );
    assert_eq!(routes(&stub.calls()), ["POST /payments"]);
    Ok(())
}

#[tokio::test]
async fn an_impossible_partial_capture_becomes_a_cancel() -> TestResult {
    let stub = walking_payment(&["Reserved", "CancelledByClient"], 10).await?;
    let mut client = stub.client(Conduct::default())?;
    client
        .perform(Operation::Pay, &pay_params(json!({})))
        .await??;
    let settled = client
        .perform(
            Operation::Capture,
            &params(json!({"paymentId": "p1", "amount": 60.0})),
        )
        .await??;
    assert_eq!(settled["status"], "CancelledByClient");
    assert!(stub.on("POST /payments/p1/capture").is_empty());
    assert_eq!(stub.on("POST /payments/p1/cancel").len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_payment_seen_terminal_is_never_settled() -> TestResult {
    let stub = walking_payment(&["IssuedToUser", "CancelledByUser"], 10).await?;
    let mut client = stub.client(Conduct::default())?;
    let paid = client
        .perform(Operation::Pay, &pay_params(json!({})))
        .await??;
    assert_eq!(paid["status"], "CancelledByUser");
    let cancel = client
        .perform(Operation::Cancel, &params(json!({"paymentId": "p1"})))
        .await?;
    assert!(cancel.err().is_some_and(|m| m.contains("CancelledByUser")));
    let capture = client
        .perform(
            Operation::Capture,
            &params(json!({"paymentId": "p1", "amount": 100.0})),
        )
        .await?;
    assert!(capture.is_err());
    assert_eq!(
        routes(&stub.calls()),
        ["POST /payments", "GET /payments/p1", "GET /payments/p1"]
    );
    Ok(())
}

#[tokio::test]
async fn prepare_polls_until_paired_and_ready_until_settled() -> TestResult {
    let stub = Stub::start(|seen, n| match seen.route().as_str() {
        "POST /payments/prepare" => Reply::ok(json!({"paymentId": "p1"})),
        "GET /payments/p1" => Reply::ok(payment(
            "p1",
            nth(&["Prepared", "Paired", "IssuedToUser", "Reserved"], n),
            10,
        )),
        "POST /payments/p1/ready" => Reply::empty(),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.client(Conduct::default())?;
    let prepared = client
        .perform(
            Operation::Prepare,
            &params(json!({"posId": "pos-1", "orderId": "o-1"})),
        )
        .await??;
    assert_eq!(
        (prepared["paymentId"].as_str(), prepared["status"].as_str()),
        (Some("p1"), Some("Paired"))
    );
    let ready = json!({"paymentId": "p1", "amount": 89.5, "currencyCode": "DKK", "restrictions": {"debitCardDisallowed": true}});
    let readied = client.perform(Operation::Ready, &params(ready)).await??;
    assert_eq!(readied["status"], "Reserved");
    assert_eq!(readied["partialCapturePossible"], false);

    let calls = stub.on("POST /payments/p1/ready");
    let body: serde_json::Value = serde_json::from_slice(&calls[0].body)?;
    assert_eq!(body["restrictions"]["debitCardDisallowed"], true);
    assert_eq!(body["amount"], json!(89.5));
    assert!(calls[0].header("x-mobilepay-idempotency-key").is_none());
    assert!(
        stub.on("POST /payments/prepare")[0]
            .header("x-mobilepay-idempotency-key")
            .is_some()
    );
    Ok(())
}

#[tokio::test]
async fn a_taken_merchant_pos_id_is_reconciled() -> TestResult {
    let stub = Stub::start(|seen, _| match seen.route().as_str() {
        "GET /stores" => Reply::ok(json!({"storeIds": ["store-1"]})),
        "POST /pointofsales" => Reply::error(409, Some("1200")),
        "GET /pointofsales" => Reply::ok(json!({"posIds": ["pos-9"]})),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.client(Conduct::default())?;
    let given = json!({"merchantBrandId": "MPPOSCERT1", "merchantLocationId": "00001", "merchantPosId": "till-9", "name": "Till 9"});
    let created = client
        .perform(Operation::CreatePos, &params(given))
        .await??;
    assert_eq!(created["posId"], "pos-9");
    assert_eq!(
        stub.on("GET /pointofsales")[0].query.as_deref(),
        Some("merchantPosId=till-9")
    );
    let body: serde_json::Value = serde_json::from_slice(&stub.on("POST /pointofsales")[0].body)?;
    assert_eq!(body["supportedBeaconTypes"], json!(["QR"]));
    Ok(())
}

#[tokio::test]
async fn a_refund_is_polled_until_reserved_then_captured() -> TestResult {
    let stub = Stub::start(|seen, n| {
        let refund = |status: &str| {
            json!({"refundId": "r1", "paymentId": "p1", "refundOrderId": "rf-1", "amount": 40,
                   "currencyCode": "DKK", "status": status, "pollDelayInMs": 30})
        };
        match seen.route().as_str() {
            "POST /refunds" => Reply::ok(json!({"refundId": "r1"})),
            "GET /refunds/r1" => Reply::ok(refund(nth(
                &["Initiated", "Initiated", "Reserved", "Captured"],
                n,
            ))),
            "POST /refunds/r1/capture" => Reply::empty(),
            _ => Reply::error(404, None),
        }
    })
    .await?;
    let mut client = stub.client(Conduct::default())?;
    let given =
        json!({"paymentId": "p1", "amount": 40, "currencyCode": "DKK", "refundOrderId": "rf-1"});
    let refunded = client.perform(Operation::Refund, &params(given)).await??;
    assert_eq!(
        (refunded["refundId"].as_str(), refunded["status"].as_str()),
        (Some("r1"), Some("Reserved"))
    );
    let captured = client
        .perform(Operation::CaptureRefund, &params(json!({"refundId": "r1"})))
        .await??;
    assert_eq!(captured["status"], "Captured");

    let polls = stub.on("GET /refunds/r1");
    assert_eq!(polls.len(), 4);
    assert!(
        polls
            .windows(2)
            .all(|p| p[1].at.duration_since(p[0].at) >= Duration::from_millis(30))
    );
    let body: serde_json::Value = serde_json::from_slice(&stub.on("POST /refunds")[0].body)?;
    assert_eq!(body["amount"], json!(40));
    Ok(())
}
