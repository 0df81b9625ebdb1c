//! `/api/v1/…`: scores as JSON.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::params::RawSelection;
use super::{ApiError, AppState};
use crate::auth::{Capability, Principal};
use crate::region::{Level, RegionCode};
use crate::view;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/scores", get(scores))
}

/// A region in a response.
#[derive(Serialize)]
struct RegionJson {
    code: RegionCode,
    name: String,
    level: Level,
}

/// A score with its rank and change.
#[derive(Serialize)]
struct ScoreJson {
    /// 0–100.
    score: Option<f64>,
    rank: Option<u32>,
    peers: u32,
    /// Change since the previous period, in points.
    change: Option<f64>,
}

#[derive(Serialize)]
struct DimensionJson {
    id: String,
    name_id: String,
    name_en: String,
    weight: f64,
    #[serde(flatten)]
    score: ScoreJson,
}

#[derive(Serialize)]
struct ScoresResponse {
    region: RegionJson,
    period: String,
    previous_period: Option<String>,
    /// Peer group the ranks are among: the parent kabupaten's code, or `all`.
    peer_group: String,
    framework: FrameworkJson,
    index: ScoreJson,
    dimensions: Vec<DimensionJson>,
}

#[derive(Serialize)]
struct FrameworkJson {
    id: String,
    version: String,
    granularity: String,
}

/// `GET /api/v1/scores?region=35.09&period=2025`
async fn scores(
    State(state): State<AppState>,
    principal: Principal,
    Query(raw): Query<RawSelection>,
) -> Result<Json<ScoresResponse>, ApiError> {
    principal.require(Capability::View)?;
    let sel = raw.parse_for(&state, &principal)?;
    let snapshot = state.snapshot();
    let regions = &state.reference.regions;
    let framework = &state.reference.framework;
    let view = view::region_view(&snapshot.book, regions, &sel.region, sel.period.as_deref())?;
    let cur = view.current;
    let dimensions = framework
        .dimensions
        .iter()
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
    Ok(Json(ScoresResponse {
        region: RegionJson {
            code: cur.region.clone(),
            name: view.name.clone(),
            level: view.level,
        },
        period: cur.period.clone(),
        previous_period: view.previous.map(|p| p.period.clone()),
        peer_group: cur.peer.clone(),
        framework: FrameworkJson {
            id: framework.id.clone(),
            version: framework.version.clone(),
            granularity: state.config.period.to_string(),
        },
        index: ScoreJson {
            score: cur.index,
            rank: cur.rank,
            peers: cur.peers,
            change: view.index_change(),
        },
        dimensions,
    }))
}
