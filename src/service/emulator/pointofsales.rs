//! Points of sale (domain reference §3.2): create with every field rule and uniqueness among
//! active PoSes (`merchantPosId` per merchant, `beaconId` across the whole service), look up by
//! filter or id, and delete — each only for the merchant that owns the PoS's store. A PoS is
//! immutable; deleting keeps its record so a repeated DELETE by the same integrator is answered
//! 200 (inferred), and frees its beacon id for any session.

use serde_json::json;

use crate::pos::dto::{CreatePosRequest, PosResponse};
use crate::pos::validate;
use crate::pos::{ApiError, ErrorCode};
use crate::service::merchants;
use crate::service::session::Session;
use crate::service::world::PointOfSale;

use super::scope::{self, Caller};
use super::{ApiAnswer, ApiRequest, parse_body, query};

fn check(request: &CreatePosRequest) -> Result<(), ErrorCode> {
    if !validate::is_valid_text(&request.merchant_pos_id, 1, 36) {
        return Err(ErrorCode::InvalidMerchantPosId);
    }
    if !validate::is_valid_text(&request.name, 1, 36) {
        return Err(ErrorCode::InvalidPosName);
    }
    if let Some(beacon) = &request.beacon_id {
        if !validate::is_valid_beacon_id(beacon) {
            return Err(ErrorCode::InvalidBeaconId);
        }
    }
    if let Some(alias) = &request.callback_alias {
        if !validate::is_valid_text(alias, 0, 36) {
            return Err(ErrorCode::InvalidCallbackAlias);
        }
    }
    let types = &request.supported_beacon_types;
    let mut unique = types.clone();
    unique.sort();
    unique.dedup();
    if types.is_empty() || unique.len() != types.len() || !validate::is_guid(&request.store_id) {
        return Err(ErrorCode::BadRequest);
    }
    Ok(())
}

/// `POST /pointofsales`.
pub fn create(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: CreatePosRequest = parse_body(request.body)?;
    check(&body)?;
    let merchant = merchants::by_store_id(&body.store_id).ok_or(ErrorCode::StoreNotFound)?;
    if merchant.vat != caller.vat {
        return Err(ErrorCode::StoreOfOtherMerchant.into());
    }
    if session.world().points_of_sale.values().any(|p| {
        !p.deleted && p.merchant_vat == caller.vat && p.merchant_pos_id == body.merchant_pos_id
    }) {
        return Err(ErrorCode::MerchantPosIdTaken.into());
    }
    let id = uuid::Uuid::new_v4().to_string();
    let beacon_id = body
        .beacon_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // Claimed last, so a refusal above never holds a beacon id.
    if !caller.beacons.claim(&beacon_id, caller.session_id, &id) {
        return Err(ErrorCode::BeaconIdTaken.into());
    }
    let created_seq = session.world_mut().next_created_seq();
    let pos = PointOfSale {
        id: id.clone(),
        merchant_pos_id: body.merchant_pos_id,
        store_id: merchant.store_id.to_string(),
        merchant_vat: merchant.vat.to_string(),
        name: body.name,
        beacon_id,
        callback_alias: body.callback_alias,
        supported_beacon_types: body.supported_beacon_types,
        require_payment_before_checkin: body.require_payment_before_checkin.unwrap_or(false),
        deleted: false,
        created_seq,
    };
    session.world_mut().points_of_sale.insert(id.clone(), pos);
    Ok(Some(json!({ "posId": id })))
}

/// `GET /pointofsales?storeId=&beaconId=&merchantPosId=`: the merchant's active PoSes only.
pub fn list(session: &Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let store = query::get(&request.query, "storeId");
    let beacon = query::get(&request.query, "beaconId");
    let merchant_pos_id = query::get(&request.query, "merchantPosId");
    if store.is_none() && beacon.is_none() && merchant_pos_id.is_none() {
        return Err(ErrorCode::PosFilterTooWide.into());
    }
    let mut hits: Vec<&PointOfSale> = session
        .world()
        .points_of_sale
        .values()
        .filter(|p| !p.deleted && p.merchant_vat == caller.vat)
        .filter(|p| store.is_none_or(|s| p.store_id.eq_ignore_ascii_case(s)))
        .filter(|p| beacon.is_none_or(|b| p.beacon_id.eq_ignore_ascii_case(b)))
        .filter(|p| merchant_pos_id.is_none_or(|m| p.merchant_pos_id == m))
        .collect();
    hits.sort_by_key(|p| p.created_seq);
    let ids: Vec<&str> = hits.iter().map(|p| p.id.as_str()).collect();
    Ok(Some(json!({ "posIds": ids })))
}

/// `GET /pointofsales/{posid}`.
pub fn get(session: &Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let pos = scope::pos(
        session.world(),
        caller,
        request.resource_id,
        ErrorCode::GetPosOfOtherMerchant,
    )?;
    if pos.deleted {
        return Err(ApiError::NotFound);
    }
    let response = PosResponse {
        pos_id: pos.id.clone(),
        merchant_pos_id: pos.merchant_pos_id.clone(),
        store_id: pos.store_id.clone(),
        name: pos.name.clone(),
        beacon_id: pos.beacon_id.clone(),
        callback_alias: pos.callback_alias.clone(),
        supported_beacon_types: pos.supported_beacon_types.clone(),
        require_payment_before_checkin: pos.require_payment_before_checkin,
    };
    serde_json::to_value(response)
        .map(Some)
        .map_err(|_| ErrorCode::Internal.into())
}

/// `DELETE /pointofsales/{posid}`.
pub fn delete(session: &mut Session, caller: &Caller<'_>, request: &ApiRequest<'_>) -> ApiAnswer {
    let pos = scope::pos(
        session.world(),
        caller,
        request.resource_id,
        ErrorCode::DeletePosOfOtherMerchant,
    )?;
    let (id, beacon) = (pos.id.clone(), pos.beacon_id.clone());
    caller.beacons.release(&beacon, caller.session_id, &id);
    if let Some(pos) = session.world_mut().points_of_sale.get_mut(&id) {
        pos.deleted = true;
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
