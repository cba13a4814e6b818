//! The emulated PoS v10 API. One pipeline serves every `/pos/v10` call: authenticate the bearer
//! token to a session, classify the endpoint, read the body up to its limit, open the exchange
//! record, apply the armed case's fault (`err500` answers 500 without touching state; `hold200`
//! processes fully and then holds the answer), validate headers (which settle the merchant the
//! call acts for), check request hygiene (body size, content type, JSON syntax, GUID query
//! parameters), enforce idempotency on the creating endpoints, let due reservations expire, and
//! dispatch to the resource handlers (`stores`, `pointofsales`, `payments`, `refunds`), which
//! hold the state machines and refuse another merchant's resources (`scope`). `prepared`
//! serves prepare and ready, `checkin` the check-in and the customers it ties to payments;
//! `usersim` is the sandbox's user simulation, outside `/pos/v10` and this pipeline. A forwarding
//! service (a remote target) runs the same pipeline up to the recording guard and then sends the
//! call on (`proxy`) instead of processing it; no fault is ever armed there.

pub mod auth;
mod checkin;
#[cfg(test)]
pub(crate) mod fixtures;
mod headers;
mod hygiene;
mod idempotency;
mod payments;
mod pointofsales;
mod prepared;
#[cfg(test)]
mod properties;
mod refunds;
pub mod scope;
mod stores;
pub mod usersim;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::catalogue::model::FaultReply;
use crate::exchange::VatSource;
use crate::pos::constants::MAX_BODY_BYTES;
use crate::pos::{ApiError, Endpoint, ErrorCode, query};

use super::access;
use super::beacons::Beacons;
use super::proxy;
use super::recorder::{Arrival, ExchangeGuard};
use super::registry::{Shared, TokenGrant};
use super::session::Session;

use hygiene::BodyFault;
use scope::Caller;

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

/// Serves every `/pos/v10/*` request. The body is taken raw, not as `Bytes`, so that no
/// framework limit answers a status the OpenAPI document does not list: the pipeline applies its
/// own limit and answers 400 `1099`.
pub async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
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
    let body = hygiene::read_body(body, MAX_BODY_BYTES).await;
    let clock = session.clock();
    let (attribution, fault) = {
        let mut state = session.state();
        (state.attribution(), state.take_fault(endpoint))
    };
    let arrival = Arrival {
        method: method.as_str(),
        path: &path_and_query,
        headers: &headers,
        // An oversized or broken body is not recorded: the answer says what was wrong with it.
        body: body
            .as_ref()
            .ok()
            .filter(|b| !b.is_empty())
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        endpoint: Some(endpoint.to_string()),
        resource_id: resource_id.clone(),
    };
    let mut guard = ExchangeGuard::open(session.clone(), arrival, attribution);
    guard.set_fault(fault);
    guard.set_merchant_vat_from(VatSource::of(
        grant.merchant_vat_claim.is_some(),
        headers.contains_key(crate::pos::headers::MERCHANT_VAT),
    ));
    let v2 = endpoint.uses_error_v2();
    if let (Some(upstream), Ok(bytes)) = (state.upstream(), &body) {
        let call = proxy::Call {
            method: &method,
            path: path_and_query
                .strip_prefix(API_PREFIX)
                .unwrap_or(&path_and_query),
            headers: &headers,
            body: bytes.clone(),
        };
        return proxy::forward(upstream, &grant, guard, call).await;
    }
    if fault == Some(FaultReply::Err500) {
        tokio::time::sleep(clock.err500_delay()).await;
        return respond(guard, Err(ErrorCode::Internal.into()), &correlation_id, v2);
    }
    let (bytes, body_fault) = match body {
        Ok(bytes) => (bytes, None),
        Err(fault) => (Vec::new(), Some(fault)),
    };
    let request = ApiRequest {
        endpoint,
        resource_id: resource_id.as_deref(),
        query: query::parse(uri.query().unwrap_or_default()),
        body: &bytes,
    };
    let context = CallContext {
        grant: &grant,
        headers: &headers,
        body_fault,
        session_id: session.id(),
        beacons: state.beacons(),
    };
    let answer = process(&mut session.state(), &context, &request);
    if fault == Some(FaultReply::Hold200) {
        tokio::time::sleep(clock.hold()).await;
    }
    respond(guard, answer, &correlation_id, v2)
}

/// What a PoS call brings besides its request: its grant and headers, whether its body could be
/// read, and the session and service-wide state it acts in.
struct CallContext<'a> {
    grant: &'a TokenGrant,
    headers: &'a HeaderMap,
    body_fault: Option<BodyFault>,
    session_id: &'a str,
    beacons: &'a Beacons,
}

/// Header and hygiene checks, idempotency, expiry and dispatch, under the session's lock.
fn process(session: &mut Session, call: &CallContext<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let vat = headers::check(call.headers, call.grant)?;
    if let Some(fault) = call.body_fault {
        return Err(fault.into());
    }
    hygiene::check(call.headers, request)?;
    let key = if request.endpoint.requires_idempotency_key() {
        Some(headers::idempotency_key(call.headers)?)
    } else {
        None
    };
    if let Some(key) = &key {
        if let Some(replay) = idempotency::lookup(session, key, request)? {
            return Ok(Some(replay));
        }
    }
    // Expiry is applied on the virtual clock whenever the session's payments are touched.
    let now = session.clock().virtual_ms();
    session.world_mut().expire_reservations(now);
    let caller = Caller {
        vat: &vat,
        session_id: call.session_id,
        beacons: call.beacons,
    };
    let answer = dispatch(session, &caller, request)?;
    if let (Some(key), Some(body)) = (key, &answer) {
        idempotency::bind(session, key, request, body.clone());
    }
    Ok(answer)
}

fn dispatch(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    match request.endpoint {
        Endpoint::GetStores => stores::list(caller.vat, request),
        Endpoint::GetStore => stores::get(caller.vat, request),
        Endpoint::GetDetailedStores => stores::detailed(caller.vat, request),
        Endpoint::CreatePos => pointofsales::create(session, caller, request),
        Endpoint::GetPosWithFilter => pointofsales::list(session, caller, request),
        Endpoint::GetPos => pointofsales::get(session, caller, request),
        Endpoint::DeletePos => pointofsales::delete(session, caller, request),
        Endpoint::InitiatePayment => payments::initiate(session, caller, request),
        Endpoint::QueryPayment => payments::query(session, caller, request),
        Endpoint::QueryPaymentIds => payments::list(session, caller, request),
        Endpoint::CapturePayment => payments::capture(session, caller, request),
        Endpoint::CancelPayment => payments::cancel(session, caller, request),
        Endpoint::CreateRefund => refunds::create(session, caller, request),
        Endpoint::GetRefund => refunds::get(session, caller, request),
        Endpoint::QueryRefundIds => refunds::list(session, caller, request),
        Endpoint::CaptureRefund => refunds::capture(session, caller, request),
        Endpoint::CancelRefund => refunds::cancel(session, caller, request),
        Endpoint::GetCheckIn => checkin::get(session, caller, request),
        Endpoint::PreparePayment => prepared::prepare(session, caller, request),
        Endpoint::PaymentReady => prepared::ready(session, caller, request),
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

/// Parses a JSON body into `T`; any shape error (the syntax was checked before) is the generic
/// 400 `1099`. Every body of the document is an object, and serde would read a struct from a
/// JSON array too, so only an object is read.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    match serde_json::from_slice(body) {
        Ok(object @ serde_json::Value::Object(_)) => serde_json::from_value(object),
        _ => return Err(ApiError::Coded(ErrorCode::BadRequest)),
    }
    .map_err(|_| ApiError::Coded(ErrorCode::BadRequest))
}
