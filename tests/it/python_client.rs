//! The example Python client of `ci-examples/python-client/` — written from the public documents
//! alone, standard library only, no mpcert code — certified through the `exec:` adapter: it
//! passes the whole catalogue in both profiles and earns a certificate naming it and the adapter;
//! each of its misbehaviour switches fails exactly the cases the mutation matrix declares for the
//! reference client's misbehaviour of the same name; and the built binary reports such a failure
//! as a JUnit `<failure>` of the predicted rule, with exit code 1. Needs nothing beyond `python3`.

use mpcert::catalogue::model::Profile;
use mpcert::client::ClientSpec;
use mpcert::client::reference::{Conduct, Misbehaviour};
use mpcert::config::RunConfig;
use mpcert::report::{AdapterKind, Verdict};

use crate::mutation_matrix::assert_matrix_holds;
use crate::support::{config, junit_cases, mpcert, one_heavy_test_at_a_time, read, run};

/// The name the example is certified under.
const NAME: &str = "Example Python PoS";
/// The version the example sends (its own constant).
const VERSION: &str = "1.0.0";

/// The command that starts the example's exec shim, with `misbehaviours` switched on.
fn command(misbehaviours: &str) -> String {
    let shim = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ci-examples/python-client/shim.py"
    );
    format!("POS_EXAMPLE_MISBEHAVE='{misbehaviours}' python3 '{shim}'")
}

/// A run of the built-in catalogue with the example client, `misbehaviours` switched on.
fn example(misbehaviours: &str) -> RunConfig {
    let mut config = config(Conduct::default(), None);
    config.client = ClientSpec::Exec(command(misbehaviours));
    config.client_name = NAME.into();
    config.client_version = VERSION.into();
    config
}

#[tokio::test]
async fn the_example_passes_every_case_in_both_profiles_and_is_certified_as_itself() {
    let _heavy = one_heavy_test_at_a_time().await;
    for profile in Profile::ALL {
        let mut config = example("");
        config.profile = profile;
        let outcome = run(config).await;
        for category in &outcome.report.categories {
            for case in &category.cases {
                assert!(
                    matches!(case.verdict, Verdict::Passed | Verdict::Skipped { .. }),
                    "{}/{} in the {} profile: {:?}",
                    category.id,
                    case.id,
                    profile.as_str(),
                    case.verdict
                );
            }
        }
        assert_eq!(outcome.exit_code(), 0);
        let Some(certificate) = &outcome.report.certificate else {
            panic!("every case passed, so the example is certified");
        };
        assert_eq!(certificate.client_name, NAME);
        assert_eq!(certificate.certified_version, "1.0");
        assert_eq!(certificate.adapter.kind, AdapterKind::Exec);
        assert_eq!(
            certificate.adapter.command_digest.as_deref().map(str::len),
            Some(64),
            "the certificate names the command by its SHA-256"
        );
        assert_eq!(certificate.categories.len(), 6);
    }
}

#[test]
fn every_misbehaviour_switch_fails_the_cases_the_matrix_declares() {
    assert_matrix_holds(|misbehaviour| example(misbehaviour.name()));
}

#[test]
fn a_switched_on_misbehaviour_fails_the_run_with_the_predicted_rule_in_junit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let junit = dir.path().join("junit.xml");
    let misbehaviour = Misbehaviour::FreshKeyOnRetry;
    let client = format!("exec:{}", command(misbehaviour.name()));
    let output = mpcert(&[
        "run",
        "--time-scale",
        "0.01",
        "--category",
        "payments",
        "--client",
        &client,
        "--client-name",
        NAME,
        "--client-version",
        VERSION,
        "--junit",
        &junit.display().to_string(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let failed: Vec<(String, String)> = junit_cases(&read(&junit))
        .into_iter()
        .flat_map(|case| {
            let name = case.name.clone();
            case.children
                .into_iter()
                .filter(|(tag, _)| tag == "failure")
                .map(move |(_, kind)| (name.clone(), kind.unwrap_or_default()))
        })
        .collect();
    assert!(
        failed.iter().any(
            |(name, kind)| name.starts_with("payment-complete ") && kind == misbehaviour.rule()
        ),
        "payment-complete should fail with <failure type=\"{}\">: {failed:?}",
        misbehaviour.rule()
    );
}
