//! Step parameter templating: `{{unique}}` becomes a fresh unique token, `{{uuid}}` a fresh GUID
//! (for ids the API wants as GUIDs, such as a beacon id) and `{{name}}` the value
//! an earlier step saved under `name`. A string that is exactly one `{{name}}` takes the saved
//! value with its JSON type; otherwise values are spliced into the text.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::catalogue::validate::BUILTIN_VARIABLES;

/// Saved values by name.
pub type Variables = BTreeMap<String, Value>;

/// A template named a variable no earlier step saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("needs `{0}`, which no earlier step saved")]
pub struct MissingVariable(pub String);

/// Resolves every template in `value`.
pub fn resolve(value: &Value, vars: &Variables) -> Result<Value, MissingVariable> {
    match value {
        Value::String(text) => resolve_text(text, vars),
        Value::Array(items) => items
            .iter()
            .map(|item| resolve(item, vars))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| resolve(v, vars).map(|v| (k.clone(), v)))
            .collect::<Result<serde_json::Map<_, _>, _>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

/// The variable names `value` refers to (built-in ones excluded), in order of appearance.
pub fn references(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => {
            let mut names = Vec::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("{{") {
                let Some(end) = rest[start..].find("}}") else {
                    break;
                };
                let name = rest[start + 2..start + end].trim();
                if !BUILTIN_VARIABLES.contains(&name) {
                    names.push(name.to_string());
                }
                rest = &rest[start + end + 2..];
            }
            names
        }
        Value::Array(items) => items.iter().flat_map(references).collect(),
        Value::Object(map) => map.values().flat_map(references).collect(),
        _ => Vec::new(),
    }
}

fn lookup(name: &str, vars: &Variables) -> Result<Value, MissingVariable> {
    match name {
        "unique" => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            return Ok(Value::String(token[..12].to_string()));
        }
        "uuid" => return Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        _ => {}
    }
    vars.get(name)
        .cloned()
        .ok_or_else(|| MissingVariable(name.to_string()))
}

fn resolve_text(text: &str, vars: &Variables) -> Result<Value, MissingVariable> {
    if let Some(name) = text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) {
        if !name.contains("{{") {
            return lookup(name.trim(), vars);
        }
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = rest[start + 2..start + end].trim();
        match lookup(name, vars)? {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_templates_keep_their_type_and_text_is_spliced() -> Result<(), MissingVariable> {
        let mut vars = Variables::new();
        vars.insert("amount".into(), json!(100.5));
        vars.insert("posId".into(), json!("p-1"));
        assert_eq!(resolve(&json!("{{amount}}"), &vars)?, json!(100.5));
        assert_eq!(resolve(&json!("pos {{posId}}!"), &vars)?, json!("pos p-1!"));
        assert_eq!(
            resolve(&json!({"a": ["{{posId}}"]}), &vars)?,
            json!({"a": ["p-1"]})
        );
        Ok(())
    }

    #[test]
    fn unique_is_fresh_each_time() -> Result<(), MissingVariable> {
        let vars = Variables::new();
        let a = resolve(&json!("order-{{unique}}"), &vars)?;
        let b = resolve(&json!("order-{{unique}}"), &vars)?;
        assert_ne!(a, b);
        assert_eq!(a.as_str().map(str::len), Some(18));
        Ok(())
    }

    #[test]
    fn uuid_is_a_fresh_guid() -> Result<(), MissingVariable> {
        let vars = Variables::new();
        let a = resolve(&json!("{{uuid}}"), &vars)?;
        let b = resolve(&json!("{{uuid}}"), &vars)?;
        assert_ne!(a, b);
        let text = a.as_str().unwrap_or_default();
        assert!(crate::pos::validate::is_guid(text), "{text}");
        Ok(())
    }

    #[test]
    fn references_are_found_in_nested_values() {
        let value = json!({"a": "{{posId}}-{{unique}}", "b": ["x {{ orderId }} {{uuid}}"]});
        assert_eq!(
            references(&value),
            vec!["posId".to_string(), "orderId".to_string()]
        );
    }

    #[test]
    fn missing_variables_are_named() {
        let error = resolve(&json!("{{posId}}"), &Variables::new());
        assert_eq!(error, Err(MissingVariable("posId".into())));
    }
}
