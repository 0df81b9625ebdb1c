//! One error type for handlers: client errors carry a helpful message, server errors are logged
//! once with their cause chain and say little to the client. [`json_errors`] gives the same
//! body to errors made outside the handlers (extractor rejections, 405, 408, 413).

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::view::ViewError;

/// An error a handler returns; rendered as `{"error": {"status": …, "message": …}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad parameter value).
    #[error("{0}")]
    BadRequest(String),
    /// Credentials are missing or wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// The request is understood but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request body is over the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Not now: too many attempts (429) or no capacity (503); try again after `retry_after`.
    #[error("{message}")]
    TryLater {
        /// 429 or 503.
        status: StatusCode,
        /// When to come back (sent as `Retry-After`).
        retry_after: std::time::Duration,
        /// What happened, in the caller's language.
        message: String,
    },
    /// Something failed on our side.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TryLater { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown to the client.
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Internal(e) => {
                tracing::error!("internal error: {e:#}");
                "internal error; the server log has the details".to_string()
            }
            other => other.to_string(),
        }
    }
}

impl From<ViewError> for ApiError {
    fn from(e: ViewError) -> Self {
        ApiError::NotFound(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = error_response(status, &self.public_message());
        if status == StatusCode::UNAUTHORIZED {
            // RFC 9110: a 401 names the scheme that would work.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"kotacerdas\""),
            );
        }
        if let ApiError::TryLater { retry_after, .. } = self {
            response = with_retry_after(response, retry_after);
        }
        response
    }
}

/// Whole seconds, rounded up and at least 1: a client told 0 would come straight back.
pub fn retry_secs(d: std::time::Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// `response` with `Retry-After` set to `retry_after`.
pub fn with_retry_after(mut response: Response, retry_after: std::time::Duration) -> Response {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from(retry_secs(retry_after)),
    );
    response
}

/// The error body every route answers with, as documented in the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// Inside [`ErrorBody`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// The HTTP status, repeated.
    pub status: u16,
    /// A sentence saying what is wrong and, for client errors, how to fix it.
    pub message: String,
}

/// `{"error": {"status": …, "message": …}}` with that status.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": { "status": status.as_u16(), "message": message } });
    (status, Json(body)).into_response()
}

/// Error bodies larger than this are not read back when rewriting them.
const MAX_REWRITTEN_BODY: usize = 16 * 1024;

/// Middleware: an error response that is neither JSON nor an HTML page (axum's plain-text
/// extractor rejections, the empty 405, 408 and 413 of the routing and limit layers) is
/// rewritten into the [`ErrorBody`] shape, keeping its status and its text as the message.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return resp;
    }
    let text = axum::body::to_bytes(resp.into_body(), MAX_REWRITTEN_BODY)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let message = text.unwrap_or_else(|| match status {
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was abandoned".into(),
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is over the limit".into(),
        other => other
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
    });
    error_response(status, &message)
}
