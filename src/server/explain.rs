//! `GET /api/v1/explain?region=&period=`: how a region's score was made, as JSON (see
//! [`crate::score::explain`]). The period defaults to the latest; the region to the configured
//! one.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};

use super::params::RawSelection;
use super::{ApiError, AppState};
use crate::auth::{Capability, Principal};
use crate::score::explain::{ExplainError, Explanation, explain};

/// The explain route.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/explain", get(handler))
}

async fn handler(
    State(state): State<AppState>,
    principal: Principal,
    Query(raw): Query<RawSelection>,
) -> Result<Json<Explanation>, ApiError> {
    principal.require(Capability::View)?;
    let sel = raw.parse_for(&state, &principal)?;
    let snapshot = state.snapshot();
    let period = match sel.period {
        Some(p) => p,
        None => snapshot
            .book
            .latest_period()
            .ok_or_else(|| ApiError::NotFound("nothing has been scored yet".into()))?
            .to_string(),
    };
    // The explanation filters a polars frame: blocking work, kept off the async runtime.
    let reference = state.reference.clone();
    let result = tokio::task::spawn_blocking(move || {
        explain(
            &snapshot.scores,
            &snapshot.book,
            &reference.framework,
            &sel.region,
            &period,
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    match result {
        Ok(e) => Ok(Json(e)),
        Err(e @ ExplainError::NotScored { .. }) => Err(ApiError::NotFound(e.to_string())),
        Err(e) => Err(ApiError::Internal(e.into())),
    }
}
