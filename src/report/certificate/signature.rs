//! A certificate's signature: the service that issues a certificate signs it with its ed25519
//! key (`mpcert serve --signing-key`), and a release gate that trusts that key checks it
//! ([`verify`]), so a certificate nobody issued — a ledger entry typed by hand, a certificate
//! edited after the fact — is refused.
//!
//! What is signed is the certificate's JSON without its `signature` member, in the canonical
//! form of [`super::canonical`] (JCS, RFC 8785), as UTF-8 bytes. The signature names its
//! algorithm (`ed25519`), the key's id ([`PublicKey::key_id`]) and carries the 64-byte
//! signature in standard base64 with padding.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::keys::{PrivateKey, PublicKey, SIGNATURE_LEN};

use super::Certificate;
use super::canonical::to_jcs;

/// The one algorithm certificates are signed with.
pub const ED25519: &str = "ed25519";

/// The certificate member that holds the signature, left out of what is signed.
pub const SIGNATURE_MEMBER: &str = "signature";

/// The signature of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSignature {
    /// The algorithm: `ed25519`.
    pub algorithm: String,
    /// The signing key's id: the first 16 hex digits of the SHA-256 of its 32 raw bytes.
    pub key_id: String,
    /// The signature, standard base64.
    pub value: String,
}

/// A certificate could not be signed, or its signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The certificate carries no signature.
    #[error("the certificate is not signed")]
    Unsigned,
    /// The signature names an algorithm other than ed25519.
    #[error("the certificate is signed with `{0}`, not ed25519")]
    UnsupportedAlgorithm(String),
    /// The certificate was signed by another key than the trusted one.
    #[error("the certificate is signed by key {signed_by}, not by the trusted key {trusted}")]
    WrongKey {
        /// The key id the signature names.
        signed_by: String,
        /// The trusted key's id.
        trusted: String,
    },
    /// The signature is not the trusted key's signature of this certificate: the certificate
    /// was changed after it was signed, or the signature was forged.
    #[error(
        "the certificate's signature does not match its content: it was changed after it was signed, or the signature is forged"
    )]
    BadSignature,
    /// The certificate has no JSON form to sign (a number that is not finite).
    #[error("the certificate cannot be put in canonical form: {0}")]
    Canonical(String),
}

/// The bytes a certificate's signature is over: its JSON without the `signature` member, in
/// canonical (JCS) form.
pub fn signed_bytes(certificate: &Certificate) -> Result<Vec<u8>, SignatureError> {
    if !certificate.time_scale.is_finite() {
        return Err(SignatureError::Canonical(format!(
            "timeScale {} is not a number JSON can hold",
            certificate.time_scale
        )));
    }
    let mut value =
        serde_json::to_value(certificate).map_err(|e| SignatureError::Canonical(e.to_string()))?;
    if let Some(members) = value.as_object_mut() {
        members.remove(SIGNATURE_MEMBER);
    }
    Ok(to_jcs(&value).into_bytes())
}

/// `certificate` signed by `key` (any signature it carried is replaced).
pub fn sign(mut certificate: Certificate, key: &PrivateKey) -> Result<Certificate, SignatureError> {
    let message = signed_bytes(&certificate)?;
    certificate.signature = Some(CertificateSignature {
        algorithm: ED25519.to_string(),
        key_id: key.public_key().key_id(),
        value: STANDARD.encode(key.sign(&message)),
    });
    Ok(certificate)
}

/// Checks that `certificate` was signed by `trusted` and not changed since: `Ok` only then;
/// otherwise whether it is unsigned, signed by another key, or its signature does not hold.
pub fn verify(certificate: &Certificate, trusted: &PublicKey) -> Result<(), SignatureError> {
    let signature = certificate
        .signature
        .as_ref()
        .ok_or(SignatureError::Unsigned)?;
    if signature.algorithm != ED25519 {
        return Err(SignatureError::UnsupportedAlgorithm(
            signature.algorithm.clone(),
        ));
    }
    let trusted_id = trusted.key_id();
    if signature.key_id != trusted_id {
        return Err(SignatureError::WrongKey {
            signed_by: signature.key_id.clone(),
            trusted: trusted_id,
        });
    }
    let bytes: [u8; SIGNATURE_LEN] = STANDARD
        .decode(&signature.value)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(SignatureError::BadSignature)?;
    if trusted.verifies(&signed_bytes(certificate)?, &bytes) {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

#[cfg(test)]
mod tests;
