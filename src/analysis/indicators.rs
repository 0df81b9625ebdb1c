//! A region's indicators over the periods: raw value, denominator, value and score per
//! indicator of a dimension, read from the scores' explanation frame. A kecamatan's are its own
//! rows; a kabupaten's are totals over its kecamatan (Σ raw ÷ Σ denominator × scale) with the
//! population-weighted mean of their scores, the same rule as its dimension scores.
//!
//! Blocking work (a polars query); callers run it off the async runtime.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::framework::Framework;
use crate::region::{Level, RegionCode, Regions};
use crate::score::{Scores, cols as score_cols};

/// One indicator of the region in one period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IndicatorPoint {
    /// The raw value (a total of activity records).
    pub raw: Option<f64>,
    /// Its denominator (residents, km², …), when it has one.
    pub denominator: Option<f64>,
    /// Raw ÷ denominator × scale.
    pub value: Option<f64>,
    /// Normalised score 0–100.
    pub score: Option<f64>,
}

/// Per indicator of `dimension`, its point in every period for `region` (a kecamatan's own
/// rows, or a kabupaten's totals over its kecamatan).
pub fn indicator_points(
    scores: &Scores,
    regions: &Regions,
    framework: &Framework,
    region: &RegionCode,
    dimension: &str,
) -> PolarsResult<BTreeMap<String, BTreeMap<String, IndicatorPoint>>> {
    let regency = region.level() == Level::Regency;
    let region_pred = if regency {
        col(score_cols::PEER).eq(lit(region.as_str()))
    } else {
        col(score_cols::REGION).eq(lit(region.as_str()))
    };
    let rows = scores
        .explain
        .clone()
        .lazy()
        .filter(region_pred.and(col(score_cols::DIMENSION).eq(lit(dimension))))
        .collect()?;
    let s = |c: &str| -> PolarsResult<StringChunked> { Ok(rows.column(c)?.str()?.clone()) };
    let f = |c: &str| -> PolarsResult<Float64Chunked> { Ok(rows.column(c)?.f64()?.clone()) };
    let (regions_col, periods, indicators) = (
        s(score_cols::REGION)?,
        s(score_cols::PERIOD)?,
        s(score_cols::INDICATOR)?,
    );
    let (raw, den, value, score) = (
        f(score_cols::RAW)?,
        f(score_cols::DENOMINATOR)?,
        f(score_cols::VALUE)?,
        f(score_cols::SCORE)?,
    );
    let mut out: BTreeMap<String, BTreeMap<String, IndicatorPoint>> = BTreeMap::new();
    if !regency {
        for i in 0..rows.height() {
            let (Some(ind), Some(p)) = (indicators.get(i), periods.get(i)) else {
                continue;
            };
            out.entry(ind.to_string()).or_default().insert(
                p.to_string(),
                IndicatorPoint {
                    raw: raw.get(i),
                    denominator: den.get(i),
                    value: value.get(i),
                    score: score.get(i),
                },
            );
        }
        return Ok(out);
    }
    let mut sums: BTreeMap<(String, String), Totals> = BTreeMap::new();
    for i in 0..rows.height() {
        let (Some(ind), Some(p), Some(code)) =
            (indicators.get(i), periods.get(i), regions_col.get(i))
        else {
            continue;
        };
        let pop = RegionCode::parse(code)
            .ok()
            .and_then(|c| regions.get(&c).and_then(|r| r.population))
            .unwrap_or(0) as f64;
        let e = sums.entry((ind.to_string(), p.to_string())).or_default();
        e.0 += raw.get(i).unwrap_or(0.0);
        if let Some(d) = den.get(i) {
            e.1 = Some(e.1.unwrap_or(0.0) + d);
        }
        if let Some(sc) = score.get(i).filter(|v| v.is_finite()) {
            e.2 += pop * sc;
            e.3 += pop;
        }
    }
    for ((ind, p), (raw, den, weighted, pop)) in sums {
        let scale = framework.indicator(&ind).map_or(1.0, |i| i.scale);
        let value = match den {
            Some(d) if d > 0.0 => Some(raw / d * scale),
            Some(_) => None,
            None => Some(raw),
        };
        out.entry(ind).or_default().insert(
            p,
            IndicatorPoint {
                raw: Some(raw),
                denominator: den,
                value,
                score: (pop > 0.0).then(|| weighted / pop),
            },
        );
    }
    Ok(out)
}

/// A kabupaten's indicator in one period, summed over its kecamatan:
/// (Σ raw, Σ denominator, Σ population × score, Σ population of the scored kecamatan).
type Totals = (f64, Option<f64>, f64, f64);
