//! Refund operations: `refund` creates a refund under an idempotency key and polls it until it
//! leaves `Initiated`; `capture_refund` and `cancel_refund` settle one and read it back (B14).

use serde_json::json;

use super::http::Call;
use super::params::Params;
use super::pos_ops::{required_text, single};
use super::{Failure, ReferenceClient};
use crate::client::protocol::Fields;

impl ReferenceClient {
    /// `refund` → `{refundId, status}`.
    pub(super) async fn refund(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let body = json!({
            "paymentId": params.text("paymentId")?,
            "refundOrderId": params.text("refundOrderId")?,
            "amount": params.amount("amount")?,
            "currencyCode": params.text("currencyCode")?,
        });
        let create = Call::post(&["refunds"]).json(&body).keyed();
        let created = self.transport.call(&create).await?.success()?;
        let refund_id = required_text(&created, "refundId", &create.label())?;
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
        self.transport
            .call(&Call::post(&["refunds", refund_id, action]))
            .await?
            .success()?;
        let confirmed = self.poll_refund_until(refund_id, |_| false).await?;
        let mut result = Fields::new();
        result.insert("status".into(), confirmed["status"].clone());
        Ok(result)
    }
}
