//! trustnode: a DID resolver (did:key, did:jwk, did:web) and signed trust-registry node.
//!
//! Layout, from the pure core outwards:
//! - [`did`]: DID syntax, key decoding and document building. No I/O.
//! - [`registry`]: the signed trust-registry core (model, canonical JSON, Merkle tree, snapshots, JWS, evaluation).
//!   No I/O.
//! - [`config`]: the typed node configuration and how it is loaded.

pub mod config;
pub mod did;
pub mod registry;
