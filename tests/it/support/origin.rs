//! A local HTTPS origin for hermetic did:web tests, load scripts and registry tests.
//!
//! [`TestCa`] is an rcgen certificate authority (write its PEM and point `web.extra_ca_file` at it); an [`Origin`]
//! listens on 127.0.0.1 with a leaf certificate for `issuer.test`, `*.issuer.test`, `other.test` and `localhost`,
//! speaks HTTP/1.1 and HTTP/2 (ALPN), and answers each path with a configurable [`Reply`], optionally after a
//! delay. It counts requests, connections, HTTP/2 requests and 304s. It binds loopback only and never touches the
//! internet; it is test code, so setup failures panic.

// Each test crate that includes this module uses a different subset of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Names every origin's certificate is valid for.
pub const ORIGIN_NAMES: [&str; 4] = ["issuer.test", "*.issuer.test", "other.test", "localhost"];

/// A throw-away certificate authority.
pub struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

impl TestCa {
    /// A new CA with a fresh key.
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        // Distinct subject names for the CA and the leaf: with rcgen's shared default name, OpenSSL-based clients
        // (Node.js, curl) take the leaf for a self-signed certificate and never look for its issuer.
        params.distinguished_name = common_name("trustnode test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa { cert, key }
    }

    /// The CA certificate as PEM.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// Writes the PEM to `<dir>/test-ca.pem` and returns the path (for `web.extra_ca_file`).
    pub fn write_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join("test-ca.pem");
        std::fs::write(&path, self.pem()).expect("write CA PEM");
        path
    }

    /// A server configuration with a fresh leaf certificate for [`ORIGIN_NAMES`], offering HTTP/2 and HTTP/1.1.
    pub fn server_config(&self) -> rustls::ServerConfig {
        let mut params = CertificateParams::new(ORIGIN_NAMES.map(String::from).to_vec()).expect("leaf params");
        params.distinguished_name = common_name("trustnode test origin");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("leaf key");
        let leaf = params.signed_by(&key, &self.cert, &self.key).expect("leaf certificate");
        let chain = vec![leaf.der().clone(), CertificateDer::from(self.cert.der().to_vec())];
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .expect("server certificate");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }
}

fn common_name(name: &str) -> DistinguishedName {
    let mut distinguished_name = DistinguishedName::new();
    distinguished_name.push(DnType::CommonName, name);
    distinguished_name
}

/// What the origin answers at a path.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body and extra headers. If the request's `If-None-Match` equals the `etag` header given here,
    /// a 304 with the same headers and no body is sent instead.
    Document {
        /// The response body.
        body: String,
        /// Extra headers, e.g. `("cache-control", "max-age=60")`.
        headers: Vec<(String, String)>,
    },
    /// A bodiless answer with this status (404, 410, 500, 503, …).
    Status(u16),
    /// A redirect to `location` with this status.
    Redirect {
        /// 301, 302, 307 or 308.
        status: u16,
        /// The `Location` header.
        location: String,
    },
    /// A body of `bytes` spaces; with `declared` a `Content-Length`, without it chunked. `usize::MAX` never ends.
    Oversized {
        /// Body length.
        bytes: usize,
        /// Whether the length is announced.
        declared: bool,
    },
    /// Close the connection without an answer.
    Drop,
}

impl Reply {
    /// A 200 JSON document without extra headers.
    pub fn json(document: &serde_json::Value) -> Reply {
        Reply::Document { body: document.to_string(), headers: Vec::new() }
    }

    /// A 200 JSON document with extra headers.
    pub fn json_with(document: &serde_json::Value, headers: &[(&str, &str)]) -> Reply {
        let headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        Reply::Document { body: document.to_string(), headers }
    }
}

#[derive(Debug, Clone)]
struct Route {
    reply: Reply,
    delay: Duration,
}

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Route>>,
    requests_by_path: Mutex<HashMap<String, usize>>,
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: AtomicUsize,
    h2_requests: AtomicUsize,
    not_modified: AtomicUsize,
    down: AtomicBool,
}

/// A running origin; stops (listener and connections) when dropped.
pub struct Origin {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
}

impl Origin {
    /// Starts an origin on a free loopback port.
    pub async fn start(ca: &TestCa) -> Origin {
        Origin::start_on(ca, 0).await
    }

    /// Starts an origin on `port` (0: any free port), e.g. to bring a stopped origin back on the same port.
    pub async fn start_on(ca: &TestCa, port: u16) -> Origin {
        Origin::listen(Some(TlsAcceptor::from(Arc::new(ca.server_config()))), port).await
    }

    /// Starts an origin speaking plain HTTP on `port`, for peers that fetch `localhost` without TLS.
    pub async fn start_plain_on(port: u16) -> Origin {
        Origin::listen(None, port).await
    }

    async fn listen(acceptor: Option<TlsAcceptor>, port: u16) -> Origin {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind origin");
        let addr = listener.local_addr().expect("origin address");
        let state = Arc::new(State::default());
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, acceptor, Arc::clone(&state), stopped));
        Origin { addr, state, stop }
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Answers `path` with `reply`.
    pub fn set(&self, path: &str, reply: Reply) {
        self.set_slow(path, reply, Duration::ZERO);
    }

    /// Answers `path` with `reply` after `delay`.
    pub fn set_slow(&self, path: &str, reply: Reply, delay: Duration) {
        lock(&self.state.routes).insert(path.to_owned(), Route { reply, delay });
    }

    /// While down, every request (also on open keep-alive connections) gets its connection dropped.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Requests received, all paths.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The most requests the origin was answering at one time.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Requests received for `path`.
    pub fn requests_to(&self, path: &str) -> usize {
        lock(&self.state.requests_by_path).get(path).copied().unwrap_or(0)
    }

    /// TLS connections accepted.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Requests that arrived over HTTP/2.
    pub fn h2_requests(&self) -> usize {
        self.state.h2_requests.load(Ordering::SeqCst)
    }

    /// 304 answers sent.
    pub fn not_modified(&self) -> usize {
        self.state.not_modified.load(Ordering::SeqCst)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted { Ok(pair) => pair, Err(_) => continue },
            _ = stopped.changed() => return,
        };
        let (acceptor, state, mut stopped) = (acceptor.clone(), Arc::clone(&state), stopped.clone());
        tokio::spawn(async move {
            let Some(acceptor) = acceptor else { return serve_connection(tcp, state, &mut stopped).await };
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            serve_connection(tls, state, &mut stopped).await;
        });
    }
}

async fn serve_connection<S>(stream: S, state: Arc<State>, stopped: &mut watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    state.connections.fetch_add(1, Ordering::SeqCst);
    let service = hyper::service::service_fn(move |request| answer(Arc::clone(&state), request));
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = stopped.changed() => {}
    }
}

type ReplyBody = BoxBody<Bytes, Infallible>;

/// Dropping the connection is done by failing the service, which makes hyper close it (HTTP/1) or reset the
/// stream (HTTP/2).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

/// One request being answered, counted until it is answered or the client gives up on it.
struct InFlight(Arc<State>);

impl InFlight {
    fn start(state: &Arc<State>) -> InFlight {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(state))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn answer(state: Arc<State>, request: Request<Incoming>) -> Result<Response<ReplyBody>, Dropped> {
    let path = request.uri().path().to_owned();
    state.requests.fetch_add(1, Ordering::SeqCst);
    let _answering = InFlight::start(&state);
    *lock(&state.requests_by_path).entry(path.clone()).or_default() += 1;
    if request.version() == Version::HTTP_2 {
        state.h2_requests.fetch_add(1, Ordering::SeqCst);
    }
    if state.down.load(Ordering::SeqCst) {
        return Err(Dropped);
    }
    let route = lock(&state.routes).get(&path).cloned();
    let Some(Route { reply, delay }) = route else { return Ok(status(404)) };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Ok(match reply {
        Reply::Document { body, headers } => {
            let etag = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("etag")).map(|(_, v)| v.as_str());
            let if_none_match = request.headers().get("if-none-match").and_then(|v| v.to_str().ok());
            let revalidated = etag.is_some() && etag == if_none_match;
            let mut response = if revalidated {
                state.not_modified.fetch_add(1, Ordering::SeqCst);
                status(304)
            } else {
                let mut response = Response::new(Full::new(Bytes::from(body)).boxed());
                response.headers_mut().insert("content-type", "application/did+json".parse().expect("header"));
                response
            };
            for (name, value) in &headers {
                let name = hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("header name");
                response.headers_mut().insert(name, value.parse().expect("header value"));
            }
            response
        }
        Reply::Status(code) => status(code),
        Reply::Redirect { status: code, location } => {
            let mut response = status(code);
            response.headers_mut().insert("location", location.parse().expect("location"));
            response
        }
        Reply::Oversized { bytes, declared } => {
            let mut response = Response::new(Spaces { remaining: bytes }.boxed());
            if declared {
                response.headers_mut().insert("content-length", bytes.into());
            }
            response
        }
        Reply::Drop => return Err(Dropped),
    })
}

fn status(code: u16) -> Response<ReplyBody> {
    let mut response = Response::new(Full::new(Bytes::new()).boxed());
    *response.status_mut() = StatusCode::from_u16(code).expect("status code");
    response
}

/// A body of spaces produced 16 KiB at a time, so huge or endless bodies cost the origin no memory.
struct Spaces {
    remaining: usize,
}

impl Body for Spaces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let chunk = self.remaining.min(16 * 1024);
        self.remaining -= chunk;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b' '; chunk])))))
    }
}
