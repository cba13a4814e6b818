//! The session API driven directly over HTTP, as an outsider would: it refuses what it cannot
//! honour with a status and a reason, it cannot be talked into a certificate that no client
//! earned, it admits only the holders of the right tokens, and it forgets idle sessions and
//! bounds what one case records.

use std::time::Duration;

use mpcert::service::RunningService;
use serde_json::{Value, json};

use crate::pos_client::{OPERATOR, service_expiring};

/// A service at time scale 0.01 that requires [`OPERATOR`] to create sessions.
async fn service() -> RunningService {
    crate::pos_client::service(0.01).await
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap_or_else(|e| panic!("send: {e}"));
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn message(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

fn onboarding_cases() -> Vec<String> {
    crate::pos_client::cases(&[])
}

/// A session request of client version `version` for `cases`.
fn session_request(version: &str, cases: &[String]) -> Value {
    let mut request = crate::pos_client::session_request(cases, None);
    request["clientVersion"] = json!(version);
    request
}

/// A session opened with the operator token: its URL, its token and the creation answer.
struct Opened {
    http: reqwest::Client,
    url: String,
    token: String,
    created: Value,
}

impl Opened {
    /// `POST {session}/{tail}` with the session's token.
    fn post(&self, tail: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/{tail}", self.url))
            .bearer_auth(&self.token)
    }

    /// `GET {session}/{tail}` with the session's token.
    fn get(&self, tail: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}/{tail}", self.url))
            .bearer_auth(&self.token)
    }

    /// Finishes the armed case, reporting `body`.
    async fn finish(&self, body: Value) -> (u16, Value) {
        send(self.post("finish").json(&body)).await
    }
}

async fn open(http: &reqwest::Client, service: &RunningService, request: &Value) -> Opened {
    let sessions = format!("{}/certification/v1/sessions", service.url());
    let (status, created) = send(http.post(&sessions).bearer_auth(OPERATOR).json(request)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["sessionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Opened {
        http: http.clone(),
        url: format!("{sessions}/{id}"),
        token: created["sessionToken"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        created,
    }
}

#[tokio::test]
async fn bad_session_requests_are_refused_with_reasons() {
    let service = service().await;
    let http = reqwest::Client::new();
    let sessions = format!("{}/certification/v1/sessions", service.url());
    let post = |body: Value| http.post(&sessions).bearer_auth(OPERATOR).json(&body);
    let cases = onboarding_cases();

    let (status, body) = send(post(session_request("2.1", &cases))).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("Major.Minor.Build"), "{body}");

    let (status, body) = send(post(json!({"clientName": "till"}))).await;
    assert_eq!(status, 400, "{body}");

    let mut wrong_digest = session_request("2.1.0", &cases);
    wrong_digest["catalogue"]["builtin"]["digest"] = json!("0".repeat(64));
    let (status, body) = send(post(wrong_digest)).await;
    assert_eq!(status, 409);
    assert!(message(&body).contains("built-in catalogue"), "{body}");

    let (status, body) = send(post(session_request(
        "2.1.0",
        &["payments/no-such-case".to_string()],
    )))
    .await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("not in the catalogue"), "{body}");

    let mut broken = session_request("2.1.0", &cases);
    broken["catalogue"] = json!({ "custom": { "files": [
        { "name": "cases/onboarding.yaml", "text": "category: [\n" }
    ] } });
    let (status, body) = send(post(broken)).await;
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("the uploaded catalogue is invalid")
            && message(&body).contains("cases/onboarding.yaml:"),
        "{body}"
    );

    let mut strict_case = cases.clone();
    strict_case.push("payments/payment-capture-retry".into());
    let (status, body) = send(post(session_request("2.1.0", &strict_case))).await;
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("not judged in the mobilepay profile"),
        "{body}"
    );
    let mut strict = session_request("2.1.0", &strict_case);
    strict["profile"] = json!("strict");
    let (status, body) = send(post(strict)).await;
    assert_eq!(status, 201, "{body}");

    let mut reference = session_request("3.4.0", &cases);
    reference["adapter"] = json!({ "kind": "reference" });
    let (status, body) = send(post(reference)).await;
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("certified only as `mpcert reference client`"),
        "{body}"
    );

    let (status, _) = send(
        http.get(format!("{sessions}/no-such-session"))
            .bearer_auth("x"),
    )
    .await;
    assert_eq!(status, 404);
    service.stop().await;
}

/// Finding 1: declaring categories without cases and finishing a case without running a step
/// earned a certificate for three categories.
#[tokio::test]
async fn a_case_finished_without_running_its_steps_earns_nothing() {
    let service = service().await;
    let http = reqwest::Client::new();
    let sessions = format!("{}/certification/v1/sessions", service.url());

    let exploit = json!({
        "clientName": "till",
        "clientVersion": "2.1.0",
        "categories": [
            { "id": "onboarding", "cases": ["onboarding/onboard-pos"] },
            { "id": "payments", "cases": [] },
            { "id": "refunds", "cases": [] }
        ],
        "cases": [ { "id": "onboarding/onboard-pos", "case": {} } ]
    });
    let (status, body) = send(http.post(&sessions).bearer_auth(OPERATOR).json(&exploit)).await;
    assert_eq!(
        status, 400,
        "the service takes no cases from the driver: {body}"
    );

    let (status, body) = send(
        http.post(&sessions)
            .bearer_auth(OPERATOR)
            .json(&session_request(
                "2.1.0",
                &["onboarding/onboard-pos".into()],
            )),
    )
    .await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("mandatory category"), "{body}");

    let session = open(
        &http,
        &service,
        &session_request("2.1.0", &onboarding_cases()),
    )
    .await;
    for case in onboarding_cases() {
        let (status, body) = send(session.post(&format!("cases/{case}/start"))).await;
        assert_eq!(status, 200, "{body}");
        let (status, record) = session.finish(json!({})).await;
        assert_eq!(status, 200, "{record}");
        assert_eq!(record["verdict"]["kind"], "error", "{record}");
        assert!(
            record["verdict"]["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("was never run and reported"),
            "{record}"
        );
    }
    let (status, body) = send(session.get("certificate")).await;
    assert_eq!(status, 409);
    assert!(message(&body).starts_with("not certified"), "{body}");
    service.stop().await;
}

/// Finding 2: starting a failed case again and finishing it again earned the certificate.
#[tokio::test]
async fn a_final_verdict_cannot_be_replaced_by_running_the_case_again() {
    let service = service().await;
    let http = reqwest::Client::new();
    let session = open(
        &http,
        &service,
        &session_request("2.1.0", &onboarding_cases()),
    )
    .await;
    let case = &onboarding_cases()[0];
    let start = || session.post(&format!("cases/{case}/start"));
    let (status, _) = send(start()).await;
    assert_eq!(status, 200);
    let (status, body) = send(start()).await;
    assert_eq!(status, 409, "one case at a time: {body}");
    assert!(message(&body).contains("in progress"), "{body}");
    let (status, _) = session
        .finish(json!({"unjudged": {"kind": "error", "reason": "the client crashed"}}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = send(start()).await;
    assert_eq!(status, 409);
    assert!(
        message(&body).contains("already has its final verdict (error)"),
        "{body}"
    );
    let (status, body) = session
        .finish(json!({"unjudged": {"kind": "passed"}}))
        .await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("judges"), "{body}");
    service.stop().await;
}

#[tokio::test]
async fn steps_must_be_reported_in_order_as_the_catalogue_has_them() {
    let service = service().await;
    let http = reqwest::Client::new();
    let session = open(
        &http,
        &service,
        &session_request("2.1.0", &onboarding_cases()),
    )
    .await;
    let case = &onboarding_cases()[0];
    let (status, body) = send(session.post("cases/payments/payment-complete/start")).await;
    assert_eq!(status, 409);
    assert!(message(&body).contains("was not selected"), "{body}");
    let (status, body) = send(session.post("steps/0/begin")).await;
    assert_eq!(status, 409);
    assert!(message(&body).contains("no case is in progress"), "{body}");
    send(session.post(&format!("cases/{case}/start"))).await;
    let (status, body) = send(session.post("steps/1/begin")).await;
    assert_eq!(status, 409);
    assert!(message(&body).contains("the next step"), "{body}");
    let (status, _) = send(session.post("steps/0/begin")).await;
    assert_eq!(status, 200);
    let lie = json!({
        "index": 0, "op": "delete_pos", "title": "t", "params": {},
        "outcome": {"kind": "ok", "result": {}}, "durationMs": 0.0
    });
    let (status, body) = send(session.post("steps/end").json(&lie)).await;
    assert_eq!(status, 409);
    assert!(
        message(&body).contains("step in progress is 0 (create_pos)"),
        "{body}"
    );
    service.stop().await;
}

/// Finding 6: the session id alone read or drove a session and handed out its client secret.
#[tokio::test]
async fn only_the_operator_creates_and_only_the_session_token_reads_a_session() {
    let service = service().await;
    let http = reqwest::Client::new();
    let sessions = format!("{}/certification/v1/sessions", service.url());
    let request = session_request("2.1.0", &onboarding_cases());

    let (status, body) = send(http.post(&sessions).json(&request)).await;
    assert_eq!(status, 401, "{body}");
    assert!(message(&body).contains("operator token"), "{body}");
    let (status, _) = send(http.post(&sessions).bearer_auth("guess").json(&request)).await;
    assert_eq!(status, 401);

    let mine = open(&http, &service, &request).await;
    let theirs = open(&http, &service, &request).await;
    let secret = mine.created["clientSecret"].as_str().unwrap_or_default();
    assert!(!secret.is_empty());
    assert_ne!(
        mine.token, secret,
        "the session token is not the client secret"
    );
    assert_ne!(mine.token, theirs.token);

    let (status, _) = send(http.get(&mine.url)).await;
    assert_eq!(status, 401, "no token");
    let (status, _) = send(http.get(&mine.url).bearer_auth(&theirs.token)).await;
    assert_eq!(status, 401, "another session's token");
    let (status, _) = send(http.get(&mine.url).bearer_auth(secret)).await;
    assert_eq!(status, 401, "the PoS client secret is not a session token");
    let (status, _) = send(
        http.post(format!(
            "{}/cases/{}/start",
            mine.url,
            onboarding_cases()[0]
        ))
        .bearer_auth(&theirs.token),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = send(
        http.get(format!("{}/certificate", mine.url))
            .bearer_auth(&theirs.token),
    )
    .await;
    assert_eq!(status, 401);

    let (status, summary) = send(http.get(&mine.url).bearer_auth(&mine.token)).await;
    assert_eq!(status, 200);
    assert!(
        !summary.to_string().contains(secret),
        "the summary leaks the secret"
    );
    assert!(!summary.to_string().contains(&mine.token));
    service.stop().await;
}

async fn pos_token(
    http: &reqwest::Client,
    service: &RunningService,
    created: &Value,
) -> (u16, String) {
    let id = created["clientId"].as_str().unwrap_or_default();
    let secret = created["clientSecret"].as_str().unwrap_or_default();
    let response = http
        .post(format!(
            "{}/integrator-authentication/connect/token",
            service.url()
        ))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("merchant_vat", "DK90000028"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("token: {e}"));
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

fn stores(
    http: &reqwest::Client,
    service: &RunningService,
    token: &str,
) -> reqwest::RequestBuilder {
    http.get(format!(
        "{}/pos/v10/stores?merchantBrandId=MPPOSCERT1&merchantLocationId=00001",
        service.url()
    ))
    .bearer_auth(token)
    .header("X-MobilePay-Client-System-Version", "2.1.0")
}

/// Finding 7: sessions, tokens and recordings were never evicted.
#[tokio::test]
async fn idle_sessions_expire_with_their_tokens() {
    let service = service_expiring(0.01, Duration::from_millis(100)).await;
    let http = reqwest::Client::new();
    let mut evictions = service.state().evictions();
    let session = open(
        &http,
        &service,
        &session_request("2.1.0", &onboarding_cases()),
    )
    .await;
    let (status, token) = pos_token(&http, &service, &session.created).await;
    assert_eq!(status, 200);
    let (status, _) = send(stores(&http, &service, &token)).await;
    assert_eq!(status, 200, "the token works while the session lives");
    assert_eq!(service.state().counts(), (1, 1));

    evictions
        .wait_for(|evicted| *evicted >= 1)
        .await
        .unwrap_or_else(|e| panic!("the service stopped: {e}"));

    assert_eq!(service.state().counts(), (0, 0));
    let (status, _) = send(stores(&http, &service, &token)).await;
    assert_eq!(status, 401, "the expired session's token is refused");
    let (status, _) = send(http.get(&session.url).bearer_auth(&session.token)).await;
    assert_eq!(status, 404, "the expired session is gone");
    let (status, _) = pos_token(&http, &service, &session.created).await;
    assert_eq!(status, 401, "its PoS credentials are gone too");
    service.stop().await;
}

/// Finding 8: a client polling in a tight loop grew the service without bound.
#[tokio::test]
async fn a_flooded_case_keeps_a_bounded_recording_and_fails() {
    let service = service().await;
    let http = reqwest::Client::new();
    let session = open(
        &http,
        &service,
        &session_request("2.1.0", &onboarding_cases()),
    )
    .await;
    let (_, token) = pos_token(&http, &service, &session.created).await;
    let case = &onboarding_cases()[0];
    send(session.post(&format!("cases/{case}/start"))).await;
    let limit = mpcert::service::recorder::MAX_CASE_EXCHANGES;
    for _ in 0..limit + 20 {
        let (status, _) = send(stores(&http, &service, &token)).await;
        assert_eq!(status, 200);
    }
    let (status, record) = session.finish(json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(record["exchanges"].as_array().map(Vec::len), Some(limit));
    assert_eq!(record["truncated"]["kept"], json!(limit));
    assert_eq!(record["truncated"]["dropped"], json!(20));
    let rules: Vec<&str> = record["verdict"]["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["rule"].as_str()).collect())
        .unwrap_or_default();
    assert!(rules.contains(&"call-volume-bounded"), "{rules:?}");
    service.stop().await;
}
