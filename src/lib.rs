//! trustnode: a DID resolver (did:key, did:jwk, did:web) and signed trust-registry node.
//!
//! Layout, from the pure core outwards:
//! - [`did`]: DID syntax, key decoding and document building. No I/O.
//! - [`registry`]: the signed trust-registry core (model, canonical JSON, Merkle tree, snapshots, JWS, evaluation,
//!   answer proofs). No I/O.
//! - [`resolver`]: method dispatch, options, dereferencing and rendering of results. No HTTP types.
//! - [`web`]: did:web fetching over hardened HTTPS and its sled cache (the network edge).
//! - [`store`]: snapshot files written atomically; [`hosting`]: the registries this node hosts (import, verify,
//!   load, publish).
//! - [`identity`]: the node's own DID and signing key (generated into the data directory or configured).
//! - [`http`]: the HTTP edge: router, limits, handlers, problem details.
//! - [`config`]: the typed node configuration and how it is loaded.
//! - [`node`]: the composition root that opens the node's state; [`cli`]: the command line.

pub mod cli;
pub mod config;
pub mod hosting;
pub mod http;
pub mod identity;
pub mod mirror;
pub mod node;
pub mod store;
pub mod telemetry;
