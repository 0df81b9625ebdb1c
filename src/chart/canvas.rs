//! The drawing surface the chart kinds paint on, in floating-point pixels of the final image.
//!
//! [`Canvas`] is the handful of primitives the charts need (filled polygons, rectangles and
//! circles, solid and dashed polylines, text). Two surfaces implement it: [`SvgCanvas`] over
//! plotters' SVG backend, and the antialiased raster surface in `pixmap` that the PNG path uses.
//! Layout (where things go, what fits) is the chart kinds' business, not this module's.

use plotters::coord::Shift;
use plotters::element::{Circle, DashedPathElement, PathElement, Polygon, Rectangle};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, RGBAColor, RGBColor, ShapeStyle};

use super::ChartError;
use super::text::{ASCENT, DESCENT, LINE_HEIGHT, svg_font};

/// A point in output pixels.
pub(crate) type Pt = (f64, f64);

/// An axis-aligned box in output pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub(crate) fn centered(c: Pt, w: f64, h: f64) -> Rect {
        Rect {
            x0: c.0 - w / 2.0,
            y0: c.1 - h / 2.0,
            x1: c.0 + w / 2.0,
            y1: c.1 + h / 2.0,
        }
    }

    pub(crate) fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub(crate) fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    pub(crate) fn inflate(&self, by: f64) -> Rect {
        Rect {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }

    pub(crate) fn intersects(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

/// Horizontal alignment of a text block relative to its anchor x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// A font choice: size in em pixels, weight and colour.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Font {
    pub em: f64,
    pub bold: bool,
    pub color: RGBColor,
}

/// One or more lines of text with a precomputed size, placed by its bounding box.
#[derive(Debug, Clone)]
pub(crate) struct TextBlock {
    pub lines: Vec<String>,
    pub font: Font,
    /// Width of the widest line.
    pub width: f64,
}

impl TextBlock {
    /// Height from the top of the first line's capitals to the bottom of the last line's
    /// descenders.
    pub(crate) fn height(&self) -> f64 {
        let em = self.font.em;
        (self.lines.len().max(1) - 1) as f64 * LINE_HEIGHT * em + (ASCENT + DESCENT) * em
    }
}

/// What a chart needs from the surface it is drawn on. Colours carry their own opacity.
pub(crate) trait Canvas {
    /// Fills a simple polygon.
    fn fill_polygon(&self, points: &[Pt], color: RGBAColor) -> Result<(), ChartError>;

    /// Fills an axis-aligned rectangle.
    fn fill_rect(&self, r: Rect, color: RGBAColor) -> Result<(), ChartError>;

    /// Fills a circle.
    fn fill_circle(&self, c: Pt, radius: f64, color: RGBAColor) -> Result<(), ChartError>;

    /// Strokes a circle `width` pixels wide.
    fn circle_outline(
        &self,
        c: Pt,
        radius: f64,
        color: RGBAColor,
        width: f64,
    ) -> Result<(), ChartError>;

    /// A solid polyline. For a closed outline pass the first point again at the end.
    fn line(&self, points: &[Pt], color: RGBAColor, width: f64) -> Result<(), ChartError>;

    /// A dashed polyline: `dash` pixels drawn, `gap` pixels skipped.
    fn dashed_line(
        &self,
        points: &[Pt],
        color: RGBAColor,
        width: f64,
        dash: f64,
        gap: f64,
    ) -> Result<(), ChartError>;

    /// Draws one line of text with its baseline at `baseline`; `x` is the left edge, centre or
    /// right edge according to `align`.
    fn text(
        &self,
        text: &str,
        font: Font,
        x: f64,
        baseline: f64,
        align: Align,
    ) -> Result<(), ChartError>;

    /// Draws `block` with its bounding box's top at `top`; `x` is the left edge, centre or right
    /// edge according to `align`.
    fn text_block(
        &self,
        block: &TextBlock,
        x: f64,
        top: f64,
        align: Align,
    ) -> Result<(), ChartError> {
        let em = block.font.em;
        for (i, line) in block.lines.iter().enumerate() {
            let baseline = top + ASCENT * em + i as f64 * LINE_HEIGHT * em;
            self.text(line, block.font, x, baseline, align)?;
        }
        Ok(())
    }
}

/// [`Canvas`] over a plotters drawing area with the SVG backend. plotters works in whole pixels;
/// SVG viewers draw them as crisp as any.
pub(crate) struct SvgCanvas<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
}

fn draw_err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn px(p: Pt) -> (i32, i32) {
    (p.0.round() as i32, p.1.round() as i32)
}

fn width_px(w: f64) -> u32 {
    w.round().max(1.0) as u32
}

impl<'a, DB: DrawingBackend> SvgCanvas<'a, DB> {
    pub(crate) fn new(area: &'a DrawingArea<DB, Shift>) -> Self {
        SvgCanvas { area }
    }
}

impl<DB: DrawingBackend> Canvas for SvgCanvas<'_, DB> {
    fn fill_polygon(&self, points: &[Pt], color: RGBAColor) -> Result<(), ChartError> {
        let pts: Vec<(i32, i32)> = points.iter().map(|&p| px(p)).collect();
        self.area
            .draw(&Polygon::new(pts, color.filled()))
            .map_err(draw_err)
    }

    fn fill_rect(&self, r: Rect, color: RGBAColor) -> Result<(), ChartError> {
        self.area
            .draw(&Rectangle::new(
                [px((r.x0, r.y0)), px((r.x1, r.y1))],
                color.filled(),
            ))
            .map_err(draw_err)
    }

    fn fill_circle(&self, c: Pt, radius: f64, color: RGBAColor) -> Result<(), ChartError> {
        let r = radius.round().max(1.0) as i32;
        self.area
            .draw(&Circle::new(px(c), r, color.filled()))
            .map_err(draw_err)
    }

    fn circle_outline(
        &self,
        c: Pt,
        radius: f64,
        color: RGBAColor,
        width: f64,
    ) -> Result<(), ChartError> {
        let r = radius.round().max(1.0) as i32;
        let style = ShapeStyle {
            color,
            filled: false,
            stroke_width: width_px(width),
        };
        self.area
            .draw(&Circle::new(px(c), r, style))
            .map_err(draw_err)
    }

    fn line(&self, points: &[Pt], color: RGBAColor, width: f64) -> Result<(), ChartError> {
        let style = ShapeStyle {
            color,
            filled: false,
            stroke_width: width_px(width),
        };
        let mut pts: Vec<(i32, i32)> = points.iter().map(|&p| px(p)).collect();
        pts.dedup();
        let closed = pts.len() > 3 && pts.first() == pts.last();
        if !closed || style.stroke_width <= 1 {
            return self
                .area
                .draw(&PathElement::new(pts, style))
                .map_err(draw_err);
        }
        // A closed path drawn as one <polyline> gets no join at its start. Two open halves
        // that overlap by a segment get a proper join at every vertex; the overlap is harmless
        // because outlines are opaque.
        pts.pop();
        let n = pts.len();
        let k = n / 2;
        let first: Vec<(i32, i32)> = pts[..=k].to_vec();
        let second: Vec<(i32, i32)> = (k - 1..=n + 1).map(|i| pts[i % n]).collect();
        for half in [first, second] {
            self.area
                .draw(&PathElement::new(half, style))
                .map_err(draw_err)?;
        }
        Ok(())
    }

    fn dashed_line(
        &self,
        points: &[Pt],
        color: RGBAColor,
        width: f64,
        dash: f64,
        gap: f64,
    ) -> Result<(), ChartError> {
        let style = ShapeStyle {
            color,
            filled: false,
            stroke_width: width_px(width),
        };
        let mut pts: Vec<(i32, i32)> = points.iter().map(|&p| px(p)).collect();
        pts.dedup();
        let dash = dash.round().max(1.0) as i32;
        let gap = gap.round().max(1.0) as i32;
        self.area
            .draw(&DashedPathElement::new(pts, dash, gap, style))
            .map_err(draw_err)
    }

    fn text(
        &self,
        text: &str,
        font: Font,
        x: f64,
        baseline: f64,
        align: Align,
    ) -> Result<(), ChartError> {
        if text.is_empty() {
            return Ok(());
        }
        let h_pos = match align {
            Align::Left => HPos::Left,
            Align::Center => HPos::Center,
            Align::Right => HPos::Right,
        };
        let (desc, top_to_baseline) = svg_font(font.em, font.bold);
        // Anchor at the top and move the anchor up by the backend's own top-to-baseline
        // distance, so the baseline lands where the layout wants it.
        let top = baseline - top_to_baseline;
        let style = desc.color(&font.color).pos(Pos::new(h_pos, VPos::Top));
        let pos = (x.round() as i32, top.round() as i32);
        self.area.draw_text(text, &style, pos).map_err(draw_err)
    }
}
