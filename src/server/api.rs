//! `/api/v1/…` read routes as JSON: regions, periods, frameworks, scores (one region, or a
//! peer group's ranking), indicators with their explanation, and ingest runs.
//!
//! Handlers parse and check parameters, then hand a closure to [`cache::respond_json`], which
//! builds the body on the blocking pool once per snapshot and answers later requests (and
//! `If-None-Match` revalidations) from the cache. Activities have their own module
//! ([`super::activities`]); the per-region explanation is `/api/v1/explain`. Every type here is
//! documented in the OpenAPI document, and a test checks the real answers against it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::access::{Caller, Input, Reach, RegionRequest, Scoped, parse_region, present};
use super::cache;
use super::error::ErrorBody;
use super::routes::{Reads, Route, get};
use super::{ApiError, AppState};
use crate::auth::{Capability, Principal};
use crate::framework::Framework;
use crate::region::{Level, Region, RegionCode};
use crate::score::explain::{ExplainError, IndicatorExplained, explain};
use crate::store::Store;
use crate::view;

/// Regions returned when no `limit` is given.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit` accepted by paged routes.
pub const MAX_LIMIT: usize = 1000;

pub(super) fn routes() -> Vec<Route> {
    vec![
        get("/api/v1/regions", Reads::Regions, regions),
        get("/api/v1/regions/{code}", Reads::Regions, region),
        get("/api/v1/periods", Reads::NoRegion, periods),
        get("/api/v1/frameworks", Reads::NoRegion, frameworks),
        get("/api/v1/frameworks/{id}", Reads::NoRegion, framework),
        get("/api/v1/scores", Reads::Regions, scores),
        get("/api/v1/scores/peers", Reads::Regions, peer_scores),
        get("/api/v1/indicators", Reads::NoRegion, indicators),
        get("/api/v1/indicators/{id}", Reads::Regions, indicator),
        get("/api/v1/ingest/runs", Reads::Regions, ingest_runs),
    ]
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// A region in a response.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionJson {
    /// Kemendagri code.
    #[schema(value_type = String, example = "35.09")]
    pub code: RegionCode,
    /// Name for titles, e.g. `Kabupaten Jember`, `Kecamatan Sumbersari`.
    pub name: String,
    /// Administrative level.
    pub level: Level,
}

/// A score with its rank and change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreJson {
    /// 0–100.
    pub score: Option<f64>,
    /// Rank among the peer group (1 = best).
    pub rank: Option<u32>,
    /// Members of the peer group ranked.
    pub peers: u32,
    /// Change since the previous period, in points.
    pub change: Option<f64>,
}

/// `limit` and `offset` of a paged route.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Rows asked for.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

impl Page {
    /// Check `limit` (1–[`MAX_LIMIT`], default `default`) and take `offset` as given.
    pub fn new(
        limit: Option<usize>,
        offset: Option<usize>,
        default: usize,
    ) -> Result<Page, ApiError> {
        let limit = limit.unwrap_or(default);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}, not {limit}"
            )));
        }
        Ok(Page {
            limit,
            offset: offset.unwrap_or(0),
        })
    }

    /// The page of `items`.
    pub fn slice<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect()
    }
}

fn known_region<'a>(state: &'a AppState, code: &RegionCode) -> Result<&'a Region, ApiError> {
    state
        .reference
        .regions
        .get(code)
        .ok_or_else(|| ApiError::NotFound(format!("unknown region {code}")))
}

/// Dimension ids from `a,b,c`; each must exist in the framework.
fn parse_dimensions(framework: &Framework, raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|d| {
            let d = d.trim();
            framework.dimension(d).map(|x| x.id.clone()).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "unknown dimension {d:?}; available: {}",
                    framework
                        .dimensions
                        .iter()
                        .map(|d| d.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        })
        .collect()
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

// ---------------------------------------------------------------------------------------------
// Regions

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

// ---------------------------------------------------------------------------------------------
// Periods and frameworks

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

fn indicator_info(i: &crate::framework::Indicator) -> IndicatorInfo {
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

// ---------------------------------------------------------------------------------------------
// Scores

/// `?region=&period=&dimension=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoresQuery {
    /// Kemendagri code; default the configured kabupaten.
    #[param(example = "35.09")]
    region: Option<String>,
    /// Period label; default the latest.
    #[param(example = "2025")]
    period: Option<String>,
    /// Only these dimensions (comma-separated ids); default all.
    #[param(example = "economy,governance")]
    dimension: Option<String>,
}

/// A parsed `GET /api/v1/scores`.
#[derive(Debug)]
pub struct ScoresRequest {
    region: RegionCode,
    period: Option<String>,
    only: Vec<String>,
}

impl RegionRequest for ScoresRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let q: ScoresQuery = input.query()?;
        Ok(ScoresRequest {
            region: caller.region_or_default("region", q.region.as_deref())?.0,
            period: present(q.period.as_deref()).map(str::to_string),
            only: parse_dimensions(&caller.state.reference.framework, q.dimension.as_deref())?,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(&self.region)
    }
}

/// A dimension's score.
#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionJson {
    /// Dimension id.
    pub id: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Weight in the index (relative).
    pub weight: f64,
    /// The score.
    #[serde(flatten)]
    pub score: ScoreJson,
}

/// The framework a score was made with.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkRef {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Period granularity.
    pub granularity: String,
}

/// A region's index and dimension scores in a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoresResponse {
    /// The region.
    pub region: RegionJson,
    /// The period.
    pub period: String,
    /// The period the changes are measured from.
    pub previous_period: Option<String>,
    /// Peer group the ranks are among: the parent kabupaten's code, or `all`.
    pub peer_group: String,
    /// Framework used.
    pub framework: FrameworkRef,
    /// The index.
    pub index: ScoreJson,
    /// Dimensions (all, or those asked for), in framework order.
    pub dimensions: Vec<DimensionJson>,
    /// How the score was made: `/api/v1/explain` for this region and period.
    pub explain: String,
}

/// `GET /api/v1/scores?region=35.09&period=2025&dimension=economy`
#[utoipa::path(get, path = "/api/v1/scores", tag = "scores", params(ScoresQuery),
    responses(
        (status = 200, description = "Index and dimension scores", body = ScoresResponse),
        (status = 400, description = "Malformed parameter", body = ErrorBody),
        (status = 404, description = "Unknown region, period or dimension", body = ErrorBody)))]
pub async fn scores(
    State(state): State<AppState>,
    headers: HeaderMap,
    Scoped { request: req, .. }: Scoped<ScoresRequest>,
) -> Result<Response, ApiError> {
    let key = format!("scores{req:?}");
    let s = state.clone();
    cache::respond_json(&state, &headers, &key, "scores", move || {
        let ScoresRequest {
            region,
            period,
            only,
        } = req;
        let snapshot = s.snapshot();
        let regions = &s.reference.regions;
        let framework = &s.reference.framework;
        let view = view::region_view(&snapshot.book, regions, &region, period.as_deref())?;
        let cur = view.current;
        let dimensions = framework
            .dimensions
            .iter()
            .filter(|d| only.is_empty() || only.contains(&d.id))
            .map(|d| {
                let s = cur.dimension(&d.id);
                DimensionJson {
                    id: d.id.clone(),
                    name_id: d.name_id.clone(),
                    name_en: d.name_en.clone(),
                    weight: d.weight,
                    score: ScoreJson {
                        score: s.and_then(|s| s.score),
                        rank: s.and_then(|s| s.rank),
                        peers: cur.peers,
                        change: view.dimension_change(&d.id),
                    },
                }
            })
            .collect();
        Ok(ScoresResponse {
            region: RegionJson {
                code: cur.region.clone(),
                name: view.name.clone(),
                level: view.level,
            },
            period: cur.period.clone(),
            previous_period: view.previous.map(|p| p.period.clone()),
            peer_group: cur.peer.clone(),
            framework: FrameworkRef {
                id: framework.id.clone(),
                version: framework.version.clone(),
                granularity: s.config.period.to_string(),
            },
            index: ScoreJson {
                score: cur.index,
                rank: cur.rank,
                peers: cur.peers,
                change: view.index_change(),
            },
            dimensions,
            explain: format!(
                "/api/v1/explain?region={}&period={}",
                cur.region, cur.period
            ),
        })
    })
    .await
}

/// `?peer_group=&period=&dimension=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeersQuery {
    /// A kabupaten's code (its kecamatan are ranked together; a kecamatan's code means its
    /// kabupaten's) or `all` (the kab/kota); default the caller's own region.
    #[param(example = "35.09")]
    peer_group: Option<String>,
    /// Period label; default the latest.
    #[param(example = "2025")]
    period: Option<String>,
    /// Rank by this dimension instead of the index.
    #[param(example = "economy")]
    dimension: Option<String>,
}

/// A peer group: a kabupaten's kecamatan, or every kab/kota.
#[derive(Debug)]
pub enum PeerGroup {
    /// The kab/kota, ranked nationally.
    All,
    /// The kecamatan of this kabupaten.
    Within(RegionCode),
}

/// A parsed `GET /api/v1/scores/peers`.
#[derive(Debug)]
pub struct PeersRequest {
    peer: PeerGroup,
    period: Option<String>,
    dimension: Option<String>,
}

impl RegionRequest for PeersRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let q: PeersQuery = input.query()?;
        let peer = match present(q.peer_group.as_deref()) {
            Some("all") => PeerGroup::All,
            other => {
                let code = caller.region_or_default("peer_group", other)?.0;
                // A kecamatan's peer group is its kabupaten's kecamatan.
                let group = match code.level() {
                    Level::District | Level::Village => code.at_level(Level::Regency),
                    _ => None,
                };
                PeerGroup::Within(group.unwrap_or(code))
            }
        };
        let mut dims = parse_dimensions(&caller.state.reference.framework, q.dimension.as_deref())?;
        if dims.len() > 1 {
            return Err(ApiError::BadRequest(
                "dimension: rank by one dimension at a time".into(),
            ));
        }
        Ok(PeersRequest {
            peer,
            period: present(q.period.as_deref()).map(str::to_string),
            dimension: dims.pop(),
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        match &self.peer {
            PeerGroup::All => Reach::Everything,
            PeerGroup::Within(code) => Reach::one(code),
        }
    }
}

/// One member of a peer group.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeerRow {
    /// The region.
    pub region: RegionJson,
    /// Its score (index, or the dimension asked for).
    #[serde(flatten)]
    pub score: ScoreJson,
}

/// A peer group ranked in a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeerScores {
    /// The peer group.
    pub peer_group: String,
    /// The period.
    pub period: String,
    /// The dimension ranked by, `null` for the index.
    pub dimension: Option<String>,
    /// Members, best first; unscored last.
    pub rows: Vec<PeerRow>,
}

/// `GET /api/v1/scores/peers?peer_group=35.09&period=2025&dimension=economy`
#[utoipa::path(get, path = "/api/v1/scores/peers", tag = "scores", params(PeersQuery),
    responses(
        (status = 200, description = "The peer group ranked", body = PeerScores),
        (status = 400, description = "Malformed parameter", body = ErrorBody),
        (status = 404, description = "Unknown peer group, period or dimension", body = ErrorBody)))]
pub async fn peer_scores(
    State(state): State<AppState>,
    headers: HeaderMap,
    Scoped { request: req, .. }: Scoped<PeersRequest>,
) -> Result<Response, ApiError> {
    let key = format!("peers{req:?}");
    let s = state.clone();
    cache::respond_json(&state, &headers, &key, "peers", move || {
        let PeersRequest {
            peer,
            period,
            dimension,
        } = req;
        let peer = match peer {
            PeerGroup::All => "all".to_string(),
            PeerGroup::Within(code) => code.to_string(),
        };
        let snapshot = s.snapshot();
        let book = &snapshot.book;
        let period = match period {
            Some(p) if book.periods().contains(&p) => p,
            Some(p) => {
                return Err(ApiError::NotFound(format!(
                    "no scores for period {p:?}; scored periods: {}",
                    book.periods().join(", ")
                )));
            }
            None => book
                .latest_period()
                .ok_or_else(|| ApiError::NotFound("nothing has been scored yet".into()))?
                .to_string(),
        };
        let mut members = book.ranking(&peer, &period);
        if members.is_empty() {
            return Err(ApiError::NotFound(format!(
                "no peer group {peer:?} in {period}: use a kabupaten's code (its kecamatan) or all (the kab/kota)"
            )));
        }
        let previous = book.previous_period(&period);
        let pick = |rs: &crate::score::RegionScore| match &dimension {
            Some(d) => rs
                .dimension(d)
                .map_or((None, None), |x| (x.score, x.rank)),
            None => (rs.index, rs.rank),
        };
        if dimension.is_some() {
            members.sort_by_key(|rs| {
                let rank = pick(rs).1;
                (rank.is_none(), rank, rs.region.clone())
            });
        }
        let rows = members
            .into_iter()
            .map(|rs| {
                let (score, rank) = pick(rs);
                let before = previous
                    .and_then(|p| book.get(&rs.region, p))
                    .and_then(|p| pick(p).0);
                PeerRow {
                    region: RegionJson {
                        code: rs.region.clone(),
                        name: s
                            .reference
                            .regions
                            .get(&rs.region)
                            .map_or_else(|| rs.region.to_string(), Region::display_name),
                        level: rs.region.level(),
                    },
                    score: ScoreJson {
                        score,
                        rank,
                        peers: rs.peers,
                        change: score.zip(before).map(|(a, b)| a - b),
                    },
                }
            })
            .collect();
        Ok(PeerScores {
            peer_group: peer,
            period,
            dimension,
            rows,
        })
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Indicators

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
    /// A kecamatan (indicators are measured there); default the configured kabupaten, which
    /// has no indicator values of its own.
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
    /// Raw value to contribution, for a kecamatan; `null` for a kabupaten or province, whose
    /// scores are population-weighted means of its kecamatan's.
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
            &snapshot.scores,
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

// ---------------------------------------------------------------------------------------------
// Ingest runs

/// `?source=&limit=&offset=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Only the runs of this source (file or remote source name).
    source: Option<String>,
    /// Rows per page, 1–1000 (default 100).
    limit: Option<usize>,
    /// Rows to skip.
    offset: Option<usize>,
}

/// A parsed `GET /api/v1/ingest/runs`: every region's uploads, so only for callers who may see
/// every region.
#[derive(Debug)]
pub struct RunsRequest {
    source: Option<String>,
    page: Page,
}

impl RegionRequest for RunsRequest {
    fn parse(input: &Input<'_>, _: &Caller<'_>) -> Result<Self, ApiError> {
        let q: RunsQuery = input.query()?;
        Ok(RunsRequest {
            source: present(q.source.as_deref()).map(str::to_string),
            page: Page::new(q.limit, q.offset, DEFAULT_LIMIT)?,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::Everything
    }
}

/// One ingest of one source, from the store's manifest.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestRun {
    /// Source name.
    pub source: String,
    /// When, RFC 3339.
    pub ingested_at: String,
    /// Input format.
    pub format: String,
    /// SHA-256 of the bytes read.
    pub checksum: String,
    /// Data rows read.
    pub rows: usize,
    /// Rows that passed validation.
    pub accepted: usize,
    /// Rows rejected.
    pub rejected: usize,
    /// New records.
    pub added: usize,
    /// Records replacing earlier versions.
    pub replaced: usize,
    /// Records already present unchanged.
    pub unchanged: usize,
    /// Quarantine file of the rejected rows, relative to the store folder.
    pub quarantine: Option<String>,
}

/// Ingest runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestRuns {
    /// Store generation.
    pub generation: u64,
    /// Records in the store.
    pub records: usize,
    /// Runs matching the filter, before paging.
    pub total: usize,
    /// Rows per page.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
    /// The page.
    pub runs: Vec<IngestRun>,
}

/// `GET /api/v1/ingest/runs?source=kegiatan_2024.csv`
#[utoipa::path(get, path = "/api/v1/ingest/runs", tag = "ingest", params(RunsQuery),
    responses(
        (status = 200, description = "Ingest runs from the store manifest", body = IngestRuns),
        (status = 400, description = "Malformed parameter", body = ErrorBody)))]
pub async fn ingest_runs(
    State(state): State<AppState>,
    Scoped { request: q, .. }: Scoped<RunsRequest>,
) -> Result<Json<IngestRuns>, ApiError> {
    let page = q.page;
    let dir = state.config.store.clone();
    // Read from disk, not the snapshot: an upload whose rows were all rejected is recorded
    // in the manifest without a re-score.
    let manifest = tokio::task::spawn_blocking(move || Store::peek_manifest(&dir))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    let source = q.source.as_deref();
    let runs: Vec<IngestRun> = manifest
        .sources
        .iter()
        .rev()
        .filter(|r| source.is_none_or(|s| r.name == s))
        .map(|r| IngestRun {
            source: r.name.clone(),
            ingested_at: r.ingested_at.clone(),
            format: r.format.clone(),
            checksum: r.checksum.clone(),
            rows: r.rows,
            accepted: r.accepted,
            rejected: r.rejected,
            added: r.added,
            replaced: r.replaced,
            unchanged: r.unchanged,
            quarantine: r.quarantine.clone(),
        })
        .collect();
    Ok(Json(IngestRuns {
        generation: manifest.generation,
        records: manifest.records,
        total: runs.len(),
        limit: page.limit,
        offset: page.offset,
        runs: page.slice(runs),
    }))
}
