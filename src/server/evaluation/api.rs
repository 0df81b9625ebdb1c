//! The JSON API of evaluation rounds, the region's side: open and manage rounds, read and fill
//! a form, add evidence, submit, and the audit trail (the evaluator's side and the results are
//! in [`super::review`], the masterplan register in [`super::masterplan`]). Every error is `{"error": {"status", "message"}}` with the message in the caller's
//! language (`lang=` or `Accept-Language`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::access::{FormRequest, RoundRequest};
use super::{ApiResult, Fail, access, actor, evaluation, lang, region, round_id};
use crate::auth::{Principal, Role};
use crate::evaluation::masterplan::{self, Realisation};
use crate::evaluation::store::{AuditEntry, Evidence, Form, Round};
use crate::evaluation::workflow::{AnswerInput, FormView, OpenRound};
use crate::evaluation::{AnswerType, Evaluation, EvidenceInput};
use crate::i18n::Lang;
use crate::region::RegionCode;
use crate::server::AppState;
use crate::server::access::Scoped;
use crate::server::routes::{Reads, Route, get, patch, post, put};

/// The API routes. Listing, opening and changing rounds reads no region's data (a round's
/// year, title, deadline and cohort); everything under a form, a result or a masterplan does.
pub(super) fn routes() -> Vec<Route> {
    vec![
        get("/api/v1/rounds", Reads::NoRegion, list),
        post("/api/v1/rounds", Reads::NoRegion, open),
        get("/api/v1/rounds/{round}", Reads::Regions, round),
        patch("/api/v1/rounds/{round}", Reads::NoRegion, update),
        get(
            "/api/v1/rounds/{round}/forms/{region}",
            Reads::Regions,
            form,
        ),
        put(
            "/api/v1/rounds/{round}/forms/{region}",
            Reads::Regions,
            save,
        ),
        post(
            "/api/v1/rounds/{round}/forms/{region}/evidence",
            Reads::Regions,
            add_evidence,
        )
        .uploads(),
        post(
            "/api/v1/rounds/{round}/forms/{region}/submit",
            Reads::Regions,
            submit,
        ),
        get(
            "/api/v1/rounds/{round}/forms/{region}/audit",
            Reads::Regions,
            audit,
        ),
    ]
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LangQuery {
    pub lang: Option<String>,
}

/// The body of `POST /api/v1/rounds`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OpenBody {
    pub year: i32,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub instrument: Option<String>,
    /// Kab/kota codes, or absent for the smart-city cohort file.
    #[serde(default)]
    pub cohort: Option<Vec<String>>,
    pub deadline: String,
    #[serde(default)]
    pub assignments: BTreeMap<String, String>,
}

fn date(raw: &str, l: Lang) -> Result<NaiveDate, Fail> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        Fail::new(
            422,
            match l {
                Lang::Id => format!("Batas waktu {raw:?} bukan tanggal YYYY-MM-DD."),
                Lang::En => format!("Deadline {raw:?} is not a YYYY-MM-DD date."),
            },
        )
    })
}

/// An evaluator's name must be a user with the evaluator role (in the users file or the
/// database, wherever users are).
async fn evaluator(state: &AppState, name: &str, l: Lang) -> Result<String, Fail> {
    // The cause is logged where it happened; the caller is told to come back.
    let user = state.access.find_user(name.trim()).await.map_err(|_| {
        Fail::new(
            503,
            l.pick(
                "Data pengguna tidak dapat dibaca saat ini; coba lagi nanti.",
                "The users cannot be read at the moment; try again later.",
            ),
        )
    })?;
    match user {
        Some(u) if u.role == Role::Evaluator => Ok(u.name),
        _ => Err(Fail::new(
            422,
            match l {
                Lang::Id => format!("{name:?} bukan pengguna berperan evaluator."),
                Lang::En => format!("{name:?} is not a user with the evaluator role."),
            },
        )),
    }
}

/// Parse the opening request once: codes known kab/kota, evaluators real users.
pub(super) async fn parse_open(state: &AppState, b: OpenBody, l: Lang) -> Result<OpenRound, Fail> {
    let regions = &state.reference.regions;
    let known = |raw: &str| -> Result<RegionCode, Fail> {
        let code = region(raw, l)?;
        if regions.contains(&code) {
            Ok(code)
        } else {
            Err(Fail::new(
                422,
                match l {
                    Lang::Id => format!("Kode {code} tidak dikenal dalam data wilayah Kemendagri."),
                    Lang::En => format!("Code {code} is not in the Kemendagri region data."),
                },
            ))
        }
    };
    let cohort = match b.cohort {
        Some(codes) => codes
            .iter()
            .map(|c| known(c))
            .collect::<Result<Vec<_>, _>>()?,
        None => regions.smart_city().to_vec(),
    };
    let mut assignments = Vec::with_capacity(b.assignments.len());
    for (r, e) in &b.assignments {
        assignments.push((known(r)?, evaluator(state, e, l).await?));
    }
    Ok(OpenRound {
        year: b.year,
        title: b.title,
        instrument: b.instrument,
        cohort,
        deadline: date(&b.deadline, l)?,
        assignments,
    })
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> ApiResult<Vec<Round>> {
    let l = lang(q.lang.as_deref(), &headers);
    access::list_rounds(&principal, l)?;
    let ev = evaluation(&state, l)?;
    Ok(Json(ev.rounds().await.map_err(|e| Fail::from_eval(&e, l))?))
}

async fn open(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(body): Json<OpenBody>,
) -> Result<impl IntoResponse, Fail> {
    let l = lang(q.lang.as_deref(), &headers);
    access::manage_rounds(&principal, l)?;
    let ev = evaluation(&state, l)?;
    let o = parse_open(&state, body, l).await?;
    let round = ev
        .open_round(&actor(&principal, l)?, o)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok((StatusCode::CREATED, Json(round)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    deadline: Option<String>,
    #[serde(default)]
    assignments: BTreeMap<String, Option<String>>,
}

async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Json(body): Json<UpdateBody>,
) -> ApiResult<Round> {
    let l = lang(q.lang.as_deref(), &headers);
    access::manage_rounds(&principal, l)?;
    let ev = evaluation(&state, l)?;
    let id = round_id(&id, l)?;
    let deadline = body.deadline.as_deref().map(|d| date(d, l)).transpose()?;
    let mut assignments = Vec::with_capacity(body.assignments.len());
    for (r, e) in &body.assignments {
        let e = match e {
            Some(e) => Some(evaluator(&state, e, l).await?),
            None => None,
        };
        assignments.push((region(r, l)?, e));
    }
    let round = ev
        .update_round(&actor(&principal, l)?, id, deadline, &assignments)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(round))
}

#[derive(Debug, Serialize)]
struct RoundJson {
    round: Round,
    /// The forms of the regions the caller may see.
    forms: Vec<Form>,
}

async fn round(
    State(state): State<AppState>,
    Scoped {
        request: RoundRequest {
            round: id, within, ..
        },
        ..
    }: Scoped<RoundRequest>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> ApiResult<RoundJson> {
    let l = lang(q.lang.as_deref(), &headers);
    let ev = evaluation(&state, l)?;
    let fail = |e| Fail::from_eval(&e, l);
    let round = ev.round(id).await.map_err(fail)?;
    let forms = ev
        .forms(id)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?
        .into_iter()
        .filter(|f| within.contains(&f.region))
        .collect();
    Ok(Json(RoundJson { round, forms }))
}

/// One item of a form as the API shows it.
#[derive(Debug, Serialize)]
pub(super) struct ItemJson {
    id: String,
    pillar: String,
    subdimension: String,
    dimension: String,
    text: String,
    answer: AnswerType,
    evidence_asked: String,
    value: Option<String>,
    note: Option<String>,
    verified_value: Option<String>,
    verification: Option<crate::evaluation::store::Verification>,
    verifier_note: Option<String>,
    evidence: Vec<Evidence>,
    /// For masterplan items: the activity log's realisation of the pillar's masterplan.
    realisation: Option<Realisation>,
}

#[derive(Debug, Serialize)]
pub(super) struct FormJson {
    round: Round,
    instrument: serde_json::Value,
    region_name: String,
    #[serde(flatten)]
    form: Form,
    items: Vec<ItemJson>,
}

/// The realisation per pillar of the region's masterplan up to the round's year.
pub(super) async fn realisation(
    state: &AppState,
    ev: &Evaluation,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<Realisation>, crate::evaluation::EvaluationError> {
    let entries = ev.masterplan(region).await?;
    let snapshot = state.snapshot();
    let region = region.clone();
    tokio::task::spawn_blocking(move || {
        masterplan::realisation(&entries, snapshot.activities.frame(), &region, year)
    })
    .await
    .map_err(|e| crate::evaluation::EvaluationError::Io(std::io::Error::other(e)))?
}

pub(super) fn form_json(state: &AppState, v: FormView, real: &[Realisation], l: Lang) -> FormJson {
    let i = &v.instrument;
    let items = i
        .items
        .iter()
        .map(|item| {
            let a = v.answers.get(&item.id);
            ItemJson {
                id: item.id.clone(),
                pillar: item.pillar.clone(),
                subdimension: item.subdimension.clone(),
                dimension: item.dimension.clone(),
                text: item.text(l).to_string(),
                answer: item.answer.clone(),
                evidence_asked: l.pick(&item.evidence_id, &item.evidence_en).to_string(),
                value: a.and_then(|a| a.value.clone()),
                note: a.and_then(|a| a.note.clone()),
                verified_value: a.and_then(|a| a.verified_value.clone()),
                verification: a.and_then(|a| a.verification),
                verifier_note: a.and_then(|a| a.verifier_note.clone()),
                evidence: v
                    .evidence
                    .iter()
                    .filter(|e| e.item == item.id)
                    .cloned()
                    .collect(),
                realisation: matches!(item.answer, AnswerType::MasterplanShare)
                    .then(|| real.iter().find(|r| r.pillar == item.pillar).cloned())
                    .flatten(),
            }
        })
        .collect();
    FormJson {
        instrument: serde_json::json!({
            "id": i.id, "version": i.version, "name": i.name(l), "example": i.example,
            "note": l.pick(&i.note_id, &i.note_en), "sha256": i.sha256, "scale": i.scale,
        }),
        region_name: crate::evaluation::charts::name(&state.reference.regions, &v.form.region),
        round: v.round,
        form: v.form,
        items,
    }
}

async fn form(
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
) -> ApiResult<FormJson> {
    let l = lang(q.lang.as_deref(), &headers);
    let ev = evaluation(&state, l)?;
    let fail = |e| Fail::from_eval(&e, l);
    let v = ev.form(id, &code).await.map_err(fail)?;
    let real = realisation(&state, &ev, &code, v.round.year)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(form_json(&state, v, &real, l)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveBody {
    version: i64,
    answers: Vec<AnswerBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    item: String,
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    note: Option<String>,
}

/// A JSON answer as text: numbers and booleans as typed, strings as they are.
pub(super) fn raw(v: Option<serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Bool(b) => Some(if b { "yes" } else { "no" }.into()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[derive(Debug, Serialize)]
pub(super) struct VersionJson {
    pub version: i64,
}

async fn save(
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
    Json(body): Json<SaveBody>,
) -> ApiResult<VersionJson> {
    let l = lang(q.lang.as_deref(), &headers);
    access::fill_form(&principal, l)?;
    let ev = evaluation(&state, l)?;
    let inputs: Vec<AnswerInput> = body
        .answers
        .into_iter()
        .map(|a| AnswerInput {
            item: a.item,
            value: raw(a.value),
            note: a.note,
        })
        .collect();
    let version = ev
        .save_answers(&actor(&principal, l)?, id, &code, body.version, &inputs)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(VersionJson { version }))
}

/// Read a multipart evidence upload: `item`, and a file part or a `url` field.
pub(super) async fn read_evidence(
    mut m: Multipart,
    l: Lang,
) -> Result<(String, EvidenceInput), Fail> {
    let (mut item, mut input) = (None, None);
    let malformed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Fail::new(
                413,
                l.pick(
                    "Unggahan melebihi batas ukuran.",
                    "The upload is over the size limit.",
                ),
            )
        } else {
            Fail::bad_request(
                l,
                "Unggahan multipart rusak.",
                "Malformed multipart upload.",
            )
        }
    };
    while let Some(field) = m.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_string();
        if let Some(file) = field
            .file_name()
            .map(str::to_string)
            .filter(|f| !f.is_empty())
        {
            let bytes = field.bytes().await.map_err(malformed)?;
            input = Some(EvidenceInput::File {
                name: file,
                bytes: bytes.to_vec(),
            });
            continue;
        }
        let text = field.text().await.map_err(malformed)?;
        match name.as_str() {
            "item" => item = Some(text),
            "url" if !text.trim().is_empty() && input.is_none() => {
                input = Some(EvidenceInput::Link(text))
            }
            _ => {}
        }
    }
    match (item, input) {
        (Some(item), Some(input)) => Ok((item, input)),
        _ => Err(Fail::new(
            422,
            l.pick(
                "Kirim field 'item' dan sebuah berkas atau field 'url'.",
                "Send an 'item' field and a file or a 'url' field.",
            ),
        )),
    }
}

async fn add_evidence(
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
    multipart: Multipart,
) -> Result<impl IntoResponse, Fail> {
    let l = lang(q.lang.as_deref(), &headers);
    access::fill_form(&principal, l)?;
    let ev = evaluation(&state, l)?;
    let (item, input) = read_evidence(multipart, l).await?;
    let e = ev
        .add_evidence(&actor(&principal, l)?, id, &code, &item, input)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VersionBody {
    pub version: i64,
    #[serde(default)]
    pub note: Option<String>,
}

async fn submit(
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
    access::fill_form(&principal, l)?;
    let ev = evaluation(&state, l)?;
    let version = ev
        .submit(&actor(&principal, l)?, id, &code, body.version)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(Json(VersionJson { version }))
}

async fn audit(
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
) -> ApiResult<Vec<AuditEntry>> {
    let l = lang(q.lang.as_deref(), &headers);
    let ev = evaluation(&state, l)?;
    Ok(Json(
        ev.audit(id, &code)
            .await
            .map_err(|e| Fail::from_eval(&e, l))?,
    ))
}
