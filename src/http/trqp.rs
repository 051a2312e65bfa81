//! TRQP v2 queries: `POST /authorization`, `POST /recognition` and `GET /metadata?authority_id=`.
//!
//! Requests follow the specification's schema: `entity_id`, `authority_id`, `action`, `resource` (non-empty
//! strings) and an optional `context` object whose `time` (RFC 3339 with `Z`) makes the answer an as-of query;
//! other context members are ignored. Answers echo the four fields, give `authorized` / `recognized` and
//! `time_evaluated` (the instant the answer holds for: `context.time`, else now), `time_requested` when a time was
//! asked, and the optional explanation fields this node adds (`status`, `reason`, `statement_id`, `valid_from`,
//! `valid_until`, `registry_sequence`, `snapshot_digest`, `registry_stale`, `chain`).
//!
//! An authorization the asked authority's registry does not grant directly is searched through its delegations
//! (`trustnode_registry::chain`) among the registries this node hosts or mirrors. Such an answer explains the
//! deciding statement (`status`, `reason`, `statement_id`, `valid_from`, `valid_until`; `status` may also be a
//! chain failure such as `outside_scope`), while `registry_sequence` and `snapshot_digest` stay those of the asked
//! authority's registry, and `chain` lists every statement it rests on, from the asked authority down, as
//! `{authority_id, registry_sequence, snapshot_digest, statement_id}`. `chain` is omitted when the answer rests on
//! at most one statement of the asked registry: the direct path stays as lean as before.
//!
//! Verifiable answers: with `context.proof = true` a positive answer carries `proof` (see
//! `trustnode_registry::proof`): one link per statement it rests on (the whole chain for a delegated grant), which
//! lets anyone holding the authorities' DIDs check it without trusting this node. With `Accept: application/jose`
//! the answer (positive or negative, proof included when asked) comes back as a compact JWS signed by the node's
//! key, typed [`ANSWER_JWS_TYPE`], `Content-Type: application/jose`.
//!
//! Errors are problem details (never signed): 400 for invalid JSON, missing or empty fields or a bad `context.time`
//! or `context.proof`; 404 for an unknown authority, entity, action or resource, unless `[trqp] hide_unknown` turns
//! those into a plain 200 "no" so the endpoint is no enumeration oracle. Only translation here; evaluation is
//! `trustnode_registry::evaluate` and `trustnode_registry::chain`.
//!
//! Answers are microcached (`super::microcache`): a question asked again with the same endpoint, `Accept` and
//! byte-identical body within the same second gets the same answer, unless a hosted registry installed a new
//! snapshot in between (the registries' generation).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::{self, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::microcache::{request_key, unix_second, MAX_VALUE_BYTES};
use super::problem::Problem;
use super::HttpState;
use crate::clock::now;
use crate::hosting::Published;
use trustnode_registry::chain::{self, ChainAnswer, ChainLink, ChainStatus, IndexedRegistry};
use trustnode_registry::evaluate::{Evaluation, Query as Question, Standing};
use trustnode_registry::model::{StatementKind, Timestamp};
use trustnode_registry::snapshot::Digest;
use trustnode_registry::wire::{encode, ANSWER_JWS_TYPE, JOSE_MEDIA_TYPE};

const QUESTION_FIELDS: [&str; 4] = ["entity_id", "authority_id", "action", "resource"];

/// A TRQP request body as read: the members this node uses, each kept as a [`Member`] so that a wrong type is
/// reported as precisely as a missing member, while strings borrow from the body. Other members are ignored.
#[derive(Debug, Deserialize)]
pub struct RequestBody<'b> {
    #[serde(borrow)]
    entity_id: Option<Member<'b>>,
    #[serde(borrow)]
    authority_id: Option<Member<'b>>,
    #[serde(borrow)]
    action: Option<Member<'b>>,
    #[serde(borrow)]
    resource: Option<Member<'b>>,
    #[serde(borrow)]
    context: Option<Member<'b>>,
}

/// A request member, reduced to what the TRQP request schema distinguishes: a string (borrowed from the body
/// unless it had escapes), a boolean, an object (only its `time` and `proof` members are read: `context`), `null`,
/// or anything else.
#[derive(Debug)]
enum Member<'b> {
    Null,
    Bool(bool),
    Text(Cow<'b, str>),
    Object { time: Option<Box<Member<'b>>>, proof: Option<Box<Member<'b>>> },
    Other,
}

impl Member<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Member::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl<'de: 'b, 'b> Deserialize<'de> for Member<'b> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor(std::marker::PhantomData))
    }
}

struct MemberVisitor<'b>(std::marker::PhantomData<Member<'b>>);

impl<'de: 'b, 'b> Visitor<'de> for MemberVisitor<'b> {
    type Value = Member<'b>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Member<'b>, E> {
        Ok(Member::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Member<'b>, E> {
        Ok(Member::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Member<'b>, E> {
        Ok(Member::Text(Cow::Owned(text)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Member<'b>, E> {
        Ok(Member::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Member<'b>, E> {
        Ok(Member::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Member<'b>, E> {
        Ok(Member::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Member<'b>, E> {
        Ok(Member::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Member<'b>, E> {
        Ok(Member::Other)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut items: A) -> Result<Member<'b>, A::Error> {
        while items.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut members: A) -> Result<Member<'b>, A::Error> {
        let (mut time, mut proof) = (None, None);
        while let Some(name) = members.next_key::<Cow<'de, str>>()? {
            match name.as_ref() {
                "time" => time = Some(Box::new(members.next_value::<Member<'b>>()?)),
                "proof" => proof = Some(Box::new(members.next_value::<Member<'b>>()?)),
                _ => {
                    members.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(Member::Object { time, proof })
    }
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
    /// `context.proof`: attach a proof to a positive answer.
    pub wants_proof: bool,
}

fn bad_request(kind: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, kind, detail)
}

impl<'b> RequestBody<'b> {
    /// Reads a request body: 400 `invalid-json` when it is not JSON (UTF-8 throughout, also in members this node
    /// ignores), 400 `invalid-request` when it is JSON but not an object with these members.
    pub fn parse(body: &'b [u8]) -> Result<RequestBody<'b>, Problem> {
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
    /// `invalid-context` / `invalid-time` for a `context` that is not an object, a `context.proof` that is not a
    /// boolean or a `context.time` that is not RFC 3339.
    pub fn question(&self) -> Result<Request<'_>, Problem> {
        let fields = [&self.entity_id, &self.authority_id, &self.action, &self.resource]
            .map(|field| field.as_ref().and_then(Member::as_str).filter(|value| !value.is_empty()));
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
        let (time, proof) = match &self.context {
            None | Some(Member::Null) => (None, None),
            Some(Member::Object { time, proof }) => (time.as_deref(), proof.as_deref()),
            Some(_) => return Err(bad_request("invalid-context", "`context` must be a JSON object")),
        };
        let wants_proof = match proof {
            None | Some(Member::Null) => false,
            Some(Member::Bool(wanted)) => *wanted,
            Some(_) => return Err(bad_request("invalid-context", "`context.proof` must be a boolean")),
        };
        let time_requested = match time {
            None => None,
            Some(Member::Text(time)) => Some(time.as_ref()),
            Some(_) => return Err(bad_request("invalid-time", "`context.time` must be an RFC 3339 string")),
        };
        let at = match time_requested {
            Some(time) => Timestamp::parse(time).map_err(|error| bad_request("invalid-time", error.to_string()))?,
            None => now()?,
        };
        Ok(Request { entity_id, authority_id, action, resource, time_requested, at, wants_proof })
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
    explanation: Explanation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registry_sequence: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_digest: Option<Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registry_stale: Option<bool>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    chain: Vec<ChainEntry<'a>>,
}

/// The deciding statement and its status, in the members `Evaluation` serializes to.
#[derive(Serialize)]
struct Explanation<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_from: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<Timestamp>,
}

/// One statement of a chain, located by its registry snapshot.
#[derive(Serialize)]
struct ChainEntry<'a> {
    authority_id: &'a str,
    registry_sequence: u64,
    snapshot_digest: Digest,
    statement_id: &'a str,
}

/// An answer's verdict and explanation, before the request's members are added.
struct Verdict<'a> {
    granted: bool,
    message: String,
    explanation: Explanation<'a>,
    chain: Vec<ChainEntry<'a>>,
    /// The statements a positive answer rests on, by snapshot and position, for its proof.
    grounds: Vec<(&'a Published, usize)>,
}

impl<'a> Verdict<'a> {
    fn direct(evaluation: &Evaluation<'a>, published: Option<&'a Published>) -> Verdict<'a> {
        let grounds = match (published, evaluation.statement_index) {
            (Some(published), Some(position)) if evaluation.granted() => vec![(published, position)],
            _ => Vec::new(),
        };
        Verdict {
            granted: evaluation.granted(),
            message: message(evaluation),
            explanation: Explanation {
                status: evaluation.status.name(),
                reason: evaluation.reason.map(Cow::Borrowed),
                statement_id: evaluation.statement_id,
                valid_from: evaluation.valid_from,
                valid_until: evaluation.valid_until,
            },
            chain: Vec::new(),
            grounds,
        }
    }

    fn through_chain(answer: &'a ChainAnswer<Arc<Published>>, request: &Request<'_>) -> Verdict<'a> {
        let deciding = answer.deciding().and_then(|link| Some((link, link.statement()?)));
        let chain = if answer.links.len() > 1 { answer.links.iter().map(chain_entry).collect() } else { Vec::new() };
        let delegations = answer.links.len().saturating_sub(usize::from(deciding.is_some()));
        let message = match (answer.status, deciding) {
            (ChainStatus::Standing(standing), Some((link, statement))) => format!(
                "statement {} of {} is {}{}",
                statement.id,
                link.authority_id(),
                standing_words(standing),
                if delegations > 0 { format!(", reached through {delegations} delegation(s)") } else { String::new() }
            ),
            (status, _) => format!("no authorization chain holds: {}", status.name().replace('_', " ")),
        };
        Verdict {
            granted: answer.granted(),
            message,
            explanation: Explanation {
                status: answer.status.name(),
                reason: answer.reason(request.authority_id, request.resource, request.at),
                statement_id: deciding.map(|(_, statement)| statement.id.as_str()),
                valid_from: deciding.map(|(_, statement)| statement.valid_from),
                valid_until: deciding.and_then(|(_, statement)| statement.valid_until),
            },
            chain,
            grounds: if answer.granted() {
                answer.links.iter().map(|link| (&*link.registry, link.statement_index)).collect()
            } else {
                Vec::new()
            },
        }
    }
}

fn chain_entry<R: IndexedRegistry>(link: &ChainLink<R>) -> ChainEntry<'_> {
    let snapshot = link.registry.index().snapshot();
    ChainEntry {
        authority_id: link.authority_id(),
        registry_sequence: snapshot.snapshot().sequence,
        snapshot_digest: snapshot.digest(),
        statement_id: link.statement_id(),
    }
}

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
    let second = unix_second();
    // Read before evaluating: a snapshot installed meanwhile bumps it, so this answer is not reused.
    let generation = state.node.registries.generation();
    let body = match state.trqp_answers.get(key, second, generation) {
        Some(kept) => kept,
        None => {
            let fresh = Bytes::from(evaluate(state, kind, body, signed)?);
            if fresh.len() <= MAX_VALUE_BYTES {
                state.trqp_answers.put(key, second, generation, fresh.clone());
            }
            fresh
        }
    };
    let content_type = if signed { JOSE_MEDIA_TYPE } else { "application/json" };
    Ok(([(header::CONTENT_TYPE, content_type), (header::VARY, "Accept")], body).into_response())
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

fn internal(what: &str, error: impl std::fmt::Display) -> Problem {
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{what}: {error}"))
}

/// The answer body for a question (a compact JWS by the node when `signed`), or the problem with it.
fn evaluate(state: &HttpState, kind: StatementKind, body: &[u8], signed: bool) -> Result<Vec<u8>, Problem> {
    let body = RequestBody::parse(body)?;
    let request = body.question()?;
    let answer = |verdict: Verdict<'_>, asked: Option<&Published>| -> Result<Vec<u8>, Problem> {
        let registry = asked.map(Published::snapshot);
        let stale = match registry {
            Some(snapshot) => Some(snapshot.is_stale(now()?)),
            None => None,
        };
        let grounds = if request.wants_proof { verdict.grounds } else { Vec::new() };
        let answer = Answer {
            entity_id: request.entity_id,
            authority_id: request.authority_id,
            action: request.action,
            resource: request.resource,
            authorized: Some(verdict.granted).filter(|_| kind == StatementKind::Authorization),
            recognized: Some(verdict.granted).filter(|_| kind == StatementKind::Recognition),
            time_requested: request.time_requested,
            time_evaluated: request.at,
            message: verdict.message,
            explanation: verdict.explanation,
            registry_sequence: registry.map(|snapshot| snapshot.snapshot().sequence),
            snapshot_digest: registry.map(|snapshot| snapshot.digest()),
            registry_stale: stale,
            chain: verdict.chain,
        };
        // Sized for a typical answer (and its proof, when asked) up front, so writing it does not reallocate.
        let mut body = Vec::with_capacity(768 + 2048 * grounds.len());
        serde_json::to_writer(&mut body, &answer).map_err(|error| internal("cannot write the answer", error))?;
        if !grounds.is_empty() {
            // The proof is written from each snapshot's pre-rendered parts rather than through serde: it is most of
            // the answer's bytes. It goes in as the last member, before the answer's closing brace: one link per
            // statement the answer rests on, from the asked authority down.
            body.pop();
            body.extend_from_slice(b",\"proof\":{\"links\":[");
            for (n, (published, position)) in grounds.into_iter().enumerate() {
                if n > 0 {
                    body.push(b',');
                }
                published
                    .proofs
                    .write_link(published.snapshot(), position, &mut body)
                    .map_err(|error| internal("cannot prove the answer", error))?;
            }
            body.extend_from_slice(b"]}}");
        }
        if signed {
            let jws = state
                .node
                .identity
                .sign_compact(ANSWER_JWS_TYPE, &body)
                .map_err(|error| internal("cannot sign the answer", error))?;
            return Ok(jws.into_bytes());
        }
        Ok(body)
    };
    let unknown = |what: &'static str, kind: &'static str, value: &str| {
        if state.node.config.trqp.hide_unknown {
            answer(Verdict::direct(&Evaluation::UNKNOWN, None), None)
        } else {
            Err(Problem::new(StatusCode::NOT_FOUND, kind, format!("unknown {what} `{value}`")))
        }
    };
    let Some(published) = state.node.registries.get(request.authority_id).and_then(|registry| registry.current())
    else {
        return unknown("authority", "unknown-authority", request.authority_id);
    };
    let index = &published.index;
    let question = Question {
        kind,
        entity_id: request.entity_id,
        action: request.action,
        resource: request.resource,
        at: request.at,
    };
    let direct = index.evaluate(&question);
    if direct.granted() {
        return answer(Verdict::direct(&direct, Some(&published)), Some(&published));
    }
    let through_delegations = (kind == StatementKind::Authorization && index.has_delegations()).then(|| {
        chain::authorize(&question, published.clone(), |authority| {
            state.node.registries.get(authority).and_then(|registry| registry.current())
        })
    });
    if let Some(chained) =
        through_delegations.filter(|chained| chained.status != ChainStatus::Standing(Standing::Unknown))
    {
        return answer(Verdict::through_chain(&chained, &request), Some(&published));
    }
    if !index.knows_entity(request.entity_id) {
        return unknown("entity", "unknown-entity", request.entity_id);
    }
    if !index.knows_action(request.action) {
        return unknown("action", "unknown-action", request.action);
    }
    if !index.knows_resource(request.resource) {
        return unknown("resource", "unknown-resource", request.resource);
    }
    answer(Verdict::direct(&direct, Some(&published)), Some(&published))
}

fn message(evaluation: &Evaluation<'_>) -> String {
    let statement = evaluation.statement_id.unwrap_or("none");
    match evaluation.status {
        Standing::Unknown => "no statement answers this question".to_owned(),
        other => format!("statement {statement} is {}", standing_words(other)),
    }
}

/// A standing as words in a message.
fn standing_words(standing: Standing) -> Cow<'static, str> {
    match standing {
        Standing::Active => Cow::Borrowed("in force"),
        other => Cow::Owned(other.name().replace('_', " ")),
    }
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
        .ok_or_else(|| bad_request("missing-fields", "the query parameter authority_id is required"))?;
    let published =
        state.node.registries.get(authority_id).and_then(|registry| registry.current()).ok_or_else(|| {
            Problem::new(StatusCode::NOT_FOUND, "unknown-authority", format!("unknown authority `{authority_id}`"))
        })?;
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
