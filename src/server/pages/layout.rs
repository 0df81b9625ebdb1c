//! The one layout every page shares: skip link, navigation keeping the region, period and
//! language, the language switch, and a footer saying how fresh the data is. The style sheet is
//! inline (no CSS framework, no JavaScript) and works from a phone to a laptop projector.

use axum::http::Uri;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::href;
use crate::auth::Principal;
use crate::i18n::{Lang, format_date, format_number};
use crate::job::Snapshot;
use crate::server::{AppState, auth};

const STYLE: &str = r#"
:root { --ink:#1b2733; --muted:#4f5f6e; --line:#d9e0e6; --accent:#005a8c; --bg:#f6f8fa; --focus:#E69F00; }
* { box-sizing: border-box; }
html { font-size: 100%; }
body { margin:0; font-family: "DejaVu Sans", "Segoe UI", Roboto, Arial, sans-serif; color:var(--ink); background:var(--bg); line-height:1.45; }
a { color:var(--accent); }
.skip { position:absolute; left:-999px; top:0; background:#fff; color:var(--ink); padding:.5rem 1rem; z-index:10; }
.skip:focus { left:.5rem; top:.5rem; }
header.site { background:#0b3954; color:#fff; padding:.6rem 1.5rem; display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:center; justify-content:space-between; }
header.site a { color:#fff; }
header.site .brand { font-size:1.1rem; font-weight:bold; text-decoration:none; }
nav.main ul { list-style:none; margin:0; padding:0; display:flex; flex-wrap:wrap; gap:.25rem .9rem; }
nav.main a { text-decoration:none; padding:.2rem .1rem; border-bottom:2px solid transparent; }
nav.main a[aria-current="page"] { border-bottom-color:#fff; font-weight:bold; }
nav.main a:hover { border-bottom-color:#9ccbe8; }
main { max-width:1200px; margin:0 auto; padding:1rem 1.5rem 2rem; }
form.select { display:flex; flex-wrap:wrap; gap:.75rem; align-items:end; background:#fff; border:1px solid var(--line); border-radius:6px; padding:.75rem 1rem; margin:.5rem 0; }
form.select label, form.stack label { display:flex; flex-direction:column; font-size:.9rem; color:var(--muted); gap:.2rem; }
form.select fieldset { border:0; padding:0; margin:0; display:flex; flex-wrap:wrap; gap:.3rem .9rem; }
form.select fieldset label { flex-direction:row; align-items:center; gap:.3rem; color:var(--ink); }
form.select legend { font-size:.9rem; color:var(--muted); padding:0; margin-bottom:.2rem; }
form.stack { display:flex; flex-direction:column; gap:.8rem; max-width:36rem; background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; }
form.stack label.check { flex-direction:row; align-items:center; gap:.4rem; color:var(--ink); }
select, button, input { font:inherit; padding:.35rem .5rem; border:1px solid #6b7b8a; border-radius:4px; background:#fff; color:var(--ink); }
button, a.button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; text-decoration:none; padding:.35rem .8rem; border-radius:4px; display:inline-block; }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
h1 { font-size:1.5rem; margin:1rem 0 .3rem; }
h2 { font-size:1.2rem; margin:1.6rem 0 .5rem; }
h3 { font-size:1.05rem; margin:1.2rem 0 .4rem; }
.cards { display:flex; flex-wrap:wrap; gap:1rem; margin:.8rem 0; }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:.7rem 1rem; min-width:10rem; flex:1 1 10rem; }
.card .label { font-size:.8rem; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
.card .value { font-size:1.8rem; font-weight:bold; }
.up { color:#006d4f; } .down { color:#b3261e; }
.error { color:#b3261e; font-weight:bold; }
.grid { display:grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap:1.2rem; align-items:start; }
.grid > * { min-width:0; }
.grid.pair { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); margin-top:1.2rem; }
@media (max-width: 900px) { .grid, .grid.pair { grid-template-columns: minmax(0, 1fr); } main { padding:.8rem .8rem 2rem; } header.site { padding:.6rem .8rem; } }
figure { margin:0; background:#fff; border:1px solid var(--line); border-radius:6px; padding:.5rem; }
figure img { width:100%; height:auto; display:block; }
figure.chart { max-width:820px; margin-top:1rem; }
figcaption { font-size:.85rem; color:var(--muted); padding:.3rem .2rem 0; }
table { border-collapse:collapse; width:100%; background:#fff; font-size:.92rem; }
caption { text-align:left; font-size:.9rem; color:var(--muted); padding:.3rem 0; }
th, td { border-bottom:1px solid var(--line); padding:.35rem .5rem; text-align:left; vertical-align:top; }
th { background:#eef2f5; font-weight:600; }
tbody th { background:none; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
tr.selected td, tr.selected th { background:#e3f0fa; font-weight:bold; }
.scroll { overflow-x:auto; }
@media (max-width: 640px) { table { display:block; overflow-x:auto; } dl.methods { grid-template-columns:1fr; } }
dl.methods dd, code { overflow-wrap:anywhere; }
.muted { color:var(--muted); font-size:.9rem; }
.band { display:inline-block; padding:.05rem .45rem; border-radius:3px; background:#eef2f5; font-size:.85rem; }
svg.spark { vertical-align:middle; }
nav.pager { display:flex; gap:1rem; align-items:center; margin:.6rem 0; flex-wrap:wrap; }
dl.methods { display:grid; grid-template-columns:max-content 1fr; gap:.3rem 1rem; background:#fff; border:1px solid var(--line); border-radius:6px; padding:.7rem 1rem; }
dl.methods dt { font-weight:600; } dl.methods dd { margin:0; }
footer.site { max-width:1200px; margin:0 auto; padding:1rem 1.5rem 2rem; font-size:.85rem; color:var(--muted); border-top:1px solid var(--line); }
"#;

/// The pages in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// `/`
    Overview,
    /// `/dimensi/{id}`
    Dimension,
    /// `/bandingkan`
    Compare,
    /// `/metode`
    Method,
    /// `/unggah`
    Ingest,
    /// `/evaluasi`
    Evaluation,
}

/// What the layout needs from the request.
pub(in crate::server) struct Ctx<'a> {
    pub state: &'a AppState,
    /// Who is asking: the header shows their name and a sign-in or sign-out control.
    pub principal: &'a Principal,
    pub snapshot: &'a Snapshot,
    /// The request, for the language switch (same page, other language).
    pub uri: &'a Uri,
    pub lang: Lang,
    /// The current page, marked in the navigation.
    pub nav: Option<Nav>,
    /// The region and period shown, kept when moving between pages.
    pub region: Option<&'a str>,
    pub period: Option<&'a str>,
}

/// The current URL with `lang` set to `lang`.
fn with_lang(uri: &Uri, lang: Lang) -> String {
    let mut pairs: Vec<(String, String)> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    pairs.retain(|(k, _)| k != "lang" && k != "page");
    pairs.push(("lang".into(), lang.code().into()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", uri.path())
}

/// A whole page: `title` in the tab, `body` in `<main>`.
pub(in crate::server) fn page(ctx: &Ctx<'_>, title: &str, body: Markup) -> Markup {
    let lang = ctx.lang;
    let other = match lang {
        Lang::Id => Lang::En,
        Lang::En => Lang::Id,
    };
    let keep = |path: &str| {
        href(
            path,
            &[
                ("region", ctx.region.unwrap_or("")),
                ("period", ctx.period.unwrap_or("")),
                ("lang", lang.code()),
            ],
        )
    };
    let first_dimension = ctx
        .state
        .reference
        .framework
        .top_dimensions()
        .next()
        .map_or_else(String::new, |d| d.id.clone());
    let here = ctx
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
    let items = [
        (Nav::Overview, keep("/"), lang.pick("Ringkasan", "Overview")),
        (
            Nav::Dimension,
            keep(&format!("/dimensi/{first_dimension}")),
            lang.pick("Dimensi", "Dimensions"),
        ),
        (
            Nav::Compare,
            keep("/bandingkan"),
            lang.pick("Bandingkan", "Compare"),
        ),
        (
            Nav::Method,
            href("/metode", &[("lang", lang.code())]),
            lang.pick("Metode & data", "Method & data"),
        ),
        (
            Nav::Ingest,
            href("/unggah", &[("lang", lang.code())]),
            lang.pick("Unggah data", "Upload data"),
        ),
        (
            Nav::Evaluation,
            href("/evaluasi", &[("lang", lang.code())]),
            lang.pick("Evaluasi", "Evaluation"),
        ),
    ];
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · kotacerdas" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                a.skip href="#isi" { (lang.pick("Langsung ke isi", "Skip to content")) }
                header.site {
                    a.brand href=(keep("/")) { "kotacerdas · " (lang.pick("Dasbor Kota Cerdas", "Smart City Dashboard")) }
                    nav.main aria-label=(lang.pick("Navigasi utama", "Main navigation")) {
                        ul {
                            @for (nav, url, label) in &items {
                                li { a href=(url) aria-current=[(ctx.nav == Some(*nav)).then_some("page")] { (label) } }
                            }
                            li { a href=(with_lang(ctx.uri, other)) hreflang=(other.code()) lang=(other.code()) {
                                (lang.pick("English", "Bahasa Indonesia"))
                            } }
                            li.account { (auth::nav(ctx.principal, lang, &here)) }
                        }
                    }
                }
                main #isi tabindex="-1" { (body) }
                (footer(ctx))
            }
        }
    }
}

fn footer(ctx: &Ctx<'_>) -> Markup {
    let (lang, snapshot) = (ctx.lang, ctx.snapshot);
    let latest_ingest = snapshot
        .manifest
        .sources
        .iter()
        .filter_map(|s| chrono::DateTime::parse_from_rfc3339(&s.ingested_at).ok())
        .max();
    let sources = {
        let mut names: Vec<&str> = snapshot
            .manifest
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    let framework = &ctx.state.reference.framework;
    html! {
        footer.site {
            p {
                (lang.pick("Skor dihitung", "Scores computed")) " "
                (format_date(snapshot.finished_at.date_naive(), lang)) " " (snapshot.finished_at.format("%H:%M"))
                " · "
                @if let Some(t) = latest_ingest {
                    (lang.pick("data terakhir masuk", "data last ingested")) " "
                    (format_date(t.date_naive(), lang)) " " (t.format("%H:%M")) " · "
                }
                (format_number(snapshot.activities.len() as f64, 0, lang)) " "
                (lang.pick("kegiatan dari", "activities from")) " " (sources) " "
                (lang.pick("sumber", if sources == 1 { "source" } else { "sources" })) " · "
                (framework.name(lang)) " " (framework.version) " · "
                a href=(href("/metode", &[("lang", lang.code())])) { (lang.pick("metode dan sumber data", "method and data sources")) }
            }
            p {
                (lang.pick("Data wilayah: Kepmendagri 2025 (cahyadsn/wilayah, MIT); batas wilayah: HDX/BPS (CC BY-IGO).",
                           "Region data: Kepmendagri 2025 (cahyadsn/wilayah, MIT); boundaries: HDX/BPS (CC BY-IGO)."))
            }
        }
    }
}
