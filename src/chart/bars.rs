//! Ranked horizontal bar chart: one bar per region, in the order given (best first), the
//! selected region in a strong colour, every value labelled at the bar's end.
//!
//! Row height, and with it the label size, follows the number of bars; names that do not fit
//! the label column are shortened with an ellipsis, never drawn over the bars.

use plotters::style::WHITE;

use super::canvas::{Align, Canvas, Font, Rect};
use super::frame::{
    self, AXIS_COLOR, BAR, Drawable, Frame, GRID_COLOR, HIGHLIGHT, LABEL_COLOR, Metrics,
    TICK_COLOR, solid,
};
use super::text::{CAP_HEIGHT, text_width};
use super::{ChartError, Format};
use crate::i18n::{Lang, format_number};

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Row label, e.g. "Sumbersari".
    pub label: String,
    /// Bar length; `None` draws no bar and a `–` label.
    pub value: Option<f64>,
    /// Drawn in the highlight colour with a bold label.
    pub highlight: bool,
}

/// A predicate band: values from `min` up to the next band's `min` get its colour.
#[derive(Debug, Clone, PartialEq)]
pub struct BarBand {
    /// Lower bound, inclusive.
    pub min: f64,
    /// Legend text, e.g. "Baik".
    pub label: String,
}

/// Everything a ranked bar chart shows, already computed and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Bold headline.
    pub title: String,
    /// Grey line under the title: region, period, method.
    pub subtitle: String,
    /// Source line at the bottom.
    pub source: String,
    /// Bars, top to bottom.
    pub bars: Vec<Bar>,
    /// Value at the right end of the axis (100 for scores).
    pub max: f64,
    /// Axis title under the ticks, e.g. "Skor (0–100)".
    pub axis_label: String,
    /// A dashed vertical reference line with its label, e.g. the median.
    pub reference: Option<(String, f64)>,
    /// Prefix each label with its rank (1., 2., …).
    pub numbered: bool,
    /// Predicate bands: when given, bars are coloured by band (a sequential scale, higher
    /// bands lighter) with a legend, and the selected bar is outlined instead of recoloured.
    pub bands: Vec<BarBand>,
    /// Number format.
    pub lang: Lang,
}

/// Renders `chart` as a `width`×`height` PNG or SVG.
pub fn render_bars(
    chart: &BarChart,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    frame::render(chart, format, width, height)
}

impl Drawable for BarChart {
    fn validate(&self) -> Result<(), ChartError> {
        if self.bars.is_empty() {
            return Err(ChartError::InvalidData("a bar chart needs bars".into()));
        }
        if !(self.max.is_finite() && self.max > 0.0) {
            return Err(ChartError::InvalidData(format!(
                "maximum {} is not a positive number",
                self.max
            )));
        }
        Ok(())
    }

    fn draw<C: Canvas>(&self, canvas: &C, width: f64, height: f64) -> Result<(), ChartError> {
        let f = Frame::new(&self.title, &self.subtitle, &self.source, width, height)?;
        let l = self.layout(&f)?;
        self.draw_grid(canvas, &l)?;
        self.draw_reference(canvas, &l)?;
        // Bands, lowest first.
        let mut bands: Vec<&BarBand> = self.bands.iter().filter(|b| !b.min.is_nan()).collect();
        bands.sort_by(|a, b| a.min.total_cmp(&b.min));
        self.draw_band_legend(canvas, &l, &bands)?;
        self.draw_bars(canvas, &l, &bands)?;
        // Axis line over the bars' roots.
        canvas.line(
            &[(l.x0, l.rows.y0), (l.x0, l.rows.y1)],
            solid(AXIS_COLOR),
            l.m.line(1.0),
        )?;
        f.draw(canvas)
    }
}

/// Where a bar chart's rows, labels and value axis go.
struct BarsLayout {
    m: Metrics,
    /// The frame's plot area.
    plot: Rect,
    /// The band of rows, between the reference line's label and the tick labels.
    rows: Rect,
    row_h: f64,
    label_font: Font,
    value_font: Font,
    /// Row labels, numbered when the chart asks.
    texts: Vec<String>,
    /// Width of the label column.
    label_w: f64,
    /// The value axis runs from 0 at `x0` to the maximum at `x1`.
    x0: f64,
    x1: f64,
    max: f64,
    /// Baseline of the tick labels.
    tick_base: f64,
    /// Height of the axis title under them (0 without one).
    axis_h: f64,
}

impl BarsLayout {
    /// The x of value `v`, clamped to the axis.
    fn x_of(&self, v: f64) -> f64 {
        self.x0 + (self.x1 - self.x0) * (v / self.max).clamp(0.0, 1.0)
    }
}

/// `font` in bold.
fn bold(font: Font) -> Font {
    Font { bold: true, ..font }
}

impl BarChart {
    /// Row height and fonts from the number of bars, the label column from the widest label,
    /// the value axis between it and room for the widest value label.
    fn layout(&self, f: &Frame) -> Result<BarsLayout, ChartError> {
        let m = f.m;
        let n = self.bars.len();
        // Room at the bottom for tick labels and the axis title.
        let tick_h = CAP_HEIGHT * m.tick.em;
        let axis_h = if self.axis_label.is_empty() {
            0.0
        } else {
            m.tick.em * 1.4
        };
        // Room at the top for the reference line's label.
        let ref_h = if self.reference.is_some() {
            4.0 * m.u
        } else {
            0.0
        };
        let rows = Rect {
            y0: f.plot.y0 + ref_h,
            y1: f.plot.y1 - tick_h - 8.0 * m.u - axis_h,
            ..f.plot
        };
        let row_h = rows.height() / n as f64;
        let label_font = Font {
            em: m.label.em.min(row_h * 0.78).max(6.5),
            ..m.label
        };
        let value_font = Font {
            em: m.value.em.min(row_h * 0.72).max(6.0),
            ..m.value
        };

        let texts: Vec<String> = self
            .bars
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if self.numbered {
                    format!("{}. {}", i + 1, b.label)
                } else {
                    b.label.clone()
                }
            })
            .collect();
        let mut label_w: f64 = 0.0;
        for (t, b) in texts.iter().zip(&self.bars) {
            let font = if b.highlight {
                bold(label_font)
            } else {
                label_font
            };
            label_w = label_w.max(text_width(t, font.em, font.bold)?);
        }
        let label_w = label_w.min(rows.width() * 0.32);
        // Widest value label, so the longest bar's label stays inside the image.
        let value_w = text_width(
            &format_number(self.max * 1.0, 1, self.lang),
            value_font.em,
            true,
        )? + 6.0 * m.u;
        Ok(BarsLayout {
            m,
            plot: f.plot,
            rows,
            row_h,
            label_font,
            value_font,
            texts,
            label_w,
            x0: rows.x0 + label_w + 8.0 * m.u,
            x1: rows.x1 - value_w,
            max: self.max,
            tick_base: rows.y1 + 6.0 * m.u + tick_h,
            axis_h,
        })
    }

    /// Grid lines and tick labels, and the axis title under them.
    fn draw_grid<C: Canvas>(&self, canvas: &C, l: &BarsLayout) -> Result<(), ChartError> {
        let (m, rows) = (&l.m, l.rows);
        let tick_values = frame::ticks(0.0, self.max, 5);
        for &t in &tick_values {
            let x = l.x_of(t);
            canvas.line(
                &[(x, rows.y0), (x, rows.y1)],
                solid(GRID_COLOR),
                m.line(1.0),
            )?;
            let text = frame::tick_label(t, self.lang);
            canvas.text(&text, m.tick, x, l.tick_base, Align::Center)?;
        }
        if !self.axis_label.is_empty() {
            let font = Font {
                color: TICK_COLOR,
                ..m.tick
            };
            canvas.text(
                &self.axis_label,
                font,
                (l.x0 + l.x1) / 2.0,
                l.tick_base + l.axis_h,
                Align::Center,
            )?;
        }
        Ok(())
    }

    /// The dashed reference line (the median) with its label above the plot.
    fn draw_reference<C: Canvas>(&self, canvas: &C, l: &BarsLayout) -> Result<(), ChartError> {
        let Some((label, v)) = &self.reference else {
            return Ok(());
        };
        if !v.is_finite() {
            return Ok(());
        }
        let (m, rows) = (&l.m, l.rows);
        let x = l.x_of(*v);
        canvas.dashed_line(
            &[(x, rows.y0 - 2.0 * m.u), (x, rows.y1)],
            solid(LABEL_COLOR),
            m.line(1.2),
            5.0 * m.u,
            3.0 * m.u,
        )?;
        let font = Font {
            color: LABEL_COLOR,
            ..m.tick
        };
        let text = format!("{label} {}", format_number(*v, 1, self.lang));
        let w = text_width(&text, font.em, false)?;
        // Above the plot, right of the line unless that runs off the image.
        let (tx, align) = if x + 4.0 * m.u + w <= l.plot.x1 {
            (x + 4.0 * m.u, Align::Left)
        } else {
            (x - 4.0 * m.u, Align::Right)
        };
        canvas.text(&text, font, tx, rows.y0 - 4.0 * m.u, align)
    }

    /// The bands' legend, right of the axis title, highest band rightmost.
    fn draw_band_legend<C: Canvas>(
        &self,
        canvas: &C,
        l: &BarsLayout,
        bands: &[&BarBand],
    ) -> Result<(), ChartError> {
        if bands.is_empty() {
            return Ok(());
        }
        let m = &l.m;
        let sw = 9.0 * m.u;
        let gap = 12.0 * m.u;
        let mut x = l.plot.x1;
        let base = l.tick_base + l.axis_h;
        for (k, band) in bands.iter().enumerate().rev() {
            let w = text_width(&band.label, m.tick.em, false)?;
            x -= w;
            canvas.text(&band.label, m.tick, x, base, Align::Left)?;
            x -= sw + 4.0 * m.u;
            canvas.fill_rect(
                Rect {
                    x0: x,
                    y0: base - CAP_HEIGHT * m.tick.em / 2.0 - sw / 2.0,
                    x1: x + sw,
                    y1: base - CAP_HEIGHT * m.tick.em / 2.0 + sw / 2.0,
                },
                solid(band_colour(k, bands.len())),
            )?;
            x -= gap;
        }
        Ok(())
    }

    /// Each bar with its label left of the axis and its value at the bar's end.
    fn draw_bars<C: Canvas>(
        &self,
        canvas: &C,
        l: &BarsLayout,
        bands: &[&BarBand],
    ) -> Result<(), ChartError> {
        let (m, x0) = (&l.m, l.x0);
        let bar_h = (l.row_h * 0.72).max(1.0);
        for (i, (b, t)) in self.bars.iter().zip(&l.texts).enumerate() {
            let mid = l.rows.y0 + l.row_h * (i as f64 + 0.5);
            let baseline = mid + CAP_HEIGHT * l.label_font.em / 2.0;
            let (lf, vf, color) = if b.highlight {
                (
                    bold(Font {
                        color: HIGHLIGHT,
                        ..l.label_font
                    }),
                    bold(Font {
                        color: HIGHLIGHT,
                        ..l.value_font
                    }),
                    HIGHLIGHT,
                )
            } else {
                (l.label_font, l.value_font, BAR)
            };
            let color = match b.value.and_then(|v| band_of(bands, v)) {
                Some(k) => band_colour(k, bands.len()),
                None => color,
            };
            let text = frame::fit_line(t, lf, l.label_w)?;
            canvas.text(&text, lf, x0 - 6.0 * m.u, baseline, Align::Right)?;
            let value = b.value.filter(|v| v.is_finite());
            let end = value.map_or(x0, |v| l.x_of(v));
            if value.is_some() {
                let r = Rect {
                    x0,
                    y0: mid - bar_h / 2.0,
                    x1: end.max(x0 + 1.0),
                    y1: mid + bar_h / 2.0,
                };
                canvas.fill_rect(r, solid(color))?;
                if b.highlight && !bands.is_empty() {
                    let w = m.line(2.0);
                    let o = [
                        (r.x0, r.y0),
                        (r.x1, r.y0),
                        (r.x1, r.y1),
                        (r.x0, r.y1),
                        (r.x0, r.y0),
                    ];
                    canvas.line(&o, solid(HIGHLIGHT), w)?;
                }
            }
            let label = value.map_or_else(|| "–".to_string(), |v| format_number(v, 1, self.lang));
            let vb = mid + CAP_HEIGHT * vf.em / 2.0;
            // A white backdrop keeps the number legible over grid and reference lines.
            let tw = text_width(&label, vf.em, vf.bold)?;
            canvas.fill_rect(
                Rect {
                    x0: end + 2.0 * m.u,
                    y0: mid - CAP_HEIGHT * vf.em / 2.0 - 1.5 * m.u,
                    x1: end + 6.0 * m.u + tw,
                    y1: mid + CAP_HEIGHT * vf.em / 2.0 + 1.5 * m.u,
                },
                solid(WHITE),
            )?;
            canvas.text(&label, vf, end + 4.0 * m.u, vb, Align::Left)?;
        }
        Ok(())
    }
}

/// Index (lowest first) of the band `v` falls in.
fn band_of(bands: &[&BarBand], v: f64) -> Option<usize> {
    bands.iter().rposition(|b| v >= b.min)
}

/// Colour of band `k` of `n`: viridis from dark (lowest) to light green (highest), avoiding the
/// pale yellow end that vanishes on white.
fn band_colour(k: usize, n: usize) -> plotters::style::RGBColor {
    let t = if n <= 1 {
        0.5
    } else {
        0.12 + 0.7 * k as f64 / (n - 1) as f64
    };
    frame::sequential(t)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chart::testing::{decode, has_colour, svg_text};

    pub(crate) fn sample(lang: Lang, n: usize) -> BarChart {
        let names = [
            "Sumbersari",
            "Kaliwates",
            "Patrang",
            "Ambulu",
            "Tanggul",
            "Kencong",
            "Puger",
            "Wuluhan",
            "Balung",
            "Rambipuji",
            "Silo",
        ];
        BarChart {
            title: "Peringkat kecamatan — Indeks Kota Cerdas 2025".into(),
            subtitle: "Kabupaten Jember · skor 0–100".into(),
            source: "Sumber: data kegiatan, diolah".into(),
            bars: (0..n)
                .map(|i| Bar {
                    label: names[i % names.len()].into(),
                    value: if i == 4 {
                        None
                    } else {
                        Some(95.5 - i as f64 * 3.25)
                    },
                    highlight: i == 2,
                })
                .collect(),
            max: 100.0,
            axis_label: "Skor (0–100)".into(),
            reference: Some(("Median".into(), 61.4)),
            numbered: true,
            bands: Vec::new(),
            lang,
        }
    }

    #[test]
    fn svg_shows_labels_values_and_the_reference_line() {
        let svg = svg_text(&render_bars(&sample(Lang::Id, 6), Format::Svg, 800, 500).unwrap());
        for text in [
            "Peringkat kecamatan — Indeks Kota Cerdas 2025",
            "Kabupaten Jember · skor 0–100",
            "1. Sumbersari",
            "3. Patrang",
            "95,5",
            "Median 61,4",
            "Skor (0–100)",
            "Sumber: data kegiatan, diolah",
            "\n–\n",
        ] {
            assert!(svg.contains(text), "{text:?} missing");
        }
        let en = svg_text(&render_bars(&sample(Lang::En, 6), Format::Svg, 800, 500).unwrap());
        assert!(en.contains("95.5"));
    }

    #[test]
    fn png_has_the_highlighted_bar_at_both_sizes() {
        for (w, h, n) in [(800, 500, 31), (1600, 1000, 31), (320, 200, 6)] {
            let (pw, ph, rgb) =
                decode(&render_bars(&sample(Lang::Id, n), Format::Png, w, h).unwrap());
            assert_eq!((pw, ph), (w, h));
            assert!(
                has_colour(&rgb, HIGHLIGHT, 50),
                "{w}×{h}: highlight missing"
            );
            assert!(has_colour(&rgb, BAR, 200), "{w}×{h}: bars missing");
        }
    }

    #[test]
    fn bands_colour_the_bars_and_get_a_legend() {
        let mut c = sample(Lang::Id, 12);
        c.bands = [(0.0, "Kurang"), (60.0, "Cukup"), (80.0, "Baik")]
            .map(|(min, l)| BarBand {
                min,
                label: l.into(),
            })
            .to_vec();
        let svg = svg_text(&render_bars(&c, Format::Svg, 800, 500).unwrap());
        assert!(svg.contains("\nCukup\n") && svg.contains("\nBaik\n"));
        let (_, _, rgb) = decode(&render_bars(&c, Format::Png, 800, 500).unwrap());
        for k in 0..3 {
            assert!(has_colour(&rgb, band_colour(k, 3), 100), "band {k}");
        }
        assert!(has_colour(&rgb, HIGHLIGHT, 50), "selected bar outlined");
    }

    #[test]
    fn empty_bars_and_bad_sizes_are_refused() {
        let mut c = sample(Lang::Id, 3);
        assert!(render_bars(&c, Format::Png, 100, 500).is_err());
        c.bars.clear();
        assert!(matches!(
            render_bars(&c, Format::Svg, 800, 500),
            Err(ChartError::InvalidData(_))
        ));
    }
}
