//! Snapshot files on disk: a directory holding `<sequence>.json` (the exact signed bytes) beside
//! `<sequence>.jws` (the detached signature), written atomically so a crash leaves either the old or the new
//! pair, never a torn file.
//!
//! This is plain file I/O and nothing else: it does not parse, verify or chain snapshots (the caller does, with
//! `trustnode_registry`), and it never decides what is trustworthy. Both the node's data directory
//! (`<data_dir>/registries/<authority hash>/`) and a governance body's registry directory (`DIR/snapshots/`) use it.
//!
//! Atomic write: temp file in the same directory, write, fsync, rename over the final name, fsync the directory.
//! The signature is written before the snapshot, so a crash between the two leaves a `.jws` without its `.json`,
//! which [`SnapshotDir::sequences`] does not list; a leftover temp file is never listed either.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

const SNAPSHOT_SUFFIX: &str = ".json";
const SIGNATURE_SUFFIX: &str = ".jws";
const TEMP_PREFIX: &str = ".tmp-";

/// A directory of snapshot pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotDir {
    path: PathBuf,
}

/// The two files of one published snapshot, as read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// The snapshot's exact bytes.
    pub bytes: Vec<u8>,
    /// The detached JWS (surrounding whitespace trimmed).
    pub jws: String,
}

impl SnapshotDir {
    /// The directory at `path` (not created until [`SnapshotDir::create`] or the first write).
    pub fn new(path: impl Into<PathBuf>) -> SnapshotDir {
        SnapshotDir { path: path.into() }
    }

    /// The node's store directory for `authority_id` under `root`: named by a hash of the DID, because a DID may
    /// hold characters file systems treat specially and two DIDs must never share a directory.
    pub fn for_authority(root: &Path, authority_id: &str) -> SnapshotDir {
        let hash = Sha256::digest(authority_id.as_bytes());
        SnapshotDir::new(root.join(hex::encode(hash.get(..16).unwrap_or_default())))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the directory (and its parents) if missing.
    pub fn create(&self) -> io::Result<()> {
        fs::create_dir_all(&self.path)
    }

    fn file(&self, sequence: u64, suffix: &str) -> PathBuf {
        self.path.join(format!("{sequence}{suffix}"))
    }

    /// The path of snapshot `sequence`'s bytes.
    pub(crate) fn snapshot_path(&self, sequence: u64) -> PathBuf {
        self.file(sequence, SNAPSHOT_SUFFIX)
    }

    /// Sequences that have both files, ascending. Other files (temp files, a lone `.jws`, the source file) are
    /// not listed.
    pub fn sequences(&self) -> io::Result<Vec<u64>> {
        let mut sequences = Vec::new();
        for entry in fs::read_dir(&self.path)? {
            let name = entry?.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(SNAPSHOT_SUFFIX)) else { continue };
            let Ok(sequence) = stem.parse::<u64>() else { continue };
            // Only the canonical decimal spelling: `01.json` would alias `1.json`.
            if sequence.to_string() == stem && self.file(sequence, SIGNATURE_SUFFIX).is_file() {
                sequences.push(sequence);
            }
        }
        sequences.sort_unstable();
        Ok(sequences)
    }

    /// Reads both files of `sequence`.
    pub fn read(&self, sequence: u64) -> io::Result<StoredSnapshot> {
        let bytes = fs::read(self.file(sequence, SNAPSHOT_SUFFIX))?;
        let jws = fs::read_to_string(self.file(sequence, SIGNATURE_SUFFIX))?.trim().to_owned();
        Ok(StoredSnapshot { bytes, jws })
    }

    /// Writes both files of `sequence` atomically, signature first (see the module documentation).
    pub fn write(&self, sequence: u64, bytes: &[u8], jws: &str) -> io::Result<()> {
        self.create()?;
        write_atomically(&self.path, &self.file(sequence, SIGNATURE_SUFFIX), jws.as_bytes())?;
        write_atomically(&self.path, &self.file(sequence, SNAPSHOT_SUFFIX), bytes)
    }
}

/// True when `error` says the file system has no room left for the write (`ENOSPC`, or `EDQUOT`: the user's quota
/// is used up), as opposed to a fault that more space would not cure.
pub(crate) fn is_out_of_space(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded)
}

/// A governance body's registry directory, as `trustnode registry init` makes it: the hand-editable source file
/// [`RegistryDir::SOURCE_FILE`] and the signed snapshots under `snapshots/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryDir {
    path: PathBuf,
}

impl RegistryDir {
    /// The source file's name inside the directory.
    pub const SOURCE_FILE: &'static str = "registry.json";

    /// The registry directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> RegistryDir {
        RegistryDir { path: path.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The source file.
    pub(crate) fn source_path(&self) -> PathBuf {
        self.path.join(Self::SOURCE_FILE)
    }

    /// The signed snapshots.
    pub fn snapshots(&self) -> SnapshotDir {
        SnapshotDir::new(self.path.join("snapshots"))
    }

    /// Replaces the source file atomically.
    pub fn write_source(&self, bytes: &[u8]) -> io::Result<()> {
        fs::create_dir_all(&self.path)?;
        write_atomically(&self.path, &self.source_path(), bytes)
    }
}

/// Distinguishes temp files of concurrent writers in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `target` (inside `dir`) through a synced temp file, a rename and a directory sync.
pub(crate) fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    write_through_temp(dir, target, bytes, File::options().write(true).create(true).truncate(true))
}

/// [`write_atomically`] for secrets: the file is readable and writable only by its owner (mode 0600) from the
/// moment it exists.
pub(crate) fn write_private_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = File::options();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    write_through_temp(dir, target, bytes, &options)
}

fn write_through_temp(dir: &Path, target: &Path, bytes: &[u8], options: &fs::OpenOptions) -> io::Result<()> {
    let unique = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!("{TEMP_PREFIX}{}-{unique}", std::process::id()));
    let result = (|| {
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, target)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        // Best effort: the temp file is never listed, so a leftover one is harmless.
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_complete_canonically_named_pairs_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotDir::new(dir.path().join("a"));
        store.write(2, b"{\"two\":2}", "h..s2\n").unwrap();
        store.write(10, b"{}", "h..s10").unwrap();
        fs::write(store.path().join("3.jws"), "lone signature").unwrap();
        fs::write(store.path().join("4.json"), "lone snapshot").unwrap();
        fs::write(store.path().join("02.json"), "alias").unwrap();
        fs::write(store.path().join("02.jws"), "alias").unwrap();
        fs::write(store.path().join(".tmp-1-1"), "torn").unwrap();
        assert_eq!(store.sequences().unwrap(), [2, 10]);
        let read = store.read(2).unwrap();
        assert_eq!((read.bytes.as_slice(), read.jws.as_str()), (&b"{\"two\":2}"[..], "h..s2"));
    }

    #[test]
    fn rewriting_replaces_both_files_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotDir::new(dir.path());
        store.write(1, b"old", "old-sig").unwrap();
        store.write(1, b"new", "new-sig").unwrap();
        assert_eq!(store.read(1).unwrap(), StoredSnapshot { bytes: b"new".to_vec(), jws: "new-sig".into() });
        let names: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn authorities_get_distinct_safe_directories() {
        let root = Path::new("/data/registries");
        let a = SnapshotDir::for_authority(root, "did:web:example.com:a");
        let b = SnapshotDir::for_authority(root, "did:web:example.com%3Aa");
        assert_ne!(a, b);
        let name = a.path().file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name.len(), 32);
        assert!(name.bytes().all(|c| c.is_ascii_hexdigit()), "{name}");
    }
}
