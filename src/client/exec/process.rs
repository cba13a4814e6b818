//! One run of an exec client's command: started through `sh -c` as the leader of its own process
//! group, with stdin and stdout as the protocol's pipes and stderr drained into a [`LogTail`] by a
//! task of its own (so a client that floods its log never blocks). Stopping it signals the whole
//! group — SIGTERM, a short grace, then SIGKILL — and reaps the leader, so neither the command nor
//! anything it started outlives it. Unix only: process groups and signals are POSIX.

use std::io;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

use super::tail::LogTail;
use crate::client::protocol::MAX_RESPONSE_BYTES;

/// How long a stopped client's stderr may take to reach its end.
const STDERR_DRAIN: Duration = Duration::from_secs(1);

/// How long to wait for the leader to be reaped after SIGKILL.
const REAP_PATIENCE: Duration = Duration::from_secs(5);

/// What reading one line from the client's stdout gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line, without its line break.
    Text(Vec<u8>),
    /// The client closed its stdout (it exited, or is about to).
    End,
    /// The line exceeded [`MAX_RESPONSE_BYTES`].
    TooLong,
}

/// A running client command.
pub struct ClientProcess {
    child: Child,
    group: libc::pid_t,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: JoinHandle<()>,
    reaped: bool,
}

impl ClientProcess {
    /// Starts `sh -c command` in a new process group with `env` added to mpcert's environment
    /// minus `hidden`; its stderr feeds `log`.
    pub fn spawn(
        command: &str,
        env: &[(&str, String)],
        hidden: &[&str],
        log: Arc<Mutex<LogTail>>,
    ) -> io::Result<Self> {
        let mut builder = Command::new("sh");
        builder
            .arg("-c")
            .arg(command)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in hidden {
            builder.env_remove(name);
        }
        builder.envs(env.iter().map(|(name, value)| (name, value)));
        let mut child = builder.spawn()?;
        let missing = || io::Error::other("the child's pipes were not set up");
        let group = child.id().ok_or_else(missing)?;
        let group = libc::pid_t::try_from(group).map_err(io::Error::other)?;
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let mut stderr = child.stderr.take().ok_or_else(missing)?;
        let stderr = tokio::spawn(async move {
            let mut buffer = vec![0; 8192];
            while let Ok(read @ 1..) = stderr.read(&mut buffer).await {
                if let Ok(mut log) = log.lock() {
                    log.push(&buffer[..read]);
                }
            }
        });
        Ok(ClientProcess {
            child,
            group,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            stderr,
            reaped: false,
        })
    }

    /// Writes one line (the line break is added) to the client's stdin.
    pub async fn send(&mut self, line: &[u8]) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::BrokenPipe))?;
        stdin.write_all(line).await?;
        stdin.write_all(b"\n").await?;
        stdin.flush().await
    }

    /// Reads the next line from the client's stdout.
    pub async fn receive(&mut self) -> io::Result<Line> {
        let mut line = Vec::new();
        loop {
            let available = self.stdout.fill_buf().await?;
            if available.is_empty() {
                return Ok(if line.is_empty() {
                    Line::End
                } else {
                    Line::Text(line)
                });
            }
            let (taken, complete) = match available.iter().position(|&b| b == b'\n') {
                Some(end) => (end + 1, true),
                None => (available.len(), false),
            };
            line.extend_from_slice(&available[..taken]);
            self.stdout.consume(taken);
            if line.len() > MAX_RESPONSE_BYTES + 1 {
                return Ok(Line::TooLong);
            }
            if complete {
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Line::Text(line));
            }
        }
    }

    /// Closes stdin, which asks the client to exit, and gives it `patience` to do so before
    /// stopping it; returns how it exited.
    pub async fn close(mut self, patience: Duration, grace: Duration) -> Option<ExitStatus> {
        self.stdin = None;
        match tokio::time::timeout(patience, self.child.wait()).await {
            Ok(Ok(status)) => {
                // The leader is gone; anything it left running in its group goes too.
                self.signal(libc::SIGKILL);
                self.reaped = true;
                self.drain_stderr().await;
                Some(status)
            }
            _ => self.stop(grace).await,
        }
    }

    /// Stops the whole process group: SIGTERM, up to `grace` for the leader to exit, then
    /// SIGKILL; reaps the leader and waits briefly for the rest of its log. Returns how the
    /// leader exited, if it could be reaped.
    pub async fn stop(mut self, grace: Duration) -> Option<ExitStatus> {
        self.stdin = None;
        self.signal(libc::SIGTERM);
        let status = match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(Ok(status)) => {
                self.signal(libc::SIGKILL);
                Some(status)
            }
            _ => {
                self.signal(libc::SIGKILL);
                match tokio::time::timeout(REAP_PATIENCE, self.child.wait()).await {
                    Ok(Ok(status)) => Some(status),
                    _ => None,
                }
            }
        };
        self.reaped = status.is_some();
        self.drain_stderr().await;
        status
    }

    /// Sends `signal` to every process of the group.
    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) with a negative pid signals a process group and touches no memory;
        // the group's leader is not yet reaped (or just was), so the id still names this group.
        let _ = unsafe { libc::kill(-self.group, signal) };
    }

    async fn drain_stderr(&mut self) {
        if tokio::time::timeout(STDERR_DRAIN, &mut self.stderr)
            .await
            .is_err()
        {
            // Something outside the group still holds the pipe open; stop listening to it.
            self.stderr.abort();
        }
    }
}

impl Drop for ClientProcess {
    fn drop(&mut self) {
        if !self.reaped {
            // A run that ends abnormally still takes the client's whole group with it; the
            // leader itself is reaped by the runtime (`kill_on_drop`).
            self.signal(libc::SIGKILL);
            self.stderr.abort();
        }
    }
}
