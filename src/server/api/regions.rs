//! `GET /api/v1/regions` and `GET /api/v1/regions/{code}`: the reference regions the caller may
//! see, with population, area, BPS code and whether they are scored.
//!
//! Only what the reference data and the score book know of a region; its scores are
//! [`super::scores`]'.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{DEFAULT_LIMIT, Page};
use crate::region::{Level, Region, RegionCode};
use crate::server::access::{Caller, Input, Reach, RegionRequest, Scoped, parse_region, present};
use crate::server::cache;
use crate::server::error::ErrorBody;
use crate::server::{ApiError, AppState};

fn known_region<'a>(state: &'a AppState, code: &RegionCode) -> Result<&'a Region, ApiError> {
    state
        .reference
        .regions
        .get(code)
        .ok_or_else(|| ApiError::NotFound(format!("unknown region {code}")))
}

fn parse_level(raw: &str) -> Result<Level, ApiError> {
    match raw.trim() {
        "province" | "provinsi" => Ok(Level::Province),
        "regency" | "kabupaten" | "kota" => Ok(Level::Regency),
        "district" | "kecamatan" => Ok(Level::District),
        "village" | "desa" | "kelurahan" => Ok(Level::Village),
        other => Err(ApiError::BadRequest(format!(
            "level {other:?}: expected province, regency, district or village"
        ))),
    }
}

/// `?parent=&level=&scored=&limit=&offset=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionsQuery {
    /// Only the direct children of this region.
    #[param(example = "35.09")]
    parent: Option<String>,
    /// Only regions at this level: `province`, `regency`, `district` or `village`.
    #[param(example = "district")]
    level: Option<String>,
    /// `true`: only regions that have scores.
    scored: Option<bool>,
    /// Rows per page, 1–1000 (default 100).
    limit: Option<usize>,
    /// Rows to skip.
    offset: Option<usize>,
}

/// A region with what the reference data knows about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionInfo {
    /// Kemendagri code.
    #[schema(value_type = String, example = "35.09.20")]
    pub code: RegionCode,
    /// Official name.
    pub name: String,
    /// Administrative level.
    pub level: Level,
    /// Enclosing region, `null` for a province.
    #[schema(value_type = Option<String>)]
    pub parent: Option<RegionCode>,
    /// Residents, where known.
    pub population: Option<u64>,
    /// Area in km², where known.
    pub area_km2: Option<f64>,
    /// BPS code, where known.
    pub bps_code: Option<String>,
    /// Whether any period has scores for it.
    pub scored: bool,
}

/// A page of regions.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionList {
    /// Regions matching the filters, before paging.
    pub total: usize,
    /// Rows per page.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
    /// The page, by code.
    pub regions: Vec<RegionInfo>,
}

/// One region with its children.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionDetail {
    /// The region.
    #[serde(flatten)]
    pub region: RegionInfo,
    /// Direct children (kecamatan of a kabupaten, …), by code.
    #[schema(value_type = Vec<String>)]
    pub children: Vec<RegionCode>,
    /// Periods with scores for this region, oldest first.
    pub periods: Vec<String>,
}

fn region_info(state: &AppState, r: &Region) -> RegionInfo {
    let book = &state.snapshot().book;
    RegionInfo {
        code: r.code.clone(),
        name: r.name.clone(),
        level: r.level,
        parent: r.code.parent(),
        population: r.population,
        area_km2: r.area_km2,
        bps_code: r.bps_code.clone(),
        scored: book.has_region(&r.code),
    }
}

/// A parsed `GET /api/v1/regions`: regions within `within` (the caller's scope unless it sees
/// everything), optionally only the children of `parent` and only one level.
#[derive(Debug)]
pub struct RegionsRequest {
    within: Option<RegionCode>,
    parent: Option<RegionCode>,
    level: Option<Level>,
    scored: bool,
    page: Page,
}

impl RegionRequest for RegionsRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let q: RegionsQuery = input.query()?;
        Ok(RegionsRequest {
            within: caller.principal.scope().root().cloned(),
            parent: present(q.parent.as_deref())
                .map(|p| parse_region("parent", p))
                .transpose()?,
            level: q.level.as_deref().map(parse_level).transpose()?,
            scored: q.scored.unwrap_or(false),
            page: Page::new(q.limit, q.offset, DEFAULT_LIMIT)?,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        match (&self.parent, &self.within) {
            (Some(p), _) => Reach::one(p),
            (None, Some(w)) => Reach::one(w),
            (None, None) => Reach::Everything,
        }
    }
}

/// `GET /api/v1/regions?parent=35.09&level=district`: the regions the caller may see (all of
/// them for a caller without a region scope).
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", params(RegionsQuery),
    responses(
        (status = 200, description = "A page of regions", body = RegionList),
        (status = 400, description = "Malformed parameter", body = ErrorBody),
        (status = 403, description = "The parent is outside the caller's scope", body = ErrorBody),
        (status = 404, description = "Unknown parent", body = ErrorBody)))]
pub async fn regions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Scoped { request: req, .. }: Scoped<RegionsRequest>,
) -> Result<Response, ApiError> {
    if let Some(parent) = &req.parent {
        known_region(&state, parent)?;
    }
    let key = format!("regions{req:?}");
    let s = state.clone();
    cache::respond_json(&state, &headers, &key, "regions", move || {
        let regions = &s.reference.regions;
        let book = &s.snapshot().book;
        let mut codes: Vec<&RegionCode> = match &req.parent {
            Some(p) => regions.children(p).iter().collect(),
            None => regions.codes().collect(),
        };
        if let Some(within) = &req.within {
            let scope = crate::auth::Scope::Region(within.clone());
            codes.retain(|c| scope.contains(c));
        }
        codes.retain(|c| req.level.is_none_or(|l| c.level() == l));
        if req.scored {
            codes.retain(|c| book.has_region(c));
        }
        codes.sort();
        let total = codes.len();
        let rows = req
            .page
            .slice(codes)
            .into_iter()
            .filter_map(|c| regions.get(c))
            .map(|r| region_info(&s, r))
            .collect();
        Ok(RegionList {
            total,
            limit: req.page.limit,
            offset: req.page.offset,
            regions: rows,
        })
    })
    .await
}

/// A parsed `GET /api/v1/regions/{code}`.
#[derive(Debug)]
pub struct RegionPath {
    code: RegionCode,
}

impl RegionRequest for RegionPath {
    fn parse(input: &Input<'_>, _: &Caller<'_>) -> Result<Self, ApiError> {
        Ok(RegionPath {
            code: parse_region("code", input.path("code")?)?,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(&self.code)
    }
}

/// `GET /api/v1/regions/35.09`
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions",
    params(("code" = String, Path, description = "Kemendagri code", example = "35.09")),
    responses(
        (status = 200, description = "The region", body = RegionDetail),
        (status = 400, description = "Malformed code", body = ErrorBody),
        (status = 403, description = "Outside the caller's scope", body = ErrorBody),
        (status = 404, description = "Unknown region", body = ErrorBody)))]
pub async fn region(
    State(state): State<AppState>,
    Scoped {
        request: RegionPath { code },
        ..
    }: Scoped<RegionPath>,
) -> Result<Json<RegionDetail>, ApiError> {
    let r = known_region(&state, &code)?;
    let book = &state.snapshot().book;
    Ok(Json(RegionDetail {
        region: region_info(&state, r),
        children: state.reference.regions.children(&code).to_vec(),
        periods: book
            .periods()
            .iter()
            .filter(|p| book.get(&code, p).is_some())
            .cloned()
            .collect(),
    }))
}
