//! The service's shared state: its options, the built-in catalogue it arms and judges from, and
//! the indexes that find a session — by id, by PoS client id, by access token. The indexes are
//! locked only to look a session up; each session's state has a lock of its own, so one busy
//! session never holds up another. Idle sessions are swept away with their tokens and
//! recordings, so a long-running `mpcert serve` stays within bounded memory. The one piece of
//! PoS state shared across sessions, the index of active beacon ids ([`Beacons`]), lives here
//! too; its lock is a leaf (see `beacons`), so lock order is: indexes or tokens or a session's
//! state, then the beacon index, and nothing is taken while the beacon index is held.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use tokio::sync::watch;

use crate::catalogue::{Catalogue, CatalogueError};
use crate::keys::PrivateKey;
use crate::secret::Secret;

use super::access::SecretDigest;
use super::beacons::Beacons;
use super::handle::SessionHandle;
use super::upstream::Upstream;

/// How long a session may stay idle before the service forgets it, by default.
pub const DEFAULT_IDLE_EXPIRY: Duration = Duration::from_secs(30 * 60);

/// How a service is set up.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// The time scale sessions run at.
    pub time_scale: f64,
    /// The token required to create sessions; `None` lets anyone who reaches the service create
    /// one.
    pub operator_token: Option<Secret>,
    /// How long a session may stay idle (real time) before it, its tokens and its recording are
    /// dropped.
    pub idle_expiry: Duration,
    /// Serve TLS with this configuration instead of plain HTTP.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Forward the PoS API and the token endpoint to this remote target instead of emulating
    /// them (a recording proxy; see `proxy`).
    pub upstream: Option<Arc<Upstream>>,
    /// Sign every certificate issued with this key.
    pub signing_key: Option<Arc<PrivateKey>>,
}

impl ServiceOptions {
    /// Options at `time_scale` with no operator token and the default idle expiry.
    pub fn new(time_scale: f64) -> Self {
        ServiceOptions {
            time_scale,
            operator_token: None,
            idle_expiry: DEFAULT_IDLE_EXPIRY,
            tls: None,
            upstream: None,
            signing_key: None,
        }
    }
}

/// An issued access token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenGrant {
    /// The session it belongs to.
    pub session_id: String,
    /// Virtual milliseconds (session clock) when it expires.
    pub expires_virtual_ms: f64,
    /// The `merchant_vat` claim, if the client asked for one.
    pub merchant_vat_claim: Option<String>,
    /// The remote target's access token this one stands for (forwarding services only).
    pub upstream_token: Option<Secret>,
}

#[derive(Debug, Default)]
struct Indexes {
    sessions: HashMap<String, Arc<SessionHandle>>,
    clients: HashMap<String, String>,
}

/// The most access tokens one session holds at once (inferred: MobilePay's tokens are JWTs
/// nothing limits, but a correct client reuses one until it nears expiry, so a few dozen cover any
/// overlap while a client asking for a token per call cannot grow the service without bound).
pub const MAX_TOKENS_PER_SESSION: usize = 64;

/// The issued access tokens, and each session's in the order they were issued.
#[derive(Debug, Default)]
struct Tokens {
    grants: HashMap<String, TokenGrant>,
    by_session: HashMap<String, VecDeque<String>>,
}

impl Tokens {
    fn issue(&mut self, token: String, grant: TokenGrant) {
        let issued = self.by_session.entry(grant.session_id.clone()).or_default();
        issued.push_back(token.clone());
        while issued.len() > MAX_TOKENS_PER_SESSION {
            if let Some(oldest) = issued.pop_front() {
                self.grants.remove(&oldest);
            }
        }
        self.grants.insert(token, grant);
    }

    /// Keeps the unexpired tokens of the sessions in `live` (session id → its virtual now).
    fn retain_live(&mut self, live: &HashMap<String, f64>) {
        self.grants.retain(|_, grant| {
            live.get(&grant.session_id)
                .is_some_and(|now| *now < grant.expires_virtual_ms)
        });
        let grants = &self.grants;
        self.by_session.retain(|session, issued| {
            issued.retain(|token| grants.contains_key(token));
            live.contains_key(session) && !issued.is_empty()
        });
        // A map keeps its capacity when entries go: after a burst of sessions its table would
        // stay allocated for the life of the service.
        if self.grants.capacity() > 4 * self.grants.len() + 64 {
            self.grants.shrink_to_fit();
        }
    }
}

/// State shared by every handler.
#[derive(Debug)]
pub struct ServiceState {
    options: ServiceOptions,
    operator: Option<SecretDigest>,
    builtin: Arc<Catalogue>,
    indexes: RwLock<Indexes>,
    tokens: Mutex<Tokens>,
    beacons: Beacons,
    evicted: watch::Sender<u64>,
}

/// The handle handlers receive.
pub type Shared = Arc<ServiceState>;

impl ServiceState {
    /// Empty state with the built-in catalogue.
    pub fn new(options: ServiceOptions) -> Result<Shared, CatalogueError> {
        let builtin = Arc::new(crate::catalogue::builtin::load()?);
        let operator = options
            .operator_token
            .as_ref()
            .map(|t| SecretDigest::of(t.expose()));
        Ok(Arc::new(ServiceState {
            options,
            operator,
            builtin,
            indexes: RwLock::new(Indexes::default()),
            tokens: Mutex::new(Tokens::default()),
            beacons: Beacons::default(),
            evicted: watch::channel(0).0,
        }))
    }

    /// The service's options.
    pub fn options(&self) -> &ServiceOptions {
        &self.options
    }

    /// The remote target this service forwards to, if it is a recording proxy.
    pub fn upstream(&self) -> Option<&Arc<Upstream>> {
        self.options.upstream.as_ref()
    }

    /// The built-in catalogue.
    pub fn builtin(&self) -> &Arc<Catalogue> {
        &self.builtin
    }

    /// The service-wide index of active beacon ids.
    pub fn beacons(&self) -> &Beacons {
        &self.beacons
    }

    /// Whether a session may be created with `presented` (the operator token, when one is set).
    pub fn may_create_sessions(&self, presented: Option<&str>) -> bool {
        match (&self.operator, presented) {
            (None, _) => true,
            (Some(operator), Some(presented)) => operator.matches(presented),
            (Some(_), None) => false,
        }
    }

    fn indexes(&self) -> std::sync::RwLockReadGuard<'_, Indexes> {
        self.indexes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn indexes_mut(&self) -> std::sync::RwLockWriteGuard<'_, Indexes> {
        self.indexes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new session.
    pub fn insert(&self, session: Arc<SessionHandle>) {
        let mut indexes = self.indexes_mut();
        indexes
            .clients
            .insert(session.client_id().to_string(), session.id().to_string());
        indexes.sessions.insert(session.id().to_string(), session);
    }

    /// A session by id.
    pub fn session(&self, id: &str) -> Option<Arc<SessionHandle>> {
        self.indexes().sessions.get(id).cloned()
    }

    /// The session whose PoS client id is `client_id`.
    pub fn session_by_client_id(&self, client_id: &str) -> Option<Arc<SessionHandle>> {
        let indexes = self.indexes();
        let id = indexes.clients.get(client_id)?;
        indexes.sessions.get(id).cloned()
    }

    /// Keeps an access token; a session's oldest token goes when it holds more than
    /// [`MAX_TOKENS_PER_SESSION`].
    pub fn issue_token(&self, token: String, grant: TokenGrant) {
        self.tokens().issue(token, grant);
    }

    /// The grant and session of a live access token.
    pub fn grant(&self, token: &str) -> Option<(TokenGrant, Arc<SessionHandle>)> {
        let grant = self.tokens().grants.get(token)?.clone();
        let session = self.session(&grant.session_id)?;
        (session.clock().virtual_ms() < grant.expires_virtual_ms).then_some((grant, session))
    }

    /// How many sessions and access tokens the service holds.
    pub fn counts(&self) -> (usize, usize) {
        (self.indexes().sessions.len(), self.tokens().grants.len())
    }

    /// Drops every session idle for longer than the idle expiry, with its tokens, recording and
    /// beacon ids, and every expired token; returns how many sessions went.
    pub fn sweep(&self) -> usize {
        let idle = self.options.idle_expiry;
        let expired: Vec<String> = self
            .indexes()
            .sessions
            .values()
            .filter(|s| s.idle_for() > idle)
            .map(|s| s.id().to_string())
            .collect();
        if !expired.is_empty() {
            let mut indexes = self.indexes_mut();
            for id in &expired {
                if let Some(session) = indexes.sessions.remove(id) {
                    indexes.clients.remove(session.client_id());
                    tracing::info!(session = %id, "idle session expired");
                }
            }
        }
        if !expired.is_empty() {
            self.beacons.release_sessions(&expired);
        }
        let live: HashMap<String, f64> = {
            let indexes = self.indexes();
            indexes
                .sessions
                .values()
                .map(|s| (s.id().to_string(), s.clock().virtual_ms()))
                .collect()
        };
        self.tokens().retain_live(&live);
        if !expired.is_empty() {
            self.evicted
                .send_modify(|count| *count += expired.len() as u64);
        }
        expired.len()
    }

    /// Counts the sessions swept away so far; changes whenever a sweep removes one.
    pub fn evictions(&self) -> watch::Receiver<u64> {
        self.evicted.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::emulator::fixtures::handle;

    fn state(idle: Duration) -> Shared {
        let mut options = ServiceOptions::new(1.0);
        options.idle_expiry = idle;
        match ServiceState::new(options) {
            Ok(state) => state,
            Err(e) => panic!("{e}"),
        }
    }

    fn grant(session: &SessionHandle) -> TokenGrant {
        TokenGrant {
            session_id: session.id().to_string(),
            expires_virtual_ms: f64::MAX,
            merchant_vat_claim: None,
            upstream_token: None,
        }
    }

    #[test]
    fn sessions_are_found_by_id_client_id_and_token() {
        let state = state(DEFAULT_IDLE_EXPIRY);
        let session = handle();
        state.insert(session.clone());
        state.issue_token("tok".into(), grant(&session));
        assert!(state.session(session.id()).is_some());
        assert!(state.session_by_client_id(session.client_id()).is_some());
        assert!(state.grant("tok").is_some());
        assert!(state.grant("other").is_none());
    }

    #[test]
    fn an_idle_session_is_swept_with_its_tokens_and_a_busy_one_stays() {
        let state = state(Duration::ZERO);
        let idle = handle();
        let busy = handle();
        state.insert(idle.clone());
        state.insert(busy.clone());
        state.issue_token("idle".into(), grant(&idle));
        state.issue_token("busy".into(), grant(&busy));
        assert!(state.beacons().claim("543210987654321", idle.id(), "p1"));
        assert!(state.beacons().claim("123456789012345", busy.id(), "p1"));
        let headers = axum::http::HeaderMap::new();
        let in_flight = crate::service::recorder::ExchangeGuard::open(
            busy.clone(),
            crate::service::recorder::Arrival {
                method: "GET",
                path: "/",
                headers: &headers,
                body: None,
                endpoint: None,
                resource_id: None,
            },
            (None, None),
        );
        let evictions = state.evictions();
        assert_eq!(state.sweep(), 1);
        assert_eq!(*evictions.borrow(), 1);
        assert!(state.session(idle.id()).is_none());
        assert!(state.session_by_client_id(idle.client_id()).is_none());
        assert!(state.grant("idle").is_none());
        assert!(state.grant("busy").is_some());
        assert_eq!(state.counts(), (1, 1));
        assert!(!state.beacons().claim("123456789012345", busy.id(), "p2"));
        assert!(state.beacons().claim("543210987654321", idle.id(), "p3"));
        drop(in_flight);
    }

    #[test]
    fn a_session_holds_a_bounded_number_of_tokens_the_newest_live() {
        let state = state(DEFAULT_IDLE_EXPIRY);
        let session = handle();
        state.insert(session.clone());
        for n in 0..10_000 {
            state.issue_token(format!("tok{n}"), grant(&session));
        }
        assert_eq!(state.counts(), (1, MAX_TOKENS_PER_SESSION));
        assert!(state.grant("tok9999").is_some());
        let oldest_kept = 10_000 - MAX_TOKENS_PER_SESSION;
        assert!(state.grant(&format!("tok{oldest_kept}")).is_some());
        assert!(state.grant(&format!("tok{}", oldest_kept - 1)).is_none());
        assert!(state.grant("tok0").is_none());
    }

    #[test]
    fn the_token_table_shrinks_once_its_sessions_are_swept() {
        let state = state(Duration::ZERO);
        let sessions: Vec<_> = (0..200).map(|_| handle()).collect();
        for session in &sessions {
            state.insert(session.clone());
            for n in 0..MAX_TOKENS_PER_SESSION {
                state.issue_token(format!("{}-{n}", session.id()), grant(session));
            }
        }
        assert!(state.tokens().grants.capacity() >= 200 * MAX_TOKENS_PER_SESSION);
        assert_eq!(state.sweep(), 200);
        assert_eq!(state.counts(), (0, 0));
        let capacity = state.tokens().grants.capacity();
        assert!(capacity <= 64, "the table kept room for {capacity} tokens");
        assert!(state.tokens().by_session.is_empty());
    }

    #[test]
    fn the_operator_token_guards_session_creation_when_set() {
        let open = state(DEFAULT_IDLE_EXPIRY);
        assert!(open.may_create_sessions(None));
        let mut options = ServiceOptions::new(1.0);
        options.operator_token = Some(Secret::new("op"));
        let guarded = match ServiceState::new(options) {
            Ok(state) => state,
            Err(e) => panic!("{e}"),
        };
        assert!(!guarded.may_create_sessions(None));
        assert!(!guarded.may_create_sessions(Some("nope")));
        assert!(guarded.may_create_sessions(Some("op")));
    }
}
