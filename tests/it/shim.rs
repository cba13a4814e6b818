//! A driver-protocol client for the adapter tests: a short Python script (standard library
//! only) written into the test's temporary directory with a three-case catalogue. It answers
//! every request `ok` with an empty result, and misbehaves as its mode says on the request for
//! posId `second` — the second step of the second case, so the misbehaviour happens in the middle
//! of a case. It records the PID of every process it starts (`pids`), its own PID once per start
//! (`starts`), the environment it was
//! given (`env.json`), its command line (`argv.json`) and every request line (`stdin`), and
//! prints the client secret to its stderr, so tests can show it never reaches a report.

use std::path::{Path, PathBuf};

use mpcert::client::ClientSpec;
use mpcert::config::{CatalogueSource, RunConfig};

use crate::support::config;

/// The shim's script.
const SCRIPT: &str = r#"
import json, os, signal, subprocess, sys

directory, mode = sys.argv[1], sys.argv[2]

def note(name, text):
    with open(os.path.join(directory, name), "a") as f:
        f.write(text + "\n")

note("pids", str(os.getpid()))
note("starts", str(os.getpid()))
with open(os.path.join(directory, "env.json"), "w") as f:
    json.dump({k: v for k, v in os.environ.items() if k.startswith("MPCERT_")}, f)
with open(os.path.join(directory, "argv.json"), "w") as f:
    json.dump(sys.argv, f)
print("shim started", file=sys.stderr, flush=True)
if mode == "exit-at-once":
    print("cannot start: no configuration", file=sys.stderr, flush=True)
    sys.exit(3)

for line in sys.stdin:
    note("stdin", line.rstrip("\n"))
    request = json.loads(line)
    secret = os.environ["MPCERT_CLIENT_SECRET"]
    print("performing", request["op"], "as", secret, file=sys.stderr, flush=True)
    answer = {"id": request["id"], "ok": True, "result": {}}
    if mode == "echo":
        answer["result"] = {"posId": request["params"]["posId"], "note": "secret " + secret}
        answer["trace"] = {"spanId": "span-" + str(request["id"])}
    if request["params"].get("posId") == "second":
        if mode == "hang":
            child = subprocess.Popen(["sleep", "1000"])
            note("pids", str(child.pid))
            ready = os.path.join(directory, "ready")
            if os.path.exists(ready):
                with open(ready, "w") as fifo:
                    fifo.write("hanging\n")
            child.wait()
        elif mode == "garbage":
            print("Traceback: something went wrong", flush=True)
            continue
        elif mode == "wrong-id":
            answer["id"] += 100
        elif mode == "crash":
            print("about to crash", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        elif mode == "flood":
            for n in range(200000):
                sys.stderr.write("flood line %d\n" % n)
            print("last words", file=sys.stderr, flush=True)
            sys.exit(1)
    print(json.dumps(answer), flush=True)
"#;

/// The catalogue: three cases, the second with two steps.
const CATALOGUE: &str = r#"
category:
  id: plumbing
  title: Plumbing
  summary: Cases whose only purpose is to operate the client under test.
  mandatory: true

cases:
  - id: first
    title: First
    summary: One step.
    evidence: inferred
    steps:
      - do: delete_pos
        with: { posId: first }
        expect: { calls: { "DELETE /pointofsales/{posid}": 1 } }
  - id: second
    title: Second
    summary: Two steps; the shim misbehaves in the second.
    evidence: inferred
    steps:
      - do: delete_pos
        with: { posId: second-setup }
        expect: { calls: { "DELETE /pointofsales/{posid}": 1 } }
      - do: delete_pos
        with: { posId: second }
        expect: { calls: { "DELETE /pointofsales/{posid}": 1 } }
  - id: third
    title: Third
    summary: One step.
    evidence: inferred
    steps:
      - do: delete_pos
        with: { posId: third }
        expect: { calls: { "DELETE /pointofsales/{posid}": 1 } }
"#;

/// A shim and its catalogue in a temporary directory of their own.
pub struct Shim {
    /// The directory (removed when the shim is dropped).
    pub dir: tempfile::TempDir,
    mode: String,
}

impl Shim {
    /// Writes the shim and its catalogue for `mode`.
    pub fn new(mode: &str) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let cases = dir.path().join("cases");
        std::fs::create_dir(&cases).unwrap_or_else(|e| panic!("mkdir: {e}"));
        std::fs::write(cases.join("plumbing.yaml"), CATALOGUE)
            .unwrap_or_else(|e| panic!("write catalogue: {e}"));
        std::fs::write(dir.path().join("shim.py"), SCRIPT)
            .unwrap_or_else(|e| panic!("write shim: {e}"));
        Shim {
            dir,
            mode: mode.to_string(),
        }
    }

    /// A file of the shim's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The `--client` value that starts the shim.
    pub fn client(&self) -> String {
        let dir = self.dir.path().display();
        format!("exec:python3 '{dir}/shim.py' '{dir}' {}", self.mode)
    }

    /// The catalogue directory.
    pub fn cases(&self) -> PathBuf {
        self.path("cases")
    }

    /// An in-process run of the shim's catalogue with the shim as the client.
    pub fn config(&self) -> RunConfig {
        let mut config = config(Default::default(), None);
        config.catalogue = CatalogueSource::Dir(self.cases());
        config.client = ClientSpec::parse(&self.client()).unwrap_or_else(|e| panic!("{e}"));
        config.client_name = "Shim Till".into();
        config
    }

    /// Lines of a file the shim wrote (none when it wrote nothing).
    pub fn lines(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.path(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Asserts that none of the processes in `pids` (one PID per line) is still running; a zombie
/// is allowed only when it is not this process's child (its parent is then gone or init).
pub fn assert_none_survives(pids: &Path) {
    let pids = std::fs::read_to_string(pids).unwrap_or_else(|e| panic!("no pids: {e}"));
    assert!(!pids.trim().is_empty(), "the shim recorded no process");
    for pid in pids.lines() {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may contain spaces, so read after its last `)`.
        let after = stat.rfind(')').map_or("", |end| &stat[end + 1..]);
        let mut fields = after.split_whitespace();
        let (state, parent) = (fields.next(), fields.next());
        let ours = parent == Some(std::process::id().to_string().as_str());
        assert!(
            state == Some("Z") && !ours,
            "process {pid} survived the run: {stat}"
        );
    }
}
