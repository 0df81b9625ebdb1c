//! `/charts/{kind}.{png|svg}`: charts rendered on demand, on the blocking pool.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use super::params::RawSelection;
use super::{ApiError, AppState};
use crate::chart::{self, Format};
use crate::view;

pub fn router() -> Router<AppState> {
    Router::new().route("/charts/{file}", get(chart))
}

/// Chart kinds served.
const KINDS: [&str; 1] = ["radar"];

#[derive(Debug, Deserialize)]
struct ChartQuery {
    #[serde(flatten)]
    selection: RawSelection,
    width: Option<u32>,
    height: Option<u32>,
}

/// `GET /charts/radar.png?region=35.09.20&period=2025&lang=id&width=800&height=500`
async fn chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<ChartQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let (kind, ext) = file
        .rsplit_once('.')
        .ok_or_else(|| ApiError::NotFound(format!("no chart {file:?}: expected e.g. radar.png")))?;
    if !KINDS.contains(&kind) {
        return Err(ApiError::NotFound(format!(
            "unknown chart kind {kind:?}; available: {}",
            KINDS.join(", ")
        )));
    }
    let format: Format = ext.parse().map_err(|_| {
        ApiError::NotFound(format!("unknown chart format {ext:?}; available: png, svg"))
    })?;
    let width = q.width.unwrap_or(chart::DEFAULT_WIDTH);
    let height = q.height.unwrap_or(chart::DEFAULT_HEIGHT);
    if !(chart::MIN_WIDTH..=chart::MAX_WIDTH).contains(&width)
        || !(chart::MIN_HEIGHT..=chart::MAX_HEIGHT).contains(&height)
    {
        return Err(ApiError::BadRequest(format!(
            "size {width}×{height} out of range: width {}–{}, height {}–{}",
            chart::MIN_WIDTH,
            chart::MAX_WIDTH,
            chart::MIN_HEIGHT,
            chart::MAX_HEIGHT
        )));
    }
    let sel = q.selection.parse(&state)?;
    let snapshot = state.snapshot();
    let radar = {
        let view = view::region_view(
            &snapshot.book,
            &state.reference.regions,
            &sel.region,
            sel.period.as_deref(),
        )?;
        view::radar_chart(&view, &state.reference.framework, sel.lang)
    };
    let bytes =
        tokio::task::spawn_blocking(move || chart::render_radar(&radar, format, width, height))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], bytes))
}
