//! Security headers on every response: no MIME sniffing, a Content-Security-Policy that fits
//! the server-rendered pages (no scripts at all, inline styles, images from this site), no
//! framing by other sites, and no full URLs (with their region codes) in the `Referer` sent to
//! other sites.
//!
//! The pages use a `<style>` element and a few `style` attributes, and no JavaScript; SVG charts
//! are served as images. This module only sets headers; it does not decide access.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy: everything from this site only, no script, no plugin, no framing, forms post
/// only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'none'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The headers set, with their values.
pub fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
    ]
}

/// Middleware: add the security headers a response does not set itself.
pub async fn add_security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in security_headers() {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    response
}
