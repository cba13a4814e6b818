//! A client behaving like the one MobilePay certified in 2020 (5 s timeouts on every call,
//! linear 1–4 s backoff over five attempts, numeric idempotency keys, the VAT only in the token
//! claim): run through onboarding at time scale 1, it passes the default `mobilepay` profile and
//! fails the `strict` one only for its timeouts, which exceed the documented 2 s. Onboarding holds
//! answers for 10 s, so each held call costs the client its full 5 s timeout: the test keeps to
//! onboarding and runs both profiles side by side.

use mpcert::catalogue::model::Profile;
use mpcert::client::reference::Conduct;
use mpcert::config::RunConfig;
use mpcert::report::Verdict;

use crate::support::{case, config, rules, run};

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
