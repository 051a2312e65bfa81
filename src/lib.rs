//! trustnode, the node: a DID resolver (did:key, did:jwk, did:web) and signed trust-registry node on one HTTP port,
//! built on the workspace's cores. Dependencies point one way: `trustnode-did` ← `trustnode-registry` and
//! `trustnode-resolver` ← this crate; nothing below imports anything above it.
//!
//! Layout, from the inside out:
//! - [`clock`]: the one reading of the wall clock as a registry timestamp.
//! - [`config`]: the typed node configuration and how it is loaded (file, environment, validation).
//! - [`telemetry`]: metrics and readiness, recorded by every part of the node.
//! - [`store`]: snapshot files written atomically; [`hosting`]: the registries this node hosts (import, verify,
//!   load, publish); [`mirror`]: registries followed from other nodes, with fork detection; [`feed`]: each hosted
//!   registry's change events, made once per snapshot for the change feed; [`webhooks`]: those events pushed to
//!   the configured subscribers.
//! - [`identity`]: the node's own DID and signing key (generated into the data directory or configured).
//! - `exposure`: the start-up warnings of a configuration that is risky once other hosts can reach the node.
//! - [`node`]: the composition root: [`node::NodeState`], its background tasks, a clean close.
//! - [`http`]: the HTTP edge: router, one guard per route, thin handlers, problem details in one module.
//! - [`cli`]: the command line (`serve`, `resolve`, `registry`, `conformance`, `key`, `cache`).

pub mod cli;
pub mod clock;
pub mod config;
pub(crate) mod exposure;
pub mod feed;
pub mod hosting;
pub mod http;
pub mod identity;
pub mod mirror;
pub mod node;
pub mod store;
pub mod telemetry;
pub mod verifier;
pub mod webhooks;
