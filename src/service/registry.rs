//! The service's shared state: every session and every issued access token, behind one lock.
//! Handlers take the lock briefly and never hold it across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::session::Session;

/// An issued access token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenGrant {
    /// The session it belongs to.
    pub session_id: String,
    /// Virtual milliseconds (session clock) when it expires.
    pub expires_virtual_ms: f64,
    /// The `merchant_vat` claim, if the client asked for one.
    pub merchant_vat_claim: Option<String>,
}

/// Sessions and tokens.
#[derive(Debug, Default)]
pub struct Registry {
    /// Sessions by id.
    pub sessions: BTreeMap<String, Session>,
    /// Tokens by value.
    pub tokens: HashMap<String, TokenGrant>,
}

impl Registry {
    /// The session whose client id is `client_id`.
    pub fn session_by_client_id(&mut self, client_id: &str) -> Option<&mut Session> {
        self.sessions
            .values_mut()
            .find(|s| s.client_id == client_id)
    }
}

/// State shared by every handler.
#[derive(Debug)]
pub struct ServiceState {
    registry: Mutex<Registry>,
    /// The time scale new sessions run at.
    pub time_scale: f64,
    /// Woken whenever an exchange is recorded.
    pub exchange_recorded: Notify,
}

/// The handle handlers receive.
pub type Shared = Arc<ServiceState>;

impl ServiceState {
    /// Empty state at a time scale.
    pub fn new(time_scale: f64) -> Shared {
        Arc::new(ServiceState {
            registry: Mutex::new(Registry::default()),
            time_scale,
            exchange_recorded: Notify::new(),
        })
    }

    /// Locks the registry. A panic elsewhere cannot leave the maps half-updated in a way that
    /// matters to a certification, so a poisoned lock is recovered rather than propagated.
    pub fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
