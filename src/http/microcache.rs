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
//! bounded by slots × [`MAX_VALUE_BYTES`] and no eviction bookkeeping runs per request. An answer is only kept for
//! a request asked before: the first time, its slot notes the request's hash and second, and the second time (or
//! the first time in a later second of a request whose answer the slot still holds) the answer is kept. A stream of
//! requests that never repeat (a crawl of distinct identifiers) then costs a hash per request instead of copying
//! every key and answer into a slot, and it does not push out answers kept in the current second. No I/O.

use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use axum::http::{header, HeaderMap, HeaderValue, Uri};
use trustnode_registry::wire::PROOF_HEADER;

/// Largest answer body callers keep; bigger answers are rendered per request.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

/// The request key of an entry: four byte strings (path with query, `Accept`, the TRQP proof header, body).
pub type Key<'k> = [&'k [u8]; 4];

#[derive(Debug)]
struct Entry<V> {
    key: [Box<[u8]>; 4],
    second: i64,
    generation: u64,
    value: V,
}

impl<V> Entry<V> {
    fn is_for(&self, key: Key<'_>) -> bool {
        self.key.iter().map(AsRef::as_ref).eq(key.iter().copied())
    }
}

/// What a slot holds.
#[derive(Debug)]
enum Slot<V> {
    /// Nothing yet.
    Empty,
    /// A request seen once, by its key's hash and the second it came in; its answer was not kept.
    Seen { hash: u64, second: i64 },
    /// A kept answer.
    Kept(Entry<V>),
}

/// A microcache of `V` values; see the module documentation.
#[derive(Debug)]
pub struct MicroCache<V> {
    slots: Box<[Mutex<Slot<V>>]>,
    hasher: RandomState,
}

impl<V: Clone> MicroCache<V> {
    /// A cache of `slots` entries; 0 turns it off.
    pub fn new(slots: usize) -> MicroCache<V> {
        MicroCache { slots: (0..slots).map(|_| Mutex::new(Slot::Empty)).collect(), hasher: RandomState::new() }
    }

    /// The slot of `key` and the hash that chose it.
    fn slot(&self, key: Key<'_>) -> Option<(&Mutex<Slot<V>>, u64)> {
        let hash = self.hasher.hash_one(key);
        Some((self.slots.get(hash.checked_rem(self.slots.len() as u64)? as usize)?, hash))
    }

    /// The value kept for `key` during `second` (Unix time) at `generation`, if any.
    pub fn get(&self, key: Key<'_>, second: i64, generation: u64) -> Option<V> {
        let slot = self.slot(key)?.0.lock().ok()?;
        let Slot::Kept(entry) = &*slot else { return None };
        let matches = entry.second == second && entry.generation == generation && entry.is_for(key);
        matches.then(|| entry.value.clone())
    }

    /// Offers `value`, made from the data of `generation`, as the answer to `key` for the rest of `second`. It is
    /// kept if the request was seen before (see the module documentation); otherwise the request is noted.
    pub fn put(&self, key: Key<'_>, second: i64, generation: u64, value: V) {
        let Some((slot, hash)) = self.slot(key) else { return };
        let Ok(mut slot) = slot.lock() else { return };
        let asked_before = match &*slot {
            Slot::Empty => false,
            Slot::Seen { hash: seen, second: seen_at } => *seen == hash && *seen_at == second,
            Slot::Kept(entry) => entry.is_for(key),
        };
        if asked_before {
            *slot = Slot::Kept(Entry { key: key.map(Into::into), second, generation, value });
        } else if !matches!(&*slot, Slot::Kept(entry) if entry.second == second) {
            *slot = Slot::Seen { hash, second };
        }
    }

    /// Forgets every kept value.
    pub fn clear(&self) {
        for slot in self.slots.iter() {
            if let Ok(mut slot) = slot.lock() {
                *slot = Slot::Empty;
            }
        }
    }
}

/// The key of a request: its path and query, the headers answers vary on (`Accept`, and [`PROOF_HEADER`], which
/// asks a TRQP answer for a proof), and `body`. A missing header is keyed as a byte no header value can contain, so
/// it differs from an empty one.
pub(crate) fn request_key<'r>(uri: &'r Uri, headers: &'r HeaderMap, body: &'r [u8]) -> Key<'r> {
    let request_line = uri.path_and_query().map_or("", |p| p.as_str()).as_bytes();
    let header = |name| headers.get(name).map_or(&b"\n"[..], HeaderValue::as_bytes);
    [request_line, header(header::ACCEPT.as_str()), header(PROOF_HEADER), body]
}

/// The current Unix second, the unit answers are kept for.
pub(crate) fn unix_second() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache holding `value` for `key` at `second` and `generation`: offered twice, as a repeated request is.
    fn kept<V: Clone>(slots: usize, key: Key<'_>, second: i64, generation: u64, value: V) -> MicroCache<V> {
        let cache = MicroCache::new(slots);
        cache.put(key, second, generation, value.clone());
        cache.put(key, second, generation, value);
        cache
    }

    #[test]
    fn values_are_kept_for_their_key_second_and_generation_only() {
        let cache = kept(8, [b"/a", b"json", b"", b""], 100, 7, "answer");
        assert_eq!(cache.get([b"/a", b"json", b"", b""], 100, 7), Some("answer"));
        assert_eq!(cache.get([b"/a", b"json", b"", b""], 101, 7), None, "a new second");
        assert_eq!(cache.get([b"/a", b"json", b"", b""], 100, 8), None, "newer data");
        assert_eq!(cache.get([b"/a", b"html", b"", b""], 100, 7), None, "another second key part");
        assert_eq!(cache.get([b"/a/", b"json", b"", b""], 100, 7), None, "another first key part");
        assert_eq!(cache.get([b"/aj", b"son", b"", b""], 100, 7), None, "parts are not concatenated");
        assert_eq!(cache.get([b"/a", b"json", b"true", b""], 100, 7), None, "another third key part");
        assert_eq!(cache.get([b"/a", b"json", b"", b"{}"], 100, 7), None, "another body");
        cache.clear();
        assert_eq!(cache.get([b"/a", b"json", b"", b""], 100, 7), None);
    }

    #[test]
    fn only_requests_asked_before_have_their_answers_kept() {
        let cache = MicroCache::new(8);
        cache.put([b"/a", b"", b"", b""], 100, 0, 'a');
        assert_eq!(cache.get([b"/a", b"", b"", b""], 100, 0), None, "asked once: only noted");
        cache.put([b"/a", b"", b"", b""], 101, 0, 'a');
        assert_eq!(cache.get([b"/a", b"", b"", b""], 101, 0), None, "noted in an earlier second: noted again");
        cache.put([b"/a", b"", b"", b""], 101, 0, 'a');
        assert_eq!(cache.get([b"/a", b"", b"", b""], 101, 0), Some('a'), "asked twice in the second");
        cache.put([b"/a", b"", b"", b""], 102, 1, 'b');
        assert_eq!(cache.get([b"/a", b"", b"", b""], 102, 1), Some('b'), "kept before: kept again at once");
    }

    #[test]
    fn a_cache_without_slots_keeps_nothing() {
        let cache = kept(0, [b"/a", b"", b"", b""], 1, 0, 1u8);
        assert_eq!(cache.get([b"/a", b"", b"", b""], 1, 0), None);
    }

    #[test]
    fn one_off_requests_do_not_push_out_answers_of_the_current_second() {
        let cache = kept(1, [b"/a", b"", b"", b""], 1, 0, 'a');
        cache.put([b"/b", b"", b"", b""], 1, 0, 'b');
        cache.put([b"/b", b"", b"", b""], 1, 0, 'b');
        assert_eq!(cache.get([b"/a", b"", b"", b""], 1, 0), Some('a'));
        assert_eq!(cache.get([b"/b", b"", b"", b""], 1, 0), None);
        // In a later second the old answer gives way: /b is noted, then kept.
        cache.put([b"/b", b"", b"", b""], 2, 0, 'b');
        cache.put([b"/b", b"", b"", b""], 2, 0, 'b');
        assert_eq!(cache.get([b"/b", b"", b"", b""], 2, 0), Some('b'));
        assert_eq!(cache.get([b"/a", b"", b"", b""], 2, 0), None);
    }
}
