//! The composition root: the node's shared state ([`NodeState`]) built from a [`Config`] (data directory,
//! resolver, hosted and mirrored registries, identity, telemetry), its background tasks, and a clean close. Used by
//! `serve`, by the commands that only resolve, and by the tests that run a node in-process.
//!
//! The state belongs to the node, not to the HTTP layer: the HTTP layer holds an `Arc<NodeState>` and reads it.

use std::sync::{Arc, Weak};

use crate::clock;
use crate::config::Config;
use crate::feed::Feeds;
use crate::hosting::Registries;
use crate::identity::NodeIdentity;
use crate::mirror::Mirrors;
use crate::telemetry::metrics::{Family, Metrics};
use crate::telemetry::readiness::Readiness;
use crate::telemetry::trqp_batches::TrqpBatchMetrics;
use crate::verifier::{Grounds, ProofMemo};
use crate::webhooks::Webhooks;
use trustnode_credential::contexts::ContextSet;
use trustnode_resolver::web::webvh::WebVhResolver;
use trustnode_resolver::web::{CacheStats, WebResolver};
use trustnode_resolver::{computed, DidMethod, Resolver};

/// Everything the node serves from, shared by the HTTP handlers and the background tasks.
#[derive(Debug)]
pub struct NodeState {
    /// The node configuration.
    pub config: Config,
    /// The DID resolver (shared with the mirrors' pollers).
    pub resolver: Arc<Resolver>,
    /// The hosted trust registries.
    pub registries: Registries,
    /// Their change feeds.
    pub feeds: Feeds,
    /// The subscribers their events are pushed to.
    pub webhooks: Webhooks,
    /// Metrics; other parts of the node register their families here.
    pub metrics: Metrics,
    /// TRQP batches and their queries answered.
    pub trqp_batches: TrqpBatchMetrics,
    /// Readiness conditions; other parts of the node add theirs here.
    pub readiness: Readiness,
    /// The mirrored registries' pollers and status.
    pub mirrors: Mirrors,
    /// The node's own DID and signing key (shared with the webhook deliveries, which sign with it).
    pub identity: Arc<NodeIdentity>,
    /// The JSON-LD contexts credentials may name (bundled plus `credentials.contexts`).
    pub contexts: ContextSet,
    /// Proofs the verifier has verified, so the same credential verifies again without canonicalization.
    pub proof_memo: ProofMemo,
    /// RDF canonicalizations that may run at once: one per core.
    pub canonicalizations: tokio::sync::Semaphore,
}

impl NodeState {
    /// What the credential verifier works from.
    pub fn verification_grounds(&self) -> Grounds<'_> {
        Grounds {
            resolver: &self.resolver,
            registries: &self.registries,
            config: &self.config.credentials,
            contexts: &self.contexts,
            memo: &self.proof_memo,
            canonicalizations: &self.canonicalizations,
        }
    }
}

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The configured directory.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A hosted registry could not be opened.
    #[error(transparent)]
    Registries(#[from] crate::hosting::HostingError),
    /// The did:web resolver (TLS roots, DNS, cache) could not be set up.
    #[error(transparent)]
    Web(#[from] trustnode_resolver::web::WebSetupError),
    /// The mirrors' HTTPS client could not be set up.
    #[error(transparent)]
    Mirroring(#[from] crate::mirror::upstream::ClientSetupError),
    /// The node's own key or DID is unusable.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    /// A webhook subscriber cannot be set up.
    #[error(transparent)]
    Webhooks(#[from] crate::webhooks::WebhookSetupError),
    /// A context file of `credentials.contexts` is unreadable or no context.
    #[error(transparent)]
    Contexts(#[from] crate::verifier::ContextsError),
}

/// Opens everything the node serves from.
pub async fn open(config: Config) -> Result<NodeState, NodeError> {
    let contexts = crate::verifier::load_contexts(&config.credentials)?;
    let resolver = open_resolver(&config)?;
    let identity = NodeIdentity::load(&config.node, &config.server.data_dir)?;
    identity.check_published(&resolver).await?;
    tracing::info!(did = identity.did(), "node identity");
    let registries = Registries::open(&config.registries, &config.server.data_dir, &resolver).await?;
    let metrics = Metrics::new(resolver.methods().map(|method| method.name()).collect());
    let readiness = Readiness::default();
    for warning in crate::exposure::warnings(&config, registries.iter().map(|registry| registry.authority_id())) {
        tracing::warn!("UNSAFE CONFIGURATION: {warning}");
        readiness.warn(warning);
    }
    let mirrors = Mirrors::new(&config, &registries, &metrics, &readiness)?;
    let proof_memo = ProofMemo::new(config.credentials.proof_memo_entries);
    let feeds = Feeds::new(&registries, &config.feed, &metrics);
    let identity = Arc::new(identity);
    let webhooks = Webhooks::new(&config, &feeds, &identity, &metrics)?;
    let trqp_batches = TrqpBatchMetrics::register(&metrics);
    Ok(NodeState {
        resolver: Arc::new(resolver),
        trqp_batches,
        feeds,
        webhooks,
        registries,
        config,
        metrics,
        readiness,
        mirrors,
        identity,
        contexts,
        proof_memo,
        canonicalizations: tokio::sync::Semaphore::new(cores()),
    })
}

/// The cores this process may use (1 when that cannot be told).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Only the resolver, for commands that verify or resolve without being a node (no node key is created).
pub fn open_resolver(config: &Config) -> Result<Resolver, NodeError> {
    let data_dir = &config.server.data_dir;
    std::fs::create_dir_all(data_dir).map_err(|source| NodeError::DataDir { path: data_dir.clone(), source })?;
    let computed = computed::key_and_jwk(config.resolver.memo_entries);
    let enabled = |name: &str| config.resolver.methods.iter().any(|method| method == name);
    // did:webvh fetches with did:web's client (one SSRF guard, one set of origin turns), so either needs it.
    let web = match enabled("web") || enabled("webvh") {
        true => Some(Arc::new(WebResolver::open(&config.web, &config.cache, data_dir)?)),
        false => None,
    };
    let mut methods: Vec<Arc<dyn DidMethod>> = Vec::new();
    for name in &config.resolver.methods {
        if let Some(method) = computed.iter().find(|method| method.name() == name) {
            methods.push(method.clone());
        } else if let (Some(web), "web") = (&web, name.as_str()) {
            methods.push(web.clone());
        } else if let (Some(web), "webvh") = (&web, name.as_str()) {
            methods.push(Arc::new(WebVhResolver::open(web, &config.web, &config.cache, data_dir)?));
        }
    }
    Ok(Resolver::new(methods))
}

/// Starts the node's background work (the mirrors' polling, the webhook deliveries) and the metrics read at each
/// scrape; all stop when the last reference to `state` is dropped.
pub fn start_background(state: &Arc<NodeState>) {
    state.mirrors.start(Arc::downgrade(&state.resolver));
    state.webhooks.start();
    register_cache_metrics(&state.metrics, Arc::downgrade(&state.resolver));
    register_registry_metrics(state);
}

/// Stops the webhook deliveries and flushes what must survive a restart. Called once after the server has stopped.
pub fn close(state: &NodeState) {
    state.webhooks.stop();
    close_resolver(&state.resolver);
}

/// Flushes the resolver's did:web and did:webvh caches.
pub(crate) fn close_resolver(resolver: &Resolver) {
    if let Some(web) = resolver.method::<WebResolver>() {
        if let Err(error) = web.flush() {
            tracing::warn!(%error, "the did:web cache could not be flushed; recent entries may be refetched");
        }
    }
    if let Some(webvh) = resolver.method::<WebVhResolver>() {
        if let Err(error) = webvh.flush() {
            tracing::warn!(%error, "the did:webvh cache could not be flushed; recent logs may be refetched");
        }
    }
}

/// The did:web cache and the status list cache as families read from their statistics at each scrape.
fn register_cache_metrics(metrics: &Metrics, resolver: Weak<Resolver>) {
    let did_web = CacheFamilies::register(metrics, &DID_WEB_CACHE);
    let status_lists = CacheFamilies::register(metrics, &STATUS_LIST_CACHE);
    let did_webvh = CacheFamilies::register(metrics, &DID_WEBVH_CACHE);
    let rewrites = metrics.counter(
        "trustnode_did_webvh_history_rewrites_total",
        "did:webvh logs refused because they rewrote the verified history the node holds (the last verified log \
         keeps being served, flagged); each refetch that still finds the rewrite counts.",
        [],
    );
    metrics.on_scrape(move || {
        let Some(resolver) = resolver.upgrade() else { return };
        if let Some(web) = resolver.method::<WebResolver>() {
            did_web.set(&web.stats());
            status_lists.set(&web.status_list_stats());
        }
        if let Some(webvh) = resolver.method::<WebVhResolver>() {
            did_webvh.set(&webvh.stats());
            rewrites.set([], webvh.history_rewrites() as f64);
        }
    });
}

/// Names and help texts of one cache's metric families.
struct CacheMetricNames {
    events: (&'static str, &'static str),
    entries: (&'static str, &'static str),
    disk: (&'static str, &'static str),
    in_flight: (&'static str, &'static str),
    errors: (&'static str, &'static str),
}

const DID_WEB_CACHE: CacheMetricNames = CacheMetricNames {
    events: (
        "trustnode_did_web_cache_events_total",
        "did:web cache events: hit (fresh copy served), miss (origin needed), stale (stale copy served because the \
         origin failed), fetch (request sent to an origin), revalidated (origin answered 304), store_failed (a write to \
         the on-disk cache failed, e.g. a full data directory; the answer was served anyway), reopened (the on-disk cache \
         reopened itself after failed writes and stores again).",
    ),
    entries: ("trustnode_did_web_cache_entries", "did:web cache entries (documents and NOT_FOUND)."),
    disk: ("trustnode_did_web_cache_disk_bytes", "Bytes the did:web cache uses on disk."),
    in_flight: ("trustnode_did_web_fetches_in_flight", "DIDs being fetched from origins now."),
    errors: (
        "trustnode_did_web_upstream_errors_total",
        "Failed did:web origin fetches by kind (whether or not a stale copy covered them).",
    ),
};

const STATUS_LIST_CACHE: CacheMetricNames = CacheMetricNames {
    events: (
        "trustnode_status_list_cache_events_total",
        "Status list cache events, as for trustnode_did_web_cache_events_total: hit, miss, stale, fetch, revalidated, \
         store_failed, reopened.",
    ),
    entries: ("trustnode_status_list_cache_entries", "Status list credentials in their cache."),
    disk: ("trustnode_status_list_cache_disk_bytes", "Bytes the status list cache uses on disk."),
    in_flight: ("trustnode_status_list_fetches_in_flight", "Status list URLs being fetched from origins now."),
    errors: (
        "trustnode_status_list_upstream_errors_total",
        "Failed status list fetches by kind (whether or not a stale copy covered them).",
    ),
};

const DID_WEBVH_CACHE: CacheMetricNames = CacheMetricNames {
    events: (
        "trustnode_did_webvh_cache_events_total",
        "did:webvh log cache events, as for did:web: hit, miss, stale, fetch (logs and witness files), revalidated, \
         store_failed, reopened.",
    ),
    entries: ("trustnode_did_webvh_cache_entries", "Verified did:webvh logs in their cache."),
    disk: ("trustnode_did_webvh_cache_disk_bytes", "Bytes the did:webvh cache uses on disk."),
    in_flight: ("trustnode_did_webvh_fetches_in_flight", "did:webvh DIDs being fetched from origins now."),
    errors: (
        "trustnode_did_webvh_upstream_errors_total",
        "Failed did:webvh origin fetches (logs and witness files) by kind (whether or not a stale copy covered them).",
    ),
};

/// One cache's metric families.
struct CacheFamilies {
    events: Arc<Family<1>>,
    entries: Arc<Family<0>>,
    disk: Arc<Family<0>>,
    in_flight: Arc<Family<0>>,
    errors: Arc<Family<1>>,
}

impl CacheFamilies {
    fn register(metrics: &Metrics, names: &CacheMetricNames) -> CacheFamilies {
        CacheFamilies {
            events: metrics.counter(names.events.0, names.events.1, ["event"]),
            entries: metrics.gauge(names.entries.0, names.entries.1, []),
            disk: metrics.gauge(names.disk.0, names.disk.1, []),
            in_flight: metrics.gauge(names.in_flight.0, names.in_flight.1, []),
            errors: metrics.counter(names.errors.0, names.errors.1, ["kind"]),
        }
    }

    fn set(&self, stats: &CacheStats) {
        for (event, count) in [
            ("hit", stats.hits),
            ("miss", stats.misses),
            ("stale", stats.stale_served),
            ("fetch", stats.upstream_fetches),
            ("revalidated", stats.revalidations),
            ("store_failed", stats.store_failures),
            ("reopened", stats.reopens),
        ] {
            self.events.set([event], count as f64);
        }
        self.entries.set([], stats.entries as f64);
        self.disk.set([], stats.disk_bytes as f64);
        self.in_flight.set([], stats.in_flight as f64);
        for (kind, count) in &stats.upstream_errors {
            self.errors.set([kind], *count as f64);
        }
    }
}

/// The served snapshot of every hosted registry, read at each scrape. A registry with no snapshot yet has no series.
fn register_registry_metrics(state: &Arc<NodeState>) {
    let metrics = &state.metrics;
    let sequence =
        metrics.gauge("trustnode_registry_sequence", "Sequence of the snapshot served, by authority.", ["authority"]);
    let age = metrics.gauge(
        "trustnode_registry_age_seconds",
        "Seconds since the served snapshot was issued (its `issued`), by authority.",
        ["authority"],
    );
    let stale = metrics.gauge(
        "trustnode_registry_stale",
        "1 when the served snapshot is past its `next_update` (answers are flagged stale), else 0; by authority.",
        ["authority"],
    );
    // Weak: the hook lives in the state's own metrics.
    let node = Arc::downgrade(state);
    metrics.on_scrape(move || {
        let Some(state) = node.upgrade() else { return };
        let Ok(now) = clock::now() else { return };
        for registry in state.registries.iter() {
            let Some(published) = registry.current() else { continue };
            let snapshot = published.snapshot();
            let content = snapshot.snapshot();
            let authority = [registry.authority_id()];
            sequence.set(authority, content.sequence as f64);
            age.set(authority, now.unix_seconds().saturating_sub(content.issued.unix_seconds()) as f64);
            stale.set(authority, if snapshot.is_stale(now) { 1.0 } else { 0.0 });
        }
    });
}
