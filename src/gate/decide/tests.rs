use super::*;
use crate::report::certificate::fixtures::certificate;
use crate::report::{AdapterInfo, CatalogueProvenance};

const ID: &str = "0b7f6c1e-55f3-4b6f-9a43-1d2c3b4a5f60";

fn requirements(version: &str, categories: &[&str]) -> Requirements {
    Requirements {
        version: Version::parse(version).unwrap_or_else(|e| panic!("{e}")),
        categories: categories.iter().map(|c| (*c).to_string()).collect(),
        strict: false,
        real_time: false,
        allow_custom_catalogue: false,
        client_id: None,
        trusted_key: None,
    }
}

fn entries(certificates: Vec<Certificate>) -> Vec<Entry> {
    (certificates.into_iter().enumerate())
        .map(|(index, certificate)| Entry {
            line: index + 1,
            certificate,
        })
        .collect()
}

fn decided(requirements: &Requirements, entries: &[Entry]) -> Decision {
    let certified: Vec<Certified<'_>> = (entries.iter())
        .map(|entry| Certified {
            line: MajorMinor::parse(&entry.certificate.certified_version)
                .unwrap_or_else(|e| panic!("{e}")),
            entry,
        })
        .collect();
    decide(requirements, &certified)
}

fn refusal(requirements: &Requirements, entries: &[Entry]) -> String {
    match decided(requirements, entries) {
        Decision::Refuse(message) => message,
        Decision::Ship(message) => panic!("shipped: {message}"),
    }
}

fn shipped(requirements: &Requirements, entries: &[Entry]) -> String {
    match decided(requirements, entries) {
        Decision::Ship(message) => message,
        Decision::Refuse(message) => panic!("refused: {message}"),
    }
}

const BASIC: [&str; 2] = ["onboarding", "payments"];

#[test]
fn the_certified_major_minor_ships_and_so_does_a_build_of_it() {
    let ledger = entries(vec![certificate("2.3.0", &BASIC)]);
    let message = shipped(&requirements("2.3.0", &BASIC), &ledger);
    assert!(message.starts_with("2.3.0 may ship: 2.3 certified on 2026-03-01 (Acme Till 2.3.0, mobilepay profile, time scale 1, built-in catalogue"), "{message}");
    assert!(
        message.ends_with("onboarding, payments; ledger line 1)"),
        "{message}"
    );
    let message = shipped(&requirements("2.3.7", &["onboarding"]), &ledger);
    assert!(message.ends_with("; 2.3.7 is a build of 2.3 like the certified 2.3.0, and a build needs no recertification"), "{message}");
}

#[test]
fn a_minor_or_major_bump_needs_certification_and_says_what_was_certified_last() {
    let ledger = entries(vec![
        certificate("2.2.0", &BASIC),
        certificate("2.3.1", &["onboarding", "payments"]),
    ]);
    let wanted = ["onboarding", "payments", "refunds"];
    assert_eq!(
        refusal(&requirements("2.4.0", &wanted), &ledger),
        "2.4.0 needs certification: last certified 2.3 on 2026-03-01; 2.4 is a new minor version, and was never certified; refunds not certified for 2.3"
    );
    assert_eq!(
        refusal(&requirements("3.0.0", &BASIC), &ledger),
        "3.0.0 needs certification: last certified 2.3 on 2026-03-01; 3.0 is a new major version, and was never certified"
    );
}

#[test]
fn a_build_bump_of_a_never_certified_major_minor_is_named() {
    let ledger = entries(vec![certificate("2.3.0", &BASIC)]);
    let message = refusal(&requirements("2.4.3", &BASIC), &ledger);
    assert!(message.ends_with("; 2.4.3 is a build of 2.4, and only a build of a certified Major.Minor needs no certification"), "{message}");
}

#[test]
fn an_older_version_is_a_lookup_that_says_it_is_older() {
    let ledger = entries(vec![
        certificate("2.2.0", &BASIC),
        certificate("2.5.0", &BASIC),
    ]);
    let message = shipped(&requirements("2.2.0", &BASIC), &ledger);
    assert!(
        message.ends_with("; note: 2.2 is older than the newest certified version, 2.5"),
        "{message}"
    );
    assert_eq!(
        refusal(&requirements("2.1.0", &BASIC), &ledger),
        "2.1.0 needs certification: last certified 2.5 on 2026-03-01; 2.1 was never certified (2.1.0 is older than the newest certified version, 2.5)"
    );
}

#[test]
fn an_empty_ledger_certifies_nothing() {
    assert_eq!(
        refusal(&requirements("1.0.0", &["onboarding"]), &[]),
        "1.0.0 needs certification: the ledger holds no certificate"
    );
}

#[test]
fn a_missing_category_is_named_for_each_certificate() {
    let ledger = entries(vec![certificate("2.3.0", &["onboarding"])]);
    assert_eq!(
        refusal(&requirements("2.3.0", &BASIC), &ledger),
        "2.3.0 needs certification: 2.3 was certified, but no certificate of it counts; the certificate of Acme Till 2.3.0 of 2026-03-01 (ledger line 1): payments not certified"
    );
}

#[test]
fn the_reference_client_never_counts() {
    let mut reference = certificate("2.3.0", &BASIC);
    reference.adapter = AdapterInfo {
        kind: AdapterKind::Reference,
        command_digest: None,
    };
    let message = refusal(&requirements("2.3.0", &BASIC), &entries(vec![reference]));
    assert!(message.ends_with("earned by mpcert's reference client, which proves nothing about your client (certify it with --client exec:… or http:…)"), "{message}");
}

#[test]
fn a_custom_catalogue_counts_only_when_allowed() {
    let mut custom = certificate("2.3.0", &BASIC);
    custom.catalogue = CatalogueProvenance::custom("feed");
    let ledger = entries(vec![custom]);
    let mut wanted = requirements("2.3.0", &BASIC);
    let message = refusal(&wanted, &ledger);
    assert!(message.ends_with("earned with custom catalogue feed rather than the built-in catalogue MobilePay's certification follows (--allow-custom-catalogue accepts it)"), "{message}");
    wanted.allow_custom_catalogue = true;
    shipped(&wanted, &ledger);
}

#[test]
fn real_time_strict_and_a_client_id_are_required_when_asked() {
    let mut compressed = certificate("2.3.0", &BASIC);
    compressed.time_scale = 0.01;
    let mut wanted = requirements("2.3.0", &BASIC);
    let ledger = entries(vec![compressed]);
    shipped(&wanted, &ledger);
    wanted.real_time = true;
    assert!(refusal(&wanted, &ledger).ends_with("earned at time scale 0.01, not in real time"));
    wanted.real_time = false;
    wanted.strict = true;
    assert!(refusal(&wanted, &ledger).ends_with("earned in the mobilepay profile, not strict"));
    let mut strict = certificate("2.3.0", &BASIC);
    strict.profile = Profile::Strict;
    strict.integrator_client_ids = vec![ID.to_string()];
    let ledger = entries(vec![strict.clone()]);
    shipped(&wanted, &ledger);
    wanted.client_id = Some(ID.to_string());
    let message = shipped(&wanted, &ledger);
    assert!(message.contains(&format!("client ids {ID}")), "{message}");
    wanted.client_id = Some("11111111-2222-3333-4444-555555555555".to_string());
    let message = refusal(&wanted, &ledger);
    assert!(
        message.ends_with(&format!(
            "not for client id 11111111-2222-3333-4444-555555555555 (it names {ID})"
        )),
        "{message}"
    );
    strict.integrator_client_ids.clear();
    let message = refusal(&wanted, &entries(vec![strict]));
    assert!(message.ends_with("(it names no client id)"), "{message}");
}

#[test]
fn a_later_certificate_that_counts_wins_over_earlier_ones_that_do_not() {
    let mut compressed = certificate("2.3.0", &BASIC);
    compressed.time_scale = 0.01;
    let real = certificate("2.3.1", &BASIC);
    let mut wanted = requirements("2.3.2", &BASIC);
    wanted.real_time = true;
    let message = shipped(&wanted, &entries(vec![real.clone(), compressed.clone()]));
    assert!(
        message.contains("(Acme Till 2.3.1,") && message.contains("ledger line 1)"),
        "{message}"
    );
    let ledger = entries(vec![compressed; 5]);
    let message = refusal(&wanted, &ledger);
    assert!(
        message.contains("(ledger line 5)") && message.contains("(ledger line 3)"),
        "{message}"
    );
    assert!(!message.contains("(ledger line 2)"), "{message}");
    assert!(
        message.ends_with("; and 2 older certificates of 2.3"),
        "{message}"
    );
}

#[test]
fn a_trusted_key_accepts_only_certificates_it_signed() -> Result<(), signature::SignatureError> {
    let trusted = crate::keys::PrivateKey::generate();
    let other = crate::keys::PrivateKey::generate();
    let mut needs = requirements("2.3.1", &["onboarding", "payments"]);
    needs.trusted_key = Some(trusted.public_key());
    let unsigned = certificate("2.3.0", &["onboarding", "payments"]);
    let by_trusted = signature::sign(unsigned.clone(), &trusted)?;
    let by_other = signature::sign(unsigned.clone(), &other)?;
    assert!(matches!(
        decided(&needs, &entries(vec![by_trusted.clone()])),
        Decision::Ship(_)
    ));
    for (certificate, why) in [
        (
            unsigned,
            "not signed by the trusted key: the certificate is not signed",
        ),
        (
            by_other,
            "not signed by the trusted key: the certificate is signed by key",
        ),
    ] {
        let refused = refusal(&needs, &entries(vec![certificate]));
        assert!(refused.contains(why), "{refused}");
    }
    let mut forged = by_trusted;
    forged.categories.push(crate::report::CertifiedCategory {
        id: "refunds".into(),
        cases: 2,
    });
    let refused = refusal(&needs, &entries(vec![forged]));
    assert!(
        refused.contains("not signed by the trusted key"),
        "{refused}"
    );
    Ok(())
}
