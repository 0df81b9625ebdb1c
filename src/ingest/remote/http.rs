//! One plain-URL source over HTTP: attempts with retries and backoff, bodies read within their
//! size cap, failures described, and the file format told from the configuration, the URL, the
//! Content-Type or the bytes.
//!
//! CKAN's paging is [`super::ckan`]'s; parsing the body is the rest of ingest's.

use std::future::Future;
use std::time::Duration;

use reqwest::header::{
    CONTENT_DISPOSITION, CONTENT_TYPE, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH,
};
use reqwest::{StatusCode, Url};

use super::*;

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
pub(super) fn choose_format(
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

pub(super) fn format_from_url(url: &Url) -> Option<InputFormat> {
    let last = url.path_segments()?.next_back()?;
    InputFormat::from_name(last)
}

/// The file name of a `Content-Disposition: attachment; filename="…"` header (download
/// endpoints often have no extension in their URL but name the file here).
pub(super) fn disposition_filename(header: &str) -> Option<String> {
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

pub(super) fn parse_http_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url.trim()).map_err(|e| format!("is not a valid URL ({e})"))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(format!("uses {other}:, expected http: or https:")),
    }
}

/// Why one attempt failed, before it is known whether another attempt follows.
#[derive(Debug)]
pub(super) enum Failure {
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
    pub(super) fn is_retryable(&self) -> bool {
        match self {
            Failure::Status { status, .. } => {
                *status >= 500 || *status == StatusCode::TOO_MANY_REQUESTS.as_u16()
            }
            Failure::Timeout => true,
            Failure::Transport { retryable, .. } => *retryable,
            Failure::TooLarge | Failure::Malformed { .. } | Failure::Ckan { .. } => false,
        }
    }

    pub(super) fn into_error(self, source: &SourceConfig, url: &str, attempts: u32) -> RemoteError {
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
pub(super) fn describe(err: &reqwest::Error) -> String {
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
pub(super) async fn with_retries<T, F, Fut>(
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
pub(super) async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, Failure> {
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
pub(super) async fn read_error_body(mut response: reqwest::Response) -> Vec<u8> {
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
pub(super) fn excerpt(bytes: &[u8]) -> String {
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

pub(super) async fn fetch_url(
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
pub(super) async fn url_attempt(
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
