//! Remote sources against local HTTP servers playing a file host and a CKAN portal: no internet.
//! Each test starts its own server on 127.0.0.1:0 and counts the requests it answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use kotacerdas::ingest::InputFormat;
use kotacerdas::ingest::remote::{
    self, Attempts, FetchOutcome, Fetched, RemoteError, SourceConfig,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

const CSV: &str = "tanggal,kode_wilayah,program,jumlah\n2025-01-02,35.09.01,umkm_go_online,3\n";
const PATH: &str = "/api/3/action/datastore_search";

/// Serve `router` on a free port; the base URL, e.g. `http://127.0.0.1:41234`.
async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

/// Requests answered so far, shared with the handlers.
#[derive(Clone, Default)]
struct Hits(Arc<AtomicUsize>);

impl Hits {
    /// Count this request; its 0-based number.
    fn next(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A source with fast retries (10 ms base) so failing tests stay quick.
fn quick(mut source: SourceConfig) -> SourceConfig {
    source.backoff_ms = 10;
    source
}

fn fetched(outcome: FetchOutcome) -> Fetched {
    match outcome {
        FetchOutcome::Fetched(fetched) => fetched,
        FetchOutcome::Unchanged => panic!("expected content, got Unchanged"),
    }
}

/// `count` CKAN records with every value a string, as many portals return them.
fn ckan_records(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            json!({
                "_id": i + 1,
                "activity_id": format!("A{i:03}"),
                "kode_wilayah": "35.09.01",
                "jumlah": format!("{}", i * 10),
                "anggaran": "1250000.50",
            })
        })
        .collect()
}

fn ckan_ok(records: &[Value], total: usize, limit: usize, next: Option<String>) -> Value {
    let mut result = json!({ "records": records, "total": total, "limit": limit });
    if let Some(next) = next {
        result["_links"] = json!({ "start": PATH, "next": next });
    }
    json!({ "success": true, "result": result })
}

#[derive(Deserialize)]
struct Paging {
    resource_id: String,
    limit: usize,
    offset: usize,
    cursor: Option<String>,
}

#[tokio::test]
async fn a_csv_url_with_an_etag_is_fetched_then_reported_unchanged() {
    // Arrange: a file host honouring If-None-Match.
    let hits = Hits::default();
    let router = Router::new()
        .route(
            "/kegiatan.csv",
            get(|State(hits): State<Hits>, headers: HeaderMap| async move {
                hits.next();
                if headers
                    .get(header::IF_NONE_MATCH)
                    .is_some_and(|v| v == "\"v1\"")
                {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [
                        (header::ETAG, "\"v1\""),
                        (header::LAST_MODIFIED, "Wed, 01 Oct 2025 07:00:00 GMT"),
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    ],
                    CSV,
                )
                    .into_response()
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let source = SourceConfig::url("jember-umkm", format!("{base}/kegiatan.csv"));
    let client = remote::client();

    // Act
    let first = fetched(remote::fetch(&client, &source, None).await.unwrap());
    let second = remote::fetch(&client, &source, Some(&first.validators))
        .await
        .unwrap();

    // Assert
    assert_eq!(first.name, "jember-umkm");
    assert_eq!(first.bytes, CSV.as_bytes());
    assert_eq!(first.format, InputFormat::Csv);
    assert_eq!(first.url, format!("{base}/kegiatan.csv"));
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.validators.last_modified.as_deref(),
        Some("Wed, 01 Oct 2025 07:00:00 GMT")
    );
    assert!(matches!(second, FetchOutcome::Unchanged));
    assert_eq!(hits.count(), 2);
}

#[tokio::test]
async fn the_format_comes_from_the_content_type_unless_the_config_names_one() {
    let router = Router::new().route(
        "/download",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/x-ndjson")],
                "{\"jumlah\":\"1\"}\n{\"jumlah\":\"2\"}\n",
            )
        }),
    );
    let base = serve(router).await;
    let client = remote::client();
    let mut source = SourceConfig::url("portal", format!("{base}/download"));

    let detected = fetched(remote::fetch(&client, &source, None).await.unwrap());
    source.format = Some(InputFormat::Json);
    let configured = fetched(remote::fetch(&client, &source, None).await.unwrap());

    assert_eq!(detected.format, InputFormat::Ndjson);
    assert_eq!(configured.format, InputFormat::Json);
}

#[tokio::test]
async fn a_url_over_max_bytes_is_refused_by_its_content_length() {
    let router = Router::new().route("/big.csv", get(|| async { "x".repeat(10_000) }));
    let base = serve(router).await;
    let mut source = SourceConfig::url("besar", format!("{base}/big.csv"));
    source.max_bytes = 1_000;

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, RemoteError::TooLarge { limit: 1_000, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("besar") && message.contains("/big.csv") && message.contains("1000"));
}

#[tokio::test]
async fn an_endless_body_without_content_length_is_cut_off_while_streaming() {
    // Arrange: a raw HTTP/1.0-style server that never says how long the body is and never stops,
    // so only the running count can end the read.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b'x'; 16 * 1024];
        // Ends when the client hangs up.
        while socket.write_all(&chunk).await.is_ok() {}
    });
    let mut source = SourceConfig::url("tanpa-batas", format!("http://{address}/stream.csv"));
    source.max_bytes = 100_000;
    source.timeout_secs = 10;

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, RemoteError::TooLarge { limit: 100_000, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_ckan_resource_is_paged_by_offset_and_limit_into_one_json_array() {
    // Arrange: 7 records, 3 per page, no `_links`: pages at offsets 0, 3 and 6.
    let offsets = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = offsets.clone();
    let router = Router::new().route(
        PATH,
        get(move |Query(paging): Query<Paging>| async move {
            assert_eq!(paging.resource_id, "res-1");
            seen.lock().unwrap().push((paging.offset, paging.limit));
            let all = ckan_records(7);
            let end = (paging.offset + paging.limit).min(all.len());
            axum::Json(ckan_ok(&all[paging.offset..end], 7, paging.limit, None))
        }),
    );
    let base = serve(router).await;
    let mut source = SourceConfig::ckan("ckan-jember", format!("{base}/"), "res-1");
    if let remote::SourceKind::Ckan { page_size, .. } = &mut source.kind {
        *page_size = 3;
    }

    let result = fetched(
        remote::fetch(&remote::client(), &source, None)
            .await
            .unwrap(),
    );

    assert_eq!(*offsets.lock().unwrap(), [(0, 3), (3, 3), (6, 3)]);
    assert_eq!(result.format, InputFormat::Json);
    assert_eq!(InputFormat::sniff(&result.bytes), InputFormat::Json);
    assert_eq!(result.validators, remote::Validators::default());
    let records: Vec<Value> = serde_json::from_slice(&result.bytes).unwrap();
    assert_eq!(records.len(), 7);
    assert!(records.iter().all(|r| r.get("_id").is_none()));
    assert_eq!(records[6]["activity_id"], "A006");
    assert_eq!(records[6]["jumlah"], "60");
    assert_eq!(records[0]["anggaran"], "1250000.50");
}

#[tokio::test]
async fn a_ckan_resource_follows_links_next() {
    // Arrange: the server pages by an opaque cursor only its `_links.next` knows.
    let cursors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = cursors.clone();
    let router = Router::new().route(
        PATH,
        get(move |Query(paging): Query<Paging>| async move {
            seen.lock().unwrap().push(paging.cursor.clone());
            let all = ckan_records(5);
            let end = (paging.offset + 2).min(all.len());
            let next = format!(
                "{PATH}?resource_id={}&limit=2&offset={end}&cursor=c{end}",
                paging.resource_id
            );
            axum::Json(ckan_ok(&all[paging.offset..end], 5, 2, Some(next)))
        }),
    );
    let base = serve(router).await;
    let source = SourceConfig::ckan("ckan-links", base, "res-2");

    let result = fetched(
        remote::fetch(&remote::client(), &source, None)
            .await
            .unwrap(),
    );

    let records: Vec<Value> = serde_json::from_slice(&result.bytes).unwrap();
    assert_eq!(records.len(), 5);
    assert_eq!(records[4]["activity_id"], "A004");
    assert_eq!(
        *cursors.lock().unwrap(),
        [None, Some("c2".to_string()), Some("c4".to_string())]
    );
}

#[tokio::test]
async fn a_ckan_server_answering_500_fails_after_every_retry_naming_the_source() {
    let hits = Hits::default();
    let router = Router::new()
        .route(
            PATH,
            get(|State(hits): State<Hits>| async move {
                hits.next();
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error: database is down",
                )
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let mut source = quick(SourceConfig::ckan("ckan-rusak", base.clone(), "res-3"));
    source.retries = 2;

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            RemoteError::Status {
                status: 500,
                attempts: Attempts(3),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(hits.count(), 3);
    let message = error.to_string();
    for part in [
        "ckan-rusak",
        base.as_str(),
        "HTTP 500",
        "3 attempts",
        "database is down",
    ] {
        assert!(message.contains(part), "{part:?} missing from {message}");
    }
}

#[tokio::test]
async fn a_ckan_server_that_does_not_answer_in_time_is_a_timeout_error() {
    let hits = Hits::default();
    let router = Router::new()
        .route(
            PATH,
            get(|State(hits): State<Hits>| async move {
                hits.next();
                tokio::time::sleep(Duration::from_secs(5)).await;
                axum::Json(ckan_ok(&[], 0, 100, None))
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let mut source = quick(SourceConfig::ckan("ckan-lambat", base, "res-4"));
    source.timeout_secs = 1;
    source.retries = 1;

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            RemoteError::Timeout {
                timeout_secs: 1,
                attempts: Attempts(2),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(hits.count(), 2);
    assert!(error.to_string().contains("ckan-lambat"));
}

#[tokio::test]
async fn malformed_ckan_json_is_an_error_and_not_retried() {
    let hits = Hits::default();
    let router = Router::new()
        .route(
            PATH,
            get(|State(hits): State<Hits>| async move {
                hits.next();
                "<html><body>Maintenance</body></html>"
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let source = quick(SourceConfig::ckan("ckan-html", base, "res-5"));

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, RemoteError::MalformedCkan { .. }),
        "{error:?}"
    );
    assert_eq!(hits.count(), 1);
    let message = error.to_string();
    assert!(
        message.contains("ckan-html") && message.contains("Maintenance"),
        "{message}"
    );
}

#[tokio::test]
async fn a_ckan_server_that_fails_then_times_out_then_answers_garbage_ends_in_a_clear_error() {
    // 500 and the timeout are retried; the malformed answer is final.
    let hits = Hits::default();
    let router = Router::new()
        .route(
            PATH,
            get(|State(hits): State<Hits>| async move {
                match hits.next() {
                    0 => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
                    1 => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        "too late".into_response()
                    }
                    _ => "{\"success\": true, \"result\": {\"records\": \"none\"}}".into_response(),
                }
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let mut source = quick(SourceConfig::ckan("ckan-kacau", base, "res-6"));
    source.timeout_secs = 1;

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, RemoteError::MalformedCkan { .. }),
        "{error:?}"
    );
    assert_eq!(hits.count(), 3);
    let message = error.to_string();
    assert!(
        message.contains("ckan-kacau") && message.contains("result.records"),
        "{message}"
    );
}

#[tokio::test]
async fn ckan_success_false_is_reported_with_its_message_and_not_retried() {
    let hits = Hits::default();
    let router = Router::new()
        .route(
            PATH,
            get(|State(hits): State<Hits>| async move {
                hits.next();
                let body = json!({
                    "success": false,
                    "error": { "message": "Not found: Resource was not found.", "__type": "Not Found Error" }
                });
                (StatusCode::NOT_FOUND, axum::Json(body))
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let source = quick(SourceConfig::ckan(
        "ckan-salah-id",
        base,
        "no-such-resource",
    ));

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, RemoteError::CkanFailure { .. }),
        "{error:?}"
    );
    assert_eq!(hits.count(), 1);
    let message = error.to_string();
    assert!(
        message.contains("ckan-salah-id") && message.contains("Resource was not found"),
        "{message}"
    );
}

#[tokio::test]
async fn a_500_then_200_recovers_by_retrying() {
    let hits = Hits::default();
    let router = Router::new()
        .route(
            "/kegiatan.csv",
            get(|State(hits): State<Hits>| async move {
                match hits.next() {
                    0 => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
                    _ => CSV.into_response(),
                }
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let source = quick(SourceConfig::url("pulih", format!("{base}/kegiatan.csv")));

    let result = fetched(
        remote::fetch(&remote::client(), &source, None)
            .await
            .unwrap(),
    );

    assert_eq!(result.bytes, CSV.as_bytes());
    assert_eq!(hits.count(), 2);
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let hits = Hits::default();
    let router = Router::new()
        .route(
            "/gone.csv",
            get(|State(hits): State<Hits>| async move {
                hits.next();
                (StatusCode::NOT_FOUND, "no such file")
            }),
        )
        .with_state(hits.clone());
    let base = serve(router).await;
    let source = quick(SourceConfig::url("hilang", format!("{base}/gone.csv")));

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            RemoteError::Status {
                status: 404,
                attempts: Attempts(1),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(hits.count(), 1);
    assert!(error.to_string().contains("no such file"));
}

#[tokio::test]
async fn a_refused_connection_is_a_connection_error_after_retries() {
    // A port that was free a moment ago and has no listener now.
    let address = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut source = quick(SourceConfig::url("mati", format!("http://{address}/a.csv")));
    source.retries = 1;

    let error = remote::fetch(&remote::client(), &source, None)
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            RemoteError::Connection {
                attempts: Attempts(2),
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("mati") && message.contains(&address.to_string()),
        "{message}"
    );
}
