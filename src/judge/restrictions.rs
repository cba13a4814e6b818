//! Card restrictions (domain reference §3.3, cases R and PR): when the catalogue asks a `pay` or
//! `ready` step for restrictions, every attempt of that step's initiate (`POST /payments`) or
//! ready (`POST /payments/{id}/ready`) carries exactly those flags; a prepare cannot carry
//! restrictions at all, and a `ready` step's restrictions belong in the ready body, never on an
//! initiate. The catalogue's restrictions are literal, so the step's own parameters are compared.

use serde_json::Value;

use crate::catalogue::{Operation, Step};
use crate::exchange::Exchange;
use crate::pos::Endpoint;
use crate::report::Finding;

use super::{CaseEvidence, finding, pos_exchanges};

/// Rule id: the restrictions a step asks for are sent where they belong, on every attempt.
pub const RESTRICTIONS_SENT: &str = "restrictions-sent";

/// The two restriction flags, a missing or null flag being `false`; `None` when no restriction
/// object is given.
fn flags(restrictions: Option<&Value>) -> Option<(bool, bool)> {
    let restrictions = restrictions.filter(|r| !r.is_null())?;
    let flag = |name: &str| {
        restrictions
            .get(name)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    Some((flag("debitCardDisallowed"), flag("creditCardDisallowed")))
}

fn sent(exchange: &Exchange) -> Option<(bool, bool)> {
    flags(exchange.request_json()?.get("restrictions"))
}

fn shown(flags: Option<(bool, bool)>) -> String {
    match flags {
        None => "none".to_string(),
        Some((debit, credit)) => {
            format!("debitCardDisallowed {debit}, creditCardDisallowed {credit}")
        }
    }
}

/// The endpoint that carries a step's restrictions.
fn carrier(step: &Step) -> Option<Endpoint> {
    match step.op {
        Operation::Pay => Some(Endpoint::InitiatePayment),
        Operation::Ready => Some(Endpoint::PaymentReady),
        _ => None,
    }
}

/// Checks every call of every step against the step's restrictions.
pub fn check(evidence: &CaseEvidence<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for exchange in pos_exchanges(evidence.exchanges) {
        let Some(step) = exchange.step.and_then(|i| evidence.case.steps.get(i)) else {
            continue;
        };
        let endpoint = exchange.pos_endpoint();
        let asked = flags(step.params.get("restrictions"));
        let problem = match endpoint {
            Some(Endpoint::PreparePayment) if sent(exchange).is_some() => {
                "carried restrictions; a prepare cannot, they are sent with the ready".to_string()
            }
            Some(Endpoint::InitiatePayment)
                if step.op == Operation::Ready && sent(exchange).is_some() =>
            {
                "carried the restrictions of a ready step on an initiate; they belong in the ready body".to_string()
            }
            _ if asked.is_some() && endpoint == carrier(step) && sent(exchange) != asked => {
                format!(
                    "carried restrictions {} but the step asks for {}; every attempt carries exactly the restrictions asked for",
                    shown(sent(exchange)),
                    shown(asked)
                )
            }
            _ => continue,
        };
        findings.push(finding(
            RESTRICTIONS_SENT,
            Some(exchange),
            format!("{} {} {problem}", exchange.method, exchange.path),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::judge::fixtures::{Evidence, Ex, call, ok, report, rules_of, step};

    const DEBIT: &str = r#"{"debitCardDisallowed":true,"creditCardDisallowed":false}"#;

    fn restricted(op: Operation) -> Step {
        let mut step = step(op);
        let restrictions: Value = serde_json::from_str(DEBIT).unwrap_or_default();
        step.params.insert("restrictions".to_string(), restrictions);
        step
    }

    fn judged(steps: Vec<Step>, exchanges: Vec<Ex>) -> Vec<Finding> {
        let reports = steps
            .iter()
            .enumerate()
            .map(|(i, s)| report(i, s.op, ok(json!({}))))
            .collect();
        check(&Evidence::of(exchanges).with_steps(steps, reports).get())
    }

    fn initiate(seq: u64, restrictions: Value) -> Ex {
        call(seq, Endpoint::InitiatePayment)
            .key("key-1")
            .body(json!({ "posId": "pos-1", "amount": 10.0, "restrictions": restrictions }))
    }

    fn ready(seq: u64, restrictions: Value) -> Ex {
        call(seq, Endpoint::PaymentReady)
            .id("pay-1")
            .body(json!({ "amount": 10.0, "restrictions": restrictions }))
    }

    fn prepare(seq: u64, body: Value) -> Ex {
        call(seq, Endpoint::PreparePayment).key("key-1").body(body)
    }

    #[test]
    fn restrictions_sent_on_every_attempt_are_clean() {
        let debit = json!({ "debitCardDisallowed": true });
        let pay = judged(
            vec![restricted(Operation::Pay)],
            vec![
                initiate(1, debit.clone()).err500(),
                initiate(2, debit.clone()),
            ],
        );
        assert_eq!(pay, Vec::new());
        let prepared = judged(
            vec![step(Operation::Prepare), restricted(Operation::Ready)],
            vec![
                prepare(
                    1,
                    json!({ "posId": "pos-1", "orderId": "o-1", "restrictions": null }),
                ),
                ready(2, debit.clone()).step(1).hold200().hung_up(),
                ready(3, debit).step(1),
            ],
        );
        assert_eq!(prepared, Vec::new());
    }

    #[test]
    fn an_attempt_without_the_restrictions_is_flagged() {
        let debit = json!({ "debitCardDisallowed": true, "creditCardDisallowed": false });
        let findings = judged(
            vec![restricted(Operation::Pay)],
            vec![initiate(1, debit).err500(), initiate(2, Value::Null)],
        );
        assert_eq!(rules_of(&findings), vec![RESTRICTIONS_SENT]);
        assert_eq!((findings[0].exchange, findings[0].step), (Some(2), Some(0)));
        assert!(
            findings[0].message.contains("carried restrictions none")
                && findings[0].message.contains("debitCardDisallowed true"),
            "unexpected message: {}",
            findings[0].message
        );
        let other = judged(
            vec![step(Operation::Prepare), restricted(Operation::Ready)],
            vec![ready(1, json!({ "creditCardDisallowed": true })).step(1)],
        );
        assert_eq!(rules_of(&other), vec![RESTRICTIONS_SENT]);
    }

    #[test]
    fn restrictions_on_a_prepare_or_on_an_initiate_for_a_ready_step_are_flagged() {
        let debit = json!({ "debitCardDisallowed": true });
        let findings = judged(
            vec![step(Operation::Prepare), restricted(Operation::Ready)],
            vec![
                prepare(
                    1,
                    json!({ "posId": "pos-1", "restrictions": debit.clone() }),
                ),
                initiate(2, debit.clone()).step(1),
                ready(3, debit).step(1),
            ],
        );
        assert_eq!(
            rules_of(&findings),
            vec![RESTRICTIONS_SENT, RESTRICTIONS_SENT]
        );
        assert!(findings[0].message.contains("a prepare cannot"));
        assert!(findings[1].message.contains("belong in the ready body"));
    }

    #[test]
    fn steps_without_restrictions_are_not_judged() {
        let findings = judged(
            vec![step(Operation::Pay)],
            vec![initiate(1, json!({ "creditCardDisallowed": true }))],
        );
        assert_eq!(findings, Vec::new());
    }
}
