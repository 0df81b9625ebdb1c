//! The radar of a region's dimensions: the period with the previous one as an overlay, and
//! optionally the peers' median and a target; or several regions side by side in one period.
//!
//! Builds the chart model only (series, axes, titles); the drawing is `chart`'s.

use super::{
    RegionView, ViewCtx, ViewError, index_label, median, rank_phrase, region_view, source_line,
};
use crate::chart::{RadarChart, RadarSeries};
use crate::i18n::{Lang, format_number};
use crate::region::{Level, RegionCode};
use crate::score::RegionScore;

/// The radar chart of a region's dimensions, with the previous period as an overlay.
pub fn radar_chart(ctx: &ViewCtx<'_>, view: &RegionView<'_>) -> RadarChart {
    let (framework, lang) = (ctx.framework, ctx.lang);
    let series_of = |rs: &RegionScore| -> Vec<Option<f64>> {
        framework
            .dimensions
            .iter()
            .map(|d| rs.dimension(&d.id).and_then(|s| s.score))
            .collect()
    };
    let mut series = vec![RadarSeries {
        label: format!("{} {}", lang.pick("Periode", "Period"), view.current.period),
        values: series_of(view.current),
        emphasis: true,
    }];
    if let Some(prev) = view.previous {
        series.push(RadarSeries {
            label: format!("{} {}", lang.pick("Periode", "Period"), prev.period),
            values: series_of(prev),
            emphasis: false,
        });
    }
    let index = view
        .current
        .index
        .map_or_else(|| "–".to_string(), |v| format_number(v, 1, lang));
    let method = ctx.scale(view.level);
    RadarChart {
        title: format!(
            "{} — {} {}",
            view.name,
            index_label(lang),
            view.current.period
        ),
        subtitle: format!(
            "{} {index} · {} · {method}",
            lang.pick("Indeks", "Index"),
            rank_phrase(view.current.rank, view.current.peers, view.level, lang),
        ),
        axes: framework
            .dimensions
            .iter()
            .map(|d| d.name(lang).to_string())
            .collect(),
        series,
        max: 100.0,
        source: source_line(lang).to_string(),
        lang,
    }
}

/// Optional overlays of the radar beyond the previous period.
#[derive(Debug, Clone, Copy, Default)]
pub struct RadarOverlays {
    /// The median of the region's peers (the kabupaten's kecamatan) on every dimension.
    pub peer_median: bool,
    /// A target score drawn on every axis.
    pub target: Option<f64>,
}

/// [`radar_chart`] with the peer median and a target as extra dashed series.
pub fn radar_chart_with(
    ctx: &ViewCtx<'_>,
    view: &RegionView<'_>,
    overlays: RadarOverlays,
) -> RadarChart {
    let (book, framework, lang) = (ctx.book, ctx.framework, ctx.lang);
    let mut chart = radar_chart(ctx, view);
    if overlays.peer_median && view.level == Level::District {
        let peers = book.ranking(&view.current.peer, &view.current.period);
        let values = framework
            .dimensions
            .iter()
            .map(|d| {
                let mut v: Vec<f64> = peers
                    .iter()
                    .filter_map(|rs| rs.dimension(&d.id).and_then(|s| s.score))
                    .filter(|v| v.is_finite())
                    .collect();
                median(&mut v)
            })
            .collect();
        // Kecamatan without data are no part of the median: counted as what it is over.
        let scored = peers.iter().filter(|rs| rs.index.is_some()).count();
        chart.series.push(RadarSeries {
            label: match lang {
                Lang::Id => format!("Median {scored} kecamatan bernilai"),
                Lang::En => format!("Median of {scored} districts with scores"),
            },
            values,
            emphasis: false,
        });
    }
    if let Some(t) = overlays.target.filter(|t| t.is_finite()) {
        chart.series.push(RadarSeries {
            label: format!("Target {}", format_number(t, 0, lang)),
            values: vec![Some(t); chart.axes.len()],
            emphasis: false,
        });
    }
    chart
}

/// One radar with a series per region (the first emphasised), all in `period`: the comparison
/// of regions side by side. Every region must have scores in that period.
pub fn compare_radar_chart(
    ctx: &ViewCtx<'_>,
    codes: &[RegionCode],
    period: Option<&str>,
) -> Result<RadarChart, ViewError> {
    let (book, regions, framework, lang) = (ctx.book, ctx.regions, ctx.framework, ctx.lang);
    let first = codes
        .first()
        .ok_or_else(|| ViewError::NoData("no region to compare".into()))?;
    let view = region_view(book, regions, first, period)?;
    let period = view.current.period.clone();
    let mut chart = radar_chart(ctx, &view);
    chart.series.clear();
    for (i, code) in codes.iter().enumerate() {
        let v = region_view(book, regions, code, Some(&period))?;
        chart.series.push(RadarSeries {
            label: format!(
                "{} ({})",
                v.name,
                v.current
                    .index
                    .map_or_else(|| "–".to_string(), |x| format_number(x, 1, lang))
            ),
            values: framework
                .dimensions
                .iter()
                .map(|d| v.current.dimension(&d.id).and_then(|s| s.score))
                .collect(),
            emphasis: i == 0,
        });
    }
    chart.title = format!(
        "{} — {} {period}",
        lang.pick("Perbandingan wilayah", "Region comparison"),
        index_label(lang)
    );
    chart.subtitle = lang
        .pick(
            "skor dimensi 0–100; angka dalam kurung: indeks",
            "dimension scores 0–100; in brackets: the index",
        )
        .to_string();
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::fixture::{JEMBER, JOMBANG, KENCONG, code, world};
    use crate::view::median;

    fn jombang(lang: Lang) -> RadarChart {
        let w = world();
        let view = region_view(&w.book, &w.regions, &code(JOMBANG), None).unwrap();
        radar_chart(&w.ctx(lang), &view)
    }

    #[test]
    fn the_radar_shows_the_period_over_the_previous_one() {
        let chart = jombang(Lang::Id);
        assert_eq!(chart.title, "Kecamatan Jombang — Indeks Kota Cerdas 2025");
        assert!(
            chart.subtitle.contains("dari 3 kecamatan")
                && chart.subtitle.contains("terhadap patokan tetap"),
            "{}",
            chart.subtitle
        );
        assert_eq!(
            chart.axes,
            [
                "Ekonomi",
                "Masyarakat",
                "Tata Kelola",
                "Pemerintahan",
                "Mobilitas",
                "Lingkungan",
                "Kehidupan"
            ]
        );
        let labels: Vec<&str> = chart.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["Periode 2025", "Periode 2024"]);
        assert!(chart.series[0].emphasis && !chart.series[1].emphasis);
        assert_eq!(chart.max, 100.0);
        let en = jombang(Lang::En);
        assert_eq!(en.title, "Kecamatan Jombang — Smart City Index 2025");
        assert_eq!(en.series[1].label, "Period 2024");
    }

    #[test]
    fn dimensions_without_data_are_gaps_not_zeros() {
        let chart = jombang(Lang::Id);
        let now = &chart.series[0].values;
        assert!(now[0].is_some(), "economy has activities");
        // Governance … living: no activity anywhere, so no score.
        assert!(now[2..].iter().all(Option::is_none), "{now:?}");
    }

    #[test]
    fn overlays_add_the_peer_median_and_a_target() {
        let w = world();
        let view = region_view(&w.book, &w.regions, &code(KENCONG), None).unwrap();
        let overlays = RadarOverlays {
            peer_median: true,
            target: Some(80.0),
        };
        let chart = radar_chart_with(&w.ctx(Lang::Id), &view, overlays);
        let labels: Vec<&str> = chart.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Periode 2025",
                "Periode 2024",
                "Median 3 kecamatan bernilai",
                "Target 80"
            ]
        );
        assert_eq!(chart.series[3].values, vec![Some(80.0); 7]);
        // The median of the three kecamatan that reported; nobody recorded governance.
        let mut economy: Vec<f64> = w
            .book
            .ranking(JEMBER, "2025")
            .iter()
            .filter_map(|rs| rs.dimension("economy").and_then(|d| d.score))
            .collect();
        assert_eq!(economy.len(), 3);
        assert_eq!(chart.series[2].values[0], median(&mut economy));
        assert_eq!(chart.series[2].values[2], None);

        // A kab/kota has no peer median; a non-finite target is no target.
        let jember = region_view(&w.book, &w.regions, &code("35.09"), None).unwrap();
        let overlays = RadarOverlays {
            peer_median: true,
            target: Some(f64::NAN),
        };
        let chart = radar_chart_with(&w.ctx(Lang::En), &jember, overlays);
        assert_eq!(chart.series.len(), 2);
    }

    #[test]
    fn compared_regions_share_one_period_and_the_first_is_emphasised() {
        let w = world();
        let codes = [code(JOMBANG), code(KENCONG)];
        let chart = compare_radar_chart(&w.ctx(Lang::Id), &codes, Some("2024")).unwrap();
        assert_eq!(
            chart.title,
            "Perbandingan wilayah — Indeks Kota Cerdas 2024"
        );
        assert_eq!(chart.series.len(), 2);
        assert!(chart.series[0].label.starts_with("Kecamatan Jombang ("));
        assert!(chart.series[1].label.starts_with("Kecamatan Kencong ("));
        let emphasised: Vec<bool> = chart.series.iter().map(|s| s.emphasis).collect();
        assert_eq!(emphasised, [true, false]);
        let kencong = w.book.get(&code(KENCONG), "2024").unwrap();
        assert_eq!(
            chart.series[1].values[0],
            kencong.dimension("economy").unwrap().score
        );
    }

    #[test]
    fn a_comparison_names_the_region_or_period_it_cannot_show() {
        let ctx = world().ctx(Lang::Id);
        let err = compare_radar_chart(&ctx, &[], None).unwrap_err();
        assert_eq!(err, ViewError::NoData("no region to compare".into()));
        let err = compare_radar_chart(&ctx, &[code(JOMBANG), code("35.10.01")], None).unwrap_err();
        assert_eq!(err, ViewError::NotScored(code("35.10.01")));
        let err = compare_radar_chart(&ctx, &[code(JOMBANG)], Some("2030")).unwrap_err();
        assert!(matches!(err, ViewError::UnknownPeriod { .. }), "{err:?}");
    }
}
