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

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::access::{Caller, Input, Reach, RegionRequest, Scoped, check_reach, parse_region};
use super::routes::{Reads, Route, get};
use super::{ApiError, AppState};
use crate::auth::{Capability, Principal};
use crate::i18n::Lang;
use crate::region::Level;
use crate::report::{self, Audience, Cohort, ReportError, ReportFormat, ReportKey, Subject};

pub(super) fn routes() -> Vec<Route> {
    vec![
        get("/reports/cohort/{file}", Reads::Regions, cohort_report),
        get("/reports/{region}/{file}", Reads::Regions, region_report),
    ]
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
    /// What the report may show beyond its subject: decided for the caller when parsed.
    pub audience: Audience,
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

fn parse(
    subject: Subject,
    file: &str,
    q: ReportQuery,
    audience: Audience,
) -> Result<ReportRequest, ApiError> {
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
        audience,
    })
}

/// A parsed `GET /reports/{region}/{file}`.
#[derive(Debug)]
pub struct RegionReport(ReportRequest);

impl RegionReport {
    fn region(&self) -> &crate::region::RegionCode {
        match &self.0.subject {
            Subject::Region(r) => r,
            Subject::Cohort(_) => unreachable!("a region report's subject is a region"),
        }
    }
}

impl RegionRequest for RegionReport {
    /// Checked in [`RegionReport::authorize`]: the reports capability, or a region's own
    /// report with `own_region_reports`.
    const NEEDS: Capability = Capability::View;

    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let region = parse_region("region", input.path("region")?)?;
        let q: ReportQuery = input.query()?;
        if q.province.is_some() || q.regions.is_some() {
            return Err(ApiError::BadRequest(
                "province= and regions= belong to the cohort report (/reports/cohort/PERIOD.pdf)"
                    .into(),
            ));
        }
        // A kab/kota's profile falls back to a map of its province when it has no kecamatan
        // scores: only for a reader who may see the province.
        let audience = match region.at_level(Level::Province) {
            Some(p) if !caller.principal.can_see(&p) => Audience::Subject,
            _ => Audience::Wide,
        };
        let request = parse(Subject::Region(region), input.path("file")?, q, audience)?;
        Ok(RegionReport(request))
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(self.region())
    }

    fn authorize(&self, principal: &Principal, state: &AppState) -> Result<(), ApiError> {
        let own = state.access.settings().own_region_reports;
        Ok(principal.require_region_report(self.region(), own)?)
    }
}

/// A parsed `GET /reports/cohort/{file}`: every member must be in the caller's scope (members
/// outside it are refused, not silently left out).
#[derive(Debug)]
pub struct CohortReport(ReportRequest);

impl RegionRequest for CohortReport {
    const NEEDS: Capability = Capability::Reports;

    fn parse(input: &Input<'_>, _: &Caller<'_>) -> Result<Self, ApiError> {
        let q: ReportQuery = input.query()?;
        let cohort = Cohort::parse(q.province.as_deref(), q.regions.as_deref())?;
        let request = parse(
            Subject::Cohort(cohort),
            input.path("file")?,
            q,
            Audience::Wide,
        )?;
        Ok(CohortReport(request))
    }

    fn reach(&self, state: &AppState) -> Reach {
        match &self.0.subject {
            Subject::Cohort(Cohort::Province(p)) => Reach::one(p),
            Subject::Cohort(Cohort::List(list)) => Reach::Regions(list.clone()),
            Subject::Cohort(Cohort::All) => Reach::Everything,
            Subject::Cohort(Cohort::SmartCity) => {
                Reach::Regions(state.reference.regions.smart_city().to_vec())
            }
            Subject::Region(r) => Reach::one(r),
        }
    }

    fn authorize(&self, principal: &Principal, state: &AppState) -> Result<(), ApiError> {
        principal.require(Self::NEEDS)?;
        check_reach(principal, &self.reach(state))
    }
}

/// `GET /reports/35.09.20/2025.pdf?lang=en`
async fn region_report(
    State(state): State<AppState>,
    Scoped { request, .. }: Scoped<RegionReport>,
) -> Result<Response, ApiError> {
    serve(state, request.0).await
}

/// `GET /reports/cohort/2025.xlsx?province=35`
async fn cohort_report(
    State(state): State<AppState>,
    Scoped { request, .. }: Scoped<CohortReport>,
) -> Result<Response, ApiError> {
    serve(state, request.0).await
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
        audience: request.audience,
    };
    let bytes = match state.reports.get(&key) {
        Some(bytes) => bytes,
        None => {
            let (state2, snapshot2, req) = (state.clone(), snapshot.clone(), request.clone());
            let period2 = period.clone();
            let bytes = tokio::task::spawn_blocking(move || {
                let inputs = report_inputs(&state2, &snapshot2);
                let data = report::gather(&inputs, &req.subject, &period2, req.lang, req.audience)?;
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
        boundaries: &state.reference.boundaries,
    }
}
