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

/// Upload `csv` as `name` to `app` with the API token of `user`.
async fn upload(
    app: &crate::helpers::TestApp,
    user: &str,
    name: &str,
    csv: &str,
) -> (u16, serde_json::Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name(name.to_string()),
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/ingest", app.address))
        .bearer_auth(crate::helpers::token(user))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// Jember's recorded SPBE index of `period`, as the explanation gives it.
async fn spbe_of_jember(app: &crate::helpers::TestApp, period: &str) -> serde_json::Value {
    let (_, body) = app
        .get_json(&format!("/api/v1/explain?region=35.09&period={period}"))
        .await;
    body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "indeks_spbe")
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_steward_uploads_values_for_their_region_through_the_ingest_route_and_they_are_scored() {
    let app = spawn_own(|c| {
        c.framework = repo().join("data/frameworks/seven_dimensions_with_values.toml");
    })
    .await;
    // Jember's steward sends a corrected 2022 index, a 2025 one, and one for Probolinggo,
    // which is outside Jember and refused.
    let csv = "kode_wilayah;tahun;indikator;nilai;sumber\n\
               35.09;2022;indeks_spbe;2,05;koreksi KepmenPANRB\n\
               35.09;2025;indeks_spbe;3,10;evaluasi SPBE 2025\n\
               35.74;2025;indeks_spbe;2,00;evaluasi SPBE 2025\n";
    let (status, report) = upload(&app, "diskominfo-jember", "spbe_2025.csv", csv).await;
    assert_eq!(status, 200, "{report}");
    let file = &report["files"][0];
    assert_eq!(file["values"], true, "{report}");
    assert_eq!(
        (file["accepted"].as_u64(), file["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (file["added"].as_u64(), file["replaced"].as_u64()),
        (Some(1), Some(1))
    );
    let refused = &report["rejections"][0];
    assert_eq!(refused["row"], 4);
    assert!(
        refused["reason_en"]
            .as_str()
            .unwrap()
            .contains("outside your region")
    );
    // The refused row is in the quarantine file, like a refused activity.
    assert!(file["quarantine"].as_str().is_some(), "{file}");

    // Scored at once, on the SPBE scale: 3.10 → 52.5, and the correction replaced 1.99.
    let spbe = spbe_of_jember(&app, "2025").await;
    assert_eq!(spbe["raw"].as_f64(), Some(3.1), "{spbe}");
    assert!(
        (spbe["score"].as_f64().unwrap() - 52.5).abs() < 1e-9,
        "{spbe}"
    );
    assert_eq!(
        spbe_of_jember(&app, "2022").await["raw"].as_f64(),
        Some(2.05)
    );

    // The same file again changes nothing; a viewer may not upload values at all.
    let (_, again) = upload(&app, "diskominfo-jember", "spbe_2025.csv", csv).await;
    assert_eq!(again["files"][0]["skipped_unchanged"], true, "{again}");
    let (status, _) = upload(&app, "bappeda-jember", "spbe.csv", csv).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_file_that_is_neither_activities_nor_values_is_refused_naming_the_activity_columns() {
    let app = spawn_own(|c| {
        c.framework = repo().join("data/frameworks/seven_dimensions_with_values.toml");
    })
    .await;
    let (status, report) = upload(
        &app,
        "diskominfo-jember",
        "catatan.csv",
        "kode_wilayah,keterangan\n35.09,apa saja\n",
    )
    .await;
    assert_eq!(status, 422, "{report}");
    let error = report["files"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("programme") && error.contains("quantity"),
        "{error}"
    );
}
