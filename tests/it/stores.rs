//! The stores of both certification merchants over HTTP: each merchant finds its own store by
//! brand and location, reads it by id and in the detailed listing, and cannot read the other's.

use mpcert::pos::Endpoint;
use mpcert::pos::constants::{CERT_STORE_ID, CERT_STORE_ID_FI};
use serde_json::json;

use crate::pos_client::{DK, FI, Pos, cases, open, service, session_request};

#[tokio::test]
async fn each_merchant_finds_reads_and_lists_its_own_store() {
    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    let query = "merchantBrandId=MPPOSCERT1&merchantLocationId=00001";
    for (vat, own, other) in [
        (DK, CERT_STORE_ID, CERT_STORE_ID_FI),
        (FI, CERT_STORE_ID_FI, CERT_STORE_ID),
    ] {
        let pos = Pos::header(&service, &session, vat).await;
        let (status, found) = pos.call(Endpoint::GetStores, None, query, None).await;
        assert_eq!((status, &found["storeIds"]), (200, &json!([own])), "{vat}");
        let (status, store) = pos.call(Endpoint::GetStore, Some(own), "", None).await;
        assert_eq!(status, 200, "{vat}: {store}");
        assert_eq!(store["storeId"], json!(own));
        assert_eq!(store["merchantBrandId"], json!("MPPOSCERT1"));
        let (status, detailed) = pos
            .call(Endpoint::GetDetailedStores, None, query, None)
            .await;
        assert_eq!(status, 200, "{vat}: {detailed}");
        let ids: Vec<&str> = detailed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["storeId"].as_str())
            .collect();
        assert_eq!(ids, vec![own], "{vat}");
        let (status, _) = pos.call(Endpoint::GetStore, Some(other), "", None).await;
        assert_ne!(status, 200, "{vat} reads another merchant's store");
    }
    service.stop().await;
}
