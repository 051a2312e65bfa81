//! The registry model (authority, entities, statements with their status history), its hand-editable source file,
//! the editing operations the governance CLI offers, and the validation shared by sources and snapshots.
//!
//! Everything is a pure function of its inputs: "now" and every other time is passed in by the caller, and nothing
//! reads or writes files. History rules, decided here and enforced by both the operations and validation:
//! - statements are never deleted and their terms (kind, entity, action, resource, validity window) never change;
//!   only their status history grows;
//! - a history starts `active` and is append-only: a change dated before the latest entry is refused, because it
//!   would silently rewrite what earlier evaluations saw (changes dated in the past but after the latest entry, e.g.
//!   a revocation backdated to when a key was compromised, are allowed);
//! - `active → suspended`, `active → revoked`, `suspended → active` (reinstate) and `suspended → revoked` are the
//!   only transitions; revocation is final: to trust the entity again the authority issues a new statement.
//!
//! Delegation (accreditation chains): an `authorization` statement whose action is [`DELEGATE_ACTION`] lets the
//! authority's delegate (the statement's entity, itself an authority with a registry) authorize others for the
//! resources its [`Scope`] covers, optionally limited by `max_depth`. `accredit` is deliberately *not* an alias:
//! it is an ordinary action name that existing registries already use (e.g. recognizing an accreditor for
//! `accredit` / `Degree`), and giving it delegation power would change what their signed snapshots mean.
//! Validation checks the scope syntax, `max_depth`'s range, and that an authority does not delegate to itself;
//! following delegations is `super::chain`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use trustnode_did::syntax::DidUrl;

/// The value of the source file's `format` member, so a stray JSON file is not mistaken for a registry.
pub const SOURCE_FORMAT: &str = "trustnode-registry-source/1";

/// The action of a delegation statement (kind `authorization`): its entity may authorize others within the
/// statement's resource, read as a [`Scope`].
pub const DELEGATE_ACTION: &str = "delegate";

/// The largest `max_depth` a delegation may carry: a chain holds at most this many statements after its first
/// delegation (the global bound of `super::chain`).
pub const MAX_DELEGATION_DEPTH: u8 = 7;

/// What a delegation covers, written in its `resource`: one resource exactly, or every resource starting with a
/// prefix, written `<prefix>*` (e.g. `https://example.org/badges/*`). The prefix is compared byte for byte, so a
/// path prefix should end in `/`; a `*` anywhere but at the end, or a bare `*`, is refused (a body delegates named
/// resource families, never everything). Resources containing `*` cannot be delegated exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Exactly this resource.
    Exact(&'a str),
    /// Every resource that starts with this prefix.
    Prefix(&'a str),
}

impl<'a> Scope<'a> {
    /// Reads a scope, or says why it is malformed.
    pub fn parse(text: &'a str) -> Result<Scope<'a>, String> {
        let (body, is_prefix) = match text.strip_suffix('*') {
            Some(prefix) => (prefix, true),
            None => (text, false),
        };
        if body.contains('*') {
            return Err(format!("`{text}`: `*` may only end a scope"));
        }
        if body.trim().is_empty() {
            return Err(format!("`{text}`: a scope needs a resource or a non-empty prefix before `*`"));
        }
        Ok(if is_prefix { Scope::Prefix(body) } else { Scope::Exact(body) })
    }

    /// True when `resource` is within the scope.
    pub fn covers(self, resource: &str) -> bool {
        match self {
            Scope::Exact(exact) => resource == exact,
            Scope::Prefix(prefix) => resource.starts_with(prefix),
        }
    }
}

/// An instant with one-second precision, written as RFC 3339 in UTC with a `Z` offset (`2025-01-31T12:00:00Z`).
///
/// Parsing accepts fractional seconds and drops them (a TRQP `context.time` may carry them); canonical documents
/// never contain them, so a snapshot written with fractions fails the canonical-form check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Seconds from 1970 to 10000-01-01T00:00:00Z: RFC 3339 has four-digit years.
const END_OF_YEAR_9999: i64 = 253_402_300_800;
/// Seconds from 1970 back to 0000-01-01T00:00:00Z.
const START_OF_YEAR_0: i64 = -62_167_219_200;

impl Timestamp {
    /// The instant `seconds` after 1970-01-01T00:00:00Z, if its year has four digits.
    pub fn from_unix_seconds(seconds: i64) -> Option<Timestamp> {
        (START_OF_YEAR_0..END_OF_YEAR_9999).contains(&seconds).then_some(Timestamp(seconds))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 with a `Z` offset; other offsets are refused so that every timestamp reads the same way.
    pub fn parse(text: &str) -> Result<Timestamp, ModelError> {
        let invalid = |why: &str| ModelError::InvalidTimestamp { text: text.to_owned(), why: why.to_owned() };
        if !text.ends_with('Z') {
            return Err(invalid("must be RFC 3339 in UTC, ending in `Z`"));
        }
        let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| invalid(&e.to_string()))?;
        Timestamp::from_unix_seconds(parsed.unix_timestamp()).ok_or_else(|| invalid("year out of range"))
    }

    /// This instant moved by `seconds`, if the result is still representable.
    pub fn checked_add_seconds(self, seconds: i64) -> Option<Timestamp> {
        self.0.checked_add(seconds).and_then(Timestamp::from_unix_seconds)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let instant = OffsetDateTime::from_unix_timestamp(self.0).map_err(|_| fmt::Error)?;
        // Digits written directly rather than through `write!` padding: timestamps are in every TRQP answer.
        let mut text = *b"0000-00-00T00:00:00Z";
        let year = u32::try_from(instant.year()).map_err(|_| fmt::Error)?;
        let fields = [
            (0..4, year),
            (5..7, u32::from(u8::from(instant.month()))),
            (8..10, u32::from(instant.day())),
            (11..13, u32::from(instant.hour())),
            (14..16, u32::from(instant.minute())),
            (17..19, u32::from(instant.second())),
        ];
        for (range, mut value) in fields {
            for digit in text.get_mut(range).into_iter().flatten().rev() {
                // `value % 10` is below 10, so the cast cannot truncate.
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = ModelError;

    fn from_str(text: &str) -> Result<Timestamp, ModelError> {
        Timestamp::parse(text)
    }
}

serde_as_string!(Timestamp);

/// Display metadata about an entity, the fields LER verifiers show next to an issuer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityMetadata {
    /// The name shown to people.
    pub name: String,
    /// The registered legal name, when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    /// Home page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// Logo URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Free-text location, e.g. "Boston, MA, USA".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Credential Engine CTID (`ce-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctid: Option<String>,
    /// Research Organization Registry id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ror_id: Option<String>,
}

/// What a statement asserts: TRQP distinguishes hierarchical authorization from peer recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    /// The authority authorizes the entity (e.g. to issue a credential type).
    Authorization,
    /// The authority recognizes another authority.
    Recognition,
}

impl StatementKind {
    /// The snake_case name used in files and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Authorization => "authorization",
            StatementKind::Recognition => "recognition",
        }
    }
}

/// A recorded status of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In force.
    Active,
    /// Temporarily not in force; may be reinstated.
    Suspended,
    /// Permanently withdrawn.
    Revoked,
}

impl Status {
    /// The lowercase name used in files and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Revoked => "revoked",
        }
    }
}

/// One entry of a status history: from `since` on, the statement has `status`, for `reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    // Declared in RFC 8785 member order, like `Statement`.
    /// Why the status changed, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the status took effect.
    pub since: Timestamp,
    /// The status from `since` on.
    pub status: Status,
}

/// One authorization or recognition, with its complete status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    // Fields are declared in RFC 8785 member order (and every value is a string or a small integer, which both
    // serialize as RFC 8785 writes them), so serde's direct output is already canonical;
    // `snapshot::statement_bytes` relies on this and a test there guards it.
    /// What the entity may do, e.g. `issue`.
    pub action: String,
    /// The DID the statement is about.
    pub entity_id: String,
    /// Status changes in time order; the first is `active`.
    pub history: Vec<StatusChange>,
    /// Identifier, unique within the registry and never reused.
    pub id: String,
    /// Authorization or recognition.
    pub kind: StatementKind,
    /// For a delegation only: how many statements may follow it in a chain (1: the delegate may authorize
    /// entities but not delegate further); absent: up to [`MAX_DELEGATION_DEPTH`]. Omitted from the canonical
    /// form when absent, so registries without it keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<u8>,
    /// What it may do it on, e.g. an Open Badges credential type or achievement type URI; for a delegation, the
    /// [`Scope`] it covers.
    pub resource: String,
    /// Start of the validity window (inclusive).
    pub valid_from: Timestamp,
    /// End of the validity window (exclusive), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
}

impl Statement {
    /// The recorded status at `at`: the latest history entry whose `since` is not after `at`, if any.
    pub(crate) fn recorded_status_at(&self, at: Timestamp) -> Option<&StatusChange> {
        self.history.iter().rev().find(|change| change.since <= at)
    }

    /// True for a delegation: an authorization whose action is [`DELEGATE_ACTION`].
    pub fn is_delegation(&self) -> bool {
        self.kind == StatementKind::Authorization && self.action == DELEGATE_ACTION
    }

    /// True when the terms (everything but the history) equal `other`'s.
    pub(crate) fn same_terms(&self, other: &Statement) -> bool {
        self.id == other.id
            && self.kind == other.kind
            && self.max_depth == other.max_depth
            && self.entity_id == other.entity_id
            && self.action == other.action
            && self.resource == other.resource
            && self.valid_from == other.valid_from
            && self.valid_until == other.valid_until
    }
}

/// The terms of a statement to add with [`RegistrySource::add_statement`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatement {
    /// Authorization or recognition.
    pub kind: StatementKind,
    /// The DID the statement is about; must already have an entity entry.
    pub entity_id: String,
    /// What the entity may do.
    pub action: String,
    /// What it may do it on.
    pub resource: String,
    /// Start of the validity window; the history starts `active` at this instant.
    pub valid_from: Timestamp,
    /// End of the validity window, if any.
    pub valid_until: Option<Timestamp>,
}

/// The terms of a delegation to add with [`RegistrySource::add_delegation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelegation {
    /// The delegate authority's DID; must already have an entity entry.
    pub delegate: String,
    /// The resources the delegate may authorize others for (see [`Scope`]).
    pub scope: String,
    /// How many statements may follow this one in a chain; `None`: up to [`MAX_DELEGATION_DEPTH`].
    pub max_depth: Option<u8>,
    /// Start of the validity window; the history starts `active` at this instant.
    pub valid_from: Timestamp,
    /// End of the validity window, if any.
    pub valid_until: Option<Timestamp>,
}

/// The registry directory's source file: what the governance body edits, by CLI or by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySource {
    /// Always [`SOURCE_FORMAT`].
    pub format: String,
    /// The authority's DID.
    pub authority_id: String,
    /// The registry's name.
    pub name: String,
    /// URI of the governance framework the registry operates under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance_framework: Option<String>,
    /// Entity DID → display metadata.
    #[serde(default)]
    pub entities: BTreeMap<String, EntityMetadata>,
    /// Every statement ever made, in the order they were made.
    #[serde(default)]
    pub statements: Vec<Statement>,
}

/// The parts of a registry that sources and snapshots share, borrowed, so one validation serves both.
#[derive(Debug, Clone, Copy)]
pub struct RegistryView<'a> {
    /// The authority's DID.
    pub authority_id: &'a str,
    /// The registry's name.
    pub name: &'a str,
    /// Governance framework URI.
    pub governance_framework: Option<&'a str>,
    /// Entity DID → metadata.
    pub entities: &'a BTreeMap<String, EntityMetadata>,
    /// All statements.
    pub statements: &'a [Statement],
}

/// One rule a registry breaks, located by a JSON-path-like `location` such as `statements[3].valid_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where the problem is.
    pub location: String,
    /// What is wrong, for people.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Everything that can go wrong when reading, validating or editing a registry source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The source file is not JSON of the source shape.
    #[error("the registry source is not readable: {0}")]
    Unreadable(String),
    /// The source is readable but breaks rules; every problem found is listed.
    #[error("the registry source is invalid: {}", list_problems(.0))]
    Invalid(Vec<Violation>),
    /// A timestamp is not RFC 3339 UTC.
    #[error("`{text}` is not a valid timestamp: {why}")]
    InvalidTimestamp {
        /// The offending text.
        text: String,
        /// Why it was refused.
        why: String,
    },
    /// No statement has this id.
    #[error("no statement has id `{0}`")]
    UnknownStatement(String),
    /// A history change would be dated before the latest recorded change.
    #[error("statement `{statement_id}`: a change at {at} would precede the latest recorded change at {latest}")]
    OutOfOrder {
        /// The statement.
        statement_id: String,
        /// The requested time.
        at: Timestamp,
        /// The latest change already recorded.
        latest: Timestamp,
    },
    /// The status change is not one of the allowed transitions.
    #[error("statement `{statement_id}`: cannot go from {from} to {to}{}", if *.from == Status::Revoked { " (revocation is final; issue a new statement instead)" } else { "" })]
    InvalidTransition {
        /// The statement.
        statement_id: String,
        /// Its status before the change.
        from: Status,
        /// The requested status.
        to: Status,
    },
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn list_problems(problems: &[Violation]) -> String {
    problems.iter().map(Violation::to_string).collect::<Vec<_>>().join("; ")
}

/// True for the transitions the module documentation allows.
pub(crate) fn transition_allowed(from: Status, to: Status) -> bool {
    matches!(
        (from, to),
        (Status::Active, Status::Suspended)
            | (Status::Active, Status::Revoked)
            | (Status::Suspended, Status::Active)
            | (Status::Suspended, Status::Revoked)
    )
}

impl RegistrySource {
    /// A new, empty registry of `authority_id`. Fails if the DID, name or framework URI is invalid.
    pub fn init(
        authority_id: &str,
        name: &str,
        governance_framework: Option<&str>,
    ) -> Result<RegistrySource, ModelError> {
        let source = RegistrySource {
            format: SOURCE_FORMAT.to_owned(),
            authority_id: authority_id.to_owned(),
            name: name.to_owned(),
            governance_framework: governance_framework.map(str::to_owned),
            entities: BTreeMap::new(),
            statements: Vec::new(),
        };
        source.validate()?;
        Ok(source)
    }

    /// Reads and validates a source file's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<RegistrySource, ModelError> {
        let source: RegistrySource =
            serde_json::from_slice(bytes).map_err(|e| ModelError::Unreadable(e.to_string()))?;
        source.validate()?;
        Ok(source)
    }

    /// The source file's bytes: indented JSON ending in a newline, for people and diffs.
    pub fn to_json(&self) -> Result<Vec<u8>, ModelError> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| ModelError::Unreadable(e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The shared parts, for validation and snapshot building.
    pub fn view(&self) -> RegistryView<'_> {
        RegistryView {
            authority_id: &self.authority_id,
            name: &self.name,
            governance_framework: self.governance_framework.as_deref(),
            entities: &self.entities,
            statements: &self.statements,
        }
    }

    /// Checks every rule and reports all problems at once.
    pub fn validate(&self) -> Result<(), ModelError> {
        let mut problems = Vec::new();
        if self.format != SOURCE_FORMAT {
            problems.push(problem("format", format!("must be `{SOURCE_FORMAT}`, found `{}`", self.format)));
        }
        problems.extend(validate_registry(self.view()));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ModelError::Invalid(problems))
        }
    }

    /// Adds or replaces the metadata of `entity_id`.
    pub fn upsert_entity(&mut self, entity_id: &str, metadata: EntityMetadata) -> Result<(), ModelError> {
        let mut problems = Vec::new();
        check_did(&mut problems, format_args!("entity"), entity_id);
        check_metadata(&mut problems, format_args!("entity"), &metadata);
        if !problems.is_empty() {
            return Err(ModelError::Invalid(problems));
        }
        self.entities.insert(entity_id.to_owned(), metadata);
        Ok(())
    }

    /// Adds a statement, active from its `valid_from`, and returns its new id (`s1`, `s2`, …).
    pub fn add_statement(&mut self, terms: NewStatement) -> Result<String, ModelError> {
        self.add(terms, None)
    }

    /// Adds a delegation (an authorization with action [`DELEGATE_ACTION`]), active from its `valid_from`, and
    /// returns its new id.
    pub fn add_delegation(&mut self, terms: NewDelegation) -> Result<String, ModelError> {
        let statement = NewStatement {
            kind: StatementKind::Authorization,
            entity_id: terms.delegate,
            action: DELEGATE_ACTION.to_owned(),
            resource: terms.scope,
            valid_from: terms.valid_from,
            valid_until: terms.valid_until,
        };
        self.add(statement, terms.max_depth)
    }

    fn add(&mut self, terms: NewStatement, max_depth: Option<u8>) -> Result<String, ModelError> {
        let used: HashSet<&str> = self.statements.iter().map(|s| s.id.as_str()).collect();
        let id = (self.statements.len() + 1..).map(|n| format!("s{n}")).find(|id| !used.contains(id.as_str()));
        let statement = Statement {
            id: id.unwrap_or_default(),
            kind: terms.kind,
            entity_id: terms.entity_id,
            action: terms.action,
            max_depth,
            resource: terms.resource,
            valid_from: terms.valid_from,
            valid_until: terms.valid_until,
            history: vec![StatusChange { reason: None, since: terms.valid_from, status: Status::Active }],
        };
        let mut problems = Vec::new();
        check_statement(&mut problems, format_args!("statement"), &statement, self.view());
        if !problems.is_empty() {
            return Err(ModelError::Invalid(problems));
        }
        let id = statement.id.clone();
        self.statements.push(statement);
        Ok(id)
    }

    /// Suspends (`to` = suspended), revokes (revoked) or reinstates (active) a statement as of `at`.
    pub fn change_status(
        &mut self,
        statement_id: &str,
        to: Status,
        at: Timestamp,
        reason: &str,
    ) -> Result<(), ModelError> {
        let statement = self
            .statements
            .iter_mut()
            .find(|s| s.id == statement_id)
            .ok_or_else(|| ModelError::UnknownStatement(statement_id.to_owned()))?;
        if let Some(latest) = statement.history.last() {
            if at < latest.since {
                return Err(ModelError::OutOfOrder { statement_id: statement_id.to_owned(), at, latest: latest.since });
            }
            if !transition_allowed(latest.status, to) {
                return Err(ModelError::InvalidTransition {
                    statement_id: statement_id.to_owned(),
                    from: latest.status,
                    to,
                });
            }
        }
        statement.history.push(StatusChange { reason: Some(reason.to_owned()), since: at, status: to });
        Ok(())
    }
}

/// Where a problem is: formatted only when there is one, so validating a million valid statements allocates
/// nothing for locations.
type Location<'a> = fmt::Arguments<'a>;

fn problem(location: impl fmt::Display, message: impl Into<String>) -> Violation {
    Violation { location: location.to_string(), message: message.into() }
}

/// All problems of a registry's shared parts (empty when valid).
pub(crate) fn validate_registry(registry: RegistryView<'_>) -> Vec<Violation> {
    let mut problems = Vec::new();
    check_did(&mut problems, format_args!("authority_id"), registry.authority_id);
    check_text(&mut problems, format_args!("name"), registry.name);
    if let Some(uri) = registry.governance_framework {
        check_uri(&mut problems, format_args!("governance_framework"), uri);
    }
    for (entity_id, metadata) in registry.entities {
        check_did(&mut problems, format_args!("entities[{entity_id}]"), entity_id);
        check_metadata(&mut problems, format_args!("entities[{entity_id}]"), metadata);
    }
    let mut seen_ids = HashSet::with_capacity(registry.statements.len());
    for (position, statement) in registry.statements.iter().enumerate() {
        if !seen_ids.insert(statement.id.as_str()) {
            problems.push(problem(
                format_args!("statements[{position}].id"),
                format!("id `{}` is used twice", statement.id),
            ));
        }
        check_statement(&mut problems, format_args!("statements[{position}]"), statement, registry);
    }
    problems
}

fn check_did(problems: &mut Vec<Violation>, location: Location, did: &str) {
    match DidUrl::parse(did) {
        Ok(parsed) if parsed.is_bare_did() => {}
        Ok(_) => problems.push(problem(location, format!("`{did}` must be a DID, not a DID URL"))),
        Err(error) => problems.push(problem(location, format!("`{did}` is not a DID: {}", error.detail))),
    }
}

fn check_text(problems: &mut Vec<Violation>, location: Location, text: &str) {
    if text.trim().is_empty() {
        problems.push(problem(location, "must not be empty"));
    }
}

fn check_uri(problems: &mut Vec<Violation>, location: Location, uri: &str) {
    let has_scheme = uri.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if !has_scheme || uri.chars().any(char::is_whitespace) {
        problems.push(problem(location, format!("`{uri}` is not an absolute URI")));
    }
}

fn check_metadata(problems: &mut Vec<Violation>, location: Location, metadata: &EntityMetadata) {
    check_text(problems, format_args!("{location}.name"), &metadata.name);
    for (field, uri) in [("homepage", &metadata.homepage), ("logo", &metadata.logo)] {
        if let Some(uri) = uri {
            check_uri(problems, format_args!("{location}.{field}"), uri);
        }
    }
}

fn check_statement(
    problems: &mut Vec<Violation>,
    location: Location,
    statement: &Statement,
    registry: RegistryView<'_>,
) {
    check_text(problems, format_args!("{location}.id"), &statement.id);
    check_text(problems, format_args!("{location}.action"), &statement.action);
    check_text(problems, format_args!("{location}.resource"), &statement.resource);
    check_delegation(problems, location, statement, registry.authority_id);
    if !registry.entities.contains_key(&statement.entity_id) {
        problems.push(problem(
            format_args!("{location}.entity_id"),
            format!("`{}` has no entity entry; add the entity first", statement.entity_id),
        ));
    }
    if let Some(until) = statement.valid_until {
        if until <= statement.valid_from {
            problems.push(problem(
                format_args!("{location}.valid_until"),
                format!("{until} must be after valid_from {}", statement.valid_from),
            ));
        }
    }
    check_history(problems, format_args!("{location}.history"), &statement.history);
}

/// Delegation rules: `delegate` only on authorizations, a well-formed scope, no delegation to the authority itself,
/// and `max_depth` only on delegations, within `1..=MAX_DELEGATION_DEPTH`.
fn check_delegation(problems: &mut Vec<Violation>, location: Location, statement: &Statement, authority_id: &str) {
    if statement.action == DELEGATE_ACTION {
        if statement.kind != StatementKind::Authorization {
            problems.push(problem(format_args!("{location}.kind"), "`delegate` statements must be authorizations"));
        }
        if let Err(why) = Scope::parse(&statement.resource) {
            problems.push(problem(format_args!("{location}.resource"), format!("not a delegation scope: {why}")));
        }
        if statement.entity_id == authority_id {
            problems.push(problem(format_args!("{location}.entity_id"), "an authority cannot delegate to itself"));
        }
    }
    match statement.max_depth {
        Some(_) if !statement.is_delegation() => problems.push(problem(
            format_args!("{location}.max_depth"),
            format!("only delegations (kind authorization, action `{DELEGATE_ACTION}`) have a max_depth"),
        )),
        Some(depth) if !(1..=MAX_DELEGATION_DEPTH).contains(&depth) => problems.push(problem(
            format_args!("{location}.max_depth"),
            format!("{depth} is outside 1..={MAX_DELEGATION_DEPTH}"),
        )),
        _ => {}
    }
}

fn check_history(problems: &mut Vec<Violation>, location: Location, history: &[StatusChange]) {
    let Some(first) = history.first() else {
        problems.push(problem(location, "must have at least the initial `active` entry"));
        return;
    };
    if first.status != Status::Active {
        problems.push(problem(format_args!("{location}[0].status"), "the first entry must be `active`"));
    }
    for (position, pair) in history.windows(2).enumerate() {
        if let [before, after] = pair {
            let entry = position + 1;
            if after.since < before.since {
                problems.push(problem(
                    format_args!("{location}[{entry}].since"),
                    format!("{} is before the previous entry's {}", after.since, before.since),
                ));
            }
            if !transition_allowed(before.status, after.status) {
                problems.push(problem(
                    format_args!("{location}[{entry}].status"),
                    format!("{} cannot follow {}", after.status, before.status),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHORITY: &str = "did:web:board.example";
    const UNIVERSITY: &str = "did:web:university.example";

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn registry_with_statement() -> (RegistrySource, String) {
        let mut source = RegistrySource::init(AUTHORITY, "Board", Some("https://board.example/gf")).unwrap();
        source.upsert_entity(UNIVERSITY, EntityMetadata { name: "University".into(), ..Default::default() }).unwrap();
        let id = source
            .add_statement(NewStatement {
                kind: StatementKind::Authorization,
                entity_id: UNIVERSITY.into(),
                action: "issue".into(),
                resource: "OpenBadgeCredential".into(),
                valid_from: at("2025-01-01T00:00:00Z"),
                valid_until: None,
            })
            .unwrap();
        (source, id)
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(at("2025-03-04T05:06:07Z").to_string(), "2025-03-04T05:06:07Z");
        assert_eq!(at("2025-03-04T05:06:07.999Z").to_string(), "2025-03-04T05:06:07Z");
        assert!(Timestamp::parse("2025-03-04T05:06:07+01:00").is_err());
        assert!(Timestamp::parse("2025-03-04").is_err());
        assert_eq!(Timestamp::from_unix_seconds(0).map(|t| t.to_string()), Some("1970-01-01T00:00:00Z".into()));
        assert_eq!(Timestamp::from_unix_seconds(END_OF_YEAR_9999), None);
        let first = Timestamp::from_unix_seconds(START_OF_YEAR_0).map(|t| t.to_string());
        assert_eq!(first.as_deref(), Some("0000-01-01T00:00:00Z"));
        let last = Timestamp::from_unix_seconds(END_OF_YEAR_9999 - 1).map(|t| t.to_string());
        assert_eq!(last.as_deref(), Some("9999-12-31T23:59:59Z"));
        let day_later = at("2025-12-31T12:00:00Z").checked_add_seconds(86_400).map(|t| t.to_string());
        assert_eq!(day_later.as_deref(), Some("2026-01-01T12:00:00Z"));
        assert_eq!(at("9999-12-31T23:59:59Z").checked_add_seconds(1), None);
    }

    #[test]
    fn source_round_trips_through_its_file() {
        let (source, _) = registry_with_statement();
        let bytes = source.to_json().unwrap();
        assert_eq!(RegistrySource::from_json(&bytes).unwrap(), source);
    }

    #[test]
    fn unknown_fields_in_a_hand_edited_file_are_reported() {
        let (source, _) = registry_with_statement();
        let text = String::from_utf8(source.to_json().unwrap())
            .unwrap()
            .replace("\"name\": \"University\"", "\"nmae\": \"U\"");
        let error = RegistrySource::from_json(text.as_bytes()).unwrap_err();
        assert!(matches!(&error, ModelError::Unreadable(why) if why.contains("nmae")), "{error}");
    }

    #[test]
    fn validation_lists_every_problem() {
        let (mut source, _) = registry_with_statement();
        source.authority_id = "not-a-did".into();
        source.statements[0].entity_id = "did:web:stranger.example".into();
        source.statements[0].valid_until = Some(at("2024-01-01T00:00:00Z"));
        source.statements.push(source.statements[0].clone());
        let ModelError::Invalid(problems) = source.validate().unwrap_err() else { panic!("expected Invalid") };
        let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert!(locations.contains(&"authority_id"), "{locations:?}");
        assert!(locations.contains(&"statements[0].entity_id"), "{locations:?}");
        assert!(locations.contains(&"statements[0].valid_until"), "{locations:?}");
        assert!(locations.contains(&"statements[1].id"), "{locations:?}");
    }

    #[test]
    fn statements_need_a_known_entity() {
        let mut source = RegistrySource::init(AUTHORITY, "Board", None).unwrap();
        let result = source.add_statement(NewStatement {
            kind: StatementKind::Recognition,
            entity_id: UNIVERSITY.into(),
            action: "accredit".into(),
            resource: "Degree".into(),
            valid_from: at("2025-01-01T00:00:00Z"),
            valid_until: None,
        });
        assert!(matches!(result, Err(ModelError::Invalid(_))));
    }

    #[test]
    fn history_is_append_only_and_revocation_final() {
        let (mut source, id) = registry_with_statement();
        source.change_status(&id, Status::Suspended, at("2025-02-01T00:00:00Z"), "audit").unwrap();
        assert!(matches!(
            source.change_status(&id, Status::Active, at("2025-01-15T00:00:00Z"), "early"),
            Err(ModelError::OutOfOrder { .. })
        ));
        assert!(matches!(
            source.change_status(&id, Status::Suspended, at("2025-03-01T00:00:00Z"), "again"),
            Err(ModelError::InvalidTransition { from: Status::Suspended, to: Status::Suspended, .. })
        ));
        source.change_status(&id, Status::Active, at("2025-03-01T00:00:00Z"), "audit passed").unwrap();
        source.change_status(&id, Status::Revoked, at("2025-04-01T00:00:00Z"), "closed").unwrap();
        let error = source.change_status(&id, Status::Active, at("2025-05-01T00:00:00Z"), "oops").unwrap_err();
        assert!(error.to_string().contains("revocation is final"), "{error}");
        assert!(matches!(
            source.change_status("s99", Status::Revoked, at("2025-05-01T00:00:00Z"), "x"),
            Err(ModelError::UnknownStatement(_))
        ));
        let statuses: Vec<Status> = source.statements[0].history.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Status::Active, Status::Suspended, Status::Active, Status::Revoked]);
        assert!(source.validate().is_ok());
    }

    #[test]
    fn new_statement_ids_skip_hand_written_ones() {
        let (mut source, id) = registry_with_statement();
        assert_eq!(id, "s1");
        source.statements[0].id = "s2".into();
        let terms = NewStatement {
            kind: StatementKind::Authorization,
            entity_id: UNIVERSITY.into(),
            action: "issue".into(),
            resource: "Degree".into(),
            valid_from: at("2025-01-01T00:00:00Z"),
            valid_until: None,
        };
        assert_eq!(source.add_statement(terms).unwrap(), "s3");
    }

    fn delegation(scope: &str, max_depth: Option<u8>) -> NewDelegation {
        NewDelegation {
            delegate: UNIVERSITY.into(),
            scope: scope.into(),
            max_depth,
            valid_from: at("2025-01-01T00:00:00Z"),
            valid_until: None,
        }
    }

    #[test]
    fn scopes_are_a_resource_or_a_trailing_star_prefix() {
        let prefix = Scope::parse("https://example.org/badges/*").unwrap();
        assert!(prefix.covers("https://example.org/badges/math"));
        assert!(!prefix.covers("https://example.org/degrees/math"));
        let exact = Scope::parse("Degree").unwrap();
        assert!(exact.covers("Degree") && !exact.covers("Degrees"));
        for malformed in ["*", " *", "a*b", "a**", "**"] {
            assert!(Scope::parse(malformed).is_err(), "{malformed}");
        }
    }

    #[test]
    fn delegations_are_validated() {
        let (mut source, _) = registry_with_statement();
        source.upsert_entity(AUTHORITY, EntityMetadata { name: "Board".into(), ..Default::default() }).unwrap();
        let id = source.add_delegation(delegation("https://example.org/badges/*", Some(2))).unwrap();
        let added = source.statements.iter().find(|s| s.id == id).unwrap();
        assert!(added.is_delegation());
        assert_eq!((added.action.as_str(), added.max_depth), (DELEGATE_ACTION, Some(2)));
        for (terms, location) in [
            (delegation("a*b", None), "statement.resource"),
            (delegation("Degree", Some(0)), "statement.max_depth"),
            (delegation("Degree", Some(MAX_DELEGATION_DEPTH + 1)), "statement.max_depth"),
            (NewDelegation { delegate: AUTHORITY.into(), ..delegation("Degree", None) }, "statement.entity_id"),
        ] {
            let Err(ModelError::Invalid(problems)) = source.add_delegation(terms) else { panic!("{location}") };
            assert_eq!(problems.iter().map(|p| p.location.as_str()).collect::<Vec<_>>(), [location]);
        }
        source.statements[0].max_depth = Some(1);
        source.statements.push(Statement {
            id: "r1".into(),
            kind: StatementKind::Recognition,
            ..source.statements[1].clone()
        });
        let ModelError::Invalid(problems) = source.validate().unwrap_err() else { panic!("expected Invalid") };
        let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(locations, ["statements[0].max_depth", "statements[2].kind", "statements[2].max_depth"]);
    }

    #[test]
    fn max_depth_is_omitted_when_absent() {
        let (mut source, _) = registry_with_statement();
        let plain = serde_json::to_string(&source.statements[0]).unwrap();
        assert!(!plain.contains("max_depth"), "{plain}");
        source.add_delegation(delegation("Degree", Some(3))).unwrap();
        let delegated = serde_json::to_string(&source.statements[1]).unwrap();
        assert!(delegated.contains(r#""kind":"authorization","max_depth":3,"resource":"Degree""#), "{delegated}");
    }
}
