//! The ed25519 key pair that signs certificates: generating one, its PEM text, its key id, and
//! signing and verifying bytes. This is the only module that names the signature crate
//! (`ed25519-dalek`); the certificate's signature ([`crate::report::certificate::signature`])
//! and the key files ([`files`]) go through it.
//!
//! The private key is PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, RFC 8410, as `openssl genpkey
//! -algorithm ed25519` writes it), the public key SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC
//! KEY-----`, as `openssl pkey -pubout` writes it). A private key never prints: its `Debug`
//! shows only its key id.

pub mod files;

use std::fmt;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes,
};
use ed25519_dalek::{Signer, Verifier};
use sha2::{Digest, Sha256};

/// A string wiped from memory when dropped (the private key's PEM text).
pub use ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing;

/// How many hex digits of the public key's SHA-256 a key id keeps.
pub const KEY_ID_HEX_DIGITS: usize = 16;

/// The length of a signature, in bytes.
pub const SIGNATURE_LEN: usize = ed25519_dalek::SIGNATURE_LENGTH;

/// An ed25519 private (signing) key.
#[derive(Clone)]
pub struct PrivateKey(ed25519_dalek::SigningKey);

/// An ed25519 public (verifying) key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

/// A key's PEM text is not what it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    /// Not a PKCS#8 PEM ed25519 private key.
    #[error(
        "not an ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----, as `mpcert keygen` writes it)"
    )]
    Private,
    /// Not a SubjectPublicKeyInfo PEM ed25519 public key.
    #[error(
        "not an ed25519 public key in PEM (-----BEGIN PUBLIC KEY-----, as `mpcert keygen` writes it)"
    )]
    Public,
}

impl PrivateKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        PrivateKey(ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng))
    }

    /// Reads a PKCS#8 PEM private key (version 1, or version 2 with its public key).
    pub fn from_pem(pem: &str) -> Result<Self, KeyFormatError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim())
            .map(PrivateKey)
            .map_err(|_| KeyFormatError::Private)
    }

    /// The key as PKCS#8 (version 1) PEM. This is the secret itself: it goes to the key file
    /// and nowhere else.
    pub fn to_pem(&self) -> Result<Zeroizing<String>, KeyFormatError> {
        let bytes = KeypairBytes {
            secret_key: self.0.to_bytes(),
            public_key: None,
        };
        bytes
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| KeyFormatError::Private)
    }

    /// Its public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.public_key().key_id())
    }
}

impl PublicKey {
    /// Reads a SubjectPublicKeyInfo PEM public key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyFormatError> {
        ed25519_dalek::VerifyingKey::from_public_key_pem(pem.trim())
            .map(PublicKey)
            .map_err(|_| KeyFormatError::Public)
    }

    /// The key as SubjectPublicKeyInfo PEM.
    pub fn to_pem(&self) -> Result<String, KeyFormatError> {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| KeyFormatError::Public)
    }

    /// The key's id: the first [`KEY_ID_HEX_DIGITS`] hex digits of the SHA-256 of its 32 raw
    /// bytes.
    pub fn key_id(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        hex[..KEY_ID_HEX_DIGITS].to_string()
    }

    /// Whether `signature` is this key's ed25519 signature of `message` (strict verification:
    /// no malleable signatures, no weak keys).
    pub fn verifies(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0.verify_strict(message, &signature).is_ok()
            && self.0.verify(message, &signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_and_the_private_key_never_prints() -> Result<(), KeyFormatError> {
        let key = PrivateKey::generate();
        let pem = key.to_pem()?;
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{}", *pem);
        let again = PrivateKey::from_pem(&pem)?;
        assert_eq!(again.public_key(), key.public_key());
        let public = key.public_key().to_pem()?;
        assert!(
            public.starts_with("-----BEGIN PUBLIC KEY-----\n"),
            "{public}"
        );
        assert_eq!(PublicKey::from_pem(&public)?, key.public_key());
        let shown = format!("{key:?}");
        assert_eq!(shown, format!("PrivateKey({})", key.public_key().key_id()));
        assert!(!pem.contains(&shown[11..]));
        Ok(())
    }

    #[test]
    fn a_signature_verifies_only_for_its_message_and_key() {
        let key = PrivateKey::generate();
        let signature = key.sign(b"message");
        assert!(key.public_key().verifies(b"message", &signature));
        assert!(!key.public_key().verifies(b"massage", &signature));
        assert!(
            !PrivateKey::generate()
                .public_key()
                .verifies(b"message", &signature)
        );
    }

    #[test]
    fn the_key_id_is_sixteen_hex_digits_of_the_raw_keys_sha256() {
        // RFC 8032 test 1: the public key of the all-test-vector secret key.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";
        let key = PrivateKey::from_pem(pem).map(|k| k.public_key());
        let expected_raw = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        let raw: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&expected_raw[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect();
        let digest: String = Sha256::digest(&raw)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(key.map(|k| k.key_id()), Ok(digest[..16].to_string()));
    }

    #[test]
    fn text_that_is_not_a_key_is_refused() {
        assert_eq!(
            PrivateKey::from_pem("hello").err(),
            Some(KeyFormatError::Private)
        );
        assert_eq!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .err(),
            Some(KeyFormatError::Public)
        );
    }
}
