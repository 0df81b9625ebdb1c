//! Heatmap of regions (rows) × dimensions (columns): each cell coloured on a diverging scale
//! around a centre value (the median or 50) and labelled with its value.
//!
//! Cell text switches between black and white with the cell's lightness; column headers wrap
//! to two lines; row names are shortened with an ellipsis when the label column is full.

use plotters::style::WHITE;

use super::canvas::{Align, Canvas, Font, Rect};
use super::frame::{self, Drawable, Frame, HIGHLIGHT, Metrics, NO_DATA, diverging, solid, text_on};
use super::text::{CAP_HEIGHT, text_width};
use super::{ChartError, Format};
use crate::i18n::{Lang, format_number};

/// Everything a heatmap shows, already computed and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapChart {
    /// Bold headline.
    pub title: String,
    /// Grey line under the title.
    pub subtitle: String,
    /// Source line at the bottom.
    pub source: String,
    /// Row labels (regions), top to bottom.
    pub rows: Vec<String>,
    /// Column labels (dimensions), left to right.
    pub columns: Vec<String>,
    /// `values[row][column]`; `None` is a grey cell with `–`.
    pub values: Vec<Vec<Option<f64>>>,
    /// The neutral value of the scale (white).
    pub centre: f64,
    /// Distance from the centre at which the colours saturate.
    pub spread: f64,
    /// Legend text, e.g. "Skor; putih = median 48,2".
    pub legend: String,
    /// Index of a row to emphasise (bold label and outline).
    pub highlight_row: Option<usize>,
    /// Number format.
    pub lang: Lang,
}

/// Renders `chart` as a `width`×`height` PNG or SVG.
pub fn render_heatmap(
    chart: &HeatmapChart,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    frame::render(chart, format, width, height)
}

impl Drawable for HeatmapChart {
    fn validate(&self) -> Result<(), ChartError> {
        if self.rows.is_empty() || self.columns.is_empty() {
            return Err(ChartError::InvalidData(
                "a heatmap needs rows and columns".into(),
            ));
        }
        if self.values.len() != self.rows.len()
            || self.values.iter().any(|r| r.len() != self.columns.len())
        {
            return Err(ChartError::InvalidData(format!(
                "values must be {} rows of {} columns",
                self.rows.len(),
                self.columns.len()
            )));
        }
        if !(self.centre.is_finite() && self.spread.is_finite() && self.spread > 0.0) {
            return Err(ChartError::InvalidData(
                "centre and spread must be finite, spread positive".into(),
            ));
        }
        Ok(())
    }

    fn draw<C: Canvas>(&self, canvas: &C, width: f64, height: f64) -> Result<(), ChartError> {
        let f = Frame::new(&self.title, &self.subtitle, &self.source, width, height)?;
        let l = self.layout(&f)?;
        self.draw_headers(canvas, &l)?;
        self.draw_rows(canvas, &l)?;
        self.draw_grid_lines(canvas, &l)?;
        self.draw_legend(canvas, &l)?;
        f.draw(canvas)
    }
}

/// Where a heatmap's cells, labels and headers go.
struct HeatmapLayout {
    m: Metrics,
    /// The cells.
    grid: Rect,
    row_h: f64,
    col_w: f64,
    /// Width of the row-label column left of the grid.
    label_w: f64,
    label_font: Font,
    head_font: Font,
    cell_font: Font,
}

impl HeatmapChart {
    /// The grid between the column headers (two lines) and the legend strip, right of the row
    /// labels; fonts follow the cell size.
    fn layout(&self, f: &Frame) -> Result<HeatmapLayout, ChartError> {
        let m = f.m;
        let (nr, nc) = (self.rows.len(), self.columns.len());
        // Legend strip at the bottom of the plot.
        let legend_h = 10.0 * m.u + CAP_HEIGHT * m.tick.em + 6.0 * m.u;
        // Column headers: up to two lines.
        let head_font = Font {
            bold: true,
            ..m.tick
        };
        let head_h = head_font.em * 2.4;
        let grid_top = f.plot.y0 + head_h;
        let grid_bottom = f.plot.y1 - legend_h - 8.0 * m.u;
        let row_h = (grid_bottom - grid_top) / nr as f64;
        let label_font = Font {
            em: m.label.em.min(row_h * 0.8).max(6.5),
            ..m.label
        };
        let mut label_w: f64 = 0.0;
        for (i, r) in self.rows.iter().enumerate() {
            let bold = self.highlight_row == Some(i);
            label_w = label_w.max(text_width(r, label_font.em, bold)?);
        }
        let label_w = label_w.min(f.plot.width() * 0.28);
        let grid = Rect {
            x0: f.plot.x0 + label_w + 8.0 * m.u,
            y0: grid_top,
            x1: f.plot.x1,
            y1: grid_bottom,
        };
        let col_w = grid.width() / nc as f64;
        let cell_font = Font {
            em: m.value.em.min(row_h * 0.72).min(col_w * 0.28).max(6.0),
            ..m.value
        };
        Ok(HeatmapLayout {
            m,
            grid,
            row_h,
            col_w,
            label_w,
            label_font,
            head_font,
            cell_font,
        })
    }

    /// Column headers, shrunk until their longest word fits the column, so none is cut.
    fn draw_headers<C: Canvas>(&self, canvas: &C, l: &HeatmapLayout) -> Result<(), ChartError> {
        let (m, grid, col_w) = (&l.m, l.grid, l.col_w);
        let head_font = l.head_font;
        let mut longest_word: f64 = 0.0;
        for w in self.columns.iter().flat_map(|c| c.split_whitespace()) {
            longest_word = longest_word.max(text_width(w, head_font.em, true)?);
        }
        let room = col_w - 4.0 * m.u;
        let head_font = if longest_word > room {
            Font {
                em: (head_font.em * room / longest_word * 0.98).max(6.0),
                ..head_font
            }
        } else {
            head_font
        };
        for (j, c) in self.columns.iter().enumerate() {
            let b = frame::wrapped_block(c, head_font, room, 2)?;
            let x = grid.x0 + col_w * (j as f64 + 0.5);
            canvas.text_block(&b, x, grid.y0 - 4.0 * m.u - b.height(), Align::Center)?;
        }
        Ok(())
    }

    /// Each row's label and its cells. At small sizes values are left out of cells too small
    /// for them, and only every k-th row is named, rather than printing text over text.
    fn draw_rows<C: Canvas>(&self, canvas: &C, l: &HeatmapLayout) -> Result<(), ChartError> {
        let (m, grid, row_h, col_w) = (&l.m, l.grid, l.row_h, l.col_w);
        let (label_font, cell_font) = (l.label_font, l.cell_font);
        let colour_of = |v: Option<f64>| match v.filter(|v| v.is_finite()) {
            Some(v) => diverging(0.5 + (v - self.centre) / self.spread / 2.0),
            None => NO_DATA,
        };
        let widest = text_width(&format_number(100.0, 1, self.lang), cell_font.em, true)?;
        let show_values = row_h >= cell_font.em * 0.95 && col_w >= widest + 2.0 * m.u;
        let label_step = (label_font.em * 0.9 / row_h).ceil().max(1.0) as usize;
        for (i, row) in self.values.iter().enumerate() {
            let y0 = grid.y0 + row_h * i as f64;
            let mid = y0 + row_h / 2.0;
            let hl = self.highlight_row == Some(i);
            let lf = Font {
                bold: hl,
                color: if hl { HIGHLIGHT } else { label_font.color },
                ..label_font
            };
            let text = frame::fit_line(&self.rows[i], lf, l.label_w)?;
            let text = if i.is_multiple_of(label_step) || hl {
                text
            } else {
                String::new()
            };
            canvas.text(
                &text,
                lf,
                grid.x0 - 6.0 * m.u,
                mid + CAP_HEIGHT * lf.em / 2.0,
                Align::Right,
            )?;
            for (j, v) in row.iter().enumerate() {
                let x0 = grid.x0 + col_w * j as f64;
                let fill = colour_of(*v);
                let cell = Rect {
                    x0,
                    y0,
                    x1: x0 + col_w,
                    y1: y0 + row_h,
                };
                canvas.fill_rect(cell, solid(fill))?;
                if !show_values {
                    continue;
                }
                let text = v
                    .filter(|v| v.is_finite())
                    .map_or_else(|| "–".to_string(), |v| format_number(v, 1, self.lang));
                let font = Font {
                    color: text_on(fill),
                    bold: hl,
                    ..cell_font
                };
                canvas.text(
                    &text,
                    font,
                    x0 + col_w / 2.0,
                    mid + CAP_HEIGHT * font.em / 2.0,
                    Align::Center,
                )?;
            }
        }
        Ok(())
    }

    /// White lines between cells, and the highlighted row's outline.
    fn draw_grid_lines<C: Canvas>(&self, canvas: &C, l: &HeatmapLayout) -> Result<(), ChartError> {
        let (m, grid, row_h, col_w) = (&l.m, l.grid, l.row_h, l.col_w);
        let (nr, nc) = (self.rows.len(), self.columns.len());
        let thin = m.line(1.0);
        for j in 1..nc {
            let x = grid.x0 + col_w * j as f64;
            canvas.line(&[(x, grid.y0), (x, grid.y1)], solid(WHITE), thin)?;
        }
        for i in 1..nr {
            let y = grid.y0 + row_h * i as f64;
            canvas.line(&[(grid.x0, y), (grid.x1, y)], solid(WHITE), thin)?;
        }
        if let Some(i) = self.highlight_row.filter(|&i| i < nr) {
            let y0 = grid.y0 + row_h * i as f64;
            let r = [
                (grid.x0, y0),
                (grid.x1, y0),
                (grid.x1, y0 + row_h),
                (grid.x0, y0 + row_h),
                (grid.x0, y0),
            ];
            canvas.line(&r, solid(HIGHLIGHT), m.line(2.0))?;
        }
        Ok(())
    }

    /// Legend: a horizontal ramp from centre − spread to centre + spread, then its text.
    fn draw_legend<C: Canvas>(&self, canvas: &C, l: &HeatmapLayout) -> Result<(), ChartError> {
        let (m, grid) = (&l.m, l.grid);
        let ly = grid.y1 + 8.0 * m.u;
        let lw = (grid.width() * 0.45).min(320.0 * m.u);
        let lx = grid.x0;
        let steps = 40;
        for k in 0..steps {
            let t0 = k as f64 / steps as f64;
            let t1 = (k + 1) as f64 / steps as f64;
            canvas.fill_rect(
                Rect {
                    x0: lx + lw * t0,
                    y0: ly,
                    x1: lx + lw * t1 + 0.5,
                    y1: ly + 10.0 * m.u,
                },
                solid(diverging((t0 + t1) / 2.0)),
            )?;
        }
        let base = ly + 10.0 * m.u + 4.0 * m.u + CAP_HEIGHT * m.tick.em;
        for (t, align) in [
            (0.0, Align::Left),
            (0.5, Align::Center),
            (1.0, Align::Right),
        ] {
            let v = self.centre + (t * 2.0 - 1.0) * self.spread;
            canvas.text(
                &format_number(v, 0, self.lang),
                m.tick,
                lx + lw * t,
                base,
                align,
            )?;
        }
        let text = frame::fit_line(&self.legend, m.tick, grid.x1 - lx - lw - 12.0 * m.u)?;
        canvas.text(
            &text,
            m.tick,
            lx + lw + 12.0 * m.u,
            ly + 5.0 * m.u + CAP_HEIGHT * m.tick.em / 2.0,
            Align::Left,
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chart::testing::{decode, drawn_share, has_colour, svg_text};

    pub(crate) fn sample(lang: Lang, rows: usize) -> HeatmapChart {
        let cols = [
            "Ekonomi",
            "Masyarakat",
            "Tata Kelola",
            "Pemerintahan",
            "Mobilitas",
            "Lingkungan",
            "Kehidupan",
            "Indeks",
        ];
        HeatmapChart {
            title: "Kabupaten Jember — skor dimensi per kecamatan, 2025".into(),
            subtitle: "31 kecamatan".into(),
            source: "Sumber: diolah".into(),
            rows: (0..rows).map(|i| format!("Kecamatan {i}")).collect(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
            values: (0..rows)
                .map(|i| {
                    (0..cols.len())
                        .map(|j| (i + j != 3).then_some(((i * 13 + j * 29) % 100) as f64 + 0.25))
                        .collect()
                })
                .collect(),
            centre: 50.0,
            spread: 50.0,
            legend: "Skor; putih = 50".into(),
            highlight_row: Some(1),
            lang,
        }
    }

    #[test]
    fn svg_has_headers_rows_and_cell_values() {
        let svg = svg_text(&render_heatmap(&sample(Lang::Id, 5), Format::Svg, 800, 500).unwrap());
        for text in [
            "Ekonomi",
            "Pemerintahan",
            "Kecamatan 4",
            "\n29,",
            "\n–\n",
            "Skor; putih = 50",
        ] {
            assert!(svg.contains(text), "{text:?} missing");
        }
    }

    #[test]
    fn png_uses_both_ends_of_the_scale() {
        for (w, h) in [(800, 500), (1600, 1000)] {
            let (_, _, rgb) =
                decode(&render_heatmap(&sample(Lang::En, 31), Format::Png, w, h).unwrap());
            assert!(drawn_share(&rgb) > 0.3);
            assert!(has_colour(&rgb, HIGHLIGHT, 20));
        }
    }

    #[test]
    fn ragged_values_are_refused() {
        let mut c = sample(Lang::Id, 3);
        c.values[2].pop();
        assert!(render_heatmap(&c, Format::Png, 800, 500).is_err());
    }
}
