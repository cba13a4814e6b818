//! Timing rules: a client gives up on a held answer within its documented timeout (B1), and
//! waits at least the announced `pollDelayInMs` between polls of the same resource (B9). All
//! thresholds are documented values multiplied by the time scale; the timeout tolerance never
//! drops below a floor of real time, because compressing time cannot compress the scheduler.

use crate::catalogue::model::FaultReply;
use crate::exchange::{Exchange, ExchangeOutcome};
use crate::pos::Endpoint;
use crate::pos::constants::{
    MIN_TIMING_TOLERANCE_REAL_MS, POLL_DELAY_TOLERANCE_MS, READ_TIMEOUT_MS, TIMEOUT_TOLERANCE_MS,
    WRITE_TIMEOUT_MS,
};
use crate::report::Finding;

use super::{finding, pos_exchanges, seen};

/// Rule id: a held answer is abandoned within the documented timeout (strict profile).
pub const TIMEOUT: &str = "request-timeout-respected";
/// Rule id: a held answer is abandoned before the hold ends, and retried (every profile).
pub const HELD_ANSWER: &str = "held-answer-abandoned";
/// Rule id: polls are spaced by at least `pollDelayInMs`.
pub const POLL_DELAY: &str = "poll-delay-respected";

/// What MobilePay's certification evidently judged of B1: a held answer is abandoned before the
/// hold ends (a client that waits it out is answered), whatever the client's timeout.
pub fn check_held_answers(exchanges: &[Exchange]) -> Vec<Finding> {
    pos_exchanges(exchanges)
        .filter(|e| e.fault == Some(FaultReply::Hold200) && e.outcome == ExchangeOutcome::Answered)
        .map(|e| {
            let waited = e.ended_ms - e.received_ms;
            finding(
                HELD_ANSWER,
                Some(e),
                format!(
                    "the client waited out a held answer to {} {} ({waited:.0} ms); it must give up and retry",
                    e.method, e.path
                ),
            )
        })
        .collect()
}

/// B1 as documented (strict profile): every held call the client gave up on was dropped within
/// its timeout (2 s writes, 0.5 s reads) plus tolerance.
pub fn check_timeouts(exchanges: &[Exchange], scale: f64) -> Vec<Finding> {
    let tolerance = (TIMEOUT_TOLERANCE_MS as f64 * scale).max(MIN_TIMING_TOLERANCE_REAL_MS);
    pos_exchanges(exchanges)
        .filter(|e| e.fault == Some(FaultReply::Hold200))
        .filter(|e| e.outcome == ExchangeOutcome::ClientHungUp)
        .filter_map(|e| {
            let documented = if e.pos_endpoint().is_some_and(Endpoint::is_read) {
                READ_TIMEOUT_MS
            } else {
                WRITE_TIMEOUT_MS
            };
            let timeout = documented as f64 * scale;
            let limit = if scale == 1.0 {
                format!("{documented} ms")
            } else {
                format!("{documented} ms ({timeout:.0} ms at time scale {scale})")
            };
            let waited = e.ended_ms - e.received_ms;
            (waited > timeout + tolerance).then(|| {
                finding(
                    TIMEOUT,
                    Some(e),
                    format!(
                        "the client gave up on {} {} after {waited:.0} ms; the timeout is {limit} (tolerance {tolerance:.0} ms)",
                        e.method, e.path
                    ),
                )
            })
        })
        .collect()
}

/// B9: consecutive polls of one resource are at least the previously announced delay apart,
/// measured from the moment the previous answer was sent. An answer slower than a client's
/// timeout may never have reached the client (it gave up and polled again, as B9 allows without
/// an answer), so what follows such an answer is not judged; at time scale 1 that is an answer
/// slower than the documented read timeout, in a compressed run one slower than the shortest
/// timeout a client is expected to use.
pub fn check_poll_delays(exchanges: &[Exchange], scale: f64) -> Vec<Finding> {
    let tolerance = POLL_DELAY_TOLERANCE_MS as f64 * scale;
    let polls: Vec<&Exchange> = pos_exchanges(exchanges)
        .filter(|e| e.pos_endpoint().is_some_and(Endpoint::is_polled))
        .collect();
    let mut findings = Vec::new();
    for (index, poll) in polls.iter().enumerate() {
        let previous = polls[..index]
            .iter()
            .rev()
            .find(|p| p.endpoint == poll.endpoint && p.resource_id == poll.resource_id);
        let Some(previous) = previous else { continue };
        let Some(delay) = announced_delay(previous) else {
            continue;
        };
        if !seen::surely_received(previous, scale) {
            continue;
        }
        let gap = poll.received_ms - previous.ended_ms;
        if gap < delay - tolerance {
            findings.push(finding(
                POLL_DELAY,
                Some(poll),
                format!(
                    "polled {} {:.1} ms after the previous answer, which asked for pollDelayInMs {delay:.0}",
                    poll.path, gap
                ),
            ));
        }
    }
    findings
}

fn announced_delay(exchange: &Exchange) -> Option<f64> {
    if exchange.status != Some(200) {
        return None;
    }
    exchange.response_json()?.get("pollDelayInMs")?.as_f64()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::judge::fixtures::{Ex, build, call, poll, rules_of};

    /// A held `POST /payments` received at 0 and ended (answered or dropped) at `ended_ms`.
    fn held_write(ended_ms: f64) -> Ex {
        call(1, Endpoint::InitiatePayment)
            .hold200()
            .at(0.0, ended_ms)
    }

    /// A held `GET /payments/{id}` received at 0 and ended at `ended_ms`.
    fn held_read(ended_ms: f64) -> Ex {
        poll(1, "pay-1", "Initiated").hold200().at(0.0, ended_ms)
    }

    fn timeouts(exchange: Ex, scale: f64) -> Vec<Finding> {
        check_timeouts(&build(vec![exchange]), scale)
    }

    /// Polls of `pay-1` at the given (received, ended) times, each announcing `delay_ms`.
    fn polls(times: &[(f64, f64)], delay_ms: f64) -> Vec<Exchange> {
        let polls = times
            .iter()
            .zip(1..)
            .map(|(&(received, ended), seq)| {
                call(seq, Endpoint::QueryPayment)
                    .id("pay-1")
                    .at(received, ended)
                    .response(json!({ "status": "Initiated", "pollDelayInMs": delay_ms }))
            })
            .collect();
        build(polls)
    }

    #[test]
    fn waiting_out_a_held_answer_is_flagged_whatever_the_timeout() {
        for ended in [10_000.0, 150.0] {
            let findings = check_held_answers(&build(vec![held_write(ended)]));
            assert_eq!(rules_of(&findings), vec![HELD_ANSWER], "ended at {ended}");
            assert_eq!(findings[0].exchange, Some(1));
            assert!(
                findings[0].message.contains("waited out"),
                "unexpected message: {}",
                findings[0].message
            );
            assert_eq!(
                timeouts(held_write(ended), 1.0),
                Vec::new(),
                "not a timeout"
            );
        }
    }

    #[test]
    fn abandoning_a_held_answer_late_is_no_held_answer_finding() {
        let late = build(vec![held_write(5_000.0).hung_up()]);
        assert_eq!(check_held_answers(&late), Vec::new());
        assert_eq!(rules_of(&check_timeouts(&late, 1.0)), vec![TIMEOUT]);
    }

    #[test]
    fn an_answered_call_without_a_hold_is_never_a_timeout() {
        let slow = || call(1, Endpoint::InitiatePayment).at(0.0, 9_000.0);
        assert_eq!(timeouts(slow(), 1.0), Vec::new());
        assert_eq!(check_held_answers(&build(vec![slow()])), Vec::new());
    }

    #[test]
    fn a_write_dropped_within_timeout_and_tolerance_is_clean_at_scale_one() {
        // 2000 ms timeout + 500 ms tolerance.
        assert_eq!(timeouts(held_write(2_000.0).hung_up(), 1.0), Vec::new());
        assert_eq!(timeouts(held_write(2_450.0).hung_up(), 1.0), Vec::new());
    }

    #[test]
    fn a_write_dropped_late_is_flagged_at_scale_one() {
        let findings = timeouts(held_write(2_600.0).hung_up(), 1.0);
        assert_eq!(rules_of(&findings), vec![TIMEOUT]);
        assert!(
            findings[0].message.contains("2600 ms") && findings[0].message.contains("2000 ms"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn at_a_small_scale_the_tolerance_does_not_drop_below_its_floor() {
        // Timeout 2000 × 0.01 = 20 ms; tolerance max(500 × 0.01, floor) = the floor.
        let limit = 20.0 + MIN_TIMING_TOLERANCE_REAL_MS;
        assert_eq!(
            timeouts(held_write(limit - 5.0).hung_up(), 0.01),
            Vec::new()
        );
        assert_eq!(
            rules_of(&timeouts(held_write(limit + 5.0).hung_up(), 0.01)),
            vec![TIMEOUT]
        );
    }

    #[test]
    fn reads_have_the_shorter_timeout() {
        // 500 ms timeout + 500 ms tolerance at scale 1.
        assert_eq!(timeouts(held_read(900.0).hung_up(), 1.0), Vec::new());
        assert_eq!(
            rules_of(&timeouts(held_read(1_100.0).hung_up(), 1.0)),
            vec![TIMEOUT]
        );
        // 5 ms timeout + the floor at scale 0.01.
        let limit = 5.0 + MIN_TIMING_TOLERANCE_REAL_MS;
        assert_eq!(timeouts(held_read(limit - 2.0).hung_up(), 0.01), Vec::new());
        assert_eq!(
            rules_of(&timeouts(held_read(limit + 2.0).hung_up(), 0.01)),
            vec![TIMEOUT]
        );
    }

    #[test]
    fn polls_spaced_by_the_announced_delay_are_clean() {
        let exchanges = polls(
            &[(0.0, 10.0), (1_010.0, 1_020.0), (2_100.0, 2_110.0)],
            1000.0,
        );
        assert_eq!(check_poll_delays(&exchanges, 1.0), Vec::new());
    }

    #[test]
    fn a_poll_within_the_tolerance_is_clean() {
        let exchanges = polls(&[(0.0, 10.0), (965.0, 975.0)], 1000.0);
        assert_eq!(check_poll_delays(&exchanges, 1.0), Vec::new());
    }

    #[test]
    fn a_poll_too_early_is_flagged() {
        let exchanges = polls(
            &[(0.0, 10.0), (1_010.0, 1_020.0), (1_500.0, 1_510.0)],
            1000.0,
        );
        let findings = check_poll_delays(&exchanges, 1.0);
        assert_eq!(rules_of(&findings), vec![POLL_DELAY]);
        assert_eq!(findings[0].exchange, Some(3));
        assert!(
            findings[0].message.contains("480.0 ms") && findings[0].message.contains("1000"),
            "unexpected message: {}",
            findings[0].message
        );
    }

    #[test]
    fn poll_tolerance_scales_with_time() {
        // Delay 10 ms and tolerance 0.5 ms at scale 0.01.
        let on_time = polls(&[(0.0, 1.0), (10.6, 11.0)], 10.0);
        assert_eq!(check_poll_delays(&on_time, 0.01), Vec::new());
        let early = polls(&[(0.0, 1.0), (10.0, 11.0)], 10.0);
        assert_eq!(rules_of(&check_poll_delays(&early, 0.01)), vec![POLL_DELAY]);
    }

    #[test]
    fn different_resources_are_paced_independently() {
        let exchanges = build(vec![
            poll(1, "pay-1", "Initiated").at(0.0, 10.0),
            poll(2, "pay-2", "Initiated").at(20.0, 30.0),
            call(3, Endpoint::GetCheckIn)
                .id("pay-1")
                .at(40.0, 50.0)
                .response(json!({ "isUserCheckedIn": false, "pollDelayInMs": 1000 })),
        ]);
        assert_eq!(check_poll_delays(&exchanges, 1.0), Vec::new());
    }

    #[test]
    fn a_poll_after_an_answer_slower_than_a_client_timeout_is_not_checked() {
        // At time scale 0.01 a client may give up after its 100 ms floor: an answer sent 150 ms
        // after the poll may never have reached it, so polling again at once is not held
        // against it; after a prompt answer it is.
        let after_slow = polls(&[(0.0, 150.0), (151.0, 152.0)], 10.0);
        assert_eq!(check_poll_delays(&after_slow, 0.01), Vec::new());
        let after_prompt = polls(&[(0.0, 90.0), (91.0, 92.0)], 10.0);
        assert_eq!(
            rules_of(&check_poll_delays(&after_prompt, 0.01)),
            vec![POLL_DELAY]
        );
        // At time scale 1 the documented read timeout (0.5 s) decides.
        let slow_at_one = polls(&[(0.0, 600.0), (601.0, 602.0)], 1000.0);
        assert_eq!(check_poll_delays(&slow_at_one, 1.0), Vec::new());
        let prompt_at_one = polls(&[(0.0, 400.0), (401.0, 402.0)], 1000.0);
        assert_eq!(
            rules_of(&check_poll_delays(&prompt_at_one, 1.0)),
            vec![POLL_DELAY]
        );
    }

    #[test]
    fn a_poll_after_an_unanswered_one_is_not_checked() {
        let exchanges = build(vec![
            poll(1, "pay-1", "Initiated").at(0.0, 10.0),
            poll(2, "pay-1", "Initiated")
                .hold200()
                .hung_up()
                .at(1_010.0, 1_500.0),
            poll(3, "pay-1", "Initiated").at(1_510.0, 1_520.0),
            poll(4, "pay-1", "Initiated").err500().at(2_600.0, 2_610.0),
            poll(5, "pay-1", "Initiated").at(2_620.0, 2_630.0),
        ]);
        assert_eq!(check_poll_delays(&exchanges, 1.0), Vec::new());
    }

    #[test]
    fn non_polled_gets_are_not_paced() {
        let list = |seq: u64, at: f64| {
            call(seq, Endpoint::QueryPaymentIds)
                .query("posId=pos-1")
                .at(at, at + 1.0)
                .response(json!({ "paymentIds": [], "pollDelayInMs": 1000 }))
        };
        let exchanges = build(vec![list(1, 0.0), list(2, 5.0)]);
        assert_eq!(check_poll_delays(&exchanges, 1.0), Vec::new());
    }
}
