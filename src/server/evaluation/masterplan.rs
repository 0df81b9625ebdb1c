//! The JSON API of the masterplan register: a region's programmes, read by whoever may see the
//! region, added and changed by its steward or an admin. Every error is
//! `{"error": {"status", "message"}}` with the message in the caller's language.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

use super::access::MasterplanRequest;
use super::api::LangQuery;
use super::{ApiResult, Fail, access, actor, evaluation, lang};
use crate::evaluation::masterplan::Entry;
use crate::server::AppState;
use crate::server::access::Scoped;
use crate::server::routes::{Reads, Route, get, post, put};

/// The masterplan routes; each reads a region.
pub(super) fn routes() -> Vec<Route> {
    vec![
        get(
            "/api/v1/masterplan/{region}",
            Reads::Regions,
            masterplan_list,
        ),
        post(
            "/api/v1/masterplan/{region}",
            Reads::Regions,
            masterplan_add,
        ),
        put(
            "/api/v1/masterplan/{region}/{id}",
            Reads::Regions,
            masterplan_put,
        ),
    ]
}

/// Activity programme codes of the catalogue.
pub(super) fn programme_codes(state: &AppState) -> HashSet<String> {
    state
        .reference
        .framework
        .programmes
        .keys()
        .cloned()
        .collect()
}

async fn masterplan_list(
    State(state): State<AppState>,
    Scoped {
        request: MasterplanRequest { region: code, .. },
        ..
    }: Scoped<MasterplanRequest>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> ApiResult<Vec<Entry>> {
    let l = lang(q.lang.as_deref(), &headers);
    let ev = evaluation(&state, l)?;
    Ok(Json(
        ev.masterplan(&code)
            .await
            .map_err(|e| Fail::from_eval(&e, l))?,
    ))
}

async fn masterplan_add(
    State(state): State<AppState>,
    Scoped {
        request: MasterplanRequest { region: code, .. },
        principal,
    }: Scoped<MasterplanRequest>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(mut entry): Json<Entry>,
) -> Result<impl IntoResponse, Fail> {
    let l = lang(q.lang.as_deref(), &headers);
    access::fill_form(&principal, l)?;
    let ev = evaluation(&state, l)?;
    entry.id = 0;
    let saved = ev
        .put_masterplan(
            &actor(&principal, l)?,
            &code,
            &entry,
            &programme_codes(&state),
        )
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok((StatusCode::CREATED, Json(saved)))
}

async fn masterplan_put(
    State(state): State<AppState>,
    Scoped {
        request: MasterplanRequest { region: code, .. },
        principal,
    }: Scoped<MasterplanRequest>,
    Path((_, entry_id)): Path<(String, i64)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(mut entry): Json<Entry>,
) -> ApiResult<Entry> {
    let l = lang(q.lang.as_deref(), &headers);
    access::fill_form(&principal, l)?;
    let ev = evaluation(&state, l)?;
    entry.id = entry_id.max(1);
    let saved = ev
        .put_masterplan(
            &actor(&principal, l)?,
            &code,
            &entry,
            &programme_codes(&state),
        )
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(saved))
}
