//! The activity timeline: activities recorded in a region per month, stacked by top
//! dimension, as record counts or summed quantities.
//!
//! Reads the activity table (not the scores) and builds the chart model only; months without
//! activities between the first and the last are shown empty, none before or after.

use std::collections::BTreeMap;

use polars::prelude::{DataType, Float64Chunked, StringChunked};

use super::{ViewCtx, ViewError, display_name, source_line};
use crate::chart::{StackSeries, StackedChart};
use crate::framework::{Dimension, Framework};
use crate::i18n::Lang;
use crate::region::RegionCode;
use crate::store::{Activities, cols};

/// A month as (year, month 1–12).
type Month = (i32, u32);

/// Why the activity table could not be read for a chart (a broken contract: a bug).
fn frame_error(e: impl std::fmt::Display) -> ViewError {
    ViewError::NoData(format!("cannot read the activity table: {e}"))
}

/// Activities recorded in `region` (a kecamatan with its desa, or a kabupaten with everything
/// under it, whole-kabupaten records included) per month, stacked by dimension; `quantity`
/// sums the quantities instead of counting records.
pub fn timeline_chart(
    ctx: &ViewCtx<'_>,
    activities: &Activities,
    region: &RegionCode,
    quantity: bool,
) -> Result<StackedChart, ViewError> {
    let (regions, framework, lang) = (ctx.regions, ctx.framework, ctx.lang);
    if !regions.contains(region) {
        return Err(ViewError::UnknownRegion(region.clone()));
    }
    let columns = Columns::read(activities)?;
    let top: Vec<&Dimension> = framework.top_dimensions().collect();
    let months = monthly_totals(&columns, framework, &top, region, quantity);
    let (Some(&first), Some(&last)) = (months.keys().next(), months.keys().next_back()) else {
        return Err(ViewError::NoData(format!(
            "no activities recorded for {}",
            display_name(regions, region)
        )));
    };
    let keys = every_month(first, last);
    let series = top
        .iter()
        .enumerate()
        .map(|(k, d)| StackSeries {
            label: d.name(lang).to_string(),
            values: keys
                .iter()
                .map(|key| months.get(key).map_or(0.0, |v| v[k]))
                .collect(),
        })
        .collect();
    let what = if quantity {
        lang.pick("jumlah (satuan program)", "quantity (programme units)")
    } else {
        lang.pick("kegiatan", "activities")
    };
    let span = format!("{} – {}", month_name(first, lang), month_name(last, lang));
    Ok(StackedChart {
        title: format!(
            "{} — {}",
            display_name(regions, region),
            match lang {
                Lang::Id => format!("{what} per bulan"),
                Lang::En => format!("{what} per month"),
            }
        ),
        subtitle: format!(
            "{} · {span}",
            lang.pick(
                "Kegiatan tercatat menurut dimensi, termasuk desa/kelurahan",
                "Recorded activities by dimension, villages included"
            )
        ),
        source: source_line(lang).to_string(),
        categories: month_categories(&keys, first),
        series,
        axis_label: match lang {
            Lang::Id => format!("{} per bulan", capitalise(what)),
            Lang::En => format!("{} per month", capitalise(what)),
        },
        max: None,
        totals: true,
        decimals: 0,
        lang,
    })
}

/// The activity table's columns the timeline reads.
struct Columns {
    /// ISO dates as text, `2018-07-10`.
    dates: StringChunked,
    codes: StringChunked,
    dimensions: StringChunked,
    quantities: Float64Chunked,
    rows: usize,
}

impl Columns {
    fn read(activities: &Activities) -> Result<Columns, ViewError> {
        let df = activities.frame();
        let dates = df
            .column(cols::DATE)
            .and_then(|c| c.cast(&DataType::String))
            .map_err(frame_error)?;
        let dates = dates.str().map_err(frame_error)?.clone();
        let codes = df
            .column(cols::REGION_CODE)
            .and_then(|c| c.str().cloned())
            .map_err(frame_error)?;
        let dimensions = df
            .column(cols::DIMENSION)
            .and_then(|c| c.str().cloned())
            .map_err(frame_error)?;
        let quantities = df
            .column(cols::QUANTITY)
            .and_then(|c| c.f64().cloned())
            .map_err(frame_error)?;
        Ok(Columns {
            dates,
            codes,
            dimensions,
            quantities,
            rows: df.height(),
        })
    }
}

/// Per month, the total of each top dimension (in `top`'s order) over the records of `region`
/// and everything under it: record counts, or quantities when `quantity`.
fn monthly_totals(
    columns: &Columns,
    framework: &Framework,
    top: &[&Dimension],
    region: &RegionCode,
    quantity: bool,
) -> BTreeMap<Month, Vec<f64>> {
    let prefix = format!("{region}.");
    let mut months: BTreeMap<Month, Vec<f64>> = BTreeMap::new();
    for i in 0..columns.rows {
        let (Some(date), Some(code), Some(dim)) = (
            columns.dates.get(i),
            columns.codes.get(i),
            columns.dimensions.get(i),
        ) else {
            continue;
        };
        if code != region.as_str() && !code.starts_with(&prefix) {
            continue;
        }
        // A sub-dimension's records count for its top dimension.
        let Some(k) = top.iter().position(|d| {
            d.id == dim || framework.dimension(dim).and_then(|x| x.parent.as_deref()) == Some(&d.id)
        }) else {
            continue;
        };
        let (Some(y), Some(m)) = (
            date.get(0..4).and_then(|y| y.parse().ok()),
            date.get(5..7).and_then(|m| m.parse().ok()),
        ) else {
            continue;
        };
        let add = if quantity {
            columns.quantities.get(i).unwrap_or(0.0)
        } else {
            1.0
        };
        months.entry((y, m)).or_insert_with(|| vec![0.0; top.len()])[k] += add;
    }
    months
}

/// Every month from `first` to `last`, empty ones included.
fn every_month(first: Month, last: Month) -> Vec<Month> {
    let mut keys = Vec::new();
    let (mut y, mut m) = first;
    while (y, m) <= last {
        keys.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    keys
}

/// Column labels: `07/2018` for up to 18 months; beyond that only each January's year (and
/// the first month's), the others blank.
fn month_categories(keys: &[Month], first: Month) -> Vec<String> {
    keys.iter()
        .map(|&(y, m)| {
            if keys.len() <= 18 {
                format!("{m:02}/{y}")
            } else if m == 1 || (y, m) == first {
                y.to_string()
            } else {
                String::new()
            }
        })
        .collect()
}

/// "Juli 2018" / "July 2018".
fn month_name((y, m): Month, lang: Lang) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
    // "1 Juli 2018" → "Juli 2018".
    crate::i18n::format_date(d, lang)
        .trim_start_matches("1 ")
        .to_string()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::fixture::{JEMBER, KENCONG, SUMBERBARU, code, world};

    fn totals(chart: &StackedChart) -> f64 {
        chart.series.iter().flat_map(|s| &s.values).sum()
    }

    #[test]
    fn a_kabupaten_timeline_counts_every_record_under_it_by_month() {
        let w = world();
        let chart = timeline_chart(&w.ctx(Lang::Id), &w.activities, &code(JEMBER), false).unwrap();
        assert_eq!(chart.title, "Kabupaten Jember — kegiatan per bulan");
        assert_eq!(
            chart.subtitle,
            "Kegiatan tercatat menurut dimensi, termasuk desa/kelurahan · Maret 2024 – Juli 2025"
        );
        assert_eq!(chart.axis_label, "Kegiatan per bulan");
        // March 2024 to July 2025: 17 months, empty ones included, labelled month/year.
        assert_eq!(chart.categories.len(), 17);
        assert_eq!(chart.categories[0], "03/2024");
        assert_eq!(chart.categories[16], "07/2025");
        let labels: Vec<&str> = chart.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels[..2], ["Ekonomi", "Masyarakat"]);
        assert_eq!(chart.series.len(), 7);
        // All ten records, the whole-kabupaten one included; five of them economy.
        assert_eq!(totals(&chart), 10.0);
        assert_eq!(chart.series[0].values.iter().sum::<f64>(), 5.0);
        assert_eq!(chart.series[0].values[0], 1.0, "March 2024: Jombang's UMKM");
        assert_eq!(chart.series[0].values[1], 0.0, "April 2024: nothing");
    }

    #[test]
    fn a_kecamatan_timeline_sums_quantities_with_its_desa() {
        let w = world();
        let chart = timeline_chart(&w.ctx(Lang::En), &w.activities, &code(KENCONG), true).unwrap();
        assert_eq!(
            chart.title,
            "Kecamatan Kencong — quantity (programme units) per month"
        );
        assert_eq!(chart.axis_label, "Quantity (programme units) per month");
        // May 2024 to June 2025.
        assert_eq!(chart.categories.len(), 14);
        assert_eq!(totals(&chart), 10.0 + 20.0 + 6.0);
        assert_eq!(
            chart.series[1].values.iter().sum::<f64>(),
            6.0,
            "the desa's outreach"
        );
    }

    #[test]
    fn long_timelines_label_only_the_years() {
        let keys = every_month((2018, 7), (2020, 2));
        assert_eq!(keys.len(), 20);
        let labels = month_categories(&keys, (2018, 7));
        assert_eq!(labels[0], "2018");
        assert_eq!(labels[1], "");
        assert_eq!(labels[6], "2019");
        assert_eq!(labels.iter().filter(|l| !l.is_empty()).count(), 3);
        assert_eq!(every_month((2024, 12), (2025, 1)), [(2024, 12), (2025, 1)]);
    }

    #[test]
    fn a_timeline_without_records_says_so() {
        let w = world();
        let ctx = w.ctx(Lang::Id);
        let err = timeline_chart(&ctx, &w.activities, &code(SUMBERBARU), false).unwrap_err();
        assert_eq!(
            err,
            ViewError::NoData("no activities recorded for Kecamatan Sumberbaru".into())
        );
        let err = timeline_chart(&ctx, &w.activities, &code("35.09.99"), false).unwrap_err();
        assert_eq!(err, ViewError::UnknownRegion(code("35.09.99")));
    }
}
