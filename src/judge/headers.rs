//! Header rules (B16, domain reference §2): every PoS call acts for a merchant — named by the
//! token's `merchant_vat` claim or the `X-MobilePay-Merchant-VAT-Number` header — and carries
//! the integrator's `x-ibm-client-id`. The recorder keeps header names and the client id (not a
//! secret) but never the token, so whether the token claimed a merchant is read from the fact the
//! service notes on every PoS call (`merchantVatFrom`).

use crate::exchange::{Exchange, VatSource};
use crate::pos::ErrorCode;
use crate::pos::headers::{IBM_CLIENT_ID, MERCHANT_VAT};
use crate::report::Finding;

use super::{finding, pos_exchanges};

/// Rule id: every PoS call names the merchant it acts for.
pub const MERCHANT_VAT_SENT: &str = "merchant-vat-sent";
/// Rule id: every PoS call carries `x-ibm-client-id`.
pub const CLIENT_ID_HEADER: &str = "client-id-header";

/// Whether the call named no merchant: as the service noted it, or, in a recording without that
/// note, as its refusal with `1151` shows.
fn names_no_merchant(exchange: &Exchange) -> bool {
    match exchange.merchant_vat_from {
        Some(source) => source == VatSource::Missing,
        None => {
            let missing = ErrorCode::VatMissing;
            exchange.header(MERCHANT_VAT).is_none()
                && exchange.status == Some(missing.status())
                && exchange.error_code().as_deref() == Some(missing.code())
        }
    }
}

/// B16, the merchant: one finding per call that named none (the service refuses each).
pub fn check_merchant_vat(exchanges: &[Exchange]) -> Vec<Finding> {
    pos_exchanges(exchanges)
        .filter(|e| names_no_merchant(e))
        .map(|e| {
            finding(
                MERCHANT_VAT_SENT,
                Some(e),
                format!(
                    "{} {} named no merchant: its token has no merchant_vat claim and it carried no X-MobilePay-Merchant-VAT-Number header; every call acts for a merchant, named by one or the other",
                    e.method, e.path
                ),
            )
        })
        .collect()
}

/// B16, the client id: reported once per case at the first call without it, with a count of the
/// others (the service accepts such calls, so nothing else names them).
pub fn check_client_id(exchanges: &[Exchange]) -> Option<Finding> {
    let mut missing = pos_exchanges(exchanges).filter(|e| e.header(IBM_CLIENT_ID).is_none());
    let first = missing.next()?;
    let others = match missing.count() {
        0 => String::new(),
        n => format!(" (and {n} more calls)"),
    };
    Some(finding(
        CLIENT_ID_HEADER,
        Some(first),
        format!(
            "{} {} carried no x-ibm-client-id header{others}; every call carries the integrator's client id, which the API gateway identifies the application by",
            first.method, first.path
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::fixtures::{Ex, build, call, off_api, poll, rules_of};
    use crate::pos::Endpoint;

    fn from(ex: Ex, source: Option<VatSource>) -> Ex {
        ex.merchant_vat_from(source)
    }

    #[test]
    fn a_merchant_from_the_claim_or_the_header_is_clean() {
        let exchanges = build(vec![
            from(poll(1, "pay-1", "Initiated"), Some(VatSource::Claim)),
            from(
                poll(2, "pay-1", "Initiated").header(MERCHANT_VAT, "DK90000028"),
                Some(VatSource::Header),
            ),
            from(poll(3, "pay-1", "Initiated"), None),
        ]);
        assert_eq!(check_merchant_vat(&exchanges), Vec::new());
    }

    #[test]
    fn every_call_naming_no_merchant_is_flagged() {
        let exchanges = build(vec![
            from(
                call(1, Endpoint::GetStores).refused(ErrorCode::VatMissing),
                Some(VatSource::Missing),
            ),
            from(poll(2, "pay-1", "Initiated"), Some(VatSource::Claim)),
            from(
                poll(3, "pay-1", "Initiated").refused(ErrorCode::VatMissing),
                None,
            ),
        ]);
        let findings = check_merchant_vat(&exchanges);
        assert_eq!(
            rules_of(&findings),
            vec![MERCHANT_VAT_SENT, MERCHANT_VAT_SENT]
        );
        assert_eq!(
            findings.iter().map(|f| f.exchange).collect::<Vec<_>>(),
            vec![Some(1), Some(3)]
        );
        assert!(
            findings[0]
                .message
                .starts_with("GET /pos/v10/stores named no merchant"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn a_missing_client_id_is_reported_once_at_the_first_call() {
        let exchanges = build(vec![
            off_api(1, "POST", "/integrator-authentication/connect/token"),
            poll(2, "pay-1", "Initiated"),
            poll(3, "pay-1", "Initiated").without_header(IBM_CLIENT_ID),
            poll(4, "pay-1", "Initiated").without_header(IBM_CLIENT_ID),
        ]);
        let Some(found) = check_client_id(&exchanges) else {
            panic!("a call without the client id should be flagged");
        };
        assert_eq!(
            (found.rule.as_str(), found.exchange),
            (CLIENT_ID_HEADER, Some(3))
        );
        assert!(
            found.message.contains("(and 1 more calls)"),
            "unexpected message: {}",
            found.message
        );
        let clean = build(vec![poll(1, "pay-1", "Initiated")]);
        assert_eq!(check_client_id(&clean), None);
    }
}
