//! One bounded fetch over the pooled HTTPS client, of a DID document or of a status list credential: conditional
//! request, same-origin redirects, status mapping and a body read that stops at the caller's size limit.
//!
//! This module knows nothing about caching, DID documents or credentials: it returns bytes and validators, or a
//! [`FetchError`] that says whether the origin was merely unavailable (which lets the cache serve a stale copy).
//! What is fetched (a [`Subject`]) only words the errors and the `Accept` header.
//!
//! Every failure to get an HTTP answer at all (the SSRF guard, DNS, TCP, TLS, timeouts, a connection that breaks) is
//! reported to the client as the subject's one unreachable error ([`UNREACHABLE`] for did:web): telling those apart
//! would let anyone who can ask for a DID (or have a credential verified) map internal host names and scan ports
//! through the node. The precise reason stays in
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
use trustnode_did::web::DidWebLocation;

/// Redirects followed before giving up; each must stay on the first URL's origin.
pub(crate) const MAX_REDIRECTS: usize = 3;

/// The detail of every failure to get an answer from the DID's origin, whatever the reason (see the module doc).
pub const UNREACHABLE: &str =
    "the DID's origin could not be reached, or is not one this node may fetch from; the node's log says why";

/// What a fetch gets, for the wording of its errors and its `Accept` header.
#[derive(Debug)]
pub(crate) struct Subject {
    /// The thing fetched, as the subject of a sentence: "the DID document".
    pub what: &'static str,
    /// Its origin, likewise: "the DID's origin".
    pub origin: &'static str,
    /// The detail of every failure to get an answer at all.
    pub unreachable: &'static str,
    /// The `Accept` header sent.
    pub accept: &'static str,
}

/// A did:web DID document.
pub(crate) const DID_DOCUMENT: Subject = Subject {
    what: "the DID document",
    origin: "the DID's origin",
    unreachable: UNREACHABLE,
    accept: "application/did+json, application/did+ld+json, application/json;q=0.9, */*;q=0.1",
};

/// Where a fetch starts: an https URL whose host is a DNS name (IP literals never get this far), and its origin,
/// which redirects must not leave.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// Lowercase ASCII host name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The https URL requested first.
    pub url: String,
    /// What is fetched.
    pub subject: &'static Subject,
}

impl Target {
    /// The target of a did:web document.
    pub fn did_web(location: &DidWebLocation) -> Target {
        Target { host: location.host.clone(), port: location.port, url: location.url(), subject: &DID_DOCUMENT }
    }

    /// `host:port`, the origin a redirect must stay on.
    fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

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
    /// The origin answered an unusable HTTP status (5xx, 429, or a 4xx other than 404/410; for status lists
    /// 404 and 410 too).
    Status,
    /// A redirect left the origin, had no target, or there were too many.
    Redirect,
    /// The body is larger than the fetch's limit (`web.max_document_bytes`, `web.max_status_list_bytes`).
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
pub(crate) struct FetchError {
    /// What to tell the client: the subject's unreachable text when no answer came, else what the origin said.
    pub detail: String,
    /// What exactly happened, naming hosts and addresses: for the operator's log only, never for the client.
    pub reason: String,
    /// True when the origin was down, slow, dropped the connection or answered 5xx/429: a stale copy may stand in.
    pub origin_unavailable: bool,
    /// What kind of failure it was.
    pub kind: FetchErrorKind,
    /// The HTTP status of a [`FetchErrorKind::Status`] failure.
    pub status: Option<StatusCode>,
}

impl FetchError {
    /// No answer from the origin: the client learns only the subject's unreachable text.
    fn unreachable(subject: &Subject, kind: FetchErrorKind, reason: String, origin_unavailable: bool) -> FetchError {
        FetchError { detail: subject.unreachable.to_owned(), reason, origin_unavailable, kind, status: None }
    }

    /// An answer the origin gave, or a failure on this side, reported to the client as `detail`.
    fn reported(kind: FetchErrorKind, detail: String, origin_unavailable: bool) -> FetchError {
        FetchError { reason: detail.clone(), detail, origin_unavailable, kind, status: None }
    }

    /// An HTTP status the fetch cannot use.
    pub fn status(status: StatusCode, detail: String, origin_unavailable: bool) -> FetchError {
        FetchError { status: Some(status), ..FetchError::reported(FetchErrorKind::Status, detail, origin_unavailable) }
    }
}

/// The least time left before a fetch's deadline for its request to be sent: a fetch whose turn at the origin comes
/// later gives up at once (a timeout) instead of sending a request it would abandon unanswered.
const LAST_REQUEST_TIME: Duration = Duration::from_millis(100);

/// The HTTPS client with its limits.
pub(crate) struct Fetcher {
    client: Client<GuardedConnector, Empty<Bytes>>,
    timeout: Duration,
    origins: Origins,
}

impl Fetcher {
    /// A pooled client (keep-alive, HTTP/2 when ALPN offers it) over `connector`, making at most
    /// `max_per_origin` fetches to one origin at once.
    pub fn new(connector: GuardedConnector, timeout: Duration, max_per_origin: usize) -> Fetcher {
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(64)
            .build(connector);
        Fetcher { client, timeout, origins: Origins::new(max_per_origin) }
    }

    /// Fetches `target`, conditionally when `validators` are given, within the total timeout (which includes
    /// waiting for a turn at the origin), reading at most `max_bytes` of body.
    pub async fn fetch(
        &self,
        target: &Target,
        validators: &Validators,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let out_of_time = || {
            FetchError::unreachable(
                target.subject,
                FetchErrorKind::Timeout,
                format!("no complete answer from {} within {} ms", target.url, self.timeout.as_millis()),
                true,
            )
        };
        let turn = tokio::time::timeout_at(deadline, self.origins.turn(&target.host, target.port)).await;
        let Ok(Some(_turn)) = turn else {
            return Err(FetchError::unreachable(
                target.subject,
                FetchErrorKind::OriginBusy,
                format!("the node is already fetching {} documents from {}", self.origins.max(), target.url),
                true,
            ));
        };
        // A turn that came as time ran out: a request sent now would be abandoned before any origin could answer,
        // leaving it working for nobody while the turn goes to the next fetch (more requests at the origin than
        // `max_per_origin`).
        if tokio::time::Instant::now() + LAST_REQUEST_TIME >= deadline {
            return Err(out_of_time());
        }
        tokio::time::timeout_at(deadline, self.follow(target, validators, max_bytes))
            .await
            .unwrap_or_else(|_| Err(out_of_time()))
    }

    async fn follow(&self, target: &Target, validators: &Validators, max_bytes: usize) -> Result<Fetched, FetchError> {
        let mut url = target.url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let request = request(&url, target.subject, validators)?;
            let response = self.client.request(request).await.map_err(|e| classify_client_error(target.subject, e))?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                url = redirect_target(target, response.headers())?;
                continue;
            }
            let headers = response_headers(response.headers());
            return match status {
                s if s.is_success() => {
                    Ok(Fetched::Body { body: read_body(target, response, max_bytes).await?, headers })
                }
                StatusCode::NOT_MODIFIED => Ok(Fetched::NotModified(headers)),
                StatusCode::NOT_FOUND | StatusCode::GONE => Ok(Fetched::Gone(status)),
                s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => Err(FetchError::status(
                    s,
                    format!("{} is unavailable: {url} answered HTTP {s}", target.subject.origin),
                    true,
                )),
                s => Err(FetchError::status(s, format!("{url} answered HTTP {s}"), false)),
            };
        }
        Err(bad_redirect(format!("more than {MAX_REDIRECTS} redirects from {}", target.url)))
    }
}

/// Reads the body frame by frame, stopping as soon as it exceeds `limit`.
async fn read_body(
    target: &Target,
    response: hyper::Response<hyper::body::Incoming>,
    limit: usize,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || {
        FetchError::reported(FetchErrorKind::TooLarge, format!("{} exceeds {limit} bytes", target.subject.what), false)
    };
    let declared = header_text(response.headers(), &CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let mut body = response.into_body();
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            let reason = format!("reading the body failed: {e}");
            FetchError::unreachable(target.subject, FetchErrorKind::Other, reason, true)
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

/// A GET with no cookies, no `Referer` and no credentials: nothing but the URL tells the origin who asks.
fn request(url: &str, subject: &Subject, validators: &Validators) -> Result<Request<Empty<Bytes>>, FetchError> {
    let mut builder = Request::get(url)
        .header(ACCEPT, subject.accept)
        .header(USER_AGENT, concat!("trustnode/", env!("CARGO_PKG_VERSION")));
    if let Some(etag) = &validators.etag {
        builder = builder.header(IF_NONE_MATCH, etag);
    }
    if let Some(last_modified) = &validators.last_modified {
        builder = builder.header(IF_MODIFIED_SINCE, last_modified);
    }
    builder
        .body(Empty::new())
        .map_err(|e| FetchError::reported(FetchErrorKind::Other, format!("cannot build a request: {e}"), false))
}

/// A redirect this node does not follow: the origin answered, and what was asked for is not where its URL says
/// (the did:web method defines no redirects; following one off the origin would let an origin point the node at
/// any host). Retrying gives the same answer, so a stale copy never covers it.
fn bad_redirect(detail: String) -> FetchError {
    FetchError::reported(FetchErrorKind::Redirect, detail, false)
}

/// The next URL of a redirect, which must be an absolute path or an https URL on the target's own origin.
fn redirect_target(origin: &Target, headers: &HeaderMap) -> Result<String, FetchError> {
    let target = header_text(headers, &LOCATION).ok_or_else(|| bad_redirect("a redirect without Location".into()))?;
    if target.starts_with('/') && !target.starts_with("//") {
        return Ok(format!("https://{}{target}", origin.authority()));
    }
    let uri: Uri = target.parse().map_err(|_| bad_redirect(format!("unusable redirect target {target:?}")))?;
    let same_origin = uri.scheme_str() == Some("https")
        && uri.host().is_some_and(|host| host.eq_ignore_ascii_case(&origin.host))
        && uri.port_u16().unwrap_or(443) == origin.port;
    if !same_origin {
        return Err(bad_redirect(format!("refusing the redirect to {target:?}: it leaves {}", origin.authority())));
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    Ok(format!("https://{}{path}", origin.authority()))
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
fn classify_client_error(subject: &Subject, error: hyper_util::client::legacy::Error) -> FetchError {
    if let Some(connect) = ConnectError::find_in(&error) {
        let (kind, origin_unavailable) = match connect {
            ConnectError::Refused { .. } => (FetchErrorKind::Refused, false),
            ConnectError::NoSuchHost { .. } => (FetchErrorKind::NoSuchHost, false),
            ConnectError::Tls { .. } => (FetchErrorKind::Tls, false),
            ConnectError::BadUri(_) => (FetchErrorKind::Other, false),
            ConnectError::Dns { .. } => (FetchErrorKind::Dns, true),
            ConnectError::Unreachable { .. } => (FetchErrorKind::Connect, true),
            ConnectError::Timeout { .. } => (FetchErrorKind::Timeout, true),
        };
        return FetchError::unreachable(subject, kind, connect.to_string(), origin_unavailable);
    }
    let reason = format!("{error}: {}", error.source().map(|s| s.to_string()).unwrap_or_default());
    FetchError::unreachable(subject, FetchErrorKind::Connect, reason, true)
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
