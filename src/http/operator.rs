//! The operators' endpoints: `GET /readyz` and `GET /metrics`, reading what `crate::telemetry` keeps.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::problem::{Problem, Refusal};
use super::HttpState;
use crate::telemetry::metrics::CONTENT_TYPE;

/// `GET /readyz`: 200 `ready`, followed by one `warning: ...` line per configuration risk, or 503 naming the
/// conditions not met.
pub async fn readyz(State(state): State<Arc<HttpState>>) -> Response {
    let unmet = state.node.readiness.unmet();
    if unmet.is_empty() {
        let warnings = state.node.readiness.warnings();
        let body = std::iter::once("ready".to_owned()).chain(warnings.iter().map(|w| format!("\nwarning: {w}")));
        return (StatusCode::OK, body.collect::<String>()).into_response();
    }
    Problem::from(Refusal::NotReady(unmet.join(", "))).into_response()
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(State(state): State<Arc<HttpState>>) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], state.node.metrics.render()).into_response()
}
