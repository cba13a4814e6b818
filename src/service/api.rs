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
use crate::report::{Certificate, StepReport, Verdict};

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

/// `POST /certification/v1/sessions/{id}/steps/end` with the driver's report of the step.
pub async fn end_step(
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    match serde_json::from_slice::<StepReport>(&body) {
        Ok(report) => with_session(&state, &id, |s| script::end_step(s, report)),
        Err(e) => error(StatusCode::BAD_REQUEST, format!("invalid step report: {e}")),
    }
}

/// The body of finishing a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinishRequest {
    /// The `Error` or `Skipped` verdict of a case the driver could not run to the end; absent,
    /// the service judges the case.
    #[serde(default)]
    pub unjudged: Option<Verdict>,
}

/// `POST /certification/v1/sessions/{id}/finish`. Waits (boundedly) until every exchange of the
/// case is recorded — a call the client abandoned is recorded only once the server notices the
/// hang-up — so the case record is complete.
pub async fn finish_case(
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let unjudged = match serde_json::from_slice::<FinishRequest>(&body) {
        Ok(FinishRequest {
            unjudged: Some(Verdict::Passed | Verdict::Failed { .. }),
        }) => {
            return error(
                StatusCode::BAD_REQUEST,
                "only an error or skipped verdict can be reported; the service judges the rest",
            );
        }
        Ok(request) => request.unjudged,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("invalid finish request: {e}"),
            );
        }
    };
    let deadline = tokio::time::Instant::now() + settle_bound(&state, &id);
    loop {
        let recorded = state.exchange_recorded.notified();
        let in_flight = state.lock().sessions.get(&id).map_or(0, |s| s.in_flight);
        if in_flight == 0 || tokio::time::timeout_at(deadline, recorded).await.is_err() {
            break;
        }
    }
    with_session(&state, &id, |s| script::finish(s, unjudged))
}

/// `GET /certification/v1/sessions/{id}/certificate`: issued when every selected case has
/// passed, for the categories all of whose cases passed; otherwise 409 naming what did not.
pub async fn certificate(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let registry = state.lock();
    let Some(session) = registry.sessions.get(&id) else {
        return error(StatusCode::NOT_FOUND, format!("no session {id}"));
    };
    match issue(session) {
        Ok(certificate) => Json(certificate).into_response(),
        Err(missing) => error(
            StatusCode::CONFLICT,
            format!("not certified: {} did not pass", missing.join(", ")),
        ),
    }
}

/// The certificate of a session, or the cases that have not passed.
fn issue(session: &Session) -> Result<Certificate, Vec<String>> {
    let passed = |id: &str| {
        session
            .verdicts
            .iter()
            .any(|(case, verdict)| case == id && *verdict == Verdict::Passed)
    };
    let selected: Vec<&str> = session
        .request
        .cases
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let missing: Vec<String> = selected
        .iter()
        .filter(|id| !passed(id))
        .map(|id| (*id).to_string())
        .collect();
    if !missing.is_empty() || selected.is_empty() {
        return Err(missing);
    }
    let categories: Vec<String> = session
        .request
        .categories
        .iter()
        .filter(|category| category.cases.iter().all(|id| passed(id)))
        .map(|category| category.id.clone())
        .collect();
    if categories.is_empty() {
        return Err(vec!["every case of at least one category".to_string()]);
    }
    let version = &session.request.client_version;
    let certified_version = version
        .rsplit_once('.')
        .map_or(version.as_str(), |(mm, _)| mm);
    Ok(Certificate {
        session_id: session.id.clone(),
        client_name: session.request.client_name.clone(),
        client_version: version.clone(),
        certified_version: certified_version.to_string(),
        categories,
        cases: selected.iter().map(|id| (*id).to_string()).collect(),
        issued_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::emulator::fixtures::session;
    use crate::service::session::CategoryOutline;

    fn outline(id: &str, cases: &[&str]) -> CategoryOutline {
        CategoryOutline {
            id: id.to_string(),
            cases: cases.iter().map(|c| format!("{id}/{c}")).collect(),
        }
    }

    /// A session of client version 2.1.7 that selected `selected` and finished them with the
    /// given verdicts.
    fn finished(selected: &[&str], verdicts: &[(&str, Verdict)]) -> Session {
        let mut session = session();
        session.request.client_version = "2.1.7".into();
        session.request.categories = vec![
            outline("onboarding", &["onboard"]),
            outline("payments", &["pay", "cancel"]),
        ];
        session.request.cases = selected
            .iter()
            .map(|id| crate::service::session::CaseScript {
                id: (*id).to_string(),
                case: crate::catalogue::Case {
                    id: id.rsplit('/').next().unwrap_or_default().to_string(),
                    title: "t".into(),
                    summary: "s".into(),
                    backend: Default::default(),
                    steps: Vec::new(),
                },
            })
            .collect();
        session.verdicts = verdicts
            .iter()
            .map(|(id, v)| ((*id).to_string(), v.clone()))
            .collect();
        session
    }

    #[test]
    fn every_case_passed_certifies_every_category_for_major_minor() {
        let all = ["onboarding/onboard", "payments/pay", "payments/cancel"];
        let verdicts: Vec<(&str, Verdict)> = all.iter().map(|id| (*id, Verdict::Passed)).collect();
        let Ok(certificate) = issue(&finished(&all, &verdicts)) else {
            panic!("every case passed");
        };
        assert_eq!(certificate.certified_version, "2.1");
        assert_eq!(certificate.categories, vec!["onboarding", "payments"]);
        assert_eq!(certificate.cases.len(), 3);
    }

    #[test]
    fn a_partly_run_category_is_not_certified() {
        let selected = ["onboarding/onboard", "payments/pay"];
        let verdicts = [
            ("onboarding/onboard", Verdict::Passed),
            ("payments/pay", Verdict::Passed),
        ];
        let Ok(certificate) = issue(&finished(&selected, &verdicts)) else {
            panic!("every selected case passed");
        };
        assert_eq!(certificate.categories, vec!["onboarding"]);
    }

    #[test]
    fn a_case_that_did_not_pass_withholds_the_certificate_and_is_named() {
        let selected = ["onboarding/onboard", "payments/pay"];
        let verdicts = [
            ("onboarding/onboard", Verdict::Passed),
            (
                "payments/pay",
                Verdict::Failed {
                    findings: Vec::new(),
                },
            ),
        ];
        assert_eq!(
            issue(&finished(&selected, &verdicts)).err(),
            Some(vec!["payments/pay".to_string()])
        );
        let unfinished = issue(&finished(&selected, &verdicts[..1])).err();
        assert_eq!(unfinished, Some(vec!["payments/pay".to_string()]));
    }
}
