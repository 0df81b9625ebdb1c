//! `GET /api/v1/explain?region=&period=`: how a region's score was made, as JSON (see
//! [`crate::score::explain`]). The period defaults to the latest; the region to the configured
//! one.

use axum::Json;
use axum::extract::State;

use super::access::Scoped;
use super::params::Selection;
use super::routes::{Reads, Route, get};
use super::{ApiError, AppState};
use crate::score::explain::{ExplainError, Explanation, explain};

/// The explain route.
pub(super) fn routes() -> Vec<Route> {
    vec![get("/api/v1/explain", Reads::Regions, explain_score)]
}

/// `?region=&period=`
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; the handler reads them as a Selection
pub struct ExplainQuery {
    /// Kemendagri code; default the configured kabupaten.
    #[param(example = "35.09.20")]
    region: Option<String>,
    /// Period label; default the latest.
    #[param(example = "2025")]
    period: Option<String>,
}

/// `GET /api/v1/explain?region=35.09.20&period=2025`
#[utoipa::path(get, path = "/api/v1/explain", tag = "indicators", params(ExplainQuery),
    responses(
        (status = 200, description = "How the score was made", body = Explanation),
        (status = 400, description = "Malformed parameter", body = super::error::ErrorBody),
        (status = 403, description = "Region outside the caller's scope", body = super::error::ErrorBody),
        (status = 404, description = "Region or period without scores", body = super::error::ErrorBody)))]
pub async fn explain_score(
    State(state): State<AppState>,
    Scoped { request: sel, .. }: Scoped<Selection>,
) -> Result<Json<Explanation>, ApiError> {
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
            snapshot.scores_of(&sel.region),
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
