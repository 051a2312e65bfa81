//! `GET` and `POST /1.0/identifiers/{did-or-did-url}`: the Universal Resolver binding.
//!
//! Thin: split the request into identifier and options ([`split_request`], pure), call the resolver, render with
//! `trustnode_resolver::render`. The identifier arrives either raw (`did:web:example.com?service=x`: the query belongs
//! to the DID URL) or percent-encoded (`did%3Aweb%3Aexample.com?noCache=true`: the query carries options).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

use super::microcache::{request_key, unix_second};
use super::problem::{Problem, Refusal};
use super::resolution_response::ResolutionResponse;
use super::HttpState;
use trustnode_did::error::{invalid_did, invalid_options, ResolutionError};
use trustnode_resolver::accept::negotiate;
use trustnode_resolver::options::OPTION_NAMES;
use trustnode_resolver::render::render;
use trustnode_resolver::{Resolution, ResolutionOptions};

/// The route prefix; what follows it is the identifier.
pub const PREFIX: &str = "/1.0/identifiers/";

/// An identifier and its options, as split from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitRequest {
    /// The DID or DID URL to resolve.
    pub identifier: String,
    /// `(name, value)` resolution options, decoded.
    pub options: Vec<(String, String)>,
}

/// Splits the part of the path after [`PREFIX`] and the query into identifier and options.
///
/// - Encoded form (the path starts with `did%3A`): the path is percent-decoded once; the query is all options.
/// - Raw form: the path is the identifier as written (did:web's `%3A` stays encoded); the query belongs to the DID
///   URL, except parameters named like a resolution option, which are taken as options (documented leniency for
///   clients that do not encode).
/// - In both forms `%23` in a raw path stands for `#`, and a `?` inside the fragment starts options: some clients
///   append `?publicKeyFormat=…` after `#fragment`.
pub fn split_request(raw_path: &str, query: Option<&str>) -> Result<SplitRequest, ResolutionError> {
    let encoded = raw_path.get(..6).is_some_and(|head| head.eq_ignore_ascii_case("did%3a"));
    let (identifier, mut options) = if encoded {
        let identifier = decode(raw_path)?;
        (identifier, query.map(parse_query).transpose()?.unwrap_or_default())
    } else {
        let path = raw_path.replace("%23", "#");
        let (identifier, options) = split_options(path, query)?;
        (identifier, options)
    };
    let (identifier, fragment_options) = split_decoded(identifier)?;
    options.extend(fragment_options);
    Ok(SplitRequest { identifier, options })
}

/// The last step for an identifier already decoded (a path after [`split_request`]'s decoding, or a batch item as
/// written): a `?` inside the fragment starts options, and an empty identifier is INVALID_DID.
pub(crate) fn split_decoded(identifier: String) -> Result<(String, Vec<(String, String)>), ResolutionError> {
    let (identifier, options) = match identifier.split_once('#').and_then(|(did, fragment)| {
        fragment.split_once('?').map(|(fragment, query)| (format!("{did}#{fragment}"), query))
    }) {
        Some((head, fragment_query)) => (head, parse_query(fragment_query)?),
        None => (identifier, Vec::new()),
    };
    if identifier.is_empty() {
        return Err(invalid_did("the identifier is empty"));
    }
    Ok((identifier, options))
}

/// Raw form: moves option-named query parameters out of the DID URL.
fn split_options(path: String, query: Option<&str>) -> Result<(String, Vec<(String, String)>), ResolutionError> {
    let Some(query) = query.filter(|q| !q.is_empty()) else { return Ok((path, Vec::new())) };
    let mut kept = Vec::new();
    let mut options = Vec::new();
    for pair in query.split('&') {
        let name = pair.split('=').next().unwrap_or_default();
        if OPTION_NAMES.contains(&decode(name)?.as_str()) {
            options.extend(parse_query(pair)?);
        } else {
            kept.push(pair);
        }
    }
    let identifier = if kept.is_empty() { path } else { format!("{path}?{}", kept.join("&")) };
    Ok((identifier, options))
}

fn parse_query(query: &str) -> Result<Vec<(String, String)>, ResolutionError> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

fn decode(text: &str) -> Result<String, ResolutionError> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| invalid_did("the identifier is not valid UTF-8 after percent-decoding"))
}

/// `GET /1.0/identifiers/{id}`. Takes the whole request rather than its URI and headers: those extractors clone
/// them, which is measurable on answers that come from memory.
pub async fn get(State(state): State<Arc<HttpState>>, request: Request) -> Response {
    resolve_request(&state, request.uri(), request.headers(), None).await
}

/// `POST /1.0/identifiers/{id}` with a JSON object of options as the body.
pub async fn post(State(state): State<Arc<HttpState>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    resolve_request(&state, &uri, &headers, Some(body)).await
}

/// `GET /1.0/identifiers/` (nothing to resolve): 400 with a full result, as the W3C suite expects.
pub async fn empty(headers: HeaderMap) -> Response {
    let accept = header_str(&headers, header::ACCEPT);
    let resolution = Resolution::failed(invalid_did("the identifier is empty"));
    ResolutionResponse::new(&resolution, render(&resolution, negotiate(accept).or(negotiate(None)))).to_response()
}

async fn resolve_request(state: &HttpState, uri: &Uri, headers: &HeaderMap, body: Option<Bytes>) -> Response {
    let raw_path = uri.path().strip_prefix(PREFIX).unwrap_or_default();
    // The limit is on the identifier itself, so it counts decoded bytes: an encoded form is up to three times longer
    // (hyper's head buffer is sized for that), and encoding must not change what is accepted.
    if let Some(refusal) = too_long(state, percent_decode_str(raw_path).count()) {
        return Problem::from(refusal).into_response();
    }
    // Only GET answers depend on the request line and Accept alone; POST carries options in its body.
    let key = body.is_none().then(|| request_key(uri, headers, b""));
    if let Some(answer) = key.and_then(|key| state.answers.get(key, unix_second(), 0)) {
        state.node.metrics.record_resolution_outcome(answer.method(), answer.error());
        return answer.to_response();
    }
    let parsed = split_request(raw_path, uri.query()).and_then(|split| {
        let json = body
            .filter(|b| !b.is_empty())
            .map(|body| serde_json::from_slice::<serde_json::Value>(&body))
            .transpose()
            .map_err(|e| invalid_options(format!("the request body is not valid JSON: {e}")))?;
        Ok((split.identifier, options(&split.options, json.as_ref())?))
    });
    let (resolution, answer) = resolve_and_render(state, parsed, header_str(headers, header::ACCEPT)).await;
    let answer = Arc::new(answer);
    if let Some(key) = key.filter(|_| answer.keepable(&resolution)) {
        state.answers.put(key, resolution.retrieved.unix_timestamp(), 0, answer.clone());
    }
    answer.to_response()
}

/// The refusal of an identifier of `decoded_bytes` bytes (after percent-decoding) when it exceeds
/// `server.max_identifier_bytes`.
pub(crate) fn too_long(state: &HttpState, decoded_bytes: usize) -> Option<Refusal> {
    let max = state.node.config.server.max_identifier_bytes;
    (decoded_bytes > max).then_some(Refusal::IdentifierTooLong { max })
}

/// The options of a request: from `pairs` (its query), unless a JSON `body` gives them instead.
pub(crate) fn options(
    pairs: &[(String, String)],
    body: Option<&serde_json::Value>,
) -> Result<ResolutionOptions, ResolutionError> {
    let from_query = ResolutionOptions::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))?;
    body.map_or(Ok(from_query), ResolutionOptions::from_json)
}

/// Resolves a parsed request (or reports why it could not be parsed) and renders the answer in the representation
/// its `accept` option or, without one, the `accept` header asks for; counts it in the metrics. What every
/// resolution request, single or in a batch, goes through.
pub(crate) async fn resolve_and_render(
    state: &HttpState,
    parsed: Result<(String, ResolutionOptions), ResolutionError>,
    accept: Option<&str>,
) -> (Resolution, ResolutionResponse) {
    // An explicit `accept` option wins over the header: browsers always send an Accept header.
    let accept_option = parsed.as_ref().ok().and_then(|(_, options)| options.accept.clone());
    let representation = negotiate(accept_option.as_deref().or(accept));
    let resolution = match parsed {
        // Nothing acceptable: render answers 406 without resolving.
        Ok(_) if representation.is_none() => Resolution::failed(invalid_options("no acceptable representation")),
        Ok((identifier, options)) => state.node.resolver.resolve(&identifier, &options).await,
        Err(error) => Resolution::failed(error),
    };
    state.node.metrics.record_resolution(&resolution);
    let answer = ResolutionResponse::new(&resolution, render(&resolution, representation));
    (resolution, answer)
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(path: &str, query: Option<&str>) -> SplitRequest {
        split_request(path, query).unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn encoded_identifiers_take_options_from_the_query() {
        let s = split("did%3Aweb%3Aexample.com%253A8443", Some("noCache=true&accept=application%2Fdid%2Bjson"));
        assert_eq!(s.identifier, "did:web:example.com%3A8443");
        assert_eq!(s.options, pairs(&[("noCache", "true"), ("accept", "application/did+json")]));
    }

    #[test]
    fn raw_identifiers_keep_their_query_and_lift_options() {
        let s = split("did:web:example.com%3A8443:u", Some("service=files&relativeRef=%2Fa&noCache=true"));
        assert_eq!(s.identifier, "did:web:example.com%3A8443:u?service=files&relativeRef=%2Fa");
        assert_eq!(s.options, pairs(&[("noCache", "true")]));
    }

    #[test]
    fn fragments_and_trailing_options() {
        let s = split("did%3Akey%3Az6Mk%23z6Mk%3FpublicKeyFormat%3DJsonWebKey", None);
        assert_eq!(s.identifier, "did:key:z6Mk#z6Mk");
        assert_eq!(s.options, pairs(&[("publicKeyFormat", "JsonWebKey")]));
        assert_eq!(split("did:key:z6Mk%23z6Mk", None).identifier, "did:key:z6Mk#z6Mk");
    }

    #[test]
    fn invalid_utf8_and_empty_identifiers_are_invalid_dids() {
        assert!(split_request("did%3Akey%3A%FF", None).is_err());
        assert!(split_request("", None).is_err());
    }
}
