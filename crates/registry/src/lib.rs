//! The signed trust-registry core: the registry model and its editable source, the RFC 6962 Merkle tree over
//! statements, chained snapshots, detached JWS signatures, as-of-time evaluation and accreditation chains across
//! registries. Canonical JSON (RFC 8785) is the `trustnode-jcs` crate's.
//!
//! Everything here is pure: functions take values, bytes and timestamps (the caller reads the clock, the files and
//! the random generator) and return values or one precise error per concern. Nothing here performs I/O, resolves
//! DIDs, or knows about HTTP; the node and the CLI build on this API.
//!
//! The flow, for a governance body: edit a [`model::RegistrySource`], then [`snapshot::CanonicalSnapshot::build`]
//! the next snapshot and [`snapshot::SnapshotContent::sign`] it. For a verifier or mirror:
//! [`snapshot::CanonicalSnapshot::parse`] the published bytes, [`snapshot::SnapshotContent::verify_signature`]
//! against the authority's resolved DID document, then [`evaluate::RegistryIndex::new`] and ask questions; with
//! several registries, [`chain::authorize`] follows delegations between them. [`trqp`] reads TRQP questions,
//! decides them over the registries at hand and writes the answers, with [`proof`]s when asked; [`batch`] answers
//! many at once from one snapshot per authority; [`uri`] is the RFC 3986 syntax its identifiers must have.
//! [`feed`] turns two consecutive snapshots into one verifiable change event, for the change feed and its clients.
//! [`webhook`] is the HMAC a webhook receiver recomputes to authenticate a pushed event.
//! [`federation`] renders a snapshot as OpenID Federation statements and the DCC legacy file. [`wire`] holds the
//! protocol's header, media type and JWS type names and the DID path-segment encoding, defined once.
//!
//! ```
//! use trustnode_did::key::{self, KeyOptions};
//! use trustnode_registry::evaluate::{Query, RegistryIndex};
//! use trustnode_registry::jws::{SigningKeyType, SigningKey};
//! use trustnode_registry::model::{EntityMetadata, NewStatement, RegistrySource, StatementKind, Timestamp};
//! use trustnode_registry::snapshot::CanonicalSnapshot;
//!
//! let at = |text| Timestamp::parse(text).unwrap();
//! // A governance body authors its registry and signs the first snapshot with its did:key.
//! let key = SigningKey::generate(SigningKeyType::Ed25519, &mut rand_core::OsRng);
//! let authority = key.did_key().unwrap();
//! let mut source = RegistrySource::init(&authority, "Board of Education", None).unwrap();
//! let college = "did:web:college.example";
//! source.upsert_entity(college, EntityMetadata { name: "Example College".into(), ..Default::default() }).unwrap();
//! source
//!     .add_statement(NewStatement {
//!         kind: StatementKind::Authorization,
//!         entity_id: college.into(),
//!         action: "issue".into(),
//!         resource: "OpenBadgeCredential".into(),
//!         valid_from: at("2026-01-01T00:00:00Z"),
//!         valid_until: None,
//!     })
//!     .unwrap();
//! let snapshot = CanonicalSnapshot::build(&source, None, at("2026-06-01T00:00:00Z"), at("2027-06-01T00:00:00Z")).unwrap();
//! let jws = snapshot.sign(&key, &key.did_key_url().unwrap()).unwrap();
//!
//! // A verifier checks the published bytes against the authority's DID document, then asks as of a time.
//! let published = CanonicalSnapshot::parse(snapshot.bytes().to_vec()).unwrap();
//! let document = key::resolve(&authority, &authority[8..], &KeyOptions::default()).unwrap();
//! published.verify_signature(&jws, &document).expect("signed by the authority's assertion key");
//! let index = RegistryIndex::new(published);
//! let question = |at| Query {
//!     kind: StatementKind::Authorization,
//!     entity_id: college,
//!     action: "issue",
//!     resource: "OpenBadgeCredential",
//!     at,
//! };
//! assert!(index.evaluate(&question(at("2026-07-01T00:00:00Z"))).granted());
//! assert!(!index.evaluate(&question(at("2025-07-01T00:00:00Z"))).granted(), "not yet in force");
//! ```

/// Implements `Serialize` through `Display` and `Deserialize` through `FromStr`, for values written as one JSON
/// string (timestamps, digests).
macro_rules! serde_as_string {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub mod batch;
pub mod chain;
pub mod evaluate;
pub mod federation;
pub mod feed;
pub mod jws;
pub mod listing;
pub mod merkle;
pub mod model;
pub mod proof;
pub mod snapshot;
pub mod trqp;
pub mod uri;
pub mod webhook;
pub mod wire;
