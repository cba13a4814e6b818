//! The session API under `/certification/v1` (our own design; MobilePay's website protocol is
//! not public). It follows the website's steps: create a session (identification, adapter,
//! catalogue by digest, selection) to receive the session's bearer token and PoS credentials,
//! start each case (the service arms it from its own catalogue), mark each step, finish the case
//! to have it judged where its exchanges were recorded, read the session, and collect the
//! certificate. Creating a session needs the operator token when the service has one; every
//! other call needs the session's own token.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::catalogue::model::Profile;
use crate::catalogue::{Catalogue, load};
use crate::pos::constants::CERT_MERCHANT_VAT_DK;
use crate::pos::validate;
use crate::report::{AdapterKind, CatalogueProvenance, REFERENCE_CLIENT_NAME, StepReport, Verdict};

use super::access;
use super::arm;
use super::certify;
use super::clock::Clock;
use super::emulator::API_PREFIX;
use super::emulator::auth::TOKEN_PATH;
use super::handle::SessionHandle;
use super::merchants;
use super::registry::Shared;
use super::session::{Identity, Session};
use super::verdicts::{self, Recorded};
use super::wire::{CatalogueChoice, FinishRequest, SessionCreated, SessionRequest, SessionSummary};

/// The path prefix of the session API.
pub const SESSION_API_PREFIX: &str = "/certification/v1";

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// A refused session call: its status and reason, answered as `{"error": reason}`.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

/// The session named in the path, if the request carries that session's own token.
fn authorized(
    state: &Shared,
    id: &str,
    headers: &HeaderMap,
) -> Result<Arc<SessionHandle>, Refusal> {
    let Some(session) = state.session(id) else {
        return Err(Refusal(StatusCode::NOT_FOUND, format!("no session {id}")));
    };
    match access::bearer(headers) {
        Some(token) if session.is_session_token(token) => {
            session.touch();
            Ok(session)
        }
        _ => Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "this call needs the session's own token (Authorization: Bearer <sessionToken>, as returned when the session was created)".into(),
        )),
    }
}

/// The catalogue a session asks for, with its provenance.
fn choose_catalogue(
    state: &Shared,
    choice: &CatalogueChoice,
) -> Result<(Arc<Catalogue>, CatalogueProvenance), Refusal> {
    match choice {
        CatalogueChoice::Builtin { digest } if *digest == state.builtin().digest => Ok((
            state.builtin().clone(),
            CatalogueProvenance::builtin(&state.builtin().digest),
        )),
        CatalogueChoice::Builtin { digest } => Err(Refusal(
            StatusCode::CONFLICT,
            format!(
                "this service's built-in catalogue (mpcert {}) has digest {}, not {digest}: run the same mpcert version as the service, or upload the catalogue as a custom one",
                env!("CARGO_PKG_VERSION"),
                state.builtin().digest
            ),
        )),
        CatalogueChoice::Custom { files } => {
            let files: Vec<(String, String)> = files
                .iter()
                .map(|f| (f.name.clone(), f.text.clone()))
                .collect();
            match load::load_files(&files) {
                Ok(catalogue) => {
                    let provenance = CatalogueProvenance::custom(&catalogue.digest);
                    Ok((Arc::new(catalogue), provenance))
                }
                Err(e) => Err(Refusal(
                    StatusCode::BAD_REQUEST,
                    format!("the uploaded catalogue is invalid: {e}"),
                )),
            }
        }
    }
}

/// The certification merchant a session request certifies as: the one asked for, else the
/// Danish one.
fn merchant_of(request: &SessionRequest) -> Result<&'static str, String> {
    match request.merchant_vat.as_deref() {
        None => Ok(CERT_MERCHANT_VAT_DK),
        Some(vat) => merchants::by_vat(vat).map(|m| m.vat).ok_or_else(|| {
            let known: Vec<&str> = merchants::CERT_MERCHANTS.iter().map(|m| m.vat).collect();
            format!(
                "merchantVat `{vat}` is not a certification merchant; use one of {}",
                known.join(", ")
            )
        }),
    }
}

/// Checks the identification and adapter of a session request.
fn check_identification(request: &SessionRequest) -> Result<(), String> {
    if !validate::is_valid_version(&request.client_version) {
        return Err(format!(
            "client version `{}` is not Major.Minor.Build",
            request.client_version
        ));
    }
    if !validate::is_valid_text(&request.client_name, 1, 36) {
        return Err("client name: use 1 to 36 characters of the PoS valid character set".into());
    }
    if let Some(id) = (request.integrator_client_ids.iter()).find(|id| !validate::is_guid(id)) {
        return Err(format!(
            "integratorClientIds: `{id}` is not a GUID (8-4-4-4-12 hexadecimal digits)"
        ));
    }
    let digest = request.adapter.command_digest.as_deref();
    match request.adapter.kind {
        AdapterKind::Reference if request.client_name != REFERENCE_CLIENT_NAME => Err(format!(
            "the reference client is mpcert's own and is certified only as `{REFERENCE_CLIENT_NAME}`, not as `{}`",
            request.client_name
        )),
        AdapterKind::Reference if digest.is_some() => {
            Err("the reference client has no command digest".into())
        }
        AdapterKind::Exec | AdapterKind::Http
            if !digest
                .is_some_and(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit())) =>
        {
            Err(
                "an exec or http adapter needs the SHA-256 (hex) of its command as commandDigest"
                    .into(),
            )
        }
        _ => Ok(()),
    }
}

/// Checks the selection against the catalogue: known, unique ids in the session's profile, in
/// catalogue order, and every case of every mandatory category that the profile judges.
fn check_selection(
    catalogue: &Catalogue,
    cases: &[String],
    profile: Profile,
) -> Result<Vec<String>, String> {
    let all: Vec<(String, bool, bool)> = catalogue
        .categories
        .iter()
        .flat_map(|category| {
            category.cases.iter().map(|case| {
                (
                    format!("{}/{}", category.header.id, case.case.id),
                    category.header.mandatory,
                    case.case.in_profile(profile),
                )
            })
        })
        .collect();
    if cases.is_empty() {
        return Err("select at least one case".into());
    }
    for (index, id) in cases.iter().enumerate() {
        match all.iter().find(|(known, _, _)| known == id) {
            None => return Err(format!("case {id} is not in the catalogue")),
            Some((_, _, false)) => {
                return Err(format!(
                    "case {id} is not judged in the {} profile",
                    profile.as_str()
                ));
            }
            Some(_) => {}
        }
        if cases[..index].contains(id) {
            return Err(format!("case {id} is selected twice"));
        }
    }
    if let Some((missing, _, _)) = all
        .iter()
        .find(|(id, mandatory, in_profile)| *mandatory && *in_profile && !cases.contains(id))
    {
        return Err(format!(
            "case {missing} belongs to a mandatory category and must be selected"
        ));
    }
    Ok(all
        .into_iter()
        .map(|(id, _, _)| id)
        .filter(|id| cases.contains(id))
        .collect())
}

/// `POST /certification/v1/sessions`.
pub async fn create(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !state.may_create_sessions(access::bearer(&headers)) {
        return error(
            StatusCode::UNAUTHORIZED,
            "this service requires its operator token to create a session (Authorization: Bearer <token>)",
        );
    }
    let request: SessionRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return bad_request(format!("invalid session request: {e}")),
    };
    if let Err(message) = check_identification(&request) {
        return bad_request(message);
    }
    let merchant_vat = match merchant_of(&request) {
        Ok(vat) => vat,
        Err(message) => return bad_request(message),
    };
    let (catalogue, provenance) = match choose_catalogue(&state, &request.catalogue) {
        Ok(chosen) => chosen,
        Err(refusal) => return refusal.into_response(),
    };
    let selected = match check_selection(&catalogue, &request.cases, request.profile) {
        Ok(selected) => selected,
        Err(message) => return bad_request(message),
    };
    let time_scale = state.options().time_scale;
    let identity = Identity {
        client_name: request.client_name,
        client_version: request.client_version,
        adapter: request.adapter,
        profile: request.profile,
        catalogue: provenance.clone(),
        merchant_vat: merchant_vat.to_string(),
        integrator_client_ids: (request.integrator_client_ids.iter())
            .map(|id| id.to_ascii_lowercase())
            .collect(),
    };
    let session = Session::new(catalogue, selected, Clock::new(time_scale));
    let created = SessionHandle::create(identity, session);
    let handle = created.handle;
    let answer = SessionCreated {
        session_id: handle.id().to_string(),
        session_token: created.session_token.expose().to_string(),
        client_id: handle.client_id().to_string(),
        client_secret: handle.client_secret().expose().to_string(),
        merchant_vat: merchant_vat.to_string(),
        time_scale,
        catalogue: provenance,
        api_base_path: API_PREFIX.to_string(),
        token_path: TOKEN_PATH.to_string(),
        idle_expiry_secs: state.options().idle_expiry.as_secs(),
    };
    tracing::info!(session = %handle.id(), client = %handle.identity().client_name, "session created");
    state.insert(handle);
    (StatusCode::CREATED, Json(answer)).into_response()
}

fn answer<T: Serialize, E: std::fmt::Display>(result: Result<T, E>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

/// `POST /certification/v1/sessions/{id}/cases/{category}/{case}/start`. A forwarding service
/// refuses a case that needs what only the certification backend provides.
pub async fn start_case(
    State(state): State<Shared>,
    Path((id, category, case)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let session = match authorized(&state, &id, &headers) {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let case_id = format!("{category}/{case}");
    if state.upstream().is_some() {
        let reason = session
            .state()
            .case(&case_id)
            .and_then(|c| c.remote_skip_reason());
        if let Some(reason) = reason {
            return error(
                StatusCode::CONFLICT,
                format!("case {case_id} cannot run on a remote target ({reason})"),
            );
        }
    }
    answer(arm::arm(&mut session.state(), &case_id))
}

/// `POST /certification/v1/sessions/{id}/steps/{index}/begin`.
pub async fn begin_step(
    State(state): State<Shared>,
    Path((id, index)): Path<(String, usize)>,
    headers: HeaderMap,
) -> Response {
    match authorized(&state, &id, &headers) {
        Ok(session) => answer(session.state().begin_step(index)),
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /certification/v1/sessions/{id}/steps/end` with the driver's report of the step.
pub async fn end_step(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let session = match authorized(&state, &id, &headers) {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    match serde_json::from_slice::<StepReport>(&body) {
        Ok(report) => answer(session.state().end_step(report)),
        Err(e) => bad_request(format!("invalid step report: {e}")),
    }
}

/// `POST /certification/v1/sessions/{id}/finish`. Waits (boundedly) until every exchange of the
/// case is recorded — a call the client abandoned is recorded only once the server notices the
/// hang-up — then judges the case from the service's own catalogue and records the verdict as
/// final.
pub async fn finish_case(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let session = match authorized(&state, &id, &headers) {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let unjudged = match serde_json::from_slice::<FinishRequest>(&body) {
        Ok(FinishRequest {
            unjudged: Some(Verdict::Passed | Verdict::Failed { .. }),
        }) => {
            return bad_request(
                "only an error or skipped verdict can be reported; the service judges the rest",
            );
        }
        Ok(request) => request.unjudged,
        Err(e) => return bad_request(format!("invalid finish request: {e}")),
    };
    let deadline =
        tokio::time::Instant::now() + session.clock().hold() + std::time::Duration::from_secs(1);
    loop {
        let recorded = session.recorded().notified();
        let in_flight = session.recording().in_flight();
        if in_flight == 0 || tokio::time::timeout_at(deadline, recorded).await.is_err() {
            break;
        }
    }
    let mut state = session.state();
    let armed = match state.disarm() {
        Ok(armed) => armed,
        Err(e) => return error(StatusCode::CONFLICT, e.to_string()),
    };
    let (exchanges, truncated) = session.recording().case(&armed.id);
    let record = verdicts::conclude(
        &mut state,
        armed,
        Recorded {
            exchanges,
            truncated,
        },
        unjudged,
        session.identity(),
    );
    Json(record).into_response()
}

/// `GET /certification/v1/sessions/{id}/certificate`: issued when every selected case has
/// passed, for the categories all of whose cases passed, and signed when the service has a
/// signing key; otherwise 409 naming what did not. A forwarding service (a remote target) never
/// issues one.
pub async fn certificate(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let session = match authorized(&state, &id, &headers) {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    if state.upstream().is_some() {
        return error(
            StatusCode::CONFLICT,
            format!("not certified: {}", certify::REMOTE_NOT_CERTIFIED),
        );
    }
    let issued_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let issued = certify::issue(
        session.identity(),
        &session.state(),
        session.id(),
        &issued_at,
    );
    match issued.and_then(|c| certify::seal(c, state.options().signing_key.as_deref())) {
        Ok(certificate) => Json(certificate).into_response(),
        Err(reason) => error(StatusCode::CONFLICT, format!("not certified: {reason}")),
    }
}

/// `GET /certification/v1/sessions/{id}`.
pub async fn summary(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let session = match authorized(&state, &id, &headers) {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let identity = session.identity();
    let verdicts = session.state().verdicts().to_vec();
    Json(SessionSummary {
        client_name: identity.client_name.clone(),
        client_version: identity.client_version.clone(),
        catalogue: identity.catalogue.clone(),
        verdicts,
        exchanges: session.recording().all(),
    })
    .into_response()
}
