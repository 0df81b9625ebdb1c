//! The dashboard page: server-rendered HTML, Bahasa Indonesia by default, no JavaScript.
//!
//! Shows one region and period: the index with rank and change, the radar, the dimension scores,
//! the ranking of the kabupaten's kecamatan, and what the last ingest read and rejected.
//! Choosing another region, period or language is a plain GET form or a link.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::params::{RawSelection, Selection};
use super::{ApiError, AppState, auth};
use crate::auth::{Capability, Principal, Scope};
use crate::i18n::{Lang, format_date, format_number, format_score};
use crate::job::Snapshot;
use crate::region::{Level, RegionCode};
use crate::score::Granularity;
use crate::view::{self, RegionView};

const STYLE: &str = r#"
:root { --ink:#1b2733; --muted:#5b6b7a; --line:#d9e0e6; --accent:#0072B2; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font-family: "DejaVu Sans", "Segoe UI", Roboto, Arial, sans-serif; color:var(--ink); background:var(--bg); line-height:1.45; }
header { background:#0b3954; color:#fff; padding:.8rem 1.5rem; display:flex; flex-wrap:wrap; gap:1rem; align-items:center; justify-content:space-between; }
header a { color:#fff; }
header h1 { font-size:1.15rem; margin:0; }
main { max-width:1200px; margin:0 auto; padding:1rem 1.5rem 3rem; }
form.select { display:flex; flex-wrap:wrap; gap:.75rem; align-items:end; background:#fff; border:1px solid var(--line); border-radius:6px; padding:.75rem 1rem; }
form.select label { display:flex; flex-direction:column; font-size:.85rem; color:var(--muted); }
select, button { font:inherit; padding:.35rem .5rem; border:1px solid #9aa8b5; border-radius:4px; background:#fff; }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
button:focus, select:focus, a:focus { outline:3px solid #E69F00; outline-offset:2px; }
h2 { font-size:1.4rem; margin:1.2rem 0 .4rem; }
h3 { font-size:1.1rem; margin:1.5rem 0 .5rem; }
.cards { display:flex; flex-wrap:wrap; gap:1rem; margin:.8rem 0; }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:.7rem 1rem; min-width:11rem; }
.card .label { font-size:.8rem; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
.card .value { font-size:1.8rem; font-weight:bold; }
.up { color:#006d4f; } .down { color:#b3261e; }
.grid { display:grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap:1.2rem; align-items:start; }
.grid.pair { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); margin-top:1.2rem; }
@media (max-width: 900px) { .grid, .grid.pair { grid-template-columns: 1fr; } }
figure { margin:0; background:#fff; border:1px solid var(--line); border-radius:6px; padding:.5rem; }
figure img { width:100%; height:auto; display:block; }
figcaption { font-size:.8rem; color:var(--muted); padding:.3rem .2rem 0; }
table { border-collapse:collapse; width:100%; background:#fff; font-size:.92rem; }
th, td { border-bottom:1px solid var(--line); padding:.35rem .5rem; text-align:left; }
th { background:#eef2f5; font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
tr.selected td { background:#e3f0fa; font-weight:bold; }
.scroll { overflow-x:auto; }
.muted { color:var(--muted); font-size:.85rem; }
footer { margin-top:2rem; font-size:.8rem; color:var(--muted); }
"#;

/// `GET /?region=35.09.20&period=2025&lang=id`
pub async fn page(
    State(state): State<AppState>,
    principal: Principal,
    uri: axum::http::Uri,
    Query(raw): Query<RawSelection>,
) -> Response {
    let lang = raw
        .lang
        .as_deref()
        .and_then(|l| l.parse::<Lang>().ok())
        .unwrap_or_default();
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    let result = principal
        .require(Capability::View)
        .map_err(ApiError::from)
        .and_then(|()| raw.parse_for(&state, &principal))
        .and_then(|sel| render(&state, &principal, &sel));
    match result {
        Ok(markup) => markup.into_response(),
        Err(e) => (e.status(), error_page(&e, &principal, lang, here)).into_response(),
    }
}

fn render(state: &AppState, principal: &Principal, sel: &Selection) -> Result<Markup, ApiError> {
    let snapshot = state.snapshot();
    let regions = &state.reference.regions;
    let framework = &state.reference.framework;
    let lang = sel.lang;
    let view = view::region_view(&snapshot.book, regions, &sel.region, sel.period.as_deref())?;
    let period = view.current.period.clone();
    let kabupaten = match view.level {
        Level::District => sel.region.parent().unwrap_or_else(|| sel.region.clone()),
        _ => sel.region.clone(),
    };
    let kab_name = regions
        .get(&kabupaten)
        .map_or_else(|| kabupaten.to_string(), |r| r.display_name());
    let query = |region: &RegionCode, period: &str, lang: Lang| {
        format!("?region={region}&period={period}&lang={}", lang.code())
    };
    let chart_src = |ext: &str| format!("/charts/radar.{ext}{}", query(&sel.region, &period, lang));
    let ranking = snapshot.book.ranking(kabupaten.as_str(), &period);
    let title = format!("{} — {} {}", view.name, view::index_label(lang), period);

    Ok(html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · kotacerdas" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "kotacerdas · " (lang.pick("Dasbor Kota Cerdas", "Smart City Dashboard")) }
                    nav aria-label=(lang.pick("Bahasa dan akun", "Language and account")) {
                        @let other = match lang { Lang::Id => Lang::En, Lang::En => Lang::Id };
                        a href=(query(&sel.region, &period, other)) hreflang=(other.code()) {
                            (lang.pick("English", "Bahasa Indonesia"))
                        }
                        " · "
                        (auth::nav(principal, lang, &format!("/{}", query(&sel.region, &period, lang))))
                    }
                }
                main {
                    (selector(state, principal, &snapshot, &kabupaten, &sel.region, &period, lang))
                    h2 { (title) }
                    p.muted {
                        (framework.name(lang)) " (" (framework.id) " " (framework.version) "), "
                        (match state.config.period {
                            Granularity::Year => lang.pick("periode tahunan", "yearly periods"),
                            Granularity::Quarter => lang.pick("periode triwulanan", "quarterly periods"),
                            Granularity::Month => lang.pick("periode bulanan", "monthly periods"),
                        }) ". "
                        (lang.pick("Skor 0–100: 100 = terbaik di antara kecamatan sekabupaten.",
                                   "Scores 0–100: 100 = best among the kabupaten's districts."))
                    }
                    (cards(&view, lang))
                    div.grid {
                        figure {
                            img src=(chart_src("png")) width="800" height="500"
                                alt=(format!("{}: {}", lang.pick("Diagram radar tujuh dimensi", "Radar chart of the seven dimensions"), title));
                            figcaption {
                                (lang.pick("Unduh", "Download")) ": "
                                a href=(chart_src("png")) { "PNG" } " · "
                                a href=(chart_src("svg")) { "SVG" } " · "
                                a href=(format!("/api/v1/scores?region={}&period={}", sel.region, period)) { "JSON" }
                            }
                        }
                        div {
                            h3 { (lang.pick("Skor dimensi", "Dimension scores")) }
                            table {
                                thead { tr {
                                    th scope="col" { (lang.pick("Dimensi", "Dimension")) }
                                    th.num scope="col" { (lang.pick("Skor", "Score")) }
                                    th.num scope="col" { (lang.pick("Peringkat", "Rank")) }
                                    th.num scope="col" { (lang.pick("Perubahan", "Change")) }
                                } }
                                tbody {
                                    @for d in &framework.dimensions {
                                        @let s = view.current.dimension(&d.id);
                                        tr {
                                            th scope="row" { (d.name(lang)) }
                                            td.num { (format_score(s.and_then(|s| s.score), lang)) }
                                            td.num { (s.and_then(|s| s.rank).map_or("–".to_string(), |r| format!("{r}/{}", view.current.peers))) }
                                            td.num { (change(view.dimension_change(&d.id), lang)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div.grid.pair {
                        @for (kind, alt_id, alt_en) in [
                            ("map", "Peta indeks per kecamatan", "Map of the index by district"),
                            ("trend", "Tren indeks dan dimensi", "Trend of the index and dimensions"),
                        ] {
                            figure {
                                img src=(format!("/charts/{kind}.png{}", query(&sel.region, &period, lang)))
                                    width="800" height="500" loading="lazy"
                                    alt=(format!("{}: {}", lang.pick(alt_id, alt_en), view.name));
                                figcaption {
                                    (lang.pick("Unduh", "Download")) ": "
                                    a href=(format!("/charts/{kind}.png{}", query(&sel.region, &period, lang))) { "PNG" } " · "
                                    a href=(format!("/charts/{kind}.svg{}", query(&sel.region, &period, lang))) { "SVG" }
                                }
                            }
                        }
                    }
                    h3 { (lang.pick("Peringkat kecamatan", "District ranking")) " — " (kab_name) ", " (period) }
                    @if ranking.is_empty() {
                        p.muted { (lang.pick("Belum ada skor kecamatan untuk periode ini.", "No district scores for this period.")) }
                    } @else {
                        div.scroll { table {
                            thead { tr {
                                th.num scope="col" { (lang.pick("Peringkat", "Rank")) }
                                th scope="col" { (lang.pick("Kecamatan", "District")) }
                                th.num scope="col" { (lang.pick("Indeks", "Index")) }
                                @for d in &framework.dimensions { th.num scope="col" { (d.name(lang)) } }
                            } }
                            tbody {
                                @for rs in &ranking {
                                    @let name = regions.get(&rs.region).map_or(rs.region.to_string(), |r| r.name.clone());
                                    tr.selected[rs.region == sel.region] {
                                        td.num { (rs.rank.map_or("–".to_string(), |r| r.to_string())) }
                                        td { a href=(query(&rs.region, &period, lang)) { (name) } }
                                        td.num { (format_score(rs.index, lang)) }
                                        @for d in &framework.dimensions {
                                            td.num { (format_score(rs.dimension(&d.id).and_then(|s| s.score), lang)) }
                                        }
                                    }
                                }
                            }
                        } }
                    }
                    // Sources and rejected rows cover every region's uploads: only for callers
                    // who may see every region.
                    @if principal.scope() == &Scope::All {
                        (data_section(&snapshot, lang))
                    }
                    footer {
                        p { (view::source_line(lang)) ". "
                            (lang.pick("Data wilayah: Kepmendagri 2025 (cahyadsn/wilayah, MIT); batas wilayah: HDX/BPS (CC BY-IGO).",
                                       "Region data: Kepmendagri 2025 (cahyadsn/wilayah, MIT); boundaries: HDX/BPS (CC BY-IGO).")) }
                        p { (lang.pick("Diperbarui", "Updated")) " " (format_date(snapshot.finished_at.date_naive(), lang))
                            " " (snapshot.finished_at.format("%H:%M")) }
                    }
                }
            }
        }
    })
}

fn change(delta: Option<f64>, lang: Lang) -> Markup {
    match delta {
        Some(d) if d > 0.05 => html! { span.up { "▲ +" (format_number(d, 1, lang)) } },
        Some(d) if d < -0.05 => html! { span.down { "▼ " (format_number(d, 1, lang)) } },
        Some(_) => html! { "= 0" },
        None => html! { "–" },
    }
}

fn cards(view: &RegionView<'_>, lang: Lang) -> Markup {
    let cur = view.current;
    html! {
        div.cards {
            div.card {
                div.label { (lang.pick("Indeks", "Index")) }
                div.value { (format_score(cur.index, lang)) }
            }
            div.card {
                div.label { (lang.pick("Peringkat", "Rank")) }
                div.value { (cur.rank.map_or("–".to_string(), |r| r.to_string())) }
                div.muted { (view::rank_phrase(cur.rank, cur.peers, view.level, lang)) }
            }
            div.card {
                div.label {
                    (lang.pick("Perubahan sejak", "Change since")) " "
                    (view.previous.map_or("–", |p| p.period.as_str()))
                }
                div.value { (change(view.index_change(), lang)) }
            }
        }
    }
}

fn selector(
    state: &AppState,
    principal: &Principal,
    snapshot: &Snapshot,
    kabupaten: &RegionCode,
    selected: &RegionCode,
    period: &str,
    lang: Lang,
) -> Markup {
    let regions = &state.reference.regions;
    let mut options: Vec<(RegionCode, String)> = Vec::new();
    if let Some(k) = regions
        .get(kabupaten)
        .filter(|_| principal.can_see(kabupaten))
    {
        options.push((kabupaten.clone(), k.display_name()));
    }
    let mut kecamatan: Vec<(RegionCode, String)> = regions
        .children(kabupaten)
        .iter()
        .filter(|c| snapshot.book.has_region(c) && principal.can_see(c))
        .filter_map(|c| {
            regions
                .get(c)
                .map(|r| (c.clone(), format!("Kecamatan {}", r.name)))
        })
        .collect();
    kecamatan.sort_by(|a, b| a.1.cmp(&b.1));
    options.extend(kecamatan);
    html! {
        form.select method="get" action="/" {
            label {
                (lang.pick("Wilayah", "Region"))
                select name="region" {
                    @for (code, name) in &options {
                        option value=(code) selected[code == selected] { (name) }
                    }
                }
            }
            label {
                (lang.pick("Periode", "Period"))
                select name="period" {
                    @for p in snapshot.book.periods().iter().rev() {
                        option value=(p) selected[p == period] { (p) }
                    }
                }
            }
            input type="hidden" name="lang" value=(lang.code());
            button type="submit" { (lang.pick("Tampilkan", "Show")) }
        }
    }
}

fn data_section(snapshot: &Snapshot, lang: Lang) -> Markup {
    let report = &snapshot.report;
    // The latest ingest of each source, newest first: what the scores rest on.
    let mut latest: Vec<&crate::store::SourceRecord> = Vec::new();
    for s in snapshot.manifest.sources.iter().rev() {
        if !latest.iter().any(|l| l.name == s.name) {
            latest.push(s);
        }
    }
    let n = |v: usize| format_number(v as f64, 0, lang);
    html! {
        h3 { (lang.pick("Data kegiatan", "Activity data")) }
        p {
            (n(snapshot.activities.len())) " "
            (lang.pick("kegiatan tersimpan dari", "activities stored from")) " "
            (latest.len()) " " (lang.pick("sumber", "sources")) "."
        }
        div.scroll { table {
            thead { tr {
                th scope="col" { (lang.pick("Sumber", "Source")) }
                th scope="col" { (lang.pick("Diingest", "Ingested")) }
                th.num scope="col" { (lang.pick("Baris", "Rows")) }
                th.num scope="col" { (lang.pick("Diterima", "Accepted")) }
                th.num scope="col" { (lang.pick("Ditolak", "Rejected")) }
                th.num scope="col" { (lang.pick("Baru", "Added")) }
                th.num scope="col" { (lang.pick("Diganti", "Replaced")) }
                th scope="col" { "SHA-256" }
            } }
            tbody {
                @for s in &latest {
                    tr {
                        td { (s.name) }
                        td { (chrono::DateTime::parse_from_rfc3339(&s.ingested_at)
                                .map(|t| format_date(t.date_naive(), lang))
                                .unwrap_or_else(|_| s.ingested_at.clone())) }
                        td.num { (n(s.rows)) }
                        td.num { (n(s.accepted)) }
                        td.num { (n(s.rejected)) }
                        td.num { (n(s.added)) }
                        td.num { (n(s.replaced)) }
                        td { code { (s.checksum.get(..12).unwrap_or(&s.checksum)) } }
                    }
                }
            }
        } }
        @for f in report.failed_files() {
            p.down { (f.source) ": " (f.error.as_deref().unwrap_or_default()) }
        }
        @if !report.rejections.is_empty() {
            details {
                summary { (lang.pick("Baris yang ditolak", "Rejected rows")) " (" (report.rejections.len()) ")" }
                div.scroll { table {
                    thead { tr {
                        th { (lang.pick("Berkas", "File")) }
                        th.num { (lang.pick("Baris", "Row")) }
                        th { (lang.pick("Kolom", "Column")) }
                        th { (lang.pick("Nilai", "Value")) }
                        th { (lang.pick("Alasan", "Reason")) }
                    } }
                    tbody {
                        @for r in report.rejections.iter().take(200) {
                            tr {
                                td { (r.source) }
                                td.num { (r.row) }
                                td { code { (r.column) } }
                                td { (r.value.as_deref().unwrap_or("")) }
                                td { (lang.pick(&r.reason_id, &r.reason_en)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn error_page(e: &ApiError, principal: &Principal, lang: Lang, here: &str) -> Markup {
    let heading = if e.status() == StatusCode::NOT_FOUND {
        lang.pick("Tidak ditemukan", "Not found")
    } else if e.status() == StatusCode::UNAUTHORIZED {
        lang.pick("Silakan masuk", "Please sign in")
    } else if e.status() == StatusCode::FORBIDDEN {
        lang.pick("Akses ditolak", "Access denied")
    } else {
        lang.pick(
            "Permintaan tidak dapat diproses",
            "Request could not be handled",
        )
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (heading) " · kotacerdas" } style { (PreEscaped(STYLE)) } }
            body { main {
                h2 { (heading) }
                p { (e.public_message()) }
                p { (auth::nav(principal, lang, here)) }
                @if principal.role().is_some() {
                    p { a href="/" { (lang.pick("Kembali ke dasbor", "Back to the dashboard")) } }
                }
            } }
        }
    }
}
