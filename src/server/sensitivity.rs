//! `GET /api/v1/sensitivity?region=&period=&replications=&seed=&share=`: how sure the index
//! ranks of a peer group are (see [`crate::score::sensitivity`]). For a kabupaten the peers are
//! its kecamatan, for a kecamatan its siblings. Per region: the nominal rank, the median rank and
//! the 5–95 % rank interval over a seeded Monte Carlo of weights (± a share), normalisation
//! (min–max or z-score) and aggregation (arithmetic or geometric mean).
//!
//! [`analyse`] is shared with `kotacerdas sensitivity`.

use std::ops::RangeInclusive;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::access::{Caller, Input, Reach, RegionRequest, Scoped};
use super::params::{RawSelection, Selection};
use super::routes::{Reads, Route, get};
use super::{ApiError, AppState};
use crate::framework::Framework;
use crate::region::{RegionCode, Regions};
use crate::score::engine::{Aggregate, Normalise};
use crate::score::{Granularity, ScoreBook};
use crate::store::Activities;
use crate::view;

/// Replications allowed.
pub const REPLICATIONS: RangeInclusive<usize> = 10..=5000;
/// Replications when none are asked for.
pub const DEFAULT_REPLICATIONS: usize = 500;
/// Seed when none is given.
pub const DEFAULT_SEED: u64 = 2025;
/// Weight share when none is given: each weight × a factor in [0.75, 1.25].
pub const DEFAULT_SHARE: f64 = 0.25;

/// The sensitivity route.
pub(super) fn routes() -> Vec<Route> {
    vec![get(
        "/api/v1/sensitivity",
        Reads::Regions,
        sensitivity_ranks,
    )]
}

/// What the caller may choose; [`Settings::new`] checks the bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Monte Carlo replications, within [`REPLICATIONS`].
    pub replications: usize,
    /// Random seed: the same seed gives the same intervals.
    pub seed: u64,
    /// Each weight is multiplied by a factor uniform in [1 − share, 1 + share]; 0–1.
    pub weight_share: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            replications: DEFAULT_REPLICATIONS,
            seed: DEFAULT_SEED,
            weight_share: DEFAULT_SHARE,
        }
    }
}

impl Settings {
    /// Checked settings; the error names the parameter and its allowed range.
    pub fn new(replications: usize, seed: u64, weight_share: f64) -> Result<Settings, String> {
        if !REPLICATIONS.contains(&replications) {
            return Err(format!(
                "replications must be between {} and {}, not {replications}",
                REPLICATIONS.start(),
                REPLICATIONS.end()
            ));
        }
        if !(0.0..=1.0).contains(&weight_share) {
            return Err(format!(
                "share must be between 0 and 1 (weights vary by ± that share), not {weight_share}"
            ));
        }
        Ok(Settings {
            replications,
            seed,
            weight_share,
        })
    }
}

pub use crate::view::SensitivityError;

/// A region in the answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SensitivityRegion)]
pub struct RegionRef {
    /// Kemendagri code.
    #[schema(value_type = String)]
    pub code: RegionCode,
    /// Name, e.g. "Kabupaten Jember" or "Sumbersari".
    pub name: String,
}

/// The settings used, with the method choices drawn from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettingsJson {
    /// Monte Carlo replications.
    pub replications: usize,
    /// Random seed.
    pub seed: u64,
    /// Weights vary by ± this share.
    pub weight_share: f64,
    /// Normalisations drawn from, each equally likely.
    #[schema(value_type = Vec<Object>)]
    pub normalisations: Vec<Normalise>,
    /// Aggregations drawn from, each equally likely.
    #[schema(value_type = Vec<Object>)]
    pub aggregations: Vec<Aggregate>,
    /// The node whose rank is tracked (the framework's index).
    pub target: String,
    /// Imputation and outlier treatment are not varied.
    #[schema(value_type = Vec<String>)]
    pub fixed: Vec<&'static str>,
}

/// One region's rank and its spread.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RankJson {
    /// Kemendagri code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Rank under the framework's own methods (1 = best).
    pub nominal_rank: Option<u32>,
    /// Median rank over the replications.
    pub median_rank: Option<f64>,
    /// 5th percentile of the rank.
    pub p5_rank: Option<f64>,
    /// 95th percentile of the rank.
    pub p95_rank: Option<f64>,
}

/// The answer of `/api/v1/sensitivity` and `kotacerdas sensitivity --json`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SensitivityReport {
    /// The region asked for.
    pub region: RegionRef,
    /// The period analysed.
    pub period: String,
    /// The kabupaten whose kecamatan are ranked.
    pub peer_group: RegionRef,
    /// Number of regions ranked.
    pub peers: usize,
    /// Framework id and version.
    pub framework: FrameworkRef,
    /// How the Monte Carlo was run.
    pub settings: SettingsJson,
    /// The peers, by nominal rank (unranked last).
    pub regions: Vec<RankJson>,
}

/// Framework id and version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SensitivityFramework)]
pub struct FrameworkRef {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
}

impl SensitivityReport {
    /// A plain-text table: region, nominal rank, median rank, 5–95 % interval.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let s = &self.settings;
        let mut out = format!(
            "{} — {}: index rank of {} kecamatan, {} replications (seed {}; weights ±{}%, {} normalisations, {} aggregations)\n\n",
            self.peer_group.name,
            self.period,
            self.peers,
            s.replications,
            s.seed,
            s.weight_share * 100.0,
            s.normalisations.len(),
            s.aggregations.len(),
        );
        let width = self
            .regions
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(6);
        let _ = writeln!(
            out,
            "{:<12} {:<width$} {:>7} {:>7} {:>13}",
            "code", "region", "nominal", "median", "5–95%"
        );
        let num = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
        for r in &self.regions {
            let mark = if r.code == self.region.code.to_string() {
                " *"
            } else {
                ""
            };
            let interval = match (r.p5_rank, r.p95_rank) {
                (Some(a), Some(b)) => format!("{a:.1}–{b:.1}"),
                _ => "-".to_string(),
            };
            let _ = writeln!(
                out,
                "{:<12} {:<width$} {:>7} {:>7} {:>13}{mark}",
                r.code,
                r.name,
                r.nominal_rank
                    .map_or_else(|| "-".to_string(), |n| n.to_string()),
                num(r.median_rank),
                interval,
            );
        }
        out
    }
}

/// Run the analysis for `region`'s peer group in `period` (the latest when `None`).
#[allow(clippy::too_many_arguments)]
pub fn analyse(
    activities: &Activities,
    book: &ScoreBook,
    regions: &Regions,
    framework: &Framework,
    granularity: Granularity,
    region: &RegionCode,
    period: Option<&str>,
    settings: Settings,
) -> Result<SensitivityReport, SensitivityError> {
    let run = view::peer_sensitivity(
        activities,
        book,
        regions,
        framework,
        granularity,
        region,
        period,
        settings.replications,
        settings.seed,
        settings.weight_share,
    )?;
    let (group, period, intervals) = (run.group, run.period, run.intervals);
    let name_of = |code: &str| {
        RegionCode::parse(code)
            .ok()
            .and_then(|c| regions.get(&c).map(|r| r.name.clone()))
            .unwrap_or_else(|| code.to_string())
    };
    let mut rows: Vec<RankJson> = intervals
        .into_iter()
        .map(|r| RankJson {
            name: name_of(&r.unit),
            code: r.unit,
            nominal_rank: r.nominal,
            median_rank: r.median,
            p5_rank: r.p05,
            p95_rank: r.p95,
        })
        .collect();
    rows.sort_by(|a, b| {
        a.nominal_rank
            .unwrap_or(u32::MAX)
            .cmp(&b.nominal_rank.unwrap_or(u32::MAX))
            .then_with(|| a.code.cmp(&b.code))
    });
    let display = |c: &RegionCode| {
        regions
            .get(c)
            .map_or_else(|| c.to_string(), |r| r.display_name())
    };
    Ok(SensitivityReport {
        region: RegionRef {
            code: region.clone(),
            name: display(region),
        },
        period,
        peer_group: RegionRef {
            name: display(&group),
            code: group,
        },
        peers: rows.len(),
        framework: FrameworkRef {
            id: framework.id.clone(),
            version: framework.version.clone(),
        },
        settings: SettingsJson {
            replications: settings.replications,
            seed: settings.seed,
            weight_share: settings.weight_share,
            normalisations: view::sensitivity_normalisations(),
            aggregations: view::sensitivity_aggregations(),
            target: framework.id.clone(),
            fixed: vec!["imputation", "outlier treatment"],
        },
        regions: rows,
    })
}

/// The query as sent; numbers are parsed here so that a bad one is a JSON 400.
#[derive(Debug, Default, Deserialize)]
pub struct RawQuery {
    region: Option<String>,
    period: Option<String>,
    lang: Option<String>,
    replications: Option<String>,
    seed: Option<String>,
    share: Option<String>,
}

fn number<T: std::str::FromStr>(
    name: &str,
    value: Option<String>,
    default: T,
    expected: &str,
) -> Result<T, ApiError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("{name}: {v:?} is not {expected}"))),
    }
}

/// A parsed `GET /api/v1/sensitivity`: a region and period, and the Monte Carlo settings.
#[derive(Debug)]
pub struct SensitivityRequest {
    sel: Selection,
    settings: Settings,
}

impl RegionRequest for SensitivityRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let raw: RawQuery = input.query()?;
        let replications = number(
            "replications",
            raw.replications,
            DEFAULT_REPLICATIONS,
            "a whole number (10–5000)",
        )?;
        let seed = number("seed", raw.seed, DEFAULT_SEED, "a whole number ≥ 0")?;
        let share = number(
            "share",
            raw.share,
            DEFAULT_SHARE,
            "a number between 0 and 1",
        )?;
        let settings = Settings::new(replications, seed, share).map_err(ApiError::BadRequest)?;
        let sel = RawSelection {
            region: raw.region,
            period: raw.period,
            lang: raw.lang,
        }
        .parse(caller)?;
        Ok(SensitivityRequest { sel, settings })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(&self.sel.region)
    }
}

/// The parameters, for the API document (the handler parses them itself from [`RawQuery`]).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SensitivityParams {
    /// Kemendagri code; default the configured kabupaten.
    #[param(example = "35.09")]
    region: Option<String>,
    /// Period label; default the latest.
    period: Option<String>,
    /// `id` (default) or `en`.
    lang: Option<String>,
    /// Monte Carlo replications, 10–5000 (default 500).
    #[param(example = 20)]
    replications: Option<usize>,
    /// Random seed (default 2025).
    seed: Option<u64>,
    /// Weights vary by ± this share, 0–1 (default 0.25).
    share: Option<f64>,
}

/// `GET /api/v1/sensitivity?region=35.09&replications=500`
#[utoipa::path(get, path = "/api/v1/sensitivity", tag = "scores", params(SensitivityParams),
    responses(
        (status = 200, description = "Rank intervals of the peer group", body = SensitivityReport),
        (status = 400, description = "Malformed or out-of-range parameter", body = super::error::ErrorBody),
        (status = 404, description = "Region or period without scores", body = super::error::ErrorBody)))]
pub async fn sensitivity_ranks(
    State(state): State<AppState>,
    Scoped {
        request: SensitivityRequest { sel, settings },
        ..
    }: Scoped<SensitivityRequest>,
) -> Result<Json<SensitivityReport>, ApiError> {
    let snapshot = state.snapshot();
    let reference = state.reference.clone();
    let granularity = state.config.period;
    // Hundreds of scoring passes: blocking work, kept off the async runtime.
    let result = tokio::task::spawn_blocking(move || {
        analyse(
            &snapshot.activities,
            &snapshot.book,
            &reference.regions,
            &reference.framework,
            granularity,
            &sel.region,
            sel.period.as_deref(),
            settings,
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    match result {
        Ok(r) => Ok(Json(r)),
        Err(SensitivityError::NotFound(e)) => Err(e.into()),
        Err(e) => Err(ApiError::Internal(e.into())),
    }
}
