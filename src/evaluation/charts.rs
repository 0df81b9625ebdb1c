//! Chart specifications from a round's results, for the existing chart module to draw: the pillar
//! radar of a region (verified against self-assessed), its evaluation-dimension bars, the cohort
//! ranked, and the cohort on a map. Only numbers and translated texts are chosen here; nothing
//! is drawn.

use super::instrument::Instrument;
use super::workflow::{RegionResult, RoundResults};
use crate::chart::{Bar, BarChart, MapArea, MapChart, RadarChart, RadarSeries};
use crate::i18n::Lang;
use crate::region::boundaries::Layer;
use crate::region::{RegionCode, Regions};

/// A region's display name, or its code when unknown.
pub fn name(regions: &Regions, code: &RegionCode) -> String {
    regions
        .get(code)
        .map_or_else(|| code.to_string(), |r| r.display_name())
}

fn source(instrument: &Instrument, lang: Lang) -> String {
    format!(
        "{}: {} {}",
        lang.pick("Sumber", "Source"),
        instrument.name(lang),
        instrument.version
    )
}

/// The six pillars, verified (filled) against self-assessed (dashed).
pub fn pillar_radar(
    instrument: &Instrument,
    result: &RegionResult,
    region_name: &str,
    year: i32,
    lang: Lang,
) -> RadarChart {
    RadarChart {
        title: format!(
            "{} — {region_name}",
            lang.pick("Pilar smart city", "Smart-city pillars")
        ),
        subtitle: format!(
            "{} {year}, {}",
            lang.pick("Evaluasi", "Evaluation"),
            lang.pick(
                "skor terverifikasi dan penilaian mandiri",
                "verified and self-assessed scores"
            )
        ),
        axes: instrument
            .pillars
            .iter()
            .map(|p| lang.pick(&p.name_id, &p.name_en).to_string())
            .collect(),
        series: vec![
            RadarSeries {
                label: lang.pick("Terverifikasi", "Verified").into(),
                values: result.verified.pillars.clone(),
                emphasis: true,
            },
            RadarSeries {
                label: lang.pick("Penilaian mandiri", "Self-assessed").into(),
                values: result.self_assessed.pillars.clone(),
                emphasis: false,
            },
        ],
        max: instrument.scale.max,
        source: source(instrument, lang),
        lang,
    }
}

/// The five evaluation dimensions of a region, verified.
pub fn dimension_bars(
    instrument: &Instrument,
    result: &RegionResult,
    region_name: &str,
    year: i32,
    lang: Lang,
) -> BarChart {
    let weights = instrument.weights_for(year);
    BarChart {
        title: format!(
            "{} — {region_name}",
            lang.pick("Dimensi evaluasi", "Evaluation dimensions")
        ),
        subtitle: format!(
            "{} {year}; {}",
            lang.pick("Skor terverifikasi", "Verified scores"),
            lang.pick("bobot dalam kurung", "weights in brackets")
        ),
        source: source(instrument, lang),
        bars: instrument
            .dimensions
            .iter()
            .zip(&result.verified.dimensions)
            .zip(weights)
            .map(|((d, v), w)| Bar {
                label: format!("{} ({w})", lang.pick(&d.name_id, &d.name_en)),
                value: *v,
                highlight: false,
            })
            .collect(),
        max: instrument.scale.max,
        axis_label: format!(
            "{} (0–{})",
            lang.pick("Skor", "Score"),
            instrument.scale.max
        ),
        reference: result.verified.index.map(|i| {
            (
                lang.pick("Indeks Pencapaian", "Achievement index")
                    .to_string(),
                i,
            )
        }),
        numbered: false,
        bands: Vec::new(),
        lang,
    }
}

/// The cohort ranked by verified index; `highlight` marks one region. At most `limit` bars.
pub fn cohort_bars(
    results: &RoundResults,
    regions: &Regions,
    highlight: Option<&RegionCode>,
    limit: usize,
    lang: Lang,
) -> BarChart {
    let shown = results.regions.len().min(limit);
    BarChart {
        title: format!(
            "{} — {}",
            lang.pick("Peringkat kohort", "Cohort ranking"),
            results.round.title
        ),
        subtitle: if shown < results.regions.len() {
            format!(
                "{} {shown} {} {}",
                lang.pick(
                    "Indeks Pencapaian terverifikasi,",
                    "Verified achievement index,"
                ),
                lang.pick("teratas dari", "top of"),
                results.regions.len()
            )
        } else {
            format!(
                "{} {} {}",
                lang.pick(
                    "Indeks Pencapaian terverifikasi,",
                    "Verified achievement index,"
                ),
                results.regions.len(),
                lang.pick("kab/kota final", "finalised kab/kota")
            )
        },
        source: source(&results.instrument, lang),
        bars: results
            .regions
            .iter()
            .take(limit)
            .map(|r| Bar {
                label: name(regions, &r.region),
                value: r.verified.index,
                highlight: highlight == Some(&r.region),
            })
            .collect(),
        max: results.instrument.scale.max,
        axis_label: format!(
            "{} (0–{})",
            lang.pick("Indeks", "Index"),
            results.instrument.scale.max
        ),
        reference: None,
        numbered: true,
        bands: Vec::new(),
        lang,
    }
}

/// The cohort on the national kab/kota map, by verified index; regions of the cohort without a
/// result are "no data".
pub fn cohort_map(
    results: &RoundResults,
    cohort: &[RegionCode],
    regions: &Regions,
    layer: Layer,
    highlight: Option<&RegionCode>,
    lang: Lang,
) -> MapChart {
    MapChart {
        title: format!(
            "{} — {}",
            lang.pick("Peta kohort", "Cohort map"),
            results.round.title
        ),
        subtitle: lang
            .pick(
                "Indeks Pencapaian terverifikasi per kab/kota",
                "Verified achievement index per kab/kota",
            )
            .into(),
        source: format!(
            "{}; {} {}",
            source(&results.instrument, lang),
            lang.pick("batas wilayah", "boundaries"),
            layer.source
        ),
        layer: layer.geo,
        areas: cohort
            .iter()
            .map(|code| MapArea {
                code: code.to_string(),
                label: name(regions, code),
                value: results
                    .regions
                    .iter()
                    .find(|r| &r.region == code)
                    .and_then(|r| r.verified.index),
                highlight: highlight == Some(code),
            })
            .collect(),
        show_unlisted: true,
        range: (0.0, results.instrument.scale.max),
        legend_title: format!(
            "{} (0–{})",
            lang.pick("Indeks", "Index"),
            results.instrument.scale.max
        ),
        no_data_label: lang
            .pick(
                "belum final / di luar kohort",
                "not final / outside the cohort",
            )
            .into(),
        labels: false,
        lang,
    }
}
