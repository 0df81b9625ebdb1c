//! `GET /api/v1/indicators` (the framework's indicators) and `GET /api/v1/indicators/{id}` (one
//! indicator explained for a region: raw value, score, contribution).
//!
//! The explanation itself is the scoring's ([`crate::score::explain`]); this only picks the
//! indicator out of it.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::frameworks::{IndicatorInfo, indicator_info};
use super::parse_dimensions;
use crate::auth::{Capability, Principal};
use crate::region::RegionCode;
use crate::score::explain::{ExplainError, IndicatorExplained, explain};
use crate::server::access::{Caller, Input, Reach, RegionRequest, Scoped, present};
use crate::server::error::ErrorBody;
use crate::server::{ApiError, AppState};

/// `?dimension=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorsQuery {
    /// Only the indicators of these dimensions (comma-separated ids).
    #[param(example = "economy")]
    dimension: Option<String>,
}

/// `GET /api/v1/indicators?dimension=economy`
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators", params(IndicatorsQuery),
    responses(
        (status = 200, description = "Indicators of the framework", body = Vec<IndicatorInfo>),
        (status = 404, description = "Unknown dimension", body = ErrorBody)))]
pub async fn indicators(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<IndicatorsQuery>,
) -> Result<Json<Vec<IndicatorInfo>>, ApiError> {
    principal.require(Capability::View)?;
    let framework = &state.reference.framework;
    let only = parse_dimensions(framework, q.dimension.as_deref())?;
    Ok(Json(
        framework
            .indicators
            .iter()
            .filter(|i| only.is_empty() || only.contains(&i.dimension))
            .map(indicator_info)
            .collect(),
    ))
}

/// `?region=&period=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// A kecamatan or kab/kota (each is measured with its own indicator values); default the
    /// configured kabupaten.
    #[param(example = "35.09.20")]
    region: Option<String>,
    /// Period label; default the latest.
    #[param(example = "2025")]
    period: Option<String>,
}

/// A parsed `GET /api/v1/indicators/{id}`.
#[derive(Debug)]
pub struct IndicatorRequest {
    id: String,
    region: RegionCode,
    period: Option<String>,
}

impl RegionRequest for IndicatorRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let q: IndicatorQuery = input.query()?;
        Ok(IndicatorRequest {
            id: input.path("id")?.to_string(),
            region: caller.region_or_default("region", q.region.as_deref())?.0,
            period: present(q.period.as_deref()).map(str::to_string),
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(&self.region)
    }
}

/// An indicator and, for a kecamatan, how its value became a score.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorDetail {
    /// The indicator.
    pub indicator: IndicatorInfo,
    /// The region explained.
    #[schema(value_type = String)]
    pub region: RegionCode,
    /// The period explained.
    pub period: String,
    /// Raw value to contribution; `null` for a province, whose scores are population-weighted
    /// means of its kab/kota's.
    pub explained: Option<IndicatorExplained>,
    /// The whole explanation of this region and period.
    pub explain: String,
}

/// `GET /api/v1/indicators/{id}?region=35.09.20&period=2025`
#[utoipa::path(get, path = "/api/v1/indicators/{id}", tag = "indicators",
    params(("id" = String, Path, description = "Indicator id", example = "umkm_go_online"), IndicatorQuery),
    responses(
        (status = 200, description = "The indicator, explained for the region", body = IndicatorDetail),
        (status = 400, description = "Malformed parameter", body = ErrorBody),
        (status = 404, description = "Unknown indicator, or region or period without scores", body = ErrorBody)))]
pub async fn indicator(
    State(state): State<AppState>,
    Scoped { request: sel, .. }: Scoped<IndicatorRequest>,
) -> Result<Json<IndicatorDetail>, ApiError> {
    let framework = &state.reference.framework;
    let id = sel.id;
    let info = framework
        .indicator(&id)
        .map(indicator_info)
        .ok_or_else(|| ApiError::NotFound(format!("unknown indicator {id:?}")))?;
    let snapshot = state.snapshot();
    let period = match sel.period {
        Some(p) => p,
        None => snapshot
            .book
            .latest_period()
            .ok_or_else(|| ApiError::NotFound("nothing has been scored yet".into()))?
            .to_string(),
    };
    let reference = state.reference.clone();
    let (region, p) = (sel.region.clone(), period.clone());
    let explanation = tokio::task::spawn_blocking(move || {
        explain(
            snapshot.scores_of(&region),
            &snapshot.book,
            &reference.framework,
            &region,
            &p,
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| match e {
        e @ ExplainError::NotScored { .. } => ApiError::NotFound(e.to_string()),
        e => ApiError::Internal(e.into()),
    })?;
    let explained = explanation.indicators.into_iter().find(|i| i.id == id);
    Ok(Json(IndicatorDetail {
        indicator: info,
        explain: format!("/api/v1/explain?region={}&period={period}", sel.region),
        region: sel.region,
        period,
        explained,
    }))
}
