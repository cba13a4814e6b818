//! B6: a refused request is not sent again as it was. A 4xx says the request itself is wrong for
//! the state it met, so repeating it identically (same method, path and query, body and
//! idempotency key) gets the same answer unless the client did something in between that could
//! change it: a state-changing call on another resource (cancelling the active payment after
//! 409 `1301`), or a new token after a 401. A 409 is a state conflict, so the client must also
//! look the state up (a GET) before it repeats anything.

use crate::exchange::Exchange;
use crate::report::Finding;

use super::seen::{received, refused};
use super::{finding, retry};

/// Rule id: a request answered 4xx is not repeated identically without a change in between.
pub const NO_BLIND_RETRY: &str = "no-blind-4xx-retry";

/// The end of the token endpoint's path (`POST {authBase}/connect/token`, domain reference §2.1).
const TOKEN_PATH_END: &str = "/connect/token";

/// Whether `later` repeats `earlier` exactly as far as the service can tell.
fn identical(earlier: &Exchange, later: &Exchange) -> bool {
    let same_body = match (earlier.request_json(), later.request_json()) {
        (Some(a), Some(b)) => a == b,
        _ => earlier.request_body == later.request_body,
    };
    earlier.method == later.method
        && earlier.path == later.path
        && earlier.header(retry::KEY_HEADER) == later.header(retry::KEY_HEADER)
        && same_body
}

/// The path without its query.
fn resource_path(exchange: &Exchange) -> &str {
    exchange.path.split('?').next().unwrap_or_default()
}

/// Whether `call`, made between a refusal and its repeat, could change the answer to `refusal`:
/// a state-changing PoS call on another resource that may have taken effect, or, after a 401,
/// a new token.
fn could_change(refusal: &Exchange, call: &Exchange) -> bool {
    if call.endpoint.is_none() {
        return refusal.status == Some(401)
            && call.method == "POST"
            && resource_path(call).ends_with(TOKEN_PATH_END)
            && received(call);
    }
    let may_have_acted = received(call) || call.status.is_none();
    matches!(call.method.as_str(), "POST" | "PUT" | "DELETE")
        && resource_path(call) != resource_path(refusal)
        && may_have_acted
}

/// B6 for every refused PoS call and the first identical repeat of it.
pub fn check(exchanges: &[Exchange]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, refusal) in exchanges.iter().enumerate() {
        if refusal.endpoint.is_none() || !refused(refusal) {
            continue;
        }
        let rest = &exchanges[index + 1..];
        let Some(offset) = rest
            .iter()
            .position(|e| e.endpoint.is_some() && identical(refusal, e))
        else {
            continue;
        };
        let (between, repeat) = (&rest[..offset], &rest[offset]);
        let conflict = refusal.status == Some(409);
        let changed = between.iter().any(|e| could_change(refusal, e));
        let looked_up = between
            .iter()
            .any(|e| e.endpoint.is_some() && e.method == "GET" && received(e));
        let missing = match (changed, looked_up || !conflict) {
            (true, true) => continue,
            (false, true) => "without doing anything that could change the answer",
            (true, false) => "without looking the state up first (a GET)",
            (false, false) => "without looking the state up or changing it",
        };
        let code = refusal
            .error_code()
            .map(|c| format!(" code {c}"))
            .unwrap_or_default();
        let advice = if conflict {
            "after a 409 the client queries the resource, reconciles, and sends only what the state now allows"
        } else {
            "a 4xx means the request itself is wrong, so repeating it gets the same answer"
        };
        findings.push(finding(
            NO_BLIND_RETRY,
            Some(repeat),
            format!(
                "{} {} repeated call #{}, which the service refused with {}{code}, {missing}; {advice}",
                repeat.method,
                repeat.path,
                refusal.seq,
                refusal.status.unwrap_or_default()
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::judge::fixtures::{Ex, build, call, initiate, listing, off_api, poll, rules_of};
    use crate::pos::{Endpoint, ErrorCode};

    fn capture(seq: u64, amount: f64) -> Ex {
        call(seq, Endpoint::CapturePayment)
            .id("pay-1")
            .body(json!({ "amount": amount }))
    }

    #[test]
    fn the_documented_cleanup_after_1301_is_clean() {
        let exchanges = build(vec![
            initiate(1, "key-1").refused(ErrorCode::PaymentActive),
            listing(2, "posId=pos-1", &["seeded-1"]),
            call(3, Endpoint::CancelPayment).id("seeded-1"),
            initiate(4, "key-1").response(json!({ "paymentId": "pay-2" })),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }

    #[test]
    fn repeating_a_409_without_a_lookup_is_flagged_even_after_a_change() {
        let exchanges = build(vec![
            initiate(1, "key-1").refused(ErrorCode::PaymentActive),
            call(2, Endpoint::CancelPayment).id("seeded-1"),
            initiate(3, "key-1"),
        ]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![NO_BLIND_RETRY]);
        assert_eq!((findings[0].exchange, findings[0].step), (Some(3), Some(0)));
        assert!(
            findings[0].message.contains("repeated call #1")
                && findings[0].message.contains("409 code 1301")
                && findings[0]
                    .message
                    .contains("without looking the state up first"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn repeating_a_409_after_only_a_lookup_is_flagged() {
        let exchanges = build(vec![
            initiate(1, "key-1").refused(ErrorCode::PaymentActive),
            listing(2, "posId=pos-1", &["seeded-1"]),
            initiate(3, "key-1").refused(ErrorCode::PaymentActive),
        ]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![NO_BLIND_RETRY]);
        assert!(
            findings[0]
                .message
                .contains("without doing anything that could change the answer"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn repeating_a_400_at_once_is_flagged_once_per_repeat() {
        let exchanges = build(vec![
            capture(1, 0.0).refused(ErrorCode::InvalidAmount),
            capture(2, 0.0).refused(ErrorCode::InvalidAmount),
            capture(3, 0.0).refused(ErrorCode::InvalidAmount),
        ]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![NO_BLIND_RETRY, NO_BLIND_RETRY]);
        assert_eq!(
            findings.iter().map(|f| f.exchange).collect::<Vec<_>>(),
            vec![Some(2), Some(3)]
        );
    }

    #[test]
    fn a_corrected_request_is_not_a_repeat() {
        let exchanges = build(vec![
            capture(1, 0.0).refused(ErrorCode::InvalidAmount),
            capture(2, 25.0),
            initiate(3, "key-1").refused(ErrorCode::InvalidOrderId),
            initiate(4, "key-2").refused(ErrorCode::InvalidOrderId),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }

    #[test]
    fn a_refused_change_or_one_on_the_same_resource_does_not_count() {
        let exchanges = build(vec![
            capture(1, 25.0).refused(ErrorCode::PaymentNotReserved),
            poll(2, "pay-1", "Reserved"),
            call(3, Endpoint::CancelPayment)
                .id("other-1")
                .refused(ErrorCode::PaymentNotCancellable),
            capture(4, 25.0),
        ]);
        assert_eq!(rules_of(&check(&exchanges)), vec![NO_BLIND_RETRY]);
    }

    #[test]
    fn a_new_token_after_a_401_allows_the_same_request() {
        let token = || off_api(2, "POST", "/integrator-authentication/connect/token");
        let refreshed = build(vec![
            poll(1, "pay-1", "Initiated").status(401),
            token(),
            poll(3, "pay-1", "Initiated"),
        ]);
        assert_eq!(check(&refreshed), Vec::new());
        let blind = build(vec![
            poll(1, "pay-1", "Initiated").status(401),
            poll(3, "pay-1", "Initiated"),
        ]);
        assert_eq!(rules_of(&check(&blind)), vec![NO_BLIND_RETRY]);
        let token_after_a_400 = build(vec![
            capture(1, 0.0).refused(ErrorCode::InvalidAmount),
            token(),
            capture(3, 0.0),
        ]);
        assert_eq!(rules_of(&check(&token_after_a_400)), vec![NO_BLIND_RETRY]);
    }

    #[test]
    fn server_errors_and_hang_ups_are_retried_freely() {
        let exchanges = build(vec![
            initiate(1, "key-1").hold200().hung_up(),
            initiate(2, "key-1").err500(),
            initiate(3, "key-1"),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }
}
