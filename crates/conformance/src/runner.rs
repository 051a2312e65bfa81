//! The HTTP edge of the conformance kit: sends each check's request to the endpoint under test and judges the
//! answer, politely (a concurrency limit, a rate limit, a timeout per request, no redirects followed, no request
//! outside the given base URL) and with progress on stderr when it is a terminal.
//!
//! Only this module performs I/O. It knows nothing about what a check means: that lives in the check definitions.

use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Semaphore};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::registry::{self, NodeFacts, RegistryPlan};
use super::{Check, CheckReply, CheckRequest, CheckResult, Outcome, Report};
use trustnode_did::error::ErrorCode;
use trustnode_registry::snapshot::CanonicalSnapshot;
use trustnode_resolver::Resolver;

/// The largest answer body read; anything longer is cut off and fails its check.
const MAX_BODY_BYTES: usize = 1 << 20;

/// Where and how politely to run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// The endpoint's base URL, `http://` or `https://` (e.g. `https://resolver.example`).
    pub base_url: String,
    /// The identifiers path under the base, e.g. `/1.0/identifiers`.
    pub identifiers_path: String,
    /// At most this many requests in flight.
    pub concurrency: usize,
    /// At most this many requests started per second.
    pub rate_per_second: u32,
    /// The time allowed for one request, answer body included.
    pub timeout: Duration,
    /// Show progress on stderr (only honoured when stderr is a terminal).
    pub progress: bool,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The base URL is not an absolute http(s) URL without query or fragment.
    #[error("base URL {0:?} must be an absolute http:// or https:// URL without query or fragment")]
    BadBaseUrl(String),
    /// The TLS client could not be configured.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The embedded vectors could not be read (a broken build).
    #[error(transparent)]
    Vectors(#[from] super::resolver::VectorError),
}

/// Runs the resolver suite for the selected DID `methods` against the endpoint in `settings` and names the
/// implementation `name` in the report.
pub async fn run_resolver(settings: RunSettings, methods: &[&str], name: &str) -> Result<Report, RunError> {
    let checks = super::resolver::checks(methods)?;
    let runner = Arc::new(Runner::new(settings)?);
    let claimed = runner.claimed_methods().await;
    Ok(runner.run("resolver", checks, claimed, name).await)
}

/// Runs the registry suite of `plan` against the TRQP endpoint at `settings.base_url` and names the implementation
/// `name`. When the target is a trustnode (its `GET /registries` answers, or `plan.trustnode`), the authority's
/// latest snapshot is fetched and its DID is resolved with `resolver` first, so the snapshot checks can be built.
pub async fn run_registry(
    settings: RunSettings,
    plan: &RegistryPlan,
    resolver: &Resolver,
    name: &str,
) -> Result<Report, RunError> {
    let runner = Arc::new(Runner::new(settings)?);
    let trustnode = plan.trustnode
        || runner
            .fetch(&CheckRequest::get("registries"))
            .await
            .is_ok_and(|answer| registry::is_trustnode_listing(&answer));
    let node = match trustnode {
        true => Some(runner.node_facts(&plan.authority_id, resolver).await),
        false => None,
    };
    let checks = registry::checks(plan, node.as_ref());
    Ok(runner.run(registry::SUITE, checks, None, name).await)
}

/// The runner: an HTTP(S) client bound to one endpoint.
pub(crate) struct Runner {
    settings: RunSettings,
    base: String,
    client: Client<Connector, Full<Bytes>>,
    pacing: Mutex<tokio::time::Interval>,
    slots: Semaphore,
}

impl Runner {
    /// A runner for `settings`. The base URL and the path are normalized (no trailing `/`).
    pub fn new(settings: RunSettings) -> Result<Runner, RunError> {
        let base = settings.base_url.trim_end_matches('/');
        let uri: Uri = base.parse().map_err(|_| RunError::BadBaseUrl(settings.base_url.clone()))?;
        let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
        if !scheme_ok || uri.host().is_none() || uri.query().is_some() || base.contains('#') {
            return Err(RunError::BadBaseUrl(settings.base_url.clone()));
        }
        let path = settings.identifiers_path.trim_matches('/');
        let base = if path.is_empty() { base.to_owned() } else { format!("{base}/{path}") };
        let tls = trustnode_resolver::web::connect::tls_config("").map_err(RunError::Tls)?;
        let connector = Connector { http: http_connector(settings.timeout), tls: TlsConnector::from(Arc::new(tls)) };
        // The legacy client never follows redirects: a 3xx is judged as the answer it is.
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let period = Duration::from_secs(1) / settings.rate_per_second.max(1);
        let mut pacing = tokio::time::interval(period);
        pacing.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let slots = Semaphore::new(settings.concurrency.max(1));
        Ok(Runner { settings, base, client, pacing: Mutex::new(pacing), slots })
    }

    /// The DID methods the endpoint claims in `/1.0/methods` (next to the identifiers path's parent), or `None`
    /// when it does not answer that with a JSON list of strings.
    pub(crate) async fn claimed_methods(&self) -> Option<Vec<String>> {
        let root = self.base.rsplit_once('/').map_or(self.base.as_str(), |(parent, _)| parent);
        let answer = self.send(&format!("{root}/methods"), &CheckRequest::get("")).await.ok()?;
        let list: Vec<String> = serde_json::from_slice(&answer.body).ok()?;
        (answer.status == 200).then_some(list)
    }

    /// Runs every check and returns the report of `suite`. Checks of methods outside `claimed` are not applicable
    /// without a request; a check whose method the endpoint answers METHOD_NOT_SUPPORTED for is not applicable
    /// either.
    pub async fn run(
        self: Arc<Self>,
        suite: &str,
        checks: Vec<Check>,
        claimed: Option<Vec<String>>,
        name: &str,
    ) -> Report {
        let started = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .ok()
            .and_then(|now| now.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        let total = checks.len();
        let done = Arc::new(AtomicUsize::new(0));
        let claimed = Arc::new(claimed);
        let mut tasks = tokio::task::JoinSet::new();
        for (index, check) in checks.into_iter().enumerate() {
            let (runner, claimed, done) = (Arc::clone(&self), Arc::clone(&claimed), Arc::clone(&done));
            tasks.spawn(async move {
                let result = runner.judge(check, claimed.as_ref().as_deref()).await;
                runner.progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                (index, result)
            });
        }
        let mut results: Vec<(usize, CheckResult)> = Vec::with_capacity(total);
        while let Some(joined) = tasks.join_next().await {
            if let Ok(result) = joined {
                results.push(result);
            }
        }
        results.sort_by_key(|(index, _)| *index);
        self.progress_done();
        Report {
            suite: suite.to_owned(),
            implementation: name.to_owned(),
            target: self.base.clone(),
            started,
            tool: format!("trustnode conformance {}", env!("CARGO_PKG_VERSION")),
            results: results.into_iter().map(|(_, result)| result).collect(),
        }
    }

    async fn judge(&self, check: Check, claimed: Option<&[String]>) -> CheckResult {
        let request = check.request.describe().replace("{base}", &self.base);
        let result = |outcome| CheckResult {
            id: check.id.clone(),
            title: check.title.clone(),
            clause: check.clause.to_owned(),
            request: request.clone(),
            outcome,
        };
        if let Some(reason) = &check.not_applicable {
            return result(Outcome::NotApplicable { reason: reason.clone() });
        }
        if let (Some(method), Some(claimed)) = (check.did_method, claimed) {
            if !claimed.iter().any(|listed| listed == method) {
                let reason = format!("the endpoint does not list \"{method}\" in /1.0/methods");
                return result(Outcome::NotApplicable { reason });
            }
        }
        let answer = match self.fetch(&check.request).await {
            Ok(answer) => answer,
            Err(problem) => {
                let expected = "an HTTP answer".to_owned();
                return result(Outcome::Fail { expected, observed: problem });
            }
        };
        match (check.verdict)(&answer) {
            Ok(()) => result(Outcome::Pass),
            Err(_) if check.did_method.is_some() && refuses_method(&answer) => {
                let reason = "the endpoint answers METHOD_NOT_SUPPORTED for this method".to_owned();
                result(Outcome::NotApplicable { reason })
            }
            Err(mismatch) => match check.inapplicable_when.as_ref().and_then(|inapplicable| inapplicable(&answer)) {
                Some(reason) => result(Outcome::NotApplicable { reason }),
                None => result(Outcome::Fail { expected: mismatch.expected, observed: mismatch.observed }),
            },
        }
    }

    /// The authority's latest snapshot on a trustnode, parsed off the async threads, and its DID document.
    async fn node_facts(&self, authority_id: &str, resolver: &Resolver) -> NodeFacts {
        let snapshot = match self.fetch(&registry::latest_snapshot_request(authority_id)).await {
            // A large snapshot takes seconds to parse: off the async threads.
            Ok(answer) if answer.status == 200 => {
                tokio::task::spawn_blocking(move || CanonicalSnapshot::parse(answer.body))
                    .await
                    .map_err(|join| join.to_string())
                    .and_then(|parsed| parsed.map(CanonicalSnapshot::into_content).map_err(|error| error.to_string()))
            }
            Ok(answer) => Err(super::resolver::describe(&answer)),
            Err(problem) => Err(problem),
        };
        let authority_document = resolver
            .document(authority_id)
            .await
            .map(|document| document.value().clone())
            .map_err(|error| error.to_string());
        NodeFacts { snapshot, authority_document }
    }

    /// Sends `request` under the base URL and reads the answer.
    pub async fn fetch(&self, request: &CheckRequest) -> Result<CheckReply, String> {
        self.send(&format!("{}/{}", self.base, request.target), request).await
    }

    /// One paced, bounded request of `url` (always under the base: callers only append to it) with the method,
    /// Accept header and body of `request`.
    async fn send(&self, url: &str, request: &CheckRequest) -> Result<CheckReply, String> {
        let _slot = self.slots.acquire().await.map_err(|error| error.to_string())?;
        self.pacing.lock().await.tick().await;
        let mut builder = match &request.json_body {
            Some(_) => hyper::Request::post(url).header(hyper::header::CONTENT_TYPE, "application/json"),
            None => hyper::Request::get(url),
        };
        if let Some(accept) = &request.accept {
            builder = builder.header(hyper::header::ACCEPT, accept);
        }
        let body = Full::new(Bytes::from(request.json_body.clone().unwrap_or_default()));
        let request = builder.body(body).map_err(|error| format!("cannot build the request: {error}"))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|error| describe_error(&error))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY_BYTES).collect().await.map_err(|error| error.to_string())?;
            let content_type = parts.headers.get(hyper::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
            let headers = parts
                .headers
                .iter()
                .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
                .collect();
            Ok(CheckReply {
                status: parts.status.as_u16(),
                content_type: content_type.map(str::to_owned),
                headers,
                body: body.to_bytes().to_vec(),
            })
        };
        let timeout = self.settings.timeout;
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| format!("no complete answer within {} ms", timeout.as_millis()))?
    }

    fn progress(&self, done: usize, total: usize) {
        if self.shows_progress() {
            eprint!("\rconformance: {done}/{total} checks");
            let _ = std::io::stderr().flush();
        }
    }

    fn progress_done(&self) {
        if self.shows_progress() {
            eprintln!();
        }
    }

    fn shows_progress(&self) -> bool {
        self.settings.progress && std::io::stderr().is_terminal()
    }
}

fn refuses_method(answer: &CheckReply) -> bool {
    answer.status == 501
        && serde_json::from_slice(&answer.body)
            .ok()
            .and_then(|body| super::resolver::error_code(&body))
            .is_some_and(|code| code == ErrorCode::MethodNotSupported)
}

/// A client error with its causes, which hyper keeps in the source chain.
fn describe_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn http_connector(timeout: Duration) -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(timeout));
    http.set_nodelay(true);
    http
}

/// Plain TCP for `http://`, TCP plus rustls (ring, webpki roots) for `https://`.
#[derive(Clone)]
struct Connector {
    http: HttpConnector,
    tls: TlsConnector,
}

/// A connection of either kind.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Stream::Tls(tls) if tls.get_ref().1.alpn_protocol() == Some(b"h2") => Connected::new().negotiated_h2(),
            _ => Connected::new(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower::Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let (mut http, tls) = (self.http.clone(), self.tls.clone());
        Box::pin(async move {
            let secure = uri.scheme_str() == Some("https");
            let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
            let tcp = http.call(uri).await?.into_inner();
            if !secure {
                return Ok(TokioIo::new(Stream::Plain(tcp)));
            }
            let name = ServerName::try_from(host)?;
            Ok(TokioIo::new(Stream::Tls(Box::new(tls.connect(name, tcp).await?))))
        })
    }
}
