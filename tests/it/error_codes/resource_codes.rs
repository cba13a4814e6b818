//! The scenarios that provoke the error codes of points of sale, payments and refunds, the
//! server error of an injected fault, and the refund window that needs 90 virtual days.

use std::time::Duration;

use mpcert::pos::constants::STORE_REFUND_BALANCE;
use mpcert::pos::{Endpoint, ErrorCode};
use serde_json::json;

use super::Provoked;
use super::till::{Till, payment, pos_body, refund};
use crate::pos_client::{FI, Pos, cases, field, open, service, session_request};

/// The codes of points of sale and payments.
pub async fn provoke_payment_codes(till: &Till<'_>, provoked: &mut Provoked) {
    let pos = &till.pos;
    let (pos_id, beacon) = till.new_pos().await;
    let taken = pos_body("taken", &uuid::Uuid::new_v4().to_string());
    let again = pos_body("taken", &uuid::Uuid::new_v4().to_string());
    pos.call(Endpoint::CreatePos, None, "", Some(&taken)).await;
    provoked.check(
        ErrorCode::MerchantPosIdTaken,
        "a second PoS with the same merchantPosId",
        pos.call(Endpoint::CreatePos, None, "", Some(&again)).await,
    );
    let same_beacon = pos_body("other-till", &beacon);
    provoked.check(
        ErrorCode::BeaconIdTaken,
        "a second PoS with the same beaconId",
        pos.call(Endpoint::CreatePos, None, "", Some(&same_beacon))
            .await,
    );
    let finnish = pos.acting_for(FI);
    provoked.check(
        ErrorCode::GetPosOfOtherMerchant,
        "`GET /pointofsales/{id}` of a Danish PoS, acting for the Finnish merchant",
        finnish
            .call(Endpoint::GetPos, Some(&pos_id), "", None)
            .await,
    );
    provoked.check(
        ErrorCode::DeletePosOfOtherMerchant,
        "`DELETE /pointofsales/{id}` of a Danish PoS, acting for the Finnish merchant",
        finnish
            .call(Endpoint::DeletePos, Some(&pos_id), "", None)
            .await,
    );
    provoked.check(
        ErrorCode::PosOfOtherIntegrator,
        "`POST /payments` on a Danish PoS, acting for the Finnish merchant",
        finnish
            .call(
                Endpoint::InitiatePayment,
                None,
                "",
                Some(&payment(&pos_id, 10.0)),
            )
            .await,
    );
    provoked.check(
        ErrorCode::PosNotFound,
        "`POST /payments` on an unknown PoS",
        pos.call(
            Endpoint::InitiatePayment,
            None,
            "",
            Some(&payment(&uuid::Uuid::new_v4().to_string(), 10.0)),
        )
        .await,
    );
    provoked.check(
        ErrorCode::InvalidAmount,
        "`POST /payments` of -1",
        pos.call(
            Endpoint::InitiatePayment,
            None,
            "",
            Some(&payment(&pos_id, -1.0)),
        )
        .await,
    );
    let mut body = payment(&pos_id, 10.0);
    body["orderId"] = json!("");
    provoked.check(
        ErrorCode::InvalidOrderId,
        "`POST /payments` with an empty orderId",
        pos.call(Endpoint::InitiatePayment, None, "", Some(&body))
            .await,
    );
    let mut body = payment(&pos_id, 10.0);
    body["merchantPaymentLabel"] = json!("x".repeat(37));
    provoked.check(
        ErrorCode::InvalidPaymentLabel,
        "`POST /payments` with a 37-character merchantPaymentLabel",
        pos.call(Endpoint::InitiatePayment, None, "", Some(&body))
            .await,
    );

    let active = till.pay(&pos_id, 10.0).await;
    provoked.check(
        ErrorCode::PaymentActive,
        "a second `POST /payments` on the PoS while the first is active",
        pos.call(
            Endpoint::InitiatePayment,
            None,
            "",
            Some(&payment(&pos_id, 10.0)),
        )
        .await,
    );
    let ready = json!({ "amount": 10.0, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    provoked.check(
        ErrorCode::PaymentNotPrepared,
        "`POST /payments/{id}/ready` of an initiated payment",
        pos.call(Endpoint::PaymentReady, Some(&active), "", Some(&ready))
            .await,
    );
    provoked.check(
        ErrorCode::ReadyOfOtherMerchant,
        "`POST /payments/{id}/ready` of a Danish payment, acting for the Finnish merchant",
        finnish
            .call(Endpoint::PaymentReady, Some(&active), "", Some(&ready))
            .await,
    );
    provoked.check(
        ErrorCode::GetPaymentOfOtherMerchant,
        "`GET /payments/{id}` of a Danish payment, acting for the Finnish merchant",
        finnish
            .call(Endpoint::QueryPayment, Some(&active), "", None)
            .await,
    );
    provoked.check(
        ErrorCode::CaptureOfOtherMerchant,
        "a capture of a Danish payment, acting for the Finnish merchant",
        finnish
            .call(
                Endpoint::CapturePayment,
                Some(&active),
                "",
                Some(&json!({ "amount": 10.0 })),
            )
            .await,
    );
    provoked.check(
        ErrorCode::CancelOfOtherMerchant,
        "a cancel of a Danish payment, acting for the Finnish merchant",
        finnish
            .call(Endpoint::CancelPayment, Some(&active), "", None)
            .await,
    );
    provoked.check(
        ErrorCode::PaymentNotReserved,
        "a capture of an initiated payment",
        till.capture(&active, 10.0).await,
    );

    let no_partial = till.reserved(100.0, "+4520031801").await;
    provoked.check(
        ErrorCode::CaptureAboveReserved,
        "a capture of 200 of a 100 reservation",
        till.capture(&no_partial, 200.0).await,
    );
    provoked.check(
        ErrorCode::PartialCaptureImpossible,
        "a capture of 50 of a 100 reservation without partial capture",
        till.capture(&no_partial, 50.0).await,
    );
    let captured = till.captured(100.0).await;
    provoked.check(
        ErrorCode::CapturedWithOtherAmount,
        "a second capture of a captured payment with another amount",
        till.capture(&captured, 90.0).await,
    );
    provoked.check(
        ErrorCode::PaymentNotCancellable,
        "a cancel of a captured payment",
        pos.call(Endpoint::CancelPayment, Some(&captured), "", None)
            .await,
    );

    let body = pos_body("keyed-till", &uuid::Uuid::new_v4().to_string());
    let first = pos
        .request(reqwest::Method::POST, "/pointofsales")
        .header("X-MobilePay-Idempotency-Key", "reused-key")
        .json(&body);
    pos.exchange(Endpoint::CreatePos, first).await;
    let other = pos
        .request(reqwest::Method::POST, "/pointofsales")
        .header("X-MobilePay-Idempotency-Key", "reused-key")
        .json(&pos_body("other", &uuid::Uuid::new_v4().to_string()));
    provoked.check(
        ErrorCode::IdempotencyKeyReused,
        "the idempotency key of a created PoS used again with another body",
        pos.exchange(Endpoint::CreatePos, other).await,
    );
}

/// The codes of refunds.
pub async fn provoke_refund_codes(till: &Till<'_>, provoked: &mut Provoked) {
    let pos = &till.pos;
    provoked.check(
        ErrorCode::PaymentNotFound,
        "`POST /refunds` of an unknown payment",
        till.refund(&refund(&uuid::Uuid::new_v4().to_string(), 10.0, "DKK"))
            .await,
    );
    let reserved = till.reserved(50.0, "+4520031801").await;
    provoked.check(
        ErrorCode::PaymentNotCaptured,
        "`POST /refunds` of a reserved payment",
        till.refund(&refund(&reserved, 10.0, "DKK")).await,
    );
    let captured = till.captured(100.0).await;
    provoked.check(
        ErrorCode::RefundCurrencyMismatch,
        "a refund in EUR of a DKK payment",
        till.refund(&refund(&captured, 10.0, "EUR")).await,
    );
    provoked.check(
        ErrorCode::RefundAmountTooHigh,
        "a refund of 150 of a 100 capture",
        till.refund(&refund(&captured, 150.0, "DKK")).await,
    );
    let mut body = refund(&captured, 10.0, "DKK");
    body["refundOrderId"] = json!("");
    provoked.check(
        ErrorCode::InvalidRefundOrderId,
        "a refund with an empty refundOrderId",
        till.refund(&body).await,
    );
    provoked.check(
        ErrorCode::RefundNotFound,
        "a capture of an unknown refund (the one coded 404)",
        pos.call(
            Endpoint::CaptureRefund,
            Some(&uuid::Uuid::new_v4().to_string()),
            "",
            None,
        )
        .await,
    );
    let finnish = pos.acting_for(FI);
    provoked.check(
        ErrorCode::PaymentOfOtherIntegrator,
        "`POST /refunds` of a Danish payment, acting for the Finnish merchant",
        finnish
            .call(
                Endpoint::CreateRefund,
                None,
                "",
                Some(&refund(&captured, 10.0, "DKK")),
            )
            .await,
    );
    let (status, created) = till.refund(&refund(&captured, 10.0, "DKK")).await;
    assert_eq!(status, 200, "{created}");
    let refund_id = field(&created, "refundId");
    provoked.check(
        ErrorCode::RefundOfOtherIntegrator,
        "`GET /refunds/{id}` of a Danish refund, acting for the Finnish merchant",
        finnish
            .call(Endpoint::GetRefund, Some(&refund_id), "", None)
            .await,
    );
    provoked.check(
        ErrorCode::RefundNotReserved,
        "a capture of a refund not yet reserved",
        pos.call(Endpoint::CaptureRefund, Some(&refund_id), "", None)
            .await,
    );
    let (status, _) = pos
        .call(Endpoint::CancelRefund, Some(&refund_id), "", None)
        .await;
    assert_eq!(status, 200, "a refund not yet reserved can be cancelled");
    let balance = STORE_REFUND_BALANCE + 1.0;
    let large = till.captured(balance).await;
    provoked.check(
        ErrorCode::StoreBalanceTooLow,
        "a refund larger than the store's balance",
        till.refund(&refund(&large, balance, "DKK")).await,
    );
    let settled = till.captured(20.0).await;
    let (_, created) = till.refund(&refund(&settled, 20.0, "DKK")).await;
    let settled_refund = field(&created, "refundId");
    let mut status = String::new();
    for _ in 0..10 {
        let (_, polled) = pos
            .call(Endpoint::GetRefund, Some(&settled_refund), "", None)
            .await;
        status = field(&polled, "status");
        if status == "Reserved" {
            break;
        }
    }
    assert_eq!(
        status, "Reserved",
        "MobilePay reserves a refund after a few polls"
    );
    let (status, _) = pos
        .call(Endpoint::CaptureRefund, Some(&settled_refund), "", None)
        .await;
    assert_eq!(status, 200);
    provoked.check(
        ErrorCode::RefundNotCancellable,
        "a cancel of a captured refund",
        pos.call(Endpoint::CancelRefund, Some(&settled_refund), "", None)
            .await,
    );
}

/// The server error of an injected fault: the onboarding case answers its second create with 500.
pub async fn provoke_internal_error(till: &Till<'_>, provoked: &mut Provoked) {
    till.session
        .start(&reqwest::Client::new(), "onboarding/onboard-pos")
        .await;
    let body = pos_body("faulted-till", &uuid::Uuid::new_v4().to_string());
    let held = till
        .pos
        .request(reqwest::Method::POST, "/pointofsales")
        .header("X-MobilePay-Idempotency-Key", "faulted-key")
        .json(&body)
        .timeout(Duration::from_millis(100));
    assert!(
        held.send().await.is_err(),
        "the first create is held past the timeout"
    );
    let retried = till
        .pos
        .request(reqwest::Method::POST, "/pointofsales")
        .header("X-MobilePay-Idempotency-Key", "faulted-key")
        .json(&body);
    provoked.check(
        ErrorCode::Internal,
        "a retried create that the armed onboarding case fails with 500",
        till.pos.exchange(Endpoint::CreatePos, retried).await,
    );
}

/// A payment captured over 90 virtual days ago, on a service where days pass in milliseconds.
pub async fn provoke_too_old(provoked: &mut Provoked) {
    let scale = 5e-7;
    let service = service(scale).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    let till = Till {
        pos: Pos::header(&service, &session, "DK90000028").await,
        session: &session,
        service: &service,
    };
    let captured = till.captured(10.0).await;
    // Ninety virtual days pass in under 4 s at this scale (this waits for time, not readiness).
    tokio::time::sleep(Duration::from_secs_f64(90.0 * 86_400.0 * scale + 0.1)).await;
    let pos = Pos::header(&service, &session, "DK90000028").await;
    let body = refund(&captured, 5.0, "DKK");
    provoked.check(
        ErrorCode::PaymentTooOld,
        "a refund of a payment captured over 90 virtual days ago",
        pos.call(Endpoint::CreateRefund, None, "", Some(&body))
            .await,
    );
    service.stop().await;
}
