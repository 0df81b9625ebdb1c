//! What a person sees of a region and period, assembled from the score book: names, the
//! radar chart's input, changes since the previous period.
//!
//! Shared by the job (pre-rendered charts), the dashboard and the API so that all three say the
//! same thing. Knows about scores and regions; draws and formats nothing itself beyond titles.

use serde::Serialize;

use crate::chart::{RadarChart, RadarSeries};
use crate::framework::Framework;
use crate::i18n::{Lang, format_number};
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

/// A JSON-friendly summary of one region for lists.
#[derive(Debug, Clone, Serialize)]
pub struct RegionRef {
    /// Code.
    pub code: RegionCode,
    /// Name.
    pub name: String,
}
