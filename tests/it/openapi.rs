//! Conformance with MobilePay's official OpenAPI document (committed under `spec/`): every
//! endpoint the service knows exists there with its method and operationId (and with the body
//! and GUID query parameters the service checks), and every request the reference client sent
//! and every answer the service gave during a full run — and every refund operation driven over
//! HTTP, refusals included — validates against the document's schemas for that operation and
//! status. [`check_answer`] lets other tests hold any answer to the same standard.

use std::path::Path;

use mpcert::client::reference::Conduct;
use mpcert::pos::Endpoint;
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{config, run};

mod refunds;

/// The OpenAPI document as JSON.
pub fn spec() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/mobilepay-pos-v10.openapi.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read spec: {e}"));
    let documents = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("parse spec: {e}"));
    documents.first().map(to_json).unwrap_or(Value::Null)
}

fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Hash(hash) => Value::Object(
            hash.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        other => format!("{other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::String(s) | Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .filter(|_| matches!(yaml, Yaml::Real(_)))
            .map_or(Value::String(s.clone()), Value::from),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Boolean(b) => Value::Bool(*b),
        _ => Value::Null,
    }
}

fn operation(spec: &Value, endpoint: Endpoint) -> &Value {
    let (method, template) = endpoint.route();
    &spec["paths"][format!("/pos/v10{template}")][method.to_ascii_lowercase()]
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn is_guid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok() && text.len() == 36
}

/// Validates `value` against `schema`, returning the first violation with its JSON path.
fn validate(spec: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        if value.is_null() && schema["nullable"] == Value::Bool(true) {
            return Ok(());
        }
        return parts
            .iter()
            .try_for_each(|part| validate(spec, part, value, path));
    }
    if value.is_null() {
        return if schema["nullable"] == Value::Bool(true) {
            Ok(())
        } else {
            Err(format!("{path}: null but not nullable"))
        };
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            return Err(format!("{path}: {value} not in {allowed:?}"));
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let object = value.as_object().ok_or(format!("{path}: not an object"))?;
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !object.contains_key(name) {
                    return Err(format!("{path}: required `{name}` missing"));
                }
            }
            for (name, field) in object {
                match schema["properties"].get(name) {
                    Some(property) => validate(spec, property, field, &format!("{path}.{name}"))?,
                    None if schema["additionalProperties"] == Value::Bool(false) => {
                        return Err(format!("{path}: `{name}` is not in the schema"));
                    }
                    None => {}
                }
            }
            Ok(())
        }
        Some("array") => {
            let items = value.as_array().ok_or(format!("{path}: not an array"))?;
            items.iter().enumerate().try_for_each(|(i, item)| {
                validate(spec, &schema["items"], item, &format!("{path}[{i}]"))
            })
        }
        Some("string") => {
            let text = value.as_str().ok_or(format!("{path}: not a string"))?;
            if schema["format"] == "uuid" && !is_guid(text) {
                return Err(format!("{path}: `{text}` is not a uuid"));
            }
            Ok(())
        }
        Some("number") => value
            .as_f64()
            .map(|_| ())
            .ok_or(format!("{path}: not a number")),
        Some("integer") => value
            .as_i64()
            .map(|_| ())
            .ok_or(format!("{path}: not an integer")),
        Some("boolean") => value
            .as_bool()
            .map(|_| ())
            .ok_or(format!("{path}: not a boolean")),
        _ => Ok(()),
    }
}

fn first_content_schema(node: &Value) -> Option<&Value> {
    node.get("content")?
        .as_object()?
        .values()
        .next()?
        .get("schema")
}

/// Checks that `status` is documented for `endpoint` and that `body` (if any) validates against
/// the document's schema for it.
pub fn check_answer(
    spec: &Value,
    endpoint: Endpoint,
    status: u16,
    body: Option<&Value>,
) -> Result<(), String> {
    check_exchange(spec, endpoint, None, status, body).map(|_| ())
}

#[test]
fn every_endpoint_exists_in_the_official_document() {
    let spec = spec();
    for endpoint in Endpoint::ALL {
        let operation = operation(&spec, endpoint);
        assert_eq!(
            operation["operationId"].as_str(),
            Some(endpoint.operation_id()),
            "{endpoint} is not in the OpenAPI document"
        );
        assert_eq!(
            operation.get("requestBody").is_some(),
            endpoint.takes_body(),
            "{endpoint}: whether it takes a body"
        );
        let guid_queries: Vec<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["schema"]["format"] == "uuid")
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            guid_queries,
            endpoint.guid_query_parameters(),
            "{endpoint}: GUID query parameters"
        );
    }
}

/// The one answer with a body the document omits: MobilePay's error table gives refund capture
/// a coded 404 (`1004`), which travels as every refund error does, in an `ErrorResponseV2`.
const CODED_404: (Endpoint, u16) = (Endpoint::CaptureRefund, 404);

/// Checks one exchange of `endpoint` against the document: the request body against the
/// operation's request schema, the status against its documented responses and the answer body
/// against that response's schema. Returns whether an answer body was checked.
fn check_exchange(
    spec: &Value,
    endpoint: Endpoint,
    request: Option<&Value>,
    status: u16,
    response: Option<&Value>,
) -> Result<bool, String> {
    let operation = operation(spec, endpoint);
    if let Some(body) = request {
        let schema = first_content_schema(&operation["requestBody"])
            .ok_or_else(|| format!("{endpoint} takes no body in the document"))?;
        validate(spec, schema, body, "request")?;
    }
    let documented = &operation["responses"][status.to_string()];
    if documented.is_null() {
        return Err(format!("{endpoint}: status {status} is not documented"));
    }
    let schema = match first_content_schema(documented) {
        Some(schema) => Some(schema),
        None if (endpoint, status) == CODED_404 => {
            Some(&spec["components"]["schemas"]["ErrorResponseV2"])
        }
        None => None,
    };
    match (schema, response) {
        (Some(schema), Some(body)) => {
            validate(spec, schema, body, "response")
                .map_err(|e| format!("{endpoint} {status}: {e}"))?;
            Ok(true)
        }
        (None, Some(_)) => Err(format!(
            "{endpoint} {status}: the document has no body here"
        )),
        (_, None) => Ok(false),
    }
}

#[tokio::test]
async fn every_recorded_request_and_answer_conforms() {
    let spec = spec();
    let outcome = run(config(Conduct::default(), None)).await;
    let exchanges: Vec<_> = outcome
        .report
        .categories
        .iter()
        .flat_map(|c| &c.cases)
        .flat_map(|c| &c.exchanges)
        .filter(|e| e.endpoint.is_some())
        .collect();
    assert!(exchanges.len() > 20, "a full run records many PoS calls");
    let mut checked = 0;
    for exchange in exchanges {
        let label = exchange.endpoint.as_deref().unwrap_or_default();
        let endpoint = Endpoint::parse(label).unwrap_or_else(|| panic!("unknown endpoint {label}"));
        let Some(status) = exchange.status else {
            continue;
        };
        let request = exchange.request_json();
        let response = exchange.response_json();
        match check_exchange(&spec, endpoint, request.as_ref(), status, response.as_ref()) {
            Ok(true) => checked += 1,
            Ok(false) => {}
            Err(e) => panic!("#{} {e}", exchange.seq),
        }
    }
    assert!(checked > 15, "only {checked} answers had bodies to check");
}
