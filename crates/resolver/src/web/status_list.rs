//! Status list credentials for the verifier: [`WebResolver::fetch_status_list`] GETs an `https://` URL through the
//! did:web client (SSRF guard, origin turns, timeout, same-origin redirects, conditional revalidation) with a size
//! bound of its own, and keeps the body in a sled cache of its own (`<data_dir>/status-lists`) that honours
//! `Cache-Control`, a caller-given maximum age and stale-if-error, with one fetch per URL at a time.
//!
//! Only bytes come back: parsing, proof checking and bit reading are the credential crate's business. Choices:
//! - Refused before any connection, precisely: anything but `https://`, URLs with credentials (`user:pass@`), IP
//!   address hosts (the connector never fetches those either), URLs longer than [`MAX_URL_BYTES`].
//! - A host name whose addresses the SSRF guard refuses, and every other failure to get an answer, is
//!   [`StatusListErrorKind::Unreachable`] with the one generic detail [`UNREACHABLE`]: a precise answer would let
//!   anyone who can submit a credential map internal names through the node. The log says why.
//! - Any status but 2xx and 304 is [`StatusListErrorKind::HttpStatus`], 404 and 410 included; nothing but a body is
//!   cached (no negative caching: a list that appears is used at once).
//! - The cache key is the URL as parsed (host lowercased, default port and fragment dropped): one cached fetch
//!   serves every credential that points at the list, whoever presents it.
//! - The body must be UTF-8 (status list credentials are JSON or a JWT); it is stored as fetched.

use std::path::Path;
use std::time::Duration;

use hyper::body::Bytes;
use url::{Host, Url};

use super::cache::{Entry, EntryBody};
use super::fetch::{FetchError, FetchErrorKind, Fetched, ResponseHeaders, Subject, Target};
use super::freshness::{freshness, Freshness};
use super::settings::WebConfig;
use super::{bump, unix_now, CacheStats, CacheStatus, Tier, WebResolver, WebSetupError};

/// The detail of every failure to get an answer from a status list's origin, whatever the reason (see the module
/// doc).
pub const UNREACHABLE: &str = "the status list credential's origin could not be reached, or is not one this node \
                               may fetch from; the node's log says why";

/// Longest status list URL fetched, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

const STATUS_LIST: Subject = Subject {
    what: "the status list credential",
    origin: "the status list credential's origin",
    unreachable: UNREACHABLE,
    accept: "application/vc+ld+json, application/vc+jwt, application/vc, application/ld+json;q=0.9, \
             application/json;q=0.9, */*;q=0.1",
};

/// What kind of failure a status list fetch ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusListErrorKind {
    /// The URL is not one this node fetches (not `https`, credentials, an IP address host, too long, not a URL);
    /// nothing was sent.
    RefusedUrl,
    /// No answer from the origin (the SSRF guard, DNS, connect, TLS, timeouts, a busy origin, a broken body); the
    /// detail is always [`UNREACHABLE`].
    Unreachable,
    /// The origin answered this status (anything but 2xx and 304).
    HttpStatus(u16),
    /// The body is larger than `web.max_status_list_bytes`.
    TooLarge,
    /// A redirect left the origin, had no usable target, or there were too many.
    Redirect,
    /// The body is not UTF-8 text.
    NotText,
}

/// Why no status list credential could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct StatusListError {
    /// What kind of failure it was.
    pub kind: StatusListErrorKind,
    /// What to tell the verifier's client; never names addresses for failures without an answer.
    pub detail: String,
}

impl StatusListError {
    fn refused(detail: impl Into<String>) -> StatusListError {
        StatusListError { kind: StatusListErrorKind::RefusedUrl, detail: detail.into() }
    }
}

impl StatusListError {
    /// A failed fetch in the verifier's terms.
    fn from_failure(failure: FetchError) -> StatusListError {
        let kind = match (failure.kind, failure.status) {
            (FetchErrorKind::Status, Some(status)) => StatusListErrorKind::HttpStatus(status.as_u16()),
            (FetchErrorKind::TooLarge, _) => StatusListErrorKind::TooLarge,
            (FetchErrorKind::Redirect, _) => StatusListErrorKind::Redirect,
            _ => StatusListErrorKind::Unreachable,
        };
        StatusListError { kind, detail: failure.detail }
    }
}

/// The result of one status list fetch plus how the cache took part (`None` when it did not: refused URLs,
/// failures without a usable copy, bodies that are not text).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusListOutcome {
    /// The status list credential as the origin sent it, or why there is none.
    pub result: Result<Bytes, StatusListError>,
    /// Cache metadata; `ttl_seconds` is the freshness lifetime that applied (the caller's `max_age` if shorter).
    pub cache: Option<CacheStatus>,
}

impl StatusListOutcome {
    fn failed(error: StatusListError) -> StatusListOutcome {
        StatusListOutcome { result: Err(error), cache: None }
    }

    /// The stored body of `entry`, served with `status`.
    fn served(entry: Entry, status: CacheStatus) -> StatusListOutcome {
        match entry.body {
            EntryBody::Document { text, .. } => {
                StatusListOutcome { result: Ok(Bytes::from(text.into_bytes())), cache: Some(status) }
            }
            // Never stored in this cache (no negative caching), so only a foreign entry gets here.
            EntryBody::NotFound { detail } => {
                StatusListOutcome::failed(StatusListError { kind: StatusListErrorKind::HttpStatus(404), detail })
            }
        }
    }
}

/// The status lists' cache and size bound, inside [`WebResolver`].
pub(super) struct StatusLists {
    pub(super) tier: Tier<StatusListOutcome>,
    max_bytes: usize,
}

impl StatusLists {
    /// Opens `<data_dir>/status-lists`, bounded by `web.max_status_lists`.
    pub(super) fn open(web: &WebConfig, data_dir: &Path) -> Result<StatusLists, WebSetupError> {
        let tier = Tier::open("status list", data_dir.join("status-lists"), web.max_status_lists)?;
        Ok(StatusLists { tier, max_bytes: web.max_status_list_bytes })
    }
}

impl WebResolver {
    /// Fetches the status list credential at `url` (an `https://` URL), from the cache when a copy is fresh: within
    /// its HTTP freshness lifetime (`Cache-Control`, clamped to `[cache]`'s bounds) and, when `max_age` is given
    /// (the list credential's `ttl`), not older than that (whole seconds; shorter means revalidate every time).
    /// Otherwise the origin is asked, conditionally when a copy is stored, once per URL however many callers wait;
    /// when it is unavailable, a copy not older than `cache.max_stale_s` past its lifetime is served flagged stale.
    pub async fn fetch_status_list(&self, url: &str, max_age: Option<Duration>) -> StatusListOutcome {
        let target = match status_list_target(url) {
            Ok(target) => target,
            Err(error) => return StatusListOutcome::failed(error),
        };
        let tier = &self.status_lists.tier;
        let now = unix_now();
        let max_age_s = max_age.map(|age| age.as_secs());
        let fresh = |entry: &Entry| {
            freshness(entry.stored_at, lifetime(entry, max_age_s), now, self.cache.max_stale_s) == Freshness::Fresh
        };
        let cached = match tier.store.get(&target.url) {
            Some(entry) if fresh(&entry) => {
                bump(&tier.counters.hits);
                let status = CacheStatus::cached_for(&entry, lifetime(&entry, max_age_s), now);
                return StatusListOutcome::served(entry, status);
            }
            cached => cached,
        };
        bump(&tier.counters.misses);
        tier.flights.run(&target.url, || self.refresh_status_list(&target, cached, max_age_s, now)).await
    }

    /// Current size and counters of the status list cache.
    pub fn status_list_stats(&self) -> CacheStats {
        self.status_lists.tier.stats()
    }

    /// Asks the origin (conditionally if a copy is stored) and updates the cache.
    async fn refresh_status_list(
        &self,
        target: &Target,
        cached: Option<Entry>,
        max_age_s: Option<u64>,
        now: u64,
    ) -> StatusListOutcome {
        let StatusLists { tier, max_bytes } = &self.status_lists;
        let key = target.url.as_str();
        match tier.fetch(&self.fetcher, target, cached.as_ref(), *max_bytes).await {
            Ok(Fetched::Body { body, headers }) => {
                let Ok(text) = String::from_utf8(body) else {
                    return StatusListOutcome::failed(StatusListError {
                        kind: StatusListErrorKind::NotText,
                        detail: format!("the status list credential at {key} is not UTF-8 text"),
                    });
                };
                let ResponseHeaders { cache_control, validators } = headers;
                let body = EntryBody::Document { text, etag: validators.etag, last_modified: validators.last_modified };
                let entry = tier.store_response(key, cache_control.as_deref(), body, now, &self.cache);
                let status = CacheStatus::fetched(lifetime(&entry, max_age_s));
                StatusListOutcome::served(entry, status)
            }
            Ok(Fetched::NotModified(headers)) => {
                let Some(Entry { body: EntryBody::Document { text, etag, last_modified }, .. }) = cached else {
                    return StatusListOutcome::failed(StatusListError {
                        kind: StatusListErrorKind::HttpStatus(304),
                        detail: format!("{key} answered HTTP 304 to a request that was not conditional"),
                    });
                };
                bump(&tier.counters.revalidations);
                // A 304 may carry updated validators; keep the old ones where it does not.
                let body = EntryBody::Document {
                    text,
                    etag: headers.validators.etag.or(etag),
                    last_modified: headers.validators.last_modified.or(last_modified),
                };
                let entry = tier.store_response(key, headers.cache_control.as_deref(), body, now, &self.cache);
                let status = CacheStatus {
                    revalidated: true,
                    ..CacheStatus::cached_for(&entry, lifetime(&entry, max_age_s), now)
                };
                StatusListOutcome::served(entry, status)
            }
            Ok(Fetched::Gone(status)) => StatusListOutcome::failed(StatusListError {
                kind: StatusListErrorKind::HttpStatus(status.as_u16()),
                detail: format!("{key} answered HTTP {status}"),
            }),
            Err(failure) => {
                tracing::info!(url = key, kind = failure.kind.name(), reason = %failure.reason, "status list fetch failed");
                if let Some(entry) = cached {
                    let ttl_s = lifetime(&entry, max_age_s);
                    if let Some(status) = tier.stale_copy(key, &entry, ttl_s, &failure, now, self.cache.max_stale_s) {
                        return StatusListOutcome::served(entry, status);
                    }
                }
                StatusListOutcome::failed(StatusListError::from_failure(failure))
            }
        }
    }
}

/// How long `entry` is fresh for a caller that accepts copies up to `max_age_s` old.
fn lifetime(entry: &Entry, max_age_s: Option<u64>) -> u64 {
    max_age_s.map_or(entry.ttl_s, |max_age_s| entry.ttl_s.min(max_age_s))
}

/// Checks `url` and makes it a fetch target, or says precisely why it is not fetched. Pure.
fn status_list_target(url: &str) -> Result<Target, StatusListError> {
    if url.len() > MAX_URL_BYTES {
        return Err(StatusListError::refused(format!(
            "status list URLs longer than {MAX_URL_BYTES} bytes are refused"
        )));
    }
    let mut parsed = Url::parse(url)
        .map_err(|e| StatusListError::refused(format!("the status list URL {url:?} is not a URL: {e}")))?;
    if parsed.scheme() != "https" {
        return Err(StatusListError::refused(format!(
            "only https:// status list URLs are fetched, not {}:",
            parsed.scheme()
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(StatusListError::refused("status list URLs with credentials (user:pass@) are refused"));
    }
    let host = match parsed.host() {
        Some(Host::Domain(name)) => name.to_owned(),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => {
            return Err(StatusListError::refused(
                "status list URLs must name their host: IP address hosts are never fetched",
            ))
        }
        None => return Err(StatusListError::refused("the status list URL has no host")),
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    // The fragment names a part of the credential, not another resource: it is never sent, and one fetch serves
    // every fragment.
    parsed.set_fragment(None);
    Ok(Target { host, port, url: parsed.into(), subject: &STATUS_LIST })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        let error = status_list_target(url).unwrap_err();
        assert_eq!(error.kind, StatusListErrorKind::RefusedUrl, "{url}");
        error.detail
    }

    #[test]
    fn only_https_urls_naming_a_host_without_credentials_are_targets() {
        assert!(refused("http://issuer.example/list").contains("not http:"));
        assert!(refused("file:///etc/passwd").contains("not file:"));
        assert!(refused("https://user:secret@issuer.example/list").contains("credentials"));
        assert!(refused("https://user@issuer.example/list").contains("credentials"));
        for ip in ["https://127.0.0.1/list", "https://[::1]:8443/list", "https://0x7f.1/list", "https://10.0.0.1/"] {
            assert!(refused(ip).contains("IP address hosts"), "{ip}");
        }
        assert!(refused("not a url").contains("is not a URL"));
        assert!(refused(&format!("https://issuer.example/{}", "a".repeat(MAX_URL_BYTES))).contains("longer than"));
    }

    #[test]
    fn targets_are_normalized_for_the_cache_key() {
        let target = status_list_target("https://Issuer.Example:443/lists/1#list").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("issuer.example", 443));
        assert_eq!(target.url, "https://issuer.example/lists/1");
        let target = status_list_target("https://issuer.example:8443/lists/1?v=2").unwrap();
        assert_eq!((target.port, target.url.as_str()), (8443, "https://issuer.example:8443/lists/1?v=2"));
    }

    #[test]
    fn a_callers_max_age_only_shortens_the_lifetime() {
        let entry = Entry { stored_at: 0, ttl_s: 300, body: EntryBody::NotFound { detail: String::new() } };
        assert_eq!(lifetime(&entry, None), 300);
        assert_eq!(lifetime(&entry, Some(60)), 60);
        assert_eq!(lifetime(&entry, Some(3600)), 300);
    }
}
