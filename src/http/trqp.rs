//! TRQP v2 over HTTP: `POST /authorization`, `POST /recognition` and `GET /metadata?authority_id=`.
//!
//! The request and answer schemas, the decision (direct statement, then accreditation chains among the registries
//! this node hosts or mirrors) and the answer's JSON with its proof are `trustnode_registry::trqp`; here a body is
//! read, the clock is read once for the question and the answer's `registry_stale`, the decision is made over
//! the node's registries (`NodeState::registries`), and the answer is served.
//!
//! Verifiable answers: with `context.proof` `true` (or `"true"`), or the request header [`PROOF_HEADER`]`: true`, a
//! positive answer carries `proof` (see `trustnode_registry::proof`); either form asking is enough. With `Accept: application/jose` the answer (positive or negative, proof included
//! when asked) comes back as a compact JWS signed by the node's key, typed [`ANSWER_JWS_TYPE`],
//! `Content-Type: application/jose`.
//!
//! Errors are problem details (never signed, see `super::problem`): 400 for invalid JSON, missing or empty fields,
//! an `entity_id` or `authority_id` that is no URI, a bad `context.time` or `context.proof`, or a proof header
//! other than `true` or `false` (all before any registry is consulted, so also under `hide_unknown`); 404 for an unknown authority, entity, action or resource, unless
//! `[trqp] hide_unknown` turns those into a plain 200 "no" so the endpoint is no enumeration oracle. Only
//! translation here: no decision is made in this module.
//!
//! Answers are microcached (`super::microcache`): a question asked again with the same endpoint, `Accept`, proof
//! header and byte-identical body within the same second gets the same answer, unless a hosted registry installed a new
//! snapshot in between (the registries' generation).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::microcache::{request_key, unix_second, MAX_VALUE_BYTES};
use super::problem::{Problem, Refusal};
use super::HttpState;
use crate::clock::now;
use trustnode_registry::model::StatementKind;
use trustnode_registry::trqp::{decide, proof_flag, Policy, RequestBody, Unknown};
use trustnode_registry::wire::{encode, ANSWER_JWS_TYPE, JOSE_MEDIA_TYPE, PROOF_HEADER};

/// `POST /authorization`.
pub async fn authorization(
    State(state): State<Arc<HttpState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    answer(&state, StatementKind::Authorization, &uri, &headers, &body?)
}

/// `POST /recognition`.
pub async fn recognition(
    State(state): State<Arc<HttpState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    answer(&state, StatementKind::Recognition, &uri, &headers, &body?)
}

/// Answers from the microcache when the same question was answered this second from the same registry data;
/// otherwise evaluates it and keeps the answer.
fn answer(
    state: &HttpState,
    kind: StatementKind,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Problem> {
    let key = request_key(uri, headers, body);
    let signed = wants_jose(headers);
    let proof_header = proof_header(headers)?;
    let second = unix_second();
    // Read before evaluating: a snapshot installed meanwhile bumps it, so this answer is not reused.
    let generation = state.node.registries.generation();
    let body = match state.trqp_answers.get(key, second, generation) {
        Some(kept) => kept,
        None => {
            let fresh = Bytes::from(evaluate(state, kind, body, signed, proof_header)?);
            if fresh.len() <= MAX_VALUE_BYTES {
                state.trqp_answers.put(key, second, generation, fresh.clone());
            }
            fresh
        }
    };
    let content_type = if signed { JOSE_MEDIA_TYPE } else { "application/json" };
    let mut response = ([(header::CONTENT_TYPE, content_type), (header::VARY, "Accept")], body).into_response();
    response.headers_mut().append(header::VARY, HeaderValue::from_static(PROOF_HEADER));
    Ok(response)
}

/// The [`PROOF_HEADER`] request header: `true` asks for a proof, `false` or its absence does not.
fn proof_header(headers: &HeaderMap) -> Result<bool, Problem> {
    let mut values = headers.get_all(PROOF_HEADER).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return if headers.contains_key(PROOF_HEADER) { Err(Refusal::InvalidProofHeader.into()) } else { Ok(false) };
    };
    value.to_str().ok().and_then(proof_flag).ok_or_else(|| Refusal::InvalidProofHeader.into())
}

/// True when `Accept` lists `application/jose` (with a non-zero quality).
fn wants_jose(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().filter_map(|value| value.to_str().ok()).flat_map(|v| v.split(',')).any(
        |range| {
            let mut parts = range.split(';').map(str::trim);
            let refused =
                |part: &str| part.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0));
            parts.next().is_some_and(|media| media.eq_ignore_ascii_case(JOSE_MEDIA_TYPE)) && !parts.any(refused)
        },
    )
}

/// The answer body for a question (a compact JWS by the node when `signed`, with a proof when the body or
/// `proof_header` asks), or the problem with it.
fn evaluate(
    state: &HttpState,
    kind: StatementKind,
    body: &[u8],
    signed: bool,
    proof_header: bool,
) -> Result<Vec<u8>, Problem> {
    let body = RequestBody::parse(body)?;
    let now = now()?;
    let mut question = body.question(now)?;
    question.wants_proof |= proof_header;
    let policy = Policy { hide_unknown: state.node.config.trqp.hide_unknown };
    let decision = decide(&question, kind, |authority| state.node.registries.current(authority), policy)?;
    let answer = decision.to_json(now)?;
    if signed {
        let jws = state
            .node
            .identity
            .sign_compact(ANSWER_JWS_TYPE, &answer)
            .map_err(|error| Problem::from(Refusal::CannotSign(error.to_string())))?;
        return Ok(jws.into_bytes());
    }
    Ok(answer)
}

/// `GET /metadata?authority_id=`: the registry's name, governance framework, current snapshot and endpoints.
pub async fn metadata(
    State(state): State<Arc<HttpState>>,
    query: Result<Query<std::collections::HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(query) = query?;
    let authority_id = query
        .get("authority_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Problem::from(Refusal::MissingAuthorityId))?;
    let published = state.node.registries.current(authority_id).ok_or(Unknown::Authority(authority_id))?;
    let snapshot = published.snapshot();
    let content = snapshot.snapshot();
    let encoded = encode(authority_id);
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
