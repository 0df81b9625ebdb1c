//! `POST /api/v1/ingest`: data stewards upload activity files; the answer is the ingest report.
//!
//! Protected by the bearer token in `[ingest] token` (uploads are off while it is empty).
//! Requests larger than `[ingest] max_upload_mb` are refused with 413 from their
//! Content-Length, or as soon as the streamed body passes the limit, never read whole.
//! Validation and the store commit run on the blocking pool; after a commit that changed the
//! store the scores are recomputed and swapped in.

use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::ingest::{self, Input, InputFormat, Options};
use crate::store::Store;

/// The route, with the body limit from the configuration.
pub fn router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/ingest", post(upload))
        .layer(DefaultBodyLimit::max(max_bytes))
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    /// Validate and report only.
    #[serde(default)]
    dry_run: bool,
    /// Excel sheet to read.
    sheet: Option<String>,
}

/// Compare without an early exit, so response time does not reveal how much of a guess matched.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(super) fn authorise(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let expected = state.config.ingest.token.as_bytes();
    if expected.is_empty() {
        return Err(ApiError::Forbidden(
            "uploads are disabled: set [ingest] token in the configuration".into(),
        ));
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::Unauthorized("send the upload token as 'Authorization: Bearer …'".into())
        })?;
    if same_secret(given.trim().as_bytes(), expected) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized(
            "the upload token is not valid".into(),
        ))
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("upload too large: {e}"))
    } else {
        ApiError::BadRequest(format!("malformed multipart upload: {e}"))
    }
}

/// `POST /api/v1/ingest?dry_run=true&sheet=Kegiatan` with one or more `file` parts.
#[utoipa::path(post, path = "/api/v1/ingest", tag = "ingest",
    params(
        ("dry_run" = Option<bool>, Query, description = "Validate and report only"),
        ("sheet" = Option<String>, Query, description = "Excel sheet to read")),
    request_body(content_type = "multipart/form-data", description = "One or more `file` parts: CSV, JSON/NDJSON or Excel"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ingest report", body = Object),
        (status = 401, description = "Missing or wrong token", body = super::error::ErrorBody),
        (status = 403, description = "Uploads disabled", body = super::error::ErrorBody),
        (status = 413, description = "Over [ingest] max_upload_mb", body = super::error::ErrorBody),
        (status = 422, description = "Every file failed; the report says why", body = Object)))]
pub async fn upload(
    State(state): State<AppState>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<impl IntoResponse, ApiError> {
    authorise(&state, &headers)?;
    // Refuse from the announced length, before reading a byte of the body; a body without a
    // length is cut off by the body limit layer as soon as it passes the limit.
    let limit = state
        .config
        .ingest
        .max_upload_mb
        .saturating_mul(1024 * 1024);
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = announced.filter(|len| *len > limit) {
        return Err(ApiError::PayloadTooLarge(format!(
            "upload of {len} bytes is over the limit of {} MiB ([ingest] max_upload_mb)",
            state.config.ingest.max_upload_mb
        )));
    }
    let mut inputs = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(file_name) = field.file_name().map(str::to_string) else {
            continue; // a plain form field; options travel in the query string
        };
        let format = InputFormat::from_name(&file_name);
        let bytes = field.bytes().await.map_err(multipart_error)?;
        inputs.push(Input {
            name: file_name,
            bytes: bytes.to_vec(),
            format,
            sheet: q.sheet.clone(),
            validators: None,
        });
    }
    if inputs.is_empty() {
        return Err(ApiError::BadRequest(
            "no file in the upload: send multipart/form-data with one or more file parts".into(),
        ));
    }
    let options = Options {
        dry_run: q.dry_run,
        force: false,
    };
    let job_state = state.clone();
    let report = tokio::task::spawn_blocking(move || {
        let store = Store::open(&job_state.config.store)?;
        let report = ingest::ingest(&inputs, job_state.reference.validation(), &store, options)?;
        anyhow::Ok(report)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(ApiError::Internal)?;
    if report.added() + report.replaced() > 0 {
        state.rescore().await.map_err(ApiError::Internal)?;
    }
    let status = if report.files.iter().all(|f| f.error.is_some()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}
