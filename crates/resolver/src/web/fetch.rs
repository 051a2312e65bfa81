//! One bounded did:web fetch over the pooled HTTPS client: conditional request, same-origin redirects, status
//! mapping and a body read that stops at the size limit.
//!
//! This module knows nothing about caching or DID documents: it returns bytes and validators, or a
//! [`FetchError`] that says whether the origin was merely unavailable (which lets the cache serve a stale copy).

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
use trustnode_did::error::{internal_error, invalid_did, invalid_did_document, not_found, ResolutionError};
use trustnode_did::web::DidWebLocation;

/// Redirects followed before giving up; each must stay on the DID's origin.
pub(crate) const MAX_REDIRECTS: usize = 3;

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
    /// The resolution error to report.
    pub error: ResolutionError,
    /// True when the origin was down, slow, dropped the connection or answered 5xx/429: a stale copy may stand in.
    pub origin_unavailable: bool,
    /// What kind of failure it was.
    pub kind: FetchErrorKind,
}

impl FetchError {
    fn unavailable(kind: FetchErrorKind, detail: String) -> FetchError {
        FetchError {
            error: internal_error(format!("the DID's origin is unavailable: {detail}")),
            origin_unavailable: true,
            kind,
        }
    }

    fn refused(kind: FetchErrorKind, error: ResolutionError) -> FetchError {
        FetchError { error, origin_unavailable: false, kind }
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
            FetchError::unavailable(
                FetchErrorKind::Timeout,
                format!("no complete answer within {} ms", self.timeout.as_millis()),
            )
        };
        let turn = tokio::time::timeout_at(deadline, self.origins.turn(&location.host, location.port)).await;
        let Ok(Some(_turn)) = turn else {
            return Err(FetchError::unavailable(
                FetchErrorKind::OriginBusy,
                format!("the node is already fetching {} documents from this origin", self.origins.max()),
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
                s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                    Err(FetchError::unavailable(FetchErrorKind::Status, format!("{url} answered HTTP {s}")))
                }
                s => {
                    Err(FetchError::refused(FetchErrorKind::Status, internal_error(format!("{url} answered HTTP {s}"))))
                }
            };
        }
        Err(FetchError::refused(
            FetchErrorKind::Redirect,
            internal_error(format!("more than {MAX_REDIRECTS} redirects from {}", location.url())),
        ))
    }

    /// Reads the body frame by frame, stopping as soon as it exceeds the limit.
    async fn read_body(&self, response: hyper::Response<hyper::body::Incoming>) -> Result<Vec<u8>, FetchError> {
        let limit = self.max_document_bytes;
        let too_large = || {
            FetchError::refused(
                FetchErrorKind::TooLarge,
                invalid_did_document(format!("the DID document exceeds {limit} bytes")),
            )
        };
        let declared = header_text(response.headers(), &CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large());
        }
        let mut body = response.into_body();
        let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
        while let Some(frame) = body.frame().await {
            let frame = frame
                .map_err(|e| FetchError::unavailable(FetchErrorKind::Other, format!("reading the body failed: {e}")))?;
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
    builder
        .body(Empty::new())
        .map_err(|e| FetchError::refused(FetchErrorKind::Other, internal_error(format!("cannot build a request: {e}"))))
}

/// The next URL of a redirect, which must be an absolute path or an https URL on the DID's own origin.
fn redirect_target(location: &DidWebLocation, headers: &HeaderMap) -> Result<String, FetchError> {
    let off_origin = |detail: String| FetchError::refused(FetchErrorKind::Redirect, internal_error(detail));
    let target = header_text(headers, &LOCATION).ok_or_else(|| off_origin("a redirect without Location".into()))?;
    if target.starts_with('/') && !target.starts_with("//") {
        return Ok(format!("https://{}{target}", location.authority()));
    }
    let uri: Uri = target.parse().map_err(|_| off_origin(format!("unusable redirect target {target:?}")))?;
    let same_origin = uri.scheme_str() == Some("https")
        && uri.host().is_some_and(|host| host.eq_ignore_ascii_case(&location.host))
        && uri.port_u16().unwrap_or(443) == location.port;
    if !same_origin {
        return Err(off_origin(format!("refusing the redirect to {target:?}: it leaves {}", location.authority())));
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

/// Turns a client error into a [`FetchError`]: guard refusals are INVALID_DID (this node will not resolve DIDs
/// whose host is not public), a name DNS says does not exist is NOT_FOUND, TLS failures INTERNAL_ERROR, everything
/// else (DNS failures, refused/reset connections, timeouts) an unavailable origin.
fn classify_client_error(error: hyper_util::client::legacy::Error) -> FetchError {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(connect) = cause.downcast_ref::<ConnectError>() {
            return match connect {
                ConnectError::Refused { .. } => {
                    FetchError::refused(FetchErrorKind::Refused, invalid_did(connect.to_string()))
                }
                ConnectError::NoSuchHost { .. } => {
                    FetchError::refused(FetchErrorKind::NoSuchHost, not_found(connect.to_string()))
                }
                ConnectError::Tls { .. } => {
                    FetchError::refused(FetchErrorKind::Tls, internal_error(connect.to_string()))
                }
                ConnectError::BadUri(_) => {
                    FetchError::refused(FetchErrorKind::Other, internal_error(connect.to_string()))
                }
                ConnectError::Dns { .. } => FetchError::unavailable(FetchErrorKind::Dns, connect.to_string()),
                ConnectError::Unreachable { .. } => {
                    FetchError::unavailable(FetchErrorKind::Connect, connect.to_string())
                }
                ConnectError::Timeout { .. } => FetchError::unavailable(FetchErrorKind::Timeout, connect.to_string()),
            };
        }
        source = cause.source();
    }
    FetchError::unavailable(
        FetchErrorKind::Connect,
        format!("{error}: {}", error.source().map(|s| s.to_string()).unwrap_or_default()),
    )
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
