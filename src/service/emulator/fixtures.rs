//! Test fixtures for the emulator's resource handlers: a fresh session, owned requests, valid
//! bodies, callers acting for a merchant, and shortcuts that create a PoS or a payment.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use std::sync::{Arc, LazyLock};

use crate::catalogue::model::{BackendScript, CustomerScript, ScriptedStatus};
use crate::catalogue::{Case, Catalogue, Category, CategoryHeader, LocatedCase, Location, Step};
use crate::pos::constants::{CERT_MERCHANT_VAT_DK, CERT_STORE_ID};
use crate::pos::usersim::TestUser;
use crate::pos::{ApiError, Endpoint, PaymentStatus};
use crate::report::{AdapterInfo, AdapterKind, CatalogueProvenance};
use crate::service::arm;
use crate::service::beacons::Beacons;
use crate::service::clock::Clock;
use crate::service::handle::SessionHandle;
use crate::service::registry::TokenGrant;
use crate::service::session::{Identity, Session};

use super::scope::Caller;
use super::{ApiAnswer, ApiRequest, CallContext, payments, pointofsales, process, query};

/// What a test returns.
pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The certification merchant's VAT number.
pub(crate) const VAT: &str = CERT_MERCHANT_VAT_DK;
/// Another merchant's VAT number.
pub(crate) const OTHER_VAT: &str = "DK12345678";
/// The session id fixture callers act in.
pub(crate) const SESSION_ID: &str = "fixture-session";

/// A beacon index no fixture claims in, for callers that only read or delete: tests run in
/// parallel, so every test that creates a PoS claims in an index of its own.
static UNCLAIMED: LazyLock<Beacons> = LazyLock::new(Beacons::default);

/// A caller acting for `vat` in the fixture session, with `beacons` as the service's index.
pub(crate) fn caller<'a>(vat: &'a str, beacons: &'a Beacons) -> Caller<'a> {
    Caller {
        vat,
        session_id: SESSION_ID,
        beacons,
    }
}

/// A caller acting for `vat` that creates no PoS (see [`UNCLAIMED`]).
pub(crate) fn acting_for(vat: &str) -> Caller<'_> {
    caller(vat, &UNCLAIMED)
}

/// The id of the armed case in [`armed_session`].
pub(crate) const CASE: &str = "payments/payment-complete";

/// A catalogue holding `cases`, each under its full id (`category/case`).
pub(crate) fn catalogue_of(cases: Vec<(&str, Case)>) -> Catalogue {
    let mut categories: Vec<Category> = Vec::new();
    for (full_id, mut case) in cases {
        let (category, id) = full_id.split_once('/').unwrap_or(("payments", full_id));
        case.id = id.to_string();
        let located = LocatedCase {
            case,
            location: Location {
                file: format!("cases/{category}.yaml"),
                line: 1,
                column: 1,
            },
        };
        match categories.iter_mut().find(|c| c.header.id == category) {
            Some(existing) => existing.cases.push(located),
            None => categories.push(Category {
                header: CategoryHeader {
                    id: category.to_string(),
                    title: category.to_string(),
                    summary: "fixture".to_string(),
                    mandatory: category == "onboarding",
                },
                file: format!("cases/{category}.yaml"),
                cases: vec![located],
            }),
        }
    }
    Catalogue {
        categories,
        digest: "fixture".to_string(),
        sources: Vec::new(),
    }
}

/// A fresh session on the certification merchant at time scale 1, with `cases` in its
/// catalogue and selected.
pub(crate) fn session_with(cases: Vec<(&str, Case)>) -> Session {
    let selected = cases.iter().map(|(id, _)| (*id).to_string()).collect();
    Session::new(Arc::new(catalogue_of(cases)), selected, Clock::new(1.0))
}

/// A fresh session with nothing selected.
pub(crate) fn session() -> Session {
    session_with(Vec::new())
}

/// A registered-style handle around a fresh session.
pub(crate) fn handle() -> Arc<SessionHandle> {
    let identity = Identity {
        client_name: "fixture till".to_string(),
        client_version: "1.0.0".to_string(),
        adapter: AdapterInfo {
            kind: AdapterKind::Exec,
            command_digest: Some("0".repeat(64)),
        },
        profile: crate::catalogue::model::Profile::Mobilepay,
        catalogue: CatalogueProvenance::custom("fixture"),
        merchant_vat: VAT.to_string(),
        integrator_client_ids: Vec::new(),
    };
    SessionHandle::create(identity, session()).handle
}

/// A plain case with these steps and backend.
pub(crate) fn case(backend: BackendScript, steps: Vec<Step>) -> Case {
    Case {
        id: String::new(),
        title: "Fixture".into(),
        summary: "A fixture case.".into(),
        evidence: crate::catalogue::model::Evidence::Evidenced,
        profiles: crate::catalogue::model::Profile::ALL.to_vec(),
        backend,
        steps,
    }
}

/// A session with [`CASE`] armed, whose simulated customer walks each new payment through
/// `statuses` and answers `partial` for partial capture.
pub(crate) fn armed_session(
    statuses: Vec<PaymentStatus>,
    partial: bool,
) -> Result<Session, String> {
    let backend = BackendScript {
        customer: Some(CustomerScript {
            payment: statuses.into_iter().map(ScriptedStatus::from).collect(),
            partial_capture_possible: partial,
        }),
        ..BackendScript::default()
    };
    let mut session = session_with(vec![(CASE, case(backend, Vec::new()))]);
    arm::arm(&mut session, CASE).map_err(|e| e.to_string())?;
    Ok(session)
}

/// An owned request, lent to the handlers as an [`ApiRequest`].
pub(crate) struct Call {
    endpoint: Endpoint,
    id: Option<String>,
    query: String,
    body: Vec<u8>,
}

impl Call {
    /// A call of `endpoint` without id, query or body.
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        Call {
            endpoint,
            id: None,
            query: String::new(),
            body: Vec::new(),
        }
    }

    /// The id in the path.
    pub(crate) fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_string());
        self
    }

    /// The raw query string, e.g. `posId=…&state=Captured`.
    pub(crate) fn query(mut self, query: &str) -> Self {
        self.query = query.to_string();
        self
    }

    /// A JSON body.
    pub(crate) fn body(mut self, body: &Value) -> Self {
        self.body = body.to_string().into_bytes();
        self
    }

    /// A body exactly as sent.
    pub(crate) fn raw_body(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }

    /// The request the handlers read.
    pub(crate) fn request(&self) -> ApiRequest<'_> {
        ApiRequest {
            endpoint: self.endpoint,
            resource_id: self.id.as_deref(),
            query: query::parse(&self.query),
            body: &self.body,
        }
    }
}

/// A valid `CreatePosRequest` for the certification store.
pub(crate) fn pos_body(merchant_pos_id: &str) -> Value {
    json!({
        "merchantPosId": merchant_pos_id,
        "storeId": CERT_STORE_ID,
        "name": "Till 7",
        "beaconId": null,
        "supportedBeaconTypes": ["QR"],
        "requirePaymentBeforeCheckin": false,
    })
}

/// `POST /pointofsales` with `body` on behalf of the Danish certification merchant, with a beacon
/// index of its own (global beacon uniqueness is tested with an explicit shared index).
pub(crate) fn create_pos(session: &mut Session, body: &Value) -> ApiAnswer {
    let beacons = Beacons::default();
    let call = Call::new(Endpoint::CreatePos).body(body);
    pointofsales::create(session, &caller(VAT, &beacons), &call.request())
}

/// Creates a valid PoS and returns its id.
pub(crate) fn new_pos(session: &mut Session, merchant_pos_id: &str) -> Result<String, String> {
    let answer = json_of(create_pos(session, &pos_body(merchant_pos_id)))?;
    text(&answer, "posId")
}

/// A valid `InitiatePaymentRequest`.
pub(crate) fn payment_body(pos_id: &str, order_id: &str, amount: Value) -> Value {
    json!({
        "posId": pos_id,
        "orderId": order_id,
        "amount": amount,
        "currencyCode": "DKK",
        "restrictions": null,
        "merchantPaymentLabel": "Shift A",
        "plannedCaptureDelay": "None",
    })
}

/// `POST /payments` with `body` on behalf of the Danish certification merchant.
pub(crate) fn initiate(session: &mut Session, body: &Value) -> ApiAnswer {
    let call = Call::new(Endpoint::InitiatePayment).body(body);
    payments::initiate(session, &acting_for(VAT), &call.request())
}

/// Initiates a valid 100 DKK payment and returns its id.
pub(crate) fn new_payment(
    session: &mut Session,
    pos_id: &str,
    order_id: &str,
) -> Result<String, String> {
    let answer = json_of(initiate(
        session,
        &payment_body(pos_id, order_id, json!(100.0)),
    ))?;
    text(&answer, "paymentId")
}

/// Puts a payment in `status`, as the customer or MobilePay would.
pub(crate) fn set_status(
    session: &mut Session,
    payment_id: &str,
    status: PaymentStatus,
) -> Result<(), String> {
    let payment = session
        .world_mut()
        .payments
        .get_mut(payment_id)
        .ok_or_else(|| format!("no payment {payment_id}"))?;
    payment.status = status;
    Ok(())
}

/// The state a payment is in.
pub(crate) fn status_of(session: &Session, payment_id: &str) -> Result<PaymentStatus, String> {
    session
        .world()
        .payments
        .get(payment_id)
        .map(|p| p.status)
        .ok_or_else(|| format!("no payment {payment_id}"))
}

/// The error code of a coded refusal, if the answer is one.
pub(crate) fn code(answer: &ApiAnswer) -> Option<&'static str> {
    match answer {
        Err(ApiError::Coded(code)) => Some(code.code()),
        _ => None,
    }
}

/// The body of a successful answer with a body.
pub(crate) fn json_of(answer: ApiAnswer) -> Result<Value, String> {
    match answer {
        Ok(Some(body)) => Ok(body),
        Ok(None) => Err("the answer had no body".to_string()),
        Err(error) => Err(format!("refused: {error:?}")),
    }
}

/// A string field of a JSON object.
pub(crate) fn text(value: &Value, field: &str) -> Result<String, String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("no string `{field}` in {value}"))
}

/// The headers of a PoS call for the certification merchant, with each of `keys` as an
/// idempotency key (none, one, or a duplicated header).
pub(crate) fn pos_headers(keys: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-mobilepay-client-system-version",
        HeaderValue::from_static("1.0.0"),
    );
    headers.insert(
        "x-mobilepay-merchant-vat-number",
        HeaderValue::from_static(VAT),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for key in keys {
        if let Ok(key) = HeaderValue::from_str(key) {
            headers.append("x-mobilepay-idempotency-key", key);
        }
    }
    headers
}

/// Runs `call` with `headers` through the pipeline's synchronous part (header and hygiene
/// checks, idempotency, expiry and dispatch), as a token without claim of [`SESSION_ID`].
pub(crate) fn through_pipeline(
    session: &mut Session,
    headers: &HeaderMap,
    call: &Call,
) -> ApiAnswer {
    let grant = TokenGrant {
        session_id: SESSION_ID.to_string(),
        expires_virtual_ms: f64::MAX,
        merchant_vat_claim: None,
        upstream_token: None,
    };
    let beacons = Beacons::default();
    let context = CallContext {
        grant: &grant,
        headers,
        body_fault: None,
        session_id: SESSION_ID,
        beacons: &beacons,
    };
    process(session, &context, &call.request())
}

/// Checks in test user `phone` at the PoS, waiting there for a payment.
pub(crate) fn customer_waits_at(session: &mut Session, pos_id: &str, phone: &str) -> TestResult {
    let user = TestUser::find(phone).ok_or_else(|| format!("{phone} is no test user"))?;
    let customer = super::checkin::check_in_of(user, session.clock().virtual_ms());
    session
        .world_mut()
        .customers
        .waiting
        .insert(pos_id.to_string(), customer);
    Ok(())
}
