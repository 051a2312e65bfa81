//! The Universal Resolver's discovery endpoints (`/1.0/methods`, `/1.0/testIdentifiers`, `/1.0/traits`,
//! `/1.0/properties`) and `/healthz`. They describe the node; they resolve nothing.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};

use super::AppState;
use crate::resolver::Method;

/// `GET /1.0/methods`: the enabled method names.
pub async fn methods(State(state): State<Arc<AppState>>) -> Json<Vec<&'static str>> {
    Json(state.resolver.methods().iter().map(|m| m.name()).collect())
}

/// `GET /1.0/testIdentifiers`: identifiers per method that resolve, for clients that probe a resolver.
pub async fn test_identifiers(State(state): State<Arc<AppState>>) -> Json<Map<String, Value>> {
    Json(per_method(&state, |method| {
        match method {
        Method::Key => json!([
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
            "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        ]),
        Method::Jwk => json!([
            "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9"
        ]),
        Method::Web => json!(["did:web:w3c-ccg.github.io"]),
    }
    }))
}

/// `GET /1.0/traits`: what each method can do.
pub async fn traits(State(state): State<Arc<AppState>>) -> Json<Map<String, Value>> {
    Json(per_method(&state, |method| {
        let web = method == Method::Web;
        json!({
            "updatable": web,
            "deactivatable": web,
            "enumerable": false,
            "historyAvailable": false,
            "humanReadable": web,
        })
    }))
}

/// `GET /1.0/properties`: the node's resolver configuration (no secrets).
pub async fn properties(State(state): State<Arc<AppState>>) -> Json<Value> {
    let config = &state.config;
    Json(json!({
        "methods": state.resolver.methods().iter().map(|m| m.name()).collect::<Vec<_>>(),
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

fn per_method(state: &AppState, value: impl Fn(Method) -> Value) -> Map<String, Value> {
    state.resolver.methods().iter().map(|m| (m.name().to_owned(), value(*m))).collect()
}
