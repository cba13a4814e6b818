//! The emulated PoS v10 API. One pipeline serves every `/pos/v10` call: authenticate the bearer
//! token to a session, classify the endpoint, open the exchange record, apply the armed case's
//! fault (`err500` answers 500 without touching state; `hold200` processes fully and then holds
//! the answer), validate headers, enforce idempotency on the creating endpoints, and dispatch to
//! the resource handlers (`stores`, `pointofsales`, `payments`), which hold the state machines.
//! `prepared` serves prepare and ready, `checkin` the check-in and the customers it ties to
//! payments; `usersim` is the sandbox's user simulation, outside `/pos/v10` and this pipeline.

pub mod auth;
mod checkin;
#[cfg(test)]
pub(crate) mod fixtures;
mod headers;
mod idempotency;
mod payments;
mod pointofsales;
mod prepared;
mod query;
mod stores;
pub mod usersim;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::catalogue::model::FaultReply;
use crate::pos::{ApiError, Endpoint, ErrorCode};

use super::access;
use super::recorder::{Arrival, ExchangeGuard};
use super::registry::{Shared, TokenGrant};
use super::session::Session;

/// The path prefix of the PoS v10 API.
pub const API_PREFIX: &str = "/pos/v10";

/// One PoS call as the resource handlers see it.
pub struct ApiRequest<'a> {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The id in the path, if any.
    pub resource_id: Option<&'a str>,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
    /// The raw body.
    pub body: &'a [u8],
}

/// A successful answer: a JSON body, or none.
pub type ApiAnswer = Result<Option<serde_json::Value>, ApiError>;

/// Serves every `/pos/v10/*` request.
pub async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let path = uri.path().strip_prefix(API_PREFIX).unwrap_or_default();
    let Some((endpoint, resource_id)) = Endpoint::classify(method.as_str(), path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    let Some((grant, session)) = access::bearer(&headers).and_then(|token| state.grant(token))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    session.touch();
    let clock = session.clock();
    let (attribution, fault) = {
        let mut state = session.state();
        (state.attribution(), state.take_fault(endpoint))
    };
    let arrival = Arrival {
        method: method.as_str(),
        path: &path_and_query,
        headers: &headers,
        body: (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned()),
        endpoint: Some(endpoint.to_string()),
        resource_id: resource_id.clone(),
    };
    let mut guard = ExchangeGuard::open(session.clone(), arrival, attribution);
    guard.set_fault(fault);
    let v2 = endpoint.uses_error_v2();
    if fault == Some(FaultReply::Err500) {
        tokio::time::sleep(clock.err500_delay()).await;
        return respond(guard, Err(ErrorCode::Internal.into()), &correlation_id, v2);
    }
    let request = ApiRequest {
        endpoint,
        resource_id: resource_id.as_deref(),
        query: query::parse(uri.query().unwrap_or_default()),
        body: &body,
    };
    let answer = process(&mut session.state(), &grant, &headers, &request);
    if fault == Some(FaultReply::Hold200) {
        tokio::time::sleep(clock.hold()).await;
    }
    respond(guard, answer, &correlation_id, v2)
}

/// Header checks, idempotency and dispatch, under the registry lock.
fn process(
    session: &mut Session,
    grant: &TokenGrant,
    headers: &HeaderMap,
    request: &ApiRequest<'_>,
) -> ApiAnswer {
    headers::check(headers, grant)?;
    let key = if request.endpoint.requires_idempotency_key() {
        Some(headers::idempotency_key(headers)?)
    } else {
        None
    };
    if let Some(key) = &key {
        if let Some(replay) = idempotency::lookup(session, key, request)? {
            return Ok(Some(replay));
        }
    }
    let vat = headers::effective_vat(headers, grant)
        .unwrap_or_else(|| session.merchant_vat().to_string());
    let answer = dispatch(session, &vat, request)?;
    if let (Some(key), Some(body)) = (key, &answer) {
        idempotency::bind(session, key, request, body.clone());
    }
    Ok(answer)
}

fn dispatch(session: &mut Session, vat: &str, request: &ApiRequest<'_>) -> ApiAnswer {
    match request.endpoint {
        Endpoint::GetStores => stores::list(vat, request),
        Endpoint::GetStore => stores::get(vat, request),
        Endpoint::GetDetailedStores => stores::detailed(vat, request),
        Endpoint::CreatePos => pointofsales::create(session, vat, request),
        Endpoint::GetPosWithFilter => pointofsales::list(session, request),
        Endpoint::GetPos => pointofsales::get(session, request),
        Endpoint::DeletePos => pointofsales::delete(session, request),
        Endpoint::InitiatePayment => payments::initiate(session, request),
        Endpoint::QueryPayment => payments::query(session, request),
        Endpoint::QueryPaymentIds => payments::list(session, request),
        Endpoint::CapturePayment => payments::capture(session, request),
        Endpoint::CancelPayment => payments::cancel(session, request),
        Endpoint::GetCheckIn => checkin::get(session, request),
        Endpoint::PreparePayment => prepared::prepare(session, request),
        Endpoint::PaymentReady => prepared::ready(session, request),
        Endpoint::CreateRefund
        | Endpoint::GetRefund
        | Endpoint::QueryRefundIds
        | Endpoint::CaptureRefund
        | Endpoint::CancelRefund => Err(ApiError::NotFound),
    }
}

fn respond(guard: ExchangeGuard, answer: ApiAnswer, correlation_id: &str, v2: bool) -> Response {
    let (status, body) = match answer {
        Ok(body) => (200, body.map(|b| b.to_string())),
        Err(error) => (
            error.status(),
            error
                .body(correlation_id, v2)
                .and_then(|b| serde_json::to_string(&b).ok()),
        ),
    };
    guard.answer(status, body.clone());
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match body {
        Some(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        None => status.into_response(),
    }
}

/// Parses a JSON body into `T`; any shape error is the generic 400 `1099`. Every body of the
/// document is an object, and serde would read a struct from a JSON array too, so only an object
/// is read.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    match serde_json::from_slice(body) {
        Ok(object @ serde_json::Value::Object(_)) => serde_json::from_value(object),
        _ => return Err(ApiError::Coded(ErrorCode::BadRequest)),
    }
    .map_err(|_| ApiError::Coded(ErrorCode::BadRequest))
}
