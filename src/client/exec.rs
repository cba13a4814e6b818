//! The exec adapter (`--client exec:'<command line>'`): the integrator's client as one
//! long-lived process per run, operated over the driver protocol with one JSON request per line
//! on its stdin and one JSON response per line on its stdout. Its stderr is its log, kept as a
//! bounded tail for the report of the case it belongs to. The command is started when the first
//! operation needs it; a client that exits, writes something other than the answer expected, or
//! is abandoned (timeout, interrupt) is stopped with its whole process group and started afresh
//! when the next case needs it. Unix only.

mod process;
mod tail;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::catalogue::Operation;
use crate::config::SERVICE_TOKEN_ENV;
use crate::secret::Secret;

use super::Connection;
use super::protocol::{AdapterError, Answer, Fields, MAX_RESPONSE_BYTES, RequestIds, read_answer};
use process::{ClientProcess, Line};
use tail::LogTail;

/// How long a client has between SIGTERM and SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(500);

/// How long a client has to exit after its stdin was closed at the end of the run.
const EXIT_PATIENCE: Duration = Duration::from_secs(2);

/// An exec client under test.
pub struct ExecClient {
    command: String,
    env: Vec<(&'static str, String)>,
    secret: Secret,
    log: Arc<Mutex<LogTail>>,
    process: Option<ClientProcess>,
    ids: RequestIds,
}

impl ExecClient {
    /// A client started with `command` once the first operation needs it, connected as
    /// `connection` says.
    pub fn new(command: &str, connection: Connection) -> Self {
        let env = connection.announced();
        ExecClient {
            command: command.to_string(),
            env,
            secret: connection.client_secret,
            log: Arc::default(),
            process: None,
            ids: RequestIds::default(),
        }
    }

    /// Performs one operation: starts the client if it is not running, writes the request, and
    /// reads its answer. Anything but the answer to this request stops the client.
    pub async fn perform(
        &mut self,
        op: Operation,
        params: &Fields,
    ) -> Result<Answer, AdapterError> {
        let request = self.ids.next(op, params);
        let line = serde_json::to_vec(&request)
            .map_err(|e| AdapterError::Protocol(format!("cannot encode the request: {e}")))?;
        let process = match &mut self.process {
            Some(process) => process,
            None => self.process.insert(self.start()?),
        };
        let received = match process.send(&line).await {
            Ok(()) => process.receive().await,
            Err(e) => Err(e),
        };
        let answer = match received {
            Ok(Line::Text(text)) => read_answer(&text, request.id, "a line", &self.secret),
            Ok(Line::End) | Err(_) => Err(self.exited(op).await),
            Ok(Line::TooLong) => Err(AdapterError::Protocol(format!(
                "the client wrote a line longer than {MAX_RESPONSE_BYTES} bytes instead of a response"
            ))),
        };
        if answer.is_err() {
            self.abandon().await;
        }
        answer
    }

    /// Stops the client, if it runs, with its whole process group; the next operation starts it
    /// afresh.
    pub async fn abandon(&mut self) {
        if let Some(process) = self.process.take() {
            process.stop(TERM_GRACE).await;
        }
    }

    /// Closes the client's stdin, which asks it to exit, and stops it if it does not.
    pub async fn shutdown(&mut self) {
        if let Some(process) = self.process.take() {
            process.close(EXIT_PATIENCE, TERM_GRACE).await;
        }
    }

    /// What the client wrote to stderr since the last call, its secrets scrubbed.
    pub fn take_log(&mut self) -> Option<String> {
        let text = self.log.lock().ok()?.take()?;
        Some(self.secret.scrub(&text))
    }

    fn start(&self) -> Result<ClientProcess, AdapterError> {
        ClientProcess::spawn(
            &self.command,
            &self.env,
            &[SERVICE_TOKEN_ENV],
            self.log.clone(),
        )
        .map_err(|e| AdapterError::Unavailable(format!("cannot start the client command: {e}")))
    }

    /// The error for a client that stopped answering: it closed its stdout or its stdin; how
    /// it exited, once stopped.
    async fn exited(&mut self, op: Operation) -> AdapterError {
        let status = match self.process.take() {
            Some(process) => process.stop(TERM_GRACE).await,
            None => None,
        };
        let how = status.map_or_else(|| "it could not be reaped".to_string(), describe_exit);
        AdapterError::Protocol(format!(
            "the client exited during `{}` without answering ({how})",
            op.as_str()
        ))
    }
}

/// `exit status 3` or `killed by signal 9`.
fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    }
}
