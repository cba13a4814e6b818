use serde_json::{Value, json};

use super::*;

/// A certificate as the service issues it, as JSON (the README's example).
fn sample_json() -> Value {
    json!({
        "clientName": "Acme POS",
        "clientVersion": "2.1.7",
        "certifiedVersion": "2.1",
        "adapter": { "kind": "exec", "commandDigest": "ab".repeat(32) },
        "profile": "mobilepay",
        "catalogue": { "source": "builtin", "digest": "13611c56", "toolVersion": "0.1.0" },
        "timeScale": 0.01,
        "merchantVat": "DK90000028",
        "toolVersion": "0.1.0",
        "selection": {
            "partialRun": false,
            "categories": [
                { "id": "onboarding", "selected": 3, "cases": 3 },
                { "id": "payments", "selected": 4, "cases": 4 }
            ]
        },
        "categories": [ { "id": "onboarding", "cases": 3 }, { "id": "payments", "cases": 4 } ],
        "sessionId": "f73ebe09-9255-4459-ae21-5bd27b7ff133",
        "issuedAt": "2026-11-29T05:55:21.370145253Z"
    })
}

fn certificate(value: Value) -> Certificate {
    match serde_json::from_value(value) {
        Ok(certificate) => certificate,
        Err(e) => panic!("not a certificate: {e}"),
    }
}

fn signed(key: &PrivateKey) -> Certificate {
    match sign(certificate(sample_json()), key) {
        Ok(certificate) => certificate,
        Err(e) => panic!("cannot sign: {e}"),
    }
}

fn to_json(certificate: &Certificate) -> Value {
    serde_json::to_value(certificate).unwrap_or(Value::Null)
}

#[test]
fn a_signed_certificate_verifies_with_its_key_also_after_a_json_round_trip() {
    let key = PrivateKey::generate();
    let certificate = signed(&key);
    let signature = certificate.signature.clone();
    assert!(signature.as_ref().is_some_and(|s| s.algorithm == "ed25519"
        && s.key_id == key.public_key().key_id()
        && s.key_id.len() == 16));
    assert_eq!(verify(&certificate, &key.public_key()), Ok(()));
    let text = serde_json::to_string(&certificate).unwrap_or_default();
    assert!(text.ends_with(&format!(
        ",\"signature\":{{\"algorithm\":\"ed25519\",\"keyId\":\"{}\",\"value\":\"{}\"}}}}",
        key.public_key().key_id(),
        signature.map(|s| s.value).unwrap_or_default()
    )));
    let read: Certificate = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verify(&read, &key.public_key()), Ok(()));
}

/// Every leaf of a JSON value, as a JSON pointer.
fn leaves(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                leaves(member, format!("{at}/{name}"), out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                leaves(item, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}

/// `value` changed so that it still reads as a certificate.
fn tampered(value: &Value) -> Value {
    match value {
        Value::String(s) if s == "exec" => json!("http"),
        Value::String(s) if s == "mobilepay" => json!("strict"),
        Value::String(s) if s == "builtin" => json!("custom"),
        Value::String(s) => json!(format!("{s}x")),
        Value::Number(n) if n.is_f64() => json!(n.as_f64().unwrap_or(0.0) * 100.0),
        Value::Number(n) => json!(n.as_u64().unwrap_or(0) + 1),
        Value::Bool(b) => json!(!b),
        other => other.clone(),
    }
}

#[test]
fn changing_any_field_breaks_the_signature() {
    let key = PrivateKey::generate();
    let original = to_json(&signed(&key));
    let mut pointers = Vec::new();
    leaves(&original, String::new(), &mut pointers);
    let signed_leaves: Vec<&String> = (pointers.iter())
        .filter(|p| !p.starts_with("/signature"))
        .collect();
    assert_eq!(signed_leaves.len(), 25, "{signed_leaves:?}");
    for pointer in signed_leaves {
        let mut changed = original.clone();
        if let Some(leaf) = changed.pointer_mut(pointer) {
            *leaf = tampered(leaf);
        }
        assert_ne!(changed, original, "{pointer}");
        assert_eq!(
            verify(&certificate(changed), &key.public_key()),
            Err(SignatureError::BadSignature),
            "{pointer}"
        );
    }
    let mut dropped = original.clone();
    if let Some(members) = dropped.as_object_mut() {
        members.remove("adapter");
        members.insert("adapter".into(), json!({ "kind": "exec" }));
    }
    assert_eq!(
        verify(&certificate(dropped), &key.public_key()),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn another_key_is_the_wrong_key_and_a_forged_value_a_bad_signature() {
    let key = PrivateKey::generate();
    let other = PrivateKey::generate();
    let certificate = signed(&key);
    assert_eq!(
        verify(&certificate, &other.public_key()),
        Err(SignatureError::WrongKey {
            signed_by: key.public_key().key_id(),
            trusted: other.public_key().key_id(),
        })
    );
    // The trusted key's id over another key's signature: still refused.
    let mut forged = signed(&other);
    if let Some(signature) = forged.signature.as_mut() {
        signature.key_id = key.public_key().key_id();
    }
    assert_eq!(
        verify(&forged, &key.public_key()),
        Err(SignatureError::BadSignature)
    );
    for value in ["", "not base64!", "AAAA"] {
        let mut garbled = certificate.clone();
        if let Some(signature) = garbled.signature.as_mut() {
            signature.value = value.into();
        }
        assert_eq!(
            verify(&garbled, &key.public_key()),
            Err(SignatureError::BadSignature)
        );
    }
}

#[test]
fn an_unsigned_certificate_or_another_algorithm_is_named() {
    let key = PrivateKey::generate();
    let unsigned = certificate(sample_json());
    assert_eq!(
        verify(&unsigned, &key.public_key()),
        Err(SignatureError::Unsigned)
    );
    let mut other = signed(&key);
    if let Some(signature) = other.signature.as_mut() {
        signature.algorithm = "rsa".into();
    }
    assert_eq!(
        verify(&other, &key.public_key()),
        Err(SignatureError::UnsupportedAlgorithm("rsa".into()))
    );
}

#[test]
fn the_canonical_form_ignores_member_order_whitespace_and_the_signature() {
    let key = PrivateKey::generate();
    let reference = signed_bytes(&certificate(sample_json())).unwrap_or_default();
    let text = String::from_utf8(reference.clone()).unwrap_or_default();
    assert!(
        text.starts_with("{\"adapter\":{\"commandDigest\":\"abab"),
        "{text}"
    );
    assert!(
        text.contains(",\"timeScale\":0.01,\"toolVersion\":\"0.1.0\"}"),
        "{text}"
    );
    // The same certificate written with its members reversed and spaced out, and signed.
    let signed = to_json(&signed(&key));
    let members: Vec<String> = (signed.as_object().into_iter().flatten())
        .rev()
        .map(|(name, value)| {
            format!(
                "\n  {name:?} : {}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            )
        })
        .collect();
    let reordered = format!("{{{}\n}}", members.join(" ,"));
    let read: Certificate = serde_json::from_str(&reordered).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(signed_bytes(&read), Ok(reference));
    assert_eq!(verify(&read, &key.public_key()), Ok(()));
}

#[test]
fn a_real_time_scale_is_written_as_an_integer() {
    let mut value = sample_json();
    value["timeScale"] = json!(1.0);
    let text = String::from_utf8(signed_bytes(&certificate(value)).unwrap_or_default());
    assert!(text.is_ok_and(|t| t.contains("\"timeScale\":1,")));
}
