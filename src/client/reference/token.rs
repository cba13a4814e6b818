//! Integrator authentication (domain §2.1): the OAuth2 client-credentials token from
//! `{auth_url}/connect/token`, cached and replaced a scaled minute before its `expires_in` (real
//! seconds, as the service states it), or at once after the PoS API answered 401. A client that
//! names its merchant in the token asks for it with the `merchant_vat` form field. The client
//! secret and the token live only in [`Secret`]s and request headers marked sensitive; no log
//! line or error message ever contains either.

use std::time::Instant;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::Value;

use super::attempt::{Attempt, send_attempt};
use super::timing::Timing;
use super::{Failure, reported};
use crate::client::protocol::AdapterError;
use crate::secret::Secret;

/// The grant every token request asks for.
const GRANT: (&str, &str) = ("grant_type", "client_credentials");

/// A token and when to stop using it.
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// Where tokens come from, and the current one.
pub(super) struct TokenSource {
    url: reqwest::Url,
    basic: Secret,
    form: Vec<(&'static str, String)>,
    cached: Option<Cached>,
}

impl TokenSource {
    /// A source for `{auth_url}/connect/token` with the client's credentials, claiming
    /// `merchant_vat` in the token when given.
    pub(super) fn new(
        auth_url: &str,
        client_id: &str,
        secret: &Secret,
        merchant_vat: Option<&str>,
    ) -> Result<Self, AdapterError> {
        let text = format!("{}/connect/token", auth_url.trim_end_matches('/'));
        let url = reqwest::Url::parse(&text).map_err(|e| AdapterError::Unreachable {
            url: text.clone(),
            reason: format!("not a valid URL: {e}"),
        })?;
        let credentials = format!("{client_id}:{}", secret.expose());
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        let mut form = vec![(GRANT.0, GRANT.1.to_string())];
        if let Some(vat) = merchant_vat {
            form.push(("merchant_vat", vat.to_string()));
        }
        Ok(TokenSource {
            url,
            basic: Secret::new(format!("Basic {encoded}")),
            form,
            cached: None,
        })
    }

    /// Forgets the current token (the PoS API refused it).
    pub(super) fn invalidate(&mut self) {
        self.cached = None;
    }

    /// A usable token, fetching a new one when there is none or it is about to expire.
    pub(super) async fn bearer(
        &mut self,
        http: &reqwest::Client,
        timing: Timing,
    ) -> Result<Secret, Failure> {
        if let Some(cached) = &self.cached {
            if Instant::now() < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }
        let cached = self.fetch(http, timing).await?;
        let token = cached.token.clone();
        self.cached = Some(cached);
        Ok(token)
    }

    /// Asks the token endpoint, retrying network faults, timeouts and 5xx like any write.
    async fn fetch(&self, http: &reqwest::Client, timing: Timing) -> Result<Cached, Failure> {
        let mut basic = HeaderValue::from_str(self.basic.expose()).map_err(|_| {
            AdapterError::Protocol("the client id or secret cannot be sent in a header".into())
        })?;
        basic.set_sensitive(true);
        let mut last = String::new();
        let mut connect_failures = 0;
        let attempts = timing.attempts();
        for attempt in 1..=attempts {
            let request = http
                .post(self.url.clone())
                .header(AUTHORIZATION, basic.clone())
                .form(&self.form);
            let outcome = send_attempt(request, timing.timeout_for(&reqwest::Method::POST)).await;
            tracing::debug!(method = "POST", path = %self.url.path(), status = ?outcome.status(), attempt, "token call");
            match outcome {
                Attempt::Answered { status, body } if (200..300).contains(&status) => {
                    return self.parse(&body, timing);
                }
                Attempt::Answered { status, .. } if (400..500).contains(&status) => {
                    return Err(AdapterError::AuthRefused {
                        url: self.url.to_string(),
                        status,
                    }
                    .into());
                }
                Attempt::Connect(reason) => {
                    connect_failures += 1;
                    last = reason;
                }
                other => last = other.describe(),
            }
            if attempt < attempts {
                tokio::time::sleep(timing.retry_delay(attempt)).await;
            }
        }
        if connect_failures == attempts {
            return Err(AdapterError::Unreachable {
                url: self.url.to_string(),
                reason: last,
            }
            .into());
        }
        reported(format!(
            "token request to {} failed after {attempts} attempts: {last}",
            self.url
        ))
    }

    /// Reads `{access_token, expires_in, …}`.
    fn parse(&self, body: &[u8], timing: Timing) -> Result<Cached, Failure> {
        let received = Instant::now();
        let json: Value = serde_json::from_slice(body).unwrap_or_default();
        let Some(token) = json
            .get("access_token")
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
        else {
            return reported(format!(
                "token endpoint {} answered without an access_token",
                self.url
            ));
        };
        let expires_in = json
            .get("expires_in")
            .and_then(Value::as_f64)
            .filter(|e| e.is_finite() && *e >= 0.0)
            .unwrap_or_else(|| timing.default_token_lifetime_secs());
        let usable = timing.token_usable_for(expires_in);
        Ok(Cached {
            token: Secret::new(token),
            refresh_at: received + usable,
        })
    }
}
