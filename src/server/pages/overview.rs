//! `/`: the overview of a region and period — index, predicate, rank and change since the last
//! period, the radar, the map of its kecamatan and the trend, the ranking of the kabupaten's
//! kecamatan, and what the stored data rests on. For a province it lists the province's kab/kota
//! that have scores and says plainly which have none.

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{self, Ctx, Nav};
use super::{PageLang, PageRequest, change, href, predicate, regency_of, respond, selector};
use crate::auth::{Principal, Scope};
use crate::i18n::{Lang, format_date, format_number, format_score};
use crate::job::Snapshot;
use crate::region::{Level, RegionCode};
use crate::score::{Granularity, RegionScore};
use crate::server::access::Scoped;
use crate::server::params::Selection;
use crate::server::{ApiError, AppState};
use crate::view::{self, MapScope, RegionView};

/// `GET /?region=35.09.20&period=2025&lang=id`
pub(super) async fn page(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    PageLang(lang): PageLang,
    request: Result<Scoped<PageRequest>, ApiError>,
) -> Response {
    let result = request.and_then(|Scoped { request, .. }| {
        let sel = request.sel;
        if sel.region.level() == Level::Province {
            province(&state, &principal, &uri, &sel)
        } else {
            render(&state, &principal, &uri, &sel)
        }
    });
    respond(&state, &principal, &uri, lang, result)
}

fn chart_href(kind: &str, ext: &str, region: &RegionCode, period: &str, lang: Lang) -> String {
    href(
        &format!("/charts/{kind}.{ext}"),
        &[
            ("region", region.as_str()),
            ("period", period),
            ("lang", lang.code()),
        ],
    )
}

fn render(
    state: &AppState,
    principal: &Principal,
    uri: &Uri,
    sel: &Selection,
) -> Result<Markup, ApiError> {
    let snapshot = state.snapshot();
    let regions = &state.reference.regions;
    let framework = &state.reference.framework;
    let lang = sel.lang;
    let view = view::region_view(&snapshot.book, regions, &sel.region, sel.period.as_deref())?;
    let period = view.current.period.clone();
    let kabupaten = regency_of(&sel.region);
    let kab_name = regions
        .get(&kabupaten)
        .map_or_else(|| kabupaten.to_string(), |r| r.display_name());
    let ranking = snapshot.book.ranking(kabupaten.as_str(), &period);
    let title = format!("{} — {} {}", view.name, view::index_label(lang), period);
    let has_map = view::map_layer(
        &state.reference.boundaries,
        &sel.region,
        MapScope::Kecamatan,
    )
    .is_ok();
    let region_str = sel.region.to_string();
    let ctx = Ctx {
        state,
        principal,
        snapshot: &snapshot,
        uri,
        lang,
        nav: Some(Nav::Overview),
        region: Some(&region_str),
        period: Some(&period),
    };
    let radar = chart_href("radar", "png", &sel.region, &period, lang);
    let body = html! {
        (selector(state, principal, "/", &kabupaten, &sel.region, &period, lang))
        h1 { (title) }
        p.muted {
            (framework.name(lang)) " (" (framework.id) " " (framework.version) "), "
            (match state.config.period {
                Granularity::Year => lang.pick("periode tahunan", "yearly periods"),
                Granularity::Quarter => lang.pick("periode triwulanan", "quarterly periods"),
                Granularity::Month => lang.pick("periode bulanan", "monthly periods"),
            }) ". "
            (capitalised(view::scale_phrase(framework.normalisation, view.level, lang))) "."
            " " a href=(href("/metode", &[("lang", lang.code())])) { (lang.pick("Cara penghitungan", "How scores are made")) }
        }
        (cards(state, &snapshot, &view, lang))
        div.grid {
            figure {
                img src=(radar) width="800" height="500"
                    alt=(format!("{}: {}", lang.pick("Diagram radar tujuh dimensi", "Radar chart of the seven dimensions"), title));
                figcaption {
                    (lang.pick("Unduh", "Download")) ": "
                    a href=(radar) { "PNG" } " · "
                    a href=(chart_href("radar", "svg", &sel.region, &period, lang)) { "SVG" } " · "
                    a href=(href("/api/v1/scores", &[("region", &region_str), ("period", &period)])) { "JSON" }
                    // Report links only for callers the report route will serve.
                    @if principal
                        .require_region_report(&sel.region, state.access.settings().own_region_reports)
                        .is_ok()
                    {
                        br;
                        (lang.pick("Laporan", "Report")) ": "
                        a href=(format!("/reports/{region_str}/{period}.pdf")) { "PDF" } " · "
                        a href=(format!("/reports/{region_str}/{period}.xlsx")) { "Excel" }
                    }
                }
            }
            (dimension_table(framework, &view, &region_str, &period, lang))
        }
        div.grid.pair {
            @if has_map {
                (figure("map", lang.pick("Peta indeks per kecamatan", "Map of the index by district"), &view.name, &sel.region, &period, lang))
            } @else {
                p.muted { (lang.pick("Batas kecamatan hanya tersedia untuk Kabupaten Jember; peta tidak ditampilkan.",
                                     "District boundaries exist for Kabupaten Jember only; no map is shown.")) }
            }
            (figure("trend", lang.pick("Tren indeks dan dimensi", "Trend of the index and dimensions"), &view.name, &sel.region, &period, lang))
        }
        h2 { (lang.pick("Peringkat kecamatan", "District ranking")) " — " (kab_name) ", " (period) }
        (kecamatan_ranking(state, &ranking, &sel.region, &period, lang))
        // Sources and rejected rows cover every region's uploads: only for callers who may
        // see every region.
        @if principal.scope() == &Scope::All {
            (data_section(&snapshot, lang))
        }
    };
    Ok(layout::page(&ctx, &title, body))
}

/// The region's score, rank and change per dimension, each dimension linking to its page.
fn dimension_table(
    framework: &crate::framework::Framework,
    view: &view::RegionView,
    region_str: &str,
    period: &str,
    lang: Lang,
) -> Markup {
    html! {
        div {
            h2 { (lang.pick("Skor dimensi", "Dimension scores")) }
            table {
                caption.muted { (lang.pick("Pilih dimensi untuk melihat indikator dan kegiatannya.", "Pick a dimension to see its indicators and activities.")) }
                thead { tr {
                    th scope="col" { (lang.pick("Dimensi", "Dimension")) }
                    th.num scope="col" { (lang.pick("Skor", "Score")) }
                    th.num scope="col" { (lang.pick("Peringkat", "Rank")) }
                    th.num scope="col" { (lang.pick("Perubahan", "Change")) }
                } }
                tbody {
                    @for d in framework.top_dimensions() {
                        @let s = view.current.dimension(&d.id);
                        tr {
                            th scope="row" { a href=(href(&format!("/dimensi/{}", d.id), &[("region", region_str), ("period", period), ("lang", lang.code())])) { (d.name(lang)) } }
                            td.num { (format_score(s.and_then(|s| s.score), lang)) }
                            td.num { (s.and_then(|s| s.rank).map_or("–".to_string(), |r| format!("{r}/{}", view.current.peers))) }
                            td.num { (change(view.dimension_change(&d.id), lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// The kabupaten's kecamatan ranked in the period, index and every dimension, `selected`
/// highlighted; each name links to its own overview.
fn kecamatan_ranking(
    state: &AppState,
    ranking: &[&RegionScore],
    selected: &RegionCode,
    period: &str,
    lang: Lang,
) -> Markup {
    let (regions, framework) = (&state.reference.regions, &state.reference.framework);
    let sel_region = selected;
    let page_href = |region: &RegionCode| {
        href(
            "/",
            &[
                ("region", region.as_str()),
                ("period", period),
                ("lang", lang.code()),
            ],
        )
    };
    html! {
        @if ranking.is_empty() {
            p.muted { (lang.pick("Belum ada skor kecamatan untuk periode ini.", "No district scores for this period.")) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th.num scope="col" { (lang.pick("Peringkat", "Rank")) }
                    th scope="col" { (lang.pick("Kecamatan", "District")) }
                    th.num scope="col" { (lang.pick("Indeks", "Index")) }
                    th scope="col" { (lang.pick("Predikat", "Predicate")) }
                    @for d in framework.top_dimensions() { th.num scope="col" { (d.name(lang)) } }
                } }
                tbody {
                    @for rs in ranking {
                        @let name = regions.get(&rs.region).map_or(rs.region.to_string(), |r| r.name.clone());
                        tr.selected[rs.region == *sel_region] {
                            td.num { (rs.rank.map_or("–".to_string(), |r| r.to_string())) }
                            th scope="row" { a href=(page_href(&rs.region)) { (name) } }
                            td.num { (format_score(rs.index, lang)) }
                            td { (predicate(framework, rs.index, lang)) }
                            @for d in framework.top_dimensions() {
                                td.num { (format_score(rs.dimension(&d.id).and_then(|s| s.score), lang)) }
                            }
                        }
                    }
                }
            } }
        }
    }
}

fn figure(
    kind: &str,
    alt: &str,
    name: &str,
    region: &RegionCode,
    period: &str,
    lang: Lang,
) -> Markup {
    let png = chart_href(kind, "png", region, period, lang);
    html! {
        figure {
            img src=(png) width="800" height="500" loading="lazy" alt=(format!("{alt}: {name}"));
            figcaption {
                (lang.pick("Unduh", "Download")) ": "
                a href=(png) { "PNG" } " · "
                a href=(chart_href(kind, "svg", region, period, lang)) { "SVG" }
            }
        }
    }
}

/// The index, predicate, rank, coverage and change cards, from the snapshot `view` was read
/// from (a newer one swapped in meanwhile could count other peers).
fn cards(state: &AppState, snapshot: &Snapshot, view: &RegionView<'_>, lang: Lang) -> Markup {
    let cur = view.current;
    let framework = &state.reference.framework;
    // Coverage: how many of the peer group have data in the period, and how many of the
    // framework's dimensions the region has a score in, so a number is read with its gaps.
    let peers = snapshot.book.ranking(&cur.peer, &cur.period);
    let with_data = peers.iter().filter(|rs| rs.index.is_some()).count();
    // Kab/kota the data never covered have no row in the book: count them from the regions.
    let members = match view.level {
        Level::District => peers.len(),
        _ => RegionCode::parse(&cur.peer)
            .map(|p| state.reference.regions.children(&p).len())
            .unwrap_or(peers.len())
            .max(peers.len()),
    };
    let dims = cur.dimensions.iter().filter(|d| d.score.is_some()).count();
    let level = match (view.level, lang) {
        (Level::District, Lang::Id) => "kecamatan",
        (Level::District, Lang::En) => "districts",
        (_, Lang::Id) => "kabupaten/kota",
        (_, Lang::En) => "regencies/cities",
    };
    html! {
        div.cards {
            div.card {
                div.label { (lang.pick("Indeks", "Index")) }
                div.value { (format_score(cur.index, lang)) }
            }
            div.card {
                div.label { (lang.pick("Predikat", "Predicate")) }
                div.value { (predicate(framework, cur.index, lang)) }
            }
            div.card {
                div.label { (lang.pick("Peringkat", "Rank")) }
                div.value { (cur.rank.map_or("–".to_string(), |r| r.to_string())) }
                div.muted { (view::rank_phrase(cur.rank, cur.peers, view.level, lang)) }
            }
            div.card {
                div.label { (lang.pick("Cakupan data", "Data coverage")) }
                div.value { (with_data) "/" (members) }
                div.muted {
                    (level) " " (lang.pick("bernilai", "with data")) " · "
                    (dims) " " (lang.pick("dari", "of")) " " (cur.dimensions.len()) " "
                    (lang.pick("dimensi bernilai untuk wilayah ini", "dimensions scored for this region"))
                }
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

/// A province: its kab/kota with scores (a table and the province map), and a plain statement
/// of how many have none, rather than an empty or invented picture.
fn province(
    state: &AppState,
    principal: &Principal,
    uri: &Uri,
    sel: &Selection,
) -> Result<Markup, ApiError> {
    let snapshot = state.snapshot();
    let regions = &state.reference.regions;
    let lang = sel.lang;
    let info = regions.get(&sel.region).ok_or_else(|| {
        ApiError::NotFound(format!(
            "region {} is not a known Kemendagri region",
            sel.region
        ))
    })?;
    let period = match sel.period.as_deref() {
        Some(p) if snapshot.book.periods().iter().any(|x| x == p) => p.to_string(),
        Some(p) => {
            return Err(ApiError::NotFound(format!(
                "no scores for period {p:?}; periods with scores: {}",
                snapshot.book.periods().join(", ")
            )));
        }
        None => snapshot
            .book
            .latest_period()
            .unwrap_or_default()
            .to_string(),
    };
    let members = regions.children(&sel.region);
    let mut scored: Vec<_> = members
        .iter()
        .filter_map(|c| snapshot.book.get(c, &period))
        .collect();
    scored.sort_by(|a, b| {
        b.index
            .unwrap_or(f64::MIN)
            .total_cmp(&a.index.unwrap_or(f64::MIN))
    });
    let has_map =
        view::map_layer(&state.reference.boundaries, &sel.region, MapScope::Province).is_ok();
    let title = format!(
        "{} — {} {}",
        info.display_name(),
        view::index_label(lang),
        period
    );
    let region_str = sel.region.to_string();
    let ctx = Ctx {
        state,
        principal,
        snapshot: &snapshot,
        uri,
        lang,
        nav: Some(Nav::Overview),
        region: Some(&region_str),
        period: Some(&period),
    };
    let map = href(
        "/charts/map.png",
        &[
            ("region", &region_str),
            ("period", &period),
            ("map", "provinsi"),
            ("lang", lang.code()),
        ],
    );
    let body = html! {
        h1 { (title) }
        p {
            @match lang {
                Lang::Id => { (scored.len()) " dari " (members.len()) " kabupaten/kota di " (info.name) " punya skor untuk " (period) ". " }
                Lang::En => { (scored.len()) " of the " (members.len()) " regencies and cities of " (info.name) " have scores for " (period) ". " }
            }
            (lang.pick("Kabupaten/kota lain belum punya data kegiatan, sehingga tidak dinilai; peta menandainya \"Tidak ada data\".",
                       "The others have no activity data yet and are not scored; the map marks them \"No data\"."))
        }
        @if !scored.is_empty() {
            (regency_table(state, &scored, &period, lang))
        }
        @if has_map {
            figure {
                img src=(map) width="800" height="500"
                    alt=(format!("{}: {}", lang.pick("Peta indeks per kabupaten/kota", "Map of the index by regency/city"), info.name));
                figcaption { a href=(map) { "PNG" } }
            }
        } @else {
            p.muted { (lang.pick("Tidak ada batas kabupaten/kota untuk provinsi ini; peta tidak ditampilkan.",
                                 "No regency boundaries for this province; no map is shown.")) }
        }
    };
    Ok(layout::page(&ctx, &title, body))
}

/// The province's kab/kota with scores: index, predicate, rank in the province and among all
/// kab/kota, and every dimension.
fn regency_table(state: &AppState, scored: &[&RegionScore], period: &str, lang: Lang) -> Markup {
    let (regions, framework) = (&state.reference.regions, &state.reference.framework);
    let rank = |r: Option<u32>, n: u32| r.map_or("–".to_string(), |r| format!("{r}/{n}"));
    html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { (lang.pick("Kabupaten/kota", "Regency/city")) }
                th.num scope="col" { (lang.pick("Indeks", "Index")) }
                th scope="col" { (lang.pick("Predikat", "Predicate")) }
                th.num scope="col" { (lang.pick("Peringkat provinsi", "Rank in province")) }
                th.num scope="col" { (lang.pick("Peringkat nasional", "National rank")) }
                @for d in framework.top_dimensions() { th.num scope="col" { (d.name(lang)) } }
            } }
            tbody {
                @for rs in scored {
                    tr {
                        th scope="row" { a href=(href("/", &[("region", rs.region.as_str()), ("period", period), ("lang", lang.code())])) {
                            (regions.get(&rs.region).map_or(rs.region.to_string(), |r| r.display_name()))
                        } }
                        td.num { (format_score(rs.index, lang)) }
                        td { (predicate(framework, rs.index, lang)) }
                        td.num { (rank(rs.rank, rs.peers)) }
                        td.num { (rank(rs.national_rank, rs.national_peers)) }
                        @for d in framework.top_dimensions() {
                            td.num { (format_score(rs.dimension(&d.id).and_then(|s| s.score), lang)) }
                        }
                    }
                }
            }
        } }
    }
}

/// What the scores rest on: the stored sources and the rows the last ingest rejected.
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
        h2 { (lang.pick("Data kegiatan", "Activity data")) }
        p {
            (n(snapshot.activities.len())) " "
            (lang.pick("kegiatan tersimpan dari", "activities stored from")) " "
            (latest.len()) " " (lang.pick("sumber", "sources")) "."
        }
        div.scroll { table {
            thead { tr {
                th scope="col" { (lang.pick("Sumber", "Source")) }
                th scope="col" { (lang.pick("Dimuat", "Ingested")) }
                th.num scope="col" { (lang.pick("Baris", "Rows")) }
                th.num scope="col" { (lang.pick("Diterima", "Accepted")) }
                th.num scope="col" { (lang.pick("Ditolak", "Rejected")) }
                th scope="col" { "SHA-256" }
            } }
            tbody {
                @for s in &latest {
                    tr {
                        th scope="row" { (s.name) }
                        td { (chrono::DateTime::parse_from_rfc3339(&s.ingested_at)
                                .map(|t| format_date(t.date_naive(), lang))
                                .unwrap_or_else(|_| s.ingested_at.clone())) }
                        td.num { (n(s.rows)) }
                        td.num { (n(s.accepted)) }
                        td.num { (n(s.rejected)) }
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
                (super::ingest::rejections_table(&report.rejections, lang))
            }
        }
    }
}

/// `s` with its first letter upper-case, for a phrase that opens a sentence.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
