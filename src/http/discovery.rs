//! The Universal Resolver's discovery endpoints (`/1.0/methods`, `/1.0/testIdentifiers`, `/1.0/traits`,
//! `/1.0/properties`) and `/healthz`. They describe the node; they resolve nothing.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::HttpState;
use trustnode_resolver::DidMethod;

/// `GET /1.0/methods`: the enabled method names, as the Universal Resolver lists them. With `?versions=true`, an
/// object instead: each method's name with the versions of its specification the node implements (`[]` for methods
/// without versions), e.g. `"webvh": ["1.0", "0.5"]`.
pub async fn methods(State(state): State<Arc<HttpState>>, RawQuery(query): RawQuery) -> Response {
    let resolver = &state.node.resolver;
    if query.is_some_and(|query| query.split('&').any(|pair| pair == "versions=true")) {
        return Json(per_method(&state, |method| json!(method.specification_versions()))).into_response();
    }
    Json(resolver.methods().map(|method| method.name()).collect::<Vec<_>>()).into_response()
}

/// `GET /1.0/testIdentifiers`: identifiers per method that resolve, for clients that probe a resolver.
pub async fn test_identifiers(State(state): State<Arc<HttpState>>) -> Json<Map<String, Value>> {
    Json(per_method(&state, |method| json!(method.test_identifiers())))
}

/// `GET /1.0/traits`: what each method can do.
pub async fn traits(State(state): State<Arc<HttpState>>) -> Json<Map<String, Value>> {
    Json(per_method(&state, |method| json!(method.traits())))
}

/// `GET /1.0/properties`: the node's resolver configuration (no secrets).
pub async fn properties(State(state): State<Arc<HttpState>>) -> Json<Value> {
    let config = &state.node.config;
    Json(json!({
        "methods": state.node.resolver.methods().map(|method| method.name()).collect::<Vec<_>>(),
        "limits": {
            "maxIdentifierBytes": config.server.max_identifier_bytes,
            "maxBodyBytes": config.server.max_body_bytes,
            "requestTimeoutMs": config.server.request_timeout_ms,
        },
        "web": {
            "timeoutMs": config.web.timeout_ms,
            "connectTimeoutMs": config.web.connect_timeout_ms,
            "maxDocumentBytes": config.web.max_document_bytes,
            "allowPrivateAddresses": config.web.allow_private_addresses,
        },
        "webvh": {
            "versions": state.node.resolver.methods().find(|m| m.name() == "webvh").map(|m| m.specification_versions()),
            "maxLogBytes": config.web.max_webvh_log_bytes,
            "maxLogEntries": config.web.max_webvh_log_entries,
        },
        "cache": {
            "defaultTtlS": config.cache.default_ttl_s,
            "minTtlS": config.cache.min_ttl_s,
            "maxTtlS": config.cache.max_ttl_s,
            "maxStaleS": config.cache.max_stale_s,
            "negativeTtlS": config.cache.negative_ttl_s,
        },
    }))
}

/// `GET /healthz`: the process is up and serving.
pub async fn healthz() -> &'static str {
    "ok"
}

fn per_method(state: &HttpState, value: impl Fn(&dyn DidMethod) -> Value) -> Map<String, Value> {
    state.node.resolver.methods().map(|method| (method.name().to_owned(), value(method))).collect()
}
