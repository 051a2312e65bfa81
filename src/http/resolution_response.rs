//! A rendered resolution answer, ready to be sent any number of times: the one place a `Resolution` and its
//! rendering become an HTTP response. Repeatable answers are kept in a [`super::microcache::MicroCache`] and
//! sent again for identical `GET` requests within the same second.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::microcache::MAX_VALUE_BYTES;
use trustnode_did::error::ErrorCode;
use trustnode_resolver::render::Rendered;
use trustnode_resolver::{Resolution, Validity};

/// A rendered resolution answer, ready to be sent any number of times.
#[derive(Debug)]
pub struct ResolutionResponse {
    status: StatusCode,
    content_type: &'static str,
    cache_control: HeaderValue,
    location: Option<HeaderValue>,
    body: Bytes,
    /// What the metrics count for each answer sent.
    method: Option<&'static str>,
    error: Option<ErrorCode>,
}

impl ResolutionResponse {
    /// The answer for `resolution`, rendered as `rendered`.
    pub fn new(resolution: &Resolution, rendered: Rendered) -> ResolutionResponse {
        ResolutionResponse {
            status: StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            content_type: rendered.content_type,
            cache_control: cache_control(resolution.validity, rendered.status),
            location: rendered.location.and_then(|location| HeaderValue::from_str(&location).ok()),
            body: Bytes::from(rendered.body),
            method: resolution.method,
            error: resolution.result.as_ref().err().map(|error| error.code),
        }
    }

    /// The method that answered (`None`: the request failed before a method was chosen).
    pub fn method(&self) -> Option<&'static str> {
        self.method
    }

    /// The error code of a failed resolution; `None` for a success.
    pub fn error(&self) -> Option<ErrorCode> {
        self.error
    }

    /// What the answer says, for a batch to carry it: status, `Content-Type`, `Location` and body.
    pub(crate) fn parts(&self) -> (StatusCode, &'static str, Option<&HeaderValue>, &Bytes) {
        (self.status, self.content_type, self.location.as_ref(), &self.body)
    }

    /// Whether a microcache may keep this answer for the rest of `resolution`'s second: the resolution is
    /// repeatable and the body small.
    pub(crate) fn keepable(&self, resolution: &Resolution) -> bool {
        resolution.repeatable && self.body.len() <= MAX_VALUE_BYTES
    }

    /// The HTTP response; the body is shared, not copied.
    pub(crate) fn to_response(&self) -> Response {
        let mut response = (self.status, self.body.clone()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        headers.insert(header::VARY, HeaderValue::from_static("Accept"));
        if let Some(location) = &self.location {
            headers.insert(header::LOCATION, location.clone());
        }
        response
    }
}

/// `Cache-Control` of answers that never change; one year is the conventional "forever" of `max-age`.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The `Cache-Control` of an answer, so HTTP caches and CDNs in front of the node can keep it as long as it is
/// correct: computed answers (did:key, did:jwk) forever, did:web answers for the rest of their cache lifetime,
/// everything else not at all. Only answers that depend on the identifier alone (200, 303, 404, 410) are cacheable;
/// 400s may come from options, 5xx are transient. The `Vary: Accept` sent alongside keeps representations apart.
pub fn cache_control(validity: Validity, status: u16) -> HeaderValue {
    let cacheable = matches!(status, 200 | 303 | 404 | 410);
    match validity {
        Validity::Immutable if cacheable => Ok(HeaderValue::from_static(IMMUTABLE)),
        Validity::Seconds(seconds) if cacheable => HeaderValue::from_str(&format!("public, max-age={seconds}")),
        _ => Ok(HeaderValue::from_static("no-store")),
    }
    .unwrap_or(HeaderValue::from_static("no-store"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustnode_resolver::accept::negotiate;
    use trustnode_resolver::render::render;
    use trustnode_resolver::{computed, ResolutionOptions, Resolver};

    fn resolve(input: &str) -> Resolution {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let resolver = Resolver::new(computed::key_and_jwk(4));
        runtime.block_on(resolver.resolve(input, &ResolutionOptions::default()))
    }

    fn answer(resolution: &Resolution) -> ResolutionResponse {
        ResolutionResponse::new(resolution, render(resolution, negotiate(None)))
    }

    #[test]
    fn computed_documents_are_keepable_and_failures_before_a_document_are_not() {
        let resolution = resolve("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK");
        assert!(answer(&resolution).keepable(&resolution));
        let failed = resolve("did:key:z1");
        assert!(!answer(&failed).keepable(&failed));
    }

    #[test]
    fn responses_carry_the_rendered_status_and_headers() {
        let resolution = resolve("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK");
        let response = answer(&resolution).to_response();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert_eq!(response.headers()[header::VARY], "Accept");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/did-resolution");
    }

    #[test]
    fn only_answers_that_depend_on_the_identifier_alone_are_cacheable() {
        let header = |validity, status| cache_control(validity, status).to_str().unwrap().to_owned();
        assert_eq!(header(Validity::Immutable, 200), "public, max-age=31536000, immutable");
        assert_eq!(header(Validity::Seconds(42), 200), "public, max-age=42");
        assert_eq!(header(Validity::Seconds(7), 404), "public, max-age=7");
        assert_eq!(header(Validity::Unknown, 200), "no-store");
        for status in [400, 406, 500, 501, 503] {
            assert_eq!(header(Validity::Immutable, status), "no-store", "{status}");
        }
    }
}
