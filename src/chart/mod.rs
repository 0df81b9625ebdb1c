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
//! bytes out; same fonts, sizes, palette and PNG encoding), and every kind, the radar included,
//! implements `frame::Drawable` and goes through the header, footer and render pipeline of
//! `frame.rs`: ranked horizontal bars ([`render_bars`]), trend lines
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
pub use radar::{RadarChart, RadarSeries, render_radar};
pub use ranks::{RankChart, RankRow, render_ranks};
pub use stacked::{StackSeries, StackedChart, render_stacked};
pub use text::embedded_fonts;
pub use trend::{TrendChart, TrendSeries, render_trend};

use std::fmt;
use std::str::FromStr;

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

fn draw_err<E: fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
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
mod tests {
    use super::*;

    #[test]
    fn format_parses_and_describes_itself() {
        assert_eq!("PNG".parse::<Format>().unwrap(), Format::Png);
        assert_eq!("svg".parse::<Format>().unwrap(), Format::Svg);
        assert!("gif".parse::<Format>().is_err());
        assert_eq!(Format::Svg.content_type(), "image/svg+xml");
        assert_eq!(Format::Png.extension(), "png");
    }
}
