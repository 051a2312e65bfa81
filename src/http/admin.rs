//! Operator endpoints behind the admin bearer token: did:web cache statistics, and invalidation of the did:web and
//! did:webvh caches (a purge also clears a did:webvh history-rewrite flag).
//!
//! Off (404) unless `admin.token` is configured; a missing or wrong token is 401. The token is compared in
//! constant time.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::identifiers::split_request;
use super::problem::{Problem, Refusal};
use super::HttpState;
use trustnode_resolver::web::webvh::WebVhResolver;
use trustnode_resolver::web::WebResolver;

/// Route prefix of the per-DID invalidation.
const CACHE_PREFIX: &str = "/1.0/cache/";

/// `GET /1.0/cache`: entry count, disk size and counters of the did:web cache, with the did:webvh cache's under
/// `webvh`.
pub(crate) async fn cache_stats(State(state): State<Arc<HttpState>>, headers: HeaderMap) -> Response {
    if let Err(problem) = authorize(&state, &headers) {
        return problem.into_response();
    }
    let resolver = &state.node.resolver;
    let Some(web) = resolver.method::<WebResolver>() else { return did_web_disabled().into_response() };
    let mut stats = json!(web.stats());
    if let Some(webvh) = resolver.method::<WebVhResolver>() {
        let mut logs = json!(webvh.stats());
        logs["historyRewrites"] = json!(webvh.history_rewrites());
        stats["webvh"] = logs;
    }
    Json(stats).into_response()
}

/// `DELETE /1.0/cache`: drop every cached did:web document and did:webvh log.
pub(crate) async fn purge_all(State(state): State<Arc<HttpState>>, headers: HeaderMap) -> Response {
    purge(&state, &headers, None)
}

/// `DELETE /1.0/cache/{did}`: drop one DID's cached document or log (raw or percent-encoded DID).
pub(crate) async fn purge_one(State(state): State<Arc<HttpState>>, headers: HeaderMap, uri: Uri) -> Response {
    let raw = uri.path().strip_prefix(CACHE_PREFIX).unwrap_or_default();
    match split_request(raw, None) {
        Ok(split) => purge(&state, &headers, Some(&split.identifier)),
        Err(error) => Problem::from(Refusal::InvalidDid(error.detail)).into_response(),
    }
}

fn purge(state: &HttpState, headers: &HeaderMap, did: Option<&str>) -> Response {
    if let Err(problem) = authorize(state, headers) {
        return problem.into_response();
    }
    let resolver = &state.node.resolver;
    let (web, webvh) = (resolver.method::<WebResolver>(), resolver.method::<WebVhResolver>());
    if web.is_none() && webvh.is_none() {
        return did_web_disabled().into_response();
    }
    // Rendered answers hold documents too: forget them all, so no purged document is served again.
    state.answers.clear();
    let purges = [web.map(|web| web.purge(did)), webvh.map(|webvh| webvh.purge(did))];
    match purges.into_iter().flatten().sum::<Result<usize, _>>() {
        Ok(purged) => {
            tracing::info!(did = did.unwrap_or("*"), purged, "did:web and did:webvh caches purged by an operator");
            Json(json!({ "purged": purged })).into_response()
        }
        Err(error) => Problem::from(Refusal::CacheError(error.to_string())).into_response(),
    }
}

fn authorize(state: &HttpState, headers: &HeaderMap) -> Result<(), Problem> {
    let expected = state.node.config.admin.token.as_bytes();
    if expected.is_empty() {
        return Err(Refusal::AdminDisabled.into());
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default()
        .as_bytes();
    if bool::from(presented.ct_eq(expected)) {
        Ok(())
    } else {
        Err(Problem::unauthorized("a valid admin bearer token is required"))
    }
}

fn did_web_disabled() -> Problem {
    Refusal::DidWebDisabled.into()
}
