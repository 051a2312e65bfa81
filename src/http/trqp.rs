//! TRQP v2 over HTTP: `POST /authorization`, `POST /recognition`, their batch forms `POST /authorization/batch` and
//! `POST /recognition/batch`, and `GET /metadata?authority_id=`.
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
//!
//! Batches (`trustnode_registry::batch`): `{"queries": [...]}`, each query answered exactly as the single endpoint
//! answers it (its refusals included, as items), all at one instant and over one snapshot per authority, taken the
//! first time the batch needs it; the answer names each snapshot once. The proof header and `Accept` apply to every
//! query; a signed batch is one JWS over the whole answer, typed [`BATCH_JWS_TYPE`]. A batch that cannot be read is
//! a 400 problem, one of more than `trqp.max_batch` queries a 413, both before any query is answered. A batch
//! weighs on the ordinary admission pool by its size (`super::admission::batch_weight`) and is decided on the
//! blocking pool, one per core at a time, so a large one holds up no async worker. Batches are not microcached.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::admission::{batch_weight, Pool};
use super::microcache::{request_key, unix_second, MAX_VALUE_BYTES};
use super::problem::{Problem, Refusal};
use super::HttpState;
use crate::clock::now;
use trustnode_registry::batch::{BatchAnswer, BatchRequest, Pinned};
use trustnode_registry::model::{StatementKind, Timestamp};
use trustnode_registry::proof::ProvableRegistry;
use trustnode_registry::trqp::{decide, proof_flag, Decision, Policy, RequestBody, Unknown, WriteError};
use trustnode_registry::wire::{encode, ANSWER_JWS_TYPE, BATCH_JWS_TYPE, JOSE_MEDIA_TYPE, PROOF_HEADER};

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

/// `POST /authorization/batch`.
pub async fn authorization_batch(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    batch(state, StatementKind::Authorization, &headers, body?).await
}

/// `POST /recognition/batch`.
pub async fn recognition_batch(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    batch(state, StatementKind::Recognition, &headers, body?).await
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
    Ok(respond(signed, body))
}

/// An answer body as served: JSON, or the node's compact JWS of it when `signed`.
fn respond(signed: bool, body: Bytes) -> Response {
    let content_type = if signed { JOSE_MEDIA_TYPE } else { "application/json" };
    let mut response = ([(header::CONTENT_TYPE, content_type), (header::VARY, "Accept")], body).into_response();
    response.headers_mut().append(header::VARY, HeaderValue::from_static(PROOF_HEADER));
    response
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
    let now = now()?;
    let policy = Policy { hide_unknown: state.node.config.trqp.hide_unknown };
    let current = |authority: &str| state.node.registries.current(authority);
    let answer = decided(body, kind, now, proof_header, current, policy, |decision| decision.to_json(now))?;
    if signed {
        return sign(state, ANSWER_JWS_TYPE, &answer);
    }
    Ok(answer)
}

/// Decides the question `body` asks (`proof_header` may ask for its proof) as of `now`, over the registries
/// `lookup` gives, and hands the decision to `write`; or the problem the request is refused with. The one path of
/// a question, alone or in a batch.
fn decided<R, L, T>(
    body: &[u8],
    kind: StatementKind,
    now: Timestamp,
    proof_header: bool,
    lookup: L,
    policy: Policy,
    write: impl FnOnce(&Decision<'_, R>) -> Result<T, WriteError>,
) -> Result<T, Problem>
where
    R: ProvableRegistry + Clone,
    L: Fn(&str) -> Option<R>,
{
    let body = RequestBody::parse(body)?;
    let mut question = body.question(now)?;
    question.wants_proof |= proof_header;
    let decision = decide(&question, kind, lookup, policy)?;
    Ok(write(&decision)?)
}

/// `payload` signed by the node as a compact JWS typed `typ`.
fn sign(state: &HttpState, typ: &str, payload: &[u8]) -> Result<Vec<u8>, Problem> {
    let jws = state
        .node
        .identity
        .sign_compact(typ, payload)
        .map_err(|error| Problem::from(Refusal::CannotSign(error.to_string())))?;
    Ok(jws.into_bytes())
}

/// Answers a batch: takes its weight in the ordinary pool, waits for a batch worker, and decides it on the blocking
/// pool (deciding a thousand questions with proofs takes milliseconds, which no async worker should be held for).
async fn batch(
    state: Arc<HttpState>,
    kind: StatementKind,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let signed = wants_jose(headers);
    let proof_header = proof_header(headers)?;
    let config = &state.node.config;
    let request = BatchRequest::parse(&body, config.trqp.max_batch)?;
    // The guard holds the batch's first slot; the rest are held until the batch is decided.
    let weight = batch_weight(request.len(), config.server.max_concurrent_requests);
    let weight = (weight > 1).then(|| state.pools.enter_weighted(Pool::Ordinary, None, weight - 1)).transpose()?;
    // One batch per core at a time: more would only share the cores, and every blocking thread they took would keep
    // allocator memory of its own (64 concurrent batches of 100 reached 1 GB resident without this).
    let worker = state.batch_workers.clone().acquire_owned().await;
    let worker = worker.map_err(|closed| Problem::from(Refusal::TaskFailed(closed.to_string())))?;
    let answering = state.clone();
    let answered = tokio::task::spawn_blocking(move || {
        let _held = (weight, worker);
        evaluate_batch(&answering, kind, &request, &body, signed, proof_header)
    })
    .await
    .map_err(|failed| Problem::from(Refusal::TaskFailed(failed.to_string())))??;
    Ok(respond(signed, answered.into()))
}

/// The answer to the batch `request` read from `body` (signed when `signed`).
fn evaluate_batch(
    state: &HttpState,
    kind: StatementKind,
    request: &BatchRequest,
    body: &[u8],
    signed: bool,
    proof_header: bool,
) -> Result<Vec<u8>, Problem> {
    let now = now()?;
    let policy = Policy { hide_unknown: state.node.config.trqp.hide_unknown };
    let pinned = Pinned::new(|authority: &str| state.node.registries.current(authority));
    let mut answer = BatchAnswer::new(request.len());
    let mut statuses = Vec::new();
    for query in request.queries(body) {
        let lookup = |authority: &str| pinned.get(authority);
        let status = match decided(query, kind, now, proof_header, lookup, policy, |d| answer.push_decision(d, now)) {
            Ok(()) => 200,
            Err(problem) => {
                answer.push_refusal(problem.status.as_u16(), problem.document().as_bytes());
                problem.status.as_u16()
            }
        };
        match statuses.iter_mut().find(|(counted, _)| *counted == status) {
            Some((_, count)) => *count += 1,
            None => statuses.push((status, 1)),
        }
    }
    let answer = answer.finish(&pinned);
    state.node.trqp_batches.record(kind, &statuses);
    if signed {
        return sign(state, BATCH_JWS_TYPE, &answer);
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
