//! Query-string parsing: `application/x-www-form-urlencoded` pairs in order, percent-decoded,
//! `+` as space. The emulated API reads its query parameters and token forms with it, and the
//! judge the query of a recorded call.

/// Parses `a=1&b=x%20y` into ordered pairs.
pub fn parse(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

/// The value of `name`, if given (the first if repeated).
pub fn get<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Percent-decodes one component; invalid escapes are kept literally.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs_in_order() {
        let pairs =
            parse("merchantBrandId=MPPOSCERT1&merchantLocationId=00001&x=a%20b+c&bad=%zz&end=%4");
        assert_eq!(get(&pairs, "merchantbrandid"), Some("MPPOSCERT1"));
        assert_eq!(get(&pairs, "x"), Some("a b c"));
        assert_eq!(get(&pairs, "bad"), Some("%zz"));
        assert_eq!(get(&pairs, "end"), Some("%4"));
        assert_eq!(pairs.len(), 5);
    }

    #[test]
    fn empty_pairs_and_bare_keys() {
        assert_eq!(parse(""), Vec::new());
        assert_eq!(
            parse("&&flag&=v&k="),
            vec![
                ("flag".to_string(), String::new()),
                (String::new(), "v".to_string()),
                ("k".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn the_first_of_repeated_names_wins() {
        let pairs = parse("posId=a&POSID=b");
        assert_eq!(get(&pairs, "posId"), Some("a"));
        assert_eq!(get(&pairs, "orderId"), None);
    }

    #[test]
    fn only_the_first_equals_sign_splits() {
        assert_eq!(get(&parse("orderId=a=b"), "orderId"), Some("a=b"));
    }

    #[test]
    fn escapes_decode_to_bytes_then_utf8() {
        assert_eq!(decode("a%2Bb"), "a+b");
        assert_eq!(decode("%C3%A6%C3%B8%C3%A5"), "æøå");
        assert_eq!(decode("%3d%3D"), "==");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%FF"), "\u{FFFD}");
    }
}
