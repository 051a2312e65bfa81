//! TRQP v2 questions and answers, transport aside: reading a request body into a [`Question`], deciding it over
//! the registries at hand ([`decide`]), and writing the answer's JSON, proof included when asked
//! ([`Decision::to_json`]).
//!
//! Requests follow the specification's schema: `entity_id`, `authority_id`, `action`, `resource` (non-empty
//! strings; the two identifiers RFC 3986 URIs, as TRQP §Identifiers requires, checked by [`crate::uri`]) and an
//! optional `context` object whose `time` makes the answer an as-of query ([`AsOf`]) and whose `proof` (`true`,
//! or the string `"true"`, which the schema's string-only `context` members allow) asks for a proof; other members
//! are ignored. Answers echo the four fields, give `authorized` / `recognized` and `time_evaluated` (the instant the
//! answer holds for: `context.time`, else now), `time_requested` when a time was asked, and the explanation fields
//! this node adds (`status`, `reason`, `statement_id`, `valid_from`, `valid_until`, `registry_sequence`,
//! `snapshot_digest`, `registry_stale`, `chain`).
//!
//! An authorization the asked authority's registry does not grant directly is searched through its delegations
//! ([`super::chain::authorize`]). Such an answer explains the deciding statement (`status` may also be a chain
//! failure such as `outside_scope`), while `registry_sequence` and `snapshot_digest` stay those of the asked
//! authority's registry, and `chain` lists every statement it rests on, from the asked authority down. `chain` is
//! omitted when the answer rests on at most one statement of the asked registry.
//!
//! A name no registry knows is refused as [`Unknown`], unless [`Policy::hide_unknown`] turns it into a plain "no"
//! so that the question is no enumeration oracle.
//!
//! Pure: the caller reads the clock, finds the registries (through the lookup it passes to [`decide`]), signs and
//! serves; nothing here does I/O, knows about HTTP or holds the node's key.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Serialize};

use super::chain::{self, ChainAnswer, ChainLink, ChainStatus, IndexedRegistry};
use super::evaluate::{standing_at, Query, Standing};
use super::model::{ModelError, Statement, StatementKind, Timestamp};
use super::proof::{HeaderPlacement, ProofError, ProvableRegistry};
use super::snapshot::{Digest, SnapshotContent};
use super::uri::{self, UriError};

/// The members a question must have, in the order a refusal lists the missing ones.
const QUESTION_FIELDS: [&str; 4] = ["entity_id", "authority_id", "action", "resource"];

/// Bytes reserved for an answer before writing it, and for each proof link: writing then never reallocates for a
/// typical answer (answers are the hot path).
const ANSWER_CAPACITY: usize = 768;
/// See [`ANSWER_CAPACITY`].
const PROOF_LINK_CAPACITY: usize = 2048;

/// Why a request body asks no question.
#[derive(Debug, thiserror::Error)]
pub enum TrqpError {
    /// The body is not UTF-8 (checked throughout, also in members this node ignores).
    #[error("invalid JSON: the body is not UTF-8 ({0})")]
    NotUtf8(std::str::Utf8Error),
    /// The body is not JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(serde_json::Error),
    /// The body is JSON, but not an object with these members.
    #[error("the body must be a JSON object: {0}")]
    NotAnObject(serde_json::Error),
    /// These members are absent, empty or not strings, in the order of the request schema.
    #[error("required non-empty string fields missing: {}", .0.join(", "))]
    MissingFields(Vec<&'static str>),
    /// `entity_id` or `authority_id` is not an RFC 3986 URI.
    #[error("`{field}` must be an RFC 3986 URI such as a DID or an https URL, but {error}")]
    NotAUri {
        /// The member.
        field: &'static str,
        /// What is wrong with it.
        error: UriError,
    },
    /// `context` is neither an object nor `null`.
    #[error("`context` must be a JSON object")]
    ContextNotObject,
    /// `context.proof` is none of `true`, `false`, `"true"`, `"false"` and `null`.
    #[error("`context.proof` must be true or false, as a boolean or a string")]
    ProofNotBoolean,
    /// `context.time` is not a string.
    #[error("`context.time` must be an RFC 3339 string")]
    TimeNotString,
    /// `context.time` is longer than any date-time this node reads.
    #[error("`context.time` has {0} bytes; an RFC 3339 date-time to the nanosecond has at most {MAX_TIME_BYTES}")]
    TimeTooLong(usize),
    /// `context.time` is a short string, but no RFC 3339 date-time.
    #[error("`context.time` `{text}` is not an RFC 3339 date-time: {why}")]
    InvalidTime {
        /// The time as sent.
        text: String,
        /// What is wrong with it.
        why: String,
    },
    /// `context.time` is an RFC 3339 date-time in another offset than UTC.
    #[error("`context.time` must be in UTC (offset `Z` or `+00:00`), not at offset `{offset}`")]
    TimeNotUtc {
        /// The offset as sent.
        offset: String,
    },
}

/// A TRQP request body as read: the members this node uses, each kept as a `Member` so that a wrong type is
/// reported as precisely as a missing member, while strings borrow from the body. Other members are ignored.
#[derive(Debug, Deserialize)]
pub struct RequestBody<'b> {
    #[serde(borrow)]
    entity_id: Option<Member<'b>>,
    #[serde(borrow)]
    authority_id: Option<Member<'b>>,
    #[serde(borrow)]
    action: Option<Member<'b>>,
    #[serde(borrow)]
    resource: Option<Member<'b>>,
    #[serde(borrow)]
    context: Option<Member<'b>>,
}

/// A request member, reduced to what the TRQP request schema distinguishes: a string (borrowed from the body
/// unless it had escapes), a boolean, an object (only its `time` and `proof` members are read: `context`), `null`,
/// or anything else.
#[derive(Debug)]
enum Member<'b> {
    Null,
    Bool(bool),
    Text(Cow<'b, str>),
    Object { time: Option<Box<Member<'b>>>, proof: Option<Box<Member<'b>>> },
    Other,
}

impl Member<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Member::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl<'de: 'b, 'b> Deserialize<'de> for Member<'b> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor(std::marker::PhantomData))
    }
}

struct MemberVisitor<'b>(std::marker::PhantomData<Member<'b>>);

impl<'de: 'b, 'b> Visitor<'de> for MemberVisitor<'b> {
    type Value = Member<'b>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Member<'b>, E> {
        Ok(Member::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Member<'b>, E> {
        Ok(Member::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Member<'b>, E> {
        Ok(Member::Text(Cow::Owned(text)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Member<'b>, E> {
        Ok(Member::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Member<'b>, E> {
        Ok(Member::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Member<'b>, E> {
        Ok(Member::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Member<'b>, E> {
        Ok(Member::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Member<'b>, E> {
        Ok(Member::Other)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut items: A) -> Result<Member<'b>, A::Error> {
        while items.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut members: A) -> Result<Member<'b>, A::Error> {
        let (mut time, mut proof) = (None, None);
        while let Some(name) = members.next_key::<Cow<'de, str>>()? {
            match name.as_ref() {
                "time" => time = Some(Box::new(members.next_value::<Member<'b>>()?)),
                "proof" => proof = Some(Box::new(members.next_value::<Member<'b>>()?)),
                _ => {
                    members.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(Member::Object { time, proof })
    }
}

/// A validated TRQP question, borrowing from its [`RequestBody`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question<'r> {
    /// `entity_id`, an RFC 3986 URI.
    pub entity_id: &'r str,
    /// `authority_id`, an RFC 3986 URI.
    pub authority_id: &'r str,
    /// `action`, non-empty.
    pub action: &'r str,
    /// `resource`, non-empty.
    pub resource: &'r str,
    /// `context.time`, when the question is an as-of query.
    pub time_requested: Option<AsOf>,
    /// The second the answer is evaluated at: that of `context.time`, else the `now` it was read at.
    pub at: Timestamp,
    /// `context.proof` (or the caller's equivalent, such as a request header): attach a proof to a positive answer.
    pub wants_proof: bool,
}

/// Bytes of the longest `context.time` read: `YYYY-MM-DDTHH:MM:SS`, a point, nine fractional digits and `+00:00`.
pub const MAX_TIME_BYTES: usize = 35;

/// Bytes of an [`AsOf`] as written: the longest `context.time` with `Z` for its offset.
const AS_OF_BYTES: usize = MAX_TIME_BYTES - 5;

/// A TRQP `context.time`: an RFC 3339 §5.6 date-time in UTC, kept to the precision it was sent with (at most nine
/// fractional digits) and written back in one form, with an upper-case `T` and a `Z`.
///
/// Read leniently as RFC 3339 allows: `t` for `T`, `z` for `Z`, `+00:00` for `Z`, and `-00:00` (RFC 3339 §4.3: the
/// instant is in UTC, only the local offset is unknown), so every spelling of one UTC instant asks the same
/// question. Other offsets are refused rather than converted ([`TrqpError::TimeNotUtc`]): the TRQP schema requires
/// UTC, and an answer's `time_requested` must be the instant asked in the form the schema names. The evaluation
/// uses [`AsOf::second`], the whole second containing the instant: every instant a registry records is a whole
/// second and validity windows are `[from, until)`, so an answer as of `12:00:00.5` is the answer as of `12:00:00`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    /// The date-time as written back, in `text[..len]` (ASCII).
    text: [u8; AS_OF_BYTES],
    len: u8,
    second: Timestamp,
}

impl AsOf {
    /// Reads a `context.time`.
    pub fn parse(text: &str) -> Result<AsOf, TrqpError> {
        if text.len() > MAX_TIME_BYTES {
            return Err(TrqpError::TimeTooLong(text.len()));
        }
        let invalid = |why: String| TrqpError::InvalidTime { text: text.to_owned(), why };
        let bytes = text.as_bytes();
        // RFC 3339 `full-date "T" partial-time` up to the seconds: fixed positions.
        const SHAPE: &[u8; 19] = b"0000-00-00T00:00:00";
        for (at, &expected) in SHAPE.iter().enumerate() {
            let found = bytes.get(at).copied();
            let fits = match expected {
                b'0' => found.is_some_and(|c| c.is_ascii_digit()),
                b'T' => matches!(found, Some(b'T' | b't')),
                literal => found == Some(literal),
            };
            if !fits {
                let wanted = if expected == b'0' { "a digit".to_owned() } else { format!("`{}`", expected as char) };
                return Err(invalid(format!("expected {wanted} at byte {at} (the form is YYYY-MM-DDTHH:MM:SSZ)")));
            }
        }
        let mut rest = &bytes[SHAPE.len()..];
        let mut fraction: &[u8] = &[];
        if let Some(after_point) = rest.strip_prefix(b".") {
            let digits = after_point.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(invalid("a `.` after the seconds must be followed by digits".to_owned()));
            }
            if digits > 9 {
                return Err(invalid(format!("{digits} fractional digits; at most 9 (nanoseconds) are read")));
            }
            fraction = &rest[..=digits];
            rest = &after_point[digits..];
        }
        match rest {
            b"Z" | b"z" | b"+00:00" | b"-00:00" => {}
            [b'+' | b'-', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {
                return Err(TrqpError::TimeNotUtc { offset: String::from_utf8_lossy(rest).into_owned() });
            }
            [] => return Err(invalid("the offset is missing; add `Z` for UTC".to_owned())),
            _ => return Err(invalid(format!("`{}` is no offset", String::from_utf8_lossy(rest)))),
        }
        let mut written = [0; AS_OF_BYTES];
        let len = SHAPE.len() + fraction.len() + 1;
        written[..SHAPE.len()].copy_from_slice(&bytes[..SHAPE.len()]);
        written[10] = b'T';
        written[SHAPE.len()..len - 1].copy_from_slice(fraction);
        written[len - 1] = b'Z';
        // Checks the fields' ranges (month 13, February 30, leap seconds only where UTC has them) and drops the
        // fraction.
        let second = Timestamp::parse(std::str::from_utf8(&written[..len]).unwrap_or_default()).map_err(|error| {
            invalid(match error {
                ModelError::InvalidTimestamp { why, .. } => why,
                other => other.to_string(),
            })
        })?;
        // `len` is at most `AS_OF_BYTES`, 30.
        Ok(AsOf { text: written, len: len as u8, second })
    }

    /// The date-time as written back (`2025-01-01T00:00:00.5Z`).
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever copied in.
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The whole second containing it.
    pub fn second(&self) -> Timestamp {
        self.second
    }
}

impl fmt::Display for AsOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AsOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AsOf({})", self.as_str())
    }
}

impl Serialize for AsOf {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Reads the string form of a proof request, `"true"` or `"false"`: the `context.proof` string, and the value of
/// the node's proof request header (`crate::wire::PROOF_HEADER`), so that both ask in the same words.
pub fn proof_flag(text: &str) -> Option<bool> {
    match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Reads the UTF-8 JSON `body` with `read`: [`TrqpError::NotUtf8`] or [`TrqpError::InvalidJson`] when it is not
/// JSON, else what `read` gave, its error being JSON of the wrong shape (for the caller to name).
pub(crate) fn read_json<'b, T>(
    body: &'b [u8],
    read: impl FnOnce(&'b str) -> Result<T, serde_json::Error>,
) -> Result<Result<T, serde_json::Error>, TrqpError> {
    // serde skips ignored members without checking their UTF-8, so the whole body is checked first.
    let text = std::str::from_utf8(body).map_err(TrqpError::NotUtf8)?;
    match read(text) {
        Err(error) if error.classify() != serde_json::error::Category::Data => Err(TrqpError::InvalidJson(error)),
        read => Ok(read),
    }
}

impl<'b> RequestBody<'b> {
    /// Reads a request body: [`TrqpError::NotUtf8`] or [`TrqpError::InvalidJson`] when it is not JSON,
    /// [`TrqpError::NotAnObject`] when it is JSON but not an object with these members.
    pub fn parse(body: &'b [u8]) -> Result<RequestBody<'b>, TrqpError> {
        read_json(body, serde_json::from_str)?.map_err(TrqpError::NotAnObject)
    }

    /// The question it asks, as of `context.time` or else `now`: [`TrqpError::MissingFields`] unless the four
    /// members are non-empty strings, [`TrqpError::NotAUri`] unless `entity_id` and `authority_id` are URIs, then
    /// the refusals of a `context` that is not an object, a `context.proof` that is not a boolean (or its string)
    /// or a `context.time` that is not an RFC 3339 date-time in UTC.
    pub fn question(&self, now: Timestamp) -> Result<Question<'_>, TrqpError> {
        let fields = [&self.entity_id, &self.authority_id, &self.action, &self.resource]
            .map(|field| field.as_ref().and_then(Member::as_str).filter(|value| !value.is_empty()));
        let [Some(entity_id), Some(authority_id), Some(action), Some(resource)] = fields else {
            let missing =
                QUESTION_FIELDS.into_iter().zip(fields).filter(|(_, value)| value.is_none()).map(|(name, _)| name);
            return Err(TrqpError::MissingFields(missing.collect()));
        };
        for (field, value) in [("entity_id", entity_id), ("authority_id", authority_id)] {
            uri::check(value).map_err(|error| TrqpError::NotAUri { field, error })?;
        }
        let (time, proof) = match &self.context {
            None | Some(Member::Null) => (None, None),
            Some(Member::Object { time, proof }) => (time.as_deref(), proof.as_deref()),
            Some(_) => return Err(TrqpError::ContextNotObject),
        };
        let wants_proof = match proof {
            None | Some(Member::Null) => false,
            Some(Member::Bool(wanted)) => *wanted,
            Some(Member::Text(text)) => proof_flag(text).ok_or(TrqpError::ProofNotBoolean)?,
            Some(_) => return Err(TrqpError::ProofNotBoolean),
        };
        let time_requested = match time {
            None => None,
            Some(Member::Text(time)) => Some(AsOf::parse(time)?),
            Some(_) => return Err(TrqpError::TimeNotString),
        };
        let at = time_requested.map_or(now, |time| time.second());
        Ok(Question { entity_id, authority_id, action, resource, time_requested, at, wants_proof })
    }
}

impl Question<'_> {
    /// The question as the evaluation of one registry asks it.
    fn query(&self, kind: StatementKind) -> Query<'_> {
        Query { kind, entity_id: self.entity_id, action: self.action, resource: self.resource, at: self.at }
    }
}

/// How [`decide`] treats names no registry knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Answer a plain "no" (`status` `unknown`, no registry named) instead of refusing with [`Unknown`], so that
    /// asking is no way to enumerate what the registries hold.
    pub hide_unknown: bool,
}

/// A question about a name the asked registry does not know (or an authority without a registry here), refused
/// rather than answered "no". The value is the name as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unknown<'q> {
    /// No registry of this authority is at hand.
    #[error("unknown authority `{0}`")]
    Authority(&'q str),
    /// The asked registry has no entity entry for it.
    #[error("unknown entity `{0}`")]
    Entity(&'q str),
    /// No statement of the asked registry names this action.
    #[error("unknown action `{0}`")]
    Action(&'q str),
    /// No statement of the asked registry names this resource.
    #[error("unknown resource `{0}`")]
    Resource(&'q str),
}

/// The answer to a question, before it is written: the question, the asked authority's registry, and what the
/// answer rests on. Strings of the explanation are read from the registries it holds when asked for.
#[derive(Debug, Clone)]
pub struct Decision<'q, R> {
    question: Question<'q>,
    kind: StatementKind,
    /// `None` for an unknown name answered "no" under [`Policy::hide_unknown`].
    registry: Option<R>,
    basis: Basis<R>,
}

/// How a decision was reached.
#[derive(Debug, Clone)]
enum Basis<R> {
    /// The asked registry answered alone: the standing of its deciding statement, at that position.
    Direct { standing: Standing, position: Option<usize> },
    /// The search through delegations answered.
    Chain(ChainAnswer<R>),
}

/// Decides `question` (asked of `kind`'s endpoint), where `lookup` gives the current registry of an authority:
/// the asked authority's registry answers directly, else (for an authorization, when it delegates) through the
/// accreditation chains [`chain::authorize`] finds; a name the registry does not know is refused as [`Unknown`]
/// unless `policy` hides it.
pub fn decide<'q, R, L>(
    question: &Question<'q>,
    kind: StatementKind,
    lookup: L,
    policy: Policy,
) -> Result<Decision<'q, R>, Unknown<'q>>
where
    R: IndexedRegistry + Clone,
    L: Fn(&str) -> Option<R>,
{
    let decision = |registry, basis| Decision { question: *question, kind, registry, basis };
    let unknown = |refusal| {
        if policy.hide_unknown {
            Ok(decision(None, Basis::Direct { standing: Standing::Unknown, position: None }))
        } else {
            Err(refusal)
        }
    };
    let Some(registry) = lookup(question.authority_id) else {
        return unknown(Unknown::Authority(question.authority_id));
    };
    let index = registry.index();
    let query = question.query(kind);
    let direct = index.evaluate(&query);
    let direct = Basis::Direct { standing: direct.status, position: direct.statement_index };
    if matches!(direct, Basis::Direct { standing: Standing::Active, .. }) {
        return Ok(decision(Some(registry), direct));
    }
    if kind == StatementKind::Authorization && index.has_delegations() {
        let chained = chain::authorize(&query, registry.clone(), &lookup);
        if chained.status != ChainStatus::Standing(Standing::Unknown) {
            return Ok(decision(Some(registry), Basis::Chain(chained)));
        }
    }
    let refusal = if !index.knows_entity(question.entity_id) {
        Some(Unknown::Entity(question.entity_id))
    } else if !index.knows_action(question.action) {
        Some(Unknown::Action(question.action))
    } else if !index.knows_resource(question.resource) {
        Some(Unknown::Resource(question.resource))
    } else {
        None
    };
    match refusal {
        Some(refusal) => unknown(refusal),
        None => Ok(decision(Some(registry), direct)),
    }
}

/// The deciding statement and its status, as the members `status`, `reason`, `statement_id`, `valid_from` and
/// `valid_until` of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation<'a> {
    /// The statement's standing, or the chain failure, in snake_case.
    pub status: &'static str,
    /// The reason recorded with that standing, or what stopped a chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Cow<'a, str>>,
    /// The deciding statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<&'a str>,
    /// Its validity start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Timestamp>,
    /// Its validity end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
}

/// One statement of a chain, located by its registry snapshot: an entry of an answer's `chain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainEntry<'a> {
    /// The authority whose registry holds the statement.
    pub authority_id: &'a str,
    /// That registry's snapshot.
    pub registry_sequence: u64,
    /// That snapshot's digest.
    pub snapshot_digest: Digest,
    /// The statement.
    pub statement_id: &'a str,
}

/// Why an answer could not be written (a bug, never the client's fault).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The answer did not serialize.
    #[error("cannot write the answer: {0}")]
    Answer(serde_json::Error),
    /// A statement the answer rests on could not be proven.
    #[error("cannot prove the answer: {0}")]
    Proof(ProofError),
}

/// An answer's `time_evaluated`: the time asked, to its precision, or the second the node read as now.
#[derive(Serialize)]
#[serde(untagged)]
enum TimeEvaluated {
    AsOf(AsOf),
    Now(Timestamp),
}

/// The writing side of an answer (borrowed from the decision; [`crate::proof::Answer`] is the reading side): the
/// TRQP members, then this node's explanation. Written directly (no intermediate JSON tree):
/// answers are the hot path.
#[derive(Serialize)]
struct AnswerView<'a> {
    entity_id: &'a str,
    authority_id: &'a str,
    action: &'a str,
    resource: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorized: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recognized: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_requested: Option<AsOf>,
    time_evaluated: TimeEvaluated,
    message: String,
    #[serde(flatten)]
    explanation: Explanation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registry_sequence: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_digest: Option<Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registry_stale: Option<bool>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    chain: Vec<ChainEntry<'a>>,
}

impl<'q, R: IndexedRegistry> Decision<'q, R> {
    /// The question decided.
    pub fn question(&self) -> &Question<'q> {
        &self.question
    }

    /// The TRQP boolean: `authorized` or `recognized`.
    pub fn granted(&self) -> bool {
        match &self.basis {
            Basis::Direct { standing, .. } => *standing == Standing::Active,
            Basis::Chain(answer) => answer.granted(),
        }
    }

    /// The asked authority's registry, whose snapshot the answer names; `None` for an unknown name answered "no".
    pub fn registry(&self) -> Option<&R> {
        self.registry.as_ref()
    }

    /// The snapshot of the asked authority's registry.
    fn snapshot(&self) -> Option<&SnapshotContent> {
        self.registry.as_ref().map(|registry| registry.index().snapshot())
    }

    /// The deciding statement of a direct answer.
    fn direct_statement(&self, position: Option<usize>) -> Option<&Statement> {
        self.snapshot()?.snapshot().statements.get(position?)
    }

    /// The answer's `message`, for people.
    pub fn message(&self) -> String {
        let answer = match &self.basis {
            Basis::Direct { standing: Standing::Unknown, .. } => {
                return "no statement answers this question".to_owned()
            }
            Basis::Direct { standing, position } => {
                let statement = self.direct_statement(*position).map_or("none", |statement| statement.id.as_str());
                return format!("statement {statement} is {}", standing_words(*standing));
            }
            Basis::Chain(answer) => answer,
        };
        let deciding = answer.deciding().and_then(|link| Some((link, link.statement()?)));
        let delegations = answer.links.len().saturating_sub(usize::from(deciding.is_some()));
        match (answer.status, deciding) {
            (ChainStatus::Standing(standing), Some((link, statement))) => format!(
                "statement {} of {} is {}{}",
                statement.id,
                link.authority_id(),
                standing_words(standing),
                if delegations > 0 { format!(", reached through {delegations} delegation(s)") } else { String::new() }
            ),
            (status, _) => format!("no authorization chain holds: {}", status.name().replace('_', " ")),
        }
    }

    /// The deciding statement and its status.
    pub fn explanation(&self) -> Explanation<'_> {
        let question = &self.question;
        let (status, deciding, reason) = match &self.basis {
            Basis::Direct { standing, position } => {
                let deciding = self.direct_statement(*position);
                let reason = deciding.and_then(|statement| standing_at(statement, question.at).1);
                (standing.name(), deciding, reason.map(Cow::Borrowed))
            }
            Basis::Chain(answer) => (
                answer.status.name(),
                answer.deciding().and_then(ChainLink::statement),
                answer.reason(question.authority_id, question.resource, question.at),
            ),
        };
        Explanation {
            status,
            reason,
            statement_id: deciding.map(|statement| statement.id.as_str()),
            valid_from: deciding.map(|statement| statement.valid_from),
            valid_until: deciding.and_then(|statement| statement.valid_until),
        }
    }

    /// The answer's `chain`: every statement it rests on, from the asked authority down; empty when that is at
    /// most one statement of the asked registry.
    pub fn chain(&self) -> Vec<ChainEntry<'_>> {
        match &self.basis {
            Basis::Chain(answer) if answer.links.len() > 1 => answer.links.iter().map(chain_entry).collect(),
            _ => Vec::new(),
        }
    }

    /// The statements a positive answer rests on, by registry and position, from the asked authority down; empty
    /// for a negative answer.
    pub fn grounds(&self) -> Vec<(&R, usize)> {
        if !self.granted() {
            return Vec::new();
        }
        match (&self.basis, &self.registry) {
            (Basis::Direct { position: Some(position), .. }, Some(registry)) => vec![(registry, *position)],
            (Basis::Direct { .. }, _) => Vec::new(),
            (Basis::Chain(answer), _) => {
                answer.links.iter().map(|link| (&link.registry, link.statement_index)).collect()
            }
        }
    }
}

impl<R: ProvableRegistry> Decision<'_, R> {
    /// The answer's JSON, `registry_stale` judged at `now`; with a proof of every statement it rests on when the
    /// question asked for one and the answer is positive.
    pub fn to_json(&self, now: Timestamp) -> Result<Vec<u8>, WriteError> {
        let mut body = Vec::new();
        self.write(now, HeaderPlacement::Inline, &mut body)?;
        Ok(body)
    }

    /// Appends the answer's JSON to `out`, as [`Decision::to_json`] writes it but with its proof links' snapshot
    /// headers placed as `placement` says. On an error `out` is left as it was.
    pub fn write(&self, now: Timestamp, placement: HeaderPlacement, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let start = out.len();
        let written = self.write_unguarded(now, placement, out);
        if written.is_err() {
            out.truncate(start);
        }
        written
    }

    fn write_unguarded(&self, now: Timestamp, placement: HeaderPlacement, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let question = &self.question;
        let granted = self.granted();
        let snapshot = self.snapshot();
        let answer = AnswerView {
            entity_id: question.entity_id,
            authority_id: question.authority_id,
            action: question.action,
            resource: question.resource,
            authorized: Some(granted).filter(|_| self.kind == StatementKind::Authorization),
            recognized: Some(granted).filter(|_| self.kind == StatementKind::Recognition),
            time_requested: question.time_requested,
            time_evaluated: question.time_requested.map_or(TimeEvaluated::Now(question.at), TimeEvaluated::AsOf),
            message: self.message(),
            explanation: self.explanation(),
            registry_sequence: snapshot.map(|snapshot| snapshot.snapshot().sequence),
            snapshot_digest: snapshot.map(SnapshotContent::digest),
            registry_stale: snapshot.map(|snapshot| snapshot.is_stale(now)),
            chain: self.chain(),
        };
        let grounds = if question.wants_proof { self.grounds() } else { Vec::new() };
        out.reserve(ANSWER_CAPACITY + PROOF_LINK_CAPACITY * grounds.len());
        serde_json::to_writer(&mut *out, &answer).map_err(WriteError::Answer)?;
        if !grounds.is_empty() {
            // The proof is written from each snapshot's pre-rendered parts rather than through serde: it is most of
            // the answer's bytes. It goes in as the last member, before the answer's closing brace: one link per
            // statement the answer rests on, from the asked authority down.
            out.pop();
            out.extend_from_slice(b",\"proof\":{\"links\":[");
            for (n, (registry, position)) in grounds.into_iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                registry.write_link(position, placement, out).map_err(WriteError::Proof)?;
            }
            out.extend_from_slice(b"]}}");
        }
        Ok(())
    }
}

fn chain_entry<R: IndexedRegistry>(link: &ChainLink<R>) -> ChainEntry<'_> {
    let snapshot = link.registry.index().snapshot();
    ChainEntry {
        authority_id: link.authority_id(),
        registry_sequence: snapshot.snapshot().sequence,
        snapshot_digest: snapshot.digest(),
        statement_id: link.statement_id(),
    }
}

/// A standing as words in a message.
fn standing_words(standing: Standing) -> Cow<'static, str> {
    match standing {
        Standing::Active => Cow::Borrowed("in force"),
        other => Cow::Owned(other.name().replace('_', " ")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::evaluate::RegistryIndex;
    use crate::model::{EntityMetadata, NewDelegation, NewStatement, RegistrySource, Status};
    use crate::proof::{check_answer, Answer as ProvenAnswer, ProofWriter};
    use crate::snapshot::CanonicalSnapshot;
    use serde_json::{json, Value};
    use std::collections::HashMap;
    use std::sync::Arc;

    const BOARD: &str = "did:web:board.example";
    const ACCREDITOR: &str = "did:web:accreditor.example";
    const UNIVERSITY: &str = "did:web:university.example";
    const COLLEGE: &str = "did:web:college.example";
    const BOOTCAMP: &str = "did:web:bootcamp.example";
    const BADGE: &str = "https://example.org/badges/math";
    const NOW: &str = "2025-06-01T12:00:00Z";

    pub(crate) fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    /// A registry as the node holds one: its index and the proof writer of the same snapshot (also for the tests of
    /// `crate::batch`).
    #[derive(Debug)]
    pub(crate) struct Hosted {
        pub(crate) index: RegistryIndex,
        pub(crate) proofs: ProofWriter,
    }

    impl IndexedRegistry for Hosted {
        fn index(&self) -> &RegistryIndex {
            &self.index
        }
    }

    impl ProvableRegistry for Hosted {
        fn proofs(&self) -> &ProofWriter {
            &self.proofs
        }
    }

    fn grant(source: &mut RegistrySource, kind: StatementKind, entity: &str, resource: &str, from: &str) -> String {
        source.upsert_entity(entity, EntityMetadata { name: entity.into(), ..Default::default() }).unwrap();
        let terms = NewStatement {
            kind,
            entity_id: entity.into(),
            action: "issue".into(),
            resource: resource.into(),
            valid_from: at(from),
            valid_until: None,
        };
        source.add_statement(terms).unwrap()
    }

    fn publish(source: &RegistrySource) -> Arc<Hosted> {
        let snapshot =
            CanonicalSnapshot::build(source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z")).unwrap();
        let content = snapshot.into();
        // The writer only copies the JWS into links; these tests check proofs' structure, not signatures.
        let proofs = ProofWriter::new(&content, "header..signature");
        Arc::new(Hosted { index: RegistryIndex::new(content), proofs })
    }

    /// The board's registry: the university may issue badges (s1); the college could until its revocation (s2);
    /// the bootcamp's authorization for certificates expired (s3); the accreditor is recognized (s4) and may
    /// authorize badges (s5).
    fn board() -> RegistrySource {
        let mut source = RegistrySource::init(BOARD, "Board", None).unwrap();
        grant(&mut source, StatementKind::Authorization, UNIVERSITY, BADGE, "2025-01-01T00:00:00Z");
        let college = grant(&mut source, StatementKind::Authorization, COLLEGE, BADGE, "2025-01-01T00:00:00Z");
        source.change_status(&college, Status::Revoked, at("2025-03-01T00:00:00Z"), "programme closed").unwrap();
        source.upsert_entity(BOOTCAMP, EntityMetadata { name: BOOTCAMP.into(), ..Default::default() }).unwrap();
        let terms = NewStatement {
            kind: StatementKind::Authorization,
            entity_id: BOOTCAMP.into(),
            action: "issue".into(),
            resource: "Certificate".into(),
            valid_from: at("2024-01-01T00:00:00Z"),
            valid_until: Some(at("2025-01-01T00:00:00Z")),
        };
        source.add_statement(terms).unwrap();
        grant(&mut source, StatementKind::Recognition, ACCREDITOR, "Degree", "2025-01-01T00:00:00Z");
        let delegation = NewDelegation {
            delegate: ACCREDITOR.into(),
            scope: "https://example.org/badges/*".into(),
            max_depth: None,
            valid_from: at("2025-01-01T00:00:00Z"),
            valid_until: None,
        };
        source.add_delegation(delegation).unwrap();
        source
    }

    /// The accreditor's registry: it authorizes the bootcamp for badges (s1).
    fn accreditor() -> RegistrySource {
        let mut source = RegistrySource::init(ACCREDITOR, "Accreditor", None).unwrap();
        grant(&mut source, StatementKind::Authorization, BOOTCAMP, BADGE, "2025-02-01T00:00:00Z");
        source
    }

    struct Node(HashMap<&'static str, Arc<Hosted>>);

    impl Node {
        fn new() -> Node {
            Node(HashMap::from([(BOARD, publish(&board())), (ACCREDITOR, publish(&accreditor()))]))
        }

        fn registry(&self, authority: &str) -> &Arc<Hosted> {
            &self.0[authority]
        }

        fn decide<'q>(
            &self,
            question: &Question<'q>,
            kind: StatementKind,
            hide_unknown: bool,
        ) -> Result<Decision<'q, Arc<Hosted>>, Unknown<'q>> {
            decide(question, kind, |authority| self.0.get(authority).cloned(), Policy { hide_unknown })
        }
    }

    fn question<'q>(entity_id: &'q str, resource: &'q str, time: Option<&'q str>) -> Question<'q> {
        Question {
            entity_id,
            authority_id: BOARD,
            action: "issue",
            resource,
            time_requested: time.map(|time| AsOf::parse(time).unwrap()),
            at: at(time.unwrap_or(NOW)),
            wants_proof: false,
        }
    }

    fn written(decision: &Decision<'_, Arc<Hosted>>) -> Value {
        serde_json::from_slice(&decision.to_json(at(NOW)).unwrap()).unwrap()
    }

    fn refusal(body: &str) -> TrqpError {
        match RequestBody::parse(body.as_bytes()) {
            Err(error) => error,
            Ok(body) => body.question(at(NOW)).unwrap_err(),
        }
    }

    #[test]
    fn requests_become_questions_as_of_context_time_or_now() {
        let body = json!({"entity_id": UNIVERSITY, "authority_id": BOARD, "action": "issue", "resource": BADGE,
            "context": {"time": "2025-02-01T00:00:00Z", "proof": true, "locale": "fr"}, "extra": [1, {}]})
        .to_string();
        let body = RequestBody::parse(body.as_bytes()).unwrap();
        let asked = body.question(at(NOW)).unwrap();
        assert_eq!(asked, Question { wants_proof: true, ..question(UNIVERSITY, BADGE, Some("2025-02-01T00:00:00Z")) });
        let escaped = r#"{"entity_id": "did:web:university\u002eexample", "authority_id": "did:web:board.example",
            "action": "issue", "resource": "R", "context": null}"#;
        let body = RequestBody::parse(escaped.as_bytes()).unwrap();
        let asked = body.question(at(NOW)).unwrap();
        assert_eq!(
            (asked.entity_id, asked.at, asked.time_requested, asked.wants_proof),
            (UNIVERSITY, at(NOW), None, false)
        );
    }

    #[test]
    fn bad_requests_are_refused_with_what_is_wrong() {
        assert!(matches!(RequestBody::parse(b"{\"entity_id\": \"\xff\"}"), Err(TrqpError::NotUtf8(_))));
        let not_json = refusal("{not json");
        assert!(matches!(not_json, TrqpError::InvalidJson(_)));
        assert!(not_json.to_string().starts_with("invalid JSON: "), "{not_json}");
        let array = refusal("[]");
        assert!(matches!(array, TrqpError::NotAnObject(_)));
        assert!(array.to_string().starts_with("the body must be a JSON object: "), "{array}");

        let missing = refusal(r#"{"entity_id": "", "action": 7, "resource": "R"}"#);
        assert_eq!(missing.to_string(), "required non-empty string fields missing: entity_id, authority_id, action");
        assert!(
            matches!(missing, TrqpError::MissingFields(fields) if fields == ["entity_id", "authority_id", "action"])
        );

        assert!(matches!(with(json!("now")), TrqpError::ContextNotObject));
        for proof in [json!("yes"), json!("TRUE"), json!(1), json!([])] {
            assert!(matches!(with(json!({ "proof": proof })), TrqpError::ProofNotBoolean), "{proof}");
        }
        assert!(matches!(with(json!({"time": 1_700_000_000})), TrqpError::TimeNotString));
        for time in ["2025-01-01", "yesterday"] {
            assert!(matches!(with(json!({"time": time})), TrqpError::InvalidTime { .. }), "{time}");
        }
        assert_eq!(with(json!([])).to_string(), "`context` must be a JSON object");
        assert_eq!(
            with(json!({"proof": 1})).to_string(),
            "`context.proof` must be true or false, as a boolean or a string"
        );
        assert_eq!(with(json!({"time": null})).to_string(), "`context.time` must be an RFC 3339 string");
    }

    /// A question with the given `context`, refused.
    fn with(context: Value) -> TrqpError {
        let body = json!({"entity_id": UNIVERSITY, "authority_id": BOARD, "action": "X", "resource": "R",
            "context": context});
        refusal(&body.to_string())
    }

    /// The question of a well-formed body with the given `context`.
    fn asked_with(context: Value, check: impl FnOnce(Question<'_>)) {
        let body = json!({"entity_id": UNIVERSITY, "authority_id": BOARD, "action": "X", "resource": "R",
            "context": context})
        .to_string();
        check(RequestBody::parse(body.as_bytes()).unwrap().question(at(NOW)).unwrap());
    }

    #[test]
    fn every_rfc_3339_spelling_of_a_utc_time_is_read_and_written_back_with_t_and_z() {
        for (sent, written) in [
            ("2025-02-01T00:00:00Z", "2025-02-01T00:00:00Z"),
            ("2025-02-01t00:00:00z", "2025-02-01T00:00:00Z"),
            ("2025-02-01T00:00:00+00:00", "2025-02-01T00:00:00Z"),
            ("2025-02-01T00:00:00-00:00", "2025-02-01T00:00:00Z"),
            ("2025-02-01T00:00:00.5Z", "2025-02-01T00:00:00.5Z"),
            ("2025-02-01t00:00:00.250+00:00", "2025-02-01T00:00:00.250Z"),
            ("2025-02-01T00:00:00.123456789z", "2025-02-01T00:00:00.123456789Z"),
            ("2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z"),
        ] {
            asked_with(json!({ "time": sent }), |asked| {
                let time = asked.time_requested.expect("an as-of question");
                assert_eq!(time.as_str(), written, "{sent}");
                assert_eq!(asked.at, at(&format!("{}Z", &written[..19]).replace(":60Z", ":59Z")), "{sent}");
            });
        }
    }

    #[test]
    fn times_that_are_not_utc_rfc_3339_are_refused_with_what_is_wrong() {
        for (sent, why) in [
            ("2025-02-01T00:00:00+01:00", "`context.time` must be in UTC (offset `Z` or `+00:00`), not at offset `+01:00`"),
            ("2025-02-01T00:00:00-05:30", "`context.time` must be in UTC (offset `Z` or `+00:00`), not at offset `-05:30`"),
            ("2025-02-01 00:00:00Z", "`context.time` `2025-02-01 00:00:00Z` is not an RFC 3339 date-time: expected `T` at byte 10 (the form is YYYY-MM-DDTHH:MM:SSZ)"),
            ("2025-02-01T00:00:00", "`context.time` `2025-02-01T00:00:00` is not an RFC 3339 date-time: the offset is missing; add `Z` for UTC"),
            ("2025-02-01T00:00:00.Z", "`context.time` `2025-02-01T00:00:00.Z` is not an RFC 3339 date-time: a `.` after the seconds must be followed by digits"),
            ("2025-02-01T00:00:00.1234567891Z", "`context.time` `2025-02-01T00:00:00.1234567891Z` is not an RFC 3339 date-time: 10 fractional digits; at most 9 (nanoseconds) are read"),
            ("2025-02-01T00:00:00ZZ", "`context.time` `2025-02-01T00:00:00ZZ` is not an RFC 3339 date-time: `ZZ` is no offset"),
            ("2025-02-01T00:00:00+0100", "`context.time` `2025-02-01T00:00:00+0100` is not an RFC 3339 date-time: `+0100` is no offset"),
            ("2025-2-01T00:00:00Z", "`context.time` `2025-2-01T00:00:00Z` is not an RFC 3339 date-time: expected a digit at byte 6 (the form is YYYY-MM-DDTHH:MM:SSZ)"),
        ] {
            assert_eq!(with(json!({ "time": sent })).to_string(), why, "{sent}");
        }
        for out_of_range in
            ["2025-02-30T00:00:00Z", "2025-13-01T00:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T12:59:60Z"]
        {
            let refused = with(json!({ "time": out_of_range }));
            assert!(matches!(&refused, TrqpError::InvalidTime { text, .. } if text == out_of_range), "{refused}");
        }
        let long = format!("2025-02-01T00:00:00.{}Z", "0".repeat(100_000));
        assert_eq!(
            with(json!({ "time": long })).to_string(),
            "`context.time` has 100021 bytes; an RFC 3339 date-time to the nanosecond has at most 35"
        );
    }

    #[test]
    fn identifiers_must_be_uris_while_actions_and_resources_are_any_string() {
        for (field, value) in [("entity_id", "not a uri"), ("authority_id", "board"), ("entity_id", "did:web:a b")] {
            let mut body = json!({"entity_id": UNIVERSITY, "authority_id": BOARD, "action": "issue", "resource": "R"});
            body[field] = json!(value);
            let refused = refusal(&body.to_string());
            assert!(matches!(&refused, TrqpError::NotAUri { field: named, .. } if *named == field), "{refused}");
        }
        let body = json!({"entity_id": "not a uri", "authority_id": BOARD, "action": "issue", "resource": "R"});
        assert_eq!(
            refusal(&body.to_string()).to_string(),
            "`entity_id` must be an RFC 3986 URI such as a DID or an https URL, but it has no scheme (a URI starts \
             like `did:` or `https:`)"
        );
        let free = json!({"entity_id": UNIVERSITY, "authority_id": "https://board.example/registry#v2",
            "action": "issue badges", "resource": "Open Badge 3.0 (math)"})
        .to_string();
        let body = RequestBody::parse(free.as_bytes()).unwrap();
        let asked = body.question(at(NOW)).unwrap();
        assert_eq!((asked.action, asked.resource), ("issue badges", "Open Badge 3.0 (math)"));
    }

    #[test]
    fn a_proof_is_asked_with_a_boolean_or_its_string() {
        for (proof, wanted) in [
            (json!(true), true),
            (json!("true"), true),
            (json!(false), false),
            (json!("false"), false),
            (Value::Null, false),
        ] {
            asked_with(json!({ "proof": proof }), |asked| assert_eq!(asked.wants_proof, wanted, "{proof}"));
        }
    }

    #[test]
    fn a_direct_grant_rests_on_its_statement() {
        let node = Node::new();
        let asked = question(UNIVERSITY, BADGE, None);
        let decision = node.decide(&asked, StatementKind::Authorization, false).unwrap();
        assert!(decision.granted());
        assert_eq!(decision.message(), "statement s1 is in force");
        let explanation = decision.explanation();
        assert_eq!((explanation.status, explanation.statement_id, explanation.reason), ("active", Some("s1"), None));
        assert_eq!(explanation.valid_from, Some(at("2025-01-01T00:00:00Z")));
        assert!(decision.chain().is_empty());
        assert!(decision.registry().is_some_and(|registry| Arc::ptr_eq(registry, node.registry(BOARD))));
        let grounds = decision.grounds();
        assert_eq!(grounds.len(), 1);
        assert!(Arc::ptr_eq(grounds[0].0, node.registry(BOARD)) && grounds[0].1 == 0);
    }

    #[test]
    fn revoked_and_expired_statements_deny_with_their_reason() {
        let node = Node::new();
        let revoked = node.decide(&question(COLLEGE, BADGE, None), StatementKind::Authorization, false).unwrap();
        assert!(!revoked.granted());
        // The board delegates badges, so the search through its delegations explains the "no".
        assert_eq!(revoked.message(), "statement s2 of did:web:board.example is revoked");
        let explanation = revoked.explanation();
        assert_eq!((explanation.status, explanation.reason.as_deref()), ("revoked", Some("programme closed")));
        assert!(revoked.grounds().is_empty());

        // The board delegates, but no delegation covers certificates: the search ends at the expired statement.
        let expired =
            node.decide(&question(BOOTCAMP, "Certificate", None), StatementKind::Authorization, false).unwrap();
        assert!(!expired.granted());
        assert_eq!(expired.message(), "statement s3 of did:web:board.example is expired");
        let explanation = expired.explanation();
        assert_eq!((explanation.status, explanation.valid_until), ("expired", Some(at("2025-01-01T00:00:00Z"))));
        assert!(expired.chain().is_empty() && expired.grounds().is_empty());
    }

    #[test]
    fn answers_hold_as_of_the_time_asked() {
        let node = Node::new();
        // A fraction is kept in the answer; the evaluation is that of its whole second, the last before revocation.
        for time in ["2025-02-28T23:59:59Z", "2025-02-28T23:59:59.999Z"] {
            let decision =
                node.decide(&question(COLLEGE, BADGE, Some(time)), StatementKind::Authorization, false).unwrap();
            assert!(decision.granted(), "{time}");
            let answer = written(&decision);
            assert_eq!(
                (answer["time_requested"].as_str(), answer["time_evaluated"].as_str()),
                (Some(time), Some(time))
            );
        }
        let early = question(UNIVERSITY, BADGE, Some("2024-12-31T23:59:59Z"));
        let decision = node.decide(&early, StatementKind::Authorization, false).unwrap();
        assert_eq!((decision.granted(), decision.explanation().status), (false, "not_yet_valid"));
    }

    #[test]
    fn unknown_names_are_refused_or_answered_no_when_hidden() {
        let node = Node::new();
        let nobody = "did:web:nobody.example";
        let cases = [
            (Question { authority_id: nobody, ..question(UNIVERSITY, BADGE, None) }, Unknown::Authority(nobody)),
            (question(nobody, BADGE, None), Unknown::Entity(nobody)),
            (Question { action: nobody, ..question(UNIVERSITY, BADGE, None) }, Unknown::Action(nobody)),
            (question(UNIVERSITY, nobody, None), Unknown::Resource(nobody)),
        ];
        for (asked, refusal) in cases {
            let refused = node.decide(&asked, StatementKind::Recognition, false).unwrap_err();
            assert_eq!(refused, refusal);
            assert!(refused.to_string().ends_with(&format!(" `{nobody}`")), "{refused}");
            let hidden = node.decide(&asked, StatementKind::Recognition, true).unwrap();
            assert!(!hidden.granted() && hidden.registry().is_none(), "{refusal}");
            assert_eq!(hidden.message(), "no statement answers this question");
            let answer = written(&hidden);
            assert_eq!((answer["recognized"].as_bool(), answer["status"].as_str()), (Some(false), Some("unknown")));
            assert!(answer.get("registry_sequence").is_none() && answer.get("authorized").is_none(), "{answer}");
        }
        // A question no statement answers, about names the registry knows, is a plain "no" either way.
        let known = node.decide(&question(ACCREDITOR, BADGE, None), StatementKind::Recognition, false).unwrap();
        assert_eq!((known.granted(), known.explanation().status), (false, "unknown"));
        assert!(known.registry().is_some());
    }

    #[test]
    fn a_delegation_chain_grants_what_the_asked_registry_does_not() {
        let node = Node::new();
        let asked = question(BOOTCAMP, BADGE, None);
        let decision = node.decide(&asked, StatementKind::Authorization, false).unwrap();
        assert!(decision.granted());
        assert_eq!(
            decision.message(),
            "statement s1 of did:web:accreditor.example is in force, reached through 1 delegation(s)"
        );
        assert_eq!(decision.explanation().statement_id, Some("s1"));
        let chain: Vec<(&str, &str)> =
            decision.chain().iter().map(|entry| (entry.authority_id, entry.statement_id)).collect();
        assert_eq!(chain, [(BOARD, "s5"), (ACCREDITOR, "s1")]);
        let grounds: Vec<usize> = decision.grounds().iter().map(|(_, position)| *position).collect();
        assert_eq!(grounds, [4, 0]);
        assert!(decision.registry().is_some_and(|registry| Arc::ptr_eq(registry, node.registry(BOARD))));
        let answer = written(&decision);
        assert_eq!(answer["snapshot_digest"], json!(node.registry(BOARD).index.snapshot().digest()));
        assert_eq!(answer["chain"][1]["snapshot_digest"], json!(node.registry(ACCREDITOR).index.snapshot().digest()));

        // Before the accreditor's grant, the chain ends in a statement not yet valid.
        let early = question(BOOTCAMP, BADGE, Some("2025-01-15T00:00:00Z"));
        let decision = node.decide(&early, StatementKind::Authorization, false).unwrap();
        assert_eq!((decision.granted(), decision.explanation().status), (false, "not_yet_valid"));
        // Recognition does not follow delegations.
        let recognized = node.decide(&asked, StatementKind::Recognition, false).unwrap();
        assert_eq!(recognized.explanation().status, "unknown");
    }

    #[test]
    fn answers_are_written_in_one_member_order_with_proofs_when_asked() {
        let node = Node::new();
        let asked = question(UNIVERSITY, BADGE, None);
        let decision = node.decide(&asked, StatementKind::Authorization, false).unwrap();
        let digest = node.registry(BOARD).index.snapshot().digest();
        let expected = format!(
            "{{\"entity_id\":\"{UNIVERSITY}\",\"authority_id\":\"{BOARD}\",\"action\":\"issue\",\"resource\":\"{BADGE}\",\
             \"authorized\":true,\"time_evaluated\":\"{NOW}\",\"message\":\"statement s1 is in force\",\
             \"status\":\"active\",\"statement_id\":\"s1\",\"valid_from\":\"2025-01-01T00:00:00Z\",\
             \"registry_sequence\":1,\"snapshot_digest\":\"{digest}\",\"registry_stale\":false}}"
        );
        assert_eq!(String::from_utf8(decision.to_json(at(NOW)).unwrap()).unwrap(), expected);
        let stale: Value = serde_json::from_slice(&decision.to_json(at("2025-06-03T00:00:00Z")).unwrap()).unwrap();
        assert_eq!(stale["registry_stale"], true);

        for (entity, links, deciding) in [(UNIVERSITY, 1, 0), (BOOTCAMP, 2, 1)] {
            let asked = Question { wants_proof: true, ..question(entity, BADGE, None) };
            let decision = node.decide(&asked, StatementKind::Authorization, false).unwrap();
            let proven: ProvenAnswer = serde_json::from_slice(&decision.to_json(at(NOW)).unwrap()).unwrap();
            assert_eq!(proven.proof.as_ref().map(|proof| proof.links.len()), Some(links), "{entity}");
            assert_eq!(check_answer(&proven), Ok(deciding), "{entity}");
        }
        let refused = Question { wants_proof: true, ..question(COLLEGE, BADGE, None) };
        let decision = node.decide(&refused, StatementKind::Authorization, false).unwrap();
        assert!(written(&decision).get("proof").is_none(), "a negative answer carries no proof");
    }
}
