//! Judging on evidence: what the service recorded and served decides, and what the client
//! reports is checked against it. For every step the client reported done, each id it reports
//! (`posId`, `paymentId`, `refundId`) must have reached the client in an answered 200 of the case
//! by the end of the step; the status it reports must be one the service answered for that
//! payment or refund by then (a poll's `status`, or the status a successful capture or cancel
//! implies); and a capture must show in the service's state as the asked amount captured. An
//! answer the client abandoned (a held call it hung up on) never counts as served.

use serde_json::{Map, Value};

use crate::catalogue::{Operation, Step};
use crate::exchange::Exchange;
use crate::pos::{Endpoint, PaymentStatus};
use crate::report::{Finding, StepOutcome, StepReport};

use super::seen::{contains_string, is_about, received};
use super::{CaseEvidence, StepObservation, pos_exchanges};

/// Rule id: every id a step reports was served to the client.
pub const RESULT_ID_SERVED: &str = "result-id-served";
/// Rule id: every status a step reports was answered by the service for that resource.
pub const RESULT_STATUS_SERVED: &str = "result-status-served";
/// Rule id: a reported capture shows in the service as the asked amount captured.
pub const CAPTURE_AMOUNT_SERVED: &str = "capture-amount-served";

/// Every evidence rule id with a one-line description, in the order findings are documented.
pub const RULES: &[(&str, &str)] = &[
    (
        RESULT_ID_SERVED,
        "every posId, paymentId and refundId a step reports was served to the client in the case by the end of that step",
    ),
    (
        RESULT_STATUS_SERVED,
        "every status a step reports was answered by the service for that payment or refund by the end of that step",
    ),
    (
        CAPTURE_AMOUNT_SERVED,
        "a capture step reported done leaves the payment Captured with the asked amount (unless the case expects another status)",
    ),
];

/// The result fields that carry an id the service hands out.
const ID_FIELDS: [&str; 3] = ["posId", "paymentId", "refundId"];

/// Half a cent: amounts carry two decimals.
const AMOUNT_EPSILON: f64 = 0.005;

/// Checks every step the client reported done against what the service served and holds.
pub fn check_steps(evidence: &CaseEvidence<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, report) in evidence.steps.iter().enumerate() {
        let StepOutcome::Ok { result } = &report.outcome else {
            continue;
        };
        let served: Vec<&Exchange> = pos_exchanges(evidence.exchanges)
            .filter(|e| by_step(e, report.index) && received(e))
            .collect();
        findings.extend(check_ids(&served, report, result));
        findings.extend(check_status(&served, report, result));
        if let Some(step) = evidence.case.steps.get(index) {
            findings.extend(check_capture(
                evidence.exchanges,
                step,
                report,
                evidence.observations.get(index),
            ));
        }
    }
    findings
}

fn step_finding(
    rule: &str,
    report: &StepReport,
    exchange: Option<&Exchange>,
    message: String,
) -> Finding {
    Finding {
        rule: rule.to_string(),
        step: Some(report.index),
        exchange: exchange.map(|e| e.seq),
        message,
    }
}

/// Whether the exchange arrived before or during step `index` (or before the case's first step).
fn by_step(exchange: &Exchange, index: usize) -> bool {
    exchange.step.is_none_or(|step| step <= index)
}

/// A reported value as text: strings bare, anything else as JSON.
fn shown(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

fn check_ids(
    served: &[&Exchange],
    report: &StepReport,
    result: &Map<String, Value>,
) -> Vec<Finding> {
    ID_FIELDS
        .into_iter()
        .filter_map(|field| {
            let reported = result.get(field).filter(|v| !v.is_null())?;
            let known = reported.as_str().is_some_and(|id| {
                served
                    .iter()
                    .any(|e| e.response_json().is_some_and(|body| contains_string(&body, id)))
            });
            (!known).then(|| {
                step_finding(
                    RESULT_ID_SERVED,
                    report,
                    None,
                    format!(
                        "the client reported {field} {}, but the service never served that id in this case",
                        shown(reported)
                    ),
                )
            })
        })
        .collect()
}

/// The payment or refund a step's status is about: its refundId, else its paymentId, taken
/// from the result or else the parameters.
fn resource_of<'a>(
    report: &'a StepReport,
    result: &'a Map<String, Value>,
) -> Option<(&'static str, &'a str)> {
    [("refundId", "refund"), ("paymentId", "payment")]
        .into_iter()
        .find_map(|(field, noun)| {
            let id = result.get(field).or_else(|| report.params.get(field))?;
            Some((noun, id.as_str()?))
        })
}

/// The status an answered exchange served for the resource `id`: a poll's `status`, or the status
/// a successful capture or cancel implies (RefundState spells these two like PaymentStatus).
fn served_status(exchange: &Exchange, id: &str) -> Option<String> {
    if !is_about(exchange, id) {
        return None;
    }
    match exchange.pos_endpoint()? {
        Endpoint::QueryPayment | Endpoint::GetRefund => exchange
            .response_json()?
            .get("status")?
            .as_str()
            .map(str::to_string),
        Endpoint::CapturePayment | Endpoint::CaptureRefund => {
            Some(PaymentStatus::Captured.to_string())
        }
        Endpoint::CancelPayment | Endpoint::CancelRefund => {
            Some(PaymentStatus::CancelledByClient.to_string())
        }
        _ => None,
    }
}

fn check_status(
    served: &[&Exchange],
    report: &StepReport,
    result: &Map<String, Value>,
) -> Option<Finding> {
    let reported = result.get("status").filter(|v| !v.is_null())?;
    let Some((noun, id)) = resource_of(report, result) else {
        return Some(step_finding(
            RESULT_STATUS_SERVED,
            report,
            None,
            format!(
                "the client reported status {}, but named no payment or refund it belongs to",
                shown(reported)
            ),
        ));
    };
    let answers: Vec<(&Exchange, String)> = served
        .iter()
        .filter_map(|e| served_status(e, id).map(|status| (*e, status)))
        .collect();
    if answers
        .iter()
        .any(|(_, status)| Some(status.as_str()) == reported.as_str())
    {
        return None;
    }
    let mut statuses: Vec<&str> = Vec::new();
    for (_, status) in &answers {
        if !statuses.contains(&status.as_str()) {
            statuses.push(status);
        }
    }
    let what_it_served = if statuses.is_empty() {
        "it never answered a poll or action for it".to_string()
    } else {
        format!("it served: {}", statuses.join(", "))
    };
    Some(step_finding(
        RESULT_STATUS_SERVED,
        report,
        answers.last().map(|(e, _)| *e),
        format!(
            "the client reported status {} for {noun} {id}, but the service never answered that status for it ({what_it_served})",
            shown(reported)
        ),
    ))
}

fn check_capture(
    exchanges: &[Exchange],
    step: &Step,
    report: &StepReport,
    observation: Option<&StepObservation>,
) -> Option<Finding> {
    // The catalogue may ask a capture step to end otherwise (a cancel instead of an impossible
    // partial capture); the client's word alone never excuses a missing capture.
    let expects_other = step
        .expect
        .result
        .get("status")
        .is_some_and(|s| s.as_str() != Some(PaymentStatus::Captured.as_str()));
    if step.op != Operation::Capture || expects_other {
        return None;
    }
    let payment_id = report.params.get("paymentId")?.as_str()?;
    let asked = report.params.get("amount")?.as_f64()?;
    let held = observation.and_then(|o| {
        o.payments
            .iter()
            .find(|(id, _)| id.eq_ignore_ascii_case(payment_id))
            .map(|(_, payment)| payment)
    });
    let problem = match held {
        None => "the service holds no such payment in this case".to_string(),
        Some(payment) if payment.status != PaymentStatus::Captured => {
            format!("it is not captured, status {}", payment.status)
        }
        Some(payment) => match payment.captured_amount {
            Some(captured) if (captured - asked).abs() < AMOUNT_EPSILON => return None,
            Some(captured) => format!("the service captured {captured}"),
            None => "the service captured no amount".to_string(),
        },
    };
    let last_capture = pos_exchanges(exchanges)
        .filter(|e| {
            e.pos_endpoint() == Some(Endpoint::CapturePayment)
                && is_about(e, payment_id)
                && by_step(e, report.index)
        })
        .last();
    Some(step_finding(
        CAPTURE_AMOUNT_SERVED,
        report,
        last_capture,
        format!("the step asked to capture {asked} of payment {payment_id}, but {problem}"),
    ))
}

#[cfg(test)]
mod tests;
