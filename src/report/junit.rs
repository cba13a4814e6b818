//! The JUnit XML form of a [`RunReport`], laid out for CI test reporters (GitHub Actions, GitLab,
//! Azure Pipelines, Jenkins): one `<testsuite>` per category with run metadata as properties, one
//! `<testcase>` per case with a dot-free name, its catalogue file and line, the verdict as
//! `<failure>`, `<error>` or `<skipped>`, the case log as `<system-out>` and the tail of the
//! client's own log (an exec client's stderr) as `<system-err>`. This module owns that
//! layout and the counts; the text inside comes from [`super::console`]. quick-xml escapes, and
//! characters XML 1.0 forbids are dropped, so the document always parses.

use std::io;

use quick_xml::Writer;
use quick_xml::escape::{escape, partial_escape};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::console::{case_log, clean, evidence, seconds};
use super::model::{CaseReport, CategoryReport, RunReport, Verdict};

type Xml = Writer<Vec<u8>>;

/// Render a report as a JUnit XML document (UTF-8, with a trailing newline).
pub fn render(report: &RunReport) -> Vec<u8> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    match write_report(&mut writer, report) {
        Ok(()) => {
            let mut bytes = writer.into_inner();
            bytes.push(b'\n');
            bytes
        }
        // Writing to a Vec cannot fail; should it ever, say so rather than report zero tests.
        Err(e) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mpcert\" tests=\"1\" \
             errors=\"1\"><testsuite name=\"mpcert\" tests=\"1\" errors=\"1\"><testcase \
             classname=\"mpcert\" name=\"junit\"><error message=\"cannot render the junit report: \
             {}\" type=\"error\"/></testcase></testsuite></testsuites>\n",
            escape(one_line(&e.to_string()))
        )
        .into_bytes(),
    }
}

/// Case counts and summed seconds of a set of cases.
#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    seconds: f64,
}

impl Counts {
    fn of<'a>(cases: impl IntoIterator<Item = &'a CaseReport>) -> Self {
        let mut counts = Counts::default();
        for case in cases {
            counts.tests += 1;
            counts.seconds += seconds(case.duration_ms);
            match case.verdict {
                Verdict::Passed => {}
                Verdict::Failed { .. } => counts.failures += 1,
                Verdict::Error { .. } => counts.errors += 1,
                Verdict::Skipped { .. } => counts.skipped += 1,
            }
        }
        counts
    }

    fn attributes(&self) -> [(&'static str, String); 4] {
        [
            ("tests", self.tests.to_string()),
            ("failures", self.failures.to_string()),
            ("errors", self.errors.to_string()),
            ("skipped", self.skipped.to_string()),
        ]
    }
}

fn write_report(w: &mut Xml, report: &RunReport) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let counts = Counts::of(report.categories.iter().flat_map(|c| &c.cases));
    let mut attrs = vec![("name", "mpcert".to_string())];
    attrs.extend(counts.attributes());
    attrs.push(("time", secs(report.meta.duration_ms)));
    open(w, "testsuites", &attrs)?;
    for (index, category) in report.categories.iter().enumerate() {
        write_suite(w, report, index, category)?;
    }
    close(w, "testsuites")
}

fn write_suite(
    w: &mut Xml,
    report: &RunReport,
    index: usize,
    cat: &CategoryReport,
) -> io::Result<()> {
    let counts = Counts::of(&cat.cases);
    let mut attrs = vec![("name", cat.id.clone())];
    attrs.extend(counts.attributes());
    attrs.extend([
        ("time", format!("{:.3}", counts.seconds)),
        ("timestamp", timestamp(&cat.started_at)),
        ("hostname", "localhost".to_string()),
        ("id", index.to_string()),
    ]);
    open(w, "testsuite", &attrs)?;
    let meta = &report.meta;
    let properties = [
        ("mpcert.tool_version", meta.tool_version.clone()),
        ("mpcert.client_name", meta.client_name.clone()),
        ("mpcert.client_version", meta.client_version.clone()),
        ("mpcert.client", meta.client.clone()),
        ("mpcert.merchant_vat", meta.merchant_vat.clone()),
        ("mpcert.target", meta.target.clone()),
        ("mpcert.catalogue", meta.catalogue.to_string()),
        ("mpcert.catalogue_digest", meta.catalogue.digest.clone()),
        ("mpcert.time_scale", meta.time_scale.to_string()),
        ("mpcert.profile", meta.profile.as_str().to_string()),
        ("mpcert.started_at", meta.started_at.clone()),
        ("mpcert.partial_run", meta.selection.partial_run.to_string()),
        ("mpcert.category_title", cat.title.clone()),
        ("mpcert.mandatory", cat.mandatory.to_string()),
        (
            "mpcert.selection",
            selection_of(report, &cat.id).to_string(),
        ),
    ];
    open(w, "properties", &[])?;
    for (name, value) in properties {
        let attrs = [("name", name.to_string()), ("value", value)];
        element(w, "property", &attrs, None)?;
    }
    close(w, "properties")?;
    for case in &cat.cases {
        write_case(w, &cat.id, case)?;
    }
    close(w, "testsuite")
}

/// How much of category `id` the run selected: `full`, `partial` or `none`.
fn selection_of(report: &RunReport, id: &str) -> &'static str {
    match report.meta.selection.category(id) {
        Some(category) if category.is_full() => "full",
        Some(_) => "partial",
        None => "none",
    }
}

fn write_case(w: &mut Xml, category: &str, case: &CaseReport) -> io::Result<()> {
    let attrs = [
        ("classname", format!("mpcert.{category}")),
        ("name", case_name(case)),
        ("file", case.file.clone()),
        ("line", case.line.to_string()),
        ("time", secs(case.duration_ms)),
    ];
    let out = case_log(case);
    if matches!(case.verdict, Verdict::Passed) && out.is_empty() && case.client_log.is_none() {
        return element(w, "testcase", &attrs, None);
    }
    open(w, "testcase", &attrs)?;
    match &case.verdict {
        Verdict::Passed => {}
        Verdict::Failed { findings } => {
            let first = findings.first();
            let mut message = first.map_or("failed".into(), |f| one_line(&f.message));
            if findings.len() > 1 {
                message.push_str(&format!(" (+{} more)", findings.len() - 1));
            }
            let kind = first.map_or("failed".into(), |f| f.rule.clone());
            let attrs = [("message", message), ("type", kind)];
            element(w, "failure", &attrs, Some(&evidence(case)))?;
        }
        Verdict::Error { reason } => {
            let attrs = [("message", reason.clone()), ("type", "error".to_string())];
            element(w, "error", &attrs, Some(reason))?;
        }
        Verdict::Skipped { reason } => element(w, "skipped", &[("message", reason.clone())], None)?,
    }
    if !out.is_empty() {
        element(w, "system-out", &[], Some(&out))?;
    }
    if let Some(log) = &case.client_log {
        element(w, "system-err", &[], Some(log))?;
    }
    close(w, "testcase")
}

/// `<case-id> <title>` without dots, so reporters that split names on dots keep it whole.
fn case_name(case: &CaseReport) -> String {
    let title = case.title.trim().trim_end_matches('.');
    format!("{} {title}", case.id).trim_end().replace('.', "_")
}

/// The category start without fractional seconds: `2024-05-01T12:00:00Z`.
fn timestamp(started_at: &str) -> String {
    let dot = started_at
        .find('T')
        .and_then(|t| started_at[t..].find('.').map(|d| t + d));
    match dot {
        Some(dot) => {
            let rest = &started_at[dot + 1..];
            let zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{}{zone}", &started_at[..dot])
        }
        None => started_at.to_string(),
    }
}

/// Milliseconds as seconds with three decimals.
fn secs(ms: f64) -> String {
    format!("{:.3}", seconds(ms))
}

/// Clean text on one line, runs of whitespace collapsed to a space.
fn one_line(text: &str) -> String {
    clean(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn start<'a>(name: &'a str, attrs: &[(&str, String)]) -> BytesStart<'a> {
    let mut start = BytesStart::new(name);
    for (key, value) in attrs {
        start.push_attribute((*key, one_line(value).as_str()));
    }
    start
}

fn open(w: &mut Xml, name: &str, attrs: &[(&str, String)]) -> io::Result<()> {
    w.write_event(Event::Start(start(name, attrs)))
}

fn close(w: &mut Xml, name: &str) -> io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// An element with optional text content; empty (`<x/>`) without.
fn element(
    w: &mut Xml,
    name: &str,
    attrs: &[(&str, String)],
    text: Option<&str>,
) -> io::Result<()> {
    match text {
        None => w.write_event(Event::Empty(start(name, attrs))),
        Some(text) => {
            open(w, name, attrs)?;
            // Only `<`, `>` and `&` need escaping in text; leaving quotes keeps the raw file readable.
            let text = BytesText::from_escaped(partial_escape(clean(text)));
            w.write_event(Event::Text(text))?;
            close(w, name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::tests::sample;
    use roxmltree::{Document, Node};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn attr<'a>(node: Node<'a, '_>, name: &str) -> &'a str {
        node.attribute(name).unwrap_or("<missing>")
    }

    fn attrs<'a, const N: usize>(node: Node<'a, '_>, names: [&str; N]) -> [&'a str; N] {
        names.map(|name| attr(node, name))
    }

    fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
        node.children().find(|n| n.has_tag_name(name))
    }

    fn all<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Vec<Node<'a, 'i>> {
        node.descendants()
            .filter(|n| n.has_tag_name(name))
            .collect()
    }

    #[test]
    fn counts_and_suites_agree_with_their_children() -> TestResult {
        let xml = String::from_utf8(render(&sample()))?;
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
        let doc = Document::parse(&xml)?;
        let root = doc.root_element();
        let expected = ["mpcert", "5", "1", "1", "2", "1.234"];
        assert_eq!(
            attrs(
                root,
                ["name", "tests", "failures", "errors", "skipped", "time"]
            ),
            expected
        );
        let suites = all(root, "testsuite");
        assert_eq!(suites.len(), 2);
        for node in std::iter::once(root).chain(suites.iter().copied()) {
            let cases = all(node, "testcase");
            let with = |e: &str| cases.iter().filter(|c| child(**c, e).is_some()).count();
            let counts = [cases.len(), with("failure"), with("error"), with("skipped")];
            assert_eq!(
                attrs(node, ["tests", "failures", "errors", "skipped"]),
                counts.map(|n| n.to_string()).each_ref().map(String::as_str)
            );
        }
        let suite = attrs(suites[1], ["name", "time", "id", "hostname", "timestamp"]);
        assert_eq!(
            suite,
            [
                "payments",
                "2.500",
                "1",
                "localhost",
                "2024-05-01T12:00:01Z"
            ]
        );
        let properties = all(suites[1], "property");
        let property = |name: &str| {
            let name = format!("mpcert.{name}");
            properties
                .iter()
                .find(|p| attr(**p, "name") == name)
                .map(|p| attr(*p, "value"))
        };
        for name in
            "tool_version client_name client_version client merchant_vat target catalogue_digest started_at"
                .split(' ')
        {
            assert!(property(name).is_some(), "missing property {name}");
        }
        let flags = [
            "time_scale",
            "category_title",
            "mandatory",
            "merchant_vat",
            "partial_run",
            "selection",
        ]
        .map(property);
        assert_eq!(
            flags,
            [
                Some("0.5"),
                Some("payments title"),
                Some("false"),
                Some("DK90000028"),
                Some("true"),
                Some("partial")
            ]
        );
        Ok(())
    }

    #[test]
    fn verdicts_map_to_failure_error_and_skipped() -> TestResult {
        let xml = String::from_utf8(render(&sample()))?;
        let doc = Document::parse(&xml)?;
        let cases = all(doc.root_element(), "testcase");
        let passed = attrs(cases[0], ["classname", "name", "file", "line", "time"]);
        let expected = [
            "mpcert.onboarding",
            "onboard-pos Onboard a PoS",
            "cases/onboarding.yaml",
            "12",
            "0.120",
        ];
        assert_eq!(passed, expected);
        assert!(child(cases[0], "failure").is_none() && child(cases[0], "system-out").is_some());

        let failed = cases[1];
        let expected = [
            "mpcert.payments",
            "capture Capture 1_5 DKK <&\"x\">",
            "cases/payments.yaml",
            "40",
        ];
        assert_eq!(
            attrs(failed, ["classname", "name", "file", "line"]),
            expected
        );
        let failure = child(failed, "failure").ok_or("no failure")?;
        let expected = ["idempotency-key-reused", "the key was reused (+1 more)"];
        assert_eq!(attrs(failure, ["type", "message"]), expected);
        let evidence = "[idempotency-key-reused] step 2 (capture): the key was reused\n  \
             #7 +100ms POST /pos/v10/payments → 409 1301 (3ms)\n\
             [late-retry] the client retried too late\n";
        assert_eq!(failure.text(), Some(evidence));
        let out = child(failed, "system-out")
            .and_then(|n| n.text())
            .ok_or("no system-out")?;
        let request = format!("    request: {{ \"reference\": \"{}…\n", "x".repeat(184));
        for line in [
            "  2. capture {\"amount\":150} → failed: 409 from backend (5ms)\n",
            "  3. cancel {\"amount\":150} → not run (5ms)\n",
            &request,
            "    response: {\"code\":\"1301\",\"message\":\"dup\"}\n",
        ] {
            assert!(out.contains(line), "{line} not in {out}");
        }
        assert!(
            !out.contains("authorization") && !out.contains("redacted"),
            "{out}"
        );

        let error = child(cases[2], "error").ok_or("no error")?;
        assert_eq!(
            attrs(error, ["type", "message"]),
            ["error", "the adapter crashed exit status 3"]
        );
        assert_eq!(error.text(), Some("the adapter crashed\nexit status 3"));
        let skip = child(cases[3], "skipped").ok_or("no skipped")?;
        assert_eq!(attr(skip, "message"), "requires onboarding");
        assert!(
            child(cases[3], "system-out").is_none(),
            "nothing to say for a skipped case"
        );
        Ok(())
    }

    #[test]
    fn the_client_log_is_the_system_err() -> TestResult {
        let mut report = sample();
        report.categories[0].cases[0].client_log = Some("started <ok>\n".into());
        let xml = String::from_utf8(render(&report))?;
        let doc = Document::parse(&xml)?;
        let cases = all(doc.root_element(), "testcase");
        let err = child(cases[0], "system-err").and_then(|n| n.text());
        assert_eq!(err, Some("started <ok>\n"));
        assert!(child(cases[2], "system-err").is_none());
        Ok(())
    }

    #[test]
    fn names_are_dot_free_and_illegal_characters_are_stripped() -> TestResult {
        let mut report = sample();
        report.meta.client_name = "Till\u{0}\u{8}\u{B}\u{C}\u{1F}\u{7F}\u{FFFF}".into();
        report.categories[0].cases[0].title = "v1.2. <b>&'\"\u{2}.".into();
        let xml = String::from_utf8(render(&report))?;
        assert!(
            !xml.chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        );
        let doc = Document::parse(&xml)?;
        let names: Vec<_> = all(doc.root_element(), "testcase")
            .iter()
            .map(|n| attr(*n, "name"))
            .collect();
        assert_eq!(names[0], "onboard-pos v1_2_ <b>&'\"");
        assert!(names.iter().all(|n| !n.contains('.')), "{names:?}");
        assert_eq!(
            names.iter().collect::<std::collections::HashSet<_>>().len(),
            5
        );
        let client = all(doc.root_element(), "property")
            .into_iter()
            .find(|n| attr(*n, "name") == "mpcert.client_name");
        assert_eq!(client.map(|n| attr(n, "value")), Some("Till"));
        assert_eq!(
            timestamp("2024-05-01T12:00:00+02:00"),
            "2024-05-01T12:00:00+02:00"
        );
        Ok(())
    }
}
