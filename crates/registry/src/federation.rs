//! The OpenID Federation and DCC views of one verified snapshot, for the wallets and verifiers of the Digital
//! Credentials Consortium (Learner Credential Wallet, VerifierPlus, `@digitalcredentials/verifier-core`): the
//! payloads of the registry's entity configuration and of its subordinate statements, the list of subordinates,
//! and the legacy `registry.json` map.
//!
//! An entity is listed, and has a subordinate statement, while at least one of its statements is `active` at the
//! as-of time: DCC registries have no scopes, so any active authorization or recognition counts. Metadata uses the
//! DCC field names. A statement lives at most [`MAX_LIFETIME_S`] and never past the snapshot's `next_update`.
//!
//! Pure: the caller passes the time, the URLs and the node's public key, and signs and serves the payloads; nothing
//! here does I/O or knows about HTTP.

use serde_json::{json, Map, Value};

use super::evaluate::{standing_at, Standing};
use super::listing::{EntityFilter, EntityIndex};
use super::model::{EntityMetadata, Timestamp};
use super::snapshot::SnapshotContent;

/// Longest lifetime of a statement, in seconds: a day, as DCC's registry server issues them.
pub const MAX_LIFETIME_S: i64 = 86_400;

/// Where the registry's federation endpoints are: absolute URLs, since clients call them as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints<'a> {
    /// The registry's entity identifier (`iss` of every statement); its configuration is at
    /// `<entity_id>/.well-known/openid-federation`.
    pub entity_id: &'a str,
    /// The fetch endpoint (`?sub=<DID>` is appended by clients).
    pub fetch: &'a str,
    /// The subordinate listing endpoint.
    pub list: &'a str,
}

/// Why no statement can be issued now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FederationError {
    /// The snapshot is past its `next_update`: a statement would be expired the moment it is made.
    #[error("the registry snapshot was due for update at {next_update}; no statement is issued from stale data")]
    Stale {
        /// The snapshot's `next_update`.
        next_update: Timestamp,
    },
}

/// The issue and expiry times of a statement made at `now` from `snapshot`: `exp` is a day later, or the
/// snapshot's `next_update` if that comes first.
pub fn validity(snapshot: &SnapshotContent, now: Timestamp) -> Result<(Timestamp, Timestamp), FederationError> {
    let next_update = snapshot.snapshot().next_update;
    if next_update <= now {
        return Err(FederationError::Stale { next_update });
    }
    let a_day_later = now.checked_add_seconds(MAX_LIFETIME_S).unwrap_or(next_update);
    Ok((now, a_day_later.min(next_update)))
}

/// The claims every statement about this registry carries: times, and which snapshot it was made from (the
/// authority's own signature over that snapshot is checkable through the node's snapshot and proof endpoints).
fn common_claims(snapshot: &SnapshotContent, issuer: &str, subject: &str, iat: Timestamp, exp: Timestamp) -> Value {
    let content = snapshot.snapshot();
    json!({
        "iss": issuer,
        "sub": subject,
        "iat": iat.unix_seconds(),
        "exp": exp.unix_seconds(),
        "trustnode_registry": {
            "authority_id": content.authority_id,
            "sequence": content.sequence,
            "digest": snapshot.digest(),
        },
    })
}

/// The registry's entity configuration (a trust anchor's: `iss` = `sub` = its entity id), publishing `jwk` (the
/// node's public key with its `kid`) and the fetch and list endpoints.
pub fn entity_configuration(
    snapshot: &SnapshotContent,
    endpoints: Endpoints<'_>,
    jwk: Map<String, Value>,
    iat: Timestamp,
    exp: Timestamp,
) -> Value {
    let content = snapshot.snapshot();
    let mut federation_entity = Map::new();
    federation_entity.insert("organization_name".into(), json!(content.name));
    federation_entity.insert("federation_fetch_endpoint".into(), json!(endpoints.fetch));
    federation_entity.insert("federation_list_endpoint".into(), json!(endpoints.list));
    if let Some(framework) = &content.governance_framework {
        federation_entity.insert("policy_uri".into(), json!(framework));
    }
    let mut claims = common_claims(snapshot, endpoints.entity_id, endpoints.entity_id, iat, exp);
    if let Some(claims) = claims.as_object_mut() {
        claims.insert("jwks".into(), json!({ "keys": [jwk] }));
        claims.insert("metadata".into(), json!({ "federation_entity": federation_entity }));
    }
    claims
}

/// True when `entity_id` has a statement that is `active` at `at`.
fn is_active(snapshot: &SnapshotContent, index: &EntityIndex, entity_id: &str, at: Timestamp) -> bool {
    index
        .statements(snapshot.snapshot(), entity_id)
        .is_some_and(|statements| statements.iter().any(|statement| standing_at(statement, at).0 == Standing::Active))
}

/// The subordinate statement about `entity_id` issued by the registry at `issuer`, or `None` when the entity is
/// unknown or has no statement active at `iat`.
pub fn subordinate_statement(
    snapshot: &SnapshotContent,
    index: &EntityIndex,
    issuer: &str,
    entity_id: &str,
    iat: Timestamp,
    exp: Timestamp,
) -> Option<Value> {
    if !is_active(snapshot, index, entity_id, iat) {
        return None;
    }
    let metadata = snapshot.snapshot().entities.get(entity_id)?;
    let mut claims = common_claims(snapshot, issuer, entity_id, iat, exp);
    if let Some(claims) = claims.as_object_mut() {
        claims.insert("metadata".into(), dcc_metadata(metadata));
    }
    Some(claims)
}

/// An entity's metadata under the DCC names; absent fields are left out, and so are groups left empty.
pub(crate) fn dcc_metadata(metadata: &EntityMetadata) -> Value {
    let mut groups = Map::new();
    let mut federation_entity = Map::new();
    federation_entity.insert("organization_name".into(), json!(metadata.name));
    for (name, value) in [("homepage_uri", &metadata.homepage), ("logo_uri", &metadata.logo)] {
        if let Some(value) = value {
            federation_entity.insert(name.into(), json!(value));
        }
    }
    groups.insert("federation_entity".into(), Value::Object(federation_entity));
    for (group, field, value) in [
        ("institution_additional_information", "legal_name", &metadata.legal_name),
        ("credential_registry_entity", "ctid", &metadata.ctid),
        ("ror_entity", "rorid", &metadata.ror_id),
    ] {
        if let Some(value) = value {
            groups.insert(group.into(), json!({ field: value }));
        }
    }
    Value::Object(groups)
}

/// The DIDs of the entities with a statement active at `at`, in DID order.
pub fn active_entities<'s>(snapshot: &'s SnapshotContent, index: &EntityIndex, at: Timestamp) -> Vec<&'s str> {
    let filter = EntityFilter { status: Some(Standing::Active), ..EntityFilter::default() };
    index.page(snapshot.snapshot(), &filter, at, 0, usize::MAX).items.iter().map(|item| item.entity_id).collect()
}

/// The DCC legacy registry file: `meta` about the snapshot and `registry`, DID → `{name, location, url}`, of the
/// entities active at `at`.
pub fn legacy_registry(snapshot: &SnapshotContent, index: &EntityIndex, at: Timestamp) -> Value {
    let content = snapshot.snapshot();
    let registry: Map<String, Value> = active_entities(snapshot, index, at)
        .into_iter()
        .filter_map(|entity_id| {
            let metadata = content.entities.get(entity_id)?;
            let mut entry = Map::new();
            entry.insert("name".into(), json!(metadata.name));
            for (name, value) in [("location", &metadata.location), ("url", &metadata.homepage)] {
                if let Some(value) = value {
                    entry.insert(name.into(), json!(value));
                }
            }
            Some((entity_id.to_owned(), Value::Object(entry)))
        })
        .collect();
    json!({
        "meta": {
            "name": content.name,
            "authority_id": content.authority_id,
            "sequence": content.sequence,
            "updated": content.issued,
            "next_update": content.next_update,
        },
        "registry": registry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewStatement, RegistrySource, StatementKind, Status};
    use crate::snapshot::CanonicalSnapshot;

    const AUTHORITY: &str = "did:web:board.example";
    const UNIVERSITY: &str = "did:web:university.example";
    const SUSPENDED: &str = "did:web:suspended.example";
    const LISTED_ONLY: &str = "did:web:listed.example";

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    /// A registry with an active university (full metadata), a suspended school and an entity with no statement.
    fn snapshot(next_update: &str) -> (SnapshotContent, EntityIndex) {
        let mut source = RegistrySource::init(AUTHORITY, "Board", Some("https://board.example/gf")).unwrap();
        let full = EntityMetadata {
            name: "University".into(),
            legal_name: Some("The University Corporation".into()),
            homepage: Some("https://university.example".into()),
            logo: Some("https://university.example/logo.png".into()),
            location: Some("Boston, MA, USA".into()),
            ctid: Some("ce-0b5f3c1e-2c5a-4f7e-9d1b-3c2e1a0f9e8d".into()),
            ror_id: Some("https://ror.org/042nb2s44".into()),
        };
        source.upsert_entity(UNIVERSITY, full).unwrap();
        for entity in [SUSPENDED, LISTED_ONLY] {
            source.upsert_entity(entity, EntityMetadata { name: entity.into(), ..Default::default() }).unwrap();
        }
        for entity in [UNIVERSITY, SUSPENDED] {
            let terms = NewStatement {
                kind: StatementKind::Authorization,
                entity_id: entity.into(),
                action: "issue".into(),
                resource: "OpenBadgeCredential".into(),
                valid_from: at("2025-01-01T00:00:00Z"),
                valid_until: None,
            };
            source.add_statement(terms).unwrap();
        }
        source.change_status("s2", Status::Suspended, at("2025-06-01T00:00:00Z"), "audit").unwrap();
        let built = CanonicalSnapshot::build(&source, None, at("2025-07-01T00:00:00Z"), at(next_update)).unwrap();
        let index = EntityIndex::new(built.snapshot());
        (built.into_content(), index)
    }

    const ENDPOINTS: Endpoints<'static> = Endpoints {
        entity_id: "https://node.example/registries/board",
        fetch: "https://node.example/registries/board/federation/fetch",
        list: "https://node.example/registries/board/federation/list",
    };

    #[test]
    fn statements_expire_after_a_day_or_at_the_next_update() {
        let (snapshot, _) = snapshot("2025-07-10T00:00:00Z");
        let now = at("2025-07-02T00:00:00Z");
        assert_eq!(validity(&snapshot, now), Ok((now, at("2025-07-03T00:00:00Z"))));
        let near_the_end = at("2025-07-09T12:00:00Z");
        assert_eq!(validity(&snapshot, near_the_end), Ok((near_the_end, at("2025-07-10T00:00:00Z"))));
        assert_eq!(
            validity(&snapshot, at("2025-07-10T00:00:00Z")),
            Err(FederationError::Stale { next_update: at("2025-07-10T00:00:00Z") })
        );
    }

    #[test]
    fn the_entity_configuration_advertises_the_endpoints_and_the_key() {
        let (snapshot, _) = snapshot("2025-07-10T00:00:00Z");
        let jwk: Map<String, Value> =
            serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519", "x": "abc", "kid": "did:key:z#z"})).unwrap();
        let (iat, exp) = (at("2025-07-02T00:00:00Z"), at("2025-07-03T00:00:00Z"));
        let configuration = entity_configuration(&snapshot, ENDPOINTS, jwk.clone(), iat, exp);
        assert_eq!(configuration["iss"], ENDPOINTS.entity_id);
        assert_eq!(configuration["sub"], ENDPOINTS.entity_id);
        let times = (configuration["iat"].as_i64(), configuration["exp"].as_i64());
        assert_eq!(times, (Some(iat.unix_seconds()), Some(exp.unix_seconds())));
        assert_eq!(configuration["jwks"]["keys"], json!([jwk]));
        let entity = &configuration["metadata"]["federation_entity"];
        assert_eq!(entity["federation_fetch_endpoint"], ENDPOINTS.fetch);
        assert_eq!(entity["federation_list_endpoint"], ENDPOINTS.list);
        assert_eq!(entity["organization_name"], "Board");
        assert_eq!(configuration["trustnode_registry"]["sequence"], 1);
        assert_eq!(configuration["trustnode_registry"]["digest"], json!(snapshot.digest()));
    }

    #[test]
    fn subordinate_statements_use_the_dcc_names_and_only_exist_while_active() {
        let (snapshot, index) = snapshot("2026-07-10T00:00:00Z");
        let (iat, exp) = (at("2025-07-02T00:00:00Z"), at("2025-07-03T00:00:00Z"));
        let statement = subordinate_statement(&snapshot, &index, ENDPOINTS.entity_id, UNIVERSITY, iat, exp).unwrap();
        assert_eq!(
            (statement["iss"].as_str(), statement["sub"].as_str()),
            (Some(ENDPOINTS.entity_id), Some(UNIVERSITY))
        );
        assert_eq!(
            statement["metadata"],
            json!({
                "federation_entity": {
                    "organization_name": "University",
                    "homepage_uri": "https://university.example",
                    "logo_uri": "https://university.example/logo.png",
                },
                "institution_additional_information": {"legal_name": "The University Corporation"},
                "credential_registry_entity": {"ctid": "ce-0b5f3c1e-2c5a-4f7e-9d1b-3c2e1a0f9e8d"},
                "ror_entity": {"rorid": "https://ror.org/042nb2s44"},
            })
        );
        let before_suspension = at("2025-05-01T00:00:00Z");
        assert!(subordinate_statement(&snapshot, &index, "iss", SUSPENDED, before_suspension, exp).is_some());
        for entity in [SUSPENDED, LISTED_ONLY, "did:web:stranger.example"] {
            assert_eq!(subordinate_statement(&snapshot, &index, "iss", entity, iat, exp), None, "{entity}");
        }
        let before_validity = at("2024-12-31T23:59:59Z");
        assert_eq!(subordinate_statement(&snapshot, &index, "iss", UNIVERSITY, before_validity, exp), None);
    }

    #[test]
    fn the_list_and_the_legacy_file_hold_the_active_entities() {
        let (snapshot, index) = snapshot("2026-07-10T00:00:00Z");
        let now = at("2025-07-02T00:00:00Z");
        assert_eq!(active_entities(&snapshot, &index, now), [UNIVERSITY]);
        assert_eq!(active_entities(&snapshot, &index, at("2025-05-01T00:00:00Z")), [SUSPENDED, UNIVERSITY]);
        let legacy = legacy_registry(&snapshot, &index, now);
        assert_eq!(
            legacy["registry"],
            json!({UNIVERSITY: {"name": "University", "location": "Boston, MA, USA", "url": "https://university.example"}})
        );
        assert_eq!(legacy["meta"]["sequence"], 1);
        assert_eq!(legacy["meta"]["next_update"], "2026-07-10T00:00:00Z");
    }
}
