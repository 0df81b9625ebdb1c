//! The HTTP service: the dashboard pages, the JSON API, charts rendered on demand, reports
//! (PDF, Excel, CSV), health, readiness and metrics.
//!
//! Handlers read the latest job [`Snapshot`] from [`AppState`]; chart rendering runs on the
//! blocking pool, never on the async runtime. [`Application::build`] binds the listener itself
//! so tests can ask for port 0 and read back the real port. Every handler takes the caller's
//! [`Principal`](crate::auth::Principal) and asks it for what the route needs (see [`auth`]),
//! before any cached answer is looked up. Every error, including unknown routes, wrong
//! methods, oversized bodies and timeouts, answers with the [`ApiError`] JSON shape.

pub mod access;
mod activities;
mod api;
mod app;
pub mod auth;
pub mod cache;
mod charts;
mod error;
mod evaluation;
mod explain;
mod headers;
mod ingest;
pub mod metrics;
mod openapi;
mod ops;
mod pages;
mod params;
mod reports;
pub mod routes;
mod schedule;
pub(crate) mod sensitivity;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Request;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Access;
use crate::config::Config;
use crate::job::{ReferenceData, Snapshot};
use crate::report::ReportCache;

pub use app::{Application, StartError, open_evaluation};
pub use cache::ResponseCache;
pub use error::ApiError;
pub use metrics::Metrics;
pub use openapi::{ApiDoc, json as openapi_json};
pub use pages::Nav;
pub use reports::prepare as prepare_reports;
pub use schedule::{
    JobKind, JobOutcome, run_job, spawn_schedule, spawn_source_pulls, spawn_store_follow,
};

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
    /// State answering from `snapshot`, with `access` deciding who is asking.
    pub fn new(
        config: Config,
        reference: ReferenceData,
        snapshot: Snapshot,
        access: Access,
    ) -> AppState {
        let metrics = Metrics::default();
        observe_job_ingest(&metrics, &snapshot);
        AppState {
            access: Arc::new(access),
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
    .unwrap_or(usize::MAX)
    // Evidence files come through the same upload limit; a multipart body carries a little
    // more than its file, and the evaluation's own limit answers with the clearer message.
    .max(
        usize::try_from(state.config.evaluation.max_evidence_bytes + 1024 * 1024)
            .unwrap_or(usize::MAX),
    );
    routes::router(max_body, max_upload)
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
        .layer(axum::middleware::from_fn(headers::add_security_headers))
        // gzip and brotli for HTML, JSON, CSV and SVG; PNG and tiny bodies are left alone
        // (tower-http's default predicate skips raster images and bodies under 32 bytes).
        .layer(CompressionLayer::new().gzip(true).br(true))
        .with_state(state)
}
