//! The mutation matrix: in each profile, the reference client runs the whole built-in catalogue
//! once per deliberate misbehaviour of its library, and each run must come out exactly as the
//! matrix below declares — the cases the misbehaviour targets fail with its rule, the cases it
//! knocks over as well fail, and every other case passes (or, when the misbehaviour breaks
//! onboarding, is not run at all). Every case a profile judges must be caught by at least one
//! misbehaviour: a case no misbehaviour can fail is a defect. The test prints what every run
//! found, and the declared matrix is the table in `cases/README.md` (between
//! `<!-- matrix:begin -->` and `<!-- matrix:end -->`), so the documentation cannot drift.

use std::fmt::Write as _;

use mpcert::catalogue::Operation;
use mpcert::catalogue::model::Profile;
use mpcert::client::reference::{Conduct, Misbehaviour};
use mpcert::config::RunConfig;
use mpcert::driver::plan::OUTSIDE_PROFILE;
use mpcert::report::Verdict;

use crate::support::{
    FAST, assert_generated_section, cases_holding, cases_with_step, config,
    one_heavy_test_at_a_time_blocking, rules, run,
};

/// What happens to the cases a misbehaviour neither targets nor knocks over.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Elsewhere {
    /// They pass.
    Pass,
    /// They pass, or fail with the misbehaviour's rule and nothing else: the misbehaviour shows
    /// wherever a case gives it room, but only some cases give it room every time (a poll
    /// interval that depends on the pacing drawn for the run, say).
    PassOrRule,
    /// They are not run: the misbehaviour broke onboarding, which every later case builds on.
    NotRun,
}

/// What one misbehaviour must do to the built-in catalogue.
struct Row {
    misbehaviour: Misbehaviour,
    /// Cases that must fail with the misbehaviour's rule among their findings (those the profile
    /// judges).
    catches: Cases,
    /// Cases that must fail too, with whatever rules: the misbehaviour knocks them over on its
    /// way (a prepare that returns early leaves nothing to cancel, say).
    also_fails: &'static [&'static str],
    elsewhere: Elsewhere,
}

/// A set of cases.
#[derive(Clone, Copy)]
enum Cases {
    /// These, by full id.
    Listed(&'static [&'static str]),
    /// Every case whose backend holds the answer of a write (POST, PUT, DELETE).
    HeldWrites,
    /// Every case with a step of this operation.
    WithStep(Operation),
    /// Every case of the catalogue.
    Every,
}

impl Cases {
    fn contains(self, id: &str) -> bool {
        match self {
            Cases::Listed(ids) => ids.contains(&id),
            Cases::HeldWrites => cases_holding(|e| !e.is_read()).iter().any(|c| c == id),
            Cases::WithStep(op) => cases_with_step(op).iter().any(|c| c == id),
            Cases::Every => true,
        }
    }
}

/// How many of the matrix's runs go on at a time, each on a thread of its own.
const SIDE_BY_SIDE: usize = 4;

/// The time scale of a misbehaviour's runs: poll pacing is judged on intervals of a few real
/// milliseconds at [`FAST`], which a loaded machine can stretch past the delay asked for, so the
/// two pacing misbehaviours run at a scale where the delays are tens of milliseconds.
fn time_scale(misbehaviour: Misbehaviour) -> f64 {
    match misbehaviour {
        Misbehaviour::IgnorePollDelay | Misbehaviour::FixedPollInterval => 0.05,
        _ => FAST,
    }
}

const CASES_WITH_A_RETRIED_CREATE: &[&str] = &[
    "onboarding/onboard-pos",
    "payments/payment-complete",
    "payments-with-restrictions/restr-retry",
    "prepared-payments/prepared-complete",
    "refunds/refund-complete",
    "refunds/refund-cancel-lost-id",
    "refunds/refund-lost-payment-id",
];

const CASES_WITH_A_LOST_ID: &[&str] = &[
    "refunds/refund-cancel-lost-id",
    "refunds/refund-lost-payment-id",
];

const CASES_POLLED_TO_AN_END: &[&str] = &[
    "payments/payment-complete",
    "payments/payment-user-cancelled",
    "payments/payment-client-cancel",
    "payments/payment-held-poll",
    "payments/payment-capture-retry",
    "payments/payment-no-partial-capture",
    "payments/payment-partial-capture",
    "payments/payment-unexpected-status",
    "payments-with-restrictions/restr-debit-disallowed",
    "payments-with-restrictions/restr-credit-disallowed",
    "payments-with-restrictions/restr-user-cancelled",
    "payments-with-restrictions/restr-user-retries-card",
    "payments-with-restrictions/restr-retry",
    "prepared-payments/prepared-complete",
    "prepared-payments/prepared-user-cancelled",
    "prepared-payments/prepared-client-cancel",
    "prepared-payments/prepared-ready-before-checkin",
    "prepared-payments/prepared-ready-retry",
    "prepared-payments-with-restrictions/prepared-restr-debit",
    "prepared-payments-with-restrictions/prepared-restr-credit",
    "prepared-payments-with-restrictions/prepared-restr-user-cancelled",
    "prepared-payments-with-restrictions/prepared-restr-user-retries-card",
    "refunds/refund-complete",
    "refunds/refund-cancel",
    "refunds/refund-cancel-lost-id",
    "refunds/refund-partial-multiple",
    "refunds/refund-capture-retry",
    "refunds/refund-lost-payment-id",
];

const CASES_WITH_RESTRICTIONS: &[&str] = &[
    "payments-with-restrictions/restr-debit-disallowed",
    "payments-with-restrictions/restr-credit-disallowed",
    "payments-with-restrictions/restr-user-cancelled",
    "payments-with-restrictions/restr-user-retries-card",
    "payments-with-restrictions/restr-retry",
    "prepared-payments-with-restrictions/prepared-restr-debit",
    "prepared-payments-with-restrictions/prepared-restr-credit",
    "prepared-payments-with-restrictions/prepared-restr-user-cancelled",
    "prepared-payments-with-restrictions/prepared-restr-user-retries-card",
];

const CASES_THAT_READY_A_PAIRED_PAYMENT: &[&str] = &[
    "prepared-payments/prepared-complete",
    "prepared-payments/prepared-ready-retry",
    "prepared-payments-with-restrictions/prepared-restr-debit",
    "prepared-payments-with-restrictions/prepared-restr-credit",
    "prepared-payments-with-restrictions/prepared-restr-user-cancelled",
    "prepared-payments-with-restrictions/prepared-restr-user-retries-card",
];

const CASES_THAT_CAPTURE_A_REFUND: &[&str] = &[
    "refunds/refund-complete",
    "refunds/refund-partial-multiple",
    "refunds/refund-capture-retry",
    "refunds/refund-lost-payment-id",
];

/// The declared matrix, one row per misbehaviour of the library, in its order.
const MATRIX: &[Row] = &[
    Row {
        misbehaviour: Misbehaviour::FreshKeyOnRetry,
        catches: Cases::Listed(CASES_WITH_A_RETRIED_CREATE),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::ChangedBodyOnRetry,
        catches: Cases::Listed(&["onboarding/onboard-pos"]),
        also_fails: &[],
        elsewhere: Elsewhere::NotRun,
    },
    Row {
        misbehaviour: Misbehaviour::TooManyRetries,
        catches: Cases::Listed(CASES_WITH_A_LOST_ID),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::WaitOutHeldRequests,
        catches: Cases::HeldWrites,
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::IgnorePollDelay,
        catches: Cases::Listed(&[
            "payments/payment-complete",
            "payments-with-restrictions/restr-user-retries-card",
            "prepared-payments-with-restrictions/prepared-restr-user-retries-card",
            "refunds/refund-complete",
        ]),
        also_fails: &[],
        elsewhere: Elsewhere::PassOrRule,
    },
    Row {
        misbehaviour: Misbehaviour::FixedPollInterval,
        catches: Cases::Listed(&["payments/payment-complete", "refunds/refund-complete"]),
        also_fails: &[],
        elsewhere: Elsewhere::PassOrRule,
    },
    Row {
        misbehaviour: Misbehaviour::OmitVersionHeader,
        catches: Cases::Listed(&["onboarding/onboard-pos"]),
        also_fails: &[],
        elsewhere: Elsewhere::NotRun,
    },
    Row {
        misbehaviour: Misbehaviour::OmitMerchantVat,
        catches: Cases::Listed(&["onboarding/onboard-pos"]),
        also_fails: &[],
        elsewhere: Elsewhere::NotRun,
    },
    Row {
        misbehaviour: Misbehaviour::OmitClientId,
        catches: Cases::Every,
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::SkipConflictCleanup,
        catches: Cases::Listed(&["payments/payment-cleanup-active"]),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::RetryRefusedRequest,
        catches: Cases::Listed(&["payments/payment-cleanup-active"]),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::LostIdNotLookedUp,
        catches: Cases::Listed(CASES_WITH_A_LOST_ID),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::ActAfterTerminal,
        catches: Cases::Listed(CASES_POLLED_TO_AN_END),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::CaptureBeforeReserved,
        catches: Cases::WithStep(Operation::Pay),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::CaptureWrongAmount,
        catches: Cases::Listed(&["payments/payment-partial-capture"]),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::PartialCaptureWhenNotPossible,
        catches: Cases::Listed(&["payments/payment-no-partial-capture"]),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::RefundNeverCaptured,
        catches: Cases::Listed(CASES_THAT_CAPTURE_A_REFUND),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::StopOnUnexpectedStatus,
        catches: Cases::Listed(&["payments/payment-unexpected-status"]),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::DropRestrictions,
        catches: Cases::Listed(CASES_WITH_RESTRICTIONS),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::RestrictionsOnPrepare,
        catches: Cases::WithStep(Operation::Prepare),
        also_fails: &[],
        elsewhere: Elsewhere::Pass,
    },
    Row {
        misbehaviour: Misbehaviour::ReadyBeforePaired,
        catches: Cases::Listed(CASES_THAT_READY_A_PAIRED_PAYMENT),
        also_fails: &[
            "prepared-payments/prepared-user-cancelled",
            "prepared-payments/prepared-client-cancel",
        ],
        elsewhere: Elsewhere::Pass,
    },
];

/// How a case came out of one run.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Passed,
    Failed(Vec<String>),
    NotRun,
    Other(String),
}

/// The outcome of every case the run's profile judges, by full id, in catalogue order.
async fn observe(config: RunConfig) -> Vec<(String, Outcome)> {
    let outcome = run(config).await;
    let mut seen = Vec::new();
    for category in &outcome.report.categories {
        for case in &category.cases {
            let outcome = match &case.verdict {
                Verdict::Skipped { reason } if reason == OUTSIDE_PROFILE => continue,
                Verdict::Passed => Outcome::Passed,
                Verdict::Failed { .. } => Outcome::Failed(rules(case)),
                Verdict::Skipped { reason } if reason.starts_with("not run") => Outcome::NotRun,
                other => Outcome::Other(format!("{other:?}")),
            };
            seen.push((format!("{}/{}", category.id, case.id), outcome));
        }
    }
    seen
}

/// What is wrong with `outcome` of `case` under `row`, if anything.
fn mismatch(row: &Row, case: &str, outcome: &Outcome) -> Option<String> {
    let rule = row.misbehaviour.rule();
    let expected = if row.catches.contains(case) {
        "to fail with its rule"
    } else if row.also_fails.contains(&case) {
        "to fail"
    } else {
        match row.elsewhere {
            Elsewhere::Pass => "to pass",
            Elsewhere::PassOrRule => "to pass or fail with its rule only",
            Elsewhere::NotRun => "not to run",
        }
    };
    let fine = match (expected, outcome) {
        ("to fail with its rule", Outcome::Failed(found)) => found.iter().any(|r| r == rule),
        ("to fail", Outcome::Failed(_)) => true,
        ("to pass" | "to pass or fail with its rule only", Outcome::Passed) => true,
        ("to pass or fail with its rule only", Outcome::Failed(found)) => {
            found.iter().all(|r| r == rule)
        }
        ("not to run", Outcome::NotRun) => true,
        _ => false,
    };
    (!fine).then(|| format!("expected {case} {expected} ({rule}), got {outcome:?}"))
}

/// One line per failed or unrun case of a run, for the test's output.
fn printed(profile: Profile, misbehaviour: Misbehaviour, seen: &[(String, Outcome)]) -> String {
    let mut out = format!(
        "{} × {} (rule {}):\n",
        profile.as_str(),
        misbehaviour.name(),
        misbehaviour.rule()
    );
    for (case, outcome) in seen {
        let cell = match outcome {
            Outcome::Passed => continue,
            Outcome::Failed(found) => found.join(", "),
            Outcome::NotRun => "not run".to_string(),
            Outcome::Other(verdict) => verdict.clone(),
        };
        let _ = writeln!(out, "    {case}: {cell}");
    }
    out
}

/// The declared matrix as a markdown table: every case, and the misbehaviours that catch it.
fn documented() -> String {
    let catalogue = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    let mut out =
        String::from("| case | profiles | caught by (misbehaviour → rule) |\n|---|---|---|\n");
    for category in &catalogue.categories {
        for located in &category.cases {
            let id = format!("{}/{}", category.header.id, located.case.id);
            let catchers: Vec<String> = MATRIX
                .iter()
                .filter(|row| row.catches.contains(&id))
                .map(|row| {
                    format!(
                        "`{}` → `{}`",
                        row.misbehaviour.name(),
                        row.misbehaviour.rule()
                    )
                })
                .collect();
            let profiles: Vec<&str> = located.case.profiles.iter().map(|p| p.as_str()).collect();
            let _ = writeln!(
                out,
                "| `{id}` | {} | {} |",
                profiles.join(", "),
                catchers.join("<br>")
            );
        }
    }
    out.push_str("\n| misbehaviour | what the client does wrong | rule |\n|---|---|---|\n");
    for row in MATRIX {
        let m = row.misbehaviour;
        let _ = writeln!(
            out,
            "| `{}` | {} | `{}` |",
            m.name(),
            m.description(),
            m.rule()
        );
    }
    out
}

#[test]
fn the_matrix_has_one_row_per_misbehaviour_in_library_order() {
    let rows: Vec<Misbehaviour> = MATRIX.iter().map(|row| row.misbehaviour).collect();
    assert_eq!(rows, Misbehaviour::ALL);
}

#[test]
fn every_case_of_the_catalogue_is_caught_by_some_misbehaviour() {
    let catalogue = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = (catalogue.categories.iter())
        .flat_map(|c| {
            c.cases
                .iter()
                .map(|k| format!("{}/{}", c.header.id, k.case.id))
        })
        .collect();
    for id in &ids {
        assert!(
            MATRIX.iter().any(|row| row.catches.contains(id)),
            "no misbehaviour catches {id}: a case no misbehaviour can fail is a defect"
        );
    }
    for row in MATRIX {
        if let Cases::Listed(listed) = row.catches {
            for id in listed.iter().chain(row.also_fails) {
                assert!(
                    ids.contains(&id.to_string()),
                    "{}: no case {id}",
                    row.misbehaviour.name()
                );
            }
        }
    }
}

#[test]
fn the_documented_matrix_is_the_declared_one() {
    assert_generated_section(
        "cases/README.md",
        ("<!-- matrix:begin -->", "<!-- matrix:end -->"),
        &documented(),
        "MPCERT_BLESS=1 cargo test --locked --test it mutation_matrix",
    );
}

/// Runs the whole catalogue once per row of the matrix and profile, with the client `client`
/// makes for the row's misbehaviour, and asserts every run came out as the matrix declares;
/// prints what every run found.
pub fn assert_matrix_holds(client: impl Fn(Misbehaviour) -> RunConfig) {
    let _heavy = one_heavy_test_at_a_time_blocking();
    let mut jobs = std::collections::VecDeque::new();
    for profile in Profile::ALL {
        for (index, row) in MATRIX.iter().enumerate() {
            let mut config = client(row.misbehaviour);
            config.profile = profile;
            config.time_scale = time_scale(row.misbehaviour);
            jobs.push_back((profile, index, config));
        }
    }
    // The runs are independent (each has its own embedded service) and mostly wait on the
    // service's mandated delays. Each runs on a thread of its own, a few at a time, so that one
    // run's busy moments never hold up another's client past its shortest timeout.
    let jobs = std::sync::Mutex::new(jobs);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..SIDE_BY_SIDE {
            scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap_or_else(|e| panic!("runtime: {e}"));
                loop {
                    let job = jobs.lock().map(|mut jobs| jobs.pop_front());
                    let Ok(Some((profile, index, config))) = job else {
                        break;
                    };
                    let seen = runtime.block_on(observe(config));
                    if let Ok(mut results) = results.lock() {
                        results.push((profile, index, seen));
                    }
                }
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(|e| panic!("results: {e}"));
    results.sort_by_key(|(profile, index, _)| (profile.as_str(), *index));
    assert_eq!(results.len(), 2 * MATRIX.len(), "every run reported");
    let mut report = String::new();
    let mut problems = Vec::new();
    for (profile, index, seen) in results {
        let row = &MATRIX[index];
        report.push_str(&printed(profile, row.misbehaviour, &seen));
        for (case, outcome) in &seen {
            if let Some(problem) = mismatch(row, case, outcome) {
                problems.push(format!(
                    "{} × {}: {problem}",
                    profile.as_str(),
                    row.misbehaviour.name()
                ));
            }
        }
    }
    println!("{report}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_misbehaviour_fails_exactly_the_cases_the_matrix_declares() {
    assert_matrix_holds(|misbehaviour| config(Conduct::misbehaving(misbehaviour), None));
}
