//! Trend lines: one line per series (a dimension or the index) over evenly spaced periods,
//! with an optional dashed target line and a legend on the right.
//!
//! A missing value breaks the line rather than dropping it to zero; a lone value between gaps
//! is still visible as a dot.

use plotters::style::{Color, RGBColor, WHITE};

use super::canvas::{Align, Canvas, Font, Rect};
use super::frame::{
    self, AXIS_COLOR, Drawable, Frame, LABEL_COLOR, Metrics, PALETTE, ValueAxis, solid,
};
use super::text::{ASCENT, CAP_HEIGHT, text_width};
use super::{ChartError, Format};
use crate::i18n::{Lang, format_number};

/// Okabe–Ito without black (kept for the emphasised line), with its yellow darkened so that
/// it shows on white: seven distinct colours, one per dimension of the framework.
const LINE_COLOURS: [RGBColor; 7] = [
    PALETTE[0],
    PALETTE[1],
    PALETTE[2],
    PALETTE[3],
    PALETTE[4],
    PALETTE[5],
    RGBColor(0xC8, 0xB4, 0x00),
];

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendSeries {
    /// Legend text.
    pub label: String,
    /// One value per period; `None` for missing.
    pub values: Vec<Option<f64>>,
    /// Drawn thicker, in black, with its last value labelled (the index).
    pub emphasis: bool,
}

/// Everything a trend chart shows, already computed and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendChart {
    /// Bold headline.
    pub title: String,
    /// Grey line under the title.
    pub subtitle: String,
    /// Source line at the bottom.
    pub source: String,
    /// Period labels along the x axis, oldest first.
    pub periods: Vec<String>,
    /// Lines to draw.
    pub series: Vec<TrendSeries>,
    /// Top of the y axis (100 for scores); the bottom is 0.
    pub max: f64,
    /// Y-axis title, e.g. "Skor (0–100)".
    pub axis_label: String,
    /// A dashed horizontal target line with its label.
    pub target: Option<(String, f64)>,
    /// Number format.
    pub lang: Lang,
}

/// Renders `chart` as a `width`×`height` PNG or SVG.
pub fn render_trend(
    chart: &TrendChart,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    frame::render(chart, format, width, height)
}

impl TrendChart {
    /// Colour of series `i`: the emphasised one black, the others Okabe–Ito in order.
    fn colour(&self, i: usize) -> RGBColor {
        if self.series[i].emphasis {
            return PALETTE[6];
        }
        let k = self.series[..i].iter().filter(|s| !s.emphasis).count();
        LINE_COLOURS[k % LINE_COLOURS.len()]
    }
}

impl Drawable for TrendChart {
    fn validate(&self) -> Result<(), ChartError> {
        if self.periods.is_empty() {
            return Err(ChartError::InvalidData("a trend needs periods".into()));
        }
        if !(self.max.is_finite() && self.max > 0.0) {
            return Err(ChartError::InvalidData(format!(
                "maximum {} is not a positive number",
                self.max
            )));
        }
        for s in &self.series {
            if s.values.len() != self.periods.len() {
                return Err(ChartError::InvalidData(format!(
                    "series {:?} has {} values for {} periods",
                    s.label,
                    s.values.len(),
                    self.periods.len()
                )));
            }
        }
        Ok(())
    }

    fn draw<C: Canvas>(&self, canvas: &C, width: f64, height: f64) -> Result<(), ChartError> {
        let f = Frame::new(&self.title, &self.subtitle, &self.source, width, height)?;
        let legend = self.legend(&f.m, width)?;
        let l = self.layout(&f, &legend)?;
        let axis = ValueAxis {
            plot: l.plot,
            ticks: &l.ticks,
            title: &self.axis_label,
            title_x: f.plot.x0,
            lang: self.lang,
        };
        axis.draw(canvas, &l.m, |v| l.y_of(v))?;
        self.draw_periods(canvas, &l)?;
        self.draw_target(canvas, &l)?;
        // Lines: others first, the emphasised one on top.
        let mut order: Vec<usize> = (0..self.series.len())
            .filter(|&i| !self.series[i].emphasis)
            .collect();
        order.extend((0..self.series.len()).filter(|&i| self.series[i].emphasis));
        for &si in &order {
            self.draw_line(canvas, &l, si)?;
        }
        if legend.width > 0.0 {
            self.draw_legend(canvas, &l, &legend)?;
        }
        f.draw(canvas)
    }
}

/// The legend right of the plot: one entry per series (none for a single series).
struct TrendLegend {
    /// Each entry's text, truncated, and font.
    entries: Vec<(String, Font)>,
    /// Length of the line swatch.
    swatch: f64,
    /// Total width, swatch included; 0 when there is no legend.
    width: f64,
}

/// Where a trend chart's lines go.
struct TrendLayout {
    m: Metrics,
    /// The plot between the value axis, the period labels and the legend.
    plot: Rect,
    ticks: Vec<f64>,
    /// Number of periods.
    n: usize,
    max: f64,
}

impl TrendLayout {
    /// Periods sit in the middle of equal slots, so the first and last have room for dots
    /// and labels.
    fn x_of(&self, i: usize) -> f64 {
        self.plot.x0 + self.plot.width() * (i as f64 + 0.5) / self.n as f64
    }

    /// The y of value `v`, clamped to the axis.
    fn y_of(&self, v: f64) -> f64 {
        self.plot.y1 - self.plot.height() * (v / self.max).clamp(0.0, 1.0)
    }
}

impl TrendChart {
    /// Legend entries, truncated to a quarter of the width.
    fn legend(&self, m: &Metrics, width: f64) -> Result<TrendLegend, ChartError> {
        let legend_font = m.label;
        let swatch = 22.0 * m.u;
        let max_entry = width * 0.24;
        let mut entries = Vec::new();
        let mut legend_w: f64 = 0.0;
        for s in &self.series {
            let font = Font {
                bold: s.emphasis,
                ..legend_font
            };
            let t = frame::fit_line(&s.label, font, max_entry)?;
            legend_w = legend_w.max(text_width(&t, font.em, font.bold)?);
            entries.push((t, font));
        }
        let width = if self.series.len() > 1 {
            legend_w + swatch + 8.0 * m.u
        } else {
            0.0
        };
        Ok(TrendLegend {
            entries,
            swatch,
            width,
        })
    }

    /// The plot: right of the tick labels, under the axis title, above the period labels and
    /// left of the legend.
    fn layout(&self, f: &Frame, legend: &TrendLegend) -> Result<TrendLayout, ChartError> {
        let m = f.m;
        let tick_values = frame::ticks(0.0, self.max, 5);
        let mut tick_w: f64 = 0.0;
        for &t in &tick_values {
            tick_w = tick_w.max(text_width(
                &frame::tick_label(t, self.lang),
                m.tick.em,
                false,
            )?);
        }
        let axis_title_w = if self.axis_label.is_empty() {
            0.0
        } else {
            m.tick.em * 1.8
        };
        let period_h = CAP_HEIGHT * m.tick.em + 8.0 * m.u;
        let legend_w = legend.width;
        let plot = Rect {
            x0: f.plot.x0 + tick_w + 8.0 * m.u,
            y0: f.plot.y0 + axis_title_w + 4.0 * m.u,
            x1: f.plot.x1 - legend_w - if legend_w > 0.0 { 20.0 * m.u } else { 0.0 },
            y1: f.plot.y1 - period_h,
        };
        Ok(TrendLayout {
            m,
            plot,
            ticks: tick_values,
            n: self.periods.len(),
            max: self.max,
        })
    }

    /// Period labels under the plot: all if they fit, else every k-th, the last always.
    fn draw_periods<C: Canvas>(&self, canvas: &C, l: &TrendLayout) -> Result<(), ChartError> {
        let (m, plot, n) = (&l.m, l.plot, l.n);
        let mut widest: f64 = 0.0;
        for p in &self.periods {
            widest = widest.max(text_width(p, m.tick.em, false)?);
        }
        let slot = plot.width() / n as f64;
        let every = ((widest + 8.0 * m.u) / slot).ceil().max(1.0) as usize;
        for (i, p) in self.periods.iter().enumerate() {
            if !(n - 1 - i).is_multiple_of(every) {
                continue;
            }
            let x = l.x_of(i);
            canvas.line(
                &[(x, plot.y1), (x, plot.y1 + 3.0 * m.u)],
                solid(AXIS_COLOR),
                m.line(1.0),
            )?;
            canvas.text(
                p,
                m.tick,
                x,
                plot.y1 + 6.0 * m.u + CAP_HEIGHT * m.tick.em,
                Align::Center,
            )?;
        }
        Ok(())
    }

    /// The dashed target line with its label.
    fn draw_target<C: Canvas>(&self, canvas: &C, l: &TrendLayout) -> Result<(), ChartError> {
        let Some((label, v)) = &self.target else {
            return Ok(());
        };
        if !v.is_finite() {
            return Ok(());
        }
        let (m, plot) = (&l.m, l.plot);
        let y = l.y_of(*v);
        canvas.dashed_line(
            &[(plot.x0, y), (plot.x1, y)],
            solid(LABEL_COLOR),
            m.line(1.3),
            6.0 * m.u,
            4.0 * m.u,
        )?;
        let font = Font {
            color: LABEL_COLOR,
            ..m.tick
        };
        let text = format!("{label} {}", format_number(*v, 1, self.lang));
        canvas.text(&text, font, plot.x0 + 4.0 * m.u, y - 4.0 * m.u, Align::Left)
    }

    /// Series `si`: its runs of present values as lines with dots (a lone value a dot), and
    /// for the emphasised series its last value labelled.
    fn draw_line<C: Canvas>(
        &self,
        canvas: &C,
        l: &TrendLayout,
        si: usize,
    ) -> Result<(), ChartError> {
        let m = &l.m;
        let s = &self.series[si];
        let color = solid(self.colour(si));
        let w = if s.emphasis { 3.0 } else { 2.0 };
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut runs = Vec::new();
        for (i, v) in s.values.iter().enumerate() {
            match v.filter(|v| v.is_finite()) {
                Some(v) => run.push((l.x_of(i), l.y_of(v))),
                None => runs.push(std::mem::take(&mut run)),
            }
        }
        runs.push(run);
        for r in runs.iter().filter(|r| !r.is_empty()) {
            if r.len() > 1 {
                canvas.line(r, color, m.line(w))?;
            }
            let dot = if s.emphasis || r.len() == 1 { 3.5 } else { 2.5 };
            for &p in r {
                canvas.fill_circle(p, (dot * m.u).max(1.5), color)?;
            }
        }
        if !s.emphasis {
            return Ok(());
        }
        let Some((i, v)) = s
            .values
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i, v)))
        else {
            return Ok(());
        };
        let font = Font {
            bold: true,
            color: PALETTE[6],
            ..m.value
        };
        let text = format_number(v, 1, self.lang);
        let (x, base) = (l.x_of(i), l.y_of(v) - 8.0 * m.u);
        let w = text_width(&text, font.em, true)?;
        canvas.fill_rect(
            Rect {
                x0: x - w / 2.0 - 2.0 * m.u,
                y0: base - CAP_HEIGHT * font.em - 2.0 * m.u,
                x1: x + w / 2.0 + 2.0 * m.u,
                y1: base + 2.0 * m.u,
            },
            WHITE.mix(0.85),
        )?;
        canvas.text(&text, font, x, base, Align::Center)
    }

    /// The legend, vertically centred right of the plot.
    fn draw_legend<C: Canvas>(
        &self,
        canvas: &C,
        l: &TrendLayout,
        legend: &TrendLegend,
    ) -> Result<(), ChartError> {
        let (m, plot, swatch) = (&l.m, l.plot, legend.swatch);
        let line_h = m.label.em * 1.55;
        let total = line_h * legend.entries.len() as f64;
        let x = plot.x1 + 20.0 * m.u;
        let mut top = plot.y0 + ((plot.height() - total) / 2.0).max(0.0);
        for (i, (text, font)) in legend.entries.iter().enumerate() {
            let mid = top + (ASCENT - CAP_HEIGHT / 2.0) * font.em;
            let color = solid(self.colour(i));
            let w = if self.series[i].emphasis { 3.0 } else { 2.0 };
            canvas.line(&[(x, mid), (x + swatch, mid)], color, m.line(w))?;
            canvas.fill_circle((x + swatch / 2.0, mid), (2.5 * m.u).max(1.5), color)?;
            canvas.text(
                text,
                *font,
                x + swatch + 8.0 * m.u,
                top + ASCENT * font.em,
                Align::Left,
            )?;
            top += line_h;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chart::testing::{decode, drawn_share, has_colour, svg_text};

    pub(crate) fn sample(lang: Lang) -> TrendChart {
        let periods: Vec<String> = (2018..=2025).map(|y| y.to_string()).collect();
        let dims = ["Ekonomi", "Masyarakat", "Lingkungan"];
        let mut series: Vec<TrendSeries> = dims
            .iter()
            .enumerate()
            .map(|(k, d)| TrendSeries {
                label: d.to_string(),
                values: (0..8)
                    .map(|i| (i != 2 || k != 1).then_some(30.0 + (i * 5 + k * 9) as f64))
                    .collect(),
                emphasis: false,
            })
            .collect();
        series.insert(
            0,
            TrendSeries {
                label: "Indeks Kota Cerdas".into(),
                values: (0..8).map(|i| Some(40.0 + i as f64 * 4.5)).collect(),
                emphasis: true,
            },
        );
        TrendChart {
            title: "Kecamatan Patrang — tren 2018–2025".into(),
            subtitle: "Skor 0–100".into(),
            source: "Sumber: data kegiatan, diolah".into(),
            periods,
            series,
            max: 100.0,
            axis_label: "Skor".into(),
            target: Some(("Target".into(), 75.0)),
            lang,
        }
    }

    #[test]
    fn svg_shows_periods_legend_target_and_last_value() {
        let svg = svg_text(&render_trend(&sample(Lang::Id), Format::Svg, 800, 500).unwrap());
        for text in [
            "Kecamatan Patrang — tren 2018–2025",
            "\n2018\n",
            "\n2025\n",
            "Indeks Kota Cerdas",
            "Masyarakat",
            "Target 75,0",
            "71,5",
            "Sumber: data kegiatan, diolah",
        ] {
            assert!(svg.contains(text), "{text:?} missing");
        }
    }

    #[test]
    fn png_draws_lines_at_both_sizes() {
        for (w, h) in [(800, 500), (1600, 1000), (320, 200)] {
            let (pw, ph, rgb) =
                decode(&render_trend(&sample(Lang::En), Format::Png, w, h).unwrap());
            assert_eq!((pw, ph), (w, h));
            assert!(drawn_share(&rgb) > 0.03);
            assert!(has_colour(&rgb, PALETTE[0], 30), "{w}×{h}: first line");
        }
    }

    #[test]
    fn mismatched_series_are_refused() {
        let mut c = sample(Lang::Id);
        c.series[1].values.pop();
        assert!(matches!(
            render_trend(&c, Format::Svg, 800, 500),
            Err(ChartError::InvalidData(_))
        ));
    }
}
