//! The numerical methods of the engine, each a plain function on a column of values: sample
//! statistics, imputation, outlier treatment, normalisation, weighted means, ranks and bands.
//!
//! Missing values are `None` throughout and stay missing unless a method exists to fill them
//! (imputation). Nothing here knows about hierarchies, units or configuration files; the
//! definitions follow COINr (JRC) so that results can be checked against it.

use serde::{Deserialize, Serialize};

/// Sample skewness, "type 2" (as SAS, SPSS, Excel and COINr's `skew()`); `None` under 3 values
/// or when all values are equal.
pub fn skewness(x: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    if x.len() < 3 {
        return None;
    }
    let mean = x.iter().sum::<f64>() / n;
    let (m2, m3) = x.iter().fold((0.0, 0.0), |(a, b), v| {
        let d = v - mean;
        (a + d * d, b + d * d * d)
    });
    if m2 == 0.0 {
        return None;
    }
    let g1 = n.sqrt() * m3 / m2.powf(1.5);
    Some(g1 * (n * (n - 1.0)).sqrt() / (n - 2.0))
}

/// Sample excess kurtosis, "type 2" (as SAS, SPSS, Excel and COINr's `kurt()`); `None` under
/// 4 values or when all values are equal.
pub fn kurtosis(x: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    if x.len() < 4 {
        return None;
    }
    let mean = x.iter().sum::<f64>() / n;
    let (m2, m4) = x.iter().fold((0.0, 0.0), |(a, b), v| {
        let d = v - mean;
        (a + d * d, b + d * d * d * d)
    });
    if m2 == 0.0 {
        return None;
    }
    let r = n * m4 / (m2 * m2);
    Some(((n + 1.0) * (r - 3.0) + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0)))
}

/// Mean of the present values.
pub fn mean(x: &[f64]) -> Option<f64> {
    (!x.is_empty()).then(|| x.iter().sum::<f64>() / x.len() as f64)
}

/// Median of the present values.
pub fn median(x: &[f64]) -> Option<f64> {
    if x.is_empty() {
        return None;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// Sample standard deviation (n − 1), as R's `sd()`.
pub fn std_dev(x: &[f64]) -> Option<f64> {
    if x.len() < 2 {
        return None;
    }
    let m = mean(x)?;
    Some((x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)).sqrt())
}

fn present(x: &[Option<f64>]) -> Vec<f64> {
    x.iter().flatten().copied().collect()
}

/// How a missing indicator value is filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Impute {
    /// Leave it missing (aggregation then leaves it out).
    #[default]
    None,
    /// The indicator's mean over all units.
    Mean,
    /// The indicator's median over all units.
    Median,
    /// The indicator's mean over the units of the same group (e.g. `EurAsia_group`).
    GroupMean {
        /// Name of the group column.
        group: String,
    },
    /// The indicator's median over the units of the same group.
    GroupMedian {
        /// Name of the group column.
        group: String,
    },
    /// The unit's last available value from an earlier period (when the data set has one).
    LastPeriod,
}

/// Fill missing values of one indicator column. `groups` is the unit's group for the group
/// methods, `last` the unit's last available earlier value. Returns how many were filled.
pub fn impute(
    x: &mut [Option<f64>],
    method: &Impute,
    groups: Option<&[Option<String>]>,
    last: Option<&[Option<f64>]>,
) -> usize {
    if x.iter().all(Option::is_some) {
        return 0;
    }
    let fill: Vec<Option<f64>> = match method {
        Impute::None => return 0,
        Impute::Mean | Impute::Median => {
            let v = present(x);
            let m = if *method == Impute::Mean {
                mean(&v)
            } else {
                median(&v)
            };
            vec![m; x.len()]
        }
        Impute::GroupMean { .. } | Impute::GroupMedian { .. } => {
            let Some(groups) = groups else { return 0 };
            let is_mean = matches!(method, Impute::GroupMean { .. });
            let mut by_group: std::collections::HashMap<&str, Vec<f64>> = Default::default();
            for (v, g) in x.iter().zip(groups) {
                if let (Some(v), Some(g)) = (v, g) {
                    by_group.entry(g.as_str()).or_default().push(*v);
                }
            }
            groups
                .iter()
                .map(|g| {
                    let v = by_group.get(g.as_deref()?)?;
                    if is_mean { mean(v) } else { median(v) }
                })
                .collect()
        }
        Impute::LastPeriod => match last {
            Some(last) => last.to_vec(),
            None => return 0,
        },
    };
    let mut filled = 0;
    for (v, f) in x.iter_mut().zip(fill) {
        if v.is_none() && f.is_some() {
            *v = f;
            filled += 1;
        }
    }
    filled
}

/// How the winsorising limit `winmax` is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WinCap {
    /// As COINr: the points changed in the latest step (which include earlier ones, now tied at
    /// the new extreme) are compared with `winmax`.
    #[default]
    LatestStep,
    /// Every distinct point changed so far counts towards `winmax`, and a step that would take
    /// the total past it (several points tied at the extreme) is not taken.
    Cumulative,
}

/// Outlier treatment of one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Treat {
    /// No treatment.
    #[default]
    None,
    /// COINr's default: pass when |skewness| < `skew` or kurtosis < `kurt`; otherwise winsorise
    /// up to `winmax` points; if that does not pass, undo it and log-transform
    /// `ln(x − min + 0.01·(max − min))` (when `log` is true).
    SkewKurt {
        /// Threshold on absolute skewness.
        #[serde(default = "default_skew")]
        skew: f64,
        /// Threshold on excess kurtosis.
        #[serde(default = "default_kurt")]
        kurt: f64,
        /// Most points winsorised.
        #[serde(default = "default_winmax")]
        winmax: usize,
        /// How `winmax` is counted.
        #[serde(default)]
        cap: WinCap,
        /// Fall back to the log transform when winsorising is not enough.
        #[serde(default = "yes")]
        log: bool,
    },
}

fn default_skew() -> f64 {
    2.0
}
fn default_kurt() -> f64 {
    3.5
}
fn default_winmax() -> usize {
    5
}
fn yes() -> bool {
    true
}

/// What the treatment did to one indicator, kept with the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreatLog {
    /// Skewness and kurtosis before treatment.
    pub before: (Option<f64>, Option<f64>),
    /// Skewness and kurtosis after treatment.
    pub after: (Option<f64>, Option<f64>),
    /// `none` (passed or not treated), `winsorised`, `log` or `failed` (still not passing).
    pub action: String,
    /// Points changed by winsorising (as counted by the cap).
    pub winsorised: usize,
    /// Unit positions winsorised at the high end (COINr's `winhi`).
    pub high: Vec<usize>,
    /// Unit positions winsorised at the low end (`winlo`).
    pub low: Vec<usize>,
}

fn passes(x: &[f64], skew: f64, kurt: f64) -> (bool, Option<f64>, Option<f64>) {
    let (s, k) = (skewness(x), kurtosis(x));
    // Too few or constant values: there is nothing to treat.
    let pass = match (s, k) {
        (Some(s), Some(k)) => s.abs() < skew || k < kurt,
        _ => true,
    };
    (pass, s, k)
}

/// Treat one indicator column in place (missing values are left alone).
pub fn treat(x: &mut [Option<f64>], method: &Treat) -> TreatLog {
    let idx: Vec<usize> = (0..x.len()).filter(|&i| x[i].is_some()).collect();
    let orig: Vec<f64> = idx.iter().map(|&i| x[i].unwrap_or_default()).collect();
    let Treat::SkewKurt {
        skew,
        kurt,
        winmax,
        cap,
        log,
    } = *method
    else {
        let (_, s, k) = passes(&orig, 2.0, 3.5);
        return untreated((s, k));
    };
    let (pass, s0, k0) = passes(&orig, skew, kurt);
    let mut log_entry = untreated((s0, k0));
    if pass {
        return log_entry;
    }
    let win = winsorise(&orig, skew, kurt, winmax, cap);
    log_entry.winsorised = win.count;
    let (after_pass, s, k) = passes(&win.values, skew, kurt);
    if after_pass {
        log_entry.action = "winsorised".into();
        log_entry.after = (s, k);
        log_entry.high = win.high.iter().map(|&j| idx[j]).collect();
        log_entry.low = win.low.iter().map(|&j| idx[j]).collect();
        write_back(x, &idx, &win.values);
        return log_entry;
    }
    if !log {
        log_entry.action = "failed".into();
        log_entry.after = (s, k);
        return log_entry;
    }
    // Winsorising was not enough: undo it and log-transform the original values.
    let y = log_transform(&orig);
    let (p, s, k) = passes(&y, skew, kurt);
    log_entry.action = if p { "log" } else { "log_failed" }.into();
    log_entry.winsorised = 0;
    log_entry.after = (s, k);
    write_back(x, &idx, &y);
    log_entry
}

/// The log of a column that needed no treatment (or could not be tested).
fn untreated(moments: (Option<f64>, Option<f64>)) -> TreatLog {
    TreatLog {
        before: moments,
        after: moments,
        action: "none".into(),
        winsorised: 0,
        high: vec![],
        low: vec![],
    }
}

/// A column after winsorising: its values, the positions last pulled in at each end, and the
/// points changed as the cap counts them.
struct Winsorised {
    values: Vec<f64>,
    high: Vec<usize>,
    low: Vec<usize>,
    count: usize,
}

/// Pull the most extreme values in to the next one, step by step, until the column passes or
/// the cap (`winmax`, counted as `cap` says) is reached.
fn winsorise(orig: &[f64], skew: f64, kurt: f64, winmax: usize, cap: WinCap) -> Winsorised {
    let mut y = orig.to_vec();
    let (mut imax, mut imin): (Vec<usize>, Vec<usize>) = (vec![], vec![]);
    let mut changed = vec![false; y.len()];
    let mut nwin = 0;
    let mut pass = false;
    while !pass && nwin < winmax {
        // Positive skew means high outliers: pull the maximum in to the next value.
        let high = skewness(&y).is_none_or(|s| s >= 0.0);
        let extreme = if high {
            y.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        } else {
            y.iter().copied().fold(f64::INFINITY, f64::min)
        };
        let at: Vec<usize> = (0..y.len()).filter(|&i| y[i] == extreme).collect();
        let rest = (0..y.len()).filter(|i| !at.contains(i)).map(|i| y[i]);
        let next = if high {
            rest.fold(f64::NEG_INFINITY, f64::max)
        } else {
            rest.fold(f64::INFINITY, f64::min)
        };
        if !next.is_finite() {
            break; // all values equal: nothing left to pull in
        }
        if cap == WinCap::Cumulative
            && changed
                .iter()
                .enumerate()
                .filter(|(i, c)| **c || at.contains(i))
                .count()
                > winmax
        {
            break; // this step (tied points) would take the total past the cap
        }
        for &i in &at {
            y[i] = next;
            changed[i] = true;
        }
        if high {
            imax = at;
        } else {
            imin = at;
        }
        nwin = match cap {
            WinCap::LatestStep => imax.len() + imin.len(),
            WinCap::Cumulative => changed.iter().filter(|c| **c).count(),
        };
        pass = passes(&y, skew, kurt).0;
    }
    Winsorised {
        values: y,
        high: imax,
        low: imin,
        count: nwin,
    }
}

/// COINr's log transform: `ln(x − min + 0.01 · (max − min))`.
fn log_transform(orig: &[f64]) -> Vec<f64> {
    let min = orig.iter().copied().fold(f64::INFINITY, f64::min);
    let max = orig.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    orig.iter()
        .map(|v| (v - min + 0.01 * (max - min)).ln())
        .collect()
}

/// Put the treated values back at the positions of the present ones.
fn write_back(x: &mut [Option<f64>], idx: &[usize], y: &[f64]) {
    for (j, &i) in idx.iter().enumerate() {
        x[i] = Some(y[j]);
    }
}

/// Normalisation of one indicator onto a common scale (after multiplying by its direction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Normalise {
    /// `(x − min) / (max − min)` onto [`low`, `high`]; missing when all values are equal.
    MinMax {
        /// Score of the worst unit.
        #[serde(default)]
        low: f64,
        /// Score of the best unit.
        #[serde(default = "hundred")]
        high: f64,
    },
    /// `(x − mean) / sd · sd_target + mean_target` (sample standard deviation).
    ZScore {
        /// Mean of the result.
        #[serde(default)]
        mean: f64,
        /// Standard deviation of the result.
        #[serde(default = "one")]
        sd: f64,
    },
    /// Distance between the indicator's goalposts (or target): `(x − lo) / (hi − lo) · scale`,
    /// capped to [0, scale]. Falls back to min-max 0–`scale` for an indicator without goalposts.
    Goalposts {
        /// Score at the upper goalpost.
        #[serde(default = "hundred")]
        scale: f64,
    },
    /// Rank, 1 = lowest (ties take the lowest rank).
    Rank,
    /// Percentile rank `(rank − 1) / (n − 1) · 100`.
    PercentRank,
}

impl Default for Normalise {
    fn default() -> Self {
        Normalise::MinMax {
            low: 0.0,
            high: 100.0,
        }
    }
}

fn hundred() -> f64 {
    100.0
}
fn one() -> f64 {
    1.0
}

/// Normalise one column in place. `direction` is 1 or −1; `goalposts` is (worst-side, best-side
/// in the indicator's own units, i.e. (low, high) for direction 1).
pub fn normalise(
    x: &mut [Option<f64>],
    method: &Normalise,
    direction: f64,
    goalposts: Option<(f64, f64)>,
) {
    for v in x.iter_mut().flatten() {
        *v *= direction;
    }
    let v = present(x);
    match *method {
        Normalise::MinMax { low, high } => min_max(x, &v, low, high),
        Normalise::ZScore { mean: m, sd: s } => {
            let (Some(mu), Some(sigma)) = (mean(&v), std_dev(&v)) else {
                x.fill(None);
                return;
            };
            for e in x.iter_mut() {
                *e = e.and_then(|a| (sigma > 0.0).then(|| (a - mu) / sigma * s + m));
            }
        }
        Normalise::Goalposts { scale } => match goalposts {
            Some((lo, hi)) => {
                let (lo, hi) = (lo * direction, hi * direction);
                for e in x.iter_mut() {
                    *e = e.and_then(|a| {
                        (hi != lo).then(|| ((a - lo) / (hi - lo)).clamp(0.0, 1.0) * scale)
                    });
                }
            }
            None => min_max(x, &v, 0.0, scale),
        },
        Normalise::Rank | Normalise::PercentRank => {
            let n = v.len();
            for e in x.iter_mut() {
                *e = e.map(|a| {
                    let below = v.iter().filter(|b| **b < a).count();
                    if *method == Normalise::Rank {
                        below as f64 + 1.0
                    } else if n > 1 {
                        below as f64 / (n as f64 - 1.0) * 100.0
                    } else {
                        100.0
                    }
                });
            }
        }
    }
}

/// Distance to a unit's own target (the OECD/JRC "distance to target" with the target as the
/// upper goalpost and 0 as the lower), on 0–`scale`, in the indicator's own units:
///
/// * higher is better (`direction` 1): `scale · clamp(value / target, 0, 1)`; a value at or
///   above the target scores `scale` (also when the target is 0);
/// * lower is better (`direction` −1, the target a ceiling): `scale` at or below the target,
///   above it `scale · target / value`.
///
/// Targets are non-negative (the targets file rejects negative ones).
pub fn distance_to_target(value: f64, target: f64, direction: f64, scale: f64) -> f64 {
    let share = if direction < 0.0 {
        if value <= target { 1.0 } else { target / value }
    } else if value >= target {
        1.0
    } else {
        value / target
    };
    share.clamp(0.0, 1.0) * scale
}

fn min_max(x: &mut [Option<f64>], v: &[f64], low: f64, high: f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for e in x.iter_mut() {
        // All equal: the indicator carries no information among these units.
        *e = e.and_then(|a| (hi > lo).then(|| (a - lo) / (hi - lo) * (high - low) + low));
    }
}

/// How children are combined into their parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Aggregate {
    /// Σ w·x / Σ w.
    #[default]
    Arithmetic,
    /// exp(Σ w·ln x / Σ w); 0 if a child is 0, missing if one is negative.
    Geometric,
    /// Σ w / Σ (w / x); 0 if a child is 0, missing if one is negative.
    Harmonic,
    /// (Σ w·x^p / Σ w)^(1/p); p = 0 is the geometric mean.
    Generalised {
        /// The power.
        p: f64,
    },
}

/// Weighted mean of the present children (weights renormalised over them); missing when the
/// share of children present is below `min_share` or nothing is present.
pub fn weighted_mean(
    values: &[Option<f64>],
    weights: &[f64],
    method: &Aggregate,
    min_share: f64,
) -> Option<f64> {
    let (mut sw, mut n) = (0.0, 0usize);
    for (v, w) in values.iter().zip(weights) {
        if v.is_some() {
            sw += w;
            n += 1;
        }
    }
    if n == 0 || sw <= 0.0 || (n as f64) < min_share * values.len() as f64 - 1e-12 {
        return None;
    }
    let pairs = values
        .iter()
        .zip(weights)
        .filter_map(|(v, w)| v.map(|v| (v, *w)));
    let p = match *method {
        Aggregate::Arithmetic => 1.0,
        Aggregate::Geometric => 0.0,
        Aggregate::Harmonic => -1.0,
        Aggregate::Generalised { p } => p,
    };
    if p == 1.0 {
        return Some(pairs.map(|(v, w)| v * w).sum::<f64>() / sw);
    }
    let mut acc = 0.0;
    for (v, w) in pairs {
        if v < 0.0 {
            return None;
        }
        if v == 0.0 {
            if w == 0.0 {
                continue;
            }
            if p <= 0.0 {
                // The geometric and harmonic means of anything with a zero are zero.
                return Some(0.0);
            }
        }
        acc += if p == 0.0 { w * v.ln() } else { w * v.powf(p) };
    }
    Some(if p == 0.0 {
        (acc / sw).exp()
    } else {
        (acc / sw).powf(1.0 / p)
    })
}

/// Ranks, 1 = highest; ties share the better rank; missing values are not ranked. With
/// `groups`, ranks are within each group. Returns the ranks and each unit's group size.
pub fn ranks(x: &[Option<f64>], groups: Option<&[Option<String>]>) -> (Vec<Option<u32>>, Vec<u32>) {
    let key = |i: usize| groups.and_then(|g| g[i].as_deref());
    let mut order: Vec<usize> = (0..x.len()).filter(|&i| x[i].is_some()).collect();
    order.sort_by(|&a, &b| {
        key(a).cmp(&key(b)).then(
            x[b].unwrap_or_default()
                .total_cmp(&x[a].unwrap_or_default()),
        )
    });
    let mut rank = vec![None; x.len()];
    let mut size = vec![0u32; x.len()];
    let mut start = 0;
    while start < order.len() {
        let g = key(order[start]);
        let end = start + order[start..].iter().take_while(|&&i| key(i) == g).count();
        let mut r = 1u32;
        for (k, &i) in order[start..end].iter().enumerate() {
            if k > 0 && x[i] != x[order[start + k - 1]] {
                r = k as u32 + 1;
            }
            rank[i] = Some(r);
        }
        for &i in &order[start..end] {
            size[i] = (end - start) as u32;
        }
        start = end;
    }
    (rank, size)
}

/// Change since the previous period (`current − previous`), when both exist.
pub fn change(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    Some(current? - previous?)
}

/// One predicate band: values at or above `min` (and below the next band) get this label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Lower bound, inclusive.
    pub min: f64,
    /// Indonesian label.
    pub label_id: String,
    /// English label.
    pub label_en: String,
}

/// Predicates by bands of value, e.g. SPBE's Memuaskan … Kurang.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    /// The bands, any order.
    pub bands: Vec<Band>,
}

impl Bands {
    /// The SPBE (e-government index, 1–5) predicates: ≥4.2 Memuaskan, ≥3.5 Sangat Baik,
    /// ≥2.6 Baik, ≥1.8 Cukup, below Kurang.
    pub fn spbe() -> Bands {
        let b = |min: f64, id: &str, en: &str| Band {
            min,
            label_id: id.into(),
            label_en: en.into(),
        };
        Bands {
            bands: vec![
                b(4.2, "Memuaskan", "Excellent"),
                b(3.5, "Sangat Baik", "Very good"),
                b(2.6, "Baik", "Good"),
                b(1.8, "Cukup", "Fair"),
                b(f64::NEG_INFINITY, "Kurang", "Poor"),
            ],
        }
    }

    /// The band a value falls in.
    pub fn predicate(&self, value: f64) -> Option<&Band> {
        band_of(&self.bands, value)
    }
}

/// The band of `bands` (any order) that `value` falls in: the highest `min` at or below it.
pub fn band_of(bands: &[Band], value: f64) -> Option<&Band> {
    bands
        .iter()
        .filter(|b| value >= b.min)
        .max_by(|a, b| a.min.total_cmp(&b.min))
}
