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
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    let grant = registry.tokens.get(token)?.clone();
    let session = registry.sessions.get(&grant.session_id)?;
    (session.clock.virtual_ms() < grant.expires_virtual_ms).then_some(grant)
}
