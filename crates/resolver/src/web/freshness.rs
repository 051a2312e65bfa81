//! Cache arithmetic for did:web documents: how long a response may be kept (from `Cache-Control`, clamped to the
//! configured bounds), whether a stored entry is fresh, stale-but-servable or too old, and HTTP dates.
//!
//! Pure: the current time is always passed in as Unix seconds, never read here, so every rule is unit-tested
//! with exact instants.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::PrimitiveDateTime;

use super::settings::CacheConfig;

/// The `Cache-Control` directives the cache obeys. Unknown directives are ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Directives {
    /// `max-age` (or `s-maxage`, which wins for a shared cache like this one), in seconds.
    pub max_age: Option<u64>,
    /// `no-store` or `private`: this shared cache must not keep the response.
    pub no_store: bool,
    /// `no-cache`: keep, but revalidate before reuse.
    pub no_cache: bool,
}

impl Directives {
    /// Parses a `Cache-Control` header value; `None` (no header) gives no directives.
    pub fn parse(header: Option<&str>) -> Directives {
        let mut directives = Directives::default();
        let mut shared_max_age = None;
        for directive in header.unwrap_or_default().split(',') {
            let (name, value) = match directive.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            let seconds = value.and_then(|v| v.parse::<u64>().ok());
            match name.to_ascii_lowercase().as_str() {
                "max-age" => directives.max_age = seconds.or(directives.max_age),
                "s-maxage" => shared_max_age = seconds,
                "no-store" | "private" => directives.no_store = true,
                "no-cache" => directives.no_cache = true,
                _ => {}
            }
        }
        directives.max_age = shared_max_age.or(directives.max_age);
        directives
    }
}

/// Whether and for how long a successful response is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Keep it, fresh for this many seconds.
    Keep {
        /// Freshness lifetime in seconds.
        ttl_s: u64,
    },
    /// Do not store it (`no-store`).
    Skip,
}

/// The storage decision for a response with `directives`: `no-store` is obeyed; `no-cache` means "revalidate as
/// often as allowed", i.e. the configured minimum; `max-age` is clamped to `[min_ttl_s, max_ttl_s]`; without
/// either the default applies (also clamped, so a misconfigured default cannot escape the bounds).
pub fn storage(directives: Directives, config: &CacheConfig) -> Storage {
    if directives.no_store {
        return Storage::Skip;
    }
    let wanted = if directives.no_cache { 0 } else { directives.max_age.unwrap_or(config.default_ttl_s) };
    Storage::Keep { ttl_s: wanted.clamp(config.min_ttl_s, config.max_ttl_s.max(config.min_ttl_s)) }
}

/// The state of a stored entry at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Within its TTL: serve without asking the origin.
    Fresh,
    /// Past its TTL but within the stale window: revalidate, and serve it if the origin fails.
    Stale,
    /// Past the stale window: revalidate; it may still supply validators but is never served.
    Expired,
}

/// Age in seconds of an entry stored at `stored_at` (Unix seconds), seen at `now`. A clock that went backwards
/// gives age 0 rather than an underflow.
pub fn age(stored_at: u64, now: u64) -> u64 {
    now.saturating_sub(stored_at)
}

/// Classifies an entry stored at `stored_at` with `ttl_s`, at `now`, given the `max_stale_s` window past expiry.
pub(crate) fn freshness(stored_at: u64, ttl_s: u64, now: u64, max_stale_s: u64) -> Freshness {
    let age = age(stored_at, now);
    if age < ttl_s {
        Freshness::Fresh
    } else if age - ttl_s <= max_stale_s {
        Freshness::Stale
    } else {
        Freshness::Expired
    }
}

/// Whether a `noCache` request may go to the origin: only if the entry was last confirmed with the origin at
/// least `min_interval_s` ago (or there is none), so the option cannot be used to hammer an origin.
pub(crate) fn bypass_allowed(last_confirmed: Option<u64>, now: u64, min_interval_s: u64) -> bool {
    last_confirmed.is_none_or(|at| age(at, now) >= min_interval_s)
}

/// Converts an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, the IMF-fixdate form) to RFC 3339; `None` when the text
/// is not such a date (the obsolete RFC 850 and asctime forms are not accepted).
pub(crate) fn http_date_to_rfc3339(text: &str) -> Option<String> {
    let format =
        format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");
    let parsed = PrimitiveDateTime::parse(text.trim(), format).ok()?;
    parsed.assume_utc().format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> CacheConfig {
        CacheConfig {
            default_ttl_s: 300,
            min_ttl_s: 30,
            max_ttl_s: 86400,
            max_stale_s: 3600,
            negative_ttl_s: 60,
            max_entries: 10,
            no_cache_min_interval_s: 10,
        }
    }

    fn keep(header: &str) -> Storage {
        storage(Directives::parse(Some(header)), &config())
    }

    #[test]
    fn max_age_is_clamped() {
        assert_eq!(keep("max-age=600"), Storage::Keep { ttl_s: 600 });
        assert_eq!(keep("public, max-age=5"), Storage::Keep { ttl_s: 30 });
        assert_eq!(keep("max-age=999999999"), Storage::Keep { ttl_s: 86400 });
        assert_eq!(keep("max-age=60, s-maxage=120"), Storage::Keep { ttl_s: 120 });
        assert_eq!(keep("MAX-AGE=\"90\""), Storage::Keep { ttl_s: 90 });
    }

    #[test]
    fn no_store_no_cache_and_default() {
        assert_eq!(keep("no-store, max-age=600"), Storage::Skip);
        assert_eq!(keep("private"), Storage::Skip);
        assert_eq!(keep("no-cache, max-age=600"), Storage::Keep { ttl_s: 30 });
        assert_eq!(storage(Directives::parse(None), &config()), Storage::Keep { ttl_s: 300 });
        assert_eq!(keep("max-age=abc"), Storage::Keep { ttl_s: 300 });
    }

    #[test]
    fn fresh_stale_expired_boundaries() {
        assert_eq!(freshness(1000, 60, 1059, 100), Freshness::Fresh);
        assert_eq!(freshness(1000, 60, 1060, 100), Freshness::Stale);
        assert_eq!(freshness(1000, 60, 1160, 100), Freshness::Stale);
        assert_eq!(freshness(1000, 60, 1161, 100), Freshness::Expired);
        assert_eq!(freshness(1000, 0, 1000, 0), Freshness::Stale);
        assert_eq!(freshness(2000, 60, 1000, 0), Freshness::Fresh, "clock went backwards");
    }

    #[test]
    fn no_cache_bypass_is_rate_limited() {
        assert!(bypass_allowed(None, 100, 10));
        assert!(!bypass_allowed(Some(95), 100, 10));
        assert!(bypass_allowed(Some(90), 100, 10));
    }

    #[test]
    fn http_dates() {
        assert_eq!(http_date_to_rfc3339("Sun, 06 Nov 1994 08:49:37 GMT").as_deref(), Some("1994-11-06T08:49:37Z"));
        assert_eq!(http_date_to_rfc3339("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(http_date_to_rfc3339("yesterday"), None);
    }
}
