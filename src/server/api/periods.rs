//! `GET /api/v1/periods`: the granularity, the scored periods and the latest.
//!
//! Nothing about what was scored in them; that is [`super::scores`]'.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Capability, Principal};
use crate::server::{ApiError, AppState};

/// The scored periods.
#[derive(Debug, Serialize, ToSchema)]
pub struct Periods {
    /// `year`, `quarter` or `month`.
    pub granularity: String,
    /// Period labels with scores, oldest first.
    pub periods: Vec<String>,
    /// The latest, the default wherever a period is optional.
    pub latest: Option<String>,
}

/// `GET /api/v1/periods`
#[utoipa::path(get, path = "/api/v1/periods", tag = "scores",
    responses((status = 200, description = "Scored periods", body = Periods)))]
pub async fn periods(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Periods>, ApiError> {
    principal.require(Capability::View)?;
    let book = &state.snapshot().book;
    Ok(Json(Periods {
        granularity: state.config.period.to_string(),
        periods: book.periods().to_vec(),
        latest: book.latest_period().map(str::to_string),
    }))
}
