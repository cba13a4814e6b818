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
        message,
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
            (!expected.admits(actual)).then(|| {
                step_finding(
                    STEP_CALLS,
                    report,
                    format!("expected {expected} call(s) to {canonical}, saw {actual}"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalogue::Operation;
    use crate::catalogue::model::CallCount;
    use crate::judge::StepObservation;
    use crate::judge::fixtures::{Evidence, call, ok, report, rules_of, step};
    use crate::pos::PaymentStatus;

    /// A `pay` step expecting `result`, reported with `outcome`.
    fn judged_pay(expected: serde_json::Value, outcome: StepOutcome) -> Vec<Finding> {
        let mut pay = step(Operation::Pay);
        if let serde_json::Value::Object(fields) = expected {
            pay.expect.result = fields.into_iter().collect();
        }
        let evidence = Evidence::of(Vec::new())
            .with_steps(vec![pay], vec![report(0, Operation::Pay, outcome)]);
        check_steps(&evidence.get())
    }

    #[test]
    fn a_failed_step_is_a_finding_of_that_step() {
        let evidence = Evidence::of(Vec::new()).with_steps(
            vec![step(Operation::Pay), step(Operation::Capture)],
            vec![
                report(0, Operation::Pay, ok(json!({}))),
                report(
                    1,
                    Operation::Capture,
                    StepOutcome::Failed {
                        message: "timed out".to_string(),
                    },
                ),
            ],
        );
        let findings = check_steps(&evidence.get());
        assert_eq!(rules_of(&findings), vec![STEP_SUCCEEDED]);
        assert_eq!(findings[0].step, Some(1));
        assert_eq!(findings[0].exchange, None);
        assert_eq!(
            findings[0].message,
            "the client reported failure: timed out"
        );
    }

    #[test]
    fn a_step_that_did_not_run_is_not_judged() {
        let mut pay = step(Operation::Pay);
        pay.expect
            .calls
            .insert("POST /payments".to_string(), CallCount::Exactly(1));
        pay.expect.present = vec!["paymentId".to_string()];
        let evidence = Evidence::of(Vec::new()).with_steps(
            vec![pay],
            vec![report(0, Operation::Pay, StepOutcome::NotRun)],
        );
        assert_eq!(check_steps(&evidence.get()), Vec::new());
    }

    #[test]
    fn a_matching_result_is_clean() {
        let findings = judged_pay(
            json!({ "status": "Reserved", "partialCapturePossible": false }),
            ok(json!({ "status": "Reserved", "partialCapturePossible": false, "paymentId": "p" })),
        );
        assert_eq!(findings, Vec::new());
    }

    #[test]
    fn a_different_result_is_a_finding() {
        let findings = judged_pay(
            json!({ "status": "Reserved" }),
            ok(json!({ "status": "CancelledByUser" })),
        );
        assert_eq!(rules_of(&findings), vec![STEP_RESULT]);
        assert_eq!(
            findings[0].message,
            r#"result `status` is "CancelledByUser", expected "Reserved""#
        );
    }

    #[test]
    fn a_missing_result_field_is_a_finding() {
        let findings = judged_pay(json!({ "status": "Reserved" }), ok(json!({})));
        assert_eq!(rules_of(&findings), vec![STEP_RESULT]);
        assert!(
            findings[0]
                .message
                .contains("`status` is missing, expected"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        let equal = judged_pay(json!({ "amount": 100 }), ok(json!({ "amount": 100.0 })));
        assert_eq!(equal, Vec::new());
        let different = judged_pay(json!({ "amount": 100 }), ok(json!({ "amount": 100.01 })));
        assert_eq!(rules_of(&different), vec![STEP_RESULT]);
        let text = judged_pay(json!({ "amount": 100 }), ok(json!({ "amount": "100" })));
        assert_eq!(rules_of(&text), vec![STEP_RESULT]);
    }

    #[test]
    fn present_fields_must_be_there_and_not_null() {
        let mut pay = step(Operation::Pay);
        pay.expect.present = vec!["paymentId".to_string()];
        let judged = |result: serde_json::Value| {
            let evidence = Evidence::of(Vec::new()).with_steps(
                vec![pay.clone()],
                vec![report(0, Operation::Pay, ok(result))],
            );
            check_steps(&evidence.get())
        };
        assert_eq!(judged(json!({ "paymentId": "p" })), Vec::new());
        assert_eq!(judged(json!({ "paymentId": false })), Vec::new());
        let missing = judged(json!({}));
        assert_eq!(rules_of(&missing), vec![STEP_RESULT]);
        assert_eq!(missing[0].message, "result `paymentId` is missing");
        assert_eq!(
            rules_of(&judged(json!({ "paymentId": null }))),
            vec![STEP_RESULT]
        );
    }

    #[test]
    fn calls_are_counted_per_endpoint_within_the_step() {
        let mut pay = step(Operation::Pay);
        pay.expect
            .calls
            .insert("POST /payments".to_string(), CallCount::Exactly(2));
        pay.expect.calls.insert(
            "POST /payments/{paymentid}/cancel".to_string(),
            CallCount::Exactly(1),
        );
        pay.expect
            .calls
            .insert("GET /payments".to_string(), CallCount::Exactly(1));
        let evidence = Evidence::of(vec![
            call(1, Endpoint::InitiatePayment),
            call(2, Endpoint::QueryPaymentIds).query("posId=pos-1"),
            call(3, Endpoint::QueryPayment).id("seeded-1"),
            call(4, Endpoint::QueryPayment).id("seeded-1"),
            call(5, Endpoint::CancelPayment).id("seeded-1"),
            call(6, Endpoint::InitiatePayment),
            call(7, Endpoint::InitiatePayment).step(1),
        ])
        .with_steps(
            vec![pay, step(Operation::Capture)],
            vec![
                report(0, Operation::Pay, ok(json!({}))),
                report(1, Operation::Capture, ok(json!({}))),
            ],
        );
        assert_eq!(check_steps(&evidence.get()), Vec::new());
    }

    #[test]
    fn call_bounds_admit_a_range_and_name_it_when_missed() {
        let polls = |count: CallCount, polled: u64| {
            let mut pay = step(Operation::Pay);
            pay.expect
                .calls
                .insert("GET /payments/{paymentid}".to_string(), count);
            let exchanges = (1..=polled)
                .map(|seq| call(seq, Endpoint::QueryPayment).id("pay-1"))
                .collect();
            let evidence = Evidence::of(exchanges)
                .with_steps(vec![pay], vec![report(0, Operation::Pay, ok(json!({})))]);
            check_steps(&evidence.get())
        };
        let at_least_three = CallCount::Bounded {
            at_least: Some(3),
            at_most: None,
        };
        let at_most_four = CallCount::Bounded {
            at_least: None,
            at_most: Some(4),
        };
        assert_eq!(polls(at_least_three, 3), Vec::new());
        assert_eq!(polls(at_most_four, 4), Vec::new());
        let too_few = polls(at_least_three, 2);
        assert_eq!(rules_of(&too_few), vec![STEP_CALLS]);
        assert_eq!(
            too_few[0].message,
            "expected at least 3 call(s) to GET /payments/{paymentid}, saw 2"
        );
        assert_eq!(rules_of(&polls(at_most_four, 5)), vec![STEP_CALLS]);
    }

    #[test]
    fn a_wrong_call_count_names_the_endpoint() {
        let mut cancel = step(Operation::Cancel);
        cancel.expect.calls.insert(
            "POST /payments/{paymentid}/cancel".to_string(),
            CallCount::Exactly(3),
        );
        cancel
            .expect
            .calls
            .insert("POST /payments".to_string(), CallCount::Exactly(0));
        let evidence = Evidence::of(vec![
            call(1, Endpoint::CancelPayment).id("pay-1").step(1),
            call(2, Endpoint::CancelPayment).id("pay-1").step(1),
            call(3, Endpoint::CancelPayment).id("pay-1").step(2),
        ])
        .with_steps(
            vec![step(Operation::Pay), cancel],
            vec![
                report(0, Operation::Pay, ok(json!({}))),
                report(1, Operation::Cancel, ok(json!({}))),
            ],
        );
        let findings = check_steps(&evidence.get());
        assert_eq!(rules_of(&findings), vec![STEP_CALLS]);
        assert_eq!(findings[0].step, Some(1));
        assert_eq!(
            findings[0].message,
            "expected 3 call(s) to POST /payments/{paymentid}/cancel, saw 2"
        );
    }

    #[test]
    fn calls_are_counted_for_a_failed_step_too() {
        let mut pay = step(Operation::Pay);
        pay.expect
            .calls
            .insert("POST /payments".to_string(), CallCount::Exactly(3));
        let evidence = Evidence::of(vec![call(1, Endpoint::InitiatePayment)]).with_steps(
            vec![pay],
            vec![report(
                0,
                Operation::Pay,
                StepOutcome::Failed {
                    message: "gave up".to_string(),
                },
            )],
        );
        assert_eq!(
            rules_of(&check_steps(&evidence.get())),
            vec![STEP_SUCCEEDED, STEP_CALLS]
        );
    }

    #[test]
    fn the_seeded_payment_must_end_in_the_expected_state() {
        let mut pay = step(Operation::Pay);
        pay.expect.seeded_payment = Some(PaymentStatus::CancelledByClient);
        let judged = |seen: Option<PaymentStatus>| {
            let mut evidence = Evidence::of(Vec::new()).with_steps(
                vec![pay.clone()],
                vec![report(0, Operation::Pay, ok(json!({})))],
            );
            evidence.observations = vec![StepObservation {
                seeded_payment: seen,
                payments: BTreeMap::new(),
            }];
            check_steps(&evidence.get())
        };
        assert_eq!(judged(Some(PaymentStatus::CancelledByClient)), Vec::new());
        let wrong = judged(Some(PaymentStatus::IssuedToUser));
        assert_eq!(rules_of(&wrong), vec![SERVER_STATE]);
        assert!(
            wrong[0]
                .message
                .ends_with("should be CancelledByClient, but is IssuedToUser"),
            "unexpected message: {}",
            wrong[0].message
        );
        let gone = judged(None);
        assert_eq!(rules_of(&gone), vec![SERVER_STATE]);
        assert!(gone[0].message.ends_with("but is missing"));
    }
}
