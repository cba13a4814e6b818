//! The session API under `/certification/v1` (our own design; MobilePay's website protocol is
//! not public). It follows the website's steps: create a session (identification and
//! selection) to receive per-session credentials, start each case (arming its script), mark
//! each step, finish the case to receive its recorded exchanges, and read the whole session.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::exchange::Exchange;
use crate::pos::constants::CERT_MERCHANT_VAT_DK;
use crate::pos::validate;

use super::clock::Clock;
use super::emulator::API_PREFIX;
use super::emulator::auth::TOKEN_PATH;
use super::registry::Shared;
use super::script::{self, ScriptError};
use super::session::{Session, SessionRequest};

/// The path prefix of the session API.
pub const SESSION_API_PREFIX: &str = "/certification/v1";

/// The answer to creating a session: where and how the client under test connects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionCreated {
    /// The session id.
    pub session_id: String,
    /// Per-session client id.
    pub client_id: String,
    /// Per-session client secret.
    pub client_secret: String,
    /// The merchant VAT number to act for.
    pub merchant_vat: String,
    /// The service's time scale.
    pub time_scale: f64,
    /// Path of the PoS v10 API on this service.
    pub api_base_path: String,
    /// Path of the token endpoint on this service.
    pub token_path: String,
}

/// Everything the service recorded in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    /// The declared client name.
    pub client_name: String,
    /// The declared client version.
    pub client_version: String,
    /// Every exchange in arrival order.
    pub exchanges: Vec<Exchange>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn script_error(e: ScriptError) -> Response {
    error(StatusCode::CONFLICT, e.to_string())
}

/// `POST /certification/v1/sessions`.
pub async fn create(State(state): State<Shared>, body: axum::body::Bytes) -> Response {
    let request: SessionRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("invalid session request: {e}"),
            );
        }
    };
    if !validate::is_valid_version(&request.client_version) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "client version `{}` is not Major.Minor.Build",
                request.client_version
            ),
        );
    }
    let session = Session::new(request, CERT_MERCHANT_VAT_DK, Clock::new(state.time_scale));
    let created = SessionCreated {
        session_id: session.id.clone(),
        client_id: session.client_id.clone(),
        client_secret: session.client_secret.expose().to_string(),
        merchant_vat: session.merchant_vat.clone(),
        time_scale: state.time_scale,
        api_base_path: API_PREFIX.to_string(),
        token_path: TOKEN_PATH.to_string(),
    };
    tracing::info!(session = %session.id, client = %session.request.client_name, "session created");
    state.lock().sessions.insert(session.id.clone(), session);
    (StatusCode::CREATED, Json(created)).into_response()
}

fn with_session<T: Serialize>(
    state: &Shared,
    id: &str,
    action: impl FnOnce(&mut Session) -> Result<T, ScriptError>,
) -> Response {
    let mut registry = state.lock();
    let Some(session) = registry.sessions.get_mut(id) else {
        return error(StatusCode::NOT_FOUND, format!("no session {id}"));
    };
    match action(session) {
        Ok(value) => Json(value).into_response(),
        Err(e) => script_error(e),
    }
}

/// `POST /certification/v1/sessions/{id}/cases/{category}/{case}/start`.
pub async fn start_case(
    State(state): State<Shared>,
    Path((id, category, case)): Path<(String, String, String)>,
) -> Response {
    with_session(&state, &id, |s| {
        script::arm(s, &format!("{category}/{case}"))
    })
}

/// `POST /certification/v1/sessions/{id}/steps/{index}/begin`.
pub async fn begin_step(
    State(state): State<Shared>,
    Path((id, index)): Path<(String, usize)>,
) -> Response {
    with_session(&state, &id, |s| script::begin_step(s, index))
}

/// `POST /certification/v1/sessions/{id}/steps/end`.
pub async fn end_step(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    with_session(&state, &id, |s| script::observe_step(s))
}

/// `POST /certification/v1/sessions/{id}/finish`. Waits (boundedly) until every exchange of the
/// case is recorded — a call the client abandoned is recorded only once the server notices the
/// hang-up — so the case record is complete.
pub async fn finish_case(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let deadline = tokio::time::Instant::now() + settle_bound(&state, &id);
    loop {
        let recorded = state.exchange_recorded.notified();
        let in_flight = state.lock().sessions.get(&id).map_or(0, |s| s.in_flight);
        if in_flight == 0 || tokio::time::timeout_at(deadline, recorded).await.is_err() {
            break;
        }
    }
    with_session(&state, &id, script::finish)
}

/// How long finishing a case may wait for in-flight exchanges: a held answer plus a margin.
fn settle_bound(state: &Shared, id: &str) -> std::time::Duration {
    let hold = state
        .lock()
        .sessions
        .get(id)
        .map_or(std::time::Duration::ZERO, |s| s.clock.hold());
    hold + std::time::Duration::from_secs(1)
}

/// `GET /certification/v1/sessions/{id}`.
pub async fn summary(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    with_session(&state, &id, |s| {
        let mut exchanges = s.exchanges.clone();
        exchanges.sort_by_key(|e| e.seq);
        Ok(SessionSummary {
            client_name: s.request.client_name.clone(),
            client_version: s.request.client_version.clone(),
            exchanges,
        })
    })
}
