//! Refunds end to end over HTTP: the reference client creates a PoS, pays, captures, refunds and
//! settles refunds against the embedded service, whose refund state machine it must follow.

use mpcert::catalogue::Operation;
use mpcert::client::protocol::Fields;
use mpcert::client::reference::Conduct;
use mpcert::client::{Adapter, ClientSpec};
use serde_json::{Value, json};

use crate::pos_http::PosSession;

/// Performs `op` with `params`, which must succeed.
async fn perform(client: &mut Adapter, op: Operation, params: Value) -> Fields {
    let fields = match params {
        Value::Object(fields) => fields,
        other => panic!("parameters must be an object, not {other}"),
    };
    match client
        .perform(op, &fields)
        .await
        .map(|answer| answer.outcome)
    {
        Ok(Ok(result)) => result,
        Ok(Err(message)) => panic!("{}: failed: {message}", op.as_str()),
        Err(error) => panic!("{}: adapter error: {error}", op.as_str()),
    }
}

fn text(fields: &Fields, name: &str) -> String {
    fields
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no `{name}` in {fields:?}"))
        .to_string()
}

#[tokio::test]
async fn the_reference_client_pays_captures_refunds_and_settles_refunds() {
    let session = PosSession::open().await;
    let spec = ClientSpec::Reference(Conduct::default());
    let mut client =
        Adapter::connect(&spec, session.connection()).unwrap_or_else(|e| panic!("connect: {e}"));

    let pos = perform(
        &mut client,
        Operation::CreatePos,
        json!({
            "merchantBrandId": "MPPOSCERT1",
            "merchantLocationId": "00001",
            "merchantPosId": "till-refunds",
            "name": "Refund till",
        }),
    )
    .await;
    let paid = perform(
        &mut client,
        Operation::Pay,
        json!({
            "posId": text(&pos, "posId"),
            "orderId": "order-refunds",
            "amount": 100.00,
            "currencyCode": "DKK",
        }),
    )
    .await;
    assert_eq!(text(&paid, "status"), "Reserved");
    let payment_id = text(&paid, "paymentId");
    let captured = perform(
        &mut client,
        Operation::Capture,
        json!({ "paymentId": payment_id, "amount": 100.00 }),
    )
    .await;
    assert_eq!(text(&captured, "status"), "Captured");

    let refund = |amount: f64, order: &str| {
        json!({
            "paymentId": payment_id,
            "refundOrderId": order,
            "amount": amount,
            "currencyCode": "DKK",
        })
    };
    let refunded = perform(&mut client, Operation::Refund, refund(40.0, "refund-1")).await;
    assert_eq!(text(&refunded, "status"), "Reserved");
    let settled = perform(
        &mut client,
        Operation::CaptureRefund,
        json!({ "refundId": text(&refunded, "refundId") }),
    )
    .await;
    assert_eq!(text(&settled, "status"), "Captured");

    let second = perform(&mut client, Operation::Refund, refund(60.0, "refund-2")).await;
    let cancelled = perform(
        &mut client,
        Operation::CancelRefund,
        json!({ "refundId": text(&second, "refundId") }),
    )
    .await;
    assert_eq!(text(&cancelled, "status"), "CancelledByClient");

    // The cancelled refund no longer counts against the captured amount.
    let third = perform(&mut client, Operation::Refund, refund(60.0, "refund-3")).await;
    assert_eq!(text(&third, "status"), "Reserved");
    assert_ne!(text(&third, "refundId"), text(&second, "refundId"));
    session.service.stop().await;
}
