//! `/charts/{kind}.{png|svg}`: every chart kind rendered on demand, on the blocking pool.
//!
//! Parameters: `region`, `period`, `lang`, `width`, `height` for every kind; `dimension` (a
//! framework dimension id, default the index) for bars, trend and map; `target` (a score) for
//! trend and radar; `median=true` adds the peer median to the radar; `compare=CODE,CODE,…`
//! draws the radar of `region` and up to five more regions overlaid, in one period;
//! `map=kecamatan|provinsi|indonesia` for map; `among=kecamatan|provinsi|smartcity` for bars
//! (the kecamatan of the kabupaten, or the kab/kota of the province or of the smart-city cohort
//! on the kab/kota-level scores; a province's bars are its kab/kota); `measure=count|quantity` for timeline;
//! `dimension` also picks the dimension whose indicator contributions are shown; sensitivity
//! runs the seeded Monte Carlo on the request (rank intervals of the index). An unknown
//! kind, format, region, period, dimension or map is a 404; an out-of-range size or a
//! malformed value a 400.
//!
//! Rendered charts go through the response cache ([`super::cache`]), keyed by every parsed
//! parameter, with an ETag and `Cache-Control`; a repeated request is a lookup, not a render.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::params::RawSelection;
use super::{ApiError, AppState, cache};
use crate::auth::{Capability, Principal};
use crate::chart::{self, Format};
use crate::region::Level;
use crate::view::{self, BarsAmong, MapScope, Measure};

pub fn router() -> Router<AppState> {
    Router::new().route("/charts/{file}", get(chart))
}

/// Chart kinds served.
pub const KINDS: [&str; 8] = [
    "radar",
    "bars",
    "trend",
    "map",
    "heatmap",
    "timeline",
    "contributions",
    "sensitivity",
];

#[derive(Debug, Deserialize)]
pub struct ChartQuery {
    #[serde(flatten)]
    selection: RawSelection,
    width: Option<u32>,
    height: Option<u32>,
    dimension: Option<String>,
    target: Option<f64>,
    map: Option<String>,
    measure: Option<String>,
    median: Option<bool>,
    compare: Option<String>,
    among: Option<String>,
}

/// `GET /charts/bars.png?region=35.09.20&period=2025&lang=id&width=800&height=500&dimension=economy`
#[utoipa::path(get, path = "/charts/{file}", tag = "charts",
    params(
        ("file" = String, Path, description = "`{kind}.{png|svg}`; kinds: radar, bars, trend, map, heatmap, timeline, contributions, sensitivity", example = "radar.svg"),
        ("region" = Option<String>, Query, description = "Kemendagri code", example = "35.09"),
        ("period" = Option<String>, Query, description = "Period label; default the latest"),
        ("lang" = Option<String>, Query, description = "`id` (default) or `en`"),
        ("width" = Option<u32>, Query, description = "Pixels"),
        ("height" = Option<u32>, Query, description = "Pixels"),
        ("dimension" = Option<String>, Query, description = "Dimension id (bars, trend, map, contributions)"),
        ("target" = Option<f64>, Query, description = "A 0–100 target line (trend, radar)"),
        ("map" = Option<String>, Query, description = "kecamatan, provinsi or indonesia"),
        ("measure" = Option<String>, Query, description = "count or quantity (timeline)"),
        ("median" = Option<bool>, Query, description = "Peer median on the radar"),
        ("among" = Option<String>, Query, description = "bars: kecamatan (default), provinsi (kab/kota of the province) or smartcity (kab/kota of the 100 Smart City cohort)")),
    responses(
        (status = 200, description = "The chart: PNG bytes or SVG text", content((String = "image/svg+xml"), (String = "image/png"))),
        (status = 304, description = "Not modified: the ETag in If-None-Match is current"),
        (status = 400, description = "Malformed or out-of-range parameter", body = super::error::ErrorBody),
        (status = 404, description = "Unknown kind, format, region, period, dimension or map", body = super::error::ErrorBody)))]
pub async fn chart(
    State(state): State<AppState>,
    principal: Principal,
    Path(file): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ChartQuery>,
) -> Result<Response, ApiError> {
    principal.require(Capability::View)?;
    let (kind, ext) = file
        .rsplit_once('.')
        .ok_or_else(|| ApiError::NotFound(format!("no chart {file:?}: expected e.g. radar.png")))?;
    if !KINDS.contains(&kind) {
        return Err(ApiError::NotFound(format!(
            "unknown chart kind {kind:?}; available: {}",
            KINDS.join(", ")
        )));
    }
    let kind = kind.to_string();
    let format: Format = ext.parse().map_err(|_| {
        ApiError::NotFound(format!("unknown chart format {ext:?}; available: png, svg"))
    })?;
    let width = q.width.unwrap_or(chart::DEFAULT_WIDTH);
    let height = q.height.unwrap_or(chart::DEFAULT_HEIGHT);
    if !(chart::MIN_WIDTH..=chart::MAX_WIDTH).contains(&width)
        || !(chart::MIN_HEIGHT..=chart::MAX_HEIGHT).contains(&height)
    {
        return Err(ApiError::BadRequest(format!(
            "size {width}×{height} out of range: width {}–{}, height {}–{}",
            chart::MIN_WIDTH,
            chart::MAX_WIDTH,
            chart::MIN_HEIGHT,
            chart::MAX_HEIGHT
        )));
    }
    if let Some(t) = q.target
        && !(0.0..=100.0).contains(&t)
    {
        return Err(ApiError::BadRequest(format!(
            "target {t} out of range: a score target is 0–100"
        )));
    }
    let scope: MapScope = q
        .map
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(ApiError::NotFound)?;
    let sel = q.selection.parse_for(&state, &principal)?;
    let among: BarsAmong = match q.among.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => a.parse().map_err(ApiError::BadRequest)?,
        None if sel.region.level() == Level::Province => BarsAmong::Province,
        None => BarsAmong::Kecamatan,
    };
    // Kab/kota bars show the province's (or the cohort's) kab/kota: all must be in scope.
    if kind == "bars" {
        match among {
            BarsAmong::Kecamatan => {}
            BarsAmong::Province => {
                if let Some(province) = sel.region.at_level(Level::Province) {
                    principal.require_region(&province)?;
                }
            }
            BarsAmong::SmartCity => {
                for member in state.reference.regions.smart_city() {
                    principal.require_region(member)?;
                }
            }
        }
    }
    // A wider map shows the neighbours too: it needs the province (or everything) in scope.
    match scope {
        MapScope::Kecamatan => {}
        MapScope::Province => {
            if let Some(province) = sel.region.at_level(Level::Province) {
                principal.require_region(&province)?;
            }
        }
        MapScope::Indonesia => {
            let everything = state
                .reference
                .regions
                .codes()
                .find(|c| c.level() == Level::Province && !principal.can_see(c));
            if let Some(outside) = everything.cloned() {
                principal.require_region(&outside)?;
            }
        }
    }
    let quantity = match q.measure.as_deref().map(str::trim) {
        None | Some("" | "count" | "jumlah_kegiatan") => false,
        Some("quantity" | "jumlah") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "measure {other:?}: expected count or quantity"
            )));
        }
    };
    let mut compare = Vec::new();
    for code in q.compare.iter().flat_map(|c| c.split(',')).map(str::trim) {
        if !code.is_empty() {
            compare.push(
                crate::region::RegionCode::parse(code)
                    .map_err(|e| ApiError::BadRequest(format!("compare: {e}")))?,
            );
        }
    }
    if compare.len() > 5 {
        return Err(ApiError::BadRequest(format!(
            "compare: at most 5 regions beside the region (got {})",
            compare.len()
        )));
    }
    for code in &compare {
        principal.require_region(code)?;
    }
    let (dimension, target, median) = (q.dimension, q.target, q.median.unwrap_or(false));
    let key = format!(
        "chart/{kind}.{format}?region={}&period={:?}&lang={:?}&size={width}x{height}&dimension={dimension:?}&target={target:?}&map={scope:?}&quantity={quantity}&median={median}&among={among:?}",
        sel.region, sel.period, sel.lang
    );
    let what = KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("chart");
    let s = state.clone();
    cache::respond(&s, &headers, &key, what, format.content_type(), move || {
        let snapshot = state.snapshot();
        let reference = &state.reference;
        let (book, regions, framework) = (&snapshot.book, &reference.regions, &reference.framework);
        let measure = Measure::parse(framework, dimension.as_deref())?;
        let period = sel.period.as_deref();
        let (region, lang) = (&sel.region, sel.lang);
        let internal = |e: chart::ChartError| ApiError::Internal(e.into());
        match kind.as_str() {
            "radar" if !compare.is_empty() => {
                let mut codes = vec![region.clone()];
                codes.extend(compare.iter().filter(|c| *c != region).cloned());
                let c = view::compare_radar_chart(book, regions, framework, &codes, period, lang)?;
                chart::render_radar(&c, format, width, height).map_err(internal)
            }
            "radar" => {
                let v = view::region_view(book, regions, region, period)?;
                let overlays = view::RadarOverlays {
                    peer_median: median,
                    target,
                };
                let c = view::radar_chart_with(&v, book, framework, overlays, lang);
                chart::render_radar(&c, format, width, height).map_err(internal)
            }
            "bars" if among != BarsAmong::Kecamatan => {
                let c = view::regency_bars_chart(
                    &snapshot.regency.book,
                    regions,
                    framework,
                    region,
                    among,
                    period,
                    measure,
                    lang,
                )?;
                chart::render_bars(&c, format, width, height).map_err(internal)
            }
            "bars" => {
                let c = view::bars_chart(book, regions, framework, region, period, measure, lang)?;
                chart::render_bars(&c, format, width, height).map_err(internal)
            }
            "trend" => {
                let c = view::trend_chart(book, regions, framework, region, measure, target, lang)?;
                chart::render_trend(&c, format, width, height).map_err(internal)
            }
            "heatmap" => {
                let c = view::heatmap_chart(book, regions, framework, region, period, lang)?;
                chart::render_heatmap(&c, format, width, height).map_err(internal)
            }
            "timeline" => {
                let c = view::timeline_chart(
                    &snapshot.activities,
                    regions,
                    framework,
                    region,
                    quantity,
                    lang,
                )?;
                chart::render_stacked(&c, format, width, height).map_err(internal)
            }
            "contributions" => {
                let c = view::contributions_chart(
                    &snapshot.scores,
                    book,
                    regions,
                    framework,
                    region,
                    measure,
                    lang,
                )?;
                chart::render_stacked(&c, format, width, height).map_err(internal)
            }
            "sensitivity" => {
                let c = view::sensitivity_chart(
                    &snapshot.activities,
                    book,
                    regions,
                    framework,
                    state.config.period,
                    region,
                    period,
                    lang,
                )?;
                chart::render_ranks(&c, format, width, height).map_err(internal)
            }
            _ => {
                let layer = view::map_layer(&state.config.regions_dir(), region, scope)?;
                let c =
                    view::map_chart(book, regions, layer, scope, region, period, measure, lang)?;
                chart::render_map(&c, format, width, height).map_err(internal)
            }
        }
    })
    .await
}
