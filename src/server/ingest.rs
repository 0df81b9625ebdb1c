//! `POST /api/v1/ingest`: data stewards upload activity files; the answer is the ingest report.
//!
//! Needs the ingest capability: a steward (for its own region) or an admin, by API token or
//! by a browser session. A steward's rows for regions outside its scope are rejected into
//! quarantine with a reason naming the region it may upload for; the rest of the file goes in,
//! as with any other rejected row. The upload page (`pages::ingest`) shares these steps.
//! Requests larger than `[ingest] max_upload_mb` are refused with 413 from their
//! Content-Length, or as soon as the streamed body passes the limit, never read whole.
//! Validation and the store commit run on the blocking pool; after a commit that changed the
//! store the scores are recomputed and swapped in.

use axum::Json;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::routes::{Reads, Route, post};
use super::{ApiError, AppState};
use crate::auth::{Capability, Principal};
use crate::ingest::{self, IngestReport, Input, InputFormat, Options};
use crate::region::RegionCode;
use crate::store::Store;

/// The upload route, taking upload-sized bodies.
pub(super) fn routes() -> Vec<Route> {
    vec![post("/api/v1/ingest", Reads::NoRegion, upload).uploads()]
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    /// Validate and report only.
    #[serde(default)]
    dry_run: bool,
    /// Excel sheet to read.
    sheet: Option<String>,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("upload too large: {e}"))
    } else {
        ApiError::BadRequest(format!("malformed multipart upload: {e}"))
    }
}

/// Refuse from the announced length, before reading a byte of the body; a body without a
/// length is cut off by the body limit layer as soon as it passes the limit.
pub(super) fn check_length(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
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
    Ok(())
}

/// The parts of a multipart upload: files (name, bytes) and plain fields (name, value).
#[derive(Debug, Default)]
pub(super) struct Parts {
    pub files: Vec<(String, Vec<u8>)>,
    pub fields: Vec<(String, String)>,
}

/// Read every part of a multipart body; a part with a file name is a file.
pub(super) async fn read_parts(mut multipart: Multipart) -> Result<Parts, ApiError> {
    let mut parts = Parts::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            // A browser sends an empty file part when no file was chosen.
            Some(file_name) if !file_name.is_empty() => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                parts.files.push((file_name, bytes.to_vec()));
            }
            Some(_) => {}
            None => {
                let text = field.text().await.map_err(multipart_error)?;
                parts.fields.push((name, text));
            }
        }
    }
    Ok(parts)
}

/// The source name of an uploaded file: a steward's uploads live under its scope's code
/// (`35.09/kegiatan.csv`), so that records are keyed within the region that sent them and one
/// region's file name can never address another's records; an admin's keep the bare file name,
/// as files from the activity folder and the command line do.
pub(super) fn source_name(scope: Option<&RegionCode>, file_name: &str) -> String {
    match scope {
        Some(root) => format!("{root}/{file_name}"),
        None => file_name.to_string(),
    }
}

/// Validate `files` into the store (nothing written when `dry_run`), re-score when the store
/// changed, and answer the report with 200, or 422 when every file was refused.
pub(super) async fn run_ingest(
    state: &AppState,
    scope: Option<RegionCode>,
    files: Vec<(String, Vec<u8>)>,
    sheet: Option<String>,
    dry_run: bool,
) -> Result<(StatusCode, IngestReport), ApiError> {
    if files.is_empty() {
        return Err(ApiError::BadRequest(
            "no file in the upload: send multipart/form-data with one or more file parts".into(),
        ));
    }
    let inputs: Vec<Input> = files
        .into_iter()
        .map(|(name, bytes)| {
            let input = Input::named(std::path::Path::new(&name), bytes, sheet.as_deref());
            Input {
                format: InputFormat::from_name(&name),
                name: source_name(scope.as_ref(), &input.name),
                ..input
            }
        })
        .collect();
    let options = Options {
        dry_run,
        force: false,
    };
    // Storing and re-scoring take their turn with scheduled and on-demand jobs, so that two
    // runs cannot swap in their snapshots out of order (an older one last). A dry run changes
    // nothing and does not wait.
    let _turn = if dry_run {
        None
    } else {
        Some(state.job_lock.lock().await)
    };
    let job_state = state.clone();
    let report = tokio::task::spawn_blocking(move || {
        let store = Store::open_at(&job_state.config.store_location())?;
        let reference = ingest::Reference {
            scope: scope.as_ref(),
            ..job_state.reference.validation()
        };
        let report = ingest::ingest(&inputs, reference, &store, options)?;
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
    Ok((status, report))
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
        (status = 401, description = "No login or token", body = super::error::ErrorBody),
        (status = 403, description = "The caller may not upload", body = super::error::ErrorBody),
        (status = 413, description = "Over [ingest] max_upload_mb", body = super::error::ErrorBody),
        (status = 422, description = "Every file failed; the report says why", body = Object)))]
pub async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<impl IntoResponse, ApiError> {
    principal.require(Capability::Ingest)?;
    let scope = principal.scope().root().cloned();
    check_length(&state, &headers)?;
    // Options travel in the query string; plain form fields are ignored.
    let parts = read_parts(multipart).await?;
    let (status, report) = run_ingest(&state, scope, parts.files, q.sheet, q.dry_run).await?;
    Ok((status, Json(report)))
}
