//! Points of sale (domain reference §3.2): create with every field rule and uniqueness among
//! active PoSes, look up by filter or id, and delete. A PoS is immutable; deleting keeps its
//! record so a repeated DELETE by the same integrator is answered 200 [I].

use serde_json::json;

use crate::pos::dto::{CreatePosRequest, PosResponse};
use crate::pos::validate;
use crate::pos::{ApiError, ErrorCode};
use crate::service::session::{PointOfSale, Session};

use super::stores::{cert_store, owns_cert_store};
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
pub fn create(session: &mut Session, vat: &str, request: &ApiRequest<'_>) -> ApiAnswer {
    let body: CreatePosRequest = parse_body(request.body)?;
    check(&body)?;
    if !body.store_id.eq_ignore_ascii_case(&cert_store().store_id) {
        return Err(ErrorCode::StoreNotFound.into());
    }
    if !owns_cert_store(vat) {
        return Err(ErrorCode::StoreOfOtherMerchant.into());
    }
    let active = || session.points_of_sale.values().filter(|p| !p.deleted);
    if active().any(|p| p.merchant_pos_id == body.merchant_pos_id) {
        return Err(ErrorCode::MerchantPosIdTaken.into());
    }
    if let Some(beacon) = &body.beacon_id {
        if active().any(|p| p.beacon_id.eq_ignore_ascii_case(beacon)) {
            return Err(ErrorCode::BeaconIdTaken.into());
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let created_seq = session.next_created_seq();
    let pos = PointOfSale {
        id: id.clone(),
        merchant_pos_id: body.merchant_pos_id,
        store_id: cert_store().store_id,
        name: body.name,
        beacon_id: body
            .beacon_id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        callback_alias: body.callback_alias,
        supported_beacon_types: body.supported_beacon_types,
        require_payment_before_checkin: body.require_payment_before_checkin.unwrap_or(false),
        deleted: false,
        created_seq,
    };
    session.points_of_sale.insert(id.clone(), pos);
    Ok(Some(json!({ "posId": id })))
}

/// `GET /pointofsales?storeId=&beaconId=&merchantPosId=`.
pub fn list(session: &Session, request: &ApiRequest<'_>) -> ApiAnswer {
    let store = query::get(&request.query, "storeId");
    let beacon = query::get(&request.query, "beaconId");
    let merchant_pos_id = query::get(&request.query, "merchantPosId");
    if store.is_none() && beacon.is_none() && merchant_pos_id.is_none() {
        return Err(ErrorCode::PosFilterTooWide.into());
    }
    let mut hits: Vec<&PointOfSale> = session
        .points_of_sale
        .values()
        .filter(|p| !p.deleted)
        .filter(|p| store.is_none_or(|s| p.store_id.eq_ignore_ascii_case(s)))
        .filter(|p| beacon.is_none_or(|b| p.beacon_id.eq_ignore_ascii_case(b)))
        .filter(|p| merchant_pos_id.is_none_or(|m| p.merchant_pos_id == m))
        .collect();
    hits.sort_by_key(|p| p.created_seq);
    let ids: Vec<&str> = hits.iter().map(|p| p.id.as_str()).collect();
    Ok(Some(json!({ "posIds": ids })))
}

fn find<'a>(session: &'a Session, request: &ApiRequest<'_>) -> Option<&'a PointOfSale> {
    request
        .resource_id
        .and_then(|id| session.points_of_sale.get(&id.to_ascii_lowercase()))
}

/// `GET /pointofsales/{posid}`.
pub fn get(session: &Session, request: &ApiRequest<'_>) -> ApiAnswer {
    let pos = find(session, request)
        .filter(|p| !p.deleted)
        .ok_or(ApiError::NotFound)?;
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
pub fn delete(session: &mut Session, request: &ApiRequest<'_>) -> ApiAnswer {
    let id = find(session, request)
        .map(|p| p.id.clone())
        .ok_or(ApiError::NotFound)?;
    if let Some(pos) = session.points_of_sale.get_mut(&id) {
        pos.deleted = true;
    }
    Ok(None)
}
