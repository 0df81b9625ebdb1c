//! Which activity records a filter selects: by region (and everything below it), programme,
//! dimension and period, in a stable order and paged. One polars query over the snapshot's
//! activity table, shared by the API (`/api/v1/activities`, JSON or CSV) and the dashboard's
//! dimension pages and their CSV downloads, so both list the same records.
//!
//! Blocking work: callers run it off the async runtime. It never reads the store.

use polars::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::region::RegionCode;
use crate::score::Granularity;
use crate::store::{Activities, cols};

/// What [`select`] filters on; `None` means no filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The region and its descendants.
    pub region: Option<RegionCode>,
    /// Programme code.
    pub programme: Option<String>,
    /// Dimension id.
    pub dimension: Option<String>,
    /// Period label.
    pub period: Option<String>,
}

/// One activity record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityJson {
    /// Id within its source.
    pub activity_id: String,
    /// Date, `YYYY-MM-DD`.
    pub date: String,
    /// Kemendagri code where it took place.
    pub region_code: String,
    /// Programme code.
    pub programme: String,
    /// Dimension id.
    pub dimension: String,
    /// Who was reached.
    pub target_group: Option<String>,
    /// Units reached, in the programme's unit.
    pub quantity: f64,
    /// People reached.
    pub participants: Option<i64>,
    /// Rupiah spent.
    pub budget_idr: Option<f64>,
    /// Who ran it.
    pub organiser: Option<String>,
    /// File or source name it came from.
    pub source: String,
    /// Row in that file (header = row 1).
    pub source_row: i64,
}

/// The order of [`select`]'s rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By date, region, source and id: stable pages for the API.
    OldestFirst,
    /// Newest date first, then source and row: the dashboard's table.
    NewestFirst,
}

/// Filter, order and page the activity table: (total matches, the page's rows). Shared by the
/// API and the dashboard's dimension page, which differ only in `order`.
pub fn select(
    activities: &Activities,
    granularity: Granularity,
    filter: &Filter,
    order: Order,
    offset: usize,
    limit: Option<usize>,
) -> PolarsResult<(usize, Vec<ActivityJson>)> {
    let mut lf = activities.lazy();
    if let Some(r) = &filter.region {
        let code = col(cols::REGION_CODE);
        lf = lf.filter(
            code.clone()
                .eq(lit(r.as_str()))
                .or(code.str().starts_with(lit(format!("{r}.")))),
        );
    }
    if let Some(p) = &filter.programme {
        lf = lf.filter(col(cols::PROGRAMME).eq(lit(p.as_str())));
    }
    if let Some(d) = &filter.dimension {
        lf = lf.filter(col(cols::DIMENSION).eq(lit(d.as_str())));
    }
    if let Some(p) = &filter.period {
        lf = lf.filter(granularity.period_expr(col(cols::DATE)).eq(lit(p.as_str())));
    }
    let sorted = match order {
        Order::OldestFirst => lf.sort(
            [
                cols::DATE,
                cols::REGION_CODE,
                cols::SOURCE,
                cols::ACTIVITY_ID,
            ],
            SortMultipleOptions::default(),
        ),
        Order::NewestFirst => lf.sort(
            [cols::DATE, cols::SOURCE, cols::SOURCE_ROW],
            SortMultipleOptions::default().with_order_descending_multi([true, false, false]),
        ),
    };
    let df = sorted.collect()?;
    let total = df.height();
    let offset_i = i64::try_from(offset).unwrap_or(i64::MAX);
    let page = df.slice(offset_i, limit.unwrap_or(total));
    let page = page
        .lazy()
        .with_column(col(cols::DATE).dt().to_string("%Y-%m-%d"))
        .collect()?;
    let s = |name: &str| -> PolarsResult<StringChunked> { Ok(page.column(name)?.str()?.clone()) };
    let (id, date, region, programme, dimension, target, organiser, source) = (
        s(cols::ACTIVITY_ID)?,
        s(cols::DATE)?,
        s(cols::REGION_CODE)?,
        s(cols::PROGRAMME)?,
        s(cols::DIMENSION)?,
        s(cols::TARGET_GROUP)?,
        s(cols::ORGANISER)?,
        s(cols::SOURCE)?,
    );
    let quantity = page.column(cols::QUANTITY)?.f64()?;
    let budget = page.column(cols::BUDGET_IDR)?.f64()?;
    let participants = page.column(cols::PARTICIPANTS)?.i64()?;
    let row = page.column(cols::SOURCE_ROW)?.i64()?;
    let text = |c: &StringChunked, i| c.get(i).unwrap_or_default().to_string();
    let rows = (0..page.height())
        .map(|i| ActivityJson {
            activity_id: text(&id, i),
            date: text(&date, i),
            region_code: text(&region, i),
            programme: text(&programme, i),
            dimension: text(&dimension, i),
            target_group: target.get(i).map(str::to_string),
            quantity: quantity.get(i).unwrap_or_default(),
            participants: participants.get(i),
            budget_idr: budget.get(i),
            organiser: organiser.get(i).map(str::to_string),
            source: text(&source, i),
            source_row: row.get(i).unwrap_or_default(),
        })
        .collect();
    Ok((total, rows))
}

/// Which activity records a dimension page lists.
#[derive(Debug, Clone)]
pub struct ActivityFilter {
    /// A kecamatan (with its desa) or a kabupaten (with everything under it).
    pub region: RegionCode,
    /// Dimension id.
    pub dimension: String,
    /// Period label; records whose date falls in it.
    pub period: String,
    /// Only this programme.
    pub programme: Option<String>,
    /// Only this kecamatan (within `region`).
    pub kecamatan: Option<RegionCode>,
}

/// A page of filtered activity records, newest first, and how many the filter selects.
#[derive(Debug, Clone)]
pub struct ActivityPage {
    /// Records the filter selects, over all pages.
    pub total: usize,
    /// The records of the page.
    pub rows: Vec<ActivityJson>,
}

/// The records of `activities` that `filter` selects, newest first (ties by source and row),
/// `limit` of them from `offset`: [`select`] in the table's order.
pub fn activity_page(
    activities: &Activities,
    granularity: Granularity,
    filter: &ActivityFilter,
    offset: usize,
    limit: usize,
) -> PolarsResult<ActivityPage> {
    // Records within both the region and the kecamatan: within the narrower of the two, or
    // none when they do not overlap (a kecamatan's page filtered to another kecamatan).
    let inside =
        |a: &RegionCode, b: &RegionCode| a == b || a.as_str().starts_with(&format!("{b}."));
    let region = match &filter.kecamatan {
        None => filter.region.clone(),
        Some(k) if inside(k, &filter.region) => k.clone(),
        Some(k) if inside(&filter.region, k) => filter.region.clone(),
        Some(_) => {
            return Ok(ActivityPage {
                total: 0,
                rows: Vec::new(),
            });
        }
    };
    let api_filter = Filter {
        region: Some(region),
        programme: filter.programme.clone(),
        dimension: Some(filter.dimension.clone()),
        period: Some(filter.period.clone()),
    };
    let (total, rows) = select(
        activities,
        granularity,
        &api_filter,
        Order::NewestFirst,
        offset,
        Some(limit),
    )?;
    Ok(ActivityPage { total, rows })
}
