//! Varied poll pacing: the `pollDelayInMs` the service announces on each answered poll. A constant
//! delay cannot tell a client that reads it from one that happens to poll at that fixed interval,
//! so the pacer draws each delay from [`POLL_DELAY_MIN_MS`]..=[`POLL_DELAY_MAX_MS`] in coarse
//! steps, deterministically from the session's seed (splitmix64), and takes every other draw from
//! the upper half of the range: of any two successive delays at least one is twice the minimum,
//! so a client polling at the documented 1 s is caught within three polls of a resource. Delays
//! are drawn in virtual time and scaled by the session's clock like every mandated delay.

use crate::pos::constants::{POLL_DELAY_MAX_MS, POLL_DELAY_MIN_MS};

use super::clock::Clock;

/// The granularity of a delay, in virtual milliseconds: coarse steps keep distinct delays clearly
/// apart even after a small time scale has shrunk them to a few real milliseconds.
const STEP_MS: u64 = 250;
/// The lower bound of every other draw: the middle of the range.
const UPPER_HALF_MIN_MS: u64 = (POLL_DELAY_MIN_MS + POLL_DELAY_MAX_MS) / 2;
/// The splitmix64 increment (the golden ratio in 64-bit fixed point).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Draws the `pollDelayInMs` of a session's successive polls.
#[derive(Debug, Clone)]
pub struct PollPacer {
    seed: u64,
    issued: u64,
}

impl PollPacer {
    /// A pacer whose sequence of delays is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        PollPacer { seed, issued: 0 }
    }

    /// The seed the delays derive from (a new pacer with it repeats the sequence).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The next delay to announce, in real milliseconds: drawn in virtual time, scaled by
    /// `clock`, at least 1 ms.
    pub fn next_delay_ms(&mut self, clock: &Clock) -> u32 {
        let scaled = (self.next_virtual_ms() as f64 * clock.scale()).round();
        scaled.clamp(1.0, f64::from(i32::MAX as u32)) as u32
    }

    /// The next delay in virtual milliseconds, on the step grid.
    fn next_virtual_ms(&mut self) -> u64 {
        let low = if self.issued % 2 == 1 {
            UPPER_HALF_MIN_MS
        } else {
            POLL_DELAY_MIN_MS
        };
        let steps = (POLL_DELAY_MAX_MS - low) / STEP_MS + 1;
        let draw = splitmix64(
            self.seed
                .wrapping_add(self.issued.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)),
        );
        self.issued += 1;
        low + (draw % steps) * STEP_MS
    }
}

/// The splitmix64 output function: a well-mixed 64-bit value for each state.
fn splitmix64(state: u64) -> u64 {
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn draws(seed: u64, scale: f64, count: usize) -> Vec<u32> {
        let clock = Clock::new(scale);
        let mut pacer = PollPacer::new(seed);
        (0..count).map(|_| pacer.next_delay_ms(&clock)).collect()
    }

    #[test]
    fn a_seed_determines_the_sequence() {
        let clock = Clock::new(1.0);
        let mut pacer = PollPacer::new(0x5EED);
        let drawn: Vec<u32> = (0..50).map(|_| pacer.next_delay_ms(&clock)).collect();
        assert_eq!(pacer.seed(), 0x5EED);
        assert_eq!(draws(pacer.seed(), 1.0, 50), drawn);
        assert_ne!(draws(1, 1.0, 50), draws(2, 1.0, 50));
    }

    #[test]
    fn delays_stay_in_range_on_the_step_grid_at_scale_one() {
        for seed in 0..20 {
            for delay in draws(seed, 1.0, 200) {
                let delay = u64::from(delay);
                assert!((POLL_DELAY_MIN_MS..=POLL_DELAY_MAX_MS).contains(&delay));
                assert_eq!((delay - POLL_DELAY_MIN_MS) % STEP_MS, 0, "{delay}");
            }
        }
    }

    #[test]
    fn delays_scale_with_the_clock() {
        for delay in draws(7, 0.01, 200) {
            assert!((10..=30).contains(&delay), "{delay}");
        }
        assert!(draws(7, 0.0001, 200).iter().all(|&delay| delay == 1));
    }

    #[test]
    fn delays_vary_and_every_other_one_is_long() {
        for seed in 0..20 {
            let delays = draws(seed, 1.0, 200);
            let distinct: BTreeSet<u32> = delays.iter().copied().collect();
            assert!(distinct.len() >= 5, "seed {seed}: {distinct:?}");
            assert!(
                delays.contains(&1000) && delays.contains(&3000),
                "seed {seed}"
            );
            for pair in delays.windows(2) {
                assert!(
                    pair.iter().any(|&d| u64::from(d) >= UPPER_HALF_MIN_MS),
                    "seed {seed}: {pair:?}"
                );
            }
        }
    }
}
