//! Running one case: arm it on the service, resolve each step's parameters from saved values,
//! ask the client to perform it (bounded by an operation timeout and the interrupt), read the
//! report each outcome to the service, and finish the case to receive its exchanges and the
//! service's verdict. A broken adapter or service makes the case an `Error`; a prerequisite an
//! earlier case failed to save makes it `Skipped`, and so does, on a remote target, a case that
//! needs the certification backend.

use std::time::{Duration, Instant};

use crate::catalogue::{Category, LocatedCase};
use crate::client::Adapter;
use crate::report::{CaseReport, StepOutcome, StepReport, Verdict};

use super::remote::RemoteSession;
use super::template::{self, Variables};
use super::{DriveSettings, case_id, skipped};

/// Why the remaining cases do not run.
pub(super) enum Stop {
    FailFast,
    Interrupted,
}

pub(super) struct Runner<'a> {
    pub(super) session: RemoteSession,
    pub(super) adapter: Adapter,
    pub(super) settings: &'a DriveSettings,
    pub(super) vars: Variables,
    pub(super) stop: Option<Stop>,
}

/// The operation timeout at time scale 1, in seconds: the slowest operation of the catalogue (a
/// payment polled through held answers until the customer answers) fits in it many times over.
pub const OPERATION_TIMEOUT_SECS: f64 = 120.0;

/// The shortest default operation timeout, in seconds, however compressed time is: starting a
/// client and the operating system's scheduler do not scale.
pub const MIN_OPERATION_TIMEOUT_SECS: f64 = 10.0;

/// The operation timeout when none is configured: [`OPERATION_TIMEOUT_SECS`] times the time
/// scale, at least [`MIN_OPERATION_TIMEOUT_SECS`].
pub fn default_operation_timeout(time_scale: f64) -> Duration {
    Duration::from_secs_f64((OPERATION_TIMEOUT_SECS * time_scale).max(MIN_OPERATION_TIMEOUT_SECS))
}

impl Runner<'_> {
    fn operation_timeout(&self) -> Duration {
        (self.settings.operation_timeout)
            .unwrap_or_else(|| default_operation_timeout(self.settings.time_scale))
    }

    pub(super) async fn run_case(&mut self, category: &Category, case: &LocatedCase) -> CaseReport {
        let mut report = skipped(category, case, "");
        match self.stop {
            Some(Stop::FailFast) => {
                report.verdict = Verdict::Skipped {
                    reason: "not run: --fail-fast after an earlier case did not pass".into(),
                };
                return report;
            }
            Some(Stop::Interrupted) => {
                report.verdict = Verdict::Error {
                    reason: "the run was interrupted before this case".into(),
                };
                return report;
            }
            None => {}
        }
        if let Some(reason) = self.remote_skip_reason(case) {
            report.verdict = Verdict::Skipped { reason };
            return report;
        }
        if let Some(missing) = self.missing_prerequisite(case) {
            report.verdict = Verdict::Skipped {
                reason: format!(
                    "not run: it needs `{missing}`, which no earlier case saved (did an earlier case fail?)"
                ),
            };
            return report;
        }
        let id = case_id(category, case);
        let started = Instant::now();
        if let Err(e) = self.session.start_case(&id).await {
            report.verdict = Verdict::Error {
                reason: e.to_string(),
            };
            return report;
        }
        let (steps, broken) = self.run_steps(case).await;
        let record = self.session.finish_case(broken.as_ref()).await;
        report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        report.steps = steps;
        report.client_log = self.adapter.take_log();
        report.verdict = match record {
            Err(e) => Verdict::Error {
                reason: e.to_string(),
            },
            Ok(record) => {
                report.exchanges = record.exchanges;
                report.truncated = record.truncated;
                record.verdict
            }
        };
        match &report.verdict {
            _ if *self.settings.interrupt.borrow() => self.stop = Some(Stop::Interrupted),
            Verdict::Failed { .. } | Verdict::Error { .. } if self.settings.fail_fast => {
                self.stop = Some(Stop::FailFast)
            }
            _ => {}
        }
        report
    }

    /// Why a remote target cannot run the case, if it cannot. The values its steps would save
    /// from their own parameters (catalogue data, not the client's results) are bound all the
    /// same, so a later case that reuses them — the final onboarding reuses the first PoS's
    /// `merchantPosId` and `beaconId` — can still run.
    fn remote_skip_reason(&mut self, case: &LocatedCase) -> Option<String> {
        let reason = case
            .case
            .remote_skip_reason()
            .filter(|_| self.settings.remote)?;
        for step in &case.case.steps {
            if let Ok(params) = resolve_params(step, &self.vars) {
                self.save(step, &params, &serde_json::Map::new());
            }
        }
        Some(reason)
    }

    /// A variable the case's steps use that neither an earlier case nor an earlier step of
    /// this case saves; such a case cannot run (its backend script may need the PoS, too).
    fn missing_prerequisite(&self, case: &LocatedCase) -> Option<String> {
        let mut saved_here: Vec<&str> = Vec::new();
        for step in &case.case.steps {
            for value in step.params.values() {
                for name in template::references(value) {
                    if !self.vars.defines(&name) && !saved_here.contains(&name.as_str()) {
                        return Some(name);
                    }
                }
            }
            saved_here.extend(step.save.keys().map(String::as_str));
        }
        None
    }

    /// Runs the steps; the second value is a verdict that replaces judging (a skip for a
    /// missing prerequisite, an error when the adapter or the service broke).
    async fn run_steps(&mut self, case: &LocatedCase) -> (Vec<StepReport>, Option<Verdict>) {
        let mut reports = Vec::new();
        let mut broken = None;
        for (index, step) in case.case.steps.iter().enumerate() {
            let title = step
                .title
                .clone()
                .unwrap_or_else(|| step.op.as_str().to_string());
            let mut report = StepReport {
                index,
                op: step.op.as_str().to_string(),
                title,
                params: serde_json::Map::new(),
                outcome: StepOutcome::NotRun,
                unknown_fields: serde_json::Map::new(),
                duration_ms: 0.0,
            };
            // Once a step failed, no later step runs: they build on what it should have done.
            let failed_earlier = reports
                .iter()
                .any(|r: &StepReport| matches!(r.outcome, StepOutcome::Failed { .. }));
            if broken.is_some() || failed_earlier {
                reports.push(report);
                continue;
            }
            let params = match resolve_params(step, &self.vars) {
                Ok(params) => params,
                Err(missing) => {
                    broken = Some(Verdict::Skipped {
                        reason: format!(
                            "not run: step {} {missing} (did an earlier case fail?)",
                            index + 1
                        ),
                    });
                    reports.push(report);
                    continue;
                }
            };
            report.params = params.clone();
            let started = Instant::now();
            if let Err(e) = self.session.begin_step(index).await {
                broken = Some(Verdict::Error {
                    reason: e.to_string(),
                });
                reports.push(report);
                continue;
            }
            let mut interrupt = self.settings.interrupt.clone();
            let performed = tokio::select! {
                performed = tokio::time::timeout(self.operation_timeout(), self.adapter.perform(step.op, &params)) => performed,
                _ = interrupt.wait_for(|stopped| *stopped) => {
                    self.adapter.abandon().await;
                    broken = Some(Verdict::Error { reason: "the run was interrupted".into() });
                    reports.push(report);
                    continue;
                }
            };
            report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            match performed {
                Err(_) => {
                    self.adapter.abandon().await;
                    broken = Some(Verdict::Error {
                        reason: format!(
                            "the client did not finish step {} ({}) within {:.0} s",
                            index + 1,
                            step.op.as_str(),
                            self.operation_timeout().as_secs_f64()
                        ),
                    });
                }
                Ok(Err(adapter_error)) => {
                    broken = Some(Verdict::Error {
                        reason: adapter_error.to_string(),
                    })
                }
                Ok(Ok(answer)) => {
                    report.unknown_fields = answer.unknown;
                    match answer.outcome {
                        Ok(result) => {
                            self.save(step, &params, &result);
                            report.outcome = StepOutcome::Ok { result };
                        }
                        Err(message) => report.outcome = StepOutcome::Failed { message },
                    }
                }
            }
            if let Err(e) = self.session.end_step(&report).await {
                broken = broken.or(Some(Verdict::Error {
                    reason: e.to_string(),
                }));
            }
            reports.push(report);
        }
        (reports, broken)
    }

    fn save(
        &mut self,
        step: &crate::catalogue::Step,
        params: &serde_json::Map<String, serde_json::Value>,
        result: &serde_json::Map<String, serde_json::Value>,
    ) {
        for (name, source) in &step.save {
            let value = match source.split_once('.') {
                Some(("result", field)) => result.get(field),
                Some(("params", field)) => params.get(field),
                _ => None,
            };
            if let Some(value) = value {
                self.vars.save(name, value.clone());
            }
        }
    }
}

/// A step's parameters with every template resolved.
fn resolve_params(
    step: &crate::catalogue::Step,
    vars: &Variables,
) -> Result<serde_json::Map<String, serde_json::Value>, template::MissingVariable> {
    step.params
        .iter()
        .map(|(k, v)| template::resolve(v, vars).map(|v| (k.clone(), v)))
        .collect()
}
