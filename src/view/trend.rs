//! Trend lines of a region over every period: the index with each dimension, or one dimension
//! with the median of its kabupaten's kecamatan, and an optional target line.
//!
//! Builds the chart model only; the periods are the score book's, none is invented.

use super::{
    Measure, ViewCtx, ViewError, display_name, index_label, median, score_axis, source_line,
};
use crate::chart::{TrendChart, TrendSeries};
use crate::region::{Level, RegionCode};

/// A region's scores over all periods: the index and every dimension, or one dimension with
/// the median of its kabupaten's kecamatan; `target` draws a target line.
pub fn trend_chart(
    ctx: &ViewCtx<'_>,
    region: &RegionCode,
    measure: Measure<'_>,
    target: Option<f64>,
) -> Result<TrendChart, ViewError> {
    let (book, regions, framework, lang) = (ctx.book, ctx.regions, ctx.framework, ctx.lang);
    if !regions.contains(region) {
        return Err(ViewError::UnknownRegion(region.clone()));
    }
    if !book.has_region(region) {
        return Err(ViewError::NotScored(region.clone()));
    }
    let periods: Vec<String> = book.periods().to_vec();
    let series_of = |m: Measure<'_>| -> Vec<Option<f64>> {
        periods
            .iter()
            .map(|p| book.get(region, p).and_then(|rs| m.of(rs)))
            .collect()
    };
    let mut series = Vec::new();
    match measure {
        Measure::Index => {
            series.push(TrendSeries {
                label: index_label(lang).to_string(),
                values: series_of(Measure::Index),
                emphasis: true,
            });
            for d in framework.top_dimensions() {
                series.push(TrendSeries {
                    label: d.name(lang).to_string(),
                    values: series_of(Measure::Dimension(d)),
                    emphasis: false,
                });
            }
        }
        Measure::Dimension(d) => {
            series.push(TrendSeries {
                label: d.name(lang).to_string(),
                values: series_of(measure),
                emphasis: true,
            });
            if region.level() == Level::District {
                let group = region.parent().expect("a kecamatan has a parent");
                let medians = periods
                    .iter()
                    .map(|p| {
                        let mut v: Vec<f64> = book
                            .ranking(group.as_str(), p)
                            .iter()
                            .filter_map(|rs| measure.of(rs))
                            .collect();
                        median(&mut v)
                    })
                    .collect();
                series.push(TrendSeries {
                    label: lang
                        .pick("Median kecamatan", "Median of districts")
                        .to_string(),
                    values: medians,
                    emphasis: false,
                });
            }
        }
    }
    let span = match (periods.first(), periods.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.clone(),
        _ => String::new(),
    };
    let level = regions.get(region).map_or(Level::District, |r| r.level);
    Ok(TrendChart {
        title: format!(
            "{} — {} {span}",
            display_name(regions, region),
            match measure {
                Measure::Index => lang
                    .pick("tren indeks dan dimensi", "index and dimension trends")
                    .to_string(),
                Measure::Dimension(d) =>
                    format!("{} {}", lang.pick("tren", "trend of"), d.name(lang)),
            }
        ),
        subtitle: format!(
            "{} · {}",
            lang.pick("Per tahun", "Per period"),
            ctx.scale(level)
        ),
        source: source_line(lang).to_string(),
        periods,
        series,
        max: 100.0,
        axis_label: score_axis(lang),
        target: target.map(|t| (lang.pick("Target", "Target").to_string(), t)),
        lang,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::view::ViewError;
    use crate::view::fixture::{JEMBER, JOMBANG, code, world};

    #[test]
    fn the_index_trend_has_the_index_first_and_every_dimension() {
        let w = world();
        let chart = trend_chart(&w.ctx(Lang::Id), &code(JOMBANG), Measure::Index, None).unwrap();
        assert_eq!(
            chart.title,
            "Kecamatan Jombang — tren indeks dan dimensi 2024–2025"
        );
        assert_eq!(chart.periods, ["2024", "2025"]);
        assert_eq!(chart.series.len(), 1 + 7);
        assert_eq!(chart.series[0].label, "Indeks Kota Cerdas");
        assert!(chart.series[0].emphasis);
        assert!(chart.series[1..].iter().all(|s| !s.emphasis));
        let rs = w.book.get(&code(JOMBANG), "2025").unwrap();
        assert_eq!(chart.series[0].values[1], rs.index);
        // Governance has no data in any period: a series of gaps.
        assert_eq!(chart.series[3].label, "Tata Kelola");
        assert_eq!(chart.series[3].values, [None, None]);
        assert!(chart.target.is_none());
    }

    #[test]
    fn a_dimension_trend_has_the_kecamatan_median_and_a_target() {
        let w = world();
        let economy = Measure::parse(&w.framework, Some("economy")).unwrap();
        let chart = trend_chart(&w.ctx(Lang::En), &code(JOMBANG), economy, Some(70.0)).unwrap();
        assert_eq!(
            chart.title,
            "Kecamatan Jombang — trend of Economy 2024–2025"
        );
        let labels: Vec<&str> = chart.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["Economy", "Median of districts"]);
        // The median of the kecamatan that reported in each year, not of all 31.
        let medians: Vec<Option<f64>> = ["2024", "2025"]
            .iter()
            .map(|p| {
                let mut v: Vec<f64> = w
                    .book
                    .ranking(JEMBER, p)
                    .iter()
                    .filter_map(|rs| economy.of(rs))
                    .collect();
                crate::view::median(&mut v)
            })
            .collect();
        assert!(medians.iter().all(|m| m.is_some_and(|m| m > 0.0)));
        assert_eq!(chart.series[1].values, medians);
        assert_eq!(chart.target, Some(("Target".to_string(), 70.0)));

        // A kab/kota has no kecamatan median of its own.
        let chart = trend_chart(&w.ctx(Lang::Id), &code(JEMBER), economy, None).unwrap();
        assert_eq!(chart.series.len(), 1);
        assert!(
            chart.subtitle.contains("skor 0–100 terhadap patokan tetap"),
            "{}",
            chart.subtitle
        );
    }

    #[test]
    fn a_trend_names_the_region_it_cannot_show() {
        let ctx = world().ctx(Lang::Id);
        let err = trend_chart(&ctx, &code("35.09.99"), Measure::Index, None).unwrap_err();
        assert_eq!(err, ViewError::UnknownRegion(code("35.09.99")));
        let err = trend_chart(&ctx, &code("35.10.01"), Measure::Index, None).unwrap_err();
        assert_eq!(err, ViewError::NotScored(code("35.10.01")));
    }
}
