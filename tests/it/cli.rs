//! The built binary: list and validate on the built-in catalogue and on a directory, the main
//! command's exit code and JUnit file, an unreachable target, and flag errors.

use std::path::Path;

use crate::support::{
    builtin_case_count, default_profile_case_count, is_skipped, junit_cases, mpcert, read,
};

fn copy_builtin_cases(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let entries = std::fs::read_dir(&from).unwrap_or_else(|e| panic!("read cases: {e}"));
    for entry in entries.flatten() {
        if entry.path().extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(entry.path(), to.join(entry.file_name()))
                .unwrap_or_else(|e| panic!("copy: {e}"));
        }
    }
}

#[test]
fn list_and_validate_work_on_the_builtin_catalogue_and_on_a_directory() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    copy_builtin_cases(dir.path());
    let dir_arg = dir.path().display().to_string();
    for extra in [vec![], vec!["--cases", dir_arg.as_str()]] {
        let mut args = vec!["list"];
        args.extend(&extra);
        let list = mpcert(&args);
        let text = String::from_utf8_lossy(&list.stdout);
        assert_eq!(list.status.code(), Some(0));
        assert!(text.contains("onboarding/onboard-pos"), "{text}");
        assert!(text.contains("payments/payment-cleanup-active"), "{text}");
        assert!(
            text.contains("  5. Capture with retries  [payments/payment-capture-retry]\n"),
            "{text}"
        );
        assert!(
            text.contains("evidence: inferred; profiles: strict;"),
            "{text}"
        );
        let mut args = vec!["list", "--format", "json"];
        args.extend(&extra);
        let json: serde_json::Value = serde_json::from_slice(&mpcert(&args).stdout)
            .unwrap_or_else(|e| panic!("list json: {e}"));
        assert_eq!(json["categories"][0]["id"], "onboarding");
        let capture_retry = &json["categories"][1]["cases"][4];
        assert_eq!(capture_retry["id"], "payments/payment-capture-retry");
        assert_eq!(capture_retry["evidence"], "inferred");
        assert_eq!(capture_retry["profiles"], serde_json::json!(["strict"]));
        let mut args = vec!["validate"];
        args.extend(&extra);
        let validate = mpcert(&args);
        assert_eq!(validate.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&validate.stdout).contains("catalogue is valid"));
    }
}

#[test]
fn the_main_command_passes_and_writes_one_suite_per_category() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let junit = dir.path().join("out.xml");
    let junit_arg = junit.display().to_string();
    let output = mpcert(&["run", "--time-scale", "0.01", "--junit", &junit_arg]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("PASS ")).count(),
        default_profile_case_count(),
        "{stdout}"
    );
    let xml = read(&junit);
    let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("junit: {e}"));
    let suites: Vec<&str> = document
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(
        suites,
        vec![
            "onboarding",
            "payments",
            "payments-with-restrictions",
            "prepared-payments",
            "prepared-payments-with-restrictions",
            "refunds"
        ]
    );
    let cases = junit_cases(&xml);
    assert_eq!(cases.len(), builtin_case_count());
    let (skipped, run): (Vec<_>, Vec<_>) = cases.iter().partition(|c| is_skipped(c));
    assert_eq!(
        run.len(),
        default_profile_case_count(),
        "the strict cases are skipped"
    );
    assert_eq!(
        skipped.len(),
        builtin_case_count() - default_profile_case_count()
    );
    assert!(
        run.iter()
            .all(|c| c.children.iter().all(|(tag, _)| tag == "system-out"))
    );
}

#[test]
fn an_unreachable_target_exits_3_and_still_writes_junit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let junit = dir.path().join("out.xml");
    let junit_arg = junit.display().to_string();
    let output = mpcert(&[
        "run",
        "--target",
        "http://127.0.0.1:9",
        "--junit",
        &junit_arg,
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("unreachable"), "{stdout}");
    let cases = junit_cases(&read(&junit));
    assert_eq!(cases.len(), builtin_case_count());
    for case in cases.iter().filter(|c| !is_skipped(c)) {
        assert!(
            case.children.iter().any(|(tag, _)| tag == "error"),
            "{} should be an <error>",
            case.name
        );
    }
    let errors = cases.iter().filter(|c| !is_skipped(c)).count();
    assert_eq!(errors, default_profile_case_count());
}

/// Finding 3: `--client-name "Acme POS"` with the default reference client printed a
/// certificate for Acme POS although only mpcert's own client ran.
#[test]
fn the_reference_client_cannot_be_certified_under_another_name() {
    let output = mpcert(&[
        "run",
        "--time-scale",
        "0.01",
        "--client-name",
        "Acme POS",
        "--client-version",
        "3.4.0",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(!stdout.contains("certified"), "{stdout}");
    assert!(
        stderr.contains("--client-name") && stderr.contains("reference client is mpcert's own"),
        "{stderr}"
    );
}

#[test]
fn a_passing_run_prints_its_certificate_as_one_line_of_json() {
    let output = mpcert(&["run", "--time-scale", "0.01", "--client-version", "3.4.0"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("certified: "))
        .unwrap_or_else(|| panic!("no certificate line: {stdout}"));
    assert!(
        line.starts_with(
            "certified: mpcert reference client 3.4 as merchant DK90000028 for onboarding"
        ),
        "{line}"
    );
    assert!(line.contains("(mobilepay profile)"), "{line}");
    let json = line
        .split_once("certificate: ")
        .map(|(_, json)| json)
        .unwrap_or_else(|| panic!("no JSON on {line}"));
    let certificate: mpcert::report::Certificate =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(certificate.client_name, "mpcert reference client");
    assert_eq!(
        certificate.adapter.kind,
        mpcert::report::AdapterKind::Reference
    );
    assert_eq!(certificate.time_scale, 0.01);
}

#[test]
fn a_merchant_other_than_the_certification_merchants_is_a_usage_error() {
    for vat in ["DK12345678", "fi90000040", "SE90000028"] {
        let output = mpcert(&["run", "--time-scale", "0.01", "--merchant-vat", vat]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{vat}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "nothing ran: {stdout}");
        assert!(
            stderr.contains(&format!(
                "--merchant-vat: `{vat}` is not a certification merchant; use DK90000028 (DKK) or FI90000040 (EUR)"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn bad_flags_name_the_flag_and_exit_2() {
    for (args, flag) in [
        (vec!["run", "--time-scale", "0"], "--time-scale"),
        (vec!["run", "--client-version", "1.2"], "--client-version"),
        (vec!["run", "--client", "telepathy"], "--client"),
        (vec!["run", "--target", "sandbox"], "--target"),
        (vec!["run", "--category", "nope"], "--category"),
        (vec!["run", "--case", "payments/nope"], "--case"),
        (
            vec!["run", "--junit", "/nonexistent/dir/out.xml"],
            "--junit",
        ),
        (vec!["run", "--bogus"], "--bogus"),
        (
            vec!["run", "--service-token-file", "/nonexistent/token"],
            "--service-token-file",
        ),
        (
            vec!["serve", "--token-file", "/nonexistent/token"],
            "--token-file",
        ),
        (
            vec!["serve", "--session-idle-timeout", "0"],
            "--session-idle-timeout",
        ),
    ] {
        let output = mpcert(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(flag),
            "{args:?} should name {flag}: {stderr}"
        );
    }
}

#[test]
fn an_interrupted_run_still_writes_its_junit_and_exits_3() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let junit = dir.path().join("out.xml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .args(["run", "--time-scale", "1", "--junit"])
        .arg(&junit)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    // Wait for the first case to finish: it is printed as soon as it has a verdict.
    let first = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("onboarding/onboard-pos "))
        .unwrap_or_else(|| panic!("the first case was never reported"));
    assert!(first.starts_with("PASS"), "{first}");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(killed.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
    assert_eq!(status.code(), Some(3), "{rest:?}");
    let cases = junit_cases(&read(&junit));
    assert_eq!(cases.len(), builtin_case_count());
    assert!(cases[0].children.iter().all(|(tag, _)| tag == "system-out"));
    assert!(
        cases
            .iter()
            .skip(1)
            .filter(|c| !is_skipped(c))
            .all(|c| c.children.iter().any(|(tag, _)| tag == "error")),
        "every case after the interruption is an <error>"
    );
}
