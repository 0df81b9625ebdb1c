//! The HTTP service: the dashboard pages, the JSON API, charts rendered on demand, reports
//! (PDF, Excel, CSV), health, readiness and metrics.
//!
//! Handlers read the latest job [`Snapshot`] from [`AppState`]; chart rendering runs on the
//! blocking pool, never on the async runtime. [`Application::build`] binds the listener itself
//! so tests can ask for port 0 and read back the real port. Every handler takes the caller's
//! [`Principal`](crate::auth::Principal) and asks it for what the route needs (see [`auth`]),
//! before any cached answer is looked up. Every error, including unknown routes, wrong
//! methods, oversized bodies and timeouts, answers with the [`ApiError`] JSON shape.

mod activities;
mod api;
pub mod auth;
pub mod cache;
mod charts;
mod error;
mod evaluation;
mod explain;
mod ingest;
pub mod metrics;
mod openapi;
mod ops;
mod pages;
mod params;
mod reports;
mod schedule;
pub(crate) mod sensitivity;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Request;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Access;
use crate::config::Config;
use crate::job::{ReferenceData, Snapshot};
use crate::report::ReportCache;

pub use cache::ResponseCache;
pub use error::ApiError;
pub use metrics::Metrics;
pub use openapi::ApiDoc;
pub use pages::{ActivityFilter, ActivityPage, Nav, activity_page};
pub use reports::prepare as prepare_reports;
pub use schedule::{JobKind, JobOutcome, run_job, spawn_schedule, spawn_source_pulls};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// Regions and framework.
    pub reference: Arc<ReferenceData>,
    /// Users, verified tokens and login sessions.
    pub access: Arc<Access>,
    snapshot: Arc<RwLock<Arc<Snapshot>>>,
    /// Rendered charts and score JSON, invalidated on every snapshot swap.
    pub cache: Arc<ResponseCache>,
    /// Request, render, cache and ingest counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Held while a job runs, so scheduled and on-demand runs take turns.
    job_lock: Arc<tokio::sync::Mutex<()>>,
    /// Rendered reports of the current scoring run.
    pub reports: ReportCache,
    /// The database, when the server has one (evaluation rounds live there).
    pub db: Option<crate::db::Db>,
    /// Evaluation rounds on that database.
    pub evaluation: Option<Arc<crate::evaluation::Evaluation>>,
}

impl AppState {
    /// State answering from `snapshot`.
    pub fn new(config: Config, reference: ReferenceData, snapshot: Snapshot) -> AppState {
        let metrics = Metrics::default();
        observe_job_ingest(&metrics, &snapshot);
        AppState {
            access: Arc::new(Access::new(config.access.clone())),
            cache: Arc::new(ResponseCache::new(&config.cache)),
            metrics: Arc::new(metrics),
            job_lock: Arc::default(),
            config: Arc::new(config),
            reference: Arc::new(reference),
            snapshot: Arc::new(RwLock::new(Arc::new(snapshot))),
            reports: ReportCache::new(),
            db: None,
            evaluation: None,
        }
    }

    /// The same state with evaluation rounds on `evaluation`'s database.
    pub fn with_evaluation(&self, evaluation: crate::evaluation::Evaluation) -> AppState {
        let mut state = self.clone();
        state.db = Some(evaluation.db().clone());
        state.evaluation = Some(Arc::new(evaluation));
        state
    }

    /// The same snapshot, reference data, cache and metrics under other access settings (a
    /// public and a closed server side by side, say). Sessions and verified tokens start empty.
    pub fn with_access(&self, settings: crate::auth::AccessSettings) -> AppState {
        let mut config = (*self.config).clone();
        config.access = settings;
        AppState {
            access: Arc::new(Access::new(config.access.clone())),
            config: Arc::new(config),
            reference: self.reference.clone(),
            snapshot: self.snapshot.clone(),
            cache: self.cache.clone(),
            metrics: self.metrics.clone(),
            job_lock: self.job_lock.clone(),
            reports: self.reports.clone(),
            db: self.db.clone(),
            evaluation: self.evaluation.clone(),
        }
    }

    /// Answer from `snapshot` from now on: swap it in, then drop every cached response made
    /// from the old one. The only way a snapshot is replaced.
    pub fn swap(&self, snapshot: Snapshot) {
        observe_job_ingest(&self.metrics, &snapshot);
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snapshot);
        self.cache.invalidate();
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
        self.swap(snapshot);
        let state = self.clone();
        tokio::task::spawn_blocking(move || reports::prepare(&state));
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

/// The rows a job run read from the activity folder count as ingested.
fn observe_job_ingest(metrics: &Metrics, snapshot: &Snapshot) {
    let r = &snapshot.report;
    metrics.observe_ingest(r.files.len(), r.accepted(), r.rejected());
}

/// All routes.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let timeout = state.config.request_timeout;
    let max_upload = usize::try_from(
        state
            .config
            .ingest
            .max_upload_mb
            .saturating_mul(1024 * 1024),
    )
    .unwrap_or(usize::MAX);
    // Evidence files over the limit are read (up to 1 MiB more) so the workflow can refuse them
    // with a message naming the file and the limit; larger bodies stop at the body limit.
    let max_evidence = usize::try_from(
        state
            .evaluation
            .as_ref()
            .map_or(0, |e| e.max_evidence_bytes())
            .saturating_add(1024 * 1024),
    )
    .unwrap_or(usize::MAX);
    Router::new()
        .merge(ops::router())
        .merge(auth::router())
        .merge(api::router().merge(activities::router()).route_layer(
            axum::middleware::from_fn_with_state(state.clone(), auth::api_guard),
        ))
        .merge(charts::router())
        .merge(explain::router())
        .merge(sensitivity::router())
        .merge(openapi::router())
        .merge(reports::router())
        // Uploads have their own, larger limit (below); everything else takes small bodies.
        .layer(RequestBodyLimitLayer::new(max_body))
        .merge(ingest::router(max_upload))
        .merge(pages::router(max_upload))
        .merge(evaluation::router(max_evidence))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        // Layers run outermost last: compression wraps everything; the metrics see the
        // final status, including 408s from the time limit and 413s from the body limit.
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
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
        // gzip and brotli for HTML, JSON, CSV and SVG; PNG and tiny bodies are left alone
        // (tower-http's default predicate skips raster images and bodies under 32 bytes).
        .layer(CompressionLayer::new().gzip(true).br(true))
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
