//! Helpers shared by the integration tests: an in-process node on a loopback port and a small HTTP client.
#![allow(dead_code)]

pub mod node;
