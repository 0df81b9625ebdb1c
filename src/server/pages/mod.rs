//! The dashboard pages: server-rendered HTML, Bahasa Indonesia by default (`lang=en` for
//! English), usable without JavaScript.
//!
//! Pages: the overview of a region and period (`/`), a dimension with its indicators and the
//! activities behind them (`/dimensi/{id}`, CSV at `/dimensi/{id}/kegiatan.csv`), a comparison
//! of regions (`/bandingkan`), the method and data sources (`/metode`) and the upload form for
//! data stewards (`/unggah`). Every page shares one layout ([`layout`]). Pages read the latest
//! [`Snapshot`](crate::job::Snapshot) directly; they add no JSON routes and decide no access:
//! a page that shows a region takes its parameters through
//! [`Scoped`](super::access::Scoped) ([`PageRequest`]), and renders a refusal as an error page.

mod compare;
mod dimension;
mod ingest;
pub(in crate::server) mod layout;
mod method;
mod overview;

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::access::{Caller, Input, Reach, RegionRequest};
use super::params::{RawSelection, Selection};
use super::routes::{Reads, Route, get, post};
use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::i18n::Lang;
use crate::region::{Level, RegionCode};

pub use layout::Nav;

/// The page routes; uploads through `/unggah` take upload-sized bodies like the API's.
pub(super) fn routes() -> Vec<Route> {
    vec![
        get("/", Reads::Regions, overview::page),
        get("/dimensi/{dimension}", Reads::Regions, dimension::page),
        get(
            "/dimensi/{dimension}/kegiatan.csv",
            Reads::Regions,
            dimension::csv,
        ),
        get("/bandingkan", Reads::Regions, compare::page),
        get("/metode", Reads::Regions, method::page),
        get("/unggah", Reads::NoRegion, ingest::form),
        post("/unggah", Reads::NoRegion, ingest::upload).uploads(),
    ]
}

/// The language a request asked for, leniently: a page that fails on a bad `lang` still answers
/// in Indonesian, naming the bad value.
fn lang_of(raw: Option<&str>) -> Lang {
    raw.and_then(|l| l.parse::<Lang>().ok()).unwrap_or_default()
}

/// The language a page answers in, read leniently from the query: also an error page needs it.
pub(super) struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let lang = parts
            .uri
            .query()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| pairs.into_iter().rev().find(|(k, _)| k == "lang"))
            .map(|(_, v)| v);
        Ok(PageLang(lang_of(lang.as_deref())))
    }
}

/// A page without parameters of its own.
#[derive(Debug, Default, Deserialize)]
pub(super) struct NoParams {}

/// A page's parameters: the region, period and language it shows, and its own query.
#[derive(Debug)]
pub(super) struct PageRequest<Q = NoParams> {
    /// Region, period and language.
    pub sel: Selection,
    /// The page's own parameters.
    pub query: Q,
}

impl<Q: DeserializeOwned + Send> RegionRequest for PageRequest<Q> {
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError> {
        Ok(PageRequest {
            sel: input.query::<RawSelection>()?.parse(caller)?,
            query: input.query()?,
        })
    }

    fn reach(&self, _: &AppState) -> Reach {
        Reach::one(&self.sel.region)
    }
}

/// A handler error as an HTML page with the status of the error.
fn error_page(
    state: &AppState,
    principal: &Principal,
    uri: &Uri,
    e: &ApiError,
    lang: Lang,
) -> Response {
    let heading = match e.status() {
        StatusCode::NOT_FOUND => lang.pick("Tidak ditemukan", "Not found"),
        StatusCode::BAD_REQUEST => lang.pick("Permintaan tidak valid", "Invalid request"),
        StatusCode::UNAUTHORIZED => lang.pick("Silakan masuk", "Please sign in"),
        StatusCode::FORBIDDEN => lang.pick("Akses ditolak", "Access denied"),
        _ => lang.pick(
            "Permintaan tidak dapat diproses",
            "Request could not be handled",
        ),
    };
    let snapshot = state.snapshot();
    let ctx = layout::Ctx {
        state,
        principal,
        snapshot: &snapshot,
        uri,
        lang,
        nav: None,
        region: None,
        period: None,
    };
    let body = html! {
        h1 { (heading) }
        p.error role="alert" { (e.public_message()) }
        p { a href=(href("/", &[("lang", lang.code())])) { (lang.pick("Kembali ke ringkasan", "Back to the overview")) } }
    };
    (e.status(), layout::page(&ctx, heading, body)).into_response()
}

/// `path?k=v&…` with the values URL-encoded; empty values are left out.
fn href(path: &str, params: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .copied()
        .collect();
    if kept.is_empty() {
        return path.to_string();
    }
    let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
    format!("{path}?{query}")
}

/// The kabupaten/kota a region's page is about: itself, or a kecamatan's parent.
fn regency_of(region: &RegionCode) -> RegionCode {
    match region.level() {
        Level::District | Level::Village => region
            .at_level(Level::Regency)
            .unwrap_or_else(|| region.clone()),
        _ => region.clone(),
    }
}

/// Read a markup-producing closure's result, or the error page.
fn respond(
    state: &AppState,
    principal: &Principal,
    uri: &Uri,
    lang: Lang,
    result: Result<Markup, ApiError>,
) -> Response {
    match result {
        Ok(m) => m.into_response(),
        Err(e) => error_page(state, principal, uri, &e, lang),
    }
}

/// A change in score, with an arrow and a colour that is not the only signal.
fn change(delta: Option<f64>, lang: Lang) -> Markup {
    use crate::i18n::format_number;
    match delta {
        Some(d) if d > 0.05 => html! { span.up { "▲ +" (format_number(d, 1, lang)) } },
        Some(d) if d < -0.05 => html! { span.down { "▼ " (format_number(d, 1, lang)) } },
        Some(_) => html! { "= 0" },
        None => html! { "–" },
    }
}

/// The predicate of a 0–100 score (e.g. "Baik"), from the framework's bands when its scale is
/// absolute; "–" otherwise.
fn predicate(framework: &crate::framework::Framework, score: Option<f64>, lang: Lang) -> String {
    score
        .filter(|s| s.is_finite())
        .and_then(|s| {
            framework
                .index_bands()?
                .predicate(s)
                .map(|b| lang.pick(&b.label_id, &b.label_en).to_string())
        })
        .unwrap_or_else(|| "–".to_string())
}

/// The regions a page can show the caller, as (code, name): the kabupaten and its scored
/// kecamatan, by name.
fn region_options(
    state: &AppState,
    principal: &Principal,
    kabupaten: &RegionCode,
) -> Vec<(RegionCode, String)> {
    let snapshot = state.snapshot();
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
        .filter_map(|c| regions.get(c).map(|r| (c.clone(), r.display_name())))
        .collect();
    kecamatan.sort_by(|a, b| a.1.cmp(&b.1));
    options.extend(kecamatan);
    options
}

/// The GET form choosing region and period (and keeping the language) for page `action`.
fn selector(
    state: &AppState,
    principal: &Principal,
    action: &str,
    kabupaten: &RegionCode,
    selected: &RegionCode,
    period: &str,
    lang: Lang,
) -> Markup {
    let snapshot = state.snapshot();
    let options = region_options(state, principal, kabupaten);
    html! {
        form.select method="get" action=(action) {
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
