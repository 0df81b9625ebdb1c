//! `GET /api/v1/frameworks` and `GET /api/v1/frameworks/{id}`: the framework in use, with its
//! dimensions, indicators, weights and methods, and the indicator shape [`super::indicators`]
//! shares.
//!
//! The framework as loaded; no scores.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Capability, Principal};
use crate::framework::Framework;
use crate::server::error::ErrorBody;
use crate::server::{ApiError, AppState};

/// A dimension of a framework.
#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionInfo {
    /// Stable id, e.g. `economy`.
    pub id: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Weight in its parent (relative).
    pub weight: f64,
    /// Parent dimension of a sub-dimension.
    pub parent: Option<String>,
}

/// An indicator of a framework.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorInfo {
    /// Stable id.
    pub id: String,
    /// Dimension it belongs to.
    pub dimension: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Unit, Indonesian.
    pub unit_id: String,
    /// Unit, English.
    pub unit_en: String,
    /// Weight in its dimension (relative).
    pub weight: f64,
    /// 1 when more is better, −1 when less is better.
    pub direction: f64,
    /// Programme codes whose activities it counts.
    pub programmes: Vec<String>,
    /// Where the explanation of this indicator for a region lives.
    pub href: String,
}

/// A framework: dimensions, indicators, weights and methods.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkInfo {
    /// Id, e.g. `seven_dimensions`.
    pub id: String,
    /// Version recorded with every score.
    pub version: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Engine methods (normalisation, aggregation, …).
    #[schema(value_type = Object)]
    pub methods: serde_json::Value,
    /// Dimensions in display order.
    pub dimensions: Vec<DimensionInfo>,
    /// Indicators in file order.
    pub indicators: Vec<IndicatorInfo>,
}

pub(super) fn indicator_info(i: &crate::framework::Indicator) -> IndicatorInfo {
    let mut programmes = i.programmes.clone();
    if programmes.is_empty() && !i.programme.is_empty() {
        programmes.push(i.programme.clone());
    }
    IndicatorInfo {
        id: i.id.clone(),
        dimension: i.dimension.clone(),
        name_id: i.name_id.clone(),
        name_en: i.name_en.clone(),
        unit_id: i.unit_id.clone(),
        unit_en: i.unit_en.clone(),
        weight: i.weight,
        direction: i.direction,
        programmes,
        href: format!("/api/v1/indicators/{}", i.id),
    }
}

fn framework_info(f: &Framework) -> Result<FrameworkInfo, ApiError> {
    Ok(FrameworkInfo {
        id: f.id.clone(),
        version: f.version.clone(),
        name_id: f.name_id.clone(),
        name_en: f.name_en.clone(),
        methods: serde_json::to_value(&f.methods).map_err(|e| ApiError::Internal(e.into()))?,
        dimensions: f
            .dimensions
            .iter()
            .map(|d| DimensionInfo {
                id: d.id.clone(),
                name_id: d.name_id.clone(),
                name_en: d.name_en.clone(),
                weight: d.weight,
                parent: d.parent.clone(),
            })
            .collect(),
        indicators: f.indicators.iter().map(indicator_info).collect(),
    })
}

/// `GET /api/v1/frameworks`: the frameworks in use (one per server).
#[utoipa::path(get, path = "/api/v1/frameworks", tag = "frameworks",
    responses((status = 200, description = "The frameworks in use", body = Vec<FrameworkInfo>)))]
pub async fn frameworks(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<FrameworkInfo>>, ApiError> {
    principal.require(Capability::View)?;
    Ok(Json(vec![framework_info(&state.reference.framework)?]))
}

/// `GET /api/v1/frameworks/seven_dimensions`
#[utoipa::path(get, path = "/api/v1/frameworks/{id}", tag = "frameworks",
    params(("id" = String, Path, description = "Framework id", example = "seven_dimensions")),
    responses(
        (status = 200, description = "The framework", body = FrameworkInfo),
        (status = 404, description = "Not the framework in use", body = ErrorBody)))]
pub async fn framework(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<FrameworkInfo>, ApiError> {
    principal.require(Capability::View)?;
    let f = &state.reference.framework;
    if f.id != id {
        return Err(ApiError::NotFound(format!(
            "unknown framework {id:?}; in use: {}",
            f.id
        )));
    }
    Ok(Json(framework_info(f)?))
}
