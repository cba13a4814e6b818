//! The harness a generated sequence runs in: one session with a case armed, called as the
//! service's `/pos/v10` handler calls it — the armed case's next fault for the endpoint first
//! (`err500` answers 500 and never reaches the pipeline; `hold200` runs it and the client loses
//! the answer), then the synchronous pipeline `process` — and as the user simulation calls
//! `usersim::simulate`. It keeps the pools of ids the sequence has created, every creating call
//! it sent, and the idempotency keys it expects bound with the answer each must replay, and it
//! checks each answer as it comes: no 5xx but an injected one, a replay byte-identical to the
//! first answer, another body under a bound key 409 `1306`.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use super::ops::{Op, Scenario};
use super::requests::{
    Answer, UNKNOWN_BEACON, amount_of, headers, pick, remember, render, share_of, with_other_order,
};
use crate::catalogue::model::{BackendScript, CustomerScript, FaultReply, ScriptedStatus};
use crate::pos::usersim::{TEST_USERS, UserSimulation};
use crate::pos::{ApiError, Endpoint, ErrorCode};
use crate::service::arm;
use crate::service::beacons::Beacons;
use crate::service::emulator::fixtures::{
    CASE, Call, SESSION_ID, case, payment_body, pos_body, session_with,
};
use crate::service::emulator::{ApiAnswer, CallContext, process, usersim};
use crate::service::registry::TokenGrant;
use crate::service::session::Session;

/// A creating call as it was sent.
#[derive(Debug, Clone)]
struct Sent {
    key: String,
    endpoint: Endpoint,
    body: Value,
}

/// What a bound idempotency key must replay, and for which request.
#[derive(Debug, Clone)]
pub(super) struct Binding {
    pub(super) endpoint: Endpoint,
    pub(super) body: Value,
    pub(super) answer: String,
}

/// One generated run in progress.
pub(super) struct Harness {
    pub(super) session: Session,
    beacons: Beacons,
    grant: TokenGrant,
    pos: Vec<String>,
    payments: Vec<String>,
    refunds: Vec<String>,
    sent: Vec<Sent>,
    pub(super) bound: BTreeMap<String, Binding>,
    keys: usize,
}

impl Harness {
    /// A fresh session with the fixture case armed, its customer as the scenario says.
    pub(super) fn new(scenario: &Scenario) -> Result<Harness, TestCaseError> {
        let backend = BackendScript {
            customer: scenario
                .customer
                .clone()
                .map(|(payment, partial_capture_possible)| CustomerScript {
                    payment: payment.into_iter().map(ScriptedStatus::from).collect(),
                    partial_capture_possible,
                }),
            ..BackendScript::default()
        };
        let mut session = session_with(vec![(CASE, case(backend, Vec::new()))]);
        arm::arm(&mut session, CASE).map_err(|e| TestCaseError::fail(e.to_string()))?;
        Ok(Harness {
            session,
            beacons: Beacons::default(),
            grant: TokenGrant {
                session_id: SESSION_ID.to_string(),
                expires_virtual_ms: f64::MAX,
                merchant_vat_claim: None,
                upstream_token: None,
            },
            pos: Vec::new(),
            payments: Vec::new(),
            refunds: Vec::new(),
            sent: Vec::new(),
            bound: BTreeMap::new(),
            keys: 0,
        })
    }

    fn fresh_key(&mut self) -> String {
        self.keys += 1;
        format!("key-{}", self.keys)
    }

    /// One `/pos/v10` call as the handler makes it: the armed case's fault first, then the
    /// pipeline. No answer is a 5xx unless a fault was injected.
    fn call(
        &mut self,
        endpoint: Endpoint,
        id: Option<&str>,
        query: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<Answer, TestCaseError> {
        let fault = self.session.take_fault(endpoint);
        let answer = if fault == Some(FaultReply::Err500) {
            let internal: ApiAnswer = Err(ApiError::Coded(ErrorCode::Internal));
            Answer {
                injected: true,
                ..render(&internal, endpoint)
            }
        } else {
            let mut call = Call::new(endpoint).query(query);
            if let Some(id) = id {
                call = call.id(id);
            }
            if let Some(body) = body {
                call = call.body(body);
            }
            let context = CallContext {
                grant: &self.grant,
                headers: &headers(key, body.is_some()),
                body_fault: None,
                session_id: SESSION_ID,
                beacons: &self.beacons,
            };
            // A hold200 answer is processed in full and then lost to the client's timeout; the
            // harness keeps it, so a retry can be compared with it.
            render(
                &process(&mut self.session, &context, &call.request()),
                endpoint,
            )
        };
        prop_assert!(
            answer.status < 500 || answer.injected,
            "{endpoint} answered {answer:?}"
        );
        Ok(answer)
    }

    /// A creating call with `key`, checked against the keys expected bound: a replay of the
    /// bound request answers the first answer byte for byte, anything else under a bound key is
    /// 409 `1306`, and a key binds when its call succeeds.
    fn create(
        &mut self,
        endpoint: Endpoint,
        body: Value,
        key: String,
    ) -> Result<Answer, TestCaseError> {
        let expected = self.bound.get(&key).cloned();
        let answer = self.call(endpoint, None, "", Some(&body), Some(&key))?;
        self.sent.push(Sent {
            key: key.clone(),
            endpoint,
            body: body.clone(),
        });
        if answer.injected {
            return Ok(answer);
        }
        self.remember_created(endpoint, &answer);
        match expected {
            Some(first) if first.endpoint == endpoint && first.body == body => {
                prop_assert_eq!(answer.status, 200, "replay under {}: {:?}", key, answer);
                prop_assert_eq!(
                    answer.body.as_deref(),
                    Some(first.answer.as_str()),
                    "replay under {} is not byte-identical",
                    key
                );
            }
            Some(_) => {
                prop_assert_eq!(answer.status, 409, "reuse of {}: {:?}", key, answer);
                let body = answer.body.as_deref().unwrap_or_default();
                prop_assert!(body.contains("\"1306\""), "reuse of {key}: {body}");
            }
            None => {
                if let (200, Some(first)) = (answer.status, &answer.body) {
                    let binding = Binding {
                        endpoint,
                        body,
                        answer: first.clone(),
                    };
                    self.bound.insert(key, binding);
                }
            }
        }
        Ok(answer)
    }

    /// A user-simulation call; its refusals are its documented 500 and change nothing.
    fn simulate(&mut self, operation: UserSimulation, pos: u8, user: u8) {
        let pos_id = pick(&self.pos, pos);
        let beacon_id = self
            .session
            .world()
            .points_of_sale
            .get(&pos_id)
            .map_or_else(|| UNKNOWN_BEACON.to_string(), |p| p.beacon_id.clone());
        let phone_number = TEST_USERS[usize::from(user) % TEST_USERS.len()].phone_number;
        let body = json!({ "beaconId": beacon_id, "phoneNumber": phone_number });
        let now = self.session.clock().virtual_ms();
        let world = self.session.world_mut();
        // Refused or not, the invariants are checked on the world afterwards.
        let _ = usersim::simulate(world, operation, body.to_string().as_bytes(), now);
    }

    /// The amount a payment holds: its capture if captured, else its reservation; 100 when it
    /// has neither (unknown, or prepared and not ready).
    fn base_of(&self, payment_id: &str) -> f64 {
        self.session
            .world()
            .payments
            .get(payment_id)
            .and_then(|p| p.captured_amount.or(p.amount))
            .unwrap_or(100.0)
    }

    /// Runs one step.
    pub(super) fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::CreatePos { till, pay_first } => {
                let mut body = pos_body(&format!("till-{till}"));
                body["requirePaymentBeforeCheckin"] = json!(pay_first);
                let key = self.fresh_key();
                self.create(Endpoint::CreatePos, body, key)?;
            }
            Op::DeletePos { pos } => {
                let id = pick(&self.pos, *pos);
                self.call(Endpoint::DeletePos, Some(&id), "", None, None)?;
            }
            Op::GetCheckIn { pos } => {
                let id = pick(&self.pos, *pos);
                self.call(Endpoint::GetCheckIn, Some(&id), "", None, None)?;
            }
            Op::Initiate { pos, order, amount } => {
                let pos_id = pick(&self.pos, *pos);
                let body = payment_body(
                    &pos_id,
                    &format!("order-{order}"),
                    json!(amount_of(*amount)),
                );
                let key = self.fresh_key();
                self.create(Endpoint::InitiatePayment, body, key)?;
            }
            Op::Prepare { pos, order } => {
                let body =
                    json!({ "posId": pick(&self.pos, *pos), "orderId": format!("order-{order}") });
                let key = self.fresh_key();
                self.create(Endpoint::PreparePayment, body, key)?;
            }
            Op::Ready { payment, amount } => {
                let id = pick(&self.payments, *payment);
                let body = json!({
                    "currencyCode": "DKK",
                    "amount": amount_of(*amount),
                    "restrictions": null,
                    "merchantPaymentLabel": "Shift B",
                    "plannedCaptureDelay": "None",
                });
                self.call(Endpoint::PaymentReady, Some(&id), "", Some(&body), None)?;
            }
            Op::Query { payment } => {
                let id = pick(&self.payments, *payment);
                self.call(Endpoint::QueryPayment, Some(&id), "", None, None)?;
            }
            Op::List { pos } => {
                let query = format!("posId={}", pick(&self.pos, *pos));
                self.call(Endpoint::QueryPaymentIds, None, &query, None, None)?;
            }
            Op::Capture { payment, amount } => {
                let id = pick(&self.payments, *payment);
                let body = json!({ "amount": share_of(*amount, self.base_of(&id)) });
                self.call(Endpoint::CapturePayment, Some(&id), "", Some(&body), None)?;
            }
            Op::Cancel { payment } => {
                let id = pick(&self.payments, *payment);
                self.call(Endpoint::CancelPayment, Some(&id), "", None, None)?;
            }
            Op::Refund { payment, amount } => {
                let id = pick(&self.payments, *payment);
                let body = json!({
                    "paymentId": id,
                    "refundOrderId": format!("refund-{}", self.refunds.len()),
                    "amount": share_of(*amount, self.base_of(&id)),
                    "currencyCode": "DKK",
                });
                let key = self.fresh_key();
                self.create(Endpoint::CreateRefund, body, key)?;
            }
            Op::GetRefund { refund } => {
                let id = pick(&self.refunds, *refund);
                self.call(Endpoint::GetRefund, Some(&id), "", None, None)?;
            }
            Op::CaptureRefund { refund } => {
                let id = pick(&self.refunds, *refund);
                self.call(Endpoint::CaptureRefund, Some(&id), "", None, None)?;
            }
            Op::CancelRefund { refund } => {
                let id = pick(&self.refunds, *refund);
                self.call(Endpoint::CancelRefund, Some(&id), "", None, None)?;
            }
            Op::CheckIn { pos, user } => self.simulate(UserSimulation::Checkin, *pos, *user),
            Op::Accept { pos, user } => self.simulate(UserSimulation::AcceptPayment, *pos, *user),
            Op::Pay { pos, user } => {
                self.simulate(UserSimulation::Checkin, *pos, *user);
                self.simulate(UserSimulation::AcceptPayment, *pos, *user);
            }
            Op::UserCancel { pos } => self.simulate(UserSimulation::CancelPayment, *pos, 0),
            Op::Replay { call } => {
                if let Some(sent) = self.sent_call(*call) {
                    self.create(sent.endpoint, sent.body, sent.key)?;
                }
            }
            Op::ReuseKey { call, donor } => {
                if let Some(sent) = self.sent_call(*call) {
                    let (endpoint, body) = match donor.and_then(|d| self.sent_call(d)) {
                        Some(donor) => (donor.endpoint, donor.body),
                        None => {
                            let other = format!("other-{}", self.keys);
                            (sent.endpoint, with_other_order(&sent.body, &other))
                        }
                    };
                    self.create(endpoint, body, sent.key)?;
                }
            }
            Op::NewKey { call } => {
                if let Some(sent) = self.sent_call(*call) {
                    let key = self.fresh_key();
                    self.create(sent.endpoint, sent.body, key)?;
                }
            }
            Op::Fault { on, reply } => {
                let mut armed = self
                    .session
                    .disarm()
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                armed.faults.entry(*on).or_default().push_back(*reply);
                self.session
                    .arm(armed)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Op::Advance(span) => self
                .session
                .advance_clock(span.ms())
                .map_err(TestCaseError::fail)?,
        }
        Ok(())
    }

    /// Puts the id a successful creating answer hands out in its pool.
    fn remember_created(&mut self, endpoint: Endpoint, answer: &Answer) {
        let (pool, field) = match endpoint {
            Endpoint::CreatePos => (&mut self.pos, "posId"),
            Endpoint::InitiatePayment | Endpoint::PreparePayment => {
                (&mut self.payments, "paymentId")
            }
            _ => (&mut self.refunds, "refundId"),
        };
        let body = answer.body.as_deref().filter(|_| answer.status == 200);
        let id = body
            .and_then(|body| serde_json::from_str::<Value>(body).ok())
            .and_then(|body| body.get(field)?.as_str().map(str::to_string));
        if let Some(id) = id {
            remember(pool, id);
        }
    }

    /// The `index`-th creating call counting from the latest, modulo their number.
    fn sent_call(&self, index: u8) -> Option<Sent> {
        match self.sent.len() {
            0 => None,
            len => self.sent.get(len - 1 - usize::from(index) % len).cloned(),
        }
    }
}
