//! Step expectations: what the catalogue says each step must achieve. A step must succeed, its
//! result fields must equal (or be present as) the catalogue says, each named endpoint must be
//! called exactly as often as said during the step, and the seeded payment must end in the
//! said state.

use std::collections::BTreeMap;

use crate::catalogue::Step;
use crate::pos::Endpoint;
use crate::report::{Finding, StepOutcome, StepReport};

use super::CaseEvidence;

/// Rule id: the operation succeeded.
pub const STEP_SUCCEEDED: &str = "step-succeeded";
/// Rule id: the result matches the expectation.
pub const STEP_RESULT: &str = "step-result";
/// Rule id: each endpoint was called as often as expected.
pub const STEP_CALLS: &str = "step-calls";
/// Rule id: the service-side state matches the expectation.
pub const SERVER_STATE: &str = "server-state";

fn step_finding(rule: &str, report: &StepReport, message: String) -> Finding {
    Finding {
        rule: rule.to_string(),
        step: Some(report.index),
        exchange: None,
        message: format!("step {} ({}): {message}", report.index + 1, report.op),
    }
}

/// Checks every step that ran against its expectations.
pub fn check_steps(evidence: &CaseEvidence<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, report) in evidence.steps.iter().enumerate() {
        let Some(step) = evidence.case.steps.get(index) else {
            continue;
        };
        match &report.outcome {
            StepOutcome::NotRun => continue,
            StepOutcome::Failed { message } => findings.push(step_finding(
                STEP_SUCCEEDED,
                report,
                format!("the client reported failure: {message}"),
            )),
            StepOutcome::Ok { result } => findings.extend(check_result(step, report, result)),
        }
        findings.extend(check_calls(evidence, step, report));
        if let (Some(expected), Some(observation)) =
            (step.expect.seeded_payment, evidence.observations.get(index))
        {
            if observation.seeded_payment != Some(expected) {
                let actual = observation
                    .seeded_payment
                    .map_or("missing".to_string(), |s| s.to_string());
                findings.push(step_finding(
                    SERVER_STATE,
                    report,
                    format!(
                        "the payment that was already active should be {expected}, but is {actual}"
                    ),
                ));
            }
        }
    }
    findings
}

fn check_result(
    step: &Step,
    report: &StepReport,
    result: &serde_json::Map<String, serde_json::Value>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (field, expected) in &step.expect.result {
        match result.get(field) {
            Some(actual) if values_equal(actual, expected) => {}
            Some(actual) => findings.push(step_finding(
                STEP_RESULT,
                report,
                format!("result `{field}` is {actual}, expected {expected}"),
            )),
            None => findings.push(step_finding(
                STEP_RESULT,
                report,
                format!("result `{field}` is missing, expected {expected}"),
            )),
        }
    }
    for field in &step.expect.present {
        if result.get(field).is_none_or(serde_json::Value::is_null) {
            findings.push(step_finding(
                STEP_RESULT,
                report,
                format!("result `{field}` is missing"),
            ));
        }
    }
    findings
}

/// Numbers compare by value (100 equals 100.0); everything else structurally.
fn values_equal(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        _ => actual == expected,
    }
}

fn check_calls(evidence: &CaseEvidence<'_>, step: &Step, report: &StepReport) -> Vec<Finding> {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for exchange in evidence
        .exchanges
        .iter()
        .filter(|e| e.step == Some(report.index))
    {
        if let Some(endpoint) = exchange.endpoint.as_deref() {
            *counts.entry(endpoint).or_default() += 1;
        }
    }
    step.expect
        .calls
        .iter()
        .filter_map(|(label, expected)| {
            let canonical = Endpoint::parse(label).map_or(label.clone(), |e| e.to_string());
            let actual = counts.get(canonical.as_str()).copied().unwrap_or(0);
            (actual != *expected).then(|| {
                step_finding(
                    STEP_CALLS,
                    report,
                    format!("expected {expected} call(s) to {canonical}, saw {actual}"),
                )
            })
        })
        .collect()
}
