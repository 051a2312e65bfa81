//! did:webvh as a method of the resolver: [`WebVhResolver`] fetches a DID's `did.jsonl` (and `did-witness.json`
//! when the log configures witnesses) with the did:web client — the same SSRF guard, per-origin turns, timeouts,
//! same-origin redirects and size bounds — has the pure core (`trustnode_webvh`) verify every entry, and answers the
//! version asked for (`versionId`, `versionTime`, `versionNumber`, or the latest) with the core's document metadata.
//!
//! Cache (`<data_dir>/webvh-cache`, a [`Tier`] of its own): per DID, the text of the last log that verified in full
//! and its witness file, with the log's HTTP validators; in memory, the verified history parsed from it. An entry is
//! fresh for the log's `ttl` parameter, at most `cache.max_ttl_s`; `ttl: 0` keeps the log only to check the next
//! one against (every resolution asks the origin, conditionally). Choices (also in `docs/did-webvh.md`):
//! - **Append-only.** A log fetched again must extend the stored history (the same `versionId`s, then new ones). One
//!   that does not is a rewritten history: the stored log keeps being served, `didResolutionMetadata.webvh` says
//!   so (`historyRewritten`, `firstDifferingVersionId`, `detected`), the rewrite is counted and logged as a warning,
//!   and the flag stays, across restarts, until an operator purges the DID.
//! - **Failures are not cached.** A log that fails verification is refused with the core's error (entry and rule);
//!   one whose tail fails still answers explicit queries for its valid prefix, unstored. An unavailable origin is
//!   covered by the stored log like did:web's stale-if-error; other failures never are.
//! - **Deactivated.** A deactivating version has no document: the answer is a document holding only the DID's `id`
//!   with `deactivated: true` in the metadata (rendered as 410 Gone), as for earlier versions of a deactivated DID.
//! - **Restart.** Stored logs are verified again when first read back: the cache is not trusted more than an origin.
//!
//! Must not: parse or verify logs itself (the core does), or fetch with a client of its own.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustnode_did::document::Document;
use trustnode_did::error::{internal_error, invalid_did_document, invalid_options, not_found, ResolutionError};
use trustnode_did::web::expand_relative_urls;
use trustnode_webvh::{locate, History, Limits, Location, Log, VersionQuery, SUPPORTED_VERSIONS};

use super::cache::{Entry, EntryBody};
use super::fetch::{FetchError, Fetched, Fetcher, ResponseHeaders, Subject, Target, Validators, UNREACHABLE};
use super::settings::{CacheConfig, WebConfig};
use super::{bump, cache_validity, resolution_error, unix_now, CacheError, CacheStats, CacheStatus, Tier};
use super::{WebResolver, WebSetupError};
use crate::{DidMethod, MethodCall, MethodOutcome, MethodTraits, ResolutionOptions, Validity};

const LOG: Subject = Subject {
    what: "the did:webvh log",
    origin: "the DID's origin",
    unreachable: UNREACHABLE,
    accept: "text/jsonl, application/jsonl;q=0.9, */*;q=0.1",
};

const WITNESS_FILE: Subject = Subject {
    what: "the did:webvh witness file",
    origin: "the DID's origin",
    unreachable: UNREACHABLE,
    accept: "application/json, */*;q=0.1",
};

/// A history rewrite the origin served: the stored log was kept instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rewrite {
    /// The first stored `versionId` the origin's log no longer has at its place.
    pub first_differing_version_id: String,
    /// When the rewrite was first seen (RFC 3339).
    pub detected: String,
}

/// What is stored per DID, as the text of a cache entry.
#[derive(Debug, Serialize, Deserialize)]
struct StoredLog {
    log: String,
    witness: Option<String>,
    rewrite: Option<Rewrite>,
}

/// A verified log in memory: the versions with their documents serialized once, shared by every answer.
struct Versions {
    history: History,
    /// Version n's document at index n - 1; a deactivating version's is the bare `{"id": did}`.
    documents: Vec<Document>,
}

/// A log as cached (or as just fetched, when its tail failed and it is not stored).
struct VerifiedLog {
    entry: Entry,
    versions: Arc<Versions>,
    rewrite: Option<Rewrite>,
}

/// Most memory the parsed logs in front of the cache may take, estimated by [`LogWeight`]: without it, 10,000 logs
/// of `web.max_webvh_log_bytes` (4 MiB) each could be held at once.
const HOT_LOG_BYTES: u64 = 256 << 20;

/// Estimates the memory a parsed log holds from its stored text: the history and the documents parsed from it
/// take about twice the text again.
#[derive(Debug, Clone, Copy)]
struct LogWeight;

impl quick_cache::Weighter<String, Arc<VerifiedLog>> for LogWeight {
    fn weight(&self, did: &String, log: &Arc<VerifiedLog>) -> u64 {
        let text = match &log.entry.body {
            EntryBody::Document { text, .. } => text.len(),
            EntryBody::NotFound { detail } => detail.len(),
        };
        (3 * text + did.len()) as u64 + 1024
    }
}

/// One fetch's result, shared by every caller that waited on it.
#[derive(Clone)]
struct LogOutcome {
    result: Result<Arc<VerifiedLog>, ResolutionError>,
    cache: Option<CacheStatus>,
}

impl LogOutcome {
    fn failed(error: ResolutionError) -> LogOutcome {
        LogOutcome { result: Err(error), cache: None }
    }
}

/// The did:webvh resolver: the did:web client, a cache of verified logs and the rewrites seen. `Send + Sync`.
pub struct WebVhResolver {
    fetcher: Arc<Fetcher>,
    logs: Tier<LogOutcome>,
    /// Verified histories of recently served DIDs, in front of sled: a hit neither decodes nor verifies. Bounded
    /// by weight ([`HOT_LOG_BYTES`]) as well as by count: a log may be megabytes.
    hot: quick_cache::sync::Cache<String, Arc<VerifiedLog>, LogWeight>,
    cache: CacheConfig,
    limits: Limits,
    rewrites: AtomicU64,
}

impl std::fmt::Debug for WebVhResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebVhResolver").field("entries", &self.logs.store.len()).finish_non_exhaustive()
    }
}

impl WebVhResolver {
    /// Opens the cache at `<data_dir>/webvh-cache` (bounded by `cache.max_entries`); logs are fetched with `web`'s
    /// client and bounded by `web.max_webvh_log_bytes` and `web.max_webvh_log_entries` (the witness file too).
    pub fn open(
        web: &WebResolver,
        config: &WebConfig,
        cache: &CacheConfig,
        data_dir: &Path,
    ) -> Result<WebVhResolver, WebSetupError> {
        Ok(WebVhResolver {
            fetcher: Arc::clone(&web.fetcher),
            logs: Tier::open("did:webvh", data_dir.join("webvh-cache"), cache.max_entries)?,
            hot: quick_cache::sync::Cache::with_weighter(
                super::HOT_ENTRIES.min(cache.max_entries),
                HOT_LOG_BYTES,
                LogWeight,
            ),
            cache: cache.clone(),
            limits: Limits { max_entries: config.max_webvh_log_entries, max_bytes: config.max_webvh_log_bytes },
            rewrites: AtomicU64::new(0),
        })
    }

    /// Resolves `did` (whose method-specific identifier is `method_specific_id`) to the version `options` ask for.
    pub async fn resolve(&self, did: &str, method_specific_id: &str, options: &ResolutionOptions) -> MethodOutcome {
        let query = match version_query(options) {
            Ok(query) => query,
            Err(error) => return MethodOutcome::computed(Err(error)),
        };
        match self.verified(did, method_specific_id, options).await {
            LogOutcome { result: Ok(verified), cache } => answer(did, &verified, &query, cache, options),
            LogOutcome { result: Err(error), .. } => MethodOutcome::computed(Err(error)),
        }
    }

    /// The verified versions of `did`, for version-history views: each version's number, `versionId`,
    /// `versionTime`, the `updateKeys` in force after it, its verification methods with their keys and
    /// relationships, and whether it deactivated the DID; then the failure that ended the log early (if any), the
    /// rewrite flag and how the cache took part. Fetched, verified and cached exactly as for a resolution.
    pub async fn history(
        &self,
        did: &str,
        method_specific_id: &str,
        options: &ResolutionOptions,
    ) -> Result<Value, ResolutionError> {
        let LogOutcome { result, cache } = self.verified(did, method_specific_id, options).await;
        let verified = result?;
        let versions = &verified.versions;
        let listed: Vec<Value> = versions
            .history
            .versions()
            .zip(&versions.documents)
            .enumerate()
            .map(|(index, (version, document))| {
                let methods: Vec<Value> = version
                    .verification_methods
                    .iter()
                    .map(|method| {
                        json!({
                            "id": method.id,
                            "publicKey": method.public_key,
                            "relationships": relationships(document.value(), did, &method.id),
                        })
                    })
                    .collect();
                json!({
                    "versionNumber": index + 1,
                    "versionId": version.version_id,
                    "versionTime": version.version_time.format(&Rfc3339).unwrap_or_default(),
                    "updateKeys": version.update_keys,
                    "verificationMethods": methods,
                    "deactivated": version.deactivated,
                })
            })
            .collect();
        let mut body = json!({ "did": did, "versions": listed });
        if let Some(failure) = versions.history.failure() {
            body["invalidAfter"] =
                json!({ "entry": failure.entry, "rule": failure.rule.name(), "detail": failure.to_string() });
        }
        if let Some(rewrite) = &verified.rewrite {
            body["webvh"] = rewrite_metadata(rewrite);
        }
        if let Some(cache) = cache {
            body["cache"] = serde_json::to_value(cache).unwrap_or_default();
        }
        Ok(body)
    }

    /// The verified log of `did`: from a fresh cache entry, or fetched (one fetch per DID at a time).
    async fn verified(&self, did: &str, method_specific_id: &str, options: &ResolutionOptions) -> LogOutcome {
        let location = match locate(method_specific_id) {
            Ok(location) => location,
            Err(error) => return LogOutcome::failed(error),
        };
        let now = unix_now();
        let cached = self.lookup(did);
        if let Some(hot) = &cached {
            if let Some(status) = self.logs.fresh_hit(&hot.entry, options.no_cache, now, &self.cache) {
                return LogOutcome { result: Ok(Arc::clone(hot)), cache: Some(status) };
            }
        }
        bump(&self.logs.counters.misses);
        self.logs.flights.run(did, || self.refresh(did, &location, cached, now)).await
    }

    /// Admin invalidation: removes one DID's log (and its rewrite flag) or all of them; returns how many.
    pub fn purge(&self, did: Option<&str>) -> Result<usize, CacheError> {
        self.logs.purge(did, &self.hot)
    }

    /// Current size and counters of the did:webvh cache.
    pub fn stats(&self) -> CacheStats {
        self.logs.stats()
    }

    /// Rewritten histories refused since start (each refetch that still finds one counts again).
    pub fn history_rewrites(&self) -> u64 {
        self.rewrites.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes the cache to disk; call on clean shutdown so verified logs survive a restart.
    pub fn flush(&self) -> Result<(), CacheError> {
        self.logs.store.flush()?;
        Ok(())
    }

    /// The stored log of `did`, verified (again, when read back from disk) and remembered; one that no longer
    /// decodes or verifies is dropped with a warning.
    fn lookup(&self, did: &str) -> Option<Arc<VerifiedLog>> {
        if let Some(hot) = self.hot.get(did) {
            return Some(hot);
        }
        let entry = self.logs.store.get(did)?;
        match self.read_back(did, entry) {
            Ok(verified) => {
                let verified = Arc::new(verified);
                self.hot.insert(did.to_owned(), Arc::clone(&verified));
                Some(verified)
            }
            Err(reason) => {
                tracing::warn!(did, %reason, "dropping a did:webvh cache entry that cannot be read back");
                self.logs.forget(did);
                None
            }
        }
    }

    fn read_back(&self, did: &str, entry: Entry) -> Result<VerifiedLog, String> {
        let EntryBody::Document { text, .. } = &entry.body else { return Err("not a stored log".into()) };
        let stored: StoredLog = serde_json::from_str(text).map_err(|error| error.to_string())?;
        let witness = stored.witness.as_deref().map(str::as_bytes);
        let history = Log::parse(stored.log.as_bytes(), &self.limits)
            .and_then(|log| log.verify(did, witness, OffsetDateTime::now_utc()).into_result())
            .map_err(|error| error.to_string())?;
        Ok(VerifiedLog { entry, versions: Arc::new(Versions::new(did, history)), rewrite: stored.rewrite })
    }

    /// Asks the origin for the log (conditionally when one is stored), verifies it and updates the cache.
    async fn refresh(&self, did: &str, location: &Location, cached: Option<Arc<VerifiedLog>>, now: u64) -> LogOutcome {
        let target = target(location, location.log_url(), &LOG);
        let stored_entry = cached.as_ref().map(|cached| &cached.entry);
        match self.logs.fetch(&self.fetcher, &target, stored_entry, self.limits.max_bytes).await {
            Ok(Fetched::Body { body, headers }) => self.accept_log(did, location, body, headers, cached, now).await,
            Ok(Fetched::NotModified(headers)) => match cached {
                Some(cached) => {
                    bump(&self.logs.counters.revalidations);
                    let entry = Entry {
                        stored_at: now,
                        ttl_s: cached.entry.ttl_s,
                        body: with_validators(&cached.entry.body, headers.validators),
                    };
                    let status = CacheStatus { revalidated: true, ..CacheStatus::cached(&entry, now) };
                    let verified = VerifiedLog { entry, versions: Arc::clone(&cached.versions), rewrite: None };
                    self.keep_verified(did, verified, cached.rewrite.clone(), status, now)
                }
                None => {
                    LogOutcome::failed(internal_error("the origin answered 304 to a request that was not conditional"))
                }
            },
            Ok(Fetched::Gone(status)) => {
                LogOutcome::failed(not_found(format!("{} answered HTTP {status}", target.url)))
            }
            Err(failure) => {
                tracing::info!(did, kind = failure.kind.name(), reason = %failure.reason, "did:webvh fetch failed");
                self.fall_back(did, cached, failure, now)
            }
        }
    }

    async fn accept_log(
        &self,
        did: &str,
        location: &Location,
        body: Vec<u8>,
        headers: ResponseHeaders,
        cached: Option<Arc<VerifiedLog>>,
        now: u64,
    ) -> LogOutcome {
        let Ok(text) = String::from_utf8(body) else {
            return LogOutcome::failed(invalid_did_document("the did:webvh log is not UTF-8"));
        };
        let log = match Log::parse(text.as_bytes(), &self.limits) {
            Ok(log) => log,
            Err(error) => return LogOutcome::failed(error.into()),
        };
        let witness = match log.needs_witness_proofs() {
            true => match self.fetch_witness_file(location).await {
                Ok(witness) => witness,
                Err(failure) => {
                    tracing::info!(did, kind = failure.kind.name(), reason = %failure.reason,
                        "did:webvh witness file fetch failed");
                    return self.fall_back(did, cached, failure, now);
                }
            },
            false => None,
        };
        let verification = log.verify(did, witness.as_deref().map(str::as_bytes), OffsetDateTime::now_utc());
        let Some(history) = verification.history else {
            let failure = verification.failure.map(ResolutionError::from);
            return LogOutcome::failed(failure.unwrap_or_else(|| invalid_did_document("the did:webvh log is empty")));
        };
        if let Some(cached) = cached.as_ref().filter(|cached| !history.extends(&cached.versions.history)) {
            return self.refuse_rewrite(did, cached, &history, now);
        }
        let rewrite = cached.and_then(|cached| cached.rewrite.clone());
        let versions = Arc::new(Versions::new(did, history));
        let Validators { etag, last_modified } = headers.validators;
        if versions.history.failure().is_some() {
            // Explicit queries into the valid prefix still resolve; nothing short of a whole log is kept.
            let body = EntryBody::Document { text: String::new(), etag, last_modified };
            let entry = Entry { stored_at: now, ttl_s: 0, body };
            let verified = Arc::new(VerifiedLog { entry, versions, rewrite });
            return LogOutcome { result: Ok(verified), cache: Some(CacheStatus::fetched(0)) };
        }
        let ttl_s = versions.history.select(&VersionQuery::Latest).map_or(0, |latest| latest.ttl_seconds());
        let ttl_s = ttl_s.min(self.cache.max_ttl_s);
        let stored = StoredLog { log: text, witness, rewrite: None };
        let body = EntryBody::Document { text: encode(&stored), etag, last_modified };
        let entry = Entry { stored_at: now, ttl_s, body };
        let verified = VerifiedLog { entry, versions, rewrite: None };
        self.keep_verified(did, verified, rewrite, CacheStatus::fetched(ttl_s), now)
    }

    /// The origin's log does not extend the stored one: keep serving the stored log, flagged, until a purge. It is
    /// confirmed as of now (the origin is asked again after its `ttl`, and counted again if it still rewrites).
    fn refuse_rewrite(&self, did: &str, cached: &VerifiedLog, history: &History, now: u64) -> LogOutcome {
        let stored = &cached.versions.history;
        let first_differing = stored
            .versions()
            .zip(history.versions().map(Some).chain(std::iter::repeat(None)))
            .find(|(old, new)| new.as_ref().is_none_or(|new| new.version_id != old.version_id))
            .map(|(old, _)| old.version_id)
            .unwrap_or_default();
        bump(&self.rewrites);
        tracing::warn!(did, first_differing_version_id = %first_differing,
            "the origin serves a rewritten did:webvh history; the last verified log keeps being served");
        let rewrite = cached
            .rewrite
            .clone()
            .unwrap_or_else(|| Rewrite { first_differing_version_id: first_differing, detected: rfc3339(now) });
        let entry = Entry { stored_at: now, ..cached.entry.clone() };
        let status = CacheStatus::cached(&entry, now);
        let verified = VerifiedLog { entry, versions: Arc::clone(&cached.versions), rewrite: None };
        self.keep_verified(did, verified, Some(rewrite), status, now)
    }

    /// Stores `verified` with `rewrite` folded into its stored text, and makes it the DID's copy in memory.
    fn keep_verified(
        &self,
        did: &str,
        mut verified: VerifiedLog,
        rewrite: Option<Rewrite>,
        status: CacheStatus,
        now: u64,
    ) -> LogOutcome {
        if let EntryBody::Document { text, .. } = &mut verified.entry.body {
            if let Ok(mut stored) = serde_json::from_str::<StoredLog>(text) {
                stored.rewrite = rewrite.clone();
                *text = encode(&stored);
            }
        }
        verified.rewrite = rewrite;
        self.logs.keep(did, &verified.entry, now);
        let verified = Arc::new(verified);
        self.hot.insert(did.to_owned(), Arc::clone(&verified));
        LogOutcome { result: Ok(verified), cache: Some(status) }
    }

    /// `did-witness.json`, or `None` when the origin has none (404/410): the core then refuses the log with the
    /// witness failure of its first witnessed entry.
    async fn fetch_witness_file(&self, location: &Location) -> Result<Option<String>, FetchError> {
        let target = target(location, location.witness_url(), &WITNESS_FILE);
        match self.logs.fetch(&self.fetcher, &target, None, self.limits.max_bytes).await? {
            Fetched::Body { body, .. } => Ok(Some(String::from_utf8_lossy(&body).into_owned())),
            Fetched::NotModified(_) | Fetched::Gone(_) => Ok(None),
        }
    }

    /// Stale-if-error, as for did:web: an unavailable origin is covered by the stored log within `max_stale_s`.
    fn fall_back(&self, did: &str, cached: Option<Arc<VerifiedLog>>, failure: FetchError, now: u64) -> LogOutcome {
        if let Some(cached) = cached {
            let entry = &cached.entry;
            if let Some(status) = self.logs.stale_copy(did, entry, entry.ttl_s, &failure, now, self.cache.max_stale_s) {
                return LogOutcome { result: Ok(cached), cache: Some(status) };
            }
        }
        LogOutcome::failed(resolution_error(failure))
    }
}

impl Versions {
    fn new(did: &str, history: History) -> Versions {
        let documents = (1..=history.len() as u64)
            .map(|number| {
                let document =
                    history.select(&VersionQuery::Number(number)).ok().and_then(|version| version.document());
                Document::new(document.cloned().unwrap_or_else(|| json!({ "id": did })))
            })
            .collect();
        Versions { history, documents }
    }
}

/// The answer for the version `query` names in `verified`.
fn answer(
    did: &str,
    verified: &VerifiedLog,
    query: &VersionQuery,
    cache: Option<CacheStatus>,
    options: &ResolutionOptions,
) -> MethodOutcome {
    let (validity, repeatable) = cache_validity(cache.as_ref());
    let mut extra_metadata = Map::new();
    if let Some(cache) = cache.and_then(|status| serde_json::to_value(status).ok()) {
        extra_metadata.insert("cache".into(), cache);
    }
    if let Some(rewrite) = &verified.rewrite {
        extra_metadata.insert("webvh".into(), rewrite_metadata(rewrite));
    }
    let version = match verified.versions.history.select(query) {
        Ok(version) => version,
        Err(error) => {
            let validity = Validity::Unknown;
            let document_metadata = Map::new();
            return MethodOutcome {
                document: Err(error),
                validity,
                repeatable: false,
                document_metadata,
                extra_metadata,
            };
        }
    };
    let mut document = verified.versions.documents[version.number() as usize - 1].clone();
    if options.expand_relative_urls {
        let mut value = document.value().clone();
        expand_relative_urls(&mut value, did);
        document = Document::new(value);
    }
    MethodOutcome {
        document: Ok(document),
        validity,
        repeatable,
        document_metadata: version.metadata(),
        extra_metadata,
    }
}

/// `{"historyRewritten": true, "firstDifferingVersionId": …, "detected": …}`.
fn rewrite_metadata(rewrite: &Rewrite) -> Value {
    json!({
        "historyRewritten": true,
        "firstDifferingVersionId": rewrite.first_differing_version_id,
        "detected": rewrite.detected,
    })
}

/// The verification relationships of `document` that name the method `id` (by absolute or relative id, or
/// embedded).
fn relationships(document: &Value, did: &str, id: &str) -> Vec<&'static str> {
    let absolute = |reference: &str| match reference.strip_prefix('#') {
        Some(fragment) => format!("{did}#{fragment}"),
        None => reference.to_owned(),
    };
    let id = absolute(id);
    RELATIONSHIPS
        .into_iter()
        .filter(|relationship| {
            let entries = document.get(relationship).and_then(Value::as_array);
            entries.into_iter().flatten().any(|entry| {
                let reference = entry.as_str().or_else(|| entry.get("id").and_then(Value::as_str));
                reference.is_some_and(|reference| absolute(reference) == id)
            })
        })
        .collect()
}

/// DID Core's verification relationships.
const RELATIONSHIPS: [&str; 5] =
    ["authentication", "assertionMethod", "keyAgreement", "capabilityInvocation", "capabilityDelegation"];

/// The version the options ask for; more than one of `versionId`, `versionTime` and `versionNumber` is
/// INVALID_OPTIONS, and so is a `versionTime` that is not an RFC 3339 time.
fn version_query(options: &ResolutionOptions) -> Result<VersionQuery, ResolutionError> {
    let asked = [options.version_id.is_some(), options.version_time.is_some(), options.version_number.is_some()];
    if asked.iter().filter(|asked| **asked).count() > 1 {
        return Err(invalid_options("give at most one of versionId, versionTime and versionNumber"));
    }
    if let Some(id) = &options.version_id {
        return Ok(VersionQuery::Id(id.clone()));
    }
    if let Some(number) = options.version_number {
        return Ok(VersionQuery::Number(number));
    }
    match &options.version_time {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map(VersionQuery::Time)
            .map_err(|_| invalid_options(format!("versionTime {text:?} is not an RFC 3339 date-time"))),
        None => Ok(VersionQuery::Latest),
    }
}

/// The fetch target of `url`, the log's or the witness file's on `location`'s origin (a DNS name: `locate` refuses
/// IP literals).
fn target(location: &Location, url: String, subject: &'static Subject) -> Target {
    let authority = location.authority();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().unwrap_or(443)),
        None => (authority.as_str(), 443),
    };
    Target { host: host.to_owned(), port, url, subject }
}

/// A stored entry's body with the validators of a 304 (the old ones where it sends none).
fn with_validators(body: &EntryBody, validators: Validators) -> EntryBody {
    match body {
        EntryBody::Document { text, etag, last_modified } => EntryBody::Document {
            text: text.clone(),
            etag: validators.etag.or_else(|| etag.clone()),
            last_modified: validators.last_modified.or_else(|| last_modified.clone()),
        },
        other => other.clone(),
    }
}

fn encode(stored: &StoredLog) -> String {
    // Strings and options of strings always serialize.
    serde_json::to_string(stored).unwrap_or_default()
}

fn rfc3339(unix_seconds: u64) -> String {
    let time = i64::try_from(unix_seconds).ok().and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok());
    time.and_then(|time| time.format(&Rfc3339).ok()).unwrap_or_default()
}

/// Documents change with each version, every earlier version can be had, identifiers are domain names.
const WEBVH_TRAITS: MethodTraits = MethodTraits {
    updatable: true,
    deactivatable: true,
    enumerable: false,
    history_available: true,
    human_readable: true,
};

impl DidMethod for WebVhResolver {
    fn name(&self) -> &'static str {
        "webvh"
    }

    fn resolve<'a>(
        &'a self,
        did: &'a str,
        method_specific_id: &'a str,
        options: &'a ResolutionOptions,
    ) -> MethodCall<'a> {
        MethodCall::Pending(Box::pin(WebVhResolver::resolve(self, did, method_specific_id, options)))
    }

    /// did:webvh v1.0's DID URL paths: `<did>/whois` is the `#whois` service's endpoint (a Linked Verifiable
    /// Presentation), any other path a file under the `#files` service (the log's directory). The core adds both
    /// services to every version unless the document defines them, so a publisher's own definitions win.
    fn path_service<'p>(&self, path: &'p str) -> Option<(&'static str, Option<&'p str>)> {
        match path {
            "/whois" => Some(("whois", None)),
            _ => Some(("files", Some(path.trim_start_matches('/')))),
        }
    }

    /// None: no public did:webvh is stable enough to promise that it resolves.
    fn test_identifiers(&self) -> &'static [&'static str] {
        &[]
    }

    fn traits(&self) -> MethodTraits {
        WEBVH_TRAITS
    }

    fn specification_versions(&self) -> &'static [&'static str] {
        &SUPPORTED_VERSIONS
    }

    fn fetches(&self) -> bool {
        true
    }

    /// The host with its `%3A`-encoded port: the segment after the SCID.
    fn origin<'a>(&self, method_specific_id: &'a str) -> Option<&'a str> {
        method_specific_id.split(':').nth(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustnode_webvh::author::{self, LogBuilder};

    /// Many megabyte logs do not fit in the memory bound: the weighted cache gives older ones up, whatever their
    /// count.
    #[test]
    fn parsed_logs_in_memory_are_bounded_by_weight_not_only_by_count() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let parameters = json!({"updateKeys": [author::multikey(&key)]});
        let created = OffsetDateTime::now_utc() - time::Duration::hours(1);
        let log = LogBuilder::create("issuer.test", parameters, |did| author::document(did, &[&key]), created, &key);
        let did = log.did();
        let history = Log::parse(&log.log(), &Limits { max_entries: 10, max_bytes: 1 << 20 })
            .unwrap()
            .verify(&did, None, OffsetDateTime::now_utc())
            .into_result()
            .unwrap();
        let versions = Arc::new(Versions::new(&did, history));
        let hot = quick_cache::sync::Cache::with_weighter(10_000, HOT_LOG_BYTES, LogWeight);
        // A log at the default size bound, stored 200 times under other names: 800 MiB of text.
        let text = "x".repeat(4 << 20);
        for n in 0..200 {
            let body = EntryBody::Document { text: text.clone(), etag: None, last_modified: None };
            let entry = Entry { stored_at: 0, ttl_s: 60, body };
            hot.insert(
                format!("{did}:{n}"),
                Arc::new(VerifiedLog { entry, versions: Arc::clone(&versions), rewrite: None }),
            );
        }
        assert!(hot.weight() <= HOT_LOG_BYTES, "{} bytes held", hot.weight());
        assert!(hot.len() <= 21, "at most 256 MiB / 12 MiB logs are kept, not {}", hot.len());
        assert!(hot.len() >= 15, "the bound is used, not emptied: {}", hot.len());
    }
}
