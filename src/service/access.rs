//! Who may call what: the operator token that guards session creation on a shared service, each
//! session's own bearer token for every other session call, and the comparison of presented
//! secrets with stored ones. Secrets are kept only as SHA-256 digests and compared in constant
//! time, so neither timing nor a memory dump of the registry gives a token away.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

/// A stored secret: only its digest.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretDigest([u8; 32]);

impl std::fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretDigest(<redacted>)")
    }
}

impl SecretDigest {
    /// The digest of `secret`.
    pub fn of(secret: &str) -> Self {
        SecretDigest(Sha256::digest(secret.as_bytes()).into())
    }

    /// Whether `presented` is the stored secret. Comparing fixed-length digests byte by byte
    /// without an early exit takes the same time wherever they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let other = Self::of(presented);
        let difference = self
            .0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(difference) == 0
    }
}

/// The credentials of an `Authorization` header using `scheme` (compared case-insensitively, as
/// RFC 7235 says).
pub fn credentials<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then_some(credentials.trim())
}

/// The bearer token of a request, if it carries one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    credentials(headers, "bearer")
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_the_same_secret_matches() {
        let stored = SecretDigest::of("s3cr3t");
        assert!(stored.matches("s3cr3t"));
        assert!(!stored.matches("s3cr3T"));
        assert!(!stored.matches(""));
        assert!(!stored.matches("s3cr3t "));
        assert_eq!(format!("{stored:?}"), "SecretDigest(<redacted>)");
    }

    #[test]
    fn bearer_tokens_are_read_with_any_scheme_case() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer t-1"),
        );
        assert_eq!(bearer(&headers), Some("t-1"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic t-1"));
        assert_eq!(bearer(&headers), None);
    }
}
