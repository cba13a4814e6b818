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
