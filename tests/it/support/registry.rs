//! A signed registry directory for node tests: a did:key authority, a few LER entities and statements with a
//! history (suspension, reinstatement, revocation, expiry), snapshot 1 signed into `DIR/snapshots/`, and helpers
//! to build, sign and publish the next snapshots over HTTP.

use rand_core::OsRng;
use trustnode::config::RegistryConfig;
use trustnode::store::RegistryDir;
use trustnode_registry::jws::{SigningKey, SigningKeyType};
use trustnode_registry::model::{
    EntityMetadata, NewDelegation, NewStatement, RegistrySource, StatementKind, Status, Timestamp,
};
use trustnode_registry::snapshot::CanonicalSnapshot;

use super::node::{Reply, TestNode};

/// Authorized to issue badges from 2024; revoked on 2025-03-01 (statement s1).
pub const UNIVERSITY: &str = "did:web:registrar.university.example";
/// Authorized to issue certificates; suspended 2025-02-01, reinstated 2025-04-01 (s2).
pub const COLLEGE: &str = "did:web:college.example";
/// Authorized to issue badges during 2024 only (s3, expired).
pub const BOOTCAMP: &str = "did:web:bootcamp.example";
/// A peer authority, recognized for `accredit` / `Degree` (s4).
pub const ACCREDITOR: &str = "did:web:accreditor.example";
/// The badge credential type.
pub const BADGE: &str = "OpenBadgeCredential";

/// A resource delegations cover by scope (`https://example.org/badges/*`, see [`delegate`]).
pub const MATH_BADGE: &str = "https://example.org/badges/math";

/// The committed example registry the default configuration serves.
pub const EXAMPLE_REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/registry/example");

/// A timestamp from RFC 3339 text.
pub fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// Now, to the second.
pub fn now() -> Timestamp {
    trustnode::clock::now().unwrap()
}

/// The registry directory and everything needed to extend it.
pub struct Fixture {
    /// Holds the registry directory.
    pub dir: tempfile::TempDir,
    /// The authority's key.
    pub key: SigningKey,
    /// The verification method named in signatures.
    pub kid: String,
    /// The authority's DID.
    pub authority: String,
    /// The current source.
    pub source: RegistrySource,
    /// Every snapshot signed so far, oldest first, with its JWS.
    pub signed: Vec<(CanonicalSnapshot, String)>,
}

impl Fixture {
    /// A registry whose snapshot 1 is signed into its directory, due for update in a day.
    pub fn new() -> Fixture {
        Fixture::with_next_update(86_400)
    }

    /// Like [`Fixture::new`], with `next_update` this many seconds after now (at least 1: it must follow `issued`).
    pub fn with_next_update(seconds: i64) -> Fixture {
        let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
        let (authority, kid) = (key.did_key().unwrap(), key.did_key_url().unwrap());
        Fixture::signed_by(key, &authority, &kid, seconds)
    }

    /// A registry of `authority` whose snapshot 1 is signed with `key`, named `kid`.
    pub fn signed_by(key: SigningKey, authority: &str, kid: &str, next_update_in: i64) -> Fixture {
        let authority = authority.to_owned();
        let mut source =
            RegistrySource::init(&authority, "State Board (test)", Some("https://board.example/gf")).unwrap();
        for (entity, name) in
            [(UNIVERSITY, "University"), (COLLEGE, "College"), (BOOTCAMP, "Bootcamp"), (ACCREDITOR, "Accreditor")]
        {
            let metadata = EntityMetadata {
                name: name.into(),
                homepage: Some(format!("https://{name}.example")),
                ..Default::default()
            };
            source.upsert_entity(entity, metadata).unwrap();
        }
        let statement =
            |kind, entity: &str, action: &str, resource: &str, from: &str, until: Option<&str>| NewStatement {
                kind,
                entity_id: entity.into(),
                action: action.into(),
                resource: resource.into(),
                valid_from: at(from),
                valid_until: until.map(at),
            };
        let authorization = StatementKind::Authorization;
        for terms in [
            statement(authorization, UNIVERSITY, "issue", BADGE, "2024-01-01T00:00:00Z", None),
            statement(authorization, COLLEGE, "issue", "Certificate", "2024-01-01T00:00:00Z", None),
            statement(authorization, BOOTCAMP, "issue", BADGE, "2024-01-01T00:00:00Z", Some("2025-01-01T00:00:00Z")),
            statement(StatementKind::Recognition, ACCREDITOR, "accredit", "Degree", "2023-01-01T00:00:00Z", None),
        ] {
            source.add_statement(terms).unwrap();
        }
        source.change_status("s1", Status::Revoked, at("2025-03-01T00:00:00Z"), "programme closed").unwrap();
        source.change_status("s2", Status::Suspended, at("2025-02-01T00:00:00Z"), "audit").unwrap();
        source.change_status("s2", Status::Active, at("2025-04-01T00:00:00Z"), "audit passed").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut fixture = Fixture { dir, key, kid: kid.to_owned(), authority, source, signed: Vec::new() };
        let directory = RegistryDir::new(fixture.dir.path());
        directory.write_source(&fixture.source.to_json().unwrap()).unwrap();
        let (snapshot, jws) = fixture.build_next(next_update_in);
        directory.snapshots().write(1, snapshot.bytes(), &jws).unwrap();
        fixture.signed.push((snapshot, jws));
        fixture
    }

    /// A copy of the committed example registry (`registry/example`) with its committed, public key: what anyone
    /// can extend and sign as its authority.
    pub fn committed_example() -> Fixture {
        let committed = RegistryDir::new(EXAMPLE_REGISTRY);
        let dir = tempfile::tempdir().unwrap();
        let copy = RegistryDir::new(dir.path());
        let source_bytes = std::fs::read(committed.path().join("registry.json")).unwrap();
        copy.write_source(&source_bytes).unwrap();
        let source = RegistrySource::from_json(&source_bytes).unwrap();
        let signed: Vec<(CanonicalSnapshot, String)> = committed
            .snapshots()
            .sequences()
            .unwrap()
            .into_iter()
            .map(|sequence| {
                let stored = committed.snapshots().read(sequence).unwrap();
                copy.snapshots().write(sequence, &stored.bytes, &stored.jws).unwrap();
                (CanonicalSnapshot::parse(stored.bytes).unwrap(), stored.jws)
            })
            .collect();
        let key_file = committed.path().join("EXAMPLE-ONLY-authority-key.jwk");
        let key = SigningKey::from_file_bytes(&std::fs::read(key_file).unwrap()).unwrap();
        let (authority, kid) = (source.authority_id.clone(), key.did_key_url().unwrap());
        Fixture { dir, key, kid, authority, source, signed }
    }

    /// The `[[registries]]` entry for this directory.
    pub fn config(&self) -> RegistryConfig {
        RegistryConfig::Source(self.dir.path().to_owned())
    }

    /// The next snapshot of the current source after the newest signed one, signed by the authority's key.
    pub fn build_next(&self, next_update_in: i64) -> (CanonicalSnapshot, String) {
        let issued = now();
        let previous = self.signed.last().map(|(snapshot, _)| snapshot);
        let built = CanonicalSnapshot::build(
            &self.source,
            previous,
            issued,
            issued.checked_add_seconds(next_update_in).unwrap(),
        )
        .unwrap();
        let jws = built.sign(&self.key, &self.kid).unwrap();
        (built, jws)
    }

    /// Edits the source and builds (but does not record) the next signed snapshot.
    pub fn edit_and_build(&mut self, edit: impl FnOnce(&mut RegistrySource)) -> (CanonicalSnapshot, String) {
        edit(&mut self.source);
        self.build_next(86_400)
    }

    /// Edits the source and signs the next snapshot into the registry directory (a node imports it when it
    /// starts), recording it.
    pub fn extend(&mut self, edit: impl FnOnce(&mut RegistrySource)) {
        let (snapshot, jws) = self.edit_and_build(edit);
        let snapshots = RegistryDir::new(self.dir.path()).snapshots();
        snapshots.write(snapshot.snapshot().sequence, snapshot.bytes(), &jws).unwrap();
        self.accepted((snapshot, jws));
    }

    /// Records a snapshot the node accepted, so the next one chains to it.
    pub fn accepted(&mut self, signed: (CanonicalSnapshot, String)) {
        self.signed.push(signed);
    }

    /// The authority, percent-encoded for a path.
    pub fn encoded_authority(&self) -> String {
        trustnode_registry::wire::encode(&self.authority)
    }
}

/// Adds `count` schools, each authorized to issue badges, to make a registry large.
pub fn add_schools(source: &mut RegistrySource, count: usize) {
    for n in 0..count {
        let entity = format!("did:web:school{n}.example");
        source.upsert_entity(&entity, EntityMetadata { name: format!("School {n}"), ..Default::default() }).unwrap();
        let terms = NewStatement {
            kind: StatementKind::Authorization,
            entity_id: entity,
            action: "issue".into(),
            resource: BADGE.into(),
            valid_from: at("2025-01-01T00:00:00Z"),
            valid_until: None,
        };
        source.add_statement(terms).unwrap();
    }
}

/// Adds `entity` with `metadata`, authorized from now on to issue badges.
pub fn register_from_now(source: &mut RegistrySource, entity: &str, metadata: EntityMetadata) {
    source.upsert_entity(entity, metadata).unwrap();
    let terms = NewStatement {
        kind: StatementKind::Authorization,
        entity_id: entity.into(),
        action: "issue".into(),
        resource: BADGE.into(),
        valid_from: now(),
        valid_until: None,
    };
    source.add_statement(terms).unwrap();
}

/// Adds `did` as an entity of `source`.
fn add_entity(source: &mut RegistrySource, did: &str) {
    source.upsert_entity(did, EntityMetadata { name: did.into(), ..Default::default() }).unwrap();
}

/// Adds a delegation of `https://example.org/badges/*` to `delegate`, valid from 2024, and returns its id.
pub fn delegate(source: &mut RegistrySource, delegate: &str, max_depth: Option<u8>) -> String {
    add_entity(source, delegate);
    let terms = NewDelegation {
        delegate: delegate.into(),
        scope: "https://example.org/badges/*".into(),
        max_depth,
        valid_from: at("2024-01-01T00:00:00Z"),
        valid_until: None,
    };
    source.add_delegation(terms).unwrap()
}

/// Authorizes `entity` to issue the math badge from 2024 and returns the statement id.
pub fn authorize_math_badge(source: &mut RegistrySource, entity: &str) -> String {
    let terms = NewStatement {
        kind: StatementKind::Authorization,
        entity_id: entity.into(),
        action: "issue".into(),
        resource: MATH_BADGE.into(),
        valid_from: at("2024-01-01T00:00:00Z"),
        valid_until: None,
    };
    source.add_statement(terms).unwrap()
}

/// Starts a node hosting `fixture`'s registry, with publishing on.
pub async fn node_for(fixture: &Fixture, adjust: impl FnOnce(&mut trustnode::config::Config)) -> TestNode {
    let registry = fixture.config();
    TestNode::start(move |config| {
        config.registries = vec![registry];
        config.publishing.enabled = true;
        adjust(config);
    })
    .await
}

/// `PUT`s `bytes` with `jws` as snapshot `sequence` of `authority` (percent-encoded).
pub async fn put(node: &TestNode, authority: &str, sequence: u64, bytes: Vec<u8>, jws: &str) -> Reply {
    let path = format!("/registries/{authority}/snapshots/{sequence}");
    node.request(
        hyper::Method::PUT,
        &path,
        &[("content-type", "application/json"), (trustnode_registry::wire::SNAPSHOT_JWS_HEADER, jws)],
        bytes,
    )
    .await
}

/// Builds the next snapshot with `edit`, publishes it to `node` (which must accept it) and records it.
pub async fn publish(node: &TestNode, fixture: &mut Fixture, edit: impl FnOnce(&mut RegistrySource)) {
    let (snapshot, jws) = fixture.edit_and_build(edit);
    let sequence = snapshot.snapshot().sequence;
    let reply = put(node, &fixture.encoded_authority(), sequence, snapshot.bytes().to_vec(), &jws).await;
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    fixture.accepted((snapshot, jws));
}

/// The digest the node serves as the latest snapshot's ETag.
pub async fn latest_etag(node: &TestNode, authority: &str) -> String {
    let reply = node.get(&format!("/registries/{authority}/snapshots/latest"), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    reply.header("etag").unwrap().trim_matches('"').to_owned()
}
