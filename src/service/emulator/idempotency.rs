//! Idempotency of the creating endpoints (domain reference §7 B5): a key used again with the
//! same endpoint and the same body replays the original answer; with anything else it is
//! refused with 409 `1306`. Only successful calls bind a key, so a key whose call ended in an
//! error stays free (inferred). Bodies are compared as parsed JSON, not as bytes (inferred).

use crate::pos::{ApiError, ErrorCode};
use crate::service::session::Session;
use crate::service::world::IdempotencyRecord;

use super::ApiRequest;

fn parsed(request: &ApiRequest<'_>) -> serde_json::Value {
    serde_json::from_slice(request.body).unwrap_or(serde_json::Value::Null)
}

/// The answer to replay when `key` is already bound to this very request.
pub fn lookup(
    session: &Session,
    key: &str,
    request: &ApiRequest<'_>,
) -> Result<Option<serde_json::Value>, ApiError> {
    match session.world().idempotency.get(key) {
        None => Ok(None),
        Some(record) if record.endpoint == request.endpoint && record.body == parsed(request) => {
            Ok(Some(record.answer.clone()))
        }
        Some(_) => Err(ErrorCode::IdempotencyKeyReused.into()),
    }
}

/// Binds `key` to a request that succeeded with `answer`.
pub fn bind(
    session: &mut Session,
    key: String,
    request: &ApiRequest<'_>,
    answer: serde_json::Value,
) {
    let record = IdempotencyRecord {
        endpoint: request.endpoint,
        body: parsed(request),
        answer,
    };
    session.world_mut().idempotency.insert(key, record);
}

#[cfg(test)]
mod tests {

    use serde_json::{Value, json};

    use super::*;
    use crate::pos::Endpoint;

    use crate::service::emulator::ApiAnswer;
    use crate::service::emulator::fixtures::{
        Call, TestResult, code, json_of, new_pos, payment_body, pos_body, pos_headers, session,
        text, through_pipeline,
    };

    fn bound(session: &mut Session, key: &str, call: &Call, answer: Value) {
        bind(session, key.to_string(), &call.request(), answer);
    }

    #[test]
    fn the_same_key_and_body_replay_the_answer() {
        let mut session = session();
        let call = Call::new(Endpoint::CreatePos).body(&pos_body("till-1"));
        bound(&mut session, "key-1", &call, json!({ "posId": "pos-1" }));
        assert_eq!(
            lookup(&session, "key-1", &call.request()),
            Ok(Some(json!({ "posId": "pos-1" })))
        );
    }

    #[test]
    fn bodies_are_compared_as_json() {
        let mut session = session();
        let first = Call::new(Endpoint::InitiatePayment).raw_body(r#"{"a":1,"b":[1,2]}"#);
        bound(&mut session, "key-1", &first, json!({ "paymentId": "p" }));
        let reordered =
            Call::new(Endpoint::InitiatePayment).raw_body("{ \"b\": [1, 2],\n \"a\": 1 }");
        assert_eq!(
            lookup(&session, "key-1", &reordered.request()),
            Ok(Some(json!({ "paymentId": "p" })))
        );
    }

    #[test]
    fn an_unknown_key_is_free() {
        let mut session = session();
        let call = Call::new(Endpoint::CreatePos).body(&pos_body("till-1"));
        bound(&mut session, "key-1", &call, json!({ "posId": "pos-1" }));
        assert_eq!(lookup(&session, "key-2", &call.request()), Ok(None));
    }

    #[test]
    fn the_same_key_with_another_body_is_1306() {
        let mut session = session();
        let call = Call::new(Endpoint::CreatePos).body(&pos_body("till-1"));
        bound(&mut session, "key-1", &call, json!({ "posId": "pos-1" }));
        let other = Call::new(Endpoint::CreatePos).body(&pos_body("till-2"));
        assert_eq!(
            code(&lookup(&session, "key-1", &other.request())),
            Some("1306")
        );
    }

    #[test]
    fn the_same_key_on_another_endpoint_is_1306() {
        let mut session = session();
        let body = json!({ "posId": "pos-1", "orderId": "order-1" });
        let initiate = Call::new(Endpoint::InitiatePayment).body(&body);
        bound(
            &mut session,
            "key-1",
            &initiate,
            json!({ "paymentId": "p" }),
        );
        let prepare = Call::new(Endpoint::PreparePayment).body(&body);
        assert_eq!(
            code(&lookup(&session, "key-1", &prepare.request())),
            Some("1306")
        );
    }

    /// Runs `call` through the pipeline with idempotency key `key`.
    fn run(session: &mut Session, key: &str, call: &Call) -> ApiAnswer {
        through_pipeline(session, &pos_headers(&[key]), call)
    }

    #[test]
    fn a_replayed_initiate_creates_nothing_new() -> TestResult {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        let call =
            Call::new(Endpoint::InitiatePayment).body(&payment_body(&pos, "order-1", json!(100)));
        let first = json_of(run(&mut session, "key-1", &call))?;
        let again = json_of(run(&mut session, "key-1", &call))?;
        assert_eq!(first, again);
        assert_eq!(session.world().payments.len(), 1);
        let other =
            Call::new(Endpoint::InitiatePayment).body(&payment_body(&pos, "order-2", json!(100)));
        let refused = run(&mut session, "key-1", &other);
        assert_eq!(code(&refused), Some("1306"));
        assert_eq!(session.world().payments.len(), 1);
        Ok(())
    }

    #[test]
    fn a_key_whose_call_was_refused_stays_free() -> TestResult {
        let mut session = session();
        let pos = new_pos(&mut session, "till-1")?;
        let first =
            Call::new(Endpoint::InitiatePayment).body(&payment_body(&pos, "order-1", json!(100)));
        let id = text(&json_of(run(&mut session, "key-1", &first))?, "paymentId")?;
        let blocked =
            Call::new(Endpoint::InitiatePayment).body(&payment_body(&pos, "order-2", json!(100)));
        let refused = run(&mut session, "key-2", &blocked);
        assert_eq!(code(&refused), Some("1301"));
        assert!(!session.world().idempotency.contains_key("key-2"));
        if let Some(payment) = session.world_mut().payments.get_mut(&id) {
            payment.status = crate::pos::PaymentStatus::CancelledByClient;
        }
        let retried =
            Call::new(Endpoint::InitiatePayment).body(&payment_body(&pos, "order-3", json!(100)));
        let answer = json_of(run(&mut session, "key-2", &retried))?;
        assert_ne!(text(&answer, "paymentId")?, id);
        assert_eq!(session.world().payments.len(), 2);
        Ok(())
    }
}
