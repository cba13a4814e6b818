//! The session API refuses what it cannot honour, with a status and a message that say why.

use std::net::{Ipv4Addr, SocketAddr};

use serde_json::{Value, json};

async fn service() -> mpcert::service::RunningService {
    mpcert::service::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), 0.01)
        .await
        .unwrap_or_else(|e| panic!("start: {e}"))
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap_or_else(|e| panic!("send: {e}"));
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn session_request(version: &str) -> Value {
    json!({
        "clientName": "till",
        "clientVersion": version,
        "categories": [],
        "cases": []
    })
}

#[tokio::test]
async fn bad_session_calls_are_refused_with_reasons() {
    let service = service().await;
    let http = reqwest::Client::new();
    let sessions = format!("{}/certification/v1/sessions", service.url());

    let (status, body) = send(http.post(&sessions).json(&session_request("2.1"))).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("Major.Minor.Build"),
        "{body}"
    );

    let (status, body) = send(http.post(&sessions).json(&json!({"clientName": "till"}))).await;
    assert_eq!(status, 400, "{body}");

    let (status, _) = send(http.get(format!("{sessions}/no-such-session"))).await;
    assert_eq!(status, 404);

    let (status, created) = send(http.post(&sessions).json(&session_request("2.1.0"))).await;
    assert_eq!(status, 201);
    let id = created["sessionId"].as_str().unwrap_or_default();
    let session = format!("{sessions}/{id}");

    let (status, body) = send(
        http.post(format!("{session}/cases/payments/nope/start"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("not selected"),
        "{body}"
    );

    let (status, body) = send(
        http.post(format!("{session}/finish"))
            .json(&json!({"unjudged": {"kind": "passed"}})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("judges"),
        "{body}"
    );

    let (status, body) = send(http.get(format!("{session}/certificate"))).await;
    assert_eq!(status, 409);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("not certified"),
        "{body}"
    );

    service.stop().await;
}
