//! The RunReport: the versioned, serialisable result of a run and the pivot every renderer reads.
//! It holds run metadata, and per category and case the verdict, findings, step results and the
//! recorded exchanges. Nothing here computes; it is data.

use serde::{Deserialize, Serialize};

use crate::exchange::Exchange;

use super::certificate::{CatalogueProvenance, Certificate};
use super::selection::Selection;
use crate::catalogue::model::Profile;
use crate::pos::constants::CERT_MERCHANT_VAT_DK;

/// The schema version written into every report.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// Always [`REPORT_SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// Who ran what against what.
    pub meta: RunMeta,
    /// Categories in catalogue order.
    pub categories: Vec<CategoryReport>,
    /// The certificate the service issued, when every selected case passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
}

/// Run metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunMeta {
    /// mpcert's version.
    pub tool_version: String,
    /// The client system's name as declared.
    pub client_name: String,
    /// The client system's version as declared (the certified version).
    pub client_version: String,
    /// The client adapter, e.g. `reference`.
    pub client: String,
    /// The certification merchant the client acted for (VAT number); reports written before it
    /// was recorded certified as the Danish one.
    #[serde(default = "default_merchant_vat")]
    pub merchant_vat: String,
    /// The certification target, e.g. `embedded`.
    pub target: String,
    /// The catalogue the cases came from: built-in (with mpcert's version) or custom, by digest.
    pub catalogue: CatalogueProvenance,
    /// RFC 3339 UTC start time.
    pub started_at: String,
    /// Wall-clock duration of the run in milliseconds.
    pub duration_ms: f64,
    /// The service's time scale.
    pub time_scale: f64,
    /// The profile the run is judged in.
    #[serde(default = "default_profile")]
    pub profile: Profile,
    /// Which categories the run selected, in full or in part (empty in reports written before
    /// it was recorded).
    #[serde(default)]
    pub selection: Selection,
}

impl RunMeta {
    /// Whether the run was against a remote PoS target (`sandbox`, `pos:<url>`), which never
    /// earns a certificate.
    pub fn is_remote_target(&self) -> bool {
        self.target == "sandbox" || self.target.starts_with("pos:")
    }
}

fn default_profile() -> Profile {
    Profile::Mobilepay
}

fn default_merchant_vat() -> String {
    CERT_MERCHANT_VAT_DK.to_string()
}

/// One category's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryReport {
    /// Category id.
    pub id: String,
    /// Category title.
    pub title: String,
    /// Whether the category is mandatory.
    pub mandatory: bool,
    /// The catalogue file.
    pub file: String,
    /// RFC 3339 UTC time the first case started (the run start if none ran).
    pub started_at: String,
    /// Cases in catalogue order.
    pub cases: Vec<CaseReport>,
}

/// One case's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    /// Case id (without the category).
    pub id: String,
    /// Case title.
    pub title: String,
    /// Case summary.
    pub summary: String,
    /// The catalogue file.
    pub file: String,
    /// Line of the case in its file.
    pub line: u32,
    /// The verdict.
    pub verdict: Verdict,
    /// Wall-clock duration in milliseconds.
    pub duration_ms: f64,
    /// Step results in order.
    pub steps: Vec<StepReport>,
    /// Exchanges recorded during the case, in order.
    pub exchanges: Vec<Exchange>,
    /// Set when the case made more calls than the service records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncation>,
    /// The tail of what the client wrote to its own log (an exec client's stderr) during the
    /// case, secrets scrubbed; absent when it wrote nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_log: Option<String>,
}

/// How much of a case the service did not record because the case exceeded its bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Truncation {
    /// Exchanges that were kept.
    pub kept: u64,
    /// Exchanges counted but not kept.
    pub dropped: u64,
    /// Bytes (paths, headers, bodies) of the exchanges not kept.
    pub dropped_bytes: u64,
}

/// A case verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Every step met its expectations and no conduct rule was broken.
    Passed,
    /// The client misbehaved.
    Failed {
        /// What it did wrong, at least one.
        findings: Vec<Finding>,
    },
    /// No trustworthy verdict was possible.
    Error {
        /// Why.
        reason: String,
    },
    /// The case did not run.
    Skipped {
        /// Why.
        reason: String,
    },
}

impl Verdict {
    /// A short lowercase word: passed, failed, error, skipped.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed { .. } => "failed",
            Verdict::Error { .. } => "error",
            Verdict::Skipped { .. } => "skipped",
        }
    }
}

/// One thing the client did wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable rule id, e.g. `idempotency-key-reused-on-retry`.
    pub rule: String,
    /// Step index (0-based), if the finding belongs to a step.
    pub step: Option<usize>,
    /// Exchange sequence number, if one exchange is the evidence.
    pub exchange: Option<u64>,
    /// One line saying what was wrong and why it matters.
    pub message: String,
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    /// Step index (0-based).
    pub index: usize,
    /// The operation.
    pub op: String,
    /// Title (defaults to the operation).
    pub title: String,
    /// Parameters after templating.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// What the client answered.
    pub outcome: StepOutcome,
    /// Fields of the client's response that the driver protocol does not define (those of its
    /// `error` object under `error`), kept as sent.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub unknown_fields: serde_json::Map<String, serde_json::Value>,
    /// Wall-clock duration in milliseconds.
    pub duration_ms: f64,
}

/// What the client answered to a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepOutcome {
    /// The operation succeeded with this result.
    Ok {
        /// Result fields.
        result: serde_json::Map<String, serde_json::Value>,
    },
    /// The client reported that the operation failed.
    Failed {
        /// The client's message.
        message: String,
    },
    /// The step did not run (an earlier step failed or the adapter broke).
    NotRun,
}
