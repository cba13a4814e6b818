//! The driver: the one loop over cases and steps. It opens a session on the certification
//! service, connects the client under test with the session's credentials, and for each
//! selected case arms it, asks the client to perform each step (templated from values earlier
//! steps saved), reports each step's outcome, and receives the case's recorded exchanges and the
//! service's verdict; at the end it collects the certificate. What it returns is the RunReport;
//! infrastructure failures become `Error` verdicts, never panics.

pub mod plan;
pub mod remote;
mod runner;
pub mod template;

pub use runner::{MIN_OPERATION_TIMEOUT_SECS, OPERATION_TIMEOUT_SECS, default_operation_timeout};

use std::time::Instant;

use tokio::sync::watch;

use crate::catalogue::model::Profile;
use crate::catalogue::{Catalogue, Category, LocatedCase};
use crate::client::{Adapter, ClientSpec, Connection};
use crate::pos::dto::CurrencyCode;
use crate::report::model::REPORT_SCHEMA_VERSION;
use crate::report::{
    CaseReport, CatalogueProvenance, CategoryReport, RunMeta, RunReport, Selection, Verdict,
};
use crate::secret::Secret;
use crate::service::merchants;
use crate::service::wire::{CatalogueChoice, CatalogueFile, SessionRequest};

use plan::Plan;
use remote::RemoteSession;
use runner::Runner;
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
    /// The certification merchant to certify as (VAT number).
    pub merchant_vat: String,
    /// The integrator's MobilePay client ids, recorded in the certificate.
    pub integrator_client_ids: Vec<String>,
    /// The certification service's base URL.
    pub service_url: String,
    /// The token that lets this run create a session on the service, if it needs one.
    pub service_token: Option<Secret>,
    /// Whether the catalogue is a custom one (`--cases DIR`) rather than the built-in one.
    pub custom_catalogue: bool,
    /// How the target is named in reports.
    pub target_label: String,
    /// Whether the target is a remote PoS API, which runs only the cases that need nothing of
    /// the certification backend (`Case::backend_needs`).
    pub remote: bool,
    /// The service's time scale.
    pub time_scale: f64,
    /// The profile the run is judged in.
    pub profile: Profile,
    /// Stop after the first case that does not pass.
    pub fail_fast: bool,
    /// How long the client may take for one operation (default: [`default_operation_timeout`]
    /// of the service's time scale).
    pub operation_timeout: Option<std::time::Duration>,
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
    let request = session_request(catalogue, plan, &settings);
    let mut scope = Scope {
        catalogue: provenance_of(catalogue, &settings),
        selection: Selection::of(catalogue, settings.profile, &request.cases),
    };
    progress.started(&meta(&settings, &scope, &started_at, started));
    let connected = connect(&settings, &request).await;
    if let Ok((session, _, _)) = &connected {
        // A standalone service runs at its own time scale; report and pace by that one, and
        // name the catalogue and the merchant as the service holds them.
        settings.time_scale = session.created.time_scale;
        settings.merchant_vat = session.created.merchant_vat.clone();
        scope.catalogue = session.created.catalogue.clone();
    }
    let mut run = match connected {
        Ok((session, adapter, currency)) => Some(Runner {
            session,
            adapter,
            settings: &settings,
            vars: Variables::new(currency),
            stop: None,
        }),
        Err(reason) => {
            tracing::error!("{reason}");
            let report = assemble(
                catalogue,
                plan,
                (&settings, &scope),
                (&started_at, started),
                |_, _| {
                    Some(Verdict::Error {
                        reason: reason.clone(),
                    })
                },
            );
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
                (_, false) => skipped(category, case, unselected_reason(case, settings.profile)),
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
    if let Some(runner) = &mut run {
        runner.adapter.shutdown().await;
    }
    let certificate = match &run {
        Some(runner) => runner.session.certificate().await.unwrap_or_else(|e| {
            tracing::warn!("cannot fetch the certificate: {e}");
            None
        }),
        None => None,
    };
    let mut report = report(&settings, &scope, (&started_at, started), categories);
    report.certificate = certificate;
    report
}

/// The session request of a run: identification, adapter, catalogue and selection.
fn session_request(catalogue: &Catalogue, plan: &Plan, settings: &DriveSettings) -> SessionRequest {
    let choice = if settings.custom_catalogue {
        CatalogueChoice::Custom {
            files: catalogue
                .sources
                .iter()
                .map(|(name, text)| CatalogueFile {
                    name: name.clone(),
                    text: text.clone(),
                })
                .collect(),
        }
    } else {
        CatalogueChoice::Builtin {
            digest: catalogue.digest.clone(),
        }
    };
    SessionRequest {
        client_name: settings.client_name.clone(),
        client_version: settings.client_version.clone(),
        adapter: settings.client.adapter_info(),
        profile: settings.profile,
        catalogue: choice,
        cases: plan
            .selected_cases(catalogue)
            .map(|(category, case)| case_id(category, case))
            .collect(),
        merchant_vat: Some(settings.merchant_vat.clone()),
        integrator_client_ids: settings.integrator_client_ids.clone(),
    }
}

/// The catalogue's provenance as this run knows it before the service confirms it.
fn provenance_of(catalogue: &Catalogue, settings: &DriveSettings) -> CatalogueProvenance {
    if settings.custom_catalogue {
        CatalogueProvenance::custom(&catalogue.digest)
    } else {
        CatalogueProvenance::builtin(&catalogue.digest)
    }
}

/// Opens the session and connects the client under test to it; also returns the currency of
/// the merchant the session certifies as, which `{{currency}}` stands for.
async fn connect(
    settings: &DriveSettings,
    request: &SessionRequest,
) -> Result<(RemoteSession, Adapter, CurrencyCode), String> {
    let session = RemoteSession::open(
        &settings.service_url,
        settings.service_token.as_ref(),
        request,
    )
    .await
    .map_err(|e| e.to_string())?;
    let created = &session.created;
    let currency = merchants::by_vat(&created.merchant_vat)
        .map(|merchant| merchant.currency)
        .ok_or_else(|| {
            format!(
                "the certification service certifies as `{}`, which is not a certification merchant",
                created.merchant_vat
            )
        })?;
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
    Ok((session, adapter, currency))
}

/// Why a case does not run: outside the profile, or not selected.
fn unselected_reason(case: &LocatedCase, profile: Profile) -> &'static str {
    if case.case.in_profile(profile) {
        "not selected"
    } else {
        plan::OUTSIDE_PROFILE
    }
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
        truncated: None,
        client_log: None,
    }
}

fn assemble(
    catalogue: &Catalogue,
    plan: &Plan,
    (settings, scope): (&DriveSettings, &Scope),
    (started_at, started): (&str, Instant),
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
                    let mut report =
                        skipped(category, case, unselected_reason(case, settings.profile));
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
    report(settings, scope, (started_at, started), categories)
}

/// What a run certifies from: the catalogue as named (by the service once it answered) and the
/// selection.
struct Scope {
    catalogue: CatalogueProvenance,
    selection: Selection,
}

fn meta(settings: &DriveSettings, scope: &Scope, started_at: &str, started: Instant) -> RunMeta {
    RunMeta {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        client_name: settings.client_name.clone(),
        client_version: settings.client_version.clone(),
        client: settings.client.describe(),
        merchant_vat: settings.merchant_vat.clone(),
        target: settings.target_label.clone(),
        catalogue: scope.catalogue.clone(),
        started_at: started_at.to_string(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        time_scale: settings.time_scale,
        profile: settings.profile,
        selection: scope.selection.clone(),
    }
}

fn report(
    settings: &DriveSettings,
    scope: &Scope,
    (started_at, started): (&str, Instant),
    categories: Vec<CategoryReport>,
) -> RunReport {
    RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        meta: meta(settings, scope, started_at, started),
        categories,
        certificate: None,
    }
}
