//! Preparing a data set for normalisation, in the Handbook's order: denominate each indicator,
//! screen units by data availability (before or after imputation), impute gaps, treat
//! outliers. Every stage's values are kept in [`Prepared`], narrowed to the units kept.
//!
//! Normalising and aggregating come after, in [`super::aggregate`]; the methods themselves are
//! in [`super::methods`].

use std::collections::HashMap;

use super::{Dataset, EngineError, Hierarchy, Impute, Methods, TreatLog, methods};

/// Everything before normalisation, per indicator (rows) and kept unit (columns).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Kept units.
    pub units: Vec<String>,
    /// Units dropped by screening.
    pub screened_out: Vec<String>,
    /// Indicator ids, in hierarchy order.
    pub indicators: Vec<String>,
    /// Values as given.
    pub raw: Vec<Vec<Option<f64>>>,
    /// Denominator values used (`None` when the indicator has none).
    pub denominator: Vec<Vec<Option<f64>>>,
    /// After the denominator.
    pub denominated: Vec<Vec<Option<f64>>>,
    /// After imputation.
    pub imputed: Vec<Vec<Option<f64>>>,
    /// After outlier treatment.
    pub treated: Vec<Vec<Option<f64>>>,
    /// What the treatment did, per indicator.
    pub treatment: Vec<TreatLog>,
    /// Number of values imputed, per indicator.
    pub filled: Vec<usize>,
    /// Groups of the kept units.
    pub groups: HashMap<String, Vec<Option<String>>>,
    /// Targets of the kept units, per indicator ([`Dataset::targets`]).
    pub targets: HashMap<String, Vec<Option<f64>>>,
    /// Goalposts per indicator and group ([`Dataset::group_goalposts`]).
    pub group_goalposts: super::GroupGoalposts,
}

/// Denominate, screen, impute and treat.
pub fn prepare(data: &Dataset, h: &Hierarchy, m: &Methods) -> Result<Prepared, EngineError> {
    let n = data.units.len();
    let den = denominate(data, h)?;
    check_groups_and_targets(data, m)?;
    let mut keep: Vec<bool> = vec![true; n];
    let after_impute = m.screen.as_ref().is_some_and(|s| s.after_impute);
    if !after_impute {
        screen(m, &den.denominated, &mut keep);
    }
    // Impute on the units kept so far (all units when screening comes after).
    let (mut imputed, filled) = impute_all(data, m, &den, &keep)?;
    if after_impute {
        imputed = screen_imputed(m, imputed, &mut keep, n);
    }
    let weighed = weigh_small_units(h, &den, &keep, &imputed);
    let (treated, treatment) = treat_all(m, &den.indicators, &weighed);
    Ok(Prepared {
        units: select(&data.units, &keep),
        screened_out: data
            .units
            .iter()
            .zip(&keep)
            .filter(|(_, k)| !**k)
            .map(|(u, _)| u.clone())
            .collect(),
        raw: den.raw.iter().map(|c| select(c, &keep)).collect(),
        denominator: den.denominator.iter().map(|c| select(c, &keep)).collect(),
        denominated: den.denominated.iter().map(|c| select(c, &keep)).collect(),
        indicators: den.indicators,
        imputed,
        treated,
        treatment,
        filled,
        groups: data
            .groups
            .iter()
            .map(|(k, v)| (k.clone(), select(v, &keep)))
            .collect(),
        targets: data
            .targets
            .iter()
            .map(|(k, v)| (k.clone(), select(v, &keep)))
            .collect(),
        group_goalposts: data.group_goalposts.clone(),
    })
}

/// Values per indicator (rows) and unit (columns).
type Columns = Vec<Vec<Option<f64>>>;

/// Each indicator as given, its denominator and its value after the denominator, for every
/// unit (rows in hierarchy order).
struct Denominated {
    indicators: Vec<String>,
    raw: Columns,
    denominator: Columns,
    denominated: Columns,
}

/// Divide each indicator by its denominator column (times its scale); a zero or missing
/// denominator gives a missing value.
fn denominate(data: &Dataset, h: &Hierarchy) -> Result<Denominated, EngineError> {
    let n = data.units.len();
    let column = |node: &str, name: &str| -> Result<&Vec<Option<f64>>, EngineError> {
        let c = data
            .columns
            .get(name)
            .ok_or_else(|| EngineError::NoColumn {
                node: node.into(),
                column: name.into(),
            })?;
        if c.len() != n {
            return Err(EngineError::Length(name.into()));
        }
        Ok(c)
    };
    let mut indicators = Vec::new();
    let (mut raw, mut denominator, mut denominated) = (Vec::new(), Vec::new(), Vec::new());
    for ind in h.indicators() {
        let x = column(&ind.id, &ind.id)?;
        let (d, v) = match &ind.denominator {
            Some(den) => {
                let d = column(&ind.id, &den.column)?;
                let v = x
                    .iter()
                    .zip(d)
                    .map(|(x, d)| match (x, d) {
                        (Some(x), Some(d)) if *d != 0.0 => Some(x / d * den.scale),
                        _ => None,
                    })
                    .collect();
                (d.clone(), v)
            }
            None => (vec![None; n], x.clone()),
        };
        indicators.push(ind.id.clone());
        raw.push(x.clone());
        denominator.push(d);
        denominated.push(v);
    }
    Ok(Denominated {
        indicators,
        raw,
        denominator,
        denominated,
    })
}

/// Every group column a method names exists, and every unit has a target slot.
fn check_groups_and_targets(data: &Dataset, m: &Methods) -> Result<(), EngineError> {
    let n = data.units.len();
    for name in [m.normalise_within.as_deref()]
        .into_iter()
        .flatten()
        .chain(group_columns(m))
    {
        if !data.groups.contains_key(name) {
            return Err(EngineError::NoColumn {
                node: "methods".into(),
                column: name.into(),
            });
        }
    }
    if let Some(name) = data.targets.iter().find(|(_, v)| v.len() != n).map(|x| x.0) {
        return Err(EngineError::Length(format!("targets of {name}")));
    }
    Ok(())
}

/// Drop (in `keep`) the units with too small a share of `values` present, if the methods
/// screen at all.
fn screen(m: &Methods, values: &[Vec<Option<f64>>], keep: &mut [bool]) {
    if let Some(s) = &m.screen {
        for (u, k) in keep.iter_mut().enumerate() {
            let present = values.iter().filter(|col| col[u].is_some()).count();
            if (present as f64) < s.min_share * values.len() as f64 - 1e-12 {
                *k = false;
            }
        }
    }
}

/// The values of the kept units.
fn select<T: Clone>(col: &[T], keep: &[bool]) -> Vec<T> {
    col.iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| v.clone())
        .collect()
}

/// Impute each indicator on the kept units, with its method (a group method reads its group
/// column, last-period imputation the units' last values); also the number filled per indicator.
fn impute_all(
    data: &Dataset,
    m: &Methods,
    den: &Denominated,
    keep: &[bool],
) -> Result<(Columns, Vec<usize>), EngineError> {
    let mut imputed = Vec::with_capacity(den.indicators.len());
    let mut filled = Vec::with_capacity(den.indicators.len());
    for (i, id) in den.indicators.iter().enumerate() {
        let mut x = select(&den.denominated[i], keep);
        let method = m.pick(id, 1, |o| o.impute.as_ref(), &m.impute);
        let groups = match method {
            Impute::GroupMean { group } | Impute::GroupMedian { group } => {
                let g = data
                    .groups
                    .get(group)
                    .ok_or_else(|| EngineError::NoColumn {
                        node: id.clone(),
                        column: group.clone(),
                    })?;
                Some(select(g, keep))
            }
            _ => None,
        };
        let last = data.last.get(id).map(|l| select(l, keep));
        filled.push(methods::impute(
            &mut x,
            method,
            groups.as_deref(),
            last.as_deref(),
        ));
        imputed.push(x);
    }
    Ok((imputed, filled))
}

/// Screen on the imputed values, then narrow them and `keep` to the units kept.
fn screen_imputed(m: &Methods, imputed: Columns, keep: &mut [bool], n: usize) -> Columns {
    let mut k2 = vec![true; imputed.first().map_or(n, Vec::len)];
    screen(m, &imputed, &mut k2);
    let imputed = imputed.iter().map(|c| select(c, &k2)).collect();
    let mut it = k2.into_iter();
    for k in keep.iter_mut().filter(|k| **k) {
        *k = it.next().unwrap_or(false);
    }
    imputed
}

/// The imputed values with each indicator's [`super::Prior`] applied to the kept units, before
/// outlier treatment: both are treatments of a value that the explanation shows as "treated".
fn weigh_small_units(
    h: &Hierarchy,
    den: &Denominated,
    keep: &[bool],
    imputed: &[Vec<Option<f64>>],
) -> Columns {
    let mut out = imputed.to_vec();
    for (i, ind) in h.indicators().enumerate() {
        let Some(prior) = ind.denominator.as_ref().and_then(|d| d.prior) else {
            continue;
        };
        let d = select(&den.denominator[i], keep);
        for (v, d) in out[i].iter_mut().zip(d) {
            if let (Some(x), Some(d)) = (v.as_mut(), d) {
                *x = prior.weigh(*x, d);
            }
        }
    }
    out
}

/// Treat each indicator's outliers with its method, on a copy of the imputed values.
fn treat_all(
    m: &Methods,
    indicators: &[String],
    imputed: &[Vec<Option<f64>>],
) -> (Columns, Vec<TreatLog>) {
    let mut treated = imputed.to_vec();
    let mut treatment = Vec::with_capacity(indicators.len());
    for (id, x) in indicators.iter().zip(treated.iter_mut()) {
        let method = m.pick(id, 1, |o| o.treat.as_ref(), &m.treat);
        treatment.push(methods::treat(x, method));
    }
    (treated, treatment)
}

fn group_columns(m: &Methods) -> impl Iterator<Item = &str> {
    std::iter::once(&m.impute)
        .chain(m.node.values().filter_map(|o| o.impute.as_ref()))
        .chain(m.level.values().filter_map(|o| o.impute.as_ref()))
        .filter_map(|i| match i {
            Impute::GroupMean { group } | Impute::GroupMedian { group } => Some(group.as_str()),
            _ => None,
        })
}
