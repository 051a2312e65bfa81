//! The change feed of every hosted registry (mirrored ones included): the [`ChangeEvent`] of each snapshot, made
//! once and kept rendered for every reader, and the subscriber bound of the live streams. The I/O edge of
//! `trustnode_registry::feed`: events of recent snapshots come from memory, older ones are rebuilt from the stored
//! snapshot files. It knows nothing about HTTP; it waits on the hosting layer's `installed` notification.
//!
//! Memory is bounded: at most [`CACHED_EVENTS`] rendered events per registry, and a reader that falls behind holds
//! nothing here; it asks for the next sequence when it is ready for it (from the cache or, once evicted, from the
//! stored files).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::OnceCell;

use crate::config::FeedConfig;
use crate::hosting::{HostedRegistry, Registries};
use crate::telemetry::metrics::Metrics;
use trustnode_registry::feed::{ChangeEvent, ChangeFilter, FeedError};
use trustnode_registry::snapshot::{CanonicalSnapshot, SnapshotContent};

/// Rendered events kept per registry: enough for every live subscriber to take the newest ones from memory.
pub const CACHED_EVENTS: usize = 64;

/// One snapshot's event, with its JSON written once for all readers.
#[derive(Debug)]
pub struct RenderedEvent {
    /// The event.
    pub event: ChangeEvent,
    /// Its JSON.
    pub json: Bytes,
}

impl RenderedEvent {
    /// The event's JSON with only the changes `filter` passes: the shared rendering when it passes everything.
    pub fn json_for(&self, filter: &ChangeFilter<'_>) -> Result<Bytes, EventUnavailable> {
        if filter.is_everything() {
            return Ok(self.json.clone());
        }
        serde_json::to_vec(&self.event.filtered(filter))
            .map(Bytes::from)
            .map_err(|error| EventUnavailable::Internal { sequence: self.event.sequence, why: error.to_string() })
    }
}

/// Why an event cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventUnavailable {
    /// A snapshot the event needs is no longer stored, or no longer part of the verified chain.
    #[error("the change event of snapshot {0} cannot be rebuilt: a snapshot it needs is no longer stored")]
    HistoryUnavailable(u64),
    /// The event would list more changes than `feed.max_event_changes`.
    #[error(
        "snapshot {sequence} changes {changes} statements, more than the {max} a change event lists \
         (feed.max_event_changes): fetch that snapshot itself, then follow the feed from its sequence"
    )]
    TooLarge {
        /// The snapshot.
        sequence: u64,
        /// How many statements changed.
        changes: usize,
        /// The bound.
        max: usize,
    },
    /// The stored snapshots do not make an event (a bug or a damaged store, never the client's fault).
    #[error("the change event of snapshot {sequence} cannot be made: {why}")]
    Internal {
        /// The snapshot.
        sequence: u64,
        /// Why.
        why: String,
    },
}

/// An event as made, or why it could not be.
type Made = Result<Arc<RenderedEvent>, EventUnavailable>;

/// The feed of one hosted registry.
#[derive(Debug)]
pub struct Feed {
    registry: Arc<HostedRegistry>,
    /// `feed.max_event_changes`.
    max_changes: usize,
    /// Sequence → its event, made by the first reader that needs it while the others wait for that one. A refusal
    /// is kept too: making it may have cost parsing two large snapshots, which asking again must not repeat.
    events: Mutex<BTreeMap<u64, Arc<OnceCell<Made>>>>,
    /// The stored snapshot parsed last, with its JWS: making the events of a page in order needs each snapshot as
    /// one event's `next` and the following event's `previous`, and it is read and parsed once, not twice.
    last_parsed: Mutex<Option<(u64, Arc<CanonicalSnapshot>, String)>>,
}

impl Feed {
    /// The registry.
    pub fn registry(&self) -> &HostedRegistry {
        &self.registry
    }

    /// The sequence served now (0: nothing published yet).
    pub fn current_sequence(&self) -> u64 {
        *self.registry.installed().borrow()
    }

    /// Completes once a snapshot newer than `since` is served, and returns its sequence.
    pub async fn newer_than(&self, since: u64) -> u64 {
        let mut installed = self.registry.installed();
        let newer = installed.wait_for(|sequence| *sequence > since).await.map(|sequence| *sequence);
        match newer {
            Ok(sequence) => sequence,
            // The registry is never dropped while the node runs; if it is, nothing newer will come.
            Err(_) => std::future::pending().await,
        }
    }

    /// The event of snapshot `sequence` (at most the current one).
    pub async fn event(&self, sequence: u64) -> Made {
        let cell = {
            let mut events = self.events.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let cell = events.entry(sequence).or_default().clone();
            while events.len() > CACHED_EVENTS {
                events.pop_first();
            }
            cell
        };
        cell.get_or_init(|| self.make(sequence)).await.clone()
    }

    async fn make(&self, sequence: u64) -> Made {
        let max_changes = self.max_changes;
        // The previous snapshot first, so that the one left in `last_parsed` is this event's: the next event's
        // previous.
        let previous = match sequence {
            1 => None,
            _ => Some(self.content(sequence - 1).await?.0),
        };
        let (next, jws) = self.content(sequence).await?;
        tokio::task::spawn_blocking(move || {
            let internal = |why: String| EventUnavailable::Internal { sequence, why };
            let previous = previous.as_ref().map(|p| p.content());
            let event =
                ChangeEvent::between(previous, next.content(), &jws, max_changes).map_err(|error| match error {
                    FeedError::TooManyChanges { changes, max, .. } => {
                        EventUnavailable::TooLarge { sequence, changes, max }
                    }
                    other => internal(other.to_string()),
                })?;
            let json = serde_json::to_vec(&event).map_err(|e| internal(e.to_string()))?;
            Ok(Arc::new(RenderedEvent { event, json: Bytes::from(json) }))
        })
        .await
        .map_err(|join| EventUnavailable::Internal { sequence, why: join.to_string() })?
    }

    /// Snapshot `sequence` and its JWS: the served one from memory, an older one from its stored file.
    async fn content(&self, sequence: u64) -> Result<(Arc<dyn AsContent>, String), EventUnavailable> {
        if let Some(published) = self.registry.current().filter(|p| p.snapshot().snapshot().sequence == sequence) {
            let jws = published.jws.clone();
            return Ok((published, jws));
        }
        let last_parsed = self.last_parsed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        if let Some((_, parsed, jws)) = last_parsed.filter(|(parsed, ..)| *parsed == sequence) {
            return Ok((parsed, jws));
        }
        let stored = self.registry.stored(sequence).await.ok_or(EventUnavailable::HistoryUnavailable(sequence))?;
        let (parsed, jws) =
            tokio::task::spawn_blocking(move || CanonicalSnapshot::parse(stored.bytes).map(|p| (p, stored.jws)))
                .await
                .map_err(|join| EventUnavailable::Internal { sequence, why: join.to_string() })?
                .map_err(|error| EventUnavailable::Internal { sequence, why: error.to_string() })?;
        let parsed = Arc::new(parsed);
        *self.last_parsed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some((sequence, parsed.clone(), jws.clone()));
        Ok((parsed, jws))
    }
}

/// A snapshot's content however it is held: served (indexed) or parsed from its file.
trait AsContent: Send + Sync + std::fmt::Debug {
    fn content(&self) -> &SnapshotContent;
}

impl AsContent for crate::hosting::Published {
    fn content(&self) -> &SnapshotContent {
        self.snapshot()
    }
}

impl AsContent for CanonicalSnapshot {
    fn content(&self) -> &SnapshotContent {
        self
    }
}

/// Every hosted registry's feed, and the bounds on live subscribers and waiting long-polls shared by all of them.
#[derive(Debug)]
pub struct Feeds {
    feeds: BTreeMap<String, Arc<Feed>>,
    streams: Arc<Places>,
    waits: Arc<Places>,
    /// Events sent on streams, read by the metrics at each scrape.
    sent: Arc<AtomicU64>,
}

/// A bounded number of places.
#[derive(Debug)]
struct Places {
    taken: AtomicUsize,
    max: usize,
}

/// A place among the live streams or the waiting long-polls, given back when dropped.
#[derive(Debug)]
pub struct Place {
    places: Arc<Places>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.places.taken.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Every place is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    /// The configured maximum.
    pub max: usize,
}

impl Places {
    fn new(max: usize) -> Arc<Places> {
        Arc::new(Places { taken: AtomicUsize::new(0), max })
    }

    fn take(self: &Arc<Self>) -> Result<Place, Full> {
        self.taken
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |taken| (taken < self.max).then_some(taken + 1))
            .map(|_| Place { places: self.clone() })
            .map_err(|_| Full { max: self.max })
    }
}

impl Feeds {
    /// The feeds of `registries`, bounded as `config` says, counted in `metrics`.
    pub fn new(registries: &Registries, config: &FeedConfig, metrics: &Metrics) -> Feeds {
        let feeds = registries
            .iter()
            .map(|registry| {
                let events = Mutex::new(BTreeMap::new());
                let feed = Feed {
                    registry: registry.clone(),
                    max_changes: config.max_event_changes,
                    events,
                    last_parsed: Mutex::default(),
                };
                (registry.authority_id().to_owned(), Arc::new(feed))
            })
            .collect();
        let (streams, waits) = (Places::new(config.max_subscribers), Places::new(config.max_waiting));
        let sent = Arc::new(AtomicU64::new(0));
        let gauge = metrics.gauge(
            "trustnode_feed_subscribers",
            "Change-feed subscribers now, by kind: stream (SSE) or wait (a long-poll waiting for a publish).",
            ["kind"],
        );
        let counter = metrics.counter("trustnode_feed_events_sent_total", "Change events sent on SSE streams.", []);
        let read = (Arc::downgrade(&streams), Arc::downgrade(&waits), Arc::downgrade(&sent));
        metrics.on_scrape(move || {
            let (Some(streams), Some(waits), Some(sent)) = (read.0.upgrade(), read.1.upgrade(), read.2.upgrade())
            else {
                return;
            };
            gauge.set(["stream"], streams.taken.load(Ordering::SeqCst) as f64);
            gauge.set(["wait"], waits.taken.load(Ordering::SeqCst) as f64);
            counter.set([], sent.load(Ordering::SeqCst) as f64);
        });
        Feeds { feeds, streams, waits, sent }
    }

    /// The feed of `authority_id`'s registry, if hosted.
    pub fn get(&self, authority_id: &str) -> Option<&Arc<Feed>> {
        self.feeds.get(authority_id)
    }

    /// A place for one more SSE stream (`feed.max_subscribers`), or [`Full`].
    pub fn stream(&self) -> Result<Place, Full> {
        self.streams.take()
    }

    /// A place for one more waiting long-poll (`feed.max_waiting`), or [`Full`].
    pub fn wait(&self) -> Result<Place, Full> {
        self.waits.take()
    }

    /// Counts one event sent on a stream.
    pub fn sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }
}
