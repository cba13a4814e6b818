//! Stores (domain reference §3.1): each certification merchant's one certification store,
//! looked up by brand and location, by id, or in detail — always only among the stores of the
//! merchant the call acts for, so another merchant's store is not found.

use serde_json::json;

use crate::pos::dto::StoreResponse;
use crate::pos::validate;
use crate::pos::{ApiError, ErrorCode};
use crate::service::merchants;

use super::{ApiAnswer, ApiRequest, query};

fn matching(vat: &str, request: &ApiRequest<'_>) -> Result<Vec<StoreResponse>, ApiError> {
    let brand = query::get(&request.query, "merchantBrandId");
    let location = query::get(&request.query, "merchantLocationId");
    let wanted = match (brand, location) {
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => return Err(ErrorCode::StoreFilterTooWide.into()),
        (Some(brand), Some(location)) => {
            if !validate::is_valid_merchant_brand_id(brand) {
                return Err(ErrorCode::InvalidMerchantBrandId.into());
            }
            if !validate::is_valid_merchant_location_id(location) {
                return Err(ErrorCode::InvalidMerchantLocationId.into());
            }
            Some((brand, location))
        }
    };
    Ok(merchants::by_vat(vat)
        .map(|m| m.store())
        .filter(|store| {
            wanted.is_none_or(|(brand, location)| {
                brand == store.merchant_brand_id && location == store.merchant_location_id
            })
        })
        .into_iter()
        .collect())
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

/// `GET /stores/{storeid}`: only the merchant's own store is found (no 403 is documented here).
pub fn get(vat: &str, request: &ApiRequest<'_>) -> ApiAnswer {
    let merchant = request
        .resource_id
        .and_then(merchants::by_store_id)
        .filter(|m| m.vat == vat)
        .ok_or(ApiError::NotFound)?;
    serde_json::to_value(merchant.store())
        .map(Some)
        .map_err(|_| ErrorCode::Internal.into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pos::Endpoint;
    use crate::pos::constants::{CERT_MERCHANT_VAT_FI, CERT_STORE_ID, CERT_STORE_ID_FI};
    use crate::service::emulator::fixtures::{Call, OTHER_VAT, TestResult, VAT, code, json_of};

    fn dk_store() -> Result<StoreResponse, String> {
        merchants::by_vat(VAT)
            .map(|m| m.store())
            .ok_or_else(|| "no Danish merchant".to_string())
    }

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
        let expected = serde_json::to_value(vec![dk_store()?])?;
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
    fn the_finnish_merchant_sees_its_own_store_only() -> TestResult {
        let query_string = "merchantBrandId=MPPOSCERT1&merchantLocationId=00001";
        assert_eq!(
            json_of(listed(CERT_MERCHANT_VAT_FI, query_string))?,
            json!({ "storeIds": [CERT_STORE_ID_FI] })
        );
        let own = Call::new(Endpoint::GetStore).id(CERT_STORE_ID_FI);
        let answer = json_of(get(CERT_MERCHANT_VAT_FI, &own.request()))?;
        assert_eq!(answer["storeCity"], "Helsinki");
        let danish = Call::new(Endpoint::GetStore).id(CERT_STORE_ID);
        assert_eq!(
            get(CERT_MERCHANT_VAT_FI, &danish.request()),
            Err(ApiError::NotFound)
        );
        assert_eq!(get(VAT, &own.request()), Err(ApiError::NotFound));
        Ok(())
    }

    #[test]
    fn a_merchant_without_stores_still_gets_its_filter_checked() {
        assert_eq!(
            code(&listed(OTHER_VAT, "merchantBrandId=MPPOSCERT1")),
            Some("1122")
        );
        assert_eq!(
            code(&listed(
                OTHER_VAT,
                "merchantBrandId=SHOP12345&merchantLocationId=00001"
            )),
            Some("1119")
        );
    }
}
