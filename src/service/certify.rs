//! Issuing a session's certificate (the website's Approval step). It is issued only when every
//! selected case has its one final verdict and that verdict is a pass, and only for the
//! categories that have at least one case and all of whose cases were selected and passed; the
//! mandatory category must be among them. It states what was proven: client, adapter, catalogue,
//! time scale, merchant, mpcert version, categories with their case counts.

use crate::report::{Certificate, CertifiedCategory, Verdict};

use super::session::{Identity, Session};

/// The certificate of a session, or why there is none.
pub fn issue(
    identity: &Identity,
    session: &Session,
    session_id: &str,
    issued_at: &str,
) -> Result<Certificate, String> {
    let not_passed: Vec<String> = session
        .selected()
        .iter()
        .filter(|id| session.verdict_of(id) != Some(&Verdict::Passed))
        .map(|id| match session.verdict_of(id) {
            Some(verdict) => format!("{id} ({})", verdict.word()),
            None => format!("{id} (not finished)"),
        })
        .collect();
    if !not_passed.is_empty() {
        return Err(format!("{} did not pass", not_passed.join(", ")));
    }
    let passed = |id: &str| session.verdict_of(id) == Some(&Verdict::Passed);
    let mut categories = Vec::new();
    for category in &session.catalogue().categories {
        let ids: Vec<String> = category
            .cases
            .iter()
            .map(|c| format!("{}/{}", category.header.id, c.case.id))
            .collect();
        let certified = !ids.is_empty() && ids.iter().all(|id| passed(id));
        if certified {
            categories.push(CertifiedCategory {
                id: category.header.id.clone(),
                cases: ids.len(),
            });
        } else if category.header.mandatory {
            return Err(format!(
                "the mandatory category {} did not pass in full",
                category.header.id
            ));
        }
    }
    if categories.is_empty() {
        return Err("no category has a case that passed".to_string());
    }
    let version = &identity.client_version;
    let certified_version = version
        .rsplit_once('.')
        .map_or(version.as_str(), |(major_minor, _)| major_minor);
    Ok(Certificate {
        client_name: identity.client_name.clone(),
        client_version: version.clone(),
        certified_version: certified_version.to_string(),
        adapter: identity.adapter.clone(),
        catalogue: identity.catalogue.clone(),
        time_scale: session.clock().scale(),
        merchant_vat: identity.merchant_vat.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        categories,
        session_id: session_id.to_string(),
        issued_at: issued_at.to_string(),
    })
}
