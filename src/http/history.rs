//! `GET /1.0/history/{did}`: the verified version history of a DID whose method keeps one (did:webvh), for the
//! explorer and for verifiers choosing the key in force at a credential's time: each version's number, id, time,
//! the update keys in force after it, its verification methods with their relationships and keys, and whether it
//! deactivated the DID.
//!
//! Thin: the identifier and options are split as for `/1.0/identifiers` (`noCache` is honoured), the did:webvh
//! resolver fetches, verifies and caches. A DID of a method without a history is refused here, by the method's
//! `historyAvailable` trait; this module holds no did:webvh rules.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use percent_encoding::percent_decode_str;

use super::identifiers::{options, split_request, too_long};
use super::problem::{Problem, Refusal};
use super::HttpState;
use trustnode_did::error::{invalid_did, method_not_supported};
use trustnode_did::syntax::DidUrl;
use trustnode_resolver::web::webvh::WebVhResolver;
use trustnode_resolver::DidMethod;

/// The route prefix; what follows it is the DID.
const PREFIX: &str = "/1.0/history/";

/// `GET /1.0/history/{did}`.
pub(crate) async fn get(State(state): State<Arc<HttpState>>, uri: Uri) -> Response {
    let raw_path = uri.path().strip_prefix(PREFIX).unwrap_or_default();
    if let Some(refusal) = too_long(&state, percent_decode_str(raw_path).count()) {
        return Problem::from(refusal).into_response();
    }
    match history(&state, raw_path, uri.query()).await {
        Ok(history) => Json(history).into_response(),
        Err(problem) => problem.into_response(),
    }
}

async fn history(state: &HttpState, raw_path: &str, query: Option<&str>) -> Result<serde_json::Value, Problem> {
    let split = split_request(raw_path, query)?;
    let options = options(&split.options, None)?;
    let url = DidUrl::parse(&split.identifier)?;
    if !url.is_bare_did() {
        return Err(invalid_did(format!("{} is a DID URL; the history is of a DID", split.identifier)).into());
    }
    let resolver = &state.node.resolver;
    let method = resolver
        .methods()
        .find(|method| method.name() == url.method)
        .ok_or_else(|| method_not_supported(format!("did:{} is not supported by this node", url.method)))?;
    if !method.traits().history_available {
        return Err(Refusal::NoVersionHistory(url.method.to_owned()).into());
    }
    let webvh = resolver.method::<WebVhResolver>().filter(|webvh| webvh.name() == method.name());
    let Some(webvh) = webvh else { return Err(Refusal::NoVersionHistory(url.method.to_owned()).into()) };
    Ok(webvh.history(url.did, url.method_specific_id, &options).await?)
}
