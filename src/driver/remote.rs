//! The driver's side of the session API: create a session, start cases, mark steps, finish
//! cases. The same HTTP calls serve the embedded service and a standalone `mpcert serve`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::judge::StepObservation;
use crate::report::{Certificate, StepReport, Verdict};
use crate::secret::Secret;
use crate::service::api::SESSION_API_PREFIX;
use crate::service::wire::{CaseRecord, FinishRequest, SessionCreated, SessionRequest};

/// A session API call failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionApiError {
    /// The service could not be reached.
    #[error("the certification service at {url} is unreachable: {reason}")]
    Unreachable {
        /// The service URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The service refused the call.
    #[error("the certification service refused {what}: HTTP {status}: {message}")]
    Refused {
        /// Which call.
        what: String,
        /// HTTP status.
        status: u16,
        /// The service's message.
        message: String,
    },
}

/// A session on a certification service.
pub struct RemoteSession {
    http: reqwest::Client,
    base: String,
    token: Secret,
    /// What the service answered when the session was created (its token moved out).
    pub created: SessionCreated,
}

async fn call<T: DeserializeOwned>(
    base: &str,
    what: &str,
    request: reqwest::RequestBuilder,
) -> Result<T, SessionApiError> {
    let response = request
        .send()
        .await
        .map_err(|e| SessionApiError::Unreachable {
            url: base.to_string(),
            reason: root_cause(&e),
        })?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| SessionApiError::Unreachable {
            url: base.to_string(),
            reason: root_cause(&e),
        })?;
    if !(200..300).contains(&status) {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or(text);
        return Err(SessionApiError::Refused {
            what: what.to_string(),
            status,
            message,
        });
    }
    serde_json::from_str(&text).map_err(|e| SessionApiError::Refused {
        what: what.to_string(),
        status,
        message: format!("unreadable answer: {e}"),
    })
}

/// The innermost cause of an HTTP failure, which says what actually went wrong.
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

impl RemoteSession {
    /// Opens a session on the service at `base` (e.g. `http://127.0.0.1:40123`), presenting
    /// the operator token when there is one.
    pub async fn open(
        base: &str,
        operator_token: Option<&Secret>,
        request: &SessionRequest,
    ) -> Result<Self, SessionApiError> {
        let http = reqwest::Client::new();
        let url = format!("{base}{SESSION_API_PREFIX}/sessions");
        let mut post = http.post(url).json(request);
        if let Some(token) = operator_token {
            post = post.bearer_auth(token.expose());
        }
        let mut created: SessionCreated = call(base, "the new session", post).await?;
        let token = Secret::new(std::mem::take(&mut created.session_token));
        Ok(RemoteSession {
            http,
            base: base.to_string(),
            token,
            created,
        })
    }

    fn url(&self, tail: &str) -> String {
        format!(
            "{}{SESSION_API_PREFIX}/sessions/{}/{tail}",
            self.base, self.created.session_id
        )
    }

    async fn post<T: DeserializeOwned>(
        &self,
        what: &str,
        tail: &str,
        body: &impl Serialize,
    ) -> Result<T, SessionApiError> {
        let post = self
            .http
            .post(self.url(tail))
            .bearer_auth(self.token.expose());
        call(&self.base, what, post.json(body)).await
    }

    /// Arms a case (`category/case`).
    pub async fn start_case(&self, case_id: &str) -> Result<(), SessionApiError> {
        self.post::<Option<()>>(
            &format!("starting case {case_id}"),
            &format!("cases/{case_id}/start"),
            &Empty {},
        )
        .await
        .map(|_| ())
    }

    /// Marks the start of a step.
    pub async fn begin_step(&self, index: usize) -> Result<(), SessionApiError> {
        self.post::<Option<()>>(
            "beginning a step",
            &format!("steps/{index}/begin"),
            &Empty {},
        )
        .await
        .map(|_| ())
    }

    /// Reports what the client did in a step and returns what the service observed.
    pub async fn end_step(&self, report: &StepReport) -> Result<StepObservation, SessionApiError> {
        self.post("ending a step", "steps/end", report).await
    }

    /// Finishes the armed case and returns its record with the service's verdict; `unjudged`
    /// is the `Error` or `Skipped` verdict of a case the driver could not run to the end.
    pub async fn finish_case(
        &self,
        unjudged: Option<&Verdict>,
    ) -> Result<CaseRecord, SessionApiError> {
        let request = FinishRequest {
            unjudged: unjudged.cloned(),
        };
        self.post("finishing the case", "finish", &request).await
    }

    /// The session's certificate, or `None` while not every selected case has passed.
    pub async fn certificate(&self) -> Result<Option<Certificate>, SessionApiError> {
        let request = self
            .http
            .get(self.url("certificate"))
            .bearer_auth(self.token.expose());
        match call(&self.base, "the certificate", request).await {
            Ok(certificate) => Ok(Some(certificate)),
            Err(SessionApiError::Refused { status: 409, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[derive(Serialize)]
struct Empty {}
