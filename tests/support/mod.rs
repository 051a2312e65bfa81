//! Helpers shared by the integration tests: an in-process node on a loopback port with a small HTTP client, and a
//! local HTTPS origin with its own CA for did:web.
#![allow(dead_code)]

pub mod node;
pub mod origin;
pub mod registry;
