//! Whole runs in-process: selection, a standalone service reached over its session API,
//! fail-fast, the JSON report, and that no secret reaches any output.

use std::net::{Ipv4Addr, SocketAddr};

use mpcert::client::reference::{Conduct, Misbehaviour};
use mpcert::config::Target;
use mpcert::report::json;
use mpcert::report::{
    AdapterInfo, AdapterKind, CatalogueProvenance, REFERENCE_CLIENT_NAME, Verdict,
};
use mpcert::service::ServiceOptions;

use crate::support::{case, config, read, run};

#[tokio::test]
async fn selecting_a_case_runs_onboarding_and_skips_the_rest() {
    let mut config = config(Conduct::default(), None);
    config.cases = vec!["payments/payment-client-cancel".into()];
    let outcome = run(config).await;
    assert_eq!(
        case(&outcome.report, "onboarding/onboard-pos").verdict,
        Verdict::Passed
    );
    assert_eq!(
        case(&outcome.report, "payments/payment-client-cancel").verdict,
        Verdict::Passed
    );
    let Some(certificate) = &outcome.report.certificate else {
        panic!("the selected cases passed");
    };
    let certified: Vec<&str> = certificate
        .categories
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        certified,
        vec!["onboarding"],
        "payments was only partly run"
    );
    assert!(matches!(
        case(&outcome.report, "payments/payment-complete").verdict,
        Verdict::Skipped { .. }
    ));
    assert_eq!(outcome.exit_code(), 0);
}

#[tokio::test]
async fn a_standalone_service_is_driven_through_its_session_api() {
    let service = mpcert::service::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        ServiceOptions::new(0.01),
    )
    .await
    .unwrap_or_else(|e| panic!("start: {e}"));
    let mut config = config(Conduct::default(), None);
    config.target = Target::Service(service.url());
    config.time_scale = 1.0;
    let outcome = run(config).await;
    service.stop().await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(
        outcome.report.meta.time_scale, 0.01,
        "the service's own scale applies"
    );
    assert_eq!(outcome.report.meta.target.split(':').next(), Some("http"));
}

#[tokio::test]
async fn a_passing_run_earns_a_certificate_for_its_major_minor_version() {
    let outcome = run(config(Conduct::default(), None)).await;
    let Some(certificate) = outcome.report.certificate else {
        panic!("a correct client is certified");
    };
    assert_eq!(certificate.client_name, REFERENCE_CLIENT_NAME);
    assert_eq!(certificate.client_version, "2.1.0");
    assert_eq!(certificate.certified_version, "2.1");
    assert_eq!(
        certificate.adapter,
        AdapterInfo {
            kind: AdapterKind::Reference,
            command_digest: None
        }
    );
    let builtin = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        certificate.catalogue,
        CatalogueProvenance::builtin(&builtin.digest)
    );
    assert_eq!(
        certificate.catalogue.tool_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(certificate.time_scale, crate::support::FAST);
    assert_eq!(
        certificate.profile,
        mpcert::catalogue::model::Profile::Mobilepay
    );
    assert_eq!(certificate.merchant_vat, "DK90000028");
    assert_eq!(certificate.tool_version, env!("CARGO_PKG_VERSION"));
    let certified: Vec<(&str, usize)> = certificate
        .categories
        .iter()
        .map(|c| (c.id.as_str(), c.cases))
        .collect();
    let profile = mpcert::catalogue::model::Profile::Mobilepay;
    let expected: Vec<(&str, usize)> = builtin
        .categories
        .iter()
        .map(|c| {
            let judged = c.cases.iter().filter(|k| k.case.in_profile(profile));
            (c.header.id.as_str(), judged.count())
        })
        .collect();
    assert_eq!(certified, expected);
    assert!(uuid::Uuid::parse_str(&certificate.session_id).is_ok());
    let issued = &certificate.issued_at;
    assert!(
        issued.len() >= 20 && issued.as_bytes()[10] == b'T' && issued.ends_with('Z'),
        "issuedAt is RFC 3339 UTC: {issued}"
    );
}

#[tokio::test]
async fn a_failing_run_earns_no_certificate() {
    let outcome = run(config(
        Conduct::misbehaving(Misbehaviour::IgnorePollDelay),
        None,
    ))
    .await;
    assert_eq!(outcome.exit_code(), 1);
    assert_eq!(outcome.report.certificate, None);
}

#[tokio::test]
async fn fail_fast_skips_what_follows_a_failure() {
    let mut config = config(Conduct::misbehaving(Misbehaviour::FreshKeyOnRetry), None);
    config.fail_fast = true;
    let outcome = run(config).await;
    assert!(matches!(
        case(&outcome.report, "onboarding/onboard-pos").verdict,
        Verdict::Failed { .. }
    ));
    assert!(matches!(
        case(&outcome.report, "payments/payment-complete").verdict,
        Verdict::Skipped { .. }
    ));
    assert_eq!(outcome.exit_code(), 1);
}

#[tokio::test]
async fn the_json_report_round_trips_and_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let report_path = dir.path().join("report.json");
    let junit_path = dir.path().join("junit.xml");
    let mut config = config(Conduct::default(), Some(junit_path.clone()));
    config.report = Some(report_path.clone());
    let outcome = run(config).await;
    let text = read(&report_path);
    let parsed = json::from_json(text.as_bytes(), "report.json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed, outcome.report);
    let junit = read(&junit_path);
    for output in [&text, &junit] {
        assert!(output.contains("<redacted>") || output.contains("&lt;redacted&gt;"));
        assert!(!contains_access_token(output), "an access token leaked");
        assert!(
            !output.contains("client_secret="),
            "the client secret leaked"
        );
    }
    let exchanges = outcome
        .report
        .categories
        .iter()
        .flat_map(|c| &c.cases)
        .flat_map(|c| &c.exchanges);
    for exchange in exchanges {
        for (name, value) in &exchange.headers {
            if name == "authorization" {
                assert!(value.ends_with("<redacted>"), "{value}");
            }
        }
    }
}

/// Whether `text` holds an access token as the embedded service issues them
/// (`mpcert.` and 32 hexadecimal digits).
fn contains_access_token(text: &str) -> bool {
    text.match_indices("mpcert.").any(|(at, _)| {
        let tail = &text[at + "mpcert.".len()..];
        tail.len() >= 32 && tail.chars().take(32).all(|c| c.is_ascii_hexdigit())
    })
}

#[tokio::test]
async fn a_custom_catalogue_is_uploaded_and_named_in_the_report_and_certificate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    for (name, text) in mpcert::catalogue::builtin::FILES {
        let file = name.rsplit('/').next().unwrap_or(name);
        std::fs::write(dir.path().join(file), text).unwrap_or_else(|e| panic!("write: {e}"));
    }
    let mut config = config(Conduct::default(), None);
    config.catalogue = mpcert::config::CatalogueSource::Dir(dir.path().to_path_buf());
    let outcome = run(config).await;
    assert_eq!(outcome.exit_code(), 0);
    let catalogue = &outcome.report.meta.catalogue;
    assert!(catalogue.is_custom(), "{catalogue:?}");
    let builtin = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(
        catalogue.digest, builtin.digest,
        "file names are part of the digest"
    );
    let Some(certificate) = &outcome.report.certificate else {
        panic!("every case passed");
    };
    assert_eq!(&certificate.catalogue, catalogue);
    assert!(
        mpcert::report::console::totals(&outcome.report)
            .contains(&format!("custom catalogue {}", catalogue.digest))
    );
}
