//! The PNG surface: a [`Canvas`] that rasterises at the final size with antialiasing.
//!
//! Shapes go through tiny-skia (analytic antialiasing of polygons and strokes, no
//! supersampling needed). Text is drawn from the embedded fonts' outlines with ab_glyph at
//! fractional pen positions, so letter spacing stays even at small sizes; each glyph's coverage
//! is cached per size and quarter-pixel offset, since a chart repeats the same few dozen glyphs.
//! Encoding the pixels is `raster`'s business, layout the chart kinds'.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, GlyphId, ScaleFont as _, point};
use plotters::style::{RGBAColor, RGBColor};
use tiny_skia::{
    FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, StrokeDash, Transform,
};

use super::ChartError;
use super::canvas::{Align, Canvas, Font, Pt, Rect};
use super::text::{font_bytes, glyph_scale, text_width};

/// Sub-pixel glyph positions are rounded to this fraction of a pixel: finer than the eye can
/// tell at chart sizes, coarse enough that the cache hits.
const SUBPIXEL: f32 = 4.0;
/// Glyph cache entries per thread before it is cleared; a chart uses a few hundred.
const CACHE_LIMIT: usize = 8192;

fn fonts() -> Result<&'static [FontRef<'static>; 2], ChartError> {
    static FONTS: OnceLock<Result<[FontRef<'static>; 2], String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let load = |bold: bool| {
                FontRef::try_from_slice(font_bytes(bold))
                    .map_err(|e| format!("embedded font (bold: {bold}) is invalid: {e}"))
            };
            Ok([load(false)?, load(true)?])
        })
        .as_ref()
        .map_err(|e| ChartError::Font(e.clone()))
}

/// One glyph's coverage, placed relative to the rounded pen position.
struct GlyphMask {
    left: i32,
    top: i32,
    width: usize,
    coverage: Vec<u8>,
}

/// Glyph id, bold, size in 1/64 px, quarter-pixel x and y offsets.
type GlyphKey = (GlyphId, bool, u32, u8, u8);

thread_local! {
    static GLYPHS: RefCell<HashMap<GlyphKey, Option<GlyphMask>>> = RefCell::new(HashMap::new());
}

fn rasterise_glyph(font: &FontRef<'static>, key: GlyphKey) -> Option<GlyphMask> {
    let (id, _, size, fx, fy) = key;
    let scale = size as f32 / 64.0;
    let glyph = id.with_scale_and_position(
        scale,
        point(f32::from(fx) / SUBPIXEL, f32::from(fy) / SUBPIXEL),
    );
    let outlined = font.outline_glyph(glyph)?;
    let bounds = outlined.px_bounds();
    let width = bounds.width() as usize;
    let height = bounds.height() as usize;
    let mut coverage = vec![0u8; width * height];
    outlined.draw(|x, y, c| {
        if let Some(v) = coverage.get_mut(y as usize * width + x as usize) {
            *v = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    });
    Some(GlyphMask {
        left: bounds.min.x as i32,
        top: bounds.min.y as i32,
        width,
        coverage,
    })
}

/// [`Canvas`] over a tiny-skia pixmap, white to start with.
pub(crate) struct PixmapCanvas {
    pixmap: RefCell<Pixmap>,
}

fn paint(color: RGBAColor) -> Paint<'static> {
    let mut paint = Paint::default();
    let RGBAColor(r, g, b, a) = color;
    paint.set_color_rgba8(r, g, b, (a.clamp(0.0, 1.0) * 255.0).round() as u8);
    paint.anti_alias = true;
    paint
}

/// Moves an axis-aligned polyline of odd integer width onto pixel centres so it lands on whole
/// pixels instead of blurring across two; grid lines and axes are the common case.
fn snap(points: &[Pt], width: f64) -> Vec<Pt> {
    let w = width.round();
    let axis_aligned = points
        .windows(2)
        .all(|s| s[0].0 == s[1].0 || s[0].1 == s[1].1);
    if !axis_aligned || (w - width).abs() > 0.01 || w % 2.0 != 1.0 {
        return points.to_vec();
    }
    let centre = |v: f64| v.floor() + 0.5;
    points
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            // A coordinate that stays constant along an adjacent segment is the one to snap.
            let neighbours = [i.checked_sub(1), Some(i + 1)]
                .into_iter()
                .flatten()
                .filter_map(|j| points.get(j));
            let (mut vertical, mut horizontal) = (false, false);
            for q in neighbours {
                vertical |= q.0 == x;
                horizontal |= q.1 == y;
            }
            (
                if vertical { centre(x) } else { x },
                if horizontal { centre(y) } else { y },
            )
        })
        .collect()
}

/// The path through `points`, closed when `close` is set.
fn path(points: &[Pt], close: bool) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0 as f32, first.1 as f32);
    for p in rest {
        pb.line_to(p.0 as f32, p.1 as f32);
    }
    if close {
        pb.close();
    }
    pb.finish()
}

impl PixmapCanvas {
    /// A white `width`×`height` surface.
    pub(crate) fn new(width: u32, height: u32) -> Result<PixmapCanvas, ChartError> {
        let mut pixmap = Pixmap::new(width, height)
            .ok_or_else(|| ChartError::Draw(format!("cannot allocate {width}×{height} pixels")))?;
        pixmap.fill(tiny_skia::Color::WHITE);
        Ok(PixmapCanvas {
            pixmap: RefCell::new(pixmap),
        })
    }

    /// The pixels as RGBA rows. The surface starts opaque and every paint is blended over it,
    /// so alpha is always 255 and premultiplied equals straight colour.
    pub(crate) fn into_rgba(self) -> Vec<u8> {
        self.pixmap.into_inner().take()
    }

    fn stroke(&self, points: &[Pt], color: RGBAColor, width: f64, dash: Option<(f64, f64)>) {
        let points = snap(points, width);
        // A polyline that ends where it starts is an outline: closed, so its start gets a join.
        let closed = points.len() > 3 && points.first() == points.last();
        let Some(path) = path(&points, closed) else {
            return;
        };
        let stroke = Stroke {
            width: width.max(0.5) as f32,
            line_cap: LineCap::Butt,
            line_join: LineJoin::Round,
            dash: dash.and_then(|(d, g)| StrokeDash::new(vec![d as f32, g as f32], 0.0)),
            ..Stroke::default()
        };
        self.pixmap.borrow_mut().stroke_path(
            &path,
            &paint(color),
            &stroke,
            Transform::identity(),
            None,
        );
    }

    /// Blends one glyph's coverage in `color` with its origin at pixel (`x`, `y`).
    fn blend(&self, mask: &GlyphMask, x: i32, y: i32, color: RGBColor) {
        let mut pixmap = self.pixmap.borrow_mut();
        let (w, h) = (pixmap.width() as i32, pixmap.height() as i32);
        let data = pixmap.data_mut();
        let src = [u32::from(color.0), u32::from(color.1), u32::from(color.2)];
        for (row, cov_row) in mask.coverage.chunks_exact(mask.width.max(1)).enumerate() {
            let py = y + mask.top + row as i32;
            if !(0..h).contains(&py) {
                continue;
            }
            for (col, &c) in cov_row.iter().enumerate() {
                let px = x + mask.left + col as i32;
                if c == 0 || !(0..w).contains(&px) {
                    continue;
                }
                let i = (py * w + px) as usize * 4;
                let a = u32::from(c);
                for k in 0..3 {
                    let d = u32::from(data[i + k]);
                    data[i + k] = ((src[k] * a + d * (255 - a) + 127) / 255) as u8;
                }
            }
        }
    }
}

impl Canvas for PixmapCanvas {
    fn fill_polygon(&self, points: &[Pt], color: RGBAColor) -> Result<(), ChartError> {
        if let Some(path) = path(points, true) {
            self.pixmap.borrow_mut().fill_path(
                &path,
                &paint(color),
                FillRule::EvenOdd,
                Transform::identity(),
                None,
            );
        }
        Ok(())
    }

    fn fill_rect(&self, r: Rect, color: RGBAColor) -> Result<(), ChartError> {
        // Whole-pixel edges keep bars and swatches crisp.
        let (x0, y0) = (r.x0.min(r.x1).round(), r.y0.min(r.y1).round());
        let (x1, y1) = (r.x0.max(r.x1).round(), r.y0.max(r.y1).round());
        if let Some(rect) = tiny_skia::Rect::from_ltrb(x0 as f32, y0 as f32, x1 as f32, y1 as f32) {
            self.pixmap
                .borrow_mut()
                .fill_rect(rect, &paint(color), Transform::identity(), None);
        }
        Ok(())
    }

    fn fill_circle(&self, c: Pt, radius: f64, color: RGBAColor) -> Result<(), ChartError> {
        if let Some(path) = PathBuilder::from_circle(c.0 as f32, c.1 as f32, radius as f32) {
            self.pixmap.borrow_mut().fill_path(
                &path,
                &paint(color),
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
        Ok(())
    }

    fn circle_outline(
        &self,
        c: Pt,
        radius: f64,
        color: RGBAColor,
        width: f64,
    ) -> Result<(), ChartError> {
        if let Some(path) = PathBuilder::from_circle(c.0 as f32, c.1 as f32, radius as f32) {
            let stroke = Stroke {
                width: width.max(0.5) as f32,
                ..Stroke::default()
            };
            self.pixmap.borrow_mut().stroke_path(
                &path,
                &paint(color),
                &stroke,
                Transform::identity(),
                None,
            );
        }
        Ok(())
    }

    fn line(&self, points: &[Pt], color: RGBAColor, width: f64) -> Result<(), ChartError> {
        self.stroke(points, color, width, None);
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
        self.stroke(points, color, width, Some((dash, gap)));
        Ok(())
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
        let face = &fonts()?[usize::from(font.bold)];
        let scale = glyph_scale(font.em);
        let scaled = face.as_scaled(scale);
        let left = match align {
            Align::Left => x,
            Align::Center => x - text_width(text, font.em, font.bold)? / 2.0,
            Align::Right => x - text_width(text, font.em, font.bold)?,
        };
        let size = (scale * 64.0).round() as u32;
        let quantise = |v: f32| {
            let whole = v.floor();
            let frac = ((v - whole) * SUBPIXEL).round();
            // A fraction that rounds up to a whole pixel moves to the next one.
            if frac >= SUBPIXEL {
                (whole as i32 + 1, 0u8)
            } else {
                (whole as i32, frac as u8)
            }
        };
        let (py, fy) = quantise(baseline as f32);
        let mut pen = left as f32;
        GLYPHS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.len() > CACHE_LIMIT {
                cache.clear();
            }
            for ch in text.chars() {
                let id = face.glyph_id(ch);
                let (px, fx) = quantise(pen);
                let key = (id, font.bold, size, fx, fy);
                let mask = cache
                    .entry(key)
                    .or_insert_with(|| rasterise_glyph(face, key));
                if let Some(mask) = mask {
                    self.blend(mask, px, py, font.color);
                }
                pen += scaled.h_advance(id);
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::Color;

    fn pixel(rgba: &[u8], width: u32, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * width + x) * 4) as usize;
        [rgba[i], rgba[i + 1], rgba[i + 2]]
    }

    #[test]
    fn shapes_and_text_land_where_asked() {
        super::super::text::ensure_fonts().unwrap();
        let c = PixmapCanvas::new(100, 60).unwrap();
        let red = RGBColor(200, 0, 0);
        c.fill_rect(
            Rect {
                x0: 10.0,
                y0: 10.0,
                x1: 30.0,
                y1: 20.0,
            },
            red.mix(1.0),
        )
        .unwrap();
        c.line(
            &[(0.0, 40.0), (100.0, 40.0)],
            RGBColor(0, 0, 0).mix(1.0),
            1.0,
        )
        .unwrap();
        let font = Font {
            em: 14.0,
            bold: false,
            color: RGBColor(0, 0, 200),
        };
        c.text("Jember", font, 50.0, 30.0, Align::Left).unwrap();
        let rgba = c.into_rgba();
        assert_eq!(pixel(&rgba, 100, 20, 15), [200, 0, 0]);
        assert_eq!(pixel(&rgba, 100, 5, 5), [255, 255, 255]);
        // A 1-pixel horizontal line on an integer y is snapped onto one row, fully dark.
        assert_eq!(pixel(&rgba, 100, 50, 40), [0, 0, 0]);
        assert_eq!(pixel(&rgba, 100, 50, 41), [255, 255, 255]);
        // Some text pixel is blue, none left of the anchor.
        let blue = (0..60).any(|y| {
            (50..100).any(|x| pixel(&rgba, 100, x, y)[2] > 150 && pixel(&rgba, 100, x, y)[0] < 80)
        });
        assert!(blue);
        assert!((0..60).all(|y| (40..49).all(|x| pixel(&rgba, 100, x, y)[0] > 200 || y == 40)));
    }
}
