//! The response cache in front of chart rendering and the score JSON: rendered bodies kept in
//! memory (moka, bounded by the bytes held), served with a weak `ETag` and `Cache-Control`,
//! and answered with `304 Not Modified` when the client already holds the same bytes. The tag
//! is weak because the compression layer may send the same body gzip- or br-encoded: a strong
//! tag would have to differ per encoding, a weak one means "the same content".
//!
//! Keys carry a generation number that [`ResponseCache::invalidate`] bumps whenever a new
//! snapshot is swapped in (an upload, a scheduled or on-demand job run), so nothing rendered
//! from old scores is served afterwards; the old entries are dropped at the same time. What
//! goes into a key (the route and its normalised parameters) is the caller's business; this
//! module does not know about charts or scores. Access checks must happen before a lookup:
//! the cache answers whoever asks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::config::CacheSettings;

/// One rendered response body.
#[derive(Clone)]
pub struct Cached {
    /// The bytes sent.
    pub body: Bytes,
    /// Its media type.
    pub content_type: HeaderValue,
    /// Weak validator: `W/` and a hash of the (unencoded) bytes, quoted.
    pub etag: HeaderValue,
}

impl Cached {
    /// Wrap rendered bytes, computing their ETag.
    pub fn new(body: Vec<u8>, content_type: &'static str) -> Cached {
        let digest = Sha256::digest(&body);
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Cached {
            body: Bytes::from(body),
            content_type: HeaderValue::from_static(content_type),
            etag: HeaderValue::from_str(&format!("W/\"{hex}\"")).expect("hex is a valid header"),
        }
    }
}

/// The in-memory cache; `None` inside when `[cache] max_mb = 0`.
pub struct ResponseCache {
    entries: Option<moka::sync::Cache<String, Cached>>,
    generation: AtomicU64,
    cache_control: HeaderValue,
}

impl ResponseCache {
    /// A cache holding at most `settings.max_mb` MiB of bodies.
    pub fn new(settings: &CacheSettings) -> ResponseCache {
        let entries = (settings.max_mb > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(settings.max_mb.saturating_mul(1024 * 1024))
                // Weigh by the body plus the key; moka weights are u32, and no body is 4 GiB.
                .weigher(|k: &String, v: &Cached| {
                    u32::try_from(k.len() + v.body.len()).unwrap_or(u32::MAX)
                })
                .build()
        });
        // Private: once access control limits who sees which region, a shared cache must not
        // hand one user's response to another.
        let cache_control = HeaderValue::from_str(&format!(
            "private, max-age={}, must-revalidate",
            settings.max_age_secs
        ))
        .expect("digits are a valid header");
        ResponseCache {
            entries,
            generation: AtomicU64::new(0),
            cache_control,
        }
    }

    /// The current generation; bumped on every snapshot swap.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forget everything: a new snapshot has landed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }

    /// Entries held and their weight in bytes (approximate until moka's pending work runs).
    pub fn usage(&self) -> (u64, u64) {
        self.entries
            .as_ref()
            .map_or((0, 0), |e| (e.entry_count(), e.weighted_size()))
    }

    fn key(generation: u64, key: &str) -> String {
        format!("{generation}|{key}")
    }

    /// The `Cache-Control` value sent with cached responses.
    pub fn cache_control(&self) -> &HeaderValue {
        &self.cache_control
    }
}

/// Answer from the cache, or render on the blocking pool, store and answer.
///
/// `key` must identify the response completely (route and every parameter that changes the
/// bytes); `what` labels the render-time metric (`radar`, `scores`, …). A request whose
/// `If-None-Match` holds the body's ETag gets 304 without a body.
pub async fn respond<F>(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
    what: &'static str,
    content_type: &'static str,
    render: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Result<Vec<u8>, ApiError> + Send + 'static,
{
    let cache = &state.cache;
    // Read the generation before rendering: if a swap lands meanwhile, the result is filed
    // under the old generation and never served again.
    let full_key = ResponseCache::key(cache.generation(), key);
    let hit = cache.entries.as_ref().and_then(|e| e.get(&full_key));
    let cached = match hit {
        Some(c) => {
            state.metrics.cache_hit();
            c
        }
        None => {
            state.metrics.cache_miss();
            let started = Instant::now();
            let body = tokio::task::spawn_blocking(render)
                .await
                .map_err(|e| ApiError::Internal(e.into()))??;
            state.metrics.observe_render(what, started.elapsed());
            let c = Cached::new(body, content_type);
            if let Some(entries) = &cache.entries {
                entries.insert(full_key, c.clone());
            }
            c
        }
    };
    Ok(into_response(&cached, headers, cache.cache_control()))
}

/// [`respond`] for a JSON document: `build` runs on the blocking pool on a miss and its value
/// is serialised once.
pub async fn respond_json<T, F>(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
    what: &'static str,
    build: F,
) -> Result<Response, ApiError>
where
    T: serde::Serialize,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    respond(state, headers, key, what, "application/json", move || {
        let value = build()?;
        serde_json::to_vec(&value).map_err(|e| ApiError::Internal(e.into()))
    })
    .await
}

/// An entity tag without its weakness marker.
fn weak(tag: &str) -> &str {
    tag.trim_start_matches("W/")
}

/// 304 when `If-None-Match` matches, else 200 with the body; both with ETag and Cache-Control.
fn into_response(c: &Cached, headers: &HeaderMap, cache_control: &HeaderValue) -> Response {
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        // If-None-Match uses the weak comparison: a W/ prefix on either side does not matter.
        .any(|tag| tag == "*" || weak(tag) == weak(c.etag.to_str().unwrap_or_default()));
    let common = [
        (header::ETAG, c.etag.clone()),
        (header::CACHE_CONTROL, cache_control.clone()),
    ];
    if matches {
        (StatusCode::NOT_MODIFIED, common).into_response()
    } else {
        let mut resp = (common, Body::from(c.body.clone())).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, c.content_type.clone());
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> ResponseCache {
        ResponseCache::new(&CacheSettings {
            max_mb: 1,
            max_age_secs: 5,
        })
    }

    #[test]
    fn etag_depends_on_the_bytes_only() {
        let a = Cached::new(b"abc".to_vec(), "image/png");
        let b = Cached::new(b"abc".to_vec(), "image/png");
        let c = Cached::new(b"abd".to_vec(), "image/png");
        assert_eq!(a.etag, b.etag);
        assert_ne!(a.etag, c.etag);
        assert!(a.etag.to_str().unwrap().starts_with("W/\""));
    }

    #[test]
    fn if_none_match_with_the_etag_is_a_304_and_another_tag_a_200() {
        let c = Cached::new(b"body".to_vec(), "text/plain");
        let cc = cache().cache_control().clone();
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            // Weak comparison: the tag without its W/ matches too.
            HeaderValue::from_str(&format!("\"x\", {}", weak(c.etag.to_str().unwrap()))).unwrap(),
        );
        assert_eq!(
            into_response(&c, &h, &cc).status(),
            StatusCode::NOT_MODIFIED
        );
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        let r = into_response(&c, &h, &cc);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()[header::CACHE_CONTROL],
            "private, max-age=5, must-revalidate"
        );
    }

    #[test]
    fn invalidate_bumps_the_generation_and_empties_the_cache() {
        let cache = cache();
        let entries = cache.entries.as_ref().unwrap();
        entries.insert(ResponseCache::key(0, "k"), Cached::new(vec![1], "x/y"));
        assert!(entries.get(&ResponseCache::key(0, "k")).is_some());
        cache.invalidate();
        assert_eq!(cache.generation(), 1);
        assert!(entries.get(&ResponseCache::key(0, "k")).is_none());
    }
}
