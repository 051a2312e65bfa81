//! The guard around every route: one tower layer that does what the node does around every handler, outermost
//! first:
//!
//! 1. **Observation**: a request id (see [`super::request_id`]) on the response and in a span around the handler,
//!    the request and latency metrics, and the optional access log line (`server.access_log`). Everything below
//!    is inside it, so refusals are counted too.
//! 2. **CORS**, for browsers only: requests that carry `Origin`, and every `OPTIONS` (a preflight), go through
//!    tower-http's CORS layer (any origin, the node's methods, any header). Other clients (servers, wallets'
//!    native HTTP stacks, `curl`) never read CORS headers, so their answers only get the same `Vary`, which keeps a
//!    shared cache from handing a browser an answer made without them.
//! 3. **Admission**: a header section over `server.max_header_bytes` gets 431; the request then takes a slot of its
//!    class's pool ([`super::admission`]: probes, ordinary work, network-bound resolutions and publishes each have
//!    their own, and slow clients a per-address share), answered 503 `overloaded` or 429 at once when there is none
//!    (never queued). A request body (other than a publish's, which its handler reads after checking the request)
//!    is received first, within `server.body_read_timeout_ms` and `server.max_body_bytes`, holding an upload slot
//!    only while it is still arriving. A handler that runs past `server.request_timeout_ms` gets 503
//!    `request-timeout`. All are problem documents, inside CORS so a browser can read them.
//!
//! Why one hand-written layer instead of a stack of tower layers: measured with `wrk` on did:key, taking out the
//! layers it replaced (CORS on every request, error handling, load shedding, a concurrency limit and a timeout, each
//! with its own service and future) gave 12–15 % more throughput, and this layer keeps about 10 of it. The only
//! allocation per request without a body is the observer's future (and a timer for handlers that wait). Nothing
//! here does I/O but receiving request bodies.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tower::{Layer, Service, ServiceExt};
use tower_http::cors::{Any, CorsLayer};
use tracing::Instrument;

use super::admission::{content_length, receive, BodyBounds, Class, ClientAddress, Pool, Slot};
use super::problem::{Problem, Refusal};
use super::request_id::{acceptable_request_id, RequestIds, REQUEST_ID};
use super::HttpState;
use crate::config::AccessLog;
use crate::telemetry::metrics::RouteMetrics;
use trustnode_registry::wire::SNAPSHOT_JWS_HEADER;

/// The `Vary` tower-http's CORS layer puts on every answer; answers to other clients carry it too.
const CORS_VARY: HeaderValue =
    HeaderValue::from_static("origin, access-control-request-method, access-control-request-headers");

/// What the guards of all routes share: the node (configuration, metrics) with the admission pools, the request id
/// generator and the CORS policy.
#[derive(Debug)]
pub(crate) struct Guard {
    state: Arc<HttpState>,
    ids: RequestIds,
    cors: CorsLayer,
}

impl Guard {
    /// The guard for `state`'s node, with the limits of its `[server]` configuration.
    pub fn new(state: Arc<HttpState>) -> Arc<Guard> {
        let cors = CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::HEAD, Method::OPTIONS])
            .allow_headers(Any)
            .expose_headers([
                header::LOCATION,
                header::RETRY_AFTER,
                header::ETAG,
                header::HeaderName::from_static(SNAPSHOT_JWS_HEADER),
                REQUEST_ID.clone(),
            ]);
        Arc::new(Guard { state, ids: RequestIds::new(), cors })
    }

    /// The layer for the route with path template `template` (`metrics::UNMATCHED_ROUTE` for the fallback) and
    /// admission class `class`. Each route gets its own, so neither is looked up again per request.
    pub fn layer(self: &Arc<Self>, template: &'static str, class: Class) -> GuardLayer {
        GuardLayer { guard: self.clone(), route: self.state.node.metrics.route(template), template, class }
    }

    /// The pool a request of `class` on the route `template` takes.
    fn pool(&self, class: Class, template: &str, request: &Request) -> Pool {
        match class {
            Class::Probe => Pool::Probe,
            Class::Ordinary => Pool::Ordinary,
            Class::Publish if request.method() == Method::PUT => Pool::Publish,
            Class::Publish => Pool::Ordinary,
            Class::Verify => Pool::Fetch,
            Class::Resolve => {
                let prefix = template.split('{').next().unwrap_or_default();
                let method = request.uri().path().strip_prefix(prefix).and_then(did_method);
                match method {
                    Some(method) if self.state.node.resolver.fetches(method) => Pool::Fetch,
                    _ => Pool::Ordinary,
                }
            }
        }
    }
}

/// The method name of the DID at the start of `identifier` as it appears in a path (`did:web:…`, or
/// percent-encoded `did%3Aweb%3A…`); `None` when it does not start like a DID.
fn did_method(identifier: &str) -> Option<&str> {
    let rest = match identifier.strip_prefix("did:") {
        Some(rest) => rest,
        None => identifier.get(..6).filter(|start| start.eq_ignore_ascii_case("did%3a")).and(identifier.get(6..))?,
    };
    let end = rest.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit())).unwrap_or(rest.len());
    rest.get(..end).filter(|method| !method.is_empty())
}

/// The layer that guards one route; see [`Guard::layer`].
#[derive(Debug, Clone)]
pub(crate) struct GuardLayer {
    guard: Arc<Guard>,
    route: RouteMetrics,
    template: &'static str,
    class: Class,
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Guarded<S> {
        let admit = Admit { inner, guard: self.guard.clone(), template: self.template, class: self.class };
        Guarded { admit, layer: self.clone() }
    }
}

/// A route's service under its guard: see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Guarded<S> {
    /// The route behind admission. A browser's request is sent through a CORS service made for it: axum clones a
    /// route's service for every request, and a CORS service held here would copy the CORS policy for every client.
    admit: Admit<S>,
    layer: GuardLayer,
}

impl<S> Service<Request> for Guarded<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.admit.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let GuardLayer { guard, route, template, .. } = &self.layer;
        let (route, template, access_log) = (route.clone(), *template, guard.state.node.config.server.access_log);
        let request_id = match request.headers().get(&REQUEST_ID) {
            Some(incoming) if acceptable_request_id(incoming) => incoming.clone(),
            _ => guard.ids.next(),
        };
        // Only kept when a line may be written: the common case copies nothing.
        let request_line = (access_log != AccessLog::Off).then(|| (request.method().clone(), request.uri().clone()));
        let from_browser = request.headers().contains_key(header::ORIGIN) || request.method() == Method::OPTIONS;
        // The span carries the id into every log line written while the request is handled.
        let span = tracing::info_span!("request", request_id = request_id.to_str().unwrap_or_default());
        let handling = span.in_scope(|| match from_browser {
            true => Handling::Cors { future: guard.cors.layer(self.admit.clone()).oneshot(request) },
            false => Handling::Plain { future: self.admit.call(request) },
        });
        Box::pin(async move {
            let mut response = handling.instrument(span).await?;
            if !from_browser {
                response.headers_mut().append(header::VARY, CORS_VARY);
            }
            let elapsed = started.elapsed();
            let status = response.status();
            route.record(status.as_u16(), elapsed);
            let log = match access_log {
                AccessLog::Off => false,
                AccessLog::Errors => status.is_server_error(),
                AccessLog::All => true,
            };
            if let Some((method, uri)) = request_line.filter(|_| log) {
                tracing::info!(
                    target: "trustnode::access",
                    request_id = request_id.to_str().unwrap_or_default(),
                    method = %method,
                    route = template,
                    path = uri.path(),
                    status = status.as_u16(),
                    latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
                    "request"
                );
            }
            response.headers_mut().insert(REQUEST_ID.clone(), request_id);
            Ok(response)
        })
    }
}

pin_project! {
    /// A request on its way through CORS or past it.
    #[project = HandlingProjection]
    enum Handling<C, P> {
        Cors { #[pin] future: C },
        Plain { #[pin] future: P },
    }
}

impl<C, P> Future for Handling<C, P>
where
    C: Future<Output = Result<Response, Infallible>>,
    P: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            HandlingProjection::Cors { future } => future.poll(cx),
            HandlingProjection::Plain { future } => future.poll(cx),
        }
    }
}

/// A route's service behind admission control: the header-size limit, the pools, the body read and the timeout.
#[derive(Debug, Clone)]
pub(crate) struct Admit<S> {
    inner: S,
    guard: Arc<Guard>,
    template: &'static str,
    class: Class,
}

impl<S> Service<Request> for Admit<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Admission<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Admission<S::Future> {
        let guard = &self.guard;
        let server = &guard.state.node.config.server;
        if let Some(refusal) = headers_too_large(request.headers(), server.max_header_bytes) {
            return Admission::Refused { refusal: Some(refusal) };
        }
        let client_of = |request: &Request| request.extensions().get::<ClientAddress>().copied();
        let pool = guard.pool(self.class, self.template, &request);
        // A publish's handler reads its own body, after refusing what it can without it.
        if pool != Pool::Publish && !request.body().is_end_stream() {
            let client = client_of(&request);
            let receiving = receive_then_handle(guard.clone(), self.inner.clone(), request, pool, client);
            return Admission::Receiving { future: Box::pin(receiving) };
        }
        // Only the pools a client holds a share of need to know who asks: ordinary work skips the lookup.
        let client = if pool.per_client() { client_of(&request) } else { None };
        // A slot is taken now or never: a node at its limit answers at once instead of queueing the request.
        match guard.state.pools.enter(pool, client) {
            Ok(slot) => {
                let deadline = Instant::now() + Duration::from_millis(server.request_timeout_ms);
                Admission::Admitted { handler: self.inner.call(request), deadline, timer: None, slot }
            }
            Err(refusal) => Admission::Refused { refusal: Some(refusal.into()) },
        }
    }
}

/// A request with a body: receives it (in an upload slot while it is still arriving), then takes the slot of its
/// `pool` and runs the handler within the request timeout.
async fn receive_then_handle<S>(
    guard: Arc<Guard>,
    inner: S,
    request: Request,
    pool: Pool,
    client: Option<ClientAddress>,
) -> Result<Response, Infallible>
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    let server = &guard.state.node.config.server;
    let (parts, body) = request.into_parts();
    let bounds = BodyBounds {
        limit: server.max_body_bytes,
        deadline: tokio::time::Instant::now() + Duration::from_millis(server.body_read_timeout_ms),
    };
    let waiting = || guard.state.pools.enter(Pool::Upload, client).map(Some);
    let bytes = match receive(body, content_length(&parts.headers), bounds, waiting).await {
        // The upload slot, if one was needed, is given back here, before the route's slot is taken.
        Ok((bytes, _upload)) => bytes,
        Err(refusal) => return Ok(Problem::from(refusal).into_response()),
    };
    let _slot = match guard.state.pools.enter(pool, client) {
        Ok(slot) => slot,
        Err(refusal) => return Ok(Problem::from(refusal).into_response()),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(server.request_timeout_ms);
    let handled = inner.oneshot(Request::from_parts(parts, Body::from(bytes)));
    match tokio::time::timeout_at(deadline, handled).await {
        Ok(answered) => answered,
        Err(_) => Ok(Problem::from(Refusal::RequestTimeout).into_response()),
    }
}

pin_project! {
    /// An admitted request (its handler, holding a slot until it answers), one whose body is being received first,
    /// or a refused one.
    #[project = AdmissionProjection]
    pub(crate) enum Admission<F> {
        /// Admitted. The timer is only set once the handler has to wait: most answers come from memory on the first
        /// poll, and a timer per request would cost them a few percent of throughput.
        Admitted {
            #[pin]
            handler: F,
            deadline: Instant,
            timer: Option<Pin<Box<tokio::time::Sleep>>>,
            slot: Slot,
        },
        /// Its body is being received; then it is handled.
        Receiving { future: Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>> },
        /// Refused with this problem (taken when the answer is made).
        Refused { refusal: Option<Problem> },
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for Admission<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let refusal = match self.project() {
            AdmissionProjection::Admitted { handler, deadline, timer, .. } => {
                if let Poll::Ready(answered) = handler.poll(cx) {
                    return Poll::Ready(answered);
                }
                let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until((*deadline).into())));
                ready!(timer.as_mut().poll(cx));
                Problem::from(Refusal::RequestTimeout)
            }
            AdmissionProjection::Receiving { future } => return future.as_mut().poll(cx),
            AdmissionProjection::Refused { refusal } => {
                refusal.take().unwrap_or_else(|| Problem::from(Refusal::PolledAfterRefusal))
            }
        };
        Poll::Ready(Ok(refusal.into_response()))
    }
}

/// The 431 problem for a header section larger than `max` bytes, counted as HTTP/1.1 sends it (each field's name,
/// value, `: ` and CRLF).
fn headers_too_large(headers: &HeaderMap, max: usize) -> Option<Problem> {
    let size: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    (size > max).then(|| Problem::from(Refusal::HeadersTooLarge { size, max }))
}
