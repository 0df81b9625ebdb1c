//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the API, generated with utoipa from
//! the handlers' `#[utoipa::path]` attributes and the response types' `ToSchema` derives, so
//! it changes when the code does. A test walks every documented GET route with the documented
//! example parameters and checks the real answers against the documented schemas.
//!
//! This module only assembles and serves the document; the routes themselves live with their
//! handlers.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::routes::{Reads, Route, get};
use super::{activities, api, charts, explain, ingest, ops, sensitivity};

/// The API document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "kotacerdas",
        description = "Smart-city indicator scores for Indonesian regions: regions, periods, frameworks, scores, indicators, activities, charts and operations. Errors answer with `ErrorBody`.",
    ),
    paths(
        api::regions::regions,
        api::regions::region,
        api::periods::periods,
        api::frameworks::frameworks,
        api::frameworks::framework,
        api::scores::scores,
        api::scores::peer_scores,
        api::indicators::indicators,
        api::indicators::indicator,
        api::runs::ingest_runs,
        activities::list_activities,
        explain::explain_score,
        sensitivity::sensitivity_ranks,
        charts::chart,
        ingest::upload,
        ops::healthz,
        ops::readyz,
        ops::jobs_run,
    ),
    components(schemas(super::error::ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "regions", description = "Kemendagri regions"),
        (name = "scores", description = "Index and dimension scores, ranks, sensitivity"),
        (name = "frameworks", description = "Dimensions, indicators, weights, methods"),
        (name = "indicators", description = "Indicators and how a score was made"),
        (name = "activities", description = "Activity records behind the scores"),
        (name = "ingest", description = "Uploads and the ingest history"),
        (name = "charts", description = "Charts as PNG or SVG"),
        (name = "operations", description = "Health, readiness, job runs"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer scheme the upload and job routes use.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The route.
pub(super) fn routes() -> Vec<Route> {
    vec![get("/api/openapi.json", Reads::NoRegion, document)]
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the API document serialises")
    })
}

async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}
