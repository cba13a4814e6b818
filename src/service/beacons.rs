//! The service-wide index of active beacon ids. MobilePay's beacon ids are global — a customer's
//! app resolves a beacon to exactly one point of sale — so a beacon id held by an active PoS of
//! any session is taken for every other (409 `1202`). Its lock is a leaf: it is taken only inside
//! the short methods below, which take no other lock and never wait, so it may be taken while a
//! session's lock is held (creating or deleting a PoS) and lock order stays simple: registry
//! indexes or a session's state first, then this, never the other way round.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Which PoS of which session holds a beacon id.
#[derive(Debug, Clone, PartialEq)]
struct Holder {
    session_id: String,
    pos_id: String,
}

/// Active beacon ids (lower-cased, since GUIDs compare without case) and their holders.
#[derive(Debug, Default)]
pub struct Beacons {
    held: Mutex<HashMap<String, Holder>>,
}

impl Beacons {
    fn held(&self) -> MutexGuard<'_, HashMap<String, Holder>> {
        // Every update below is a single map operation, so a poisoned lock holds a whole map.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Claims `beacon` for PoS `pos_id` of session `session_id`; false if any active PoS holds it.
    pub fn claim(&self, beacon: &str, session_id: &str, pos_id: &str) -> bool {
        let mut held = self.held();
        let key = beacon.to_ascii_lowercase();
        if held.contains_key(&key) {
            return false;
        }
        let holder = Holder {
            session_id: session_id.to_string(),
            pos_id: pos_id.to_string(),
        };
        held.insert(key, holder);
        true
    }

    /// Releases `beacon` if PoS `pos_id` of session `session_id` holds it (it was deleted).
    pub fn release(&self, beacon: &str, session_id: &str, pos_id: &str) {
        let mut held = self.held();
        let key = beacon.to_ascii_lowercase();
        if held
            .get(&key)
            .is_some_and(|h| h.session_id == session_id && h.pos_id == pos_id)
        {
            held.remove(&key);
        }
    }

    /// Releases every beacon held by the sessions `session_ids` (they expired).
    pub fn release_sessions(&self, session_ids: &[String]) {
        self.held()
            .retain(|_, holder| !session_ids.contains(&holder.session_id));
    }

    /// How many beacon ids are held.
    pub fn len(&self) -> usize {
        self.held().len()
    }

    /// Whether no beacon id is held.
    pub fn is_empty(&self) -> bool {
        self.held().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEACON: &str = "c1f0a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn a_beacon_is_held_once_across_sessions_without_case() {
        let beacons = Beacons::default();
        assert!(beacons.claim(BEACON, "s1", "p1"));
        assert!(!beacons.claim(&BEACON.to_ascii_uppercase(), "s2", "p2"));
        assert!(!beacons.claim(BEACON, "s1", "p3"));
        assert_eq!(beacons.len(), 1);
    }

    #[test]
    fn only_the_holder_releases_a_beacon() {
        let beacons = Beacons::default();
        assert!(beacons.claim(BEACON, "s1", "p1"));
        beacons.release(BEACON, "s2", "p1");
        beacons.release(BEACON, "s1", "p2");
        assert!(!beacons.claim(BEACON, "s2", "p2"));
        beacons.release(&BEACON.to_ascii_uppercase(), "s1", "p1");
        assert!(beacons.claim(BEACON, "s2", "p2"));
    }

    #[test]
    fn an_expired_session_releases_all_its_beacons() {
        let beacons = Beacons::default();
        assert!(beacons.claim("123456789012345", "s1", "p1"));
        assert!(beacons.claim(BEACON, "s1", "p2"));
        assert!(beacons.claim("543210987654321", "s2", "p3"));
        beacons.release_sessions(&["s1".to_string()]);
        assert_eq!(beacons.len(), 1);
        assert!(beacons.claim(BEACON, "s3", "p4"));
        assert!(!beacons.is_empty());
    }
}
