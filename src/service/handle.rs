//! One session as the registry keeps it: its identity and credentials (compared in constant
//! time, never shown again after creation), its clock, its recording and its activity, around its
//! [`Session`] state, which sits behind a lock of its own so that sessions never contend with
//! each other.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::secret::Secret;

use super::access::SecretDigest;
use super::clock::Clock;
use super::recorder::Recording;
use super::session::{Identity, Session};

/// One session as the registry keeps it.
#[derive(Debug)]
pub struct SessionHandle {
    id: String,
    identity: Identity,
    client_id: String,
    client_secret: Secret,
    token: SecretDigest,
    clock: Clock,
    state: Mutex<Session>,
    recording: Mutex<Recording>,
    recorded: Notify,
    last_used: Mutex<Instant>,
}

/// A new session's handle and the credentials to hand out once.
pub struct NewSession {
    /// The handle to register.
    pub handle: Arc<SessionHandle>,
    /// The session's bearer token.
    pub session_token: Secret,
}

impl SessionHandle {
    /// A new session with fresh credentials.
    pub fn create(identity: Identity, state: Session) -> NewSession {
        let session_token = Secret::new(format!(
            "mps_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ));
        let handle = SessionHandle {
            id: uuid::Uuid::new_v4().to_string(),
            identity,
            client_id: uuid::Uuid::new_v4().to_string(),
            client_secret: Secret::new(uuid::Uuid::new_v4().simple().to_string()),
            token: SecretDigest::of(session_token.expose()),
            clock: state.clock(),
            state: Mutex::new(state),
            recording: Mutex::new(Recording::default()),
            recorded: Notify::new(),
            last_used: Mutex::new(Instant::now()),
        };
        NewSession {
            handle: Arc::new(handle),
            session_token,
        }
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the session was opened as.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The per-session PoS client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The per-session PoS client secret, for the one answer that hands it out.
    pub fn client_secret(&self) -> &Secret {
        &self.client_secret
    }

    /// Whether `secret` is the session's PoS client secret (constant time).
    pub fn is_client_secret(&self, secret: &str) -> bool {
        SecretDigest::of(self.client_secret.expose()).matches(secret)
    }

    /// Whether `token` is the session's own bearer token (constant time).
    pub fn is_session_token(&self, token: &str) -> bool {
        self.token.matches(token)
    }

    /// The session's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Locks the session's state. A panic elsewhere cannot leave it half-updated in a way that
    /// matters to a certification, so a poisoned lock is recovered.
    pub fn state(&self) -> MutexGuard<'_, Session> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Locks the session's recording. Held only inside [`Recording`]'s own short methods, so a
    /// guard dropped anywhere can always take it.
    pub fn recording(&self) -> MutexGuard<'_, Recording> {
        self.recording
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Woken whenever an exchange of this session is recorded.
    pub fn recorded(&self) -> &Notify {
        &self.recorded
    }

    /// Notes activity now.
    pub fn touch(&self) {
        *self
            .last_used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    /// How long the session has been idle: zero while a call is in flight.
    pub fn idle_for(&self) -> Duration {
        if self.recording().in_flight() > 0 {
            return Duration::ZERO;
        }
        self.last_used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .elapsed()
    }
}
