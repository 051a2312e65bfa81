//! The node's own identity over HTTP: `GET /.well-known/did.json` (its DID document, so a did:web naming this
//! host resolves here) and `GET /node` (its DID, verification method, software version and hosted registries).
//! Only translation here; the identity is `crate::identity`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::HttpState;
use trustnode_registry::wire::{ANSWER_JWS_TYPE, JOSE_MEDIA_TYPE};

/// `GET /.well-known/did.json`.
pub(crate) async fn did_document(State(state): State<Arc<HttpState>>) -> Response {
    let body = state.node.identity.document().to_string();
    ([(header::CONTENT_TYPE, "application/did+json")], body).into_response()
}

/// `GET /node`.
pub async fn node(State(state): State<Arc<HttpState>>) -> Json<Value> {
    let registries: Vec<Value> = state
        .node
        .registries
        .iter()
        .map(|registry| {
            json!({
                "authority_id": registry.authority_id(),
                "sequence": registry.current().map(|published| published.snapshot().snapshot().sequence),
                "upstream": registry.upstream(),
            })
        })
        .collect();
    Json(json!({
        "did": state.node.identity.did(),
        "verification_method": state.node.identity.kid(),
        "software": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")},
        "answer_signing": {
            "accept": JOSE_MEDIA_TYPE,
            "typ": ANSWER_JWS_TYPE,
        },
        "registries": registries,
    }))
}
