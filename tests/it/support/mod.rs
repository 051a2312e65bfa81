//! Helpers shared by the integration tests: an in-process node on a loopback port with a small HTTP client, a
//! local HTTPS origin with its own CA for did:web (and a raw one that misbehaves on purpose), a signed registry
//! fixture, mirrors, the binary run as a process, a recording stand-in server for the conformance kit, a webhook
//! receiver that fails on purpose, and a request body that never comes.
#![allow(dead_code)]

pub mod credentials;
pub mod faulty;
pub mod mirror;
pub mod node;
pub mod origin;
pub mod process;
pub mod receiver;
pub mod recording;
pub mod registry;
pub mod silent;
