//! Indicator values: the reduced activity groups turned into each indicator's raw value per
//! period and unit (sum, count, distinct count or mean of its programmes' records, filtered by
//! target group and organiser), the recorded values of the indicators that take them, and what
//! the engine needs beside them: each indicator's denominator in the hierarchy and each unit's
//! own target.
//!
//! Denominating, normalising and aggregating are the engine's ([`super::compute`] runs it);
//! nothing here reads activity records directly.

use std::collections::{HashMap, HashSet};

use super::reduce::Reduced;
use super::units::Unit;
use crate::engine;
use crate::framework::{
    Aggregation, Denominator, DistinctOf, Framework, IndicatorSource, RecordField,
};
use crate::region::Level;
use crate::store::IndicatorValues;

/// Raw indicator values per period: `[period][indicator][unit]`.
pub(super) fn indicator_values(
    reduced: &Reduced,
    recorded: &IndicatorValues,
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
                RecordField::Quantity => Some(0),
                RecordField::Participants => Some(1),
                RecordField::BudgetIdr => Some(2),
                RecordField::Count => None,
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
    let flows: Vec<Vec<Vec<Option<f64>>>> = (0..np)
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
        .collect();
    let mut values = stocks(flows, reduced, framework);
    unreported(&mut values, reduced, &map, framework);
    add_recorded(&mut values, reduced, recorded, framework, units);
    values
}

/// The indicators that take recorded values get the unit's value for the period, matched by
/// region code and period label; without one the indicator is not measured there (never 0).
fn add_recorded(
    values: &mut [Vec<Vec<Option<f64>>>],
    reduced: &Reduced,
    recorded: &IndicatorValues,
    framework: &Framework,
    units: &[Unit],
) {
    for (i, ind) in framework.indicators.iter().enumerate() {
        if ind.source != IndicatorSource::Values {
            continue;
        }
        for (t, period) in reduced.periods.iter().enumerate() {
            for (u, unit) in units.iter().enumerate() {
                values[t][i][u] = recorded
                    .get(unit.code.as_str(), period, &ind.id)
                    .map(|v| v.value);
            }
        }
    }
}

/// Stock indicators as the total of their records up to each period, less those older than the
/// service life; flow indicators as they are.
fn stocks(
    mut values: Vec<Vec<Vec<Option<f64>>>>,
    reduced: &Reduced,
    framework: &Framework,
) -> Vec<Vec<Vec<Option<f64>>>> {
    let flows = values.clone();
    for (i, ind) in framework.indicators.iter().enumerate() {
        if !ind.stock {
            continue;
        }
        let life = ind.service_life_years.map(|y| y as i32 * 12);
        for (t, period) in values.iter_mut().enumerate() {
            let now = reduced.month_of(t);
            let counted: Vec<usize> = (0..=t)
                .filter(|&s| life.is_none_or(|l| now - reduced.month_of(s) < l))
                .collect();
            for (u, v) in period[i].iter_mut().enumerate() {
                *v = Some(counted.iter().filter_map(|&s| flows[s][i][u]).sum());
            }
        }
    }
    values
}

/// What is not known is not zero. A unit with no record at all in a period (not even a nil
/// report) has no activity values there. And an activity indicator that no unit recorded in a
/// period is not measured then: an activity log covers the programmes its steward keeps, so a
/// programme absent from every region's log says nothing about any of them, and reading it as
/// zero everywhere would put a "0" on every region for a dimension nobody collected.
fn unreported(
    values: &mut [Vec<Vec<Option<f64>>>],
    reduced: &Reduced,
    map: &[Option<usize>],
    framework: &Framework,
) {
    let mut reported = std::collections::HashSet::new();
    for (u, t) in reduced.reporting() {
        if let Some(scored) = map[u] {
            reported.insert((scored, t));
        }
    }
    for (t, period) in values.iter_mut().enumerate() {
        for (i, ind) in framework.indicators.iter().enumerate() {
            if ind.source != IndicatorSource::Activities {
                continue;
            }
            let row = &mut period[i];
            for (u, v) in row.iter_mut().enumerate() {
                if !reported.contains(&(u, t)) {
                    *v = None;
                }
            }
            if row.iter().all(|v| v.is_none_or(|x| x == 0.0)) {
                row.fill(None);
            }
        }
    }
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

/// The engine's hierarchy for a framework scoring units of `level`, with each indicator's
/// denominator, and at kab/kota level the framework's weighting of small regions
/// (`[small_regions]`; goalposts are derived without it, from the values as recorded).
pub(super) fn engine_hierarchy(
    framework: &Framework,
    level: Option<Level>,
) -> Result<engine::Hierarchy, engine::EngineError> {
    let mut nodes = framework.hierarchy().nodes().to_vec();
    for n in nodes.iter_mut().filter(|n| n.indicator) {
        if let Some(ind) = framework.indicator(&n.id) {
            let prior = framework.prior(ind, level);
            n.denominator =
                denominator_column(ind.per, ind.per_indicator.as_deref()).map(|column| {
                    engine::Denominate {
                        column,
                        scale: ind.scale,
                        prior,
                    }
                });
        }
    }
    engine::Hierarchy::new(nodes)
}

/// Each unit's own target for the period, for the indicators normalised as distance to target
/// (none when the framework has no targets file).
pub(super) fn add_targets(data: &mut engine::Dataset, framework: &Framework, period: &str) {
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
