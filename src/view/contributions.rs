//! Indicator contributions: how each indicator of a dimension adds up to a scored
//! kecamatan's dimension score, period by period, from the score explanation.
//!
//! Builds the chart model only; the numbers are the explanation's (weight × score), not
//! recomputed here.

use super::{Measure, ViewCtx, ViewError, display_name, score_axis, source_line};
use crate::chart::{StackSeries, StackedChart};
use crate::region::{Level, RegionCode};
use crate::score::Scores;

/// How each indicator of `dimension` adds up to a kecamatan's dimension score, period by
/// period (weight × score, from the score explanation).
pub fn contributions_chart(
    ctx: &ViewCtx<'_>,
    scores: &Scores,
    region: &RegionCode,
    measure: Measure<'_>,
) -> Result<StackedChart, ViewError> {
    let (book, regions, framework, lang) = (ctx.book, ctx.regions, ctx.framework, ctx.lang);
    if !regions.contains(region) {
        return Err(ViewError::UnknownRegion(region.clone()));
    }
    if region.level() != Level::District || !book.has_region(region) {
        return Err(ViewError::NoData(format!(
            "indicator contributions exist for scored kecamatan only, not {}",
            display_name(regions, region)
        )));
    }
    let dim = match measure {
        Measure::Dimension(d) => d,
        Measure::Index => framework
            .top_dimensions()
            .next()
            .ok_or_else(|| ViewError::NoData("the framework has no dimensions".into()))?,
    };
    let indicators: Vec<_> = framework
        .indicators
        .iter()
        .filter(|i| i.dimension == dim.id)
        .collect();
    let periods: Vec<String> = book.periods().to_vec();
    let mut series: Vec<StackSeries> = indicators
        .iter()
        .map(|i| StackSeries {
            label: i.name(lang).to_string(),
            values: vec![0.0; periods.len()],
        })
        .collect();
    for (t, p) in periods.iter().enumerate() {
        let Ok(e) = crate::score::explain::explain(scores, book, framework, region, p) else {
            continue;
        };
        for ie in e.indicators.iter().filter(|x| x.dimension == dim.id) {
            if let Some(k) = indicators.iter().position(|i| i.id == ie.id) {
                series[k].values[t] = ie.to_dimension.unwrap_or(0.0);
            }
        }
    }
    Ok(StackedChart {
        title: format!(
            "{} — {} {}",
            display_name(regions, region),
            lang.pick("sumbangan indikator pada", "indicator contributions to"),
            dim.name(lang)
        ),
        subtitle: format!(
            "{} · {}",
            lang.pick(
                "Bobot × skor indikator; tinggi batang = skor dimensi",
                "Weight × indicator score; column height = dimension score"
            ),
            ctx.scale(Level::District)
        ),
        source: source_line(lang).to_string(),
        categories: periods,
        series,
        axis_label: score_axis(lang),
        max: Some(100.0),
        totals: true,
        decimals: 1,
        lang,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::view::fixture::{JEMBER, KENCONG, code, world};

    #[test]
    fn contributions_add_up_to_the_dimension_score_each_period() {
        let w = world();
        let economy = Measure::parse(&w.framework, Some("economy")).unwrap();
        let chart =
            contributions_chart(&w.ctx(Lang::Id), &w.scores, &code(KENCONG), economy).unwrap();
        assert_eq!(
            chart.title,
            "Kecamatan Kencong — sumbangan indikator pada Ekonomi"
        );
        assert_eq!(chart.categories, ["2024", "2025"]);
        let indicators: Vec<&str> = w
            .framework
            .indicators
            .iter()
            .filter(|i| i.dimension == "economy")
            .map(|i| i.name(Lang::Id))
            .collect();
        let labels: Vec<&str> = chart.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, indicators);
        for (t, period) in chart.categories.iter().enumerate() {
            let height: f64 = chart.series.iter().map(|s| s.values[t]).sum();
            let score = w
                .book
                .get(&code(KENCONG), period)
                .and_then(|rs| rs.dimension("economy"))
                .and_then(|d| d.score)
                .unwrap();
            assert!(
                (height - score).abs() < 1e-9,
                "{period}: {height} vs {score}"
            );
        }
        assert_eq!(chart.max, Some(100.0));
    }

    #[test]
    fn the_index_shows_the_first_dimension() {
        let w = world();
        let chart =
            contributions_chart(&w.ctx(Lang::En), &w.scores, &code(KENCONG), Measure::Index)
                .unwrap();
        assert_eq!(
            chart.title,
            "Kecamatan Kencong — indicator contributions to Economy"
        );
    }

    #[test]
    fn contributions_exist_for_scored_kecamatan_only() {
        let w = world();
        let ctx = w.ctx(Lang::Id);
        let err = contributions_chart(&ctx, &w.scores, &code(JEMBER), Measure::Index).unwrap_err();
        assert_eq!(
            err,
            ViewError::NoData(
                "indicator contributions exist for scored kecamatan only, not Kabupaten Jember"
                    .into()
            )
        );
        let err =
            contributions_chart(&ctx, &w.scores, &code("35.10.01"), Measure::Index).unwrap_err();
        assert!(matches!(err, ViewError::NoData(_)), "{err:?}");
        let err =
            contributions_chart(&ctx, &w.scores, &code("35.09.99"), Measure::Index).unwrap_err();
        assert_eq!(err, ViewError::UnknownRegion(code("35.09.99")));
    }
}
