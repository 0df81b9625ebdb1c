//! Goalposts derived once from a base period: per indicator, the value at a low and a high
//! percentile of every unit's values in the base periods, after the framework's outlier
//! treatment, as the worst and best ends of its fixed 0–100 scale; and for an indicator per
//! resident its median there, the typical value `[small_regions]` weighs small kab/kota towards.
//!
//! Percentiles rather than the extremes, so that a handful of very small regions, whose values
//! per resident swing widest, cannot set the scale for everyone: a value beyond a goalpost
//! scores 0 or 100 and is reported as capped. Writing the goalposts into a framework file is
//! [`crate::framework::edit`]'s; this module only computes them.
//!
//! A stock (installations counted while in service) is the exception: it is counted from the
//! first year with records, so in an early base period it is near zero everywhere and a best
//! goalpost taken there would be passed within a few years, every region then capped at 100.
//! Its goalposts are taken from the percentiles of every period the data holds instead.

use std::collections::BTreeMap;

use super::indicators::{add_targets, engine_hierarchy, indicator_values};
use super::reduce::reduce;
use super::units::{base_dataset, units_of};
use super::{Granularity, ScoreError};
use crate::engine;
use crate::framework::Framework;
use crate::framework::edit::Scale;
use crate::region::{Level, Regions};
use crate::store::Activities;

/// The percentiles (0–100) that become the worst and best goalposts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// Low end, e.g. 5.
    pub low: f64,
    /// High end, e.g. 95.
    pub high: f64,
}

impl Default for Percentiles {
    fn default() -> Self {
        Percentiles {
            low: 5.0,
            high: 95.0,
        }
    }
}

/// Why goalposts could not be derived.
#[derive(Debug, thiserror::Error)]
pub enum GoalpostError {
    /// None of the base periods has activity data.
    #[error("no activity data in the base periods {0}; periods with data: {1}")]
    NoBase(String, String),
    /// Scoring failed.
    #[error(transparent)]
    Score(#[from] ScoreError),
}

/// Each indicator's goalposts `[worst, best]` (and typical value) from the values of every unit of `level` in the
/// periods `base` (labels such as `2018`, `2019`, `2020`), in the indicator's units after its
/// denominator. An indicator whose percentiles coincide in the base (e.g. nothing done yet)
/// takes its largest base value, or its largest value of any period, as the best end, so its
/// scale still has a width.
pub fn derive(
    activities: &Activities,
    framework: &Framework,
    regions: &Regions,
    granularity: Granularity,
    level: Level,
    base: &[String],
    percentiles: Percentiles,
) -> Result<BTreeMap<String, Scale>, GoalpostError> {
    let reduced = reduce(activities, granularity, level, framework).map_err(ScoreError::from)?;
    let units = units_of(&reduced.units, regions, level);
    let raw = indicator_values(&reduced, activities.values(), framework, &units);
    let h = engine_hierarchy(framework, None).map_err(ScoreError::from)?;
    let in_base: Vec<usize> = (0..reduced.periods.len())
        .filter(|&t| base.contains(&reduced.periods[t]))
        .collect();
    if in_base.is_empty() {
        return Err(GoalpostError::NoBase(
            base.join(", "),
            reduced.periods.join(", "),
        ));
    }
    // Treated values per indicator: the base periods' and every period's.
    let mut base_values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut all_values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (t, period) in reduced.periods.iter().enumerate() {
        let mut data = base_dataset(&units);
        for (i, ind) in framework.indicators.iter().enumerate() {
            data.columns.insert(ind.id.clone(), raw[t][i].clone());
        }
        add_targets(&mut data, framework, period);
        let p = engine::prepare(&data, &h, &framework.methods).map_err(ScoreError::from)?;
        for (i, id) in p.indicators.iter().enumerate() {
            let values = p.treated[i].iter().flatten().copied();
            all_values
                .entry(id.clone())
                .or_default()
                .extend(values.clone());
            if in_base.contains(&t) {
                base_values.entry(id.clone()).or_default().extend(values);
            }
        }
    }
    let mut out = BTreeMap::new();
    for ind in &framework.indicators {
        // A recorded value's scale has ends of its own (1 and 5 of a maturity level): those
        // are its goalposts, whatever the base period happened to hold.
        if let (crate::framework::IndicatorSource::Values, Some([lo, hi])) = (ind.source, ind.range)
        {
            let pair = if ind.direction < 0.0 {
                [hi, lo]
            } else {
                [lo, hi]
            };
            out.insert(
                ind.id.clone(),
                Scale {
                    goalposts: pair,
                    typical: None,
                },
            );
            continue;
        }
        let mut base = base_values.remove(&ind.id).unwrap_or_default();
        let mut all = all_values.remove(&ind.id).unwrap_or_default();
        if ind.stock {
            base.clone_from(&all);
        }
        let (lo, hi) = ends(&mut base, &mut all, percentiles);
        let pair = if ind.direction < 0.0 {
            [hi, lo]
        } else {
            [lo, hi]
        };
        let typical = ind
            .per_resident_activity()
            .then(|| percentile(&mut base, 50.0).unwrap_or(lo))
            .map(round);
        out.insert(
            ind.id.clone(),
            Scale {
                goalposts: pair.map(round),
                typical,
            },
        );
    }
    Ok(out)
}

/// The low and high ends of a scale from `base` (falling back to `all`), never equal.
fn ends(base: &mut [f64], all: &mut [f64], p: Percentiles) -> (f64, f64) {
    let lo = percentile(base, p.low).unwrap_or(0.0);
    let mut hi = percentile(base, p.high).unwrap_or(lo);
    for candidate in [max(base), max(all)] {
        if hi <= lo
            && let Some(m) = candidate
        {
            hi = m;
        }
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    (lo, hi)
}

fn max(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::max)
}

/// The `q`-th percentile (0–100) by linear interpolation between order statistics.
fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let pos = (q / 100.0).clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    let next = values.get(i + 1).copied().unwrap_or(values[i]);
    Some(values[i] + frac * (next - values[i]))
}

/// Four significant digits: goalposts are a policy choice written into a file, not a
/// measurement to carry every digit of.
fn round(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 4 - v.abs().log10().floor() as i32 - 1;
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_order_statistics() {
        let mut v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&mut v, 0.0), Some(1.0));
        assert_eq!(percentile(&mut v, 50.0), Some(3.0));
        assert_eq!(percentile(&mut v, 95.0), Some(4.8));
        assert_eq!(percentile(&mut [], 50.0), None);
    }

    #[test]
    fn a_scale_without_width_in_the_base_takes_the_largest_value_seen() {
        let p = Percentiles::default();
        assert_eq!(ends(&mut [0.0, 0.0], &mut [0.0, 0.0, 7.0], p), (0.0, 7.0));
        // p5 and p95 of two values interpolate between them.
        let (lo, hi) = ends(&mut [0.0, 3.0], &mut [0.0, 3.0], p);
        assert!(
            (lo - 0.15).abs() < 1e-12 && (hi - 2.85).abs() < 1e-12,
            "{lo} {hi}"
        );
        assert_eq!(ends(&mut [], &mut [], p), (0.0, 1.0));
    }

    #[test]
    fn goalposts_keep_four_significant_digits() {
        assert_eq!(round(12.345678), 12.35);
        assert_eq!(round(0.00123456), 0.001235);
        assert_eq!(round(0.0), 0.0);
    }
}
