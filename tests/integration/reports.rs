//! Reports read back: the PDF's text extracted with poppler's `pdftotext`, the workbook opened
//! with calamine, the CSV parsed, and the CLI's files compared with the server's.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use calamine::{Data, Reader, Xlsx};

use crate::helpers::{
    EAST_JAVA_MEMBERS, TestApp, access_settings, repo, spawn_app, spawn_app_with,
    spawn_app_with_east_java,
};

/// The shared test server, asked by an evaluator (reports need the reports capability).
async fn spawn_as_evaluator() -> TestApp {
    spawn_app().await.as_user("kominfo")
}

const DIMENSIONS_ID: [&str; 7] = [
    "Ekonomi",
    "Masyarakat",
    "Tata Kelola",
    "Pemerintahan",
    "Mobilitas",
    "Lingkungan",
    "Kehidupan",
];

/// The text of a PDF, as `pdftotext` extracts it (poppler-utils; `.ci/run` installs it).
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is needed to read the reports back");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn download(app: &TestApp, path: &str, content_type: &str) -> Vec<u8> {
    let resp = app.get(path).await;
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let disposition = resp
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.bytes().await.unwrap().to_vec();
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    assert!(ct.starts_with(content_type), "{path}: {ct}");
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    body
}

fn indonesian(v: f64) -> String {
    kotacerdas::i18n::format_number(v, 1, kotacerdas::i18n::Lang::Id)
}

/// Rows of a sheet as cells.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

/// Equal to the last few bits: the workbook stores numbers as decimal text.
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        (a, b) => a == b,
    }
}

fn number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(v) => Some(*v),
        Data::Int(v) => Some(*v as f64),
        _ => None,
    }
}

#[tokio::test]
async fn a_region_pdf_names_the_region_its_index_and_every_dimension() {
    let app = spawn_as_evaluator().await;
    let (_, scores) = app
        .get_json("/api/v1/scores?region=35.09.20&period=2025")
        .await;
    let index = scores["index"]["score"].as_f64().unwrap();

    let pdf = download(&app, "/reports/35.09.20/2025.pdf", "application/pdf").await;
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    assert!(text.contains("Kecamatan Patrang"), "{text}");
    assert!(
        text.contains(&indonesian(index)),
        "index {index} missing:\n{text}"
    );
    for d in DIMENSIONS_ID {
        assert!(text.contains(d), "dimension {d} missing");
    }
    // The method appendix with the data source's checksum, and page numbers.
    assert!(text.contains("Lampiran: metode"));
    assert!(text.contains("jember_2018_2025.csv"));
    let sum: String = {
        use sha2::Digest;
        let bytes = std::fs::read(repo().join("data/activities/jember_2018_2025.csv")).unwrap();
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    // Printed in two halves: the whole hash is wider than its column.
    assert!(
        text.contains(&sum[..32]) && text.contains(&sum[32..]),
        "checksum {sum} missing"
    );
    assert!(text.contains("Halaman 1 dari"));
    // Chart text is text too (the radar's axis labels come from the SVG).
    assert!(text.matches("Tata Kelola").count() >= 3, "{text}");
}

#[tokio::test]
async fn a_region_pdf_in_english_says_so() {
    let app = spawn_as_evaluator().await;
    let pdf = download(
        &app,
        "/reports/35.09.20/2025.pdf?lang=en",
        "application/pdf",
    )
    .await;
    let text = pdf_text(&pdf);
    for d in [
        "Economy",
        "Governance",
        "Mobility",
        "Appendix: method",
        "Page 1 of",
    ] {
        assert!(text.contains(d), "{d} missing");
    }
}

#[tokio::test]
async fn the_workbook_holds_the_numbers_of_the_scores_api() {
    let app = spawn_as_evaluator().await;
    let (_, scores) = app
        .get_json("/api/v1/scores?region=35.09.20&period=2025")
        .await;
    let xlsx = download(
        &app,
        "/reports/35.09.20/2025.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .await;
    let rows = sheet(&xlsx, "Skor");
    assert_eq!(rows[0][0], Data::String("Ukuran".into()));
    let find = |name: &str| {
        rows.iter()
            .find(|r| r[0] == Data::String(name.into()))
            .unwrap_or_else(|| panic!("no row {name}"))
    };
    let index = find("Indeks");
    assert!(same(number(&index[1]), scores["index"]["score"].as_f64()));
    assert_eq!(number(&index[2]), scores["index"]["rank"].as_f64());
    for d in scores["dimensions"].as_array().unwrap() {
        let row = find(d["name_id"].as_str().unwrap());
        assert!(same(number(&row[1]), d["score"].as_f64()), "{}", d["id"]);
        assert_eq!(number(&row[2]), d["rank"].as_f64(), "{}", d["id"]);
    }
    // Indicators with explanations, the framework and the metadata are sheets too.
    let indicators = sheet(&xlsx, "Indikator");
    assert_eq!(indicators.len(), 1 + 28);
    assert!(sheet(&xlsx, "Kerangka").len() > 28);
    assert!(
        sheet(&xlsx, "Metadata")
            .iter()
            .any(|r| r[1].to_string().contains("sha256"))
    );
}

#[tokio::test]
async fn a_csv_is_one_table_picked_by_name() {
    let app = spawn_as_evaluator().await;
    let csv = download(
        &app,
        "/reports/35.09.20/2025.csv?table=indicators",
        "text/csv",
    )
    .await;
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(&reader.headers().unwrap()[3], "Indikator");
    assert_eq!(reader.records().count(), 28);

    let default = download(&app, "/reports/35.09.20/2025.csv", "text/csv").await;
    assert!(String::from_utf8(default).unwrap().starts_with("Ukuran,"));

    let (status, body) = app.get_json("/reports/35.09.20/2025.csv?table=nope").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("indicators")
    );
}

#[tokio::test]
async fn bad_report_requests_say_what_is_wrong() {
    let app = spawn_as_evaluator().await;
    for (path, status, needle) in [
        ("/reports/35.09.99/2025.pdf", 404, "35.09.99"),
        ("/reports/35.09.20/1999.pdf", 404, "2025"),
        ("/reports/35.09.20/2025.docx", 404, "pdf, xlsx or csv"),
        ("/reports/35.09.x/2025.pdf", 400, "region"),
        ("/reports/cohort/2025.pdf", 400, "province"),
        (
            "/reports/cohort/2025.pdf?province=35.09",
            400,
            "not a province",
        ),
        ("/reports/cohort/2025.pdf?regions=35.09,11.01", 404, "11.01"),
        ("/reports/35.09.20/2025.pdf?lang=fr", 400, "lang"),
    ] {
        let (got, body) = app.get_json(path).await;
        assert_eq!(got, status, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{path}: {message}");
    }
}

#[tokio::test]
async fn a_province_cohort_ranks_its_kab_kota() {
    let app = spawn_app_with_east_java().await.as_user("kominfo");
    let pdf = download(
        &app,
        "/reports/cohort/2025.pdf?province=35",
        "application/pdf",
    )
    .await;
    let text = pdf_text(&pdf);
    assert!(text.contains("Kabupaten/kota di Jawa Timur"), "{text}");
    assert!(text.contains("Jember"));
    for d in DIMENSIONS_ID {
        assert!(text.contains(d), "dimension {d} missing");
    }
    let xlsx = download(
        &app,
        "/reports/cohort/2025.xlsx?province=35",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .await;
    let ranking = sheet(&xlsx, "Peringkat");
    // The five kab/kota with data, ranked 1 to 5; the 33 without data are not ranked as zeros.
    let mut ranked: Vec<(u32, String)> = ranking
        .iter()
        .filter_map(|r| match (&r[1], number(&r[0])) {
            (Data::String(code), Some(rank)) => Some((rank as u32, code.clone())),
            _ => None,
        })
        .collect();
    ranked.sort();
    let mut codes: Vec<&str> = ranked.iter().map(|(_, c)| c.as_str()).collect();
    codes.sort();
    let mut expected = vec!["35.09"];
    expected.extend(EAST_JAVA_MEMBERS);
    assert_eq!(codes, expected, "{ranked:?}");
    let ranks: Vec<u32> = ranked.iter().map(|(r, _)| *r).collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5]);
}

#[test]
fn the_cli_writes_the_files_the_server_serves() {
    let out_dir = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kotacerdas"))
        .current_dir(repo())
        .env("RUST_LOG", "warn")
        .args(["report", "35.09.20", "2025", "--out"])
        .arg(out_dir.path())
        .arg("--store")
        .arg(store.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = out_dir.path();
    let file = |name: &str| -> Vec<u8> {
        std::fs::read(dir.join(name)).unwrap_or_else(|_| panic!("{name} not written"))
    };
    let text = pdf_text(&file("profil_35.09.20_2025.pdf"));
    assert!(text.contains("Kecamatan Patrang"));
    let skor = sheet(&file("profil_35.09.20_2025.xlsx"), "Skor");
    assert_eq!(skor.len(), 1 + 1 + 7);
    for table in [
        "scores",
        "indicators",
        "activities",
        "places",
        "framework",
        "metadata",
    ] {
        assert!(
            Path::new(&dir.join(format!("profil_35.09.20_2025_{table}.csv"))).exists(),
            "{table}"
        );
    }
}

#[tokio::test]
async fn a_regions_own_viewers_get_its_reports_when_the_config_allows() {
    let status = |app: TestApp, path: &'static str| async move {
        let resp = app.get(path).await;
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    };
    // bappeda-jember: a viewer scoped to 35.09.
    let closed = spawn_app_with(access_settings(None)).await;
    let (got, body) = status(closed.as_user("bappeda-jember"), "/reports/35.09/2025.csv").await;
    assert_eq!(got, 403, "{body}");
    assert!(body.contains("reports"), "{body}");

    let open = spawn_app_with(kotacerdas::auth::AccessSettings {
        own_region_reports: true,
        ..access_settings(None)
    })
    .await;
    let viewer = open.as_user("bappeda-jember");
    for path in ["/reports/35.09/2025.csv", "/reports/35.09.20/2025.csv"] {
        let (got, body) = status(viewer.clone(), path).await;
        assert_eq!(got, 200, "{path}: {body}");
    }
    for path in [
        "/reports/35.10/2025.csv",
        "/reports/cohort/2025.csv?province=35",
    ] {
        let (got, body) = status(viewer.clone(), path).await;
        assert_eq!(got, 403, "{path}: {body}");
    }
    // Not for anonymous callers, even in public mode.
    let public = spawn_app_with(kotacerdas::auth::AccessSettings {
        own_region_reports: true,
        ..access_settings(Some("35.09"))
    })
    .await;
    let (got, body) = status(public, "/reports/35.09/2025.csv").await;
    assert_eq!(got, 401, "{body}");
}

#[tokio::test]
async fn the_smart_city_cohort_ranks_its_scored_members() {
    let app = spawn_app_with_east_java().await.as_user("kominfo");
    let csv = download(
        &app,
        "/reports/cohort/2025.csv?regions=smartcity",
        "text/csv",
    )
    .await;
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let codes: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect();
    // The listed members with data; Banyuwangi, a member that sent none, is not ranked.
    let mut sorted = codes.clone();
    sorted.sort();
    let mut expected = vec!["35.09"];
    expected.extend(EAST_JAVA_MEMBERS);
    assert_eq!(sorted, expected, "{codes:?}");
}
