//! Stores (domain reference §3.1): the one certification store of the certification merchant,
//! looked up by brand and location, by id, or in detail.

use serde_json::json;

use crate::pos::constants::{
    CERT_BRAND_NAME, CERT_MERCHANT_BRAND_ID, CERT_MERCHANT_LOCATION_ID, CERT_MERCHANT_VAT_DK,
    CERT_STORE_CITY, CERT_STORE_ID, CERT_STORE_NAME, CERT_STORE_STREET, CERT_STORE_ZIP,
};
use crate::pos::dto::StoreResponse;
use crate::pos::validate;
use crate::pos::{ApiError, ErrorCode};

use super::{ApiAnswer, ApiRequest, query};

/// The certification store.
pub fn cert_store() -> StoreResponse {
    StoreResponse {
        store_name: CERT_STORE_NAME.into(),
        store_id: CERT_STORE_ID.into(),
        store_street: CERT_STORE_STREET.into(),
        store_zip_code: CERT_STORE_ZIP.into(),
        store_city: CERT_STORE_CITY.into(),
        brand_name: CERT_BRAND_NAME.into(),
        merchant_brand_id: CERT_MERCHANT_BRAND_ID.into(),
        merchant_location_id: CERT_MERCHANT_LOCATION_ID.into(),
    }
}

/// Whether the merchant `vat` owns the certification store.
pub fn owns_cert_store(vat: &str) -> bool {
    vat == CERT_MERCHANT_VAT_DK
}

fn matching(vat: &str, request: &ApiRequest<'_>) -> Result<Vec<StoreResponse>, ApiError> {
    let brand = query::get(&request.query, "merchantBrandId");
    let location = query::get(&request.query, "merchantLocationId");
    let store = cert_store();
    let hit = match (brand, location) {
        (None, None) => true,
        (Some(_), None) | (None, Some(_)) => return Err(ErrorCode::StoreFilterTooWide.into()),
        (Some(brand), Some(location)) => {
            if !validate::is_valid_merchant_brand_id(brand) {
                return Err(ErrorCode::InvalidMerchantBrandId.into());
            }
            if !validate::is_valid_merchant_location_id(location) {
                return Err(ErrorCode::InvalidMerchantLocationId.into());
            }
            brand == store.merchant_brand_id && location == store.merchant_location_id
        }
    };
    Ok(if hit && owns_cert_store(vat) {
        vec![store]
    } else {
        vec![]
    })
}

/// `GET /stores`.
pub fn list(vat: &str, request: &ApiRequest<'_>) -> ApiAnswer {
    let ids: Vec<String> = matching(vat, request)?
        .into_iter()
        .map(|s| s.store_id)
        .collect();
    Ok(Some(json!({ "storeIds": ids })))
}

/// `GET /stores/detailed`.
pub fn detailed(vat: &str, request: &ApiRequest<'_>) -> ApiAnswer {
    let stores = matching(vat, request)?;
    serde_json::to_value(stores)
        .map(Some)
        .map_err(|_| ErrorCode::Internal.into())
}

/// `GET /stores/{storeid}`.
pub fn get(vat: &str, request: &ApiRequest<'_>) -> ApiAnswer {
    let store = cert_store();
    match request.resource_id {
        Some(id) if id.eq_ignore_ascii_case(&store.store_id) && owns_cert_store(vat) => {
            serde_json::to_value(store)
                .map(Some)
                .map_err(|_| ErrorCode::Internal.into())
        }
        _ => Err(ApiError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pos::Endpoint;
    use crate::service::emulator::fixtures::{Call, OTHER_VAT, TestResult, VAT, code, json_of};

    fn listed(vat: &str, query_string: &str) -> ApiAnswer {
        list(
            vat,
            &Call::new(Endpoint::GetStores).query(query_string).request(),
        )
    }

    #[test]
    fn brand_and_location_find_the_certification_store() -> TestResult {
        let answer = json_of(listed(
            VAT,
            "merchantBrandId=MPPOSCERT1&merchantLocationId=00001",
        ))?;
        assert_eq!(answer, json!({ "storeIds": [CERT_STORE_ID] }));
        Ok(())
    }

    #[test]
    fn no_filter_lists_every_store_of_the_merchant() -> TestResult {
        assert_eq!(
            json_of(listed(VAT, ""))?,
            json!({ "storeIds": [CERT_STORE_ID] })
        );
        Ok(())
    }

    #[test]
    fn half_a_filter_is_1122() {
        for query_string in ["merchantBrandId=MPPOSCERT1", "merchantLocationId=00001"] {
            assert_eq!(
                code(&listed(VAT, query_string)),
                Some("1122"),
                "query {query_string}"
            );
        }
    }

    #[test]
    fn an_invalid_brand_is_1119_and_an_invalid_location_1120() {
        assert_eq!(
            code(&listed(
                VAT,
                "merchantBrandId=SHOP12345&merchantLocationId=00001"
            )),
            Some("1119")
        );
        assert_eq!(
            code(&listed(
                VAT,
                "merchantBrandId=MPPOSCERT1&merchantLocationId=0001"
            )),
            Some("1120")
        );
    }

    #[test]
    fn a_valid_filter_for_another_store_is_empty() -> TestResult {
        let answer = json_of(listed(
            VAT,
            "merchantBrandId=POSDK12345&merchantLocationId=00002",
        ))?;
        assert_eq!(answer, json!({ "storeIds": [] }));
        Ok(())
    }

    #[test]
    fn another_merchant_sees_no_store() -> TestResult {
        assert_eq!(json_of(listed(OTHER_VAT, ""))?, json!({ "storeIds": [] }));
        let answer = json_of(listed(
            OTHER_VAT,
            "merchantBrandId=MPPOSCERT1&merchantLocationId=00001",
        ))?;
        assert_eq!(answer, json!({ "storeIds": [] }));
        let call = Call::new(Endpoint::GetStore).id(CERT_STORE_ID);
        assert_eq!(get(OTHER_VAT, &call.request()), Err(ApiError::NotFound));
        Ok(())
    }

    #[test]
    fn detailed_answers_a_bare_array_with_the_same_filters() -> TestResult {
        let call = Call::new(Endpoint::GetDetailedStores)
            .query("merchantBrandId=MPPOSCERT1&merchantLocationId=00001");
        let answer = json_of(detailed(VAT, &call.request()))?;
        let expected = serde_json::to_value(vec![cert_store()])?;
        assert_eq!(answer, expected);
        let call = Call::new(Endpoint::GetDetailedStores).query("merchantBrandId=MPPOSCERT1");
        assert_eq!(code(&detailed(VAT, &call.request())), Some("1122"));
        Ok(())
    }

    #[test]
    fn get_reads_the_store_by_id_in_any_case() -> TestResult {
        let call = Call::new(Endpoint::GetStore).id(CERT_STORE_ID);
        let answer = json_of(get(VAT, &call.request()))?;
        assert_eq!(answer["merchantBrandId"], "MPPOSCERT1");
        assert_eq!(answer["merchantLocationId"], "00001");
        assert_eq!(answer["storeId"], CERT_STORE_ID);
        let upper = CERT_STORE_ID.to_ascii_uppercase();
        json_of(get(
            VAT,
            &Call::new(Endpoint::GetStore).id(&upper).request(),
        ))?;
        let unknown = Call::new(Endpoint::GetStore).id("00000000-0000-4000-8000-000000000000");
        assert_eq!(get(VAT, &unknown.request()), Err(ApiError::NotFound));
        Ok(())
    }

    #[test]
    fn only_the_certification_merchant_owns_the_store() {
        assert!(owns_cert_store(VAT));
        assert!(!owns_cert_store(OTHER_VAT));
        assert!(!owns_cert_store("FI90000040"));
    }
}
