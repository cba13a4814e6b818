//! The README's "Develop against mpcert serve" walkthrough, run verbatim: its one `sh` block is
//! taken from README.md by its heading and run with `bash -euo pipefail` in a temporary directory,
//! with the built `mpcert` first on `PATH` and a free port in `MPCERT_PORT`. The block starts
//! `mpcert serve` itself and stops it at its end; bash runs in a process group of its own, which
//! is killed whatever happens, so no server outlives the test.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::read;

/// The heading of the walkthrough's section.
const HEADING: &str = "## Develop against mpcert serve";

/// How long the whole walkthrough may take (it takes well under a second).
const TIMEOUT: Duration = Duration::from_secs(60);

/// The payment statuses the walkthrough prints, in order.
const STATUSES: [&str; 4] = ["Initiated", "IssuedToUser", "Reserved", "Captured"];

/// The one ```sh block of the section under `heading` (up to the next `## ` heading).
fn sh_block(readme: &str, heading: &str) -> String {
    let mut lines = readme.lines().skip_while(|line| line.trim_end() != heading);
    assert!(
        lines.next().is_some(),
        "README.md has no `{heading}` section"
    );
    let section: Vec<&str> = lines.take_while(|line| !line.starts_with("## ")).collect();
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in section {
        match current.as_mut() {
            None if line.trim_end() == "```sh" => current = Some(Vec::new()),
            None => {}
            Some(block) if line.trim_end() == "```" => {
                blocks.push(block.join("\n") + "\n");
                current = None;
            }
            Some(block) => block.push(line),
        }
    }
    assert!(current.is_none(), "`{heading}`: an unclosed ```sh block");
    assert_eq!(
        blocks.len(),
        1,
        "`{heading}` must hold exactly one ```sh block"
    );
    blocks.remove(0)
}

/// Fails, saying what to install, unless `tool` runs.
fn require(tool: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        found,
        "the README walkthrough needs `{tool}`: install curl and jq (Debian: apt-get install -y curl jq; macOS: brew install jq)"
    );
}

/// A port nobody listens on right now: bound on 127.0.0.1:0, then released.
fn free_port() -> u16 {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local address: {e}"))
        .port()
}

/// A child leading a process group of its own; dropping it kills the whole group (bash and any
/// server it started), whether the test passed, failed or timed out.
struct Group(Child);

impl Group {
    /// Waits for the leader to exit, at most `timeout`.
    fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.0.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("wait for bash: {e}"),
            }
        }
        None
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // bash's own `kill` reaches a group even when its leader has exited; a group with no
        // process left is an error that does not matter here.
        let _ = Command::new("bash")
            .args(["-c", "kill -KILL -- \"-$1\" 2>/dev/null", "kill"])
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

/// Whether something accepts connections on 127.0.0.1:`port`.
fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// The `status` of every line of `stdout` that is a JSON object with one.
fn statuses(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|value| value["status"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn the_readme_walkthrough_takes_a_payment_from_initiated_to_captured() {
    require("curl");
    require("jq");
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let block = sh_block(&readme, HEADING);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mpcert"))
        .parent()
        .unwrap_or_else(|| panic!("the mpcert binary has no directory"));
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(bin_dir.to_path_buf()).chain(std::env::split_paths(&inherited));
    let path = std::env::join_paths(dirs).unwrap_or_else(|e| panic!("PATH: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = |name: &str| {
        File::create(dir.path().join(name)).unwrap_or_else(|e| panic!("create {name}: {e}"))
    };
    let port = free_port();

    let child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &block])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("MPCERT_PORT", port.to_string())
        .env_remove("MPCERT_SERVICE_TOKEN")
        .stdin(Stdio::null())
        .stdout(out("stdout"))
        .stderr(out("stderr"))
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start bash: {e}"));
    let mut group = Group(child);
    let started = Instant::now();
    let status = group.wait(TIMEOUT);
    let elapsed = started.elapsed();
    let stdout = read(&dir.path().join("stdout"));
    let stderr = read(&dir.path().join("stderr"));
    let transcript = format!("--- stdout\n{stdout}--- stderr\n{stderr}");

    let Some(status) = status else {
        panic!("the walkthrough did not finish within {TIMEOUT:?}\n{transcript}");
    };
    assert!(
        status.success(),
        "the walkthrough failed: {status}\n{transcript}"
    );
    assert!(
        stdout.contains(&format!("listening on http://127.0.0.1:{port}")),
        "the service did not say where it listens\n{transcript}"
    );
    assert_eq!(statuses(&stdout), STATUSES, "{transcript}");
    for answer in ["checkin 200", "acceptpayment 200", "capture 200"] {
        assert!(
            stdout.lines().any(|line| line == answer),
            "no `{answer}`\n{transcript}"
        );
    }
    // The block stops its own server: the port closes without the group being killed.
    let deadline = Instant::now() + Duration::from_secs(5);
    while listening(port) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !listening(port),
        "the walkthrough left its server running on port {port}\n{transcript}"
    );
    eprintln!("the README walkthrough ran in {elapsed:?}");
}
