//! `/reports/…`: a region's profile and a cohort's ranking as PDF, Excel workbook or CSV,
//! rendered on the blocking pool once per scoring run and then served from the cache.
//!
//! - `GET /reports/{region}/{period}.{pdf|xlsx|csv}` — a kecamatan's or kab/kota's profile;
//! - `GET /reports/cohort/{period}.{pdf|xlsx|csv}?province=35` or `?regions=35.09,35.10`
//!   (or `regions=all`, or `regions=smartcity` for the Gerakan Menuju 100 Smart City members
//!   listed in the reference data) — a ranked cohort of kab/kota.
//!
//! `lang=en` for English; `table=` picks the CSV table (default the first: `scores` for a
//! region, `ranking` for a cohort). `period` may be `latest`. Reports are meant for the
//! evaluator and admin roles (the reports capability); the regions a request reads must also
//! lie in the caller's scope. With `[access] own_region_reports` on, a signed-in user scoped to
//! a province or kab/kota also gets the profiles of regions within that scope.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::auth::{Capability, Principal};

use super::{ApiError, AppState};
use crate::i18n::Lang;
use crate::region::RegionCode;
use crate::report::{self, Cohort, ReportError, ReportFormat, ReportKey, Subject};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/cohort/{file}", get(cohort_report))
        .route("/reports/{region}/{file}", get(region_report))
}

#[derive(Debug, Default, Deserialize)]
struct ReportQuery {
    lang: Option<String>,
    table: Option<String>,
    province: Option<String>,
    regions: Option<String>,
}

/// A parsed report request.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The region or cohort: the regions this request reads.
    pub subject: Subject,
    /// Period as asked (`latest` allowed); resolved against the scores when served.
    pub period: String,
    /// File format.
    pub format: ReportFormat,
    /// Language.
    pub lang: Lang,
    /// CSV table id.
    pub table: Option<String>,
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::NotFound(m) => ApiError::NotFound(m),
            ReportError::BadRequest(m) => ApiError::BadRequest(m),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

fn parse(subject: Subject, file: &str, q: ReportQuery) -> Result<ReportRequest, ApiError> {
    let (period, ext) = file.rsplit_once('.').ok_or_else(|| {
        ApiError::NotFound(format!(
            "no report {file:?}: expected PERIOD.pdf, PERIOD.xlsx or PERIOD.csv, e.g. 2025.pdf"
        ))
    })?;
    let format: ReportFormat = ext.parse().map_err(ApiError::NotFound)?;
    let lang = match q.lang.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(l) => l
            .parse::<Lang>()
            .map_err(|e| ApiError::BadRequest(format!("lang: {e}")))?,
        None => Lang::Id,
    };
    let table = q
        .table
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if table.is_some() && format != ReportFormat::Csv {
        return Err(ApiError::BadRequest(
            "table= picks one CSV table; the PDF and the workbook hold every table".into(),
        ));
    }
    // The CSV's table, named even when defaulted, so the file name says which one it is.
    let table = match (format, table) {
        (ReportFormat::Csv, None) => Some(
            match subject {
                Subject::Region(_) => report::REGION_TABLES[0],
                Subject::Cohort(_) => report::COHORT_TABLES[0],
            }
            .to_string(),
        ),
        (_, t) => t,
    };
    Ok(ReportRequest {
        subject,
        period: period.to_string(),
        format,
        lang,
        table,
    })
}

/// `GET /reports/35.09.20/2025.pdf?lang=en`
async fn region_report(
    State(state): State<AppState>,
    principal: Principal,
    Path((region, file)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let region =
        RegionCode::parse(&region).map_err(|e| ApiError::BadRequest(format!("region: {e}")))?;
    principal.require_region_report(&region, state.access.settings().own_region_reports)?;
    if q.province.is_some() || q.regions.is_some() {
        return Err(ApiError::BadRequest(
            "province= and regions= belong to the cohort report (/reports/cohort/PERIOD.pdf)"
                .into(),
        ));
    }
    let request = parse(Subject::Region(region), &file, q)?;
    serve(state, request).await
}

/// `GET /reports/cohort/2025.xlsx?province=35`
async fn cohort_report(
    State(state): State<AppState>,
    principal: Principal,
    Path(file): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    principal.require(Capability::Reports)?;
    let cohort = Cohort::parse(q.province.as_deref(), q.regions.as_deref())?;
    match &cohort {
        Cohort::Province(p) => principal.require_region(p)?,
        Cohort::List(list) => {
            for r in list {
                principal.require_region(r)?;
            }
        }
        Cohort::All if principal.scope() != &crate::auth::Scope::All => {
            return Err(ApiError::Forbidden(
                "regions=all needs a user who may see every region".into(),
            ));
        }
        Cohort::All => {}
        // Members outside the caller's scope are refused, not silently left out.
        Cohort::SmartCity => {
            for member in state.reference.regions.smart_city() {
                principal.require_region(member)?;
            }
        }
    }
    let request = parse(Subject::Cohort(cohort), &file, q)?;
    serve(state, request).await
}

/// Answer from the cache, or render on the blocking pool and keep the result.
async fn serve(state: AppState, request: ReportRequest) -> Result<Response, ApiError> {
    let snapshot = state.snapshot();
    let inputs = report_inputs(&state, &snapshot);
    let period = inputs.resolve_period(&request.subject, Some(&request.period))?;
    let key = ReportKey {
        run: snapshot.id(),
        subject: request.subject.clone(),
        period: period.clone(),
        lang: request.lang,
        format: request.format,
        table: request.table.clone(),
    };
    let bytes = match state.reports.get(&key) {
        Some(bytes) => bytes,
        None => {
            let (state2, snapshot2, req) = (state.clone(), snapshot.clone(), request.clone());
            let period2 = period.clone();
            let bytes = tokio::task::spawn_blocking(move || {
                let inputs = report_inputs(&state2, &snapshot2);
                let data = report::gather(&inputs, &req.subject, &period2, req.lang)?;
                report::render(&inputs, &data, req.format, req.table.as_deref())
            })
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("report rendering panicked: {e}")))??;
            let bytes = Arc::new(bytes);
            state.reports.put(key, bytes.clone());
            bytes
        }
    };
    let stem = request.subject.file_stem(&period);
    let name = match (&request.format, &request.table) {
        (ReportFormat::Csv, Some(t)) => format!("{stem}_{t}.csv"),
        (format, _) => format!("{stem}.{}", format.extension()),
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                request.format.content_type().to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes.as_ref().clone(),
    )
        .into_response())
}

/// Compute the rank intervals every report of the current scoring run shares (blocking: call on
/// the blocking pool). A failure is logged; the first report request then tries again.
pub fn prepare(state: &AppState) {
    let snapshot = state.snapshot();
    match report::prepare(&report_inputs(state, &snapshot)) {
        Ok(ms) => tracing::info!(
            ms = format_args!("{ms:.1}"),
            "report rank intervals computed"
        ),
        Err(e) => tracing::warn!("computing the reports' rank intervals failed: {e}"),
    }
}

fn report_inputs<'a>(
    state: &'a AppState,
    snapshot: &'a crate::job::Snapshot,
) -> report::Inputs<'a> {
    report::Inputs {
        snapshot,
        regions: &state.reference.regions,
        framework: &state.reference.framework,
        granularity: state.config.period,
        regions_dir: state.config.regions_dir(),
    }
}
