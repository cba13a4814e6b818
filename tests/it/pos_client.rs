//! A PoS v10 client for HTTP tests of the emulated API: starts a service, opens sessions (as
//! either certification merchant), fetches tokens, and sends calls — each answer checked against
//! the OpenAPI document, so no test can pass on an answer the document does not allow.

use std::net::{Ipv4Addr, SocketAddr};

use mpcert::pos::Endpoint;
use mpcert::secret::Secret;
use mpcert::service::{RunningService, ServiceOptions};
use serde_json::{Value, json};

use crate::openapi::{check_answer, spec};

/// The operator token of services started here.
pub const OPERATOR: &str = "operator-token-for-pos-tests";
/// The Danish certification merchant.
pub const DK: &str = "DK90000028";
/// The Finnish certification merchant.
pub const FI: &str = "FI90000040";
/// A valid VAT number of a merchant that is not a certification merchant.
pub const STRANGER: &str = "DK12345678";
/// The version every call declares.
pub const VERSION: &str = "2.1.0";

/// Starts a service at `scale` that requires [`OPERATOR`] to create sessions.
pub async fn service(scale: f64) -> RunningService {
    service_expiring(scale, mpcert::service::registry::DEFAULT_IDLE_EXPIRY).await
}

/// Starts a service at `scale` that requires [`OPERATOR`] and forgets sessions idle for `idle`.
pub async fn service_expiring(scale: f64, idle: std::time::Duration) -> RunningService {
    let mut options = ServiceOptions::new(scale);
    options.operator_token = Some(Secret::new(OPERATOR));
    options.idle_expiry = idle;
    mpcert::service::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), options)
        .await
        .unwrap_or_else(|e| panic!("start: {e}"))
}

/// The mandatory onboarding cases of the built-in catalogue, plus `extra` full case ids.
pub fn cases(extra: &[&str]) -> Vec<String> {
    let catalogue = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    let onboarding = catalogue
        .category("onboarding")
        .unwrap_or_else(|| panic!("no onboarding"));
    onboarding
        .cases
        .iter()
        .map(|c| format!("onboarding/{}", c.case.id))
        .chain(extra.iter().map(|id| (*id).to_string()))
        .collect()
}

/// An open session: its creation answer, its URL and its own token.
pub struct Opened {
    /// The creation answer.
    pub created: Value,
    /// `{service}/certification/v1/sessions/{id}`.
    pub url: String,
    /// The session token.
    pub token: String,
}

/// The body of a session request for `cases`, certifying as `merchant_vat` if given.
pub fn session_request(cases: &[String], merchant_vat: Option<&str>) -> Value {
    let digest = mpcert::catalogue::builtin::load()
        .unwrap_or_else(|e| panic!("{e}"))
        .digest;
    let mut request = json!({
        "clientName": "Acme POS",
        "clientVersion": VERSION,
        "adapter": { "kind": "exec", "commandDigest": "ab".repeat(32) },
        "catalogue": { "builtin": { "digest": digest } },
        "cases": cases,
    });
    if let Some(vat) = merchant_vat {
        request["merchantVat"] = json!(vat);
    }
    request
}

/// Opens a session with `request`, which must succeed.
pub async fn open(http: &reqwest::Client, service: &RunningService, request: &Value) -> Opened {
    let sessions = format!("{}/certification/v1/sessions", service.url());
    let response = http
        .post(&sessions)
        .bearer_auth(OPERATOR)
        .json(request)
        .send()
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.unwrap_or(Value::Null);
    let text = |field: &str| created[field].as_str().unwrap_or_default().to_string();
    Opened {
        url: format!("{sessions}/{}", text("sessionId")),
        token: text("sessionToken"),
        created,
    }
}

impl Opened {
    /// Starts case `case` (a full id) of the session.
    pub async fn start(&self, http: &reqwest::Client, case: &str) {
        let response = http
            .post(format!("{}/cases/{case}/start", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("start: {e}"));
        assert_eq!(response.status().as_u16(), 200, "start {case}");
    }
}

/// Fetches a token for the session's PoS credentials with an optional `merchant_vat` claim;
/// returns the token and the whole answer.
pub async fn token(
    http: &reqwest::Client,
    service: &RunningService,
    session: &Opened,
    claim: Option<&str>,
) -> (String, Value) {
    let id = session.created["clientId"].as_str().unwrap_or_default();
    let secret = session.created["clientSecret"].as_str().unwrap_or_default();
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(vat) = claim {
        form.push(("merchant_vat", vat));
    }
    let response = http
        .post(format!(
            "{}/integrator-authentication/connect/token",
            service.url()
        ))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("token: {e}"));
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    let token = answer["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (token, answer)
}

/// A PoS client acting for one merchant through the VAT header (its token has no claim), or
/// through its token's claim alone.
#[derive(Clone)]
pub struct Pos {
    http: reqwest::Client,
    base: String,
    token: String,
    vat_header: Option<String>,
    version: Option<String>,
    spec: std::sync::Arc<Value>,
}

impl Pos {
    /// A client of `session` acting for `vat` through the header, with a token without claim.
    pub async fn header(service: &RunningService, session: &Opened, vat: &str) -> Pos {
        let http = reqwest::Client::new();
        let (token, _) = token(&http, service, session, None).await;
        Pos {
            http,
            base: format!("{}/pos/v10", service.url()),
            token,
            vat_header: Some(vat.to_string()),
            version: Some(VERSION.to_string()),
            spec: std::sync::Arc::new(spec()),
        }
    }

    /// A client of `session` acting for `vat` through its token's claim, without the header.
    pub async fn claim(service: &RunningService, session: &Opened, vat: &str) -> Pos {
        let mut pos = Pos::header(service, session, vat).await;
        (pos.token, _) = token(&pos.http, service, session, Some(vat)).await;
        pos.vat_header = None;
        pos
    }

    /// The same client acting for `vat` through the header instead.
    pub fn acting_for(&self, vat: &str) -> Pos {
        Pos {
            vat_header: Some(vat.to_string()),
            ..self.clone()
        }
    }

    /// The same client sending no VAT header (with a token without claim: acting for nobody).
    pub fn without_vat(&self) -> Pos {
        Pos {
            vat_header: None,
            ..self.clone()
        }
    }

    /// The same client declaring `version` in the version header, or sending none.
    pub fn with_version(&self, version: Option<&str>) -> Pos {
        Pos {
            version: version.map(str::to_string),
            ..self.clone()
        }
    }

    /// A request to `path_and_query` (below `/pos/v10`) with the token, the version header and
    /// the VAT header; nothing else.
    pub fn request(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{path_and_query}", self.base))
            .bearer_auth(&self.token);
        if let Some(version) = &self.version {
            request = request.header("X-MobilePay-Client-System-Version", version);
        }
        match &self.vat_header {
            Some(vat) => request.header("X-MobilePay-Merchant-VAT-Number", vat),
            None => request,
        }
    }

    /// Sends `request` as a call of `endpoint` and checks the answer against the document.
    pub async fn exchange(
        &self,
        endpoint: Endpoint,
        request: reqwest::RequestBuilder,
    ) -> (u16, Value) {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = (!text.is_empty()).then(|| {
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|e| panic!("{endpoint} {status}: not JSON ({e}): {text}"))
        });
        if let Err(e) = check_answer(&self.spec, endpoint, status, body.as_ref()) {
            panic!("{e}: {text}");
        }
        (status, body.unwrap_or(Value::Null))
    }

    /// Calls `endpoint` with the id in its path, a query string and a JSON body; creating calls
    /// get a fresh idempotency key.
    pub async fn call(
        &self,
        endpoint: Endpoint,
        id: Option<&str>,
        query: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (method, template) = endpoint.route();
        let path = match (template.find('{'), template.find('}'), id) {
            (Some(open), Some(close), Some(id)) => {
                format!("{}{id}{}", &template[..open], &template[close + 1..])
            }
            _ => template.to_string(),
        };
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        let mut request = self.request(method, &format!("{path}{query}"));
        if endpoint.requires_idempotency_key() {
            request = request.header(
                "X-MobilePay-Idempotency-Key",
                uuid::Uuid::new_v4().to_string(),
            );
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.exchange(endpoint, request).await
    }

    /// Creates a PoS in `store_id` (beacon generated unless given); returns its id.
    pub async fn create_pos(
        &self,
        merchant_pos_id: &str,
        store_id: &str,
        beacon: Option<&str>,
    ) -> (u16, Value) {
        let body = json!({
            "merchantPosId": merchant_pos_id,
            "storeId": store_id,
            "name": "Till",
            "beaconId": beacon,
            "supportedBeaconTypes": ["QR"],
        });
        self.call(Endpoint::CreatePos, None, "", Some(&body)).await
    }

    /// Initiates a payment of `amount` in `currency` on `pos_id`.
    pub async fn initiate(&self, pos_id: &str, amount: f64, currency: &str) -> (u16, Value) {
        let body = json!({
            "posId": pos_id,
            "orderId": uuid::Uuid::new_v4().to_string(),
            "amount": amount,
            "currencyCode": currency,
            "plannedCaptureDelay": "None",
        });
        self.call(Endpoint::InitiatePayment, None, "", Some(&body))
            .await
    }
}

/// A string field of an answer, which must be there.
pub fn field(answer: &Value, name: &str) -> String {
    answer[name]
        .as_str()
        .unwrap_or_else(|| panic!("no `{name}` in {answer}"))
        .to_string()
}
