//! The route table: every route of the server, with what it reads and the body it takes.
//!
//! Routes are registered only through this table: each feature module lists its routes as
//! [`Route`] values ([`get`], [`post`]) and [`router`] builds the axum router from the lot. A
//! route that reads regions ([`Reads::Regions`]) is wrapped in
//! [`access::require_decision`](super::access::require_decision), so its handler must take its
//! parameters through [`Scoped`](super::access::Scoped) or it answers 500; the access tests walk
//! [`table`] and fail on a route they have no case for.
//!
//! This module wires routes; what a route needs (capabilities, regions) is decided by its
//! request type in [`super::access`].

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, on};
use tower_http::limit::RequestBodyLimitLayer;

use super::AppState;

/// Whether a route reads regions' data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// Region data: scores, activities, charts, reports of a region or a set of regions. Access
    /// is decided by the route's request type (see [`super::access`]).
    Regions,
    /// No region's data: health, login, the API document, the framework, uploads (whose rows are
    /// checked against the uploader's scope one by one), job runs.
    NoRegion,
}

/// The request bodies a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Small bodies (`[server] max_body_kb`): forms and queries.
    Small,
    /// Uploads (`[ingest] max_upload_mb`).
    Upload,
}

/// One route: method, path pattern, what it reads, its body limit and its handler.
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path pattern as registered, e.g. `/charts/{file}`.
    pub path: &'static str,
    /// Whether it reads regions.
    pub reads: Reads,
    /// Its body limit.
    pub body: Body,
    service: MethodRouter<AppState>,
}

impl Route {
    /// The same route, taking upload-sized bodies.
    pub fn uploads(mut self) -> Route {
        self.body = Body::Upload;
        self
    }
}

fn route<H, T>(method: Method, path: &'static str, reads: Reads, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter =
        axum::routing::MethodFilter::try_from(method.clone()).expect("routes use standard methods");
    Route {
        method,
        path,
        reads,
        body: Body::Small,
        service: on(filter, handler),
    }
}

/// A GET route (HEAD is answered by axum from it).
pub fn get<H, T>(path: &'static str, reads: Reads, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    route(Method::GET, path, reads, handler)
}

/// A POST route.
pub fn post<H, T>(path: &'static str, reads: Reads, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    route(Method::POST, path, reads, handler)
}

/// A PUT route.
pub fn put<H, T>(path: &'static str, reads: Reads, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    route(Method::PUT, path, reads, handler)
}

/// A PATCH route.
pub fn patch<H, T>(path: &'static str, reads: Reads, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    route(Method::PATCH, path, reads, handler)
}

/// Every route of the server.
pub fn all() -> Vec<Route> {
    [
        super::ops::routes(),
        super::auth::routes(),
        super::api::routes(),
        super::activities::routes(),
        super::charts::routes(),
        super::explain::routes(),
        super::sensitivity::routes(),
        super::openapi::routes(),
        super::reports::routes(),
        super::ingest::routes(),
        super::pages::routes(),
        super::evaluation::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// One row of the table, without its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// HTTP method.
    pub method: Method,
    /// Path pattern.
    pub path: &'static str,
    /// Whether it reads regions.
    pub reads: Reads,
}

/// The route table: method, path and what each route reads.
pub fn table() -> Vec<RouteInfo> {
    all()
        .into_iter()
        .map(|r| RouteInfo {
            method: r.method,
            path: r.path,
            reads: r.reads,
        })
        .collect()
}

/// The routes as one router: region-reading routes behind the access decision, bodies limited
/// per route.
pub fn router(max_body_bytes: usize, max_upload_bytes: usize) -> Router<AppState> {
    all().into_iter().fold(Router::new(), |router, r| {
        let mut service = r.service;
        if r.reads == Reads::Regions {
            service = service.layer(axum::middleware::from_fn(super::access::require_decision));
        }
        service = match r.body {
            Body::Small => service.layer(RequestBodyLimitLayer::new(max_body_bytes)),
            Body::Upload => service.layer(DefaultBodyLimit::max(max_upload_bytes)),
        };
        router.route(r.path, service)
    })
}
