//! Batch TRQP, transport aside: reading a batch request, holding one snapshot per authority for the whole batch,
//! writing the batch answer, and reading it back.
//!
//! A batch request is `{"queries": [q1, q2, …]}` where each query is exactly the body a single TRQP request takes
//! ([`crate::trqp::RequestBody`]); other members are ignored. [`BatchRequest::parse`] keeps where each query's raw
//! text is, so the caller reads it with the single request's own parser and a malformed query is refused in the single
//! request's words, as one item of the answer.
//!
//! The batch answer is
//! `{"snapshots": {authority_id: {registry_sequence, snapshot_digest, header, jws}, …}, "answers": [item, …]}`:
//! every registry snapshot the batch consulted, once, with its signed header and the authority's JWS; then one item
//! per query, in order, `{"status": …, "body": …}`, the status and body the single endpoint would have answered.
//! A body is the single answer byte for byte, except that the links of a proof name their snapshot's
//! `authority_id` instead of carrying its `header` and `jws` ([`HeaderPlacement::Shared`]): [`inflate`] puts them
//! back, and each answer can then be checked like a single one ([`crate::proof::check_answer`]).
//!
//! The consistency guarantee lives in [`Pinned`]: the first time a batch needs an authority's registry (the asked
//! one or one reached through delegations) it takes the current snapshot, and every later question of the batch
//! about that authority is decided over that same snapshot, also as-of questions. A snapshot installed meanwhile
//! is not seen by the batch, so a publish never splits one.
//!
//! Pure: the caller reads the body, the clock and the registries (through the lookup it hands to [`Pinned`]), maps
//! refusals to statuses and signs; nothing here does I/O or knows about HTTP.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::model::Timestamp;
use super::proof::{HeaderPlacement, ProvableRegistry};
use super::trqp::{read_json, Decision, TrqpError, WriteError};

/// Bytes reserved per item of a batch answer before writing it: a typical answer without a proof fits.
const ITEM_CAPACITY: usize = 640;

/// Why a request body is no batch. Each query in it is read, and refused, on its own.
#[derive(Debug, thiserror::Error)]
pub enum TrqpBatchError {
    /// The body is not UTF-8 JSON: [`TrqpError::NotUtf8`] or [`TrqpError::InvalidJson`], as a single question's.
    #[error(transparent)]
    NotJson(TrqpError),
    /// The body is JSON, but not an object with a `queries` array.
    #[error("a batch must be a JSON object with a `queries` array: {0}")]
    NotABatch(serde_json::Error),
    /// More queries than one batch may hold.
    #[error("the batch holds {count} queries; at most {max} are answered in one batch")]
    TooManyQueries {
        /// Queries in the batch.
        count: usize,
        /// The most allowed.
        max: usize,
    },
}

/// A batch request as read: where each query's raw text is in the body, in order. It holds no borrow of the body,
/// so the body and its reading can be handed on together.
#[derive(Debug)]
pub struct BatchRequest {
    queries: Vec<Range<usize>>,
}

impl BatchRequest {
    /// Reads a batch of at most `max` queries. Beyond `max` the queries are counted, not kept, so an oversized
    /// batch costs a scan of its body and nothing more.
    pub fn parse(body: &[u8], max: usize) -> Result<BatchRequest, TrqpBatchError> {
        let read = read_json(body, |text| {
            let mut reader = serde_json::Deserializer::from_str(text);
            let queries = Reading::Envelope { max }.deserialize(&mut reader)?;
            reader.end()?;
            // Each query's place in the body: its text is a slice of the body's.
            let start = text.as_ptr() as usize;
            Ok(queries.map(|query| {
                let offset = query.get().as_ptr() as usize - start;
                offset..offset + query.get().len()
            }))
        });
        match read.map_err(TrqpBatchError::NotJson)? {
            Ok(Queries::Within(queries)) => Ok(BatchRequest { queries }),
            Ok(Queries::Over(count)) => Err(TrqpBatchError::TooManyQueries { count, max }),
            Err(error) => Err(TrqpBatchError::NotABatch(error)),
        }
    }

    /// The number of queries.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Whether the batch holds no query.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// Each query's JSON text in `body` (the body this request was read from), in order: what a single request's
    /// body would be.
    pub fn queries<'b>(&'b self, body: &'b [u8]) -> impl Iterator<Item = &'b [u8]> + 'b {
        self.queries.iter().map(move |query| body.get(query.clone()).unwrap_or_default())
    }
}

/// The queries of an envelope: kept when there are at most `max`, else only counted.
enum Queries<Q> {
    Within(Vec<Q>),
    Over(usize),
}

impl<Q> Queries<Q> {
    fn map<P>(self, each: impl FnMut(Q) -> P) -> Queries<P> {
        match self {
            Queries::Within(queries) => Queries::Within(queries.into_iter().map(each).collect()),
            Queries::Over(count) => Queries::Over(count),
        }
    }
}

/// What is being read of a batch of at most `max` queries: the envelope object, whose `queries` member (required,
/// once) is then read as [`Reading::Queries`] while other members are skipped; or that array, whose items' raw text
/// is kept up to `max`, then only counted.
#[derive(Debug, Clone, Copy)]
enum Reading {
    Envelope { max: usize },
    Queries { max: usize },
}

impl<'de> DeserializeSeed<'de> for Reading {
    type Value = Queries<&'de RawValue>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Queries<&'de RawValue>, D::Error> {
        match self {
            Reading::Envelope { .. } => deserializer.deserialize_map(self),
            Reading::Queries { .. } => deserializer.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Reading {
    type Value = Queries<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reading::Envelope { .. } => "an object with a `queries` array",
            Reading::Queries { .. } => "an array of TRQP queries",
        })
    }

    /// Only called while reading the envelope (a deserializer asked for a map).
    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Queries<&'de RawValue>, A::Error> {
        let (Reading::Envelope { max } | Reading::Queries { max }) = self;
        let mut queries = None;
        while let Some(name) = members.next_key::<std::borrow::Cow<'de, str>>()? {
            if name != "queries" {
                members.next_value::<IgnoredAny>()?;
            } else if queries.is_some() {
                return Err(de::Error::duplicate_field("queries"));
            } else {
                queries = Some(members.next_value_seed(Reading::Queries { max })?);
            }
        }
        queries.ok_or_else(|| de::Error::missing_field("queries"))
    }

    /// Only called while reading `queries` (a deserializer asked for a sequence).
    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Queries<&'de RawValue>, A::Error> {
        let (Reading::Envelope { max } | Reading::Queries { max }) = self;
        let mut queries = Vec::with_capacity(items.size_hint().unwrap_or(0).min(max));
        while let Some(query) = items.next_element::<&'de RawValue>()? {
            if queries.len() == max {
                let mut count = max + 1;
                while items.next_element::<IgnoredAny>()?.is_some() {
                    count += 1;
                }
                return Ok(Queries::Over(count));
            }
            queries.push(query);
        }
        Ok(Queries::Within(queries))
    }
}

/// One snapshot per authority for the whole of a batch: the first lookup of an authority asks `lookup` and keeps
/// what it gave (also that there is no registry); every later lookup of that authority in the batch gets the same,
/// whatever `lookup` would give by then. Hand [`Pinned::get`] to [`crate::trqp::decide`] as its lookup.
pub struct Pinned<R, L> {
    lookup: L,
    taken: RefCell<BTreeMap<String, Option<R>>>,
}

impl<R: Clone, L: Fn(&str) -> Option<R>> Pinned<R, L> {
    /// Nothing taken yet; `lookup` gives an authority's current registry.
    pub fn new(lookup: L) -> Pinned<R, L> {
        Pinned { lookup, taken: RefCell::new(BTreeMap::new()) }
    }

    /// The registry of `authority_id` as it was the first time this batch asked.
    pub fn get(&self, authority_id: &str) -> Option<R> {
        if let Some(taken) = self.taken.borrow().get(authority_id) {
            return taken.clone();
        }
        let registry = (self.lookup)(authority_id);
        self.taken.borrow_mut().insert(authority_id.to_owned(), registry.clone());
        registry
    }
}

/// A batch answer being written: its items so far. [`BatchAnswer::finish`] adds the consulted snapshots.
#[derive(Debug)]
pub struct BatchAnswer {
    items: Vec<u8>,
    count: usize,
}

impl BatchAnswer {
    /// An empty answer, with room for `queries` items.
    pub fn new(queries: usize) -> BatchAnswer {
        BatchAnswer { items: Vec::with_capacity(queries.saturating_mul(ITEM_CAPACITY)), count: 0 }
    }

    /// Adds the answer to the next query: status 200, `decision` written as the single endpoint writes it, its
    /// proof links naming their shared snapshot header. On an error nothing is added.
    pub fn push_decision<R: ProvableRegistry>(
        &mut self,
        decision: &Decision<'_, R>,
        now: Timestamp,
    ) -> Result<(), WriteError> {
        let start = self.items.len();
        self.open_item(200);
        if let Err(error) = decision.write(now, HeaderPlacement::Shared, &mut self.items) {
            self.items.truncate(start);
            return Err(error);
        }
        self.close_item();
        Ok(())
    }

    /// Adds a refusal of the next query: the status and body (a JSON value, such as a problem document) the single
    /// endpoint would have answered it with.
    pub fn push_refusal(&mut self, status: u16, body: &[u8]) {
        self.open_item(status);
        self.items.extend_from_slice(body);
        self.close_item();
    }

    fn open_item(&mut self, status: u16) {
        if self.count > 0 {
            self.items.push(b',');
        }
        self.items.extend_from_slice(b"{\"status\":");
        self.items.extend_from_slice(status.to_string().as_bytes());
        self.items.extend_from_slice(b",\"body\":");
    }

    fn close_item(&mut self) {
        self.items.push(b'}');
        self.count += 1;
    }

    /// The whole answer: every snapshot `pinned` holds, by authority, then the items in order.
    pub fn finish<R: ProvableRegistry, L>(self, pinned: &Pinned<R, L>) -> Vec<u8> {
        let taken = pinned.taken.borrow();
        let registries: Vec<(&String, &R)> =
            taken.iter().filter_map(|(authority, registry)| Some((authority, registry.as_ref()?))).collect();
        let mut out = Vec::with_capacity(self.items.len() + 32 + registries.len() * 1024);
        out.extend_from_slice(b"{\"snapshots\":{");
        for (n, (authority, registry)) in registries.into_iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(Value::from(authority.as_str()).to_string().as_bytes());
            out.push(b':');
            registry.proofs().write_shared_header(registry.index().snapshot(), &mut out);
        }
        out.extend_from_slice(b"},\"answers\":[");
        out.extend_from_slice(&self.items);
        out.extend_from_slice(b"]}");
        out
    }
}

/// One item of a batch answer as [`inflate`] gives it back.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    /// The status the single endpoint would have answered with.
    pub status: u16,
    /// What it would have answered: an answer with its proof links whole, or a problem document.
    pub body: Value,
}

/// Why a batch answer could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// The text is not a batch answer: not JSON, or without `snapshots` and `answers` of the right types.
    #[error("not a batch answer: {0}")]
    Malformed(String),
    /// A proof link names an authority whose snapshot the batch does not carry.
    #[error("answer {item}: a proof link names `{authority_id}`, whose snapshot is not among the batch's snapshots")]
    MissingSnapshot {
        /// The item's position.
        item: usize,
        /// The authority named.
        authority_id: String,
    },
}

/// Reads a batch answer back into its items, each proof link given its snapshot's `header` and `jws` from the
/// batch's `snapshots`: every body is then what the single endpoint answers, to be checked the same way.
pub fn inflate(batch: &[u8]) -> Result<Vec<BatchItem>, InflateError> {
    let malformed = |why: &str| InflateError::Malformed(why.to_owned());
    let mut batch: Map<String, Value> =
        serde_json::from_slice(batch).map_err(|error| InflateError::Malformed(error.to_string()))?;
    let snapshots = match batch.remove("snapshots") {
        Some(Value::Object(snapshots)) => snapshots,
        _ => return Err(malformed("`snapshots` is not an object")),
    };
    let Some(Value::Array(answers)) = batch.remove("answers") else {
        return Err(malformed("`answers` is not an array"));
    };
    answers
        .into_iter()
        .enumerate()
        .map(|(item, answer)| {
            let Value::Object(mut answer) = answer else { return Err(malformed("an item is not an object")) };
            let status = answer.get("status").and_then(Value::as_u64).and_then(|status| u16::try_from(status).ok());
            let (Some(status), Some(mut body)) = (status, answer.remove("body")) else {
                return Err(malformed("an item lacks its `status` or `body`"));
            };
            let links = body.pointer_mut("/proof/links").and_then(Value::as_array_mut).map(Vec::as_mut_slice);
            for link in links.unwrap_or_default() {
                let Some(link) = link.as_object_mut() else { return Err(malformed("a proof link is not an object")) };
                let Some(Value::String(authority_id)) = link.remove("authority_id") else {
                    return Err(malformed("a proof link names no `authority_id`"));
                };
                let shared = snapshots.get(&authority_id).and_then(Value::as_object);
                let parts = shared.and_then(|shared| Some((shared.get("header")?, shared.get("jws")?)));
                let Some((header, jws)) = parts else {
                    return Err(InflateError::MissingSnapshot { item, authority_id });
                };
                link.insert("header".to_owned(), header.clone());
                link.insert("jws".to_owned(), jws.clone());
            }
            Ok(BatchItem { status, body })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::RegistryIndex;
    use crate::jws::{SigningKey, SigningKeyType};
    use crate::model::{EntityMetadata, NewStatement, RegistrySource, StatementKind};
    use crate::proof::{check_answer, Answer, ProofWriter};
    use crate::snapshot::CanonicalSnapshot;
    use crate::trqp::tests::{at, Hosted};
    use crate::trqp::{decide, Policy, RequestBody};
    use serde_json::json;
    use std::cell::Cell;
    use std::sync::Arc;

    const SCHOOL: &str = "did:web:school.example";

    /// Snapshot `statements` of a registry that authorizes the school to issue `Badge1` … `Badge<statements>`,
    /// signed by `key`.
    fn hosted(key: &SigningKey, statements: usize) -> Arc<Hosted> {
        let authority = key.did_key().unwrap();
        let mut source = RegistrySource::init(&authority, "Board", None).unwrap();
        source.upsert_entity(SCHOOL, EntityMetadata { name: "School".into(), ..Default::default() }).unwrap();
        for n in 1..=statements {
            let terms = NewStatement {
                kind: StatementKind::Authorization,
                entity_id: SCHOOL.into(),
                action: "issue".into(),
                resource: format!("Badge{n}"),
                valid_from: at("2025-01-01T00:00:00Z"),
                valid_until: None,
            };
            source.add_statement(terms).unwrap();
        }
        let snapshot =
            CanonicalSnapshot::build(&source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z")).unwrap();
        let jws = snapshot.sign(key, &key.did_key_url().unwrap()).unwrap();
        let content = snapshot.into();
        let proofs = ProofWriter::new(&content, &jws);
        Arc::new(Hosted { index: RegistryIndex::new(content), proofs })
    }

    fn refused(body: &str) -> TrqpBatchError {
        BatchRequest::parse(body.as_bytes(), 3).unwrap_err()
    }

    #[test]
    fn a_batch_is_an_object_with_a_queries_array_of_at_most_max() {
        let body = br#"{"queries": [{"a": 1}, [], "x"], "note": {"queries": 7}}"#;
        let batch = BatchRequest::parse(body, 3).unwrap();
        assert_eq!(batch.queries(body).collect::<Vec<_>>(), [&b"{\"a\": 1}"[..], b"[]", b"\"x\""]);
        assert!(BatchRequest::parse(br#"{"queries": []}"#, 3).unwrap().is_empty());

        let not_utf8 = BatchRequest::parse(b"{\"queries\": [\"\xff\"]}", 3);
        assert!(matches!(not_utf8, Err(TrqpBatchError::NotJson(TrqpError::NotUtf8(_)))));
        for not_json in ["{\"queries\": [", "{\"queries\": []} x", ""] {
            assert!(matches!(refused(not_json), TrqpBatchError::NotJson(TrqpError::InvalidJson(_))), "{not_json}");
        }
        for (not_a_batch, why) in [
            ("[]", "invalid type: sequence, expected an object with a `queries` array"),
            ("{}", "missing field `queries`"),
            (r#"{"queries": {}}"#, "invalid type: map, expected an array of TRQP queries"),
            (r#"{"queries": null}"#, "invalid type: null, expected an array of TRQP queries"),
            (r#"{"queries": [], "queries": []}"#, "duplicate field `queries`"),
        ] {
            let refusal = refused(not_a_batch);
            assert!(matches!(refusal, TrqpBatchError::NotABatch(_)), "{not_a_batch}");
            let text = refusal.to_string();
            assert!(
                text.starts_with(&format!("a batch must be a JSON object with a `queries` array: {why}")),
                "{text}"
            );
        }
        let over = refused(r#"{"queries": [1, 2, 3, {"x": [4]}, 5]}"#);
        assert!(matches!(over, TrqpBatchError::TooManyQueries { count: 5, max: 3 }), "{over}");
        assert_eq!(over.to_string(), "the batch holds 5 queries; at most 3 are answered in one batch");
    }

    #[test]
    fn an_authority_is_looked_up_once_per_batch() {
        let key = SigningKey::generate(SigningKeyType::Ed25519, &mut rand_core::OsRng);
        let (first, second) = (hosted(&key, 1), hosted(&key, 2));
        let lookups = Cell::new(0);
        let current = Cell::new(1);
        let lookup = |_: &str| {
            lookups.set(lookups.get() + 1);
            Some(if current.get() == 1 { first.clone() } else { second.clone() })
        };
        let pinned = Pinned::new(lookup);
        let authority = key.did_key().unwrap();
        assert!(Arc::ptr_eq(&pinned.get(&authority).unwrap(), &first));
        // A new snapshot is installed: this batch keeps answering from the first.
        current.set(2);
        assert!(Arc::ptr_eq(&pinned.get(&authority).unwrap(), &first));
        assert!(pinned.get("did:web:other.example").is_some());
        assert_eq!(lookups.get(), 2, "once per authority");
    }

    #[test]
    fn answers_inflate_to_the_single_answers_and_their_proofs_verify() {
        let key = SigningKey::generate(SigningKeyType::Ed25519, &mut rand_core::OsRng);
        let registry = hosted(&key, 40);
        let authority = key.did_key().unwrap();
        let now = at("2025-06-01T12:00:00Z");
        let pinned = Pinned::new(|asked: &str| (asked == authority).then(|| registry.clone()));
        let mut batch = BatchAnswer::new(3);
        let mut singles = Vec::new();
        for resource in ["Badge7", "Badge40"] {
            let query = json!({"entity_id": SCHOOL, "authority_id": authority, "action": "issue",
                "resource": resource, "context": {"proof": true}})
            .to_string();
            let body = RequestBody::parse(query.as_bytes()).unwrap();
            let question = body.question(now).unwrap();
            let decision = decide(&question, StatementKind::Authorization, |a| pinned.get(a), Policy::default());
            let decision = decision.unwrap();
            batch.push_decision(&decision, now).unwrap();
            singles.push(serde_json::from_slice::<Value>(&decision.to_json(now).unwrap()).unwrap());
        }
        batch.push_refusal(404, br#"{"type":"urn:example:unknown"}"#);
        let written = batch.finish(&pinned);

        let raw: Value = serde_json::from_slice(&written).unwrap();
        let shared = &raw["snapshots"][&authority];
        assert_eq!(shared["registry_sequence"], 1);
        assert_eq!(shared["snapshot_digest"], json!(registry.index.snapshot().digest()));
        assert_eq!(raw["answers"][0]["body"]["proof"]["links"][0]["authority_id"], json!(authority));
        assert!(raw["answers"][0]["body"]["proof"]["links"][0].get("header").is_none(), "the header is shared");

        let items = inflate(&written).unwrap();
        assert_eq!(items.len(), 3);
        for (item, single) in items.iter().zip(&singles) {
            assert_eq!((item.status, &item.body), (200, single));
            let answer: Answer = serde_json::from_value(item.body.clone()).unwrap();
            let proof = answer.proof.as_ref().unwrap();
            let multibase = key.public_key().to_did_key().unwrap().to_multibase();
            let document = json!({"id": authority,
                "assertionMethod": [{"id": key.did_key_url().unwrap(), "publicKeyMultibase": multibase}]});
            proof.links[0].verify(&document).expect("the shared header's signature and the inclusion path verify");
            assert_eq!(check_answer(&answer), Ok(0));
        }
        assert_eq!(items[2], BatchItem { status: 404, body: json!({"type": "urn:example:unknown"}) });

        let mut unknown: Value = serde_json::from_slice(&written).unwrap();
        unknown["snapshots"] = json!({});
        let refusal = inflate(unknown.to_string().as_bytes()).unwrap_err();
        assert_eq!(refusal, InflateError::MissingSnapshot { item: 0, authority_id: authority.clone() });
        assert!(matches!(inflate(b"[]"), Err(InflateError::Malformed(_))));
    }
}
