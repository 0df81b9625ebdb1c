//! `/dimensi/{id}`: one dimension of a region in a period — each indicator with its raw value,
//! unit, target, normalised score and trend — and the activity records behind them, paged and
//! filtered by programme and kecamatan; `/dimensi/{id}/kegiatan.csv` downloads every record the
//! filter selects (all pages), in the order the table shows them.
//!
//! A kab/kota is measured whole: its indicator values are its own (every record in it, its
//! kecamatan's and its own, over its residents) and its scores those of its own run, the same
//! numbers as its dimension scores, its explanation and its report.

use crate::auth::Principal;
use crate::cells::neutralise;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use polars::prelude::*;
use serde::Deserialize;

use super::layout::{self, Ctx, Nav};
use super::{PageLang, PageRequest, href, regency_of, respond, selector};
use crate::analysis::activities::{ActivityFilter, ActivityJson, ActivityPage, activity_page};
use crate::analysis::indicators::{IndicatorPoint, indicator_points};
use crate::framework::{Denominator, Dimension, Framework, Indicator};
use crate::i18n::{Lang, format_date, format_number, format_score};
use crate::region::{Level, RegionCode, Regions};
use crate::server::access::Scoped;
use crate::server::params::Selection;
use crate::server::{ApiError, AppState};
use crate::view;

/// Rows per page of the activity table.
pub const PAGE_SIZE: usize = 25;

#[derive(Debug, Deserialize)]
pub(super) struct DimensionQuery {
    /// Programme code to keep.
    programme: Option<String>,
    /// Kecamatan code to keep (a kabupaten's page).
    kecamatan: Option<String>,
    /// 1-based page of the activity table.
    page: Option<String>,
}

/// The dimension, selection and filter a request names, checked against the framework, the
/// region data and the scores; errors name what is wrong and what would be valid.
struct Checked<'a> {
    dimension: &'a Dimension,
    sel: Selection,
    period: String,
    filter: ActivityFilter,
    page: usize,
}

fn check<'a>(
    state: &'a AppState,
    dim: &str,
    PageRequest { sel, query: q }: PageRequest<DimensionQuery>,
) -> Result<Checked<'a>, ApiError> {
    let framework = &state.reference.framework;
    let dimension = framework.dimension(dim).ok_or_else(|| {
        ApiError::NotFound(format!(
            "unknown dimension {dim:?}; dimensions: {}",
            framework
                .top_dimensions()
                .map(|d| d.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let snapshot = state.snapshot();
    let view = view::region_view(
        &snapshot.book,
        &state.reference.regions,
        &sel.region,
        sel.period.as_deref(),
    )?;
    let period = view.current.period.clone();
    let present = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let programme = present(q.programme);
    if let Some(p) = &programme {
        let ours = programmes_of(framework, &dimension.id);
        if !ours.iter().any(|x| x == p) {
            return Err(ApiError::BadRequest(format!(
                "programme {p:?} is not a programme of dimension {:?}; its programmes: {}",
                dimension.id,
                ours.join(", ")
            )));
        }
    }
    let kecamatan = match present(q.kecamatan) {
        None => None,
        Some(k) => {
            let code = RegionCode::parse(&k)
                .map_err(|e| ApiError::BadRequest(format!("kecamatan: {e}")))?;
            let inside = code.level() == Level::District
                && code
                    .as_str()
                    .starts_with(&format!("{}.", regency_of(&sel.region)));
            if !inside {
                return Err(ApiError::BadRequest(format!(
                    "kecamatan {code} is not a kecamatan of {}",
                    regency_of(&sel.region)
                )));
            }
            Some(code)
        }
    };
    let page = match present(q.page) {
        None => 1,
        Some(p) => p.parse::<usize>().ok().filter(|p| *p >= 1).ok_or_else(|| {
            ApiError::BadRequest(format!("page {p:?}: expected a whole number from 1"))
        })?,
    };
    let filter = ActivityFilter {
        region: sel.region.clone(),
        dimension: dimension.id.clone(),
        period: period.clone(),
        programme,
        kecamatan,
    };
    Ok(Checked {
        dimension,
        sel,
        period,
        filter,
        page,
    })
}

/// Programme codes of a dimension's indicators, in framework order, without repeats.
fn programmes_of(framework: &Framework, dimension: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ind in framework
        .indicators
        .iter()
        .filter(|i| i.dimension == dimension)
    {
        for p in std::iter::once(&ind.programme).chain(&ind.programmes) {
            if !p.is_empty() && !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out
}

/// `GET /dimensi/economy?region=35.09&period=2025&programme=umkm_go_online&kecamatan=35.09.20&page=2`
pub(super) async fn page(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    Path(dim): Path<String>,
    PageLang(lang): PageLang,
    request: Result<Scoped<PageRequest<DimensionQuery>>, ApiError>,
) -> Response {
    let st = state.clone();
    let (u, p) = (uri.clone(), principal.clone());
    let result = match request {
        Ok(Scoped { request, .. }) => {
            tokio::task::spawn_blocking(move || render(&st, &p, &u, &dim, request))
                .await
                .unwrap_or_else(|e| Err(ApiError::Internal(e.into())))
        }
        Err(e) => Err(e),
    };
    respond(&state, &principal, &uri, lang, result)
}

/// `GET /dimensi/economy/kegiatan.csv?…`: the filtered records, every page.
pub(super) async fn csv(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    Path(dim): Path<String>,
    PageLang(lang): PageLang,
    request: Result<Scoped<PageRequest<DimensionQuery>>, ApiError>,
) -> Response {
    let st = state.clone();
    let result = async move {
        let Scoped { request, .. } = request?;
        tokio::task::spawn_blocking(move || -> Result<(String, Vec<u8>), ApiError> {
            let c = check(&st, &dim, request)?;
            let snapshot = st.snapshot();
            let all = activity_page(
                &snapshot.activities,
                st.config.period,
                &c.filter,
                0,
                usize::MAX,
            )
            .map_err(|e| ApiError::Internal(e.into()))?;
            let name = format!(
                "kegiatan_{}_{}_{}.csv",
                c.filter.region, c.dimension.id, c.period
            );
            Ok((
                name,
                csv_bytes(&all.rows, &st.reference.regions).map_err(ApiError::Internal)?,
            ))
        })
        .await
        .unwrap_or_else(|e| Err(ApiError::Internal(e.into())))
    }
    .await;
    match result {
        Ok((name, bytes)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => super::error_page(&state, &principal, &uri, &e, lang),
    }
}

/// The canonical activity columns plus the kecamatan's name, numbers written plainly.
fn csv_bytes(rows: &[ActivityJson], regions: &Regions) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "activity_id",
        "date",
        "region_code",
        "region_name",
        "programme",
        "target_group",
        "quantity",
        "participants",
        "budget_idr",
        "organiser",
        "source",
        "source_row",
    ])?;
    for r in rows {
        let name = RegionCode::parse(&r.region_code)
            .ok()
            .and_then(|c| regions.get(&c).map(|x| x.name.clone()))
            .unwrap_or_default();
        w.write_record([
            neutralise(&r.activity_id).as_ref(),
            &r.date,
            &r.region_code,
            &neutralise(&name),
            &neutralise(&r.programme),
            &neutralise(r.target_group.as_deref().unwrap_or("")),
            &r.quantity.to_string(),
            &r.participants.map(|v| v.to_string()).unwrap_or_default(),
            &r.budget_idr.map(|v| v.to_string()).unwrap_or_default(),
            &neutralise(r.organiser.as_deref().unwrap_or("")),
            &neutralise(&r.source),
            &r.source_row.to_string(),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// "per 10.000 penduduk", "per km²", …: what an indicator's value is counted per.
fn per_phrase(ind: &Indicator, lang: Lang) -> String {
    let scale = if ind.scale == 1.0 {
        String::new()
    } else {
        format!("{} ", format_number(ind.scale, 0, lang))
    };
    match ind.per {
        Denominator::None => String::new(),
        Denominator::Population => format!("per {scale}{}", lang.pick("penduduk", "residents")),
        Denominator::Area => format!("per {scale}km²"),
        Denominator::Desa => format!("per {scale}{}", lang.pick("desa", "desa")),
        Denominator::Indicator => format!(
            "per {scale}{}",
            ind.per_indicator.as_deref().unwrap_or_default()
        ),
    }
}

/// A sparkline of 0–100 scores over the periods, as inline SVG with its values as its label.
fn sparkline(points: &[(String, Option<f64>)], lang: Lang) -> Markup {
    let (w, h) = (120.0, 28.0);
    let n = points.len().max(2) as f64 - 1.0;
    let xy: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| {
            v.filter(|v| v.is_finite()).map(|v| {
                (
                    i as f64 * w / n,
                    h - 2.0 - v.clamp(0.0, 100.0) / 100.0 * (h - 4.0),
                )
            })
        })
        .collect();
    let label = points
        .iter()
        .map(|(p, v)| format!("{p}: {}", format_score(*v, lang)))
        .collect::<Vec<_>>()
        .join("; ");
    let mut path = String::new();
    for (i, (x, y)) in xy.iter().enumerate() {
        let _ = write!(path, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
    }
    let last = xy.last().copied();
    html! {
        svg.spark width="120" height="28" viewBox="0 0 120 28" role="img" aria-label=(format!("{}: {label}", lang.pick("Tren skor", "Score trend"))) {
            title { (label) }
            line x1="0" y1="26" x2="120" y2="26" stroke="#d9e0e6" {}
            path d=(path) fill="none" stroke="#005a8c" stroke-width="1.5" {}
            @if let Some((x, y)) = last {
                circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="2.5" fill="#005a8c" {}
            }
        }
    }
}

fn render(
    state: &AppState,
    principal: &Principal,
    uri: &Uri,
    dim: &str,
    request: PageRequest<DimensionQuery>,
) -> Result<Markup, ApiError> {
    let c = check(state, dim, request)?;
    let lang = c.sel.lang;
    let snapshot = state.snapshot();
    let framework = &state.reference.framework;
    let regions = &state.reference.regions;
    let view = view::region_view(&snapshot.book, regions, &c.sel.region, Some(&c.period))?;
    let internal = |e: PolarsError| ApiError::Internal(e.into());
    let points = indicator_points(
        snapshot.scores_of(&c.sel.region),
        &c.sel.region,
        &c.dimension.id,
    )
    .map_err(internal)?;
    let listing = activity_page(
        &snapshot.activities,
        state.config.period,
        &c.filter,
        (c.page - 1) * PAGE_SIZE,
        PAGE_SIZE,
    )
    .map_err(internal)?;
    let pages = listing.total.div_ceil(PAGE_SIZE).max(1);
    if c.page > pages {
        return Err(ApiError::NotFound(format!(
            "page {} does not exist: the filter selects {} records, {pages} page(s) of {PAGE_SIZE}",
            c.page, listing.total
        )));
    }
    let region_str = c.sel.region.to_string();
    let period = c.period.as_str();
    let kabupaten = regency_of(&c.sel.region);
    let dim_score = view.current.dimension(&c.dimension.id);
    let title = format!("{} — {} {}", view.name, c.dimension.name(lang), period);
    let base = format!("/dimensi/{}", c.dimension.id);
    let trend = href(
        "/charts/trend.png",
        &[
            ("region", &region_str),
            ("period", period),
            ("dimension", &c.dimension.id),
            ("lang", lang.code()),
        ],
    );
    let periods = snapshot.book.periods();
    let ctx = Ctx {
        state,
        principal,
        snapshot: &snapshot,
        uri,
        lang,
        nav: Some(Nav::Dimension),
        region: Some(&region_str),
        period: Some(period),
    };
    let body = html! {
        (selector(state, principal, &base, &kabupaten, &c.sel.region, period, lang))
        nav aria-label=(lang.pick("Dimensi lain", "Other dimensions")) {
            p.muted {
                (lang.pick("Dimensi:", "Dimensions:")) " "
                @for (i, d) in framework.top_dimensions().enumerate() {
                    @if i > 0 { " · " }
                    @if d.id == c.dimension.id {
                        strong aria-current="page" { (d.name(lang)) }
                    } @else {
                        a href=(href(&format!("/dimensi/{}", d.id), &[("region", &region_str), ("period", period), ("lang", lang.code())])) { (d.name(lang)) }
                    }
                }
            }
        }
        h1 { (title) }
        div.cards {
            div.card {
                div.label { (lang.pick("Skor dimensi", "Dimension score")) }
                div.value { (format_score(dim_score.and_then(|s| s.score), lang)) }
            }
            div.card {
                div.label { (lang.pick("Peringkat", "Rank")) }
                div.value { (dim_score.and_then(|s| s.rank).map_or("–".to_string(), |r| format!("{r}/{}", view.current.peers))) }
            }
            div.card {
                div.label { (lang.pick("Perubahan sejak", "Change since")) " " (view.previous.map_or("–", |p| p.period.as_str())) }
                div.value { (super::change(view.dimension_change(&c.dimension.id), lang)) }
            }
        }
        h2 { (lang.pick("Indikator", "Indicators")) }
        @if c.sel.region.level() == Level::Regency {
            p.muted { (lang.pick(
                "Kabupaten/kota diukur utuh: nilainya mencakup semua kegiatan di wilayahnya (kecamatan dan tingkat kabupaten/kota) dibagi penduduknya, dinilai pada patokan yang sama.",
                "A kab/kota is measured whole: its values cover every activity in it (its kecamatan's and its own) over its residents, scored on the same goalposts.")) }
        }
        (indicator_table(&c, framework, &points, periods, lang))
        figure.chart {
            img src=(trend) width="800" height="500" loading="lazy"
                alt=(format!("{}: {} — {}", lang.pick("Tren skor dimensi", "Trend of the dimension score"), view.name, c.dimension.name(lang)));
            figcaption { (lang.pick("Unduh", "Download")) ": " a href=(trend) { "PNG" } }
        }
        (activities_section(&c, state, principal, &listing, lang))
    };
    Ok(layout::page(&ctx, &title, body))
}

/// The dimension's indicators in the period: raw value, denominator, value, unit, target,
/// score and the score's trend over every period.
fn indicator_table(
    c: &Checked<'_>,
    framework: &Framework,
    points: &BTreeMap<String, BTreeMap<String, IndicatorPoint>>,
    periods: &[String],
    lang: Lang,
) -> Markup {
    let period = c.period.as_str();
    let indicators: Vec<&Indicator> = framework
        .indicators
        .iter()
        .filter(|i| i.dimension == c.dimension.id)
        .collect();
    html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { (lang.pick("Indikator", "Indicator")) }
                th.num scope="col" { (lang.pick("Jumlah", "Raw total")) }
                th.num scope="col" { (lang.pick("Penyebut", "Denominator")) }
                th.num scope="col" { (lang.pick("Nilai", "Value")) }
                th scope="col" { (lang.pick("Satuan", "Unit")) }
                th.num scope="col" { (lang.pick("Target", "Target")) }
                th.num scope="col" { (lang.pick("Skor (0–100)", "Score (0–100)")) }
                th scope="col" { (lang.pick("Tren skor", "Score trend")) " " (periods.first().map_or("", String::as_str)) "–" (periods.last().map_or("", String::as_str)) }
            } }
            tbody {
                @for ind in &indicators {
                    @let series = points.get(&ind.id);
                    @let now = series.and_then(|s| s.get(period)).copied().unwrap_or_default();
                    @let trend_points: Vec<(String, Option<f64>)> = periods.iter().map(|p| (p.clone(), series.and_then(|s| s.get(p)).and_then(|x| x.score))).collect();
                    tr {
                        th scope="row" { (ind.name(lang)) br; span.muted { code { (ind.id) } } }
                        td.num { (now.raw.map_or("–".to_string(), |v| format_number(v, 0, lang))) }
                        td.num { (now.denominator.map_or("–".to_string(), |v| format_number(v, 0, lang))) }
                        td.num {
                            (now.value.map_or("–".to_string(), |v| format_number(v, 2, lang)))
                            // The predicate of the indicator's own scale (SPBE's Cukup …).
                            @if let Some(b) = now.value.and_then(|v| ind.predicate(v)) {
                                br; span.band { (lang.pick(&b.label_id, &b.label_en)) }
                            }
                        }
                        td { (lang.pick(&ind.unit_id, &ind.unit_en)) " " (per_phrase(ind, lang)) }
                        td.num { (target_cell(framework, ind, &c.sel.region, period, lang)) }
                        td.num { (format_score(now.score, lang)) }
                        td { (sparkline(&trend_points, lang)) }
                    }
                }
            }
        } }
        @if no_values_in(points, period) {
            p.muted { (lang.pick("Tidak ada nilai untuk periode ini.", "No values for this period.")) }
        }
    }
}

/// The activity records behind the dimension in the period: the filter form, the count, one
/// page of records and the pager.
fn activities_section(
    c: &Checked<'_>,
    state: &AppState,
    principal: &Principal,
    listing: &ActivityPage,
    lang: Lang,
) -> Markup {
    let framework = &state.reference.framework;
    let regions = &state.reference.regions;
    let period = c.period.as_str();
    let region_str = c.sel.region.to_string();
    let base = format!("/dimensi/{}", c.dimension.id);
    let pages = listing.total.div_ceil(PAGE_SIZE).max(1);
    let kecamatan_options: Vec<(RegionCode, String)> =
        super::region_options(state, principal, &regency_of(&c.sel.region))
            .into_iter()
            .filter(|(code, _)| code.level() == Level::District)
            .collect();
    let programme = c.filter.programme.clone().unwrap_or_default();
    let kecamatan = c
        .filter
        .kecamatan
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let filter_params = |page: usize| {
        let page = if page > 1 {
            page.to_string()
        } else {
            String::new()
        };
        href(
            &base,
            &[
                ("region", &region_str),
                ("period", period),
                ("programme", &programme),
                ("kecamatan", &kecamatan),
                ("page", &page),
                ("lang", lang.code()),
            ],
        )
    };
    let csv_href = href(
        &format!("{base}/kegiatan.csv"),
        &[
            ("region", &region_str),
            ("period", period),
            ("programme", &programme),
            ("kecamatan", &kecamatan),
        ],
    );
    let programme_name = |code: &str| {
        framework.programmes.get(code).map_or_else(
            || code.to_string(),
            |p| lang.pick(&p.name_id, &p.name_en).to_string(),
        )
    };
    let region_name = |code: &str| {
        RegionCode::parse(code)
            .ok()
            .and_then(|c| regions.get(&c).map(|r| r.name.clone()))
            .unwrap_or_else(|| code.to_string())
    };
    let first = (c.page - 1) * PAGE_SIZE;
    html! {
        h2 #kegiatan { (lang.pick("Kegiatan", "Activities")) " " (period) }
        form.select method="get" action=(base) {
            input type="hidden" name="region" value=(region_str);
            input type="hidden" name="period" value=(period);
            input type="hidden" name="lang" value=(lang.code());
            label {
                (lang.pick("Program", "Programme"))
                select name="programme" {
                    option value="" { (lang.pick("Semua program", "All programmes")) }
                    @for p in programmes_of(framework, &c.dimension.id) {
                        option value=(p) selected[p == programme] { (programme_name(&p)) }
                    }
                }
            }
            @if c.sel.region.level() == Level::Regency {
                label {
                    (lang.pick("Kecamatan", "District"))
                    select name="kecamatan" {
                        option value="" { (lang.pick("Semua kecamatan", "All districts")) }
                        @for (code, name) in &kecamatan_options {
                            option value=(code) selected[code.as_str() == kecamatan] { (name) }
                        }
                    }
                }
            }
            button type="submit" { (lang.pick("Saring", "Filter")) }
            a href=(csv_href) download { (lang.pick("Unduh CSV", "Download CSV")) " (" (format_number(listing.total as f64, 0, lang)) ")" }
        }
        p #jumlah-kegiatan {
            @match lang {
                Lang::Id => { (format_number(listing.total as f64, 0, lang)) " kegiatan" }
                Lang::En => { (format_number(listing.total as f64, 0, lang)) " activities" }
            }
            @if listing.total > 0 {
                " · " (lang.pick("menampilkan", "showing")) " " (first + 1) "–" (first + listing.rows.len())
                " · " (lang.pick("CSV berisi semua kegiatan yang tersaring.", "The CSV holds every filtered activity."))
            }
        }
        @if !listing.rows.is_empty() {
            div.scroll { table #tabel-kegiatan {
                thead { tr {
                    th scope="col" { (lang.pick("Tanggal", "Date")) }
                    th scope="col" { (lang.pick("Wilayah", "Area")) }
                    th scope="col" { (lang.pick("Program", "Programme")) }
                    th scope="col" { (lang.pick("Kelompok sasaran", "Target group")) }
                    th.num scope="col" { (lang.pick("Jumlah", "Quantity")) }
                    th.num scope="col" { (lang.pick("Peserta", "Participants")) }
                    th.num scope="col" { (lang.pick("Anggaran (Rp)", "Budget (Rp)")) }
                    th scope="col" { (lang.pick("Penyelenggara", "Organiser")) }
                    th scope="col" { (lang.pick("Kode kegiatan", "Activity id")) }
                } }
                tbody {
                    @for r in &listing.rows {
                        tr {
                            td { (chrono::NaiveDate::parse_from_str(&r.date, "%Y-%m-%d").map_or_else(|_| r.date.clone(), |d| format_date(d, lang))) }
                            td { (region_name(&r.region_code)) }
                            td { (programme_name(&r.programme)) }
                            td { (r.target_group.as_deref().unwrap_or("")) }
                            td.num { (format_number(r.quantity, if r.quantity.fract() == 0.0 { 0 } else { 1 }, lang)) }
                            td.num { (r.participants.map_or(String::new(), |v| format_number(v as f64, 0, lang))) }
                            td.num { (r.budget_idr.map_or(String::new(), |v| format_number(v, 0, lang))) }
                            td { (r.organiser.as_deref().unwrap_or("")) }
                            td { code.id { (r.activity_id) } }
                        }
                    }
                }
            } }
            @if pages > 1 {
                nav.pager aria-label=(lang.pick("Halaman", "Pages")) {
                    @if c.page > 1 { a href=(format!("{}#kegiatan", filter_params(c.page - 1))) rel="prev" { "← " (lang.pick("Sebelumnya", "Previous")) } }
                    span { (lang.pick("Halaman", "Page")) " " (c.page) " " (lang.pick("dari", "of")) " " (pages) }
                    @if c.page < pages { a href=(format!("{}#kegiatan", filter_params(c.page + 1))) rel="next" { (lang.pick("Berikutnya", "Next")) " →" } }
                }
            }
        }
    }
}

fn no_values_in(points: &BTreeMap<String, BTreeMap<String, IndicatorPoint>>, period: &str) -> bool {
    !points.values().any(|s| s.contains_key(period))
}

/// The regional target of an indicator when the framework has one, else its upper goalpost.
fn target_cell(
    framework: &Framework,
    ind: &Indicator,
    region: &RegionCode,
    period: &str,
    lang: Lang,
) -> Markup {
    let regional = framework
        .targets
        .as_ref()
        .and_then(|t| t.get(region.as_str(), &ind.id, period));
    match (regional, ind.goalposts) {
        (Some(t), _) => html! { (format_number(t, 2, lang)) },
        (None, Some([_, hi])) => html! {
            (format_number(hi, 2, lang)) " " span.muted { "(goalpost)" }
        },
        _ => html! { "–" },
    }
}
