//! `GET /api/v1/ingest/runs`: every ingest the store's manifest records, newest first.
//!
//! Read from the manifest on disk, not from the scores; uploading is [`crate::server::ingest`].

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{DEFAULT_LIMIT, Page};
use crate::server::access::{Caller, Input, Reach, RegionRequest, Scoped, present};
use crate::server::error::ErrorBody;
use crate::server::{ApiError, AppState};
use crate::store::Store;

/// `?source=&limit=&offset=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Only the runs of this source (file or remote source name).
    source: Option<String>,
    /// Rows per page, 1–1000 (default 100).
    limit: Option<usize>,
    /// Rows to skip.
    offset: Option<usize>,
}

/// A parsed `GET /api/v1/ingest/runs`: every region's uploads, so only for callers who may see
/// every region.
#[derive(Debug)]
pub struct RunsRequest {
    source: Option<String>,
    page: Page,
}

impl RegionRequest for RunsRequest {
    fn parse(input: &Input<'_>, _: &Caller<'_>) -> Result<Self, ApiError> {
        let q: RunsQuery = input.query()?;
        Ok(RunsRequest {
            source: present(q.source.as_deref()).map(str::to_string),
            page: Page::new(q.limit, q.offset, DEFAULT_LIMIT)?,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::Everything
    }
}

/// One ingest of one source, from the store's manifest.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestRun {
    /// Source name.
    pub source: String,
    /// When, RFC 3339.
    pub ingested_at: String,
    /// Input format.
    pub format: String,
    /// SHA-256 of the bytes read.
    pub checksum: String,
    /// Data rows read.
    pub rows: usize,
    /// Rows that passed validation.
    pub accepted: usize,
    /// Rows rejected.
    pub rejected: usize,
    /// New records.
    pub added: usize,
    /// Records replacing earlier versions.
    pub replaced: usize,
    /// Records already present unchanged.
    pub unchanged: usize,
    /// Quarantine file of the rejected rows, relative to the store folder.
    pub quarantine: Option<String>,
}

/// Ingest runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestRuns {
    /// Store generation.
    pub generation: u64,
    /// Records in the store.
    pub records: usize,
    /// Runs matching the filter, before paging.
    pub total: usize,
    /// Rows per page.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
    /// The page.
    pub runs: Vec<IngestRun>,
}

/// `GET /api/v1/ingest/runs?source=kegiatan_2024.csv`
#[utoipa::path(get, path = "/api/v1/ingest/runs", tag = "ingest", params(RunsQuery),
    responses(
        (status = 200, description = "Ingest runs from the store manifest", body = IngestRuns),
        (status = 400, description = "Malformed parameter", body = ErrorBody)))]
pub async fn ingest_runs(
    State(state): State<AppState>,
    Scoped { request: q, .. }: Scoped<RunsRequest>,
) -> Result<Json<IngestRuns>, ApiError> {
    let page = q.page;
    let at = state.config.store_location();
    // Read from disk, not the snapshot: an upload whose rows were all rejected is recorded
    // in the manifest without a re-score.
    let manifest = tokio::task::spawn_blocking(move || Store::peek_manifest_at(&at))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    let source = q.source.as_deref();
    let runs: Vec<IngestRun> = manifest
        .sources
        .iter()
        .rev()
        .filter(|r| source.is_none_or(|s| r.name == s))
        .map(|r| IngestRun {
            source: r.name.clone(),
            ingested_at: r.ingested_at.clone(),
            format: r.format.clone(),
            checksum: r.checksum.clone(),
            rows: r.rows,
            accepted: r.accepted,
            rejected: r.rejected,
            added: r.added,
            replaced: r.replaced,
            unchanged: r.unchanged,
            quarantine: r.quarantine.clone(),
        })
        .collect();
    Ok(Json(IngestRuns {
        generation: manifest.generation,
        records: manifest.records,
        total: runs.len(),
        limit: page.limit,
        offset: page.offset,
        runs: page.slice(runs),
    }))
}
