//! The server on a real port: page, JSON, charts, errors.

use std::path::Path;

use kotacerdas::job::{self, ReferenceData};

use crate::helpers::{decode_png, files_in, spawn_app, test_config};

/// Run the job on the sample data into `dir`, rendering the standard charts.
fn run_job(dir: &Path) {
    let config = test_config(dir);
    let reference = ReferenceData::load(&config).unwrap();
    job::run(&config, &reference, true).unwrap();
}

#[tokio::test]
async fn dashboard_shows_jember_index_radar_and_all_31_kecamatan() {
    let app = spawn_app().await;
    let resp = app.get("/").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("<html lang=\"id\""));
    assert!(
        html.contains("Kabupaten Jember — Indeks Kota Cerdas 2025"),
        "title missing"
    );
    assert!(html.contains("/charts/radar.png?region=35.09&amp;period=2025"));
    for dimension in [
        "Ekonomi",
        "Masyarakat",
        "Tata Kelola",
        "Pemerintahan",
        "Mobilitas",
        "Lingkungan",
        "Kehidupan",
    ] {
        assert!(html.contains(dimension), "{dimension} missing");
    }
    let ranking_links = html.matches("href=\"/?region=35.09.").count();
    assert_eq!(
        ranking_links, 31,
        "one link per kecamatan in the ranking table"
    );
    assert!(html.contains("Sumbersari") && html.contains("Kencong"));
}

#[tokio::test]
async fn dashboard_for_a_kecamatan_and_year_highlights_it_and_speaks_english_on_request() {
    let app = spawn_app().await;
    let html = app
        .get("/?region=35.09.20&period=2022&lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\""));
    assert!(html.contains("Smart City Index 2022"));
    assert!(
        html.contains("class=\"selected\""),
        "selected kecamatan not highlighted"
    );
    assert!(html.contains("<option value=\"2022\" selected"));
}

#[tokio::test]
async fn dashboard_for_an_unknown_region_is_a_404_page() {
    let app = spawn_app().await;
    let resp = app.get("/?region=99.99").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.unwrap().contains("99.99"));
}

#[tokio::test]
async fn scores_api_gives_index_and_seven_dimensions_with_ranks() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/scores?region=35.09&period=2025")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["region"]["name"], "Kabupaten Jember");
    assert_eq!(body["period"], "2025");
    assert_eq!(body["previous_period"], "2024");
    let index = body["index"]["score"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&index));
    assert_eq!(body["index"]["rank"], 1);
    let dims = body["dimensions"].as_array().unwrap();
    assert_eq!(dims.len(), 7);
    assert_eq!(dims[0]["id"], "economy");
    assert_eq!(dims[0]["name_id"], "Ekonomi");
    for d in dims {
        let s = d["score"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&s), "{d}");
    }
    // The kabupaten's index is the mean of its (equally weighted) dimension scores.
    let mean = dims
        .iter()
        .map(|d| d["score"].as_f64().unwrap())
        .sum::<f64>()
        / 7.0;
    assert!((mean - index).abs() < 1e-9);
}

#[tokio::test]
async fn scores_api_ranks_a_kecamatan_among_31_peers() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/scores?region=35.09.20&period=2025")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["peer_group"], "35.09");
    assert_eq!(body["index"]["peers"], 31);
    let rank = body["index"]["rank"].as_u64().unwrap();
    assert!((1..=31).contains(&rank));
    assert!(body["index"]["change"].is_number());
}

#[tokio::test]
async fn scores_api_answers_bad_selections_with_json_errors() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/scores?region=35.99").await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"].as_str().unwrap().contains("35.99"));
    let (status, body) = app
        .get_json("/api/v1/scores?region=35.09&period=1999")
        .await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("2025"),
        "{body}"
    );
    let (status, body) = app.get_json("/api/v1/scores?region=jember").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("region")
    );
    // A known region without activity data: Kabupaten Banyuwangi.
    let (status, _) = app.get_json("/api/v1/scores?region=35.10").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn radar_png_is_a_real_800_by_500_image_with_the_highlight_colour() {
    let app = spawn_app().await;
    let resp = app
        .get("/charts/radar.png?region=35.09.20&period=2025")
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    let bytes = resp.bytes().await.unwrap();
    let (w, h, pixels) = decode_png(&bytes);
    assert_eq!((w, h), (800, 500));
    let non_white = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        non_white > 10_000,
        "image looks blank: {non_white} non-white pixels"
    );
    let blue = pixels
        .iter()
        .filter(|p| {
            p[0].abs_diff(0x00) < 24 && p[1].abs_diff(0x72) < 24 && p[2].abs_diff(0xB2) < 24
        })
        .count();
    assert!(
        blue > 200,
        "emphasised series colour missing ({blue} pixels)"
    );
}

#[tokio::test]
async fn radar_svg_and_sizes_and_languages_are_served() {
    let app = spawn_app().await;
    let resp = app
        .get("/charts/radar.svg?region=35.09.20&period=2025&lang=en")
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    let svg = resp.text().await.unwrap();
    assert!(svg.contains("<svg") && svg.contains("Smart City Index 2025"));
    assert!(svg.contains("Economy") && svg.contains("Governance"));
    let resp = app
        .get("/charts/radar.png?region=35.09&width=1600&height=1000")
        .await;
    assert_eq!(resp.status(), 200);
    let (w, h, _) = decode_png(&resp.bytes().await.unwrap());
    assert_eq!((w, h), (1600, 1000));
}

#[tokio::test]
async fn charts_reject_unknown_kinds_regions_and_sizes() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/charts/pie.png").await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"].as_str().unwrap().contains("radar"));
    let (status, _) = app.get_json("/charts/radar.gif").await;
    assert_eq!(status, 404);
    let (status, _) = app.get_json("/charts/radar.png?region=11.01").await;
    assert_eq!(status, 404);
    let (status, body) = app.get_json("/charts/radar.png?width=10000").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("2400"),
        "{body}"
    );
}

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn the_job_renders_a_radar_per_region_for_the_latest_period() {
    let dir = tempfile::tempdir().unwrap();
    let chart_dir = || dir.path();
    tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        move || run_job(&dir)
    })
    .await
    .unwrap();
    let pngs = files_in(chart_dir(), "png");
    let svgs = files_in(chart_dir(), "svg");
    let count = |files: &[std::path::PathBuf], kind: &str| {
        files
            .iter()
            .filter(|p| {
                let name = p.file_name().unwrap().to_str().unwrap();
                name.starts_with(&format!("{kind}_")) && name.contains("_2025.")
            })
            .count()
    };
    // 31 kecamatan + the kabupaten for each per-region kind; one heatmap for the kabupaten.
    for (kind, n) in [
        ("radar", 32),
        ("bars", 32),
        ("trend", 32),
        ("map", 32),
        ("heatmap", 1),
    ] {
        assert_eq!(count(&pngs, kind), n, "{kind} PNGs");
        assert_eq!(count(&svgs, kind), n, "{kind} SVGs");
    }
    assert_eq!(pngs.len(), 4 * 32 + 1);
    assert_eq!(svgs.len(), pngs.len());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(chart_dir().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["charts"].as_array().unwrap().len(),
        2 * (4 * 32 + 1)
    );
    let kab = chart_dir().join("radar_35.09_2025.png");
    let (w, h, _) = decode_png(&std::fs::read(kab).unwrap());
    assert_eq!((w, h), (800, 500));
}

#[tokio::test]
async fn the_job_stores_the_scores_with_the_framework_that_made_them() {
    use polars::prelude::SerReader;
    let app = spawn_app().await;
    let results = app.dir.path().join("store/results");
    for name in ["indicators", "dimensions", "index", "explain"] {
        let path = results.join(format!("{name}.parquet"));
        let df = polars::prelude::ParquetReader::new(std::fs::File::open(&path).unwrap())
            .finish()
            .unwrap();
        assert!(df.height() > 0, "{name} is empty");
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert!(
            names.iter().any(|c| c.contains("framework")),
            "{name} does not record its framework: {names:?}"
        );
    }
}
