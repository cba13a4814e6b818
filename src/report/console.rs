//! Plain-text rendering of a [`RunReport`]. It owns the console summary (a header naming what was
//! certified, one PASS/FAIL/ERROR/SKIP line per case in catalogue order with findings or reason
//! under it — and the end of the client's own log under an error — a totals line, in three
//! verbosities) and the plain-text wording the JUnit renderer
//! embeds: a finding as `[rule] step N (op): message` (steps numbered from 1), the evidence of a
//! failed case, and a case's step and exchange log. Control characters other than tab and line
//! breaks are dropped, so a hostile client message can neither drive a terminal nor break XML.

use std::fmt::Write as _;

use super::model::{CaseReport, Finding, RunMeta, RunReport, StepOutcome, Verdict};
use super::selection::Selection;

/// How much the console summary says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Only failed and errored cases (with findings) and the totals line.
    Quiet,
    /// A header, every case except those skipped as "not selected", and the totals line.
    #[default]
    Normal,
    /// Like [`Verbosity::Normal`], plus each case's exchange summaries.
    Verbose,
}

/// Longest request or response body shown in a case log, in characters.
const BODY_LIMIT: usize = 200;

/// Most lines of the client's own log shown under a case that ended in an error.
const CLIENT_LOG_LINES: usize = 10;

/// Indentation of the lines under a case line.
const INDENT: &str = "      ";

/// Render the console summary of a report: the header, the case lines, the totals.
pub fn render(report: &RunReport, verbosity: Verbosity) -> String {
    let mut out = header(&report.meta, verbosity);
    for category in &report.categories {
        for case in &category.cases {
            out.push_str(&case_lines(&category.id, case, verbosity));
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&totals(report));
    out
}

/// The header line naming what is certified against what, and the partial-run line when a
/// category was selected only in part (empty when quiet).
pub fn header(meta: &RunMeta, verbosity: Verbosity) -> String {
    if verbosity == Verbosity::Quiet {
        return String::new();
    }
    let partial = match partial_run(&meta.selection) {
        Some(note) => format!("{note}\n"),
        None => String::new(),
    };
    clean(&format!(
        "mpcert {} — {} {} via {} as merchant {} against {}, {}, {} profile\n{partial}",
        meta.tool_version,
        meta.client_name,
        meta.client_version,
        meta.client,
        meta.merchant_vat,
        meta.target,
        meta.catalogue,
        meta.profile.as_str()
    ))
}

/// Whether a case is shown at this verbosity.
fn shown(case: &CaseReport, verbosity: Verbosity) -> bool {
    match &case.verdict {
        Verdict::Passed => verbosity != Verbosity::Quiet,
        Verdict::Failed { .. } | Verdict::Error { .. } => true,
        Verdict::Skipped { reason } => verbosity != Verbosity::Quiet && !is_not_selected(reason),
    }
}

/// One case's line and what goes under it, or nothing when the verbosity hides the case; the
/// driver prints these as cases finish.
pub fn case_lines(category: &str, case: &CaseReport, verbosity: Verbosity) -> String {
    let mut out = String::new();
    if shown(case, verbosity) {
        write_case(&mut out, category, case, verbosity);
    }
    out
}

/// The totals line: `7 passed, 0 failed, 0 errors, 0 skipped in 1.23s`.
pub fn totals(report: &RunReport) -> String {
    let (mut passed, mut failed, mut errors, mut skipped) = (0, 0, 0, 0);
    for case in report.categories.iter().flat_map(|c| &c.cases) {
        match case.verdict {
            Verdict::Passed => passed += 1,
            Verdict::Failed { .. } => failed += 1,
            Verdict::Error { .. } => errors += 1,
            Verdict::Skipped { .. } => skipped += 1,
        }
    }
    let custom = if report.meta.catalogue.is_custom() {
        format!(" (verdicts of {})", report.meta.catalogue)
    } else {
        String::new()
    };
    format!(
        "{passed} passed, {failed} failed, {errors} errors, {skipped} skipped in {:.2}s{custom}\n",
        seconds(report.meta.duration_ms)
    )
}

/// `partial run: refunds (1 of 2 cases selected) not certified`, naming every category selected
/// only in part, or `None` when none was.
fn partial_run(selection: &Selection) -> Option<String> {
    let partial: Vec<String> = (selection.partial())
        .map(|c| format!("{} ({} of {} cases selected)", c.id, c.selected, c.cases))
        .collect();
    (!partial.is_empty()).then(|| format!("partial run: {} not certified", partial.join(", ")))
}

/// The certificate line: the certificate as one line of JSON after a short human summary (and
/// the partial-run note), or that nothing was certified (empty when quiet and not certified).
pub fn certificate(report: &RunReport, verbosity: Verbosity) -> String {
    match &report.certificate {
        Some(c) => {
            let categories: Vec<String> = c
                .categories
                .iter()
                .map(|k| format!("{} ({} cases)", k.id, k.cases))
                .collect();
            let json = serde_json::to_string(c).unwrap_or_default();
            let partial = match partial_run(&c.selection) {
                Some(note) => format!("; {note}"),
                None => String::new(),
            };
            clean(&format!(
                "certified: {} {} as merchant {} for {} ({} profile){partial}; certificate: {json}\n",
                c.client_name,
                c.certified_version,
                c.merchant_vat,
                categories.join(", "),
                c.profile.as_str(),
            ))
        }
        None if verbosity == Verbosity::Quiet => String::new(),
        None if report.meta.is_remote_target() => format!(
            "not certified: {}\n",
            crate::service::certify::REMOTE_NOT_CERTIFIED
        ),
        None => "not certified: not every selected case passed\n".to_string(),
    }
}

/// Append one case line and what goes under it.
fn write_case(out: &mut String, category: &str, case: &CaseReport, verbosity: Verbosity) {
    let word = match case.verdict {
        Verdict::Passed => "PASS",
        Verdict::Failed { .. } => "FAIL",
        Verdict::Error { .. } => "ERROR",
        Verdict::Skipped { .. } => "SKIP",
    };
    let head = match case.verdict {
        Verdict::Skipped { .. } => format!("{word:<5} {category}/{}  {}", case.id, case.title),
        _ => format!(
            "{word:<5} {category}/{}  {}  ({:.2}s)",
            case.id,
            case.title,
            seconds(case.duration_ms)
        ),
    };
    out.push_str(&one_line(&head));
    out.push('\n');
    let mut under = Vec::new();
    match &case.verdict {
        Verdict::Passed => {}
        Verdict::Failed { findings } => {
            under.extend(findings.iter().map(|f| describe_finding(case, f)));
        }
        Verdict::Error { reason } => {
            under.extend(reason.lines().map(str::to_string));
            if let Some(log) = &case.client_log {
                let lines: Vec<&str> = log.lines().collect();
                let shown = &lines[lines.len().saturating_sub(CLIENT_LOG_LINES)..];
                under.push(format!("client log, last {} lines:", shown.len()));
                under.extend(shown.iter().map(|line| format!("  {line}")));
            }
        }
        Verdict::Skipped { reason } => under.extend(reason.lines().map(str::to_string)),
    }
    if verbosity == Verbosity::Verbose {
        under.extend(case.exchanges.iter().map(|e| e.summary()));
    }
    for line in under {
        let _ = writeln!(out, "{INDENT}{}", one_line(&line));
    }
}

/// One line describing a finding: `[rule] step N (op): message`, steps counted from 1.
pub(super) fn describe_finding(case: &CaseReport, finding: &Finding) -> String {
    let mut line = format!("[{}] ", finding.rule);
    if let Some(index) = finding.step {
        let _ = write!(line, "step {}", index + 1);
        if let Some(step) = case.steps.iter().find(|s| s.index == index) {
            let _ = write!(line, " ({})", step.op);
        }
        line.push_str(": ");
    }
    line.push_str(&finding.message);
    line
}

/// Every finding of a failed case, each followed by the summary of the exchange it names.
pub(super) fn evidence(case: &CaseReport) -> String {
    let Verdict::Failed { findings } = &case.verdict else {
        return String::new();
    };
    let mut text = String::new();
    for finding in findings {
        text.push_str(&describe_finding(case, finding));
        text.push('\n');
        if let Some(seq) = finding.exchange {
            match case.exchanges.iter().find(|e| e.seq == seq) {
                Some(exchange) => text.push_str(&format!("  {}\n", exchange.summary())),
                None => text.push_str(&format!("  #{seq} (not recorded in this case)\n")),
            }
        }
    }
    text
}

/// The steps and a compact exchange log of a case (no headers); empty when there is nothing to say.
pub(super) fn case_log(case: &CaseReport) -> String {
    let mut out = String::new();
    if !case.steps.is_empty() {
        out.push_str("steps:\n");
    }
    for step in &case.steps {
        let label = if step.title == step.op {
            step.op.clone()
        } else {
            format!("{} ({})", step.title, step.op)
        };
        let params = serde_json::Value::Object(step.params.clone());
        let outcome = match &step.outcome {
            StepOutcome::Ok { result } => {
                format!("ok {}", serde_json::Value::Object(result.clone()))
            }
            StepOutcome::Failed { message } => format!("failed: {message}"),
            StepOutcome::NotRun => "not run".to_string(),
        };
        let ms = seconds(step.duration_ms) * 1000.0;
        out.push_str(&format!(
            "  {}. {label} {params} → {outcome} ({ms:.0}ms)\n",
            step.index + 1
        ));
    }
    if !case.exchanges.is_empty() {
        out.push_str("exchanges:\n");
    }
    for exchange in &case.exchanges {
        out.push_str(&format!("  {}\n", exchange.summary()));
        let bodies = [
            ("request", &exchange.request_body),
            ("response", &exchange.response_body),
        ];
        for (label, body) in bodies {
            if let Some(body) = body.as_deref().filter(|b| !b.trim().is_empty()) {
                out.push_str(&format!("    {label}: {}\n", compact(body)));
            }
        }
    }
    out
}

/// A body on one line, cut to [`BODY_LIMIT`] characters with `…`.
fn compact(body: &str) -> String {
    let flat = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match flat.char_indices().nth(BODY_LIMIT) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Whether a skip reason only says the case was filtered out.
fn is_not_selected(reason: &str) -> bool {
    let reason = reason.trim().to_ascii_lowercase();
    reason == "not selected" || reason.starts_with("not selected:")
}

/// Milliseconds as seconds, with nonsense (negative, NaN) shown as zero.
pub(super) fn seconds(ms: f64) -> f64 {
    if ms.is_finite() && ms > 0.0 {
        ms / 1000.0
    } else {
        0.0
    }
}

/// Drop control characters (which XML 1.0 forbids or a terminal obeys) except tab, LF and CR,
/// and the non-characters U+FFFE and U+FFFF.
pub(super) fn clean(text: &str) -> String {
    let keep = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r');
    text.chars()
        .filter(|&c| keep(c) && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect()
}

/// Text on one line, control characters dropped and line breaks turned into spaces.
fn one_line(text: &str) -> String {
    clean(&text.replace(['\r', '\n'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::tests::sample;

    #[test]
    fn normal_lists_cases_findings_and_totals() {
        let text = render(&sample(), Verbosity::Normal);
        let lines: Vec<&str> = text.lines().collect();
        let expected = [
            "mpcert 0.1.0 — Till 2.0 via reference as merchant DK90000028 against embedded, built-in catalogue of mpcert 0.1.0 (abc), mobilepay profile",
            "partial run: payments (3 of 4 cases selected) not certified",
            "PASS  onboarding/onboard-pos  Onboard a PoS  (0.12s)",
            "FAIL  payments/capture  Capture 1.5 DKK <&\"x\">  (2.50s)",
            "      [idempotency-key-reused] step 2 (capture): the key was reused",
            "      [late-retry] the client retried too late",
            "ERROR payments/refund  Refund  (0.00s)",
            "      the adapter crashed",
            "      exit status 3",
            "SKIP  payments/cancel  Cancel",
            "      requires onboarding",
            "",
            "1 passed, 1 failed, 1 errors, 2 skipped in 1.23s",
        ];
        assert_eq!(lines, expected, "{text}");
        assert!(text.ends_with("in 1.23s\n"));
        assert!(!text.contains("#1 "), "no exchanges in normal");
    }

    #[test]
    fn an_error_shows_the_end_of_the_client_log() {
        let mut report = sample();
        let log: String = (1..=12).map(|n| format!("line {n}\n")).collect();
        report.categories[1].cases[1].client_log = Some(log);
        let text = case_lines("payments", &report.categories[1].cases[1], Verbosity::Quiet);
        let expected = "ERROR payments/refund  Refund  (0.00s)\n      the adapter crashed\n      exit status 3\n      client log, last 10 lines:\n        line 3\n";
        assert!(text.starts_with(expected), "{text}");
        assert!(text.ends_with("        line 12\n"), "{text}");
        let failed = case_lines("payments", &report.categories[1].cases[0], Verbosity::Quiet);
        assert!(!failed.contains("client log"), "{failed}");
    }

    #[test]
    fn quiet_shows_only_failures_errors_and_totals() {
        let text = render(&sample(), Verbosity::Quiet);
        assert!(!text.contains("mpcert 0.1.0"));
        assert!(!text.contains("PASS") && !text.contains("SKIP"));
        assert!(text.contains("FAIL  payments/capture"));
        assert!(text.contains("      [late-retry] the client retried too late\n"));
        assert!(text.contains("ERROR payments/refund"));
        assert!(text.ends_with("\n\n1 passed, 1 failed, 1 errors, 2 skipped in 1.23s\n"));

        let mut passing = sample();
        passing.categories.truncate(1);
        let text = render(&passing, Verbosity::Quiet);
        assert_eq!(text, "1 passed, 0 failed, 0 errors, 0 skipped in 1.23s\n");
    }

    #[test]
    fn the_certificate_line_names_the_merchant_and_a_partial_run() {
        let mut report = sample();
        assert_eq!(
            certificate(&report, Verbosity::Normal),
            "not certified: not every selected case passed\n"
        );
        let selection = report.meta.selection.clone();
        report.certificate = Some(crate::report::Certificate {
            client_name: "Till".into(),
            client_version: "2.0.1".into(),
            certified_version: "2.0".into(),
            adapter: crate::report::AdapterInfo {
                kind: crate::report::AdapterKind::Reference,
                command_digest: None,
            },
            profile: crate::catalogue::model::Profile::Mobilepay,
            catalogue: crate::report::CatalogueProvenance::builtin("abc"),
            time_scale: 0.5,
            merchant_vat: "FI90000040".into(),
            tool_version: "0.1.0".into(),
            integrator_client_ids: Vec::new(),
            selection,
            categories: vec![crate::report::CertifiedCategory {
                id: "onboarding".into(),
                cases: 1,
            }],
            session_id: "s".into(),
            issued_at: "2024-05-01T12:00:02Z".into(),
            signature: None,
        });
        let line = certificate(&report, Verbosity::Quiet);
        let summary = "certified: Till 2.0 as merchant FI90000040 for onboarding (1 cases) \
                       (mobilepay profile); partial run: payments (3 of 4 cases selected) not \
                       certified; certificate: {";
        assert!(line.starts_with(summary), "{line}");
        assert!(line.contains("\"partialRun\":true"), "{line}");
    }

    #[test]
    fn verbose_adds_exchange_summaries() {
        let report = sample();
        let text = render(&report, Verbosity::Verbose);
        for case in report.categories.iter().flat_map(|c| &c.cases) {
            for exchange in &case.exchanges {
                assert!(
                    text.contains(&format!("{INDENT}{}\n", exchange.summary())),
                    "{text}"
                );
            }
        }
        assert!(
            text.contains("#7 +100ms POST /pos/v10/payments → 409 1301"),
            "{text}"
        );
        assert!(!text.contains("not selected"), "filtered cases stay hidden");
        assert!(text.ends_with("1 passed, 1 failed, 1 errors, 2 skipped in 1.23s\n"));
    }
}
