//! Radar charts of dimension scores, as PNG or SVG, ready for a slide or a web page.
//!
//! This module only draws: it takes numbers that are already computed (one value per axis
//! and series, on a 0..=`max` scale) plus the texts to print, and returns encoded image bytes.
//! It knows nothing about scoring, regions, periods or where the data came from; callers build
//! the titles, labels and the source line (in the user's language) and pass them in. Only the
//! number format of the value and tick labels follows [`RadarChart::lang`].
//!
//! Rendering is self-contained: the DejaVu Sans fonts are embedded in the binary and no
//! system font is ever looked up, so output is identical on every machine (SVG viewers still
//! render the text with their own copy of DejaVu Sans, or a similar sans-serif).
//!
//! Conventions of the drawing:
//! - the first axis points up, the others follow clockwise; grid rings at every fifth of `max`;
//! - emphasised series are filled and drawn on top, and the first of them gets value labels
//!   (one decimal, in the number format of `lang`); other series are dashed outlines; colours
//!   are the colour-blind-safe Okabe–Ito palette in series order, starting with blue;
//! - values are clamped to `0..=max` for drawing (labels show the true value);
//! - a missing value (`None` or not finite) is a gap, never a zero: the outline is broken on
//!   both sides of that axis and the fill cuts straight across between the neighbouring values;
//!   on the labelled series a hollow marker on that edge and a `–` label mark the gap.
//!
//! Layout scales with the image: font sizes and line widths are proportional to the height
//! (to the width for narrow portrait images), long titles shrink or wrap, long axis labels wrap
//! instead of colliding, and the legend goes right of or below the radar, whichever leaves the
//! radar bigger.
//!
//! The other chart kinds follow the same contract (computed, translated input in; PNG or SVG
//! bytes out; same fonts, sizes, palette and PNG encoding) and share the header, footer and
//! render pipeline of `frame.rs`: ranked horizontal bars ([`render_bars`]), trend lines
//! ([`render_trend`]), a regions × dimensions heatmap ([`render_heatmap`]), choropleth maps from
//! GeoJSON ([`render_map`]) and stacked columns for the activity timeline and indicator
//! contributions ([`render_stacked`]), and rank intervals of a sensitivity analysis
//! ([`render_ranks`]).

mod bars;
mod canvas;
mod frame;
mod heatmap;
mod map;
mod pixmap;
mod radar;
mod ranks;
mod raster;
#[cfg(test)]
mod snapshots;
mod stacked;
#[cfg(test)]
mod testing;
mod text;
mod trend;

pub use bars::{Bar, BarBand, BarChart, render_bars};
pub use frame::{BAR, HIGHLIGHT, NO_DATA};
pub use heatmap::{HeatmapChart, render_heatmap};
pub use map::{GeoFeature, GeoLayer, MapArea, MapChart, render_map};
pub use ranks::{RankChart, RankRow, render_ranks};
pub use stacked::{StackSeries, StackedChart, render_stacked};
pub use text::embedded_fonts;
pub use trend::{TrendChart, TrendSeries, render_trend};

use std::fmt;
use std::str::FromStr;

use plotters::prelude::{IntoDrawingArea, SVGBackend};
use plotters::style::WHITE;

use crate::i18n::Lang;
use canvas::SvgCanvas;
use pixmap::PixmapCanvas;

/// Default image width in pixels.
pub const DEFAULT_WIDTH: u32 = 800;
/// Default image height in pixels.
pub const DEFAULT_HEIGHT: u32 = 500;
/// Smallest accepted width in pixels.
pub const MIN_WIDTH: u32 = 320;
/// Largest accepted width in pixels.
pub const MAX_WIDTH: u32 = 2400;
/// Smallest accepted height in pixels.
pub const MIN_HEIGHT: u32 = 200;
/// Largest accepted height in pixels.
pub const MAX_HEIGHT: u32 = 1600;
/// Fewest axes a radar can have.
pub const MIN_AXES: usize = 3;
/// Most axes a radar can have while its labels stay legible.
pub const MAX_AXES: usize = 12;

/// Output image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Palette PNG (RGB if the picture has too many colours).
    #[default]
    Png,
    /// SVG with text as `<text>` elements.
    Svg,
}

impl Format {
    /// File name extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }

    /// MIME type for the HTTP `Content-Type` header.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Svg => "image/svg+xml",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Error for a format name that is neither `png` nor `svg`.
#[derive(Debug, thiserror::Error)]
#[error("unknown chart format {0:?}: expected \"png\" or \"svg\"")]
pub struct UnknownFormat(String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// One polygon of the radar: a value (or a gap) per axis.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarSeries {
    /// Legend text, e.g. "2025" or "Median 31 kecamatan".
    pub label: String,
    /// One value per axis, in axis order; `None` for missing.
    pub values: Vec<Option<f64>>,
    /// Filled, drawn on top and labelled with its values (the current period).
    pub emphasis: bool,
}

/// Everything a radar chart shows, already computed and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarChart {
    /// Bold headline at the top left.
    pub title: String,
    /// Grey line under the title (may be empty).
    pub subtitle: String,
    /// Axis (dimension) labels, first at the top, clockwise; 3 to 12 of them.
    pub axes: Vec<String>,
    /// Series to draw; the legend appears when there is more than one.
    pub series: Vec<RadarSeries>,
    /// Value at the outer ring (100 for scores).
    pub max: f64,
    /// Source line at the bottom left (may be empty).
    pub source: String,
    /// Number format of value and tick labels.
    pub lang: Lang,
}

/// Why a chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The requested image size is outside the accepted range.
    #[error(
        "chart size {width}×{height} is out of range: width must be {MIN_WIDTH}–{MAX_WIDTH} and height {MIN_HEIGHT}–{MAX_HEIGHT} pixels"
    )]
    SizeOutOfRange {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The chart data cannot be drawn (axis count, value count, maximum).
    #[error("invalid chart data: {0}")]
    InvalidData(String),
    /// The embedded fonts could not be loaded or used.
    #[error("chart font error: {0}")]
    Font(String),
    /// plotters failed while drawing.
    #[error("chart drawing failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

fn validate(chart: &RadarChart, width: u32, height: u32) -> Result<(), ChartError> {
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) || !(MIN_HEIGHT..=MAX_HEIGHT).contains(&height) {
        return Err(ChartError::SizeOutOfRange { width, height });
    }
    let n = chart.axes.len();
    if !(MIN_AXES..=MAX_AXES).contains(&n) {
        return Err(ChartError::InvalidData(format!(
            "{n} axes; a radar needs {MIN_AXES} to {MAX_AXES}"
        )));
    }
    if !(chart.max.is_finite() && chart.max > 0.0) {
        return Err(ChartError::InvalidData(format!(
            "maximum {} is not a positive number",
            chart.max
        )));
    }
    for s in &chart.series {
        if s.values.len() != n {
            return Err(ChartError::InvalidData(format!(
                "series {:?} has {} values for {n} axes",
                s.label,
                s.values.len()
            )));
        }
    }
    Ok(())
}

/// Renders `chart` as a `width`×`height` image in `format` and returns the file bytes.
pub fn render_radar(
    chart: &RadarChart,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    validate(chart, width, height)?;
    text::ensure_fonts()?;
    match format {
        Format::Png => render_png(chart, width, height),
        Format::Svg => render_svg(chart, width, height),
    }
}

fn draw_err<E: fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn render_png(chart: &RadarChart, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let rgba = rasterize(chart, width, height)?;
    raster::encode_png(&rgba, width, height)
}

/// Draws the chart and returns its RGBA pixels.
fn rasterize(chart: &RadarChart, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let canvas = PixmapCanvas::new(width, height)?;
    radar::draw(&canvas, chart, f64::from(width), f64::from(height))?;
    Ok(canvas.into_rgba())
}

fn render_svg(chart: &RadarChart, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        area.fill(&WHITE).map_err(draw_err)?;
        let canvas = SvgCanvas::new(&area);
        radar::draw(&canvas, chart, f64::from(width), f64::from(height))?;
        area.present().map_err(draw_err)?;
    }
    Ok(svg_font_family(&svg).into_bytes())
}

/// Names DejaVu Sans first in the SVG's font lists, so a viewer that has it renders the text
/// exactly as laid out; Verdana has nearly the same widths and is common where DejaVu is not.
fn svg_font_family(svg: &str) -> String {
    svg.replace(
        &format!("font-family=\"{}\"", text::FAMILY),
        "font-family=\"DejaVu Sans, Verdana, sans-serif\"",
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(lang: Lang, overlays: usize) -> RadarChart {
        let axes = [
            "Ekonomi",
            "Masyarakat",
            "Lingkungan",
            "Tata Kelola",
            "Mobilitas",
            "Kehidupan",
            "Pemerintahan",
        ];
        let mut series = vec![RadarSeries {
            label: "2025".into(),
            values: vec![
                Some(63.4),
                Some(71.0),
                Some(48.25),
                Some(82.9),
                Some(55.5),
                Some(39.0),
                Some(90.1),
            ],
            emphasis: true,
        }];
        let extra = [
            (
                "2024",
                [58.0, 66.5, 51.0, 75.0, 49.0, 42.5, 84.0]
                    .map(Some)
                    .to_vec(),
            ),
            (
                "Median 31 kecamatan",
                [60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
                    .map(Some)
                    .to_vec(),
            ),
        ];
        for (label, values) in extra.into_iter().take(overlays) {
            series.push(RadarSeries {
                label: label.into(),
                values,
                emphasis: false,
            });
        }
        RadarChart {
            title: "Kecamatan Sumbersari — Indeks Kota Cerdas 2025".into(),
            subtitle: "Skor dimensi 0–100, min-maks antar 31 kecamatan".into(),
            axes: axes.iter().map(|s| s.to_string()).collect(),
            series,
            max: 100.0,
            source: "Sumber: data kegiatan Diskominfo & Relawan TIK Jember, diolah".into(),
            lang,
        }
    }

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// Renders, decodes and checks a PNG; `min_drawn` is the least share of non-white pixels.
    fn check_png_drawn(chart: &RadarChart, width: u32, height: u32, min_drawn: f64) {
        let bytes = render_radar(chart, Format::Png, width, height).unwrap();
        let (w, h, rgb) = decode(&bytes);
        assert_eq!((w, h), (width, height));
        let pixels = rgb.chunks_exact(3);
        let total = pixels.len();
        let non_white = pixels.clone().filter(|p| p != &[255, 255, 255]).count();
        assert!(
            non_white as f64 > total as f64 * min_drawn,
            "only {non_white} of {total} pixels drawn"
        );
        let near = |p: &[u8], c: [u8; 3]| p.iter().zip(c).all(|(&a, b)| a.abs_diff(b) <= 12);
        let blue = pixels.filter(|p| near(p, [0x00, 0x72, 0xB2])).count();
        assert!(blue > 200, "emphasised blue missing ({blue} pixels)");
    }

    fn check_png(chart: &RadarChart, width: u32, height: u32) {
        check_png_drawn(chart, width, height, 0.05);
    }

    #[test]
    fn png_at_default_and_double_size() {
        check_png(&sample(Lang::Id, 0), DEFAULT_WIDTH, DEFAULT_HEIGHT);
        check_png(&sample(Lang::En, 2), 1600, 1000);
    }

    #[test]
    fn png_at_extreme_sizes() {
        // Extreme aspect ratios leave most of the image white by necessity.
        check_png_drawn(&sample(Lang::Id, 2), MIN_WIDTH, MIN_HEIGHT, 0.05);
        check_png_drawn(&sample(Lang::Id, 2), MIN_WIDTH, MAX_HEIGHT, 0.02);
        check_png_drawn(&sample(Lang::Id, 1), MAX_WIDTH, MIN_HEIGHT, 0.02);
        check_png(&sample(Lang::En, 2), MAX_WIDTH, MAX_HEIGHT);
    }

    #[test]
    fn svg_has_title_axes_and_number_format() {
        let svg = render_radar(&sample(Lang::Id, 2), Format::Svg, 800, 500).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Kecamatan Sumbersari — Indeks Kota Cerdas 2025"));
        for axis in [
            "Ekonomi",
            "Masyarakat",
            "Lingkungan",
            "Tata Kelola",
            "Pemerintahan",
        ] {
            assert!(svg.contains(&format!("\n{axis}\n")), "axis {axis} missing");
        }
        assert!(svg.contains("63,4"), "Indonesian decimal comma");
        assert!(svg.contains("Median 31 kecamatan"));
        assert!(svg.contains("DejaVu Sans"));
        assert!(!svg.contains("font-family=\"sans-serif\""));

        let en = render_radar(&sample(Lang::En, 0), Format::Svg, 800, 500).unwrap();
        assert!(String::from_utf8(en).unwrap().contains("63.4"));
    }

    #[test]
    fn missing_values_are_gaps_not_zeros() {
        let mut chart = sample(Lang::Id, 1);
        chart.series[0].values[2] = None;
        chart.series[1].values[3] = Some(f64::NAN);
        let svg = String::from_utf8(render_radar(&chart, Format::Svg, 800, 500).unwrap()).unwrap();
        assert!(svg.contains("\n–\n"), "gap marker");
        check_png(&chart, 800, 500);

        chart.series[0].values = vec![None; 7];
        check_png(&sample(Lang::Id, 0), 800, 500);
        render_radar(&chart, Format::Png, 800, 500).unwrap();
    }

    /// Charts at the edges of what callers may send: few and many axes, long texts, values at
    /// and beyond the scale, no emphasised series, empty texts.
    fn unusual_charts() -> Vec<(&'static str, RadarChart)> {
        let mut out = Vec::new();

        let mut three = sample(Lang::Id, 1);
        three.axes.truncate(3);
        for s in &mut three.series {
            s.values.truncate(3);
        }
        out.push(("3-axes", three));

        let names = [
            "Ekonomi Digital",
            "Masyarakat",
            "Lingkungan Hidup",
            "Tata Kelola",
            "Mobilitas",
            "Kualitas Kehidupan",
            "Pemerintahan",
            "Infrastruktur TIK",
            "Pendidikan",
            "Kesehatan",
            "Keamanan",
            "Pariwisata dan Budaya Lokal",
        ];
        let mut twelve = sample(Lang::En, 2);
        twelve.axes = names.iter().map(|s| s.to_string()).collect();
        for (k, s) in twelve.series.iter_mut().enumerate() {
            s.values = (0..12)
                .map(|i| Some(((i * 37 + k * 11) % 90) as f64 + 10.0))
                .collect();
        }
        twelve.series[2].label =
            "Median seluruh kecamatan di Kabupaten Jember tahun sebelumnya".into();
        out.push(("12-axes", twelve));

        let mut extremes = sample(Lang::Id, 1);
        extremes.series[0].values = vec![
            Some(100.0),
            Some(100.0),
            Some(0.0),
            Some(120.0),
            Some(-5.0),
            Some(99.9),
            Some(100.0),
        ];
        extremes.title = "Kecamatan Sumbersari, Kabupaten Jember, Provinsi Jawa Timur — Indeks Kota Cerdas Triwulan III 2025".into();
        out.push(("extremes", extremes));

        let mut small = sample(Lang::Id, 1);
        small.series[0].values = [4.4, 10.6, 3.9, 31.5, 33.4, 18.0, 18.6].map(Some).to_vec();
        small.series[1].values = [8.0, 5.0, 2.0, 40.0, 12.0, 9.0, 15.0].map(Some).to_vec();
        out.push(("small-values", small));

        let mut plain = sample(Lang::Id, 2);
        for s in &mut plain.series {
            s.emphasis = false;
        }
        plain.subtitle.clear();
        plain.source.clear();
        out.push(("no-emphasis", plain));

        let mut empty = sample(Lang::Id, 0);
        empty.series[0].values = vec![None; 7];
        empty.title.clear();
        out.push(("all-missing", empty));

        let mut none = sample(Lang::Id, 0);
        none.series.clear();
        out.push(("no-series", none));
        out
    }

    #[test]
    fn unusual_inputs_render() {
        for (name, chart) in unusual_charts() {
            for (w, h) in [(800, 500), (MIN_WIDTH, MIN_HEIGHT)] {
                for format in [Format::Png, Format::Svg] {
                    let r = render_radar(&chart, format, w, h);
                    assert!(r.is_ok(), "{name} {w}×{h} {format}: {r:?}");
                }
            }
        }
    }

    #[test]
    fn size_and_data_are_validated() {
        let chart = sample(Lang::Id, 0);
        for (w, h) in [(319, 500), (2401, 500), (800, 199), (800, 1601), (0, 0)] {
            let err = render_radar(&chart, Format::Png, w, h).unwrap_err();
            assert!(matches!(err, ChartError::SizeOutOfRange { .. }), "{w}×{h}");
            assert!(err.to_string().contains("320–2400"));
        }
        let mut bad = chart.clone();
        bad.axes.truncate(2);
        assert!(matches!(
            render_radar(&bad, Format::Svg, 800, 500),
            Err(ChartError::InvalidData(_))
        ));
        let mut bad = chart.clone();
        bad.series[0].values.pop();
        assert!(matches!(
            render_radar(&bad, Format::Svg, 800, 500),
            Err(ChartError::InvalidData(_))
        ));
        let mut bad = chart;
        bad.max = 0.0;
        assert!(matches!(
            render_radar(&bad, Format::Png, 800, 500),
            Err(ChartError::InvalidData(_))
        ));
    }

    #[test]
    fn format_parses_and_describes_itself() {
        assert_eq!("PNG".parse::<Format>().unwrap(), Format::Png);
        assert_eq!("svg".parse::<Format>().unwrap(), Format::Svg);
        assert!("gif".parse::<Format>().is_err());
        assert_eq!(Format::Svg.content_type(), "image/svg+xml");
        assert_eq!(Format::Png.extension(), "png");
    }

    /// Writes sample images to /tmp/chart-samples and prints sizes and timings when
    /// `KOTACERDAS_WRITE_SAMPLES=1`; a no-op otherwise.
    #[test]
    fn write_samples() {
        if std::env::var("KOTACERDAS_WRITE_SAMPLES").as_deref() != Ok("1") {
            return;
        }
        let dir = std::path::Path::new("/tmp/chart-samples");
        std::fs::create_dir_all(dir).unwrap();
        let mut gaps = sample(Lang::Id, 2);
        gaps.series[0].values[2] = None;
        gaps.series[0].values[5] = None;
        gaps.series[1].values[3] = None;
        gaps.axes[3] = "Tata Kelola Pemerintahan Daerah".into();
        for (w, h) in [(800, 500), (1600, 1000)] {
            for format in [Format::Png, Format::Svg] {
                let bytes = render_radar(&gaps, format, w, h).unwrap();
                std::fs::write(dir.join(format!("radar-{w}x{h}-gaps.{format}")), bytes).unwrap();
            }
        }
        for (name, chart) in unusual_charts() {
            let bytes = render_radar(&chart, Format::Png, 800, 500).unwrap();
            std::fs::write(dir.join(format!("radar-800x500-{name}.png")), bytes).unwrap();
        }
        let sizes = [
            (800, 500),
            (1600, 1000),
            (320, 200),
            (500, 700),
            (2400, 1600),
            (320, 1600),
            (2400, 200),
        ];
        for (w, h) in sizes {
            for (lang, overlays) in [(Lang::Id, 0), (Lang::En, 2), (Lang::Id, 2)] {
                let chart = sample(lang, overlays);
                for format in [Format::Png, Format::Svg] {
                    let bytes = render_radar(&chart, format, w, h).unwrap();
                    let name = format!("radar-{w}x{h}-{lang}-{}.{format}", overlays + 1);
                    std::fs::write(dir.join(name), bytes).unwrap();
                }
            }
        }
        // Timing: drawing and encoding separately.
        for (w, h, overlays) in [
            (800, 500, 0),
            (800, 500, 2),
            (1600, 1000, 2),
            (2400, 1600, 2),
        ] {
            let chart = sample(Lang::Id, overlays);
            let runs = 10;
            let start = std::time::Instant::now();
            let mut rgb = Vec::new();
            for _ in 0..runs {
                rgb = rasterize(&chart, w, h).unwrap();
            }
            let draw = start.elapsed() / runs;
            let start = std::time::Instant::now();
            let mut size = 0;
            for _ in 0..runs {
                size = raster::encode_png(&rgb, w, h).unwrap().len();
            }
            let encode = start.elapsed() / runs;
            println!(
                "{w}×{h} PNG, {} series: {size} bytes; draw {draw:?}, encode {encode:?}",
                overlays + 1
            );
        }
    }
}
