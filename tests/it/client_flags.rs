//! The client flags of the built binary: an integrator's client needs a name and a version, which
//! CI can set once in `MPCERT_CLIENT_NAME` and `MPCERT_CLIENT_VERSION`, flags winning;
//! malformed client specs and timeouts are usage errors naming their flag; and the session's
//! client secret, handed to the client in its environment, appears nowhere in mpcert's own
//! output, even at trace level.

use std::process::Command;

use serde_json::Value;

use crate::shim::Shim;
use crate::support::{mpcert, read};

/// Runs the binary on the shim's catalogue with `args` and `env`; returns the exit code, the
/// console output (stdout and stderr) and the JSON report.
fn run_shim(shim: &Shim, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, Value) {
    let report = shim.path("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .args(["run", "--time-scale", "0.01", "--client", &shim.client()])
        .arg("--cases")
        .arg(shim.cases())
        .arg("--report")
        .arg(&report)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot start mpcert: {e}"));
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report = serde_json::from_str(&read(&report)).unwrap_or_else(|e| panic!("{e}"));
    (output.status.code(), console, report)
}

#[test]
fn an_external_client_needs_a_name() {
    let output = mpcert(&["run", "--client", "exec:true"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--client-name: name the client system you certify")
            && stderr.contains("MPCERT_CLIENT_NAME"),
        "{stderr}"
    );
}

#[test]
fn an_external_client_needs_a_version() {
    let output = mpcert(&["run", "--client", "exec:true", "--client-name", "Till"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--client-version: name the version you certify")
            && stderr.contains("MPCERT_CLIENT_VERSION"),
        "{stderr}"
    );
}

#[test]
fn malformed_client_specs_and_timeouts_name_their_flag() {
    for (args, flag) in [
        (
            vec!["--client", "exec:  "],
            "--client: `exec:` needs the command line",
        ),
        (
            vec!["--client", "http:ftp://host/x"],
            "--client: `ftp://host/x` is not an http(s) URL",
        ),
        (vec!["--client", "lua"], "--client: unknown client `lua`"),
        (
            vec![
                "--client-name",
                "Till",
                "--client-version",
                "1.0.0",
                "--client",
                "exec:true",
                "--operation-timeout",
                "0",
            ],
            "--operation-timeout: 0 is out of range",
        ),
    ] {
        let mut all = vec!["run"];
        all.extend(args.iter().copied());
        let output = mpcert(&all);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

#[test]
fn name_and_version_come_from_the_environment_unless_flags_say_otherwise() {
    let shim = Shim::new("echo");
    let env = [
        ("MPCERT_CLIENT_NAME", "Env Till"),
        ("MPCERT_CLIENT_VERSION", "3.4.5"),
    ];
    let (code, _, report) = run_shim(&shim, &[], &env);
    assert_eq!(code, Some(1));
    assert_eq!(report["meta"]["clientName"], "Env Till");
    assert_eq!(report["meta"]["clientVersion"], "3.4.5");
    let (_, _, report) = run_shim(&shim, &["--client-name", "Flag Till"], &env);
    assert_eq!(report["meta"]["clientName"], "Flag Till");
    assert_eq!(report["meta"]["clientVersion"], "3.4.5");
}

#[test]
fn the_client_secret_is_in_no_output_even_at_trace_level() {
    let shim = Shim::new("echo");
    let junit = shim.path("out.xml");
    let junit_arg = junit.display().to_string();
    let args = [
        "--client-name",
        "Shim Till",
        "--client-version",
        "2.1.0",
        "-v",
        "--junit",
        &junit_arg,
    ];
    let (code, console, report) = run_shim(&shim, &args, &[("MPCERT_LOG", "trace")]);
    assert_eq!(code, Some(1), "{console}");
    let env: Value = serde_json::from_str(&read(&shim.path("env.json")))
        .unwrap_or_else(|e| panic!("env.json: {e}"));
    let secret = env["MPCERT_CLIENT_SECRET"].as_str().unwrap_or_default();
    assert!(secret.len() >= 16, "the client got its secret: {env}");
    assert!(console.contains("FAIL  plumbing/first"), "{console}");
    let log = &report["categories"][0]["cases"][0]["clientLog"];
    assert!(
        log.as_str()
            .unwrap_or_default()
            .contains("performing delete_pos as <redacted>"),
        "the shim printed its secret, which was scrubbed: {log}"
    );
    for (name, text) in [
        ("console", console),
        ("report", report.to_string()),
        ("junit", read(&junit)),
    ] {
        assert!(!text.contains(secret), "the secret is in the {name}");
    }
}
