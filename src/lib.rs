//! trustnode: a DID resolver (did:key, did:jwk, did:web) and signed trust-registry node.
//!
//! Layout, from the pure core outwards:
//! - [`did`]: DID syntax, key decoding and document building. No I/O.
//! - [`config`]: the typed node configuration and how it is loaded.
//! - [`web`]: did:web fetching over hardened HTTPS and its sled cache (the network edge).

pub mod config;
pub mod did;
pub mod web;
