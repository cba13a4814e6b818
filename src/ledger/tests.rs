use super::*;
use crate::report::certificate::fixtures::certificate;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(5);

#[test]
fn appending_creates_the_ledger_and_keeps_every_entry_byte_for_byte() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ledger.jsonl");
    assert_eq!(
        append(&path, &certificate("2.3.0", &["onboarding"]), WAIT)?,
        1
    );
    // An entry written by a newer mpcert, with a field this one does not know, and no final
    // newline: it stays exactly as it is.
    let mut newer = serde_json::to_value(certificate("2.3.1", &["onboarding"]))?;
    newer["attestation"] = serde_json::json!({"kind": "future", "value": "AAAA"});
    let first = std::fs::read_to_string(&path)?;
    let kept = format!("{first}\n{newer}");
    std::fs::write(&path, &kept)?;
    assert_eq!(
        append(&path, &certificate("2.4.0", &["onboarding"]), WAIT)?,
        4
    );
    let text = std::fs::read_to_string(&path)?;
    assert!(text.starts_with(&format!("{kept}\n")), "{text}");
    let entries = read(&path)?;
    let versions: Vec<(usize, &str)> = (entries.iter())
        .map(|e| (e.line, e.certificate.client_version.as_str()))
        .collect();
    assert_eq!(versions, vec![(1, "2.3.0"), (3, "2.3.1"), (4, "2.4.0")]);
    assert!(!lock::lock_path(&path).exists());
    Ok(())
}

#[test]
fn a_malformed_ledger_is_named_by_line_and_never_rewritten() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ledger.jsonl");
    let good = serde_json::to_string(&certificate("2.3.0", &["onboarding"]))?;
    let bad = format!("{good}\n{{\"clientName\": \"x\"}}\n");
    std::fs::write(&path, &bad)?;
    let error = append(&path, &certificate("2.4.0", &["onboarding"]), WAIT)
        .err()
        .ok_or("appended to a malformed ledger")?;
    assert!(error.is_malformed());
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{}:2:19:", path.display())),
        "{message}"
    );
    assert!(message.contains("missing field"), "{message}");
    assert_eq!(std::fs::read_to_string(&path)?, bad);
    assert!(check(&path).is_err_and(|e| e.is_malformed()));
    std::fs::write(&path, "{\n")?;
    let message = read(&path).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains(":1:"), "{message}");
    assert!(message.contains("JSON Lines"), "{message}");
    std::fs::write(&path, [b'\n', 0xff, 0xfe])?;
    let message = read(&path).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.ends_with(":2: not UTF-8 text (a ledger holds one certificate a line, JSON Lines; it was left as it is)"), "{message}");
    Ok(())
}

#[test]
fn a_missing_ledger_can_be_recorded_into_but_not_read() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("none.jsonl");
    check(&path)?;
    let message = read(&path).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.starts_with("cannot read the ledger"), "{message}");
    assert!(message.contains("none.jsonl"), "{message}");
    Ok(())
}

#[test]
fn concurrent_writers_lose_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ledger.jsonl");
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let path = path.clone();
            std::thread::spawn(move || {
                for n in 0..5 {
                    let version = format!("{writer}.{n}.0");
                    if let Err(e) = append(&path, &certificate(&version, &["onboarding"]), WAIT) {
                        return Err(e.to_string());
                    }
                }
                Ok(())
            })
        })
        .collect();
    for writer in writers {
        writer.join().map_err(|_| "a writer panicked")??;
    }
    let mut versions: Vec<String> = (read(&path)?.into_iter())
        .map(|e| e.certificate.client_version)
        .collect();
    versions.sort();
    let mut expected: Vec<String> = (0..8)
        .flat_map(|w| (0..5).map(move |n| format!("{w}.{n}.0")))
        .collect();
    expected.sort();
    assert_eq!(versions, expected);
    Ok(())
}
