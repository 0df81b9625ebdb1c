//! A region's profile: its index, dimensions and indicators explained, its rank interval, the
//! activities behind the numbers and, for a kab/kota, its kecamatan ranked.
//!
//! Only one region in one period; cohorts are ranked in [`super::ranking`].

use polars::prelude::*;

use super::gather::{display_name, rank_intervals};
use super::ranking::rank;
use super::{
    ActivityRow, DimensionRow, IndicatorRow, Inputs, Profile, RankRange, RankedRegion, ReportError,
    Subject,
};
use crate::framework::Framework;
use crate::i18n::Lang;
use crate::region::{Level, Region, RegionCode, Regions};
use crate::score::explain::{self, Explanation, IndicatorExplained};
use crate::score::{RegionScore, ScoreBook, Scores};
use crate::store::cols as act;

/// A kecamatan's or kab/kota's profile in `period`, on the scores of its level
/// ([`Inputs::scores_for`]).
pub(super) fn profile(
    inputs: &Inputs<'_>,
    region: &RegionCode,
    period: &str,
    lang: Lang,
) -> Result<Profile, ReportError> {
    let (scores, book, level) = inputs.scores_for(&Subject::Region(region.clone()));
    let info = reportable(inputs.regions, region)?;
    let e = explained(scores, book, inputs.framework, region, period)?;
    let prev = book
        .previous_period(period)
        .and_then(|p| book.get(region, p));
    let rs = book
        .get(region, period)
        .ok_or_else(|| ReportError::NotFound(format!("no scores for {region} in {period}")))?;
    let dimensions = dimension_rows(&e, rs, prev, lang);
    let indicators = indicator_rows(inputs.framework, &e.indicators, region, period, lang);
    let (strongest, weakest) = strongest_and_weakest(&indicators);
    let (by_programme, by_place, activities) = activity_summary(inputs, region, period, lang)?;
    let intervals = rank_intervals(inputs, level, period)?;
    let children = ranked_kecamatan(inputs, level, region, period, lang)?;
    Ok(Profile {
        code: region.clone(),
        name: info.display_name(),
        level,
        index: e.index,
        predicate: e
            .predicate
            .as_ref()
            .map(|b| lang.pick(&b.label_id, &b.label_en).to_string()),
        rank: e.rank,
        peers: e.peers,
        peer_group: peer_group(inputs.regions, region, level, lang),
        change: rs.index.zip(prev.and_then(|p| p.index)).map(|(a, b)| a - b),
        dimensions,
        indicators,
        strongest,
        weakest,
        by_programme,
        by_place,
        activities,
        rank_range: intervals.get(region.as_str()).map(RankRange::from),
        children,
    })
}

/// The region's reference entry, if it is one a profile exists for: a known kecamatan or
/// kab/kota.
fn reportable<'a>(regions: &'a Regions, region: &RegionCode) -> Result<&'a Region, ReportError> {
    let info = regions.get(region).ok_or_else(|| {
        ReportError::NotFound(format!("region {region} is not a known Kemendagri region"))
    })?;
    if !matches!(region.level(), Level::District | Level::Regency) {
        return Err(ReportError::BadRequest(format!(
            "region {region} is a {}; reports exist for a kecamatan or a kab/kota",
            match region.level() {
                Level::Province => "province (use the cohort report with province=…)",
                _ => "desa",
            }
        )));
    }
    Ok(info)
}

/// How the region's score was made; a region without scores is a 404 that says which regions
/// have them.
fn explained(
    scores: &Scores,
    book: &ScoreBook,
    fw: &Framework,
    region: &RegionCode,
    period: &str,
) -> Result<Explanation, ReportError> {
    explain::explain(scores, book, fw, region, period).map_err(|e| match e {
        explain::ExplainError::NotScored { .. } => {
            ReportError::NotFound(if book.has_region(region) {
                e.to_string()
            } else {
                format!(
                    "region {region} has no scores (scores exist for kecamatan with activity data, \
                 and for the kab/kota of provinces with activity data)"
                )
            })
        }
        explain::ExplainError::Polars(p) => ReportError::Frames(p),
    })
}

/// Each dimension's score, rank, weight and contribution, with its change since `prev`.
fn dimension_rows(
    e: &Explanation,
    rs: &RegionScore,
    prev: Option<&RegionScore>,
    lang: Lang,
) -> Vec<DimensionRow> {
    e.dimensions
        .iter()
        .map(|d| DimensionRow {
            id: d.id.clone(),
            name: lang.pick(&d.name_id, &d.name_en).to_string(),
            score: d.score,
            rank: rs.dimension(&d.id).and_then(|x| x.rank),
            weight: d.weight,
            to_index: d.to_index,
            change: d
                .score
                .zip(prev.and_then(|p| p.dimension(&d.id)).and_then(|x| x.score))
                .map(|(a, b)| a - b),
        })
        .collect()
}

/// The explained indicators of `region` as report rows, with their units and the region's
/// targets for `period`.
pub(super) fn indicator_rows(
    fw: &Framework,
    indicators: &[IndicatorExplained],
    region: &RegionCode,
    period: &str,
    lang: Lang,
) -> Vec<IndicatorRow> {
    indicators
        .iter()
        .map(|i| IndicatorRow {
            id: i.id.clone(),
            name: lang.pick(&i.name_id, &i.name_en).to_string(),
            dimension: i.dimension.clone(),
            raw: i.raw,
            value: i.value,
            unit: fw.indicator(&i.id).map_or_else(String::new, |x| {
                lang.pick(&x.unit_id, &x.unit_en).to_string()
            }),
            target: fw
                .targets
                .as_ref()
                .and_then(|t| t.get(region.as_str(), &i.id, period)),
            score: i.score,
            capped: i
                .goalposts
                .zip(i.treated)
                .is_some_and(|([a, b], v)| v > a.max(b) || v < a.min(b)),
            weighted: i
                .own_weight
                .filter(|_| i.value.zip(i.treated).is_some_and(|(v, t)| t < v)),
            weight: i.weight,
            to_dimension: i.to_dimension,
            to_index: i.to_index,
        })
        .collect()
}

/// The ids of the indicators with the highest and the lowest score.
fn strongest_and_weakest(indicators: &[IndicatorRow]) -> (Option<String>, Option<String>) {
    let scored: Vec<(&IndicatorRow, f64)> = indicators
        .iter()
        .filter_map(|i| Some((i, i.score?)))
        .collect();
    let strongest = scored
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|i| i.0.id.clone());
    let weakest = scored
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|i| i.0.id.clone());
    (strongest, weakest)
}

/// For a kab/kota, its kecamatan ranked on the kecamatan-level scores (none when they have no
/// scores); for a kecamatan, nothing.
fn ranked_kecamatan(
    inputs: &Inputs<'_>,
    level: Level,
    region: &RegionCode,
    period: &str,
    lang: Lang,
) -> Result<Vec<RankedRegion>, ReportError> {
    if level != Level::Regency {
        return Ok(Vec::new());
    }
    let kec = inputs.snapshot.book.ranking(region.as_str(), period);
    let codes: Vec<RegionCode> = kec.iter().map(|r| r.region.clone()).collect();
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let kec_intervals = rank_intervals(inputs, Level::District, period)?;
    Ok(rank(
        inputs,
        &inputs.snapshot.book,
        &codes,
        period,
        &kec_intervals,
        lang,
    ))
}

/// What the region's peers are: "kecamatan di Kabupaten Jember", "kabupaten/kota di Jawa Timur".
fn peer_group(regions: &Regions, region: &RegionCode, level: Level, lang: Lang) -> String {
    match region.parent() {
        Some(parent) => format!(
            "{} {}",
            lang.pick(
                if level == Level::District {
                    "kecamatan di"
                } else {
                    "kabupaten/kota di"
                },
                if level == Level::District {
                    "districts of"
                } else {
                    "regencies and cities of"
                }
            ),
            display_name(regions, &parent)
        ),
        None => String::new(),
    }
}

/// Activities of `region` (with everything under it) in `period`: by programme, by place one
/// level down, and the total.
fn activity_summary(
    inputs: &Inputs<'_>,
    region: &RegionCode,
    period: &str,
    lang: Lang,
) -> Result<(Vec<ActivityRow>, Vec<ActivityRow>, u64), ReportError> {
    let code = region.as_str();
    let place_len = match region.level() {
        Level::Regency => 8,
        _ => 13,
    } as i64;
    let df = inputs
        .snapshot
        .activities
        .lazy()
        .filter(
            col(act::REGION_CODE).eq(lit(code)).or(col(act::REGION_CODE)
                .str()
                .starts_with(lit(format!("{code}.")))),
        )
        .with_column(
            inputs
                .granularity
                .period_expr(col(act::DATE))
                .alias("period"),
        )
        .filter(col("period").eq(lit(period)))
        .select([
            col(act::PROGRAMME),
            col(act::REGION_CODE)
                .str()
                .slice(lit(0), lit(place_len))
                .alias("place"),
            col(act::QUANTITY).cast(DataType::Float64),
            col(act::PARTICIPANTS).cast(DataType::Float64),
        ])
        .collect()?;
    let group = |key: &str| -> Result<Vec<(String, u64, f64, f64)>, ReportError> {
        let g = df
            .clone()
            .lazy()
            .group_by([col(key)])
            .agg([
                len().cast(DataType::UInt64).alias("n"),
                col(act::QUANTITY).sum().alias("q"),
                col(act::PARTICIPANTS).sum().alias("p"),
            ])
            .sort_by_exprs(
                [col("n"), col(key)],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .collect()?;
        let k = g.column(key)?.str()?;
        let n = g.column("n")?.u64()?;
        let q = g.column("q")?.f64()?;
        let p = g.column("p")?.f64()?;
        Ok((0..g.height())
            .map(|i| {
                (
                    k.get(i).unwrap_or_default().to_string(),
                    n.get(i).unwrap_or(0),
                    q.get(i).unwrap_or(0.0),
                    p.get(i).unwrap_or(0.0),
                )
            })
            .collect())
    };
    let fw = inputs.framework;
    let by_programme: Vec<ActivityRow> = group(act::PROGRAMME)?
        .into_iter()
        .map(|(k, n, q, p)| ActivityRow {
            name: fw.programmes.get(&k).map_or_else(
                || k.clone(),
                |x| lang.pick(&x.name_id, &x.name_en).to_string(),
            ),
            code: k,
            activities: n,
            quantity: q,
            participants: p,
        })
        .collect();
    let by_place: Vec<ActivityRow> = group("place")?
        .into_iter()
        .map(|(k, n, q, p)| ActivityRow {
            name: match RegionCode::parse(&k) {
                Ok(c) if c == *region => lang
                    .pick(
                        "(tercatat untuk seluruh wilayah)",
                        "(recorded for the whole region)",
                    )
                    .to_string(),
                Ok(c) => inputs
                    .regions
                    .get(&c)
                    .map_or_else(|| k.clone(), |r| r.name.clone()),
                Err(_) => k.clone(),
            },
            code: k,
            activities: n,
            quantity: q,
            participants: p,
        })
        .collect();
    Ok((by_programme, by_place, df.height() as u64))
}
