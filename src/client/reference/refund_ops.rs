//! Refund operations: `refund` creates a refund under an idempotency key (recovering its id by
//! lookup when the create went unanswered, B8) and polls it until it leaves `Initiated`;
//! `capture_refund` and `cancel_refund` settle one and read it back. A settle call that went
//! unanswered is followed up by reading the refund, so its outcome is never left unknown (B14).

use serde_json::json;

use super::conduct::Misbehaviour;
use super::http::{Call, Sent};
use super::params::Params;
use super::pos_ops::single;
use super::recovery::Lookup;
use super::{Failure, ReferenceClient, reported};
use crate::client::protocol::Fields;

impl ReferenceClient {
    /// `refund` → `{refundId, status}`.
    pub(super) async fn refund(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let payment_id = params.text("paymentId")?;
        let refund_order_id = params.text("refundOrderId")?;
        let body = json!({
            "paymentId": payment_id,
            "refundOrderId": refund_order_id,
            "amount": params.amount("amount")?,
            "currencyCode": params.text("currencyCode")?,
        });
        let create = Call::post(&["refunds"]).json(&body).keyed();
        let sent = self.transport.send(&create).await?;
        let lookup = Lookup::Refund {
            payment_id,
            refund_order_id,
        };
        let refund_id = self.created_id(sent, &create, "refundId", lookup).await?;
        let last = self
            .poll_refund_until(&refund_id, |status| status == "Initiated")
            .await?;
        let mut result = single("refundId", &refund_id);
        result.insert("status".into(), last["status"].clone());
        Ok(result)
    }

    /// `capture_refund` / `cancel_refund` (`action` is `capture` or `cancel`) → `{status}`.
    pub(super) async fn settle_refund(
        &mut self,
        params: &Params<'_>,
        action: &str,
    ) -> Result<Fields, Failure> {
        let refund_id = params.text("refundId")?;
        let abandon = action == "capture" && self.conduct.has(Misbehaviour::RefundNeverCaptured);
        let lost = if abandon {
            None
        } else {
            match self
                .transport
                .send(&Call::post(&["refunds", refund_id, action]))
                .await?
            {
                Sent::Answered(answer) => {
                    answer.success()?;
                    None
                }
                Sent::Lost(lost) => Some(lost),
            }
        };
        let confirmed = self.poll_refund_until(refund_id, |_| false).await?;
        let status = confirmed["status"].clone();
        if let Some(lost) = lost {
            let settled = if action == "capture" {
                ["Captured", "ExpiredAndCaptured"].as_slice()
            } else {
                ["CancelledByClient"].as_slice()
            };
            if !status.as_str().is_some_and(|s| settled.contains(&s)) {
                return reported(format!(
                    "{lost}; the refund is still {}",
                    status.as_str().unwrap_or("without a status")
                ));
            }
        }
        let mut result = Fields::new();
        result.insert("status".into(), status);
        Ok(result)
    }
}
