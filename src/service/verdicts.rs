//! Judging a finished case where its exchanges were recorded: the driver's `Error` or `Skipped`
//! verdict stands for a case it could not run to the end; otherwise the judge decides on the
//! recorded evidence, and a case whose every step was not run, reported and judged can never
//! pass — it is an `Error`. The verdict is recorded as final in the session.

use crate::exchange::Exchange;
use crate::judge::{self, CaseEvidence};
use crate::pos::PaymentStatus;
use crate::report::{StepOutcome, Truncation, Verdict};

use super::session::{ArmedCase, Identity, Session};
use super::wire::CaseRecord;

/// What the recording holds of a case.
pub struct Recorded {
    /// The kept exchanges in arrival order.
    pub exchanges: Vec<Exchange>,
    /// What was dropped beyond the recording's bounds.
    pub truncated: Option<Truncation>,
}

/// Judges the disarmed case (unless the driver reported it `unjudged`), records its final
/// verdict and returns the case record.
pub fn conclude(
    session: &mut Session,
    armed: ArmedCase,
    recorded: Recorded,
    unjudged: Option<Verdict>,
    identity: &Identity,
) -> CaseRecord {
    let open_reservations: Vec<String> = session
        .world()
        .payments
        .values()
        .filter(|p| {
            p.created_in_case.as_deref() == Some(armed.id.as_str())
                && p.status == PaymentStatus::Reserved
        })
        .map(|p| p.id.clone())
        .collect();
    let open_refunds: Vec<String> = session
        .world()
        .refunds
        .values()
        .filter(|r| {
            r.created_in_case.as_deref() == Some(armed.id.as_str()) && !r.status.is_terminal()
        })
        .map(|r| r.id.clone())
        .collect();
    let verdict = match (unjudged, session.case(&armed.id)) {
        (Some(verdict), _) => verdict,
        (None, None) => Verdict::Error {
            reason: format!("case {} is not in the session's catalogue", armed.id),
        },
        (None, Some(case)) => {
            let verdict = judge::judge(&CaseEvidence {
                case,
                steps: &armed.steps,
                observations: &armed.observations,
                exchanges: &recorded.exchanges,
                open_reservations: &open_reservations,
                open_refunds: &open_refunds,
                declared_version: &identity.client_version,
                time_scale: session.clock().scale(),
                truncated: recorded.truncated.as_ref(),
                profile: identity.profile,
            });
            require_every_step(verdict, case.steps.len(), &armed)
        }
    };
    session.conclude(&armed.id, verdict.clone());
    CaseRecord {
        exchanges: recorded.exchanges,
        open_reservations,
        open_refunds,
        verdict,
        truncated: recorded.truncated,
    }
}

/// A pass stands only when every step of the case was run and reported with a result; a failure
/// stands as it is (the client misbehaved whatever else happened).
fn require_every_step(verdict: Verdict, total: usize, armed: &ArmedCase) -> Verdict {
    if verdict != Verdict::Passed {
        return verdict;
    }
    let unfinished = (0..total).find(|index| {
        !matches!(
            armed.steps.get(*index).map(|s| &s.outcome),
            Some(StepOutcome::Ok { .. })
        )
    });
    match unfinished {
        None => Verdict::Passed,
        Some(index) => Verdict::Error {
            reason: format!(
                "step {} of {total} was never run and reported, so the case cannot be judged",
                index + 1
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::report::StepReport;

    fn armed(reported: usize) -> ArmedCase {
        ArmedCase {
            id: "payments/p".into(),
            step: None,
            step_open: false,
            faults: Default::default(),
            customer: None,
            seeded_payment: None,
            steps: (0..reported)
                .map(|index| StepReport {
                    index,
                    op: "pay".into(),
                    title: "pay".into(),
                    params: serde_json::Map::new(),
                    outcome: StepOutcome::Ok {
                        result: json!({}).as_object().cloned().unwrap_or_default(),
                    },
                    unknown_fields: serde_json::Map::new(),
                    duration_ms: 0.0,
                })
                .collect(),
            observations: Vec::new(),
        }
    }

    #[test]
    fn a_pass_with_every_step_reported_stands() {
        assert_eq!(
            require_every_step(Verdict::Passed, 2, &armed(2)),
            Verdict::Passed
        );
    }

    #[test]
    fn a_pass_with_a_step_never_reported_is_an_error() {
        let verdict = require_every_step(Verdict::Passed, 2, &armed(1));
        let Verdict::Error { reason } = verdict else {
            panic!("expected an error, got {verdict:?}");
        };
        assert!(reason.starts_with("step 2 of 2 was never run"), "{reason}");
        assert!(matches!(
            require_every_step(Verdict::Passed, 1, &armed(0)),
            Verdict::Error { .. }
        ));
    }

    #[test]
    fn a_failure_stands_whatever_was_reported() {
        let failed = Verdict::Failed {
            findings: Vec::new(),
        };
        assert_eq!(require_every_step(failed.clone(), 3, &armed(0)), failed);
    }
}
