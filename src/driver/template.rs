//! Step parameter templating: the built-in `{{unique}}` becomes a fresh unique token, `{{uuid}}` a
//! fresh GUID (for ids the API wants as GUIDs, such as a beacon id), and the built-in
//! `{{currency}}` the currency of the session's merchant (`DKK`, `EUR`); `{{name}}` is the
//! value an earlier step saved under `name`. A string that is exactly one `{{name}}` takes the
//! value with its JSON type; otherwise values are spliced into the text.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::catalogue::validate::{BUILTIN_VARIABLES, CURRENCY, UNIQUE, UUID};
use crate::pos::dto::CurrencyCode;

/// What templates resolve to in a session: the built-in variables bound by its merchant, and
/// the values steps saved, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Variables {
    currency: CurrencyCode,
    saved: BTreeMap<String, Value>,
}

impl Variables {
    /// The variables of a session whose merchant accepts `currency`, before any step saved one.
    pub fn new(currency: CurrencyCode) -> Self {
        Variables {
            currency,
            saved: BTreeMap::new(),
        }
    }

    /// Whether `name` resolves: a built-in variable or a saved value.
    pub fn defines(&self, name: &str) -> bool {
        BUILTIN_VARIABLES.contains(&name) || self.saved.contains_key(name)
    }

    /// Saves `value` under `name` for later steps.
    pub fn save(&mut self, name: &str, value: Value) {
        self.saved.insert(name.to_string(), value);
    }
}

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
        UNIQUE => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            Ok(Value::String(token[..12].to_string()))
        }
        UUID => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        CURRENCY => Ok(Value::String(vars.currency.as_str().to_string())),
        _ => (vars.saved.get(name).cloned()).ok_or_else(|| MissingVariable(name.to_string())),
    }
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
        let mut vars = Variables::new(CurrencyCode::Dkk);
        vars.save("amount", json!(100.5));
        vars.save("posId", json!("p-1"));
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
        let vars = Variables::new(CurrencyCode::Dkk);
        let a = resolve(&json!("order-{{unique}}"), &vars)?;
        let b = resolve(&json!("order-{{unique}}"), &vars)?;
        assert_ne!(a, b);
        assert_eq!(a.as_str().map(str::len), Some(18));
        Ok(())
    }

    #[test]
    fn currency_is_the_merchants() -> Result<(), MissingVariable> {
        let danish = Variables::new(CurrencyCode::Dkk);
        let finnish = Variables::new(CurrencyCode::Eur);
        assert_eq!(resolve(&json!("{{currency}}"), &danish)?, json!("DKK"));
        assert_eq!(resolve(&json!("{{ currency }}"), &finnish)?, json!("EUR"));
        assert_eq!(
            resolve(&json!("in {{currency}}"), &finnish)?,
            json!("in EUR")
        );
        assert!(finnish.defines("currency") && !finnish.defines("posId"));
        Ok(())
    }

    #[test]
    fn uuid_is_a_fresh_guid() -> Result<(), MissingVariable> {
        let vars = Variables::new(CurrencyCode::Dkk);
        let a = resolve(&json!("{{uuid}}"), &vars)?;
        let b = resolve(&json!("{{uuid}}"), &vars)?;
        assert_ne!(a, b);
        let text = a.as_str().unwrap_or_default();
        assert!(crate::pos::validate::is_guid(text), "{text}");
        Ok(())
    }

    #[test]
    fn references_are_found_in_nested_values() {
        let value = json!({"a": "{{posId}}-{{unique}}", "b": ["x {{ orderId }} {{currency}}"]});
        assert_eq!(
            references(&value),
            vec!["posId".to_string(), "orderId".to_string()]
        );
    }

    #[test]
    fn missing_variables_are_named() {
        let error = resolve(&json!("{{posId}}"), &Variables::new(CurrencyCode::Eur));
        assert_eq!(error, Err(MissingVariable("posId".into())));
    }
}
