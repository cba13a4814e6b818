//! Header rules of PoS v10 (domain reference §2.2): client version, merchant VAT (header or
//! token claim), the legacy client-name header, and the idempotency key on creating endpoints.
//! Missing, duplicated and malformed headers get their documented codes. The checks settle the
//! merchant a call acts for: the token's `merchant_vat` claim, else the VAT header.

use axum::http::HeaderMap;

use crate::pos::validate;
use crate::pos::{ApiError, ErrorCode};
use crate::service::registry::TokenGrant;

use crate::pos::headers::{
    CLIENT_SYSTEM_NAME as CLIENT_NAME, CLIENT_SYSTEM_VERSION as VERSION, IDEMPOTENCY_KEY,
    MERCHANT_VAT as VAT,
};

fn values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .collect()
}

/// Checks the headers every PoS call must carry; returns the merchant (VAT number) the call acts
/// for.
pub fn check(headers: &HeaderMap, grant: &TokenGrant) -> Result<String, ApiError> {
    match values(headers, VERSION).as_slice() {
        [] => return Err(ErrorCode::VersionMissing.into()),
        [version] if !validate::is_valid_version(version) => {
            return Err(ErrorCode::VersionInvalid.into());
        }
        [_] => {}
        _ => return Err(ErrorCode::VersionDuplicated.into()),
    }
    if let Some(claim) = &grant.merchant_vat_claim {
        if !validate::is_valid_vat(claim) {
            return Err(ErrorCode::VatClaimInvalid.into());
        }
    }
    let vat = match values(headers, VAT).as_slice() {
        [] => match &grant.merchant_vat_claim {
            Some(claim) => claim.clone(),
            None => return Err(ErrorCode::VatMissing.into()),
        },
        [vat] if !validate::is_valid_vat(vat) => return Err(ErrorCode::VatInvalid.into()),
        // A header that contradicts the token's claim is refused as invalid (inferred).
        [vat]
            if grant
                .merchant_vat_claim
                .as_deref()
                .is_some_and(|c| c != *vat) =>
        {
            return Err(ErrorCode::VatInvalid.into());
        }
        // With no claim the header names the merchant; with one, the header agrees with it.
        [vat] => (*vat).to_string(),
        _ => return Err(ErrorCode::VatDuplicated.into()),
    };
    match values(headers, CLIENT_NAME).as_slice() {
        [] => {}
        [name] if !validate::is_valid_text(name, 1, 36) => {
            return Err(ErrorCode::ClientNameInvalid.into());
        }
        [_] => {}
        // The legacy duplicated-name code 1156 is not in the error table's variants we emit;
        // a duplicated legacy header is a malformed request.
        _ => return Err(ErrorCode::BadRequest.into()),
    }
    Ok(vat)
}

/// The idempotency key of a creating call.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    match values(headers, IDEMPOTENCY_KEY).as_slice() {
        [] => Err(ErrorCode::IdempotencyKeyMissing.into()),
        [key] if validate::is_valid_idempotency_key(key) => Ok((*key).to_string()),
        [_] => Err(ErrorCode::IdempotencyKeyInvalid.into()),
        _ => Err(ErrorCode::IdempotencyKeyDuplicated.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn grant(claim: Option<&str>) -> TokenGrant {
        TokenGrant {
            session_id: "s".into(),
            expires_virtual_ms: 0.0,
            merchant_vat_claim: claim.map(str::to_string),
            upstream_token: None,
        }
    }

    fn code(result: Result<String, ApiError>) -> Option<&'static str> {
        match result {
            Err(ApiError::Coded(code)) => Some(code.code()),
            _ => None,
        }
    }

    #[test]
    fn version_header_rules() {
        let mut headers = HeaderMap::new();
        headers.insert(VAT, HeaderValue::from_static("DK90000028"));
        assert_eq!(code(check(&headers, &grant(None))), Some("1153"));
        headers.insert(VERSION, HeaderValue::from_static("1.0"));
        assert_eq!(code(check(&headers, &grant(None))), Some("1161"));
        headers.insert(VERSION, HeaderValue::from_static("1.0.0"));
        assert_eq!(code(check(&headers, &grant(None))), None);
        headers.append(VERSION, HeaderValue::from_static("1.0.0"));
        assert_eq!(code(check(&headers, &grant(None))), Some("1157"));
    }

    #[test]
    fn vat_comes_from_header_or_claim() {
        let mut headers = HeaderMap::new();
        headers.insert(VERSION, HeaderValue::from_static("1.0.0"));
        assert_eq!(code(check(&headers, &grant(None))), Some("1151"));
        assert_eq!(code(check(&headers, &grant(Some("DK90000028")))), None);
        assert_eq!(code(check(&headers, &grant(Some("DK-1")))), Some("1182"));
        headers.insert(VAT, HeaderValue::from_static("DK9000002"));
        assert_eq!(code(check(&headers, &grant(None))), Some("1159"));
    }

    #[test]
    fn the_claim_else_the_header_names_the_merchant() {
        let mut headers = HeaderMap::new();
        headers.insert(VERSION, HeaderValue::from_static("1.0.0"));
        let claim = grant(Some("FI90000040"));
        assert_eq!(check(&headers, &claim), Ok("FI90000040".to_string()));
        headers.insert(VAT, HeaderValue::from_static("FI90000040"));
        assert_eq!(check(&headers, &claim), Ok("FI90000040".to_string()));
        assert_eq!(check(&headers, &grant(None)), Ok("FI90000040".to_string()));
        headers.insert(VAT, HeaderValue::from_static("DK90000028"));
        assert_eq!(code(check(&headers, &claim)), Some("1159"), "disagreeing");
        headers.append(VAT, HeaderValue::from_static("DK90000028"));
        assert_eq!(code(check(&headers, &grant(None))), Some("1155"));
    }

    #[test]
    fn idempotency_key_rules() {
        let mut headers = HeaderMap::new();
        assert!(matches!(
            idempotency_key(&headers),
            Err(ApiError::Coded(ErrorCode::IdempotencyKeyMissing))
        ));
        headers.insert(IDEMPOTENCY_KEY, HeaderValue::from_static("k-1"));
        assert_eq!(idempotency_key(&headers).ok().as_deref(), Some("k-1"));
        headers.append(IDEMPOTENCY_KEY, HeaderValue::from_static("k-2"));
        assert!(matches!(
            idempotency_key(&headers),
            Err(ApiError::Coded(ErrorCode::IdempotencyKeyDuplicated))
        ));
    }
}
