//! Fetching a registry's snapshots from an upstream node: the latest one with a conditional request, or one by
//! sequence, each as exact bytes plus the detached JWS from the `Registry-Snapshot-JWS` header; and pages of its
//! change feed (`/changes?since=…&wait=…`, a long-poll) as bytes.
//!
//! `https://` upstreams go through the did:web connector of trustnode-resolver (rustls with ring, the Mozilla roots
//! plus `mirroring.extra_ca_file`, the SSRF guard with `mirroring.allow_private_addresses` and
//! `mirroring.host_overrides`); plain `http://` ones, which the configuration admits only with
//! `mirroring.allow_http`, use hyper's connector. Bounded: one timeout covers connect, headers and body; the body is
//! cut off at a size limit; redirects are never followed (a 3xx is a failure), so nothing is fetched from another
//! origin. This module only moves bytes: it does not parse or verify them.

use std::error::Error as _;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_LENGTH, IF_NONE_MATCH};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::config::MirroringConfig;
use trustnode_registry::wire::{encode, SNAPSHOT_JWS_HEADER};
use trustnode_resolver::web::connect::{tls_config, ConnectError, GuardedConnector};

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
    /// The upstream's certificate or the TLS handshake was refused.
    #[error("{url}: {why}")]
    Tls {
        /// The URL fetched.
        url: String,
        /// What the handshake said.
        why: String,
    },
    /// The SSRF guard refused the upstream's address (or an IP-literal host).
    #[error("{url}: {why}")]
    Refused {
        /// The URL fetched.
        url: String,
        /// Which address was refused, and why.
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
            FetchFailure::Tls { .. } => "tls",
            FetchFailure::Refused { .. } => "refused",
            FetchFailure::Timeout { .. } => "timeout",
            FetchFailure::Status { .. } => "upstream-status",
            FetchFailure::TooLarge { .. } => "too-large",
            FetchFailure::MissingSignature { .. } => "missing-signature",
        }
    }
}

/// Why the mirrors' HTTPS client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    /// `mirroring.extra_ca_file` is unreadable or holds no usable certificate, or TLS could not be configured.
    #[error("mirroring TLS setup failed: {0}")]
    Tls(String),
    /// hickory could not build a resolver.
    #[error("mirroring DNS setup failed: {0}")]
    Dns(String),
}

/// The clients every mirror shares: HTTPS through the guarded connector, plain HTTP for `http://` upstreams.
#[derive(Debug, Clone)]
pub(crate) struct Clients {
    https: Client<GuardedConnector, Empty<Bytes>>,
    http: Client<HttpConnector, Empty<Bytes>>,
}

impl Clients {
    /// Clients for the `[mirroring]` settings; `timeout` bounds connect plus TLS handshake.
    pub fn new(config: &MirroringConfig, timeout: Duration) -> Result<Clients, ClientSetupError> {
        let tls = tls_config(&config.extra_ca_file).map_err(ClientSetupError::Tls)?;
        let guarded =
            GuardedConnector::new(tls, config.host_overrides.clone(), config.allow_private_addresses, timeout)
                .map_err(|error| ClientSetupError::Dns(error.to_string()))?;
        let mut plain = HttpConnector::new();
        plain.set_connect_timeout(Some(timeout));
        let builder = Client::builder(TokioExecutor::new());
        Ok(Clients { https: builder.build(guarded), http: builder.build(plain) })
    }
}

/// The client one upstream is reached with, chosen by its URL's scheme.
#[derive(Debug, Clone)]
enum Transport {
    Https(Client<GuardedConnector, Empty<Bytes>>),
    Http(Client<HttpConnector, Empty<Bytes>>),
}

/// One registry's snapshots and change feed on one upstream node.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    snapshots_url: String,
    changes_url: String,
    transport: Transport,
    timeout: Duration,
    max_bytes: usize,
}

impl Upstream {
    /// The snapshots of `authority_id` on the node at `base` (`https://host[:port]`, or `http://` as the
    /// configuration allows), each fetch bounded by `timeout` and `max_bytes`.
    pub fn new(clients: &Clients, base: &str, authority_id: &str, timeout: Duration, max_bytes: usize) -> Upstream {
        let transport = match base.starts_with("https://") {
            true => Transport::Https(clients.https.clone()),
            false => Transport::Http(clients.http.clone()),
        };
        let registry_url = format!("{}/registries/{}", base.trim_end_matches('/'), encode(authority_id));
        let (snapshots_url, changes_url) = (format!("{registry_url}/snapshots"), format!("{registry_url}/changes"));
        Upstream { snapshots_url, changes_url, transport, timeout, max_bytes }
    }

    /// The upstream's latest snapshot, or [`Latest::Unchanged`] when its ETag is `etag` (the served digest, quoted).
    pub async fn latest(&self, etag: Option<&str>) -> Result<Latest, FetchFailure> {
        let url = format!("{}/latest", self.snapshots_url);
        match self.get(&url, etag, self.timeout).await? {
            None => Ok(Latest::Unchanged),
            Some((bytes, jws)) => Ok(Latest::Offered(signed(&url, bytes, jws)?)),
        }
    }

    /// Snapshot `sequence`.
    pub async fn snapshot(&self, sequence: u64) -> Result<Offered, FetchFailure> {
        let url = format!("{}/{sequence}", self.snapshots_url);
        match self.get(&url, None, self.timeout).await? {
            Some((bytes, jws)) => signed(&url, bytes, jws),
            None => Err(FetchFailure::Status { url, status: StatusCode::NOT_MODIFIED.as_u16() }),
        }
    }

    /// The body of the feed page after `since`, held by the upstream up to `wait` seconds when it has nothing newer
    /// (the timeout is stretched by as much). Unparsed: a 404 is an upstream without a feed, for the caller to judge.
    pub async fn changes(&self, since: u64, wait: u64) -> Result<Vec<u8>, FetchFailure> {
        let url = format!("{}?since={since}&wait={wait}", self.changes_url);
        let timeout = self.timeout + Duration::from_secs(wait);
        let answer = self.get(&url, None, timeout).await?;
        answer.map(|(bytes, _)| bytes).ok_or(FetchFailure::Status { url, status: StatusCode::NOT_MODIFIED.as_u16() })
    }

    /// `GET url` within `timeout`: `None` on 304, the body and the detached JWS header (if any) on 200.
    async fn get(
        &self,
        url: &str,
        etag: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, FetchFailure> {
        let exchange = async {
            let unreachable = |why: String| FetchFailure::Unreachable { url: url.to_owned(), why };
            let mut request = Request::get(url);
            if let Some(etag) = etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            let request = request.body(Empty::new()).map_err(|error| unreachable(error.to_string()))?;
            let response = match &self.transport {
                Transport::Https(client) => client.request(request).await,
                Transport::Http(client) => client.request(request).await,
            };
            let response = response.map_err(|error| not_connected(url, &error))?;
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
            let body = Limited::new(response.into_body(), self.max_bytes).collect().await.map_err(|error| {
                if error.is::<LengthLimitError>() {
                    too_large()
                } else {
                    unreachable(error.to_string())
                }
            })?;
            Ok(Some((body.to_bytes().to_vec(), jws)))
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(FetchFailure::Timeout { url: url.to_owned(), timeout_ms: timeout.as_millis() }))
    }
}

/// A snapshot answer, which must carry its detached JWS.
fn signed(url: &str, bytes: Vec<u8>, jws: Option<String>) -> Result<Offered, FetchFailure> {
    let jws = jws.ok_or_else(|| FetchFailure::MissingSignature { url: url.to_owned() })?;
    Ok(Offered { bytes, jws })
}

/// The failure for a request that got no response: the guarded connector's verdict when it made one (TLS, SSRF
/// guard), else the client's error with its cause.
fn not_connected(url: &str, error: &hyper_util::client::legacy::Error) -> FetchFailure {
    let url = url.to_owned();
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(connect) = cause.downcast_ref::<ConnectError>() {
            let why = connect.to_string();
            return match connect {
                ConnectError::Tls { .. } => FetchFailure::Tls { url, why },
                ConnectError::Refused { .. } => FetchFailure::Refused { url, why },
                _ => FetchFailure::Unreachable { url, why },
            };
        }
        source = cause.source();
    }
    let why = match error.source() {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    };
    FetchFailure::Unreachable { url, why }
}
