//! Access control over HTTP: who is asking ([`Principal`] as an extractor), browser login and
//! logout and `GET /api/v1/me`. Which regions a request may read is decided in
//! [`super::access`].
//!
//! A request is authenticated by an `Authorization: Bearer kc_…` API token or by the
//! `kotacerdas_session` cookie that `POST /login` sets (the session is in the database, so any
//! instance on it accepts the cookie); without either it is anonymous, which
//! means a viewer within `[access] public_scope` when public read-only mode is on and nobody
//! otherwise. A bad bearer token is a 401 even in public mode (a client that sends credentials
//! wants them checked); a stale session cookie simply counts as no cookie.
//!
//! Handlers that need a capability ask in one line: `principal.require(Capability::Admin)?`
//! (401 for anonymous callers, 403 for users without it). Routes that read regions take their
//! parameters through [`super::access::Scoped`], which checks the scope.
//!
//! Checking a secret is bounded (see `auth::Gate` and `auth::limit`): a token's first use and
//! every login wait for one of a few verification slots, and are answered 503 with
//! `Retry-After` when none comes free within a second; a name or client address with too many
//! recent failures is answered 429 with `Retry-After` without any verification. The client
//! address is the connection's peer, or, when the peer is one of `[access] trusted_proxies`,
//! the last address in `X-Forwarded-For` that is not a trusted proxy.
//!
//! Cross-site request forgery: the session cookie is `SameSite=Lax`, so browsers do not send it
//! with cross-site POSTs; in addition every state-changing request authenticated by the cookie
//! (and every login or logout) must come with an `Origin` (or, lacking one, `Referer`) naming
//! this host when the browser sends one. Bearer tokens are never sent by a browser on its own,
//! so token requests need no such check.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Json;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};

use super::routes::{Reads, Route, get, post};
use super::{ApiError, AppState};
use crate::auth::{
    AccessError, Capability, Counted, Denied, GateError, Principal, Role, SecureCookies, Via,
    describe_scope,
};
use crate::i18n::Lang;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "kotacerdas_session";

impl From<Denied> for ApiError {
    fn from(d: Denied) -> ApiError {
        match d {
            Denied::Unauthenticated(m) => ApiError::Unauthorized(m),
            Denied::Forbidden(m) => ApiError::Forbidden(m),
        }
    }
}

/// The status and the message for a refusal that a later attempt may get past; `None` for the
/// others (wrong credentials, a failed check).
fn try_later(e: &AccessError, lang: Lang) -> Option<(StatusCode, Duration, String)> {
    match *e {
        AccessError::TooManyFailures { by, retry_after } => {
            let n = super::error::retry_secs(retry_after);
            let message = match (lang, by) {
                (Lang::Id, Counted::Name) => format!(
                    "Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini. Coba lagi \
                     dalam {n} detik."
                ),
                (Lang::Id, Counted::Address) => format!(
                    "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam \
                     {n} detik."
                ),
                (Lang::En, Counted::Name) => format!(
                    "Too many failed sign-ins for this user name. Try again in {n} seconds."
                ),
                (Lang::En, Counted::Address) => {
                    format!("Too many failed sign-ins from this address. Try again in {n} seconds.")
                }
            };
            Some((StatusCode::TOO_MANY_REQUESTS, retry_after, message))
        }
        AccessError::Gate(GateError::Busy { retry_after }) => {
            let n = super::error::retry_secs(retry_after);
            let message = match lang {
                Lang::Id => format!(
                    "Server sedang sibuk memeriksa kata sandi dan token. Coba lagi dalam {n} detik."
                ),
                Lang::En => format!(
                    "The server is busy checking passwords and tokens. Try again in {n} seconds."
                ),
            };
            Some((StatusCode::SERVICE_UNAVAILABLE, retry_after, message))
        }
        _ => None,
    }
}

/// The client's address: the connection's peer, or, when the peer is a trusted proxy, the last
/// `X-Forwarded-For` address that is not one (the first hop a trusted proxy saw). `None` when
/// the server was not given peer addresses (a router called without a socket).
fn client_address(parts: &Parts, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .or(forwarded.first())
        .copied()
        .or(Some(peer))
}

/// The client's address (see [`client_address`]), as an extractor for the login.
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ClientAddress, Self::Rejection> {
        Ok(ClientAddress(client_address(
            parts,
            &state.access.settings().trusted_proxies,
        )))
    }
}

/// The `lang` of a request's query, Indonesian when absent.
fn query_lang(parts: &Parts) -> Lang {
    let pairs: Vec<(String, String)> = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    lang_of(
        pairs
            .iter()
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.as_str()),
    )
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
            let client = client_address(parts, &access.settings().trusted_proxies);
            return match access.authenticate_token(token, client).await {
                Ok(principal) => Ok(principal),
                Err(e) => Err(match try_later(&e, query_lang(parts)) {
                    Some((status, retry_after, message)) => ApiError::TryLater {
                        status,
                        retry_after,
                        message,
                    },
                    None if matches!(
                        e,
                        AccessError::Gate(GateError::Failed) | AccessError::Database
                    ) =>
                    {
                        internal(e)
                    }
                    None => ApiError::Unauthorized(e.to_string()),
                }),
            };
        }
        let session = match session_cookie(&parts.headers) {
            Some(id) => access.session(id).await.map_err(internal)?,
            None => None,
        };
        if let Some(principal) = session {
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

/// A failure of the database of users and sessions, or of a check, as a 500 (the cause is
/// logged where it happened; the client learns nothing of it).
fn internal(e: AccessError) -> ApiError {
    ApiError::Internal(anyhow::Error::new(e))
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
pub(super) fn routes() -> Vec<Route> {
    vec![
        get("/login", Reads::NoRegion, login_page),
        post("/login", Reads::NoRegion, login),
        post("/logout", Reads::NoRegion, logout),
        get("/api/v1/me", Reads::NoRegion, me),
    ]
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
/// send someone elsewhere. Browsers drop tabs and line breaks from a URL and read `\\` as `/`,
/// so `/\t/evil.example` would leave the site: only visible ASCII is kept as is, anything else
/// (and any backslash) sends the user to the overview. A line break could not go into the
/// `Location` header either.
fn local_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.into()
        }
        _ => "/".into(),
    }
}

/// `GET /login?lang=en&next=/…`
async fn login_page(principal: Principal, Query(q): Query<LoginQuery>) -> Markup {
    let lang = lang_of(q.lang.as_deref());
    login_markup(&principal, lang, &local_next(q.next.as_deref()), None)
}

/// `POST /login` with `name`, `password`, `next`, `lang` (form-encoded). Wrong credentials
/// are a 401, too many recent failures a 429 and full verification slots a 503, each with the
/// login page and its message.
async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
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
    let name = form.name.trim();
    let principal = match state.access.login(name, &form.password, client).await {
        Ok(principal) => principal,
        Err(AccessError::Gate(GateError::Failed)) => {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "the password check of a login stopped unexpectedly"
            )));
        }
        Err(e @ AccessError::Database) => return Err(internal(e)),
        Err(e) => {
            tracing::info!(user = name, client = ?client, reason = %e, "login refused");
            let anonymous = state.access.anonymous();
            let response = match try_later(&e, lang) {
                Some((status, retry_after, message)) => super::error::with_retry_after(
                    (
                        status,
                        login_markup(&anonymous, lang, &next, Some(&message)),
                    )
                        .into_response(),
                    retry_after,
                ),
                None => {
                    let message = lang.pick(
                        "Nama pengguna atau kata sandi salah.",
                        "Wrong user name or password.",
                    );
                    let page = login_markup(&anonymous, lang, &next, Some(message));
                    (StatusCode::UNAUTHORIZED, page).into_response()
                }
            };
            return Ok(response);
        }
    };
    tracing::info!(user = principal.name(), role = ?principal.role(), "logged in");
    let id = state
        .access
        .start_session(&principal)
        .await
        .map_err(internal)?;
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
        state.access.end_session(id).await.map_err(internal)?;
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
