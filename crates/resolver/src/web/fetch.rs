//! One bounded did:web fetch over the pooled HTTPS client: conditional request, same-origin redirects, status
//! mapping and a body read that stops at the size limit.
//!
//! This module knows nothing about caching or DID documents: it returns bytes and validators, or a
//! [`FetchError`] that says whether the origin was merely unavailable (which lets the cache serve a stale copy).
//!
//! Every failure to get an HTTP answer at all (the SSRF guard, DNS, TCP, TLS, timeouts, a connection that breaks) is
//! reported to the client as the one [`UNREACHABLE`] error: telling those apart would let anyone who can ask for a
//! DID map internal host names and scan ports through the node. The precise reason stays in
//! [`FetchError::reason`], for the operator's log, and in [`FetchError::kind`], which the metrics count. What an
//! origin that did answer over verified TLS said (a status, a redirect, an oversized body) leaks nothing and is
//! reported as it is.

use std::error::Error as _;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderName, ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, ETAG, IF_MODIFIED_SINCE};
use hyper::header::{IF_NONE_MATCH, LAST_MODIFIED, LOCATION, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::connect::{ConnectError, GuardedConnector};
use super::origins::Origins;
use trustnode_did::error::{internal_error, invalid_did_document, not_found, ResolutionError};
use trustnode_did::web::DidWebLocation;

/// Redirects followed before giving up; each must stay on the DID's origin.
pub(crate) const MAX_REDIRECTS: usize = 3;

/// The detail of every failure to get an answer from the DID's origin, whatever the reason (see the module doc).
pub const UNREACHABLE: &str =
    "the DID's origin could not be reached, or is not one this node may fetch from; the node's log says why";

/// Validators of a stored copy, sent as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Validators {
    /// The stored `ETag`.
    pub etag: Option<String>,
    /// The stored `Last-Modified`, as sent by the origin.
    pub last_modified: Option<String>,
}

/// The caching-relevant headers of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResponseHeaders {
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `ETag` and `Last-Modified`.
    pub validators: Validators,
}

/// What the origin answered.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// 2xx with a body no larger than the limit.
    Body {
        /// The raw body.
        body: Vec<u8>,
        /// Its caching headers.
        headers: ResponseHeaders,
    },
    /// 304: the stored copy is still current.
    NotModified(ResponseHeaders),
    /// 404 or 410: the DID does not exist (deactivation is removal).
    Gone(StatusCode),
}

/// What kind of failure a fetch ended in: a small fixed set, so operators can count failures by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchErrorKind {
    /// The SSRF guard refused the target address.
    Refused,
    /// DNS says the host does not exist.
    NoSuchHost,
    /// The DNS lookup failed.
    Dns,
    /// No TCP connection could be made, or it was dropped.
    Connect,
    /// Connecting or the whole fetch ran out of time.
    Timeout,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The origin answered an unusable HTTP status (5xx, 429, or a 4xx other than 404/410).
    Status,
    /// A redirect left the origin, had no target, or there were too many.
    Redirect,
    /// The document is larger than `web.max_document_bytes`.
    TooLarge,
    /// Anything else (reading the body, building the request).
    Other,
    /// The origin had `web.max_fetches_per_origin` fetches running throughout the fetch timeout, or a full queue.
    OriginBusy,
}

impl FetchErrorKind {
    /// Every kind, in declaration order, so that `kind as usize` is its index here.
    pub const ALL: [FetchErrorKind; 11] = [
        FetchErrorKind::Refused,
        FetchErrorKind::NoSuchHost,
        FetchErrorKind::Dns,
        FetchErrorKind::Connect,
        FetchErrorKind::Timeout,
        FetchErrorKind::Tls,
        FetchErrorKind::Status,
        FetchErrorKind::Redirect,
        FetchErrorKind::TooLarge,
        FetchErrorKind::Other,
        FetchErrorKind::OriginBusy,
    ];

    /// The kind's name in statistics and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            FetchErrorKind::Refused => "refused",
            FetchErrorKind::NoSuchHost => "no_such_host",
            FetchErrorKind::Dns => "dns",
            FetchErrorKind::Connect => "connect",
            FetchErrorKind::Timeout => "timeout",
            FetchErrorKind::Tls => "tls",
            FetchErrorKind::Status => "status",
            FetchErrorKind::Redirect => "redirect",
            FetchErrorKind::TooLarge => "too_large",
            FetchErrorKind::Other => "other",
            FetchErrorKind::OriginBusy => "origin_busy",
        }
    }
}

/// A failed fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The resolution error to report to the client.
    pub error: ResolutionError,
    /// What exactly happened, naming hosts and addresses: for the operator's log only, never for the client.
    pub reason: String,
    /// True when the origin was down, slow, dropped the connection or answered 5xx/429: a stale copy may stand in.
    pub origin_unavailable: bool,
    /// What kind of failure it was.
    pub kind: FetchErrorKind,
}

impl FetchError {
    /// No answer from the origin: the client learns only [`UNREACHABLE`].
    fn unreachable(kind: FetchErrorKind, reason: String, origin_unavailable: bool) -> FetchError {
        FetchError { error: internal_error(UNREACHABLE), reason, origin_unavailable, kind }
    }

    /// An answer the origin gave, or a failure on this side, reported to the client as `error`.
    fn reported(kind: FetchErrorKind, error: ResolutionError, origin_unavailable: bool) -> FetchError {
        FetchError { reason: error.detail.clone(), error, origin_unavailable, kind }
    }
}

/// The HTTPS client with its limits.
pub(crate) struct Fetcher {
    client: Client<GuardedConnector, Empty<Bytes>>,
    timeout: Duration,
    max_document_bytes: usize,
    origins: Origins,
}

impl Fetcher {
    /// A pooled client (keep-alive, HTTP/2 when ALPN offers it) over `connector`, making at most
    /// `max_per_origin` fetches to one origin at once.
    pub fn new(
        connector: GuardedConnector,
        timeout: Duration,
        max_document_bytes: usize,
        max_per_origin: usize,
    ) -> Fetcher {
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(64)
            .build(connector);
        Fetcher { client, timeout, max_document_bytes, origins: Origins::new(max_per_origin) }
    }

    /// Fetches the document at `location`, conditionally when `validators` are given, within the total timeout
    /// (which includes waiting for a turn at the origin).
    pub async fn fetch(&self, location: &DidWebLocation, validators: &Validators) -> Result<Fetched, FetchError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let out_of_time = || {
            FetchError::unreachable(
                FetchErrorKind::Timeout,
                format!("no complete answer from {} within {} ms", location.url(), self.timeout.as_millis()),
                true,
            )
        };
        let turn = tokio::time::timeout_at(deadline, self.origins.turn(&location.host, location.port)).await;
        let Ok(Some(_turn)) = turn else {
            return Err(FetchError::unreachable(
                FetchErrorKind::OriginBusy,
                format!("the node is already fetching {} documents from {}", self.origins.max(), location.url()),
                true,
            ));
        };
        // A turn that came just as time ran out: sending the request would only leave the origin answering nobody.
        if tokio::time::Instant::now() >= deadline {
            return Err(out_of_time());
        }
        tokio::time::timeout_at(deadline, self.follow(location, validators))
            .await
            .unwrap_or_else(|_| Err(out_of_time()))
    }

    async fn follow(&self, location: &DidWebLocation, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut url = location.url();
        for _ in 0..=MAX_REDIRECTS {
            let response = self.client.request(request(&url, validators)?).await.map_err(classify_client_error)?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                url = redirect_target(location, response.headers())?;
                continue;
            }
            let headers = response_headers(response.headers());
            return match status {
                s if s.is_success() => Ok(Fetched::Body { body: self.read_body(response).await?, headers }),
                StatusCode::NOT_MODIFIED => Ok(Fetched::NotModified(headers)),
                StatusCode::NOT_FOUND | StatusCode::GONE => Ok(Fetched::Gone(status)),
                s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => Err(FetchError::reported(
                    FetchErrorKind::Status,
                    internal_error(format!("the DID's origin is unavailable: {url} answered HTTP {s}")),
                    true,
                )),
                s => Err(FetchError::reported(
                    FetchErrorKind::Status,
                    internal_error(format!("{url} answered HTTP {s}")),
                    false,
                )),
            };
        }
        Err(bad_redirect(format!("more than {MAX_REDIRECTS} redirects from {}", location.url())))
    }

    /// Reads the body frame by frame, stopping as soon as it exceeds the limit.
    async fn read_body(&self, response: hyper::Response<hyper::body::Incoming>) -> Result<Vec<u8>, FetchError> {
        let limit = self.max_document_bytes;
        let too_large = || {
            FetchError::reported(
                FetchErrorKind::TooLarge,
                invalid_did_document(format!("the DID document exceeds {limit} bytes")),
                false,
            )
        };
        let declared = header_text(response.headers(), &CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large());
        }
        let mut body = response.into_body();
        let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                FetchError::unreachable(FetchErrorKind::Other, format!("reading the body failed: {e}"), true)
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > limit {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(bytes)
    }
}

fn request(url: &str, validators: &Validators) -> Result<Request<Empty<Bytes>>, FetchError> {
    let mut builder = Request::get(url)
        .header(ACCEPT, "application/did+json, application/did+ld+json, application/json;q=0.9, */*;q=0.1")
        .header(USER_AGENT, concat!("trustnode/", env!("CARGO_PKG_VERSION")));
    if let Some(etag) = &validators.etag {
        builder = builder.header(IF_NONE_MATCH, etag);
    }
    if let Some(last_modified) = &validators.last_modified {
        builder = builder.header(IF_MODIFIED_SINCE, last_modified);
    }
    builder.body(Empty::new()).map_err(|e| {
        FetchError::reported(FetchErrorKind::Other, internal_error(format!("cannot build a request: {e}")), false)
    })
}

/// A redirect this node does not follow is NOT_FOUND: the origin answered, and the document is not where the DID
/// says it is (the did:web method defines no redirects; following one off the origin would let an origin point
/// the node at any host). Not an internal error: nothing failed on this side, and retrying gives the same answer.
fn bad_redirect(detail: String) -> FetchError {
    FetchError::reported(FetchErrorKind::Redirect, not_found(detail), false)
}

/// The next URL of a redirect, which must be an absolute path or an https URL on the DID's own origin.
fn redirect_target(location: &DidWebLocation, headers: &HeaderMap) -> Result<String, FetchError> {
    let target = header_text(headers, &LOCATION).ok_or_else(|| bad_redirect("a redirect without Location".into()))?;
    if target.starts_with('/') && !target.starts_with("//") {
        return Ok(format!("https://{}{target}", location.authority()));
    }
    let uri: Uri = target.parse().map_err(|_| bad_redirect(format!("unusable redirect target {target:?}")))?;
    let same_origin = uri.scheme_str() == Some("https")
        && uri.host().is_some_and(|host| host.eq_ignore_ascii_case(&location.host))
        && uri.port_u16().unwrap_or(443) == location.port;
    if !same_origin {
        return Err(bad_redirect(format!("refusing the redirect to {target:?}: it leaves {}", location.authority())));
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    Ok(format!("https://{}{path}", location.authority()))
}

fn response_headers(headers: &HeaderMap) -> ResponseHeaders {
    ResponseHeaders {
        cache_control: header_text(headers, &CACHE_CONTROL).map(str::to_owned),
        validators: Validators {
            etag: header_text(headers, &ETAG).map(str::to_owned),
            last_modified: header_text(headers, &LAST_MODIFIED).map(str::to_owned),
        },
    }
}

fn header_text<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Turns a client error (no HTTP answer) into an [`UNREACHABLE`] [`FetchError`] of its kind. DNS failures,
/// refused, reset or slow connections are an unavailable origin (a stale copy may stand in); guard refusals, names
/// DNS says do not exist and TLS verdicts are not.
fn classify_client_error(error: hyper_util::client::legacy::Error) -> FetchError {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(connect) = cause.downcast_ref::<ConnectError>() {
            let (kind, origin_unavailable) = match connect {
                ConnectError::Refused { .. } => (FetchErrorKind::Refused, false),
                ConnectError::NoSuchHost { .. } => (FetchErrorKind::NoSuchHost, false),
                ConnectError::Tls { .. } => (FetchErrorKind::Tls, false),
                ConnectError::BadUri(_) => (FetchErrorKind::Other, false),
                ConnectError::Dns { .. } => (FetchErrorKind::Dns, true),
                ConnectError::Unreachable { .. } => (FetchErrorKind::Connect, true),
                ConnectError::Timeout { .. } => (FetchErrorKind::Timeout, true),
            };
            return FetchError::unreachable(kind, connect.to_string(), origin_unavailable);
        }
        source = cause.source();
    }
    let reason = format!("{error}: {}", error.source().map(|s| s.to_string()).unwrap_or_default());
    FetchError::unreachable(FetchErrorKind::Connect, reason, true)
}

/// NOT_FOUND for a 404/410 answer.
pub fn gone(location: &DidWebLocation, status: StatusCode) -> ResolutionError {
    not_found(format!("{} answered HTTP {status}", location.url()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_are_listed_in_declaration_order_with_distinct_names() {
        for (index, kind) in FetchErrorKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, index, "{kind:?}");
        }
        let mut names: Vec<&str> = FetchErrorKind::ALL.iter().map(|kind| kind.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FetchErrorKind::ALL.len());
    }
}
