//! The judge: a pure, synchronous function from what happened in a case (the catalogue case,
//! the step outcomes, what the service observed and every recorded exchange) to a verdict. It
//! applies the conduct rules to every exchange, checks what the client reports of every step
//! against what the service served and holds (the evidence), applies the step expectations to
//! every step, and names the rule, the step and the exchange in each finding.

pub mod amounts;
pub mod customer;
pub mod evidence;
pub mod expect;
#[cfg(test)]
mod fixtures;
pub mod headers;
pub mod lifecycle;
pub mod lookups;
pub mod refusals;
pub mod restrictions;
pub mod retry;
pub mod rules;
pub mod seen;
pub mod timing;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalogue::Case;
use crate::catalogue::model::Profile;
use crate::exchange::Exchange;
use crate::pos::PaymentStatus;
use crate::report::{Finding, StepReport, Truncation, Verdict};

/// What the service observed at the end of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepObservation {
    /// The state of the case's seeded payment, if it has one.
    pub seeded_payment: Option<PaymentStatus>,
    /// What the service holds for every payment created in the case (and the seeded one), by id.
    #[serde(default)]
    pub payments: BTreeMap<String, PaymentObservation>,
}

/// What the service holds for one payment at the end of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentObservation {
    /// Its state.
    pub status: PaymentStatus,
    /// The amount (`None` until a prepared payment is readied).
    pub amount: Option<f64>,
    /// The amount captured, once captured.
    pub captured_amount: Option<f64>,
}

/// Everything the judge looks at for one case.
pub struct CaseEvidence<'a> {
    /// The case as the catalogue defines it.
    pub case: &'a Case,
    /// What each step did (as many as ran; the rest are `NotRun`).
    pub steps: &'a [StepReport],
    /// What the service observed at the end of each step that ran.
    pub observations: &'a [StepObservation],
    /// The case's exchanges in arrival order.
    pub exchanges: &'a [Exchange],
    /// Payments created in the case and still reserved at its end.
    pub open_reservations: &'a [String],
    /// Refunds created in the case and still open (Initiated or Reserved) at its end.
    pub open_refunds: &'a [String],
    /// The version the session certifies.
    pub declared_version: &'a str,
    /// The service's time scale.
    pub time_scale: f64,
    /// What the service did not record because the case exceeded the recording's bounds.
    pub truncated: Option<&'a Truncation>,
    /// The profile the case is judged in.
    pub profile: Profile,
}

/// Judges one case.
pub fn judge(evidence: &CaseEvidence<'_>) -> Verdict {
    let mut findings = rules::check_all(evidence);
    // What the service served comes before the client's word, so among a step's findings that
    // no exchange proves, the evidence is named first.
    findings.extend(evidence::check_steps(evidence));
    findings.extend(expect::check_steps(evidence));
    verdict_from(findings)
}

/// `Passed` without findings; otherwise `Failed` with the findings ordered by the exchange that
/// proves them (findings without an exchange last, by step), so the first finding is the
/// earliest misbehaviour.
pub fn verdict_from(mut findings: Vec<Finding>) -> Verdict {
    if findings.is_empty() {
        return Verdict::Passed;
    }
    findings.sort_by_key(|f| (f.exchange.is_none(), f.exchange, f.step));
    Verdict::Failed { findings }
}

/// The conduct PoS exchanges of a case: those on a PoS v10 endpoint, in arrival order.
pub fn pos_exchanges(exchanges: &[Exchange]) -> impl Iterator<Item = &Exchange> {
    exchanges.iter().filter(|e| e.endpoint.is_some())
}

/// A finding.
pub fn finding(rule: &str, exchange: Option<&Exchange>, message: String) -> Finding {
    Finding {
        rule: rule.to_string(),
        step: exchange.and_then(|e| e.step),
        exchange: exchange.map(|e| e.seq),
        message,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fixtures::{Evidence, call, off_api, ok, report, rules_of, step};
    use super::*;
    use crate::catalogue::Operation;
    use crate::catalogue::model::CallCount;
    use crate::pos::{Endpoint, ErrorCode};
    use crate::report::StepOutcome;

    fn finding_at(rule: &str, exchange: Option<u64>, step: Option<usize>) -> Finding {
        Finding {
            rule: rule.to_string(),
            step,
            exchange,
            message: String::new(),
        }
    }

    #[test]
    fn no_findings_is_a_pass() {
        assert_eq!(verdict_from(Vec::new()), Verdict::Passed);
    }

    #[test]
    fn findings_are_ordered_by_exchange_with_stepwise_ones_last() {
        let verdict = verdict_from(vec![
            finding_at("d", None, Some(1)),
            finding_at("b", Some(5), Some(0)),
            finding_at("c", None, Some(0)),
            finding_at("a", Some(2), Some(1)),
        ]);
        let Verdict::Failed { findings } = verdict else {
            panic!("expected a failed verdict, got {verdict:?}");
        };
        assert_eq!(rules_of(&findings), vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn pos_exchanges_skips_calls_outside_the_api() {
        let exchanges = vec![
            off_api(1, "POST", "/integrator-authentication/connect/token").build(),
            call(2, Endpoint::GetStores).build(),
        ];
        let seqs: Vec<u64> = pos_exchanges(&exchanges).map(|e| e.seq).collect();
        assert_eq!(seqs, vec![2]);
    }

    #[test]
    fn a_finding_takes_its_step_and_sequence_from_the_exchange() {
        let exchange = call(7, Endpoint::GetStores).step(3).build();
        let found = finding("rule", Some(&exchange), "why".to_string());
        assert_eq!(
            found,
            Finding {
                rule: "rule".to_string(),
                step: Some(3),
                exchange: Some(7),
                message: "why".to_string(),
            }
        );
        let loose = finding("rule", None, "why".to_string());
        assert_eq!((loose.step, loose.exchange), (None, None));
    }

    #[test]
    fn a_clean_case_passes() {
        let mut pay = step(Operation::Pay);
        pay.expect
            .calls
            .insert("POST /payments".to_string(), CallCount::Exactly(1));
        let evidence = Evidence::of(vec![
            call(1, Endpoint::InitiatePayment)
                .key("key-1")
                .body(json!({ "amount": 10.0 }))
                .response(json!({ "paymentId": "pay-1" })),
        ])
        .with_steps(
            vec![pay],
            vec![report(
                0,
                Operation::Pay,
                ok(json!({ "paymentId": "pay-1" })),
            )],
        );
        assert_eq!(judge(&evidence.get()), Verdict::Passed);
    }

    /// The rules of the findings for a `pay` step expected to end `CancelledByUser`, reported as
    /// `status` for a payment the service created but never answered a poll for.
    fn rules_for_unpolled_pay(status: &str) -> Vec<String> {
        let mut pay = step(Operation::Pay);
        pay.expect
            .result
            .insert("status".to_string(), json!("CancelledByUser"));
        let evidence = Evidence::of(vec![
            call(1, Endpoint::InitiatePayment)
                .key("key-1")
                .body(json!({ "amount": 10.0 }))
                .response(json!({ "paymentId": "pay-1" })),
        ])
        .with_steps(
            vec![pay],
            vec![report(
                0,
                Operation::Pay,
                ok(json!({ "paymentId": "pay-1", "status": status })),
            )],
        );
        match judge(&evidence.get()) {
            Verdict::Failed { findings } => rules_of(&findings)
                .into_iter()
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_status_the_service_never_served_fails_even_when_it_is_the_expected_one() {
        assert_eq!(
            rules_for_unpolled_pay("CancelledByUser"),
            vec![evidence::RESULT_STATUS_SERVED]
        );
    }

    #[test]
    fn evidence_is_named_before_the_clients_word() {
        assert_eq!(
            rules_for_unpolled_pay("Reserved"),
            vec![evidence::RESULT_STATUS_SERVED, expect::STEP_RESULT]
        );
    }

    #[test]
    fn conduct_and_step_findings_are_merged_in_exchange_order() {
        let evidence = Evidence::of(vec![
            call(1, Endpoint::InitiatePayment)
                .key("key-1")
                .refused(ErrorCode::InvalidAmount),
        ])
        .with_steps(
            vec![step(Operation::Pay)],
            vec![report(
                0,
                Operation::Pay,
                StepOutcome::Failed {
                    message: "refused".to_string(),
                },
            )],
        );
        let verdict = judge(&evidence.get());
        let Verdict::Failed { findings } = verdict else {
            panic!("expected a failed verdict, got {verdict:?}");
        };
        assert_eq!(
            rules_of(&findings),
            vec![rules::REQUEST_ACCEPTED, expect::STEP_SUCCEEDED]
        );
    }
}
