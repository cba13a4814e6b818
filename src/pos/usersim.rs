//! MobilePay's sandbox user simulation (domain reference §3.5): the three operations under
//! `/pos/app/usersimulation/` that let an integrator play the customer — check in at a PoS by its
//! beacon, accept the payment issued there, cancel it — with their bodies as the OpenAPI document
//! defines them, and the documented sandbox test users who may play that customer, each with the
//! card it pays with.

use serde::{Deserialize, Serialize};

use super::constants::{TEST_USER_LOYALTY_ID, TEST_USER_RECEIPT_TOKEN};
use super::dto::PaymentRestrictions;

/// The path prefix of the user simulation (outside `/pos/v10`).
pub const USER_SIMULATION_PREFIX: &str = "/pos/app/usersimulation";

/// The header that names the integrator's client on user-simulation calls.
pub const CLIENT_ID_HEADER: &str = "x-ibm-client-id";
/// The header that carries the integrator's client secret on user-simulation calls.
pub const CLIENT_SECRET_HEADER: &str = "x-ibm-client-secret";

/// One user-simulation operation, named after its OpenAPI `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSimulation {
    /// `POST …/checkin`: a test user checks in at the PoS of a beacon.
    Checkin,
    /// `POST …/acceptpayment`: the test user accepts the payment issued to them.
    AcceptPayment,
    /// `POST …/cancelpaymentbyuser`: the customer cancels the payment in the app.
    CancelPayment,
}

impl UserSimulation {
    /// Every operation, in the order of the OpenAPI document.
    pub const ALL: [UserSimulation; 3] = [
        UserSimulation::Checkin,
        UserSimulation::AcceptPayment,
        UserSimulation::CancelPayment,
    ];

    /// The last path segment below [`USER_SIMULATION_PREFIX`].
    pub fn segment(self) -> &'static str {
        match self {
            UserSimulation::Checkin => "checkin",
            UserSimulation::AcceptPayment => "acceptpayment",
            UserSimulation::CancelPayment => "cancelpaymentbyuser",
        }
    }

    /// The full path, e.g. `/pos/app/usersimulation/checkin`.
    pub fn path(self) -> String {
        format!("{USER_SIMULATION_PREFIX}/{}", self.segment())
    }

    /// The OpenAPI `operationId`.
    pub fn operation_id(self) -> &'static str {
        match self {
            UserSimulation::Checkin => "UserSimulationCheckin",
            UserSimulation::AcceptPayment => "UserSimulationAcceptPayment",
            UserSimulation::CancelPayment => "UserSimulationCancelPayment",
        }
    }

    /// The operation whose last path segment is `segment`.
    pub fn from_segment(segment: &str) -> Option<UserSimulation> {
        UserSimulation::ALL
            .into_iter()
            .find(|op| op.segment() == segment)
    }
}

/// `UserCheckInRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserCheckInRequest {
    /// The beacon id of the PoS to check in at.
    pub beacon_id: String,
    /// The test user's phone number.
    pub phone_number: String,
}

/// `AcceptPaymentRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptPaymentRequest {
    /// The beacon id of the PoS whose payment is accepted.
    pub beacon_id: String,
    /// The phone number of the user the payment was issued to.
    pub phone_number: String,
}

/// `CancelPaymentByUserRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelPaymentByUserRequest {
    /// The beacon id of the PoS whose payment is cancelled.
    pub beacon_id: String,
}

/// The kind of card a test user pays with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    /// A credit card.
    Credit,
    /// A debit card.
    Debit,
}

/// A documented sandbox test user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestUser {
    /// The phone number, as the user simulation takes it.
    pub phone_number: &'static str,
    /// The card the user pays with.
    pub card: Card,
    /// Whether the user is enrolled in the merchant's loyalty programme.
    pub has_loyalty: bool,
    /// Whether the user's card allows a partial capture.
    pub partial_capture_possible: bool,
}

const fn user(
    phone_number: &'static str,
    card: Card,
    has_loyalty: bool,
    partial_capture_possible: bool,
) -> TestUser {
    TestUser {
        phone_number,
        card,
        has_loyalty,
        partial_capture_possible,
    }
}

/// The documented test users, Danish then Finnish: 01 credit card, 02 debit card, 03 credit
/// card, 04 credit card and loyalty, 05 credit card with partial capture possible.
pub const TEST_USERS: [TestUser; 10] = [
    user("+4520031801", Card::Credit, false, false),
    user("+4520031802", Card::Debit, false, false),
    user("+4520031803", Card::Credit, false, false),
    user("+4520031804", Card::Credit, true, false),
    user("+4520031805", Card::Credit, false, true),
    user("+358200318001", Card::Credit, false, false),
    user("+358200318002", Card::Debit, false, false),
    user("+358200318003", Card::Credit, false, false),
    user("+358200318004", Card::Credit, true, false),
    user("+358200318005", Card::Credit, false, true),
];

impl TestUser {
    /// The test user with this phone number.
    pub fn find(phone_number: &str) -> Option<&'static TestUser> {
        TEST_USERS.iter().find(|u| u.phone_number == phone_number)
    }

    /// The loyalty ids the user's check-in carries (empty: not enrolled).
    pub fn loyalty_ids(&self) -> Vec<String> {
        if self.has_loyalty {
            vec![TEST_USER_LOYALTY_ID.to_string()]
        } else {
            Vec::new()
        }
    }

    /// The receipt token the user's check-in carries (empty: none).
    pub fn receipt_token(&self) -> String {
        TEST_USER_RECEIPT_TOKEN.to_string()
    }

    /// Whether the user's card may pay under `restrictions`. A refused card leaves the payment
    /// with the user, who may pick another card (domain reference §9.3).
    pub fn may_pay_under(&self, restrictions: Option<&PaymentRestrictions>) -> bool {
        let Some(restrictions) = restrictions else {
            return true;
        };
        let disallowed = match self.card {
            Card::Credit => restrictions.credit_card_disallowed,
            Card::Debit => restrictions.debit_card_disallowed,
        };
        disallowed != Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_operation_ids_follow_the_document() {
        assert_eq!(
            UserSimulation::Checkin.path(),
            "/pos/app/usersimulation/checkin"
        );
        assert_eq!(
            UserSimulation::CancelPayment.path(),
            "/pos/app/usersimulation/cancelpaymentbyuser"
        );
        for op in UserSimulation::ALL {
            assert_eq!(UserSimulation::from_segment(op.segment()), Some(op));
        }
        assert_eq!(UserSimulation::from_segment("acceptPayment"), None);
    }

    #[test]
    fn bodies_refuse_unknown_and_missing_fields() {
        let checkin = r#"{"beaconId":"b","phoneNumber":"+4520031801"}"#;
        assert!(serde_json::from_str::<UserCheckInRequest>(checkin).is_ok());
        assert!(serde_json::from_str::<UserCheckInRequest>(r#"{"beaconId":"b"}"#).is_err());
        assert!(serde_json::from_str::<CancelPaymentByUserRequest>(checkin).is_err());
        assert!(serde_json::from_str::<AcceptPaymentRequest>(checkin).is_ok());
    }

    #[test]
    fn only_documented_test_users_are_known() {
        let loyal = TestUser::find("+4520031804").map(TestUser::loyalty_ids);
        assert_eq!(loyal, Some(vec![TEST_USER_LOYALTY_ID.to_string()]));
        let plain = TestUser::find("+358200318001").map(TestUser::loyalty_ids);
        assert_eq!(plain, Some(Vec::new()));
        assert!(TestUser::find("+4520031806").is_none());
        assert!(TestUser::find("20031801").is_none());
        assert!(TestUser::find("+4520031805").is_some_and(|u| u.partial_capture_possible));
    }

    #[test]
    fn a_disallowed_card_cannot_pay() {
        let debit = TestUser::find("+4520031802").copied();
        let credit = TestUser::find("+4520031801").copied();
        let (Some(debit), Some(credit)) = (debit, credit) else {
            panic!("test users 01 and 02 are documented");
        };
        let no_debit = PaymentRestrictions {
            debit_card_disallowed: Some(true),
            credit_card_disallowed: Some(false),
        };
        assert!(!debit.may_pay_under(Some(&no_debit)));
        assert!(credit.may_pay_under(Some(&no_debit)));
        assert!(debit.may_pay_under(None));
        assert!(debit.may_pay_under(Some(&PaymentRestrictions::default())));
        let no_credit = PaymentRestrictions {
            debit_card_disallowed: None,
            credit_card_disallowed: Some(true),
        };
        assert!(!credit.may_pay_under(Some(&no_credit)));
        assert!(debit.may_pay_under(Some(&no_credit)));
    }
}
