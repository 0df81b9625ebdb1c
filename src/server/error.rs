//! One error type for handlers: client errors carry a helpful message, server errors are logged
//! once with their cause chain and say little to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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
        let body =
            json!({ "error": { "status": status.as_u16(), "message": self.public_message() } });
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            // RFC 9110: a 401 names the scheme that would work.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"kotacerdas\""),
            );
        }
        response
    }
}
