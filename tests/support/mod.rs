//! Helpers shared by the integration tests: an in-process node on a loopback port with a small HTTP client, a
//! local HTTPS origin with its own CA for did:web (and a raw one that misbehaves on purpose), a signed registry
//! fixture, and the binary run as a process.
#![allow(dead_code)]

pub mod faulty;
pub mod mirror;
pub mod node;
pub mod origin;
pub mod process;
pub mod registry;
