//! Signed certificates end to end: `mpcert keygen` writes a key pair (the private key 0600, never
//! overwritten), a run whose embedded service has `--signing-key` and a standalone `mpcert
//! serve --signing-key` both issue certificates that verify with the public key and with no
//! other, and the private key's text shows in no output.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output};

use mpcert::keys::PrivateKey;
use mpcert::keys::files::read_public_key;
use mpcert::report::Certificate;
use mpcert::report::certificate::signature::{SignatureError, verify};

use crate::support::{mpcert, read, spawn_serve};

/// A key pair written by `mpcert keygen --out DIR/release`.
struct Pair {
    dir: tempfile::TempDir,
    private: PathBuf,
    public: PathBuf,
}

impl Pair {
    /// The base64 body of the private key file: what must never show anywhere else.
    fn private_body(&self) -> String {
        let text = read(&self.private);
        text.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    /// Fails when the private key's text is in `text`.
    fn assert_absent(&self, what: &str, text: &str) {
        let body = self.private_body();
        assert!(body.len() >= 40, "{body:?}");
        assert!(!text.contains(&body), "the private key shows in {what}");
    }
}

fn keygen() -> Pair {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let prefix = dir.path().join("release");
    let output = mpcert(&["keygen", "--out", &prefix.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let pair = Pair {
        private: dir.path().join("release.key"),
        public: dir.path().join("release.pub"),
        dir,
    };
    pair.assert_absent("keygen's output", &text_of(&output));
    pair
}

fn text_of(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The certificate of the JSON report at `path`.
fn certificate_in(path: &Path) -> Certificate {
    let report: serde_json::Value =
        serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_value(report["certificate"].clone())
        .unwrap_or_else(|e| panic!("the report has no certificate: {e}"))
}

/// Checks `certificate` verifies with the pair's public key, and with no other.
fn assert_signed_by(certificate: &Certificate, pair: &Pair) {
    let public = read_public_key(&pair.public).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verify(certificate, &public), Ok(()));
    let other = PrivateKey::generate().public_key();
    assert!(matches!(
        verify(certificate, &other),
        Err(SignatureError::WrongKey { .. })
    ));
    let mut tampered = certificate.clone();
    tampered.certified_version = "9.9".into();
    assert_eq!(
        verify(&tampered, &public),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites_it() {
    let pair = keygen();
    let mode = std::fs::metadata(&pair.private)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mode, 0o600);
    assert!(read(&pair.public).starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let before = read(&pair.private);
    let prefix = pair.dir.path().join("release");
    let again = mpcert(&["keygen", "--out", &prefix.to_string_lossy()]);
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(text_of(&again).contains("release.key: exists already"));
    assert_eq!(read(&pair.private), before);
}

#[test]
fn a_run_signs_its_certificate_with_the_embedded_services_key() {
    let pair = keygen();
    let report = pair.dir.path().join("report.json");
    let junit = pair.dir.path().join("junit.xml");
    let output = mpcert(&[
        "run",
        "--time-scale",
        "0.01",
        "--category",
        "onboarding",
        "--signing-key",
        &pair.private.to_string_lossy(),
        "--report",
        &report.to_string_lossy(),
        "--junit",
        &junit.to_string_lossy(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let certificate = certificate_in(&report);
    assert_signed_by(&certificate, &pair);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("certificate: ").map(|(_, json)| json))
        .unwrap_or_else(|| panic!("no certificate line: {stdout}"));
    let printed: Certificate = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(printed, certificate);
    pair.assert_absent("the run's output", &text_of(&output));
    pair.assert_absent("the report", &read(&report));
    pair.assert_absent("the JUnit file", &read(&junit));
}

#[test]
fn only_the_embedded_service_signs_in_a_run() {
    let pair = keygen();
    let output = mpcert(&[
        "run",
        "--target",
        "http://127.0.0.1:9",
        "--signing-key",
        &pair.private.to_string_lossy(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(text_of(&output).contains("--signing-key: only the embedded service signs"));
    let output = mpcert(&["run", "--signing-key", &pair.public.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let expected = format!(
        "--signing-key: {}: not an ed25519 private key",
        pair.public.display()
    );
    assert!(text_of(&output).contains(&expected), "{output:?}");
}

/// A standalone `mpcert serve`, stopped when dropped.
struct Served {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn line(&mut self) -> String {
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        line
    }
}

#[test]
fn a_standalone_service_signs_every_certificate_it_issues() {
    let pair = keygen();
    let key = pair.private.to_string_lossy();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--time-scale",
        "0.01",
        "--signing-key",
        &key,
    ];
    let (child, stdout, url) = spawn_serve(&args);
    let mut served = Served { child, stdout };
    let banner = [served.line(), served.line()].concat();
    let public = read_public_key(&pair.public).unwrap_or_else(|e| panic!("{e}"));
    let signed_with = format!("every certificate is signed with key {}", public.key_id());
    assert!(banner.contains(&signed_with), "{banner}");
    pair.assert_absent("serve's output", &banner);
    let report = pair.dir.path().join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .args(["run", "--target", &url, "--category", "onboarding"])
        .args(["--report", &report.to_string_lossy()])
        .env_remove("MPCERT_SERVICE_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("cannot start mpcert run: {e}"));
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_signed_by(&certificate_in(&report), &pair);
}
