//! The scenarios that provoke the header, filter and field-validation error codes.

use mpcert::pos::{Endpoint, ErrorCode};
use serde_json::{Value, json};

use super::Provoked;
use super::till::{Till, pos_body};
use crate::pos_client::{FI, Pos};

/// The header, filter and validation codes.
pub async fn provoke_request_codes(till: &Till<'_>, provoked: &mut Provoked) {
    let pos = &till.pos;
    let stores = |p: &Pos| {
        p.request(
            reqwest::Method::GET,
            "/stores?merchantBrandId=MPPOSCERT1&merchantLocationId=00001",
        )
    };
    let check = |p: &Pos| {
        let p = p.clone();
        async move { p.exchange(Endpoint::GetStores, stores(&p)).await }
    };
    provoked.check(
        ErrorCode::VatMissing,
        "a call without the VAT header, with a token that claims no merchant",
        check(&pos.without_vat()).await,
    );
    let twice = stores(pos).header("X-MobilePay-Merchant-VAT-Number", "DK90000028");
    provoked.check(
        ErrorCode::VatDuplicated,
        "the VAT header sent twice",
        pos.exchange(Endpoint::GetStores, twice).await,
    );
    provoked.check(
        ErrorCode::VatInvalid,
        "a VAT header `DK123`",
        check(&pos.acting_for("DK123")).await,
    );
    let named = stores(pos).header("X-MobilePay-Client-System-Name", "t".repeat(37));
    provoked.check(
        ErrorCode::ClientNameInvalid,
        "the legacy client name header of 37 characters",
        pos.exchange(Endpoint::GetStores, named).await,
    );
    provoked.check(
        ErrorCode::VersionMissing,
        "a call without the client version header",
        check(&pos.with_version(None)).await,
    );
    let version_twice = stores(pos).header("X-MobilePay-Client-System-Version", "2.1.0");
    provoked.check(
        ErrorCode::VersionDuplicated,
        "the client version header sent twice",
        pos.exchange(Endpoint::GetStores, version_twice).await,
    );
    provoked.check(
        ErrorCode::VersionInvalid,
        "a client version `2.1` (not Major.Minor.Build)",
        check(&pos.with_version(Some("2.1"))).await,
    );
    let claimed = Pos::claim(till.service, till.session, "DK-90000028").await;
    provoked.check(
        ErrorCode::VatClaimInvalid,
        "a token whose merchant_vat claim is `DK-90000028`",
        check(&claimed).await,
    );

    let call =
        |endpoint, query: &'static str| async move { pos.call(endpoint, None, query, None).await };
    provoked.check(
        ErrorCode::BadRequest,
        "`POST /payments` with an empty object",
        pos.call(Endpoint::InitiatePayment, None, "", Some(&json!({})))
            .await,
    );
    provoked.check(
        ErrorCode::PaymentFilterTooWide,
        "`GET /payments` without posId or orderId",
        call(Endpoint::QueryPaymentIds, "").await,
    );
    provoked.check(
        ErrorCode::RefundFilterTooWide,
        "`GET /refunds` without paymentId",
        call(Endpoint::QueryRefundIds, "").await,
    );
    provoked.check(
        ErrorCode::PosFilterTooWide,
        "`GET /pointofsales` without a filter",
        call(Endpoint::GetPosWithFilter, "").await,
    );
    provoked.check(
        ErrorCode::StoreFilterTooWide,
        "`GET /stores` with a brand but no location",
        call(Endpoint::GetStores, "merchantBrandId=MPPOSCERT1").await,
    );
    provoked.check(
        ErrorCode::InvalidMerchantBrandId,
        "`GET /stores` with merchantBrandId `XX`",
        call(
            Endpoint::GetStores,
            "merchantBrandId=XX&merchantLocationId=00001",
        )
        .await,
    );
    provoked.check(
        ErrorCode::InvalidMerchantLocationId,
        "`GET /stores` with merchantLocationId `!`",
        call(
            Endpoint::GetStores,
            "merchantBrandId=MPPOSCERT1&merchantLocationId=%21",
        )
        .await,
    );

    let create =
        |body: Value| async move { pos.call(Endpoint::CreatePos, None, "", Some(&body)).await };
    let mut body = pos_body("till-a", &uuid::Uuid::new_v4().to_string());
    body["beaconId"] = json!("abc");
    provoked.check(
        ErrorCode::InvalidBeaconId,
        "a PoS with beaconId `abc`",
        create(body).await,
    );
    let mut body = pos_body("", &uuid::Uuid::new_v4().to_string());
    body["merchantPosId"] = json!("");
    provoked.check(
        ErrorCode::InvalidMerchantPosId,
        "a PoS with an empty merchantPosId",
        create(body).await,
    );
    let mut body = pos_body("till-b", &uuid::Uuid::new_v4().to_string());
    body["name"] = json!("");
    provoked.check(
        ErrorCode::InvalidPosName,
        "a PoS with an empty name",
        create(body).await,
    );
    let mut body = pos_body("till-c", &uuid::Uuid::new_v4().to_string());
    body["callbackAlias"] = json!("x".repeat(37));
    provoked.check(
        ErrorCode::InvalidCallbackAlias,
        "a PoS with a 37-character callbackAlias",
        create(body).await,
    );
    let mut body = pos_body("till-d", &uuid::Uuid::new_v4().to_string());
    body["storeId"] = json!(uuid::Uuid::new_v4().to_string());
    provoked.check(
        ErrorCode::StoreNotFound,
        "a PoS in an unknown store",
        create(body).await,
    );
    let finnish = pos.acting_for(FI);
    let body = pos_body("till-e", &uuid::Uuid::new_v4().to_string());
    provoked.check(
        ErrorCode::StoreOfOtherMerchant,
        "a PoS in the Danish store, acting for the Finnish merchant",
        finnish
            .call(Endpoint::CreatePos, None, "", Some(&body))
            .await,
    );

    let key = |key: Option<&str>, twice: bool| {
        let mut request = pos.request(reqwest::Method::POST, "/pointofsales");
        if let Some(key) = key {
            request = request.header("X-MobilePay-Idempotency-Key", key);
            if twice {
                request = request.header("X-MobilePay-Idempotency-Key", "other-key");
            }
        }
        request.json(&pos_body("till-f", &uuid::Uuid::new_v4().to_string()))
    };
    provoked.check(
        ErrorCode::IdempotencyKeyMissing,
        "`POST /pointofsales` without an idempotency key",
        pos.exchange(Endpoint::CreatePos, key(None, false)).await,
    );
    let long = "k".repeat(37);
    provoked.check(
        ErrorCode::IdempotencyKeyInvalid,
        "an idempotency key of 37 characters",
        pos.exchange(Endpoint::CreatePos, key(Some(&long), false))
            .await,
    );
    provoked.check(
        ErrorCode::IdempotencyKeyDuplicated,
        "the idempotency key header sent twice",
        pos.exchange(Endpoint::CreatePos, key(Some("key-1"), true))
            .await,
    );
}
