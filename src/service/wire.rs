//! The session API's wire format: what a driver sends to open a session (identification,
//! adapter, catalogue by digest, selection), what the service answers, and the bodies of the
//! case calls. It is deliberately separate from the catalogue's YAML model: a session names the
//! catalogue by digest (or uploads a custom one as files), and the service arms and judges cases
//! from its own copy, so no driver can hand the judge its own expectations.

use serde::{Deserialize, Serialize};

use crate::catalogue::model::Profile;
use crate::exchange::Exchange;
use crate::report::{AdapterInfo, CatalogueProvenance, Truncation, Verdict};

/// What a driver declares when it opens a session (identification and selection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRequest {
    /// The client system's name.
    pub client_name: String,
    /// The version being certified (`Major.Minor.Build`).
    pub client_version: String,
    /// How the client under test is operated.
    pub adapter: AdapterInfo,
    /// The profile to judge in (`mobilepay` when absent).
    #[serde(default = "default_profile")]
    pub profile: Profile,
    /// Which catalogue the session runs.
    pub catalogue: CatalogueChoice,
    /// The selected cases by full id (`category/case`); every case of the mandatory category
    /// must be among them.
    pub cases: Vec<String>,
    /// The certification merchant to certify as (`DK90000028` or `FI90000040`); absent, the
    /// Danish one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_vat: Option<String>,
    /// The integrator's MobilePay client ids (sandbox and production), as on the certification
    /// website: public identifiers, not secrets, recorded in the certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integrator_client_ids: Vec<String>,
}

fn default_profile() -> Profile {
    Profile::Mobilepay
}

/// The catalogue a session runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum CatalogueChoice {
    /// The service's built-in catalogue, named by its digest so driver and service are known to
    /// agree on every case.
    Builtin {
        /// SHA-256 of the built-in catalogue, hex.
        digest: String,
    },
    /// A catalogue uploaded for development; every verdict and certificate says so.
    Custom {
        /// The catalogue's files.
        files: Vec<CatalogueFile>,
    },
}

/// One uploaded catalogue file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogueFile {
    /// The file's name, used in positions (`cases/payments.yaml`).
    pub name: String,
    /// The YAML text.
    pub text: String,
}

/// The answer to creating a session: where and how the client under test connects, and the
/// session's own bearer token, which is returned only here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionCreated {
    /// The session id.
    pub session_id: String,
    /// The bearer token every further session call must carry; shown once.
    pub session_token: String,
    /// Per-session PoS client id.
    pub client_id: String,
    /// Per-session PoS client secret; shown once.
    pub client_secret: String,
    /// The certification merchant (VAT number) the session certifies as; the client acts for it.
    pub merchant_vat: String,
    /// The service's time scale.
    pub time_scale: f64,
    /// The catalogue the service arms and judges the session's cases from.
    pub catalogue: CatalogueProvenance,
    /// Path of the PoS v10 API on this service.
    pub api_base_path: String,
    /// Path of the token endpoint on this service.
    pub token_path: String,
    /// Seconds of inactivity after which the service forgets the session.
    pub idle_expiry_secs: u64,
}

/// The body of finishing a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinishRequest {
    /// The `Error` or `Skipped` verdict of a case the driver could not run to the end; absent,
    /// the service judges the case.
    #[serde(default)]
    pub unjudged: Option<Verdict>,
}

/// What the service observed during a case, returned when the case finishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRecord {
    /// The case's recorded exchanges in arrival order.
    pub exchanges: Vec<Exchange>,
    /// Payments created during the case and still `Reserved` at its end.
    pub open_reservations: Vec<String>,
    /// Refunds created during the case and still open (Initiated or Reserved) at its end.
    #[serde(default)]
    pub open_refunds: Vec<String>,
    /// The case's final verdict.
    pub verdict: Verdict,
    /// Set when the case made more calls than the service records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncation>,
}

/// Everything the service recorded in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    /// The declared client name.
    pub client_name: String,
    /// The declared client version.
    pub client_version: String,
    /// The catalogue the session runs.
    pub catalogue: CatalogueProvenance,
    /// Every final verdict, by full case id, in the order the cases finished.
    pub verdicts: Vec<(String, Verdict)>,
    /// Every recorded exchange in arrival order.
    pub exchanges: Vec<Exchange>,
}
