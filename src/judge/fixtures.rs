//! Test fixtures for the judge: a builder for recorded [`Exchange`]s and a holder that owns
//! everything a [`CaseEvidence`] borrows.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::catalogue::model::{BackendScript, Expectations, FaultReply, Operation};
use crate::catalogue::{Case, Step};
use crate::exchange::{Exchange, ExchangeOutcome};
use crate::judge::{PaymentObservation, StepObservation};
use crate::pos::{ApiError, Endpoint, ErrorCode, PaymentStatus};
use crate::report::{Finding, StepOutcome, StepReport, Truncation};

use super::CaseEvidence;

/// The version every fixture session certifies and every fixture call declares.
pub(crate) const VERSION: &str = "1.0.0";
/// The idempotency key header, lowercased as the recorder stores it.
pub(crate) const KEY: &str = crate::pos::headers::IDEMPOTENCY_KEY;
/// The client version header, lowercased as the recorder stores it.
pub(crate) const VERSION_HEADER_NAME: &str = crate::pos::headers::CLIENT_SYSTEM_VERSION;

/// Builds an [`Exchange`] field by field.
pub(crate) struct Ex {
    exchange: Exchange,
    endpoint: Option<Endpoint>,
    query: Option<String>,
}

/// Call number `seq` of `endpoint`: in step 0, carrying the certified version header and a
/// client id, received at `seq` seconds and answered 200 (no body) 10 ms later.
pub(crate) fn call(seq: u64, endpoint: Endpoint) -> Ex {
    let received_ms = seq as f64 * 1000.0;
    Ex {
        exchange: Exchange {
            seq,
            case: Some("payments/payment-complete".to_string()),
            step: Some(0),
            received_ms,
            ended_ms: received_ms + 10.0,
            method: endpoint.route().0.to_string(),
            path: String::new(),
            endpoint: Some(endpoint.to_string()),
            resource_id: None,
            headers: vec![
                (VERSION_HEADER_NAME.to_string(), VERSION.to_string()),
                (
                    crate::pos::headers::IBM_CLIENT_ID.to_string(),
                    "client-1".to_string(),
                ),
            ],
            request_body: None,
            status: Some(200),
            response_body: None,
            fault: None,
            outcome: ExchangeOutcome::Answered,
            merchant_vat_from: None,
        },
        endpoint: Some(endpoint),
        query: None,
    }
}

/// An exchange outside the PoS API (e.g. the token call): no endpoint, no version header.
pub(crate) fn off_api(seq: u64, method: &str, path: &str) -> Ex {
    let mut ex = call(seq, Endpoint::GetStores);
    ex.exchange.method = method.to_string();
    ex.exchange.path = path.to_string();
    ex.exchange.endpoint = None;
    ex.exchange.headers.clear();
    ex.endpoint = None;
    ex
}

/// `GET /payments/{id}` answered 200 with `status` and `pollDelayInMs` 1000.
pub(crate) fn poll(seq: u64, payment_id: &str, status: &str) -> Ex {
    call(seq, Endpoint::QueryPayment)
        .id(payment_id)
        .response(json!({ "paymentId": payment_id, "status": status, "pollDelayInMs": 1000 }))
}

impl Ex {
    /// The id in the path.
    pub(crate) fn id(mut self, id: &str) -> Self {
        self.exchange.resource_id = Some(id.to_string());
        self
    }

    /// A query string appended to the path.
    pub(crate) fn query(mut self, query: &str) -> Self {
        self.query = Some(query.to_string());
        self
    }

    /// The step the call arrived in.
    pub(crate) fn step(mut self, step: usize) -> Self {
        self.exchange.step = Some(step);
        self
    }

    /// When the call arrived and ended, in milliseconds since the session started.
    pub(crate) fn at(mut self, received_ms: f64, ended_ms: f64) -> Self {
        self.exchange.received_ms = received_ms;
        self.exchange.ended_ms = ended_ms;
        self
    }

    /// The answer's status.
    pub(crate) fn status(mut self, status: u16) -> Self {
        self.exchange.status = Some(status);
        self
    }

    /// Answered with the documented error body of `code` (and its status).
    pub(crate) fn refused(mut self, code: ErrorCode) -> Self {
        let body = ApiError::Coded(code)
            .body("c0ffee", false)
            .and_then(|b| serde_json::to_string(&b).ok());
        self.exchange.status = Some(code.status());
        self.exchange.response_body = body;
        self
    }

    /// A request header, added (so calling it twice duplicates the header).
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.exchange
            .headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    /// Removes every request header called `name`.
    pub(crate) fn without_header(mut self, name: &str) -> Self {
        self.exchange
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// Where the service noted the call's merchant VAT came from.
    pub(crate) fn merchant_vat_from(mut self, source: Option<crate::exchange::VatSource>) -> Self {
        self.exchange.merchant_vat_from = source;
        self
    }

    /// The idempotency key.
    pub(crate) fn key(self, key: &str) -> Self {
        self.without_header(KEY).header(KEY, key)
    }

    /// A JSON request body.
    pub(crate) fn body(self, body: Value) -> Self {
        self.raw_body(&body.to_string())
    }

    /// A request body exactly as sent.
    pub(crate) fn raw_body(mut self, body: &str) -> Self {
        self.exchange.request_body = Some(body.to_string());
        self
    }

    /// A JSON response body.
    pub(crate) fn response(mut self, body: Value) -> Self {
        self.exchange.response_body = Some(body.to_string());
        self
    }

    /// The `hold200` fault was injected.
    pub(crate) fn hold200(mut self) -> Self {
        self.exchange.fault = Some(FaultReply::Hold200);
        self
    }

    /// The `err500` fault was injected: answered 500 with code `2000`.
    pub(crate) fn err500(mut self) -> Self {
        self.exchange.fault = Some(FaultReply::Err500);
        self.refused(ErrorCode::Internal)
    }

    /// The client hung up before the answer.
    pub(crate) fn hung_up(mut self) -> Self {
        self.exchange.status = None;
        self.exchange.response_body = None;
        self.exchange.outcome = ExchangeOutcome::ClientHungUp;
        self
    }

    /// The exchange.
    pub(crate) fn build(mut self) -> Exchange {
        if let Some(endpoint) = self.endpoint {
            let template = endpoint.route().1;
            let path = match (template.find('{'), &self.exchange.resource_id) {
                (Some(open), Some(id)) => {
                    let close = template[open..]
                        .find('}')
                        .map_or(template.len(), |c| open + c + 1);
                    format!("{}{id}{}", &template[..open], &template[close..])
                }
                _ => template.to_string(),
            };
            self.exchange.path = format!("/pos/v10{path}");
        }
        if let Some(query) = &self.query {
            self.exchange.path = format!("{}?{query}", self.exchange.path);
        }
        self.exchange
    }
}

/// `POST /payments` of 25 on `pos-1` for `order-1` under `key`, answered 200 without a body.
pub(crate) fn initiate(seq: u64, key: &str) -> Ex {
    call(seq, Endpoint::InitiatePayment)
        .key(key)
        .body(json!({ "posId": "pos-1", "orderId": "order-1", "amount": 25.0 }))
}

/// `POST /payments/{id}/cancel`, answered 200.
pub(crate) fn cancel(seq: u64, payment_id: &str) -> Ex {
    call(seq, Endpoint::CancelPayment).id(payment_id)
}

/// `GET /payments?{query}` answered with `ids`.
pub(crate) fn listing(seq: u64, query: &str, ids: &[&str]) -> Ex {
    call(seq, Endpoint::QueryPaymentIds)
        .query(query)
        .response(json!({ "paymentIds": ids }))
}

/// Asserts that `findings` is one finding of `rule` at exchange `seq` whose message says `says`.
pub(crate) fn assert_only(findings: &[Finding], rule: &str, seq: u64, says: &str) {
    assert_eq!(rules_of(findings), vec![rule]);
    assert_eq!(findings[0].exchange, Some(seq));
    assert!(
        findings[0].message.contains(says),
        "expected `{says}` in: {}",
        findings[0].message
    );
}

/// Builds every exchange.
pub(crate) fn build(exchanges: Vec<Ex>) -> Vec<Exchange> {
    exchanges.into_iter().map(Ex::build).collect()
}

/// The rule ids of `findings`, in order.
pub(crate) fn rules_of(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

/// A step doing `op` with no parameters and no expectations.
pub(crate) fn step(op: Operation) -> Step {
    Step {
        op,
        title: None,
        params: BTreeMap::new(),
        expect: Expectations::default(),
        save: BTreeMap::new(),
    }
}

/// A case with `steps` and an empty backend script.
pub(crate) fn case(steps: Vec<Step>) -> Case {
    Case {
        id: "payment-complete".to_string(),
        title: "Complete a payment".to_string(),
        summary: "fixture".to_string(),
        evidence: crate::catalogue::model::Evidence::Evidenced,
        profiles: crate::catalogue::model::Profile::ALL.to_vec(),
        backend: BackendScript::default(),
        steps,
    }
}

/// The report of step `index` doing `op`.
pub(crate) fn report(index: usize, op: Operation, outcome: StepOutcome) -> StepReport {
    StepReport {
        index,
        op: op.as_str().to_string(),
        title: op.as_str().to_string(),
        params: serde_json::Map::new(),
        outcome,
        unknown_fields: serde_json::Map::new(),
        duration_ms: 1.0,
    }
}

/// `report` with the parameters of the JSON object `params` (anything else: none).
pub(crate) fn with_params(mut report: StepReport, params: Value) -> StepReport {
    if let Value::Object(params) = params {
        report.params = params;
    }
    report
}

/// The service holding one payment of 100, `payment_id`, as `status` with `captured_amount`.
pub(crate) fn observed(
    payment_id: &str,
    status: PaymentStatus,
    captured_amount: Option<f64>,
) -> StepObservation {
    let payment = PaymentObservation {
        status,
        amount: Some(100.0),
        captured_amount,
    };
    StepObservation {
        seeded_payment: None,
        payments: BTreeMap::from([(payment_id.to_string(), payment)]),
    }
}

/// A successful outcome with the fields of the JSON object `result` (anything else: none).
pub(crate) fn ok(result: Value) -> StepOutcome {
    match result {
        Value::Object(result) => StepOutcome::Ok { result },
        _ => StepOutcome::Ok {
            result: serde_json::Map::new(),
        },
    }
}

/// Owns everything a [`CaseEvidence`] borrows.
pub(crate) struct Evidence {
    pub(crate) case: Case,
    pub(crate) steps: Vec<StepReport>,
    pub(crate) observations: Vec<StepObservation>,
    pub(crate) exchanges: Vec<Exchange>,
    pub(crate) open_reservations: Vec<String>,
    pub(crate) open_refunds: Vec<String>,
    pub(crate) time_scale: f64,
    pub(crate) truncated: Option<Truncation>,
    pub(crate) profile: crate::catalogue::model::Profile,
}

impl Evidence {
    /// A case without steps in which `exchanges` happened, at time scale 1.
    pub(crate) fn of(exchanges: Vec<Ex>) -> Self {
        Evidence {
            case: case(Vec::new()),
            steps: Vec::new(),
            observations: Vec::new(),
            exchanges: build(exchanges),
            open_reservations: Vec::new(),
            open_refunds: Vec::new(),
            time_scale: 1.0,
            truncated: None,
            profile: crate::catalogue::model::Profile::Strict,
        }
    }

    /// The steps of the case and the reports of the steps that ran.
    pub(crate) fn with_steps(mut self, steps: Vec<Step>, reports: Vec<StepReport>) -> Self {
        self.case = case(steps);
        self.steps = reports;
        self
    }

    /// The evidence the judge reads.
    pub(crate) fn get(&self) -> CaseEvidence<'_> {
        CaseEvidence {
            case: &self.case,
            steps: &self.steps,
            observations: &self.observations,
            exchanges: &self.exchanges,
            open_reservations: &self.open_reservations,
            open_refunds: &self.open_refunds,
            declared_version: VERSION,
            time_scale: self.time_scale,
            truncated: self.truncated.as_ref(),
            profile: self.profile,
        }
    }
}
