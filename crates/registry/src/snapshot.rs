//! Snapshots: the signed, chained, published unit of a registry, and the checks that make one trustworthy.
//!
//! A snapshot file is exactly its own RFC 8785 canonical JSON: a file in any other form is refused, so the bytes
//! that are hashed, signed, served and mirrored are one and the same. Its digest is SHA-256 of those bytes, written
//! `sha256:<64 lowercase hex>` (also used for the Merkle root), which doubles as an HTTP `ETag`.
//!
//! Member `statements` sorts last among the snapshot's members, so the canonical bytes are the canonical header
//! followed by the statements' canonical forms, which are also the Merkle leaves. That lets a snapshot of a
//! million statements be written and checked one statement at a time instead of through one huge JSON tree.
//!
//! What is signed is not the file but its [`SignedHeader`]: every header member with `entities` replaced by
//! `entities_digest` (the SHA-256 of the entities' canonical JSON), the Merkle root standing for the statements.
//! The header commits to the whole content, so signing it signs the file; and a verifier holding one statement,
//! its inclusion path and the header can check the statement without the rest of the snapshot (see
//! [`super::proof`]).
//!
//! Chaining: sequence 1 has no `previous`; each later snapshot names the sequence and digest of the one before,
//! keeps the authority, is not issued earlier, and keeps every earlier statement with unchanged terms and a history
//! that only grew. No I/O here: the caller reads and writes files and resolves the authority's DID document.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::jws::{self, JwsError, SigningKey, VerifiedSignature};
use super::merkle::{leaf_hash, MerkleTree};
use super::model::{
    validate_registry, EntityMetadata, ModelError, RegistrySource, RegistryView, Statement, Timestamp, Violation,
};
use trustnode_jcs::JcsError;

/// A SHA-256 value, written `sha256:<hex>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

const DIGEST_PREFIX: &str = "sha256:";

impl Digest {
    /// SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hex on the stack: digests are written into every TRQP answer.
        let mut hex = [0u8; 64];
        hex::encode_to_slice(self.0, &mut hex).map_err(|_| fmt::Error)?;
        f.write_str(DIGEST_PREFIX)?;
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Digest {
    type Err = String;

    fn from_str(text: &str) -> Result<Digest, String> {
        let hex_part =
            text.strip_prefix(DIGEST_PREFIX).ok_or_else(|| format!("`{text}` does not start with sha256:"))?;
        if hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("`{text}` must use lowercase hex"));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes).map_err(|e| format!("`{text}`: {e}"))?;
        Ok(Digest(bytes))
    }
}

serde_as_string!(Digest);

/// The link from a snapshot to its predecessor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotLink {
    /// The predecessor's digest.
    pub digest: Digest,
    /// The predecessor's sequence.
    pub sequence: u64,
}

/// A snapshot's content, as published.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The authority's DID.
    pub authority_id: String,
    /// Entity DID → display metadata.
    pub entities: BTreeMap<String, EntityMetadata>,
    /// Governance framework URI.
    #[serde(default)]
    pub governance_framework: Option<String>,
    /// When it was issued.
    pub issued: Timestamp,
    /// RFC 6962 root over the statements' canonical bytes.
    pub merkle_root: Digest,
    /// The registry's name.
    pub name: String,
    /// When the next snapshot is due; past it, answers are stale.
    pub next_update: Timestamp,
    /// The predecessor; absent for sequence 1.
    #[serde(default)]
    pub previous: Option<SnapshotLink>,
    /// 1 for the first publication, +1 for each next one.
    pub sequence: u64,
    /// Every statement, in source order (the Merkle leaf order).
    pub statements: Vec<Statement>,
}

/// Everything but `statements`, borrowed, in the shape the canonical header is written from.
#[derive(Serialize)]
struct Header<'a> {
    authority_id: &'a str,
    entities: &'a BTreeMap<String, EntityMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    governance_framework: Option<&'a str>,
    issued: Timestamp,
    merkle_root: Digest,
    name: &'a str,
    next_update: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<SnapshotLink>,
    sequence: u64,
}

/// What the authority's detached JWS signs: the snapshot's header with the entities replaced by their digest.
/// Its RFC 8785 canonical JSON is the JWS payload. Members are declared in canonical order, so serde's output of
/// this struct is already that canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedHeader {
    /// The authority's DID.
    pub authority_id: String,
    /// SHA-256 of the canonical JSON of the snapshot's `entities` object.
    pub entities_digest: Digest,
    /// Governance framework URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance_framework: Option<String>,
    /// When the snapshot was issued.
    pub issued: Timestamp,
    /// RFC 6962 root over the statements' canonical bytes.
    pub merkle_root: Digest,
    /// The registry's name.
    pub name: String,
    /// When the next snapshot is due.
    pub next_update: Timestamp,
    /// The predecessor; absent for sequence 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<SnapshotLink>,
    /// The snapshot's sequence.
    pub sequence: u64,
}

impl SignedHeader {
    /// The canonical bytes the JWS signs.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, JcsError> {
        trustnode_jcs::to_canonical(self)
    }

    /// Verifies the authority's detached JWS over this header against the authority's resolved DID document.
    pub fn verify(&self, jws: &str, authority_document: &Value) -> Result<VerifiedSignature, JwsError> {
        let payload = self.signing_bytes().map_err(|error| JwsError::Malformed(error.to_string()))?;
        jws::verify_detached(jws, &payload, &self.authority_id, authority_document)
    }
}

/// A statement's canonical (RFC 8785) bytes, which are also its Merkle leaf.
///
/// Written by serde directly rather than through a `serde_json::Value`: several times faster, and exact because
/// `Statement` declares its fields in canonical order and holds only strings (guarded by a test).
pub(crate) fn statement_bytes(statement: &Statement) -> Result<Vec<u8>, JcsError> {
    serde_json::to_vec(statement).map_err(|e| JcsError::NotJson(e.to_string()))
}

const STATEMENTS_OPEN: &[u8] = b",\"statements\":[";
const DOCUMENT_END: &[u8] = b"]}";

impl Snapshot {
    /// The shared registry parts, for validation.
    pub fn view(&self) -> RegistryView<'_> {
        RegistryView {
            authority_id: &self.authority_id,
            name: &self.name,
            governance_framework: self.governance_framework.as_deref(),
            entities: &self.entities,
            statements: &self.statements,
        }
    }

    /// The canonical bytes up to and including the opening bracket of `statements`.
    fn canonical_prefix(&self) -> Result<Vec<u8>, JcsError> {
        let mut bytes = trustnode_jcs::to_canonical(&Header {
            authority_id: &self.authority_id,
            entities: &self.entities,
            governance_framework: self.governance_framework.as_deref(),
            issued: self.issued,
            merkle_root: self.merkle_root,
            name: &self.name,
            next_update: self.next_update,
            previous: self.previous,
            sequence: self.sequence,
        })?;
        // Drop the header's closing brace: `statements` follows as the last member.
        bytes.pop();
        bytes.extend_from_slice(STATEMENTS_OPEN);
        Ok(bytes)
    }

    /// The header the authority signs.
    fn signed_header(&self) -> Result<SignedHeader, JcsError> {
        Ok(SignedHeader {
            authority_id: self.authority_id.clone(),
            entities_digest: Digest::of(&trustnode_jcs::to_canonical(&self.entities)?),
            governance_framework: self.governance_framework.clone(),
            issued: self.issued,
            merkle_root: self.merkle_root,
            name: self.name.clone(),
            next_update: self.next_update,
            previous: self.previous,
            sequence: self.sequence,
        })
    }

    /// Rules on the header fields and the registry content, all problems at once.
    fn problems(&self) -> Vec<Violation> {
        let mut problems = validate_registry(self.view());
        let mut add = |location: &str, message: String| problems.push(Violation { location: location.into(), message });
        if self.sequence == 0 {
            add("sequence", "must start at 1".into());
        }
        match (self.sequence, &self.previous) {
            (1, Some(_)) => add("previous", "must be absent for sequence 1".into()),
            (sequence, None) if sequence > 1 => add("previous", format!("is required for sequence {sequence}")),
            (sequence, Some(link)) if link.sequence.checked_add(1) != Some(sequence) => {
                add("previous.sequence", format!("{} is not sequence {sequence} − 1", link.sequence))
            }
            _ => {}
        }
        if self.next_update <= self.issued {
            add("next_update", format!("{} is not after issued {}", self.next_update, self.issued));
        }
        problems
    }
}

/// Why a snapshot was refused or could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The registry source is invalid; nothing is built from it.
    #[error("cannot build a snapshot: {0}")]
    InvalidSource(ModelError),
    /// The bytes are not a JSON snapshot.
    #[error("not a snapshot: {0}")]
    Malformed(String),
    /// The content has no canonical form (e.g. an integer beyond 2^53).
    #[error("snapshot cannot be canonicalized: {0}")]
    Canonicalization(JcsError),
    /// The bytes are not in canonical form.
    #[error("snapshot is not in canonical (RFC 8785) form: first difference at byte {offset}")]
    NonCanonical {
        /// Where the bytes first differ from their canonical form.
        offset: usize,
    },
    /// `merkle_root` is not the root of the statements.
    #[error("merkle_root {recorded} does not match the statements (computed {computed})")]
    MerkleRootMismatch {
        /// The root written in the snapshot.
        recorded: Digest,
        /// The root of the statements.
        computed: Digest,
    },
    /// Content or header rules are broken.
    #[error("invalid snapshot: {}", .0.iter().map(Violation::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Violation>),
    /// The snapshot belongs to another authority than its predecessor.
    #[error("authority changed from `{previous}` to `{next}`")]
    AuthorityChanged {
        /// The predecessor's authority.
        previous: String,
        /// This snapshot's authority.
        next: String,
    },
    /// The sequence is not the predecessor's + 1 (rollback or replay).
    #[error("sequence {found} does not follow {current}")]
    SequenceNotNext {
        /// The predecessor's sequence.
        current: u64,
        /// This snapshot's sequence.
        found: u64,
    },
    /// `previous` does not name the predecessor's sequence and digest.
    #[error(
        "`previous` must name snapshot {} with digest {}, the one it follows; {}",
        .expected.sequence,
        .expected.digest,
        found_words(.found.as_ref())
    )]
    BrokenChain {
        /// The link to the actual predecessor.
        expected: SnapshotLink,
        /// The link recorded in this snapshot.
        found: Option<SnapshotLink>,
    },
    /// Issued before its predecessor.
    #[error("issued {issued} is before the previous snapshot's {previous_issued}")]
    IssuedBeforePrevious {
        /// This snapshot's issue time.
        issued: Timestamp,
        /// The predecessor's.
        previous_issued: Timestamp,
    },
    /// A statement of the predecessor is missing.
    #[error("statement `{0}` of the previous snapshot was deleted")]
    StatementDeleted(String),
    /// A statement's terms changed or its history was rewritten rather than extended.
    #[error("statement `{0}` was rewritten; only appending to its history is allowed")]
    StatementRewritten(String),
    /// The signature was refused.
    #[error("signature refused: {0}")]
    Signature(JwsError),
}

/// What a [`SnapshotError::BrokenChain`] snapshot's `previous` says instead.
fn found_words(found: Option<&SnapshotLink>) -> String {
    match found {
        Some(link) => format!("it names snapshot {} with digest {}", link.sequence, link.digest),
        None => "it has no `previous`".to_owned(),
    }
}

impl From<JcsError> for SnapshotError {
    fn from(error: JcsError) -> Self {
        SnapshotError::Canonicalization(error)
    }
}

/// A snapshot's content with the digest of its canonical bytes and its Merkle tree, but not the bytes: what a
/// server keeps in memory once the bytes are stored (at a million statements the bytes alone are about 240 MB).
/// Obtained only from a [`CanonicalSnapshot`], so content, digest and tree always agree.
#[derive(Debug, Clone)]
pub struct SnapshotContent {
    snapshot: Snapshot,
    digest: Digest,
    tree: MerkleTree,
    header: SignedHeader,
    /// The canonical JSON of `header`: the signed payload.
    header_bytes: Vec<u8>,
}

/// A snapshot together with its canonical bytes, digest and Merkle tree; only built or parsed, never assembled
/// by hand, so they always agree. It dereferences to its [`SnapshotContent`].
#[derive(Debug, Clone)]
pub struct CanonicalSnapshot {
    content: SnapshotContent,
    bytes: Vec<u8>,
}

impl std::ops::Deref for CanonicalSnapshot {
    type Target = SnapshotContent;

    fn deref(&self) -> &SnapshotContent {
        &self.content
    }
}

impl From<CanonicalSnapshot> for SnapshotContent {
    fn from(snapshot: CanonicalSnapshot) -> SnapshotContent {
        snapshot.content
    }
}

/// How often, in statements, the `*_with_progress` functions report.
pub const PROGRESS_STEP: usize = 10_000;

/// Receives `(statements encoded or checked, statements in total)`, every [`PROGRESS_STEP`] statements and once at
/// the end, so a terminal can show progress on large registries.
pub type Progress<'p> = &'p mut dyn FnMut(usize, usize);

fn report(progress: &mut Progress<'_>, position: usize, total: usize) {
    let done = position + 1;
    if done.is_multiple_of(PROGRESS_STEP) || done == total {
        progress(done, total);
    }
}

impl CanonicalSnapshot {
    /// Builds the next snapshot of `source`: sequence 1 without `previous`, else chained to `previous`.
    pub fn build(
        source: &RegistrySource,
        previous: Option<&CanonicalSnapshot>,
        issued: Timestamp,
        next_update: Timestamp,
    ) -> Result<CanonicalSnapshot, SnapshotError> {
        CanonicalSnapshot::build_with_progress(source, previous, issued, next_update, &mut |_, _| {})
    }

    /// [`CanonicalSnapshot::build`], reporting progress.
    pub fn build_with_progress(
        source: &RegistrySource,
        previous: Option<&CanonicalSnapshot>,
        issued: Timestamp,
        next_update: Timestamp,
        mut progress: Progress<'_>,
    ) -> Result<CanonicalSnapshot, SnapshotError> {
        source.validate().map_err(SnapshotError::InvalidSource)?;
        let mut statements_part = Vec::new();
        let mut leaves = Vec::with_capacity(source.statements.len());
        for (position, statement) in source.statements.iter().enumerate() {
            if position > 0 {
                statements_part.push(b',');
            }
            let leaf = statement_bytes(statement)?;
            leaves.push(leaf_hash(&leaf));
            statements_part.extend_from_slice(&leaf);
            report(&mut progress, position, source.statements.len());
        }
        let tree = MerkleTree::from_leaf_hashes(leaves);
        let snapshot = Snapshot {
            authority_id: source.authority_id.clone(),
            entities: source.entities.clone(),
            governance_framework: source.governance_framework.clone(),
            issued,
            merkle_root: Digest(tree.root()),
            name: source.name.clone(),
            next_update,
            previous: previous.map(|p| p.link()),
            sequence: previous.map_or(Some(1), |p| p.snapshot.sequence.checked_add(1)).unwrap_or(0),
            statements: source.statements.clone(),
        };
        let problems = snapshot.problems();
        if !problems.is_empty() {
            return Err(SnapshotError::Invalid(problems));
        }
        let mut bytes = snapshot.canonical_prefix()?;
        bytes.extend_from_slice(&statements_part);
        bytes.extend_from_slice(DOCUMENT_END);
        let header = snapshot.signed_header()?;
        let header_bytes = header.signing_bytes()?;
        let built = CanonicalSnapshot {
            content: SnapshotContent { digest: Digest::of(&bytes), snapshot, tree, header, header_bytes },
            bytes,
        };
        if let Some(previous) = previous {
            built.check_follows(previous)?;
        }
        Ok(built)
    }

    /// Reads published bytes: they must be a snapshot in canonical form whose Merkle root and rules hold.
    /// The signature is checked separately, with [`SnapshotContent::verify_signature`].
    pub fn parse(bytes: Vec<u8>) -> Result<CanonicalSnapshot, SnapshotError> {
        CanonicalSnapshot::parse_with_progress(bytes, &mut |_, _| {})
    }

    /// [`CanonicalSnapshot::parse`], reporting progress once the JSON is read.
    pub fn parse_with_progress(bytes: Vec<u8>, mut progress: Progress<'_>) -> Result<CanonicalSnapshot, SnapshotError> {
        let mut snapshot: Snapshot =
            serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Malformed(e.to_string()))?;
        // Deserialized vectors start with room for four entries; most histories hold one. At a million
        // statements the slack would be over 100 MB.
        snapshot.statements.iter_mut().for_each(|statement| statement.history.shrink_to_fit());
        let mut cursor = CanonicalCursor { bytes: &bytes, offset: 0 };
        cursor.expect(&snapshot.canonical_prefix()?)?;
        let mut leaves = Vec::with_capacity(snapshot.statements.len());
        for (position, statement) in snapshot.statements.iter().enumerate() {
            if position > 0 {
                cursor.expect(b",")?;
            }
            let leaf = statement_bytes(statement)?;
            cursor.expect(&leaf)?;
            leaves.push(leaf_hash(&leaf));
            report(&mut progress, position, snapshot.statements.len());
        }
        cursor.expect(DOCUMENT_END)?;
        cursor.expect_end()?;

        let tree = MerkleTree::from_leaf_hashes(leaves);
        let computed = Digest(tree.root());
        if computed != snapshot.merkle_root {
            return Err(SnapshotError::MerkleRootMismatch { recorded: snapshot.merkle_root, computed });
        }
        let problems = snapshot.problems();
        if !problems.is_empty() {
            return Err(SnapshotError::Invalid(problems));
        }
        let header = snapshot.signed_header()?;
        let header_bytes = header.signing_bytes()?;
        let content = SnapshotContent { digest: Digest::of(&bytes), snapshot, tree, header, header_bytes };
        Ok(CanonicalSnapshot { content, bytes })
    }

    /// The canonical form of `snapshot`, checked exactly as published bytes are by [`CanonicalSnapshot::parse`]:
    /// how a receiver that rebuilt a snapshot's content (from a change event) gets the bytes the publisher served.
    pub(crate) fn assemble(snapshot: &Snapshot) -> Result<CanonicalSnapshot, SnapshotError> {
        let mut bytes = snapshot.canonical_prefix()?;
        for (position, statement) in snapshot.statements.iter().enumerate() {
            if position > 0 {
                bytes.push(b',');
            }
            bytes.extend_from_slice(&statement_bytes(statement)?);
        }
        bytes.extend_from_slice(DOCUMENT_END);
        CanonicalSnapshot::parse(bytes)
    }

    /// The exact canonical bytes, as served (their digest is the `previous` link and the ETag).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The content without the bytes, for keeping in memory once the bytes are stored.
    pub fn into_content(self) -> SnapshotContent {
        self.content
    }
}

impl SnapshotContent {
    /// Signs the snapshot's [`SignedHeader`] with `key`, named `kid` (a DID URL of the authority).
    pub fn sign(&self, key: &SigningKey, kid: &str) -> Result<String, SnapshotError> {
        jws::sign_detached(&self.header_bytes, key, &self.snapshot.authority_id, kid).map_err(SnapshotError::Signature)
    }

    /// Verifies a detached JWS over this snapshot's [`SignedHeader`] against the authority's resolved DID document.
    pub fn verify_signature(&self, jws: &str, authority_document: &Value) -> Result<VerifiedSignature, SnapshotError> {
        jws::verify_detached(jws, &self.header_bytes, &self.snapshot.authority_id, authority_document)
            .map_err(SnapshotError::Signature)
    }

    /// The header the authority signs.
    pub fn signed_header(&self) -> &SignedHeader {
        &self.header
    }

    /// The canonical JSON of [`SnapshotContent::signed_header`]: exactly the bytes the JWS signs.
    pub(crate) fn signed_header_bytes(&self) -> &[u8] {
        &self.header_bytes
    }

    /// Checks that this snapshot may replace `previous` (see the module documentation for the rules).
    pub fn check_follows(&self, previous: &SnapshotContent) -> Result<(), SnapshotError> {
        let (next, before) = (&self.snapshot, &previous.snapshot);
        if next.authority_id != before.authority_id {
            return Err(SnapshotError::AuthorityChanged {
                previous: before.authority_id.clone(),
                next: next.authority_id.clone(),
            });
        }
        if before.sequence.checked_add(1) != Some(next.sequence) {
            return Err(SnapshotError::SequenceNotNext { current: before.sequence, found: next.sequence });
        }
        if next.previous != Some(previous.link()) {
            return Err(SnapshotError::BrokenChain { expected: previous.link(), found: next.previous });
        }
        if next.issued < before.issued {
            return Err(SnapshotError::IssuedBeforePrevious { issued: next.issued, previous_issued: before.issued });
        }
        let by_id: HashMap<&str, &Statement> = next.statements.iter().map(|s| (s.id.as_str(), s)).collect();
        for old in &before.statements {
            let new = by_id.get(old.id.as_str()).ok_or_else(|| SnapshotError::StatementDeleted(old.id.clone()))?;
            if !new.same_terms(old) || !new.history.starts_with(&old.history) {
                return Err(SnapshotError::StatementRewritten(old.id.clone()));
            }
        }
        Ok(())
    }

    /// The link a successor must record as `previous`.
    pub fn link(&self) -> SnapshotLink {
        SnapshotLink { digest: self.digest, sequence: self.snapshot.sequence }
    }

    /// True from `next_update` on: answers from this snapshot are then stale.
    pub fn is_stale(&self, now: Timestamp) -> bool {
        now >= self.snapshot.next_update
    }

    /// The content.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// SHA-256 of the canonical bytes ([`CanonicalSnapshot::bytes`]).
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The Merkle tree over the statements, for inclusion proofs (leaf `i` is statement `i`).
    pub fn merkle_tree(&self) -> &MerkleTree {
        &self.tree
    }
}

/// Walks the published bytes alongside their canonical form, so no second copy of a large file is made.
struct CanonicalCursor<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl CanonicalCursor<'_> {
    fn expect(&mut self, canonical: &[u8]) -> Result<(), SnapshotError> {
        let rest = self.bytes.get(self.offset..).unwrap_or_default();
        let matching = rest.iter().zip(canonical).take_while(|(a, b)| a == b).count();
        if matching < canonical.len() {
            return Err(SnapshotError::NonCanonical { offset: self.offset + matching });
        }
        self.offset += canonical.len();
        Ok(())
    }

    fn expect_end(&self) -> Result<(), SnapshotError> {
        if self.offset == self.bytes.len() {
            Ok(())
        } else {
            Err(SnapshotError::NonCanonical { offset: self.offset })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewStatement, StatementKind, Status};

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn source() -> RegistrySource {
        let mut source = RegistrySource::init("did:web:board.example", "Board €", None).unwrap();
        for n in 0..5 {
            let entity = format!("did:web:school{n}.example");
            source
                .upsert_entity(&entity, EntityMetadata { name: format!("School {n}"), ..Default::default() })
                .unwrap();
            source
                .add_statement(NewStatement {
                    kind: StatementKind::Authorization,
                    entity_id: entity,
                    action: "issue".into(),
                    resource: "OpenBadgeCredential".into(),
                    valid_from: at("2025-01-01T00:00:00Z"),
                    valid_until: Some(at("2030-01-01T00:00:00Z")),
                })
                .unwrap();
        }
        source
    }

    fn first() -> CanonicalSnapshot {
        CanonicalSnapshot::build(&source(), None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z")).unwrap()
    }

    #[test]
    fn built_bytes_are_the_canonical_form_of_the_whole_document() {
        let built = first();
        let value: Value = serde_json::from_slice(built.bytes()).unwrap();
        assert_eq!(trustnode_jcs::canonicalize(&value).unwrap(), built.bytes());
        assert_eq!(value["sequence"], 1);
        assert!(value.get("previous").is_none());
        assert_eq!(value["merkle_root"], built.snapshot().merkle_root.to_string());
        let parsed = CanonicalSnapshot::parse(built.bytes().to_vec()).unwrap();
        assert_eq!(parsed.snapshot(), built.snapshot());
        assert_eq!(parsed.digest(), Digest::of(built.bytes()));
        assert!(parsed.digest().to_string().starts_with("sha256:"));
    }

    #[test]
    fn pretty_printed_or_reordered_files_are_refused() {
        let built = first();
        let value: Value = serde_json::from_slice(built.bytes()).unwrap();
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        assert!(matches!(CanonicalSnapshot::parse(pretty), Err(SnapshotError::NonCanonical { offset: 1 })));
        let mut trailing = built.bytes().to_vec();
        trailing.push(b'\n');
        assert!(matches!(CanonicalSnapshot::parse(trailing), Err(SnapshotError::NonCanonical { .. })));
    }

    #[test]
    fn a_changed_statement_breaks_the_merkle_root() {
        let built = first();
        let text = String::from_utf8(built.bytes().to_vec()).unwrap().replacen("\"issue\"", "\"issuf\"", 1);
        assert!(matches!(
            CanonicalSnapshot::parse(text.into_bytes()),
            Err(SnapshotError::MerkleRootMismatch { recorded, .. }) if recorded == built.snapshot().merkle_root
        ));
    }

    #[test]
    fn chaining_rules() {
        let one = first();
        let mut source = source();
        source.change_status("s2", Status::Revoked, at("2025-06-01T12:00:00Z"), "closed").unwrap();
        let two = CanonicalSnapshot::build(&source, Some(&one), at("2025-06-02T00:00:00Z"), at("2025-06-03T00:00:00Z"))
            .unwrap();
        assert_eq!(two.snapshot().sequence, 2);
        assert_eq!(two.snapshot().previous, Some(one.link()));
        assert!(two.check_follows(&one).is_ok());
        assert!(matches!(
            one.check_follows(&two),
            Err(SnapshotError::AuthorityChanged { .. }) | Err(SnapshotError::SequenceNotNext { .. })
        ));
        assert!(matches!(two.check_follows(&two), Err(SnapshotError::SequenceNotNext { current: 2, found: 2 })));

        let issued_earlier =
            CanonicalSnapshot::build(&source, Some(&one), at("2025-05-01T00:00:00Z"), at("2025-06-03T00:00:00Z"));
        assert!(matches!(issued_earlier, Err(SnapshotError::IssuedBeforePrevious { .. })));

        let mut deleted = source.clone();
        deleted.statements.remove(0);
        let result =
            CanonicalSnapshot::build(&deleted, Some(&one), at("2025-06-02T00:00:00Z"), at("2025-06-03T00:00:00Z"));
        assert_eq!(result.unwrap_err(), SnapshotError::StatementDeleted("s1".into()));

        let mut rewritten = source.clone();
        rewritten.statements[0].valid_until = None;
        let result =
            CanonicalSnapshot::build(&rewritten, Some(&one), at("2025-06-02T00:00:00Z"), at("2025-06-03T00:00:00Z"));
        assert_eq!(result.unwrap_err(), SnapshotError::StatementRewritten("s1".into()));
    }

    #[test]
    fn a_fork_of_the_same_predecessor_breaks_the_chain() {
        let one = first();
        let mut other_source = source();
        other_source.name = "Another board".into();
        let other_one =
            CanonicalSnapshot::build(&other_source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z"))
                .unwrap();
        let two = CanonicalSnapshot::build(
            &source(),
            Some(&other_one),
            at("2025-06-02T00:00:00Z"),
            at("2025-06-03T00:00:00Z"),
        )
        .unwrap();
        let refused = two.check_follows(&one).unwrap_err();
        assert!(matches!(refused, SnapshotError::BrokenChain { .. }));
        let (expected, found) = (one.digest(), two.snapshot().previous.map(|link| link.digest));
        let found = found.expect("snapshot 2 names a predecessor");
        assert_eq!(
            refused.to_string(),
            format!("`previous` must name snapshot 1 with digest {expected}, the one it follows; it names snapshot 1 with digest {found}")
        );
    }

    #[test]
    fn header_rules_are_checked_when_building() {
        let result = CanonicalSnapshot::build(&source(), None, at("2025-06-01T00:00:00Z"), at("2025-06-01T00:00:00Z"));
        let Err(SnapshotError::Invalid(problems)) = result else { panic!("expected Invalid") };
        assert_eq!(problems[0].location, "next_update");
    }

    #[test]
    fn direct_statement_serialization_is_canonical() {
        let mut source = source();
        source.statements[0].history.push(crate::model::StatusChange {
            reason: Some("audit \u{1F600} \u{FB33} \"quoted\"\n".into()),
            since: at("2025-02-01T00:00:00Z"),
            status: Status::Suspended,
        });
        source.statements[0].resource = "urn:\u{e9}\u{7f}\u{1f}".into();
        source.statements[1].valid_until = None;
        source.statements[2].max_depth = Some(7);
        for statement in &source.statements {
            assert_eq!(statement_bytes(statement).unwrap(), trustnode_jcs::to_canonical(statement).unwrap());
        }
    }

    #[test]
    fn progress_reaches_the_total() {
        let mut source = source();
        let template = source.statements[0].clone();
        source.statements.extend((6..PROGRESS_STEP + 8).map(|n| Statement { id: format!("s{n}"), ..template.clone() }));
        let total = source.statements.len();
        let mut seen = Vec::new();
        let built = CanonicalSnapshot::build_with_progress(
            &source,
            None,
            at("2025-06-01T00:00:00Z"),
            at("2025-06-02T00:00:00Z"),
            &mut |done, all| seen.push((done, all)),
        )
        .unwrap();
        assert_eq!(seen, [(PROGRESS_STEP, total), (total, total)]);
        seen.clear();
        CanonicalSnapshot::parse_with_progress(built.bytes().to_vec(), &mut |done, all| seen.push((done, all)))
            .unwrap();
        assert_eq!(seen, [(PROGRESS_STEP, total), (total, total)]);
    }

    #[test]
    fn digests_are_lowercase_sha256_hex() {
        let digest = Digest::of(b"abc");
        let text = digest.to_string();
        assert_eq!(text, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(text.parse::<Digest>(), Ok(digest));
        assert!(text.to_uppercase().replace("SHA256", "sha256").parse::<Digest>().is_err());
        assert!("md5:00".parse::<Digest>().is_err());
    }
}
