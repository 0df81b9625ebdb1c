//! What the chart kinds share: the render pipeline (antialiased PNG or SVG) and the layout of
//! the header (title, subtitle) and footer (source line), for every kind; and for every kind
//! but the radar (which sizes its own), sizes and fonts proportional to the image, number
//! ticks, the value axis and the colour scales.
//!
//! It draws no data itself; each chart kind lays out its plot inside [`Frame::plot`].

use plotters::prelude::{IntoDrawingArea, SVGBackend};
use plotters::style::{Color, RGBAColor, RGBColor, WHITE};

use super::canvas::{Align, Canvas, Font, Rect, SvgCanvas, TextBlock};
use super::pixmap::PixmapCanvas;
use super::text::{self, text_width, truncate, wrap};
use super::{ChartError, Format, MAX_HEIGHT, MAX_WIDTH, MIN_HEIGHT, MIN_WIDTH};
use super::{draw_err, raster, svg_font_family};
use crate::i18n::{Lang, format_number};

/// Okabe–Ito colours without yellow (it vanishes on white), blue first.
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x00, 0x00), // black
];

/// The colour of a highlighted (selected) region: Okabe–Ito blue.
pub const HIGHLIGHT: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// The colour of ordinary bars: a light blue-grey that the highlight stands out from.
pub const BAR: RGBColor = RGBColor(0xA9, 0xC4, 0xD9);
/// Areas and cells without a value.
pub const NO_DATA: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

pub(crate) const TITLE_COLOR: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
pub(crate) const SUBTITLE_COLOR: RGBColor = RGBColor(0x5C, 0x5C, 0x5C);
pub(crate) const LABEL_COLOR: RGBColor = RGBColor(0x26, 0x26, 0x26);
pub(crate) const TICK_COLOR: RGBColor = RGBColor(0x6E, 0x6E, 0x6E);
pub(crate) const SOURCE_COLOR: RGBColor = RGBColor(0x70, 0x70, 0x70);
pub(crate) const GRID_COLOR: RGBColor = RGBColor(0xE2, 0xE2, 0xE2);
pub(crate) const AXIS_COLOR: RGBColor = RGBColor(0x9A, 0x9A, 0x9A);

/// All sizes of one rendering, derived from the image size: 1 layout unit is one pixel at
/// 800×500 and two at 1600×1000.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metrics {
    pub u: f64,
    pub margin: f64,
    pub title: Font,
    pub subtitle: Font,
    pub label: Font,
    pub tick: Font,
    pub value: Font,
    pub source: Font,
}

impl Metrics {
    pub(crate) fn new(width: f64, height: f64) -> Metrics {
        let u = (width / 800.0).min(height / 500.0);
        // Below ~8 px DejaVu stops being readable, whatever the image size.
        let font = |px: f64, bold: bool, color: RGBColor| Font {
            em: (px * u).max(8.0),
            bold,
            color,
        };
        Metrics {
            u,
            margin: 18.0 * u,
            title: font(21.0, true, TITLE_COLOR),
            subtitle: font(13.0, false, SUBTITLE_COLOR),
            label: font(12.0, false, LABEL_COLOR),
            tick: font(10.5, false, TICK_COLOR),
            value: font(10.5, false, LABEL_COLOR),
            source: font(10.0, false, SOURCE_COLOR),
        }
    }

    /// A line width of `px` layout units, never thinner than one pixel.
    pub(crate) fn line(&self, px: f64) -> f64 {
        (px * self.u).max(1.0)
    }

    /// The header and footer of these charts.
    fn header_style(&self) -> HeaderStyle {
        HeaderStyle {
            u: self.u,
            margin: self.margin,
            title: self.title,
            subtitle: self.subtitle,
            source: self.source,
            subtitle_gap: 6.0,
            footer: 0.7,
            plot_top: 14.0,
            plot_bottom: 10.0,
        }
    }
}

/// A text block of the given lines, measured.
pub(crate) fn block(lines: Vec<String>, font: Font) -> Result<TextBlock, ChartError> {
    let mut width: f64 = 0.0;
    for line in &lines {
        width = width.max(text_width(line, font.em, font.bold)?);
    }
    Ok(TextBlock { lines, font, width })
}

/// `text` wrapped to at most `max_lines` lines of `max_width`, the last one truncated.
pub(crate) fn wrapped_block(
    text: &str,
    font: Font,
    max_width: f64,
    max_lines: usize,
) -> Result<TextBlock, ChartError> {
    let mut lines = wrap(text, font.em, font.bold, max_width)?;
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        lines.push(rest);
    }
    for line in &mut lines {
        *line = truncate(line, font.em, font.bold, max_width)?;
    }
    block(lines, font)
}

/// One line of text shortened with an ellipsis to `max_width`.
pub(crate) fn fit_line(text: &str, font: Font, max_width: f64) -> Result<String, ChartError> {
    truncate(text, font.em, font.bold, max_width)
}

/// How a chart kind sets its header and footer: fonts, margin, and the gaps in layout units
/// (`u`) between title, subtitle, plot and source line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderStyle {
    /// The layout unit.
    pub u: f64,
    /// Margin around the image's content.
    pub margin: f64,
    /// Font of the title.
    pub title: Font,
    /// Font of the subtitle.
    pub subtitle: Font,
    /// Font of the source line.
    pub source: Font,
    /// Gap between title and subtitle.
    pub subtitle_gap: f64,
    /// The source line's distance from the image's bottom, in margins.
    pub footer: f64,
    /// Gap between the header and the plot.
    pub plot_top: f64,
    /// Gap between the plot and the source line.
    pub plot_bottom: f64,
}

/// A chart's header (title, subtitle) and footer (source line), laid out, and the room left
/// between them.
pub(crate) struct Header {
    margin: f64,
    title: (TextBlock, f64),
    subtitle: Option<(TextBlock, f64)>,
    source: Option<(TextBlock, f64)>,
    /// Where the chart's own content goes.
    pub plot: Rect,
}

impl Header {
    /// Lays out title (shrunk a little, or wrapped to two lines, then truncated if long),
    /// subtitle (up to two lines) and source line (one line, truncated).
    pub(crate) fn new(
        style: &HeaderStyle,
        title: &str,
        subtitle: &str,
        source: &str,
        width: f64,
        height: f64,
    ) -> Result<Header, ChartError> {
        let inner = width - 2.0 * style.margin;
        let full = text_width(title, style.title.em, true)?;
        let title_block = if full <= inner {
            wrapped_block(title, style.title, inner, 1)?
        } else if full * 0.85 <= inner {
            let font = Font {
                // A hair under the exact fit, so rounding cannot trigger truncation.
                em: style.title.em * inner / full * 0.998,
                ..style.title
            };
            wrapped_block(title, font, inner, 1)?
        } else {
            wrapped_block(title, style.title, inner, 2)?
        };
        let title_top = style.margin;
        let mut bottom = title_top + title_block.height();
        let subtitle = if subtitle.trim().is_empty() {
            None
        } else {
            let top = bottom + style.subtitle_gap * style.u;
            let b = wrapped_block(subtitle, style.subtitle, inner, 2)?;
            bottom = top + b.height();
            Some((b, top))
        };
        let mut footer_top = height - style.margin * style.footer;
        let source = if source.trim().is_empty() {
            None
        } else {
            let b = wrapped_block(source, style.source, inner, 1)?;
            footer_top -= b.height();
            Some((b, footer_top))
        };
        let plot = Rect {
            x0: style.margin,
            y0: bottom + style.plot_top * style.u,
            x1: width - style.margin,
            y1: footer_top - style.plot_bottom * style.u,
        };
        Ok(Header {
            margin: style.margin,
            title: (title_block, title_top),
            subtitle,
            source,
            plot,
        })
    }

    /// Paints title, subtitle and source line.
    pub(crate) fn draw<C: Canvas>(&self, canvas: &C) -> Result<(), ChartError> {
        let x = self.margin;
        canvas.text_block(&self.title.0, x, self.title.1, Align::Left)?;
        for (b, top) in self.subtitle.iter().chain(&self.source) {
            canvas.text_block(b, x, *top, Align::Left)?;
        }
        Ok(())
    }
}

/// The header and footer of a chart other than the radar, and the room left between them.
pub(crate) struct Frame {
    pub m: Metrics,
    header: Header,
    /// Where the chart's own content goes.
    pub plot: Rect,
}

impl Frame {
    /// Lays out the header and footer at the sizes of [`Metrics`].
    pub(crate) fn new(
        title: &str,
        subtitle: &str,
        source: &str,
        width: f64,
        height: f64,
    ) -> Result<Frame, ChartError> {
        let m = Metrics::new(width, height);
        let header = Header::new(&m.header_style(), title, subtitle, source, width, height)?;
        Ok(Frame {
            m,
            plot: header.plot,
            header,
        })
    }

    /// Paints title, subtitle and source line.
    pub(crate) fn draw<C: Canvas>(&self, canvas: &C) -> Result<(), ChartError> {
        self.header.draw(canvas)
    }
}

/// A chart that can paint itself on a canvas of `width`×`height` output pixels.
pub(crate) trait Drawable {
    /// Checks the data before anything is drawn.
    fn validate(&self) -> Result<(), ChartError> {
        Ok(())
    }

    /// Lays out and paints the whole chart on a white canvas.
    fn draw<C: Canvas>(&self, canvas: &C, width: f64, height: f64) -> Result<(), ChartError>;
}

/// Checks the image size against the accepted range.
pub(crate) fn check_size(width: u32, height: u32) -> Result<(), ChartError> {
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) || !(MIN_HEIGHT..=MAX_HEIGHT).contains(&height) {
        return Err(ChartError::SizeOutOfRange { width, height });
    }
    Ok(())
}

/// Renders `chart` as a `width`×`height` image in `format`: the one pipeline of every chart
/// kind (antialiased palette PNG; SVG naming DejaVu Sans).
pub(crate) fn render(
    chart: &impl Drawable,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    check_size(width, height)?;
    chart.validate()?;
    text::ensure_fonts()?;
    match format {
        Format::Png => {
            let canvas = PixmapCanvas::new(width, height)?;
            chart.draw(&canvas, f64::from(width), f64::from(height))?;
            raster::encode_png(&canvas.into_rgba(), width, height)
        }
        Format::Svg => {
            let mut svg = String::new();
            {
                let area = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
                area.fill(&WHITE).map_err(draw_err)?;
                let canvas = SvgCanvas::new(&area);
                chart.draw(&canvas, f64::from(width), f64::from(height))?;
                area.present().map_err(draw_err)?;
            }
            Ok(svg_font_family(&svg).into_bytes())
        }
    }
}

/// Opaque colour for the canvas.
pub(crate) fn solid(c: RGBColor) -> RGBAColor {
    c.mix(1.0)
}

/// Round tick values covering `lo..=hi` with about `target` steps (1, 2, 2.5 or 5 × 10ⁿ).
pub(crate) fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|k| k * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    let mut out = Vec::new();
    let mut v = first;
    while v <= hi + step * 1e-9 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

/// A tick label: whole numbers without decimals, others with one, in `lang`'s format.
pub(crate) fn tick_label(v: f64, lang: Lang) -> String {
    let decimals = if (v - v.round()).abs() < 1e-9 { 0 } else { 1 };
    format_number(v, decimals, lang)
}

fn lerp(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn ramp(stops: &[RGBColor], t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let seg = t * (stops.len() - 1) as f64;
    let i = (seg.floor() as usize).min(stops.len() - 2);
    lerp(stops[i], stops[i + 1], seg - i as f64)
}

/// The value axis of a vertical chart: where it runs, its ticks and its title.
pub(crate) struct ValueAxis<'a> {
    /// The plot the grid lines span; tick labels go left of it.
    pub plot: Rect,
    /// Tick values.
    pub ticks: &'a [f64],
    /// Axis title (none when empty), above the tick labels at `title_x`.
    pub title: &'a str,
    /// Left end of the axis title.
    pub title_x: f64,
    /// Number format of the tick labels.
    pub lang: Lang,
}

impl ValueAxis<'_> {
    /// Paints a grid line per tick (the zero line darker), tick labels right-aligned left of
    /// the plot, and the title above them (plotters cannot rotate text alike on both
    /// backends, so the title is not turned on its side); `y_of` places a value.
    pub(crate) fn draw<C: Canvas>(
        &self,
        canvas: &C,
        m: &Metrics,
        y_of: impl Fn(f64) -> f64,
    ) -> Result<(), ChartError> {
        let plot = self.plot;
        for &t in self.ticks {
            let y = y_of(t);
            let color = if t == 0.0 { AXIS_COLOR } else { GRID_COLOR };
            canvas.line(&[(plot.x0, y), (plot.x1, y)], solid(color), m.line(1.0))?;
            canvas.text(
                &tick_label(t, self.lang),
                m.tick,
                plot.x0 - 6.0 * m.u,
                y + text::CAP_HEIGHT * m.tick.em / 2.0,
                Align::Right,
            )?;
        }
        if !self.title.is_empty() {
            let font = Font {
                color: TICK_COLOR,
                ..m.tick
            };
            canvas.text(
                self.title,
                font,
                self.title_x,
                plot.y0 - 9.0 * m.u,
                Align::Left,
            )?;
        }
        Ok(())
    }
}

/// Sequential scale for 0..=1: viridis (perceptually uniform, readable by the common forms of
/// colour blindness and in greyscale), light yellow for high values, dark blue for low ones.
pub(crate) fn sequential(t: f64) -> RGBColor {
    const VIRIDIS: [RGBColor; 9] = [
        RGBColor(0x44, 0x01, 0x54),
        RGBColor(0x47, 0x2D, 0x7B),
        RGBColor(0x3B, 0x52, 0x8B),
        RGBColor(0x2C, 0x72, 0x8E),
        RGBColor(0x21, 0x91, 0x8C),
        RGBColor(0x28, 0xAE, 0x80),
        RGBColor(0x5E, 0xC9, 0x62),
        RGBColor(0xAD, 0xDC, 0x30),
        RGBColor(0xFD, 0xE7, 0x25),
    ];
    ramp(&VIRIDIS, t)
}

/// Diverging scale for 0..=1 with the neutral at 0.5: ColorBrewer PuOr (orange below, purple
/// above), safe for the common forms of colour blindness.
pub(crate) fn diverging(t: f64) -> RGBColor {
    const PUOR: [RGBColor; 7] = [
        RGBColor(0xB3, 0x58, 0x06),
        RGBColor(0xF1, 0xA3, 0x40),
        RGBColor(0xFE, 0xE0, 0xB6),
        RGBColor(0xF7, 0xF7, 0xF7),
        RGBColor(0xD8, 0xDA, 0xEB),
        RGBColor(0x99, 0x8E, 0xC3),
        RGBColor(0x54, 0x27, 0x88),
    ];
    ramp(&PUOR, t)
}

/// Black or white, whichever reads better on `background`.
pub(crate) fn text_on(background: RGBColor) -> RGBColor {
    let lum = 0.2126 * f64::from(background.0)
        + 0.7152 * f64::from(background.1)
        + 0.0722 * f64::from(background.2);
    if lum > 140.0 {
        RGBColor(0x1A, 0x1A, 0x1A)
    } else {
        WHITE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(0.0, 100.0, 5), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(ticks(0.0, 7.0, 4), [0.0, 2.0, 4.0, 6.0]);
        assert_eq!(ticks(0.0, 1200.0, 5), [0.0, 250.0, 500.0, 750.0, 1000.0]);
        assert_eq!(ticks(5.0, 5.0, 5), [5.0]);
    }

    #[test]
    fn scales_end_at_their_stops_and_text_contrasts() {
        assert_eq!(sequential(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(sequential(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(diverging(0.5), RGBColor(0xF7, 0xF7, 0xF7));
        assert_eq!(text_on(sequential(0.0)), WHITE);
        assert_ne!(text_on(sequential(1.0)), WHITE);
    }
}
