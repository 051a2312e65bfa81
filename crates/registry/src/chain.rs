//! Accreditation chains: answering "is E authorized by A?" when A does not authorize E itself but delegated the
//! power to authorize (a `delegate` statement, see [`super::model::Scope`]) to B, whose registry authorizes E,
//! directly or through further delegations.
//!
//! A chain A → B → … → E holds at T when every delegation on it is `active` at T (so each link's validity window
//! bounds what the links below it grant), its scope covers the asked resource, the depth limits hold, no authority
//! appears twice, and the last registry grants E as [`super::evaluate::RegistryIndex::evaluate`] does.
//!
//! Bounds, so that one question costs a bounded amount of work whatever the registries contain:
//! - a chain holds at most [`MAX_CHAIN_LINKS`] statements (the delegations and the final grant), and a
//!   delegation's `max_depth` lowers the number of statements allowed after it;
//! - the search visits at most [`MAX_REGISTRY_VISITS`] registries (counting revisits through different paths);
//!   each visit is one indexed lookup plus one scan of that registry's delegation statements.
//!
//! Delegations are tried depth first in publication order; the first chain found is the answer. When none holds,
//! the answer explains the most telling failure met on the way (see [`ChainStatus`]). Pure: registries are reached
//! through a lookup closure from an authority DID to its current indexed snapshot; no I/O, no clock.

use std::borrow::Cow;
use std::sync::Arc;

use super::evaluate::{standing_at, Query, RegistryIndex, Standing};
use super::model::{Scope, Statement, StatementKind, Timestamp, MAX_DELEGATION_DEPTH};

/// The most statements one chain may hold: the delegations plus the final grant.
pub const MAX_CHAIN_LINKS: usize = MAX_DELEGATION_DEPTH as usize + 1;

/// The most registries one search visits, the asked authority's included.
pub const MAX_REGISTRY_VISITS: usize = 64;

/// Something that holds an indexed registry snapshot: the index itself, or the node's published snapshot.
pub trait IndexedRegistry {
    /// The index of the registry's current snapshot.
    fn index(&self) -> &RegistryIndex;
}

impl IndexedRegistry for RegistryIndex {
    fn index(&self) -> &RegistryIndex {
        self
    }
}

impl<T: IndexedRegistry + ?Sized> IndexedRegistry for Arc<T> {
    fn index(&self) -> &RegistryIndex {
        T::index(self)
    }
}

impl<T: IndexedRegistry + ?Sized> IndexedRegistry for &T {
    fn index(&self) -> &RegistryIndex {
        T::index(self)
    }
}

/// One statement an answer rests on, with the snapshot it was read from.
#[derive(Debug, Clone)]
pub struct ChainLink<R> {
    /// The snapshot holding the statement.
    pub registry: R,
    /// The statement's position in that snapshot (its Merkle leaf index).
    pub statement_index: usize,
}

impl<R: IndexedRegistry> ChainLink<R> {
    /// The statement.
    pub fn statement(&self) -> Option<&Statement> {
        self.registry.index().snapshot().snapshot().statements.get(self.statement_index)
    }

    /// The DID of the authority whose registry holds the statement.
    pub fn authority_id(&self) -> &str {
        &self.registry.index().snapshot().snapshot().authority_id
    }

    /// The statement's id.
    pub fn statement_id(&self) -> &str {
        self.statement().map_or("", |statement| &statement.id)
    }
}

/// How a chain search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainStatus {
    /// The standing of the last link's statement: `Active` is a grant; `Unknown` (no links) means no statement
    /// and no delegation answered the question anywhere.
    Standing(Standing),
    /// The last registry reached has delegations, but none covers the resource.
    OutsideScope,
    /// The last link is a delegation that covers the resource, but the depth left does not allow following it.
    DepthExceeded,
    /// The last link is a delegation to an authority already on the chain.
    Cycle,
    /// The last link is a delegation to an authority whose registry the lookup does not have.
    RegistryUnavailable,
    /// The search stopped at [`MAX_REGISTRY_VISITS`]; a chain might exist beyond the bound.
    SearchLimit,
}

impl ChainStatus {
    /// The snake_case name used in answers.
    pub fn name(self) -> &'static str {
        match self {
            ChainStatus::Standing(standing) => standing.name(),
            ChainStatus::OutsideScope => "outside_scope",
            ChainStatus::DepthExceeded => "depth_exceeded",
            ChainStatus::Cycle => "cycle",
            ChainStatus::RegistryUnavailable => "registry_unavailable",
            ChainStatus::SearchLimit => "search_limit",
        }
    }

    /// Lower ranks explain a "no" better: an incomplete search first (the "no" may be wrong), then the statement
    /// standings in `evaluate`'s order, then the chain failures from the most to the least specific.
    fn rank(self) -> u8 {
        match self {
            ChainStatus::Standing(Standing::Active) => 0,
            ChainStatus::SearchLimit => 1,
            ChainStatus::Standing(Standing::Suspended) => 2,
            ChainStatus::Standing(Standing::NotYetValid) => 3,
            ChainStatus::Standing(Standing::Revoked) => 4,
            ChainStatus::Standing(Standing::Expired) => 5,
            ChainStatus::RegistryUnavailable => 6,
            ChainStatus::DepthExceeded => 7,
            ChainStatus::OutsideScope => 8,
            ChainStatus::Cycle => 9,
            ChainStatus::Standing(Standing::Unknown) => 10,
        }
    }
}

/// The answer of a chain search.
#[derive(Debug, Clone)]
pub struct ChainAnswer<R> {
    /// How it ended; `ChainStatus::Standing(Standing::Active)` is a grant.
    pub status: ChainStatus,
    /// From the asked authority down: for a grant, the delegations followed and the granting statement; for a
    /// refusal, the delegations followed to where it failed, then the deciding statement when there is one (see
    /// [`ChainStatus`]).
    pub links: Vec<ChainLink<R>>,
}

impl<R: IndexedRegistry> ChainAnswer<R> {
    /// True when a chain grants the question.
    pub fn granted(&self) -> bool {
        self.status == ChainStatus::Standing(Standing::Active)
    }

    /// The statement the status is about: the last link's, except for [`ChainStatus::OutsideScope`] and
    /// [`ChainStatus::SearchLimit`], which are about no single statement.
    pub fn deciding(&self) -> Option<&ChainLink<R>> {
        match self.status {
            ChainStatus::OutsideScope | ChainStatus::SearchLimit => None,
            _ => self.links.last(),
        }
    }

    /// Why, for people: the recorded reason of the deciding statement's status at `at`, or what stopped the
    /// chain. `authority_id` is the asked authority.
    pub fn reason(&self, authority_id: &str, resource: &str, at: Timestamp) -> Option<Cow<'_, str>> {
        let deciding = self.deciding().and_then(|link| Some((link, link.statement()?)));
        // The authority the search had reached: the delegate of the last link, or the asked authority.
        let reached = self.links.last().and_then(ChainLink::statement).map_or(authority_id, |s| &s.entity_id);
        let explained = match (self.status, deciding) {
            (ChainStatus::Standing(_), Some((_, statement))) => return standing_at(statement, at).1.map(Cow::Borrowed),
            (ChainStatus::Standing(_), None) => return None,
            (ChainStatus::OutsideScope, _) => format!("no delegation of {reached} covers resource `{resource}`"),
            (ChainStatus::SearchLimit, _) => {
                format!("the search stopped after {MAX_REGISTRY_VISITS} registries; a longer search might find a chain")
            }
            (ChainStatus::DepthExceeded, Some((link, statement))) => format!(
                "following delegation {} of {} to {} would exceed the chain's depth limit",
                statement.id,
                link.authority_id(),
                statement.entity_id
            ),
            (ChainStatus::Cycle, Some((link, statement))) => format!(
                "delegation {} of {} leads back to {}, already on the chain",
                statement.id,
                link.authority_id(),
                statement.entity_id
            ),
            (ChainStatus::RegistryUnavailable, Some((link, statement))) => format!(
                "this node holds no registry of {}, the delegate of statement {} of {}",
                statement.entity_id,
                statement.id,
                link.authority_id()
            ),
            (_, None) => return None,
        };
        Some(Cow::Owned(explained))
    }
}

/// Answers an authorization `query` asked of the authority whose registry is `authority`, following delegations
/// through `lookup` (authority DID → its registry) when the registry does not grant directly. Questions of other
/// kinds are answered directly, as delegation is about authorization only.
pub fn authorize<R, L>(query: &Query<'_>, authority: R, lookup: L) -> ChainAnswer<R>
where
    R: IndexedRegistry + Clone,
    L: FnMut(&str) -> Option<R>,
{
    let mut search = Search { query: *query, lookup, visits: 0, path: Vec::with_capacity(MAX_CHAIN_LINKS), best: None };
    if search.visit(authority, MAX_CHAIN_LINKS) {
        return ChainAnswer { status: ChainStatus::Standing(Standing::Active), links: search.path };
    }
    let (status, links) = search.best.unwrap_or((ChainStatus::Standing(Standing::Unknown), Vec::new()));
    ChainAnswer { status, links }
}

/// A depth-first search's state: the links of the current path and the best failure met so far.
struct Search<'q, R, L> {
    query: Query<'q>,
    lookup: L,
    visits: usize,
    path: Vec<ChainLink<R>>,
    best: Option<(ChainStatus, Vec<ChainLink<R>>)>,
}

impl<R, L> Search<'_, R, L>
where
    R: IndexedRegistry + Clone,
    L: FnMut(&str) -> Option<R>,
{
    /// Records `status` at the current path when it explains a "no" better than what was recorded; ties keep the
    /// earlier one.
    fn fail(&mut self, status: ChainStatus) {
        if self.best.as_ref().is_none_or(|(best, _)| status.rank() < best.rank()) {
            self.best = Some((status, self.path.clone()));
        }
    }

    /// Searches `registry`, where at most `remaining` more statements may join the chain; true when the path now
    /// ends in a grant.
    fn visit(&mut self, registry: R, remaining: usize) -> bool {
        self.visits += 1;
        let index = registry.index();
        let direct = index.evaluate(&self.query);
        match direct.statement_index {
            Some(position) => {
                self.path.push(ChainLink { registry: registry.clone(), statement_index: position });
                if direct.granted() {
                    return true;
                }
                self.fail(ChainStatus::Standing(direct.status));
                self.path.pop();
            }
            None => self.fail(ChainStatus::Standing(Standing::Unknown)),
        }
        if self.query.kind != StatementKind::Authorization || !index.has_delegations() {
            return false;
        }
        let mut covered = false;
        for (position, delegation) in index.delegations() {
            if !Scope::parse(&delegation.resource).is_ok_and(|scope| scope.covers(self.query.resource)) {
                continue;
            }
            covered = true;
            self.path.push(ChainLink { registry: registry.clone(), statement_index: position });
            if self.follow(delegation, remaining) {
                return true;
            }
            self.path.pop();
        }
        if !covered {
            self.fail(ChainStatus::OutsideScope);
        }
        false
    }

    /// Follows `delegation` (the last link of the path, covering the resource) to its delegate's registry; true
    /// when that leads to a grant.
    fn follow(&mut self, delegation: &Statement, remaining: usize) -> bool {
        let (standing, _) = standing_at(delegation, self.query.at);
        if standing != Standing::Active {
            self.fail(ChainStatus::Standing(standing));
            return false;
        }
        // The delegation takes one place; the delegate's registry needs at least one more for a grant.
        if remaining < 2 {
            self.fail(ChainStatus::DepthExceeded);
            return false;
        }
        let delegate = delegation.entity_id.as_str();
        if self.path.iter().any(|link| link.authority_id() == delegate) {
            self.fail(ChainStatus::Cycle);
            return false;
        }
        if self.visits >= MAX_REGISTRY_VISITS {
            self.fail(ChainStatus::SearchLimit);
            return false;
        }
        let Some(next) = (self.lookup)(delegate) else {
            self.fail(ChainStatus::RegistryUnavailable);
            return false;
        };
        let allowed_below = delegation.max_depth.map_or(usize::MAX, usize::from);
        self.visit(next, (remaining - 1).min(allowed_below))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityMetadata, NewDelegation, NewStatement, RegistrySource, Status};
    use crate::snapshot::CanonicalSnapshot;
    use proptest::prelude::*;
    use std::collections::HashMap;

    const UNIVERSITY: &str = "did:web:university.example";
    const BADGES: &str = "https://example.org/badges/*";
    const MATH_BADGE: &str = "https://example.org/badges/math";
    const DEGREES: &str = "https://example.org/degrees/*";
    const ASKED_AT: &str = "2025-06-01T00:00:00Z";

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn authority(n: usize) -> String {
        format!("did:web:authority{n}.example")
    }

    /// A delegation from one authority of a [`Network`] to authority `to`.
    #[derive(Debug, Clone)]
    struct Delegation {
        to: usize,
        scope: &'static str,
        max_depth: Option<u8>,
        revoked_at: Option<&'static str>,
    }

    fn to(to: usize) -> Delegation {
        Delegation { to, scope: BADGES, max_depth: None, revoked_at: None }
    }

    /// What one authority's registry says: its delegations, and whether it authorizes the university itself.
    #[derive(Debug, Clone, Default)]
    struct Registry {
        delegations: Vec<Delegation>,
        grants: bool,
    }

    fn delegating(delegations: Vec<Delegation>) -> Registry {
        Registry { delegations, grants: false }
    }

    const GRANTING: Registry = Registry { delegations: Vec::new(), grants: true };

    fn entity(source: &mut RegistrySource, did: &str) {
        source.upsert_entity(did, EntityMetadata { name: did.into(), ..Default::default() }).unwrap();
    }

    fn build(n: usize, registry: &Registry) -> Arc<RegistryIndex> {
        let mut source = RegistrySource::init(&authority(n), "Authority", None).unwrap();
        for delegation in &registry.delegations {
            entity(&mut source, &authority(delegation.to));
            let terms = NewDelegation {
                delegate: authority(delegation.to),
                scope: delegation.scope.into(),
                max_depth: delegation.max_depth,
                valid_from: at("2020-01-01T00:00:00Z"),
                valid_until: None,
            };
            let id = source.add_delegation(terms).unwrap();
            if let Some(revoked_at) = delegation.revoked_at {
                source.change_status(&id, Status::Revoked, at(revoked_at), "accreditation withdrawn").unwrap();
            }
        }
        if registry.grants {
            entity(&mut source, UNIVERSITY);
            let terms = NewStatement {
                kind: StatementKind::Authorization,
                entity_id: UNIVERSITY.into(),
                action: "issue".into(),
                resource: MATH_BADGE.into(),
                valid_from: at("2020-01-01T00:00:00Z"),
                valid_until: None,
            };
            source.add_statement(terms).unwrap();
        }
        let snapshot =
            CanonicalSnapshot::build(&source, None, at("2025-01-01T00:00:00Z"), at("2025-01-02T00:00:00Z")).unwrap();
        Arc::new(RegistryIndex::new(snapshot))
    }

    /// Registries of authorities 0, 1, …; questions are asked of authority 0.
    struct Network(HashMap<String, Arc<RegistryIndex>>);

    impl Network {
        fn new(registries: &[Registry]) -> Network {
            Network(registries.iter().enumerate().map(|(n, registry)| (authority(n), build(n, registry))).collect())
        }

        /// The answer and how many registries the search looked up.
        fn ask_counting(&self, resource: &str, when: &str) -> (ChainAnswer<Arc<RegistryIndex>>, usize) {
            let query = Query {
                kind: StatementKind::Authorization,
                entity_id: UNIVERSITY,
                action: "issue",
                resource,
                at: at(when),
            };
            let mut lookups = 0;
            let answer = authorize(&query, self.0[&authority(0)].clone(), |did| {
                lookups += 1;
                self.0.get(did).cloned()
            });
            (answer, lookups)
        }

        fn ask(&self, resource: &str, when: &str) -> ChainAnswer<Arc<RegistryIndex>> {
            self.ask_counting(resource, when).0
        }
    }

    fn ids(answer: &ChainAnswer<Arc<RegistryIndex>>) -> Vec<(String, String)> {
        answer.links.iter().map(|l| (l.authority_id().to_owned(), l.statement_id().to_owned())).collect()
    }

    /// Authorities 0 → 1 → … → `delegations`, each delegating to the next, the last granting.
    fn line(delegations: usize) -> Network {
        let mut registries: Vec<Registry> = (1..=delegations).map(|next| delegating(vec![to(next)])).collect();
        registries.push(GRANTING);
        Network::new(&registries)
    }

    #[test]
    fn a_two_step_chain_grants_and_lists_every_link() {
        let network = line(1);
        let answer = network.ask(MATH_BADGE, ASKED_AT);
        assert!(answer.granted());
        assert_eq!(ids(&answer), [(authority(0), "s1".into()), (authority(1), "s1".into())]);
        assert_eq!(answer.reason(&authority(0), MATH_BADGE, at(ASKED_AT)), None);

        let outside = network.ask("https://example.org/degrees/math", ASKED_AT);
        assert_eq!((outside.status, outside.links.len()), (ChainStatus::OutsideScope, 0));
        let reason = outside.reason(&authority(0), "X", at(ASKED_AT)).unwrap();
        assert!(reason.contains("no delegation of did:web:authority0.example covers"), "{reason}");
    }

    #[test]
    fn a_revoked_delegation_stops_the_chain_from_its_revocation_on() {
        let revoked = Delegation { revoked_at: Some("2025-03-01T00:00:00Z"), ..to(1) };
        let network = Network::new(&[delegating(vec![revoked]), GRANTING]);
        assert!(network.ask(MATH_BADGE, "2025-02-28T23:59:59Z").granted());
        let after = network.ask(MATH_BADGE, "2025-03-01T00:00:00Z");
        assert_eq!(after.status, ChainStatus::Standing(Standing::Revoked));
        assert_eq!(ids(&after), [(authority(0), "s1".into())]);
        let reason = after.reason(&authority(0), MATH_BADGE, at("2025-03-01T00:00:00Z"));
        assert_eq!(reason.as_deref(), Some("accreditation withdrawn"));
    }

    #[test]
    fn max_depth_and_the_global_bound_limit_chain_length() {
        // 0 → 1 (max_depth 1) → 2 → grant: the delegate of 0 may only grant directly.
        let limited = Delegation { max_depth: Some(1), ..to(1) };
        let network = Network::new(&[delegating(vec![limited]), delegating(vec![to(2)]), GRANTING]);
        let answer = network.ask(MATH_BADGE, ASKED_AT);
        assert_eq!(answer.status, ChainStatus::DepthExceeded);
        assert_eq!(ids(&answer), [(authority(0), "s1".into()), (authority(1), "s1".into())]);

        let longest = line(MAX_CHAIN_LINKS - 1).ask(MATH_BADGE, ASKED_AT);
        assert_eq!((longest.status, longest.links.len()), (ChainStatus::Standing(Standing::Active), MAX_CHAIN_LINKS));
        let too_long = line(MAX_CHAIN_LINKS).ask(MATH_BADGE, ASKED_AT);
        assert_eq!((too_long.status, too_long.links.len()), (ChainStatus::DepthExceeded, MAX_CHAIN_LINKS));
    }

    #[test]
    fn cycles_and_missing_registries_end_with_a_clear_no() {
        let cycle = Network::new(&[delegating(vec![to(1)]), delegating(vec![to(0)])]);
        let answer = cycle.ask(MATH_BADGE, ASKED_AT);
        assert_eq!(answer.status, ChainStatus::Cycle);
        let reason = answer.reason(&authority(0), MATH_BADGE, at(ASKED_AT)).unwrap();
        assert!(reason.contains("leads back to did:web:authority0.example"), "{reason}");

        let missing = Network::new(&[delegating(vec![to(5)])]);
        let answer = missing.ask(MATH_BADGE, ASKED_AT);
        assert_eq!(answer.status, ChainStatus::RegistryUnavailable);
        assert_eq!(answer.deciding().map(ChainLink::statement_id), Some("s1"));
    }

    #[test]
    fn a_dense_graph_stops_at_the_visit_bound() {
        // Every authority delegates to every other: far more simple paths than the bound allows visiting.
        let size = 12;
        let registries: Vec<Registry> =
            (0..size).map(|n| delegating((0..size).filter(|&m| m != n).map(to).collect())).collect();
        let (answer, lookups) = Network::new(&registries).ask_counting(MATH_BADGE, ASKED_AT);
        assert_eq!(answer.status, ChainStatus::SearchLimit);
        assert_eq!(lookups, MAX_REGISTRY_VISITS - 1);
    }

    /// True when some chain from `from` grants, by enumerating every simple path within the depth rules.
    fn chain_exists(registries: &[Registry], from: usize, remaining: usize, on_path: &mut Vec<usize>) -> bool {
        let Some(registry) = registries.get(from) else { return false };
        if registry.grants {
            return true;
        }
        on_path.push(from);
        let found = remaining >= 2
            && registry.delegations.iter().any(|d| {
                d.revoked_at.is_none()
                    && d.scope != DEGREES
                    && !on_path.contains(&d.to)
                    && chain_exists(
                        registries,
                        d.to,
                        (remaining - 1).min(d.max_depth.map_or(usize::MAX, usize::from)),
                        on_path,
                    )
            });
        on_path.pop();
        found
    }

    fn registry_strategy(size: usize) -> impl Strategy<Value = Registry> {
        let delegation = (
            0..size,
            prop::sample::select(vec![BADGES, MATH_BADGE, DEGREES]),
            prop::option::of(1..=7u8),
            any::<bool>(),
        )
            .prop_map(|(to, scope, max_depth, revoked)| Delegation {
                to,
                scope,
                max_depth,
                revoked_at: revoked.then_some("2025-01-01T00:00:00Z"),
            });
        (prop::collection::vec(delegation, 0..5), prop::bool::weighted(0.2))
            .prop_map(|(delegations, grants)| Registry { delegations, grants })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn random_delegation_graphs_never_loop_or_pass_the_bounds(
            registries in (2..10usize).prop_flat_map(|size| prop::collection::vec(registry_strategy(size), size))
        ) {
            let mut registries = registries;
            for (n, registry) in registries.iter_mut().enumerate() {
                registry.delegations.retain(|d| d.to != n);
            }
            let (answer, lookups) = Network::new(&registries).ask_counting(MATH_BADGE, ASKED_AT);
            prop_assert!(lookups < MAX_REGISTRY_VISITS);
            prop_assert!(answer.links.len() <= MAX_CHAIN_LINKS);
            let authorities: Vec<&str> = answer.links.iter().map(ChainLink::authority_id).collect();
            let asked = authority(0);
            prop_assert!(authorities.first().is_none_or(|first| *first == asked));
            if answer.granted() {
                let mut distinct = authorities.clone();
                distinct.sort_unstable();
                distinct.dedup();
                prop_assert_eq!(distinct.len(), authorities.len(), "an authority appears twice: {:?}", authorities);
                for (position, pair) in answer.links.windows(2).enumerate() {
                    let delegation = pair[0].statement().unwrap();
                    prop_assert!(delegation.is_delegation());
                    prop_assert_eq!(standing_at(delegation, at(ASKED_AT)).0, Standing::Active);
                    prop_assert!(Scope::parse(&delegation.resource).unwrap().covers(MATH_BADGE));
                    prop_assert_eq!(delegation.entity_id.as_str(), pair[1].authority_id());
                    let below = answer.links.len() - 1 - position;
                    prop_assert!(below <= delegation.max_depth.map_or(usize::MAX, usize::from));
                }
                let grant = answer.links.last().and_then(ChainLink::statement).unwrap();
                prop_assert_eq!((grant.entity_id.as_str(), grant.resource.as_str()), (UNIVERSITY, MATH_BADGE));
            } else if answer.status != ChainStatus::SearchLimit {
                prop_assert!(!chain_exists(&registries, 0, MAX_CHAIN_LINKS, &mut Vec::new()), "missed a chain: {:?}", answer.status);
            }
        }
    }
}
