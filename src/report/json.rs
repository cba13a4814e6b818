//! The JSON form of a [`RunReport`]: the machine-readable artefact of a run and the only one that
//! can be read back. This module owns writing it (pretty, with a trailing newline) and reading it
//! (refusing any schema version other than [`REPORT_SCHEMA_VERSION`] before looking further, and
//! naming the source, line, column and field path of any other problem).

use super::model::{REPORT_SCHEMA_VERSION, RunReport};

/// Why a report could not be written or read as JSON.
#[derive(Debug, thiserror::Error)]
pub enum ReportJsonError {
    /// The report could not be serialised (not expected to happen with this model).
    #[error("cannot write the report as json: {0}")]
    Write(#[source] serde_json::Error),
    /// The input is not valid JSON or does not have the shape of a report.
    #[error("{origin}:{line}:{column}: not a valid mpcert report: {message}")]
    Parse {
        /// Where the bytes came from (a path or a description).
        origin: String,
        /// 1-based line of the problem (0 if unknown).
        line: usize,
        /// 1-based column of the problem (0 if unknown).
        column: usize,
        /// What is wrong, including the field path when known.
        message: String,
    },
    /// The report was written with a schema version this mpcert cannot read.
    #[error(
        "{origin}: report schema version {found} is not supported; this mpcert reads schema version {expected}"
    )]
    SchemaVersion {
        /// Where the bytes came from.
        origin: String,
        /// The version found in the report.
        found: u64,
        /// The version this mpcert reads.
        expected: u32,
    },
}

/// Serialise a report as pretty-printed JSON with a trailing newline.
pub fn to_json(report: &RunReport) -> Result<Vec<u8>, ReportJsonError> {
    let mut bytes = serde_json::to_vec_pretty(report).map_err(ReportJsonError::Write)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Parse a report written by [`to_json`]; `source` names the input in error messages.
pub fn from_json(bytes: &[u8], source: &str) -> Result<RunReport, ReportJsonError> {
    let parse_error = |e: &serde_json::Error, context: &str| {
        let message = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        let message = message.strip_suffix(&position).unwrap_or(&message);
        ReportJsonError::Parse {
            origin: source.to_string(),
            line: e.line(),
            // serde_json says column 0 when it fails before the first character of a line.
            column: if e.line() > 0 { e.column().max(1) } else { 0 },
            message: format!("{context}{message}"),
        }
    };
    // Check the schema version before trusting the shape: another version may differ anywhere.
    let probe: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| {
            parse_error(
                &e,
                if e.is_data() {
                    "expected a report object: "
                } else {
                    ""
                },
            )
        })?;
    let expected = u64::from(REPORT_SCHEMA_VERSION);
    let version = probe
        .get("schemaVersion")
        .and_then(serde_json::Value::as_u64);
    if let Some(found) = version.filter(|&found| found != expected) {
        return Err(ReportJsonError::SchemaVersion {
            origin: source.to_string(),
            found,
            expected: REPORT_SCHEMA_VERSION,
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let report: RunReport = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let context = if path == "." {
            String::new()
        } else {
            format!("at {path}: ")
        };
        parse_error(e.inner(), &context)
    })?;
    de.end().map_err(|e| parse_error(&e, ""))?;
    Ok(report)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::exchange::{Exchange, ExchangeOutcome};
    use crate::report::model::{
        CaseReport, CategoryReport, Finding, RunMeta, StepOutcome, StepReport, Verdict,
    };

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn exchange(seq: u64, path: &str, status: u16, request: &str, response: &str) -> Exchange {
        Exchange {
            seq,
            case: None,
            step: Some(1),
            received_ms: 100.0,
            ended_ms: 103.0,
            method: "POST".into(),
            path: path.into(),
            endpoint: None,
            resource_id: None,
            headers: vec![("authorization".into(), "Bearer [redacted]".into())],
            request_body: Some(request.into()),
            status: Some(status),
            response_body: Some(response.into()),
            fault: None,
            outcome: ExchangeOutcome::Answered,
            merchant_vat_from: None,
        }
    }

    fn step(index: usize, op: &str, outcome: StepOutcome) -> StepReport {
        let params = serde_json::json!({"amount": 150});
        let params = params.as_object().cloned().unwrap_or_default();
        StepReport {
            index,
            op: op.into(),
            title: op.into(),
            params,
            outcome,
            unknown_fields: serde_json::Map::new(),
            duration_ms: 5.0,
        }
    }

    fn case(id: &str, title: &str, verdict: Verdict, ms: f64) -> CaseReport {
        let (file, line) = ("cases/payments.yaml".into(), 40);
        let (summary, steps, exchanges) = (String::new(), vec![], vec![]);
        CaseReport {
            id: id.into(),
            title: title.into(),
            summary,
            file,
            line,
            verdict,
            duration_ms: ms,
            steps,
            exchanges,
            truncated: None,
            client_log: None,
        }
    }

    fn skipped(id: &str, title: &str, reason: &str) -> CaseReport {
        case(
            id,
            title,
            Verdict::Skipped {
                reason: reason.into(),
            },
            0.0,
        )
    }

    /// Two categories: a pass; then a failure (two findings), an error and two skips.
    pub(in crate::report) fn sample() -> RunReport {
        let mut passed = case("onboard-pos", "Onboard a PoS", Verdict::Passed, 120.0);
        (passed.file, passed.line) = ("cases/onboarding.yaml".into(), 12);
        passed.exchanges = vec![exchange(
            1,
            "/pos/v10/pointofsales",
            200,
            "{}",
            "{\"posId\":\"p1\"}",
        )];
        let findings = vec![
            Finding {
                rule: "idempotency-key-reused".into(),
                step: Some(1),
                exchange: Some(7),
                message: "the key was reused".into(),
            },
            Finding {
                rule: "late-retry".into(),
                step: None,
                exchange: None,
                message: "the client retried\u{7} too late".into(),
            },
        ];
        let mut failed = case(
            "capture",
            "Capture 1.5 DKK <&\"x\">\u{1}",
            Verdict::Failed { findings },
            2500.0,
        );
        let result = serde_json::Map::new();
        failed.steps = vec![
            step(0, "create_payment", StepOutcome::Ok { result }),
            step(
                1,
                "capture",
                StepOutcome::Failed {
                    message: "409 from\u{1b} backend".into(),
                },
            ),
            step(2, "cancel", StepOutcome::NotRun),
        ];
        let long = format!("{{\n  \"reference\": \"{}\"\n}}", "x".repeat(300));
        failed.exchanges = vec![
            exchange(6, "/pos/v10/payments", 200, &long, "{\"paymentId\":\"a\"}"),
            exchange(
                7,
                "/pos/v10/payments",
                409,
                "{}",
                "{\"code\":\"1301\",\"message\":\"dup\"}",
            ),
        ];
        let error = Verdict::Error {
            reason: "the adapter crashed\nexit status 3\u{1b}".into(),
        };
        let meta = RunMeta {
            tool_version: "0.1.0".into(),
            client_name: "Till".into(),
            client_version: "2.0".into(),
            client: "reference".into(),
            merchant_vat: "DK90000028".into(),
            target: "embedded".into(),
            catalogue: crate::report::CatalogueProvenance::builtin("abc"),
            started_at: "2024-05-01T12:00:00.123Z".into(),
            duration_ms: 1234.0,
            time_scale: 0.5,
            profile: crate::catalogue::model::Profile::Mobilepay,
            selection: crate::report::Selection {
                partial_run: true,
                categories: vec![
                    crate::report::SelectedCategory {
                        id: "onboarding".into(),
                        selected: 1,
                        cases: 1,
                    },
                    crate::report::SelectedCategory {
                        id: "payments".into(),
                        selected: 3,
                        cases: 4,
                    },
                ],
            },
        };
        let category = |id: &str, cases| CategoryReport {
            id: id.into(),
            title: format!("{id} title"),
            mandatory: id == "onboarding",
            file: format!("cases/{id}.yaml"),
            started_at: "2024-05-01T12:00:01.250Z".into(),
            cases,
        };
        let payments = vec![
            failed,
            case("refund", "Refund", error, 0.0),
            skipped("cancel", "Cancel", "requires onboarding"),
            skipped("other", "Other", "not selected"),
        ];
        RunReport {
            schema_version: REPORT_SCHEMA_VERSION,
            meta,
            categories: vec![
                category("onboarding", vec![passed]),
                category("payments", payments),
            ],
            certificate: None,
        }
    }

    #[test]
    fn round_trips_with_trailing_newline() -> TestResult {
        let original = sample();
        let bytes = to_json(&original)?;
        assert!(bytes.ends_with(b"}\n"));
        assert!(String::from_utf8(bytes.clone())?.contains("\n  \"schemaVersion\": 1,"));
        assert_eq!(from_json(&bytes, "r.json")?, original);
        Ok(())
    }

    #[test]
    fn refuses_other_schema_versions() -> TestResult {
        let mut value = serde_json::to_value(sample())?;
        value["schemaVersion"] = 2.into();
        value["categories"] = "a future shape".into();
        let err = from_json(&serde_json::to_vec(&value)?, "old.json")
            .err()
            .ok_or("accepted schema 2")?;
        assert_eq!(
            err.to_string(),
            "old.json: report schema version 2 is not supported; this mpcert reads schema version 1"
        );
        Ok(())
    }

    #[test]
    fn syntax_errors_name_source_line_and_column() -> TestResult {
        let err = from_json(b"{\n  \"schemaVersion\": 1,\n  oops\n}", "bad.json")
            .err()
            .ok_or("accepted bad json")?;
        match &err {
            ReportJsonError::Parse {
                origin,
                line,
                column,
                ..
            } => {
                assert_eq!((origin.as_str(), *line, *column), ("bad.json", 3, 3));
            }
            other => return Err(format!("unexpected {other:?}").into()),
        }
        assert!(err.to_string().starts_with("bad.json:3:3: "), "{err}");
        Ok(())
    }

    #[test]
    fn shape_errors_name_the_field_path() -> TestResult {
        let mut value = serde_json::to_value(sample())?;
        value["categories"][0]["cases"][0]["line"] = "twelve".into();
        let err = from_json(&serde_json::to_vec_pretty(&value)?, "shape.json")
            .err()
            .ok_or("accepted a string line")?;
        let text = err.to_string();
        assert!(text.starts_with("shape.json:"), "{text}");
        assert!(
            text.contains("at categories[0].cases[0].line: invalid type"),
            "{text}"
        );
        let err = from_json(b"[1]", "array.json")
            .err()
            .ok_or("accepted an array")?;
        assert_eq!(
            err.to_string(),
            "array.json:1:1: not a valid mpcert report: expected a report object: invalid type: sequence, expected a map"
        );
        let mut value = serde_json::to_value(sample())?;
        value
            .as_object_mut()
            .ok_or("not an object")?
            .remove("schemaVersion");
        let err = from_json(&serde_json::to_vec(&value)?, "old.json")
            .err()
            .ok_or("accepted")?;
        assert!(
            err.to_string()
                .ends_with("report: missing field `schemaVersion`"),
            "{err}"
        );
        Ok(())
    }
}
