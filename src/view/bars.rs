//! Ranked bars: the kecamatan of a kabupaten, or the kab/kota of a province or of the
//! smart-city cohort (on the kab/kota-level scores), by the index or a dimension, with the
//! selected region highlighted and the median marked.
//!
//! Builds the chart model only; which regions a caller may see is decided before it is called.

use super::{
    Measure, ViewCtx, ViewError, display_name, group_of, median, period_or_latest, rank_phrase,
    ranked_members, regency_label, score_axis, short_name, sort_by_measure, source_line,
};
use crate::chart::{Bar, BarBand, BarChart};
use crate::framework::Framework;
use crate::i18n::Lang;
use crate::region::{Level, RegionCode};
use crate::score::RegionScore;

/// Ranked bars of the kecamatan of `region`'s kabupaten (or of the kabupaten itself) by the
/// index or a dimension, with `region` highlighted when it is a kecamatan.
pub fn bars_chart(
    ctx: &ViewCtx<'_>,
    region: &RegionCode,
    period: Option<&str>,
    measure: Measure<'_>,
) -> Result<BarChart, ViewError> {
    let (book, regions, lang) = (ctx.book, ctx.regions, ctx.lang);
    let group = group_of(regions, region)?;
    let period = period_or_latest(book, period)?;
    let members = ranked_members(book, &group, period, measure);
    if members.is_empty() {
        return Err(ViewError::NotScored(group));
    }
    let bars: Vec<Bar> = members
        .iter()
        .map(|rs| Bar {
            label: short_name(regions, &rs.region),
            value: measure.of(rs),
            highlight: &rs.region == region,
        })
        .collect();
    let group_name = display_name(regions, &group);
    let n = members.len();
    let mut subtitle = match lang {
        Lang::Id => format!("{n} kecamatan di {group_name}"),
        Lang::En => format!("{n} districts of {group_name}"),
    };
    if let Some(rs) = members.iter().find(|rs| &rs.region == region) {
        subtitle.push_str(&format!(
            " · {}: {}",
            display_name(regions, region),
            rank_phrase(measure.rank(rs), rs.peers, Level::District, lang)
        ));
    }
    subtitle.push_str(" · ");
    subtitle.push_str(ctx.scale(Level::District));
    let title = format!(
        "{} — {} {period}",
        lang.pick("Peringkat kecamatan", "Districts ranked"),
        measure.name(lang)
    );
    Ok(ranked_bars(ctx, title, subtitle, bars, measure))
}

/// A ranked score bar chart: numbered bars on a 0–100 axis with the median marked, coloured
/// by the framework's predicate bands when the measure is the index.
fn ranked_bars(
    ctx: &ViewCtx<'_>,
    title: String,
    subtitle: String,
    bars: Vec<Bar>,
    measure: Measure<'_>,
) -> BarChart {
    let lang = ctx.lang;
    let mut values: Vec<f64> = bars.iter().filter_map(|b| b.value).collect();
    BarChart {
        title,
        subtitle,
        source: source_line(lang).to_string(),
        bars,
        max: 100.0,
        axis_label: score_axis(lang),
        reference: median(&mut values).map(|m| (lang.pick("Median", "Median").to_string(), m)),
        numbered: true,
        bands: match measure {
            Measure::Index => bands_of(ctx.framework, lang),
            Measure::Dimension(_) => Vec::new(),
        },
        lang,
    }
}

/// Which regions ranked bars compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BarsAmong {
    /// The kecamatan of the region's kabupaten (the default for a kecamatan or kabupaten).
    #[default]
    Kecamatan,
    /// The kab/kota of the region's province (the default for a province).
    Province,
    /// The kab/kota of the Gerakan Menuju 100 Smart City listed in the reference data.
    SmartCity,
}

impl std::str::FromStr for BarsAmong {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "kecamatan" => Ok(BarsAmong::Kecamatan),
            "provinsi" | "province" => Ok(BarsAmong::Province),
            "smartcity" | "100smartcity" => Ok(BarsAmong::SmartCity),
            other => Err(format!(
                "among {other:?}: expected kecamatan, provinsi or smartcity"
            )),
        }
    }
}

/// Ranked bars of kab/kota on the kab/kota-level scores (`ctx.book`: every kab/kota measured
/// whole): those of `region`'s province ([`BarsAmong::Province`]) or the smart-city cohort
/// members with scores ([`BarsAmong::SmartCity`]), by the index or a dimension, `region`
/// highlighted when it is one of them. Labels are numbered by position in the chart; the
/// subtitle gives the highlighted kab/kota's position among those shown.
pub fn regency_bars_chart(
    ctx: &ViewCtx<'_>,
    region: &RegionCode,
    among: BarsAmong,
    period: Option<&str>,
    measure: Measure<'_>,
) -> Result<BarChart, ViewError> {
    let (book, regions, lang) = (ctx.book, ctx.regions, ctx.lang);
    if !regions.contains(region) {
        return Err(ViewError::UnknownRegion(region.clone()));
    }
    let period = period_or_latest(book, period)?;
    let (candidates, group_label): (Vec<RegionCode>, String) = match among {
        BarsAmong::SmartCity => (
            regions.smart_city().to_vec(),
            lang.pick(
                "anggota Gerakan Menuju 100 Smart City yang terdata",
                "listed as members of the 100 Smart City Movement",
            )
            .to_string(),
        ),
        _ => {
            let province = region
                .at_level(Level::Province)
                .ok_or_else(|| ViewError::NotScored(region.clone()))?;
            (
                regions.children(&province).to_vec(),
                format!(
                    "{} {}",
                    lang.pick("di", "of"),
                    display_name(regions, &province)
                ),
            )
        }
    };
    let mut members: Vec<&RegionScore> = candidates
        .iter()
        .filter_map(|c| book.get(c, period))
        .collect();
    if members.is_empty() {
        return Err(ViewError::NoData(match among {
            BarsAmong::SmartCity => format!(
                "no member of the smart-city cohort has kab/kota scores in {period} (kab/kota \
                 are scored in provinces with activity data)"
            ),
            _ => format!(
                "no kab/kota of {} has scores in {period} (kab/kota are scored in provinces \
                 with activity data)",
                region
                    .at_level(Level::Province)
                    .map_or_else(String::new, |p| p.to_string())
            ),
        }));
    }
    sort_by_measure(&mut members, measure);
    let focus = region.at_level(Level::Regency);
    let bars: Vec<Bar> = members
        .iter()
        .map(|rs| Bar {
            label: regency_label(regions, &rs.region),
            value: measure.of(rs),
            highlight: Some(&rs.region) == focus.as_ref(),
        })
        .collect();
    let n = members.len();
    let mut subtitle = match lang {
        Lang::Id => format!("{n} kabupaten/kota {group_label}"),
        Lang::En => format!("{n} regencies/cities {group_label}"),
    };
    if let Some(pos) = members
        .iter()
        .position(|rs| Some(&rs.region) == focus.as_ref())
        .filter(|_| bars.iter().any(|b| b.highlight && b.value.is_some()))
    {
        subtitle.push_str(&format!(
            " · {}: {}",
            regency_label(regions, &members[pos].region),
            match lang {
                Lang::Id => format!("urutan {} dari {n}", pos + 1),
                Lang::En => format!("position {} of {n}", pos + 1),
            }
        ));
    }
    subtitle.push_str(" · ");
    subtitle.push_str(ctx.scale(Level::Regency));
    let title = format!(
        "{} — {} {period}",
        lang.pick("Peringkat kabupaten/kota", "Regencies and cities ranked"),
        measure.name(lang)
    );
    Ok(ranked_bars(ctx, title, subtitle, bars, measure))
}

/// The framework's predicate bands for the index (e.g. Memuaskan … Kurang), if it has any.
fn bands_of(framework: &Framework, lang: Lang) -> Vec<BarBand> {
    framework
        .bands
        .iter()
        .flat_map(|b| &b.bands)
        .map(|b| BarBand {
            min: if b.min.is_finite() { b.min } else { f64::MIN },
            label: lang.pick(&b.label_id, &b.label_en).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::fixture::{JEMBER, KENCONG, code, world};

    fn values(chart: &BarChart) -> Vec<Option<f64>> {
        chart.bars.iter().map(|b| b.value).collect()
    }

    #[test]
    fn kecamatan_bars_rank_the_kabupaten_with_the_region_highlighted() {
        let w = world();
        let chart = bars_chart(&w.ctx(Lang::Id), &code(KENCONG), None, Measure::Index).unwrap();
        assert_eq!(chart.title, "Peringkat kecamatan — Indeks Kota Cerdas 2025");
        assert!(
            chart
                .subtitle
                .starts_with("31 kecamatan di Kabupaten Jember · Kecamatan Kencong: peringkat "),
            "{}",
            chart.subtitle
        );
        assert_eq!(chart.bars.len(), 31);
        let highlighted: Vec<&str> = chart
            .bars
            .iter()
            .filter(|b| b.highlight)
            .map(|b| b.label.as_str())
            .collect();
        assert_eq!(highlighted, ["Kencong"]);
        let v = values(&chart);
        assert!(v.windows(2).all(|p| p[0] >= p[1]), "best first: {v:?}");
        assert_eq!(
            chart.reference.as_ref().map(|r| r.0.as_str()),
            Some("Median")
        );
        // The index is on fixed goalposts, so the framework's predicate bands colour it.
        assert!(!chart.bands.is_empty() && chart.numbered);
    }

    #[test]
    fn a_kabupaten_shows_its_kecamatan_with_none_highlighted() {
        let w = world();
        let economy = Measure::parse(&w.framework, Some("economy")).unwrap();
        let chart = bars_chart(&w.ctx(Lang::En), &code(JEMBER), Some("2024"), economy).unwrap();
        assert_eq!(chart.title, "Districts ranked — Economy 2024");
        assert!(
            chart
                .subtitle
                .starts_with("31 districts of Kabupaten Jember · scores")
        );
        assert!(chart.bars.iter().all(|b| !b.highlight));
        assert_eq!(
            chart.bars[0].label, "Jombang",
            "most UMKM online per resident"
        );
    }

    #[test]
    fn kecamatan_bars_name_what_is_wrong() {
        let w = world();
        let ctx = w.ctx(Lang::Id);
        let err = bars_chart(&ctx, &code("35"), None, Measure::Index).unwrap_err();
        assert_eq!(err, ViewError::NotScored(code("35")));
        let err = bars_chart(&ctx, &code("35.10.01"), None, Measure::Index).unwrap_err();
        assert_eq!(err, ViewError::NotScored(code("35.10")));
        let err = bars_chart(&ctx, &code(KENCONG), Some("2019"), Measure::Index).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no scores for period \"2019\"; periods with scores: 2024, 2025"
        );
    }

    #[test]
    fn kab_kota_bars_rank_the_province_on_the_kab_kota_scores() {
        let w = world();
        let ctx = w.regency_ctx(Lang::Id);
        let chart = regency_bars_chart(
            &ctx,
            &code(KENCONG),
            BarsAmong::Province,
            None,
            Measure::Index,
        )
        .unwrap();
        // Only the kab/kota the data covers have a bar: Jember, of Jawa Timur's 38.
        let n = 1;
        assert_eq!(chart.bars.len(), n);
        assert_eq!(
            chart.title,
            "Peringkat kabupaten/kota — Indeks Kota Cerdas 2025"
        );
        // Jember is the one kab/kota with activities, and the kecamatan's kab/kota is the one
        // highlighted.
        assert_eq!(chart.bars[0].label, "Jember");
        assert!(chart.bars[0].highlight);
        assert_eq!(chart.bars.iter().filter(|b| b.highlight).count(), 1);
        assert!(
            chart.subtitle.starts_with(&format!(
                "{n} kabupaten/kota di Jawa Timur · Jember: urutan 1 dari {n}"
            )),
            "{}",
            chart.subtitle
        );
    }

    #[test]
    fn kab_kota_bars_of_the_smart_city_cohort_keep_the_scored_members() {
        let w = world();
        let ctx = w.regency_ctx(Lang::En);
        let chart = regency_bars_chart(
            &ctx,
            &code(JEMBER),
            BarsAmong::SmartCity,
            None,
            Measure::Index,
        )
        .unwrap();
        let scored = w
            .regions
            .smart_city()
            .iter()
            .filter(|c| w.regency.get(c, "2025").is_some())
            .count();
        assert_eq!(chart.bars.len(), scored);
        assert!(
            chart
                .subtitle
                .contains("listed as members of the 100 Smart City Movement")
        );
        assert!(
            chart
                .bars
                .iter()
                .any(|b| b.highlight && b.label == "Jember")
        );
    }

    #[test]
    fn kab_kota_bars_without_scores_say_why() {
        let ctx = world().regency_ctx(Lang::Id);
        let err = regency_bars_chart(
            &ctx,
            &code("11.01"),
            BarsAmong::Province,
            None,
            Measure::Index,
        )
        .unwrap_err();
        assert!(
            matches!(&err, ViewError::NoData(m) if m.starts_with("no kab/kota of 11 has scores in 2025")),
            "{err}"
        );
        let err = regency_bars_chart(
            &ctx,
            &code("99.99"),
            BarsAmong::Province,
            None,
            Measure::Index,
        )
        .unwrap_err();
        assert_eq!(err, ViewError::UnknownRegion(code("99.99")));
    }

    #[test]
    fn bars_among_parses_its_names() {
        assert_eq!("".parse(), Ok(BarsAmong::Kecamatan));
        assert_eq!("Provinsi".parse(), Ok(BarsAmong::Province));
        assert_eq!("100smartcity".parse(), Ok(BarsAmong::SmartCity));
        assert_eq!(
            "nasional".parse::<BarsAmong>(),
            Err("among \"nasional\": expected kecamatan, provinsi or smartcity".into())
        );
    }
}
