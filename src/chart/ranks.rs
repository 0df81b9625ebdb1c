//! Rank uncertainty: one row per region with its median rank over a sensitivity analysis (a
//! dot), the 5–95 % interval (a bar) and the rank under the nominal methods (a hollow ring).
//!
//! Rank 1 is at the left; rows come in the order given (usually by median rank).

use plotters::style::{Color, RGBColor, WHITE};

use super::canvas::{Align, Canvas, Font, Rect};
use super::frame::{
    self, AXIS_COLOR, Drawable, Frame, GRID_COLOR, HIGHLIGHT, LABEL_COLOR, Metrics, TICK_COLOR,
    solid,
};
use super::text::{ASCENT, CAP_HEIGHT, text_width};
use super::{ChartError, Format};
use crate::i18n::Lang;

const INTERVAL: RGBColor = RGBColor(0xA9, 0xC4, 0xD9);
const DOT: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// One region's ranks.
#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    /// Row label.
    pub label: String,
    /// Rank under the nominal methods.
    pub nominal: Option<f64>,
    /// Median rank over the replications.
    pub median: Option<f64>,
    /// 5th and 95th percentile of the rank.
    pub interval: Option<(f64, f64)>,
    /// Drawn in the highlight colour.
    pub highlight: bool,
}

/// Everything a rank-interval chart shows, already computed and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct RankChart {
    /// Bold headline.
    pub title: String,
    /// Grey line under the title.
    pub subtitle: String,
    /// Source line at the bottom.
    pub source: String,
    /// Rows, top to bottom.
    pub rows: Vec<RankRow>,
    /// Worst possible rank (the number of peers): the right end of the axis.
    pub worst: f64,
    /// Axis title, e.g. "Peringkat (1 = terbaik)".
    pub axis_label: String,
    /// Legend texts: median, 5–95 % interval, nominal.
    pub legend: [String; 3],
    /// Number format.
    pub lang: Lang,
}

/// Renders `chart` as a `width`×`height` PNG or SVG.
pub fn render_ranks(
    chart: &RankChart,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    frame::render(chart, format, width, height)
}

impl Drawable for RankChart {
    fn validate(&self) -> Result<(), ChartError> {
        if self.rows.is_empty() {
            return Err(ChartError::InvalidData("no ranks to draw".into()));
        }
        if !(self.worst.is_finite() && self.worst >= 1.0) {
            return Err(ChartError::InvalidData(format!(
                "worst rank {} is not a rank",
                self.worst
            )));
        }
        Ok(())
    }

    fn draw<C: Canvas>(&self, canvas: &C, width: f64, height: f64) -> Result<(), ChartError> {
        let f = Frame::new(&self.title, &self.subtitle, &self.source, width, height)?;
        let l = self.layout(&f)?;
        self.draw_legend(canvas, &l)?;
        self.draw_axis(canvas, &l)?;
        self.draw_rows(canvas, &l)?;
        f.draw(canvas)
    }
}

/// Where a rank chart's legend, rows and rank axis go.
struct RanksLayout {
    m: Metrics,
    /// The frame's plot area, the legend at its top.
    plot: Rect,
    /// The band of rows, between the legend and the tick labels.
    rows: Rect,
    row_h: f64,
    label_font: Font,
    /// Width of the label column.
    label_w: f64,
    /// The rank axis runs from rank 1 at `x0` to the worst rank at `x1`.
    x0: f64,
    x1: f64,
    worst: f64,
    tick_h: f64,
    axis_h: f64,
}

impl RanksLayout {
    /// The x of `rank`, clamped to the axis (the middle when there is one rank only).
    fn x_of(&self, rank: f64) -> f64 {
        if self.worst <= 1.0 {
            (self.x0 + self.x1) / 2.0
        } else {
            self.x0 + (self.x1 - self.x0) * ((rank - 1.0) / (self.worst - 1.0)).clamp(0.0, 1.0)
        }
    }
}

impl RankChart {
    /// Rows under the legend line, above the ticks and the axis title, right of the labels.
    fn layout(&self, f: &Frame) -> Result<RanksLayout, ChartError> {
        let m = f.m;
        let n = self.rows.len();
        let legend_h = m.label.em * 1.6;
        let tick_h = CAP_HEIGHT * m.tick.em;
        let axis_h = m.tick.em * 1.4;
        let rows = Rect {
            y0: f.plot.y0 + legend_h,
            y1: f.plot.y1 - tick_h - 8.0 * m.u - axis_h,
            ..f.plot
        };
        let row_h = rows.height() / n as f64;
        let label_font = Font {
            em: m.label.em.min(row_h * 0.78).max(6.5),
            ..m.label
        };
        let mut label_w: f64 = 0.0;
        for r in &self.rows {
            label_w = label_w.max(text_width(&r.label, label_font.em, r.highlight)?);
        }
        let label_w = label_w.min(rows.width() * 0.3);
        Ok(RanksLayout {
            m,
            plot: f.plot,
            rows,
            row_h,
            label_font,
            label_w,
            x0: rows.x0 + label_w + 10.0 * m.u,
            x1: rows.x1 - 10.0 * m.u,
            worst: self.worst,
            tick_h,
            axis_h,
        })
    }

    /// Legend: dot, bar, ring, each with its text, in a line at the top.
    fn draw_legend<C: Canvas>(&self, canvas: &C, l: &RanksLayout) -> Result<(), ChartError> {
        let (m, plot) = (&l.m, l.plot);
        let mut x = plot.x0;
        let mid = plot.y0 + (ASCENT - CAP_HEIGHT / 2.0) * m.label.em;
        let r = (3.5 * m.u).max(1.5);
        for (k, text) in self.legend.iter().enumerate() {
            match k {
                0 => canvas.fill_circle((x + r, mid), r, solid(DOT))?,
                1 => canvas.fill_rect(
                    Rect {
                        x0: x,
                        y0: mid - 3.0 * m.u,
                        x1: x + 2.0 * r,
                        y1: mid + 3.0 * m.u,
                    },
                    solid(INTERVAL),
                )?,
                _ => canvas.circle_outline((x + r, mid), r, solid(DOT), m.line(1.2))?,
            }
            canvas.text(
                text,
                m.label,
                x + 2.0 * r + 5.0 * m.u,
                plot.y0 + ASCENT * m.label.em,
                Align::Left,
            )?;
            x += 2.0 * r + 5.0 * m.u + text_width(text, m.label.em, false)? + 18.0 * m.u;
        }
        Ok(())
    }

    /// The rank axis: 1 (the best), round ranks between, and the worst rank without
    /// crowding it; grid lines, tick labels, the title and the axis line.
    fn draw_axis<C: Canvas>(&self, canvas: &C, l: &RanksLayout) -> Result<(), ChartError> {
        let (m, rows) = (&l.m, l.rows);
        let round = frame::ticks(0.0, self.worst, 6);
        let step = round.get(1).copied().unwrap_or(1.0);
        let mut ticks = vec![1.0];
        ticks.extend(
            round
                .into_iter()
                .filter(|&t| t > 1.0 + step * 0.5 && t < self.worst - step * 0.5),
        );
        if self.worst > 1.0 {
            ticks.push(self.worst);
        }
        let base = rows.y1 + 6.0 * m.u + l.tick_h;
        for &t in &ticks {
            let x = l.x_of(t);
            canvas.line(
                &[(x, rows.y0), (x, rows.y1)],
                solid(GRID_COLOR),
                m.line(1.0),
            )?;
            canvas.text(
                &frame::tick_label(t, self.lang),
                m.tick,
                x,
                base,
                Align::Center,
            )?;
        }
        let font = Font {
            color: TICK_COLOR,
            ..m.tick
        };
        canvas.text(
            &self.axis_label,
            font,
            (l.x0 + l.x1) / 2.0,
            base + l.axis_h,
            Align::Center,
        )?;
        canvas.line(
            &[(l.x0, rows.y1), (l.x1, rows.y1)],
            solid(AXIS_COLOR),
            m.line(1.0),
        )
    }

    /// Each row: its label, the interval bar, the nominal rank's ring and the median's dot.
    fn draw_rows<C: Canvas>(&self, canvas: &C, l: &RanksLayout) -> Result<(), ChartError> {
        let (m, row_h) = (&l.m, l.row_h);
        let bar_h = (row_h * 0.45).min(8.0 * m.u).max(2.0);
        for (i, row) in self.rows.iter().enumerate() {
            let mid = l.rows.y0 + row_h * (i as f64 + 0.5);
            let (lf, dot) = if row.highlight {
                (
                    Font {
                        bold: true,
                        color: HIGHLIGHT,
                        ..l.label_font
                    },
                    HIGHLIGHT,
                )
            } else {
                (
                    Font {
                        color: LABEL_COLOR,
                        ..l.label_font
                    },
                    DOT,
                )
            };
            let text = frame::fit_line(&row.label, lf, l.label_w)?;
            canvas.text(
                &text,
                lf,
                l.x0 - 8.0 * m.u,
                mid + CAP_HEIGHT * lf.em / 2.0,
                Align::Right,
            )?;
            if let Some((lo, hi)) = row.interval.filter(|(a, b)| a.is_finite() && b.is_finite()) {
                let (a, b) = (l.x_of(lo.min(hi)), l.x_of(lo.max(hi)));
                canvas.fill_rect(
                    Rect {
                        x0: a - 1.0,
                        y0: mid - bar_h / 2.0,
                        x1: b + 1.0,
                        y1: mid + bar_h / 2.0,
                    },
                    solid(if row.highlight { HIGHLIGHT } else { INTERVAL }).mix(if row.highlight {
                        0.35
                    } else {
                        1.0
                    }),
                )?;
            }
            let rr = (row_h * 0.3).min(3.5 * m.u).max(1.5);
            if let Some(v) = row.nominal.filter(|v| v.is_finite()) {
                canvas.fill_circle((l.x_of(v), mid), rr, solid(WHITE))?;
                canvas.circle_outline((l.x_of(v), mid), rr, solid(dot), m.line(1.2))?;
            }
            if let Some(v) = row.median.filter(|v| v.is_finite()) {
                canvas.fill_circle((l.x_of(v), mid), rr * 0.8, solid(dot))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chart::testing::{decode, drawn_share, has_colour, svg_text};

    pub(crate) fn sample(lang: Lang) -> RankChart {
        RankChart {
            title: "Kabupaten Jember — ketidakpastian peringkat 2025".into(),
            subtitle: "200 replikasi".into(),
            source: "Sumber: diolah".into(),
            rows: (0..31)
                .map(|i| RankRow {
                    label: format!("Kecamatan {i}"),
                    nominal: Some(i as f64 + 1.0),
                    median: Some(i as f64 + 1.5),
                    interval: Some(((i as f64 - 3.0).max(1.0), (i as f64 + 6.0).min(31.0))),
                    highlight: i == 4,
                })
                .collect(),
            worst: 31.0,
            axis_label: "Peringkat (1 = terbaik)".into(),
            legend: [
                "Median".into(),
                "Selang 5–95 %".into(),
                "Peringkat nominal".into(),
            ],
            lang,
        }
    }

    #[test]
    fn svg_and_png_show_rows_legend_and_highlight() {
        let svg = svg_text(&render_ranks(&sample(Lang::Id), Format::Svg, 800, 500).unwrap());
        for text in [
            "Kecamatan 30",
            "Selang 5–95 %",
            "Peringkat (1 = terbaik)",
            "\n31\n",
        ] {
            assert!(svg.contains(text), "{text:?} missing");
        }
        for (w, h) in [(800, 500), (1600, 1000)] {
            let (_, _, rgb) = decode(&render_ranks(&sample(Lang::En), Format::Png, w, h).unwrap());
            assert!(drawn_share(&rgb) > 0.03);
            assert!(has_colour(&rgb, INTERVAL, 200));
            assert!(has_colour(&rgb, HIGHLIGHT, 10));
        }
    }
}
