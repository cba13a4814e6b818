//! MobilePay's integrator-authentication token endpoint (domain reference §2.1), emulated with
//! per-session credentials: `POST /integrator-authentication/connect/token` with HTTP Basic
//! client credentials issues an opaque bearer token bound to the session, optionally with a
//! `merchant_vat` claim. The token lives exactly the `expires_in` it is announced with, in real
//! seconds: the documented 3700 s times the time scale (see `clock` for the rule). A forwarding
//! service checks the session's credentials the same way and then asks the remote target
//! (`proxy::token`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use crate::pos::constants::TOKEN_LIFETIME_SECS;
use crate::service::proxy;
use crate::service::recorder::{Arrival, ExchangeGuard, REDACTED, redact_form};
use crate::service::registry::{Shared, TokenGrant};

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

/// Serves the token endpoint.
pub async fn token(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form = query::parse(&String::from_utf8_lossy(&body));
    let Some((client_id, secret)) = basic_credentials(&headers) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    let Some(session) = state.session_by_client_id(&client_id) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    session.touch();
    let arrival = Arrival {
        method: "POST",
        path: TOKEN_PATH,
        headers: &headers,
        body: Some(redact_form(&String::from_utf8_lossy(&body))),
        endpoint: None,
        resource_id: None,
    };
    let attribution = session.state().attribution();
    let guard = ExchangeGuard::open(session.clone(), arrival, attribution);
    if !session.is_client_secret(&secret) {
        guard.answer(401, Some(json!({"error": "invalid_client"}).to_string()));
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let claim = query::get(&form, "merchant_vat").map(str::to_string);
    if let Some(upstream) = state.upstream().cloned() {
        return proxy::token(&state, &upstream, &session, guard, body, claim).await;
    }
    if query::get(&form, "grant_type") != Some("client_credentials") {
        guard.answer(
            400,
            Some(json!({"error": "unsupported_grant_type"}).to_string()),
        );
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let token = format!("mpcert.{}", uuid::Uuid::new_v4().simple());
    let clock = session.clock();
    let expires_in = clock.stated_secs(TOKEN_LIFETIME_SECS);
    let grant = TokenGrant {
        session_id: session.id().to_string(),
        expires_virtual_ms: clock.virtual_ms() + clock.virtual_ms_of_real_secs(expires_in),
        merchant_vat_claim: claim,
        upstream_token: None,
    };
    state.issue_token(token.clone(), grant);
    let answer = |access_token: &str| {
        json!({
            "access_token": access_token,
            "expires_in": expires_in,
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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::service::emulator::fixtures::{TestResult, VAT, handle};
    use crate::service::registry::{ServiceOptions, ServiceState};

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

    /// A service state holding one fresh session at time scale 1; returns it with the session's
    /// credentials.
    fn service() -> Result<(Shared, String, String), Box<dyn std::error::Error>> {
        let state = ServiceState::new(ServiceOptions::new(1.0))?;
        let session = handle();
        let credentials = (
            session.client_id().to_string(),
            session.client_secret().expose().to_string(),
        );
        state.insert(session);
        Ok((state, credentials.0, credentials.1))
    }

    #[tokio::test]
    async fn an_issued_token_authenticates_pos_calls() -> TestResult {
        let (state, id, secret) = service()?;
        let form = Bytes::from_static(b"grant_type=client_credentials&merchant_vat=DK90000028");
        let response = token(State(state.clone()), basic(&id, &secret)?, form).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body)?;
        assert_eq!(answer["token_type"], "Bearer");
        assert_eq!(answer["expires_in"], TOKEN_LIFETIME_SECS);
        let access_token = answer["access_token"].as_str().ok_or("no access_token")?;
        let (grant, session) = state.grant(access_token).ok_or("token refused")?;
        assert_eq!(grant.merchant_vat_claim.as_deref(), Some(VAT));
        let recorded = session.recording().all();
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
        let (state, id, secret) = service()?;
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
        assert_eq!(state.counts().1, 0);
        Ok(())
    }
}
