//! Mirrors for multi-node tests: a node that mirrors a fixture's registry from an upstream node, and waiting until
//! a node serves a given snapshot.

use std::time::{Duration, Instant};

use trustnode::config::{Config, RegistryConfig};
use trustnode_registry::snapshot::CanonicalSnapshot;

use super::node::{Reply, TestNode};
use super::registry::Fixture;

/// Starts a node mirroring `fixture`'s registry over plain HTTP from `upstream` (an address, so
/// `mirroring.allow_http` is set), polling every second.
pub async fn mirror_of(fixture: &Fixture, upstream: std::net::SocketAddr) -> TestNode {
    mirror_from(fixture, format!("http://{upstream}"), |config| config.mirroring.allow_http = true).await
}

/// Starts a node mirroring `fixture`'s registry from the base URL `upstream`, polling every second, with its
/// configuration changed by `adjust`.
pub async fn mirror_from(fixture: &Fixture, upstream: String, adjust: impl FnOnce(&mut Config)) -> TestNode {
    let entry = RegistryConfig::Mirror { authority: fixture.authority.clone(), upstream };
    TestNode::start(move |config| {
        config.registries = vec![entry];
        config.mirroring.poll_interval_s = 1;
        config.mirroring.request_timeout_ms = 2_000;
        adjust(config);
    })
    .await
}

/// Waits (up to a generous deadline) until `check` holds for the node's answer to `GET path`.
pub async fn eventually(node: &TestNode, path: &str, what: &str, check: impl Fn(&Reply) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = node.get(path, &[]).await;
        if check(&reply) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still {} {}", reply.status, String::from_utf8_lossy(&reply.body));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The path of the fixture registry's latest snapshot.
pub fn latest_path(fixture: &Fixture) -> String {
    format!("/registries/{}/snapshots/latest", fixture.encoded_authority())
}

/// Waits until `node` serves `snapshot` as its latest.
pub async fn serves(node: &TestNode, fixture: &Fixture, snapshot: &CanonicalSnapshot) {
    let etag = format!("\"{}\"", snapshot.digest());
    let what = format!("serving sequence {}", snapshot.snapshot().sequence);
    eventually(node, &latest_path(fixture), &what, |reply| reply.header("etag") == Some(etag.as_str())).await;
}
