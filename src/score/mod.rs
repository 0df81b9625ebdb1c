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

mod book;
pub mod explain;
mod period;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use polars::prelude::*;

use crate::engine;
use crate::framework::targets;
use crate::framework::{Aggregation, Denominator, DistinctOf, Framework, Measure};
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
    if let Some(t) = &framework.targets {
        t.check_regions(regions)?;
    }
    let reduced = reduce(activities, granularity, level, framework)?;
    let unplaced_activities = activities.len() - reduced.records;
    let units = units_of(&reduced.units, regions, level);
    let raw = indicator_values(&reduced, framework, &units);
    let mut scores = score_units(&raw, &units, &reduced.periods, framework, level)?;
    scores.unplaced_activities = unplaced_activities;
    Ok(scores)
}

/// Length of a region code at a level: `35`, `35.09`, `35.09.02`, `35.09.02.2001`.
fn code_len(level: Level) -> u32 {
    match level {
        Level::Province => 2,
        Level::Regency => 5,
        Level::District => 8,
        Level::Village => 13,
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Province => "province",
        Level::Regency => "regency",
        Level::District => "district",
        Level::Village => "village",
    }
}

/// One group of placed activity records with the same place, period, programme, target group
/// and organiser.
struct Cell {
    unit: usize,
    period: usize,
    region_code: String,
    programme: String,
    target_group: Option<String>,
    organiser: Option<String>,
    /// Sums and counts of present values: quantity, participants, budget.
    sums: [f64; 3],
    present: [f64; 3],
    records: f64,
}

struct Reduced {
    units: Vec<String>,
    periods: Vec<String>,
    cells: Vec<Cell>,
    records: usize,
}

/// Group the records once by place, period and programme (and target group or organiser when
/// an indicator needs them), so that each indicator is a pass over far fewer rows. Records whose
/// code is above `level` cannot be placed in a unit and are left out.
fn reduce(
    activities: &Activities,
    granularity: Granularity,
    level: Level,
    framework: &Framework,
) -> PolarsResult<Reduced> {
    let by_target = framework.indicators.iter().any(|i| {
        !i.target_groups.is_empty()
            || (i.aggregation == Aggregation::DistinctCount
                && i.distinct == DistinctOf::TargetGroup)
    });
    let by_organiser = framework.indicators.iter().any(|i| {
        !i.organisers.is_empty()
            || (i.aggregation == Aggregation::DistinctCount && i.distinct == DistinctOf::Organiser)
    });
    let mut keys = vec![
        col(act::REGION_CODE),
        col(cols::PERIOD),
        col(act::PROGRAMME),
    ];
    if by_target {
        keys.push(col(act::TARGET_GROUP));
    }
    if by_organiser {
        keys.push(col(act::ORGANISER));
    }
    // Only the sums and counts some indicator uses: each is a pass over every record.
    let uses = |m: Measure| framework.indicators.iter().any(|i| i.measure == m);
    let mean = framework
        .indicators
        .iter()
        .any(|i| i.aggregation == Aggregation::Mean);
    let mut aggs = vec![len().cast(DataType::Float64).alias("n")];
    for (measure, column, sum, count) in [
        (Measure::Quantity, act::QUANTITY, "q", "qn"),
        (Measure::Participants, act::PARTICIPANTS, "p", "pn"),
        (Measure::BudgetIdr, act::BUDGET_IDR, "b", "bn"),
    ] {
        if uses(measure) {
            aggs.push(col(column).cast(DataType::Float64).sum().alias(sum));
            if mean {
                aggs.push(col(column).count().cast(DataType::Float64).alias(count));
            }
        }
    }
    let df = activities
        .lazy()
        .with_column(granularity.key_expr(col(act::DATE)).alias(cols::PERIOD))
        .group_by(keys)
        .agg(aggs)
        .collect()?;
    let s = |c: &str| -> PolarsResult<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
    // An aggregate no indicator asked for reads as zeros.
    let zeros = Float64Chunked::full("zero".into(), 0.0, df.height());
    let f = |c: &str| -> PolarsResult<Float64Chunked> {
        match df.column(c) {
            Ok(col) => Ok(col.f64()?.clone()),
            Err(_) => Ok(zeros.clone()),
        }
    };
    let (code, programme) = (s(act::REGION_CODE)?, s(act::PROGRAMME)?);
    let target = by_target.then(|| s(act::TARGET_GROUP)).transpose()?;
    let organiser = by_organiser.then(|| s(act::ORGANISER)).transpose()?;
    let period = df.column(cols::PERIOD)?.i32()?.clone();
    let (q, p, b, qn, pn, bn, n) = (
        f("q")?,
        f("p")?,
        f("b")?,
        f("qn")?,
        f("pn")?,
        f("bn")?,
        f("n")?,
    );
    // A kecamatan code is `35.09.02` (8 characters); desa codes start with it.
    let len = code_len(level) as usize;
    let placed = |i: usize| -> Option<(&str, i32)> {
        let c = code.get(i)?;
        Some((c.get(..len)?, period.get(i)?))
    };
    let units: BTreeSet<&str> = (0..df.height())
        .filter_map(|i| placed(i).map(|x| x.0))
        .collect();
    let keys: BTreeSet<i32> = (0..df.height())
        .filter_map(|i| placed(i).map(|x| x.1))
        .collect();
    let units: Vec<String> = units.into_iter().map(str::to_string).collect();
    let unit_ix: HashMap<&str, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.as_str(), i))
        .collect();
    let period_ix: HashMap<i32, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let periods: Vec<String> = keys.iter().map(|k| granularity.label(*k)).collect();
    let mut cells = Vec::with_capacity(df.height());
    let mut records = 0usize;
    for i in 0..df.height() {
        let Some((u, t)) = placed(i) else {
            continue;
        };
        let nrec = n.get(i).unwrap_or(0.0);
        records += nrec as usize;
        cells.push(Cell {
            unit: unit_ix[u],
            period: period_ix[&t],
            region_code: code.get(i).unwrap_or_default().to_string(),
            programme: programme.get(i).unwrap_or_default().to_string(),
            target_group: target.as_ref().and_then(|t| t.get(i)).map(str::to_string),
            organiser: organiser
                .as_ref()
                .and_then(|o| o.get(i))
                .map(str::to_string),
            sums: [
                q.get(i).unwrap_or(0.0),
                p.get(i).unwrap_or(0.0),
                b.get(i).unwrap_or(0.0),
            ],
            present: [
                qn.get(i).unwrap_or(0.0),
                pn.get(i).unwrap_or(0.0),
                bn.get(i).unwrap_or(0.0),
            ],
            records: nrec,
        });
    }
    Ok(Reduced {
        units,
        periods,
        cells,
        records,
    })
}

/// A unit to score (a kecamatan by default): its code, parent and reference figures.
struct Unit {
    code: RegionCode,
    parent: RegionCode,
    population: Option<u64>,
    area: Option<f64>,
    desa: usize,
}

/// Every kecamatan of every kabupaten that has at least one placed activity, so that a
/// kecamatan with no recorded activity still appears (with zeros) among its peers (or the same
/// one level up).
fn units_of(placed_units: &[String], regions: &Regions, level: Level) -> Vec<Unit> {
    let parents: BTreeSet<RegionCode> = placed_units
        .iter()
        .filter_map(|c| RegionCode::parse(c).ok()?.parent())
        .collect();
    let mut units = Vec::new();
    for parent in parents {
        let mut children: Vec<&RegionCode> = regions
            .children(&parent)
            .iter()
            .filter(|c| c.level() == level)
            .collect();
        children.sort();
        for code in children {
            let region = regions.get(code);
            units.push(Unit {
                code: code.clone(),
                parent: parent.clone(),
                population: region.and_then(|r| r.population),
                area: region.and_then(|r| r.area_km2),
                desa: villages(regions, code),
            });
        }
    }
    units
}

/// Number of desa/kelurahan in a region.
fn villages(regions: &Regions, code: &RegionCode) -> usize {
    regions
        .children(code)
        .iter()
        .map(|c| {
            if c.level() == Level::Village {
                1
            } else {
                villages(regions, c)
            }
        })
        .sum()
}

/// Raw indicator values per period: `[period][indicator][unit]`.
fn indicator_values(
    reduced: &Reduced,
    framework: &Framework,
    units: &[Unit],
) -> Vec<Vec<Vec<Option<f64>>>> {
    // Reduced units index → scored unit index (a placed code unknown to the regions is dropped).
    let pos: HashMap<&str, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.code.as_str(), i))
        .collect();
    let map: Vec<Option<usize>> = reduced
        .units
        .iter()
        .map(|u| pos.get(u.as_str()).copied())
        .collect();
    let (np, nu) = (reduced.periods.len(), units.len());
    let mut by_programme: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, ind) in framework.indicators.iter().enumerate() {
        for p in &ind.programmes {
            by_programme.entry(p.as_str()).or_default().push(i);
        }
    }
    let ni = framework.indicators.len();
    let mut sum = vec![vec![vec![0.0f64; nu]; ni]; np];
    let mut cnt = vec![vec![vec![0.0f64; nu]; ni]; np];
    let mut distinct: HashMap<(usize, usize, usize), HashSet<&str>> = HashMap::new();
    for c in &reduced.cells {
        let Some(u) = map[c.unit] else { continue };
        let Some(inds) = by_programme.get(c.programme.as_str()) else {
            continue;
        };
        for &i in inds {
            let ind = &framework.indicators[i];
            if !ind.target_groups.is_empty()
                && !c
                    .target_group
                    .as_ref()
                    .is_some_and(|t| ind.target_groups.contains(t))
            {
                continue;
            }
            if !ind.organisers.is_empty()
                && !c
                    .organiser
                    .as_ref()
                    .is_some_and(|o| ind.organisers.contains(o))
            {
                continue;
            }
            let field = match ind.measure {
                Measure::Quantity => Some(0),
                Measure::Participants => Some(1),
                Measure::BudgetIdr => Some(2),
                Measure::Count => None,
            };
            let (s, n) = match field {
                Some(f) => (c.sums[f], c.present[f]),
                None => (c.records, c.records),
            };
            match ind.aggregation {
                Aggregation::Sum => sum[c.period][i][u] += s,
                Aggregation::Count => sum[c.period][i][u] += c.records,
                Aggregation::Mean => {
                    sum[c.period][i][u] += s;
                    cnt[c.period][i][u] += n;
                }
                Aggregation::DistinctCount => {
                    let v = match ind.distinct {
                        DistinctOf::Region => Some(c.region_code.as_str()),
                        DistinctOf::TargetGroup => c.target_group.as_deref(),
                        DistinctOf::Organiser => c.organiser.as_deref(),
                    };
                    if let Some(v) = v {
                        distinct.entry((c.period, i, u)).or_default().insert(v);
                    }
                }
            }
        }
    }
    (0..np)
        .map(|t| {
            (0..ni)
                .map(|i| {
                    let ind = &framework.indicators[i];
                    (0..nu)
                        .map(|u| match ind.aggregation {
                            Aggregation::Sum | Aggregation::Count => Some(sum[t][i][u]),
                            Aggregation::Mean => {
                                (cnt[t][i][u] > 0.0).then(|| sum[t][i][u] / cnt[t][i][u])
                            }
                            Aggregation::DistinctCount => {
                                Some(distinct.get(&(t, i, u)).map_or(0.0, |s| s.len() as f64))
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Column of the engine data set holding a denominator.
fn denominator_column(per: Denominator, per_indicator: Option<&str>) -> Option<String> {
    match per {
        Denominator::None => None,
        Denominator::Population => Some("population".into()),
        Denominator::Area => Some("area".into()),
        Denominator::Desa => Some("desa".into()),
        Denominator::Indicator => per_indicator.map(str::to_string),
    }
}

/// The engine's hierarchy for a framework, with each indicator's denominator.
fn engine_hierarchy(framework: &Framework) -> Result<engine::Hierarchy, engine::EngineError> {
    let mut nodes = framework.hierarchy().nodes().to_vec();
    for n in nodes.iter_mut().filter(|n| n.indicator) {
        if let Some(ind) = framework.indicator(&n.id) {
            n.denominator =
                denominator_column(ind.per, ind.per_indicator.as_deref()).map(|column| {
                    engine::Denominate {
                        column,
                        scale: ind.scale,
                    }
                });
        }
    }
    engine::Hierarchy::new(nodes)
}

/// Rows of the output frames, filled period by period.
#[derive(Default)]
struct Rows {
    // indicators / explain
    i_region: Vec<String>,
    i_peer: Vec<String>,
    i_period: Vec<String>,
    i_indicator: Vec<String>,
    i_dimension: Vec<String>,
    i_raw: Vec<Option<f64>>,
    i_population: Vec<Option<i64>>,
    i_denominator: Vec<Option<f64>>,
    i_value: Vec<Option<f64>>,
    i_treated: Vec<Option<f64>>,
    i_score: Vec<Option<f64>>,
    i_weight: Vec<f64>,
    i_eff_weight: Vec<Option<f64>>,
    i_index_weight: Vec<Option<f64>>,
    i_to_dim: Vec<Option<f64>>,
    i_to_index: Vec<Option<f64>>,
    // dimensions
    d_region: Vec<String>,
    d_level: Vec<&'static str>,
    d_peer: Vec<String>,
    d_period: Vec<String>,
    d_dimension: Vec<String>,
    d_score: Vec<Option<f64>>,
    d_rank: Vec<Option<u32>>,
    d_peers: Vec<u32>,
    // index
    x_region: Vec<String>,
    x_level: Vec<&'static str>,
    x_peer: Vec<String>,
    x_period: Vec<String>,
    x_score: Vec<Option<f64>>,
    x_rank: Vec<Option<u32>>,
    x_peers: Vec<u32>,
}

impl Rows {
    /// Scores of one node level for a set of regions, ranked within `peers`.
    #[allow(clippy::too_many_arguments)]
    fn push_ranked(
        &mut self,
        level: &'static str,
        regions: &[String],
        peers: &[String],
        period: &str,
        dimension: Option<&str>,
        scores: &[Option<f64>],
    ) {
        let groups: Vec<Option<String>> = peers.iter().cloned().map(Some).collect();
        let (rank, size) = engine::methods::ranks(scores, Some(&groups));
        for u in 0..regions.len() {
            match dimension {
                Some(d) => {
                    self.d_region.push(regions[u].clone());
                    self.d_level.push(level);
                    self.d_peer.push(peers[u].clone());
                    self.d_period.push(period.to_string());
                    self.d_dimension.push(d.to_string());
                    self.d_score.push(scores[u]);
                    self.d_rank.push(rank[u]);
                    self.d_peers.push(size[u]);
                }
                None => {
                    self.x_region.push(regions[u].clone());
                    self.x_level.push(level);
                    self.x_peer.push(peers[u].clone());
                    self.x_period.push(period.to_string());
                    self.x_score.push(scores[u]);
                    self.x_rank.push(rank[u]);
                    self.x_peers.push(size[u]);
                }
            }
        }
    }
}

/// The engine data set of the units without indicator columns: denominators and the peer group.
fn base_dataset(units: &[Unit]) -> engine::Dataset {
    let mut base = engine::Dataset {
        units: units.iter().map(|u| u.code.to_string()).collect(),
        ..engine::Dataset::default()
    };
    base.columns.insert(
        "population".into(),
        units
            .iter()
            .map(|u| u.population.map(|p| p as f64))
            .collect(),
    );
    base.columns
        .insert("area".into(), units.iter().map(|u| u.area).collect());
    base.columns.insert(
        "desa".into(),
        units
            .iter()
            .map(|u| Some(u.desa as f64).filter(|d| *d > 0.0))
            .collect(),
    );
    base.groups.insert(
        crate::framework::PEER_GROUP.into(),
        units.iter().map(|u| Some(u.parent.to_string())).collect(),
    );
    base
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
    let raw = indicator_values(&reduced, framework, &units);
    let Some(t) = reduced.periods.iter().position(|p| p == period) else {
        return Ok(Vec::new());
    };
    let mut data = base_dataset(&units);
    for (i, ind) in framework.indicators.iter().enumerate() {
        data.columns.insert(ind.id.clone(), raw[t][i].clone());
    }
    add_targets(&mut data, framework, period);
    let h = engine_hierarchy(framework)?;
    let prepared = engine::prepare(&data, &h, &framework.methods)?;
    Ok(engine::sensitivity::analyse(
        &prepared,
        &h,
        &framework.methods,
        spec,
    )?)
}

/// Each unit's own target for the period, for the indicators normalised as distance to target
/// (none when the framework has no targets file).
fn add_targets(data: &mut engine::Dataset, framework: &Framework, period: &str) {
    let Some(targets) = &framework.targets else {
        return;
    };
    for ind in &framework.indicators {
        if !framework.methods.uses_target(&ind.id) {
            continue;
        }
        let col: Vec<Option<f64>> = data
            .units
            .iter()
            .map(|u| targets.get(u, &ind.id, period))
            .collect();
        if col.iter().any(Option::is_some) {
            data.targets.insert(ind.id.clone(), col);
        }
    }
}

fn score_units(
    raw: &[Vec<Vec<Option<f64>>>],
    units: &[Unit],
    periods: &[String],
    framework: &Framework,
    level: Level,
) -> Result<Scores, ScoreError> {
    let (unit_level, parent_level) = (
        level_name(level),
        level_name(match level {
            Level::Village => Level::District,
            Level::District => Level::Regency,
            _ => Level::Province,
        }),
    );
    let h = engine_hierarchy(framework)?;
    let methods = &framework.methods;
    let root = framework.id.as_str();
    let codes: Vec<String> = units.iter().map(|u| u.code.to_string()).collect();
    let base = base_dataset(units);
    // A kecamatan without a population figure counts as the average one in its kabupaten's
    // mean, rather than as zero.
    let known: Vec<f64> = units
        .iter()
        .filter_map(|u| u.population.map(|p| p as f64))
        .collect();
    let fallback = engine::methods::mean(&known).unwrap_or(1.0);
    let residents: HashMap<&str, f64> = units
        .iter()
        .map(|u| (u.code.as_str(), u.population.map_or(fallback, |p| p as f64)))
        .collect();
    let parent_of: HashMap<&str, String> = units
        .iter()
        .map(|u| (u.code.as_str(), u.parent.to_string()))
        .collect();
    let dims: Vec<&str> = framework.dimensions.iter().map(|d| d.id.as_str()).collect();
    let dim_of: HashMap<&str, &str> = framework
        .indicators
        .iter()
        .map(|i| (i.id.as_str(), i.dimension.as_str()))
        .collect();
    let weight_of: HashMap<&str, f64> = framework
        .indicators
        .iter()
        .map(|i| (i.id.as_str(), i.weight))
        .collect();

    let mut rows = Rows::default();
    let mut last: HashMap<(String, String), f64> = HashMap::new();
    for (t, period) in periods.iter().enumerate() {
        let mut data = base.clone();
        for (i, ind) in framework.indicators.iter().enumerate() {
            data.columns.insert(ind.id.clone(), raw[t][i].clone());
            data.last.insert(
                ind.id.clone(),
                codes
                    .iter()
                    .map(|c| last.get(&(ind.id.clone(), c.clone())).copied())
                    .collect(),
            );
        }
        add_targets(&mut data, framework, period);
        let out = engine::run(&data, &h, methods)?;
        let p = &out.prepared;
        for (i, id) in p.indicators.iter().enumerate() {
            for (u, code) in p.units.iter().enumerate() {
                if let Some(v) = p.denominated[i][u] {
                    last.insert((id.clone(), code.clone()), v);
                }
            }
        }
        let kept_peers: Vec<String> = p
            .units
            .iter()
            .map(|c| parent_of[c.as_str()].clone())
            .collect();

        // Indicators and their explanation, per kept kecamatan.
        let eff = out.effective_weights(&h);
        // A dimension's weight in the index: product of effective weights up to the root.
        let index_weights: HashMap<&str, Vec<Option<f64>>> = dims
            .iter()
            .map(|d| {
                let w = (0..p.units.len())
                    .map(|u| {
                        let mut w = 1.0;
                        let mut at = d.to_string();
                        while let Some(parent) = h.node(&at).and_then(|n| n.parent.clone()) {
                            w *= eff.get(&at)?[u]?;
                            at = parent;
                        }
                        Some(w)
                    })
                    .collect();
                (*d, w)
            })
            .collect();
        for (u, code) in p.units.iter().enumerate() {
            for (i, id) in p.indicators.iter().enumerate() {
                let ind = framework.indicator(id);
                let score = out.normalised[i][u];
                let eff = eff.get(id).and_then(|w| w[u]);
                let dim = dim_of[id.as_str()];
                let index_weight = index_weights.get(dim).and_then(|w| w[u]);
                rows.i_region.push(code.clone());
                rows.i_peer.push(kept_peers[u].clone());
                rows.i_period.push(period.clone());
                rows.i_indicator.push(id.clone());
                rows.i_dimension.push(dim.to_string());
                rows.i_raw.push(p.raw[i][u]);
                rows.i_population.push(
                    ind.filter(|x| x.per == Denominator::Population)
                        .and_then(|_| p.denominator[i][u])
                        .map(|v| v as i64),
                );
                rows.i_denominator.push(p.denominator[i][u]);
                rows.i_value.push(p.denominated[i][u]);
                rows.i_treated.push(p.treated[i][u]);
                rows.i_score.push(score);
                rows.i_weight.push(weight_of[id.as_str()]);
                rows.i_eff_weight.push(eff);
                rows.i_index_weight.push(index_weight);
                rows.i_to_dim.push(score.zip(eff).map(|(s, w)| s * w));
                rows.i_to_index.push(
                    score
                        .zip(eff)
                        .zip(index_weight)
                        .map(|((s, w), iw)| s * w * iw),
                );
            }
        }
        for d in &dims {
            let s = out.scores.get(*d).cloned().unwrap_or_default();
            rows.push_ranked(unit_level, &p.units, &kept_peers, period, Some(d), &s);
        }
        let idx = out.scores.get(root).cloned().unwrap_or_default();
        rows.push_ranked(unit_level, &p.units, &kept_peers, period, None, &idx);

        // Kabupaten: population-weighted mean of its kecamatan's scores, per dimension.
        let parents: Vec<String> = kept_peers
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let all = vec!["all".to_string(); parents.len()];
        let mut parent_scores: HashMap<&str, Vec<Option<f64>>> = HashMap::new();
        for d in &dims {
            let s = out.scores.get(*d).cloned().unwrap_or_default();
            let v: Vec<Option<f64>> = parents
                .iter()
                .map(|par| {
                    let (vals, ws): (Vec<Option<f64>>, Vec<f64>) = p
                        .units
                        .iter()
                        .enumerate()
                        .filter(|(u, _)| &kept_peers[*u] == par)
                        .map(|(u, c)| (s[u], residents[c.as_str()]))
                        .unzip();
                    engine::methods::weighted_mean(&vals, &ws, &engine::Aggregate::Arithmetic, 0.0)
                })
                .collect();
            parent_scores.insert(d, v);
        }
        for d in &dims {
            rows.push_ranked(
                parent_level,
                &parents,
                &all,
                period,
                Some(d),
                &parent_scores[d],
            );
        }
        // Its index: the framework's aggregate of its top dimensions.
        let top: Vec<&crate::framework::Dimension> = framework.top_dimensions().collect();
        let weights: Vec<f64> = top.iter().map(|d| d.weight).collect();
        let level = h.level(root).unwrap_or(0).to_string();
        let agg = methods
            .node
            .get(root)
            .and_then(|o| o.aggregate.clone())
            .or_else(|| methods.level.get(&level).and_then(|o| o.aggregate.clone()))
            .unwrap_or_else(|| methods.aggregate.clone());
        let parent_index: Vec<Option<f64>> = (0..parents.len())
            .map(|k| {
                let vals: Vec<Option<f64>> = top
                    .iter()
                    .map(|d| parent_scores[d.id.as_str()][k])
                    .collect();
                engine::methods::weighted_mean(&vals, &weights, &agg, methods.min_share)
            })
            .collect();
        rows.push_ranked(parent_level, &parents, &all, period, None, &parent_index);
    }
    frames(rows, framework, methods)
}

fn frames(
    rows: Rows,
    framework: &Framework,
    methods: &engine::Methods,
) -> Result<Scores, ScoreError> {
    let explain = df!(
        cols::REGION => &rows.i_region,
        cols::PEER => &rows.i_peer,
        cols::PERIOD => &rows.i_period,
        cols::INDICATOR => &rows.i_indicator,
        cols::DIMENSION => &rows.i_dimension,
        cols::RAW => &rows.i_raw,
        cols::DENOMINATOR => &rows.i_denominator,
        cols::VALUE => &rows.i_value,
        cols::TREATED => &rows.i_treated,
        cols::SCORE => &rows.i_score,
        cols::WEIGHT => &rows.i_eff_weight,
        cols::INDEX_WEIGHT => &rows.i_index_weight,
        cols::TO_DIMENSION => &rows.i_to_dim,
        cols::TO_INDEX => &rows.i_to_index,
    )?
    .sort(
        [cols::PERIOD, cols::REGION, cols::INDICATOR],
        SortMultipleOptions::default(),
    )?;
    let indicators = df!(
        cols::REGION => rows.i_region,
        cols::PEER => rows.i_peer,
        cols::PERIOD => rows.i_period,
        cols::INDICATOR => rows.i_indicator,
        cols::DIMENSION => rows.i_dimension,
        cols::RAW => rows.i_raw,
        cols::POPULATION => rows.i_population,
        cols::VALUE => rows.i_value,
        cols::SCORE => rows.i_score,
        cols::WEIGHT => rows.i_weight,
    )?
    .sort(
        [cols::PERIOD, cols::REGION, cols::INDICATOR],
        SortMultipleOptions::default(),
    )?;
    let dimensions = df!(
        cols::REGION => rows.d_region,
        cols::LEVEL => rows.d_level,
        cols::PEER => rows.d_peer,
        cols::PERIOD => rows.d_period,
        cols::DIMENSION => rows.d_dimension,
        cols::SCORE => rows.d_score,
        cols::RANK => rows.d_rank,
        cols::PEERS => rows.d_peers,
    )?
    .sort(
        [cols::PERIOD, cols::REGION, cols::DIMENSION],
        SortMultipleOptions::default(),
    )?;
    let index = df!(
        cols::REGION => rows.x_region,
        cols::LEVEL => rows.x_level,
        cols::PEER => rows.x_peer,
        cols::PERIOD => rows.x_period,
        cols::SCORE => rows.x_score,
        cols::RANK => rows.x_rank,
        cols::PEERS => rows.x_peers,
    )?
    .sort([cols::PERIOD, cols::REGION], SortMultipleOptions::default())?;
    Ok(Scores {
        indicators,
        dimensions,
        index,
        explain,
        unplaced_activities: 0,
        framework: (framework.id.clone(), framework.version.clone()),
        methods: serde_json::to_string(methods).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;
