//! The certificate and what it is made of: which client (name, version, how it was operated),
//! which catalogue (built-in with mpcert's version, or custom, by digest), at which time scale,
//! for which merchant, by which mpcert, which categories were selected and which certified with
//! how many cases. Release gates
//! trust this document, so it states exactly what was proven. It is data; the service issues it,
//! and signs it when it has a signing key ([`signature`], over the [`canonical`] form).

pub mod canonical;
pub mod signature;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalogue::model::Profile;

use super::selection::Selection;

/// The name the reference client is certified under, whatever a run declares.
pub const REFERENCE_CLIENT_NAME: &str = "mpcert reference client";

/// How the client under test was operated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    /// mpcert's own reference client.
    Reference,
    /// An integrator's client started as a command (driver protocol over stdin/stdout).
    Exec,
    /// An integrator's client reached over HTTP (driver protocol per POST).
    Http,
}

impl AdapterKind {
    /// The kind's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AdapterKind::Reference => "reference",
            AdapterKind::Exec => "exec",
            AdapterKind::Http => "http",
        }
    }
}

/// The adapter of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdapterInfo {
    /// Its kind.
    pub kind: AdapterKind,
    /// SHA-256 of the client command or URL, hex (absent for the reference client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_digest: Option<String>,
}

/// Where a catalogue came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueSourceKind {
    /// Compiled into mpcert.
    Builtin,
    /// Supplied with `--cases DIR`.
    Custom,
}

/// Which catalogue a run used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueProvenance {
    /// Built-in or custom.
    pub source: CatalogueSourceKind,
    /// SHA-256 over every file's name and content, hex.
    pub digest: String,
    /// The mpcert version whose built-in catalogue it is (absent for a custom one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
}

impl CatalogueProvenance {
    /// The built-in catalogue of this mpcert.
    pub fn builtin(digest: &str) -> Self {
        CatalogueProvenance {
            source: CatalogueSourceKind::Builtin,
            digest: digest.to_string(),
            tool_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }
    }

    /// A custom catalogue.
    pub fn custom(digest: &str) -> Self {
        CatalogueProvenance {
            source: CatalogueSourceKind::Custom,
            digest: digest.to_string(),
            tool_version: None,
        }
    }

    /// Whether it is a custom catalogue.
    pub fn is_custom(&self) -> bool {
        self.source == CatalogueSourceKind::Custom
    }
}

impl fmt::Display for CatalogueProvenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, &self.tool_version) {
            (CatalogueSourceKind::Builtin, Some(version)) => {
                write!(
                    f,
                    "built-in catalogue of mpcert {version} ({})",
                    self.digest
                )
            }
            (CatalogueSourceKind::Builtin, None) => {
                write!(f, "built-in catalogue ({})", self.digest)
            }
            (CatalogueSourceKind::Custom, _) => write!(f, "custom catalogue {}", self.digest),
        }
    }
}

/// A certified category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertifiedCategory {
    /// Category id.
    pub id: String,
    /// How many cases it has; every one passed.
    pub cases: usize,
}

/// The certificate a session earns (the website's Approval step): issued only when every
/// selected case has exactly one final verdict, passed, with every step run and judged, and the
/// mandatory category is among the certified ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// The client system's name.
    pub client_name: String,
    /// The full version that was tested.
    pub client_version: String,
    /// The Major.Minor the certificate covers (a Build change needs no recertification).
    pub certified_version: String,
    /// How the client was operated.
    pub adapter: AdapterInfo,
    /// The profile the cases were judged in.
    pub profile: Profile,
    /// The catalogue the cases came from.
    pub catalogue: CatalogueProvenance,
    /// The time scale the service ran at (1 is real time).
    pub time_scale: f64,
    /// The merchant the client acted for.
    pub merchant_vat: String,
    /// The mpcert that issued it.
    pub tool_version: String,
    /// What the session selected: every category with a selected case, with how many of its
    /// cases were selected, and whether some category was selected only in part.
    pub selection: Selection,
    /// The categories all of whose cases ran and passed, in catalogue order.
    pub categories: Vec<CertifiedCategory>,
    /// The session that earned it.
    pub session_id: String,
    /// RFC 3339 UTC time of issue.
    pub issued_at: String,
    /// The issuing service's signature over the rest of the certificate (absent when the service
    /// has no signing key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<signature::CertificateSignature>,
    /// The integrator's MobilePay client ids (sandbox and production) the client was declared
    /// with: public identifiers, so a release gate can ask for a given production client id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integrator_client_ids: Vec<String>,
}

/// Certificates for unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::report::selection::SelectedCategory;

    /// A certificate of an integrator's exec client at `client_version` (Major.Minor.Build)
    /// for `categories`, in the default profile, real time, with the built-in catalogue.
    pub(crate) fn certificate(client_version: &str, categories: &[&str]) -> Certificate {
        let certified_version = client_version
            .rsplit_once('.')
            .map_or(client_version, |(major_minor, _)| major_minor);
        Certificate {
            client_name: "Acme Till".into(),
            client_version: client_version.into(),
            certified_version: certified_version.into(),
            adapter: AdapterInfo {
                kind: AdapterKind::Exec,
                command_digest: Some("ab".repeat(32)),
            },
            profile: Profile::Mobilepay,
            catalogue: CatalogueProvenance::builtin(&"cd".repeat(32)),
            time_scale: 1.0,
            merchant_vat: "DK90000028".into(),
            tool_version: "0.1.0".into(),
            selection: Selection {
                partial_run: false,
                categories: (categories.iter())
                    .map(|id| SelectedCategory {
                        id: (*id).into(),
                        selected: 2,
                        cases: 2,
                    })
                    .collect(),
            },
            categories: (categories.iter())
                .map(|id| CertifiedCategory {
                    id: (*id).into(),
                    cases: 2,
                })
                .collect(),
            session_id: "4b0f2c7e-9d1a-4c3b-8e5f-6a7b8c9d0e1f".into(),
            issued_at: "2026-03-01T10:00:00Z".into(),
            integrator_client_ids: Vec::new(),
            signature: None,
        }
    }
}
