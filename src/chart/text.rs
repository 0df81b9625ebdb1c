//! Embedded fonts, text measurement and line wrapping.
//!
//! All layout is done in "em pixels" (the font size a designer would write in CSS). Widths are
//! measured with ab_glyph, as the PNG surface draws them; plotters' SVG backend has its own idea
//! of a font size (it writes `size / 1.24`) and of the baseline, which [`svg_font`] corrects,
//! so the PNG and the SVG come out with the same layout.

use std::sync::OnceLock;

use plotters::style::{FontDesc, FontFamily, FontStyle, register_font};

use super::ChartError;

static REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// The embedded font files (DejaVu Sans regular and bold), for anything else that lays out
/// text with the same faces (the PDF reports).
pub fn embedded_fonts() -> [&'static [u8]; 2] {
    [REGULAR, BOLD]
}

/// The family name the fonts are registered under; the SVG output is rewritten to prefer
/// DejaVu Sans by name (see `svg_font_family`).
pub(crate) const FAMILY: &str = "sans-serif";

/// DejaVu Sans: (hhea ascent − hhea descent) / units per em = (1901 + 483) / 2048. ab_glyph scales
/// a font so that this height equals the requested pixel size.
const BITMAP_SIZE_PER_EM: f64 = 2384.0 / 2048.0;
/// The SVG backend writes `font-size = size / 1.24`.
const SVG_SIZE_PER_EM: f64 = 1.24;

/// Height above the baseline of capitals and ascenders, in em (DejaVu Sans cap height 0.729,
/// ascender of `d`/`l` 0.76).
pub(crate) const ASCENT: f64 = 0.76;
/// Depth below the baseline of descenders, in em.
pub(crate) const DESCENT: f64 = 0.24;
/// Height of capitals and digits, in em; numbers are centred on it.
pub(crate) const CAP_HEIGHT: f64 = 0.73;
/// Baseline-to-baseline distance of wrapped lines, in em.
pub(crate) const LINE_HEIGHT: f64 = 1.2;

/// Registers the embedded fonts with plotters exactly once.
///
/// A failure is remembered and returned on every later call, so a broken font file does not
/// turn into a panic in a request handler.
pub(crate) fn ensure_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // plotters' InvalidFont has neither Debug nor Display, so name the file ourselves.
            register_font(FAMILY, FontStyle::Normal, REGULAR)
                .map_err(|_| "DejaVuSans.ttf is not a valid font".to_string())?;
            register_font(FAMILY, FontStyle::Bold, BOLD)
                .map_err(|_| "DejaVuSans-Bold.ttf is not a valid font".to_string())
        })
        .clone()
        .map_err(ChartError::Font)
}

fn font_style(bold: bool) -> FontStyle {
    if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    }
}

/// The advance width of `text` at `em` pixels, as the PNG renderer will draw it.
pub(crate) fn text_width(text: &str, em: f64, bold: bool) -> Result<f64, ChartError> {
    // plotters reports whole pixels; measuring at a large reference size and scaling keeps the
    // sub-pixel precision that centring and right-alignment need at small sizes.
    const REFERENCE_EM: f64 = 200.0;
    let font = FontDesc::new(
        FontFamily::Name(FAMILY),
        REFERENCE_EM * BITMAP_SIZE_PER_EM,
        font_style(bold),
    );
    let ((x0, _), (x1, _)) = font
        .layout_box(text)
        .map_err(|e| ChartError::Font(e.to_string()))?;
    Ok(f64::from(x1 - x0) * em / REFERENCE_EM)
}

/// Greedy word wrap to `max_width`; a single word longer than the width keeps its own line.
pub(crate) fn wrap(
    text: &str,
    em: f64,
    bold: bool,
    max_width: f64,
) -> Result<Vec<String>, ChartError> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if current.is_empty() {
            current.push_str(word);
            continue;
        }
        let candidate = format!("{current} {word}");
        if text_width(&candidate, em, bold)? <= max_width {
            current = candidate;
        } else {
            lines.push(std::mem::take(&mut current));
            current.push_str(word);
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    Ok(lines)
}

/// Shortens `text` with a trailing ellipsis until it fits `max_width`.
pub(crate) fn truncate(
    text: &str,
    em: f64,
    bold: bool,
    max_width: f64,
) -> Result<String, ChartError> {
    if text_width(text, em, bold)? <= max_width {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (0..chars.len()).rev() {
        let candidate: String = chars[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
        if text_width(&candidate, em, bold)? <= max_width {
            return Ok(candidate);
        }
    }
    Ok("…".to_string())
}

/// plotters' SVG font for `em` pixels, and the distance from a top-anchored text position down
/// to its baseline (the SVG backend writes `dy="0.76em"` for a top anchor).
pub(crate) fn svg_font(em: f64, bold: bool) -> (FontDesc<'static>, f64) {
    (
        FontDesc::new(
            FontFamily::Name(FAMILY),
            em * SVG_SIZE_PER_EM,
            font_style(bold),
        ),
        em * 0.76,
    )
}

/// The embedded font file (regular or bold), for the raster surface's own glyph rendering.
pub(crate) fn font_bytes(bold: bool) -> &'static [u8] {
    if bold { BOLD } else { REGULAR }
}

/// The ab_glyph scale that makes a font's em `em` pixels (ab_glyph scales the ascent-to-descent
/// height, not the em).
pub(crate) fn glyph_scale(em: f64) -> f32 {
    (em * BITMAP_SIZE_PER_EM) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_scale_linearly_and_bold_is_wider() {
        ensure_fonts().unwrap();
        let w10 = text_width("Pemerintahan", 10.0, false).unwrap();
        let w20 = text_width("Pemerintahan", 20.0, false).unwrap();
        assert!(w10 > 50.0 && w10 < 100.0, "{w10}");
        assert!((w20 - 2.0 * w10).abs() < 0.01);
        assert!(text_width("Pemerintahan", 10.0, true).unwrap() > w10);
    }

    #[test]
    fn wrap_and_truncate() {
        ensure_fonts().unwrap();
        let lines = wrap("Tata Kelola Pemerintahan", 14.0, false, 100.0).unwrap();
        assert_eq!(lines, ["Tata Kelola", "Pemerintahan"]);
        assert_eq!(wrap("", 14.0, false, 100.0).unwrap(), [""]);
        let t = truncate("Kecamatan Sumbersari", 14.0, false, 80.0).unwrap();
        assert!(t.ends_with('…') && text_width(&t, 14.0, false).unwrap() <= 80.0);
    }
}
