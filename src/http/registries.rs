//! The registry read and publish API: `GET /registries`, snapshots by sequence or `latest` (exact signed bytes,
//! the detached JWS in the [`SNAPSHOT_JWS_HEADER`] header or alone with `?format=jws`, `ETag` = digest, conditional GET),
//! `PUT` of the next snapshot, and the entity listing and entity view. The listing links each registry's
//! OpenID Federation facade (`super::federation`).
//!
//! Handlers only translate: path and query in, `crate::hosting` and the registry core called, responses out.
//! Refusals become problem details through `super::problem`. Authority and entity DIDs are accepted in the path
//! raw or percent-encoded.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::{QueryRejection, RawPathParamsRejection};
use axum::extract::{Query, RawPathParams, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::admission::{content_length, receive, BodyBounds};
use super::path_params::{parse_sequence, path_candidates};
use super::problem::{Problem, Refusal};
use super::HttpState;
use crate::clock::now;
use crate::hosting::{HostedRegistry, Published};
use crate::store::StoredSnapshot;
use trustnode_registry::evaluate::{standing_at, Standing};
use trustnode_registry::listing::EntityFilter;
use trustnode_registry::model::Timestamp;
use trustnode_registry::wire::{encode, JOSE_MEDIA_TYPE, SNAPSHOT_JWS_HEADER};

/// Largest page of the entity listing (TRQP's companion-endpoint limit).
pub(crate) const MAX_PAGE: usize = 1000;
/// Default page size.
const DEFAULT_PAGE: usize = 100;

pub(super) fn hosted<'s>(state: &'s HttpState, params: &RawPathParams) -> Result<&'s Arc<HostedRegistry>, Problem> {
    let candidates = path_candidates(params, "authority_id");
    candidates.iter().find_map(|candidate| state.node.registries.get(candidate)).ok_or_else(|| {
        let named = candidates.first().map(|c| c.to_string()).unwrap_or_default();
        Problem::from(Refusal::RegistryNotHosted(named))
    })
}

fn current(registry: &HostedRegistry) -> Result<Arc<Published>, Problem> {
    registry.current().ok_or_else(|| Problem::from(Refusal::NoSnapshot(registry.authority_id().to_owned())))
}

/// `GET /registries`: the hosted authorities with their current sequence, next update and links.
pub async fn list(State(state): State<Arc<HttpState>>) -> Result<Json<Value>, Problem> {
    let now = now()?;
    let registries: Vec<Value> = state
        .node
        .registries
        .iter()
        .map(|registry| {
            let encoded = encode(registry.authority_id());
            let facade = super::federation::entity_path(registry.authority_id());
            let mut entry = json!({
                "authority_id": registry.authority_id(),
                "links": {
                    "latest": format!("/registries/{encoded}/snapshots/latest"),
                    "entities": format!("/registries/{encoded}/entities"),
                    "status": format!("/registries/{encoded}/status"),
                    "metadata": format!("/metadata?authority_id={encoded}"),
                    "openid_federation": format!("{facade}{}", super::federation::ENTITY_CONFIGURATION_PATH),
                    "dcc_legacy": format!("{facade}{}", super::federation::LEGACY_PATH),
                },
            });
            if let (Some(published), Some(members)) = (registry.current(), entry.as_object_mut()) {
                let snapshot = published.snapshot();
                let content = snapshot.snapshot();
                members.insert("name".into(), json!(content.name));
                members.insert("sequence".into(), json!(content.sequence));
                members.insert("issued".into(), json!(content.issued));
                members.insert("next_update".into(), json!(content.next_update));
                members.insert("stale".into(), json!(snapshot.is_stale(now)));
                members.insert("digest".into(), json!(snapshot.digest()));
            }
            entry
        })
        .collect();
    Ok(Json(json!({ "registries": registries })))
}

/// `GET /registries/{authority_id}/status`: the served snapshot and, for a mirrored registry, its upstream, last
/// poll, last success, last error and fork evidence (`mirror` is null for a registry published here).
pub async fn status(
    State(state): State<Arc<HttpState>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
) -> Result<Json<Value>, Problem> {
    let params = params?;
    let registry = hosted(&state, &params)?;
    let now = now()?;
    let served = registry.current().map(|published| {
        let snapshot = published.snapshot();
        let content = snapshot.snapshot();
        json!({
            "sequence": content.sequence,
            "digest": snapshot.digest(),
            "issued": content.issued,
            "next_update": content.next_update,
            "stale": snapshot.is_stale(now),
        })
    });
    Ok(Json(json!({
        "authority_id": registry.authority_id(),
        "served": served,
        "mirror": state.node.mirrors.status(registry.authority_id()),
    })))
}

/// `?format=jws` asks for the signature alone.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct SnapshotQuery {
    format: Option<String>,
}

/// `GET /registries/{authority_id}/snapshots/{sequence|latest}`.
pub(crate) async fn get_snapshot(
    State(state): State<Arc<HttpState>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    query: Result<Query<SnapshotQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let params = params?;
    let Query(query) = query?;
    let registry = hosted(&state, &params)?;
    let published = current(registry)?;
    let content = published.snapshot().snapshot();
    let requested = path_candidates(&params, "sequence").first().map(|s| s.to_string()).unwrap_or_default();
    let want_jws = match query.format.as_deref() {
        None | Some("json") => false,
        Some("jws") => true,
        Some(other) => return Err(Refusal::InvalidFormat(other.to_owned()).into()),
    };
    let sequence = match requested.as_str() {
        "latest" => content.sequence,
        number => parse_sequence(number).ok_or_else(|| Problem::from(Refusal::InvalidSequence(number.to_owned())))?,
    };
    let not_served = || Problem::from(Refusal::NoSuchSnapshot(sequence));
    let digest = registry.verified_digest(sequence).ok_or_else(not_served)?;
    let cache = if requested == "latest" {
        let seconds_left = content.next_update.unix_seconds().saturating_sub(now()?.unix_seconds()).max(0);
        format!("public, max-age={seconds_left}")
    } else {
        // A numbered snapshot never changes.
        "public, max-age=31536000, immutable".to_owned()
    };
    let etag = format!("\"{digest}\"");
    let mut response = if if_none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // The bytes come from the stored file, checked against the verified digest, rather than from memory.
        let StoredSnapshot { bytes, jws } = registry
            .stored(sequence)
            .await
            .ok_or_else(|| Problem::from(Refusal::SnapshotUnavailable { sequence, digest: digest.to_string() }))?;
        let mut response = if want_jws {
            ([(header::CONTENT_TYPE, JOSE_MEDIA_TYPE)], jws.clone()).into_response()
        } else {
            ([(header::CONTENT_TYPE, "application/json")], Body::from(bytes)).into_response()
        };
        if let Ok(value) = HeaderValue::from_str(&jws) {
            response.headers_mut().insert(SNAPSHOT_JWS_HEADER, value);
        }
        response
    };
    let response_headers = response.headers_mut();
    for (name, value) in [(header::ETAG, etag), (header::CACHE_CONTROL, cache)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response_headers.insert(name, value);
        }
    }
    Ok(response)
}

/// True when `If-None-Match` lists `etag` (or `*`).
pub(super) fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// Refuses a publish the configuration does not allow (`[publishing]`): 403 `publishing-disabled` when publishing
/// is off, `publishing-not-allowed` for an authority outside `publishing.authorities`. It reads only the path, so it
/// is decided before the body is read.
fn publishing_allowed(state: &HttpState, params: &RawPathParams) -> Result<(), Problem> {
    let publishing = &state.node.config.publishing;
    if !publishing.enabled {
        return Err(Refusal::PublishingDisabled.into());
    }
    let candidates = path_candidates(params, "authority_id");
    if candidates.iter().any(|candidate| publishing.accepts(candidate)) {
        return Ok(());
    }
    Err(Refusal::PublishingNotAllowed(candidates.first().map(|c| c.to_string()).unwrap_or_default()).into())
}

/// `PUT /registries/{authority_id}/snapshots/{sequence}`: the body is the snapshot's exact bytes, the detached
/// JWS is in the [`SNAPSHOT_JWS_HEADER`] header. 201 with the new snapshot's sequence and digest, or a problem.
///
/// Everything that can be refused without the body is refused before a byte of it is read (so a client that sent
/// `Expect: 100-continue` is never asked for it): publishing not allowed by `[publishing]` (403), an unknown
/// registry, a sequence that is not next, a missing JWS, a protected header that names no key of the authority's
/// `assertionMethod`, a declared length over `publishing.max_snapshot_bytes`. Only then is the body received
/// (within the request timeout) and verified whole.
pub(crate) async fn put_snapshot(
    State(state): State<Arc<HttpState>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let params = params?;
    publishing_allowed(&state, &params)?;
    let registry = hosted(&state, &params)?;
    let requested = path_candidates(&params, "sequence").first().map(|s| s.to_string()).unwrap_or_default();
    let sequence =
        parse_sequence(&requested).ok_or_else(|| Problem::from(Refusal::InvalidPublishSequence(requested.clone())))?;
    let jws = headers.get(SNAPSHOT_JWS_HEADER).and_then(|value| value.to_str().ok()).unwrap_or_default();
    registry.screen_publish(&state.node.resolver, sequence, jws).await?;
    let config = &state.node.config;
    let bounds = BodyBounds {
        limit: config.publishing.max_snapshot_bytes,
        // The request timeout of the guard bounds the whole publish; the body gets no deadline of its own.
        deadline: tokio::time::Instant::now() + Duration::from_millis(config.server.request_timeout_ms),
    };
    // The publish slot the guard took covers the wait for the body: no upload slot as well.
    let (bytes, _) = receive(body, content_length(&headers), bounds, || Ok(None)).await?;
    let published = registry.publish(&state.node.resolver, sequence, bytes, jws).await?;
    let snapshot = published.snapshot();
    let location = format!("/registries/{}/snapshots/{sequence}", encode(registry.authority_id()));
    let body = json!({"authority_id": registry.authority_id(), "sequence": sequence, "digest": snapshot.digest()});
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(body)).into_response())
}

/// Query of the entity listing.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct EntitiesQuery {
    limit: Option<usize>,
    offset: Option<usize>,
    action: Option<String>,
    resource: Option<String>,
    status: Option<String>,
    time: Option<String>,
}

fn as_of(time: Option<&str>) -> Result<Timestamp, Problem> {
    match time {
        None => Ok(now()?),
        Some(text) => Timestamp::parse(text).map_err(|error| Refusal::InvalidTime(error.to_string()).into()),
    }
}

/// `GET /registries/{authority_id}/entities?limit&offset&action&resource&status&time`.
pub(crate) async fn list_entities(
    State(state): State<Arc<HttpState>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    query: Result<Query<EntitiesQuery>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let params = params?;
    let Query(query) = query?;
    let registry = hosted(&state, &params)?;
    let published = current(registry)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(Refusal::InvalidLimit { max: MAX_PAGE }.into());
    }
    let offset = query.offset.unwrap_or(0);
    let status = match query.status.as_deref() {
        None => None,
        Some(name) => {
            Some(Standing::from_name(name).ok_or_else(|| Problem::from(Refusal::InvalidStatus(name.to_owned())))?)
        }
    };
    let at = as_of(query.time.as_deref())?;
    let filter = EntityFilter { action: query.action.as_deref(), resource: query.resource.as_deref(), status };
    let snapshot = published.snapshot().snapshot();
    let page = published.entities.page(snapshot, &filter, at, offset, limit);
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|item| {
            json!({
                "entity_id": item.entity_id,
                "name": item.metadata.name,
                "authority_id": snapshot.authority_id,
                "homepage": item.metadata.homepage,
            })
        })
        .collect();
    Ok(Json(json!({
        "items": items,
        "pagination": {"limit": limit, "offset": offset, "total": page.total},
        "registry_sequence": snapshot.sequence,
    })))
}

/// `GET /registries/{authority_id}/entities/{entity_id}?time=`: metadata and every statement with its standing.
pub(crate) async fn get_entity(
    State(state): State<Arc<HttpState>>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let params = params?;
    let Query(query) = query?;
    let registry = hosted(&state, &params)?;
    let published = current(registry)?;
    let at = as_of(query.get("time").map(String::as_str))?;
    let snapshot = published.snapshot().snapshot();
    let candidates = path_candidates(&params, "entity_id");
    let (entity_id, statements) = candidates
        .iter()
        .find_map(|candidate| published.entities.statements(snapshot, candidate).map(|found| (candidate, found)))
        .ok_or_else(|| {
            let named = candidates.first().map(|c| c.to_string()).unwrap_or_default();
            Problem::from(Refusal::UnknownEntity(named))
        })?;
    let metadata = snapshot.entities.get(entity_id.as_ref());
    let statements: Vec<Value> = statements
        .iter()
        .map(|statement| {
            let (standing, reason) = standing_at(statement, at);
            json!({"statement": statement, "status": standing, "reason": reason})
        })
        .collect();
    Ok(Json(json!({
        "entity_id": entity_id,
        "authority_id": snapshot.authority_id,
        "metadata": metadata,
        "time_evaluated": at,
        "statements": statements,
        "registry_sequence": snapshot.sequence,
    })))
}
