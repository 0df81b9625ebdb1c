//! What a person sees of a region and period, assembled from the score book: names, the
//! inputs of every chart kind (radar, ranked bars, trend, heatmap, choropleth, activity
//! timeline, indicator contributions, rank intervals), changes since the previous period.
//!
//! Shared by the job (pre-rendered charts), the dashboard and the API so that all three say the
//! same thing. Knows about scores and regions; draws and formats nothing itself beyond titles.
//! This file holds what every chart kind shares (the errors, [`ViewCtx`], [`RegionView`],
//! [`Measure`], names, periods, medians and rank phrases); each kind's builder lives in a file
//! of its own.

mod bars;
mod contributions;
#[cfg(test)]
mod fixture;
mod heatmap;
mod map;
mod radar;
mod sensitivity;
mod timeline;
mod trend;

pub use bars::{BarsAmong, bars_chart, regency_bars_chart};
pub use contributions::contributions_chart;
pub use heatmap::heatmap_chart;
pub use map::{MapScope, map_chart, map_layer, restrict_map};
pub use radar::{RadarOverlays, compare_radar_chart, radar_chart, radar_chart_with};
pub use sensitivity::sensitivity_chart;
pub use timeline::timeline_chart;
pub use trend::trend_chart;

use crate::framework::{Dimension, Framework};
use crate::i18n::Lang;
use crate::region::{Level, RegionCode, Regions};
use crate::score::{RegionScore, ScoreBook};

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

/// What every chart builder reads: the scores, the reference regions, the framework and the
/// language of the texts. One value instead of four arguments to each builder.
#[derive(Clone, Copy)]
pub struct ViewCtx<'a> {
    /// The scores shown: kecamatan-level, or kab/kota-level for kab/kota bars and maps.
    pub book: &'a ScoreBook,
    /// Names, levels and parents of regions.
    pub regions: &'a Regions,
    /// Dimensions, indicators and predicate bands.
    pub framework: &'a Framework,
    /// Language of titles, labels and number formats.
    pub lang: Lang,
}

impl<'a> ViewCtx<'a> {
    /// The context of `book` and the reference data, in `lang`.
    pub fn new(
        book: &'a ScoreBook,
        regions: &'a Regions,
        framework: &'a Framework,
        lang: Lang,
    ) -> ViewCtx<'a> {
        ViewCtx {
            book,
            regions,
            framework,
            lang,
        }
    }

    /// The same context on other scores (the kab/kota-level book, say).
    pub fn with_book(self, book: &'a ScoreBook) -> ViewCtx<'a> {
        ViewCtx { book, ..self }
    }
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

/// How scores of a level are made, for subtitles: the framework's normalisation, so that no
/// chart shows a number without saying whether it is progress on fixed goalposts or a position
/// among peers.
pub fn scale_phrase(
    normalisation: crate::framework::Normalisation,
    level: Level,
    lang: Lang,
) -> &'static str {
    use crate::framework::Normalisation as N;
    match (normalisation, level, lang) {
        (N::Goalposts, _, Lang::Id) => "skor 0–100 terhadap patokan tetap",
        (N::Goalposts, _, Lang::En) => "scores 0–100 on the framework's fixed goalposts",
        (N::Pooled, Level::District, Lang::Id) => {
            "skor 0–100, min–maks antar kecamatan sekabupaten, semua periode"
        }
        (N::Pooled, Level::District, Lang::En) => {
            "scores 0–100, min–max across the kabupaten's districts, all periods"
        }
        (N::Pooled, _, Lang::Id) => {
            "skor 0–100, min–maks antar kabupaten/kota seprovinsi, semua periode"
        }
        (N::Pooled, _, Lang::En) => {
            "scores 0–100, min–max across the province's regencies/cities, all periods"
        }
        (N::PerPeriod, Level::District, Lang::Id) => {
            "skor relatif 0–100, min–maks antar kecamatan sekabupaten per periode"
        }
        (N::PerPeriod, Level::District, Lang::En) => {
            "relative scores 0–100, min–max across the kabupaten's districts per period"
        }
        (N::PerPeriod, _, Lang::Id) => {
            "skor relatif 0–100, min–maks antar kabupaten/kota seprovinsi per periode"
        }
        (N::PerPeriod, _, Lang::En) => {
            "relative scores 0–100, min–max across the province's regencies/cities per period"
        }
    }
}

impl ViewCtx<'_> {
    /// [`scale_phrase`] of this context's framework.
    fn scale(&self, level: Level) -> &'static str {
        scale_phrase(self.framework.normalisation, level, self.lang)
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

/// A kab/kota's name for a label: "Kabupaten Pacitan" → "Pacitan"; "Kota Malang" stays, to
/// tell it apart from a kabupaten of the same name.
fn regency_label(regions: &Regions, code: &RegionCode) -> String {
    regions.get(code).map_or_else(
        || code.to_string(),
        |r| r.name.trim_start_matches("Kabupaten ").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::fixture::{GUMUKMAS, JEMBER, JOMBANG, SUMBERBARU, code, world};
    use super::*;

    #[test]
    fn region_view_defaults_to_the_latest_period_with_the_previous_one() {
        let w = world();
        let v = region_view(&w.book, &w.regions, &code(JOMBANG), None).unwrap();
        assert_eq!(v.name, "Kecamatan Jombang");
        assert_eq!(v.level, Level::District);
        assert_eq!(v.current.period, "2025");
        let previous = v.previous.expect("2024 is scored");
        assert_eq!(previous.period, "2024");
        let change = v.index_change().unwrap();
        assert!((change - (v.current.index.unwrap() - previous.index.unwrap())).abs() < 1e-12);
        assert!(v.dimension_change("economy").is_some());
        // No activities for governance anywhere: no score, so no change either.
        assert_eq!(v.dimension_change("governance"), None);

        let first = region_view(&w.book, &w.regions, &code(JOMBANG), Some("2024")).unwrap();
        assert!(first.previous.is_none() && first.index_change().is_none());
    }

    #[test]
    fn a_kecamatan_that_sent_no_record_has_no_score_and_no_rank() {
        let w = world();
        let v = region_view(&w.book, &w.regions, &code(SUMBERBARU), None).unwrap();
        assert_eq!(v.current.peer, JEMBER);
        // No data is not zero: no index, no dimension score, left out of the ranking …
        assert_eq!((v.current.index, v.current.rank), (None, None));
        assert!(v.current.dimensions.iter().all(|d| d.score.is_none()));
        // … which ranks the three kecamatan that reported.
        let jombang = region_view(&w.book, &w.regions, &code(JOMBANG), None).unwrap();
        assert_eq!(jombang.current.peers, 3);
    }

    #[test]
    fn region_view_names_what_is_wrong() {
        let w = world();
        let unknown = region_view(&w.book, &w.regions, &code("35.09.99"), None).unwrap_err();
        assert_eq!(unknown, ViewError::UnknownRegion(code("35.09.99")));
        assert!(
            unknown
                .to_string()
                .contains("35.09.99 is not a known Kemendagri region")
        );
        // Banyuwangi has no activities: known, but not scored.
        let other = region_view(&w.book, &w.regions, &code("35.10.01"), None).unwrap_err();
        assert_eq!(other, ViewError::NotScored(code("35.10.01")));
        let period = region_view(&w.book, &w.regions, &code(GUMUKMAS), Some("1999")).unwrap_err();
        assert_eq!(
            period,
            ViewError::UnknownPeriod {
                period: "1999".into(),
                available: "2024, 2025".into()
            }
        );
    }

    #[test]
    fn rank_phrases_name_the_peers_in_both_languages() {
        assert_eq!(
            rank_phrase(Some(3), 31, Level::District, Lang::Id),
            "peringkat 3 dari 31 kecamatan"
        );
        assert_eq!(
            rank_phrase(Some(3), 38, Level::Regency, Lang::En),
            "rank 3 of 38 regencies/cities"
        );
        assert_eq!(
            rank_phrase(Some(1), 1, Level::Regency, Lang::Id),
            "satu-satunya kabupaten/kota bernilai"
        );
        assert_eq!(
            rank_phrase(Some(1), 1, Level::District, Lang::En),
            "the only district with scores"
        );
        assert_eq!(
            rank_phrase(None, 31, Level::District, Lang::Id),
            "belum berperingkat"
        );
    }

    #[test]
    fn measure_parses_the_index_and_the_framework_dimensions() {
        let fw = &world().framework;
        for id in [None, Some(""), Some("  "), Some("index"), Some("indeks")] {
            assert!(
                matches!(Measure::parse(fw, id), Ok(Measure::Index)),
                "{id:?}"
            );
        }
        let economy = Measure::parse(fw, Some(" economy ")).unwrap();
        assert_eq!(economy.id(), "economy");
        assert_eq!(economy.name(Lang::Id), "Ekonomi");
        assert_eq!(economy.name(Lang::En), "Economy");
        assert_eq!(Measure::Index.name(Lang::Id), "Indeks Kota Cerdas");
        assert_eq!(Measure::Index.id(), "index");
        let err = Measure::parse(fw, Some("ekonomi")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown dimension \"ekonomi\"; dimensions: economy, people, governance, government, \
             mobility, environment, living"
        );
    }

    #[test]
    fn a_measure_reads_finite_values_only() {
        let w = world();
        let rs = w.book.get(&code(JOMBANG), "2025").unwrap();
        let economy = Measure::parse(&w.framework, Some("economy")).unwrap();
        let governance = Measure::parse(&w.framework, Some("governance")).unwrap();
        assert_eq!(Measure::Index.of(rs), rs.index);
        assert!(economy.of(rs).is_some());
        assert_eq!(governance.of(rs), None);
        assert_eq!(Measure::Index.rank(rs), rs.rank);
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn kab_kota_labels_drop_kabupaten_but_keep_kota() {
        let r = &world().regions;
        assert_eq!(regency_label(r, &code("35.09")), "Jember");
        assert_eq!(regency_label(r, &code("35.73")), "Kota Malang");
        assert_eq!(short_name(r, &code(JOMBANG)), "Jombang");
        assert_eq!(display_name(r, &code(JOMBANG)), "Kecamatan Jombang");
        assert_eq!(display_name(r, &code("99.99")), "99.99");
    }
}
