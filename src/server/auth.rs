//! Access control over HTTP: who is asking ([`Principal`] as an extractor), browser login and
//! logout, `GET /api/v1/me`, and the table of what every route needs ([`ROUTES`]).
//!
//! A request is authenticated by an `Authorization: Bearer kc_…` API token or by the
//! `kotacerdas_session` cookie that `POST /login` sets; without either it is anonymous, which
//! means a viewer within `[access] public_scope` when public read-only mode is on and nobody
//! otherwise. A bad bearer token is a 401 even in public mode (a client that sends credentials
//! wants them checked); a stale session cookie simply counts as no cookie.
//!
//! Handlers ask in one line each: `principal.require(Capability::Reports)?` (401 for anonymous
//! callers, 403 for users without the capability) and `principal.require_region(&code)?` (403
//! for regions outside the user's scope, checked before anything is looked up, so a refusal says
//! nothing about whether the region has data). Region codes are public reference data, so a 403
//! hides nothing a 404 would.
//!
//! Cross-site request forgery: the session cookie is `SameSite=Lax`, so browsers do not send it
//! with cross-site POSTs; in addition every state-changing request authenticated by the cookie
//! (and every login or logout) must come with an `Origin` (or, lacking one, `Referer`) naming
//! this host when the browser sends one. Bearer tokens are never sent by a browser on its own,
//! so token requests need no such check.

use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::auth::{Capability, Denied, Principal, Role, SecureCookies, Via, describe_scope};
use crate::i18n::Lang;
use crate::region::RegionCode;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "kotacerdas_session";

/// What a route needs: a capability (none for open routes) and whether a `region` it names
/// must lie in the caller's scope.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RouteAccess {
    /// HTTP method.
    pub method: &'static str,
    /// Route path as registered.
    pub path: &'static str,
    /// Capability required; `None`: open to everyone.
    pub needs: Option<Capability>,
    /// Whether the region asked for must be in the caller's scope.
    pub scoped: bool,
}

const fn route(
    method: &'static str,
    path: &'static str,
    needs: Option<Capability>,
    scoped: bool,
) -> RouteAccess {
    RouteAccess {
        method,
        path,
        needs,
        scoped,
    }
}

/// Every route and what it needs. The access test matrix checks that each has a row. The
/// evaluation rounds' routes that change a form or a round (JSON bodies) are listed with their
/// reads here and their access is tested by the evaluation tests, which send real bodies.
pub const ROUTES: &[RouteAccess] = &[
    route("GET", "/", Some(Capability::View), true),
    route("GET", "/dimensi/{dimension}", Some(Capability::View), true),
    route(
        "GET",
        "/dimensi/{dimension}/kegiatan.csv",
        Some(Capability::View),
        true,
    ),
    route("GET", "/bandingkan", Some(Capability::View), true),
    route("GET", "/metode", Some(Capability::View), true),
    route("GET", "/unggah", Some(Capability::View), false),
    route("POST", "/unggah", Some(Capability::Ingest), true),
    route("GET", "/healthz", None, false),
    route("GET", "/login", None, false),
    route("POST", "/login", None, false),
    route("POST", "/logout", None, false),
    route("GET", "/api/v1/me", None, false),
    route("GET", "/api/v1/scores", Some(Capability::View), true),
    route("GET", "/api/v1/explain", Some(Capability::View), true),
    route("GET", "/api/v1/sensitivity", Some(Capability::View), true),
    route("GET", "/charts/{file}", Some(Capability::View), true),
    route("POST", "/api/v1/ingest", Some(Capability::Ingest), true),
    route("GET", "/api/v1/activities", Some(Capability::View), true),
    route("GET", "/api/v1/scores/peers", Some(Capability::View), true),
    route("GET", "/api/v1/ingest/runs", Some(Capability::View), false),
    route("POST", "/api/v1/jobs/run", Some(Capability::Admin), false),
    route(
        "GET",
        "/reports/{region}/{file}",
        Some(Capability::Reports),
        true,
    ),
    route(
        "GET",
        "/reports/cohort/{file}",
        Some(Capability::Reports),
        true,
    ),
    route("GET", "/api/v1/rounds", Some(Capability::View), false),
    route(
        "GET",
        "/api/v1/rounds/{round}",
        Some(Capability::View),
        false,
    ),
    route(
        "GET",
        "/api/v1/rounds/{round}/forms/{region}",
        Some(Capability::View),
        true,
    ),
    route(
        "GET",
        "/api/v1/rounds/{round}/forms/{region}/evidence/{id}",
        Some(Capability::View),
        true,
    ),
    route(
        "GET",
        "/api/v1/rounds/{round}/forms/{region}/audit",
        Some(Capability::View),
        true,
    ),
    route(
        "GET",
        "/api/v1/rounds/{round}/results",
        Some(Capability::Reports),
        false,
    ),
    route(
        "GET",
        "/api/v1/rounds/{round}/results/{region}",
        Some(Capability::View),
        true,
    ),
    route(
        "GET",
        "/api/v1/rounds/{round}/results/{region}/report/{format}",
        Some(Capability::View),
        true,
    ),
    route(
        "GET",
        "/api/v1/rounds/{round}/recap/{format}",
        Some(Capability::Reports),
        false,
    ),
    route(
        "GET",
        "/api/v1/masterplan/{region}",
        Some(Capability::View),
        true,
    ),
    route("GET", "/evaluasi", Some(Capability::View), false),
    route("GET", "/evaluasi/{round}", Some(Capability::View), false),
    route(
        "GET",
        "/evaluasi/{round}/{region}",
        Some(Capability::View),
        true,
    ),
    route(
        "GET",
        "/evaluasi/{round}/{region}/riwayat",
        Some(Capability::View),
        true,
    ),
    route(
        "GET",
        "/evaluasi/{round}/{region}/hasil",
        Some(Capability::View),
        true,
    ),
    route(
        "GET",
        "/evaluasi/{round}/grafik/{file}",
        Some(Capability::View),
        true,
    ),
];

impl From<Denied> for ApiError {
    fn from(d: Denied) -> ApiError {
        match d {
            Denied::Unauthenticated(m) => ApiError::Unauthorized(m),
            Denied::Forbidden(m) => ApiError::Forbidden(m),
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Principal, ApiError> {
        let access = &state.access;
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    ApiError::Unauthorized(
                        "the Authorization header must read 'Bearer <token>'".into(),
                    )
                })?;
            let principal = match access.cached_token(token) {
                Some(known) => known,
                None => {
                    let (access, token) = (access.clone(), token.to_string());
                    tokio::task::spawn_blocking(move || access.verify_token(&token))
                        .await
                        .map_err(|e| ApiError::Internal(e.into()))?
                }
            };
            return principal.ok_or_else(|| {
                ApiError::Unauthorized("the API token is not valid (or was revoked)".into())
            });
        }
        if let Some(principal) = session_cookie(&parts.headers).and_then(|id| access.session(id)) {
            if !is_safe(&parts.method) && !same_origin(&parts.headers) {
                return Err(ApiError::Forbidden(
                    "cross-site request refused: the Origin does not match this site".into(),
                ));
            }
            return Ok(principal);
        }
        Ok(access.anonymous())
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session id from the `Cookie` header(s).
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"'))
}

/// Whether the request's `Origin` (or `Referer`) names the host it was sent to. Browsers send
/// `Origin` on every POST; a request with neither header is not from a browser form on another
/// site, and `SameSite=Lax` keeps the cookie off cross-site posts anyway.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match (claimed, host) {
        (None, _) => true,
        (Some(claimed), Some(host)) => claimed
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .is_some_and(|authority| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}

/// Whether to mark cookies `Secure` for this request.
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    match state.access.settings().secure_cookies {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https")),
    }
}

fn cookie(value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie text is ASCII")
}

/// The login, logout and who-am-I routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/api/v1/me", get(me))
}

/// `GET /api/v1/me`: who the server takes the caller to be.
#[derive(Debug, Serialize)]
pub struct Me {
    /// User name; `null` when anonymous.
    pub user: Option<String>,
    /// Role; `null` when anonymous without public mode.
    pub role: Option<Role>,
    /// `all` or a province / kab/kota code.
    pub scope: String,
    /// What the caller may do.
    pub capabilities: Vec<Capability>,
    /// How the request was authenticated.
    pub via: Via,
}

async fn me(principal: Principal) -> Json<Me> {
    Json(Me {
        user: principal.name().map(str::to_string),
        role: principal.role(),
        scope: principal.scope().to_string(),
        capabilities: principal.role().map(Role::capabilities).unwrap_or_default(),
        via: principal.via(),
    })
}

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    lang: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    lang: String,
}

fn lang_of(s: Option<&str>) -> Lang {
    s.and_then(|l| l.parse().ok()).unwrap_or_default()
}

/// Only a path on this site: never `//host` or `https://…`, so the login cannot be used to
/// send someone elsewhere.
fn local_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

/// `GET /login?lang=en&next=/…`
async fn login_page(principal: Principal, Query(q): Query<LoginQuery>) -> Markup {
    let lang = lang_of(q.lang.as_deref());
    login_markup(&principal, lang, &local_next(q.next.as_deref()), None)
}

/// `POST /login` with `name`, `password`, `next`, `lang` (form-encoded).
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::Forbidden(
            "cross-site login refused: the Origin does not match this site".into(),
        ));
    }
    let lang = lang_of(Some(&form.lang));
    let next = local_next(Some(&form.next));
    let access = state.access.clone();
    let (name, password) = (form.name.trim().to_string(), form.password);
    let verified = tokio::task::spawn_blocking(move || access.verify_password(&name, &password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let Some(principal) = verified else {
        tracing::info!(user = form.name.trim(), "login failed");
        let anonymous = state.access.anonymous();
        let message = lang.pick(
            "Nama pengguna atau kata sandi salah.",
            "Wrong user name or password.",
        );
        let page = login_markup(&anonymous, lang, &next, Some(message));
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    tracing::info!(user = principal.name(), role = ?principal.role(), "logged in");
    let id = state.access.start_session(principal);
    let ttl = state.access.settings().session_ttl.as_secs();
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(id.as_str(), ttl, secure(&state, &headers)),
    );
    Ok(response)
}

/// `POST /logout`: ends the session and clears the cookie.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::Forbidden(
            "cross-site logout refused: the Origin does not match this site".into(),
        ));
    }
    if let Some(id) = session_cookie(&headers) {
        state.access.end_session(id);
    }
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie("", 0, secure(&state, &headers)));
    Ok(response)
}

const LOGIN_STYLE: &str = r#"
body { margin:0; font-family: "DejaVu Sans", "Segoe UI", Roboto, Arial, sans-serif; color:#1b2733; background:#f6f8fa; line-height:1.45; }
main { max-width:26rem; margin:3rem auto; background:#fff; border:1px solid #d9e0e6; border-radius:6px; padding:1.2rem 1.5rem; }
h1 { font-size:1.3rem; margin:0 0 1rem; }
label { display:block; margin:.7rem 0 .2rem; font-weight:600; }
input { font:inherit; width:100%; padding:.45rem .5rem; border:1px solid #6b7a88; border-radius:4px; }
button { font:inherit; margin-top:1rem; padding:.45rem 1rem; background:#0072B2; color:#fff; border:1px solid #0072B2; border-radius:4px; cursor:pointer; }
button:focus, input:focus, a:focus { outline:3px solid #E69F00; outline-offset:2px; }
.error { color:#b3261e; font-weight:600; }
.muted { color:#5b6b7a; font-size:.85rem; }
"#;

fn login_markup(principal: &Principal, lang: Lang, next: &str, error: Option<&str>) -> Markup {
    let other = match lang {
        Lang::Id => Lang::En,
        Lang::En => Lang::Id,
    };
    let title = lang.pick("Masuk", "Sign in");
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · kotacerdas" }
                style { (PreEscaped(LOGIN_STYLE)) }
            }
            body { main {
                h1 { "kotacerdas · " (title) }
                @if let Some(name) = principal.name() {
                    p {
                        (lang.pick("Anda masuk sebagai", "You are signed in as")) " "
                        strong { (name) } " (" (principal.role().map_or("", Role::as_str)) ", "
                        (principal.scope()) ")."
                    }
                }
                @if let Some(message) = error {
                    p.error role="alert" { (message) }
                }
                form method="post" action="/login" {
                    label for="name" { (lang.pick("Nama pengguna", "User name")) }
                    input #name type="text" name="name" autocomplete="username" required autofocus;
                    label for="password" { (lang.pick("Kata sandi", "Password")) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="lang" value=(lang.code());
                    button type="submit" { (title) }
                }
                p.muted {
                    a href=(format!("/login?lang={}&next={}", other.code(), encode(next))) hreflang=(other.code()) {
                        (lang.pick("English", "Bahasa Indonesia"))
                    }
                    " · " a href="/" { (lang.pick("Dasbor", "Dashboard")) }
                }
            } }
        }
    }
}

/// Percent-encode a path for use as a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The sign-in state for a page header: who is signed in with a logout button, or a sign-in
/// link that comes back to `here`.
pub fn nav(principal: &Principal, lang: Lang, here: &str) -> Markup {
    html! {
        @if let Some(name) = principal.name() {
            form method="post" action="/logout" style="display:inline" {
                span title=(describe_scope(principal.scope())) {
                    (name) " (" (principal.role().map_or("", Role::as_str)) ") "
                }
                button type="submit" { (lang.pick("Keluar", "Sign out")) }
            }
        } @else {
            a href=(format!("/login?lang={}&next={}", lang.code(), encode(here))) {
                (lang.pick("Masuk", "Sign in"))
            }
        }
    }
}

/// Access for the JSON API's data routes, in one place: the caller needs the view capability,
/// and every region named in the query (`region`, `parent`, `peer_group`, comma lists allowed)
/// must lie in its scope. A caller with a region scope who names no `region` gets its scope's
/// region filled in, so a default never reaches outside the scope. What a route needs beyond
/// that (the ingest runs: every region) its handler checks.
pub async fn api_guard(
    principal: Principal,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<Response, ApiError> {
    principal.require(Capability::View)?;
    let mut pairs: Vec<(String, String)> = request
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    for (key, value) in &pairs {
        if !matches!(key.as_str(), "region" | "parent" | "peer_group") {
            continue;
        }
        for code in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            // A malformed code is the handler's to refuse with 400.
            if let Ok(code) = RegionCode::parse(code) {
                principal.require_region(&code)?;
            }
        }
    }
    if let Some(root) = principal.scope().root()
        && !pairs
            .iter()
            .any(|(k, v)| k == "region" && !v.trim().is_empty())
    {
        pairs.retain(|(k, _)| k != "region");
        pairs.push(("region".into(), root.to_string()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let uri = format!("{}?{query}", request.uri().path());
        if let Ok(uri) = uri.parse() {
            *request.uri_mut() = uri;
        }
    }
    Ok(next.run(request).await)
}
