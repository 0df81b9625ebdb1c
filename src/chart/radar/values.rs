//! Where a series' values and gaps sit on the radar: each value as a fraction of the outer
//! ring, the runs of present values an outline follows, where a gap's spoke crosses the fill's
//! edge, and the value labels of the emphasised series, placed clear of the axis labels.
//!
//! Pure geometry on a laid-out radar; it paints nothing.

use super::RadarChart;
use super::layout::{Layout, direction};
use crate::chart::ChartError;
use crate::chart::canvas::{Font, Pt, Rect};
use crate::chart::text::{CAP_HEIGHT, text_width};
use crate::i18n::format_number;

/// One value label (or missing-value marker) near a vertex of the emphasised series.
pub(super) struct ValueLabel {
    pub text: String,
    pub font: Font,
    pub rect: Rect,
}

/// The value of `v` as a fraction of the maximum, clamped to the grid; `None` for missing.
pub(super) fn fraction(v: Option<f64>, max: f64) -> Option<f64> {
    v.filter(|v| v.is_finite())
        .map(|v| (v / max).clamp(0.0, 1.0))
}

/// Runs of consecutive present vertices, following the closed ring. A fully present series is
/// one closed run (first vertex repeated at the end).
pub(super) fn runs(fracs: &[Option<f64>]) -> Vec<Vec<usize>> {
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
pub(super) fn chord_fraction(fracs: &[Option<f64>], i: usize) -> f64 {
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
pub(super) fn place_value_labels(
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

/// The area two boxes share, 0 when they do not overlap.
fn overlap_area(a: &Rect, b: &Rect) -> f64 {
    let w = a.x1.min(b.x1) - a.x0.max(b.x0);
    let h = a.y1.min(b.y1) - a.y0.max(b.y0);
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
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
