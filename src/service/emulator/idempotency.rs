//! Idempotency of the creating endpoints (domain reference §7 B5): a key used again with the
//! same endpoint and the same body replays the original answer; with anything else it is
//! refused with 409 `1306`. Only successful calls bind a key, so a key whose call ended in an
//! error stays free [I]. Bodies are compared as parsed JSON, not as bytes [I].

use crate::pos::{ApiError, ErrorCode};
use crate::service::session::{IdempotencyRecord, Session};

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
    match session.idempotency.get(key) {
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
    session.idempotency.insert(key, record);
}
