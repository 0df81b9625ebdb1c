//! `POST /api/v1/ingest` on the real server: steward and admin tokens, size limit, report,
//! re-scoring.

use crate::helpers::{TestApp, repo, spawn_own, token};

/// A server with its own store (uploads change it), the test users and an upload limit.
pub struct Upload {
    pub address: String,
    pub client: reqwest::Client,
    _app: TestApp,
}

/// A server with its own store and an upload limit of `max_upload_mb`.
pub async fn spawn_with_limit(max_upload_mb: u64) -> Upload {
    let app = spawn_own(move |c| c.ingest.max_upload_mb = max_upload_mb).await;
    Upload {
        address: app.address.clone(),
        client: reqwest::Client::new(),
        _app: app,
    }
}

fn form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    )
}

/// Jember's data steward: uploads for 35.09.
pub const STEWARD: &str = "diskominfo-jember";

pub const NEW_ROWS: &str = "id_kegiatan;tanggal;kode_wilayah;program;jumlah\n\
UP-1;01/03/2025;35.09.20;wifi_publik;40\n\
UP-2;02/03/2025;35.09.20;wifi_publik;2.500\n\
UP-3;03/03/2025;35.09.99;wifi_publik;1\n";

impl Upload {
    async fn post(
        &self,
        query: &str,
        token: Option<&str>,
        form: reqwest::multipart::Form,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .client
            .post(format!("{}/api/v1/ingest{query}", self.address))
            .multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    async fn scores(&self, region: &str) -> serde_json::Value {
        self.client
            .get(format!(
                "{}/api/v1/scores?region={region}&period=2025",
                self.address
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_without_a_valid_token_is_refused_with_401() {
    let app = spawn_with_limit(1).await;
    let (status, body) = app.post("", None, form("a.csv", NEW_ROWS.into())).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = app
        .post("", Some("salah"), form("a.csv", NEW_ROWS.into()))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewers_or_evaluators_token_may_not_upload() {
    let app = spawn_with_limit(1).await;
    for user in ["bappeda-jember", "kominfo"] {
        let (status, body) = app
            .post("", Some(token(user)), form("a.csv", NEW_ROWS.into()))
            .await;
        assert_eq!(status, 403, "{user}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("ingest")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_over_the_limit_is_refused_with_413_before_its_body_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_with_limit(1).await;
    // Announce 2 MiB and send none of it: the answer must come from the headers alone.
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/ingest HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
Content-Type: multipart/form-data; boundary=X\r\nContent-Length: {}\r\n\r\n",
        token(STEWARD),
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("the server answered without waiting for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_upload_reports_without_storing() {
    let app = spawn_with_limit(1).await;
    let before = app.scores("35.09.20").await;
    let (status, body) = app
        .post(
            "?dry_run=true",
            Some(token(STEWARD)),
            form("kegiatan.csv", NEW_ROWS.into()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dry_run"], true);
    assert_eq!(body["files"][0]["accepted"], 2);
    assert_eq!(body["files"][0]["added"], 0);
    assert_eq!(app.scores("35.09.20").await["index"], before["index"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_is_validated_stored_and_moves_the_scores() {
    let app = spawn_with_limit(1).await;
    let before = app.scores("35.09.20").await;
    let (status, body) = app
        .post(
            "",
            Some(token(STEWARD)),
            form("kegiatan.csv", NEW_ROWS.into()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let f = &body["files"][0];
    assert_eq!(
        (
            f["rows"].as_u64(),
            f["accepted"].as_u64(),
            f["rejected"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(f["added"], 2);
    assert_eq!(f["number_style"], "decimal_comma");
    assert_eq!(body["rejections"][0]["row"], 4);
    assert_eq!(body["rejections"][0]["column"], "region_code");
    // 2,540 public WiFi points in Patrang lift its living score and its rank.
    let after = app.scores("35.09.20").await;
    let living = |v: &serde_json::Value| v["dimensions"][6]["score"].as_f64().unwrap();
    let rank = |v: &serde_json::Value| v["dimensions"][6]["rank"].as_u64().unwrap();
    assert!(
        living(&after) > living(&before),
        "{} → {}",
        living(&before),
        living(&after)
    );
    assert!(
        rank(&after) < rank(&before),
        "{} → {}",
        rank(&before),
        rank(&after)
    );
    // Sending the same file again changes nothing.
    let (_, again) = app
        .post(
            "",
            Some(token(STEWARD)),
            form("kegiatan.csv", NEW_ROWS.into()),
        )
        .await;
    assert_eq!(again["files"][0]["skipped_unchanged"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_of_only_bad_files_is_a_422_with_the_reasons() {
    let app = spawn_with_limit(1).await;
    let bytes = std::fs::read(repo().join("tests/data/ingest/laporan_pdf.csv")).unwrap();
    let (status, body) = app
        .post("", Some(token(STEWARD)), form("laporan.csv", bytes))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["files"][0]["error"].as_str().unwrap().contains("PDF"));
}
