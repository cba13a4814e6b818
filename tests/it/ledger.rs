//! `mpcert run --record` with real runs of the built binary: a passing run appends its
//! certificate (with the integrator's client ids, from flags or the environment) to the ledger,
//! concurrent writers lose no entry, a run that earns nothing records nothing and removes
//! nothing, and a malformed ledger stops the run before it starts (exit 2), untouched.

use std::path::Path;
use std::process::Output;

use mpcert::ledger;

const SANDBOX_ID: &str = "0B7F6C1E-55F3-4B6F-9A43-1D2C3B4A5F60";
const PRODUCTION_ID: &str = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b";

/// A quick certification of the reference client's onboarding that records into `ledger`.
fn record(ledger: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    crate::support::onboarding_run()
        .arg("--record")
        .arg(ledger)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot start mpcert: {e}"))
}

fn session_ids(ledger: &Path) -> Vec<String> {
    (ledger::read(ledger)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter())
    .map(|e| e.certificate.session_id)
    .collect()
}

#[test]
fn a_passing_run_records_its_certificate_with_the_integrators_client_ids() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("ledger.jsonl");
    let ids = [
        "--integrator-client-id",
        SANDBOX_ID,
        "--integrator-client-id",
        PRODUCTION_ID,
    ];
    let output = record(&path, &ids, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("in {} (line 1)", path.display())),
        "{stdout}"
    );
    let output = record(
        &path,
        &[],
        &[("MPCERT_INTEGRATOR_CLIENT_IDS", PRODUCTION_ID)],
    );
    assert_eq!(output.status.code(), Some(0));
    let entries = ledger::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let recorded: Vec<Vec<String>> = (entries.iter())
        .map(|e| e.certificate.integrator_client_ids.clone())
        .collect();
    let sandbox = SANDBOX_ID.to_ascii_lowercase();
    assert_eq!(
        recorded,
        vec![
            vec![sandbox, PRODUCTION_ID.to_string()],
            vec![PRODUCTION_ID.to_string()]
        ]
    );
    let output = record(&path, &["--integrator-client-id", "prod-id"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--integrator-client-id: `prod-id` is not"),
        "{stderr}"
    );
}

#[test]
fn concurrent_writers_lose_no_entry() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("ledger.jsonl");
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                (0..2)
                    .map(|_| {
                        let output = record(&path, &[], &[]);
                        assert_eq!(output.status.code(), Some(0), "{output:?}");
                        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
                        let (_, json) = stdout.split_once("certificate: ").unwrap_or_default();
                        let line = json.lines().next().unwrap_or_default();
                        let certificate: serde_json::Value =
                            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
                        certificate["sessionId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();
    let mut printed: Vec<String> = (writers.into_iter())
        .flat_map(|w| w.join().unwrap_or_else(|_| panic!("a writer panicked")))
        .collect();
    let mut recorded = session_ids(&path);
    printed.sort();
    recorded.sort();
    assert_eq!(recorded.len(), 8);
    assert_eq!(recorded, printed);
    assert!(!ledger::lock::lock_path(&path).exists());
}

#[test]
fn a_run_without_a_certificate_records_nothing_and_removes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("ledger.jsonl");
    assert_eq!(record(&path, &[], &[]).status.code(), Some(0));
    let before = std::fs::read(&path).unwrap_or_default();
    let broken = [
        "--client",
        "exec:false",
        "--client-name",
        "Till",
        "--client-version",
        "2.4.0",
    ];
    let output = record(&path, &broken, &[]);
    assert_ne!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("not recorded in"), "{stdout}");
    assert_eq!(std::fs::read(&path).unwrap_or_default(), before);
}

#[test]
fn a_malformed_ledger_stops_the_run_before_it_starts_and_stays_as_it_is() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("ledger.jsonl");
    std::fs::write(&path, "not json\n").unwrap_or_else(|e| panic!("{e}"));
    let output = record(&path, &[], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("--record: {}:1:", path.display())),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing ran");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        "not json\n"
    );
    let output = record(&dir.path().join("missing/ledger.jsonl"), &[], &[]);
    assert_eq!(output.status.code(), Some(2));
}
