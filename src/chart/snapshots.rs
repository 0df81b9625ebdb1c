//! SVG snapshots of every chart kind on fixed data: a change to any chart's output shows up as
//! a reviewable diff (`cargo insta review`), not as a silent drift. The snapshots live in
//! `src/chart/snapshots/`; in CI a mismatch fails the test.

use super::*;
use crate::i18n::Lang;

fn svg(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("SVG is UTF-8")
}

const W: u32 = DEFAULT_WIDTH;
const H: u32 = DEFAULT_HEIGHT;

#[test]
fn radar_svg_snapshot() {
    let chart = radar::tests::sample(Lang::Id, 2);
    insta::assert_snapshot!(svg(render_radar(&chart, Format::Svg, W, H).unwrap()));
}

#[test]
fn bars_svg_snapshot() {
    let chart = bars::tests::sample(Lang::Id, 12);
    insta::assert_snapshot!(svg(render_bars(&chart, Format::Svg, W, H).unwrap()));
}

#[test]
fn trend_svg_snapshot() {
    let chart = trend::tests::sample(Lang::En);
    insta::assert_snapshot!(svg(render_trend(&chart, Format::Svg, W, H).unwrap()));
}

#[test]
fn heatmap_svg_snapshot() {
    let chart = heatmap::tests::sample(Lang::Id, 8);
    insta::assert_snapshot!(svg(render_heatmap(&chart, Format::Svg, W, H).unwrap()));
}

#[test]
fn map_svg_snapshot() {
    let chart = map::tests::sample(Lang::Id);
    insta::assert_snapshot!(svg(render_map(&chart, Format::Svg, W, H).unwrap()));
}

#[test]
fn stacked_svg_snapshot() {
    let chart = stacked::tests::sample(Lang::Id, 12);
    insta::assert_snapshot!(svg(render_stacked(&chart, Format::Svg, W, H).unwrap()));
}

#[test]
fn ranks_svg_snapshot() {
    let chart = ranks::tests::sample(Lang::En);
    insta::assert_snapshot!(svg(render_ranks(&chart, Format::Svg, W, H).unwrap()));
}
