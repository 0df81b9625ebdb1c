//! `GET /api/v1/scores` (a region's index and dimensions) and `GET /api/v1/scores/peers` (a
//! peer group ranked by the index or one dimension), with ranks and changes.
//!
//! Scores as the book holds them; how one was made is `/api/v1/explain` and
//! [`super::indicators`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{RegionJson, ScoreJson, parse_dimensions};
use crate::region::{Level, Region, RegionCode};
use crate::server::access::{Caller, Input, Reach, RegionRequest, Scoped, present};
use crate::server::cache;
use crate::server::error::ErrorBody;
use crate::server::{ApiError, AppState};
use crate::view;

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
    /// How indicator values become 0–100 scores: `goalposts` (fixed per indicator: a score
    /// moves only when the region's own values move, comparable across years and regions),
    /// `pooled` (min–max over all periods of the peer group) or `per_period` (min–max within
    /// the peer group in each period: a position, not progress).
    pub normalisation: &'static str,
    /// The same in words, as charts and pages say it.
    pub scale: &'static str,
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
        let reported = cur.index.is_some();
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
                    score: ScoreJson::new(
                        s.and_then(|s| s.score),
                        s.and_then(|s| s.rank),
                        cur.peers,
                        view.dimension_change(&d.id),
                        reported,
                    ),
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
                normalisation: framework.normalisation.as_str(),
                scale: view::scale_phrase(
                    framework.normalisation,
                    view.level,
                    crate::i18n::Lang::En,
                ),
            },
            index: ScoreJson::new(
                cur.index,
                cur.rank,
                cur.peers,
                view.index_change(),
                reported,
            ),
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
        // Kab/kota of every province are ranked on their national ranks, not within provinces.
        let national = peer == crate::score::NATIONAL;
        let pick = |rs: &crate::score::RegionScore| match (&dimension, national) {
            (Some(d), false) => rs
                .dimension(d)
                .map_or((None, None), |x| (x.score, x.rank)),
            (Some(d), true) => rs
                .dimension(d)
                .map_or((None, None), |x| (x.score, x.national_rank)),
            (None, false) => (rs.index, rs.rank),
            (None, true) => (rs.index, rs.national_rank),
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
                    score: ScoreJson::new(
                        score,
                        rank,
                        if national { rs.national_peers } else { rs.peers },
                        score.zip(before).map(|(a, b)| a - b),
                        rs.index.is_some(),
                    ),
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
