//! The radar rendered for real: PNG decoded and checked for drawn pixels and the emphasised
//! colour, SVG read back for its texts and number format, unusual inputs, and validation.
//! `sample` is the radar the SVG snapshot draws.

use super::*;
use crate::chart::frame::Drawable;
use crate::chart::pixmap::PixmapCanvas;
use crate::chart::raster;
use crate::chart::{DEFAULT_HEIGHT, DEFAULT_WIDTH, MAX_HEIGHT, MAX_WIDTH, MIN_HEIGHT, MIN_WIDTH};

/// Draws the chart and returns its RGBA pixels.
fn rasterize(chart: &RadarChart, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let canvas = PixmapCanvas::new(width, height)?;
    chart.draw(&canvas, f64::from(width), f64::from(height))?;
    Ok(canvas.into_rgba())
}

pub(crate) fn sample(lang: Lang, overlays: usize) -> RadarChart {
    let axes = [
        "Ekonomi",
        "Masyarakat",
        "Lingkungan",
        "Tata Kelola",
        "Mobilitas",
        "Kehidupan",
        "Pemerintahan",
    ];
    let mut series = vec![RadarSeries {
        label: "2025".into(),
        values: vec![
            Some(63.4),
            Some(71.0),
            Some(48.25),
            Some(82.9),
            Some(55.5),
            Some(39.0),
            Some(90.1),
        ],
        emphasis: true,
    }];
    let extra = [
        (
            "2024",
            [58.0, 66.5, 51.0, 75.0, 49.0, 42.5, 84.0]
                .map(Some)
                .to_vec(),
        ),
        (
            "Median 31 kecamatan",
            [60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
                .map(Some)
                .to_vec(),
        ),
    ];
    for (label, values) in extra.into_iter().take(overlays) {
        series.push(RadarSeries {
            label: label.into(),
            values,
            emphasis: false,
        });
    }
    RadarChart {
        title: "Kecamatan Sumbersari — Indeks Kota Cerdas 2025".into(),
        subtitle: "Skor dimensi 0–100, min-maks antar 31 kecamatan".into(),
        axes: axes.iter().map(|s| s.to_string()).collect(),
        series,
        max: 100.0,
        source: "Sumber: data kegiatan Diskominfo & Relawan TIK Jember, diolah".into(),
        lang,
    }
}

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Renders, decodes and checks a PNG; `min_drawn` is the least share of non-white pixels.
fn check_png_drawn(chart: &RadarChart, width: u32, height: u32, min_drawn: f64) {
    let bytes = render_radar(chart, Format::Png, width, height).unwrap();
    let (w, h, rgb) = decode(&bytes);
    assert_eq!((w, h), (width, height));
    let pixels = rgb.chunks_exact(3);
    let total = pixels.len();
    let non_white = pixels.clone().filter(|p| p != &[255, 255, 255]).count();
    assert!(
        non_white as f64 > total as f64 * min_drawn,
        "only {non_white} of {total} pixels drawn"
    );
    let near = |p: &[u8], c: [u8; 3]| p.iter().zip(c).all(|(&a, b)| a.abs_diff(b) <= 12);
    let blue = pixels.filter(|p| near(p, [0x00, 0x72, 0xB2])).count();
    assert!(blue > 200, "emphasised blue missing ({blue} pixels)");
}

fn check_png(chart: &RadarChart, width: u32, height: u32) {
    check_png_drawn(chart, width, height, 0.05);
}

#[test]
fn png_at_default_and_double_size() {
    check_png(&sample(Lang::Id, 0), DEFAULT_WIDTH, DEFAULT_HEIGHT);
    check_png(&sample(Lang::En, 2), 1600, 1000);
}

#[test]
fn png_at_extreme_sizes() {
    // Extreme aspect ratios leave most of the image white by necessity.
    check_png_drawn(&sample(Lang::Id, 2), MIN_WIDTH, MIN_HEIGHT, 0.05);
    check_png_drawn(&sample(Lang::Id, 2), MIN_WIDTH, MAX_HEIGHT, 0.02);
    check_png_drawn(&sample(Lang::Id, 1), MAX_WIDTH, MIN_HEIGHT, 0.02);
    check_png(&sample(Lang::En, 2), MAX_WIDTH, MAX_HEIGHT);
}

#[test]
fn svg_has_title_axes_and_number_format() {
    let svg = render_radar(&sample(Lang::Id, 2), Format::Svg, 800, 500).unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("Kecamatan Sumbersari — Indeks Kota Cerdas 2025"));
    for axis in [
        "Ekonomi",
        "Masyarakat",
        "Lingkungan",
        "Tata Kelola",
        "Pemerintahan",
    ] {
        assert!(svg.contains(&format!("\n{axis}\n")), "axis {axis} missing");
    }
    assert!(svg.contains("63,4"), "Indonesian decimal comma");
    assert!(svg.contains("Median 31 kecamatan"));
    assert!(svg.contains("DejaVu Sans"));
    assert!(!svg.contains("font-family=\"sans-serif\""));

    let en = render_radar(&sample(Lang::En, 0), Format::Svg, 800, 500).unwrap();
    assert!(String::from_utf8(en).unwrap().contains("63.4"));
}

#[test]
fn missing_values_are_gaps_not_zeros() {
    let mut chart = sample(Lang::Id, 1);
    chart.series[0].values[2] = None;
    chart.series[1].values[3] = Some(f64::NAN);
    let svg = String::from_utf8(render_radar(&chart, Format::Svg, 800, 500).unwrap()).unwrap();
    assert!(svg.contains("\n–\n"), "gap marker");
    check_png(&chart, 800, 500);

    chart.series[0].values = vec![None; 7];
    check_png(&sample(Lang::Id, 0), 800, 500);
    render_radar(&chart, Format::Png, 800, 500).unwrap();
}

/// Charts at the edges of what callers may send: few and many axes, long texts, values at
/// and beyond the scale, no emphasised series, empty texts.
fn unusual_charts() -> Vec<(&'static str, RadarChart)> {
    let mut out = Vec::new();

    let mut three = sample(Lang::Id, 1);
    three.axes.truncate(3);
    for s in &mut three.series {
        s.values.truncate(3);
    }
    out.push(("3-axes", three));

    let names = [
        "Ekonomi Digital",
        "Masyarakat",
        "Lingkungan Hidup",
        "Tata Kelola",
        "Mobilitas",
        "Kualitas Kehidupan",
        "Pemerintahan",
        "Infrastruktur TIK",
        "Pendidikan",
        "Kesehatan",
        "Keamanan",
        "Pariwisata dan Budaya Lokal",
    ];
    let mut twelve = sample(Lang::En, 2);
    twelve.axes = names.iter().map(|s| s.to_string()).collect();
    for (k, s) in twelve.series.iter_mut().enumerate() {
        s.values = (0..12)
            .map(|i| Some(((i * 37 + k * 11) % 90) as f64 + 10.0))
            .collect();
    }
    twelve.series[2].label = "Median seluruh kecamatan di Kabupaten Jember tahun sebelumnya".into();
    out.push(("12-axes", twelve));

    let mut extremes = sample(Lang::Id, 1);
    extremes.series[0].values = vec![
        Some(100.0),
        Some(100.0),
        Some(0.0),
        Some(120.0),
        Some(-5.0),
        Some(99.9),
        Some(100.0),
    ];
    extremes.title = "Kecamatan Sumbersari, Kabupaten Jember, Provinsi Jawa Timur — Indeks Kota Cerdas Triwulan III 2025".into();
    out.push(("extremes", extremes));

    let mut small = sample(Lang::Id, 1);
    small.series[0].values = [4.4, 10.6, 3.9, 31.5, 33.4, 18.0, 18.6].map(Some).to_vec();
    small.series[1].values = [8.0, 5.0, 2.0, 40.0, 12.0, 9.0, 15.0].map(Some).to_vec();
    out.push(("small-values", small));

    let mut plain = sample(Lang::Id, 2);
    for s in &mut plain.series {
        s.emphasis = false;
    }
    plain.subtitle.clear();
    plain.source.clear();
    out.push(("no-emphasis", plain));

    let mut empty = sample(Lang::Id, 0);
    empty.series[0].values = vec![None; 7];
    empty.title.clear();
    out.push(("all-missing", empty));

    let mut none = sample(Lang::Id, 0);
    none.series.clear();
    out.push(("no-series", none));
    out
}

#[test]
fn unusual_inputs_render() {
    for (name, chart) in unusual_charts() {
        for (w, h) in [(800, 500), (MIN_WIDTH, MIN_HEIGHT)] {
            for format in [Format::Png, Format::Svg] {
                let r = render_radar(&chart, format, w, h);
                assert!(r.is_ok(), "{name} {w}×{h} {format}: {r:?}");
            }
        }
    }
}

#[test]
fn size_and_data_are_validated() {
    let chart = sample(Lang::Id, 0);
    for (w, h) in [(319, 500), (2401, 500), (800, 199), (800, 1601), (0, 0)] {
        let err = render_radar(&chart, Format::Png, w, h).unwrap_err();
        assert!(matches!(err, ChartError::SizeOutOfRange { .. }), "{w}×{h}");
        assert!(err.to_string().contains("320–2400"));
    }
    let mut bad = chart.clone();
    bad.axes.truncate(2);
    assert!(matches!(
        render_radar(&bad, Format::Svg, 800, 500),
        Err(ChartError::InvalidData(_))
    ));
    let mut bad = chart.clone();
    bad.series[0].values.pop();
    assert!(matches!(
        render_radar(&bad, Format::Svg, 800, 500),
        Err(ChartError::InvalidData(_))
    ));
    let mut bad = chart;
    bad.max = 0.0;
    assert!(matches!(
        render_radar(&bad, Format::Png, 800, 500),
        Err(ChartError::InvalidData(_))
    ));
}

/// Writes sample images to /tmp/chart-samples and prints sizes and timings when
/// `KOTACERDAS_WRITE_SAMPLES=1`; a no-op otherwise.
#[test]
fn write_samples() {
    if std::env::var("KOTACERDAS_WRITE_SAMPLES").as_deref() != Ok("1") {
        return;
    }
    let dir = std::path::Path::new("/tmp/chart-samples");
    std::fs::create_dir_all(dir).unwrap();
    let mut gaps = sample(Lang::Id, 2);
    gaps.series[0].values[2] = None;
    gaps.series[0].values[5] = None;
    gaps.series[1].values[3] = None;
    gaps.axes[3] = "Tata Kelola Pemerintahan Daerah".into();
    for (w, h) in [(800, 500), (1600, 1000)] {
        for format in [Format::Png, Format::Svg] {
            let bytes = render_radar(&gaps, format, w, h).unwrap();
            std::fs::write(dir.join(format!("radar-{w}x{h}-gaps.{format}")), bytes).unwrap();
        }
    }
    for (name, chart) in unusual_charts() {
        let bytes = render_radar(&chart, Format::Png, 800, 500).unwrap();
        std::fs::write(dir.join(format!("radar-800x500-{name}.png")), bytes).unwrap();
    }
    let sizes = [
        (800, 500),
        (1600, 1000),
        (320, 200),
        (500, 700),
        (2400, 1600),
        (320, 1600),
        (2400, 200),
    ];
    for (w, h) in sizes {
        for (lang, overlays) in [(Lang::Id, 0), (Lang::En, 2), (Lang::Id, 2)] {
            let chart = sample(lang, overlays);
            for format in [Format::Png, Format::Svg] {
                let bytes = render_radar(&chart, format, w, h).unwrap();
                let name = format!("radar-{w}x{h}-{lang}-{}.{format}", overlays + 1);
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
    }
    // Timing: drawing and encoding separately.
    for (w, h, overlays) in [
        (800, 500, 0),
        (800, 500, 2),
        (1600, 1000, 2),
        (2400, 1600, 2),
    ] {
        let chart = sample(Lang::Id, overlays);
        let runs = 10;
        let start = std::time::Instant::now();
        let mut rgb = Vec::new();
        for _ in 0..runs {
            rgb = rasterize(&chart, w, h).unwrap();
        }
        let draw = start.elapsed() / runs;
        let start = std::time::Instant::now();
        let mut size = 0;
        for _ in 0..runs {
            size = raster::encode_png(&rgb, w, h).unwrap().len();
        }
        let encode = start.elapsed() / runs;
        println!(
            "{w}×{h} PNG, {} series: {size} bytes; draw {draw:?}, encode {encode:?}",
            overlays + 1
        );
    }
}
