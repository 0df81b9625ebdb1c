//! How one region's score in one period was made: for a kecamatan, each indicator's raw value,
//! denominator, value after the denominator, treated and normalised values, weight and
//! contribution to its dimension and to the index; for any region, each dimension's score,
//! weight and contribution to the index; and the framework version and methods used.
//!
//! Built from the score frames ([`Scores::explain`]) and the read model; it computes nothing
//! new. Pass the frames of the run that measured the region (a kab/kota is measured whole in
//! its own run, see `Snapshot::scores_of`); a region another run measured has no rows here.

use polars::prelude::*;
use serde::Serialize;

use super::{ScoreBook, Scores, cols};
use crate::engine;
use crate::framework::Framework;
use crate::region::RegionCode;

/// The region or period asked for has no scores.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// Nothing scored for this region and period.
    #[error("no scores for region {region} in period {period:?}; scored periods: {periods}")]
    NotScored {
        /// The region.
        region: RegionCode,
        /// The period.
        period: String,
        /// The periods that exist, comma-separated.
        periods: String,
    },
    /// Reading the frames failed (a bug).
    #[error("cannot read the score frames: {0}")]
    Polars(#[from] PolarsError),
}

/// One indicator's path from activity records to the index.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndicatorExplained {
    /// Indicator id.
    pub id: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Dimension it belongs to.
    pub dimension: String,
    /// Aggregated activity value.
    pub raw: Option<f64>,
    /// Denominator value (residents, km², desa, …), if the indicator has one.
    pub denominator: Option<f64>,
    /// Value after the denominator (× scale).
    pub value: Option<f64>,
    /// Value after imputation, the weighting of small regions and outlier treatment.
    pub treated: Option<f64>,
    /// For a kab/kota's value per resident under `[small_regions]`: the share of its lead over
    /// the typical value that counts, `residents / (residents + weight)`.
    pub own_weight: Option<f64>,
    /// The typical value a small region's value above it is weighted towards.
    pub typical: Option<f64>,
    /// The fixed goalposts `[worst, best]` the score is measured on (0 at worst, 100 at best,
    /// capped), when the framework normalises on goalposts.
    pub goalposts: Option<[f64; 2]>,
    /// Normalised score.
    pub score: Option<f64>,
    /// The value's predicate on the indicator's own scale (e.g. the SPBE index's `Cukup`),
    /// when the framework gives the indicator bands.
    pub predicate: Option<engine::Band>,
    /// Effective weight in its dimension (renormalised over the indicators present).
    pub weight: Option<f64>,
    /// Contribution to the dimension score (weight × score, for arithmetic means).
    pub to_dimension: Option<f64>,
    /// Contribution to the index.
    pub to_index: Option<f64>,
}

/// One dimension's share of the index.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DimensionExplained {
    /// Dimension id.
    pub id: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Score.
    pub score: Option<f64>,
    /// Effective weight in the index (renormalised over the dimensions present).
    pub weight: Option<f64>,
    /// Contribution to the index (weight × score).
    pub to_index: Option<f64>,
}

/// A region's score in a period, taken apart.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// The region.
    #[schema(value_type = String, example = "35.09.20")]
    pub region: RegionCode,
    /// The period.
    pub period: String,
    /// Framework id.
    pub framework: String,
    /// Framework version.
    pub framework_version: String,
    /// The engine methods used.
    #[schema(value_type = Object)]
    pub methods: serde_json::Value,
    /// Index score.
    pub index: Option<f64>,
    /// The index's predicate under the framework's bands (`[[band]]`), e.g. `Baik`.
    pub predicate: Option<engine::Band>,
    /// Rank among peers.
    pub rank: Option<u32>,
    /// Number of peers.
    pub peers: u32,
    /// Dimensions of the index.
    pub dimensions: Vec<DimensionExplained>,
    /// Indicators (kecamatan only).
    pub indicators: Vec<IndicatorExplained>,
}

/// Explain a region's score in a period.
pub fn explain(
    scores: &Scores,
    book: &ScoreBook,
    framework: &Framework,
    region: &RegionCode,
    period: &str,
) -> Result<Explanation, ExplainError> {
    let Some(rs) = book.get(region, period) else {
        return Err(ExplainError::NotScored {
            region: region.clone(),
            period: period.to_string(),
            periods: book.periods().join(", "),
        });
    };
    let rows = scores
        .explain
        .clone()
        .lazy()
        .filter(
            col(cols::REGION)
                .eq(lit(region.as_str()))
                .and(col(cols::PERIOD).eq(lit(period))),
        )
        .collect()?;
    let s = |c: &str| -> PolarsResult<StringChunked> { Ok(rows.column(c)?.str()?.clone()) };
    let f = |c: &str| -> PolarsResult<Float64Chunked> { Ok(rows.column(c)?.f64()?.clone()) };
    let (ids, dims) = (s(cols::INDICATOR)?, s(cols::DIMENSION)?);
    let (raw, den, value, treated, score, weight, to_dim, to_index) = (
        f(cols::RAW)?,
        f(cols::DENOMINATOR)?,
        f(cols::VALUE)?,
        f(cols::TREATED)?,
        f(cols::SCORE)?,
        f(cols::WEIGHT)?,
        f(cols::TO_DIMENSION)?,
        f(cols::TO_INDEX)?,
    );
    // The weighting of small regions as the scoring applied it (`Framework::prior`).
    let prior = |ind: Option<&crate::framework::Indicator>| {
        ind.and_then(|x| framework.prior(x, Some(region.level())))
    };
    let mut indicators = Vec::with_capacity(rows.height());
    for i in 0..rows.height() {
        let id = ids.get(i).unwrap_or_default();
        let ind = framework.indicator(id);
        indicators.push(IndicatorExplained {
            id: id.to_string(),
            name_id: ind.map(|x| x.name_id.clone()).unwrap_or_default(),
            name_en: ind.map(|x| x.name_en.clone()).unwrap_or_default(),
            dimension: dims.get(i).unwrap_or_default().to_string(),
            raw: raw.get(i),
            denominator: den.get(i),
            value: value.get(i),
            treated: treated.get(i),
            own_weight: prior(ind).zip(den.get(i)).map(|(p, d)| d / (d + p.weight)),
            typical: prior(ind).map(|p| p.typical),
            goalposts: ind
                .and_then(|x| x.goalposts)
                .filter(|_| framework.normalisation.is_absolute()),
            score: score.get(i),
            predicate: ind
                .zip(value.get(i))
                .and_then(|(x, v)| x.predicate(v).cloned()),
            weight: weight.get(i),
            to_dimension: to_dim.get(i),
            to_index: to_index.get(i),
        });
    }
    // Framework order reads better than the frame's alphabetical order.
    let order = |id: &str| framework.indicators.iter().position(|i| i.id == id);
    indicators.sort_by_key(|i| order(&i.id));
    let dimensions = dimensions_explained(framework, rs);
    Ok(Explanation {
        region: region.clone(),
        period: period.to_string(),
        framework: scores.framework.0.clone(),
        framework_version: scores.framework.1.clone(),
        methods: serde_json::from_str(&scores.methods).unwrap_or(serde_json::Value::Null),
        index: rs.index,
        predicate: framework
            .bands
            .as_ref()
            .zip(rs.index)
            .and_then(|(b, v)| b.predicate(v).cloned()),
        rank: rs.rank,
        peers: rs.peers,
        dimensions,
        indicators,
    })
}

/// The dimensions of the index with their scores, weights renormalised over those with a
/// score, and contributions.
fn dimensions_explained(framework: &Framework, rs: &super::RegionScore) -> Vec<DimensionExplained> {
    let top: Vec<_> = framework.top_dimensions().collect();
    let present: f64 = top
        .iter()
        .filter(|d| rs.dimension(&d.id).and_then(|x| x.score).is_some())
        .map(|d| d.weight)
        .sum();
    top.iter()
        .map(|d| {
            let score = rs.dimension(&d.id).and_then(|x| x.score);
            let weight = score.and((present > 0.0).then(|| d.weight / present));
            DimensionExplained {
                id: d.id.clone(),
                name_id: d.name_id.clone(),
                name_en: d.name_en.clone(),
                score,
                weight,
                to_index: score.zip(weight).map(|(s, w)| s * w),
            }
        })
        .collect()
}

impl Explanation {
    /// A plain-text table for the terminal.
    pub fn to_text(&self) -> String {
        let n = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.2}"));
        let mut out = format!(
            "{} {} — framework {} {}\nindex {}{} (rank {} of {})\nmethods: {}\n\n",
            self.region,
            self.period,
            self.framework,
            self.framework_version,
            n(self.index),
            self.predicate
                .as_ref()
                .map_or(String::new(), |b| format!(" {}", b.label_id)),
            self.rank.map_or("—".into(), |r| r.to_string()),
            self.peers,
            self.methods
        );
        out.push_str(&format!(
            "{:<14} {:>8} {:>8} {:>9}\n",
            "dimension", "score", "weight", "→ index"
        ));
        for d in &self.dimensions {
            out.push_str(&format!(
                "{:<14} {:>8} {:>8} {:>9}\n",
                d.id,
                n(d.score),
                n(d.weight),
                n(d.to_index)
            ));
        }
        if !self.indicators.is_empty() {
            out.push_str(&format!(
                "\n{:<28} {:<12} {:>9} {:>11} {:>9} {:>9} {:>7} {:>6} {:>7} {:>7}\n",
                "indicator",
                "dimension",
                "raw",
                "denominator",
                "value",
                "treated",
                "score",
                "weight",
                "→ dim",
                "→ index"
            ));
            for i in &self.indicators {
                out.push_str(&format!(
                    "{:<28} {:<12} {:>9} {:>11} {:>9} {:>9} {:>7} {:>6} {:>7} {:>7}\n",
                    i.id,
                    i.dimension,
                    n(i.raw),
                    n(i.denominator),
                    n(i.value),
                    n(i.treated),
                    n(i.score),
                    n(i.weight),
                    n(i.to_dimension),
                    n(i.to_index)
                ));
            }
            // Why "treated" is below "value" for a small kab/kota, once, under the table.
            if let Some(share) = self.indicators.iter().find_map(|i| i.own_weight) {
                out.push_str(&format!(
                    "
small region: of a value per resident above its indicator's typical value, \
                     {:.0} % of the excess counts ([small_regions])\n",
                    share * 100.0
                ));
            }
        }
        out
    }
}
