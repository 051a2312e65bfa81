//! Helpers shared by the integration tests: an in-process node on a loopback port with a small HTTP client, a
//! local HTTPS origin with its own CA for did:web, a signed registry fixture, the binary run as a process, and a
//! recording stand-in server for the conformance kit.
#![allow(dead_code)]

pub mod node;
pub mod origin;
pub mod process;
pub mod recording;
pub mod registry;
