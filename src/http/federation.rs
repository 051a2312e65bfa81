//! The DCC / OpenID Federation facade of every hosted registry, so the Digital Credentials Consortium's wallets and
//! verifiers can use it unchanged. Under `/registries/{authority_id}`, the registry's entity identifier:
//! `/.well-known/openid-federation` (entity configuration), `/federation/fetch?sub=<DID>` (subordinate statement),
//! `/federation/list` (active entities) and `/registry.json` (the DCC legacy file).
//!
//! Statements are signed by the node's key ([`crate::identity`]), named in the configuration's `jwks` by the node's
//! verification method. Errors are OpenID Federation error objects (`{"error", "error_description"}`), not problem
//! details: `not_found` (404) for an unknown registry or an entity that is unknown or not active now,
//! `temporarily_unavailable` (503) when the registry has no snapshot or it is past its `next_update`.
//!
//! URLs in the statements start with `server.public_url`. Without it (development), a loopback listener takes the
//! request's own host when that names the loopback (`localhost`, `127.0.0.1`, `[::1]`); any other listener refuses
//! to sign (500 `server_error`), so a forged `Host` never ends up in a signed statement. Only translation
//! here: payloads come from [`trustnode_registry::federation`].

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{RawPathParams, RawQuery, State};
use axum::http::uri::Authority;
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::path_params::path_candidates;
use super::problem::FederationProblem;
use super::HttpState;
use crate::clock::now;
use crate::hosting::{HostedRegistry, Published};
use trustnode_registry::federation::{self as views, Endpoints};
use trustnode_registry::model::Timestamp;
use trustnode_registry::wire::{encode, ENTITY_STATEMENT_MEDIA_TYPE, ENTITY_STATEMENT_TYPE};

/// Path of an entity configuration below its entity identifier.
pub(crate) const ENTITY_CONFIGURATION_PATH: &str = "/.well-known/openid-federation";
/// Path of the fetch endpoint below the entity identifier.
const FETCH_PATH: &str = "/federation/fetch";
/// Path of the subordinate listing below the entity identifier.
const LIST_PATH: &str = "/federation/list";
/// Path of the DCC legacy file below the entity identifier.
pub(crate) const LEGACY_PATH: &str = "/registry.json";

/// The registry's entity identifier below the node's base URL: `/registries/<percent-encoded authority>`.
pub(crate) fn entity_path(authority_id: &str) -> String {
    format!("/registries/{}", encode(authority_id))
}

/// A hosted registry's current snapshot, if it may be used now, with the time it is used at.
struct Served {
    registry: Arc<HostedRegistry>,
    published: Arc<Published>,
    now: Timestamp,
    expires: Timestamp,
}

fn served(state: &HttpState, params: &RawPathParams) -> Result<Served, FederationProblem> {
    let candidates = path_candidates(params, "authority_id");
    let registry = candidates.iter().find_map(|candidate| state.node.registries.get(candidate)).ok_or_else(|| {
        let named = candidates.first().map(|c| c.to_string()).unwrap_or_default();
        FederationProblem::not_found(format!("this node hosts no registry of `{named}`"))
    })?;
    let published = registry.current().ok_or_else(|| {
        FederationProblem::unavailable(format!("no snapshot of `{}` has been published yet", registry.authority_id()))
    })?;
    let now = now().map_err(|_| FederationProblem::server_error("the system clock is out of range"))?;
    let (now, expires) = views::validity(published.snapshot(), now)
        .map_err(|stale| FederationProblem::unavailable(stale.to_string()))?;
    Ok(Served { registry: registry.clone(), published, now, expires })
}

/// The node's base URL: `server.public_url`. Without it the request's host is used, and only where a forged `Host`
/// cannot reach other clients: on a loopback listener, and only when the host names the loopback. Anywhere else the
/// statement is refused rather than signed with a base URL the client chose.
fn base_url(state: &HttpState, uri: &Uri, headers: &HeaderMap) -> Result<String, FederationProblem> {
    let server = &state.node.config.server;
    if !server.public_url.is_empty() {
        return Ok(server.public_url.clone());
    }
    if !server.listens_on_loopback() {
        return Err(FederationProblem::server_error(format!(
            "server.public_url is empty and the node listens on {}, which other hosts can reach: it signs no \
             statement naming a host taken from the request; the operator must set server.public_url",
            server.listen
        )));
    }
    let scheme = if server.tls_cert_file.is_empty() { "http" } else { "https" };
    let host = uri
        .authority()
        .map(Authority::as_str)
        .or_else(|| headers.get(header::HOST).and_then(|value| value.to_str().ok()))
        .filter(|host| names_loopback(host))
        .ok_or_else(|| {
            FederationProblem::invalid_request(
                "without server.public_url the node names itself only by a loopback host: the Host header must be \
                 localhost, 127.0.0.1 or [::1] (with any port)",
            )
        })?;
    Ok(format!("{scheme}://{host}"))
}

/// True for `localhost`, a 127.0.0.0/8 address or `[::1]`, with or without a port, and nothing else (no user info).
fn names_loopback(host: &str) -> bool {
    let Ok(authority) = host.parse::<Authority>() else { return false };
    let name = authority.host();
    let address = name.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).unwrap_or(name);
    !authority.as_str().contains('@')
        && (name.eq_ignore_ascii_case("localhost") || address.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

/// A signed entity statement, served as `application/entity-statement+jwt`.
fn statement_response(state: &HttpState, claims: &Value) -> Result<Response, FederationProblem> {
    let payload = serde_json::to_vec(claims).map_err(|error| FederationProblem::server_error(error.to_string()))?;
    let jwt = state
        .node
        .identity
        .sign_compact(ENTITY_STATEMENT_TYPE, &payload)
        .map_err(|error| FederationProblem::server_error(format!("cannot sign the statement: {error}")))?;
    Ok(([(header::CONTENT_TYPE, ENTITY_STATEMENT_MEDIA_TYPE), (header::CACHE_CONTROL, "no-cache")], jwt)
        .into_response())
}

/// `GET /registries/{authority_id}/.well-known/openid-federation`: the registry's entity configuration.
pub async fn entity_configuration(
    State(state): State<Arc<HttpState>>,
    params: RawPathParams,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, FederationProblem> {
    let served = served(&state, &params)?;
    let entity_id = format!("{}{}", base_url(&state, &uri, &headers)?, entity_path(served.registry.authority_id()));
    let (fetch, list) = (format!("{entity_id}{FETCH_PATH}"), format!("{entity_id}{LIST_PATH}"));
    let endpoints = Endpoints { entity_id: &entity_id, fetch: &fetch, list: &list };
    let jwk = state
        .node
        .identity
        .public_jwk()
        .map_err(|error| FederationProblem::server_error(format!("the node's key has no JWK: {error}")))?;
    let claims = views::entity_configuration(served.published.snapshot(), endpoints, jwk, served.now, served.expires);
    statement_response(&state, &claims)
}

/// `GET /registries/{authority_id}/federation/fetch?sub=<DID>`: the subordinate statement about an active entity.
/// The DID may be percent-encoded or raw (DCC's client appends it unencoded, so a `%3A` in it arrives as sent).
pub async fn fetch(
    State(state): State<Arc<HttpState>>,
    params: RawPathParams,
    RawQuery(query): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, FederationProblem> {
    let mut subject = None;
    for (name, value) in query.as_deref().unwrap_or_default().split('&').filter_map(|pair| pair.split_once('=')) {
        match name {
            "sub" if subject.is_none() => subject = Some(value),
            "sub" => return Err(FederationProblem::invalid_request("`sub` is given more than once")),
            other => {
                return Err(FederationProblem::unsupported_parameter(other));
            }
        }
    }
    let raw = subject.filter(|sub| !sub.is_empty()).ok_or_else(|| {
        FederationProblem::invalid_request("the `sub` parameter (the DID of the entity asked about) is required")
    })?;
    let served = served(&state, &params)?;
    let issuer = format!("{}{}", base_url(&state, &uri, &headers)?, entity_path(served.registry.authority_id()));
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let snapshot = served.published.snapshot();
    let entities = &served.published.entities;
    let claims = [decoded.as_ref(), raw]
        .into_iter()
        .find_map(|sub| views::subordinate_statement(snapshot, entities, &issuer, sub, served.now, served.expires))
        .ok_or_else(|| {
            FederationProblem::not_found(format!(
                "`{decoded}` is not an entity with a statement in force in this registry"
            ))
        })?;
    statement_response(&state, &claims)
}

/// `GET /registries/{authority_id}/federation/list`: the DIDs of the entities active now, as a JSON array.
pub async fn list(State(state): State<Arc<HttpState>>, params: RawPathParams) -> Result<Response, FederationProblem> {
    let served = served(&state, &params)?;
    let entities = views::active_entities(served.published.snapshot(), &served.published.entities, served.now);
    Ok(json_response(&json!(entities)))
}

/// `GET /registries/{authority_id}/registry.json`: the DCC legacy file of the entities active now.
pub async fn legacy(State(state): State<Arc<HttpState>>, params: RawPathParams) -> Result<Response, FederationProblem> {
    let served = served(&state, &params)?;
    let legacy = views::legacy_registry(served.published.snapshot(), &served.published.entities, served.now);
    Ok(json_response(&legacy))
}

fn json_response(value: &Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")], value.to_string())
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::names_loopback;

    #[test]
    fn only_loopback_hosts_name_the_node() {
        for host in ["localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:8080", "127.1.2.3:1", "[::1]", "[::1]:8080"]
        {
            assert!(names_loopback(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "10.0.0.1",
            "[::2]:80",
            "",
            "a@localhost",
            "127.0.0.1.evil.example",
        ] {
            assert!(!names_loopback(host), "{host}");
        }
    }
}
