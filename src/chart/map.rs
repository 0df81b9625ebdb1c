//! Choropleth maps: areas of a GeoJSON layer coloured by a value on a sequential,
//! colour-blind-safe scale (viridis), with a colour bar, a "no data" swatch and the names of
//! the areas where they fit.
//!
//! Boundaries come in the chart as a [`GeoLayer`] (see [`crate::geo`]); where they are read from
//! is not this module's concern. The projection is equirectangular with the x axis scaled by
//! the cosine of the layer's middle latitude, which at Indonesia's latitudes (11° S to 6° N)
//! distorts shapes by under 2 %. Holes in polygons are ignored (the reference layers have
//! none that matter at chart scale).

use std::collections::HashMap;
use std::sync::Arc;

use plotters::style::{RGBColor, WHITE};

use super::canvas::{Align, Canvas, Font, Pt, Rect, TextBlock};
use super::frame::{
    self, Drawable, Frame, HIGHLIGHT, Metrics, NO_DATA, sequential, solid, text_on,
};
use super::text::{ASCENT, CAP_HEIGHT, text_width};
use super::{ChartError, Format};
pub use crate::geo::{GeoFeature, GeoLayer};
use crate::i18n::{Lang, format_number};

/// One coloured area.
#[derive(Debug, Clone, PartialEq)]
pub struct MapArea {
    /// The feature's code in the layer.
    pub code: String,
    /// Name printed on the map where it fits.
    pub label: String,
    /// Colour value; `None` is grey ("no data").
    pub value: Option<f64>,
    /// Outlined in the highlight colour.
    pub highlight: bool,
}

/// Everything a choropleth shows, already computed and translated.
#[derive(Debug, Clone)]
pub struct MapChart {
    /// Bold headline.
    pub title: String,
    /// Grey line under the title.
    pub subtitle: String,
    /// Source line at the bottom.
    pub source: String,
    /// Boundaries.
    pub layer: Arc<GeoLayer>,
    /// Areas with values; layer features not listed are drawn as "no data" only when
    /// `show_unlisted` is set, and otherwise left out (and out of the map's extent).
    pub areas: Vec<MapArea>,
    /// Draw the layer's other features too (e.g. the rest of Indonesia around a province).
    pub show_unlisted: bool,
    /// Scale ends: the colour bar runs from `range.0` to `range.1`.
    pub range: (f64, f64),
    /// Title of the colour bar, e.g. "Indeks (0–100)".
    pub legend_title: String,
    /// Text of the "no data" swatch.
    pub no_data_label: String,
    /// Print area names where they fit.
    pub labels: bool,
    /// Number format.
    pub lang: Lang,
}

/// Renders `chart` as a `width`×`height` PNG or SVG.
pub fn render_map(
    chart: &MapChart,
    format: Format,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ChartError> {
    frame::render(chart, format, width, height)
}

/// Signed area and centroid of a ring in projected pixels.
fn area_centroid(ring: &[Pt]) -> (f64, Pt) {
    let mut a = 0.0;
    let (mut cx, mut cy) = (0.0, 0.0);
    for i in 0..ring.len() {
        let (x0, y0) = ring[i];
        let (x1, y1) = ring[(i + 1) % ring.len()];
        let cross = x0 * y1 - x1 * y0;
        a += cross;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
    }
    if a.abs() < 1e-9 {
        let n = ring.len().max(1) as f64;
        let sx: f64 = ring.iter().map(|p| p.0).sum();
        let sy: f64 = ring.iter().map(|p| p.1).sum();
        return (0.0, (sx / n, sy / n));
    }
    (a / 2.0, (cx / (3.0 * a), cy / (3.0 * a)))
}

/// Whether `p` is inside `ring` (even-odd rule).
fn contains(ring: &[Pt], p: Pt) -> bool {
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > p.1) != (yj > p.1) && p.0 < (xj - xi) * (p.1 - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

impl Drawable for MapChart {
    fn validate(&self) -> Result<(), ChartError> {
        let (lo, hi) = self.range;
        if !(lo.is_finite() && hi.is_finite() && hi > lo) {
            return Err(ChartError::InvalidData(format!(
                "colour range {lo}–{hi} is empty"
            )));
        }
        let listed: HashMap<&str, ()> = self.areas.iter().map(|a| (a.code.as_str(), ())).collect();
        if !self
            .layer
            .features
            .iter()
            .any(|f| listed.contains_key(f.code.as_str()))
        {
            return Err(ChartError::InvalidData(
                "none of the areas is in the boundary layer".into(),
            ));
        }
        Ok(())
    }

    fn draw<C: Canvas>(&self, canvas: &C, width: f64, height: f64) -> Result<(), ChartError> {
        let f = Frame::new(&self.title, &self.subtitle, &self.source, width, height)?;
        let m = f.m;
        let legend = self.legend(&m, width)?;
        let map_box = Rect {
            x1: f.plot.x1 - legend.width - 16.0 * m.u,
            ..f.plot
        };
        let shapes = self.shapes(&map_box)?;
        paint_shapes(canvas, &m, &shapes)?;
        if self.labels {
            draw_names(canvas, &m, &shapes)?;
        }
        self.draw_legend(canvas, &f, &legend, map_box.x1 + 16.0 * m.u)?;
        f.draw(canvas)
    }
}

/// The colour bar on the right, measured: a vertical ramp with ticks, then the no-data
/// swatch and the highlighted area's value.
struct MapLegend {
    /// Width of the ramp (and height of the no-data swatch).
    bar_w: f64,
    ticks: Vec<f64>,
    title: TextBlock,
    /// Width of the whole legend.
    width: f64,
}

/// One feature of the layer, projected, with its fill.
struct Shape<'a> {
    area: Option<&'a MapArea>,
    rings: Vec<Vec<Pt>>,
    fill: RGBColor,
}

impl MapChart {
    /// Measures the legend: the widest of its title, the ramp with tick labels and the
    /// no-data swatch with its text.
    fn legend(&self, m: &Metrics, width: f64) -> Result<MapLegend, ChartError> {
        let bar_w = 14.0 * m.u;
        let (lo, hi) = self.range;
        let tick_values = frame::ticks(lo, hi, 5);
        let mut tick_w: f64 = 0.0;
        for &t in &tick_values {
            tick_w = tick_w.max(text_width(
                &frame::tick_label(t, self.lang),
                m.tick.em,
                false,
            )?);
        }
        let title_font = Font {
            bold: true,
            ..m.tick
        };
        let no_data_w = text_width(&self.no_data_label, m.tick.em, false)? + bar_w + 6.0 * m.u;
        let legend_title = frame::wrapped_block(&self.legend_title, title_font, width * 0.16, 2)?;
        let legend_w = (bar_w + 6.0 * m.u + tick_w)
            .max(legend_title.width)
            .max(no_data_w);
        Ok(MapLegend {
            bar_w,
            ticks: tick_values,
            title: legend_title,
            width: legend_w,
        })
    }

    /// The features shown (those with an area, or all with `show_unlisted`), projected into
    /// `map_box` and coloured by value. The projection is equirectangular, x scaled by the
    /// cosine of the middle latitude, fitted and centred.
    fn shapes(&self, map_box: &Rect) -> Result<Vec<Shape<'_>>, ChartError> {
        let by_code: HashMap<&str, &MapArea> =
            self.areas.iter().map(|a| (a.code.as_str(), a)).collect();
        let shown = |code: &str| self.show_unlisted || by_code.contains_key(code);
        let (lo, hi) = self.range;
        let Some([lon0, lat0, lon1, lat1]) = self.layer.bounds(|c| shown(c)) else {
            return Err(ChartError::InvalidData("the layer has no shapes".into()));
        };
        let kx = ((lat0 + lat1) / 2.0).to_radians().cos();
        let (gw, gh) = (((lon1 - lon0) * kx).max(1e-9), (lat1 - lat0).max(1e-9));
        let s = (map_box.width() / gw).min(map_box.height() / gh);
        let ox = map_box.x0 + (map_box.width() - gw * s) / 2.0;
        let oy = map_box.y0 + (map_box.height() - gh * s) / 2.0;
        let project = |p: &[f64; 2]| (ox + (p[0] - lon0) * kx * s, oy + (lat1 - p[1]) * s);
        // Points closer than a third of a pixel add nothing but drawing time.
        let min_step = 0.33;
        let mut shapes = Vec::new();
        for feat in self.layer.features.iter().filter(|f| shown(&f.code)) {
            let area = by_code.get(feat.code.as_str()).copied();
            let fill = match area.and_then(|a| a.value).filter(|v| v.is_finite()) {
                Some(v) => sequential((v - lo) / (hi - lo)),
                None => NO_DATA,
            };
            let rings: Vec<Vec<Pt>> =
                feat.rings
                    .iter()
                    .map(|r| {
                        let mut out: Vec<Pt> = Vec::with_capacity(r.len());
                        for p in r {
                            let q = project(p);
                            if out.last().is_none_or(|l: &Pt| {
                                (l.0 - q.0).abs() + (l.1 - q.1).abs() >= min_step
                            }) {
                                out.push(q);
                            }
                        }
                        out
                    })
                    .filter(|r| r.len() >= 3)
                    .collect();
            shapes.push(Shape { area, rings, fill });
        }
        Ok(shapes)
    }

    /// The legend at `lx`: its title, the ramp (high values at the top) with ticks, the
    /// no-data swatch, and the highlighted area's name and value.
    fn draw_legend<C: Canvas>(
        &self,
        canvas: &C,
        f: &Frame,
        legend: &MapLegend,
        lx: f64,
    ) -> Result<(), ChartError> {
        let (m, bar_w) = (&f.m, legend.bar_w);
        let (lo, hi) = self.range;
        let mut top = f.plot.y0 + 4.0 * m.u;
        canvas.text_block(&legend.title, lx, top, Align::Left)?;
        top += legend.title.height() + 8.0 * m.u;
        let bar_h = (f.plot.height() * 0.5)
            .min(f.plot.y1 - top - 40.0 * m.u)
            .max(20.0 * m.u);
        let steps = 48;
        for k in 0..steps {
            let t0 = k as f64 / steps as f64;
            let t1 = (k + 1) as f64 / steps as f64;
            // High values at the top.
            let r = Rect {
                x0: lx,
                y0: top + bar_h * (1.0 - t1),
                x1: lx + bar_w,
                y1: top + bar_h * (1.0 - t0) + 0.5,
            };
            canvas.fill_rect(r, solid(sequential((t0 + t1) / 2.0)))?;
        }
        for &t in &legend.ticks {
            let y = top + bar_h * (1.0 - (t - lo) / (hi - lo));
            canvas.line(
                &[(lx + bar_w, y), (lx + bar_w + 3.0 * m.u, y)],
                solid(frame::AXIS_COLOR),
                m.line(1.0),
            )?;
            canvas.text(
                &frame::tick_label(t, self.lang),
                m.tick,
                lx + bar_w + 6.0 * m.u,
                y + CAP_HEIGHT * m.tick.em / 2.0,
                Align::Left,
            )?;
        }
        let nd_top = top + bar_h + 14.0 * m.u;
        canvas.fill_rect(
            Rect {
                x0: lx,
                y0: nd_top,
                x1: lx + bar_w,
                y1: nd_top + bar_w,
            },
            solid(NO_DATA),
        )?;
        canvas.text(
            &self.no_data_label,
            m.tick,
            lx + bar_w + 6.0 * m.u,
            nd_top + bar_w / 2.0 + CAP_HEIGHT * m.tick.em / 2.0,
            Align::Left,
        )?;
        let Some(h) = self.areas.iter().find(|a| a.highlight) else {
            return Ok(());
        };
        let y = nd_top + bar_w + 10.0 * m.u;
        canvas.line(
            &[(lx, y + bar_w / 2.0), (lx + bar_w, y + bar_w / 2.0)],
            solid(HIGHLIGHT),
            m.line(2.5),
        )?;
        let value = h
            .value
            .map_or_else(|| "–".to_string(), |v| format_number(v, 1, self.lang));
        let font = Font {
            bold: true,
            color: HIGHLIGHT,
            ..m.tick
        };
        let text = frame::wrapped_block(
            &format!("{} {value}", h.label),
            font,
            (f.plot.x1 - lx - bar_w - 6.0 * m.u).max(20.0),
            2,
        )?;
        let top = y + bar_w / 2.0 - (ASCENT - CAP_HEIGHT / 2.0) * font.em;
        canvas.text_block(&text, lx + bar_w + 6.0 * m.u, top, Align::Left)
    }
}

/// Whether a ring spans at least a pixel in either direction.
fn wider_than_a_pixel(ring: &[Pt]) -> bool {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in ring {
        (x0, x1, y0, y1) = (x0.min(p.0), x1.max(p.0), y0.min(p.1), y1.max(p.1));
    }
    x1 - x0 >= 1.0 || y1 - y0 >= 1.0
}

/// Fills, then white borders (thin when there are hundreds of areas, as on a national map),
/// then the highlighted areas' outlines on top.
fn paint_shapes<C: Canvas>(
    canvas: &C,
    m: &Metrics,
    shapes: &[Shape<'_>],
) -> Result<(), ChartError> {
    let border = if shapes.len() > 100 {
        (0.35 * m.u).max(0.5)
    } else {
        m.line(0.8)
    };
    for sh in shapes {
        for r in &sh.rings {
            canvas.fill_polygon(r, solid(sh.fill))?;
        }
    }
    for sh in shapes {
        // A ring smaller than a pixel has no border to draw (its outline would be one point,
        // which SVG readers warn about when a map is embedded in a report).
        for r in sh.rings.iter().filter(|r| wider_than_a_pixel(r)) {
            let mut closed = r.clone();
            closed.push(r[0]);
            canvas.line(&closed, solid(WHITE), border)?;
        }
    }
    for sh in shapes
        .iter()
        .filter(|s| s.area.is_some_and(|a| a.highlight))
    {
        for r in &sh.rings {
            let mut closed = r.clone();
            closed.push(r[0]);
            canvas.line(&closed, solid(HIGHLIGHT), m.line(2.5))?;
        }
    }
    Ok(())
}

/// Names where they fit: in the biggest polygon of each area, larger areas first, not over
/// each other, and only if the label's box stays inside the polygon.
fn draw_names<C: Canvas>(canvas: &C, m: &Metrics, shapes: &[Shape<'_>]) -> Result<(), ChartError> {
    let font = Font {
        em: (9.5 * m.u).max(7.0),
        ..m.label
    };
    let mut placed: Vec<Rect> = Vec::new();
    let mut candidates: Vec<(f64, &Shape, Pt, &Vec<Pt>)> = shapes
        .iter()
        .filter(|s| s.area.is_some())
        .filter_map(|s| {
            s.rings
                .iter()
                .map(|r| {
                    let (a, c) = area_centroid(r);
                    (a.abs(), s, c, r)
                })
                .max_by(|a, b| a.0.total_cmp(&b.0))
        })
        .collect();
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, sh, c, ring) in candidates {
        let Some(area) = sh.area else { continue };
        let f = Font {
            color: text_on(sh.fill),
            bold: area.highlight,
            ..font
        };
        let w = text_width(&area.label, f.em, f.bold)?;
        let h = CAP_HEIGHT * f.em;
        let Some(p) = label_point(ring, c, w, h, &placed, m.u) else {
            continue;
        };
        canvas.text(&area.label, f, p.0, p.1 + h / 2.0, Align::Center)?;
        placed.push(Rect::centered(p, w, h));
    }
    Ok(())
}

/// Where a `w`×`h` label fits inside `ring` clear of the labels `placed`: the centroid
/// `c` first, then points of a grid over the polygon's box, nearest the centroid first
/// (concave areas often have their centroid near an edge); `None` when nowhere.
fn label_point(ring: &[Pt], c: Pt, w: f64, h: f64, placed: &[Rect], u: f64) -> Option<Pt> {
    let (mut bx0, mut by0, mut bx1, mut by1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in ring.iter() {
        (bx0, by0, bx1, by1) = (bx0.min(p.0), by0.min(p.1), bx1.max(p.0), by1.max(p.1));
    }
    if bx1 - bx0 < w || by1 - by0 < h {
        return None;
    }
    const GRID: usize = 6;
    let mut points: Vec<Pt> = (0..=GRID * GRID + GRID * 2)
        .map(|k| {
            let (i, j) = (k % (GRID + 1), k / (GRID + 1));
            (
                bx0 + (bx1 - bx0) * i as f64 / GRID as f64,
                by0 + (by1 - by0) * j as f64 / GRID as f64,
            )
        })
        .collect();
    let d = |p: &Pt| (p.0 - c.0).hypot(p.1 - c.1);
    points.sort_by(|a, b| d(a).total_cmp(&d(b)));
    points.insert(0, c);
    let fits = |p: Pt| {
        let rect = Rect::centered(p, w, h);
        let corners = [
            (rect.x0, rect.y0),
            (rect.x1, rect.y0),
            (rect.x0, rect.y1),
            (rect.x1, rect.y1),
            p,
        ];
        corners.iter().all(|&q| contains(ring, q))
            && !placed.iter().any(|r| r.intersects(&rect.inflate(2.0 * u)))
    };
    points.into_iter().find(|&p| fits(p))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chart::testing::{decode, drawn_share, has_colour, svg_text};

    const SQUARES: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"kode_kemendagri":"35.09.01","district":"Alfa"},
       "geometry":{"type":"Polygon","coordinates":[[[113.0,-8.0],[113.5,-8.0],[113.5,-8.5],[113.0,-8.5],[113.0,-8.0]]]}},
      {"type":"Feature","properties":{"kode_kemendagri":"35.09.02","district":"Beta"},
       "geometry":{"type":"MultiPolygon","coordinates":[[[[113.5,-8.0],[114.0,-8.0],[114.0,-8.5],[113.5,-8.5],[113.5,-8.0]]]]}},
      {"type":"Feature","properties":{"kode_kemendagri":"35.09.03","non_admin_area":true},
       "geometry":{"type":"Polygon","coordinates":[[[113.0,-8.5],[113.5,-8.5],[113.5,-9.0],[113.0,-8.5]]]}}
    ]}"#;

    pub(crate) fn sample(lang: Lang) -> MapChart {
        MapChart {
            title: "Kabupaten Contoh — Indeks 2025".into(),
            subtitle: "per kecamatan".into(),
            source: "Sumber: diolah".into(),
            layer: Arc::new(GeoLayer::parse(SQUARES, "kode_kemendagri").unwrap()),
            areas: vec![
                MapArea {
                    code: "35.09.01".into(),
                    label: "Alfa".into(),
                    value: Some(20.0),
                    highlight: false,
                },
                MapArea {
                    code: "35.09.02".into(),
                    label: "Beta".into(),
                    value: Some(90.0),
                    highlight: true,
                },
            ],
            show_unlisted: false,
            range: (0.0, 100.0),
            legend_title: "Indeks (0–100)".into(),
            no_data_label: "Tidak ada data".into(),
            labels: true,
            lang,
        }
    }

    #[test]
    fn parse_keeps_admin_areas_with_codes() {
        let layer = GeoLayer::parse(SQUARES, "kode_kemendagri").unwrap();
        assert_eq!(layer.features.len(), 2);
        assert_eq!(layer.features[1].name.as_deref(), Some("Beta"));
        assert!(GeoLayer::parse("{}", "kode_kemendagri").is_err());
    }

    #[test]
    fn svg_has_names_legend_and_highlight() {
        let svg = svg_text(&render_map(&sample(Lang::Id), Format::Svg, 800, 500).unwrap());
        for text in [
            "\nAlfa\n",
            "\nBeta\n",
            "Indeks (0–100)",
            "Tidak ada data",
            "Beta 90,0",
        ] {
            assert!(svg.contains(text), "{text:?} missing");
        }
    }

    #[test]
    fn png_is_coloured_by_value() {
        for (w, h) in [(800, 500), (1600, 1000)] {
            let (_, _, rgb) = decode(&render_map(&sample(Lang::En), Format::Png, w, h).unwrap());
            assert!(drawn_share(&rgb) > 0.2);
            assert!(has_colour(&rgb, sequential(0.2), 1000), "low value colour");
            assert!(has_colour(&rgb, sequential(0.9), 1000), "high value colour");
        }
    }

    #[test]
    fn areas_outside_the_layer_are_refused() {
        let mut c = sample(Lang::Id);
        for a in &mut c.areas {
            a.code = "99.99".into();
        }
        assert!(render_map(&c, Format::Png, 800, 500).is_err());
    }
}
