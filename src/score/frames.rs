//! The score frames: rows collected period by period (indicators with their explanation,
//! dimension scores, the index), ranked among peers as they are added, then built into the
//! polars frames of [`Scores`] with the columns declared in [`cols`].
//!
//! Nothing here computes a score; the rows come from [`super::compute`].

use polars::prelude::*;

use super::{ScoreError, Scores, cols};
use crate::engine;
use crate::framework::Framework;

/// Rows of the output frames, filled period by period.
#[derive(Default)]
pub(super) struct Rows {
    // indicators / explain
    pub(super) i_region: Vec<String>,
    pub(super) i_peer: Vec<String>,
    pub(super) i_period: Vec<String>,
    pub(super) i_indicator: Vec<String>,
    pub(super) i_dimension: Vec<String>,
    pub(super) i_raw: Vec<Option<f64>>,
    pub(super) i_population: Vec<Option<i64>>,
    pub(super) i_denominator: Vec<Option<f64>>,
    pub(super) i_value: Vec<Option<f64>>,
    pub(super) i_treated: Vec<Option<f64>>,
    pub(super) i_score: Vec<Option<f64>>,
    pub(super) i_weight: Vec<f64>,
    pub(super) i_eff_weight: Vec<Option<f64>>,
    pub(super) i_index_weight: Vec<Option<f64>>,
    pub(super) i_to_dim: Vec<Option<f64>>,
    pub(super) i_to_index: Vec<Option<f64>>,
    // dimensions
    pub(super) d_region: Vec<String>,
    pub(super) d_level: Vec<&'static str>,
    pub(super) d_peer: Vec<String>,
    pub(super) d_period: Vec<String>,
    pub(super) d_dimension: Vec<String>,
    pub(super) d_score: Vec<Option<f64>>,
    pub(super) d_rank: Vec<Option<u32>>,
    pub(super) d_peers: Vec<u32>,
    // index
    pub(super) x_region: Vec<String>,
    pub(super) x_level: Vec<&'static str>,
    pub(super) x_peer: Vec<String>,
    pub(super) x_period: Vec<String>,
    pub(super) x_score: Vec<Option<f64>>,
    pub(super) x_rank: Vec<Option<u32>>,
    pub(super) x_peers: Vec<u32>,
}

/// Regions ranked together in one period: their level, codes and each one's peer group.
pub(super) struct RankedSet<'a> {
    /// `district`, `regency`, …
    pub(super) level: &'static str,
    /// The regions' codes.
    pub(super) regions: &'a [String],
    /// Each region's peer group (the parent's code, or `all`).
    pub(super) peers: &'a [String],
    /// The period label.
    pub(super) period: &'a str,
}

impl Rows {
    /// Scores of one node level for a set of regions, ranked within their peers; `dimension`
    /// `None` is the index.
    pub(super) fn push_ranked(
        &mut self,
        set: &RankedSet<'_>,
        dimension: Option<&str>,
        scores: &[Option<f64>],
    ) {
        let RankedSet {
            level,
            regions,
            peers,
            period,
        } = *set;
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

/// The score frames from the rows, each sorted by period and region.
pub(super) fn frames(
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
