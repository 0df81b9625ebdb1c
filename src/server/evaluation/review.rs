//! The JSON API of evaluation rounds, the evaluator's side and the results: verify a form,
//! return it once, finalise it; the round's results, ranked, and one region's. Every error is
//! `{"error": {"status", "message"}}` with the message in the caller's language.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::access::{CohortRequest, FormRequest};
use super::api::{LangQuery, VersionBody, VersionJson, raw};
use super::{ApiResult, Fail, access, actor, evaluation, lang};
use crate::evaluation::store::Round;
use crate::evaluation::workflow::{Decision, RegionResult};
use crate::i18n::Lang;
use crate::server::AppState;
use crate::server::access::Scoped;
use crate::server::routes::{Reads, Route, get, post};

/// The evaluator's routes and the results; each reads regions.
pub(super) fn routes() -> Vec<Route> {
    vec![
        post(
            "/api/v1/rounds/{round}/forms/{region}/verify",
            Reads::Regions,
            verify,
        ),
        post(
            "/api/v1/rounds/{round}/forms/{region}/return",
            Reads::Regions,
            return_form,
        ),
        post(
            "/api/v1/rounds/{round}/forms/{region}/finalise",
            Reads::Regions,
            finalise,
        ),
        get("/api/v1/rounds/{round}/results", Reads::Regions, results),
        get(
            "/api/v1/rounds/{round}/results/{region}",
            Reads::Regions,
            region_result,
        ),
    ]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    version: i64,
    #[serde(default)]
    decisions: Vec<DecisionBody>,
    #[serde(default)]
    accept_rest: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    item: String,
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    note: Option<String>,
}

async fn verify(
    State(state): State<AppState>,
    Scoped {
        request:
            FormRequest {
                round: id,
                region: code,
                ..
            },
        principal,
    }: Scoped<FormRequest>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(body): Json<VerifyBody>,
) -> ApiResult<VersionJson> {
    let l = lang(q.lang.as_deref(), &headers);
    access::verify_form(&principal, l)?;
    let ev = evaluation(&state, l)?;
    let decisions: Vec<Decision> = body
        .decisions
        .into_iter()
        .map(|d| Decision {
            item: d.item,
            value: raw(d.value),
            note: d.note,
        })
        .collect();
    let version = ev
        .verify(
            &actor(&principal, l)?,
            id,
            &code,
            body.version,
            &decisions,
            body.accept_rest,
        )
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(VersionJson { version }))
}

async fn return_form(
    State(state): State<AppState>,
    Scoped {
        request:
            FormRequest {
                round: id,
                region: code,
                ..
            },
        principal,
    }: Scoped<FormRequest>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(body): Json<VersionBody>,
) -> ApiResult<VersionJson> {
    let l = lang(q.lang.as_deref(), &headers);
    access::verify_form(&principal, l)?;
    let ev = evaluation(&state, l)?;
    let version = ev
        .return_form(
            &actor(&principal, l)?,
            id,
            &code,
            body.version,
            body.note.as_deref().unwrap_or(""),
        )
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(VersionJson { version }))
}

async fn finalise(
    State(state): State<AppState>,
    Scoped {
        request:
            FormRequest {
                round: id,
                region: code,
                ..
            },
        principal,
    }: Scoped<FormRequest>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(body): Json<VersionBody>,
) -> ApiResult<VersionJson> {
    let l = lang(q.lang.as_deref(), &headers);
    access::verify_form(&principal, l)?;
    let ev = evaluation(&state, l)?;
    let version = ev
        .finalise(&actor(&principal, l)?, id, &code, body.version)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(VersionJson { version }))
}

#[derive(Debug, Serialize)]
struct ResultsJson {
    round: Round,
    pending: usize,
    regions: Vec<ResultJson>,
}

#[derive(Debug, Serialize)]
struct ResultJson {
    name: String,
    #[serde(flatten)]
    result: RegionResult,
    change: Option<f64>,
}

fn result_json(state: &AppState, r: RegionResult) -> ResultJson {
    ResultJson {
        name: crate::evaluation::charts::name(&state.reference.regions, &r.region),
        change: r.previous.and_then(|p| Some(r.verified.index? - p.index)),
        result: r,
    }
}

async fn results(
    State(state): State<AppState>,
    Scoped {
        request: CohortRequest { round: id, .. },
        ..
    }: Scoped<CohortRequest>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> ApiResult<ResultsJson> {
    let l = lang(q.lang.as_deref(), &headers);
    let ev = evaluation(&state, l)?;
    let r = ev.results(id).await.map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(ResultsJson {
        round: r.round,
        pending: r.pending,
        regions: r
            .regions
            .into_iter()
            .map(|x| result_json(&state, x))
            .collect(),
    }))
}

async fn region_result(
    State(state): State<AppState>,
    Scoped {
        request:
            FormRequest {
                round: id,
                region: code,
                ..
            },
        ..
    }: Scoped<FormRequest>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> ApiResult<ResultJson> {
    let l = lang(q.lang.as_deref(), &headers);
    let ev = evaluation(&state, l)?;
    let r = ev.results(id).await.map_err(|e| Fail::from_eval(&e, l))?;
    let found = r
        .regions
        .into_iter()
        .find(|x| x.region == code)
        .ok_or_else(|| {
            Fail::new(
                404,
                match l {
                    Lang::Id => format!("{code} belum punya hasil final di ronde {id}."),
                    Lang::En => format!("{code} has no finalised result in round {id} yet."),
                },
            )
        })?;
    Ok(Json(result_json(&state, found)))
}
