//! Scoring: activities in, indicator values, dimension scores, an index and ranks out.
//!
//! The method (the first steps of the OECD/JRC composite-indicator recipe):
//! 1. indicator raw value = aggregate of one programme's activities per kecamatan and period
//!    (activities recorded at desa level count for their kecamatan; those recorded for a whole
//!    kabupaten are kept in the table but cannot be placed in a kecamatan and are left out);
//! 2. divided by the kecamatan's residents × scale (per 10,000) where the indicator asks and the
//!    population is known; a kecamatan with no activity for a programme has value 0;
//! 3. min-max normalised to 0–100 among peers (the kecamatan of the same kabupaten) per period;
//!    an indicator on which all peers are equal carries no information and is left out;
//! 4. dimension score = weighted mean of its indicators' scores, index = weighted mean of the
//!    dimension scores (weights from the framework, renormalised over what is present);
//! 5. ranks among peers (1 = best, ties share the better rank);
//! 6. a kabupaten's dimension scores are the population-weighted mean of its kecamatan's, its
//!    index the weighted mean of those, ranked among the kabupaten/kota scored in the same run.
//!
//! The result is a set of frames ([`Scores`]) with their columns declared in [`cols`], and a
//! read model ([`ScoreBook`]) for the server. Imputation, outlier treatment, other
//! normalisations and sensitivity analysis are not implemented yet.

mod book;
mod period;

use std::collections::BTreeSet;

use polars::prelude::*;

use crate::framework::{Denominator, Framework, Measure};
use crate::region::{Level, RegionCode, Regions};
use crate::store::{Activities, cols as act};

pub use book::{DimensionScore, RegionScore, ScoreBook};
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
}

/// Scoring failed: a bug or an impossible framework, not bad activity data.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// polars failed.
    #[error("scoring failed: {0}")]
    Polars(#[from] PolarsError),
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
    /// Activities recorded at kabupaten level or above, which no kecamatan score includes.
    pub unplaced_activities: usize,
}

/// Compute scores for every kecamatan that has activities (and its sibling kecamatan), every
/// period present in the activities, and their kabupaten.
pub fn compute(
    activities: &Activities,
    framework: &Framework,
    regions: &Regions,
    granularity: Granularity,
) -> Result<Scores, ScoreError> {
    let placed = act_with_unit(activities, granularity);
    let unplaced_activities = activities.len()
        - placed
            .clone()
            .select([len()])
            .collect()?
            .column("len")?
            .get(0)?
            .try_extract::<usize>()?;

    // Raw values per (unit, period, programme), then per indicator.
    let by_programme = placed
        .group_by([col(cols::REGION), col(cols::PERIOD), col(act::PROGRAMME)])
        .agg([
            col(act::QUANTITY).sum().alias("q"),
            col(act::PARTICIPANTS)
                .cast(DataType::Float64)
                .sum()
                .alias("p"),
            col(act::BUDGET_IDR).sum().alias("b"),
            len().cast(DataType::Float64).alias("n"),
        ])
        .collect()?;

    let periods: BTreeSet<String> = by_programme
        .column(cols::PERIOD)?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let units = units_of(&by_programme, regions)?;
    let grid = grid(&units, &periods, framework)?;

    let measure = when(col("measure").eq(lit("participants")))
        .then(col("p"))
        .when(col("measure").eq(lit("budget_idr")))
        .then(col("b"))
        .when(col("measure").eq(lit("count")))
        .then(col("n"))
        .otherwise(col("q"));
    let value = when(col("per_population").and(col(cols::POPULATION).is_not_null()))
        .then(col(cols::RAW) / col(cols::POPULATION).cast(DataType::Float64) * col("scale"))
        .otherwise(col(cols::RAW));
    let group = [col(cols::PERIOD), col(cols::INDICATOR), col(cols::PEER)];
    let (lo, hi) = (
        col(cols::VALUE).min().over(group.clone())?,
        col(cols::VALUE).max().over(group)?,
    );
    let normalised = when(hi.clone().gt(lo.clone()))
        .then((col(cols::VALUE) - lo.clone()) / (hi - lo) * lit(100.0))
        .otherwise(lit(NULL).cast(DataType::Float64));

    let indicators = grid
        .lazy()
        .join(
            by_programme.lazy(),
            [col(cols::REGION), col(cols::PERIOD), col(act::PROGRAMME)],
            [col(cols::REGION), col(cols::PERIOD), col(act::PROGRAMME)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(measure.fill_null(lit(0.0)).alias(cols::RAW))
        .with_column(value.alias(cols::VALUE))
        .with_column(normalised.alias(cols::SCORE))
        .with_column(
            when(col("per_population"))
                .then(col(cols::POPULATION))
                .otherwise(lit(NULL).cast(DataType::Int64))
                .alias(cols::POPULATION),
        )
        .select([
            col(cols::REGION),
            col(cols::PEER),
            col(cols::PERIOD),
            col(cols::INDICATOR),
            col(cols::DIMENSION),
            col(cols::RAW),
            col(cols::POPULATION),
            col(cols::VALUE),
            col(cols::SCORE),
            col(cols::WEIGHT),
        ])
        .sort(
            [cols::PERIOD, cols::REGION, cols::INDICATOR],
            SortMultipleOptions::default(),
        )
        .collect()?;

    // Kecamatan: dimension scores from indicators.
    let unit_dims = weighted_mean(
        indicators.clone().lazy(),
        &[cols::REGION, cols::PEER, cols::PERIOD, cols::DIMENSION],
    );
    let unit_index = index_of(unit_dims.clone(), framework)?;

    // Kabupaten: population-weighted mean of its kecamatan's dimension scores.
    let unit_pop = unit_population_frame(&units)?;
    let parent_dims = unit_dims
        .clone()
        .join(
            unit_pop.lazy(),
            [col(cols::REGION)],
            [col(cols::REGION)],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col(cols::PEER).alias(cols::REGION),
            lit("all").alias(cols::PEER),
            col(cols::PERIOD),
            col(cols::DIMENSION),
            col(cols::SCORE),
            col("residents").alias(cols::WEIGHT),
        ]);
    let parent_dims = weighted_mean(
        parent_dims,
        &[cols::REGION, cols::PEER, cols::PERIOD, cols::DIMENSION],
    );
    let parent_index = index_of(parent_dims.clone(), framework)?;

    let dimensions = concat(
        [
            ranked(unit_dims, Level::District, true)?,
            ranked(parent_dims, Level::Regency, true)?,
        ],
        UnionArgs::default(),
    )?
    .sort(
        [cols::PERIOD, cols::REGION, cols::DIMENSION],
        SortMultipleOptions::default(),
    )
    .collect()?;
    let index = concat(
        [
            ranked(unit_index, Level::District, false)?,
            ranked(parent_index, Level::Regency, false)?,
        ],
        UnionArgs::default(),
    )?
    .sort([cols::PERIOD, cols::REGION], SortMultipleOptions::default())
    .collect()?;

    Ok(Scores {
        indicators,
        dimensions,
        index,
        unplaced_activities,
    })
}

/// Activities that can be placed in a kecamatan, with that kecamatan as `region`, its
/// kabupaten as `peer` and the period label.
fn act_with_unit(activities: &Activities, granularity: Granularity) -> LazyFrame {
    // A kecamatan code is `35.09.02` (8 characters); desa codes start with it.
    activities
        .lazy()
        .filter(col(act::REGION_CODE).str().len_chars().gt_eq(lit(8)))
        .with_columns([
            col(act::REGION_CODE)
                .str()
                .slice(lit(0), lit(8))
                .alias(cols::REGION),
            granularity.period_expr(col(act::DATE)).alias(cols::PERIOD),
        ])
}

/// A kecamatan to score: its code, kabupaten and residents.
struct Unit {
    code: RegionCode,
    parent: RegionCode,
    population: Option<u64>,
}

/// Every kecamatan of every kabupaten that has at least one placed activity, so that a
/// kecamatan with no recorded activity still appears (with zeros) among its peers.
fn units_of(by_programme: &DataFrame, regions: &Regions) -> PolarsResult<Vec<Unit>> {
    let parents: BTreeSet<RegionCode> = by_programme
        .column(cols::REGION)?
        .str()?
        .iter()
        .flatten()
        .filter_map(|c| RegionCode::parse(c).ok()?.parent())
        .collect();
    let mut units = Vec::new();
    for parent in parents {
        let mut children: Vec<&RegionCode> = regions
            .children(&parent)
            .iter()
            .filter(|c| c.level() == Level::District)
            .collect();
        children.sort();
        for code in children {
            units.push(Unit {
                code: code.clone(),
                parent: parent.clone(),
                population: regions.get(code).and_then(|r| r.population),
            });
        }
    }
    Ok(units)
}

/// All (kecamatan, period, indicator) combinations, with each indicator's definition.
fn grid(
    units: &[Unit],
    periods: &BTreeSet<String>,
    framework: &Framework,
) -> PolarsResult<DataFrame> {
    let n = units.len() * periods.len() * framework.indicators.len();
    let mut region = Vec::with_capacity(n);
    let mut peer = Vec::with_capacity(n);
    let mut population = Vec::with_capacity(n);
    let mut period = Vec::with_capacity(n);
    let mut indicator = Vec::with_capacity(n);
    let mut dimension = Vec::with_capacity(n);
    let mut programme = Vec::with_capacity(n);
    let mut measure = Vec::with_capacity(n);
    let mut per_population = Vec::with_capacity(n);
    let mut scale = Vec::with_capacity(n);
    let mut weight = Vec::with_capacity(n);
    for u in units {
        for p in periods {
            for ind in &framework.indicators {
                region.push(u.code.as_str());
                peer.push(u.parent.as_str());
                population.push(u.population.map(|v| v as i64));
                period.push(p.as_str());
                indicator.push(ind.id.as_str());
                dimension.push(ind.dimension.as_str());
                programme.push(ind.programme.as_str());
                measure.push(match ind.measure {
                    Measure::Quantity => "quantity",
                    Measure::Participants => "participants",
                    Measure::BudgetIdr => "budget_idr",
                    Measure::Count => "count",
                });
                per_population.push(ind.per == Denominator::Population);
                scale.push(ind.scale);
                weight.push(ind.weight);
            }
        }
    }
    df!(
        cols::REGION => region,
        cols::PEER => peer,
        cols::POPULATION => population,
        cols::PERIOD => period,
        cols::INDICATOR => indicator,
        cols::DIMENSION => dimension,
        act::PROGRAMME => programme,
        "measure" => measure,
        "per_population" => per_population,
        "scale" => scale,
        cols::WEIGHT => weight,
    )
}

fn unit_population_frame(units: &[Unit]) -> PolarsResult<DataFrame> {
    // A kecamatan without a population figure counts as the average one, rather than as zero.
    let known: Vec<f64> = units
        .iter()
        .filter_map(|u| u.population.map(|p| p as f64))
        .collect();
    let fallback = if known.is_empty() {
        1.0
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    df!(
        cols::REGION => units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(),
        "residents" => units.iter().map(|u| u.population.map_or(fallback, |p| p as f64)).collect::<Vec<_>>(),
    )
}

/// Weighted mean of `score` with `weight` over `keys`, leaving out missing scores and
/// renormalising the weights over those present. Null when nothing is present.
fn weighted_mean(lf: LazyFrame, keys: &[&str]) -> LazyFrame {
    let present = col(cols::SCORE).is_not_null();
    let w = when(present.clone())
        .then(col(cols::WEIGHT))
        .otherwise(lit(0.0));
    let sum_w = w.clone().sum();
    let sum_wx = (w * col(cols::SCORE).fill_null(lit(0.0))).sum();
    lf.group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([when(sum_w.clone().gt(lit(0.0)))
            .then(sum_wx / sum_w)
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias(cols::SCORE)])
}

/// Index per region and period: weighted mean of dimension scores with dimension weights.
fn index_of(dims: LazyFrame, framework: &Framework) -> PolarsResult<LazyFrame> {
    let weights = df!(
        cols::DIMENSION => framework.dimensions.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        cols::WEIGHT => framework.dimensions.iter().map(|d| d.weight).collect::<Vec<_>>(),
    )?;
    Ok(weighted_mean(
        dims.join(
            weights.lazy(),
            [col(cols::DIMENSION)],
            [col(cols::DIMENSION)],
            JoinArgs::new(JoinType::Inner),
        ),
        &[cols::REGION, cols::PEER, cols::PERIOD],
    ))
}

/// Add level, rank among peers (1 = best; ties share the better rank) and the number of peers.
fn ranked(lf: LazyFrame, level: Level, per_dimension: bool) -> PolarsResult<LazyFrame> {
    let mut group = vec![col(cols::PERIOD), col(cols::PEER)];
    if per_dimension {
        group.push(col(cols::DIMENSION));
    }
    let rank = col(cols::SCORE)
        .rank(
            RankOptions {
                method: RankMethod::Min,
                descending: true,
            },
            None,
        )
        .cast(DataType::UInt32)
        .over(group.clone())?;
    let peers = col(cols::SCORE)
        .count()
        .cast(DataType::UInt32)
        .over(group)?;
    let level = match level {
        Level::District => "district",
        Level::Regency => "regency",
        Level::Province => "province",
        Level::Village => "village",
    };
    let mut columns = vec![
        col(cols::REGION),
        lit(level).alias(cols::LEVEL),
        col(cols::PEER),
        col(cols::PERIOD),
    ];
    if per_dimension {
        columns.push(col(cols::DIMENSION));
    }
    columns.extend([
        col(cols::SCORE),
        rank.alias(cols::RANK),
        peers.alias(cols::PEERS),
    ]);
    Ok(lf.select(columns))
}

#[cfg(test)]
mod tests;
