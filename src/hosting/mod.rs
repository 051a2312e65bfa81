//! The registries this node hosts: importing signed snapshots from the configured registry directories into the
//! data directory, loading the newest one that verifies, serving it from memory, and accepting the next one over
//! HTTP (publishing).
//!
//! Trust rules. A snapshot is served only after it verified: canonical form, content rules, a signature by a key
//! in the authority's `assertionMethod`, and a chain to its predecessor. At start the newest stored snapshot that
//! verifies wins; its predecessor must have the digest it names (when present), and older files are served only
//! while their digests match the chain of `previous` links walked back from it. A file that fails is logged and
//! skipped, never served. Publishing is serialized per registry, so of two publishes of one sequence exactly one
//! wins; on any refusal the current snapshot stays in place. The signature is the only authorization.
//!
//! A mirrored registry (configured with an upstream) is hosted the same way, without a directory to import: its
//! snapshots arrive through [`HostedRegistry::publish`], which the mirrors call.
//!
//! This module does file I/O (through [`crate::store`]) and resolves DIDs; it knows nothing about HTTP.

pub mod answer;
pub mod verify;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde::Deserialize;

use crate::config::RegistryConfig;
use crate::store::{RegistryDir, SnapshotDir, StoredSnapshot};
use trustnode_registry::chain::IndexedRegistry;
use trustnode_registry::evaluate::RegistryIndex;
use trustnode_registry::jws;
use trustnode_registry::listing::EntityIndex;
use trustnode_registry::proof::{ProofWriter, ProvableRegistry};
use trustnode_registry::snapshot::{CanonicalSnapshot, Digest, SnapshotContent, SnapshotError, SnapshotLink};
use trustnode_resolver::Resolver;
use verify::VerifyError;

/// Why the hosted registries could not be opened; each stops the node with a clear message.
#[derive(Debug, thiserror::Error)]
pub enum HostingError {
    /// A configured registry directory does not exist.
    #[error("registry source directory {0} does not exist (check [[registries]] source in the configuration)")]
    MissingSource(PathBuf),
    /// A registry directory has no readable source file naming its authority.
    #[error("cannot read the authority of registry {path}: {why}")]
    UnreadableSource {
        /// The source file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// Two configured entries (directories or upstreams) belong to one authority.
    #[error("registry entries {first} and {second} both belong to {authority_id}")]
    DuplicateAuthority {
        /// The authority.
        authority_id: String,
        /// The first directory or upstream.
        first: PathBuf,
        /// The second directory or upstream.
        second: PathBuf,
    },
    /// The data directory cannot be written.
    #[error("cannot store snapshots in {path}: {source}")]
    Storage {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Why a publish was refused. The current snapshot is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The request lacks the detached JWS.
    #[error("the request carries no detached JWS")]
    MissingSignature,
    /// The path and the snapshot disagree (authority or sequence).
    #[error("the path names {field} `{path}` but the snapshot has `{snapshot}`")]
    PathMismatch {
        /// `authority_id` or `sequence`.
        field: &'static str,
        /// The value in the path.
        path: String,
        /// The value in the snapshot.
        snapshot: String,
    },
    /// The snapshot is not the next one: a rollback, a replay or a gap.
    #[error("sequence {found} is not next: the current sequence is {current}")]
    NotNext {
        /// The current sequence (0 when nothing is published yet).
        current: u64,
        /// The sequence offered.
        found: u64,
    },
    /// Verification refused the snapshot.
    #[error(transparent)]
    Refused(#[from] VerifyError),
    /// The snapshot verified but could not be stored.
    #[error("the snapshot could not be stored: {0}")]
    Storage(std::io::Error),
}

impl From<SnapshotError> for PublishError {
    fn from(error: SnapshotError) -> Self {
        PublishError::Refused(VerifyError::Snapshot(error))
    }
}

/// A verified snapshot, indexed and ready to serve. Its bytes are not kept: they are served from the stored
/// file, checked against the digest.
#[derive(Debug)]
pub struct Published {
    /// The snapshot's content and its question index.
    pub index: RegistryIndex,
    /// The per-entity listing index.
    pub entities: EntityIndex,
    /// Its detached JWS.
    pub jws: String,
    /// Writes answer proofs for its statements.
    pub proofs: ProofWriter,
}

impl Published {
    fn new(snapshot: SnapshotContent, jws: String) -> Published {
        let entities = EntityIndex::new(snapshot.snapshot());
        let proofs = ProofWriter::new(&snapshot, &jws);
        Published { index: RegistryIndex::new(snapshot), entities, jws, proofs }
    }

    /// The snapshot's content.
    pub fn snapshot(&self) -> &SnapshotContent {
        self.index.snapshot()
    }
}

impl IndexedRegistry for Published {
    fn index(&self) -> &RegistryIndex {
        &self.index
    }
}

impl ProvableRegistry for Published {
    fn proofs(&self) -> &ProofWriter {
        &self.proofs
    }
}

/// One hosted registry.
#[derive(Debug)]
pub struct HostedRegistry {
    authority_id: String,
    /// Base URL of the node this registry is mirrored from; `None` when it is hosted from a directory.
    upstream: Option<String>,
    files: SnapshotDir,
    current: RwLock<Option<Arc<Published>>>,
    /// Shared by every hosted registry; see [`Registries::generation`].
    generation: Arc<AtomicU64>,
    /// Digests of the stored snapshots the current one chains back to: only these are served by sequence.
    chain: RwLock<BTreeMap<u64, Digest>>,
    /// Held for a whole publish, so publishes of one registry run one at a time.
    publishing: tokio::sync::Mutex<()>,
    /// The sequence installed last, told to whoever waits for the next one (the change feed).
    installed: tokio::sync::watch::Sender<u64>,
}

impl HostedRegistry {
    /// The authority's DID.
    pub fn authority_id(&self) -> &str {
        &self.authority_id
    }

    /// Base URL of the node this registry is mirrored from; `None` when the governance body publishes here.
    pub fn upstream(&self) -> Option<&str> {
        self.upstream.as_deref()
    }

    /// The snapshot being served, if one has been published.
    pub fn current(&self) -> Option<Arc<Published>> {
        self.current.read().map(|current| current.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Tells the current sequence now and each time a newer snapshot is installed (0: none yet).
    pub fn installed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.installed.subscribe()
    }

    fn current_sequence(&self) -> u64 {
        self.current().map_or(0, |published| published.snapshot().snapshot().sequence)
    }

    /// The digest of snapshot `sequence` if it is part of the verified chain (the current one included).
    pub(crate) fn verified_digest(&self, sequence: u64) -> Option<Digest> {
        self.chain.read().ok()?.get(&sequence).copied()
    }

    /// Snapshot `sequence` as stored, if it is part of the verified chain and its file still has the digest the
    /// chain names (a file changed on disk since is not served).
    pub async fn stored(&self, sequence: u64) -> Option<StoredSnapshot> {
        let expected = self.verified_digest(sequence)?;
        let files = self.files.clone();
        let stored = tokio::task::spawn_blocking(move || files.read(sequence)).await.ok()?.ok()?;
        if Digest::of(&stored.bytes) == expected {
            Some(stored)
        } else {
            tracing::warn!(authority = %self.authority_id, sequence, "stored snapshot changed on disk; not served");
            None
        }
    }

    /// Refuses a publish of `sequence` signed by `jws` when that can be decided without the snapshot, before a byte
    /// of it is read: the sequence is not next, the JWS is missing, or its protected header does not name a key of
    /// the authority's `assertionMethod` with that key's algorithm. What passes is checked again, whole, by
    /// [`HostedRegistry::publish`]: another publish may win the sequence in between.
    pub async fn screen_publish(&self, resolver: &Resolver, sequence: u64, jws: &str) -> Result<(), PublishError> {
        self.check_next_and_signed(sequence, jws)?;
        let document = verify::authority_document(resolver, &self.authority_id).await?;
        jws::check_detached_header(jws, &self.authority_id, document.value())
            .map_err(|refusal| PublishError::from(SnapshotError::Signature(refusal)))
    }

    /// Refuses a publish of a `sequence` that is not next, or without a JWS.
    fn check_next_and_signed(&self, sequence: u64, jws: &str) -> Result<(), PublishError> {
        let current = self.current_sequence();
        if current.checked_add(1) != Some(sequence) {
            return Err(PublishError::NotNext { current, found: sequence });
        }
        if jws.trim().is_empty() {
            return Err(PublishError::MissingSignature);
        }
        Ok(())
    }

    /// Verifies and, if it is the next snapshot, stores and serves `bytes` with `jws`.
    pub async fn publish(
        &self,
        resolver: &Resolver,
        sequence: u64,
        bytes: Vec<u8>,
        jws: &str,
    ) -> Result<Arc<Published>, PublishError> {
        let _one_at_a_time = self.publishing.lock().await;
        self.check_next_and_signed(sequence, jws)?;
        let snapshot = verify::parse_blocking(bytes).await?;
        self.publish_locked(resolver, sequence, snapshot, jws).await
    }

    /// [`HostedRegistry::publish`] of a snapshot already read into canonical form (a mirror's, rebuilt from a change
    /// event): verified, stored and served the same way, without parsing its bytes again.
    pub async fn publish_snapshot(
        &self,
        resolver: &Resolver,
        sequence: u64,
        snapshot: CanonicalSnapshot,
        jws: &str,
    ) -> Result<Arc<Published>, PublishError> {
        let _one_at_a_time = self.publishing.lock().await;
        self.check_next_and_signed(sequence, jws)?;
        self.publish_locked(resolver, sequence, snapshot, jws).await
    }

    /// The publish after parsing, with the publishing lock held.
    async fn publish_locked(
        &self,
        resolver: &Resolver,
        sequence: u64,
        snapshot: CanonicalSnapshot,
        jws: &str,
    ) -> Result<Arc<Published>, PublishError> {
        let current = self.current();
        let content = snapshot.snapshot();
        if content.authority_id != self.authority_id {
            return Err(PublishError::PathMismatch {
                field: "authority_id",
                path: self.authority_id.clone(),
                snapshot: content.authority_id.clone(),
            });
        }
        if content.sequence != sequence {
            return Err(PublishError::PathMismatch {
                field: "sequence",
                path: sequence.to_string(),
                snapshot: content.sequence.to_string(),
            });
        }
        let verified = verify::verify_signature(resolver, snapshot, jws).await?;
        let (snapshot, current) = tokio::task::spawn_blocking(move || {
            let follows =
                current.as_ref().map_or(Ok(()), |current| verified.snapshot.check_follows(current.snapshot()));
            follows.map(|()| (verified.snapshot, current))
        })
        .await
        .map_err(|join| PublishError::Storage(std::io::Error::other(join.to_string())))??;
        drop(current);

        let files = self.files.clone();
        let jws = jws.trim().to_owned();
        let published = tokio::task::spawn_blocking(move || {
            files.write(sequence, snapshot.bytes(), &jws)?;
            Ok::<_, std::io::Error>(Arc::new(Published::new(snapshot.into_content(), jws)))
        })
        .await
        .map_err(|join| std::io::Error::other(join.to_string()))
        .and_then(|written| written)
        .map_err(PublishError::Storage)?;
        self.install(&published);
        tracing::info!(authority = %self.authority_id, sequence, "published snapshot");
        Ok(published)
    }

    fn install(&self, published: &Arc<Published>) {
        let snapshot = published.snapshot();
        if let Ok(mut chain) = self.chain.write() {
            chain.insert(snapshot.snapshot().sequence, snapshot.digest());
        }
        match self.current.write() {
            Ok(mut current) => *current = Some(published.clone()),
            Err(poisoned) => *poisoned.into_inner() = Some(published.clone()),
        }
        // After the swap: a reader that saw the old generation may have answered from the old snapshot, and its
        // answer is now marked as made from older data.
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.installed.send_replace(snapshot.snapshot().sequence);
    }
}

/// Every hosted registry, by authority DID.
#[derive(Debug, Default)]
pub struct Registries {
    hosted: BTreeMap<String, Arc<HostedRegistry>>,
    generation: Arc<AtomicU64>,
}

impl Registries {
    /// The registry of `authority_id`, if hosted.
    pub fn get(&self, authority_id: &str) -> Option<&Arc<HostedRegistry>> {
        self.hosted.get(authority_id)
    }

    /// The current snapshot of `authority_id`'s registry, if hosted and published: what questions are answered from.
    pub fn current(&self, authority_id: &str) -> Option<Arc<Published>> {
        self.get(authority_id).and_then(|registry| registry.current())
    }

    /// A number that grows whenever any hosted registry installs a new snapshot. Read it *before* answering from
    /// the registries: an answer is known to be current while the generation it was made at is still current.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// All hosted registries, in authority order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<HostedRegistry>> {
        self.hosted.values()
    }

    /// Imports and loads every configured registry directory, and loads what is stored of every mirrored registry;
    /// the store lives under `<data_dir>/registries/`.
    pub async fn open(
        configs: &[RegistryConfig],
        data_dir: &Path,
        resolver: &Resolver,
    ) -> Result<Registries, HostingError> {
        let root = data_dir.join("registries");
        let mut origins: HashMap<String, PathBuf> = HashMap::new();
        let mut registries = Registries::default();
        for config in configs {
            let (authority_id, origin, upstream, import_from) = match config {
                RegistryConfig::Source(source) => {
                    let directory = RegistryDir::new(source);
                    if !directory.path().is_dir() {
                        return Err(HostingError::MissingSource(source.clone()));
                    }
                    (read_authority(&directory)?, source.clone(), None, Some(directory.snapshots()))
                }
                RegistryConfig::Mirror { authority, upstream } => {
                    (authority.clone(), PathBuf::from(upstream), Some(upstream.clone()), None)
                }
            };
            if let Some(first) = origins.insert(authority_id.clone(), origin.clone()) {
                return Err(HostingError::DuplicateAuthority { authority_id, first, second: origin });
            }
            let files = SnapshotDir::for_authority(&root, &authority_id);
            let store_path = files.path().to_owned();
            let storage = |source| HostingError::Storage { path: store_path.clone(), source };
            files.create().map_err(storage)?;
            if let Some(snapshots) = import_from {
                import(&snapshots, &files, &authority_id).map_err(storage)?;
            }
            let hosted = HostedRegistry {
                authority_id: authority_id.clone(),
                upstream,
                files,
                current: RwLock::new(None),
                generation: registries.generation.clone(),
                chain: RwLock::new(BTreeMap::new()),
                publishing: tokio::sync::Mutex::new(()),
                installed: tokio::sync::watch::Sender::new(0),
            };
            load_newest(&hosted, resolver).await.map_err(storage)?;
            registries.hosted.insert(authority_id, Arc::new(hosted));
        }
        Ok(registries)
    }
}

/// Only the member the node needs from a source file, so a source mid-edit (invalid elsewhere) still names it.
#[derive(Deserialize)]
struct SourceAuthority {
    authority_id: String,
}

fn read_authority(directory: &RegistryDir) -> Result<String, HostingError> {
    let path = directory.source_path();
    let unreadable = |why: String| HostingError::UnreadableSource { path: path.clone(), why };
    let bytes = std::fs::read(&path).map_err(|e| unreadable(e.to_string()))?;
    let source: SourceAuthority = serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    Ok(source.authority_id)
}

/// Copies the snapshots of `source` that the store lacks. A stored sequence is never overwritten: the store may
/// hold a snapshot published over HTTP that the directory does not know.
fn import(source: &SnapshotDir, store: &SnapshotDir, authority_id: &str) -> std::io::Result<()> {
    if !source.path().is_dir() {
        return Ok(());
    }
    let stored = store.sequences()?;
    for sequence in source.sequences()? {
        let offered = source.read(sequence)?;
        if stored.binary_search(&sequence).is_err() {
            store.write(sequence, &offered.bytes, &offered.jws)?;
        } else if store.read(sequence)?.bytes != offered.bytes {
            tracing::warn!(
                authority = authority_id,
                sequence,
                "the registry directory's snapshot differs from the stored one; keeping the stored one"
            );
        }
    }
    Ok(())
}

/// The `previous` member alone, read without building the statements.
#[derive(Deserialize)]
struct ChainLink {
    #[serde(default)]
    previous: Option<SnapshotLink>,
}

/// Loads the newest stored snapshot that verifies and records the chain of stored files behind it.
async fn load_newest(hosted: &HostedRegistry, resolver: &Resolver) -> std::io::Result<()> {
    let sequences = hosted.files.sequences()?;
    for &sequence in sequences.iter().rev() {
        let skip = |why: &dyn std::fmt::Display| {
            tracing::warn!(authority = %hosted.authority_id, sequence, "skipping stored snapshot: {why}");
        };
        let stored = match hosted.files.read(sequence) {
            Ok(stored) => stored,
            Err(error) => {
                skip(&error);
                continue;
            }
        };
        let verified = match verify::verify(resolver, stored.bytes, &stored.jws).await {
            Ok(verified) if verified.snapshot.snapshot().authority_id != hosted.authority_id => {
                skip(&"it belongs to another authority");
                continue;
            }
            Ok(verified) if verified.snapshot.snapshot().sequence != sequence => {
                skip(&"its sequence differs from its file name");
                continue;
            }
            Ok(verified) => verified,
            Err(error) => {
                skip(&error);
                continue;
            }
        };
        let files = hosted.files.clone();
        let (newest, previous) = (verified.snapshot.link(), verified.snapshot.snapshot().previous);
        let chain = match tokio::task::spawn_blocking(move || walk_chain(&files, newest, previous))
            .await
            .map_err(|join| std::io::Error::other(join.to_string()))?
        {
            Ok(chain) => chain,
            Err(why) => {
                skip(&why);
                continue;
            }
        };
        let published = Arc::new(
            tokio::task::spawn_blocking(move || Published::new(verified.snapshot.into_content(), stored.jws))
                .await
                .map_err(|join| std::io::Error::other(join.to_string()))?,
        );
        if let Ok(mut recorded) = hosted.chain.write() {
            *recorded = chain;
        }
        hosted.install(&published);
        tracing::info!(authority = %hosted.authority_id, sequence, "loaded registry snapshot");
        return Ok(());
    }
    match &hosted.upstream {
        Some(upstream) => {
            tracing::info!(authority = %hosted.authority_id, %upstream, "no snapshot stored yet; mirroring")
        }
        None => {
            tracing::warn!(authority = %hosted.authority_id, "no verified snapshot yet; publish sequence 1 to start")
        }
    }
    Ok(())
}

/// The digests of the stored snapshots reachable from `newest` through `previous` links whose digests match,
/// newest included. A direct predecessor that is stored but is not the one `newest` names refuses `newest`; a
/// mismatch further back only ends the chain (older files are then not served).
fn walk_chain(
    files: &SnapshotDir,
    newest: SnapshotLink,
    mut previous: Option<SnapshotLink>,
) -> Result<BTreeMap<u64, Digest>, String> {
    let mut chain = BTreeMap::from([(newest.sequence, newest.digest)]);
    while let Some(link) = previous {
        let Ok(bytes) = std::fs::read(files.snapshot_path(link.sequence)) else { break };
        if Digest::of(&bytes) != link.digest {
            let why = format!("stored snapshot {} is not the predecessor {} names", link.sequence, link.digest);
            if link.sequence.checked_add(1) == Some(newest.sequence) {
                return Err(why);
            }
            tracing::warn!("older snapshots are not served: {why}");
            break;
        }
        chain.insert(link.sequence, link.digest);
        previous = serde_json::from_slice::<ChainLink>(&bytes).ok().and_then(|link| link.previous);
    }
    Ok(chain)
}
