//! Refunds (domain reference §3.4, §6.3, §6.4): create a refund of a captured payment under the
//! amount, currency, time and balance rules (`rules`), read it — each poll lets MobilePay move
//! it along — list a payment's refunds, and capture or cancel it through the refund state
//! machine. Every refund read or acted on first catches up with the session's virtual clock, so
//! a refund left reserved for 24 h is found captured (`lifecycle`). Refunds are the merchant's
//! whose payment they refund (`scope`): another merchant's payment is refused with 403 `1401`
//! (after 409 `1001` for an unknown one), another merchant's refund with 403 `1402` (after the
//! 404 of an unknown one), and a listing shows only the merchant's own. Errors travel as
//! `ErrorResponseV2`: the pipeline adds `origin` for every refund endpoint.

mod lifecycle;
mod rules;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests_create;
#[cfg(test)]
mod tests_scope;
#[cfg(test)]
mod tests_settle;

use crate::pos::dto::{
    CreateRefundRequest, CreateRefundResponse, GetRefundResponse, QueryRefundIdsResponse,
};
use crate::pos::refund_state::RefundEvent;
use crate::pos::{ApiError, ErrorCode, RefundStatus};
use crate::service::session::Session;
use crate::service::world::Refund;

use super::scope::{self, Caller};
use super::{ApiAnswer, ApiRequest, parse_body, query};

/// A refund body as the JSON of a 200.
fn to_answer<T: serde::Serialize>(body: &T) -> ApiAnswer {
    serde_json::to_value(body)
        .map(Some)
        .map_err(|_| ErrorCode::Internal.into())
}

/// `POST /refunds`.
pub fn create(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: CreateRefundRequest = parse_body(request.body)?;
    let now = session.clock().virtual_ms();
    let payment_id = rules::check_create(session.world(), caller, &body, now)?;
    let id = uuid::Uuid::new_v4().to_string();
    let created_in_case = session.armed().map(|case| case.id.clone());
    let created_seq = session.world_mut().next_created_seq();
    let refund = Refund {
        id: id.clone(),
        payment_id,
        refund_order_id: body.refund_order_id,
        amount: body.amount,
        currency_code: body.currency_code,
        status: RefundStatus::Initiated,
        reserved_virtual_ms: None,
        polls: 0,
        created_in_case,
        created_virtual_ms: now,
        created_seq,
    };
    session.world_mut().refunds.insert(id.clone(), refund);
    to_answer(&CreateRefundResponse { refund_id: id })
}

/// The caller's merchant's refund in the path, caught up with the clock at `now_ms`; `missing`
/// is the answer when there is none (only capture codes its 404), 403 `1402` when it is another
/// merchant's, which is left untouched.
fn find_current<'a>(
    session: &'a mut Session,
    caller: &Caller<'_>,
    request: &ApiRequest<'_>,
    now_ms: f64,
    missing: ApiError,
) -> Result<&'a mut Refund, ApiError> {
    let refund = scope::refund_mut(session.world_mut(), caller, request.resource_id, missing)?;
    lifecycle::catch_up(refund, now_ms);
    Ok(refund)
}

/// `GET /refunds/{refundid}`.
pub fn get(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let poll_delay = session.next_poll_delay_ms();
    let now = session.clock().virtual_ms();
    let refund = find_current(session, caller, request, now, ApiError::NotFound)?;
    lifecycle::on_poll(refund, now);
    to_answer(&GetRefundResponse {
        refund_id: refund.id.clone(),
        payment_id: refund.payment_id.clone(),
        refund_order_id: refund.refund_order_id.clone(),
        amount: refund.amount,
        currency_code: refund.currency_code,
        status: refund.status,
        poll_delay_in_ms: poll_delay,
    })
}

/// `GET /refunds?paymentId=`: every refund of the payment, oldest first, if the payment is the
/// caller's merchant's (the document lists no 403 here, so another merchant's payment, like an
/// unknown one, has none). The document's only filter is `paymentId`; without it the filter is
/// too wide (`1110`).
pub fn list(session: &Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let Some(payment_id) = query::get(&request.query, "paymentId").filter(|id| !id.is_empty())
    else {
        return Err(ErrorCode::RefundFilterTooWide.into());
    };
    let payment_id = payment_id.to_ascii_lowercase();
    let world = session.world();
    let mut hits: Vec<&Refund> = world
        .refunds
        .values()
        .filter(|r| r.payment_id == payment_id && scope::owns_refund(world, caller, r))
        .collect();
    hits.sort_by_key(|r| r.created_seq);
    to_answer(&QueryRefundIdsResponse {
        refund_ids: hits.iter().map(|r| r.id.clone()).collect(),
    })
}

/// `POST /refunds/{refundid}/capture`: the only coded 404 of the API (`1004`).
pub fn capture(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let now = session.clock().virtual_ms();
    let missing = ErrorCode::RefundNotFound.into();
    let refund = find_current(session, caller, request, now, missing)?;
    // A repeated capture of a refund the client already captured succeeds (inferred).
    if refund.status == RefundStatus::Captured || refund.apply(RefundEvent::Capture, now) {
        Ok(None)
    } else {
        Err(ErrorCode::RefundNotReserved.into())
    }
}

/// `POST /refunds/{refundid}/cancel`.
pub fn cancel(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let now = session.clock().virtual_ms();
    let refund = find_current(session, caller, request, now, ApiError::NotFound)?;
    // A repeated cancel of a refund the client already cancelled succeeds (inferred, as for
    // payments).
    if refund.status == RefundStatus::CancelledByClient || refund.apply(RefundEvent::Cancel, now) {
        Ok(None)
    } else {
        Err(ErrorCode::RefundNotCancellable.into())
    }
}
