//! Prepared payments, the check-in and the sandbox's user simulation end to end: an integrator's
//! till driven by hand over HTTP against a started service (prepare, check in as a test user,
//! ready, accept, capture; initiate, check in, cancel as the customer), and the reference client
//! running prepared-payment cases from a catalogue against the embedded service.

use std::net::{Ipv4Addr, SocketAddr};

use mpcert::client::reference::Conduct;
use mpcert::exchange::Exchange;
use mpcert::report::Verdict;
use mpcert::service::{RunningService, ServiceOptions};
use serde_json::{Value, json};

use crate::support::{config, run};

/// The certified version every call declares.
const VERSION: &str = "2.1.0";
/// Test user 04: credit card and loyalty.
const LOYAL_USER: &str = "+4520031804";
/// Test user 01: credit card.
const PLAIN_USER: &str = "+4520031801";

/// A session on a started service, seen from an integrator's till.
pub struct Till {
    http: reqwest::Client,
    base: String,
    session_id: String,
    client_id: String,
    client_secret: String,
    token: String,
}

fn builtin_digest() -> String {
    mpcert::catalogue::builtin::load()
        .unwrap_or_else(|e| panic!("{e}"))
        .digest
}

async fn json_answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap_or_else(|e| panic!("send: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

impl Till {
    /// Opens a session the way `mpcert serve`'s README walkthrough does and gets a PoS token.
    pub async fn open(service: &RunningService) -> Till {
        let http = reqwest::Client::new();
        let base = service.url();
        let request = json!({
            "clientName": "Acme POS",
            "clientVersion": VERSION,
            "adapter": { "kind": "exec", "commandDigest": "ab".repeat(32) },
            "catalogue": { "builtin": { "digest": builtin_digest() } },
            "cases": ["onboarding/onboard-pos", "onboarding/offboard-pos", "onboarding/onboard-pos-final"],
        });
        let (status, created) = json_answer(
            http.post(format!("{base}/certification/v1/sessions"))
                .json(&request),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let text = |field: &str| created[field].as_str().unwrap_or_default().to_string();
        let (client_id, client_secret) = (text("clientId"), text("clientSecret"));
        let (status, granted) = json_answer(
            http.post(format!("{base}/integrator-authentication/connect/token"))
                .basic_auth(&client_id, Some(&client_secret))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("merchant_vat", "DK90000028"),
                ]),
        )
        .await;
        assert_eq!(status, 200, "{granted}");
        Till {
            token: granted["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            session_id: text("sessionId"),
            http,
            base,
            client_id,
            client_secret,
        }
    }

    fn pos(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/pos/v10{path}", self.base))
            .bearer_auth(&self.token)
            .header("X-MobilePay-Client-System-Version", VERSION)
            .header("x-ibm-client-id", &self.client_id)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        json_answer(self.pos(reqwest::Method::GET, path)).await
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        json_answer(self.pos(reqwest::Method::POST, path).json(body)).await
    }

    async fn post_without_body(&self, path: &str) -> (u16, Value) {
        json_answer(self.pos(reqwest::Method::POST, path)).await
    }

    async fn create(&self, path: &str, body: &Value) -> (u16, Value) {
        let key = uuid::Uuid::new_v4().to_string();
        json_answer(
            self.pos(reqwest::Method::POST, path)
                .header("X-MobilePay-Idempotency-Key", key)
                .json(body),
        )
        .await
    }

    /// A user-simulation call with the session's client credentials, or with `secret`.
    async fn simulate(&self, operation: &str, body: &Value, secret: Option<&str>) -> (u16, Value) {
        json_answer(
            self.http
                .post(format!("{}/pos/app/usersimulation/{operation}", self.base))
                .header("x-ibm-client-id", &self.client_id)
                .header("x-ibm-client-secret", secret.unwrap_or(&self.client_secret))
                .json(body),
        )
        .await
    }

    async fn status_of(&self, payment_id: &str) -> Value {
        let (status, payment) = self.get(&format!("/payments/{payment_id}")).await;
        assert_eq!(status, 200, "{payment}");
        payment
    }
}

fn id_of(answer: &(u16, Value), field: &str) -> String {
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1[field].as_str().unwrap_or_default().to_string()
}

fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["code"], code, "{}", answer.1);
    assert!(answer.1["message"].is_string(), "{}", answer.1);
    assert!(answer.1["correlationId"].is_string(), "{}", answer.1);
}

/// Plays a till and its customers by hand over HTTP and returns what the service recorded.
pub async fn drive_by_hand(service: &RunningService) -> Vec<Exchange> {
    let till = Till::open(service).await;
    let beacon = "c1f0a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
    let pos_id = id_of(
        &till
            .create(
                "/pointofsales",
                &json!({
                    "merchantPosId": "till-07",
                    "storeId": "9d0a9c45-1793-4e82-9410-b0ee6779ab60",
                    "name": "Till 7",
                    "beaconId": beacon,
                    "supportedBeaconTypes": ["QR"],
                    "requirePaymentBeforeCheckin": false,
                }),
            )
            .await,
        "posId",
    );
    let checkin = format!("/pointofsales/{pos_id}/checkin");
    let (status, nobody) = till.get(&checkin).await;
    assert_eq!(status, 200);
    assert_eq!(nobody["isUserCheckedIn"], false, "{nobody}");

    // The customer scans the QR code: a wrong secret is 401, an unknown beacon 500.
    let scan = json!({ "beaconId": beacon, "phoneNumber": LOYAL_USER });
    assert_eq!(
        till.simulate("checkin", &scan, Some("wrong")).await,
        (401, Value::Null)
    );
    let elsewhere = json!({ "beaconId": "123456789012345", "phoneNumber": LOYAL_USER });
    assert_eq!(
        till.simulate("checkin", &elsewhere, None).await,
        (500, Value::Null)
    );
    assert_eq!(
        till.simulate("checkin", &scan, None).await,
        (200, Value::Null)
    );
    let (status, checked_in) = till.get(&checkin).await;
    assert_eq!(status, 200);
    assert_eq!(checked_in["isUserCheckedIn"], true, "{checked_in}");
    assert_eq!(checked_in["loyaltyIds"], json!(["123456"]));

    // Prepared with a customer already there: Paired at once, with the customer's details.
    let prepare = json!({ "posId": pos_id, "orderId": "ORD-0043" });
    let payment_id = id_of(
        &till.create("/payments/prepare", &prepare).await,
        "paymentId",
    );
    let paired = till.status_of(&payment_id).await;
    assert_eq!(paired["status"], "Paired", "{paired}");
    assert_eq!(paired["amount"], Value::Null);
    assert_eq!(paired["customerToken"], checked_in["customerToken"]);
    assert_eq!(paired["loyaltyIds"], json!(["123456"]));
    assert_error(
        &till.create("/payments/prepare", &prepare).await,
        409,
        "1301",
    );

    let ready = format!("/payments/{payment_id}/ready");
    let amount = json!({
        "currencyCode": "DKK",
        "amount": 89.50,
        "restrictions": { "debitCardDisallowed": true, "creditCardDisallowed": false },
        "merchantPaymentLabel": "Shift A",
        "plannedCaptureDelay": "LessThan24Hours",
    });
    assert_error(&till.post(&ready, &json!({"amount": 1})).await, 400, "1099");
    assert_eq!(till.post(&ready, &amount).await, (200, Value::Null));
    assert_eq!(
        till.post(&ready, &amount).await,
        (200, Value::Null),
        "identical repeat"
    );
    let mut other = amount.clone();
    other["amount"] = json!(80);
    assert_error(&till.post(&ready, &other).await, 409, "1303");
    let issued = till.status_of(&payment_id).await;
    assert_eq!(issued["status"], "IssuedToUser", "{issued}");
    assert_eq!(issued["restrictions"], amount["restrictions"]);
    assert_eq!(issued["amount"], json!(89.5));

    // The customer accepts in the app; the till captures.
    assert_eq!(
        till.simulate("acceptpayment", &scan, None).await,
        (200, Value::Null)
    );
    let reserved = till.status_of(&payment_id).await;
    assert_eq!(reserved["status"], "Reserved", "{reserved}");
    assert_eq!(reserved["partialCapturePossible"], false);
    let capture = format!("/payments/{payment_id}/capture");
    assert_eq!(
        till.post(&capture, &json!({"amount": 89.50})).await,
        (200, Value::Null)
    );
    assert_eq!(till.status_of(&payment_id).await["status"], "Captured");
    let (status, gone) = till.get(&checkin).await;
    assert_eq!((status, &gone["isUserCheckedIn"]), (200, &json!(false)));

    // An initiated payment, issued when a customer checks in, cancelled by that customer.
    let initiate = json!({
        "posId": pos_id, "orderId": "ORD-0044", "amount": 25, "currencyCode": "DKK",
        "restrictions": null, "merchantPaymentLabel": null, "plannedCaptureDelay": "None",
    });
    let initiated = id_of(&till.create("/payments", &initiate).await, "paymentId");
    let user_cancel = json!({ "beaconId": beacon });
    assert_eq!(
        till.simulate("cancelpaymentbyuser", &user_cancel, None)
            .await,
        (500, Value::Null),
        "nobody has seen the payment yet"
    );
    let plain = json!({ "beaconId": beacon, "phoneNumber": PLAIN_USER });
    assert_eq!(
        till.simulate("checkin", &plain, None).await,
        (200, Value::Null)
    );
    assert_eq!(till.status_of(&initiated).await["status"], "IssuedToUser");
    assert_eq!(
        till.simulate("cancelpaymentbyuser", &user_cancel, None)
            .await,
        (200, Value::Null)
    );
    let cancelled = till.status_of(&initiated).await;
    assert_eq!(cancelled["status"], "CancelledByUser", "{cancelled}");
    assert_eq!(cancelled["loyaltyIds"], json!([]));

    // Ready before anyone checks in initiates the payment.
    let early = id_of(
        &till.create("/payments/prepare", &prepare).await,
        "paymentId",
    );
    assert_eq!(till.status_of(&early).await["status"], "Prepared");
    let early_ready = format!("/payments/{early}/ready");
    assert_eq!(till.post(&early_ready, &amount).await, (200, Value::Null));
    assert_eq!(till.status_of(&early).await["status"], "Initiated");
    let cancel = format!("/payments/{early}/cancel");
    assert_eq!(till.post_without_body(&cancel).await, (200, Value::Null));
    assert_error(&till.post(&early_ready, &other).await, 409, "1303");
    let (status, _) = till
        .get("/pointofsales/6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21/checkin")
        .await;
    assert_eq!(status, 404);

    let session = service
        .state()
        .session(&till.session_id)
        .unwrap_or_else(|| panic!("the session is gone"));
    let recorded = session.recording().all();
    let text = format!("{recorded:?}");
    assert!(!text.contains(&till.client_secret), "a secret was recorded");
    recorded
}

async fn start() -> RunningService {
    mpcert::service::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        ServiceOptions::new(0.01),
    )
    .await
    .unwrap_or_else(|e| panic!("start: {e}"))
}

#[tokio::test]
async fn a_till_and_its_customers_played_by_hand_over_http() {
    let service = start().await;
    let recorded = drive_by_hand(&service).await;
    let simulated: Vec<(&str, Option<u16>)> = recorded
        .iter()
        .filter(|e| e.path.starts_with("/pos/app/usersimulation/"))
        .map(|e| (e.path.as_str(), e.status))
        .collect();
    assert_eq!(simulated.len(), 7, "every user-simulation call is recorded");
    assert!(simulated.contains(&("/pos/app/usersimulation/acceptpayment", Some(200))));
    service.stop().await;
}

/// Runs the built-in prepared-payment cases (after onboarding) with the reference client and
/// returns every case's exchanges.
pub async fn run_prepared_cases() -> Vec<Exchange> {
    let mut config = config(Conduct::default(), None);
    config.categories = vec!["prepared-payments".to_string()];
    let outcome = run(config).await;
    let mut exchanges = Vec::new();
    for category in &outcome.report.categories {
        for case in &category.cases {
            if matches!(case.verdict, Verdict::Skipped { .. }) {
                continue;
            }
            assert_eq!(
                case.verdict,
                Verdict::Passed,
                "{}/{}: {:?}",
                category.id,
                case.id,
                case.verdict
            );
            exchanges.extend(case.exchanges.iter().cloned());
        }
    }
    assert_eq!(outcome.exit_code(), 0);
    exchanges
}

#[tokio::test]
async fn the_reference_client_prepares_and_readies_end_to_end() {
    let exchanges = run_prepared_cases().await;
    let readies = exchanges
        .iter()
        .filter(|e| e.endpoint.as_deref() == Some("POST /payments/{paymentid}/ready"))
        .count();
    assert_eq!(
        readies,
        [1, 0, 0, 1, 3].iter().sum::<usize>(),
        "one ready in each case that gets to it (not after the customer or the cashier \
         cancelled), three with retries"
    );
}
