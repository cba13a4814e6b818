//! Typed access to an operation's driver-protocol parameters. A missing required parameter or a
//! value of the wrong JSON type is the driver's fault, not the service's, so it becomes an
//! [`AdapterError::Protocol`] naming the operation and the parameter. Parameters the operation
//! does not know are ignored; the catalogue validator is where they are refused.

use serde_json::Value;

use crate::catalogue::Operation;
use crate::client::protocol::{AdapterError, Fields};

/// The parameters of one operation.
pub(super) struct Params<'a> {
    op: Operation,
    fields: &'a Fields,
}

/// The JSON type of a value, for messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Params<'a> {
    /// Checks that every required parameter is present.
    pub(super) fn new(op: Operation, fields: &'a Fields) -> Result<Self, AdapterError> {
        if let Some(missing) = op
            .required_params()
            .iter()
            .find(|name| !fields.contains_key(**name))
        {
            return Err(AdapterError::Protocol(format!(
                "{}: missing required parameter `{missing}`",
                op.as_str()
            )));
        }
        Ok(Params { op, fields })
    }

    fn wrong_type(&self, name: &str, expected: &str, value: &Value) -> AdapterError {
        AdapterError::Protocol(format!(
            "{}: parameter `{name}` must be {expected}, got {}",
            self.op.as_str(),
            type_name(value)
        ))
    }

    /// A value that is present and not null.
    fn given(&self, name: &str) -> Option<&'a Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    /// A required string.
    pub(super) fn text(&self, name: &str) -> Result<&'a str, AdapterError> {
        match self.fields.get(name) {
            Some(Value::String(text)) => Ok(text),
            Some(other) => Err(self.wrong_type(name, "a string", other)),
            None => Err(AdapterError::Protocol(format!(
                "{}: missing required parameter `{name}`",
                self.op.as_str()
            ))),
        }
    }

    /// An optional string (absent or null → `None`).
    pub(super) fn opt_text(&self, name: &str) -> Result<Option<&'a str>, AdapterError> {
        match self.given(name) {
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.wrong_type(name, "a string", other)),
            None => Ok(None),
        }
    }

    /// A required amount, kept as the JSON number the driver sent.
    pub(super) fn amount(&self, name: &str) -> Result<Value, AdapterError> {
        match self.fields.get(name) {
            Some(value @ Value::Number(_)) => Ok(value.clone()),
            Some(other) => Err(self.wrong_type(name, "a number", other)),
            None => Err(AdapterError::Protocol(format!(
                "{}: missing required parameter `{name}`",
                self.op.as_str()
            ))),
        }
    }

    /// An optional boolean.
    pub(super) fn opt_bool(&self, name: &str) -> Result<Option<bool>, AdapterError> {
        match self.given(name) {
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(self.wrong_type(name, "a boolean", other)),
            None => Ok(None),
        }
    }

    /// An optional object, sent as given (null when absent).
    pub(super) fn opt_object(&self, name: &str) -> Result<Value, AdapterError> {
        match self.given(name) {
            Some(value @ Value::Object(_)) => Ok(value.clone()),
            Some(other) => Err(self.wrong_type(name, "an object", other)),
            None => Ok(Value::Null),
        }
    }

    /// An optional array of strings.
    pub(super) fn opt_text_list(&self, name: &str) -> Result<Option<Vec<String>>, AdapterError> {
        match self.given(name) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    other => Err(self.wrong_type(name, "an array of strings", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.wrong_type(name, "an array of strings", other)),
            None => Ok(None),
        }
    }

    /// The optional payment fields shared by initiate and ready: `restrictions`,
    /// `merchantPaymentLabel` (null when absent) and `plannedCaptureDelay` (`None` by default).
    pub(super) fn payment_options(&self) -> Result<(Value, Value, String), AdapterError> {
        let restrictions = self.opt_object("restrictions")?;
        let label = self
            .opt_text("merchantPaymentLabel")?
            .map_or(Value::Null, |label| Value::String(label.to_string()));
        let delay = self
            .opt_text("plannedCaptureDelay")?
            .unwrap_or("None")
            .to_string();
        Ok((restrictions, label, delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: Value) -> Fields {
        match json {
            Value::Object(map) => map,
            _ => Fields::new(),
        }
    }

    #[test]
    fn missing_and_mistyped_params_are_named() {
        let given =
            fields(serde_json::json!({"posId": "p", "orderId": "o", "currencyCode": "DKK"}));
        let missing = Params::new(Operation::Pay, &given)
            .err()
            .map(|e| e.to_string());
        assert!(missing.is_some_and(|m| m.contains("`amount`")));

        let given = fields(
            serde_json::json!({"posId": "p", "orderId": "o", "amount": "100", "currencyCode": "DKK"}),
        );
        let params = Params::new(Operation::Pay, &given);
        let wrong = params
            .and_then(|p| p.amount("amount"))
            .err()
            .map(|e| e.to_string());
        assert!(wrong.is_some_and(|m| m.contains("`amount` must be a number, got a string")));
    }

    #[test]
    fn optional_payment_fields_default() -> Result<(), AdapterError> {
        let given =
            fields(serde_json::json!({"paymentId": "x", "amount": 1, "currencyCode": "DKK"}));
        let params = Params::new(Operation::Ready, &given)?;
        let (restrictions, label, delay) = params.payment_options()?;
        assert_eq!(
            (restrictions, label, delay.as_str()),
            (Value::Null, Value::Null, "None")
        );
        assert_eq!(params.opt_bool("waitForCustomer")?, None);
        Ok(())
    }
}
