//! The radar (spider) chart of dimension scores: its model, and its painting.
//!
//! Layout happens first, entirely in output pixels ([`layout`]): header, footer, legend
//! placement, and the radar's centre and radius chosen so that every axis label fits inside
//! the image without touching the grid; then the value labels ([`values`]). Painting, here,
//! only draws what the layout decided, through the render pipeline every chart kind shares
//! (`frame.rs`).

mod layout;
#[cfg(test)]
pub(crate) mod tests;
mod values;

use plotters::style::{Color, RGBAColor, RGBColor, WHITE};

use super::canvas::{Align, Canvas, Pt, Rect};
use super::frame::{self, Drawable, PALETTE};
use super::text::{ASCENT, CAP_HEIGHT, text_width};
use super::{ChartError, Format, MAX_AXES, MIN_AXES};
use crate::i18n::{Lang, format_number};
use layout::{Layout, Legend, LegendEntry, LegendPlacement, Metrics, RINGS, direction};
use values::{ValueLabel, chord_fraction, fraction, place_value_labels, runs};

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

/// Renders `chart` as a `width`×`height` image in `format` and returns the file bytes.
pub fn render_radar(
    chart: &RadarChart,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    frame::render(chart, format, width, height)
}

/// Dash patterns (dash, gap) in units of the layout scale for overlay series, so overlays
/// stay distinguishable in greyscale prints too.
const DASHES: [(f64, f64); 3] = [(7.0, 4.0), (2.5, 3.0), (12.0, 4.0)];

const GRID_COLOR: RGBColor = RGBColor(0xDC, 0xDC, 0xDC);
const OUTER_GRID_COLOR: RGBColor = RGBColor(0xB4, 0xB4, 0xB4);

impl Drawable for RadarChart {
    fn validate(&self) -> Result<(), ChartError> {
        let n = self.axes.len();
        if !(MIN_AXES..=MAX_AXES).contains(&n) {
            return Err(ChartError::InvalidData(format!(
                "{n} axes; a radar needs {MIN_AXES} to {MAX_AXES}"
            )));
        }
        if !(self.max.is_finite() && self.max > 0.0) {
            return Err(ChartError::InvalidData(format!(
                "maximum {} is not a positive number",
                self.max
            )));
        }
        for s in &self.series {
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

    /// Lays out and paints the whole chart on `canvas` (which is already white): grid, tick
    /// labels, series, gap markers, value labels, axis labels, legend, then header and footer.
    fn draw<C: Canvas>(&self, canvas: &C, width: f64, height: f64) -> Result<(), ChartError> {
        let scene = Scene::new(self, layout::layout(self, width, height)?)?;
        scene.grid(canvas)?;
        scene.ticks(canvas)?;
        scene.series(canvas)?;
        scene.gap_markers(canvas)?;
        scene.value_labels(canvas)?;
        scene.axis_labels(canvas)?;
        if let Some((legend, area)) = &scene.lay.legend {
            draw_legend(canvas, legend, *area, &scene.lay.styles, &scene.lay.m)?;
        }
        scene.lay.header.draw(canvas)
    }
}

/// A laid-out radar with what its painting steps share.
struct Scene<'a> {
    chart: &'a RadarChart,
    lay: Layout,
    /// Unit vector of each axis.
    dirs: Vec<Pt>,
    /// Each series' values as fractions of the outer ring; `None` for gaps.
    fracs: Vec<Vec<Option<f64>>>,
    /// The emphasised series (the first one flagged), which gets value labels.
    emphasised: Option<usize>,
    value_labels: Vec<ValueLabel>,
}

impl<'a> Scene<'a> {
    fn new(chart: &'a RadarChart, lay: Layout) -> Result<Scene<'a>, ChartError> {
        let n = chart.axes.len();
        let emphasised = chart.series.iter().position(|s| s.emphasis);
        let value_labels = match emphasised {
            Some(i) => place_value_labels(chart, i, &lay)?,
            None => Vec::new(),
        };
        let fracs = chart
            .series
            .iter()
            .map(|s| s.values.iter().map(|&v| fraction(v, chart.max)).collect())
            .collect();
        Ok(Scene {
            chart,
            lay,
            dirs: (0..n).map(|i| direction(i, n)).collect(),
            fracs,
            emphasised,
            value_labels,
        })
    }

    /// Grid: rings, then spokes.
    fn grid<C: Canvas>(&self, canvas: &C) -> Result<(), ChartError> {
        let (m, g) = (&self.lay.m, self.lay.geometry);
        for k in 1..=RINGS {
            let r = g.r * k as f64 / RINGS as f64;
            let mut ring: Vec<Pt> = self.dirs.iter().map(|&d| g.at(d, r)).collect();
            ring.push(ring[0]);
            let (color, w) = if k == RINGS {
                (OUTER_GRID_COLOR, 1.2 * m.u)
            } else {
                (GRID_COLOR, m.u)
            };
            canvas.line(&ring, rgba(color, 1.0), w.max(1.0))?;
        }
        for &d in &self.dirs {
            canvas.line(&[g.c, g.at(d, g.r)], rgba(GRID_COLOR, 1.0), m.u.max(1.0))?;
        }
        Ok(())
    }

    /// Tick labels sit on the first spoke over a white backdrop (which interrupts the ring
    /// line, as in most radar charts); one hidden by a value label is skipped.
    fn ticks<C: Canvas>(&self, canvas: &C) -> Result<(), ChartError> {
        let (chart, m, g) = (self.chart, &self.lay.m, self.lay.geometry);
        let first_vertex_dot = self.emphasised.and_then(|s| {
            let f = fraction(chart.series[s].values[0], chart.max)?;
            Some(Rect::centered(
                g.at(self.dirs[0], g.r * f),
                9.0 * m.u,
                9.0 * m.u,
            ))
        });
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
            let centre = g.at(self.dirs[0], g.r * k as f64 / RINGS as f64);
            let rect = Rect::centered(centre, w, h);
            if self.value_labels.iter().any(|v| v.rect.intersects(&rect))
                || first_vertex_dot.is_some_and(|d| d.intersects(&rect))
            {
                continue;
            }
            canvas.fill_rect(rect, rgba(WHITE, 0.85))?;
            let baseline = centre.1 + CAP_HEIGHT * font.em / 2.0;
            canvas.text(&text, font, centre.0, baseline, Align::Center)?;
        }
        Ok(())
    }

    /// The vertex of series `s` on axis `i` (the centre for a gap).
    fn vertex(&self, s: usize, i: usize) -> Pt {
        let g = self.lay.geometry;
        g.at(self.dirs[i], g.r * self.fracs[s][i].unwrap_or(0.0))
    }

    /// Series: the emphasised fill at the bottom, overlays next, the emphasised outline on top.
    fn series<C: Canvas>(&self, canvas: &C) -> Result<(), ChartError> {
        let (chart, m) = (self.chart, &self.lay.m);
        let n = chart.axes.len();
        let mut order: Vec<usize> = (0..chart.series.len())
            .filter(|&s| !chart.series[s].emphasis)
            .collect();
        order.extend((0..chart.series.len()).filter(|&s| chart.series[s].emphasis));
        for (s, style) in self.lay.styles.iter().enumerate() {
            if !style.fill {
                continue;
            }
            let present: Vec<Pt> = (0..n)
                .filter(|&i| self.fracs[s][i].is_some())
                .map(|i| self.vertex(s, i))
                .collect();
            if present.len() >= 3 {
                canvas.fill_polygon(&present, rgba(style.color, 0.22))?;
            }
        }
        for &s in &order {
            let style = &self.lay.styles[s];
            for run in runs(&self.fracs[s]) {
                let pts: Vec<Pt> = run.iter().map(|&i| self.vertex(s, i)).collect();
                if pts.len() >= 2 {
                    stroke(canvas, &pts, style)?;
                }
                // Vertex dots on the emphasised series; on overlays only where a lone value
                // would otherwise be invisible.
                if style.fill || pts.len() == 1 {
                    let r = if style.fill { 3.5 * m.u } else { 2.5 * m.u };
                    for &p in &pts {
                        canvas.fill_circle(p, r.max(1.5), rgba(style.color, 1.0))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A missing value of the emphasised series gets a hollow marker where the fill's edge
    /// crosses its spoke: filled dots are data, the hollow one says "no value here".
    fn gap_markers<C: Canvas>(&self, canvas: &C) -> Result<(), ChartError> {
        let Some(s) = self.emphasised else {
            return Ok(());
        };
        let (m, g) = (&self.lay.m, self.lay.geometry);
        let style = &self.lay.styles[s];
        let fracs = &self.fracs[s];
        for i in (0..self.chart.axes.len()).filter(|&i| fracs[i].is_none()) {
            let p = g.at(self.dirs[i], g.r * chord_fraction(fracs, i));
            let r = (3.5 * m.u).max(1.5);
            canvas.fill_circle(p, r, rgba(WHITE, 1.0))?;
            canvas.circle_outline(p, r, rgba(style.color, 1.0), (1.5 * m.u).max(1.0))?;
        }
        Ok(())
    }

    /// The emphasised series' values, each over a translucent white backdrop.
    fn value_labels<C: Canvas>(&self, canvas: &C) -> Result<(), ChartError> {
        for v in &self.value_labels {
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
        Ok(())
    }

    /// The dimension names beyond the outer ring.
    fn axis_labels<C: Canvas>(&self, canvas: &C) -> Result<(), ChartError> {
        for label in &self.lay.labels {
            let r = label.rect(self.lay.geometry, self.lay.label_gap);
            let x = match label.align() {
                Align::Left => r.x0,
                Align::Center => (r.x0 + r.x1) / 2.0,
                Align::Right => r.x1,
            };
            canvas.text_block(&label.block, x, r.y0, label.align())?;
        }
        Ok(())
    }
}

/// How an overlay or the emphasised series is stroked.
#[derive(Debug, Clone, Copy)]
enum Stroke {
    Solid,
    Dashed(f64, f64),
}

/// How one series is drawn: its colour, line and whether it is filled.
struct SeriesStyle {
    color: RGBColor,
    width: f64,
    stroke: Stroke,
    fill: bool,
}

/// Each series' style: emphasised ones filled with a solid outline, overlays dashed, each
/// overlay with the next dash pattern; colours in series order.
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

/// A series' swatch in the legend: a filled box for the emphasised series, its line for
/// the others.
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

/// The legend: a swatch and the label of each series, in a column or in centred rows.
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
