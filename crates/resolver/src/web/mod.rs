//! The did:web edge: [`WebResolver`] fetches DID documents over hardened HTTPS and keeps them in a sled cache that
//! keeps answering when origins fail.
//!
//! Order of a resolution: map the identifier (pure, `trustnode_did::web`), serve a fresh cache entry, otherwise join
//! or start the single fetch for that DID, which revalidates with the stored validators, stores the result, and
//! falls back to a stale copy when the origin is unavailable. HTTP routes and the CLI live elsewhere; the freshness
//! arithmetic lives in [`freshness`] and is pure.
//!
//! Choices (documented for operators):
//! - A document whose `id` is not the DID, that is not a JSON object, or that repeats a member name, is
//!   INVALID_DID_DOCUMENT; 404/410 is NOT_FOUND and is cached for `negative_ttl_s`; a redirect that leaves the
//!   origin (or too many, or one without a usable target) is NOT_FOUND, not cached; 5xx and 429 are INTERNAL_ERROR.
//! - No answer from the origin at all (a host refused by the SSRF guard, DNS saying the name does not exist or
//!   failing, connect failures, TLS failures, timeouts, dropped connections) is INTERNAL_ERROR with the one generic
//!   detail [`fetch::UNREACHABLE`], so callers cannot map internal names or scan ports; the precise reason is logged
//!   with the DID and counted by kind (`trustnode_did_web_upstream_errors_total`).
//! - An unavailable origin (DNS failure, connect, timeout, dropped connection, 5xx, 429) is covered by a usable
//!   stale copy; guard refusals, non-existent names, TLS failures, other 4xx, oversized bodies
//!   (INVALID_DID_DOCUMENT) and bad redirects are never papered over with one.
//! - `noCache` is honoured, but at most once per `no_cache_min_interval_s` per DID: within that interval of the
//!   origin's last confirmation the cached copy is served with `noCacheLimited: true`.
//! - The response's Content-Type is not checked (origins serve DID documents as `application/json`,
//!   `application/did+json` or `application/octet-stream` alike); the body must parse as a JSON object.
//! - The cache key is the DID alone: the stored document is the origin's, and `expandRelativeUrls` is applied on
//!   the way out.
//!
//! The same client, guard, origin turns and cache machinery ([`Tier`]) fetch status list credentials for the
//! verifier ([`status_list`]) and did:webvh logs ([`webvh`]), each into a cache of its own.

pub mod cache;
pub mod connect;
pub mod fetch;
pub mod flight;
pub mod freshness;
mod origins;
pub mod settings;
pub mod ssrf;
pub mod status_list;
pub mod webvh;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::{DidMethod, MethodCall, MethodOutcome, MethodTraits, ResolutionOptions, Validity};

use crate::web::settings::{CacheConfig, WebConfig};
use cache::{Entry, EntryBody, Store};
use fetch::{FetchError, FetchErrorKind, Fetched, Fetcher, ResponseHeaders, Target, Validators};
use flight::SingleFlight;
use freshness::{bypass_allowed, freshness, storage, Directives, Freshness, Storage};
use status_list::StatusLists;
use trustnode_did::document::Document;
use trustnode_did::error::{internal_error, invalid_did_document, not_found, ResolutionError};
use trustnode_did::web::{check_document, expand_relative_urls, locate};

/// Why the did:web resolver (and with it the status list fetcher) could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum WebSetupError {
    /// `web.extra_ca_file` is unreadable or holds no usable certificate, or TLS could not be configured.
    #[error("did:web TLS setup failed: {0}")]
    Tls(String),
    /// hickory could not build a resolver.
    #[error("did:web DNS setup failed: {0}")]
    Dns(String),
    /// Another process (normally a running node) has a cache open.
    #[error("the cache in {0} is in use by another trustnode process; stop it, or use its admin API")]
    Locked(PathBuf),
    /// Not even a fresh, empty cache could be created under the data directory.
    #[error("cannot create the cache in {path}: {source}")]
    Cache {
        /// The cache directory.
        path: PathBuf,
        /// What sled said.
        source: sled::Error,
    },
}

/// A cache operation (purge, flush) failed.
#[derive(Debug, thiserror::Error)]
#[error("did:web cache: {0}")]
pub struct CacheError(#[from] sled::Error);

/// Per-request did:web options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebOptions {
    /// `noCache=true`: go to the origin even if a fresh copy is cached (rate-limited per DID).
    pub no_cache: bool,
    /// `expandRelativeUrls=true`: make relative DID URLs in the document absolute.
    pub expand_relative_urls: bool,
}

/// A resolved did:web document.
#[derive(Debug, Clone, PartialEq)]
pub struct WebDocument {
    /// The DID document as served (with relative URLs expanded if asked).
    pub document: Document,
    /// `Last-Modified` of the origin's response as RFC 3339, for `didDocumentMetadata.updated`.
    pub updated: Option<String>,
}

/// How the cache took part in an answer; goes into `didResolutionMetadata.cache` (and, for status lists, into the
/// verifier's explanation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheStatus {
    /// Answered from the cache (fresh, stale, revalidated by a 304, or a cached NOT_FOUND).
    pub hit: bool,
    /// The answer is past its TTL, served because the origin failed.
    pub stale: bool,
    /// Seconds since the origin last confirmed the answer.
    pub age_seconds: u64,
    /// The answer's freshness lifetime in seconds (0: not stored, e.g. `no-store`).
    pub ttl_seconds: u64,
    /// The origin confirmed the cached copy with a 304 during this request.
    pub revalidated: bool,
    /// Why a stale copy was served: the error the origin's failure would have been (generic when no answer came).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale_reason: Option<String>,
    /// `noCache` was asked but the origin was contacted too recently; the cached copy was served instead.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_cache_limited: bool,
}

impl CacheStatus {
    fn fetched(ttl_seconds: u64) -> CacheStatus {
        CacheStatus {
            hit: false,
            stale: false,
            age_seconds: 0,
            ttl_seconds,
            revalidated: false,
            stale_reason: None,
            no_cache_limited: false,
        }
    }

    fn cached(entry: &Entry, now: u64) -> CacheStatus {
        CacheStatus {
            hit: true,
            age_seconds: freshness::age(entry.stored_at, now),
            ..CacheStatus::fetched(entry.ttl_s)
        }
    }

    /// A cached copy served at `now` whose freshness lifetime, as asked for, is `ttl_s`.
    fn cached_for(entry: &Entry, ttl_s: u64, now: u64) -> CacheStatus {
        CacheStatus { ttl_seconds: ttl_s, ..CacheStatus::cached(entry, now) }
    }
}

/// The result of one did:web resolution plus how the cache took part (`None` when it did not: invalid DIDs,
/// failures without a usable copy).
#[derive(Debug, Clone, PartialEq)]
pub struct WebOutcome {
    /// The document or the error.
    pub result: Result<WebDocument, ResolutionError>,
    /// Cache metadata.
    pub cache: Option<CacheStatus>,
}

impl WebOutcome {
    fn failed(error: ResolutionError) -> WebOutcome {
        WebOutcome { result: Err(error), cache: None }
    }
}

/// Counters of one cache (the did:web documents', or the status lists') since start, and its current size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheStats {
    /// Entries stored (documents, NOT_FOUND answers, status list credentials).
    pub entries: usize,
    /// Bytes the cache uses on disk.
    pub disk_bytes: u64,
    /// Answers served from a fresh entry without contacting the origin.
    pub hits: u64,
    /// Requests that needed the origin.
    pub misses: u64,
    /// Stale copies served because the origin failed.
    pub stale_served: u64,
    /// Requests actually sent to origins (after single flight).
    pub upstream_fetches: u64,
    /// 304 answers that refreshed an entry.
    pub revalidations: u64,
    /// Writes to the on-disk cache that failed (e.g. the data directory is full); the answers were served anyway.
    pub store_failures: u64,
    /// Times the on-disk cache reopened itself after failed writes (and could store again).
    pub reopens: u64,
    /// DIDs (or status list URLs) being fetched right now.
    pub in_flight: usize,
    /// Failed origin fetches by kind ([`FetchErrorKind::name`]), whether or not a stale copy covered them.
    pub upstream_errors: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    stale_served: AtomicU64,
    upstream_fetches: AtomicU64,
    revalidations: AtomicU64,
    store_failures: AtomicU64,
    /// Indexed by `FetchErrorKind as usize`, which is its place in [`FetchErrorKind::ALL`].
    fetch_errors: [AtomicU64; FetchErrorKind::ALL.len()],
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// One on-disk cache of fetched bodies with its single flight and counters: did:web documents keyed by DID, or
/// status list credentials keyed by URL. What a body means, and how it is served, is up to its user; how it is
/// fetched, stored, forgotten and counted is the same for both.
struct Tier<T> {
    /// What logs call it: "did:web", "status list".
    name: &'static str,
    store: Store,
    flights: SingleFlight<T>,
    counters: Counters,
}

impl<T: Clone> Tier<T> {
    /// Opens the store at `dir` (see [`Store::open`]).
    fn open(name: &'static str, dir: PathBuf, max_entries: usize) -> Result<Tier<T>, WebSetupError> {
        let store = Store::open(&dir, max_entries, unix_now()).map_err(|source| {
            if cache::is_locked(&source) {
                WebSetupError::Locked(dir.clone())
            } else {
                WebSetupError::Cache { path: dir.clone(), source }
            }
        })?;
        Ok(Tier { name, store, flights: SingleFlight::default(), counters: Counters::default() })
    }

    /// The status to serve `entry` with, without asking the origin, when it is fresh at `now` and `noCache` (if asked)
    /// may not bypass it yet; counts the hit. `None`: the origin is needed.
    fn fresh_hit(&self, entry: &Entry, no_cache: bool, now: u64, config: &CacheConfig) -> Option<CacheStatus> {
        if freshness(entry.stored_at, entry.ttl_s, now, config.max_stale_s) != Freshness::Fresh {
            return None;
        }
        if no_cache && bypass_allowed(Some(entry.stored_at), now, config.no_cache_min_interval_s) {
            return None;
        }
        bump(&self.counters.hits);
        Some(CacheStatus { no_cache_limited: no_cache, ..CacheStatus::cached(entry, now) })
    }

    /// Asks the origin, conditionally when `cached` has validators; counts the request and any failure by kind.
    /// Failures are for the caller to log (info, not warn: anyone who can ask for a DID or have a credential
    /// verified can cause them).
    async fn fetch(
        &self,
        fetcher: &Fetcher,
        target: &Target,
        cached: Option<&Entry>,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let validators = match cached {
            Some(Entry { body: EntryBody::Document { etag, last_modified, .. }, .. }) => {
                Validators { etag: etag.clone(), last_modified: last_modified.clone() }
            }
            _ => Validators::default(),
        };
        bump(&self.counters.upstream_fetches);
        let fetched = fetcher.fetch(target, &validators, max_bytes).await;
        if let Some(counter) =
            fetched.as_ref().err().and_then(|failure| self.counters.fetch_errors.get(failure.kind as usize))
        {
            bump(counter);
        }
        fetched
    }

    /// Applies the storage decision for a response's `Cache-Control`: keeps `body` for its TTL (0 included: such
    /// an entry is revalidated on every use), or forgets `key` on `no-store`. Returns the entry as confirmed now.
    fn store_response(
        &self,
        key: &str,
        cache_control: Option<&str>,
        body: EntryBody,
        now: u64,
        config: &CacheConfig,
    ) -> Entry {
        let decision = storage(Directives::parse(cache_control), config);
        let ttl_s = match decision {
            Storage::Keep { ttl_s } => ttl_s,
            Storage::Skip => 0,
        };
        let entry = Entry { stored_at: now, ttl_s, body };
        match decision {
            Storage::Keep { .. } => self.keep(key, &entry, now),
            Storage::Skip => self.forget(key),
        }
        entry
    }

    /// Stale-if-error: the status to serve a stored body with when `failure` left the origin unavailable and the
    /// body, fresh for `ttl_s`, is not older than `max_stale_s` past that; `None` when it may not stand in.
    fn stale_copy(
        &self,
        key: &str,
        entry: &Entry,
        ttl_s: u64,
        failure: &FetchError,
        now: u64,
        max_stale_s: u64,
    ) -> Option<CacheStatus> {
        let EntryBody::Document { .. } = &entry.body else { return None };
        let state = freshness(entry.stored_at, ttl_s, now, max_stale_s);
        if !failure.origin_unavailable || state == Freshness::Expired {
            return None;
        }
        bump(&self.counters.stale_served);
        tracing::info!(key, reason = %failure.reason, "serving a stale {} copy", self.name);
        Some(CacheStatus {
            stale: state == Freshness::Stale,
            stale_reason: Some(failure.detail.clone()),
            ..CacheStatus::cached_for(entry, ttl_s, now)
        })
    }

    /// Stores an entry; a failing cache is logged, never fatal to the answer.
    fn keep(&self, key: &str, entry: &Entry, now: u64) {
        if let Err(error) = self.store.put(key, entry, now) {
            bump(&self.counters.store_failures);
            tracing::warn!(key, %error, "cannot store a {} cache entry", self.name);
        }
    }

    /// Removes one key's entry (`Some`) or all entries (`None`) from the store and from `hot`, its parsed copies in
    /// memory; returns how many stored entries were removed.
    fn purge<V: Clone, W: quick_cache::Weighter<String, V> + Clone>(
        &self,
        key: Option<&str>,
        hot: &quick_cache::sync::Cache<String, V, W>,
    ) -> Result<usize, CacheError> {
        Ok(match key {
            // The store first: a lookup racing with this must not re-read the old entry after the memory copy
            // is dropped.
            Some(key) => {
                let removed = usize::from(self.store.remove(key)?);
                hot.remove(key);
                removed
            }
            None => {
                let removed = self.store.clear()?;
                hot.clear();
                removed
            }
        })
    }

    fn forget(&self, key: &str) {
        if let Err(error) = self.store.remove(key) {
            bump(&self.counters.store_failures);
            tracing::warn!(key, %error, "cannot remove a {} cache entry", self.name);
        }
    }

    fn stats(&self) -> CacheStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CacheStats {
            entries: self.store.len(),
            disk_bytes: self.store.size_on_disk(),
            hits: read(&self.counters.hits),
            misses: read(&self.counters.misses),
            stale_served: read(&self.counters.stale_served),
            upstream_fetches: read(&self.counters.upstream_fetches),
            revalidations: read(&self.counters.revalidations),
            store_failures: read(&self.counters.store_failures),
            reopens: self.store.reopens(),
            in_flight: self.flights.len(),
            upstream_errors: FetchErrorKind::ALL
                .iter()
                .zip(&self.counters.fetch_errors)
                .map(|(kind, counter)| (kind.name(), read(counter)))
                .collect(),
        }
    }
}

/// The did:web resolver: fetcher, cache and single flight, and the status list fetcher that shares its client.
/// `Send + Sync`; share it as an `Arc`.
pub struct WebResolver {
    /// Shared with the did:webvh resolver: one client, one set of origin turns.
    fetcher: Arc<Fetcher>,
    documents: Tier<WebOutcome>,
    /// Parsed copies of recently served entries, in front of sled: a hit costs no decoding or JSON parsing.
    /// Every write to the store replaces or drops the DID's copy here.
    hot: quick_cache::sync::Cache<String, Arc<HotEntry>>,
    cache: CacheConfig,
    max_document_bytes: usize,
    status_lists: StatusLists,
}

impl std::fmt::Debug for WebResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebResolver").field("entries", &self.documents.store.len()).finish_non_exhaustive()
    }
}

impl WebResolver {
    /// Builds the resolver and opens the caches at `<data_dir>/cache` (DID documents) and
    /// `<data_dir>/status-lists` (status list credentials). A corrupt or unopenable cache directory is moved aside
    /// with a warning and an empty cache is used; on a full file system a cache starts closed and opens once writes
    /// succeed. Only a bad `extra_ca_file`, a DNS setup failure, or a data directory where not even an empty cache
    /// can be created are errors.
    pub fn open(web: &WebConfig, cache: &CacheConfig, data_dir: &Path) -> Result<WebResolver, WebSetupError> {
        let tls = connect::tls_config(&web.extra_ca_file).map_err(WebSetupError::Tls)?;
        let connector = connect::GuardedConnector::new(
            tls,
            web.host_overrides.clone(),
            web.allow_private_addresses,
            Duration::from_millis(web.connect_timeout_ms),
        )
        .map_err(|e| WebSetupError::Dns(e.to_string()))?;
        let fetcher = Fetcher::new(connector, Duration::from_millis(web.timeout_ms), web.max_fetches_per_origin);
        let fetcher = Arc::new(fetcher);
        Ok(WebResolver {
            fetcher,
            documents: Tier::open("did:web", data_dir.join("cache"), cache.max_entries)?,
            hot: quick_cache::sync::Cache::new(HOT_ENTRIES.min(cache.max_entries)),
            cache: cache.clone(),
            max_document_bytes: web.max_document_bytes,
            status_lists: StatusLists::open(web, data_dir)?,
        })
    }

    /// Resolves `did` (whose method-specific identifier is `method_specific_id`).
    pub async fn resolve(&self, did: &str, method_specific_id: &str, options: &WebOptions) -> WebOutcome {
        let location = match locate(method_specific_id) {
            Ok(location) => location,
            Err(error) => return WebOutcome::failed(error),
        };
        let now = unix_now();
        let cached = self.lookup(did);
        if let Some(hot) = &cached {
            if let Some(status) = self.documents.fresh_hit(&hot.entry, options.no_cache, now, &self.cache) {
                return finish(hot.outcome(status), did, options);
            }
        }
        bump(&self.documents.counters.misses);
        let cached = cached.map(|hot| hot.entry.clone());
        let target = Target::did_web(&location);
        let outcome = self.documents.flights.run(did, || self.refresh(did, &target, cached, now)).await;
        finish(outcome, did, options)
    }

    /// Admin invalidation: removes one DID's entry (`Some`) or all entries (`None`); returns how many were removed.
    pub fn purge(&self, did: Option<&str>) -> Result<usize, CacheError> {
        self.documents.purge(did, &self.hot)
    }

    /// The entry for `did`: the parsed copy if there is one, else the stored entry, parsed and remembered.
    /// An entry whose document no longer parses is dropped.
    fn lookup(&self, did: &str) -> Option<Arc<HotEntry>> {
        if let Some(hot) = self.hot.get(did) {
            return Some(hot);
        }
        let entry = self.documents.store.get(did)?;
        match HotEntry::parse(entry) {
            Ok(hot) => {
                let hot = Arc::new(hot);
                self.hot.insert(did.to_owned(), Arc::clone(&hot));
                Some(hot)
            }
            Err(error) => {
                tracing::warn!(did, %error, "dropping a did:web cache entry whose document cannot be read back");
                self.forget(did);
                None
            }
        }
    }

    /// Current size and counters of the did:web cache.
    pub fn stats(&self) -> CacheStats {
        self.documents.stats()
    }

    /// Writes the caches to disk; call on clean shutdown so entries survive a restart.
    pub fn flush(&self) -> Result<(), CacheError> {
        self.documents.store.flush()?;
        self.status_lists.tier.store.flush()?;
        Ok(())
    }

    /// Asks the origin (conditionally if a copy is stored) and updates the cache.
    async fn refresh(&self, did: &str, target: &Target, cached: Option<Entry>, now: u64) -> WebOutcome {
        let fetched = self.documents.fetch(&self.fetcher, target, cached.as_ref(), self.max_document_bytes).await;
        match fetched {
            Ok(Fetched::Body { body, headers }) => self.accept_document(did, body, headers, now),
            Ok(Fetched::NotModified(headers)) => self.accept_not_modified(did, cached, headers, now),
            Ok(Fetched::Gone(status)) => {
                let error = not_found(format!("{} answered HTTP {status}", target.url));
                let entry = Entry {
                    stored_at: now,
                    ttl_s: self.cache.negative_ttl_s,
                    body: EntryBody::NotFound { detail: error.detail.clone() },
                };
                self.keep(did, &entry, now);
                WebOutcome { result: Err(error), cache: Some(CacheStatus::fetched(entry.ttl_s)) }
            }
            Err(failure) => {
                tracing::info!(did, kind = failure.kind.name(), reason = %failure.reason, "did:web fetch failed");
                self.fall_back(did, cached, failure, now)
            }
        }
    }

    fn accept_document(&self, did: &str, body: Vec<u8>, headers: ResponseHeaders, now: u64) -> WebOutcome {
        let document = match check_document(did, &body) {
            Ok(document) => document,
            Err(error) => return WebOutcome::failed(error),
        };
        let Ok(text) = String::from_utf8(body) else {
            return WebOutcome::failed(invalid_did_document("the DID document is not UTF-8"));
        };
        let updated = headers.validators.last_modified.as_deref().and_then(freshness::http_date_to_rfc3339);
        let Validators { etag, last_modified } = headers.validators;
        let body = EntryBody::Document { text, etag, last_modified };
        let entry = self.store_response(did, headers.cache_control.as_deref(), body, now);
        let document = Document::new(document);
        WebOutcome { result: Ok(WebDocument { document, updated }), cache: Some(CacheStatus::fetched(entry.ttl_s)) }
    }

    fn accept_not_modified(&self, did: &str, cached: Option<Entry>, headers: ResponseHeaders, now: u64) -> WebOutcome {
        let Some(Entry { body: EntryBody::Document { text, etag, last_modified }, .. }) = cached else {
            return WebOutcome::failed(internal_error("the origin answered 304 to a request that was not conditional"));
        };
        bump(&self.documents.counters.revalidations);
        // A 304 may carry updated validators; keep the old ones where it does not.
        let body = EntryBody::Document {
            text,
            etag: headers.validators.etag.or(etag),
            last_modified: headers.validators.last_modified.or(last_modified),
        };
        let entry = self.store_response(did, headers.cache_control.as_deref(), body, now);
        self.serve(did, &entry, CacheStatus { revalidated: true, ..CacheStatus::cached(&entry, now) })
    }

    /// The document entry as confirmed now, stored (or forgotten) as its `Cache-Control` says.
    fn store_response(&self, did: &str, cache_control: Option<&str>, body: EntryBody, now: u64) -> Entry {
        let entry = self.documents.store_response(did, cache_control, body, now, &self.cache);
        self.hot.remove(did);
        entry
    }

    /// Stale-if-error: an unavailable origin is covered by a stored document not older than `max_stale_s` past
    /// expiry; any other failure, or no such copy, is reported as is.
    fn fall_back(&self, did: &str, cached: Option<Entry>, failure: FetchError, now: u64) -> WebOutcome {
        if let Some(entry) = &cached {
            if let Some(status) =
                self.documents.stale_copy(did, entry, entry.ttl_s, &failure, now, self.cache.max_stale_s)
            {
                return self.serve(did, entry, status);
            }
        }
        WebOutcome::failed(resolution_error(failure))
    }

    /// The outcome for an entry just confirmed or refreshed.
    fn serve(&self, did: &str, entry: &Entry, status: CacheStatus) -> WebOutcome {
        match HotEntry::parse(entry.clone()) {
            Ok(hot) => hot.outcome(status),
            Err(error) => {
                self.forget(did);
                WebOutcome::failed(internal_error(format!("a cached document could not be read back: {error}")))
            }
        }
    }

    /// Stores an entry; a failing cache is logged, never fatal to the resolution.
    fn keep(&self, did: &str, entry: &Entry, now: u64) {
        self.documents.keep(did, entry, now);
        self.hot.remove(did);
    }

    fn forget(&self, did: &str) {
        self.documents.forget(did);
        self.hot.remove(did);
    }
}

/// A failed did:web fetch as the resolution error the client sees: a redirect the node does not follow means the
/// document is not where the DID says (NOT_FOUND, not an internal error: nothing failed on this side), an oversized
/// body is not a usable document, and everything else is INTERNAL_ERROR.
fn resolution_error(failure: FetchError) -> ResolutionError {
    match failure.kind {
        FetchErrorKind::Redirect => not_found(failure.detail),
        FetchErrorKind::TooLarge => invalid_did_document(failure.detail),
        _ => internal_error(failure.detail),
    }
}

/// Applies the per-request options to a shared outcome.
fn finish(mut outcome: WebOutcome, did: &str, options: &WebOptions) -> WebOutcome {
    if let (true, Ok(resolved)) = (options.expand_relative_urls, &mut outcome.result) {
        let mut document = resolved.document.value().clone();
        expand_relative_urls(&mut document, did);
        resolved.document = Document::new(document);
    }
    outcome
}

/// Most parsed entries kept in memory (bounded by `cache.max_entries` too).
const HOT_ENTRIES: usize = 10_000;

/// A stored entry with its document parsed and serialized once.
struct HotEntry {
    entry: Entry,
    /// The parsed document and its `updated` metadata; `None` for a cached NOT_FOUND.
    document: Option<(Document, Option<String>)>,
}

impl HotEntry {
    fn parse(entry: Entry) -> Result<HotEntry, serde_json::Error> {
        let document = match &entry.body {
            EntryBody::NotFound { .. } => None,
            EntryBody::Document { text, last_modified, .. } => Some((
                Document::new(serde_json::from_str(text)?),
                last_modified.as_deref().and_then(freshness::http_date_to_rfc3339),
            )),
        };
        Ok(HotEntry { entry, document })
    }

    fn outcome(&self, status: CacheStatus) -> WebOutcome {
        let result = match (&self.document, &self.entry.body) {
            (Some((document, updated)), _) => Ok(WebDocument { document: document.clone(), updated: updated.clone() }),
            (None, EntryBody::NotFound { detail }) => Err(not_found(detail.clone())),
            (None, EntryBody::Document { .. }) => Err(internal_error("a cached document was not parsed")),
        };
        WebOutcome { result, cache: Some(status) }
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

/// Cached documents can change, and their identifiers are domain names.
const WEB_TRAITS: MethodTraits = MethodTraits {
    updatable: true,
    deactivatable: true,
    enumerable: false,
    history_available: false,
    human_readable: true,
};

impl DidMethod for WebResolver {
    fn name(&self) -> &'static str {
        "web"
    }

    fn resolve<'a>(
        &'a self,
        did: &'a str,
        method_specific_id: &'a str,
        options: &'a ResolutionOptions,
    ) -> MethodCall<'a> {
        MethodCall::Pending(Box::pin(async move {
            let web_options =
                WebOptions { no_cache: options.no_cache, expand_relative_urls: options.expand_relative_urls };
            let outcome = WebResolver::resolve(self, did, method_specific_id, &web_options).await;
            method_outcome(outcome)
        }))
    }

    fn test_identifiers(&self) -> &'static [&'static str] {
        &["did:web:w3c-ccg.github.io"]
    }

    fn traits(&self) -> MethodTraits {
        WEB_TRAITS
    }

    fn fetches(&self) -> bool {
        true
    }

    /// The host, with its `%3A`-encoded port: the first segment of the method-specific id.
    fn origin<'a>(&self, method_specific_id: &'a str) -> Option<&'a str> {
        method_specific_id.split(':').next()
    }
}

/// An answer's validity and repeatability from how the cache took part: the entry's remaining lifetime (unknown
/// for a stale copy or without the cache), repeatable within its second only when it came fresh from the cache
/// with more than a second left.
fn cache_validity(status: Option<&CacheStatus>) -> (Validity, bool) {
    let Some(status) = status.filter(|status| !status.stale) else { return (Validity::Unknown, false) };
    let remaining = status.ttl_seconds.saturating_sub(status.age_seconds);
    (Validity::Seconds(remaining), status.hit && !status.revalidated && !status.no_cache_limited && remaining > 1)
}

/// A did:web outcome in the resolver's terms (see [`cache_validity`]).
fn method_outcome(outcome: WebOutcome) -> MethodOutcome {
    let (validity, repeatable) = cache_validity(outcome.cache.as_ref());
    let mut extra_metadata = serde_json::Map::new();
    if let Some(cache) = outcome.cache.and_then(|status| serde_json::to_value(status).ok()) {
        extra_metadata.insert("cache".into(), cache);
    }
    let mut document_metadata = serde_json::Map::new();
    let document = outcome.result.map(|fetched| {
        if let Some(updated) = fetched.updated {
            document_metadata.insert("updated".into(), updated.into());
        }
        fetched.document
    });
    MethodOutcome { document, validity, repeatable, document_metadata, extra_metadata }
}
