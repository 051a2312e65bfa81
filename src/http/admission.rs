//! Admission: which pool of request slots a request takes, so that one abusive class of clients cannot starve the
//! others. Pure bookkeeping (semaphores, counters, a body read against a deadline); the guard (`super::guard`)
//! decides when to call it, and nothing here knows about routes' handlers.
//!
//! The pools, each with its own size:
//! - **probe**: `/healthz`, `/readyz`, `/metrics` ([`PROBE_SLOTS`]): orchestrators keep their view of the node while
//!   every other pool is full.
//! - **ordinary** (`server.max_concurrent_requests`): work that answers from memory or with bounded CPU (did:key,
//!   did:jwk, TRQP, registry reads, the explorer).
//! - **fetch** (`server.max_concurrent_fetches`): resolutions of DID methods that wait on the network (did:web),
//!   cached or not; an origin that answers slowly fills this pool, never the ordinary one.
//! - **upload** (`server.max_concurrent_uploads`): requests whose body is still arriving. A body that is already
//!   in the server's buffers when the request is routed (the usual small JSON body) takes no upload slot at all;
//!   one that trickles in waits here, at most `server.body_read_timeout_ms`, and only then takes its route's slot.
//! - **publish** (`publishing.max_concurrent`): snapshot publishes, whose bodies are large and whose checks are
//!   expensive; the handler refuses bad requests before it reads a byte of the body.
//!
//! Each client address (an IPv4 address, or the /64 of an IPv6 one, which one subscriber usually holds whole) may
//! hold at most `server.max_requests_per_client` slots of each of the upload and publish pools, whose slots a slow
//! client holds for as long as it likes to dawdle; 0 turns that off (behind a reverse proxy every client has the
//! proxy's address). The fetch pool is bounded per origin instead (`web.max_fetches_per_origin`, in the did:web
//! fetcher), since what holds its slots is the origin's speed, not the client's, and one verifier legitimately
//! resolves many DIDs at once. A full pool answers 503 and a client over its share 429, both at once, never queued.
//!
//! A TRQP batch is ordinary work, but not one cheap request: it weighs [`batch_weight`] slots of the ordinary pool,
//! one per [`QUERIES_PER_SLOT`] queries. The guard takes the first slot like any request's; the batch handler
//! takes the rest once it has counted the queries ([`Pools::enter_weighted`]), or answers 503 like a full pool.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::problem::Refusal;
use crate::config::Config;

/// Slots of the probe pool: probes answer in microseconds, so this many in progress means a flood of them.
pub(crate) const PROBE_SLOTS: usize = 64;

/// Queries of a TRQP batch that weigh as much as one ordinary request. Measured (docs/performance.md, "Batch
/// TRQP"): with the answer microcache off, a batch of 100 answered 6.5 to 11 times as many questions per second as
/// single `/authorization` requests over HTTP/1.1 keep-alive (the request's parsing, routing and writing are paid
/// once), so one request costs the node about as much as 8 batched queries. Weighing a batch by its queries keeps what the ordinary pool
/// bounds, the work admitted and not yet answered, the same whether it arrives as single requests or as batches.
pub(crate) const QUERIES_PER_SLOT: usize = 8;

/// The ordinary slots a TRQP batch of `queries` queries weighs: one per [`QUERIES_PER_SLOT`] begun, at least one,
/// and at most the whole pool of `pool_size` slots, so that any batch the configuration allows can run on an idle
/// node.
pub(crate) fn batch_weight(queries: usize, pool_size: usize) -> usize {
    queries.div_ceil(QUERIES_PER_SLOT).clamp(1, pool_size.max(1))
}

/// What a route's requests cost, which decides the pool they take (see [`Pool`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Health, readiness and metrics.
    Probe,
    /// Answered from memory or with bounded CPU.
    Ordinary,
    /// Identifier resolution: the fetch pool when the DID's method waits on the network, else ordinary.
    Resolve,
    /// Snapshots: a `PUT` is a publish, other methods are ordinary reads.
    Publish,
    /// Credential and presentation verification: may resolve did:web issuers and fetch status lists, so the fetch
    /// pool.
    Verify,
    /// The change feed: ordinary work, but a long-poll may wait for a publish up to `feed.max_wait_s` beyond the
    /// request timeout (an SSE stream answers at once and streams outside the handler).
    Feed,
}

/// The pools of request slots; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Pool {
    /// Health, readiness and metrics.
    Probe,
    /// Work answered from memory or with bounded CPU.
    Ordinary,
    /// Resolutions that may wait on the network.
    Fetch,
    /// Requests whose body is still arriving.
    Upload,
    /// Snapshot publishes.
    Publish,
}

impl Pool {
    /// The name in problem details and metrics.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Pool::Probe => "probe",
            Pool::Ordinary => "ordinary",
            Pool::Fetch => "fetch",
            Pool::Upload => "upload",
            Pool::Publish => "publish",
        }
    }

    /// Whether each client's share of the pool is limited: only for the pools whose slots the client itself can
    /// hold for long.
    pub(crate) fn per_client(self) -> bool {
        matches!(self, Pool::Upload | Pool::Publish)
    }
}

/// The address a request came from, set by the server loop for each connection (absent for requests that did not
/// come over a socket, such as a router called in process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// Whose share a request counts against: an IPv4 address, or an IPv6 /64 (IPv4-mapped IPv6 counts as IPv4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ClientKey(IpAddr);

impl ClientKey {
    fn of(address: IpAddr) -> ClientKey {
        match address {
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => ClientKey(IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into())),
            },
        }
    }
}

/// The slot pools of one node and the per-client counts.
#[derive(Debug)]
pub(crate) struct Pools {
    probe: Arc<Semaphore>,
    ordinary: Arc<Semaphore>,
    fetch: Arc<Semaphore>,
    upload: Arc<Semaphore>,
    publish: Arc<Semaphore>,
    per_client: usize,
    held: Arc<Mutex<HashMap<(Pool, ClientKey), usize>>>,
    sizes: Sizes,
}

/// How many slots each configured pool has.
#[derive(Debug)]
struct Sizes {
    ordinary: usize,
    fetch: usize,
    upload: usize,
    publish: usize,
}

/// A held slot: returned to its pool (and to the client's share) when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
    _share: Option<Share>,
}

/// One slot of a client's share of a pool.
#[derive(Debug)]
struct Share {
    held: Arc<Mutex<HashMap<(Pool, ClientKey), usize>>>,
    key: (Pool, ClientKey),
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = lock(&self.held);
        if let Some(count) = held.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section is one map update, so a panicking holder cannot leave the map half-changed.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Pools {
    /// The pools sized by `config`.
    pub(crate) fn new(config: &Config) -> Pools {
        let server = &config.server;
        let pool = |size: usize| Arc::new(Semaphore::new(size));
        Pools {
            probe: pool(PROBE_SLOTS),
            ordinary: pool(server.max_concurrent_requests),
            fetch: pool(server.max_concurrent_fetches),
            upload: pool(server.max_concurrent_uploads),
            publish: pool(config.publishing.max_concurrent),
            per_client: server.max_requests_per_client,
            held: Arc::default(),
            sizes: Sizes {
                ordinary: server.max_concurrent_requests,
                fetch: server.max_concurrent_fetches,
                upload: server.max_concurrent_uploads,
                publish: config.publishing.max_concurrent,
            },
        }
    }

    /// A slot of `pool` for a request from `client`, or the refusal: the client's share is used up (429) or the
    /// pool is full (503). Never waits.
    pub(crate) fn enter(&self, pool: Pool, client: Option<ClientAddress>) -> Result<Slot, Refusal> {
        self.enter_weighted(pool, client, 1)
    }

    /// `weight` slots of `pool` at once (at most the pool's size), for work that runs that many things at a time (a
    /// batch resolution); all or none, never waiting, like [`Pools::enter`].
    pub(crate) fn enter_weighted(
        &self,
        pool: Pool,
        client: Option<ClientAddress>,
        weight: usize,
    ) -> Result<Slot, Refusal> {
        let share = match client {
            Some(ClientAddress(address)) if self.per_client > 0 && pool.per_client() => {
                let key = (pool, ClientKey::of(address));
                let mut held = lock(&self.held);
                let count = held.entry(key).or_insert(0);
                if *count >= self.per_client {
                    return Err(Refusal::ClientOverShare { pool: pool.name(), max: self.per_client });
                }
                *count += 1;
                Some(Share { held: self.held.clone(), key })
            }
            _ => None,
        };
        let (semaphore, size) = match pool {
            Pool::Probe => (&self.probe, PROBE_SLOTS),
            Pool::Ordinary => (&self.ordinary, self.sizes.ordinary),
            Pool::Fetch => (&self.fetch, self.sizes.fetch),
            Pool::Upload => (&self.upload, self.sizes.upload),
            Pool::Publish => (&self.publish, self.sizes.publish),
        };
        let weight = u32::try_from(weight.clamp(1, size.max(1))).unwrap_or(u32::MAX);
        // The share (if any) is dropped with the refusal, giving the client's count back.
        let permit =
            semaphore.clone().try_acquire_many_owned(weight).map_err(|_| Refusal::Overloaded { pool: pool.name() })?;
        Ok(Slot { _permit: permit, _share: share })
    }
}

/// The request's `Content-Length`, when it states one.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// How a body may be received.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyBounds {
    /// Most bytes accepted (413 beyond).
    pub limit: usize,
    /// When the whole body must have arrived (408 after).
    pub deadline: Instant,
}

/// Reads `body` whole within `bounds`. While the body is still arriving the caller holds `waiting`'s slot (if it
/// gives one): `waiting` is called once, the first time the body is not already buffered, and a refusal from it
/// ends the read.
/// `declared` is the request's `Content-Length`, refused at once when over the limit (so an HTTP/1.1 client that
/// asked `Expect: 100-continue` is never told to send it).
pub(crate) async fn receive(
    mut body: Body,
    declared: Option<u64>,
    bounds: BodyBounds,
    waiting: impl FnOnce() -> Result<Option<Slot>, Refusal>,
) -> Result<(Vec<u8>, Option<Slot>), Refusal> {
    let limit = bounds.limit;
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(Refusal::BodyTooLarge { max: limit });
    }
    let mut received = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    let mut waiting = Some(waiting);
    let mut slot = None;
    loop {
        // One look without waiting: a body already buffered needs no slot.
        let ready = {
            let mut frame = std::pin::pin!(body.frame());
            match frame.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(frame) => Some(frame),
                Poll::Pending => None,
            }
        };
        let frame = match ready {
            Some(frame) => frame,
            None => {
                if let Some(enter) = waiting.take() {
                    slot = enter()?;
                }
                tokio::time::timeout_at(bounds.deadline, body.frame()).await.map_err(|_| Refusal::BodyTimeout)?
            }
        };
        match frame {
            None => break,
            Some(Err(error)) => return Err(Refusal::BodyUnreadable(error.to_string())),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if received.len() + data.len() > limit {
                        return Err(Refusal::BodyTooLarge { max: limit });
                    }
                    received.extend_from_slice(&data);
                }
            }
        }
    }
    Ok((received, slot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn pools(per_client: usize, size: usize) -> Pools {
        let mut config = Config::load(None, Vec::<(String, String)>::new()).expect("default config");
        config.server.max_requests_per_client = per_client;
        config.server.max_concurrent_uploads = size;
        Pools::new(&config)
    }

    #[test]
    fn a_client_gets_its_share_and_a_full_pool_refuses_everyone() {
        let pools = pools(2, 3);
        let a = Some(ClientAddress(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))));
        let b = Some(ClientAddress(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3))));
        let first = pools.enter(Pool::Upload, a).unwrap();
        let _second = pools.enter(Pool::Upload, a).unwrap();
        assert!(matches!(pools.enter(Pool::Upload, a), Err(Refusal::ClientOverShare { max: 2, .. })));
        let _third = pools.enter(Pool::Upload, b).unwrap();
        assert!(matches!(pools.enter(Pool::Upload, b), Err(Refusal::Overloaded { pool: "upload" })));
        // A refusal for a full pool gave the client's share back, and a dropped slot frees both.
        drop(first);
        let _again = pools.enter(Pool::Upload, b).unwrap();
        assert!(matches!(pools.enter(Pool::Upload, a), Err(Refusal::Overloaded { .. })));
        // Ordinary work is not counted per client.
        let ordinary: Vec<_> = (0..10).map(|_| pools.enter(Pool::Ordinary, a).unwrap()).collect();
        assert_eq!(ordinary.len(), 10);
    }

    #[test]
    fn a_batch_weighs_one_slot_per_eight_queries_within_the_pool() {
        for (queries, weight) in [(0, 1), (1, 1), (8, 1), (9, 2), (100, 13), (1000, 125)] {
            assert_eq!(batch_weight(queries, 512), weight, "{queries}");
        }
        assert_eq!(batch_weight(1000, 8), 8, "never more than the whole pool");
        let mut config = Config::load(None, Vec::<(String, String)>::new()).expect("default config");
        config.server.max_concurrent_requests = 8;
        let pools = Pools::new(&config);
        let first = pools.enter(Pool::Ordinary, None).unwrap();
        let rest = pools.enter_weighted(Pool::Ordinary, None, 7).unwrap();
        assert!(matches!(pools.enter(Pool::Ordinary, None), Err(Refusal::Overloaded { pool: "ordinary" })));
        drop(rest);
        assert!(matches!(pools.enter_weighted(Pool::Ordinary, None, 8), Err(Refusal::Overloaded { pool: "ordinary" })));
        let _again = pools.enter_weighted(Pool::Ordinary, None, 7).unwrap();
        drop(first);
    }

    #[test]
    fn an_ipv6_subscriber_is_one_client_and_mapped_ipv4_is_ipv4() {
        let one: Ipv6Addr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let same_64: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(one.into()), ClientKey::of(same_64.into()));
        assert_ne!(ClientKey::of(one.into()), ClientKey::of(other_64.into()));
        let mapped: Ipv6Addr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ClientKey::of(mapped.into()), ClientKey::of(Ipv4Addr::new(192, 0, 2, 7).into()));
    }

    #[tokio::test]
    async fn a_buffered_body_takes_no_slot_and_an_oversized_one_is_refused_unread() {
        let bounds = BodyBounds { limit: 8, deadline: Instant::now() + std::time::Duration::from_secs(5) };
        let never = || -> Result<Option<Slot>, Refusal> { panic!("a buffered body must not wait for a slot") };
        let (bytes, slot) = receive(Body::from("{\"a\":1}"), Some(7), bounds, never).await.unwrap();
        assert_eq!(&bytes[..], b"{\"a\":1}");
        assert!(slot.is_none());
        let refused = receive(Body::from("0123456789"), Some(10), bounds, never).await;
        assert!(matches!(refused, Err(Refusal::BodyTooLarge { max: 8 })));
        let undeclared = receive(Body::from("0123456789"), None, bounds, never).await;
        assert!(matches!(undeclared, Err(Refusal::BodyTooLarge { max: 8 })));
    }

    /// A body whose bytes never come.
    struct Silent;

    impl hyper::body::Body for Silent {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_trickling_body_waits_in_a_slot_and_times_out() {
        let pools = pools(4, 4);
        let bounds = BodyBounds { limit: 100, deadline: Instant::now() + std::time::Duration::from_millis(200) };
        let mut held = None;
        let refused = receive(Body::new(Silent), Some(50), bounds, || {
            let slot = pools.enter(Pool::Upload, None).map(Some);
            held = Some(());
            slot
        })
        .await;
        assert!(matches!(refused, Err(Refusal::BodyTimeout)));
        assert!(held.is_some(), "a body that is not buffered waits in an upload slot");
        // With the upload pool full, such a body is refused at once.
        let full: Vec<_> = (0..4).map(|_| pools.enter(Pool::Upload, None).unwrap()).collect();
        let refused = receive(Body::new(Silent), Some(50), bounds, || pools.enter(Pool::Upload, None).map(Some)).await;
        assert!(matches!(refused, Err(Refusal::Overloaded { pool: "upload" })));
        drop(full);
    }
}
