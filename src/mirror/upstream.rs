//! Fetching a registry's snapshots from an upstream node over HTTP/1.1: the latest one with a conditional request,
//! or one by sequence, each as exact bytes plus the detached JWS from the `Registry-Snapshot-JWS` header.
//!
//! Bounded: one timeout covers connect, headers and body; the body is cut off at a size limit; redirects are never
//! followed (a 3xx is a failure), so nothing is fetched from another origin. This module only moves bytes: it does
//! not parse or verify them.

use std::time::Duration;

use http_body_util::{BodyExt as _, Empty, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_LENGTH, IF_NONE_MATCH};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use trustnode_registry::wire::{encode, SNAPSHOT_JWS_HEADER};

/// A snapshot as the upstream sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offered {
    /// The body: the snapshot's bytes, unverified.
    pub bytes: Vec<u8>,
    /// The detached JWS from the response header.
    pub jws: String,
}

/// The answer to a conditional request for the latest snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Latest {
    /// 304: the upstream's latest is the one served here.
    Unchanged,
    /// A snapshot.
    Offered(Offered),
}

/// Why a fetch failed. [`FetchFailure::kind`] is a fixed label for metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FetchFailure {
    /// No connection or no complete response.
    #[error("{url}: upstream unreachable: {why}")]
    Unreachable {
        /// The URL fetched.
        url: String,
        /// What the client said.
        why: String,
    },
    /// The whole exchange took longer than the timeout.
    #[error("{url}: no complete answer within {timeout_ms} ms")]
    Timeout {
        /// The URL fetched.
        url: String,
        /// The timeout.
        timeout_ms: u128,
    },
    /// Any status but 200 (and 304 for the latest), redirects included: they are not followed.
    #[error("{url}: upstream answered {status}")]
    Status {
        /// The URL fetched.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body is larger than the limit.
    #[error("{url}: the snapshot is larger than {limit} bytes")]
    TooLarge {
        /// The URL fetched.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// A 200 without the detached JWS.
    #[error("{url}: the answer carries no {SNAPSHOT_JWS_HEADER} header")]
    MissingSignature {
        /// The URL fetched.
        url: String,
    },
}

impl FetchFailure {
    /// The metrics label of this failure.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchFailure::Unreachable { .. } => "unreachable",
            FetchFailure::Timeout { .. } => "timeout",
            FetchFailure::Status { .. } => "upstream-status",
            FetchFailure::TooLarge { .. } => "too-large",
            FetchFailure::MissingSignature { .. } => "missing-signature",
        }
    }
}

/// One registry's snapshots on one upstream node.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    snapshots_url: String,
    client: Client<HttpConnector, Empty<Bytes>>,
    timeout: Duration,
    max_bytes: usize,
}

impl Upstream {
    /// The snapshots of `authority_id` on the node at `base` (`http://host:port`), each fetch bounded by `timeout`
    /// and `max_bytes`.
    pub fn new(base: &str, authority_id: &str, timeout: Duration, max_bytes: usize) -> Upstream {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        let snapshots_url = format!("{}/registries/{}/snapshots", base.trim_end_matches('/'), encode(authority_id));
        Upstream { snapshots_url, client: Client::builder(TokioExecutor::new()).build(connector), timeout, max_bytes }
    }

    /// The upstream's latest snapshot, or [`Latest::Unchanged`] when its ETag is `etag` (the served digest, quoted).
    pub async fn latest(&self, etag: Option<&str>) -> Result<Latest, FetchFailure> {
        let url = format!("{}/latest", self.snapshots_url);
        match self.get(&url, etag).await? {
            None => Ok(Latest::Unchanged),
            Some(offered) => Ok(Latest::Offered(offered)),
        }
    }

    /// Snapshot `sequence`.
    pub async fn snapshot(&self, sequence: u64) -> Result<Offered, FetchFailure> {
        let url = format!("{}/{sequence}", self.snapshots_url);
        self.get(&url, None).await?.ok_or(FetchFailure::Status { url, status: StatusCode::NOT_MODIFIED.as_u16() })
    }

    /// `GET url`: `None` on 304, the body and JWS on 200.
    async fn get(&self, url: &str, etag: Option<&str>) -> Result<Option<Offered>, FetchFailure> {
        let exchange = async {
            let unreachable = |why: String| FetchFailure::Unreachable { url: url.to_owned(), why };
            let mut request = Request::get(url);
            if let Some(etag) = etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            let request = request.body(Empty::new()).map_err(|error| unreachable(error.to_string()))?;
            let response = self.client.request(request).await.map_err(|error| unreachable(error.to_string()))?;
            let status = response.status();
            if status == StatusCode::NOT_MODIFIED && etag.is_some() {
                return Ok(None);
            }
            if status != StatusCode::OK {
                return Err(FetchFailure::Status { url: url.to_owned(), status: status.as_u16() });
            }
            let too_large = || FetchFailure::TooLarge { url: url.to_owned(), limit: self.max_bytes };
            let headers = response.headers();
            let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|length| length > self.max_bytes as u64) {
                return Err(too_large());
            }
            let jws = headers.get(SNAPSHOT_JWS_HEADER).and_then(|value| value.to_str().ok()).map(str::trim);
            let jws = jws.filter(|jws| !jws.is_empty()).map(str::to_owned);
            let jws = jws.ok_or_else(|| FetchFailure::MissingSignature { url: url.to_owned() })?;
            let body = Limited::new(response.into_body(), self.max_bytes).collect().await.map_err(|error| {
                if error.is::<LengthLimitError>() {
                    too_large()
                } else {
                    unreachable(error.to_string())
                }
            })?;
            Ok(Some(Offered { bytes: body.to_bytes().to_vec(), jws }))
        };
        tokio::time::timeout(self.timeout, exchange).await.unwrap_or_else(|_| {
            Err(FetchFailure::Timeout { url: url.to_owned(), timeout_ms: self.timeout.as_millis() })
        })
    }
}
