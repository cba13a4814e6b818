//! The catalogue's YAML schema as Rust types: one file per category, each with ordered cases,
//! each case with a backend script and ordered steps. Every struct refuses unknown fields and no
//! enum is untagged, so a typo is an error rather than a silently ignored key. Field meanings are
//! documented for catalogue authors in `cases/README.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::pos::PaymentStatus;

/// One catalogue file: a category header and its ordered cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryFile {
    /// The category this file defines.
    pub category: CategoryHeader,
    /// The category's cases, in the order they run.
    pub cases: Vec<Case>,
}

/// The header of a category file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryHeader {
    /// Kebab-case id, unique in the catalogue (e.g. `payments`).
    pub id: String,
    /// Title as the certification website shows it.
    pub title: String,
    /// One-paragraph summary.
    pub summary: String,
    /// Whether the category always runs (onboarding does: it creates the PoS the others use).
    #[serde(default)]
    pub mandatory: bool,
}

/// One certification case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Kebab-case id, unique in its category; the full id is `category/case`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// One line saying what the case proves.
    pub summary: String,
    /// Whether MobilePay's own material evidences the case or it is inferred.
    pub evidence: Evidence,
    /// The profiles that judge the case (every profile unless listed).
    #[serde(default = "default_profiles")]
    pub profiles: Vec<Profile>,
    /// What the certification backend does during the case.
    #[serde(default)]
    pub backend: BackendScript,
    /// The operations asked of the client under test, in order.
    pub steps: Vec<Step>,
}

/// A certification profile: which cases and rules a run judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// What MobilePay's own certification evidently judged (the default).
    Mobilepay,
    /// The documented best practice as well.
    Strict,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 2] = [Profile::Mobilepay, Profile::Strict];

    /// The profile's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Mobilepay => "mobilepay",
            Profile::Strict => "strict",
        }
    }
}

/// The certification backend's script for one case: the simulated customer, preconditions and
/// injected faults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendScript {
    /// How the simulated customer answers payments started during the case.
    #[serde(default)]
    pub customer: Option<CustomerScript>,
    /// State prepared on the session's PoS before the case starts.
    #[serde(default)]
    pub seed: Option<Seed>,
    /// Faults injected into successive calls of an endpoint.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
}

/// The simulated customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerScript {
    /// The statuses that successive polls of a payment started in this case reach; the last one
    /// repeats. The customer moves the payment through the real state machine, so a client's own
    /// action (a cancel) takes precedence over the script.
    pub payment: Vec<ScriptedStatus>,
    /// Whether a reserved payment allows partial capture.
    #[serde(default)]
    pub partial_capture_possible: bool,
}

/// One entry of a customer script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScriptedStatus {
    /// The poll moves the payment on to this status.
    Reach(PaymentStatus),
    /// The poll answers this status while the payment stays where it is: an unexpected but
    /// valid status, as MobilePay's certification answered `Paired` for an initiated payment
    /// (domain §7 B18). Written `{ shown: Paired }`.
    Shown {
        /// The status the answer shows.
        shown: PaymentStatus,
    },
}

impl From<PaymentStatus> for ScriptedStatus {
    fn from(status: PaymentStatus) -> Self {
        ScriptedStatus::Reach(status)
    }
}

impl std::fmt::Display for ScriptedStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptedStatus::Reach(status) => write!(f, "{status}"),
            ScriptedStatus::Shown { shown } => write!(f, "{shown} (shown only)"),
        }
    }
}

/// A precondition the backend sets up before the case starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// A payment in this (active) state already sits on the session's PoS.
    pub active_payment: PaymentStatus,
}

/// Faults for successive calls of one endpoint; calls after the listed ones are answered normally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The endpoint, written `METHOD /template` as in the OpenAPI document below `/pos/v10`,
    /// e.g. `POST /payments/{paymentid}/cancel`.
    pub on: String,
    /// What the first, second, … matching call gets.
    pub replies: Vec<FaultReply>,
}

/// An injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultReply {
    /// Process the call fully, then hold the 200 longer than any client timeout.
    Hold200,
    /// Change nothing and answer 500 (code `2000`) after a short delay.
    Err500,
}

/// One operation asked of the client under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The driver-protocol operation.
    #[serde(rename = "do")]
    pub op: Operation,
    /// Optional human title (defaults to the operation name).
    #[serde(default)]
    pub title: Option<String>,
    /// Operation parameters; string values may hold `{{name}}` templates.
    #[serde(default, rename = "with")]
    pub params: BTreeMap<String, serde_json::Value>,
    /// What the judge checks after the step.
    #[serde(default)]
    pub expect: Expectations,
    /// Values to remember for later steps: name → `result.<field>` or `params.<field>`.
    #[serde(default)]
    pub save: BTreeMap<String, String>,
}

/// A driver-protocol operation (DESIGN §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // the variants are the protocol's operation names
pub enum Operation {
    CreatePos,
    DeletePos,
    Pay,
    Prepare,
    Ready,
    Capture,
    Cancel,
    Refund,
    CaptureRefund,
    CancelRefund,
}

impl Operation {
    /// The operation's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::CreatePos => "create_pos",
            Operation::DeletePos => "delete_pos",
            Operation::Pay => "pay",
            Operation::Prepare => "prepare",
            Operation::Ready => "ready",
            Operation::Capture => "capture",
            Operation::Cancel => "cancel",
            Operation::Refund => "refund",
            Operation::CaptureRefund => "capture_refund",
            Operation::CancelRefund => "cancel_refund",
        }
    }

    /// The parameters the operation requires.
    pub fn required_params(self) -> &'static [&'static str] {
        match self {
            Operation::CreatePos => &[
                "merchantBrandId",
                "merchantLocationId",
                "merchantPosId",
                "name",
            ],
            Operation::DeletePos => &["posId"],
            Operation::Pay => &["posId", "orderId", "amount", "currencyCode"],
            Operation::Prepare => &["posId", "orderId"],
            Operation::Ready => &["paymentId", "amount", "currencyCode"],
            Operation::Capture => &["paymentId", "amount"],
            Operation::Cancel => &["paymentId"],
            Operation::Refund => &["paymentId", "amount", "currencyCode", "refundOrderId"],
            Operation::CaptureRefund | Operation::CancelRefund => &["refundId"],
        }
    }

    /// The optional parameters the operation accepts.
    pub fn optional_params(self) -> &'static [&'static str] {
        match self {
            Operation::CreatePos => &["beaconId", "supportedBeaconTypes"],
            Operation::Pay => &[
                "restrictions",
                "merchantPaymentLabel",
                "plannedCaptureDelay",
                "waitForCustomer",
            ],
            Operation::Prepare => &["waitForCustomer"],
            Operation::Ready => &[
                "restrictions",
                "merchantPaymentLabel",
                "plannedCaptureDelay",
            ],
            _ => &[],
        }
    }

    /// The result fields the operation may return.
    pub fn result_fields(self) -> &'static [&'static str] {
        match self {
            Operation::CreatePos => &["posId"],
            Operation::DeletePos => &[],
            Operation::Pay => &["paymentId", "status", "partialCapturePossible"],
            Operation::Prepare => &["paymentId", "status"],
            Operation::Ready => &["status", "partialCapturePossible"],
            Operation::Capture | Operation::Cancel => &["status"],
            Operation::Refund => &["refundId", "status"],
            Operation::CaptureRefund | Operation::CancelRefund => &["status"],
        }
    }
}

/// What the judge checks after a step, besides the conduct rules.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Result fields that must equal these values.
    #[serde(default)]
    pub result: BTreeMap<String, serde_json::Value>,
    /// Result fields that must be present (any value).
    #[serde(default)]
    pub present: Vec<String>,
    /// How often each endpoint (`METHOD /template`) is called during the step.
    #[serde(default)]
    pub calls: BTreeMap<String, CallCount>,
    /// The state the seeded payment must be in after the step.
    #[serde(default)]
    pub seeded_payment: Option<PaymentStatus>,
}

/// How often an endpoint must be called during a step: an exact number (`3`), or bounds
/// (`{ at_least: 1 }`, `{ at_most: 4 }`, `{ at_least: 2, at_most: 6 }`) where a correct client
/// may call it a varying number of times (polls, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CallCount {
    /// Exactly this many calls.
    Exactly(u32),
    /// Between the bounds, both inclusive; a missing bound does not limit.
    Bounded {
        /// The fewest calls allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<u32>,
        /// The most calls allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<u32>,
    },
}

impl CallCount {
    /// Whether `actual` calls satisfy the count.
    pub fn admits(self, actual: u32) -> bool {
        match self {
            CallCount::Exactly(n) => actual == n,
            CallCount::Bounded { at_least, at_most } => {
                at_least.is_none_or(|low| actual >= low)
                    && at_most.is_none_or(|high| actual <= high)
            }
        }
    }

    /// Why the count cannot be met by any client, if it cannot.
    pub fn problem(self) -> Option<&'static str> {
        match self {
            CallCount::Exactly(_) => None,
            CallCount::Bounded {
                at_least: None,
                at_most: None,
            } => Some("give `at_least`, `at_most` or both"),
            CallCount::Bounded {
                at_least: Some(low),
                at_most: Some(high),
            } if low > high => Some("`at_least` is larger than `at_most`"),
            CallCount::Bounded { .. } => None,
        }
    }
}

impl std::fmt::Display for CallCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            CallCount::Exactly(n) => write!(f, "{n}"),
            CallCount::Bounded {
                at_least: Some(low),
                at_most: Some(high),
            } => write!(f, "{low} to {high}"),
            CallCount::Bounded {
                at_least: Some(low),
                at_most: None,
            } => write!(f, "at least {low}"),
            CallCount::Bounded {
                at_least: None,
                at_most: Some(high),
            } => write!(f, "at most {high}"),
            CallCount::Bounded {
                at_least: None,
                at_most: None,
            } => write!(f, "any number of"),
        }
    }
}

impl Case {
    /// Whether a run in `profile` judges the case.
    pub fn in_profile(&self, profile: Profile) -> bool {
        self.profiles.contains(&profile)
    }
}

fn default_profiles() -> Vec<Profile> {
    Profile::ALL.to_vec()
}

/// Where a case comes from (DOMAIN §9: "E" or "(I)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// MobilePay's own material (screenshots, documentation, a certified client's tests) shows it.
    Evidenced,
    /// Reconstructed from the API's documented behaviour; no public source shows MobilePay judged it.
    Inferred,
}

impl Evidence {
    /// The evidence's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Evidenced => "evidenced",
            Evidence::Inferred => "inferred",
        }
    }
}

impl FaultReply {
    /// The reply's name in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultReply::Hold200 => "hold200",
            FaultReply::Err500 => "err500",
        }
    }
}
