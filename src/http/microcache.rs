//! Microcaching: answers kept only for the rest of the clock second they were made in, so a burst of identical
//! requests (a fleet of verifiers checking the same issuer) costs one evaluation and one rendering per second
//! instead of one per request.
//!
//! Callers keep only answers whose every byte changes at most once a second (timestamps with second precision,
//! ages in whole seconds) and that depend on nothing but the request bytes used as the key and a *generation*:
//! a number the caller bumps whenever the data behind its answers changes (a new registry snapshot), so an
//! answer made from older data is never served. Callers may also [`MicroCache::clear`] it (a did:web purge).
//!
//! Direct-mapped: a fixed number of slots, each holding the last answer whose request hashed to it, so memory is
//! bounded by slots × [`MAX_VALUE_BYTES`] and no eviction bookkeeping runs per request. No I/O.

use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use axum::http::{header, HeaderMap, HeaderValue, Uri};

/// Largest answer body callers keep; bigger answers are rendered per request.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

/// The request key of an entry: three byte strings (path with query, `Accept`, body).
pub type Key<'k> = [&'k [u8]; 3];

#[derive(Debug)]
struct Entry<V> {
    key: [Box<[u8]>; 3],
    second: i64,
    generation: u64,
    value: V,
}

/// A microcache of `V` values; see the module documentation.
#[derive(Debug)]
pub struct MicroCache<V> {
    slots: Box<[Mutex<Option<Entry<V>>>]>,
    hasher: RandomState,
}

impl<V: Clone> MicroCache<V> {
    /// A cache of `slots` entries; 0 turns it off.
    pub fn new(slots: usize) -> MicroCache<V> {
        MicroCache { slots: (0..slots).map(|_| Mutex::new(None)).collect(), hasher: RandomState::new() }
    }

    fn slot(&self, key: Key<'_>) -> Option<&Mutex<Option<Entry<V>>>> {
        let hash = self.hasher.hash_one(key);
        self.slots.get(hash.checked_rem(self.slots.len() as u64)? as usize)
    }

    /// The value kept for `key` during `second` (Unix time) at `generation`, if any.
    pub fn get(&self, key: Key<'_>, second: i64, generation: u64) -> Option<V> {
        let slot = self.slot(key)?.lock().ok()?;
        let entry = slot.as_ref()?;
        let matches = entry.second == second
            && entry.generation == generation
            && entry.key.iter().map(AsRef::as_ref).eq(key.iter().copied());
        matches.then(|| entry.value.clone())
    }

    /// Keeps `value` for `key` for the rest of `second`, as made from the data of `generation`.
    pub fn put(&self, key: Key<'_>, second: i64, generation: u64, value: V) {
        let Some(slot) = self.slot(key) else { return };
        if let Ok(mut slot) = slot.lock() {
            *slot = Some(Entry { key: key.map(Into::into), second, generation, value });
        }
    }

    /// Forgets every kept value.
    pub fn clear(&self) {
        for slot in self.slots.iter() {
            if let Ok(mut slot) = slot.lock() {
                *slot = None;
            }
        }
    }
}

/// The key of a request: its path and query, its `Accept` header, and `body`. A missing `Accept` is keyed as a
/// byte no header value can contain, so it differs from an empty one.
pub fn request_key<'r>(uri: &'r Uri, headers: &'r HeaderMap, body: &'r [u8]) -> Key<'r> {
    let request_line = uri.path_and_query().map_or("", |p| p.as_str()).as_bytes();
    [request_line, headers.get(header::ACCEPT).map_or(&b"\n"[..], HeaderValue::as_bytes), body]
}

/// The current Unix second, the unit answers are kept for.
pub fn unix_second() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_for_their_key_second_and_generation_only() {
        let cache = MicroCache::new(8);
        cache.put([b"/a", b"json", b""], 100, 7, "answer");
        assert_eq!(cache.get([b"/a", b"json", b""], 100, 7), Some("answer"));
        assert_eq!(cache.get([b"/a", b"json", b""], 101, 7), None, "a new second");
        assert_eq!(cache.get([b"/a", b"json", b""], 100, 8), None, "newer data");
        assert_eq!(cache.get([b"/a", b"html", b""], 100, 7), None, "another second key part");
        assert_eq!(cache.get([b"/a/", b"json", b""], 100, 7), None, "another first key part");
        assert_eq!(cache.get([b"/aj", b"son", b""], 100, 7), None, "parts are not concatenated");
        assert_eq!(cache.get([b"/a", b"json", b"{}"], 100, 7), None, "another body");
        cache.clear();
        assert_eq!(cache.get([b"/a", b"json", b""], 100, 7), None);
    }

    #[test]
    fn a_cache_without_slots_keeps_nothing() {
        let cache = MicroCache::new(0);
        cache.put([b"/a", b"", b""], 1, 0, 1u8);
        assert_eq!(cache.get([b"/a", b"", b""], 1, 0), None);
    }

    #[test]
    fn a_slot_holds_the_latest_of_colliding_requests() {
        let cache = MicroCache::new(1);
        cache.put([b"/a", b"", b""], 1, 0, 'a');
        cache.put([b"/b", b"", b""], 1, 0, 'b');
        assert_eq!(cache.get([b"/a", b"", b""], 1, 0), None);
        assert_eq!(cache.get([b"/b", b"", b""], 1, 0), Some('b'));
    }
}
