//! The reference adapter: mpcert's own PoS v10 client, the executable reference of correct client
//! behaviour (domain reference §7, rules B1–B19). The driver hands it one operation at a time; it
//! performs real HTTP calls against the certification service — token caching and refresh, the
//! mandated headers, per-method timeouts, retries with the same idempotency key and body, poll
//! pacing that honours `pollDelayInMs` across operations, clean-up of a payment left active on
//! the PoS, recovery of an id whose create went unanswered — and returns the result. [`Conduct`]
//! picks a style and switches on deliberate misbehaviours so tests can prove the judge catches
//! each one. Submodules: `conduct` (style and misbehaviours), `timing` (scaled timeouts, retries
//! and delays), `token` (integrator authentication), `attempt` (one HTTP attempt), `http` (one
//! logical call with its retries), `poll` (paced polling and what the client knows about
//! payments), `params` (operation parameters), `recovery` (lost-id lookups) and the operations
//! themselves in `pos_ops`, `payment_start`, `payment_ops` and `refund_ops`.

mod attempt;
mod conduct;
mod http;
mod params;
mod payment_ops;
mod payment_start;
mod poll;
mod pos_ops;
mod recovery;
mod refund_ops;
mod timing;
mod token;

#[cfg(test)]
mod stub;
#[cfg(test)]
mod tests_calls;
#[cfg(test)]
mod tests_flows;
#[cfg(test)]
mod tests_misbehaviours;
#[cfg(test)]
mod tests_recovery;
#[cfg(test)]
mod tests_style;

use crate::catalogue::Operation;
use crate::client::Connection;
use crate::client::protocol::{AdapterError, Fields, OperationOutcome};
pub use conduct::{Conduct, Misbehaviour, MisbehaviourSet, Style};
pub use timing::MIN_TIMEOUT_REAL_MS;

use http::Transport;
use params::Params;
use poll::{Knowledge, PollBook};

/// How the reference client reaches and identifies itself to the certification service, and how
/// it behaves.
#[derive(Debug, Clone)]
pub struct ReferenceConfig {
    /// Where and as whom to connect.
    pub connection: Connection,
    /// Style and deliberate misbehaviours (documented style, none, for the correct client).
    pub conduct: Conduct,
}

/// mpcert's own PoS v10 client; one instance keeps its token and poll memory across operations.
pub struct ReferenceClient {
    transport: Transport,
    polls: PollBook,
    knowledge: Knowledge,
    conduct: Conduct,
}

/// Why an operation did not produce a result: an honest business failure or a broken adapter.
#[derive(Debug)]
enum Failure {
    /// The operation failed for a business reason; becomes `Ok(Err(message))`.
    Reported(String),
    /// No trustworthy outcome; becomes `Err(error)`.
    Adapter(AdapterError),
}

impl From<AdapterError> for Failure {
    fn from(error: AdapterError) -> Self {
        Failure::Adapter(error)
    }
}

/// Shorthand for a business failure.
fn reported<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Reported(message.into()))
}

impl ReferenceClient {
    /// Builds a client; nothing is sent until the first operation.
    pub fn new(config: ReferenceConfig) -> Result<Self, AdapterError> {
        if !(config.connection.time_scale.is_finite() && config.connection.time_scale > 0.0) {
            return Err(AdapterError::Protocol(format!(
                "the reference client needs a positive, finite time scale, got {}",
                config.connection.time_scale
            )));
        }
        let conduct = config.conduct;
        Ok(ReferenceClient {
            transport: Transport::new(config)?,
            polls: PollBook::default(),
            knowledge: Knowledge::default(),
            conduct,
        })
    }

    /// Performs one driver-protocol operation with real PoS v10 calls.
    pub async fn perform(
        &mut self,
        op: Operation,
        params: &Fields,
    ) -> Result<OperationOutcome, AdapterError> {
        let params = Params::new(op, params)?;
        self.polls.start_operation();
        let result = match op {
            Operation::CreatePos => self.create_pos(&params).await,
            Operation::DeletePos => self.delete_pos(&params).await,
            Operation::Pay => self.pay(&params).await,
            Operation::Prepare => self.prepare(&params).await,
            Operation::Ready => self.ready(&params).await,
            Operation::Capture => self.capture(&params).await,
            Operation::Cancel => self.cancel(&params).await,
            Operation::Refund => self.refund(&params).await,
            Operation::CaptureRefund => self.settle_refund(&params, "capture").await,
            Operation::CancelRefund => self.settle_refund(&params, "cancel").await,
        };
        match result {
            Ok(fields) => Ok(Ok(fields)),
            Err(Failure::Reported(message)) => {
                tracing::debug!(op = op.as_str(), %message, "operation failed");
                Ok(Err(message))
            }
            Err(Failure::Adapter(error)) => Err(error),
        }
    }
}
