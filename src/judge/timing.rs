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

use super::{finding, pos_exchanges};

/// Rule id: a held answer is abandoned within the timeout.
pub const TIMEOUT: &str = "request-timeout-respected";
/// Rule id: polls are spaced by at least `pollDelayInMs`.
pub const POLL_DELAY: &str = "poll-delay-respected";

fn endpoint_of(exchange: &Exchange) -> Option<Endpoint> {
    exchange.endpoint.as_deref().and_then(Endpoint::parse)
}

/// B1: every held call is dropped by the client within its timeout plus tolerance.
pub fn check_timeouts(exchanges: &[Exchange], scale: f64) -> Vec<Finding> {
    let tolerance = (TIMEOUT_TOLERANCE_MS as f64 * scale).max(MIN_TIMING_TOLERANCE_REAL_MS);
    pos_exchanges(exchanges)
        .filter(|e| e.fault == Some(FaultReply::Hold200))
        .filter_map(|e| {
            let documented = if endpoint_of(e).is_some_and(Endpoint::is_read) {
                READ_TIMEOUT_MS
            } else {
                WRITE_TIMEOUT_MS
            };
            let timeout = documented as f64 * scale;
            let waited = e.ended_ms - e.received_ms;
            let call = format!("{} {}", e.method, e.path);
            match e.outcome {
                ExchangeOutcome::Answered => Some(finding(
                    TIMEOUT,
                    Some(e),
                    format!(
                        "the client waited out a held answer to {call} ({waited:.0} ms); it must give up after {timeout:.0} ms and retry"
                    ),
                )),
                ExchangeOutcome::ClientHungUp if waited > timeout + tolerance => Some(finding(
                    TIMEOUT,
                    Some(e),
                    format!(
                        "the client gave up on {call} after {waited:.0} ms; the timeout is {timeout:.0} ms (tolerance {tolerance:.0} ms)"
                    ),
                )),
                ExchangeOutcome::ClientHungUp => None,
            }
        })
        .collect()
}

/// B9: consecutive polls of one resource are at least the previously announced delay apart,
/// measured from the moment the previous answer was sent.
pub fn check_poll_delays(exchanges: &[Exchange], scale: f64) -> Vec<Finding> {
    let tolerance = POLL_DELAY_TOLERANCE_MS as f64 * scale;
    let polls: Vec<&Exchange> = pos_exchanges(exchanges)
        .filter(|e| endpoint_of(e).is_some_and(Endpoint::is_polled))
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
