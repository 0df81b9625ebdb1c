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

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::access::{Caller, Input, Reach, RegionRequest, Scoped, parse_region, present};
use super::params::{RawSelection, Selection};
use super::routes::{Reads, Route, get};
use super::{ApiError, AppState, cache};
use crate::chart::{self, Format};
use crate::framework::Framework;
use crate::region::{Level, RegionCode};
use crate::view::{self, BarsAmong, MapScope, Measure, ViewCtx};

pub(super) fn routes() -> Vec<Route> {
    vec![get("/charts/{file}", Reads::Regions, chart)]
}

/// A chart kind served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    /// The dimensions of one or more regions.
    Radar,
    /// Regions ranked.
    Bars,
    /// Scores over the periods.
    Trend,
    /// A choropleth.
    Map,
    /// Regions × dimensions.
    Heatmap,
    /// Activities per month, stacked by dimension.
    Timeline,
    /// Indicator contributions to a dimension over the periods.
    Contributions,
    /// Rank intervals of the peer group.
    Sensitivity,
}

impl ChartKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [ChartKind; 8] = [
        ChartKind::Radar,
        ChartKind::Bars,
        ChartKind::Trend,
        ChartKind::Map,
        ChartKind::Heatmap,
        ChartKind::Timeline,
        ChartKind::Contributions,
        ChartKind::Sensitivity,
    ];

    /// The name in the URL, also the render-time metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Radar => "radar",
            ChartKind::Bars => "bars",
            ChartKind::Trend => "trend",
            ChartKind::Map => "map",
            ChartKind::Heatmap => "heatmap",
            ChartKind::Timeline => "timeline",
            ChartKind::Contributions => "contributions",
            ChartKind::Sensitivity => "sensitivity",
        }
    }
}

impl std::str::FromStr for ChartKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChartKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ChartKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown chart kind {s:?}; available: {}", names.join(", "))
            })
    }
}

/// The query as sent.
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

/// A parsed chart request: every value that shapes the picture, and nothing else. The response
/// cache keys on all of it, so two requests share a rendered chart only when they ask for the
/// same one.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRequest {
    kind: ChartKind,
    format: Format,
    sel: Selection,
    width: u32,
    height: u32,
    /// A framework dimension id; `None` for the index.
    dimension: Option<String>,
    target: Option<f64>,
    map: MapScope,
    quantity: bool,
    median: bool,
    /// Regions drawn beside `sel.region` on the radar, in order, without repeats of it.
    compare: Vec<RegionCode>,
    among: BarsAmong,
}

/// The dimension id a `dimension=` value names (`None` for the index), or a 404 listing them.
fn dimension_id(framework: &Framework, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    Ok(match Measure::parse(framework, raw)? {
        Measure::Index => None,
        Measure::Dimension(d) => Some(d.id.clone()),
    })
}

impl RegionRequest for ChartRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let file = input.path("file")?;
        let (kind, ext) = file.rsplit_once('.').ok_or_else(|| {
            ApiError::NotFound(format!("no chart {file:?}: expected e.g. radar.png"))
        })?;
        let kind: ChartKind = kind.parse().map_err(ApiError::NotFound)?;
        let format: Format = ext.parse().map_err(|_| {
            ApiError::NotFound(format!("unknown chart format {ext:?}; available: png, svg"))
        })?;
        let q: ChartQuery = input.query()?;
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
        let map: MapScope = q
            .map
            .as_deref()
            .unwrap_or("")
            .parse()
            .map_err(ApiError::NotFound)?;
        let sel = q.selection.parse(caller)?;
        let among: BarsAmong = match present(q.among.as_deref()) {
            Some(a) => a.parse().map_err(ApiError::BadRequest)?,
            None if sel.region.level() == Level::Province => BarsAmong::Province,
            None => BarsAmong::Kecamatan,
        };
        let quantity = match present(q.measure.as_deref()) {
            None | Some("count" | "jumlah_kegiatan") => false,
            Some("quantity" | "jumlah") => true,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "measure {other:?}: expected count or quantity"
                )));
            }
        };
        let mut compare: Vec<RegionCode> = Vec::new();
        for code in q.compare.iter().flat_map(|c| c.split(',')) {
            if let Some(code) = present(Some(code)) {
                let code = parse_region("compare", code)?;
                if code != sel.region && !compare.contains(&code) {
                    compare.push(code);
                }
            }
        }
        if compare.len() > 5 {
            return Err(ApiError::BadRequest(format!(
                "compare: at most 5 regions beside the region (got {})",
                compare.len()
            )));
        }
        Ok(ChartRequest {
            kind,
            format,
            dimension: dimension_id(&caller.state.reference.framework, q.dimension.as_deref())?,
            sel,
            width,
            height,
            target: q.target,
            map,
            quantity,
            median: q.median.unwrap_or(false),
            compare,
            among,
        })
    }

    /// The region, the regions compared with it, and what wider bars or maps show: a
    /// province's kab/kota need the province in scope, the smart-city cohort each member,
    /// the national map everything.
    fn reach(&self, state: &AppState) -> Reach {
        let mut codes = vec![self.sel.region.clone()];
        codes.extend(self.compare.iter().cloned());
        let province = self.sel.region.at_level(Level::Province);
        if self.kind == ChartKind::Bars {
            match self.among {
                BarsAmong::Kecamatan => {}
                BarsAmong::Province => codes.extend(province.clone()),
                BarsAmong::SmartCity => {
                    codes.extend(state.reference.regions.smart_city().iter().cloned());
                }
            }
        }
        if self.kind == ChartKind::Map {
            match self.map {
                MapScope::Kecamatan => {}
                MapScope::Province => codes.extend(province),
                MapScope::Indonesia => return Reach::Everything,
            }
        }
        Reach::Regions(codes)
    }
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
    headers: HeaderMap,
    Scoped { request: req, .. }: Scoped<ChartRequest>,
) -> Result<Response, ApiError> {
    let key = format!("chart{req:?}");
    let s = state.clone();
    let content_type = req.format.content_type();
    cache::respond(
        &s,
        &headers,
        &key,
        req.kind.as_str(),
        content_type,
        move || render(&state, &req),
    )
    .await
}

/// Draw the chart `req` asks for (blocking).
fn render(state: &AppState, req: &ChartRequest) -> Result<Vec<u8>, ApiError> {
    let snapshot = state.snapshot();
    let reference = &state.reference;
    let (book, regions, framework) = (&snapshot.book, &reference.regions, &reference.framework);
    let measure = Measure::parse(framework, req.dimension.as_deref())?;
    let period = req.sel.period.as_deref();
    let (region, lang) = (&req.sel.region, req.sel.lang);
    let ctx = ViewCtx::new(book, regions, framework, lang);
    let (format, width, height) = (req.format, req.width, req.height);
    let internal = |e: chart::ChartError| ApiError::Internal(e.into());
    match req.kind {
        ChartKind::Radar if !req.compare.is_empty() => {
            let mut codes = vec![region.clone()];
            codes.extend(req.compare.iter().cloned());
            let c = view::compare_radar_chart(&ctx, &codes, period)?;
            chart::render_radar(&c, format, width, height).map_err(internal)
        }
        ChartKind::Radar => {
            let v = view::region_view(book, regions, region, period)?;
            let overlays = view::RadarOverlays {
                peer_median: req.median,
                target: req.target,
            };
            let c = view::radar_chart_with(&ctx, &v, overlays);
            chart::render_radar(&c, format, width, height).map_err(internal)
        }
        ChartKind::Bars if req.among != BarsAmong::Kecamatan => {
            let c = view::regency_bars_chart(&ctx, region, req.among, period, measure)?;
            chart::render_bars(&c, format, width, height).map_err(internal)
        }
        ChartKind::Bars => {
            let c = view::bars_chart(&ctx, region, period, measure)?;
            chart::render_bars(&c, format, width, height).map_err(internal)
        }
        ChartKind::Trend => {
            let c = view::trend_chart(&ctx, region, measure, req.target)?;
            chart::render_trend(&c, format, width, height).map_err(internal)
        }
        ChartKind::Heatmap => {
            let c = view::heatmap_chart(&ctx, region, period)?;
            chart::render_heatmap(&c, format, width, height).map_err(internal)
        }
        ChartKind::Timeline => {
            let c = view::timeline_chart(&ctx, &snapshot.activities, region, req.quantity)?;
            chart::render_stacked(&c, format, width, height).map_err(internal)
        }
        ChartKind::Contributions => {
            let c = view::contributions_chart(&ctx, snapshot.scores_of(region), region, measure)?;
            chart::render_stacked(&c, format, width, height).map_err(internal)
        }
        ChartKind::Sensitivity => {
            let inputs = crate::analysis::sensitivity::Inputs {
                activities: &snapshot.activities,
                book,
                regions,
                framework,
                granularity: state.config.period,
            };
            let c = view::sensitivity_chart(inputs, region, period, lang)?;
            chart::render_ranks(&c, format, width, height).map_err(internal)
        }
        ChartKind::Map => {
            let layer = view::map_layer(&reference.boundaries, region, req.map)?;
            let c = view::map_chart(&ctx, layer, req.map, region, period, measure)?;
            chart::render_map(&c, format, width, height).map_err(internal)
        }
    }
}
