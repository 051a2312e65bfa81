//! trustnode: a DID resolver (did:key, did:jwk, did:web) and signed trust-registry node.
//!
//! Layout, from the pure core outwards:
//! - [`did`]: DID syntax, key decoding and document building. No I/O.
//! - [`resolver`]: method dispatch, options, dereferencing and rendering of results. No HTTP types.
//! - [`http`]: the HTTP edge: router, limits, handlers, problem details.
//! - [`node`]: the composition root that opens the node's state; [`cli`]: the command line.
//! - [`config`]: the typed node configuration and how it is loaded.
//! - [`web`]: did:web fetching over hardened HTTPS and its sled cache (the network edge).

pub mod cli;
pub mod config;
pub mod did;
pub mod http;
pub mod node;
pub mod resolver;
pub mod web;
