//! `GET /api/v1/sensitivity?region=&period=&replications=&seed=&share=`: how sure the index
//! ranks of a peer group are. For a kabupaten the peers are
//! its kecamatan, for a kecamatan its siblings. Per region: the nominal rank, the median rank and
//! the 5–95 % rank interval over a seeded Monte Carlo of weights (± a share), normalisation
//! (min–max or z-score) and aggregation (arithmetic or geometric mean).
//!
//! The analysis is [`crate::analysis::sensitivity`], shared with `kotacerdas sensitivity`; this
//! module parses the request and serves the answer.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::access::{Caller, Input, Reach, RegionRequest, Scoped};
use super::params::{RawSelection, Selection};
use super::routes::{Reads, Route, get};
use super::{ApiError, AppState};
use crate::analysis::sensitivity::{
    self, DEFAULT_REPLICATIONS, DEFAULT_SEED, DEFAULT_SHARE, MonteCarlo, SensitivityReport, analyse,
};

/// The sensitivity route.
pub(super) fn routes() -> Vec<Route> {
    vec![get(
        "/api/v1/sensitivity",
        Reads::Regions,
        sensitivity_ranks,
    )]
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
    settings: MonteCarlo,
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
        let settings = MonteCarlo::new(replications, seed, share).map_err(ApiError::BadRequest)?;
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
        let inputs = sensitivity::Inputs {
            activities: &snapshot.activities,
            book: &snapshot.book,
            regions: &reference.regions,
            framework: &reference.framework,
            granularity,
        };
        analyse(inputs, &sel.region, sel.period.as_deref(), settings)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    match result {
        Ok(r) => Ok(Json(r)),
        Err(e) if e.is_not_found() => Err(ApiError::NotFound(e.to_string())),
        Err(e) => Err(ApiError::Internal(e.into())),
    }
}
