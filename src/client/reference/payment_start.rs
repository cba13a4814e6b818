//! Starting a payment: `POST /payments` or `POST /payments/prepare` under a fresh idempotency
//! key. A create that went unanswered recovers its id by lookup (B8, see `recovery`). On 409
//! `1301` the client lists the PoS's payments (`GET /payments?posId=…`), cancels the active ones
//! — never a Reserved one — and creates again under a new key (B7). The documented style reads
//! each listed payment first; the 2020-certified style cancels what the listing names without
//! reading it, taking a 409 on the cancel as "not active".

use serde_json::Value;

use super::conduct::{Misbehaviour, Style};
use super::http::{Call, Sent};
use super::poll::is_active_status;
use super::pos_ops::ids;
use super::recovery::Lookup;
use super::{Failure, ReferenceClient, reported};
use crate::pos::ErrorCode;

/// How often a client that repeats refused requests sends the refused initiate again.
const BLIND_REPEATS: usize = 2;

impl ReferenceClient {
    /// Initiates or prepares a payment on `pos_id` with `order_id`; returns the paymentId.
    pub(super) async fn start_payment(
        &mut self,
        segments: &[&str],
        body: &Value,
        pos_id: &str,
        order_id: &str,
    ) -> Result<String, Failure> {
        let start = Call::post(segments).json(body).keyed();
        let lookup = Lookup::Payment { pos_id, order_id };
        let active = ErrorCode::PaymentActive.code();
        let refused = match self.transport.send(&start).await? {
            Sent::Answered(answer) if answer.is_conflict(active) => answer,
            sent => return self.created_id(sent, &start, "paymentId", lookup).await,
        };
        if self.conduct.has(Misbehaviour::SkipConflictCleanup) {
            return reported(format!(
                "payment already active on the PoS (409 {active}); not cleaning up"
            ));
        }
        if self.conduct.has(Misbehaviour::RetryRefusedRequest) {
            let again = start.repeating(&refused);
            for _ in 0..BLIND_REPEATS {
                self.transport.call(&again).await?;
            }
            return reported(format!(
                "a payment is still active on the PoS (409 {active})"
            ));
        }
        self.clean_up_pos(pos_id).await?;
        // A new logical request: `send` draws a new idempotency key.
        match self.transport.send(&start).await? {
            Sent::Answered(answer) if answer.is_conflict(active) => reported(format!(
                "a payment is still active on the PoS after cleaning up (409 {active})"
            )),
            sent => self.created_id(sent, &start, "paymentId", lookup).await,
        }
    }

    /// Cancels every active payment on the PoS, never a Reserved one (B7).
    async fn clean_up_pos(&mut self, pos_id: &str) -> Result<(), Failure> {
        let list = Call::get(&["payments"]).query("posId", pos_id);
        let listed = ids(&self.transport.call(&list).await?.success()?, "paymentIds");
        for payment_id in listed {
            if self.conduct.style == Style::Documented {
                let current = self.read_payment(&payment_id).await?;
                let status = current
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !is_active_status(status) {
                    continue;
                }
            }
            let cancel = Call::post(&["payments", &payment_id, "cancel"]);
            let answer = self.transport.call(&cancel).await?;
            if answer.status == 409 {
                // Not (or no longer) active; initiating again will tell.
                tracing::debug!(payment_id, "cleanup cancel answered 409");
                continue;
            }
            answer.success()?;
        }
        Ok(())
    }
}
