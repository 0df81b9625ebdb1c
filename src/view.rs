//! What a person sees of a region and period, assembled from the score book: names, the
//! inputs of every chart kind (radar, ranked bars, trend, heatmap, choropleth, activity
//! timeline, indicator contributions), changes since the previous period.
//!
//! Shared by the job (pre-rendered charts), the dashboard and the API so that all three say the
//! same thing. Knows about scores and regions; draws and formats nothing itself beyond titles.

use crate::analysis::sensitivity::{self, SensitivityError, Settings};
use crate::chart::{
    Bar, BarBand, BarChart, HeatmapChart, MapArea, MapChart, RadarChart, RadarSeries, StackSeries,
    StackedChart, TrendChart, TrendSeries,
};
use crate::framework::{Dimension, Framework};
use crate::i18n::{Lang, format_number};
use crate::region::boundaries::{Boundaries, Layer};
use crate::region::{Level, RegionCode, Regions};
use crate::score::{RegionScore, ScoreBook, Scores};
use crate::store::Activities;

/// Why a view cannot be built.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ViewError {
    /// The region code is not in the reference data.
    #[error("region {0} is not a known Kemendagri region")]
    UnknownRegion(RegionCode),
    /// The region is known but has no scores.
    #[error(
        "region {0} has no scores (scores exist for kecamatan with activity data and their kabupaten)"
    )]
    NotScored(RegionCode),
    /// No scores for the period.
    #[error("no scores for period {period:?}; periods with scores: {available}")]
    UnknownPeriod {
        /// The period asked for.
        period: String,
        /// Those available, comma-separated.
        available: String,
    },
    /// The dimension id is not in the framework.
    #[error("unknown dimension {id:?}; dimensions: {available}")]
    UnknownDimension {
        /// The id asked for.
        id: String,
        /// The framework's dimension ids, comma-separated.
        available: String,
    },
    /// Nothing to chart for the selection.
    #[error("{0}")]
    NoData(String),
    /// No boundaries for the map asked for.
    #[error("no map for {0}: {1}")]
    NoMap(RegionCode, String),
}

/// A region's scores in a period, with what is needed to present them.
#[derive(Debug, Clone)]
pub struct RegionView<'a> {
    /// The region's name for titles.
    pub name: String,
    /// Its level.
    pub level: Level,
    /// Scores in the period.
    pub current: &'a RegionScore,
    /// Scores in the previous period, if any.
    pub previous: Option<&'a RegionScore>,
}

impl RegionView<'_> {
    /// Change of the index since the previous period.
    pub fn index_change(&self) -> Option<f64> {
        Some(self.current.index? - self.previous?.index?)
    }

    /// Change of one dimension's score since the previous period.
    pub fn dimension_change(&self, id: &str) -> Option<f64> {
        let now = self.current.dimension(id)?.score?;
        let before = self.previous?.dimension(id)?.score?;
        Some(now - before)
    }
}

/// Find a region's scores, defaulting the period to the latest one.
pub fn region_view<'a>(
    book: &'a ScoreBook,
    regions: &Regions,
    region: &RegionCode,
    period: Option<&str>,
) -> Result<RegionView<'a>, ViewError> {
    let info = regions
        .get(region)
        .ok_or_else(|| ViewError::UnknownRegion(region.clone()))?;
    if !book.has_region(region) {
        return Err(ViewError::NotScored(region.clone()));
    }
    let period = match period {
        Some(p) => p,
        None => book
            .latest_period()
            .ok_or_else(|| ViewError::NotScored(region.clone()))?,
    };
    let current = book
        .get(region, period)
        .ok_or_else(|| ViewError::UnknownPeriod {
            period: period.to_string(),
            available: book.periods().join(", "),
        })?;
    let previous = book
        .previous_period(period)
        .and_then(|p| book.get(region, p));
    Ok(RegionView {
        name: info.display_name(),
        level: info.level,
        current,
        previous,
    })
}

/// "Indeks Kota Cerdas" / "Smart City Index".
pub fn index_label(lang: Lang) -> &'static str {
    lang.pick("Indeks Kota Cerdas", "Smart City Index")
}

/// The source line under every chart.
pub fn source_line(lang: Lang) -> &'static str {
    lang.pick(
        "Sumber: data kegiatan kota cerdas (Diskominfo, Relawan TIK, OPD), diolah kotacerdas",
        "Source: smart-city activity records (Diskominfo, Relawan TIK, agencies), processed by kotacerdas",
    )
}

/// "peringkat 3 dari 31 kecamatan" / "rank 3 of 31 districts".
pub fn rank_phrase(rank: Option<u32>, peers: u32, level: Level, lang: Lang) -> String {
    let Some(rank) = rank else {
        return lang.pick("belum berperingkat", "not ranked").to_string();
    };
    let peers_word = match level {
        Level::District => lang.pick("kecamatan", "districts"),
        Level::Regency => lang.pick("kabupaten/kota", "regencies/cities"),
        _ => lang.pick("wilayah", "regions"),
    };
    match lang {
        // A rank among one says nothing (the sample's Jember is the one kabupaten with data).
        Lang::Id if peers <= 1 => format!("satu-satunya {peers_word} bernilai"),
        Lang::En if peers <= 1 => format!(
            "the only {} with scores",
            match level {
                Level::District => "district",
                Level::Regency => "regency/city",
                _ => "region",
            }
        ),
        Lang::Id => format!("peringkat {rank} dari {peers} {peers_word}"),
        Lang::En => format!("rank {rank} of {peers} {peers_word}"),
    }
}

/// The radar chart of a region's dimensions, with the previous period as an overlay.
pub fn radar_chart(view: &RegionView<'_>, framework: &Framework, lang: Lang) -> RadarChart {
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
    let method = match view.level {
        Level::District => lang.pick(
            "skor dimensi 0–100, min–maks antar kecamatan, per 10.000 penduduk",
            "dimension scores 0–100, min–max across districts, per 10,000 residents",
        ),
        _ => lang.pick(
            "skor dimensi 0–100, rata-rata kecamatan berbobot penduduk",
            "dimension scores 0–100, population-weighted mean of districts",
        ),
    };
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
    view: &RegionView<'_>,
    book: &ScoreBook,
    framework: &Framework,
    overlays: RadarOverlays,
    lang: Lang,
) -> RadarChart {
    let mut chart = radar_chart(view, framework, lang);
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
        chart.series.push(RadarSeries {
            label: match lang {
                Lang::Id => format!("Median {} kecamatan", peers.len()),
                Lang::En => format!("Median of {} districts", peers.len()),
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
    book: &ScoreBook,
    regions: &Regions,
    framework: &Framework,
    codes: &[RegionCode],
    period: Option<&str>,
    lang: Lang,
) -> Result<RadarChart, ViewError> {
    let first = codes
        .first()
        .ok_or_else(|| ViewError::NoData("no region to compare".into()))?;
    let view = region_view(book, regions, first, period)?;
    let period = view.current.period.clone();
    let mut chart = radar_chart(&view, framework, lang);
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

/// What a chart measures: the index or one dimension.
#[derive(Debug, Clone, Copy)]
pub enum Measure<'a> {
    /// The composite index.
    Index,
    /// One dimension of the framework.
    Dimension(&'a Dimension),
}

impl<'a> Measure<'a> {
    /// `None` or empty is the index; otherwise a dimension id of the framework.
    pub fn parse(framework: &'a Framework, id: Option<&str>) -> Result<Measure<'a>, ViewError> {
        match id.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Measure::Index),
            Some("index" | "indeks") => Ok(Measure::Index),
            Some(id) => framework
                .dimension(id)
                .map(Measure::Dimension)
                .ok_or_else(|| ViewError::UnknownDimension {
                    id: id.to_string(),
                    available: framework
                        .dimensions
                        .iter()
                        .map(|d| d.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
        }
    }

    /// "Indeks Kota Cerdas" or the dimension's name.
    pub fn name(&self, lang: Lang) -> &'a str {
        match self {
            Measure::Index => index_label(lang),
            Measure::Dimension(d) => d.name(lang),
        }
    }

    /// Its value in a region's scores.
    pub fn of(&self, rs: &RegionScore) -> Option<f64> {
        match self {
            Measure::Index => rs.index,
            Measure::Dimension(d) => rs.dimension(&d.id).and_then(|s| s.score),
        }
        .filter(|v| v.is_finite())
    }

    /// Its rank among peers.
    fn rank(&self, rs: &RegionScore) -> Option<u32> {
        match self {
            Measure::Index => rs.rank,
            Measure::Dimension(d) => rs.dimension(&d.id).and_then(|s| s.rank),
        }
    }

    /// A short id for file names: `index` or the dimension id.
    pub fn id(&self) -> &'a str {
        match self {
            Measure::Index => "index",
            Measure::Dimension(d) => &d.id,
        }
    }
}

/// How scores of a level are made, for subtitles.
fn method_phrase(level: Level, lang: Lang) -> &'static str {
    match level {
        Level::District => lang.pick(
            "skor 0–100, min–maks antar kecamatan, per 10.000 penduduk",
            "scores 0–100, min–max across districts, per 10,000 residents",
        ),
        _ => lang.pick(
            "skor 0–100, rata-rata kecamatan berbobot penduduk",
            "scores 0–100, population-weighted mean of districts",
        ),
    }
}

/// "Skor (0–100)" / "Score (0–100)".
fn score_axis(lang: Lang) -> String {
    lang.pick("Skor (0–100)", "Score (0–100)").to_string()
}

/// The kabupaten whose kecamatan are compared for `region`: the region itself if it is a
/// kabupaten/kota, its parent if it is a kecamatan.
fn group_of(regions: &Regions, region: &RegionCode) -> Result<RegionCode, ViewError> {
    if !regions.contains(region) {
        return Err(ViewError::UnknownRegion(region.clone()));
    }
    match region.level() {
        Level::Regency => Ok(region.clone()),
        Level::District => Ok(region.parent().expect("a kecamatan has a parent")),
        _ => Err(ViewError::NotScored(region.clone())),
    }
}

/// The period asked for, or the latest; an error listing the periods when it has no scores.
fn period_or_latest<'b>(
    book: &'b ScoreBook,
    period: Option<&'b str>,
) -> Result<&'b str, ViewError> {
    let p = match period {
        Some(p) => p,
        None => book.latest_period().unwrap_or(""),
    };
    if book.periods().iter().any(|x| x == p) {
        Ok(p)
    } else {
        Err(ViewError::UnknownPeriod {
            period: p.to_string(),
            available: book.periods().join(", "),
        })
    }
}

fn short_name(regions: &Regions, code: &RegionCode) -> String {
    regions
        .get(code)
        .map_or_else(|| code.to_string(), |r| r.name.clone())
}

fn display_name(regions: &Regions, code: &RegionCode) -> String {
    regions
        .get(code)
        .map_or_else(|| code.to_string(), |r| r.display_name())
}

/// The kecamatan of `group` with scores in `period`, best first by `measure` (unscored last).
fn ranked_members<'b>(
    book: &'b ScoreBook,
    group: &RegionCode,
    period: &str,
    measure: Measure<'_>,
) -> Vec<&'b RegionScore> {
    let mut members = book.ranking(group.as_str(), period);
    sort_by_measure(&mut members, measure);
    members
}

/// Best first by `measure`, unscored last, ties by code.
fn sort_by_measure(members: &mut [&RegionScore], measure: Measure<'_>) {
    members.sort_by(|a, b| {
        let (va, vb) = (measure.of(a), measure.of(b));
        vb.is_some()
            .cmp(&va.is_some())
            .then(vb.unwrap_or(0.0).total_cmp(&va.unwrap_or(0.0)))
            .then(a.region.cmp(&b.region))
    });
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// Ranked bars of the kecamatan of `region`'s kabupaten (or of the kabupaten itself) by the
/// index or a dimension, with `region` highlighted when it is a kecamatan.
pub fn bars_chart(
    book: &ScoreBook,
    regions: &Regions,
    framework: &Framework,
    region: &RegionCode,
    period: Option<&str>,
    measure: Measure<'_>,
    lang: Lang,
) -> Result<BarChart, ViewError> {
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
    subtitle.push_str(method_phrase(Level::District, lang));
    let title = format!(
        "{} — {} {period}",
        lang.pick("Peringkat kecamatan", "Districts ranked"),
        measure.name(lang)
    );
    Ok(ranked_bars(title, subtitle, bars, framework, measure, lang))
}

/// A ranked score bar chart: numbered bars on a 0–100 axis with the median marked, coloured
/// by the framework's predicate bands when the measure is the index.
fn ranked_bars(
    title: String,
    subtitle: String,
    bars: Vec<Bar>,
    framework: &Framework,
    measure: Measure<'_>,
    lang: Lang,
) -> BarChart {
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
            Measure::Index => bands_of(framework, lang),
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

/// Ranked bars of kab/kota on the kab/kota-level scores (`book`: every kab/kota measured
/// whole): those of `region`'s province ([`BarsAmong::Province`]) or the smart-city cohort
/// members with scores ([`BarsAmong::SmartCity`]), by the index or a dimension, `region`
/// highlighted when it is one of them. Labels are numbered by position in the chart; the
/// subtitle gives the highlighted kab/kota's position among those shown.
#[allow(clippy::too_many_arguments)]
pub fn regency_bars_chart(
    book: &ScoreBook,
    regions: &Regions,
    framework: &Framework,
    region: &RegionCode,
    among: BarsAmong,
    period: Option<&str>,
    measure: Measure<'_>,
    lang: Lang,
) -> Result<BarChart, ViewError> {
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
    subtitle.push_str(lang.pick(
        "skor 0–100, min–maks antar kabupaten/kota seprovinsi",
        "scores 0–100, min–max across the province's regencies/cities",
    ));
    let title = format!(
        "{} — {} {period}",
        lang.pick("Peringkat kabupaten/kota", "Regencies and cities ranked"),
        measure.name(lang)
    );
    Ok(ranked_bars(title, subtitle, bars, framework, measure, lang))
}

/// A kab/kota's name for a label: "Kabupaten Pacitan" → "Pacitan"; "Kota Malang" stays, to
/// tell it apart from a kabupaten of the same name.
fn regency_label(regions: &Regions, code: &RegionCode) -> String {
    regions.get(code).map_or_else(
        || code.to_string(),
        |r| r.name.trim_start_matches("Kabupaten ").to_string(),
    )
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

/// A region's scores over all periods: the index and every dimension, or one dimension with
/// the median of its kabupaten's kecamatan; `target` draws a target line.
pub fn trend_chart(
    book: &ScoreBook,
    regions: &Regions,
    framework: &Framework,
    region: &RegionCode,
    measure: Measure<'_>,
    target: Option<f64>,
    lang: Lang,
) -> Result<TrendChart, ViewError> {
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
            method_phrase(level, lang)
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

/// Kecamatan × dimensions (and the index) of `region`'s kabupaten in a period, rows in index
/// order, `region` highlighted when it is a kecamatan; white is 50.
pub fn heatmap_chart(
    book: &ScoreBook,
    regions: &Regions,
    framework: &Framework,
    region: &RegionCode,
    period: Option<&str>,
    lang: Lang,
) -> Result<HeatmapChart, ViewError> {
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
            method_phrase(Level::District, lang)
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

/// Which boundaries a choropleth shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapScope {
    /// The kecamatan of the region's kabupaten (where the boundary catalogue has them).
    #[default]
    Kecamatan,
    /// The kab/kota of the region's province.
    Province,
    /// Every kab/kota of Indonesia.
    Indonesia,
}

impl std::str::FromStr for MapScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "kecamatan" => Ok(MapScope::Kecamatan),
            "provinsi" | "province" => Ok(MapScope::Province),
            "indonesia" | "nasional" => Ok(MapScope::Indonesia),
            other => Err(format!(
                "unknown map {other:?}: expected kecamatan, provinsi or indonesia"
            )),
        }
    }
}

/// The boundary layer `scope` needs around `region`: its kabupaten's kecamatan, or the kab/kota
/// of its province or of Indonesia, from the reference data's catalogue.
pub fn map_layer(
    boundaries: &Boundaries,
    region: &RegionCode,
    scope: MapScope,
) -> Result<Layer, ViewError> {
    let (level, around) = match scope {
        MapScope::Kecamatan => (Level::District, Some(region)),
        MapScope::Province => (Level::Regency, Some(region)),
        MapScope::Indonesia => (Level::Regency, None),
    };
    boundaries
        .layer(level, around)
        .map_err(|e| ViewError::NoMap(region.clone(), e.to_string()))
}

/// A choropleth of `measure` in `period`: the kecamatan of `region`'s kabupaten, or the kab/kota
/// of its province or of Indonesia, with `region` outlined.
#[allow(clippy::too_many_arguments)]
pub fn map_chart(
    book: &ScoreBook,
    regions: &Regions,
    layer: Layer,
    scope: MapScope,
    region: &RegionCode,
    period: Option<&str>,
    measure: Measure<'_>,
    lang: Lang,
) -> Result<MapChart, ViewError> {
    if !regions.contains(region) {
        return Err(ViewError::UnknownRegion(region.clone()));
    }
    let period = period_or_latest(book, period)?;
    let focus = match scope {
        MapScope::Kecamatan => region.clone(),
        _ => region
            .at_level(Level::Regency)
            .unwrap_or_else(|| region.clone()),
    };
    let areas: Vec<MapArea> = layer
        .geo
        .features
        .iter()
        .filter_map(|f| {
            let code = RegionCode::parse(&f.code).ok()?;
            let label = match regions.get(&code) {
                Some(_) => regency_label(regions, &code),
                None => f.name.clone().unwrap_or_else(|| f.code.clone()),
            };
            Some(MapArea {
                value: book.get(&code, period).and_then(|rs| measure.of(rs)),
                highlight: code == focus,
                label,
                code: f.code.clone(),
            })
        })
        .filter(|a| match scope {
            MapScope::Province => a.code.starts_with(&format!(
                "{}.",
                region
                    .at_level(Level::Province)
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            )),
            _ => true,
        })
        .collect();
    let (what, level, labels) = match scope {
        MapScope::Kecamatan => (
            display_name(regions, &group_of(regions, region)?),
            Level::District,
            true,
        ),
        MapScope::Province => (
            region
                .at_level(Level::Province)
                .map_or_else(String::new, |p| display_name(regions, &p)),
            Level::Regency,
            true,
        ),
        MapScope::Indonesia => ("Indonesia".to_string(), Level::Regency, false),
    };
    let unit = match (level, lang) {
        (Level::District, Lang::Id) => "per kecamatan",
        (Level::District, Lang::En) => "by district",
        (_, Lang::Id) => "per kabupaten/kota",
        (_, Lang::En) => "by regency/city",
    };
    Ok(MapChart {
        title: format!("{what} — {} {period}", measure.name(lang)),
        subtitle: format!(
            "{unit} · {} · {}",
            scored_phrase(&areas, lang),
            if level == Level::Regency && book.unit_level() == Some(Level::Regency) {
                // Kab/kota measured whole (the reports' scores), not means of their kecamatan.
                lang.pick(
                    "skor 0–100, min–maks antar kabupaten/kota seprovinsi, per 10.000 penduduk",
                    "scores 0–100, min–max across the province's regencies/cities, per 10,000 residents",
                )
            } else {
                method_phrase(level, lang)
            }
        ),
        source: format!(
            "{}; {} {}",
            source_line(lang),
            lang.pick("batas wilayah", "boundaries"),
            layer.source
        ),
        layer: layer.geo,
        areas,
        show_unlisted: false,
        range: (0.0, 100.0),
        legend_title: format!("{} (0–100)", measure.name(lang)),
        no_data_label: lang.pick("Tidak ada data", "No data").to_string(),
        labels,
        lang,
    })
}

/// "12 dari 38 wilayah bernilai": how many of a map's areas have a value.
fn scored_phrase(areas: &[MapArea], lang: Lang) -> String {
    format!(
        "{} {} {} {}",
        areas.iter().filter(|a| a.value.is_some()).count(),
        lang.pick("dari", "of"),
        areas.len(),
        lang.pick("wilayah bernilai", "areas with scores")
    )
}

/// Colour only the areas `keep` accepts (a cohort's members) and single none out; the
/// subtitle's count follows.
pub fn restrict_map(chart: &mut MapChart, keep: impl Fn(&str) -> bool) {
    let before = scored_phrase(&chart.areas, chart.lang);
    for a in &mut chart.areas {
        a.highlight = false;
        if !keep(&a.code) {
            a.value = None;
        }
    }
    let after = scored_phrase(&chart.areas, chart.lang);
    chart.subtitle = chart.subtitle.replacen(&before, &after, 1);
}

/// Why the activity table could not be read for a chart (a broken contract: a bug).
fn frame_error(e: impl std::fmt::Display) -> ViewError {
    ViewError::NoData(format!("cannot read the activity table: {e}"))
}

/// Activities recorded in `region` (a kecamatan with its desa, or a kabupaten with everything
/// under it, whole-kabupaten records included) per month, stacked by dimension; `quantity`
/// sums the quantities instead of counting records.
pub fn timeline_chart(
    activities: &Activities,
    regions: &Regions,
    framework: &Framework,
    region: &RegionCode,
    quantity: bool,
    lang: Lang,
) -> Result<StackedChart, ViewError> {
    use crate::store::cols;
    use polars::prelude::DataType;
    if !regions.contains(region) {
        return Err(ViewError::UnknownRegion(region.clone()));
    }
    let df = activities.frame();
    let dates = df
        .column(cols::DATE)
        .and_then(|c| c.cast(&DataType::String))
        .map_err(frame_error)?;
    let dates = dates.str().map_err(frame_error)?;
    let codes = df
        .column(cols::REGION_CODE)
        .and_then(|c| c.str().cloned())
        .map_err(frame_error)?;
    let dims = df
        .column(cols::DIMENSION)
        .and_then(|c| c.str().cloned())
        .map_err(frame_error)?;
    let quantities = df
        .column(cols::QUANTITY)
        .and_then(|c| c.f64().cloned())
        .map_err(frame_error)?;
    let top: Vec<&Dimension> = framework.top_dimensions().collect();
    let prefix = format!("{region}.");
    // (year, month) → per-dimension totals.
    let mut months: std::collections::BTreeMap<(i32, u32), Vec<f64>> = Default::default();
    for i in 0..df.height() {
        let (Some(date), Some(code), Some(dim)) = (dates.get(i), codes.get(i), dims.get(i)) else {
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
            quantities.get(i).unwrap_or(0.0)
        } else {
            1.0
        };
        months.entry((y, m)).or_insert_with(|| vec![0.0; top.len()])[k] += add;
    }
    let (Some(&first), Some(&last)) = (months.keys().next(), months.keys().next_back()) else {
        return Err(ViewError::NoData(format!(
            "no activities recorded for {}",
            display_name(regions, region)
        )));
    };
    // Every month from the first to the last, empty ones included.
    let mut keys = Vec::new();
    let (mut y, mut m) = first;
    while (y, m) <= last {
        keys.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    let categories = keys
        .iter()
        .map(|&(y, m)| {
            if keys.len() <= 18 {
                format!("{m:02}/{y}")
            } else if m == 1 || (y, m) == first {
                y.to_string()
            } else {
                String::new()
            }
        })
        .collect();
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
    let month = |(y, m): (i32, u32)| {
        let d = chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
        // "1 Juli 2018" → "Juli 2018".
        crate::i18n::format_date(d, lang)
            .trim_start_matches("1 ")
            .to_string()
    };
    let span = format!("{} – {}", month(first), month(last));
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
        categories,
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

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// How each indicator of `dimension` adds up to a kecamatan's dimension score, period by
/// period (weight × score, from the score explanation).
pub fn contributions_chart(
    scores: &Scores,
    book: &ScoreBook,
    regions: &Regions,
    framework: &Framework,
    region: &RegionCode,
    measure: Measure<'_>,
    lang: Lang,
) -> Result<StackedChart, ViewError> {
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
            method_phrase(Level::District, lang)
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

/// How sure each kecamatan's index rank is: median rank and 5–95 % interval over the seeded
/// Monte Carlo of the methods that the reports share ([`Settings::SHARED`]: weights ± 25 %,
/// min–max or z-score, arithmetic or geometric means), with the nominal rank; `region`
/// highlighted when it is a kecamatan.
pub fn sensitivity_chart(
    inputs: sensitivity::Inputs<'_>,
    region: &RegionCode,
    period: Option<&str>,
    lang: Lang,
) -> Result<crate::chart::RankChart, ViewError> {
    let regions = inputs.regions;
    let settings = Settings::SHARED;
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
