//! Point-of-sale operations: `create_pos` looks the store up by brand and location (never a
//! hard-coded store id), creates the PoS under an idempotency key, and reconciles a 409 `1200`
//! by finding the existing PoS with that merchantPosId (B6, B19); `delete_pos` deletes it,
//! treating a 404 after an attempt whose outcome is unknown as "already deleted".

use serde_json::{Value, json};

use super::http::Call;
use super::params::Params;
use super::{Failure, ReferenceClient, reported};
use crate::client::protocol::Fields;
use crate::pos::ErrorCode;

/// The ids in a `{"<field>": [..]}` list answer.
pub(super) fn ids(body: &Value, field: &str) -> Vec<String> {
    body.get(field)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A result with one string field.
pub(super) fn single(name: &str, value: &str) -> Fields {
    let mut fields = Fields::new();
    fields.insert(name.to_string(), Value::String(value.to_string()));
    fields
}

/// A required string field of an answer, or a failure naming the call.
pub(super) fn required_text(body: &Value, field: &str, call: &str) -> Result<String, Failure> {
    match body.get(field).and_then(Value::as_str) {
        Some(text) => Ok(text.to_string()),
        None => reported(format!("{call} answered without `{field}`")),
    }
}

impl ReferenceClient {
    /// `create_pos` → `{posId}`.
    pub(super) async fn create_pos(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let brand = params.text("merchantBrandId")?;
        let location = params.text("merchantLocationId")?;
        let merchant_pos_id = params.text("merchantPosId")?;
        let name = params.text("name")?;
        let beacon_id = params.opt_text("beaconId")?;
        let beacon_types = params
            .opt_text_list("supportedBeaconTypes")?
            .unwrap_or_else(|| vec!["QR".to_string()]);

        let lookup = Call::get(&["stores"])
            .query("merchantBrandId", brand)
            .query("merchantLocationId", location);
        let stores = self.transport.call(&lookup).await?.success()?;
        let Some(store_id) = ids(&stores, "storeIds").into_iter().next() else {
            return reported(format!(
                "no store found for merchantBrandId {brand} and merchantLocationId {location}"
            ));
        };

        let body = json!({
            "merchantPosId": merchant_pos_id,
            "storeId": store_id,
            "name": name,
            "beaconId": beacon_id,
            "supportedBeaconTypes": beacon_types,
            "requirePaymentBeforeCheckin": false,
        });
        let create = Call::post(&["pointofsales"]).json(&body).keyed();
        let answer = self.transport.call(&create).await?;
        if answer.is_conflict(ErrorCode::MerchantPosIdTaken.code()) {
            return self.find_pos(merchant_pos_id).await;
        }
        let created = answer.success()?;
        let pos_id = required_text(&created, "posId", &create.label())?;
        Ok(single("posId", &pos_id))
    }

    /// Reconciles a 409 `1200`: the PoS with this merchantPosId already exists.
    async fn find_pos(&mut self, merchant_pos_id: &str) -> Result<Fields, Failure> {
        let lookup = Call::get(&["pointofsales"]).query("merchantPosId", merchant_pos_id);
        let found = ids(&self.transport.call(&lookup).await?.success()?, "posIds");
        match found.as_slice() {
            [pos_id] => Ok(single("posId", pos_id)),
            _ => reported(format!(
                "merchantPosId {merchant_pos_id} is taken (409 1200) but GET /pointofsales found {} PoSes with it",
                found.len()
            )),
        }
    }

    /// `delete_pos` → `{}`.
    pub(super) async fn delete_pos(&mut self, params: &Params<'_>) -> Result<Fields, Failure> {
        let pos_id = params.text("posId")?;
        let answer = self
            .transport
            .call(&Call::delete(&["pointofsales", pos_id]))
            .await?;
        if answer.status == 404 && answer.uncertain_before {
            tracing::debug!(
                pos_id,
                "404 after an unanswered DELETE: the PoS is already deleted"
            );
            return Ok(Fields::new());
        }
        answer.success()?;
        Ok(Fields::new())
    }
}
