//! The certification service: an emulation of MobilePay's self-certification backend. It serves
//! the integrator-authentication token endpoint, the PoS v10 API (state machines, validation,
//! idempotency, `pollDelayInMs`, the scripted customer and injected faults), the sandbox's user
//! simulation (a developer playing the customer by hand) and our session API,
//! records every exchange server-side, and runs on a clock whose time scale compresses every
//! mandated delay. It runs in-process on `127.0.0.1:0` by default, or standalone via
//! `mpcert serve`. Submodules: `wire` (the session API's bodies), `api` (its handlers), `access`
//! (operator and session tokens), `registry` (finding and expiring sessions), `beacons` (the
//! service-wide beacon index), `merchants` (the certification merchants), `handle` (one session as
//! the registry keeps it: identity, credentials, recording), `session` (its state and case
//! lifecycle), `world` (its emulated PoS data), `arm` (arming a case), `customer` (the simulated
//! customer), `verdicts` (judging a finished case), `certify` (issuing the certificate), `recorder`
//! (bounded recording), `clock`. For a remote PoS target it is a recording proxy: `upstream`
//! (the target and the HTTPS client that reaches it) and `proxy` (forwarding the token endpoint
//! and the PoS API in place of the emulator). `tls` serves HTTPS (`mpcert serve --tls-cert`).

pub mod access;
pub mod api;
pub mod arm;
pub mod beacons;
pub mod certify;
pub mod clock;
pub mod customer;
pub mod emulator;
pub mod handle;
pub mod merchants;
pub mod pacing;
pub mod proxy;
pub mod recorder;
pub mod registry;
pub mod session;
pub mod tls;
pub mod upstream;
pub mod verdicts;
pub mod wire;
pub mod world;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::pos::usersim::USER_SIMULATION_PREFIX;
use api::SESSION_API_PREFIX;
use registry::{ServiceState, Shared};

pub use registry::ServiceOptions;

/// The service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address cannot be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The built-in catalogue does not load (a defect of this build).
    #[error("the built-in catalogue is invalid")]
    Catalogue(#[source] crate::catalogue::CatalogueError),
}

/// The service's routes over shared state.
pub fn router(state: Shared) -> Router {
    let sessions = format!("{SESSION_API_PREFIX}/sessions");
    Router::new()
        .route(emulator::auth::TOKEN_PATH, post(emulator::auth::token))
        .route(
            &format!("{}/{{*rest}}", emulator::API_PREFIX),
            any(emulator::handle),
        )
        .route(
            &format!("{USER_SIMULATION_PREFIX}/{{operation}}"),
            post(emulator::usersim::handle),
        )
        .route(&sessions, post(api::create))
        .route(&format!("{sessions}/{{id}}"), get(api::summary))
        .route(
            &format!("{sessions}/{{id}}/cases/{{category}}/{{case}}/start"),
            post(api::start_case),
        )
        .route(
            &format!("{sessions}/{{id}}/steps/{{index}}/begin"),
            post(api::begin_step),
        )
        .route(&format!("{sessions}/{{id}}/steps/end"), post(api::end_step))
        .route(&format!("{sessions}/{{id}}/finish"), post(api::finish_case))
        .route(
            &format!("{sessions}/{{id}}/certificate"),
            get(api::certificate),
        )
        .with_state(state)
}

/// A service running in the background of this process.
pub struct RunningService {
    /// The address it listens on.
    pub addr: SocketAddr,
    state: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningService {
    /// The base URL, e.g. `http://127.0.0.1:40123` (`https://` when it serves TLS).
    pub fn url(&self) -> String {
        let scheme = if self.state.options().tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The service's shared state (for inspection: session and token counts, evictions).
    pub fn state(&self) -> &Shared {
        &self.state
    }

    /// Stops the service and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// The server's future, over plain TCP or TLS.
type Served = std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>>;

/// How often idle sessions are looked for: often enough that none outlives its expiry by much.
fn sweep_interval(idle_expiry: Duration) -> Duration {
    (idle_expiry / 4).clamp(Duration::from_millis(10), Duration::from_secs(60))
}

/// Binds `addr` (port 0 for an ephemeral port) and serves in the background. The listener is
/// bound before this returns, so the service is ready as soon as the caller has the address.
pub async fn start(
    addr: SocketAddr,
    options: ServiceOptions,
) -> Result<RunningService, StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| StartError::Listen { addr, source })?;
    let (shutdown, signal) = oneshot::channel::<()>();
    let interval = sweep_interval(options.idle_expiry);
    let state = ServiceState::new(options).map_err(StartError::Catalogue)?;
    let app = router(state.clone());
    let janitor = state.clone();
    let tls = state.options().tls.clone();
    let task = tokio::spawn(async move {
        let sweeping = async {
            let mut ticks = tokio::time::interval(interval);
            loop {
                ticks.tick().await;
                janitor.sweep();
            }
        };
        let stopped = async {
            let _ = signal.await;
        };
        let served: Served = match tls {
            Some(config) => Box::pin(
                axum::serve(tls::TlsListener::new(listener, config), app)
                    .with_graceful_shutdown(stopped)
                    .into_future(),
            ),
            None => Box::pin(
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .into_future(),
            ),
        };
        tokio::select! {
            served = served => {
                if let Err(e) = served {
                    tracing::error!(error = %e, "certification service stopped");
                }
            }
            () = sweeping => {}
        }
    });
    Ok(RunningService {
        addr: bound,
        state,
        shutdown: Some(shutdown),
        task,
    })
}
