//! The one place where a request's access to regions is decided.
//!
//! A route that reads regions takes its parameters through [`Scoped<T>`]: `T` parses the
//! request's path and query into typed values ([`RegionRequest::parse`]) and states every
//! region it will read ([`RegionRequest::reach`]); the extractor checks the caller's capability
//! and scope against that before the handler runs, so a handler never holds the parameters of a
//! request its caller may not make, and a refusal comes before anything is looked up (the answer
//! is the same whether the region has data or not). Defaults are the caller's: a request that
//! names no region reads the configured one when the caller may see it, else the root of the
//! caller's scope, so a default never reaches outside a scope.
//!
//! The route table ([`super::routes`]) says which routes read regions. Each of them is wrapped
//! in [`require_decision`], which gives the request a [`Decision`] witness that only this
//! extractor sets: a region-reading route whose handler answers successfully without having
//! gone through the check is turned into a 500, so a route that forgets it fails closed rather
//! than leaking.
//!
//! This module decides who may read which regions; it does not know what a route does with
//! them, and it does not authenticate (that is [`Principal`]'s extractor in `server::auth`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::error::error_response;
use super::{ApiError, AppState};
use crate::auth::{Capability, Principal};
use crate::region::{Level, RegionCode};

/// The regions a request reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// These regions (each with everything inside it). Empty: none at all.
    Regions(Vec<RegionCode>),
    /// Every region: national lists, every source's uploads.
    Everything,
}

impl Reach {
    /// One region.
    pub fn one(code: &RegionCode) -> Reach {
        Reach::Regions(vec![code.clone()])
    }
}

/// A request's raw parameters: the query string and the route's path parameters.
pub struct Input<'a> {
    uri: &'a axum::http::Uri,
    path: Vec<(String, String)>,
}

impl Input<'_> {
    /// The query string deserialised into `Q` (400 naming the parameter that does not fit).
    pub fn query<Q: DeserializeOwned>(&self) -> Result<Q, ApiError> {
        axum::extract::Query::try_from_uri(self.uri)
            .map(|q| q.0)
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }

    /// A path parameter by its name in the route pattern.
    pub fn path(&self, name: &str) -> Result<&str, ApiError> {
        self.path
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("route has no {{{name}}} segment")))
    }
}

/// Who is asking, with the server state: what a request needs to fill in its defaults.
pub struct Caller<'a> {
    /// The server.
    pub state: &'a AppState,
    /// The caller.
    pub principal: &'a Principal,
}

impl Caller<'_> {
    /// The region a request reads when it names none: the configured one when the caller may
    /// see it, else the root of the caller's scope.
    pub fn default_region(&self) -> RegionCode {
        self.principal.default_region(&self.state.config.region)
    }

    /// `raw` parsed as a region code (400 naming `name` when malformed), or the caller's
    /// default when absent or empty; the flag says whether the default applied.
    pub fn region_or_default(
        &self,
        name: &str,
        raw: Option<&str>,
    ) -> Result<(RegionCode, bool), ApiError> {
        match present(raw) {
            Some(r) => Ok((parse_region(name, r)?, false)),
            None => Ok((self.default_region(), true)),
        }
    }

    /// `raw` parsed as a region code, or, when absent, the root of the caller's scope (`None`
    /// for a caller who sees everything): a filter that defaults to "all I may see".
    pub fn region_or_scope(
        &self,
        name: &str,
        raw: Option<&str>,
    ) -> Result<Option<RegionCode>, ApiError> {
        match present(raw) {
            Some(r) => parse_region(name, r).map(Some),
            None => Ok(self.principal.scope().root().cloned()),
        }
    }
}

/// A value, trimmed, unless absent or blank.
pub fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// A region code, or a 400 naming the parameter.
pub fn parse_region(name: &str, raw: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(raw.trim()).map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
}

/// A request that reads regions: how it is parsed, what it needs and which regions it reads.
pub trait RegionRequest: Sized + Send {
    /// The capability the caller needs at all (checked before parsing: an anonymous caller
    /// without public access gets 401 whatever it sent).
    const NEEDS: Capability = Capability::View;

    /// Parse the request's parameters into typed values, with the caller's defaults.
    fn parse(input: &Input<'_>, caller: &Caller<'_>) -> Result<Self, ApiError>;

    /// Every region this request reads.
    fn reach(&self, state: &AppState) -> Reach;

    /// Whether `principal` may make this request; by default it needs [`Self::NEEDS`] and
    /// every region of [`Self::reach`]. A request with its own rule (a region's own report)
    /// overrides this, still in terms of its parsed values.
    fn authorize(&self, principal: &Principal, state: &AppState) -> Result<(), ApiError> {
        principal.require(Self::NEEDS)?;
        check_reach(principal, &self.reach(state))
    }
}

/// Ok when `principal` may read every region of `reach`.
pub fn check_reach(principal: &Principal, reach: &Reach) -> Result<(), ApiError> {
    match reach {
        Reach::Regions(codes) => {
            for code in codes {
                principal.require_region(code)?;
            }
            Ok(())
        }
        Reach::Everything => Ok(principal.require_all_regions()?),
    }
}

/// A parsed request whose regions the caller may read, with the caller. The only way a
/// region-reading handler gets its parameters.
pub struct Scoped<T> {
    /// The parsed request.
    pub request: T,
    /// Who asked.
    pub principal: Principal,
}

impl<T: RegionRequest> FromRequestParts<AppState> for Scoped<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        principal.require(T::NEEDS)?;
        let path = match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            Err(e) => return Err(ApiError::BadRequest(e.body_text())),
        };
        let input = Input {
            uri: &parts.uri,
            path,
        };
        let caller = Caller {
            state,
            principal: &principal,
        };
        let request = T::parse(&input, &caller)?;
        request.authorize(&principal, state)?;
        if let Some(decision) = parts.extensions.get::<Decision>() {
            decision.0.store(true, Ordering::Release);
        }
        Ok(Scoped { request, principal })
    }
}

/// Set by [`Scoped`] once a request's regions were checked.
#[derive(Clone, Default)]
pub struct Decision(Arc<AtomicBool>);

/// Middleware on every route that reads regions: a successful answer that did not go through
/// [`Scoped`] is replaced by a 500 and logged, so a handler that forgets the check leaks
/// nothing.
pub async fn require_decision(mut request: Request, next: Next) -> Response {
    let decision = Decision::default();
    request.extensions_mut().insert(decision.clone());
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let answered = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    if answered && !decision.0.load(Ordering::Acquire) {
        tracing::error!(
            path,
            "a route that reads regions answered without deciding access; refused"
        );
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; the server log has the details",
        );
    }
    response
}

/// The province of a region (itself for a province).
pub fn province_of(code: &RegionCode) -> Option<RegionCode> {
    code.at_level(Level::Province)
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::extract::Extension;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn status(router: Router, uri: &str) -> StatusCode {
        let request = axum::http::Request::get(uri).body(Body::empty()).unwrap();
        router.oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn a_region_route_that_answers_without_deciding_access_is_refused() {
        let forgot = Router::new()
            .route("/", get(|| async { "every region's data" }))
            .layer(axum::middleware::from_fn(require_decision));
        assert_eq!(status(forgot, "/").await, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn a_decided_route_answers_and_errors_pass_through() {
        let decided = Router::new()
            .route(
                "/",
                get(|Extension(d): Extension<Decision>| async move {
                    d.0.store(true, Ordering::Release);
                    "checked"
                }),
            )
            .route("/refused", get(|| async { StatusCode::FORBIDDEN }))
            .layer(axum::middleware::from_fn(require_decision));
        assert_eq!(status(decided.clone(), "/").await, StatusCode::OK);
        assert_eq!(status(decided, "/refused").await, StatusCode::FORBIDDEN);
    }
}
