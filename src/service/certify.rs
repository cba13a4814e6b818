//! Issuing a session's certificate (the website's Approval step). It is issued only when every
//! selected case has its one final verdict and that verdict is a pass, and only for the
//! categories that have at least one case in the session's profile and all of whose cases in
//! that profile were selected and passed; the mandatory category must be among them. It states
//! what was proven: client, adapter, catalogue, time scale, merchant, mpcert version, the
//! selection (a partial run says so) and the certified categories with their case counts. A
//! session on a remote target is never certified ([`REMOTE_NOT_CERTIFIED`]). A service with a
//! signing key signs every certificate it issues ([`seal`]).

use crate::keys::PrivateKey;
use crate::report::certificate::signature;
use crate::report::{Certificate, CertifiedCategory, Selection, Verdict};

/// Why a session on a remote target (a forwarding service) is never certified: the categories
/// are certified on what the certification backend scripts, and a remote target scripts
/// nothing, so no category — onboarding, the mandatory one, least of all — can run in full.
pub const REMOTE_NOT_CERTIFIED: &str = "a remote PoS target proves the client's conduct on the cases it can run, but never earns a certificate: every category needs the certification backend's scripted customer or faults for some of its cases";

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
            .filter(|c| c.case.in_profile(identity.profile))
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
        profile: identity.profile,
        catalogue: identity.catalogue.clone(),
        time_scale: session.clock().scale(),
        merchant_vat: identity.merchant_vat.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        selection: Selection::of(session.catalogue(), identity.profile, session.selected()),
        categories,
        session_id: session_id.to_string(),
        issued_at: issued_at.to_string(),
        signature: None,
        integrator_client_ids: identity.integrator_client_ids.clone(),
    })
}

/// The certificate as the service hands it out: signed by `key` when the service has one.
pub fn seal(certificate: Certificate, key: Option<&PrivateKey>) -> Result<Certificate, String> {
    match key {
        Some(key) => signature::sign(certificate, key).map_err(|e| format!("cannot sign it: {e}")),
        None => Ok(certificate),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::report::{AdapterInfo, AdapterKind, CatalogueProvenance};
    use crate::service::clock::Clock;
    use crate::service::emulator::fixtures::{VAT, case, catalogue_of};

    const CLIENT_ID: &str = "0b7f6c1e-55f3-4b6f-9a43-1d2c3b4a5f60";

    const ALL: [&str; 3] = ["onboarding/onboard", "payments/pay", "payments/cancel"];

    fn identity() -> Identity {
        Identity {
            client_name: "Acme POS".into(),
            client_version: "2.1.7".into(),
            adapter: AdapterInfo {
                kind: AdapterKind::Exec,
                command_digest: Some("ab".repeat(32)),
            },
            profile: crate::catalogue::model::Profile::Mobilepay,
            catalogue: CatalogueProvenance::builtin("digest"),
            merchant_vat: VAT.into(),
            integrator_client_ids: vec![CLIENT_ID.into()],
        }
    }

    /// A session over [`ALL`] that selected `selected` and concluded them with `verdicts`.
    fn finished(selected: &[&str], verdicts: &[(&str, Verdict)]) -> Session {
        let cases = ALL
            .iter()
            .map(|id| (*id, case(Default::default(), Vec::new())))
            .collect();
        let mut session = Session::new(
            Arc::new(catalogue_of(cases)),
            selected.iter().map(|id| (*id).to_string()).collect(),
            Clock::new(0.5),
        );
        for (id, verdict) in verdicts {
            session.conclude(id, verdict.clone());
        }
        session
    }

    fn issued(session: &Session) -> Result<Certificate, String> {
        issue(&identity(), session, "session-1", "2026-01-01T00:00:00Z")
    }

    fn failed() -> Verdict {
        Verdict::Failed {
            findings: Vec::new(),
        }
    }

    #[test]
    fn every_case_passed_certifies_every_category_and_says_what_was_proven() {
        let verdicts: Vec<(&str, Verdict)> = ALL.iter().map(|id| (*id, Verdict::Passed)).collect();
        let certificate = match issued(&finished(&ALL, &verdicts)) {
            Ok(certificate) => certificate,
            Err(reason) => panic!("every case passed: {reason}"),
        };
        assert_eq!(certificate.certified_version, "2.1");
        assert_eq!(certificate.client_name, "Acme POS");
        assert_eq!(certificate.adapter.kind, AdapterKind::Exec);
        assert_eq!(certificate.time_scale, 0.5);
        assert_eq!(certificate.merchant_vat, VAT);
        assert_eq!(certificate.session_id, "session-1");
        assert_eq!(
            certificate.integrator_client_ids,
            vec![CLIENT_ID.to_string()]
        );
        let categories: Vec<(&str, usize)> = certificate
            .categories
            .iter()
            .map(|c| (c.id.as_str(), c.cases))
            .collect();
        assert_eq!(categories, vec![("onboarding", 1), ("payments", 2)]);
        assert!(!certificate.selection.partial_run);
        assert_eq!(certificate.selection.categories.len(), 2);
    }

    #[test]
    fn a_service_with_a_signing_key_signs_and_one_without_does_not() {
        let verdicts: Vec<(&str, Verdict)> = ALL.iter().map(|id| (*id, Verdict::Passed)).collect();
        let key = PrivateKey::generate();
        let sealed = issued(&finished(&ALL, &verdicts)).and_then(|c| seal(c, Some(&key)));
        let verified = sealed.map(|c| signature::verify(&c, &key.public_key()));
        assert_eq!(verified, Ok(Ok(())));
        let unsigned = issued(&finished(&ALL, &verdicts)).and_then(|c| seal(c, None));
        assert!(unsigned.is_ok_and(|c| c.signature.is_none()));
    }

    #[test]
    fn a_partly_run_category_is_not_certified() {
        let selected = ["onboarding/onboard", "payments/pay"];
        let verdicts = [
            ("onboarding/onboard", Verdict::Passed),
            ("payments/pay", Verdict::Passed),
        ];
        let certificate = match issued(&finished(&selected, &verdicts)) {
            Ok(certificate) => certificate,
            Err(reason) => panic!("onboarding passed in full: {reason}"),
        };
        let ids: Vec<&str> = certificate
            .categories
            .iter()
            .map(|k| k.id.as_str())
            .collect();
        assert_eq!(ids, vec!["onboarding"]);
        let selection = &certificate.selection;
        assert!(selection.partial_run);
        let selected: Vec<(&str, usize, usize)> = (selection.categories.iter())
            .map(|c| (c.id.as_str(), c.selected, c.cases))
            .collect();
        assert_eq!(selected, vec![("onboarding", 1, 1), ("payments", 1, 2)]);
    }

    #[test]
    fn a_case_that_did_not_pass_or_did_not_finish_withholds_it_and_is_named() {
        let selected = ["onboarding/onboard", "payments/pay"];
        let verdicts = [
            ("onboarding/onboard", Verdict::Passed),
            ("payments/pay", failed()),
        ];
        assert_eq!(
            issued(&finished(&selected, &verdicts)).err(),
            Some("payments/pay (failed) did not pass".to_string())
        );
        assert_eq!(
            issued(&finished(&selected, &verdicts[..1])).err(),
            Some("payments/pay (not finished) did not pass".to_string())
        );
    }

    #[test]
    fn without_the_mandatory_category_in_full_nothing_is_certified() {
        let selected = ["payments/pay", "payments/cancel"];
        let verdicts = [
            ("payments/pay", Verdict::Passed),
            ("payments/cancel", Verdict::Passed),
        ];
        let refused = issued(&finished(&selected, &verdicts)).err();
        assert_eq!(
            refused,
            Some("the mandatory category onboarding did not pass in full".to_string())
        );
    }
}
