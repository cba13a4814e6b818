//! Payment operations: `pay` and `prepare` start a payment (cleaning up a payment left active on
//! the PoS when the service answers 409 `1301`, B7) and poll it; `ready` completes a prepared
//! payment; `capture` and `cancel` settle one and read it back. The client refuses to act on a
//! payment it saw terminal (B10) and cancels instead of capturing less than the reserved amount
//! when partial capture is not possible (B11, domain §6.4).

use serde_json::{Value, json};

use super::http::Call;
use super::params::Params;
use super::poll::is_active_status;
use super::pos_ops::{ids, required_text, single};
use super::{Failure, ReferenceClient, reported};
use crate::client::protocol::Fields;
use crate::pos::ErrorCode;

/// How far below the reserved amount a capture counts as partial (amounts have two decimals).
const PARTIAL_EPSILON: f64 = 0.005;

/// `{status}` of an answer, plus `partialCapturePossible` when it carried one.
fn status_result(body: &Value, with_partial: bool) -> Fields {
    let mut fields = Fields::new();
    if let Some(status) = body.get("status") {
        fields.insert("status".into(), status.clone());
    }
    if with_partial {
        if let Some(flag @ Value::Bool(_)) = body.get("partialCapturePossible") {
            fields.insert("partialCapturePossible".into(), flag.clone());
        }
    }
    fields
}

impl ReferenceClient {
    /// `pay` → `{paymentId, status, partialCapturePossible?}`.
    pub(super) async fn pay(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let pos_id = params.text("posId")?;
        let (restrictions, label, delay) = params.payment_options()?;
        let body = json!({
            "posId": pos_id,
            "orderId": params.text("orderId")?,
            "amount": params.amount("amount")?,
            "currencyCode": params.text("currencyCode")?,
            "restrictions": restrictions,
            "merchantPaymentLabel": label,
            "plannedCaptureDelay": delay,
        });
        let wait = params.opt_bool("waitForCustomer")?.unwrap_or(true);
        let payment_id = self.start_payment(&["payments"], &body, pos_id).await?;
        let mut result = single("paymentId", &payment_id);
        if let Some(claimed) = self.conduct.report_without_polling {
            result.insert("status".into(), Value::String(claimed.to_string()));
            return Ok(result);
        }
        let last = self
            .poll_payment_until(&payment_id, |status| wait && is_active_status(status))
            .await?;
        result.extend(status_result(&last, true));
        Ok(result)
    }

    /// `prepare` → `{paymentId, status}`.
    pub(super) async fn prepare(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let pos_id = params.text("posId")?;
        let body = json!({ "posId": pos_id, "orderId": params.text("orderId")? });
        let wait = params.opt_bool("waitForCustomer")?.unwrap_or(true);
        let payment_id = self
            .start_payment(&["payments", "prepare"], &body, pos_id)
            .await?;
        let last = self
            .poll_payment_until(&payment_id, |status| wait && status == "Prepared")
            .await?;
        let mut result = single("paymentId", &payment_id);
        result.extend(status_result(&last, false));
        Ok(result)
    }

    /// `ready` → `{status, partialCapturePossible?}`.
    pub(super) async fn ready(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let payment_id = params.text("paymentId")?;
        let (restrictions, label, delay) = params.payment_options()?;
        let body = json!({
            "currencyCode": params.text("currencyCode")?,
            "amount": params.amount("amount")?,
            "restrictions": restrictions,
            "merchantPaymentLabel": label,
            "plannedCaptureDelay": delay,
        });
        self.refuse_if_terminal(payment_id, "ready")?;
        let ready = Call::post(&["payments", payment_id, "ready"]).json(&body);
        self.transport.call(&ready).await?.success()?;
        let last = self
            .poll_payment_until(payment_id, is_active_status)
            .await?;
        Ok(status_result(&last, true))
    }

    /// `capture` → `{status}`; a partial capture that is not possible becomes a cancel.
    pub(super) async fn capture(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let payment_id = params.text("paymentId")?;
        let amount = params.amount("amount")?;
        self.refuse_if_terminal(payment_id, "capture")?;
        let requested = amount.as_f64().unwrap_or(f64::NAN);
        let partial_impossible = self.knowledge.payment(payment_id).is_some_and(|view| {
            view.status == "Reserved"
                && view.partial_capture_possible == Some(false)
                && view
                    .amount
                    .is_some_and(|reserved| requested < reserved - PARTIAL_EPSILON)
        });
        if partial_impossible {
            tracing::debug!(
                payment_id,
                "partial capture is not possible: cancelling instead"
            );
            return self.cancel_payment(payment_id).await;
        }
        let capture =
            Call::post(&["payments", payment_id, "capture"]).json(&json!({ "amount": amount }));
        self.transport.call(&capture).await?.success()?;
        let confirmed = self.read_payment(payment_id).await?;
        Ok(status_result(&confirmed, false))
    }

    /// `cancel` → `{status}`.
    pub(super) async fn cancel(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let payment_id = params.text("paymentId")?;
        self.refuse_if_terminal(payment_id, "cancel")?;
        self.cancel_payment(payment_id).await
    }

    /// Cancels and reads the payment back.
    async fn cancel_payment(&mut self, payment_id: &str) -> Result<Fields, Failure> {
        let cancel = Call::post(&["payments", payment_id, "cancel"]);
        self.transport.call(&cancel).await?.success()?;
        let confirmed = self.read_payment(payment_id).await?;
        Ok(status_result(&confirmed, false))
    }

    /// Fails when the client last saw the payment in a terminal state.
    fn refuse_if_terminal(&self, payment_id: &str, action: &str) -> Result<(), Failure> {
        match self.knowledge.payment(payment_id) {
            Some(view) if view.is_terminal() => reported(format!(
                "payment {payment_id} was last seen {}, a terminal state; refusing to {action} it",
                view.status
            )),
            _ => Ok(()),
        }
    }

    /// Initiates or prepares a payment; on 409 `1301` cleans up the PoS and tries once more
    /// with a new idempotency key. Returns the paymentId.
    async fn start_payment(
        &mut self,
        segments: &[&str],
        body: &Value,
        pos_id: &str,
    ) -> Result<String, Failure> {
        let start = Call::post(segments).json(body).keyed();
        let active = ErrorCode::PaymentActive.code();
        let mut answer = self.transport.call(&start).await?;
        if answer.is_conflict(active) {
            if self.conduct.skip_conflict_cleanup {
                return reported(format!(
                    "payment already active on the PoS (409 {active}); not cleaning up"
                ));
            }
            self.clean_up_pos(pos_id).await?;
            // A new logical request: `call` draws a new idempotency key.
            answer = self.transport.call(&start).await?;
            if answer.is_conflict(active) {
                return reported(format!(
                    "a payment is still active on the PoS after cleaning up (409 {active})"
                ));
            }
        }
        let created = answer.success()?;
        required_text(&created, "paymentId", &start.label())
    }

    /// Cancels every active payment on the PoS, never a Reserved one (B7).
    async fn clean_up_pos(&mut self, pos_id: &str) -> Result<(), Failure> {
        let list = Call::get(&["payments"]).query("posId", pos_id);
        let listed = ids(&self.transport.call(&list).await?.success()?, "paymentIds");
        for payment_id in listed {
            let current = self.read_payment(&payment_id).await?;
            let status = current
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !is_active_status(status) {
                continue;
            }
            let cancel = Call::post(&["payments", &payment_id, "cancel"]);
            let answer = self.transport.call(&cancel).await?;
            if answer.status == 409 {
                // It left the active states meanwhile; initiating again will tell.
                tracing::debug!(payment_id, "cleanup cancel answered 409");
                continue;
            }
            answer.success()?;
        }
        Ok(())
    }
}
