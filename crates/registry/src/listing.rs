//! The per-entity index of one snapshot, built once when the snapshot is loaded, that answers the paginated,
//! filtered entity listing and the per-entity view of the node's read API.
//!
//! Pure: it takes a snapshot and an as-of time and returns borrowed values; it knows nothing about HTTP or files.
//! Filters by action and resource start from precomputed candidate lists, so a request touches only the
//! entities (and their statements) that can match, not the whole registry.

use std::collections::HashMap;

use super::evaluate::{standing_at, Standing};
use super::model::{EntityMetadata, Statement, Timestamp};
use super::snapshot::Snapshot;

/// What an entity listing is filtered by; every given filter must hold for one and the same statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntityFilter<'f> {
    /// Only entities with a statement for this action.
    pub action: Option<&'f str>,
    /// Only entities with a statement on this resource.
    pub resource: Option<&'f str>,
    /// Only entities with a statement of this standing at the as-of time.
    pub status: Option<Standing>,
}

impl EntityFilter<'_> {
    fn is_empty(&self) -> bool {
        self.action.is_none() && self.resource.is_none() && self.status.is_none()
    }

    fn accepts(&self, statement: &Statement, at: Timestamp) -> bool {
        self.action.is_none_or(|action| statement.action == action)
            && self.resource.is_none_or(|resource| statement.resource == resource)
            && self.status.is_none_or(|status| standing_at(statement, at).0 == status)
    }
}

/// One listed entity, borrowed from the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedEntity<'s> {
    /// The entity's DID.
    pub entity_id: &'s str,
    /// Its display metadata.
    pub metadata: &'s EntityMetadata,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityPage<'s> {
    /// The entities of the page, in DID order.
    pub items: Vec<ListedEntity<'s>>,
    /// How many entities match in total.
    pub total: usize,
}

/// Entities in DID order with the positions of their statements, and candidate lists per action and resource.
#[derive(Debug, Default)]
pub struct EntityIndex {
    /// The entity DIDs in the snapshot's (sorted) order; an entity's position is its index here.
    ids: Vec<String>,
    /// Entity position → its statements' positions.
    statements_of: Vec<Vec<usize>>,
    with_action: HashMap<String, Vec<usize>>,
    with_resource: HashMap<String, Vec<usize>>,
}

/// Appends `entity` to the candidate list of `key` unless it is already its last member (statements of one entity
/// are visited together, so that is the only place a repeat can be).
fn add_candidate(lists: &mut HashMap<String, Vec<usize>>, key: &str, entity: usize) {
    let list = match lists.get_mut(key) {
        Some(list) => list,
        None => lists.entry(key.to_owned()).or_default(),
    };
    if list.last() != Some(&entity) {
        list.push(entity);
    }
}

impl EntityIndex {
    /// Indexes `snapshot`'s entities and statements.
    pub fn new(snapshot: &Snapshot) -> EntityIndex {
        let mut index = EntityIndex {
            ids: snapshot.entities.keys().cloned().collect(),
            statements_of: vec![Vec::new(); snapshot.entities.len()],
            ..EntityIndex::default()
        };
        for (position, statement) in snapshot.statements.iter().enumerate() {
            if let Some(list) = index.position(&statement.entity_id).and_then(|e| index.statements_of.get_mut(e)) {
                list.push(position);
            }
        }
        for (entity, statements) in index.statements_of.iter().enumerate() {
            for statement in statements.iter().filter_map(|&s| snapshot.statements.get(s)) {
                add_candidate(&mut index.with_action, &statement.action, entity);
                add_candidate(&mut index.with_resource, &statement.resource, entity);
            }
        }
        index
    }

    fn position(&self, entity_id: &str) -> Option<usize> {
        self.ids.binary_search_by(|id| id.as_str().cmp(entity_id)).ok()
    }

    /// The statements about `entity_id` in publication order, or `None` for an entity the snapshot does not list.
    pub fn statements<'s>(&self, snapshot: &'s Snapshot, entity_id: &str) -> Option<Vec<&'s Statement>> {
        let entity = self.position(entity_id)?;
        let positions = self.statements_of.get(entity)?;
        Some(positions.iter().filter_map(|&s| snapshot.statements.get(s)).collect())
    }

    /// The page `[offset, offset + limit)` of the entities that match `filter` at `at`.
    pub fn page<'s>(
        &self,
        snapshot: &'s Snapshot,
        filter: &EntityFilter<'_>,
        at: Timestamp,
        offset: usize,
        limit: usize,
    ) -> EntityPage<'s> {
        let entry = |position: usize| {
            let id = self.ids.get(position)?;
            snapshot.entities.get_key_value(id).map(|(entity_id, metadata)| ListedEntity { entity_id, metadata })
        };
        if filter.is_empty() {
            let items = snapshot
                .entities
                .iter()
                .skip(offset)
                .take(limit)
                .map(|(entity_id, metadata)| ListedEntity { entity_id, metadata })
                .collect();
            return EntityPage { items, total: snapshot.entities.len() };
        }
        let all: Vec<usize>;
        let candidates: &[usize] = match (filter.action, filter.resource) {
            (Some(action), _) => self.with_action.get(action).map_or(&[], Vec::as_slice),
            (None, Some(resource)) => self.with_resource.get(resource).map_or(&[], Vec::as_slice),
            (None, None) => {
                all = (0..self.statements_of.len()).collect();
                &all
            }
        };
        let matching: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&entity| {
                self.statements_of
                    .get(entity)
                    .into_iter()
                    .flatten()
                    .any(|&s| snapshot.statements.get(s).is_some_and(|statement| filter.accepts(statement, at)))
            })
            .collect();
        let items = matching.iter().skip(offset).take(limit).filter_map(|&position| entry(position)).collect();
        EntityPage { items, total: matching.len() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewStatement, RegistrySource, StatementKind, Status};
    use crate::snapshot::CanonicalSnapshot;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn snapshot() -> CanonicalSnapshot {
        let mut source = RegistrySource::init("did:web:board.example", "Board", None).unwrap();
        for (n, resource) in [(0, "Degree"), (1, "Badge"), (2, "Degree"), (3, "")] {
            let entity = format!("did:web:school{n}.example");
            source
                .upsert_entity(&entity, EntityMetadata { name: format!("School {n}"), ..Default::default() })
                .unwrap();
            if resource.is_empty() {
                continue;
            }
            source
                .add_statement(NewStatement {
                    kind: StatementKind::Authorization,
                    entity_id: entity,
                    action: "issue".into(),
                    resource: resource.into(),
                    valid_from: at("2025-01-01T00:00:00Z"),
                    valid_until: None,
                })
                .unwrap();
        }
        source.change_status("s3", Status::Suspended, at("2025-03-01T00:00:00Z"), "audit").unwrap();
        CanonicalSnapshot::build(&source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z")).unwrap()
    }

    fn ids(page: &EntityPage<'_>) -> Vec<String> {
        page.items.iter().map(|item| item.entity_id.trim_start_matches("did:web:").to_owned()).collect()
    }

    #[test]
    fn filters_combine_on_one_statement_and_pages_count_all_matches() {
        let built = snapshot();
        let snapshot = built.snapshot();
        let index = EntityIndex::new(snapshot);
        let now = at("2025-06-01T00:00:00Z");
        let all = index.page(snapshot, &EntityFilter::default(), now, 1, 2);
        assert_eq!((ids(&all), all.total), (vec!["school1.example".into(), "school2.example".into()], 4));

        let degree = EntityFilter { resource: Some("Degree"), ..Default::default() };
        let page = index.page(snapshot, &degree, now, 0, 10);
        assert_eq!((ids(&page), page.total), (vec!["school0.example".into(), "school2.example".into()], 2));

        let active_degree = EntityFilter { status: Some(Standing::Active), ..degree };
        assert_eq!(ids(&index.page(snapshot, &active_degree, now, 0, 10)), ["school0.example"]);
        let before_suspension = index.page(snapshot, &active_degree, at("2025-02-01T00:00:00Z"), 0, 10);
        assert_eq!(before_suspension.total, 2);

        let suspended = EntityFilter { status: Some(Standing::Suspended), ..Default::default() };
        assert_eq!(ids(&index.page(snapshot, &suspended, now, 0, 10)), ["school2.example"]);
        let unknown_action = EntityFilter { action: Some("accredit"), ..Default::default() };
        assert_eq!(index.page(snapshot, &unknown_action, now, 0, 10).total, 0);
        assert!(index.page(snapshot, &EntityFilter::default(), now, 10, 10).items.is_empty());
    }

    #[test]
    fn an_entitys_statements_are_listed_and_unknown_entities_are_none() {
        let built = snapshot();
        let index = EntityIndex::new(built.snapshot());
        let statements = index.statements(built.snapshot(), "did:web:school2.example").unwrap();
        assert_eq!(statements.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["s3"]);
        assert_eq!(index.statements(built.snapshot(), "did:web:school3.example").map(|s| s.len()), Some(0));
        assert!(index.statements(built.snapshot(), "did:web:nobody.example").is_none());
    }
}
