//! An on-disk cache of fetched bodies (the did:web documents' keyed by DID, the status lists' keyed by URL): one
//! sled tree, bounded in size, that can never keep the node down. Log lines name the directory (`cache`), which
//! tells the two apart.
//!
//! Each value is `stored_at` and `ttl_s` (8 bytes each, big-endian, so eviction can scan them without decoding
//! documents) followed by the JSON of an [`EntryBody`]. Documents are stored as fetched and validated; options such
//! as `expandRelativeUrls` are applied on the way out, so the DID alone is the key. An unopenable directory is moved
//! aside (under a name no earlier copy has) and replaced by an empty one; a store whose writes fail reopens itself
//! after a backoff. Freshness decisions are not made here (see `freshness`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

/// What is remembered about one DID or status list URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryBody {
    /// A body as fetched (a validated DID document, or a status list credential) with the validators needed to
    /// revalidate it.
    Document {
        /// The body as the origin sent it.
        text: String,
        /// `ETag` of the response.
        etag: Option<String>,
        /// `Last-Modified` of the response, as sent.
        last_modified: Option<String>,
    },
    /// The origin answered 404/410 (negative caching; did:web only).
    NotFound {
        /// The NOT_FOUND detail to repeat.
        detail: String,
    },
}

/// One cache entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When the origin last confirmed it (fetch or 304), Unix seconds.
    pub stored_at: u64,
    /// Freshness lifetime from `stored_at`, seconds.
    pub ttl_s: u64,
    /// The document or the negative answer.
    pub body: EntryBody,
}

const HEADER_BYTES: usize = 16;

/// sled's in-memory page cache; its default (1 GiB) would let a large cache dominate the node's memory.
const PAGE_CACHE_BYTES: u64 = 64 * 1024 * 1024;

impl Entry {
    fn encode(&self) -> Result<Vec<u8>, sled::Error> {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + 256);
        bytes.extend_from_slice(&self.stored_at.to_be_bytes());
        bytes.extend_from_slice(&self.ttl_s.to_be_bytes());
        serde_json::to_writer(&mut bytes, &self.body).map_err(|e| sled::Error::Unsupported(e.to_string()))?;
        Ok(bytes)
    }

    fn decode(bytes: &[u8]) -> Option<Entry> {
        let (stored_at, ttl_s) = decode_times(bytes)?;
        let body = serde_json::from_slice(bytes.get(HEADER_BYTES..)?).ok()?;
        Some(Entry { stored_at, ttl_s, body })
    }
}

fn decode_times(bytes: &[u8]) -> Option<(u64, u64)> {
    let stored_at = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let ttl_s = u64::from_be_bytes(bytes.get(8..HEADER_BYTES)?.try_into().ok()?);
    Some((stored_at, ttl_s))
}

/// The sled database and its tree, replaced together when the store is reopened.
struct Sled {
    db: sled::Db,
    entries: sled::Tree,
}

/// The sled-backed store with its entry count and bound. A store whose writes fail (sled keeps its first write
/// error, e.g. `ENOSPC`, for the life of the database) reopens its directory after a backoff, so it stores again
/// once the cause is gone, without a restart.
pub(crate) struct Store {
    dir: PathBuf,
    /// `None` after a reopen failed (the directory could not even be opened); every operation then fails until a
    /// later reopen succeeds.
    sled: RwLock<Option<Sled>>,
    count: AtomicUsize,
    max_entries: usize,
    evicting: Mutex<()>,
    /// Set from a failed write until a write succeeds again.
    failing: Mutex<Option<Failing>>,
    /// Reopens that succeeded since start, for operators watching a recovery.
    reopened: AtomicU64,
}

/// When a failing store tries to reopen next, and the wait after that.
struct Failing {
    retry_at: u64,
    backoff_s: u64,
}

/// The first wait before reopening a store whose write failed; it doubles on every failed attempt up to
/// [`LAST_RETRY_S`].
const FIRST_RETRY_S: u64 = 1;
/// The longest wait between two reopening attempts: how long the cache may stay unwritable after space returns.
const LAST_RETRY_S: u64 = 30;

/// Moved-aside copies of an unopenable cache that are kept (the newest); older ones are deleted, so repeated
/// corruption cannot fill the data directory.
const MAX_MOVED_ASIDE: usize = 3;

/// Names tried for one moved-aside copy (`.corrupt-<seconds>`, then `-1`, `-2`, …) before giving up.
const ASIDE_NAMES: u64 = 1000;

impl Store {
    /// Opens `<dir>`; if that fails (corrupt files, a file in the way, permissions) the directory is renamed to
    /// `<dir>.corrupt-<unix time>` (with `-1`, `-2`, … when that name is taken) with a warning, and a fresh store
    /// is created; only the newest [`MAX_MOVED_ASIDE`] such copies are kept. On a full file system the store starts
    /// closed and opens at the first write that can succeed. Errors only when even the fresh store cannot be
    /// created, or when another process holds the cache.
    pub fn open(dir: &Path, max_entries: usize, now: u64) -> Result<Store, sled::Error> {
        let (sled, failing) = match open_or_replace(dir, now) {
            Ok(sled) => (Some(sled), None),
            // A cache is not worth refusing to start for: without it answers come from the origins, and the first
            // write after space returns opens it (the reopen of a failing store).
            Err(error) if is_out_of_space(&error) => {
                tracing::warn!(cache = %dir.display(), %error,
                    "the file system is full: starting without this cache; it opens once writes succeed");
                (None, Some(Failing { retry_at: now, backoff_s: FIRST_RETRY_S }))
            }
            Err(error) => return Err(error),
        };
        Ok(Store {
            dir: dir.to_owned(),
            count: AtomicUsize::new(sled.as_ref().map_or(0, |sled| sled.entries.len())),
            sled: RwLock::new(sled),
            max_entries,
            evicting: Mutex::new(()),
            failing: Mutex::new(failing),
            reopened: AtomicU64::new(0),
        })
    }

    /// Runs `op` on the open database.
    fn with_sled<T>(&self, op: impl FnOnce(&Sled) -> Result<T, sled::Error>) -> Result<T, sled::Error> {
        match self.sled.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
            Some(sled) => op(sled),
            None => Err(sled::Error::Io(std::io::Error::other(
                "the cache could not be reopened after a write failure; it is tried again on a later write",
            ))),
        }
    }

    /// The entry for `key`; an undecodable entry is dropped and reported as absent.
    pub fn get(&self, key: &str) -> Option<Entry> {
        let bytes = self.with_sled(|sled| sled.entries.get(key)).ok().flatten()?;
        let entry = Entry::decode(&bytes);
        if entry.is_none() {
            tracing::warn!(key, cache = %self.dir.display(), "dropping an undecodable cache entry");
            let _ = self.remove(key);
        }
        entry
    }

    /// Stores `entry` for `key`, then evicts if the store is over its bound. `now` decides which entries are
    /// expired, and whether a store whose writes failed is due to be reopened first.
    pub fn put(&self, key: &str, entry: &Entry, now: u64) -> Result<(), sled::Error> {
        self.reopen_if_due(now);
        let stored = self.with_sled(|sled| {
            if sled.entries.insert(key, entry.encode()?)?.is_none() {
                self.count.fetch_add(1, Ordering::Relaxed);
            }
            if self.count.load(Ordering::Relaxed) > self.max_entries {
                self.evict(sled, now)?;
            }
            Ok(())
        });
        let mut failing = self.failing.lock().unwrap_or_else(PoisonError::into_inner);
        match (&stored, failing.is_some()) {
            (Ok(()), true) => {
                *failing = None;
                tracing::info!(cache = %self.dir.display(), "the cache stores entries again");
            }
            (Err(_), false) => *failing = Some(Failing { retry_at: now + FIRST_RETRY_S, backoff_s: FIRST_RETRY_S }),
            _ => {}
        }
        stored
    }

    /// After a failed write, once its backoff has passed: drops the database and opens the directory again (or a
    /// fresh one, should it have been left unopenable). The next wait doubles, whatever the outcome; a successful
    /// write ends the backoff.
    fn reopen_if_due(&self, now: u64) {
        let mut failing = self.failing.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(state) = failing.as_mut().filter(|state| now >= state.retry_at) else { return };
        state.backoff_s = (state.backoff_s * 2).min(LAST_RETRY_S);
        state.retry_at = now + state.backoff_s;
        let mut sled = self.sled.write().unwrap_or_else(PoisonError::into_inner);
        // sled keeps its first write error for the life of the database, and its directory lock is held until the
        // old handle is gone: drop it before opening again.
        drop(sled.take());
        match open_or_replace(&self.dir, now) {
            Ok(reopened) => {
                self.count.store(reopened.entries.len(), Ordering::Relaxed);
                *sled = Some(reopened);
                self.reopened.fetch_add(1, Ordering::Relaxed);
                tracing::info!(cache = %self.dir.display(), "reopened the cache after a write failure");
            }
            Err(error) => {
                tracing::warn!(cache = %self.dir.display(), %error, retry_in_s = state.backoff_s,
                    "cannot reopen the cache; answers keep coming from the origins");
            }
        }
    }

    /// How often the store reopened itself after a write failure since start.
    pub fn reopens(&self) -> u64 {
        self.reopened.load(Ordering::Relaxed)
    }

    /// Removes `key`'s entry; true if there was one.
    pub fn remove(&self, key: &str) -> Result<bool, sled::Error> {
        let removed = self.with_sled(|sled| sled.entries.remove(key))?.is_some();
        if removed {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(removed)
    }

    /// Removes every entry; returns how many there were.
    pub fn clear(&self) -> Result<usize, sled::Error> {
        let removed = self.with_sled(|sled| {
            let removed = sled.entries.len();
            sled.entries.clear()?;
            Ok(removed)
        })?;
        self.count.store(0, Ordering::Relaxed);
        Ok(removed)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// True when there are no entries.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes sled uses on disk.
    pub(crate) fn size_on_disk(&self) -> u64 {
        self.with_sled(|sled| sled.db.size_on_disk()).unwrap_or(0)
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<usize, sled::Error> {
        self.with_sled(|sled| sled.db.flush())
    }

    /// Brings the store down to 90 % of its bound (so a full store does not rescan on every insert): expired
    /// entries first, then the oldest. Returns how many entries were removed.
    fn evict(&self, sled: &Sled, now: u64) -> Result<usize, sled::Error> {
        let Ok(_only_one_evictor) = self.evicting.try_lock() else { return Ok(0) };
        let target = self.max_entries - self.max_entries / 10;
        let mut candidates = Vec::with_capacity(self.len());
        for item in sled.entries.iter() {
            let (key, value) = item?;
            let (stored_at, ttl_s) = decode_times(&value).unwrap_or((0, 0));
            let expired = stored_at.saturating_add(ttl_s) <= now;
            candidates.push((!expired, stored_at, key));
        }
        let excess = candidates.len().saturating_sub(target);
        if excess == 0 {
            return Ok(0);
        }
        // Expired (false) sorts before live (true); within each, oldest first.
        candidates.select_nth_unstable_by_key(excess - 1, |(live, stored_at, _)| (*live, *stored_at));
        let mut removed = 0;
        for (_, _, key) in candidates.into_iter().take(excess) {
            if sled.entries.remove(key)?.is_some() {
                self.count.fetch_sub(1, Ordering::Relaxed);
                removed += 1;
            }
        }
        tracing::debug!(removed, cache = %self.dir.display(), "evicted cache entries");
        Ok(removed)
    }
}

/// Opens the cache at `dir`, moving an unopenable directory aside and starting empty. A full file system or a lock
/// held by another process is returned as is: the directory is not at fault then.
fn open_or_replace(dir: &Path, now: u64) -> Result<Sled, sled::Error> {
    let db = match open_db(dir) {
        Ok(db) => db,
        // Another process (a running node) holds the cache: it is not corrupt, and moving it aside would pull it
        // out from under that process.
        Err(error) if is_locked(&error) || is_out_of_space(&error) => return Err(error),
        Err(error) => {
            let aside = move_aside(dir, now)?;
            tracing::warn!(cache = %dir.display(), moved_to = %aside.display(), %error,
                "the cache cannot be opened; moved it aside and starting empty");
            prune_moved_aside(dir);
            open_db(dir)?
        }
    };
    // The tree's name dates from when did:web documents were all it held; renaming it would empty existing caches.
    let entries = db.open_tree("did-web")?;
    Ok(Sled { db, entries })
}

/// Renames `dir` to the first free name of `<dir>.corrupt-<now>`, `<dir>.corrupt-<now>-1`, … so that an older
/// copy (even one from the same second) never stops the node from starting.
fn move_aside(dir: &Path, now: u64) -> Result<PathBuf, sled::Error> {
    for attempt in 0..ASIDE_NAMES {
        let suffix = if attempt == 0 { String::new() } else { format!("-{attempt}") };
        let aside = PathBuf::from(format!("{}.corrupt-{now}{suffix}", dir.display()));
        if aside.symlink_metadata().is_ok() {
            continue;
        }
        match std::fs::rename(dir, &aside) {
            Ok(()) => return Ok(aside),
            // Taken between the check and the rename: try the next name.
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::DirectoryNotEmpty
                ) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Err(sled::Error::Io(std::io::Error::other(format!(
        "{ASIDE_NAMES} moved-aside copies of {} from second {now} exist already",
        dir.display()
    ))))
}

/// Deletes all but the newest [`MAX_MOVED_ASIDE`] moved-aside copies of `dir`, newest by the second and counter in
/// their names. Failures are logged: an old copy left behind is harmless.
fn prune_moved_aside(dir: &Path) {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else { return };
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    let prefix = format!("{}.corrupt-", name.to_string_lossy());
    let Ok(listing) = std::fs::read_dir(parent) else { return };
    let mut copies: Vec<((u64, u64), PathBuf)> = listing
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let file_name = entry.file_name().into_string().ok()?;
            let stamp = file_name.strip_prefix(&prefix)?;
            let (seconds, counter) = stamp.split_once('-').unwrap_or((stamp, "0"));
            Some(((seconds.parse().ok()?, counter.parse().ok()?), entry.path()))
        })
        .collect();
    copies.sort_unstable();
    let excess = copies.len().saturating_sub(MAX_MOVED_ASIDE);
    for (_, path) in copies.into_iter().take(excess) {
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        match removed {
            Ok(()) => tracing::info!(removed = %path.display(), "deleted an old moved-aside cache"),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot delete an old moved-aside cache")
            }
        }
    }
}

/// True when sled could not take the directory's lock because another process has it open.
pub(crate) fn is_locked(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock
        || io.to_string().contains("could not acquire lock"))
}

/// True when the file system has no room (or the quota is used up): more space cures it, moving aside does not.
fn is_out_of_space(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(io)
        if matches!(io.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded))
}

/// Opens sled, turning a panic inside sled (it has a few on corrupt files) into an error.
fn open_db(dir: &Path) -> Result<sled::Db, sled::Error> {
    std::panic::catch_unwind(|| sled::Config::new().path(dir).cache_capacity(PAGE_CACHE_BYTES).open())
        .unwrap_or_else(|_| Err(sled::Error::Unsupported("sled panicked while opening the cache".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(text: &str) -> EntryBody {
        EntryBody::Document { text: text.into(), etag: Some("\"v1\"".into()), last_modified: None }
    }

    #[test]
    fn entries_round_trip_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        let entry = Entry { stored_at: 100, ttl_s: 60, body: document("{}") };
        {
            let store = Store::open(&path, 10, 100).unwrap();
            store.put("did:web:a.example", &entry, 100).unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(&path, 10, 100).unwrap();
        assert_eq!(store.len(), 1);
        assert_eq!(store.get("did:web:a.example"), Some(entry));
        assert!(store.remove("did:web:a.example").unwrap());
        assert!(store.is_empty());
    }

    #[test]
    fn eviction_removes_expired_then_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("cache"), 10, 0).unwrap();
        for i in 0..10u64 {
            // Entry 5 expires at 1000; the others live long. Entry i is stored at i * 10.
            let ttl_s = if i == 5 { 950 } else { 100_000 };
            let entry = Entry { stored_at: i * 10, ttl_s, body: document("{}") };
            store.put(&format!("did:web:{i}.example"), &entry, 0).unwrap();
        }
        assert_eq!(store.len(), 10);
        store.put("did:web:new.example", &Entry { stored_at: 2000, ttl_s: 60, body: document("{}") }, 2000).unwrap();
        assert_eq!(store.len(), 9, "evicts down to 90 % of the bound");
        assert!(store.get("did:web:5.example").is_none(), "the expired entry goes first");
        assert!(store.get("did:web:0.example").is_none(), "then the oldest");
        for kept in ["did:web:1.example", "did:web:9.example", "did:web:new.example"] {
            assert!(store.get(kept).is_some(), "{kept}");
        }
    }

    #[test]
    fn unopenable_directory_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        std::fs::write(&path, b"not a directory").unwrap();
        let store = Store::open(&path, 10, 42).unwrap();
        assert!(store.is_empty());
        assert!(dir.path().join("cache.corrupt-42").is_file());
    }

    /// Makes the sled directory at `path` unopenable: its log file is a directory.
    fn corrupt(path: &Path) {
        let log = path.join("db");
        let _ = std::fs::remove_file(&log);
        std::fs::create_dir_all(log.join("not-a-log")).unwrap();
    }

    /// The names of the moved-aside copies of `<dir>/cache`, sorted.
    fn moved_aside(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("cache.corrupt-"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn only_the_newest_moved_aside_copies_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        for now in [40, 41, 41, 42, 43] {
            drop(Store::open(&path, 10, now).unwrap());
            corrupt(&path);
        }
        drop(Store::open(&path, 10, 44).unwrap());
        assert_eq!(moved_aside(dir.path()), ["cache.corrupt-42", "cache.corrupt-43", "cache.corrupt-44"]);
    }

    #[test]
    fn corruptions_within_one_second_each_recover_and_keep_their_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        for round in 0..2 {
            drop(Store::open(&path, 10, 42).unwrap());
            corrupt(&path);
            let store = Store::open(&path, 10, 42).unwrap_or_else(|e| panic!("corruption {round}: {e}"));
            store.put("did:web:a.example", &Entry { stored_at: 42, ttl_s: 60, body: document("{}") }, 42).unwrap();
        }
        let aside = moved_aside(dir.path());
        assert_eq!(aside, ["cache.corrupt-42", "cache.corrupt-42-1"], "both moved-aside copies are kept");
        for name in &aside {
            assert!(dir.path().join(name).join("db").join("not-a-log").is_dir(), "{name} is a moved-aside cache");
        }
    }
}
