//! trustnode's integration tests, as one test binary: each module is one area (they were one binary each, and
//! every binary linked the whole crate). Shared helpers are in `support`; the public DID vectors stay in
//! `tests/vectors/`, which code in `src/` and `crates/` reads too. Run one area with
//! `cargo test --test it <module>::`, e.g. `cargo test --test it explorer_e2e::`.

mod support;

mod advisories;
mod availability;
mod batch_resolution;
mod change_feed;
mod cli;
mod conformance;
mod conformance_registry;
mod crash_safety;
mod credential_interop;
mod credentials;
mod credentials_webvh;
mod did_jwk;
mod did_key;
mod did_web;
mod disk_full;
mod explorer;
mod explorer_e2e;
mod federation;
mod hostile_input;
mod http_api;
mod http_did_web;
mod http_vectors;
mod ler_interop;
mod mirror;
mod openapi;
mod operations;
mod proofs;
mod registry_cli;
mod registry_core;
mod registry_node;
mod safe_defaults;
mod status_fetch;
mod tls;
mod trqp;
mod trqp_batch;
mod web_faults;
mod webhooks;
mod webvh;
mod webvh_interop;
