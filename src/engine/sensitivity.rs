//! Sensitivity analysis: Monte Carlo over weights (each multiplied by a factor drawn uniformly
//! in 1 ± a share), normalisation and aggregation choices; per unit the nominal rank, the median
//! rank and the 5–95% rank interval of one node (usually the index).
//!
//! Reproducible: the same seed gives the same intervals. Imputation and treatment are not
//! varied (they are computed once), which keeps a replication to a normalisation and an
//! aggregation pass.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{
    Aggregate, EngineError, Hierarchy, Methods, Normalise, Prepared, aggregate_all, methods,
    normalise_all,
};

/// What to vary and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Number of replications.
    pub replications: usize,
    /// Random seed.
    pub seed: u64,
    /// Each weight is multiplied by a factor uniform in [1 − share, 1 + share].
    pub weight_share: f64,
    /// Normalisations to draw from (empty: the nominal one).
    #[serde(default)]
    pub normalisations: Vec<Normalise>,
    /// Aggregations to draw from (empty: the nominal one).
    #[serde(default)]
    pub aggregations: Vec<Aggregate>,
    /// The node whose rank is tracked (e.g. the index).
    pub target: String,
    /// Rank within the groups of this column instead of among all units.
    #[serde(default)]
    pub rank_within: Option<String>,
}

/// One unit's rank and its spread over the replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankInterval {
    /// Unit code.
    pub unit: String,
    /// Rank under the nominal methods.
    pub nominal: Option<u32>,
    /// Median rank over the replications.
    pub median: Option<f64>,
    /// 5th percentile of the rank.
    pub p05: Option<f64>,
    /// 95th percentile of the rank.
    pub p95: Option<f64>,
}

/// Run the Monte Carlo on prepared (imputed, treated) data.
pub fn analyse(
    prepared: &Prepared,
    h: &Hierarchy,
    nominal: &Methods,
    spec: &Spec,
) -> Result<Vec<RankInterval>, EngineError> {
    let groups = match &spec.rank_within {
        Some(g) => Some(
            prepared
                .groups
                .get(g)
                .ok_or_else(|| EngineError::NoColumn {
                    node: "sensitivity".into(),
                    column: g.clone(),
                })?
                .clone(),
        ),
        None => None,
    };
    if h.node(&spec.target).is_none() {
        return Err(EngineError::NoColumn {
            node: "sensitivity".into(),
            column: spec.target.clone(),
        });
    }
    let n = prepared.units.len();
    let rank_of = |h: &Hierarchy, m: &Methods| -> Result<Vec<Option<u32>>, EngineError> {
        let norm = normalise_all(prepared, h, m)?;
        let scores = aggregate_all(&prepared.indicators, &norm, n, h, m);
        let target = scores.get(&spec.target).cloned().unwrap_or_default();
        Ok(methods::ranks(&target, groups.as_deref()).0)
    };
    let nominal_ranks = rank_of(h, nominal)?;

    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(spec.replications); n];
    let ids: Vec<(String, f64)> = h
        .nodes()
        .iter()
        .filter(|x| x.parent.is_some())
        .map(|x| (x.id.clone(), x.weight))
        .collect();
    let share = spec.weight_share.clamp(0.0, 1.0);
    for _ in 0..spec.replications {
        let mut hr = h.clone();
        if share > 0.0 {
            for (id, w) in &ids {
                hr.set_weight(id, w * rng.random_range(1.0 - share..=1.0 + share));
            }
        }
        let mut m = nominal.clone();
        if !spec.normalisations.is_empty() {
            m.normalise =
                spec.normalisations[rng.random_range(0..spec.normalisations.len())].clone();
            for o in m.node.values_mut().chain(m.level.values_mut()) {
                o.normalise = None;
            }
        }
        if !spec.aggregations.is_empty() {
            m.aggregate = spec.aggregations[rng.random_range(0..spec.aggregations.len())].clone();
            for o in m.node.values_mut().chain(m.level.values_mut()) {
                o.aggregate = None;
            }
        }
        for (u, r) in rank_of(&hr, &m)?.into_iter().enumerate() {
            if let Some(r) = r {
                draws[u].push(f64::from(r));
            }
        }
    }
    Ok(prepared
        .units
        .iter()
        .zip(draws)
        .zip(nominal_ranks)
        .map(|((unit, mut d), nominal)| {
            d.sort_by(f64::total_cmp);
            RankInterval {
                unit: unit.clone(),
                nominal,
                median: quantile(&d, 0.5),
                p05: quantile(&d, 0.05),
                p95: quantile(&d, 0.95),
            }
        })
        .collect())
}

/// Quantile of sorted values, linear interpolation (R's type 7).
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}
