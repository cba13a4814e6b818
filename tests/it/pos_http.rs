//! A PoS v10 session over HTTP for tests that drive the API themselves, built on the PoS client
//! of `pos_client`: a session running a small uploaded catalogue whose case has a customer who
//! accepts every payment at once, the session's credentials for the reference client, and raw
//! PoS calls (by method and path) carrying the mandated headers.

use mpcert::client::Connection;
use mpcert::secret::Secret;
use mpcert::service::RunningService;
use mpcert::service::wire::SessionCreated;
use reqwest::Method;
use serde_json::{Value, json};

use crate::pos_client::{Pos, VERSION, open, service};
use crate::support::FAST;

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

/// A started service with one session whose case is armed, and a PoS client of it.
pub struct PosSession {
    /// The running service.
    pub service: RunningService,
    /// What creating the session answered.
    pub created: SessionCreated,
    pos: Pos,
}

impl PosSession {
    /// Starts a service, opens a session of the uploaded catalogue, arms its case and fetches
    /// an access token.
    pub async fn open() -> PosSession {
        let service = service(FAST).await;
        let http = reqwest::Client::new();
        let request = json!({
            "clientName": "Acme POS",
            "clientVersion": VERSION,
            "adapter": { "kind": "exec", "commandDigest": "ab".repeat(32) },
            "catalogue": { "custom": { "files": [
                { "name": "cases/onboarding.yaml", "text": CATALOGUE }
            ] } },
            "cases": [CASE],
        });
        let opened = open(&http, &service, &request).await;
        opened.start(&http, CASE).await;
        let created: SessionCreated = serde_json::from_value(opened.created.clone())
            .unwrap_or_else(|e| panic!("session answer: {e}"));
        let pos = Pos::header(&service, &opened, &created.merchant_vat).await;
        PosSession {
            service,
            created,
            pos,
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
        let mut request = self.pos.request(method, path);
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
