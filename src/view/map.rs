//! Choropleths: which boundaries a map shows ([`MapScope`]), the boundary layer it needs, the
//! map of a measure with the selected region outlined, and a map narrowed to a cohort.
//!
//! Builds the chart model only; boundaries come from the reference data's catalogue, and the
//! projection and drawing are `chart`'s.

use super::{
    Measure, ViewCtx, ViewError, display_name, group_of, period_or_latest, regency_label,
    source_line,
};
use crate::chart::{MapArea, MapChart};
use crate::i18n::Lang;
use crate::region::boundaries::{Boundaries, Layer};
use crate::region::{Level, RegionCode};

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
pub fn map_chart(
    ctx: &ViewCtx<'_>,
    layer: Layer,
    scope: MapScope,
    region: &RegionCode,
    period: Option<&str>,
    measure: Measure<'_>,
) -> Result<MapChart, ViewError> {
    let (book, regions, lang) = (ctx.book, ctx.regions, ctx.lang);
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
            ctx.scale(level)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::fixture::{JEMBER, JOMBANG, KENCONG, code, world};

    fn kecamatan_map(lang: Lang) -> MapChart {
        let w = world();
        let layer = map_layer(&w.boundaries, &code(JOMBANG), MapScope::Kecamatan).unwrap();
        map_chart(
            &w.ctx(lang),
            layer,
            MapScope::Kecamatan,
            &code(JOMBANG),
            None,
            Measure::Index,
        )
        .unwrap()
    }

    #[test]
    fn the_kecamatan_map_outlines_the_region_among_its_siblings() {
        let chart = kecamatan_map(Lang::Id);
        assert_eq!(chart.title, "Kabupaten Jember — Indeks Kota Cerdas 2025");
        assert_eq!(chart.areas.len(), 31);
        let outlined: Vec<&str> = chart
            .areas
            .iter()
            .filter(|a| a.highlight)
            .map(|a| a.code.as_str())
            .collect();
        assert_eq!(outlined, [JOMBANG]);
        let scored = chart.areas.iter().filter(|a| a.value.is_some()).count();
        assert!(
            chart.subtitle.starts_with(&format!(
                "per kecamatan · {scored} dari 31 wilayah bernilai · skor 0–100 terhadap patokan tetap"
            )),
            "{}",
            chart.subtitle
        );
        assert!(
            chart.source.contains("; batas wilayah "),
            "{}",
            chart.source
        );
        assert_eq!(chart.legend_title, "Indeks Kota Cerdas (0–100)");
        assert_eq!(chart.no_data_label, "Tidak ada data");
        assert!(chart.labels);
        assert_eq!(kecamatan_map(Lang::En).no_data_label, "No data");
    }

    #[test]
    fn a_restricted_map_colours_the_cohort_only_and_counts_it() {
        let mut chart = kecamatan_map(Lang::Id);
        restrict_map(&mut chart, |c| c == JOMBANG || c == KENCONG);
        assert!(chart.areas.iter().all(|a| !a.highlight));
        let mut coloured: Vec<&str> = chart
            .areas
            .iter()
            .filter(|a| a.value.is_some())
            .map(|a| a.code.as_str())
            .collect();
        coloured.sort();
        assert_eq!(coloured, [JOMBANG, KENCONG]);
        assert!(
            chart
                .subtitle
                .starts_with("per kecamatan · 2 dari 31 wilayah bernilai"),
            "{}",
            chart.subtitle
        );
    }

    #[test]
    fn the_province_map_shows_its_kab_kota_on_the_kab_kota_scores() {
        let w = world();
        let layer = map_layer(&w.boundaries, &code(JEMBER), MapScope::Province).unwrap();
        let chart = map_chart(
            &w.regency_ctx(Lang::Id),
            layer,
            MapScope::Province,
            &code(KENCONG),
            None,
            Measure::Index,
        )
        .unwrap();
        assert_eq!(chart.title, "Jawa Timur — Indeks Kota Cerdas 2025");
        assert!(chart.areas.iter().all(|a| a.code.starts_with("35.")));
        let outlined: Vec<&str> = chart
            .areas
            .iter()
            .filter(|a| a.highlight)
            .map(|a| a.label.as_str())
            .collect();
        assert_eq!(outlined, ["Jember"]);
        assert!(
            chart.subtitle.contains("skor 0–100 terhadap patokan tetap"),
            "{}",
            chart.subtitle
        );
    }

    #[test]
    fn maps_name_what_is_wrong() {
        let w = world();
        let err = map_layer(&w.boundaries, &code("11.01.01"), MapScope::Kecamatan).unwrap_err();
        assert!(
            matches!(&err, ViewError::NoMap(c, _) if c == &code("11.01.01")),
            "{err:?}"
        );
        let layer = map_layer(&w.boundaries, &code(JOMBANG), MapScope::Kecamatan).unwrap();
        let ctx = w.ctx(Lang::Id);
        let err = map_chart(
            &ctx,
            layer.clone(),
            MapScope::Kecamatan,
            &code("35.09.99"),
            None,
            Measure::Index,
        )
        .unwrap_err();
        assert_eq!(err, ViewError::UnknownRegion(code("35.09.99")));
        let err = map_chart(
            &ctx,
            layer,
            MapScope::Kecamatan,
            &code(JOMBANG),
            Some("2001"),
            Measure::Index,
        )
        .unwrap_err();
        assert!(matches!(err, ViewError::UnknownPeriod { .. }), "{err:?}");
    }

    #[test]
    fn map_scope_parses_its_names() {
        assert_eq!("".parse(), Ok(MapScope::Kecamatan));
        assert_eq!("Provinsi".parse(), Ok(MapScope::Province));
        assert_eq!("nasional".parse(), Ok(MapScope::Indonesia));
        assert_eq!(
            "dunia".parse::<MapScope>(),
            Err("unknown map \"dunia\": expected kecamatan, provinsi or indonesia".into())
        );
    }
}
