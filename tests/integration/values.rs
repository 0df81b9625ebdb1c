//! Indicator values as a second kind of input, on the real server: the framework that takes the
//! SPBE index and the public-service index beside the activity indicators, the shipped values
//! file read from the data folder, and a kab/kota's score explained down to the recorded value
//! and its source file.

use crate::helpers::{repo, spawn_own};

#[tokio::test]
async fn a_recorded_spbe_index_scores_on_its_own_scale_and_is_traced_to_its_file() {
    let app = spawn_own(|c| {
        c.framework = repo().join("data/frameworks/seven_dimensions_with_values.toml");
    })
    .await;
    // Jember's SPBE index of 2022 (1.99, KepmenPANRB No. 108 Tahun 2023): 24.75 on 1–5.
    let (status, body) = app
        .get_json("/api/v1/explain?region=35.09&period=2022")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["framework"], "seven_dimensions_with_values");
    let spbe = body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "indeks_spbe")
        .expect("the SPBE index among Jember's indicators");
    assert_eq!(spbe["raw"].as_f64(), Some(1.99));
    assert_eq!(spbe["goalposts"], serde_json::json!([1.0, 5.0]));
    let score = spbe["score"].as_f64().unwrap();
    assert!((score - 24.75).abs() < 1e-9, "{spbe}");
    // Its predicate is the SPBE scale's own, read off the value: 1.99 is Cukup.
    assert_eq!(spbe["predicate"]["label_id"], "Cukup", "{spbe}");
    let resp = app
        .get("/dimensi/government?region=35.09&period=2022")
        .await;
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("Indeks SPBE") && page.contains("Cukup"),
        "{page}"
    );

    // A year without a recorded value: not measured, never a zero.
    let (_, later) = app
        .get_json("/api/v1/explain?region=35.09&period=2025")
        .await;
    let spbe = later["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "indeks_spbe")
        .unwrap();
    assert!(spbe["raw"].is_null() && spbe["score"].is_null(), "{spbe}");
    let service = later["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "indeks_pelayanan_publik")
        .unwrap();
    assert!(
        service["raw"].is_null(),
        "no 2025 value is shipped: {service}"
    );

    // The government dimension of 2022 holds the recorded value beside the activity ones.
    let government: Vec<&serde_json::Value> = body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["dimension"] == "government" && i["score"].is_number())
        .collect();
    assert!(government.len() >= 2, "{government:?}");
    let weights: f64 = government
        .iter()
        .map(|i| i["weight"].as_f64().unwrap())
        .sum();
    assert!((weights - 1.0).abs() < 1e-9);

    // Kecamatan have no SPBE index: theirs is never measured.
    let (_, kecamatan) = app
        .get_json("/api/v1/explain?region=35.09.20&period=2022")
        .await;
    let spbe = kecamatan["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "indeks_spbe")
        .unwrap();
    assert!(spbe["raw"].is_null(), "{spbe}");
}

#[tokio::test]
async fn the_default_framework_does_not_read_the_values_folder() {
    let app = spawn_own(|_| {}).await;
    let quarantine = app.dir.path().join("store/quarantine");
    let refused: Vec<_> = std::fs::read_dir(&quarantine)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("values-"))
                .collect()
        })
        .unwrap_or_default();
    assert!(refused.is_empty(), "{refused:?}");
}
