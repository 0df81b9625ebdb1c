//! Small kab/kota on the shipped framework's `[small_regions]`: the same activity per resident
//! in a city of 142,000 and one of three million, served by a real server; the explanation
//! carries the weighted value and the share, the report names the weighted indicator, and
//! kecamatan are left as they are.

use crate::helpers::{TestApp, spawn_sample_with_file};
use crate::reports::pdf_text;

/// Kota Mojokerto and Kota Surabaya (Kemendagri 2024 populations in the regions file).
const SMALL: (&str, f64) = ("35.76", 142_272.0);
const LARGE: (&str, f64) = ("35.78", 3_018_022.0);
/// Records per 10,000 residents in 2025 in both: above the typical value, below the best
/// goalpost, so neither score is capped.
const PER_10K: f64 = 12.0;

async fn app() -> TestApp {
    let mut csv = String::from("activity_id,date,region_code,programme,dimension,quantity\n");
    for (region, residents) in [SMALL, LARGE] {
        let quantity = PER_10K * residents / 10_000.0;
        csv.push_str(&format!(
            "SR-{region},2025-05-01,{region},umkm_go_online,economy,{quantity}\n"
        ));
    }
    spawn_sample_with_file("kota_2025.csv", &csv, |_| {})
        .await
        .as_user("kominfo")
}

/// The explanation of `indicator` for `region` in 2025.
async fn explained(app: &TestApp, region: &str, indicator: &str) -> serde_json::Value {
    let (status, body) = app
        .get_json(&format!("/api/v1/explain?region={region}&period=2025"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == indicator)
        .unwrap_or_else(|| panic!("{indicator} not in {body}"))
        .clone()
}

#[tokio::test]
async fn a_small_citys_lead_per_resident_counts_by_its_population_and_its_report_says_so() {
    let app = app().await;
    let small = explained(&app, SMALL.0, "umkm_go_online").await;
    let large = explained(&app, LARGE.0, "umkm_go_online").await;
    for i in [&small, &large] {
        assert!((i["value"].as_f64().unwrap() - PER_10K).abs() < 1e-6, "{i}");
    }
    let typical = small["typical"].as_f64().unwrap();
    assert!(typical < PER_10K, "{small}");
    // The share of the lead over the typical value that counts: residents / (residents + 100,000).
    for (i, (_, residents)) in [(&small, SMALL), (&large, LARGE)] {
        let share = residents / (residents + 100_000.0);
        assert!(
            (i["own_weight"].as_f64().unwrap() - share).abs() < 1e-9,
            "{i}"
        );
        let weighted = typical + share * (PER_10K - typical);
        assert!(
            (i["treated"].as_f64().unwrap() - weighted).abs() < 1e-6,
            "{i}"
        );
    }
    // The same activity per resident: the larger city's counts more.
    assert!(large["score"].as_f64().unwrap() > small["score"].as_f64().unwrap());

    // The report of the small city names the weighted indicator and the share that counted.
    let resp = app.get(&format!("/reports/{}/2025.pdf", SMALL.0)).await;
    assert_eq!(resp.status().as_u16(), 200);
    let text = pdf_text(&resp.bytes().await.unwrap());
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let share = (100.0 * SMALL.1 / (SMALL.1 + 100_000.0)).round();
    assert!(
        flat.contains(&format!(
            "ditimbang karena penduduknya sedikit (yang dihitung {share} %): {}",
            small["name_id"].as_str().unwrap()
        )),
        "{flat}"
    );
    assert!(flat.contains("Wilayah kecil"), "{flat}");
}

#[tokio::test]
async fn kecamatan_are_not_weighted_for_their_size() {
    let app = app().await;
    let patrang = explained(&app, "35.09.20", "umkm_go_online").await;
    assert!(patrang["own_weight"].is_null(), "{patrang}");
    assert_eq!(patrang["value"], patrang["treated"], "{patrang}");
}
