//! Paced polling (B9, B10) and what the client knows about payments. Each polled resource
//! (`/payments/{id}`, `/refunds/{id}`) remembers when its last answer arrived and the
//! `pollDelayInMs` it carried, across operations, so a capture's confirming read waits as long
//! as the next poll of a running payment would. A poll goes out as soon as that delay has passed;
//! a poll that times out or fails is simply polled again at the same pace (the last known delay,
//! or the scaled default before one is known; a client that deliberately never reads the delay
//! keeps that default). An operation polls at most
//! [`MAX_POLLS_PER_OPERATION`] times. The last status seen of every payment is kept so the client
//! never captures or cancels a payment it saw terminal.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::attempt::Attempt;
use super::conduct::Misbehaviour;
use super::http::Call;
use super::{Failure, ReferenceClient, reported};
use crate::pos::PaymentStatus;

/// The most polls one operation makes before it gives up.
pub(super) const MAX_POLLS_PER_OPERATION: u32 = 2000;

/// When a resource was last answered and how long the service asked to wait after that.
#[derive(Debug, Clone, Copy)]
struct Pace {
    answered_at: Instant,
    delay: Duration,
}

/// Poll pacing per resource, and the poll budget of the running operation.
#[derive(Debug)]
pub(super) struct PollBook {
    paces: HashMap<String, Pace>,
    polls_left: u32,
}

impl Default for PollBook {
    fn default() -> Self {
        PollBook {
            paces: HashMap::new(),
            polls_left: MAX_POLLS_PER_OPERATION,
        }
    }
}

impl PollBook {
    /// Resets the poll budget for a new operation (pacing is kept).
    pub(super) fn start_operation(&mut self) {
        self.polls_left = MAX_POLLS_PER_OPERATION;
    }

    /// The earliest moment the resource may be polled again.
    fn next_allowed(&self, resource: &str) -> Option<Instant> {
        self.paces
            .get(resource)
            .map(|pace| pace.answered_at + pace.delay)
    }

    /// Records that a poll of `resource` ended now, with the delay the answer named (if any).
    fn record(&mut self, resource: &str, delay: Option<Duration>, fallback: Duration) {
        let delay = delay
            .or_else(|| self.paces.get(resource).map(|pace| pace.delay))
            .unwrap_or(fallback);
        let pace = Pace {
            answered_at: Instant::now(),
            delay,
        };
        self.paces.insert(resource.to_string(), pace);
    }
}

/// The last answer the client saw for one payment.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PaymentView {
    /// `status` as the service wrote it (any value is tolerated).
    pub(super) status: String,
    /// `partialCapturePossible`, when the answer carried it.
    pub(super) partial_capture_possible: Option<bool>,
    /// The payment's amount, when known.
    pub(super) amount: Option<f64>,
}

impl PaymentView {
    /// Whether no transition is possible any more.
    pub(super) fn is_terminal(&self) -> bool {
        PaymentStatus::parse(&self.status).is_some_and(PaymentStatus::is_terminal)
    }
}

/// Whether a payment status still blocks its PoS, so a `pay` keeps polling it: every active
/// status, expected or not (B18: `Paired` for a plainly initiated payment is polled on). Unknown
/// statuses do not block: they are reported to the driver rather than polled forever.
pub(super) fn is_active_status(status: &str) -> bool {
    PaymentStatus::parse(status).is_some_and(PaymentStatus::is_active)
}

/// What the client has seen of payments, by payment id.
#[derive(Debug, Default)]
pub(super) struct Knowledge {
    payments: HashMap<String, PaymentView>,
}

impl Knowledge {
    /// The last view of a payment, if it was ever read.
    pub(super) fn payment(&self, payment_id: &str) -> Option<&PaymentView> {
        self.payments.get(payment_id)
    }
}

/// The `status` of a polled resource.
fn status_of(body: &Value) -> Option<&str> {
    body.get("status").and_then(Value::as_str)
}

impl ReferenceClient {
    /// One answered poll of the resource at `segments`, respecting its pace.
    async fn poll(&mut self, segments: &[&str]) -> Result<Value, Failure> {
        let call = Call::get(segments);
        let resource = call.label();
        let fallback = self.transport.timing().default_poll_delay();
        let attempts = self.transport.timing().attempts();
        let mut connect_failures = 0;
        let mut last = String::from("no poll made");
        while self.polls.polls_left > 0 {
            if !self.conduct.has(Misbehaviour::IgnorePollDelay) {
                if let Some(at) = self.polls.next_allowed(&resource) {
                    tokio::time::sleep_until(at.into()).await;
                }
            }
            self.polls.polls_left -= 1;
            let outcome = self.transport.once(&call).await?;
            match &outcome {
                Attempt::Answered { status, body } if (200..300).contains(status) => {
                    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                    let delay = self.announced_delay(&body);
                    self.polls.record(&resource, delay, fallback);
                    return Ok(body);
                }
                Attempt::Answered { status, .. } if *status < 500 => {
                    self.polls.record(&resource, None, fallback);
                    return reported(format!("{resource} answered {}", outcome.describe()));
                }
                Attempt::Connect(reason) => {
                    connect_failures += 1;
                    if connect_failures >= attempts {
                        return Err(self.transport.unreachable(&call, reason.clone()).into());
                    }
                }
                _ => connect_failures = 0,
            }
            last = outcome.describe();
            self.polls.record(&resource, None, fallback);
        }
        reported(format!(
            "gave up polling {resource} after {MAX_POLLS_PER_OPERATION} polls in one operation; last poll: {last}"
        ))
    }

    /// The `pollDelayInMs` an answer names, unless the client deliberately never reads it (then
    /// the pace stays at the scaled default).
    fn announced_delay(&self, body: &Value) -> Option<Duration> {
        if self.conduct.has(Misbehaviour::FixedPollInterval) {
            return None;
        }
        body.get("pollDelayInMs")
            .and_then(Value::as_f64)
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
    }

    /// Polls the resource until its status no longer satisfies `keep_polling` (the first answer
    /// always counts); returns the last answer.
    async fn poll_until(
        &mut self,
        segments: &[&str],
        keep_polling: impl Fn(&str) -> bool,
    ) -> Result<Value, Failure> {
        loop {
            let body = self.poll(segments).await?;
            let Some(status) = status_of(&body) else {
                return reported(format!(
                    "GET /{} answered without a status",
                    segments.join("/")
                ));
            };
            if let ["payments", payment_id] = segments {
                self.remember_payment(payment_id, &body, status);
            }
            if !keep_polling(status) {
                return Ok(body);
            }
            if self.polls.polls_left == 0 {
                return reported(format!(
                    "gave up polling GET /{} after {MAX_POLLS_PER_OPERATION} polls in one operation; status still {status}",
                    segments.join("/")
                ));
            }
        }
    }

    fn remember_payment(&mut self, payment_id: &str, body: &Value, status: &str) {
        let view = PaymentView {
            status: status.to_string(),
            partial_capture_possible: body.get("partialCapturePossible").and_then(Value::as_bool),
            amount: body.get("amount").and_then(Value::as_f64),
        };
        self.knowledge.payments.insert(payment_id.to_string(), view);
    }

    /// Polls a payment until `keep_polling` is false for its status; returns the last answer.
    pub(super) async fn poll_payment_until(
        &mut self,
        payment_id: &str,
        keep_polling: impl Fn(&str) -> bool,
    ) -> Result<Value, Failure> {
        let segments = ["payments", payment_id];
        let last = self.poll_until(&segments, keep_polling).await?;
        let terminal = self
            .knowledge
            .payment(payment_id)
            .is_some_and(PaymentView::is_terminal);
        if terminal && self.conduct.has(Misbehaviour::ActAfterTerminal) {
            // One more look "to be sure", after the payment was already seen terminal.
            self.poll(&segments).await?;
        }
        Ok(last)
    }

    /// One read of a payment (pacing respected); returns the answer.
    pub(super) async fn read_payment(&mut self, payment_id: &str) -> Result<Value, Failure> {
        self.poll_payment_until(payment_id, |_| false).await
    }

    /// Polls a refund until `keep_polling` is false for its status; returns the last answer.
    pub(super) async fn poll_refund_until(
        &mut self,
        refund_id: &str,
        keep_polling: impl Fn(&str) -> bool,
    ) -> Result<Value, Failure> {
        self.poll_until(&["refunds", refund_id], keep_polling).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_keeps_the_last_named_delay_after_a_failed_poll() {
        let mut book = PollBook::default();
        let fallback = Duration::from_millis(1000);
        book.record("GET /payments/p", None, fallback);
        assert_eq!(book.paces["GET /payments/p"].delay, fallback);
        book.record("GET /payments/p", Some(Duration::from_millis(40)), fallback);
        book.record("GET /payments/p", None, fallback);
        assert_eq!(
            book.paces["GET /payments/p"].delay,
            Duration::from_millis(40)
        );
        assert!(book.next_allowed("GET /payments/q").is_none());
    }

    #[test]
    fn unknown_statuses_are_neither_active_nor_terminal() {
        let view = |status: &str| PaymentView {
            status: status.into(),
            partial_capture_possible: None,
            amount: None,
        };
        assert!(is_active_status("Paired") && !is_active_status("Reserved"));
        assert!(view("Captured").is_terminal());
        assert!(!is_active_status("SomethingNew") && !view("SomethingNew").is_terminal());
    }
}
