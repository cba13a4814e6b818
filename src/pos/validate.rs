//! Field validation rules of PoS v10 (domain reference §4): the valid character set, text
//! lengths, GUIDs, beacon ids, amounts, VAT numbers and version strings. Pure predicates; the
//! caller decides which error code a failure maps to.

/// Whether `c` belongs to the documented 2021 valid character set.
pub fn is_valid_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7E}')
        || (matches!(c, '\u{A1}'..='\u{FF}')
            && !matches!(c, '\u{AD}' | '\u{B7}' | '\u{B8}' | '\u{F7}'))
        || matches!(c, '\u{160}' | '\u{161}' | '\u{17D}' | '\u{17E}')
}

/// A free-text field of `min..=max` valid characters.
pub fn is_valid_text(text: &str, min: usize, max: usize) -> bool {
    let count = text.chars().count();
    (min..=max).contains(&count) && text.chars().all(is_valid_char)
}

/// A GUID in its canonical 8-4-4-4-12 hexadecimal form.
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A beacon id: 15 digits or a GUID.
pub fn is_valid_beacon_id(text: &str) -> bool {
    (text.len() == 15 && text.chars().all(|c| c.is_ascii_digit())) || is_guid(text)
}

/// An amount: positive, finite, at most two decimals (inferred).
pub fn is_valid_amount(amount: f64) -> bool {
    if !amount.is_finite() || amount <= 0.0 {
        return false;
    }
    let cents = amount * 100.0;
    (cents - cents.round()).abs() < 1e-6
}

/// A merchant VAT number: `DK` or `FI` and eight digits.
pub fn is_valid_vat(text: &str) -> bool {
    let (Some(prefix), Some(digits)) = (text.get(..2), text.get(2..)) else {
        return false;
    };
    matches!(prefix, "DK" | "FI") && digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit())
}

/// A client system version: `Major.Minor.Build`, three dot-separated numbers (inferred).
pub fn is_valid_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// A merchant brand id: `MPPOS`, `POSDK` or `POSFI` and five letters or digits (inferred).
pub fn is_valid_merchant_brand_id(text: &str) -> bool {
    text.is_ascii()
        && text.len() == 10
        && ["MPPOS", "POSDK", "POSFI"]
            .iter()
            .any(|prefix| text.starts_with(prefix))
        && text[5..].chars().all(|c| c.is_ascii_alphanumeric())
}

/// A merchant location id: exactly five valid characters.
pub fn is_valid_merchant_location_id(text: &str) -> bool {
    is_valid_text(text, 5, 5)
}

/// An idempotency key: 1–36 valid characters.
pub fn is_valid_idempotency_key(text: &str) -> bool {
    is_valid_text(text, 1, 36)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_set_follows_the_2021_rules() {
        assert!(is_valid_text("Till 7 æøå Š\\", 1, 36));
        assert!(!is_valid_text("no\u{A0}nbsp", 1, 36));
        assert!(!is_valid_text("soft\u{AD}hyphen", 1, 36));
        assert!(!is_valid_text("", 1, 36));
        assert!(!is_valid_text(&"x".repeat(37), 1, 36));
        assert!(!is_valid_text("emoji 😀", 1, 36));
    }

    #[test]
    fn beacon_ids_are_fifteen_digits_or_guids() {
        assert!(is_valid_beacon_id("123456789012345"));
        assert!(is_valid_beacon_id("c1f0a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b"));
        assert!(!is_valid_beacon_id("12345678901234"));
        assert!(!is_valid_beacon_id("c1f0a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5"));
    }

    #[test]
    fn amounts_are_positive_with_two_decimals() {
        assert!(is_valid_amount(100.0));
        assert!(is_valid_amount(89.5));
        assert!(is_valid_amount(0.01));
        assert!(!is_valid_amount(0.0));
        assert!(!is_valid_amount(-1.0));
        assert!(!is_valid_amount(1.005));
        assert!(!is_valid_amount(f64::NAN));
    }

    #[test]
    fn headers_and_ids() {
        assert!(is_valid_vat("DK90000028"));
        assert!(!is_valid_vat("DK-90000028"));
        assert!(!is_valid_vat("SE90000028"));
        assert!(!is_valid_vat("€12345678"));
        assert!(!is_valid_vat("D€1234567"));
        assert!(!is_valid_merchant_brand_id("MPPO€CERT"));
        assert!(is_valid_version("2.1.1"));
        assert!(!is_valid_version("2.1"));
        assert!(!is_valid_version("2.1.x"));
        assert!(is_valid_merchant_brand_id("MPPOSCERT1"));
        assert!(!is_valid_merchant_brand_id("MPPOSCERT"));
        assert!(is_valid_merchant_location_id("00001"));
        assert!(!is_valid_merchant_location_id("0001"));
    }
}
