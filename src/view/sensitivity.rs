//! Rank intervals: how sure each kecamatan's index rank is, from the seeded Monte Carlo of
//! methods the reports share, as a rank chart with the region highlighted.
//!
//! Runs the analysis through `analysis::sensitivity` and builds the chart model; it changes
//! no setting of the analysis.

use super::{ViewError, display_name, short_name, source_line};
use crate::analysis::sensitivity::{self, MonteCarlo, SensitivityError};
use crate::i18n::Lang;
use crate::region::RegionCode;

/// How sure each kecamatan's index rank is: median rank and 5–95 % interval over the seeded
/// Monte Carlo of the methods that the reports share ([`MonteCarlo::SHARED`]: weights ± 25 %,
/// min–max or z-score, arithmetic or geometric means), with the nominal rank; `region`
/// highlighted when it is a kecamatan.
pub fn sensitivity_chart(
    inputs: sensitivity::Inputs<'_>,
    region: &RegionCode,
    period: Option<&str>,
    lang: Lang,
) -> Result<crate::chart::RankChart, ViewError> {
    let regions = inputs.regions;
    let settings = MonteCarlo::SHARED;
    let run =
        sensitivity::peer_sensitivity(inputs, region, period, settings).map_err(|e| match e {
            SensitivityError::UnknownRegion(r) => ViewError::UnknownRegion(r),
            SensitivityError::NotScored(r) => ViewError::NotScored(r),
            SensitivityError::UnknownPeriod { period, available } => {
                ViewError::UnknownPeriod { period, available }
            }
            SensitivityError::Failed(e) => {
                ViewError::NoData(format!("sensitivity analysis failed: {e}"))
            }
        })?;
    let (group, period, mut rows) = (run.group, run.period.as_str(), run.intervals);
    rows.sort_by(|a, b| {
        a.median
            .unwrap_or(f64::MAX)
            .total_cmp(&b.median.unwrap_or(f64::MAX))
            .then(a.unit.cmp(&b.unit))
    });
    let n = rows.len();
    Ok(crate::chart::RankChart {
        title: format!(
            "{} — {} {period}",
            display_name(regions, &group),
            lang.pick(
                "kepastian peringkat indeks",
                "how certain the index ranks are"
            )
        ),
        subtitle: format!(
            "{} {} {}",
            lang.pick("Analisis sensitivitas,", "Sensitivity analysis,"),
            settings.replications,
            lang.pick(
                "replikasi: bobot ±25 %, min–maks atau skor-z, rata-rata aritmetika atau geometrik",
                "replications: weights ±25%, min–max or z-score, arithmetic or geometric mean"
            )
        ),
        source: source_line(lang).to_string(),
        rows: rows
            .iter()
            .map(|r| {
                let code = RegionCode::parse(&r.unit).ok();
                crate::chart::RankRow {
                    label: code
                        .as_ref()
                        .map_or_else(|| r.unit.clone(), |c| short_name(regions, c)),
                    nominal: r.nominal.map(f64::from),
                    median: r.median,
                    interval: r.p05.zip(r.p95),
                    highlight: code.as_ref() == Some(region),
                }
            })
            .collect(),
        worst: n as f64,
        axis_label: lang
            .pick("Peringkat (1 = terbaik)", "Rank (1 = best)")
            .to_string(),
        legend: [
            lang.pick("Median", "Median").to_string(),
            lang.pick("Selang 5–95 %", "5–95% interval").to_string(),
            lang.pick("Peringkat nominal", "Nominal rank").to_string(),
        ],
        lang,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Granularity;
    use crate::view::fixture::{JEMBER, KENCONG, code, world};

    fn inputs() -> sensitivity::Inputs<'static> {
        let w = world();
        sensitivity::Inputs {
            activities: &w.activities,
            book: &w.book,
            regions: &w.regions,
            framework: &w.framework,
            granularity: Granularity::Year,
        }
    }

    #[test]
    fn rank_intervals_cover_the_kabupaten_with_the_kecamatan_highlighted() {
        let chart = sensitivity_chart(inputs(), &code(KENCONG), None, Lang::Id).unwrap();
        assert_eq!(
            chart.title,
            "Kabupaten Jember — kepastian peringkat indeks 2025"
        );
        assert!(
            chart.subtitle.contains("200 replikasi"),
            "{}",
            chart.subtitle
        );
        assert_eq!(chart.rows.len(), 31);
        assert_eq!(chart.worst, 31.0);
        let highlighted: Vec<&str> = chart
            .rows
            .iter()
            .filter(|r| r.highlight)
            .map(|r| r.label.as_str())
            .collect();
        assert_eq!(highlighted, ["Kencong"]);
        let medians: Vec<f64> = chart
            .rows
            .iter()
            .map(|r| r.median.unwrap_or(f64::MAX))
            .collect();
        assert!(medians.windows(2).all(|p| p[0] <= p[1]), "{medians:?}");
        for r in &chart.rows {
            if let (Some(m), Some((lo, hi))) = (r.median, r.interval) {
                assert!(lo <= m && m <= hi, "{}: {lo} ≤ {m} ≤ {hi}", r.label);
            }
        }
    }

    #[test]
    fn rank_intervals_of_a_kabupaten_highlight_nothing() {
        let chart = sensitivity_chart(inputs(), &code(JEMBER), Some("2024"), Lang::En).unwrap();
        assert!(
            chart
                .title
                .ends_with("how certain the index ranks are 2024")
        );
        assert!(chart.rows.iter().all(|r| !r.highlight));
        assert_eq!(chart.legend[1], "5–95% interval");
    }

    #[test]
    fn rank_intervals_name_what_is_wrong() {
        let err = sensitivity_chart(inputs(), &code("35.09.99"), None, Lang::Id).unwrap_err();
        assert_eq!(err, ViewError::UnknownRegion(code("35.09.99")));
        let err = sensitivity_chart(inputs(), &code(KENCONG), Some("1990"), Lang::Id).unwrap_err();
        assert!(matches!(err, ViewError::UnknownPeriod { .. }), "{err:?}");
    }
}
