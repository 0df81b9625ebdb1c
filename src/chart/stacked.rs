//! Stacked columns: one column per category (a month, a period), split into coloured segments
//! per series (a dimension, an indicator), with a legend row under the title.
//!
//! Used for the activity timeline (activities per month by dimension) and for indicator
//! contributions (how each indicator adds up to a dimension score, period by period). Category
//! labels that would collide with the previous one are skipped; an empty label is never drawn,
//! so callers can label only, say, every January.

use plotters::style::{Color, RGBColor, WHITE};

use super::canvas::{Align, Canvas, Font, Rect};
use super::frame::{self, AXIS_COLOR, Drawable, Frame, Metrics, PALETTE, ValueAxis, solid};
use super::text::{ASCENT, CAP_HEIGHT, text_width};
use super::{ChartError, Format};
use crate::i18n::{Lang, format_number};

/// Seven distinct colour-blind-safe colours: Okabe–Ito with its yellow darkened for white.
const COLOURS: [RGBColor; 7] = [
    PALETTE[0],
    PALETTE[1],
    PALETTE[2],
    PALETTE[3],
    PALETTE[4],
    PALETTE[5],
    RGBColor(0xC8, 0xB4, 0x00),
];

/// One layer of the stack.
#[derive(Debug, Clone, PartialEq)]
pub struct StackSeries {
    /// Legend text.
    pub label: String,
    /// One value per category (negative and non-finite values count as 0).
    pub values: Vec<f64>,
}

/// Everything a stacked column chart shows, already computed and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedChart {
    /// Bold headline.
    pub title: String,
    /// Grey line under the title.
    pub subtitle: String,
    /// Source line at the bottom.
    pub source: String,
    /// Category labels along the x axis; empty ones are not drawn.
    pub categories: Vec<String>,
    /// Layers, bottom first.
    pub series: Vec<StackSeries>,
    /// Y-axis title, e.g. "Kegiatan per bulan".
    pub axis_label: String,
    /// Top of the y axis; `None` fits the tallest column.
    pub max: Option<f64>,
    /// Print each column's total above it (when the columns are wide enough).
    pub totals: bool,
    /// Decimals of totals and ticks.
    pub decimals: usize,
    /// Number format.
    pub lang: Lang,
}

/// Renders `chart` as a `width`×`height` PNG or SVG.
pub fn render_stacked(
    chart: &StackedChart,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    frame::render(chart, format, width, height)
}

fn clean(v: f64) -> f64 {
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

impl Drawable for StackedChart {
    fn validate(&self) -> Result<(), ChartError> {
        if self.categories.is_empty() {
            return Err(ChartError::InvalidData("no categories to stack".into()));
        }
        for s in &self.series {
            if s.values.len() != self.categories.len() {
                return Err(ChartError::InvalidData(format!(
                    "series {:?} has {} values for {} categories",
                    s.label,
                    s.values.len(),
                    self.categories.len()
                )));
            }
        }
        Ok(())
    }

    fn draw<C: Canvas>(&self, canvas: &C, width: f64, height: f64) -> Result<(), ChartError> {
        let f = Frame::new(&self.title, &self.subtitle, &self.source, width, height)?;
        let l = self.layout(&f)?;
        if self.series.len() > 1 {
            self.draw_legend(canvas, &l)?;
        }
        let axis = ValueAxis {
            plot: l.plot,
            ticks: &l.ticks,
            title: &self.axis_label,
            title_x: f.plot.x0,
            lang: self.lang,
        };
        axis.draw(canvas, &l.m, |v| l.y_of(v))?;
        self.draw_columns(canvas, &l)?;
        if self.totals {
            self.draw_totals(canvas, &l)?;
        }
        self.draw_categories(canvas, &l)?;
        f.draw(canvas)
    }
}

/// Where a stacked column chart's legend, axis and columns go.
struct StackedLayout {
    m: Metrics,
    /// The frame's plot area, the legend at its top.
    frame_plot: Rect,
    /// The columns' area.
    plot: Rect,
    /// Each column's total.
    totals: Vec<f64>,
    /// Top of the value axis: the last tick.
    top: f64,
    ticks: Vec<f64>,
    /// Legend rows of (series, entry width).
    legend_rows: Vec<Vec<(usize, f64)>>,
    legend_line_h: f64,
    swatch: f64,
    /// Gap between legend entries.
    gap: f64,
    /// Width of a category's slot, and of its column.
    slot: f64,
    col_w: f64,
}

impl StackedLayout {
    /// The y of value `v`, clamped to the axis.
    fn y_of(&self, v: f64) -> f64 {
        self.plot.y1 - self.plot.height() * (v / self.top).clamp(0.0, 1.0)
    }
}

impl StackedChart {
    /// The axis from the tallest column (or the given maximum), the legend in rows under the
    /// header, the columns in equal slots below it.
    fn layout(&self, f: &Frame) -> Result<StackedLayout, ChartError> {
        let m = f.m;
        let n = self.categories.len();
        let totals: Vec<f64> = (0..n)
            .map(|i| self.series.iter().map(|s| clean(s.values[i])).sum())
            .collect();
        let top = self
            .max
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or_else(|| totals.iter().copied().fold(0.0, f64::max).max(1.0) * 1.08);
        let tick_values = frame::ticks(0.0, top, 5);
        let top = tick_values.last().copied().unwrap_or(top).max(top);

        // Legend rows under the header.
        let legend_font = m.label;
        let swatch = 11.0 * m.u;
        let gap = 16.0 * m.u;
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
        let mut row_w = 0.0;
        for (i, s) in self.series.iter().enumerate() {
            let w = swatch + 5.0 * m.u + text_width(&s.label, legend_font.em, false)?;
            if row_w > 0.0 && row_w + gap + w > f.plot.width() {
                rows.push(Vec::new());
                row_w = 0.0;
            }
            row_w += if row_w > 0.0 { gap + w } else { w };
            rows.last_mut().expect("one row").push((i, w));
        }
        let line_h = legend_font.em * 1.5;
        let legend_h = if self.series.len() > 1 {
            line_h * rows.len() as f64 + 4.0 * m.u
        } else {
            0.0
        };
        let axis_h = if self.axis_label.is_empty() {
            0.0
        } else {
            m.tick.em * 1.8
        };
        let mut tick_w: f64 = 0.0;
        for &t in &tick_values {
            tick_w = tick_w.max(text_width(
                &frame::tick_label(t, self.lang),
                m.tick.em,
                false,
            )?);
        }
        let plot = Rect {
            x0: f.plot.x0 + tick_w + 8.0 * m.u,
            y0: f.plot.y0 + legend_h + axis_h,
            x1: f.plot.x1,
            y1: f.plot.y1 - CAP_HEIGHT * m.tick.em - 8.0 * m.u,
        };
        let slot = plot.width() / n as f64;
        Ok(StackedLayout {
            m,
            frame_plot: f.plot,
            plot,
            totals,
            top,
            ticks: tick_values,
            legend_rows: rows,
            legend_line_h: line_h,
            swatch,
            gap,
            slot,
            col_w: (slot * 0.78).max(1.0),
        })
    }

    /// The legend: a swatch and label per series, in rows.
    fn draw_legend<C: Canvas>(&self, canvas: &C, l: &StackedLayout) -> Result<(), ChartError> {
        let (m, swatch) = (&l.m, l.swatch);
        let legend_font = m.label;
        let mut y = l.frame_plot.y0;
        for row in &l.legend_rows {
            let mut x = l.frame_plot.x0;
            for &(i, w) in row {
                let mid = y + (ASCENT - CAP_HEIGHT / 2.0) * legend_font.em;
                canvas.fill_rect(
                    Rect::centered((x + swatch / 2.0, mid), swatch, swatch),
                    solid(COLOURS[i % COLOURS.len()]),
                )?;
                canvas.text(
                    &self.series[i].label,
                    legend_font,
                    x + swatch + 5.0 * m.u,
                    y + ASCENT * legend_font.em,
                    Align::Left,
                )?;
                x += w + l.gap;
            }
            y += l.legend_line_h;
        }
        Ok(())
    }

    /// The columns, each a stack of segments, bottom series first.
    fn draw_columns<C: Canvas>(&self, canvas: &C, l: &StackedLayout) -> Result<(), ChartError> {
        let (m, plot, slot, col_w) = (&l.m, l.plot, l.slot, l.col_w);
        for i in 0..self.categories.len() {
            let x0 = plot.x0 + slot * i as f64 + (slot - col_w) / 2.0;
            let mut acc = 0.0;
            for (k, s) in self.series.iter().enumerate() {
                let v = clean(s.values[i]);
                if v <= 0.0 {
                    continue;
                }
                let r = Rect {
                    x0,
                    y0: l.y_of(acc + v),
                    x1: x0 + col_w,
                    y1: l.y_of(acc),
                };
                canvas.fill_rect(r, solid(COLOURS[k % COLOURS.len()]))?;
                // A hairline between segments keeps adjacent layers apart in greyscale.
                if col_w > 6.0 * m.u && acc > 0.0 {
                    canvas.line(&[(r.x0, r.y1), (r.x1, r.y1)], WHITE.mix(0.9), m.line(0.6))?;
                }
                acc += v;
            }
        }
        Ok(())
    }

    /// Each column's total above it, when every total fits its slot.
    fn draw_totals<C: Canvas>(&self, canvas: &C, l: &StackedLayout) -> Result<(), ChartError> {
        let (m, plot, slot) = (&l.m, l.plot, l.slot);
        let font = Font {
            bold: true,
            ..m.value
        };
        let fits = l.totals.iter().all(|t| {
            text_width(&format_number(*t, self.decimals, self.lang), font.em, true)
                .is_ok_and(|w| w <= slot - 2.0 * m.u)
        });
        if !fits {
            return Ok(());
        }
        for (i, t) in l.totals.iter().enumerate() {
            let x = plot.x0 + slot * (i as f64 + 0.5);
            canvas.text(
                &format_number(*t, self.decimals, self.lang),
                font,
                x,
                l.y_of(*t) - 4.0 * m.u,
                Align::Center,
            )?;
        }
        Ok(())
    }

    /// Category labels: one that would touch the previous label is skipped.
    fn draw_categories<C: Canvas>(&self, canvas: &C, l: &StackedLayout) -> Result<(), ChartError> {
        let (m, plot, slot) = (&l.m, l.plot, l.slot);
        let mut last_right = f64::NEG_INFINITY;
        for (i, c) in self.categories.iter().enumerate() {
            if c.is_empty() {
                continue;
            }
            let x = plot.x0 + slot * (i as f64 + 0.5);
            let w = text_width(c, m.tick.em, false)?;
            if x - w / 2.0 < last_right + 6.0 * m.u {
                continue;
            }
            canvas.line(
                &[(x, plot.y1), (x, plot.y1 + 3.0 * m.u)],
                solid(AXIS_COLOR),
                m.line(1.0),
            )?;
            canvas.text(
                c,
                m.tick,
                x,
                plot.y1 + 6.0 * m.u + CAP_HEIGHT * m.tick.em,
                Align::Center,
            )?;
            last_right = x + w / 2.0;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chart::testing::{decode, drawn_share, has_colour, svg_text};

    pub(crate) fn sample(lang: Lang, months: usize) -> StackedChart {
        let dims = [
            "Ekonomi",
            "Masyarakat",
            "Tata Kelola",
            "Pemerintahan",
            "Mobilitas",
            "Lingkungan",
            "Kehidupan",
        ];
        StackedChart {
            title: "Kabupaten Jember — kegiatan per bulan".into(),
            subtitle: "Jumlah kegiatan tercatat, menurut dimensi".into(),
            source: "Sumber: data kegiatan, diolah".into(),
            categories: (0..months)
                .map(|i| {
                    if i % 12 == 0 {
                        format!("{}", 2018 + i / 12)
                    } else {
                        String::new()
                    }
                })
                .collect(),
            series: dims
                .iter()
                .enumerate()
                .map(|(k, d)| StackSeries {
                    label: d.to_string(),
                    values: (0..months).map(|i| ((i * 7 + k * 3) % 11) as f64).collect(),
                })
                .collect(),
            axis_label: "Kegiatan per bulan".into(),
            max: None,
            totals: true,
            decimals: 0,
            lang,
        }
    }

    #[test]
    fn svg_has_legend_years_and_axis() {
        let svg = svg_text(&render_stacked(&sample(Lang::Id, 96), Format::Svg, 800, 500).unwrap());
        for text in [
            "Kabupaten Jember — kegiatan per bulan",
            "Pemerintahan",
            "\n2018\n",
            "\n2025\n",
            "Kegiatan per bulan",
            "Sumber: data kegiatan, diolah",
        ] {
            assert!(svg.contains(text), "{text:?} missing");
        }
    }

    #[test]
    fn few_columns_get_totals_and_pngs_show_every_layer() {
        let mut c = sample(Lang::En, 8);
        c.categories = (2018..2026).map(|y| y.to_string()).collect();
        let svg = svg_text(&render_stacked(&c, Format::Svg, 800, 500).unwrap());
        assert!(svg.contains("\n2021\n"));
        for (w, h) in [(800, 500), (1600, 1000)] {
            let (_, _, rgb) = decode(&render_stacked(&c, Format::Png, w, h).unwrap());
            assert!(drawn_share(&rgb) > 0.1);
            for colour in COLOURS {
                assert!(has_colour(&rgb, colour, 30), "{colour:?} missing");
            }
        }
    }

    #[test]
    fn ragged_series_are_refused() {
        let mut c = sample(Lang::Id, 5);
        c.series[0].values.pop();
        assert!(render_stacked(&c, Format::Png, 800, 500).is_err());
    }
}
