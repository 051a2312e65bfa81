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
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::problem::Problem;
use super::registries::now;
use super::AppState;
use crate::registry::evaluate::{Evaluation, Query as Question, Standing};
use crate::registry::model::{StatementKind, Timestamp};
use crate::registry::snapshot::{Digest, SnapshotContent};

const QUESTION_FIELDS: [&str; 4] = ["entity_id", "authority_id", "action", "resource"];

/// A TRQP request body as read: the members this node uses, each kept as a JSON value so that a wrong type is
/// reported as precisely as a missing member. Other members are ignored.
#[derive(Debug, Deserialize)]
pub struct RequestBody {
    entity_id: Option<Value>,
    authority_id: Option<Value>,
    action: Option<Value>,
    resource: Option<Value>,
    context: Option<Value>,
}

/// A validated TRQP question, borrowing from its [`RequestBody`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'r> {
    /// `entity_id`, non-empty.
    pub entity_id: &'r str,
    /// `authority_id`, non-empty.
    pub authority_id: &'r str,
    /// `action`, non-empty.
    pub action: &'r str,
    /// `resource`, non-empty.
    pub resource: &'r str,
    /// `context.time` as sent, when the question is an as-of query.
    pub time_requested: Option<&'r str>,
    /// The instant the answer must hold for: `context.time`, else now.
    pub at: Timestamp,
}

fn bad_request(kind: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, kind, detail)
}

impl RequestBody {
    /// Reads a request body: 400 `invalid-json` when it is not JSON (UTF-8 throughout, also in members this node
    /// ignores), 400 `invalid-request` when it is JSON but not an object with these members.
    pub fn parse(body: &[u8]) -> Result<RequestBody, Problem> {
        // serde skips ignored members without checking their UTF-8, so the whole body is checked first.
        let text = std::str::from_utf8(body)
            .map_err(|error| bad_request("invalid-json", format!("invalid JSON: the body is not UTF-8 ({error})")))?;
        serde_json::from_str(text).map_err(|error| match error.classify() {
            serde_json::error::Category::Data => {
                bad_request("invalid-request", format!("the body must be a JSON object: {error}"))
            }
            _ => bad_request("invalid-json", format!("invalid JSON: {error}")),
        })
    }

    /// The question it asks: 400 `missing-fields` unless the four members are non-empty strings, 400
    /// `invalid-context` / `invalid-time` for a `context` that is not an object or a `context.time` that is not
    /// RFC 3339.
    pub fn question(&self) -> Result<Request<'_>, Problem> {
        let fields = [&self.entity_id, &self.authority_id, &self.action, &self.resource]
            .map(|field| field.as_ref().and_then(Value::as_str).filter(|value| !value.is_empty()));
        let missing: Vec<&str> = QUESTION_FIELDS
            .into_iter()
            .zip(fields)
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name)
            .collect();
        let [Some(entity_id), Some(authority_id), Some(action), Some(resource)] = fields else {
            return Err(bad_request(
                "missing-fields",
                format!("required non-empty string fields missing: {}", missing.join(", ")),
            ));
        };
        let time = match &self.context {
            None | Some(Value::Null) => None,
            Some(Value::Object(context)) => context.get("time"),
            Some(_) => return Err(bad_request("invalid-context", "`context` must be a JSON object")),
        };
        let time_requested = match time {
            None => None,
            Some(Value::String(time)) => Some(time.as_str()),
            Some(_) => return Err(bad_request("invalid-time", "`context.time` must be an RFC 3339 string")),
        };
        let at = match time_requested {
            Some(time) => Timestamp::parse(time).map_err(|error| bad_request("invalid-time", error.to_string()))?,
            None => now()?,
        };
        Ok(Request { entity_id, authority_id, action, resource, time_requested, at })
    }
}

/// An answer: the TRQP members, then this node's explanation. Written directly (no intermediate JSON tree):
/// answers are the hot path.
#[derive(Serialize)]
struct Answer<'a> {
    entity_id: &'a str,
    authority_id: &'a str,
    action: &'a str,
    resource: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorized: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recognized: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_requested: Option<&'a str>,
    time_evaluated: Timestamp,
    message: String,
    #[serde(flatten)]
    evaluation: Evaluation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registry_sequence: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_digest: Option<Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registry_stale: Option<bool>,
}

/// `POST /authorization`.
pub async fn authorization(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    answer(&state, StatementKind::Authorization, &body?)
}

/// `POST /recognition`.
pub async fn recognition(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    answer(&state, StatementKind::Recognition, &body?)
}

fn answer(state: &AppState, kind: StatementKind, body: &[u8]) -> Result<Response, Problem> {
    let body = RequestBody::parse(body)?;
    let request = body.question()?;
    let answer = |evaluation: Evaluation<'_>, registry: Option<&SnapshotContent>| -> Result<Response, Problem> {
        let verdict = Some(evaluation.granted());
        let stale = match registry {
            Some(snapshot) => Some(snapshot.is_stale(now()?)),
            None => None,
        };
        let answer = Answer {
            entity_id: request.entity_id,
            authority_id: request.authority_id,
            action: request.action,
            resource: request.resource,
            authorized: verdict.filter(|_| kind == StatementKind::Authorization),
            recognized: verdict.filter(|_| kind == StatementKind::Recognition),
            time_requested: request.time_requested,
            time_evaluated: request.at,
            message: message(&evaluation),
            evaluation,
            registry_sequence: registry.map(|snapshot| snapshot.snapshot().sequence),
            snapshot_digest: registry.map(SnapshotContent::digest),
            registry_stale: stale,
        };
        // Sized for a typical answer up front, so writing it does not reallocate.
        let mut body = Vec::with_capacity(768);
        serde_json::to_writer(&mut body, &answer).map_err(|error| {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("cannot write the answer: {error}"))
        })?;
        Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
    };
    let unknown = |what: &'static str, kind: &'static str, value: &str| {
        if state.config.trqp.hide_unknown {
            answer(Evaluation::UNKNOWN, None)
        } else {
            Err(Problem::new(StatusCode::NOT_FOUND, kind, format!("unknown {what} `{value}`")))
        }
    };
    let Some(published) = state.registries.get(request.authority_id).and_then(|registry| registry.current()) else {
        return unknown("authority", "unknown-authority", request.authority_id);
    };
    let index = &published.index;
    if !index.knows_entity(request.entity_id) {
        return unknown("entity", "unknown-entity", request.entity_id);
    }
    if !index.knows_action(request.action) {
        return unknown("action", "unknown-action", request.action);
    }
    if !index.knows_resource(request.resource) {
        return unknown("resource", "unknown-resource", request.resource);
    }
    let question = Question {
        kind,
        entity_id: request.entity_id,
        action: request.action,
        resource: request.resource,
        at: request.at,
    };
    answer(index.evaluate(&question), Some(index.snapshot()))
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
    query: Result<Query<std::collections::HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(query) = query?;
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
