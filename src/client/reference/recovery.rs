//! Recovering an id whose create went unanswered (B8). When every attempt of `POST /payments`,
//! `POST /payments/prepare` or `POST /refunds` timed out, failed with 5xx or lost its connection,
//! the request may have been processed: the client looks the id up with the documented query
//! before giving up — `GET /payments?posId=…&orderId=…` for a payment, `GET /refunds?paymentId=…`
//! and a read of each listed refund for a refund, picking the one with this refundOrderId. A
//! lookup that finds nothing fails the operation, saying so.

use serde_json::Value;

use super::conduct::Misbehaviour;
use super::http::{Call, Sent};
use super::pos_ops::{ids, required_text};
use super::{Failure, ReferenceClient, reported};

impl ReferenceClient {
    /// The id a create's answer names, or the one a lookup finds when it went unanswered.
    pub(super) async fn created_id(
        &mut self,
        sent: Sent,
        create: &Call,
        field: &str,
        lookup: Lookup<'_>,
    ) -> Result<String, Failure> {
        let lost = match sent {
            Sent::Answered(answer) => {
                return required_text(&answer.success()?, field, &create.label());
            }
            Sent::Lost(lost) => lost,
        };
        if self.conduct.has(Misbehaviour::LostIdNotLookedUp) {
            return reported(lost);
        }
        tracing::debug!(%lost, "create went unanswered: looking the id up");
        let found = match lookup {
            Lookup::Payment { pos_id, order_id } => self.find_payment(pos_id, order_id).await?,
            Lookup::Refund {
                payment_id,
                refund_order_id,
            } => self.find_refund(payment_id, refund_order_id).await?,
        };
        match found {
            Some(id) => Ok(id),
            None => reported(format!(
                "{lost}; {} found nothing, so it was never created",
                lookup.describe()
            )),
        }
    }

    /// The payment with this orderId on the PoS, if any (the service keeps the latest).
    async fn find_payment(
        &mut self,
        pos_id: &str,
        order_id: &str,
    ) -> Result<Option<String>, Failure> {
        let query = Call::get(&["payments"])
            .query("posId", pos_id)
            .query("orderId", order_id);
        let listed = self.transport.call(&query).await?.success()?;
        Ok(ids(&listed, "paymentIds").into_iter().next())
    }

    /// The refund of the payment with this refundOrderId, if any.
    async fn find_refund(
        &mut self,
        payment_id: &str,
        refund_order_id: &str,
    ) -> Result<Option<String>, Failure> {
        let query = Call::get(&["refunds"]).query("paymentId", payment_id);
        let listed = self.transport.call(&query).await?.success()?;
        for refund_id in ids(&listed, "refundIds") {
            let refund = self.poll_refund_until(&refund_id, |_| false).await?;
            if refund.get("refundOrderId").and_then(Value::as_str) == Some(refund_order_id) {
                return Ok(Some(refund_id));
            }
        }
        Ok(None)
    }
}

/// How to find what a create may have created.
#[derive(Debug, Clone, Copy)]
pub(super) enum Lookup<'a> {
    /// A payment, by PoS and orderId.
    Payment {
        /// The PoS it was created on.
        pos_id: &'a str,
        /// Its orderId.
        order_id: &'a str,
    },
    /// A refund, by payment and refundOrderId.
    Refund {
        /// The refunded payment.
        payment_id: &'a str,
        /// Its refundOrderId.
        refund_order_id: &'a str,
    },
}

impl Lookup<'_> {
    /// The lookup as a call, for messages.
    fn describe(&self) -> String {
        match self {
            Lookup::Payment { pos_id, order_id } => {
                format!("GET /payments?posId={pos_id}&orderId={order_id}")
            }
            Lookup::Refund {
                payment_id,
                refund_order_id,
            } => format!("GET /refunds?paymentId={payment_id} (refundOrderId {refund_order_id})"),
        }
    }
}
