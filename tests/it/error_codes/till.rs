//! The till of the error-code scenarios (and of the merchant tests' refunds): request bodies,
//! and a PoS client of one session that creates points of sale, pays, plays the customer through
//! the user simulation, captures and refunds.

use mpcert::pos::Endpoint;
use mpcert::pos::constants::CERT_STORE_ID;
use mpcert::service::RunningService;
use serde_json::{Value, json};

use crate::pos_client::{Opened, Pos, field};

/// A DKK payment body of `amount` on `pos`.
pub fn payment(pos: &str, amount: f64) -> Value {
    json!({
        "posId": pos,
        "orderId": uuid::Uuid::new_v4().to_string(),
        "amount": amount,
        "currencyCode": "DKK",
        "plannedCaptureDelay": "None",
    })
}

/// A refund body.
pub fn refund(payment: &str, amount: f64, currency: &str) -> Value {
    json!({
        "paymentId": payment,
        "refundOrderId": uuid::Uuid::new_v4().to_string(),
        "amount": amount,
        "currencyCode": currency,
    })
}

/// A PoS body with a beacon.
pub fn pos_body(merchant_pos_id: &str, beacon: &str) -> Value {
    json!({
        "merchantPosId": merchant_pos_id,
        "storeId": CERT_STORE_ID,
        "name": "Till",
        "beaconId": beacon,
        "supportedBeaconTypes": ["QR"],
    })
}

/// A till of one session: its client, the session, and the service.
pub struct Till<'a> {
    /// The PoS client, acting for the Danish merchant.
    pub pos: Pos,
    /// The session.
    pub session: &'a Opened,
    /// The service.
    pub service: &'a RunningService,
}

impl Till<'_> {
    /// Creates a PoS with a fresh beacon; returns its id and beacon.
    pub async fn new_pos(&self) -> (String, String) {
        let beacon = uuid::Uuid::new_v4().to_string();
        let merchant_pos_id = uuid::Uuid::new_v4().to_string();
        let body = pos_body(&merchant_pos_id, &beacon);
        let (status, answer) = self
            .pos
            .call(Endpoint::CreatePos, None, "", Some(&body))
            .await;
        assert_eq!(status, 200, "{answer}");
        (field(&answer, "posId"), beacon)
    }

    /// Initiates a payment of `amount` on `pos`; returns its id.
    pub async fn pay(&self, pos: &str, amount: f64) -> String {
        let body = payment(pos, amount);
        let (status, answer) = self
            .pos
            .call(Endpoint::InitiatePayment, None, "", Some(&body))
            .await;
        assert_eq!(status, 200, "{answer}");
        field(&answer, "paymentId")
    }

    /// Plays test user `phone` at `beacon`: checks in and accepts the payment there.
    pub async fn accept(&self, beacon: &str, phone: &str) {
        let created = &self.session.created;
        let http = reqwest::Client::new();
        for operation in ["checkin", "acceptpayment"] {
            let response = http
                .post(format!(
                    "{}/pos/app/usersimulation/{operation}",
                    self.service.url()
                ))
                .header(
                    "x-ibm-client-id",
                    created["clientId"].as_str().unwrap_or_default(),
                )
                .header(
                    "x-ibm-client-secret",
                    created["clientSecret"].as_str().unwrap_or_default(),
                )
                .json(&json!({ "beaconId": beacon, "phoneNumber": phone }))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{operation}: {e}"));
            assert_eq!(response.status().as_u16(), 200, "{operation}");
        }
    }

    /// A payment of `amount` on a new PoS, reserved by test user `phone`; returns its id.
    pub async fn reserved(&self, amount: f64, phone: &str) -> String {
        let (pos, beacon) = self.new_pos().await;
        let payment = self.pay(&pos, amount).await;
        self.accept(&beacon, phone).await;
        payment
    }

    /// A payment of `amount` reserved and captured in full; returns its id.
    pub async fn captured(&self, amount: f64) -> String {
        let payment = self.reserved(amount, "+4520031801").await;
        let (status, answer) = self.capture(&payment, amount).await;
        assert_eq!(status, 200, "{answer}");
        payment
    }

    /// Captures `amount` of `payment`.
    pub async fn capture(&self, payment: &str, amount: f64) -> (u16, Value) {
        let body = json!({ "amount": amount });
        self.pos
            .call(Endpoint::CapturePayment, Some(payment), "", Some(&body))
            .await
    }

    /// Creates a refund with `body`.
    pub async fn refund(&self, body: &Value) -> (u16, Value) {
        self.pos
            .call(Endpoint::CreateRefund, None, "", Some(body))
            .await
    }
}
