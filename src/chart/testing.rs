//! Helpers for the chart kinds' unit tests: decode a PNG, look for a colour, read an SVG.

use plotters::style::RGBColor;

/// Width, height and RGB pixels of a PNG.
pub(crate) fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    let px = buf.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    (info.width, info.height, px)
}

/// Whether at least `min` pixels are within a few levels of `colour`.
pub(crate) fn has_colour(rgb: &[[u8; 3]], colour: RGBColor, min: usize) -> bool {
    let c = [colour.0, colour.1, colour.2];
    rgb.iter()
        .filter(|p| p.iter().zip(c).all(|(&a, b)| a.abs_diff(b) <= 6))
        .count()
        >= min
}

/// Share of pixels that are not white.
pub(crate) fn drawn_share(rgb: &[[u8; 3]]) -> f64 {
    rgb.iter().filter(|p| **p != [255, 255, 255]).count() as f64 / rgb.len() as f64
}

/// The SVG as text, checked to be one.
pub(crate) fn svg_text(bytes: &[u8]) -> String {
    let s = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
    s
}

/// Writes every chart kind's sample at 800×500 and 1600×1000, in both languages and both
/// formats, to /tmp/chart-samples5 when `KOTACERDAS_WRITE_SAMPLES=1`; a no-op otherwise.
#[test]
fn write_samples() {
    use super::Format;
    use crate::i18n::Lang;
    if std::env::var("KOTACERDAS_WRITE_SAMPLES").as_deref() != Ok("1") {
        return;
    }
    let dir = std::path::Path::new("/tmp/chart-samples5");
    std::fs::create_dir_all(dir).unwrap();
    for lang in [Lang::Id, Lang::En] {
        for (w, h) in [(800, 500), (1600, 1000), (320, 200)] {
            for format in [Format::Png, Format::Svg] {
                let out: [(&str, Vec<u8>); 6] = [
                    (
                        "ranks",
                        super::render_ranks(&super::ranks::tests::sample(lang), format, w, h)
                            .unwrap(),
                    ),
                    (
                        "stacked",
                        super::render_stacked(
                            &super::stacked::tests::sample(lang, 96),
                            format,
                            w,
                            h,
                        )
                        .unwrap(),
                    ),
                    (
                        "bars",
                        super::render_bars(&super::bars::tests::sample(lang, 31), format, w, h)
                            .unwrap(),
                    ),
                    (
                        "trend",
                        super::render_trend(&super::trend::tests::sample(lang), format, w, h)
                            .unwrap(),
                    ),
                    (
                        "map",
                        super::render_map(&super::map::tests::sample(lang), format, w, h).unwrap(),
                    ),
                    (
                        "heatmap",
                        super::render_heatmap(
                            &super::heatmap::tests::sample(lang, 31),
                            format,
                            w,
                            h,
                        )
                        .unwrap(),
                    ),
                ];
                for (kind, bytes) in out {
                    let name = format!("sample-{kind}-{w}x{h}-{lang}.{format}");
                    std::fs::write(dir.join(name), bytes).unwrap();
                }
            }
        }
    }
}
