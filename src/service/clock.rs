//! The service's clock: real elapsed time since a session started, and the time scale that
//! compresses every mandated delay (poll delays, held answers, error delays) so a certification
//! can run in seconds. Virtual time is real time divided by the scale. The poll delays themselves
//! are drawn by the session's pacer (`pacing`), which scales them with this clock.

use std::time::{Duration, Instant};

use crate::pos::constants;

/// A clock with a time scale.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    scale: f64,
}

impl Clock {
    /// A clock starting now; `scale` 1 is faithful real time, 0.01 runs a hundred times faster.
    pub fn new(scale: f64) -> Self {
        Clock {
            start: Instant::now(),
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
}
