//! MobilePay's integrator-authentication token endpoint (domain reference §2.1), emulated with
//! per-session credentials: `POST /integrator-authentication/connect/token` with HTTP Basic
//! client credentials issues an opaque bearer token bound to the session, optionally with a
//! `merchant_vat` claim. Also maps a bearer token on a PoS call back to its grant.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use crate::pos::constants::TOKEN_LIFETIME_SECS;
use crate::service::recorder::{Arrival, ExchangeGuard, REDACTED, redact_form};
use crate::service::registry::{Registry, Shared, TokenGrant};

use super::query;

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/integrator-authentication/connect/token";

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// The credentials of an `Authorization` header using `scheme` (compared case-insensitively,
/// as RFC 7235 says).
fn credentials<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then_some(credentials.trim())
}

/// Serves the token endpoint.
pub async fn token(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form = query::parse(&String::from_utf8_lossy(&body));
    let Some((client_id, secret)) = basic_credentials(&headers) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    let mut registry = state.lock();
    let Some(session) = registry.session_by_client_id(&client_id) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    let arrival = Arrival {
        method: "POST",
        path: TOKEN_PATH,
        headers: &headers,
        body: Some(redact_form(&String::from_utf8_lossy(&body))),
        endpoint: None,
        resource_id: None,
    };
    let guard = ExchangeGuard::open(state.clone(), session, arrival);
    if session.client_secret.expose() != secret {
        drop(registry);
        guard.answer(401, Some(json!({"error": "invalid_client"}).to_string()));
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if query::get(&form, "grant_type") != Some("client_credentials") {
        drop(registry);
        guard.answer(
            400,
            Some(json!({"error": "unsupported_grant_type"}).to_string()),
        );
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let token = format!("mpcert.{}", uuid::Uuid::new_v4().simple());
    let grant = TokenGrant {
        session_id: session.id.clone(),
        expires_virtual_ms: session.clock.virtual_ms() + TOKEN_LIFETIME_SECS as f64 * 1000.0,
        merchant_vat_claim: query::get(&form, "merchant_vat").map(str::to_string),
    };
    registry.tokens.insert(token.clone(), grant);
    drop(registry);
    let answer = |access_token: &str| {
        json!({
            "access_token": access_token,
            "expires_in": TOKEN_LIFETIME_SECS,
            "token_type": "Bearer",
            "scope": "integrator_scope",
        })
    };
    guard.answer(200, Some(answer(REDACTED).to_string()));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        answer(&token).to_string(),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": error }).to_string(),
    )
        .into_response()
}

/// The grant of a valid, unexpired bearer token on a PoS call.
pub fn grant_for(registry: &mut Registry, headers: &HeaderMap) -> Option<TokenGrant> {
    let token = credentials(headers, "bearer")?;
    let grant = registry.tokens.get(token)?.clone();
    let session = registry.sessions.get(&grant.session_id)?;
    (session.clock.virtual_ms() < grant.expires_virtual_ms).then_some(grant)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::service::emulator::fixtures::{TestResult, VAT, session};
    use crate::service::registry::ServiceState;

    fn bearer(token: &str) -> Result<HeaderMap, Box<dyn std::error::Error>> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        Ok(headers)
    }

    fn basic(id: &str, secret: &str) -> Result<HeaderMap, Box<dyn std::error::Error>> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}"))?,
        );
        Ok(headers)
    }

    /// A registry with one session and one token expiring at `expires_virtual_ms`.
    fn registry_with_token(expires_virtual_ms: f64) -> Registry {
        let mut registry = Registry::default();
        let session = session();
        let grant = TokenGrant {
            session_id: session.id.clone(),
            expires_virtual_ms,
            merchant_vat_claim: Some(VAT.to_string()),
        };
        registry.sessions.insert(session.id.clone(), session);
        registry.tokens.insert("tok-1".to_string(), grant);
        registry
    }

    #[test]
    fn a_live_token_maps_to_its_grant() -> TestResult {
        let mut registry = registry_with_token(f64::MAX);
        let grant = grant_for(&mut registry, &bearer("tok-1")?).ok_or("token refused")?;
        assert_eq!(grant.merchant_vat_claim.as_deref(), Some(VAT));
        assert!(registry.sessions.contains_key(&grant.session_id));
        Ok(())
    }

    #[test]
    fn a_missing_authorization_is_refused() {
        let mut registry = registry_with_token(f64::MAX);
        assert_eq!(grant_for(&mut registry, &HeaderMap::new()), None);
    }

    #[test]
    fn an_unknown_token_is_refused() -> TestResult {
        let mut registry = registry_with_token(f64::MAX);
        assert_eq!(grant_for(&mut registry, &bearer("tok-2")?), None);
        Ok(())
    }

    #[test]
    fn basic_credentials_are_not_a_bearer_token() -> TestResult {
        let mut registry = registry_with_token(f64::MAX);
        assert_eq!(grant_for(&mut registry, &basic("tok-1", "x")?), None);
        Ok(())
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let mut registry = registry_with_token(f64::MAX);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer tok-1"),
        );
        assert!(grant_for(&mut registry, &headers).is_some());
    }

    #[test]
    fn an_expired_token_is_refused() -> TestResult {
        let mut registry = registry_with_token(0.0);
        assert_eq!(grant_for(&mut registry, &bearer("tok-1")?), None);
        Ok(())
    }

    #[test]
    fn a_token_of_a_vanished_session_is_refused() -> TestResult {
        let mut registry = registry_with_token(f64::MAX);
        registry.sessions.clear();
        assert_eq!(grant_for(&mut registry, &bearer("tok-1")?), None);
        Ok(())
    }

    #[test]
    fn basic_credentials_are_decoded() -> TestResult {
        assert_eq!(
            basic_credentials(&basic("client", "se:cret")?),
            Some(("client".to_string(), "se:cret".to_string()))
        );
        assert_eq!(basic_credentials(&bearer("tok-1")?), None);
        let mut garbage = HeaderMap::new();
        garbage.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_credentials(&garbage), None);
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
        Ok(())
    }

    /// A service state holding one fresh session; returns it with the session's credentials.
    fn service() -> (Shared, String, String) {
        let state = ServiceState::new(1.0);
        let session = session();
        let credentials = (
            session.client_id.clone(),
            session.client_secret.expose().to_string(),
        );
        state.lock().sessions.insert(session.id.clone(), session);
        (state, credentials.0, credentials.1)
    }

    #[tokio::test]
    async fn an_issued_token_authenticates_pos_calls() -> TestResult {
        let (state, id, secret) = service();
        let form = Bytes::from_static(b"grant_type=client_credentials&merchant_vat=DK90000028");
        let response = token(State(state.clone()), basic(&id, &secret)?, form).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body)?;
        assert_eq!(answer["token_type"], "Bearer");
        assert_eq!(answer["expires_in"], TOKEN_LIFETIME_SECS);
        let access_token = answer["access_token"].as_str().ok_or("no access_token")?;
        let grant = grant_for(&mut state.lock(), &bearer(access_token)?).ok_or("token refused")?;
        assert_eq!(grant.merchant_vat_claim.as_deref(), Some(VAT));
        let recorded = state
            .lock()
            .sessions
            .values()
            .flat_map(|s| s.exchanges.clone())
            .collect::<Vec<_>>();
        assert_eq!(recorded.len(), 1);
        let response_body = recorded[0].response_body.clone().unwrap_or_default();
        assert!(
            !response_body.contains(access_token) && response_body.contains(REDACTED),
            "the recorded answer leaks the token: {response_body}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_wrong_secret_or_grant_type_gets_no_token() -> TestResult {
        let (state, id, secret) = service();
        let form = || Bytes::from_static(b"grant_type=client_credentials");
        let wrong_secret = token(State(state.clone()), basic(&id, "wrong")?, form()).await;
        assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
        let unknown_client = token(State(state.clone()), basic("nobody", &secret)?, form()).await;
        assert_eq!(unknown_client.status(), StatusCode::UNAUTHORIZED);
        let no_credentials = token(State(state.clone()), HeaderMap::new(), form()).await;
        assert_eq!(no_credentials.status(), StatusCode::UNAUTHORIZED);
        let password = Bytes::from_static(b"grant_type=password");
        let wrong_grant = token(State(state.clone()), basic(&id, &secret)?, password).await;
        assert_eq!(wrong_grant.status(), StatusCode::BAD_REQUEST);
        assert!(state.lock().tokens.is_empty());
        Ok(())
    }
}
