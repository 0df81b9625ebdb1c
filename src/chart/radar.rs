//! Layout and drawing of the radar (spider) chart.
//!
//! Layout happens first, entirely in output pixels: header, footer, legend placement, and the
//! radar's centre and radius chosen so that every axis label fits inside the image without
//! touching the grid. Drawing then only paints what the layout decided.

use plotters::style::{Color, RGBAColor, RGBColor, WHITE};

use super::canvas::{Align, Canvas, Font, Pt, Rect, TextBlock};
use super::text::{ASCENT, CAP_HEIGHT, text_width, truncate, wrap};
use super::{ChartError, RadarChart};
use crate::i18n::format_number;

/// Okabe–Ito colours, safe for the common forms of colour blindness. Blue goes to the first
/// series (the current period); yellow is left out because it vanishes on white.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x00, 0x00), // black
];

/// Dash patterns (dash, gap) in units of the layout scale for overlay series, so overlays
/// stay distinguishable in greyscale prints too.
const DASHES: [(f64, f64); 3] = [(7.0, 4.0), (2.5, 3.0), (12.0, 4.0)];

const TITLE_COLOR: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
const SUBTITLE_COLOR: RGBColor = RGBColor(0x5C, 0x5C, 0x5C);
const AXIS_LABEL_COLOR: RGBColor = RGBColor(0x26, 0x26, 0x26);
const TICK_COLOR: RGBColor = RGBColor(0x80, 0x80, 0x80);
const SOURCE_COLOR: RGBColor = RGBColor(0x70, 0x70, 0x70);
const LEGEND_COLOR: RGBColor = RGBColor(0x33, 0x33, 0x33);
const GRID_COLOR: RGBColor = RGBColor(0xDC, 0xDC, 0xDC);
const OUTER_GRID_COLOR: RGBColor = RGBColor(0xB4, 0xB4, 0xB4);

/// Space between the radar's labels and the legend, in layout units.
const LEGEND_GAP: f64 = 24.0;

/// Number of grid rings (0–20–40–60–80–100 for a maximum of 100).
const RINGS: usize = 5;

/// All sizes of one rendering, derived from the image size.
struct Metrics {
    /// Layout unit: 1.0 at 800×500 and proportional to the height, unless the image is so
    /// narrow (portrait) that the width has to set the scale for the labels to fit.
    u: f64,
    margin: f64,
    title: Font,
    subtitle: Font,
    axis: Font,
    tick: Font,
    value: Font,
    legend: Font,
    source: Font,
}

impl Metrics {
    fn new(width: f64, height: f64) -> Metrics {
        let u = (width / 640.0).min(height / 500.0);
        // Below ~8 px DejaVu stops being readable, whatever the image size.
        let em = |px: f64| (px * u).max(8.0);
        let font = |px: f64, bold: bool, color: RGBColor| Font {
            em: em(px),
            bold,
            color,
        };
        Metrics {
            u,
            margin: 20.0 * u,
            title: font(24.0, true, TITLE_COLOR),
            subtitle: font(14.5, false, SUBTITLE_COLOR),
            axis: font(14.0, false, AXIS_LABEL_COLOR),
            tick: font(10.0, false, TICK_COLOR),
            value: font(12.0, true, PALETTE[0]),
            legend: font(13.0, false, LEGEND_COLOR),
            source: font(11.0, false, SOURCE_COLOR),
        }
    }
}

fn block(lines: Vec<String>, font: Font) -> Result<TextBlock, ChartError> {
    let mut width: f64 = 0.0;
    for line in &lines {
        width = width.max(text_width(line, font.em, font.bold)?);
    }
    Ok(TextBlock { lines, font, width })
}

/// Wraps `text` to at most `max_lines` lines of `max_width`, truncating the last one.
fn wrapped_block(
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

/// Unit vector of axis `i` of `n`: the first axis points up, the rest follow clockwise.
fn direction(i: usize, n: usize) -> Pt {
    let angle = std::f64::consts::TAU * i as f64 / n as f64;
    (angle.sin(), -angle.cos())
}

/// A radar's geometry.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    c: Pt,
    r: f64,
}

impl Geometry {
    fn at(&self, dir: Pt, radius: f64) -> Pt {
        (self.c.0 + dir.0 * radius, self.c.1 + dir.1 * radius)
    }
}

struct AxisLabel {
    block: TextBlock,
    dir: Pt,
}

impl AxisLabel {
    /// The label's box relative to its anchor, the point `gap` beyond the outer ring on the
    /// axis. Horizontally the text grows away from the radar (see [`AxisLabel::align`]);
    /// vertically the box slides from above the anchor (top axis) through centred on it (side
    /// axes) to below it (bottom axis), so the text never reaches back over the grid.
    fn offsets(&self) -> Rect {
        let (w, h) = (self.block.width, self.block.height());
        let (x0, x1) = match self.align() {
            Align::Left => (0.0, w),
            Align::Right => (-w, 0.0),
            Align::Center => (-w / 2.0, w / 2.0),
        };
        let mid = self.dir.1 * h / 2.0;
        Rect {
            x0,
            y0: mid - h / 2.0,
            x1,
            y1: mid + h / 2.0,
        }
    }

    /// The label's box for a radar of the given geometry.
    fn rect(&self, g: Geometry, gap: f64) -> Rect {
        let p = g.at(self.dir, g.r + gap);
        let o = self.offsets();
        Rect {
            x0: p.0 + o.x0,
            y0: p.1 + o.y0,
            x1: p.0 + o.x1,
            y1: p.1 + o.y1,
        }
    }

    fn align(&self) -> Align {
        // Labels right of the radar grow rightwards, labels left of it grow leftwards, so a
        // browser substituting a wider font for DejaVu in the SVG pushes text away from the plot.
        if self.dir.0 > 0.25 {
            Align::Left
        } else if self.dir.0 < -0.25 {
            Align::Right
        } else {
            Align::Center
        }
    }
}

/// The radius limits `(lo, hi)` that one coordinate of the centre puts on the radar: every
/// edge of every label box is linear in the radius, and involves either the centre's x (left
/// and right edges) or its y (top and bottom), never both. `x` picks which coordinate `v` is.
fn axis_limits(v: f64, x: bool, labels: &[AxisLabel], gap: f64, bounds: &Rect) -> (f64, f64) {
    // Constraint `a * r + b >= 0`.
    let mut lo: f64 = 0.0;
    let mut hi = f64::INFINITY;
    let mut add = |a: f64, b: f64| {
        if a < -1e-9 {
            hi = hi.min(b / -a);
        } else if a > 1e-9 {
            lo = lo.max(-b / a);
        } else if b < 0.0 {
            hi = f64::NEG_INFINITY;
        }
    };
    let (start, end) = if x {
        (bounds.x0, bounds.x1)
    } else {
        (bounds.y0, bounds.y1)
    };
    for label in labels {
        let s = if x { label.dir.0 } else { label.dir.1 };
        let o = label.offsets();
        let (o0, o1) = if x { (o.x0, o.x1) } else { (o.y0, o.y1) };
        add(s, v + gap * s + o0 - start);
        add(-s, end - v - gap * s - o1);
        // The grid vertex itself.
        add(s, v - start);
        add(-s, end - v);
    }
    (lo, hi)
}

/// The largest radius allowed by both coordinates' limits, if any.
fn radius_within(x: (f64, f64), y: (f64, f64)) -> Option<f64> {
    let (lo, hi) = (x.0.max(y.0), x.1.min(y.1));
    (hi.is_finite() && hi >= lo && hi > 0.0).then_some(hi)
}

/// The largest radius for centre `c` such that the grid and all labels stay inside `bounds`,
/// or `None` if no radius works.
fn max_radius(c: Pt, labels: &[AxisLabel], gap: f64, bounds: &Rect) -> Option<f64> {
    radius_within(
        axis_limits(c.0, true, labels, gap, bounds),
        axis_limits(c.1, false, labels, gap, bounds),
    )
}

/// Finds the centre and radius that give the largest radar in `bounds`.
///
/// Labels of different lengths make the best centre asymmetric, so this searches a grid of
/// centres; among near-best ones it prefers the one closest to the middle of `bounds`, which
/// keeps symmetric charts symmetric. The limits are separable in x and y, so each column and
/// each row of the grid is evaluated once, not each of its points.
fn fit(labels: &[AxisLabel], gap: f64, bounds: &Rect) -> Option<Geometry> {
    const STEPS: usize = 48;
    let mid = ((bounds.x0 + bounds.x1) / 2.0, (bounds.y0 + bounds.y1) / 2.0);
    let at = |start: f64, len: f64, i: usize| start + len * i as f64 / STEPS as f64;
    let columns: Vec<(f64, (f64, f64))> = (0..=STEPS)
        .map(|i| at(bounds.x0, bounds.width(), i))
        .map(|x| (x, axis_limits(x, true, labels, gap, bounds)))
        .collect();
    let rows: Vec<(f64, (f64, f64))> = (0..=STEPS)
        .map(|j| at(bounds.y0, bounds.height(), j))
        .map(|y| (y, axis_limits(y, false, labels, gap, bounds)))
        .collect();
    let mut candidates = Vec::with_capacity((STEPS + 1) * (STEPS + 1));
    for &(x, lx) in &columns {
        for &(y, ly) in &rows {
            if let Some(r) = radius_within(lx, ly) {
                candidates.push(Geometry { c: (x, y), r });
            }
        }
    }
    let best = candidates.iter().map(|g| g.r).fold(0.0, f64::max);
    if best <= 0.0 {
        return None;
    }
    let dist = |g: &Geometry| (g.c.0 - mid.0).hypot(g.c.1 - mid.1);
    candidates
        .into_iter()
        .filter(|g| g.r >= best * 0.97)
        .min_by(|a, b| dist(a).total_cmp(&dist(b)))
        .map(|g| Geometry {
            // Refine the centre with the exact radius for it.
            r: max_radius(g.c, labels, gap, bounds).unwrap_or(g.r),
            c: g.c,
        })
}

/// Moves the radar (and places the legend next to it) so that radar, labels and legend
/// together sit in the middle of `plot`; returns the moved geometry and the legend's box.
fn centre_group(
    g: Geometry,
    labels: &[AxisLabel],
    gap: f64,
    legend: Option<&Legend>,
    plot: &Rect,
    u: f64,
) -> (Geometry, Option<(Legend, Rect)>) {
    let mut content = Rect {
        x0: g.c.0 - g.r,
        y0: g.c.1 - g.r,
        x1: g.c.0 + g.r,
        y1: g.c.1 + g.r,
    };
    for l in labels {
        let r = l.rect(g, gap);
        content = Rect {
            x0: content.x0.min(r.x0),
            y0: content.y0.min(r.y0),
            x1: content.x1.max(r.x1),
            y1: content.y1.max(r.y1),
        };
    }
    let legend_gap = LEGEND_GAP * u;
    let mut group = content;
    match legend {
        Some(l) if l.placement == LegendPlacement::Right => {
            group.x1 = content.x1 + legend_gap + l.width();
        }
        Some(l) => group.y1 = content.y1 + legend_gap * 0.75 + l.height(),
        None => {}
    }
    // Centre, but never push anything out of the plot area.
    let shift = |lo: f64, hi: f64, min: f64, max: f64| {
        let want = ((min + max) - (lo + hi)) / 2.0;
        want.clamp((min - lo).min(0.0), (max - hi).max(0.0))
    };
    let dx = shift(group.x0, group.x1, plot.x0, plot.x1);
    let dy = shift(group.y0, group.y1, plot.y0, plot.y1);
    let g = Geometry {
        c: (g.c.0 + dx, g.c.1 + dy),
        r: g.r,
    };
    let legend_box = legend.map(|l| {
        let r = match l.placement {
            LegendPlacement::Right => {
                let x0 = content.x1 + dx + legend_gap;
                let y0 =
                    (g.c.1 - l.height() / 2.0).clamp(plot.y0, (plot.y1 - l.height()).max(plot.y0));
                Rect {
                    x0,
                    y0,
                    x1: x0 + l.width(),
                    y1: y0 + l.height(),
                }
            }
            LegendPlacement::Bottom => {
                let y0 = content.y1 + dy + legend_gap * 0.75;
                Rect {
                    x0: plot.x0,
                    y0,
                    x1: plot.x1,
                    y1: y0 + l.height(),
                }
            }
        };
        (l.clone(), r)
    });
    (g, legend_box)
}

/// True if any two label boxes overlap.
fn labels_overlap(labels: &[AxisLabel], g: Geometry, gap: f64, pad: f64) -> bool {
    let rects: Vec<Rect> = labels.iter().map(|l| l.rect(g, gap).inflate(pad)).collect();
    rects
        .iter()
        .enumerate()
        .any(|(i, a)| rects[i + 1..].iter().any(|b| a.intersects(b)))
}

/// How an overlay or the emphasised series is stroked.
#[derive(Debug, Clone, Copy)]
enum Stroke {
    Solid,
    Dashed(f64, f64),
}

struct SeriesStyle {
    color: RGBColor,
    width: f64,
    stroke: Stroke,
    fill: bool,
}

#[derive(Clone)]
struct LegendEntry {
    block: TextBlock,
    style_index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegendPlacement {
    Right,
    Bottom,
}

#[derive(Clone)]
struct Legend {
    entries: Vec<LegendEntry>,
    placement: LegendPlacement,
    swatch: f64,
    swatch_gap: f64,
    /// Vertical gap between entries (right) or horizontal gap (bottom).
    spacing: f64,
    /// Rows of entry indices (bottom placement) with their total widths.
    rows: Vec<(Vec<usize>, f64)>,
}

impl Legend {
    fn entry_width(&self, e: &LegendEntry) -> f64 {
        self.swatch + self.swatch_gap + e.block.width
    }

    fn width(&self) -> f64 {
        match self.placement {
            LegendPlacement::Right => self
                .entries
                .iter()
                .map(|e| self.entry_width(e))
                .fold(0.0, f64::max),
            LegendPlacement::Bottom => self.rows.iter().map(|r| r.1).fold(0.0, f64::max),
        }
    }

    fn row_height(&self, idx: &[usize]) -> f64 {
        idx.iter()
            .map(|&i| self.entries[i].block.height())
            .fold(0.0, f64::max)
    }

    fn height(&self) -> f64 {
        match self.placement {
            LegendPlacement::Right => {
                let total: f64 = self.entries.iter().map(|e| e.block.height()).sum();
                total + self.spacing * (self.entries.len().saturating_sub(1)) as f64
            }
            LegendPlacement::Bottom => {
                let total: f64 = self.rows.iter().map(|(r, _)| self.row_height(r)).sum();
                total + self.spacing * 0.6 * (self.rows.len().saturating_sub(1)) as f64
            }
        }
    }
}

/// One value label (or missing-value marker) near a vertex of the emphasised series.
struct ValueLabel {
    text: String,
    font: Font,
    rect: Rect,
}

/// Everything needed to paint: computed once, then drawn.
struct Layout {
    m: Metrics,
    title: TextBlock,
    title_top: f64,
    subtitle: Option<(TextBlock, f64)>,
    source: Option<(TextBlock, f64)>,
    geometry: Geometry,
    labels: Vec<AxisLabel>,
    label_gap: f64,
    legend: Option<(Legend, Rect)>,
    styles: Vec<SeriesStyle>,
}

fn series_styles(chart: &RadarChart, m: &Metrics) -> Vec<SeriesStyle> {
    let mut overlay = 0;
    chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let color = PALETTE[i % PALETTE.len()];
            if s.emphasis {
                SeriesStyle {
                    color,
                    width: (2.5 * m.u).max(1.5),
                    stroke: Stroke::Solid,
                    fill: true,
                }
            } else {
                let (dash, gap) = DASHES[overlay % DASHES.len()];
                overlay += 1;
                SeriesStyle {
                    color,
                    width: (2.0 * m.u).max(1.0),
                    stroke: Stroke::Dashed(dash * m.u, gap * m.u),
                    fill: false,
                }
            }
        })
        .collect()
}

fn build_legend(
    chart: &RadarChart,
    m: &Metrics,
    placement: LegendPlacement,
    width: f64,
) -> Result<Legend, ChartError> {
    let swatch = 26.0 * m.u;
    let swatch_gap = 8.0 * m.u;
    let max_text = match placement {
        LegendPlacement::Right => width * 0.24,
        LegendPlacement::Bottom => width - 2.0 * m.margin - swatch - swatch_gap,
    };
    let entries = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(LegendEntry {
                block: wrapped_block(&s.label, m.legend, max_text, 3)?,
                style_index: i,
            })
        })
        .collect::<Result<Vec<_>, ChartError>>()?;
    let spacing = match placement {
        LegendPlacement::Right => 12.0 * m.u,
        LegendPlacement::Bottom => 22.0 * m.u,
    };
    let mut legend = Legend {
        entries,
        placement,
        swatch,
        swatch_gap,
        spacing,
        rows: Vec::new(),
    };
    if let LegendPlacement::Bottom = legend.placement {
        let avail = width - 2.0 * m.margin;
        let mut rows: Vec<(Vec<usize>, f64)> = Vec::new();
        for (i, e) in legend.entries.iter().enumerate() {
            let w = legend.entry_width(e);
            match rows.last_mut() {
                Some((idx, total)) if *total + spacing + w <= avail => {
                    idx.push(i);
                    *total += spacing + w;
                }
                _ => rows.push((vec![i], w)),
            }
        }
        legend.rows = rows;
    }
    Ok(legend)
}

fn axis_labels(
    chart: &RadarChart,
    m: &Metrics,
    max_width: f64,
) -> Result<Vec<AxisLabel>, ChartError> {
    let n = chart.axes.len();
    chart
        .axes
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Ok(AxisLabel {
                block: wrapped_block(name, m.axis, max_width, 3)?,
                dir: direction(i, n),
            })
        })
        .collect()
}

fn layout(chart: &RadarChart, width: f64, height: f64) -> Result<Layout, ChartError> {
    let m = Metrics::new(width, height);
    let inner = width - 2.0 * m.margin;

    // Header: a long title first shrinks a little, then wraps to two lines, then is truncated;
    // the subtitle may wrap once.
    let full = text_width(&chart.title, m.title.em, true)?;
    let title = if full <= inner {
        wrapped_block(&chart.title, m.title, inner, 1)?
    } else if full * 0.85 <= inner {
        let font = Font {
            // A hair under the exact fit, so rounding cannot trigger truncation.
            em: m.title.em * inner / full * 0.998,
            ..m.title
        };
        wrapped_block(&chart.title, font, inner, 1)?
    } else {
        wrapped_block(&chart.title, m.title, inner, 2)?
    };
    let title_top = m.margin;
    let mut header_bottom = title_top + title.height();
    let subtitle = if chart.subtitle.trim().is_empty() {
        None
    } else {
        let top = header_bottom + 7.0 * m.u;
        let b = wrapped_block(&chart.subtitle, m.subtitle, inner, 2)?;
        header_bottom = top + b.height();
        Some((b, top))
    };

    // Footer: one line, truncated.
    let mut footer_top = height - m.margin * 0.8;
    let source = if chart.source.trim().is_empty() {
        None
    } else {
        let b = wrapped_block(&chart.source, m.source, inner, 1)?;
        footer_top -= b.height();
        Some((b, footer_top))
    };

    let plot = Rect {
        x0: m.margin,
        y0: header_bottom + 14.0 * m.u,
        x1: width - m.margin,
        y1: footer_top - 12.0 * m.u,
    };
    let label_gap = 9.0 * m.u;
    let styles = series_styles(chart, &m);

    // Try each legend placement, and one- or multi-line axis labels; keep the biggest radar
    // whose labels do not collide.
    let legend_placements: Vec<Option<LegendPlacement>> = if chart.series.len() > 1 {
        vec![Some(LegendPlacement::Right), Some(LegendPlacement::Bottom)]
    } else {
        vec![None]
    };
    // Unlimited, then wrapped narrower and narrower (many axes leave little room per label).
    let label_widths = [f64::INFINITY, width * 0.2, width * 0.13];
    struct Candidate {
        score: f64,
        geometry: Geometry,
        labels: Vec<AxisLabel>,
        legend: Option<(Legend, Rect)>,
    }
    let mut best: Option<Candidate> = None;
    for placement in legend_placements {
        let legend = match placement {
            Some(p) => Some(build_legend(chart, &m, p, width)?),
            None => None,
        };
        let legend_gap = LEGEND_GAP * m.u;
        let bounds = match &legend {
            Some(l) if l.placement == LegendPlacement::Right => Rect {
                x1: plot.x1 - l.width() - legend_gap,
                ..plot
            },
            Some(l) => Rect {
                y1: plot.y1 - l.height() - legend_gap * 0.75,
                ..plot
            },
            None => plot,
        };
        if bounds.width() <= 0.0 || bounds.height() <= 0.0 {
            continue;
        }
        for &max_label_width in &label_widths {
            let labels = axis_labels(chart, &m, max_label_width)?;
            let Some(g) = fit(&labels, label_gap, &bounds) else {
                continue;
            };
            let overlaps = labels_overlap(&labels, g, label_gap, 2.0 * m.u);
            // Prefer single-line labels unless wrapping buys a clearly bigger radar; take
            // overlapping labels only when nothing else fits.
            let mut score = if overlaps { g.r * 1e-3 } else { g.r };
            if max_label_width.is_finite() {
                score *= 0.92;
            }
            if best.as_ref().is_none_or(|b| score > b.score) {
                let (geometry, legend) =
                    centre_group(g, &labels, label_gap, legend.as_ref(), &plot, m.u);
                best = Some(Candidate {
                    score,
                    geometry,
                    labels,
                    legend,
                });
            }
        }
    }
    let Some(Candidate {
        geometry,
        labels,
        legend,
        ..
    }) = best
    else {
        return Err(ChartError::Draw(format!(
            "a {width}×{height} image has no room for the radar and its labels"
        )));
    };
    Ok(Layout {
        m,
        title,
        title_top,
        subtitle,
        source,
        geometry,
        labels,
        label_gap,
        legend,
        styles,
    })
}

/// The value of `v` as a fraction of the maximum, clamped to the grid; `None` for missing.
fn fraction(v: Option<f64>, max: f64) -> Option<f64> {
    v.filter(|v| v.is_finite())
        .map(|v| (v / max).clamp(0.0, 1.0))
}

/// Runs of consecutive present vertices, following the closed ring. A fully present series is
/// one closed run (first vertex repeated at the end).
fn runs(fracs: &[Option<f64>]) -> Vec<Vec<usize>> {
    let n = fracs.len();
    let Some(first_missing) = fracs.iter().position(Option::is_none) else {
        let mut all: Vec<usize> = (0..n).collect();
        all.push(0);
        return vec![all];
    };
    let mut out = Vec::new();
    let mut current = Vec::new();
    // Start just after a missing vertex so no run is split across the wrap-around.
    for k in 1..=n {
        let i = (first_missing + k) % n;
        if fracs[i].is_some() {
            current.push(i);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Where the spoke of missing axis `i` crosses the fill's edge, which runs straight between
/// the nearest present values on either side; as a radius fraction, 0 when there is no fill.
fn chord_fraction(fracs: &[Option<f64>], i: usize) -> f64 {
    let n = fracs.len();
    if fracs.iter().flatten().count() < 3 {
        return 0.0;
    }
    let present = |k: usize| fracs[k].map(|f| (k, f));
    let Some((before, a)) = (1..n).find_map(|k| present((i + n - k) % n)) else {
        return 0.0;
    };
    let Some((after, b)) = (1..n).find_map(|k| present((i + k) % n)) else {
        return 0.0;
    };
    // Ray t·d (t ≥ 0) against segment A + s·(B − A), s ∈ [0, 1], on a unit-radius radar.
    let cross = |x: Pt, y: Pt| x.0 * y.1 - x.1 * y.0;
    let d = direction(i, n);
    let (da, db) = (direction(before, n), direction(after, n));
    let pa = (da.0 * a, da.1 * a);
    let e = (db.0 * b - pa.0, db.1 * b - pa.1);
    let denom = cross(d, e);
    if denom.abs() < 1e-12 {
        return 0.0;
    }
    let t = cross(pa, e) / denom;
    let s = cross(pa, d) / denom;
    if (0.0..=1.0).contains(&s) && t > 0.0 {
        t.min(1.0)
    } else {
        0.0
    }
}

/// Places the value labels of the emphasised series: outside each vertex when there is room,
/// otherwise inside or beside it, never over an axis label or another value label.
fn place_value_labels(
    chart: &RadarChart,
    series: usize,
    lay: &Layout,
) -> Result<Vec<ValueLabel>, ChartError> {
    let m = &lay.m;
    let g = lay.geometry;
    let n = chart.axes.len();
    let values = &chart.series[series].values;
    let fracs: Vec<Option<f64>> = values.iter().map(|&v| fraction(v, chart.max)).collect();
    let pad_x = 3.0 * m.u;
    let pad_y = 1.5 * m.u;
    let offset = 5.0 * m.u;
    let axis_boxes: Vec<Rect> = lay
        .labels
        .iter()
        .map(|l| l.rect(g, lay.label_gap).inflate(2.0 * m.u))
        .collect();
    // The series' own vertex dots, which a label must not hide.
    let dots: Vec<(usize, Rect)> = (0..n)
        .filter_map(|i| {
            let f = fracs[i]?;
            let d = 2.0 * (3.5 + 1.0) * m.u;
            Some((i, Rect::centered(g.at(direction(i, n), g.r * f), d, d)))
        })
        .collect();
    let mut placed: Vec<ValueLabel> = Vec::new();
    for i in 0..n {
        let dir = direction(i, n);
        let font = Font {
            color: lay.styles[series].color,
            ..m.value
        };
        let (text, frac) = match (values[i].filter(|v| v.is_finite()), fracs[i]) {
            (Some(v), Some(f)) => (format_number(v, 1, chart.lang), f),
            _ => ("–".to_string(), chord_fraction(&fracs, i)),
        };
        let w = text_width(&text, font.em, font.bold)? + 2.0 * pad_x;
        let h = CAP_HEIGHT * font.em + 2.0 * pad_y;
        let support = dir.0.abs() * w / 2.0 + dir.1.abs() * h / 2.0;
        let vertex = g.at(dir, g.r * frac);
        let radius = g.r * frac;
        let perp = (-dir.1, dir.0);
        let along = |d: f64| (vertex.0 + dir.0 * d, vertex.1 + dir.1 * d);
        // Candidates in order of preference. Positions on the spoke (outside, inside, then
        // further out) keep the number visibly tied to its axis, which matters when small
        // values crowd the centre; beside the vertex is the last resort.
        let mut candidates = vec![along(offset + support)];
        if radius > offset + 2.0 * support {
            candidates.push(along(-(offset + support)));
        }
        for k in 1..=3 {
            candidates.push(along(offset + support + k as f64 * 0.9 * h.max(w * 0.5)));
        }
        let side = offset + perp.0.abs() * w / 2.0 + perp.1.abs() * h / 2.0;
        for s in [1.0, -1.0] {
            candidates.push((vertex.0 + perp.0 * side * s, vertex.1 + perp.1 * side * s));
        }
        let rects: Vec<Rect> = candidates
            .iter()
            .map(|&c| Rect::centered(c, w, h))
            .collect();
        // Overlap with axis labels, vertex dots and labels already placed; 0 when free.
        let clash = |r: &Rect| -> f64 {
            let obstacles = axis_boxes
                .iter()
                .copied()
                .chain(dots.iter().filter(|d| d.0 != i).map(|d| d.1))
                .chain(placed.iter().map(|p| p.rect.inflate(m.u)));
            obstacles.map(|b| overlap_area(&b, r)).sum()
        };
        let rect = rects
            .iter()
            .find(|r| clash(r) == 0.0)
            .or_else(|| rects.iter().min_by(|a, b| clash(a).total_cmp(&clash(b))))
            .copied()
            .unwrap_or(rects[0]);
        placed.push(ValueLabel { text, font, rect });
    }
    Ok(placed)
}

fn overlap_area(a: &Rect, b: &Rect) -> f64 {
    let w = a.x1.min(b.x1) - a.x0.max(b.x0);
    let h = a.y1.min(b.y1) - a.y0.max(b.y0);
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
}

fn rgba(c: RGBColor, alpha: f64) -> RGBAColor {
    c.mix(alpha)
}

fn stroke<C: Canvas>(canvas: &C, pts: &[Pt], style: &SeriesStyle) -> Result<(), ChartError> {
    match style.stroke {
        Stroke::Solid => canvas.line(pts, rgba(style.color, 1.0), style.width),
        Stroke::Dashed(dash, gap) => {
            canvas.dashed_line(pts, rgba(style.color, 1.0), style.width, dash, gap)
        }
    }
}

/// Lays out and paints the whole chart on `canvas` (which is already white).
pub(crate) fn draw<C: Canvas>(
    canvas: &C,
    chart: &RadarChart,
    width: f64,
    height: f64,
) -> Result<(), ChartError> {
    let lay = layout(chart, width, height)?;
    let m = &lay.m;
    let g = lay.geometry;
    let n = chart.axes.len();
    let dirs: Vec<Pt> = (0..n).map(|i| direction(i, n)).collect();

    // Grid: rings, then spokes.
    for k in 1..=RINGS {
        let r = g.r * k as f64 / RINGS as f64;
        let mut ring: Vec<Pt> = dirs.iter().map(|&d| g.at(d, r)).collect();
        ring.push(ring[0]);
        let (color, w) = if k == RINGS {
            (OUTER_GRID_COLOR, 1.2 * m.u)
        } else {
            (GRID_COLOR, m.u)
        };
        canvas.line(&ring, rgba(color, 1.0), w.max(1.0))?;
    }
    for &d in &dirs {
        canvas.line(&[g.c, g.at(d, g.r)], rgba(GRID_COLOR, 1.0), m.u.max(1.0))?;
    }

    let emphasised = chart.series.iter().position(|s| s.emphasis);
    let value_labels = match emphasised {
        Some(i) => place_value_labels(chart, i, &lay)?,
        None => Vec::new(),
    };

    let first_vertex_dot = emphasised.and_then(|s| {
        let f = fraction(chart.series[s].values[0], chart.max)?;
        Some(Rect::centered(g.at(dirs[0], g.r * f), 9.0 * m.u, 9.0 * m.u))
    });

    // Tick labels sit on the first spoke over a white backdrop (which interrupts the ring
    // line, as in most radar charts); one hidden by a value label is skipped.
    for k in 1..=RINGS {
        let value = chart.max * k as f64 / RINGS as f64;
        let decimals = if (value - value.round()).abs() < 1e-9 {
            0
        } else {
            1
        };
        let text = format_number(value, decimals, chart.lang);
        let font = m.tick;
        let w = text_width(&text, font.em, false)? + 4.0 * m.u;
        let h = CAP_HEIGHT * font.em + 3.0 * m.u;
        let centre = g.at(dirs[0], g.r * k as f64 / RINGS as f64);
        let rect = Rect::centered(centre, w, h);
        if value_labels.iter().any(|v| v.rect.intersects(&rect))
            || first_vertex_dot.is_some_and(|d| d.intersects(&rect))
        {
            continue;
        }
        canvas.fill_rect(rect, rgba(WHITE, 0.85))?;
        let baseline = centre.1 + CAP_HEIGHT * font.em / 2.0;
        canvas.text(&text, font, centre.0, baseline, Align::Center)?;
    }

    // Series: the emphasised fill at the bottom, overlays next, the emphasised outline on top.
    let fracs: Vec<Vec<Option<f64>>> = chart
        .series
        .iter()
        .map(|s| s.values.iter().map(|&v| fraction(v, chart.max)).collect())
        .collect();
    let vertex = |s: usize, i: usize| g.at(dirs[i], g.r * fracs[s][i].unwrap_or(0.0));
    let mut order: Vec<usize> = (0..chart.series.len())
        .filter(|&s| !chart.series[s].emphasis)
        .collect();
    order.extend((0..chart.series.len()).filter(|&s| chart.series[s].emphasis));
    for (s, style) in lay.styles.iter().enumerate() {
        if !style.fill {
            continue;
        }
        let present: Vec<Pt> = (0..n)
            .filter(|&i| fracs[s][i].is_some())
            .map(|i| vertex(s, i))
            .collect();
        if present.len() >= 3 {
            canvas.fill_polygon(&present, rgba(style.color, 0.22))?;
        }
    }
    for &s in &order {
        let style = &lay.styles[s];
        for run in runs(&fracs[s]) {
            let pts: Vec<Pt> = run.iter().map(|&i| vertex(s, i)).collect();
            if pts.len() >= 2 {
                stroke(canvas, &pts, style)?;
            }
            // Vertex dots on the emphasised series; on overlays only where a lone value would
            // otherwise be invisible.
            if style.fill || pts.len() == 1 {
                let r = if style.fill { 3.5 * m.u } else { 2.5 * m.u };
                for &p in &pts {
                    canvas.fill_circle(p, r.max(1.5), rgba(style.color, 1.0))?;
                }
            }
        }
    }

    // A missing value of the emphasised series gets a hollow marker where the fill's edge
    // crosses its spoke: filled dots are data, the hollow one says "no value here".
    if let Some(s) = emphasised {
        let style = &lay.styles[s];
        for i in (0..n).filter(|&i| fracs[s][i].is_none()) {
            let p = g.at(dirs[i], g.r * chord_fraction(&fracs[s], i));
            let r = (3.5 * m.u).max(1.5);
            canvas.fill_circle(p, r, rgba(WHITE, 1.0))?;
            canvas.circle_outline(p, r, rgba(style.color, 1.0), (1.5 * m.u).max(1.0))?;
        }
    }

    for v in &value_labels {
        canvas.fill_rect(v.rect, rgba(WHITE, 0.7))?;
        let baseline = (v.rect.y0 + v.rect.y1) / 2.0 + CAP_HEIGHT * v.font.em / 2.0;
        canvas.text(
            &v.text,
            v.font,
            (v.rect.x0 + v.rect.x1) / 2.0,
            baseline,
            Align::Center,
        )?;
    }

    for label in &lay.labels {
        let r = label.rect(g, lay.label_gap);
        let x = match label.align() {
            Align::Left => r.x0,
            Align::Center => (r.x0 + r.x1) / 2.0,
            Align::Right => r.x1,
        };
        canvas.text_block(&label.block, x, r.y0, label.align())?;
    }

    if let Some((legend, area)) = &lay.legend {
        draw_legend(canvas, legend, *area, &lay.styles, m)?;
    }

    canvas.text_block(&lay.title, m.margin, lay.title_top, Align::Left)?;
    if let Some((b, top)) = &lay.subtitle {
        canvas.text_block(b, m.margin, *top, Align::Left)?;
    }
    if let Some((b, top)) = &lay.source {
        canvas.text_block(b, m.margin, *top, Align::Left)?;
    }
    Ok(())
}

fn draw_swatch<C: Canvas>(
    canvas: &C,
    style: &SeriesStyle,
    x: f64,
    mid_y: f64,
    width: f64,
    m: &Metrics,
) -> Result<(), ChartError> {
    if style.fill {
        let rect = Rect {
            x0: x,
            y0: mid_y - 6.0 * m.u,
            x1: x + width,
            y1: mid_y + 6.0 * m.u,
        };
        canvas.fill_rect(rect, rgba(style.color, 0.22))?;
        let outline = [
            (rect.x0, rect.y0),
            (rect.x1, rect.y0),
            (rect.x1, rect.y1),
            (rect.x0, rect.y1),
            (rect.x0, rect.y0),
        ];
        canvas.line(&outline, rgba(style.color, 1.0), style.width * 0.8)
    } else {
        stroke(canvas, &[(x, mid_y), (x + width, mid_y)], style)
    }
}

fn draw_legend<C: Canvas>(
    canvas: &C,
    legend: &Legend,
    area: Rect,
    styles: &[SeriesStyle],
    m: &Metrics,
) -> Result<(), ChartError> {
    // Swatches line up with the middle of the first line's capitals.
    let first_line_mid =
        |top: f64, e: &LegendEntry| top + (ASCENT - CAP_HEIGHT / 2.0) * e.block.font.em;
    let text_x = |x: f64| x + legend.swatch + legend.swatch_gap;
    match legend.placement {
        LegendPlacement::Right => {
            let mut top = area.y0;
            for e in &legend.entries {
                let mid = first_line_mid(top, e);
                draw_swatch(
                    canvas,
                    &styles[e.style_index],
                    area.x0,
                    mid,
                    legend.swatch,
                    m,
                )?;
                canvas.text_block(&e.block, text_x(area.x0), top, Align::Left)?;
                top += e.block.height() + legend.spacing;
            }
        }
        LegendPlacement::Bottom => {
            let mut top = area.y0;
            for (row, row_width) in &legend.rows {
                let mut x = area.x0 + (area.width() - row_width) / 2.0;
                for &i in row {
                    let e = &legend.entries[i];
                    let mid = first_line_mid(top, e);
                    draw_swatch(canvas, &styles[e.style_index], x, mid, legend.swatch, m)?;
                    canvas.text_block(&e.block, text_x(x), top, Align::Left)?;
                    x += legend.entry_width(e) + legend.spacing;
                }
                top += legend.row_height(row) + legend.spacing * 0.6;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_crosses_between_neighbours() {
        // Square radar, axis 1 missing, neighbours at 1.0: the chord passes the centre.
        let f = [Some(1.0), None, Some(1.0), Some(0.5)];
        assert!(chord_fraction(&f, 1).abs() < 1e-9);
        // Hexagon, axis 0 missing, neighbours at 1.0: the chord is at cos 60° = 0.5.
        let f = [None, Some(1.0), Some(1.0), Some(1.0), Some(1.0), Some(1.0)];
        assert!((chord_fraction(&f, 0) - 0.5).abs() < 1e-9);
        // Two missing in a row on a heptagon: the edge runs between axes 6 and 2, which are
        // symmetric about the gap, so both missing axes cross it at the same radius.
        let f = [
            None,
            None,
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(1.0),
        ];
        let c0 = chord_fraction(&f, 0);
        let c1 = chord_fraction(&f, 1);
        assert!(c0 > 0.1 && (c0 - c1).abs() < 1e-9, "{c0} {c1}");
        // Too few values for a fill.
        assert_eq!(chord_fraction(&[Some(1.0), None, None, Some(1.0)], 1), 0.0);
    }

    #[test]
    fn runs_break_at_gaps() {
        assert_eq!(runs(&[Some(1.0), Some(1.0), Some(1.0)]), [vec![0, 1, 2, 0]]);
        assert_eq!(
            runs(&[Some(1.0), None, Some(1.0), Some(1.0), None]),
            [vec![2, 3], vec![0]]
        );
        assert!(runs(&[None, None, None]).is_empty());
    }
}
