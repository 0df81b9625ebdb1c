//! Scoring: activities in, indicator values, dimension scores, an index and ranks out.
//!
//! The pipeline:
//! 1. indicator raw value = the framework's aggregation (sum, count, distinct count, mean) of the
//!    activity records of its programmes (filtered by target group and organiser) per kecamatan
//!    and period (activities recorded at desa level count for their kecamatan; those recorded
//!    for a whole kabupaten are kept in the table but cannot be placed in a kecamatan and are
//!    left out); a kecamatan with no record has 0 (a mean has no value);
//! 2. the [`engine`] does the rest per period, with the framework's methods: the denominator
//!    (residents, area, number of desa or another indicator, × scale), screening, imputation,
//!    outlier treatment, normalisation (by default min-max 0–100 among the kecamatan of the same
//!    kabupaten; an indicator on which all are equal carries no information and is left out;
//!    with a framework `targets` file ([`targets`]), a kecamatan that has its own target for
//!    the indicator and period scores `min(value / target, 1) × 100` instead),
//!    aggregation up the framework's hierarchy (by default weighted arithmetic means, weights
//!    renormalised over what is present);
//! 3. ranks among peers (the kecamatan of one kabupaten; 1 = best, ties share the better rank);
//! 4. a kabupaten's dimension scores are the population-weighted mean of its kecamatan's, its
//!    index the framework's aggregate of those, ranked among the kabupaten/kota scored in the
//!    same run.
//!
//! The result is a set of frames ([`Scores`]) with their columns declared in [`cols`], including
//! an explanation of every kecamatan's score indicator by indicator, the framework version and
//! the methods used (also written to Parquet by [`Scores::write_parquet`]), and a read model
//! ([`ScoreBook`]) for the server. Sensitivity analysis is in [`engine::sensitivity`].
//!
//! Each stage has its file: `reduce` groups the activity records per unit and period, `units`
//! says which regions are scored and with which figures, `indicators` makes the indicator
//! values (with their denominators and targets), `compute` runs the engine period by period and
//! scores the parents, and `frames` builds the frames from the rows.

mod book;
mod compute;
pub mod explain;
mod frames;
pub mod goalposts;
mod indicators;
mod period;
mod reduce;
mod units;

use std::path::Path;

use polars::prelude::*;

use crate::engine;
use crate::framework::Framework;
use crate::framework::targets;
use crate::region::{Level, Regions};
use crate::store::Activities;

use compute::score_units;
use indicators::{add_targets, engine_hierarchy, indicator_values};
use reduce::reduce;
use units::{base_dataset, units_of};

pub use book::{DimensionScore, NATIONAL, RegionScore, ScoreBook};
pub use period::{BadGranularity, Granularity};

/// Column names of the score frames.
pub mod cols {
    /// Region code (kecamatan or kabupaten).
    pub const REGION: &str = "region";
    /// `district` or `regency`.
    pub const LEVEL: &str = "level";
    /// Code of the peer group a rank is among (the parent kabupaten, or `all`).
    pub const PEER: &str = "peer";
    /// Period label: `2025`, `2025-Q3`, `2025-07`.
    pub const PERIOD: &str = "period";
    /// Indicator id.
    pub const INDICATOR: &str = "indicator";
    /// Dimension id.
    pub const DIMENSION: &str = "dimension";
    /// Aggregated activity value before the denominator.
    pub const RAW: &str = "raw";
    /// Residents used as denominator (null when not used or unknown).
    pub const POPULATION: &str = "population";
    /// Value after the denominator.
    pub const VALUE: &str = "value";
    /// Normalised 0–100 score.
    pub const SCORE: &str = "score";
    /// Weight in the parent aggregate.
    pub const WEIGHT: &str = "weight";
    /// Rank among peers.
    pub const RANK: &str = "rank";
    /// Number of peers ranked.
    pub const PEERS: &str = "peers";
    /// Denominator value used (residents, km², desa or the other indicator's raw value).
    pub const DENOMINATOR: &str = "denominator";
    /// Value after imputation and outlier treatment, before normalisation.
    pub const TREATED: &str = "treated";
    /// Weight of a dimension's share in the index (product of effective weights up the tree).
    pub const INDEX_WEIGHT: &str = "index_weight";
    /// Contribution of the indicator to its dimension's score (effective weight × score).
    pub const TO_DIMENSION: &str = "to_dimension";
    /// Contribution of the indicator to the index (weight along the path × score).
    pub const TO_INDEX: &str = "to_index";
}

/// Scoring failed: a bug or an impossible framework, not bad activity data.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// polars failed.
    #[error("scoring failed: {0}")]
    Polars(#[from] PolarsError),
    /// The engine rejected the framework or methods against the data.
    #[error("scoring failed: {0}")]
    Engine(#[from] engine::EngineError),
    /// The framework's targets name a region that is not in the region list.
    #[error("scoring failed: {0}")]
    Targets(#[from] targets::TargetsError),
}

/// The score frames.
#[derive(Debug, Clone)]
pub struct Scores {
    /// Per kecamatan, period and indicator: region, peer, period, indicator, dimension, raw,
    /// population, value, score, weight.
    pub indicators: DataFrame,
    /// Per region, period and dimension: region, level, peer, period, dimension, score, rank, peers.
    pub dimensions: DataFrame,
    /// Per region and period: region, level, peer, period, score, rank, peers.
    pub index: DataFrame,
    /// Per kecamatan, period and indicator, how its score was made: region, peer, period,
    /// indicator, dimension, raw, denominator, value, treated, score, weight (effective, in the
    /// dimension), index_weight, to_dimension, to_index.
    pub explain: DataFrame,
    /// Activities recorded at kabupaten level or above, which no kecamatan score includes.
    pub unplaced_activities: usize,
    /// Framework id and version that produced the scores.
    pub framework: (String, String),
    /// The engine methods used, as JSON.
    pub methods: String,
}

impl Scores {
    /// Write the frames as Parquet files (`indicators.parquet`, `dimensions.parquet`,
    /// `index.parquet`, `explain.parquet`) into `dir`, each with the framework id, version and
    /// methods as columns, so a stored number says how it was made.
    pub fn write_parquet(&self, dir: &Path) -> Result<(), ScoreError> {
        std::fs::create_dir_all(dir).map_err(|e| PolarsError::IO {
            error: std::sync::Arc::new(e),
            msg: None,
        })?;
        for (name, df) in [
            ("indicators", &self.indicators),
            ("dimensions", &self.dimensions),
            ("index", &self.index),
            ("explain", &self.explain),
        ] {
            let mut df = df
                .clone()
                .lazy()
                .with_columns([
                    lit(self.framework.0.as_str()).alias("framework"),
                    lit(self.framework.1.as_str()).alias("framework_version"),
                    lit(self.methods.as_str()).alias("methods"),
                ])
                .collect()?;
            let file = std::fs::File::create(dir.join(format!("{name}.parquet"))).map_err(|e| {
                PolarsError::IO {
                    error: std::sync::Arc::new(e),
                    msg: None,
                }
            })?;
            ParquetWriter::new(file).finish(&mut df)?;
        }
        Ok(())
    }
}

/// Compute scores for every kecamatan that has activities (and its sibling kecamatan), every
/// period present in the activities, and their kabupaten.
pub fn compute(
    activities: &Activities,
    framework: &Framework,
    regions: &Regions,
    granularity: Granularity,
) -> Result<Scores, ScoreError> {
    compute_at(activities, framework, regions, granularity, Level::District)
}

/// As [`compute`], with the scored units at another level: [`Level::Regency`] scores every
/// kab/kota of every province with activities (peers: the province's kab/kota), and the
/// provinces as population-weighted means. Activities recorded above that level are unplaced.
pub fn compute_at(
    activities: &Activities,
    framework: &Framework,
    regions: &Regions,
    granularity: Granularity,
    level: Level,
) -> Result<Scores, ScoreError> {
    let mut scores = compute_levels(activities, framework, regions, granularity, &[level])?;
    Ok(scores.remove(0))
}

/// As [`compute_at`] for each of `levels`, in that order, grouping the records once for all of
/// them and scoring the levels side by side on threads of their own (each level's placing,
/// indicator values and engine runs are single-threaded work).
pub fn compute_levels(
    activities: &Activities,
    framework: &Framework,
    regions: &Regions,
    granularity: Granularity,
    levels: &[Level],
) -> Result<Vec<Scores>, ScoreError> {
    if let Some(t) = &framework.targets {
        t.check_regions(regions)?;
    }
    let grouped = reduce::group_records(activities, granularity, framework)?;
    let score_level = |level: Level| -> Result<Scores, ScoreError> {
        let reduced = grouped.place(level)?;
        let unplaced_activities = activities.len() - reduced.records;
        let units = units_of(&reduced.units, regions, level);
        let raw = indicator_values(&reduced, activities.values(), framework, &units);
        let mut scores = score_units(&raw, &units, &reduced.periods, framework, level)?;
        scores.unplaced_activities = unplaced_activities;
        Ok(scores)
    };
    std::thread::scope(|s| {
        let running: Vec<_> = levels
            .iter()
            .map(|&level| s.spawn(move || score_level(level)))
            .collect();
        running
            .into_iter()
            .map(|h| match h.join() {
                Ok(scores) => scores,
                // A panic in a scoring thread is a bug; surface it where it happened.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Sensitivity analysis of one period's ranks (see [`engine::sensitivity`]), on the units
/// [`compute_at`] scores at `level`. Ranks are among peers unless `spec.rank_within` says
/// otherwise; the target is usually the framework's id (the index).
pub fn sensitivity(
    activities: &Activities,
    framework: &Framework,
    regions: &Regions,
    granularity: Granularity,
    level: Level,
    period: &str,
    spec: &engine::sensitivity::Spec,
) -> Result<Vec<engine::sensitivity::RankInterval>, ScoreError> {
    if let Some(t) = &framework.targets {
        t.check_regions(regions)?;
    }
    let reduced = reduce(activities, granularity, level, framework)?;
    let units = units_of(&reduced.units, regions, level);
    let raw = indicator_values(&reduced, activities.values(), framework, &units);
    let Some(t) = reduced.periods.iter().position(|p| p == period) else {
        return Ok(Vec::new());
    };
    let mut data = base_dataset(&units);
    for (i, ind) in framework.indicators.iter().enumerate() {
        data.columns.insert(ind.id.clone(), raw[t][i].clone());
    }
    add_targets(&mut data, framework, period);
    let h = engine_hierarchy(framework, Some(level))?;
    let prepared = engine::prepare(&data, &h, &framework.methods)?;
    Ok(engine::sensitivity::analyse(
        &prepared,
        &h,
        &framework.methods,
        spec,
    )?)
}

#[cfg(test)]
mod tests;
