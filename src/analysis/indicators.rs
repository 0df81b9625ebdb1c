//! A region's indicators over the periods: raw value, denominator, value and score per
//! indicator of a dimension, read from the explanation frame of the run that measured the
//! region (a kab/kota is measured whole in its own run: its points are its own, the same numbers
//! as its dimension scores and its explanation).
//!
//! Blocking work (a polars query); callers run it off the async runtime.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::region::RegionCode;
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

/// Per indicator of `dimension`, its point in every period for `region`, from `scores`: the
/// frames of the run that measured it (`Snapshot::scores_of`).
pub fn indicator_points(
    scores: &Scores,
    region: &RegionCode,
    dimension: &str,
) -> PolarsResult<BTreeMap<String, BTreeMap<String, IndicatorPoint>>> {
    let rows = scores
        .explain
        .clone()
        .lazy()
        .filter(
            col(score_cols::REGION)
                .eq(lit(region.as_str()))
                .and(col(score_cols::DIMENSION).eq(lit(dimension))),
        )
        .collect()?;
    let s = |c: &str| -> PolarsResult<StringChunked> { Ok(rows.column(c)?.str()?.clone()) };
    let f = |c: &str| -> PolarsResult<Float64Chunked> { Ok(rows.column(c)?.f64()?.clone()) };
    let (periods, indicators) = (s(score_cols::PERIOD)?, s(score_cols::INDICATOR)?);
    let (raw, den, value, score) = (
        f(score_cols::RAW)?,
        f(score_cols::DENOMINATOR)?,
        f(score_cols::VALUE)?,
        f(score_cols::SCORE)?,
    );
    let mut out: BTreeMap<String, BTreeMap<String, IndicatorPoint>> = BTreeMap::new();
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
    Ok(out)
}
