//! `/api/v1/…` read routes as JSON: regions, periods, frameworks, scores (one region, or a
//! peer group's ranking), indicators with their explanation, and ingest runs, each resource in
//! its own file; this one holds the route list and what they share (the region and score
//! shapes of an answer, paging, the `dimension=` list).
//!
//! Handlers parse and check parameters, then hand a closure to
//! [`super::cache::respond_json`], which builds the body on the blocking pool once per snapshot
//! and answers later requests (and `If-None-Match` revalidations) from the cache. Activities
//! have their own module ([`super::activities`]); the per-region explanation is
//! `/api/v1/explain`. Every type here is documented in the OpenAPI document, and a test checks
//! the real answers against it.

pub(super) mod frameworks;
pub(super) mod indicators;
pub(super) mod periods;
pub(super) mod regions;
pub(super) mod runs;
pub(super) mod scores;

use serde::Serialize;
use utoipa::ToSchema;

use frameworks::{framework, frameworks};
use indicators::{indicator, indicators};
use periods::periods;
use regions::{region, regions};
use runs::ingest_runs;
use scores::{peer_scores, scores};

use super::ApiError;
use super::routes::{Reads, Route, get};
use crate::framework::Framework;
use crate::region::{Level, RegionCode};

/// Regions returned when no `limit` is given.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit` accepted by paged routes.
pub const MAX_LIMIT: usize = 1000;

/// The routes of the resources below.
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
    /// 0–100, `null` when there is no data (see `no_data`).
    pub score: Option<f64>,
    /// Why `score` is `null`: `no_records` (the region sent no record in the period, not even
    /// a nil report) or `not_measured` (no indicator of it was recorded by any region then).
    /// Absent when there is a score. No data is never a zero, and it is not ranked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_data: Option<&'static str>,
    /// Rank among the peer group (1 = best).
    pub rank: Option<u32>,
    /// Members of the peer group ranked.
    pub peers: u32,
    /// Change since the previous period, in points.
    pub change: Option<f64>,
}

impl ScoreJson {
    /// A score with its rank among `peers` and its change; `reported` says whether the region
    /// sent anything in the period (what a missing score then means).
    pub fn new(
        score: Option<f64>,
        rank: Option<u32>,
        peers: u32,
        change: Option<f64>,
        reported: bool,
    ) -> ScoreJson {
        ScoreJson {
            score,
            no_data: match (score, reported) {
                (Some(_), _) => None,
                (None, false) => Some("no_records"),
                (None, true) => Some("not_measured"),
            },
            rank,
            peers,
            change,
        }
    }
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

/// Dimension ids from `a,b,c`; each must exist in the framework.
pub(super) fn parse_dimensions(
    framework: &Framework,
    raw: Option<&str>,
) -> Result<Vec<String>, ApiError> {
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
