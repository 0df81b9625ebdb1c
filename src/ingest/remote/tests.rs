use reqwest::Url;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use serde_json::Value;

use super::*;

#[test]
fn backoff_doubles_from_the_base_and_is_capped() {
    let base = Duration::from_millis(200);
    let schedule: Vec<u128> = (0..7).map(|n| backoff_delay(base, n).as_millis()).collect();
    assert_eq!(schedule, [200, 400, 800, 1600, 3200, 5000, 5000]);
    assert_eq!(backoff_delay(base, u32::MAX), MAX_BACKOFF);
    assert_eq!(backoff_delay(Duration::ZERO, 3), Duration::ZERO);
}

#[test]
fn content_types_name_formats_and_parameters_are_ignored() {
    let f = |ct| format_from_content_type(ct, b"a,b\n1,2");
    assert_eq!(f("text/csv; charset=utf-8"), Some(InputFormat::Csv));
    assert_eq!(f("Application/JSON"), Some(InputFormat::Json));
    assert_eq!(f("application/x-ndjson"), Some(InputFormat::Ndjson));
    assert_eq!(
        f("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        Some(InputFormat::Xlsx)
    );
    assert_eq!(
        f("application/vnd.oasis.opendocument.spreadsheet"),
        Some(InputFormat::Ods)
    );
    assert_eq!(f("application/octet-stream"), None);
    assert_eq!(f("text/plain"), None);
}

#[test]
fn vnd_ms_excel_means_xls_only_for_an_ole_workbook() {
    let ct = "application/vnd.ms-excel";
    assert_eq!(format_from_content_type(ct, b"tanggal,kode\n"), None);
    assert_eq!(
        format_from_content_type(ct, &[0xD0, 0xCF, 0x11, 0xE0, 0, 0]),
        Some(InputFormat::Xls)
    );
}

#[test]
fn format_precedence_is_config_then_url_then_disposition_then_type_then_content() {
    let csv_url = Url::parse("http://h/data/kegiatan.csv").unwrap();
    let bare = Url::parse("http://h/download?id=7").unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let body = b"{\"a\":1}\n";
    assert_eq!(
        choose_format(
            Some(InputFormat::Ndjson),
            [&csv_url, &csv_url],
            &headers,
            body
        ),
        InputFormat::Ndjson
    );
    assert_eq!(
        choose_format(None, [&bare, &csv_url], &headers, body),
        InputFormat::Csv
    );
    assert_eq!(
        choose_format(None, [&bare, &bare], &headers, body),
        InputFormat::Json
    );
    headers.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"kegiatan 2025.xlsx\""),
    );
    assert_eq!(
        choose_format(None, [&bare, &bare], &headers, body),
        InputFormat::Xlsx
    );
    assert_eq!(
        choose_format(None, [&bare, &bare], &HeaderMap::new(), body),
        InputFormat::Ndjson
    );
}

#[test]
fn disposition_file_names_are_read_in_both_forms() {
    assert_eq!(
        disposition_filename("attachment; filename=a.ods").as_deref(),
        Some("a.ods")
    );
    assert_eq!(
        disposition_filename("attachment; filename*=UTF-8''kegiatan%20desa.xls").as_deref(),
        Some("kegiatan%20desa.xls")
    );
    assert_eq!(disposition_filename("inline"), None);
}

#[test]
fn excerpts_are_one_short_line() {
    assert_eq!(
        excerpt(b"  <h1>Bad\n  Gateway</h1> "),
        "<h1>Bad Gateway</h1>"
    );
    assert_eq!(excerpt(b""), "(empty body)");
    let long = "é".repeat(500);
    let cut = excerpt(long.as_bytes());
    assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
    assert!(cut.ends_with('…'));
}

#[test]
fn ckan_pages_are_parsed_without_the_row_id() {
    let body = br#"{"success": true, "result": {"records": [{"_id": 1, "jumlah": "12"}],
        "total": "30", "limit": 10, "_links": {"next": "/api/3/action/datastore_search?offset=10"}}}"#;
    let page = parse_ckan_page(body).unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].get("jumlah"), Some(&Value::from("12")));
    assert!(!page.records[0].contains_key("_id"));
    assert_eq!(page.total, Some(30));
    assert_eq!(page.limit, Some(10));
    assert_eq!(
        page.next.as_deref(),
        Some("/api/3/action/datastore_search?offset=10")
    );
}

#[test]
fn ckan_failures_and_malformed_answers_are_told_apart() {
    let refused = br#"{"success": false, "error": {"resource_id": ["Not found: Resource"], "__type": "Validation Error"}}"#;
    match parse_ckan_page(refused) {
        Err(Failure::Ckan { message }) => {
            assert_eq!(
                message,
                "Validation Error: resource_id: Not found: Resource"
            )
        }
        other => panic!("expected a CKAN failure, got {other:?}"),
    }
    for (body, expected) in [
        (&b"<html>oops</html>"[..], "success"),
        (br#"{"result": {}}"#, "boolean \"success\""),
        (
            br#"{"success": true, "result": []}"#,
            "\"result\" to be an object",
        ),
        (
            br#"{"success": true, "result": {"records": {}}}"#,
            "result.records",
        ),
        (
            br#"{"success": true, "result": {"records": [1]}}"#,
            "every element",
        ),
    ] {
        match parse_ckan_page(body) {
            Err(Failure::Malformed { expected: e, .. }) => assert!(e.contains(expected), "{e}"),
            other => panic!("expected malformed for {body:?}, got {other:?}"),
        }
    }
}

#[test]
fn next_links_resolve_against_the_portal_base() {
    let n = |base, link| resolve_next(base, link).unwrap().to_string();
    assert_eq!(
        n("http://h:8080", "/api/3/action/datastore_search?offset=5"),
        "http://h:8080/api/3/action/datastore_search?offset=5"
    );
    assert_eq!(
        n("https://h/data", "/api/3/action/datastore_search?offset=5"),
        "https://h/data/api/3/action/datastore_search?offset=5"
    );
    assert_eq!(
        n(
            "https://h/data",
            "/data/api/3/action/datastore_search?offset=5"
        ),
        "https://h/data/api/3/action/datastore_search?offset=5"
    );
    assert_eq!(n("http://h", "http://other/x?y=1"), "http://other/x?y=1");
}

#[test]
fn portal_bases_tolerate_api_paths() {
    assert_eq!(portal_base("http://h/"), "http://h");
    assert_eq!(portal_base("http://h/data/api/3/action/"), "http://h/data");
    assert_eq!(
        portal_base("http://h/api/3/action/datastore_search"),
        "http://h"
    );
    let url = ckan_page_url("http://h", "a b&c", 50, 100).unwrap();
    assert_eq!(
        url.as_str(),
        "http://h/api/3/action/datastore_search?resource_id=a+b%26c&limit=50&offset=100"
    );
}

#[test]
fn sources_deserialise_with_defaults() {
    #[derive(Deserialize)]
    struct File {
        sources: Vec<SourceConfig>,
    }
    let file: File = toml::from_str(
        r#"
        [[sources]]
        name = "umkm"
        kind = "url"
        url = "https://data.example.go.id/umkm.xlsx"
        format = "xlsx"
        interval_minutes = 60

        [[sources]]
        name = "portal"
        kind = "ckan"
        url = "https://data.example.go.id/"
        resource_id = "abc-123"
        "#,
    )
    .unwrap();
    let [url, ckan] = &file.sources[..] else {
        panic!("two sources expected")
    };
    assert_eq!(url.format, Some(InputFormat::Xlsx));
    assert_eq!(url.interval_minutes, Some(60));
    assert_eq!(
        (url.timeout_secs, url.retries, url.max_bytes, url.backoff_ms),
        (30, 3, 100 * 1024 * 1024, 200)
    );
    assert_eq!(
        ckan.kind,
        SourceKind::Ckan {
            url: "https://data.example.go.id/".into(),
            resource_id: "abc-123".into(),
            page_size: 1000
        }
    );
    // Serialising flattens the kind back into the table, so it round-trips.
    let again: SourceConfig = toml::from_str(&toml::to_string(ckan).unwrap()).unwrap();
    assert_eq!(again.kind, ckan.kind);
}

#[test]
fn bad_source_entries_are_rejected_naming_the_source() {
    let parse = |extra: &str| {
        toml::from_str::<SourceConfig>(&format!("name = \"s1\"\n{extra}"))
            .unwrap_err()
            .to_string()
    };
    let cases = [
        (
            "kind = \"url\"\nurl = \"http://h/a.csv\"\nbogus = 1",
            "unknown field `bogus`",
        ),
        (
            "kind = \"ckan\"\nurl = \"http://h/\"",
            "needs a resource_id",
        ),
        (
            "kind = \"url\"\nurl = \"http://h/a.csv\"\nresource_id = \"x\"",
            "only to kind = \"ckan\"",
        ),
        (
            "kind = \"url\"\nurl = \"ftp://h/a.csv\"",
            "expected http: or https:",
        ),
        (
            "kind = \"url\"\nurl = \"http://h/a.csv\"\ntimeout_secs = 0",
            "timeout_secs",
        ),
        (
            "kind = \"ftp\"\nurl = \"http://h/a.csv\"",
            "unknown variant",
        ),
    ];
    for (extra, expected) in cases {
        let message = parse(extra);
        assert!(message.contains(expected), "{extra:?} gave {message}");
    }
    assert!(parse("kind = \"ckan\"\nurl = \"http://h/\"").contains("source \"s1\""));
}
