//! The http adapter end to end: a driver-protocol server on loopback answers each POSTed
//! request, and misbehaves on the request for posId `second` (another status, a body that is not
//! a response, the answer to another request); that case is an `Error` saying why, the others are
//! judged, and the run exits 3. Every request carries the connection as headers. A client that
//! cannot be reached errors every case.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use mpcert::client::ClientSpec;
use mpcert::config::RunConfig;
use mpcert::report::{CaseReport, RunReport, Verdict};
use serde_json::{Value, json};

use crate::shim::Shim;
use crate::support::{case, run};

async fn answer(
    State(mode): State<&'static str>,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let told = header("mpcert-protocol") == Some("1")
        && header("mpcert-api-base-url").is_some_and(|url| url.ends_with("/pos/v10"))
        && header("mpcert-auth-url").is_some()
        && header("mpcert-client-id").is_some()
        && header("mpcert-client-secret").is_some()
        && header("mpcert-merchant-vat") == Some("DK90000028")
        && header("mpcert-time-scale") == Some("0.01");
    if !told {
        return (StatusCode::BAD_REQUEST, "connection headers missing").into_response();
    }
    let id = request["id"].as_u64().unwrap_or_default();
    if request["params"]["posId"] != "second" {
        return Json(json!({"id": id, "ok": true, "result": {}, "trace": "t"})).into_response();
    }
    match mode {
        "status" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "garbage" => "<html>driver down</html>".into_response(),
        _ => Json(json!({"id": id + 100, "ok": true, "result": {}})).into_response(),
    }
}

/// Serves the driver protocol on loopback, misbehaving as `mode` says; returns its URL.
async fn driver(mode: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let app = axum::Router::new()
        .route("/driver", axum::routing::post(answer))
        .with_state(mode);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/driver")
}

fn config(shim: &Shim, url: &str) -> RunConfig {
    let mut config = shim.config();
    config.client = ClientSpec::parse(&format!("http:{url}")).unwrap_or_else(|e| panic!("{e}"));
    config
}

fn reason<'a>(report: &'a RunReport, id: &str) -> &'a str {
    match &case(report, id).verdict {
        Verdict::Error { reason } => reason,
        other => panic!("{id} is {other:?}, not an error"),
    }
}

fn judged(case: &CaseReport) -> bool {
    matches!(case.verdict, Verdict::Passed | Verdict::Failed { .. })
}

#[tokio::test]
async fn a_broken_answer_errors_only_its_case() {
    let shim = Shim::new("unused");
    for (mode, expected) in [
        (
            "status",
            "the client answered `delete_pos` with HTTP 500 Internal Server Error instead of 200",
        ),
        (
            "garbage",
            "the client wrote a response body that is not a protocol response (expected value at line 1 column 1): <html>driver down</html>",
        ),
        (
            "wrong-id",
            "the client answered request 103 while request 3 was waiting",
        ),
    ] {
        let outcome = run(config(&shim, &driver(mode).await)).await;
        let report = &outcome.report;
        assert!(
            reason(report, "plumbing/second").ends_with(expected),
            "{mode}: {}",
            reason(report, "plumbing/second")
        );
        assert!(judged(case(report, "plumbing/first")) && judged(case(report, "plumbing/third")));
        let first = case(report, "plumbing/first");
        assert_eq!(
            first.steps[0].unknown_fields.get("trace"),
            Some(&json!("t"))
        );
        assert!(
            report.meta.client.starts_with("http (sha256 "),
            "{}",
            report.meta.client
        );
        assert_eq!(outcome.exit_code(), 3);
    }
}

#[tokio::test]
async fn a_client_that_cannot_be_reached_errors_every_case() {
    let shim = Shim::new("unused");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    drop(listener);
    let url = format!("http://{addr}/driver");
    let outcome = run(config(&shim, &url)).await;
    for id in ["plumbing/first", "plumbing/second", "plumbing/third"] {
        let reason = reason(&outcome.report, id);
        assert!(
            reason.starts_with(&format!(
                "the client is unavailable: cannot reach the client at {url}: "
            )),
            "{reason}"
        );
    }
    assert_eq!(outcome.exit_code(), 3);
}
