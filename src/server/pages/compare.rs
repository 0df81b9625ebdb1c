//! `/bandingkan`: two to six regions side by side in one period — index, predicate, rank and
//! each dimension in a table, and their radars overlaid in one chart.
//!
//! `regions` may repeat (`regions=35.09.20&regions=35.09.01`, as the checkboxes send it) or be
//! comma-separated. Without it the page starts from `region` (the region the visitor came from)
//! and the best-ranked kecamatan of its kabupaten, so the link in the navigation is useful as is.

use crate::auth::Principal;
use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{self, Ctx, Nav};
use super::{href, predicate, regency_of, respond};
use crate::i18n::format_score;
use crate::region::{Level, RegionCode};
use crate::server::params::RawSelection;
use crate::server::{ApiError, AppState};
use crate::view::{self, RegionView};

/// At most as many regions as the radar has distinct colours.
pub const MAX_REGIONS: usize = 6;

/// `GET /bandingkan?regions=35.09.20&regions=35.09.01&period=2025&lang=en`
pub(super) async fn page(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let one = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let raw = RawSelection {
        region: one("region"),
        period: one("period"),
        lang: one("lang"),
    };
    let lang = super::lang_of(raw.lang.as_deref());
    let listed: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "regions")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    let result = render(&state, &principal, &uri, raw, &listed);
    respond(&state, &principal, &uri, lang, result)
}

fn render(
    state: &AppState,
    principal: &Principal,
    uri: &Uri,
    raw: RawSelection,
    listed: &[String],
) -> Result<Markup, ApiError> {
    let sel = raw.parse_for(state, principal)?;
    let lang = sel.lang;
    let snapshot = state.snapshot();
    let (book, regions, framework) = (
        &snapshot.book,
        &state.reference.regions,
        &state.reference.framework,
    );
    // The period first, so the default regions can be chosen by rank in it.
    let anchor = view::region_view(book, regions, &sel.region, sel.period.as_deref())?;
    let period = anchor.current.period.clone();
    let mut codes: Vec<RegionCode> = Vec::new();
    for r in listed {
        let code =
            RegionCode::parse(r).map_err(|e| ApiError::BadRequest(format!("regions: {e}")))?;
        principal.require_region(&code)?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if listed.is_empty() {
        codes.push(sel.region.clone());
        let ranking = book.ranking(regency_of(&sel.region).as_str(), &period);
        let wanted = if sel.region.level() == Level::Regency {
            3
        } else {
            2
        };
        for rs in ranking {
            if codes.len() >= wanted {
                break;
            }
            if !codes.contains(&rs.region) && principal.can_see(&rs.region) {
                codes.push(rs.region.clone());
            }
        }
    }
    if codes.len() < 2 {
        return Err(ApiError::BadRequest(format!(
            "pick at least two regions to compare (got {}): e.g. ?regions=35.09.20&regions=35.09.01",
            codes.len()
        )));
    }
    if codes.len() > MAX_REGIONS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_REGIONS} regions can be compared at once (got {})",
            codes.len()
        )));
    }
    let views: Vec<RegionView<'_>> = codes
        .iter()
        .map(|c| view::region_view(book, regions, c, Some(&period)))
        .collect::<Result<_, _>>()?;
    let list = codes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let radar = |ext: &str| {
        href(
            &format!("/charts/radar.{ext}"),
            &[
                ("region", codes[0].as_str()),
                ("compare", &list),
                ("period", &period),
                ("lang", lang.code()),
            ],
        )
    };
    let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
    let title = format!(
        "{} — {} {}",
        lang.pick("Perbandingan wilayah", "Region comparison"),
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
        nav: Some(Nav::Compare),
        region: Some(&region_str),
        period: Some(&period),
    };
    let options = super::region_options(state, principal, &regency_of(&sel.region));
    let body = html! {
        h1 { (title) }
        form.select method="get" action="/bandingkan" {
            fieldset {
                legend { (lang.pick("Wilayah (2–6)", "Regions (2–6)")) }
                @for (code, name) in &options {
                    label { input type="checkbox" name="regions" value=(code) checked[codes.contains(code)]; (name) }
                }
            }
            label {
                (lang.pick("Periode", "Period"))
                select name="period" {
                    @for p in book.periods().iter().rev() {
                        option value=(p) selected[*p == period] { (p) }
                    }
                }
            }
            input type="hidden" name="lang" value=(lang.code());
            button type="submit" { (lang.pick("Bandingkan", "Compare")) }
        }
        div.grid {
            figure {
                img src=(radar("png")) width="800" height="500"
                    alt=(format!("{}: {}", lang.pick("Diagram radar yang ditumpuk", "Overlaid radar chart"), names.join(", ")));
                figcaption { (lang.pick("Unduh", "Download")) ": " a href=(radar("png")) { "PNG" } " · " a href=(radar("svg")) { "SVG" } }
            }
            div.scroll { table {
                caption { (lang.pick("Skor 0–100 per wilayah", "Scores 0–100 by region")) }
                thead { tr {
                    td {}
                    @for (v, code) in views.iter().zip(&codes) {
                        th scope="col" { a href=(href("/", &[("region", code.as_str()), ("period", &period), ("lang", lang.code())])) { (v.name) } }
                    }
                } }
                tbody {
                    tr {
                        th scope="row" { (lang.pick("Indeks", "Index")) }
                        @for v in &views { td.num { strong { (format_score(v.current.index, lang)) } } }
                    }
                    tr {
                        th scope="row" { (lang.pick("Predikat", "Predicate")) }
                        @for v in &views { td.num { (predicate(framework, v.current.index, lang)) } }
                    }
                    tr {
                        th scope="row" { (lang.pick("Peringkat", "Rank")) }
                        @for v in &views { td.num { (v.current.rank.map_or("–".to_string(), |r| format!("{r}/{}", v.current.peers))) } }
                    }
                    @for d in framework.top_dimensions() {
                        tr {
                            th scope="row" { (d.name(lang)) }
                            @for v in &views { td.num { (format_score(v.current.dimension(&d.id).and_then(|s| s.score), lang)) } }
                        }
                    }
                }
            } }
        }
        @if views.iter().any(|v| v.level == Level::Regency) && views.iter().any(|v| v.level == Level::District) {
            p.muted { (lang.pick(
                "Catatan: skor kabupaten adalah rata-rata kecamatannya; peringkat kecamatan di antara kecamatan sekabupaten.",
                "Note: a kabupaten's scores are the mean of its kecamatan's; kecamatan ranks are among the kabupaten's kecamatan.")) }
        }
    };
    Ok(layout::page(&ctx, &title, body))
}
