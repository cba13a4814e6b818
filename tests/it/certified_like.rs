//! A client behaving like the one MobilePay certified in 2020 (5 s timeouts on every call,
//! linear 1–4 s backoff over five attempts, numeric idempotency keys, cancelling the blocking
//! payment without reading it, the VAT only in the token claim) passes the default `mobilepay`
//! profile and fails the `strict` one only for its timeouts, which exceed the documented 2 s for
//! writes and 0.5 s for reads. Shown at time scale 1 on onboarding (each held call costs the client
//! its full 5 s timeout, so the test keeps to one category), and on the whole catalogue at time
//! scale 0.1, where every ratio that decides a verdict is the same.

use mpcert::catalogue::model::Profile;
use mpcert::client::reference::Conduct;
use mpcert::config::RunConfig;
use mpcert::report::Verdict;

use crate::support::{case, cases_holding, config, rules, run};

/// Onboarding only, at time scale 1, with the 2020-certified conduct, in `profile`.
fn onboarding(profile: Profile) -> RunConfig {
    let mut config = config(Conduct::certified_2020(), None);
    config.categories = vec!["onboarding".into()];
    config.time_scale = 1.0;
    config.profile = profile;
    config
}

#[tokio::test]
async fn passes_the_default_profile_and_fails_strict_only_on_timeouts() {
    let (default, strict) = tokio::join!(
        run(onboarding(Profile::Mobilepay)),
        run(onboarding(Profile::Strict))
    );

    let mut passed = 0;
    for category in &default.report.categories {
        for case in &category.cases {
            match &case.verdict {
                Verdict::Passed if category.id == "onboarding" => passed += 1,
                Verdict::Skipped { .. } if category.id != "onboarding" => {}
                other => panic!("{}/{}: {other:?}", category.id, case.id),
            }
        }
    }
    assert_eq!(passed, 3, "every onboarding case passes");
    assert_eq!(default.exit_code(), 0);

    assert_eq!(strict.exit_code(), 1);
    for target in ["onboarding/onboard-pos", "onboarding/offboard-pos"] {
        let found = rules(case(&strict.report, target));
        assert!(
            !found.is_empty() && found.iter().all(|r| r == "request-timeout-respected"),
            "{target} should fail only for its 5 s timeout: {found:?}"
        );
    }
    let last = case(&strict.report, "onboarding/onboard-pos-final");
    assert_eq!(last.verdict, Verdict::Passed);
}

/// The whole catalogue with the 2020-certified conduct in `profile`, at time scale 0.1: its
/// timeouts and backoff shrink with the service's holds and delays, so the ratios that decide
/// the verdicts (5 s against a 10 s hold and a documented 2 s or 0.5 s) stay as at time scale 1.
fn whole_catalogue(profile: Profile) -> RunConfig {
    let mut config = config(Conduct::certified_2020(), None);
    config.time_scale = 0.1;
    config.profile = profile;
    config
}

#[tokio::test]
async fn passes_the_whole_default_profile_and_fails_strict_only_where_an_answer_is_held() {
    let (default, strict) = tokio::join!(
        run(whole_catalogue(Profile::Mobilepay)),
        run(whole_catalogue(Profile::Strict))
    );
    assert_eq!(default.exit_code(), 0);
    let Some(certificate) = &default.report.certificate else {
        panic!("the default profile certifies the 2020-certified client");
    };
    assert_eq!(certificate.categories.len(), 6, "{certificate:?}");

    assert_eq!(strict.exit_code(), 1);
    let held = cases_holding(|_| true);
    assert!(
        held.contains(&"payments/payment-held-poll".to_string()),
        "a held read too: {held:?}"
    );
    for category in &strict.report.categories {
        for case in &category.cases {
            let id = format!("{}/{}", category.id, case.id);
            let found = rules(case);
            if held.contains(&id) {
                assert!(
                    !found.is_empty() && found.iter().all(|r| r == "request-timeout-respected"),
                    "{id} should fail only for its 5 s timeout: {found:?}"
                );
            } else {
                assert_eq!(case.verdict, Verdict::Passed, "{id}");
            }
        }
    }
}
