//! `/bandingkan`: two to six regions side by side in one period — index, predicate, rank and
//! each dimension in a table, and their radars overlaid in one chart.
//!
//! `regions` may repeat (`regions=35.09.20&regions=35.09.01`, as the checkboxes send it) or be
//! comma-separated. Without it the page starts from `region` (the region the visitor came from)
//! and the best-ranked kecamatan of its kabupaten, so the link in the navigation is useful as is.

use crate::auth::Principal;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{self, Ctx, Nav};
use super::{PageLang, href, predicate, regency_of, respond};
use crate::i18n::format_score;
use crate::region::{Level, RegionCode};
use crate::server::access::{Caller, Input, Reach, RegionRequest, Scoped, parse_region};
use crate::server::params::{RawSelection, Selection};
use crate::server::{ApiError, AppState};
use crate::view::{self, RegionView};

/// At most as many regions as the radar has distinct colours.
pub const MAX_REGIONS: usize = 6;

/// A parsed `GET /bandingkan`: the selection (the region the visitor came from, the period,
/// the language) and the regions listed, each of which the caller must be able to see.
#[derive(Debug)]
pub(super) struct CompareRequest {
    sel: Selection,
    listed: Vec<RegionCode>,
}

impl RegionRequest for CompareRequest {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = input.query()?;
        // The last of a repeated key wins, as a form with a changed value sends it.
        let one = |key: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let sel = RawSelection {
            region: one("region"),
            period: one("period"),
            lang: one("lang"),
        }
        .parse(caller)?;
        let mut listed: Vec<RegionCode> = Vec::new();
        for (_, value) in pairs.iter().filter(|(k, _)| k == "regions") {
            for raw in value.split(',').filter(|v| !v.trim().is_empty()) {
                let code = parse_region("regions", raw)?;
                if !listed.contains(&code) {
                    listed.push(code);
                }
            }
        }
        Ok(CompareRequest { sel, listed })
    }

    fn reach(&self, _: &AppState) -> Reach {
        let mut codes = vec![self.sel.region.clone()];
        codes.extend(self.listed.iter().cloned());
        Reach::Regions(codes)
    }
}

/// `GET /bandingkan?regions=35.09.20&regions=35.09.01&period=2025&lang=en`
pub(super) async fn page(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    PageLang(lang): PageLang,
    request: Result<Scoped<CompareRequest>, ApiError>,
) -> Response {
    let result =
        request.and_then(|Scoped { request, .. }| render(&state, &principal, &uri, request));
    respond(&state, &principal, &uri, lang, result)
}

fn render(
    state: &AppState,
    principal: &Principal,
    uri: &Uri,
    CompareRequest { sel, listed }: CompareRequest,
) -> Result<Markup, ApiError> {
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
    let mut codes: Vec<RegionCode> = listed.clone();
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
