//! How the reference client behaves: its [`Style`] (the documented best practice, or the habits
//! of the client MobilePay certified in 2020) and a set of deliberate [`Misbehaviour`]s, each
//! what a real buggy till does, so tests can prove the judge catches every rule of domain §7.
//! The correct client is `Conduct::default()`: documented style, no misbehaviour.

use crate::pos::PaymentStatus;

/// One deliberate misbehaviour, each breaking one rule of domain §7 the way a real till would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Misbehaviour {
    /// A retry gets a new idempotency key (B3).
    FreshKeyOnRetry,
    /// A retry of a create stamps the attempt number into its order reference, so the body
    /// differs from the attempt it repeats (B3, B5).
    ChangedBodyOnRetry,
    /// Keeps retrying a 5xx or a timeout past the five allowed retries (B2).
    TooManyRetries,
    /// No timeout on POST/DELETE: waits for a held answer (B1).
    WaitOutHeldRequests,
    /// Polls again immediately, ignoring `pollDelayInMs` (B9).
    IgnorePollDelay,
    /// Never reads `pollDelayInMs`: polls at the fixed, scaled 1 s default interval (B9).
    FixedPollInterval,
    /// Never sends `X-MobilePay-Client-System-Version` (B15).
    OmitVersionHeader,
    /// Sends the merchant VAT neither as a header nor as a token claim (B16).
    OmitMerchantVat,
    /// Never sends `x-ibm-client-id` (B16).
    OmitClientId,
    /// On 409 `1301` gives up instead of cleaning up the PoS (B7).
    SkipConflictCleanup,
    /// Repeats a request answered 4xx as it was: after 409 `1301` it sends the same initiate
    /// again, twice, without cleaning up (B6).
    RetryRefusedRequest,
    /// When every attempt of a create went unanswered, gives up instead of looking the id up
    /// (B8).
    LostIdNotLookedUp,
    /// Polls a payment once more after seeing it in a terminal state (B10).
    ActAfterTerminal,
    /// Captures the amount as soon as the initiated payment is created, before it is Reserved,
    /// and carries on polling (B11).
    CaptureBeforeReserved,
    /// Captures the whole reserved amount, whatever amount the cashier asked to capture (B11).
    CaptureWrongAmount,
    /// Captures less than reserved even when partial capture is not possible, instead of
    /// cancelling (B11, §6.4).
    PartialCaptureWhenNotPossible,
    /// `capture_refund` never sends the capture: it reads the refund and leaves it Reserved
    /// (B14).
    RefundNeverCaptured,
    /// Treats any status other than Initiated or IssuedToUser as final while polling a
    /// payment, so an unexpected `Paired` ends a `pay` (B18).
    StopOnUnexpectedStatus,
    /// Drops `restrictions` from initiate and ready (restrictions rule).
    DropRestrictions,
    /// Sends the till's configured restrictions (debit cards disallowed) with every prepare call
    /// and none with the ready (restrictions rule).
    RestrictionsOnPrepare,
    /// `prepare` returns after its first poll without waiting for the customer to pair, so the
    /// ready follows at once (prepared flow).
    ReadyBeforePaired,
}

impl Misbehaviour {
    /// Every misbehaviour, in declaration order.
    pub const ALL: [Misbehaviour; 21] = [
        Misbehaviour::FreshKeyOnRetry,
        Misbehaviour::ChangedBodyOnRetry,
        Misbehaviour::TooManyRetries,
        Misbehaviour::WaitOutHeldRequests,
        Misbehaviour::IgnorePollDelay,
        Misbehaviour::FixedPollInterval,
        Misbehaviour::OmitVersionHeader,
        Misbehaviour::OmitMerchantVat,
        Misbehaviour::OmitClientId,
        Misbehaviour::SkipConflictCleanup,
        Misbehaviour::RetryRefusedRequest,
        Misbehaviour::LostIdNotLookedUp,
        Misbehaviour::ActAfterTerminal,
        Misbehaviour::CaptureBeforeReserved,
        Misbehaviour::CaptureWrongAmount,
        Misbehaviour::PartialCaptureWhenNotPossible,
        Misbehaviour::RefundNeverCaptured,
        Misbehaviour::StopOnUnexpectedStatus,
        Misbehaviour::DropRestrictions,
        Misbehaviour::RestrictionsOnPrepare,
        Misbehaviour::ReadyBeforePaired,
    ];

    /// A stable kebab-case name, as reports and test names show it.
    pub fn name(self) -> &'static str {
        self.facts().0
    }

    /// One line on what the client does wrong.
    pub fn description(self) -> &'static str {
        self.facts().1
    }

    /// The id of the judge rule meant to catch it.
    pub fn rule(self) -> &'static str {
        self.facts().2
    }

    /// Name, description and catching rule.
    fn facts(self) -> (&'static str, &'static str, &'static str) {
        use Misbehaviour as M;
        match self {
            M::FreshKeyOnRetry => (
                "fresh-key-on-retry",
                "a retry gets a new idempotency key",
                "idempotency-key-reused-on-retry",
            ),
            M::ChangedBodyOnRetry => (
                "changed-body-on-retry",
                "a retry of a create carries a different order reference",
                "retry-body-identical",
            ),
            M::TooManyRetries => (
                "too-many-retries",
                "retries a 5xx or timeout more than five times",
                "retry-limit",
            ),
            M::WaitOutHeldRequests => (
                "wait-out-held-requests",
                "no timeout on writes: waits for a held answer",
                "held-answer-abandoned",
            ),
            M::IgnorePollDelay => (
                "ignore-poll-delay",
                "polls again at once, ignoring pollDelayInMs",
                "poll-delay-respected",
            ),
            M::FixedPollInterval => (
                "fixed-poll-interval",
                "polls every second, never reading pollDelayInMs",
                "poll-delay-respected",
            ),
            M::OmitVersionHeader => (
                "omit-version-header",
                "never sends X-MobilePay-Client-System-Version",
                "version-header",
            ),
            M::OmitMerchantVat => (
                "omit-merchant-vat",
                "sends the merchant VAT neither as a header nor as a token claim",
                "merchant-vat-sent",
            ),
            M::OmitClientId => (
                "omit-client-id",
                "never sends x-ibm-client-id",
                "client-id-header",
            ),
            M::SkipConflictCleanup => (
                "skip-conflict-cleanup",
                "gives up on 409 1301 instead of cleaning up the PoS",
                "active-payment-cleaned-up",
            ),
            M::RetryRefusedRequest => (
                "retry-refused-request",
                "repeats an initiate answered 409 1301 as it was, without cleaning up",
                "no-blind-4xx-retry",
            ),
            M::LostIdNotLookedUp => (
                "lost-id-not-looked-up",
                "gives up on an unanswered create instead of looking the id up",
                "lost-id-recovered",
            ),
            M::ActAfterTerminal => (
                "act-after-terminal",
                "polls a payment once more after it was seen terminal",
                "no-action-after-terminal-state",
            ),
            M::CaptureBeforeReserved => (
                "capture-before-reserved",
                "captures as soon as the payment is created, before it is Reserved",
                "capture-when-reserved",
            ),
            M::CaptureWrongAmount => (
                "capture-wrong-amount",
                "captures the whole reserved amount instead of the amount asked",
                "capture-amount-served",
            ),
            M::PartialCaptureWhenNotPossible => (
                "partial-capture-when-not-possible",
                "captures less than reserved although partial capture is not possible",
                "capture-amount-allowed",
            ),
            M::RefundNeverCaptured => (
                "refund-never-captured",
                "never captures a refund, leaving it Reserved",
                "refund-followed-up",
            ),
            M::StopOnUnexpectedStatus => (
                "stop-on-unexpected-status",
                "stops polling a payment at an unexpected active status such as Paired",
                "step-result",
            ),
            M::DropRestrictions => (
                "drop-restrictions",
                "leaves restrictions off initiate and ready",
                "restrictions-sent",
            ),
            M::RestrictionsOnPrepare => (
                "restrictions-on-prepare",
                "sends its configured restrictions with prepare and none with ready",
                "restrictions-sent",
            ),
            M::ReadyBeforePaired => (
                "ready-before-paired",
                "readies a prepared payment without waiting for the customer to pair",
                "ready-after-paired",
            ),
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// The client's habits where the rules leave room: the documented best practice, or what the
/// client MobilePay certified in 2020 did (domain §7, §9.0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Style {
    /// 2 s write and 0.5 s read timeouts, three attempts 200 ms apart, GUID idempotency keys, the
    /// VAT header, and reading each payment listed after 409 `1301` before cancelling it.
    #[default]
    Documented,
    /// 5 s timeouts on every call, up to five attempts with a linear 1, 2, 3, 4 s backoff,
    /// numeric idempotency keys, VAT only in the token claim, and cancelling every payment listed
    /// after 409 `1301` without reading it.
    Certified2020,
}

/// How the reference client behaves: all correct by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conduct {
    /// The client's habits.
    pub style: Style,
    /// `pay` reports this status without ever polling the payment it created (a lazy client
    /// whose word the judge must not take).
    pub report_without_polling: Option<PaymentStatus>,
    /// The deliberate misbehaviours shown.
    pub misbehaviours: MisbehaviourSet,
}

/// A set of misbehaviours (empty by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MisbehaviourSet(u32);

impl MisbehaviourSet {
    /// Whether `misbehaviour` is in the set.
    pub fn contains(self, misbehaviour: Misbehaviour) -> bool {
        self.0 & misbehaviour.bit() != 0
    }

    /// Adds `misbehaviour`.
    pub fn insert(&mut self, misbehaviour: Misbehaviour) {
        self.0 |= misbehaviour.bit();
    }
}

impl Conduct {
    /// The correct client with one misbehaviour.
    pub fn misbehaving(misbehaviour: Misbehaviour) -> Self {
        Conduct::default().with(misbehaviour)
    }

    /// A client behaving like the one MobilePay certified in 2020 (see [`Style::Certified2020`]).
    pub fn certified_2020() -> Self {
        Conduct {
            style: Style::Certified2020,
            ..Conduct::default()
        }
    }

    /// This conduct with `misbehaviour` added.
    pub fn with(mut self, misbehaviour: Misbehaviour) -> Self {
        self.misbehaviours.insert(misbehaviour);
        self
    }

    /// Whether the client shows `misbehaviour`.
    pub fn has(&self, misbehaviour: Misbehaviour) -> bool {
        self.misbehaviours.contains(misbehaviour)
    }

    /// The misbehaviours shown, in declaration order.
    pub fn misbehaviours(&self) -> Vec<Misbehaviour> {
        Misbehaviour::ALL
            .into_iter()
            .filter(|m| self.has(*m))
            .collect()
    }

    /// How reports name the conduct: empty for the correct client, else its style and
    /// misbehaviours.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.style == Style::Certified2020 {
            parts.push("certified-2020 style".to_string());
        }
        let names: Vec<&str> = self.misbehaviours().iter().map(|m| m.name()).collect();
        if !names.is_empty() {
            parts.push(format!("misbehaving: {}", names.join(", ")));
        }
        if let Some(status) = self.report_without_polling {
            parts.push(format!("reports {status} without polling"));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_misbehaviour_is_listed_once_with_distinct_names() {
        let mut names: Vec<&str> = Misbehaviour::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Misbehaviour::ALL.len());
        for (index, m) in Misbehaviour::ALL.iter().enumerate() {
            assert_eq!(*m as usize, index, "{} is out of order", m.name());
            assert!(!m.description().is_empty() && !m.rule().is_empty());
        }
    }

    #[test]
    fn a_conduct_holds_a_set_and_describes_itself() {
        assert_eq!(Conduct::default().describe(), "");
        let conduct = Conduct::misbehaving(Misbehaviour::OmitClientId)
            .with(Misbehaviour::FreshKeyOnRetry)
            .with(Misbehaviour::OmitClientId);
        assert!(conduct.has(Misbehaviour::OmitClientId));
        assert!(!conduct.has(Misbehaviour::TooManyRetries));
        assert_eq!(
            conduct.misbehaviours(),
            [Misbehaviour::FreshKeyOnRetry, Misbehaviour::OmitClientId]
        );
        assert_eq!(
            conduct.describe(),
            "misbehaving: fresh-key-on-retry, omit-client-id"
        );
        assert_eq!(Conduct::certified_2020().describe(), "certified-2020 style");
    }
}
