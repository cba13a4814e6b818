//! A PoS v10 session over HTTP for tests that drive the API themselves: an embedded service on
//! 127.0.0.1:0, a session running a small uploaded catalogue whose case has a customer who
//! accepts every payment at once, the session's credentials for the reference client, and raw
//! PoS calls carrying the mandated headers.

use std::net::{Ipv4Addr, SocketAddr};

use mpcert::client::Connection;
use mpcert::secret::Secret;
use mpcert::service::wire::SessionCreated;
use mpcert::service::{RunningService, ServiceOptions};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::FAST;

/// The version the session certifies.
const VERSION: &str = "2.1.0";

/// The uploaded catalogue: one mandatory case whose customer reserves every payment.
const CATALOGUE: &str = r#"
category:
  id: onboarding
  title: Onboarding
  summary: A point of sale and a customer who accepts every payment.
  mandatory: true
cases:
  - id: accepting-customer
    title: Accepting customer
    summary: Every payment the client starts is reserved on its first poll.
    evidence: inferred
    backend:
      customer:
        payment: [Reserved]
    steps:
      - do: create_pos
        title: Create the PoS
        with:
          merchantBrandId: MPPOSCERT1
          merchantLocationId: "00001"
          merchantPosId: "till-{{unique}}"
          name: mpcert till
        expect:
          present: [posId]
"#;

/// The case the session arms.
const CASE: &str = "onboarding/accepting-customer";

/// One answer of the PoS API: its status and JSON body, if any.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, when there is one.
    pub body: Option<Value>,
}

impl Answer {
    /// A string field of the body.
    pub fn text(&self, field: &str) -> String {
        self.body
            .as_ref()
            .and_then(|b| b[field].as_str())
            .unwrap_or_else(|| panic!("no `{field}` in {self:?}"))
            .to_string()
    }
}

/// A started service with one session whose case is armed, and an access token for it.
pub struct PosSession {
    /// The running service.
    pub service: RunningService,
    /// What creating the session answered.
    pub created: SessionCreated,
    http: reqwest::Client,
    access_token: String,
}

impl PosSession {
    /// Starts a service, opens a session of the uploaded catalogue, arms its case and fetches
    /// an access token.
    pub async fn open() -> PosSession {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let service = mpcert::service::start(addr, ServiceOptions::new(FAST))
            .await
            .unwrap_or_else(|e| panic!("start: {e}"));
        let http = reqwest::Client::new();
        let sessions = format!("{}/certification/v1/sessions", service.url());
        let request = json!({
            "clientName": "Acme POS",
            "clientVersion": VERSION,
            "adapter": { "kind": "exec", "commandDigest": "ab".repeat(32) },
            "catalogue": { "custom": { "files": [
                { "name": "cases/onboarding.yaml", "text": CATALOGUE }
            ] } },
            "cases": [CASE],
        });
        let response = http.post(&sessions).json(&request).send().await;
        let response = response.unwrap_or_else(|e| panic!("create session: {e}"));
        assert_eq!(response.status().as_u16(), 201, "session not created");
        let created: SessionCreated = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("session answer: {e}"));
        let start = format!("{sessions}/{}/cases/{CASE}/start", created.session_id);
        let response = http
            .post(&start)
            .bearer_auth(&created.session_token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("start case: {e}"));
        assert_eq!(response.status().as_u16(), 200, "case not started");
        let token: Value = http
            .post(format!("{}{}", service.url(), created.token_path))
            .basic_auth(&created.client_id, Some(&created.client_secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap_or_else(|e| panic!("token: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("token answer: {e}"));
        let access_token = token["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token in {token}"))
            .to_string();
        PosSession {
            service,
            created,
            http,
            access_token,
        }
    }

    /// Where and as whom the reference client connects.
    pub fn connection(&self) -> Connection {
        let url = self.service.url();
        Connection {
            api_base_url: format!("{url}{}", self.created.api_base_path),
            auth_url: format!(
                "{url}{}",
                self.created.token_path.trim_end_matches("/connect/token")
            ),
            client_id: self.created.client_id.clone(),
            client_secret: Secret::new(self.created.client_secret.clone()),
            merchant_vat: self.created.merchant_vat.clone(),
            client_version: VERSION.to_string(),
            time_scale: self.created.time_scale,
        }
    }

    /// One PoS call of `method` on `path` (below the API base, query included), with an
    /// idempotency key and a JSON body when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let url = format!("{}{}{path}", self.service.url(), self.created.api_base_path);
        let mut request = self
            .http
            .request(method, &url)
            .bearer_auth(&self.access_token)
            .header("x-mobilepay-client-system-version", VERSION)
            .header(
                "x-mobilepay-merchant-vat-number",
                &self.created.merchant_vat,
            );
        if let Some(key) = key {
            request = request.header("x-mobilepay-idempotency-key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = (!text.is_empty())
            .then(|| serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}")));
        Answer { status, body }
    }

    /// Creates a PoS, pays `amount` DKK on it, polls the payment until the customer has
    /// reserved it and captures it; returns the payment id.
    pub async fn captured_payment(&self, amount: f64) -> String {
        let pos = self
            .call(
                Method::POST,
                "/pointofsales",
                Some(&uuid::Uuid::new_v4().to_string()),
                Some(&json!({
                    "merchantPosId": uuid::Uuid::new_v4().to_string(),
                    "storeId": mpcert::pos::constants::CERT_STORE_ID,
                    "name": "Till 7",
                    "supportedBeaconTypes": ["QR"],
                })),
            )
            .await;
        assert_eq!(pos.status, 200, "{pos:?}");
        let payment = self
            .call(
                Method::POST,
                "/payments",
                Some(&uuid::Uuid::new_v4().to_string()),
                Some(&json!({
                    "posId": pos.text("posId"),
                    "orderId": "order-1",
                    "amount": amount,
                    "currencyCode": "DKK",
                    "plannedCaptureDelay": "None",
                })),
            )
            .await;
        let payment_id = payment.text("paymentId");
        let polled = self
            .call(Method::GET, &format!("/payments/{payment_id}"), None, None)
            .await;
        assert_eq!(polled.text("status"), "Reserved", "{polled:?}");
        let path = format!("/payments/{payment_id}/capture");
        let captured = self
            .call(
                Method::POST,
                &path,
                None,
                Some(&json!({ "amount": amount })),
            )
            .await;
        assert_eq!(captured.status, 200, "{captured:?}");
        payment_id
    }
}
