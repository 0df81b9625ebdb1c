//! Where everything of the radar goes, in output pixels, before anything is painted: the
//! sizes for the image, the header and footer, the legend's placement, and the radar's centre
//! and radius, chosen so that every axis label fits inside the image without touching the grid.
//!
//! It paints nothing, and it places no value label (that is `values.rs`, once the radar's
//! geometry is known).

use plotters::style::RGBColor;

use super::{RadarChart, SeriesStyle, series_styles};
use crate::chart::ChartError;
use crate::chart::canvas::{Align, Font, Pt, Rect, TextBlock};
use crate::chart::frame::{
    Header, HeaderStyle, LABEL_COLOR, PALETTE, SOURCE_COLOR, SUBTITLE_COLOR, TITLE_COLOR,
    wrapped_block,
};

/// Space between the radar's labels and the legend, in layout units.
const LEGEND_GAP: f64 = 24.0;

/// Number of grid rings (0–20–40–60–80–100 for a maximum of 100).
pub(super) const RINGS: usize = 5;

const AXIS_LABEL_COLOR: RGBColor = LABEL_COLOR;
const TICK_COLOR: RGBColor = RGBColor(0x80, 0x80, 0x80);
const LEGEND_COLOR: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// All sizes of one rendering, derived from the image size.
pub(super) struct Metrics {
    /// Layout unit: 1.0 at 800×500 and proportional to the height, unless the image is so
    /// narrow (portrait) that the width has to set the scale for the labels to fit.
    pub u: f64,
    pub margin: f64,
    pub title: Font,
    pub subtitle: Font,
    pub axis: Font,
    pub tick: Font,
    pub value: Font,
    pub legend: Font,
    pub source: Font,
}

impl Metrics {
    /// The sizes for a `width`×`height` image.
    pub(super) fn new(width: f64, height: f64) -> Metrics {
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

    /// The radar's header and footer: larger than the other charts' and a little further
    /// apart, as the radar usually stands alone on a slide.
    fn header_style(&self) -> HeaderStyle {
        HeaderStyle {
            u: self.u,
            margin: self.margin,
            title: self.title,
            subtitle: self.subtitle,
            source: self.source,
            subtitle_gap: 7.0,
            footer: 0.8,
            plot_top: 14.0,
            plot_bottom: 12.0,
        }
    }
}

/// Unit vector of axis `i` of `n`: the first axis points up, the rest follow clockwise.
pub(super) fn direction(i: usize, n: usize) -> Pt {
    let angle = std::f64::consts::TAU * i as f64 / n as f64;
    (angle.sin(), -angle.cos())
}

/// A radar's geometry: its centre and the radius of the outer ring.
#[derive(Debug, Clone, Copy)]
pub(super) struct Geometry {
    pub c: Pt,
    pub r: f64,
}

impl Geometry {
    /// The point `radius` from the centre in direction `dir`.
    pub(super) fn at(&self, dir: Pt, radius: f64) -> Pt {
        (self.c.0 + dir.0 * radius, self.c.1 + dir.1 * radius)
    }
}

/// An axis (dimension) name beyond the outer ring.
pub(super) struct AxisLabel {
    pub block: TextBlock,
    pub dir: Pt,
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
    pub(super) fn rect(&self, g: Geometry, gap: f64) -> Rect {
        let p = g.at(self.dir, g.r + gap);
        let o = self.offsets();
        Rect {
            x0: p.0 + o.x0,
            y0: p.1 + o.y0,
            x1: p.0 + o.x1,
            y1: p.1 + o.y1,
        }
    }

    /// How the text is anchored: growing away from the radar.
    pub(super) fn align(&self) -> Align {
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

/// One series in the legend: its label and the style of its swatch.
#[derive(Clone)]
pub(super) struct LegendEntry {
    pub block: TextBlock,
    pub style_index: usize,
}

/// Where the legend goes: right of the radar or below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegendPlacement {
    Right,
    Bottom,
}

/// The legend, measured for one placement.
#[derive(Clone)]
pub(super) struct Legend {
    pub entries: Vec<LegendEntry>,
    pub placement: LegendPlacement,
    pub swatch: f64,
    pub swatch_gap: f64,
    /// Vertical gap between entries (right) or horizontal gap (bottom).
    pub spacing: f64,
    /// Rows of entry indices (bottom placement) with their total widths.
    pub rows: Vec<(Vec<usize>, f64)>,
}

impl Legend {
    /// Width of one entry: swatch, gap and text.
    pub(super) fn entry_width(&self, e: &LegendEntry) -> f64 {
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

    /// Height of a row of entries (bottom placement).
    pub(super) fn row_height(&self, idx: &[usize]) -> f64 {
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

/// Everything needed to paint: computed once, then drawn.
pub(super) struct Layout {
    pub m: Metrics,
    pub header: Header,
    pub geometry: Geometry,
    pub labels: Vec<AxisLabel>,
    /// Gap between the outer ring and the axis labels.
    pub label_gap: f64,
    pub legend: Option<(Legend, Rect)>,
    pub styles: Vec<SeriesStyle>,
}

/// The legend of every series for `placement`: entries wrapped to a share of the width, in
/// rows when it goes below the radar.
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

/// The axis labels, wrapped to `max_width`.
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

/// Lays out the chart for a `width`×`height` image: the header and footer, then the
/// arrangement of radar, axis labels and legend that gives the biggest radar.
pub(super) fn layout(chart: &RadarChart, width: f64, height: f64) -> Result<Layout, ChartError> {
    let m = Metrics::new(width, height);
    let header = Header::new(
        &m.header_style(),
        &chart.title,
        &chart.subtitle,
        &chart.source,
        width,
        height,
    )?;
    let label_gap = 9.0 * m.u;
    let styles = series_styles(chart, &m);
    let Some(best) = arrange(chart, &m, &header.plot, label_gap, width)? else {
        return Err(ChartError::Draw(format!(
            "a {width}×{height} image has no room for the radar and its labels"
        )));
    };
    Ok(Layout {
        m,
        header,
        geometry: best.geometry,
        labels: best.labels,
        label_gap,
        legend: best.legend,
        styles,
    })
}

/// One way of arranging radar, axis labels and legend in the plot, and how good it is.
struct Arrangement {
    score: f64,
    geometry: Geometry,
    labels: Vec<AxisLabel>,
    legend: Option<(Legend, Rect)>,
}

/// Tries each legend placement, and one- or multi-line axis labels; keeps the biggest radar
/// whose labels do not collide, or `None` when no radar fits.
fn arrange(
    chart: &RadarChart,
    m: &Metrics,
    plot: &Rect,
    label_gap: f64,
    width: f64,
) -> Result<Option<Arrangement>, ChartError> {
    let legend_placements: Vec<Option<LegendPlacement>> = if chart.series.len() > 1 {
        vec![Some(LegendPlacement::Right), Some(LegendPlacement::Bottom)]
    } else {
        vec![None]
    };
    // Unlimited, then wrapped narrower and narrower (many axes leave little room per label).
    let label_widths = [f64::INFINITY, width * 0.2, width * 0.13];
    let mut best: Option<Arrangement> = None;
    for placement in legend_placements {
        let legend = match placement {
            Some(p) => Some(build_legend(chart, m, p, width)?),
            None => None,
        };
        let bounds = radar_bounds(plot, legend.as_ref(), m.u);
        if bounds.width() <= 0.0 || bounds.height() <= 0.0 {
            continue;
        }
        for &max_label_width in &label_widths {
            let labels = axis_labels(chart, m, max_label_width)?;
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
                    centre_group(g, &labels, label_gap, legend.as_ref(), plot, m.u);
                best = Some(Arrangement {
                    score,
                    geometry,
                    labels,
                    legend,
                });
            }
        }
    }
    Ok(best)
}

/// The part of the plot the radar and its labels may take: all of it, less the legend's
/// side or bottom strip.
fn radar_bounds(plot: &Rect, legend: Option<&Legend>, u: f64) -> Rect {
    let legend_gap = LEGEND_GAP * u;
    match legend {
        Some(l) if l.placement == LegendPlacement::Right => Rect {
            x1: plot.x1 - l.width() - legend_gap,
            ..*plot
        },
        Some(l) => Rect {
            y1: plot.y1 - l.height() - legend_gap * 0.75,
            ..*plot
        },
        None => *plot,
    }
}
