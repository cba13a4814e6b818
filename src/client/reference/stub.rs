//! A scripted stand-in for the certification service, for the reference client's unit tests: a
//! tiny axum server on `127.0.0.1:0` (bound before it is spawned, so no test waits for
//! readiness) that answers the token endpoint itself, hands every PoS call to the test's script,
//! and records what it received and when.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Conduct, ReferenceClient, ReferenceConfig};
use crate::client::Connection;
use crate::client::protocol::{AdapterError, Fields};
use crate::secret::Secret;

/// The client secret every stub session uses; tests assert it never leaks.
pub(super) const SECRET: &str = "s3cr3t-do-not-print";
/// The access token the stub issues.
pub(super) const TOKEN: &str = "tok-e6b1-very-private";
/// The PoS API prefix the stub serves.
const API_PREFIX: &str = "/pos/v10";
/// The token path below the stub's root.
const TOKEN_PATH: &str = "/auth/connect/token";
/// The compressed time scale of tests that need the client to give up on a held answer soon
/// (scaled write timeout 100 ms). Other tests run at scale 1, so a busy machine's scheduling
/// jitter cannot trip the 25 ms floor of a scaled read timeout and add an attempt.
pub(super) const FAST_SCALE: f64 = 0.05;

/// A request as the stub received it.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    /// HTTP method.
    pub(super) method: String,
    /// Path below `/pos/v10` (or the full path for non-PoS calls).
    pub(super) path: String,
    /// The raw query, if any.
    pub(super) query: Option<String>,
    /// Request headers.
    pub(super) headers: HeaderMap,
    /// Raw body.
    pub(super) body: Vec<u8>,
    /// When it arrived.
    pub(super) at: Instant,
}

impl Seen {
    /// `METHOD /path`.
    pub(super) fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// A header value as text.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn is_token(&self) -> bool {
        self.path == TOKEN_PATH
    }
}

/// The stub's answer to one request.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    status: u16,
    body: Option<Value>,
    delay: Duration,
}

impl Reply {
    /// 200 with a JSON body.
    pub(super) fn ok(body: Value) -> Self {
        Reply {
            status: 200,
            body: Some(body),
            delay: Duration::ZERO,
        }
    }

    /// 200 without a body.
    pub(super) fn empty() -> Self {
        Reply {
            status: 200,
            body: None,
            delay: Duration::ZERO,
        }
    }

    /// An error status with an optional `code`.
    pub(super) fn error(status: u16, code: Option<&str>) -> Self {
        let body = code.map(|code| json!({"code": code, "message": "stub", "correlationId": "c"}));
        Reply {
            status,
            body,
            delay: Duration::ZERO,
        }
    }

    /// The same answer, held for `delay` first.
    pub(super) fn held(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Script = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

struct StubState {
    script: Box<Script>,
    token_status: u16,
    log: Mutex<Vec<Seen>>,
}

impl StubState {
    fn log(&self) -> MutexGuard<'_, Vec<Seen>> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running stub.
pub(super) struct Stub {
    addr: SocketAddr,
    state: Arc<StubState>,
}

impl Stub {
    /// Starts a stub whose script answers each PoS call, given how many earlier calls had the
    /// same route.
    pub(super) async fn start(
        script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Stub> {
        Stub::start_with_token_status(200, script).await
    }

    /// As [`Stub::start`], with the token endpoint answering `token_status`.
    pub(super) async fn start_with_token_status(
        token_status: u16,
        script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Stub> {
        let state = Arc::new(StubState {
            script: Box::new(script),
            token_status,
            log: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Stub { addr, state })
    }

    /// A configuration pointing the client at this stub, at time scale 1.
    pub(super) fn config(&self, conduct: Conduct) -> ReferenceConfig {
        config_for(&format!("http://{}", self.addr), conduct)
    }

    /// A client for this stub, at time scale 1.
    pub(super) fn client(&self, conduct: Conduct) -> Result<ReferenceClient, AdapterError> {
        ReferenceClient::new(self.config(conduct))
    }

    /// A client for this stub at [`FAST_SCALE`].
    pub(super) fn fast_client(&self, conduct: Conduct) -> Result<ReferenceClient, AdapterError> {
        let mut config = self.config(conduct);
        config.connection.time_scale = FAST_SCALE;
        ReferenceClient::new(config)
    }

    /// Every PoS call received, in order.
    pub(super) fn calls(&self) -> Vec<Seen> {
        self.state
            .log()
            .iter()
            .filter(|s| !s.is_token())
            .cloned()
            .collect()
    }

    /// The PoS calls received on `route` (`METHOD /path`).
    pub(super) fn on(&self, route: &str) -> Vec<Seen> {
        self.calls()
            .into_iter()
            .filter(|s| s.route() == route)
            .collect()
    }

    /// How many PoS calls carried `header`.
    pub(super) fn calls_with(&self, header: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.header(header).is_some())
            .count()
    }

    /// How many token requests arrived.
    pub(super) fn token_calls(&self) -> usize {
        self.token_bodies().len()
    }

    /// The form bodies of the token requests, in order.
    pub(super) fn token_bodies(&self) -> Vec<String> {
        self.state
            .log()
            .iter()
            .filter(|s| s.is_token())
            .map(|s| String::from_utf8_lossy(&s.body).into_owned())
            .collect()
    }
}

/// A configuration for a service at `root` (API at `/pos/v10`, auth at `/auth`), at scale 1.
pub(super) fn config_for(root: &str, conduct: Conduct) -> ReferenceConfig {
    ReferenceConfig {
        connection: Connection {
            api_base_url: format!("{root}{API_PREFIX}"),
            auth_url: format!("{root}/auth"),
            client_id: "0f5e8a3c-client".into(),
            client_secret: Secret::new(SECRET),
            merchant_vat: "DK90000028".into(),
            client_version: "1.2.3".into(),
            time_scale: 1.0,
        },
        conduct,
    }
}

async fn handle(
    State(state): State<Arc<StubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let seen = Seen {
        method: method.to_string(),
        path: path.strip_prefix(API_PREFIX).unwrap_or(path).to_string(),
        query: uri.query().map(str::to_string),
        headers,
        body: body.to_vec(),
        at: Instant::now(),
    };
    let reply = {
        let mut log = state.log();
        let reply = if seen.is_token() {
            token_reply(state.token_status)
        } else {
            let earlier = log.iter().filter(|s| s.route() == seen.route()).count();
            (state.script)(&seen, earlier)
        };
        log.push(seen);
        reply
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match reply.body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    }
}

fn token_reply(status: u16) -> Reply {
    if status == 200 {
        Reply::ok(
            json!({"access_token": TOKEN, "expires_in": 3700, "token_type": "Bearer", "scope": "integrator_scope"}),
        )
    } else {
        Reply::error(status, None)
    }
}

/// A `QueryPaymentResponse` in `status` (Reserved adds amount 100 and `partialCapturePossible`).
pub(super) fn payment(id: &str, status: &str, poll_delay_ms: u64) -> Value {
    let mut body = json!({
        "paymentId": id, "posId": "pos-1", "orderId": "o-1", "amount": 100.0,
        "currencyCode": "DKK", "plannedCaptureDelay": "None", "status": status,
        "pollDelayInMs": poll_delay_ms,
    });
    if status == "Reserved" {
        body["partialCapturePossible"] = json!(false);
    }
    body
}

/// A `GetRefundResponse` of refund `id` with `refund_order_id`, in `status`.
pub(super) fn refund(id: &str, refund_order_id: &str, status: &str) -> Value {
    json!({"refundId": id, "paymentId": "p1", "refundOrderId": refund_order_id, "amount": 40,
           "currencyCode": "DKK", "status": status, "pollDelayInMs": 30})
}

/// The `n`th entry of a status script; the last one repeats.
pub(super) fn nth<'a>(script: &[&'a str], n: usize) -> &'a str {
    script
        .get(n)
        .or(script.last())
        .copied()
        .unwrap_or("Initiated")
}

/// Operation parameters from a JSON object literal.
pub(super) fn params(json: Value) -> Fields {
    match json {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}
