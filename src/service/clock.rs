//! The service's clock: real elapsed time since a session started, and the time scale that
//! compresses every mandated delay (poll delays, held answers, error delays, token and
//! reservation lifetimes) so a certification can run in seconds. Virtual time is real time
//! divided by the scale, counted from the wall-clock moment the clock started, so virtual
//! instant `t` is the date `started_at + t`. One rule governs every time the service *states*
//! (`pollDelayInMs`, `expires_in`, `paymentExpiresAt`): it is what the client will experience in
//! real time at the current scale — a virtual duration is stated times the scale, and a virtual
//! instant as the wall-clock moment it will really arrive. The poll delays themselves are drawn
//! by the session's pacer (`pacing`), which scales them with this clock.

use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::pos::constants;

/// A clock with a time scale.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    started_at: OffsetDateTime,
    scale: f64,
}

impl Clock {
    /// A clock starting now; `scale` 1 is faithful real time, 0.01 runs a hundred times faster.
    pub fn new(scale: f64) -> Self {
        Clock {
            start: Instant::now(),
            started_at: OffsetDateTime::now_utc(),
            scale,
        }
    }

    /// The time scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Real milliseconds since the clock started.
    pub fn elapsed_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    /// Virtual milliseconds since the clock started (what the API's expiry rules see).
    pub fn virtual_ms(&self) -> f64 {
        self.elapsed_ms() / self.scale
    }

    /// A mandated duration in virtual milliseconds, as real time.
    pub fn scaled(&self, virtual_ms: u64) -> Duration {
        Duration::from_secs_f64(virtual_ms as f64 * self.scale / 1000.0)
    }

    /// A virtual duration in whole seconds as the service states it: the real seconds the client
    /// will experience, rounded up and at least 1, so what is stated never outlives what is
    /// meant by more than the rounding, and never reads 0.
    pub fn stated_secs(&self, virtual_secs: u64) -> u64 {
        let real = virtual_secs as f64 * self.scale;
        // Trim float noise first so that, say, 3700 × 0.01 states 37 rather than 38.
        let trimmed = (real * 1e6).round() / 1e6;
        (trimmed.ceil() as u64).max(1)
    }

    /// The virtual milliseconds a real duration of `real_secs` spans at this scale.
    pub fn virtual_ms_of_real_secs(&self, real_secs: u64) -> f64 {
        real_secs as f64 * 1000.0 / self.scale
    }

    /// The wall-clock moment virtual instant `virtual_ms` will really arrive, as the service
    /// states instants; `None` only if it lies outside the representable dates.
    pub fn stated_instant(&self, virtual_ms: f64) -> Option<OffsetDateTime> {
        let real = time::Duration::checked_seconds_f64(virtual_ms * self.scale / 1000.0)?;
        self.started_at.checked_add(real)
    }

    /// This clock as if it had started `virtual_ms` of virtual time earlier: that much time has
    /// passed for its session at once, without anyone waiting for it, and its virtual now still
    /// states as the wall-clock now (so a stated expiry comes that much sooner). Tests only, so no
    /// production path can move time; `None` if the monotonic clock or the calendar cannot reach
    /// back that far.
    #[cfg(test)]
    pub(crate) fn advanced(self, virtual_ms: f64) -> Option<Clock> {
        let real = Duration::try_from_secs_f64(virtual_ms * self.scale / 1000.0).ok()?;
        Some(Clock {
            start: self.start.checked_sub(real)?,
            started_at: self
                .started_at
                .checked_sub(time::Duration::try_from(real).ok()?)?,
            scale: self.scale,
        })
    }

    /// How long a `hold200` fault holds its answer, in real time.
    pub fn hold(&self) -> Duration {
        let real_ms = (constants::HOLD_MS as f64 * self.scale).max(constants::MIN_HOLD_REAL_MS);
        Duration::from_secs_f64(real_ms / 1000.0)
    }

    /// How long an `err500` fault waits before answering, in real time.
    pub fn err500_delay(&self) -> Duration {
        self.scaled(constants::ERR500_DELAY_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_scale_together() {
        let fast = Clock::new(0.01);
        assert_eq!(fast.err500_delay(), Duration::from_millis(3));
        assert_eq!(fast.hold(), Duration::from_millis(400));
        let real = Clock::new(1.0);
        assert_eq!(real.err500_delay(), Duration::from_millis(300));
        assert_eq!(real.hold(), Duration::from_secs(10));
    }

    #[test]
    fn holds_never_shrink_below_the_floor() {
        let fastest = Clock::new(0.001);
        assert_eq!(fastest.hold(), Duration::from_millis(400));
    }

    #[test]
    fn stated_durations_are_what_the_client_experiences() {
        let lifetime = constants::TOKEN_LIFETIME_SECS;
        assert_eq!(Clock::new(1.0).stated_secs(lifetime), 3700);
        assert_eq!(Clock::new(0.01).stated_secs(lifetime), 37);
        assert_eq!(Clock::new(0.05).stated_secs(lifetime), 185);
        assert_eq!(
            Clock::new(0.001).stated_secs(lifetime),
            4,
            "3.7 s rounds up"
        );
        assert_eq!(Clock::new(0.000_001).stated_secs(lifetime), 1, "never 0");
        let clock = Clock::new(0.01);
        assert_eq!(clock.virtual_ms_of_real_secs(37), 3_700_000.0);
    }

    #[test]
    fn an_advanced_clock_is_later_by_the_advance() -> Result<(), String> {
        let clock = Clock::new(0.01);
        let day_ms = 24.0 * 3600.0 * 1000.0;
        let later = clock.advanced(day_ms).ok_or("cannot reach back a day")?;
        let gap = later.virtual_ms() - clock.virtual_ms();
        // Real time goes on between the two readings (at this scale 1 ms of it is 100 virtual),
        // and the advance is made in whole nanoseconds of real time.
        assert!((day_ms - 1.0..day_ms + 100_000.0).contains(&gap), "{gap}");
        assert_eq!(later.stated_instant(day_ms), clock.stated_instant(0.0));
        assert_eq!(later.scale(), clock.scale());
        assert!(clock.advanced(f64::NAN).is_none());
        assert!(clock.advanced(-1.0).is_none());
        Ok(())
    }

    #[test]
    fn stated_instants_are_anchored_to_the_wall_clock_at_start() {
        let clock = Clock::new(0.01);
        let seven_days_ms = constants::RESERVATION_LIFETIME_SECS as f64 * 1000.0;
        let stated = clock.stated_instant(seven_days_ms);
        // Seven virtual days arrive 7 × 24 × 36 s = 6048 s of real time after the start.
        assert_eq!(
            stated.map(|at| at - clock.started_at),
            Some(time::Duration::seconds(6048))
        );
        assert_eq!(clock.stated_instant(0.0), Some(clock.started_at));
        assert_eq!(clock.stated_instant(f64::MAX), None);
    }
}
