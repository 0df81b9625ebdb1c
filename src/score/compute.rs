//! Running the engine period by period: each period's indicator values and each unit's last
//! earlier value go into the engine; its outcome becomes the rows of the score frames
//! (indicators with their explanation, dimension scores and the index, ranked among peers),
//! and the units' parents (a kecamatan's kabupaten) are scored as the population-weighted mean
//! of their units.
//!
//! The engine does the arithmetic of the composite indicator; this file only feeds it and
//! reads its outcome. The frames themselves are built in [`super::frames`].

use std::collections::{BTreeSet, HashMap};

use super::frames::{RankedSet, Rows, frames};
use super::indicators::{add_targets, engine_hierarchy};
use super::units::{Unit, base_dataset, level_name};
use super::{ScoreError, Scores};
use crate::engine;
use crate::framework::{Denominator, Framework, Normalisation};
use crate::region::Level;

/// Each (indicator, unit code)'s last denominated value seen in an earlier period.
type Last = HashMap<(String, String), f64>;

/// Score the units in every period from their raw indicator values
/// (`raw[period][indicator][unit]`), then their parents.
pub(super) fn score_units(
    raw: &[Vec<Vec<Option<f64>>>],
    units: &[Unit],
    periods: &[String],
    framework: &Framework,
    level: Level,
) -> Result<Scores, ScoreError> {
    let mut scoring = Scoring::new(units, framework, level)?;
    if framework.normalisation == Normalisation::Pooled {
        scoring.base.group_goalposts = scoring.pooled_goalposts(raw, periods)?;
    }
    let mut rows = Rows::default();
    let mut last = Last::new();
    for (t, period) in periods.iter().enumerate() {
        let data = scoring.dataset(&raw[t], &last, period);
        let out = engine::run(&data, &scoring.h, &framework.methods)?;
        remember_last(&out.prepared, &mut last);
        let kept_peers: Vec<String> = out
            .prepared
            .units
            .iter()
            .map(|c| scoring.parent_of[c.as_str()].clone())
            .collect();
        scoring.push_indicators(&mut rows, &out, &kept_peers, period);
        let kept = RankedSet {
            level: scoring.unit_level,
            regions: &out.prepared.units,
            peers: &kept_peers,
            period,
        };
        scoring.push_unit_scores(&mut rows, &out, &kept);
        // Kab/kota are scored whole in a run of their own; above them, provinces are the
        // population-weighted means of their kab/kota.
        if level == Level::Regency {
            scoring.push_parent_scores(&mut rows, &out, &kept_peers, period);
        }
    }
    frames(rows, framework, &framework.methods)
}

/// What every period's run shares: the engine's hierarchy, the units' base data set, and
/// look-ups by unit, dimension and indicator.
struct Scoring<'a> {
    framework: &'a Framework,
    h: engine::Hierarchy,
    unit_level: &'static str,
    parent_level: &'static str,
    codes: Vec<String>,
    base: engine::Dataset,
    /// Residents per unit code, for the parents' weighted means.
    residents: HashMap<&'a str, f64>,
    parent_of: HashMap<&'a str, String>,
    dims: Vec<&'a str>,
    dim_of: HashMap<&'a str, &'a str>,
    weight_of: HashMap<&'a str, f64>,
}

impl<'a> Scoring<'a> {
    fn new(
        units: &'a [Unit],
        framework: &'a Framework,
        level: Level,
    ) -> Result<Scoring<'a>, ScoreError> {
        let parent_level = match level {
            Level::Village => Level::District,
            Level::District => Level::Regency,
            _ => Level::Province,
        };
        // A kecamatan without a population figure counts as the average one in its kabupaten's
        // mean, rather than as zero.
        let known: Vec<f64> = units
            .iter()
            .filter_map(|u| u.population.map(|p| p as f64))
            .collect();
        let fallback = engine::methods::mean(&known).unwrap_or(1.0);
        Ok(Scoring {
            framework,
            h: engine_hierarchy(framework, Some(level))?,
            unit_level: level_name(level),
            parent_level: level_name(parent_level),
            codes: units.iter().map(|u| u.code.to_string()).collect(),
            base: base_dataset(units),
            residents: units
                .iter()
                .map(|u| (u.code.as_str(), u.population.map_or(fallback, |p| p as f64)))
                .collect(),
            parent_of: units
                .iter()
                .map(|u| (u.code.as_str(), u.parent.to_string()))
                .collect(),
            dims: framework.dimensions.iter().map(|d| d.id.as_str()).collect(),
            dim_of: framework
                .indicators
                .iter()
                .map(|i| (i.id.as_str(), i.dimension.as_str()))
                .collect(),
            weight_of: framework
                .indicators
                .iter()
                .map(|i| (i.id.as_str(), i.weight))
                .collect(),
        })
    }

    /// Goalposts pooled over every period of each peer group: per indicator and group, the
    /// worst and best value any of its units had in any period (after treatment, as the engine
    /// normalises them). "Last available" imputation is left out here: it only fills gaps with
    /// values that are pooled already.
    fn pooled_goalposts(
        &self,
        raw: &[Vec<Vec<Option<f64>>>],
        periods: &[String],
    ) -> Result<engine::GroupGoalposts, ScoreError> {
        let mut range: HashMap<(String, String), (f64, f64)> = HashMap::new();
        for (t, period) in periods.iter().enumerate() {
            let data = self.dataset(&raw[t], &Last::new(), period);
            let p = engine::prepare(&data, &self.h, &self.framework.methods)?;
            for (i, id) in p.indicators.iter().enumerate() {
                for (u, code) in p.units.iter().enumerate() {
                    let Some(v) = p.treated[i][u] else { continue };
                    let group = self.parent_of[code.as_str()].clone();
                    let r = range
                        .entry((id.clone(), group))
                        .or_insert((f64::INFINITY, f64::NEG_INFINITY));
                    *r = (r.0.min(v), r.1.max(v));
                }
            }
        }
        let mut out = engine::GroupGoalposts::new();
        for ((id, group), (lo, hi)) in range {
            let direction = self.h.node(&id).map_or(1.0, |n| n.direction);
            let (worst, best) = if direction < 0.0 { (hi, lo) } else { (lo, hi) };
            out.entry(id).or_default().insert(group, (worst, best));
        }
        Ok(out)
    }

    /// The engine's data set of one period: the base, each indicator's raw values
    /// (`raw[indicator][unit]`), each unit's last earlier value and its own targets.
    fn dataset(&self, raw: &[Vec<Option<f64>>], last: &Last, period: &str) -> engine::Dataset {
        let mut data = self.base.clone();
        for (i, ind) in self.framework.indicators.iter().enumerate() {
            data.columns.insert(ind.id.clone(), raw[i].clone());
            data.last.insert(
                ind.id.clone(),
                self.codes
                    .iter()
                    .map(|c| last.get(&(ind.id.clone(), c.clone())).copied())
                    .collect(),
            );
        }
        add_targets(&mut data, self.framework, period);
        data
    }

    /// Indicators and their explanation, per kept unit.
    fn push_indicators(
        &self,
        rows: &mut Rows,
        out: &engine::Outcome,
        kept_peers: &[String],
        period: &str,
    ) {
        let p = &out.prepared;
        let eff = out.effective_weights(&self.h);
        let index_weights = self.index_weights(p.units.len(), &eff);
        for (u, code) in p.units.iter().enumerate() {
            for (i, id) in p.indicators.iter().enumerate() {
                let ind = self.framework.indicator(id);
                let score = out.normalised[i][u];
                let eff = eff.get(id).and_then(|w| w[u]);
                let dim = self.dim_of[id.as_str()];
                let index_weight = index_weights.get(dim).and_then(|w| w[u]);
                rows.i_region.push(code.clone());
                rows.i_peer.push(kept_peers[u].clone());
                rows.i_period.push(period.to_string());
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
                rows.i_weight.push(self.weight_of[id.as_str()]);
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
    }

    /// A dimension's weight in the index per unit: product of effective weights up to the root.
    fn index_weights(
        &self,
        units: usize,
        eff: &HashMap<String, Vec<Option<f64>>>,
    ) -> HashMap<&'a str, Vec<Option<f64>>> {
        self.dims
            .iter()
            .map(|d| {
                let w = (0..units)
                    .map(|u| {
                        let mut w = 1.0;
                        let mut at = d.to_string();
                        while let Some(parent) = self.h.node(&at).and_then(|n| n.parent.clone()) {
                            w *= eff.get(&at)?[u]?;
                            at = parent;
                        }
                        Some(w)
                    })
                    .collect();
                (*d, w)
            })
            .collect()
    }

    /// The kept units' dimension scores and index, ranked among their peers.
    fn push_unit_scores(&self, rows: &mut Rows, out: &engine::Outcome, kept: &RankedSet<'_>) {
        for d in &self.dims {
            let s = out.scores.get(*d).cloned().unwrap_or_default();
            rows.push_ranked(kept, Some(d), &s);
        }
        let idx = out
            .scores
            .get(self.framework.id.as_str())
            .cloned()
            .unwrap_or_default();
        rows.push_ranked(kept, None, &idx);
    }

    /// The parents' (kabupaten's) dimension scores and index, ranked among all parents.
    fn push_parent_scores(
        &self,
        rows: &mut Rows,
        out: &engine::Outcome,
        kept_peers: &[String],
        period: &str,
    ) {
        let parents: Vec<String> = kept_peers
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let all = vec!["all".to_string(); parents.len()];
        let set = RankedSet {
            level: self.parent_level,
            regions: &parents,
            peers: &all,
            period,
        };
        let parent_scores = self.parent_dimensions(out, kept_peers, &parents);
        for d in &self.dims {
            rows.push_ranked(&set, Some(d), &parent_scores[d]);
        }
        let parent_index = self.parent_index(&parent_scores, parents.len());
        rows.push_ranked(&set, None, &parent_index);
    }

    /// A parent's dimension scores: the population-weighted mean of its kept units' scores.
    fn parent_dimensions(
        &self,
        out: &engine::Outcome,
        kept_peers: &[String],
        parents: &[String],
    ) -> HashMap<&'a str, Vec<Option<f64>>> {
        let p = &out.prepared;
        let mut parent_scores = HashMap::new();
        for d in &self.dims {
            let s = out.scores.get(*d).cloned().unwrap_or_default();
            let v: Vec<Option<f64>> = parents
                .iter()
                .map(|par| {
                    let (vals, ws): (Vec<Option<f64>>, Vec<f64>) = p
                        .units
                        .iter()
                        .enumerate()
                        .filter(|(u, _)| &kept_peers[*u] == par)
                        .map(|(u, c)| (s[u], self.residents[c.as_str()]))
                        .unzip();
                    engine::methods::weighted_mean(&vals, &ws, &engine::Aggregate::Arithmetic, 0.0)
                })
                .collect();
            parent_scores.insert(*d, v);
        }
        parent_scores
    }

    /// A parent's index: the framework's aggregate of its top dimensions.
    fn parent_index(
        &self,
        parent_scores: &HashMap<&str, Vec<Option<f64>>>,
        parents: usize,
    ) -> Vec<Option<f64>> {
        let methods = &self.framework.methods;
        let root = self.framework.id.as_str();
        let top: Vec<&crate::framework::Dimension> = self.framework.top_dimensions().collect();
        let weights: Vec<f64> = top.iter().map(|d| d.weight).collect();
        let level = self.h.level(root).unwrap_or(0).to_string();
        let agg = methods
            .node
            .get(root)
            .and_then(|o| o.aggregate.clone())
            .or_else(|| methods.level.get(&level).and_then(|o| o.aggregate.clone()))
            .unwrap_or_else(|| methods.aggregate.clone());
        (0..parents)
            .map(|k| {
                let vals: Vec<Option<f64>> = top
                    .iter()
                    .map(|d| parent_scores[d.id.as_str()][k])
                    .collect();
                engine::methods::weighted_mean(&vals, &weights, &agg, methods.min_share)
            })
            .collect()
    }
}

/// Keep each kept unit's denominated values for the next period's "last available" imputation.
fn remember_last(p: &engine::Prepared, last: &mut Last) {
    for (i, id) in p.indicators.iter().enumerate() {
        for (u, code) in p.units.iter().enumerate() {
            if let Some(v) = p.denominated[i][u] {
                last.insert((id.clone(), code.clone()), v);
            }
        }
    }
}
