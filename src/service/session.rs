//! A certification session: the identification (client name, version, per-session credentials),
//! the selected cases' backend scripts, the armed case and step, the emulated PoS v10 world the
//! session's calls see (points of sale, payments, idempotency records) and the recorded
//! exchanges. Sessions never see each other's state; credentials scope every PoS call.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::catalogue::Case;
use crate::catalogue::model::{CustomerScript, FaultReply};
use crate::exchange::Exchange;
use crate::judge::StepObservation;
use crate::pos::dto::{BeaconType, CurrencyCode, PaymentRestrictions, PlannedCaptureDelay};
use crate::pos::{Endpoint, PaymentStatus};
use crate::report::{StepReport, Verdict};
use crate::secret::Secret;

use super::clock::Clock;

/// What a driver declares when it opens a session (identification and selection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRequest {
    /// The client system's name.
    pub client_name: String,
    /// The version being certified (`Major.Minor.Build`).
    pub client_version: String,
    /// Every category of the catalogue with all its case ids, selected or not: a category is
    /// certified only when every one of its cases passed.
    pub categories: Vec<CategoryOutline>,
    /// The cases to run, by full id, with their backend scripts.
    pub cases: Vec<CaseScript>,
}

/// A category and the full ids of all its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryOutline {
    /// Category id.
    pub id: String,
    /// Full ids (`category/case`) of every case of the category.
    pub cases: Vec<String>,
}

/// A selected case: its backend script, and the steps and expectations the service judges by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseScript {
    /// Full case id, `category/case`.
    pub id: String,
    /// The case as the catalogue defines it.
    pub case: Case,
}

/// A point of sale.
#[derive(Debug, Clone, PartialEq)]
pub struct PointOfSale {
    /// Its id.
    pub id: String,
    /// The merchant's own id.
    pub merchant_pos_id: String,
    /// Its store.
    pub store_id: String,
    /// Its name.
    pub name: String,
    /// Its beacon id.
    pub beacon_id: String,
    /// Its callback alias.
    pub callback_alias: Option<String>,
    /// Supported beacon types.
    pub supported_beacon_types: Vec<BeaconType>,
    /// No check-in before a payment exists.
    pub require_payment_before_checkin: bool,
    /// Deleted PoSes keep their record so a repeated DELETE can be answered.
    pub deleted: bool,
    /// Creation order within the session.
    pub created_seq: u64,
}

/// A payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// Its id.
    pub id: String,
    /// Its PoS.
    pub pos_id: String,
    /// The merchant's order id.
    pub order_id: String,
    /// The amount (`None` until a prepared payment is readied).
    pub amount: Option<f64>,
    /// The currency.
    pub currency_code: Option<CurrencyCode>,
    /// Card restrictions.
    pub restrictions: Option<PaymentRestrictions>,
    /// Portal label.
    pub merchant_payment_label: Option<String>,
    /// Planned capture delay.
    pub planned_capture_delay: Option<PlannedCaptureDelay>,
    /// Current state.
    pub status: PaymentStatus,
    /// The amount captured, once captured.
    pub captured_amount: Option<f64>,
    /// Whether a reservation allows partial capture.
    pub partial_capture_possible: bool,
    /// The simulated customer's script, for payments started during a scripted case.
    pub customer: Option<Vec<PaymentStatus>>,
    /// How many times the client has polled this payment.
    pub polls: usize,
    /// The case during which the payment was created (`None` for seeded payments).
    pub created_in_case: Option<String>,
    /// Virtual milliseconds at creation.
    pub created_virtual_ms: f64,
    /// Creation order within the session.
    pub created_seq: u64,
}

/// A bound idempotency key: the request it was first used for and the answer to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    /// The endpoint it was used on.
    pub endpoint: Endpoint,
    /// The request body, parsed.
    pub body: serde_json::Value,
    /// The answer body to replay.
    pub answer: serde_json::Value,
}

/// The case currently armed.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveCase {
    /// Full case id.
    pub id: String,
    /// The step in progress.
    pub step: Option<usize>,
    /// Remaining faults per endpoint.
    pub faults: BTreeMap<Endpoint, VecDeque<FaultReply>>,
    /// The simulated customer.
    pub customer: Option<CustomerScript>,
    /// The payment seeded before the case started.
    pub seeded_payment: Option<String>,
    /// What the driver reported of each finished step.
    pub steps: Vec<StepReport>,
    /// What the service observed at the end of each step.
    pub observations: Vec<StepObservation>,
}

/// One session.
#[derive(Debug)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// Declared identification.
    pub request: SessionRequest,
    /// Per-session client id.
    pub client_id: String,
    /// Per-session client secret.
    pub client_secret: Secret,
    /// The merchant the session certifies against.
    pub merchant_vat: String,
    /// The session's clock.
    pub clock: Clock,
    /// Draws the `pollDelayInMs` of the session's polls.
    pub pacer: super::pacing::PollPacer,
    /// Armed case.
    pub current: Option<ActiveCase>,
    /// Points of sale by id.
    pub points_of_sale: BTreeMap<String, PointOfSale>,
    /// Payments by id.
    pub payments: BTreeMap<String, Payment>,
    /// Bound idempotency keys.
    pub idempotency: HashMap<String, IdempotencyRecord>,
    /// Recorded exchanges (in completion order; sort by `seq` to read).
    pub exchanges: Vec<Exchange>,
    /// The verdict of every finished case, in the order they finished.
    pub verdicts: Vec<(String, Verdict)>,
    /// Exchanges that arrived and are not recorded yet (answer pending, or the client hung up
    /// and the server has not noticed yet).
    pub in_flight: usize,
    next_seq: u64,
    next_created: u64,
}

impl Session {
    /// A new session with fresh credentials.
    pub fn new(request: SessionRequest, merchant_vat: &str, clock: Clock) -> Self {
        Session {
            id: uuid::Uuid::new_v4().to_string(),
            request,
            client_id: uuid::Uuid::new_v4().to_string(),
            client_secret: Secret::new(uuid::Uuid::new_v4().simple().to_string()),
            merchant_vat: merchant_vat.to_string(),
            clock,
            pacer: super::pacing::PollPacer::new(uuid::Uuid::new_v4().as_u64_pair().0),
            current: None,
            points_of_sale: BTreeMap::new(),
            payments: BTreeMap::new(),
            idempotency: HashMap::new(),
            exchanges: Vec::new(),
            verdicts: Vec::new(),
            in_flight: 0,
            next_seq: 0,
            next_created: 0,
        }
    }

    /// The next exchange sequence number.
    pub fn next_exchange_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// The next creation order number for a PoS or payment.
    pub fn next_created_seq(&mut self) -> u64 {
        self.next_created += 1;
        self.next_created
    }

    /// A selected case.
    pub fn case(&self, case_id: &str) -> Option<&Case> {
        self.request
            .cases
            .iter()
            .find(|c| c.id == case_id)
            .map(|c| &c.case)
    }

    /// The session's PoS: the most recently created one that is not deleted.
    pub fn session_pos(&self) -> Option<&PointOfSale> {
        self.points_of_sale
            .values()
            .filter(|p| !p.deleted)
            .max_by_key(|p| p.created_seq)
    }

    /// Takes the next fault for a call of `endpoint` in the armed case.
    pub fn take_fault(&mut self, endpoint: Endpoint) -> Option<FaultReply> {
        self.current
            .as_mut()?
            .faults
            .get_mut(&endpoint)?
            .pop_front()
    }

    /// Exchanges recorded for a case, in arrival order.
    pub fn exchanges_of(&self, case_id: &str) -> Vec<Exchange> {
        let mut exchanges: Vec<Exchange> = self
            .exchanges
            .iter()
            .filter(|e| e.case.as_deref() == Some(case_id))
            .cloned()
            .collect();
        exchanges.sort_by_key(|e| e.seq);
        exchanges
    }
}
