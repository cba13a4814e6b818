//! The exec adapter end to end with a shim client: the requests mpcert writes and the
//! environment it passes; unknown response fields kept in the report; the secret in no report;
//! and every way a client can break — exiting at once, hanging, writing garbage, answering
//! another request, crashing in the middle of a case, flooding its log — makes the affected case
//! an `Error` that says why and shows the client's log, while the other cases still run on a
//! client started afresh, the run exits 3, and no process of the client survives.

use std::time::Duration;

use mpcert::client::protocol::{PROTOCOL_VERSION, Request};
use mpcert::report::{CaseReport, Verdict};
use serde_json::Value;

use crate::shim::{Shim, assert_none_survives};
use crate::support::{case, run};

fn reason(case: &CaseReport) -> &str {
    match &case.verdict {
        Verdict::Error { reason } => reason,
        other => panic!("{} is {other:?}, not an error", case.id),
    }
}

fn judged(case: &CaseReport) {
    assert!(
        matches!(case.verdict, Verdict::Passed | Verdict::Failed { .. }),
        "{} was not judged: {:?}",
        case.id,
        case.verdict
    );
}

/// Runs the shim in `mode` and checks what every broken client has in common: the second case
/// is an error whose reason contains `expected`, the first and third cases are judged (the third
/// on a client started afresh), the run exits 3, and no process survives. Returns the second
/// case.
async fn broken(mode: &str, timeout: Option<Duration>, expected: &str) -> CaseReport {
    let shim = Shim::new(mode);
    let mut config = shim.config();
    config.operation_timeout = timeout;
    let outcome = run(config).await;
    let report = &outcome.report;
    judged(case(report, "plumbing/first"));
    judged(case(report, "plumbing/third"));
    let second = case(report, "plumbing/second").clone();
    assert!(reason(&second).contains(expected), "{}", reason(&second));
    assert_eq!(outcome.exit_code(), 3);
    assert_eq!(
        shim.lines("starts").len(),
        2,
        "started afresh after the broken case"
    );
    let requests = shim.lines("stdin");
    assert_eq!(requests.len(), 4, "{requests:?}");
    assert_none_survives(&shim.path("pids"));
    second
}

#[tokio::test]
async fn the_requests_and_environment_are_the_documented_ones() {
    let shim = Shim::new("echo");
    let outcome = run(shim.config()).await;
    assert_eq!(outcome.exit_code(), 1, "judged: the shim makes no calls");
    let requests: Vec<Request> = (shim.lines("stdin").iter())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    let ops: Vec<(u64, &str, &Value)> = (requests.iter())
        .map(|r| (r.id, r.op.as_str(), &r.params["posId"]))
        .collect();
    assert_eq!(
        ops,
        [
            (1, "delete_pos", &"first".into()),
            (2, "delete_pos", &"second-setup".into()),
            (3, "delete_pos", &"second".into()),
            (4, "delete_pos", &"third".into()),
        ]
    );
    assert_eq!(
        shim.lines("stdin")[0],
        r#"{"id":1,"op":"delete_pos","params":{"posId":"first"}}"#
    );
    let env: serde_json::Map<String, Value> =
        serde_json::from_str(&crate::support::read(&shim.path("env.json")))
            .unwrap_or_else(|e| panic!("env.json: {e}"));
    let var = |name: &str| env.get(name).and_then(Value::as_str).unwrap_or_default();
    assert_eq!(var("MPCERT_PROTOCOL"), PROTOCOL_VERSION.to_string());
    assert!(var("MPCERT_API_BASE_URL").starts_with("http://127.0.0.1:"));
    assert!(var("MPCERT_API_BASE_URL").ends_with("/pos/v10"));
    assert!(var("MPCERT_AUTH_URL").ends_with("/integrator-authentication"));
    assert!(!var("MPCERT_CLIENT_ID").is_empty());
    assert_eq!(var("MPCERT_MERCHANT_VAT"), "DK90000028");
    assert_eq!(var("MPCERT_TIME_SCALE"), "0.01");
    assert!(
        !env.contains_key("MPCERT_SERVICE_TOKEN"),
        "the operator token is mpcert's own"
    );
    let secret = var("MPCERT_CLIENT_SECRET");
    assert!(secret.len() >= 16, "{secret}");
    assert!(!shim.lines("stdin").concat().contains(secret));
    assert!(!crate::support::read(&shim.path("argv.json")).contains(secret));

    let first = case(&outcome.report, "plumbing/first");
    let step = &first.steps[0];
    assert_eq!(
        Value::Object(step.unknown_fields.clone()),
        serde_json::json!({"trace": {"spanId": "span-1"}}),
        "unknown response fields are kept in the report"
    );
    let log = first.client_log.as_deref().unwrap_or_default();
    assert!(
        log.contains("shim started\nperforming delete_pos as <redacted>\n"),
        "{log}"
    );
    let json = mpcert::report::json::to_json(&outcome.report).unwrap_or_else(|e| panic!("{e}"));
    let json = String::from_utf8_lossy(&json);
    assert!(json.contains("\"note\": \"secret <redacted>\""), "{json}");
    let junit = mpcert::report::junit::render(&outcome.report);
    let console = mpcert::report::console::render(&outcome.report, Default::default());
    for (name, text) in [
        ("json", json.to_string()),
        ("junit", String::from_utf8_lossy(&junit).to_string()),
        ("console", console),
    ] {
        assert!(!text.contains(secret), "the secret is in the {name} report");
    }
    assert_none_survives(&shim.path("pids"));
}

#[tokio::test]
async fn a_client_that_exits_at_once_errors_every_case_and_is_started_for_each() {
    let shim = Shim::new("exit-at-once");
    let outcome = run(shim.config()).await;
    for id in ["plumbing/first", "plumbing/second", "plumbing/third"] {
        let case = case(&outcome.report, id);
        assert_eq!(
            reason(case),
            "the client broke the driver protocol: the client exited during `delete_pos` without answering (exit status 3)"
        );
        let log = case.client_log.as_deref().unwrap_or_default();
        assert!(log.ends_with("cannot start: no configuration\n"), "{log}");
    }
    assert_eq!(shim.lines("starts").len(), 3, "started once per case");
    assert_eq!(outcome.exit_code(), 3);
    assert_none_survives(&shim.path("pids"));
}

#[tokio::test]
async fn a_client_that_hangs_is_stopped_with_its_children_after_the_operation_timeout() {
    let second = broken(
        "hang",
        Some(Duration::from_secs(3)),
        "the client did not finish step 2 (delete_pos) within 3 s",
    )
    .await;
    assert_eq!(second.steps[0].outcome.clone(), ok_empty());
}

#[tokio::test]
async fn a_client_that_writes_garbage_errors_its_case() {
    broken(
        "garbage",
        None,
        "the client wrote a line that is not a protocol response (expected value at line 1 column 1): Traceback: something went wrong",
    )
    .await;
}

#[tokio::test]
async fn a_client_that_answers_another_request_errors_its_case() {
    broken(
        "wrong-id",
        None,
        "the client answered request 103 while request 3 was waiting",
    )
    .await;
}

#[tokio::test]
async fn a_client_that_crashes_in_the_middle_of_a_case_errors_it_and_shows_its_log() {
    let second = broken(
        "crash",
        None,
        "exited during `delete_pos` without answering",
    )
    .await;
    let log = second.client_log.as_deref().unwrap_or_default();
    assert!(log.contains("about to crash\n"), "{log}");
}

#[tokio::test]
async fn a_client_that_floods_its_log_costs_a_bounded_tail() {
    let second = broken(
        "flood",
        None,
        "the client exited during `delete_pos` without answering (exit status 1)",
    )
    .await;
    let log = second.client_log.as_deref().unwrap_or_default();
    assert!(log.starts_with('['), "{}", &log[..log.len().min(200)]);
    assert!(log.contains(" earlier lines not kept]\n"));
    assert!(log.ends_with("flood line 199999\nlast words\n"), "{log}");
    assert!(log.len() <= 9 * 1024, "{}", log.len());
}

fn ok_empty() -> mpcert::report::StepOutcome {
    mpcert::report::StepOutcome::Ok {
        result: serde_json::Map::new(),
    }
}
