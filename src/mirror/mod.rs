//! Mirroring: keeping a registry hosted here in step with the same registry on an upstream node
//! (`[[registries]]` with `authority` and `upstream`).
//!
//! One background task per mirrored registry polls the upstream (a conditional GET of its latest snapshot, every
//! `mirroring.poll_interval_s`, sooner when the served snapshot's `next_update` passes), fetches every missing
//! sequence in order and hands each to [`HostedRegistry::publish`], the same verification and atomic store a
//! governance body's publish goes through: nothing is served before it verified. A mirror never goes backwards; a
//! fork (a validly signed snapshot with a sequence already served under another digest) or a broken chain is
//! refused, logged, counted and kept as evidence on the status, while the last good snapshot stays served.
//!
//! Once a verified snapshot is served, and unless `mirroring.follow_feed` is off, the task follows the upstream's
//! change feed instead (a long-poll of `/changes?since=<served>`): each event is verified against the snapshot held
//! (signature, chain, inclusion paths), rebuilt into the whole snapshot ([`ChangeEvent::rebuild`]: byte-identical to
//! the upstream's, its digest checked) and handed to the same publish. Only what changed crosses the network, and
//! a publish upstream arrives within a round trip. Whatever the feed cannot do — no feed (404), an event that fails
//! a check or does not rebuild (entities changed), an event too large, an unreachable feed — is logged, counted
//! and handed to the whole-snapshot poll above in the same round, so fork detection is the poll's, unchanged; the
//! feed is tried again after a poll interval.
//!
//! HTTP transfers live in [`upstream`], the decisions in [`plan`]; this module wires them to the registry, the
//! metrics and readiness. It never writes snapshot files itself.

pub mod plan;
pub mod upstream;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::config::Config;
use crate::hosting::verify::{self, VerifyError};
use crate::hosting::{HostedRegistry, PublishError, Published, Registries};
use crate::telemetry::metrics::{Family, Metrics};
use crate::telemetry::readiness::{Readiness, ReadyFlag};
use plan::Step;
use trustnode_registry::feed::{ChangeEvent, FeedCursor, FeedError};
use trustnode_registry::model::Timestamp;
use trustnode_registry::snapshot::{Digest, SnapshotError};
use trustnode_resolver::Resolver;
use upstream::{ClientSetupError, Clients, FetchFailure, Latest, Offered, Upstream};

/// Fork evidence kept per registry; older evidence is dropped first.
const MAX_FORK_EVIDENCE: usize = 16;

/// Two snapshots of one sequence with different digests, both signed by the authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForkEvidence {
    /// The sequence.
    pub sequence: u64,
    /// The digest of the snapshot served here.
    pub served_digest: Digest,
    /// The digest of the upstream's snapshot of that sequence.
    pub upstream_digest: Digest,
    /// The sequence of the authority-signed snapshot that shows it: `sequence` itself when the upstream offered
    /// its version, or the successor whose `previous` names it.
    pub shown_by: u64,
    /// When the fork was first seen.
    pub detected_at: Timestamp,
}

/// The last failure of a poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollError {
    /// When it happened.
    pub at: Timestamp,
    /// Its metrics label (`unreachable`, `tls`, `refused`, `timeout`, `signature`, `broken-chain`, `fork`, …).
    pub kind: &'static str,
    /// What went wrong, for operators.
    pub detail: String,
}

/// What a mirror reports on the status endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MirrorStatus {
    /// Base URL of the upstream node.
    pub upstream: String,
    /// When the upstream was last asked.
    pub last_poll: Option<Timestamp>,
    /// When a poll last ended with the mirror in step (nothing new, or everything new verified and stored).
    pub last_success: Option<Timestamp>,
    /// The most recent failure, kept after later successes.
    pub last_error: Option<PollError>,
    /// Forks seen, oldest first.
    pub forks: Vec<ForkEvidence>,
}

/// Why one poll ended early. Whatever was verified and stored before the failure stays served.
#[derive(Debug, thiserror::Error)]
enum PollFailure {
    #[error(transparent)]
    Fetch(#[from] FetchFailure),
    #[error("{0}")]
    Malformed(String),
    #[error("the upstream offers sequence {offered}, older than the served {served}; a mirror never goes back")]
    Behind { served: u64, offered: u64 },
    #[error(
        "fork at sequence {}: served {}, the upstream's is {} (signed by the authority)",
        .0.sequence, .0.served_digest, .0.upstream_digest
    )]
    Fork(ForkEvidence),
    #[error("snapshot {sequence} refused: {error}")]
    Refused { sequence: u64, error: PublishError },
}

impl PollFailure {
    fn kind(&self) -> &'static str {
        match self {
            PollFailure::Fetch(failure) => failure.kind(),
            PollFailure::Malformed(_) => "malformed",
            PollFailure::Behind { .. } => "upstream-behind",
            PollFailure::Fork(_) => "fork",
            PollFailure::Refused { error, .. } => match error {
                PublishError::Refused(VerifyError::Snapshot(SnapshotError::Signature(_))) => "signature",
                PublishError::Refused(VerifyError::AuthorityUnresolvable { .. }) => "authority-unresolvable",
                PublishError::Refused(VerifyError::Snapshot(
                    SnapshotError::BrokenChain { .. }
                    | SnapshotError::SequenceNotNext { .. }
                    | SnapshotError::AuthorityChanged { .. }
                    | SnapshotError::IssuedBeforePrevious { .. }
                    | SnapshotError::StatementDeleted(_)
                    | SnapshotError::StatementRewritten(_),
                ))
                | PublishError::NotNext { .. } => "broken-chain",
                PublishError::Storage(_) => "storage",
                _ => "invalid",
            },
        }
    }
}

/// Why following the feed stopped and the whole-snapshot poll took over for this round.
#[derive(Debug, thiserror::Error)]
enum FeedFallback {
    #[error("the upstream has no change feed for this registry (404)")]
    NoFeed,
    #[error(transparent)]
    Fetch(FetchFailure),
    #[error("malformed feed page: {0}")]
    Malformed(String),
    #[error("the upstream's feed is at sequence {offered}, behind the served {served}")]
    Behind { served: u64, offered: u64 },
    #[error("an event of snapshot {sequence} is for {found}, not this registry")]
    OtherAuthority { sequence: u64, found: String },
    #[error("the authority's DID document: {0}")]
    Authority(VerifyError),
    #[error(transparent)]
    Event(FeedError),
    #[error("rebuilt snapshot {sequence} refused: {error}")]
    Refused { sequence: u64, error: PublishError },
}

impl FeedFallback {
    /// The metrics label.
    fn kind(&self) -> &'static str {
        match self {
            FeedFallback::NoFeed => "no-feed",
            FeedFallback::Fetch(FetchFailure::Status { status: 422, .. }) => "event-too-large",
            FeedFallback::Fetch(failure) => failure.kind(),
            FeedFallback::Malformed(_) => "malformed",
            FeedFallback::Behind { .. } => "upstream-behind",
            FeedFallback::OtherAuthority { .. } => "invalid-event",
            FeedFallback::Authority(_) => "authority-unresolvable",
            FeedFallback::Event(error) => match error {
                FeedError::EntitiesChanged { .. } => "entities-changed",
                FeedError::Signature { .. } => "signature",
                FeedError::BrokenChain { .. } => "broken-chain",
                _ => "invalid-event",
            },
            FeedFallback::Refused { .. } => "refused",
        }
    }
}

/// One page of the upstream's change feed, as much of it as a mirror reads.
#[derive(Debug, Deserialize)]
struct FeedPage {
    current_sequence: u64,
    events: Vec<ChangeEvent>,
}

/// How one round brought the mirror in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// Through the feed, with this many events applied.
    Followed(usize),
    /// By polling whole snapshots, the feed not being followed.
    Polled,
    /// By fetching the one snapshot the feed could not carry.
    Stepped,
    /// By polling whole snapshots, after the feed fell back.
    FellBack,
}

/// One mirrored registry: its upstream, status and readiness.
#[derive(Debug)]
struct Mirror {
    registry: Arc<HostedRegistry>,
    upstream: Upstream,
    /// `mirroring.feed_wait_s` when following the feed (`mirroring.follow_feed`), else `None`.
    feed_wait_s: Option<u64>,
    status: Mutex<MirrorStatus>,
    ready: ReadyFlag,
    metrics: MirrorMetrics,
}

/// The metric families every mirror writes to.
#[derive(Clone)]
struct MirrorMetrics {
    failures: Arc<Family<2>>,
    forks: Arc<Family<1>>,
    feed_fallbacks: Arc<Family<2>>,
    feed_events: Arc<Family<1>>,
    received: Arc<Family<2>>,
}

impl std::fmt::Debug for MirrorMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MirrorMetrics")
    }
}

impl Mirror {
    /// One round: through the feed when it is followed and a snapshot is held, else (or when the feed falls back)
    /// by polling whole snapshots. With the feed followed, a snapshot the feed cannot carry — the first one, one
    /// whose entities changed, one too large for an event — is fetched alone, and the feed takes over again.
    async fn sync(&self, resolver: &Resolver, now: Timestamp) -> Result<Round, PollFailure> {
        let Some(wait) = self.feed_wait_s else { return self.poll(resolver, now).await.map(|()| Round::Polled) };
        let Some(held) = self.registry.current() else { return self.step(resolver, now, 1).await };
        let next = held.snapshot().snapshot().sequence + 1;
        let fallback = match self.follow(resolver, held, wait).await {
            Ok(applied) => return Ok(Round::Followed(applied)),
            Err(fallback) => fallback,
        };
        self.fall_back(&fallback);
        match fallback {
            FeedFallback::Event(FeedError::EntitiesChanged { .. })
            | FeedFallback::Fetch(FetchFailure::Status { status: 422, .. }) => self.step(resolver, now, next).await,
            _ => self.poll(resolver, now).await.map(|()| Round::FellBack),
        }
    }

    /// Fetches snapshot `sequence` whole and publishes it, for the feed to go on from.
    async fn step(&self, resolver: &Resolver, now: Timestamp, sequence: u64) -> Result<Round, PollFailure> {
        let offered = self.upstream.snapshot(sequence).await?;
        self.count_snapshot(&offered);
        self.accept(resolver, now, sequence, offered).await.map(|()| Round::Stepped)
    }

    /// Reads one page of the upstream's feed after the snapshot `held` (waiting up to `wait` seconds for one) and
    /// publishes each event's rebuilt snapshot in turn. Returns how many were applied; every one applied before a
    /// fallback stays served.
    async fn follow(&self, resolver: &Resolver, held: Arc<Published>, wait: u64) -> Result<usize, FeedFallback> {
        let authority = self.registry.authority_id();
        let since = held.snapshot().snapshot().sequence;
        let page = match self.upstream.changes(since, wait).await {
            Ok(page) => page,
            Err(FetchFailure::Status { status: 404, .. }) => return Err(FeedFallback::NoFeed),
            Err(failure) => return Err(FeedFallback::Fetch(failure)),
        };
        self.metrics.received.add([authority, "feed"], page.len() as f64);
        let page: FeedPage =
            serde_json::from_slice(&page).map_err(|error| FeedFallback::Malformed(error.to_string()))?;
        if page.current_sequence < since {
            return Err(FeedFallback::Behind { served: since, offered: page.current_sequence });
        }
        if page.events.is_empty() {
            return match page.current_sequence == since {
                true => Ok(0),
                false => {
                    Err(FeedFallback::Malformed(format!("no events, though at sequence {}", page.current_sequence)))
                }
            };
        }
        let document = verify::authority_document(resolver, authority).await.map_err(FeedFallback::Authority)?;
        let mut cursor = FeedCursor { sequence: since, digest: Some(held.snapshot().digest()) };
        let mut held = held;
        let mut applied = 0;
        for event in page.events {
            let sequence = event.sequence;
            if event.header.authority_id != authority {
                return Err(FeedFallback::OtherAuthority { sequence, found: event.header.authority_id });
            }
            cursor = event.verify(cursor, document.value()).map_err(FeedFallback::Event)?.cursor;
            let jws = event.jws.clone();
            // Rebuilding hashes and encodes every statement: no work for the async threads.
            let rebuilt = tokio::task::spawn_blocking(move || event.rebuild(held.snapshot()))
                .await
                .map_err(|error| FeedFallback::Malformed(format!("rebuilding snapshot {sequence}: {error}")))?
                .map_err(FeedFallback::Event)?;
            self.registry
                .publish_snapshot(resolver, sequence, rebuilt, &jws)
                .await
                .map_err(|error| FeedFallback::Refused { sequence, error })?;
            self.ready.set(true);
            self.metrics.feed_events.add([authority], 1.0);
            applied += 1;
            held = self.registry.current().filter(|current| current.snapshot().snapshot().sequence == sequence).ok_or(
                FeedFallback::Malformed(format!("snapshot {sequence} is not the one served after its publish")),
            )?;
        }
        Ok(applied)
    }

    /// Logs and counts why the feed gave way to polling this round.
    fn fall_back(&self, fallback: &FeedFallback) {
        let authority = self.registry.authority_id();
        let kind = fallback.kind();
        match fallback {
            // Expected now and then (an older upstream, a renamed entity, a mass revocation): not a warning.
            FeedFallback::NoFeed
            | FeedFallback::Event(FeedError::EntitiesChanged { .. })
            | FeedFallback::Fetch(FetchFailure::Status { status: 422, .. }) => {
                tracing::info!(authority, kind, "mirror fetches whole snapshots: {fallback}")
            }
            _ => tracing::warn!(authority, kind, "mirror feed refused, polling whole snapshots: {fallback}"),
        }
        self.metrics.feed_fallbacks.add([authority, kind], 1.0);
    }

    /// Asks the upstream once and brings the registry in step with it, as far as verification allows.
    async fn poll(&self, resolver: &Resolver, now: Timestamp) -> Result<(), PollFailure> {
        let served = self.registry.current().map(|published| published.snapshot().link());
        let etag = served.map(|link| format!("\"{}\"", link.digest));
        let latest = match self.upstream.latest(etag.as_deref()).await? {
            Latest::Unchanged => return Ok(()),
            Latest::Offered(offered) => offered,
        };
        self.count_snapshot(&latest);
        let link = plan::offered_link(&latest.bytes).map_err(PollFailure::Malformed)?;
        match plan::plan(served, link) {
            Step::UpToDate => Ok(()),
            Step::Behind { served, offered } => Err(PollFailure::Behind { served, offered }),
            Step::Fork { sequence, served, offered } => {
                // Only a snapshot the authority signed is evidence; anything else is a plain refusal.
                let refused = |error: VerifyError| PollFailure::Refused { sequence, error: error.into() };
                let verified = verify::verify(resolver, latest.bytes, &latest.jws).await.map_err(refused)?;
                if verified.snapshot.snapshot().authority_id != self.registry.authority_id() {
                    let error = PublishError::PathMismatch {
                        field: "authority_id",
                        path: self.registry.authority_id().to_owned(),
                        snapshot: verified.snapshot.snapshot().authority_id.clone(),
                    };
                    return Err(PollFailure::Refused { sequence, error });
                }
                Err(fork(now, sequence, served, offered, sequence))
            }
            Step::CatchUp { first } => {
                for sequence in first..link.sequence {
                    let offered = self.upstream.snapshot(sequence).await?;
                    self.count_snapshot(&offered);
                    self.accept(resolver, now, sequence, offered).await?;
                }
                self.accept(resolver, now, link.sequence, latest).await
            }
        }
    }

    /// Counts the bytes of a whole snapshot received (body and JWS).
    fn count_snapshot(&self, offered: &Offered) {
        let bytes = offered.bytes.len() + offered.jws.len();
        self.metrics.received.add([self.registry.authority_id(), "snapshot"], bytes as f64);
    }

    /// Verifies and stores `offered` as `sequence` through the publish path.
    async fn accept(
        &self,
        resolver: &Resolver,
        now: Timestamp,
        sequence: u64,
        offered: Offered,
    ) -> Result<(), PollFailure> {
        match self.registry.publish(resolver, sequence, offered.bytes, &offered.jws).await {
            Ok(_) => {
                self.ready.set(true);
                Ok(())
            }
            // The signature verified before the chain was checked, so a successor naming another digest for the
            // served sequence is signed evidence of a fork.
            Err(PublishError::Refused(VerifyError::Snapshot(SnapshotError::BrokenChain {
                expected,
                found: Some(found),
            }))) if found.sequence == expected.sequence => {
                Err(fork(now, expected.sequence, expected.digest, found.digest, sequence))
            }
            Err(error) => Err(PollFailure::Refused { sequence, error }),
        }
    }

    /// Records the outcome of the poll made at `now` in the status, the log and the metrics.
    fn record(&self, now: Timestamp, outcome: Result<(), PollFailure>) {
        let authority = self.registry.authority_id();
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        status.last_poll = Some(now);
        let failure = match outcome {
            Ok(()) => {
                status.last_success = Some(now);
                return;
            }
            Err(failure) => failure,
        };
        tracing::warn!(authority, upstream = %status.upstream, kind = failure.kind(), "mirror poll failed: {failure}");
        self.metrics.failures.add([authority, failure.kind()], 1.0);
        if let PollFailure::Fork(evidence) = &failure {
            let key = (evidence.sequence, evidence.upstream_digest);
            if !status.forks.iter().any(|seen| (seen.sequence, seen.upstream_digest) == key) {
                self.metrics.forks.add([authority], 1.0);
                if status.forks.len() == MAX_FORK_EVIDENCE {
                    status.forks.remove(0);
                }
                status.forks.push(evidence.clone());
            }
        }
        status.last_error = Some(PollError { at: now, kind: failure.kind(), detail: failure.to_string() });
    }

    /// Rounds until the node's resolver is gone (the node closed): feed rounds back to back, polls
    /// [`plan::poll_delay`] apart.
    async fn run(self: Arc<Self>, resolver: Weak<Resolver>, interval: Duration) {
        loop {
            let Some(resolver) = resolver.upgrade() else { return };
            let Ok(now) = clock::now() else {
                tracing::error!("the system clock is out of range; mirrors do not poll");
                return;
            };
            let started = Instant::now();
            let outcome = self.sync(&resolver, now).await;
            // A feed round waited upstream already (or brought news, and there may be more): ask again at once.
            // One that came back empty at once did not wait, and waits here like a poll; so does a poll after a
            // fallback, which is the feed's backoff. A snapshot fetched alone hands straight back to the feed.
            let again = match outcome {
                Ok(Round::Followed(applied)) => applied > 0 || started.elapsed() >= Duration::from_secs(1),
                Ok(Round::Stepped) => true,
                Ok(Round::Polled | Round::FellBack) | Err(_) => false,
            };
            self.record(now, outcome.map(drop));
            drop(resolver);
            if again {
                continue;
            }
            let next_update = self.registry.current().map(|published| published.snapshot().snapshot().next_update);
            tokio::time::sleep(plan::poll_delay(clock::now().unwrap_or(now), next_update, interval)).await;
        }
    }
}

fn fork(now: Timestamp, sequence: u64, served: Digest, offered: Digest, shown_by: u64) -> PollFailure {
    PollFailure::Fork(ForkEvidence {
        sequence,
        served_digest: served,
        upstream_digest: offered,
        shown_by,
        detected_at: now,
    })
}

/// Every mirrored registry of the node and their polling tasks (stopped when this is dropped).
#[derive(Debug)]
pub struct Mirrors {
    by_authority: BTreeMap<String, Arc<Mirror>>,
    interval: Duration,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Mirrors {
    /// The mirrors of the registries in `registries` that have an upstream, with their metric families and a
    /// readiness condition each (met once a verified snapshot is served). Nothing polls before [`Mirrors::start`].
    /// Fails when there are mirrors but their HTTPS client cannot be set up (`mirroring.extra_ca_file`, DNS).
    pub fn new(
        config: &Config,
        registries: &Registries,
        metrics: &Metrics,
        readiness: &Readiness,
    ) -> Result<Mirrors, ClientSetupError> {
        let families = MirrorMetrics {
            failures: metrics.counter(
                "trustnode_mirror_failures_total",
                "Mirror polls that ended in a failure, by authority and kind (unreachable, tls, refused, timeout, \
                 upstream-status, too-large, missing-signature, malformed, upstream-behind, signature, broken-chain, fork, …).",
                ["authority", "kind"],
            ),
            forks: metrics.counter(
                "trustnode_mirror_forks_total",
                "Distinct forks seen: a snapshot signed by the authority with a sequence already served under \
                 another digest.",
                ["authority"],
            ),
            feed_fallbacks: metrics.counter(
                "trustnode_mirror_feed_fallbacks_total",
                "Mirror rounds where following the upstream's change feed gave way to fetching whole snapshots, by \
                 authority and kind (no-feed, entities-changed, event-too-large, signature, broken-chain, \
                 invalid-event, unreachable, timeout, …).",
                ["authority", "kind"],
            ),
            feed_events: metrics.counter(
                "trustnode_mirror_feed_events_total",
                "Change events a mirror verified, rebuilt into whole snapshots and published, by authority.",
                ["authority"],
            ),
            received: metrics.counter(
                "trustnode_mirror_received_bytes_total",
                "Bytes a mirror received from its upstream, by authority and what carried them (snapshot: whole \
                 snapshot bodies and their JWS; feed: change feed pages).",
                ["authority", "via"],
            ),
        };
        let timeout = Duration::from_millis(config.mirroring.request_timeout_ms);
        // Only a node that mirrors needs the clients, and only it should fail on their settings.
        let clients = match registries.iter().any(|registry| registry.upstream().is_some()) {
            true => Some(Clients::new(&config.mirroring, timeout)?),
            false => None,
        };
        let by_authority = registries
            .iter()
            .filter_map(|registry| {
                let (base, clients) = (registry.upstream()?, clients.as_ref()?);
                let authority = registry.authority_id();
                let ready = readiness.condition(format!("mirror of {authority} has no verified snapshot yet"), false);
                ready.set(registry.current().is_some());
                let mirror = Mirror {
                    registry: registry.clone(),
                    upstream: Upstream::new(clients, base, authority, timeout, config.publishing.max_snapshot_bytes),
                    feed_wait_s: config.mirroring.follow_feed.then_some(config.mirroring.feed_wait_s),
                    status: Mutex::new(MirrorStatus { upstream: base.to_owned(), ..MirrorStatus::default() }),
                    ready,
                    metrics: families.clone(),
                };
                Some((authority.to_owned(), Arc::new(mirror)))
            })
            .collect();
        Ok(Mirrors {
            by_authority,
            interval: Duration::from_secs(config.mirroring.poll_interval_s),
            tasks: Mutex::new(Vec::new()),
        })
    }

    /// Starts one polling task per mirror; each stops when the resolver (held by the node state) is dropped.
    pub fn start(&self, resolver: Weak<Resolver>) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        for mirror in self.by_authority.values() {
            tasks.push(tokio::spawn(mirror.clone().run(resolver.clone(), self.interval)));
        }
    }

    /// The status of the mirror of `authority_id`; `None` when that registry is not mirrored.
    pub fn status(&self, authority_id: &str) -> Option<MirrorStatus> {
        let mirror = self.by_authority.get(authority_id)?;
        Some(mirror.status.lock().unwrap_or_else(PoisonError::into_inner).clone())
    }
}

impl Drop for Mirrors {
    fn drop(&mut self) {
        for task in self.tasks.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            task.abort();
        }
    }
}
