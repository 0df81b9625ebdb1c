//! Service metrics in the Prometheus text format (`GET /metrics`): requests and their latency
//! per matched route, method and status; render times per chart kind or JSON document; response
//! cache hits and misses; ingest counts; the age and generation of the scores served.
//!
//! Hand-written rather than taken from a metrics crate: the set is small and fixed (counters
//! and a few histograms with fixed buckets), the text format is a page of code, and a crate
//! would bring a registry, label macros and its own locking for no gain here. Routes are
//! labelled by their pattern (`/charts/{file}`), never the raw path, so the label set stays
//! bounded; anything unrouted is `unmatched`. This module measures; it does not decide what is
//! healthy.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};
use crate::auth::{Capability, Principal};

/// Upper bounds (seconds) of request latency buckets.
const REQUEST_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// Upper bounds (seconds) of render-time buckets.
const RENDER_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// A cumulative histogram with fixed buckets.
#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, seconds: f64) {
        if let Some(i) = self.bounds.iter().position(|b| seconds <= *b) {
            self.counts[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }

    /// Append `name_bucket`, `name_sum` and `name_count` lines with `labels` (`k="v",…`).
    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, n) in self.bounds.iter().zip(&self.counts) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// (method, route pattern, status)
type RequestKey = (String, String, u16);

/// All counters of one server.
pub struct Metrics {
    started: Instant,
    requests: Mutex<BTreeMap<RequestKey, Histogram>>,
    renders: Mutex<BTreeMap<&'static str, Histogram>>,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    ingest_files: AtomicU64,
    rows_accepted: AtomicU64,
    rows_rejected: AtomicU64,
    job_runs: AtomicU64,
    job_failures: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            requests: Mutex::default(),
            renders: Mutex::default(),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            ingest_files: AtomicU64::new(0),
            rows_accepted: AtomicU64::new(0),
            rows_rejected: AtomicU64::new(0),
            job_runs: AtomicU64::new(0),
            job_failures: AtomicU64::new(0),
        }
    }
}

/// The gauges read from the state when the metrics are rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Seconds since the scores served were computed.
    pub snapshot_age_secs: f64,
    /// Cache generation (snapshot swaps since start).
    pub generation: u64,
    /// The store generation the served scores were made from.
    pub store_generation: u64,
    /// Entries in the response cache.
    pub cache_entries: u64,
    /// Bytes held by the response cache.
    pub cache_bytes: u64,
}

impl Metrics {
    /// Count one answered request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let key = (method.to_string(), route.to_string(), status);
        requests
            .entry(key)
            .or_insert_with(|| Histogram::new(&REQUEST_BUCKETS))
            .observe(elapsed.as_secs_f64());
    }

    /// Time one render (a chart kind, or a JSON document such as `scores`).
    pub fn observe_render(&self, what: &'static str, elapsed: Duration) {
        let mut renders = self.renders.lock().unwrap_or_else(|e| e.into_inner());
        renders
            .entry(what)
            .or_insert_with(|| Histogram::new(&RENDER_BUCKETS))
            .observe(elapsed.as_secs_f64());
    }

    /// A response came from the cache.
    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// A response had to be rendered.
    pub fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    /// Count the files and rows one ingest read (an upload, a pull, or a job run).
    pub fn observe_ingest(&self, files: usize, accepted: usize, rejected: usize) {
        let n = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
        self.ingest_files.fetch_add(n(files), Ordering::Relaxed);
        self.rows_accepted.fetch_add(n(accepted), Ordering::Relaxed);
        self.rows_rejected.fetch_add(n(rejected), Ordering::Relaxed);
    }

    /// Count a job run (scheduled or on demand) and whether it failed.
    pub fn observe_job(&self, ok: bool) {
        self.job_runs.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.job_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Cache hits and misses so far.
    pub fn cache_counts(&self) -> (u64, u64) {
        (
            self.cache_hits.load(Ordering::Relaxed),
            self.cache_misses.load(Ordering::Relaxed),
        )
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::with_capacity(16 * 1024);
        self.write_requests(&mut out);
        self.write_renders(&mut out);
        self.write_counters(&mut out);
        self.write_gauges(&mut out, gauges);
        out
    }

    /// Requests answered and their latency, per method, route pattern and status.
    fn write_requests(&self, out: &mut String) {
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        out.push_str("# HELP kotacerdas_http_requests_total Requests answered, by method, route pattern and status.\n# TYPE kotacerdas_http_requests_total counter\n");
        for ((method, route, status), h) in &requests {
            let _ = writeln!(
                out,
                "kotacerdas_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                h.count
            );
        }
        out.push_str("# HELP kotacerdas_http_request_duration_seconds Time to answer, by method, route pattern and status.\n# TYPE kotacerdas_http_request_duration_seconds histogram\n");
        for ((method, route, status), h) in &requests {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            h.write(out, "kotacerdas_http_request_duration_seconds", &labels);
        }
    }

    /// Render times per chart kind or JSON document.
    fn write_renders(&self, out: &mut String) {
        let renders = self
            .renders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        out.push_str("# HELP kotacerdas_render_duration_seconds Time to render a chart or JSON document on a cache miss, by kind.\n# TYPE kotacerdas_render_duration_seconds histogram\n");
        for (what, h) in &renders {
            h.write(
                out,
                "kotacerdas_render_duration_seconds",
                &format!("kind=\"{what}\""),
            );
        }
    }

    /// The cache, ingest and job counters.
    fn write_counters(&self, out: &mut String) {
        let (hits, misses) = self.cache_counts();
        counter(
            out,
            "kotacerdas_cache_hits_total",
            "Responses served from the response cache.",
            hits,
        );
        counter(
            out,
            "kotacerdas_cache_misses_total",
            "Responses rendered because the cache did not hold them.",
            misses,
        );
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            out,
            "kotacerdas_ingest_files_total",
            "Files or remote sources read by ingest since start.",
            load(&self.ingest_files),
        );
        counter(
            out,
            "kotacerdas_ingest_rows_accepted_total",
            "Rows that passed validation since start.",
            load(&self.rows_accepted),
        );
        counter(
            out,
            "kotacerdas_ingest_rows_rejected_total",
            "Rows rejected by validation since start.",
            load(&self.rows_rejected),
        );
        counter(
            out,
            "kotacerdas_job_runs_total",
            "Job runs (re-score, pull, render) since start, scheduled or on demand.",
            load(&self.job_runs),
        );
        counter(
            out,
            "kotacerdas_job_failures_total",
            "Job runs that failed.",
            load(&self.job_failures),
        );
    }

    /// The gauges read from the state, and the uptime.
    fn write_gauges(&self, out: &mut String, gauges: Gauges) {
        gauge(
            out,
            "kotacerdas_snapshot_age_seconds",
            "Seconds since the scores being served were computed.",
            gauges.snapshot_age_secs,
        );
        gauge(
            out,
            "kotacerdas_snapshot_generation",
            "Snapshots swapped in since start.",
            gauges.generation as f64,
        );
        gauge(
            out,
            "kotacerdas_store_generation_served",
            "The store generation the scores being served were made from.",
            gauges.store_generation as f64,
        );
        gauge(
            out,
            "kotacerdas_cache_entries",
            "Responses held by the cache.",
            gauges.cache_entries as f64,
        );
        gauge(
            out,
            "kotacerdas_cache_bytes",
            "Bytes held by the cache.",
            gauges.cache_bytes as f64,
        );
        gauge(
            out,
            "kotacerdas_uptime_seconds",
            "Seconds since the server started.",
            self.started.elapsed().as_secs_f64(),
        );
    }
}

/// A counter with its help and type lines.
fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

/// A gauge with its help and type lines.
fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

/// Label values are quoted: escape what the format requires.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: time every request and count it under its route pattern.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let started = Instant::now();
    let resp = next.run(req).await;
    state.metrics.observe_request(
        method_label(&method),
        &route,
        resp.status().as_u16(),
        started.elapsed(),
    );
    resp
}

/// The method as a label: the standard methods by name, anything else `OTHER`, so that
/// made-up methods cannot grow the series without bound.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method as M;
    match *method {
        M::GET => "GET",
        M::HEAD => "HEAD",
        M::POST => "POST",
        M::PUT => "PUT",
        M::DELETE => "DELETE",
        M::PATCH => "PATCH",
        M::OPTIONS => "OPTIONS",
        M::CONNECT => "CONNECT",
        M::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// `GET /metrics`: open in public mode (the figures say nothing about any region); otherwise
/// for admins, e.g. a Prometheus scraper with an admin's API token.
pub async fn handler(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<impl IntoResponse, ApiError> {
    if state.access.settings().public.is_none() {
        principal.require(Capability::Admin)?;
    }
    let (cache_entries, cache_bytes) = state.cache.usage();
    let age = chrono::Local::now() - state.snapshot().finished_at;
    let gauges = Gauges {
        snapshot_age_secs: age.as_seconds_f64().max(0.0),
        generation: state.cache.generation(),
        store_generation: state.snapshot().manifest.generation,
        cache_entries,
        cache_bytes,
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(gauges),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_end_in_inf() {
        let m = Metrics::default();
        m.observe_request("GET", "/a", 200, Duration::from_micros(300));
        m.observe_request("GET", "/a", 200, Duration::from_millis(30));
        m.observe_request("GET", "/a", 200, Duration::from_secs(9));
        let text = m.render(Gauges::default());
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.starts_with(needle))
                .unwrap_or_else(|| panic!("{needle} missing in\n{text}"))
                .to_string()
        };
        assert!(
            line("kotacerdas_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"}")
                .ends_with(" 3")
        );
        let b = "kotacerdas_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",status=\"200\",";
        assert!(line(&format!("{b}le=\"0.0005\"}}")).ends_with(" 1"));
        assert!(line(&format!("{b}le=\"0.05\"}}")).ends_with(" 2"));
        assert!(line(&format!("{b}le=\"5\"}}")).ends_with(" 2"));
        assert!(line(&format!("{b}le=\"+Inf\"}}")).ends_with(" 3"));
    }

    #[test]
    fn made_up_methods_share_one_label() {
        let odd = axum::http::Method::from_bytes(b"XYZZY").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
