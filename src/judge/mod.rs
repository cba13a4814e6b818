//! The judge: a pure, synchronous function from what happened in a case (the catalogue case,
//! the step outcomes, what the service observed and every recorded exchange) to a verdict. It
//! applies the conduct rules to every exchange and the step expectations to every step, and
//! names the rule, the step and the exchange in each finding.

pub mod expect;
pub mod retry;
pub mod rules;
pub mod timing;

use crate::catalogue::Case;
use crate::exchange::Exchange;
use crate::report::{Finding, StepReport, Verdict};
use crate::service::script::StepObservation;

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
    /// The version the session certifies.
    pub declared_version: &'a str,
    /// The service's time scale.
    pub time_scale: f64,
}

/// Judges one case.
pub fn judge(evidence: &CaseEvidence<'_>) -> Verdict {
    let mut findings = rules::check_all(evidence);
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
