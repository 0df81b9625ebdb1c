//! The heatmap of a kabupaten's kecamatan × dimensions (and the index) in one period, rows in
//! index order, the selected kecamatan highlighted.
//!
//! Builds the chart model only; colours and the neutral 50 are the drawing's business.

use super::{
    Measure, ViewCtx, ViewError, display_name, group_of, period_or_latest, ranked_members,
    short_name, source_line,
};
use crate::chart::HeatmapChart;
use crate::framework::Dimension;
use crate::region::{Level, RegionCode};

/// Kecamatan × dimensions (and the index) of `region`'s kabupaten in a period, rows in index
/// order, `region` highlighted when it is a kecamatan; white is 50.
pub fn heatmap_chart(
    ctx: &ViewCtx<'_>,
    region: &RegionCode,
    period: Option<&str>,
) -> Result<HeatmapChart, ViewError> {
    let (book, regions, framework, lang) = (ctx.book, ctx.regions, ctx.framework, ctx.lang);
    let group = group_of(regions, region)?;
    let period = period_or_latest(book, period)?;
    let members = ranked_members(book, &group, period, Measure::Index);
    if members.is_empty() {
        return Err(ViewError::NotScored(group));
    }
    let dims: Vec<&Dimension> = framework.top_dimensions().collect();
    let mut columns: Vec<String> = dims.iter().map(|d| d.name(lang).to_string()).collect();
    columns.push(lang.pick("Indeks", "Index").to_string());
    let values = members
        .iter()
        .map(|rs| {
            let mut row: Vec<Option<f64>> =
                dims.iter().map(|d| Measure::Dimension(d).of(rs)).collect();
            row.push(Measure::Index.of(rs));
            row
        })
        .collect();
    let group_name = display_name(regions, &group);
    Ok(HeatmapChart {
        title: format!(
            "{group_name} — {} {period}",
            lang.pick("skor dimensi per kecamatan", "dimension scores by district")
        ),
        subtitle: format!(
            "{} · {}",
            lang.pick("Urut menurut indeks", "Ordered by index"),
            ctx.scale(Level::District)
        ),
        source: source_line(lang).to_string(),
        rows: members
            .iter()
            .enumerate()
            .map(|(i, rs)| format!("{}. {}", i + 1, short_name(regions, &rs.region)))
            .collect(),
        columns,
        values,
        centre: 50.0,
        spread: 50.0,
        legend: lang
            .pick(
                "Skor 0–100; putih = 50, ungu di atas, oranye di bawah",
                "Score 0–100; white = 50, purple above, orange below",
            )
            .to_string(),
        highlight_row: members.iter().position(|rs| &rs.region == region),
        lang,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::view::fixture::{GUMUKMAS, JEMBER, code, world};

    #[test]
    fn the_heatmap_has_a_row_per_kecamatan_in_index_order() {
        let w = world();
        let chart = heatmap_chart(&w.ctx(Lang::Id), &code(GUMUKMAS), Some("2025")).unwrap();
        assert_eq!(
            chart.title,
            "Kabupaten Jember — skor dimensi per kecamatan 2025"
        );
        assert_eq!(chart.rows.len(), 31);
        assert!(chart.rows[0].starts_with("1. "));
        assert_eq!(chart.columns.len(), 8);
        assert_eq!(chart.columns[0], "Ekonomi");
        assert_eq!(chart.columns[7], "Indeks");
        assert!(chart.values.iter().all(|row| row.len() == 8));
        let index: Vec<f64> = chart.values.iter().map(|r| r[7].unwrap_or(0.0)).collect();
        assert!(index.windows(2).all(|p| p[0] >= p[1]), "{index:?}");
        let row = chart.highlight_row.expect("Gumukmas is highlighted");
        assert!(
            chart.rows[row].ends_with(". Gumukmas"),
            "{}",
            chart.rows[row]
        );
        // No data for governance: an empty cell, not a zero.
        assert!(chart.values.iter().all(|r| r[2].is_none()));
        assert_eq!((chart.centre, chart.spread), (50.0, 50.0));
    }

    #[test]
    fn a_kabupaten_heatmap_highlights_no_row() {
        let w = world();
        let chart = heatmap_chart(&w.ctx(Lang::En), &code(JEMBER), None).unwrap();
        assert_eq!(chart.highlight_row, None);
        assert_eq!(chart.columns[7], "Index");
        assert!(chart.subtitle.starts_with("Ordered by index"));
    }

    #[test]
    fn a_heatmap_names_the_period_it_cannot_show() {
        let ctx = world().ctx(Lang::Id);
        let err = heatmap_chart(&ctx, &code(JEMBER), Some("2023")).unwrap_err();
        assert!(matches!(err, ViewError::UnknownPeriod { .. }), "{err:?}");
        let err = heatmap_chart(&ctx, &code("35.10"), None).unwrap_err();
        assert_eq!(err, ViewError::NotScored(code("35.10")));
    }
}
