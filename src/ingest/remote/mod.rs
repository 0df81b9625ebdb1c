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

mod ckan;
mod config;
mod http;

use std::fmt;
use std::time::Duration;

use reqwest::header::{ETAG, HeaderMap, HeaderValue, LAST_MODIFIED};
use serde::{Deserialize, Serialize};

use super::InputFormat;

use self::ckan::*;
pub use self::config::{SourceConfig, SourceKind};
use self::http::*;

/// Longest wait between two attempts, however many retries are configured: a source that is
/// down for longer is better reported than waited for.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How much of an error body is quoted in a [`RemoteError`]: enough to show a portal's message,
/// not a whole HTML page.
const EXCERPT_CHARS: usize = 200;

/// How many bytes of an error response are read to build the excerpt (and a CKAN error message).
const ERROR_BODY_BYTES: usize = 16 * 1024;

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

#[cfg(test)]
mod tests;
