//! Shared helpers: build run configurations, run the library in-process against an embedded
//! service, run the built binary, and read JUnit files.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use mpcert::app::{self, RunOutcome};
use mpcert::client::ClientSpec;
use mpcert::client::reference::Conduct;
use mpcert::config::{CatalogueSource, RunConfig, Target};
use mpcert::driver::Silent;
use mpcert::report::{CaseReport, REFERENCE_CLIENT_NAME, RunReport, Verdict};
use tokio::sync::watch;

/// The time scale tests run at.
pub const FAST: f64 = 0.01;

/// A run of the built-in catalogue with the reference client behaving as `conduct`.
pub fn config(conduct: Conduct, junit: Option<PathBuf>) -> RunConfig {
    RunConfig {
        catalogue: CatalogueSource::Builtin,
        categories: Vec::new(),
        cases: Vec::new(),
        client: ClientSpec::Reference(conduct),
        client_version: "2.1.0".into(),
        client_name: REFERENCE_CLIENT_NAME.into(),
        merchant_vat: "DK90000028".into(),
        integrator_client_ids: Vec::new(),
        target: Target::Embedded,
        service_token: None,
        remote_access: None,
        time_scale: FAST,
        profile: mpcert::catalogue::model::Profile::Mobilepay,
        junit,
        report: None,
        record: None,
        fail_fast: false,
        operation_timeout: None,
        signing_key: None,
    }
}

/// Runs in-process; the interrupt never fires.
pub async fn run(config: RunConfig) -> RunOutcome {
    let (_keep, interrupt) = watch::channel(false);
    match app::run(config, interrupt, &mut Silent).await {
        Ok(outcome) => outcome,
        Err(e) => panic!("run refused: {e}"),
    }
}

/// The case `category/case` of a report.
pub fn case<'a>(report: &'a RunReport, id: &str) -> &'a CaseReport {
    let (category, case) = id.split_once('/').unwrap_or_default();
    report
        .categories
        .iter()
        .find(|c| c.id == category)
        .and_then(|c| c.cases.iter().find(|k| k.id == case))
        .unwrap_or_else(|| panic!("no case {id} in the report"))
}

/// The rule ids of a case's findings, first first.
pub fn rules(case: &CaseReport) -> Vec<String> {
    match &case.verdict {
        Verdict::Failed { findings } => findings.iter().map(|f| f.rule.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Runs the built binary with `args`.
pub fn mpcert(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .args(args)
        .output()
    {
        Ok(output) => output,
        Err(e) => panic!("cannot start mpcert: {e}"),
    }
}

/// Starts `mpcert serve` with `args` and no operator token from the environment, and reads the
/// first line it prints: the process, its stdout after that line, and the base URL the line
/// says it listens at.
pub fn spawn_serve(args: &[&str]) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .arg("serve")
        .args(args)
        .env_remove("MPCERT_SERVICE_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start mpcert serve: {e}"));
    let Some(mut stdout) = child.stdout.take().map(BufReader::new) else {
        panic!("mpcert serve has no stdout");
    };
    let mut first = String::new();
    let _ = stdout.read_line(&mut first);
    match first
        .trim()
        .strip_prefix("mpcert certification service listening on ")
    {
        Some(url) => (child, stdout, url.to_string()),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mpcert serve did not say where it listens: {first:?}");
        }
    }
}

/// The built binary's quickest certification: the reference client's onboarding at the test
/// time scale, quiet, with no integrator client ids from the environment; add flags and run it.
pub fn onboarding_run() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mpcert"));
    command
        .args([
            "run",
            "-q",
            "--time-scale",
            "0.01",
            "--category",
            "onboarding",
        ])
        .env_remove("MPCERT_INTEGRATOR_CLIENT_IDS");
    command
}

/// Reads a file that must exist.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A JUnit testcase: its classname, name, and child elements as (tag, `type` attribute).
pub struct JunitCase {
    /// `classname` attribute.
    pub classname: String,
    /// `name` attribute.
    pub name: String,
    /// Child elements.
    pub children: Vec<(String, Option<String>)>,
}

/// Every testcase of a JUnit document.
pub fn junit_cases(xml: &str) -> Vec<JunitCase> {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("invalid JUnit: {e}"));
    document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            let children = n
                .children()
                .filter(|c| c.is_element())
                .map(|c| {
                    (
                        c.tag_name().name().to_string(),
                        c.attribute("type").map(str::to_string),
                    )
                })
                .collect();
            JunitCase {
                classname: n.attribute("classname").unwrap_or_default().to_string(),
                name: n.attribute("name").unwrap_or_default().to_string(),
                children,
            }
        })
        .collect()
}

/// How many cases the built-in catalogue has.
pub fn builtin_case_count() -> usize {
    let catalogue = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    catalogue.categories.iter().map(|c| c.cases.len()).sum()
}

/// The full ids of the built-in cases `wanted` picks, in catalogue order.
fn builtin_cases(wanted: impl Fn(&mpcert::catalogue::Case) -> bool) -> Vec<String> {
    let catalogue = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    (catalogue.categories.iter())
        .flat_map(|category| {
            (category.cases.iter())
                .filter(|located| wanted(&located.case))
                .map(|located| format!("{}/{}", category.header.id, located.case.id))
        })
        .collect()
}

/// The full ids of the built-in cases whose backend holds the answer of an endpoint that `held`
/// accepts, in catalogue order.
pub fn cases_holding(held: impl Fn(mpcert::pos::Endpoint) -> bool) -> Vec<String> {
    use mpcert::catalogue::model::FaultReply;
    builtin_cases(|case| {
        case.backend.faults.iter().any(|fault| {
            fault.replies.contains(&FaultReply::Hold200)
                && mpcert::pos::Endpoint::parse(&fault.on).is_some_and(&held)
        })
    })
}

/// The full ids of the built-in cases with a step of `op`, in catalogue order.
pub fn cases_with_step(op: mpcert::catalogue::Operation) -> Vec<String> {
    builtin_cases(|case| case.steps.iter().any(|step| step.op == op))
}

/// How many cases of the built-in catalogue the default profile judges.
pub fn default_profile_case_count() -> usize {
    let catalogue = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = (catalogue.categories.iter())
        .map(|c| c.header.id.as_str())
        .collect();
    judged_cases(&ids).len()
}

/// The full ids of the built-in cases of `categories` that the default profile judges, in
/// catalogue order.
pub fn judged_cases(categories: &[&str]) -> Vec<String> {
    let catalogue = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    let profile = mpcert::catalogue::model::Profile::Mobilepay;
    (catalogue.categories.iter())
        .filter(|c| categories.contains(&c.header.id.as_str()))
        .flat_map(|c| {
            (c.cases.iter())
                .filter(|k| k.case.in_profile(profile))
                .map(|k| format!("{}/{}", c.header.id, k.case.id))
        })
        .collect()
}

/// Whether a JUnit testcase is skipped.
pub fn is_skipped(case: &JunitCase) -> bool {
    case.children.iter().any(|(tag, _)| tag == "skipped")
}

/// Checks that the generated document at `relative` (below the project) is `generated`; with
/// `MPCERT_BLESS` set, writes it first. `command` is what regenerates it.
pub fn assert_generated(relative: &str, generated: &str, command: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("MPCERT_BLESS").is_some() {
        std::fs::write(&path, generated)
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{relative} is stale; run MPCERT_BLESS=1 {command}"
    );
}

/// Like [`assert_generated`] for the part of a document between the lines `begin` and `end`:
/// checks that it is `generated`, and with `MPCERT_BLESS` set, replaces it first.
pub fn assert_generated_section(
    relative: &str,
    (begin, end): (&str, &str),
    generated: &str,
    command: &str,
) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let committed = read(&path);
    let (before, rest) = committed
        .split_once(&format!("{begin}\n"))
        .unwrap_or_else(|| panic!("{relative} has no line `{begin}`"));
    let (section, after) = rest
        .split_once(&format!("{end}\n"))
        .unwrap_or_else(|| panic!("{relative} has no line `{end}` after `{begin}`"));
    if std::env::var_os("MPCERT_BLESS").is_some() {
        let blessed = format!("{before}{begin}\n{generated}{end}\n{after}");
        std::fs::write(&path, blessed).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    } else {
        assert!(
            section == generated,
            "the `{begin}` section of {relative} is stale; run MPCERT_BLESS=1 {command}"
        );
    }
}

/// Tests that run the whole catalogue many times over take this first, so that no two of them
/// load the machine at once: a compressed run judges real milliseconds, and a starved client
/// misses the floored timeouts of a correct one.
pub async fn one_heavy_test_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.lock().await
}

/// [`one_heavy_test_at_a_time`] for a test that runs outside any async runtime.
pub fn one_heavy_test_at_a_time_blocking() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.blocking_lock()
}

/// The lock of the heavy tests.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
