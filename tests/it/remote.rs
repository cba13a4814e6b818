//! Remote PoS targets end to end: a separately started `mpcert serve` behind TLS, with a
//! certificate made here from a test CA, stands in for the remote PoS API. `mpcert run --target
//! pos:URL` reaches it through its local recording proxy with the reference client: the cases a
//! remote target can run pass, the others are skipped with the reason, nothing is certified, and
//! the integrator's secret appears in no output — not even the trace log. Without the test CA the
//! target's certificate is refused; the reference client is refused against the sandbox.

use std::io::BufReader;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output};

use mpcert::exchange::Exchange;
use mpcert::report::{AdapterInfo, AdapterKind, REFERENCE_CLIENT_NAME, RunReport, Verdict};
use mpcert::service::wire::{CatalogueChoice, SessionCreated, SessionRequest, SessionSummary};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};

use crate::support::{is_skipped, junit_cases, read, spawn_serve};

/// The one case of the built-in catalogue that needs nothing a remote target cannot provide.
const REMOTE_CASE: &str = "onboarding/onboard-pos-final";

/// A test CA and a server certificate it signed for 127.0.0.1, as PEM files in `dir`.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path) -> Result<Pki, rcgen::Error> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "mpcert test CA");
    let ca_key = KeyPair::generate()?;
    let ca = ca.self_signed(&ca_key)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()])?;
    (leaf.subject_alt_names).push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key)?;
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap_or_else(|e| panic!("write {name}: {e}"));
        path
    };
    Ok(Pki {
        ca: write("ca.pem", ca.pem()),
        cert: write("cert.pem", leaf.pem()),
        key: write("key.pem", leaf_key.serialize_pem()),
    })
}

/// A separately started `mpcert serve` behind TLS, stopped (by its own pid) when dropped. Its
/// stdout stays open while it runs: it prints more than the line read here.
struct Standin {
    child: Child,
    url: String,
    _stdout: Option<BufReader<ChildStdout>>,
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `mpcert serve` with the PKI's certificate on an ephemeral port and waits for the line
/// saying where it listens (it prints it once the listener is bound).
fn standin(pki: &Pki) -> Standin {
    let cert = pki.cert.to_string_lossy();
    let key = pki.key.to_string_lossy();
    let args = ["--listen", "127.0.0.1:0", "--time-scale", "0.01"];
    let (child, stdout, url) =
        spawn_serve(&[&args[..], &["--tls-cert", &cert, "--tls-key", &key]].concat());
    let standin = Standin {
        child,
        url,
        _stdout: Some(stdout),
    };
    assert!(standin.url.starts_with("https://"), "{}", standin.url);
    standin
}

/// Opens a session on the stand-in, as the integrator's account at the remote: its client id
/// and secret are the credentials the run presents (and must never show).
fn integrator_account(standin: &Standin, ca: &Path) -> SessionCreated {
    let catalogue = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    let request = SessionRequest {
        client_name: REFERENCE_CLIENT_NAME.into(),
        client_version: "1.0.0".into(),
        adapter: AdapterInfo {
            kind: AdapterKind::Reference,
            command_digest: None,
        },
        profile: mpcert::catalogue::model::Profile::Mobilepay,
        catalogue: CatalogueChoice::Builtin {
            digest: catalogue.digest.clone(),
        },
        cases: crate::support::judged_cases(&["onboarding"]),
        merchant_vat: None,
        integrator_client_ids: Vec::new(),
    };
    let url = format!("{}/certification/v1/sessions", standin.url);
    over_tls(ca, |http| async move {
        let response = http.post(url).json(&request).send().await;
        let response = response.unwrap_or_else(|e| panic!("cannot open a session: {e}"));
        assert_eq!(response.status().as_u16(), 201);
        response.json().await.unwrap_or_else(|e| panic!("{e}"))
    })
}

/// What the stand-in recorded of the account's calls: what the proxy sent on.
fn standin_exchanges(standin: &Standin, ca: &Path, account: &SessionCreated) -> Vec<Exchange> {
    let url = format!(
        "{}/certification/v1/sessions/{}",
        standin.url, account.session_id
    );
    let token = account.session_token.clone();
    let summary: SessionSummary = over_tls(ca, |http| async move {
        let response = http.get(url).bearer_auth(token).send().await;
        let response = response.unwrap_or_else(|e| panic!("cannot read the session: {e}"));
        response.json().await.unwrap_or_else(|e| panic!("{e}"))
    });
    summary.exchanges
}

/// Runs `call` with an HTTPS client that trusts the test CA.
fn over_tls<T, F: std::future::Future<Output = T>>(
    ca: &Path,
    call: impl FnOnce(reqwest::Client) -> F,
) -> T {
    let root =
        reqwest::Certificate::from_pem(read(ca).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let http = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(call(http))
}

/// Runs `mpcert run` against the stand-in with the account's credentials in the environment and
/// the most verbose log there is.
fn run_against(standin: &Standin, account: &SessionCreated, args: &[&str]) -> Output {
    let target = format!("pos:{}/pos/v10", standin.url);
    Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .args(["run", "--target", &target, "--time-scale", "0.01"])
        .args(args)
        .env("MPCERT_CLIENT_ID", &account.client_id)
        .env("MPCERT_CLIENT_SECRET", &account.client_secret)
        .env("MPCERT_LOG", "trace")
        .output()
        .unwrap_or_else(|e| panic!("cannot start mpcert run: {e}"))
}

#[test]
fn a_remote_target_behind_tls_runs_what_it_can_through_the_recording_proxy() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pki = pki(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let standin = standin(&pki);
    let account = integrator_account(&standin, &pki.ca);
    let (junit, report) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let ca = pki.ca.to_string_lossy();
    let junit_arg = junit.to_string_lossy();
    let report_arg = report.to_string_lossy();
    let output = run_against(
        &standin,
        &account,
        &[
            "--ca-cert",
            &ca,
            "--junit",
            &junit_arg,
            "--report",
            &report_arg,
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let transcript = format!("--- stdout\n{stdout}--- stderr (tail)\n{}", tail(&stderr));
    assert_eq!(output.status.code(), Some(0), "{transcript}");
    assert!(stderr.contains("TRACE"), "the log was not at trace level");

    let (junit_text, report_text) = (read(&junit), read(&report));
    for (name, text) in [
        ("console", stdout.as_ref()),
        ("trace log", stderr.as_ref()),
        ("JUnit", &junit_text),
        ("JSON report", &report_text),
    ] {
        assert!(
            !text.contains(&account.client_secret),
            "the client secret leaks into the {name}"
        );
        assert!(
            !text.contains(&account.client_id),
            "the integrator's client id leaks into the {name}"
        );
    }

    let report: RunReport = serde_json::from_str(&report_text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.meta.target, format!("pos:{}/pos/v10", standin.url));
    assert_eq!(report.certificate, None);
    assert!(
        stdout.contains("not certified: a remote PoS target"),
        "{transcript}"
    );
    for category in &report.categories {
        for case in &category.cases {
            let id = format!("{}/{}", category.id, case.id);
            match &case.verdict {
                Verdict::Passed => assert_eq!(id, REMOTE_CASE),
                Verdict::Skipped { reason } => assert!(
                    reason.starts_with("not run: needs the certification backend's")
                        && reason.ends_with("which a remote target cannot provide")
                        || reason.starts_with("not selected: not in this profile"),
                    "{id}: {reason}"
                ),
                other => panic!("{id}: {other:?}\n{transcript}"),
            }
        }
    }
    let remote = crate::support::case(&report, REMOTE_CASE);
    assert_eq!(remote.verdict, Verdict::Passed, "{transcript}");
    let calls: Vec<(String, Option<u16>)> = (remote.exchanges.iter())
        .map(|e| (format!("{} {}", e.method, e.path), e.status))
        .collect();
    assert!(
        calls.contains(&("POST /pos/v10/pointofsales".to_string(), Some(200))),
        "{calls:?}"
    );
    let token = (remote.exchanges.iter()).find(|e| e.path.ends_with("/connect/token"));
    let token = token.unwrap_or_else(|| panic!("no token call recorded: {calls:?}"));
    assert_eq!(token.header("authorization"), Some("Basic <redacted>"));
    assert!(
        (token.response_body.as_deref()).is_some_and(|b| b.contains("\"<redacted>\"")),
        "{:?}",
        token.response_body
    );

    // The stand-in saw the integrator's client id, which the proxy put in place of the
    // session's own, and a token it issued, never the one the proxy minted for the client.
    let sent_on = standin_exchanges(&standin, &pki.ca, &account);
    let create = (sent_on.iter()).find(|e| e.path == "/pos/v10/pointofsales");
    let create = create.unwrap_or_else(|| panic!("the stand-in saw no PoS created"));
    assert_eq!(
        create.header("x-ibm-client-id"),
        Some(account.client_id.as_str())
    );
    assert_eq!(create.status, Some(200));

    let junit = junit_cases(&junit_text);
    let passed: Vec<&str> = (junit.iter())
        .filter(|c| c.children.iter().all(|(tag, _)| tag == "system-out"))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(passed.len(), 1, "{passed:?}");
    assert!(passed[0].starts_with("onboard-pos-final "), "{passed:?}");
    assert_eq!(
        junit.iter().filter(|c| is_skipped(c)).count(),
        junit.len() - 1
    );
}

#[test]
fn a_remote_target_whose_certificate_is_not_trusted_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pki = pki(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let standin = standin(&pki);
    let account = integrator_account(&standin, &pki.ca);
    let output = run_against(&standin, &account, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{}", tail(&stderr));
    let message = stderr.lines().last().unwrap_or_default();
    assert!(
        message.starts_with("mpcert: the TLS certificate of https://127.0.0.1:")
            && message.contains("is not trusted")
            && message.ends_with("trust a private CA with --ca-cert PEM"),
        "{message}"
    );
    assert!(!stderr.contains(&account.client_secret));
}

#[test]
fn the_reference_client_is_never_run_against_the_sandbox() {
    let output = crate::support::mpcert(&["run", "--target", "sandbox"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("mpcert: --client reference cannot run against --target sandbox: MobilePay's self-certification certifies the integrator's own client"),
        "{stderr}"
    );
}

#[test]
fn the_sandbox_runs_in_real_time_only() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .args(["run", "--target", "sandbox", "--client", "exec:true"])
        .args(["--client-name", "Till", "--client-version", "1.0.0"])
        .args(["--time-scale", "0.01"])
        .env("MPCERT_CLIENT_ID", "integrator-id")
        .env("MPCERT_CLIENT_SECRET", "integrator-secret")
        .output()
        .unwrap_or_else(|e| panic!("cannot start mpcert: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--time-scale: MobilePay's sandbox runs in real time"),
        "{stderr}"
    );
    assert!(!stderr.contains("integrator-secret"), "{stderr}");
}

/// The last lines of a long log.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
