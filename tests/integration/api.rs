//! The `/api/v1` read routes on the real server: good and bad parameters, and the error body
//! on every kind of failure (unknown route, wrong method, malformed query string).

use serde_json::Value;

use crate::helpers::spawn_app;

fn error_message(body: &Value, status: u16) -> String {
    assert_eq!(body["error"]["status"], status, "{body}");
    body["error"]["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn regions_filtered_by_parent_are_jembers_31_kecamatan_in_code_order() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/regions?parent=35.09&level=district&scored=true")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 31);
    let rows = body["regions"].as_array().unwrap();
    assert_eq!(rows.len(), 31);
    assert!(
        rows.iter()
            .all(|r| r["level"] == "district" && r["parent"] == "35.09")
    );
    assert!(rows.iter().all(|r| r["scored"] == true));
    let codes: Vec<&str> = rows.iter().map(|r| r["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
}

#[tokio::test]
async fn regions_page_with_limit_and_offset_and_count_the_total() {
    let app = spawn_app().await;
    let (_, all) = app.get_json("/api/v1/regions?parent=35.09").await;
    let (status, page) = app
        .get_json("/api/v1/regions?parent=35.09&limit=5&offset=10")
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], all["total"]);
    assert_eq!(page["regions"].as_array().unwrap().len(), 5);
    assert_eq!(page["regions"][0]["code"], all["regions"][10]["code"]);
}

#[tokio::test]
async fn regions_with_bad_parameters_are_400_or_404_with_the_error_body() {
    let app = spawn_app().await;
    for (path, status, needle) in [
        ("/api/v1/regions?level=galaxy", 400, "level"),
        ("/api/v1/regions?parent=35.9", 400, "parent"),
        ("/api/v1/regions?parent=99.99", 404, "99.99"),
        ("/api/v1/regions?limit=0", 400, "limit"),
        ("/api/v1/regions?limit=abc", 400, "limit"),
        ("/api/v1/regions/35.09.99", 404, "35.09.99"),
        ("/api/v1/regions/jember", 400, "jember"),
    ] {
        let (got, body) = app.get_json(path).await;
        assert_eq!(got, status, "{path}: {body}");
        let message = error_message(&body, status);
        assert!(message.contains(needle), "{path}: {message}");
    }
}

#[tokio::test]
async fn one_region_lists_its_children_and_scored_periods() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/regions/35.09").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Kabupaten Jember");
    assert_eq!(body["level"], "regency");
    assert_eq!(body["parent"], "35");
    assert_eq!(body["children"].as_array().unwrap().len(), 31);
    assert!(
        body["periods"]
            .as_array()
            .unwrap()
            .contains(&Value::from("2025"))
    );
}

#[tokio::test]
async fn periods_and_frameworks_describe_what_was_scored() {
    let app = spawn_app().await;
    let (_, periods) = app.get_json("/api/v1/periods").await;
    assert_eq!(periods["granularity"], "year");
    assert_eq!(periods["latest"], "2025");
    let (_, frameworks) = app.get_json("/api/v1/frameworks").await;
    let f = &frameworks[0];
    assert_eq!(f["id"], "seven_dimensions");
    assert_eq!(f["dimensions"].as_array().unwrap().len(), 7);
    let indicators = f["indicators"].as_array().unwrap();
    assert!(!indicators.is_empty());
    assert!(indicators.iter().all(|i| {
        i["href"]
            .as_str()
            .unwrap()
            .starts_with("/api/v1/indicators/")
    }));
    let (status, one) = app.get_json("/api/v1/frameworks/seven_dimensions").await;
    assert_eq!(status, 200);
    assert_eq!(one["version"], f["version"]);
    let (status, body) = app.get_json("/api/v1/frameworks/spbe").await;
    assert_eq!(status, 404);
    assert!(error_message(&body, 404).contains("seven_dimensions"));
}

#[tokio::test]
async fn scores_filtered_by_dimension_keep_only_those_and_link_the_explanation() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/scores?region=35.09.20&period=2025&dimension=economy,mobility")
        .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["economy", "mobility"]);
    assert_eq!(
        body["explain"],
        "/api/v1/explain?region=35.09.20&period=2025"
    );
    let (status, body) = app.get_json("/api/v1/scores?dimension=weather").await;
    assert_eq!(status, 404);
    assert!(error_message(&body, 404).contains("economy"));
}

#[tokio::test]
async fn a_peer_group_is_ranked_best_first_by_index_or_by_a_dimension() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/scores/peers?peer_group=35.09&period=2025",
        "/api/v1/scores/peers?peer_group=35.09&dimension=economy",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 31, "{path}");
        let ranks: Vec<u64> = rows.iter().filter_map(|r| r["rank"].as_u64()).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{path}: {ranks:?}");
        assert_eq!(ranks[0], 1);
        assert!(rows.iter().all(|r| r["region"]["level"] == "district"));
    }
    let (_, index) = app.get_json("/api/v1/scores/peers?peer_group=35.09").await;
    let (_, one) = app
        .get_json(&format!(
            "/api/v1/scores?region={}",
            index["rows"][0]["region"]["code"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one["index"]["rank"], 1);
    assert_eq!(one["index"]["score"], index["rows"][0]["score"]);
    let (status, _) = app.get_json("/api/v1/scores/peers?peer_group=35.10").await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get_json("/api/v1/scores/peers?dimension=economy,people")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_indicator_is_explained_for_a_kecamatan_and_for_its_kabupaten_measured_whole() {
    let app = spawn_app().await;
    let (_, list) = app.get_json("/api/v1/indicators?dimension=economy").await;
    let list = list.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|i| i["dimension"] == "economy"));
    let id = list[0]["id"].as_str().unwrap();
    let (status, body) = app
        .get_json(&format!(
            "/api/v1/indicators/{id}?region=35.09.20&period=2025"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["explained"]["id"], id);
    assert!(body["explained"]["score"].is_number(), "{body}");
    let (_, explain) = app.get_json(body["explain"].as_str().unwrap()).await;
    let same = explain["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap();
    assert_eq!(same, &body["explained"]);
    // The kab/kota is measured whole: its own value, at least its kecamatan's.
    let (status, kab) = app
        .get_json(&format!("/api/v1/indicators/{id}?region=35.09&period=2025"))
        .await;
    assert_eq!(status, 200);
    assert!(kab["explained"]["score"].is_number(), "{kab}");
    assert!(kab["explained"]["raw"].as_f64() >= body["explained"]["raw"].as_f64());
    let (status, _) = app.get_json("/api/v1/indicators/no_such_thing").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn activities_are_paged_filtered_by_region_below_and_counted() {
    let app = spawn_app().await;
    let (status, all) = app
        .get_json("/api/v1/activities?region=35.09.20&period=2025&limit=1000")
        .await;
    assert_eq!(status, 200, "{all}");
    let total = all["total"].as_u64().unwrap() as usize;
    let rows = all["activities"].as_array().unwrap();
    assert!(total > 10, "{total}");
    assert_eq!(rows.len(), total.min(1000));
    assert!(rows.iter().all(|r| {
        let code = r["region_code"].as_str().unwrap();
        (code == "35.09.20" || code.starts_with("35.09.20."))
            && r["date"].as_str().unwrap().starts_with("2025-")
    }));
    let (_, page) = app
        .get_json("/api/v1/activities?region=35.09.20&period=2025&limit=5&offset=5")
        .await;
    assert_eq!(page["total"], total);
    assert_eq!(page["activities"].as_array().unwrap().len(), 5);
    assert_eq!(page["activities"][0], rows[5]);
    let (_, economy) = app
        .get_json("/api/v1/activities?region=35.09&dimension=economy&limit=50")
        .await;
    assert!(
        economy["activities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["dimension"] == "economy")
    );
    let programme = rows[0]["programme"].as_str().unwrap();
    let (_, by_programme) = app
        .get_json(&format!(
            "/api/v1/activities?programme={programme}&limit=20"
        ))
        .await;
    assert!(
        by_programme["activities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["programme"] == programme)
    );
}

#[tokio::test]
async fn activities_as_csv_have_a_header_and_the_same_rows() {
    let app = spawn_app().await;
    let (_, json) = app
        .get_json("/api/v1/activities?region=35.09.20&period=2025&limit=7")
        .await;
    let resp = app
        .get("/api/v1/activities?region=35.09.20&period=2025&limit=7&format=csv")
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = resp.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "activity_id");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 7);
    for (record, row) in records.iter().zip(json["activities"].as_array().unwrap()) {
        assert_eq!(&record[0], row["activity_id"].as_str().unwrap());
        assert_eq!(&record[2], row["region_code"].as_str().unwrap());
    }
}

#[tokio::test]
async fn activities_with_bad_filters_say_which_one() {
    let app = spawn_app().await;
    for (path, status, needle) in [
        ("/api/v1/activities?limit=5000", 400, "limit"),
        ("/api/v1/activities?format=xml", 400, "format"),
        ("/api/v1/activities?region=35.09.99", 404, "35.09.99"),
        ("/api/v1/activities?programme=nope", 404, "nope"),
        ("/api/v1/activities?dimension=nope", 404, "nope"),
        ("/api/v1/activities?period=1999", 404, "1999"),
        ("/api/v1/activities?offset=-1", 400, "offset"),
    ] {
        let (got, body) = app.get_json(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            error_message(&body, status).contains(needle),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn ingest_runs_come_from_the_store_manifest_newest_first() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/ingest/runs").await;
    assert_eq!(status, 200, "{body}");
    let runs = body["runs"].as_array().unwrap();
    assert!(!runs.is_empty());
    assert_eq!(body["total"].as_u64().unwrap() as usize, runs.len());
    let times: Vec<&str> = runs
        .iter()
        .map(|r| r["ingested_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let source = runs[0]["source"].as_str().unwrap();
    let (_, one) = app
        .get_json(&format!("/api/v1/ingest/runs?source={source}"))
        .await;
    assert!(
        one["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["source"] == source)
    );
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_malformed_queries_answer_with_the_error_body() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert!(error_message(&body, 404).contains("/api/v1/nothing-here"));
    let resp = app
        .client
        .delete(format!("{}/api/v1/scores", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let body: Value = resp.json().await.unwrap();
    error_message(&body, 405);
    let (status, body) = app.get_json("/charts/radar.png?width=wide").await;
    assert_eq!(status, 400);
    assert!(error_message(&body, 400).contains("width"), "{body}");
}
