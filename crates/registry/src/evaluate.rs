//! As-of-time evaluation of TRQP questions ("is entity E authorized (or recognized) to do action X on resource R
//! at time T?") over one verified snapshot, and the index that makes each question a hash lookup.
//!
//! A statement grants at T when its kind, entity, action and resource match, T lies in `[valid_from,
//! valid_until)`, and its recorded status at T is `active`. When no matching statement grants, the answer explains
//! the most relevant one, preferring in this order: `suspended` (may come back), `not_yet_valid` (will start),
//! `revoked`, `expired`, with ties going to the earliest statement; `unknown` means no statement matches at all.
//! A statement that was revoked and has since expired reads `revoked`: revocation is the stronger, final fact.
//! Pure and read-only: no I/O, no clock.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::ops::Range;

use serde::Serialize;

use super::model::{Statement, StatementKind, Status, Timestamp};
use super::snapshot::SnapshotContent;

/// One question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query<'q> {
    /// Authorization (TRQP `/authorization`) or recognition (`/recognition`).
    pub kind: StatementKind,
    /// The entity asked about.
    pub entity_id: &'q str,
    /// The action.
    pub action: &'q str,
    /// The resource.
    pub resource: &'q str,
    /// The as-of time (TRQP `context.time`, or now).
    pub at: Timestamp,
}

/// A statement's standing at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// In force: the answer is yes.
    Active,
    /// Suspended at that time.
    Suspended,
    /// Revoked at or before that time.
    Revoked,
    /// The validity window had ended.
    Expired,
    /// The validity window had not started.
    NotYetValid,
    /// No statement matches the question.
    Unknown,
}

impl Standing {
    const ALL: [Standing; 6] = [
        Standing::Active,
        Standing::Suspended,
        Standing::Revoked,
        Standing::Expired,
        Standing::NotYetValid,
        Standing::Unknown,
    ];

    /// The snake_case name used in answers and query filters.
    pub fn name(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Suspended => "suspended",
            Standing::Revoked => "revoked",
            Standing::Expired => "expired",
            Standing::NotYetValid => "not_yet_valid",
            Standing::Unknown => "unknown",
        }
    }

    /// The standing named `name`, if any.
    pub fn from_name(name: &str) -> Option<Standing> {
        Standing::ALL.into_iter().find(|standing| standing.name() == name)
    }

    /// Lower ranks explain a "no" better; see the module documentation.
    fn rank(self) -> u8 {
        match self {
            Standing::Active => 0,
            Standing::Suspended => 1,
            Standing::NotYetValid => 2,
            Standing::Revoked => 3,
            Standing::Expired => 4,
            Standing::Unknown => 5,
        }
    }
}

/// The answer to a [`Query`], with its explanation; strings borrow from the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Evaluation<'s> {
    /// The standing of the deciding statement (or `unknown`).
    pub status: Standing,
    /// The reason recorded with that status, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'s str>,
    /// The deciding statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<&'s str>,
    /// Its validity start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Timestamp>,
    /// Its validity end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
    /// Its position in the snapshot (its Merkle leaf index), for proofs and chains; not part of answers.
    #[serde(skip)]
    pub statement_index: Option<usize>,
}

impl Evaluation<'_> {
    /// The TRQP boolean (`authorized` / `recognized`).
    pub fn granted(&self) -> bool {
        self.status == Standing::Active
    }

    /// The answer when no statement matches.
    pub const UNKNOWN: Evaluation<'static> = Evaluation {
        status: Standing::Unknown,
        reason: None,
        statement_id: None,
        valid_from: None,
        valid_until: None,
        statement_index: None,
    };
}

/// The standing of `statement` at `at`, with the recorded reason.
pub fn standing_at(statement: &Statement, at: Timestamp) -> (Standing, Option<&str>) {
    let recorded = statement.recorded_status_at(at);
    let reason = recorded.and_then(|change| change.reason.as_deref());
    match recorded.map(|change| change.status) {
        Some(Status::Revoked) => (Standing::Revoked, reason),
        _ if at < statement.valid_from => (Standing::NotYetValid, None),
        _ if statement.valid_until.is_some_and(|until| at >= until) => (Standing::Expired, None),
        Some(Status::Active) => (Standing::Active, reason),
        Some(Status::Suspended) => (Standing::Suspended, reason),
        None => (Standing::NotYetValid, None),
    }
}

/// A verified snapshot indexed for questions: statements grouped by (entity, action, resource), the known
/// entities, actions and resources (TRQP answers 404 for unknown ones), and the delegations.
#[derive(Debug)]
pub struct RegistryIndex {
    snapshot: SnapshotContent,
    hasher: RandomState,
    /// Statement positions, grouped by the hash of their (entity, action, resource).
    grouped: Vec<usize>,
    /// Hash of (entity, action, resource) → the range of `grouped` holding those statements.
    groups: HashMap<u64, Range<usize>>,
    actions: HashSet<String>,
    resources: HashSet<String>,
    /// Positions of the delegation statements, in publication order.
    delegations: Vec<usize>,
}

impl RegistryIndex {
    /// Indexes `snapshot` (which the caller has parsed and whose signature it has verified); a
    /// [`super::snapshot::CanonicalSnapshot`] converts, dropping its bytes.
    pub fn new(snapshot: impl Into<SnapshotContent>) -> RegistryIndex {
        let snapshot = snapshot.into();
        let hasher = RandomState::new();
        let statements = &snapshot.snapshot().statements;
        let keys: Vec<u64> = statements
            .iter()
            .map(|s| hasher.hash_one((s.entity_id.as_str(), s.action.as_str(), s.resource.as_str())))
            .collect();
        let mut grouped: Vec<usize> = (0..statements.len()).collect();
        // Stable: within a group, statements stay in publication order.
        grouped.sort_by_key(|&position| keys.get(position).copied().unwrap_or_default());
        let mut groups: HashMap<u64, Range<usize>> = HashMap::with_capacity(statements.len());
        for (slot, &position) in grouped.iter().enumerate() {
            let key = keys.get(position).copied().unwrap_or_default();
            groups.entry(key).and_modify(|range| range.end = slot + 1).or_insert(slot..slot + 1);
        }
        let actions = statements.iter().map(|s| s.action.clone()).collect();
        let resources = statements.iter().map(|s| s.resource.clone()).collect();
        let delegations = (0..statements.len())
            .filter(|&position| statements.get(position).is_some_and(Statement::is_delegation))
            .collect();
        RegistryIndex { snapshot, hasher, grouped, groups, actions, resources, delegations }
    }

    /// The indexed snapshot.
    pub fn snapshot(&self) -> &SnapshotContent {
        &self.snapshot
    }

    /// True when the registry has an entity entry for `entity_id`.
    pub fn knows_entity(&self, entity_id: &str) -> bool {
        self.snapshot.snapshot().entities.contains_key(entity_id)
    }

    /// True when some statement names `action`.
    pub fn knows_action(&self, action: &str) -> bool {
        self.actions.contains(action)
    }

    /// True when some statement names `resource`.
    pub fn knows_resource(&self, resource: &str) -> bool {
        self.resources.contains(resource)
    }

    /// True when the registry holds at least one delegation statement.
    pub fn has_delegations(&self) -> bool {
        !self.delegations.is_empty()
    }

    /// The delegation statements with their positions, in publication order.
    pub fn delegations(&self) -> impl Iterator<Item = (usize, &Statement)> {
        let statements = &self.snapshot.snapshot().statements;
        self.delegations.iter().filter_map(|&position| Some((position, statements.get(position)?)))
    }

    /// Statements (with their positions) whose (entity, action, resource) hash like the query's; callers compare
    /// the strings.
    fn candidates(&self, query: &Query<'_>) -> impl Iterator<Item = (usize, &Statement)> {
        let statements = &self.snapshot.snapshot().statements;
        let key = self.hasher.hash_one((query.entity_id, query.action, query.resource));
        let range = self.groups.get(&key).cloned().unwrap_or_default();
        self.grouped
            .get(range)
            .unwrap_or_default()
            .iter()
            .filter_map(|&position| Some((position, statements.get(position)?)))
    }

    /// Answers the question, explaining the deciding statement.
    pub fn evaluate(&self, query: &Query<'_>) -> Evaluation<'_> {
        let mut best = Evaluation::UNKNOWN;
        let matches = |(_, s): &(usize, &Statement)| {
            s.kind == query.kind
                && s.entity_id == query.entity_id
                && s.action == query.action
                && s.resource == query.resource
        };
        for (position, statement) in self.candidates(query).filter(matches) {
            let (status, reason) = standing_at(statement, query.at);
            if status.rank() < best.status.rank() {
                best = Evaluation {
                    status,
                    reason,
                    statement_id: Some(&statement.id),
                    valid_from: Some(statement.valid_from),
                    valid_until: statement.valid_until,
                    statement_index: Some(position),
                };
                if status == Standing::Active {
                    break;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityMetadata, NewStatement, RegistrySource};
    use crate::snapshot::CanonicalSnapshot;

    const SCHOOL: &str = "did:web:school.example";

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn index(edit: impl FnOnce(&mut RegistrySource)) -> RegistryIndex {
        let mut source = RegistrySource::init("did:web:board.example", "Board", None).unwrap();
        source.upsert_entity(SCHOOL, EntityMetadata { name: "School".into(), ..Default::default() }).unwrap();
        edit(&mut source);
        let snapshot =
            CanonicalSnapshot::build(&source, None, at("2025-01-01T00:00:00Z"), at("2025-01-02T00:00:00Z")).unwrap();
        RegistryIndex::new(snapshot)
    }

    fn authorize(source: &mut RegistrySource, resource: &str, from: &str, until: Option<&str>) -> String {
        source
            .add_statement(NewStatement {
                kind: StatementKind::Authorization,
                entity_id: SCHOOL.into(),
                action: "issue".into(),
                resource: resource.into(),
                valid_from: at(from),
                valid_until: until.map(at),
            })
            .unwrap()
    }

    fn ask<'i>(index: &'i RegistryIndex, resource: &str, when: &str) -> Evaluation<'i> {
        index.evaluate(&Query {
            kind: StatementKind::Authorization,
            entity_id: SCHOOL,
            action: "issue",
            resource,
            at: at(when),
        })
    }

    #[test]
    fn a_newer_grant_wins_over_an_older_revoked_one() {
        let index = index(|source| {
            let old = authorize(source, "Degree", "2020-01-01T00:00:00Z", None);
            source.change_status(&old, Status::Revoked, at("2021-01-01T00:00:00Z"), "merger").unwrap();
            authorize(source, "Degree", "2022-01-01T00:00:00Z", None);
        });
        let before = ask(&index, "Degree", "2020-06-01T00:00:00Z");
        assert_eq!((before.status, before.statement_id), (Standing::Active, Some("s1")));
        let gap = ask(&index, "Degree", "2021-06-01T00:00:00Z");
        assert_eq!((gap.status, gap.reason, gap.statement_id), (Standing::NotYetValid, None, Some("s2")));
        let after = ask(&index, "Degree", "2023-01-01T00:00:00Z");
        assert_eq!((after.status, after.statement_id), (Standing::Active, Some("s2")));
        assert!(after.granted());
    }

    #[test]
    fn revocation_outranks_expiry_and_unknown_means_no_statement() {
        let index = index(|source| {
            let id = authorize(source, "Badge", "2020-01-01T00:00:00Z", Some("2022-01-01T00:00:00Z"));
            source.change_status(&id, Status::Revoked, at("2021-01-01T00:00:00Z"), "fraud").unwrap();
            authorize(source, "Certificate", "2020-01-01T00:00:00Z", Some("2022-01-01T00:00:00Z"));
        });
        let revoked = ask(&index, "Badge", "2023-01-01T00:00:00Z");
        assert_eq!((revoked.status, revoked.reason), (Standing::Revoked, Some("fraud")));
        assert_eq!(ask(&index, "Certificate", "2022-01-01T00:00:00Z").status, Standing::Expired);
        assert_eq!(ask(&index, "Certificate", "2021-12-31T23:59:59Z").status, Standing::Active);
        let unknown = ask(&index, "Diploma", "2021-01-01T00:00:00Z");
        assert_eq!(unknown, Evaluation::UNKNOWN);
        assert!(index.knows_entity(SCHOOL) && index.knows_action("issue") && index.knows_resource("Badge"));
        assert!(!index.knows_entity("did:web:nobody.example") && !index.knows_resource("Diploma"));
    }

    #[test]
    fn standing_names_round_trip_and_match_the_serialized_form() {
        for standing in Standing::ALL {
            assert_eq!(Standing::from_name(standing.name()), Some(standing));
            assert_eq!(serde_json::to_value(standing).unwrap(), standing.name());
        }
        assert_eq!(Standing::from_name("Active"), None);
    }

    #[test]
    fn kind_must_match() {
        let index = index(|source| {
            authorize(source, "Degree", "2020-01-01T00:00:00Z", None);
        });
        let recognition = Query {
            kind: StatementKind::Recognition,
            entity_id: SCHOOL,
            action: "issue",
            resource: "Degree",
            at: at("2021-01-01T00:00:00Z"),
        };
        assert_eq!(index.evaluate(&recognition).status, Standing::Unknown);
    }
}
