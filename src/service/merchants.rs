//! The certification merchants and what each owns. MobilePay documents two: the Danish
//! `DK90000028` and the Finnish `FI90000040`. Each owns one certification store under the
//! documented brand and location ids (`MPPOSCERT1`/`00001`) with a store id of its own (the Danish
//! one documented, the Finnish one inferred) and accepts its country's currency (inferred). Every
//! other valid VAT number is a merchant that owns nothing here: it sees no store, and every
//! resource of a certification merchant is another merchant's to it.

use crate::pos::constants::{
    CERT_BRAND_NAME, CERT_CURRENCY_DK, CERT_CURRENCY_FI, CERT_MERCHANT_BRAND_ID,
    CERT_MERCHANT_LOCATION_ID, CERT_MERCHANT_VAT_DK, CERT_MERCHANT_VAT_FI, CERT_STORE_CITY,
    CERT_STORE_CITY_FI, CERT_STORE_ID, CERT_STORE_ID_FI, CERT_STORE_NAME, CERT_STORE_NAME_FI,
    CERT_STORE_STREET, CERT_STORE_STREET_FI, CERT_STORE_ZIP, CERT_STORE_ZIP_FI,
};
use crate::pos::dto::{CurrencyCode, StoreResponse};

/// A certification merchant: its VAT number, its store and the currency the store accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CertMerchant {
    /// The VAT number as sent in headers and claims.
    pub vat: &'static str,
    /// The id of its certification store.
    pub store_id: &'static str,
    /// The store's name.
    pub store_name: &'static str,
    /// The store's street.
    pub store_street: &'static str,
    /// The store's zip code.
    pub store_zip_code: &'static str,
    /// The store's city.
    pub store_city: &'static str,
    /// The one currency the store accepts.
    pub currency: CurrencyCode,
}

/// Both certification merchants, the Danish one first (the default of a session).
pub const CERT_MERCHANTS: [CertMerchant; 2] = [
    CertMerchant {
        vat: CERT_MERCHANT_VAT_DK,
        store_id: CERT_STORE_ID,
        store_name: CERT_STORE_NAME,
        store_street: CERT_STORE_STREET,
        store_zip_code: CERT_STORE_ZIP,
        store_city: CERT_STORE_CITY,
        currency: CERT_CURRENCY_DK,
    },
    CertMerchant {
        vat: CERT_MERCHANT_VAT_FI,
        store_id: CERT_STORE_ID_FI,
        store_name: CERT_STORE_NAME_FI,
        store_street: CERT_STORE_STREET_FI,
        store_zip_code: CERT_STORE_ZIP_FI,
        store_city: CERT_STORE_CITY_FI,
        currency: CERT_CURRENCY_FI,
    },
];

/// The certification merchant with VAT number `vat`, if it is one.
pub fn by_vat(vat: &str) -> Option<&'static CertMerchant> {
    CERT_MERCHANTS.iter().find(|m| m.vat == vat)
}

/// The certification merchant owning the store `store_id` (compared without case).
pub fn by_store_id(store_id: &str) -> Option<&'static CertMerchant> {
    CERT_MERCHANTS
        .iter()
        .find(|m| m.store_id.eq_ignore_ascii_case(store_id))
}

/// Whether the store of merchant `vat` accepts `currency`; a merchant without a store accepts
/// nothing.
pub fn accepts(vat: &str, currency: CurrencyCode) -> bool {
    by_vat(vat).is_some_and(|m| m.currency == currency)
}

impl CertMerchant {
    /// The merchant's certification store as `GET /stores/{storeid}` answers it.
    pub fn store(&self) -> StoreResponse {
        StoreResponse {
            store_name: self.store_name.into(),
            store_id: self.store_id.into(),
            store_street: self.store_street.into(),
            store_zip_code: self.store_zip_code.into(),
            store_city: self.store_city.into(),
            brand_name: CERT_BRAND_NAME.into(),
            merchant_brand_id: CERT_MERCHANT_BRAND_ID.into(),
            merchant_location_id: CERT_MERCHANT_LOCATION_ID.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pos::validate;

    #[test]
    fn each_merchant_owns_a_distinct_store_and_takes_its_currency() {
        let dk = by_vat("DK90000028").map(|m| m.store_id);
        let fi = by_vat("FI90000040").map(|m| m.store_id);
        assert_eq!(dk, Some(CERT_STORE_ID));
        assert!(fi.is_some_and(validate::is_guid), "{fi:?}");
        assert_ne!(dk, fi);
        assert_eq!(
            by_store_id(&CERT_STORE_ID_FI.to_ascii_uppercase()).map(|m| m.vat),
            Some("FI90000040")
        );
        assert!(accepts("DK90000028", CurrencyCode::Dkk));
        assert!(!accepts("DK90000028", CurrencyCode::Eur));
        assert!(accepts("FI90000040", CurrencyCode::Eur));
        assert!(!accepts("FI90000040", CurrencyCode::Dkk));
        assert!(!accepts("DK12345678", CurrencyCode::Dkk));
        assert_eq!(by_vat("DK12345678"), None);
    }

    #[test]
    fn both_stores_carry_the_documented_brand_and_location() {
        for merchant in CERT_MERCHANTS {
            let store = merchant.store();
            assert_eq!(store.merchant_brand_id, "MPPOSCERT1");
            assert_eq!(store.merchant_location_id, "00001");
            assert_eq!(store.store_id, merchant.store_id);
        }
    }
}
