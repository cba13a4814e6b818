//! Whether a case can run on a remote PoS target (`--target pos:URL`, `--target sandbox`). A
//! remote target is someone else's PoS API: nobody there plays the scripted customer, injects
//! the case's faults or seeds its preconditions, and the judge cannot read the target's state to
//! check a capture against it. So a case can run remotely exactly when it needs none of that —
//! derived from its backend script and steps rather than declared, so it can never disagree with
//! what the case does.

use super::model::{Case, Operation};

/// Something a case needs of the certification backend that a remote target cannot provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BackendNeed {
    /// The simulated customer (`backend.customer`).
    Customer,
    /// Injected faults (`backend.faults`).
    Faults,
    /// A seeded precondition (`backend.seed`).
    Seed,
    /// The backend's own state, which a capture is checked against (`capture-amount-served`).
    CaptureState,
}

impl BackendNeed {
    /// What the need is, as a reason names it.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendNeed::Customer => "scripted customer",
            BackendNeed::Faults => "injected faults",
            BackendNeed::Seed => "seeded payment",
            BackendNeed::CaptureState => "own state to check a capture against",
        }
    }
}

impl Case {
    /// What the case needs of the certification backend that a remote target cannot provide;
    /// empty when it can run remotely.
    pub fn backend_needs(&self) -> Vec<BackendNeed> {
        let backend = &self.backend;
        let needs = [
            (backend.customer.is_some(), BackendNeed::Customer),
            (!backend.faults.is_empty(), BackendNeed::Faults),
            (backend.seed.is_some(), BackendNeed::Seed),
            (
                self.steps.iter().any(|s| s.op == Operation::Capture),
                BackendNeed::CaptureState,
            ),
        ];
        needs
            .into_iter()
            .filter_map(|(needed, need)| needed.then_some(need))
            .collect()
    }

    /// Why the case does not run on a remote target, or `None` when it can.
    pub fn remote_skip_reason(&self) -> Option<String> {
        let needs = self.backend_needs();
        let names: Vec<&str> = needs.iter().map(|n| n.as_str()).collect();
        let listed = match names.as_slice() {
            [] => return None,
            [one] => (*one).to_string(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        Some(format!(
            "not run: needs the certification backend's {listed}, which a remote target cannot provide"
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::catalogue::builtin;

    fn case(id: &str) -> crate::catalogue::Case {
        let catalogue = builtin::load().unwrap_or_else(|e| panic!("{e}"));
        let (category, case) = id.split_once('/').unwrap_or_default();
        let found = catalogue.category(category).and_then(|c| c.case(case));
        found
            .map(|c| c.case.clone())
            .unwrap_or_else(|| panic!("no case {id}"))
    }

    #[test]
    fn a_case_without_customer_faults_seed_or_capture_runs_remotely() {
        assert_eq!(
            case("onboarding/onboard-pos-final").remote_skip_reason(),
            None
        );
    }

    #[test]
    fn the_reason_names_everything_the_case_needs_of_the_backend() {
        assert_eq!(
            case("onboarding/onboard-pos")
                .remote_skip_reason()
                .as_deref(),
            Some(
                "not run: needs the certification backend's injected faults, which a remote target cannot provide"
            )
        );
        assert_eq!(
            case("payments/payment-complete")
                .remote_skip_reason()
                .as_deref(),
            Some(
                "not run: needs the certification backend's scripted customer, injected faults and own state to check a capture against, which a remote target cannot provide"
            )
        );
    }
}
