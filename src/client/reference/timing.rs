//! The reference client's own clock and retry rules: per-call timeouts (B1), how many attempts a
//! logical request gets and the pause before each retry (B2), the fallback poll delay and the
//! token refresh margin, all multiplied by the session's time scale, with a real-time floor under
//! every timeout so a compressed run stays meaningful on a busy machine. The documented style
//! uses the documented 2 s / 0.5 s timeouts and three attempts 200 ms apart; the 2020-certified
//! style 5 s on every call and five attempts with a linear 1, 2, 3, 4 s backoff. What the service
//! states is not scaled again here: `pollDelayInMs` and `expires_in` already are the real delay
//! and lifetime the client will experience.

use std::time::Duration;

use super::conduct::{Conduct, Misbehaviour, Style};
use crate::pos::constants::{
    MAX_RETRIES, MIN_CLIENT_TIMEOUT_REAL_MS, READ_TIMEOUT_MS, SUGGESTED_RETRIES,
    TOKEN_LIFETIME_SECS, WRITE_TIMEOUT_MS,
};

/// The shortest timeout the client ever uses, in real milliseconds: at small time scales a scaled
/// timeout would shrink below what a busy machine's scheduler can honour, and scheduling jitter
/// must not look like a network fault.
pub const MIN_TIMEOUT_REAL_MS: f64 = MIN_CLIENT_TIMEOUT_REAL_MS;
/// The constant delay between two attempts of one logical request, before scaling (B2).
const RETRY_DELAY_MS: f64 = 200.0;
/// The timeout of every call of the 2020-certified client, before scaling.
const CERTIFIED_TIMEOUT_MS: f64 = 5000.0;
/// The 2020-certified client's backoff step: it waits n times this before its n-th retry.
const CERTIFIED_BACKOFF_STEP_MS: f64 = 1000.0;
/// Attempts per logical request of the 2020-certified client.
const CERTIFIED_ATTEMPTS: u32 = 5;
/// The poll delay assumed before the service has named one, before scaling (B9).
const DEFAULT_POLL_DELAY_MS: f64 = 1000.0;
/// How long before its expiry a token is replaced, before scaling.
const TOKEN_REFRESH_MARGIN_MS: f64 = 60_000.0;
/// How long POST/DELETE calls may take when the client deliberately waits out held answers.
const HELD_REQUEST_PATIENCE: Duration = Duration::from_secs(60);

/// The time rules of one client.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    scale: f64,
    style: Style,
    wait_out_held_requests: bool,
    too_many_retries: bool,
}

impl Timing {
    /// Timing for `scale` and the client's conduct.
    pub(super) fn new(scale: f64, conduct: &Conduct) -> Self {
        Timing {
            scale,
            style: conduct.style,
            wait_out_held_requests: conduct.has(Misbehaviour::WaitOutHeldRequests),
            too_many_retries: conduct.has(Misbehaviour::TooManyRetries),
        }
    }

    /// `ms` scaled, without a floor.
    fn scaled(self, ms: f64) -> Duration {
        Duration::from_secs_f64((ms * self.scale / 1000.0).max(0.0))
    }

    /// `ms` scaled, but never below [`MIN_TIMEOUT_REAL_MS`].
    fn timeout(self, ms: f64) -> Duration {
        Duration::from_secs_f64((ms * self.scale).max(MIN_TIMEOUT_REAL_MS) / 1000.0)
    }

    /// The timeout of one attempt with `method` (B1): reads 0.5 s, writes 2 s (5 s for both in
    /// the 2020-certified style).
    pub(super) fn timeout_for(self, method: &reqwest::Method) -> Duration {
        if *method != reqwest::Method::GET && self.wait_out_held_requests {
            HELD_REQUEST_PATIENCE
        } else if self.style == Style::Certified2020 {
            self.timeout(CERTIFIED_TIMEOUT_MS)
        } else if *method == reqwest::Method::GET {
            self.timeout(READ_TIMEOUT_MS as f64)
        } else {
            self.timeout(WRITE_TIMEOUT_MS as f64)
        }
    }

    /// Attempts per logical request: the first and its retries (B2); one retry too many when
    /// the client deliberately ignores the limit.
    pub(super) fn attempts(self) -> u32 {
        if self.too_many_retries {
            MAX_RETRIES + 2
        } else if self.style == Style::Certified2020 {
            CERTIFIED_ATTEMPTS
        } else {
            1 + SUGGESTED_RETRIES
        }
    }

    /// The pause after failed attempt number `attempt` (from 1) before the next one.
    pub(super) fn retry_delay(self, attempt: u32) -> Duration {
        match self.style {
            Style::Documented => self.scaled(RETRY_DELAY_MS),
            Style::Certified2020 => self.scaled(CERTIFIED_BACKOFF_STEP_MS * f64::from(attempt)),
        }
    }

    /// The poll delay to honour before the service has named one.
    pub(super) fn default_poll_delay(self) -> Duration {
        self.scaled(DEFAULT_POLL_DELAY_MS)
    }

    /// How long a token announced with `expires_in` seconds may be used before it is replaced:
    /// `expires_in` is real seconds as the service states it, less the (scaled) refresh margin.
    pub(super) fn token_usable_for(self, expires_in_secs: f64) -> Duration {
        let margin = self.scaled(TOKEN_REFRESH_MARGIN_MS);
        Duration::from_secs_f64(expires_in_secs.max(0.0)).saturating_sub(margin)
    }

    /// The lifetime, in real seconds, to assume for a token announced without `expires_in`: the
    /// documented one at this scale.
    pub(super) fn default_token_lifetime_secs(self) -> f64 {
        TOKEN_LIFETIME_SECS as f64 * self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_scale_with_a_real_time_floor() {
        let timing = Timing::new(0.5, &Conduct::default());
        assert_eq!(
            timing.timeout_for(&reqwest::Method::GET),
            Duration::from_millis(250)
        );
        assert_eq!(
            timing.timeout_for(&reqwest::Method::POST),
            Duration::from_secs(1)
        );
        let tiny = Timing::new(0.001, &Conduct::default());
        assert_eq!(
            tiny.timeout_for(&reqwest::Method::GET),
            Duration::from_millis(100)
        );
        assert_eq!(
            tiny.timeout_for(&reqwest::Method::DELETE),
            Duration::from_millis(100)
        );
        assert_eq!(tiny.retry_delay(2), Duration::from_secs_f64(0.0002));
        assert_eq!(tiny.attempts(), 3);
    }

    #[test]
    fn tokens_are_replaced_a_scaled_minute_before_the_announced_expiry() {
        let timing = Timing::new(0.05, &Conduct::default());
        assert_eq!(timing.token_usable_for(185.0), Duration::from_secs(182));
        assert_eq!(timing.token_usable_for(2.0), Duration::ZERO);
        assert_eq!(
            Timing::new(1.0, &Conduct::default()).token_usable_for(3700.0),
            Duration::from_secs(3640)
        );
        let fast = Timing::new(0.01, &Conduct::default());
        assert_eq!(fast.token_usable_for(37.0), Duration::from_millis(36_400));
        assert!((fast.default_token_lifetime_secs() - 37.0).abs() < 1e-9);
    }

    #[test]
    fn waiting_out_held_requests_lifts_only_the_write_timeout() {
        let conduct = Conduct::misbehaving(Misbehaviour::WaitOutHeldRequests);
        let timing = Timing::new(0.05, &conduct);
        assert_eq!(
            timing.timeout_for(&reqwest::Method::POST),
            HELD_REQUEST_PATIENCE
        );
        assert_eq!(
            timing.timeout_for(&reqwest::Method::GET),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn the_certified_style_waits_5_s_and_backs_off_linearly() {
        let timing = Timing::new(0.1, &Conduct::certified_2020());
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            assert_eq!(timing.timeout_for(&method), Duration::from_millis(500));
        }
        assert_eq!(timing.attempts(), 5);
        let delays: Vec<f64> = (1..5)
            .map(|n| (timing.retry_delay(n).as_secs_f64() * 1000.0).round())
            .collect();
        assert_eq!(delays, [100.0, 200.0, 300.0, 400.0]);
        let greedy = Timing::new(1.0, &Conduct::misbehaving(Misbehaviour::TooManyRetries));
        assert_eq!(greedy.attempts(), 7);
    }
}
