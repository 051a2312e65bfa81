//! What the node records about every request: a request id (kept from `X-Request-ID` when the client's is sane,
//! otherwise generated) returned on the response and attached to every log line of the request, the request and
//! latency metrics, and the optional access log line. Being the outermost layer of every route, it also refuses
//! requests whose header section exceeds `server.max_header_bytes` (431 with a problem body), so they are counted.
//! hyper's own buffer is set above that limit (see [`super::ConnectionLimits`]), so most oversized heads reach this
//! check and the client learns which limit it hit.
//!
//! The middleware wraps every route and the fallback, outside the limits, so 503s from load shedding and timeouts
//! are counted too. Its per-request cost is a few atomic increments and one span; the access log is off or limited
//! to server errors unless configured otherwise (`server.access_log`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};
use tracing::Instrument;

use super::metrics::RouteMetrics;
use super::problem::Problem;
use super::AppState;
use crate::config::AccessLog;

/// The request id header.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming request id kept; longer ones are replaced.
pub const MAX_REQUEST_ID_BYTES: usize = 128;

/// Generates request ids: a random per-process prefix and a counter, so ids are unique across a fleet of nodes
/// without a random draw per request.
#[derive(Debug)]
pub struct RequestIds {
    prefix: u64,
    next: AtomicU64,
}

impl RequestIds {
    /// A generator with a random prefix.
    pub fn new() -> RequestIds {
        let mut seed = [0u8; 8];
        // Without OS randomness the ids are still unique within the process; the clock keeps restarts apart.
        if rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut seed).is_err() {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            seed = (nanos.as_nanos() as u64).to_le_bytes();
        }
        RequestIds { prefix: u64::from_le_bytes(seed), next: AtomicU64::new(0) }
    }

    /// The next id: 16 hex digits of prefix, a dash, 16 hex digits of the counter.
    pub fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut text = [b'-'; 33];
        let (prefix, counter) = text.split_at_mut(16);
        write_hex(self.prefix, prefix);
        write_hex(n, counter.get_mut(1..).unwrap_or_default());
        // Hex digits and a dash are always a valid header value.
        HeaderValue::from_bytes(&text).unwrap_or(HeaderValue::from_static("0"))
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds::new()
    }
}

/// Writes `value` as lower-case hex into `out`, most significant digit first, filling all of `out` (16 bytes).
fn write_hex(value: u64, out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (index, byte) in out.iter_mut().rev().enumerate() {
        let nibble = value.checked_shr(4 * index as u32).unwrap_or(0) & 0xf;
        *byte = DIGITS.get(nibble as usize).copied().unwrap_or(b'0');
    }
}

/// The client's request id when it is one we can log and echo safely: 1 to [`MAX_REQUEST_ID_BYTES`] bytes of
/// visible ASCII (no spaces, no control characters).
pub fn acceptable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID_BYTES && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// What the middleware of every route shares: the node (metrics, access log setting) and the id generator.
#[derive(Debug)]
pub struct Observer {
    state: Arc<AppState>,
    ids: RequestIds,
}

impl Observer {
    /// An observer recording into `state`'s metrics and logging per its `server.access_log`.
    pub fn new(state: Arc<AppState>) -> Arc<Observer> {
        Arc::new(Observer { state, ids: RequestIds::new() })
    }

    /// The layer for the route with path template `template` (`metrics::UNMATCHED_ROUTE` for the fallback).
    /// Each route gets its own, so the template is known without matching it again per request.
    pub fn layer(self: &Arc<Self>, template: &'static str) -> ObserveLayer {
        ObserveLayer { observer: self.clone(), route: self.state.metrics.route(template), template }
    }
}

/// The layer that observes the requests of one route; see [`Observer::layer`].
#[derive(Debug, Clone)]
pub struct ObserveLayer {
    observer: Arc<Observer>,
    route: RouteMetrics,
    template: &'static str,
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe { inner, layer: self.clone() }
    }
}

/// The service [`ObserveLayer`] makes. Written as a plain tower service rather than with `from_fn`: the inner
/// service is called directly instead of being cloned and boxed per request.
#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let ObserveLayer { observer, route, template } = self.layer.clone();
        let request_id = match request.headers().get(&REQUEST_ID) {
            Some(incoming) if acceptable_request_id(incoming) => incoming.clone(),
            _ => observer.ids.next(),
        };
        let access_log = observer.state.config.server.access_log;
        // Only kept when a line may be written: the common case copies nothing.
        let request_line = (access_log != AccessLog::Off).then(|| (request.method().clone(), request.uri().clone()));
        // The span carries the id into every log line written while the request is handled.
        let span = tracing::info_span!("request", request_id = request_id.to_str().unwrap_or_default());
        let outcome = match headers_too_large(request.headers(), observer.state.config.server.max_header_bytes) {
            Some(refusal) => Err(refusal),
            None => Ok(span.in_scope(|| self.inner.call(request))),
        };
        Box::pin(async move {
            let mut response = match outcome {
                Ok(future) => future.instrument(span).await?,
                Err(refusal) => refusal.into_response(),
            };
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

/// The 431 problem for a header section larger than `max` bytes, counted as HTTP/1.1 sends it (each field's name,
/// value, `: ` and CRLF).
fn headers_too_large(headers: &HeaderMap, max: usize) -> Option<Problem> {
    let size: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    (size > max).then(|| {
        let detail = format!("the request's header fields take {size} bytes; this node accepts at most {max}");
        Problem::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers-too-large", detail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_distinct_and_acceptable() {
        let ids = RequestIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert!(acceptable_request_id(&a) && acceptable_request_id(&b));
        assert_ne!(RequestIds::new().next(), a, "another process draws another prefix");
        let ids = RequestIds { prefix: 0x0123_4567_89ab_cdef, next: AtomicU64::new(0x2a) };
        assert_eq!(ids.next(), "0123456789abcdef-000000000000002a");
        assert_eq!(ids.next(), "0123456789abcdef-000000000000002b");
    }

    #[test]
    fn only_short_visible_ascii_ids_are_kept() {
        let accepts = |text: &str| acceptable_request_id(&HeaderValue::from_str(text).unwrap());
        assert!(accepts("abc-123_XYZ.~"));
        assert!(accepts(&"a".repeat(MAX_REQUEST_ID_BYTES)));
        assert!(!accepts(&"a".repeat(MAX_REQUEST_ID_BYTES + 1)));
        assert!(!accepts(""));
        assert!(!accepts("two words"));
        assert!(!accepts("tab\there"));
        assert!(!acceptable_request_id(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()));
    }
}
