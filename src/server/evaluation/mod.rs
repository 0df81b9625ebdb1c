//! Evaluation rounds over HTTP: the JSON API under `/api/v1/rounds` (the region's side in
//! [`api`], the evaluator's and the results in [`review`]) and `/api/v1/masterplan`
//! ([`masterplan`]), the pages under `/evaluasi` ([`pages`]), and downloads and charts
//! ([`files`]).
//!
//! Handlers stay thin: a route that reads a region takes its parameters through the server's
//! one access decision ([`Scoped`](super::access::Scoped), with the request types of
//! [`access`]), checks the role the action needs, and hands over to [`Evaluation`], whose errors carry their message in both
//! languages. The language is `lang=` or, for the API, `Accept-Language`; Indonesian by default.
//! `Application::build` always opens the database; a state built without one (a unit test's)
//! answers 503 on every route.

mod access;
mod api;
mod files;
mod masterplan;
mod pages;
mod review;

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::routes::Route;
use crate::auth::Principal;
use crate::evaluation::{Actor, Evaluation, EvaluationError};
use crate::i18n::Lang;
use crate::region::RegionCode;

/// The routes, for the route table.
pub fn routes() -> Vec<Route> {
    [
        api::routes(),
        review::routes(),
        masterplan::routes(),
        pages::routes(),
        files::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A refusal or failure with its message already in the caller's language.
#[derive(Debug)]
pub struct Fail {
    status: StatusCode,
    message: String,
}

impl Fail {
    fn new(status: u16, message: impl Into<String>) -> Fail {
        Fail {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: message.into(),
        }
    }

    fn from_eval(e: &EvaluationError, lang: Lang) -> Fail {
        Fail::new(e.status(), e.message(lang))
    }

    fn bad_request(lang: Lang, id: &str, en: &str) -> Fail {
        Fail::new(400, lang.pick(id, en))
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let mut r = super::error::error_response(self.status, &self.message);
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"kotacerdas\""),
            );
        }
        r
    }
}

/// JSON answers and failures.
type ApiResult<T> = Result<Json<T>, Fail>;

/// The language asked for: `lang=` first, then `Accept-Language`, else Indonesian.
fn lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(l) = query.and_then(|l| l.parse().ok()) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split([',', ';', '-']).next())
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_default()
}

/// The running evaluation, or 503 when the server has no database.
fn evaluation(state: &AppState, lang: Lang) -> Result<Arc<Evaluation>, Fail> {
    state.evaluation.clone().ok_or_else(|| {
        Fail::new(
            503,
            lang.pick(
                "Basis data evaluasi tidak tersedia di server ini.",
                "The evaluation database is not available on this server.",
            ),
        )
    })
}

/// Who is acting: a signed-in user.
fn actor(p: &Principal, lang: Lang) -> Result<Actor, Fail> {
    match (p.name(), p.role()) {
        (Some(name), Some(role)) => Ok(Actor {
            name: name.to_string(),
            role,
        }),
        _ => Err(Fail::new(
            401,
            lang.pick(
                "Perlu masuk: masuk di /login atau kirim 'Authorization: Bearer <token>'.",
                "This needs a login: sign in at /login or send 'Authorization: Bearer <token>'.",
            ),
        )),
    }
}

/// A kab/kota code from the path.
fn region(raw: &str, lang: Lang) -> Result<RegionCode, Fail> {
    RegionCode::parse(raw).map_err(|_| {
        Fail::new(
            400,
            match lang {
                Lang::Id => format!("{raw:?} bukan kode wilayah Kemendagri (mis. 35.09)."),
                Lang::En => format!("{raw:?} is not a Kemendagri region code (e.g. 35.09)."),
            },
        )
    })
}

/// A round id from the path.
fn round_id(raw: &str, lang: Lang) -> Result<i64, Fail> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| {
        Fail::new(
            400,
            match lang {
                Lang::Id => format!("{raw:?} bukan nomor ronde."),
                Lang::En => format!("{raw:?} is not a round number."),
            },
        )
    })
}
