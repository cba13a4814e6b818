//! Merchants and integrators over HTTP. A session is one integrator connected to both
//! certification merchants: a call acts for the merchant its token claims, else the one its VAT
//! header names; another merchant's resources get the documented 403 and listings show only
//! the merchant's own. Another session (integrator) is invisible: its ids are not found. Beacon
//! ids are unique across the whole service. The Finnish merchant has a store of its own and pays
//! in euro.

use mpcert::pos::Endpoint;
use mpcert::pos::constants::{CERT_STORE_ID, CERT_STORE_ID_FI};
use mpcert::service::RunningService;
use serde_json::{Value, json};

use crate::error_codes::till::{Till, refund};
use crate::pos_client::{
    DK, FI, Opened, Pos, STRANGER, cases, field, open, service, session_request,
};

/// A Danish PoS with an initiated 100 DKK payment, made through the header by `pos`.
async fn danish_payment(pos: &Pos) -> (String, String) {
    let (status, created) = pos.create_pos("till-1", CERT_STORE_ID, None).await;
    assert_eq!(status, 200, "{created}");
    let pos_id = field(&created, "posId");
    let (status, initiated) = pos.initiate(&pos_id, 100.0, "DKK").await;
    assert_eq!(status, 200, "{initiated}");
    (pos_id, field(&initiated, "paymentId"))
}

/// A captured 100 DKK payment on a PoS of its own and a 10 DKK refund of it, made by `dk`:
/// (payment id, refund id).
async fn danish_refund(dk: &Pos, session: &Opened, service: &RunningService) -> (String, String) {
    let till = Till {
        pos: dk.clone(),
        session,
        service,
    };
    let payment_id = till.captured(100.0).await;
    let (status, created) = till.refund(&refund(&payment_id, 10.0, "DKK")).await;
    assert_eq!(status, 200, "{created}");
    (payment_id, field(&created, "refundId"))
}

fn ids(answer: &Value, name: &str) -> Vec<String> {
    answer[name]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn another_merchants_resources_get_the_documented_403_codes() {
    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    let dk = Pos::header(&service, &session, DK).await;
    let (pos_id, payment_id) = danish_payment(&dk).await;
    let (captured_id, refund_id) = danish_refund(&dk, &session, &service).await;
    let finnish_claim = Pos::claim(&service, &session, FI).await;
    for (other, how) in [
        (dk.acting_for(FI), "FI header"),
        (dk.acting_for(STRANGER), "stranger's header"),
        (finnish_claim, "FI claim"),
    ] {
        for (endpoint, id, body, expected) in [
            (Endpoint::GetPos, &pos_id, None, "1410"),
            (Endpoint::QueryPayment, &payment_id, None, "1411"),
            (
                Endpoint::CapturePayment,
                &payment_id,
                Some(json!({"amount": 100.0})),
                "1407",
            ),
            (Endpoint::CancelPayment, &payment_id, None, "1408"),
            (Endpoint::DeletePos, &pos_id, None, "1409"),
            (Endpoint::GetRefund, &refund_id, None, "1402"),
            (Endpoint::CaptureRefund, &refund_id, None, "1402"),
            (Endpoint::CancelRefund, &refund_id, None, "1402"),
        ] {
            let (status, answer) = other.call(endpoint, Some(id), "", body.as_ref()).await;
            assert_eq!(
                (status, answer["code"].as_str()),
                (403, Some(expected)),
                "{endpoint} with {how}: {answer}"
            );
        }
        let (status, answer) = other.initiate(&pos_id, 10.0, "DKK").await;
        assert_eq!(
            (status, field(&answer, "code")),
            (403, "1400".into()),
            "{how}"
        );
        let (status, answer) = other.create_pos("till-9", CERT_STORE_ID, None).await;
        assert_eq!(
            (status, field(&answer, "code")),
            (403, "1403".into()),
            "{how}"
        );
        let body = refund(&captured_id, 10.0, "DKK");
        let (status, answer) = other
            .call(Endpoint::CreateRefund, None, "", Some(&body))
            .await;
        assert_eq!(
            (status, field(&answer, "code")),
            (403, "1401".into()),
            "{how}"
        );
    }
    // Nothing happened to the Danish merchant's resources.
    let (status, answer) = dk
        .call(Endpoint::QueryPayment, Some(&payment_id), "", None)
        .await;
    assert_eq!(
        (status, field(&answer, "status")),
        (200, "Initiated".into())
    );
    let (status, _) = dk.call(Endpoint::GetPos, Some(&pos_id), "", None).await;
    assert_eq!(status, 200);
    // The refused reads did not poll the refund along, and it is the only refund of its payment.
    let (status, answer) = dk
        .call(Endpoint::GetRefund, Some(&refund_id), "", None)
        .await;
    assert_eq!(
        (status, field(&answer, "status")),
        (200, "Initiated".into())
    );
    let query = format!("paymentId={captured_id}");
    let (_, listed) = dk.call(Endpoint::QueryRefundIds, None, &query, None).await;
    assert_eq!(ids(&listed, "refundIds"), vec![refund_id]);
    service.stop().await;
}

#[tokio::test]
async fn listings_show_only_the_merchants_own_resources() {
    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    let dk = Pos::header(&service, &session, DK).await;
    let (pos_id, payment_id) = danish_payment(&dk).await;
    let fi = dk.acting_for(FI);
    for (pos, expected_pos, expected_payment) in [
        (&dk, vec![pos_id.clone()], vec![payment_id.clone()]),
        (&fi, vec![], vec![]),
    ] {
        let (status, listed) = pos
            .call(
                Endpoint::GetPosWithFilter,
                None,
                "merchantPosId=till-1",
                None,
            )
            .await;
        assert_eq!(
            (status, ids(&listed, "posIds")),
            (200, expected_pos.clone())
        );
        let query = format!("storeId={CERT_STORE_ID}");
        let (_, listed) = pos
            .call(Endpoint::GetPosWithFilter, None, &query, None)
            .await;
        assert_eq!(ids(&listed, "posIds"), expected_pos);
        let query = format!("posId={pos_id}");
        let (status, listed) = pos
            .call(Endpoint::QueryPaymentIds, None, &query, None)
            .await;
        assert_eq!(
            (status, ids(&listed, "paymentIds")),
            (200, expected_payment.clone())
        );
    }
    let (_, stores) = fi
        .call(
            Endpoint::GetStores,
            None,
            "merchantBrandId=MPPOSCERT1&merchantLocationId=00001",
            None,
        )
        .await;
    assert_eq!(ids(&stores, "storeIds"), vec![CERT_STORE_ID_FI.to_string()]);
    let (status, _) = fi
        .call(Endpoint::GetStore, Some(CERT_STORE_ID), "", None)
        .await;
    assert_eq!(status, 404, "another merchant's store is not found");
    let (captured_id, refund_id) = danish_refund(&dk, &session, &service).await;
    let query = format!("paymentId={captured_id}");
    for (pos, expected) in [(&dk, vec![refund_id]), (&fi, vec![])] {
        let (status, listed) = pos.call(Endpoint::QueryRefundIds, None, &query, None).await;
        assert_eq!((status, ids(&listed, "refundIds")), (200, expected));
    }
    service.stop().await;
}

#[tokio::test]
async fn another_sessions_resources_are_not_found() {
    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let request = session_request(&cases(&[]), None);
    let mine = Pos::header(&service, &open(&http, &service, &request).await, DK).await;
    let theirs = Pos::header(&service, &open(&http, &service, &request).await, DK).await;
    let (pos_id, payment_id) = danish_payment(&theirs).await;
    for (endpoint, id) in [
        (Endpoint::GetPos, &pos_id),
        (Endpoint::DeletePos, &pos_id),
        (Endpoint::QueryPayment, &payment_id),
        (Endpoint::CancelPayment, &payment_id),
    ] {
        let (status, answer) = mine.call(endpoint, Some(id), "", None).await;
        assert_eq!(status, 404, "{endpoint}: {answer}");
    }
    let (status, answer) = mine.initiate(&pos_id, 10.0, "DKK").await;
    assert_eq!((status, field(&answer, "code")), (409, "1000".into()));
    let query = format!("posId={pos_id}");
    let (_, listed) = mine
        .call(Endpoint::QueryPaymentIds, None, &query, None)
        .await;
    assert_eq!(ids(&listed, "paymentIds"), Vec::<String>::new());
    // The same merchantPosId is free in another integrator's world.
    let (status, _) = mine.create_pos("till-1", CERT_STORE_ID, None).await;
    assert_eq!(status, 200);
    service.stop().await;
}

#[tokio::test]
async fn a_beacon_id_is_unique_across_sessions_until_its_pos_is_deleted() {
    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let request = session_request(&cases(&[]), None);
    let first = Pos::header(&service, &open(&http, &service, &request).await, DK).await;
    let second = Pos::header(&service, &open(&http, &service, &request).await, DK).await;
    let beacon = "c1f0a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
    let (status, created) = first
        .create_pos("till-1", CERT_STORE_ID, Some(beacon))
        .await;
    assert_eq!(status, 200);
    let pos_id = field(&created, "posId");
    let upper = beacon.to_ascii_uppercase();
    let (status, answer) = second
        .create_pos("till-2", CERT_STORE_ID, Some(&upper))
        .await;
    assert_eq!((status, field(&answer, "code")), (409, "1202".into()));
    let (status, answer) = first
        .create_pos("till-3", CERT_STORE_ID, Some(beacon))
        .await;
    assert_eq!(
        (status, field(&answer, "code")),
        (409, "1202".into()),
        "same session"
    );
    assert_eq!(
        service.state().beacons().len(),
        1,
        "a refusal holds no beacon"
    );
    let (status, _) = first
        .call(Endpoint::DeletePos, Some(&pos_id), "", None)
        .await;
    assert_eq!(status, 200);
    let (status, answer) = second
        .create_pos("till-2", CERT_STORE_ID, Some(&upper))
        .await;
    assert_eq!(status, 200, "a deleted PoS frees its beacon: {answer}");
    service.stop().await;
}

#[tokio::test]
async fn an_expired_session_frees_its_beacons() {
    let idle = std::time::Duration::from_millis(100);
    let service = crate::pos_client::service_expiring(0.01, idle).await;
    let http = reqwest::Client::new();
    let mut evictions = service.state().evictions();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    let pos = Pos::header(&service, &session, DK).await;
    let (status, _) = pos
        .create_pos("till-1", CERT_STORE_ID, Some("123456789012345"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(service.state().beacons().len(), 1);
    evictions
        .wait_for(|evicted| *evicted >= 1)
        .await
        .unwrap_or_else(|e| panic!("the service stopped: {e}"));
    assert!(service.state().beacons().is_empty());
    service.stop().await;
}

#[tokio::test]
async fn the_finnish_merchant_certifies_with_its_own_store_in_euro() {
    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), Some(FI))).await;
    assert_eq!(session.created["merchantVat"], FI);
    let fi = Pos::claim(&service, &session, FI).await;
    let (status, stores) = fi
        .call(
            Endpoint::GetStores,
            None,
            "merchantBrandId=MPPOSCERT1&merchantLocationId=00001",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let store = ids(&stores, "storeIds");
    assert_eq!(store, vec![CERT_STORE_ID_FI.to_string()]);
    assert_ne!(store[0], CERT_STORE_ID);
    let (status, created) = fi.create_pos("kassa-1", &store[0], None).await;
    assert_eq!(status, 200, "{created}");
    let pos_id = field(&created, "posId");

    let (status, answer) = fi.initiate(&pos_id, 25.5, "DKK").await;
    assert_eq!((status, field(&answer, "code")), (400, "1099".into()));
    assert!(field(&answer, "message").contains("currency"), "{answer}");

    let (status, answer) = fi.initiate(&pos_id, 25.5, "EUR").await;
    assert_eq!(status, 200, "{answer}");
    let payment_id = field(&answer, "paymentId");
    let (status, payment) = fi
        .call(Endpoint::QueryPayment, Some(&payment_id), "", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(payment["currencyCode"], "EUR");
    let (status, _) = fi
        .call(Endpoint::CancelPayment, Some(&payment_id), "", None)
        .await;
    assert_eq!(status, 200);
    service.stop().await;
}

#[tokio::test]
async fn a_session_certifies_only_as_a_certification_merchant() {
    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let default = open(&http, &service, &session_request(&cases(&[]), None)).await;
    assert_eq!(default.created["merchantVat"], DK);
    let response = http
        .post(format!("{}/certification/v1/sessions", service.url()))
        .bearer_auth(crate::pos_client::OPERATOR)
        .json(&session_request(&cases(&[]), Some(STRANGER)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let message = body["error"].as_str().unwrap_or_default();
    assert!(message.contains("FI90000040"), "{body}");
    service.stop().await;
}
