//! RFC 9457 problem details for everything that is not a resolution result: limits (413, 414, 503), unknown
//! routes, and the errors of non-resolver endpoints. Resolution errors are full resolution results instead; they
//! are rendered by `crate::resolver::render`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Base of the `type` URIs of this node's own problems (a URN: they name a kind, they are not web pages).
/// The kinds are listed in the README.
const TYPE_BASE: &str = "urn:trustnode:problem:";

/// One problem: a status, a short machine-readable kind and a human explanation.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Short kind, the last part of the `type` URI (e.g. `identifier-too-long`).
    pub kind: &'static str,
    /// What went wrong, for people.
    pub detail: String,
    /// Seconds after which a retry may succeed (503).
    pub retry_after: Option<u32>,
    /// Ask for bearer credentials (`WWW-Authenticate: Bearer`, 401).
    pub bearer_challenge: bool,
}

impl Problem {
    /// A problem with the given status, kind and detail.
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem { status, kind, detail: detail.into(), retry_after: None, bearer_challenge: false }
    }

    /// Credentials are missing or wrong: 401 with a bearer challenge.
    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem { bearer_challenge: true, ..Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail) }
    }

    /// The node is busy or a request ran out of time: 503 with `Retry-After`.
    pub fn unavailable(kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem { retry_after: Some(1), ..Problem::new(StatusCode::SERVICE_UNAVAILABLE, kind, detail) }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": format!("{TYPE_BASE}{}", self.kind),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.bearer_challenge {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
