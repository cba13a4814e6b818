//! The driver: the one loop over cases and steps. It opens a session on the certification
//! service, connects the client under test with the session's credentials, and for each
//! selected case arms it, asks the client to perform each step (templated from values earlier
//! steps saved), collects what the service recorded, and hands everything to the judge. What it
//! returns is the RunReport; infrastructure failures become `Error` verdicts, never panics.

pub mod plan;
pub mod remote;
pub mod template;

use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::catalogue::{Catalogue, Category, LocatedCase};
use crate::client::{Adapter, ClientSpec, Connection};
use crate::judge::{self, CaseEvidence};
use crate::report::model::REPORT_SCHEMA_VERSION;
use crate::report::{
    CaseReport, CategoryReport, RunMeta, RunReport, StepOutcome, StepReport, Verdict,
};
use crate::secret::Secret;
use crate::service::script::StepObservation;
use crate::service::session::{CaseScript, SessionRequest};

use plan::Plan;
use remote::RemoteSession;
use template::Variables;

/// Told about a run as it goes, so a console can print each case as it finishes.
pub trait Progress {
    /// The run has started.
    fn started(&mut self, meta: &RunMeta);
    /// A case has a verdict (skipped cases included).
    fn case_finished(&mut self, category: &str, case: &CaseReport);
}

/// Progress nobody watches.
pub struct Silent;

impl Progress for Silent {
    fn started(&mut self, _meta: &RunMeta) {}
    fn case_finished(&mut self, _category: &str, _case: &CaseReport) {}
}

/// How to drive a run.
pub struct DriveSettings {
    /// The client under test.
    pub client: ClientSpec,
    /// Its declared name.
    pub client_name: String,
    /// Its declared version.
    pub client_version: String,
    /// The certification service's base URL.
    pub service_url: String,
    /// How the target is named in reports.
    pub target_label: String,
    /// The service's time scale.
    pub time_scale: f64,
    /// Stop after the first case that does not pass.
    pub fail_fast: bool,
    /// Becomes `true` when the run is interrupted.
    pub interrupt: watch::Receiver<bool>,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn case_id(category: &Category, case: &LocatedCase) -> String {
    format!("{}/{}", category.header.id, case.case.id)
}

/// Runs the plan and returns the report.
pub async fn drive(
    catalogue: &Catalogue,
    plan: &Plan,
    mut settings: DriveSettings,
    progress: &mut dyn Progress,
) -> RunReport {
    let started = Instant::now();
    let started_at = now_rfc3339();
    progress.started(&meta(&settings, catalogue, &started_at, started));
    let scripts: Vec<CaseScript> = catalogue
        .categories
        .iter()
        .zip(&plan.selected)
        .flat_map(|(category, selected)| {
            category
                .cases
                .iter()
                .zip(selected)
                .filter(|(_, s)| **s)
                .map(move |(case, _)| CaseScript {
                    id: case_id(category, case),
                    backend: case.case.backend.clone(),
                })
        })
        .collect();
    let request = SessionRequest {
        client_name: settings.client_name.clone(),
        client_version: settings.client_version.clone(),
        cases: scripts,
    };
    let connected = connect(&settings, &request).await;
    if let Ok((session, _)) = &connected {
        // A standalone service runs at its own time scale; the judge must use that one.
        settings.time_scale = session.created.time_scale;
    }
    let mut run = match connected {
        Ok((session, adapter)) => Some(Runner {
            session,
            adapter,
            settings: &settings,
            vars: Variables::new(),
            stop: None,
        }),
        Err(reason) => {
            tracing::error!("{reason}");
            let report = assemble(catalogue, plan, &settings, &started_at, started, |_, _| {
                Some(Verdict::Error {
                    reason: reason.clone(),
                })
            });
            for category in &report.categories {
                for case in &category.cases {
                    progress.case_finished(&category.id, case);
                }
            }
            return report;
        }
    };
    let mut categories = Vec::new();
    for (category, selected) in catalogue.categories.iter().zip(&plan.selected) {
        let category_started = now_rfc3339();
        let mut cases = Vec::new();
        for (case, selected) in category.cases.iter().zip(selected) {
            let report = match (&mut run, selected) {
                (_, false) => skipped(category, case, "not selected"),
                (Some(runner), true) => runner.run_case(category, case).await,
                (None, true) => skipped(category, case, "not run"),
            };
            progress.case_finished(&category.header.id, &report);
            cases.push(report);
        }
        categories.push(CategoryReport {
            id: category.header.id.clone(),
            title: category.header.title.clone(),
            mandatory: category.header.mandatory,
            file: category.file.clone(),
            started_at: category_started,
            cases,
        });
    }
    report(&settings, catalogue, &started_at, started, categories)
}

async fn connect(
    settings: &DriveSettings,
    request: &SessionRequest,
) -> Result<(RemoteSession, Adapter), String> {
    let session = RemoteSession::open(&settings.service_url, request)
        .await
        .map_err(|e| e.to_string())?;
    let created = &session.created;
    let connection = Connection {
        api_base_url: format!("{}{}", settings.service_url, created.api_base_path),
        auth_url: format!(
            "{}{}",
            settings.service_url,
            created.token_path.trim_end_matches("/connect/token")
        ),
        client_id: created.client_id.clone(),
        client_secret: Secret::new(created.client_secret.clone()),
        merchant_vat: created.merchant_vat.clone(),
        client_version: settings.client_version.clone(),
        time_scale: created.time_scale,
    };
    let adapter = Adapter::connect(&settings.client, connection).map_err(|e| e.to_string())?;
    Ok((session, adapter))
}

fn skipped(category: &Category, case: &LocatedCase, reason: &str) -> CaseReport {
    CaseReport {
        id: case.case.id.clone(),
        title: case.case.title.clone(),
        summary: case.case.summary.clone(),
        file: category.file.clone(),
        line: case.location.line,
        verdict: Verdict::Skipped {
            reason: reason.to_string(),
        },
        duration_ms: 0.0,
        steps: Vec::new(),
        exchanges: Vec::new(),
    }
}

fn assemble(
    catalogue: &Catalogue,
    plan: &Plan,
    settings: &DriveSettings,
    started_at: &str,
    started: Instant,
    verdict_of: impl Fn(&Category, &LocatedCase) -> Option<Verdict>,
) -> RunReport {
    let categories = catalogue
        .categories
        .iter()
        .zip(&plan.selected)
        .map(|(category, selected)| CategoryReport {
            id: category.header.id.clone(),
            title: category.header.title.clone(),
            mandatory: category.header.mandatory,
            file: category.file.clone(),
            started_at: started_at.to_string(),
            cases: category
                .cases
                .iter()
                .zip(selected)
                .map(|(case, selected)| {
                    let mut report = skipped(category, case, "not selected");
                    if *selected {
                        if let Some(verdict) = verdict_of(category, case) {
                            report.verdict = verdict;
                        }
                    }
                    report
                })
                .collect(),
        })
        .collect();
    report(settings, catalogue, started_at, started, categories)
}

fn meta(
    settings: &DriveSettings,
    catalogue: &Catalogue,
    started_at: &str,
    started: Instant,
) -> RunMeta {
    RunMeta {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        client_name: settings.client_name.clone(),
        client_version: settings.client_version.clone(),
        client: settings.client.describe(),
        target: settings.target_label.clone(),
        catalogue_digest: catalogue.digest.clone(),
        started_at: started_at.to_string(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        time_scale: settings.time_scale,
    }
}

fn report(
    settings: &DriveSettings,
    catalogue: &Catalogue,
    started_at: &str,
    started: Instant,
    categories: Vec<CategoryReport>,
) -> RunReport {
    RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        meta: meta(settings, catalogue, started_at, started),
        categories,
    }
}

/// Why the remaining cases do not run.
enum Stop {
    FailFast,
    Interrupted,
}

struct Runner<'a> {
    session: RemoteSession,
    adapter: Adapter,
    settings: &'a DriveSettings,
    vars: Variables,
    stop: Option<Stop>,
}

impl Runner<'_> {
    fn operation_timeout(&self) -> Duration {
        Duration::from_secs_f64((120.0 * self.settings.time_scale).max(10.0))
    }

    async fn run_case(&mut self, category: &Category, case: &LocatedCase) -> CaseReport {
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
        let (steps, observations, broken) = self.run_steps(case).await;
        let record = self.session.finish_case().await;
        report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        report.steps = steps;
        report.verdict = match (record, broken) {
            (Err(e), _) => Verdict::Error {
                reason: e.to_string(),
            },
            (Ok(record), broken) => {
                report.exchanges = record.exchanges;
                match broken {
                    Some(verdict) => verdict,
                    None => judge::judge(&CaseEvidence {
                        case: &case.case,
                        steps: &report.steps,
                        observations: &observations,
                        exchanges: &report.exchanges,
                        open_reservations: &record.open_reservations,
                        declared_version: &self.settings.client_version,
                        time_scale: self.settings.time_scale,
                    }),
                }
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

    /// A variable the case's steps use that neither an earlier case nor an earlier step of
    /// this case saves; such a case cannot run (its backend script may need the PoS, too).
    fn missing_prerequisite(&self, case: &LocatedCase) -> Option<String> {
        let mut saved_here: Vec<&str> = Vec::new();
        for step in &case.case.steps {
            for value in step.params.values() {
                for name in template::references(value) {
                    if !self.vars.contains_key(&name) && !saved_here.contains(&name.as_str()) {
                        return Some(name);
                    }
                }
            }
            saved_here.extend(step.save.keys().map(String::as_str));
        }
        None
    }

    /// Runs the steps; the third value is a verdict that overrides judging (a skip for a
    /// missing prerequisite, an error when the adapter or the service broke).
    async fn run_steps(
        &mut self,
        case: &LocatedCase,
    ) -> (Vec<StepReport>, Vec<StepObservation>, Option<Verdict>) {
        let mut reports = Vec::new();
        let mut observations = Vec::new();
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
                duration_ms: 0.0,
            };
            if broken.is_some()
                || matches!(
                    reports.last(),
                    Some(StepReport {
                        outcome: StepOutcome::Failed { .. },
                        ..
                    })
                )
            {
                reports.push(report);
                continue;
            }
            let params = step
                .params
                .iter()
                .map(|(k, v)| template::resolve(v, &self.vars).map(|v| (k.clone(), v)))
                .collect::<Result<serde_json::Map<_, _>, _>>();
            let params = match params {
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
                    broken = Some(Verdict::Error { reason: "the run was interrupted".into() });
                    reports.push(report);
                    continue;
                }
            };
            report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            match performed {
                Err(_) => {
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
                Ok(Ok(Ok(result))) => {
                    self.save(step, &params, &result);
                    report.outcome = StepOutcome::Ok { result };
                }
                Ok(Ok(Err(message))) => report.outcome = StepOutcome::Failed { message },
            }
            match self.session.end_step().await {
                Ok(observation) => observations.push(observation),
                Err(e) => {
                    broken = broken.or(Some(Verdict::Error {
                        reason: e.to_string(),
                    }))
                }
            }
            reports.push(report);
        }
        (reports, observations, broken)
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
                self.vars.insert(name.clone(), value.clone());
            }
        }
    }
}
