//! The http adapter (`--client http:<url>`): the integrator's client as a server that takes one
//! driver-protocol request per POST (JSON body) and answers with the response object as the body
//! of a 200. Anything else — no connection, another status, a body that is not the response to
//! that request — is a broken adapter, reported as such; the next request tries afresh. The
//! connection an exec client finds in its environment comes with every request as headers of the
//! same names (`MPCERT-CLIENT-ID`, …). The operation timeout is the driver's, as for every
//! adapter.

use crate::catalogue::Operation;
use crate::secret::Secret;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::protocol::{AdapterError, Answer, Fields, MAX_RESPONSE_BYTES, RequestIds, read_answer};
use super::{CLIENT_SECRET_NAME, Connection};

/// An http client under test.
pub struct HttpClient {
    url: reqwest::Url,
    http: reqwest::Client,
    secret: Secret,
    ids: RequestIds,
}

impl HttpClient {
    /// A client reached at `url`, told about `connection` with every request.
    pub fn new(url: reqwest::Url, connection: Connection) -> Result<Self, AdapterError> {
        let mut headers = HeaderMap::new();
        for (name, value) in connection.announced() {
            let sensitive = name == CLIENT_SECRET_NAME;
            let name = HeaderName::try_from(name.replace('_', "-"));
            let (Ok(name), Ok(mut value)) = (name, HeaderValue::try_from(value)) else {
                return Err(AdapterError::Unavailable(
                    "the connection cannot be sent as http headers".into(),
                ));
            };
            value.set_sensitive(sensitive);
            headers.insert(name, value);
        }
        // Like the reference client, reach the client directly: a CI proxy meant for the
        // internet must not stand between mpcert and a client on the build host.
        let http = reqwest::Client::builder()
            .no_proxy()
            .default_headers(headers)
            .build()
            .map_err(|e| AdapterError::Unavailable(format!("cannot build an http client: {e}")))?;
        Ok(HttpClient {
            url,
            http,
            secret: connection.client_secret,
            ids: RequestIds::default(),
        })
    }

    /// Performs one operation with one POST.
    pub async fn perform(
        &mut self,
        op: Operation,
        params: &Fields,
    ) -> Result<Answer, AdapterError> {
        let request = self.ids.next(op, params);
        let mut response = self
            .http
            .post(self.url.clone())
            .json(&request)
            .send()
            .await
            .map_err(|e| {
                AdapterError::Unavailable(format!(
                    "cannot reach the client at {}: {}",
                    shown(&self.url),
                    causes(&e.without_url())
                ))
            })?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(AdapterError::Protocol(format!(
                "the client answered `{}` with HTTP {status} instead of 200",
                op.as_str()
            )));
        }
        let mut body = Vec::new();
        loop {
            let chunk = response.chunk().await.map_err(|e| {
                AdapterError::Protocol(format!(
                    "the client's answer to `{}` broke off: {}",
                    op.as_str(),
                    causes(&e.without_url())
                ))
            })?;
            let Some(chunk) = chunk else { break };
            body.extend_from_slice(&chunk);
            if body.len() > MAX_RESPONSE_BYTES {
                return Err(AdapterError::Protocol(format!(
                    "the client answered `{}` with a body longer than {MAX_RESPONSE_BYTES} bytes",
                    op.as_str()
                )));
            }
        }
        read_answer(&body, request.id, "a response body", &self.secret)
    }
}

/// The URL without user information, as errors show it.
fn shown(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// An error and its chain of causes on one line.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
