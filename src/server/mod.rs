//! The HTTP service: the dashboard page, the JSON API, charts rendered on demand, reports
//! (PDF, Excel, CSV), health.
//!
//! Handlers read the latest job [`Snapshot`] from [`AppState`]; chart rendering runs on the
//! blocking pool, never on the async runtime. [`Application::build`] binds the listener itself
//! so tests can ask for port 0 and read back the real port. Access control, caching and the
//! upload endpoint are not here yet.

mod api;
mod charts;
mod dashboard;
mod error;
mod explain;
mod ingest;
mod params;
mod reports;
mod schedule;
pub(crate) mod sensitivity;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::job::{ReferenceData, Snapshot};
use crate::report::ReportCache;

pub use error::ApiError;
pub use schedule::spawn_source_pulls;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// Regions and framework.
    pub reference: Arc<ReferenceData>,
    snapshot: Arc<RwLock<Arc<Snapshot>>>,
    /// Rendered reports of the current scoring run.
    pub reports: ReportCache,
}

impl AppState {
    /// State answering from `snapshot`.
    pub fn new(config: Config, reference: ReferenceData, snapshot: Snapshot) -> AppState {
        AppState {
            config: Arc::new(config),
            reference: Arc::new(reference),
            snapshot: Arc::new(RwLock::new(Arc::new(snapshot))),
            reports: ReportCache::new(),
        }
    }

    /// Run the job again (ingest the activity folder's new files, score; no chart files) and
    /// answer from the new result. Concurrent calls each run; the last to finish wins, and
    /// every run reads the same store, so the result is the same.
    pub async fn rescore(&self) -> anyhow::Result<()> {
        let state = self.clone();
        let snapshot = tokio::task::spawn_blocking(move || {
            crate::job::run(&state.config, &state.reference, false)
        })
        .await??;
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snapshot);
        Ok(())
    }

    /// The latest job result. Cheap: clones an `Arc`.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means a writer panicked mid-swap; the Arc inside is still whole.
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// All routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/healthz", get(|| async { "ok" }))
        .merge(api::router())
        .merge(charts::router())
        .merge(explain::router())
        .merge(sensitivity::router())
        .merge(reports::router())
        .merge(ingest::router(
            usize::try_from(
                state
                    .config
                    .ingest
                    .max_upload_mb
                    .saturating_mul(1024 * 1024),
            )
            .unwrap_or(usize::MAX),
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("-", MatchedPath::as_str);
                tracing::info_span!("request", method = %req.method(), route, uri = %req.uri())
            }),
        )
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .with_state(state)
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Bind `state.config.bind` (port 0 picks a free port).
    pub async fn build(state: AppState) -> std::io::Result<Application> {
        let listener = TcpListener::bind(state.config.bind).await?;
        Ok(Application {
            listener,
            router: router(state),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serve until Ctrl-C or SIGTERM, then finish in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
