//! Cancellation as CI systems do it: SIGTERM sent to the built binary while an exec client hangs
//! in the middle of a case stops the client's whole process group and still writes valid JUnit
//! and JSON reports — the finished case keeps its verdict, the rest are errors — and exits 3.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use mpcert::report::Verdict;

use crate::shim::{Shim, assert_none_survives};
use crate::support::{case, junit_cases, read};

/// How long the test waits for the run to reach the hanging step, and then to end.
const PATIENCE: Duration = Duration::from_secs(60);

#[test]
fn sigterm_mid_case_stops_the_client_and_writes_the_reports() {
    let shim = Shim::new("hang");
    let ready = shim.path("ready");
    let made = Command::new("mkfifo").arg(&ready).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let (junit, report) = (shim.path("out.xml"), shim.path("report.json"));
    let cases = shim.cases();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpcert"))
        .args(["run", "--time-scale", "0.01", "--client-name", "Shim Till"])
        .args(["--client-version", "2.1.0"])
        .arg("--cases")
        .arg(&cases)
        .arg("--client")
        .arg(shim.client())
        .arg("--junit")
        .arg(&junit)
        .arg("--report")
        .arg(&report)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));

    // The shim writes a line into the fifo once it hangs in the second case's second step.
    let (sender, signal) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(std::fs::read_to_string(ready));
    });
    let line = signal.recv_timeout(PATIENCE);
    if !matches!(&line, Ok(Ok(text)) if text == "hanging\n") {
        let _ = child.kill();
        panic!("the shim never reached the hanging step: {line:?}");
    }
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(terminated.is_ok_and(|s| s.success()));

    let mut stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (sender, ended) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = sender.send((child.wait().map(|s| s.code()), text));
    });
    let (status, stderr) = ended
        .recv_timeout(PATIENCE)
        .unwrap_or_else(|_| panic!("mpcert did not end after SIGTERM"));
    assert_eq!(status.ok().flatten(), Some(3), "{stderr}");
    assert!(stderr.contains("mpcert: terminated; stopping the client and finishing the report"));

    let junit = junit_cases(&read(&junit));
    let children = |index: usize| -> Vec<&str> {
        (junit[index].children.iter())
            .map(|(tag, _)| tag.as_str())
            .collect()
    };
    assert_eq!(junit.len(), 3);
    assert!(children(0).contains(&"failure"), "{:?}", children(0));
    assert!(children(1).contains(&"error") && children(1).contains(&"system-err"));
    assert!(children(2).contains(&"error"));

    let bytes = std::fs::read(&report).unwrap_or_else(|e| panic!("no report: {e}"));
    let report =
        mpcert::report::json::from_json(&bytes, "report.json").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        case(&report, "plumbing/first").verdict,
        Verdict::Failed { .. }
    ));
    let reason = |id: &str| match &case(&report, id).verdict {
        Verdict::Error { reason } => reason.clone(),
        other => panic!("{id} is {other:?}"),
    };
    assert_eq!(reason("plumbing/second"), "the run was interrupted");
    assert_eq!(
        reason("plumbing/third"),
        "the run was interrupted before this case"
    );
    assert_none_survives(&shim.path("pids"));
}
