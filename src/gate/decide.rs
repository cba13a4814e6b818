//! The gate's decision, a pure function of the requirements and the ledger's entries: the
//! version may ship when a certificate of its Major.Minor meets every requirement; otherwise the
//! refusal says exactly what is missing — which Major.Minor was certified last and when, why
//! each certificate of the version's Major.Minor does not count, or which categories it lacks.

use crate::catalogue::model::Profile;
use crate::keys::PublicKey;
use crate::ledger::Entry;
use crate::report::certificate::signature;
use crate::report::{AdapterKind, Certificate};

use super::version::{MajorMinor, Version};

/// What a certificate must show for the gate to let a version ship.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirements {
    /// The version that is to ship.
    pub version: Version,
    /// Every category it must be certified for, the mandatory ones included.
    pub categories: Vec<String>,
    /// Whether the certificate must have been earned in the strict profile.
    pub strict: bool,
    /// Whether it must have been earned at time scale 1.
    pub real_time: bool,
    /// Whether a certificate earned with a custom catalogue counts.
    pub allow_custom_catalogue: bool,
    /// The production client id the certificate must name, lowercase.
    pub client_id: Option<String>,
    /// The public key the certificate must be signed with, when the gate trusts only one.
    pub trusted_key: Option<PublicKey>,
}

/// The gate's answer, with the message that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The version may ship.
    Ship(String),
    /// It needs certification.
    Refuse(String),
}

/// An entry of the ledger with the Major.Minor it certifies.
#[derive(Debug, Clone, Copy)]
pub struct Certified<'a> {
    /// The Major.Minor.
    pub line: MajorMinor,
    /// The entry.
    pub entry: &'a Entry,
}

/// Decides whether `requirements.version` may ship on the certificates of `ledger` (all of
/// them, in ledger order).
pub fn decide(requirements: &Requirements, ledger: &[Certified<'_>]) -> Decision {
    let version = requirements.version;
    let newest = ledger.iter().max_by_key(|c| (c.line, c.entry.line));
    let same: Vec<&Certified<'_>> = (ledger.iter().rev())
        .filter(|c| c.line == version.line)
        .collect();
    let accepted =
        (same.iter()).find(|c| shortfalls(requirements, &c.entry.certificate).is_empty());
    if let Some(accepted) = accepted {
        let mut message = format!("{version} may ship: {}", described(accepted));
        let certified = &accepted.entry.certificate.client_version;
        if *certified != version.to_string() {
            message.push_str(&format!(
                "; {version} is a build of {} like the certified {certified}, and a build needs no recertification",
                version.line
            ));
        }
        if let Some(newest) = newest.filter(|n| n.line > version.line) {
            message.push_str(&format!(
                "; note: {} is older than the newest certified version, {}",
                version.line, newest.line
            ));
        }
        return Decision::Ship(message);
    }
    let mut clauses = Vec::new();
    match newest {
        None => clauses.push("the ledger holds no certificate".to_string()),
        Some(newest) if same.is_empty() => {
            clauses.push(format!(
                "last certified {} on {}",
                newest.line,
                date(&newest.entry.certificate)
            ));
            clauses.push(never_certified(version, newest.line));
            let lacking = missing_categories(requirements, &newest.entry.certificate);
            if !lacking.is_empty() {
                clauses.push(format!(
                    "{} not certified for {}",
                    lacking.join(", "),
                    newest.line
                ));
            }
        }
        Some(_) => {
            clauses.push(format!(
                "{} was certified, but no certificate of it counts",
                version.line
            ));
            for refused in same.iter().take(SHOWN) {
                let reasons = shortfalls(requirements, &refused.entry.certificate);
                clauses.push(format!("{}: {}", named(refused), reasons.join(", ")));
            }
            if same.len() > SHOWN {
                clauses.push(format!(
                    "and {} older certificates of {}",
                    same.len() - SHOWN,
                    version.line
                ));
            }
        }
    }
    Decision::Refuse(format!(
        "{version} needs certification: {}",
        clauses.join("; ")
    ))
}

/// How many refused certificates of the version's Major.Minor a refusal details.
const SHOWN: usize = 3;

/// Why `version`'s Major.Minor, never certified, needs certification, against the newest
/// certified one.
fn never_certified(version: Version, newest: MajorMinor) -> String {
    let line = version.line;
    let mut clause = if line.major != newest.major && line > newest {
        format!("{line} is a new major version, and was never certified")
    } else if line > newest {
        format!("{line} is a new minor version, and was never certified")
    } else {
        format!(
            "{line} was never certified ({version} is older than the newest certified version, {newest})"
        )
    };
    if version.build > 0 {
        clause.push_str(&format!(
            "; {version} is a build of {line}, and only a build of a certified Major.Minor needs no certification"
        ));
    }
    clause
}

/// Everything that keeps `certificate` from letting the version ship, the version aside.
fn shortfalls(requirements: &Requirements, certificate: &Certificate) -> Vec<String> {
    let mut reasons = Vec::new();
    if certificate.adapter.kind == AdapterKind::Reference {
        reasons.push("earned by mpcert's reference client, which proves nothing about your client (certify it with --client exec:… or http:…)".to_string());
    }
    if certificate.catalogue.is_custom() && !requirements.allow_custom_catalogue {
        reasons.push(format!(
            "earned with {} rather than the built-in catalogue MobilePay's certification follows (--allow-custom-catalogue accepts it)",
            certificate.catalogue
        ));
    }
    if requirements.strict && certificate.profile != Profile::Strict {
        reasons.push(format!(
            "earned in the {} profile, not strict",
            certificate.profile.as_str()
        ));
    }
    if requirements.real_time && certificate.time_scale != 1.0 {
        reasons.push(format!(
            "earned at time scale {}, not in real time",
            certificate.time_scale
        ));
    }
    if let Some(id) = &requirements.client_id {
        if !certificate.integrator_client_ids.contains(id) {
            let named = match certificate.integrator_client_ids.as_slice() {
                [] => "no client id".to_string(),
                ids => ids.join(", "),
            };
            reasons.push(format!("not for client id {id} (it names {named})"));
        }
    }
    if let Some(key) = &requirements.trusted_key {
        if let Err(e) = signature::verify(certificate, key) {
            reasons.push(format!("not signed by the trusted key: {e}"));
        }
    }
    let lacking = missing_categories(requirements, certificate);
    if !lacking.is_empty() {
        reasons.push(format!("{} not certified", lacking.join(", ")));
    }
    reasons
}

/// The required categories `certificate` does not certify.
fn missing_categories(requirements: &Requirements, certificate: &Certificate) -> Vec<String> {
    (requirements.categories.iter())
        .filter(|id| !certificate.categories.iter().any(|c| &c.id == *id))
        .cloned()
        .collect()
}

/// The day a certificate was issued.
fn date(certificate: &Certificate) -> &str {
    certificate
        .issued_at
        .get(..10)
        .unwrap_or(&certificate.issued_at)
}

/// A certificate as a refusal names it.
fn named(certified: &Certified<'_>) -> String {
    let certificate = &certified.entry.certificate;
    format!(
        "the certificate of {} {} of {} (ledger line {})",
        certificate.client_name,
        certificate.client_version,
        date(certificate),
        certified.entry.line
    )
}

/// The certificate that lets a version ship, as the gate reports it.
fn described(certified: &Certified<'_>) -> String {
    let c = &certified.entry.certificate;
    let categories: Vec<&str> = c.categories.iter().map(|k| k.id.as_str()).collect();
    let ids = match c.integrator_client_ids.as_slice() {
        [] => String::new(),
        ids => format!(", client ids {}", ids.join(", ")),
    };
    format!(
        "{} certified on {} ({} {}, {} profile, time scale {}, {}; {}{ids}; ledger line {})",
        certified.line,
        date(c),
        c.client_name,
        c.client_version,
        c.profile.as_str(),
        c.time_scale,
        c.catalogue,
        categories.join(", "),
        certified.entry.line
    )
}

#[cfg(test)]
mod tests;
