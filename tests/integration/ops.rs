//! Operations on the real server: ETag and 304, the cache emptied by an upload, `/metrics`,
//! `/readyz`, compression, the body limit, and on-demand job runs.

use kotacerdas::config::Config;
use serde_json::Value;

use crate::helpers::{spawn_app, token};

/// A server of its own on a fresh store (tests here change the store or the state).
type Own = crate::helpers::TestApp;

async fn spawn_own(adjust: impl FnOnce(&mut Config)) -> Own {
    crate::helpers::spawn_own(adjust).await
}

trait Revalidate {
    async fn get_if(&self, path: &str, if_none_match: Option<&str>) -> reqwest::Response;
}

impl Revalidate for Own {
    async fn get_if(&self, path: &str, if_none_match: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(format!("{}{path}", self.address));
        if let Some(tag) = if_none_match {
            req = req.header("if-none-match", tag);
        }
        req.send().await.unwrap()
    }
}

fn etag(resp: &reqwest::Response) -> String {
    resp.headers()["etag"].to_str().unwrap().to_string()
}

/// The value of a sample line in the Prometheus text, by its exact name and labels.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn a_chart_has_an_etag_and_cache_control_and_a_matching_if_none_match_is_a_304() {
    let app = spawn_app().await;
    let path = "/charts/radar.svg?region=35.09.05&period=2024";
    let first = app.get(path).await;
    assert_eq!(first.status(), 200);
    let tag = etag(&first);
    // Weak: the compression layer may send the same content gzip- or br-encoded.
    assert!(tag.starts_with("W/\"") && tag.ends_with('"'), "{tag}");
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let body = first.bytes().await.unwrap();
    let again = app
        .client
        .get(format!("{}{path}", app.address))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(etag(&again), tag);
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = app
        .client
        .get(format!("{}{path}", app.address))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.bytes().await.unwrap(), body);
}

#[tokio::test]
async fn the_scores_json_is_cached_with_an_etag_too() {
    let app = spawn_app().await;
    let first = app.get("/api/v1/scores?region=35.09.07").await;
    assert_eq!(first.status(), 200);
    let tag = etag(&first);
    let again = app
        .client
        .get(format!("{}/api/v1/scores?region=35.09.07", app.address))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

const NEW_ROWS: &str = "id_kegiatan;tanggal;kode_wilayah;program;jumlah\n\
OPS-1;01/03/2025;35.09.20;wifi_publik;400\n\
OPS-2;02/03/2025;35.09.20;wifi_publik;2.500\n\
OPS-3;03/03/2025;35.09.99;wifi_publik;1\n";

#[tokio::test]
async fn an_upload_that_changes_the_scores_empties_the_cache_and_changes_the_etag() {
    let own = spawn_own(|_| {}).await;
    let chart = "/charts/radar.svg?region=35.09.20&period=2025";
    let scores = "/api/v1/scores?region=35.09.20&period=2025";
    let chart_before = etag(&own.get_if(chart, None).await);
    let scores_before = etag(&own.get_if(scores, None).await);
    assert_eq!(own.get_if(scores, Some(&scores_before)).await.status(), 304);
    let generation = own.state.cache.generation();

    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(NEW_ROWS.as_bytes().to_vec()).file_name("ops.csv"),
    );
    let resp = own
        .client
        .post(format!("{}/api/v1/ingest", own.address))
        .bearer_auth(token("admin"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(own.state.cache.generation(), generation + 1);

    // The old ETag no longer matches: the scores changed and the answer is rendered anew.
    let after = own.get_if(scores, Some(&scores_before)).await;
    assert_eq!(after.status(), 200);
    assert_ne!(etag(&after), scores_before);
    let chart_after = own.get_if(chart, None).await;
    assert_eq!(chart_after.status(), 200);
    assert_ne!(etag(&chart_after), chart_before);

    let metrics = own.get_if("/metrics", None).await.text().await.unwrap();
    assert!(sample(&metrics, "kotacerdas_ingest_rows_accepted_total").unwrap() >= 2.0);
    assert!(sample(&metrics, "kotacerdas_ingest_rows_rejected_total").unwrap() >= 1.0);
    assert_eq!(
        sample(&metrics, "kotacerdas_snapshot_generation"),
        Some((generation + 1) as f64)
    );
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_status_and_cache_hits() {
    let own = spawn_own(|_| {}).await;
    let path = "/charts/radar.png?region=35.09.11";
    for _ in 0..3 {
        assert_eq!(own.get_if(path, None).await.status(), 200);
    }
    assert_eq!(
        own.get_if("/charts/radar.png?region=99.99", None)
            .await
            .status(),
        404
    );
    assert_eq!(own.get_if("/no/such/route", None).await.status(), 404);
    let resp = own.get_if("/metrics", None).await;
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = resp.text().await.unwrap();
    let series = |s: &str| sample(&text, s).unwrap_or_else(|| panic!("{s} missing:\n{text}"));
    assert_eq!(
        series(
            r#"kotacerdas_http_requests_total{method="GET",route="/charts/{file}",status="200"}"#
        ),
        3.0
    );
    assert_eq!(
        series(
            r#"kotacerdas_http_requests_total{method="GET",route="/charts/{file}",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        series(r#"kotacerdas_http_requests_total{method="GET",route="unmatched",status="404"}"#),
        1.0
    );
    assert_eq!(
        series(
            r#"kotacerdas_http_request_duration_seconds_count{method="GET",route="/charts/{file}",status="200"}"#
        ),
        3.0
    );
    assert_eq!(series("kotacerdas_cache_hits_total"), 2.0);
    // The unknown region is a miss too: the lookup happens before the render fails.
    assert_eq!(series("kotacerdas_cache_misses_total"), 2.0);
    assert_eq!(
        series(r#"kotacerdas_render_duration_seconds_count{kind="radar"}"#),
        1.0
    );
    assert!(series("kotacerdas_ingest_rows_accepted_total") > 0.0);
    assert!(series("kotacerdas_snapshot_age_seconds") >= 0.0);
    assert!(series("kotacerdas_cache_bytes") >= 0.0);
}

#[tokio::test]
async fn readyz_is_200_with_scores_and_a_readable_store_and_503_with_a_reason_without() {
    let own = spawn_own(|_| {}).await;
    let resp = own.get_if("/readyz", None).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["latest_period"], "2025");
    assert!(body["store_generation"].as_u64().unwrap() >= 1);
    assert_eq!(
        own.get_if("/healthz", None).await.text().await.unwrap(),
        "ok"
    );

    std::fs::remove_dir_all(own.dir.path().join("store")).unwrap();
    let resp = own.get_if("/readyz", None).await;
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "not ready");
    assert!(
        body["reasons"][0]
            .as_str()
            .unwrap()
            .contains("store not readable"),
        "{body}"
    );
    // Liveness does not depend on the store.
    assert_eq!(own.get_if("/healthz", None).await.status(), 200);
}

#[tokio::test]
async fn json_and_svg_are_compressed_on_request_and_png_never() {
    let app = spawn_app().await;
    let get = |path: &'static str, encoding: &'static str| {
        let client = app.client.clone();
        let url = format!("{}{path}", app.address);
        async move {
            client
                .get(url)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap()
        }
    };
    let plain = get("/api/openapi.json", "identity").await;
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    for encoding in ["gzip", "br"] {
        let resp = get("/api/openapi.json", encoding).await;
        assert_eq!(resp.headers()["content-encoding"], encoding);
        assert!(resp.bytes().await.unwrap().len() < plain_len / 3);
    }
    let svg = get("/charts/radar.svg?region=35.09", "gzip").await;
    assert_eq!(svg.headers()["content-encoding"], "gzip");
    let png = get("/charts/radar.png?region=35.09", "gzip, br").await;
    assert_eq!(png.status(), 200);
    assert!(png.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_with_the_error_body() {
    let own = spawn_own(|c| c.max_body_bytes = 1024).await;
    let resp = own
        .client
        .post(format!("{}/api/v1/jobs/run?job=render", own.address))
        .bearer_auth(token("admin"))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["status"], 413);
}

#[tokio::test]
async fn a_job_run_needs_the_token_and_reports_what_it_did() {
    let own = spawn_own(|_| {}).await;
    let url = format!("{}/api/v1/jobs/run", own.address);
    let resp = own.client.post(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = own
        .client
        .post(format!("{url}?job=dance"))
        .bearer_auth(token("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("dance"));

    let generation = own.state.cache.generation();
    let resp = own
        .client
        .post(format!("{url}?job=rescore"))
        .bearer_auth(token("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["job"], "rescore");
    assert_eq!(body["rescored"], true);
    assert_eq!(body["generation"], generation + 1);

    let metrics = own.get_if("/metrics", None).await.text().await.unwrap();
    assert_eq!(sample(&metrics, "kotacerdas_job_runs_total"), Some(1.0));
}
