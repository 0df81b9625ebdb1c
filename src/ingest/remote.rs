//! Remote sources: fetch the bytes of an activity file from a URL or a CKAN portal.
//!
//! A source is declared in `config.toml` as a `[[sources]]` table ([`SourceConfig`]): either a
//! plain URL to a CSV, JSON/NDJSON or Excel file (`kind = "url"`), or a CKAN `datastore_search`
//! resource (`kind = "ckan"`), which is paged through and returned as one JSON array of records.
//! [`fetch`] makes the requests with a per-request timeout, retries transient failures
//! (connection errors, timeouts, HTTP 5xx and 429) with exponential backoff, refuses bodies over
//! the source's size cap while they stream in, and sends the ETag/Last-Modified validators of the
//! previous pull so an unchanged URL costs one `304 Not Modified`.
//!
//! What it does not do: parse or validate the records (the rest of [`crate::ingest`] does that
//! with the returned bytes and [`InputFormat`]), remember validators between pulls (the caller
//! persists [`Validators`]), deduplicate CKAN pulls (CKAN offers no validators; the caller
//! compares content), or schedule re-pulls (`interval_minutes` is read by the server).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use reqwest::header::{
    CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED,
};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::InputFormat;

/// Longest wait between two attempts, however many retries are configured: a source that is
/// down for longer is better reported than waited for.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How much of an error body is quoted in a [`RemoteError`]: enough to show a portal's message,
/// not a whole HTML page.
const EXCERPT_CHARS: usize = 200;

/// How many bytes of an error response are read to build the excerpt (and a CKAN error message).
const ERROR_BODY_BYTES: usize = 16 * 1024;

fn default_timeout_secs() -> u64 {
    30
}

fn default_retries() -> u32 {
    3
}

fn default_max_bytes() -> u64 {
    100 * 1024 * 1024
}

fn default_backoff_ms() -> u64 {
    200
}

fn default_page_size() -> u32 {
    1000
}

/// One `[[sources]]` entry of `config.toml`: where to fetch activity records and how patiently.
///
/// Deserialising checks the entry as a whole (through a flat private form, because serde cannot
/// combine `flatten` with `deny_unknown_fields`): unknown keys, a missing `resource_id` for CKAN,
/// CKAN-only keys on a URL source, a URL that is not http(s) and zero limits are all rejected
/// with a message naming the source.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RawSource")]
pub struct SourceConfig {
    /// Unique name; becomes the source name of every record read from it.
    pub name: String,
    /// Where the data lives: a plain URL or a CKAN resource.
    #[serde(flatten)]
    pub kind: SourceKind,
    /// For `kind = "url"`: the format, overriding detection from the URL path, the
    /// Content-Disposition file name, the Content-Type and the content itself.
    #[serde(default)]
    pub format: Option<InputFormat>,
    /// Limit for each HTTP request, body included, in seconds (default 30).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Extra attempts after a transient failure (default 3, so up to 4 attempts per request).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Largest body accepted, in bytes (default 100 MiB); for CKAN, all pages together.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Wait before the first retry in milliseconds (default 200); doubles on each further retry,
    /// capped at [`MAX_BACKOFF`].
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// How often the server re-pulls the source, in minutes; `None` pulls only on demand.
    #[serde(default)]
    pub interval_minutes: Option<u64>,
}

/// The kind of a remote source, tagged by the `kind` key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SourceKind {
    /// A plain URL to a CSV, JSON/NDJSON or Excel file.
    Url {
        /// The file's http(s) URL.
        url: String,
    },
    /// A CKAN DataStore resource, read with `{url}/api/3/action/datastore_search`.
    Ckan {
        /// The portal's base URL, e.g. `https://data.example.go.id/`.
        url: String,
        /// The DataStore resource id.
        resource_id: String,
        /// Records asked for per page (default 1000).
        #[serde(default = "default_page_size")]
        page_size: u32,
    },
}

impl SourceConfig {
    /// A `kind = "url"` source with every option at its default.
    pub fn url(name: impl Into<String>, url: impl Into<String>) -> SourceConfig {
        SourceConfig::with_kind(name.into(), SourceKind::Url { url: url.into() })
    }

    /// A `kind = "ckan"` source with every option at its default.
    pub fn ckan(
        name: impl Into<String>,
        portal: impl Into<String>,
        resource_id: impl Into<String>,
    ) -> SourceConfig {
        SourceConfig::with_kind(
            name.into(),
            SourceKind::Ckan {
                url: portal.into(),
                resource_id: resource_id.into(),
                page_size: default_page_size(),
            },
        )
    }

    fn with_kind(name: String, kind: SourceKind) -> SourceConfig {
        SourceConfig {
            name,
            kind,
            format: None,
            timeout_secs: default_timeout_secs(),
            retries: default_retries(),
            max_bytes: default_max_bytes(),
            backoff_ms: default_backoff_ms(),
            interval_minutes: None,
        }
    }

    /// The URL as configured (the portal base for CKAN).
    pub fn configured_url(&self) -> &str {
        match &self.kind {
            SourceKind::Url { url } | SourceKind::Ckan { url, .. } => url,
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// The kind tag of [`RawSource`].
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum KindTag {
    Url,
    Ckan,
}

/// `[[sources]]` exactly as written, before the checks that make it a [`SourceConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: KindTag,
    url: String,
    #[serde(default)]
    resource_id: Option<String>,
    #[serde(default)]
    page_size: Option<u32>,
    #[serde(default)]
    format: Option<InputFormat>,
    #[serde(default = "default_timeout_secs")]
    timeout_secs: u64,
    #[serde(default = "default_retries")]
    retries: u32,
    #[serde(default = "default_max_bytes")]
    max_bytes: u64,
    #[serde(default = "default_backoff_ms")]
    backoff_ms: u64,
    #[serde(default)]
    interval_minutes: Option<u64>,
}

impl TryFrom<RawSource> for SourceConfig {
    type Error = String;

    fn try_from(raw: RawSource) -> Result<SourceConfig, String> {
        let name = raw.name.trim().to_string();
        if name.is_empty() {
            return Err("a [[sources]] entry has an empty name".into());
        }
        let fail = |what: &str| Err(format!("source {name:?}: {what}"));
        if let Err(reason) = parse_http_url(&raw.url) {
            return fail(&format!("url {:?} {reason}", raw.url));
        }
        if raw.timeout_secs == 0 {
            return fail("timeout_secs must be at least 1");
        }
        if raw.max_bytes == 0 {
            return fail("max_bytes must be at least 1");
        }
        if raw.interval_minutes == Some(0) {
            return fail("interval_minutes must be at least 1 (leave it out to pull on demand)");
        }
        let kind = match raw.kind {
            KindTag::Url => {
                if raw.resource_id.is_some() || raw.page_size.is_some() {
                    return fail("resource_id and page_size apply only to kind = \"ckan\"");
                }
                SourceKind::Url { url: raw.url }
            }
            KindTag::Ckan => {
                if raw.format.is_some() {
                    return fail("format applies only to kind = \"url\" (CKAN records are JSON)");
                }
                let resource_id = match raw.resource_id {
                    Some(id) if !id.trim().is_empty() => id.trim().to_string(),
                    _ => return fail("kind = \"ckan\" needs a resource_id"),
                };
                let page_size = raw.page_size.unwrap_or_else(default_page_size);
                if page_size == 0 {
                    return fail("page_size must be at least 1");
                }
                SourceKind::Ckan {
                    url: raw.url,
                    resource_id,
                    page_size,
                }
            }
        };
        Ok(SourceConfig {
            name,
            kind,
            format: raw.format,
            timeout_secs: raw.timeout_secs,
            retries: raw.retries,
            max_bytes: raw.max_bytes,
            backoff_ms: raw.backoff_ms,
            interval_minutes: raw.interval_minutes,
        })
    }
}

/// HTTP cache validators of the last successful pull, sent back to ask "has it changed?".
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` header, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

impl Validators {
    fn from_headers(headers: &HeaderMap) -> Validators {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        Validators {
            etag: text(ETAG),
            last_modified: text(LAST_MODIFIED),
        }
    }
}

/// The body of a source, ready for the ingest layer.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The source's name.
    pub name: String,
    /// The body: the file as served, or for CKAN one JSON array of all records.
    pub bytes: Vec<u8>,
    /// The format of `bytes`.
    pub format: InputFormat,
    /// Validators to send on the next pull (empty for CKAN).
    pub validators: Validators,
    /// The URL read: after redirects for a plain URL, the first page for CKAN.
    pub url: String,
}

/// What a pull found.
#[derive(Debug, Clone)]
pub enum FetchOutcome {
    /// The server answered `304 Not Modified` to the previous validators.
    Unchanged,
    /// New (or unconditionally fetched) content.
    Fetched(Fetched),
}

/// Why a source could not be fetched. Every message names the source and the URL.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The configured URL is not an http(s) URL.
    #[error("source {name:?}: URL {url:?} {reason}")]
    InvalidUrl {
        /// The source.
        name: String,
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server answered with an error status (the last one, after any retries).
    #[error("source {name:?}: {url} answered HTTP {status} after {attempts}; body: {excerpt}")]
    Status {
        /// The source.
        name: String,
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// Attempts made.
        attempts: Attempts,
        /// The start of the response body.
        excerpt: String,
    },
    /// Every attempt ran out of time.
    #[error("source {name:?}: {url} did not answer within {timeout_secs} s, {attempts}")]
    Timeout {
        /// The source.
        name: String,
        /// The URL.
        url: String,
        /// The per-request limit.
        timeout_secs: u64,
        /// Attempts made.
        attempts: Attempts,
    },
    /// The server could not be reached, or the transfer broke off.
    #[error("source {name:?}: connection to {url} failed after {attempts}: {reason}")]
    Connection {
        /// The source.
        name: String,
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: Attempts,
        /// The underlying cause, innermost last.
        reason: String,
    },
    /// The body is larger than `max_bytes`.
    #[error(
        "source {name:?}: {url} is larger than the limit of {limit} bytes (raise max_bytes for this source if that is expected)"
    )]
    TooLarge {
        /// The source.
        name: String,
        /// The URL.
        url: String,
        /// The configured limit.
        limit: u64,
    },
    /// A CKAN answer that is not the JSON `datastore_search` returns.
    #[error(
        "source {name:?}: {url} is not a CKAN datastore_search answer: expected {expected}; got: {excerpt}"
    )]
    MalformedCkan {
        /// The source.
        name: String,
        /// The URL.
        url: String,
        /// What was expected.
        expected: String,
        /// The start of what arrived.
        excerpt: String,
    },
    /// CKAN answered `success: false`.
    #[error("source {name:?}: CKAN at {url} refused the request: {message}")]
    CkanFailure {
        /// The source.
        name: String,
        /// The URL.
        url: String,
        /// CKAN's error message.
        message: String,
    },
}

/// A count of attempts, shown as "1 attempt" / "4 attempts".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts(pub u32);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 attempt"),
            n => write!(f, "{n} attempts"),
        }
    }
}

/// The HTTP client for remote sources, identifying itself as `kotacerdas/<version>`.
///
/// Build it once and share it: it pools connections. Timeouts are set per request from each
/// source's `timeout_secs`.
///
/// # Panics
/// If the TLS backend cannot be initialised, which with the bundled rustls and root
/// certificates does not happen at run time.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("kotacerdas/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds with the bundled rustls configuration")
}

/// Pull one source. `previous` are the validators of the last pull of a `kind = "url"` source;
/// if the server confirms nothing changed the result is [`FetchOutcome::Unchanged`].
///
/// # Errors
/// A [`RemoteError`] naming the source and URL when the URL is unusable, the server keeps
/// failing after the configured retries, refuses the request, sends more than `max_bytes`, or
/// (CKAN) answers something that is not a `datastore_search` result.
pub async fn fetch(
    client: &reqwest::Client,
    source: &SourceConfig,
    previous: Option<&Validators>,
) -> Result<FetchOutcome, RemoteError> {
    match &source.kind {
        SourceKind::Url { url } => fetch_url(client, source, url, previous).await,
        SourceKind::Ckan {
            url,
            resource_id,
            page_size,
        } => fetch_ckan(client, source, url, resource_id, *page_size)
            .await
            .map(FetchOutcome::Fetched),
    }
}

/// The wait before retry number `retry` (0 for the first): `base × 2^retry`, capped at
/// [`MAX_BACKOFF`].
pub fn backoff_delay(base: Duration, retry: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(retry))
        .min(MAX_BACKOFF)
}

/// The format a Content-Type names, if it names one of ours. `bytes` settles the one ambiguous
/// type: `application/vnd.ms-excel` is what many servers send for any `.csv`, so it means xls
/// only when the body really is an OLE workbook.
pub fn format_from_content_type(content_type: &str, bytes: &[u8]) -> Option<InputFormat> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "text/csv"
        | "application/csv"
        | "text/comma-separated-values"
        | "text/tab-separated-values" => Some(InputFormat::Csv),
        "application/json" | "text/json" => Some(InputFormat::Json),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/jsonlines" => Some(InputFormat::Ndjson),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
            Some(InputFormat::Xlsx)
        }
        "application/vnd.oasis.opendocument.spreadsheet" => Some(InputFormat::Ods),
        "application/vnd.ms-excel" => match InputFormat::sniff(bytes) {
            InputFormat::Xls => Some(InputFormat::Xls),
            _ => None,
        },
        _ => None,
    }
}

/// The format of a plain-URL body: the configured one, else the extension of the URL path (as
/// configured, then after redirects), else the Content-Disposition file name, else the
/// Content-Type, else the content.
fn choose_format(
    explicit: Option<InputFormat>,
    urls: [&Url; 2],
    headers: &HeaderMap,
    bytes: &[u8],
) -> InputFormat {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    explicit
        .or_else(|| urls.iter().find_map(|u| format_from_url(u)))
        .or_else(|| {
            header(CONTENT_DISPOSITION)
                .and_then(disposition_filename)
                .and_then(|f| InputFormat::from_name(&f))
        })
        .or_else(|| header(CONTENT_TYPE).and_then(|ct| format_from_content_type(ct, bytes)))
        .unwrap_or_else(|| InputFormat::sniff(bytes))
}

fn format_from_url(url: &Url) -> Option<InputFormat> {
    let last = url.path_segments()?.next_back()?;
    InputFormat::from_name(last)
}

/// The file name of a `Content-Disposition: attachment; filename="…"` header (download
/// endpoints often have no extension in their URL but name the file here).
fn disposition_filename(header: &str) -> Option<String> {
    header.split(';').find_map(|part| {
        let (key, value) = part.trim().split_once('=')?;
        let value = match key.trim().to_ascii_lowercase().as_str() {
            // RFC 5987 form: charset'language'percent-encoded-name; the extension is ASCII.
            "filename*" => value.rsplit('\'').next()?,
            "filename" => value.trim().trim_matches('"'),
            _ => return None,
        };
        Some(value.to_string())
    })
}

fn parse_http_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url.trim()).map_err(|e| format!("is not a valid URL ({e})"))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(format!("uses {other}:, expected http: or https:")),
    }
}

/// Why one attempt failed, before it is known whether another attempt follows.
#[derive(Debug)]
enum Failure {
    Status {
        status: u16,
        excerpt: String,
    },
    Timeout,
    Transport {
        reason: String,
        retryable: bool,
    },
    TooLarge,
    Malformed {
        expected: &'static str,
        excerpt: String,
    },
    Ckan {
        message: String,
    },
}

impl Failure {
    /// Worth another attempt: the server or the network may recover; a 4xx or a bad body
    /// will only repeat itself.
    fn is_retryable(&self) -> bool {
        match self {
            Failure::Status { status, .. } => {
                *status >= 500 || *status == StatusCode::TOO_MANY_REQUESTS.as_u16()
            }
            Failure::Timeout => true,
            Failure::Transport { retryable, .. } => *retryable,
            Failure::TooLarge | Failure::Malformed { .. } | Failure::Ckan { .. } => false,
        }
    }

    fn into_error(self, source: &SourceConfig, url: &str, attempts: u32) -> RemoteError {
        let name = source.name.clone();
        let url = url.to_string();
        let attempts = Attempts(attempts);
        match self {
            Failure::Status { status, excerpt } => RemoteError::Status {
                name,
                url,
                status,
                attempts,
                excerpt,
            },
            Failure::Timeout => RemoteError::Timeout {
                name,
                url,
                timeout_secs: source.timeout_secs,
                attempts,
            },
            Failure::Transport { reason, .. } => RemoteError::Connection {
                name,
                url,
                attempts,
                reason,
            },
            Failure::TooLarge => RemoteError::TooLarge {
                name,
                url,
                limit: source.max_bytes,
            },
            Failure::Malformed { expected, excerpt } => RemoteError::MalformedCkan {
                name,
                url,
                expected: expected.to_string(),
                excerpt,
            },
            Failure::Ckan { message } => RemoteError::CkanFailure { name, url, message },
        }
    }
}

impl From<reqwest::Error> for Failure {
    fn from(err: reqwest::Error) -> Failure {
        if err.is_timeout() {
            return Failure::Timeout;
        }
        // Builder and redirect errors (a bad header value, a redirect loop) repeat identically.
        let retryable = !(err.is_builder() || err.is_redirect());
        Failure::Transport {
            reason: describe(&err),
            retryable,
        }
    }
}

/// The causes of a reqwest error, outermost first. reqwest's own message repeats the URL, which
/// the [`RemoteError`] already names, and hides the useful part ("Connection refused") in the
/// chain.
fn describe(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

/// Run `attempt` until it succeeds, fails for good, or `source.retries` retries are spent,
/// sleeping [`backoff_delay`] between attempts.
async fn with_retries<T, F, Fut>(
    source: &SourceConfig,
    url: &str,
    mut attempt: F,
) -> Result<T, RemoteError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let max_attempts = source.retries.saturating_add(1);
    let base = Duration::from_millis(source.backoff_ms);
    let mut made = 0;
    loop {
        made += 1;
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(failure) if failure.is_retryable() && made < max_attempts => {
                let delay = backoff_delay(base, made - 1);
                tracing::warn!(
                    source = %source.name,
                    url,
                    attempt = made,
                    of = max_attempts,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    failure = ?failure,
                    "remote source failed; retrying"
                );
                tokio::time::sleep(delay).await;
            }
            Err(failure) => return Err(failure.into_error(source, url, made)),
        }
    }
}

/// Read a body, failing as soon as it exceeds `limit` bytes: the declared Content-Length is
/// checked first, then the running total as chunks arrive, so an endless or lying server cannot
/// make us buffer more than `limit` plus one chunk.
async fn read_capped(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, Failure> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(Failure::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(Failure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The first bytes of an error response, for the message; a body that breaks off is quoted as
/// far as it came.
async fn read_error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY_BYTES);
    body
}

/// A short one-line quote of a body: whitespace collapsed, cut at [`EXCERPT_CHARS`].
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".into();
    }
    match collapsed.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

async fn fetch_url(
    client: &reqwest::Client,
    source: &SourceConfig,
    url: &str,
    previous: Option<&Validators>,
) -> Result<FetchOutcome, RemoteError> {
    let target = parse_http_url(url).map_err(|reason| RemoteError::InvalidUrl {
        name: source.name.clone(),
        url: url.to_string(),
        reason,
    })?;
    with_retries(source, url, || {
        url_attempt(client, source, &target, previous)
    })
    .await
}

/// One attempt at a plain URL.
async fn url_attempt(
    client: &reqwest::Client,
    source: &SourceConfig,
    target: &Url,
    previous: Option<&Validators>,
) -> Result<FetchOutcome, Failure> {
    let mut request = client.get(target.clone()).timeout(source.timeout());
    if let Some(previous) = previous {
        // A stored value that is no longer a valid header is skipped, not fatal: the pull just
        // becomes unconditional.
        let valid = |v: &Option<String>| v.as_deref().and_then(|v| HeaderValue::from_str(v).ok());
        if let Some(etag) = valid(&previous.etag) {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(date) = valid(&previous.last_modified) {
            request = request.header(IF_MODIFIED_SINCE, date);
        }
    }
    let response = request.send().await?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(FetchOutcome::Unchanged);
    }
    if !status.is_success() {
        let body = read_error_body(response).await;
        return Err(Failure::Status {
            status: status.as_u16(),
            excerpt: excerpt(&body),
        });
    }
    let headers = response.headers().clone();
    let final_url = response.url().clone();
    let bytes = read_capped(response, source.max_bytes).await?;
    let format = choose_format(source.format, [target, &final_url], &headers, &bytes);
    Ok(FetchOutcome::Fetched(Fetched {
        name: source.name.clone(),
        bytes,
        format,
        validators: Validators::from_headers(&headers),
        url: final_url.to_string(),
    }))
}

/// One parsed `datastore_search` page.
#[derive(Debug, Default, PartialEq)]
struct CkanPage {
    records: Vec<Map<String, Value>>,
    total: Option<u64>,
    /// CKAN ≥ 2.10 may estimate `total` for big tables; then it cannot end the paging.
    total_was_estimated: bool,
    /// The limit the server applied, which may be lower than asked (`rows_max`).
    limit: Option<u64>,
    next: Option<String>,
}

/// Parse a `datastore_search` answer: `{"success": true, "result": {"records": [...], ...}}`.
fn parse_ckan_page(body: &[u8]) -> Result<CkanPage, Failure> {
    let malformed = |expected| Failure::Malformed {
        expected,
        excerpt: excerpt(body),
    };
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| malformed("a JSON object with \"success\" and \"result\""))?;
    match value.get("success").and_then(Value::as_bool) {
        Some(true) => {}
        Some(false) => {
            return Err(Failure::Ckan {
                message: ckan_error_message(&value),
            });
        }
        None => return Err(malformed("a JSON object with a boolean \"success\"")),
    }
    let result = value
        .get("result")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("\"result\" to be an object"))?;
    let records = result
        .get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("\"result.records\" to be an array"))?
        .iter()
        .map(|record| {
            let mut record = record
                .as_object()
                .cloned()
                .ok_or_else(|| malformed("every element of \"result.records\" to be an object"))?;
            // CKAN's row number, not part of the data; keeping it would make every re-pull of
            // a re-loaded table look new.
            record.remove("_id");
            Ok(record)
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    // Counts may arrive as numbers or, from some proxies, as strings.
    let count = |v: &Value| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    Ok(CkanPage {
        records,
        total: result.get("total").and_then(count),
        total_was_estimated: result
            .get("total_was_estimated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        limit: result.get("limit").and_then(count),
        next: result
            .get("_links")
            .and_then(|links| links.get("next"))
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// CKAN's `error` object as one line: its `message`, or its per-field complaints, and its type.
fn ckan_error_message(value: &Value) -> String {
    let Some(error) = value.get("error").and_then(Value::as_object) else {
        return "success is false and no error was given".into();
    };
    let kind = error.get("__type").and_then(Value::as_str);
    let message = match error.get("message").and_then(Value::as_str) {
        Some(message) => message.to_string(),
        None => error
            .iter()
            .filter(|(key, _)| key.as_str() != "__type")
            .map(|(key, v)| match v {
                Value::Array(items) => {
                    let items: Vec<String> = items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                        .collect();
                    format!("{key}: {}", items.join("; "))
                }
                Value::String(s) => format!("{key}: {s}"),
                other => format!("{key}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    match kind {
        Some(kind) if !message.is_empty() => format!("{kind}: {message}"),
        Some(kind) => kind.to_string(),
        None if message.is_empty() => "success is false and no error was given".into(),
        None => message,
    }
}

/// The portal base without a trailing slash, tolerating a configured URL that already points
/// at the API (`…/api/3/action` or `…/datastore_search`).
fn portal_base(url: &str) -> String {
    let mut base = url.trim().trim_end_matches('/');
    for suffix in ["/datastore_search", "/action", "/3", "/api"] {
        base = base.strip_suffix(suffix).unwrap_or(base);
    }
    base.to_string()
}

fn ckan_page_url(base: &str, resource_id: &str, limit: u32, offset: u64) -> Result<Url, String> {
    let mut url = parse_http_url(&format!("{base}/api/3/action/datastore_search"))?;
    url.query_pairs_mut()
        .append_pair("resource_id", resource_id)
        .append_pair("limit", &limit.to_string())
        .append_pair("offset", &offset.to_string());
    Ok(url)
}

/// Resolve `_links.next` against the portal base. CKAN writes it as a path from the site root
/// (`/api/3/action/datastore_search?offset=…`); for a portal mounted under a path the link may
/// or may not repeat that path, so the prefix is added only when missing.
fn resolve_next(base: &str, link: &str) -> Result<Url, String> {
    if let Ok(absolute) = Url::parse(link) {
        return Ok(absolute);
    }
    let base_url = parse_http_url(base)?;
    let prefix = base_url.path().trim_end_matches('/');
    if link.starts_with('/') {
        if prefix.is_empty() || link.starts_with(&format!("{prefix}/")) {
            base_url
                .join(link)
                .map_err(|e| format!("is not a valid URL ({e})"))
        } else {
            parse_http_url(&format!("{base}{link}"))
        }
    } else {
        parse_http_url(&format!("{base}/{link}"))
    }
}

async fn fetch_ckan(
    client: &reqwest::Client,
    source: &SourceConfig,
    portal: &str,
    resource_id: &str,
    page_size: u32,
) -> Result<Fetched, RemoteError> {
    let base = portal_base(portal);
    let invalid = |url: &str, reason: String| RemoteError::InvalidUrl {
        name: source.name.clone(),
        url: url.to_string(),
        reason,
    };
    let first = ckan_page_url(&base, resource_id, page_size, 0).map_err(|r| invalid(portal, r))?;
    let mut page_url = first.clone();
    let mut visited = std::collections::HashSet::new();
    let mut records: Vec<Value> = Vec::new();
    let mut consumed: u64 = 0;
    loop {
        if !visited.insert(page_url.clone()) {
            // A `next` link pointing back at a page already read would loop forever.
            return Err(Failure::Malformed {
                expected: "\"_links.next\" to point to a page not yet read",
                excerpt: page_url.to_string(),
            }
            .into_error(source, page_url.as_str(), 1));
        }
        let budget = source.max_bytes.saturating_sub(consumed);
        let (page, size) = with_retries(source, page_url.as_str(), || {
            ckan_page(client, source, &page_url, budget)
        })
        .await?;
        consumed += size;
        let received = page.records.len() as u64;
        records.extend(page.records.into_iter().map(Value::Object));
        tracing::debug!(source = %source.name, url = %page_url, received, total = ?page.total, "CKAN page");
        let done = match page.total {
            _ if received == 0 => true,
            Some(total) if !page.total_was_estimated => records.len() as u64 >= total,
            _ => received < page.limit.unwrap_or(u64::from(page_size)),
        };
        if done {
            break;
        }
        page_url = match &page.next {
            Some(link) => resolve_next(&base, link).map_err(|r| invalid(link, r))?,
            None => ckan_page_url(&base, resource_id, page_size, records.len() as u64)
                .map_err(|r| invalid(portal, r))?,
        };
    }
    Ok(Fetched {
        name: source.name.clone(),
        // Display of a JSON value cannot fail, unlike `to_vec`'s signature suggests.
        bytes: Value::Array(records).to_string().into_bytes(),
        format: InputFormat::Json,
        validators: Validators::default(),
        url: first.to_string(),
    })
}

/// One attempt at one CKAN page: its parsed content and its size in bytes.
async fn ckan_page(
    client: &reqwest::Client,
    source: &SourceConfig,
    url: &Url,
    budget: u64,
) -> Result<(CkanPage, u64), Failure> {
    let response = client
        .get(url.clone())
        .timeout(source.timeout())
        .send()
        .await?;
    let status = response.status();
    if !status.is_success() {
        let body = read_error_body(response).await;
        // CKAN reports a wrong resource id or parameter as a 4xx with `success: false`; its
        // message says more than the status does.
        if status.is_client_error()
            && status != StatusCode::TOO_MANY_REQUESTS
            && let Err(Failure::Ckan { message }) = parse_ckan_page(&body)
        {
            return Err(Failure::Ckan {
                message: format!("HTTP {}: {message}", status.as_u16()),
            });
        }
        return Err(Failure::Status {
            status: status.as_u16(),
            excerpt: excerpt(&body),
        });
    }
    let body = read_capped(response, budget).await?;
    let page = parse_ckan_page(&body)?;
    Ok((page, body.len() as u64))
}

#[cfg(test)]
mod tests {
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
}
