//! Sensitivity of the ranks: how sure a peer group's index ranks are when the method's choices
//! vary (weights within ± a share, min–max or z-score normalisation, arithmetic or geometric
//! means), as the OECD/JRC Handbook asks before a ranking is published.
//!
//! One place for the settings (their bounds and defaults), the peer-group analysis behind the
//! API, the command line and the rank-interval chart, and its answer. The Monte Carlo itself is
//! the engine's ([`crate::engine::sensitivity`]); the units it runs on are the scoring's
//! ([`crate::score::sensitivity`]). Reports share one precomputed run per scoring run
//! ([`super::intervals`]). This module formats nothing for a page.

use std::ops::RangeInclusive;

use serde::Serialize;

use crate::engine::sensitivity::{RankInterval, Spec};
use crate::engine::{Aggregate, Normalise};
use crate::framework::Framework;
use crate::region::{Level, RegionCode, Regions};
use crate::score::{Granularity, ScoreBook};
use crate::store::Activities;

/// Replications allowed.
pub const REPLICATIONS: RangeInclusive<usize> = 10..=5000;
/// Replications when none are asked for.
pub const DEFAULT_REPLICATIONS: usize = 500;
/// Seed when none is given.
pub const DEFAULT_SEED: u64 = 2025;
/// Weight share when none is given: each weight × a factor in [0.75, 1.25].
pub const DEFAULT_SHARE: f64 = 0.25;

/// The Monte Carlo a caller may choose: replications, seed and weight share;
/// [`MonteCarlo::new`] checks the bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonteCarlo {
    /// Monte Carlo replications, within [`REPLICATIONS`].
    pub replications: usize,
    /// Random seed: the same seed gives the same intervals.
    pub seed: u64,
    /// Each weight is multiplied by a factor uniform in [1 − share, 1 + share]; 0–1.
    pub weight_share: f64,
}

impl Default for MonteCarlo {
    fn default() -> Self {
        MonteCarlo {
            replications: DEFAULT_REPLICATIONS,
            seed: DEFAULT_SEED,
            weight_share: DEFAULT_SHARE,
        }
    }
}

impl MonteCarlo {
    /// Checked settings; the error names the parameter and its allowed range.
    pub fn new(replications: usize, seed: u64, weight_share: f64) -> Result<MonteCarlo, String> {
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
        Ok(MonteCarlo {
            replications,
            seed,
            weight_share,
        })
    }
}

impl MonteCarlo {
    /// The run behind the rank-interval chart and the reports' 5–95 % ranks: enough replications
    /// for stable percentiles of a few dozen ranks, few enough to compute once per scoring run
    /// in well under a second. Chart and report therefore show the same intervals.
    pub const SHARED: MonteCarlo = MonteCarlo {
        replications: 200,
        seed: DEFAULT_SEED,
        weight_share: DEFAULT_SHARE,
    };

    /// The engine's specification of a run with these settings, ranking `target` within peer
    /// groups.
    pub fn spec(&self, target: &str) -> Spec {
        Spec {
            replications: self.replications,
            seed: self.seed,
            weight_share: self.weight_share,
            normalisations: normalisations(),
            aggregations: aggregations(),
            target: target.to_string(),
            rank_within: Some(crate::framework::PEER_GROUP.to_string()),
        }
    }
}

/// A sensitivity analysis could not be run.
#[derive(Debug, thiserror::Error)]
pub enum SensitivityError {
    /// The region code is not in the reference data.
    #[error("region {0} is not a known Kemendagri region")]
    UnknownRegion(RegionCode),
    /// The region, or its peer group, has no scores.
    #[error(
        "region {0} has no scores (scores exist for kecamatan with activity data and their kabupaten)"
    )]
    NotScored(RegionCode),
    /// No scores for the period.
    #[error("no scores for period {period:?}; periods with scores: {available}")]
    UnknownPeriod {
        /// The period asked for.
        period: String,
        /// Those available, comma-separated.
        available: String,
    },
    /// The scoring engine failed (a bug or an impossible framework).
    #[error("sensitivity analysis failed")]
    Failed(#[source] crate::score::ScoreError),
}

impl SensitivityError {
    /// Whether the request named something that has no scores (a 404), rather than a failure.
    pub fn is_not_found(&self) -> bool {
        !matches!(self, SensitivityError::Failed(_))
    }
}

/// The rank intervals of one peer group (a kabupaten's kecamatan) in one period.
#[derive(Debug, Clone)]
pub struct PeerSensitivity {
    /// The kabupaten whose kecamatan are compared.
    pub group: RegionCode,
    /// The period analysed.
    pub period: String,
    /// One interval per kecamatan of the group, in the engine's order.
    pub intervals: Vec<RankInterval>,
}

/// What a peer-group analysis reads: the scored activities and the reference data.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The activities scored.
    pub activities: &'a Activities,
    /// Their scores' read model (periods, peer groups).
    pub book: &'a ScoreBook,
    /// Region reference data.
    pub regions: &'a Regions,
    /// The framework.
    pub framework: &'a Framework,
    /// Period granularity.
    pub granularity: Granularity,
}

/// The kabupaten whose kecamatan `region` is compared with: itself, or a kecamatan's.
fn group_of(regions: &Regions, region: &RegionCode) -> Result<RegionCode, SensitivityError> {
    if !regions.contains(region) {
        return Err(SensitivityError::UnknownRegion(region.clone()));
    }
    match region.level() {
        Level::Regency => Ok(region.clone()),
        Level::District => Ok(region.parent().expect("a kecamatan has a parent")),
        _ => Err(SensitivityError::NotScored(region.clone())),
    }
}

/// Run the Monte Carlo sensitivity analysis for `region`'s peer group (the kabupaten itself,
/// or a kecamatan's kabupaten) in `period` (the latest when `None`) with `settings`. Shared by
/// the rank-interval chart, the API and the command line, so that all three report the same
/// analysis.
pub fn peer_sensitivity(
    inputs: Inputs<'_>,
    region: &RegionCode,
    period: Option<&str>,
    settings: MonteCarlo,
) -> Result<PeerSensitivity, SensitivityError> {
    let book = inputs.book;
    let group = group_of(inputs.regions, region)?;
    let period = match period {
        Some(p) => p,
        None => book.latest_period().unwrap_or(""),
    };
    if !book.periods().iter().any(|x| x == period) {
        return Err(SensitivityError::UnknownPeriod {
            period: period.to_string(),
            available: book.periods().join(", "),
        });
    }
    if book.ranking(group.as_str(), period).is_empty() {
        return Err(SensitivityError::NotScored(group));
    }
    let spec = settings.spec(&inputs.framework.id);
    let prefix = format!("{group}.");
    let intervals: Vec<_> = crate::score::sensitivity(
        inputs.activities,
        inputs.framework,
        inputs.regions,
        inputs.granularity,
        Level::District,
        period,
        &spec,
    )
    .map_err(SensitivityError::Failed)?
    .into_iter()
    .filter(|r| r.unit.starts_with(&prefix))
    .collect();
    if intervals.is_empty() {
        return Err(SensitivityError::NotScored(group));
    }
    Ok(PeerSensitivity {
        group,
        period: period.to_string(),
        intervals,
    })
}

/// The normalisations a sensitivity analysis draws from. Both keep every value positive, so a
/// geometric mean stays defined and does not collapse to 0 (and many regions into one tied
/// rank) wherever a region scored the minimum on one indicator: min-max to 1–100, as COINr
/// recommends before geometric aggregation, and z-scores centred on 10.
pub fn normalisations() -> Vec<Normalise> {
    vec![
        Normalise::MinMax {
            low: 1.0,
            high: 100.0,
        },
        Normalise::ZScore {
            mean: 10.0,
            sd: 1.0,
        },
    ]
}

/// The aggregations a sensitivity analysis draws from.
pub fn aggregations() -> Vec<Aggregate> {
    vec![Aggregate::Arithmetic, Aggregate::Geometric]
}

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
pub struct MonteCarloJson {
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
    pub framework: FrameworkVersion,
    /// How the Monte Carlo was run.
    pub settings: MonteCarloJson,
    /// The peers, by nominal rank (unranked last).
    pub regions: Vec<RankJson>,
}

/// Framework id and version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SensitivityFramework)]
pub struct FrameworkVersion {
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

/// Run the analysis for `region`'s peer group in `period` (the latest when `None`), as the API
/// and the command line answer it.
pub fn analyse(
    inputs: Inputs<'_>,
    region: &RegionCode,
    period: Option<&str>,
    settings: MonteCarlo,
) -> Result<SensitivityReport, SensitivityError> {
    let (regions, framework) = (inputs.regions, inputs.framework);
    let run = peer_sensitivity(inputs, region, period, settings)?;
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
        framework: FrameworkVersion {
            id: framework.id.clone(),
            version: framework.version.clone(),
        },
        settings: MonteCarloJson {
            replications: settings.replications,
            seed: settings.seed,
            weight_share: settings.weight_share,
            normalisations: normalisations(),
            aggregations: aggregations(),
            target: framework.id.clone(),
            fixed: vec!["imputation", "outlier treatment"],
        },
        regions: rows,
    })
}
