//! The one rule for time over HTTP: every duration the service states is what the client will
//! experience at the current time scale. A token announced with `expires_in` stops working once
//! that many real seconds have passed, and a reservation expires on the virtual clock — seven
//! virtual days, which at a small enough scale pass within a test — and is then
//! `ExpiredAndCancelled` when read or acted on.

use std::time::Duration;

use mpcert::pos::Endpoint;
use mpcert::pos::constants::{CERT_STORE_ID, RESERVATION_LIFETIME_SECS, TOKEN_LIFETIME_SECS};
use serde_json::json;

use crate::pos_client::{DK, Pos, cases, field, open, service, session_request, token};

#[tokio::test]
async fn expires_in_is_the_token_lifetime_at_the_time_scale() {
    for (scale, expected) in [(1.0, 3700), (0.01, 37), (0.0001, 1)] {
        let service = service(scale).await;
        let http = reqwest::Client::new();
        let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
        let (_, answer) = token(&http, &service, &session, Some(DK)).await;
        assert_eq!(answer["expires_in"], json!(expected), "at scale {scale}");
        let stated = (TOKEN_LIFETIME_SECS as f64 * scale).ceil().max(1.0);
        assert_eq!(answer["expires_in"].as_f64(), Some(stated));
        service.stop().await;
    }
}

#[tokio::test]
async fn a_token_stops_working_once_its_announced_lifetime_has_passed() {
    // At this scale the token is announced with `expires_in: 1`.
    let service = service(0.0001).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    let pos = Pos::claim(&service, &session, DK).await;
    let query = "merchantBrandId=MPPOSCERT1&merchantLocationId=00001";
    let (status, _) = pos.call(Endpoint::GetStores, None, query, None).await;
    assert_eq!(status, 200);
    // Let the announced second pass (this waits for time itself, not for readiness).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, _) = pos.call(Endpoint::GetStores, None, query, None).await;
    assert_eq!(status, 401);
    service.stop().await;
}

#[tokio::test]
async fn a_reservation_expires_after_seven_virtual_days() {
    let scale = 0.000_001;
    let service = service(scale).await;
    let http = reqwest::Client::new();
    let case = "payments/payment-no-partial-capture";
    let mut request = session_request(&cases(&[case]), None);
    request["profile"] = json!("strict");
    let session = open(&http, &service, &request).await;
    let pos = Pos::header(&service, &session, DK).await;
    let (status, created) = pos.create_pos("till-1", CERT_STORE_ID, None).await;
    assert_eq!(status, 200, "{created}");
    let pos_id = field(&created, "posId");
    // The case's customer accepts at once, so the first poll finds the payment reserved.
    session.start(&http, case).await;
    let (status, initiated) = pos.initiate(&pos_id, 100.0, "DKK").await;
    assert_eq!(status, 200, "{initiated}");
    let payment_id = field(&initiated, "paymentId");
    let (_, reserved) = pos
        .call(Endpoint::QueryPayment, Some(&payment_id), "", None)
        .await;
    assert_eq!(field(&reserved, "status"), "Reserved");
    let expires_at = field(&reserved, "paymentExpiresAt");
    let year: i32 = expires_at
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or_else(|| panic!("paymentExpiresAt {expires_at} is not RFC 3339"));
    assert!(year > 1970, "anchored to the wall clock: {expires_at}");
    assert_eq!(expires_at.get(10..11), Some("T"), "{expires_at}");

    // Seven virtual days are 0.6 s of real time at this scale; let them pass.
    let lifetime = Duration::from_secs_f64(RESERVATION_LIFETIME_SECS as f64 * scale);
    tokio::time::sleep(lifetime + Duration::from_millis(100)).await;

    // The first token may have run out meanwhile (it lives 1 s); take a fresh one.
    let pos = Pos::header(&service, &session, DK).await;
    let (status, expired) = pos
        .call(Endpoint::QueryPayment, Some(&payment_id), "", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(field(&expired, "status"), "ExpiredAndCancelled");
    assert!(expired.get("paymentExpiresAt").is_none(), "{expired}");
    let capture = json!({ "amount": 100.0 });
    let (status, answer) = pos
        .call(
            Endpoint::CapturePayment,
            Some(&payment_id),
            "",
            Some(&capture),
        )
        .await;
    assert_eq!((status, field(&answer, "code")), (409, "1304".into()));
    let (status, answer) = pos
        .call(Endpoint::CancelPayment, Some(&payment_id), "", None)
        .await;
    assert_eq!((status, field(&answer, "code")), (409, "1300".into()));
    let query = format!("posId={pos_id}");
    let (_, listed) = pos
        .call(Endpoint::QueryPaymentIds, None, &query, None)
        .await;
    assert_eq!(
        listed["paymentIds"],
        json!([]),
        "an expired reservation is not listed"
    );
    service.stop().await;
}
