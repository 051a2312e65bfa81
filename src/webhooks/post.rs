//! One webhook delivery attempt over HTTP: a POST of the event's bytes with its headers, bounded by one timeout,
//! through the did:web connector (the SSRF guard on every resolved address and on the connected peer, the `[web]`
//! TLS roots and host pins) for `https://` subscribers, or a plain connector for the `http://` ones a lab
//! configuration admits. Redirects are not followed: a 3xx is a refusal like any other non-2xx answer. Of the
//! answer only the status counts; at most [`MAX_ANSWER_BYTES`] of its body are read, so that the connection can be
//! reused, and nothing of it is kept.
//!
//! This module decides nothing about retries or order: it reports what happened as an [`AttemptFailure`].

use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};
use hyper::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use trustnode_resolver::web::connect::{tls_config, ConnectError, GuardedConnector};
use trustnode_resolver::web::settings::WebConfig;

/// The most of an answer's body read before the connection is given up instead of reused.
pub(crate) const MAX_ANSWER_BYTES: usize = 4096;

/// Why an attempt did not count as delivered. [`AttemptFailure::outcome`] is its metrics label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AttemptFailure {
    /// The receiver answered, but not 2xx.
    #[error("the receiver answered HTTP {0}")]
    Rejected(u16),
    /// No complete answer within the timeout.
    #[error("no answer within {0} ms")]
    Timeout(u128),
    /// The SSRF guard refused the receiver's address (or the host is an IP literal).
    #[error("{0}")]
    Refused(String),
    /// The TLS handshake or the certificate was refused.
    #[error("{0}")]
    Tls(String),
    /// No connection, or it broke before an answer (DNS, TCP, a reset).
    #[error("{0}")]
    Unreachable(String),
}

impl AttemptFailure {
    /// The outcome label of `trustnode_webhook_deliveries_total`.
    pub fn outcome(&self) -> &'static str {
        match self {
            AttemptFailure::Rejected(_) => "rejected",
            AttemptFailure::Timeout(_) => "timeout",
            AttemptFailure::Refused(_) => "refused",
            AttemptFailure::Tls(_) => "tls",
            AttemptFailure::Unreachable(_) => "unreachable",
        }
    }
}

/// The clients every subscriber shares (hyper pools connections per receiver origin).
#[derive(Debug, Clone)]
pub(crate) struct Poster {
    https: Client<GuardedConnector, Full<Bytes>>,
    http: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl Poster {
    /// Clients for the `[web]` settings, each attempt bounded by `timeout` (connecting within
    /// `web.connect_timeout_ms` of it).
    pub fn new(web: &WebConfig, timeout: Duration) -> Result<Poster, String> {
        let connect_timeout = Duration::from_millis(web.connect_timeout_ms);
        let tls = tls_config(&web.extra_ca_file)?;
        let guarded =
            GuardedConnector::new(tls, web.host_overrides.clone(), web.allow_private_addresses, connect_timeout)
                .map_err(|error| error.to_string())?;
        let mut plain = HttpConnector::new();
        plain.set_connect_timeout(Some(connect_timeout));
        let builder = Client::builder(TokioExecutor::new());
        Ok(Poster { https: builder.build(guarded), http: builder.build(plain), timeout })
    }

    /// POSTs `body` with `headers` to `url` (an absolute http(s) URL the configuration checked).
    pub async fn post(&self, url: &str, headers: &[(&'static str, String)], body: Bytes) -> Result<(), AttemptFailure> {
        let exchange = async {
            let mut request = Request::post(url)
                .header(CONTENT_TYPE, "application/json")
                .header(USER_AGENT, concat!("trustnode/", env!("CARGO_PKG_VERSION")));
            for (name, value) in headers {
                let value =
                    HeaderValue::from_str(value).map_err(|error| AttemptFailure::Unreachable(error.to_string()))?;
                request = request.header(HeaderName::from_static(name), value);
            }
            let request =
                request.body(Full::new(body)).map_err(|error| AttemptFailure::Unreachable(error.to_string()))?;
            let answer = match url.starts_with("https://") {
                true => self.https.request(request).await,
                false => self.http.request(request).await,
            };
            let answer = answer.map_err(|error| not_answered(&error))?;
            let status = answer.status();
            if !status.is_success() {
                return Err(AttemptFailure::Rejected(status.as_u16()));
            }
            // Read a little so the connection can serve the next event; a longer body only costs the connection.
            let _ = Limited::new(answer.into_body(), MAX_ANSWER_BYTES).collect().await;
            Ok(())
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(AttemptFailure::Timeout(self.timeout.as_millis())))
    }
}

/// The failure of a request that got no answer: the guarded connector's verdict when it made one.
fn not_answered(error: &hyper_util::client::legacy::Error) -> AttemptFailure {
    match ConnectError::find_in(error) {
        Some(refused @ ConnectError::Refused { .. }) => AttemptFailure::Refused(refused.to_string()),
        Some(tls @ ConnectError::Tls { .. }) => AttemptFailure::Tls(tls.to_string()),
        Some(other) => AttemptFailure::Unreachable(other.to_string()),
        None => {
            let cause = std::error::Error::source(error).map(|cause| format!(": {cause}")).unwrap_or_default();
            AttemptFailure::Unreachable(format!("{error}{cause}"))
        }
    }
}
