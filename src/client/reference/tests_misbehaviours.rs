//! Tests of the deliberate misbehaviours against the scripted stub: each switch makes the client
//! send what a real buggy till sends (a changed retry body, too many retries, missing VAT or
//! client id, a blind repeat of a refused initiate, no lookup of a lost id, a poll after a
//! terminal state, a premature, wrong or impossible capture, a refund left uncaptured, a ready
//! before pairing), and the correct client does none of it.

use std::error::Error;

use serde_json::{Value, json};

use super::stub::{Reply, Seen, Stub, nth, params, payment, refund};
use super::{Conduct, Misbehaviour};
use crate::catalogue::Operation;
use crate::client::protocol::Fields;

type TestResult = Result<(), Box<dyn Error>>;

fn pay_params() -> Fields {
    params(json!({"posId": "pos-1", "orderId": "o-1", "amount": 100.0, "currencyCode": "DKK"}))
}

fn routes(calls: &[Seen]) -> Vec<String> {
    calls.iter().map(Seen::route).collect()
}

fn key(seen: &Seen) -> Option<String> {
    seen.header("x-mobilepay-idempotency-key")
        .map(str::to_string)
}

/// A PoS where `POST /payments` fails `failures` times with 500, then creates `p1`; `p1`
/// walks through `statuses` (with `partialCapturePossible` = `partial` once Reserved); a
/// lookup finds nothing, captures and cancels succeed, and a 409 `1301` comes first when
/// `occupied`.
struct Script {
    failures: usize,
    statuses: &'static [&'static str],
    partial: bool,
    occupied: bool,
}

impl Script {
    const RESERVED: Script = Script {
        failures: 0,
        statuses: &["Reserved"],
        partial: false,
        occupied: false,
    };

    async fn start(self) -> std::io::Result<Stub> {
        Stub::start(move |seen, n| match seen.route().as_str() {
            "POST /payments" if self.occupied => Reply::error(409, Some("1301")),
            "POST /payments" if n < self.failures => Reply::error(500, Some("2000")),
            "POST /payments" => Reply::ok(json!({"paymentId": "p1"})),
            "GET /payments" => Reply::ok(json!({"paymentIds": []})),
            "GET /payments/p1" => {
                let mut answer = payment("p1", nth(self.statuses, n), 10);
                if answer.get("partialCapturePossible").is_some() {
                    answer["partialCapturePossible"] = json!(self.partial);
                }
                Reply::ok(answer)
            }
            "POST /payments/p1/capture" | "POST /payments/p1/cancel" => Reply::empty(),
            _ => Reply::error(404, None),
        })
        .await
    }
}

/// Runs `pay` (and, when given, a capture of `capture` afterwards) with `conduct`; returns the
/// stub and the outcome of the last operation.
async fn run(
    script: Script,
    conduct: Conduct,
    capture: Option<f64>,
) -> Result<(Stub, Result<Fields, String>), Box<dyn Error>> {
    let stub = script.start().await?;
    let mut client = stub.client(conduct)?;
    let mut outcome = client.perform(Operation::Pay, &pay_params()).await?;
    if let Some(amount) = capture {
        let given = params(json!({"paymentId": "p1", "amount": amount}));
        outcome = client.perform(Operation::Capture, &given).await?;
    }
    Ok((stub, outcome))
}

fn failing(failures: usize) -> Script {
    Script {
        failures,
        ..Script::RESERVED
    }
}

#[tokio::test]
async fn a_changed_body_on_retry_stamps_the_order_reference() -> TestResult {
    let conduct = Conduct::misbehaving(Misbehaviour::ChangedBodyOnRetry);
    let (stub, _) = run(failing(1), conduct, None).await?;
    let posts = stub.on("POST /payments");
    assert_eq!(posts.len(), 2);
    assert_eq!(key(&posts[0]), key(&posts[1]));
    let retried: Value = serde_json::from_slice(&posts[1].body)?;
    assert_eq!(retried["orderId"], "o-1-2");
    assert_eq!(retried["amount"], json!(100.0));
    Ok(())
}

#[tokio::test]
async fn too_many_retries_makes_seven_calls() -> TestResult {
    let conduct = Conduct::misbehaving(Misbehaviour::TooManyRetries);
    let (stub, outcome) = run(failing(20), conduct, None).await?;
    assert!(outcome.is_err());
    assert_eq!(stub.on("POST /payments").len(), 7);
    Ok(())
}

#[tokio::test]
async fn a_lost_id_not_looked_up_is_given_up() -> TestResult {
    let conduct = Conduct::misbehaving(Misbehaviour::LostIdNotLookedUp);
    let (stub, outcome) = run(failing(20), conduct, None).await?;
    let failure = outcome.err().unwrap_or_default();
    assert!(failure.contains("failed after 3 attempts"), "{failure}");
    assert!(stub.on("GET /payments").is_empty());
    Ok(())
}

#[tokio::test]
async fn the_vat_and_client_id_can_be_left_out() -> TestResult {
    let (stub, _) = run(
        Script::RESERVED,
        Conduct::misbehaving(Misbehaviour::OmitMerchantVat),
        None,
    )
    .await?;
    const VAT: &str = "x-mobilepay-merchant-vat-number";
    const CLIENT_ID: &str = "x-ibm-client-id";
    let all = stub.calls().len();
    assert_eq!((stub.calls_with(VAT), stub.calls_with(CLIENT_ID)), (0, all));
    assert!(
        stub.token_bodies()
            .iter()
            .all(|b| !b.contains("merchant_vat"))
    );

    let (stub, _) = run(
        Script::RESERVED,
        Conduct::misbehaving(Misbehaviour::OmitClientId),
        None,
    )
    .await?;
    let all = stub.calls().len();
    assert_eq!((stub.calls_with(VAT), stub.calls_with(CLIENT_ID)), (all, 0));
    Ok(())
}

#[tokio::test]
async fn a_refused_initiate_is_repeated_as_it_was() -> TestResult {
    let occupied = Script {
        occupied: true,
        ..Script::RESERVED
    };
    let conduct = Conduct::misbehaving(Misbehaviour::RetryRefusedRequest);
    let (stub, outcome) = run(occupied, conduct, None).await?;
    assert!(outcome.err().is_some_and(|m| m.contains("1301")));
    let posts = stub.on("POST /payments");
    assert_eq!(routes(&stub.calls()), ["POST /payments"; 3]);
    assert!(
        posts
            .iter()
            .all(|p| key(p).is_some() && key(p) == key(&posts[0]))
    );
    assert!(posts.iter().all(|p| p.body == posts[0].body));
    Ok(())
}

#[tokio::test]
async fn acting_after_a_terminal_state_polls_once_more() -> TestResult {
    let cancelled = Script {
        statuses: &["IssuedToUser", "CancelledByUser"],
        ..Script::RESERVED
    };
    let conduct = Conduct::misbehaving(Misbehaviour::ActAfterTerminal);
    let (stub, outcome) = run(cancelled, conduct, None).await?;
    assert_eq!(outcome?["status"], "CancelledByUser");
    assert_eq!(stub.on("GET /payments/p1").len(), 3);
    Ok(())
}

#[tokio::test]
async fn capturing_before_reserved_captures_right_after_the_initiate() -> TestResult {
    let walking = Script {
        statuses: &["Initiated", "IssuedToUser", "Reserved"],
        ..Script::RESERVED
    };
    let conduct = Conduct::misbehaving(Misbehaviour::CaptureBeforeReserved);
    let (stub, outcome) = run(walking, conduct, None).await?;
    assert_eq!(outcome?["status"], "Reserved");
    assert_eq!(
        routes(&stub.calls())[..3],
        [
            "POST /payments",
            "POST /payments/p1/capture",
            "GET /payments/p1"
        ]
    );
    Ok(())
}

/// The amount of the one capture sent.
fn captured_amount(stub: &Stub) -> Result<Value, Box<dyn Error>> {
    let captures = stub.on("POST /payments/p1/capture");
    assert_eq!(captures.len(), 1);
    Ok(serde_json::from_slice::<Value>(&captures[0].body)?["amount"].clone())
}

#[tokio::test]
async fn wrong_and_impossible_captures_are_sent_as_the_till_computes_them() -> TestResult {
    let partial = Script {
        partial: true,
        ..Script::RESERVED
    };
    let (stub, _) = run(partial, Conduct::default(), Some(60.0)).await?;
    assert_eq!(captured_amount(&stub)?, json!(60.0));

    let partial = Script {
        partial: true,
        ..Script::RESERVED
    };
    let conduct = Conduct::misbehaving(Misbehaviour::CaptureWrongAmount);
    let (stub, _) = run(partial, conduct, Some(60.0)).await?;
    assert_eq!(
        captured_amount(&stub)?,
        json!(100.0),
        "the whole reservation"
    );

    let conduct = Conduct::misbehaving(Misbehaviour::PartialCaptureWhenNotPossible);
    let (stub, _) = run(Script::RESERVED, conduct, Some(60.0)).await?;
    assert_eq!(captured_amount(&stub)?, json!(60.0));
    assert!(stub.on("POST /payments/p1/cancel").is_empty());
    Ok(())
}

#[tokio::test]
async fn a_refund_never_captured_stays_reserved() -> TestResult {
    let stub = Stub::start(|seen, _| match seen.route().as_str() {
        "GET /refunds/r1" => Reply::ok(refund("r1", "rf-1", "Reserved")),
        _ => Reply::empty(),
    })
    .await?;
    let mut client = stub.client(Conduct::misbehaving(Misbehaviour::RefundNeverCaptured))?;
    let settle = params(json!({"refundId": "r1"}));
    let outcome = client.perform(Operation::CaptureRefund, &settle).await??;
    assert_eq!(outcome["status"], "Reserved");
    assert_eq!(routes(&stub.calls()), ["GET /refunds/r1"]);
    // Cancelling still works.
    client.perform(Operation::CancelRefund, &settle).await??;
    assert_eq!(stub.on("POST /refunds/r1/cancel").len(), 1);
    Ok(())
}

#[tokio::test]
async fn readying_before_paired_returns_after_one_poll() -> TestResult {
    let stub = Stub::start(|seen, n| match seen.route().as_str() {
        "POST /payments/prepare" => Reply::ok(json!({"paymentId": "p1"})),
        "GET /payments/p1" => Reply::ok(payment("p1", nth(&["Prepared", "Paired"], n), 10)),
        _ => Reply::error(404, None),
    })
    .await?;
    let mut client = stub.client(Conduct::misbehaving(Misbehaviour::ReadyBeforePaired))?;
    let given = params(json!({"posId": "pos-1", "orderId": "o-1"}));
    let prepared = client.perform(Operation::Prepare, &given).await??;
    assert_eq!(prepared["status"], "Prepared");
    assert_eq!(stub.on("GET /payments/p1").len(), 1);
    Ok(())
}
