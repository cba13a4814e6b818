//! The call layer: one logical PoS v10 request as the conduct rules want it sent. Every attempt
//! carries the bearer token, the version, VAT (unless the token claims it) and client-id
//! headers, and — only on the four creating endpoints — an idempotency key that stays the same,
//! like the serialised body, across the retries of one logical request (B3, B15, B16). An attempt
//! is bounded by the method's timeout (B1); network faults, timeouts and 5xx are retried the
//! style's number of times, 4xx never (B2, B6); a 401 fetches a fresh token and repeats the
//! attempt once. A request whose every attempt went unanswered is [`Sent::Lost`], so a create can
//! recover its id (B8). Polls use single attempts ([`Transport::once`]) because their pacing
//! belongs to the poll layer.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, RequestBuilder, Url};
use serde_json::Value;

use super::attempt::{Attempt, describe_status, error_code, parse_body, send_attempt};
use super::conduct::{Conduct, Misbehaviour, Style};
use super::timing::Timing;
use super::token::TokenSource;
use super::{Failure, ReferenceConfig, reported};
use crate::client::protocol::AdapterError;
use crate::pos::headers;
use crate::secret::Secret;

/// The body fields a till stamps the attempt number into when it deliberately changes the body
/// of a retry (the first one present).
const ORDER_REFERENCES: [&str; 3] = ["orderId", "refundOrderId", "merchantPosId"];

const VERSION_HEADER: HeaderName = HeaderName::from_static(headers::CLIENT_SYSTEM_VERSION);
const VAT_HEADER: HeaderName = HeaderName::from_static(headers::MERCHANT_VAT);
const CLIENT_ID_HEADER: HeaderName = HeaderName::from_static(headers::IBM_CLIENT_ID);
const IDEMPOTENCY_HEADER: HeaderName = HeaderName::from_static(headers::IDEMPOTENCY_KEY);

/// One logical PoS v10 request.
#[derive(Debug, Clone)]
pub(super) struct Call {
    method: Method,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    keyed: bool,
    key: Option<String>,
}

impl Call {
    fn new(method: Method, segments: &[&str]) -> Self {
        Call {
            method,
            segments: segments.iter().map(|s| (*s).to_string()).collect(),
            query: Vec::new(),
            body: None,
            keyed: false,
            key: None,
        }
    }

    /// `GET` of the path below the API base, given as segments.
    pub(super) fn get(segments: &[&str]) -> Self {
        Call::new(Method::GET, segments)
    }

    /// `POST` of the path below the API base, given as segments.
    pub(super) fn post(segments: &[&str]) -> Self {
        Call::new(Method::POST, segments)
    }

    /// `DELETE` of the path below the API base, given as segments.
    pub(super) fn delete(segments: &[&str]) -> Self {
        Call::new(Method::DELETE, segments)
    }

    /// Adds a query parameter.
    pub(super) fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the JSON body, serialised once so every attempt sends the same bytes.
    pub(super) fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string().into_bytes());
        self
    }

    /// Marks the call as one that carries an idempotency key.
    pub(super) fn keyed(mut self) -> Self {
        self.keyed = true;
        self
    }

    /// The same request under the idempotency key an earlier answer was given to (a repeat of
    /// it, not a new logical request).
    pub(super) fn repeating(&self, answer: &Answer) -> Self {
        let mut call = self.clone();
        call.key = answer.key.clone();
        call
    }

    /// The body of attempt number `attempt` (from 1): the same bytes every time, unless the
    /// client deliberately stamps the attempt number into a create's order reference.
    fn body_for(&self, attempt: u32, conduct: &Conduct) -> Option<Vec<u8>> {
        let body = self.body.as_ref()?;
        if attempt == 1 || !self.keyed || !conduct.has(Misbehaviour::ChangedBodyOnRetry) {
            return Some(body.clone());
        }
        let mut json: Value = serde_json::from_slice(body).ok()?;
        let field = ORDER_REFERENCES
            .into_iter()
            .find(|field| json.get(field).is_some_and(Value::is_string));
        if let Some(field) = field {
            let stamped = format!("{}-{attempt}", json[field].as_str().unwrap_or_default());
            json[field] = Value::String(stamped);
        }
        Some(json.to_string().into_bytes())
    }

    /// The path below the API base, unencoded, for messages and logs.
    pub(super) fn path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }

    /// `METHOD /path` for messages.
    pub(super) fn label(&self) -> String {
        format!("{} {}", self.method, self.path())
    }
}

/// A non-5xx answer to a logical request.
#[derive(Debug)]
pub(super) struct Answer {
    /// HTTP status.
    pub(super) status: u16,
    /// The body as JSON (`Null` when empty).
    pub(super) body: Value,
    /// Whether an earlier attempt timed out or lost its connection, so may have been processed.
    pub(super) uncertain_before: bool,
    label: String,
    key: Option<String>,
}

/// How a logical request ended.
#[derive(Debug)]
pub(super) enum Sent {
    /// A 2xx–4xx answer.
    Answered(Answer),
    /// Every attempt failed without a usable answer (timeouts, 5xx, broken connections), so the
    /// request may or may not have been processed; the message says how the last one ended.
    Lost(String),
}

impl Sent {
    /// The answer, or a failure saying the request went unanswered.
    pub(super) fn answer(self) -> Result<Answer, Failure> {
        match self {
            Sent::Answered(answer) => Ok(answer),
            Sent::Lost(message) => reported(message),
        }
    }
}

impl Answer {
    /// Whether this is a 409 with `code`.
    pub(super) fn is_conflict(&self, code: &str) -> bool {
        self.status == 409 && error_code(&self.body).as_deref() == Some(code)
    }

    /// The body of a 2xx answer, or a failure naming the call and the status.
    pub(super) fn success(self) -> Result<Value, Failure> {
        if (200..300).contains(&self.status) {
            Ok(self.body)
        } else {
            reported(format!(
                "{} answered {}",
                self.label,
                describe_status(self.status, &self.body)
            ))
        }
    }
}

/// The HTTP side of the reference client.
pub(super) struct Transport {
    http: reqwest::Client,
    api_base: Url,
    client_id: Option<HeaderValue>,
    vat: Option<HeaderValue>,
    version: Option<HeaderValue>,
    conduct: Conduct,
    keys: Keys,
    timing: Timing,
    tokens: TokenSource,
}

/// Where idempotency keys come from: GUIDs, or (the 2020-certified style) a counter.
#[derive(Debug)]
enum Keys {
    /// A random GUID per logical request.
    Guid,
    /// Decimal numbers counting up from the one held.
    Counter(u128),
}

impl Keys {
    /// Keys for `style`; a counter starts at the current Unix time in milliseconds, so keys stay
    /// unique across client instances.
    fn for_style(style: Style) -> Self {
        match style {
            Style::Documented => Keys::Guid,
            Style::Certified2020 => Keys::Counter(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |since| since.as_millis()),
            ),
        }
    }

    /// A fresh key for a new logical request.
    fn next(&mut self) -> String {
        match self {
            Keys::Guid => uuid::Uuid::new_v4().to_string(),
            Keys::Counter(next) => {
                *next += 1;
                next.to_string()
            }
        }
    }
}

/// A header value from configuration, or a protocol error naming the setting.
fn header_value(setting: &str, value: &str) -> Result<HeaderValue, AdapterError> {
    HeaderValue::from_str(value).map_err(|_| {
        AdapterError::Protocol(format!(
            "the {setting} {value:?} cannot be sent as a header"
        ))
    })
}

/// An `http://` base URL (mpcert is built without TLS).
fn http_base(text: &str) -> Result<Url, AdapterError> {
    let unreachable = |reason: String| AdapterError::Unreachable {
        url: text.to_string(),
        reason,
    };
    let url = Url::parse(text).map_err(|e| unreachable(format!("not a valid URL: {e}")))?;
    if url.scheme() != "http" {
        return Err(unreachable(
            "only http:// URLs are supported (built without TLS)".into(),
        ));
    }
    Ok(url)
}

impl Transport {
    /// Validates the configuration and builds the HTTP client.
    pub(super) fn new(config: ReferenceConfig) -> Result<Self, AdapterError> {
        let api_base = http_base(config.connection.api_base_url.trim_end_matches('/'))?;
        http_base(&config.connection.auth_url)?;
        // The service is always addressed directly (embedded, `mpcert serve`, or mpcert's own
        // recording proxy); a CI runner's HTTP_PROXY must not reroute or record these calls.
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AdapterError::Protocol(format!("cannot build the HTTP client: {e}")))?;
        let conduct = config.conduct;
        let connection = &config.connection;
        let unless = |misbehaviour: Misbehaviour| !conduct.has(misbehaviour);
        let version = unless(Misbehaviour::OmitVersionHeader)
            .then(|| header_value("client version", &connection.client_version))
            .transpose()?;
        let client_id = unless(Misbehaviour::OmitClientId)
            .then(|| header_value("client id", &connection.client_id))
            .transpose()?;
        let vat_sent = unless(Misbehaviour::OmitMerchantVat);
        // The 2020-certified client named the merchant only in the token's claim.
        let vat_claim = (vat_sent && conduct.style == Style::Certified2020)
            .then_some(connection.merchant_vat.as_str());
        let vat = (vat_sent && vat_claim.is_none())
            .then(|| header_value("merchant VAT number", &connection.merchant_vat))
            .transpose()?;
        Ok(Transport {
            http,
            api_base,
            client_id,
            vat,
            version,
            conduct,
            keys: Keys::for_style(conduct.style),
            timing: Timing::new(connection.time_scale, &conduct),
            tokens: TokenSource::new(
                &connection.auth_url,
                &connection.client_id,
                &connection.client_secret,
                vat_claim,
            )?,
        })
    }

    /// The client's time rules.
    pub(super) fn timing(&self) -> Timing {
        self.timing
    }

    /// Sends a logical request, retrying network faults, timeouts and 5xx with the same key and
    /// body; returns the first 2xx–4xx answer, or a failure when there was none.
    pub(super) async fn call(&mut self, call: &Call) -> Result<Answer, Failure> {
        self.send(call).await?.answer()
    }

    /// As [`Transport::call`], but tells an unanswered request apart from other failures.
    pub(super) async fn send(&mut self, call: &Call) -> Result<Sent, Failure> {
        let mut key = match &call.key {
            Some(key) => Some(key.clone()),
            None => call.keyed.then(|| self.keys.next()),
        };
        let attempts = self.timing.attempts();
        let mut last = String::new();
        let mut connect_failures = 0;
        let mut uncertain = false;
        for attempt in 1..=attempts {
            let outcome = self.attempt(call, key.as_deref(), attempt).await?;
            match &outcome {
                Attempt::Answered { status, body } if *status < 500 => {
                    return Ok(Sent::Answered(Answer {
                        status: *status,
                        body: parse_body(body),
                        uncertain_before: uncertain,
                        label: call.label(),
                        key,
                    }));
                }
                Attempt::Answered { .. } => {}
                Attempt::TimedOut(_) | Attempt::Network(_) => uncertain = true,
                Attempt::Connect(_) => connect_failures += 1,
            }
            last = outcome.describe();
            if attempt < attempts {
                tokio::time::sleep(self.timing.retry_delay(attempt)).await;
                if self.conduct.has(Misbehaviour::FreshKeyOnRetry) && key.is_some() {
                    key = Some(self.keys.next());
                }
            }
        }
        if connect_failures == attempts {
            return Err(self.unreachable(call, last).into());
        }
        Ok(Sent::Lost(format!(
            "{} failed after {attempts} attempts: {last}",
            call.label()
        )))
    }

    /// Sends a single attempt (a poll); the caller decides what a failed attempt means.
    pub(super) async fn once(&mut self, call: &Call) -> Result<Attempt, Failure> {
        self.attempt(call, None, 1).await
    }

    /// The error for a target that refused every connection.
    pub(super) fn unreachable(&self, call: &Call, reason: String) -> AdapterError {
        AdapterError::Unreachable {
            url: self.url(call).to_string(),
            reason,
        }
    }

    /// One attempt; a 401 fetches a fresh token and repeats it once.
    async fn attempt(
        &mut self,
        call: &Call,
        key: Option<&str>,
        attempt: u32,
    ) -> Result<Attempt, Failure> {
        let mut refreshed = false;
        loop {
            let token = self.tokens.bearer(&self.http, self.timing).await?;
            let request = self.request(call, key, attempt, &token)?;
            let outcome = send_attempt(request, self.timing.timeout_for(&call.method)).await;
            tracing::debug!(method = %call.method, path = %call.path(), status = ?outcome.status(), attempt, "pos call");
            if outcome.status() == Some(401) && !refreshed {
                refreshed = true;
                self.tokens.invalidate();
                continue;
            }
            return Ok(outcome);
        }
    }

    /// The request of one attempt, with every mandated header.
    fn request(
        &self,
        call: &Call,
        key: Option<&str>,
        attempt: u32,
        token: &Secret,
    ) -> Result<RequestBuilder, Failure> {
        let mut bearer =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                Failure::Reported(
                    "the token endpoint issued a token that cannot be sent in a header".into(),
                )
            })?;
        bearer.set_sensitive(true);
        let mut request = self
            .http
            .request(call.method.clone(), self.url(call))
            .header(AUTHORIZATION, bearer);
        let optional = [
            (VAT_HEADER, &self.vat),
            (CLIENT_ID_HEADER, &self.client_id),
            (VERSION_HEADER, &self.version),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                request = request.header(name, value.clone());
            }
        }
        if let Some(key) = key {
            request = request.header(IDEMPOTENCY_HEADER, key);
        }
        if let Some(body) = call.body_for(attempt, &self.conduct) {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        Ok(request)
    }

    /// The full URL of a call; path segments and query values are percent-encoded.
    fn url(&self, call: &Call) -> Url {
        let mut url = self.api_base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(&call.segments);
        }
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        url
    }
}
