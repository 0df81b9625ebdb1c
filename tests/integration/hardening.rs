//! Regressions of the hardening review, on the real server: responses never cross a region
//! boundary through the cache, a steward cannot take over another region's records, scope holes
//! in the API, pages and reports stay closed, exports cannot carry formulas, the login cannot
//! send anyone off-site, metrics stay bounded, and every response carries security headers.

use kotacerdas::auth::AccessSettings;
use kotacerdas::ingest::{self, Input, Options};
use kotacerdas::job::ReferenceData;
use kotacerdas::store::Store;

use crate::helpers::{
    TestApp, access_settings, spawn_app, spawn_app_with, spawn_east_java_with, spawn_own, token,
};
use crate::reports::pdf_text;

async fn body(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let resp = app.get(path).await;
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap().to_vec())
}

/// Every parameter of a cached route, varied one at a time from a base request.
fn cached_requests() -> Vec<String> {
    let mut paths = Vec::new();
    let chart = "/charts/radar.png?region=35.09";
    for variant in [
        "",
        "&period=2025",
        "&compare=35.09.01,35.09.02",
        "&compare=35.09.02",
        "&median=true",
        "&target=60",
        "&lang=en",
        "&width=640",
        "&height=400",
        "&period=2024",
    ] {
        paths.push(format!("{chart}{variant}"));
    }
    paths.push("/charts/radar.svg?region=35.09&period=2025".into());
    paths.push("/charts/radar.png?region=35.09.20&period=2025".into());
    for variant in [
        "",
        "&dimension=economy",
        "&among=provinsi",
        "&among=smartcity",
        "&lang=en",
    ] {
        paths.push(format!(
            "/charts/bars.svg?region=35.09&period=2025{variant}"
        ));
    }
    for variant in ["", "&dimension=people", "&target=50"] {
        paths.push(format!("/charts/trend.svg?region=35.09.20{variant}"));
    }
    for variant in ["", "&map=provinsi", "&dimension=living"] {
        paths.push(format!("/charts/map.svg?region=35.09&period=2025{variant}"));
    }
    for variant in ["", "&measure=quantity"] {
        paths.push(format!("/charts/timeline.svg?region=35.09{variant}"));
    }
    for variant in [
        "",
        "&dimension=economy,people",
        "&period=2024",
        "&period=2025",
    ] {
        paths.push(format!("/api/v1/scores?region=35.09{variant}"));
        paths.push(format!("/api/v1/scores?region=35.09.20{variant}"));
    }
    for variant in ["", "&dimension=economy", "&period=2024"] {
        paths.push(format!("/api/v1/scores/peers?peer_group=35.09{variant}"));
        paths.push(format!("/api/v1/scores/peers?peer_group=all{variant}"));
    }
    for variant in [
        "",
        "&level=district",
        "&scored=true",
        "&limit=5",
        "&offset=3",
    ] {
        paths.push(format!("/api/v1/regions?parent=35.09{variant}"));
    }
    paths
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_response_is_always_the_response_the_request_would_get_uncached() {
    let cached = spawn_app().await;
    let uncached = spawn_own(|c| c.cache.max_mb = 0).await;
    let paths = cached_requests();
    // Every request twice over, in an order that would expose a key shared by two requests.
    let mut failures = Vec::new();
    for path in paths.iter().chain(paths.iter().rev()) {
        let (status, got) = body(&cached, path).await;
        let (status_uncached, want) = body(&uncached, path).await;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&got));
        assert_eq!(status, status_uncached, "{path}");
        if got != want {
            failures.push(path.clone());
        }
    }
    assert!(
        failures.is_empty(),
        "served from the cache a body other than its own: {failures:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admins_comparison_radar_is_not_what_an_out_of_scope_viewer_gets() {
    let app = spawn_app_with(access_settings(None)).await;
    let plain = "/charts/radar.png?region=35.09.20&period=2025";
    let compared = format!("{plain}&compare=35.09.01,35.09.02");
    let admin = app.as_user("admin");
    let (status, admins) = body(&admin, &compared).await;
    assert_eq!(status, 200);
    let viewer = app.as_user("bappeda-jember");
    let (status, viewers) = body(&viewer, plain).await;
    assert_eq!(status, 200);
    assert_ne!(
        admins, viewers,
        "the comparison radar leaked to the plain URL"
    );
    let (status, _) = body(&app.as_user("bappeda-banyuwangi"), &compared).await;
    assert_eq!(
        status, 403,
        "Banyuwangi's viewer may not see Jember's kecamatan"
    );
}

/// A CSV upload of `rows` (`id;tanggal;kode_wilayah;program;jumlah;penyelenggara` lines) as
/// `name` with `who`'s token.
async fn upload(app: &TestApp, who: &str, name: &str, rows: &str) -> serde_json::Value {
    let csv = format!("id_kegiatan;tanggal;kode_wilayah;program;jumlah;penyelenggara\n{rows}");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.into_bytes()).file_name(name.to_string()),
    );
    let resp = app
        .client
        .post(format!("{}/api/v1/ingest", app.address))
        .bearer_auth(token(who))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "{json}");
    json
}

/// The activities of `region` as the admin sees them: (source, id, region code).
async fn records(app: &TestApp, region: &str) -> Vec<(String, String, String)> {
    let (status, json) = app
        .as_user("admin")
        .get_json(&format!("/api/v1/activities?region={region}&limit=1000"))
        .await;
    assert_eq!(status, 200, "{json}");
    json["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap().to_string();
            (s("source"), s("activity_id"), s("region_code"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_steward_cannot_move_another_regions_records_by_reusing_its_file_name_and_ids() {
    let own = spawn_own(|_| {}).await;
    let app = &own;
    upload(
        app,
        "diskominfo-banyuwangi",
        "banyuwangi.csv",
        "BWI-1;01/03/2025;35.10.01;wifi_publik;4;Diskominfo\n\
         BWI-2;02/03/2025;35.10.02;wifi_publik;5;Diskominfo\n",
    )
    .await;
    let report = upload(
        app,
        "diskominfo-jember",
        "banyuwangi.csv",
        "BWI-1;01/03/2025;35.09.20;wifi_publik;4;Diskominfo\n\
         BWI-2;02/03/2025;35.09.20;wifi_publik;5;Diskominfo\n",
    )
    .await;
    assert_eq!(report["files"][0]["replaced"], 0, "{report}");
    let banyuwangi = records(app, "35.10").await;
    assert_eq!(banyuwangi.len(), 2, "{banyuwangi:?}");
    assert!(
        banyuwangi
            .iter()
            .all(|(source, _, region)| source == "35.10/banyuwangi.csv"
                && region.starts_with("35.10.")),
        "{banyuwangi:?}"
    );
    let jember: Vec<_> = records(app, "35.09.20")
        .await
        .into_iter()
        .filter(|(_, id, _)| id.starts_with("BWI-"))
        .collect();
    assert!(
        jember
            .iter()
            .all(|(source, _, _)| source == "35.09/banyuwangi.csv"),
        "{jember:?}"
    );
}

#[test]
fn a_scoped_ingest_refuses_rows_that_would_replace_records_outside_its_scope() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::helpers::test_config(dir.path());
    let reference = ReferenceData::load(&config).unwrap();
    let store = Store::open(&dir.path().join("own-store")).unwrap();
    let input = |rows: &str| {
        let csv = format!("id_kegiatan;tanggal;kode_wilayah;program;jumlah\n{rows}");
        Input::named(std::path::Path::new("shared.csv"), csv.into_bytes(), None)
    };
    // Written without a scope (the command line, the activity folder): Banyuwangi's record.
    let first = ingest::ingest(
        &[input("S-1;01/03/2025;35.10.01;wifi_publik;4\n")],
        reference.validation(),
        &store,
        Options::default(),
    )
    .unwrap();
    assert_eq!(first.added(), 1);
    // A Jember-scoped ingest under the same source name and id.
    let jember = kotacerdas::region::RegionCode::parse("35.09").unwrap();
    let scoped = ingest::Reference {
        scope: Some(&jember),
        ..reference.validation()
    };
    let second = ingest::ingest(
        &[input(
            "S-1;01/03/2025;35.09.20;wifi_publik;4\nS-2;01/03/2025;35.09.20;wifi_publik;1\n",
        )],
        scoped,
        &store,
        Options::default(),
    )
    .unwrap();
    assert_eq!((second.added(), second.replaced()), (1, 0));
    let refused = &second.rejections;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].value.as_deref(), Some("S-1"));
    assert_eq!(refused[0].row, 2);
    assert!(
        refused[0].reason_en.contains("outside the region"),
        "{}",
        refused[0].reason_en
    );
    let stored = store.load().unwrap().activities().unwrap();
    let df = stored.frame();
    let regions: Vec<&str> = df
        .column("region_code")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert!(regions.contains(&"35.10.01"), "{regions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn peer_lists_default_to_the_callers_own_region_and_all_needs_everything() {
    let app = spawn_app_with(access_settings(None)).await;
    let jember = app.as_user("bappeda-jember");
    let (status, json) = jember
        .get_json("/api/v1/scores/peers?peer_group=all&period=2025")
        .await;
    assert_eq!(status, 403, "{json}");
    let (status, json) = jember.get_json("/api/v1/scores/peers?period=2025").await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["peer_group"], "35.09");
    // Banyuwangi's viewer asking without a peer group: Banyuwangi's kecamatan (none scored),
    // never Jember's.
    let banyuwangi = app.as_user("bappeda-banyuwangi");
    let (status, json) = banyuwangi.get_json("/api/v1/scores/peers").await;
    assert_eq!(status, 404, "{json}");
    assert!(!json.to_string().contains("35.09."), "{json}");
    let (status, json) = app
        .as_user("kominfo")
        .get_json("/api/v1/scores/peers?peer_group=all&period=2025")
        .await;
    assert_eq!(status, 200, "{json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn region_lists_and_details_stay_within_the_callers_scope() {
    let app = spawn_app_with(access_settings(None)).await;
    let jember = app.as_user("bappeda-jember");
    let (status, json) = jember.get_json("/api/v1/regions/35.10").await;
    assert_eq!(status, 403, "{json}");
    let (status, json) = jember.get_json("/api/v1/regions?level=regency").await;
    assert_eq!(status, 200, "{json}");
    let codes: Vec<&str> = json["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["35.09"], "a Jember viewer lists only Jember");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_comparison_page_refuses_out_of_scope_regions_before_looking_them_up() {
    let app = spawn_app_with(access_settings(None)).await;
    let jember = app.as_user("bappeda-jember");
    for path in [
        "/bandingkan?regions=35.09.20&regions=35.10",
        "/bandingkan?regions=35.09.20&regions=35.10.99&period=1999",
    ] {
        let resp = jember.get(path).await;
        assert_eq!(resp.status(), 403, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_regions_own_report_shows_no_neighbours_and_cites_only_its_own_sources() {
    let settings = AccessSettings {
        own_region_reports: true,
        ..access_settings(None)
    };
    let app = spawn_east_java_with(move |c| c.access = settings).await;
    // Sidoarjo has no kecamatan scores: an evaluator's profile shows it on East Java's map.
    let evaluator = app.as_user("kominfo");
    let (status, pdf) = body(&evaluator, "/reports/35.15/2025.pdf").await;
    assert_eq!(status, 200);
    let wide = pdf_text(&pdf);
    let viewer = app.as_user("bappeda-sidoarjo");
    let (status, pdf) = body(&viewer, "/reports/35.15/2025.pdf").await;
    assert_eq!(status, 200);
    let own = pdf_text(&pdf);
    assert!(
        wide.contains("Jember"),
        "the evaluator's map names East Java's kab/kota"
    );
    assert!(
        !own.contains("Jember"),
        "Sidoarjo's own report names Jember:\n{own}"
    );
    // The sources of its numbers: Jember's sample file has no record in Sidoarjo.
    let (status, csv) = body(&viewer, "/reports/35.15/2025.csv?table=metadata").await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(!csv.contains("jember_2018_2025.csv"), "{csv}");
    assert!(csv.contains("jatim_kabkota_2024_2025.csv"), "{csv}");
    let (status, csv) = body(&evaluator, "/reports/35.09/2025.csv?table=metadata").await;
    assert_eq!(status, 200);
    assert!(
        String::from_utf8(csv)
            .unwrap()
            .contains("jember_2018_2025.csv")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_neutralise_cells_a_spreadsheet_would_read_as_formulas() {
    let own = spawn_own(|_| {}).await;
    let app = &own;
    let formula = "=HYPERLINK(\"http://evil.example\",\"klik\")";
    upload(
        app,
        "admin",
        "@kegiatan.csv",
        &format!(
            "F-1;01/03/2025;35.09.20;wifi_publik;4;\"{}\"\n",
            formula.replace('"', "\"\"")
        ),
    )
    .await;
    let admin = app.as_user("admin");
    let exports = [
        "/api/v1/activities?region=35.09.20&format=csv",
        "/dimensi/living/kegiatan.csv?region=35.09.20&period=2025",
    ];
    for path in exports {
        let (status, csv) = body(&admin, path).await;
        assert_eq!(status, 200, "{path}");
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let cells: Vec<String> = reader
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect();
        assert!(
            cells.iter().any(|c| c == &format!("'{formula}")),
            "{path}: {cells:?}"
        );
        assert!(
            cells.iter().any(|c| c == "'@kegiatan.csv"),
            "{path}: {cells:?}"
        );
        for c in &cells {
            assert!(
                !c.starts_with(['=', '+', '@', '\t', '\r']),
                "{path}: live cell {c:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_never_redirects_off_site_and_a_line_break_in_next_is_not_a_500() {
    let app = spawn_app_with(access_settings(None)).await;
    for next in [
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
        "/\nSet-Cookie: x=1",
        "/ok\r\nSet-Cookie: x=1",
    ] {
        let resp = app
            .client
            .post(format!("{}/login", app.address))
            .form(&[
                ("name", "admin"),
                ("password", crate::helpers::PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{next:?}");
        assert_eq!(resp.headers()["location"], "/", "{next:?}");
        let page = app.get(&format!("/login?next={}", url_encode(next))).await;
        assert_eq!(page.status(), 200, "{next:?}");
    }
    let resp = app
        .client
        .post(format!("{}/login", app.address))
        .form(&[
            ("name", "admin"),
            ("password", crate::helpers::PASSWORD),
            ("next", "/dimensi/economy?region=35.09"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], "/dimensi/economy?region=35.09");
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn made_up_methods_do_not_grow_the_metrics_and_closed_servers_keep_them_for_admins() {
    let app = spawn_app_with(access_settings(None)).await;
    for i in 0..40 {
        let method = reqwest::Method::from_bytes(format!("FOO{i}").as_bytes()).unwrap();
        let _ = app
            .client
            .request(method, format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(app.get("/metrics").await.status(), 401);
    assert_eq!(
        app.as_user("bappeda-jember").get("/metrics").await.status(),
        403
    );
    let text = app
        .as_user("admin")
        .get("/metrics")
        .await
        .text()
        .await
        .unwrap();
    let methods: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with("kotacerdas_http_requests_total{"))
        .filter_map(|l| l.split("method=\"").nth(1)?.split('"').next())
        .collect();
    assert!(methods.contains("OTHER"), "{methods:?}");
    assert!(!methods.iter().any(|m| m.starts_with("FOO")), "{methods:?}");
    // Public mode: the figures say nothing about a region.
    let public = spawn_app().await;
    assert_eq!(public.get("/metrics").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/api/v1/scores?region=35.09",
        "/charts/radar.svg?region=35.09",
        "/no/such/route",
        "/login",
    ] {
        let resp = app.get(path).await;
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'none'"), "{path}: {csp}");
    }
}
