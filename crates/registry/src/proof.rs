//! Proofs that make a TRQP answer checkable by anyone holding only the authority's DID: for each statement the
//! answer relies on, a self-contained link with the statement, its RFC 6962 inclusion path and the snapshot's
//! signed header with the authority's detached JWS.
//!
//! A link verifies when (1) the JWS verifies over the canonical JSON of the header with a key in the authority's
//! `assertionMethod`, and (2) the statement's canonical JSON (its Merkle leaf) with the path leads to the header's
//! `merkle_root`. An answer follows from its proof when, in addition, a link of the answer's authority holds a
//! statement of the answer's kind, entity, action and resource that is `active` at `time_evaluated`, and the
//! answer's `registry_sequence` (when given) is that link's. A chain answer (`super::chain`) lists one link per
//! statement it relies on, from the asked authority down; each link is proven the same way, and together they must
//! form a chain that holds (see [`check_answer`]). The README's "Verifying an answer" section is the
//! language-neutral form.
//!
//! Answers are the hot path, so a node writes links straight into the answer's bytes from a per-snapshot
//! [`ProofWriter`] (the header and JWS rendered once); verifiers read them back as [`ProofLink`] values.
//!
//! Pure: values in, values out; resolving DID documents is the caller's job.

use std::io::Write as _;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::chain::{IndexedRegistry, MAX_CHAIN_LINKS};
use super::evaluate::{standing_at, Standing};
use super::jws::{JwsError, VerifiedSignature};
use super::merkle::{leaf_hash, verify_inclusion, Hash, InclusionProof, MerkleError};
use super::model::{Scope, Statement, StatementKind, Timestamp};
use super::snapshot::{statement_bytes, Digest, SignedHeader, SnapshotContent};
use trustnode_jcs::JcsError;

/// Length of a SHA-256 hash in unpadded base64url.
const ENCODED_HASH_LEN: usize = 43;

/// The proof attached to an answer: one link per statement the answer relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// The links; a direct answer has one.
    pub links: Vec<ProofLink>,
}

/// One statement, shown to be part of a snapshot the authority signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofLink {
    /// The statement; its RFC 8785 canonical JSON is the Merkle leaf.
    pub statement: Statement,
    /// Where the leaf sits in the snapshot's Merkle tree and the sibling hashes up to the root.
    pub inclusion: Inclusion,
    /// The snapshot's signed header, which holds the Merkle root.
    pub header: SignedHeader,
    /// The authority's detached JWS over the canonical JSON of `header`.
    pub jws: String,
}

/// An RFC 9162 inclusion path as carried in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inclusion {
    /// The leaf's position in the snapshot's `statements`, from 0.
    pub leaf_index: u64,
    /// The number of statements in the snapshot.
    pub tree_size: u64,
    /// Sibling hashes from the leaf up, each unpadded base64url of 32 bytes.
    pub path: Vec<String>,
}

impl Inclusion {
    /// The JSON form of `proof`.
    pub fn from_proof(proof: &InclusionProof) -> Inclusion {
        let path = proof.path.iter().map(|hash| URL_SAFE_NO_PAD.encode(hash)).collect();
        Inclusion { leaf_index: proof.index, tree_size: proof.tree_size, path }
    }

    /// Checks that `statement` (its canonical JSON as the leaf) sits at this path under `root`.
    pub fn check(&self, statement: &Statement, root: &Digest) -> Result<(), LinkError> {
        let path = self
            .path
            .iter()
            .enumerate()
            .map(|(step, encoded)| {
                let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| LinkError::PathEncoding { step })?;
                Hash::try_from(bytes.as_slice()).map_err(|_| LinkError::PathEncoding { step })
            })
            .collect::<Result<Vec<Hash>, LinkError>>()?;
        let leaf = statement_bytes(statement).map_err(LinkError::Canonicalization)?;
        let proof = InclusionProof { index: self.leaf_index, tree_size: self.tree_size, path };
        verify_inclusion(&leaf_hash(&leaf), &proof, &root.0)
            .map_err(|error| LinkError::NotIncluded { statement_id: statement.id.clone(), error })
    }
}

/// Why one link did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The header's signature was refused.
    #[error("the snapshot header's signature is refused: {0}")]
    HeaderSignature(JwsError),
    /// A path entry is not base64url of a SHA-256 hash.
    #[error("inclusion path entry {step} is not unpadded base64url of 32 bytes")]
    PathEncoding {
        /// The entry's position in `path`.
        step: usize,
    },
    /// The statement has no canonical form.
    #[error("the statement cannot be canonicalized: {0}")]
    Canonicalization(JcsError),
    /// The statement and path do not lead to the signed Merkle root.
    #[error("statement `{statement_id}` is not in the signed snapshot: {error}")]
    NotIncluded {
        /// The statement's id.
        statement_id: String,
        /// What the inclusion check found.
        error: MerkleError,
    },
}

/// Why an answer does not follow from its proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Neither `authorized` nor `recognized` is true: there is nothing a proof could show.
    #[error("the answer is negative; proofs only show positive answers")]
    NotPositive,
    /// A positive answer without `proof`.
    #[error("the answer carries no proof")]
    MissingProof,
    /// `proof.links` is empty.
    #[error("the proof has no links")]
    NoLinks,
    /// A link did not verify.
    #[error("proof link {index}: {error}")]
    Link {
        /// The link's position in `links`.
        index: usize,
        /// Why.
        error: LinkError,
    },
    /// No link holds the statement the answer is about.
    #[error("proof link {index}: the {field} `{proven}` is not the answer's `{answered}`")]
    Unrelated {
        /// The closest link's position.
        index: usize,
        /// The member that differs.
        field: &'static str,
        /// The value in the link.
        proven: String,
        /// The value in the answer.
        answered: String,
    },
    /// The matching statement is not in force at `time_evaluated`.
    #[error("statement `{statement_id}` is {standing} at {at}, not active")]
    NotInForce {
        /// The statement.
        statement_id: String,
        /// Its standing then.
        standing: &'static str,
        /// The answer's `time_evaluated`.
        at: Timestamp,
    },
    /// The node could not write a proof for a statement it answered from (a bug, never the client's fault).
    #[error("cannot prove statement {0}")]
    Unprovable(String),
    /// The links do not form an accreditation chain that grants the answer.
    #[error("proof link {index}: the chain does not hold: {why}")]
    BrokenChain {
        /// The link where the chain breaks.
        index: usize,
        /// Why.
        why: String,
    },
    /// The answer names another snapshot than the one proven.
    #[error("the answer says registry_sequence {answered} but the proof is from sequence {proven}")]
    SequenceMismatch {
        /// The answer's `registry_sequence`.
        answered: u64,
        /// The proven header's sequence.
        proven: u64,
    },
}

/// The members of a TRQP answer a verifier reads; others are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    /// The entity asked about.
    pub entity_id: String,
    /// The authority asked.
    pub authority_id: String,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// Present on `/authorization` answers.
    #[serde(default)]
    pub authorized: Option<bool>,
    /// Present on `/recognition` answers.
    #[serde(default)]
    pub recognized: Option<bool>,
    /// The instant the answer holds for.
    pub time_evaluated: Timestamp,
    /// The snapshot the node answered from.
    #[serde(default)]
    pub registry_sequence: Option<u64>,
    /// The proof, when one was asked for.
    #[serde(default)]
    pub proof: Option<Proof>,
}

impl Answer {
    /// The statement kind a positive answer claims, if the answer is positive.
    pub fn positive_kind(&self) -> Option<StatementKind> {
        match (self.authorized, self.recognized) {
            (Some(true), _) => Some(StatementKind::Authorization),
            (_, Some(true)) => Some(StatementKind::Recognition),
            _ => None,
        }
    }
}

/// Where a written link finds its snapshot's signed header and JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderPlacement {
    /// In the link itself (`header`, `jws`): a [`ProofLink`], self-contained, as a single answer carries it.
    Inline,
    /// Elsewhere in the document, once for every link into the same snapshot: the link ends with the snapshot's
    /// `authority_id` instead (a batch answer's form, see `super::batch`).
    Shared,
}

/// Writes proof links for the statements of one snapshot. The parts shared by every link (the signed header and
/// the JWS, or the authority that names them) are rendered once, when the snapshot is loaded.
#[derive(Debug, Clone)]
pub struct ProofWriter {
    /// `,"header":{…},"jws":"…"}`: everything after a link's inclusion path.
    tail: Vec<u8>,
    /// `,"authority_id":"…"}`: the same, for a link whose header is shared.
    reference: Vec<u8>,
}

impl ProofWriter {
    /// The writer for `snapshot`, whose detached JWS is `jws`.
    pub fn new(snapshot: &SnapshotContent, jws: &str) -> ProofWriter {
        let mut tail = b",\"header\":".to_vec();
        tail.extend_from_slice(snapshot.signed_header_bytes());
        tail.extend_from_slice(b",\"jws\":");
        tail.extend_from_slice(Value::from(jws).to_string().as_bytes());
        tail.push(b'}');
        let mut reference = b",\"authority_id\":".to_vec();
        reference.extend_from_slice(Value::from(snapshot.snapshot().authority_id.as_str()).to_string().as_bytes());
        reference.push(b'}');
        ProofWriter { tail, reference }
    }

    /// Appends the JSON of the link for statement `position` of `snapshot` (the snapshot this writer was made
    /// for) to `out`: a [`ProofLink`], or with a [`HeaderPlacement::Shared`] header the same without `header` and
    /// `jws` but with the authority's `authority_id`.
    pub fn write_link(
        &self,
        snapshot: &SnapshotContent,
        position: usize,
        placement: HeaderPlacement,
        out: &mut Vec<u8>,
    ) -> Result<(), ProofError> {
        let internal = |why: String| ProofError::Unprovable(why);
        let path = snapshot.merkle_tree().inclusion_proof(position as u64).map_err(|e| internal(e.to_string()))?;
        let statement = snapshot.snapshot().statements.get(position).ok_or_else(|| internal(position.to_string()))?;
        out.extend_from_slice(b"{\"statement\":");
        // Serde's output of a statement is its canonical form (see `snapshot::statement_bytes`).
        serde_json::to_writer(&mut *out, statement).map_err(|e| internal(e.to_string()))?;
        write!(out, ",\"inclusion\":{{\"leaf_index\":{},\"tree_size\":{},\"path\":[", path.index, path.tree_size)
            .map_err(|e| internal(e.to_string()))?;
        let mut encoded = [0u8; ENCODED_HASH_LEN];
        for (step, hash) in path.path.iter().enumerate() {
            if step > 0 {
                out.push(b',');
            }
            let written = URL_SAFE_NO_PAD.encode_slice(hash, &mut encoded).map_err(|e| internal(e.to_string()))?;
            out.push(b'"');
            out.extend_from_slice(encoded.get(..written).unwrap_or_default());
            out.push(b'"');
        }
        out.extend_from_slice(b"]}");
        out.extend_from_slice(match placement {
            HeaderPlacement::Inline => &self.tail,
            HeaderPlacement::Shared => &self.reference,
        });
        Ok(())
    }

    /// Appends what links with a [`HeaderPlacement::Shared`] header leave out, for `snapshot` (the snapshot this
    /// writer was made for): `{"registry_sequence":…,"snapshot_digest":"…","header":{…},"jws":"…"}`.
    pub fn write_shared_header(&self, snapshot: &SnapshotContent, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "{{\"registry_sequence\":{},\"snapshot_digest\":\"{}\"",
            snapshot.snapshot().sequence,
            snapshot.digest()
        );
        out.extend_from_slice(&self.tail);
    }
}

/// A registry whose statements can be proven: its index, and the [`ProofWriter`] made for the same snapshot. The
/// node's published snapshot is one; the TRQP answer writer (`super::trqp`) reaches proofs through it.
pub trait ProvableRegistry: IndexedRegistry {
    /// The proof writer of the snapshot [`IndexedRegistry::index`] holds.
    fn proofs(&self) -> &ProofWriter;

    /// Appends the JSON of the link for statement `position` of that snapshot to `out` (see
    /// [`ProofWriter::write_link`]).
    fn write_link(&self, position: usize, placement: HeaderPlacement, out: &mut Vec<u8>) -> Result<(), ProofError> {
        self.proofs().write_link(self.index().snapshot(), position, placement, out)
    }
}

impl<T: ProvableRegistry + ?Sized> ProvableRegistry for Arc<T> {
    fn proofs(&self) -> &ProofWriter {
        T::proofs(self)
    }
}

impl<T: ProvableRegistry + ?Sized> ProvableRegistry for &T {
    fn proofs(&self) -> &ProofWriter {
        T::proofs(self)
    }
}

impl ProofLink {
    /// The authority whose signature the link carries: resolve its DID document for [`ProofLink::verify`].
    pub fn authority_id(&self) -> &str {
        &self.header.authority_id
    }

    /// Checks the header's signature against the authority's resolved DID document, then the statement's
    /// inclusion under the signed Merkle root.
    pub fn verify(&self, authority_document: &Value) -> Result<VerifiedSignature, LinkError> {
        let signature = self.header.verify(&self.jws, authority_document).map_err(LinkError::HeaderSignature)?;
        self.inclusion.check(&self.statement, &self.header.merkle_root)?;
        Ok(signature)
    }

    /// The first member in which this link does not support `answer` (claiming `kind`), if any.
    /// `authority_id` is the authority the link must come from: the asked one, or for the last link of a chain
    /// the one the chain reached.
    fn mismatch(
        &self,
        answer: &Answer,
        kind: StatementKind,
        authority_id: &str,
    ) -> Option<(&'static str, String, String)> {
        let statement = &self.statement;
        [
            ("authority_id", self.header.authority_id.as_str(), authority_id),
            ("statement kind", statement.kind.as_str(), kind.as_str()),
            ("entity_id", statement.entity_id.as_str(), answer.entity_id.as_str()),
            ("action", statement.action.as_str(), answer.action.as_str()),
            ("resource", statement.resource.as_str(), answer.resource.as_str()),
        ]
        .into_iter()
        .find(|(_, proven, answered)| proven != answered)
        .map(|(field, proven, answered)| (field, proven.to_owned(), answered.to_owned()))
    }
}

/// Checks that a positive `answer` follows from its proof, given every link already verified with
/// [`ProofLink::verify`]: returns the position of the link holding the deciding statement.
///
/// One link: its statement must match the answer and be active at `time_evaluated`. Several links: they must form
/// an accreditation chain (`super::chain`) from the asked authority down: every link active at `time_evaluated`;
/// each but the last a delegation whose scope covers the resource, made to the authority of the next link, with
/// no more links after it than its `max_depth`; no authority twice; at most [`MAX_CHAIN_LINKS`] links; the last
/// link's statement matching the answer.
pub fn check_answer(answer: &Answer) -> Result<usize, ProofError> {
    let kind = answer.positive_kind().ok_or(ProofError::NotPositive)?;
    let proof = answer.proof.as_ref().ok_or(ProofError::MissingProof)?;
    if proof.links.len() > 1 {
        return check_chain(answer, kind, &proof.links);
    }
    let mut closest = None;
    for (index, link) in proof.links.iter().enumerate() {
        let Some((field, proven, answered)) = link.mismatch(answer, kind, &answer.authority_id) else {
            check_in_force(&link.statement, answer.time_evaluated)?;
            check_sequence(answer, link)?;
            return Ok(index);
        };
        closest.get_or_insert(ProofError::Unrelated { index, field, proven, answered });
    }
    Err(closest.unwrap_or(ProofError::NoLinks))
}

fn check_in_force(statement: &Statement, at: Timestamp) -> Result<(), ProofError> {
    let (standing, _) = standing_at(statement, at);
    if standing == Standing::Active {
        Ok(())
    } else {
        Err(ProofError::NotInForce { statement_id: statement.id.clone(), standing: standing.name(), at })
    }
}

fn check_sequence(answer: &Answer, link: &ProofLink) -> Result<(), ProofError> {
    match answer.registry_sequence {
        Some(answered) if answered != link.header.sequence => {
            Err(ProofError::SequenceMismatch { answered, proven: link.header.sequence })
        }
        _ => Ok(()),
    }
}

fn check_chain(answer: &Answer, kind: StatementKind, links: &[ProofLink]) -> Result<usize, ProofError> {
    let broken = |index: usize, why: String| ProofError::BrokenChain { index, why };
    let last = links.len().saturating_sub(1);
    if links.len() > MAX_CHAIN_LINKS {
        return Err(broken(last, format!("a chain holds at most {MAX_CHAIN_LINKS} statements")));
    }
    let first = links.first().ok_or(ProofError::NoLinks)?;
    if first.header.authority_id != answer.authority_id {
        let (proven, answered) = (first.header.authority_id.clone(), answer.authority_id.clone());
        return Err(ProofError::Unrelated { index: 0, field: "authority_id", proven, answered });
    }
    check_sequence(answer, first)?;
    for (index, link) in links.iter().enumerate() {
        let statement = &link.statement;
        check_in_force(statement, answer.time_evaluated)?;
        if links.iter().take(index).any(|earlier| earlier.header.authority_id == link.header.authority_id) {
            return Err(broken(index, format!("authority `{}` appears twice", link.header.authority_id)));
        }
        let Some(next) = links.get(index + 1) else { break };
        if !statement.is_delegation() {
            return Err(broken(index, format!("statement `{}` is not a delegation", statement.id)));
        }
        let scope = Scope::parse(&statement.resource).map_err(|why| broken(index, why))?;
        if !scope.covers(&answer.resource) {
            return Err(broken(index, format!("scope `{}` does not cover `{}`", statement.resource, answer.resource)));
        }
        if statement.entity_id != next.header.authority_id {
            let (to, from) = (&statement.entity_id, &next.header.authority_id);
            return Err(broken(index + 1, format!("the delegation is to `{to}` but the next link is `{from}`'s")));
        }
        if statement.max_depth.is_some_and(|depth| last - index > usize::from(depth)) {
            return Err(broken(index, format!("statement `{}` allows fewer links after it", statement.id)));
        }
    }
    let deciding = links.get(last).ok_or(ProofError::NoLinks)?;
    if let Some((field, proven, answered)) = deciding.mismatch(answer, kind, &deciding.header.authority_id) {
        return Err(ProofError::Unrelated { index: last, field, proven, answered });
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::{SigningKey, SigningKeyType};
    use crate::model::{EntityMetadata, NewStatement, RegistrySource, Status};
    use crate::snapshot::CanonicalSnapshot;
    use rand_core::OsRng;
    use serde_json::json;

    const SCHOOL: &str = "did:web:school.example";

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    struct Signed {
        snapshot: CanonicalSnapshot,
        jws: String,
        document: Value,
    }

    /// A registry of `count` statements, the last one revoked from 2026, signed by a did:key authority.
    fn signed(count: usize) -> Signed {
        let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
        let authority = key.did_key().unwrap();
        let mut source = RegistrySource::init(&authority, "Board", None).unwrap();
        source.upsert_entity(SCHOOL, EntityMetadata { name: "School".into(), ..Default::default() }).unwrap();
        for n in 0..count {
            source
                .add_statement(NewStatement {
                    kind: StatementKind::Authorization,
                    entity_id: SCHOOL.into(),
                    action: "issue".into(),
                    resource: format!("Credential{n}"),
                    valid_from: at("2025-01-01T00:00:00Z"),
                    valid_until: None,
                })
                .unwrap();
        }
        source.change_status(&format!("s{count}"), Status::Revoked, at("2026-01-01T00:00:00Z"), "closed").unwrap();
        let snapshot =
            CanonicalSnapshot::build(&source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z")).unwrap();
        let jws = snapshot.sign(&key, &key.did_key_url().unwrap()).unwrap();
        let multibase = key.public_key().to_did_key().unwrap().to_multibase();
        let document = json!({"id": authority, "assertionMethod": [{"id": key.did_key_url().unwrap(), "publicKeyMultibase": multibase}]});
        Signed { snapshot, jws, document }
    }

    /// The link a node writes for statement `position`, as JSON.
    fn written_link(signed: &Signed, position: usize) -> Value {
        let mut out = Vec::new();
        let writer = ProofWriter::new(&signed.snapshot, &signed.jws);
        writer.write_link(&signed.snapshot, position, HeaderPlacement::Inline, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    /// The answer a node gives for statement `position`, with its proof, as a verifier reads it.
    fn answer(signed: &Signed, position: usize, time: &str) -> Answer {
        let statement = &signed.snapshot.snapshot().statements[position];
        let text = json!({
            "entity_id": statement.entity_id, "authority_id": signed.snapshot.snapshot().authority_id,
            "action": statement.action, "resource": statement.resource, "authorized": true,
            "time_evaluated": time, "registry_sequence": 1, "proof": {"links": [written_link(signed, position)]},
        });
        serde_json::from_value(text).unwrap()
    }

    fn only_link(answer: &mut Answer) -> &mut ProofLink {
        &mut answer.proof.as_mut().unwrap().links[0]
    }

    #[test]
    fn every_statement_of_every_size_is_proven_through_json() {
        for count in [1, 2, 3, 7, 8, 33] {
            let signed = signed(count);
            for position in 0..count {
                let answer = answer(&signed, position, "2025-07-01T00:00:00Z");
                let link = &answer.proof.as_ref().unwrap().links[0];
                assert_eq!(link.verify(&signed.document).map(|s| s.kid.contains('#')), Ok(true), "{count}/{position}");
                assert_eq!(check_answer(&answer), Ok(0));
            }
        }
    }

    #[test]
    fn a_changed_statement_path_or_header_fails_with_its_reason() {
        let signed = signed(9);
        let pristine = answer(&signed, 4, "2025-07-01T00:00:00Z");

        let mut statement = pristine.clone();
        only_link(&mut statement).statement.resource = "Credential5".into();
        let error = only_link(&mut statement).verify(&signed.document).unwrap_err();
        assert!(matches!(error, LinkError::NotIncluded { error: MerkleError::RootMismatch, .. }), "{error}");

        let mut path = pristine.clone();
        let first = &mut only_link(&mut path).inclusion.path[0];
        let flipped = if first.starts_with('A') { "B" } else { "A" };
        first.replace_range(0..1, flipped);
        assert!(matches!(
            only_link(&mut path).verify(&signed.document),
            Err(LinkError::NotIncluded { error: MerkleError::RootMismatch, .. })
        ));
        only_link(&mut path).inclusion.path[0] = "not base64!".into();
        assert_eq!(only_link(&mut path).verify(&signed.document), Err(LinkError::PathEncoding { step: 0 }));
        let mut moved = pristine.clone();
        only_link(&mut moved).inclusion.leaf_index = 5;
        assert!(only_link(&mut moved).verify(&signed.document).is_err());

        let mut header = pristine.clone();
        only_link(&mut header).header.name = "Bored".into();
        assert_eq!(
            only_link(&mut header).verify(&signed.document),
            Err(LinkError::HeaderSignature(JwsError::BadSignature))
        );
        let mut root = pristine.clone();
        only_link(&mut root).header.merkle_root.0[0] ^= 1;
        assert_eq!(
            only_link(&mut root).verify(&signed.document),
            Err(LinkError::HeaderSignature(JwsError::BadSignature))
        );
    }

    #[test]
    fn an_answer_must_match_a_statement_in_force() {
        let signed = signed(3);
        let mut other_resource = answer(&signed, 0, "2025-07-01T00:00:00Z");
        other_resource.resource = "Credential1".into();
        assert_eq!(
            check_answer(&other_resource),
            Err(ProofError::Unrelated {
                index: 0,
                field: "resource",
                proven: "Credential0".into(),
                answered: "Credential1".into()
            })
        );
        let mut recognized = answer(&signed, 0, "2025-07-01T00:00:00Z");
        (recognized.authorized, recognized.recognized) = (None, Some(true));
        assert!(matches!(check_answer(&recognized), Err(ProofError::Unrelated { field: "statement kind", .. })));

        let revoked = answer(&signed, 2, "2026-02-01T00:00:00Z");
        assert!(only_link(&mut revoked.clone()).verify(&signed.document).is_ok());
        assert_eq!(
            check_answer(&revoked),
            Err(ProofError::NotInForce {
                statement_id: "s3".into(),
                standing: "revoked",
                at: at("2026-02-01T00:00:00Z")
            })
        );
        assert_eq!(check_answer(&answer(&signed, 2, "2025-12-31T23:59:59Z")), Ok(0));

        let mut later = answer(&signed, 0, "2025-07-01T00:00:00Z");
        later.registry_sequence = Some(2);
        assert_eq!(check_answer(&later), Err(ProofError::SequenceMismatch { answered: 2, proven: 1 }));

        let mut negative = answer(&signed, 0, "2025-07-01T00:00:00Z");
        negative.authorized = Some(false);
        assert_eq!(check_answer(&negative), Err(ProofError::NotPositive));
        let mut unproven = answer(&signed, 0, "2025-07-01T00:00:00Z");
        unproven.proof = None;
        assert_eq!(check_answer(&unproven), Err(ProofError::MissingProof));
        unproven.proof = Some(Proof { links: Vec::new() });
        assert_eq!(check_answer(&unproven), Err(ProofError::NoLinks));
    }

    #[test]
    fn written_links_are_the_serde_form_of_the_link() {
        let signed = signed(5);
        let link: ProofLink = serde_json::from_value(written_link(&signed, 3)).unwrap();
        let statement = signed.snapshot.snapshot().statements[3].clone();
        assert_eq!(link.statement, statement);
        assert_eq!((&link.header, link.jws.as_str()), (signed.snapshot.signed_header(), signed.jws.as_str()));
        let path = signed.snapshot.merkle_tree().inclusion_proof(3).unwrap();
        let encoded: Vec<String> = path.path.iter().map(|hash| URL_SAFE_NO_PAD.encode(hash)).collect();
        assert_eq!(link.inclusion, Inclusion { leaf_index: 3, tree_size: 5, path: encoded });
        assert_eq!(written_link(&signed, 3), serde_json::to_value(&link).unwrap());
    }

    #[test]
    fn positions_outside_the_snapshot_are_refused() {
        let signed = signed(2);
        let writer = ProofWriter::new(&signed.snapshot, &signed.jws);
        let error = writer.write_link(&signed.snapshot, 2, HeaderPlacement::Inline, &mut Vec::new()).unwrap_err();
        assert!(matches!(error, ProofError::Unprovable(_)), "{error}");
    }
}
