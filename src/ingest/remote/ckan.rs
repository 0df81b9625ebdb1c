//! A CKAN DataStore resource: `datastore_search` paged through, each page checked, the records
//! returned as one JSON array.
//!
//! Retries and body limits are [`super::http`]'s; the records are judged by the rest of ingest.

use reqwest::{StatusCode, Url};
use serde_json::{Map, Value};

use super::*;

/// One parsed `datastore_search` page.
#[derive(Debug, Default, PartialEq)]
pub(super) struct CkanPage {
    pub(super) records: Vec<Map<String, Value>>,
    pub(super) total: Option<u64>,
    /// CKAN ≥ 2.10 may estimate `total` for big tables; then it cannot end the paging.
    pub(super) total_was_estimated: bool,
    /// The limit the server applied, which may be lower than asked (`rows_max`).
    pub(super) limit: Option<u64>,
    pub(super) next: Option<String>,
}

/// Parse a `datastore_search` answer: `{"success": true, "result": {"records": [...], ...}}`.
pub(super) fn parse_ckan_page(body: &[u8]) -> Result<CkanPage, Failure> {
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
pub(super) fn ckan_error_message(value: &Value) -> String {
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
pub(super) fn portal_base(url: &str) -> String {
    let mut base = url.trim().trim_end_matches('/');
    for suffix in ["/datastore_search", "/action", "/3", "/api"] {
        base = base.strip_suffix(suffix).unwrap_or(base);
    }
    base.to_string()
}

pub(super) fn ckan_page_url(
    base: &str,
    resource_id: &str,
    limit: u32,
    offset: u64,
) -> Result<Url, String> {
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
pub(super) fn resolve_next(base: &str, link: &str) -> Result<Url, String> {
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

pub(super) async fn fetch_ckan(
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
pub(super) async fn ckan_page(
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
