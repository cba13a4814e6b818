//! `mpcert gate` as CI calls it, on ledgers of certificates made in code from the one a real
//! run earned (and, for `--trust-key`, on certificates that signed and unsigned runs of the
//! example Python client recorded): the certified
//! Major.Minor and a build of it ship (exit 0); a minor or major bump, a missing category, the
//! reference client, a custom catalogue, a compressed run under `--require-real-time` and a
//! default-profile certificate under `--profile strict` are refused (exit 4) with what is
//! missing; a malformed ledger, version or manifest is exit 2 naming the file and line; and
//! `--version-from` reads every kind of manifest.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use mpcert::report::{
    AdapterInfo, AdapterKind, CatalogueProvenance, Certificate, CertifiedCategory,
};

const PRODUCTION_ID: &str = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b";

/// The certificate a quick real run earns: the reference client's onboarding, compressed.
fn earned() -> &'static Certificate {
    static EARNED: OnceLock<Certificate> = OnceLock::new();
    EARNED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let report = dir.path().join("report.json");
        let output = (crate::support::onboarding_run()
            .arg("--report")
            .arg(&report))
        .output()
        .unwrap_or_else(|e| panic!("cannot start mpcert: {e}"));
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let report: serde_json::Value =
            serde_json::from_str(&crate::support::read(&report)).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_value(report["certificate"].clone()).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// [`earned`] as if an integrator's exec client at `version` had earned it in real time for
/// `categories`, naming the production client id.
fn certificate(version: &str, categories: &[&str]) -> Certificate {
    let mut certificate = earned().clone();
    let (certified, _) = version.rsplit_once('.').unwrap_or_default();
    certificate.client_name = "Acme Till".into();
    certificate.client_version = version.into();
    certificate.certified_version = certified.into();
    certificate.adapter = AdapterInfo {
        kind: AdapterKind::Exec,
        command_digest: Some("ab".repeat(32)),
    };
    certificate.time_scale = 1.0;
    certificate.categories = (categories.iter())
        .map(|id| CertifiedCategory {
            id: (*id).into(),
            cases: 3,
        })
        .collect();
    certificate.issued_at = "2026-05-04T08:00:00Z".into();
    certificate.integrator_client_ids = vec![PRODUCTION_ID.into()];
    certificate
}

/// A directory holding the ledger of `certificates`.
fn ledger_of(certificates: &[Certificate]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("ledger.jsonl");
    let lines: Vec<String> = (certificates.iter())
        .map(|c| serde_json::to_string(c).unwrap_or_else(|e| panic!("{e}")) + "\n")
        .collect();
    std::fs::write(&path, lines.concat()).unwrap_or_else(|e| panic!("{e}"));
    (dir, path)
}

/// `mpcert gate --ledger LEDGER ARGS…`: its exit code and everything it printed.
fn gate(ledger: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .arg("gate")
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start mpcert: {e}"));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), printed)
}

const PAYMENTS: [&str; 2] = ["onboarding", "payments"];

#[test]
fn the_certified_major_minor_and_a_build_of_it_ship() {
    let (_dir, ledger) = ledger_of(&[certificate("2.3.0", &PAYMENTS)]);
    let (code, printed) = gate(&ledger, &["--version", "2.3.0", "--requires", "payments"]);
    assert_eq!(code, Some(0), "{printed}");
    assert!(
        printed.starts_with("2.3.0 may ship: 2.3 certified on 2026-05-04"),
        "{printed}"
    );
    let (code, printed) = gate(
        &ledger,
        &["--version", "v2.3.9", "--client-id", PRODUCTION_ID],
    );
    assert_eq!(code, Some(0), "{printed}");
    assert!(
        printed.contains("a build needs no recertification"),
        "{printed}"
    );
}

#[test]
fn a_minor_or_major_bump_is_refused_with_what_was_certified_last() {
    let (_dir, ledger) = ledger_of(&[certificate("2.3.0", &PAYMENTS)]);
    let (code, printed) = gate(
        &ledger,
        &["--version", "2.4.0", "--requires", "payments,refunds"],
    );
    assert_eq!(code, Some(4), "{printed}");
    assert_eq!(
        printed.trim_end(),
        "mpcert: 2.4.0 needs certification: last certified 2.3 on 2026-05-04; 2.4 is a new minor version, and was never certified; refunds not certified for 2.3"
    );
    let (code, printed) = gate(&ledger, &["--version", "3.0.0"]);
    assert_eq!(code, Some(4), "{printed}");
    assert!(printed.contains("3.0 is a new major version"), "{printed}");
}

#[test]
fn a_certificate_that_does_not_meet_a_requirement_is_refused_and_says_why() {
    let mut reference = certificate("2.3.0", &PAYMENTS);
    reference.adapter = AdapterInfo {
        kind: AdapterKind::Reference,
        command_digest: None,
    };
    let mut custom = certificate("2.3.0", &PAYMENTS);
    custom.catalogue = CatalogueProvenance::custom(&"ef".repeat(32));
    let mut compressed = certificate("2.3.0", &PAYMENTS);
    compressed.time_scale = 0.01;
    let cases: [(Certificate, &[&str], &str); 5] = [
        (
            certificate("2.3.0", &["onboarding"]),
            &["--requires", "payments"],
            "payments not certified",
        ),
        (reference, &[], "earned by mpcert's reference client"),
        (custom.clone(), &[], "--allow-custom-catalogue accepts it"),
        (
            compressed,
            &["--require-real-time"],
            "earned at time scale 0.01, not in real time",
        ),
        (
            certificate("2.3.0", &PAYMENTS),
            &["--profile", "strict"],
            "earned in the mobilepay profile, not strict",
        ),
    ];
    for (certificate, flags, says) in cases {
        let (_dir, ledger) = ledger_of(&[certificate]);
        let (code, printed) = gate(&ledger, &[&["--version", "2.3.1"], flags].concat());
        assert_eq!(code, Some(4), "{flags:?}: {printed}");
        assert!(
            printed.contains("2.3 was certified, but no certificate of it counts"),
            "{printed}"
        );
        assert!(
            printed.contains(says),
            "{flags:?} should say `{says}`: {printed}"
        );
    }
    let (_dir, ledger) = ledger_of(&[custom]);
    let (code, printed) = gate(&ledger, &["--version", "2.3.1", "--allow-custom-catalogue"]);
    assert_eq!(code, Some(0), "{printed}");
}

#[test]
fn a_malformed_ledger_version_or_flag_is_exit_2_naming_it() {
    let (dir, ledger) = ledger_of(&[certificate("2.3.0", &PAYMENTS)]);
    let good = std::fs::read_to_string(&ledger).unwrap_or_default();
    std::fs::write(&ledger, format!("{good}{{\"clientName\": \"x\"}}\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, printed) = gate(&ledger, &["--version", "2.3.0"]);
    assert_eq!(code, Some(2), "{printed}");
    assert!(
        printed.contains(&format!("{}:2:", ledger.display())),
        "{printed}"
    );
    let (code, printed) = gate(&dir.path().join("none.jsonl"), &["--version", "2.3.0"]);
    assert_eq!(code, Some(2), "{printed}");
    assert!(printed.contains("none.jsonl"), "{printed}");
    let (_dir, ledger) = ledger_of(&[certificate("2.3.0", &PAYMENTS)]);
    for (flags, says) in [
        (
            &["--version", "2.3"][..],
            "--version: `2.3` is not a version",
        ),
        (
            &["--version", "2.3.0", "--requires", "bogus"],
            "--requires: `bogus` is not a category",
        ),
        (
            &["--version", "2.3.0", "--client-id", "prod"],
            "--client-id: `prod` is not",
        ),
        (&["--requires", "payments"], "--version"),
    ] {
        let (code, printed) = gate(&ledger, flags);
        assert_eq!(code, Some(2), "{flags:?}: {printed}");
        assert!(
            printed.contains(says),
            "{flags:?} should say `{says}`: {printed}"
        );
    }
}

#[test]
fn version_from_reads_every_kind_of_manifest() {
    let (dir, ledger) = ledger_of(&[certificate("2.3.0", &PAYMENTS)]);
    let manifests = [
        (
            "Cargo.toml",
            "[package]\nname = \"till\"\nversion = \"2.3.4\"\n",
        ),
        (
            "package.json",
            "{\"name\": \"till\", \"version\": \"2.3.4\"}\n",
        ),
        (
            "pyproject.toml",
            "[project]\nname = \"till\"\nversion = \"2.3.4\"\n",
        ),
        (
            "Till.csproj",
            "<Project><PropertyGroup><Version>2.3.4</Version></PropertyGroup></Project>\n",
        ),
        (
            "pom.xml",
            "<project><parent><version>9.0.0</version></parent><version>2.3.4</version></project>\n",
        ),
        ("build.gradle", "version '2.3.4'\n"),
        ("build.gradle.kts", "version = \"2.3.4\"\n"),
        ("VERSION", "2.3.4\n"),
    ];
    for (name, text) in manifests {
        let kind = dir.path().join(name.replace('.', "-"));
        std::fs::create_dir(&kind).unwrap_or_else(|e| panic!("{e}"));
        let path = kind.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let from = path.display().to_string();
        let (code, printed) = gate(&ledger, &["--version-from", &from]);
        assert_eq!(code, Some(0), "{name}: {printed}");
        assert!(printed.starts_with("2.3.4 may ship"), "{name}: {printed}");
        let bumped = text.replace("2.3.4", "2.4.0");
        std::fs::write(&path, bumped).unwrap_or_else(|e| panic!("{e}"));
        let (code, printed) = gate(&ledger, &["--version-from", &from]);
        assert_eq!(code, Some(4), "{name}: {printed}");
        std::fs::write(&path, "").unwrap_or_else(|e| panic!("{e}"));
        let (code, printed) = gate(&ledger, &["--version-from", &from]);
        assert_eq!(code, Some(2), "{name}: {printed}");
        assert!(
            printed.contains(&format!("--version-from: {from}")),
            "{name}: {printed}"
        );
    }
}

#[test]
fn a_trusted_key_admits_only_certificates_its_service_signed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let prefix = |name: &str| dir.path().join(name).display().to_string();
    for name in ["release", "other"] {
        let made = crate::support::mpcert(&["keygen", "--out", &prefix(name)]);
        assert_eq!(made.status.code(), Some(0), "{made:?}");
    }
    let shim = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ci-examples/python-client/shim.py"
    );
    let ledger = dir.path().join("ledger.jsonl");
    let certify = |signing: Option<&str>| {
        let mut command = crate::support::onboarding_run();
        command
            .arg("--client")
            .arg(format!("exec:python3 '{shim}'"))
            .args([
                "--client-name",
                "Example Python PoS",
                "--client-version",
                "1.0.0",
            ])
            .arg("--record")
            .arg(&ledger);
        if let Some(key) = signing {
            command.arg("--signing-key").arg(format!("{key}.key"));
        }
        let output = command.output().unwrap_or_else(|e| panic!("mpcert: {e}"));
        assert_eq!(output.status.code(), Some(0), "{output:?}");
    };
    let gate = |key: &str| {
        let output = crate::support::mpcert(&[
            "gate",
            "--ledger",
            &ledger.display().to_string(),
            "--version",
            "1.0.3",
            "--trust-key",
            &format!("{key}.pub"),
        ]);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    certify(None);
    let (code, stderr) = gate(&prefix("release"));
    assert_eq!(
        code,
        Some(4),
        "an unsigned certificate is not trusted: {stderr}"
    );
    assert!(stderr.contains("not signed by the trusted key"), "{stderr}");
    certify(Some(&prefix("other")));
    let (code, stderr) = gate(&prefix("release"));
    assert_eq!(
        code,
        Some(4),
        "another key's certificate is not trusted: {stderr}"
    );
    certify(Some(&prefix("release")));
    let (code, stderr) = gate(&prefix("release"));
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = gate(&prefix("missing"));
    assert_eq!(
        code,
        Some(2),
        "a missing key file is a usage error: {stderr}"
    );
    assert!(stderr.contains("--trust-key"), "{stderr}");
}
