//! `GET /api/v1/activities`: the activity records behind the scores, filtered and paged, as
//! JSON or CSV.
//!
//! Filters: `region` (the region and everything below it: a kabupaten's filter takes its
//! kecamatan and desa), `programme`, `dimension`, `period`. Rows are ordered by date, region and
//! id, so pages are stable for a given snapshot; `total` counts the matches before paging.
//! `format=csv` answers the same rows as a CSV file (all matches unless `limit` is given).
//! The filtering itself is [`select`] ([`crate::analysis::activities`]), run on the blocking
//! pool.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::access::{Caller, Input, Reach, RegionRequest, Scoped};
use super::api::{DEFAULT_LIMIT, MAX_LIMIT, Page};
use super::error::ErrorBody;
use super::routes::{Reads, Route, get};
use super::{ApiError, AppState};
use crate::analysis::activities::{ActivityJson, Filter, Order, select};
use crate::cells::neutralise;
use crate::region::RegionCode;
use crate::store::cols;

pub(super) fn routes() -> Vec<Route> {
    vec![get("/api/v1/activities", Reads::Regions, list_activities)]
}

/// `?region=&programme=&dimension=&period=&limit=&offset=&format=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivitiesQuery {
    /// This region and everything below it.
    #[param(example = "35.09.20")]
    region: Option<String>,
    /// Programme code.
    programme: Option<String>,
    /// Dimension id.
    #[param(example = "economy")]
    dimension: Option<String>,
    /// Period label (`2025`, `2025-Q3`, `2025-07` by granularity).
    #[param(example = "2025")]
    period: Option<String>,
    /// Rows per page, 1–1000 (default 100; CSV: all rows unless given).
    #[param(example = 20)]
    limit: Option<usize>,
    /// Rows to skip.
    offset: Option<usize>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// A page of activities.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityList {
    /// Records matching the filters, before paging.
    pub total: usize,
    /// Rows per page.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
    /// The page.
    pub activities: Vec<ActivityJson>,
}

/// The rows as CSV with a header line, columns as in the JSON; text cells that a spreadsheet
/// would read as a formula are made inert ([`neutralise`]).
pub fn to_csv(rows: &[ActivityJson]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        cols::ACTIVITY_ID,
        cols::DATE,
        cols::REGION_CODE,
        cols::PROGRAMME,
        cols::DIMENSION,
        cols::TARGET_GROUP,
        cols::QUANTITY,
        cols::PARTICIPANTS,
        cols::BUDGET_IDR,
        cols::ORGANISER,
        cols::SOURCE,
        cols::SOURCE_ROW,
    ])?;
    let text = |v: Option<&str>| neutralise(v.unwrap_or("")).into_owned();
    let number = |v: Option<String>| v.unwrap_or_default();
    for r in rows {
        w.write_record([
            text(Some(&r.activity_id)),
            r.date.clone(),
            r.region_code.clone(),
            text(Some(&r.programme)),
            text(Some(&r.dimension)),
            text(r.target_group.as_deref()),
            r.quantity.to_string(),
            number(r.participants.map(|v| v.to_string())),
            number(r.budget_idr.map(|v| v.to_string())),
            text(r.organiser.as_deref()),
            text(Some(&r.source)),
            r.source_row.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn present(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A parsed `GET /api/v1/activities`. Without `region`, a caller with a region scope reads
/// its scope's region, a caller who sees everything reads every record.
#[derive(Debug)]
pub struct ActivitiesRequest {
    csv: bool,
    region: Option<RegionCode>,
    query: ActivitiesQuery,
}

impl RegionRequest for ActivitiesRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let query: ActivitiesQuery = input.query()?;
        let csv = match present(query.format.clone()).as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "format {other:?}: expected json or csv"
                )));
            }
        };
        Ok(ActivitiesRequest {
            csv,
            region: caller.region_or_scope("region", query.region.as_deref())?,
            query,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        self.region.as_ref().map_or(Reach::Everything, Reach::one)
    }
}

/// `GET /api/v1/activities?region=35.09.20&dimension=economy&period=2025&limit=20`
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ActivitiesQuery),
    responses(
        (status = 200, description = "A page of activity records (or CSV with format=csv)", body = ActivityList,
            content_type = "application/json"),
        (status = 400, description = "Malformed parameter", body = ErrorBody),
        (status = 403, description = "Region outside the caller's scope", body = ErrorBody),
        (status = 404, description = "Unknown region, programme, dimension or period", body = ErrorBody)))]
pub async fn list_activities(
    State(state): State<AppState>,
    Scoped { request: req, .. }: Scoped<ActivitiesRequest>,
) -> Result<Response, ApiError> {
    let ActivitiesRequest {
        csv,
        region,
        query: q,
    } = req;
    if let Some(code) = &region
        && !state.reference.regions.contains(code)
    {
        return Err(ApiError::NotFound(format!("unknown region {code}")));
    }
    let framework = &state.reference.framework;
    let snapshot = state.snapshot();
    let programme = present(q.programme);
    if let Some(p) = &programme
        && !framework.programmes.contains_key(p)
    {
        return Err(ApiError::NotFound(format!(
            "unknown programme {p:?}: not in the framework's catalogue"
        )));
    }
    let dimension = present(q.dimension);
    if let Some(d) = &dimension
        && framework.dimension(d).is_none()
    {
        return Err(ApiError::NotFound(format!("unknown dimension {d:?}")));
    }
    let period = present(q.period);
    if let Some(p) = &period
        && !snapshot.book.periods().contains(p)
    {
        return Err(ApiError::NotFound(format!(
            "no period {p:?}; periods: {}",
            snapshot.book.periods().join(", ")
        )));
    }
    let limit = match (csv, q.limit) {
        (true, None) => None,
        (_, limit) => Some(Page::new(limit, None, DEFAULT_LIMIT)?.limit),
    };
    let offset = q.offset.unwrap_or(0);
    let filter = Filter {
        region,
        programme,
        dimension,
        period,
    };
    let granularity = state.config.period;
    let (total, rows) = tokio::task::spawn_blocking(move || {
        select(
            &snapshot.activities,
            granularity,
            &filter,
            Order::OldestFirst,
            offset,
            limit,
        )
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::Internal(e.into()))?;
    if csv {
        let body = to_csv(&rows).map_err(|e| ApiError::Internal(e.into()))?;
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"kegiatan.csv\"",
                ),
            ],
            body,
        )
            .into_response());
    }
    Ok(Json(ActivityList {
        total,
        limit: limit.unwrap_or(MAX_LIMIT),
        offset,
        activities: rows,
    })
    .into_response())
}
