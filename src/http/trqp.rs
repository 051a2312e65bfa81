//! TRQP v2 queries: `POST /authorization`, `POST /recognition` and `GET /metadata?authority_id=`.
//!
//! Requests follow the specification's schema: `entity_id`, `authority_id`, `action`, `resource` (non-empty
//! strings) and an optional `context` object whose `time` (RFC 3339 with `Z`) makes the answer an as-of query;
//! other context members are ignored. Answers echo the four fields, give `authorized` / `recognized` and
//! `time_evaluated` (the instant the answer holds for: `context.time`, else now), `time_requested` when a time was
//! asked, and the optional explanation fields this node adds (`status`, `reason`, `statement_id`, `valid_from`,
//! `valid_until`, `registry_sequence`, `snapshot_digest`, `registry_stale`).
//!
//! Errors are problem details: 400 for invalid JSON, missing or empty fields or a bad `context.time`; 404 for an
//! unknown authority, entity, action or resource, unless `[trqp] hide_unknown` turns those into a plain 200 "no"
//! so the endpoint is no enumeration oracle. Only translation here; evaluation is `crate::registry::evaluate`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Map, Value};

use super::problem::Problem;
use super::registries::now;
use super::AppState;
use crate::registry::evaluate::{Evaluation, Query as Question, Standing};
use crate::registry::model::{StatementKind, Timestamp};

const QUESTION_FIELDS: [&str; 4] = ["entity_id", "authority_id", "action", "resource"];

/// A validated TRQP request.
struct Request<'r> {
    fields: [&'r str; 4],
    time_requested: Option<&'r str>,
    at: Timestamp,
}

fn bad_request(kind: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, kind, detail)
}

fn parse_request(body: &Value) -> Result<Request<'_>, Problem> {
    let object = body.as_object().ok_or_else(|| bad_request("invalid-request", "the body must be a JSON object"))?;
    let text = |name: &str| object.get(name).and_then(Value::as_str).filter(|value| !value.is_empty());
    let missing: Vec<&str> = QUESTION_FIELDS.into_iter().filter(|name| text(name).is_none()).collect();
    if !missing.is_empty() {
        return Err(bad_request(
            "missing-fields",
            format!("required non-empty string fields missing: {}", missing.join(", ")),
        ));
    }
    let [entity_id, authority_id, action, resource] = QUESTION_FIELDS.map(|name| text(name).unwrap_or_default());
    let context = match object.get("context") {
        None | Some(Value::Null) => None,
        Some(Value::Object(context)) => Some(context),
        Some(_) => return Err(bad_request("invalid-context", "`context` must be a JSON object")),
    };
    let time_requested = match context.and_then(|context| context.get("time")) {
        None => None,
        Some(Value::String(time)) => Some(time.as_str()),
        Some(_) => return Err(bad_request("invalid-time", "`context.time` must be an RFC 3339 string")),
    };
    let at = match time_requested {
        Some(time) => Timestamp::parse(time).map_err(|error| bad_request("invalid-time", error.to_string()))?,
        None => now()?,
    };
    Ok(Request { fields: [entity_id, authority_id, action, resource], time_requested, at })
}

/// `POST /authorization`.
pub async fn authorization(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, Problem> {
    answer(&state, StatementKind::Authorization, &body?)
}

/// `POST /recognition`.
pub async fn recognition(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, Problem> {
    answer(&state, StatementKind::Recognition, &body?)
}

fn answer(state: &AppState, kind: StatementKind, body: &[u8]) -> Result<Json<Value>, Problem> {
    let body: Value =
        serde_json::from_slice(body).map_err(|error| bad_request("invalid-json", format!("invalid JSON: {error}")))?;
    let request = parse_request(&body)?;
    let [entity_id, authority_id, action, resource] = request.fields;
    let verdict = match kind {
        StatementKind::Authorization => "authorized",
        StatementKind::Recognition => "recognized",
    };
    let mut response = Map::new();
    for (name, value) in QUESTION_FIELDS.into_iter().zip(request.fields) {
        response.insert(name.to_owned(), json!(value));
    }
    response.insert(verdict.to_owned(), json!(false));
    if let Some(time) = request.time_requested {
        response.insert("time_requested".to_owned(), json!(time));
    }
    response.insert("time_evaluated".to_owned(), json!(request.at));

    let unknown = |what: &'static str, kind: &'static str, value: &str| {
        if state.config.trqp.hide_unknown {
            let mut hidden = response.clone();
            hidden.insert("status".to_owned(), json!(Standing::Unknown));
            hidden.insert("message".to_owned(), json!("no statement answers this question"));
            Ok(Json(Value::Object(hidden)))
        } else {
            Err(Problem::new(StatusCode::NOT_FOUND, kind, format!("unknown {what} `{value}`")))
        }
    };
    let Some(published) = state.registries.get(authority_id).and_then(|registry| registry.current()) else {
        return unknown("authority", "unknown-authority", authority_id);
    };
    let index = &published.index;
    if !index.knows_entity(entity_id) {
        return unknown("entity", "unknown-entity", entity_id);
    }
    if !index.knows_action(action) {
        return unknown("action", "unknown-action", action);
    }
    if !index.knows_resource(resource) {
        return unknown("resource", "unknown-resource", resource);
    }
    let evaluation = index.evaluate(&Question { kind, entity_id, action, resource, at: request.at });
    response.insert(verdict.to_owned(), json!(evaluation.granted()));
    response.insert("message".to_owned(), json!(message(&evaluation)));
    if let Value::Object(explanation) = json!(evaluation) {
        response.extend(explanation);
    }
    let snapshot = index.snapshot();
    let current_time = now()?;
    response.insert("registry_sequence".to_owned(), json!(snapshot.snapshot().sequence));
    response.insert("snapshot_digest".to_owned(), json!(snapshot.digest()));
    response.insert("registry_stale".to_owned(), json!(snapshot.is_stale(current_time)));
    Ok(Json(Value::Object(response)))
}

fn message(evaluation: &Evaluation<'_>) -> String {
    let statement = evaluation.statement_id.unwrap_or("none");
    match evaluation.status {
        Standing::Active => format!("statement {statement} is in force"),
        Standing::Unknown => "no statement answers this question".to_owned(),
        other => format!("statement {statement} is {}", other.name().replace('_', " ")),
    }
}

/// `GET /metadata?authority_id=`: the registry's name, governance framework, current snapshot and endpoints.
pub async fn metadata(
    State(state): State<Arc<AppState>>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    let authority_id = query
        .get("authority_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad_request("missing-fields", "the query parameter authority_id is required"))?;
    let published = state.registries.get(authority_id).and_then(|registry| registry.current()).ok_or_else(|| {
        Problem::new(StatusCode::NOT_FOUND, "unknown-authority", format!("unknown authority `{authority_id}`"))
    })?;
    let snapshot = published.snapshot();
    let content = snapshot.snapshot();
    let encoded = super::registries::encode(authority_id);
    Ok(Json(json!({
        "authority_id": content.authority_id,
        "name": content.name,
        "governance_framework": content.governance_framework,
        "registry_sequence": content.sequence,
        "issued": content.issued,
        "next_update": content.next_update,
        "registry_stale": snapshot.is_stale(now()?),
        "snapshot_digest": snapshot.digest(),
        "merkle_root": content.merkle_root,
        "entities": content.entities.len(),
        "statements": content.statements.len(),
        "endpoints": {
            "authorization": "/authorization",
            "recognition": "/recognition",
            "snapshot": format!("/registries/{encoded}/snapshots/latest"),
            "entities": format!("/registries/{encoded}/entities"),
        },
    })))
}
