//! The signed trust-registry core: the registry model and its editable source, RFC 8785 canonical JSON, the
//! RFC 6962 Merkle tree over statements, chained snapshots, detached JWS signatures, as-of-time evaluation and
//! accreditation chains across registries.
//!
//! Everything here is pure: functions take values, bytes and timestamps (the caller reads the clock, the files and
//! the random generator) and return values or one precise error per concern. Nothing here performs I/O, resolves
//! DIDs, or knows about HTTP; the node and the CLI build on this API.
//!
//! The flow, for a governance body: edit a [`model::RegistrySource`], then [`snapshot::CanonicalSnapshot::build`]
//! the next snapshot and [`snapshot::CanonicalSnapshot::sign`] it. For a verifier or mirror:
//! [`snapshot::CanonicalSnapshot::parse`] the published bytes, [`snapshot::CanonicalSnapshot::verify_signature`]
//! against the authority's resolved DID document, then [`evaluate::RegistryIndex::new`] and ask questions; with
//! several registries, [`chain::authorize`] follows delegations between them. [`trqp`] reads TRQP questions,
//! decides them over the registries at hand and writes the answers, with [`proof`]s when asked.
//! [`federation`] renders a snapshot as OpenID Federation statements and the DCC legacy file. [`wire`] holds the
//! protocol's header, media type and JWS type names and the DID path-segment encoding, defined once.

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

pub mod chain;
pub mod evaluate;
pub mod federation;
pub mod jcs;
pub mod jws;
pub mod listing;
pub mod merkle;
pub mod model;
pub mod proof;
pub mod snapshot;
pub mod trqp;
pub mod wire;
