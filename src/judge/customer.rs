//! The customer of a certification case is the certification's own: the backend scripts what
//! the customer does in the app. The sandbox's user simulation (`/pos/app/usersimulation/…`) lets
//! an integrator play a customer while developing, but a client that calls it during a case plays
//! its own customer — accepting its own payments — so no verdict could say what the client did
//! with a real one.

use crate::exchange::Exchange;
use crate::pos::usersim::USER_SIMULATION_PREFIX;
use crate::report::Finding;

use super::finding;

/// Rule id: the client does not act as the customer through the user simulation.
pub const CUSTOMER_NOT_SIMULATED: &str = "customer-not-simulated";

/// One finding per user-simulation call made during the case.
pub fn check(exchanges: &[Exchange]) -> Vec<Finding> {
    exchanges
        .iter()
        .filter(|e| e.path.starts_with(&format!("{USER_SIMULATION_PREFIX}/")))
        .map(|e| {
            finding(
                CUSTOMER_NOT_SIMULATED,
                Some(e),
                format!(
                    "the client called the user simulation ({} {}) during the case: the \
                     certification scripts the customer, a client under test must not act as one",
                    e.method, e.path
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::fixtures::{build, call, off_api, rules_of};
    use crate::pos::Endpoint;

    #[test]
    fn a_user_simulation_call_during_a_case_is_a_finding() {
        let exchanges = build(vec![
            call(1, Endpoint::InitiatePayment),
            off_api(2, "POST", "/pos/app/usersimulation/acceptpayment"),
        ]);
        let findings = check(&exchanges);
        assert_eq!(rules_of(&findings), vec![CUSTOMER_NOT_SIMULATED]);
        assert_eq!(findings[0].exchange, Some(2));
        assert!(
            findings[0].message.contains("acceptpayment"),
            "{findings:?}"
        );
    }

    #[test]
    fn pos_calls_alone_are_clean() {
        let exchanges = build(vec![
            call(1, Endpoint::InitiatePayment),
            call(2, Endpoint::QueryPayment).id("p"),
            off_api(3, "POST", "/pos/app/usersimulationist"),
        ]);
        assert_eq!(check(&exchanges), Vec::new());
    }
}
