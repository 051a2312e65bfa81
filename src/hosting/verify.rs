//! Verifying a published snapshot end to end: canonical form and content rules (the pure core), then the
//! detached signature against the authority's DID document, resolved through our own resolver (did:key offline,
//! did:web over HTTPS). Shared by the node (start-up and publishing) and `trustnode registry verify`.
//!
//! No files and no HTTP here: callers hand in bytes and the resolver.

use trustnode_did::document::Document;
use trustnode_registry::jws::VerifiedSignature;
use trustnode_registry::snapshot::{CanonicalSnapshot, SnapshotError};
use trustnode_resolver::Resolver;

/// Why a snapshot did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The bytes, the content rules, the chain or the signature were refused.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The authority's DID document could not be obtained, so no key can be trusted.
    #[error("cannot resolve the authority `{authority_id}`: {why}")]
    AuthorityUnresolvable {
        /// The authority.
        authority_id: String,
        /// What the resolver said.
        why: String,
    },
}

/// A snapshot whose form and signature were verified.
#[derive(Debug)]
pub struct VerifiedSnapshot {
    /// The snapshot.
    pub snapshot: CanonicalSnapshot,
    /// Which key signed it.
    pub signature: VerifiedSignature,
}

/// The DID document of `authority_id`.
pub async fn authority_document(resolver: &Resolver, authority_id: &str) -> Result<Document, VerifyError> {
    resolver.document(authority_id).await.map_err(|error| VerifyError::AuthorityUnresolvable {
        authority_id: authority_id.to_owned(),
        why: error.to_string(),
    })
}

/// Checks `jws` over `snapshot` against the authority's current DID document.
pub async fn verify_signature(
    resolver: &Resolver,
    snapshot: CanonicalSnapshot,
    jws: &str,
) -> Result<VerifiedSnapshot, VerifyError> {
    let document = authority_document(resolver, &snapshot.snapshot().authority_id).await?;
    let signature = snapshot.verify_signature(jws, document.value())?;
    Ok(VerifiedSnapshot { snapshot, signature })
}

/// Parses `bytes` (canonical form, Merkle root, content rules) on a blocking thread, then verifies `jws`.
pub async fn verify(resolver: &Resolver, bytes: Vec<u8>, jws: &str) -> Result<VerifiedSnapshot, VerifyError> {
    let snapshot = parse_blocking(bytes).await?;
    verify_signature(resolver, snapshot, jws).await
}

/// [`CanonicalSnapshot::parse`] off the async threads: a large snapshot takes seconds.
pub(crate) async fn parse_blocking(bytes: Vec<u8>) -> Result<CanonicalSnapshot, SnapshotError> {
    tokio::task::spawn_blocking(move || CanonicalSnapshot::parse(bytes))
        .await
        .unwrap_or_else(|join| Err(SnapshotError::Malformed(format!("parsing was interrupted: {join}"))))
}
