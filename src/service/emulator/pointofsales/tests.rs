//! Tests of `pointofsales`.

use serde_json::{Value, json};

use super::*;
use crate::pos::Endpoint;
use crate::pos::constants::CERT_STORE_ID;
use crate::service::beacons::Beacons;
use crate::service::emulator::fixtures::{
    Call, OTHER_VAT, TestResult, VAT, acting_for, caller, code, create_pos, json_of, new_pos,
    pos_body, session, text,
};

const BEACON: &str = "c1f0a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

fn with(field: &str, value: Value) -> Value {
    let mut body = pos_body("till-1");
    body[field] = value;
    body
}

fn get_pos(session: &Session, id: &str) -> ApiAnswer {
    get(
        session,
        &acting_for(VAT),
        &Call::new(Endpoint::GetPos).id(id).request(),
    )
}

fn delete_pos(session: &mut Session, id: &str) -> ApiAnswer {
    delete(
        session,
        &acting_for(VAT),
        &Call::new(Endpoint::DeletePos).id(id).request(),
    )
}

fn list_ids(session: &Session, query_string: &str) -> Result<Vec<String>, String> {
    let call = Call::new(Endpoint::GetPosWithFilter).query(query_string);
    let body = json_of(list(session, &acting_for(VAT), &call.request()))?;
    let ids = body
        .get("posIds")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no posIds in {body}"))?;
    Ok(ids
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect())
}

#[test]
fn create_stores_the_pos_and_get_reads_it_back() -> TestResult {
    let mut session = session();
    let mut body = pos_body("till-1");
    body["beaconId"] = json!(BEACON);
    body["callbackAlias"] = json!("alias-1");
    body["supportedBeaconTypes"] = json!(["QR", "NFC"]);
    let id = text(&json_of(create_pos(&mut session, &body))?, "posId")?;
    let answer = json_of(get_pos(&session, &id))?;
    assert_eq!(
        answer,
        json!({
            "posId": id,
            "merchantPosId": "till-1",
            "storeId": CERT_STORE_ID,
            "name": "Till 7",
            "beaconId": BEACON,
            "callbackAlias": "alias-1",
            "supportedBeaconTypes": ["QR", "NFC"],
            "requirePaymentBeforeCheckin": false,
        })
    );
    Ok(())
}

#[test]
fn a_generated_beacon_id_is_a_guid() -> TestResult {
    let mut session = session();
    let id = new_pos(&mut session, "till-1")?;
    let beacon = text(&json_of(get_pos(&session, &id))?, "beaconId")?;
    assert!(
        validate::is_guid(&beacon),
        "beaconId {beacon} is not a GUID"
    );
    Ok(())
}

#[test]
fn merchant_pos_id_and_name_are_validated() {
    let mut session = session();
    for (field, value, expected) in [
        ("merchantPosId", json!(""), "1111"),
        ("merchantPosId", json!("x".repeat(37)), "1111"),
        ("merchantPosId", json!("tab\there"), "1111"),
        ("name", json!(""), "1112"),
        ("name", json!("n".repeat(37)), "1112"),
        ("name", json!("emoji 😀"), "1112"),
    ] {
        let answer = create_pos(&mut session, &with(field, value.clone()));
        assert_eq!(code(&answer), Some(expected), "{field} = {value}");
    }
    assert!(session.world().points_of_sale.is_empty());
}

#[test]
fn beacon_ids_are_fifteen_digits_or_guids() -> TestResult {
    let mut session = session();
    for bad in ["12345678901234", "1234567890123456", "beacon-1", ""] {
        let answer = create_pos(&mut session, &with("beaconId", json!(bad)));
        assert_eq!(code(&answer), Some("1100"), "beaconId {bad:?}");
    }
    json_of(create_pos(
        &mut session,
        &with("beaconId", json!("123456789012345")),
    ))?;
    Ok(())
}

#[test]
fn the_callback_alias_is_validated() {
    let mut session = session();
    let answer = create_pos(&mut session, &with("callbackAlias", json!("a".repeat(37))));
    assert_eq!(code(&answer), Some("1116"));
}

#[test]
fn beacon_types_must_be_a_non_empty_set_of_known_types() {
    let mut session = session();
    for types in [
        json!([]),
        json!(["QR", "QR"]),
        json!(["BluetoothOther"]),
        json!(["BluetoothMP1"]),
    ] {
        let answer = create_pos(&mut session, &with("supportedBeaconTypes", types.clone()));
        assert_eq!(code(&answer), Some("1099"), "supportedBeaconTypes {types}");
    }
}

#[test]
fn malformed_bodies_are_1099() {
    let mut session = session();
    let answer = create_pos(&mut session, &with("storeId", json!("not-a-guid")));
    assert_eq!(code(&answer), Some("1099"));
    let answer = create_pos(&mut session, &with("calibrationType", json!(3)));
    assert_eq!(code(&answer), Some("1099"));
    let call = Call::new(Endpoint::CreatePos).raw_body("{");
    assert_eq!(
        code(&create(&mut session, &acting_for(VAT), &call.request())),
        Some("1099")
    );
}

#[test]
fn an_unknown_store_is_1002() {
    let mut session = session();
    let answer = create_pos(
        &mut session,
        &with("storeId", json!("00000000-0000-4000-8000-000000000000")),
    );
    assert_eq!(code(&answer), Some("1002"));
}

#[test]
fn another_merchants_store_is_1403() {
    let mut session = session();
    let call = Call::new(Endpoint::CreatePos).body(&pos_body("till-1"));
    assert_eq!(
        code(&create(
            &mut session,
            &acting_for(OTHER_VAT),
            &call.request()
        )),
        Some("1403")
    );
    assert!(session.world().points_of_sale.is_empty());
}

#[test]
fn the_store_id_is_compared_without_case() -> TestResult {
    let mut session = session();
    let body = with("storeId", json!(CERT_STORE_ID.to_ascii_uppercase()));
    json_of(create_pos(&mut session, &body))?;
    Ok(())
}

#[test]
fn a_merchant_pos_id_is_unique_among_active_points_of_sale() -> TestResult {
    let mut session = session();
    let first = new_pos(&mut session, "till-1")?;
    assert_eq!(
        code(&create_pos(&mut session, &pos_body("till-1"))),
        Some("1200")
    );
    assert_eq!(delete_pos(&mut session, &first), Ok(None));
    let second = new_pos(&mut session, "till-1")?;
    assert_ne!(first, second);
    Ok(())
}

#[test]
fn a_beacon_id_is_unique_among_active_points_of_sale() -> TestResult {
    let mut session = session();
    let beacons = Beacons::default();
    let dk = caller(VAT, &beacons);
    let create_with = |session: &mut Session, body: &Value| {
        create(
            session,
            &dk,
            &Call::new(Endpoint::CreatePos).body(body).request(),
        )
    };
    let mut body = with("beaconId", json!(BEACON));
    let first = text(&json_of(create_with(&mut session, &body))?, "posId")?;
    body["merchantPosId"] = json!("till-2");
    body["beaconId"] = json!(BEACON.to_ascii_uppercase());
    assert_eq!(code(&create_with(&mut session, &body)), Some("1202"));
    let delete_call = Call::new(Endpoint::DeletePos).id(&first);
    assert_eq!(delete(&mut session, &dk, &delete_call.request()), Ok(None));
    json_of(create_with(&mut session, &body))?;
    Ok(())
}

#[test]
fn a_refused_create_holds_no_beacon() -> TestResult {
    let mut session = session();
    let beacons = Beacons::default();
    let mut body = with("beaconId", json!(BEACON));
    body["storeId"] = json!("00000000-0000-4000-8000-000000000000");
    let call = Call::new(Endpoint::CreatePos).body(&body);
    let answer = create(&mut session, &caller(VAT, &beacons), &call.request());
    assert_eq!(code(&answer), Some("1002"));
    assert!(beacons.is_empty());
    Ok(())
}

#[test]
fn listing_needs_a_filter() {
    let session = session();
    let call = Call::new(Endpoint::GetPosWithFilter);
    assert_eq!(
        code(&list(&session, &acting_for(VAT), &call.request())),
        Some("1121")
    );
}

#[test]
fn listing_filters_active_points_of_sale() -> TestResult {
    let mut session = session();
    let first = new_pos(&mut session, "till-1")?;
    let second = new_pos(&mut session, "till-2")?;
    let deleted = new_pos(&mut session, "till-3")?;
    assert_eq!(delete_pos(&mut session, &deleted), Ok(None));
    let beacon = text(&json_of(get_pos(&session, &second))?, "beaconId")?;
    assert_eq!(
        list_ids(&session, &format!("storeId={CERT_STORE_ID}"))?,
        vec![first.clone(), second.clone()]
    );
    assert_eq!(list_ids(&session, "merchantPosId=till-1")?, vec![first]);
    assert_eq!(
        list_ids(&session, "merchantPosId=till-3")?,
        Vec::<String>::new()
    );
    assert_eq!(
        list_ids(
            &session,
            &format!("beaconId={}", beacon.to_ascii_uppercase())
        )?,
        vec![second.clone()]
    );
    assert_eq!(
        list_ids(&session, &format!("beaconId={beacon}&merchantPosId=till-1"))?,
        Vec::<String>::new()
    );
    Ok(())
}

#[test]
fn delete_is_idempotent_and_hides_the_pos() -> TestResult {
    let mut session = session();
    let id = new_pos(&mut session, "till-1")?;
    assert_eq!(delete_pos(&mut session, &id), Ok(None));
    assert_eq!(delete_pos(&mut session, &id), Ok(None));
    assert_eq!(get_pos(&session, &id), Err(ApiError::NotFound));
    Ok(())
}

#[test]
fn unknown_points_of_sale_are_404() {
    let mut session = session();
    let unknown = "6b1e7c55-2f0a-4f3e-a1d4-0c9b8e7f6a21";
    assert_eq!(get_pos(&session, unknown), Err(ApiError::NotFound));
    assert_eq!(delete_pos(&mut session, unknown), Err(ApiError::NotFound));
}
