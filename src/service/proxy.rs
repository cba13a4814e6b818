//! Forwarding to a remote PoS target: the service's recording pipeline, with the answers coming
//! from the target instead of the emulator. The client under test holds only the session's own
//! credentials and tokens; the integrator's real ones never leave mpcert's process:
//!
//! - a token request with the session's credentials is sent on with the integrator's, and the
//!   target's access token is kept in the grant of a token the service mints for the client;
//! - a PoS call is sent on with the target's token in place of the minted one and the
//!   integrator's client id in place of the session's in `x-ibm-client-id`; everything else goes
//!   as the client sent it (hop-by-hop headers aside), and the answer comes back as the target
//!   gave it.
//!
//! Every exchange is recorded as the client saw it, through the same guard as an emulated one;
//! a target that cannot be reached is answered 502, recorded too.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::pos::headers::IBM_CLIENT_ID;
use crate::secret::Secret;

use super::handle::SessionHandle;
use super::recorder::{ExchangeGuard, REDACTED};
use super::registry::{Shared, TokenGrant};
use super::upstream::{Upstream, UpstreamError};

/// Request headers never sent on: hop-by-hop ones, the ones the proxy sets itself, and
/// `accept-encoding`, so the target answers in plain text the recording can keep.
const NOT_FORWARDED: [&str; 11] = [
    "host",
    "authorization",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "accept-encoding",
];

/// A PoS call to send on.
pub struct Call<'a> {
    /// Its method.
    pub method: &'a Method,
    /// Its path and query below the PoS v10 prefix (`/payments?posId=…`).
    pub path: &'a str,
    /// Its headers as the client sent them.
    pub headers: &'a HeaderMap,
    /// Its body.
    pub body: Vec<u8>,
}

/// Sends a PoS call on to the target with the target's token, and answers the client with the
/// target's answer.
pub async fn forward(
    upstream: &Upstream,
    grant: &TokenGrant,
    guard: ExchangeGuard,
    call: Call<'_>,
) -> Response {
    let Some(token) = &grant.upstream_token else {
        guard.answer(401, None);
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let url = format!("{}{}", upstream.api_base, call.path);
    let mut request = upstream.http.request(call.method.clone(), &url);
    for (name, value) in call.headers {
        let name = name.as_str();
        if NOT_FORWARDED.contains(&name) || name.starts_with("proxy-") {
            continue;
        }
        if name.eq_ignore_ascii_case(IBM_CLIENT_ID) {
            request = request.header(name, upstream.client_id.expose());
        } else {
            request = request.header(name, value);
        }
    }
    let request = request.bearer_auth(token.expose()).body(call.body);
    match request.send().await {
        Ok(response) => relay(guard, response).await,
        Err(e) => unavailable(guard, &upstream.unreachable(&url, &e)),
    }
}

/// Sends a token request on with the integrator's credentials and answers the client with a
/// token of the session's own, which stands for the target's.
pub async fn token(
    state: &Shared,
    upstream: &Upstream,
    session: &SessionHandle,
    guard: ExchangeGuard,
    form: Bytes,
    merchant_vat_claim: Option<String>,
) -> Response {
    let sent = upstream.token_request(form.to_vec()).send().await;
    let response = match sent {
        Ok(response) => response,
        Err(e) => return unavailable(guard, &upstream.unreachable(&upstream.token_url, &e)),
    };
    let status = response.status().as_u16();
    let text = match response.text().await {
        Ok(text) => text,
        Err(e) => return unavailable(guard, &upstream.unreachable(&upstream.token_url, &e)),
    };
    let answer = serde_json::from_str::<serde_json::Value>(&text).ok();
    let granted = answer.as_ref().and_then(|a| {
        let token = a.get("access_token")?.as_str()?;
        let expires_in = a.get("expires_in")?.as_u64()?;
        Some((token.to_string(), expires_in))
    });
    let (Some(mut answer), Some((upstream_token, expires_in)), 200) = (answer, granted, status)
    else {
        // A refusal (or an answer without a token) goes back as the target gave it; an error
        // body of a token endpoint names no secret.
        guard.answer(status, Some(text.clone()));
        return with_json(status, text);
    };
    let minted = format!("mpcert.{}", uuid::Uuid::new_v4().simple());
    let clock = session.clock();
    state.issue_token(
        minted.clone(),
        TokenGrant {
            session_id: session.id().to_string(),
            expires_virtual_ms: clock.virtual_ms() + clock.virtual_ms_of_real_secs(expires_in),
            merchant_vat_claim,
            upstream_token: Some(Secret::new(upstream_token)),
        },
    );
    answer["access_token"] = json!(REDACTED);
    guard.answer(200, Some(answer.to_string()));
    answer["access_token"] = json!(minted);
    with_json(200, answer.to_string())
}

/// Relays the target's answer to the client and records it.
async fn relay(guard: ExchangeGuard, response: reqwest::Response) -> Response {
    let status = response.status().as_u16();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) => {
            let reason = crate::driver::remote::root_cause(&e);
            let error = UpstreamError::Unreachable {
                url: "the remote PoS target".into(),
                reason,
            };
            return unavailable(guard, &error);
        }
    };
    let text = (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned());
    guard.answer(status, text);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut answer = (status, body).into_response();
    if let Some(content_type) = content_type {
        answer
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    answer
}

/// The target could not answer: 502 with the reason, recorded.
fn unavailable(guard: ExchangeGuard, error: &UpstreamError) -> Response {
    tracing::warn!("{error}");
    let body = json!({ "error": error.to_string() }).to_string();
    guard.answer(502, Some(body.clone()));
    with_json(502, body)
}

fn with_json(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let json = HeaderValue::from_static("application/json");
    (status, [(header::CONTENT_TYPE, json)], body).into_response()
}
