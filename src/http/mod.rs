//! The HTTP edge: the router, request limits, and the server loop with graceful shutdown.
//!
//! Handlers are thin (parse, call the core, map the result). Every route gets the same [`guard`] (request ids,
//! metrics, CORS for browsers, a header-size limit answering 431, a concurrency cap and a per-request timeout
//! answering 503 instead of queueing or dropping connections) and a bounded body. The server loop bounds each
//! connection's wait for a request head (slowloris clients are cut off) and closes connections that stay idle.

pub mod admin;
pub mod admission;
pub mod batch;
pub mod credentials;
pub mod discovery;
pub mod explorer;
pub mod federation;
pub mod feed;
pub mod guard;
pub mod history;
pub mod identifiers;
pub mod idle;
pub mod microcache;
pub mod node_info;
pub mod openapi;
pub mod operator;
pub mod path_params;
pub mod problem;
pub mod registries;
pub mod request_id;
pub mod resolution_response;
pub mod tls;
pub mod trqp;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, delete, get, post, MethodRouter};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tower::{ServiceBuilder, ServiceExt};

use crate::node::NodeState;
use crate::telemetry::metrics::UNMATCHED_ROUTE;
use admission::{Class, ClientAddress};
use problem::{Problem, Refusal};

/// What every handler can reach: the node, the HTTP layer's own caches of rendered answers, its admission pools and
/// the metrics of TRQP batches.
#[derive(Debug)]
pub struct HttpState {
    /// The node's shared state.
    pub node: Arc<NodeState>,
    /// The admission pools: the guard takes each request's slot, and a batch handler the slots of its extra weight.
    pub(crate) pools: admission::Pools,
    /// TRQP batches decided at once: one per core.
    pub(crate) batch_workers: Arc<tokio::sync::Semaphore>,
    /// Rendered resolution answers reused within their second.
    pub answers: microcache::MicroCache<Arc<resolution_response::ResolutionResponse>>,
    /// TRQP answer bodies reused within their second, by endpoint and request body.
    pub trqp_answers: microcache::MicroCache<axum::body::Bytes>,
}

/// Every route the node serves: the path template, its admission class ([`admission`]) and its handlers. The
/// router, the metrics' route labels and the OpenAPI coverage test all read this one table; add new routes here (and
/// to `openapi.json`). Publishing reads its own body, up to `publishing.max_snapshot_bytes`
/// ([`registries::put_snapshot`]); every other body is received by the guard, up to `server.max_body_bytes`.
pub(crate) fn routes() -> Vec<(&'static str, Class, MethodRouter<Arc<HttpState>>)> {
    use Class::{Feed, Ordinary, Probe, Publish, Resolve, Verify};
    vec![
        ("/", Ordinary, get(explorer::page)),
        ("/explorer.js", Ordinary, get(explorer::script)),
        ("/explorer.css", Ordinary, get(explorer::style)),
        ("/1.0/identifiers", Ordinary, get(identifiers::empty).post(batch::resolve)),
        ("/1.0/identifiers/", Ordinary, get(identifiers::empty).post(identifiers::empty)),
        ("/1.0/identifiers/{*id}", Resolve, get(identifiers::get).post(identifiers::post)),
        ("/1.0/methods", Ordinary, get(discovery::methods)),
        ("/1.0/testIdentifiers", Ordinary, get(discovery::test_identifiers)),
        ("/1.0/traits", Ordinary, get(discovery::traits)),
        ("/1.0/properties", Ordinary, get(discovery::properties)),
        ("/1.0/cache", Ordinary, get(admin::cache_stats).delete(admin::purge_all)),
        ("/1.0/cache/{*did}", Ordinary, delete(admin::purge_one)),
        ("/1.0/history/{*did}", Resolve, get(history::get)),
        ("/healthz", Probe, get(discovery::healthz)),
        ("/readyz", Probe, get(operator::readyz)),
        ("/metrics", Probe, get(operator::metrics)),
        ("/openapi.json", Ordinary, get(openapi::document)),
        ("/registries", Ordinary, get(registries::list)),
        (
            "/registries/{authority_id}/snapshots/{sequence}",
            Publish,
            get(registries::get_snapshot).put(registries::put_snapshot),
        ),
        ("/registries/{authority_id}/status", Ordinary, get(registries::status)),
        ("/registries/{authority_id}/changes", Feed, get(feed::changes)),
        ("/registries/{authority_id}/entities", Ordinary, get(registries::list_entities)),
        ("/registries/{authority_id}/entities/{entity_id}", Ordinary, get(registries::get_entity)),
        ("/registries/{authority_id}/.well-known/openid-federation", Ordinary, get(federation::entity_configuration)),
        ("/registries/{authority_id}/federation/fetch", Ordinary, get(federation::fetch)),
        ("/registries/{authority_id}/federation/list", Ordinary, get(federation::list)),
        ("/registries/{authority_id}/registry.json", Ordinary, get(federation::legacy)),
        ("/authorization", Ordinary, post(trqp::authorization)),
        ("/recognition", Ordinary, post(trqp::recognition)),
        ("/authorization/batch", Ordinary, post(trqp::authorization_batch)),
        ("/recognition/batch", Ordinary, post(trqp::recognition_batch)),
        ("/metadata", Ordinary, get(trqp::metadata)),
        ("/credentials/verify", Verify, post(credentials::verify_credential)),
        ("/presentations/verify", Verify, post(credentials::verify_presentation)),
        ("/.well-known/did.json", Ordinary, get(node_info::did_document)),
        ("/node", Ordinary, get(node_info::node)),
    ]
}

/// The path templates of [`routes`].
pub fn route_templates() -> Vec<&'static str> {
    routes().into_iter().map(|(template, _, _)| template).collect()
}

/// The node's router with every route and limit in place.
pub fn router(node: Arc<NodeState>) -> Router {
    let state = Arc::new(HttpState {
        answers: microcache::MicroCache::new(node.config.resolver.answer_slots),
        trqp_answers: microcache::MicroCache::new(node.config.trqp.answer_slots),
        pools: admission::Pools::new(&node.config),
        batch_workers: Arc::new(tokio::sync::Semaphore::new(crate::node::cores())),
        node,
    });
    let server = &state.node.config.server;
    // Every route gets the guard as one layer of its own: it then knows the route's template without matching again.
    let guard = guard::Guard::new(state.clone());
    let stack = |template: &'static str, class: Class| {
        ServiceBuilder::new().layer(guard.layer(template, class)).layer(DefaultBodyLimit::max(server.max_body_bytes))
    };
    routes()
        .into_iter()
        .fold(Router::new(), |router, (template, class, handlers)| {
            router.route(template, handlers.fallback(method_not_allowed).layer(stack(template, class)))
        })
        .fallback_service(any(not_found).layer(stack(UNMATCHED_ROUTE, Class::Ordinary)))
        .with_state(state)
}

async fn not_found() -> Problem {
    Refusal::NoSuchRoute.into()
}

async fn method_not_allowed() -> Problem {
    Refusal::MethodNotAllowed.into()
}

/// How the server treats connections, from `[server]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long in-flight requests get to finish once shutdown starts (`shutdown_grace_s`).
    pub shutdown_grace: Duration,
    /// How long a client may take to send a request head, and the longest an HTTP/1 keep-alive connection may sit
    /// idle between requests (`header_read_timeout_ms`).
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with no request in progress (`idle_timeout_s`).
    pub idle_timeout: Duration,
    /// The largest request head hyper buffers (HTTP/1.1) or header list it accepts (HTTP/2); beyond it hyper
    /// answers 431 without a body.
    pub head_buffer_bytes: usize,
}

/// hyper refuses to buffer less than this (it panics on a smaller HTTP/1.1 buffer limit).
const HYPER_MIN_HEAD_BUFFER: usize = 8192;

impl ConnectionLimits {
    /// The limits configured in `[server]`.
    pub fn from_config(server: &crate::config::ServerConfig) -> ConnectionLimits {
        ConnectionLimits {
            shutdown_grace: Duration::from_secs(server.shutdown_grace_s),
            header_read_timeout: Duration::from_millis(server.header_read_timeout_ms),
            idle_timeout: Duration::from_secs(server.idle_timeout_s),
            head_buffer_bytes: head_buffer_bytes(server),
        }
    }
}

/// hyper's head limit: twice what our own limits let through (a request target of `max_identifier_bytes`, each
/// byte possibly percent-encoded, and `max_header_bytes` of header fields), so a head that exceeds ours by up to as
/// much again still reaches the router and gets a problem answer instead of hyper's bare 431.
fn head_buffer_bytes(server: &crate::config::ServerConfig) -> usize {
    let ours = server.max_header_bytes.saturating_add(server.max_identifier_bytes.saturating_mul(3));
    ours.saturating_mul(2).max(HYPER_MIN_HEAD_BUFFER)
}

/// Serves `router` on `listener` (a `tokio::net::TcpListener`, or a [`tls::TlsListener`]) until `shutdown`
/// completes, then lets in-flight requests finish for up to `limits.shutdown_grace` before returning.
///
/// Every connection speaks HTTP/1.1 or HTTP/2 (detected from its first bytes). A client that sends no complete
/// request head within `limits.header_read_timeout` (silent, or trickling a slowloris) is disconnected, and one with
/// no request in progress for `limits.idle_timeout` is shut down gracefully.
pub async fn serve<L>(
    mut listener: L,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ConnectionLimits,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.head_buffer_bytes);
    builder.http2().max_header_list_size(u32::try_from(limits.head_buffer_bytes).unwrap_or(u32::MAX));
    // Each connection task holds a receiver of `stopping` (told to finish) and of `open` (dropped when done).
    let (stopping, stop_requested) = watch::channel(());
    let (open, connection_done) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let io = TokioIo::new(FirstBytesDeadline::new(io, limits.header_read_timeout));
        let idle = idle::IdleWatch::new(limits.idle_timeout);
        // Admission counts slow work per client address (`admission`), so each request carries its connection's.
        let client = ClientAddress(peer.ip());
        let router = router.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(client);
            request
        });
        let service = TowerToHyperService::new(idle.track(router));
        let (builder, mut stop_requested, done) = (builder.clone(), stop_requested.clone(), connection_done.clone());
        tokio::spawn(async move {
            let connection = builder.serve_connection_with_upgrades(io, service);
            tokio::pin!(connection);
            let finished = tokio::select! {
                _ = connection.as_mut() => true,
                _ = stop_requested.changed() => false,
                () = idle.expired() => false,
            };
            if !finished {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
            drop(done);
        });
    }
    drop(listener);
    drop(connection_done);
    let _ = stopping.send(());
    if tokio::time::timeout(limits.shutdown_grace, open.closed()).await.is_err() {
        tracing::warn!(
            grace_s = limits.shutdown_grace.as_secs(),
            "in-flight requests did not finish within the grace period"
        );
    }
    Ok(())
}

/// HTTP/2's connection preface. Until the first bytes either complete it or differ from it, the server is still
/// telling HTTP/1 from HTTP/2, and hyper's own header timer has not started.
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A connection whose protocol must become known before a deadline: its first bytes must complete or contradict the
/// HTTP/2 preface in time. That covers the protocol detection, which hyper's header timeout does not, so a client
/// that connects and stays silent, or trickles a preface, is disconnected like any other slow client.
struct FirstBytesDeadline<I> {
    io: I,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    preface_matched: usize,
}

impl<I> FirstBytesDeadline<I> {
    fn new(io: I, timeout: Duration) -> FirstBytesDeadline<I> {
        FirstBytesDeadline { io, deadline: Some(Box::pin(tokio::time::sleep(timeout))), preface_matched: 0 }
    }

    /// Follows the preface through `read`; disarms the deadline once the protocol is known or the peer closed.
    fn observe(&mut self, read: &[u8]) {
        let expected = HTTP2_PREFACE.get(self.preface_matched..).unwrap_or_default();
        let matching = read.iter().zip(expected).take_while(|(got, want)| got == want).count();
        self.preface_matched += matching;
        let decided =
            read.is_empty() || matching < read.len().min(expected.len()) || self.preface_matched == HTTP2_PREFACE.len();
        if decided {
            self.deadline = None;
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for FirstBytesDeadline<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if self.deadline.is_some() {
                    let read = buf.filled().get(before..).unwrap_or_default();
                    self.observe(read);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => match self.deadline.as_mut().map(|deadline| deadline.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client sent no request head within the header read timeout",
                ))),
                _ => Poll::Pending,
            },
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for FirstBytesDeadline<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
