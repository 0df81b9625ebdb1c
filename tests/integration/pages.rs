//! The dashboard pages on the real server: content in both languages, helpful errors, the CSV
//! download against the table, and the upload form ingesting a file.

use crate::helpers::spawn_app;
use crate::helpers::token;
use crate::upload::{NEW_ROWS, STEWARD, spawn_with_limit};

async fn page(app: &crate::helpers::TestApp, path: &str) -> (u16, String) {
    let resp = app.get(path).await;
    let status = resp.status().as_u16();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/html"),
        "{path}: {content_type}"
    );
    (status, resp.text().await.unwrap())
}

/// The text of every `<code class="id">` cell: the activity ids of the table, in order.
fn table_ids(html: &str) -> Vec<String> {
    html.split("<code class=\"id\">")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn overview_shows_predicate_rank_map_and_ranking_with_a_shared_layout() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/?region=35.09&period=2025").await;
    assert_eq!(status, 200);
    for expected in [
        "<html lang=\"id\"",
        "Langsung ke isi",
        "Predikat",
        "/charts/map.png?region=35.09&amp;period=2025",
        "/charts/trend.png?region=35.09&amp;period=2025",
        "Peringkat kecamatan",
        "href=\"/dimensi/economy?region=35.09&amp;period=2025&amp;lang=id\"",
        "href=\"/bandingkan?region=35.09&amp;period=2025&amp;lang=id\"",
        "Skor dihitung",
    ] {
        assert!(html.contains(expected), "{expected:?} missing");
    }
    // One of the predicates the framework gives its fixed 0–100 scale.
    assert!(
        ["Memuaskan", "Sangat Baik", "Baik", "Cukup", "Kurang"]
            .iter()
            .any(|p| html.contains(&format!("<div class=\"value\">{p}</div>"))),
        "no predicate card"
    );
    // The language switch keeps region and period.
    assert!(html.contains("href=\"/?region=35.09&amp;period=2025&amp;lang=en\""));
}

#[tokio::test]
async fn overview_of_a_province_lists_its_scored_regencies_and_says_the_rest_have_none() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/?region=35&lang=en").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("1 of the 38 regencies and cities"), "{html}");
    assert!(html.contains("Kabupaten Jember"));
    assert!(html.contains("map=provinsi"));
}

#[tokio::test]
async fn dimension_page_lists_indicators_with_scores_and_trends_and_pages_the_activities() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/dimensi/economy?region=35.09.20&period=2025").await;
    assert_eq!(status, 200);
    assert!(html.contains("Kecamatan Patrang — Ekonomi 2025"), "title");
    assert!(html.contains("per 10.000 penduduk"));
    assert!(html.contains("<svg class=\"spark\""), "no sparkline");
    assert!(
        html.contains("/charts/trend.png?region=35.09.20&amp;period=2025&amp;dimension=economy")
    );
    assert!(!table_ids(&html).is_empty(), "activities listed");

    // A kabupaten has more activities than one page holds.
    let (status, first) = page(&app, "/dimensi/economy?region=35.09&period=2025").await;
    assert_eq!(status, 200);
    assert!(first.contains("Kabupaten Jember — Ekonomi 2025"));
    assert_eq!(table_ids(&first).len(), 25, "a page holds 25 rows");
    assert!(first.contains("rel=\"next\""));
    let (status, en) = page(
        &app,
        "/dimensi/economy?region=35.09&period=2025&lang=en&page=2",
    )
    .await;
    assert_eq!(status, 200);
    assert!(en.contains("<html lang=\"en\""));
    assert!(en.contains("Kabupaten Jember — Economy 2025"));
    assert!(en.contains("per 10,000 residents"));
    assert!(en.contains("rel=\"prev\""));
    let first = table_ids(&first);
    let second = table_ids(&en);
    assert!(!second.is_empty());
    assert!(second.iter().all(|id| !first.contains(id)), "pages overlap");
}

#[tokio::test]
async fn the_csv_download_holds_exactly_the_filtered_activities_in_table_order() {
    let app = spawn_app().await;
    let query = "region=35.09&period=2024&programme=umkm_go_online&kecamatan=35.09.20";
    let (status, html) = page(&app, &format!("/dimensi/economy?{query}")).await;
    assert_eq!(status, 200);
    let shown = table_ids(&html);
    assert!(!shown.is_empty(), "the filter selects some activities");
    let total: usize = html
        .split("id=\"jumlah-kegiatan\">")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .replace('.', "")
        .parse()
        .unwrap();

    let resp = app
        .get(&format!("/dimensi/economy/kegiatan.csv?{query}"))
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let body = resp.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        total,
        "CSV rows = activities the filter selects"
    );
    for r in &rows {
        assert_eq!(&r[col("programme")], "umkm_go_online");
        assert!(r[col("region_code")].starts_with("35.09.20"), "{r:?}");
        assert!(r[col("date")].starts_with("2024-"), "{r:?}");
    }
    let csv_ids: Vec<&str> = rows.iter().map(|r| &r[col("activity_id")]).collect();
    assert_eq!(
        csv_ids[..shown.len()],
        shown.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
}

#[tokio::test]
async fn dimension_page_answers_bad_parameters_with_a_page_naming_the_problem() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/dimensi/ekonomi?region=35.09").await;
    assert_eq!(status, 404);
    assert!(
        html.contains("unknown dimension") && html.contains("economy"),
        "{html}"
    );
    let (status, html) = page(&app, "/dimensi/economy?region=35.09&programme=wifi_publik").await;
    assert_eq!(status, 400);
    assert!(
        html.contains("umkm_go_online"),
        "valid programmes listed: {html}"
    );
    let (status, html) = page(&app, "/dimensi/economy?region=35.09&kecamatan=35.10.01").await;
    assert_eq!(status, 400);
    assert!(html.contains("35.10.01"));
    let (status, _) = page(&app, "/dimensi/economy?region=35.09&page=0").await;
    assert_eq!(status, 400);
    let (status, html) = page(&app, "/dimensi/economy?region=35.09&period=1999&lang=en").await;
    assert_eq!(status, 404);
    assert!(html.contains("2025") && html.contains("<html lang=\"en\""));
}

#[tokio::test]
async fn compare_page_puts_regions_side_by_side_with_an_overlaid_radar() {
    let app = spawn_app().await;
    let (status, html) = page(
        &app,
        "/bandingkan?regions=35.09.20&regions=35.09.01&period=2025&lang=en",
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Region comparison"));
    assert!(html.contains("Kecamatan Patrang"));
    let src = "/charts/radar.png?region=35.09.20&amp;compare=35.09.20%2C35.09.01&amp;period=2025&amp;lang=en";
    assert!(html.contains(src), "{html}");
    let png = app.get(&src.replace("&amp;", "&")).await;
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");

    let (status, id) = page(&app, "/bandingkan?region=35.09.20").await;
    assert_eq!(
        status, 200,
        "defaults to the region and the best-ranked kecamatan"
    );
    assert!(id.contains("Perbandingan wilayah"));
    let (status, html) = page(&app, "/bandingkan?regions=35.09.20").await;
    assert_eq!(status, 400);
    assert!(html.contains("at least two"));
}

#[tokio::test]
async fn method_page_shows_weights_methods_bands_and_source_checksums() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/metode").await;
    assert_eq!(status, 200);
    for expected in [
        "Dimensi dan bobot",
        "umkm_go_online",
        "normalise",
        "Memuaskan",
        "jember_2018_2025.csv",
        "SHA-256",
    ] {
        assert!(html.contains(expected), "{expected:?} missing");
    }
    let (_, en) = page(&app, "/metode?lang=en").await;
    assert!(en.contains("Dimensions and weights") && en.contains("Excellent"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_upload_form_ingests_a_file_and_shows_the_report() {
    let app = spawn_with_limit(1).await;
    let form = reqwest::Client::new()
        .get(format!("{}/unggah?lang=en", app.address))
        .bearer_auth(token(STEWARD))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("You may upload"));

    let post = |bearer: Option<&'static str>| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(NEW_ROWS.as_bytes().to_vec())
                    .file_name("unggahan.csv"),
            )
            .text("sheet", "");
        let request = app.client.post(format!("{}/unggah", app.address));
        match bearer {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
        .multipart(form)
        .send()
    };
    let refused = post(None).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("needs a login"));

    let resp = post(Some(token(STEWARD))).await.unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Laporan ingest"), "{html}");
    assert!(html.contains("unggahan.csv"));
    assert!(
        html.contains("2 diterima") && html.contains("1 ditolak"),
        "{html}"
    );
    assert!(
        html.contains("35.09.99"),
        "the rejected row's value is shown"
    );
    assert!(html.contains("karantina: "));
    // The store took the rows: the scores now include them.
    let overview = app
        .client
        .get(format!("{}/metode", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(overview.contains("unggahan.csv"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_upload_form_asks_a_visitor_to_sign_in() {
    let app = spawn_with_limit(1).await;
    let html = reqwest::get(format!("{}/unggah", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("petugas data (steward) atau admin"));
    assert!(html.contains("/login?lang=id&amp;next=") && html.contains("disabled"));
}

#[tokio::test]
async fn report_links_show_only_to_callers_who_may_download_them() {
    let app = spawn_app().await;
    let path = "/?region=35.09.20&period=2025";
    let (_, anonymous) = page(&app, path).await;
    assert!(
        !anonymous.contains("/reports/"),
        "public visitors get 401 there"
    );
    let (_, evaluator) = page(&app.as_user("kominfo"), path).await;
    assert!(evaluator.contains("/reports/35.09.20/2025.pdf"));
}
