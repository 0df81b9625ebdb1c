//! Downloads and charts of evaluation rounds: evidence files (always as attachments with
//! `X-Content-Type-Options: nosniff`, never rendered inline), a region's evaluation report and
//! the national recap (PDF, xlsx, CSV), and the charts the pages show. Rendering runs on the
//! blocking pool.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::access::{ChartKind, ChartRequest, CohortRequest, FormRequest};
use super::{Fail, evaluation, lang};
use crate::chart;
use crate::evaluation::{charts, recap};
use crate::i18n::Lang;
use crate::region::RegionCode;
use crate::server::AppState;
use crate::server::access::Scoped;
use crate::server::routes::{Reads, Route, get};
use crate::view::{self, MapScope};

/// The download and chart routes; each reads regions.
pub(super) fn routes() -> Vec<Route> {
    vec![
        get(
            "/api/v1/rounds/{round}/forms/{region}/evidence/{id}",
            Reads::Regions,
            evidence,
        ),
        get(
            "/api/v1/rounds/{round}/results/{region}/report/{format}",
            Reads::Regions,
            region_report,
        ),
        get(
            "/api/v1/rounds/{round}/recap/{format}",
            Reads::Regions,
            recap_file,
        ),
        get(
            "/evaluasi/{round}/grafik/{file}",
            Reads::Regions,
            chart_file,
        ),
    ]
}

#[derive(Debug, Default, Deserialize)]
struct FileQuery {
    lang: Option<String>,
    table: Option<String>,
}

/// `name` safe inside a quoted header value: ASCII letters, digits, `.-_`, others as `_`.
fn ascii_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.trim_matches(['_', '.']).is_empty() {
        "bukti".into()
    } else {
        s
    }
}

/// Percent-encoding for RFC 5987 `filename*`.
fn encoded(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A download: the bytes as an attachment named `name`, never sniffed or shown inline.
pub(super) fn attachment(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(name),
        encoded(name)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

async fn evidence(
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
    Path((_, _, evidence_id)): Path<(String, String, String)>,
    Query(q): Query<FileQuery>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let l = lang(q.lang.as_deref(), &headers);
    let ev = evaluation(&state, l)?;
    let view = ev
        .form(id, &code)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    let not_found = || {
        Fail::new(
            404,
            l.pick(
                "Berkas bukti itu tidak ada di formulir ini.",
                "No such evidence file in this form.",
            ),
        )
    };
    let e = view
        .evidence
        .iter()
        .find(|e| e.id == evidence_id)
        .ok_or_else(not_found)?;
    let sha = e.sha256.clone().ok_or_else(not_found)?;
    let ev2 = ev.clone();
    let bytes = tokio::task::spawn_blocking(move || ev2.evidence_bytes(&sha))
        .await
        .map_err(|_| Fail::new(500, "internal error"))?
        .map_err(|e| Fail::from_eval(&e, l))?;
    Ok(attachment(
        bytes,
        e.media_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
        e.file_name.as_deref().unwrap_or("bukti"),
    ))
}

fn format_of(raw: &str, l: Lang) -> Result<&'static str, Fail> {
    match raw {
        "pdf" => Ok("pdf"),
        "xlsx" => Ok("xlsx"),
        "csv" => Ok("csv"),
        other => Err(Fail::new(
            404,
            match l {
                Lang::Id => format!("Format {other:?} tidak ada: pdf, xlsx atau csv."),
                Lang::En => format!("No format {other:?}: pdf, xlsx or csv."),
            },
        )),
    }
}

fn content_type(format: &str) -> &'static str {
    match format {
        "pdf" => "application/pdf",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "text/csv; charset=utf-8",
    }
}

fn pick_table<'a>(
    tables: &'a [crate::report::Table],
    wanted: Option<&str>,
    l: Lang,
) -> Result<&'a crate::report::Table, Fail> {
    let wanted = wanted.unwrap_or(tables[0].id);
    tables.iter().find(|t| t.id == wanted).ok_or_else(|| {
        let ids: Vec<&str> = tables.iter().map(|t| t.id).collect();
        Fail::new(
            404,
            match l {
                Lang::Id => format!("Tabel {wanted:?} tidak ada; pilihan: {}.", ids.join(", ")),
                Lang::En => format!("No table {wanted:?}; choose one of {}.", ids.join(", ")),
            },
        )
    })
}

async fn region_report(
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
    Path((_, _, format)): Path<(String, String, String)>,
    Query(q): Query<FileQuery>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let l = lang(q.lang.as_deref(), &headers);
    let format = format_of(&format, l)?;
    let ev = evaluation(&state, l)?;
    let fail = |e| Fail::from_eval(&e, l);
    let results = ev.results(id).await.map_err(fail)?;
    let result = results
        .regions
        .iter()
        .find(|r| r.region == code)
        .cloned()
        .ok_or_else(|| {
            Fail::new(
                404,
                match l {
                    Lang::Id => format!("{code} belum punya hasil final di ronde {id}."),
                    Lang::En => format!("{code} has no finalised result in round {id} yet."),
                },
            )
        })?;
    let view = ev
        .form(id, &code)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?;
    let stem = format!(
        "evaluasi_{}_{}",
        results.round.year,
        code.as_str().replace('.', "")
    );
    let table = q.table.clone();
    let st = state.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, String), Fail> {
        let fail = |e| Fail::from_eval(&e, l);
        match format {
            "pdf" => Ok((
                recap::region_pdf(&view, &result, &st.reference.regions, l).map_err(fail)?,
                format!("{stem}.pdf"),
            )),
            "xlsx" => Ok((
                recap::workbook(&recap::region_tables(&view, &result, l)).map_err(fail)?,
                format!("{stem}.xlsx"),
            )),
            _ => {
                let tables = recap::region_tables(&view, &result, l);
                let t = pick_table(&tables, table.as_deref(), l)?;
                Ok((recap::csv(t).map_err(fail)?, format!("{stem}_{}.csv", t.id)))
            }
        }
    })
    .await
    .map_err(|_| Fail::new(500, "internal error"))??;
    Ok(attachment(out.0, content_type(format), &out.1))
}

async fn recap_file(
    State(state): State<AppState>,
    Scoped {
        request: CohortRequest { round: id, .. },
        ..
    }: Scoped<CohortRequest>,
    Path((_, format)): Path<(String, String)>,
    Query(q): Query<FileQuery>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let l = lang(q.lang.as_deref(), &headers);
    let format = format_of(&format, l)?;
    let ev = evaluation(&state, l)?;
    let results = ev.results(id).await.map_err(|e| Fail::from_eval(&e, l))?;
    let cohort: Vec<RegionCode> = ev
        .forms(id)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?
        .into_iter()
        .map(|f| f.region)
        .collect();
    let stem = format!(
        "rekap_evaluasi_{}_ronde{}",
        results.round.year, results.round.id
    );
    let table = q.table.clone();
    let st = state.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, String), Fail> {
        let fail = |e| Fail::from_eval(&e, l);
        let regions = &st.reference.regions;
        match format {
            "pdf" => Ok((
                recap::recap_pdf(&results, &cohort, regions, &st.reference.boundaries, l)
                    .map_err(fail)?,
                format!("{stem}.pdf"),
            )),
            "xlsx" => Ok((
                recap::workbook(&recap::recap_tables(&results, regions, l)).map_err(fail)?,
                format!("{stem}.xlsx"),
            )),
            _ => {
                let tables = recap::recap_tables(&results, regions, l);
                let t = pick_table(&tables, table.as_deref(), l)?;
                Ok((recap::csv(t).map_err(fail)?, format!("{stem}_{}.csv", t.id)))
            }
        }
    })
    .await
    .map_err(|_| Fail::new(500, "internal error"))??;
    Ok(attachment(out.0, content_type(format), &out.1))
}

/// `/evaluasi/{round}/grafik/{kind}.{png|svg}`: `radar` and `dimensi` of `region=`, `peringkat`
/// and `peta` of the cohort.
async fn chart_file(
    State(state): State<AppState>,
    Scoped {
        request:
            ChartRequest {
                round: id,
                kind,
                format,
                ..
            },
        ..
    }: Scoped<ChartRequest>,
    Query(q): Query<FileQuery>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let l = lang(q.lang.as_deref(), &headers);
    let ev = evaluation(&state, l)?;
    let results = ev.results(id).await.map_err(|e| Fail::from_eval(&e, l))?;
    // A cohort chart of a round nobody has finished has nothing to draw: say so, rather than
    // fail drawing an empty chart.
    if results.regions.is_empty() && matches!(kind, ChartKind::Ranking(_) | ChartKind::Map(_)) {
        return Err(Fail::new(
            404,
            match l {
                Lang::Id => format!("Ronde {id} belum punya hasil final."),
                Lang::En => format!("Round {id} has no finalised result yet."),
            },
        ));
    }
    let cohort: Vec<RegionCode> = ev
        .forms(id)
        .await
        .map_err(|e| Fail::from_eval(&e, l))?
        .into_iter()
        .map(|f| f.region)
        .collect();
    let st = state.clone();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, Fail> {
        let regions = &st.reference.regions;
        let draw = |e: chart::ChartError| Fail::new(500, e.to_string());
        let (w, h) = (chart::DEFAULT_WIDTH, chart::DEFAULT_HEIGHT);
        let result = |c: &RegionCode| {
            results
                .regions
                .iter()
                .find(|r| &r.region == c)
                .ok_or_else(|| {
                    Fail::new(
                        404,
                        match l {
                            Lang::Id => format!("{c} belum punya hasil final."),
                            Lang::En => format!("{c} has no finalised result yet."),
                        },
                    )
                })
        };
        let year = results.round.year;
        match &kind {
            ChartKind::Radar(c) => {
                let r = result(c)?;
                chart::render_radar(
                    &charts::pillar_radar(
                        &results.instrument,
                        r,
                        &charts::name(regions, c),
                        year,
                        l,
                    ),
                    format,
                    w,
                    h,
                )
                .map_err(draw)
            }
            ChartKind::Dimensions(c) => {
                let r = result(c)?;
                chart::render_bars(
                    &charts::dimension_bars(
                        &results.instrument,
                        r,
                        &charts::name(regions, c),
                        year,
                        l,
                    ),
                    format,
                    w,
                    320,
                )
                .map_err(draw)
            }
            ChartKind::Ranking(code) => {
                let n = results.regions.len().clamp(1, 40);
                chart::render_bars(
                    &charts::cohort_bars(&results, regions, code.as_ref(), 40, l),
                    format,
                    w,
                    (120 + 22 * n as u32).clamp(chart::MIN_HEIGHT, chart::MAX_HEIGHT),
                )
                .map_err(draw)
            }
            ChartKind::Map(code) => {
                let first = cohort
                    .first()
                    .ok_or_else(|| Fail::new(404, "empty cohort"))?;
                let layer = view::map_layer(&st.reference.boundaries, first, MapScope::Indonesia)
                    .map_err(|e| Fail::new(500, e.to_string()))?;
                chart::render_map(
                    &charts::cohort_map(&results, &cohort, regions, layer, code.as_ref(), l),
                    format,
                    1200,
                    600,
                )
                .map_err(draw)
            }
        }
    })
    .await
    .map_err(|_| Fail::new(500, "internal error"))??;
    let mut r = bytes.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(r)
}
