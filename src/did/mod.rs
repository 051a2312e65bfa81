//! The pure DID core: identifier syntax, key decoding and DID document building for did:key and did:jwk, and the
//! did:web identifier-to-URL mapping.
//!
//! Nothing in this module performs I/O or knows about HTTP: every function takes strings and bytes and returns
//! documents or [`error::ResolutionError`]s, so it can be tested, fuzzed and benchmarked in isolation.

pub mod curve25519;
pub mod document;
pub mod error;
pub mod jwk;
pub mod key;
pub mod keys;
pub mod syntax;
pub mod web;
