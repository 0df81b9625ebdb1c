//! Background work: re-pulls of remote sources on their own `interval_minutes`, and the job's
//! schedule from `[schedule]` (re-score, re-render the standard charts). [`run_job`] runs one
//! kind of job on demand (for `POST /api/v1/jobs/run`) with the same code the timers use.
//!
//! Runs are serialised: a scheduled run and an on-demand one never overlap, so two re-scores
//! cannot race to swap their snapshots. A failing run is logged, counted in the metrics and
//! tried again at its next turn; it never stops the server.

use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::Serialize;
use tracing::{info, warn};

use super::AppState;
use crate::ingest::{self, Options};
use crate::store::Store;

/// What a job run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Ingest new files in the activity folder and re-score; the new scores are served.
    Rescore,
    /// Pull every configured remote source now; re-score when a pull changed the store.
    Pull,
    /// Re-render the standard chart files from the scores being served.
    Render,
    /// Pull, then re-score, then render.
    All,
}

impl FromStr for JobKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "rescore" => Ok(JobKind::Rescore),
            "pull" => Ok(JobKind::Pull),
            "render" => Ok(JobKind::Render),
            "all" => Ok(JobKind::All),
            other => Err(format!(
                "unknown job {other:?}: expected rescore, pull, render or all"
            )),
        }
    }
}

/// One remote source pulled by a run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PullOutcome {
    /// The `[[sources]]` name.
    pub source: String,
    /// Records added to the store.
    pub added: usize,
    /// Records replacing earlier versions.
    pub replaced: usize,
    /// Rows rejected by validation.
    pub rejected: usize,
    /// Why the pull failed, if it did.
    pub error: Option<String>,
}

/// What a job run did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobOutcome {
    /// The job asked for.
    pub job: JobKind,
    /// Remote sources pulled (empty unless the job pulls).
    pub pulled: Vec<PullOutcome>,
    /// Whether new scores were computed and swapped in.
    pub rescored: bool,
    /// Chart files written, when the job renders.
    pub charts_rendered: Option<usize>,
    /// Snapshot generation served after the run.
    pub generation: u64,
    /// Wall time of the run, in milliseconds.
    pub duration_ms: f64,
}

/// Run `kind` now, after any run in progress finishes.
pub async fn run_job(state: &AppState, kind: JobKind) -> anyhow::Result<JobOutcome> {
    let _turn = state.job_lock.lock().await;
    let started = Instant::now();
    let result = run_locked(state, kind).await;
    state.metrics.observe_job(result.is_ok());
    let (pulled, rescored, charts_rendered) = result?;
    let outcome = JobOutcome {
        job: kind,
        pulled,
        rescored,
        charts_rendered,
        generation: state.cache.generation(),
        duration_ms: started.elapsed().as_secs_f64() * 1e3,
    };
    info!(job = ?kind, rescored, charts = ?charts_rendered, ms = format_args!("{:.0}", outcome.duration_ms), "job run");
    Ok(outcome)
}

async fn run_locked(
    state: &AppState,
    kind: JobKind,
) -> anyhow::Result<(Vec<PullOutcome>, bool, Option<usize>)> {
    let mut pulled = Vec::new();
    let mut rescore = matches!(kind, JobKind::Rescore | JobKind::All);
    if matches!(kind, JobKind::Pull | JobKind::All) {
        for source in &state.config.sources {
            let outcome = pull_one(state, source).await;
            rescore |= outcome.added + outcome.replaced > 0;
            pulled.push(outcome);
        }
    }
    if rescore {
        state.rescore().await?;
    }
    let mut charts = None;
    if matches!(kind, JobKind::Render | JobKind::All) {
        let state = state.clone();
        let (written, _) = tokio::task::spawn_blocking(move || {
            crate::job::render(&state.config, &state.reference, &state.snapshot().book)
        })
        .await??;
        charts = Some(written);
    }
    Ok((pulled, rescore, charts))
}

async fn pull_one(state: &AppState, source: &ingest::remote::SourceConfig) -> PullOutcome {
    let client = ingest::remote::client();
    let report = match Store::open_at(&state.config.store_location()) {
        Ok(store) => {
            ingest::pull(
                &client,
                source,
                state.reference.validation(),
                &store,
                Options::default(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    };
    match report {
        Ok(r) => {
            state
                .metrics
                .observe_ingest(r.files.len(), r.accepted(), r.rejected());
            let failure = r
                .failed_files()
                .filter_map(|f| f.error.clone())
                .collect::<Vec<_>>();
            for f in &failure {
                warn!(source = %source.name, "pull failed: {f}");
            }
            info!(source = %source.name, added = r.added(), replaced = r.replaced(), rejected = r.rejected(), "pulled");
            PullOutcome {
                source: source.name.clone(),
                added: r.added(),
                replaced: r.replaced(),
                rejected: r.rejected(),
                error: (!failure.is_empty()).then(|| failure.join("; ")),
            }
        }
        Err(e) => {
            warn!(source = %source.name, "pull failed: {e:#}");
            PullOutcome {
                source: source.name.clone(),
                added: 0,
                replaced: 0,
                rejected: 0,
                error: Some(format!("{e:#}")),
            }
        }
    }
}

/// Start one task per `[[sources]]` entry that has `interval_minutes`; the first pull happens
/// one interval after start-up (the start-up job has just read the local data).
pub fn spawn_source_pulls(state: &AppState) {
    for source in state.config.sources.iter().cloned() {
        let Some(minutes) = source.interval_minutes else {
            continue;
        };
        info!(source = %source.name, minutes, "scheduled re-pull");
        let state = state.clone();
        every(minutes, move || {
            let state = state.clone();
            let source = source.clone();
            async move {
                let _turn = state.job_lock.lock().await;
                let outcome = pull_one(&state, &source).await;
                state.metrics.observe_job(outcome.error.is_none());
                if outcome.added + outcome.replaced > 0
                    && let Err(e) = state.rescore().await
                {
                    warn!(source = %source.name, "re-scoring after the pull failed: {e:#}");
                }
            }
        });
    }
}

/// Start the `[schedule]` timers: re-score every `rescore_minutes`, re-render every
/// `render_minutes` (0 = never). The first run is one interval after start-up.
pub fn spawn_schedule(state: &AppState) {
    let schedule = &state.config.schedule;
    for (kind, minutes) in [
        (JobKind::Rescore, schedule.rescore_minutes),
        (JobKind::Render, schedule.render_minutes),
    ] {
        if minutes == 0 {
            continue;
        }
        info!(job = ?kind, minutes, "scheduled job");
        let state = state.clone();
        every(minutes, move || {
            let state = state.clone();
            async move {
                if let Err(e) = run_job(&state, kind).await {
                    warn!(job = ?kind, "scheduled run failed: {e:#}");
                }
            }
        });
    }
}

/// Follow the store: every `follow_store_seconds`, compare the store's live generation with
/// the one the served scores were made from, and re-score when they differ — another instance
/// (or a `kotacerdas ingest` run) sharing the store folder has committed. Every instance then
/// serves the numbers of the same store generation within the interval and a re-score.
pub fn spawn_store_follow(state: &AppState) {
    let seconds = state.config.schedule.follow_store_seconds;
    if seconds == 0 {
        return;
    }
    info!(seconds, "following the store's generation");
    let state = state.clone();
    every_period(Duration::from_secs(seconds), move || {
        let state = state.clone();
        async move {
            let at = state.config.store_location();
            let live =
                match tokio::task::spawn_blocking(move || Store::live_generation_at(&at)).await {
                    Ok(Ok(g)) => g,
                    Ok(Err(e)) => {
                        warn!("cannot read the store's generation: {e}");
                        return;
                    }
                    Err(_) => return,
                };
            let served = state.snapshot().manifest.generation;
            if let Some(live) = live.filter(|g| *g != served) {
                info!(served, live, "the store has another generation: re-scoring");
                if let Err(e) = run_job(&state, JobKind::Rescore).await {
                    warn!("re-scoring the store's new generation failed: {e:#}");
                }
            }
        }
    });
}

/// Call `f` every `minutes`, first after one interval.
fn every<F, Fut>(minutes: u64, f: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    every_period(Duration::from_secs(minutes * 60), f);
}

/// Call `f` every `period`, first after one period.
fn every_period<F, Fut>(period: Duration, f: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        // A run longer than the interval delays the next one instead of queueing a burst.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            f().await;
        }
    });
}
