//! What the node records about every request: a request id (kept from `X-Request-ID` when the client's is sane,
//! otherwise generated) returned on the response and attached to every log line of the request, the request and
//! latency metrics, and the optional access log line.
//!
//! The middleware wraps every route and the fallback, outside the limits, so 503s from load shedding and timeouts
//! are counted too. Its per-request cost is a few atomic increments and one span; the access log is off or limited
//! to server errors unless configured otherwise (`server.access_log`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

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

    /// The next id: 16 hex digits of prefix, a dash, the counter in hex.
    pub fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        // Hex digits and a dash are always a valid header value.
        HeaderValue::from_str(&format!("{:016x}-{n:x}", self.prefix)).unwrap_or(HeaderValue::from_static("0"))
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds::new()
    }
}

/// The client's request id when it is one we can log and echo safely: 1 to [`MAX_REQUEST_ID_BYTES`] bytes of
/// visible ASCII (no spaces, no control characters).
pub fn acceptable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID_BYTES && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// The middleware's state: the node's state (for the metrics and the access log setting) and the id generator.
#[derive(Debug)]
pub struct Observer {
    /// The node.
    pub state: Arc<AppState>,
    /// Request id generator.
    pub ids: RequestIds,
}

/// The middleware; install with `axum::middleware::from_fn_with_state(Arc<Observer>, observe)`.
pub async fn observe(State(observer): State<Arc<Observer>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = match request.headers().get(&REQUEST_ID) {
        Some(incoming) if acceptable_request_id(incoming) => incoming.clone(),
        _ => observer.ids.next(),
    };
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let path_for_log = (observer.state.config.server.access_log != AccessLog::Off).then(|| request.uri().clone());
    // The span carries the id into every log line written while the request is handled.
    let span = tracing::info_span!("request", request_id = request_id.to_str().unwrap_or_default());
    let mut response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status();
    response.headers_mut().insert(REQUEST_ID.clone(), request_id.clone());
    let route = route.as_ref().map(MatchedPath::as_str);
    observer.state.metrics.record_request(route, status.as_u16(), elapsed);
    let log = match observer.state.config.server.access_log {
        AccessLog::Off => false,
        AccessLog::Errors => status.is_server_error(),
        AccessLog::All => true,
    };
    if log {
        tracing::info!(
            target: "trustnode::access",
            request_id = request_id.to_str().unwrap_or_default(),
            method = %method,
            route = route.unwrap_or(super::metrics::UNMATCHED_ROUTE),
            path = path_for_log.as_ref().map(|uri| uri.path()).unwrap_or_default(),
            status = status.as_u16(),
            latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    }
    response
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
