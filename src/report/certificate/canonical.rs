//! The canonical JSON form a certificate is signed in: the JSON Canonicalization Scheme (JCS,
//! RFC 8785), so anyone can reproduce the signed bytes with a JCS library of their language.
//! Object members are sorted by their names' UTF-16 code units, nothing is written between
//! tokens, strings are escaped as ECMAScript's `JSON.stringify` escapes them (`\b \t \n \f \r
//! \" \\`, other control characters as `\u00xx`, everything else literally as UTF-8), and numbers
//! are written as ECMAScript writes them (`1` not `1.0`, `0.01`, `1e-7`, `1e+21`).

use std::fmt::Write;

use serde_json::Value;

/// The JCS form of `value`.
pub fn to_jcs(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) if u < (1 << 53) => {
                let _ = write!(out, "{u}");
            }
            (_, Some(i), _) if i.unsigned_abs() < (1 << 53) => {
                let _ = write!(out, "{i}");
            }
            (_, _, Some(f)) => out.push_str(&ecmascript_number(f)),
            _ => out.push_str("null"),
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (name, member)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_value(out, member);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `value` as ECMAScript's `Number.prototype.toString` writes it (RFC 8785 §3.2.2.3): the
/// shortest digits that read back as the same double, in plain notation from 1e-6 up to 1e21
/// and in exponent notation (`1e-7`, `1.5e+21`) outside it. Not-a-number and infinities have no
/// JSON form; they are written `null`, as `JSON.stringify` does.
pub fn ecmascript_number(value: f64) -> String {
    if !value.is_finite() {
        return "null".to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    // Rust's `{:e}` is the shortest round-trip form: `d[.ddd]e<exp>`.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exponent + 1; // value = 0.digits × 10^n
    let sign = if value < 0.0 { "-" } else { "" };
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let exp_sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{rest}e{exp_sign}{}", (n - 1).abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_ecmascript_writes_them() {
        // RFC 8785 appendix B and §3.2.2.3.
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (0.01, "0.01"),
            (0.001, "0.001"),
            (10.0, "10"),
            (4.5, "4.5"),
            (0.002, "0.002"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1e-27, "1e-27"),
            (1e21, "1e+21"),
            (1e30, "1e+30"),
            (1e20, "100000000000000000000"),
            (1.5e21, "1.5e+21"),
            (333333333.3333333, "333333333.3333333"),
            (-5.25, "-5.25"),
            (9007199254740992.0, "9007199254740992"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::NAN, "null"),
        ];
        for (value, expected) in cases {
            assert_eq!(ecmascript_number(value), expected, "{value:e}");
        }
    }

    #[test]
    fn members_are_sorted_and_nothing_stands_between_tokens() -> Result<(), serde_json::Error> {
        let value: Value = serde_json::from_str(
            r#"{ "b": [1, 2.50, {"z": null, "a": true}], "a": "x", "\u20ac": 1, "\ud83d\ude00": 2, "\u0080": 3 }"#,
        )?;
        // UTF-16 order: U+0080 < U+20AC < U+D83D (the emoji's first code unit).
        assert_eq!(
            to_jcs(&value),
            "{\"a\":\"x\",\"b\":[1,2.5,{\"a\":true,\"z\":null}],\"\u{80}\":3,\"€\":1,\"😀\":2}"
        );
        Ok(())
    }

    #[test]
    fn strings_are_escaped_as_json_stringify_escapes_them() {
        let value = Value::String("q\"b\\\u{8}\t\n\u{c}\r\u{1f}\u{7f}é/".into());
        assert_eq!(
            to_jcs(&value),
            "\"q\\\"b\\\\\\b\\t\\n\\f\\r\\u001f\u{7f}é/\""
        );
    }
}
