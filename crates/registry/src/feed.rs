//! The change feed's core: what changed between two consecutive snapshots, as one [`ChangeEvent`] a receiver can
//! check without trusting whoever relayed it, and the checks themselves.
//!
//! An event carries the snapshot's sequence and digest, its [`SignedHeader`] with the authority's detached JWS, the
//! number of statements, and every statement that differs from the previous snapshot (by statement id), each with
//! its inclusion path under the signed Merkle root:
//! - `added`: an id the previous snapshot did not have;
//! - `modified`: an id it had, now with a longer status history (terms never change: see `super::snapshot`);
//! - `moved`: unchanged, but at a position the old order does not give: once the source reordered statements
//!   (rare: only a hand edit does), every unchanged statement from the first one out of order on is sent.
//!
//! Nothing is ever `removed`: the chaining rules refuse a snapshot that drops a statement
//! ([`super::snapshot::SnapshotError::StatementDeleted`]), so a verified chain has no removals to report and a
//! removal could not be proven against the next snapshot anyway.
//!
//! A receiver holding the previous snapshot's link checks an event with [`ChangeEvent::verify`] (signature, chain,
//! each inclusion path). One that also holds the previous statements can [`ChangeEvent::apply`] it: unchanged
//! statements keep their relative order, changed ones go to their leaf positions, and the rebuilt Merkle root must
//! be the signed one, which proves that the event left nothing out. An event narrowed by a [`ChangeFilter`] still
//! verifies, but cannot be applied.
//!
//! Pure: values in, values out. The node computes events and serves them; the CLI checks them.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::jws::{JwsError, VerifiedSignature};
use super::merkle::{leaf_hash, MerkleTree};
use super::model::Statement;
use super::proof::{Inclusion, LinkError};
use super::snapshot::{
    statement_bytes, CanonicalSnapshot, Digest, SignedHeader, Snapshot, SnapshotContent, SnapshotLink,
};

/// One snapshot's changes, as served by the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeEvent {
    /// The snapshot's sequence.
    pub sequence: u64,
    /// SHA-256 of the snapshot's canonical bytes; the next snapshot's signed `previous` link confirms it.
    pub digest: Digest,
    /// The header the authority signed (its `previous` chains the event to the one before).
    pub header: SignedHeader,
    /// The authority's detached JWS over the canonical JSON of `header`.
    pub jws: String,
    /// How many statements the snapshot holds (its Merkle tree size).
    pub statement_count: u64,
    /// The statements that changed, in leaf order.
    pub changes: Vec<Change>,
}

/// How a statement changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// New in this snapshot.
    Added,
    /// Its status history grew.
    Modified,
    /// Unchanged, at a position the order of the unchanged statements does not give.
    Moved,
}

impl ChangeKind {
    /// The name in JSON and in the CLI's lines.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Moved => "moved",
        }
    }
}

/// One changed statement with its inclusion path in the event's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// How it changed.
    pub change: ChangeKind,
    /// The statement as it is in the event's snapshot.
    pub statement: Statement,
    /// Its leaf position and path under the header's Merkle root.
    pub inclusion: Inclusion,
}

/// Narrows an event to the changes a receiver cares about; `None` members match everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeFilter<'a> {
    /// Only statements about this entity DID.
    pub entity: Option<&'a str>,
    /// Only statements with this action.
    pub action: Option<&'a str>,
    /// Only statements with this resource.
    pub resource: Option<&'a str>,
}

impl ChangeFilter<'_> {
    /// True when nothing is filtered out.
    pub fn is_everything(&self) -> bool {
        self.entity.is_none() && self.action.is_none() && self.resource.is_none()
    }

    /// True when `statement` passes.
    pub fn matches(&self, statement: &Statement) -> bool {
        let passes = |wanted: Option<&str>, value: &str| wanted.is_none_or(|wanted| wanted == value);
        passes(self.entity, &statement.entity_id)
            && passes(self.action, &statement.action)
            && passes(self.resource, &statement.resource)
    }
}

/// What a receiver has accepted so far: the sequence it holds (0: nothing yet) and, when known, that snapshot's
/// digest. Without the digest the first event's chain link is taken on trust (its signature is still checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor {
    /// The sequence held.
    pub sequence: u64,
    /// Its digest, when known.
    pub digest: Option<Digest>,
}

impl FeedCursor {
    /// A receiver holding nothing: the next event must be sequence 1.
    pub const START: FeedCursor = FeedCursor { sequence: 0, digest: None };
}

/// Why an event could not be made, or does not verify or apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// The two snapshots given to [`ChangeEvent::between`] are not consecutive links of one chain.
    #[error("snapshot {next} does not follow snapshot {previous} of the same chain")]
    NotConsecutive {
        /// The earlier snapshot's sequence (0 for none).
        previous: u64,
        /// The later one's.
        next: u64,
    },
    /// The event would list more changes than the caller allows (a first snapshot of a large registry, say):
    /// the receiver should fetch the snapshot itself and follow the feed from there.
    #[error("snapshot {sequence} changes {changes} statements, more than the {max} an event may list")]
    TooManyChanges {
        /// The snapshot.
        sequence: u64,
        /// How many statements changed.
        changes: usize,
        /// The bound.
        max: usize,
    },
    /// A statement of the previous snapshot is missing from the next one, which a verified chain never allows.
    #[error("statement `{0}` was removed, which the chaining rules refuse")]
    Removed(String),
    /// The event's sequence is not its header's.
    #[error("the event says sequence {event} but its signed header says {header}")]
    SequenceMismatch {
        /// The event's `sequence`.
        event: u64,
        /// The header's.
        header: u64,
    },
    /// The header does not name the snapshot the receiver holds as its predecessor.
    #[error("snapshot {sequence} does not follow the one held ({held}): its signed `previous` is {found}")]
    BrokenChain {
        /// The event's sequence.
        sequence: u64,
        /// What the receiver holds.
        held: String,
        /// What the header names.
        found: String,
    },
    /// The header's signature was refused.
    #[error("the signed header of snapshot {sequence} is refused: {error}")]
    Signature {
        /// The event's sequence.
        sequence: u64,
        /// Why.
        error: JwsError,
    },
    /// A change's inclusion path does not lead to the signed root.
    #[error("change {index} of snapshot {sequence}: {error}")]
    Change {
        /// The event's sequence.
        sequence: u64,
        /// The change's position in `changes`.
        index: usize,
        /// Why.
        error: LinkError,
    },
    /// A change's tree size is not the event's statement count.
    #[error("change {index} of snapshot {sequence} is proven in a tree of {proven} statements, not {count}")]
    TreeSize {
        /// The event's sequence.
        sequence: u64,
        /// The change's position.
        index: usize,
        /// Its `tree_size`.
        proven: u64,
        /// The event's `statement_count`.
        count: u64,
    },
    /// The event's signed `entities_digest` is not the held snapshot's: the entities changed, and an event does not
    /// carry them, so the receiver must fetch that snapshot whole.
    #[error("snapshot {sequence} changes the registry's entities, which an event does not carry")]
    EntitiesChanged {
        /// The event's sequence.
        sequence: u64,
    },
    /// Applying the event to the previous statements contradicts it.
    #[error("snapshot {sequence} does not apply to the statements held: {why}")]
    DoesNotApply {
        /// The event's sequence.
        sequence: u64,
        /// Why.
        why: String,
    },
}

impl ChangeEvent {
    /// The event of `next`, signed by `jws`, against `previous` (`None` when `next` is sequence 1), refused before
    /// any inclusion path is made when more than `max_changes` statements changed.
    pub fn between(
        previous: Option<&SnapshotContent>,
        next: &SnapshotContent,
        jws: &str,
        max_changes: usize,
    ) -> Result<ChangeEvent, FeedError> {
        let content = next.snapshot();
        let not_consecutive = || FeedError::NotConsecutive {
            previous: previous.map_or(0, |p| p.snapshot().sequence),
            next: content.sequence,
        };
        if content.previous != previous.map(SnapshotContent::link) {
            return Err(not_consecutive());
        }
        let before: &[Statement] = previous.map_or(&[], |previous| &previous.snapshot().statements);
        let old_by_id: HashMap<&str, &Statement> = before.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut kinds: Vec<Option<ChangeKind>> = Vec::with_capacity(content.statements.len());
        let mut unchanged: HashSet<&str> = HashSet::new();
        for statement in &content.statements {
            kinds.push(match old_by_id.get(statement.id.as_str()) {
                None => Some(ChangeKind::Added),
                Some(old) if *old != statement => Some(ChangeKind::Modified),
                Some(_) => {
                    unchanged.insert(statement.id.as_str());
                    None
                }
            });
        }
        let next_ids: HashSet<&str> = content.statements.iter().map(|s| s.id.as_str()).collect();
        if let Some(removed) = before.iter().find(|s| !next_ids.contains(s.id.as_str())) {
            return Err(FeedError::Removed(removed.id.clone()));
        }
        // Unchanged statements are not sent: the receiver places them in their old relative order. From the first
        // one out of that order on, they are sent as `moved`.
        let mut old_order = before.iter().filter(|s| unchanged.contains(s.id.as_str()));
        let mut in_order = true;
        for (position, statement) in content.statements.iter().enumerate() {
            if kinds[position].is_some() {
                continue;
            }
            in_order = in_order && old_order.next().is_some_and(|old| old.id == statement.id);
            if !in_order {
                kinds[position] = Some(ChangeKind::Moved);
            }
        }
        let changed = kinds.iter().flatten().count();
        if changed > max_changes {
            return Err(FeedError::TooManyChanges { sequence: content.sequence, changes: changed, max: max_changes });
        }
        let tree = next.merkle_tree();
        let changes = kinds
            .iter()
            .enumerate()
            .filter_map(|(position, kind)| kind.map(|kind| (position, kind)))
            .map(|(position, change)| {
                let proof = tree.inclusion_proof(position as u64).map_err(|_| not_consecutive())?;
                let statement = content.statements[position].clone();
                Ok(Change { change, statement, inclusion: Inclusion::from_proof(&proof) })
            })
            .collect::<Result<Vec<Change>, FeedError>>()?;
        Ok(ChangeEvent {
            sequence: content.sequence,
            digest: next.digest(),
            header: next.signed_header().clone(),
            jws: jws.to_owned(),
            statement_count: tree.size(),
            changes,
        })
    }

    /// The same event with only the changes `filter` passes.
    pub fn filtered(&self, filter: &ChangeFilter<'_>) -> ChangeEvent {
        let changes = self.changes.iter().filter(|change| filter.matches(&change.statement)).cloned().collect();
        ChangeEvent { changes, ..self.clone() }
    }

    /// The link the next event's header must name.
    pub fn link(&self) -> SnapshotLink {
        SnapshotLink { digest: self.digest, sequence: self.sequence }
    }

    /// Checks the event against what the receiver holds and the authority's resolved DID document: the header is
    /// this sequence's, follows `held` and is signed by the authority; every change is included under its Merkle
    /// root. Returns the cursor to check the next event against.
    pub fn verify(&self, held: FeedCursor, authority_document: &Value) -> Result<VerifiedEvent, FeedError> {
        let sequence = self.sequence;
        if self.header.sequence != sequence {
            return Err(FeedError::SequenceMismatch { event: sequence, header: self.header.sequence });
        }
        let chained = match (held, self.header.previous) {
            (FeedCursor { sequence: 0, .. }, None) => sequence == 1,
            (FeedCursor { sequence: held, digest }, Some(link)) => {
                link.sequence == held && digest.is_none_or(|digest| digest == link.digest)
            }
            (_, None) => false,
        };
        if !chained {
            let held = match held.digest {
                Some(digest) => format!("sequence {} with digest {digest}", held.sequence),
                None => format!("sequence {}", held.sequence),
            };
            let found = self
                .header
                .previous
                .map_or("absent".to_owned(), |link| format!("sequence {} with digest {}", link.sequence, link.digest));
            return Err(FeedError::BrokenChain { sequence, held, found });
        }
        let signature = self
            .header
            .verify(&self.jws, authority_document)
            .map_err(|error| FeedError::Signature { sequence, error })?;
        for (index, change) in self.changes.iter().enumerate() {
            if change.inclusion.tree_size != self.statement_count {
                let (proven, count) = (change.inclusion.tree_size, self.statement_count);
                return Err(FeedError::TreeSize { sequence, index, proven, count });
            }
            change.inclusion.check(&change.statement, &self.header.merkle_root).map_err(|error| FeedError::Change {
                sequence,
                index,
                error,
            })?;
        }
        Ok(VerifiedEvent { cursor: FeedCursor { sequence, digest: Some(self.digest) }, signature })
    }

    /// The next snapshot's statements, from the previous snapshot's `statements` and this (unfiltered) event; the
    /// rebuilt Merkle root must be the signed one, so an event that left a change out does not apply. Verify the
    /// event first: this checks completeness, not the signature.
    pub fn apply(&self, statements: &[Statement]) -> Result<Vec<Statement>, FeedError> {
        let fail = |why: String| FeedError::DoesNotApply { sequence: self.sequence, why };
        let old_by_id: HashMap<&str, &Statement> = statements.iter().map(|s| (s.id.as_str(), s)).collect();
        let count = usize::try_from(self.statement_count).map_err(|_| fail("too many statements".into()))?;
        if count < statements.len() {
            return Err(fail(format!("{count} statements is fewer than the {} held", statements.len())));
        }
        let mut slots: Vec<Option<&Statement>> = vec![None; count];
        let mut placed: HashSet<&str> = HashSet::new();
        for change in &self.changes {
            let statement = &change.statement;
            let old = old_by_id.get(statement.id.as_str());
            let consistent = match (change.change, old) {
                (ChangeKind::Added, None) => true,
                (ChangeKind::Modified, Some(old)) => {
                    statement.same_terms(old) && statement.history.starts_with(&old.history) && statement != *old
                }
                (ChangeKind::Moved, Some(old)) => statement == *old,
                _ => false,
            };
            if !consistent {
                return Err(fail(format!("statement `{}` is not {} here", statement.id, change.change.as_str())));
            }
            let slot = usize::try_from(change.inclusion.leaf_index).ok().and_then(|index| slots.get_mut(index));
            match slot {
                Some(slot @ None) if placed.insert(statement.id.as_str()) => *slot = Some(statement),
                _ => return Err(fail(format!("statement `{}` has no free leaf position", statement.id))),
            }
        }
        let mut kept = statements.iter().filter(|s| !placed.contains(s.id.as_str()));
        for slot in slots.iter_mut().filter(|slot| slot.is_none()) {
            *slot = Some(kept.next().ok_or_else(|| fail("fewer statements than the event counts".into()))?);
        }
        if kept.next().is_some() {
            return Err(fail("statements held are missing from the event's positions".into()));
        }
        let next: Vec<Statement> = slots.into_iter().flatten().cloned().collect();
        let leaves = next
            .iter()
            .map(|statement| statement_bytes(statement).map(|bytes| leaf_hash(&bytes)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| fail(error.to_string()))?;
        if MerkleTree::from_leaf_hashes(leaves).root() != self.header.merkle_root.0 {
            return Err(fail("the rebuilt Merkle root is not the signed one: a change is missing".into()));
        }
        Ok(next)
    }

    /// The whole snapshot of this (unfiltered) event, rebuilt on `previous` (the snapshot its header follows): the
    /// statements by [`ChangeEvent::apply`], the entities kept (refused with [`FeedError::EntitiesChanged`] when the
    /// signed `entities_digest` says they changed), every other member from the signed header. The result is the
    /// publisher's snapshot byte for byte: its digest must be the event's. Verify the event first; the signature
    /// over the rebuilt snapshot is the header's, so it verifies too.
    pub fn rebuild(&self, previous: &SnapshotContent) -> Result<CanonicalSnapshot, FeedError> {
        let sequence = self.sequence;
        let fail = |why: String| FeedError::DoesNotApply { sequence, why };
        if self.header.previous != Some(previous.link()) {
            return Err(fail(format!("it does not follow snapshot {}", previous.snapshot().sequence)));
        }
        if self.header.entities_digest != previous.signed_header().entities_digest {
            return Err(FeedError::EntitiesChanged { sequence });
        }
        let header = &self.header;
        let snapshot = Snapshot {
            authority_id: header.authority_id.clone(),
            entities: previous.snapshot().entities.clone(),
            governance_framework: header.governance_framework.clone(),
            issued: header.issued,
            merkle_root: header.merkle_root,
            name: header.name.clone(),
            next_update: header.next_update,
            previous: header.previous,
            sequence: header.sequence,
            statements: self.apply(&previous.snapshot().statements)?,
        };
        let rebuilt = CanonicalSnapshot::assemble(&snapshot).map_err(|error| fail(error.to_string()))?;
        if rebuilt.digest() != self.digest {
            return Err(fail(format!(
                "the rebuilt snapshot's digest is {}, not the event's {}",
                rebuilt.digest(),
                self.digest
            )));
        }
        Ok(rebuilt)
    }
}

/// An event that verified: where the receiver now stands, and the key that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    /// The cursor to check the next event against.
    pub cursor: FeedCursor,
    /// The verification method that signed the header.
    pub signature: VerifiedSignature,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::{SigningKey, SigningKeyType};
    use crate::model::{EntityMetadata, NewStatement, RegistrySource, StatementKind, Status, Timestamp};
    use trustnode_did::key::{self, KeyOptions};

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    struct Chain {
        key: SigningKey,
        document: Value,
        source: RegistrySource,
        snapshots: Vec<(CanonicalSnapshot, String)>,
    }

    impl Chain {
        fn new() -> Chain {
            let key = SigningKey::generate(SigningKeyType::Ed25519, &mut rand_core::OsRng);
            let authority = key.did_key().unwrap();
            let document = key::resolve(&authority, &authority[8..], &KeyOptions::default()).unwrap();
            let source = RegistrySource::init(&authority, "Board", None).unwrap();
            Chain { key, document, source, snapshots: Vec::new() }
        }

        fn add(&mut self, n: usize) -> String {
            let entity = format!("did:web:school{n}.example");
            self.source
                .upsert_entity(&entity, EntityMetadata { name: format!("School {n}"), ..Default::default() })
                .unwrap();
            self.source
                .add_statement(NewStatement {
                    kind: StatementKind::Authorization,
                    entity_id: entity,
                    action: "issue".into(),
                    resource: format!("Badge{}", n % 2),
                    valid_from: at("2025-01-01T00:00:00Z"),
                    valid_until: None,
                })
                .unwrap()
        }

        fn publish(&mut self) -> ChangeEvent {
            let day = self.snapshots.len() + 1;
            let previous = self.snapshots.last().map(|(snapshot, _)| snapshot);
            let issued = at(&format!("2025-06-{day:02}T00:00:00Z"));
            let next = at(&format!("2025-06-{:02}T00:00:00Z", day + 1));
            let snapshot = CanonicalSnapshot::build(&self.source, previous, issued, next).unwrap();
            let jws = snapshot.sign(&self.key, &self.key.did_key_url().unwrap()).unwrap();
            let event = ChangeEvent::between(previous.map(|p| &**p), &snapshot, &jws, usize::MAX).unwrap();
            self.snapshots.push((snapshot, jws));
            event
        }
    }

    fn kinds(event: &ChangeEvent) -> Vec<(&str, ChangeKind)> {
        event.changes.iter().map(|change| (change.statement.id.as_str(), change.change)).collect()
    }

    #[test]
    fn events_list_additions_and_status_changes_and_verify_and_apply() {
        let mut chain = Chain::new();
        (0..5).for_each(|n| drop(chain.add(n)));
        let first = chain.publish();
        assert_eq!(kinds(&first).len(), 5);
        let verified = first.verify(FeedCursor::START, &chain.document).unwrap();
        let held = first.apply(&[]).unwrap();
        assert_eq!(held, chain.snapshots[0].0.snapshot().statements);

        chain.add(5);
        chain.source.change_status("s2", Status::Suspended, at("2025-06-01T12:00:00Z"), "audit").unwrap();
        let second = chain.publish();
        assert_eq!(kinds(&second), [("s2", ChangeKind::Modified), ("s6", ChangeKind::Added)]);
        assert_eq!(second.statement_count, 6);
        let next = second.verify(verified.cursor, &chain.document).unwrap();
        assert_eq!(next.cursor, FeedCursor { sequence: 2, digest: Some(chain.snapshots[1].0.digest()) });
        assert_eq!(second.apply(&held).unwrap(), chain.snapshots[1].0.snapshot().statements);

        let json: ChangeEvent = serde_json::from_slice(&serde_json::to_vec(&second).unwrap()).unwrap();
        assert_eq!(json, second);
    }

    #[test]
    fn reordered_statements_are_sent_as_moved_and_still_apply() {
        let mut chain = Chain::new();
        (0..4).for_each(|n| drop(chain.add(n)));
        chain.publish();
        chain.source.statements.swap(0, 2);
        let event = chain.publish();
        // From the first statement out of order on, every unchanged one is sent: simple, and reordering is rare.
        let moved = [
            ("s3", ChangeKind::Moved),
            ("s2", ChangeKind::Moved),
            ("s1", ChangeKind::Moved),
            ("s4", ChangeKind::Moved),
        ];
        assert_eq!(kinds(&event), moved);
        let before = &chain.snapshots[0].0.snapshot().statements;
        assert_eq!(event.apply(before).unwrap(), chain.snapshots[1].0.snapshot().statements);
    }

    #[test]
    fn tampering_is_caught() {
        let mut chain = Chain::new();
        (0..3).for_each(|n| drop(chain.add(n)));
        let first = chain.publish();
        let held = first.verify(FeedCursor::START, &chain.document).unwrap().cursor;
        chain.add(3);
        chain.source.change_status("s1", Status::Revoked, at("2025-06-01T12:00:00Z"), "closed").unwrap();
        let event = chain.publish();

        let mut statement = event.clone();
        statement.changes[0].statement.history.pop();
        assert!(matches!(
            statement.verify(held, &chain.document),
            Err(FeedError::Change { index: 0, error: LinkError::NotIncluded { .. }, .. })
        ));
        let mut header = event.clone();
        header.header.name = "Bored".into();
        assert!(matches!(header.verify(held, &chain.document), Err(FeedError::Signature { sequence: 2, .. })));
        let mut digest = held;
        digest.digest = Some(Digest::of(b"another snapshot"));
        assert!(matches!(event.verify(digest, &chain.document), Err(FeedError::BrokenChain { sequence: 2, .. })));
        assert!(matches!(event.verify(FeedCursor::START, &chain.document), Err(FeedError::BrokenChain { .. })));
        let mut sequence = event.clone();
        sequence.sequence = 3;
        assert!(matches!(sequence.verify(held, &chain.document), Err(FeedError::SequenceMismatch { .. })));

        // Left out: still verifies change by change, but does not apply.
        let mut omitted = event.clone();
        omitted.changes.remove(0);
        assert!(omitted.verify(held, &chain.document).is_ok());
        let before = &chain.snapshots[0].0.snapshot().statements;
        assert!(matches!(omitted.apply(before), Err(FeedError::DoesNotApply { sequence: 2, .. })));
        assert!(event.apply(before).is_ok());
    }

    #[test]
    fn filters_keep_the_event_but_narrow_its_changes() {
        let mut chain = Chain::new();
        (0..6).for_each(|n| drop(chain.add(n)));
        let event = chain.publish();
        let badge1 = event.filtered(&ChangeFilter { resource: Some("Badge1"), ..Default::default() });
        assert_eq!(kinds(&badge1).iter().map(|(id, _)| *id).collect::<Vec<_>>(), ["s2", "s4", "s6"]);
        let one = event.filtered(&ChangeFilter {
            entity: Some("did:web:school3.example"),
            action: Some("issue"),
            resource: Some("Badge1"),
        });
        assert_eq!(kinds(&one), [("s4", ChangeKind::Added)]);
        assert!(one.verify(FeedCursor::START, &chain.document).is_ok());
        let none = event.filtered(&ChangeFilter { action: Some("accredit"), ..Default::default() });
        assert!(none.changes.is_empty() && none.sequence == 1);
        assert!(ChangeFilter::default().is_everything());
    }

    #[test]
    fn events_rebuild_the_publishers_snapshot_byte_for_byte() {
        let mut chain = Chain::new();
        (0..4).for_each(|n| drop(chain.add(n)));
        chain.publish();
        chain.source.change_status("s1", Status::Suspended, at("2025-06-01T12:00:00Z"), "audit").unwrap();
        let event = chain.publish();
        let (first, second) = (&chain.snapshots[0].0, &chain.snapshots[1].0);
        let rebuilt = event.rebuild(first).unwrap();
        assert_eq!((rebuilt.bytes(), rebuilt.digest()), (second.bytes(), second.digest()));

        let mut digest = event.clone();
        digest.digest = Digest::of(b"another snapshot");
        assert!(matches!(digest.rebuild(first), Err(FeedError::DoesNotApply { sequence: 2, .. })));
        assert!(matches!(event.rebuild(second), Err(FeedError::DoesNotApply { sequence: 2, .. })));

        // The entities travel in no event: a snapshot that changes them (here: a new entity) is fetched whole.
        chain.add(4);
        let renamed = chain.publish();
        assert_eq!(renamed.rebuild(&chain.snapshots[1].0).err(), Some(FeedError::EntitiesChanged { sequence: 3 }));
    }

    #[test]
    fn events_over_the_bound_are_refused() {
        let mut chain = Chain::new();
        (0..5).for_each(|n| drop(chain.add(n)));
        chain.publish();
        let (first, jws) = &chain.snapshots[0];
        assert_eq!(
            ChangeEvent::between(None, first, jws, 4),
            Err(FeedError::TooManyChanges { sequence: 1, changes: 5, max: 4 })
        );
        assert_eq!(ChangeEvent::between(None, first, jws, 5).map(|event| event.changes.len()), Ok(5));
    }

    #[test]
    fn snapshots_that_do_not_follow_each_other_make_no_event() {
        let mut chain = Chain::new();
        chain.add(0);
        chain.publish();
        chain.add(1);
        chain.publish();
        let (first, second) = (&chain.snapshots[0].0, &chain.snapshots[1].0);
        assert_eq!(
            ChangeEvent::between(None, second, "jws", usize::MAX),
            Err(FeedError::NotConsecutive { previous: 0, next: 2 })
        );
        assert_eq!(
            ChangeEvent::between(Some(second), first, "jws", usize::MAX),
            Err(FeedError::NotConsecutive { previous: 2, next: 1 })
        );
    }
}
