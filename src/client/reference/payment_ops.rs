//! Payment operations: `pay` and `prepare` start a payment (see `payment_start`) and poll it —
//! `pay` until it leaves the active states, whatever active status it meets (B18), `prepare`
//! until the customer has paired; `ready` completes a prepared payment; `capture` and `cancel`
//! settle one and read it back. Restrictions go only on the initiate or the ready, never on the
//! prepare. The client refuses to act on a payment it saw terminal (B10) and cancels instead of
//! capturing less than the reserved amount when partial capture is not possible (B11, §6.4).

use serde_json::{Value, json};

use super::conduct::Misbehaviour;
use super::http::Call;
use super::params::Params;
use super::poll::is_active_status;
use super::pos_ops::single;
use super::{Failure, ReferenceClient, reported};
use crate::client::protocol::Fields;

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
        let order_id = params.text("orderId")?;
        let amount = params.amount("amount")?;
        let (restrictions, label, delay) = params.payment_options()?;
        let body = json!({
            "posId": pos_id,
            "orderId": order_id,
            "amount": amount,
            "currencyCode": params.text("currencyCode")?,
            "restrictions": self.restrictions_for("initiate", restrictions),
            "merchantPaymentLabel": label,
            "plannedCaptureDelay": delay,
        });
        let wait = params.opt_bool("waitForCustomer")?.unwrap_or(true);
        let payment_id = self
            .start_payment(&["payments"], &body, pos_id, order_id)
            .await?;
        let mut result = single("paymentId", &payment_id);
        if let Some(claimed) = self.conduct.report_without_polling {
            result.insert("status".into(), Value::String(claimed.to_string()));
            return Ok(result);
        }
        if self.conduct.has(Misbehaviour::CaptureBeforeReserved) {
            self.capture_at_once(&payment_id, &amount).await?;
        }
        let stop_early = self.conduct.has(Misbehaviour::StopOnUnexpectedStatus);
        let keep_polling = move |status: &str| {
            wait && if stop_early {
                matches!(status, "Initiated" | "IssuedToUser")
            } else {
                is_active_status(status)
            }
        };
        let last = self.poll_payment_until(&payment_id, keep_polling).await?;
        result.extend(status_result(&last, true));
        Ok(result)
    }

    /// The restrictions to send on `call` (`initiate` or `ready`) given the ones the cashier
    /// asked for: as asked — unless the client deliberately drops them, or has moved them to the
    /// prepare and so sends none with the ready.
    fn restrictions_for(&self, call: &str, asked: Value) -> Value {
        let sent = call != "ready" || !self.conduct.has(Misbehaviour::RestrictionsOnPrepare);
        if sent && !self.conduct.has(Misbehaviour::DropRestrictions) {
            asked
        } else {
            Value::Null
        }
    }

    /// The deliberate premature capture: fired once right after the initiate, its answer
    /// ignored.
    async fn capture_at_once(&mut self, payment_id: &str, amount: &Value) -> Result<(), Failure> {
        let capture =
            Call::post(&["payments", payment_id, "capture"]).json(&json!({ "amount": amount }));
        let answer = self.transport.call(&capture).await?;
        tracing::debug!(payment_id, status = answer.status, "captured at once");
        Ok(())
    }

    /// `prepare` → `{paymentId, status}`.
    pub(super) async fn prepare(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let pos_id = params.text("posId")?;
        let order_id = params.text("orderId")?;
        let mut body = json!({ "posId": pos_id, "orderId": order_id });
        if self.conduct.has(Misbehaviour::RestrictionsOnPrepare) {
            // The till's restrictions are configured, not asked per payment, so they go on
            // every prepare.
            body["restrictions"] =
                json!({ "debitCardDisallowed": true, "creditCardDisallowed": false });
        }
        let wait = params.opt_bool("waitForCustomer")?.unwrap_or(true)
            && !self.conduct.has(Misbehaviour::ReadyBeforePaired);
        let payment_id = self
            .start_payment(&["payments", "prepare"], &body, pos_id, order_id)
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
            "restrictions": self.restrictions_for("ready", restrictions),
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
        let view = self.knowledge.payment(payment_id);
        let partial_impossible = view.is_some_and(|view| {
            view.status == "Reserved"
                && view.partial_capture_possible == Some(false)
                && view
                    .amount
                    .is_some_and(|reserved| requested < reserved - PARTIAL_EPSILON)
        });
        let reserved = view.and_then(|view| view.amount);
        let amount = match reserved {
            Some(reserved) if self.conduct.has(Misbehaviour::CaptureWrongAmount) => json!(reserved),
            _ => amount,
        };
        if partial_impossible
            && !self
                .conduct
                .has(Misbehaviour::PartialCaptureWhenNotPossible)
        {
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
}
