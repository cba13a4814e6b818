//! The certification service: an emulation of MobilePay's self-certification backend. It serves
//! the integrator-authentication token endpoint, the PoS v10 API (state machines, validation,
//! idempotency, `pollDelayInMs`, the scripted customer and injected faults) and our session API,
//! records every exchange server-side, and runs on a clock whose time scale compresses every
//! mandated delay. It runs in-process on `127.0.0.1:0` by default, or standalone via
//! `mpcert serve`.

pub mod api;
pub mod clock;
pub mod emulator;
pub mod pacing;
pub mod recorder;
pub mod registry;
pub mod script;
pub mod session;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::{any, get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use api::SESSION_API_PREFIX;
use registry::{ServiceState, Shared};

/// The service could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}")]
pub struct StartError {
    /// The address asked for.
    pub addr: SocketAddr,
    /// Why.
    #[source]
    pub source: std::io::Error,
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
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningService {
    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the service and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds `addr` (port 0 for an ephemeral port) and serves in the background. The listener is
/// bound before this returns, so the service is ready as soon as the caller has the address.
pub async fn start(addr: SocketAddr, time_scale: f64) -> Result<RunningService, StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| StartError { addr, source })?;
    let (shutdown, signal) = oneshot::channel::<()>();
    let app = router(ServiceState::new(time_scale));
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = signal.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "certification service stopped");
        }
    });
    Ok(RunningService {
        addr: bound,
        shutdown: Some(shutdown),
        task,
    })
}
