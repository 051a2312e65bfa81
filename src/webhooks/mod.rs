//! Webhooks: each hosted registry's change events pushed to the subscribers of `[[feed.webhooks]]`, one POST per
//! event, in order, at least once.
//!
//! One task per subscriber walks the registry's feed (`crate::feed`, where each event is made once for every
//! reader): the event after the last one the subscriber acknowledged is sent until the receiver answers 2xx, then
//! the position moves on and is written to `data_dir/webhooks/<name>.json` (atomically), so a restart resends at
//! most the event that was in flight. The feed is the queue: nothing is buffered per subscriber, and a subscriber
//! that is behind reads its events back from the feed's memory or the stored snapshots. A failed attempt (no
//! connection, a refusal by the SSRF guard, a non-2xx answer, no answer within `feed.webhook_timeout_ms`) is logged
//! with its reason and retried after [`backoff`]; a subscriber waiting for its retry holds up no one else, and a
//! publish never waits for any subscriber.
//!
//! Each request carries the event's JSON exactly as the feed serves it (narrowed by the subscriber's filters), the
//! sequence as idempotency key, the HMAC of `trustnode_registry::webhook` under the subscriber's secret, and the
//! node's detached JWS over the body; the header names are `trustnode_registry::wire`'s. HTTP itself is [`post`].
//! An event that cannot be made (more changes than `feed.max_event_changes`, or history no longer stored) is
//! skipped with a warning: the receiver sees the gap in the chain and fetches that snapshot itself.

pub(crate) mod post;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use axum::body::Bytes;
use rand_core::RngCore as _;
use serde::{Deserialize, Serialize};

use crate::config::{Config, WebhookConfig, MIN_SECRET_BYTES};
use crate::feed::{EventUnavailable, Feed, Feeds};
use crate::identity::NodeIdentity;
use crate::telemetry::metrics::{Family, Metrics};
use post::{AttemptFailure, Poster};
use trustnode_registry::feed::ChangeFilter;
use trustnode_registry::webhook::signature;
use trustnode_registry::wire::{
    WEBHOOK_JWS_HEADER, WEBHOOK_JWS_TYPE, WEBHOOK_SEQUENCE_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER,
};

/// The directory of the subscribers' position files, inside the data directory.
const POSITIONS_DIR: &str = "webhooks";

/// Why the webhooks could not be set up; each stops the node with a clear message.
#[derive(Debug, thiserror::Error)]
pub enum WebhookSetupError {
    /// One subscriber's entry cannot be used (its registry, its secret file, its position file).
    #[error("feed.webhooks {name}: {why}")]
    Subscriber {
        /// The subscriber's name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// The directory of the position files cannot be created.
    #[error("webhooks: cannot create {path}: {source}")]
    Directory {
        /// `data_dir/webhooks`.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The HTTPS client could not be set up (`web.extra_ca_file`, DNS).
    #[error("webhooks: {0}")]
    Client(String),
}

/// Where a subscriber stands, as its position file keeps it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Position {
    /// The registry the subscriber follows; a file of another registry is not this subscription's.
    authority: String,
    /// The last sequence the receiver acknowledged (or that was passed over).
    acknowledged: u64,
}

/// One subscriber and its delivery state.
struct Subscriber {
    name: String,
    url: String,
    feed: Arc<Feed>,
    entity: Option<String>,
    action: Option<String>,
    resource: Option<String>,
    secret: Vec<u8>,
    acknowledged: AtomicU64,
    position_file: PathBuf,
    directory: PathBuf,
    poster: Poster,
    identity: Arc<NodeIdentity>,
    retry: (Duration, Duration),
    metrics: Families,
}

/// The metric families every subscriber writes to.
#[derive(Clone)]
struct Families {
    deliveries: Arc<Family<2>>,
    retries: Arc<Family<1>>,
}

/// Why an attempt failed: the event could not be made, or the request did not get a 2xx.
enum Failure {
    Event(String),
    Attempt(AttemptFailure),
}

impl Subscriber {
    fn filter(&self) -> ChangeFilter<'_> {
        ChangeFilter {
            entity: self.entity.as_deref(),
            action: self.action.as_deref(),
            resource: self.resource.as_deref(),
        }
    }

    /// Sends every event after the acknowledged one, for as long as the node runs.
    async fn run(self: Arc<Self>) {
        loop {
            let sequence = self.acknowledged.load(Ordering::SeqCst) + 1;
            if sequence > self.feed.current_sequence() {
                self.feed.newer_than(sequence - 1).await;
                continue;
            }
            self.deliver(sequence).await;
            self.acknowledge(sequence).await;
        }
    }

    /// Returns once event `sequence` was delivered, or found to have nothing for this subscriber, or skipped.
    async fn deliver(&self, sequence: u64) {
        let mut retries: u32 = 0;
        loop {
            let failure = match self.attempt(sequence).await {
                Ok(outcome) => {
                    self.metrics.deliveries.add([&self.name, outcome], 1.0);
                    return;
                }
                Err(failure) => failure,
            };
            let (outcome, reason) = match failure {
                Failure::Event(reason) => ("unavailable", reason),
                Failure::Attempt(failure) => (failure.outcome(), failure.to_string()),
            };
            self.metrics.deliveries.add([&self.name, outcome], 1.0);
            self.metrics.retries.add([&self.name], 1.0);
            let delay = backoff(retries, self.retry.0, self.retry.1, rand_core::OsRng.next_u64());
            retries = retries.saturating_add(1);
            tracing::warn!(
                subscriber = %self.name,
                sequence,
                outcome,
                retry = retries,
                retry_in_ms = delay.as_millis() as u64,
                "webhook delivery failed: {reason}"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt at event `sequence`; its outcome label when nothing is left to do for it.
    async fn attempt(&self, sequence: u64) -> Result<&'static str, Failure> {
        let rendered = match self.feed.event(sequence).await {
            Ok(rendered) => rendered,
            Err(error @ (EventUnavailable::TooLarge { .. } | EventUnavailable::HistoryUnavailable(_))) => {
                tracing::warn!(subscriber = %self.name, sequence, "webhook event skipped: {error}");
                return Ok("skipped");
            }
            Err(error) => return Err(Failure::Event(error.to_string())),
        };
        let filter = self.filter();
        if !filter.is_everything() && !rendered.event.changes.iter().any(|change| filter.matches(&change.statement)) {
            return Ok("filtered");
        }
        let body = rendered.json_for(&filter).map_err(|error| Failure::Event(error.to_string()))?;
        let jws = self
            .identity
            .sign_detached(WEBHOOK_JWS_TYPE, &body)
            .map_err(|error| Failure::Event(format!("the node cannot sign: {error}")))?;
        let headers = self.headers(sequence, &body, jws);
        self.poster.post(&self.url, &headers, body).await.map_err(Failure::Attempt)?;
        Ok("delivered")
    }

    /// The webhook headers of one attempt, signed now.
    fn headers(&self, sequence: u64, body: &Bytes, jws: String) -> [(&'static str, String); 4] {
        let timestamp = crate::clock::now().map_or(0, |now| u64::try_from(now.unix_seconds()).unwrap_or(0));
        [
            (WEBHOOK_SEQUENCE_HEADER, sequence.to_string()),
            (WEBHOOK_TIMESTAMP_HEADER, timestamp.to_string()),
            (WEBHOOK_SIGNATURE_HEADER, signature(&self.secret, timestamp, sequence, body)),
            (WEBHOOK_JWS_HEADER, jws),
        ]
    }

    /// Moves the position past `sequence` and keeps it. A position that cannot be written is logged: the node goes
    /// on from memory, and after a restart resends from the last position written (more repeats, no loss).
    async fn acknowledge(&self, sequence: u64) {
        self.acknowledged.store(sequence, Ordering::SeqCst);
        let position = Position { authority: self.feed.registry().authority_id().to_owned(), acknowledged: sequence };
        let (directory, file) = (self.directory.clone(), self.position_file.clone());
        let written = tokio::task::spawn_blocking(move || write_position(&directory, &file, &position)).await;
        if let Err(error) = written.map_err(|join| join.to_string()).and_then(|written| written) {
            tracing::warn!(subscriber = %self.name, sequence, "cannot keep the webhook position: {error}");
        }
    }

    /// Events the subscriber has yet to acknowledge.
    fn lag(&self) -> u64 {
        self.feed.current_sequence().saturating_sub(self.acknowledged.load(Ordering::SeqCst))
    }
}

fn write_position(directory: &Path, file: &Path, position: &Position) -> Result<(), String> {
    let bytes = serde_json::to_vec(position).map_err(|error| error.to_string())?;
    crate::store::write_atomically(directory, file, &bytes).map_err(|error| format!("{}: {error}", file.display()))
}

/// The wait before retry `retries + 1` of one event: a ceiling of `min` doubled per earlier retry, at most `max`,
/// of which the first half is always waited and the second half drawn from `random` ("equal jitter"), so that
/// subscribers failing together do not retry together yet never retry much sooner than the ceiling says.
pub(crate) fn backoff(retries: u32, min: Duration, max: Duration, random: u64) -> Duration {
    let ceiling = min.saturating_mul(2u32.saturating_pow(retries.min(31))).min(max);
    let half = ceiling / 2;
    let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).saturating_add(1);
    half + Duration::from_nanos(random % spread)
}

/// Every subscriber and its task (stopped by [`Webhooks::stop`] or when this is dropped).
pub struct Webhooks {
    subscribers: Vec<Arc<Subscriber>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.subscribers.iter().map(|subscriber| subscriber.name.as_str()).collect();
        f.debug_struct("Webhooks").field("subscribers", &names).finish()
    }
}

impl Webhooks {
    /// The subscribers of `config.feed.webhooks`, each on the feed of its registry in `feeds`, signing with
    /// `identity`, counted in `metrics`. Reads each secret file and position file (a new subscriber's position is
    /// the sequence served now, written at once). Nothing is sent before [`Webhooks::start`].
    pub fn new(
        config: &Config,
        feeds: &Feeds,
        identity: &Arc<NodeIdentity>,
        metrics: &Metrics,
    ) -> Result<Webhooks, WebhookSetupError> {
        if config.feed.webhooks.is_empty() {
            return Ok(Webhooks { subscribers: Vec::new(), tasks: Mutex::new(Vec::new()) });
        }
        let timeout = Duration::from_millis(config.feed.webhook_timeout_ms);
        let poster = Poster::new(&config.web, timeout).map_err(WebhookSetupError::Client)?;
        let families = Families {
            deliveries: metrics.counter(
                "trustnode_webhook_deliveries_total",
                "Webhook delivery attempts by subscriber and outcome: delivered (2xx), rejected (another status), \
                 timeout, refused (SSRF guard), tls, unreachable, unavailable (the event could not be made; retried), \
                 skipped (an event too large or no longer stored; not sent), filtered (no change passes the filters).",
                ["subscriber", "outcome"],
            ),
            retries: metrics.counter(
                "trustnode_webhook_retries_total",
                "Webhook retries scheduled after a failed attempt, by subscriber.",
                ["subscriber"],
            ),
        };
        let directory = config.server.data_dir.join(POSITIONS_DIR);
        std::fs::create_dir_all(&directory)
            .map_err(|source| WebhookSetupError::Directory { path: directory.clone(), source })?;
        let subscribers = config
            .feed
            .webhooks
            .iter()
            .map(|webhook| {
                let fail = |why: String| WebhookSetupError::Subscriber { name: webhook.name.clone(), why };
                let feed = feeds.get(&webhook.authority).ok_or_else(|| {
                    fail(format!("{} is not a registry this node hosts or mirrors", webhook.authority))
                })?;
                let position_file = directory.join(format!("{}.json", webhook.name));
                let acknowledged = read_position(&directory, &position_file, webhook, feed).map_err(fail)?;
                Ok(Arc::new(Subscriber {
                    name: webhook.name.clone(),
                    url: webhook.url.clone(),
                    feed: feed.clone(),
                    entity: webhook.entity.clone(),
                    action: webhook.action.clone(),
                    resource: webhook.resource.clone(),
                    secret: read_secret(webhook).map_err(fail)?,
                    acknowledged: AtomicU64::new(acknowledged),
                    position_file,
                    directory: directory.clone(),
                    poster: poster.clone(),
                    identity: identity.clone(),
                    retry: (
                        Duration::from_millis(config.feed.webhook_retry_min_ms),
                        Duration::from_millis(config.feed.webhook_retry_max_ms),
                    ),
                    metrics: families.clone(),
                }))
            })
            .collect::<Result<Vec<_>, WebhookSetupError>>()?;
        let lag = metrics.gauge(
            "trustnode_webhook_lag",
            "Events a webhook subscriber has yet to acknowledge (the sequence served minus its position).",
            ["subscriber"],
        );
        let watched: Vec<Weak<Subscriber>> = subscribers.iter().map(Arc::downgrade).collect();
        metrics.on_scrape(move || {
            for subscriber in watched.iter().filter_map(Weak::upgrade) {
                lag.set([&subscriber.name], subscriber.lag() as f64);
            }
        });
        Ok(Webhooks { subscribers, tasks: Mutex::new(Vec::new()) })
    }

    /// Starts one delivery task per subscriber.
    pub fn start(&self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.extend(self.subscribers.iter().map(|subscriber| tokio::spawn(subscriber.clone().run())));
    }

    /// Stops every delivery; an attempt in flight is abandoned and will be sent again after a restart.
    pub fn stop(&self) {
        for task in self.tasks.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            task.abort();
        }
    }
}

impl Drop for Webhooks {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The subscriber's secret, inline or from its file (trailing line breaks ignored).
fn read_secret(webhook: &WebhookConfig) -> Result<Vec<u8>, String> {
    let Some(path) = &webhook.secret_file else {
        return Ok(webhook.secret.as_ref().map(|secret| secret.bytes().to_vec()).unwrap_or_default());
    };
    let mut secret = std::fs::read(path).map_err(|error| format!("secret_file {}: {error}", path.display()))?;
    while secret.last().is_some_and(|byte| matches!(byte, b'\n' | b'\r')) {
        secret.pop();
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Err(format!("secret_file {} holds fewer than {MIN_SECRET_BYTES} bytes", path.display()));
    }
    Ok(secret)
}

/// The acknowledged sequence in the position file; without one (or with one of another registry), the sequence
/// served now, written at once so that events published before the first delivery are not missed after a restart.
fn read_position(directory: &Path, file: &Path, webhook: &WebhookConfig, feed: &Feed) -> Result<u64, String> {
    let kept = match std::fs::read(file) {
        Ok(bytes) => Some(
            serde_json::from_slice::<Position>(&bytes)
                .map_err(|error| format!("position file {}: {error}", file.display()))?,
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(format!("position file {}: {error}", file.display())),
    };
    if let Some(position) = kept.filter(|position| position.authority == webhook.authority) {
        return Ok(position.acknowledged);
    }
    let position = Position { authority: webhook.authority.clone(), acknowledged: feed.current_sequence() };
    write_position(directory, file, &position)?;
    Ok(position.acknowledged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum_with_half_of_it_jittered() {
        let (min, max) = (Duration::from_millis(100), Duration::from_millis(1000));
        for (retries, ceiling) in [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (40, 1000)] {
            let ceiling = Duration::from_millis(ceiling);
            assert_eq!(backoff(retries, min, max, 0), ceiling / 2, "retry {retries}, no jitter");
            for random in [1, 12_345, 987_654_321, u64::MAX / 3, u64::MAX] {
                let delay = backoff(retries, min, max, random);
                assert!(delay >= ceiling / 2 && delay <= ceiling, "retry {retries}: {delay:?}");
            }
        }
    }
}
