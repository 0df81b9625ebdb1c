//! Operations routes: `/healthz` (the process answers), `/readyz` (it can serve real answers),
//! `/metrics` (Prometheus text), `POST /api/v1/jobs/run` (run a job now), and the JSON answers
//! for unknown routes and wrong methods.
//!
//! Job runs are for admins only (a session or an API token).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::error_response;
use super::routes::{Reads, Route, get, post};
use super::schedule::{JobKind, JobOutcome, run_job};
use super::{ApiError, AppState, metrics};
use crate::auth::{Capability, Principal};
use crate::store::Store;

/// The operations routes.
pub(super) fn routes() -> Vec<Route> {
    vec![
        get("/healthz", Reads::NoRegion, healthz),
        get("/readyz", Reads::NoRegion, readyz),
        get("/metrics", Reads::NoRegion, metrics::handler),
        post("/api/v1/jobs/run", Reads::NoRegion, jobs_run),
    ]
}

/// `GET /healthz`: the process is up and answering.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process answers", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The readiness answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: String,
    /// What is missing, when not ready.
    pub reasons: Vec<String>,
    /// Latest scored period, if any.
    pub latest_period: Option<String>,
    /// Store generation read from its manifest, if readable.
    pub store_generation: Option<u64>,
    /// The store generation the served scores were made from; behind `store_generation` until
    /// this instance has followed another's commit.
    pub served_generation: u64,
}

/// `GET /readyz`: 200 when scores are loaded and the store is readable, else 503 with reasons.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "Not ready; `reasons` says why", body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshot();
    let mut reasons = Vec::new();
    let latest_period = snapshot.book.latest_period().map(str::to_string);
    if latest_period.is_none() {
        reasons.push("no scores loaded: the activity store has no usable records yet".into());
    }
    let at = state.config.store_location();
    let manifest = tokio::task::spawn_blocking(move || Store::peek_manifest_at(&at)).await;
    let store_generation = match manifest {
        Ok(Ok(m)) => Some(m.generation),
        Ok(Err(e)) => {
            reasons.push(format!("store not readable: {e}"));
            None
        }
        Err(e) => {
            reasons.push(format!("store check failed: {e}"));
            None
        }
    };
    let ready = reasons.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if ready { "ready" } else { "not ready" }.into(),
        reasons,
        latest_period,
        store_generation,
        served_generation: snapshot.manifest.generation,
    };
    (status, Json(body)).into_response()
}

/// `?job=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `rescore` (default), `pull`, `render` or `all`.
    #[param(example = "rescore")]
    job: Option<String>,
}

/// `POST /api/v1/jobs/run?job=rescore`: run a job now and answer what it did.
#[utoipa::path(post, path = "/api/v1/jobs/run", tag = "operations", params(JobQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The run finished", body = JobOutcome),
        (status = 400, description = "Unknown job", body = super::error::ErrorBody),
        (status = 401, description = "No login or token", body = super::error::ErrorBody),
        (status = 403, description = "The caller is not an admin", body = super::error::ErrorBody)))]
pub async fn jobs_run(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<JobQuery>,
) -> Result<Json<JobOutcome>, ApiError> {
    principal.require(Capability::Admin)?;
    let kind = match q.job.as_deref().map(str::trim) {
        None | Some("") => JobKind::Rescore,
        Some(k) => k
            .parse()
            .map_err(|e: String| ApiError::BadRequest(format!("job: {e}")))?,
    };
    // Spawned, so that a run outlasting the request time limit still finishes (and swaps its
    // scores in) after the client has been answered with 408.
    let run = tokio::spawn(async move { run_job(&state, kind).await });
    let outcome = run
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(ApiError::Internal)?;
    Ok(Json(outcome))
}

/// Fallback: no route has this path.
pub async fn not_found(uri: Uri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        &format!(
            "no route {}; the API is described at /api/openapi.json",
            uri.path()
        ),
    )
}

/// Fallback: the path exists, the method does not.
pub async fn method_not_allowed(uri: Uri) -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "method not allowed on {}; see /api/openapi.json for the methods each route takes",
            uri.path()
        ),
    )
}
