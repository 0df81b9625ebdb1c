//! The `[[sources]]` tables of the configuration: a plain URL or a CKAN resource, with the
//! timeouts, retries, size cap and paging of each, checked as they are read.
//!
//! Fetching is [`super::fetch`]'s; nothing here makes a request.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::*;

pub(super) fn default_timeout_secs() -> u64 {
    30
}

pub(super) fn default_retries() -> u32 {
    3
}

pub(super) fn default_max_bytes() -> u64 {
    100 * 1024 * 1024
}

pub(super) fn default_backoff_ms() -> u64 {
    200
}

pub(super) fn default_page_size() -> u32 {
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

    pub(super) fn with_kind(name: String, kind: SourceKind) -> SourceConfig {
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

    pub(super) fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// The kind tag of [`RawSource`].
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum KindTag {
    Url,
    Ckan,
}

/// `[[sources]]` exactly as written, before the checks that make it a [`SourceConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
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
