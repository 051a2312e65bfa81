//! What an operator sees of a running node, over real HTTP: `/metrics` in the Prometheus text format (with bounded
//! labels and the did:web cache), `/readyz` and its conditions, request ids, and the caching headers that let a
//! CDN or HTTP cache sit in front of the node.

use std::net::IpAddr;

use crate::support::node::TestNode;
use crate::support::origin::{Origin, Reply, TestCa};
use crate::support::registry::{put, Fixture};
use serde_json::json;

const ED25519: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const JWK: &str = "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9";

/// The value of the exposition line for exactly `series` (name and labels), if present.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(node: &TestNode) -> String {
    let reply = node.get("/metrics", &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    String::from_utf8(reply.body.to_vec()).unwrap()
}

/// Every non-comment line is `name{labels} value` with a numeric value, and every series has a TYPE line.
fn assert_well_formed(metrics: &str) {
    let typed: Vec<&str> = metrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next()).collect();
    for line in metrics.lines().filter(|line| !line.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        assert!(value.parse::<f64>().is_ok() || value == "+Inf", "value of {line}");
        let name = series.split('{').next().unwrap();
        let family = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
        assert!(typed.contains(&family) || typed.contains(&name), "no TYPE for {line}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_resolutions_by_outcome() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let node = TestNode::start(|config| {
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert("down.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
    })
    .await;
    for _ in 0..2 {
        assert_eq!(node.get(&format!("/1.0/identifiers/{ED25519}"), &[]).await.status, 200);
    }
    assert_eq!(node.get(&format!("/1.0/identifiers/{JWK}"), &[]).await.status, 200);
    assert_eq!(node.get("/1.0/identifiers/did:key:zNotAKey", &[]).await.status, 400);
    assert_eq!(node.get("/1.0/identifiers/did:example:123", &[]).await.status, 501);
    let down = format!("/1.0/identifiers/did:web:down.test%3A{closed_port}");
    assert_eq!(node.get(&down, &[]).await.status, 500);
    assert_eq!(node.get("/no/such/did:key:zRoute", &[]).await.status, 404);
    assert_eq!(node.get("/healthz", &[]).await.status, 200);

    let metrics = scrape(&node).await;
    assert_well_formed(&metrics);
    let requests = |route: &str, status: u16| {
        sample(&metrics, &format!(r#"trustnode_http_requests_total{{route="{route}",status="{status}"}}"#))
    };
    assert_eq!(requests("/1.0/identifiers/{*id}", 200), Some(3.0));
    assert_eq!(requests("/1.0/identifiers/{*id}", 400), Some(1.0));
    assert_eq!(requests("/1.0/identifiers/{*id}", 501), Some(1.0));
    assert_eq!(requests("/1.0/identifiers/{*id}", 500), Some(1.0));
    assert_eq!(requests("(unmatched)", 404), Some(1.0));
    assert_eq!(requests("/healthz", 200), Some(1.0));
    // The example registry's authority is a label of the registry metrics; the DIDs asked about never are.
    assert!(!metrics.contains(ED25519) && !metrics.contains("zRoute"), "raw paths must not become labels");
    let count = r#"trustnode_http_request_duration_seconds_count{route="/1.0/identifiers/{*id}"}"#;
    assert_eq!(sample(&metrics, count), Some(6.0));
    let inf = r#"trustnode_http_request_duration_seconds_bucket{route="/1.0/identifiers/{*id}",le="+Inf"}"#;
    assert_eq!(sample(&metrics, inf), Some(6.0));

    let resolutions = |method: &str, outcome: &str| {
        sample(&metrics, &format!(r#"trustnode_resolutions_total{{method="{method}",outcome="{outcome}"}}"#))
    };
    assert_eq!(resolutions("key", "ok"), Some(2.0));
    assert_eq!(resolutions("jwk", "ok"), Some(1.0));
    assert!(resolutions("key", "invalidDid").or(resolutions("key", "invalidPublicKeyType")).is_some(), "{metrics}");
    assert_eq!(resolutions("none", "methodNotSupported"), Some(1.0));
    assert_eq!(resolutions("web", "internalError"), Some(1.0));

    assert_eq!(sample(&metrics, r#"trustnode_did_web_upstream_errors_total{kind="connect"}"#), Some(1.0));
    assert_eq!(sample(&metrics, r#"trustnode_did_web_cache_events_total{event="miss"}"#), Some(1.0));
    assert_eq!(sample(&metrics, "trustnode_did_web_cache_entries"), Some(0.0));
    assert!(sample(&metrics, "trustnode_did_web_cache_disk_bytes").is_some());
}

#[tokio::test]
async fn other_parts_of_the_node_add_labelled_metrics_and_scrape_hooks() {
    let node = TestNode::start(|_| {}).await;
    let sequence =
        node.state.metrics.gauge("trustnode_test_sequence", "A sequence per authority, set by a test.", ["authority"]);
    let scrapes = node.state.metrics.counter("trustnode_test_scrapes_total", "Scrapes seen by a hook.", []);
    node.state.metrics.on_scrape(move || scrapes.add([], 1.0));
    sequence.set(["did:web:registry.example"], 42.0);
    let first = scrape(&node).await;
    assert_well_formed(&first);
    assert_eq!(sample(&first, r#"trustnode_test_sequence{authority="did:web:registry.example"}"#), Some(42.0));
    assert_eq!(sample(&first, "trustnode_test_scrapes_total"), Some(1.0));
    assert_eq!(sample(&scrape(&node).await, "trustnode_test_scrapes_total"), Some(2.0));
}

#[tokio::test]
async fn registry_metrics_follow_the_served_snapshots() {
    let mut fresh = Fixture::new();
    let stale = Fixture::with_next_update(1);
    let registries = vec![fresh.config(), stale.config()];
    let node = TestNode::start(move |config| {
        config.registries = registries;
        config.publishing.enabled = true;
    })
    .await;
    // Snapshots carry whole seconds: two seconds on, the one due after one second is certainly past due.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let registry = |metrics: &str, name: &str, fixture: &Fixture| {
        sample(metrics, &format!("trustnode_registry_{name}{{authority=\"{}\"}}", fixture.authority))
    };
    let metrics = scrape(&node).await;
    assert_well_formed(&metrics);
    assert_eq!(metrics.matches("# TYPE trustnode_registry_sequence gauge").count(), 1);
    for fixture in [&fresh, &stale] {
        assert_eq!(registry(&metrics, "sequence", fixture), Some(1.0));
        let age = registry(&metrics, "age_seconds", fixture).unwrap();
        assert!((0.0..120.0).contains(&age), "{age}");
    }
    assert_eq!(registry(&metrics, "stale", &fresh), Some(0.0));
    assert_eq!(registry(&metrics, "stale", &stale), Some(1.0));

    let next = fresh.edit_and_build(|_| {});
    let published = put(&node, &fresh.encoded_authority(), 2, next.0.bytes().to_vec(), &next.1).await;
    assert_eq!(published.status, 201, "{}", String::from_utf8_lossy(&published.body));
    fresh.accepted(next);
    let metrics = scrape(&node).await;
    assert_eq!(registry(&metrics, "sequence", &fresh), Some(2.0));
    assert_eq!(registry(&metrics, "sequence", &stale), Some(1.0));
}

#[tokio::test]
async fn readiness_follows_its_conditions_and_health_stays_constant() {
    let node = TestNode::start(|_| {}).await;
    let ready = node.get("/readyz", &[]).await;
    assert_eq!((ready.status.as_u16(), &ready.body[..]), (200, &b"ready"[..]));
    let registries = node.state.readiness.condition("registries loaded", false);
    let not_ready = node.get("/readyz", &[]).await;
    assert_eq!(not_ready.status, 503);
    assert_eq!(not_ready.header("content-type"), Some("application/problem+json"));
    assert!(not_ready.json()["detail"].as_str().unwrap().contains("registries loaded"));
    assert_eq!(node.get("/healthz", &[]).await.status, 200, "liveness does not depend on readiness");
    registries.set(true);
    assert_eq!(node.get("/readyz", &[]).await.status, 200);
    node.state.readiness.drain();
    let draining = node.get("/readyz", &[]).await;
    assert_eq!(draining.status, 503);
    assert!(draining.json()["detail"].as_str().unwrap().contains("shutting down"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let node = TestNode::start(|_| {}).await;
    let mut seen = Vec::new();
    for path in ["/healthz", "/no/such/route", &format!("/1.0/identifiers/{ED25519}")] {
        let reply = node.get(path, &[]).await;
        let id = reply.header("x-request-id").unwrap_or_else(|| panic!("no request id on {path}")).to_owned();
        assert!(!id.is_empty() && id.len() <= 128, "{id}");
        assert!(!seen.contains(&id), "ids are unique: {id}");
        seen.push(id);
    }
    let echoed = node.get("/healthz", &[("x-request-id", "trace-7f3a.b_1")]).await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-7f3a.b_1"));
    let too_long = "a".repeat(129);
    for bad in [too_long.as_str(), "two words", ""] {
        let reply = node.get("/healthz", &[("x-request-id", bad)]).await;
        let id = reply.header("x-request-id").unwrap();
        assert_ne!(id, bad);
        assert!(!id.is_empty() && id.len() <= 128);
    }
    let preflight = node
        .request(
            hyper::Method::OPTIONS,
            "/1.0/methods",
            &[("origin", "https://app.example"), ("access-control-request-method", "GET")],
            Vec::new(),
        )
        .await;
    assert!(preflight.header("x-request-id").is_some());
    let exposed = node.get("/healthz", &[("origin", "https://app.example")]).await;
    let exposed = exposed.header("access-control-expose-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "browsers may read the id: {exposed}");
}

#[tokio::test]
async fn computed_answers_are_immutable_and_errors_are_not_stored() {
    let node = TestNode::start(|_| {}).await;
    for did in [ED25519, JWK] {
        for accept in ["application/did-resolution", "application/did"] {
            let reply = node.get(&format!("/1.0/identifiers/{did}"), &[("accept", accept)]).await;
            assert_eq!(reply.status, 200);
            assert_eq!(reply.header("cache-control"), Some("public, max-age=31536000, immutable"), "{did}");
            assert_eq!(reply.header("vary"), Some("Accept"));
        }
    }
    let fragment = node.get(&format!("/1.0/identifiers/{ED25519}%23nope"), &[]).await;
    assert_eq!(fragment.status, 404);
    assert_eq!(fragment.header("cache-control"), Some("public, max-age=31536000, immutable"));
    for (path, status) in [("/1.0/identifiers/did:key:zNotAKey", 400), ("/1.0/identifiers/did:example:1", 501)] {
        let reply = node.get(path, &[]).await;
        assert_eq!(reply.status, status);
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(reply.header("vary"), Some("Accept"));
    }
    let unacceptable = node.get(&format!("/1.0/identifiers/{ED25519}"), &[("accept", "image/png")]).await;
    assert_eq!(unacceptable.status, 406);
    assert_eq!(unacceptable.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn did_web_answers_may_be_cached_for_their_remaining_lifetime() {
    let ca = TestCa::new();
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(ca_dir.path()).display().to_string();
    let origin = Origin::start(&ca).await;
    let did = format!("did:web:issuer.test%3A{}", origin.port());
    let document = json!({"@context": ["https://www.w3.org/ns/did/v1"], "id": did});
    origin.set("/.well-known/did.json", Reply::json_with(&document, &[("cache-control", "max-age=600")]));
    let node = TestNode::start(move |config| {
        config.web.extra_ca_file = ca_file;
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
    })
    .await;
    let reply = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let max_age: u64 = reply
        .header("cache-control")
        .and_then(|value| value.strip_prefix("public, max-age="))
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or_else(|| panic!("{:?}", reply.header("cache-control")));
    assert!((590..=600).contains(&max_age), "{max_age}");
    assert_eq!(reply.header("vary"), Some("Accept"));
    let metrics = scrape(&node).await;
    assert_eq!(sample(&metrics, "trustnode_did_web_cache_entries"), Some(1.0));
    assert_eq!(sample(&metrics, r#"trustnode_resolutions_total{method="web",outcome="ok"}"#), Some(1.0));
}
